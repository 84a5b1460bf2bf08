"""The CSR workflow through the official Python client (`kubernetes` on PyPI), as the
black-box suites drive a real cluster. Run by tests/e2e_python.rs against `csrsim serve`.

Usage: KUBECONFIG=... python3 csr_flow.py WORKDIR
"""
import base64
import json
import os
import subprocess
import sys

from kubernetes import client, config, watch

work = sys.argv[1]
config.load_kube_config(os.environ["KUBECONFIG"])
certs = client.CertificatesV1Api()
rbac = client.RbacAuthorizationV1Api()
authz = client.AuthorizationV1Api()


def openssl_csr(name, subj, key_args):
    key = os.path.join(work, name + ".key")
    csr = os.path.join(work, name + ".csr")
    subprocess.run(["openssl", "req", "-new", *key_args, "-nodes", "-keyout", key, "-out", csr, "-subj", subj],
                   check=True, capture_output=True)
    return open(csr, "rb").read()


def body(name, pem, signer, usages, seconds=None, generate=False):
    meta = client.V1ObjectMeta(generate_name=name) if generate else client.V1ObjectMeta(name=name)
    return client.V1CertificateSigningRequest(
        metadata=meta,
        spec=client.V1CertificateSigningRequestSpec(
            request=base64.b64encode(pem).decode(), signer_name=signer, usages=usages,
            expiration_seconds=seconds))


def expect_api_error(fn, status, message):
    try:
        fn()
    except client.exceptions.ApiException as e:
        got = json.loads(e.body)
        assert e.status == status, (e.status, e.body)
        assert got["message"] == message, got["message"]
        return got
    raise AssertionError("expected HTTP %d" % status)


rsa = ["-newkey", "rsa:2048"]
ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"]

# Create with generateName, read back, list by signer.
pem = openssl_csr("py-client", "/CN=py-client/O=developers", ec)
created = certs.create_certificate_signing_request(
    body("py-client-", pem, "kubernetes.io/kube-apiserver-client", ["client auth"], 3600, generate=True))
name = created.metadata.name
assert name.startswith("py-client-") and len(name) == len("py-client-") + 5, name
assert created.spec.username == "kubernetes-admin"
assert "system:masters" in created.spec.groups
got = certs.read_certificate_signing_request(name)
assert got.metadata.uid == created.metadata.uid
listed = certs.list_certificate_signing_request(field_selector="spec.signerName=kubernetes.io/kube-apiserver-client")
assert name in [i.metadata.name for i in listed.items]

# Unsupported field selector → 400 with the upstream text.
expect_api_error(lambda: certs.list_certificate_signing_request(field_selector="status.phase=x"), 400,
                 "field label not supported: status.phase")

# Approve through /approval; the built-in signer issues at once (--clock virtual).
got.status.conditions = [client.V1CertificateSigningRequestCondition(
    type="Approved", status="True", reason="PyApprove", message="approved from python")]
approved = certs.replace_certificate_signing_request_approval(name, got)
assert [c.type for c in approved.status.conditions] == ["Approved"]
issued = certs.read_certificate_signing_request(name)
assert issued.status.certificate, "certificate issued after approval"
crt = os.path.join(work, "py-client.crt")
open(crt, "wb").write(base64.b64decode(issued.status.certificate))
out = subprocess.run(["openssl", "x509", "-in", crt, "-noout", "-subject", "-enddate", "-startdate"],
                     check=True, capture_output=True, text=True).stdout
assert "CN = py-client" in out or "CN=py-client" in out, out

# Validation: 422 with the exact upstream message.
expect_api_error(
    lambda: certs.create_certificate_signing_request(
        body("short", pem, "kubernetes.io/kube-apiserver-client", ["client auth"], 599)),
    422,
    'CertificateSigningRequest.certificates.k8s.io "short" is invalid: spec.expirationSeconds: '
    'Invalid value: 599: may not specify a duration less than 600 seconds (10 minutes)')

# Admission: system:masters may not be requested from kube-apiserver-client.
masters = openssl_csr("masters", "/CN=eve/O=system:masters", rsa)
expect_api_error(
    lambda: certs.create_certificate_signing_request(
        body("masters", masters, "kubernetes.io/kube-apiserver-client", ["client auth"])),
    403,
    'certificatesigningrequests.certificates.k8s.io "masters" is forbidden: use of '
    'kubernetes.io/kube-apiserver-client signer with system:masters group is not allowed')

# kubelet-serving policy violation → Failed/SignerValidationFailure.
serving = openssl_csr("serving", "/CN=system:node:n1/O=system:nodes", ec)
s = certs.create_certificate_signing_request(
    body("serving", serving, "kubernetes.io/kubelet-serving", ["digital signature", "server auth"]))
s.status.conditions = [client.V1CertificateSigningRequestCondition(type="Approved", status="True", reason="R", message="m")]
certs.replace_certificate_signing_request_approval("serving", s)
s = certs.read_certificate_signing_request("serving")
failed = [c for c in s.status.conditions if c.type == "Failed"]
assert failed and failed[0].reason == "SignerValidationFailure", s.status.conditions
assert failed[0].message == "DNS or IP subjectAltName is required", failed[0].message

# Patch metadata (merge patch as the client sends for dicts), /status of a custom signer.
custom = certs.create_certificate_signing_request(body("custom", pem, "example.com/py", ["client auth"]))
p = certs.patch_certificate_signing_request("custom", {"metadata": {"labels": {"team": "py"}}})
assert p.metadata.labels == {"team": "py"}
p = certs.patch_certificate_signing_request_status(
    "custom", {"status": {"conditions": [{"type": "Custom", "status": "True", "reason": "x", "message": "y"}]}})
assert [c.type for c in p.status.conditions] == ["Custom"]

# Watch from the list's resourceVersion sees the deletion.
rv = certs.list_certificate_signing_request().metadata.resource_version
certs.delete_certificate_signing_request("custom")
w = watch.Watch()
seen = []
for ev in w.stream(certs.list_certificate_signing_request, resource_version=rv, timeout_seconds=2):
    seen.append((ev["type"], ev["object"].metadata.name))
    if ev["type"] == "DELETED":
        w.stop()
assert ("DELETED", "custom") in seen, seen

# RBAC and access reviews.
rbac.create_namespaced_role("default", client.V1Role(
    metadata=client.V1ObjectMeta(name="csr-reader"),
    rules=[client.V1PolicyRule(api_groups=[""], resources=["pods"], verbs=["get", "list"])]))
rbac.create_namespaced_role_binding("default", client.V1RoleBinding(
    metadata=client.V1ObjectMeta(name="py-binding"),
    role_ref=client.V1RoleRef(api_group="rbac.authorization.k8s.io", kind="Role", name="csr-reader"),
    subjects=[client.RbacV1Subject(kind="User", name="py-client", api_group="rbac.authorization.k8s.io")]))
sar = authz.create_subject_access_review(client.V1SubjectAccessReview(spec=client.V1SubjectAccessReviewSpec(
    user="py-client", resource_attributes=client.V1ResourceAttributes(namespace="default", verb="list", resource="pods"))))
assert sar.status.allowed, sar.status
sar = authz.create_subject_access_review(client.V1SubjectAccessReview(spec=client.V1SubjectAccessReviewSpec(
    user="py-client", resource_attributes=client.V1ResourceAttributes(namespace="default", verb="delete", resource="pods"))))
assert not sar.status.allowed

# Delete a collection by label.
certs.patch_certificate_signing_request(name, {"metadata": {"labels": {"sweep": "yes"}}})
certs.delete_collection_certificate_signing_request(label_selector="sweep=yes")
assert name not in [i.metadata.name for i in certs.list_certificate_signing_request().items]
print("python flow: ok")
