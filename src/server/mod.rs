//! `csrsim serve`: a kubectl-compatible HTTPS API server in front of one [`Cluster`].
//!
//! The server only translates HTTP to `Cluster` calls: TLS and authentication ([`tls`],
//! [`auth`]), URL routing and discovery ([`routing`]), body decoding and Tables
//! ([`negotiation`], [`protobuf`]), watches ([`watch`]), the admin kubeconfig
//! ([`kubeconfig`]) and the simulator clock endpoint (`/sim/v1/clock`).
//!
//! This is an edge module: it reads the wall clock (request latency, `--clock real`).
//!
//! # Embedding (tests)
//! ```no_run
//! use csrsim::server::{ServeArgs, TestServer};
//! let srv = TestServer::start(ServeArgs::for_tests()).unwrap();
//! // point kubectl or a client at srv.kubeconfig_path / srv.url
//! srv.advance(std::time::Duration::from_secs(3600)); // move the virtual clock
//! // the server stops when `srv` is dropped
//! ```
#![allow(clippy::disallowed_methods)] // edge module: wall clock for latency and --clock real

pub mod auth;
pub mod deadline;
pub mod durability;
pub mod health;
pub mod idle;
pub mod kubeconfig;
pub mod negotiation;
pub mod openapi;
pub mod openapi_schemas;
pub mod openapi_v2;
pub mod protobuf;
pub mod routing;
pub mod tls;
pub mod watch;

use crate::api::{Status, Time};
use crate::auth::Identity;
use crate::sim::{ApiRequest, ApiResponse, Cluster, Config, Verb};
use bytes::Bytes;
use durability::Durability;
use http_body_util::{combinators::BoxBody, BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response};
use routing::Route;
use serde_json::{json, Value};
use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The Kubernetes version whose semantics csrsim emulates, as `/version` reports it. The
/// google-cloud-sdk kubectl dispatcher runs `kubectl.1.<minor>` for this minor.
pub const KUBE_MAJOR: &str = "1";
pub const KUBE_MINOR: &str = "33";
/// How yaml.v2 starts the error listing its unmarshal errors (one `line N: …` per line after
/// it, each indented two spaces).
const YAML_UNMARSHAL_ERRORS: &str = "yaml: unmarshal errors:\n  ";

pub const KUBE_GIT_VERSION: &str = "v1.33.0";
/// Real-clock mode: how often virtual time catches up with the wall clock.
pub const REAL_CLOCK_TICK: Duration = Duration::from_millis(100);
/// Real-clock mode with a data dir, while virtual time is ahead of where a restart would
/// begin (after a warp, or with `--start-time`): the clock's record is written this far
/// ahead of virtual time (a lease), so that a restart, even after a crash, never resumes
/// before a time the server has shown (it may resume up to this much later)...
pub const CLOCK_LEASE: Duration = Duration::from_secs(60);
/// ... and renewed when less than this is left: one record a minute at most while idle,
/// none at all while virtual time follows the wall clock (a restart begins at the wall clock).
pub const CLOCK_LEASE_RENEW: Duration = Duration::from_secs(10);
/// Default cap on open client connections; further connections are closed at accept.
pub const DEFAULT_MAX_CONNECTIONS: usize = 4096;
/// kube-apiserver's `ReadHeaderTimeout` (`SecureServingInfo.Serve`, 32 s, "just shy of
/// requestTimeoutUpperBound"). Go's server also bounds the TLS handshake by it
/// (`tlsHandshakeTimeout`: the smallest of its read/header/write timeouts): a connection
/// whose handshake has not finished by then is closed.
pub const TLS_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(32);
/// kube-apiserver's `ReadHeaderTimeout` again, for HTTP/1.1 heads: the first must be
/// complete this long after the handshake, a later one this long after its first byte
/// (`idle.rs`); a connection whose head is late is closed.
pub const HTTP1_HEAD_TIMEOUT: Duration = Duration::from_secs(32);
/// kube-apiserver's `IdleTimeout`: a connection (HTTP/1.1 or HTTP/2) with no request in
/// flight for this long is shut down gracefully — an HTTP/2 one with a GOAWAY, one still
/// silent after its handshake at once (`idle.rs`).
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(90);
/// Go's HTTP/2 server (`golang.org/x/net/http2`, `prefaceTimeout`): a connection that agreed
/// on `h2` and has not sent the client preface this long after the handshake is closed.
pub const HTTP2_PREFACE_TIMEOUT: Duration = Duration::from_secs(10);
/// Go's `net/http` reads a request head of up to `MaxHeaderBytes` (kube-apiserver: 1 MiB)
/// plus 4,096 bytes of slack (`initialReadLimitSize`); a longer one is a 431.
pub const HTTP1_MAX_HEAD_BYTES: usize = (1 << 20) + 4096;
/// Go's HTTP/2 server takes request headers up to `MaxHeaderBytes` (1 MiB) plus 32 bytes for
/// each of "10 typical" fields (`maxHeaderListSize`, `adjustHTTP1MaxHeaderSize`): the same
/// requests HTTP/1.1 takes (hyper's own default is 16 KiB).
pub const HTTP2_MAX_HEADER_LIST_SIZE: u32 = (1 << 20) + 10 * 32;
/// Go limits a head by bytes only; hyper also counts its header lines (100 by default, a
/// 431 beyond). 1,024 lines of at least a few bytes each: far more than any client sends.
pub const HTTP1_MAX_HEADERS: usize = 1024;
/// Room in the HTTP/1.1 read buffer past a head of the largest size.
const HTTP1_READ_SLACK: usize = 8192;
/// How long a connection being shut down for idleness may take to close before it is dropped.
const IDLE_SHUTDOWN_GRACE: Duration = Duration::from_secs(5);
/// What Go's `net/http` writes, then closes, when the first record of a TLS connection is a
/// plain HTTP request (`conn.serve`); kubectl shows its body.
const PLAIN_HTTP_ANSWER: &[u8] =
    b"HTTP/1.0 400 Bad Request\r\n\r\nClient sent an HTTP request to an HTTPS server.\n";
/// `tlsRecordHeaderLooksLikeHTTP`: the five first bytes Go answers that way (any other
/// non-TLS start is closed without an answer).
const PLAIN_HTTP_STARTS: [&[u8; 5]; 5] = [b"GET /", b"HEAD ", b"POST ", b"PUT /", b"OPTIO"];
/// The TLS record type a ClientHello comes in (handshake).
const TLS_HANDSHAKE_RECORD: u8 = 0x16;
/// Default cap on concurrent watches per user; more get 429 TooManyRequests.
pub const DEFAULT_MAX_WATCHES_PER_USER: usize = 1024;
/// Default cap on a list page: a `limit` above it is lowered to it (the client follows
/// `continue`). Lists without `limit` are not paged, as on kube-apiserver.
pub const DEFAULT_MAX_LIST_LIMIT: i64 = 10_000;

/// kube-apiserver's HTTP/2 streams per connection when `--http2-max-streams-per-connection`
/// is 0 (its default): 100, "match http2.initialMaxConcurrentStreams used by clients"
/// (`SecureServingInfo.Serve`, staging/src/k8s.io/apiserver/pkg/server/secure_serving.go).
/// A Go client (kubectl, client-go informers) opens another connection past it.
pub const DEFAULT_HTTP2_MAX_STREAMS: u32 = 100;
/// The same function's `resourceBody99Percentile` (256 KiB): the largest HTTP/2 frame it reads
/// and each stream's receive window; the connection's window is this × the stream limit.
pub const HTTP2_RESOURCE_BODY_99_PERCENTILE: u32 = 256 * 1024;

pub type Body = BoxBody<Bytes, Infallible>;

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClockMode {
    /// Virtual time follows the wall clock (plus any advance); controllers react at once.
    Real,
    /// Time moves only through `POST /sim/v1/clock`.
    Virtual,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

/// `csrsim serve` options (the contract of issue 7).
#[derive(clap::Args, Clone, Debug)]
#[command(
    after_help = "Exit status: 0 after SIGTERM or SIGINT (Ctrl-C): open watches are closed and every acknowledged write is already on disk (one received during start-up, such as a big data dir's loading, ends the process as soon as start-up is done, nothing half-written); 1 when it cannot start — the data dir (not a directory, not writable, in use by another csrsim, a damaged or other-version store log, half a CA), the --listen address (in use, or not an address of this machine), a bad flag value or --token-auth-file — with one line on stderr naming the path or flag and the cause; 2 a command-line usage error."
)]
pub struct ServeArgs {
    /// Keep objects, the CA and the clock here, created if missing, and kept at exit;
    /// admin.kubeconfig and ca.crt are written here (default: objects in memory, files in a
    /// temporary directory, <tmp>/csrsim-<pid>, removed when the server exits).
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, default_value = "127.0.0.1:6443")]
    pub listen: SocketAddr,
    /// How virtual time moves.
    #[arg(long, value_enum, default_value = "real")]
    pub clock: ClockMode,
    /// Virtual start time (RFC 3339). Default: 2030-01-01T00:00:00Z with --clock virtual, now with --clock real.
    #[arg(long)]
    pub start_time: Option<String>,
    /// Seed of the simulation's random streams (uids, generated names, keys, serials).
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// A bootstrap token ID.SECRET (repeatable), stored as its kube-system Secret; also installs
    /// kubeadm's TLS-bootstrap and auto-approval ClusterRoleBindings.
    #[arg(long = "bootstrap-token", value_name = "ID.SECRET")]
    pub bootstrap_tokens: Vec<String>,
    /// kube-apiserver static token CSV: token,user,uid,"group1,group2".
    #[arg(long, value_name = "FILE")]
    pub token_auth_file: Option<PathBuf>,
    /// Maximum certificate lifetime (a duration: 8760h, 90m, 1h30m).
    #[arg(long, default_value = "8760h")]
    pub cluster_signing_duration: String,
    /// Treat requests without credentials as system:anonymous (when false they get a 401).
    #[arg(long, default_value_t = false, action = clap::ArgAction::Set, num_args = 0..=1, default_missing_value = "true", require_equals = true)]
    pub anonymous_auth: bool,
    /// Format of the request log on stderr (filter with RUST_LOG).
    #[arg(long, value_enum, default_value = "text")]
    pub log_format: LogFormat,
    /// Open client connections at most; more are closed at accept.
    #[arg(long, default_value_t = DEFAULT_MAX_CONNECTIONS)]
    pub max_connections: usize,
    /// Concurrent watches per user at most; more get 429.
    #[arg(long, default_value_t = DEFAULT_MAX_WATCHES_PER_USER)]
    pub max_watches_per_user: usize,
    /// Largest list page: a larger `limit` is lowered to this.
    #[arg(long, default_value_t = DEFAULT_MAX_LIST_LIMIT)]
    pub max_list_limit: i64,
    /// With --clock real: how long a deleted namespace stays Terminating before the namespace
    /// controller empties and removes it (a duration; 0s: at once). With --clock virtual it is
    /// done after the next API request. kube-controller-manager takes a while too, and kubectl
    /// relies on it: `delete -f` of a namespace and then an object in it, or `delete ns
    /// --wait=false` then `wait --for=delete` (kubectl 1.20 fails on a namespace already gone).
    #[arg(long, default_value = "1s", value_name = "DURATION")]
    pub namespace_deletion_delay: String,
    /// kube-apiserver's authorizer chain after system:masters, comma-separated: AlwaysAllow,
    /// AlwaysDeny, Node, RBAC (`AlwaysAllow` is what test/cmd's apiserver runs with).
    #[arg(long, default_value = "Node,RBAC")]
    pub authorization_mode: String,
    /// HTTP/2 streams a client may open on one connection; 0 is kube-apiserver's default, 100.
    #[arg(long, default_value_t = 0)]
    pub http2_max_streams_per_connection: u32,
    /// [`TLS_HANDSHAKE_TIMEOUT`]; not a flag (kube-apiserver has none), shortened by tests.
    #[arg(skip = TLS_HANDSHAKE_TIMEOUT)]
    pub tls_handshake_timeout: Duration,
    /// [`HTTP1_HEAD_TIMEOUT`]; not a flag, shortened by tests.
    #[arg(skip = HTTP1_HEAD_TIMEOUT)]
    pub http1_head_timeout: Duration,
    /// [`IDLE_TIMEOUT`]; not a flag, shortened by tests.
    #[arg(skip = IDLE_TIMEOUT)]
    pub idle_timeout: Duration,
    /// [`HTTP2_PREFACE_TIMEOUT`]; not a flag, shortened by tests.
    #[arg(skip = HTTP2_PREFACE_TIMEOUT)]
    pub http2_preface_timeout: Duration,
}

impl ServeArgs {
    /// Defaults for embedded test servers: a free loopback port, virtual clock, temp dir.
    pub fn for_tests() -> ServeArgs {
        ServeArgs {
            data_dir: None,
            listen: "127.0.0.1:0".parse().expect("addr"),
            clock: ClockMode::Virtual,
            start_time: None,
            seed: 0,
            bootstrap_tokens: Vec::new(),
            token_auth_file: None,
            cluster_signing_duration: "8760h".into(),
            anonymous_auth: false,
            log_format: LogFormat::Text,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            max_watches_per_user: DEFAULT_MAX_WATCHES_PER_USER,
            max_list_limit: DEFAULT_MAX_LIST_LIMIT,
            authorization_mode: "Node,RBAC".into(),
            http2_max_streams_per_connection: 0,
            namespace_deletion_delay: "1s".into(),
            tls_handshake_timeout: TLS_HANDSHAKE_TIMEOUT,
            http1_head_timeout: HTTP1_HEAD_TIMEOUT,
            idle_timeout: IDLE_TIMEOUT,
            http2_preface_timeout: HTTP2_PREFACE_TIMEOUT,
        }
    }

    /// The HTTP/2 stream limit in force (`--http2-max-streams-per-connection`, 0 = 100).
    pub fn http2_max_streams(&self) -> u32 {
        match self.http2_max_streams_per_connection {
            0 => DEFAULT_HTTP2_MAX_STREAMS,
            n => n,
        }
    }
}

struct Inner {
    cluster: Cluster,
    /// Real clock: virtual ms at `wall_base` (moved forward by advances).
    base_ms: i64,
}

/// Shared server state: the cluster behind a mutex, the watch wake-up counter, TLS material.
pub struct State {
    inner: Mutex<Inner>,
    changed: tokio::sync::watch::Sender<u64>,
    ca_der: Vec<u8>,
    clock: ClockMode,
    wall_base: Instant,
    /// A data dir is kept (`--data-dir`): the clock's record matters (see [`CLOCK_LEASE`]).
    persist: bool,
    /// `--start-time` was given: a restart begins there, not at the wall clock.
    fixed_start: bool,
    /// A clock lease was written since the real-clock tick last flushed.
    lease_written: std::sync::atomic::AtomicBool,
    /// Writing a clock lease failed (logged once).
    lease_failed: std::sync::atomic::AtomicBool,
    anonymous: bool,
    server_address: Mutex<String>,
    /// Open watches per user (for `max_watches_per_user`).
    watches: Mutex<std::collections::BTreeMap<String, usize>>,
    max_watches_per_user: usize,
    max_list_limit: i64,
    /// Group commit: writes are applied under the cluster lock without a flush, and
    /// every response waits until what it may have observed is flushed (`durability.rs`).
    durability: Option<Durability>,
    /// Watch fan-out: each event read and rendered once for every watcher.
    hub: watch::Hub,
    /// The cluster's virtual now (ms) and, for `--clock real`, `Inner::base_ms`, as of the
    /// last release of the cluster lock: request authentication reads the virtual now
    /// without taking the lock (`State::virtual_now`).
    now_ms: std::sync::atomic::AtomicI64,
    base_ms: std::sync::atomic::AtomicI64,
    /// Requests take turns at `Cluster::apply` here (FIFO, awaited) before the cluster lock,
    /// so a request waiting for the cluster parks its task instead of blocking a worker.
    apply_turn: tokio::sync::Semaphore,
}

/// One open watch counted against its user; uncounted on drop (when the stream ends).
pub struct WatchSlot {
    state: Arc<State>,
    user: String,
}

impl Drop for WatchSlot {
    fn drop(&mut self) {
        let mut w = self.state.watches.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(n) = w.get_mut(&self.user) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                w.remove(&self.user);
            }
        }
    }
}

impl State {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Run `f` on the cluster after catching up with the wall clock (real mode), then wake
    /// watchers if anything was written.
    pub fn with_cluster<R>(&self, f: impl FnOnce(&mut Cluster) -> R) -> R {
        let mut g = self.lock();
        let before = g.cluster.resource_version();
        self.sync_clock(&mut g);
        let r = f(&mut g.cluster);
        let after = g.cluster.resource_version();
        self.mirror_clock(&g);
        drop(g);
        self.note_applied(after);
        if after != before {
            self.changed.send_modify(|v| *v += 1);
        }
        r
    }

    fn mirror_clock(&self, g: &Inner) {
        use std::sync::atomic::Ordering::Relaxed;
        self.now_ms.store(g.cluster.now_ms(), Relaxed);
        self.base_ms.store(g.base_ms, Relaxed);
    }

    /// The virtual now the next cluster call would see (after catching up with the wall
    /// clock in real mode), without taking the cluster lock.
    pub fn virtual_now(&self) -> Time {
        use std::sync::atomic::Ordering::Relaxed;
        let mut ms = self.now_ms.load(Relaxed);
        if self.clock == ClockMode::Real {
            ms = ms.max(self.base_ms.load(Relaxed) + self.wall_base.elapsed().as_millis() as i64);
        }
        Time(ms.div_euclid(1000))
    }

    fn sync_clock(&self, g: &mut Inner) {
        if self.clock == ClockMode::Real {
            let target = g.base_ms + self.wall_base.elapsed().as_millis() as i64;
            if target > g.cluster.now_ms() {
                g.cluster.catch_up_to(target);
            }
            self.renew_clock_lease(g);
        }
    }

    /// Real clock with a data dir: keep the clock's record ahead of virtual time when a
    /// restart would otherwise begin before it (see [`CLOCK_LEASE`]).
    fn renew_clock_lease(&self, g: &mut Inner) {
        let now = g.cluster.now_ms();
        if !self.persist
            || g.cluster.persisted_clock_ms() - now >= CLOCK_LEASE_RENEW.as_millis() as i64
        {
            return;
        }
        // Without --start-time a restart begins at the wall clock: nothing to record while
        // virtual time is not ahead of it.
        if !self.fixed_start && now <= wall_now_ms() {
            return;
        }
        match g
            .cluster
            .persist_clock(now + CLOCK_LEASE.as_millis() as i64)
        {
            Ok(()) => self
                .lease_written
                .store(true, std::sync::atomic::Ordering::Relaxed),
            // Once: a failed write leaves the store unusable, and every later try fails too.
            Err(e) => {
                if !self
                    .lease_failed
                    .swap(true, std::sync::atomic::Ordering::Relaxed)
                {
                    tracing::error!(error = %e, "writing the virtual clock's record failed");
                }
            }
        }
    }

    /// The real-clock tick: catch up with the wall clock (timers fire, controllers run) and
    /// make a clock lease written since the last tick durable.
    async fn tick(&self) {
        self.with_cluster(|_| ());
        if self
            .lease_written
            .swap(false, std::sync::atomic::Ordering::Relaxed)
        {
            if let Err(e) = self.flush_durable().await {
                tracing::error!(error = %e, "storage flush of the virtual clock's record failed");
            }
        }
    }

    /// Advance the virtual clock by `d` (runs every due timer and controller); the clock's
    /// record is written (flushed by the caller under group commit). `Err`: that write failed
    /// (virtual time has moved all the same).
    pub fn advance(&self, d: Duration) -> Result<Time, String> {
        self.with_cluster_inner(|g| {
            let r = g.cluster.try_advance(d);
            g.base_ms += d.as_millis() as i64;
            r.map(|()| g.cluster.now())
        })
    }

    /// Count a new watch for `user`; `None` when the user is at the limit.
    pub fn open_watch(self: &Arc<Self>, user: &str) -> Option<WatchSlot> {
        let mut w = self.watches.lock().unwrap_or_else(|p| p.into_inner());
        let n = w.entry(user.to_string()).or_insert(0);
        if *n >= self.max_watches_per_user {
            return None;
        }
        *n += 1;
        Some(WatchSlot {
            state: self.clone(),
            user: user.to_string(),
        })
    }

    /// Wait until every write applied so far is durable (group commit). Called before any
    /// response is sent, so nothing is acknowledged (or shown) before it is flushed.
    pub async fn wait_durable(&self) -> Result<(), String> {
        match &self.durability {
            Some(d) => d.wait().await,
            None => Ok(()),
        }
    }

    /// Wait for a flush that starts after this call, whatever was applied: for a write that
    /// carries no resourceVersion (the virtual clock's record after `POST /sim/v1/clock`).
    pub async fn flush_durable(&self) -> Result<(), String> {
        match &self.durability {
            Some(d) => d.flush().await,
            None => Ok(()),
        }
    }

    fn note_applied(&self, rv: u64) {
        if let Some(d) = &self.durability {
            d.note_applied(rv);
        }
    }

    fn with_cluster_inner<R>(&self, f: impl FnOnce(&mut Inner) -> R) -> R {
        let mut g = self.lock();
        let before = g.cluster.resource_version();
        self.sync_clock(&mut g);
        let r = f(&mut g);
        let after = g.cluster.resource_version();
        self.mirror_clock(&g);
        drop(g);
        self.note_applied(after);
        if after != before {
            self.changed.send_modify(|v| *v += 1);
        }
        r
    }
}

/// The wall clock in ms since the epoch (0 if it is before 1970).
fn wall_now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// Parse a duration (humantime: `25h`, `1h30m`, `90s`, `8760h`; fractions such as `1.5h` are
/// accepted too).
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    humantime::parse_duration(s.trim()).map_err(|e| format!("invalid duration {s:?}: {e}"))
}

/// A started server (listening; the accept loop runs on the current runtime).
pub struct Started {
    pub addr: SocketAddr,
    pub url: String,
    pub dir: PathBuf,
    pub kubeconfig_path: PathBuf,
    pub ca_pem: String,
    pub state: Arc<State>,
}

/// CSRs per step of the controllers' initial pass after listen (one cluster-lock hold:
/// a few milliseconds, so requests interleave with the pass).
pub const CONTROLLER_START_CHUNK: usize = 512;

/// Build the cluster, write kubeconfig/CA, bind, and spawn the accept loop. The controllers'
/// initial pass runs inside the cluster's construction, before the server listens (embedded
/// test servers rely on it); `csrsim serve` uses [`start_serving`].
pub async fn start(args: &ServeArgs, dir: &Path, persist: bool) -> Result<Started, String> {
    start_with(args, dir, persist, false).await
}

/// [`start`] for `csrsim serve`: the controllers (approver, signer, cleaner) do their initial
/// pass after the server listens, in steps of [`CONTROLLER_START_CHUNK`] CSRs, as
/// kube-apiserver is ready before kube-controller-manager has listed its informers.
pub async fn start_serving(args: &ServeArgs, dir: &Path, persist: bool) -> Result<Started, String> {
    start_with(args, dir, persist, true).await
}

async fn start_with(
    args: &ServeArgs,
    dir: &Path,
    persist: bool,
    defer_controllers: bool,
) -> Result<Started, String> {
    let mut config = Config {
        seed: args.seed,
        data_dir: persist.then(|| dir.to_path_buf()),
        ..Config::default()
    };
    let start = match &args.start_time {
        Some(s) => Some(Time::parse_rfc3339(s).map_err(|e| format!("--start-time: {e}"))?),
        None if args.clock == ClockMode::Real => Some(Time(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_err(|e| e.to_string())?
                .as_secs() as i64,
        )),
        None => None,
    };
    if let Some(t) = start {
        config.start = t;
    }
    config.signing_duration_secs = parse_duration(&args.cluster_signing_duration)
        .map_err(|e| format!("--cluster-signing-duration: {e}"))?
        .as_secs() as i64;
    // Checked with either clock (a bad value is refused, not ignored under --clock virtual).
    let deletion_delay = parse_duration(&args.namespace_deletion_delay)
        .map_err(|e| format!("--namespace-deletion-delay: {e}"))?;
    config.namespace_finalize = match args.clock {
        ClockMode::Real => {
            crate::sim::cluster::NamespaceFinalize::AfterMs(deletion_delay.as_millis() as i64)
        }
        ClockMode::Virtual => crate::sim::cluster::NamespaceFinalize::NextRequest,
    };
    if !args.bootstrap_tokens.is_empty() {
        config.kubeadm_bindings = true;
    }
    config.authorization_modes =
        crate::auth::rbac::AuthorizationMode::parse_list(&args.authorization_mode)?;
    let mut cluster = if defer_controllers {
        Cluster::new_deferred(config)?
    } else {
        Cluster::new(config)?
    };
    if let Some(f) = &args.token_auth_file {
        let text = std::fs::read_to_string(f).map_err(|e| format!("{}: {e}", f.display()))?;
        let tokens = crate::auth::tokens::load_static_csv_named(&f.display().to_string(), &text)?;
        cluster.tokens_mut().set_static_tokens(tokens);
    }
    for t in &args.bootstrap_tokens {
        create_bootstrap_secret(&mut cluster, t)?;
    }
    // The apiserver's caches list at start: a watch from before now is too old.
    cluster.start_watch_cache();
    // One CA for everything: the core's cluster CA signs for the built-in signers, the
    // serving certificate and the admin client certificate.
    let ca = {
        let core_ca = cluster.pki().ca();
        tls::ClusterCa::from_pem(&core_ca.cert_pem(), &core_ca.key.pkcs8_pem())?
    };
    let serving = ca.serving_cert()?;
    let admin = ca.client_cert(tls::ADMIN_USER, Some(tls::ADMIN_GROUP))?;
    let tls_config = tls::server_config(&serving, &ca.cert_der)?;
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .map_err(|e| format!("listen on {}: {e}", args.listen))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let host = if addr.ip().is_unspecified() {
        "127.0.0.1".to_string()
    } else {
        addr.ip().to_string()
    };
    let host = if host.contains(':') {
        format!("[{host}]")
    } else {
        host
    };
    let url = format!("https://{host}:{}", addr.port());
    let kubeconfig_path = dir.join("admin.kubeconfig");
    std::fs::write(
        &kubeconfig_path,
        kubeconfig::admin_kubeconfig(&url, &ca.cert_pem, &admin.cert_pem, &admin.key_pem),
    )
    .map_err(|e| format!("{}: {e}", kubeconfig_path.display()))?;
    std::fs::write(dir.join("ca.crt"), &ca.cert_pem).map_err(|e| format!("ca.crt: {e}"))?;
    // Group commit from here on (the bootstrap secrets above were flushed one by one).
    let durability = if persist {
        let flush = cluster.enable_group_commit();
        if let Some(f) = &flush {
            // Everything written so far (the bootstrap secrets) is durable before listening.
            f()?;
        }
        match flush {
            Some(flush) => Some(Durability::start(flush, cluster.resource_version())?),
            None => None,
        }
    } else {
        None
    };
    let base_ms = cluster.now_ms();
    let cluster_now_ms = cluster.now_ms();
    let fixed_start = args.start_time.is_some();
    let (changed, _) = tokio::sync::watch::channel(0u64);
    let state = Arc::new(State {
        inner: Mutex::new(Inner { cluster, base_ms }),
        changed,
        ca_der: ca.cert_der.clone(),
        clock: args.clock,
        wall_base: Instant::now(),
        persist,
        fixed_start,
        lease_written: false.into(),
        lease_failed: false.into(),
        anonymous: args.anonymous_auth,
        server_address: Mutex::new(format!("{host}:{}", addr.port())),
        watches: Mutex::new(Default::default()),
        max_watches_per_user: args.max_watches_per_user,
        max_list_limit: args.max_list_limit,
        durability,
        hub: Default::default(),
        now_ms: cluster_now_ms.into(),
        base_ms: base_ms.into(),
        apply_turn: tokio::sync::Semaphore::new(1),
    });
    if args.clock == ClockMode::Real {
        let st = state.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(REAL_CLOCK_TICK);
            loop {
                tick.tick().await;
                st.tick().await;
            }
        });
    }
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(tls_config));
    let http2_streams = args.http2_max_streams();
    let (handshake_timeout, head_timeout) = (args.tls_handshake_timeout, args.http1_head_timeout);
    let (idle_timeout, preface_timeout) = (args.idle_timeout, args.http2_preface_timeout);
    let st = state.clone();
    let conns = Arc::new(tokio::sync::Semaphore::new(args.max_connections));
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _peer)) = listener.accept().await else {
                // EMFILE and friends: back off instead of spinning
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            };
            // Over the connection cap: close at once (the client sees EOF in the handshake).
            let Ok(permit) = conns.clone().try_acquire_owned() else {
                drop(tcp);
                continue;
            };
            let _ = tcp.set_nodelay(true);
            let acceptor = acceptor.clone();
            let st = st.clone();
            tokio::spawn(async move {
                let _permit = permit;
                let handshake = async move {
                    let mut tcp = tcp;
                    if !starts_as_tls(&mut tcp).await {
                        return None;
                    }
                    acceptor.accept(tcp).await.ok()
                };
                let Ok(Some(tls_stream)) = tokio::time::timeout(handshake_timeout, handshake).await
                else {
                    return;
                };
                // The certificate's checks and identity, once per connection.
                let cert: Option<Arc<auth::ConnCert>> = tls_stream
                    .get_ref()
                    .1
                    .peer_certificates()
                    .and_then(|c| c.first())
                    .map(|c| Arc::new(auth::ConnCert::new(c.to_vec(), &st.ca_der)));
                let activity = idle::Activity::new();
                let requests = activity.clone();
                let svc = hyper::service::service_fn(move |req| {
                    let st = st.clone();
                    let cert = cert.clone();
                    let in_flight = requests.begin();
                    async move {
                        let (parts, inner) = handle(st, req, cert).await.into_parts();
                        let body = idle::Tracked {
                            inner,
                            _in_flight: in_flight,
                        };
                        Ok::<_, Infallible>(Response::from_parts(parts, body))
                    }
                });
                // The protocol is the one ALPN agreed on, as Go's server decides it (HTTP/2
                // only with "h2"; no prior-knowledge HTTP/2 over TLS).
                let h2 = tls_stream.get_ref().1.alpn_protocol() == Some(b"h2");
                let io = hyper_util::rt::TokioIo::new(idle::Watched {
                    inner: tls_stream,
                    activity: activity.clone(),
                });
                if h2 {
                    // kube-apiserver's HTTP/2 settings (see DEFAULT_HTTP2_MAX_STREAMS)
                    let served = hyper::server::conn::http2::Builder::new(
                        hyper_util::rt::TokioExecutor::new(),
                    )
                    .timer(hyper_util::rt::TokioTimer::new())
                    .max_concurrent_streams(http2_streams)
                    .max_header_list_size(HTTP2_MAX_HEADER_LIST_SIZE)
                    .max_frame_size(HTTP2_RESOURCE_BODY_99_PERCENTILE)
                    .initial_stream_window_size(HTTP2_RESOURCE_BODY_99_PERCENTILE)
                    .initial_connection_window_size(
                        HTTP2_RESOURCE_BODY_99_PERCENTILE.saturating_mul(http2_streams),
                    )
                    .serve_connection(io, svc);
                    let t = idle::Timeouts {
                        idle: idle_timeout,
                        head: None,
                        preface: Some(preface_timeout),
                        grace: IDLE_SHUTDOWN_GRACE,
                    };
                    idle::serve_until_idle(served, &activity, t).await;
                } else {
                    let served = hyper::server::conn::http1::Builder::new()
                        // heads are timed by `idle.rs` (hyper's one timer would also cut
                        // a connection idle between requests)
                        .header_read_timeout(None)
                        .max_header_size(HTTP1_MAX_HEAD_BYTES)
                        // the read buffer must hold a whole head for the check above
                        .max_buf_size(HTTP1_MAX_HEAD_BYTES + HTTP1_READ_SLACK)
                        .max_headers(HTTP1_MAX_HEADERS)
                        .serve_connection(io, svc);
                    let t = idle::Timeouts {
                        idle: idle_timeout,
                        head: Some(head_timeout),
                        preface: None,
                        grace: IDLE_SHUTDOWN_GRACE,
                    };
                    idle::serve_until_idle(served, &activity, t).await;
                }
            });
        }
    });
    if defer_controllers {
        // The controllers' initial pass, after listen; each step takes the cluster lock
        // briefly (writes it makes are flushed and shown like any other, see wait_durable).
        let st = state.clone();
        tokio::spawn(async move {
            while st.with_cluster(|c| c.start_controllers_step(CONTROLLER_START_CHUNK)) {
                tokio::task::yield_now().await;
            }
            release_free_memory();
            tracing::debug!("controllers started");
        });
    }
    Ok(Started {
        addr,
        url,
        dir: dir.to_path_buf(),
        kubeconfig_path,
        ca_pem: ca.cert_pem,
        state,
    })
}

/// Whether a new connection starts as TLS does (its first byte a handshake record). One that
/// does not can never be served, as Go's TLS stack fails on the first record header: a plain
/// HTTP request gets Go's 400 ([`PLAIN_HTTP_ANSWER`]), anything else is closed.
async fn starts_as_tls(tcp: &mut tokio::net::TcpStream) -> bool {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut first = [0u8; 1];
    if !matches!(tcp.peek(&mut first).await, Ok(1)) {
        return false;
    }
    if first[0] == TLS_HANDSHAKE_RECORD {
        return true;
    }
    // Go reads the whole 5-byte record header before it judges.
    let mut header = [0u8; 5];
    if tcp.read_exact(&mut header).await.is_ok() && PLAIN_HTTP_STARTS.iter().any(|p| **p == header)
    {
        let _ = tcp.write_all(PLAIN_HTTP_ANSWER).await;
        let _ = tcp.shutdown().await;
    }
    false
}

/// Give the memory freed by the start-up work (loading the store, the controllers' initial
/// pass: ~100 MB of transient allocations with 100k CSRs) back to the OS: glibc keeps freed
/// heap pages otherwise, and resident size would stay at the start-up peak.
fn release_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only walks the allocator's own free lists; no Rust invariant
    // depends on it.
    unsafe {
        libc::malloc_trim(0);
    }
    // The csrsim binary allocates with mimalloc (src/main.rs): return its free pages too.
    // SAFETY: mi_collect only releases memory mimalloc holds free; nothing is in use.
    unsafe {
        libmimalloc_sys::mi_collect(true);
    }
}

/// `--bootstrap-token ID.SECRET`: the Secret kubeadm creates for it in kube-system.
fn create_bootstrap_secret(cluster: &mut Cluster, token: &str) -> Result<(), String> {
    let (id, secret) = crate::auth::tokens::parse_bootstrap_token(token).ok_or_else(|| {
        format!("--bootstrap-token {token:?}: must be of the form [a-z0-9]{{6}}.[a-z0-9]{{16}}")
    })?;
    let body = json!({
        "apiVersion": "v1", "kind": "Secret",
        "metadata": {"name": format!("bootstrap-token-{id}"), "namespace": "kube-system"},
        "type": "bootstrap.kubernetes.io/token",
        "stringData": {
            "token-id": id, "token-secret": secret,
            "usage-bootstrap-authentication": "true", "usage-bootstrap-signing": "true",
            "auth-extra-groups": "system:bootstrappers:kubeadm:default-node-token",
        },
    });
    match cluster.apply(
        &Identity::admin(),
        ApiRequest::new(Verb::Create, "", "secrets")
            .namespace("kube-system")
            .body(body),
    ) {
        Ok(_) => Ok(()),
        Err(st) if st.code == 409 => Ok(()),
        Err(st) => Err(format!("bootstrap token {id}: {}", st.message)),
    }
}

fn full(b: impl Into<Bytes>) -> Body {
    Full::new(b.into()).boxed()
}

fn json_response(code: u16, v: &Value, content_type: &str) -> Response<Body> {
    let mut body = serde_json::to_vec(v).expect("json");
    body.push(b'\n');
    bytes_response(code, body, content_type)
}

/// A response of `body` as it is (JSON already serialized, its newline included).
fn bytes_response(code: u16, body: Vec<u8>, content_type: &str) -> Response<Body> {
    Response::builder()
        .status(code)
        .header("Content-Type", content_type)
        .header("Cache-Control", "no-cache, private")
        .body(full(body))
        .expect("response")
}

/// `/api` or `/apis` as aggregated discovery, as the apiserver's `ServeHTTPWithETag` answers
/// it: `ETag` (the quoted upper-case hex SHA-512 of the document's JSON), `Vary: Accept`,
/// `Cache-Control: public`, and a bodiless 304 when `If-None-Match` carries that ETag.
fn aggregated_discovery_response(head: &Head, core: bool) -> Response<Body> {
    use sha2::Digest;
    let mut body = serde_json::to_vec(&routing::aggregated_discovery(core)).expect("json");
    let etag = format!(
        "\"{}\"",
        sha2::Sha512::digest(&body)
            .iter()
            .map(|b| format!("{b:02X}"))
            .collect::<String>()
    );
    let builder = Response::builder()
        .header("Cache-Control", "public")
        .header("Etag", &etag)
        .header("Vary", "Accept");
    let cached = head
        .headers
        .iter()
        .find(|(k, _)| k == "if-none-match")
        .is_some_and(|(_, v)| *v == etag);
    if cached {
        return builder
            .status(304)
            .body(full(Vec::new()))
            .expect("response");
    }
    body.push(b'\n');
    builder
        .status(200)
        .header(
            "Content-Type",
            negotiation::AGGREGATED_DISCOVERY_CONTENT_TYPE,
        )
        .body(full(body))
        .expect("response")
}

fn status_response(st: &Status) -> Response<Body> {
    let code = if st.code == 0 { 500 } else { st.code };
    json_response(
        code,
        &serde_json::to_value(st).expect("status"),
        "application/json",
    )
}

fn text_response(code: u16, text: &str) -> Response<Body> {
    Response::builder()
        .status(code)
        .header("Content-Type", "text/plain; charset=utf-8")
        .body(full(text.to_string()))
        .expect("response")
}

/// A request line whose path has a malformed `%` escape: Go's `url.ParseRequestURI` fails in
/// `readRequest`, and `conn.serve` answers before any handler (no Audit-Id, no Cache-Control)
/// with a plain `400 Bad Request` and closes the connection (HTTP/1.x; `Connection` has no
/// place in HTTP/2, where Go resets the stream instead).
fn malformed_request_uri(version: hyper::Version) -> Response<Body> {
    let mut r = text_response(400, "400 Bad Request");
    if version < hyper::Version::HTTP_2 {
        r.headers_mut().insert(
            hyper::header::CONNECTION,
            hyper::header::HeaderValue::from_static("close"),
        );
    }
    tracing::info!(
        code = 400,
        "request with a malformed escape in its path refused"
    );
    r
}

/// What one request needs from its headers.
struct Head {
    method: String,
    /// The unescaped path (Go's `URL.Path`), which routing and authorization use.
    path: String,
    /// The path as sent when it differs (it has `%` escapes): Go's `RequestURI` shows it so.
    raw_path: Option<String>,
    query: String,
    accept: String,
    content_type: String,
    authorization: Option<String>,
    headers: Vec<(String, String)>,
}

async fn handle(
    state: Arc<State>,
    req: Request<Incoming>,
    cert: Option<Arc<auth::ConnCert>>,
) -> Response<Body> {
    let t0 = Instant::now();
    let (parts, mut body) = req.into_parts();
    // Go routes on the unescaped path (`URL.Path`); a malformed escape is refused here.
    let Some(path) = routing::path_unescape(parts.uri.path()) else {
        return malformed_request_uri(parts.version);
    };
    let hv = |n: &str| {
        parts
            .headers
            .get(n)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    };
    let head = Head {
        method: parts.method.as_str().to_string(),
        path,
        raw_path: parts
            .uri
            .path()
            .contains('%')
            .then(|| parts.uri.path().to_string()),
        query: parts.uri.query().unwrap_or("").to_string(),
        accept: hv("accept"),
        content_type: hv("content-type"),
        authorization: parts
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .map(String::from),
        headers: parts
            .headers
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_ascii_lowercase(),
                    v.to_str().unwrap_or("").to_string(),
                )
            })
            .collect(),
    };
    let declared_len = hv("content-length").parse::<usize>().ok();
    let read = if declared_len.is_some_and(|l| l > negotiation::MAX_BODY_BYTES) {
        Err(())
    } else {
        read_body(&mut body, declared_len).await
    };
    let (resp, user) = match read {
        Ok(bytes) => serve(&state, &head, bytes, cert.as_deref()).await,
        Err(()) => {
            if parts.version == hyper::Version::HTTP_2 {
                drain_later(body);
            }
            (status_response(&too_large()), String::new())
        }
    };
    // An Accept header that negotiates YAML: the apiserver's YAML serializer writes the
    // object (or the error Status) its handler would have written as JSON.
    let resp = if negotiates_yaml(&head) {
        yaml_response(resp).await
    } else {
        resp
    };
    // kube-openapi writes its documents' bytes as they are (their hash is of those bytes).
    let mut resp = if pretty_print(&head) && !head.path.starts_with("/openapi/") {
        prettify(resp).await
    } else {
        resp
    };
    // `WithAuditInit`: every response carries the request's audit ID — the client's own
    // `Audit-ID` header when it sent one, else a new UUID.
    let audit_id = head
        .headers
        .iter()
        .find(|(k, v)| k == "audit-id" && !v.is_empty())
        .map(|(_, v)| v.clone())
        .unwrap_or_else(new_audit_id);
    if let Ok(v) = hyper::header::HeaderValue::from_str(&audit_id) {
        resp.headers_mut().insert("Audit-Id", v);
    }
    // `WithCacheControl`: every response not otherwise marked (health checks, metrics too).
    if !resp.headers().contains_key("cache-control") {
        resp.headers_mut().insert(
            "Cache-Control",
            hyper::header::HeaderValue::from_static("no-cache, private"),
        );
    }
    // A HEAD answer has the GET's headers and no body (Go's server discards what the handler
    // writes and keeps the Content-Length it would have sent). Over HTTP/2 a DATA frame on a
    // HEAD answer is a protocol error to the client.
    if head.method == "HEAD" {
        let len = hyper::body::Body::size_hint(resp.body()).exact();
        let (mut parts, _) = resp.into_parts();
        if let Some(len) = len {
            parts
                .headers
                .insert(hyper::header::CONTENT_LENGTH, len.into());
        }
        resp = Response::from_parts(parts, full(Bytes::new()));
    }
    tracing::info!(
        method = %head.method,
        path = %head.path,
        user = %user,
        code = resp.status().as_u16(),
        latency_ms = t0.elapsed().as_secs_f64() * 1000.0,
        "request"
    );
    resp
}

/// The kind of a served resource (stored, review, or listed-only kind).
fn kind_of(group: &str, resource: &str) -> Option<&'static str> {
    crate::api::resources::find(group, resource)
        .or_else(|| crate::api::resources::find_listed_only(group, resource))
        .map(|r| r.kind)
}

/// A fresh random-looking UUID (version 4 layout) for `Audit-Id`: the SHA-256 of this
/// process's start, its id and a counter (edge module: no seeded stream is spent on it).
fn new_audit_id() -> String {
    use sha2::Digest;
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::OnceLock;
    static START: OnceLock<u128> = OnceLock::new();
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let start = *START.get_or_init(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default()
    });
    let mut h = sha2::Sha256::new();
    h.update(start.to_le_bytes());
    h.update(std::process::id().to_le_bytes());
    h.update(NEXT.fetch_add(1, Ordering::Relaxed).to_le_bytes());
    let d = h.finalize();
    let mut b = [0u8; 16];
    b.copy_from_slice(&d[..16]);
    uuid::Builder::from_random_bytes(b)
        .into_uuid()
        .hyphenated()
        .to_string()
}

/// Does this request's answer go through `WriteObjectNegotiated` / `ErrorNegotiated` with the
/// YAML serializer? Every API answer does — objects, lists, Tables, discovery, and the error
/// Statuses of authentication, authorization and the handlers — except what is written raw:
/// `/version` (`WriteRawJSON`), the OpenAPI documents (kube-openapi), csrsim's own
/// `/sim/v1/clock`, and the plain-text health and metrics endpoints.
fn negotiates_yaml(head: &Head) -> bool {
    // the common case (kubectl, client-go, the Python client) costs one scan of the header
    if !head
        .accept
        .as_bytes()
        .windows(4)
        .any(|w| w.eq_ignore_ascii_case(b"yaml"))
    {
        return false;
    }
    if head.path == "/version"
        || head.path.starts_with("/openapi/")
        || head.path.starts_with("/sim/")
    {
        return false;
    }
    let group = routing::request_attributes(&head.method, &head.path, &head.query).api_group;
    // The reviews have no TableConvertor: a Table clause is skipped there.
    let table_ok = !matches!(
        group.as_str(),
        "authorization.k8s.io" | "authentication.k8s.io"
    );
    negotiation::wants_yaml(&head.accept, table_ok)
}

/// `json.Serializer` with `Yaml: true`: the complete JSON answer re-encoded by
/// `sigs.k8s.io/yaml.JSONToYAML` (`api::goyaml`), Content-Type `application/yaml` (a Table's
/// conversion parameters kept). Streams and other content types pass through. When the
/// conversion fails (a character go-yaml will not read), `SerializeObject` writes the error as a
/// Status instead, with code 500 unless the answer was already an error.
async fn yaml_response(resp: Response<Body>) -> Response<Body> {
    let Some(ct) = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .filter(|c| c.starts_with("application/json"))
        .map(String::from)
    else {
        return resp;
    };
    if hyper::body::Body::size_hint(resp.body()).exact().is_none() {
        return resp;
    }
    let (mut parts, body) = resp.into_parts();
    let bytes = match body.collect().await {
        Ok(c) => c.to_bytes(),
        Err(never) => match never {},
    };
    let Ok(v) = serde_json::from_slice::<Value>(&bytes) else {
        return Response::from_parts(parts, full(bytes));
    };
    let text = match crate::api::goyaml::json_to_yaml(&v) {
        Ok(text) => text,
        Err(e) => {
            if parts.status.is_success() {
                parts.status = hyper::StatusCode::INTERNAL_SERVER_ERROR;
            }
            let st = Status::failure(500, "", e);
            crate::api::goyaml::to_yaml(&serde_json::to_value(&st).expect("status"))
        }
    };
    parts.headers.remove("content-length");
    if let Ok(h) = hyper::header::HeaderValue::from_str(&negotiation::yaml_content_type(&ct)) {
        parts.headers.insert("content-type", h);
    }
    Response::from_parts(parts, full(text))
}

/// apiserver's `isPrettyPrint`: `?pretty=` parsed as Go's `strconv.ParseBool` wins; otherwise
/// the "human" clients (User-Agent starting with `curl`, `Wget` or `Mozilla/5.0`) get indented
/// JSON.
fn pretty_print(head: &Head) -> bool {
    if let Some(v) = head
        .query
        .split('&')
        .filter_map(|kv| kv.strip_prefix("pretty="))
        .find(|v| !v.is_empty())
    {
        return matches!(v, "1" | "t" | "T" | "true" | "TRUE" | "True");
    }
    let ua = head
        .headers
        .iter()
        .find(|(k, _)| k == "user-agent")
        .map(|(_, v)| v.as_str())
        .unwrap_or("");
    ua.starts_with("curl") || ua.starts_with("Wget") || ua.starts_with("Mozilla/5.0")
}

/// Re-render a complete JSON response indented by two spaces, as the apiserver's pretty JSON
/// serializer (`json.MarshalIndent(obj, "", "  ")`, no trailing newline) does. Streams
/// (watches) and other content types pass through.
async fn prettify(resp: Response<Body>) -> Response<Body> {
    let is_json = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|c| c.starts_with("application/json"));
    if !is_json || hyper::body::Body::size_hint(resp.body()).exact().is_none() {
        return resp;
    }
    let (parts, body) = resp.into_parts();
    let bytes = match body.collect().await {
        Ok(c) => c.to_bytes(),
        Err(never) => match never {},
    };
    let out = match serde_json::from_slice::<Value>(&bytes) {
        Ok(v) => Bytes::from(serde_json::to_vec_pretty(&v).expect("json")),
        Err(_) => bytes,
    };
    let mut parts = parts;
    parts.headers.remove("content-length");
    Response::from_parts(parts, full(out))
}

/// kube-openapi's `HandleGroupVersion` (handler3): `Vary: Accept` and the quoted hash as
/// `Etag`; a `?hash=` other than the current one is a 301 to the current URL, the current one
/// adds `Cache-Control: public, immutable` and `Expires` a year ahead (wall clock, RFC 1123
/// in UTC as Go prints it); `http.ServeContent` answers a matching `If-None-Match` with 304.
fn openapi_v3_document(head: &Head, d: &'static openapi::GroupVersionDoc) -> Response<Body> {
    let etag = format!("\"{}\"", d.hash);
    let hash = head
        .query
        .split('&')
        .filter_map(|kv| kv.strip_prefix("hash="))
        .find(|v| !v.is_empty());
    if hash.is_some_and(|h| h != d.hash) {
        let url = format!("/openapi/v3/{}?hash={}", d.path, d.hash);
        // `http.Redirect` after the handler set Content-Type: Location, no body.
        return Response::builder()
            .status(301)
            .header("Vary", "Accept")
            .header("Content-Type", "application/json")
            .header("Etag", &etag)
            .header("Location", url)
            .body(full(Bytes::new()))
            .expect("response");
    }
    let mut b = Response::builder()
        .header("Vary", "Accept")
        .header("Etag", &etag);
    if hash.is_some() {
        let now = wall_now_ms() / 1000;
        b = b
            .header("Cache-Control", "public, immutable")
            .header("Expires", rfc1123_a_year_after(now));
    }
    if if_none_match(head, &etag) {
        // `writeNotModified` drops Content-Type and Content-Length.
        return b.status(304).body(full(Bytes::new())).expect("response");
    }
    b.status(200)
        .header("Content-Type", "application/json")
        .body(full(Bytes::from_static(d.json.as_slice())))
        .expect("response")
}

/// `http.ServeContent`'s `checkIfNoneMatch`: the request's If-None-Match lists `etag` or `*`
/// (weak comparison: a `W/` prefix is ignored).
fn if_none_match(head: &Head, etag: &str) -> bool {
    head.headers.iter().any(|(k, v)| {
        k == "if-none-match"
            && v.split(',').map(str::trim).any(|t| {
                t == "*" || t.strip_prefix("W/").unwrap_or(t) == etag.trim_start_matches("W/")
            })
    })
}

/// Go's `t.AddDate(1, 0, 0).Format(time.RFC1123)` for a UTC `t` (Unix seconds).
fn rfc1123_a_year_after(unix: i64) -> String {
    use crate::api::time::{civil_from_unix, days_from_civil};
    let (y, m, d, hh, mm, ss) = civil_from_unix(unix);
    // AddDate normalizes (Feb 29 + 1 year is Mar 1), as days_from_civil does.
    let days = days_from_civil(y + 1, m, d);
    let (y, m, d, _, _, _) = civil_from_unix(days * 86400);
    const WD: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MON: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    format!(
        "{}, {d:02} {} {y} {hh:02}:{mm:02}:{ss:02} UTC",
        WD[days.rem_euclid(7) as usize],
        MON[(m - 1) as usize]
    )
}

/// The request body, up to [`negotiation::MAX_BODY_BYTES`] (`Err`: more, or the client
/// broke off).
async fn read_body(body: &mut Incoming, declared: Option<usize>) -> Result<Bytes, ()> {
    // sized by the declared length, but a length alone reserves no more than 64 KiB
    let mut buf = Vec::with_capacity(declared.unwrap_or(0).min(64 << 10));
    while let Some(frame) = body.frame().await {
        if let Ok(data) = frame.map_err(|_| ())?.into_data() {
            if buf.len() + data.len() > negotiation::MAX_BODY_BYTES {
                return Err(());
            }
            buf.extend_from_slice(&data);
        }
    }
    Ok(Bytes::from(buf))
}

/// Most of a refused HTTP/2 request body read and dropped after the answer
/// ([`drain_later`]); past it the stream is reset.
const DRAIN_MAX_BYTES: usize = 64 << 20;
/// How long [`drain_later`] reads before the stream is reset.
const DRAIN_MAX_TIME: Duration = Duration::from_secs(30);

/// Read and drop the rest of an HTTP/2 request body refused before it was read (a 413),
/// in the background. Dropping it at once makes the h2 crate reset the stream (`NO_ERROR`,
/// as RFC 9113 § 8.1 allows) before the answer's DATA has left, so clients such as curl
/// saw the 413's headers and then a reset instead of the Status (Go's server writes the
/// answer, then resets).
fn drain_later(mut body: Incoming) {
    tokio::spawn(async move {
        let drain = async {
            let mut n = 0usize;
            while let Some(Ok(frame)) = body.frame().await {
                n += frame.data_ref().map_or(0, |d| d.len());
                if n > DRAIN_MAX_BYTES {
                    return;
                }
            }
        };
        let _ = tokio::time::timeout(DRAIN_MAX_TIME, drain).await;
    });
}

fn too_large() -> Status {
    Status::failure(
        413,
        "RequestEntityTooLarge",
        format!(
            "Request entity too large: limit is {}",
            negotiation::MAX_BODY_BYTES
        ),
    )
}

fn version_info() -> Value {
    json!({
        "major": KUBE_MAJOR, "minor": KUBE_MINOR, "emulationMajor": KUBE_MAJOR, "emulationMinor": KUBE_MINOR,
        "minCompatibilityMajor": KUBE_MAJOR, "minCompatibilityMinor": "32",
        "gitVersion": KUBE_GIT_VERSION, "gitCommit": "csrsim", "gitTreeState": "clean",
        "buildDate": "2025-04-23T00:00:00Z", "goVersion": "go1.24.2", "compiler": "gc", "platform": "linux/amd64",
    })
}

/// Route, authenticate, dispatch. Returns the response and the user name (for the log).
async fn serve(
    state: &Arc<State>,
    head: &Head,
    body: Bytes,
    cert: Option<&auth::ConnCert>,
) -> (Response<Body>, String) {
    // `WithRequestDeadline` runs before authentication, on every path.
    if let Some(st) = deadline::check(&head.method, &head.path, &head.query) {
        return (status_response(&st), String::new());
    }
    let route = match routing::route(&head.method, &head.path, &head.query) {
        Ok(r) => r,
        Err(st) => {
            // Unknown paths still need credentials and authorization, as on a real apiserver
            // (`WithAuthorization` runs before the mux): the request as `RequestInfo` reads it.
            return match authorize_by_path(state, head, cert) {
                Ok(user) => (status_response(&st), user),
                Err(denied) => denied,
            };
        }
    };
    // Public-info endpoints (the system:public-info-viewer role: `/healthz`, `/livez`,
    // `/readyz`, `/version`) answer without credentials. A single check's path
    // (`/healthz/ping`, …) is not in that role: it needs a user RBAC allows the path
    // (system:monitoring has `/healthz/*`, `/livez/*`, `/readyz/*`).
    match route {
        Route::Health => {
            let mut user = String::new();
            if !health::is_root_path(&head.path) {
                user = match authorize_by_path(state, head, cert) {
                    Ok(user) => user,
                    Err(denied) => return denied,
                };
            }
            let body = health::root_body(&head.path, &head.query).unwrap_or_else(|| "ok".into());
            let mut resp = text_response(200, &body);
            resp.headers_mut().insert(
                "X-Content-Type-Options",
                hyper::header::HeaderValue::from_static("nosniff"),
            );
            return (resp, user);
        }
        Route::Version => {
            // `responsewriters.WriteRawJSON`: `json.MarshalIndent(v, "", "  ")` for every
            // client, no trailing newline.
            let body = serde_json::to_vec_pretty(&version_info()).expect("json");
            return (bytes_response(200, body, "application/json"), String::new());
        }
        _ => {}
    }
    let who = match authn(state, head, cert) {
        Ok(id) => id,
        Err(resp) => return (resp, String::new()),
    };
    let user = who.user.clone();
    // The reviews have no TableConvertor: an Accept of only Table clauses has no answer.
    let no_table = matches!(&route, Route::Resource(r)
        if matches!(r.group.as_str(), "authorization.k8s.io" | "authentication.k8s.io"));
    if matches!(route, Route::Resource(_) | Route::Empty(_))
        && (!negotiation::acceptable(&head.accept)
            || (no_table && !negotiation::acceptable_without_table(&head.accept)))
    {
        let st = Status::failure(406, "NotAcceptable", "only the following media types are accepted: application/json, application/yaml, application/vnd.kubernetes.protobuf");
        // `ErrorNegotiated` cannot negotiate either: `WriteObjectNegotiated` falls back to
        // `WriteRawJSON` — indented JSON, no trailing newline, for every client.
        let body = serde_json::to_vec_pretty(&st).expect("status");
        return (bytes_response(406, body, "application/json"), user);
    }
    // A clock advance may write only the clock (no resourceVersion): flushed explicitly.
    let clock_write = matches!(route, Route::Clock) && head.method == "POST";
    let resp = match route {
        Route::Health | Route::Version => unreachable!("answered above"),
        Route::OpenApiV3Index => {
            // kube-openapi's `HandleDiscovery`: Etag, then `http.ServeContent`.
            let (json, etag) = openapi::index_bytes();
            let etag = format!("\"{etag}\"");
            if if_none_match(head, &etag) {
                Response::builder()
                    .status(304)
                    .header("Etag", &etag)
                    .body(full(Bytes::new()))
                    .expect("response")
            } else {
                Response::builder()
                    .status(200)
                    .header("Content-Type", "application/json")
                    .header("Etag", &etag)
                    .body(full(Bytes::from_static(json.as_slice())))
                    .expect("response")
            }
        }
        Route::OpenApiV3(gv) => match openapi::document(&gv) {
            Some(d) => openapi_v3_document(head, d),
            None => status_response(&routing::not_found()),
        },
        Route::OpenApiV2 => {
            // kube-openapi's handler: JSON or gnostic protobuf by Accept, else 406.
            let doc = openapi_v2::document();
            let etag = format!("\"{}\"", doc.etag);
            match openapi_v2::negotiate(&head.accept) {
                // `http.ServeContent`: a matching If-None-Match is a 304 without Content-Type.
                Some(_) if if_none_match(head, &etag) => Response::builder()
                    .status(304)
                    .header("Etag", &etag)
                    .header("Vary", "Accept")
                    .body(full(Bytes::new()))
                    .expect("response"),
                Some(protobuf) => Response::builder()
                    .status(200)
                    .header(
                        "Content-Type",
                        if protobuf {
                            openapi_v2::PROTOBUF_CONTENT_TYPE
                        } else {
                            "application/json"
                        },
                    )
                    .header("Etag", &etag)
                    .header("Vary", "Accept")
                    .body(full(Bytes::from_static(if protobuf {
                        doc.protobuf.as_slice()
                    } else {
                        doc.json.as_slice()
                    })))
                    .expect("response"),
                None => Response::builder()
                    .status(406)
                    .header("Vary", "Accept")
                    .body(full(Bytes::new()))
                    .expect("response"),
            }
        }
        Route::Metrics => {
            // A non-resource request: RBAC must allow `get` on the path (system:monitoring).
            let a = crate::auth::Attributes {
                user: who.clone(),
                verb: "get".into(),
                path: "/metrics".into(),
                ..Default::default()
            };
            match state.with_cluster(|c| (c.authorize(&a), c.metrics_text())) {
                (crate::auth::Decision::Allow(_), text) => text_response(200, &text),
                (d, _) => status_response(&crate::auth::forbidden_status(&a, &d)),
            }
        }
        Route::ApiVersions => {
            let addr = state
                .server_address
                .lock()
                .map(|a| a.clone())
                .unwrap_or_default();
            if negotiation::wants_aggregated_discovery(&head.accept) {
                aggregated_discovery_response(head, true)
            } else {
                json_response(200, &routing::api_versions(&addr), "application/json")
            }
        }
        Route::ApiGroupList => {
            if negotiation::wants_aggregated_discovery(&head.accept) {
                aggregated_discovery_response(head, false)
            } else {
                json_response(200, &routing::group_list(), "application/json")
            }
        }
        Route::ApiGroup(g) => json_response(200, &routing::api_group(&g), "application/json"),
        Route::ResourceList(g, v) => {
            json_response(200, &routing::resource_list(&g, &v), "application/json")
        }
        Route::Clock => clock(state, head, &who, &body),
        Route::Empty(req) => empty_resource(state, head, &who, req),
        Route::Resource(req) => resource(state, head, &who, req, &body).await,
    };
    // Nothing is acknowledged or shown before it is durable (group commit).
    let durable = if clock_write {
        state.flush_durable().await
    } else {
        state.wait_durable().await
    };
    if let Err(e) = durable {
        tracing::error!(error = %e, "storage flush failed");
        let st = Status::failure(500, "InternalError", format!("storage flush failed: {e}"));
        return (status_response(&st), user);
    }
    (resp, user)
}

/// Authentication, then authorization of the request as `RequestInfoFactory` reads its
/// method and path (the filters in front of the mux): the user's name, or the 401/403 answer.
#[allow(clippy::result_large_err)]
fn authorize_by_path(
    state: &State,
    head: &Head,
    cert: Option<&auth::ConnCert>,
) -> Result<String, (Response<Body>, String)> {
    let who = authn(state, head, cert).map_err(|resp| (resp, String::new()))?;
    let mut a = routing::request_attributes(&head.method, &head.path, &head.query);
    a.user = who.clone();
    let decision = state.with_cluster(|c| c.authorize(&a));
    if decision.allowed() {
        Ok(who.user)
    } else {
        let st = crate::auth::forbidden_status(&a, &decision);
        Err((status_response(&st), who.user))
    }
}

/// Authenticate and impersonate; `Err` is the ready 401/403 response. A connection's valid
/// client certificate without impersonation needs no cluster lock (the virtual now is read
/// from its mirror); everything else is judged under the lock, as before.
#[allow(clippy::result_large_err)]
fn authn(
    state: &State,
    head: &Head,
    cert: Option<&auth::ConnCert>,
) -> Result<Identity, Response<Body>> {
    if let Some(id) = cert.and_then(|c| c.identity_at(state.virtual_now().unix())) {
        let impersonating = head
            .headers
            .iter()
            .any(|(k, _)| k.starts_with("impersonate-"));
        if !impersonating {
            return Ok(id.clone());
        }
    }
    state.with_cluster(|c| {
        let creds = auth::Credentials {
            client_cert: cert.map(|c| c.der.as_slice()),
            authorization: head.authorization.as_deref(),
        };
        let id =
            auth::authenticate(c, &state.ca_der, &creds, state.anonymous).map_err(|reason| {
                tracing::debug!(%reason, "unauthorized");
                status_response(&Status::unauthorized())
            })?;
        auth::impersonate(c, &id, &head.headers).map_err(|st| {
            if st.code == 500 {
                // `responsewriters.InternalError`: Go's `http.Error` with
                // `Internal Server Error: %q: %v` of the request URI (`RequestURI`, the
                // path as sent, escapes and all), `&<>` HTML-escaped.
                let path = head.raw_path.as_deref().unwrap_or(&head.path);
                let uri = if head.query.is_empty() {
                    path.to_string()
                } else {
                    format!("{path}?{}", head.query)
                };
                let text = format!("Internal Server Error: {}: {}", go_quote(&uri), st.message)
                    .replace('&', "&amp;")
                    .replace('<', "&lt;")
                    .replace('>', "&gt;");
                let mut r = text_response(500, &format!("{text}\n"));
                r.headers_mut().insert(
                    "X-Content-Type-Options",
                    hyper::header::HeaderValue::from_static("nosniff"),
                );
                r
            } else {
                status_response(&st)
            }
        })
    })
}

/// Go's `%q` of a request URI (printable ASCII; `"` and `\\` escaped).
fn go_quote(s: &str) -> String {
    serde_json::to_string(s).expect("json string")
}

fn clock(state: &State, head: &Head, who: &Identity, body: &[u8]) -> Response<Body> {
    if head.method == "POST" {
        if !who.in_group(crate::auth::identity::SYSTEM_MASTERS) {
            let a = crate::auth::Attributes {
                user: who.clone(),
                verb: "post".into(),
                path: routing::CLOCK_PATH.into(),
                ..Default::default()
            };
            return status_response(&crate::auth::forbidden_status(
                &a,
                &crate::auth::Decision::NoOpinion(String::new()),
            ));
        }
        let v = match negotiation::decode_json(body) {
            Ok(v) => v,
            Err(st) => return status_response(&st),
        };
        let Some(adv) = v.get("advance").and_then(|a| a.as_str()) else {
            return status_response(&Status::bad_request(
                "expected {\"advance\": \"<duration>\"}",
            ));
        };
        let d = match parse_duration(adv) {
            Ok(d) => d,
            Err(e) => return status_response(&Status::bad_request(e)),
        };
        return match state.advance(d) {
            Ok(now) => json_response(200, &json!({"now": now}), "application/json"),
            // as a failed put is answered (`Cluster::put_json`)
            Err(e) => {
                tracing::error!(error = %e, "writing the virtual clock's record failed");
                status_response(&Status::internal(format!("storage error: {e}")))
            }
        };
    }
    let now = state.with_cluster(|c| c.now());
    json_response(200, &json!({"now": now}), "application/json")
}

/// pods and events: nothing is stored; RBAC still decides (so `can-i` and `get pods` agree).
fn empty_resource(state: &State, head: &Head, who: &Identity, req: ApiRequest) -> Response<Body> {
    let verb = req.verb.unwrap_or(Verb::Get);
    let a = crate::auth::Attributes {
        user: who.clone(),
        verb: verb.as_str().into(),
        resource_request: true,
        api_group: req.group.clone(),
        api_version: "v1".into(),
        resource: req.resource.clone(),
        subresource: req.subresource.clone(),
        namespace: req.namespace.clone(),
        name: req.watch_name.clone().unwrap_or_else(|| req.name.clone()),
        path: head.path.clone(),
    };
    let Some(info) =
        crate::api::resources::find_listed_only_at(&req.group, &req.version, &req.resource)
    else {
        return status_response(&Status::not_found(
            &crate::api::GroupResource::new(&req.group, &req.resource),
            &req.name,
        ));
    };
    let (decision, collection, now) = state.with_cluster(|c| {
        let decision = c.authorize(&a);
        // A list or watch checks its options as a stored kind's does (past authorization).
        let collection = (decision.allowed() && matches!(verb, Verb::List | Verb::Watch))
            .then(|| c.listed_only_collection(info, &req.namespace, &req));
        (decision, collection, c.now())
    });
    if !decision.allowed() {
        return status_response(&crate::auth::forbidden_status(&a, &decision));
    }
    match collection {
        // As for a stored kind: an expired (or too large, for a watch list) resourceVersion
        // ends a 200 watch stream with an ERROR event.
        Some(Err(st))
            if verb == Verb::Watch
                && (st.code == 410 || (st.code == 504 && st.reason == "Timeout")) =>
        {
            if let Some(st) = negotiation::watch_not_acceptable(&head.accept) {
                return status_response(&st);
            }
            let (tx, rx) = tokio::sync::mpsc::channel::<Bytes>(1);
            let _ = tx.try_send(watch::error_line(&mut watch::Render::new(None), st));
            drop(tx);
            return Response::builder()
                .status(200)
                .header("Content-Type", "application/json")
                .header("Cache-Control", "no-cache, private")
                .body(watch::ChannelBody { rx }.boxed())
                .expect("response");
        }
        Some(Err(st)) => return status_response(&st),
        _ => {}
    }
    match verb {
        Verb::List => {
            let list = match collection {
                Some(Ok(list)) => list,
                _ => Value::Null,
            };
            if let Some(tv) = negotiation::table_version(&head.accept) {
                json_response(
                    200,
                    &negotiation::table_with(
                        &req.resource,
                        &list,
                        now,
                        true,
                        negotiation::IncludeObject::Metadata,
                        tv,
                    ),
                    negotiation::table_content_type(tv),
                )
            } else {
                json_response(200, &list, "application/json")
            }
        }
        // Nothing is ever stored: a named object is never there, to read or to delete.
        Verb::Get | Verb::Delete => status_response(&Status::not_found(
            &crate::api::GroupResource::new(&req.group, &req.resource),
            &req.name,
        )),
        Verb::Watch => {
            if let Some(st) = negotiation::watch_not_acceptable(&head.accept) {
                return status_response(&st);
            }
            // Nothing will ever happen: hold the stream open until the timeout or the client leaves.
            let timeout = watch::watch_timeout(req.list.timeout_seconds);
            let (tx, rx) = tokio::sync::mpsc::channel::<Bytes>(1);
            tokio::spawn(async move {
                tokio::select! {
                    _ = tokio::time::sleep(timeout) => {}
                    _ = tx.closed() => {}
                }
            });
            Response::builder()
                .status(200)
                .header("Content-Type", "application/json")
                .body(watch::ChannelBody { rx }.boxed())
                .expect("response")
        }
        _ => status_response(&Status::method_not_allowed(
            "the server does not allow this method on the requested resource",
        )),
    }
}

async fn resource(
    state: &Arc<State>,
    head: &Head,
    who: &Identity,
    mut req: ApiRequest,
    body: &[u8],
) -> Response<Body> {
    if let Some((_, ua)) = head.headers.iter().find(|(k, _)| k == "user-agent") {
        req.user_agent = ua.clone();
    }
    let verb = req.verb.unwrap_or(Verb::Get);
    if verb == Verb::List {
        if let Some(l) = req.list.limit {
            if l > state.max_list_limit {
                req.list.limit = Some(state.max_list_limit);
            }
        }
    }
    let decoded = match verb {
        Verb::Create | Verb::Update => {
            let decoded = negotiation::decode_object(&head.content_type, body);
            // Not a JSON object with string apiVersion/kind: the JSON serializer's
            // `Interpret` fails first, and the handler says so in its own words.
            let interpret_fails = match &decoded {
                Ok(Value::Object(m)) => ["apiVersion", "kind"]
                    .iter()
                    .any(|k| m.get(*k).is_some_and(|v| !v.is_string() && !v.is_null())),
                Ok(Value::Null) => false,
                Ok(_) => true,
                Err(_) => true,
            };
            let json = matches!(
                negotiation::media_type(&head.content_type).as_str(),
                "" | "application/json"
            );
            match kind_of(&req.group, &req.resource) {
                Some(kind) if interpret_fails && json => {
                    match crate::api::goscan::unrecognized(kind, body) {
                        Some(msg) => Err(Status::bad_request(msg)),
                        None => decoded.map(Some),
                    }
                }
                _ => decoded.map(Some),
            }
        }
        Verb::Patch => negotiation::patch_type(&head.content_type).and_then(|pt| {
            req.patch_type = Some(pt);
            negotiation::decode_patch(pt, body).map(Some)
        }),
        Verb::Delete | Verb::DeleteCollection if !body.iter().all(|b| b.is_ascii_whitespace()) => {
            negotiation::decode_object(&head.content_type, body)
                .and_then(|v| routing::apply_delete_options(&mut req, &v))
                .map(|_| None)
        }
        _ => Ok(None),
    };
    // Verify a new CSR's signature here, outside the cluster lock, so both cores can do it;
    // validation under the lock then finds it in the verified cache (same bytes, same answer).
    if let (Ok(Some(v)), Verb::Create, "certificatesigningrequests") =
        (&decoded, verb, req.resource.as_str())
    {
        use base64::Engine;
        if let Some(pem) = v["spec"]["request"]
            .as_str()
            .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
        {
            let _ = crate::validation::csr::parse_request(&pem);
        }
    }
    // A patch document is decoded strictly too (duplicate keys; a JSON patch's unknown
    // operation fields), before it is applied.
    if verb == Verb::Patch
        && req.resource == "certificatesigningrequests"
        && req.field_validation != "Ignore"
        && matches!(decoded, Ok(Some(_)))
    {
        use crate::api::gojson::{strict_errors_json_as, GoType, JSON_PATCH};
        static ANY: GoType = GoType::Any;
        req.strict_errors = match req.patch_type {
            Some(crate::sim::PatchType::Json) => strict_errors_json_as(body, &JSON_PATCH)
                .map(|e| e.into_iter().map(|x| format!("json patch {x}")).collect()),
            Some(crate::sim::PatchType::Merge | crate::sim::PatchType::StrategicMerge) => {
                strict_errors_json_as(body, &ANY)
            }
            Some(crate::sim::PatchType::Apply) => {
                crate::api::gojson::yaml_duplicate_keys_json(body).or_else(|| {
                    std::str::from_utf8(body)
                        .ok()
                        .and_then(crate::api::gojson::yaml_duplicate_keys)
                })
            }
            _ => None,
        };
    }
    // Strict decoding reads the body's bytes: duplicate fields exist only there.
    if matches!(verb, Verb::Create | Verb::Update)
        && req.resource == "certificatesigningrequests"
        && matches!(
            negotiation::media_type(&head.content_type).as_str(),
            "" | "application/json"
        )
        && matches!(decoded, Ok(Some(_)))
    {
        req.strict_errors =
            crate::api::gojson::strict_errors_json(body, &crate::api::csr::go_types::CSR);
    }
    // A YAML body: the serializer's strict decoding reports `YAMLToJSONStrict`'s duplicate
    // keys (one yaml.v2 error listing them all), then the JSON decoder's unknown fields.
    if let (Verb::Create | Verb::Update, "certificatesigningrequests", Ok(Some(v))) =
        (verb, req.resource.as_str(), &decoded)
    {
        if negotiation::media_type(&head.content_type) == "application/yaml" {
            let mut errs = Vec::new();
            if let Some(d) = std::str::from_utf8(body)
                .ok()
                .and_then(crate::api::gojson::yaml_duplicate_keys)
                .filter(|d| !d.is_empty())
            {
                errs.push(format!("{YAML_UNMARSHAL_ERRORS}{}", d.join("\n  ")));
            }
            errs.extend(crate::api::gojson::unknown_field_errors(
                v,
                &crate::api::csr::go_types::CSR,
            ));
            req.strict_errors = Some(errs);
        }
    }
    match decoded {
        Ok(Some(v)) => req.body = Some(v),
        Ok(None) => {}
        Err(st) => return status_response(&st),
    }
    let asked_table = negotiation::table_version(&head.accept);
    let table = asked_table.is_some() && matches!(verb, Verb::Get | Verb::List | Verb::Watch);
    let table_version = asked_table.unwrap_or(negotiation::TABLE_V1);
    let partial = negotiation::wants_partial(&head.accept)
        .filter(|_| !table && matches!(verb, Verb::Get | Verb::List | Verb::Watch));
    let partial_kind = crate::api::resources::find(&req.group, &req.resource)
        .map(|i| (i.group, i.kind))
        .unwrap_or(("", ""));
    let resource_name = req.resource.clone();
    let include_object = routing::parse_query(&head.query).remove("includeObject");
    let timeout = watch::watch_timeout(req.list.timeout_seconds);
    let initial_events_end = req.list.send_initial_events && req.list.allow_watch_bookmarks;
    // Server-side apply of an absent object creates it (201), as the apiserver's apply does.
    let apply_create = (req.patch_type == Some(crate::sim::PatchType::Apply)).then(|| {
        let mut create = req.clone();
        create.verb = Some(Verb::Create);
        create.patch_type = None;
        create.from_apply = true;
        create.name.clear();
        create
    });
    let url_name = req.name.clone();
    // fieldValidation Warn (the default) and Ignore drop unknown fields; Warn names them in
    // `Warning` headers, which kubectl prints ("Warning: unknown field \"spec.foo\"").
    let mut warnings: Vec<String> = match (&req.body, verb, req.resource.as_str()) {
        (Some(b), Verb::Create | Verb::Update, "certificatesigningrequests")
            if matches!(req.field_validation.as_str(), "" | "Warn") =>
        {
            match &req.strict_errors {
                // `addStrictDecodingWarnings`/`parseYAMLWarnings`: a yaml.v2 error is one
                // warning per line.
                Some(e) => e
                    .iter()
                    .flat_map(|x| match x.strip_prefix(YAML_UNMARSHAL_ERRORS) {
                        Some(lines) => lines.split('\n').map(|l| l.trim().to_string()).collect(),
                        None => vec![x.clone()],
                    })
                    .collect(),
                None => {
                    crate::api::gojson::unknown_field_errors(b, &crate::api::csr::go_types::CSR)
                }
            }
        }
        // The other kinds: the unknown fields of the decoded body (the core drops them).
        (Some(b), Verb::Create | Verb::Update, r)
            if matches!(req.field_validation.as_str(), "" | "Warn") =>
        {
            match crate::api::go_types::for_resource(r) {
                Some(st) if crate::api::gojson::type_error(b, st).is_none() => {
                    crate::api::gojson::unknown_field_errors(b, st)
                }
                _ => Vec::new(),
            }
        }
        _ => Vec::new(),
    };
    // Wait for the cluster without blocking the worker thread: while one request is inside
    // `Cluster::apply`, the other worker keeps doing TLS, parsing and responses.
    // `DeleteResource`: 202 when the object is still there (finalizers) and the client
    // asked for cascading deletion with `orphanDependents: false`.
    let accepted_if_kept = verb == Verb::Delete && req.orphan_dependents == Some(false);
    // The answer is written out as JSON: a create may answer with the stored bytes.
    req.stored_json = true;
    let turn = state.apply_turn.acquire().await;
    let (result, now, patch_warnings) = state.with_cluster(|c| {
        c.take_warnings();
        let mut r = c.apply(who, req);
        if let (Err(st), Some(create)) = (&r, apply_create) {
            if st.code == 404 && st.reason == "NotFound" {
                r = crate::registry::apply::check_create_name(
                    create.body.as_ref().unwrap_or(&serde_json::Value::Null),
                    &url_name,
                )
                .and_then(|()| c.apply(who, create));
            }
        }
        (r, c.now(), c.take_warnings())
    });
    warnings.extend(patch_warnings);
    drop(turn);
    let mut resp = match result {
        // `Cacher.Watch`: once authorization and the resourceVersion have passed, an expired
        // (or, for a watch list, a too large) resourceVersion is an ERROR event of a 200 stream that then ends, not an HTTP 410
        // ("To match the uncached watch implementation … must fail with a watch event of type
        // ERROR"): kubectl prints the Status and exits 0, the Python client raises 410.
        // The watch was opened (its ERROR event is the stream's), then the stream serializer
        // is negotiated: none for YAML.
        Err(st)
            if verb == Verb::Watch
                && (st.code == 410 || (st.code == 504 && st.reason == "Timeout")) =>
        {
            if let Some(st) = negotiation::watch_not_acceptable(&head.accept) {
                return status_response(&st);
            }
            let (tx, rx) = tokio::sync::mpsc::channel::<Bytes>(1);
            let _ = tx.try_send(watch::error_line(&mut watch::Render::new(None), st));
            drop(tx);
            Response::builder()
                .status(200)
                .header(
                    "Content-Type",
                    if table {
                        negotiation::table_content_type(table_version)
                    } else {
                        "application/json"
                    },
                )
                .header("Cache-Control", "no-cache, private")
                .body(watch::ChannelBody { rx }.boxed())
                .expect("response")
        }
        Err(st) => status_response(&st),
        Ok(ApiResponse::Created(v)) => json_response(201, &v, "application/json"),
        // Only in-process callers ask for typed answers; rendered here all the same.
        Ok(r @ ApiResponse::Csr(_)) => json_response(200, &r.into_value(), "application/json"),
        Ok(ApiResponse::CreatedJson(b)) => {
            let mut body = Vec::with_capacity(b.len() + 1);
            body.extend_from_slice(&b);
            body.push(b'\n');
            bytes_response(201, body, "application/json")
        }
        Ok(ApiResponse::Ok(v)) => {
            let is_status = v.get("kind").and_then(|k| k.as_str()) == Some("Status");
            if table && !is_status {
                match negotiation::IncludeObject::parse(include_object.as_deref()) {
                    Ok(include) => json_response(
                        200,
                        &negotiation::table_with(
                            &resource_name,
                            &v,
                            now,
                            true,
                            include,
                            table_version,
                        ),
                        negotiation::table_content_type(table_version),
                    ),
                    Err(st) => status_response(&st),
                }
            } else if let (Some(p), false) = (partial, is_status) {
                match negotiation::partial_response(p, &v, partial_kind.0, partial_kind.1) {
                    Ok(out) => json_response(200, &out, "application/json"),
                    Err(st) => status_response(&st),
                }
            } else if accepted_if_kept && v.get("kind").and_then(|k| k.as_str()) != Some("Status") {
                json_response(202, &v, "application/json")
            } else {
                json_response(200, &v, "application/json")
            }
        }
        Ok(ApiResponse::Watch(stream)) => {
            let include = if table {
                match negotiation::IncludeObject::parse(include_object.as_deref()) {
                    Ok(i) => i,
                    Err(st) => return status_response(&st),
                }
            } else {
                negotiation::IncludeObject::Metadata
            };
            if let Some(st) = negotiation::watch_not_acceptable(&head.accept) {
                return status_response(&st);
            }
            let Some(slot) = state.open_watch(&who.user) else {
                return status_response(&Status::failure(
                    429,
                    "TooManyRequests",
                    format!(
                        "too many watches for user {:?}: the limit is {}",
                        who.user, state.max_watches_per_user
                    ),
                ));
            };
            let (tx, rx) = tokio::sync::mpsc::channel::<Bytes>(64);
            let mut render = watch::Render::new(table.then_some(resource_name));
            render.initial_events_end = initial_events_end;
            render.include = include;
            render.table_version = table_version;
            if let Some(negotiation::Partial::Object(av)) = partial {
                render.partial = Some(av);
            }
            let st2 = state.clone();
            tokio::spawn(async move {
                let _slot = slot;
                watch::run(st2, stream, render, timeout, tx).await
            });
            let ct = if table {
                negotiation::table_content_type(table_version)
            } else {
                "application/json"
            };
            Response::builder()
                .status(200)
                .header("Content-Type", ct)
                .header("Cache-Control", "no-cache, private")
                .body(watch::ChannelBody { rx }.boxed())
                .expect("response")
        }
    };
    // The decoder's warnings are recorded before admission, validation and storage run, so
    // their failures (404, 409, 422) carry them too; authorization and decoding failures
    // come first and do not.
    if resp.status().is_success() || matches!(resp.status().as_u16(), 404 | 409 | 422) {
        for text in warnings {
            if let Ok(h) = hyper::header::HeaderValue::from_str(&format!("299 - {text:?}")) {
                resp.headers_mut().append("Warning", h);
            }
        }
    }
    resp
}

fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let b = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()));
    let _ = match format {
        LogFormat::Json => b.json().try_init(),
        LogFormat::Text => b.try_init(),
    };
}

/// `csrsim serve`: returns the process exit code.
pub fn run_serve(args: ServeArgs) -> i32 {
    init_logging(args.log_format);
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("csrsim serve: {e}");
            return 1;
        }
    };
    let (persist, dir) = match &args.data_dir {
        Some(d) => (true, d.clone()),
        None => (
            false,
            std::env::temp_dir().join(format!("csrsim-{}", std::process::id())),
        ),
    };
    let code = serve_in(&rt, &args, &dir, persist);
    // Dropping the runtime ends every task; the last Arc<State> drop closes the store.
    drop(rt);
    // Without --data-dir the directory is ours (admin.kubeconfig, ca.crt): gone with us.
    if !persist {
        if let Err(e) = std::fs::remove_dir_all(&dir) {
            if e.kind() != std::io::ErrorKind::NotFound {
                tracing::warn!(dir = %dir.display(), error = %e, "cannot remove the temporary directory");
            }
        }
    }
    code
}

fn serve_in(rt: &tokio::runtime::Runtime, args: &ServeArgs, dir: &Path, persist: bool) -> i32 {
    rt.block_on(async {
        // Caught from the start: a SIGTERM or SIGINT during start-up (a big data dir loading)
        // ends the process once start-up is done, with exit 0, as one while serving does,
        // instead of killing it half-way.
        let mut stop = StopSignals::new();
        if let Err(e) = crate::store::create_data_dir(dir) {
            eprintln!("csrsim serve: {e}");
            return 1;
        }
        let started = match start_serving(args, dir, persist).await {
            Ok(s) => s,
            Err(e) => {
                eprintln!("csrsim serve: {e}");
                return 1;
            }
        };
        use std::io::Write;
        let mut out = std::io::stdout();
        let _ = writeln!(out, "Serving on {}", started.url);
        let _ = writeln!(out, "Admin kubeconfig: {}", started.kubeconfig_path.display());
        let _ = out.flush();
        tracing::info!(url = %started.url, kubeconfig = %started.kubeconfig_path.display(), clock = ?args.clock, "serving");
        stop.wait().await;
        tracing::info!("shutting down");
        drop(started);
        0
    })
}

/// SIGTERM and SIGINT, caught from the moment this is made (before that, either kills).
struct StopSignals {
    #[cfg(unix)]
    term: Option<tokio::signal::unix::Signal>,
    #[cfg(unix)]
    int: Option<tokio::signal::unix::Signal>,
}

impl StopSignals {
    fn new() -> StopSignals {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            StopSignals {
                term: signal(SignalKind::terminate()).ok(),
                int: signal(SignalKind::interrupt()).ok(),
            }
        }
        #[cfg(not(unix))]
        StopSignals {}
    }

    async fn wait(&mut self) {
        #[cfg(unix)]
        {
            async fn recv(s: &mut Option<tokio::signal::unix::Signal>) {
                match s {
                    Some(s) => {
                        s.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            }
            if self.term.is_none() && self.int.is_none() {
                let _ = tokio::signal::ctrl_c().await;
                return;
            }
            tokio::select! {
                _ = recv(&mut self.term) => {}
                _ = recv(&mut self.int) => {}
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

/// An in-process server on a free loopback port for Rust tests (kube-rs has no in-memory
/// API server). It runs on its own thread and runtime and stops when dropped.
pub struct TestServer {
    /// `https://127.0.0.1:<port>`
    pub url: String,
    /// The admin kubeconfig (cluster `kubernetes`, user `kubernetes-admin`).
    pub kubeconfig_path: PathBuf,
    /// The cluster CA (PEM), also in `dir/ca.crt`.
    pub ca_pem: String,
    pub dir: PathBuf,
    state: Arc<State>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
    _tmp: Option<tempfile_dir::TempDir>,
}

mod tempfile_dir {
    /// A directory removed on drop (tests only need this much).
    pub struct TempDir(pub std::path::PathBuf);
    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

impl TestServer {
    /// Start a server with these options (`ServeArgs::for_tests()` is a good base). Without
    /// `data_dir`, objects live in memory and files go to a temporary directory.
    pub fn start(args: ServeArgs) -> Result<TestServer, String> {
        static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let (persist, dir, tmp) = match &args.data_dir {
            Some(d) => (true, d.clone(), None),
            None => {
                let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let d =
                    std::env::temp_dir().join(format!("csrsim-test-{}-{n}", std::process::id()));
                (false, d.clone(), Some(tempfile_dir::TempDir(d)))
            }
        };
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let d2 = dir.clone();
        let thread = std::thread::spawn(move || {
            let rt = match tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
            {
                Ok(rt) => rt,
                Err(e) => {
                    let _ = ready_tx.send(Err(e.to_string()));
                    return;
                }
            };
            rt.block_on(async move {
                match start(&args, &d2, persist).await {
                    Ok(s) => {
                        let _ = ready_tx.send(Ok((
                            s.url.clone(),
                            s.kubeconfig_path.clone(),
                            s.ca_pem.clone(),
                            s.state.clone(),
                        )));
                        let _ = stop_rx.await;
                    }
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                    }
                }
            });
            rt.shutdown_background();
        });
        let (url, kubeconfig_path, ca_pem, state) =
            ready_rx.recv().map_err(|e| e.to_string())??;
        Ok(TestServer {
            url,
            kubeconfig_path,
            ca_pem,
            dir,
            state,
            stop: Some(stop_tx),
            thread: Some(thread),
            _tmp: tmp,
        })
    }

    /// Advance the virtual clock (runs every due timer and controller); returns the new now.
    pub fn advance(&self, d: Duration) -> Time {
        self.state.advance(d).unwrap_or_else(|e| {
            tracing::error!(error = %e, "writing the virtual clock's record failed");
            self.now()
        })
    }

    /// Virtual now.
    pub fn now(&self) -> Time {
        self.state.with_cluster(|c| c.now())
    }

    /// Direct access to the cluster (no HTTP, no authorization); watchers are woken after.
    pub fn with_cluster<R>(&self, f: impl FnOnce(&mut Cluster) -> R) -> R {
        self.state.with_cluster(f)
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

#[cfg(test)]
mod rfc1123_tests {
    #[test]
    fn a_year_later_as_go_prints_it() {
        // 2024-02-29T12:34:56Z + 1y = 2025-03-01 (AddDate normalizes), a Saturday.
        assert_eq!(
            super::rfc1123_a_year_after(1_709_210_096),
            "Sat, 01 Mar 2025 12:34:56 UTC"
        );
        // 2026-12-07T00:00:00Z + 1y = Tue, 07 Dec 2027.
        assert_eq!(
            super::rfc1123_a_year_after(1_796_601_600),
            "Tue, 07 Dec 2027 00:00:00 UTC"
        );
    }
}
