//! [`Cluster`]: the deterministic core and the single entry point of every driver.
//!
//! A request goes through the same stages as in kube-apiserver:
//! authorization (RBAC) → decode → registry strategy → validation (422) → admission (403) →
//! store (409 on conflicts). After every write, the controllers react at the same virtual
//! instant until nothing is left to do ("settle"); timers (requeues, the cleaner's hourly pass,
//! kubelet deadlines) fire in (time, sequence) order when time is advanced.
//!
//! Invariant: nothing here reads the wall clock or OS randomness; the same configuration and
//! the same sequence of calls give byte-identical objects, events and trace.

use crate::admission;
use crate::api::csr::CertificateSigningRequest;
use crate::api::managed_fields::ManagedFields;
use crate::api::meta::ListMeta;
use crate::api::resources::{self, ResourceInfo};
use crate::api::{EventType, GroupResource, Status, Time, WatchEvent};
use crate::auth::rbac::Rbac;
use crate::auth::{Attributes, Decision, Identity};
use crate::controller::{Controller, SyncResult};
use crate::registry::continue_token::{decode_continue, encode_continue, expired_continue};
use crate::registry::namespace::{
    count, default_namespace_label, default_namespace_phase, namespace_deletion_conditions,
    terminating_namespace, validate_namespace_finalizers, validate_namespace_phase,
};
use crate::registry::secret::{
    decode_secret, normalize_secret, secret_base64_check, validate_secret,
};
use crate::registry::selectors::{FieldSelector, LabelSelector};
use crate::registry::{csr as csr_strategy, deletion, managed_fields, patch};
use crate::sim::clock::DEFAULT_START;
use crate::sim::request::{ApiRequest, ApiResponse, Verb, WatchCursor, WatchStream};
use crate::sim::rng::Rngs;
use crate::sim::trace::Trace;
use crate::sim::watch_filter::WatchFilter;
use crate::store::{self, Backend, MemoryBackend, Store};
use crate::validation::csr::{self as csr_validation, UpdatePath};
use crate::validation::{names, FieldError};
use serde_json::{json, Value};

mod controllers;
mod namespaces;
mod reviews;
use std::cmp::Reverse;
use std::collections::{BTreeSet, BinaryHeap, VecDeque};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// Default `--cluster-signing-duration`: 365 × 24 h.
pub const DEFAULT_SIGNING_DURATION_SECS: i64 = 365 * 24 * 3600;
/// Watch history: at most this many events (issue contract: the last 1,000 events).
pub const DEFAULT_WATCH_WINDOW: usize = 1000;
/// Watch history: events older than this (virtual) are compacted, as etcd every 5 minutes.
pub const DEFAULT_WATCH_MAX_AGE_MS: i64 = 5 * 60 * 1000;
/// etcd's default `--max-request-bytes` (1.5 MiB): the largest key + object a put may carry.
pub const MAX_STORED_OBJECT_BYTES: usize = 1_572_864;
/// Safety valve: controller syncs at one instant before we declare a livelock.
const SETTLE_LIMIT: usize = 1_000_000;
/// Alphabet of generated name suffixes (`k8s.io/apimachinery/pkg/util/rand`).
const NAME_ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
/// generateName prefixes are truncated to this length before the 5-char suffix.
const MAX_GENERATE_NAME_PREFIX: usize = 58;

/// How a cluster is set up. `Config::default()` is a kubeadm-like cluster with every
/// controller on, starting at 2030-01-01T00:00:00Z, seed 0, in memory.
#[derive(Clone, Debug)]
pub struct Config {
    pub seed: u64,
    pub start: Time,
    /// `--cluster-signing-duration` in seconds (max certificate TTL).
    pub signing_duration_secs: i64,
    /// Persist under this directory (the store's log, `store::open_persistent`; None: memory only).
    pub data_dir: Option<PathBuf>,
    pub approver: bool,
    pub signer: bool,
    pub cleaner: bool,
    /// Install kubeadm's bootstrap-token and rotation ClusterRoleBindings.
    pub kubeadm_bindings: bool,
    /// Record the JSONL trace in memory.
    pub trace: bool,
    pub watch_window: usize,
    pub watch_max_age_ms: i64,
    /// Feature gate `AllowInsecureKubeletCertificateSigningRequests` (default false since 1.31):
    /// when true, NodeRestriction does not check node CSRs.
    pub allow_insecure_kubelet_csrs: bool,
    /// Which auto-approver behaviour (recognizer loop with fallback, or no fallback).
    pub approver_variant: crate::controller::approver::ApproverVariant,
    /// The cleaner's interval and TTLs.
    pub cleaner_config: crate::controller::cleaner::CleanerConfig,
    /// CA lifetime and layout (one cluster CA, or one per signer). // wiring: pki
    pub pki: crate::pki::PkiConfig, // wiring: pki
    /// `--authorization-mode`: the authorizer chain after `system:masters`.
    pub authorization_modes: Vec<crate::auth::rbac::AuthorizationMode>,
    /// When the namespace controller first empties and finalizes a namespace marked for
    /// deletion (scenarios: at once, in the settle step of the deleting request).
    pub namespace_finalize: NamespaceFinalize,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            seed: 0,
            start: DEFAULT_START,
            signing_duration_secs: DEFAULT_SIGNING_DURATION_SECS,
            data_dir: None,
            approver: true,
            signer: true,
            cleaner: true,
            kubeadm_bindings: false,
            trace: false,
            watch_window: DEFAULT_WATCH_WINDOW,
            watch_max_age_ms: DEFAULT_WATCH_MAX_AGE_MS,
            allow_insecure_kubelet_csrs: false,
            approver_variant: Default::default(),
            cleaner_config: Default::default(),
            pki: Default::default(), // wiring: pki
            authorization_modes: crate::auth::rbac::DEFAULT_AUTHORIZATION_MODES.to_vec(),
            namespace_finalize: NamespaceFinalize::AtOnce,
        }
    }
}

/// When a namespace marked for deletion is first emptied and finalized. kube-controller-manager
/// takes a moment, and kubectl relies on it: `delete -f` of a namespace and then an object in
/// it deletes the object, and kubectl 1.20's `wait --for=delete` after `delete --wait=false`
/// fails on a namespace already gone. `csrsim serve` therefore waits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NamespaceFinalize {
    /// In the settle step of the request that marked it.
    AtOnce,
    /// Once the virtual clock has moved this many ms (`csrsim serve --clock real`).
    AfterMs(i64),
    /// In the settle step of the next API request (`csrsim serve --clock virtual`, whose clock
    /// may never move).
    NextRequest,
}

struct Slot {
    name: &'static str,
    ctl: Option<Box<dyn Controller>>,
    queue: VecDeque<String>,
    queued: BTreeSet<String>,
    watches: bool,
    paused: bool,
}

#[derive(PartialEq, Eq, PartialOrd, Ord, Debug)]
struct Timer {
    at_ms: i64,
    seq: u64,
    slot: usize,
    tag: String,
}

/// The garbage collector's identity (kube-controller-manager with
/// `--use-service-account-credentials`).
/// NamespaceLifecycle's immortal namespaces.
const IMMORTAL_NAMESPACES: [&str; 3] = ["default", "kube-system", "kube-public"];
const GC_USER: &str = "system:serviceaccount:kube-system:generic-garbage-collector";

fn info_csr() -> &'static ResourceInfo {
    resources::find("certificates.k8s.io", "certificatesigningrequests").expect("served")
}

/// Prefix of timer tags that mean "put this CSR back on the controller's queue".
const REQUEUE_TAG: &str = "\u{0}requeue:";

pub struct Cluster {
    config: Config,
    clock_ms: i64,
    rngs: Rngs,
    trace: Trace,
    store: Store,
    rbac: Rbac,
    tokens: crate::auth::tokens::TokenAuth,
    /// Prometheus-style counters: (metric, signer label) → count.
    metrics: std::collections::BTreeMap<(&'static str, String), u64>,
    slots: Vec<Slot>,
    timers: BinaryHeap<Reverse<Timer>>,
    timer_seq: u64,
    /// `Warning` texts of the requests applied since the last [`Cluster::take_warnings`]
    /// (unknown fields of a patched CSR under `fieldValidation=Warn`).
    warnings: Vec<String>,
    settling: bool,
    /// The cluster's CAs. // wiring: pki
    pki: crate::pki::Pki, // wiring: pki
    /// Controllers registered but not started yet (`Cluster::new_deferred`), in order.
    deferred: VecDeque<DeferredStart>,
    /// `add_controller` defers (until every deferred start has run).
    defer_controllers: bool,
    /// The resourceVersion the watch cache starts at ([`Cluster::start_watch_cache`]; 0: the
    /// whole event window): a watch from an older one is 410 Expired.
    watch_cache_rv: u64,
    /// Typed CSRs next to the stored bytes they were read from or written as (see [`CsrCache`]).
    csr_cache: std::cell::RefCell<CsrCache>,
    /// Objects the garbage collector has to finalize (written being deleted with its
    /// `orphan`/`foregroundDeletion` finalizer), in write order: kind, namespace, name.
    gc_queue: VecDeque<(&'static ResourceInfo, String, String)>,
    /// Namespaces the namespace controller is to look at (being deleted, or content in them
    /// gone).
    ns_queue: VecDeque<String>,
    /// Namespaces to queue once the clock reaches the first number or the request count the
    /// second (see [`NamespaceFinalize`]), in the order they were marked.
    ns_timers: VecDeque<(i64, u64, String)>,
    /// API requests so far ([`Cluster::apply`] calls).
    requests: u64,
}

/// The typed form of recently written or read CSRs, by name, each next to the stored bytes it
/// stands for. An entry is valid only while the store still holds exactly those bytes (the
/// same `Arc`): a write stores a new allocation, and holding the `Arc` here keeps its address
/// from being reused, so a stale entry can never be mistaken for the current object. Saves the
/// JSON parse of an object the cluster itself just serialized: after each write the
/// approver, the signer and the cleaner read it, and an update reads the old object.
#[derive(Default)]
struct CsrCache {
    map: std::collections::BTreeMap<String, CsrCacheEntry>,
}

struct CsrCacheEntry {
    bytes: store::Bytes,
    csr: Arc<CertificateSigningRequest>,
    /// The bytes are this typed object's serialization (written by this process), so its
    /// JSON value is exactly theirs; an entry parsed from stored bytes may have dropped
    /// fields the type does not know.
    serialized: bool,
}

/// The body of an update: JSON (HTTP, scenarios, patches) or a typed CSR (controllers).
enum UpdateBody {
    Value(Value),
    Csr(Box<CertificateSigningRequest>),
}

/// Most CSRs [`CsrCache`] holds: every live CSR of a 10,000-node fleet joining at once; a
/// server with more stored CSRs parses the rest on demand as before.
const CSR_CACHE_CAP: usize = 16_384;
/// A read that parses a CSR remembers it only while the cache holds fewer than this: the
/// controllers' first pass over 100,000 CSRs loaded from disk would otherwise fill it
/// (+26 MiB resident); objects this process writes are always remembered.
const CSR_CACHE_READ_CAP: usize = 2_048;

impl CsrCache {
    fn entry(&self, name: &str, bytes: &store::Bytes) -> Option<&CsrCacheEntry> {
        self.map.get(name).filter(|e| Arc::ptr_eq(&e.bytes, bytes))
    }
    fn get(&self, name: &str, bytes: &store::Bytes) -> Option<Arc<CertificateSigningRequest>> {
        self.entry(name, bytes).map(|e| e.csr.clone())
    }
    fn insert(
        &mut self,
        name: &str,
        bytes: store::Bytes,
        csr: Arc<CertificateSigningRequest>,
        serialized: bool,
    ) {
        if self.map.len() >= CSR_CACHE_CAP && !self.map.contains_key(name) {
            self.map.pop_first();
        }
        let entry = CsrCacheEntry {
            bytes,
            csr,
            serialized,
        };
        self.map.insert(name.to_string(), entry);
    }
}

/// A controller whose start (informer initial list + `Controller::start`) waits for
/// [`Cluster::start_controllers_step`].
struct DeferredStart {
    slot: usize,
    /// Not yet moved into its slot (it runs from the first step on).
    ctl: Option<Box<dyn Controller>>,
    /// The initial list so far: the last CSR key queued (None: from the start).
    after: Option<String>,
    listed: bool,
}

fn gr(info: &ResourceInfo) -> GroupResource {
    info.group_resource()
}

/// Decode a request body into a typed object (`null` is a zero value, as in Go); errors are
/// 400 BadRequest as the decoder gives.
fn decode<T: serde::de::DeserializeOwned>(v: &Value) -> Result<T, Status> {
    crate::api::gojson::from_value(v)
        .map_err(|e| Status::bad_request(format!("error decoding request body: {e}")))
}

thread_local! {
    /// Reused serialization buffer: a stored object is written into it and copied out at its
    /// exact size, instead of growing a fresh `Vec` by doubling (≈ 10 reallocations for a
    /// 3 KB CSR) and keeping its slack in the store.
    static JSON_SCRATCH: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// An object as the store writes it: the bytes `serde_json::to_writer` writes.
trait StoredJson {
    fn write_stored(&self, out: &mut Vec<u8>) -> serde_json::Result<()>;
}

impl StoredJson for Value {
    fn write_stored(&self, out: &mut Vec<u8>) -> serde_json::Result<()> {
        serde_json::to_writer(out, self)
    }
}

impl StoredJson for CertificateSigningRequest {
    /// The same bytes, by the CSR's own writer (see [`CertificateSigningRequest::write_json`]).
    fn write_stored(&self, out: &mut Vec<u8>) -> serde_json::Result<()> {
        self.write_json(out)
    }
}

/// `serde_json::to_vec`, with an exactly sized result.
fn to_json_exact<T: StoredJson + serde::Serialize>(obj: &T) -> Result<Vec<u8>, Status> {
    JSON_SCRATCH.with(|b| {
        let Ok(mut buf) = b.try_borrow_mut() else {
            // re-entered (cannot happen today): allocate
            return serde_json::to_vec(obj).map_err(|e| Status::internal(e.to_string()));
        };
        buf.clear();
        obj.write_stored(&mut buf)
            .map_err(|e| Status::internal(e.to_string()))?;
        let out = buf.to_vec();
        if buf.capacity() > 1 << 20 {
            // one huge object must not pin its buffer for the thread's life
            *buf = Vec::new();
        }
        Ok(out)
    })
}

/// What a create answers with (see [`ApiRequest::discard_object`] and
/// [`ApiRequest::identity_only`]).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Render {
    Object,
    /// The stored bytes ([`ApiResponse::CreatedJson`]) where the object is stored as it is
    /// answered; elsewhere the object.
    Stored,
    Identity,
    Nothing,
}

impl Render {
    fn answer(self, object: impl FnOnce() -> Value, name: &str, uid: &str) -> Value {
        match self {
            Render::Object | Render::Stored => object(),
            Render::Identity => json!({"metadata": {"name": name, "uid": uid}}),
            Render::Nothing => Value::Null,
        }
    }
}

/// `stored` (an object's JSON as this process serialized it) with its `metadata.resourceVersion`
/// `old_rv` replaced by `new_rv`; `None` if the field is not found where expected. The first
/// `"resourceVersion":"` in the bytes is metadata's: `kind`, `apiVersion` and the metadata
/// fields before it are strings (a `"` inside a string is escaped, so the pattern cannot occur
/// there), and every map that could hold such a key (labels, annotations, managedFields) comes
/// after it.
fn with_resource_version(stored: &[u8], old_rv: &str, new_rv: u64) -> Option<Vec<u8>> {
    const FIELD: &[u8] = b"\"resourceVersion\":\"";
    let at = stored.windows(FIELD.len()).position(|w| w == FIELD)? + FIELD.len();
    let end = at + old_rv.len();
    if old_rv.is_empty() || stored.get(at..end)? != old_rv.as_bytes() || stored.get(end)? != &b'"' {
        return None;
    }
    let new_rv = new_rv.to_string();
    let mut out = Vec::with_capacity(stored.len() + new_rv.len());
    out.extend_from_slice(&stored[..at]);
    out.extend_from_slice(new_rv.as_bytes());
    out.extend_from_slice(&stored[end..]);
    Some(out)
}

fn to_value<T: serde::Serialize>(t: &T) -> Value {
    serde_json::to_value(t).expect("wire types always serialize")
}

/// Check `apiVersion`/`kind` of a body against the resource (empty is accepted).
fn check_type_meta(info: &ResourceInfo, body: &Value) -> Result<(), Status> {
    let av = body
        .get("apiVersion")
        .and_then(|v| v.as_str())
        .unwrap_or("");
    let kind = body.get("kind").and_then(|v| v.as_str()).unwrap_or("");
    check_type_meta_of(info, av, kind)
}

/// [`check_type_meta`] on the two values, wherever they come from (JSON or a typed body).
fn check_type_meta_of(info: &ResourceInfo, av: &str, kind: &str) -> Result<(), Status> {
    let want_av = info.api_version();
    if !av.is_empty() && av != want_av {
        return Err(Status::bad_request(format!(
            "the API version in the data ({av}) does not match the expected API version ({want_av})"
        )));
    }
    if !kind.is_empty() && kind != info.kind {
        return Err(Status::bad_request(format!(
            "the kind in the data ({kind}) does not match the expected kind ({})",
            info.kind
        )));
    }
    Ok(())
}

/// An update body names the object of the URL.
fn check_body_name(body_name: &str, name: &str) -> Result<(), Status> {
    if body_name.is_empty() {
        return Err(Status::bad_request("name is required"));
    }
    if body_name != name {
        return Err(Status::bad_request(format!(
            "the name of the object ({body_name}) does not match the name on the URL ({name})"
        )));
    }
    Ok(())
}

/// An update's resourceVersion, if set, is the stored one: otherwise 409 Conflict. One that is
/// no number fails `Store.Update`'s `Versioner().ObjectResourceVersion(obj)`, whose bare
/// `strconv` error the handler answers as a 500 of unknown reason.
fn check_update_rv(
    info: &ResourceInfo,
    name: &str,
    new_rv: &str,
    old_rv: &str,
) -> Result<(), Status> {
    if !new_rv.is_empty() && new_rv != old_rv {
        if parse_rv(new_rv).is_none() {
            return Err(Status::failure(500, "", parse_uint_error(new_rv)));
        }
        return Err(Status::conflict_modified(&gr(info), name));
    }
    Ok(())
}

/// A delete's preconditions against the stored object's uid and resourceVersion: 409 from
/// `rest.BeforeDelete` (apiserver `registry/rest/delete.go`), which names the *kind* as the
/// resource (`Operation cannot be fulfilled on CertificateSigningRequest.certificates.k8s.io
/// "x": the UID in the precondition (…) does not match the UID in record (…). The object
/// might have been deleted and then recreated`).
fn check_preconditions(
    info: &ResourceInfo,
    name: &str,
    p: Option<&crate::api::meta::Preconditions>,
    uid: &str,
    rv: &str,
) -> Result<(), Status> {
    let Some(p) = p else { return Ok(()) };
    let kind_gr = GroupResource {
        group: info.group.to_string(),
        resource: info.kind.to_string(),
    };
    if let Some(want) = &p.uid {
        if want != uid {
            return Err(Status::conflict(
                &kind_gr,
                name,
                &format!(
                    "the UID in the precondition ({want}) does not match the UID in record ({uid}). The object might have been deleted and then recreated"
                ),
            ));
        }
    }
    if let Some(want) = &p.resource_version {
        if want != rv {
            return Err(Status::conflict(
                &kind_gr,
                name,
                &format!(
                    "the ResourceVersion in the precondition ({want}) does not match the ResourceVersion in record ({rv}). The object might have been modified"
                ),
            ));
        }
    }
    Ok(())
}

/// The namespace registry's own precondition checks (before the store's): 409 on
/// `namespaces` with `Precondition failed: UID in precondition: <uid>, UID in object meta:
/// <uid>` (then the same for the ResourceVersion).
fn namespace_preconditions(
    info: &ResourceInfo,
    name: &str,
    p: Option<&crate::api::meta::Preconditions>,
    uid: &str,
    rv: &str,
) -> Result<(), Status> {
    let Some(p) = p else { return Ok(()) };
    if let Some(want) = p.uid.as_deref().filter(|w| *w != uid) {
        return Err(Status::conflict(
            &gr(info),
            name,
            &format!("Precondition failed: UID in precondition: {want}, UID in object meta: {uid}"),
        ));
    }
    if let Some(want) = p.resource_version.as_deref().filter(|w| *w != rv) {
        return Err(Status::conflict(
            &gr(info),
            name,
            &format!(
                "Precondition failed: ResourceVersion in precondition: {want}, ResourceVersion in object meta: {rv}"
            ),
        ));
    }
    Ok(())
}

fn meta_str<'a>(v: &'a Value, field: &str) -> &'a str {
    v.get("metadata")
        .and_then(|m| m.get(field))
        .and_then(|x| x.as_str())
        .unwrap_or("")
}

/// A CSR body whose `metadata` is no object (`[]`, a string) is the decoder's 400, before
/// anything reads or sets a metadata field (which would replace it with an object).
fn csr_metadata_decodes(info: &ResourceInfo, body: &Value) -> Result<(), Status> {
    match body.get("metadata") {
        Some(m)
            if !m.is_object() && !m.is_null() && info.resource == "certificatesigningrequests" =>
        {
            csr_strategy::decode_body(body).map(|_| ())
        }
        _ => Ok(()),
    }
}

fn set_meta(v: &mut Value, field: &str, val: Value) {
    if !v.get("metadata").is_some_and(|m| m.is_object()) {
        v["metadata"] = json!({});
    }
    if val.is_null() {
        if let Some(m) = v["metadata"].as_object_mut() {
            m.remove(field);
        }
    } else {
        v["metadata"][field] = val;
    }
}

impl Cluster {
    /// Build a cluster: open the store (reloading a persisted one), install the default
    /// RBAC policy, start the controllers the configuration asks for.
    pub fn new(config: Config) -> Result<Cluster, String> {
        Self::build(config, false)
    }

    /// Like [`Cluster::new`], but the controllers only register: their initial pass (an
    /// informer's list of every CSR, then `Controller::start`) runs in bounded steps of
    /// [`Cluster::start_controllers_step`]. `csrsim serve` uses it to answer `/readyz` before
    /// the pass, as kube-apiserver is ready before kube-controller-manager has listed.
    /// The store is in group commit from the start (see [`Cluster::enable_group_commit`]):
    /// everything up to the return is durable; later writes wait for the caller's flusher.
    pub fn new_deferred(config: Config) -> Result<Cluster, String> {
        Self::build(config, true)
    }

    /// Start the watch cache here, as kube-apiserver's cacher starts from the list it makes
    /// at start-up (`watchCache.listResourceVersion`): from now on a watch from an older
    /// resourceVersion is 410 `too old resource version: <rv> (<now>)` (`getAllEventsSinceLocked`),
    /// even while the event window still holds its events; lists at such a revision
    /// (`resourceVersionMatch=Exact`, continue tokens) still read them, as etcd does until it
    /// compacts. `csrsim serve` calls it once its start-up writes are done.
    pub fn start_watch_cache(&mut self) {
        self.watch_cache_rv = self.store.rv();
    }

    fn build(config: Config, defer_controllers: bool) -> Result<Cluster, String> {
        let backend: Box<dyn Backend> = match &config.data_dir {
            Some(dir) => {
                store::create_data_dir(dir)?;
                store::open_persistent(dir)?
            }
            None => Box::new(MemoryBackend),
        };
        let store = Store::open(backend, config.watch_window, config.watch_max_age_ms)?;
        let start_ms = config.start.unix() * 1000;
        let clock_ms = store.persisted_clock_ms().max(start_ms);
        // wiring: pki — CA keys/serials are the first draws of the `keys`/`serials` streams.
        let mut rngs = Rngs::new(config.seed);
        let pki = crate::pki::Pki::new(
            &config.pki,
            config.start,
            config.data_dir.as_deref(),
            &mut rngs,
        )?;
        let mut c = Cluster {
            pki,  // wiring: pki
            rngs, // wiring: pki
            trace: Trace::new(config.trace),
            rbac: {
                let mut r = Rbac::new();
                r.set_modes(&config.authorization_modes);
                r
            },
            tokens: crate::auth::tokens::TokenAuth::new(),
            metrics: Default::default(),
            slots: Vec::new(),
            timers: BinaryHeap::new(),
            timer_seq: 0,
            warnings: Vec::new(),
            settling: false,
            clock_ms,
            store,
            config,
            deferred: VecDeque::new(),
            defer_controllers,
            watch_cache_rv: 0,
            csr_cache: Default::default(),
            gc_queue: VecDeque::new(),
            ns_queue: VecDeque::new(),
            ns_timers: VecDeque::new(),
            requests: 0,
        };
        // Rebuild projections (RBAC, tokens) from what the store holds. Only those keys are
        // parsed: with 100k stored CSRs, parsing every object dominated cold start.
        let keys: Vec<(String, store::Bytes)> = ["core/secrets/", "rbac.authorization.k8s.io/"]
            .iter()
            .flat_map(|p| c.store.range(p, None))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        for (k, v) in keys {
            if let Ok(obj) = serde_json::from_slice::<Value>(&v) {
                c.project(&k, Some(&obj));
            }
        }
        c.trace(
            "start",
            json!({"seed": c.config.seed, "rv": c.store.rv(), "backend": c.store.backend_name()}),
        );
        // wiring: default policy
        // A server (new_deferred) flushes the default objects once, not one by one: the
        // store stays in group commit, the server's flusher covers its later writes.
        let flush = if defer_controllers {
            c.store.defer_flush()
        } else {
            None
        };
        c.ensure_default_policy();
        if let Some(flush) = flush {
            flush()?;
        }
        // wiring: pki
        // wiring: controllers (approver, signer, cleaner)
        // wiring: approver
        if c.config.approver {
            c.add_controller(Box::new(crate::controller::approver::Approver::new(
                c.config.approver_variant,
            )));
        }
        if c.config.signer {
            // wiring: pki
            c.add_controller(Box::new(crate::controller::signer::Signer::new()));
        }
        if c.config.cleaner {
            let cfg = c.config.cleaner_config;
            c.add_controller(Box::new(crate::controller::cleaner::Cleaner::new(cfg)));
        }
        Ok(c)
    }

    // ------------------------------------------------------------------ small accessors

    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The cluster's certificate authorities. // wiring: pki
    pub fn pki(&self) -> &crate::pki::Pki {
        &self.pki
    }
    /// Replace the CAs (the CA-replacement fault; kube-controller-manager reloads CA files
    /// dynamically). // wiring: kubelet
    pub fn pki_mut(&mut self) -> &mut crate::pki::Pki {
        &mut self.pki
    }
    /// Virtual now, whole seconds.
    pub fn now(&self) -> Time {
        Time(self.clock_ms.div_euclid(1000))
    }
    /// Virtual now in milliseconds since the epoch.
    pub fn now_ms(&self) -> i64 {
        self.clock_ms
    }
    pub fn rngs(&mut self) -> &mut Rngs {
        &mut self.rngs
    }
    /// Latest resourceVersion.
    /// Group commit for the server: writes stop flushing one by one; the returned flusher
    /// makes all applied writes durable and must run before a write is acknowledged.
    pub fn enable_group_commit(&mut self) -> Option<store::Flusher> {
        self.store.defer_flush()
    }

    pub fn resource_version(&self) -> u64 {
        self.store.rv()
    }
    pub fn rbac(&self) -> &Rbac {
        &self.rbac
    }
    pub fn trace(&mut self, event: &str, fields: Value) {
        let now = self.now();
        self.trace.record(now, event, fields);
    }
    /// Is the trace recording? Callers skip building trace fields when it is not.
    pub fn tracing(&self) -> bool {
        self.trace.enabled()
    }
    pub fn trace_lines(&self) -> &[String] {
        self.trace.lines()
    }
    pub fn trace_jsonl(&self) -> String {
        self.trace.to_jsonl()
    }
    pub fn set_trace(&mut self, on: bool) {
        self.trace.set_enabled(on);
    }

    /// RBAC decision for these attributes (what a SubjectAccessReview would answer).
    /// The strict decoding errors (`unknown field "spec.foo"`, `duplicate field "…"`) found by
    /// the patches applied since the last call (see `registry::csr::strict_patch_check`); the
    /// server answers them as `Warning` headers.
    pub fn take_warnings(&mut self) -> Vec<String> {
        std::mem::take(&mut self.warnings)
    }

    pub fn authorize(&self, a: &Attributes) -> Decision {
        self.rbac.authorize(a)
    }

    /// Whether [`Self::authorize`] allows `a`, without building the decision's reasons.
    pub fn allows(&self, a: &Attributes) -> bool {
        self.rbac.allows(a)
    }

    // ------------------------------------------------------------------ direct reads

    fn csr_key(name: &str) -> String {
        store::key(
            "certificates.k8s.io",
            "certificatesigningrequests",
            "",
            name,
        )
    }

    /// A CSR by name, without authorization (for controllers and tests).
    pub fn get_csr(&self, name: &str) -> Option<CertificateSigningRequest> {
        self.csr_arc(name).map(|c| (*c).clone())
    }

    /// The stored CSR `name`, typed: from [`CsrCache`] when it holds the current bytes, else
    /// parsed (and remembered). Shared, not copied: controllers that usually only look
    /// (most syncs end in "nothing to do") copy it only to write.
    pub fn csr_arc(&self, name: &str) -> Option<Arc<CertificateSigningRequest>> {
        let b = self.store.get(&Self::csr_key(name))?;
        if let Some(c) = self.csr_cache.borrow().get(name, b) {
            return Some(c);
        }
        let csr: Arc<CertificateSigningRequest> = Arc::new(serde_json::from_slice(b).ok()?);
        let mut cache = self.csr_cache.borrow_mut();
        if cache.map.len() < CSR_CACHE_READ_CAP {
            cache.insert(name, b.clone(), csr.clone(), false);
        }
        Some(csr)
    }

    /// Every CSR, in name order, without authorization.
    pub fn list_csrs(&self) -> Vec<CertificateSigningRequest> {
        self.list_csr_arcs().iter().map(|c| (**c).clone()).collect()
    }

    /// Every CSR, in name order, shared with [`CsrCache`] where it holds them (the others are
    /// parsed and not remembered: a pass over 100,000 stored CSRs must not fill the cache).
    pub fn list_csr_arcs(&self) -> Vec<Arc<CertificateSigningRequest>> {
        let p = store::prefix("certificates.k8s.io", "certificatesigningrequests", None);
        let cache = self.csr_cache.borrow();
        self.store
            .range(&p, None)
            .filter_map(|(k, b)| {
                let name = k.rsplit('/').next().unwrap_or("");
                cache
                    .get(name, b)
                    .or_else(|| serde_json::from_slice(b).ok().map(Arc::new))
            })
            .collect()
    }

    fn csr_names(&self) -> Vec<String> {
        let p = store::prefix("certificates.k8s.io", "certificatesigningrequests", None);
        self.store
            .range(&p, None)
            .map(|(k, _)| k.rsplit('/').next().unwrap_or("").to_string())
            .collect()
    }

    /// The stored object at `key` as JSON (None when absent or not JSON).
    fn stored_value(&self, key: &str) -> Option<Value> {
        self.store
            .get(key)
            .and_then(|b| serde_json::from_slice(b).ok())
    }

    /// Any stored object as JSON, without authorization.
    pub fn get_object(
        &self,
        group: &str,
        resource: &str,
        namespace: &str,
        name: &str,
    ) -> Option<Value> {
        self.stored_value(&store::key(group, resource, namespace, name))
    }

    /// Every stored object of a resource (all namespaces), without authorization.
    pub fn list_objects(&self, group: &str, resource: &str) -> Vec<Value> {
        let p = store::prefix(group, resource, None);
        self.store
            .range(&p, None)
            .filter_map(|(_, b)| serde_json::from_slice(b).ok())
            .collect()
    }

    /// Number of stored objects (all kinds).
    pub fn object_count(&self) -> usize {
        self.store.len()
    }

    // ------------------------------------------------------------------ the API

    /// Handle one request as `who`. Controllers react before this returns.
    pub fn apply(&mut self, who: &Identity, mut req: ApiRequest) -> Result<ApiResponse, Status> {
        // Hostile nesting is refused before anything clones, serializes or drops the body
        // recursively (fuzz/hostile-input hardening; see `api::depth`).
        if let Some(body) = req.body.take() {
            if let Err(s) = crate::api::depth::check_depth(&body) {
                crate::api::depth::drop_flat(body);
                return Err(s);
            }
            req.body = Some(body);
        }
        if !self.settling {
            // a client's request, not a controller's write
            self.requests += 1;
        }
        let r = self.apply_inner(who, req);
        self.settle();
        r
    }

    fn apply_inner(&mut self, who: &Identity, mut req: ApiRequest) -> Result<ApiResponse, Status> {
        let verb = req.verb.ok_or_else(|| Status::bad_request("no verb"))?;
        let not_found = || {
            Status::failure(
                404,
                "NotFound",
                "the server could not find the requested resource",
            )
        };
        let info = *resources::find(&req.group, &req.resource).ok_or_else(not_found)?;
        if !req.version.is_empty() && req.version != info.version {
            return Err(not_found());
        }
        let namespace = if info.namespaced {
            req.namespace.clone()
        } else {
            String::new()
        };
        let attrs = Attributes {
            user: who.clone(),
            verb: verb.as_str().into(),
            resource_request: true,
            api_group: info.group.into(),
            api_version: info.version.into(),
            resource: info.resource.into(),
            subresource: req.subresource.clone(),
            namespace: namespace.clone(),
            // `RequestInfo`: a list or watch of one name (a `metadata.name` field selector)
            // is authorized for that name, as `kubectl get NAME --watch` asks it.
            name: if let Some(name) = &req.watch_name {
                name.clone()
            } else if req.name.is_empty() && matches!(verb, Verb::List | Verb::Watch) {
                crate::registry::selectors::exact_match_name(&req.list.field_selector)
                    .unwrap_or_default()
            } else {
                req.name.clone()
            },
            path: String::new(),
        };
        if !self.allows(&attrs) {
            let decision = self.authorize(&attrs);
            return Err(crate::auth::forbidden_status(&attrs, &decision));
        }
        // What the endpoint serves is known only past the authorization filter (the mux
        // routes after it): an unknown subresource or verb is a 404 or 405 to the authorized.
        let is_csr = info.resource == "certificatesigningrequests";
        match req.subresource.as_str() {
            "" => {}
            "approval" | "status" if is_csr => {
                if !matches!(verb, Verb::Get | Verb::Update | Verb::Patch) {
                    return Err(Status::method_not_allowed(
                        "the server does not allow this method on the requested resource",
                    ));
                }
            }
            // A namespace's `/status` (get, update, patch) and `/finalize` (update only).
            "status" | "finalize" if info.resource == "namespaces" => {
                let allowed = match req.subresource.as_str() {
                    "status" => matches!(verb, Verb::Get | Verb::Update | Verb::Patch),
                    _ => verb == Verb::Update,
                };
                if !allowed {
                    return Err(Status::method_not_allowed(
                        "the server does not allow this method on the requested resource",
                    ));
                }
            }
            _ => return Err(not_found()),
        }
        if !info.verbs.contains(&verb.as_str()) {
            return Err(Status::method_not_allowed(
                "the server does not allow this method on the requested resource",
            ));
        }
        req.validate_options()?;
        if !info.stored {
            let body = req
                .body
                .clone()
                .ok_or_else(|| Status::bad_request("request body required"))?;
            return self
                .review(who, &info, &req.namespace, &body)
                .map(ApiResponse::Created);
        }
        if info.namespaced && req.namespace.is_empty() && !matches!(verb, Verb::List | Verb::Watch)
        {
            return Err(Status::not_found(&gr(&info), &req.name));
        }
        if matches!(verb, Verb::Create | Verb::Update)
            && info.resource == "certificatesigningrequests"
            && req.field_validation == "Strict"
            && !req.from_apply
        {
            if let Some(body) = &req.body {
                csr_strategy::strict_decode_check(body, req.strict_errors.as_deref())?;
            }
        }
        if matches!(verb, Verb::Create | Verb::Update) && info.resource == "secrets" {
            if let Some(body) = &req.body {
                secret_base64_check(body)?;
            }
        }
        match verb {
            Verb::Get => {
                self.fresh_enough(&req.list.resource_version)?;
                if is_csr && req.typed_answer {
                    self.csr_arc(&req.name)
                        .map(ApiResponse::Csr)
                        .ok_or_else(|| Status::not_found(&gr(&info), &req.name))
                } else {
                    self.get(&info, &namespace, &req.name).map(ApiResponse::Ok)
                }
            }
            Verb::List => self.list(&info, &namespace, &req).map(ApiResponse::Ok),
            Verb::Watch => self.watch(&info, &namespace, &req).map(ApiResponse::Watch),
            Verb::Create => {
                let mut fields = None;
                if let Some(b) = req.body.as_mut() {
                    if req.from_apply {
                        let config = b.clone();
                        crate::registry::apply::convert_numbers(&info, &config, b)?;
                    }
                    // Decoding (unknown fields dropped, defaults) comes first, before the
                    // field manager, as in the handler.
                    self.decode_generic_body(&info, &req.field_validation, b, req.from_apply)?;
                    // A create by server-side apply is a patch: deduped after admission.
                    self.dedup_owner_references(b, req.from_apply);
                    crate::validation::meta::replace_undecodable_managed_fields(b, None);
                }
                if req.body.is_none() {
                    req.body = req.csr_body.take().map(|c| to_value(&*c));
                } else if is_csr {
                    fields = self.track_create_fields(&mut req)?;
                    if req.from_apply {
                        self.apply_strict_yaml(&req)?;
                    }
                } else if let Some(schema) = managed_fields::schema(info.resource) {
                    self.track_generic_create(schema, &mut req)?;
                }
                let body = req
                    .body
                    .take()
                    .ok_or_else(|| Status::bad_request("request body required"))?;
                let render = if req.discard_object {
                    Render::Nothing
                } else if req.identity_only {
                    Render::Identity
                } else if req.stored_json {
                    Render::Stored
                } else {
                    Render::Object
                };
                self.create(who, &info, &namespace, body, fields, req.dry_run, render)
            }
            Verb::Update => {
                let body = match (req.body.take(), req.csr_body.take()) {
                    (Some(v), _) => UpdateBody::Value(v),
                    (None, Some(c)) if is_csr => UpdateBody::Csr(c),
                    (None, Some(c)) => UpdateBody::Value(to_value(&*c)),
                    (None, None) => return Err(Status::bad_request("request body required")),
                };
                let mut body = body;
                if let UpdateBody::Value(v) = &mut body {
                    self.decode_generic_body(&info, &req.field_validation, v, false)?;
                    self.dedup_owner_references(v, false);
                    self.update_uid_precondition(&info, &namespace, &req.name, v)?;
                }
                let body = match body {
                    UpdateBody::Value(mut v)
                        if is_csr
                            && !(req.field_manager.is_empty() && req.user_agent.is_empty()) =>
                    {
                        if let Some(live) = self.csr_arc(&req.name) {
                            let live = to_value(&*live);
                            if req.subresource.is_empty() {
                                crate::validation::meta::replace_undecodable_managed_fields(
                                    &mut v,
                                    Some(&live),
                                );
                            }
                            self.track_fields(&managed_fields::CSR, &req, &live, &mut v, None)?;
                        }
                        UpdateBody::Value(v)
                    }
                    UpdateBody::Value(mut v)
                        if !(is_csr
                            || req.field_manager.is_empty() && req.user_agent.is_empty()) =>
                    {
                        let key = store::key(info.group, info.resource, &namespace, &req.name);
                        let live: Option<Value> = self.stored_value(&key);
                        if let (Some(live), Some(schema)) =
                            (live, managed_fields::schema(info.resource))
                        {
                            crate::validation::meta::replace_undecodable_managed_fields(
                                &mut v,
                                Some(&live),
                            );
                            if !sent_managed_fields_invalid(&v) {
                                self.track_fields(schema, &req, &live, &mut v, None)?;
                            }
                        }
                        UpdateBody::Value(v)
                    }
                    UpdateBody::Csr(mut c) if !req.user_agent.is_empty() => {
                        if let Some(live) = self.csr_arc(&req.name) {
                            let manager =
                                managed_fields::manager_name(&req.field_manager, &req.user_agent);
                            c.metadata.managed_fields = managed_fields::update_typed(
                                &live,
                                &c,
                                &manager,
                                &req.subresource,
                                self.now(),
                            );
                        }
                        UpdateBody::Csr(c)
                    }
                    b => b,
                };
                self.update(
                    who,
                    &info,
                    &namespace,
                    &req.name,
                    &req.subresource,
                    body,
                    req.dry_run,
                    !req.discard_object,
                )
                .map(ApiResponse::Ok)
            }
            Verb::Patch => {
                let body = req
                    .body
                    .as_ref()
                    .ok_or_else(|| Status::bad_request("request body required"))?;
                let pt = req.patch_type.ok_or_else(|| {
                    Status::failure(
                        415,
                        "UnsupportedMediaType",
                        "the body of the request was in an unknown format",
                    )
                })?;
                if pt == crate::sim::PatchType::Apply {
                    crate::registry::apply::check_config(&info, body)?;
                }
                let key = store::key(info.group, info.resource, &namespace, &req.name);
                let current: Value = self
                    .stored_value(&key)
                    .ok_or_else(|| Status::not_found(&gr(&info), &req.name))?;
                let schema = managed_fields::schema(info.resource);
                let patched = match schema {
                    // Server-side apply merges by the kind's schema (list types and all).
                    Some(s) if pt == crate::sim::PatchType::Apply => {
                        let mut merged = managed_fields::merge_applied(s, &current, body);
                        crate::registry::apply::convert_numbers(&info, body, &mut merged)?;
                        merged
                    }
                    _ => patch::apply(pt, &current, body, req.field_validation == "Ignore")?,
                };
                if let Err(s) = crate::api::depth::check_depth(&patched) {
                    crate::api::depth::drop_flat(patched);
                    return Err(s);
                }
                if !patched.is_object() {
                    return Err(Status::bad_request("patch did not produce an object"));
                }
                // The patched object decodes into the kind's Go type (server-side apply
                // has its own path): a value of the wrong type is the patcher's 422.
                if pt != crate::sim::PatchType::Apply {
                    if let Some(st) = crate::api::go_types::for_resource(info.resource) {
                        if let Some(e) =
                            csr_strategy::patch_decode_error(st, pt, &current, body, &patched)
                        {
                            return Err(e);
                        }
                    }
                }
                let mut patched = patched;
                // `FromUnstructured` turns a strategic merge patch's integral float into the
                // integer field's value (`applyPatchToObject`).
                if pt == crate::sim::PatchType::StrategicMerge {
                    if let Some(st) = crate::api::go_types::for_resource(info.resource) {
                        crate::api::gojson::convert_integral_floats(&mut patched, st);
                    }
                }
                self.dedup_owner_references(&mut patched, true);
                if req.subresource.is_empty() {
                    crate::validation::meta::replace_undecodable_managed_fields(
                        &mut patched,
                        Some(&current),
                    );
                }
                if info.resource == "certificatesigningrequests" {
                    let unknown = csr_strategy::strict_patch_check(
                        &crate::api::csr::go_types::CSR,
                        pt,
                        &current,
                        body,
                        &patched,
                        &req.field_validation,
                        req.strict_errors.as_deref(),
                    )?;
                    self.warnings.extend(unknown);
                    let config = (pt == crate::sim::PatchType::Apply).then_some(body);
                    self.track_fields(&managed_fields::CSR, &req, &current, &mut patched, config)?;
                    if config.is_some() {
                        self.apply_strict_yaml(&req)?;
                    }
                } else {
                    // The patched object is decoded (unknown fields dropped, defaults) before
                    // the field manager sees it.
                    if let Some(st) = crate::api::go_types::for_resource(info.resource) {
                        let unknown = csr_strategy::strict_patch_check(
                            st,
                            pt,
                            &current,
                            body,
                            &patched,
                            &req.field_validation,
                            req.strict_errors.as_deref(),
                        )?;
                        self.warnings.extend(unknown);
                        crate::api::gojson::prune_unknown(&mut patched, st);
                        // Server-side apply compares the merged object as the client wrote
                        // it: a Secret's `stringData` is folded into `data` after the field
                        // manager (the update's `normalize_secret`), so an applier owns it.
                        let string_data = (pt == crate::sim::PatchType::Apply)
                            .then(|| {
                                patched
                                    .as_object_mut()
                                    .and_then(|m| m.shift_remove("stringData"))
                            })
                            .flatten();
                        set_v1_defaults(&info, &mut patched);
                        if let Some(sd) = string_data {
                            patched["stringData"] = sd;
                        }
                    }
                    if let Some(schema) = schema {
                        let config = (pt == crate::sim::PatchType::Apply).then_some(body);
                        self.track_fields(schema, &req, &current, &mut patched, config)?;
                    }
                }
                self.update(
                    who,
                    &info,
                    &namespace,
                    &req.name,
                    &req.subresource,
                    UpdateBody::Value(patched),
                    req.dry_run,
                    !req.discard_object,
                )
                .map(ApiResponse::Ok)
            }
            Verb::Delete => self
                .delete(who, &info, &namespace, &req)
                .map(ApiResponse::Ok),
            Verb::DeleteCollection => {
                let list = self.list(
                    &info,
                    &namespace,
                    &ApiRequest {
                        list: req.list.clone(),
                        ..Default::default()
                    },
                )?;
                // Each item's delete runs admission with the collection's attributes (no
                // name): NodeRestriction's refusal of the first item ends the request.
                if list["items"].as_array().is_some_and(|a| !a.is_empty()) {
                    admission::node_restriction::admit_node_identity(who, &gr(&info), "Unknown")?;
                }
                let mut deleted = Vec::new();
                for item in list["items"].as_array().cloned().unwrap_or_default() {
                    let name = meta_str(&item, "name").to_string();
                    let ns = meta_str(&item, "namespace").to_string();
                    // Each item is deleted with the request's DeleteOptions.
                    let r = ApiRequest {
                        name: name.clone(),
                        namespace: ns.clone(),
                        dry_run: req.dry_run,
                        propagation_policy: req.propagation_policy.clone(),
                        orphan_dependents: req.orphan_dependents,
                        ..Default::default()
                    };
                    if self.delete(who, &info, &ns, &r).is_ok() {
                        deleted.push(item);
                    }
                }
                // `Store.DeleteCollection` answers with the list it listed (its
                // resourceVersion is from before the deletes).
                let mut out = list;
                out["items"] = Value::Array(deleted);
                Ok(ApiResponse::Ok(out))
            }
        }
    }

    /// `Cacher.Get` with a resourceVersion: the watch cache answers once it is at least that
    /// fresh, else the 504 of one from the future (no wait here: nothing else writes while
    /// the request holds the cluster); a resourceVersion that is no number is
    /// `APIObjectVersioner.ParseResourceVersion`'s storage error, which reaches the client as
    /// a 500 of unknown reason.
    fn fresh_enough(&self, rv: &str) -> Result<(), Status> {
        if rv.is_empty() {
            return Ok(());
        }
        let Some(r) = parse_rv(rv) else {
            return Err(unparsable_rv_from_cache(rv));
        };
        if r > self.store.rv() {
            return Err(too_large_resource_version(r, self.store.rv()));
        }
        Ok(())
    }

    fn get(&self, info: &ResourceInfo, ns: &str, name: &str) -> Result<Value, Status> {
        let key = store::key(info.group, info.resource, ns, name);
        let b = self
            .store
            .get(&key)
            .ok_or_else(|| Status::not_found(&gr(info), name))?;
        if info.resource == "certificatesigningrequests" {
            // The CSR this process serialized into these bytes: its value without a parse.
            if let Some(e) = self.csr_cache.borrow().entry(name, b) {
                if e.serialized {
                    let v = to_value(&*e.csr);
                    debug_assert_eq!(
                        Some(&v),
                        serde_json::from_slice::<Value>(b).ok().as_ref(),
                        "a cached CSR's value differs from its stored bytes"
                    );
                    return Ok(v);
                }
            }
        }
        serde_json::from_slice(b).map_err(|e| Status::internal(e.to_string()))
    }

    fn field_value(obj: &Value, field: &str) -> String {
        let s = |v: Option<&Value>| v.and_then(|x| x.as_str()).unwrap_or("").to_string();
        match field {
            "metadata.name" => meta_str(obj, "name").to_string(),
            "metadata.namespace" => meta_str(obj, "namespace").to_string(),
            "spec.signerName" => s(obj.get("spec").and_then(|x| x.get("signerName"))),
            "type" => s(obj.get("type")),
            "status.phase" => s(obj.get("status").and_then(|x| x.get("phase"))),
            _ => String::new(),
        }
    }

    pub(crate) fn matcher(
        info: &ResourceInfo,
        label: &str,
        field: &str,
    ) -> Result<(LabelSelector, FieldSelector), Status> {
        Ok((
            LabelSelector::parse(label)?,
            FieldSelector::parse_with(field, |l| {
                crate::registry::selectors::convert_field_label(info, l)
            })?,
        ))
    }

    pub(crate) fn matches(sel: &(LabelSelector, FieldSelector), obj: &Value) -> bool {
        if !sel.0.is_empty() {
            let labels: std::collections::BTreeMap<String, String> = obj
                .get("metadata")
                .and_then(|m| m.get("labels"))
                .and_then(|l| serde_json::from_value(l.clone()).ok())
                .unwrap_or_default();
            if !sel.0.matches(&labels) {
                return false;
            }
        }
        sel.1.is_empty() || sel.1.matches(|f| Self::field_value(obj, f))
    }

    fn list(&self, info: &ResourceInfo, ns: &str, req: &ApiRequest) -> Result<Value, Status> {
        let sel = Self::matcher(info, &req.list.label_selector, &req.list.field_selector)?;
        let prefix = store::prefix(
            info.group,
            info.resource,
            if info.namespaced && !ns.is_empty() {
                Some(ns)
            } else {
                None
            },
        );
        // Where names (or `namespace/name`) start in the keys: what continue tokens hold.
        let key_base = if info.namespaced {
            prefix.clone()
        } else {
            format!("{prefix}/")
        };
        let limit = req.list.limit.filter(|l| *l > 0).map(|l| l as usize);
        let cont = if req.list.continue_.is_empty() {
            None
        } else {
            let c = decode_continue(&req.list.continue_, &key_base)
                .map_err(|e| Status::bad_request(format!("invalid continue token: {e}")))?;
            let rv = req.list.resource_version.as_str();
            if !rv.is_empty() && rv != "0" {
                return Err(Status::bad_request(
                    "specifying resource version is not allowed when using continue",
                ));
            }
            Some(c)
        };
        // The watch cache serves resourceVersion=0 and ignores the limit there
        // (the cacher's `computeListLimit`): the whole collection, no continue token.
        let limit = if cont.is_none() && req.list.resource_version == "0" {
            None
        } else {
            limit
        };
        let after = cont.as_ref().map(|(k, _)| k.as_str());
        if !req.list.resource_version.is_empty() && parse_rv(&req.list.resource_version).is_none() {
            // `shouldDelegateList`: `Exact`, and the legacy exact read (a limit, no match),
            // go to etcd; the rest is the watch cache's (a continue never gets here: its
            // resourceVersion must be empty or "0").
            let rv = req.list.resource_version.as_str();
            let to_etcd = req.list.resource_version_match == "Exact"
                || (req.list.resource_version_match.is_empty() && limit.is_some());
            return Err(if to_etcd {
                unparsable_rv_from_etcd(rv)
            } else {
                unparsable_rv_from_cache(rv)
            });
        }
        // `resourceVersionMatch=Exact` (and the legacy exact read: a limit, a resourceVersion,
        // no match) lists the collection as of that resourceVersion, as an etcd range read at
        // that revision: rebuilt from the event window, 410 when it is older than the window.
        let rv_q = req.list.resource_version.as_str();
        let m = req.list.resource_version_match.as_str();
        let exact_at = parse_rv(rv_q).filter(|r| {
            *r != 0
                && cont.is_none()
                && (m == "Exact" || (m.is_empty() && limit.is_some()))
                && *r != self.store.rv()
        });
        // NotOlderThan (and a resourceVersion with no match and no limit) from the future:
        // the watch cache waits for it, then gives up with the same 504 (no wait here:
        // nothing else writes while the request holds the cluster).
        if let Some(r) = parse_rv(rv_q) {
            if exact_at.is_none() && cont.is_none() && r > self.store.rv() {
                return Err(too_large_resource_version(r, self.store.rv()));
            }
        }
        let past = match exact_at {
            None => None,
            Some(r) if r > self.store.rv() => {
                return Err(too_large_resource_version(r, self.store.rv()));
            }
            Some(r) => Some(self.store.range_at(&prefix, r).ok_or_else(|| {
                Status::expired("The resourceVersion for the provided list is too old.")
            })?),
        };
        // A continued list reads the snapshot of its first page (etcd at the token's
        // revision) while the event window still holds it; once compacted away, 410 (etcd's
        // ErrCompacted).
        let past = match &cont {
            Some((k, rv)) if past.is_none() && *rv > 0 && (*rv as u64) < self.store.rv() => {
                if (*rv as u64) < self.store.log_start_rv() {
                    return Err(expired_continue(k, &key_base));
                }
                self.store.range_at(&prefix, *rv as u64)
            }
            _ => past,
        };
        let source: Box<dyn Iterator<Item = (&String, &store::Bytes)>> = match (&past, after) {
            (Some(m), Some(a)) => Box::new(
                m.range::<str, _>((std::ops::Bound::Excluded(a), std::ops::Bound::Unbounded)),
            ),
            (Some(m), None) => Box::new(m.iter()),
            (None, _) => Box::new(self.store.range(&prefix, after)),
        };
        let mut items = Vec::new();
        let mut last_key = None;
        let mut more = false;
        for (k, b) in source {
            let Ok(mut obj) = serde_json::from_slice::<Value>(b) else {
                continue;
            };
            if !Self::matches(&sel, &obj) {
                continue;
            }
            if let Some(l) = limit {
                if items.len() == l {
                    more = true;
                    break;
                }
            }
            if let Some(m) = obj.as_object_mut() {
                m.shift_remove("apiVersion");
                m.shift_remove("kind");
            }
            items.push(obj);
            last_key = Some(k.clone());
        }
        // A continued list reports the resourceVersion of its first page, as upstream's
        // snapshot list does, so a watch started from it misses nothing.
        // A negative rv (upstream: "continue from the latest") lists the current state.
        let list_rv = match (cont, exact_at) {
            (Some((_, rv)), _) if rv > 0 => rv as u64,
            (_, Some(r)) => r,
            _ => self.store.rv(),
        };
        let mut meta = ListMeta {
            resource_version: list_rv.to_string(),
            ..Default::default()
        };
        if more {
            if let Some(k) = last_key {
                // `PrepareContinueToken`: with no selector every object counts, so the
                // objects after this page are known (etcd's range count minus the limit).
                if sel.0.is_empty() && sel.1.is_empty() {
                    let rest = match &past {
                        Some(m) => m
                            .range::<str, _>((
                                std::ops::Bound::Excluded(k.as_str()),
                                std::ops::Bound::Unbounded,
                            ))
                            .count(),
                        None => self.store.range(&prefix, Some(&k)).count(),
                    };
                    meta.remaining_item_count = Some(rest as i64);
                }
                meta.continue_ = encode_continue(list_rv, &k, &key_base);
            }
        }
        Ok(
            json!({"kind": info.list_kind, "apiVersion": info.api_version(), "metadata": meta, "items": items}),
        )
    }

    /// A list or watch of a listed-only kind (discovery lists it, nothing stores it): the
    /// same option checks as a stored kind's (selectors, `ValidateListOptions`, field labels,
    /// resourceVersion and continue), then an empty list; a watch's answer is `Null`.
    pub fn listed_only_collection(
        &self,
        info: &ResourceInfo,
        ns: &str,
        req: &ApiRequest,
    ) -> Result<Value, Status> {
        req.validate_options()?;
        match req.verb {
            Some(Verb::Watch) => self.watch(info, ns, req).map(|_| Value::Null),
            _ => self.list(info, ns, req),
        }
    }

    fn watch(
        &self,
        info: &ResourceInfo,
        ns: &str,
        req: &ApiRequest,
    ) -> Result<WatchStream, Status> {
        let (_, fields) = Self::matcher(info, &req.list.label_selector, &req.list.field_selector)?;
        // `ListResource` with a name (a `watch/…/<name>` path): after the conversion, a
        // selector must require exactly that name; an empty one becomes the name's.
        let named;
        let req = match &req.watch_name {
            Some(name) if fields.is_empty() => {
                named = ApiRequest {
                    list: crate::api::ListOptions {
                        field_selector: format!("metadata.name={name}"),
                        ..req.list.clone()
                    },
                    ..req.clone()
                };
                &named
            }
            Some(name) if fields.requires_exact_match("metadata.name") != Some(name.as_str()) => {
                return Err(Status::bad_request(
                    "fieldSelector metadata.name doesn't match requested name",
                ));
            }
            _ => req,
        };
        let rv_s = req.list.resource_version.as_str();
        let mut cursor = WatchCursor {
            group: info.group.into(),
            resource: info.resource.into(),
            namespace: ns.into(),
            label_selector: req.list.label_selector.clone(),
            field_selector: req.list.field_selector.clone(),
            rv: self.store.rv(),
            bookmarks: req.list.allow_watch_bookmarks,
            who: None,
        };
        // `Cacher.Watch` reads the resourceVersion first.
        if !rv_s.is_empty() && parse_rv(rv_s).is_none() {
            return Err(unparsable_rv_from_cache(rv_s));
        }
        let mut initial = Vec::new();
        // `waitUntilWatchCacheFreshAndForceAllEvents`: a watch-list request waits (3 s) for the
        // cache to reach its resourceVersion; one from the future ends as too large.
        if req.list.send_initial_events && !rv_s.is_empty() && rv_s != "0" {
            if let Some(rv) = parse_rv(rv_s).filter(|rv| *rv > self.store.rv()) {
                return Err(too_large_resource_version(rv, self.store.rv()));
            }
        }
        // `sendInitialEvents=false` with no resourceVersion or "0" starts from now, with no
        // initial events (`getWatchCacheResourceVersion`: the current one;
        // `getAllEventsSinceLocked`: "0" means any); only the legacy watch (the parameter
        // absent) gets the current state first.
        let from_now = (rv_s.is_empty() || rv_s == "0")
            && req.send_initial_events_given
            && !req.list.send_initial_events;
        if from_now {
            // the cursor is at the current resourceVersion already
        } else if rv_s.is_empty() || rv_s == "0" || req.list.send_initial_events {
            let list = self.list(
                info,
                ns,
                &ApiRequest {
                    list: crate::api::ListOptions {
                        label_selector: req.list.label_selector.clone(),
                        field_selector: req.list.field_selector.clone(),
                        ..Default::default()
                    },
                    ..Default::default()
                },
            )?;
            for mut item in list["items"].as_array().cloned().unwrap_or_default() {
                item["apiVersion"] = json!(info.api_version());
                item["kind"] = json!(info.kind);
                let item = reorder_type_meta(item);
                initial.push(WatchEvent {
                    type_: EventType::Added,
                    object: item,
                });
            }
        } else {
            let rv: u64 = parse_rv(rv_s).ok_or_else(|| unparsable_rv_from_cache(rv_s))?;
            let oldest = self.store.log_start_rv().max(self.watch_cache_rv);
            if rv < oldest {
                return Err(Status::expired(format!(
                    "too old resource version: {rv} ({oldest})"
                )));
            }
            // `Cacher.Watch` of a plain watch: no wait, no error for a resourceVersion the
            // cache has not reached; its watcher sends only events newer than it
            // (`cacheWatcher.process`), bookmarks included.
            cursor.rv = rv;
        }
        Ok(WatchStream { initial, cursor })
    }

    /// Events for an open watch since its cursor; 410 Expired if they were compacted.
    pub fn watch_poll(&mut self, cursor: &mut WatchCursor) -> Result<Vec<WatchEvent>, Status> {
        let filter = WatchFilter::new(cursor)?;
        let events = self.store.events_since(cursor.rv).map_err(|oldest| {
            Status::expired(format!(
                "too old resource version: {} ({oldest})",
                cursor.rv
            ))
        })?;
        let mut out = Vec::new();
        let mut last = cursor.rv;
        for e in events {
            last = e.rv;
            if !filter.matches_key(&e.key) {
                continue;
            }
            let Ok(obj) = serde_json::from_slice::<Value>(&e.object) else {
                continue;
            };
            match filter.convert(e.type_, &obj, e.prev.as_deref().map(|b| b.as_slice()), e.rv) {
                None => {}
                Some((type_, None)) => out.push(WatchEvent { type_, object: obj }),
                Some((type_, Some(object))) => out.push(WatchEvent { type_, object }),
            }
        }
        cursor.rv = last.max(cursor.rv);
        Ok(out)
    }

    /// The raw event log after `rv` (every resource), for a server that reads the log once
    /// and fans each event out to many watchers; `Err(oldest)` if part of it was compacted.
    pub fn watch_log_since(&self, rv: u64) -> Result<Vec<store::LogEntry>, u64> {
        Ok(self.store.events_since(rv)?.cloned().collect())
    }

    /// A BOOKMARK event at the current resourceVersion for a watch (when it asked for them).
    pub fn bookmark(&self, cursor: &WatchCursor) -> Option<WatchEvent> {
        if !cursor.bookmarks || cursor.rv > self.store.rv() {
            return None;
        }
        let info = resources::find(&cursor.group, &cursor.resource)?;
        Some(WatchEvent {
            type_: EventType::Bookmark,
            object: info.bookmark_object(cursor.rv),
        })
    }

    /// A fresh generated name: prefix (≤58 chars) + 5 chars from the upstream alphabet.
    fn generate_name(&mut self, prefix: &str) -> String {
        let mut p: String = prefix.chars().take(MAX_GENERATE_NAME_PREFIX).collect();
        for _ in 0..5 {
            let i = (self.rngs.next_u64("names") % NAME_ALPHABET.len() as u64) as usize;
            p.push(NAME_ALPHABET[i] as char);
        }
        p
    }

    fn new_uid(&mut self) -> String {
        self.rngs.uuid().to_string()
    }

    #[allow(clippy::too_many_arguments)]
    fn create(
        &mut self,
        who: &Identity,
        info: &ResourceInfo,
        ns: &str,
        body: Value,
        fields: Option<ManagedFields>,
        dry_run: bool,
        render: Render,
    ) -> Result<ApiResponse, Status> {
        if !body.is_object() {
            return Err(Status::bad_request(
                "the body of the request must be a JSON object",
            ));
        }
        check_type_meta(info, &body)?;
        csr_metadata_decodes(info, &body)?;
        // The storage's `Create` refuses an object that carries a resourceVersion (one that
        // parses as a non-zero uint64), after validation and admission, before it looks for
        // an existing object; a dry run never reaches it. A plain error: 500, no reason.
        let rv_set = !dry_run
            && meta_str(&body, "resourceVersion")
                .parse::<u64>()
                .unwrap_or(0)
                != 0;
        let rv_refused = || {
            Status::failure(
                500,
                "",
                "resourceVersion should not be set on objects to be created",
            )
        };
        // Owned: the request's body becomes the object (a copy was 2 % of a lifecycle).
        let mut obj = body;
        obj["apiVersion"] = json!(info.api_version());
        obj["kind"] = json!(info.kind);
        // rest.BeforeCreate: namespace checks, system fields.
        let body_ns = meta_str(&obj, "namespace").to_string();
        if info.namespaced {
            if !body_ns.is_empty() && body_ns != ns {
                return Err(Status::bad_request("the namespace of the provided object does not match the namespace sent on the request"));
            }
            set_meta(&mut obj, "namespace", json!(ns));
            // NamespaceLifecycle admission: no content in a namespace that does not exist,
            // nor in one being terminated.
            if !self.store.contains(&store::key("", "namespaces", "", ns)) {
                return Err(Status::not_found(&GroupResource::new("", "namespaces"), ns));
            }
            if self.namespace_terminating(ns) {
                return Err(terminating_namespace(info, meta_str(&obj, "name"), ns));
            }
        } else {
            set_meta(&mut obj, "namespace", Value::Null);
        }
        let mut name = meta_str(&obj, "name").to_string();
        let gen = meta_str(&obj, "generateName").to_string();
        // The name mutating admission reports: name generation has not happened yet.
        let admission_name = admission::node_restriction::create_name(&name, &gen);
        if name.is_empty() && !gen.is_empty() {
            name = self.generate_name(&gen);
            while self
                .store
                .contains(&store::key(info.group, info.resource, ns, &name))
            {
                name = self.generate_name(&gen);
            }
            set_meta(&mut obj, "name", json!(name));
        }
        let uid = self.new_uid();
        set_meta(&mut obj, "uid", json!(uid));
        set_meta(&mut obj, "creationTimestamp", json!(self.now()));
        for f in [
            "resourceVersion",
            "deletionTimestamp",
            "deletionGracePeriodSeconds",
            "selfLink",
        ] {
            set_meta(&mut obj, f, Value::Null);
        }
        if info.resource == "certificatesigningrequests" {
            let csr = self.create_csr_checks(who, obj, fields, &admission_name)?;
            if rv_set {
                return Err(rv_refused());
            }
            let key = Self::csr_key(&name);
            if self.store.contains(&key) {
                return Err(self.already_exists(info, &key, &name));
            }
            if dry_run {
                return Ok(ApiResponse::Created(render.answer(
                    || to_value(&csr),
                    &name,
                    &uid,
                )));
            }
            let written = self.write_csr(info, &key, csr, render == Render::Object)?;
            if render == Render::Stored {
                if let Some(b) = self.store.get(&key) {
                    return Ok(ApiResponse::CreatedJson(b.clone()));
                }
            }
            return Ok(ApiResponse::Created(render.answer(|| written, &name, &uid)));
        }
        // NodeRestriction (mutating admission: before the strategy and validation).
        admission::node_restriction::admit_node_identity(who, &gr(info), &admission_name)?;
        let obj = self.create_generic_checks(who, info, obj)?;
        if rv_set {
            return Err(rv_refused());
        }
        let key = store::key(info.group, info.resource, ns, &name);
        if self.store.contains(&key) {
            return Err(self.already_exists(info, &key, &name));
        }
        if dry_run {
            return Ok(ApiResponse::Created(render.answer(
                || reorder_type_meta(obj),
                &name,
                &uid,
            )));
        }
        let written = self.write(info, &key, obj)?;
        Ok(ApiResponse::Created(render.answer(|| written, &name, &uid)))
    }

    /// Mutating admission, strategy, validation and validating admission of a CSR create.
    /// `admission_name` is the name mutating admission reports (before name generation).
    fn create_csr_checks(
        &mut self,
        who: &Identity,
        obj: Value,
        fields: Option<ManagedFields>,
        admission_name: &str,
    ) -> Result<CertificateSigningRequest, Status> {
        let mut csr = csr_strategy::decode_body(&obj)?;
        // NodeRestriction is a mutating plugin: it runs before the strategy and validation.
        admission::node_restriction::admit(
            who,
            &csr,
            admission_name,
            self.config.allow_insecure_kubelet_csrs,
        )?;
        csr_strategy::prepare_for_create(&mut csr, Some(who));
        // The field manager ran before `rest.BeforeCreate`: validation sees its entries.
        if let Some(f) = fields {
            csr.metadata.managed_fields = f;
        }
        let name = csr.metadata.name.clone();
        let mut errs = csr_validation::validate_create_body(&csr, &obj);
        if errs.is_empty() {
            // `validateCommonFields`: `ValidatePathSegmentName`, a prefix for generateName.
            let gen = &csr.metadata.generate_name;
            errs = names::path_segment_prefix(gen)
                .into_iter()
                .map(|m| FieldError::invalid("metadata.generateName", gen, m))
                .collect();
            errs.extend(
                names::path_segment_name(&name)
                    .into_iter()
                    .map(|m| FieldError::invalid("metadata.name", &name, m)),
            );
        }
        if !errs.is_empty() {
            return Err(Status::invalid(
                crate::api::csr::KIND,
                crate::api::csr::GROUP,
                &name,
                &errs,
            ));
        }
        admission::subject_restriction::admit(&csr)?;
        Ok(csr)
    }

    /// `Store.create`'s AlreadyExists: prefixed `object is being deleted: ` when the object in
    /// the way has a deletionTimestamp (finalizers still hold it).
    fn already_exists(&self, info: &ResourceInfo, key: &str, name: &str) -> Status {
        let mut st = Status::already_exists(&gr(info), name);
        let deleting = self
            .stored_value(key)
            .is_some_and(|o| !o["metadata"]["deletionTimestamp"].is_null());
        if deleting {
            st.message = format!("object is being deleted: {}", st.message);
        }
        st
    }

    /// The JSON decoding of a create/update body of a kind other than CSR (the CSR path
    /// decodes into its typed struct): type errors and Strict unknown fields are a 400; the
    /// unknown fields are dropped (`registry::decode`).
    fn decode_generic_body(
        &self,
        info: &ResourceInfo,
        field_validation: &str,
        body: &mut Value,
        from_apply: bool,
    ) -> Result<(), Status> {
        match crate::api::go_types::for_resource(info.resource) {
            Some(st) if info.resource != "certificatesigningrequests" => {
                crate::registry::decode::decode_generic(st, info.version, body, field_validation)?;
                if from_apply && info.resource == "secrets" {
                    // A create by server-side apply is tracked on the configuration as sent
                    // (`Apply` of the patch over an empty object): a Secret's `type` default
                    // and `stringData` folding wait for the create's `normalize_secret`.
                    crate::validation::rbac::set_defaults(info.resource, body);
                } else {
                    set_v1_defaults(info, body);
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }

    /// Validation of the other kinds (names, RBAC escalation, secrets).
    fn create_generic_checks(
        &mut self,
        who: &Identity,
        info: &ResourceInfo,
        mut obj: Value,
    ) -> Result<Value, Status> {
        let name = meta_str(&obj, "name").to_string();
        let meta: crate::api::ObjectMeta = decode(obj.get("metadata").unwrap_or(&Value::Null))?;
        // `ValidateObjectMeta` with the kind's name function: generateName as a prefix (a
        // trailing '-' masked for DNS names; RBAC's `ValidateRBACName` ignores the prefix
        // flag), then the name, then the rest of the ObjectMeta rules.
        let name_fn = |n: &str, prefix: bool| {
            let masked = match n.strip_suffix('-') {
                Some(head) if prefix => format!("{head}a"),
                _ => n.to_string(),
            };
            match info.resource {
                "secrets" => names::dns1123_subdomain(&masked),
                "namespaces" => names::dns1123_label(&masked),
                _ => names::path_segment_name(n),
            }
        };
        let mut errs = Vec::new();
        let gen = &meta.generate_name;
        if !gen.is_empty() {
            errs.extend(
                name_fn(gen, true)
                    .into_iter()
                    .map(|m| FieldError::invalid("metadata.generateName", gen, m)),
            );
        }
        if !name.is_empty() {
            errs.extend(
                name_fn(&name, false)
                    .into_iter()
                    .map(|m| FieldError::invalid("metadata.name", &name, m)),
            );
        }
        errs.extend(crate::validation::meta::validate_object_meta(
            &meta,
            info.namespaced,
        ));
        // Requests were defaulted as they were decoded; this covers objects the cluster
        // writes itself (the bootstrap policy).
        set_v1_defaults(info, &mut obj);
        errs.extend(crate::validation::rbac::validate(info.resource, &obj));
        if info.resource == "secrets" {
            normalize_secret(&mut obj, &mut errs);
            errs.extend(validate_secret(&obj));
        }
        if info.resource == "namespaces" {
            obj["status"] = json!({"phase": "Active"});
            // `PrepareForCreate`: the `kubernetes` finalizer is required (appended).
            if !obj["spec"].is_object() {
                obj["spec"] = json!({});
            }
            let spec = &mut obj["spec"];
            if !spec["finalizers"].is_array() {
                spec["finalizers"] = json!([]);
            }
            if let Some(f) = spec["finalizers"].as_array_mut() {
                if !f.iter().any(|x| x == "kubernetes") {
                    f.push(json!("kubernetes"));
                }
            }
            errs.extend(validate_namespace_finalizers(&obj));
        }
        if !errs.is_empty() {
            return Err(Status::invalid(info.kind, info.group, &name, &errs));
        }
        self.check_rbac_escalation(who, info, &obj, None)?;
        Ok(obj)
    }

    /// RBAC privilege-escalation prevention on Role/ClusterRole/binding writes.
    fn check_rbac_escalation(
        &self,
        who: &Identity,
        info: &ResourceInfo,
        obj: &Value,
        old: Option<&Value>,
    ) -> Result<(), Status> {
        use crate::auth::escalation;
        let ns = meta_str(obj, "namespace");
        let r = match info.resource {
            "roles" | "clusterroles" => {
                escalation::check_role_update(&self.rbac, who, info.resource, ns, obj, old)
            }
            "rolebindings" | "clusterrolebindings" => {
                escalation::check_binding_update(&self.rbac, who, info.resource, ns, obj, old)
            }
            _ => Ok(()),
        };
        r.map_err(|msg| Status::forbidden(&gr(info), meta_str(obj, "name"), &msg))
    }

    /// Install the apiserver's bootstrap RBAC policy (and kubeadm's bindings if configured)
    /// where it is missing, as the `rbac/bootstrap-roles` post-start hook does at every start.
    fn ensure_default_policy(&mut self) {
        let admin = Identity::admin();
        // The namespaces every cluster has (the apiserver's system-namespaces controller).
        if let Some(ns_info) = resources::find("", "namespaces").copied() {
            for ns in ["default", "kube-system", "kube-public", "kube-node-lease"] {
                if !self.store.contains(&store::key("", "namespaces", "", ns)) {
                    let mut obj =
                        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}});
                    default_namespace_label(&ns_info, &mut obj);
                    self.bootstrap_managed_fields(&ns_info, &mut obj);
                    let _ = self.create(&admin, &ns_info, "", obj, None, false, Render::Nothing);
                }
            }
        }
        // Cluster-scoped policy (and kubeadm's), then the Roles and RoleBindings of the `kube-`
        // namespaces, in the hook's order.
        let policy = crate::auth::bootstrap_policy::default_objects(self.config.kubeadm_bindings)
            .into_iter()
            .chain(crate::auth::bootstrap_policy::namespace_objects());
        for (resource, obj) in policy {
            let Some(info) = resources::find("rbac.authorization.k8s.io", resource).copied() else {
                continue;
            };
            let ns = meta_str(&obj, "namespace").to_string();
            let key = store::key(info.group, info.resource, &ns, meta_str(&obj, "name"));
            if self.store.contains(&key) {
                continue;
            }
            let mut obj = obj;
            self.bootstrap_managed_fields(&info, &mut obj);
            if let Err(e) = self.create(&admin, &info, &ns, obj, None, false, Render::Nothing) {
                self.trace(
                    "bootstrap-policy-error",
                    json!({"resource": resource, "error": e.message}),
                );
            }
        }
    }

    /// The `managedFields` of an object the cluster makes at start, as its creator's client-go
    /// user agent names it: `kubeadm` for kubeadm's objects (`kubeadm:` names), else
    /// `kube-apiserver` (the bootstrap policy and system namespaces controllers).
    fn bootstrap_managed_fields(&self, info: &ResourceInfo, obj: &mut Value) {
        let Some(schema) = managed_fields::schema(info.resource) else {
            return;
        };
        let manager = if meta_str(obj, "name").starts_with("kubeadm:") {
            "kubeadm"
        } else {
            "kube-apiserver"
        };
        let mf = managed_fields::update_for(schema, &(schema.zero)(), obj, manager, "", self.now());
        set_meta(obj, "managedFields", mf);
    }

    /// Authenticate a bearer token (bootstrap token Secret or static token) at virtual now.
    pub fn authenticate_token(&self, token: &str) -> Option<Identity> {
        self.tokens.authenticate_token(token, self.now())
    }

    /// The token authenticator (for static tokens from `--token-auth-file`).
    pub fn tokens_mut(&mut self) -> &mut crate::auth::tokens::TokenAuth {
        &mut self.tokens
    }

    /// Serialize, stamp the next resourceVersion, store, notify.
    fn write(&mut self, info: &ResourceInfo, key: &str, mut obj: Value) -> Result<Value, Status> {
        let rv = self.store.next_rv();
        set_meta(&mut obj, "resourceVersion", json!(rv.to_string()));
        let obj = reorder_type_meta(obj);
        let (rv, t) = self.put_json(key, &obj)?;
        self.after_write(info, key, Some(&obj), t, rv);
        let m = &obj["metadata"];
        let collect = !m["deletionTimestamp"].is_null()
            && m["finalizers"].as_array().is_some_and(|f| {
                f.iter()
                    .any(|x| x == deletion::ORPHAN || x == deletion::FOREGROUND)
            });
        if collect {
            self.gc_queue.push_back((
                resources::find(info.group, info.resource).expect("served"),
                meta_str(&obj, "namespace").to_string(),
                meta_str(&obj, "name").to_string(),
            ));
        }
        Ok(obj)
    }

    /// kube-controller-manager's garbage collector on one object it was told about: while
    /// the object is being deleted with `foregroundDeletion` (or `orphan`), it removes that
    /// finalizer once there are no dependents to delete (or orphan) — in csrsim, at once —
    /// with a merge patch of `metadata.finalizers` at the object's resourceVersion; the
    /// update that empties the finalizers deletes the object.
    fn collect_garbage(&mut self, info: &'static ResourceInfo, ns: &str, name: &str) {
        let key = store::key(info.group, info.resource, ns, name);
        let Some(mut obj) = self.stored_value(&key) else {
            return;
        };
        if obj["metadata"]["deletionTimestamp"].is_null() {
            return;
        }
        let finalizers: Vec<String> = obj["metadata"]["finalizers"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|x| x.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        let Some(left) = deletion::collector_finalizers(&finalizers) else {
            return;
        };
        match obj["metadata"].as_object_mut() {
            Some(m) if left.is_empty() => {
                m.shift_remove("finalizers");
            }
            Some(m) => {
                m.insert("finalizers".into(), json!(left));
            }
            None => return,
        }
        let who = Identity::user(
            GC_USER,
            &[
                "system:serviceaccounts",
                "system:serviceaccounts:kube-system",
            ],
        );
        let r = self.update(
            &who,
            info,
            ns,
            name,
            "",
            UpdateBody::Value(obj),
            false,
            false,
        );
        if self.trace.enabled() {
            let f = json!({"resource": info.resource, "name": name, "removed": finalizers.len() - left.len(),
                "error": r.err().map(|e| e.message)});
            self.trace("garbage-collector", f);
        }
    }

    /// Serialize and store an object under `key` (its resourceVersion already stamped).
    fn put_json<T: StoredJson + serde::Serialize>(
        &mut self,
        key: &str,
        obj: &T,
    ) -> Result<(u64, EventType), Status> {
        let bytes = to_json_exact(obj)?;
        if key.len() + bytes.len() > MAX_STORED_OBJECT_BYTES {
            // etcd refuses the put ("etcdserver: request is too large"), which kube-apiserver
            // passes on as a 500; a 1 MiB CSR name is enough (CSR names are free-form). We
            // answer 413: hostile input never gets a 5xx here.
            return Err(Status::failure(
                413,
                "RequestEntityTooLarge",
                "Request entity too large: etcdserver: request is too large",
            ));
        }
        self.store
            .put(key, bytes, self.clock_ms)
            .map_err(|e| Status::internal(format!("storage error: {e}")))
    }

    /// Delete `key`; `last` (its final state, with the deletion's resourceVersion stamped)
    /// goes to the watch log. Returns the deletion's resourceVersion.
    fn delete_json<T: StoredJson + serde::Serialize>(
        &mut self,
        key: &str,
        last: &T,
    ) -> Result<u64, Status> {
        let bytes = to_json_exact(last)?;
        self.store
            .delete(key, bytes, self.clock_ms)
            .map_err(|e| Status::internal(format!("storage error: {e}")))
    }

    fn after_write(
        &mut self,
        info: &ResourceInfo,
        key: &str,
        obj: Option<&Value>,
        t: EventType,
        rv: u64,
    ) {
        self.project(key, obj);
        let name = key.rsplit('/').next().unwrap_or("").to_string();
        if self.trace.enabled() {
            let mut f =
                json!({"type": t.as_str(), "resource": info.resource, "name": name, "rv": rv});
            if let Some(o) = obj {
                let ns = meta_str(o, "namespace");
                if !ns.is_empty() {
                    f["namespace"] = json!(ns);
                }
                if info.resource == "certificatesigningrequests" {
                    if let Ok(c) = serde_json::from_value::<CertificateSigningRequest>(o.clone()) {
                        f["condition"] = json!(c.display_condition());
                    }
                }
            }
            self.trace("write", f);
        }
        if info.resource == "certificatesigningrequests" {
            self.notify_csr(&name);
        }
    }

    /// Keep in-memory projections (RBAC index, token index) in step with the store.
    fn project(&mut self, key: &str, obj: Option<&Value>) {
        let mut parts = key.splitn(4, '/');
        let (g, r, ns, name) = (
            parts.next().unwrap_or(""),
            parts.next().unwrap_or(""),
            parts.next().unwrap_or(""),
            parts.next().unwrap_or(""),
        );
        if g == "rbac.authorization.k8s.io" {
            self.rbac.on_write(r, ns, name, obj);
        }
        // wiring: tokens (secrets)
        if g == "core" && r == "secrets" {
            self.tokens.on_write(ns, name, obj);
        }
    }

    /// `applyPatcher.applyPatchToCurrentObject`, after the field manager's apply: the patch's
    /// duplicate keys as sigs.k8s.io/yaml's `UnmarshalStrict` reports them (the edge read
    /// them into `strict_errors`): `Strict` is 400 `error strict decoding YAML: error
    /// converting YAML to JSON: yaml: unmarshal errors:\n  line <n>: key "<k>" already set in
    /// map`, `Warn` (the default) a warning with the same text after `YAML: `.
    /// `dedupOwnerReferencesAndAddWarning` (apiserver handlers): duplicate owner references
    /// are dropped with a warning — create and update dedup the request body before the field
    /// manager and admission, a patch (server-side apply included) the patched object after
    /// mutating admission, each with its own text.
    fn dedup_owner_references(&mut self, obj: &mut Value, after_mutating_admission: bool) {
        let dups = crate::validation::meta::dedup_owner_references(obj);
        if dups.is_empty() {
            return;
        }
        let when = if after_mutating_admission {
            " after mutating admission happens"
        } else {
            ""
        };
        self.warnings.push(format!(
            ".metadata.ownerReferences contains duplicate entries{when}; API server dedups owner references in 1.20+, and may reject such requests as early as 1.24; please fix your requests; duplicate UID(s) observed: {}",
            dups.join(", ")
        ));
    }

    fn apply_strict_yaml(&mut self, req: &ApiRequest) -> Result<(), Status> {
        let Some(lines) = req.strict_errors.as_ref().filter(|l| !l.is_empty()) else {
            return Ok(());
        };
        let err = format!(
            "error converting YAML to JSON: yaml: unmarshal errors:\n  {}",
            lines.join("\n  ")
        );
        match req.field_validation.as_str() {
            "Strict" => Err(Status::bad_request(format!(
                "error strict decoding YAML: {err}"
            ))),
            "" | "Warn" => {
                self.warnings.push(err);
                Ok(())
            }
            _ => Ok(()),
        }
    }

    /// `metadata.managedFields` of a CSR create by an API client (`registry::managed_fields`):
    /// an update from the empty object, or the apply of its configuration when a server-side
    /// apply creates. An update's entries are returned decoded, for the created object (the
    /// body's own are dropped: they were its base); an apply's are written into the body.
    fn track_create_fields(&self, req: &mut ApiRequest) -> Result<Option<ManagedFields>, Status> {
        let manager = managed_fields::manager_name(&req.field_manager, &req.user_agent);
        let Some(body) = req.body.as_mut().filter(|b| b.is_object()) else {
            return Ok(None);
        };
        if manager.is_empty() || body.get("metadata").is_some_and(|m| !m.is_object()) {
            return Ok(None);
        }
        if req.from_apply {
            let empty = managed_fields::empty_csr();
            let config = body.clone();
            let mf =
                managed_fields::apply(&empty, &config, &config, &manager, "", true, self.now())?;
            set_meta(body, "managedFields", mf);
            return Ok(None);
        }
        let mf = managed_fields::create_decoded(body, &manager, self.now());
        if let Some(m) = body.get_mut("metadata").and_then(Value::as_object_mut) {
            m.shift_remove("managedFields");
        }
        Ok(Some(mf))
    }

    /// `metadata.managedFields` of a create of another kind by an API client, written into the
    /// body: an update from the kind's zero object, or the apply of its configuration.
    fn track_generic_create(
        &self,
        schema: &managed_fields::Schema,
        req: &mut ApiRequest,
    ) -> Result<(), Status> {
        let manager = managed_fields::manager_name(&req.field_manager, &req.user_agent);
        let Some(body) = req.body.as_mut().filter(|b| b.is_object()) else {
            return Ok(());
        };
        if manager.is_empty()
            || body.get("metadata").is_some_and(|m| !m.is_object())
            || sent_managed_fields_invalid(body)
        {
            return Ok(());
        }
        let zero = (schema.zero)();
        let mf = if req.from_apply {
            let config = body.clone();
            managed_fields::apply_for(schema, &zero, &config, body, &manager, "", true, self.now())?
        } else {
            managed_fields::update_for(schema, &zero, body, &manager, "", self.now())
        };
        set_meta(body, "managedFields", mf);
        Ok(())
    }

    /// `metadata.managedFields` of a CSR update, patch or apply by an API client, written into
    /// `new` (the request object before the strategy); `config` is an apply's configuration.
    fn track_fields(
        &self,
        schema: &managed_fields::Schema,
        req: &ApiRequest,
        live: &Value,
        new: &mut Value,
        config: Option<&Value>,
    ) -> Result<(), Status> {
        let manager = managed_fields::manager_name(&req.field_manager, &req.user_agent);
        if manager.is_empty()
            || !new.is_object()
            || new.get("metadata").is_some_and(|m| !m.is_object())
        {
            return Ok(());
        }
        let mf = match config {
            Some(c) => managed_fields::apply_for(
                schema,
                live,
                c,
                new,
                &manager,
                &req.subresource,
                req.force.unwrap_or(false),
                self.now(),
            )?,
            None => managed_fields::update_for(
                schema,
                live,
                new,
                &manager,
                &req.subresource,
                self.now(),
            ),
        };
        set_meta(new, "managedFields", mf);
        Ok(())
    }

    /// A PUT body's `metadata.uid` is a precondition (`defaultUpdatedObjectInfo.Preconditions`)
    /// that the storage checks before anything else of the update — against an empty object
    /// when there is none: 409 `Operation cannot be fulfilled on <gr> "<name>": StorageError:
    /// invalid object, Code: 4, Key: /registry/<resource>/<name>, ResourceVersion: 0,
    /// AdditionalErrorMsg: Precondition failed: UID in precondition: <uid>, UID in object meta:
    /// <stored uid>`. The body's decode and name errors come first.
    fn update_uid_precondition(
        &self,
        info: &ResourceInfo,
        ns: &str,
        name: &str,
        body: &Value,
    ) -> Result<(), Status> {
        let want = meta_str(body, "uid");
        if want.is_empty() || !body.is_object() {
            return Ok(());
        }
        check_type_meta(info, body)?;
        check_body_name(meta_str(body, "name"), name)?;
        let stored = if info.resource == "certificatesigningrequests" {
            self.csr_arc(name).map(|c| c.metadata.uid.clone())
        } else {
            self.stored_value(&store::key(info.group, info.resource, ns, name))
                .map(|o| meta_str(&o, "uid").to_string())
        }
        .unwrap_or_default();
        if want == stored {
            return Ok(());
        }
        // The etcd key: `/registry/` + the resource prefix (+ namespace) + name.
        let key = if info.namespaced {
            format!("/registry/{}/{ns}/{name}", info.resource)
        } else {
            format!("/registry/{}/{name}", info.resource)
        };
        Err(Status::conflict(
            &gr(info),
            name,
            &format!("StorageError: invalid object, Code: 4, Key: {key}, ResourceVersion: 0, AdditionalErrorMsg: Precondition failed: UID in precondition: {want}, UID in object meta: {stored}"),
        ))
    }

    #[allow(clippy::too_many_arguments)]
    fn update(
        &mut self,
        who: &Identity,
        info: &ResourceInfo,
        ns: &str,
        name: &str,
        sub: &str,
        body: UpdateBody,
        dry_run: bool,
        render: bool,
    ) -> Result<Value, Status> {
        let body = match body {
            UpdateBody::Csr(csr) => {
                return self.update_csr(who, info, name, sub, UpdateBody::Csr(csr), dry_run, render)
            }
            UpdateBody::Value(v) => v,
        };
        if !body.is_object() {
            return Err(Status::bad_request(
                "the body of the request must be a JSON object",
            ));
        }
        check_type_meta(info, &body)?;
        csr_metadata_decodes(info, &body)?;
        check_body_name(meta_str(&body, "name"), name)?;
        if info.namespaced {
            let bns = meta_str(&body, "namespace");
            if !bns.is_empty() && bns != ns {
                return Err(Status::bad_request("the namespace of the provided object does not match the namespace sent on the request"));
            }
        }
        if info.resource == "certificatesigningrequests" {
            return self.update_csr(
                who,
                info,
                name,
                sub,
                UpdateBody::Value(body),
                dry_run,
                render,
            );
        }
        let key = store::key(info.group, info.resource, ns, name);
        let old: Value = self
            .stored_value(&key)
            .ok_or_else(|| Status::not_found(&gr(info), name))?;
        // Mutating admission (NodeRestriction) runs in `UpdatedObject`, before the
        // resourceVersion is compared.
        admission::node_restriction::admit_node_identity(who, &gr(info), name)?;
        let old_rv = meta_str(&old, "resourceVersion").to_string();
        check_update_rv(info, name, meta_str(&body, "resourceVersion"), &old_rv)?;
        // rest.BeforeUpdate: system fields come from the old object.
        let mut obj = body;
        crate::validation::meta::replace_undecodable_managed_fields(&mut obj, Some(&old));
        obj["apiVersion"] = json!(info.api_version());
        obj["kind"] = json!(info.kind);
        if info.namespaced {
            set_meta(&mut obj, "namespace", json!(ns));
            // NamespaceLifecycle admission: no content in a namespace that does not exist.
            if !self.store.contains(&store::key("", "namespaces", "", ns)) {
                return Err(Status::not_found(&GroupResource::new("", "namespaces"), ns));
            }
        } else {
            set_meta(&mut obj, "namespace", Value::Null);
        }
        if meta_str(&obj, "uid").is_empty() {
            set_meta(&mut obj, "uid", json!(meta_str(&old, "uid")));
        }
        let old_meta = |f: &str| {
            old.get("metadata")
                .and_then(|m| m.get(f))
                .cloned()
                .unwrap_or(Value::Null)
        };
        for f in ["creationTimestamp", "generation"] {
            set_meta(&mut obj, f, old_meta(f));
        }
        // An update never removes or changes a deletion timestamp or grace period, but
        // one the object does not have is the client's (and immutable: 422).
        for f in ["deletionTimestamp", "deletionGracePeriodSeconds"] {
            let new_is_null = obj
                .get("metadata")
                .and_then(|m| m.get(f))
                .is_none_or(Value::is_null);
            if !old_meta(f).is_null() && (f == "deletionTimestamp" || new_is_null) {
                set_meta(&mut obj, f, old_meta(f));
            }
        }
        set_meta(&mut obj, "resourceVersion", json!(old_rv));
        let obj = self.update_generic_checks(who, info, sub, &old, obj)?;
        if obj == old {
            return Ok(old); // no-op update: no write, no event (etcd3 GuaranteedUpdate)
        }
        if dry_run {
            return Ok(reorder_type_meta(obj));
        }
        // Finalizers gone on an object being deleted: the delete completes.
        let deleting = obj
            .get("metadata")
            .and_then(|m| m.get("deletionTimestamp"))
            .is_some_and(|v| !v.is_null());
        let finalizers_empty = obj
            .get("metadata")
            .and_then(|m| m.get("finalizers"))
            .and_then(|f| f.as_array())
            .is_none_or(|a| a.is_empty());
        // `ShouldDeleteNamespaceDuringUpdate`: a namespace also needs `spec.finalizers` empty.
        let spec_finalizers_left = info.resource == "namespaces"
            && obj["spec"]["finalizers"]
                .as_array()
                .is_some_and(|a| !a.is_empty());
        if deleting && finalizers_empty && !spec_finalizers_left {
            // `deleteWithoutFinalizers`: the stored object is deleted (the watch's DELETED
            // event shows it, finalizers and all); the answer is the updated object.
            self.remove(info, &key, old)?;
            return Ok(obj);
        }
        let terminating = info.resource == "namespaces" && deleting;
        let written = self.write(info, &key, obj)?;
        if terminating {
            // The namespace controller looks again (its finalizer may be gone by `/finalize`).
            self.queue_namespace(name);
        }
        Ok(written)
    }

    /// A CSR update (main resource, `/approval` or `/status`): the old object from
    /// [`CsrCache`], the new one typed from the body, no JSON round trip on the way to the
    /// store. The same checks in the same order as [`Cluster::update`] for other kinds.
    #[allow(clippy::too_many_arguments)]
    fn update_csr(
        &mut self,
        who: &Identity,
        info: &ResourceInfo,
        name: &str,
        sub: &str,
        body: UpdateBody,
        dry_run: bool,
        render: bool,
    ) -> Result<Value, Status> {
        if let UpdateBody::Csr(c) = &body {
            // The checks `update` makes on a JSON body, on the typed one.
            check_type_meta_of(info, &c.api_version, &c.kind)?;
            check_body_name(&c.metadata.name, name)?;
        }
        let key = Self::csr_key(name);
        let old = self
            .csr_arc(name)
            .ok_or_else(|| Status::not_found(&gr(info), name))?;
        admission::node_restriction::admit_node_identity(who, &gr(info), name)?;
        let old_rv = old.metadata.resource_version.clone();
        let new_rv = match &body {
            UpdateBody::Value(v) => meta_str(v, "resourceVersion"),
            UpdateBody::Csr(c) => &c.metadata.resource_version,
        };
        check_update_rv(info, name, new_rv, &old_rv)?;
        // rest.BeforeUpdate: system fields come from the old object.
        let om = &old.metadata;
        let mut new = match body {
            UpdateBody::Value(mut obj) => {
                obj["apiVersion"] = json!(info.api_version());
                obj["kind"] = json!(info.kind);
                set_meta(&mut obj, "namespace", Value::Null);
                if meta_str(&obj, "uid").is_empty() {
                    set_meta(&mut obj, "uid", json!(om.uid));
                }
                set_meta(
                    &mut obj,
                    "creationTimestamp",
                    to_value(&om.creation_timestamp),
                );
                // An update never removes or changes a deletion timestamp or grace period;
                // one the object does not have is the client's (immutable: 422).
                if om.deletion_timestamp.is_some() {
                    set_meta(
                        &mut obj,
                        "deletionTimestamp",
                        to_value(&om.deletion_timestamp),
                    );
                }
                let grace_is_null = obj
                    .get("metadata")
                    .and_then(|m| m.get("deletionGracePeriodSeconds"))
                    .is_none_or(Value::is_null);
                if om.deletion_grace_period_seconds.is_some() && grace_is_null {
                    set_meta(
                        &mut obj,
                        "deletionGracePeriodSeconds",
                        to_value(&om.deletion_grace_period_seconds),
                    );
                }
                set_meta(&mut obj, "generation", to_value(&om.generation));
                set_meta(&mut obj, "resourceVersion", json!(old_rv));
                csr_strategy::decode_body(&obj)?
            }
            UpdateBody::Csr(c) => {
                let mut c = *c;
                c.api_version = info.api_version();
                c.kind = info.kind.to_string();
                c.metadata.namespace.clear();
                if c.metadata.uid.is_empty() {
                    c.metadata.uid = om.uid.clone();
                }
                c.metadata.creation_timestamp = om.creation_timestamp;
                if om.deletion_timestamp.is_some() {
                    c.metadata.deletion_timestamp = om.deletion_timestamp;
                }
                if c.metadata.deletion_grace_period_seconds.is_none() {
                    c.metadata.deletion_grace_period_seconds = om.deletion_grace_period_seconds;
                }
                c.metadata.generation = om.generation;
                c.metadata.resource_version = old_rv;
                c
            }
        };
        self.update_csr_checks(who, &old, &mut new, sub)?;
        if new == *old {
            // no-op update: no write, no event (etcd3 GuaranteedUpdate)
            return Ok(if render { to_value(&*old) } else { Value::Null });
        }
        if dry_run {
            return Ok(to_value(&new));
        }
        // Finalizers gone on an object being deleted: the delete completes.
        if new.metadata.deletion_timestamp.is_some() && new.metadata.finalizers.is_empty() {
            // `deleteWithoutFinalizers`: the stored object is deleted (the watch's DELETED
            // event shows it, finalizers and all); the answer is the updated object.
            self.remove_csr(info, &key, &old, true)?;
            return Ok(to_value(&new));
        }
        // The status-update metrics, counted once the write succeeds; the written object
        // differs from `new` only in its resourceVersion, which they do not read.
        let observed = if sub == "status" {
            crate::registry::metrics::observe(&old, &new)
        } else {
            Vec::new()
        };
        let written = self.write_csr(info, &key, new, render)?;
        for k in observed {
            *self.metrics.entry(k).or_default() += 1;
        }
        Ok(written)
    }

    /// Store a CSR: serialized straight from the typed object, remembered in [`CsrCache`].
    fn write_csr(
        &mut self,
        info: &ResourceInfo,
        key: &str,
        mut csr: CertificateSigningRequest,
        render: bool,
    ) -> Result<Value, Status> {
        csr.metadata.resource_version = self.store.next_rv().to_string();
        let (rv, t) = self.put_json(key, &csr)?;
        let name = key.rsplit('/').next().unwrap_or("").to_string();
        if csr.metadata.deletion_timestamp.is_some()
            && deletion::has_collector_finalizer(&csr.metadata.finalizers)
        {
            self.gc_queue
                .push_back((info_csr(), String::new(), csr.metadata.name.clone()));
        }
        let csr = Arc::new(csr);
        if let Some(b) = self.store.get(key) {
            self.csr_cache
                .get_mut()
                .insert(&name, b.clone(), csr.clone(), true);
        }
        if self.trace.enabled() {
            let f = json!({"type": t.as_str(), "resource": info.resource, "name": name, "rv": rv,
                "condition": csr.display_condition()});
            self.trace("write", f);
        }
        self.notify_csr(&name);
        Ok(if render { to_value(&*csr) } else { Value::Null })
    }

    /// Delete a CSR; its DELETED event shows `csr` stamped with the deletion's
    /// resourceVersion. When `csr` is the stored object itself (`is_stored`), that event's
    /// bytes are the stored bytes with the new resourceVersion spliced in, not a fresh
    /// serialization (2.5 % of a fleet run went to cloning and re-serializing the object).
    fn remove_csr(
        &mut self,
        info: &ResourceInfo,
        key: &str,
        csr: &CertificateSigningRequest,
        is_stored: bool,
    ) -> Result<(), Status> {
        let next = self.store.next_rv();
        let spliced = if is_stored {
            self.store
                .get(key)
                .and_then(|b| with_resource_version(b, &csr.metadata.resource_version, next))
        } else {
            None
        };
        let serialize = || {
            let mut last = csr.clone();
            last.metadata.resource_version = next.to_string();
            to_json_exact(&last)
        };
        let bytes = match spliced {
            Some(b) => {
                debug_assert_eq!(
                    String::from_utf8_lossy(&b),
                    String::from_utf8_lossy(&serialize()?),
                    "spliced DELETED event differs from the serialized object"
                );
                b
            }
            None => serialize()?,
        };
        let rv = self
            .store
            .delete(key, bytes, self.clock_ms)
            .map_err(|e| Status::internal(format!("storage error: {e}")))?;
        self.csr_cache
            .get_mut()
            .map
            .remove(key.rsplit('/').next().unwrap_or(""));
        self.after_write(info, key, None, EventType::Deleted, rv);
        Ok(())
    }

    /// The registry's CSR duration counters in Prometheus text format (for `/metrics`).
    pub fn metrics_text(&self) -> String {
        crate::registry::metrics::render(&self.metrics)
    }

    /// Strategy (PrepareForUpdate of the subresource), validation and admission of a CSR update.
    fn update_csr_checks(
        &mut self,
        who: &Identity,
        old: &CertificateSigningRequest,
        new: &mut CertificateSigningRequest,
        sub: &str,
    ) -> Result<(), Status> {
        let now = self.now();
        let path = match sub {
            "status" => {
                csr_strategy::prepare_for_status_update(new, old, now);
                UpdatePath::Status
            }
            "approval" => {
                csr_strategy::prepare_for_approval_update(new, old, now);
                UpdatePath::Approval
            }
            _ => {
                csr_strategy::prepare_for_update(new, old);
                UpdatePath::Main
            }
        };
        // `rest.BeforeUpdate`: the common ObjectMeta validation of every kind
        // (`validateCommonFields`: create rules with path-segment names, then the update
        // rules), then the strategy's, which repeats the ObjectMeta rules for a CSR.
        let name = &new.metadata.name;
        let mut errs: Vec<FieldError> = names::path_segment_name(name)
            .into_iter()
            .map(|m| FieldError::invalid("metadata.name", name, m))
            .collect();
        errs.extend(crate::validation::meta::validate_object_meta(
            &new.metadata,
            false,
        ));
        errs.extend(crate::validation::meta::validate_object_meta_update(
            &new.metadata,
            &old.metadata,
        ));
        errs.extend(csr_validation::validate_update(new, old, path));
        if !errs.is_empty() {
            return Err(Status::invalid(
                crate::api::csr::KIND,
                crate::api::csr::GROUP,
                &new.metadata.name,
                &errs,
            ));
        }
        let rbac = &self.rbac;
        // Admission asks only whether: the reasons are not built.
        let authz = |a: &Attributes| {
            if rbac.allows(a) {
                crate::auth::Decision::Allow(String::new())
            } else {
                crate::auth::Decision::NoOpinion(String::new())
            }
        };
        match path {
            UpdatePath::Approval => admission::approval::admit(&authz, who, old)?,
            UpdatePath::Status => admission::signing::admit(&authz, who, old, new)?,
            UpdatePath::Main => {}
        }
        Ok(())
    }

    fn update_generic_checks(
        &mut self,
        who: &Identity,
        info: &ResourceInfo,
        sub: &str,
        old: &Value,
        mut obj: Value,
    ) -> Result<Value, Status> {
        use crate::validation::meta::{validate_object_meta, validate_object_meta_update};
        let name = meta_str(&obj, "name").to_string();
        let mut errs = Vec::new();
        let meta_of = |v: &Value| {
            serde_json::from_value::<crate::api::ObjectMeta>(v["metadata"].clone()).ok()
        };
        if let (Some(new_meta), Some(old_meta)) = (meta_of(&obj), meta_of(old)) {
            // `rest.BeforeUpdate`'s `validateCommonFields` for every kind: the create rules
            // of ObjectMeta with path-segment names, then the update rules.
            errs.extend(
                names::path_segment_name(&new_meta.name)
                    .into_iter()
                    .map(|m| FieldError::invalid("metadata.name", &new_meta.name, m)),
            );
            errs.extend(validate_object_meta(&new_meta, info.namespaced));
            errs.extend(validate_object_meta_update(&new_meta, &old_meta));
            // The strategy's own ObjectMeta rules: RBAC kinds and secrets validate the new
            // object as on create, then the update rules; a namespace only the update rules.
            if info.resource != "namespaces" {
                errs.extend(validate_object_meta(&new_meta, info.namespaced));
            }
            set_v1_defaults(info, &mut obj);
            errs.extend(crate::validation::rbac::validate(info.resource, &obj));
            errs.extend(validate_object_meta_update(&new_meta, &old_meta));
            errs.extend(crate::validation::rbac::validate_update(
                info.resource,
                &obj,
                old,
            ));
        }
        if info.resource == "secrets" {
            normalize_secret(&mut obj, &mut errs);
            let ot = old.get("type").and_then(|t| t.as_str()).unwrap_or("Opaque");
            let nt = obj.get("type").and_then(|t| t.as_str()).unwrap_or("Opaque");
            if ot != nt {
                errs.push(FieldError::invalid("type", nt, "field is immutable"));
            }
            // `ValidateSecretUpdate`: an immutable secret stays immutable, its data unchanged.
            if old.get("immutable") == Some(&json!(true)) {
                if obj.get("immutable") != Some(&json!(true)) {
                    errs.push(FieldError::forbidden(
                        "immutable",
                        "field is immutable when `immutable` is set",
                    ));
                }
                let data = |v: &Value| v.get("data").cloned().filter(|d| !d.is_null());
                let empty = |d: &Option<Value>| {
                    d.as_ref()
                        .and_then(Value::as_object)
                        .is_none_or(|m| m.is_empty())
                };
                let (nd, od) = (data(&obj), data(old));
                if nd != od && !(empty(&nd) && empty(&od)) {
                    errs.push(FieldError::forbidden(
                        "data",
                        "field is immutable when `immutable` is set",
                    ));
                }
            }
            errs.extend(validate_secret(&obj));
        }
        if info.resource == "namespaces" {
            let old_status = || {
                old.get("status")
                    .cloned()
                    .unwrap_or(json!({"phase": "Active"}))
            };
            // The three strategies' `PrepareForUpdate`: the main resource keeps the old
            // `spec.finalizers` and status, `/status` the old spec, `/finalize` the old status.
            match sub {
                "status" => {
                    match old.get("spec") {
                        Some(spec) => obj["spec"] = spec.clone(),
                        None => {
                            if let Some(o) = obj.as_object_mut() {
                                o.shift_remove("spec");
                            }
                        }
                    }
                    errs.extend(validate_namespace_phase(&obj));
                }
                "finalize" => {
                    obj["status"] = old_status();
                    errs.extend(validate_namespace_finalizers(&obj));
                }
                _ => {
                    obj["status"] = old_status();
                    let kept = old["spec"].get("finalizers").cloned();
                    if !obj["spec"].is_object() {
                        obj["spec"] = json!({});
                    }
                    match kept {
                        Some(f) => obj["spec"]["finalizers"] = f,
                        None => {
                            if let Some(spec) = obj["spec"].as_object_mut() {
                                spec.shift_remove("finalizers");
                            }
                        }
                    }
                }
            }
        }
        if !errs.is_empty() {
            return Err(Status::invalid(info.kind, info.group, &name, &errs));
        }
        self.check_rbac_escalation(who, info, &obj, Some(old))?;
        Ok(obj)
    }

    fn delete(
        &mut self,
        who: &Identity,
        info: &ResourceInfo,
        ns: &str,
        req: &ApiRequest,
    ) -> Result<Value, Status> {
        if info.resource == "certificatesigningrequests" {
            return self.delete_csr(who, info, req);
        }
        let name = req.name.as_str();
        let key = store::key(info.group, info.resource, ns, name);
        let obj: Value = self
            .stored_value(&key)
            .ok_or_else(|| Status::not_found(&gr(info), name))?;
        let uid = meta_str(&obj, "uid").to_string();
        if info.resource == "namespaces" {
            namespace_preconditions(
                info,
                name,
                req.preconditions.as_ref(),
                &uid,
                meta_str(&obj, "resourceVersion"),
            )?;
        } else {
            check_preconditions(
                info,
                name,
                req.preconditions.as_ref(),
                &uid,
                meta_str(&obj, "resourceVersion"),
            )?;
        }
        // NamespaceLifecycle admission: the immortal namespaces may not be deleted.
        if info.resource == "namespaces" && IMMORTAL_NAMESPACES.contains(&name) {
            return Err(Status::forbidden(
                &gr(info),
                name,
                "this namespace may not be deleted",
            ));
        }
        // NodeRestriction: the delete's admission, after the preconditions.
        admission::node_restriction::admit_node_identity(who, &gr(info), name)?;
        if info.resource == "namespaces" {
            if let Some(answer) = self.delete_namespace(info, &key, &obj, req)? {
                return Ok(answer);
            }
        }
        // `updateForGracefulDeletionAndFinalizers`: the garbage collector's finalizers as the
        // options ask; with finalizers left the object is only marked as being deleted.
        let finalizers: Vec<String> = obj
            .get("metadata")
            .and_then(|m| m.get("finalizers"))
            .and_then(|f| f.as_array())
            .map(|a| {
                a.iter()
                    .map(|x| x.as_str().unwrap_or_default().to_string())
                    .collect()
            })
            .unwrap_or_default();
        let gc = deletion::gc_finalizers(&finalizers, req.gc_options());
        let left = gc.as_ref().unwrap_or(&finalizers);
        if !left.is_empty() {
            let mut new = obj.clone();
            if let Some(f) = &gc {
                set_meta(&mut new, "finalizers", json!(f));
            }
            if new["metadata"]
                .get("deletionTimestamp")
                .is_none_or(|v| v.is_null())
            {
                set_meta(&mut new, "deletionTimestamp", json!(self.now()));
                let generation = new["metadata"]["generation"].as_i64().unwrap_or(0);
                if generation > 0 {
                    set_meta(&mut new, "generation", json!(generation + 1));
                }
            }
            set_meta(&mut new, "deletionGracePeriodSeconds", json!(0));
            if new == obj || req.dry_run {
                return Ok(new); // no-op update (etcd3 GuaranteedUpdate), or a dry run
            }
            return self.write(info, &key, new);
        }
        if req.dry_run {
            return Ok(
                serde_json::to_value(Status::success(&gr(info), name, info.resource, &uid))
                    .expect("status"),
            );
        }
        // Deleted now: the watch shows the stored state (finalizers the options emptied
        // included).
        self.remove(info, &key, obj)?;
        Ok(
            serde_json::to_value(Status::success(&gr(info), name, info.resource, &uid))
                .expect("status"),
        )
    }

    /// [`Cluster::delete`] for a CSR, from the typed object in [`CsrCache`].
    fn delete_csr(
        &mut self,
        who: &Identity,
        info: &ResourceInfo,
        req: &ApiRequest,
    ) -> Result<Value, Status> {
        let name = req.name.as_str();
        let key = Self::csr_key(name);
        let old = self
            .csr_arc(name)
            .ok_or_else(|| Status::not_found(&gr(info), name))?;
        let uid = old.metadata.uid.as_str();
        check_preconditions(
            info,
            name,
            req.preconditions.as_ref(),
            uid,
            &old.metadata.resource_version,
        )?;
        admission::node_restriction::admit_node_identity(who, &gr(info), name)?;
        let success = || {
            serde_json::to_value(Status::success(&gr(info), name, info.resource, uid))
                .expect("status")
        };
        let gc = deletion::gc_finalizers(&old.metadata.finalizers, req.gc_options());
        let left = gc.as_ref().unwrap_or(&old.metadata.finalizers);
        if !left.is_empty() {
            let mut c = (*old).clone();
            if let Some(f) = gc {
                c.metadata.finalizers = f;
            }
            if c.metadata.deletion_timestamp.is_none() {
                c.metadata.deletion_timestamp = Some(self.now());
                if let Some(g) = c.metadata.generation.filter(|g| *g > 0) {
                    c.metadata.generation = Some(g + 1);
                }
            }
            c.metadata.deletion_grace_period_seconds = Some(0);
            if c == *old || req.dry_run {
                return Ok(to_value(&c)); // no-op update, or a dry run
            }
            return self.write_csr(info, &key, c, !req.discard_object);
        }
        if req.dry_run {
            return Ok(success());
        }
        self.remove_csr(info, &key, &old, true)?;
        Ok(if req.discard_object {
            Value::Null
        } else {
            success()
        })
    }

    fn remove(&mut self, info: &ResourceInfo, key: &str, mut obj: Value) -> Result<(), Status> {
        let rv = self.store.next_rv();
        set_meta(&mut obj, "resourceVersion", json!(rv.to_string()));
        let rv = self.delete_json(key, &obj)?;
        self.after_write(info, key, None, EventType::Deleted, rv);
        // The last object with finalizers of a terminating namespace gone: the namespace
        // controller looks again.
        if info.namespaced {
            let ns = meta_str(&obj, "namespace").to_string();
            if !obj["metadata"]["deletionTimestamp"].is_null() && self.namespace_terminating(&ns) {
                self.queue_namespace(&ns);
            }
        }
        Ok(())
    }
}

/// Whether a body's own `managedFields` fail `ValidateManagedFields`: validation then answers
/// 422 about them, as it does for CSRs, so the field manager's entries must not replace them.
fn sent_managed_fields_invalid(body: &Value) -> bool {
    let Some(a) = body["metadata"]["managedFields"].as_array() else {
        return false;
    };
    let mf = ManagedFields::from_json(a.clone());
    !crate::validation::meta::validate_managed_fields(&mf).is_empty()
}

/// The v1 defaults the codec applies as it decodes a body: the RBAC group of bindings and
/// subjects, and the namespace name label.
fn set_v1_defaults(info: &ResourceInfo, obj: &mut Value) {
    crate::validation::rbac::set_defaults(info.resource, obj);
    default_namespace_label(info, obj);
    decode_secret(info, obj);
    default_namespace_phase(info, obj);
}

/// Put `apiVersion`, `kind`, `metadata` first (as Go's struct order does).
fn reorder_type_meta(v: Value) -> Value {
    let Value::Object(mut m) = v else { return v };
    // Go's struct field order: TypeMeta, ObjectMeta, then the kind's own fields.
    let own: &[&str] = match m.get("kind").and_then(Value::as_str) {
        Some("Namespace") => &["spec", "status"],
        Some("Secret") => &["immutable", "data", "stringData", "type"],
        Some("Role") => &["rules"],
        Some("ClusterRole") => &["rules", "aggregationRule"],
        Some("RoleBinding" | "ClusterRoleBinding") => &["subjects", "roleRef"],
        _ => &[],
    };
    // `Rules []PolicyRule json:"rules"` has no omitempty: a role without rules says `null`.
    if own.first() == Some(&"rules") && !m.contains_key("rules") {
        m.insert("rules".into(), Value::Null);
    }
    let mut out = serde_json::Map::new();
    for k in ["kind", "apiVersion", "metadata"].iter().chain(own) {
        if let Some(mut x) = m.remove(*k) {
            if *k == "metadata" {
                x = reorder_object_meta(x);
            }
            out.insert(k.to_string(), x);
        }
    }
    for (k, x) in m {
        out.insert(k, x);
    }
    Value::Object(out)
}

/// ObjectMeta as Go writes it: its fields in struct order, label and annotation keys sorted
/// (`encoding/json` sorts map keys).
fn reorder_object_meta(v: Value) -> Value {
    const ORDER: [&str; 15] = [
        "name",
        "generateName",
        "namespace",
        "selfLink",
        "uid",
        "resourceVersion",
        "generation",
        "creationTimestamp",
        "deletionTimestamp",
        "deletionGracePeriodSeconds",
        "labels",
        "annotations",
        "ownerReferences",
        "finalizers",
        "managedFields",
    ];
    let Value::Object(mut m) = v else { return v };
    let mut out = serde_json::Map::new();
    for k in ORDER {
        if let Some(mut x) = m.remove(k) {
            if let (true, Value::Object(map)) = (k == "labels" || k == "annotations", &mut x) {
                map.sort_keys();
            }
            out.insert(k.to_string(), x);
        }
    }
    for (k, x) in m {
        out.insert(k, x);
    }
    Value::Object(out)
}

/// A resourceVersion as the etcd3 versioner reads it (`strconv.ParseUint(s, 10, 64)`).
fn parse_rv(s: &str) -> Option<u64> {
    crate::api::gostrconv::parse_uint(s).ok()
}

/// Go's `strconv.ParseUint` error text for a resourceVersion [`parse_rv`] refuses.
fn parse_uint_error(s: &str) -> String {
    crate::api::gostrconv::parse_uint(s)
        .err()
        .unwrap_or_default()
}

/// `APIObjectVersioner.ParseResourceVersion`'s error: a storage `InvalidError` on
/// `resourceVersion` (`resourceVersion: Invalid value: "abc": strconv.ParseUint: …`).
fn parse_rv_invalid_error(s: &str) -> String {
    format!(
        "resourceVersion: Invalid value: {}: {}",
        crate::validation::field::quote(s),
        parse_uint_error(s)
    )
}

/// A resourceVersion the watch cache cannot read (`CacheDelegator.Get`, `GetList` served from
/// the cache, `Cacher.Watch`): the storage error comes back as is, which the handler answers
/// as a 500 of unknown reason.
fn unparsable_rv_from_cache(s: &str) -> Status {
    Status::failure(500, "", parse_rv_invalid_error(s))
}

/// A resourceVersion the etcd3 store cannot read (a list it serves: `Exact`, the legacy exact
/// read with a limit): `store.GetList`'s 400 `invalid resource version: <storage error>`.
fn unparsable_rv_from_etcd(s: &str) -> Status {
    Status::bad_request(format!(
        "invalid resource version: {}",
        parse_rv_invalid_error(s)
    ))
}

/// storage `NewTooLargeResourceVersionError`: 504 `Timeout: Too large resource version: <rv>,
/// current: <current>`, cause `ResourceVersionTooLarge`.
fn too_large_resource_version(rv: u64, current: u64) -> Status {
    let mut st = Status::failure(
        504,
        "Timeout",
        format!("Timeout: Too large resource version: {rv}, current: {current}"),
    );
    st.details = Some(crate::api::status::StatusDetails {
        causes: vec![crate::api::status::StatusCause {
            reason: "ResourceVersionTooLarge".into(),
            message: "Too large resource version".into(),
            field: String::new(),
        }],
        retry_after_seconds: Some(1),
        ..Default::default()
    });
    st
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The splice finds metadata's resourceVersion even when a name, a label or an
    /// annotation spells the same text, and refuses when the field is not the expected one.
    #[test]
    fn resource_version_splice_matches_reserialization() {
        let mut c = CertificateSigningRequest {
            kind: "CertificateSigningRequest".into(),
            api_version: "certificates.k8s.io/v1".into(),
            ..Default::default()
        };
        c.metadata.name = r#"x"resourceVersion":"7"#.into();
        c.metadata.resource_version = "7".into();
        c.metadata
            .annotations
            .insert("resourceVersion".into(), "7".into());
        c.metadata
            .labels
            .insert("resourceVersion".into(), "7".into());
        let stored = to_json_exact(&c).unwrap();
        let spliced = with_resource_version(&stored, "7", 12345).expect("found");
        c.metadata.resource_version = "12345".into();
        assert_eq!(
            String::from_utf8(spliced).unwrap(),
            String::from_utf8(to_json_exact(&c).unwrap()).unwrap()
        );
        // Not the value the object holds, a prefix of it, or no resourceVersion: refused.
        assert_eq!(with_resource_version(&stored, "8", 9), None);
        assert_eq!(with_resource_version(&stored, "", 9), None);
        let long = br#"{"metadata":{"resourceVersion":"77"}}"#;
        assert_eq!(with_resource_version(long, "7", 9), None);
        assert_eq!(with_resource_version(br#"{"metadata":{}}"#, "7", 9), None);
    }
}
