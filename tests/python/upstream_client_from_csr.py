"""Mirrors test/e2e/auth/certificates.go "should support building a client with a CSR":
RBAC for the new user (generateName role and binding), a kube-apiserver-client CSR for one hour,
approval through /approval, the issued certificate valid at most 1h05m, and a client built from
it creating a CSR as that user.
Usage: KUBECONFIG=... python3 upstream_client_from_csr.py WORKDIR"""
import sys, base64, subprocess, time, os
from kubernetes import client, config
config.load_kube_config()
os.chdir(sys.argv[1])
certs = client.CertificatesV1Api(); rbac = client.RbacAuthorizationV1Api()
subprocess.run("openssl genrsa -traditional -out t.key 2048 2>/dev/null && openssl req -new -key t.key -out t.csr -subj /CN=tester-csr", shell=True, check=True)
pem = open("t.csr","rb").read()
tmpl = client.V1CertificateSigningRequest(metadata=client.V1ObjectMeta(generate_name="tester-csr-"),
    spec=client.V1CertificateSigningRequestSpec(request=base64.b64encode(pem).decode(), signer_name="kubernetes.io/kube-apiserver-client",
    expiration_seconds=3600, usages=["digital signature","key encipherment","client auth"]))
cr = rbac.create_cluster_role(client.V1ClusterRole(metadata=client.V1ObjectMeta(generate_name="tester-csr-"), rules=[client.V1PolicyRule(verbs=["create"],api_groups=["certificates.k8s.io"],resources=["certificatesigningrequests"])]))
crb = rbac.create_cluster_role_binding(client.V1ClusterRoleBinding(metadata=client.V1ObjectMeta(generate_name="tester-csr-"), role_ref=client.V1RoleRef(api_group="rbac.authorization.k8s.io",kind="ClusterRole",name=cr.metadata.name), subjects=[client.RbacV1Subject(api_group="rbac.authorization.k8s.io",kind="User",name="tester-csr")]))
csr = certs.create_certificate_signing_request(tmpl)
csr.status.conditions=[client.V1CertificateSigningRequestCondition(type="Approved",status="True",reason="E2E",message="Set from an e2e test")]
csr = certs.replace_certificate_signing_request_approval(csr.metadata.name, csr)
for i in range(60):
    csr = certs.read_certificate_signing_request(csr.metadata.name)
    if csr.status.certificate: break
    time.sleep(1)
crt = base64.b64decode(csr.status.certificate)
open("t.crt","wb").write(crt)
# At most the requested hour plus the 5 minute backdate.
import datetime
def when(flag):
    v = subprocess.run("openssl x509 -in t.crt -noout " + flag, shell=True, capture_output=True, text=True, check=True).stdout
    return datetime.datetime.strptime(v.strip().split("=", 1)[1], "%b %d %H:%M:%S %Y %Z")
assert when("-enddate") - when("-startdate") <= datetime.timedelta(hours=1, minutes=5)
c2 = client.Configuration()
base = client.Configuration.get_default_copy()
c2.host = base.host; c2.ssl_ca_cert = base.ssl_ca_cert; c2.cert_file = "t.crt"; c2.key_file = "t.key"
nc = client.CertificatesV1Api(client.ApiClient(c2))
n = nc.create_certificate_signing_request(tmpl)
assert n.spec.username == "tester-csr", n.spec.username
certs.delete_certificate_signing_request(n.metadata.name); certs.delete_certificate_signing_request(csr.metadata.name)
rbac.delete_cluster_role_binding(crb.metadata.name); rbac.delete_cluster_role(cr.metadata.name)
print("upstream client from csr: ok")
