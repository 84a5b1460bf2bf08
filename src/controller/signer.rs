//! `csrsigning`: kube-controller-manager's built-in signers
//! (`pkg/controller/certificates/signer/signer.go`, run by `certificate_controller.go`).
//!
//! Upstream runs one controller per signer name; here one controller serves the four built-in
//! signers (each CSR names exactly one, so the behaviour is the same). Per CSR (§5.1–5.2):
//! 1. gone, or `status.certificate` already set → nothing;
//! 2. not approved (Approved without Denied), or `Failed` true → nothing;
//! 3. not a built-in signer (or no CA for it) → nothing: it stays approved-but-unissued;
//! 4. PEM/DER unparseable → error `unable to parse csr "<name>": <err>` (requeue, no condition);
//! 5. policy refuses → append `Failed`/`SignerValidationFailure` with the policy's message
//!    through `/status` (a write error — a Conflict too — requeues as
//!    `error adding failure condition for csr: <err>`);
//! 6. signing fails (bad signature, expired CA, unknown usage) → requeue with
//!    `error auto signing csr: <err>` and NO condition;
//! 7. otherwise `status.certificate` = one PEM block, written through `/status`
//!    (`error updating signature for csr: <err>` requeues).
//!
//! Errors requeue with the workqueue's per-item exponential backoff (200 ms·2ⁿ, max 1000 s);
//! the cluster traces each requeue with its error text.

use crate::api::csr::FAILED;
use crate::api::{CertificateSigningRequest, CsrCondition};
use crate::auth::Identity;
use crate::controller::{Controller, SyncResult};
use crate::pki::{csr, issue, pem};
use crate::signer::{lifetime, policy_for};
use crate::sim::{ApiRequest, Cluster, Verb};
use serde_json::json;
use std::collections::BTreeMap;

/// Controller name.
pub const NAME: &str = "csrsigning";
/// Reason of the Failed condition a policy violation adds.
pub const SIGNER_VALIDATION_FAILURE: &str = "SignerValidationFailure";
/// Workqueue `ItemExponentialFailureRateLimiter(200ms, 1000s)`.
pub const BACKOFF_BASE_MS: u64 = 200;
pub const BACKOFF_MAX_MS: u64 = 1_000_000;

/// What `handle` decided for one CSR.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Nothing to do.
    Skip,
    /// Append a Failed condition with this message.
    Fail(String),
    /// Issue this certificate (DER).
    Issue(Vec<u8>),
    /// Requeue with this error text.
    Error(String),
}

/// The skip rules of `syncFunc` + `handle` (steps 1–3), without parsing.
pub fn skip(csr: &CertificateSigningRequest) -> bool {
    !csr.status.certificate.is_empty()
        || !csr.is_approved()
        || csr.has_true_condition(FAILED)
        || policy_for(&csr.spec.signer_name).is_none()
}

/// `signer.handle` up to the status write, for one CSR at virtual `now`.
pub fn decide(
    csr: &CertificateSigningRequest,
    ca: Option<&crate::pki::Ca>,
    cert_ttl_secs: i64,
    now: crate::api::Time,
    rngs: &mut crate::sim::rng::Rngs,
) -> Decision {
    if skip(csr) {
        return Decision::Skip;
    }
    let Some(ca) = ca else { return Decision::Skip };
    let policy = policy_for(&csr.spec.signer_name).expect("checked by skip");
    let req = match csr::parse_pem_shared(&csr.spec.request) {
        Ok(r) => r,
        Err(e) => {
            return Decision::Error(format!("unable to parse csr {:?}: {e}", csr.metadata.name))
        }
    };
    if let Err(msg) = policy(&req, &csr.spec.usages) {
        return Decision::Fail(msg);
    }
    let ttl = lifetime::duration(csr.spec.expiration_seconds, cert_ttl_secs);
    // `req` is `parse_der(req.der)` already: the same bytes parse the same way.
    match issue::sign_parsed(ca, &req, &csr.spec.usages, ttl, now, rngs) {
        Ok(der) => Decision::Issue(der),
        Err(e) => Decision::Error(format!("error auto signing csr: {e}")),
    }
}

/// The Failed condition a policy violation adds.
pub fn failed_condition(message: &str, now: crate::api::Time) -> CsrCondition {
    CsrCondition {
        type_: FAILED.into(),
        status: "True".into(),
        reason: SIGNER_VALIDATION_FAILURE.into(),
        message: message.into(),
        last_update_time: Some(now),
        last_transition_time: None,
    }
}

/// The controller: per-key failure counts drive the backoff.
#[derive(Debug, Default)]
pub struct Signer {
    failures: BTreeMap<String, u32>,
}

impl Signer {
    pub fn new() -> Self {
        Signer::default()
    }

    fn backoff(&mut self, name: &str) -> u64 {
        let n = self.failures.entry(name.to_string()).or_insert(0);
        let ms = BACKOFF_BASE_MS
            .saturating_mul(1u64.checked_shl(*n).unwrap_or(u64::MAX))
            .min(BACKOFF_MAX_MS);
        *n = n.saturating_add(1);
        ms
    }

    /// `UpdateStatus`: any error, a Conflict included, is the sync's error (requeued with
    /// the rate limiter); the next sync reads the newer object.
    fn update_status(cx: &mut Cluster, csr: CertificateSigningRequest) -> Result<(), String> {
        let req = ApiRequest::csr(Verb::Update)
            .name(&csr.metadata.name)
            .subresource("status")
            .csr_body(csr)
            .user_agent(super::USER_AGENT)
            .discard_object();
        match cx.apply(&Identity::controller_manager(), req) {
            Ok(_) => Ok(()),
            Err(e) => Err(e.message),
        }
    }
}

impl Controller for Signer {
    fn name(&self) -> &'static str {
        NAME
    }

    fn sync(&mut self, cx: &mut Cluster, name: &str) -> SyncResult {
        let Some(current) = cx.csr_arc(name) else {
            self.failures.remove(name);
            return SyncResult::Done;
        };
        if skip(&current) {
            return SyncResult::Done;
        }
        let mut csr = (*current).clone();
        let ca = cx.pki().ca_for(&csr.spec.signer_name).cloned();
        let ttl = cx.config().signing_duration_secs;
        let now = cx.now();
        let err = match decide(&csr, ca.as_ref(), ttl, now, cx.rngs()) {
            Decision::Skip => None,
            Decision::Error(e) => Some(e),
            Decision::Fail(msg) => {
                csr.status.conditions.push(failed_condition(&msg, now));
                cx.trace("signer-refused", json!({"csr": name, "message": msg}));
                Self::update_status(cx, csr)
                    .err()
                    .map(|e| format!("error adding failure condition for csr: {e}"))
            }
            Decision::Issue(der) => {
                csr.status.certificate = pem::certificate_pem(&der).into_bytes();
                if cx.tracing() {
                    let serial = x509_serial_hex(&der);
                    cx.trace(
                        "signed",
                        json!({"csr": name, "signer": csr.spec.signer_name, "serial": serial}),
                    );
                }
                Self::update_status(cx, csr)
                    .err()
                    .map(|e| format!("error updating signature for csr: {e}"))
            }
        };
        match err {
            None => {
                self.failures.remove(name);
                SyncResult::Done
            }
            Some(message) => SyncResult::RequeueAfter(self.backoff(name), message),
        }
    }
}

/// Hex serial of a certificate we issued (for the trace).
fn x509_serial_hex(der: &[u8]) -> String {
    use x509_parser::prelude::*;
    X509Certificate::from_der(der)
        .map(|(_, c)| c.raw_serial_as_string())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::csr::{
        APPROVED, KUBELET_SERVING, KUBE_APISERVER_CLIENT, KUBE_APISERVER_CLIENT_KUBELET,
        LEGACY_UNKNOWN,
    };
    use crate::api::Time;
    use crate::sim::rng::Rngs;
    use crate::testutil::Req;

    /// signer.go `handle`: an `UpdateStatus` error is returned whatever it is (the
    /// certificate controller requeues it with the rate limiter); a Conflict is not
    /// swallowed.
    #[test]
    fn a_conflicting_status_write_is_an_error() {
        let mut cx = Cluster::new(crate::sim::Config::default()).unwrap();
        let admin = Identity::admin();
        let mut c = CertificateSigningRequest::default();
        c.metadata.name = "x".into();
        c.spec.signer_name = "example.com/x".into();
        c.spec.request = Req::default().pem().into_bytes();
        c.spec.usages = vec!["client auth".into()];
        cx.apply(&admin, ApiRequest::csr(Verb::Create).csr_body(c))
            .unwrap();
        let stale = cx.get_csr("x").unwrap();
        let mut newer = stale.clone();
        newer.metadata.labels.insert("a".into(), "b".into());
        cx.apply(
            &admin,
            ApiRequest::csr(Verb::Update).name("x").csr_body(newer),
        )
        .unwrap();
        let mut failed = stale;
        failed
            .status
            .conditions
            .push(failed_condition("refused", cx.now()));
        assert_eq!(
            Signer::update_status(&mut cx, failed),
            Err("Operation cannot be fulfilled on certificatesigningrequests.certificates.k8s.io \"x\": the object has been modified; please apply your changes to the latest version and try again".into())
        );
    }

    /// signer_test.go `TestHandle`, row by row (its conditions carry no status, which
    /// upstream's helpers accept: `HasTrueCondition` takes an empty status as true).
    #[test]
    fn handle_table() {
        let mut rngs = Rngs::new(3);
        let now = Time(1_900_000_000);
        let ca = crate::pki::Ca::generate(
            &mut rngs,
            "ca",
            Time(now.0 - 3600),
            Time(now.0 + 86400 * 30),
        );
        let mk = |signer: &str, req: Req, usages: &[&str], approved: bool, failed: bool| {
            let mut c = CertificateSigningRequest::default();
            c.metadata.name = "x".into();
            c.spec.signer_name = signer.into();
            c.spec.request = req.pem().into_bytes();
            c.spec.usages = usages.iter().map(|u| u.to_string()).collect();
            for (on, t) in [(approved, APPROVED), (failed, FAILED)] {
                if on {
                    c.status.conditions.push(CsrCondition {
                        type_: t.into(),
                        ..Default::default()
                    });
                }
            }
            c
        };
        let client = || Req {
            cn: "hello-world",
            orgs: &["some-org"],
            ..Default::default()
        };
        let node = |cn| Req {
            cn,
            orgs: &["system:nodes"],
            ..Default::default()
        };
        let serving = || Req {
            cn: "system:node:testnode",
            orgs: &["system:nodes"],
            dns: &["example.com"],
            ..Default::default()
        };
        #[derive(Debug, PartialEq)]
        enum Want {
            Issue,
            Fail(&'static str),
            Skip,
        }
        let rows: Vec<(&str, CertificateSigningRequest, Want)> = vec![
            ("should sign if signerName is kubernetes.io/kube-apiserver-client",
             mk(KUBE_APISERVER_CLIENT, client(), &["client auth", "digital signature", "key encipherment"], true, false), Want::Issue),
            ("should sign without key encipherment if signerName is kubernetes.io/kube-apiserver-client",
             mk(KUBE_APISERVER_CLIENT, client(), &["client auth", "digital signature"], true, false), Want::Issue),
            ("should refuse to sign if signerName is kubernetes.io/kube-apiserver-client and contains an unexpected usage",
             mk(KUBE_APISERVER_CLIENT, client(), &["server auth", "client auth", "digital signature", "key encipherment"], true, false),
             Want::Fail("invalid usage for client certificate: server auth")),
            ("should sign if signerName is kubernetes.io/kube-apiserver-client-kubelet",
             mk(KUBE_APISERVER_CLIENT_KUBELET, node("system:node:hello-world"), &["client auth", "digital signature", "key encipherment"], true, false), Want::Issue),
            ("should sign without usage key encipherment if signerName is kubernetes.io/kube-apiserver-client-kubelet",
             mk(KUBE_APISERVER_CLIENT_KUBELET, node("system:node:hello-world"), &["client auth", "digital signature"], true, false), Want::Issue),
            ("should sign if signerName is kubernetes.io/legacy-unknown",
             mk(LEGACY_UNKNOWN, Req::default(), &[], true, false), Want::Issue),
            ("should sign if signerName is kubernetes.io/kubelet-serving",
             mk(KUBELET_SERVING, serving(), &["server auth", "digital signature", "key encipherment"], true, false), Want::Issue),
            ("should sign without usage key encipherment if signerName is kubernetes.io/kubelet-serving",
             mk(KUBELET_SERVING, serving(), &["server auth", "digital signature"], true, false), Want::Issue),
            ("should do nothing if failed",
             mk(KUBELET_SERVING, serving(), &["server auth", "digital signature", "key encipherment"], true, true), Want::Skip),
            ("should do nothing if an unrecognised signerName is used",
             mk("kubernetes.io/not-recognised", Req::default(), &[], true, false), Want::Skip),
            ("should do nothing if not approved", mk(KUBELET_SERVING, Req::default(), &[], false, false), Want::Skip),
            ("should do nothing if signerName does not start with kubernetes.io",
             mk("example.com/sample-name", Req::default(), &[], true, false), Want::Skip),
        ];
        for (case, csr, want) in rows {
            let got = match decide(&csr, Some(&ca), 3600, now, &mut rngs) {
                Decision::Issue(_) => Want::Issue,
                Decision::Skip => Want::Skip,
                Decision::Fail(m) if m == "invalid usage for client certificate: server auth" => {
                    Want::Fail("invalid usage for client certificate: server auth")
                }
                other => panic!("{case}: {other:?}"),
            };
            assert_eq!(got, want, "{case}");
        }
    }
}
