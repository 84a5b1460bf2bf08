"""Mirrors test/integration/certificates/admission_sign_test.go TestCSRSignerNameSigningPlugin:
the `cluster-admin` ClusterRoleBinding is deleted first (the superuser keeps working through the
system:masters authorizer); a user granted `sign` on `signers` (exact name or `<domain>/*`) plus
`update` on `certificatesigningrequests/status` may set status.certificate; a grant for another
signer name gets the CertificateSigning plugin's 403. The superuser's dry-run /status update of
the same object succeeds and changes nothing. The certificate is upstream's "random valid pem"
(two CERTIFICATE blocks between non-PEM text).
Usage: KUBECONFIG=... python3 upstream_admission_sign.py WORKDIR"""
import base64
import os
import sys

from kubernetes import client, config

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import upstream_util as u  # noqa: E402

config.load_kube_config()
os.chdir(sys.argv[1])
certs = client.CertificatesV1Api()
rbac = client.RbacAuthorizationV1Api()
USER = "test-user"

CASES = [
    ("should admit when a user has permission for the exact signerName",
     "example.com/something", "example.com/something", None),
    ("should admit when a user has permission for the wildcard-suffixed signerName",
     "example.com/*", "example.com/something", None),
    ("should deny if a user does not have permission for the given signerName",
     "example.com/not-something", "example.com/something",
     'certificatesigningrequests.certificates.k8s.io "csr" is forbidden: '
     'user not permitted to sign requests with signerName "example.com/something"'),
]

# random valid pem (upstream's fixture, non-PEM text before, between and after the blocks)
CERT = b"""
Leading non-PEM content
-----BEGIN CERTIFICATE-----
MIIBqDCCAU2gAwIBAgIUfbqeieihh/oERbfvRm38XvS/xHAwCgYIKoZIzj0EAwIw
GjEYMBYGA1UEAxMPSW50ZXJtZWRpYXRlLUNBMCAXDTE2MTAxMTA1MDYwMFoYDzIx
MTYwOTE3MDUwNjAwWjAUMRIwEAYDVQQDEwlNeSBDbGllbnQwWTATBgcqhkjOPQIB
BggqhkjOPQMBBwNCAARv6N4R/sjMR65iMFGNLN1GC/vd7WhDW6J4X/iAjkRLLnNb
KbRG/AtOUZ+7upJ3BWIRKYbOabbQGQe2BbKFiap4o3UwczAOBgNVHQ8BAf8EBAMC
BaAwEwYDVR0lBAwwCgYIKwYBBQUHAwIwDAYDVR0TAQH/BAIwADAdBgNVHQ4EFgQU
K/pZOWpNcYai6eHFpmJEeFpeQlEwHwYDVR0jBBgwFoAUX6nQlxjfWnP6aM1meO/Q
a6b3a9kwCgYIKoZIzj0EAwIDSQAwRgIhAIWTKw/sjJITqeuNzJDAKU4xo1zL+xJ5
MnVCuBwfwDXCAiEAw/1TA+CjPq9JC5ek1ifR0FybTURjeQqYkKpve1dveps=
-----END CERTIFICATE-----
Intermediate non-PEM content
-----BEGIN CERTIFICATE-----
MIIBqDCCAU6gAwIBAgIUfqZtjoFgczZ+oQZbEC/BDSS2J6wwCgYIKoZIzj0EAwIw
EjEQMA4GA1UEAxMHUm9vdC1DQTAgFw0xNjEwMTEwNTA2MDBaGA8yMTE2MDkxNzA1
MDYwMFowGjEYMBYGA1UEAxMPSW50ZXJtZWRpYXRlLUNBMFkwEwYHKoZIzj0CAQYI
KoZIzj0DAQcDQgAEyWHEMMCctJg8Xa5YWLqaCPbk3MjB+uvXac42JM9pj4k9jedD
kpUJRkWIPzgJI8Zk/3cSzluUTixP6JBSDKtwwaN4MHYwDgYDVR0PAQH/BAQDAgGm
MBMGA1UdJQQMMAoGCCsGAQUFBwMCMA8GA1UdEwEB/wQFMAMBAf8wHQYDVR0OBBYE
FF+p0JcY31pz+mjNZnjv0Gum92vZMB8GA1UdIwQYMBaAFB7P6+i4/pfNjqZgJv/b
dgA7Fe4tMAoGCCqGSM49BAMCA0gAMEUCIQCTT1YWQZaAqfQ2oBxzOkJE2BqLFxhz
3smQlrZ5gCHddwIgcvT7puhYOzAgcvMn9+SZ1JOyZ7edODjshCVCRnuHK2c=
-----END CERTIFICATE-----
Trailing non-PEM content
"""


def grant_user_permission_to_sign_for(user, *signer_names):
    name = "signername-" + user
    u.grant_cluster_role(name, user, [
        client.V1PolicyRule(verbs=["sign"], api_groups=[u.CERTS_GROUP], resources=["signers"],
                            resource_names=list(signer_names)),
        client.V1PolicyRule(verbs=["update"], api_groups=[u.CERTS_GROUP],
                            resources=["certificatesigningrequests/status"]),
    ])
    u.wait_for_authorization(user, "sign", u.CERTS_GROUP, "signers", signer_names[0])
    u.wait_for_authorization(user, "update", u.CERTS_GROUP, "certificatesigningrequests/status")
    return name


# Drop the default RBAC superuser permissions to rely on the internal superuser authorizer.
rbac.delete_cluster_role_binding("cluster-admin")
u.expect_api_error(lambda: rbac.read_cluster_role_binding("cluster-admin"), 404,
                   'clusterrolebindings.rbac.authorization.k8s.io "cluster-admin" not found')

for title, allowed, signer, error in CASES:
    role = grant_user_permission_to_sign_for(USER, allowed)
    csr = u.create_testing_csr(certs, "csr", signer, "")
    test_user = client.CertificatesV1Api(u.client_as(USER))
    csr.status.certificate = base64.b64encode(CERT).decode()

    # superuser should always have permission to sign; dry-run so the CSR is not modified
    dry = certs.replace_certificate_signing_request_status("csr", csr, dry_run="All")
    assert base64.b64decode(dry.status.certificate) == CERT, title
    after_dry = certs.read_certificate_signing_request("csr")
    assert not after_dry.status.certificate, (title, "dry run persisted")
    assert after_dry.metadata.resource_version == csr.metadata.resource_version, title

    if error is None:
        got = test_user.replace_certificate_signing_request_status("csr", csr)
        assert base64.b64decode(got.status.certificate) == CERT, title
    else:
        st = u.expect_api_error(lambda: test_user.replace_certificate_signing_request_status("csr", csr),
                                403, error)
        assert st["reason"] == "Forbidden", (title, st)
        assert not certs.read_certificate_signing_request("csr").status.certificate, title
    certs.delete_certificate_signing_request("csr")
    u.remove_cluster_role(role)
    print("  ok:", title)

print("upstream admission sign: ok")
