//! The `kubelets` controller: N simulated kubelets driven by ONE timer queue.
//!
//! The fleet keeps its own queue of (time, sequence, node, slot) entries and keeps exactly one
//! cluster timer armed at the earliest of them; when it fires, every entry due at that
//! instant runs in (time, sequence) order. CSR notifications from the cluster (the model of
//! each kubelet's name-selected watch) are routed to the waiting node through a
//! name → node index. A superseded entry is skipped by its token.
//!
//! The fleet is owned by the cluster (it is a controller); callers keep a [`FleetHandle`]
//! sharing its state. Handle methods never call into the cluster while holding the state
//! (that would re-enter the fleet); they queue the work at "now" and let the cluster run it.

use super::csr::CertKind;
use super::faults::{self, Fault};
use super::node::{Env, Node, NodeStatus, Phase, SLOT_START};
use super::UsageMode;
use crate::controller::{Controller, SyncResult};
use crate::sim::Cluster;
use serde_json::json;
use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

/// Controller name (pause/resume, timers, trace).
pub const NAME: &str = "kubelets";
/// Tag of the fleet's single cluster timer.
const WAKE_TAG: &str = "wake";
/// Queue slots that are not a node's.
const SLOT_FAULT: u8 = 10;
const SLOT_FAULT_END: u8 = 11;

/// Fleet-wide behaviour switches.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FleetOptions {
    /// Usage lists by key type (newest) or the older fixed three-usage lists.
    pub usage_mode: UsageMode,
    /// Keep every node's completed rotation cycles (tests, invariants); off for big runs.
    pub keep_history: bool,
    /// Feature gate `AllowDNSOnlyNodeCSR` (deprecated, default off since 1.31).
    pub allow_dns_only_serving: bool,
}

impl Default for FleetOptions {
    fn default() -> Self {
        FleetOptions {
            usage_mode: UsageMode::ByKeyType,
            keep_history: true,
            allow_dns_only_serving: false,
        }
    }
}

/// One entry of the fleet's timer queue.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Wake {
    at_ms: i64,
    seq: u64,
    node: u32,
    slot: u8,
}

/// Queue, wait index and environment shared by all nodes.
#[derive(Debug)]
pub struct Core {
    pub(crate) opts: FleetOptions,
    timers: BinaryHeap<Reverse<Wake>>,
    seq: u64,
    /// CSR name → (node, manager) waiting for it.
    pub(crate) waiting: BTreeMap<String, (u32, CertKind)>,
    api_down_until_ms: i64,
    armed_ms: Option<i64>,
}

impl Core {
    /// Queue an entry; its sequence number is the token that keeps it live.
    pub(crate) fn push(&mut self, at_ms: i64, node: u32, slot: u8) -> u64 {
        self.seq += 1;
        self.timers.push(Reverse(Wake {
            at_ms,
            seq: self.seq,
            node,
            slot,
        }));
        self.seq
    }

    pub(crate) fn api_down(&self, now_ms: i64) -> bool {
        now_ms < self.api_down_until_ms
    }

    pub(crate) fn connection_error(&self) -> String {
        "Post \"https://control-plane:6443/apis/certificates.k8s.io/v1/certificatesigningrequests\": dial tcp: connect: connection refused".into()
    }
}

/// Everything behind the handle.
#[derive(Debug)]
pub struct FleetState {
    core: Core,
    nodes: Vec<Node>,
    by_name: BTreeMap<String, u32>,
    faults: Vec<Fault>,
}

/// Totals over the fleet.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FleetCounters {
    pub nodes: usize,
    pub bootstraps: u64,
    pub rotations: u64,
    pub serving_rotations: u64,
    pub csrs_created: u64,
    pub failed_attempts: u64,
    pub stuck: usize,
}

/// The controller the cluster owns.
pub struct Fleet {
    state: Arc<Mutex<FleetState>>,
}

/// The caller's side of the fleet.
#[derive(Clone)]
pub struct FleetHandle {
    state: Arc<Mutex<FleetState>>,
}

fn lock(s: &Arc<Mutex<FleetState>>) -> MutexGuard<'_, FleetState> {
    s.lock().unwrap_or_else(|p| p.into_inner())
}

impl Fleet {
    /// Register an empty fleet as the `kubelets` controller and return its handle.
    pub fn install(cx: &mut Cluster, opts: FleetOptions) -> FleetHandle {
        let state = Arc::new(Mutex::new(FleetState {
            core: Core {
                opts,
                timers: BinaryHeap::new(),
                seq: 0,
                waiting: BTreeMap::new(),
                api_down_until_ms: i64::MIN,
                armed_ms: None,
            },
            nodes: Vec::new(),
            by_name: BTreeMap::new(),
            faults: Vec::new(),
        }));
        cx.add_controller(Box::new(Fleet {
            state: state.clone(),
        }));
        FleetHandle { state }
    }
}

impl FleetState {
    /// Keep one cluster timer armed at the earliest queued entry.
    fn arm(&mut self, cx: &mut Cluster) {
        let now = cx.now_ms();
        if self.core.armed_ms.is_some_and(|a| a <= now) {
            self.core.armed_ms = None;
        }
        let Some(head) = self.core.timers.peek().map(|w| w.0.at_ms) else {
            return;
        };
        if self.core.armed_ms.is_none_or(|a| head < a) {
            cx.schedule((head - now).max(0) as u64, NAME, WAKE_TAG.to_string());
            self.core.armed_ms = Some(head);
        }
    }

    /// Run every entry due now, in (time, sequence) order.
    fn run_due(&mut self, cx: &mut Cluster) {
        loop {
            let now = cx.now_ms();
            match self.core.timers.peek() {
                Some(w) if w.0.at_ms <= now => {}
                _ => break,
            }
            let Reverse(w) = self.core.timers.pop().expect("peeked");
            match w.slot {
                SLOT_FAULT => self.fault_begin(cx, w.node as usize),
                SLOT_FAULT_END => self.fault_end(cx, w.node as usize),
                _ => {
                    let Some(node) = self.nodes.get_mut(w.node as usize) else {
                        continue;
                    };
                    let mut env = Env {
                        cx,
                        core: &mut self.core,
                    };
                    node.on_timer(w.node, w.slot, w.seq, &mut env);
                }
            }
        }
        self.arm(cx);
    }

    fn node_idx(&self, name: &str) -> Option<u32> {
        self.by_name.get(name).copied()
    }

    fn fault_begin(&mut self, cx: &mut Cluster, i: usize) {
        let f = self.faults[i].clone();
        cx.trace("fault", f.describe());
        let missing = |cx: &mut Cluster, n: &str| {
            cx.trace(
                "fault-error",
                json!({"fault": f.kind(), "error": format!("no node {n:?}")}),
            );
        };
        match &f {
            Fault::PauseController { controller, for_ms } => {
                let found =
                    controller != NAME && cx.controller_names().contains(&controller.as_str());
                if !found {
                    cx.trace(
                        "fault-error",
                        json!({"fault": f.kind(), "error": format!("no pausable controller {controller:?}")}),
                    );
                    return;
                }
                cx.set_paused(controller, true);
                self.core
                    .push(cx.now_ms() + for_ms, i as u32, SLOT_FAULT_END);
            }
            Fault::ApiUnavailable { for_ms } => {
                let until = cx.now_ms() + for_ms;
                self.core.api_down_until_ms = self.core.api_down_until_ms.max(until);
                self.core.push(until, i as u32, SLOT_FAULT_END);
            }
            Fault::ClockSkew { node, skew_ms } => {
                let Some(idx) = self.node_idx(node) else {
                    return missing(cx, node);
                };
                let mut env = Env {
                    cx,
                    core: &mut self.core,
                };
                self.nodes[idx as usize].set_skew(idx, *skew_ms, &mut env);
            }
            Fault::DenyCsr { node, kind } | Fault::DeleteCsr { node, kind } => {
                let Some(idx) = self.node_idx(node) else {
                    return missing(cx, node);
                };
                let Some(csr) = self.nodes[idx as usize]
                    .waiting_csr(*kind)
                    .map(|s| s.to_string())
                else {
                    cx.trace(
                        "fault-error",
                        json!({"fault": f.kind(), "node": node, "error": "no CSR in flight"}),
                    );
                    return;
                };
                let r = if matches!(f, Fault::DenyCsr { .. }) {
                    faults::deny_csr(cx, &csr)
                } else {
                    faults::delete_csr(cx, &csr)
                };
                cx.trace(
                    "fault-applied",
                    json!({"fault": f.kind(), "node": node, "csr": csr, "error": r.err()}),
                );
            }
            Fault::PowerOff { node, for_ms } => {
                let Some(idx) = self.node_idx(node) else {
                    return missing(cx, node);
                };
                let mut env = Env {
                    cx,
                    core: &mut self.core,
                };
                self.nodes[idx as usize].power_off(&mut env);
                if let Some(ms) = for_ms {
                    let at = cx.now_ms() + ms;
                    self.core.push(at, i as u32, SLOT_FAULT_END);
                }
            }
            Fault::PowerOn { node } => {
                let Some(idx) = self.node_idx(node) else {
                    return missing(cx, node);
                };
                self.power_on(cx, idx);
            }
            Fault::ReplaceCa { lifetime_secs } => {
                let r = faults::replace_ca(cx, *lifetime_secs);
                cx.trace(
                    "fault-applied",
                    json!({"fault": f.kind(), "ca_not_after": r.as_ref().ok(), "error": r.err()}),
                );
            }
            Fault::SetAddresses { node, addresses } => {
                let Some(idx) = self.node_idx(node) else {
                    return missing(cx, node);
                };
                let mut env = Env {
                    cx,
                    core: &mut self.core,
                };
                self.nodes[idx as usize].set_addresses(idx, addresses.clone(), &mut env);
            }
        }
    }

    fn power_on(&mut self, cx: &mut Cluster, idx: u32) {
        let mut env = Env {
            cx,
            core: &mut self.core,
        };
        let node = &mut self.nodes[idx as usize];
        if !node.powered() {
            let now = env.cx.now_ms();
            node.schedule_start(idx, now, &mut env);
        }
    }

    fn fault_end(&mut self, cx: &mut Cluster, i: usize) {
        let f = self.faults[i].clone();
        match &f {
            Fault::PauseController { controller, .. } => {
                cx.trace("fault-end", f.describe());
                cx.set_paused(controller, false);
            }
            Fault::ApiUnavailable { .. } => {
                if self.core.api_down(cx.now_ms()) {
                    return; // a longer outage overlaps this one
                }
                cx.trace("fault-end", f.describe());
                // Watches re-list: every wait sees the current state of its CSR.
                let waits: Vec<(u32, CertKind)> = self.core.waiting.values().copied().collect();
                for (idx, kind) in waits {
                    let mut env = Env {
                        cx,
                        core: &mut self.core,
                    };
                    self.nodes[idx as usize].observe(idx, kind, &mut env);
                }
            }
            Fault::PowerOff { node, .. } => {
                cx.trace("fault-end", f.describe());
                if let Some(idx) = self.node_idx(node) {
                    self.power_on(cx, idx);
                }
            }
            _ => {}
        }
    }
}

impl Controller for Fleet {
    fn name(&self) -> &'static str {
        NAME
    }

    fn sync(&mut self, cx: &mut Cluster, csr_name: &str) -> SyncResult {
        let mut st = lock(&self.state);
        let st = &mut *st;
        if let Some(&(idx, kind)) = st.core.waiting.get(csr_name) {
            let mut env = Env {
                cx,
                core: &mut st.core,
            };
            st.nodes[idx as usize].observe(idx, kind, &mut env);
            st.arm(cx);
        }
        SyncResult::Done
    }

    fn on_timer(&mut self, cx: &mut Cluster, _tag: &str) {
        let mut st = lock(&self.state);
        st.run_due(cx);
    }
}

impl FleetHandle {
    /// Add a kubelet that starts now (it bootstraps at once if it has no certificate).
    pub fn add_node(&self, cx: &mut Cluster, spec: super::NodeSpec) -> Result<(), String> {
        let now = cx.now_ms();
        self.add_node_at(cx, spec, now)
    }

    /// Add a kubelet that starts at cluster time `start_ms` (≥ now).
    pub fn add_node_at(
        &self,
        cx: &mut Cluster,
        spec: super::NodeSpec,
        start_ms: i64,
    ) -> Result<(), String> {
        {
            let mut st = lock(&self.state);
            if st.by_name.contains_key(&spec.name) {
                return Err(format!("node {:?} already exists", spec.name));
            }
            let idx = st.nodes.len() as u32;
            st.by_name.insert(spec.name.clone(), idx);
            let mut node = Node::new(spec);
            let token = st.core.push(start_ms.max(cx.now_ms()), idx, SLOT_START);
            node.set_start_token(token);
            st.nodes.push(node);
            st.arm(cx);
        }
        cx.advance(Duration::ZERO);
        Ok(())
    }

    /// Schedule a fault at cluster time `at_ms` (≥ now).
    pub fn schedule_fault(&self, cx: &mut Cluster, at_ms: i64, fault: Fault) {
        {
            let mut st = lock(&self.state);
            let i = st.faults.len() as u32;
            st.faults.push(fault);
            st.core.push(at_ms.max(cx.now_ms()), i, SLOT_FAULT);
            st.arm(cx);
        }
        cx.advance(Duration::ZERO);
    }

    /// Apply a fault now.
    pub fn inject(&self, cx: &mut Cluster, fault: Fault) {
        let now = cx.now_ms();
        self.schedule_fault(cx, now, fault);
    }

    pub fn node_status(&self, cx: &Cluster, name: &str) -> Option<NodeStatus> {
        let st = lock(&self.state);
        let idx = st.node_idx(name)?;
        Some(st.nodes[idx as usize].status(cx, &st.core))
    }

    /// Every node's status, in the order they were added.
    pub fn statuses(&self, cx: &Cluster) -> Vec<NodeStatus> {
        let st = lock(&self.state);
        st.nodes.iter().map(|n| n.status(cx, &st.core)).collect()
    }

    pub fn node_names(&self) -> Vec<String> {
        let st = lock(&self.state);
        st.nodes.iter().map(|n| n.name().to_string()).collect()
    }

    pub fn counters(&self) -> FleetCounters {
        let st = lock(&self.state);
        let mut c = FleetCounters {
            nodes: st.nodes.len(),
            ..Default::default()
        };
        for n in &st.nodes {
            let (b, r, s, created, failed, stuck) = n.counts();
            c.bootstraps += b as u64;
            c.rotations += r as u64;
            c.serving_rotations += s as u64;
            c.csrs_created += created as u64;
            c.failed_attempts += failed as u64;
            c.stuck += stuck as usize;
        }
        c
    }

    /// Number of entries in the fleet's timer queue (live and superseded).
    pub fn queued_timers(&self) -> usize {
        lock(&self.state).core.timers.len()
    }

    /// Phase of every node (cheap, no identity lookups).
    pub fn phases(&self) -> Vec<(String, Phase)> {
        let st = lock(&self.state);
        st.nodes
            .iter()
            .map(|n| (n.name().to_string(), n.phase()))
            .collect()
    }
}
