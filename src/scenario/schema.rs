//! The scenario language: serde types of one YAML scenario document.
//!
//! Every struct denies unknown keys and every enum is externally tagged, so serde-saphyr can
//! point at the exact `line:col` of a typo. Durations are humantime strings (`25h`, `90s`)
//! parsed while loading, so a bad duration is a load error (exit 2), not a run failure.
//! `docs/scenarios.md` documents every key here.

use serde::de::{self, Deserializer};
use serde::Deserialize;
use serde_json::Value;
use serde_saphyr::Spanned;
use std::collections::BTreeMap;
use std::time::Duration;

/// A humantime duration (`25h`, `1h 30m`, `600s`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Dur(pub Duration);

impl<'de> Deserialize<'de> for Dur {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        humantime::parse_duration(s.trim())
            .map(Dur)
            .map_err(|e| de::Error::custom(format!("invalid duration {s:?}: {e}")))
    }
}

/// One scenario (one YAML document).
#[derive(Deserialize, Debug, Clone)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Short title shown in reports.
    pub name: String,
    /// What it teaches (free text).
    #[serde(default)]
    pub description: String,
    /// The upstream rule or source file it mirrors.
    #[serde(default)]
    pub mirrors: String,
    #[serde(default)]
    pub cluster: ClusterSpec,
    /// Capabilities this scenario needs beyond its controllers (`rbac`): skipped when absent.
    #[serde(default)]
    pub requires: Vec<Capability>,
    /// After every step, check the lifecycle invariants (see docs/scenarios.md).
    #[serde(default)]
    pub check_invariants: bool,
    /// Acting steps may fail without failing the scenario (generated sequences).
    #[serde(default)]
    pub tolerate_errors: bool,
    /// Named identities usable in `as:`.
    #[serde(default)]
    pub identities: BTreeMap<String, IdentitySpec>,
    pub steps: Vec<Spanned<Step>>,
}

/// What the simulator build must provide for a scenario to run.
#[derive(Deserialize, Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Capability {
    /// The built-in signers (`csrsigning`).
    Signer,
    /// The kubelet-client auto-approver (`csrapproving`).
    Approver,
    /// The garbage collector (`csrcleaner`).
    Cleaner,
    /// The real RBAC authorizer with the default policy.
    Rbac,
    // conformance: an external signer for `example.com/test` runs on the target (never in-process).
    CustomSigner,
}

impl Capability {
    pub fn as_str(self) -> &'static str {
        match self {
            Capability::Signer => "signer",
            Capability::Approver => "approver",
            Capability::Cleaner => "cleaner",
            Capability::Rbac => "rbac",
            Capability::CustomSigner => "custom_signer", // conformance:
        }
    }
}

/// Cluster settings; each maps onto a field of [`crate::sim::Config`].
/// In scenarios every controller is OFF unless turned on, so a file states what it relies on.
#[derive(Deserialize, Debug, Clone, Default)]
#[serde(deny_unknown_fields)]
pub struct ClusterSpec {
    /// RNG seed (overridden by `csrsim run --seed`). Default 0.
    pub seed: Option<u64>,
    /// Virtual start time, RFC 3339. Default 2030-01-01T00:00:00Z.
    pub start: Option<String>,
    /// `--cluster-signing-duration` (default 8760h).
    pub signing_duration: Option<Dur>,
    #[serde(default)]
    pub approver: bool,
    #[serde(default)]
    pub signer: bool,
    #[serde(default)]
    pub cleaner: bool,
    /// Install kubeadm's bootstrap/rotation ClusterRoleBindings.
    #[serde(default)]
    pub kubeadm_bindings: bool,
    /// Feature gate AllowInsecureKubeletCertificateSigningRequests.
    #[serde(default)]
    pub allow_insecure_kubelet_csrs: bool,
    /// Watch history size (events).
    pub watch_window: Option<usize>,
    /// Watch history age (compaction).
    pub watch_max_age: Option<Dur>,
}

/// A named identity. Exactly one of `user`, `node`, `bootstrap_token` is given.
#[derive(Deserialize, Debug, Clone, Default)]
#[serde(deny_unknown_fields)]
pub struct IdentitySpec {
    /// A user name (gets `system:authenticated` added).
    pub user: Option<String>,
    /// A node name: `system:node:<n>` in `system:nodes`.
    pub node: Option<String>,
    /// A bootstrap token id (6 chars): `system:bootstrap:<id>` in `system:bootstrappers`
    /// plus `extra_groups`, as the bootstrap-token authenticator produces.
    pub bootstrap_token: Option<String>,
    #[serde(default)]
    pub groups: Vec<String>,
    #[serde(default)]
    pub uid: String,
    #[serde(default)]
    pub extra: BTreeMap<String, Vec<String>>,
}

/// One step. Steps that call the API take `as:` (default `admin`) and `error:` (the call must
/// fail exactly so; without it the call must succeed).
#[derive(Deserialize, Debug, Clone)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    /// Create a CSR.
    CreateCsr(CreateCsr),
    /// `kubectl certificate approve` (GET, then PUT /approval with an Approved condition).
    Approve(Decide),
    /// `kubectl certificate deny`.
    Deny(Decide),
    /// An external signer: PUT /status with a certificate.
    Sign(Sign),
    /// A signer reporting failure: PUT /status appending a Failed condition.
    Fail(Fail),
    /// GET an object or a subresource; checks only the outcome (success, or `error:`), not
    /// the object (that is `expect`).
    Get(Get),
    /// PUT an object (main resource or a subresource), edited from the current one.
    Update(Update),
    /// PATCH an object.
    Patch(Patch),
    /// DELETE an object.
    Delete(Delete),
    /// Create any object (RBAC, secrets, namespaces, CSR as raw JSON).
    Create(Create),
    /// Create a bootstrap-token secret in kube-system.
    BootstrapToken(BootstrapToken),
    /// Open a named watch.
    Watch(Watch),
    /// Advance virtual time.
    Advance(Dur),
    /// Advance until a CSR reaches a state, or fail after `within`.
    AdvanceUntil(AdvanceUntil),
    /// Pause a controller (by name: csrsigning, csrapproving, csrcleaner).
    Pause(String),
    /// Resume a paused controller.
    Resume(String),
    /// Name the current virtual instant (for certificate validity expectations).
    Mark(String),
    /// Check the state of an object or of a list.
    Expect(Expect),
    /// Check the events a named watch received, in order.
    ExpectWatch(ExpectWatch),
    /// Start a simulated kubelet (TLS bootstrap, rotation, serving certificates).
    Kubelet(KubeletSpec),
    /// Inject a fault into the kubelet fleet / control plane.
    Fault(FaultSpec),
    /// Check a kubelet's state.
    ExpectKubelet(ExpectKubelet),
    // conformance: let real time pass so asynchronous controllers on a remote target can act
    // (no-op in-process, where controllers react before the call returns).
    Wait(Dur),
}

impl Step {
    /// True for steps that only check (never tolerated by `tolerate_errors`).
    pub fn is_check(&self) -> bool {
        matches!(
            self,
            Step::Expect(_) | Step::ExpectWatch(_) | Step::ExpectKubelet(_)
        )
    }

    /// The YAML key of this step (for reports).
    pub fn kind(&self) -> &'static str {
        match self {
            Step::CreateCsr(_) => "create_csr",
            Step::Approve(_) => "approve",
            Step::Deny(_) => "deny",
            Step::Sign(_) => "sign",
            Step::Fail(_) => "fail",
            Step::Get(_) => "get",
            Step::Update(_) => "update",
            Step::Patch(_) => "patch",
            Step::Delete(_) => "delete",
            Step::Create(_) => "create",
            Step::BootstrapToken(_) => "bootstrap_token",
            Step::Watch(_) => "watch",
            Step::Advance(_) => "advance",
            Step::AdvanceUntil(_) => "advance_until",
            Step::Pause(_) => "pause",
            Step::Resume(_) => "resume",
            Step::Mark(_) => "mark",
            Step::Expect(_) => "expect",
            Step::ExpectWatch(_) => "expect_watch",
            Step::Kubelet(_) => "kubelet",
            Step::Fault(_) => "fault",
            Step::ExpectKubelet(_) => "expect_kubelet",
            Step::Wait(_) => "wait", // conformance:
        }
    }
}

/// The expected failure of an API call.
#[derive(Deserialize, Debug, Clone, Default)]
#[serde(deny_unknown_fields)]
pub struct ErrorExpect {
    /// HTTP code (0 for kubectl's client-side errors).
    pub code: Option<u16>,
    /// Status reason (`Invalid`, `Forbidden`, `Conflict`, `NotFound`, `AlreadyExists`, ...).
    pub reason: Option<String>,
    /// The exact message.
    pub message: Option<String>,
    /// Substrings the message must contain.
    #[serde(default)]
    pub message_contains: Vec<String>,
}

#[derive(Deserialize, Debug, Clone)]
#[serde(deny_unknown_fields)]
pub struct CreateCsr {
    #[serde(rename = "as")]
    pub who: Option<String>,
    /// metadata.name (or use `generate_name`).
    pub name: Option<String>,
    pub generate_name: Option<String>,
    /// metadata.labels and metadata.annotations, as YAML reads them: a value that is a
    /// number or a bool (`a: 1`) is sent as such, and the API refuses it (400), as it does
    /// for `kubectl create -f`.
    #[serde(default)]
    pub labels: BTreeMap<String, Value>,
    #[serde(default)]
    pub annotations: BTreeMap<String, Value>,
    /// spec.signerName (default kubernetes.io/kube-apiserver-client).
    pub signer: Option<String>,
    /// spec.usages (default [client auth]).
    pub usages: Option<Vec<String>>,
    /// spec.expirationSeconds (any integer, to exercise validation).
    pub expiration_seconds: Option<i64>,
    /// spec.request.
    pub request: Option<RequestSource>,
    /// Raw JSON merged into the body last (e.g. a `status` the server drops, `spec.username`).
    pub raw: Option<Value>,
    /// Remember the generated name under this alias (for `generate_name`).
    pub alias: Option<String>,
    #[serde(default)]
    pub dry_run: bool,
    pub error: Option<ErrorExpect>,
}

/// Where `spec.request` comes from.
#[derive(Deserialize, Debug, Clone)]
#[serde(rename_all = "snake_case")]
pub enum RequestSource {
    /// A PEM file, relative to the scenario file.
    File(String),
    /// PEM text inline.
    Pem(String),
    /// A CSR generated from a description.
    Generate(CsrGen),
}

/// A generated PKCS#10 request. Keys come from the seeded `scenario-keys` stream: deterministic.
#[derive(Deserialize, Debug, Clone, Default)]
#[serde(deny_unknown_fields)]
pub struct CsrGen {
    /// Subject CN.
    pub cn: Option<String>,
    /// Subject O values (at most 2: rcgen keeps one value per attribute type).
    #[serde(default)]
    pub o: Vec<String>,
    #[serde(default)]
    pub dns: Vec<String>,
    #[serde(default)]
    pub ips: Vec<String>,
    #[serde(default)]
    pub emails: Vec<String>,
    #[serde(default)]
    pub uris: Vec<String>,
    /// Key type: `ecdsa-p256` (the only one; deterministic RFC 6979 signatures).
    pub key: Option<String>,
    /// Reuse the key of this name across CSRs (default: a fresh key per CSR).
    pub key_name: Option<String>,
}

#[derive(Deserialize, Debug, Clone)]
#[serde(deny_unknown_fields)]
pub struct Decide {
    #[serde(rename = "as")]
    pub who: Option<String>,
    /// The CSR name (or alias).
    pub name: String,
    /// kubectl `--force`: re-send even if already decided.
    #[serde(default)]
    pub force: bool,
    pub error: Option<ErrorExpect>,
}

#[derive(Deserialize, Debug, Clone)]
#[serde(deny_unknown_fields)]
pub struct Sign {
    #[serde(rename = "as")]
    pub who: Option<String>,
    pub name: String,
    pub certificate: CertSource,
    pub error: Option<ErrorExpect>,
}

/// The certificate an external signer puts in `status.certificate`.
#[derive(Deserialize, Debug, Clone)]
#[serde(rename_all = "snake_case")]
pub enum CertSource {
    /// Issue one from the CSR with the scenario's external CA.
    Generate(CertGen),
    /// A PEM file, relative to the scenario file.
    File(String),
    /// Raw text (may be invalid, to exercise validation).
    Pem(String),
}

#[derive(Deserialize, Debug, Clone, Default)]
#[serde(deny_unknown_fields)]
pub struct CertGen {
    /// Validity from now (default: spec.expirationSeconds, else 24h).
    pub ttl: Option<Dur>,
    /// Backdate NotBefore (default 0).
    pub backdate: Option<Dur>,
    /// Issuer CN of the external CA (default `external-signer-ca`).
    pub ca: Option<String>,
}

#[derive(Deserialize, Debug, Clone)]
#[serde(deny_unknown_fields)]
pub struct Fail {
    #[serde(rename = "as")]
    pub who: Option<String>,
    pub name: String,
    #[serde(default = "default_fail_reason")]
    pub reason: String,
    #[serde(default)]
    pub message: String,
    pub error: Option<ErrorExpect>,
}

fn default_fail_reason() -> String {
    "SignerValidationFailure".into()
}

#[derive(Deserialize, Debug, Clone)]
#[serde(deny_unknown_fields)]
pub struct Get {
    #[serde(rename = "as")]
    pub who: Option<String>,
    pub name: String,
    pub resource: Option<String>,
    pub namespace: Option<String>,
    /// `approval` or `status`.
    pub subresource: Option<String>,
    pub error: Option<ErrorExpect>,
}

#[derive(Deserialize, Debug, Clone)]
#[serde(deny_unknown_fields)]
pub struct Update {
    #[serde(rename = "as")]
    pub who: Option<String>,
    pub name: String,
    pub resource: Option<String>,
    pub namespace: Option<String>,
    pub subresource: Option<String>,
    /// Dotted paths set on the current object (`metadata.labels.team: a`,
    /// `status.conditions: [...]`); `null` removes the key.
    #[serde(default)]
    pub set: BTreeMap<String, Value>,
    /// Conditions appended to status.conditions.
    #[serde(default)]
    pub append_conditions: Vec<Value>,
    /// Send this resourceVersion instead of the current one (`""` sends none).
    pub resource_version: Option<String>,
    #[serde(default)]
    pub dry_run: bool,
    pub error: Option<ErrorExpect>,
}

#[derive(Deserialize, Debug, Clone, Copy)]
#[serde(rename_all = "snake_case")]
pub enum PatchKind {
    Merge,
    Json,
    Strategic,
    Apply,
}

#[derive(Deserialize, Debug, Clone)]
#[serde(deny_unknown_fields)]
pub struct Patch {
    #[serde(rename = "as")]
    pub who: Option<String>,
    pub name: String,
    pub resource: Option<String>,
    pub namespace: Option<String>,
    pub subresource: Option<String>,
    #[serde(rename = "type")]
    pub kind: Option<PatchKind>,
    pub patch: Value,
    pub error: Option<ErrorExpect>,
}

#[derive(Deserialize, Debug, Clone)]
#[serde(deny_unknown_fields)]
pub struct Delete {
    #[serde(rename = "as")]
    pub who: Option<String>,
    pub name: String,
    pub resource: Option<String>,
    pub namespace: Option<String>,
    /// Precondition on the UID (`stale` sends a wrong one).
    pub precondition_uid: Option<String>,
    pub error: Option<ErrorExpect>,
}

#[derive(Deserialize, Debug, Clone)]
#[serde(deny_unknown_fields)]
pub struct Create {
    #[serde(rename = "as")]
    pub who: Option<String>,
    /// Plural resource name (short name `csr` accepted).
    pub resource: String,
    pub namespace: Option<String>,
    /// The object, as `kubectl create -f` would send it.
    pub object: Value,
    #[serde(default)]
    pub dry_run: bool,
    pub error: Option<ErrorExpect>,
}

#[derive(Deserialize, Debug, Clone)]
#[serde(deny_unknown_fields)]
pub struct BootstrapToken {
    #[serde(rename = "as")]
    pub who: Option<String>,
    /// `<id>.<secret>` (6 + 16 lowercase alphanumerics).
    pub token: String,
    /// Expiration from now (absent: never).
    pub ttl: Option<Dur>,
    #[serde(default)]
    pub extra_groups: Vec<String>,
    #[serde(default = "yes")]
    pub authentication: bool,
    #[serde(default = "yes")]
    pub signing: bool,
    pub error: Option<ErrorExpect>,
}

fn yes() -> bool {
    true
}

#[derive(Deserialize, Debug, Clone)]
#[serde(deny_unknown_fields)]
pub struct Watch {
    #[serde(rename = "as")]
    pub who: Option<String>,
    /// The watch's name, for `expect_watch`.
    pub name: String,
    pub resource: Option<String>,
    pub namespace: Option<String>,
    #[serde(default)]
    pub field_selector: String,
    #[serde(default)]
    pub label_selector: String,
    /// Start after this resourceVersion (`""`/`0`: synthetic ADDED for what exists; `latest`:
    /// from the current list's resourceVersion, only changes from now on).
    #[serde(default)]
    pub resource_version: String,
    pub error: Option<ErrorExpect>,
}

#[derive(Deserialize, Debug, Clone)]
#[serde(deny_unknown_fields)]
pub struct AdvanceUntil {
    pub csr: String,
    /// A kubectl CONDITION value (`Approved,Issued`), a condition type present
    /// (`Approved`, `Denied`, `Failed`), `Issued`, or `absent`.
    pub state: String,
    /// Give up (failure) after this long.
    pub within: Dur,
    /// Polling step (default 1s).
    pub step: Option<Dur>,
    /// Name the instant the state was reached.
    pub mark: Option<String>,
}

/// A condition expectation: only the given fields are compared.
#[derive(Deserialize, Debug, Clone, Default, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct CondExpect {
    #[serde(rename = "type")]
    pub type_: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// `lastUpdateTime` as an instant expression (`t0`, `t0 + 1h`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_update_time: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_transition_time: Option<String>,
}

#[derive(Deserialize, Debug, Clone, Default)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    /// A CSR by name (or alias).
    pub csr: Option<String>,
    /// Or any object: resource + name (+ namespace).
    pub resource: Option<String>,
    pub name: Option<String>,
    pub namespace: Option<String>,
    /// The object must not exist.
    #[serde(default)]
    pub absent: bool,
    /// kubectl's CONDITION column (`Pending`, `Approved,Issued`, `Denied`, ...).
    pub condition: Option<String>,
    /// The conditions, in order, exactly this many (only given fields compared).
    pub conditions: Option<Vec<CondExpect>>,
    /// Dotted paths and their expected JSON values (`spec.username: alice`).
    #[serde(default)]
    pub fields: BTreeMap<String, Value>,
    /// Dotted paths that must be absent (or null/empty).
    #[serde(default)]
    pub fields_absent: Vec<String>,
    /// The issued certificate.
    pub certificate: Option<CertExpect>,
    /// Number of objects of `resource` (default CSRs) matching the selectors.
    pub count: Option<usize>,
    #[serde(default)]
    pub label_selector: String,
    #[serde(default)]
    pub field_selector: String,
}

/// Expectations on the first certificate of `status.certificate`.
#[derive(Deserialize, Debug, Clone, Default)]
#[serde(deny_unknown_fields)]
pub struct CertExpect {
    /// `false`: no certificate at all.
    pub present: Option<bool>,
    pub cn: Option<String>,
    pub o: Option<Vec<String>>,
    pub dns: Option<Vec<String>>,
    pub ips: Option<Vec<String>>,
    pub emails: Option<Vec<String>>,
    pub uris: Option<Vec<String>>,
    /// Key usage names as in spec.usages (`digital signature`, `key encipherment`, ...), any order.
    pub key_usage: Option<Vec<String>>,
    /// Extended key usage names (`client auth`, `server auth`, ...), in certificate order.
    pub ext_key_usage: Option<Vec<String>>,
    pub is_ca: Option<bool>,
    pub issuer_cn: Option<String>,
    /// Instant expressions: `t0 - 5m`, `start + 24h`, `now`.
    pub not_before: Option<String>,
    pub not_after: Option<String>,
    /// NotAfter − NotBefore.
    pub validity: Option<Dur>,
    // conformance: NotAfter − NotBefore at most this (external signers may issue shorter).
    pub validity_at_most: Option<Dur>,
    // conformance: `true`: the certificate's public key is the one in `spec.request` (an
    // external signer must certify the requester's key).
    pub key_matches_request: Option<bool>,
    /// Number of PEM blocks.
    pub blocks: Option<usize>,
}

#[derive(Deserialize, Debug, Clone)]
#[serde(deny_unknown_fields)]
pub struct ExpectWatch {
    pub watch: String,
    /// Events as `TYPE name [CONDITION]` (e.g. `MODIFIED myuser Approved,Issued`).
    #[serde(default)]
    pub events: Vec<String>,
    /// `true` (default): exactly these events since the watch opened; `false`: these appear
    /// in this order among them.
    pub exact: Option<bool>,
    /// The watch must have ended with this error (e.g. 410 Expired).
    pub error: Option<ErrorExpect>,
}

/// A simulated kubelet.
#[derive(Deserialize, Debug, Clone)]
#[serde(deny_unknown_fields)]
pub struct KubeletSpec {
    /// Node name (the kubelet asks for `CN=system:node:<node>`).
    pub node: String,
    /// `<id>.<secret>` of the bootstrap kubeconfig.
    pub token: Option<String>,
    /// `serverTLSBootstrap: true` with these addresses (`InternalIP: 10.0.0.1`, ...).
    #[serde(default)]
    pub serving: Vec<BTreeMap<String, String>>,
    /// Node clock ahead of the cluster clock.
    pub clock_ahead: Option<Dur>,
}

/// Which certificate of a node a fault addresses.
#[derive(Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum CertKindSpec {
    Client,
    Serving,
}

#[derive(Deserialize, Debug, Clone)]
#[serde(deny_unknown_fields)]
pub struct NodeFor {
    pub node: String,
    #[serde(rename = "for")]
    pub for_: Option<Dur>,
}

#[derive(Deserialize, Debug, Clone)]
#[serde(deny_unknown_fields)]
pub struct NodeKind {
    pub node: String,
    #[serde(default = "client_kind")]
    pub kind: CertKindSpec,
}

fn client_kind() -> CertKindSpec {
    CertKindSpec::Client
}

#[derive(Deserialize, Debug, Clone)]
#[serde(deny_unknown_fields)]
pub struct ForOnly {
    #[serde(rename = "for")]
    pub for_: Dur,
}

#[derive(Deserialize, Debug, Clone)]
#[serde(deny_unknown_fields)]
pub struct NodeSkew {
    pub node: String,
    /// Node clock ahead of the cluster clock by this much.
    pub ahead: Dur,
}

/// Faults (see `crate::kubelet::Fault`).
#[derive(Deserialize, Debug, Clone)]
#[serde(rename_all = "snake_case")]
pub enum FaultSpec {
    PowerOff(NodeFor),
    PowerOn(NodeOnly),
    ApiUnavailable(ForOnly),
    ClockSkew(NodeSkew),
    DenyCsr(NodeKind),
    DeleteCsr(NodeKind),
}

#[derive(Deserialize, Debug, Clone)]
#[serde(deny_unknown_fields)]
pub struct NodeOnly {
    pub node: String,
}

/// Expectations on a kubelet.
#[derive(Deserialize, Debug, Clone)]
#[serde(deny_unknown_fields)]
pub struct ExpectKubelet {
    pub node: String,
    /// `Off`, `Bootstrapping`, `Restarting`, `Ready`, `Rotating`, `Stuck`.
    pub phase: Option<String>,
    pub bootstraps: Option<u32>,
    /// At least this many client rotations.
    pub min_rotations: Option<u32>,
    pub rotations: Option<u32>,
    pub serving_rotations: Option<u32>,
    /// CN of the current client certificate (`none` for none).
    pub client_cn: Option<String>,
    /// The node holds a serving certificate.
    pub has_serving_cert: Option<bool>,
    /// The node is waiting for a CSR.
    pub waiting: Option<bool>,
    pub stuck_reason_contains: Option<String>,
}
