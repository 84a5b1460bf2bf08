//! The log backend (default for `--data-dir`): `<data-dir>/wal/log` is an append-only file of
//! records, one per committed batch, like etcd's WAL:
//!
//! ```text
//! file   = MAGIC record*
//! record = payload_len:u32le crc32(payload):u32le payload
//! payload = rv:u64le clock_ms:i64le count:u32le entry*
//! entry  = 1:u8 key_len:u32le key obj_rv:u64le len:u32le bytes   (put)
//!        | 0:u8 key_len:u32le key                                 (delete)
//! ```
//!
//! - Atomic: a batch is one record; the torn tail of a write a crash interrupted (a record
//!   past the end of the file, or whose CRC fails with an all-zero sector) ends the log and is
//!   cut off at open, so a batch is all there or not at all. A record whose CRC fails with
//!   every sector written is damage: the open fails and nothing is cut ([`check_tail`]).
//! - Durable: `commit` appends with one `write` and `fdatasync`s before returning; with group
//!   commit ([`Backend::defer_flush`]) it only appends, and the flusher's one `fdatasync`
//!   covers every record appended before it started. After a failed append the file is cut
//!   back to the last whole record, so a later record never follows a torn one.
//! - A nearly full disk: when the zeros written ahead (see [`PREALLOC_MIN_BYTES`]) do not
//!   fit, the record is appended alone; only a record that does not fit itself is refused.
//! - Bounded: when the file outgrows twice the live data (+ [`COMPACT_SLACK_BYTES`]), it is
//!   rewritten from the live objects into `log.new`, synced and renamed over `log` (the
//!   directory synced after), at open or when the store asks ([`Backend::compact`]).
//! - Fast to open: one sequential read, no JSON parsing (each put carries its object's
//!   resourceVersion).
//! - One process per data dir: the log file is locked (`flock`) while open.

use super::{entry_bytes, Backend, Bytes, LoadedObjects, Meta};
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering::SeqCst};
use std::sync::{Arc, Mutex};

/// Directory of the log inside the data dir.
pub const LOG_DIR: &str = "wal";
/// First bytes of a log file (format version 1).
pub const MAGIC: &[u8; 8] = b"csrlog1\n";
/// Compaction: the file may exceed twice the live bytes by this much before it is rewritten.
pub const COMPACT_SLACK_BYTES: u64 = 64 * 1024 * 1024;
/// The file is extended ahead of the records, with written zeros, in steps of a quarter of
/// its size within these bounds: an append then overwrites allocated blocks and `fdatasync`
/// has no file size or extent change to journal (on ext4 that halves its cost). Zeros end
/// the log at replay (an empty payload does not parse).
const PREALLOC_MIN_BYTES: u64 = 1024 * 1024;
const PREALLOC_MAX_BYTES: u64 = 16 * 1024 * 1024;
/// Compaction writes live objects in records of about this size.
const SNAPSHOT_RECORD_BYTES: usize = 4 * 1024 * 1024;
const HEADER: usize = 8;

pub struct LogBackend {
    dir: PathBuf,
    /// The open log; shared with the group-commit flusher (replaced by compaction).
    file: Arc<Mutex<Arc<File>>>,
    /// End of the last whole record.
    len: u64,
    /// File size: `len` plus the zeros written ahead.
    allocated: u64,
    /// After a failed compaction: no retry before the log reaches this length.
    retry_at: u64,
    deferred: bool,
    /// Group commit: records appended so far, and how many of them are known synced (the
    /// flusher skips its `fdatasync` when there is nothing new).
    appended: Arc<AtomicU64>,
    synced: Arc<AtomicU64>,
    /// See [`COMPACT_SLACK_BYTES`].
    compact_slack: u64,
    /// Set when the file could not be cut back after a failed append: refuse writes.
    poisoned: bool,
    /// After preallocation failed: append without it until the log reaches this length.
    no_prealloc_before: u64,
}

fn put_u32(b: &mut Vec<u8>, v: u32) {
    b.extend_from_slice(&v.to_le_bytes());
}
fn put_u64(b: &mut Vec<u8>, v: u64) {
    b.extend_from_slice(&v.to_le_bytes());
}

/// Encode one record (header + payload) onto `out`.
fn encode_record<'a>(
    out: &mut Vec<u8>,
    meta: Meta,
    entries: impl ExactSizeIterator<Item = (&'a str, Option<(u64, &'a [u8])>)>,
) -> Result<(), String> {
    let start = out.len();
    out.extend_from_slice(&[0; HEADER]);
    put_u64(out, meta.rv);
    put_u64(out, meta.clock_ms as u64);
    put_u32(out, entries.len() as u32);
    for (key, val) in entries {
        let key_len = u32::try_from(key.len()).map_err(|_| "key too large")?;
        match val {
            Some((rv, bytes)) => {
                let len = u32::try_from(bytes.len()).map_err(|_| "object too large")?;
                out.push(1);
                put_u32(out, key_len);
                out.extend_from_slice(key.as_bytes());
                put_u64(out, rv);
                put_u32(out, len);
                out.extend_from_slice(bytes);
            }
            None => {
                out.push(0);
                put_u32(out, key_len);
                out.extend_from_slice(key.as_bytes());
            }
        }
    }
    let payload_len = u32::try_from(out.len() - start - HEADER).map_err(|_| "batch too large")?;
    let crc = crc32fast::hash(&out[start + HEADER..]);
    out[start..start + 4].copy_from_slice(&payload_len.to_le_bytes());
    out[start + 4..start + 8].copy_from_slice(&crc.to_le_bytes());
    Ok(())
}

/// A cursor over a checked payload.
struct Cur<'a>(&'a [u8]);
impl<'a> Cur<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.0.len() < n {
            return None;
        }
        let (a, b) = self.0.split_at(n);
        self.0 = b;
        Some(a)
    }
    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_le_bytes(self.take(4)?.try_into().ok()?))
    }
    fn u64(&mut self) -> Option<u64> {
        Some(u64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }
}

/// Walk one record's payload: its meta, and each entry (key, `Some((rv, value))` for a put,
/// `None` for a delete) handed to `entry` in order; None if it does not parse.
fn walk_payload<'a>(
    payload: &'a [u8],
    mut entry: impl FnMut(&'a str, Option<(u64, &'a [u8])>),
) -> Option<Meta> {
    let mut c = Cur(payload);
    let rv = c.u64()?;
    let clock_ms = c.u64()? as i64;
    let n = c.u32()? as usize;
    for _ in 0..n {
        let kind = c.take(1)?[0];
        let klen = c.u32()? as usize;
        let key = std::str::from_utf8(c.take(klen)?).ok()?;
        match kind {
            1 => {
                let orv = c.u64()?;
                let vlen = c.u32()? as usize;
                entry(key, Some((orv, c.take(vlen)?)));
            }
            0 => entry(key, None),
            _ => return None,
        }
    }
    c.0.is_empty().then_some(Meta { rv, clock_ms })
}

/// Apply one record's payload to `objects`; None if it does not parse (then nothing of it
/// is applied).
fn apply_payload(payload: &[u8], objects: &mut LoadedObjects) -> Option<Meta> {
    // Parse fully first: a record applies whole or not at all.
    let n = payload
        .get(16..20)
        .map_or(0, |b| u32::from_le_bytes(b.try_into().expect("4")) as usize);
    let mut entries = Vec::with_capacity(n.min(payload.len() / 9));
    let meta = walk_payload(payload, |k, v| entries.push((k, v)))?;
    for (key, val) in entries {
        match val {
            Some((orv, bytes)) => {
                objects.insert(key.to_string(), (orv, Arc::new(bytes.to_vec())));
            }
            None => {
                objects.remove(key);
            }
        }
    }
    Some(meta)
}

/// Sector size for telling a torn write from a damaged record (etcd's `minSectorSize`).
const SECTOR: usize = 512;

/// Replay stopped at `pos` before the end of `buf`: is what follows the torn tail of a write
/// that was never acknowledged (cut it), or damage to a record (refuse to open)? etcd's rule
/// (`server/storage/wal/decoder.go`, `decodeRecord` and `isTornEntry`): zeros where a length
/// should be are preallocated space; a record that runs past the end of the file, or whose
/// CRC fails while one of its sectors reads all zeros, is a torn write; a CRC that fails with
/// every sector written — or a record whose CRC checks but which does not parse — is
/// corruption. Cutting there would silently drop that record and every one after it.
fn check_tail(buf: &[u8], pos: usize) -> Result<(), String> {
    let rest = &buf[pos..];
    if rest.len() < HEADER || rest.iter().all(|b| *b == 0) {
        return Ok(());
    }
    let len = u32::from_le_bytes(rest[..4].try_into().expect("4")) as usize;
    let crc = u32::from_le_bytes(rest[4..8].try_into().expect("4"));
    if len == 0 {
        return Ok(());
    }
    let end = pos + HEADER + len;
    let Some(payload) = buf.get(pos + HEADER..end) else {
        // Past the end of the file: a write cut short — unless whole records follow, when it
        // is the length field that is damaged (cutting would drop them all).
        return match next_whole_record(buf, pos + 1) {
            Some(next) => Err(format!(
                "record at byte {pos} claims {len} bytes, past the end of the file, but a \
                 whole record follows at byte {next}: the log is damaged"
            )),
            None => Ok(()),
        };
    };
    if crc32fast::hash(payload) == crc {
        return Err(format!(
            "record at byte {pos} has a valid checksum but does not parse \
             (a log from another csrsim version, or damaged)"
        ));
    }
    let mut start = pos;
    while start < end {
        let stop = ((start / SECTOR + 1) * SECTOR).min(end);
        if buf[start..stop].iter().all(|b| *b == 0) {
            return Ok(());
        }
        start = stop;
    }
    Err(format!(
        "record at byte {pos} fails its checksum and is not a torn write \
         (no unwritten sector): the log is damaged"
    ))
}

/// The first offset at or after `from` where a whole record starts (a non-zero length that
/// fits in the file, a payload that parses, its CRC checking). Every offset is a candidate,
/// so the payload's shape is checked before its CRC: inside JSON text, four bytes read as a
/// length of 0.5–2 GiB, which fits in a log that large — checksumming each such candidate
/// first made the search quadratic in the damaged record's size (hours, not an error).
fn next_whole_record(buf: &[u8], from: usize) -> Option<usize> {
    let last = buf.len().checked_sub(HEADER)?;
    (from..=last).find(|&p| {
        let len = u32::from_le_bytes(buf[p..p + 4].try_into().expect("4")) as usize;
        let crc = u32::from_le_bytes(buf[p + 4..p + 8].try_into().expect("4"));
        len > 0
            && buf
                .get(p + HEADER..p + HEADER + len)
                .is_some_and(|payload| {
                    walk_payload(payload, |_, _| {}).is_some() && {
                        #[cfg(test)]
                        HASHED.with(|h| h.set(h.get() + payload.len()));
                        crc32fast::hash(payload) == crc
                    }
                })
    })
}

#[cfg(test)]
thread_local! {
    /// Bytes [`next_whole_record`] checksummed on this thread.
    static HASHED: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// Parse a whole log image: the objects, the last meta, and the end of the last whole record.
fn replay(buf: &[u8]) -> (LoadedObjects, Option<Meta>, u64) {
    let mut objects = LoadedObjects::new();
    let mut meta = None;
    let mut pos = MAGIC.len();
    while buf.len() - pos >= HEADER {
        let len = u32::from_le_bytes(buf[pos..pos + 4].try_into().expect("4")) as usize;
        let crc = u32::from_le_bytes(buf[pos + 4..pos + 8].try_into().expect("4"));
        let Some(payload) = buf.get(pos + HEADER..pos + HEADER + len) else {
            break;
        };
        if crc32fast::hash(payload) != crc {
            break;
        }
        match apply_payload(payload, &mut objects) {
            Some(m) => meta = Some(m),
            None => break,
        }
        pos += HEADER + len;
    }
    (objects, meta, pos as u64)
}

/// The log's bytes for replay: a read-only mapping (no copy into anonymous memory, pages
/// read ahead with `MAP_POPULATE`), or a plain read where mapping is not available.
enum Image {
    #[cfg(unix)]
    Mapped(*const u8, usize),
    Read(Vec<u8>),
}

impl Image {
    fn of(file: &File) -> std::io::Result<Image> {
        let len = usize::try_from(file.metadata()?.len()).map_err(std::io::Error::other)?;
        #[cfg(unix)]
        if len > 0 {
            use std::os::fd::AsRawFd;
            #[cfg(target_os = "linux")]
            let flags = libc::MAP_PRIVATE | libc::MAP_POPULATE;
            #[cfg(not(target_os = "linux"))]
            let flags = libc::MAP_PRIVATE;
            // SAFETY: a private read-only mapping of `len` bytes of a file we hold open and
            // locked (no other csrsim writes it); unmapped on drop, before the file is
            // written or cut.
            let p = unsafe {
                libc::mmap(
                    std::ptr::null_mut(),
                    len,
                    libc::PROT_READ,
                    flags,
                    file.as_raw_fd(),
                    0,
                )
            };
            if p != libc::MAP_FAILED {
                return Ok(Image::Mapped(p as *const u8, len));
            }
        }
        let mut buf = Vec::with_capacity(len);
        let mut f = file;
        f.seek(SeekFrom::Start(0))?;
        f.read_to_end(&mut buf)?;
        Ok(Image::Read(buf))
    }

    fn bytes(&self) -> &[u8] {
        match self {
            // SAFETY: the mapping is `len` readable bytes, alive as long as `self`.
            #[cfg(unix)]
            Image::Mapped(p, len) => unsafe { std::slice::from_raw_parts(*p, *len) },
            Image::Read(v) => v,
        }
    }
}

impl Drop for Image {
    fn drop(&mut self) {
        #[cfg(unix)]
        if let Image::Mapped(p, len) = self {
            // SAFETY: unmapping the mapping made in `Image::of`; no slice of it outlives self.
            unsafe {
                libc::munmap(*p as *mut libc::c_void, *len);
            }
        }
    }
}

/// Attempts, 20 ms apart, before a held lock is an error. A lock can outlive its owner's
/// close for a moment: a child forked by another thread of the same process holds a copy of
/// the descriptor until its `exec` closes it (seen in the test suite: a store reopened right
/// after a drop while another test spawned `openssl`).
const LOCK_ATTEMPTS: u32 = 50;

/// An exclusive `flock` on the file (released when it is closed, or the process dies).
fn lock(f: &File) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::fd::AsRawFd;
        let mut attempt = 1;
        loop {
            // SAFETY: flock on a descriptor `f` owns and keeps open for the call.
            let r = unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
            if r == 0 {
                break;
            }
            let e = std::io::Error::last_os_error();
            if e.kind() != std::io::ErrorKind::WouldBlock || attempt >= LOCK_ATTEMPTS {
                return Err(e);
            }
            attempt += 1;
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }
    #[cfg(not(unix))]
    let _ = f;
    Ok(())
}

fn sync_dir(dir: &Path) -> Result<(), String> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| format!("sync {}: {e}", dir.display()))
}

/// Why a file with the wrong first bytes is refused: another format version of this log
/// (`csrlogN`), or some other file.
fn not_this_format(path: &Path, buf: &[u8]) -> String {
    let head = &buf[..buf.len().min(MAGIC.len())];
    let version = head
        .strip_prefix(b"csrlog")
        .and_then(|v| v.strip_suffix(b"\n"))
        .filter(|v| !v.is_empty() && v.iter().all(u8::is_ascii_digit));
    let ours = String::from_utf8_lossy(&MAGIC[6..7]);
    match version {
        Some(v) => format!(
            "{}: written in store format version {} by another csrsim; this csrsim reads \
             version {ours} only (use the csrsim that wrote it, or another --data-dir)",
            path.display(),
            String::from_utf8_lossy(v)
        ),
        None => format!(
            "{}: not a csrsim store log (it does not start with {:?})",
            path.display(),
            String::from_utf8_lossy(MAGIC)
        ),
    }
}

fn io<E: std::fmt::Display>(what: &Path) -> impl Fn(E) -> String + '_ {
    move |e| format!("{}: {e}", what.display())
}

impl LogBackend {
    /// Open (or create) the log under `<data_dir>/wal/`.
    pub fn open(data_dir: &Path) -> Result<LogBackend, String> {
        let dir = data_dir.join(LOG_DIR);
        super::create_dir(&dir, "csrsim keeps its store log in it")?;
        let path = dir.join("log");
        let existed = path.exists();
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(io(&path))?;
        lock(&file).map_err(|e| {
            if e.kind() == std::io::ErrorKind::WouldBlock {
                format!(
                    "{}: in use by another csrsim process (it holds the lock on {}); stop it \
                     first, or give another --data-dir",
                    data_dir.display(),
                    path.display()
                )
            } else {
                format!(
                    "{}: cannot lock {}: {e}",
                    data_dir.display(),
                    path.display()
                )
            }
        })?;
        if !existed {
            sync_dir(&dir)?;
        }
        Ok(LogBackend {
            dir,
            file: Arc::new(Mutex::new(Arc::new(file))),
            len: 0,
            allocated: 0,
            retry_at: 0,
            deferred: false,
            appended: Arc::new(AtomicU64::new(0)),
            synced: Arc::new(AtomicU64::new(0)),
            compact_slack: COMPACT_SLACK_BYTES,
            poisoned: false,
            no_prealloc_before: 0,
        })
    }

    /// Compact once the file exceeds twice the live bytes by `bytes` (tests use small values).
    pub fn with_compact_slack(mut self, bytes: u64) -> LogBackend {
        self.compact_slack = bytes;
        self
    }

    fn path(&self) -> PathBuf {
        self.dir.join("log")
    }

    fn current(&self) -> Arc<File> {
        self.file.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Rewrite the log as the live objects + meta (`log.new`, synced, renamed over `log`).
    fn rewrite(
        &mut self,
        live: &mut dyn Iterator<Item = (&str, u64, &[u8])>,
        meta: Meta,
    ) -> Result<(), String> {
        let tmp = self.dir.join("log.new");
        let mut f = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(&tmp)
            .map_err(io(&tmp))?;
        let mut buf = Vec::with_capacity(SNAPSHOT_RECORD_BYTES + 64 * 1024);
        buf.extend_from_slice(MAGIC);
        let mut total = 0u64; // bytes written (the first write includes MAGIC)
        let mut batch: Vec<(&str, u64, &[u8])> = Vec::new();
        let mut batch_bytes = 0;
        let flush_batch = |batch: &mut Vec<(&str, u64, &[u8])>,
                           buf: &mut Vec<u8>,
                           f: &mut File|
         -> Result<u64, String> {
            encode_record(
                buf,
                meta,
                batch.iter().map(|(k, rv, b)| (*k, Some((*rv, *b)))),
            )?;
            f.write_all(buf).map_err(io(&tmp))?;
            let n = buf.len() as u64;
            buf.clear();
            batch.clear();
            Ok(n)
        };
        for (k, rv, b) in live {
            batch_bytes += entry_bytes(k, b) as usize;
            batch.push((k, rv, b));
            if batch_bytes >= SNAPSHOT_RECORD_BYTES {
                total += flush_batch(&mut batch, &mut buf, &mut f)?;
                batch_bytes = 0;
            }
        }
        // The last record always exists: it carries the meta record even with no objects.
        total += flush_batch(&mut batch, &mut buf, &mut f)?;
        f.sync_all().map_err(io(&tmp))?;
        lock(&f).map_err(io(&tmp))?;
        std::fs::rename(&tmp, self.path()).map_err(io(&tmp))?;
        sync_dir(&self.dir)?;
        *self.file.lock().unwrap_or_else(|p| p.into_inner()) = Arc::new(f);
        self.len = total;
        self.allocated = total;
        self.synced.fetch_max(self.appended.load(SeqCst), SeqCst);
        Ok(())
    }

    /// Write zeros from `allocated` to past `end` (see [`PREALLOC_MIN_BYTES`]).
    fn preallocate(&mut self, file: &File, end: u64) -> std::io::Result<()> {
        let step = (self.len / 4).clamp(PREALLOC_MIN_BYTES, PREALLOC_MAX_BYTES);
        let target = end + step;
        let zeros = vec![0u8; PREALLOC_MIN_BYTES as usize];
        let mut at = self.allocated;
        while at < target {
            let n = (target - at).min(zeros.len() as u64) as usize;
            file.write_all_at(&zeros[..n], at)?;
            at += n as u64;
        }
        self.allocated = target;
        Ok(())
    }

    /// Superseded records outweigh the live ones by more than the slack: with
    /// `live_bytes` counted as the store changes (not the size at the last compaction), a
    /// log that grows only by new objects is never rewritten.
    fn wants_rewrite(&self, live_bytes: u64) -> bool {
        self.len > (2 * live_bytes + self.compact_slack).max(self.retry_at)
    }
}

impl Backend for LogBackend {
    fn load(&mut self) -> Result<(LoadedObjects, Option<Meta>), String> {
        let path = self.path();
        let file = self.current();
        let image = Image::of(&file).map_err(io(&path))?;
        let buf = image.bytes();
        if buf.is_empty() {
            // A new log: write the magic durably.
            (&*file).write_all(MAGIC).map_err(io(&path))?;
            file.sync_data().map_err(io(&path))?;
            self.len = MAGIC.len() as u64;
            self.allocated = self.len;
            return Ok((LoadedObjects::new(), None));
        }
        if buf.len() < MAGIC.len() || &buf[..MAGIC.len()] != MAGIC {
            // Torn while writing the magic of a new log: nothing was ever committed. A
            // prefix of the magic, or only zeros (a filesystem that journals the file's new
            // size before its data, as ext4 `data=writeback`, can show the size without the
            // bytes after a crash): the magic was never synced, so no record ever was.
            let written = buf.iter().zip(MAGIC).take_while(|(b, m)| b == m).count();
            if buf[written..].iter().all(|b| *b == 0) {
                drop(image);
                file.set_len(0).map_err(io(&path))?;
                (&*file).seek(SeekFrom::Start(0)).map_err(io(&path))?;
                return self.load();
            }
            return Err(not_this_format(&path, buf));
        }
        let (objects, meta, end) = replay(buf);
        if let Err(e) = check_tail(buf, end as usize) {
            return Err(format!(
                "{}: {e}; nothing was cut — restore the data dir from a backup, or move {} \
                 away to start empty",
                path.display(),
                path.display()
            ));
        }
        let file_len = buf.len() as u64;
        let zeros_after = buf[end as usize..].iter().all(|b| *b == 0);
        drop(image);
        self.len = end;
        self.allocated = file_len;
        if !zeros_after {
            // A torn last record (crash during an append that was never acknowledged): cut,
            // so nothing but zeros ever follows the last record.
            file.set_len(end).map_err(io(&path))?;
            file.sync_all().map_err(io(&path))?;
            self.allocated = end;
        }
        let live: u64 = objects.iter().map(|(k, (_, b))| entry_bytes(k, b)).sum();
        if self.wants_rewrite(live) {
            let m = meta.unwrap_or_default();
            self.rewrite(
                &mut objects
                    .iter()
                    .map(|(k, (rv, b))| (k.as_str(), *rv, b.as_slice())),
                m,
            )?;
        }
        Ok((objects, meta))
    }

    fn commit(&mut self, writes: &[(String, Option<Bytes>)], meta: Meta) -> Result<(), String> {
        if self.poisoned {
            return Err("store log unusable after a failed write; restart".into());
        }
        if self.len == 0 {
            return Err("store log written before it was loaded".into());
        }
        let mut rec = Vec::with_capacity(
            64 + writes
                .iter()
                .map(|(k, v)| k.len() + 17 + v.as_ref().map_or(0, |b| b.len()))
                .sum::<usize>(),
        );
        // A single put is Store::put's: its object carries the batch's resourceVersion.
        let single = writes.len() == 1;
        encode_record(
            &mut rec,
            meta,
            writes.iter().map(|(k, v)| {
                (
                    k.as_str(),
                    v.as_ref().map(|b| {
                        let rv = if single {
                            meta.rv
                        } else {
                            super::rv_of(b).unwrap_or(0)
                        };
                        (rv, b.as_slice())
                    }),
                )
            }),
        )?;
        let path = self.path();
        let file = self.current();
        let end = self.len + rec.len() as u64;
        let mut r = Ok(());
        if end > self.allocated
            && self.len >= self.no_prealloc_before
            && self.preallocate(&file, end).is_err()
        {
            // No room for the zeros ahead (a nearly full disk): drop what was written of them
            // and append the record alone, so writes go on while it still fits; try again one
            // step later.
            r = file.set_len(self.len);
            self.allocated = self.len;
            self.no_prealloc_before = self.len + PREALLOC_MIN_BYTES;
        }
        if r.is_ok() {
            r = file.write_all_at(&rec, self.len);
        }
        if let Err(e) = r {
            // Cut a partial record (and zeros) off so the next append does not follow it.
            match file.set_len(self.len) {
                Ok(()) => self.allocated = self.len,
                Err(_) => self.poisoned = true,
            }
            return Err(format!("{}: {e}", path.display()));
        }
        self.len = end;
        self.allocated = self.allocated.max(end);
        let n = self.appended.fetch_add(1, SeqCst) + 1;
        if !self.deferred {
            file.sync_data().map_err(io(&path))?;
            self.synced.fetch_max(n, SeqCst);
        }
        Ok(())
    }

    fn wants_compaction(&self, live_bytes: u64) -> bool {
        self.wants_rewrite(live_bytes)
    }

    fn compact(
        &mut self,
        live: &mut dyn Iterator<Item = (&str, u64, &[u8])>,
        meta: Meta,
    ) -> Result<(), String> {
        let r = self.rewrite(live, meta);
        if r.is_err() {
            // Do not retry on every write (a full disk): wait for the log to grow again.
            self.retry_at = self.len + self.compact_slack;
        }
        r
    }

    fn defer_flush(&mut self) -> Option<super::Flusher> {
        self.deferred = true;
        let file = self.file.clone();
        let path = self.path();
        let (appended, synced) = (self.appended.clone(), self.synced.clone());
        Some(Arc::new(move || {
            let want = appended.load(SeqCst);
            if synced.load(SeqCst) >= want {
                return Ok(());
            }
            // The current file: a compaction that replaced it synced everything it holds.
            let f = file.lock().unwrap_or_else(|p| p.into_inner()).clone();
            f.sync_data().map_err(io(&path))?;
            synced.fetch_max(want, SeqCst);
            Ok(())
        }))
    }

    fn name(&self) -> &'static str {
        "log"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(rv: u64) -> Meta {
        Meta { rv, clock_ms: 7 }
    }

    fn put(k: &str, v: &str) -> (String, Option<Bytes>) {
        (k.to_string(), Some(Arc::new(v.as_bytes().to_vec())))
    }

    fn reopen(dir: &Path) -> (LogBackend, LoadedObjects, Option<Meta>) {
        let mut b = LogBackend::open(dir).unwrap();
        let (o, m) = b.load().unwrap();
        (b, o, m)
    }

    #[test]
    fn writes_survive_reopen_with_their_resource_versions() {
        let d = tempfile::tempdir().unwrap();
        {
            let (mut b, o, m) = reopen(d.path());
            assert!(o.is_empty() && m.is_none());
            b.commit(&[put("a", "1")], meta(1)).unwrap();
            b.commit(&[put("b", "2")], meta(2)).unwrap();
            b.commit(&[put("a", "3")], meta(3)).unwrap();
            b.commit(&[("b".into(), None)], meta(4)).unwrap();
            b.commit(&[], meta(4)).unwrap();
        }
        let (_, o, m) = reopen(d.path());
        assert_eq!(m, Some(meta(4)));
        assert_eq!(o.len(), 1);
        assert_eq!(o["a"].0, 3);
        assert_eq!(o["a"].1.as_slice(), b"3");
    }

    #[test]
    fn a_torn_last_record_is_cut_off_and_later_appends_follow_the_last_whole_one() {
        let d = tempfile::tempdir().unwrap();
        {
            let (mut b, _, _) = reopen(d.path());
            b.commit(&[put("a", "1")], meta(1)).unwrap();
            b.commit(&[put("b", "2")], meta(2)).unwrap();
        }
        let path = d.path().join(LOG_DIR).join("log");
        let bytes = std::fs::read(&path).unwrap();
        let full = replay(&bytes).2;
        assert!(
            bytes[full as usize..].iter().all(|b| *b == 0),
            "zeros ahead"
        );
        // Every cut inside a record loses exactly that record (and the ones after it).
        for cut in 1..(full - 1) {
            let d2 = tempfile::tempdir().unwrap();
            std::fs::create_dir_all(d2.path().join(LOG_DIR)).unwrap();
            let p2 = d2.path().join(LOG_DIR).join("log");
            std::fs::write(&p2, &bytes[..(full - cut) as usize]).unwrap();
            let (mut b, o, m) = reopen(d2.path());
            let n = o.len();
            assert!(n <= 2);
            if let Some(m) = m {
                assert_eq!(m.rv as usize, n, "cut {cut}: meta matches the objects");
            }
            b.commit(&[put("c", "3")], meta(9)).unwrap();
            drop(b);
            let (_, o, m) = reopen(d2.path());
            assert_eq!(o.len(), n + 1, "cut {cut}");
            assert_eq!(m, Some(meta(9)));
        }
    }

    #[test]
    fn appends_fill_the_zeros_written_ahead_and_reopen_keeps_them() {
        let d = tempfile::tempdir().unwrap();
        let path = d.path().join(LOG_DIR).join("log");
        let obj = "o".repeat(100 * 1024);
        for round in 0..3u64 {
            let (mut b, o, _) = reopen(d.path());
            assert_eq!(o.len() as u64, round * 30);
            let bytes = std::fs::read(&path).unwrap();
            assert_eq!(replay(&bytes).2, b.len);
            assert!(
                bytes[b.len as usize..].iter().all(|z| *z == 0),
                "zeros kept"
            );
            assert_eq!(bytes.len() as u64, b.allocated);
            for i in 0..30 {
                let rv = round * 30 + i + 1;
                b.commit(&[put(&format!("k{rv}"), &obj)], meta(rv)).unwrap();
                assert!(b.allocated > b.len);
                assert_eq!(std::fs::metadata(&path).unwrap().len(), b.allocated);
            }
        }
        let (_, o, m) = reopen(d.path());
        assert_eq!((o.len(), m), (90, Some(meta(90))));
    }

    fn three_records(dir: &Path) -> (PathBuf, Vec<u8>, [usize; 3]) {
        let mut starts = [0; 3];
        {
            let (mut b, _, _) = reopen(dir);
            for (i, k) in ["a", "b", "c"].into_iter().enumerate() {
                starts[i] = b.len as usize;
                b.commit(&[put(k, &k.repeat(2000))], meta(i as u64 + 1))
                    .unwrap();
            }
        }
        let path = dir.join(LOG_DIR).join("log");
        let bytes = std::fs::read(&path).unwrap();
        (path, bytes, starts)
    }

    /// A damaged record (every sector written, the CRC fails) is corruption, not a torn
    /// write: opening fails, naming the file and the offset, and nothing is cut — before,
    /// the log was cut there, silently dropping that record and every later one.
    #[test]
    fn a_damaged_record_is_refused_and_the_log_left_as_it_is() {
        for (which, what) in [(1, "mid-log"), (2, "last")] {
            let d = tempfile::tempdir().unwrap();
            let (path, mut bytes, starts) = three_records(d.path());
            bytes[starts[which] + HEADER + 30] ^= 0x20;
            std::fs::write(&path, &bytes).unwrap();
            let mut b = LogBackend::open(d.path()).unwrap();
            let e = b.load().expect_err(what);
            assert!(
                e.starts_with(&format!(
                    "{}: record at byte {}",
                    path.display(),
                    starts[which]
                )) && e.contains("fails its checksum")
                    && e.contains("nothing was cut"),
                "{what}: {e}"
            );
            drop(b);
            assert_eq!(std::fs::read(&path).unwrap(), bytes, "{what}: untouched");
        }
    }

    /// A damaged length field that sends a middle record past the end of the file is not a
    /// write cut short: whole records follow it. Refused (it used to be cut there).
    #[test]
    fn a_damaged_length_in_mid_log_is_refused() {
        let d = tempfile::tempdir().unwrap();
        let (path, mut bytes, starts) = three_records(d.path());
        bytes[starts[1] + 3] = 0x7f;
        std::fs::write(&path, &bytes).unwrap();
        let e = LogBackend::open(d.path()).unwrap().load().err().unwrap();
        assert!(
            e.contains(&format!(
                "record at byte {} claims {} bytes, past the end of the file, but a whole \
                 record follows at byte {}",
                starts[1],
                u32::from_le_bytes(bytes[starts[1]..starts[1] + 4].try_into().unwrap()),
                starts[2]
            )),
            "{e}"
        );
        assert_eq!(std::fs::read(&path).unwrap(), bytes);
    }

    /// The search for a whole record after a damaged length tries every offset: one whose
    /// bytes read as a length that fits is ruled out by its payload's shape before any
    /// checksum over it. Here a 2 MiB value of `ff ff 00 00` puts a 64 KiB "length" at every
    /// fourth offset of the damaged record (as JSON text does a 0.5–2 GiB one in a log past
    /// 539 MB): checksumming each candidate first was 34 GB of CRC (here under a second; with
    /// JSON in a big log, 0.5 GiB per candidate read from memory: hours), before the open
    /// failed.
    #[test]
    fn the_search_past_a_damaged_length_does_not_checksum_every_offset() {
        let d = tempfile::tempdir().unwrap();
        let mut starts = [0; 3];
        {
            let (mut b, _, _) = reopen(d.path());
            let big: Vec<u8> = [0xff, 0xff, 0, 0].repeat(512 * 1024);
            for (i, v) in [b"1".to_vec(), big, b"3".to_vec()].into_iter().enumerate() {
                starts[i] = b.len as usize;
                b.commit(&[(format!("k{i}"), Some(Arc::new(v)))], meta(i as u64 + 1))
                    .unwrap();
            }
        }
        let path = d.path().join(LOG_DIR).join("log");
        let mut bytes = std::fs::read(&path).unwrap();
        bytes[starts[1] + 3] = 0x7f;
        std::fs::write(&path, &bytes).unwrap();
        HASHED.with(|h| h.set(0));
        let e = LogBackend::open(d.path()).unwrap().load().err().unwrap();
        assert!(
            e.contains(&format!("but a whole record follows at byte {}", starts[2])),
            "{e}"
        );
        // The record found is checksummed (a few bytes), not 524,288 candidates of 64 KiB.
        let hashed = HASHED.with(|h| h.get());
        assert!(hashed < 1 << 20, "{hashed} bytes checksummed");
    }

    /// A torn write — part of the last record's sectors never reached the disk (zeros) — is
    /// cut, as etcd's `isTornEntry` allows.
    #[test]
    fn a_last_record_with_an_unwritten_sector_is_a_torn_write_and_cut() {
        let d = tempfile::tempdir().unwrap();
        let (path, mut bytes, starts) = three_records(d.path());
        let sector = (starts[2] / SECTOR + 2) * SECTOR;
        bytes[sector..sector + SECTOR].fill(0);
        std::fs::write(&path, &bytes).unwrap();
        let (_, o, m) = reopen(d.path());
        assert_eq!(m, Some(meta(2)));
        assert_eq!(o.keys().collect::<Vec<_>>(), ["a", "b"]);
    }

    #[test]
    fn another_format_version_or_file_is_refused_by_name() {
        let d = tempfile::tempdir().unwrap();
        let (path, mut bytes, _) = three_records(d.path());
        bytes[6] = b'2';
        std::fs::write(&path, &bytes).unwrap();
        let e = LogBackend::open(d.path()).unwrap().load().err().unwrap();
        assert_eq!(
            e,
            format!(
                "{}: written in store format version 2 by another csrsim; this csrsim reads \
                 version 1 only (use the csrsim that wrote it, or another --data-dir)",
                path.display()
            )
        );
        std::fs::write(&path, b"hello world").unwrap();
        let e = LogBackend::open(d.path()).unwrap().load().err().unwrap();
        assert!(e.contains("not a csrsim store log"), "{e}");
    }

    /// A crash while a new log's magic was being written leaves a prefix of it, and (on a
    /// filesystem that journals sizes before data) zeros: nothing was committed, so the log
    /// starts empty and works; before, the zeros were "not a csrsim store log" and the server
    /// would not start.
    #[test]
    fn a_new_log_torn_in_its_magic_starts_empty() {
        for torn in [
            &b"csrl"[..],
            b"csrlog1",
            &[0u8; 8],
            &[0u8; 4096],
            &[0u8; 3],
            b"csr\0\0\0\0\0\0\0",
        ] {
            let d = tempfile::tempdir().unwrap();
            drop(reopen(d.path()));
            let path = d.path().join(LOG_DIR).join("log");
            std::fs::write(&path, torn).unwrap();
            {
                let (mut b, o, m) = reopen(d.path());
                assert!(o.is_empty() && m.is_none(), "{torn:?}");
                b.commit(&[put("a", "1")], meta(1)).unwrap();
            }
            let (_, o, m) = reopen(d.path());
            assert_eq!(o.len(), 1, "{torn:?}");
            assert_eq!(m, Some(meta(1)));
        }
        // a zeroed start with bytes after it is damage, not a torn magic
        let d = tempfile::tempdir().unwrap();
        let (path, mut bytes, _) = three_records(d.path());
        bytes[..512].fill(0);
        std::fs::write(&path, &bytes).unwrap();
        let e = LogBackend::open(d.path()).unwrap().load().err().unwrap();
        assert!(e.contains("not a csrsim store log"), "{e}");
        std::fs::write(&path, b"csrXog1\n").unwrap();
        let e = LogBackend::open(d.path()).unwrap().load().err().unwrap();
        assert!(e.contains("not a csrsim store log"), "{e}");
    }

    #[test]
    fn a_second_process_on_the_data_dir_is_named_as_the_cause() {
        let d = tempfile::tempdir().unwrap();
        let _held = LogBackend::open(d.path()).unwrap();
        // flock is per open file description: a second open in this process conflicts too
        let e = LogBackend::open(d.path()).err().unwrap();
        assert!(
            e.starts_with(&format!(
                "{}: in use by another csrsim process",
                d.path().display()
            )),
            "{e}"
        );
    }

    #[test]
    fn compaction_keeps_live_objects_and_shrinks_the_file() {
        let d = tempfile::tempdir().unwrap();
        let path = d.path().join(LOG_DIR).join("log");
        let big = "x".repeat(1 << 20);
        {
            let (mut b, _, _) = reopen(d.path());
            for i in 0..100u64 {
                b.commit(&[put("same", &big)], meta(i + 1)).unwrap();
            }
            b.commit(&[put("small", "s")], meta(101)).unwrap();
            let live = [("same", 100u64, big.as_bytes()), ("small", 101, b"s")];
            let live_bytes = live.iter().map(|(k, _, v)| entry_bytes(k, v)).sum();
            assert!(b.wants_compaction(live_bytes));
            b.compact(&mut live.iter().copied(), meta(101)).unwrap();
            assert!(!b.wants_compaction(live_bytes));
            b.commit(&[put("after", "a")], meta(102)).unwrap();
        }
        let bytes = std::fs::read(&path).unwrap();
        assert!(
            replay(&bytes).2 < 2 << 20,
            "records of the live objects only"
        );
        assert!(bytes.len() < 2 * (2 << 20), "and at most the zeros ahead");
        let (_, o, m) = reopen(d.path());
        assert_eq!(m, Some(meta(102)));
        assert_eq!(o.len(), 3);
        assert_eq!(o["same"].0, 100);
        assert_eq!(o["same"].1.len(), 1 << 20);
    }

    #[test]
    fn the_store_compacts_the_log_as_it_grows_and_reopens_the_same() {
        use crate::store::Store;
        let d = tempfile::tempdir().unwrap();
        let path = d.path().join(LOG_DIR).join("log");
        let open = || {
            let b = LogBackend::open(d.path())
                .unwrap()
                .with_compact_slack(64 * 1024);
            Store::open(Box::new(b), 10, 1000).unwrap()
        };
        let obj = |i: u64| format!("{{\"v\":\"{}\"}}", "x".repeat(1000 + i as usize));
        const N: u64 = 600;
        let mut max_len = 0;
        {
            let mut s = open();
            for i in 0..N {
                let k = format!("core/things//k{}", i % 10);
                s.put(&k, obj(i).into_bytes(), i as i64).unwrap();
                if i % 7 == 0 {
                    s.delete(
                        &format!("core/things//k{}", (i + 3) % 10),
                        b"{}".to_vec(),
                        i as i64,
                    )
                    .unwrap();
                }
                max_len = max_len.max(replay(&std::fs::read(&path).unwrap()).2);
            }
        }
        // ~0.8 MB written; the records never exceed twice the live data (10 objects of at
        // most 1,600 bytes) + the slack + one record.
        assert!(max_len < 2 * 17 * 1024 + 64 * 1024 + 2 * 1024, "{max_len}");
        let s = open();
        assert_eq!(s.rv(), N + N.div_ceil(7));
        assert_eq!(s.persisted_clock_ms(), N as i64 - 1);
        for i in N - 10..N {
            let k = format!("core/things//k{}", i % 10);
            let deleted_after = (N - 10..N)
                .filter(|j| j % 7 == 0 && (j + 3) % 10 == i % 10 && *j >= i)
                .count()
                > 0;
            assert_eq!(s.get(&k).is_some(), !deleted_after, "{k}");
            if let Some(b) = s.get(&k) {
                assert_eq!(b.as_slice(), obj(i).as_bytes());
            }
        }
    }

    #[test]
    fn a_log_that_grows_only_by_new_objects_is_never_rewritten() {
        use crate::store::Store;
        use std::os::unix::fs::MetadataExt;
        let d = tempfile::tempdir().unwrap();
        let path = d.path().join(LOG_DIR).join("log");
        let b = LogBackend::open(d.path())
            .unwrap()
            .with_compact_slack(64 * 1024);
        let mut s = Store::open(Box::new(b), 10, 1000).unwrap();
        let ino = std::fs::metadata(&path).unwrap().ino();
        // Held open so that a rewritten log cannot get the same inode number.
        let _hold = File::open(&path).unwrap();
        // 300 KB of new objects: 4x the slack, all of it live.
        for i in 0..300 {
            s.put(&format!("core/things//k{i}"), vec![b'x'; 1000], 0)
                .unwrap();
        }
        assert_eq!(std::fs::metadata(&path).unwrap().ino(), ino, "rewritten");
        // Superseding them does make it due: the file is replaced by a compacted one.
        for round in 0..3 {
            for i in 0..300 {
                s.put(&format!("core/things//k{i}"), vec![round; 1000], 0)
                    .unwrap();
            }
        }
        assert_ne!(
            std::fs::metadata(&path).unwrap().ino(),
            ino,
            "not rewritten"
        );
    }

    #[test]
    fn a_second_process_cannot_open_a_locked_log() {
        let d = tempfile::tempdir().unwrap();
        let _a = LogBackend::open(d.path()).unwrap();
        let e = LogBackend::open(d.path()).err().unwrap();
        assert!(e.contains("another csrsim"), "{e}");
    }

    #[test]
    fn a_batch_of_puts_records_each_object_resource_version() {
        let d = tempfile::tempdir().unwrap();
        {
            let (mut b, _, _) = reopen(d.path());
            b.commit(
                &[
                    put("a", r#"{"metadata":{"resourceVersion":"5"}}"#),
                    put("b", r#"{"metadata":{"resourceVersion":"6"}}"#),
                ],
                meta(6),
            )
            .unwrap();
        }
        let (_, o, _) = reopen(d.path());
        assert_eq!((o["a"].0, o["b"].0), (5, 6));
    }
}
