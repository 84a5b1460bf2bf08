"""Mirrors the API-only conformance tests of upstream's test/e2e/common/node/secrets.go:
"should fail to create secret due to empty secret key" (v1.15) and "should patch a secret"
(v1.18: create with a label, list across namespaces by label, strategic-merge patch of a label
and data — a []byte of the base64 text, so base64 twice on the wire —, get, deletecollection by
label, list again), and test/e2e/common/storage/secrets_volume.go "should be immutable if
`immutable` field is set" (v1.21). The tests that consume secrets in pods need pods, which
csrsim does not run.
Usage: KUBECONFIG=... python3 upstream_secrets.py WORKDIR"""
import base64
import json
import uuid

from kubernetes import client, config

config.load_kube_config()
core = client.CoreV1Api()
ns = core.create_namespace(client.V1Namespace(
    metadata=client.V1ObjectMeta(generate_name="secrets-"))).metadata.name

# should fail to create secret due to empty secret key
name = "secret-emptykey-test-" + str(uuid.uuid4())
try:
    core.create_namespaced_secret(ns, client.V1Secret(
        metadata=client.V1ObjectMeta(namespace=ns, name=name),
        data={"": base64.b64encode(b"value-1\n").decode()}))
    raise AssertionError("created a secret with an empty key")
except client.exceptions.ApiException as e:
    code, st = e.status, json.loads(e.body)
detail = ("a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  "
          "or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')")
assert code == 422 and st["reason"] == "Invalid", st
assert st["message"] == 'Secret "%s" is invalid: data[]: Invalid value: "": %s' % (name, detail), st["message"]
assert st["details"] == {"name": name, "kind": "Secret", "causes": [
    {"reason": "FieldValueInvalid", "message": 'Invalid value: "": ' + detail, "field": "data[]"}]}, st["details"]

# should patch a secret
name = "test-secret-" + str(uuid.uuid4())
core.create_namespaced_secret(ns, client.V1Secret(
    metadata=client.V1ObjectMeta(name=name, labels={"testsecret-constant": "true"}),
    data={"key": base64.b64encode(b"value").decode()}, type="Opaque"))
lst = core.list_secret_for_all_namespaces(label_selector="testsecret-constant=true")
assert lst.items, "no secrets found"
assert any(s.metadata.name == name and s.metadata.namespace == ns for s in lst.items)
new_data = base64.b64encode(b"value1").decode()
core.patch_namespaced_secret(name, ns, {
    "metadata": {"labels": {"testsecret": "true"}},
    "data": {"key": base64.b64encode(new_data.encode()).decode()}})
secret = core.read_namespaced_secret(name, ns)
assert base64.b64decode(base64.b64decode(secret.data["key"])) == b"value1", secret.data
assert secret.metadata.labels == {"testsecret-constant": "true", "testsecret": "true"}, secret.metadata.labels
core.delete_collection_namespaced_secret(ns, label_selector="testsecret=true")
lst = core.list_secret_for_all_namespaces(label_selector="testsecret-constant=true")
assert not any(s.metadata.name == name and s.metadata.namespace == ns for s in lst.items)

# test/e2e/common/storage/secrets_volume.go "should be immutable if `immutable` field is set"
# (conformance, v1.21)
b64 = lambda t: base64.b64encode(t).decode()  # noqa: E731
cur = core.create_namespaced_secret(ns, client.V1Secret(
    metadata=client.V1ObjectMeta(namespace=ns, name="immutable"),
    data={"data-1": b64(b"value-1\n"), "data-2": b64(b"value-2\n"), "data-3": b64(b"value-3\n")}))
cur.data["data-4"] = b64(b"value-4\n")
cur = core.replace_namespaced_secret("immutable", ns, cur)
cur.immutable = True
cur = core.replace_namespaced_secret("immutable", ns, cur)
forbidden = "Forbidden: field is immutable when `immutable` is set"
cur.data["data-5"] = b64(b"value-5\n")
try:
    core.replace_namespaced_secret("immutable", ns, cur)
    raise AssertionError("changed the data of an immutable secret")
except client.exceptions.ApiException as e:
    code, st = e.status, json.loads(e.body)
assert code == 422 and st["message"] == 'Secret "immutable" is invalid: data: ' + forbidden, st
cur = core.read_namespaced_secret("immutable", ns)
assert cur.immutable is True and "data-5" not in cur.data, cur
cur.immutable = False
try:
    core.replace_namespaced_secret("immutable", ns, cur)
    raise AssertionError("made an immutable secret mutable")
except client.exceptions.ApiException as e:
    code, st = e.status, json.loads(e.body)
assert code == 422 and st["reason"] == "Invalid", st
assert st["message"] == 'Secret "immutable" is invalid: immutable: ' + forbidden, st
cur = core.read_namespaced_secret("immutable", ns)
cur.metadata.labels = {"label1": "value1"}
assert core.replace_namespaced_secret("immutable", ns, cur).metadata.labels == {"label1": "value1"}
core.delete_namespaced_secret("immutable", ns)

print("upstream secrets: ok")
