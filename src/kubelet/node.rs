//! One kubelet: its credentials and two certificate managers (client, serving) as a state
//! machine. Every transition happens inside a call from the fleet (a timer or a CSR
//! notification) at one virtual instant; every future action is one entry in the fleet's
//! timer queue, guarded by a token so that a superseded timer does nothing.
//!
//! Time: the node reads its own clock, `cluster now + clock_skew_ms`. Rotation deadlines and
//! the expiry of its certificate are judged on that clock (as the kubelet does), while the
//! apiserver judges the certificate it presents on the cluster clock (x509 authentication).

use super::csr::{self, CertInfo, CertKind, EcdsaKey, Key, KeyAlg, NodeAddress, Template};
use super::fleet::BootstrapMode;
use super::fleet::Core;
use super::*;
use crate::api::csr::{APPROVED, DENIED, FAILED};
use crate::api::{CertificateSigningRequest, Time};
use crate::auth::Identity;
use crate::sim::{ApiRequest, Cluster, Verb};
use base64::Engine;
use serde_json::json;

/// Uniform `u` in [0, 1) → the rotation deadline (ms) of a certificate valid
/// `[not_before, not_after]` (seconds): `NotBefore + (0.7 + 0.2·u)·(NotAfter − NotBefore)`.
pub fn rotation_deadline_ms(not_before: Time, not_after: Time, u: f64) -> i64 {
    // As upstream: `wait.Jitter(total, 0.2) - Duration(total*0.3)`, each part truncated.
    let total = (not_after.unix() - not_before.unix()) * 1000;
    let jittered = total + (u * ROTATION_JITTER_FACTOR * total as f64) as i64;
    not_before.unix() * 1000 + jittered - (ROTATION_JITTER_SUBTRACT * total as f64) as i64
}

/// Delay before the next rotation attempt after `failures` failed ones in this cycle
/// (`failures ≥ 1`), with jitter draw `u` in [0, 1): the backoff sleeps 2 s, 4 s, 8 s, 16 s
/// each stretched by up to 10 % (`wait.Jitter`), then the 5th step ends the backoff and
/// `PollInfinite` waits 32 s before every further attempt.
pub fn retry_delay_ms(failures: u32, u: f64) -> i64 {
    if failures >= BACKOFF_STEPS {
        return POLL_INTERVAL_MS;
    }
    let d = BACKOFF_INITIAL_MS * BACKOFF_FACTOR.pow(failures.saturating_sub(1));
    d + (u * BACKOFF_JITTER * d as f64) as i64
}

/// The bounds `[lo, hi)` (ms) of [`retry_delay_ms`] for a failure count (tests, invariants).
pub fn retry_delay_bounds_ms(failures: u32) -> (i64, i64) {
    if failures >= BACKOFF_STEPS {
        return (POLL_INTERVAL_MS, POLL_INTERVAL_MS + 1);
    }
    let d = BACKOFF_INITIAL_MS * BACKOFF_FACTOR.pow(failures.saturating_sub(1));
    (d, d + (BACKOFF_JITTER * d as f64) as i64)
}

/// `WaitForCertificate`'s verdict on one observed state of the CSR it waits for (client-go
/// `util/certificate/csr/csr.go`): every condition is looked at, in order — a `Denied` or
/// `Failed` one ends the wait with an error wherever it stands (even after `Approved`);
/// otherwise an `Approved` condition (any status) with a certificate ends it with the
/// certificate, and without one (or with no `Approved`) the wait goes on (`None`).
pub fn wait_outcome(c: &CertificateSigningRequest) -> Option<Result<Vec<u8>, String>> {
    let mut approved = false;
    for cond in &c.status.conditions {
        if cond.type_ == DENIED {
            return Some(Err(format!(
                "certificate signing request is denied, reason: {}, message: {}",
                cond.reason, cond.message
            )));
        }
        if cond.type_ == FAILED {
            return Some(Err(format!(
                "certificate signing request failed, reason: {}, message: {}",
                cond.reason, cond.message
            )));
        }
        if cond.type_ == APPROVED {
            approved = true;
        }
    }
    (approved && !c.status.certificate.is_empty()).then(|| Ok(c.status.certificate.clone()))
}

/// Where the bootstrap key comes from.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum KeyType {
    /// Generated ECDSA P-256 from the seeded RNG (what `keyutil` makes).
    #[default]
    EcdsaP256,
    /// A provided PKCS#8 DER key (RSA or ECDSA): an operator-provisioned
    /// `kubelet-client.key.tmp`. Rotation keys are always fresh P-256.
    Pkcs8(Vec<u8>),
}

/// What a scenario says about one node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeSpec {
    pub name: String,
    pub addresses: Vec<NodeAddress>,
    pub key_type: KeyType,
    /// `serverTLSBootstrap: true`: request serving certificates.
    pub serving: bool,
    /// `<id>.<secret>` from the bootstrap kubeconfig.
    pub bootstrap_token: Option<String>,
    /// Node clock minus cluster clock.
    pub clock_skew_ms: i64,
}

impl NodeSpec {
    /// A client-only node with no token, no addresses, no skew.
    pub fn new(name: &str) -> NodeSpec {
        NodeSpec {
            name: name.to_string(),
            addresses: Vec::new(),
            key_type: KeyType::EcdsaP256,
            serving: false,
            bootstrap_token: None,
            clock_skew_ms: 0,
        }
    }
    pub fn token(mut self, t: &str) -> NodeSpec {
        self.bootstrap_token = Some(t.to_string());
        self
    }
    pub fn serving(mut self, addresses: Vec<NodeAddress>) -> NodeSpec {
        self.serving = true;
        self.addresses = addresses;
        self
    }
}

/// The node's phase as an operator would describe it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Phase {
    /// Powered off (or not started yet).
    Off,
    /// Waiting for its bootstrap CSR.
    Bootstrapping,
    /// The kubelet exited and systemd will restart it.
    Restarting,
    /// Holds a client certificate, next rotation scheduled.
    Ready,
    /// A rotation is in flight or backing off.
    Rotating,
    /// No valid certificate and no usable bootstrap credential.
    Stuck,
}

/// One rotation attempt: a CSR (if it got that far) and how it ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attempt {
    /// Cluster time (ms) the attempt started.
    pub start_ms: i64,
    /// Cluster time (ms) it ended (success or failure).
    pub end_ms: i64,
    pub csr: Option<String>,
    /// `None` on success.
    pub error: Option<String>,
}

/// One completed certificate-manager cycle (deadline → new certificate).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RotationRecord {
    pub kind: CertKind,
    /// The certificate being replaced (None: there was none, the rotation was forced).
    pub old_not_before: Option<Time>,
    pub old_not_after: Option<Time>,
    /// Deadline on the node's clock (ms).
    pub deadline_local_ms: i64,
    /// Node clock skew when the deadline was set.
    pub skew_ms: i64,
    pub attempts: Vec<Attempt>,
    pub new_not_after: Time,
}

/// A snapshot of one node for tests and the scenario runner.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeStatus {
    pub name: String,
    pub phase: Phase,
    pub stuck_reason: Option<String>,
    /// Who the apiserver would take this node for right now: its client certificate's subject
    /// if valid on the cluster clock, else its bootstrap token user if that authenticates.
    pub identity: Option<Identity>,
    pub client_cert: Option<CertInfo>,
    pub serving_cert: Option<CertInfo>,
    pub cert_not_after: Option<Time>,
    /// The armed client rotation deadline on the node's clock (ms), when idle.
    pub rotation_deadline_local_ms: Option<i64>,
    /// The same for the serving certificate.
    pub serving_deadline_local_ms: Option<i64>,
    /// The CSR the client manager waits for (bootstrap or rotation).
    pub pending_csr: Option<String>,
    pub serving_pending_csr: Option<String>,
    pub bootstraps: u32,
    pub rotations: u32,
    pub serving_rotations: u32,
    pub csrs_created: u32,
    pub failed_attempts: u32,
    pub clock_skew_ms: i64,
    /// Completed cycles (kept when `FleetOptions::keep_history`).
    pub history: Vec<RotationRecord>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum State {
    Off,
    Restarting,
    Stuck,
    /// Serving only: the addresses give no template.
    NoTemplate,
    /// Rotation deadline armed.
    Idle,
    /// Bootstrap's `waitForServer`: polling `/healthz` with the bootstrap token until the API
    /// answers 200 or `until_ms` (cluster time) passes; then the CSR is requested either way.
    /// `unauthorized`: the API is up but refuses the token (401), so the node is stuck.
    WaitingForServer {
        until_ms: i64,
        unauthorized: bool,
    },
    /// Waiting for a CSR (`bootstrap`: the bootstrap wait of 3600 s, else 15 min).
    Waiting {
        csr: String,
        uid: String,
        bootstrap: bool,
    },
    Backoff,
}

/// A bootstrap `/healthz` poll's outcome.
enum Healthz {
    /// 200; the token to request with.
    Ok(String),
    /// The API is unreachable.
    Down,
    /// 401: the bootstrap token is refused, and why.
    Unauthorized(String),
}

#[derive(Clone, Debug)]
struct Cycle {
    deadline_local_ms: i64,
    skew_ms: i64,
    old: Option<(Time, Time)>,
    attempts: Vec<Attempt>,
    failures: u32,
}

#[derive(Debug)]
struct Manager {
    state: State,
    token: u64,
    cycle: Option<Cycle>,
}

impl Manager {
    fn new() -> Manager {
        Manager {
            state: State::Off,
            token: 0,
            cycle: None,
        }
    }
}

/// Timer slots of a node.
pub(crate) const SLOT_CLIENT: u8 = 0;
pub(crate) const SLOT_SERVING: u8 = 1;
pub(crate) const SLOT_EXPIRY: u8 = 2;
pub(crate) const SLOT_START: u8 = 3;

/// One simulated kubelet.
#[derive(Debug)]
pub struct Node {
    pub(crate) spec: NodeSpec,
    powered: bool,
    client: Manager,
    serving: Manager,
    expiry_token: u64,
    start_token: u64,
    client_cert: Option<CertInfo>,
    serving_cert: Option<CertInfo>,
    /// `kubelet-client.key.tmp`: kept across bootstrap retries, dropped after success.
    boot_key: Option<Key>,
    /// Bootstrapping through the certificate manager (no current certificate yet).
    manager_bootstrapping: bool,
    stuck_reason: Option<String>,
    bootstraps: u32,
    rotations: u32,
    serving_rotations: u32,
    csrs_created: u32,
    failed_attempts: u32,
    history: Vec<RotationRecord>,
}

/// Everything a node transition may touch.
pub(crate) struct Env<'a> {
    pub cx: &'a mut Cluster,
    pub core: &'a mut Core,
}

impl Env<'_> {
    fn tracing(&self) -> bool {
        self.cx.config().trace
    }
    fn trace(&mut self, ev: &str, f: serde_json::Value) {
        if self.tracing() {
            self.cx.trace(ev, f);
        }
    }
}

fn b64(s: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(s)
}

impl Node {
    pub(crate) fn new(spec: NodeSpec) -> Node {
        Node {
            spec,
            powered: false,
            client: Manager::new(),
            serving: Manager::new(),
            expiry_token: 0,
            start_token: 0,
            client_cert: None,
            serving_cert: None,
            boot_key: None,
            manager_bootstrapping: false,
            stuck_reason: None,
            bootstraps: 0,
            rotations: 0,
            serving_rotations: 0,
            csrs_created: 0,
            failed_attempts: 0,
            history: Vec::new(),
        }
    }

    pub fn name(&self) -> &str {
        &self.spec.name
    }

    fn local_ms(&self, cx: &Cluster) -> i64 {
        cx.now_ms() + self.spec.clock_skew_ms
    }
    fn local_secs(&self, cx: &Cluster) -> i64 {
        self.local_ms(cx).div_euclid(1000)
    }

    fn mgr(&mut self, kind: CertKind) -> &mut Manager {
        match kind {
            CertKind::Client => &mut self.client,
            CertKind::Serving => &mut self.serving,
        }
    }

    fn slot(kind: CertKind) -> u8 {
        match kind {
            CertKind::Client => SLOT_CLIENT,
            CertKind::Serving => SLOT_SERVING,
        }
    }

    /// Arm the manager's single timer at cluster time `at_ms` (superseding the previous one).
    fn arm(&mut self, idx: u32, kind: CertKind, at_ms: i64, env: &mut Env) {
        let token = env
            .core
            .push(at_ms.max(env.cx.now_ms()), idx, Self::slot(kind));
        self.mgr(kind).token = token;
    }

    /// Cancel the manager's timer and wait.
    fn disarm(&mut self, kind: CertKind, env: &mut Env) {
        let m = self.mgr(kind);
        m.token = 0;
        if let State::Waiting { csr, .. } = &m.state {
            env.core.waiting.remove(csr);
        }
    }

    // ------------------------------------------------------------------ status

    pub(crate) fn set_start_token(&mut self, token: u64) {
        self.start_token = token;
    }

    /// (bootstraps, rotations, serving rotations, CSRs created, failed attempts, stuck).
    pub(crate) fn counts(&self) -> (u32, u32, u32, u32, u32, bool) {
        (
            self.bootstraps,
            self.rotations,
            self.serving_rotations,
            self.csrs_created,
            self.failed_attempts,
            self.client.state == State::Stuck,
        )
    }

    pub(crate) fn phase(&self) -> Phase {
        if self.manager_bootstrapping
            && matches!(
                self.client.state,
                State::Idle | State::Waiting { .. } | State::Backoff
            )
        {
            return Phase::Bootstrapping;
        }
        match &self.client.state {
            State::Off | State::NoTemplate => Phase::Off,
            State::Restarting => Phase::Restarting,
            State::Stuck
            | State::WaitingForServer {
                unauthorized: true, ..
            } => Phase::Stuck,
            State::Waiting {
                bootstrap: true, ..
            }
            | State::WaitingForServer { .. } => Phase::Bootstrapping,
            State::Idle => Phase::Ready,
            State::Waiting { .. } | State::Backoff => Phase::Rotating,
        }
    }

    pub(crate) fn status(&self, cx: &Cluster, core: &Core) -> NodeStatus {
        let phase = self.phase();
        let deadline = |m: &Manager| match (&m.state, &m.cycle) {
            (State::Idle, Some(c)) => Some(c.deadline_local_ms),
            _ => None,
        };
        let pending = |m: &Manager| match &m.state {
            State::Waiting { csr, .. } => Some(csr.clone()),
            _ => None,
        };
        NodeStatus {
            name: self.spec.name.clone(),
            phase,
            stuck_reason: self.stuck_reason.clone(),
            identity: self.server_identity(cx).ok().or_else(|| {
                self.spec
                    .bootstrap_token
                    .as_ref()
                    .and_then(|t| cx.authenticate_token(t))
            }),
            client_cert: self.client_cert.clone(),
            serving_cert: self.serving_cert.clone(),
            cert_not_after: self.client_cert.as_ref().map(|c| c.not_after),
            rotation_deadline_local_ms: deadline(&self.client),
            serving_deadline_local_ms: deadline(&self.serving),
            pending_csr: pending(&self.client),
            serving_pending_csr: pending(&self.serving),
            bootstraps: self.bootstraps,
            rotations: self.rotations,
            serving_rotations: self.serving_rotations,
            csrs_created: self.csrs_created,
            failed_attempts: self.failed_attempts,
            clock_skew_ms: self.spec.clock_skew_ms,
            history: if core.opts.keep_history {
                self.history.clone()
            } else {
                Vec::new()
            },
        }
    }

    /// The identity the apiserver's x509 authenticator gives the node's client certificate
    /// now (cluster clock), or the 401 it answers.
    /// A certificate expired on the node's own clock is not presented at all (`Current()`
    /// returns nil).
    fn server_identity(&self, cx: &Cluster) -> Result<Identity, String> {
        match &self.client_cert {
            Some(c) if c.expired_at(self.local_secs(cx)) => Err("Unauthorized".into()),
            Some(c) if c.valid_at(cx.now().unix()) => Ok(c.identity()),
            Some(_) => {
                Err("Unauthorized (x509: certificate has expired or is not yet valid)".into())
            }
            None => Err("Unauthorized".into()),
        }
    }

    // ------------------------------------------------------------------ dispatch

    /// A timer of this node fired; `token` tells whether it is still the live one.
    pub(crate) fn on_timer(&mut self, idx: u32, slot: u8, token: u64, env: &mut Env) {
        match slot {
            SLOT_START if token == self.start_token => self.start(idx, env),
            SLOT_EXPIRY if token == self.expiry_token => self.check_expiry(idx, env),
            SLOT_CLIENT if token == self.client.token => self.client_timer(idx, env),
            SLOT_SERVING if token == self.serving.token => self.serving_timer(idx, env),
            _ => {}
        }
    }

    fn client_timer(&mut self, idx: u32, env: &mut Env) {
        match self.client.state.clone() {
            State::Restarting | State::Stuck => self.start(idx, env),
            State::WaitingForServer { until_ms, .. } => {
                let health = self.healthz(env);
                self.poll_server(idx, until_ms, health, env)
            }
            State::Idle | State::Backoff => self.rotate(idx, CertKind::Client, env),
            State::Waiting { csr, bootstrap, .. } => {
                let e = "timed out waiting for the condition".to_string();
                if bootstrap {
                    self.bootstrap_failed(idx, &csr, &e, env);
                } else {
                    self.attempt_failed(idx, CertKind::Client, Some(&csr), &e, env);
                }
            }
            State::Off | State::NoTemplate => {}
        }
    }

    fn serving_timer(&mut self, idx: u32, env: &mut Env) {
        match self.serving.state.clone() {
            State::Idle | State::Backoff => self.rotate(idx, CertKind::Serving, env),
            State::Waiting { csr, .. } => self.attempt_failed(
                idx,
                CertKind::Serving,
                Some(&csr),
                "timed out waiting for the condition",
                env,
            ),
            _ => {}
        }
    }

    /// Schedule a (re)start of the kubelet at cluster time `at_ms`.
    pub(crate) fn schedule_start(&mut self, idx: u32, at_ms: i64, env: &mut Env) {
        self.start_token = env.core.push(at_ms, idx, SLOT_START);
    }

    // ------------------------------------------------------------------ lifecycle

    /// The kubelet process starts: a still-valid client certificate (own clock) is used as
    /// is; otherwise it bootstraps.
    fn start(&mut self, idx: u32, env: &mut Env) {
        self.powered = true;
        let now_local = self.local_secs(env.cx);
        match &self.client_cert {
            Some(c) if !c.expired_at(now_local) => {
                env.trace(
                    "kubelet-start",
                    json!({"node": self.spec.name, "client_cert_not_after": c.not_after}),
                );
                self.running(idx, env);
            }
            _ => {
                env.trace(
                    "kubelet-start",
                    json!({"node": self.spec.name, "bootstrap": true}),
                );
                self.bootstrap(idx, env);
            }
        }
    }

    /// Powered off: every timer and wait is dropped.
    pub(crate) fn power_off(&mut self, env: &mut Env) {
        self.disarm(CertKind::Client, env);
        self.disarm(CertKind::Serving, env);
        self.client.state = State::Off;
        self.serving.state = State::Off;
        self.client.cycle = None;
        self.serving.cycle = None;
        self.expiry_token = 0;
        self.start_token = 0;
        self.manager_bootstrapping = false;
        self.powered = false;
    }

    pub(crate) fn powered(&self) -> bool {
        self.powered
    }

    /// Holding a valid client certificate: arm the rotation deadline, the expiry check, and
    /// start the serving manager.
    fn running(&mut self, idx: u32, env: &mut Env) {
        self.stuck_reason = None;
        let now = env.cx.now_ms();
        self.arm_client_deadline(idx, now, env);
        self.arm_expiry(idx, env);
        if self.spec.serving && matches!(self.serving.state, State::Off | State::NoTemplate) {
            self.serving_start(idx, env);
        }
    }

    /// `nextRotationDeadline` for a manager holding `cert` (or forced: now).
    fn new_cycle(
        &mut self,
        kind: CertKind,
        cert: Option<CertInfo>,
        force: bool,
        env: &mut Env,
    ) -> i64 {
        let now_local = self.local_ms(env.cx);
        let (deadline, old) = match cert {
            Some(c) if !force => {
                let u = env.cx.rngs().unit_f64("jitter");
                (
                    rotation_deadline_ms(c.not_before, c.not_after, u),
                    Some((c.not_before, c.not_after)),
                )
            }
            Some(c) => (now_local, Some((c.not_before, c.not_after))),
            None => (now_local, None),
        };
        self.mgr(kind).cycle = Some(Cycle {
            deadline_local_ms: deadline,
            skew_ms: self.spec.clock_skew_ms,
            old,
            attempts: Vec::new(),
            failures: 0,
        });
        deadline
    }

    /// Arm the client rotation at its deadline, but not before cluster time `not_before_ms`.
    fn arm_client_deadline(&mut self, idx: u32, not_before_ms: i64, env: &mut Env) {
        let cert = self.client_cert.clone();
        let force = cert
            .as_ref()
            .is_some_and(|c| !Template::client(&self.spec.name).satisfied_by(c));
        let deadline = self.new_cycle(CertKind::Client, cert, force, env);
        self.client.state = State::Idle;
        let at = (deadline - self.spec.clock_skew_ms).max(not_before_ms);
        self.arm(idx, CertKind::Client, at, env);
        env.trace(
            "kubelet-rotation-scheduled",
            json!({"node": self.spec.name, "kind": "client", "deadline": Time(deadline.div_euclid(1000)), "deadline_ms": deadline}),
        );
    }

    /// Arm the transport's expiry check: `exitAfter` (5 min) after the certificate stopped
    /// being current (NotAfter on the node's clock).
    fn arm_expiry(&mut self, idx: u32, env: &mut Env) {
        if let Some(c) = &self.client_cert {
            let at =
                (c.not_after.unix() + 1) * 1000 + EXPIRED_EXIT_AFTER_MS - self.spec.clock_skew_ms;
            self.expiry_token = env.core.push(at.max(env.cx.now_ms()), idx, SLOT_EXPIRY);
        }
    }

    /// `UpdateTransport`: no current certificate for `exitAfter` and the server responsive →
    /// the kubelet exits ("No valid client certificate is found and the server is
    /// responsive, exiting.") and systemd restarts it, into bootstrap. With the server
    /// unreachable it stays up and checks again.
    fn check_expiry(&mut self, idx: u32, env: &mut Env) {
        let now_local = self.local_secs(env.cx);
        if self
            .client_cert
            .as_ref()
            .is_some_and(|c| !c.expired_at(now_local))
        {
            self.arm_expiry(idx, env);
            return;
        }
        if env.core.api_down(env.cx.now_ms()) {
            let at = env.cx.now_ms() + TRANSPORT_RECHECK_MS;
            self.expiry_token = env.core.push(at, idx, SLOT_EXPIRY);
            return;
        }
        env.trace(
            "kubelet-cert-expired",
            json!({"node": self.spec.name, "not_after": self.client_cert.as_ref().map(|c| c.not_after), "exit": true,
                   "message": "No valid client certificate is found and the server is responsive, exiting."}),
        );
        self.power_off(env);
        self.powered = true;
        self.client.state = State::Restarting;
        let at = env.cx.now_ms() + RESTART_DELAY_MS;
        self.arm(idx, CertKind::Client, at, env);
    }

    // ------------------------------------------------------------------ bootstrap

    fn stuck(&mut self, idx: u32, reason: String, env: &mut Env) {
        self.note_stuck(reason, env);
        self.client.state = State::Stuck;
        let at = env.cx.now_ms() + RESTART_DELAY_MS;
        self.arm(idx, CertKind::Client, at, env);
    }

    /// Records why the node cannot get a client certificate; traced once per new reason, not
    /// on every restart.
    fn note_stuck(&mut self, reason: String, env: &mut Env) {
        if self.stuck_reason.as_deref() != Some(reason.as_str()) {
            env.cx.trace(
                "kubelet-stuck",
                json!({"node": self.spec.name, "reason": reason,
                       "client_cert_not_after": self.client_cert.as_ref().map(|c| c.not_after)}),
            );
            self.stuck_reason = Some(reason);
        }
    }

    /// The bootstrap token if the apiserver would accept it now, else why not.
    fn bootstrap_credential(&self, env: &mut Env) -> Result<String, String> {
        let Some(token) = self.spec.bootstrap_token.clone() else {
            return Err("no valid client certificate and no bootstrap token".into());
        };
        let id = token.split('.').next().unwrap_or("").to_string();
        let now = env.cx.now();
        if let Err(r) = env.cx.tokens_mut().check_bootstrap_token(&token, now) {
            let cert = match &self.client_cert {
                Some(c) => format!("client certificate expired at {}", c.not_after.to_rfc3339()),
                None => "no client certificate".into(),
            };
            return Err(format!(
                "{cert} and bootstrap token {id} is not usable: Bootstrap secret kube-system/bootstrap-token-{id} matching bearer token {}",
                r.message()
            ));
        }
        Ok(token)
    }

    /// `BootstrapMode::CertificateManager`: with no current certificate the certificate
    /// manager rotates at once with the bootstrap credentials; the transport exits the kubelet
    /// if no certificate is current 5 minutes after start.
    fn bootstrap_via_manager(&mut self, idx: u32, env: &mut Env) {
        if let Err(reason) = self.bootstrap_credential(env) {
            return self.stuck(idx, reason, env);
        }
        self.disarm(CertKind::Client, env);
        self.manager_bootstrapping = true;
        let cert = self.client_cert.clone();
        self.new_cycle(CertKind::Client, cert, true, env);
        self.client.state = State::Idle;
        let now = env.cx.now_ms();
        self.arm(idx, CertKind::Client, now, env);
        self.expiry_token = env.core.push(now + EXPIRED_EXIT_AFTER_MS, idx, SLOT_EXPIRY);
    }

    /// `LoadClientCert` with the bootstrap kubeconfig.
    fn bootstrap(&mut self, idx: u32, env: &mut Env) {
        if env.core.opts.bootstrap_mode == BootstrapMode::CertificateManager {
            return self.bootstrap_via_manager(idx, env);
        }
        self.disarm(CertKind::Client, env);
        let name = self.spec.name.clone();
        if self.spec.bootstrap_token.is_none() {
            let reason = "no valid client certificate and no bootstrap token".to_string();
            return self.stuck(idx, reason, env);
        }
        if self.boot_key.is_none() {
            let key = match &self.spec.key_type {
                KeyType::EcdsaP256 => Ok(Key::Ecdsa(EcdsaKey::generate(env.cx.rngs()))),
                KeyType::Pkcs8(der) => Key::from_pkcs8(der),
            };
            match key {
                Ok(k) => self.boot_key = Some(k),
                Err(e) => {
                    return self.stuck(idx, format!("unable to load bootstrap key: {e}"), env)
                }
            }
        }
        // `waitForServer(ctx, bootstrapConfig, 1*time.Minute)`: the kubelet polls `/healthz`
        // with the bootstrap kubeconfig for up to a minute, then requests its certificate
        // anyway. An unreachable API and a token the API refuses (401) both keep it polling.
        let health = self.healthz(env);
        match &health {
            Healthz::Ok(_) => {}
            Healthz::Down => env.trace(
                "kubelet-waiting-for-server",
                json!({"node": name, "timeout_ms": WAIT_FOR_SERVER_MS}),
            ),
            Healthz::Unauthorized(reason) => self.note_stuck(reason.clone(), env),
        }
        let until_ms = env.cx.now_ms() + WAIT_FOR_SERVER_MS;
        self.poll_server(idx, until_ms, health, env);
    }

    /// What a `/healthz` GET with the bootstrap token gets now.
    fn healthz(&self, env: &mut Env) -> Healthz {
        if env.core.api_down(env.cx.now_ms()) {
            return Healthz::Down;
        }
        match self.bootstrap_credential(env) {
            Ok(token) => Healthz::Ok(token),
            Err(reason) => Healthz::Unauthorized(reason),
        }
    }

    /// One `/healthz` poll of `waitForServer` (`wait.JitterUntil(..., 2s, 0.2, sliding)`),
    /// which got `health`: a 200 → request the certificate; the minute is over → request it anyway, which fails
    /// (the connection error while the API is down, 401 for a refused token) and exits the
    /// kubelet, so a refused token costs one attempt per 70 s (60 s + the 10 s restart);
    /// else poll again after 2–2.4 s.
    fn poll_server(&mut self, idx: u32, until_ms: i64, health: Healthz, env: &mut Env) {
        let now = env.cx.now_ms();
        if now >= until_ms || matches!(health, Healthz::Ok(_)) {
            return match health {
                Healthz::Ok(token) => self.bootstrap_request(idx, &token, env),
                Healthz::Down => self.bootstrap_request(idx, "", env),
                Healthz::Unauthorized(reason) => self.stuck(idx, reason, env),
            };
        }
        let u = env.cx.rngs().unit_f64("jitter");
        let next = now
            + WAIT_FOR_SERVER_POLL_MS
            + (u * WAIT_FOR_SERVER_JITTER * WAIT_FOR_SERVER_POLL_MS as f64) as i64;
        let unauthorized = matches!(health, Healthz::Unauthorized(_));
        self.client.state = State::WaitingForServer {
            until_ms,
            unauthorized,
        };
        self.arm(idx, CertKind::Client, next.min(until_ms), env);
    }

    /// `requestNodeCertificate` with the bootstrap token and the kept key.
    fn bootstrap_request(&mut self, idx: u32, token: &str, env: &mut Env) {
        let name = self.spec.name.clone();
        if env.core.api_down(env.cx.now_ms()) {
            return self.bootstrap_failed(idx, "", &env.core.connection_error(), env);
        }
        let who = env
            .cx
            .authenticate_token(token)
            .expect("checked by bootstrap_credential");
        let key = self.boot_key.as_ref().expect("set");
        let usages = csr::bootstrap_usages(key.alg(), env.core.opts.usage_mode);
        let t = Template::client(&name);
        let orgs: Vec<&str> = t.organizations.iter().map(|s| s.as_str()).collect();
        let csr_name = csr::digested_name(&key.spki_der(), &t.common_name, &orgs, &usages);
        let pem = match csr::request_pem(&t, key) {
            Ok(p) => p,
            Err(e) => return self.bootstrap_failed(idx, &csr_name, &e, env),
        };
        let body = json!({
            "apiVersion": "certificates.k8s.io/v1",
            "kind": "CertificateSigningRequest",
            "metadata": {"name": csr_name},
            "spec": {"request": b64(&pem), "signerName": CertKind::Client.signer_name(), "usages": usages},
        });
        let created = env.cx.apply(
            &who,
            ApiRequest::csr(Verb::Create)
                .body(body)
                .user_agent(super::USER_AGENT)
                .identity_only(),
        );
        let uid = match created {
            Ok(r) => {
                self.csrs_created += 1;
                let v = r.into_value();
                env.trace(
                    "kubelet-csr-created",
                    json!({"node": name, "csr": csr_name, "kind": "client", "bootstrap": true, "user": who.user, "usages": usages}),
                );
                v["metadata"]["uid"].as_str().unwrap_or("").to_string()
            }
            Err(s) if s.reason == "AlreadyExists" => {
                match self.reuse_existing(&who, &csr_name, &pem, env) {
                    Ok(uid) => {
                        env.trace(
                            "kubelet-csr-reused",
                            json!({"node": name, "csr": csr_name, "user": who.user}),
                        );
                        uid
                    }
                    Err(e) => return self.bootstrap_failed(idx, &csr_name, &e, env),
                }
            }
            Err(s) => {
                let e = format!("cannot create certificate signing request: {}", s.message);
                return self.bootstrap_failed(idx, &csr_name, &e, env);
            }
        };
        self.client.state = State::Waiting {
            csr: csr_name.clone(),
            uid,
            bootstrap: true,
        };
        let at = env.cx.now_ms() + BOOTSTRAP_WAIT_SECS * 1000;
        self.arm(idx, CertKind::Client, at, env);
        env.core.waiting.insert(csr_name, (idx, CertKind::Client));
        self.observe(idx, CertKind::Client, env);
    }

    /// `RequestCertificate` on AlreadyExists: GET and `ensureCompatible` (same subject, same
    /// signer, signed by our key, no expired certificate), then reuse the object.
    fn reuse_existing(
        &mut self,
        who: &Identity,
        name: &str,
        pem: &str,
        env: &mut Env,
    ) -> Result<String, String> {
        let r = env
            .cx
            .apply(who, ApiRequest::csr(Verb::Get).name(name))
            .map_err(|s| s.message)?;
        let old: CertificateSigningRequest =
            serde_json::from_value(r.into_value()).map_err(|e| e.to_string())?;
        let incompatible = |m: String| format!("retrieved csr is not compatible: {m}");
        let (ncn, norgs, nkey) =
            csr::request_subject_and_key(pem.as_bytes()).map_err(incompatible)?;
        let (ocn, oorgs, okey) =
            csr::request_subject_and_key(&old.spec.request).map_err(incompatible)?;
        if ncn != ocn || norgs != oorgs {
            return Err(incompatible("csr subjects differ".into()));
        }
        if old.spec.signer_name != CertKind::Client.signer_name() {
            return Err(incompatible("csr signerNames differ".into()));
        }
        if nkey != okey {
            return Err(incompatible("public key does not match".into()));
        }
        if !old.status.certificate.is_empty() {
            if let Ok(c) = csr::parse_issued(&old.status.certificate) {
                if c.expired_at(env.cx.now().unix()) {
                    return Err(incompatible("certificate has expired".into()));
                }
            }
        }
        Ok(old.metadata.uid.clone())
    }

    fn bootstrap_failed(&mut self, idx: u32, csr: &str, err: &str, env: &mut Env) {
        self.disarm(CertKind::Client, env);
        self.failed_attempts += 1;
        env.trace(
            "kubelet-bootstrap-failed",
            json!({"node": self.spec.name, "csr": csr, "error": err, "restart_after_ms": RESTART_DELAY_MS}),
        );
        self.client.state = State::Restarting;
        let at = env.cx.now_ms() + RESTART_DELAY_MS;
        self.arm(idx, CertKind::Client, at, env);
    }

    // ------------------------------------------------------------------ rotation

    fn serving_start(&mut self, idx: u32, env: &mut Env) {
        let now = env.cx.now_ms();
        self.serving_start_after(idx, now, env);
    }

    /// Start the serving manager; its first rotation not before cluster time `not_before_ms`.
    fn serving_start_after(&mut self, idx: u32, not_before_ms: i64, env: &mut Env) {
        let t = csr::serving_template(
            &self.spec.name,
            &self.spec.addresses,
            env.core.opts.allow_dns_only_serving,
        );
        if t.is_none() {
            if self.serving.state != State::NoTemplate {
                env.trace(
                    "kubelet-serving-no-template",
                    json!({"node": self.spec.name, "reason": "no IP address among the node's addresses"}),
                );
            }
            self.disarm(CertKind::Serving, env);
            self.serving.state = State::NoTemplate;
            return;
        }
        let t = t.expect("some");
        let cert = self.serving_cert.clone();
        let now_local = self.local_secs(env.cx);
        let force = match &cert {
            None => true,
            Some(c) => c.expired_at(now_local) || !t.satisfied_by(c),
        };
        let deadline = self.new_cycle(CertKind::Serving, cert, force, env);
        self.serving.state = State::Idle;
        let at = (deadline - self.spec.clock_skew_ms).max(not_before_ms);
        self.arm(idx, CertKind::Serving, at, env);
    }

    /// New addresses: a template the serving certificate no longer satisfies triggers a
    /// rotation at the next template check.
    pub(crate) fn set_addresses(&mut self, idx: u32, addrs: Vec<NodeAddress>, env: &mut Env) {
        self.spec.addresses = addrs;
        env.trace(
            "kubelet-addresses",
            json!({"node": self.spec.name, "addresses": self.spec.addresses.iter().map(|a| a.address.clone()).collect::<Vec<_>>()}),
        );
        if !self.spec.serving || !self.powered {
            return;
        }
        match self.serving.state {
            State::Idle | State::NoTemplate | State::Off => {
                let t = csr::serving_template(
                    &self.spec.name,
                    &self.spec.addresses,
                    env.core.opts.allow_dns_only_serving,
                );
                let satisfied = match (&t, &self.serving_cert) {
                    (Some(t), Some(c)) => t.satisfied_by(c),
                    _ => false,
                };
                if t.is_none() || self.serving.state != State::Idle {
                    return self.serving_start(idx, env);
                }
                if !satisfied {
                    let cert = self.serving_cert.clone();
                    self.new_cycle(CertKind::Serving, cert, true, env);
                    let at = env.cx.now_ms() + TEMPLATE_CHECK_MS;
                    if let Some(c) = self.serving.cycle.as_mut() {
                        c.deadline_local_ms = at + self.spec.clock_skew_ms;
                    }
                    self.arm(idx, CertKind::Serving, at, env);
                }
            }
            _ => {}
        }
    }

    /// Change the node's clock; deadlines on its clock move on the cluster's.
    pub(crate) fn set_skew(&mut self, idx: u32, skew_ms: i64, env: &mut Env) {
        self.spec.clock_skew_ms = skew_ms;
        if !self.powered {
            return;
        }
        for kind in [CertKind::Client, CertKind::Serving] {
            if self.mgr(kind).state == State::Idle {
                if let Some(c) = self.mgr(kind).cycle.as_mut() {
                    c.skew_ms = skew_ms;
                    let d = c.deadline_local_ms;
                    self.arm(idx, kind, d - skew_ms, env);
                }
            }
        }
        if self.client_cert.is_some() && self.expiry_token != 0 {
            self.arm_expiry(idx, env);
        }
    }

    /// One `rotateCerts` call.
    fn rotate(&mut self, idx: u32, kind: CertKind, env: &mut Env) {
        let now_ms = env.cx.now_ms();
        let template = match kind {
            CertKind::Client => Some(Template::client(&self.spec.name)),
            CertKind::Serving => csr::serving_template(
                &self.spec.name,
                &self.spec.addresses,
                env.core.opts.allow_dns_only_serving,
            ),
        };
        let Some(t) = template else {
            return self.serving_start(idx, env);
        };
        if self.mgr(kind).cycle.is_none() {
            let cert = match kind {
                CertKind::Client => self.client_cert.clone(),
                CertKind::Serving => self.serving_cert.clone(),
            };
            self.new_cycle(kind, cert, true, env);
        }
        if let Some(c) = self.mgr(kind).cycle.as_mut() {
            c.attempts.push(Attempt {
                start_ms: now_ms,
                end_ms: now_ms,
                csr: None,
                error: None,
            });
        }
        if env.core.api_down(now_ms) {
            let e = env.core.connection_error();
            return self.attempt_failed(idx, kind, None, &e, env);
        }
        let no_current = self
            .client_cert
            .as_ref()
            .is_none_or(|c| c.expired_at(self.local_secs(env.cx)));
        let via_manager = kind == CertKind::Client
            && env.core.opts.bootstrap_mode == BootstrapMode::CertificateManager
            && no_current;
        let who = match self.server_identity(env.cx) {
            Ok(w) => w,
            // newClientsetFn: no valid certificate → the bootstrap credentials.
            Err(_) if via_manager => match self
                .spec
                .bootstrap_token
                .as_ref()
                .and_then(|t| env.cx.authenticate_token(t))
            {
                Some(w) => w,
                None => return self.attempt_failed(idx, kind, None, "Unauthorized", env),
            },
            Err(e) => return self.attempt_failed(idx, kind, None, &e, env),
        };
        let key = Key::Ecdsa(EcdsaKey::generate(env.cx.rngs()));
        let usages = csr::manager_usages(kind, KeyAlg::EcdsaP256, env.core.opts.usage_mode);
        let pem = match csr::request_pem(&t, &key) {
            Ok(p) => p,
            Err(e) => return self.attempt_failed(idx, kind, None, &e, env),
        };
        let body = json!({
            "apiVersion": "certificates.k8s.io/v1",
            "kind": "CertificateSigningRequest",
            "metadata": {"generateName": csr::ROTATION_GENERATE_NAME},
            "spec": {"request": b64(&pem), "signerName": kind.signer_name(), "usages": usages},
        });
        let create = ApiRequest::csr(Verb::Create)
            .body(body)
            .user_agent(super::USER_AGENT)
            .identity_only();
        let (csr_name, uid) = match env.cx.apply(&who, create) {
            Ok(r) => {
                let v = r.into_value();
                (
                    v["metadata"]["name"].as_str().unwrap_or("").to_string(),
                    v["metadata"]["uid"].as_str().unwrap_or("").to_string(),
                )
            }
            Err(s) => {
                let e = format!("cannot create certificate signing request: {}", s.message);
                return self.attempt_failed(idx, kind, None, &e, env);
            }
        };
        self.csrs_created += 1;
        env.trace(
            "kubelet-csr-created",
            json!({"node": self.spec.name, "csr": csr_name, "kind": kind.as_str(), "bootstrap": false, "user": who.user, "usages": usages}),
        );
        if let Some(a) = self
            .mgr(kind)
            .cycle
            .as_mut()
            .and_then(|c| c.attempts.last_mut())
        {
            a.csr = Some(csr_name.clone());
        }
        self.mgr(kind).state = State::Waiting {
            csr: csr_name.clone(),
            uid,
            bootstrap: false,
        };
        let at = env.cx.now_ms() + CERTIFICATE_WAIT_TIMEOUT_MS;
        self.arm(idx, kind, at, env);
        env.core.waiting.insert(csr_name, (idx, kind));
        self.observe(idx, kind, env);
    }

    /// A failed attempt: back off (2 s … 16 s, then every 32 s).
    fn attempt_failed(
        &mut self,
        idx: u32,
        kind: CertKind,
        csr: Option<&str>,
        err: &str,
        env: &mut Env,
    ) {
        self.disarm(kind, env);
        self.failed_attempts += 1;
        let now_ms = env.cx.now_ms();
        let u = env.cx.rngs().unit_f64("jitter");
        let cycle = self
            .mgr(kind)
            .cycle
            .as_mut()
            .expect("attempts run in a cycle");
        cycle.failures += 1;
        let delay = retry_delay_ms(cycle.failures, u);
        if let Some(a) = cycle.attempts.last_mut() {
            a.end_ms = now_ms;
            a.error = Some(err.to_string());
        }
        env.trace(
            "kubelet-rotation-failed",
            json!({"node": self.spec.name, "kind": kind.as_str(), "csr": csr, "error": err, "retry_after_ms": delay}),
        );
        self.mgr(kind).state = State::Backoff;
        self.arm(idx, kind, now_ms + delay, env);
    }

    // ------------------------------------------------------------------ waiting

    /// `WaitForCertificate`'s check of the CSR it waits for (initial list or a watch event):
    /// deleted or re-created → error, else [`wait_outcome`].
    pub(crate) fn observe(&mut self, idx: u32, kind: CertKind, env: &mut Env) {
        let State::Waiting {
            csr: name,
            uid,
            bootstrap,
        } = self.mgr(kind).state.clone()
        else {
            return;
        };
        if env.core.api_down(env.cx.now_ms()) {
            // The watch is broken; the fleet re-checks every wait when the API is back.
            return;
        }
        let outcome: Option<Result<Vec<u8>, String>> = match env.cx.get_csr(&name) {
            None => Some(Err(format!("csr {name:?} was deleted"))),
            Some(c) if c.metadata.uid != uid => Some(Err(format!("csr {name:?} changed UIDs"))),
            Some(c) => wait_outcome(&c),
        };
        let Some(outcome) = outcome else { return };
        let outcome = outcome.and_then(|pem| csr::parse_issued(&pem));
        match (outcome, bootstrap) {
            (Ok(cert), true) => self.bootstrapped(idx, &name, cert, env),
            (Ok(cert), false) => self.rotated(idx, kind, &name, cert, env),
            (Err(e), true) => self.bootstrap_failed(idx, &name, &e, env),
            (Err(e), false) => self.attempt_failed(idx, kind, Some(&name), &e, env),
        }
    }

    fn bootstrapped(&mut self, idx: u32, csr: &str, cert: CertInfo, env: &mut Env) {
        self.disarm(CertKind::Client, env);
        self.boot_key = None;
        self.bootstraps += 1;
        env.trace(
            "kubelet-bootstrapped",
            json!({"node": self.spec.name, "csr": csr, "user": cert.common_name, "groups": cert.organizations,
                   "not_before": cert.not_before, "not_after": cert.not_after, "serial": cert.serial}),
        );
        self.client_cert = Some(cert);
        self.client.cycle = None;
        self.running(idx, env);
    }

    fn rotated(&mut self, idx: u32, kind: CertKind, csr: &str, cert: CertInfo, env: &mut Env) {
        self.disarm(kind, env);
        let now_ms = env.cx.now_ms();
        let keep = env.core.opts.keep_history;
        let cycle = self.mgr(kind).cycle.take();
        if let Some(mut c) = cycle {
            if let Some(a) = c.attempts.last_mut() {
                a.end_ms = now_ms;
            }
            if keep {
                self.history.push(RotationRecord {
                    kind,
                    old_not_before: c.old.map(|o| o.0),
                    old_not_after: c.old.map(|o| o.1),
                    deadline_local_ms: c.deadline_local_ms,
                    skew_ms: c.skew_ms,
                    attempts: std::mem::take(&mut c.attempts),
                    new_not_after: cert.not_after,
                });
            }
        }
        env.trace(
            "kubelet-cert-rotated",
            json!({"node": self.spec.name, "kind": kind.as_str(), "csr": csr, "not_before": cert.not_before,
                   "not_after": cert.not_after, "serial": cert.serial}),
        );
        match kind {
            CertKind::Client if self.manager_bootstrapping => {
                self.manager_bootstrapping = false;
                self.bootstraps += 1;
                env.trace(
                    "kubelet-bootstrapped",
                    json!({"node": self.spec.name, "csr": csr, "user": cert.common_name, "groups": cert.organizations,
                           "not_before": cert.not_before, "not_after": cert.not_after, "serial": cert.serial}),
                );
                self.client_cert = Some(cert);
                self.stuck_reason = None;
                self.arm_client_deadline(idx, now_ms + ROTATION_LOOP_PERIOD_MS, env);
                self.arm_expiry(idx, env);
                if self.spec.serving && matches!(self.serving.state, State::Off | State::NoTemplate)
                {
                    self.serving_start(idx, env);
                }
            }
            CertKind::Client => {
                self.rotations += 1;
                self.client_cert = Some(cert);
                // `wait.Until(..., time.Second)`: the next loop iteration (and so the next
                // rotation, even with a deadline already past) starts a second later.
                self.arm_client_deadline(idx, now_ms + ROTATION_LOOP_PERIOD_MS, env);
                self.arm_expiry(idx, env);
            }
            CertKind::Serving => {
                self.serving_rotations += 1;
                self.serving_cert = Some(cert);
                self.serving.state = State::Off;
                self.serving_start_after(idx, now_ms + ROTATION_LOOP_PERIOD_MS, env);
            }
        }
    }

    /// The CSR this node's `kind` manager is waiting for, if any.
    pub(crate) fn waiting_csr(&self, kind: CertKind) -> Option<&str> {
        let m = match kind {
            CertKind::Client => &self.client,
            CertKind::Serving => &self.serving,
        };
        match &m.state {
            State::Waiting { csr, .. } => Some(csr),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rotation_deadline_spans_70_to_90_percent() {
        let nb = Time(1000);
        let na = Time(1000 + 86_400);
        assert_eq!(rotation_deadline_ms(nb, na, 0.0), 1_000_000 + 60_480_000);
        // u → 1 approaches but never reaches 90 %.
        let hi = rotation_deadline_ms(nb, na, 0.999_999_999);
        assert!(hi < 1_000_000 + 77_760_000 && hi > 1_000_000 + 77_759_000);
        assert_eq!(rotation_deadline_ms(nb, na, 0.5), 1_000_000 + 69_120_000);
    }

    #[test]
    fn retry_schedule_is_2_4_8_16_with_jitter_then_32s() {
        let rows = [
            (1, 0.0, 2000),
            (1, 0.5, 2100),
            (2, 0.0, 4000),
            (2, 0.999, 4399),
            (3, 0.0, 8000),
            (4, 0.0, 16_000),
            (4, 0.5, 16_800),
            (5, 0.0, 32_000),
            (5, 0.9, 32_000),
            (42, 0.3, 32_000),
        ];
        for (failures, u, want) in rows {
            assert_eq!(
                retry_delay_ms(failures, u),
                want,
                "failures={failures} u={u}"
            );
            let (lo, hi) = retry_delay_bounds_ms(failures);
            assert!(lo <= want && want < hi.max(lo + 1), "bounds of {failures}");
        }
    }

    #[test]
    fn wait_outcome_scans_every_condition_as_client_go_does() {
        use crate::api::CsrCondition;
        let cond = |t: &str, status: &str| CsrCondition {
            type_: t.into(),
            status: status.into(),
            reason: format!("{t}Reason"),
            message: format!("{t} message"),
            ..Default::default()
        };
        let denied =
            "certificate signing request is denied, reason: DeniedReason, message: Denied message";
        let failed =
            "certificate signing request failed, reason: FailedReason, message: Failed message";
        // (case, conditions, certificate, want: None = keep waiting, Ok = issued, Err = text)
        let rows: Vec<(&str, Vec<CsrCondition>, &[u8], Option<Result<&[u8], &str>>)> = vec![
            ("pending", vec![], b"", None),
            (
                "approved, not issued",
                vec![cond(APPROVED, "True")],
                b"",
                None,
            ),
            ("certificate without approval", vec![], b"CERT", None),
            (
                "approved and issued",
                vec![cond(APPROVED, "True")],
                b"CERT",
                Some(Ok(b"CERT")),
            ),
            (
                "approved with status False still counts",
                vec![cond(APPROVED, "False")],
                b"CERT",
                Some(Ok(b"CERT")),
            ),
            ("denied", vec![cond(DENIED, "True")], b"", Some(Err(denied))),
            ("failed", vec![cond(FAILED, "True")], b"", Some(Err(failed))),
            // The whole list is read before the certificate is taken: a Failed condition after
            // Approved ends the wait with an error even though a certificate is there.
            (
                "failed after approved, issued",
                vec![cond(APPROVED, "True"), cond(FAILED, "True")],
                b"CERT",
                Some(Err(failed)),
            ),
            (
                "failed (status False) after approved",
                vec![cond(APPROVED, "True"), cond(FAILED, "False")],
                b"CERT",
                Some(Err(failed)),
            ),
            (
                "custom condition ignored",
                vec![cond("Custom", "True"), cond(APPROVED, "True")],
                b"CERT",
                Some(Ok(b"CERT")),
            ),
        ];
        for (case, conds, cert, want) in rows {
            let mut c = CertificateSigningRequest::default();
            c.status.conditions = conds;
            c.status.certificate = cert.to_vec();
            let got = wait_outcome(&c);
            let got = got
                .as_ref()
                .map(|r| r.as_ref().map(|v| v.as_slice()).map_err(|e| e.as_str()));
            assert_eq!(got, want, "{case}");
        }
    }
}
