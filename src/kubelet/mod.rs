//! Simulated kubelets: TLS bootstrap, client certificate rotation and serving certificates,
//! as state machines on the virtual clock.
//!
//! A node is not a thread: it is a [`node::Node`] whose every future action (a rotation
//! deadline, the end of a wait, a retry, a restart) is one entry in the [`fleet::Fleet`]'s
//! single timer queue, and whose waits for a certificate are answered by the CSR notifications
//! the cluster sends to every controller (the model of the kubelet's
//! `fieldSelector=metadata.name=<csr>` watch). The fleet is the [`crate::controller::Controller`]
//! named [`fleet::NAME`] (`kubelets`). 10,000 nodes are 10,000 small structs and at most a few
//! queue entries each.
//!
//! Paths (see the spec §9 and §10):
//! * **bootstrap** (`pkg/kubelet/certificate/bootstrap/bootstrap.go`): with a bootstrap token,
//!   a key from the seeded RNG (reused across retries, as `kubelet-client.key.tmp`), the
//!   deterministic `node-csr-<hash>` name, reuse on AlreadyExists after `ensureCompatible`,
//!   a wait of up to [`BOOTSTRAP_WAIT_SECS`]; a failure exits the kubelet, which systemd
//!   restarts after [`RESTART_DELAY_MS`]. With the API unreachable the request waits first
//!   (`waitForServer`: `/healthz` every 2–2.4 s for up to [`WAIT_FOR_SERVER_MS`]) and is sent
//!   either way, so a long outage costs one attempt per 70 s (60 s wait + 10 s restart).
//!   The polls carry the token, so a token the API refuses (401) waits the same way: the node
//!   is `Stuck` meanwhile, and a token created during the minute is used at the next poll. [`fleet::BootstrapMode::CertificateManager`] models
//!   kubelets with client rotation on instead: the certificate manager requests a `csr-xxxxx`
//!   with the token, and the kubelet exits when no certificate is current 5 minutes after start.
//! * **rotation** (`client-go/util/certificate/certificate_manager.go`): deadline uniformly in
//!   [70 %, 90 %) of the certificate's lifetime on the node's own clock; each attempt a new
//!   P-256 key and a `generateName: csr-` request authenticated with the current certificate;
//!   a wait of up to [`CERTIFICATE_WAIT_TIMEOUT_MS`]; failed attempts are retried after
//!   2 s, 4 s, 8 s, 16 s (+ up to 10 % jitter) and then every 32 s.
//! * **serving** (`pkg/kubelet/certificate/kubelet.go`): the same manager with signer
//!   `kubernetes.io/kubelet-serving` and SANs from the node's addresses; re-requested when the
//!   addresses no longer match the certificate.
//! * **expiry**: a client certificate that expired (on the node's clock) is no longer
//!   presented; five minutes later, if the server answers, the kubelet exits; after the restart
//!   it bootstraps again if its token is still valid, else it is stuck and says why
//!   (`kubelet-stuck` in the trace).
//!
//! Faults ([`faults::Fault`]) are inputs on the same queue and all show in the trace.

pub mod csr;
pub mod faults;
pub mod fleet;
pub mod node;

pub use csr::{AddressType, CertInfo, CertKind, NodeAddress, UsageMode};
pub use faults::Fault;
pub use fleet::{BootstrapMode, Fleet, FleetHandle, FleetOptions};
pub use node::{Attempt, KeyType, NodeSpec, NodeStatus, Phase, RotationRecord};

/// The kubelet's client-go User-Agent; its first segment, `kubelet`, is the field manager of
/// the CSRs it creates (a rotation CSR's entry owns `metadata.generateName`).
pub const USER_AGENT: &str = "kubelet/v1.33.0 (linux/amd64) kubernetes/csrsim";

/// `WaitForCertificate` timeout of the bootstrap (`bootstrap.go`: 3600 s).
pub const BOOTSTRAP_WAIT_SECS: i64 = 3600;
/// `waitForServer(ctx, bootstrapClientConfig, 1*time.Minute)` before the bootstrap request
/// (`bootstrap.go`): how long the kubelet polls `/healthz` while the API is unreachable.
pub const WAIT_FOR_SERVER_MS: i64 = 60_000;
/// `wait.JitterUntil(..., 2*time.Second, 0.2, true, ...)`: its poll period and jitter.
pub const WAIT_FOR_SERVER_POLL_MS: i64 = 2000;
pub const WAIT_FOR_SERVER_JITTER: f64 = 0.2;
/// `certificateWaitTimeout` of the certificate manager: 15 minutes per attempt.
pub const CERTIFICATE_WAIT_TIMEOUT_MS: i64 = 15 * 60 * 1000;
/// `wait.Backoff{Duration: 2s, Factor: 2, Jitter: 0.1, Steps: 5}` of the rotation loop.
pub const BACKOFF_INITIAL_MS: i64 = 2000;
pub const BACKOFF_FACTOR: i64 = 2;
pub const BACKOFF_JITTER: f64 = 0.1;
pub const BACKOFF_STEPS: u32 = 5;
/// `wait.PollInfinite(32*time.Second, m.rotateCerts)` after the backoff is exhausted.
pub const POLL_INTERVAL_MS: i64 = 32_000;
/// `jitteryDuration`: `wait.Jitter(total, 0.2) - 0.3·total` = uniform in [0.7, 0.9)·total.
pub const ROTATION_JITTER_FACTOR: f64 = 0.2;
pub const ROTATION_JITTER_SUBTRACT: f64 = 0.3;
/// The kubelet exits when bootstrap fails or its client certificate expired; kubeadm's
/// systemd unit restarts it after `RestartSec=10`.
pub const RESTART_DELAY_MS: i64 = 10_000;
/// `UpdateTransport(..., exitAfter = 5*time.Minute)`: with no current client certificate for
/// this long and the server responsive, the kubelet exits.
pub const EXPIRED_EXIT_AFTER_MS: i64 = 5 * 60 * 1000;
/// How often the transport re-checks while the server is unreachable.
pub const TRANSPORT_RECHECK_MS: i64 = 10_000;
/// `wait.Until(..., time.Second)`: the rotation loop runs again one second after a rotation,
/// so a deadline already past (e.g. a certificate capped by the CA's NotAfter) rotates at most
/// once a second.
pub const ROTATION_LOOP_PERIOD_MS: i64 = 1000;
/// `dynamicTemplate`: the rotation loop re-checks the template every second.
pub const TEMPLATE_CHECK_MS: i64 = 1000;
