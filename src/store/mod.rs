//! The object store: every stored object by key, one global strictly increasing
//! resourceVersion, and the ordered event log that feeds watches.
//!
//! Guarantees:
//! - every write (put or delete) takes the next resourceVersion; nothing else does;
//! - the event log holds, in resourceVersion order, the recent events (a window of at most
//!   `window` events, none older than `max_age_ms` of virtual time once newer ones exist);
//!   a watch from an older resourceVersion gets 410 Expired;
//! - with a persistent backend (the log, `log_backend.rs`), a write is durable (`fdatasync`)
//!   before `put`/`delete` return, or, under group commit, before the server acknowledges it.
//!   Objects, the resourceVersion counter and the virtual clock are reloaded on open.
//!
//! Keys are `<group or "core">/<resource>/<namespace>/<name>`, so a BTreeMap range is a list in
//! the order etcd would return it.

pub mod log_backend;
pub mod sled_backend;

use crate::api::EventType;
use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;

/// Object bytes (compact JSON), shared between the map and the event log.
pub type Bytes = Arc<Vec<u8>>;

/// What a backend holds at open: every object by key, with its resourceVersion (loaded
/// straight into the store's map, no intermediate copy).
pub type LoadedObjects = BTreeMap<String, (u64, Bytes)>;
/// Objects and the meta record.
pub type Loaded = (LoadedObjects, Option<Meta>);

/// Persistent state besides objects.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Meta {
    pub rv: u64,
    pub clock_ms: i64,
}

/// What a backend must do: load everything at open, commit one write atomically and durably.
pub trait Backend: Send {
    /// All stored objects and the meta record (None on a fresh store).
    fn load(&mut self) -> Result<Loaded, String>;
    /// Apply `(key, Some(bytes))` puts and `(key, None)` deletes plus the meta record as one
    /// atomic, durable batch.
    fn commit(&mut self, writes: &[(String, Option<Bytes>)], meta: Meta) -> Result<(), String>;
    /// A short name for docs and logs.
    fn name(&self) -> &'static str;
    /// Should the store hand its live objects to [`Backend::compact`] (after a write)?
    /// `live_bytes`: the live objects' size as [`entry_bytes`] counts it.
    fn wants_compaction(&self, _live_bytes: u64) -> bool {
        false
    }
    /// Rewrite persistent state as exactly these live objects (key, resourceVersion, bytes)
    /// and meta, durably. Failing leaves the old state in place.
    fn compact(
        &mut self,
        _live: &mut dyn Iterator<Item = (&str, u64, &[u8])>,
        _meta: Meta,
    ) -> Result<(), String> {
        Ok(())
    }
    /// Group commit: from now on `commit` applies atomically without flushing, and the
    /// returned [`Flusher`] makes everything applied so far durable. The caller (the server)
    /// must run it before acknowledging any write. `None`: the backend has nothing to defer.
    fn defer_flush(&mut self) -> Option<Flusher> {
        None
    }
}

/// What one live object costs in a compacted log (its record entry: tag, key and value
/// lengths, resourceVersion): the measure of [`Backend::wants_compaction`]'s `live_bytes`.
pub fn entry_bytes(key: &str, value: &[u8]) -> u64 {
    (key.len() + value.len() + 17) as u64
}

/// Makes every write applied before the call durable (group commit, see [`Backend::defer_flush`]).
pub type Flusher = Arc<dyn Fn() -> Result<(), String> + Send + Sync>;

/// Create a data dir if it is missing (a first start); a path that exists but is not a
/// directory is refused by name.
pub fn create_data_dir(dir: &std::path::Path) -> Result<(), String> {
    create_dir(dir, "the data dir must be a directory")
}

/// Create a folder of the data dir (or the data dir) if missing: `<path>: not a directory
/// (<why>)` when a file is in the way, rather than `File exists`.
pub fn create_dir(dir: &std::path::Path, why: &str) -> Result<(), String> {
    if dir.exists() && !dir.is_dir() {
        return Err(format!("{}: not a directory ({why})", dir.display()));
    }
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: cannot create: {e}", dir.display()))
}

/// The persistent backend for a data dir: the log (`<dir>/wal/`), or sled for a data dir an
/// earlier csrsim wrote with sled (`<dir>/store/` and no `<dir>/wal/`), which keeps using it.
pub fn open_persistent(dir: &std::path::Path) -> Result<Box<dyn Backend>, String> {
    if dir.join("store").is_dir() && !dir.join(log_backend::LOG_DIR).exists() {
        Ok(Box::new(sled_backend::SledBackend::open(dir)?))
    } else {
        Ok(Box::new(log_backend::LogBackend::open(dir)?))
    }
}

/// Nothing persisted: the store lives and dies with the process.
pub struct MemoryBackend;

impl Backend for MemoryBackend {
    fn load(&mut self) -> Result<Loaded, String> {
        Ok((LoadedObjects::new(), None))
    }
    fn commit(&mut self, _: &[(String, Option<Bytes>)], _: Meta) -> Result<(), String> {
        Ok(())
    }
    fn name(&self) -> &'static str {
        "memory"
    }
}

/// One entry of the event log.
#[derive(Clone, Debug)]
pub struct LogEntry {
    pub rv: u64,
    pub at_ms: i64,
    pub key: String,
    pub type_: EventType,
    /// The object after the write (for DELETED: the last state, stamped with the delete's rv).
    pub object: Bytes,
    /// The object the write replaced or deleted, as it was stored (none for ADDED): what a
    /// watch with selectors compares against (the watch cache's `PrevObject`).
    pub prev: Option<Bytes>,
}

pub struct Store {
    objects: BTreeMap<String, (u64, Bytes)>,
    rv: u64,
    log: VecDeque<LogEntry>,
    /// Every event with rv > log_start_rv is in the log.
    log_start_rv: u64,
    window: usize,
    max_age_ms: i64,
    backend: Box<dyn Backend>,
    clock_ms: i64,
    /// The clock of the last meta record committed (or loaded): a restart resumes at least
    /// there. Every commit carries at least this clock, so a record written ahead of the
    /// virtual clock (`csrsim serve --clock real`'s lease, [`Store::persist_clock`]) is not
    /// lowered by the writes that follow it.
    committed_clock_ms: i64,
    /// Σ [`entry_bytes`] over `objects`, kept as they change: compaction is due when the
    /// log holds mostly superseded records, not merely when it grows.
    live_bytes: u64,
}

/// Store key of an object.
pub fn key(group: &str, resource: &str, namespace: &str, name: &str) -> String {
    let g = if group.is_empty() { "core" } else { group };
    // Every request builds one: concatenated directly, not through `format!`.
    let mut k = String::with_capacity(g.len() + resource.len() + namespace.len() + name.len() + 3);
    for (i, part) in [g, resource, namespace, name].into_iter().enumerate() {
        if i > 0 {
            k.push('/');
        }
        k.push_str(part);
    }
    k
}

/// Prefix of all objects of a resource (optionally in one namespace).
pub fn prefix(group: &str, resource: &str, namespace: Option<&str>) -> String {
    let g = if group.is_empty() { "core" } else { group };
    match namespace {
        Some(ns) => format!("{g}/{resource}/{ns}/"),
        None => format!("{g}/{resource}/"),
    }
}

impl Store {
    /// Open a store on a backend, reloading what it holds.
    pub fn open(
        mut backend: Box<dyn Backend>,
        window: usize,
        max_age_ms: i64,
    ) -> Result<Store, String> {
        let (objects, meta) = backend.load()?;
        let max_rv = objects.values().map(|(rv, _)| *rv).max().unwrap_or(0);
        let meta = meta.unwrap_or_default();
        let rv = meta.rv.max(max_rv);
        let live_bytes = objects.iter().map(|(k, (_, b))| entry_bytes(k, b)).sum();
        Ok(Store {
            objects,
            rv,
            log: VecDeque::new(),
            log_start_rv: rv,
            window: window.max(1),
            max_age_ms,
            backend,
            clock_ms: meta.clock_ms,
            committed_clock_ms: meta.clock_ms,
            live_bytes,
        })
    }

    /// The persisted virtual clock (ms since epoch) at open, 0 on a fresh store.
    pub fn persisted_clock_ms(&self) -> i64 {
        self.clock_ms
    }

    pub fn backend_name(&self) -> &'static str {
        self.backend.name()
    }

    /// Switch the backend to group commit (see [`Backend::defer_flush`]).
    pub fn defer_flush(&mut self) -> Option<Flusher> {
        self.backend.defer_flush()
    }

    /// Current (latest) resourceVersion.
    pub fn rv(&self) -> u64 {
        self.rv
    }

    /// Oldest resourceVersion a watch may start from.
    pub fn log_start_rv(&self) -> u64 {
        self.log_start_rv
    }

    pub fn get(&self, key: &str) -> Option<&Bytes> {
        self.objects.get(key).map(|(_, b)| b)
    }

    pub fn contains(&self, key: &str) -> bool {
        self.objects.contains_key(key)
    }

    pub fn len(&self) -> usize {
        self.objects.len()
    }

    pub fn is_empty(&self) -> bool {
        self.objects.is_empty()
    }

    /// Objects under a prefix, in key order, starting strictly after `after` if given.
    pub fn range<'a>(
        &'a self,
        prefix: &'a str,
        after: Option<&'a str>,
    ) -> impl Iterator<Item = (&'a String, &'a Bytes)> + 'a {
        use std::ops::Bound;
        let start = match after {
            Some(a) => Bound::Excluded(a.to_string()),
            None => Bound::Included(prefix.to_string()),
        };
        self.objects
            .range((start, Bound::Unbounded))
            .take_while(move |(k, _)| k.starts_with(prefix))
            .map(|(k, (_, b))| (k, b))
    }

    /// Record the virtual clock so that it survives restarts (persisted with the next write,
    /// or now if `durable`).
    pub fn set_clock(&mut self, clock_ms: i64, durable: bool) -> Result<(), String> {
        self.clock_ms = clock_ms;
        self.compact(clock_ms);
        if durable {
            self.persist_clock(clock_ms)?;
        }
        Ok(())
    }

    /// Commit a record of the clock alone (no resourceVersion), so that a restart resumes at
    /// `clock_ms` or later; `clock_ms` may be ahead of the virtual clock (a lease). Nothing is
    /// written when the last record already holds as much.
    pub fn persist_clock(&mut self, clock_ms: i64) -> Result<(), String> {
        if clock_ms <= self.committed_clock_ms {
            return Ok(());
        }
        self.backend.commit(
            &[],
            Meta {
                rv: self.rv,
                clock_ms,
            },
        )?;
        self.committed_clock_ms = clock_ms;
        Ok(())
    }

    /// The clock of the last meta record committed (see [`Store::persist_clock`]).
    pub fn committed_clock_ms(&self) -> i64 {
        self.committed_clock_ms
    }

    /// Allocate the next resourceVersion (for an object about to be written).
    pub fn next_rv(&self) -> u64 {
        self.rv + 1
    }

    /// Write `bytes` (which must already carry resourceVersion `self.next_rv()`) under `key`.
    pub fn put(
        &mut self,
        key: &str,
        bytes: Vec<u8>,
        now_ms: i64,
    ) -> Result<(u64, EventType), String> {
        let rv = self.rv + 1;
        let bytes = Arc::new(bytes);
        self.backend.commit(
            &[(key.to_string(), Some(bytes.clone()))],
            Meta {
                rv,
                clock_ms: now_ms.max(self.committed_clock_ms),
            },
        )?;
        self.rv = rv;
        self.clock_ms = now_ms;
        self.committed_clock_ms = self.committed_clock_ms.max(now_ms);
        let prev = self
            .objects
            .insert(key.to_string(), (rv, bytes.clone()))
            .map(|(_, b)| b);
        self.live_bytes += entry_bytes(key, &bytes);
        if let Some(p) = &prev {
            self.live_bytes -= entry_bytes(key, p);
        }
        let t = if prev.is_some() {
            EventType::Modified
        } else {
            EventType::Added
        };
        self.append(LogEntry {
            rv,
            at_ms: now_ms,
            key: key.to_string(),
            type_: t,
            object: bytes,
            prev,
        });
        self.maybe_compact();
        Ok((rv, t))
    }

    /// Delete `key`; `final_bytes` is the object as the DELETED event shows it (stamped with
    /// resourceVersion `self.next_rv()`).
    pub fn delete(&mut self, key: &str, final_bytes: Vec<u8>, now_ms: i64) -> Result<u64, String> {
        let rv = self.rv + 1;
        self.backend.commit(
            &[(key.to_string(), None)],
            Meta {
                rv,
                clock_ms: now_ms.max(self.committed_clock_ms),
            },
        )?;
        self.rv = rv;
        self.clock_ms = now_ms;
        self.committed_clock_ms = self.committed_clock_ms.max(now_ms);
        let prev = self.objects.remove(key).map(|(_, b)| b);
        if let Some(p) = &prev {
            self.live_bytes -= entry_bytes(key, p);
        }
        self.append(LogEntry {
            rv,
            at_ms: now_ms,
            key: key.to_string(),
            type_: EventType::Deleted,
            object: Arc::new(final_bytes),
            prev,
        });
        self.maybe_compact();
        Ok(rv)
    }

    /// Let the backend rewrite itself from the live objects when it asks to. A failed
    /// compaction is not a failed write: the write is already committed.
    fn maybe_compact(&mut self) {
        if self.backend.wants_compaction(self.live_bytes) {
            let meta = Meta {
                rv: self.rv,
                clock_ms: self.clock_ms.max(self.committed_clock_ms),
            };
            let _ = self.backend.compact(
                &mut self
                    .objects
                    .iter()
                    .map(|(k, (rv, b))| (k.as_str(), *rv, b.as_slice())),
                meta,
            );
        }
    }

    fn append(&mut self, e: LogEntry) {
        let now = e.at_ms;
        self.log.push_back(e);
        while self.log.len() > self.window {
            let old = self.log.pop_front().expect("non-empty");
            self.log_start_rv = old.rv;
        }
        self.compact(now);
    }

    /// Drop events older than `max_age_ms` (keeping the newest one), like etcd's compaction.
    fn compact(&mut self, now_ms: i64) {
        while self.log.len() > 1 {
            let front = &self.log[0];
            if now_ms - front.at_ms > self.max_age_ms {
                self.log_start_rv = front.rv;
                self.log.pop_front();
            } else {
                break;
            }
        }
    }

    /// The objects under `prefix` as they were at resourceVersion `at` (an etcd range read at
    /// a past revision), rebuilt from the event window: a key written after `at` is absent if
    /// its first later write created it, else it holds the object that write replaced. `None`
    /// when `at` is older than the window (etcd's compacted revision: reads at it still work)
    /// or in the future.
    pub fn range_at(&self, prefix: &str, at: u64) -> Option<BTreeMap<String, Bytes>> {
        if at < self.log_start_rv || at > self.rv {
            return None;
        }
        let mut out: BTreeMap<String, Bytes> = self
            .range(prefix, None)
            .map(|(k, b)| (k.clone(), b.clone()))
            .collect();
        // Every write after `at` is in the window (`at` is not older than its start), and the
        // first one of each key replaced that key's state at `at`: its `prev` (none when it
        // created the key).
        let mut first_after: BTreeMap<&str, &LogEntry> = BTreeMap::new();
        for e in self
            .log
            .iter()
            .filter(|e| e.rv > at && e.key.starts_with(prefix))
        {
            first_after.entry(&e.key).or_insert(e);
        }
        for (k, e) in first_after {
            match &e.prev {
                Some(p) => out.insert(k.to_string(), p.clone()),
                None => out.remove(k),
            };
        }
        Some(out)
    }

    /// Events with rv > `from`, or `Err(oldest)` if some of them were compacted away.
    pub fn events_since(&self, from: u64) -> Result<impl Iterator<Item = &LogEntry>, u64> {
        if from < self.log_start_rv {
            return Err(self.log_start_rv);
        }
        // The log is contiguous in rv: skip by offset.
        let skip = (from - self.log_start_rv) as usize;
        Ok(self.log.iter().skip(skip))
    }
}

/// Read `metadata.resourceVersion` from stored JSON bytes.
pub fn rv_of(bytes: &[u8]) -> Option<u64> {
    #[derive(serde::Deserialize)]
    struct M {
        metadata: MM,
    }
    #[derive(serde::Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct MM {
        #[serde(default)]
        resource_version: String,
    }
    let m: M = serde_json::from_slice(bytes).ok()?;
    m.metadata.resource_version.parse().ok()
}

#[cfg(test)]
mod tests {
    /// `range_at` rebuilds a past state from the window (creations undone, modifications and
    /// deletions restored, also of objects last written before the window), and refuses a
    /// revision before the window or in the future.
    #[test]
    fn range_at_reads_a_past_revision_from_the_window() {
        use super::*;
        let mut s = Store::open(Box::new(MemoryBackend), 4, i64::MAX).unwrap();
        let p = "g/r/";
        s.put("g/r//a", b"a1".to_vec(), 0).unwrap(); // rv 1
        s.put("g/r//b", b"b1".to_vec(), 0).unwrap(); // rv 2
        s.put("g/r//a", b"a2".to_vec(), 0).unwrap(); // rv 3
        s.delete("g/r//b", b"b-final".to_vec(), 0).unwrap(); // rv 4
        s.put("h/x//c", b"c1".to_vec(), 0).unwrap(); // rv 5: another prefix; rv 1 leaves
        let view = |at: u64| {
            s.range_at(p, at).map(|m| {
                m.iter()
                    .map(|(k, v)| format!("{k}={}", String::from_utf8_lossy(v)))
                    .collect::<Vec<_>>()
            })
        };
        // a's state at 2 was written by rv 1, which left the window (4 events): the write
        // that replaced it (rv 3) still knows it, as etcd still reads at its compacted revision.
        assert_eq!(view(2), Some(vec!["g/r//a=a1".into(), "g/r//b=b1".into()]));
        assert_eq!(view(3), Some(vec!["g/r//a=a2".into(), "g/r//b=b1".into()]));
        assert_eq!(view(4), Some(vec!["g/r//a=a2".into()]));
        assert_eq!(view(5), Some(vec!["g/r//a=a2".into()]));
        assert_eq!(view(1), Some(vec!["g/r//a=a1".into()]));
        // Before the window's start (rv 1 left it): compacted.
        assert_eq!(view(0), None);
        assert_eq!(view(6), None, "the future");
    }

    /// Keys are `<group or core>/<resource>/<namespace>/<name>`; cluster-scoped objects have
    /// an empty namespace segment (the layout on disk, so it must never change).
    #[test]
    fn key_layout() {
        assert_eq!(
            super::key("", "secrets", "kube-system", "t"),
            "core/secrets/kube-system/t"
        );
        assert_eq!(
            super::key("certificates.k8s.io", "certificatesigningrequests", "", "n"),
            "certificates.k8s.io/certificatesigningrequests//n"
        );
        assert_eq!(
            super::prefix("rbac.authorization.k8s.io", "roles", Some("default")),
            "rbac.authorization.k8s.io/roles/default/"
        );
    }
}
