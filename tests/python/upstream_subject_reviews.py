"""Mirrors upstream's test/e2e/auth/subjectreviews.go "should support SubjectReview API
operations" (conformance, v1.27) and test/e2e/auth/selfsubjectreviews.go ("testing SSR in
different API groups" and "should support SelfSubjectReview API operations", v1.28).

csrsim does not store ServiceAccounts, so the service account is only a name: its username
(`serviceaccount.MakeUsername`), groups (`MakeGroupNames`) and a made-up UID are impersonated as
the upstream test impersonates them. Impersonation needs repeated `Impersonate-Group` headers,
which the generated client cannot send: those requests go through its urllib3 pool directly.
Usage: KUBECONFIG=... python3 upstream_subject_reviews.py WORKDIR"""
import json

from kubernetes import client, config
from urllib3 import HTTPHeaderDict

config.load_kube_config()
api = client.ApiClient()
core = client.CoreV1Api()
authz = client.AuthorizationV1Api()


def impersonated(method, path, user, uid, groups, extra=None, body=None):
    h = HTTPHeaderDict({"Accept": "application/json", "Content-Type": "application/json"})
    h.add("Impersonate-User", user)
    h.add("Impersonate-Uid", uid)
    for g in groups:
        h.add("Impersonate-Group", g)
    for k, vs in (extra or {}).items():
        for v in vs:
            h.add("Impersonate-Extra-" + k, v)
    r = api.rest_client.pool_manager.request(
        method, api.configuration.host + path, headers=h,
        body=None if body is None else json.dumps(body))
    return r.status, json.loads(r.data)


# ---- subjectreviews.go
ns = core.create_namespace(client.V1Namespace(
    metadata=client.V1ObjectMeta(generate_name="subjectreview-"))).metadata.name
sa_user = "system:serviceaccount:%s:e2e" % ns
sa_groups = ["system:authenticated", "system:serviceaccounts", "system:serviceaccounts:" + ns]
sa_uid = "3f1c5d2e-5b7a-4c1e-9a53-2d8e7f6a0b11"


def check(allowed_by_review):
    status, body = impersonated("GET", "/api/v1/namespaces/%s/configmaps" % ns, sa_user, sa_uid, sa_groups)
    if status == 403:
        assert body["reason"] == "Forbidden", body
        actually = False
    else:
        assert status == 200, (status, body)
        actually = True
    assert actually == allowed_by_review, (actually, allowed_by_review, body)
    return body


sar = authz.create_subject_access_review(client.V1SubjectAccessReview(
    spec=client.V1SubjectAccessReviewSpec(
        resource_attributes=client.V1ResourceAttributes(verb="list", resource="configmaps", namespace=ns, version="v1"),
        user=sa_user, groups=sa_groups, uid=sa_uid)))
assert sar.status.allowed is False, sar.status
forbidden = check(sar.status.allowed)
assert forbidden["message"] == (
    'configmaps is forbidden: User "%s" cannot list resource "configmaps" in API group "" '
    'in the namespace "%s"' % (sa_user, ns)), forbidden["message"]

lsar = authz.create_namespaced_local_subject_access_review(ns, client.V1LocalSubjectAccessReview(
    metadata=client.V1ObjectMeta(namespace=ns),
    spec=client.V1SubjectAccessReviewSpec(
        resource_attributes=client.V1ResourceAttributes(verb="list", resource="configmaps", namespace=ns, version="v1"),
        user="e2e", groups=sa_groups, uid=sa_uid)))
assert lsar.status.allowed == sar.status.allowed, lsar.status
assert lsar.metadata.namespace == ns

# the same reviews once the service account may list configmaps in its namespace
rbac = client.RbacAuthorizationV1Api()
rbac.create_namespaced_role(ns, client.V1Role(metadata=client.V1ObjectMeta(name="cm-reader"), rules=[
    client.V1PolicyRule(api_groups=[""], resources=["configmaps"], verbs=["list"])]))
rbac.create_namespaced_role_binding(ns, client.V1RoleBinding(
    metadata=client.V1ObjectMeta(name="cm-reader"),
    subjects=[client.RbacV1Subject(kind="ServiceAccount", name="e2e", namespace=ns)],
    role_ref=client.V1RoleRef(api_group="rbac.authorization.k8s.io", kind="Role", name="cm-reader")))
sar = authz.create_subject_access_review(client.V1SubjectAccessReview(
    spec=client.V1SubjectAccessReviewSpec(
        resource_attributes=client.V1ResourceAttributes(verb="list", resource="configmaps", namespace=ns, version="v1"),
        user=sa_user, groups=sa_groups, uid=sa_uid)))
assert sar.status.allowed is True, sar.status
assert sar.status.reason == 'RBAC: allowed by RoleBinding "cm-reader/%s" of Role "cm-reader" to ServiceAccount "e2e/%s"' % (ns, ns), sar.status.reason
got = check(sar.status.allowed)
assert got["kind"] == "ConfigMapList" and got["items"] == [], got
# upstream's LSAR names the user "e2e" (not the SA username): RBAC does not match it
lsar = authz.create_namespaced_local_subject_access_review(ns, client.V1LocalSubjectAccessReview(
    metadata=client.V1ObjectMeta(namespace=ns),
    spec=client.V1SubjectAccessReviewSpec(
        resource_attributes=client.V1ResourceAttributes(verb="list", resource="configmaps", namespace=ns, version="v1"),
        user=sa_user, groups=sa_groups, uid=sa_uid)))
assert lsar.status.allowed is True, lsar.status

# ---- selfsubjectreviews.go: discovery of authentication.k8s.io and its versions
groups = client.ApisApi().get_api_versions().groups
auth_group = [g for g in groups if g.name == "authentication.k8s.io"]
assert auth_group, [g.name for g in groups]
served = {v.version for v in auth_group[0].versions}
assert "v1" in served, served
grp = client.AuthenticationApi().get_api_group()
assert {v.version for v in grp.versions} == served
for version in sorted(served):
    status, res = 200, None
    rs = api.call_api(*api.param_serialize("GET", "/apis/authentication.k8s.io/" + version,
                                           auth_settings=["BearerToken"]))
    rs.read()
    res = json.loads(rs.data)
    assert rs.status == 200 and "selfsubjectreviews" in [r["name"] for r in res["resources"]], res

# "should support SelfSubjectReview API operations": v1alpha1 and v1beta1 may be disabled (404)
user, uid, ssr_groups = "jane-doe", "uniq-id", ["system:authenticated", "developers"]
extra = {"known-languages": ["python", "javascript"]}
for version in ["v1alpha1", "v1beta1", "v1"]:
    status, res = impersonated(
        "POST", "/apis/authentication.k8s.io/%s/selfsubjectreviews" % version, user, uid, ssr_groups, extra,
        {"apiVersion": "authentication.k8s.io/" + version, "kind": "SelfSubjectReview"})
    if version != "v1" and version not in served:
        assert status == 404, (version, status, res)
        continue
    assert status == 201, (version, status, res)
    assert res["kind"] == "SelfSubjectReview" and res["apiVersion"] == "authentication.k8s.io/" + version, res
    info = res["status"]["userInfo"]
    assert info["username"] == user and info["uid"] == uid and info["groups"] == ssr_groups, info
    assert info["extra"] == extra, info
    assert res["metadata"].get("creationTimestamp"), res  # upstream stamps time.Now()

print("upstream subject reviews: ok")
