"""Mirrors test/integration/certificates/defaulting_test.go TestCSRSignerNameDefaulting, which
exercised v1beta1 defaulting ("defaults to legacy-unknown if not recognised", "does not default
signerName if an explicit value is provided"). v1beta1 CSRs are no longer served (404), and v1 has
no CSR defaulting: an omitted signerName is a 422 `spec.signerName: Required value`, omitted usages a
`spec.usages: Required value`, and an explicit signerName is stored as given.
Usage: KUBECONFIG=... python3 upstream_defaulting.py WORKDIR"""
import base64
import os
import sys

from kubernetes import client, config

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import upstream_util as u  # noqa: E402

config.load_kube_config()
os.chdir(sys.argv[1])
certs = client.CertificatesV1Api()
api = client.ApiClient()
V1 = "/apis/certificates.k8s.io/v1/certificatesigningrequests"


def body(spec, version="v1"):
    return {"apiVersion": "certificates.k8s.io/" + version, "kind": "CertificateSigningRequest",
            "metadata": {"name": "testcsr"}, "spec": spec}


request = base64.b64encode(u.pem_with_group("")).decode()
usages = ["key encipherment", "digital signature"]

# "defaults to legacy-unknown if not recognised": v1 does not default, the signer is required.
status, got = u.raw(api, "POST", V1, body({"request": request, "usages": usages}))
assert status == 422, (status, got)
assert got["reason"] == "Invalid", got
assert got["message"] == ('CertificateSigningRequest.certificates.k8s.io "testcsr" is invalid: '
                          'spec.signerName: Required value'), got["message"]
assert got["details"]["causes"] == [{"reason": "FieldValueRequired", "message": "Required value",
                                     "field": "spec.signerName"}], got["details"]
# an explicit null is no different (Go's decoder leaves the zero value): still a 422
status, got = u.raw(api, "POST", V1, body({"request": request, "usages": usages, "signerName": None}))
assert status == 422, (status, got)
assert got["message"] == ('CertificateSigningRequest.certificates.k8s.io "testcsr" is invalid: '
                          'spec.signerName: Required value'), got["message"]
# nor are usages defaulted (v1beta1 defaulted them to digital signature + key encipherment)
status, got = u.raw(api, "POST", V1, body({"request": request, "signerName": "example.com/my-custom-signer"}))
assert status == 422, (status, got)
assert got["message"] == ('CertificateSigningRequest.certificates.k8s.io "testcsr" is invalid: '
                          'spec.usages: Required value'), got["message"]
# and the legacy signer that v1beta1 defaulted to is refused through v1
status, got = u.raw(api, "POST", V1, body({"request": request, "usages": usages,
                                           "signerName": "kubernetes.io/legacy-unknown"}))
assert status == 422, (status, got)
assert got["message"] == ('CertificateSigningRequest.certificates.k8s.io "testcsr" is invalid: '
                          'spec.signerName: Invalid value: "kubernetes.io/legacy-unknown": '
                          'the legacy signerName is not allowed via this API version'), got["message"]

# "does not default signerName if an explicit value is provided"
status, got = u.raw(api, "POST", V1, body({"request": request, "usages": usages,
                                           "signerName": "example.com/my-custom-signer"}))
assert status == 201, (status, got)
assert got["spec"]["signerName"] == "example.com/my-custom-signer", got["spec"]
assert got["spec"]["usages"] == usages, got["spec"]
assert certs.read_certificate_signing_request("testcsr").spec.signer_name == "example.com/my-custom-signer"

# the v1beta1 CSR API the upstream test used is not served any more
status, got = u.raw(api, "POST", "/apis/certificates.k8s.io/v1beta1/certificatesigningrequests",
                    body({"request": request, "usages": usages}, "v1beta1"))
assert status == 404, (status, got)
assert got["message"] == "the server could not find the requested resource", got

print("upstream defaulting: ok")
