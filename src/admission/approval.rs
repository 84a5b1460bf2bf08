//! CertificateApproval (`plugin/pkg/admission/certificates/approval/admission.go`): every
//! UPDATE of `certificatesigningrequests/approval` needs `approve` on the OLD object's signer.

use crate::api::{CertificateSigningRequest, GroupResource, Status};
use crate::auth::{Attributes, Decision, Identity};

pub fn admit(
    authz: &dyn Fn(&Attributes) -> Decision,
    user: &Identity,
    old: &CertificateSigningRequest,
) -> Result<(), Status> {
    let signer = &old.spec.signer_name;
    if super::is_authorized_for_signer_name(authz, user, "approve", signer) {
        return Ok(());
    }
    Err(Status::forbidden(
        &GroupResource::csr(),
        &old.metadata.name,
        &format!("user not permitted to approve requests with signerName \"{signer}\""),
    ))
}
