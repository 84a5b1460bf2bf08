//! Watch streams: newline-delimited JSON events over a chunked (HTTP/1.1) or streamed (h2)
//! response; events that arrive together go out in one write (as the apiserver, which flushes
//! only when no further event is queued), each chunk holding whole events. Initial ADDED events come from the core for `rv` 0/empty;
//! later events come from the [`Hub`], which reads the event log once per change for every
//! watcher (a watch behind it reads the log itself with `Cluster::watch_poll`).
//! Table watches carry one-row Tables, with column definitions in the first event only.

use super::negotiation;
use super::State;
use crate::api::{EventType, WatchEvent};
use crate::sim::{WatchFilter, WatchStream};
use bytes::Bytes;
use serde_json::{json, Value};
use std::convert::Infallible;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

/// Server cap on a watch without `timeoutSeconds` (real apiservers pick 30–60 min).
pub const DEFAULT_WATCH_TIMEOUT: Duration = Duration::from_secs(30 * 60);
/// How long a watch runs for its `timeoutSeconds`, as the watch handler reads it: none or 0 is
/// the server's cap; a negative one is a timer of a negative duration, which Go fires at once
/// (the watch ends right after its initial events).
pub fn watch_timeout(timeout_seconds: Option<i64>) -> Duration {
    match timeout_seconds {
        None | Some(0) => DEFAULT_WATCH_TIMEOUT,
        Some(t) if t < 0 => Duration::ZERO,
        Some(t) => Duration::from_secs(t as u64),
    }
}

/// Bookmark interval (wall time) for watches that allow bookmarks: the cacher's
/// `defaultBookmarkFrequency` (`storage/cacher/cacher.go`), one minute.
pub const BOOKMARK_INTERVAL: Duration = Duration::from_secs(60);

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
    /// `Some(apiVersion)` for PartialObjectMetadata watches.
    pub partial: Option<&'static str>,
    /// A Table watch's `includeObject`.
    pub include: negotiation::IncludeObject,
    /// A Table watch's Table apiVersion (`meta.k8s.io/v1` or `v1beta1`).
    pub table_version: &'static str,
    first: bool,
}

/// Annotation of the bookmark that ends the initial events of a watch-list.
pub const INITIAL_EVENTS_END: &str = "k8s.io/initial-events-end";
/// The same bookmark's `metav1.InitialEventsListBlueprintAnnotationKey` (kube-apiserver
/// v1.32.0 to v1.33: added by kubernetes#127587, removed in v1.34 by #132326; we serve v1.33).
pub const INITIAL_EVENTS_LIST_BLUEPRINT: &str = "kubernetes.io/initial-events-list-blueprint";

/// The handler's `watchListTransformer`: the empty versioned list of the watched kind
/// (`ConvertToVersion(r.NewList())`, so `items` is null) as the negotiated JSON encoder writes
/// it (with encoding/json's trailing newline), base64-encoded.
pub fn initial_events_list_blueprint(bookmark: &Value) -> String {
    use base64::Engine;
    let s = |k: &str| bookmark.get(k).and_then(Value::as_str).unwrap_or("");
    let list = format!(
        "{{\"kind\":{},\"apiVersion\":{},\"metadata\":{{}},\"items\":null}}\n",
        Value::from(format!("{}List", s("kind"))),
        Value::from(s("apiVersion")),
    );
    base64::engine::general_purpose::STANDARD.encode(list)
}

impl Render {
    pub fn new(table_resource: Option<String>) -> Self {
        Render {
            table_resource,
            initial_events_end: false,
            partial: None,
            include: negotiation::IncludeObject::Metadata,
            table_version: negotiation::TABLE_V1,
            first: true,
        }
    }
    /// A Table watch converts every event's object but an ERROR's Status (the
    /// watchEmbeddedEncoder's `doTransformObject`), a BOOKMARK's too: its object is the
    /// kind's empty object, one row of empty cells.
    fn line(&mut self, e: WatchEvent, now: crate::api::Time) -> Bytes {
        let object = match (&self.table_resource, e.type_) {
            (
                Some(res),
                EventType::Added | EventType::Modified | EventType::Deleted | EventType::Bookmark,
            ) => {
                let res = res.clone();
                self.table(&res, &e.object, now)
            }
            (None, EventType::Error) => e.object,
            (None, _) => match self.partial {
                Some(av) => negotiation::partial_object(&e.object, av),
                None => e.object,
            },
            _ => e.object,
        };
        json_line(e.type_, &object)
    }

    /// `object` as this watch's Table (column definitions in the first one only).
    fn table(&mut self, res: &str, object: &Value, now: crate::api::Time) -> Value {
        let t = negotiation::table_with(
            res,
            object,
            now,
            self.first,
            self.include,
            self.table_version,
        );
        self.first = false;
        t
    }

    /// Whether each event is rendered for this watch (a Table or PartialObjectMetadata)
    /// rather than sent as the shared line.
    fn transforms(&self) -> bool {
        self.table_resource.is_some() || self.partial.is_some()
    }
    /// The line of a hub event for a Table watch (its row rendered for this watch).
    fn line_of(&mut self, e: &SharedEvent, now: crate::api::Time) -> Bytes {
        match (&self.table_resource, e.type_) {
            (Some(res), EventType::Added | EventType::Modified | EventType::Deleted) => {
                let res = res.clone();
                let t = self.table(&res, &e.object, now);
                json_line(e.type_, &t)
            }
            (None, t) if t != EventType::Error && self.partial.is_some() => json_line(
                t,
                &negotiation::partial_object(&e.object, self.partial.unwrap_or_default()),
            ),
            _ => json_line(e.type_, &e.object),
        }
    }
}

/// One event of the log, shared by every watcher: parsed once and rendered to its JSON
/// watch line once, however many watchers receive it.
pub struct SharedEvent {
    pub rv: u64,
    /// Store key (`group/resource/namespace/name`), for the watchers' resource filter.
    pub key: String,
    pub type_: EventType,
    pub object: Value,
    /// The stored object this write replaced (selector watches judge updates on both).
    pub prev: Option<crate::store::Bytes>,
    /// Where its line (`{"type":…,"object":…}` and a newline: what a plain JSON watch
    /// sends) is in the batch's `lines`.
    pub span: std::ops::Range<usize>,
}

/// The events with resourceVersion in `(from, to]`, all resources, as the hub read them
/// (after they were flushed: group commit).
pub struct Batch {
    pub from: u64,
    pub to: u64,
    /// Virtual time when the batch was read (Table ages).
    pub now: crate::api::Time,
    pub events: Vec<Arc<SharedEvent>>,
    /// Every event's line, in order, in one buffer (`SharedEvent::span` says where): a
    /// watcher sends slices of it (the whole batch, usually) without copying.
    pub lines: Bytes,
    /// The flush failed: watchers end their streams (as a watcher did on its own flush error).
    pub failed: bool,
}

/// Shortest time between two batches of the hub (adds at most this to an event's delivery).
pub const HUB_MIN_INTERVAL: Duration = Duration::from_millis(5);
/// Longest wait between two batches when many watch: the interval grows by this much per
/// watcher up to [`HUB_MAX_INTERVAL`]. Each batch costs every watcher a wake-up, a TLS record
/// and a socket write (and its client a read), whatever the batch holds; with 1,000 watchers
/// 20 ms instead of 5 ms between batches cut the fan-out's CPU per event by about a fifth.
pub const HUB_INTERVAL_PER_WATCHER: Duration = Duration::from_micros(20);
pub const HUB_MAX_INTERVAL: Duration = Duration::from_millis(20);

/// The hub's pause after a batch for `watchers` receivers.
pub fn hub_interval(watchers: usize) -> Duration {
    (HUB_INTERVAL_PER_WATCHER * watchers as u32).clamp(HUB_MIN_INTERVAL, HUB_MAX_INTERVAL)
}
/// Batches kept for slow watchers (≥ 1.28 s at one batch per 5 ms); one that falls further
/// behind reads the log itself. Bounds what a stalled watcher keeps alive.
pub const HUB_CAPACITY: usize = 256;

/// Watch fan-out: one task reads the event log once per change (a short cluster lock),
/// waits until the events are durable, renders each once and broadcasts the batch; every
/// watcher filters it and sends the shared bytes. Started by the first watch.
#[derive(Default)]
pub struct Hub {
    tx: std::sync::OnceLock<tokio::sync::broadcast::Sender<Arc<Batch>>>,
}

impl Hub {
    /// A receiver of every batch from now on (starting the hub task on first use).
    pub fn subscribe(state: &Arc<State>) -> tokio::sync::broadcast::Receiver<Arc<Batch>> {
        state
            .hub
            .tx
            .get_or_init(|| {
                let (tx, _) = tokio::sync::broadcast::channel(HUB_CAPACITY);
                let changed = state.changed.subscribe();
                let from = state.with_cluster(|c| c.resource_version());
                tokio::spawn(pump(Arc::downgrade(state), tx.clone(), changed, from));
                tx
            })
            .subscribe()
    }
}

/// The hub task: ends when the server state is dropped.
async fn pump(
    state: std::sync::Weak<State>,
    tx: tokio::sync::broadcast::Sender<Arc<Batch>>,
    mut changed: tokio::sync::watch::Receiver<u64>,
    mut next: u64,
) {
    let mut last_send: Option<tokio::time::Instant> = None;
    while changed.changed().await.is_ok() {
        // At most one batch per HUB_MIN_INTERVAL: under a high write rate each batch carries
        // several events, so every watcher wakes and writes once for all of them.
        if let Some(t) = last_send {
            tokio::time::sleep_until(t + hub_interval(tx.receiver_count())).await;
        }
        let Some(state) = state.upgrade() else { return };
        let (read, to, now) = state.with_cluster(|c| {
            let to = c.resource_version();
            let read = if tx.receiver_count() == 0 {
                Err(to)
            } else {
                c.watch_log_since(next)
            };
            (read, to, c.now())
        });
        let (from, entries) = match read {
            Ok(entries) => (next, entries),
            // Compacted (or nobody listening): watchers behind `to` read the log themselves
            // and get their events or 410 Expired.
            Err(_) => (to, Vec::new()),
        };
        next = to.max(next);
        if entries.is_empty() && from == to && tx.receiver_count() == 0 {
            continue;
        }
        // group commit: show only what is flushed
        let failed = !entries.is_empty() && state.wait_durable().await.is_err();
        drop(state);
        // Render every line into one buffer, then hand each event its slice of it.
        let mut buf = Vec::with_capacity(entries.iter().map(|e| e.object.len() + 32).sum());
        let mut parsed = Vec::with_capacity(entries.len());
        for e in entries {
            let Ok(object) = serde_json::from_slice::<Value>(&e.object) else {
                continue;
            };
            let start = buf.len();
            write_json_line(&mut buf, e.type_, &object);
            parsed.push((e, object, start..buf.len()));
        }
        let lines = Bytes::from(buf);
        let events = parsed
            .into_iter()
            .map(|(e, object, span)| {
                Arc::new(SharedEvent {
                    rv: e.rv,
                    key: e.key,
                    type_: e.type_,
                    object,
                    prev: e.prev,
                    span,
                })
            })
            .collect();
        last_send = Some(tokio::time::Instant::now());
        let _ = tx.send(Arc::new(Batch {
            from,
            to,
            now,
            events,
            lines,
            failed,
        }));
    }
}

/// One watch line: `{"type":"ADDED","object":{…}}` and a newline.
fn json_line(t: EventType, object: &Value) -> Bytes {
    let mut v = Vec::new();
    write_json_line(&mut v, t, object);
    Bytes::from(v)
}

/// Append one watch line to `out`.
fn write_json_line(out: &mut Vec<u8>, t: EventType, object: &Value) {
    #[derive(serde::Serialize)]
    struct Line<'a> {
        #[serde(rename = "type")]
        type_: &'a str,
        object: &'a Value,
    }
    serde_json::to_writer(
        &mut *out,
        &Line {
            type_: t.as_str(),
            object,
        },
    )
    .expect("json");
    out.push(b'\n');
}

/// When a watch that allows bookmarks gets its next one (the cacher's `nextBookmarkTime`):
/// after the bookmark interval, but no later than 2 s before the watch's deadline (a watch
/// shorter than the interval still gets one); none once that moment has passed.
fn next_bookmark_at(
    now: tokio::time::Instant,
    deadline: tokio::time::Instant,
) -> Option<tokio::time::Instant> {
    let heartbeat = now + BOOKMARK_INTERVAL;
    let pre_timeout = deadline.checked_sub(Duration::from_secs(2))?;
    let t = heartbeat.min(pre_timeout);
    (t > now).then_some(t)
}

/// Drive one watch until the client goes away, the timeout passes or the history expires.
/// It reads the log itself at the start (resume from its resourceVersion, or 410) and
/// whenever it is behind the hub; otherwise it takes its events from the hub's batches.
pub async fn run(
    state: Arc<State>,
    stream: WatchStream,
    mut render: Render,
    timeout: Duration,
    tx: tokio::sync::mpsc::Sender<Bytes>,
) {
    // Subscribe before the first read of the log, so that no batch falls between them.
    let mut hub = Hub::subscribe(&state);
    let mut cursor = stream.cursor;
    let filter = match WatchFilter::new(&cursor) {
        Ok(f) => f,
        Err(status) => {
            let _ = tx.send(error_line(&mut render, status)).await;
            return;
        }
    };
    let now = state.with_cluster(|c| c.now());
    for e in stream.initial {
        if tx.send(render.line(e, now)).await.is_err() {
            return;
        }
    }
    if render.initial_events_end {
        if let Some(mut b) = state.with_cluster(|c| c.bookmark(&cursor)) {
            let blueprint = match render.partial {
                // `transformInitialEventsListBlueprint`: the empty list as a
                // PartialObjectMetadataList.
                Some(av) => {
                    use base64::Engine;
                    let list = format!(
                        "{{\"kind\":\"PartialObjectMetadataList\",\"apiVersion\":{},\"metadata\":{{}},\"items\":null}}\n",
                        Value::from(av)
                    );
                    base64::engine::general_purpose::STANDARD.encode(list)
                }
                None => initial_events_list_blueprint(&b.object),
            };
            b.object["metadata"]["annotations"] = json!({
                INITIAL_EVENTS_END: "true",
                INITIAL_EVENTS_LIST_BLUEPRINT: blueprint,
            });
            if tx.send(render.line(b, now)).await.is_err() {
                return;
            }
        }
    }
    // One timer for the whole watch (not one per loop turn).
    let expiry = tokio::time::sleep(timeout);
    tokio::pin!(expiry);
    let deadline = tokio::time::Instant::now() + timeout;
    let mut next_bookmark = next_bookmark_at(tokio::time::Instant::now(), deadline);
    let mut behind = true;
    loop {
        if behind {
            behind = false;
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
                    let _ = tx.send(error_line(&mut render, status)).await;
                    return;
                }
            }
        }
        tokio::select! {
            r = hub.recv() => {
                // This batch and any others already queued go out together (one write), as
                // the apiserver flushes only when no further event is queued.
                use tokio::sync::broadcast::error::{RecvError, TryRecvError};
                let mut chunk = Chunk::default();
                let mut next = r.map_err(|e| match e {
                    RecvError::Lagged(_) => TryRecvError::Lagged(0),
                    RecvError::Closed => TryRecvError::Closed,
                });
                let mut closed = false;
                loop {
                    match next {
                        Ok(batch) => {
                            if batch.failed {
                                return;
                            }
                            if cursor.rv < batch.from {
                                behind = true;
                                break;
                            }
                            let wanted =
                                |e: &SharedEvent| e.rv > cursor.rv && filter.matches_key(&e.key);
                            if render.transforms() || !filter.is_trivial() {
                                // Selectors judge an update on both objects
                                // (`convertToWatchEvent`); Tables render per watch.
                                for e in batch.events.iter().filter(|e| wanted(e)) {
                                    let prev = e.prev.as_deref().map(|b| b.as_slice());
                                    match filter.convert(e.type_, &e.object, prev, e.rv) {
                                        None => {}
                                        Some((t, None)) if t == e.type_ => {
                                            if render.transforms() {
                                                chunk.push(render.line_of(e, batch.now));
                                            } else {
                                                chunk.push(batch.lines.slice(e.span.clone()));
                                            }
                                        }
                                        Some((type_, object)) => {
                                            let object =
                                                object.unwrap_or_else(|| e.object.clone());
                                            chunk.push(
                                                render.line(WatchEvent { type_, object }, batch.now),
                                            );
                                        }
                                    }
                                }
                            } else {
                                // runs of consecutive wanted events: slices of the hub's
                                // buffer (the whole batch, in the common case), no copy
                                let mut run: Option<std::ops::Range<usize>> = None;
                                for e in &batch.events {
                                    match (&mut run, wanted(e)) {
                                        (Some(r), true) if r.end == e.span.start => {
                                            r.end = e.span.end
                                        }
                                        (_, true) => {
                                            if let Some(r) = run.replace(e.span.clone()) {
                                                chunk.push(batch.lines.slice(r));
                                            }
                                        }
                                        (_, false) => {
                                            if let Some(r) = run.take() {
                                                chunk.push(batch.lines.slice(r));
                                            }
                                        }
                                    }
                                }
                                if let Some(r) = run {
                                    chunk.push(batch.lines.slice(r));
                                }
                            }
                            cursor.rv = cursor.rv.max(batch.to);
                        }
                        Err(TryRecvError::Lagged(_)) => {
                            behind = true;
                            break;
                        }
                        Err(TryRecvError::Empty) => break,
                        Err(TryRecvError::Closed) => {
                            closed = true;
                            break;
                        }
                    }
                    next = hub.try_recv();
                }
                for bytes in chunk.take() {
                    if tx.send(bytes).await.is_err() {
                        return;
                    }
                }
                if closed {
                    return;
                }
            }
            _ = &mut expiry => return,
            _ = tokio::time::sleep_until(next_bookmark.unwrap_or(deadline)),
                if cursor.bookmarks && next_bookmark.is_some() => {
                next_bookmark = next_bookmark_at(tokio::time::Instant::now(), deadline);
                let b = state.with_cluster(|c| c.bookmark(&cursor));
                if let Some(b) = b {
                    if tx.send(render.line(b, now)).await.is_err() { return; }
                }
            }
            _ = tx.closed() => return,
        }
    }
}

/// What one wake-up of a watcher sends: pieces of whole watch lines, each its own chunk;
/// hyper writes the pieces queued together with one flush (one socket write, TLS records of
/// up to 16 KiB), so they need not be copied into one buffer.
#[derive(Default)]
struct Chunk {
    pieces: Vec<Bytes>,
}

impl Chunk {
    fn push(&mut self, piece: Bytes) {
        self.pieces.push(piece);
    }
    fn take(self) -> Vec<Bytes> {
        self.pieces
    }
}

/// The ERROR event that ends a watch (410 Expired, bad selectors).
pub(crate) fn error_line(render: &mut Render, status: crate::api::Status) -> Bytes {
    let e = WatchEvent {
        type_: EventType::Error,
        object: serde_json::to_value(status).expect("status"),
    };
    render.line(e, crate::api::Time(0))
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

    /// `nextBookmarkTime`: every minute (`defaultBookmarkFrequency`), but no later than 2 s
    /// before the deadline; none after that.
    #[test]
    fn bookmarks_come_before_the_deadline() {
        let t0 = tokio::time::Instant::now();
        let s = Duration::from_secs;
        let rows = [
            (t0, t0 + s(3600), Some(t0 + s(60))),
            (t0, t0 + s(62), Some(t0 + s(60))),
            // a 30 s watch gets one bookmark, 2 s before its end (none at 10 s or 20 s)
            (t0, t0 + s(30), Some(t0 + s(28))),
            (t0, t0 + s(5), Some(t0 + s(3))),
            (t0 + s(3), t0 + s(5), None),
            (t0, t0 + s(1), None),
        ];
        for (now, deadline, want) in rows {
            assert_eq!(next_bookmark_at(now, deadline), want);
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
    fn hub_interval_grows_with_watchers_within_bounds() {
        for (watchers, ms) in [
            (0, 5),
            (100, 5),
            (250, 5),
            (500, 10),
            (1000, 20),
            (50_000, 20),
        ] {
            assert_eq!(
                hub_interval(watchers),
                Duration::from_millis(ms),
                "{watchers}"
            );
        }
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
