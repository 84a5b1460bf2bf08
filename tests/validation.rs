#![allow(clippy::disallowed_methods)] // tests are an edge: they may use OS randomness for throwaway keys
//! Validation and strategy through the Cluster API, with the exact upstream texts.
//! Each row names the upstream test case (pkg/apis/certificates/validation/validation_test.go,
//! pkg/registry/certificates/certificates/strategy_test.go) it mirrors.

mod common;
use common::*;
use csrsim::api::csr::KUBE_APISERVER_CLIENT;
use csrsim::auth::Identity;
use csrsim::sim::{ApiRequest, Verb};
use serde_json::json;

const CLIENT: &[&str] = &["digital signature", "key encipherment", "client auth"];

fn err_of(body: serde_json::Value) -> csrsim::api::Status {
    let mut c = bare_cluster();
    create(&mut c, &Identity::admin(), body).expect_err("should be rejected")
}

#[test]
fn create_rules_table() {
    let pem = csr_pem("alice", &["devs"], &[]);
    let sorted = "\"any\", \"cert sign\", \"client auth\", \"code signing\", \"content commitment\", \"crl sign\", \"data encipherment\", \"decipher only\", \"digital signature\", \"email protection\", \"encipher only\", \"ipsec end system\", \"ipsec tunnel\", \"ipsec user\", \"key agreement\", \"key encipherment\", \"microsoft sgc\", \"netscape sgc\", \"ocsp signing\", \"s/mime\", \"server auth\", \"signing\", \"timestamping\"";
    let cases: Vec<(&str, serde_json::Value, String)> = vec![
        (
            "TestValidateCertificateSigningRequestCreate/missing usages",
            csr_body("x", KUBE_APISERVER_CLIENT, &[], &pem),
            "CertificateSigningRequest.certificates.k8s.io \"x\" is invalid: spec.usages: Required value".into(),
        ),
        (
            "unknown usages",
            csr_body("x", KUBE_APISERVER_CLIENT, &["client auth", "bogus"], &pem),
            format!("CertificateSigningRequest.certificates.k8s.io \"x\" is invalid: spec.usages[1]: Unsupported value: \"bogus\": supported values: {sorted}"),
        ),
        (
            "duplicate usages",
            csr_body("x", KUBE_APISERVER_CLIENT, &["client auth", "client auth"], &pem),
            "CertificateSigningRequest.certificates.k8s.io \"x\" is invalid: spec.usages[1]: Duplicate value: \"client auth\"".into(),
        ),
        (
            "legacy-unknown signerName",
            csr_body("x", "kubernetes.io/legacy-unknown", CLIENT, &pem),
            "CertificateSigningRequest.certificates.k8s.io \"x\" is invalid: spec.signerName: Invalid value: \"kubernetes.io/legacy-unknown\": the legacy signerName is not allowed via this API version".into(),
        ),
        (
            "missing signerName",
            csr_body("x", "", CLIENT, &pem),
            "CertificateSigningRequest.certificates.k8s.io \"x\" is invalid: spec.signerName: Required value".into(),
        ),
        (
            "null signerName and usages (Go's decoder leaves the zero value: 422, not 400)",
            {
                let mut b = csr_body("x", KUBE_APISERVER_CLIENT, CLIENT, &pem);
                b["spec"]["signerName"] = serde_json::Value::Null;
                b["spec"]["usages"] = serde_json::Value::Null;
                b
            },
            "CertificateSigningRequest.certificates.k8s.io \"x\" is invalid: [spec.usages: Required value, spec.signerName: Required value]".into(),
        ),
        (
            "signerName without path",
            csr_body("x", "example.com", CLIENT, &pem),
            "CertificateSigningRequest.certificates.k8s.io \"x\" is invalid: spec.signerName: Invalid value: \"example.com\": must be a fully qualified domain and path of the form 'example.com/signer-name'".into(),
        ),
        (
            "several errors are listed in brackets",
            csr_body("x", "", &[], &pem),
            "CertificateSigningRequest.certificates.k8s.io \"x\" is invalid: [spec.usages: Required value, spec.signerName: Required value]".into(),
        ),
        (
            "name with a slash (rest.BeforeCreate path segment)",
            csr_body("a%b", KUBE_APISERVER_CLIENT, CLIENT, &pem),
            "CertificateSigningRequest.certificates.k8s.io \"a%b\" is invalid: metadata.name: Invalid value: \"a%b\": may not contain '%'".into(),
        ),
    ];
    for (case, body, want) in cases {
        let e = err_of(body);
        assert_eq!(e.code, 422, "{case}");
        assert_eq!(e.reason, "Invalid", "{case}");
        assert_eq!(e.message, want, "{case}");
    }
}

/// `x509.ParseCertificateRequest` past its first `asn1.Unmarshal`: the subject is decoded
/// into a `pkix.RDNSequence` with Go's `encoding/asn1` texts (here a PrintableString with a
/// character outside its alphabet), and the public key is parsed before it (`parsePublicKey`).
#[test]
fn request_subject_and_key_faults_are_go_texts() {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD;
    let pem = csr_pem("alice", &[], &[]);
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    let der = b64.decode(body).unwrap();
    let at = der
        .windows(7)
        .position(|w| w == b"\x0c\x05alice")
        .expect("the CN");
    let to_pem = |d: &[u8]| {
        format!(
            "-----BEGIN CERTIFICATE REQUEST-----\n{}\n-----END CERTIFICATE REQUEST-----\n",
            b64.encode(d)
        )
    };
    // The CN as a PrintableString "@lice".
    let mut bad_subject = der.clone();
    bad_subject[at] = 0x13;
    bad_subject[at + 2] = b'@';
    // ... and also a P-256 point off the curve (its last byte changed): the key's error wins.
    let mut bad_both = bad_subject.clone();
    let point = bad_both
        .windows(10)
        .position(|w| w == [0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42])
        .expect("the P-256 key")
        + 8
        + 2
        + 1
        + 64;
    bad_both[point] ^= 1;
    for (case, d, want) in [
        (
            "subject",
            bad_subject,
            "asn1: syntax error: PrintableString contains invalid character",
        ),
        (
            "key and subject",
            bad_both,
            "x509: failed to unmarshal elliptic curve point",
        ),
    ] {
        let e = err_of(csr_body("x", KUBE_APISERVER_CLIENT, CLIENT, &to_pem(&d)));
        assert_eq!((e.code, e.reason.as_str()), (422, "Invalid"), "{case}");
        assert!(
            e.message.starts_with("CertificateSigningRequest.certificates.k8s.io \"x\" is invalid: spec.request: Invalid value: []byte{")
                && e.message.ends_with(&format!("}}: {want}")),
            "{case}: {}",
            e.message
        );
    }
}

#[test]
fn bad_request_bytes_and_expiration() {
    // "invalid request": not PEM at all → the bytes are printed Go-%#v style.
    let mut body = csr_body("x", KUBE_APISERVER_CLIENT, CLIENT, "");
    body["spec"]["request"] = json!("aGk="); // "hi"
    let e = err_of(body);
    assert_eq!(
        e.message,
        "CertificateSigningRequest.certificates.k8s.io \"x\" is invalid: spec.request: Invalid value: []byte{0x68, 0x69}: PEM block type must be CERTIFICATE REQUEST"
    );
    let causes = &e.details.as_ref().unwrap().causes;
    assert_eq!(causes[0].field, "spec.request");
    assert_eq!(causes[0].reason, "FieldValueInvalid");

    // validation_test.go "CSR with empty request data should fail": a request left out (or
    // null) is a nil []byte; one sent as "" decodes (Go's encoding/json) to a non-nil empty one.
    for (case, request, printed) in [
        ("request omitted", None, "[]byte(nil)"),
        ("request null", Some(json!(null)), "[]byte(nil)"),
        ("request empty string", Some(json!("")), "[]byte{}"),
    ] {
        let mut body = csr_body("x", KUBE_APISERVER_CLIENT, CLIENT, "");
        match request {
            None => {
                body["spec"].as_object_mut().unwrap().remove("request");
            }
            Some(v) => body["spec"]["request"] = v,
        }
        assert_eq!(
            err_of(body).message,
            format!("CertificateSigningRequest.certificates.k8s.io \"x\" is invalid: spec.request: Invalid value: {printed}: PEM block type must be CERTIFICATE REQUEST"),
            "{case}"
        );
    }

    // encoding/json decodes []byte with base64.StdEncoding: line breaks are skipped (wrapped
    // `base64` output is accepted); anything else is the handler's transformDecodeError.
    let pem = csr_pem("alice", &[], &[]);
    let mut body = csr_body("wrapped", KUBE_APISERVER_CLIENT, CLIENT, &pem);
    let flat = body["spec"]["request"].as_str().unwrap().to_string();
    let wrapped: Vec<String> = flat
        .as_bytes()
        .chunks(76)
        .map(|c| String::from_utf8(c.to_vec()).unwrap())
        .collect();
    body["spec"]["request"] = json!(wrapped.join("\n") + "\n");
    let mut c = bare_cluster();
    let made = create(&mut c, &Identity::admin(), body).expect("wrapped base64 is accepted");
    assert_eq!(
        made.spec.request,
        pem.as_bytes(),
        "stored as the decoded bytes"
    );
    let mut body = csr_body("x", KUBE_APISERVER_CLIENT, CLIENT, &pem);
    body["spec"]["request"] = json!(pem); // PEM text where base64 is expected
    let e = err_of(body);
    assert_eq!((e.code, e.reason.as_str()), (400, "BadRequest"));
    assert_eq!(
        e.message,
        "CertificateSigningRequest in version \"v1\" cannot be handled as a CertificateSigningRequest: illegal base64 data at input byte 0"
    );

    // A field of the wrong JSON type: encoding/json's UnmarshalTypeError (first bad field in
    // document order; path without indexes; `number <literal>` when out of range).
    let prefix = "CertificateSigningRequest in version \"v1\" cannot be handled as a CertificateSigningRequest: json: cannot unmarshal ";
    for (case, pointer, value, want) in [
        ("expirationSeconds as a string", "/spec/expirationSeconds", json!("600"),
         "string into Go struct field CertificateSigningRequestSpec.spec.expirationSeconds of type int32"),
        ("expirationSeconds beyond int32", "/spec/expirationSeconds", json!(2147483648i64),
         "number 2147483648 into Go struct field CertificateSigningRequestSpec.spec.expirationSeconds of type int32"),
        ("expirationSeconds with a fraction", "/spec/expirationSeconds", json!(600.5),
         "number 600.5 into Go struct field CertificateSigningRequestSpec.spec.expirationSeconds of type int32"),
        ("usages as a string", "/spec/usages", json!("client auth"),
         "string into Go struct field CertificateSigningRequestSpec.spec.usages of type []v1.KeyUsage"),
        ("a usage as a number", "/spec/usages", json!(["client auth", 7]),
         "number into Go struct field CertificateSigningRequestSpec.spec.usages of type v1.KeyUsage"),
        ("request as a number", "/spec/request", json!(1),
         "number into Go struct field CertificateSigningRequestSpec.spec.request of type []uint8"),
        ("label value as a bool", "/metadata/labels", json!({"a": true}),
         "bool into Go struct field ObjectMeta.metadata.labels of type string"),
        ("spec as a list", "/spec", json!([]),
         "array into Go struct field CertificateSigningRequest.spec of type v1.CertificateSigningRequestSpec"),
        ("condition status as a bool", "/status", json!({"conditions": [{"type": "A", "status": true}]}),
         "bool into Go struct field CertificateSigningRequestCondition.status.conditions.status of type v1.ConditionStatus"),
    ] {
        let mut body = csr_body("x", KUBE_APISERVER_CLIENT, CLIENT, &pem);
        let (parent, key) = pointer.rsplit_once('/').unwrap();
        body.pointer_mut(if parent.is_empty() { "" } else { parent })
            .unwrap()[key] = value;
        let e = err_of(body);
        assert_eq!((e.code, e.message.as_str()), (400, format!("{prefix}{want}").as_str()), "{case}");
    }

    // duration_test.go: 599 rejected, 600 accepted.
    let pem = csr_pem("alice", &[], &[]);
    let mut body = csr_body("x", KUBE_APISERVER_CLIENT, CLIENT, &pem);
    body["spec"]["expirationSeconds"] = json!(599);
    assert_eq!(
        err_of(body.clone()).message,
        "CertificateSigningRequest.certificates.k8s.io \"x\" is invalid: spec.expirationSeconds: Invalid value: 599: may not specify a duration less than 600 seconds (10 minutes)"
    );
    body["spec"]["expirationSeconds"] = json!(600);
    let mut c = bare_cluster();
    create(&mut c, &Identity::admin(), body).expect("600 is accepted");
}

/// A wrong-typed field reached by a PUT or a patch, and a `metadata` that is no object:
/// the decoder's errors (apiserver handlers: create/update decode → 400 `… cannot be handled
/// as …`; `jsonPatcher` → 422 on field `patch` with the patched JSON and `encoding/json`'s
/// text; `smpPatcher` → 422 with `%+v` of the patch and the unstructured converter's text).
#[test]
fn wrong_types_in_updates_and_patches() {
    use csrsim::sim::PatchType;
    let mut c = bare_cluster();
    let admin = Identity::admin();
    let pem = csr_pem("alice", &[], &[]);
    let cannot = "CertificateSigningRequest in version \"v1\" cannot be handled as a CertificateSigningRequest: json: cannot unmarshal ";
    let mut body = csr_body("x", "example.com/x", CLIENT, &pem);
    body["metadata"] = json!([]);
    let e = c
        .apply(&admin, ApiRequest::csr(Verb::Create).body(body))
        .unwrap_err();
    assert_eq!((e.code, e.message), (400, format!("{cannot}array into Go struct field CertificateSigningRequest.metadata of type v1.ObjectMeta")));
    create(&mut c, &admin, csr_body("x", "example.com/x", CLIENT, &pem)).unwrap();
    let cur = value(
        c.apply(&admin, ApiRequest::csr(Verb::Get).name("x"))
            .unwrap(),
    );
    let mut put = cur.clone();
    put["metadata"] = json!("x");
    let e = c
        .apply(&admin, ApiRequest::csr(Verb::Update).name("x").body(put))
        .unwrap_err();
    assert_eq!((e.code, e.message), (400, format!("{cannot}string into Go struct field CertificateSigningRequest.metadata of type v1.ObjectMeta")));
    let mut put = cur.clone();
    put["metadata"]["labels"] = json!({"a": 1});
    let e = c
        .apply(&admin, ApiRequest::csr(Verb::Update).name("x").body(put))
        .unwrap_err();
    assert_eq!(
        (e.code, e.message),
        (
            400,
            format!(
                "{cannot}number into Go struct field ObjectMeta.metadata.labels of type string"
            )
        )
    );

    let json_err = "json: cannot unmarshal number into Go struct field ObjectMeta.metadata.labels of type string";
    let labels = json!({"metadata": {"labels": {"a": 1}}});
    for (case, pt, patch, want) in [
        ("merge", PatchType::Merge, labels.clone(), json_err),
        ("json", PatchType::Json, json!([{"op": "add", "path": "/metadata/labels", "value": {"a": 1}}]), json_err),
        ("merge, string for int32", PatchType::Merge, json!({"spec": {"expirationSeconds": "600"}}),
         "json: cannot unmarshal string into Go struct field CertificateSigningRequestSpec.spec.expirationSeconds of type int32"),
    ] {
        let e = c
            .apply(&admin, ApiRequest::csr(Verb::Patch).name("x").patch(pt, patch))
            .unwrap_err();
        assert_eq!((e.code, e.reason.as_str()), (422, "Invalid"), "{case}");
        // json-patch writes what it parsed sorted (the document, metadata, labels) and the
        // untouched spec as stored, in the Go struct's field order.
        if case != "merge, string for int32" {
            assert!(
                e.message.contains(r#"\"metadata\":{\"creationTimestamp\":"#)
                    && e.message.contains(r#"\"spec\":{\"request\":"#),
                "{case}: {}",
                e.message
            );
        }
        assert!(
            e.message.starts_with(" \"\" is invalid: patch: Invalid value: \"{\\\"apiVersion\\\":")
                && e.message.ends_with(&format!("\": {want}")),
            "{case}: {}",
            e.message
        );
    }
    for (case, patch, want) in [
        (
            "integer label",
            labels,
            "map[metadata:map[labels:map[a:1]]]\": cannot convert int64 to string",
        ),
        (
            "bool annotation",
            json!({"metadata": {"annotations": {"a": true}}}),
            "map[metadata:map[annotations:map[a:true]]]\": unrecognized type: string",
        ),
        (
            "string for int32",
            json!({"spec": {"expirationSeconds": "600"}}),
            "map[spec:map[expirationSeconds:600]]\": unrecognized type: int32",
        ),
        (
            "fractional int32",
            json!({"spec": {"expirationSeconds": 600.5}}),
            "map[spec:map[expirationSeconds:600.5]]\": cannot convert float64 to int32",
        ),
        (
            "string for a list",
            json!({"metadata": {"finalizers": "x"}}),
            "map[metadata:map[finalizers:x]]\": cannot restore slice from string",
        ),
        (
            "list for a map",
            json!({"metadata": {"labels": ["x"]}}),
            "map[metadata:map[labels:[x]]]\": cannot restore map from slice",
        ),
        (
            "number for a struct",
            json!({"spec": 5}),
            "map[spec:5]\": cannot restore struct from: int64",
        ),
    ] {
        let e = c
            .apply(
                &admin,
                ApiRequest::csr(Verb::Patch)
                    .name("x")
                    .patch(PatchType::StrategicMerge, patch),
            )
            .unwrap_err();
        assert_eq!(
            (e.code, e.message),
            (
                422,
                format!(" \"\" is invalid: patch: Invalid value: \"{want}")
            ),
            "{case}"
        );
    }
}

/// An integral float for an integer field (`3600.0`, `1e3`): a strategic merge patch's
/// `UnmarshalCaseSensitivePreserveInts` keeps it a `float64` and `FromUnstructured` converts
/// it; a server-side apply's configuration (every number a `float64`) too, where a fraction
/// is the new object's conversion error (a plain 500); merge and JSON patches decode the
/// patched JSON into the typed object, which takes no float literal (422 on `patch`).
#[test]
fn integral_floats_for_integer_fields() {
    use csrsim::sim::{ApiResponse, PatchType};
    use serde_json::Value;
    let mut c = bare_cluster();
    let admin = Identity::admin();
    let pem = csr_pem("alice", &[], &[]);
    create(
        &mut c,
        &admin,
        csr_body("x", KUBE_APISERVER_CLIENT, CLIENT, &pem),
    )
    .unwrap();
    let dry = |pt: PatchType, patch: Value| {
        let mut r = ApiRequest::csr(Verb::Patch).name("x").patch(pt, patch);
        r.dry_run = true;
        r.field_manager = "m".into();
        r
    };
    let seconds = |r: ApiResponse| match r {
        ApiResponse::Ok(v) => v["spec"]["expirationSeconds"].clone(),
        other => panic!("{other:?}"),
    };
    let apply = |n: Value| {
        json!({"apiVersion": "certificates.k8s.io/v1", "kind": "CertificateSigningRequest",
               "metadata": {"name": "x"}, "spec": {"expirationSeconds": n}})
    };
    for (n, want) in [(json!(3600.0), 3600), (json!(1e3), 1000)] {
        // (An update keeps the stored spec: these patches only have to be accepted.)
        let smp = json!({"spec": {"expirationSeconds": n.clone()}});
        let got = c.apply(&admin, dry(PatchType::StrategicMerge, smp));
        assert_eq!(seconds(got.unwrap()), Value::Null, "strategic {n}");
        let got = c.apply(&admin, dry(PatchType::Apply, apply(n.clone())));
        assert_eq!(seconds(got.unwrap()), Value::Null, "apply {n}");
        // An apply that creates keeps the configuration's spec.
        let mut config = apply(n.clone());
        config["metadata"]["name"] = json!("y");
        config["spec"]["request"] =
            csr_body("y", KUBE_APISERVER_CLIENT, CLIENT, &pem)["spec"]["request"].clone();
        config["spec"]["signerName"] = json!(KUBE_APISERVER_CLIENT);
        config["spec"]["usages"] = json!(CLIENT);
        let mut r = ApiRequest::csr(Verb::Create).body(config);
        r.from_apply = true;
        r.dry_run = true;
        r.field_manager = "m".into();
        let got = match c.apply(&admin, r).unwrap() {
            ApiResponse::Created(v) | ApiResponse::Ok(v) => v["spec"]["expirationSeconds"].clone(),
            other => panic!("{other:?}"),
        };
        assert_eq!(got, json!(want), "apply create {n}");
    }
    let e = c
        .apply(&admin, dry(PatchType::Apply, apply(json!(3600.5))))
        .unwrap_err();
    assert_eq!(
        (e.code, e.reason.as_str(), e.message.as_str()),
        (
            500,
            "",
            "failed to convert new object (/x; certificates.k8s.io/v1, Kind=CertificateSigningRequest) to proper version: unable to convert unstructured object to certificates.k8s.io/v1, Kind=CertificateSigningRequest: cannot convert float64 to int32"
        )
    );
    for (pt, patch) in [
        (
            PatchType::Merge,
            json!({"spec": {"expirationSeconds": 3600.0}}),
        ),
        (
            PatchType::Json,
            json!([{"op": "add", "path": "/spec/expirationSeconds", "value": 3600.0}]),
        ),
    ] {
        let e = c.apply(&admin, dry(pt, patch)).unwrap_err();
        assert_eq!(e.code, 422, "{pt:?}");
        assert!(
            e.message.ends_with("\": json: cannot unmarshal number 3600.0 into Go struct field CertificateSigningRequestSpec.spec.expirationSeconds of type int32"),
            "{pt:?}: {}",
            e.message
        );
    }
}

#[test]
fn create_stamps_user_and_drops_status() {
    let mut c = bare_cluster();
    let pem = csr_pem("alice", &[], &[]);
    let mut body = csr_body("x", KUBE_APISERVER_CLIENT, CLIENT, &pem);
    body["spec"]["username"] = json!("mallory");
    body["status"] =
        json!({"conditions": [{"type": "Approved", "status": "True"}], "certificate": "aGk="});
    let csr = create(&mut c, &Identity::admin(), body).unwrap();
    assert_eq!(csr.spec.username, "kubernetes-admin");
    assert_eq!(
        csr.spec.groups,
        vec!["system:masters", "system:authenticated"]
    );
    assert!(csr.status.conditions.is_empty() && csr.status.certificate.is_empty());
    assert_eq!(csr.display_condition(), "Pending");
    assert_eq!(
        csr.metadata.resource_version,
        c.resource_version().to_string()
    );
    assert_eq!(
        csr.metadata.creation_timestamp.unwrap().to_rfc3339(),
        "2030-01-01T00:00:00Z"
    );
}

fn pending(c: &mut csrsim::sim::Cluster, name: &str) {
    let pem = csr_pem("alice", &[], &[]);
    create(
        c,
        &Identity::admin(),
        csr_body(name, "example.com/signer", CLIENT, &pem),
    )
    .unwrap();
}

fn put(
    c: &mut csrsim::sim::Cluster,
    sub: &str,
    csr: &csrsim::api::CertificateSigningRequest,
) -> Result<csrsim::api::CertificateSigningRequest, csrsim::api::Status> {
    let name = csr.metadata.name.clone();
    c.apply(
        &Identity::admin(),
        ApiRequest::csr(Verb::Update)
            .name(&name)
            .subresource(sub)
            .body(serde_json::to_value(csr).unwrap()),
    )
    .map(|r| serde_json::from_value(r.into_value()).unwrap())
}

fn cond(t: &str, s: &str) -> csrsim::api::CsrCondition {
    csrsim::api::CsrCondition {
        type_: t.into(),
        status: s.into(),
        ..Default::default()
    }
}

fn self_signed_cert_pem() -> String {
    let key = rcgen::KeyPair::generate().unwrap();
    let params = rcgen::CertificateParams::new(vec!["example.com".to_string()]).unwrap();
    params.self_signed(&key).unwrap().pem()
}

#[test]
fn update_path_rules_table() {
    let mut c = bare_cluster();
    pending(&mut c, "x");
    let base = get(&mut c, "x");

    // TestStrategyUpdate "main resource ignores status": silently kept, no error.
    let mut m = base.clone();
    m.status.conditions.push(cond("Approved", "True"));
    let out = put(&mut c, "", &m).unwrap();
    assert!(out.status.conditions.is_empty());
    assert_eq!(
        out.metadata.resource_version, base.metadata.resource_version,
        "no-op update does not write"
    );

    // "status may not add Approved"
    let mut s = base.clone();
    s.status.conditions.push(cond("Approved", "True"));
    let e = put(&mut c, "status", &s).unwrap_err();
    assert_eq!(e.message, "CertificateSigningRequest.certificates.k8s.io \"x\" is invalid: status.conditions: Forbidden: updates may not add a condition of type \"Approved\"");

    // "approval: Approved must be True"
    let mut a = base.clone();
    a.status.conditions.push(cond("Approved", "False"));
    let e = put(&mut c, "approval", &a).unwrap_err();
    assert_eq!(e.message, "CertificateSigningRequest.certificates.k8s.io \"x\" is invalid: status.conditions[0].status: Unsupported value: \"False\": supported values: \"True\"");

    // "approval: empty status is Required"
    let mut a = base.clone();
    a.status.conditions.push(cond("Custom", ""));
    let e = put(&mut c, "approval", &a).unwrap_err();
    assert_eq!(e.message, "CertificateSigningRequest.certificates.k8s.io \"x\" is invalid: status.conditions[0].status: Required value");

    // "approval: approve" then "deny after approve" → mutually exclusive.
    let mut a = base.clone();
    a.status.conditions.push(cond("Approved", "True"));
    let approved = put(&mut c, "approval", &a).unwrap();
    let lut = approved.status.conditions[0].last_update_time.unwrap();
    assert_eq!(lut.to_rfc3339(), "2030-01-01T00:00:00Z");
    assert_eq!(
        approved.status.conditions[0].last_transition_time,
        Some(lut)
    );
    let mut d = approved.clone();
    d.status.conditions.push(cond("Denied", "True"));
    let e = put(&mut c, "approval", &d).unwrap_err();
    assert_eq!(e.message, "CertificateSigningRequest.certificates.k8s.io \"x\" is invalid: status.conditions: Invalid value: \"Denied\": Approved and Denied conditions are mutually exclusive");

    // "may not remove Approved"
    let mut r = approved.clone();
    r.status.conditions.clear();
    let e = put(&mut c, "approval", &r).unwrap_err();
    assert_eq!(e.message, "CertificateSigningRequest.certificates.k8s.io \"x\" is invalid: status.conditions: Forbidden: updates may not remove a condition of type \"Approved\"");

    // "duplicate custom condition types"
    let mut dup = approved.clone();
    dup.status.conditions.push(cond("Custom", "True"));
    dup.status.conditions.push(cond("Custom", "False"));
    let e = put(&mut c, "status", &dup).unwrap_err();
    assert_eq!(e.message, "CertificateSigningRequest.certificates.k8s.io \"x\" is invalid: status.conditions[2].type: Duplicate value: \"Custom\"");

    // "status: invalid certificate"
    let mut bad = approved.clone();
    bad.status.certificate = b"not a certificate".to_vec();
    let e = put(&mut c, "status", &bad).unwrap_err();
    assert_eq!(e.message, "CertificateSigningRequest.certificates.k8s.io \"x\" is invalid: status.certificate: Invalid value: \"<certificate data>\": must contain at least one CERTIFICATE PEM block");
    let mut bad = approved.clone();
    bad.status.certificate =
        b"-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n".to_vec();
    let e = put(&mut c, "status", &bad).unwrap_err();
    assert!(
        e.message
            .ends_with("only CERTIFICATE PEM blocks are allowed, found \"CERTIFICATE REQUEST\""),
        "{}",
        e.message
    );

    // "main resource may not set certificate" is silently reverted by the strategy; the
    // approval path reverts it too.
    let mut ap = approved.clone();
    ap.status.certificate = self_signed_cert_pem().into_bytes();
    let out = put(&mut c, "approval", &ap).unwrap();
    assert!(out.status.certificate.is_empty());

    // "status: set certificate once", then "may not modify existing certificate content".
    let mut st = approved.clone();
    st.status.certificate = self_signed_cert_pem().into_bytes();
    let issued = put(&mut c, "status", &st).unwrap();
    assert_eq!(issued.display_condition(), "Approved,Issued");
    let mut again = issued.clone();
    again.status.certificate = self_signed_cert_pem().into_bytes();
    let e = put(&mut c, "status", &again).unwrap_err();
    assert_eq!(e.message, "CertificateSigningRequest.certificates.k8s.io \"x\" is invalid: status.certificate: Forbidden: updates may not modify existing certificate content");
}

#[test]
fn store_errors_have_upstream_text() {
    let mut c = bare_cluster();
    pending(&mut c, "x");
    let pem = csr_pem("alice", &[], &[]);
    let e = create(
        &mut c,
        &Identity::admin(),
        csr_body("x", "example.com/s", CLIENT, &pem),
    )
    .unwrap_err();
    assert_eq!((e.code, e.reason.as_str()), (409, "AlreadyExists"));
    assert_eq!(
        e.message,
        "certificatesigningrequests.certificates.k8s.io \"x\" already exists"
    );

    let e = c
        .apply(&Identity::admin(), ApiRequest::csr(Verb::Get).name("nope"))
        .unwrap_err();
    assert_eq!(
        (e.code, e.message.as_str()),
        (
            404,
            "certificatesigningrequests.certificates.k8s.io \"nope\" not found"
        )
    );

    // Stale resourceVersion → 409 Conflict.
    let mut stale = get(&mut c, "x");
    let mut fresh = stale.clone();
    fresh.metadata.labels.insert("a".into(), "b".into());
    put(&mut c, "", &fresh).unwrap();
    stale.metadata.labels.insert("a".into(), "c".into());
    let e = put(&mut c, "", &stale).unwrap_err();
    assert_eq!(e.code, 409);
    assert_eq!(e.message, "Operation cannot be fulfilled on certificatesigningrequests.certificates.k8s.io \"x\": the object has been modified; please apply your changes to the latest version and try again");

    // Unconditional update (no resourceVersion) applies to the latest.
    stale.metadata.resource_version.clear();
    put(&mut c, "", &stale).unwrap();
    assert_eq!(get(&mut c, "x").metadata.labels["a"], "c");
}

#[test]
fn subject_restriction_and_field_selectors() {
    let mut c = bare_cluster();
    let out = std::process::Command::new("openssl")
        .args([
            "req",
            "-new",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            "/dev/null",
            "-subj",
            "/CN=eve/O=devs/O=system:masters",
        ])
        .output();
    if let Ok(out) = out {
        if out.status.success() {
            let pem = String::from_utf8(out.stdout).unwrap();
            let e = create(
                &mut c,
                &Identity::admin(),
                csr_body("m", KUBE_APISERVER_CLIENT, CLIENT, &pem),
            )
            .unwrap_err();
            assert_eq!(e.code, 403);
            assert_eq!(e.message, "certificatesigningrequests.certificates.k8s.io \"m\" is forbidden: use of kubernetes.io/kube-apiserver-client signer with system:masters group is not allowed");
            // Other signers are not restricted.
            create(
                &mut c,
                &Identity::admin(),
                csr_body(
                    "m",
                    "kubernetes.io/kube-apiserver-client-kubelet",
                    CLIENT,
                    &pem,
                ),
            )
            .unwrap();
        }
    }
    let mut o = csrsim::api::ListOptions {
        field_selector: "status.phase=x".into(),
        ..Default::default()
    };
    let e = c
        .apply(
            &Identity::admin(),
            ApiRequest::csr(Verb::List).list_options(o.clone()),
        )
        .unwrap_err();
    assert_eq!(
        (e.code, e.message.as_str()),
        (400, "field label not supported: status.phase")
    );
    pending(&mut c, "y");
    o.field_selector = "metadata.name=y".into();
    let l = c
        .apply(
            &Identity::admin(),
            ApiRequest::csr(Verb::List).list_options(o),
        )
        .unwrap()
        .into_value();
    assert_eq!(l["items"].as_array().unwrap().len(), 1);
    assert_eq!(l["kind"], "CertificateSigningRequestList");
    assert!(
        l["items"][0].get("kind").is_none(),
        "list items carry no TypeMeta"
    );
}

#[test]
fn node_restriction_rule() {
    let mut c = bare_cluster();
    let node = Identity::node("n1");
    let other = csr_pem("system:node:n2", &["system:nodes"], &[]);
    let e = create(
        &mut c,
        &node,
        csr_body(
            "a",
            "kubernetes.io/kube-apiserver-client-kubelet",
            &["digital signature", "client auth"],
            &other,
        ),
    )
    .unwrap_err();
    assert_eq!(e.message, "certificatesigningrequests.certificates.k8s.io \"a\" is forbidden: can only create a node CSR with CN=system:node:n1");
    // NodeRestriction is mutating admission: it runs before the name is generated (the
    // refusal names the object by its generateName, `admission.NewForbidden`; `Unknown` with
    // neither) and before validation (its 403 wins over the 422).
    let kubelet = "kubernetes.io/kube-apiserver-client-kubelet";
    let usages = ["digital signature", "client auth"];
    let cases: [(&str, &str, &[&str], String, &str); 4] = [
        (
            "",
            "csr-",
            &usages,
            other.clone(),
            "\"csr-\" is forbidden: can only create a node CSR with CN=system:node:n1",
        ),
        (
            "",
            "",
            &usages,
            other.clone(),
            "\"Unknown\" is forbidden: can only create a node CSR with CN=system:node:n1",
        ),
        (
            "",
            "csr-",
            &[],
            other.clone(),
            "\"csr-\" is forbidden: can only create a node CSR with CN=system:node:n1",
        ),
        (
            "d",
            "",
            &usages,
            "garbage".into(),
            "\"d\" is forbidden: unable to parse csr: PEM block type must be CERTIFICATE REQUEST",
        ),
    ];
    for (name, generate_name, usages, pem, want) in cases {
        let mut body = csr_body(name, kubelet, usages, &pem);
        body["metadata"] = json!({"name": name, "generateName": generate_name});
        let e = create(&mut c, &node, body).unwrap_err();
        assert_eq!(e.code, 403, "{want}");
        assert_eq!(
            e.message,
            format!("certificatesigningrequests.certificates.k8s.io {want}")
        );
    }
    // Validating admission (CertificateSubjectRestriction) and validation see the generated name.
    let masters = csr_pem("x", &["system:masters"], &[]);
    let mut body = csr_body("", KUBE_APISERVER_CLIENT, &["client auth"], &masters);
    body["metadata"] = json!({"generateName": "sm-"});
    let e = create(&mut c, &Identity::admin(), body).unwrap_err();
    assert!(
        e.message
            .starts_with("certificatesigningrequests.certificates.k8s.io \"sm-"),
        "{}",
        e.message
    );
    assert!(
        !e.message
            .starts_with("certificatesigningrequests.certificates.k8s.io \"sm-\""),
        "{}",
        e.message
    );
    let own = csr_pem("system:node:n1", &["system:nodes"], &[]);
    create(
        &mut c,
        &node,
        csr_body(
            "b",
            "kubernetes.io/kube-apiserver-client-kubelet",
            &["digital signature", "client auth"],
            &own,
        ),
    )
    .unwrap();
    // Other signers are not checked by this rule.
    create(
        &mut c,
        &node,
        csr_body(
            "c",
            "example.com/x",
            &["digital signature", "client auth"],
            &other,
        ),
    )
    .unwrap();

    // NodeRestriction is a mutating admission plugin: it runs before the strategy and field
    // validation, so a node's unparseable kubelet request is its 403 (noderestriction
    // admission_test.go "deny CSR create invalid"), not validation's 422; and it names the
    // object before name generation (the generateName prefix).
    let mut body = csr_body(
        "",
        "kubernetes.io/kubelet-serving",
        &["digital signature", "server auth"],
        "",
    );
    body["metadata"] = json!({"generateName": "csr-"});
    body["spec"]["request"] = json!(base64_of(
        "-----BEGIN CERTIFICATE REQUEST-----\n-----END CERTIFICATE REQUEST-----\n"
    ));
    let e = create(&mut c, &node, body).unwrap_err();
    assert_eq!((e.code, e.message.as_str()), (403, "certificatesigningrequests.certificates.k8s.io \"csr-\" is forbidden: unable to parse csr: asn1: syntax error: sequence truncated"));
    // ... and a wrong CN is refused even when the body is invalid too (403 before 422).
    let mut body = csr_body("d", "kubernetes.io/kubelet-serving", &[], &other);
    body["spec"]["expirationSeconds"] = json!(10);
    let e = create(&mut c, &node, body).unwrap_err();
    assert_eq!((e.code, e.message.as_str()), (403, "certificatesigningrequests.certificates.k8s.io \"d\" is forbidden: can only create a node CSR with CN=system:node:n1"));
    // A node identity without a name is refused whatever the signer (here one that RBAC
    // lets through: the Node authorizer does not know a nameless node).
    let nameless = Identity::user("system:node:", &["system:nodes", "system:masters"]);
    let e = create(
        &mut c,
        &nameless,
        csr_body("e", "example.com/x", &["client auth"], &other),
    )
    .unwrap_err();
    assert_eq!((e.code, e.message.as_str()), (403, "certificatesigningrequests.certificates.k8s.io \"e\" is forbidden: could not determine node from user \"system:node:\""));
}

/// noderestriction/admission.go `Admit`: the nameless node identity is refused before the
/// plugin looks at the resource, for every operation it handles (create, update, delete:
/// subresources, patches, reviews and each item of a delete-collection included), after
/// the 404 of a missing object and before the 409 of a stale resourceVersion.
#[test]
fn node_restriction_refuses_a_nameless_node_on_every_operation() {
    use csrsim::sim::PatchType;
    let mut c = bare_cluster();
    let admin = Identity::admin();
    let pem = csr_pem("alice", &[], &[]);
    create(
        &mut c,
        &admin,
        csr_body("x", "example.com/x", &["client auth"], &pem),
    )
    .unwrap();
    let secret = json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}});
    c.apply(
        &admin,
        ApiRequest::new(Verb::Create, "", "secrets")
            .namespace("default")
            .body(secret.clone()),
    )
    .unwrap();
    let ns = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "n"}});
    c.apply(
        &admin,
        ApiRequest::new(Verb::Create, "", "namespaces").body(ns.clone()),
    )
    .unwrap();
    let nameless = Identity::user("system:node:", &["system:nodes", "system:masters"]);
    let csr = value(
        c.apply(&admin, ApiRequest::csr(Verb::Get).name("x"))
            .unwrap(),
    );
    let mut stale = csr.clone();
    stale["metadata"]["resourceVersion"] = json!("1");
    let forbidden = |what: &str| {
        format!("{what} is forbidden: could not determine node from user \"system:node:\"")
    };
    let csr_x = forbidden("certificatesigningrequests.certificates.k8s.io \"x\"");
    let merge = |r: ApiRequest| {
        r.patch(
            PatchType::Merge,
            json!({"metadata": {"labels": {"a": "b"}}}),
        )
    };
    let rows: Vec<(&str, ApiRequest, (u16, String))> = vec![
        ("csr update", ApiRequest::csr(Verb::Update).name("x").body(csr.clone()), (403, csr_x.clone())),
        ("csr update, stale resourceVersion", ApiRequest::csr(Verb::Update).name("x").body(stale), (403, csr_x.clone())),
        ("csr /approval", ApiRequest::csr(Verb::Update).name("x").subresource("approval").body(csr.clone()), (403, csr_x.clone())),
        ("csr /status", ApiRequest::csr(Verb::Update).name("x").subresource("status").body(csr.clone()), (403, csr_x.clone())),
        ("csr patch", merge(ApiRequest::csr(Verb::Patch).name("x")), (403, csr_x.clone())),
        ("csr delete", ApiRequest::csr(Verb::Delete).name("x"), (403, csr_x.clone())),
        ("csr delete-collection", ApiRequest::csr(Verb::DeleteCollection),
         (403, forbidden("certificatesigningrequests.certificates.k8s.io \"Unknown\""))),
        ("missing csr: 404 first", ApiRequest::csr(Verb::Delete).name("nope"),
         (404, "certificatesigningrequests.certificates.k8s.io \"nope\" not found".into())),
        ("secret create", ApiRequest::new(Verb::Create, "", "secrets").namespace("default")
            .body(json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"generateName": "g-"}})),
         (403, forbidden("secrets \"g-\""))),
        ("secret patch", merge(ApiRequest::new(Verb::Patch, "", "secrets").namespace("default").name("s")),
         (403, forbidden("secrets \"s\""))),
        ("namespace delete", ApiRequest::new(Verb::Delete, "", "namespaces").name("n"),
         (403, forbidden("namespaces \"n\""))),
        ("self subject review", ApiRequest::new(Verb::Create, "authentication.k8s.io", "selfsubjectreviews")
            .body(json!({"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"})),
         (403, forbidden("selfsubjectreviews.authentication.k8s.io \"Unknown\""))),
    ];
    for (case, req, want) in rows {
        let e = c.apply(&nameless, req).unwrap_err();
        assert_eq!((e.code, e.message), want, "{case}");
    }
    // Reads are not admitted: a get or list goes through.
    c.apply(&nameless, ApiRequest::csr(Verb::Get).name("x"))
        .unwrap();
    c.apply(&nameless, ApiRequest::csr(Verb::List)).unwrap();
    // A named node is not refused by this rule (an ordinary user neither).
    let named = Identity::user("system:node:n1", &["system:nodes", "system:masters"]);
    c.apply(&named, merge(ApiRequest::csr(Verb::Patch).name("x")))
        .unwrap();
}

fn base64_of(s: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(s)
}

#[test]
fn forbidden_text_for_unprivileged_users() {
    let mut c = bare_cluster();
    let bob = Identity::user("bob", &[]);
    let e = c.apply(&bob, ApiRequest::csr(Verb::List)).unwrap_err();
    assert_eq!(e.code, 403);
    assert_eq!(e.message, "certificatesigningrequests.certificates.k8s.io is forbidden: User \"bob\" cannot list resource \"certificatesigningrequests\" in API group \"certificates.k8s.io\" at the cluster scope");
    pending(&mut c, "x");
    let e = c
        .apply(
            &bob,
            ApiRequest::csr(Verb::Update)
                .name("x")
                .subresource("approval")
                .body(json!({})),
        )
        .unwrap_err();
    assert_eq!(e.message, "certificatesigningrequests.certificates.k8s.io \"x\" is forbidden: User \"bob\" cannot update resource \"certificatesigningrequests/approval\" in API group \"certificates.k8s.io\" at the cluster scope");
}
