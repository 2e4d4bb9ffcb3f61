//! A TCP fault proxy between the system and one real server (MariaDB, Redis, the
//! broker): `Pass` forwards bytes both ways, `Refuse` closes the port (connections
//! are refused and open ones cut), `BlackHole` accepts connections but moves no byte
//! on any of them (a partition) — the outage that costs a client its whole time-out.

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Pass,
    Refuse,
    BlackHole,
}

pub struct FaultProxy {
    addr: SocketAddr,
    mode: Arc<watch::Sender<Mode>>,
    task: JoinHandle<()>,
}

impl FaultProxy {
    /// Listens on a free loopback port in front of `upstream`, passing.
    pub async fn start(upstream: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("proxy port");
        let addr = listener.local_addr().unwrap();
        let (mode, _) = watch::channel(Mode::Pass);
        let mode = Arc::new(mode);
        let task = tokio::spawn(serve(listener, addr, upstream, mode.clone()));
        Self { addr, mode, task }
    }

    /// Where clients connect instead of the server.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Applies to new connections and to open ones.
    pub fn set(&self, mode: Mode) {
        self.mode.send_replace(mode);
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Fault proxies in front of the suites' MariaDB and Redis (`infra`'s servers), and
/// the URLs that reach them through the proxies.
pub struct Backends {
    pub mysql: FaultProxy,
    pub redis: FaultProxy,
}

fn server_addr(url: &str) -> SocketAddr {
    let url = url::Url::parse(url).expect("server URL");
    let host = url.host_str().unwrap_or("127.0.0.1");
    let host = if host == "localhost" {
        "127.0.0.1"
    } else {
        host
    };
    SocketAddr::new(
        host.parse().expect("a loopback address"),
        url.port_or_known_default().expect("a port"),
    )
}

impl Backends {
    pub async fn start() -> Self {
        Self {
            mysql: FaultProxy::start(server_addr(&crate::infra::mysql_server_url())).await,
            redis: FaultProxy::start(server_addr(&crate::infra::redis_url())).await,
        }
    }

    /// `database`'s URL with the proxy in place of the server.
    pub fn database_url(&self, database: &crate::infra::MySqlDatabase) -> String {
        let mut url = database.config.url.expose().clone();
        url.set_port(Some(self.mysql.addr().port()))
            .expect("a URL with a port");
        url.to_string()
    }

    pub fn cache_url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.redis.addr().port())
    }
}

async fn serve(
    listener: TcpListener,
    addr: SocketAddr,
    upstream: SocketAddr,
    mode: Arc<watch::Sender<Mode>>,
) {
    let mut listener = Some(listener);
    let mut changes = mode.subscribe();
    loop {
        let current = *changes.borrow_and_update();
        // Refusing means no socket at all on the port, as with a stopped server.
        if current == Mode::Refuse {
            listener = None;
            if changes.changed().await.is_err() {
                return;
            }
            continue;
        }
        if listener.is_none() {
            match TcpListener::bind(addr).await {
                Ok(bound) => listener = Some(bound),
                Err(_) => {
                    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                    continue;
                }
            }
        }
        let accepting = listener.as_ref().expect("bound above");
        tokio::select! {
            accepted = accepting.accept() => {
                if let Ok((client, _)) = accepted {
                    let _ = client.set_nodelay(true);
                    tokio::spawn(connection(client, upstream, mode.subscribe()));
                }
            }
            changed = changes.changed() => {
                if changed.is_err() {
                    return;
                }
            }
        }
    }
}

/// One client connection: forwarded while passing, frozen while black-holed, cut
/// when refusing.
async fn connection(mut client: TcpStream, upstream: SocketAddr, mut mode: watch::Receiver<Mode>) {
    let mut server: Option<TcpStream> = None;
    let (mut from_client, mut from_server) = (vec![0u8; 16 * 1024], vec![0u8; 16 * 1024]);
    loop {
        let current = *mode.borrow_and_update();
        match current {
            Mode::Refuse => return,
            Mode::BlackHole => {
                // A partition: nothing moves either way; what the client sends waits in
                // the socket buffers, as packets would be retransmitted, and flows once
                // the proxy passes again.
                if mode.changed().await.is_err() {
                    return;
                }
            }
            Mode::Pass => {
                if server.is_none() {
                    match TcpStream::connect(upstream).await {
                        Ok(stream) => {
                            let _ = stream.set_nodelay(true);
                            server = Some(stream);
                        }
                        Err(_) => return,
                    }
                }
                let upstream_stream = server.as_mut().unwrap();
                tokio::select! {
                    read = client.read(&mut from_client) => match read {
                        Ok(0) | Err(_) => return,
                        Ok(n) => if upstream_stream.write_all(&from_client[..n]).await.is_err() { return },
                    },
                    read = upstream_stream.read(&mut from_server) => match read {
                        Ok(0) | Err(_) => return,
                        Ok(n) => if client.write_all(&from_server[..n]).await.is_err() { return },
                    },
                    changed = mode.changed() => if changed.is_err() { return },
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    async fn echo_server() -> SocketAddr {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                tokio::spawn(async move {
                    let mut buffer = [0u8; 1024];
                    while let Ok(n) = socket.read(&mut buffer).await {
                        if n == 0 || socket.write_all(&buffer[..n]).await.is_err() {
                            break;
                        }
                    }
                });
            }
        });
        addr
    }

    async fn round_trip(stream: &mut TcpStream) -> Option<Vec<u8>> {
        stream.write_all(b"ping").await.ok()?;
        let mut answer = [0u8; 4];
        match tokio::time::timeout(Duration::from_millis(300), stream.read_exact(&mut answer)).await
        {
            Ok(Ok(_)) => Some(answer.to_vec()),
            _ => None,
        }
    }

    #[tokio::test]
    async fn passes_refuses_and_black_holes() {
        let proxy = FaultProxy::start(echo_server().await).await;
        let mut open = TcpStream::connect(proxy.addr()).await.unwrap();
        assert_eq!(round_trip(&mut open).await.as_deref(), Some(&b"ping"[..]));

        // Black hole: the open connection freezes, a new one connects but hears nothing.
        proxy.set(Mode::BlackHole);
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert_eq!(round_trip(&mut open).await, None);
        let mut new = TcpStream::connect(proxy.addr()).await.unwrap();
        assert_eq!(round_trip(&mut new).await, None);

        // Refuse: no one listens, and the open connection is cut.
        proxy.set(Mode::Refuse);
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(TcpStream::connect(proxy.addr()).await.is_err());
        let mut buffer = [0u8; 8];
        assert!(matches!(open.read(&mut buffer).await, Ok(0) | Err(_)));

        // Back: the same port answers again.
        proxy.set(Mode::Pass);
        tokio::time::sleep(Duration::from_millis(50)).await;
        let mut again = TcpStream::connect(proxy.addr()).await.unwrap();
        assert_eq!(round_trip(&mut again).await.as_deref(), Some(&b"ping"[..]));
    }
}
