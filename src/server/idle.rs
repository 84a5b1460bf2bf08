//! Connection idleness, as kube-apiserver's `IdleTimeout` (90 s) bounds it: a connection with
//! no request in flight for that long — idle between requests, silent after its TLS
//! handshake, or an HTTP/2 connection without streams — is shut down gracefully (HTTP/2: a
//! GOAWAY). A request counts as in flight from its head until its response body is done or
//! dropped, so a long watch keeps its connection.
//!
//! HTTP/1.1 heads, as kube-apiserver's `ReadHeaderTimeout` (32 s) bounds them: the first
//! request's head must be complete that long after the handshake, a later one that long
//! after its first byte arrived (Go's `conn.serve`: the idle wait, then `readRequest`'s
//! deadline); a connection whose head is late is closed.

use bytes::Bytes;
use std::convert::Infallible;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::Relaxed};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

/// Requests in flight on one connection and when the last one started or ended.
pub struct Activity {
    start: Instant,
    in_flight: AtomicUsize,
    /// Milliseconds after `start` of the last request start or end.
    last_ms: AtomicU64,
    /// Milliseconds after `start` when the head being read began ([`NO_HEAD`]: none is).
    head_since_ms: AtomicU64,
    /// Bytes read from the connection (counted up to the HTTP/2 preface's length).
    bytes: AtomicU64,
    /// Wakes [`serve_until_idle`] when a head begins (its deadline is then the nearer one).
    head_began: tokio::sync::Notify,
}

const NO_HEAD: u64 = u64::MAX;
/// `PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n`: the first bytes of an HTTP/2 client.
const H2_PREFACE_LEN: u64 = 24;

impl Activity {
    pub fn new() -> Arc<Activity> {
        Arc::new(Activity {
            start: Instant::now(),
            in_flight: AtomicUsize::new(0),
            last_ms: AtomicU64::new(0),
            // the first head is timed from the connection's start
            head_since_ms: AtomicU64::new(0),
            head_began: tokio::sync::Notify::new(),
            bytes: AtomicU64::new(0),
        })
    }

    fn now_ms(&self) -> u64 {
        self.start.elapsed().as_millis() as u64
    }

    fn touch(&self) {
        self.last_ms.store(self.now_ms(), Relaxed);
    }

    /// `n` bytes arrived: with no request in flight and no head being read, a head begins.
    fn bytes_read(&self, n: usize) {
        if self.bytes.load(Relaxed) < H2_PREFACE_LEN {
            self.bytes.fetch_add(n as u64, Relaxed);
        }
        if self.in_flight.load(Relaxed) == 0 && self.head_since_ms.load(Relaxed) == NO_HEAD {
            self.head_since_ms.store(self.now_ms(), Relaxed);
            self.head_began.notify_one();
        }
    }

    /// How long the HTTP/2 client preface may still take to arrive under `timeout` (zero: it
    /// is late); `None` once it has.
    pub fn preface_deadline_in(&self, timeout: Duration) -> Option<Duration> {
        (self.bytes.load(Relaxed) < H2_PREFACE_LEN)
            .then(|| timeout.saturating_sub(self.start.elapsed()))
    }

    /// How long the head being read may still take to be complete under `timeout` (zero:
    /// it is late); `None` while no head is being read.
    pub fn head_deadline_in(&self, timeout: Duration) -> Option<Duration> {
        let since = self.head_since_ms.load(Relaxed);
        (since != NO_HEAD).then(|| {
            timeout.saturating_sub(Duration::from_millis(self.now_ms().saturating_sub(since)))
        })
    }

    /// A request has started: in flight until the returned guard is dropped (keep it with
    /// the response body, [`Tracked`]).
    pub fn begin(self: &Arc<Activity>) -> InFlight {
        self.in_flight.fetch_add(1, Relaxed);
        self.head_since_ms.store(NO_HEAD, Relaxed);
        self.touch();
        InFlight(self.clone())
    }

    /// How long until the connection has been idle for `timeout` (zero: it has); `timeout`
    /// while a request is in flight (checked again then).
    pub fn idle_deadline_in(&self, timeout: Duration) -> Duration {
        if self.in_flight.load(Relaxed) > 0 {
            return timeout;
        }
        let idle = self
            .start
            .elapsed()
            .saturating_sub(Duration::from_millis(self.last_ms.load(Relaxed)));
        timeout.saturating_sub(idle)
    }
}

/// One request in flight (see [`Activity::begin`]).
pub struct InFlight(Arc<Activity>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.touch();
        self.0.in_flight.fetch_sub(1, Relaxed);
    }
}

/// A response body that keeps its request in flight until it is done or dropped.
pub struct Tracked {
    pub inner: super::Body,
    pub _in_flight: InFlight,
}

impl hyper::body::Body for Tracked {
    type Data = Bytes;
    type Error = Infallible;
    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<hyper::body::Frame<Bytes>, Infallible>>> {
        Pin::new(&mut self.inner).poll_frame(cx)
    }
    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }
    fn size_hint(&self) -> hyper::body::SizeHint {
        self.inner.size_hint()
    }
}

/// The connection's stream, telling [`Activity`] when bytes arrive (the start of a head).
pub struct Watched<S> {
    pub inner: S,
    pub activity: Arc<Activity>,
}

impl<S: tokio::io::AsyncRead + Unpin> tokio::io::AsyncRead for Watched<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let r = Pin::new(&mut self.inner).poll_read(cx, buf);
        let n = buf.filled().len() - before;
        if n > 0 {
            self.activity.bytes_read(n);
        }
        r
    }
}

impl<S: tokio::io::AsyncWrite + Unpin> tokio::io::AsyncWrite for Watched<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }
    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }
    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// How a connection is bounded in time (see the module doc).
#[derive(Clone, Copy)]
pub struct Timeouts {
    /// No request in flight this long: shut down gracefully.
    pub idle: Duration,
    /// A head not complete this long after it began: closed (HTTP/1.1 only).
    pub head: Option<Duration>,
    /// No HTTP/2 client preface this long after the handshake: closed (HTTP/2 only).
    pub preface: Option<Duration>,
    /// A graceful shutdown not done this long after it began: closed.
    pub grace: Duration,
}

/// Serve a connection until it ends, bounded by `t`.
pub async fn serve_until_idle<C>(served: C, activity: &Activity, t: Timeouts)
where
    C: hyper_util::server::graceful::GracefulConnection,
{
    tokio::pin!(served);
    let head_left = || t.head.and_then(|h| activity.head_deadline_in(h));
    let preface_left = || t.preface.and_then(|p| activity.preface_deadline_in(p));
    let mut shutting = false;
    loop {
        let wait = if shutting {
            t.grace
        } else {
            [head_left(), preface_left()]
                .into_iter()
                .flatten()
                .fold(activity.idle_deadline_in(t.idle), Duration::min)
        };
        tokio::select! {
            _ = served.as_mut() => break,
            _ = activity.head_began.notified(), if t.head.is_some() && !shutting => {}
            _ = tokio::time::sleep(wait) => {
                if shutting {
                    break;
                }
                // a late head or preface: closed, as Go's failed `readRequest` or
                // `readPreface` closes it
                if head_left() == Some(Duration::ZERO) || preface_left() == Some(Duration::ZERO) {
                    break;
                }
                if activity.idle_deadline_in(t.idle).is_zero() {
                    served.as_mut().graceful_shutdown();
                    shutting = true;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idle_only_without_requests_in_flight() {
        let a = Activity::new();
        let t = Duration::from_secs(90);
        assert!(a.idle_deadline_in(t) <= t);
        let g = a.begin();
        assert_eq!(a.idle_deadline_in(t), t, "in flight: never idle");
        drop(g);
        let left = a.idle_deadline_in(t);
        assert!(
            left > Duration::from_secs(89),
            "{left:?}: counted from the request's end"
        );
        assert_eq!(a.idle_deadline_in(Duration::ZERO), Duration::ZERO);
    }

    #[test]
    fn a_head_is_timed_from_the_start_then_from_its_first_bytes() {
        let a = Activity::new();
        let t = Duration::from_secs(32);
        assert!(
            a.head_deadline_in(t).is_some(),
            "the first head: from the start"
        );
        let g = a.begin();
        assert_eq!(a.head_deadline_in(t), None, "a request is in flight");
        a.bytes_read(100); // its body
        assert_eq!(a.head_deadline_in(t), None);
        drop(g);
        assert_eq!(a.head_deadline_in(t), None, "idle: no head yet");
        a.bytes_read(1);
        assert!(a.head_deadline_in(t).unwrap() > Duration::from_secs(31));
        assert_eq!(a.head_deadline_in(Duration::ZERO), Some(Duration::ZERO));
    }

    #[test]
    fn the_http2_preface_is_awaited_until_24_bytes_came() {
        let a = Activity::new();
        let t = Duration::from_secs(10);
        assert!(a.preface_deadline_in(t).unwrap() > Duration::from_secs(9));
        a.bytes_read(23);
        assert_eq!(a.preface_deadline_in(Duration::ZERO), Some(Duration::ZERO));
        a.bytes_read(1);
        assert_eq!(a.preface_deadline_in(t), None);
    }
}
