//! CertificateSubjectRestriction
//! (`plugin/pkg/admission/certificates/subjectrestriction/admission.go`): on CREATE, a CSR for
//! `kubernetes.io/kube-apiserver-client` may not carry `O=system:masters`.

use crate::api::csr::KUBE_APISERVER_CLIENT;
use crate::api::{CertificateSigningRequest, GroupResource, Status};

pub fn admit(csr: &CertificateSigningRequest) -> Result<(), Status> {
    if csr.spec.signer_name != KUBE_APISERVER_CLIENT {
        return Ok(());
    }
    let gr = GroupResource::csr();
    let name = &csr.metadata.name;
    let orgs = match subject_organizations(&csr.spec.request) {
        Ok(o) => o,
        Err(e) => {
            return Err(Status::forbidden(
                &gr,
                name,
                &format!("failed to parse CSR: {e}"),
            ))
        }
    };
    if orgs.iter().any(|o| o == "system:masters") {
        return Err(Status::forbidden(
            &gr,
            name,
            "use of kubernetes.io/kube-apiserver-client signer with system:masters group is not allowed",
        ));
    }
    Ok(())
}

/// Subject O values and CN of the CSR in `request` (`ParseCSR`).
pub fn subject_organizations(request: &[u8]) -> Result<Vec<String>, String> {
    Ok(subject(request)?.0)
}

/// (organizations, common name) of the CSR's subject, as Go's `pkix.Name` reads them (the
/// common name is the last CN attribute).
pub fn subject(request: &[u8]) -> Result<(Vec<String>, String), String> {
    match crate::pki::csr::parsed_pem_before(request) {
        Some(p) => Ok((p.organizations(), p.subject.common_name.clone())),
        None => subject_uncached(request),
    }
}

/// [`subject`] without the shortcut through a remembered parse.
pub(crate) fn subject_uncached(request: &[u8]) -> Result<(Vec<String>, String), String> {
    use x509_parser::prelude::*;
    let der = match crate::pki::gopem::decode(request) {
        Some((b, _)) if b.type_ == "CERTIFICATE REQUEST" => b.bytes,
        _ => return Err("PEM block type must be CERTIFICATE REQUEST".into()),
    };
    let req = match X509CertificationRequest::from_der(&der) {
        Ok((_, req)) => req,
        Err(_) => return Err(crate::validation::csr::asn1_csr_error(&der)),
    };
    let (cn, orgs) = crate::pki::cert_facts::cn_and_orgs(&req.certification_request_info.subject);
    Ok((orgs, cn))
}
