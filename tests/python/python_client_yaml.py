"""The Python client asking for YAML (`Accept: application/yaml`, the raw `call_api` answer):
kube-apiserver's YAML serializer writes the JSON answer through `sigs.k8s.io/yaml.JSONToYAML`,
so each answer parsed with PyYAML is the JSON answer — for a get, a list, a review create, and
an error Status (a 404, in YAML too); a watch asked in YAML is the 406 of the stream
negotiation (YAML has no stream serializer), itself a YAML Status.
Usage: KUBECONFIG=... python3 python_client_yaml.py WORKDIR"""
import base64
import json
import subprocess
import sys

import yaml
from kubernetes import client, config

config.load_kube_config()
api = client.ApiClient()
C = "/apis/certificates.k8s.io/v1/certificatesigningrequests"


def request(method, path, accept, body=None):
    m, url, headers, body, _ = api.param_serialize(
        method, path, body=body, auth_settings=["BearerToken"],
        header_params={"Accept": accept, "Content-Type": "application/json"})
    r = api.call_api(m, url, header_params=headers, body=body)  # the raw response, unparsed
    r.read()
    return r.status, r.getheader("Content-Type"), r.data.decode()


subprocess.run("openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout %s/k.key "
               "-out %s/y.csr -subj /CN=yaml 2>/dev/null" % (sys.argv[1], sys.argv[1]), shell=True, check=True)
pem = open(sys.argv[1] + "/y.csr", "rb").read()
client.CertificatesV1Api().create_certificate_signing_request(client.V1CertificateSigningRequest(
    metadata=client.V1ObjectMeta(name="yaml-csr", labels={"n": "48", "b": "true"},
                                 annotations={"multi": "one\ntwo\n", "long": "word " * 30}),
    spec=client.V1CertificateSigningRequestSpec(request=base64.b64encode(pem).decode(),
                                                signer_name="example.com/yaml", usages=["client auth"])))

for path in [C + "/yaml-csr", C, "/apis/certificates.k8s.io/v1", "/apis"]:
    status, ct, text = request("GET", path, "application/json")
    assert status == 200 and ct == "application/json", (path, status, ct)
    want = json.loads(text)
    status, ct, text = request("GET", path, "application/yaml")
    assert status == 200 and ct == "application/yaml", (path, status, ct, text)
    assert yaml.safe_load(text) == want, (path, text)

status, ct, text = request("GET", C + "/yaml-csr", "application/yaml")
# the key "n" is quoted too: a plain n is a YAML 1.1 boolean
assert "\n  labels:\n    b: \"true\"\n    \"n\": \"48\"\n" in text, text
assert "\n    multi: |\n      one\n      two\n" in text, text
assert text.startswith("apiVersion: certificates.k8s.io/v1\nkind: CertificateSigningRequest\n"), text

sar = {"apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectAccessReview",
       "spec": {"nonResourceAttributes": {"path": "/", "verb": "get"}}}
status, ct, text = request("POST", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
                           "application/yaml", body=sar)
assert status == 201 and ct == "application/yaml", (status, ct, text)
got = yaml.safe_load(text)
assert got["kind"] == "SelfSubjectAccessReview" and got["status"]["allowed"] is True, got

status, ct, text = request("GET", C + "/nope", "application/yaml")
assert status == 404 and ct == "application/yaml", (status, ct, text)
st = yaml.safe_load(text)
assert st == {"apiVersion": "v1", "kind": "Status", "metadata": {}, "status": "Failure", "code": 404,
              "reason": "NotFound", "message": 'certificatesigningrequests.certificates.k8s.io "nope" not found',
              "details": {"name": "nope", "group": "certificates.k8s.io", "kind": "certificatesigningrequests"}}, st

status, ct, text = request("GET", C + "?watch=true", "application/yaml")
assert status == 406 and ct == "application/yaml", (status, ct, text)
st = yaml.safe_load(text)
assert st["reason"] == "NotAcceptable" and st["message"] == (
    "only the following media types are accepted: application/json;stream=watch, "
    "application/vnd.kubernetes.protobuf;stream=watch"), st

print("python yaml: ok")
