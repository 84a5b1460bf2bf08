"""Mirrors test/integration/certificates/admission_subjectrestriction_test.go
TestCertificateSubjectRestrictionPlugin (v1): the superuser creating a CSR for
kubernetes.io/kube-apiserver-client whose subject has O=system:masters gets the
CertificateSubjectRestriction 403; O=system:notmasters is admitted. (The v1beta1-era case "signerName
is NOT kube-apiserver-client" used legacy-unknown, which v1 rejects in validation; the rule that other
signers are not restricted is checked here with kube-apiserver-client-kubelet and a custom signer.)
Usage: KUBECONFIG=... python3 upstream_admission_subjectrestriction.py WORKDIR"""
import os
import sys

from kubernetes import client, config

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import upstream_util as u  # noqa: E402

config.load_kube_config()
os.chdir(sys.argv[1])
certs = client.CertificatesV1Api()

CASES = [
    ("should reject a request if signerName is kube-apiserver-client and group is system:masters",
     "kubernetes.io/kube-apiserver-client", "system:masters",
     'certificatesigningrequests.certificates.k8s.io "csr" is forbidden: '
     'use of kubernetes.io/kube-apiserver-client signer with system:masters group is not allowed'),
    ("should admit a request if signerName is kube-apiserver-client and group is NOT system:masters",
     "kubernetes.io/kube-apiserver-client", "system:notmasters", None),
    # v1 stand-ins for the v1beta1 "signerName is NOT kube-apiserver-client" case
    ("should admit a request if signerName is kube-apiserver-client-kubelet and org is system:masters",
     "kubernetes.io/kube-apiserver-client-kubelet", "system:masters", None),
    ("should admit a request if signerName is a custom signer and org is system:masters",
     "example.com/signer", "system:masters", None),
]

for title, signer, group, error in CASES:
    csr = u.build_testing_csr("csr", signer, group)
    if error is None:
        got = certs.create_certificate_signing_request(csr)
        assert got.metadata.name == "csr" and got.spec.signer_name == signer, title
        certs.delete_certificate_signing_request("csr")
    else:
        st = u.expect_api_error(lambda: certs.create_certificate_signing_request(csr), 403, error)
        assert st["reason"] == "Forbidden", (title, st)
        assert st["details"] == {"name": "csr", "group": "certificates.k8s.io",
                                 "kind": "certificatesigningrequests"}, (title, st)
        u.expect_api_error(lambda: certs.read_certificate_signing_request("csr"), 404,
                           'certificatesigningrequests.certificates.k8s.io "csr" not found')
    print("  ok:", title)

print("upstream admission subjectrestriction: ok")
