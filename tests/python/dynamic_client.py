"""`kubernetes.dynamic.DynamicClient` (the Python client's discovery-driven client) against
`csrsim serve`: discovery and its cache, resources.get by apiVersion and kind, get, list,
create, patch (merge and JSON patch), replace, server-side apply with conflicts and force,
watch, delete, and the same on an RBAC kind and a namespace. Run by tests/e2e_python.rs.

Usage: KUBECONFIG=... python3 dynamic_client.py WORKDIR
"""
import base64
import json
import os
import subprocess
import sys
import time

from kubernetes import config, dynamic
from kubernetes.client import api_client
from kubernetes.dynamic.exceptions import ConflictError, NotFoundError, ResourceNotFoundError

work = sys.argv[1]
cache = os.path.join(work, "discovery-cache.json")
client = dynamic.DynamicClient(
    api_client.ApiClient(configuration=config.load_kube_config(os.environ["KUBECONFIG"])),
    cache_file=cache)
assert os.path.exists(cache), "the discovery cache is written"

csrs = client.resources.get(api_version="certificates.k8s.io/v1", kind="CertificateSigningRequest")
assert csrs.name == "certificatesigningrequests" and not csrs.namespaced, csrs
assert "csr" in csrs.short_names, csrs.short_names
assert set(["create", "get", "list", "patch", "update", "watch", "delete"]) <= set(csrs.verbs), csrs.verbs
assert client.resources.get(api_version="certificates.k8s.io/v1", kind="CertificateSigningRequestList")
# Subresources hang off their resource (discovery lists them as `certificatesigningrequests/approval`).
assert set(csrs.subresources) == {"approval", "status"}, csrs.subresources
approval = csrs.subresources["approval"]
try:
    client.resources.get(api_version="certificates.k8s.io/v1", kind="Nope")
    raise AssertionError("an unknown kind is not found")
except ResourceNotFoundError:
    pass
# A second client reads the discovery cache.
client2 = dynamic.DynamicClient(
    api_client.ApiClient(configuration=config.load_kube_config(os.environ["KUBECONFIG"])),
    cache_file=cache)
assert client2.resources.get(api_version="v1", kind="Namespace").name == "namespaces"


def openssl_csr(name):
    key = os.path.join(work, name + ".key")
    csr = os.path.join(work, name + ".csr")
    subprocess.run(["openssl", "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                    "-nodes", "-keyout", key, "-out", csr, "-subj", "/CN=" + name],
                   check=True, capture_output=True)
    return base64.b64encode(open(csr, "rb").read()).decode()


def manifest(name, labels=None):
    m = {"apiVersion": "certificates.k8s.io/v1", "kind": "CertificateSigningRequest",
         "metadata": {"name": name},
         "spec": {"request": openssl_csr(name), "signerName": "example.com/dyn", "usages": ["client auth"]}}
    if labels:
        m["metadata"]["labels"] = labels
    return m


# create / get / list
created = csrs.create(body=manifest("dyn-a", {"team": "a"}))
assert created.metadata.name == "dyn-a" and created.kind == "CertificateSigningRequest"
assert created.spec.username == "kubernetes-admin", created.spec
got = csrs.get(name="dyn-a")
assert got.metadata.uid == created.metadata.uid
assert got.metadata.labels.team == "a"
listed = csrs.get(label_selector="team=a")
assert listed.kind == "CertificateSigningRequestList", listed.kind
assert [i.metadata.name for i in listed.items] == ["dyn-a"]
try:
    csrs.get(name="nope")
    raise AssertionError("404 expected")
except NotFoundError as e:
    assert json.loads(e.body)["message"] == \
        'certificatesigningrequests.certificates.k8s.io "nope" not found', e.body

# patch: merge (the dynamic client's default for a dict body) and JSON patch
patched = csrs.patch(name="dyn-a", body={"metadata": {"labels": {"patched": "yes"}}},
                     content_type="application/merge-patch+json")
assert patched.metadata.labels.patched == "yes"
patched = csrs.patch(name="dyn-a", body=[{"op": "add", "path": "/metadata/annotations", "value": {"x": "y"}}],
                     content_type="application/json-patch+json")
assert patched.metadata.annotations.x == "y"

# replace with the read object (its resourceVersion as precondition), then a stale one: 409
current = csrs.get(name="dyn-a").to_dict()
current["metadata"]["labels"]["replaced"] = "1"
replaced = csrs.replace(body=current)
assert replaced.metadata.labels.replaced == "1"
try:
    csrs.replace(body=current)
    raise AssertionError("stale replace must conflict")
except ConflictError as e:
    assert "the object has been modified" in json.loads(e.body)["message"], e.body

# approval through the subresource with replace
obj = csrs.get(name="dyn-a").to_dict()
obj["status"] = {"conditions": [{"type": "Approved", "status": "True", "reason": "Dyn", "message": "ok"}]}
approved = client.replace(approval, body=obj, name="dyn-a")
assert approved.status.conditions[0].type == "Approved", approved.status

# server-side apply: owns its fields, conflicts with another manager, force takes them
applied = csrs.server_side_apply(body=manifest("dyn-ssa", {"owner": "one"}), field_manager="one")
assert applied.metadata.labels.owner == "one"
mf = [(e.manager, e.operation) for e in applied.metadata.managedFields]
assert mf == [("one", "Apply")], mf
conflict = manifest("dyn-ssa", {"owner": "two"})
conflict["spec"]["request"] = applied.spec.request
try:
    csrs.server_side_apply(body=conflict, name="dyn-ssa", field_manager="two")
    raise AssertionError("conflict expected")
except ConflictError as e:
    msg = json.loads(e.body)["message"]
    assert msg == 'Apply failed with 1 conflict: conflict with "one": .metadata.labels.owner', msg
forced = csrs.server_side_apply(body=conflict, name="dyn-ssa", field_manager="two", force_conflicts=True)
assert forced.metadata.labels.owner == "two"

# watch: the events of the objects, ended by timeout
seen = []
for ev in csrs.watch(timeout=1, resource_version="0"):
    seen.append((ev["type"], ev["object"].metadata.name))
assert ("ADDED", "dyn-a") in seen and ("ADDED", "dyn-ssa") in seen, seen

# delete: the Status of a deleted object
st = csrs.delete(name="dyn-a")
assert st.status == "Success" and st.details.name == "dyn-a", st

# the default patch type of a dict (strategic merge), a watch from a list's resourceVersion,
# delete of a collection by label
csrs.create(body=manifest("dyn-b", {"batch": "b"}))
csrs.create(body=manifest("dyn-c", {"batch": "b"}))
p = csrs.patch(name="dyn-b", body={"metadata": {"labels": {"smp": "1"}}})
assert p.metadata.labels.smp == "1" and p.metadata.labels.batch == "b", p.metadata.labels
rv = csrs.get().metadata.resourceVersion
csrs.patch(name="dyn-c", body={"metadata": {"labels": {"late": "1"}}},
           content_type="application/merge-patch+json")
seen = [(ev["type"], ev["object"].metadata.name)
        for ev in csrs.watch(timeout=1, resource_version=rv)]
assert seen == [("MODIFIED", "dyn-c")], seen
gone = csrs.delete(label_selector="batch=b")
assert gone.kind == "CertificateSigningRequestList", gone.kind
assert sorted(i.metadata.name for i in gone.items) == ["dyn-b", "dyn-c"], gone.items
assert csrs.get(label_selector="batch=b").items == []
assert client.version["kubernetes"]["gitVersion"].startswith("v1."), client.version
assert [r.kind for r in client.resources.search(kind="Secret")] == ["Secret"]

# RBAC and core kinds through the same client
ns = client.resources.get(api_version="v1", kind="Namespace")
ns.create(body={"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "dyn"}})
roles = client.resources.get(api_version="rbac.authorization.k8s.io/v1", kind="Role")
role = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
        "metadata": {"name": "reader", "namespace": "dyn"},
        "rules": [{"apiGroups": [""], "resources": ["secrets"], "verbs": ["get"]}]}
r = roles.server_side_apply(body=role, namespace="dyn", field_manager="dyn-apply")
assert [(e.manager, e.operation, e.apiVersion) for e in r.metadata.managedFields] == \
    [("dyn-apply", "Apply", "rbac.authorization.k8s.io/v1")], r.metadata.managedFields
assert [i.metadata.name for i in roles.get(namespace="dyn").items] == ["reader"]
gone = ns.delete(name="dyn")
assert gone.status.phase == "Terminating", gone.status
# The namespace controller empties and removes it a moment later (csrsim serve: after the
# next request with --clock virtual), as kube-controller-manager's does.
for _ in range(50):
    try:
        assert ns.get(name="dyn").status.phase == "Terminating"
    except NotFoundError:
        break
    time.sleep(0.1)
else:
    raise AssertionError("the namespace is gone once its content is")
assert roles.get(namespace="dyn").items == [], "its content went first"

print("python dynamic client: ok")
