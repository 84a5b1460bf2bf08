//! Running one scenario: steps performed as identities against a [`Target`], expectations
//! checked, the first mismatch reported with expected and actual side by side.
//!
//! The runner only talks to the cluster through [`Target`] (the API, the virtual clock, the
//! controllers' pause switch), so a remote target (a `csrsim serve` over HTTPS) can be added
//! without touching the steps. [`ClusterTarget`] is the in-process one.

// `Status` is the core's error type for every API call (as `Cluster::apply` returns it).
#![allow(clippy::result_large_err)]

use super::loader::Loaded;
use super::pki::{self, DetKey, KeyRing};
use super::schema::*;
use crate::api::meta::{ListOptions, Preconditions};
use crate::api::{CertificateSigningRequest, EventType, Status, Time, WatchEvent};
use crate::auth::{Attributes, Identity};
use crate::pki::csr as pki_csr;
use crate::sim::{ApiRequest, ApiResponse, Cluster, Config, PatchType, Verb, WatchCursor};
use base64::Engine;
use serde::Serialize;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::time::Duration;

/// kubectl certificate approve/deny (`staging/src/k8s.io/kubectl/pkg/cmd/certificates`).
const KUBECTL_APPROVE_REASON: &str = "KubectlApprove";
const KUBECTL_APPROVE_MESSAGE: &str = "This CSR was approved by kubectl certificate approve.";
const KUBECTL_DENY_REASON: &str = "KubectlDeny";
const KUBECTL_DENY_MESSAGE: &str = "This CSR was denied by kubectl certificate deny.";
/// kubectl retries an approval this many times on Conflict.
const KUBECTL_CONFLICT_RETRIES: usize = 10;
/// Default validity of an external signer's certificate without expirationSeconds.
const EXTERNAL_DEFAULT_TTL_SECS: i64 = 24 * 3600;
/// Default polling step of `advance_until`.
const DEFAULT_UNTIL_STEP: Duration = Duration::from_secs(1);
/// The seeded stream scenario keys are drawn from.
const KEY_STREAM: &str = "scenario-keys";
/// Controller names of the other helpers' controllers (see `crate::controller`).
const SIGNER_CONTROLLER: &str = "csrsigning";
const APPROVER_CONTROLLER: &str = "csrapproving";
const CLEANER_CONTROLLER: &str = "csrcleaner";

/// What the runner needs from a cluster. Reads for expectations go through `apply` as admin,
/// so a remote target only has to speak the API plus the clock and fault switches.
pub trait Target {
    fn apply(&mut self, who: &Identity, req: ApiRequest) -> Result<ApiResponse, Status>;
    fn watch_poll(&mut self, cursor: &mut WatchCursor) -> Result<Vec<WatchEvent>, Status>;
    fn now(&self) -> Time;
    fn advance(&mut self, d: Duration);
    /// Pause/resume a controller by name; false if there is none of that name.
    fn set_paused(&mut self, controller: &str, paused: bool) -> bool;
    fn controllers(&self) -> Vec<String>;
    /// 32 bytes from the seeded key stream.
    fn key_bytes(&mut self) -> [u8; 32];
    /// Does this build/target provide the capability?
    fn has(&self, cap: Capability) -> bool;
    fn trace(&mut self, event: &str, fields: Value);
    fn trace_jsonl(&self) -> String;
    /// Start a simulated kubelet.
    fn add_kubelet(&mut self, _spec: crate::kubelet::NodeSpec) -> Result<(), String> {
        Err("this target has no simulated kubelets".into())
    }
    /// Inject a fault.
    fn inject(&mut self, _fault: crate::kubelet::Fault) -> Result<(), String> {
        Err("this target cannot inject faults".into())
    }
    /// A kubelet's state.
    fn kubelet(&self, _node: &str) -> Option<crate::kubelet::NodeStatus> {
        None
    }
    // conformance: how many extra times a failing `expect` is retried (asynchronous remote
    // controllers), with `settle` between tries; 0 in-process.
    fn expect_retries(&self) -> u32 {
        0
    }
    // conformance: how long those retries last in all (`--step-timeout`), for the failure
    // message; None in-process.
    fn expect_timeout(&self) -> Option<Duration> {
        None
    }
    // conformance: let real time pass (`d`: how long); no-op in-process.
    fn settle(&mut self, _d: Option<Duration>) {}
}

/// The in-process target: a [`Cluster`] (and its kubelet fleet once one is started).
pub struct ClusterTarget(pub Cluster, pub Option<crate::kubelet::FleetHandle>);

impl ClusterTarget {
    pub fn new(c: Cluster) -> Self {
        ClusterTarget(c, None)
    }
    fn fleet(&mut self) -> crate::kubelet::FleetHandle {
        if self.1.is_none() {
            self.1 = Some(crate::kubelet::Fleet::install(
                &mut self.0,
                crate::kubelet::FleetOptions::default(),
            ));
        }
        self.1.clone().expect("installed")
    }
}

impl Target for ClusterTarget {
    fn apply(&mut self, who: &Identity, req: ApiRequest) -> Result<ApiResponse, Status> {
        self.0.apply(who, req)
    }
    fn watch_poll(&mut self, cursor: &mut WatchCursor) -> Result<Vec<WatchEvent>, Status> {
        self.0.watch_poll(cursor)
    }
    fn now(&self) -> Time {
        self.0.now()
    }
    fn advance(&mut self, d: Duration) {
        self.0.advance(d)
    }
    fn set_paused(&mut self, controller: &str, paused: bool) -> bool {
        self.0.set_paused(controller, paused)
    }
    fn controllers(&self) -> Vec<String> {
        self.0
            .controller_names()
            .into_iter()
            .map(String::from)
            .collect()
    }
    fn key_bytes(&mut self) -> [u8; 32] {
        let mut b = [0u8; 32];
        self.0.rngs().fill(KEY_STREAM, &mut b);
        b
    }
    fn has(&self, cap: Capability) -> bool {
        let names = self.0.controller_names();
        let running = |p: &str| names.iter().any(|n| n.starts_with(p));
        match cap {
            Capability::Signer => running(SIGNER_CONTROLLER),
            Capability::Approver => running(APPROVER_CONTROLLER),
            Capability::Cleaner => running(CLEANER_CONTROLLER),
            // The default policy lets every authenticated user create SelfSubjectAccessReviews
            // (system:basic-user); the placeholder authorizer does not.
            Capability::CustomSigner => false, // conformance: no external signer in-process
            Capability::Rbac => self
                .0
                .authorize(&Attributes {
                    user: Identity::user("csrsim:probe", &[]),
                    verb: "create".into(),
                    resource_request: true,
                    api_group: "authorization.k8s.io".into(),
                    api_version: "v1".into(),
                    resource: "selfsubjectaccessreviews".into(),
                    ..Default::default()
                })
                .allowed(),
        }
    }
    fn trace(&mut self, event: &str, fields: Value) {
        self.0.trace(event, fields)
    }
    fn trace_jsonl(&self) -> String {
        self.0.trace_jsonl()
    }
    fn add_kubelet(&mut self, spec: crate::kubelet::NodeSpec) -> Result<(), String> {
        let f = self.fleet();
        f.add_node(&mut self.0, spec)
    }
    fn inject(&mut self, fault: crate::kubelet::Fault) -> Result<(), String> {
        let f = self.fleet();
        f.inject(&mut self.0, fault);
        Ok(())
    }
    fn kubelet(&self, node: &str) -> Option<crate::kubelet::NodeStatus> {
        self.1.as_ref().and_then(|f| f.node_status(&self.0, node))
    }
}

/// The cluster configuration a scenario asks for (`seed` overrides the file's seed).
pub fn config_for(s: &Scenario, seed: Option<u64>) -> Result<Config, String> {
    let c = &s.cluster;
    let mut cfg = Config {
        trace: true,
        ..Config::default()
    };
    cfg.seed = seed.or(c.seed).unwrap_or(0);
    if let Some(start) = &c.start {
        cfg.start = Time::parse_rfc3339(start).map_err(|e| format!("cluster.start: {e}"))?;
    }
    if let Some(d) = c.signing_duration {
        cfg.signing_duration_secs = d.0.as_secs() as i64;
    }
    cfg.approver = c.approver;
    cfg.signer = c.signer;
    cfg.cleaner = c.cleaner;
    cfg.kubeadm_bindings = c.kubeadm_bindings;
    cfg.allow_insecure_kubelet_csrs = c.allow_insecure_kubelet_csrs;
    if let Some(w) = c.watch_window {
        cfg.watch_window = w;
    }
    if let Some(a) = c.watch_max_age {
        cfg.watch_max_age_ms = a.0.as_millis() as i64;
    }
    Ok(cfg)
}

/// Capabilities a scenario needs: its `requires` plus each controller it turns on.
pub fn required(s: &Scenario) -> Vec<Capability> {
    let mut v = s.requires.clone();
    if s.cluster.signer {
        v.push(Capability::Signer);
    }
    if s.cluster.approver {
        v.push(Capability::Approver);
    }
    if s.cluster.cleaner {
        v.push(Capability::Cleaner);
    }
    v.sort();
    v.dedup();
    v
}

/// Why a step did not do what the scenario said.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Mismatch {
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actual: Option<String>,
}

impl Mismatch {
    fn new(message: impl Into<String>) -> Self {
        Mismatch {
            message: message.into(),
            expected: None,
            actual: None,
        }
    }
    fn diff(
        message: impl Into<String>,
        expected: impl Into<String>,
        actual: impl Into<String>,
    ) -> Self {
        Mismatch {
            message: message.into(),
            expected: Some(expected.into()),
            actual: Some(actual.into()),
        }
    }
}

/// The failing step of a failed scenario.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Failure {
    /// 1-based step number.
    pub step: usize,
    pub kind: String,
    pub line: u64,
    pub col: u64,
    #[serde(flatten)]
    pub mismatch: Mismatch,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case", tag = "status")]
pub enum Outcome {
    Passed,
    Failed(Failure),
    Skipped { reason: String },
}

/// The result of one scenario.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ScenarioResult {
    pub id: String,
    pub name: String,
    pub seed: u64,
    pub steps: usize,
    pub steps_run: usize,
    /// Virtual time at start and end (RFC 3339).
    pub virtual_start: String,
    pub virtual_end: String,
    pub outcome: Outcome,
    #[serde(skip)]
    pub trace: String,
    /// Validity windows (unix seconds) of the certificates seen, by CSR name (for timelines).
    #[serde(skip)]
    pub certs: BTreeMap<String, (i64, i64)>,
}

impl ScenarioResult {
    pub fn passed(&self) -> bool {
        matches!(self.outcome, Outcome::Passed)
    }
    pub fn failed(&self) -> bool {
        matches!(self.outcome, Outcome::Failed(_))
    }
}

impl ScenarioResult {
    /// A result for `l` before any step ran (passed until a step says otherwise).
    pub fn start(l: &Loaded, seed_used: u64) -> ScenarioResult {
        ScenarioResult {
            id: l.id(),
            name: l.scenario.name.clone(),
            seed: seed_used,
            steps: l.scenario.steps.len(),
            steps_run: 0,
            virtual_start: String::new(),
            virtual_end: String::new(),
            outcome: Outcome::Passed,
            trace: String::new(),
            certs: BTreeMap::new(),
        }
    }
}

/// Run one loaded scenario in-process.
pub fn run_loaded(l: &Loaded, seed: Option<u64>) -> ScenarioResult {
    let s = &l.scenario;
    let seed_used = seed.or(s.cluster.seed).unwrap_or(0);
    let mut res = ScenarioResult::start(l, seed_used);
    let cluster = match config_for(s, seed).and_then(Cluster::new) {
        Ok(c) => c,
        Err(e) => {
            res.outcome = Outcome::Failed(Failure {
                step: 0,
                kind: "cluster".into(),
                line: 0,
                col: 0,
                mismatch: Mismatch::new(format!("cannot build the cluster: {e}")),
            });
            return res;
        }
    };
    let mut t = ClusterTarget::new(cluster);
    if let Some(reason) = skip_reason(&t, s) {
        res.outcome = Outcome::Skipped { reason };
        return res;
    }
    run_on(&mut t, l, &mut res);
    res
}

/// Why a scenario cannot run on this target (a required capability is missing), if so.
pub fn skip_reason<T: Target>(t: &T, s: &Scenario) -> Option<String> {
    let missing: Vec<&str> = required(s)
        .into_iter()
        .filter(|c| !t.has(*c))
        .map(|c| c.as_str())
        .collect();
    (!missing.is_empty()).then(|| {
        format!(
            "needs {}, which this target does not offer",
            missing.join(", ")
        )
    })
}

/// Run the steps of `l` on any target, filling `res`.
pub fn run_on<T: Target>(t: &mut T, l: &Loaded, res: &mut ScenarioResult) {
    let s = &l.scenario;
    res.virtual_start = t.now().to_rfc3339();
    let mut r = Runner {
        t,
        l,
        ids: BTreeMap::new(),
        marks: BTreeMap::new(),
        aliases: BTreeMap::new(),
        watches: BTreeMap::new(),
        keys: KeyRing::default(),
        ca: None,
    };
    r.marks.insert("start".into(), r.t.now().unix());
    for (name, spec) in &s.identities {
        r.ids.insert(name.clone(), identity_of(spec));
    }
    let mut inv = if s.check_invariants {
        match Invariants::open(&mut r) {
            Ok(i) => Some(i),
            Err(m) => {
                res.outcome = Outcome::Failed(Failure {
                    step: 0,
                    kind: "invariants".into(),
                    line: 0,
                    col: 0,
                    mismatch: m,
                });
                return;
            }
        }
    } else {
        None
    };
    for (i, st) in s.steps.iter().enumerate() {
        let line = st.referenced.line();
        r.t.trace(
            "step",
            json!({"n": i + 1, "kind": st.value.kind(), "line": line}),
        );
        res.steps_run = i + 1;
        let mut out = r.step(&st.value);
        if let Err(m) = &out {
            if s.tolerate_errors && !st.value.is_check() {
                r.t.trace(
                    "step-error-tolerated",
                    json!({"n": i + 1, "message": m.message}),
                );
                out = Ok(());
            }
        }
        r.observe_certs(&mut res.certs);
        if out.is_ok() {
            if let Some(inv) = inv.as_mut() {
                out = inv.check(&mut r, matches!(st.value, Step::Sign(_)));
            }
        }
        if let Err(m) = out {
            r.t.trace("step-failed", json!({"n": i + 1, "message": m.message}));
            res.outcome = Outcome::Failed(Failure {
                step: i + 1,
                kind: st.value.kind().into(),
                line,
                col: st.referenced.column(),
                mismatch: m,
            });
            break;
        }
    }
    res.virtual_end = r.t.now().to_rfc3339();
    res.trace = r.t.trace_jsonl();
}

/// Lifecycle invariants checked after every step when `check_invariants: true`:
/// Approved and Denied never together; Approved/Denied/Failed never removed; a certificate never
/// changes once set; no certificate from a built-in signer (kubernetes.io/*) appears without
/// approval (outside `sign` steps); resourceVersions never go back and every change gets a new
/// one; replaying a watch opened at the start reproduces the store.
struct Invariants {
    prev: BTreeMap<String, (u64, CertificateSigningRequest)>,
    list_rv: u64,
    cursor: WatchCursor,
    replay: BTreeMap<String, u64>,
}

fn rv_of(v: &Value) -> u64 {
    v.pointer("/metadata/resourceVersion")
        .and_then(|x| x.as_str())
        .and_then(|x| x.parse().ok())
        .unwrap_or(0)
}

impl Invariants {
    fn list<T: Target>(
        r: &mut Runner<'_, T>,
    ) -> Result<(u64, BTreeMap<String, (u64, CertificateSigningRequest)>), Mismatch> {
        let list =
            r.t.apply(&Identity::admin(), ApiRequest::csr(Verb::List))
                .map_err(|s| Mismatch::new(format!("invariants: cannot list CSRs: {}", s.message)))?
                .into_value();
        let mut out = BTreeMap::new();
        for item in list["items"].as_array().cloned().unwrap_or_default() {
            let rv = rv_of(&item);
            let c: CertificateSigningRequest = serde_json::from_value(item).unwrap_or_default();
            out.insert(c.metadata.name.clone(), (rv, c));
        }
        Ok((rv_of(&list), out))
    }

    fn open<T: Target>(r: &mut Runner<'_, T>) -> Result<Invariants, Mismatch> {
        let (list_rv, prev) = Self::list(r)?;
        let resp =
            r.t.apply(&Identity::admin(), ApiRequest::csr(Verb::Watch))
                .map_err(|s| Mismatch::new(format!("invariants: cannot watch: {}", s.message)))?;
        let ApiResponse::Watch(w) = resp else {
            return Err(Mismatch::new("invariants: not a watch"));
        };
        let replay = w
            .initial
            .iter()
            .map(|e| (show(&e.object["metadata"]["name"]), rv_of(&e.object)))
            .collect();
        Ok(Invariants {
            prev,
            list_rv,
            cursor: w.cursor,
            replay,
        })
    }

    fn check<T: Target>(&mut self, r: &mut Runner<'_, T>, by_sign_step: bool) -> StepResult {
        let (list_rv, cur) = Self::list(r)?;
        let broken = |m: String| Err(Mismatch::new(format!("invariant violated: {m}")));
        if list_rv < self.list_rv {
            return broken(format!(
                "list resourceVersion went back from {} to {list_rv}",
                self.list_rv
            ));
        }
        for (name, (rv, c)) in &cur {
            if c.has_condition(crate::api::csr::APPROVED)
                && c.has_condition(crate::api::csr::DENIED)
            {
                return broken(format!("{name} is both Approved and Denied"));
            }
            let Some((prv, p)) = self.prev.get(name) else {
                continue;
            };
            if p.metadata.uid != c.metadata.uid {
                continue;
            }
            for t in [
                crate::api::csr::APPROVED,
                crate::api::csr::DENIED,
                crate::api::csr::FAILED,
            ] {
                let n = |x: &CertificateSigningRequest| {
                    x.status.conditions.iter().filter(|k| k.type_ == t).count()
                };
                if n(c) < n(p) {
                    return broken(format!("a condition of type {t} was removed from {name}"));
                }
            }
            if !p.status.certificate.is_empty() && p.status.certificate != c.status.certificate {
                return broken(format!("the certificate of {name} changed after issuance"));
            }
            if rv < prv || (c != p && rv == prv) {
                return broken(format!("{name} changed from resourceVersion {prv} to {rv}"));
            }
            let builtin = c.spec.signer_name.starts_with("kubernetes.io/");
            if p.status.certificate.is_empty()
                && !c.status.certificate.is_empty()
                && !by_sign_step
                && builtin
                && (!c.is_approved() || c.has_true_condition(crate::api::csr::FAILED))
            {
                return broken(format!(
                    "{name} got a certificate from {} without approval",
                    c.spec.signer_name
                ));
            }
        }
        match r.t.watch_poll(&mut self.cursor) {
            Ok(events) => {
                for e in events {
                    let n = show(&e.object["metadata"]["name"]);
                    match e.type_ {
                        EventType::Added | EventType::Modified => {
                            self.replay.insert(n, rv_of(&e.object));
                        }
                        EventType::Deleted => {
                            self.replay.remove(&n);
                        }
                        _ => {}
                    }
                }
                let store: BTreeMap<String, u64> =
                    cur.iter().map(|(n, (rv, _))| (n.clone(), *rv)).collect();
                if store != self.replay {
                    return Err(Mismatch::diff(
                        "invariant violated: replaying the watch does not reproduce the store",
                        store
                            .iter()
                            .map(|(n, rv)| format!("{n}@{rv}"))
                            .collect::<Vec<_>>()
                            .join("\n"),
                        self.replay
                            .iter()
                            .map(|(n, rv)| format!("{n}@{rv}"))
                            .collect::<Vec<_>>()
                            .join("\n"),
                    ));
                }
            }
            Err(s) if s.code == 410 => {
                // History compacted (long runs): start over from the current list.
                *self = Invariants::open(r)?;
                return Ok(());
            }
            Err(s) => return broken(format!("the invariant watch failed: {}", s.message)),
        }
        self.prev = cur;
        self.list_rv = list_rv;
        Ok(())
    }
}

fn identity_of(s: &IdentitySpec) -> Identity {
    let groups: Vec<&str> = s.groups.iter().map(String::as_str).collect();
    let mut id = if let Some(u) = &s.user {
        Identity::user(u, &groups)
    } else if let Some(n) = &s.node {
        let mut id = Identity::node(n);
        for g in &s.groups {
            if !id.in_group(g) {
                id.groups.push(g.clone());
            }
        }
        id
    } else {
        // The bootstrap-token authenticator: sorted, de-duplicated groups.
        let tid = s.bootstrap_token.clone().unwrap_or_default();
        let mut g: Vec<String> = vec!["system:bootstrappers".into()];
        g.extend(s.groups.iter().cloned());
        g.sort();
        g.dedup();
        let gs: Vec<&str> = g.iter().map(String::as_str).collect();
        Identity::user(&format!("system:bootstrap:{tid}"), &gs)
    };
    id.uid = s.uid.clone();
    id.extra = s.extra.clone();
    id
}

struct WatchState {
    cursor: WatchCursor,
    events: Vec<WatchEvent>,
    error: Option<Status>,
}

struct Runner<'a, T: Target> {
    t: &'a mut T,
    l: &'a Loaded,
    ids: BTreeMap<String, Identity>,
    marks: BTreeMap<String, i64>,
    aliases: BTreeMap<String, String>,
    watches: BTreeMap<String, WatchState>,
    keys: KeyRing,
    ca: Option<DetKey>,
}

type StepResult = Result<(), Mismatch>;

/// `(group, plural)` of a resource name (`csr` and empty mean CSRs).
pub(crate) fn resolve(resource: Option<&str>) -> Result<(&'static str, &'static str), Mismatch> {
    match resource.unwrap_or("") {
        "" | "csr" | "csrs" | "certificatesigningrequests" => {
            Ok(("certificates.k8s.io", "certificatesigningrequests"))
        }
        r => crate::api::resources::ALL
            .iter()
            .find(|i| i.resource == r)
            .map(|i| (i.group, i.resource))
            .ok_or_else(|| Mismatch::new(format!("unknown resource {r:?}"))),
    }
}

fn status_text(s: &Status) -> String {
    format!(
        "code: {}\nreason: {}\nmessage: {}",
        s.code, s.reason, s.message
    )
}

fn error_text(e: &ErrorExpect) -> String {
    let mut v = Vec::new();
    if let Some(c) = e.code {
        v.push(format!("code: {c}"));
    }
    if let Some(r) = &e.reason {
        v.push(format!("reason: {r}"));
    }
    if let Some(m) = &e.message {
        v.push(format!("message: {m}"));
    }
    for m in &e.message_contains {
        v.push(format!("message contains: {m}"));
    }
    v.join("\n")
}

/// Compare an API outcome with the step's `error:` expectation.
fn check_outcome<V>(
    r: Result<V, Status>,
    want: &Option<ErrorExpect>,
) -> Result<Option<V>, Mismatch> {
    match (r, want) {
        (Ok(v), None) => Ok(Some(v)),
        (Ok(_), Some(e)) => Err(Mismatch::diff(
            "the call succeeded but was expected to fail",
            error_text(e),
            "success",
        )),
        (Err(s), None) => Err(Mismatch::diff(
            "the call failed unexpectedly",
            "success",
            status_text(&s),
        )),
        (Err(s), Some(e)) => {
            let ok = e.code.is_none_or(|c| c == s.code)
                && e.reason.as_ref().is_none_or(|r| *r == s.reason)
                && e.message.as_ref().is_none_or(|m| *m == s.message)
                && e.message_contains
                    .iter()
                    .all(|m| s.message.contains(m.as_str()));
            if ok {
                Ok(None)
            } else {
                Err(Mismatch::diff(
                    "the call failed differently",
                    error_text(e),
                    status_text(&s),
                ))
            }
        }
    }
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn unb64(v: &Value) -> Vec<u8> {
    v.as_str()
        .and_then(|s| base64::engine::general_purpose::STANDARD.decode(s).ok())
        .unwrap_or_default()
}

/// Deep merge `patch` into `base` (objects merged, anything else replaced).
fn merge(base: &mut Value, patch: &Value) {
    match (base, patch) {
        (Value::Object(b), Value::Object(p)) => {
            for (k, v) in p {
                merge(b.entry(k.clone()).or_insert(Value::Null), v);
            }
        }
        (b, p) => *b = p.clone(),
    }
}

/// Parse a dotted path with indexes (`status.conditions[0].type`) into segments.
fn path_segments(path: &str) -> Vec<Result<String, usize>> {
    let mut out = Vec::new();
    for part in path.split('.') {
        let mut rest = part;
        if let Some(i) = rest.find('[') {
            if i > 0 {
                out.push(Ok(rest[..i].to_string()));
            }
            rest = &rest[i..];
            while let Some(stripped) = rest.strip_prefix('[') {
                let end = stripped.find(']').unwrap_or(stripped.len());
                match stripped[..end].parse::<usize>() {
                    Ok(n) => out.push(Err(n)),
                    Err(_) => out.push(Ok(stripped[..end].to_string())),
                }
                rest = stripped.get(end + 1..).unwrap_or("");
            }
        } else {
            out.push(Ok(rest.to_string()));
        }
    }
    out
}

fn get_path<'v>(v: &'v Value, path: &str) -> Option<&'v Value> {
    let mut cur = v;
    for seg in path_segments(path) {
        cur = match seg {
            Ok(k) => cur.get(&k)?,
            Err(i) => cur.get(i)?,
        };
    }
    Some(cur)
}

fn set_path(v: &mut Value, path: &str, val: Value) {
    let segs = path_segments(path);
    let mut cur = v;
    for (i, seg) in segs.iter().enumerate() {
        let last = i + 1 == segs.len();
        match seg {
            Ok(k) => {
                if !cur.is_object() {
                    *cur = json!({});
                }
                let m = cur.as_object_mut().expect("object");
                if last {
                    if val.is_null() {
                        m.remove(k);
                    } else {
                        m.insert(k.clone(), val);
                    }
                    return;
                }
                cur = m.entry(k.clone()).or_insert(Value::Null);
            }
            Err(n) => {
                if !cur.is_array() {
                    *cur = json!([]);
                }
                let a = cur.as_array_mut().expect("array");
                while a.len() <= *n {
                    a.push(Value::Null);
                }
                if last {
                    a[*n] = val;
                    return;
                }
                cur = &mut a[*n];
            }
        }
    }
}

fn show(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// One watch event as `TYPE name [CONDITION]`.
fn event_line(e: &WatchEvent) -> String {
    let name = e
        .object
        .pointer("/metadata/name")
        .and_then(|n| n.as_str())
        .unwrap_or("");
    let mut s = format!("{} {name}", e.type_.as_str());
    if e.object.get("kind").and_then(|k| k.as_str()) == Some("CertificateSigningRequest")
        || e.object
            .get("spec")
            .and_then(|s| s.get("signerName"))
            .is_some()
    {
        if let Ok(c) = serde_json::from_value::<CertificateSigningRequest>(e.object.clone()) {
            s.push(' ');
            s.push_str(&c.display_condition());
        }
    }
    s
}

/// Does an actual event line match an expected one? Fewer expected tokens compare a prefix.
fn event_matches(expected: &str, actual: &str) -> bool {
    let e: Vec<&str> = expected.split_whitespace().collect();
    let a: Vec<&str> = actual.split_whitespace().collect();
    e.len() <= a.len() && e.iter().zip(&a).all(|(x, y)| x == y)
}

impl<T: Target> Runner<'_, T> {
    fn who(&self, name: &Option<String>) -> Identity {
        let n = name.as_deref().unwrap_or("admin");
        if let Some(id) = self.ids.get(n) {
            return id.clone();
        }
        match n {
            "admin" => Identity::admin(),
            "controller-manager" => Identity::controller_manager(),
            "anonymous" => Identity::anonymous(),
            _ => match n.strip_prefix("node:") {
                Some(node) => Identity::node(node),
                None => Identity::user(n, &[]),
            },
        }
    }

    /// Remember the validity window of every certificate currently issued.
    fn observe_certs(&mut self, certs: &mut BTreeMap<String, (i64, i64)>) {
        let Ok(list) = self
            .t
            .apply(&Identity::admin(), ApiRequest::csr(Verb::List))
        else {
            return;
        };
        for item in list.into_value()["items"]
            .as_array()
            .cloned()
            .unwrap_or_default()
        {
            let name = show(&item["metadata"]["name"]);
            if certs.contains_key(&name) {
                continue;
            }
            let pem = unb64(&item["status"]["certificate"]);
            if pem.is_empty() {
                continue;
            }
            if let Ok(i) = pki::inspect(&pem) {
                certs.insert(name, (i.not_before, i.not_after));
            }
        }
    }

    fn csr_name(&self, n: &str) -> String {
        self.aliases
            .get(n)
            .cloned()
            .unwrap_or_else(|| n.to_string())
    }

    fn now(&self) -> Time {
        self.t.now()
    }

    /// Evaluate `name [(+|-) duration]` to unix seconds.
    fn instant(&self, expr: &str) -> Result<i64, Mismatch> {
        let expr = expr.trim();
        let (name, rest) = match expr.find(['+', '-']) {
            Some(i) if i > 0 && expr[..i].ends_with(' ') => (
                expr[..i].trim(),
                Some((&expr[i..i + 1], expr[i + 1..].trim())),
            ),
            _ => (expr, None),
        };
        let base = if name == "now" {
            self.now().unix()
        } else if let Some(t) = self.marks.get(name) {
            *t
        } else if let Ok(t) = Time::parse_rfc3339(name) {
            t.unix()
        } else {
            return Err(Mismatch::new(format!("unknown instant {name:?} (use start, now, an RFC 3339 time or a `mark:` name; marks: {:?})", self.marks.keys().collect::<Vec<_>>())));
        };
        let Some((sign, d)) = rest else {
            return Ok(base);
        };
        let d = humantime::parse_duration(d)
            .map_err(|e| Mismatch::new(format!("bad duration in {expr:?}: {e}")))?
            .as_secs() as i64;
        Ok(if sign == "+" { base + d } else { base - d })
    }

    fn get_obj(
        &mut self,
        resource: Option<&str>,
        ns: Option<&str>,
        name: &str,
    ) -> Result<Value, Status> {
        let (g, r) = resolve(resource).map_err(|m| Status::bad_request(m.message))?;
        let req = ApiRequest::new(Verb::Get, g, r)
            .namespace(ns.unwrap_or(""))
            .name(name);
        self.t
            .apply(&Identity::admin(), req)
            .map(ApiResponse::into_value)
    }

    fn get_csr(&mut self, name: &str) -> Result<Value, Mismatch> {
        self.get_obj(None, None, name)
            .map_err(|s| Mismatch::new(format!("cannot read CSR {name:?}: {}", s.message)))
    }

    fn step(&mut self, st: &Step) -> StepResult {
        match st {
            Step::CreateCsr(c) => self.create_csr(c),
            Step::Approve(d) => self.decide(d, true),
            Step::Deny(d) => self.decide(d, false),
            Step::Sign(s) => self.sign(s),
            Step::Fail(f) => self.fail(f),
            Step::Get(g) => {
                let (gr, r) = resolve(g.resource.as_deref())?;
                let name = if r == "certificatesigningrequests" {
                    self.csr_name(&g.name)
                } else {
                    g.name.clone()
                };
                let req = ApiRequest::new(Verb::Get, gr, r)
                    .namespace(g.namespace.as_deref().unwrap_or(""))
                    .name(&name)
                    .subresource(g.subresource.as_deref().unwrap_or(""));
                let who = self.who(&g.who);
                check_outcome(self.t.apply(&who, req), &g.error).map(|_| ())
            }
            Step::Update(u) => self.update(u),
            Step::Patch(p) => {
                let (gr, r) = resolve(p.resource.as_deref())?;
                let name = if r == "certificatesigningrequests" {
                    self.csr_name(&p.name)
                } else {
                    p.name.clone()
                };
                let pt = match p.kind.unwrap_or(PatchKind::Merge) {
                    PatchKind::Merge => PatchType::Merge,
                    PatchKind::Json => PatchType::Json,
                    PatchKind::Strategic => PatchType::StrategicMerge,
                    PatchKind::Apply => PatchType::Apply,
                };
                let mut req = ApiRequest::new(Verb::Patch, gr, r)
                    .namespace(p.namespace.as_deref().unwrap_or(""))
                    .name(&name)
                    .subresource(p.subresource.as_deref().unwrap_or(""))
                    .patch(pt, p.patch.clone());
                if pt == PatchType::Apply {
                    // Apply patches must name their field manager (as the remote client does).
                    req.field_manager = "csrsim".into();
                }
                let who = self.who(&p.who);
                check_outcome(self.t.apply(&who, req), &p.error).map(|_| ())
            }
            Step::Delete(d) => {
                let (gr, r) = resolve(d.resource.as_deref())?;
                let name = if r == "certificatesigningrequests" {
                    self.csr_name(&d.name)
                } else {
                    d.name.clone()
                };
                let mut req = ApiRequest::new(Verb::Delete, gr, r)
                    .namespace(d.namespace.as_deref().unwrap_or(""))
                    .name(&name);
                if let Some(uid) = &d.precondition_uid {
                    req.preconditions = Some(Preconditions {
                        uid: Some(uid.clone()),
                        resource_version: None,
                    });
                }
                let who = self.who(&d.who);
                check_outcome(self.t.apply(&who, req), &d.error).map(|_| ())
            }
            Step::Create(c) => {
                let (gr, r) = resolve(Some(&c.resource))?;
                let mut req = ApiRequest::new(Verb::Create, gr, r)
                    .namespace(c.namespace.as_deref().unwrap_or(""))
                    .body(c.object.clone());
                req.dry_run = c.dry_run;
                let who = self.who(&c.who);
                check_outcome(self.t.apply(&who, req), &c.error).map(|_| ())
            }
            Step::BootstrapToken(b) => self.bootstrap_token(b),
            Step::Watch(w) => self.watch(w),
            Step::Advance(d) => {
                self.t.advance(d.0);
                Ok(())
            }
            Step::AdvanceUntil(a) => self.advance_until(a),
            Step::Pause(n) | Step::Resume(n) => {
                let pause = matches!(st, Step::Pause(_));
                if self.t.set_paused(n, pause) {
                    Ok(())
                } else {
                    Err(Mismatch::new(format!(
                        "no controller named {n:?} (running: {:?})",
                        self.t.controllers()
                    )))
                }
            }
            Step::Mark(n) => {
                let now = self.now().unix();
                self.marks.insert(n.clone(), now);
                Ok(())
            }
            // conformance: retried while a remote target's controllers catch up.
            Step::Expect(e) => {
                let mut out = self.expect(e);
                for _ in 0..self.t.expect_retries() {
                    if out.is_ok() {
                        break;
                    }
                    self.t.settle(None);
                    out = self.expect(e);
                }
                let timeout = self.t.expect_timeout().filter(|t| !t.is_zero());
                if let (Err(m), Some(t)) = (&mut out, timeout) {
                    // Say how long the target had: a slow controller needs a longer timeout.
                    m.message = format!(
                        "{}, still after {} (--step-timeout)",
                        m.message,
                        humantime::format_duration(t)
                    );
                }
                out
            }
            Step::ExpectWatch(w) => self.expect_watch(w),
            Step::Kubelet(k) => self.kubelet(k),
            Step::Fault(f) => self.fault(f),
            Step::ExpectKubelet(e) => self.expect_kubelet(e),
            Step::Wait(d) => {
                self.t.settle(Some(d.0)); // conformance:
                Ok(())
            }
        }
    }

    fn kubelet(&mut self, k: &KubeletSpec) -> StepResult {
        use crate::kubelet::{AddressType, NodeAddress, NodeSpec};
        let mut spec = NodeSpec::new(&k.node);
        if let Some(t) = &k.token {
            spec = spec.token(t);
        }
        if !k.serving.is_empty() {
            let mut addrs = Vec::new();
            for m in &k.serving {
                for (t, a) in m {
                    let ty = match t.as_str() {
                        "Hostname" => AddressType::Hostname,
                        "ExternalIP" => AddressType::ExternalIP,
                        "InternalIP" => AddressType::InternalIP,
                        "ExternalDNS" => AddressType::ExternalDNS,
                        "InternalDNS" => AddressType::InternalDNS,
                        other => return Err(Mismatch::new(format!("unknown address type {other:?} (Hostname, ExternalIP, InternalIP, ExternalDNS, InternalDNS)"))),
                    };
                    addrs.push(NodeAddress::new(ty, a));
                }
            }
            spec = spec.serving(addrs);
        }
        if let Some(d) = k.clock_ahead {
            spec.clock_skew_ms = d.0.as_millis() as i64;
        }
        self.t
            .add_kubelet(spec)
            .map_err(|e| Mismatch::new(format!("cannot start kubelet {}: {e}", k.node)))
    }

    fn fault(&mut self, f: &FaultSpec) -> StepResult {
        use crate::kubelet::{CertKind, Fault};
        let ms = |d: &Dur| d.0.as_millis() as i64;
        let kind = |k: CertKindSpec| {
            if k == CertKindSpec::Client {
                CertKind::Client
            } else {
                CertKind::Serving
            }
        };
        let fault = match f {
            FaultSpec::PowerOff(n) => Fault::PowerOff {
                node: n.node.clone(),
                for_ms: n.for_.as_ref().map(ms),
            },
            FaultSpec::PowerOn(n) => Fault::PowerOn {
                node: n.node.clone(),
            },
            FaultSpec::ApiUnavailable(a) => Fault::ApiUnavailable {
                for_ms: ms(&a.for_),
            },
            FaultSpec::ClockSkew(c) => Fault::ClockSkew {
                node: c.node.clone(),
                skew_ms: ms(&c.ahead),
            },
            FaultSpec::DenyCsr(n) => Fault::DenyCsr {
                node: n.node.clone(),
                kind: kind(n.kind),
            },
            FaultSpec::DeleteCsr(n) => Fault::DeleteCsr {
                node: n.node.clone(),
                kind: kind(n.kind),
            },
        };
        self.t.inject(fault).map_err(Mismatch::new)
    }

    fn expect_kubelet(&mut self, e: &ExpectKubelet) -> StepResult {
        let Some(st) = self.t.kubelet(&e.node) else {
            return Err(Mismatch::new(format!(
                "no kubelet named {:?} (start one with a `kubelet:` step)",
                e.node
            )));
        };
        let mut exp = Vec::new();
        let mut act = Vec::new();
        let mut cmp = |k: &str, want: String, have: String| {
            if want != have {
                exp.push(format!("{k}: {want}"));
                act.push(format!("{k}: {have}"));
            }
        };
        if let Some(p) = &e.phase {
            cmp("phase", p.clone(), format!("{:?}", st.phase));
        }
        if let Some(n) = e.bootstraps {
            cmp("bootstraps", n.to_string(), st.bootstraps.to_string());
        }
        if let Some(n) = e.rotations {
            cmp("rotations", n.to_string(), st.rotations.to_string());
        }
        if let Some(n) = e.min_rotations {
            if st.rotations < n {
                cmp("rotations", format!(">= {n}"), st.rotations.to_string());
            }
        }
        if let Some(n) = e.serving_rotations {
            cmp(
                "serving_rotations",
                n.to_string(),
                st.serving_rotations.to_string(),
            );
        }
        if let Some(cn) = &e.client_cn {
            cmp(
                "client_cn",
                cn.clone(),
                st.client_cert
                    .as_ref()
                    .map(|c| c.common_name.clone())
                    .unwrap_or_else(|| "none".into()),
            );
        }
        if let Some(b) = e.has_serving_cert {
            cmp(
                "has_serving_cert",
                b.to_string(),
                st.serving_cert.is_some().to_string(),
            );
        }
        if let Some(b) = e.waiting {
            cmp(
                "waiting",
                b.to_string(),
                st.pending_csr.is_some().to_string(),
            );
        }
        if let Some(s) = &e.stuck_reason_contains {
            let have = st.stuck_reason.clone().unwrap_or_default();
            if !have.contains(s.as_str()) {
                cmp("stuck_reason", format!("contains {s:?}"), have);
            }
        }
        if exp.is_empty() {
            Ok(())
        } else {
            Err(Mismatch::diff(
                format!("kubelet {} is not as expected", e.node),
                exp.join("\n"),
                act.join("\n"),
            ))
        }
    }

    fn create_csr(&mut self, c: &CreateCsr) -> StepResult {
        let name = c.name.clone();
        let pem: Vec<u8> = match &c.request {
            Some(RequestSource::File(f)) => std::fs::read(self.l.base_dir.join(f))
                .map_err(|e| Mismatch::new(format!("cannot read {f}: {e}")))?,
            Some(RequestSource::Pem(p)) => p.as_bytes().to_vec(),
            Some(RequestSource::Generate(g)) => self.gen_csr(g)?.into_bytes(),
            None => {
                let cn = name
                    .clone()
                    .or(c.generate_name.clone())
                    .unwrap_or_else(|| "user".into());
                self.gen_csr(&CsrGen {
                    cn: Some(cn),
                    ..Default::default()
                })?
                .into_bytes()
            }
        };
        let mut meta = json!({});
        if let Some(n) = &name {
            meta["name"] = json!(n);
        }
        if let Some(g) = &c.generate_name {
            meta["generateName"] = json!(g);
        }
        if !c.labels.is_empty() {
            meta["labels"] = json!(c.labels);
        }
        if !c.annotations.is_empty() {
            meta["annotations"] = json!(c.annotations);
        }
        let mut spec = json!({
            "request": b64(&pem),
            "signerName": c.signer.clone().unwrap_or_else(|| crate::api::csr::KUBE_APISERVER_CLIENT.into()),
            "usages": c.usages.clone().unwrap_or_else(|| vec!["client auth".into()]),
        });
        if let Some(e) = c.expiration_seconds {
            spec["expirationSeconds"] = json!(e);
        }
        let mut body = json!({"apiVersion": "certificates.k8s.io/v1", "kind": "CertificateSigningRequest", "metadata": meta, "spec": spec});
        if let Some(raw) = &c.raw {
            merge(&mut body, raw);
        }
        let mut req = ApiRequest::csr(Verb::Create).body(body);
        req.dry_run = c.dry_run;
        let who = self.who(&c.who);
        let out = check_outcome(self.t.apply(&who, req), &c.error)?;
        if let (Some(alias), Some(v)) = (&c.alias, out) {
            let n = v
                .into_value()
                .pointer("/metadata/name")
                .and_then(|n| n.as_str())
                .unwrap_or("")
                .to_string();
            self.aliases.insert(alias.clone(), n);
        }
        Ok(())
    }

    fn gen_csr(&mut self, g: &CsrGen) -> Result<String, Mismatch> {
        let t = &mut *self.t;
        let key = match &g.key_name {
            Some(k) => self.keys.get_or_make(k, || t.key_bytes()),
            None => {
                let k = DetKey::from_stream(|| t.key_bytes());
                return pki::make_csr(g, &k).map_err(Mismatch::new);
            }
        };
        pki::make_csr(g, key).map_err(Mismatch::new)
    }

    /// kubectl certificate approve|deny: GET, client-side checks, PUT /approval (retry on 409).
    fn decide_call(&mut self, d: &Decide, approve: bool) -> Result<(), Status> {
        let who = self.who(&d.who);
        let name = self.csr_name(&d.name);
        for attempt in 0..KUBECTL_CONFLICT_RETRIES {
            let cur = self
                .t
                .apply(&who, ApiRequest::csr(Verb::Get).name(&name))?
                .into_value();
            let csr: CertificateSigningRequest = serde_json::from_value(cur.clone())
                .map_err(|e| Status::bad_request(e.to_string()))?;
            let (mine, other) = if approve {
                ("Approved", "Denied")
            } else {
                ("Denied", "Approved")
            };
            if csr.has_condition(other) {
                return Err(Status::failure(
                    0,
                    "ClientError",
                    format!("certificate signing request \"{name}\" is already {other}"),
                ));
            }
            let mut body = cur;
            if csr.has_condition(mine) {
                if !d.force {
                    return Ok(());
                }
            } else {
                let (reason, message) = if approve {
                    (KUBECTL_APPROVE_REASON, KUBECTL_APPROVE_MESSAGE)
                } else {
                    (KUBECTL_DENY_REASON, KUBECTL_DENY_MESSAGE)
                };
                let cond = json!({"type": mine, "status": "True", "reason": reason, "message": message, "lastUpdateTime": self.now()});
                if !body["status"].is_object() {
                    body["status"] = json!({});
                }
                match body["status"]["conditions"].as_array_mut() {
                    Some(a) => a.push(cond),
                    None => body["status"]["conditions"] = json!([cond]),
                }
            }
            match self.t.apply(
                &who,
                ApiRequest::csr(Verb::Update)
                    .name(&name)
                    .subresource("approval")
                    .body(body),
            ) {
                Err(s) if s.code == 409 && attempt + 1 < KUBECTL_CONFLICT_RETRIES => continue,
                r => return r.map(|_| ()),
            }
        }
        Ok(())
    }

    fn decide(&mut self, d: &Decide, approve: bool) -> StepResult {
        let r = self.decide_call(d, approve);
        check_outcome(r, &d.error).map(|_| ())
    }

    fn sign(&mut self, s: &Sign) -> StepResult {
        let name = self.csr_name(&s.name);
        let mut cur = self.get_csr(&name)?;
        let pem: Vec<u8> = match &s.certificate {
            CertSource::File(f) => std::fs::read(self.l.base_dir.join(f))
                .map_err(|e| Mismatch::new(format!("cannot read {f}: {e}")))?,
            CertSource::Pem(p) => p.as_bytes().to_vec(),
            CertSource::Generate(g) => {
                let request = unb64(&cur["spec"]["request"]);
                let usages: Vec<String> =
                    serde_json::from_value(cur["spec"]["usages"].clone()).unwrap_or_default();
                let ttl = cur["spec"]["expirationSeconds"]
                    .as_i64()
                    .unwrap_or(EXTERNAL_DEFAULT_TTL_SECS);
                let mut serial = [0u8; 16];
                serial.copy_from_slice(&self.t.key_bytes()[..16]);
                if self.ca.is_none() {
                    let t = &mut *self.t;
                    self.ca = Some(DetKey::from_stream(|| t.key_bytes()));
                }
                let now = self.now();
                pki::issue(
                    &request,
                    &usages,
                    g,
                    ttl,
                    now,
                    self.ca.as_ref().expect("set"),
                    serial,
                )
                .map_err(Mismatch::new)?
                .into_bytes()
            }
        };
        if !cur["status"].is_object() {
            cur["status"] = json!({});
        }
        cur["status"]["certificate"] = json!(b64(&pem));
        let who = self.who(&s.who);
        let r = self.t.apply(
            &who,
            ApiRequest::csr(Verb::Update)
                .name(&name)
                .subresource("status")
                .body(cur),
        );
        check_outcome(r, &s.error).map(|_| ())
    }

    fn fail(&mut self, f: &Fail) -> StepResult {
        let name = self.csr_name(&f.name);
        let mut cur = self.get_csr(&name)?;
        let cond = json!({"type": "Failed", "status": "True", "reason": f.reason, "message": f.message, "lastUpdateTime": self.now()});
        if !cur["status"].is_object() {
            cur["status"] = json!({});
        }
        match cur["status"]["conditions"].as_array_mut() {
            Some(a) => a.push(cond),
            None => cur["status"]["conditions"] = json!([cond]),
        }
        let who = self.who(&f.who);
        let r = self.t.apply(
            &who,
            ApiRequest::csr(Verb::Update)
                .name(&name)
                .subresource("status")
                .body(cur),
        );
        check_outcome(r, &f.error).map(|_| ())
    }

    fn update(&mut self, u: &Update) -> StepResult {
        let (gr, r) = resolve(u.resource.as_deref())?;
        let name = if r == "certificatesigningrequests" {
            self.csr_name(&u.name)
        } else {
            u.name.clone()
        };
        let mut cur = self
            .get_obj(u.resource.as_deref(), u.namespace.as_deref(), &name)
            .map_err(|s| {
                Mismatch::new(format!("cannot read {name:?} to update it: {}", s.message))
            })?;
        for (p, v) in &u.set {
            set_path(&mut cur, p, v.clone());
        }
        if !u.append_conditions.is_empty() {
            if !cur["status"].is_object() {
                cur["status"] = json!({});
            }
            if !cur["status"]["conditions"].is_array() {
                cur["status"]["conditions"] = json!([]);
            }
            for c in &u.append_conditions {
                cur["status"]["conditions"]
                    .as_array_mut()
                    .expect("array")
                    .push(c.clone());
            }
        }
        if let Some(rv) = &u.resource_version {
            if rv.is_empty() {
                if let Some(m) = cur["metadata"].as_object_mut() {
                    m.remove("resourceVersion");
                }
            } else {
                cur["metadata"]["resourceVersion"] = json!(rv);
            }
        }
        let mut req = ApiRequest::new(Verb::Update, gr, r)
            .namespace(u.namespace.as_deref().unwrap_or(""))
            .name(&name)
            .subresource(u.subresource.as_deref().unwrap_or(""))
            .body(cur);
        req.dry_run = u.dry_run;
        let who = self.who(&u.who);
        check_outcome(self.t.apply(&who, req), &u.error).map(|_| ())
    }

    fn bootstrap_token(&mut self, b: &BootstrapToken) -> StepResult {
        let (id, secret) = b.token.split_once('.').unwrap_or((&b.token, ""));
        let mut data = json!({"token-id": id, "token-secret": secret});
        if let Some(ttl) = b.ttl {
            data["expiration"] = json!(self.now().add_secs(ttl.0.as_secs() as i64).to_rfc3339());
        }
        if b.authentication {
            data["usage-bootstrap-authentication"] = json!("true");
        }
        if b.signing {
            data["usage-bootstrap-signing"] = json!("true");
        }
        if !b.extra_groups.is_empty() {
            data["auth-extra-groups"] = json!(b.extra_groups.join(","));
        }
        let obj = json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": format!("bootstrap-token-{id}"), "namespace": "kube-system"}, "type": "bootstrap.kubernetes.io/token", "stringData": data});
        let req = ApiRequest::new(Verb::Create, "", "secrets")
            .namespace("kube-system")
            .body(obj);
        let who = self.who(&b.who);
        check_outcome(self.t.apply(&who, req), &b.error).map(|_| ())
    }

    fn watch(&mut self, w: &Watch) -> StepResult {
        let (gr, r) = resolve(w.resource.as_deref())?;
        // `latest`: list first and watch from the list's resourceVersion (what informers do).
        let rv = if w.resource_version == "latest" {
            let list = self
                .t
                .apply(
                    &Identity::admin(),
                    ApiRequest::new(Verb::List, gr, r)
                        .namespace(w.namespace.as_deref().unwrap_or("")),
                )
                .map_err(|s| {
                    Mismatch::diff("listing before the watch failed", "a list", status_text(&s))
                })?
                .into_value();
            show(&list["metadata"]["resourceVersion"])
        } else {
            w.resource_version.clone()
        };
        let opts = ListOptions {
            field_selector: w.field_selector.clone(),
            label_selector: w.label_selector.clone(),
            resource_version: rv,
            ..Default::default()
        };
        let req = ApiRequest::new(Verb::Watch, gr, r)
            .namespace(w.namespace.as_deref().unwrap_or(""))
            .list_options(opts);
        let who = self.who(&w.who);
        if let Some(ApiResponse::Watch(s)) = check_outcome(self.t.apply(&who, req), &w.error)? {
            {
                self.watches.insert(
                    w.name.clone(),
                    WatchState {
                        cursor: s.cursor,
                        events: s.initial,
                        error: None,
                    },
                );
            }
        }
        Ok(())
    }

    fn advance_until(&mut self, a: &AdvanceUntil) -> StepResult {
        let name = self.csr_name(&a.csr);
        let step = a.step.map(|d| d.0).unwrap_or(DEFAULT_UNTIL_STEP);
        let start = self.now().unix();
        loop {
            let state = match self.get_obj(None, None, &name) {
                Ok(v) => serde_json::from_value::<CertificateSigningRequest>(v).ok(),
                Err(_) => None,
            };
            let reached = match (&state, a.state.as_str()) {
                (None, "absent") => true,
                (None, _) | (Some(_), "absent") => false,
                (Some(c), s) => {
                    let display = c.display_condition();
                    display == s
                        || (matches!(s, "Approved" | "Denied" | "Failed") && c.has_condition(s))
                        || (s == "Issued" && !c.status.certificate.is_empty())
                }
            };
            if reached {
                if let Some(m) = &a.mark {
                    let now = self.now().unix();
                    self.marks.insert(m.clone(), now);
                }
                return Ok(());
            }
            if self.now().unix() - start >= a.within.0.as_secs() as i64 {
                let actual = state
                    .map(|c| c.display_condition())
                    .unwrap_or_else(|| "absent".into());
                return Err(Mismatch::diff(
                    format!(
                        "CSR {name:?} did not reach {:?} within {}",
                        a.state,
                        humantime::format_duration(a.within.0)
                    ),
                    a.state.clone(),
                    actual,
                ));
            }
            self.t.advance(step);
        }
    }

    fn poll(&mut self, name: &str) -> Result<(), Mismatch> {
        let Some(mut w) = self.watches.remove(name) else {
            return Err(Mismatch::new(format!(
                "no watch named {name:?} (open one with a `watch:` step)"
            )));
        };
        if w.error.is_none() {
            match self.t.watch_poll(&mut w.cursor) {
                Ok(ev) => w.events.extend(ev),
                Err(s) => w.error = Some(s),
            }
        }
        self.watches.insert(name.to_string(), w);
        Ok(())
    }

    fn expect_watch(&mut self, e: &ExpectWatch) -> StepResult {
        self.poll(&e.watch)?;
        let w = &self.watches[&e.watch];
        let actual: Vec<String> = w
            .events
            .iter()
            .filter(|ev| ev.type_ != EventType::Bookmark)
            .map(event_line)
            .collect();
        let exact = e.exact.unwrap_or(true);
        let ok = if exact {
            actual.len() == e.events.len()
                && e.events
                    .iter()
                    .zip(&actual)
                    .all(|(x, y)| event_matches(x, y))
        } else {
            let mut it = actual.iter();
            e.events.iter().all(|x| it.any(|y| event_matches(x, y)))
        };
        if !ok {
            return Err(Mismatch::diff(
                format!(
                    "watch {:?} received other events{}",
                    e.watch,
                    if exact {
                        ""
                    } else {
                        " (in-order subset expected)"
                    }
                ),
                e.events.join("\n"),
                actual.join("\n"),
            ));
        }
        let err = w.error.clone();
        match (&e.error, err) {
            (None, None) => Ok(()),
            (Some(x), None) => Err(Mismatch::diff(
                "the watch was expected to end with an error",
                error_text(x),
                "no error",
            )),
            (x, Some(s)) => check_outcome::<()>(Err(s), x).map(|_| ()),
        }
    }

    fn expect(&mut self, e: &Expect) -> StepResult {
        if let Some(n) = e.count {
            let (g, r) = resolve(e.resource.as_deref())?;
            let opts = ListOptions {
                label_selector: e.label_selector.clone(),
                field_selector: e.field_selector.clone(),
                ..Default::default()
            };
            let list = self
                .t
                .apply(
                    &Identity::admin(),
                    ApiRequest::new(Verb::List, g, r)
                        .namespace(e.namespace.as_deref().unwrap_or(""))
                        .list_options(opts),
                )
                .map_err(|s| Mismatch::diff("listing failed", "a list", status_text(&s)))?
                .into_value();
            let names: Vec<String> = list["items"]
                .as_array()
                .map(|a| a.iter().map(|i| show(&i["metadata"]["name"])).collect())
                .unwrap_or_default();
            if names.len() != n {
                return Err(Mismatch::diff(
                    format!("expected {n} object(s), found {}", names.len()),
                    format!("count: {n}"),
                    format!("count: {}\nnames: {}", names.len(), names.join(", ")),
                ));
            }
            if e.csr.is_none() && e.name.is_none() {
                return Ok(());
            }
        }
        let (resource, name) = match (&e.csr, &e.name) {
            (Some(c), _) => (None, self.csr_name(c)),
            (None, Some(n)) => (e.resource.clone(), n.clone()),
            (None, None) => return Err(Mismatch::new("expect needs `csr`, `name` or `count`")),
        };
        let got = self.get_obj(resource.as_deref(), e.namespace.as_deref(), &name);
        if e.absent {
            return match got {
                Err(s) if s.code == 404 => Ok(()),
                Err(s) => Err(Mismatch::diff(
                    format!("{name:?} should be absent"),
                    "404 NotFound",
                    status_text(&s),
                )),
                Ok(v) => Err(Mismatch::diff(
                    format!("{name:?} should be absent"),
                    "absent",
                    summarize(&v),
                )),
            };
        }
        let obj = got.map_err(|s| {
            Mismatch::diff(
                format!("cannot read {name:?}"),
                "the object exists",
                status_text(&s),
            )
        })?;
        let mut exp = Vec::new();
        let mut act = Vec::new();
        if let Some(want) = &e.condition {
            let c: CertificateSigningRequest =
                serde_json::from_value(obj.clone()).unwrap_or_default();
            let d = c.display_condition();
            if *want != d {
                exp.push(format!("condition: {want}"));
                act.push(format!("condition: {d}"));
            }
        }
        if let Some(conds) = &e.conditions {
            let actual = obj["status"]["conditions"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            let mut bad = conds.len() != actual.len();
            for (i, c) in conds.iter().enumerate() {
                let Some(a) = actual.get(i) else { break };
                let eq = |k: &str, v: &Option<String>| {
                    v.as_ref()
                        .is_none_or(|v| a.get(k).and_then(|x| x.as_str()).unwrap_or("") == v)
                };
                let mut ok = a["type"].as_str().unwrap_or("") == c.type_
                    && eq("status", &c.status)
                    && eq("reason", &c.reason)
                    && eq("message", &c.message);
                for (k, v) in [
                    ("lastUpdateTime", &c.last_update_time),
                    ("lastTransitionTime", &c.last_transition_time),
                ] {
                    if let Some(expr) = v {
                        let want = Time(self.instant(expr)?).to_rfc3339();
                        ok &= a.get(k).and_then(|x| x.as_str()).unwrap_or("") == want;
                    }
                }
                bad |= !ok;
            }
            if bad {
                for c in conds {
                    let mut c2 = c.clone();
                    for v in [&mut c2.last_update_time, &mut c2.last_transition_time]
                        .into_iter()
                        .flatten()
                    {
                        *v = Time(self.instant(v)?).to_rfc3339();
                    }
                    exp.push(format!(
                        "conditions[]: {}",
                        serde_json::to_string(&c2).unwrap_or_default()
                    ));
                }
                for a in &actual {
                    act.push(format!("conditions[]: {a}"));
                }
            }
        }
        for (p, want) in &e.fields {
            let have = get_path(&obj, p).cloned().unwrap_or(Value::Null);
            if have != *want {
                exp.push(format!("{p}: {want}"));
                act.push(format!("{p}: {have}"));
            }
        }
        for p in &e.fields_absent {
            if let Some(v) = get_path(&obj, p) {
                let empty = v.is_null()
                    || v.as_array().is_some_and(|a| a.is_empty())
                    || v.as_object().is_some_and(|o| o.is_empty())
                    || v.as_str() == Some("");
                if !empty {
                    exp.push(format!("{p}: <absent>"));
                    act.push(format!("{p}: {v}"));
                }
            }
        }
        if let Some(c) = &e.certificate {
            self.check_cert(&obj, c, &mut exp, &mut act)?;
        }
        if exp.is_empty() && act.is_empty() {
            Ok(())
        } else {
            Err(Mismatch::diff(
                format!("{name:?} is not as expected"),
                exp.join("\n"),
                act.join("\n"),
            ))
        }
    }

    fn check_cert(
        &self,
        obj: &Value,
        c: &CertExpect,
        exp: &mut Vec<String>,
        act: &mut Vec<String>,
    ) -> Result<(), Mismatch> {
        let pem = unb64(&obj["status"]["certificate"]);
        if c.present == Some(false) {
            if !pem.is_empty() {
                exp.push("certificate: <none>".into());
                act.push(format!("certificate: {} bytes", pem.len()));
            }
            return Ok(());
        }
        if pem.is_empty() {
            exp.push("certificate: issued".into());
            act.push("certificate: <none>".into());
            return Ok(());
        }
        let info = match pki::inspect(&pem) {
            Ok(i) => i,
            Err(e) => {
                exp.push("certificate: parseable".into());
                act.push(format!("certificate: {e}"));
                return Ok(());
            }
        };
        let mut cmp = |k: &str, want: String, have: String| {
            if want != have {
                exp.push(format!("certificate.{k}: {want}"));
                act.push(format!("certificate.{k}: {have}"));
            }
        };
        let list = |v: &[String]| format!("[{}]", v.join(", "));
        if let Some(v) = &c.cn {
            cmp("cn", v.clone(), info.cn.clone());
        }
        if let Some(v) = &c.o {
            cmp("o", list(v), list(&info.o));
        }
        if let Some(v) = &c.dns {
            cmp("dns", list(v), list(&info.dns));
        }
        if let Some(v) = &c.ips {
            cmp("ips", list(v), list(&info.ips));
        }
        if let Some(v) = &c.emails {
            cmp("emails", list(v), list(&info.emails));
        }
        if let Some(v) = &c.uris {
            cmp("uris", list(v), list(&info.uris));
        }
        if let Some(v) = &c.key_usage {
            let mut a = v.clone();
            for x in a.iter_mut() {
                if x == "signing" {
                    *x = "digital signature".into();
                }
            }
            a.sort();
            a.dedup();
            let mut b = info.key_usage.clone();
            b.sort();
            cmp("key_usage", list(&a), list(&b));
        }
        if let Some(v) = &c.ext_key_usage {
            cmp("ext_key_usage", list(v), list(&info.ext_key_usage));
        }
        if let Some(v) = c.is_ca {
            cmp("is_ca", v.to_string(), info.is_ca.to_string());
        }
        if let Some(v) = &c.issuer_cn {
            cmp("issuer_cn", v.clone(), info.issuer_cn.clone());
        }
        if let Some(v) = c.blocks {
            cmp("blocks", v.to_string(), info.blocks.to_string());
        }
        if let Some(expr) = &c.not_before {
            let want = self.instant(expr)?;
            cmp(
                "not_before",
                Time(want).to_rfc3339(),
                Time(info.not_before).to_rfc3339(),
            );
        }
        if let Some(expr) = &c.not_after {
            let want = self.instant(expr)?;
            cmp(
                "not_after",
                Time(want).to_rfc3339(),
                Time(info.not_after).to_rfc3339(),
            );
        }
        if let Some(d) = c.validity {
            let have = Duration::from_secs((info.not_after - info.not_before).max(0) as u64);
            cmp(
                "validity",
                humantime::format_duration(d.0).to_string(),
                humantime::format_duration(have).to_string(),
            );
        }
        // conformance: an upper bound on the validity.
        if let Some(d) = c.validity_at_most {
            let have = Duration::from_secs((info.not_after - info.not_before).max(0) as u64);
            if have > d.0 {
                cmp(
                    "validity_at_most",
                    format!("at most {}", hours(d.0)),
                    format!(
                        "{} (notBefore {}, notAfter {})",
                        hours(have),
                        Time(info.not_before).to_rfc3339(),
                        Time(info.not_after).to_rfc3339()
                    ),
                );
            }
        }
        // conformance: the certificate certifies the requester's key.
        if let Some(want) = c.key_matches_request {
            let request = unb64(&obj["spec"]["request"]);
            let requested = pki_csr::parse_pem(&request).map(|r| r.spki_der);
            let have = match &requested {
                Ok(k) => *k == info.spki,
                Err(_) => false,
            };
            if have != want {
                let say = |m: bool| {
                    if m {
                        "the public key of spec.request".to_string()
                    } else {
                        "another public key than spec.request's".to_string()
                    }
                };
                cmp(
                    "key_matches_request",
                    say(want),
                    match &requested {
                        Err(e) => format!("spec.request unreadable: {e}"),
                        Ok(_) => say(have),
                    },
                );
            }
        }
        Ok(())
    }
}

/// A duration as Go prints one, in hours at most (`8760h5m0s`, `15m0s`): what `expirationSeconds`
/// users reason in, where humantime would say `11months 30days 3h 55m 24s` for 365 days.
fn hours(d: Duration) -> String {
    let s = d.as_secs();
    let (h, m, s) = (s / 3600, s / 60 % 60, s % 60);
    if h > 0 {
        format!("{h}h{m}m{s}s")
    } else if m > 0 {
        format!("{m}m{s}s")
    } else {
        format!("{s}s")
    }
}

/// A short description of an object for diffs.
fn summarize(v: &Value) -> String {
    let name = show(&v["metadata"]["name"]);
    match serde_json::from_value::<CertificateSigningRequest>(v.clone()) {
        Ok(c) if v.get("spec").and_then(|s| s.get("signerName")).is_some() => {
            format!("{name} ({})", c.display_condition())
        }
        _ => name,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validity_durations_read_in_hours_as_go_prints_them() {
        for (secs, want) in [
            (365 * 86400 + 300, "8760h5m0s"),
            (900, "15m0s"),
            (42, "42s"),
            (3600, "1h0m0s"),
        ] {
            assert_eq!(hours(Duration::from_secs(secs)), want);
        }
    }

    #[test]
    fn paths_parse_keys_and_indexes() {
        let v = json!({"status": {"conditions": [{"type": "Approved"}, {"type": "Failed"}]}});
        assert_eq!(
            get_path(&v, "status.conditions[1].type"),
            Some(&json!("Failed"))
        );
        assert_eq!(get_path(&v, "status.conditions[2].type"), None);
        let mut w = json!({});
        set_path(&mut w, "metadata.labels.team", json!("a"));
        set_path(&mut w, "spec.usages[1]", json!("client auth"));
        assert_eq!(
            w,
            json!({"metadata": {"labels": {"team": "a"}}, "spec": {"usages": [null, "client auth"]}})
        );
    }

    #[test]
    fn event_lines_match_by_prefix() {
        assert!(event_matches("ADDED a", "ADDED a Pending"));
        assert!(event_matches("MODIFIED a Approved", "MODIFIED a Approved"));
        assert!(!event_matches(
            "MODIFIED a Approved,Issued",
            "MODIFIED a Approved"
        ));
        assert!(!event_matches("DELETED a", "ADDED a Pending"));
    }
}

#[cfg(test)]
mod run_tests {
    use super::*;
    use std::path::Path;

    fn run(src: &str, seed: Option<u64>) -> ScenarioResult {
        let l = crate::scenario::loader::parse(Path::new("inline.yaml"), src).expect("loads");
        run_loaded(&l[0], seed)
    }

    fn failure(src: &str) -> Failure {
        match run(src, None).outcome {
            Outcome::Failed(f) => f,
            o => panic!("expected a failure, got {o:?}"),
        }
    }

    #[test]
    fn failures_name_the_step_and_show_both_sides() {
        // (case, scenario, failing step, message fragment, expected, actual)
        let rows: &[(&str, &str, usize, &str, &str, &str)] = &[
            (
                "call expected to fail succeeds",
                "name: x\nsteps:\n  - create_csr: {name: c, error: {code: 422}}\n",
                1,
                "succeeded but was expected to fail",
                "code: 422",
                "success",
            ),
            (
                "unexpected error",
                "name: x\nsteps:\n  - create_csr: {name: c, usages: []}\n",
                1,
                "failed unexpectedly",
                "success",
                "code: 422",
            ),
            (
                "wrong error",
                "name: x\nsteps:\n  - create_csr: {name: c, usages: [], error: {code: 403}}\n",
                1,
                "failed differently",
                "code: 403",
                "reason: Invalid",
            ),
            (
                "advance_until times out",
                "name: x\nsteps:\n  - create_csr: {name: c}\n  - advance_until: {csr: c, state: Approved, within: 10s}\n",
                2,
                "did not reach \"Approved\" within 10s",
                "Approved",
                "Pending",
            ),
            (
                "watch events differ",
                "name: x\nsteps:\n  - watch: {name: w}\n  - create_csr: {name: c}\n  - expect_watch: {watch: w, events: [ADDED d]}\n",
                3,
                "received other events",
                "ADDED d",
                "ADDED c Pending",
            ),
            (
                "absent but present",
                "name: x\nsteps:\n  - create_csr: {name: c}\n  - expect: {csr: c, absent: true}\n",
                2,
                "should be absent",
                "absent",
                "c (Pending)",
            ),
            (
                "count",
                "name: x\nsteps:\n  - create_csr: {name: c}\n  - expect: {count: 2}\n",
                2,
                "expected 2 object(s), found 1",
                "count: 2",
                "names: c",
            ),
        ];
        for (case, src, step, msg, exp, act) in rows {
            let f = failure(src);
            assert_eq!(f.step, *step, "{case}: {f:?}");
            assert!(f.mismatch.message.contains(msg), "{case}: {f:?}");
            assert!(
                f.mismatch.expected.as_deref().unwrap_or("").contains(exp),
                "{case}: {f:?}"
            );
            assert!(
                f.mismatch.actual.as_deref().unwrap_or("").contains(act),
                "{case}: {f:?}"
            );
        }
    }

    #[test]
    fn faults_on_unknown_controllers_and_watches_fail_clearly() {
        assert!(failure("name: x\nsteps:\n  - pause: csrsigning\n")
            .mismatch
            .message
            .contains("no controller named \"csrsigning\""));
        assert!(
            // Opened only later: the load check lets it through, the run fails clearly.
            failure("name: x\nsteps:\n  - expect_watch: {watch: nope}\n  - watch: {name: nope}\n")
                .mismatch
                .message
                .contains("no watch named \"nope\"")
        );
        let f = failure("name: x\nsteps:\n  - create_csr: {name: c}\n  - expect: {csr: c, conditions: [{type: Approved, last_update_time: tx}]}\n  - mark: tx\n");
        assert!(
            f.mismatch.message.contains("unknown instant \"tx\""),
            "{f:?}"
        );
    }

    #[test]
    fn instants_and_certificates_are_checked_against_marks() {
        let src = "name: x\nsteps:\n  - mark: t0\n  - create_csr: {name: c}\n  - advance: 1h\n  - sign: {name: c, certificate: {generate: {ttl: 2h, backdate: 5m}}}\n  - expect: {csr: c, certificate: {not_before: t0 + 55m, not_after: start + 3h, validity: 2h 5m}}\n  - expect: {csr: c, certificate: {not_after: now}}\n";
        let f = failure(src);
        assert_eq!(f.step, 6, "{f:?}");
        assert!(
            f.mismatch
                .expected
                .as_deref()
                .unwrap_or("")
                .contains("certificate.not_after: 2030-01-01T01:00:00Z"),
            "{f:?}"
        );
        assert!(
            f.mismatch
                .actual
                .as_deref()
                .unwrap_or("")
                .contains("certificate.not_after: 2030-01-01T03:00:00Z"),
            "{f:?}"
        );
    }

    #[test]
    fn generated_material_follows_the_seed() {
        let src = "name: x\nsteps:\n  - create_csr: {name: c}\n  - sign: {name: c, certificate: {generate: {}}}\n";
        let a = run(src, Some(1));
        let b = run(src, Some(1));
        let c = run(src, Some(2));
        assert!(a.passed(), "{a:?}");
        assert_eq!(a.trace, b.trace);
        assert_ne!(a.trace, c.trace);
    }

    #[test]
    fn scenarios_needing_missing_capabilities_are_skipped() {
        let l = crate::scenario::loader::parse(
            Path::new("inline.yaml"),
            "name: x\ncluster: {signer: true, cleaner: true}\nrequires: [rbac]\nsteps: []\n",
        )
        .expect("loads");
        let cluster =
            Cluster::new(config_for(&l[0].scenario, None).expect("config")).expect("cluster");
        let t = Tamper {
            inner: ClusterTarget::new(cluster),
            arm_at: i64::MAX,
            no_caps: true,
        };
        assert_eq!(
            skip_reason(&t, &l[0].scenario).as_deref(),
            Some("needs signer, cleaner, rbac, which this target does not offer")
        );
        // This build has them all.
        assert_eq!(skip_reason(&t.inner, &l[0].scenario), None);
    }

    /// A target that lies: once virtual time passed `arm_at`, lists show CSRs without
    /// conditions; with `no_caps` it claims to have no controllers and no RBAC.
    struct Tamper {
        inner: ClusterTarget,
        arm_at: i64,
        no_caps: bool,
    }

    impl Target for Tamper {
        fn apply(&mut self, who: &Identity, req: ApiRequest) -> Result<ApiResponse, Status> {
            let is_list = req.verb == Some(Verb::List);
            let r = self.inner.apply(who, req)?;
            if !is_list {
                return Ok(r);
            }
            let mut v = r.into_value();
            if self.inner.now().unix() > self.arm_at {
                for item in v["items"].as_array_mut().into_iter().flatten() {
                    item["status"] = json!({});
                }
            }
            Ok(ApiResponse::Ok(v))
        }
        fn watch_poll(&mut self, c: &mut WatchCursor) -> Result<Vec<WatchEvent>, Status> {
            self.inner.watch_poll(c)
        }
        fn now(&self) -> Time {
            self.inner.now()
        }
        fn advance(&mut self, d: Duration) {
            self.inner.advance(d)
        }
        fn set_paused(&mut self, c: &str, p: bool) -> bool {
            self.inner.set_paused(c, p)
        }
        fn controllers(&self) -> Vec<String> {
            self.inner.controllers()
        }
        fn key_bytes(&mut self) -> [u8; 32] {
            self.inner.key_bytes()
        }
        fn has(&self, cap: Capability) -> bool {
            !self.no_caps && self.inner.has(cap)
        }
        fn trace(&mut self, e: &str, f: Value) {
            self.inner.trace(e, f)
        }
        fn trace_jsonl(&self) -> String {
            self.inner.trace_jsonl()
        }
    }

    #[test]
    fn invariants_catch_a_removed_condition() {
        let src = "name: x\ncheck_invariants: true\nsteps:\n  - create_csr: {name: c}\n  - approve: {name: c}\n  - advance: 1s\n";
        let l = crate::scenario::loader::parse(Path::new("inline.yaml"), src).expect("loads");
        let cluster =
            Cluster::new(config_for(&l[0].scenario, None).expect("config")).expect("cluster");
        // Lie once `advance` has moved the clock.
        let arm_at = cluster.now().unix();
        let mut t = Tamper {
            inner: ClusterTarget::new(cluster),
            arm_at,
            no_caps: false,
        };
        let mut res = ScenarioResult {
            id: "x".into(),
            name: "x".into(),
            seed: 0,
            steps: 3,
            steps_run: 0,
            virtual_start: String::new(),
            virtual_end: String::new(),
            outcome: Outcome::Passed,
            trace: String::new(),
            certs: BTreeMap::new(),
        };
        run_on(&mut t, &l[0], &mut res);
        match res.outcome {
            Outcome::Failed(f) => {
                assert_eq!(f.step, 3, "{f:?}");
                assert_eq!(
                    f.mismatch.message,
                    "invariant violated: a condition of type Approved was removed from c"
                );
            }
            o => panic!("{o:?}"),
        }
    }
}
