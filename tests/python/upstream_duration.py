"""Mirrors test/integration/certificates/duration_test.go TestCSRDuration: with the
kube-apiserver-client signer's TTL at 24h (`csrsim serve --cluster-signing-duration 24h`, as
upstream's NewKubeAPIServerClientCSRSigningController(..., 24*time.Hour)), CSRs made like
client-go's csr.RequestCertificate (generateName "csr-", usages [client auth], CN=panda, P-256) are
approved through /approval and issued with NotAfter-NotBefore = min(expirationSeconds, 24h), plus
the 5 minute backdate for short certificates; expirationSeconds < 600 is a 422 with upstream's text;
and /metrics reports 7 requested and 6 honored durations for the signer.
Usage: KUBECONFIG=... python3 upstream_duration.py WORKDIR  (server: --cluster-signing-duration 24h)"""
import base64
import datetime
import os
import sys
import time

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from kubernetes import client, config, watch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import upstream_util as u  # noqa: E402

config.load_kube_config()
os.chdir(sys.argv[1])
certs = client.CertificatesV1Api()
api = client.ApiClient()
SIGNER = "kubernetes.io/kube-apiserver-client"
H, M, S = 3600, 60, 1


def invalid(name, secs):
    return ('cannot create certificate signing request: '
            'CertificateSigningRequest.certificates.k8s.io "%s" is invalid: spec.expirationSeconds: '
            'Invalid value: %d: may not specify a duration less than 600 seconds (10 minutes)' % (name, secs))


# (name, csrName, duration in seconds or None, wanted NotAfter-NotBefore, wanted error)
TESTS = [
    ("no duration set", "", None, 24 * H, ""),
    ("same duration set as certTTL", "", 24 * H, 24 * H, ""),
    ("longer duration than certTTL", "", 48 * H, 24 * H, ""),
    ("slightly shorter duration set", "", 20 * H, 20 * H, ""),
    ("even shorter duration set", "", 10 * H, 10 * H, ""),
    ("short duration set", "", 2 * H, 2 * H + 5 * M, ""),
    ("very short duration set", "", 30 * M, 30 * M + 5 * M, ""),
    ("shortest duration set", "", 10 * M, 10 * M + 5 * M, ""),
    ("just too short duration set", "invalid-csr-001", 10 * M - S, 0, invalid("invalid-csr-001", 599)),
    ("really too short duration set", "invalid-csr-002", 3 * M, 0, invalid("invalid-csr-002", 180)),
    ("negative duration set", "invalid-csr-003", -7 * M, 0, invalid("invalid-csr-003", -420)),
]


def request_certificate(csr_pem, name, signer, seconds, usages):
    """client-go util/certificate/csr.RequestCertificate: returns (name, uid, error text)."""
    meta = client.V1ObjectMeta(name=name) if name else client.V1ObjectMeta(generate_name="csr-")
    obj = client.V1CertificateSigningRequest(metadata=meta, spec=client.V1CertificateSigningRequestSpec(
        request=base64.b64encode(csr_pem).decode(), usages=usages, signer_name=signer,
        expiration_seconds=seconds))
    try:
        got = certs.create_certificate_signing_request(obj)
    except client.exceptions.ApiException as e:
        import json
        return None, None, "cannot create certificate signing request: " + json.loads(e.body)["message"]
    return got.metadata.name, got.metadata.uid, ""


def wait_for_certificate(name, uid):
    """client-go csr.WaitForCertificate: watch metadata.name=<name> until the certificate is set."""
    for ev in watch.Watch().stream(certs.list_certificate_signing_request,
                                   field_selector="metadata.name=" + name, timeout_seconds=30):
        obj = ev["object"]
        assert obj.metadata.uid == uid, "csr %q changed UIDs" % name
        conds = {c.type for c in (obj.status.conditions or [])}
        assert "Denied" not in conds and "Failed" not in conds, (name, obj.status.conditions)
        if obj.status.certificate:
            return base64.b64decode(obj.status.certificate)
    raise AssertionError("no certificate for " + name)


issued = []
for title, csr_name, seconds, want, want_error in TESTS:
    key = ec.generate_private_key(ec.SECP256R1())
    csr_pem = x509.CertificateSigningRequestBuilder().subject_name(
        x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "panda")])).sign(key, hashes.SHA256()) \
        .public_bytes(serialization.Encoding.PEM)
    name, uid, err = request_certificate(csr_pem, csr_name, SIGNER, seconds, ["client auth"])
    assert err == want_error, "CSR input duration %s err diff:\n want %r\n  got %r" % (seconds, want_error, err)
    if want_error:
        continue
    assert name.startswith("csr-") and len(name) == 9, name
    obj = certs.read_certificate_signing_request(name)
    obj.status.conditions = [client.V1CertificateSigningRequestCondition(
        type="Approved", status="True", reason="TestCSRDuration", message="TestCSRDuration/" + title)]
    certs.replace_certificate_signing_request_approval(name, obj)
    issued.append((title, name, uid, seconds, want))

for title, name, uid, seconds, want in issued:
    data = wait_for_certificate(name, uid)
    blocks = x509.load_pem_x509_certificates(data)
    assert len(blocks) == 1, "expected 1 cert, got %d" % len(blocks)
    cert = blocks[0]
    got = cert.not_valid_after_utc - cert.not_valid_before_utc
    assert got == datetime.timedelta(seconds=want), \
        "%s: CSR input duration %s got duration = %s, want %s" % (title, seconds, got, datetime.timedelta(seconds=want))
    print("  ok:", title, got)

# the registry's duration metrics: 7 requested a duration, 6 were honored (48h was capped at 24h)
want_metrics = [
    'apiserver_certificates_registry_csr_honored_duration_total{signerName="kubernetes.io/kube-apiserver-client"} 6',
    'apiserver_certificates_registry_csr_requested_duration_total{signerName="kubernetes.io/kube-apiserver-client"} 7',
]
for _ in range(50):
    status, body = u.raw(api, "GET", "/metrics")
    assert status == 200, (status, body)
    got_metrics = [l for l in body.split("\n") if l.startswith("apiserver_certificates_registry_")]
    if got_metrics == want_metrics:
        break
    time.sleep(0.1)
assert got_metrics == want_metrics, "unexpected metrics:\n%s" % "\n".join(got_metrics)
# /metrics is a non-resource URL granted by the system:monitoring role only
status, got = u.raw(u.client_as("test-user"), "GET", "/metrics")
assert status == 403 and got["message"] == 'forbidden: User "test-user" cannot get path "/metrics"', (status, got)

print("upstream duration: ok")
