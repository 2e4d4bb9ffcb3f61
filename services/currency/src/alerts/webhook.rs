//! Webhooks, made safe to send to a URL a stranger typed (a server-side request
//! forgery vector): https only unless allowed; the host is resolved once, every address
//! it resolves to is checked, and the connection goes to a checked address; loopback,
//! private, link-local, unique-local and cloud-metadata addresses are refused unless
//! allowed; no redirects, no proxies, bounded time and response size. Each request is
//! signed with the alert's secret.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use ring::hmac;
use url::{Host, Url};

use crate::config::WebhookSettings;

/// Longest accepted webhook URL.
pub const MAX_URL: usize = 2048;
/// Longest wait for a name to resolve: a creation answers well inside the gateway's
/// deadline, and a resolver that hangs cannot hold a delivery.
const RESOLVE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(2);
/// Bytes of a receiver's answer read (and dropped) at most.
const MAX_RESPONSE: usize = 64 * 1024;

/// Why a webhook URL or address is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    #[error("not an absolute URL")]
    Malformed,
    #[error("longer than {MAX_URL} characters")]
    TooLong,
    #[error("scheme {0} is not allowed (https only)")]
    Scheme(String),
    #[error("credentials in the URL are not allowed")]
    Credentials,
    #[error("no host")]
    NoHost,
    #[error("{0} is a loopback, private, link-local or metadata address")]
    Address(IpAddr),
    #[error("the host does not resolve (in 2 s)")]
    Unresolved,
}

/// Whether an address is one that the open internet could reach: not loopback,
/// private (RFC 1918), shared (RFC 6598), link-local (with 169.254.169.254, the cloud
/// metadata service), unique-local (with fd00:ec2::254), unspecified, multicast,
/// broadcast, documentation or reserved.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public_v4(v4);
            }
            let first = v6.segments()[0];
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || v6.is_unique_local()
                || v6.is_unicast_link_local()
                // NAT64 and 6to4 embed an IPv4 address that could be a private one.
                || first == 0x0064
                || first == 0x2002
                // Documentation (2001:db8::/32) and the deprecated site-local fec0::/10.
                || (first == 0x2001 && v6.segments()[1] == 0x0db8)
                || (first & 0xffc0) == 0xfec0
                // IPv4-compatible (::a.b.c.d).
                || (v6.segments()[..6].iter().all(|s| *s == 0)))
        }
    }
}

fn is_public_v4(v4: Ipv4Addr) -> bool {
    let [a, b, ..] = v4.octets();
    !(v4.is_loopback()
        || v4.is_private()
        || v4.is_link_local()
        || v4.is_unspecified()
        || v4.is_broadcast()
        || v4.is_multicast()
        || v4.is_documentation()
        || a == 0
        || (a == 100 && (64..128).contains(&b))
        || (a == 192 && b == 0)
        || a >= 240)
}

/// The policy of one deployment.
#[derive(Debug, Clone, Copy)]
pub struct Policy {
    pub allow_http: bool,
    pub allow_private: bool,
}

impl Policy {
    pub fn of(settings: &WebhookSettings) -> Self {
        Self {
            allow_http: settings.allow_http,
            allow_private: settings.allow_private,
        }
    }

    fn address(&self, ip: IpAddr) -> Result<(), Refused> {
        if self.allow_private || is_public(ip) {
            Ok(())
        } else {
            Err(Refused::Address(ip))
        }
    }

    /// The URL's form: scheme, no credentials, a host; an address host is checked
    /// here, as the resolver never sees it.
    pub fn check_url(&self, raw: &str) -> Result<Url, Refused> {
        if raw.len() > MAX_URL {
            return Err(Refused::TooLong);
        }
        let url = Url::parse(raw).map_err(|_| Refused::Malformed)?;
        match url.scheme() {
            "https" => {}
            "http" if self.allow_http => {}
            other => return Err(Refused::Scheme(other.to_string())),
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(Refused::Credentials);
        }
        match url.host() {
            None => Err(Refused::NoHost),
            Some(Host::Ipv4(ip)) => self.address(IpAddr::V4(ip)).map(|()| url),
            Some(Host::Ipv6(ip)) => self.address(IpAddr::V6(ip)).map(|()| url),
            Some(Host::Domain(_)) => Ok(url),
        }
    }

    /// Every address `host` resolves to, each checked: one refused address refuses
    /// the host (a name that also points inside must not get a second chance).
    pub async fn resolve(&self, host: &str, port: u16) -> Result<Vec<SocketAddr>, Refused> {
        let addrs: Vec<SocketAddr> =
            tokio::time::timeout(RESOLVE_TIMEOUT, tokio::net::lookup_host((host, port)))
                .await
                .map_err(|_| Refused::Unresolved)?
                .map_err(|_| Refused::Unresolved)?
                .collect();
        if addrs.is_empty() {
            return Err(Refused::Unresolved);
        }
        for addr in &addrs {
            self.address(addr.ip())?;
        }
        Ok(addrs)
    }

    /// The checks of a URL at creation: its form and, for a name, what it resolves
    /// to now (delivery checks again: names change).
    pub async fn check(&self, raw: &str) -> Result<Url, Refused> {
        let url = self.check_url(raw)?;
        if let Some(Host::Domain(name)) = url.host() {
            self.resolve(name, url.port_or_known_default().unwrap_or(443))
                .await?;
        }
        Ok(url)
    }
}

/// reqwest's resolver: the addresses the connection may use are the checked ones.
struct Guard(Policy);

impl Resolve for Guard {
    fn resolve(&self, name: Name) -> Resolving {
        let policy = self.0;
        Box::pin(async move {
            let addrs = policy.resolve(name.as_str(), 0).await?;
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

/// The header carrying the signature: `t=<unix seconds>,v1=<hex HMAC-SHA256 of
/// "<t>.<body>" under the alert's secret>`.
pub const SIGNATURE_HEADER: &str = "x-travel-signature";

pub fn signature(secret: &str, timestamp: i64, body: &[u8]) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA256, secret.as_bytes());
    let mut context = hmac::Context::with_key(&key);
    context.update(timestamp.to_string().as_bytes());
    context.update(b".");
    context.update(body);
    format!("t={timestamp},v1={}", hex::encode(context.sign().as_ref()))
}

/// Sends signed webhooks under one policy.
#[derive(Clone)]
pub struct Sender {
    client: reqwest::Client,
    policy: Policy,
}

impl Sender {
    pub fn new(settings: &WebhookSettings) -> Result<Self, reqwest::Error> {
        let policy = Policy::of(settings);
        let client = reqwest::Client::builder()
            .dns_resolver(Arc::new(Guard(policy)))
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .connect_timeout(settings.timeout)
            .read_timeout(settings.timeout)
            .timeout(settings.timeout)
            .user_agent(concat!(
                "trip-currency-mesh-webhook/",
                env!("CARGO_PKG_VERSION")
            ))
            .build()?;
        Ok(Self { client, policy })
    }

    pub fn policy(&self) -> Policy {
        self.policy
    }

    /// POSTs `body` to `url`; `Err` says why it did not reach a 2xx answer.
    pub async fn send(
        &self,
        url: &str,
        alert_id: &str,
        secret: &str,
        body: Vec<u8>,
    ) -> Result<(), String> {
        let url = self.policy.check_url(url).map_err(|e| e.to_string())?;
        let timestamp = chrono::Utc::now().timestamp();
        let mut response = self
            .client
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header("idempotency-key", alert_id)
            .header("x-travel-alert-id", alert_id)
            .header(SIGNATURE_HEADER, signature(secret, timestamp, &body))
            .body(body)
            .send()
            .await
            .map_err(describe)?;
        let status = response.status();
        // Read a little of the answer so the connection can be reused; never more.
        let mut read = 0usize;
        while read < MAX_RESPONSE {
            match response.chunk().await {
                Ok(Some(chunk)) => read += chunk.len(),
                Ok(None) | Err(_) => break,
            }
        }
        if status.is_success() {
            Ok(())
        } else if status.is_redirection() {
            Err(format!("HTTP {status}: redirects are not followed"))
        } else {
            Err(format!("HTTP {status}"))
        }
    }
}

/// The error chain of a failed request, in one line (a refused address included).
fn describe(error: reqwest::Error) -> String {
    let mut text = if error.is_timeout() {
        "timed out".to_string()
    } else if error.is_connect() {
        "could not connect".to_string()
    } else {
        "request failed".to_string()
    };
    let mut source = std::error::Error::source(&error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    const STRICT: Policy = Policy {
        allow_http: false,
        allow_private: false,
    };

    #[test]
    fn inside_addresses_are_not_public() {
        for refused in [
            "127.0.0.1",
            "127.8.9.10",
            "10.0.0.1",
            "172.16.5.4",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "169.254.0.1",
            "100.64.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "224.0.0.1",
            "::1",
            "::",
            "fd00:ec2::254",
            "fc00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "::127.0.0.1",
            "64:ff9b::a00:1",
            "2002:a00:1::",
        ] {
            let ip: IpAddr = refused.parse().unwrap();
            assert!(!is_public(ip), "{refused} must be refused");
        }
        for allowed in ["93.184.215.14", "8.8.8.8", "172.32.0.1", "2606:4700::1111"] {
            let ip: IpAddr = allowed.parse().unwrap();
            assert!(is_public(ip), "{allowed} is public");
        }
    }

    #[test]
    fn urls_are_checked_before_anything_is_sent() {
        assert_eq!(
            STRICT.check_url("http://hooks.example/x"),
            Err(Refused::Scheme("http".into()))
        );
        assert_eq!(
            STRICT.check_url("ftp://hooks.example/x"),
            Err(Refused::Scheme("ftp".into()))
        );
        assert_eq!(
            STRICT.check_url("https://user:pw@hooks.example/x"),
            Err(Refused::Credentials)
        );
        assert_eq!(STRICT.check_url("not a url"), Err(Refused::Malformed));
        assert_eq!(
            STRICT.check_url(&format!("https://h.example/{}", "a".repeat(MAX_URL))),
            Err(Refused::TooLong)
        );
        for literal in [
            "https://127.0.0.1/x",
            "https://[::1]/x",
            "https://169.254.169.254/latest/meta-data/",
            "https://[fd00:ec2::254]/",
            "https://10.1.2.3:8443/",
            // Other spellings of loopback the URL parser normalises.
            "https://2130706433/",
            "https://0x7f.1/",
        ] {
            assert!(
                matches!(STRICT.check_url(literal), Err(Refused::Address(_))),
                "{literal}"
            );
        }
        assert!(STRICT.check_url("https://hooks.example/x").is_ok());
        let loose = Policy {
            allow_http: true,
            allow_private: true,
        };
        assert!(loose.check_url("http://127.0.0.1:9/x").is_ok());
    }

    #[tokio::test]
    async fn a_name_that_resolves_inside_is_refused() {
        // localhost resolves to 127.0.0.1 (or ::1): refused although it is a name.
        for url in ["https://localhost/hook", "https://localhost:8443/hook"] {
            assert!(
                matches!(STRICT.check(url).await, Err(Refused::Address(ip)) if ip.is_loopback()),
                "{url}"
            );
        }
        assert_eq!(
            STRICT.check("https://no-such-host.invalid/hook").await,
            Err(Refused::Unresolved)
        );
        let loose = Policy {
            allow_http: true,
            allow_private: true,
        };
        assert!(loose.check("http://localhost:9/hook").await.is_ok());
    }

    #[test]
    fn signatures_are_hmac_sha256_of_time_and_body() {
        // Computed independently: Python's hmac.new(b"Jefe", b'1765100000.{"alert_id":
        // "alt_1"}', sha256).
        assert_eq!(
            signature("Jefe", 1_765_100_000, br#"{"alert_id":"alt_1"}"#),
            "t=1765100000,v1=32e0b14720641fae90658a4719ceaa748fb04115a941e17819bef79407ee6bf3"
        );
        assert_ne!(signature("Jefe", 1, b"x"), signature("Jefe", 2, b"x"));
        assert_ne!(signature("Jefe", 1, b"x"), signature("Jeff", 1, b"x"));
    }
}
