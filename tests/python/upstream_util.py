"""Shared fixtures for the mirrors of upstream's test/integration/certificates/*_test.go.

The upstream helpers, rewritten for the Python client:
- `pem_with_template` / `pem_with_group`: an Ed25519 CSR, as `pemWithTemplate` makes with
  Go's `x509.CreateCertificateRequest` (Go writes `Organization: []string{""}` as one empty
  PrintableString attribute; so do we);
- `build_testing_csr` / `create_testing_csr`: `buildTestingCSR(name, signerName, groupName)` with
  the v1 usages upstream uses (`digital signature`, `key encipherment`);
- `client_as(user)`: `restclient.ImpersonationConfig{UserName: user}` (Impersonate-User header,
  the admin kubeconfig's `system:masters` identity may impersonate);
- `grant_cluster_role`: a ClusterRole plus a ClusterRoleBinding to one user, then the
  SubjectAccessReview poll of `authutil.WaitForNamedAuthorizationUpdate`;
- `expect_api_error`: the Status `message` is what client-go's `err.Error()` prints.
"""
import base64
import json
import time

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from cryptography.x509.oid import NameOID
from kubernetes import client

CERTS_GROUP = "certificates.k8s.io"


def pem_with_template(common_name=None, organizations=()):
    """PEM CSR for a fresh Ed25519 key with subject CN (if given) and one O per entry."""
    attrs = []
    if common_name is not None:
        attrs.append(_attr(NameOID.COMMON_NAME, common_name))
    for org in organizations:
        attrs.append(_attr(NameOID.ORGANIZATION_NAME, org))
    key = ed25519.Ed25519PrivateKey.generate()
    csr = x509.CertificateSigningRequestBuilder().subject_name(x509.Name(attrs)).sign(key, None)
    return csr.public_bytes(serialization.Encoding.PEM)


def _attr(oid, value):
    # Go marshals a printable string as PrintableString (an empty one included), else UTF8String.
    kind = x509.name._ASN1Type.PrintableString if _printable(value) else x509.name._ASN1Type.UTF8String
    return x509.NameAttribute(oid, value, _type=kind)


def _printable(s):
    allowed = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 '()+,-./:=?*&")
    return all(c in allowed for c in s)


def pem_with_group(group):
    return pem_with_template(organizations=[group])


def build_testing_csr(name, signer_name, group_name):
    return client.V1CertificateSigningRequest(
        metadata=client.V1ObjectMeta(name=name),
        spec=client.V1CertificateSigningRequestSpec(
            signer_name=signer_name,
            request=base64.b64encode(pem_with_group(group_name)).decode(),
            # upstream: "this is the old defaulting for usages"
            usages=["digital signature", "key encipherment"]))


def create_testing_csr(certs, name, signer_name, group_name):
    return certs.create_certificate_signing_request(build_testing_csr(name, signer_name, group_name))


def client_as(user):
    """An ApiClient that impersonates `user` (no groups: the server adds system:authenticated)."""
    api = client.ApiClient()
    api.set_default_header("Impersonate-User", user)
    return api


def expect_api_error(fn, status, message):
    try:
        fn()
    except client.exceptions.ApiException as e:
        got = json.loads(e.body)
        assert e.status == status, (e.status, e.body)
        assert got["message"] == message, (got["message"], message)
        return got
    raise AssertionError("expected HTTP %d: %s" % (status, message))


def wait_for_authorization(user, verb, group, resource, name="", allowed=True):
    """authutil.WaitForNamedAuthorizationUpdate: poll a SubjectAccessReview until it answers."""
    authz = client.AuthorizationV1Api()
    review = client.V1SubjectAccessReview(spec=client.V1SubjectAccessReviewSpec(
        user=user, resource_attributes=client.V1ResourceAttributes(
            verb=verb, group=group, resource=resource, name=name or None)))
    for _ in range(50):
        got = authz.create_subject_access_review(review)
        if bool(got.status.allowed) == allowed:
            return
        time.sleep(0.1)
    raise AssertionError("authorization of %s to %s %s/%s %s never became %s"
                         % (user, verb, group, resource, name, allowed))


def grant_cluster_role(name, user, rules, binding=None):
    """A ClusterRole `name` with `rules` and a ClusterRoleBinding (`binding`, default `name`) of it
    to `user`."""
    rbac = client.RbacAuthorizationV1Api()
    rbac.create_cluster_role(client.V1ClusterRole(metadata=client.V1ObjectMeta(name=name), rules=rules))
    rbac.create_cluster_role_binding(client.V1ClusterRoleBinding(
        metadata=client.V1ObjectMeta(name=binding or name),
        subjects=[client.RbacV1Subject(kind="User", name=user, api_group="rbac.authorization.k8s.io")],
        role_ref=client.V1RoleRef(api_group="rbac.authorization.k8s.io", kind="ClusterRole", name=name)))


def remove_cluster_role(name, binding=None):
    rbac = client.RbacAuthorizationV1Api()
    rbac.delete_cluster_role_binding(binding or name)
    rbac.delete_cluster_role(name)


def raw(api, method, path, body=None, query=None):
    """One request through the client's transport with a free-form JSON body (the typed models
    refuse objects the server must reject). Returns (HTTP status, decoded JSON or text)."""
    method, url, headers, body, _ = api.param_serialize(
        method, path, query_params=query, header_params={"Content-Type": "application/json"},
        body=body, auth_settings=["BearerToken"])
    resp = api.call_api(method, url, header_params=headers, body=body)
    resp.read()
    try:
        return resp.status, json.loads(resp.data)
    except ValueError:
        return resp.status, resp.data.decode()


def advance_clock(api, duration):
    """POST /sim/v1/clock {"advance": duration} (system:masters only): with --clock virtual, runs
    every timer and controller due in that much virtual time. Returns the new `now`."""
    status, got = raw(api, "POST", "/sim/v1/clock", {"advance": duration})
    assert status == 200, (status, got)
    return got["now"]
