//! The store log's replay (`store::log_backend`): `LogBackend::open` + `load` of a `wal/log`
//! file in a directory under /dev/shm (one per process, rewritten for each input).
//!
//! The first byte picks the mode:
//! - even: the file is the rest of the input as it is (odd second bit: after the magic);
//! - odd: the rest describes a valid log (batches of puts and deletes with JSON-like values,
//!   encoded in the documented record format) and then damage to it: cuts, flipped bytes,
//!   zeroed 512-byte sectors, zeros or bytes appended.
//!
//! Invariants: never panics; loads or refuses with an error. What loads is the state after
//! some whole number of the valid records (with that record's meta); never fewer than the
//! records that end before the first damaged byte; and when the only damage is a cut (and
//! zeros appended, the preallocation), exactly the records that end before the cut load.
#![no_main]

use csrsim::store::log_backend::{LogBackend, LOG_DIR, MAGIC};
use csrsim::store::{Backend, LoadedObjects, Meta};
use libfuzzer_sys::fuzz_target;
use std::collections::BTreeMap;
use std::path::PathBuf;

fn dir() -> &'static PathBuf {
    static DIR: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    DIR.get_or_init(|| {
        let base = if std::path::Path::new("/dev/shm").is_dir() {
            PathBuf::from("/dev/shm")
        } else {
            std::env::temp_dir()
        };
        let d = base.join(format!("csrsim-fuzz-log-{}", std::process::id()));
        std::fs::create_dir_all(d.join(LOG_DIR)).expect("fuzz dir");
        d
    })
}

/// Write `bytes` as the log and open it: the load's result.
fn load(bytes: &[u8]) -> Result<(LoadedObjects, Option<Meta>), String> {
    let d = dir();
    let _ = std::fs::remove_file(d.join(LOG_DIR).join("log.new"));
    std::fs::write(d.join(LOG_DIR).join("log"), bytes).expect("write log");
    let mut b = LogBackend::open(d).expect("open");
    b.load()
}

/// A byte source that yields zeros when the input runs out.
struct Src<'a>(&'a [u8]);
impl Src<'_> {
    fn byte(&mut self) -> u8 {
        match self.0.split_first() {
            Some((b, r)) => {
                self.0 = r;
                *b
            }
            None => 0,
        }
    }
    fn u16(&mut self) -> usize {
        usize::from(self.byte()) | usize::from(self.byte()) << 8
    }
}

type Entry = (String, Option<(u64, Vec<u8>)>);

/// The record format of log_backend.rs's module comment.
fn encode(rv: u64, clock_ms: i64, entries: &[Entry]) -> Vec<u8> {
    let mut p = Vec::new();
    p.extend_from_slice(&rv.to_le_bytes());
    p.extend_from_slice(&clock_ms.to_le_bytes());
    p.extend_from_slice(&(entries.len() as u32).to_le_bytes());
    for (k, v) in entries {
        match v {
            Some((orv, bytes)) => {
                p.push(1);
                p.extend_from_slice(&(k.len() as u32).to_le_bytes());
                p.extend_from_slice(k.as_bytes());
                p.extend_from_slice(&orv.to_le_bytes());
                p.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
                p.extend_from_slice(bytes);
            }
            None => {
                p.push(0);
                p.extend_from_slice(&(k.len() as u32).to_le_bytes());
                p.extend_from_slice(k.as_bytes());
            }
        }
    }
    let mut rec = Vec::with_capacity(p.len() + 8);
    rec.extend_from_slice(&(p.len() as u32).to_le_bytes());
    rec.extend_from_slice(&crc32fast::hash(&p).to_le_bytes());
    rec.extend_from_slice(&p);
    rec
}

type State = BTreeMap<String, (u64, Vec<u8>)>;

fn same(loaded: &LoadedObjects, want: &State) -> bool {
    loaded.len() == want.len()
        && loaded
            .iter()
            .zip(want)
            .all(|((k, (rv, b)), (k2, (rv2, b2)))| k == k2 && rv == rv2 && b.as_slice() == b2)
}

fn structured(mut s: Src<'_>) {
    // The valid log: its bytes, each record's end, the state and meta after each record.
    let mut file = MAGIC.to_vec();
    let mut ends = Vec::new();
    let mut states: Vec<(State, Option<Meta>)> = vec![(State::new(), None)];
    let mut state = State::new();
    let n = s.byte() % 6 + 1;
    let mut rv = 0u64;
    for _ in 0..n {
        let count = s.byte() % 4;
        let mut entries: Vec<Entry> = Vec::new();
        rv += 1;
        for _ in 0..count {
            let b = s.byte();
            let key = format!("core/things/ns/k{}", b % 8);
            if b & 0x80 != 0 {
                entries.push((key, None));
            } else {
                // JSON text: printable bytes, never a NUL (as every stored object).
                let len = s.u16() % 1500;
                let fill = b'!' + s.byte() % 94;
                let mut v = b"{\"v\":\"".to_vec();
                v.resize(6 + len, fill);
                v.extend_from_slice(b"\"}");
                entries.push((key, Some((rv, v))));
            }
        }
        let meta = Meta {
            rv,
            clock_ms: i64::from(s.byte()) * 1000,
        };
        file.extend_from_slice(&encode(meta.rv, meta.clock_ms, &entries));
        ends.push(file.len());
        for (k, v) in entries {
            match v {
                Some(v) => {
                    state.insert(k, v);
                }
                None => {
                    state.remove(&k);
                }
            }
        }
        states.push((state.clone(), Some(meta)));
    }
    let valid = file.clone();
    // Damage.
    let mut first_damage = usize::MAX; // lowest offset changed (a cut is not damage)
    let mut cut_at = usize::MAX;
    let mut damaged = false;
    let ops = s.byte() % 4;
    for _ in 0..ops {
        let op = s.byte() % 6;
        match op {
            0 => {
                // cut (a write that stopped short)
                let p = s.u16() % (file.len() + 1);
                file.truncate(p);
                cut_at = cut_at.min(p);
            }
            1 | 2 => {
                // flip a byte
                if file.is_empty() {
                    continue;
                }
                let p = s.u16() % file.len();
                let x = s.byte().max(1);
                file[p] ^= x;
                first_damage = first_damage.min(p);
                damaged = true;
            }
            3 => {
                // a sector that never reached the disk
                let sec = s.byte() as usize * 512;
                if sec < file.len() {
                    let end = (sec + 512).min(file.len());
                    if file[sec..end].iter().any(|b| *b != 0) {
                        first_damage = first_damage.min(sec);
                        damaged = true;
                    }
                    file[sec..end].fill(0);
                }
            }
            4 => {
                // preallocated zeros (written only after the magic was synced)
                let n = (s.byte() as usize % 8 + 1) * 512;
                if file.len() < MAGIC.len() {
                    continue;
                }
                if cut_at != usize::MAX {
                    // Zeros after a tear: the file was preallocated, and a write into it
                    // tears at a sector boundary (a page is written back whole or not).
                    let aligned = (file.len() / 512 * 512).max(MAGIC.len());
                    file.truncate(aligned);
                    cut_at = cut_at.min(aligned);
                }
                file.resize(file.len() + n, 0);
            }
            _ => {
                // bytes appended after the end (damage past the last record)
                let n = s.byte() as usize % 32 + 1;
                if cut_at != usize::MAX && file.len() >= MAGIC.len() {
                    // As above: what follows a tear starts at a sector boundary.
                    let aligned = (file.len() / 512 * 512).max(MAGIC.len());
                    file.truncate(aligned);
                    cut_at = cut_at.min(aligned);
                }
                let at = file.len();
                for _ in 0..n {
                    file.push(s.byte());
                }
                // (zeros where the magic should be are no preallocation either)
                if at < MAGIC.len() || file[at..].iter().any(|b| *b != 0) {
                    first_damage = first_damage.min(at);
                    damaged = true;
                }
            }
        }
    }
    // Records wholly before the first damage and the first cut must survive.
    let limit = first_damage.min(cut_at);
    let intact = ends.iter().take_while(|e| **e <= limit).count();
    match load(&file) {
        Ok((objects, meta)) => {
            let k = states
                .iter()
                .rposition(|(st, m)| *m == meta && same(&objects, st))
                .unwrap_or_else(|| {
                    panic!("loaded state is no prefix of the valid records: meta {meta:?}")
                });
            assert!(
                k >= intact,
                "lost a whole record before any damage: loaded {k}, {intact} intact"
            );
            if !damaged {
                // Every record whose bytes are all there loads (zeros after a cut may
                // restore a record's own zero bytes), and no other.
                let whole = ends
                    .iter()
                    .take_while(|e| file.get(..**e) == Some(&valid[..**e]))
                    .count();
                assert_eq!(k, whole, "a cut loaded the wrong number of records");
            }
        }
        Err(e) => {
            // A cut alone (and zeros ahead) is a torn tail, never an error.
            assert!(
                damaged || file.len() < MAGIC.len(),
                "cut only, refused: {e}"
            );
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    if mode & 1 == 1 {
        structured(Src(rest));
        return;
    }
    let mut file = Vec::new();
    if mode & 2 == 2 {
        file.extend_from_slice(MAGIC);
    }
    file.extend_from_slice(rest);
    let _ = load(&file);
    // After a load, whatever it cut, a second load sees the same.
    let again = std::fs::read(dir().join(LOG_DIR).join("log")).expect("read");
    let first = load(&again);
    let second = load(&std::fs::read(dir().join(LOG_DIR).join("log")).expect("read"));
    match (first, second) {
        (Ok(a), Ok(b)) => assert_eq!(a, b, "a second open loads something else"),
        (Err(_), Err(_)) => {}
        (a, b) => panic!("second open differs: {:?} vs {:?}", a.is_ok(), b.is_ok()),
    }
});
