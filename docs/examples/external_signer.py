#!/usr/bin/env python3
"""A minimal external signer for one custom signerName, as docs/conformance.md describes one.

    python3 external_signer.py KUBECONFIG SIGNER_NAME

It watches CertificateSigningRequests, and for each one of SIGNER_NAME that is Approved (and
neither Denied nor Failed) and has no certificate yet, issues a certificate from its own
throwaway CA for the key in spec.request, valid for spec.expirationSeconds (at most a year;
NotBefore backdated 5 minutes as kube-controller-manager's signers do), and writes it to
status.certificate through the /status subresource. Its user needs `update` on
certificatesigningrequests/status and `sign` on signers/SIGNER_NAME (cluster-admin has both).

Needs the `kubernetes` and `cryptography` Python packages. Check it with:

    csrsim run --kubeconfig KUBECONFIG --profile custom-signer --signer-name SIGNER_NAME \
        scenarios/conformance/

tests/e2e_python.rs runs exactly that against `csrsim serve`.
"""
import base64
import datetime
import sys

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from kubernetes import client, config, watch

MAX_SECONDS = 365 * 24 * 3600
BACKDATE = datetime.timedelta(minutes=5)
# spec.usages → extended key usages; the other usages are key usages, left to the CA's policy.
EKU = {
    "client auth": ExtendedKeyUsageOID.CLIENT_AUTH,
    "server auth": ExtendedKeyUsageOID.SERVER_AUTH,
}


def make_ca():
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "example-external-signer")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - BACKDATE)
        .not_valid_after(now + datetime.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    return key, cert


def should_sign(csr, signer_name):
    if csr.spec.signer_name != signer_name or csr.status.certificate:
        return False
    true = {c.type for c in (csr.status.conditions or []) if c.status == "True"}
    return "Approved" in true and not true & {"Denied", "Failed"}


def issue(csr, ca_key, ca_cert):
    request = x509.load_pem_x509_csr(base64.b64decode(csr.spec.request))
    seconds = min(csr.spec.expiration_seconds or MAX_SECONDS, MAX_SECONDS)
    now = datetime.datetime.now(datetime.timezone.utc)
    builder = (
        x509.CertificateBuilder()
        .subject_name(request.subject)
        .issuer_name(ca_cert.subject)
        .public_key(request.public_key())  # the requester's key, never another
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - BACKDATE)
        .not_valid_after(now + datetime.timedelta(seconds=seconds))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
    )
    ekus = [EKU[u] for u in csr.spec.usages or [] if u in EKU]
    if ekus:
        builder = builder.add_extension(x509.ExtendedKeyUsage(ekus), critical=False)
    cert = builder.sign(ca_key, hashes.SHA256())
    return cert.public_bytes(serialization.Encoding.PEM)


def main():
    kubeconfig, signer_name = sys.argv[1], sys.argv[2]
    config.load_kube_config(config_file=kubeconfig)
    api = client.CertificatesV1Api()
    ca_key, ca_cert = make_ca()
    print(f"signing for {signer_name}", flush=True)
    while True:
        for event in watch.Watch().stream(
            api.list_certificate_signing_request, timeout_seconds=60
        ):
            csr = event["object"]
            if event["type"] not in ("ADDED", "MODIFIED") or not should_sign(csr, signer_name):
                continue
            csr.status.certificate = base64.b64encode(issue(csr, ca_key, ca_cert)).decode()
            try:
                # The object as read, with its resourceVersion: a conflict means a newer
                # version is on its way through the watch.
                api.replace_certificate_signing_request_status(csr.metadata.name, csr)
                print(f"issued {csr.metadata.name}", flush=True)
            except client.ApiException as e:
                print(f"{csr.metadata.name}: {e.status} {e.reason}", flush=True)


if __name__ == "__main__":
    main()
