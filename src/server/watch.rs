//! Watch streams: newline-delimited JSON events over a chunked (HTTP/1.1) or streamed (h2)
//! response, one event per chunk. Initial ADDED events come from the core for `rv` 0/empty;
//! later events come from `Cluster::watch_poll` whenever a write bumps the change counter.
//! Table watches carry one-row Tables, with column definitions in the first event only.

use super::negotiation;
use super::State;
use crate::api::{EventType, WatchEvent};
use crate::sim::WatchStream;
use bytes::Bytes;
use serde_json::json;
use std::convert::Infallible;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

/// Server cap on a watch without `timeoutSeconds` (real apiservers pick 30–60 min).
pub const DEFAULT_WATCH_TIMEOUT: Duration = Duration::from_secs(30 * 60);
/// Bookmark interval (wall time) for watches that allow bookmarks.
pub const BOOKMARK_INTERVAL: Duration = Duration::from_secs(10);

/// A response body fed from a channel: each message is one chunk, flushed on arrival.
pub struct ChannelBody {
    pub rx: tokio::sync::mpsc::Receiver<Bytes>,
}

impl hyper::body::Body for ChannelBody {
    type Data = Bytes;
    type Error = Infallible;
    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<hyper::body::Frame<Bytes>, Infallible>>> {
        self.rx
            .poll_recv(cx)
            .map(|o| o.map(|b| Ok(hyper::body::Frame::data(b))))
    }
}

/// How events are rendered.
pub struct Render {
    /// `Some(resource)` for Table watches.
    pub table_resource: Option<String>,
    /// `sendInitialEvents=true` with bookmarks: mark the end of the initial events with a
    /// BOOKMARK annotated `k8s.io/initial-events-end: "true"` (the watch-list protocol).
    pub initial_events_end: bool,
    first: bool,
}

/// Annotation of the bookmark that ends the initial events of a watch-list.
pub const INITIAL_EVENTS_END: &str = "k8s.io/initial-events-end";

impl Render {
    pub fn new(table_resource: Option<String>) -> Self {
        Render {
            table_resource,
            initial_events_end: false,
            first: true,
        }
    }
    fn line(&mut self, e: WatchEvent, now: crate::api::Time) -> Bytes {
        let object = match (&self.table_resource, e.type_) {
            (Some(res), EventType::Added | EventType::Modified | EventType::Deleted) => {
                let t = negotiation::table(res, &e.object, now, self.first);
                self.first = false;
                t
            }
            _ => e.object,
        };
        let mut s = serde_json::to_string(&json!({"type": e.type_.as_str(), "object": object}))
            .expect("json");
        s.push('\n');
        Bytes::from(s)
    }
}

/// Drive one watch until the client goes away, the timeout passes or the history expires.
pub async fn run(
    state: Arc<State>,
    stream: WatchStream,
    mut render: Render,
    timeout: Duration,
    tx: tokio::sync::mpsc::Sender<Bytes>,
) {
    let mut changed = state.changed.subscribe();
    let mut cursor = stream.cursor;
    let now = state.with_cluster(|c| c.now());
    for e in stream.initial {
        if tx.send(render.line(e, now)).await.is_err() {
            return;
        }
    }
    if render.initial_events_end {
        if let Some(mut b) = state.with_cluster(|c| c.bookmark(&cursor)) {
            b.object["metadata"]["annotations"] = json!({ INITIAL_EVENTS_END: "true" });
            if tx.send(render.line(b, now)).await.is_err() {
                return;
            }
        }
    }
    let deadline = tokio::time::Instant::now() + timeout;
    let mut bookmarks = tokio::time::interval_at(
        tokio::time::Instant::now() + BOOKMARK_INTERVAL,
        BOOKMARK_INTERVAL,
    );
    loop {
        let (polled, now) = state.with_cluster(|c| (c.watch_poll(&mut cursor), c.now()));
        match polled {
            Ok(events) => {
                // group commit: show only what is flushed
                if !events.is_empty() && state.wait_durable().await.is_err() {
                    return;
                }
                for e in events {
                    if tx.send(render.line(e, now)).await.is_err() {
                        return;
                    }
                }
            }
            Err(status) => {
                let e = WatchEvent {
                    type_: EventType::Error,
                    object: serde_json::to_value(status).expect("status"),
                };
                let _ = tx.send(render.line(e, now)).await;
                return;
            }
        }
        tokio::select! {
            r = changed.changed() => { if r.is_err() { return; } }
            _ = tokio::time::sleep_until(deadline) => return,
            _ = bookmarks.tick(), if cursor.bookmarks => {
                let b = state.with_cluster(|c| c.bookmark(&cursor));
                if let Some(b) = b {
                    if tx.send(render.line(b, now)).await.is_err() { return; }
                }
            }
            _ = tx.closed() => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    fn ev(t: EventType, name: &str) -> WatchEvent {
        WatchEvent {
            type_: t,
            object: json!({"kind": "CertificateSigningRequest", "metadata": {"name": name, "resourceVersion": "5"}, "spec": {"request": ""}}),
        }
    }

    #[test]
    fn table_watch_has_columns_in_first_event_only() {
        let mut r = Render::new(Some("certificatesigningrequests".into()));
        let now = crate::api::Time(0);
        let first: Value = serde_json::from_slice(&r.line(ev(EventType::Added, "a"), now)).unwrap();
        let second: Value =
            serde_json::from_slice(&r.line(ev(EventType::Deleted, "a"), now)).unwrap();
        assert_eq!(first["type"], "ADDED");
        assert_eq!(first["object"]["kind"], "Table");
        assert_eq!(
            first["object"]["columnDefinitions"]
                .as_array()
                .unwrap()
                .len(),
            6
        );
        assert_eq!(first["object"]["metadata"]["resourceVersion"], "5");
        assert_eq!(second["type"], "DELETED");
        assert!(second["object"]["columnDefinitions"].is_null());
        assert_eq!(second["object"]["rows"][0]["cells"][0], "a");
        // ERROR events stay Status objects; lines end with a newline.
        let st = WatchEvent {
            type_: EventType::Error,
            object: serde_json::to_value(crate::api::Status::expired(
                "too old resource version: 1 (2)",
            ))
            .unwrap(),
        };
        let line = r.line(st, now);
        assert!(line.ends_with(b"\n"));
        let e: Value = serde_json::from_slice(&line).unwrap();
        assert_eq!(
            (e["object"]["kind"].as_str(), e["object"]["code"].as_u64()),
            (Some("Status"), Some(410))
        );
    }

    #[test]
    fn plain_watch_passes_objects_through() {
        let mut r = Render::new(None);
        let e: Value =
            serde_json::from_slice(&r.line(ev(EventType::Modified, "b"), crate::api::Time(0)))
                .unwrap();
        assert_eq!(e["object"]["kind"], "CertificateSigningRequest");
    }
}
