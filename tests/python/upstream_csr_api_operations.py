"""Mirrors test/e2e/auth/certificates.go "should support CSR API operations" (conformance,
v1.19): discovery, create x3 with generateName, get, list by spec.signerName, watch from the
list's resourceVersion by metadata.name, merge patch, update, /approval get/patch/update,
/status get/patch/update, delete, deletecollection by field selector.
Usage: KUBECONFIG=... python3 upstream_csr_api_operations.py WORKDIR"""
import os, sys, json, base64, subprocess, threading
from kubernetes import client, config, watch
from kubernetes.client.rest import ApiException
config.load_kube_config()
os.chdir(sys.argv[1])
certs = client.CertificatesV1Api()
subprocess.run("openssl req -new -newkey rsa:2048 -nodes -keyout k.key -out e.csr -subj /CN=e2e.example.com -addext subjectAltName=DNS:e2e.example.com 2>/dev/null", shell=True, check=True)
subprocess.run("openssl req -x509 -newkey rsa:2048 -nodes -keyout s.key -out s.crt -subj /CN=e2e.example.com -days 1 2>/dev/null", shell=True, check=True)
pem = open("e.csr","rb").read()
crt = open("s.crt","rb").read()
signer = "example.com/e2e-xyz"
def tmpl():
    return client.V1CertificateSigningRequest(metadata=client.V1ObjectMeta(generate_name="e2e-example-csr-"),
        spec=client.V1CertificateSigningRequestSpec(request=base64.b64encode(pem).decode(), signer_name=signer,
        expiration_seconds=3600, usages=["digital signature","key encipherment","server auth"]))
# discovery
g = client.ApisApi().get_api_versions()
assert any(x.name=="certificates.k8s.io" and any(v.version=="v1" for v in x.versions) for x in g.groups)
grp = client.CertificatesApi().get_api_group()
assert any(v.version=="v1" for v in grp.versions)
res = certs.get_api_resources()
names = {r.name for r in res.resources}
assert {"certificatesigningrequests","certificatesigningrequests/approval","certificatesigningrequests/status"} <= names, names
for _ in range(2): certs.create_certificate_signing_request(tmpl())
created = certs.create_certificate_signing_request(tmpl())
name = created.metadata.name
got = certs.read_certificate_signing_request(name)
assert got.metadata.uid == created.metadata.uid and got.spec.expiration_seconds == 3600
lst = certs.list_certificate_signing_request(field_selector="spec.signerName="+signer)
assert len(lst.items)==3
events=[]
def w():
    for ev in watch.Watch().stream(certs.list_certificate_signing_request, resource_version=lst.metadata.resource_version, field_selector="metadata.name="+name, timeout_seconds=5):
        events.append(ev)
        if (ev["object"].metadata.annotations or {}).get("patched")=="true": return
t=threading.Thread(target=w); t.start()
p = certs.patch_certificate_signing_request(name, {"metadata":{"annotations":{"patched":"true"}}})
assert p.metadata.annotations["patched"]=="true"
p.metadata.annotations["updated"]="true"
u = certs.replace_certificate_signing_request(name, p)
assert u.metadata.annotations["updated"]=="true"
t.join()
assert events and all(e["type"]=="MODIFIED" for e in events), [e["type"] for e in events]
# approval
ga = certs.read_certificate_signing_request_approval(name)
assert ga.kind=="CertificateSigningRequest" and ga.api_version=="certificates.k8s.io/v1" and ga.metadata.uid==created.metadata.uid
pa = certs.patch_certificate_signing_request_approval(name, {"metadata":{"annotations":{"patchedapproval":"true"}},"status":{"conditions":[{"type":"ApprovalPatch","status":"True","reason":"e2e"}]}})
assert len(pa.status.conditions)==1 and pa.status.conditions[0].type=="ApprovalPatch", pa.status.conditions
assert pa.metadata.annotations["patchedapproval"]=="true"
pa.status.conditions.append(client.V1CertificateSigningRequestCondition(type="Approved",status="True",reason="E2E",message="Set from an e2e test"))
ua = certs.replace_certificate_signing_request_approval(name, pa)
assert len(ua.status.conditions)==2 and ua.status.conditions[1].type=="Approved"
gs = certs.read_certificate_signing_request_status(name)
assert gs.kind=="CertificateSigningRequest" and gs.metadata.uid==created.metadata.uid
ps = certs.patch_certificate_signing_request_status(name, {"metadata":{"annotations":{"patchedstatus":"true"}},"status":{"certificate":base64.b64encode(crt).decode()}})
assert base64.b64decode(ps.status.certificate)==crt and ps.metadata.annotations["patchedstatus"]=="true"
ps.status.conditions.append(client.V1CertificateSigningRequestCondition(type="StatusUpdate",status="True",reason="E2E",message="Set from an e2e test"))
us = certs.replace_certificate_signing_request_status(name, ps)
assert len(us.status.conditions)==len(ps.status.conditions) and us.status.conditions[-1].type=="StatusUpdate"
certs.delete_certificate_signing_request(name)
try:
    certs.read_certificate_signing_request(name); assert False
except ApiException as e:
    assert e.status==404
assert len(certs.list_certificate_signing_request(field_selector="spec.signerName="+signer).items)==2
certs.delete_collection_certificate_signing_request(field_selector="spec.signerName="+signer)
assert len(certs.list_certificate_signing_request(field_selector="spec.signerName="+signer).items)==0
print("upstream csr api operations: ok")
