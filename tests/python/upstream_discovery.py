"""Mirrors upstream's test/e2e/apimachinery/discovery.go ("should accurately determine present
and missing resources", "should validate PreferredVersion for each APIGroup" and "should
locate the groupVersion and a resource within each APIGroup", for the groups csrsim serves),
server_version.go ("should find the server version") and health_handlers.go ("should contain
necessary checks": `?verbose` lists `[+]<check> ok` lines, then `<name> check passed`),
request_timeout.go (a `timeout` Go cannot parse is a 400), plus
a TokenReview, the resource discovery.go looks up in authentication.k8s.io/v1.
The CRD storage-version-hash test needs CustomResourceDefinitions, which csrsim does not serve.
Usage: KUBECONFIG=... python3 upstream_discovery.py WORKDIR"""
import json
import re

from kubernetes import client, config

config.load_kube_config()
api = client.ApiClient()


def get(path, accept="application/json"):
    m, url, headers, body, _ = api.param_serialize("GET", path, header_params={"Accept": accept},
                                                   auth_settings=["BearerToken"])
    r = api.call_api(m, url, header_params=headers)
    r.read()
    return r.status, r.data.decode(), r.getheaders()


def get_json(path):
    status, text, _ = get(path)
    return status, (json.loads(text) if text.startswith("{") else text)


def is_resource_enabled(group, version, resource):
    """client-go discovery.IsResourceEnabled: a 404 group version is 'not enabled', no error."""
    path = "/api/v1" if group == "" else "/apis/%s/%s" % (group, version)
    status, body = get_json(path)
    if status == 404:
        return False
    assert status == 200, (path, status, body)
    return any(r["name"] == resource for r in body["resources"])


# should accurately determine present and missing resources
assert is_resource_enabled("", "v1", "namespaces")
assert is_resource_enabled("apps", "v1", "deployments")
assert not is_resource_enabled("apps", "v1", "please-dont-ever-create-this")
assert not is_resource_enabled("not-these-apps", "v1", "deployments")

# should validate PreferredVersion for each APIGroup
status, groups = get_json("/apis/")
assert status == 200 and groups["kind"] == "APIGroupList" and groups["groups"], groups
for g in groups["groups"]:
    status, check = get_json("/apis/%s/" % g["name"])
    assert status == 200 and check["kind"] == "APIGroup", (g["name"], status, check)
    assert check["versions"], check
    assert check["preferredVersion"]["groupVersion"] in [v["groupVersion"] for v in check["versions"]], check
    assert check == g | {"kind": "APIGroup", "apiVersion": "v1"}, (check, g)

# should locate the groupVersion and a resource within each APIGroup (the served ones; upstream's
# table also names admissionregistration, apiextensions, apiregistration, autoscaling,
# coordination, discovery, events, node, policy, scheduling and storage)
for base, group, version, resource in [
        ("/api", "", "v1", "namespaces"),
        ("/apis", "apps", "v1", "deployments"),
        ("/apis", "authentication.k8s.io", "v1", "tokenreviews"),
        ("/apis", "authorization.k8s.io", "v1", "selfsubjectaccessreviews"),
        ("/apis", "batch", "v1", "jobs"),
        ("/apis", "certificates.k8s.io", "v1", "certificatesigningrequests"),
        ("/apis", "networking.k8s.io", "v1", "ingresses")]:
    path = "/".join(p for p in [base, group, version] if p)
    status, lst = get_json(path)
    assert status == 200, (path, status, lst)
    assert lst["groupVersion"] == (group + "/" + version if group else version), lst["groupVersion"]
    assert resource in [r["name"] for r in lst["resources"]], (path, resource)

# TokenReview: a token of the --token-auth-file, a bad one, one for other audiences, none
auth = client.AuthenticationV1Api()
review = auth.create_token_review(client.V1TokenReview(spec=client.V1TokenReviewSpec(token="e2e-token")))
assert review.status.authenticated is True, review.status
assert review.status.user.username == "e2e-user" and review.status.user.uid == "e2e-uid", review.status.user
assert review.status.user.groups == ["e2e-group", "system:authenticated"], review.status.user
assert review.status.audiences == ["https://kubernetes.default.svc.cluster.local"], review.status
assert review.spec.token == "e2e-token"
for spec in [client.V1TokenReviewSpec(token="not-a-token"),
             client.V1TokenReviewSpec(token="e2e-token", audiences=["https://elsewhere.example.com"])]:
    bad = auth.create_token_review(client.V1TokenReview(spec=spec))
    assert not bad.status.authenticated and bad.status.error == "invalid bearer token", bad.status
    assert bad.status.user.username is None and bad.status.audiences is None, bad.status
try:
    auth.create_token_review(client.V1TokenReview(spec=client.V1TokenReviewSpec(token="")))
    raise AssertionError("an empty token was reviewed")
except client.exceptions.ApiException as e:
    st = json.loads(e.body)
    assert e.status == 400 and st["reason"] == "BadRequest", e.body
    assert st["message"] == "token is required for TokenReview in authentication", st

# should find the server version
v = client.VersionApi().get_code()
assert re.search("[1-9]", v.major).group(0) == v.major, v.major
assert re.search("[0-9]+", v.minor).group(0) == re.sub("[^0-9]+", "", v.minor), v.minor
assert v.git_version.startswith("v%s.%s." % (v.major, re.sub("[^0-9]+", "", v.minor))), v.git_version

# should contain necessary checks
for path, name in [("/healthz", "healthz"), ("/livez", "livez"), ("/readyz", "readyz")]:
    status, text, headers = get(path + "?verbose=1", accept="*/*")
    assert status == 200, (path, status, text)
    assert headers.get("content-type") == "text/plain; charset=utf-8", headers
    assert headers.get("x-content-type-options") == "nosniff", headers
    lines = text.split("\n")
    assert lines[-2:] == ["%s check passed" % name, ""], lines[-3:]
    checks = set(lines)
    for c in ["ping", "log", "etcd", "poststarthook/generic-apiserver-start-informers",
              "poststarthook/start-apiextensions-informers", "poststarthook/start-apiextensions-controllers",
              "poststarthook/crd-informer-synced", "poststarthook/bootstrap-controller",
              "poststarthook/scheduling/bootstrap-system-priority-classes",
              "poststarthook/start-cluster-authentication-info-controller",
              "poststarthook/start-kube-aggregator-informers", "poststarthook/apiservice-registration-controller",
              "poststarthook/kube-apiserver-autoregistration", "autoregister-completion",
              "poststarthook/apiservice-openapi-controller"] + (["informer-sync"] if name == "readyz" else []):
        assert "[+]%s ok" % c in checks, (path, c, text)
    status, text, _ = get(path, accept="*/*")
    assert status == 200 and text == "ok", (path, status, text)

# request_timeout.go ("Server request timeout"): GET /version?timeout=…
for timeout, code in [("invalid", 400), ("3m", 200), ("0s", 200)]:
    status, text, _ = get("/version?timeout=" + timeout)
    assert status == code, (timeout, status, text)
    if code == 400:
        st = json.loads(text)
        assert st["reason"] == "BadRequest" and st["message"] == (
            'invalid timeout specified in the request URL - time: invalid duration "invalid"'), st

print("upstream discovery: ok")
