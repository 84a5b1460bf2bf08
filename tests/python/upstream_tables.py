"""Mirrors upstream's test/e2e/apimachinery/table_conversion.go ("Servers with support for
Table transformation"): a single object as a meta.k8s.io/v1beta1 Table (a Secret and a CSR for
upstream's pod), chunked Table lists (20 Secrets for upstream's PodTemplates, limit 2, then the
continue token), a cluster-scoped Table list (Namespaces for upstream's nodes), and the
conformance test "should return a 406 for a backend which does not implement metadata" (a
SelfSubjectAccessReview POST asking for a Table).
Usage: KUBECONFIG=... python3 upstream_tables.py WORKDIR"""
import base64
import json
import subprocess
import sys

from kubernetes import client, config

config.load_kube_config()
api = client.ApiClient()
core = client.CoreV1Api()
TABLE_V1B1 = "application/json;as=Table;v=v1beta1;g=meta.k8s.io"
TABLE_V1 = "application/json;as=Table;v=v1;g=meta.k8s.io"


def request(method, path, accept, query=None, body=None):
    m, url, headers, body, _ = api.param_serialize(
        method, path, query_params=query, body=body, auth_settings=["BearerToken"],
        header_params={"Accept": accept, "Content-Type": "application/json"})
    r = api.call_api(m, url, header_params=headers, body=body)
    r.read()
    return r.status, json.loads(r.data)


def check_table(t, version="v1beta1"):
    assert t["kind"] == "Table" and t["apiVersion"] == "meta.k8s.io/" + version, t
    assert t["columnDefinitions"][0]["name"] == "Name", t["columnDefinitions"]
    for row in t["rows"]:
        assert len(row["cells"]) == len(t["columnDefinitions"]), row


ns = core.create_namespace(client.V1Namespace(
    metadata=client.V1ObjectMeta(generate_name="tables-"))).metadata.name

# "should return pod details": one object as a Table
core.create_namespaced_secret(ns, client.V1Secret(metadata=client.V1ObjectMeta(name="secret-1"),
                                                  string_data={"a": "b"}))
status, t = request("GET", "/api/v1/namespaces/%s/secrets/secret-1" % ns, TABLE_V1B1)
assert status == 200, (status, t)
check_table(t)
assert len(t["columnDefinitions"]) > 2 and len(t["rows"]) == 1, t
assert t["rows"][0]["cells"][0] == "secret-1", t["rows"]
assert [c["name"] for c in t["columnDefinitions"]] == ["Name", "Type", "Data", "Age"], t["columnDefinitions"]
assert t["rows"][0]["cells"][1:3] == ["Opaque", 1], t["rows"]
# the row's object is PartialObjectMetadata by default (includeObject=Metadata)
obj = t["rows"][0]["object"]
assert obj["kind"] == "PartialObjectMetadata" and obj["apiVersion"] == "meta.k8s.io/v1beta1", obj
assert obj["metadata"]["name"] == "secret-1" and "data" not in obj, obj
assert t["metadata"]["resourceVersion"], t["metadata"]

subprocess.run("openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout %s/k.key "
               "-out %s/t.csr -subj /CN=tables 2>/dev/null" % (sys.argv[1], sys.argv[1]), shell=True, check=True)
pem = open(sys.argv[1] + "/t.csr", "rb").read()
client.CertificatesV1Api().create_certificate_signing_request(client.V1CertificateSigningRequest(
    metadata=client.V1ObjectMeta(name="tables-csr"),
    spec=client.V1CertificateSigningRequestSpec(request=base64.b64encode(pem).decode(),
                                                signer_name="example.com/tables", usages=["client auth"])))
status, t = request("GET", "/apis/certificates.k8s.io/v1/certificatesigningrequests/tables-csr", TABLE_V1)
assert status == 200, (status, t)
check_table(t, "v1")
assert len(t["rows"]) == 1 and t["rows"][0]["cells"][0] == "tables-csr", t["rows"]

# "should return chunks of table results for list calls"
for i in range(20):
    core.create_namespaced_secret(ns, client.V1Secret(metadata=client.V1ObjectMeta(name="template-%04d" % i)))
status, paged = request("GET", "/api/v1/namespaces/%s/secrets" % ns, TABLE_V1B1, query=[("limit", 2)])
assert status == 200, (status, paged)
check_table(paged)
assert len(paged["rows"]) == 2, paged["rows"]
assert paged["metadata"]["resourceVersion"] and paged["metadata"]["continue"], paged["metadata"]
assert [r["cells"][0] for r in paged["rows"]] == ["secret-1", "template-0000"], paged["rows"]
assert paged["metadata"]["remainingItemCount"] == 19, paged["metadata"]
status, paged = request("GET", "/api/v1/namespaces/%s/secrets" % ns, TABLE_V1B1,
                        query=[("continue", paged["metadata"]["continue"])])
assert status == 200, (status, paged)
assert paged["rows"] and paged["rows"][0]["cells"][0] == "template-0001", paged["rows"]
assert len(paged["rows"]) == 19 and "continue" not in paged["metadata"], paged["metadata"]

# "should return generic metadata details across all namespaces for nodes" (namespaces here)
status, t = request("GET", "/api/v1/namespaces", TABLE_V1B1)
assert status == 200, (status, t)
check_table(t)
assert len(t["columnDefinitions"]) >= 2 and t["rows"], t
assert t["metadata"]["resourceVersion"], t["metadata"]
assert ns in [r["cells"][0] for r in t["rows"]]

# NegotiateMediaTypeOptions: the first clause the endpoint can answer decides, and a Table of a
# version meta.k8s.io does not have is no answer (406 when nothing else is offered)
secrets_path = "/api/v1/namespaces/%s/secrets" % ns
status, got = request("GET", secrets_path, "application/json," + TABLE_V1)
assert status == 200 and got["kind"] == "SecretList", (status, got.get("kind"))
v2 = "application/json;as=Table;v=v2;g=meta.k8s.io"
status, got = request("GET", secrets_path, v2 + "," + TABLE_V1B1)
assert status == 200 and got["kind"] == "Table" and got["apiVersion"] == "meta.k8s.io/v1beta1", got.get("apiVersion")
status, got = request("GET", secrets_path, v2 + ",application/json")
assert status == 200 and got["kind"] == "SecretList", (status, got.get("kind"))
status, got = request("GET", secrets_path, v2)
assert status == 406 and got["reason"] == "NotAcceptable", (status, got)

# "should return a 406 for a backend which does not implement metadata" (conformance, v1.16)
sar = {"apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectAccessReview",
       "spec": {"nonResourceAttributes": {"path": "/", "verb": "get"}}}
status, st = request("POST", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", TABLE_V1, body=sar)
assert status == 406, (status, st)
assert st["kind"] == "Status" and st["code"] == 406 and st["reason"] == "NotAcceptable", st
# NegotiateOutputMediaType's errNotAcceptable lists the serializer's media types
assert st["message"] == ("only the following media types are accepted: application/json, application/yaml, "
                         "application/vnd.kubernetes.protobuf"), st["message"]
# the same review with a plain JSON clause after the Table one is answered
status, got = request("POST", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
                      TABLE_V1 + ",application/json", body=sar)
assert status == 201 and got["kind"] == "SelfSubjectAccessReview" and got["status"]["allowed"] is True, got

print("upstream tables: ok")
