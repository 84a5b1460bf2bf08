"""`kubernetes.watch.Watch().stream` on list_certificate_signing_request, and the RBAC story of
the reference doc through the Python client, checked against kube-apiserver 1.33:

- watch events of approve → sign → delete with their resourceVersions; resuming from a
  resourceVersion; a selector the object leaves and re-enters; BOOKMARKs (the client yields them
  as raw dicts); the initial-events-end bookmark of sendInitialEvents; 410 Expired, which the
  server sends as an ERROR event in a 200 stream and the client raises as ApiException(410)
  (after one retry when there is no timeout_seconds); watch option errors;
- the reference doc's csr-creator / csr-approver / csr-signer ClusterRoles bound to users whose
  client certificates are issued through CSRs, then each user acting with its certificate:
  RBAC 403s, the CertificateApproval / CertificateSigning admission 403s, SubjectAccessReview,
  SelfSubjectAccessReview, SelfSubjectRulesReview, SelfSubjectReview; a `--token-auth-file`
  user; impersonation headers.

Usage: KUBECONFIG=... python3 python_client_watch_rbac.py WORKDIR
(server: --clock virtual --token-auth-file with `py-token,token-user,token-uid,"g1,g2"`)
"""
import base64
import json
import os
import subprocess
import sys
import time

from kubernetes import client, config, watch
from kubernetes.client.rest import ApiException

from upstream_util import advance_clock, pem_with_template

work = sys.argv[1]
config.load_kube_config()
certs = client.CertificatesV1Api()
rbac = client.RbacAuthorizationV1Api()
api = certs.api_client
GR = "certificatesigningrequests.certificates.k8s.io"
RBAC = "rbac.authorization.k8s.io"


def csr(name, signer="example.com/my-signer-name", labels=None):
    return client.V1CertificateSigningRequest(
        metadata=client.V1ObjectMeta(name=name, labels=labels),
        spec=client.V1CertificateSigningRequestSpec(
            request=base64.b64encode(pem_with_template(name)).decode(), signer_name=signer, usages=["client auth"]))


def expect(fn, code, message):
    try:
        fn()
    except ApiException as e:
        got = json.loads(e.body)
        assert (e.status, got["code"]) == (code, code), (e.status, e.body)
        assert got["message"] == message, "\n%s\n%s" % (got["message"], message)
        return got
    raise AssertionError("expected HTTP %d: %s" % (code, message))


def approve(api_, name, reason="PyApprove"):
    c = api_.read_certificate_signing_request(name)
    c.status.conditions = [client.V1CertificateSigningRequestCondition(
        type="Approved", status="True", reason=reason, message="approved from python")]
    return api_.replace_certificate_signing_request_approval(name, c)


def events(**kw):
    kw.setdefault("timeout_seconds", 1)
    return list(watch.Watch().stream(certs.list_certificate_signing_request, **kw))


# --- watch: approve, sign, delete ---
rv0 = certs.list_certificate_signing_request().metadata.resource_version
# The watch cache starts at the server's start (nothing was written since): resourceVersion 1,
# as any older one, is too old — an ERROR event, raised as ApiException(410)
try:
    events(resource_version="1")
    raise AssertionError("expected 410")
except ApiException as e:
    assert (e.status, e.reason) == (410, "Expired: too old resource version: 1 (%s)" % rv0), (e.status, e.reason)
c = certs.create_certificate_signing_request(csr("py-w", signer="kubernetes.io/kube-apiserver-client"))
approve(certs, "py-w")  # the built-in signer issues at once on the virtual clock
certs.delete_certificate_signing_request("py-w")
got = []
for ev in events(resource_version=rv0):
    o = ev["object"]
    assert isinstance(o, client.V1CertificateSigningRequest), o
    got.append((ev["type"], int(o.metadata.resource_version), [x.type for x in o.status.conditions or []],
                bool(o.status.certificate)))
first = int(c.metadata.resource_version)
assert got == [("ADDED", first, [], False), ("MODIFIED", first + 1, ["Approved"], False),
               ("MODIFIED", first + 2, ["Approved"], True), ("DELETED", first + 3, ["Approved"], True)], got
# resume from the middle: only what came after
assert [e["type"] for e in events(resource_version=str(first + 1))] == ["MODIFIED", "DELETED"]
# a future resourceVersion: no error, no events (a plain watch does not wait for it)
assert events(resource_version="999999") == []
# raw: one JSON event per line, chunked
r = certs.list_certificate_signing_request(watch=True, resource_version=rv0, timeout_seconds=1, _preload_content=False)
assert r.headers["Content-Type"] == "application/json" and r.headers["Transfer-Encoding"] == "chunked", r.headers
lines = r.data.decode().splitlines()
assert [json.loads(x)["type"] for x in lines] == ["ADDED", "MODIFIED", "MODIFIED", "DELETED"], lines
assert json.loads(lines[0])["object"]["kind"] == "CertificateSigningRequest", lines[0]

# a label selector: leaving it is DELETED (the old object), re-entering ADDED
certs.create_certificate_signing_request(csr("py-l", labels={"team": "a"}))
rv = certs.list_certificate_signing_request().metadata.resource_version
certs.patch_certificate_signing_request("py-l", {"metadata": {"labels": {"team": "b"}}})
certs.patch_certificate_signing_request("py-l", {"metadata": {"labels": {"team": "a"}}})
certs.delete_certificate_signing_request("py-l")
got = [(e["type"], e["object"].metadata.labels["team"]) for e in events(resource_version=rv, label_selector="team=a")]
assert got == [("DELETED", "a"), ("ADDED", "a"), ("DELETED", "a")], got

# synthetic ADDED for resourceVersion 0 / none; field selectors apply to the watch
certs.create_certificate_signing_request(csr("py-s1"))
certs.create_certificate_signing_request(csr("py-s2"))
assert [(e["type"], e["object"].metadata.name) for e in events(resource_version="0", field_selector="metadata.name=py-s2")] == [("ADDED", "py-s2")]
assert sorted(e["object"].metadata.name for e in events()) == ["py-s1", "py-s2"]

# bookmarks: yielded as raw dicts; the cacher sends one 2 s before the watch's deadline
t0 = time.time()
got = events(allow_watch_bookmarks=True, resource_version=certs.list_certificate_signing_request().metadata.resource_version, timeout_seconds=3)
assert [e["type"] for e in got] == ["BOOKMARK"], got
bm = got[0]["object"]
rv = certs.list_certificate_signing_request().metadata.resource_version
assert bm == {"kind": "CertificateSigningRequest", "apiVersion": "certificates.k8s.io/v1",
              "metadata": {"resourceVersion": rv, "creationTimestamp": None},
              "spec": {"request": None, "signerName": ""}, "status": {}}, bm
assert 2.5 <= time.time() - t0 < 6, time.time() - t0
# watch-list: the initial objects, then the initial-events-end bookmark
got = events(send_initial_events=True, allow_watch_bookmarks=True, resource_version_match="NotOlderThan")
assert [e["type"] for e in got] == ["ADDED", "ADDED", "BOOKMARK"], got
assert got[2]["object"]["metadata"]["annotations"]["k8s.io/initial-events-end"] == "true", got[2]

# watch option errors
expect(lambda: events(resource_version="1", resource_version_match="NotOlderThan"), 422,
       'ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden for '
       "watch unless sendInitialEvents is provided")
expect(lambda: events(resource_version="abc"), 500,
       'resourceVersion: Invalid value: "abc": strconv.ParseUint: parsing "abc": invalid syntax')

# 410: the window keeps 5 minutes of events; an older resourceVersion is an ERROR event in a 200
old = certs.list_certificate_signing_request().metadata.resource_version
certs.create_certificate_signing_request(csr("py-old"))
advance_clock(api, "6m")
certs.patch_certificate_signing_request("py-old", {"metadata": {"labels": {"after": "1"}}})
r = certs.list_certificate_signing_request(watch=True, resource_version=old, timeout_seconds=1, _preload_content=False)
assert r.status == 200, r.status
[line] = r.data.decode().splitlines()
err = json.loads(line)
assert err["type"] == "ERROR" and err["object"]["code"] == 410 and err["object"]["reason"] == "Expired", err
assert err["object"]["message"].startswith("too old resource version: %s (" % old), err
for kw in ({"timeout_seconds": 1}, {}):  # without a timeout the client retries once, then raises
    try:
        events(resource_version=old, **kw) if kw else list(watch.Watch().stream(certs.list_certificate_signing_request, resource_version=old))
        raise AssertionError("expected 410")
    except ApiException as e:
        assert e.status == 410 and e.reason == "Expired: " + err["object"]["message"], (e.status, e.reason)
expect(lambda: certs.list_certificate_signing_request(resource_version=old, resource_version_match="Exact"), 410,
       "The resourceVersion for the provided list is too old.")

# --- the reference doc's ClusterRoles, for users with client certificates issued through CSRs ---
roles = {
    "csr-creator": [client.V1PolicyRule(api_groups=["certificates.k8s.io"], resources=["certificatesigningrequests"],
                                        verbs=["create", "get", "list", "watch"])],
    "csr-approver": [
        client.V1PolicyRule(api_groups=["certificates.k8s.io"], resources=["certificatesigningrequests"], verbs=["get", "list", "watch"]),
        client.V1PolicyRule(api_groups=["certificates.k8s.io"], resources=["certificatesigningrequests/approval"], verbs=["update"]),
        client.V1PolicyRule(api_groups=["certificates.k8s.io"], resources=["signers"],
                            resource_names=["example.com/my-signer-name"], verbs=["approve"])],
    "csr-signer": [
        client.V1PolicyRule(api_groups=["certificates.k8s.io"], resources=["certificatesigningrequests"], verbs=["get", "list", "watch"]),
        client.V1PolicyRule(api_groups=["certificates.k8s.io"], resources=["certificatesigningrequests/status"], verbs=["update"]),
        client.V1PolicyRule(api_groups=["certificates.k8s.io"], resources=["signers"],
                            resource_names=["example.com/my-signer-name"], verbs=["sign"])],
}
for name, rules in roles.items():
    role = rbac.create_cluster_role(client.V1ClusterRole(metadata=client.V1ObjectMeta(name=name), rules=rules))
    assert role.rules[-1].resource_names in (None, ["example.com/my-signer-name"]), role.rules
    rbac.create_cluster_role_binding(client.V1ClusterRoleBinding(
        metadata=client.V1ObjectMeta(name=name),
        subjects=[client.RbacV1Subject(kind="User", name=name + "-user", api_group=RBAC)],
        role_ref=client.V1RoleRef(api_group=RBAC, kind="ClusterRole", name=name)))


def user_client(user):
    """The reference doc's normal-user steps: key, CSR, kube-apiserver-client, approve, cert."""
    key, req = os.path.join(work, user + ".key"), os.path.join(work, user + ".csr")
    subprocess.run(["openssl", "req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", req,
                    "-subj", "/CN=" + user], check=True, capture_output=True)
    certs.create_certificate_signing_request(client.V1CertificateSigningRequest(
        metadata=client.V1ObjectMeta(name=user),
        spec=client.V1CertificateSigningRequestSpec(
            request=base64.b64encode(open(req, "rb").read()).decode(), signer_name="kubernetes.io/kube-apiserver-client",
            expiration_seconds=86400, usages=["client auth"])))
    approve(certs, user, "KubectlApprove")
    crt = os.path.join(work, user + ".crt")
    open(crt, "wb").write(base64.b64decode(certs.read_certificate_signing_request(user).status.certificate))
    cfg = client.Configuration.get_default_copy()
    cfg.cert_file, cfg.key_file = crt, key
    return client.ApiClient(cfg)


clients = {u: user_client(u) for u in ["csr-creator-user", "csr-approver-user", "csr-signer-user", "nobody"]}
for user, a in clients.items():
    info = client.AuthenticationV1Api(a).create_self_subject_review(client.V1SelfSubjectReview()).status.user_info
    assert (info.username, info.groups, info.uid) == (user, ["system:authenticated"], None), info
    [cred] = info.extra["authentication.kubernetes.io/credential-id"]
    assert cred.startswith("X509SHA256=") and len(cred) == len("X509SHA256=") + 64, cred

creator = client.CertificatesV1Api(clients["csr-creator-user"])
mine = creator.create_certificate_signing_request(csr("py-mine"))
assert (mine.spec.username, mine.spec.groups) == ("csr-creator-user", ["system:authenticated"]), mine.spec
creator.create_certificate_signing_request(csr("py-other", signer="example.com/other"))
assert "py-mine" in [i.metadata.name for i in creator.list_certificate_signing_request().items]


def forbidden(user, verb, resource, name=None):
    obj = '%s "%s"' % (GR, name) if name else GR
    return ('%s is forbidden: User "%s" cannot %s resource "%s" in API group "certificates.k8s.io" at the cluster scope'
            % (obj, user, verb, resource))


expect(lambda: creator.delete_certificate_signing_request("py-mine"), 403,
       forbidden("csr-creator-user", "delete", "certificatesigningrequests", "py-mine"))
expect(lambda: creator.delete_collection_certificate_signing_request(), 403,
       forbidden("csr-creator-user", "deletecollection", "certificatesigningrequests"))
# a dict body is a PATCH: the approver role grants only update on /approval
expect(lambda: creator.patch_certificate_signing_request_approval("py-mine", {"status": {}}), 403,
       forbidden("csr-creator-user", "patch", "certificatesigningrequests/approval", "py-mine"))
nobody = client.CertificatesV1Api(clients["nobody"])
expect(lambda: nobody.list_certificate_signing_request(), 403, forbidden("nobody", "list", "certificatesigningrequests"))
expect(lambda: list(watch.Watch().stream(nobody.list_certificate_signing_request, timeout_seconds=1)), 403,
       forbidden("nobody", "watch", "certificatesigningrequests"))
expect(lambda: nobody.read_certificate_signing_request("py-mine"), 403,
       forbidden("nobody", "get", "certificatesigningrequests", "py-mine"))

approver = client.CertificatesV1Api(clients["csr-approver-user"])
expect(lambda: approve(approver, "py-other"), 403,
       '%s "py-other" is forbidden: user not permitted to approve requests with signerName "example.com/other"' % GR)
expect(lambda: approver.patch_certificate_signing_request_approval("py-mine", {"status": {}}), 403,
       forbidden("csr-approver-user", "patch", "certificatesigningrequests/approval", "py-mine"))
assert [x.type for x in approve(approver, "py-mine").status.conditions] == ["Approved"]
ca = open(os.path.join(os.path.dirname(os.environ["KUBECONFIG"]), "ca.crt"), "rb").read()
c = approver.read_certificate_signing_request("py-mine")
c.status.certificate = base64.b64encode(ca).decode()
expect(lambda: approver.replace_certificate_signing_request_status("py-mine", c), 403,
       forbidden("csr-approver-user", "update", "certificatesigningrequests/status", "py-mine"))

signer = client.CertificatesV1Api(clients["csr-signer-user"])
assert signer.replace_certificate_signing_request_status("py-mine", c).status.certificate == c.status.certificate
o = signer.read_certificate_signing_request("py-other")
o.status.conditions = [client.V1CertificateSigningRequestCondition(type="Failed", status="True", reason="R", message="m")]
expect(lambda: signer.replace_certificate_signing_request_status("py-other", o), 403,
       '%s "py-other" is forbidden: user not permitted to sign requests with signerName "example.com/other"' % GR)

# access reviews for the CSR verbs
authz = client.AuthorizationV1Api()


def sar(user, verb, resource, name=None, subresource=None):
    return authz.create_subject_access_review(client.V1SubjectAccessReview(spec=client.V1SubjectAccessReviewSpec(
        user=user, resource_attributes=client.V1ResourceAttributes(
            group="certificates.k8s.io", verb=verb, resource=resource, name=name, subresource=subresource)))).status


s = sar("csr-approver-user", "approve", "signers", "example.com/my-signer-name")
assert s.allowed and s.reason == 'RBAC: allowed by ClusterRoleBinding "csr-approver" of ClusterRole "csr-approver" to User "csr-approver-user"', s
for user, verb, res, name, sub, allowed in [
        ("csr-approver-user", "approve", "signers", "example.com/*", None, False),
        ("csr-approver-user", "approve", "signers", "example.com/other", None, False),
        ("csr-approver-user", "update", "certificatesigningrequests", "py-mine", "approval", True),
        ("csr-approver-user", "patch", "certificatesigningrequests", "py-mine", "approval", False),
        ("csr-signer-user", "sign", "signers", "example.com/my-signer-name", None, True),
        ("csr-signer-user", "approve", "signers", "example.com/my-signer-name", None, False),
        ("csr-creator-user", "create", "certificatesigningrequests", None, None, True),
        ("csr-creator-user", "delete", "certificatesigningrequests", None, None, False)]:
    s = sar(user, verb, res, name, sub)
    assert bool(s.allowed) == allowed, (user, verb, res, name, sub, s)
    if not allowed:
        assert (s.allowed, s.denied, s.reason, s.evaluation_error) == (False, None, None, None), s


def ssar(a, verb, resource, name=None):
    return client.AuthorizationV1Api(a).create_self_subject_access_review(client.V1SelfSubjectAccessReview(
        spec=client.V1SelfSubjectAccessReviewSpec(resource_attributes=client.V1ResourceAttributes(
            group="certificates.k8s.io", verb=verb, resource=resource, name=name)))).status


assert ssar(clients["csr-approver-user"], "approve", "signers", "example.com/my-signer-name").allowed
assert not ssar(clients["nobody"], "approve", "signers", "example.com/my-signer-name").allowed
rules = client.AuthorizationV1Api(clients["csr-signer-user"]).create_self_subject_rules_review(
    client.V1SelfSubjectRulesReview(spec=client.V1SelfSubjectRulesReviewSpec(namespace="default"))).status
assert any(r.verbs == ["sign"] and r.resource_names == ["example.com/my-signer-name"] for r in rules.resource_rules), rules
expect(lambda: client.AuthorizationV1Api(clients["nobody"]).create_subject_access_review(client.V1SubjectAccessReview(
    spec=client.V1SubjectAccessReviewSpec(user="x", resource_attributes=client.V1ResourceAttributes(verb="get")))), 403,
    'subjectaccessreviews.authorization.k8s.io is forbidden: User "nobody" cannot create resource "subjectaccessreviews" '
    'in API group "authorization.k8s.io" at the cluster scope')
expect(lambda: authz.create_subject_access_review(client.V1SubjectAccessReview(spec=client.V1SubjectAccessReviewSpec(user="x"))), 422,
       'SubjectAccessReview.authorization.k8s.io "" is invalid: spec.resourceAttributes: Invalid value: "null": exactly one of '
       "nonResourceAttributes or resourceAttributes must be specified")

# a --token-auth-file user: no credential-id extra; its CSR carries the token's uid and groups
cfg = client.Configuration.get_default_copy()
cfg.cert_file = cfg.key_file = None
cfg.api_key, cfg.api_key_prefix = {"authorization": "py-token"}, {"authorization": "Bearer"}
tok = client.ApiClient(cfg)
info = client.AuthenticationV1Api(tok).create_self_subject_review(client.V1SelfSubjectReview()).status.user_info
assert (info.username, info.uid, info.groups, info.extra) == ("token-user", "token-uid", ["g1", "g2", "system:authenticated"], None), info
rbac.create_cluster_role_binding(client.V1ClusterRoleBinding(
    metadata=client.V1ObjectMeta(name="py-token-creator"), subjects=[client.RbacV1Subject(kind="Group", name="g1", api_group=RBAC)],
    role_ref=client.V1RoleRef(api_group=RBAC, kind="ClusterRole", name="csr-creator")))
t = client.CertificatesV1Api(tok).create_certificate_signing_request(csr("py-token-csr"))
assert (t.spec.username, t.spec.uid, t.spec.groups, t.spec.extra) == ("token-user", "token-uid", ["g1", "g2", "system:authenticated"], None), t.spec
cfg.api_key = {"authorization": "wrong"}
try:
    client.CertificatesV1Api(client.ApiClient(cfg)).list_certificate_signing_request()
    raise AssertionError("expected 401")
except ApiException as e:
    assert (e.status, e.reason, json.loads(e.body)["message"]) == (401, "Unauthorized", "Unauthorized"), e.body

# impersonation: the admin may; the impersonated identity is what SSR and CSRs see
imp = client.ApiClient()
for h, v in [("Impersonate-User", "jane"), ("Impersonate-Group", "devs"), ("Impersonate-Uid", "jane-uid"), ("Impersonate-Extra-Scopes", "view")]:
    imp.set_default_header(h, v)
info = client.AuthenticationV1Api(imp).create_self_subject_review(client.V1SelfSubjectReview()).status.user_info
assert (info.username, info.uid, info.groups, info.extra) == ("jane", "jane-uid", ["devs", "system:authenticated"], {"scopes": ["view"]}), info
expect(lambda: client.CertificatesV1Api(imp).create_certificate_signing_request(csr("py-jane")), 403,
       'certificatesigningrequests.certificates.k8s.io is forbidden: User "jane" cannot create resource '
       '"certificatesigningrequests" in API group "certificates.k8s.io" at the cluster scope')
bad = client.ApiClient(clients["nobody"].configuration)
bad.set_default_header("Impersonate-User", "csr-approver-user")
expect(lambda: client.CertificatesV1Api(bad).list_certificate_signing_request(), 403,
       'users "csr-approver-user" is forbidden: User "nobody" cannot impersonate resource "users" in API group "" at the cluster scope')
print("python client watch rbac: ok")
