//! Connection URLs that may carry credentials.
//!
//! A database, cache or bus URL can hold a password (`mysql://app:pw@db/x`,
//! `redis://:pw@host`, `kafka://user:pw@broker`) or a credential in its query
//! (`?sasl.password=…`). [`SecretUrl`] keeps the whole URL for connecting but shows
//! only a masked form through `Debug` and `Display`, so logging a configuration or an
//! error that names the URL cannot leak it.
//!
//! A URL may also name several hosts (`kafka://b1:9092,b2:9092,b3:9092`, the form of a
//! Kafka bootstrap list), which `url::Url` cannot parse: the list is taken out before
//! parsing, the URL keeps the first host, and [`SecretUrl::hosts`] gives them all.

use std::fmt;

use url::Url;

const MASK: &str = "***";

/// Whether two secrets are equal, compared in time independent of where they differ
/// (their SHA-256 digests, byte by byte without an early exit), so that a guess
/// learns nothing from how long the refusal took.
pub fn same_secret(a: &str, b: &str) -> bool {
    use sha2::{Digest, Sha256};
    let (a, b) = (Sha256::digest(a.as_bytes()), Sha256::digest(b.as_bytes()));
    a.iter()
        .zip(b.iter())
        .fold(0u8, |acc, (x, y)| acc | (x ^ y))
        == 0
}

/// A URL whose credentials never reach `Debug` or `Display`.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretUrl {
    url: Url,
    /// Every `host:port` of the authority; the URL holds the first.
    hosts: Vec<String>,
}

impl SecretUrl {
    pub fn new(url: Url) -> Self {
        let hosts = host_port(&url).into_iter().collect();
        Self { url, hosts }
    }

    /// Parses a URL whose authority may list several comma-separated hosts.
    pub fn parse(raw: &str) -> Result<Self, url::ParseError> {
        let (single, hosts) = split_hosts(raw);
        let url = Url::parse(&single)?;
        match hosts {
            Some(hosts) => Ok(Self { url, hosts }),
            None => Ok(Self::new(url)),
        }
    }

    /// The full URL (first host only), credentials included: for handing to a client
    /// library only.
    pub fn expose(&self) -> &Url {
        &self.url
    }

    /// Every `host:port` the URL names, in order.
    pub fn hosts(&self) -> &[String] {
        &self.hosts
    }

    pub fn scheme(&self) -> &str {
        self.url.scheme()
    }

    /// The URL with its password and credential-like query values masked, and its
    /// whole host list.
    pub fn redacted(&self) -> String {
        let shown = redact_url(&self.url);
        match (self.hosts.len() > 1, host_port(&self.url)) {
            (true, Some(first)) => shown.replacen(&first, &self.hosts.join(","), 1),
            _ => shown,
        }
    }
}

impl From<Url> for SecretUrl {
    fn from(url: Url) -> Self {
        Self::new(url)
    }
}

fn host_port(url: &Url) -> Option<String> {
    let host = url.host_str()?;
    Some(match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_string(),
    })
}

/// `scheme://[user@]h1:p1,h2:p2/rest` → (`scheme://[user@]h1:p1/rest`, the hosts);
/// `None` when the authority names one host.
fn split_hosts(raw: &str) -> (String, Option<Vec<String>>) {
    let Some((scheme, rest)) = raw.split_once("://") else {
        return (raw.to_string(), None);
    };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    let (userinfo, hosts) = match authority.rfind('@') {
        Some(at) => (&authority[..=at], &authority[at + 1..]),
        None => ("", authority),
    };
    if !hosts.contains(',') {
        return (raw.to_string(), None);
    }
    let list: Vec<String> = hosts
        .split(',')
        .map(str::trim)
        .filter(|h| !h.is_empty())
        .map(String::from)
        .collect();
    let first = list.first().cloned().unwrap_or_default();
    (format!("{scheme}://{userinfo}{first}{tail}"), Some(list))
}

impl fmt::Debug for SecretUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretUrl({})", self.redacted())
    }
}

impl fmt::Display for SecretUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

/// Query keys whose values are credentials (librdkafka's `sasl.password`,
/// `ssl.key.password`, a `token=` or `api_key=`).
fn is_credential_key(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    ["password", "secret", "token", "key", "credential"]
        .iter()
        .any(|word| key.contains(word))
}

/// A URL without its password or credential query values, for logs and errors.
fn redact_url(url: &Url) -> String {
    let mut shown = url.clone();
    if shown.password().is_some() {
        let _ = shown.set_password(Some(MASK));
    }
    if shown.query().is_some() {
        let pairs: Vec<(String, String)> = shown
            .query_pairs()
            .map(|(k, v)| {
                let value = if is_credential_key(&k) {
                    MASK.to_string()
                } else {
                    v.into_owned()
                };
                (k.into_owned(), value)
            })
            .collect();
        shown.query_pairs_mut().clear().extend_pairs(pairs);
    }
    shown.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_compare_by_value() {
        assert!(same_secret("k3y", "k3y"));
        assert!(!same_secret("k3y", "k3z"));
        assert!(!same_secret("", "k3y"));
    }

    fn url(raw: &str) -> SecretUrl {
        SecretUrl::parse(raw).unwrap()
    }

    #[test]
    fn passwords_never_show() {
        for raw in [
            "mysql://app:s3cret-pw@db:3306/travel",
            "redis://:s3cret-pw@cache:6379/0",
            "rediss://default:s3cret-pw@cache:6380",
            "kafka://user:s3cret-pw@b1:9092,b2:9092?security.protocol=SASL_SSL",
            "kafka://b1:9092?sasl.password=s3cret-pw&ssl.key.password=s3cret-pw",
        ] {
            let secret = url(raw);
            for shown in [
                format!("{secret}"),
                format!("{secret:?}"),
                secret.redacted(),
            ] {
                assert!(!shown.contains("s3cret-pw"), "{shown}");
                assert!(shown.contains(MASK), "{shown}");
            }
            assert_eq!(
                secret.expose().password(),
                Some("s3cret-pw").filter(|_| raw.contains("@"))
            );
        }
    }

    #[test]
    fn a_host_list_is_kept_whole() {
        let bus = url("kafka://svc:pw@b1:9092,b2:9092, b3:9094?security.protocol=SASL_SSL");
        assert_eq!(bus.hosts(), ["b1:9092", "b2:9092", "b3:9094"]);
        assert_eq!(bus.expose().host_str(), Some("b1"));
        assert_eq!(bus.expose().username(), "svc");
        assert_eq!(
            bus.to_string(),
            "kafka://svc:***@b1:9092,b2:9092,b3:9094?security.protocol=SASL_SSL"
        );
        let one = url("redis://cache:6379/0");
        assert_eq!(one.hosts(), ["cache:6379"]);
        assert_eq!(one.to_string(), "redis://cache:6379/0");
        assert!(url("memory://").hosts().is_empty());
    }

    #[test]
    fn what_is_not_secret_stays_readable() {
        let shown =
            url("kafka://user:pw@b1:9092?security.protocol=SASL_SSL&replication=3").to_string();
        assert!(shown.contains("user"), "{shown}");
        assert!(shown.contains("b1:9092"), "{shown}");
        assert!(shown.contains("security.protocol=SASL_SSL"), "{shown}");
        assert!(shown.contains("replication=3"), "{shown}");
        assert_eq!(url("memory://").to_string(), "memory://");
        assert_eq!(
            url("sqlite:///tmp/x/travel.db").to_string(),
            "sqlite:///tmp/x/travel.db"
        );
    }
}
