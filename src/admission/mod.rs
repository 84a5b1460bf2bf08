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

#[cfg(test)]
mod tests {
    //! The tables of upstream `plugin/pkg/admission/certificates/{approval,signing,
    //! subjectrestriction}/admission_test.go`, with their fake authorizer: it allows exactly
    //! one verb on `signers` named `allowed_name` (group `certificates.k8s.io`, version `*`).
    use super::*;
    use crate::api::csr::{FAILED, KUBE_APISERVER_CLIENT, KUBE_APISERVER_CLIENT_KUBELET};
    use crate::api::{CertificateSigningRequest, CsrCondition};
    use crate::testutil::Req;

    fn fake_authz(
        verb: &'static str,
        allowed_name: &'static str,
    ) -> impl Fn(&Attributes) -> Decision {
        move |a: &Attributes| {
            let ok = a.verb == verb
                && a.api_group == "certificates.k8s.io"
                && a.api_version == "*"
                && a.resource == "signers"
                && a.name == allowed_name
                && a.resource_request;
            if ok {
                Decision::Allow(String::new())
            } else {
                Decision::Deny(String::new())
            }
        }
    }

    fn csr(signer: &str, cert: &[u8], conds: &[&str]) -> CertificateSigningRequest {
        let mut c = CertificateSigningRequest::default();
        c.metadata.name = "x".into();
        c.spec.signer_name = signer.into();
        c.status.certificate = cert.to_vec();
        c.status.conditions = conds
            .iter()
            .map(|t| CsrCondition {
                type_: t.to_string(),
                ..Default::default()
            })
            .collect();
        c
    }

    #[test]
    fn signing_plugin_validate_table() {
        let user = Identity::user("ignored", &[]);
        let rows: Vec<(&str, &'static str, CertificateSigningRequest, CertificateSigningRequest, Result<(), String>)> = vec![
            ("allowed if the 'certificate' and conditions field has not changed", "",
             csr("", b"data", &[]), csr("", b"data", &[]), Ok(())),
            ("deny request if authz lookup fails on certificate change", "other.com/xyz",
             csr("abc.com/xyz", b"", &[]), csr("abc.com/xyz", b"data", &[]),
             Err("user not permitted to sign requests with signerName \"abc.com/xyz\"".into())),
            ("deny request if authz lookup fails on condition change", "other.com/xyz",
             csr("abc.com/xyz", b"", &[]), csr("abc.com/xyz", b"", &[FAILED]),
             Err("user not permitted to sign requests with signerName \"abc.com/xyz\"".into())),
            ("allow request if user is authorized for specific signerName", "abc.com/xyz",
             csr("abc.com/xyz", b"", &[]), csr("abc.com/xyz", b"data", &[]), Ok(())),
            ("allow request if user is authorized with wildcard", "abc.com/*",
             csr("abc.com/xyz", b"", &[]), csr("abc.com/xyz", b"data", &[]), Ok(())),
            ("should deny request if user does not have permission for this signerName", "notabc.com/xyz",
             csr("abc.com/xyz", b"", &[]), csr("abc.com/xyz", b"data", &[]),
             Err("user not permitted to sign requests with signerName \"abc.com/xyz\"".into())),
            ("should deny request if user attempts to update signerName to a new value they *do* have permission to sign for",
             "allowed.com/xyz", csr("notallowed.com/xyz", b"", &[]), csr("allowed.com/xyz", b"data", &[]),
             Err("user not permitted to sign requests with signerName \"notallowed.com/xyz\"".into())),
        ];
        for (case, allowed, old, new, want) in rows {
            let got =
                signing::admit(&fake_authz("sign", allowed), &user, &old, &new).map_err(|s| {
                    assert_eq!(s.code, 403, "{case}");
                    s.message
                });
            let want = want.map_err(|m| {
                format!("certificatesigningrequests.certificates.k8s.io \"x\" is forbidden: {m}")
            });
            assert_eq!(got, want, "{case}");
        }
    }

    #[test]
    fn approval_plugin_validate_table() {
        let user = Identity::user("ignored", &[]);
        let rows: Vec<(&str, &'static str, &str, Result<(), String>)> = vec![
            (
                "allow request if user is authorized for specific signerName",
                "abc.com/xyz",
                "abc.com/xyz",
                Ok(()),
            ),
            (
                "allow request if user is authorized with wildcard",
                "abc.com/*",
                "abc.com/xyz",
                Ok(()),
            ),
            (
                "should deny request if user does not have permission for this signerName",
                "notabc.com/xyz",
                "abc.com/xyz",
                Err(
                    "user not permitted to approve requests with signerName \"abc.com/xyz\"".into(),
                ),
            ),
            (
                "a wildcard of another domain does not match",
                "abc.com/*",
                "abcd.com/xyz",
                Err(
                    "user not permitted to approve requests with signerName \"abcd.com/xyz\""
                        .into(),
                ),
            ),
        ];
        for (case, allowed, signer, want) in rows {
            // Every /approval update is checked, changed conditions or not; the old
            // object's signerName is the one checked.
            let old = csr(signer, b"", &[]);
            let got = approval::admit(&fake_authz("approve", allowed), &user, &old)
                .map_err(|s| s.message);
            let want = want.map_err(|m| {
                format!("certificatesigningrequests.certificates.k8s.io \"x\" is forbidden: {m}")
            });
            assert_eq!(got, want, "{case}");
        }
    }

    #[test]
    fn subject_restriction_plugin_validate_table() {
        let with_group = |g: &str| {
            Req {
                orgs: &[g][..],
                ..Default::default()
            }
            .pem()
        };
        let mk = |name: &str, signer: &str, request: &str| {
            let mut c = csr(signer, b"", &[]);
            c.metadata.name = name.into();
            c.spec.request = request.as_bytes().to_vec();
            c
        };
        let rows: Vec<(&str, CertificateSigningRequest, &str)> = vec![
            ("some other signer", mk("a", KUBE_APISERVER_CLIENT_KUBELET, &with_group("system:masters")), ""),
            ("invalid request", mk("bear", KUBE_APISERVER_CLIENT, "this is not a CSR"),
             "certificatesigningrequests.certificates.k8s.io \"bear\" is forbidden: failed to parse CSR: PEM block type must be CERTIFICATE REQUEST"),
            ("some other group", mk("a", KUBE_APISERVER_CLIENT, &with_group("system:admin")), ""),
            ("request for system:masters", mk("pooh", KUBE_APISERVER_CLIENT, &with_group("system:masters")),
             "certificatesigningrequests.certificates.k8s.io \"pooh\" is forbidden: use of kubernetes.io/kube-apiserver-client signer with system:masters group is not allowed"),
        ];
        for (case, c, want) in rows {
            let got = subject_restriction::admit(&c)
                .err()
                .map(|s| s.message)
                .unwrap_or_default();
            assert_eq!(got, want, "{case}");
        }
    }
}
