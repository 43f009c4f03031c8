//! A listener that sheds connections before the process runs out of file descriptors.
//!
//! Every connection is a descriptor, and so is every database file, WAL and socket to
//! PostgreSQL. A server that accepts until `accept` fails with `EMFILE` fails somewhere
//! else first: a commit that cannot open its file fails, and with it every request of
//! that batch. So the listener keeps a count of open connections and, past a limit that
//! leaves room for the store ([`auto_limit`]), answers new ones at once with `503`, a
//! `Retry-After` and the error shape, then closes them: clients retry, and nothing that
//! is already connected suffers.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
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

/// A TCP listener that refuses connections past `max` open ones.
pub struct Limited {
    inner: TcpListener,
    max: usize,
    gauge: Arc<Gauge>,
}

impl Limited {
    pub fn new(inner: TcpListener, max: usize, gauge: Arc<Gauge>) -> Limited {
        gauge.max.store(max, Ordering::Relaxed);
        Limited { inner, max, gauge }
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
            self.gauge.open.fetch_add(1, Ordering::Relaxed);
            return (
                Counted {
                    inner: stream,
                    gauge: self.gauge.clone(),
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
}

impl Drop for Counted {
    fn drop(&mut self) {
        self.gauge.open.fetch_sub(1, Ordering::Relaxed);
    }
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
