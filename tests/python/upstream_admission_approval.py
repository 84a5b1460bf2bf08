"""Mirrors test/integration/certificates/admission_approval_test.go TestCSRSignerNameApprovalPlugin:
a user granted `approve` on `signers` (exact name or `<domain>/*`) plus `update` on
`certificatesigningrequests/approval` may add an Approved condition through /approval; a grant for
another signer name gets the CertificateApproval plugin's 403.
Upstream starts one apiserver per case; here the cases share one server and clean up after
themselves (CSR "csr", ClusterRole/ClusterRoleBinding "signername-test-user").
Usage: KUBECONFIG=... python3 upstream_admission_approval.py WORKDIR"""
import os
import sys

from kubernetes import client, config

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import upstream_util as u  # noqa: E402

config.load_kube_config()
os.chdir(sys.argv[1])
certs = client.CertificatesV1Api()
USER = "test-user"

CASES = [
    ("should admit when a user has permission for the exact signerName",
     "example.com/something", "example.com/something", None),
    ("should admit when a user has permission for the wildcard-suffixed signerName",
     "example.com/*", "example.com/something", None),
    ("should deny if a user does not have permission for the given signerName",
     "example.com/not-something", "example.com/something",
     'certificatesigningrequests.certificates.k8s.io "csr" is forbidden: '
     'user not permitted to approve requests with signerName "example.com/something"'),
]


def grant_user_permission_to_approve_for(user, *signer_names):
    name = "signername-" + user
    u.grant_cluster_role(name, user, [
        client.V1PolicyRule(verbs=["approve"], api_groups=[u.CERTS_GROUP], resources=["signers"],
                            resource_names=list(signer_names)),
        client.V1PolicyRule(verbs=["update"], api_groups=[u.CERTS_GROUP],
                            resources=["certificatesigningrequests/approval"]),
    ])
    u.wait_for_authorization(user, "approve", u.CERTS_GROUP, "signers", signer_names[0])
    u.wait_for_authorization(user, "update", u.CERTS_GROUP, "certificatesigningrequests/approval")
    return name


for title, allowed, signer, error in CASES:
    role = grant_user_permission_to_approve_for(USER, allowed)
    csr = u.create_testing_csr(certs, "csr", signer, "")
    test_user = client.CertificatesV1Api(u.client_as(USER))
    csr.status.conditions = (csr.status.conditions or []) + [client.V1CertificateSigningRequestCondition(
        type="Approved", status="True", reason="AutoApproved", message="Approved during integration test")]
    if error is None:
        got = test_user.replace_certificate_signing_request_approval("csr", csr)
        assert [c.type for c in got.status.conditions] == ["Approved"], (title, got.status.conditions)
        assert got.status.conditions[0].reason == "AutoApproved", title
    else:
        st = u.expect_api_error(lambda: test_user.replace_certificate_signing_request_approval("csr", csr),
                                403, error)
        assert st["reason"] == "Forbidden", (title, st)
        assert st["details"] == {"name": "csr", "group": "certificates.k8s.io",
                                 "kind": "certificatesigningrequests"}, (title, st)
        still = certs.read_certificate_signing_request("csr")
        assert not still.status.conditions, (title, still.status.conditions)
    certs.delete_certificate_signing_request("csr")
    u.remove_cluster_role(role)
    print("  ok:", title)

print("upstream admission approval: ok")
