//! Connection idleness, as kube-apiserver's `IdleTimeout` (90 s) bounds it: a connection with
//! no request in flight for that long — idle between requests, silent after its TLS
//! handshake, or an HTTP/2 connection without streams — is shut down gracefully (HTTP/2: a
//! GOAWAY). A request counts as in flight from its head until its response body is done or
//! dropped, so a long watch keeps its connection.

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
}

impl Activity {
    pub fn new() -> Arc<Activity> {
        Arc::new(Activity {
            start: Instant::now(),
            in_flight: AtomicUsize::new(0),
            last_ms: AtomicU64::new(0),
        })
    }

    fn touch(&self) {
        self.last_ms
            .store(self.start.elapsed().as_millis() as u64, Relaxed);
    }

    /// A request has started: in flight until the returned guard is dropped (keep it with
    /// the response body, [`Tracked`]).
    pub fn begin(self: &Arc<Activity>) -> InFlight {
        self.in_flight.fetch_add(1, Relaxed);
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
}
