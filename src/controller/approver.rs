//! `csrapproving`: kube-controller-manager's kubelet client certificate auto-approver
//! (`pkg/controller/certificates/approver/sarapprove.go`, run by
//! `pkg/controller/certificates/certificate_controller.go`).
//!
//! It recognizes kubelet client CSRs for `kubernetes.io/kube-apiserver-client-kubelet`, asks
//! a SubjectAccessReview whether the *requester* (`spec.username/uid/groups/extra`) may
//! `create certificatesigningrequests/selfnodeclient` (renewal by the node itself) or
//! `/nodeclient` (bootstrap), and if so appends `Approved/AutoApproved` through `/approval`.
//! It never denies and never approves any other signer. A recognized CSR whose SAR is not
//! allowed is an "ignorable error": the key is requeued with the workqueue's per-item
//! exponential backoff, so a later RBAC change lets it through.
//!
//! Two upstream variants ([`ApproverVariant`]):
//! * `Stable` — the recognizer loop of every released Kubernetes through v1.34 (verified in
//!   the stored upstream `sarapprove.go`): try `selfnodeclient` (if the CSR is the node's own),
//!   then `nodeclient`; the first allowed SAR wins, so a self-renewal is also approved through
//!   `nodeclient` permission. Not approved →
//!   `recognized csr "<n>" as [selfnodeclient nodeclient] but subject access review was not approved`.
//! * `Newest` — the restructured handler found only in the development line that adds CSR-based
//!   pod certificates (the CSR/PodIdentity approach of the closed prototype
//!   kubernetes/kubernetes#121596; v1.34 shipped pod certificates as `PodCertificateRequest`
//!   instead and kept the loop above): a self-node CSR checks only `selfnodeclient` with no
//!   fallback (`... as selfNodeClientCert but ...`), else `nodeclient` (`... as nodeClientCert
//!   but ...`); SAR errors are wrapped `while authorizing csr "<n>": <err>`. Its pod-signer
//!   branch (`kubernetes.io/kube-apiserver-client-pod`) is not modelled.
//!
//! Default: `Stable`, because it is the newest *released* behaviour; no release tag was found
//! containing the restructured handler.

use crate::api::csr::{APPROVED, DENIED, KUBE_APISERVER_CLIENT_KUBELET};
use crate::api::{CertificateSigningRequest, CsrCondition};
use crate::auth::{Attributes, Identity};
use crate::controller::{Controller, SyncResult};
use crate::sim::{ApiRequest, Cluster, Verb};
use std::collections::BTreeMap;

/// Controller name (`NewCSRApprovingController`).
pub const NAME: &str = "csrapproving";
/// Condition reason and messages (`appendApprovalCondition` callers).
pub const REASON: &str = "AutoApproved";
pub const SELF_NODE_CLIENT_MESSAGE: &str =
    "Auto approving self kubelet client certificate after SubjectAccessReview.";
pub const NODE_CLIENT_MESSAGE: &str =
    "Auto approving kubelet client certificate after SubjectAccessReview.";
/// Workqueue `ItemExponentialFailureRateLimiter(200ms, 1000s)`.
pub const BACKOFF_BASE_MS: u64 = 200;
pub const BACKOFF_MAX_MS: u64 = 1_000_000;
/// `kubeletClientRequiredUsages` and `kubeletClientRequiredUsagesNoRSA`.
const KUBELET_CLIENT_USAGES: [&str; 3] = ["client auth", "digital signature", "key encipherment"];
const KUBELET_CLIENT_USAGES_NO_RSA: [&str; 2] = ["client auth", "digital signature"];

/// Which upstream handler to run. See the module docs for the release history.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ApproverVariant {
    /// Development-line handler: no fallback from `selfnodeclient` to `nodeclient`.
    Newest,
    /// Recognizer loop of released Kubernetes (default).
    #[default]
    Stable,
}

/// The parts of a parsed x509 certificate request the recognizers look at.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ParsedRequest {
    pub common_name: String,
    pub organizations: Vec<String>,
    /// DNS, email, IP or URI SANs present (Go's `x509.CertificateRequest` fields).
    pub has_sans: bool,
}

/// `capihelper.ParseCSR`: PEM `CERTIFICATE REQUEST` then DER. The DER error text is Go's
/// asn1 message for the commonest corruption (not every Go message is reproduced).
pub fn parse_request(pem: &[u8]) -> Result<ParsedRequest, String> {
    match crate::pki::csr::parsed_pem_before(pem) {
        Some(p) => Ok(ParsedRequest {
            common_name: p.subject.common_name.clone(),
            organizations: p.organizations(),
            has_sans: p.has_sans(),
        }),
        None => parse_request_uncached(pem),
    }
}

/// [`parse_request`] without the shortcut through a remembered parse.
pub(crate) fn parse_request_uncached(pem: &[u8]) -> Result<ParsedRequest, String> {
    use x509_parser::extensions::{GeneralName, ParsedExtension};
    use x509_parser::prelude::*;
    let der = match crate::pki::gopem::decode(pem) {
        Some((b, _)) if b.type_ == "CERTIFICATE REQUEST" => b.bytes,
        _ => return Err("PEM block type must be CERTIFICATE REQUEST".into()),
    };
    let (_, req) = X509CertificationRequest::from_der(&der)
        .map_err(|_| crate::validation::csr::asn1_csr_error(&der))?;
    let (common_name, organizations) =
        crate::pki::cert_facts::cn_and_orgs(&req.certification_request_info.subject);
    let mut has_sans = false;
    if let Some(exts) = req.requested_extensions() {
        for e in exts {
            if let ParsedExtension::SubjectAlternativeName(san) = e {
                has_sans |= san.general_names.iter().any(|g| {
                    matches!(
                        g,
                        GeneralName::DNSName(_)
                            | GeneralName::RFC822Name(_)
                            | GeneralName::IPAddress(_)
                            | GeneralName::URI(_)
                    )
                });
            }
        }
    }
    Ok(ParsedRequest {
        common_name,
        organizations,
        has_sans,
    })
}

/// `IsKubeletClientCSR`: O exactly `[system:nodes]`, no SANs, CN `system:node:*`, usages
/// exactly one of the two kubelet client sets.
pub fn is_kubelet_client(req: &ParsedRequest, usages: &[String]) -> bool {
    let set: std::collections::BTreeSet<&str> = usages.iter().map(|s| s.as_str()).collect();
    let want: std::collections::BTreeSet<&str> = KUBELET_CLIENT_USAGES.into_iter().collect();
    let want_no_rsa: std::collections::BTreeSet<&str> =
        KUBELET_CLIENT_USAGES_NO_RSA.into_iter().collect();
    req.organizations == ["system:nodes"]
        && !req.has_sans
        && req.common_name.starts_with("system:node:")
        && (set == want || set == want_no_rsa)
}

/// `isNodeClientCert`.
pub fn is_node_client_cert(csr: &CertificateSigningRequest, req: &ParsedRequest) -> bool {
    csr.spec.signer_name == KUBE_APISERVER_CLIENT_KUBELET
        && is_kubelet_client(req, &csr.spec.usages)
}

/// `isSelfNodeClientCert`.
pub fn is_self_node_client_cert(csr: &CertificateSigningRequest, req: &ParsedRequest) -> bool {
    csr.spec.username == req.common_name && is_node_client_cert(csr, req)
}

/// A recognizer predicate (`csrRecognizer.recognize`).
type Recognizer = fn(&CertificateSigningRequest, &ParsedRequest) -> bool;

/// What one sync decided.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Nothing to do (issued, approved/denied, or not a recognized kubelet client CSR).
    Skip,
    /// Append `Approved/AutoApproved` with this message.
    Approve(&'static str),
    /// Return this error (requeue with backoff). `ignorable` marks `IgnorableError`s.
    Error { message: String, ignorable: bool },
}

/// The SubjectAccessReview the approver sends for `subresource`, as attributes.
pub fn sar_attributes(csr: &CertificateSigningRequest, subresource: &str) -> Attributes {
    Attributes {
        user: Identity {
            user: csr.spec.username.clone(),
            uid: csr.spec.uid.clone(),
            groups: csr.spec.groups.clone(),
            extra: csr.spec.extra.clone(),
        },
        verb: "create".into(),
        resource_request: true,
        api_group: "certificates.k8s.io".into(),
        api_version: "*".into(),
        resource: "certificatesigningrequests".into(),
        subresource: subresource.into(),
        namespace: String::new(),
        name: String::new(),
        path: String::new(),
    }
}

/// `sarApprover.handle` up to the approval write. `authorize` answers a SAR (`Err` = the
/// SubjectAccessReview create failed).
pub fn decide(
    variant: ApproverVariant,
    csr: &CertificateSigningRequest,
    authorize: &mut dyn FnMut(&Attributes) -> Result<bool, String>,
) -> Outcome {
    if !csr.status.certificate.is_empty() {
        return Outcome::Skip;
    }
    if csr.has_condition(APPROVED) || csr.has_condition(DENIED) {
        return Outcome::Skip;
    }
    let name = &csr.metadata.name;
    let req = match parse_request(&csr.spec.request) {
        Ok(r) => r,
        Err(e) => {
            return Outcome::Error {
                message: format!("unable to parse csr {name:?}: {e}"),
                ignorable: false,
            }
        }
    };
    match variant {
        ApproverVariant::Stable => {
            let recognizers: [(Recognizer, &str, &'static str); 2] = [
                (
                    is_self_node_client_cert,
                    "selfnodeclient",
                    SELF_NODE_CLIENT_MESSAGE,
                ),
                (is_node_client_cert, "nodeclient", NODE_CLIENT_MESSAGE),
            ];
            let mut tried: Vec<&str> = Vec::new();
            for (recognize, sub, msg) in recognizers {
                if !recognize(csr, &req) {
                    continue;
                }
                tried.push(sub);
                match authorize(&sar_attributes(csr, sub)) {
                    Err(e) => {
                        return Outcome::Error {
                            message: e,
                            ignorable: false,
                        }
                    }
                    Ok(true) => return Outcome::Approve(msg),
                    Ok(false) => {}
                }
            }
            if tried.is_empty() {
                Outcome::Skip
            } else {
                Outcome::Error {
                    message: format!(
                        "recognized csr {name:?} as [{}] but subject access review was not approved",
                        tried.join(" ")
                    ),
                    ignorable: true,
                }
            }
        }
        ApproverVariant::Newest => {
            let (sub, kind, msg) = if is_self_node_client_cert(csr, &req) {
                (
                    "selfnodeclient",
                    "selfNodeClientCert",
                    SELF_NODE_CLIENT_MESSAGE,
                )
            } else if is_node_client_cert(csr, &req) {
                ("nodeclient", "nodeClientCert", NODE_CLIENT_MESSAGE)
            } else {
                return Outcome::Skip;
            };
            match authorize(&sar_attributes(csr, sub)) {
                Err(e) => Outcome::Error { message: format!("while authorizing csr {name:?}: {e}"), ignorable: false },
                Ok(true) => Outcome::Approve(msg),
                Ok(false) => Outcome::Error {
                    message: format!("recognized csr {name:?} as {kind} but subject access review was not approved"),
                    ignorable: true,
                },
            }
        }
    }
}

/// `appendApprovalCondition`: timestamps left empty for the approval strategy to fill.
pub fn approval_condition(message: &str) -> CsrCondition {
    CsrCondition {
        type_: APPROVED.into(),
        status: "True".into(),
        reason: REASON.into(),
        message: message.into(),
        last_update_time: None,
        last_transition_time: None,
    }
}

/// The controller: per-key failure counts drive the workqueue backoff.
#[derive(Debug, Default)]
pub struct Approver {
    variant: ApproverVariant,
    failures: BTreeMap<String, u32>,
}

impl Approver {
    pub fn new(variant: ApproverVariant) -> Self {
        Approver {
            variant,
            failures: BTreeMap::new(),
        }
    }

    /// `AddRateLimited`: 200ms·2^n, capped at 1000s.
    fn backoff(&mut self, name: &str) -> u64 {
        let n = self.failures.entry(name.to_string()).or_insert(0);
        let ms = BACKOFF_BASE_MS
            .saturating_mul(1u64.checked_shl(*n).unwrap_or(u64::MAX))
            .min(BACKOFF_MAX_MS);
        *n = n.saturating_add(1);
        ms
    }
}

impl Controller for Approver {
    fn name(&self) -> &'static str {
        NAME
    }

    fn sync(&mut self, cx: &mut Cluster, name: &str) -> SyncResult {
        // certificate_controller.syncFunc: gone or issued → nothing to do.
        let Some(current) = cx.csr_arc(name) else {
            self.failures.remove(name);
            return SyncResult::Done;
        };
        let outcome = decide(self.variant, &current, &mut |a| Ok(cx.allows(a)));
        let err = match outcome {
            Outcome::Skip => None,
            Outcome::Error { message, .. } => Some(message),
            Outcome::Approve(message) => {
                let mut csr = (*current).clone();
                csr.status.conditions.push(approval_condition(message));
                let req = ApiRequest::csr(Verb::Update)
                    .name(name)
                    .subresource("approval")
                    .csr_body(csr)
                    .user_agent(super::USER_AGENT)
                    .discard_object();
                match cx.apply(&Identity::controller_manager(), req) {
                    Ok(_) => None,
                    Err(e) => Some(format!("error updating approval for csr: {}", e.message)),
                }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pki::der::{self, tlv};
    use crate::testutil::csr_pem;

    /// The shortcut through the shared parse (`parse_der_shared`) reads exactly what the
    /// approver's and admission's own x509 parses read: Go's `Subject.CommonName` (the last
    /// string CN), every string O in order,
    /// and "has SANs" for DNS, email, IP and URI names only.
    #[test]
    fn shared_parse_reads_what_the_own_parse_reads() {
        const CN: &str = "2.5.4.3";
        const O: &str = "2.5.4.10";
        const OU: &str = "2.5.4.11";
        let utf8 = der::UTF8_STRING;
        let printable = der::PRINTABLE_STRING;
        let dns = tlv(0x82, b"n1.example");
        let email = tlv(0x81, b"a@example.com");
        let ip = tlv(0x87, &[10, 0, 0, 1]);
        let uri = tlv(0x86, b"spiffe://x/y");
        let other = der::explicit(
            0,
            &[der::oid("1.2.3.4"), der::explicit(0, &tlv(utf8, b"v"))].concat(),
        );
        let cases: Vec<(&str, String)> = vec![
            ("empty subject", csr_pem(&[], &[])),
            (
                "kubelet client",
                csr_pem(
                    &[(O, utf8, b"system:nodes"), (CN, utf8, b"system:node:n1")],
                    &[],
                ),
            ),
            (
                "two CNs, two Os, an OU, a non-string O",
                csr_pem(
                    &[
                        (CN, utf8, b"first"),
                        (O, printable, b"a"),
                        (OU, utf8, b"unit"),
                        (O, der::INTEGER, &[5]),
                        (O, utf8, b"b"),
                        (CN, utf8, b"second"),
                    ],
                    &[],
                ),
            ),
            ("non-string CN", csr_pem(&[(CN, der::INTEGER, &[1])], &[])),
            ("DNS SAN", csr_pem(&[(CN, utf8, b"x")], &[dns])),
            ("email SAN", csr_pem(&[(CN, utf8, b"x")], &[email])),
            ("IP SAN", csr_pem(&[(CN, utf8, b"x")], &[ip])),
            ("URI SAN", csr_pem(&[(CN, utf8, b"x")], &[uri])),
            ("otherName SAN only", csr_pem(&[(CN, utf8, b"x")], &[other])),
        ];
        for (what, pem) in cases {
            let own = parse_request_uncached(pem.as_bytes()).expect(what);
            let own_subject =
                crate::admission::subject_restriction::subject_uncached(pem.as_bytes())
                    .expect(what);
            assert!(
                crate::pki::csr::parsed_pem_before(pem.as_bytes()).is_none(),
                "{what}: not yet remembered"
            );
            crate::pki::csr::parse_pem_shared(pem.as_bytes()).expect(what);
            assert!(crate::pki::csr::parsed_pem_before(pem.as_bytes()).is_some());
            assert_eq!(parse_request(pem.as_bytes()).unwrap(), own, "{what}");
            assert_eq!(
                crate::admission::subject_restriction::subject(pem.as_bytes()).unwrap(),
                own_subject,
                "{what}"
            );
            assert_eq!((own.common_name.clone(), own.organizations.clone()), {
                let (o, cn) = own_subject;
                (cn, o)
            });
            if what.starts_with("two CNs") {
                assert_eq!(own.common_name, "second", "{what}: Go keeps the last CN");
                assert_eq!(own.organizations, ["a", "b"], "{what}");
            }
        }
    }
}
