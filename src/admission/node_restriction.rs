//! NodeRestriction's CSR rule (`plugin/pkg/admission/noderestriction/admission.go`, v1.31+):
//! a node identity creating a CSR for `kubernetes.io/kubelet-serving` or
//! `kubernetes.io/kube-apiserver-client-kubelet` must ask for `CN=system:node:<its name>`.
//! Off when the `AllowInsecureKubeletCertificateSigningRequests` gate is on.
//!
//! The plugin is mutating admission (`Admit`): it runs before `rest.BeforeCreate` generates the
//! name and before validation, so a refusal comes ahead of validation errors, and
//! `admission.NewForbidden` names the object by its `generateName` when it has no name yet
//! (`"csr-"` for a kubelet's request), `Unknown` when it has neither.

use crate::api::csr::{KUBELET_SERVING, KUBE_APISERVER_CLIENT_KUBELET};
use crate::api::{CertificateSigningRequest, GroupResource, Status};
use crate::auth::Identity;

/// `name`: the object's name as the admission attributes hold it (see the module doc).
pub fn admit(
    user: &Identity,
    csr: &CertificateSigningRequest,
    name: &str,
    allow_insecure: bool,
) -> Result<(), Status> {
    let Some(node) = user.node_name() else {
        return Ok(());
    };
    if allow_insecure {
        return Ok(());
    }
    if csr.spec.signer_name != KUBELET_SERVING
        && csr.spec.signer_name != KUBE_APISERVER_CLIENT_KUBELET
    {
        return Ok(());
    }
    let gr = GroupResource::csr();
    let (_, cn) = super::subject_restriction::subject(&csr.spec.request)
        .map_err(|e| Status::forbidden(&gr, name, &format!("unable to parse csr: {e}")))?;
    if cn != format!("system:node:{node}") {
        return Err(Status::forbidden(
            &gr,
            name,
            &format!("can only create a node CSR with CN=system:node:{node}"),
        ));
    }
    Ok(())
}
