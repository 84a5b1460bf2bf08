//! NodeRestriction's CSR rule (`plugin/pkg/admission/noderestriction/admission.go`, v1.31+):
//! a node identity creating a CSR for `kubernetes.io/kubelet-serving` or
//! `kubernetes.io/kube-apiserver-client-kubelet` must ask for `CN=system:node:<its name>`.
//! Off when the `AllowInsecureKubeletCertificateSigningRequests` gate is on.
//!
//! NodeRestriction is a *mutating* plugin (`Admit`): it runs before the strategy and field
//! validation, on the object as decoded, so its 403 comes before a 422 — and before name
//! generation, so the name in its message is the requested name, else the `generateName`
//! prefix, else `Unknown` (`admission.NewForbidden`'s `extractResourceName`).
//!
//! Order (upstream): a node identity (`system:node:` prefix and the `system:nodes` group)
//! whose name is empty is refused for every operation (`could not determine node from user
//! "system:node:"`); then the gate; then only kubelet signers are checked: the request must
//! parse (`unable to parse csr: <err>`) and its subject CN — Go's `Subject.CommonName`, the
//! last CN attribute — must be the node's.

use crate::api::csr::{KUBELET_SERVING, KUBE_APISERVER_CLIENT_KUBELET};
use crate::api::{CertificateSigningRequest, GroupResource, Status};
use crate::auth::identity::{NODE_USER_PREFIX, SYSTEM_NODES};
use crate::auth::Identity;

/// `nodeidentifier.NodeIdentity`: `Some(name)` (possibly empty) for a node identity.
pub fn node_identity(user: &Identity) -> Option<&str> {
    let name = user.user.strip_prefix(NODE_USER_PREFIX)?;
    user.in_group(SYSTEM_NODES).then_some(name)
}

/// The name `admission.NewForbidden` prints for a create: the object's name, else its
/// `generateName`, else `Unknown`.
pub fn create_name(name: &str, generate_name: &str) -> String {
    match (name, generate_name) {
        ("", "") => "Unknown".into(),
        ("", g) => g.into(),
        (n, _) => n.into(),
    }
}

/// The check `Admit` makes before it looks at the resource: a node identity whose node name
/// is empty is refused, for every resource and every operation the plugin handles (create,
/// update — `/status`, `/approval` and patches included —, delete, and each item of a
/// delete-collection). `name` is the one `admission.NewForbidden` prints: the request's
/// name, else (a create) [`create_name`]'s, else `Unknown`.
pub fn admit_node_identity(user: &Identity, gr: &GroupResource, name: &str) -> Result<(), Status> {
    match node_identity(user) {
        Some("") => Err(Status::forbidden(
            gr,
            name,
            &format!("could not determine node from user \"{}\"", user.user),
        )),
        _ => Ok(()),
    }
}

/// `Admit` for a CSR create; `name` is [`create_name`]'s.
pub fn admit(
    user: &Identity,
    csr: &CertificateSigningRequest,
    name: &str,
    allow_insecure: bool,
) -> Result<(), Status> {
    let Some(node) = node_identity(user) else {
        return Ok(());
    };
    let gr = GroupResource::csr();
    admit_node_identity(user, &gr, name)?;
    if allow_insecure {
        return Ok(());
    }
    if csr.spec.signer_name != KUBELET_SERVING
        && csr.spec.signer_name != KUBE_APISERVER_CLIENT_KUBELET
    {
        return Ok(());
    }
    let (_, cn) = super::subject_restriction::subject(&csr.spec.request)
        .map_err(|e| Status::forbidden(&gr, name, &format!("unable to parse csr: {e}")))?;
    if cn != format!("{NODE_USER_PREFIX}{node}") {
        return Err(Status::forbidden(
            &gr,
            name,
            &format!("can only create a node CSR with CN=system:node:{node}"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::csr::KUBE_APISERVER_CLIENT;
    use crate::pki::der::UTF8_STRING;
    use crate::testutil::{csr_pem, Req, OID_CN};

    fn csr(signer: &str, request: &str) -> CertificateSigningRequest {
        let mut c = CertificateSigningRequest::default();
        c.spec.signer_name = signer.into();
        c.spec.request = request.as_bytes().to_vec();
        c
    }

    fn pem(cn: &str) -> String {
        Req {
            cn,
            ..Default::default()
        }
        .pem()
    }

    /// noderestriction/admission_test.go `Test_nodePlugin_Admit` (its CSR rows) and the
    /// node identity rule that precedes every resource's check.
    #[test]
    fn csr_rows_of_node_plugin_admit() {
        let mynode = Identity::node("mynode");
        let forbidden = |m: &str| {
            Err(format!(
                "certificatesigningrequests.certificates.k8s.io \"x\" is forbidden: {m}"
            ))
        };
        let two_cns = csr_pem(
            &[
                (OID_CN, UTF8_STRING, b"system:node:mynode"),
                (OID_CN, UTF8_STRING, b"system:node:othernode"),
            ],
            &[],
        );
        let rows: Vec<(
            &str,
            Identity,
            CertificateSigningRequest,
            bool,
            Result<(), String>,
        )> = vec![
            (
                "allowed CSR create correct node serving",
                mynode.clone(),
                csr(KUBELET_SERVING, &pem("system:node:mynode")),
                false,
                Ok(()),
            ),
            (
                "allowed CSR create correct node client",
                mynode.clone(),
                csr(KUBE_APISERVER_CLIENT_KUBELET, &pem("system:node:mynode")),
                false,
                Ok(()),
            ),
            (
                "allowed CSR create non-node CSR",
                mynode.clone(),
                csr(KUBE_APISERVER_CLIENT, &pem("some-other-identity")),
                false,
                Ok(()),
            ),
            (
                "deny CSR create incorrect node",
                mynode.clone(),
                csr(KUBELET_SERVING, &pem("system:node:othernode")),
                false,
                forbidden("can only create a node CSR with CN=system:node:mynode"),
            ),
            (
                "allow CSR create incorrect node with feature gate disabled",
                mynode.clone(),
                csr(KUBELET_SERVING, &pem("system:node:othernode")),
                true,
                Ok(()),
            ),
            (
                "deny CSR create invalid",
                mynode.clone(),
                csr(
                    KUBELET_SERVING,
                    "-----BEGIN CERTIFICATE REQUEST-----\n-----END CERTIFICATE REQUEST-----",
                ),
                false,
                forbidden("unable to parse csr: asn1: syntax error: sequence truncated"),
            ),
            (
                "not PEM at all",
                mynode.clone(),
                csr(KUBELET_SERVING, "bad"),
                false,
                forbidden("unable to parse csr: PEM block type must be CERTIFICATE REQUEST"),
            ),
            (
                "Go's Subject.CommonName is the last CN",
                mynode.clone(),
                csr(KUBELET_SERVING, &two_cns),
                false,
                forbidden("can only create a node CSR with CN=system:node:mynode"),
            ),
            (
                "not in system:nodes: not a node",
                Identity::user("system:node:mynode", &[]),
                csr(KUBELET_SERVING, &pem("system:node:othernode")),
                false,
                Ok(()),
            ),
            (
                "node with an empty name, any signer",
                Identity::user("system:node:", &[SYSTEM_NODES]),
                csr(KUBE_APISERVER_CLIENT, &pem("x")),
                false,
                forbidden("could not determine node from user \"system:node:\""),
            ),
            (
                "node with an empty name, gate on",
                Identity::user("system:node:", &[SYSTEM_NODES]),
                csr(KUBE_APISERVER_CLIENT, &pem("x")),
                true,
                forbidden("could not determine node from user \"system:node:\""),
            ),
        ];
        for (case, user, c, gate, want) in rows {
            let got = admit(&user, &c, "x", gate).map_err(|s| {
                assert_eq!((s.code, s.reason.as_str()), (403, "Forbidden"), "{case}");
                s.message
            });
            assert_eq!(got, want, "{case}");
        }
    }

    #[test]
    fn forbidden_name_before_generation() {
        assert_eq!(create_name("a", "b-"), "a");
        assert_eq!(create_name("", "b-"), "b-");
        assert_eq!(create_name("", ""), "Unknown");
    }
}
