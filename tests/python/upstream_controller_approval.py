"""Mirrors test/integration/certificates/controller_approval_test.go TestController_AutoApproval:
the csrapproving controller approves a kube-apiserver-client-kubelet CSR (CN=system:node:abc,
O=system:nodes, usages digital signature/key encipherment/client auth) whose requester holds
`create` on certificatesigningrequests/selfnodeclient (requester = CN) or .../nodeclient (any
requester), and never approves the same request for kubernetes.io/kube-apiserver-client.
Added cases: deprecated_api_test.go's O=system:notnodes request is never approved; selfnodeclient
alone does not cover a requester other than the CN; and (released recognizer loop, v1.33) a self
node CSR is approved through nodeclient when selfnodeclient is not granted.
Upstream's test apiserver runs with AlwaysAllow; csrsim always runs RBAC, so each requester is
also granted `create` on certificatesigningrequests (ClusterRole "csr-creator"). The requester is
an impersonated user, as upstream; the approver reason is "AutoApproved".
Usage: KUBECONFIG=... python3 upstream_controller_approval.py WORKDIR  (server: --clock virtual)"""
import base64
import os
import sys
import time

from kubernetes import client, config

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import upstream_util as u  # noqa: E402

config.load_kube_config()
os.chdir(sys.argv[1])
certs = client.CertificatesV1Api()
api = client.ApiClient()

KUBELET_USER = "system:node:abc"
KUBELET_CSR = u.pem_with_template(common_name=KUBELET_USER, organizations=["system:nodes"])
KUBELET_USAGES = ["digital signature", "key encipherment", "client auth"]

CASES = [
    ("should auto-approve CSR that has kube-apiserver-client-kubelet signerName and matches requirements",
     "kubernetes.io/kube-apiserver-client-kubelet", KUBELET_USER, False, True, True),
    ("should auto-approve CSR that has kube-apiserver-client-kubelet signerName and matches requirements "
     "despite missing username if nodeclient permissions are granted",
     "kubernetes.io/kube-apiserver-client-kubelet", "does-not-match-cn", True, False, True),
    ("should not auto-approve CSR that has kube-apiserver-client signerName that DOES match kubelet CSR requirements",
     "kubernetes.io/kube-apiserver-client", KUBELET_USER, False, False, False),
    # deprecated_api_test.go TestDeprecatedController_AutoApproval (v1beta1 there): O=system:notnodes
    ("should not auto-approve CSR that has kube-apiserver-client-kubelet signerName that does not match requirements",
     "kubernetes.io/kube-apiserver-client-kubelet", KUBELET_USER, True, False, False,
     u.pem_with_group("system:notnodes")),
    # stable recognizer order: a self-node CSR whose requester holds only selfnodeclient is approved;
    # a requester that is not the CN and holds only selfnodeclient is not
    ("should not auto-approve CSR whose requester does not match the CN with only selfnodeclient granted",
     "kubernetes.io/kube-apiserver-client-kubelet", "does-not-match-cn", False, True, False),
    ("should auto-approve a self node CSR through nodeclient when selfnodeclient is not granted",
     "kubernetes.io/kube-apiserver-client-kubelet", KUBELET_USER, True, False, True),
]


def advance(duration):
    """POST /sim/v1/clock: run every controller due in the next `duration` of virtual time."""
    u.advance_clock(api, duration)


def grant_user_node_client_permissions(user, self_node_client):
    resource = "certificatesigningrequests/selfnodeclient" if self_node_client \
        else "certificatesigningrequests/nodeclient"
    u.grant_cluster_role("role", user, [client.V1PolicyRule(
        verbs=["create"], api_groups=[u.CERTS_GROUP], resources=[resource])], binding="rolebinding")
    u.wait_for_authorization(user, "create", u.CERTS_GROUP, resource)


def is_approved(csr):
    return any(c.type == "Approved" for c in (csr.status.conditions or []))


def wait_for_approved(name, timeout=5.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if is_approved(certs.read_certificate_signing_request(name)):
            return True
        advance("1s")
        time.sleep(0.1)
    return False


for title, signer, username, node_client, self_node_client, auto_approved, *request in CASES:
    u.grant_cluster_role("csr-creator", username, [client.V1PolicyRule(
        verbs=["create"], api_groups=[u.CERTS_GROUP], resources=["certificatesigningrequests"])])
    if node_client:
        grant_user_node_client_permissions(username, False)
    if self_node_client:
        grant_user_node_client_permissions(username, True)
    requester = client.CertificatesV1Api(u.client_as(username))
    created = requester.create_certificate_signing_request(client.V1CertificateSigningRequest(
        metadata=client.V1ObjectMeta(name="csr"),
        spec=client.V1CertificateSigningRequestSpec(
            request=base64.b64encode(request[0] if request else KUBELET_CSR).decode(), usages=KUBELET_USAGES, signer_name=signer)))
    # the spec.username field is set from the impersonated user
    assert created.spec.username == username, (title, created.spec.username)
    assert created.spec.groups == ["system:authenticated"], (title, created.spec.groups)
    if auto_approved:
        assert wait_for_approved("csr"), "failed to wait for CSR to be auto-approved: " + title
        got = certs.read_certificate_signing_request("csr")
        approved = [c for c in got.status.conditions if c.type == "Approved"][0]
        assert approved.status == "True" and approved.reason == "AutoApproved", (title, approved)
        kind = "self kubelet" if self_node_client else "kubelet"
        assert approved.message == "Auto approving %s client certificate after SubjectAccessReview." % kind, approved
    else:
        assert not wait_for_approved("csr", timeout=2.0), "CertificateSigningRequest was auto-approved: " + title
    certs.delete_certificate_signing_request("csr")
    u.remove_cluster_role("csr-creator")
    if node_client or self_node_client:
        u.remove_cluster_role("role", binding="rolebinding")
    print("  ok:", title)

print("upstream controller approval: ok")
