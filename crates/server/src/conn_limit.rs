//! A listener that sheds connections before the process runs out of file descriptors.
//!
//! Every connection is a descriptor, and so is every database file, WAL and socket to
//! PostgreSQL. A server that accepts until `accept` fails with `EMFILE` fails somewhere
//! else first: a commit that cannot open its file fails, and with it every request of
//! that batch. So the listener keeps a count of open connections and, past a limit that
//! leaves room for the store ([`auto_limit`]), answers new ones at once with `503`, a
//! `Retry-After` and the error shape, then closes them: clients retry, and nothing that
//! is already connected suffers.
//!
//! Two more guards against a hostile client: one address (other than loopback, where a
//! reverse proxy on the same machine lives) holds at most a share of the connections,
//! and a connection that does not finish a request's headers within a few seconds of
//! opening, or of its previous answer, is closed ([`serve`]). Without them a few hundred
//! connections that send one byte a minute hold the server's descriptors.

use std::collections::HashMap;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::{TcpListener, TcpStream};

/// Descriptors kept out of the connection budget: the store's files and pools, outbound
/// webhooks, logs, and some slack.
pub const RESERVED: usize = 256;

/// Open connections and refusals, for `/metrics`.
#[derive(Debug, Default)]
pub struct Gauge {
    pub open: AtomicUsize,
    pub refused: AtomicU64,
    /// Connections refused because their address held its share.
    pub refused_per_address: AtomicU64,
    /// The limit in force (0 until the listener starts).
    pub max: AtomicUsize,
}

/// The connection limit a process with this open-file limit can afford.
pub fn limit_for(open_files: usize) -> usize {
    open_files.saturating_sub(RESERVED).max(64)
}

/// The limit from this process's soft open-file limit (Linux: `/proc/self/limits`;
/// elsewhere 10,000).
pub fn auto_limit() -> usize {
    let soft = std::fs::read_to_string("/proc/self/limits")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Max open files"))
                .and_then(|l| l.split_whitespace().nth(3).map(str::to_string))
        })
        .and_then(|n| n.parse::<usize>().ok());
    match soft {
        Some(n) => limit_for(n),
        None => 10_000,
    }
}

/// The answer to a connection over the limit.
const REFUSAL: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\n\
content-type: application/json\r\n\
retry-after: 1\r\n\
connection: close\r\n\
content-length: 116\r\n\r\n\
{\"error\":{\"code\":\"unavailable\",\"message\":\"the server is at its connection limit; retry in a moment\",\"details\":null}}";

/// Open connections per address.
type Held = Arc<Mutex<HashMap<IpAddr, usize>>>;

/// A TCP listener that refuses connections past `max` open ones, and past
/// `per_address` from one address other than loopback (0: no such limit).
pub struct Limited {
    inner: TcpListener,
    max: usize,
    per_address: usize,
    gauge: Arc<Gauge>,
    by_address: Held,
}

impl Limited {
    pub fn new(inner: TcpListener, max: usize, gauge: Arc<Gauge>) -> Limited {
        gauge.max.store(max, Ordering::Relaxed);
        Limited {
            inner,
            max,
            per_address: 0,
            gauge,
            by_address: Arc::default(),
        }
    }

    /// At most `n` open connections from one address other than loopback.
    pub fn per_address(mut self, n: usize) -> Limited {
        self.per_address = n;
        self
    }

    /// Counts a new connection from `ip` against its address's share; false if full.
    fn admit(&self, ip: IpAddr) -> bool {
        if self.per_address == 0 || ip.is_loopback() {
            return true;
        }
        let mut held = self.by_address.lock().unwrap_or_else(|p| p.into_inner());
        let n = held.entry(ip).or_insert(0);
        if *n >= self.per_address {
            return false;
        }
        *n += 1;
        true
    }
}

impl axum::serve::Listener for Limited {
    type Io = Counted;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Counted, SocketAddr) {
        loop {
            let (stream, addr) = match self.inner.accept().await {
                Ok(x) => x,
                Err(e) => {
                    // Out of descriptors after all (other files), or a transient error.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            };
            if self.gauge.open.load(Ordering::Relaxed) >= self.max {
                self.gauge.refused.fetch_add(1, Ordering::Relaxed);
                tokio::spawn(refuse(stream));
                continue;
            }
            if !self.admit(addr.ip()) {
                self.gauge
                    .refused_per_address
                    .fetch_add(1, Ordering::Relaxed);
                tokio::spawn(refuse(stream));
                continue;
            }
            self.gauge.open.fetch_add(1, Ordering::Relaxed);
            let counted_ip = (self.per_address > 0 && !addr.ip().is_loopback())
                .then(|| (addr.ip(), self.by_address.clone()));
            return (
                Counted {
                    inner: stream,
                    gauge: self.gauge.clone(),
                    address: counted_ip,
                },
                addr,
            );
        }
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.local_addr()
    }
}

async fn refuse(mut stream: TcpStream) {
    let _ = tokio::time::timeout(Duration::from_secs(2), async {
        let _ = stream.write_all(REFUSAL).await;
        let _ = stream.shutdown().await;
    })
    .await;
}

/// An accepted connection that gives its place back when it closes.
pub struct Counted {
    inner: TcpStream,
    gauge: Arc<Gauge>,
    /// The address whose share this connection holds, when one is kept.
    address: Option<(IpAddr, Held)>,
}

impl Drop for Counted {
    fn drop(&mut self) {
        self.gauge.open.fetch_sub(1, Ordering::Relaxed);
        if let Some((ip, held)) = self.address.take() {
            give_back(&held, ip);
        }
    }
}

/// One connection from `ip` closed: its share is free again.
fn give_back(held: &Mutex<HashMap<IpAddr, usize>>, ip: IpAddr) {
    let mut held = held.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(n) = held.get_mut(&ip) {
        *n -= 1;
        if *n == 0 {
            held.remove(&ip);
        }
    }
}

/// Shares of something scarce held per key (a chat's customer sockets, a session's
/// staff sockets): at most `max` at once for one key. A share is given back when its
/// guard drops.
#[derive(Debug)]
pub struct Shares {
    max: usize,
    held: Arc<Mutex<HashMap<uuid::Uuid, usize>>>,
}

/// One share taken from [`Shares`].
#[derive(Debug)]
pub struct Share {
    key: uuid::Uuid,
    held: Arc<Mutex<HashMap<uuid::Uuid, usize>>>,
}

impl Shares {
    pub fn new(max: usize) -> Shares {
        Shares {
            max,
            held: Arc::default(),
        }
    }

    /// A share for `key`, or `None` when it holds `max` already.
    pub fn take(&self, key: uuid::Uuid) -> Option<Share> {
        let mut held = self.held.lock().unwrap_or_else(|p| p.into_inner());
        let n = held.entry(key).or_insert(0);
        if *n >= self.max {
            return None;
        }
        *n += 1;
        Some(Share {
            key,
            held: self.held.clone(),
        })
    }
}

impl Drop for Share {
    fn drop(&mut self) {
        let mut held = self.held.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(n) = held.get_mut(&self.key) {
            *n -= 1;
            if *n == 0 {
                held.remove(&self.key);
            }
        }
    }
}

/// Serves `router` on `listener` over HTTP/1.1 (with upgrades, for WebSockets) until
/// `shutdown` resolves, then lets answers in flight finish (at most 30 s). A connection
/// must send a whole request head within `header_timeout` of opening and of each answer,
/// or it is closed: that bounds both slow headers and idle keep-alive connections.
pub async fn serve(
    mut listener: Limited,
    router: axum::Router,
    header_timeout: Duration,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    use hyper_util::rt::{TokioIo, TokioTimer};
    use tower::ServiceExt as _;

    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(header_timeout)
        .keep_alive(true);
    // Every connection task holds a sender: when all are dropped, all have finished.
    let (alive, mut all_done) = tokio::sync::mpsc::channel::<()>(1);
    let (stop, stopping) = tokio::sync::watch::channel(false);
    tokio::pin!(shutdown);
    loop {
        let (io, addr) = tokio::select! {
            c = axum::serve::Listener::accept(&mut listener) => c,
            _ = &mut shutdown => break,
        };
        let _ = io.inner.set_nodelay(true);
        let router = router.clone();
        let service =
            hyper::service::service_fn(move |mut req: hyper::Request<hyper::body::Incoming>| {
                req.extensions_mut()
                    .insert(axum::extract::ConnectInfo(addr));
                router.clone().oneshot(req.map(axum::body::Body::new))
            });
        let conn = http
            .serve_connection(TokioIo::new(io), service)
            .with_upgrades();
        let alive = alive.clone();
        let mut stopping = stopping.clone();
        tokio::spawn(async move {
            tokio::pin!(conn);
            let stop_asked = async move {
                let _ = stopping.wait_for(|s| *s).await;
            };
            tokio::select! {
                _ = conn.as_mut() => {}
                () = stop_asked => {
                    // Finish the answer in flight, take no new request.
                    conn.as_mut().graceful_shutdown();
                    let _ = conn.await;
                }
            }
            drop(alive);
        });
    }
    drop(listener);
    let _ = stop.send(true);
    drop(alive);
    if tokio::time::timeout(Duration::from_secs(30), all_done.recv())
        .await
        .is_err()
    {
        tracing::warn!("answers still in flight after 30 s; stopping anyway");
    }
    Ok(())
}

impl AsyncRead for Counted {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for Counted {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }
    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_refusal_is_a_whole_http_answer_in_the_error_shape() {
        let text = std::str::from_utf8(REFUSAL).unwrap();
        let (head, body) = text.split_once("\r\n\r\n").unwrap();
        let len: usize = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length: "))
            .unwrap()
            .parse()
            .unwrap();
        assert_eq!(len, body.len());
        let v: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(v["error"]["code"], "unavailable");
    }

    #[test]
    fn the_limit_leaves_room_for_the_store() {
        assert_eq!(limit_for(20_000), 20_000 - RESERVED);
        assert_eq!(limit_for(1024), 1024 - RESERVED);
        assert_eq!(limit_for(100), 64);
        assert!(auto_limit() >= 64);
    }

    #[tokio::test]
    async fn one_address_holds_at_most_its_share_and_loopback_is_not_counted() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let limited = Limited::new(listener, 100, Arc::new(Gauge::default())).per_address(2);
        let ip: IpAddr = "203.0.113.7".parse().unwrap();
        assert!(limited.admit(ip));
        assert!(limited.admit(ip));
        assert!(!limited.admit(ip), "a third from the same address");
        assert!(
            limited.admit("203.0.113.8".parse().unwrap()),
            "another address"
        );
        for _ in 0..10 {
            assert!(limited.admit(IpAddr::from([127, 0, 0, 1])), "loopback");
        }
        give_back(&limited.by_address, ip);
        assert!(limited.admit(ip), "one closed, one more may open");
        assert!(!limited.admit(ip));
    }

    #[tokio::test]
    async fn connections_that_never_finish_their_headers_are_closed() {
        use tokio::io::AsyncReadExt;
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let gauge = Arc::new(Gauge::default());
        let limited = Limited::new(listener, 100, gauge.clone());
        let router = axum::Router::new().route("/", axum::routing::get(|| async { "hi" }));
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(serve(
            limited,
            router,
            Duration::from_millis(300),
            async move {
                let _ = stopped.await;
            },
        ));
        // One sends half a request head, one sends nothing at all.
        let mut slow = TcpStream::connect(addr).await.unwrap();
        slow.write_all(b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ")
            .await
            .unwrap();
        let mut silent = TcpStream::connect(addr).await.unwrap();
        // A well-behaved client is answered meanwhile.
        let mut ok = TcpStream::connect(addr).await.unwrap();
        ok.write_all(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .await
            .unwrap();
        let mut answer = String::new();
        ok.read_to_string(&mut answer).await.unwrap();
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
        assert!(answer.ends_with("hi"), "{answer}");
        // The server closes both (the read ends), well before the test gives up.
        for conn in [&mut slow, &mut silent] {
            let mut rest = Vec::new();
            let closed =
                tokio::time::timeout(Duration::from_secs(10), conn.read_to_end(&mut rest)).await;
            assert!(closed.is_ok(), "still open after 10 s");
        }
        // Their places are given back.
        for _ in 0..100 {
            if gauge.open.load(Ordering::Relaxed) == 0 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert_eq!(gauge.open.load(Ordering::Relaxed), 0);
        let _ = stop.send(());
        server.await.unwrap().unwrap();
    }

    #[tokio::test]
    async fn connections_past_the_limit_get_503_and_those_inside_keep_working() {
        use tokio::io::AsyncReadExt;
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let gauge = Arc::new(Gauge::default());
        let mut limited = Limited::new(listener, 2, gauge.clone());
        let accepted = tokio::spawn(async move {
            let mut kept = Vec::new();
            for _ in 0..2 {
                kept.push(axum::serve::Listener::accept(&mut limited).await.0);
            }
            // Keep accepting (and refusing) in the background.
            let more = tokio::spawn(async move {
                let c = axum::serve::Listener::accept(&mut limited).await;
                drop(c);
            });
            (kept, more)
        });
        let _a = TcpStream::connect(addr).await.unwrap();
        let _b = TcpStream::connect(addr).await.unwrap();
        let (kept, more) = accepted.await.unwrap();
        assert_eq!(gauge.open.load(Ordering::Relaxed), 2);
        let mut c = TcpStream::connect(addr).await.unwrap();
        let mut answer = String::new();
        c.read_to_string(&mut answer).await.unwrap();
        assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
        assert!(answer.contains("retry-after: 1"));
        assert_eq!(gauge.refused.load(Ordering::Relaxed), 1);
        // One closes: the next connection is accepted.
        drop(kept);
        assert_eq!(gauge.open.load(Ordering::Relaxed), 0);
        let _d = TcpStream::connect(addr).await.unwrap();
        more.await.unwrap();
        assert_eq!(gauge.refused.load(Ordering::Relaxed), 1);
    }
}
