//! How the controllers run on the virtual clock: their slots, work queues and timers, and
//! `settle`, which after every request runs every queued sync and every due timer until
//! nothing is left (the order is fixed, so runs are deterministic).

use super::*;

impl Cluster {
    /// Register a controller; its `start` runs at once (or, on a cluster from
    /// [`Cluster::new_deferred`] whose deferred starts have not all run, in a later
    /// [`Cluster::start_controllers_step`]).
    pub fn add_controller(&mut self, c: Box<dyn Controller>) {
        let name = c.name();
        let watches = c.watches_csrs();
        let defer = self.defer_controllers;
        let (ctl, pending) = if defer {
            (None, Some(c))
        } else {
            (Some(c), None)
        };
        self.slots.push(Slot {
            name,
            ctl,
            queue: VecDeque::new(),
            queued: BTreeSet::new(),
            watches,
            paused: false,
        });
        let i = self.slots.len() - 1;
        if defer {
            // Not running until its step: settle and timers skip a slot without `ctl`;
            // writes meanwhile are queued for it (deduplicated with its initial list).
            self.deferred.push_back(DeferredStart {
                slot: i,
                ctl: pending,
                after: None,
                listed: !watches,
            });
            return;
        }
        if watches {
            // An informer's initial list: every existing CSR is queued.
            let names: Vec<String> = self.csr_names();
            for n in names {
                self.enqueue(i, &n);
            }
        }
        if let Some(mut ctl) = self.slots[i].ctl.take() {
            ctl.start(self);
            self.slots[i].ctl = Some(ctl);
        }
        self.settle();
    }

    /// One bounded step of the deferred controller starts (see [`Cluster::new_deferred`]),
    /// in registration order: the front controller runs from its first step; each step
    /// queues the next `max_csrs` CSRs of its initial list (by name) and settles; once listed,
    /// its `start` runs and the next controller begins. Returns true while work remains.
    /// A cluster from [`Cluster::new`] has nothing deferred.
    pub fn start_controllers_step(&mut self, max_csrs: usize) -> bool {
        let Some(front) = self.deferred.front_mut() else {
            self.defer_controllers = false;
            return false;
        };
        let i = front.slot;
        if let Some(ctl) = front.ctl.take() {
            self.slots[i].ctl = Some(ctl);
        }
        if !front.listed {
            let after = front.after.take();
            let p = store::prefix("certificates.k8s.io", "certificatesigningrequests", None);
            let keys: Vec<String> = self
                .store
                .range(&p, after.as_deref())
                .take(max_csrs.max(1))
                .map(|(k, _)| k.clone())
                .collect();
            let front = self.deferred.front_mut().expect("present");
            front.listed = keys.len() < max_csrs.max(1);
            front.after = keys.last().cloned().or(after);
            for k in &keys {
                let n = k.rsplit('/').next().unwrap_or("").to_string();
                self.enqueue(i, &n);
            }
            self.settle();
            return true;
        }
        self.deferred.pop_front();
        if let Some(mut ctl) = self.slots[i].ctl.take() {
            ctl.start(self);
            self.slots[i].ctl = Some(ctl);
        }
        self.settle();
        if self.deferred.is_empty() {
            self.defer_controllers = false;
            return false;
        }
        true
    }

    /// Controllers registered whose deferred start has not finished.
    pub fn controllers_pending_start(&self) -> usize {
        self.deferred.len()
    }

    /// Names of registered controllers, in run order.
    pub fn controller_names(&self) -> Vec<&'static str> {
        self.slots.iter().map(|s| s.name).collect()
    }

    /// Pause or resume a controller by name (a fault: its queue and timers wait).
    pub fn set_paused(&mut self, name: &str, paused: bool) -> bool {
        let mut found = false;
        for s in self.slots.iter_mut().filter(|s| s.name == name) {
            s.paused = paused;
            found = true;
        }
        if found {
            self.trace(
                if paused {
                    "controller-paused"
                } else {
                    "controller-resumed"
                },
                json!({"controller": name}),
            );
            if !paused {
                self.settle();
            }
        }
        found
    }

    /// Schedule `on_timer(tag)` of the named controller `after_ms` from now.
    pub fn schedule(&mut self, after_ms: u64, controller: &'static str, tag: String) {
        if let Some(i) = self.slots.iter().position(|s| s.name == controller) {
            self.schedule_slot(i, self.clock_ms + after_ms as i64, tag);
        }
    }

    pub(super) fn schedule_slot(&mut self, slot: usize, at_ms: i64, tag: String) {
        self.timer_seq += 1;
        self.timers.push(Reverse(Timer {
            at_ms,
            seq: self.timer_seq,
            slot,
            tag,
        }));
    }

    /// Time of the next pending timer, if any.
    pub fn next_timer_ms(&self) -> Option<i64> {
        self.timers.peek().map(|t| t.0.at_ms)
    }

    pub(super) fn enqueue(&mut self, slot: usize, name: &str) {
        let s = &mut self.slots[slot];
        if !s.queued.contains(name) {
            s.queued.insert(name.to_string());
            s.queue.push_back(name.to_string());
        }
    }

    pub(super) fn notify_csr(&mut self, name: &str) {
        for i in 0..self.slots.len() {
            if self.slots[i].watches {
                self.enqueue(i, name);
            }
        }
    }

    /// Advance virtual time by `d`, running every timer due on the way at its own instant.
    pub fn advance(&mut self, d: Duration) {
        let target = self.clock_ms.saturating_add(d.as_millis() as i64);
        self.advance_to(target);
    }

    /// Advance virtual time to `t_ms` (never backwards) and record the clock durably, so that
    /// a restart resumes at least there. A failed record is in the trace
    /// (`clock-record-failed`); [`Cluster::try_advance_to`] returns it instead.
    pub fn advance_to(&mut self, t_ms: i64) {
        if let Err(e) = self.try_advance_to(t_ms) {
            self.trace("clock-record-failed", json!({"error": e}));
        }
    }

    /// [`Cluster::advance`], failing when the clock's record cannot be written (a storage
    /// error, as a failed put is): virtual time has moved all the same.
    pub fn try_advance(&mut self, d: Duration) -> Result<(), String> {
        let target = self.clock_ms.saturating_add(d.as_millis() as i64);
        self.try_advance_to(target)
    }

    /// [`Cluster::advance_to`], failing when the clock's record cannot be written.
    pub fn try_advance_to(&mut self, t_ms: i64) -> Result<(), String> {
        if self.move_clock_to(t_ms) {
            self.store.set_clock(self.clock_ms, true)?;
        }
        Ok(())
    }

    /// Advance virtual time to `t_ms` as [`Cluster::advance_to`] does, without a record of
    /// the clock (writes made on the way still carry it): `csrsim serve --clock real`'s
    /// catch-up with the wall clock, which calls [`Cluster::persist_clock`] when the clock
    /// must be durable.
    pub fn catch_up_to(&mut self, t_ms: i64) {
        if self.move_clock_to(t_ms) {
            // the event window's age limit only: no record
            let _ = self.store.set_clock(self.clock_ms, false);
        }
    }

    /// Record durably that a restart must resume at `at_least_ms` or later (which may be ahead
    /// of now: a lease). Nothing is written when the last record already says as much.
    pub fn persist_clock(&mut self, at_least_ms: i64) -> Result<(), String> {
        self.store.persist_clock(at_least_ms.max(self.clock_ms))
    }

    /// The clock a restart resumes at (at least): that of the store's last record.
    pub fn persisted_clock_ms(&self) -> i64 {
        self.store.committed_clock_ms()
    }

    /// Move the clock to `t_ms`, running every timer due on the way; whether it moved.
    fn move_clock_to(&mut self, t_ms: i64) -> bool {
        let from = self.clock_ms;
        self.settle();
        while let Some(at) = self.next_due(t_ms) {
            if at > self.clock_ms {
                self.clock_ms = at;
            }
            self.fire_due();
            self.settle();
        }
        if t_ms > self.clock_ms {
            self.clock_ms = t_ms;
        }
        self.clock_ms != from
    }

    /// The time of the next timer of a running controller (or of a namespace waiting for the
    /// namespace controller) due at or before `limit`.
    pub(super) fn next_due(&self, limit: i64) -> Option<i64> {
        self.timers
            .iter()
            .filter(|t| t.0.at_ms <= limit && !self.slots[t.0.slot].paused)
            .map(|t| t.0.at_ms)
            .chain(self.ns_timers.iter().map(|t| t.0).filter(|at| *at <= limit))
            .min()
    }

    /// Fire every timer due at or before now whose controller is running.
    pub(super) fn fire_due(&mut self) {
        // the delay is the same for all: the ones due are at the front
        while self
            .ns_timers
            .front()
            .is_some_and(|t| t.0 <= self.clock_ms || t.1 <= self.requests)
        {
            let (_, _, ns) = self.ns_timers.pop_front().expect("front");
            self.queue_namespace(&ns);
        }
        let mut deferred = Vec::new();
        while let Some(Reverse(t)) = self.timers.peek() {
            if t.at_ms > self.clock_ms {
                break;
            }
            let Reverse(t) = self.timers.pop().expect("peeked");
            // A paused controller's timers wait; so do those of a controller that is running
            // right now (its on_timer/sync made a nested call): they fire once it returns.
            if self.slots[t.slot].paused || self.slots[t.slot].ctl.is_none() {
                deferred.push(t);
                continue;
            }
            if let Some(key) = t.tag.strip_prefix(REQUEUE_TAG) {
                let key = key.to_string();
                self.enqueue(t.slot, &key);
            } else if let Some(mut ctl) = self.slots[t.slot].ctl.take() {
                ctl.on_timer(self, &t.tag);
                self.slots[t.slot].ctl = Some(ctl);
            }
        }
        for t in deferred {
            self.timers.push(Reverse(t));
        }
    }

    /// Run controllers until their queues are empty (at the current instant).
    pub(super) fn settle(&mut self) {
        if self.settling {
            return;
        }
        self.settling = true;
        let mut steps = 0usize;
        loop {
            self.fire_due();
            if let Some((info, ns, name)) = self.gc_queue.pop_front() {
                self.collect_garbage(info, &ns, &name);
                continue;
            }
            if let Some(ns) = self.ns_queue.pop_front() {
                self.sync_namespace(&ns);
                continue;
            }
            let Some(i) = self
                .slots
                .iter()
                .position(|s| !s.paused && !s.queue.is_empty() && s.ctl.is_some())
            else {
                break;
            };
            let key = self.slots[i].queue.pop_front().expect("non-empty");
            self.slots[i].queued.remove(&key);
            let mut ctl = self.slots[i].ctl.take().expect("present");
            let r = ctl.sync(self, &key);
            self.slots[i].ctl = Some(ctl);
            if let SyncResult::RequeueAfter(ms, msg) = r {
                let name = self.slots[i].name;
                self.trace(
                    "requeue",
                    json!({"controller": name, "csr": key, "after_ms": ms, "error": msg}),
                );
                self.schedule_slot(i, self.clock_ms + ms as i64, format!("{REQUEUE_TAG}{key}"));
            }
            steps += 1;
            if steps >= SETTLE_LIMIT {
                self.trace("settle-limit", json!({"steps": steps}));
                break;
            }
        }
        self.settling = false;
    }
}
