//! Group commit for `csrsim serve`: writes are applied under the cluster lock without a
//! flush, and every response waits until what it may have observed is durable.
//!
//! One dedicated flusher thread runs the store's [`Flusher`] (one `fdatasync` on the log):
//! it starts the next flush as soon as the previous one ends if any response is waiting, and
//! each flush wakes every response it covered at once. At 16 or 64 connections one flush
//! thus covers every write applied while the previous one ran, and no response pays a
//! blocking-pool hand-off or a turn on a lock to find its write already covered.

use crate::store::Flusher;
use std::sync::atomic::{AtomicU64, Ordering::SeqCst};
use std::sync::{Arc, Condvar, Mutex};

/// What the flusher published after its last flush.
#[derive(Clone, Debug, Default)]
struct Done {
    /// Requests up to this number were covered by a flush that started after they asked.
    generation: u64,
    /// Highest resourceVersion known durable.
    durable: u64,
    /// The last flush's error (it covered `generation` without making it durable).
    error: Option<String>,
}

/// Requests to the flusher thread.
#[derive(Default)]
struct Asks {
    /// Number of the last waiting request.
    generation: u64,
    stop: bool,
}

struct Shared {
    asks: Mutex<Asks>,
    wake: Condvar,
    /// Highest resourceVersion applied to the store (recorded after each cluster call).
    applied: AtomicU64,
    /// Highest resourceVersion known durable (the fast path of [`Durability::wait`]).
    durable: AtomicU64,
    done: tokio::sync::watch::Sender<Done>,
}

/// Group-commit bookkeeping and the flusher thread (stopped and joined on drop, so the log
/// file and its lock are released when the server state goes).
pub struct Durability {
    shared: Arc<Shared>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Durability {
    /// Start the flusher thread; everything up to `rv` is already durable.
    pub fn start(flush: Flusher, rv: u64) -> Result<Durability, String> {
        let (done, _) = tokio::sync::watch::channel(Done {
            durable: rv,
            ..Done::default()
        });
        let shared = Arc::new(Shared {
            asks: Mutex::new(Asks::default()),
            wake: Condvar::new(),
            applied: AtomicU64::new(rv),
            durable: AtomicU64::new(rv),
            done,
        });
        let s = shared.clone();
        let thread = std::thread::Builder::new()
            .name("csrsim-flusher".into())
            .spawn(move || run(&s, &flush))
            .map_err(|e| format!("flusher thread: {e}"))?;
        Ok(Durability {
            shared,
            thread: Some(thread),
        })
    }

    /// Record that the store holds writes up to `rv`.
    pub fn note_applied(&self, rv: u64) {
        self.shared.applied.fetch_max(rv, SeqCst);
    }

    /// Wait until every write applied before the call is durable.
    pub async fn wait(&self) -> Result<(), String> {
        let s = &self.shared;
        let want = s.applied.load(SeqCst);
        if s.durable.load(SeqCst) >= want {
            return Ok(());
        }
        let (mut rx, generation) = self.ask_flush();
        // A flush that started after the request was numbered read `applied` after `want`.
        let done = rx
            .wait_for(|d| d.generation >= generation || d.durable >= want)
            .await
            .map_err(|_| "storage flusher stopped".to_string())?
            .clone();
        if done.durable >= want {
            Ok(())
        } else {
            Err(done.error.unwrap_or_else(|| "storage flush failed".into()))
        }
    }
}

impl Durability {
    /// Wait for a flush that starts after this call, even when no new resourceVersion was
    /// applied: a record that only moves the virtual clock is not counted by
    /// [`Durability::note_applied`], and `wait` would acknowledge it before its `fdatasync`.
    pub async fn flush(&self) -> Result<(), String> {
        let (mut rx, generation) = self.ask_flush();
        let done = rx
            .wait_for(|d| d.generation >= generation)
            .await
            .map_err(|_| "storage flusher stopped".to_string())?
            .clone();
        match done.error {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    /// Ask the flusher for a flush that starts after this call: the receiver of its results
    /// (subscribed first, so none is missed) and the generation that flush will cover.
    fn ask_flush(&self) -> (tokio::sync::watch::Receiver<Done>, u64) {
        let s = &self.shared;
        let rx = s.done.subscribe();
        let generation = {
            let mut a = s.asks.lock().unwrap_or_else(|p| p.into_inner());
            a.generation += 1;
            a.generation
        };
        s.wake.notify_one();
        (rx, generation)
    }
}

/// The flusher loop: wait for a request, flush everything applied so far, publish.
fn run(s: &Shared, flush: &Flusher) {
    let mut covered = 0u64;
    loop {
        let generation = {
            let mut a = s.asks.lock().unwrap_or_else(|p| p.into_inner());
            while a.generation <= covered && !a.stop {
                a = s.wake.wait(a).unwrap_or_else(|p| p.into_inner());
            }
            if a.stop {
                return;
            }
            a.generation
        };
        // Read after the generation: covers every write its requests waited for.
        let target = s.applied.load(SeqCst);
        let r = flush();
        covered = generation;
        if r.is_ok() {
            s.durable.fetch_max(target, SeqCst);
        }
        s.done.send_modify(|d| {
            d.generation = generation;
            match r {
                Ok(()) => {
                    d.durable = d.durable.max(target);
                    d.error = None;
                }
                Err(e) => d.error = Some(e),
            }
        });
    }
}

impl Drop for Durability {
    fn drop(&mut self) {
        self.shared
            .asks
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .stop = true;
        self.shared.wake.notify_one();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    fn counting(fail: bool) -> (Flusher, Arc<AtomicUsize>) {
        let n = Arc::new(AtomicUsize::new(0));
        let n2 = n.clone();
        let f: Flusher = Arc::new(move || {
            n2.fetch_add(1, SeqCst);
            std::thread::sleep(std::time::Duration::from_millis(2));
            if fail {
                Err("disk on fire".into())
            } else {
                Ok(())
            }
        });
        (f, n)
    }

    fn rt() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap()
    }

    #[test]
    fn nothing_new_needs_no_flush() {
        let (f, n) = counting(false);
        let d = Durability::start(f, 5).unwrap();
        rt().block_on(d.wait()).unwrap();
        assert_eq!(n.load(SeqCst), 0);
    }

    /// A record without a new resourceVersion (the virtual clock's) still gets its flush
    /// before the answer; a failed flush is the answer's error.
    #[test]
    fn an_explicit_flush_runs_without_a_new_resource_version() {
        let (f, n) = counting(false);
        let d = Durability::start(f, 5).unwrap();
        rt().block_on(d.flush()).unwrap();
        assert_eq!(n.load(SeqCst), 1);
        let (f, _) = counting(true);
        let d = Durability::start(f, 5).unwrap();
        assert_eq!(rt().block_on(d.flush()), Err("disk on fire".to_string()));
    }

    #[test]
    fn one_flush_covers_many_waiting_writes() {
        let (f, n) = counting(false);
        let d = Arc::new(Durability::start(f, 0).unwrap());
        rt().block_on(async {
            let mut hs = Vec::new();
            for rv in 1..=64 {
                d.note_applied(rv);
                let d = d.clone();
                hs.push(tokio::spawn(async move { d.wait().await }));
            }
            for h in hs {
                h.await.unwrap().unwrap();
            }
        });
        assert_eq!(d.shared.durable.load(SeqCst), 64);
        let flushes = n.load(SeqCst);
        assert!((1..64).contains(&flushes), "{flushes} flushes");
    }

    #[test]
    fn a_failed_flush_fails_its_waiters_and_a_later_one_retries() {
        let (f, n) = counting(true);
        let d = Durability::start(f, 0).unwrap();
        let rt = rt();
        d.note_applied(1);
        assert_eq!(rt.block_on(d.wait()).unwrap_err(), "disk on fire");
        assert_eq!(rt.block_on(d.wait()).unwrap_err(), "disk on fire");
        assert_eq!(n.load(SeqCst), 2, "each waiter after a failure asks again");
    }
}
