//! Admission plugins for CSRs, run after field validation (validating admission):
//! - [`approval`]: CertificateApproval — `/approval` updates need `approve` on the signer;
//! - [`signing`]: CertificateSigning — `/status` updates that change the certificate or
//!   conditions need `sign` on the signer;
//! - [`subject_restriction`]: CertificateSubjectRestriction — no `O=system:masters` for
//!   `kubernetes.io/kube-apiserver-client`;
//! - [`node_restriction`]: NodeRestriction's CSR rule — a node may only request its own CN.
//!
//! Each returns `Err(Status)` (403) with the upstream message.

pub mod approval;
pub mod node_restriction;
pub mod signing;
pub mod subject_restriction;

use crate::auth::{Attributes, Decision, Identity};

/// `IsAuthorizedForSignerName` (`plugin/pkg/admission/certificates/util.go`): allowed for the
/// exact signer name, or for `<domain>/*`.
pub fn is_authorized_for_signer_name(
    authz: &dyn Fn(&Attributes) -> Decision,
    user: &Identity,
    verb: &str,
    signer: &str,
) -> bool {
    let mut a = Attributes {
        user: user.clone(),
        verb: verb.into(),
        resource_request: true,
        api_group: "certificates.k8s.io".into(),
        api_version: "*".into(),
        resource: "signers".into(),
        name: signer.into(),
        ..Default::default()
    };
    if authz(&a).allowed() {
        return true;
    }
    let domain = signer.split('/').next().unwrap_or("");
    a.name = format!("{domain}/*");
    authz(&a).allowed()
}
