//! [`RemoteTarget`]: the runner's [`Target`] over HTTPS ([`RemoteCluster`]), for conformance
//! runs against any API server reached through a kubeconfig.
//!
//! Differences from the in-process target, and why:
//! - controllers there are asynchronous, so a failing `expect` is retried (`expect_retries`
//!   times, `poll` apart) and `wait:` steps really sleep;
//! - time warp only exists where the server offers `/sim/v1/clock` (a `csrsim serve`); elsewhere
//!   `now` is the wall clock and scenarios that advance time are skipped (see [`skip_reason`]);
//! - controllers cannot be paused remotely;
//! - everything the run creates is labelled `csrsim.io/run=<id>` and recorded, so
//!   [`Cleanup::run`] can delete it afterwards, even after a failure or Ctrl-C.
//!
//! This is an edge module: it reads the wall clock and sleeps.
#![allow(clippy::disallowed_methods)]
#![allow(clippy::result_large_err)]

use super::loader::Loaded;
use super::runner::{required, Target};
use super::schema::{Capability, Step};
use crate::api::{Status, Time, WatchEvent};
use crate::auth::Identity;
use crate::remote::RemoteCluster;
use crate::sim::rng::Rngs;
use crate::sim::{ApiRequest, ApiResponse, Verb, WatchCursor};
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The label put on every object a conformance run creates.
pub const RUN_LABEL: &str = "csrsim.io/run";
/// The seeded stream scenario keys are drawn from (same name as in-process).
const KEY_STREAM: &str = "scenario-keys";
/// `--cluster-signing-duration` of `csrsim serve` and kube-controller-manager (8760h).
const DEFAULT_SIGNING_DURATION_SECS: u64 = 8760 * 3600;
/// The only signer the built-in approver auto-approves for.
const KUBELET_CLIENT_SIGNER: &str = "kubernetes.io/kube-apiserver-client-kubelet";

/// One object created by the run: enough to DELETE it.
#[derive(Clone, Debug)]
pub struct Created {
    pub group: String,
    pub version: String,
    pub resource: String,
    pub namespace: String,
    pub name: String,
}

/// The objects a run created, shared with the Ctrl-C handler.
#[derive(Clone, Default)]
pub struct Cleanup(pub Arc<Mutex<Vec<Created>>>);

impl Cleanup {
    fn push(&self, c: Created) {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).push(c);
    }

    /// Delete every recorded object (newest first) as the kubeconfig's own user; NotFound is
    /// fine (deleted by the scenario or collected by the cleaner). Returns the failures.
    pub fn run(&self, rc: &mut RemoteCluster) -> Vec<String> {
        let items: Vec<Created> =
            std::mem::take(&mut *self.0.lock().unwrap_or_else(|p| p.into_inner()));
        let admin = rc.admin.clone();
        let mut errs = Vec::new();
        for c in items.iter().rev() {
            let req = ApiRequest {
                verb: Some(Verb::Delete),
                group: c.group.clone(),
                version: c.version.clone(),
                resource: c.resource.clone(),
                namespace: c.namespace.clone(),
                name: c.name.clone(),
                ..Default::default()
            };
            match rc.apply(&admin, req) {
                Ok(_) => {}
                Err(s) if s.code == 404 => {}
                Err(s) => errs.push(format!("{}/{}: {}", c.resource, c.name, s.message)),
            }
        }
        errs
    }
}

/// Knobs of a remote run.
#[derive(Clone, Debug)]
pub struct RemoteOptions {
    /// Capabilities the target offers (from the profile).
    pub caps: BTreeSet<Capability>,
    /// How long a failing expectation keeps being retried.
    pub step_timeout: Duration,
    /// Delay between retries.
    pub poll: Duration,
    /// Value of the run label.
    pub run_id: String,
}

/// The runner's target over HTTPS.
pub struct RemoteTarget {
    rc: RemoteCluster,
    clock: bool,
    now: Time,
    rngs: Rngs,
    opts: RemoteOptions,
    cleanup: Cleanup,
    trace: Vec<String>,
}

fn wall_now() -> Time {
    Time(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0),
    )
}

impl RemoteTarget {
    /// Wrap a connection; `seed` seeds the local key stream.
    pub fn new(
        mut rc: RemoteCluster,
        seed: u64,
        opts: RemoteOptions,
        cleanup: Cleanup,
    ) -> RemoteTarget {
        let clock = rc.has_clock();
        let now = if clock {
            rc.now().unwrap_or_else(|_| wall_now())
        } else {
            wall_now()
        };
        RemoteTarget {
            rc,
            clock,
            now,
            rngs: Rngs::new(seed),
            opts,
            cleanup,
            trace: Vec::new(),
        }
    }

    /// Does the target offer time warp (`/sim/v1/clock`)?
    pub fn has_clock(&self) -> bool {
        self.clock
    }

    /// Give the connection back (for cleanup).
    pub fn into_inner(self) -> RemoteCluster {
        self.rc
    }

    fn refresh_now(&mut self) {
        self.now = if self.clock {
            self.rc.now().unwrap_or(self.now)
        } else {
            wall_now()
        };
    }
}

/// Put the run label on a create body.
fn label(body: &mut Value, run_id: &str) {
    if !body.is_object() {
        return;
    }
    let meta = body
        .as_object_mut()
        .map(|o| o.entry("metadata").or_insert_with(|| json!({})));
    if let Some(Value::Object(m)) = meta {
        let labels = m.entry("labels").or_insert_with(|| json!({}));
        if let Value::Object(l) = labels {
            l.insert(RUN_LABEL.into(), Value::String(run_id.into()));
        }
    }
}

/// Take the run label out of an object the server answered, and `labels` with it when it held
/// nothing else (the API omits an empty map): the scenario sees its objects as it made them.
fn hide_label(obj: &mut Value) {
    let Some(Value::Object(m)) = obj.get_mut("metadata") else {
        return;
    };
    if let Some(Value::Object(l)) = m.get_mut("labels") {
        l.remove(RUN_LABEL);
        if l.is_empty() {
            m.remove("labels");
        }
    }
}

/// [`hide_label`] on an answer: one object, or each item of a list.
fn hide_labels(v: &mut Value) {
    hide_label(v);
    if let Some(Value::Array(items)) = v.get_mut("items") {
        items.iter_mut().for_each(hide_label);
    }
}

impl Target for RemoteTarget {
    fn apply(&mut self, who: &Identity, mut req: ApiRequest) -> Result<ApiResponse, Status> {
        let create = req.verb == Some(Verb::Create) && !req.dry_run;
        // A full update of the main resource sends back what the scenario read, without the
        // run label (see `hide_label`): put it back, so the update is what the scenario meant
        // (an unchanged object stays a no-op) and the object stays findable by the label.
        let relabel = create || (req.verb == Some(Verb::Update) && req.subresource.is_empty());
        if relabel {
            if let Some(b) = req.body.as_mut() {
                label(b, &self.opts.run_id);
            }
        }
        let (group, version, resource, namespace) = (
            req.group.clone(),
            if req.version.is_empty() {
                "v1".to_string()
            } else {
                req.version.clone()
            },
            req.resource.clone(),
            req.namespace.clone(),
        );
        let mut out = self.rc.apply(who, req);
        match &mut out {
            Ok(ApiResponse::Created(v) | ApiResponse::Ok(v)) => hide_labels(v),
            Ok(ApiResponse::Watch(w)) => {
                w.initial.iter_mut().for_each(|e| hide_label(&mut e.object))
            }
            _ => {}
        }
        if create {
            if let Ok(ApiResponse::Created(v) | ApiResponse::Ok(v)) = &out {
                if let Some(name) = v["metadata"]["name"].as_str() {
                    self.cleanup.push(Created {
                        group,
                        version,
                        resource,
                        namespace,
                        name: name.to_string(),
                    });
                }
            }
        }
        if self.clock {
            // A `csrsim serve --clock real` moves on its own; virtual time only on POST.
            self.refresh_now();
        }
        out
    }

    fn watch_poll(&mut self, cursor: &mut WatchCursor) -> Result<Vec<WatchEvent>, Status> {
        let mut evs = self.rc.watch_poll_for(cursor, Duration::from_secs(1))?;
        evs.iter_mut().for_each(|e| hide_label(&mut e.object));
        Ok(evs)
    }

    fn now(&self) -> Time {
        if self.clock {
            self.now
        } else {
            wall_now()
        }
    }

    fn advance(&mut self, d: Duration) {
        // Scenarios that advance are skipped on targets without a clock (see `skip_reason`).
        if self.clock {
            if let Ok(t) = self.rc.advance(d) {
                self.now = t;
            }
        }
    }

    fn set_paused(&mut self, _controller: &str, _paused: bool) -> bool {
        false
    }

    fn controllers(&self) -> Vec<String> {
        Vec::new()
    }

    fn key_bytes(&mut self) -> [u8; 32] {
        let mut b = [0u8; 32];
        self.rngs.fill(KEY_STREAM, &mut b);
        b
    }

    fn has(&self, cap: Capability) -> bool {
        self.opts.caps.contains(&cap)
    }

    fn trace(&mut self, event: &str, fields: Value) {
        self.trace.push(
            json!({"t": self.now().to_rfc3339(), "event": event, "fields": fields}).to_string(),
        );
    }

    fn trace_jsonl(&self) -> String {
        let mut s = self.trace.join("\n");
        if !s.is_empty() {
            s.push('\n');
        }
        s
    }

    fn expect_retries(&self) -> u32 {
        if self.opts.poll.is_zero() {
            return 0;
        }
        (self.opts.step_timeout.as_millis() / self.opts.poll.as_millis().max(1)) as u32
    }

    fn expect_timeout(&self) -> Option<Duration> {
        Some(self.opts.step_timeout)
    }

    fn settle(&mut self, d: Option<Duration>) {
        // `wait: D` (d = Some) gives the target's controllers time to misbehave before a
        // negative check; a controller allowed `--step-timeout` to act gets at least that long,
        // else a slow wrong signer would pass "no certificate without approval".
        let d = match d {
            Some(d) => d.max(self.opts.step_timeout),
            None => self.opts.poll,
        };
        std::thread::sleep(d);
        self.refresh_now();
    }
}

/// Why a scenario cannot run on a remote target (None: it can), checked before any request.
pub fn skip_reason(l: &Loaded, caps: &BTreeSet<Capability>, clock: bool) -> Option<String> {
    let s = &l.scenario;
    let c = &s.cluster;
    let missing: Vec<&str> = required(s)
        .into_iter()
        .filter(|x| !caps.contains(x))
        .map(|x| x.as_str())
        .collect();
    if !missing.is_empty() {
        return Some(format!(
            "needs {} (not offered by the target in this profile)",
            missing.join(", ")
        ));
    }
    let steps = || s.steps.iter().map(|st| &st.value);
    if steps().any(|st| matches!(st, Step::Pause(_) | Step::Resume(_))) {
        return Some("pauses controllers (only possible in-process)".into());
    }
    if !clock && steps().any(|st| matches!(st, Step::Advance(_) | Step::AdvanceUntil(_))) {
        return Some("needs time warp: the target does not offer /sim/v1/clock".into());
    }
    // A scenario that leaves a controller off relies on its absence once it could act: the
    // signer after an approval, the approver after a CSR is created, the cleaner after time passes.
    let approves = steps().any(|st| {
        matches!(st, Step::Approve(_))
            || matches!(st, Step::Update(u) if u.subresource.as_deref() == Some("approval"))
    });
    // The built-in signers only act on `kubernetes.io/` signer names (the default of
    // `create_csr`); a scenario whose CSRs are all for other signers cannot meet them.
    let built_in_signer_csr = steps().any(|st| match st {
        Step::CreateCsr(c) => c
            .signer
            .as_deref()
            .is_none_or(|n| n.starts_with("kubernetes.io/")),
        Step::Create(c) => matches!(
            c.resource.as_str(),
            "csr" | "certificatesigningrequests" | "certificatesigningrequest"
        ),
        Step::Kubelet(_) => true,
        _ => false,
    });
    let creates = steps().any(
        |st| matches!(st, Step::CreateCsr(c) if c.signer.as_deref() == Some(KUBELET_CLIENT_SIGNER)),
    );
    let advances = steps().any(|st| matches!(st, Step::Advance(_) | Step::AdvanceUntil(_)));
    let off = [
        (
            Capability::Signer,
            c.signer,
            approves && built_in_signer_csr,
            "signer",
        ),
        (Capability::Approver, c.approver, creates, "approver"),
        (Capability::Cleaner, c.cleaner, advances, "cleaner"),
    ];
    for (cap, on, relevant, name) in off {
        if caps.contains(&cap) && !on && relevant {
            return Some(format!(
                "relies on the built-in {name} being off, and the target runs it"
            ));
        }
    }
    if c.start.is_some() {
        return Some("needs a chosen virtual start time (only possible in-process)".into());
    }
    if c.signing_duration
        .is_some_and(|d| d.0.as_secs() != DEFAULT_SIGNING_DURATION_SECS)
    {
        return Some("needs a non-default --cluster-signing-duration".into());
    }
    if c.kubeadm_bindings || c.allow_insecure_kubelet_csrs {
        return Some(
            "needs cluster settings (kubeadm bindings / feature gates) chosen in-process".into(),
        );
    }
    if c.watch_window.is_some() || c.watch_max_age.is_some() {
        return Some("needs a chosen watch history size (only possible in-process)".into());
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    /// Why each scenario would be skipped on a full-profile target with a clock.
    #[test]
    fn a_controller_left_off_matters_only_where_it_could_act() {
        let caps: BTreeSet<Capability> = crate::scenario::conformance::Profile::Full.caps();
        let signer_off = Some("relies on the built-in signer being off, and the target runs it");
        let cases: &[(&str, Option<&str>)] = &[
            // The default signer is kubernetes.io/kube-apiserver-client: it would issue.
            ("- create_csr: {name: c}\n- approve: {name: c}\n", signer_off),
            (
                "- create_csr: {name: c, signer: kubernetes.io/kubelet-serving}\n- approve: {name: c}\n",
                signer_off,
            ),
            // No built-in signer acts on another domain's signer name.
            (
                "- create_csr: {name: c, signer: example.com/nobody}\n- approve: {name: c}\n",
                None,
            ),
            // Nothing approved: the signer has nothing to do.
            ("- create_csr: {name: c}\n", None),
            (
                "- create_csr: {name: c}\n- update: {name: c, subresource: approval, set: {spec.signerName: x}}\n",
                signer_off,
            ),
        ];
        for (steps, want) in cases {
            let l = crate::scenario::loader::parse(
                Path::new("inline.yaml"),
                &format!("name: x\nsteps:\n{steps}"),
            )
            .expect("loads");
            assert_eq!(skip_reason(&l[0], &caps, true).as_deref(), *want, "{steps}");
        }
    }
}
