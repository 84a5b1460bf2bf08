"""Mirrors test/integration/certificates/field_selector_test.go TestCSRSignerNameFieldSelector:
`spec.signerName=<name>` as a field selector on LIST returns exactly the CSRs of that signer, in
name order (csr-1 alone; csr-2 then csr-3). Also the neighbouring facts of the same selector
support: `metadata.name` selects, `!=` negates, and an unsupported field label is a 400.
Usage: KUBECONFIG=... python3 upstream_field_selector.py WORKDIR"""
import os
import sys

from kubernetes import client, config

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import upstream_util as u  # noqa: E402

config.load_kube_config()
os.chdir(sys.argv[1])
certs = client.CertificatesV1Api()

csr1 = u.create_testing_csr(certs, "csr-1", "example.com/signer-name-1", "")
csr2 = u.create_testing_csr(certs, "csr-2", "example.com/signer-name-2", "")
# csr3 has the same signerName as csr2 so multiple items are returned by a filtered LIST
csr3 = u.create_testing_csr(certs, "csr-3", "example.com/signer-name-2", "")

one = certs.list_certificate_signing_request(field_selector="spec.signerName=example.com/signer-name-1")
assert len(one.items) == 1, "expected one CSR to be returned but got %d" % len(one.items)
assert one.items[0].metadata.name == csr1.metadata.name, one.items[0].metadata.name

two = certs.list_certificate_signing_request(field_selector="spec.signerName=example.com/signer-name-2")
assert len(two.items) == 2, "expected two CSRs to be returned but got %d" % len(two.items)
assert [i.metadata.name for i in two.items] == [csr2.metadata.name, csr3.metadata.name], \
    [i.metadata.name for i in two.items]

# same selector machinery: metadata.name, ==, !=, and the conversion's field label check
assert [i.metadata.name for i in certs.list_certificate_signing_request(
    field_selector="metadata.name=csr-3").items] == ["csr-3"]
assert [i.metadata.name for i in certs.list_certificate_signing_request(
    field_selector="spec.signerName==example.com/signer-name-1").items] == ["csr-1"]
assert [i.metadata.name for i in certs.list_certificate_signing_request(
    field_selector="spec.signerName!=example.com/signer-name-1").items] == ["csr-2", "csr-3"]
u.expect_api_error(lambda: certs.list_certificate_signing_request(field_selector="spec.username=x"),
                   400, 'field label not supported: spec.username')

print("upstream field selector: ok")
