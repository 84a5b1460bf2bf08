//! The sled backend: objects under `o/<key>`, the meta record under `m`, in one tree, each
//! write applied as one atomic batch and flushed before it is acknowledged.
//!
//! Kept for data dirs an earlier csrsim wrote with sled (`<data-dir>/store/`); new data dirs
//! get the log backend (`log_backend.rs`, see `store::open_persistent`).
//!
//! What sled's `flush()` promises: on Linux, sled 0.34 writes its log buffers with `pwrite`
//! and `sync_file_range(WAIT_BEFORE|WRITE|WAIT_AFTER)` (`pagecache/iobuf.rs`), not `fsync`:
//! an acknowledged write survives a process crash (SIGKILL), but neither the disk's write cache
//! nor the file's metadata is flushed, so a power loss can lose it.

use super::{Backend, Bytes, Loaded, LoadedObjects, Meta};
use std::path::Path;

/// sled's page cache. Every object also lives in the store's map and is never read back from
/// sled after `load`, so a large cache (sled's default is 1 GiB) only doubles resident memory.
pub const SLED_CACHE_BYTES: u64 = 16 * 1024 * 1024;
/// How long `open` waits for sled's file lock. A `Db` dropped in this process lets go of the
/// lock only when its background flusher thread has finished, a moment later; another
/// process holding it is reported once this has passed.
const LOCK_WAIT: std::time::Duration = std::time::Duration::from_secs(5);
const LOCK_RETRY: std::time::Duration = std::time::Duration::from_millis(20);

pub struct SledBackend {
    db: sled::Db,
    /// Group commit: `commit` does not flush; the server flushes (once for many writes)
    /// before acknowledging.
    deferred: bool,
    /// `<data-dir>/store`, for errors.
    path: std::path::PathBuf,
}

impl SledBackend {
    pub fn open(dir: &Path) -> Result<SledBackend, String> {
        let mut waited = std::time::Duration::ZERO;
        let db = loop {
            let r = sled::Config::new()
                .path(dir.join("store"))
                .mode(sled::Mode::HighThroughput)
                .cache_capacity(SLED_CACHE_BYTES)
                .open();
            match r {
                // sled reports the lock as an `Other` I/O error with this text
                Err(sled::Error::Io(e))
                    if e.to_string().starts_with("could not acquire lock")
                        && waited < LOCK_WAIT =>
                {
                    // a sleep, not the clock: the wait is bounded by counting the retries
                    std::thread::sleep(LOCK_RETRY);
                    waited += LOCK_RETRY;
                }
                r => {
                    break r.map_err(|e| match e {
                        sled::Error::Io(e)
                            if e.to_string().starts_with("could not acquire lock") =>
                        {
                            format!(
                                "{}: in use by another csrsim process (it holds the lock on {}); \
                                 stop it first, or give another --data-dir",
                                dir.display(),
                                dir.join("store").display()
                            )
                        }
                        e => format!(
                            "{}: cannot open the sled store: {e} (damaged, or not written by \
                             csrsim)",
                            dir.join("store").display()
                        ),
                    })?
                }
            }
        };
        Ok(SledBackend {
            db,
            deferred: false,
            path: dir.join("store"),
        })
    }
}

fn encode_meta(m: Meta) -> [u8; 16] {
    let mut b = [0u8; 16];
    b[..8].copy_from_slice(&m.rv.to_be_bytes());
    b[8..].copy_from_slice(&m.clock_ms.to_be_bytes());
    b
}

impl Backend for SledBackend {
    fn load(&mut self) -> Result<Loaded, String> {
        let mut out = LoadedObjects::new();
        for item in self.db.scan_prefix(b"o/") {
            let (k, v) = item.map_err(|e| e.to_string())?;
            let key = String::from_utf8_lossy(&k[2..]).into_owned();
            let rv = super::rv_of(&v).unwrap_or(0);
            out.insert(key, (rv, std::sync::Arc::new(v.to_vec())));
        }
        let meta = match self.db.get(b"m").map_err(|e| e.to_string())? {
            Some(v) if v.len() == 16 => {
                let rv = u64::from_be_bytes(v[..8].try_into().expect("8 bytes"));
                let clock_ms = i64::from_be_bytes(v[8..].try_into().expect("8 bytes"));
                Some(Meta { rv, clock_ms })
            }
            Some(_) => return Err(format!("{}: corrupt meta record", self.path.display())),
            // Every csrsim that wrote a sled store wrote the meta record with its first
            // objects, and a new data dir never gets sled: a store without it is one sled
            // could not read back (a damaged segment reads as the end of its log), not an
            // empty one — refused rather than served empty.
            None => {
                return Err(format!(
                    "{}: the sled store holds no csrsim data ({} objects, no meta record): \
                     damaged, or not written by csrsim (remove the folder to start \
                     empty)",
                    self.path.display(),
                    out.len()
                ))
            }
        };
        Ok((out, meta))
    }

    fn commit(&mut self, writes: &[(String, Option<Bytes>)], meta: Meta) -> Result<(), String> {
        let mut batch = sled::Batch::default();
        for (k, v) in writes {
            let mut key = Vec::with_capacity(k.len() + 2);
            key.extend_from_slice(b"o/");
            key.extend_from_slice(k.as_bytes());
            match v {
                Some(b) => batch.insert(key, b.as_slice()),
                None => batch.remove(key),
            }
        }
        batch.insert(&b"m"[..], &encode_meta(meta)[..]);
        self.db.apply_batch(batch).map_err(|e| e.to_string())?;
        if !self.deferred {
            self.db.flush().map_err(|e| e.to_string())?;
        }
        Ok(())
    }

    fn defer_flush(&mut self) -> Option<super::Flusher> {
        self.deferred = true;
        let db = self.db.clone();
        Some(std::sync::Arc::new(move || {
            db.flush().map(|_| ()).map_err(|e| e.to_string())
        }))
    }

    fn name(&self) -> &'static str {
        "sled"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A second open waits for the lock a dropped (or dropping) `Db` still holds, instead
    /// of failing at once (`store_backends` reopens a data dir right after closing it).
    #[test]
    fn open_waits_for_a_lock_that_is_being_released() {
        let d = tempfile::tempdir().unwrap();
        let first = SledBackend::open(d.path()).unwrap();
        let t = std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(200));
            drop(first);
        });
        let second = SledBackend::open(d.path());
        t.join().unwrap();
        assert!(second.is_ok(), "{:?}", second.err());
    }
}
