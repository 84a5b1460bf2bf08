"""Every CertificatesV1Api call of the official Python client with the options a black-box
suite passes, checked against what kube-apiserver 1.33 answers (the texts are upstream's):
dry_run, field_manager, field_validation, pretty, `_preload_content=False` raw bodies, list
paging and resourceVersion/resourceVersionMatch, the patch content types the client picks
(a list is `json-patch+json`, a dict or a model `strategic-merge-patch+json`, `_content_type`
for merge and apply patches), delete with V1DeleteOptions, delete_collection, and
`ApiException`'s status, HTTP reason phrase and Status body for each error path.

Usage: KUBECONFIG=... python3 python_client_requests.py WORKDIR  (server: --clock virtual)
"""
import base64
import json
import sys

from kubernetes import client, config
from kubernetes.client.rest import ApiException

from upstream_util import pem_with_template, raw

config.load_kube_config()
certs = client.CertificatesV1Api()
api = certs.api_client
GR = "certificatesigningrequests.certificates.k8s.io"
REQ = base64.b64encode(pem_with_template("py-user")).decode()


def csr(name, signer="example.com/py", generate=False, **meta):
    m = client.V1ObjectMeta(generate_name=name, **meta) if generate else client.V1ObjectMeta(name=name, **meta)
    return client.V1CertificateSigningRequest(metadata=m, spec=client.V1CertificateSigningRequestSpec(
        request=REQ, signer_name=signer, usages=["client auth"]))


PHRASES = {400: "Bad Request", 403: "Forbidden", 404: "Not Found", 409: "Conflict", 410: "Gone",
           422: "Unprocessable Entity", 500: "Internal Server Error", 504: "Gateway Timeout"}


def expect(fn, code, reason, message, details=None):
    """The call raises ApiException `code` with Go's reason phrase, a JSON Status body of
    `reason` (None: no reason field) and `message`; returns the Status."""
    try:
        fn()
    except ApiException as e:
        assert e.status == code, (e.status, e.body)
        assert e.reason == PHRASES[code], (code, e.reason)
        assert e.headers["Content-Type"] == "application/json", e.headers
        got = json.loads(e.body)
        assert (got["kind"], got["apiVersion"], got["status"], got["code"]) == ("Status", "v1", "Failure", code), got
        assert got.get("reason") == reason, (got.get("reason"), reason, got)
        assert got["message"] == message, "\n%s\n%s" % (got["message"], message)
        if details is not None:
            assert got.get("details") == details, got.get("details")
        return got
    raise AssertionError("expected HTTP %d: %s" % (code, message))


def invalid_options(kind, field, reason, detail):
    """An options 422 of apimachinery's ValidateXOptions, as its Status renders it."""
    return ('%s.meta.k8s.io "" is invalid: %s: %s' % (kind, field, detail),
            {"group": "meta.k8s.io", "kind": kind, "causes": [{"reason": reason, "message": detail, "field": field}]})


def not_found(name):
    """expect()'s arguments for the 404 of a CSR `name`."""
    return (404, "NotFound", '%s "%s" not found' % (GR, name),
            {"name": name, "group": "certificates.k8s.io", "kind": "certificatesigningrequests"})


# --- create: dry run, field manager, field validation, pretty, raw bodies ---
dry = certs.create_certificate_signing_request(csr("py-dry"), dry_run="All")
# the answer is what would be stored, with uid and creationTimestamp, but no resourceVersion
assert dry.metadata.uid and dry.metadata.creation_timestamp and dry.metadata.resource_version is None, dry.metadata
assert dry.spec.username == "kubernetes-admin" and dry.status.conditions is None, dry
expect(lambda: certs.read_certificate_signing_request("py-dry"), *not_found("py-dry"))
gen = certs.create_certificate_signing_request(csr("py-gen-", generate=True), dry_run="All")
assert gen.metadata.name.startswith("py-gen-") and len(gen.metadata.name) == len("py-gen-") + 5, gen.metadata.name
msg, det = invalid_options("CreateOptions", "dryRun", "FieldValueNotSupported",
                           'Unsupported value: []string{"Bogus"}: supported values: "All"')
expect(lambda: certs.create_certificate_signing_request(csr("x"), dry_run="Bogus"), 422, "Invalid", msg, det)
msg, det = invalid_options("CreateOptions", "fieldManager", "FieldValueTooLong", "Too long: may not be more than 128 bytes")
expect(lambda: certs.create_certificate_signing_request(csr("x"), field_manager="m" * 129), 422, "Invalid", msg, det)
msg, det = invalid_options("CreateOptions", "fieldValidation", "FieldValueNotSupported",
                           'Unsupported value: "Bogus": supported values: "", "Ignore", "Strict", "Warn"')
expect(lambda: certs.create_certificate_signing_request(csr("x"), field_validation="Bogus"), 422, "Invalid", msg, det)

# The client's models forbid unknown fields, so a strict-decoding body goes through raw().
body = api.sanitize_for_serialization(csr("py-strict"))
body["spec"]["bogus"] = 1
body["metadata"]["junk"] = 2
C = "/apis/certificates.k8s.io/v1/certificatesigningrequests"
status, got = raw(api, "POST", C, body, [("fieldValidation", "Strict")])
assert (status, got["reason"], got["message"]) == (400, "BadRequest",
    'CertificateSigningRequest in version "v1" cannot be handled as a CertificateSigningRequest: strict decoding '
    'error: unknown field "metadata.junk", unknown field "spec.bogus"'), got

# pretty=true: Go's two-space indented JSON, for objects and for errors
r = certs.create_certificate_signing_request(csr("py-a"), pretty="true", field_manager="py-mgr", _preload_content=False)
assert r.status == 201 and r.headers["Content-Type"] == "application/json", (r.status, r.headers)
text = r.data.decode()
assert text.startswith('{\n  "kind": "CertificateSigningRequest",\n  "apiVersion": "certificates.k8s.io/v1",\n  "metadata": {\n    "name": "py-a",'), text
created = json.loads(text)
# no labels or annotations: nothing outside the reset fields (spec, status) to own, no managedFields
assert "managedFields" not in created["metadata"] and created["status"] == {}, created
assert list(created["spec"]) == ["request", "signerName", "usages", "username", "groups", "extra"], created["spec"]
try:
    certs.read_certificate_signing_request("py-none", pretty="true")
    raise AssertionError("expected 404")
except ApiException as e:
    assert e.body.startswith('{\n  "kind": "Status",\n  "apiVersion": "v1",\n  "metadata": {},\n  "status": "Failure",'), e.body

# a label is owned by the creating manager; the typed entry deserializes (datetime, FieldsV1)
a = certs.create_certificate_signing_request(csr("py-b", labels={"team": "py"}), field_manager="py-mgr")
[entry] = a.metadata.managed_fields
assert (entry.manager, entry.operation, entry.api_version, entry.fields_type, entry.subresource) == \
    ("py-mgr", "Update", "certificates.k8s.io/v1", "FieldsV1", None), entry
assert entry.fields_v1 == {"f:metadata": {"f:labels": {".": {}, "f:team": {}}}}, entry.fields_v1
assert entry.time.isoformat() == "2030-01-01T00:00:00+00:00", entry.time
b = certs.patch_certificate_signing_request("py-b", {"metadata": {"labels": {"x": "1"}}})
# sorted as the field manager does: operation, then time (the same here), then manager name
assert [m.manager for m in b.metadata.managed_fields] == ["OpenAPI-Generator", "py-mgr"], b.metadata.managed_fields
assert b.metadata.managed_fields[0].fields_v1 == {"f:metadata": {"f:labels": {"f:x": {}}}}, b.metadata.managed_fields

expect(lambda: certs.create_certificate_signing_request(csr("py-a")), 409, "AlreadyExists", '%s "py-a" already exists' % GR,
       {"name": "py-a", "group": "certificates.k8s.io", "kind": "certificatesigningrequests"})
expect(lambda: certs.create_certificate_signing_request(csr("py-a"), dry_run="All"), 409, "AlreadyExists",
       '%s "py-a" already exists' % GR)
# storage's plain error: a 500 without a reason
expect(lambda: certs.create_certificate_signing_request(csr("py-rv", resource_version="5")), 500, None,
       "resourceVersion should not be set on objects to be created")
expect(lambda: certs.create_certificate_signing_request(client.V1CertificateSigningRequest(
    metadata=client.V1ObjectMeta(), spec=client.V1CertificateSigningRequestSpec(request=REQ, signer_name="example.com/py", usages=["client auth"]))),
    422, "Invalid", 'CertificateSigningRequest.certificates.k8s.io "" is invalid: metadata.name: Required value: name or generateName is required')
expect(lambda: certs.create_certificate_signing_request(csr("py-bad", signer="nope")), 422, "Invalid",
       'CertificateSigningRequest.certificates.k8s.io "py-bad" is invalid: spec.signerName: Invalid value: "nope": '
       "must be a fully qualified domain and path of the form 'example.com/signer-name'",
       {"name": "py-bad", "group": "certificates.k8s.io", "kind": "CertificateSigningRequest", "causes": [{
           "reason": "FieldValueInvalid", "field": "spec.signerName", "message":
           "Invalid value: \"nope\": must be a fully qualified domain and path of the form 'example.com/signer-name'"}]})

# CSR names are free-form path segments: the client %-quotes every other character in the
# URL (`:` is %3A, a space %20), which the server decodes as Go's url.Parse does
odd = "system:py csr+1"
assert certs.create_certificate_signing_request(csr(odd)).metadata.name == odd
assert certs.read_certificate_signing_request(odd).metadata.name == odd
assert certs.patch_certificate_signing_request(odd, {"metadata": {"labels": {"odd": "1"}}}).metadata.labels == {"odd": "1"}
assert certs.read_certificate_signing_request_approval(odd).metadata.name == odd
assert certs.patch_certificate_signing_request_status(odd, [{"op": "add", "path": "/metadata/annotations", "value": {"s": "1"}}]).metadata.annotations == {"s": "1"}
assert [e.metadata.name for e in certs.list_certificate_signing_request(field_selector="metadata.name=" + odd).items] == [odd]
assert certs.delete_certificate_signing_request(odd)["details"]["name"] == odd
expect(lambda: certs.read_certificate_signing_request(odd), *not_found(odd))
expect(lambda: certs.read_certificate_signing_request("a%b"), *not_found("a%b"))

# --- raw read and list shapes ---
r = certs.read_certificate_signing_request("py-a", _preload_content=False)
obj = json.loads(r.data)
assert list(obj) == ["kind", "apiVersion", "metadata", "spec", "status"], obj
assert list(obj["metadata"]) == ["name", "uid", "resourceVersion", "creationTimestamp"], obj["metadata"]
for i in range(5):
    certs.create_certificate_signing_request(csr("py-page-%d" % i, signer="example.com/page", labels={"page": "yes"}))
r = certs.list_certificate_signing_request(limit=2, _preload_content=False)
lst = json.loads(r.data)
assert list(lst) == ["kind", "apiVersion", "metadata", "items"] and lst["kind"] == "CertificateSigningRequestList", lst
assert list(lst["metadata"]) == ["resourceVersion", "continue", "remainingItemCount"], lst["metadata"]
assert "kind" not in lst["items"][0] and "apiVersion" not in lst["items"][0], lst["items"][0]
total = len(certs.list_certificate_signing_request().items)
assert lst["metadata"]["remainingItemCount"] == total - 2, (lst["metadata"], total)

# --- paging and resourceVersion semantics ---
page = certs.list_certificate_signing_request(limit=2)
names = [i.metadata.name for i in page.items]
while page.metadata._continue:
    page = certs.list_certificate_signing_request(limit=2, _continue=page.metadata._continue)
    names += [i.metadata.name for i in page.items]
assert names == sorted(names) and len(names) == total, names
# with a selector the count is unknown: a continue token but no remainingItemCount
sel = certs.list_certificate_signing_request(limit=1, label_selector="page=yes")
assert sel.metadata._continue and sel.metadata.remaining_item_count is None, sel.metadata
# resourceVersion=0 is served from the cache, which ignores limit
assert len(certs.list_certificate_signing_request(limit=1, resource_version="0").items) == total
rv = certs.list_certificate_signing_request().metadata.resource_version
exact = certs.list_certificate_signing_request(resource_version=rv, resource_version_match="Exact")
assert exact.metadata.resource_version == rv and len(exact.items) == total, exact.metadata
expect(lambda: certs.list_certificate_signing_request(limit=2, _continue="garbage"), 400, "BadRequest",
       "invalid continue token: continue key is not valid: invalid character '\\u0081' looking for beginning of value")
expect(lambda: certs.list_certificate_signing_request(limit=2, _continue=sel.metadata._continue, resource_version="1"),
       400, "BadRequest", "specifying resource version is not allowed when using continue")
msg, det = invalid_options("ListOptions", "resourceVersionMatch", "FieldValueForbidden",
                           "Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided")
expect(lambda: certs.list_certificate_signing_request(resource_version_match="Exact"), 422, "Invalid", msg, det)
msg, det = invalid_options("ListOptions", "resourceVersionMatch", "FieldValueForbidden",
                           'Forbidden: resourceVersionMatch "exact" is forbidden for resourceVersion "0"')
expect(lambda: certs.list_certificate_signing_request(resource_version="0", resource_version_match="Exact"), 422, "Invalid", msg, det)
msg, det = invalid_options("ListOptions", "resourceVersionMatch", "FieldValueNotSupported",
                           'Unsupported value: "Bogus": supported values: "Exact", "NotOlderThan", ""')
expect(lambda: certs.list_certificate_signing_request(resource_version="1", resource_version_match="Bogus"), 422, "Invalid", msg, det)
msg, det = invalid_options("ListOptions", "sendInitialEvents", "FieldValueForbidden", "Forbidden: sendInitialEvents is forbidden for list")
expect(lambda: certs.list_certificate_signing_request(send_initial_events=True), 422, "Invalid", msg, det)
expect(lambda: certs.list_certificate_signing_request(resource_version="abc"), 500, None,
       'resourceVersion: Invalid value: "abc": strconv.ParseUint: parsing "abc": invalid syntax')
st = expect(lambda: certs.list_certificate_signing_request(resource_version="999999"), 504, "Timeout",
            "Timeout: Too large resource version: 999999, current: %s" % rv)
assert st["details"] == {"causes": [{"reason": "ResourceVersionTooLarge", "message": "Too large resource version"}],
                         "retryAfterSeconds": 1}, st
expect(lambda: certs.list_certificate_signing_request(label_selector="a b"), 400, "BadRequest",
       "unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt")
expect(lambda: certs.list_certificate_signing_request(field_selector="metadata.name"), 400, "BadRequest",
       "invalid selector: 'metadata.name'; can't understand 'metadata.name'")
# cluster-scoped: no metadata.namespace field label for CSRs
expect(lambda: certs.list_certificate_signing_request(field_selector="metadata.namespace="), 400, "BadRequest",
       "field label not supported: metadata.namespace")
assert [i.metadata.name for i in certs.list_certificate_signing_request(field_selector="metadata.name=py-page-1").items] == ["py-page-1"]
assert len(certs.list_certificate_signing_request(field_selector="spec.signerName!=example.com/page").items) == total - 5
assert certs.list_certificate_signing_request(timeout_seconds=1, allow_watch_bookmarks=True).metadata.resource_version == rv

# --- replace ---
old = certs.read_certificate_signing_request("py-b")
certs.patch_certificate_signing_request("py-b", {"metadata": {"labels": {"bump": "1"}}})
expect(lambda: certs.replace_certificate_signing_request("py-b", old), 409, "Conflict",
       'Operation cannot be fulfilled on %s "py-b": the object has been modified; please apply your changes to the '
       "latest version and try again" % GR)
old.metadata.resource_version = None  # AllowUnconditionalUpdate
assert certs.replace_certificate_signing_request("py-b", old).metadata.labels == {"team": "py", "x": "1"}
expect(lambda: certs.replace_certificate_signing_request("py-c", old), 400, "BadRequest",
       "the name of the object (py-b) does not match the name on the URL (py-c)")
expect(lambda: certs.replace_certificate_signing_request("py-zz", csr("py-zz")), *not_found("py-zz"))
expect(lambda: certs.replace_certificate_signing_request_status("py-zz", csr("py-zz")), *not_found("py-zz"))
cur = certs.read_certificate_signing_request("py-b")
cur.status.conditions = [client.V1CertificateSigningRequestCondition(type="Approved", status="True", reason="Py")]
assert certs.replace_certificate_signing_request_approval("py-b", cur, dry_run="All").status.conditions[0].type == "Approved"
after = certs.read_certificate_signing_request("py-b")
assert after.metadata.resource_version == cur.metadata.resource_version and after.status.conditions is None, after.status

# --- patch content types, on the object and both subresources ---
p = certs.patch_certificate_signing_request("py-b", [{"op": "add", "path": "/metadata/annotations", "value": {"jp": "1"}}])
assert p.metadata.annotations == {"jp": "1"}, p.metadata.annotations
# a failed JSON patch: the patcher's generic 422, its own text dropped (NewGenericServerResponse)
expect(lambda: certs.patch_certificate_signing_request("py-b", [{"op": "test", "path": "/metadata/annotations/jp", "value": "2"}]),
       422, "Invalid", "the server rejected our request due to an error in our request", {})
expect(lambda: certs.patch_certificate_signing_request("py-b", [{"op": "remove", "path": "/metadata/labels/none"}]),
       422, "Invalid", "the server rejected our request due to an error in our request", {})
# spec is reset on the main resource: a patch of it is accepted and changes nothing
p = certs.patch_certificate_signing_request("py-b", {"spec": {"usages": ["server auth"], "signerName": "example.com/other"}})
assert (p.spec.usages, p.spec.signer_name) == (["client auth"], "example.com/py"), p.spec
p = certs.patch_certificate_signing_request("py-b", {"metadata": {"labels": {"dry": "1"}}}, dry_run="All")
assert p.metadata.labels["dry"] == "1" and "dry" not in certs.read_certificate_signing_request("py-b").metadata.labels
p = certs.patch_certificate_signing_request("py-b", {"metadata": {"labels": {"bump": None}}})
assert "bump" not in p.metadata.labels, p.metadata.labels
p = certs.patch_certificate_signing_request("py-b", {"metadata": {"labels": {"mp": "1"}}}, _content_type="application/merge-patch+json")
assert p.metadata.labels["mp"] == "1"
expect(lambda: certs.patch_certificate_signing_request("py-zz", {"metadata": {}}), *not_found("py-zz"))
expect(lambda: certs.patch_certificate_signing_request_approval("py-zz", {"metadata": {}}), *not_found("py-zz"))
expect(lambda: certs.patch_certificate_signing_request_status("py-zz", [{"op": "add", "path": "/metadata/labels", "value": {}}]),
       *not_found("py-zz"))
msg, det = invalid_options("PatchOptions", "force", "FieldValueForbidden", "Forbidden: may not be specified for non-apply patch")
expect(lambda: certs.patch_certificate_signing_request("py-b", {"metadata": {}}, force=True), 422, "Invalid", msg, det)
# json patch on /approval appends a condition; the strategy stamps both timestamps
p = certs.patch_certificate_signing_request_approval("py-b", [{"op": "add", "path": "/status/conditions", "value": [
    {"type": "Approved", "status": "True", "reason": "JSONPatch"}]}])
[cond] = p.status.conditions
assert (cond.type, cond.reason, cond.last_update_time.isoformat(), cond.last_transition_time.isoformat()) == \
    ("Approved", "JSONPatch", "2030-01-01T00:00:00+00:00", "2030-01-01T00:00:00+00:00"), cond
assert [(m.manager, m.subresource) for m in p.metadata.managed_fields] == [
    ("OpenAPI-Generator", None), ("OpenAPI-Generator", "approval"), ("py-mgr", None)], p.metadata.managed_fields
# conditions have no patch strategy: a strategic merge patch replaces the whole list
expect(lambda: certs.patch_certificate_signing_request_approval("py-b", {"status": {"conditions": [{"type": "Denied", "status": "True"}]}}),
       422, "Invalid", 'CertificateSigningRequest.certificates.k8s.io "py-b" is invalid: status.conditions: Forbidden: '
       'updates may not remove a condition of type "Approved"')
expect(lambda: certs.patch_certificate_signing_request_status("py-b", {"status": {"certificate": base64.b64encode(b"junk").decode()}}),
       422, "Invalid", 'CertificateSigningRequest.certificates.k8s.io "py-b" is invalid: status.certificate: Invalid value: '
       '"<certificate data>": must contain at least one CERTIFICATE PEM block')
# a model as the patch body is a strategic merge patch of the whole object (isoformat times)
m = certs.read_certificate_signing_request("py-b")
m.metadata.labels["model"] = "1"
m.status.conditions.append(client.V1CertificateSigningRequestCondition(type="Custom", status="True", reason="Model", message="m"))
assert certs.patch_certificate_signing_request("py-b", m).metadata.labels["model"] == "1"
# the model still holds the old resourceVersion: a precondition of the patch, now stale
expect(lambda: certs.patch_certificate_signing_request_status("py-b", m), 409, "Conflict",
       'Operation cannot be fulfilled on %s "py-b": the object has been modified; please apply your changes to the '
       "latest version and try again" % GR)
m.metadata.resource_version = None
assert [c.type for c in certs.patch_certificate_signing_request_status("py-b", m).status.conditions] == ["Approved", "Custom"]
# server-side apply through _content_type, with conflicts and force
apply = {"apiVersion": "certificates.k8s.io/v1", "kind": "CertificateSigningRequest",
         "metadata": {"name": "py-ssa", "labels": {"owner": "a"}},
         "spec": {"request": REQ, "signerName": "example.com/py", "usages": ["client auth"]}}
APPLY = "application/apply-patch+yaml"
s = certs.patch_certificate_signing_request("py-ssa", apply, field_manager="mgr-a", _content_type=APPLY)
assert [(e.manager, e.operation) for e in s.metadata.managed_fields] == [("mgr-a", "Apply")], s.metadata.managed_fields
other = {"apiVersion": "certificates.k8s.io/v1", "kind": "CertificateSigningRequest", "metadata": {"name": "py-ssa", "labels": {"owner": "b"}}}
st = expect(lambda: certs.patch_certificate_signing_request("py-ssa", other, field_manager="mgr-b", _content_type=APPLY), 409, "Conflict",
            'Apply failed with 1 conflict: conflict with "mgr-a": .metadata.labels.owner')
assert st["details"] == {"causes": [{"reason": "FieldManagerConflict", "message": 'conflict with "mgr-a"', "field": ".metadata.labels.owner"}]}, st
assert certs.patch_certificate_signing_request("py-ssa", other, field_manager="mgr-b", force=True, _content_type=APPLY).metadata.labels == {"owner": "b"}
msg, det = invalid_options("PatchOptions", "fieldManager", "FieldValueRequired", "Required value: is required for apply patch")
expect(lambda: certs.patch_certificate_signing_request("py-ssa", other, _content_type=APPLY), 422, "Invalid", msg, det)

# --- delete with V1DeleteOptions, delete_collection ---
d = certs.create_certificate_signing_request(csr("py-del"))
DETAILS = {"name": "py-del", "group": "certificates.k8s.io", "kind": "CertificateSigningRequest"}
expect(lambda: certs.delete_certificate_signing_request("py-del", body=client.V1DeleteOptions(preconditions=client.V1Preconditions(uid="wrong"))),
       409, "Conflict", 'Operation cannot be fulfilled on CertificateSigningRequest.certificates.k8s.io "py-del": the UID in the '
       "precondition (wrong) does not match the UID in record (%s). The object might have been deleted and then recreated" % d.metadata.uid, DETAILS)
expect(lambda: certs.delete_certificate_signing_request("py-del", body=client.V1DeleteOptions(preconditions=client.V1Preconditions(resource_version="1"))),
       409, "Conflict", 'Operation cannot be fulfilled on CertificateSigningRequest.certificates.k8s.io "py-del": the ResourceVersion in the '
       "precondition (1) does not match the ResourceVersion in record (%s). The object might have been modified" % d.metadata.resource_version, DETAILS)
msg, det = invalid_options("DeleteOptions", "propagationPolicy", "FieldValueNotSupported",
                           'Unsupported value: "Bogus": supported values: "Foreground", "Background", "Orphan", "nil"')
expect(lambda: certs.delete_certificate_signing_request("py-del", propagation_policy="Bogus"), 422, "Invalid", msg, det)
msg, det = invalid_options("DeleteOptions", "propagationPolicy", "FieldValueInvalid",
                           'Invalid value: "Foreground": orphanDependents and deletionPropagation cannot be both set')
expect(lambda: certs.delete_certificate_signing_request("py-del", propagation_policy="Foreground", orphan_dependents=True), 422, "Invalid", msg, det)
msg, det = invalid_options("DeleteOptions", "dryRun", "FieldValueNotSupported", 'Unsupported value: []string{"x"}: supported values: "All"')
expect(lambda: certs.delete_certificate_signing_request("py-del", body=client.V1DeleteOptions(dry_run=["x"])), 422, "Invalid", msg, det)
SUCCESS = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success",
           "details": {"name": "py-del", "group": "certificates.k8s.io", "kind": "certificatesigningrequests", "uid": d.metadata.uid}}
# the typed answer of a delete is the raw dict (return type object)
assert certs.delete_certificate_signing_request("py-del", dry_run="All") == SUCCESS
assert certs.read_certificate_signing_request("py-del").metadata.uid == d.metadata.uid
# grace periods are ignored (no graceful deletion for CSRs); orphanDependents=false sets no finalizer
r = certs.delete_certificate_signing_request("py-del", body=client.V1DeleteOptions(
    grace_period_seconds=30, orphan_dependents=False,
    preconditions=client.V1Preconditions(uid=d.metadata.uid, resource_version=d.metadata.resource_version)), _preload_content=False)
assert r.status == 200 and json.loads(r.data) == SUCCESS, (r.status, r.data)
expect(lambda: certs.delete_certificate_signing_request("py-del"), *not_found("py-del"))
# Foreground: the object comes back with the GC finalizer (200), then the collector removes it
certs.create_certificate_signing_request(csr("py-fg"))
r = certs.delete_certificate_signing_request("py-fg", propagation_policy="Foreground", _preload_content=False)
fg = json.loads(r.data)
assert r.status == 200 and fg["kind"] == "CertificateSigningRequest", (r.status, fg)
assert fg["metadata"]["finalizers"] == ["foregroundDeletion"] and fg["metadata"]["deletionGracePeriodSeconds"] == 0, fg["metadata"]
assert fg["metadata"]["deletionTimestamp"] == "2030-01-01T00:00:00Z", fg["metadata"]
expect(lambda: certs.read_certificate_signing_request("py-fg"), *not_found("py-fg"))
certs.create_certificate_signing_request(csr("py-orphan"))
r = certs.delete_certificate_signing_request("py-orphan", body=client.V1DeleteOptions(propagation_policy="Orphan"), _preload_content=False)
assert r.status == 200 and json.loads(r.data)["metadata"]["finalizers"] == ["orphan"], r.data
# delete_collection answers the list of what it deleted (the client's V1Status drops it)
r = certs.delete_collection_certificate_signing_request(label_selector="page=yes", dry_run="All", _preload_content=False)
gone = json.loads(r.data)
assert gone["kind"] == "CertificateSigningRequestList" and len(gone["items"]) == 5, gone["kind"]
assert len(certs.list_certificate_signing_request(label_selector="page=yes").items) == 5
st = certs.delete_collection_certificate_signing_request(label_selector="page=yes")
assert isinstance(st, client.V1Status) and st.api_version == "certificates.k8s.io/v1", st
assert certs.list_certificate_signing_request(label_selector="page=yes").items == []
r = certs.delete_collection_certificate_signing_request(field_selector="spec.signerName=example.com/none", _preload_content=False)
assert json.loads(r.data)["items"] == [], r.data
expect(lambda: certs.delete_collection_certificate_signing_request(label_selector="!!"), 400, "BadRequest",
       "unable to parse requirement: found '!', expected: identifier")
print("python client requests: ok")
