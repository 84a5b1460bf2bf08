//! CertificateSigning (`plugin/pkg/admission/certificates/signing/admission.go`): an UPDATE of
//! `certificatesigningrequests/status` that changes the certificate or the conditions needs
//! `sign` on the OLD object's signer.

use crate::api::{CertificateSigningRequest, GroupResource, Status};
use crate::auth::{Attributes, Decision, Identity};

pub fn admit(
    authz: &dyn Fn(&Attributes) -> Decision,
    user: &Identity,
    old: &CertificateSigningRequest,
    new: &CertificateSigningRequest,
) -> Result<(), Status> {
    if old.status.certificate == new.status.certificate
        && old.status.conditions == new.status.conditions
    {
        return Ok(());
    }
    let signer = &old.spec.signer_name;
    if super::is_authorized_for_signer_name(authz, user, "sign", signer) {
        return Ok(());
    }
    Err(Status::forbidden(
        &GroupResource::csr(),
        &old.metadata.name,
        &format!("user not permitted to sign requests with signerName \"{signer}\""),
    ))
}
