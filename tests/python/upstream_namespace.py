"""Mirrors the API-only conformance tests of upstream's test/e2e/apimachinery/namespace.go:
"should patch a Namespace" (v1.18), "should apply changes to a namespace status" (v1.25),
"should apply an update to a Namespace" and "should apply a finalizer to a Namespace" (v1.26).
The pod/service deletion tests need kinds csrsim does not store.
Usage: KUBECONFIG=... python3 upstream_namespace.py WORKDIR"""
import json
import uuid

from kubernetes import client, config, dynamic

config.load_kube_config()
core = client.CoreV1Api()


def create_ns(name):
    # framework.CreateNamespace: the e2e framework's labels, a generateName base.
    return core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(
        generate_name=name + "-", labels={"e2e-framework": name})))


def rv_less(a, b):
    return int(a) < int(b)


# --- should patch a Namespace
ns = create_ns("nspatchtest-" + str(uuid.uuid4()))
name = ns.metadata.name
assert ns.metadata.resource_version and int(ns.metadata.resource_version) > 0
patched = core.patch_namespace(name, {"metadata": {"labels": {"testLabel": "testValue"}}})
assert rv_less(ns.metadata.resource_version, patched.metadata.resource_version)
got = core.read_namespace(name)
assert got.metadata.labels["testLabel"] == "testValue", got.metadata.labels
assert got.metadata.labels["kubernetes.io/metadata.name"] == name, got.metadata.labels

# --- should apply changes to a namespace status (the test's own framework namespace)
ns = create_ns("namespaces").metadata.name
dc = dynamic.DynamicClient(client.ApiClient())
ns_res = dc.resources.get(api_version="v1", kind="Namespace")
unstruct = dc.request("GET", "/api/v1/namespaces/%s/status" % ns)
assert unstruct.kind == "Namespace" and unstruct.status.phase == "Active", unstruct
cond = {"type": "StatusPatch", "status": "True", "reason": "E2E", "message": "Patched by an e2e test"}
# Go's json.Marshal of a NamespaceCondition: lastTransitionTime is a non-pointer metav1.Time
# that marshals as null.
cond_json = json.dumps(dict(cond, lastTransitionTime=None), separators=(",", ":"))
patched = core.api_client.call_api(
    *core.api_client.param_serialize(
        "PATCH", "/api/v1/namespaces/{name}/status", path_params={"name": ns},
        header_params={"Content-Type": "application/merge-patch+json", "Accept": "application/json"},
        body=json.loads('{"metadata":{"annotations":{"e2e-patched-ns-status":"%s"}},'
                        '"status":{"conditions":[%s]}}' % (ns, cond_json)),
        auth_settings=["BearerToken"]))
patched.read()
assert patched.status == 200, (patched.status, patched.data)
patched = json.loads(patched.data)
assert patched["metadata"]["annotations"]["e2e-patched-ns-status"] == ns, patched
last = patched["status"]["conditions"][-1]
assert last["reason"] == "E2E" and last["message"] == "Patched by an e2e test", last
# a zero metav1.Time is not omitted by omitempty (a struct): its MarshalJSON writes null
assert "lastTransitionTime" in last and last["lastTransitionTime"] is None, last
assert patched["status"]["phase"] == "Active", patched

status = core.read_namespace_status(ns)
status.status.conditions.append(client.V1NamespaceCondition(
    type="StatusUpdate", status="True", reason="E2E", message="Updated by an e2e test"))
updated = core.replace_namespace_status(ns, status)
assert [c.type for c in updated.status.conditions] == ["StatusPatch", "StatusUpdate"], updated.status
assert updated.status.conditions[-1].message == "Updated by an e2e test"
assert updated.metadata.annotations["e2e-patched-ns-status"] == ns
# a /status write leaves the spec alone; a main-resource write leaves the status alone
spec_try = core.read_namespace(ns)
spec_try.spec.finalizers = ["kubernetes", "e2e.example.com/ignored"]
after = core.replace_namespace_status(ns, spec_try)
assert after.spec.finalizers == ["kubernetes"], after.spec
main_try = core.read_namespace(ns)
main_try.status.conditions = []
after = core.replace_namespace(ns, main_try)
assert len(after.status.conditions) == 2, after.status

# ValidateNamespaceStatusUpdate: the phase follows metadata.deletionTimestamp; an empty phase
# is defaulted to Active (SetDefaults_NamespaceStatus) before it is checked
bad = core.read_namespace_status(ns)
bad.status.phase = "Terminating"
try:
    core.replace_namespace_status(ns, bad)
    raise AssertionError("a live namespace became Terminating")
except client.exceptions.ApiException as e:
    code, st = e.status, json.loads(e.body)
assert code == 422 and st["message"] == (
    'Namespace "%s" is invalid: status.Phase: Invalid value: "Terminating": '
    "may only be 'Active' if `deletionTimestamp` is empty" % ns), st
assert st["details"]["causes"][0]["field"] == "status.Phase", st
assert core.patch_namespace_status(ns, {"status": {"phase": ""}}).status.phase == "Active"
held = core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(
    generate_name="nsphase-", finalizers=["e2e.example.com/hold"]))).metadata.name
core.delete_namespace(held)
going = core.read_namespace_status(held)
assert going.status.phase == "Terminating" and going.metadata.deletion_timestamp, going
going.status.phase = "Active"
try:
    core.replace_namespace_status(held, going)
    raise AssertionError("a deleted namespace became Active")
except client.exceptions.ApiException as e:
    code, st = e.status, json.loads(e.body)
assert code == 422 and st["message"] == (
    'Namespace "%s" is invalid: status.Phase: Invalid value: "Active": '
    "may only be 'Terminating' if `deletionTimestamp` is not empty" % held), st

# --- should apply an update to a Namespace
upd = core.read_namespace(ns)
upd.metadata.labels[ns] = "updated"
upd = core.replace_namespace(ns, upd)
assert upd.metadata.labels[ns] == "updated", upd.metadata.labels

# --- should apply a finalizer to a Namespace
fake = "e2e.example.com/fakeFinalizer"
test_ns = create_ns("e2e-ns-" + uuid.uuid4().hex[:5])
nsn = test_ns.metadata.name
assert test_ns.spec.finalizers == ["kubernetes"], test_ns.spec
u = core.read_namespace(nsn)
u.spec.finalizers.append(fake)
u = core.replace_namespace_finalize(nsn, u)
assert fake in u.spec.finalizers, u.spec
assert u.kind == "Namespace" and u.api_version == "v1", (u.kind, u.api_version)
assert core.read_namespace(nsn).spec.finalizers == ["kubernetes", fake]
u = core.read_namespace(nsn)
u.spec.finalizers = [f for f in u.spec.finalizers if f != fake]
u = core.replace_namespace_finalize(nsn, u)
assert fake not in u.spec.finalizers, u.spec
assert u.spec.finalizers == ["kubernetes"], u.spec
# /finalize resets only the status (namespaceFinalizeStrategy.PrepareForUpdate): metadata
# sent with it is written; the spec's finalizers go through validateFinalizerName
u.metadata.labels["through-finalize"] = "x"
u.status.phase = "Terminating"
u = core.replace_namespace_finalize(nsn, u)
assert u.metadata.labels["through-finalize"] == "x", u.metadata.labels
assert u.status.phase == "Active", u.status

print("upstream namespace: ok")
