#![allow(clippy::disallowed_methods)] // tests are an edge: they may use OS randomness for throwaway keys
//! Core guarantees: wire compatibility with k8s-openapi, persistence across restarts,
//! watch history and 410 Expired, determinism, and no panics on hostile input.

mod common;
use common::*;
use csrsim::api::CertificateSigningRequest;
use csrsim::api::Status;
use csrsim::auth::Identity;
use csrsim::sim::{ApiRequest, ApiResponse, Cluster, Config, Verb};
use proptest::prelude::*;
use serde_json::{json, Value};
use std::time::Duration;

#[test]
fn csr_json_round_trips_through_k8s_openapi() {
    use k8s_openapi::api::certificates::v1 as k;
    let mut c = bare_cluster();
    let pem = csr_pem("alice", &["devs"], &["a.example.com"]);
    let mut body = csr_body(
        "rt",
        "example.com/signer",
        &["client auth", "digital signature"],
        &pem,
    );
    body["spec"]["expirationSeconds"] = json!(3600);
    body["metadata"]["labels"] = json!({"app": "x"});
    body["metadata"]["annotations"] = json!({"note": "y"});
    create(&mut c, &Identity::admin(), body).unwrap();
    approve_as(&mut c, &Identity::admin(), "rt", "Approved").unwrap();
    let ours = c
        .apply(&Identity::admin(), ApiRequest::csr(Verb::Get).name("rt"))
        .unwrap()
        .into_value();
    // Ours → k8s-openapi → JSON equals ours, field for field.
    let theirs: k::CertificateSigningRequest =
        serde_json::from_value(ours.clone()).expect("k8s-openapi parses our JSON");
    assert_eq!(theirs.spec.signer_name, "example.com/signer");
    assert_eq!(theirs.spec.expiration_seconds, Some(3600));
    assert_eq!(theirs.spec.request.0, pem.as_bytes());
    let cond = &theirs.status.as_ref().unwrap().conditions.as_ref().unwrap()[0];
    assert_eq!(cond.type_, "Approved");
    assert!(cond.last_update_time.is_some());
    let mut back = serde_json::to_value(&theirs).unwrap();
    back["apiVersion"] = json!("certificates.k8s.io/v1");
    back["kind"] = json!("CertificateSigningRequest");
    assert_eq!(back, ours);
    // k8s-openapi → ours → JSON equals theirs.
    let ours2: CertificateSigningRequest = serde_json::from_value(back.clone()).unwrap();
    let mut again = serde_json::to_value(&ours2).unwrap();
    again["apiVersion"] = json!("certificates.k8s.io/v1");
    assert_eq!(again, back);
    // A list and a Status too.
    let l = c
        .apply(&Identity::admin(), ApiRequest::csr(Verb::List))
        .unwrap()
        .into_value();
    let _: k8s_openapi::List<k::CertificateSigningRequest> =
        serde_json::from_value(l).expect("list parses");
    let e = c
        .apply(&Identity::admin(), ApiRequest::csr(Verb::Get).name("nope"))
        .unwrap_err();
    let st: k8s_openapi::apimachinery::pkg::apis::meta::v1::Status =
        serde_json::from_value(serde_json::to_value(&e).unwrap()).unwrap();
    assert_eq!(st.code, Some(404));
    assert_eq!(st.reason.as_deref(), Some("NotFound"));
}

#[test]
fn sled_restart_keeps_objects_rv_and_clock() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = Config {
        data_dir: Some(dir.path().into()),
        approver: false,
        signer: false,
        cleaner: false,
        ..Config::default()
    };
    let pem = csr_pem("alice", &[], &[]);
    let (rv, now) = {
        let mut c = Cluster::new(cfg.clone()).unwrap();
        create(
            &mut c,
            &Identity::admin(),
            csr_body("a", "example.com/s", &["client auth"], &pem),
        )
        .unwrap();
        c.advance(Duration::from_secs(3600));
        approve_as(&mut c, &Identity::admin(), "a", "Approved").unwrap();
        (c.resource_version(), c.now())
    };
    let mut c = Cluster::new(cfg).unwrap();
    assert_eq!(c.resource_version(), rv);
    assert_eq!(c.now(), now, "virtual clock resumes where it stopped");
    let csr = get(&mut c, "a");
    assert_eq!(csr.display_condition(), "Approved");
    create(
        &mut c,
        &Identity::admin(),
        csr_body("b", "example.com/s", &["client auth"], &pem),
    )
    .unwrap();
    assert_eq!(
        c.resource_version(),
        rv + 1,
        "resourceVersions keep increasing"
    );
    // A watch from before the restart is too old: 410.
    let r = c.apply(
        &Identity::admin(),
        ApiRequest::csr(Verb::Watch).list_options(csrsim::api::ListOptions {
            resource_version: "1".into(),
            ..Default::default()
        }),
    );
    let e = r.unwrap_err();
    assert_eq!((e.code, e.reason.as_str()), (410, "Expired"));
    assert_eq!(e.message, format!("too old resource version: 1 ({rv})"));
}

#[test]
fn watch_window_compaction_and_initial_events() {
    let mut c = Cluster::new(Config {
        approver: false,
        signer: false,
        cleaner: false,
        watch_window: 3,
        ..Config::default()
    })
    .unwrap();
    let pem = csr_pem("alice", &[], &[]);
    let base = c.resource_version(); // the bootstrap RBAC policy took the first ones
    for i in 0..5 {
        create(
            &mut c,
            &Identity::admin(),
            csr_body(&format!("c{i}"), "example.com/s", &["client auth"], &pem),
        )
        .unwrap();
    }
    let watch = |c: &mut Cluster, rv: &str| {
        c.apply(
            &Identity::admin(),
            ApiRequest::csr(Verb::Watch).list_options(csrsim::api::ListOptions {
                resource_version: rv.into(),
                ..Default::default()
            }),
        )
    };
    let (old, oldest) = ((base + 1).to_string(), base + 2);
    assert_eq!(
        watch(&mut c, &old).unwrap_err().message,
        format!("too old resource version: {old} ({oldest})")
    );
    let ApiResponse::Watch(mut w) = watch(&mut c, &oldest.to_string()).unwrap() else {
        panic!()
    };
    let ev = c.watch_poll(&mut w.cursor).unwrap();
    assert_eq!(ev.len(), 3);
    // rv=0: synthetic ADDED for every current object, then live events.
    let ApiResponse::Watch(mut w0) = watch(&mut c, "0").unwrap() else {
        panic!()
    };
    assert_eq!(w0.initial.len(), 5);
    assert!(w0
        .initial
        .iter()
        .all(|e| e.type_ == csrsim::api::EventType::Added
            && e.object["kind"] == "CertificateSigningRequest"));
    c.apply(&Identity::admin(), ApiRequest::csr(Verb::Delete).name("c0"))
        .unwrap();
    let ev = c.watch_poll(&mut w0.cursor).unwrap();
    assert_eq!(ev.len(), 1);
    assert_eq!(ev[0].type_, csrsim::api::EventType::Deleted);
    // 5 minutes of virtual time compact the history (etcd compaction).
    c.advance(Duration::from_secs(301));
    create(
        &mut c,
        &Identity::admin(),
        csr_body("late", "example.com/s", &["client auth"], &pem),
    )
    .unwrap();
    let rv_before = (c.resource_version() - 2).to_string();
    assert_eq!(watch(&mut c, &rv_before).unwrap_err().code, 410);
}

/// `start_watch_cache` (what `csrsim serve` does at start, as the apiserver's cacher lists at
/// start-up): a watch from an older resourceVersion is 410 `too old resource version: <rv>
/// (<start>)` although the event window still holds those events; a watch from the start
/// resumes; a list at the older revision (`Exact`) still reads it, as etcd before compaction.
#[test]
fn watch_cache_starts_where_the_server_started() {
    let mut c = Cluster::new(Config {
        approver: false,
        signer: false,
        cleaner: false,
        ..Config::default()
    })
    .unwrap();
    let pem = csr_pem("alice", &[], &[]);
    create(
        &mut c,
        &Identity::admin(),
        csr_body("before", "example.com/s", &["client auth"], &pem),
    )
    .unwrap();
    let watch = |c: &mut Cluster, rv: &str| {
        c.apply(
            &Identity::admin(),
            ApiRequest::csr(Verb::Watch).list_options(csrsim::api::ListOptions {
                resource_version: rv.into(),
                ..Default::default()
            }),
        )
    };
    // Before: the whole window is watchable.
    assert!(watch(&mut c, "1").is_ok());
    c.start_watch_cache();
    let start = c.resource_version();
    let e = watch(&mut c, "1").unwrap_err();
    assert_eq!((e.code, e.reason.as_str()), (410, "Expired"));
    assert_eq!(e.message, format!("too old resource version: 1 ({start})"));
    let e = watch(&mut c, &(start - 1).to_string()).unwrap_err();
    assert_eq!(
        e.message,
        format!("too old resource version: {} ({start})", start - 1)
    );
    create(
        &mut c,
        &Identity::admin(),
        csr_body("after", "example.com/s", &["client auth"], &pem),
    )
    .unwrap();
    let ApiResponse::Watch(mut w) = watch(&mut c, &start.to_string()).unwrap() else {
        panic!()
    };
    let ev = c.watch_poll(&mut w.cursor).unwrap();
    assert_eq!(ev.len(), 1);
    assert_eq!(ev[0].object["metadata"]["name"], "after");
    // The revision just before `before` was created: no CSR yet.
    let before_rv = get(&mut c, "before")
        .metadata
        .resource_version
        .parse::<u64>()
        .unwrap();
    let v = c
        .apply(
            &Identity::admin(),
            ApiRequest::csr(Verb::List).list_options(csrsim::api::ListOptions {
                resource_version: (before_rv - 1).to_string(),
                resource_version_match: "Exact".into(),
                ..Default::default()
            }),
        )
        .unwrap()
        .into_value();
    assert_eq!(v["items"].as_array().map(Vec::len), Some(0), "{v}");
}

fn scripted_run(seed: u64) -> (String, Vec<String>) {
    let mut c = Cluster::new(Config {
        seed,
        trace: true,
        approver: false,
        signer: false,
        cleaner: false,
        ..Config::default()
    })
    .unwrap();
    // A fixed CSR so only the seed varies.
    let pem = include_str!("fixtures/alice.csr");
    let mut uids = Vec::new();
    for i in 0..3 {
        let mut body = csr_body("", "example.com/s", &["client auth"], pem);
        body["metadata"] = json!({"generateName": format!("csr-{i}-")});
        let csr = create(&mut c, &Identity::admin(), body).unwrap();
        uids.push(format!("{}/{}", csr.metadata.name, csr.metadata.uid));
        approve_as(&mut c, &Identity::admin(), &csr.metadata.name, "Approved").unwrap();
        c.advance(Duration::from_secs(90));
    }
    (c.trace_jsonl(), uids)
}

#[test]
fn same_seed_same_trace_different_seed_different_uids() {
    let (t1, u1) = scripted_run(7);
    let (t2, u2) = scripted_run(7);
    assert_eq!(t1, t2, "byte-identical trace for the same seed");
    assert_eq!(u1, u2);
    let (_, u3) = scripted_run(8);
    assert_ne!(u1, u3, "different seed, different uids and names");
    assert!(
        u1[0].starts_with("csr-0-") && u1[0].split('/').next().unwrap().len() == "csr-0-".len() + 5
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_as_body_get_a_status(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let mut c = bare_cluster();
        let body = serde_json::from_slice::<serde_json::Value>(&bytes).unwrap_or(json!(String::from_utf8_lossy(&bytes)));
        let r = c.apply(&Identity::admin(), ApiRequest::csr(Verb::Create).body(body));
        if let Err(e) = r { prop_assert!(e.code >= 400 && e.code < 500, "{e}"); }
    }

    #[test]
    fn arbitrary_request_bytes_get_422(bytes in proptest::collection::vec(any::<u8>(), 0..2048), pemify in any::<bool>()) {
        let mut c = bare_cluster();
        let data = if pemify { csrsim::pki::gopem::encode("CERTIFICATE REQUEST", &bytes).into_bytes() } else { bytes };
        use base64::Engine;
        let body = json!({"metadata": {"name": "f"}, "spec": {"request": base64::engine::general_purpose::STANDARD.encode(&data), "signerName": "example.com/s", "usages": ["client auth"]}});
        let e = c.apply(&Identity::admin(), ApiRequest::csr(Verb::Create).body(body)).unwrap_err();
        prop_assert_eq!(e.code, 422);
    }
}

fn list_page(c: &mut Cluster, limit: i64, cont: &str, rv: &str) -> Result<Value, Status> {
    c.apply(
        &Identity::admin(),
        ApiRequest::csr(Verb::List).list_options(csrsim::api::ListOptions {
            limit: Some(limit),
            continue_: cont.into(),
            resource_version: rv.into(),
            ..Default::default()
        }),
    )
    .map(value)
}

fn b64(s: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s)
}

/// Paging as apiserver's etcd3 store does it (staging/.../storage/continue.go, etcd3/store.go):
/// unpadded tokens holding the key relative to the list prefix, every page reporting the first
/// page's resourceVersion, and the exact 400 texts for bad tokens.
#[test]
fn list_pages_and_continue_tokens() {
    let mut c = bare_cluster();
    let pem = csr_pem("alice", &[], &[]);
    for n in ["a", "b", "c", "d", "e"] {
        create(
            &mut c,
            &Identity::admin(),
            csr_body(n, "example.com/x", &["client auth"], &pem),
        )
        .unwrap();
    }
    let first = list_page(&mut c, 2, "", "").unwrap();
    let rv0 = first["metadata"]["resourceVersion"]
        .as_str()
        .unwrap()
        .to_string();
    let mut names: Vec<String> = Vec::new();
    let mut page = first;
    loop {
        assert_eq!(page["metadata"]["resourceVersion"], rv0.as_str());
        for i in page["items"].as_array().unwrap() {
            names.push(i["metadata"]["name"].as_str().unwrap().into());
        }
        let cont = page["metadata"]["continue"]
            .as_str()
            .unwrap_or("")
            .to_string();
        if cont.is_empty() {
            break;
        }
        assert!(!cont.contains('='), "unpadded base64: {cont}");
        // A write between pages does not change the reported resourceVersion.
        create(
            &mut c,
            &Identity::admin(),
            csr_body(
                &format!("z{}", names.len()),
                "example.com/x",
                &["client auth"],
                &pem,
            ),
        )
        .unwrap();
        page = list_page(&mut c, 2, &cont, "").unwrap();
    }
    assert_eq!(&names[..5], ["a", "b", "c", "d", "e"]);

    // A token at the current resourceVersion (a continued page reads the snapshot of its
    // token's resourceVersion: at 5 there was no CSR yet).
    let now_rv = list_page(&mut c, 100, "", "").unwrap()["metadata"]["resourceVersion"]
        .as_str()
        .unwrap()
        .to_string();
    let good = b64(&format!(
        r#"{{"v":"meta.k8s.io/v1","rv":{now_rv},"start":"b\u0000"}}"#
    ));
    let e = |s: &str| format!("invalid continue token: continue key is not valid{s}");
    let rows: Vec<(&str, String, &str, String)> = vec![
        (
            "not base64",
            "!!".into(),
            "",
            e(": illegal base64 data at input byte 0"),
        ),
        (
            "not JSON (a later syntax error keeps serde's text)",
            b64("nope"),
            "",
            e(": expected ident at line 1 column 2"),
        ),
        // Go's RawURLEncoding is not Strict(): non-zero trailing bits decode; the bytes are
        // then no JSON value (encoding/json's quoteChar of 0x81 is '\u0081')
        (
            "trailing bits, not JSON",
            "garbage".into(),
            "",
            e(": invalid character '\\u0081' looking for beginning of value"),
        ),
        ("empty JSON", b64("  "), "", e(": unexpected end of JSON input")),
        (
            "one symbol left over",
            "abcde".into(),
            "",
            e(": illegal base64 data at input byte 4"),
        ),
        (
            "padding in a raw token",
            "YWI=".into(),
            "",
            e(": illegal base64 data at input byte 3"),
        ),
        (
            "a JSON array",
            b64("[1]"),
            "",
            e(": json: cannot unmarshal array into Go value of type storage.continueToken"),
        ),
        (
            "rv of the wrong type",
            b64(r#"{"v":"meta.k8s.io/v1","rv":"5","start":"b"}"#),
            "",
            e(": json: cannot unmarshal string into Go struct field continueToken.rv of type int64"),
        ),
        (
            "rv not an integer",
            b64(r#"{"v":"meta.k8s.io/v1","rv":1.5,"start":"b"}"#),
            "",
            e(": json: cannot unmarshal number 1.5 into Go struct field continueToken.rv of type int64"),
        ),
        (
            "start of the wrong type",
            b64(r#"{"v":"meta.k8s.io/v1","rv":5,"start":7}"#),
            "",
            e(": json: cannot unmarshal number into Go struct field continueToken.start of type string"),
        ),
        (
            "unknown version",
            b64(r#"{"v":"v2","rv":5,"start":"b"}"#),
            "",
            e(": server does not recognize this encoded version v2"),
        ),
        (
            "rv zero",
            b64(r#"{"v":"meta.k8s.io/v1","rv":0,"start":"b"}"#),
            "",
            e(": incorrect encoded start resourceVersion (version meta.k8s.io/v1)"),
        ),
        (
            "empty start",
            b64(r#"{"v":"meta.k8s.io/v1","rv":5,"start":""}"#),
            "",
            e(": encoded start key empty (version meta.k8s.io/v1)"),
        ),
        (
            "path traversal to another resource",
            b64(r#"{"v":"meta.k8s.io/v1","rv":5,"start":"../../core/secrets/x"}"#),
            "",
            e(": ../../core/secrets/x"),
        ),
        (
            "resourceVersion with continue",
            good.clone(),
            "7",
            "specifying resource version is not allowed when using continue".into(),
        ),
    ];
    for (case, token, rv, want) in rows {
        let err = list_page(&mut c, 2, &token, rv).unwrap_err();
        assert_eq!(
            (err.code, err.message.as_str()),
            (400, want.as_str()),
            "{case}"
        );
    }
    // resourceVersion "0" is allowed with a continue token; the page starts after "b".
    let p = list_page(&mut c, 2, &good, "0").unwrap();
    assert_eq!(p["items"][0]["metadata"]["name"], "c");
    assert_eq!(p["metadata"]["resourceVersion"], now_rv.as_str());
    // At 5 there was no CSR yet: the snapshot is empty.
    let old = b64(r#"{"v":"meta.k8s.io/v1","rv":5,"start":"b\u0000"}"#);
    let p = list_page(&mut c, 2, &old, "").unwrap();
    assert_eq!(p["items"], json!([]));
    assert_eq!(p["metadata"]["resourceVersion"], "5");
}

/// `fieldValidation=Strict` (what kubectl ≥ 1.27 sends by default): unknown fields of a CSR
/// body are a 400 with the strict decoder's list, in document order; without it they are
/// dropped. A body that does not decode reports the decoder's error first.
#[test]
fn strict_field_validation_refuses_unknown_fields() {
    let mut c = bare_cluster();
    let pem = csr_pem("alice", &[], &[]);
    let mut body = csr_body("s", "example.com/x", &["client auth"], &pem);
    body["metadata"]["bogus"] = json!(1);
    body["spec"]["foo"] = json!("bar");
    body["status"] = json!({"conditions": [{"type": "X", "status": "True", "extra": 1}]});
    let strict = |b: Value, v: &str| {
        let mut r = ApiRequest::csr(Verb::Create).body(b);
        r.field_validation = v.into();
        r
    };
    let e = c
        .apply(&Identity::admin(), strict(body.clone(), "Strict"))
        .unwrap_err();
    assert_eq!(
        (e.code, e.message.as_str()),
        (
            400,
            "CertificateSigningRequest in version \"v1\" cannot be handled as a CertificateSigningRequest: strict decoding error: unknown field \"metadata.bogus\", unknown field \"spec.foo\", unknown field \"status.conditions[0].extra\""
        )
    );
    let mut wrong_type = body.clone();
    wrong_type["spec"]["expirationSeconds"] = json!("x");
    let e = c
        .apply(&Identity::admin(), strict(wrong_type, "Strict"))
        .unwrap_err();
    assert!(
        e.message.contains("json: cannot unmarshal string"),
        "{}",
        e.message
    );
    for v in ["", "Warn", "Ignore"] {
        let mut b = body.clone();
        b["metadata"]["name"] = json!(format!("s{}", v.to_lowercase()));
        let got = value(c.apply(&Identity::admin(), strict(b, v)).unwrap());
        assert!(
            got["spec"].get("foo").is_none(),
            "unknown fields are dropped"
        );
    }
}

/// `fieldValidation` on patches (apiserver `handlers/patch.go`): the unknown fields are those of
/// the patched object. Strict is a 422 Invalid on field `patch` whose value is Go's `%+v` of a
/// strategic merge patch, or the patched object's sorted JSON for merge and JSON patches; Warn
/// (and the default) and Ignore apply the patch and drop the fields, Warn reporting them.
#[test]
fn strict_field_validation_on_patches() {
    use csrsim::sim::PatchType;
    let mut c = bare_cluster();
    let admin = Identity::admin();
    let pem = csr_pem("alice", &[], &[]);
    c.apply(
        &admin,
        ApiRequest::csr(Verb::Create).body(csr_body("p", "example.com/x", &["client auth"], &pem)),
    )
    .unwrap();
    let patch = |t: PatchType, b: Value, v: &str| {
        let mut r = ApiRequest::csr(Verb::Patch).name("p").patch(t, b);
        r.field_validation = v.into();
        r
    };
    let smp = json!({"spec": {"foo": "bar", "n": 1_000_000}, "metadata": {"labels": {"a": "b"}}});
    let e = c
        .apply(
            &admin,
            patch(PatchType::StrategicMerge, smp.clone(), "Strict"),
        )
        .unwrap_err();
    assert_eq!(
        (e.code, e.reason.as_str(), e.message.as_str()),
        (
            422,
            "Invalid",
            " \"\" is invalid: patch: Invalid value: \"map[metadata:map[labels:map[a:b]] spec:map[foo:bar n:1e+06]]\": strict decoding error: unknown field \"spec.foo\", unknown field \"spec.n\""
        )
    );
    let e = c
        .apply(
            &admin,
            patch(PatchType::Merge, json!({"spec": {"foo": 1}}), "Strict"),
        )
        .unwrap_err();
    assert_eq!(e.code, 422);
    assert!(e.message.starts_with(" \"\" is invalid: patch: Invalid value: \"{\\\"apiVersion\\\":\\\"certificates.k8s.io/v1\\\",\\\"kind\\\":"), "{}", e.message);
    assert!(
        e.message
            .ends_with("\": strict decoding error: unknown field \"spec.foo\""),
        "{}",
        e.message
    );
    let e = c
        .apply(
            &admin,
            patch(
                PatchType::Json,
                json!([{"op": "add", "path": "/spec/foo", "value": 1}]),
                "Strict",
            ),
        )
        .unwrap_err();
    assert_eq!(e.code, 422);
    assert!(
        e.message
            .ends_with("strict decoding error: unknown field \"spec.foo\""),
        "{}",
        e.message
    );
    // nothing was written by the refused patches
    assert!(c.get_csr("p").unwrap().metadata.labels.is_empty());

    for v in ["", "Warn", "Ignore"] {
        c.take_warnings();
        let got = value(
            c.apply(&admin, patch(PatchType::StrategicMerge, smp.clone(), v))
                .unwrap(),
        );
        assert_eq!(got["metadata"]["labels"]["a"], "b");
        assert!(
            got["spec"].get("foo").is_none(),
            "unknown fields are dropped"
        );
        let want: Vec<String> = if v == "Ignore" {
            vec![]
        } else {
            vec![
                "unknown field \"spec.foo\"".into(),
                "unknown field \"spec.n\"".into(),
            ]
        };
        assert_eq!(c.take_warnings(), want, "fieldValidation={v:?}");
    }
    // a known-only patch under Strict goes through
    c.apply(
        &admin,
        patch(
            PatchType::Merge,
            json!({"metadata": {"labels": {"c": "d"}}}),
            "Strict",
        ),
    )
    .unwrap();
}

/// The typed CSR cache next to the stored bytes (`CsrCache` in src/sim/cluster.rs) never
/// answers with an object the store no longer holds: after a JSON patch, a typed update as the
/// controllers send it, a conflicting and a no-op update, a delete and a re-create under the
/// same name, `get_csr` agrees with what GET decodes from the stored JSON.
#[test]
fn typed_csr_reads_follow_every_kind_of_write() {
    use csrsim::sim::PatchType;
    let mut c = bare_cluster();
    let admin = Identity::admin();
    let pem = include_str!("fixtures/alice.csr");
    let agree = |c: &mut Cluster| {
        let typed = c.get_csr("t");
        let json = c
            .apply(&admin, ApiRequest::csr(Verb::Get).name("t"))
            .ok()
            .map(|r| serde_json::from_value::<CertificateSigningRequest>(r.into_value()).unwrap());
        assert_eq!(typed, json);
        typed
    };
    let first = create(
        &mut c,
        &admin,
        csr_body("t", "example.com/s", &["client auth"], pem),
    )
    .unwrap();
    assert_eq!(agree(&mut c).unwrap(), first);

    c.apply(
        &admin,
        ApiRequest::csr(Verb::Patch).name("t").patch(
            PatchType::Merge,
            json!({"metadata": {"labels": {"a": "b"}}}),
        ),
    )
    .unwrap();
    let patched = agree(&mut c).unwrap();
    assert_eq!(patched.metadata.labels["a"], "b");
    assert_ne!(
        patched.metadata.resource_version,
        first.metadata.resource_version
    );

    // A typed approval, answer not rendered.
    let mut approve = patched.clone();
    approve.status.conditions.push(csrsim::api::CsrCondition {
        type_: "Approved".into(),
        status: "True".into(),
        reason: "Typed".into(),
        ..Default::default()
    });
    let r = c
        .apply(
            &admin,
            ApiRequest::csr(Verb::Update)
                .name("t")
                .subresource("approval")
                .csr_body(approve.clone())
                .discard_object(),
        )
        .unwrap();
    assert_eq!(r.into_value(), Value::Null);
    let approved = agree(&mut c).unwrap();
    assert!(approved.is_approved());
    assert!(approved.status.conditions[0].last_update_time.is_some());

    // The same typed body again carries the old resourceVersion: 409, nothing written.
    let e = c
        .apply(
            &admin,
            ApiRequest::csr(Verb::Update)
                .name("t")
                .subresource("approval")
                .csr_body(approve),
        )
        .unwrap_err();
    assert_eq!(e.code, 409, "{e}");
    // A typed no-op (the stored object as is): no write, same resourceVersion.
    let rv = c.resource_version();
    c.apply(
        &admin,
        ApiRequest::csr(Verb::Update)
            .name("t")
            .csr_body(approved.clone()),
    )
    .unwrap();
    assert_eq!(c.resource_version(), rv);
    assert_eq!(agree(&mut c).unwrap(), approved);

    c.apply(&admin, ApiRequest::csr(Verb::Delete).name("t"))
        .unwrap();
    assert_eq!(agree(&mut c), None);
    let again = create(
        &mut c,
        &admin,
        csr_body("t", "example.com/s", &["client auth"], pem),
    )
    .unwrap();
    assert_ne!(again.metadata.uid, first.metadata.uid);
    assert_eq!(agree(&mut c).unwrap(), again);
}

/// In-process callers that do not read the answer: a create with `identity_only` answers
/// the name `generateName` gave and the uid, with `discard_object` nothing; a delete with
/// `discard_object` answers nothing. The stored object and the watch events are the same.
#[test]
fn creates_and_deletes_answer_only_what_was_asked() {
    let mut c = bare_cluster();
    let admin = Identity::admin();
    let pem = include_str!("fixtures/alice.csr");
    let mut body = csr_body("", "example.com/s", &["client auth"], pem);
    body["metadata"] = json!({"generateName": "csr-"});
    let r = c
        .apply(
            &admin,
            ApiRequest::csr(Verb::Create)
                .body(body.clone())
                .identity_only(),
        )
        .unwrap()
        .into_value();
    let name = r["metadata"]["name"].as_str().unwrap().to_string();
    assert!(name.starts_with("csr-"), "{r}");
    let stored = c.get_csr(&name).unwrap();
    assert_eq!(
        r,
        json!({"metadata": {"name": name, "uid": stored.metadata.uid}}),
        "name and uid only"
    );
    let r = c
        .apply(
            &admin,
            ApiRequest::csr(Verb::Create).body(body).discard_object(),
        )
        .unwrap()
        .into_value();
    assert_eq!(r, Value::Null);
    assert_eq!(c.list_csrs().len(), 2);
    let r = c
        .apply(
            &admin,
            ApiRequest::csr(Verb::Delete).name(&name).discard_object(),
        )
        .unwrap()
        .into_value();
    assert_eq!(r, Value::Null);
    assert!(c.get_csr(&name).is_none());
    let r = c
        .apply(
            &admin,
            ApiRequest::csr(Verb::Delete).name(&c.list_csrs()[0].metadata.name.clone()),
        )
        .unwrap()
        .into_value();
    assert_eq!(r["kind"], "Status", "{r}");
    assert_eq!(r["status"], "Success", "{r}");
}

/// `kubectl delete --cascade=foreground|orphan` (and any delete of an object with its own
/// finalizers): the registry marks the object as being deleted and answers with it; the
/// garbage collector removes `foregroundDeletion`/`orphan` (nothing has dependents) and the
/// update that empties the finalizers deletes it. Watchers see MODIFIED (deletionTimestamp,
/// the finalizer) and then DELETED with the last stored state.
#[test]
fn cascading_deletes_and_finalizers() {
    use csrsim::api::EventType;
    let mut c = bare_cluster();
    let admin = Identity::admin();
    let pem = csr_pem("alice", &[], &[]);
    let mk = |c: &mut Cluster, name: &str, finalizers: &[&str]| {
        let mut b = csr_body(name, "example.com/s", &["client auth"], &pem);
        if !finalizers.is_empty() {
            b["metadata"]["finalizers"] = json!(finalizers);
        }
        create(c, &Identity::admin(), b).unwrap();
    };
    let del = |c: &mut Cluster, name: &str, policy: Option<&str>, dry_run: bool| {
        let mut r = ApiRequest::csr(Verb::Delete).name(name);
        r.propagation_policy = policy.map(str::to_string);
        r.dry_run = dry_run;
        c.apply(&Identity::admin(), r).map(ApiResponse::into_value)
    };
    let ApiResponse::Watch(mut w) = c
        .apply(
            &admin,
            ApiRequest::csr(Verb::Watch).list_options(Default::default()),
        )
        .unwrap()
    else {
        panic!()
    };
    for (name, policy, finalizer) in [
        ("fg", "Foreground", "foregroundDeletion"),
        ("or", "Orphan", "orphan"),
    ] {
        mk(&mut c, name, &[]);
        // A dry run answers the marked object and changes nothing.
        let dry = del(&mut c, name, Some(policy), true).unwrap();
        assert_eq!(dry["metadata"]["finalizers"], json!([finalizer]), "{dry}");
        assert!(get(&mut c, name).metadata.deletion_timestamp.is_none());
        let out = del(&mut c, name, Some(policy), false).unwrap();
        assert_eq!(out["kind"], "CertificateSigningRequest", "{out}");
        assert_eq!(out["metadata"]["finalizers"], json!([finalizer]), "{out}");
        assert_eq!(out["metadata"]["deletionGracePeriodSeconds"], 0, "{out}");
        assert!(out["metadata"]["deletionTimestamp"].is_string(), "{out}");
        assert!(
            c.get_csr(name).is_none(),
            "the collector finished the delete"
        );
        let ev: Vec<(EventType, Value)> = c
            .watch_poll(&mut w.cursor)
            .unwrap()
            .into_iter()
            .map(|e| (e.type_, e.object))
            .collect();
        let types: Vec<EventType> = ev.iter().map(|e| e.0).collect();
        assert_eq!(
            types,
            [EventType::Added, EventType::Modified, EventType::Deleted]
        );
        for (_, o) in &ev[1..] {
            assert_eq!(o["metadata"]["finalizers"], json!([finalizer]), "{o}");
            assert!(o["metadata"]["deletionTimestamp"].is_string(), "{o}");
        }
    }

    // A user's finalizer holds the object; the collector removes only its own.
    mk(&mut c, "held", &["example.com/keep"]);
    let out = del(&mut c, "held", Some("Foreground"), false).unwrap();
    assert_eq!(
        out["metadata"]["finalizers"],
        json!(["example.com/keep", "foregroundDeletion"])
    );
    let held = get(&mut c, "held");
    assert_eq!(held.metadata.finalizers, ["example.com/keep"]);
    assert!(held.metadata.deletion_timestamp.is_some());
    // Its name is still taken.
    let e = create(
        &mut c,
        &admin,
        csr_body("held", "example.com/s", &["client auth"], &pem),
    )
    .unwrap_err();
    assert_eq!(
        (e.code, e.message.as_str()),
        (
            409,
            "object is being deleted: certificatesigningrequests.certificates.k8s.io \"held\" already exists"
        )
    );
    // Deleting again changes nothing (no new resourceVersion).
    let rv = held.metadata.resource_version.clone();
    let again = del(&mut c, "held", Some("Background"), false).unwrap();
    assert_eq!(again["metadata"]["resourceVersion"], rv.as_str());
    // No new finalizers while being deleted.
    let patch = |c: &mut Cluster, doc: Value| {
        c.apply(
            &Identity::admin(),
            ApiRequest::csr(Verb::Patch)
                .name("held")
                .patch(csrsim::sim::PatchType::Merge, doc),
        )
    };
    let e = patch(
        &mut c,
        json!({"metadata": {"finalizers": ["example.com/keep", "example.com/new"]}}),
    )
    .unwrap_err();
    assert_eq!(e.code, 422);
    assert_eq!(
        e.message,
        "CertificateSigningRequest.certificates.k8s.io \"held\" is invalid: metadata.finalizers: Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{\"example.com/new\"}"
    );
    // BeforeUpdate's common ObjectMeta validation and the CSR strategy's both find it: one
    // message (ToAggregate), two causes.
    assert_eq!(e.details.as_ref().unwrap().causes.len(), 2);
    // An update cannot change the deletion timestamp (BeforeUpdate restores it)...
    let before = get(&mut c, "held").metadata.resource_version;
    let out = patch(
        &mut c,
        json!({"metadata": {"deletionTimestamp": "2031-01-01T00:00:00Z", "deletionGracePeriodSeconds": null}}),
    )
    .unwrap()
    .into_value();
    assert_eq!(out["metadata"]["resourceVersion"], before.as_str());
    assert_eq!(out["metadata"]["deletionGracePeriodSeconds"], 0);
    let e = patch(
        &mut c,
        json!({"metadata": {"deletionGracePeriodSeconds": 30}}),
    )
    .unwrap_err();
    assert_eq!(
        e.message,
        "CertificateSigningRequest.certificates.k8s.io \"held\" is invalid: metadata.deletionGracePeriodSeconds: Invalid value: 30: field is immutable"
    );
    // ... nor set one on an object that is not being deleted.
    mk(&mut c, "live", &[]);
    let e = c
        .apply(
            &admin,
            ApiRequest::csr(Verb::Patch).name("live").patch(
                csrsim::sim::PatchType::Merge,
                json!({"metadata": {"deletionTimestamp": "2031-01-01T00:00:00Z", "deletionGracePeriodSeconds": 5}}),
            ),
        )
        .unwrap_err();
    assert_eq!(
        e.message,
        "CertificateSigningRequest.certificates.k8s.io \"live\" is invalid: [metadata.deletionTimestamp: Invalid value: 2031-01-01 00:00:00 +0000 UTC: field is immutable, metadata.deletionGracePeriodSeconds: Invalid value: 5: field is immutable]"
    );
    c.apply(&admin, ApiRequest::csr(Verb::Delete).name("live"))
        .unwrap();
    let _ = c.watch_poll(&mut w.cursor).unwrap();
    // Removing the last finalizer deletes it; DELETED shows the stored object.
    let out = patch(&mut c, json!({"metadata": {"finalizers": null}})).unwrap();
    assert!(out.into_value()["metadata"].get("finalizers").is_none());
    assert!(c.get_csr("held").is_none());
    let ev = c.watch_poll(&mut w.cursor).unwrap();
    assert_eq!(ev.len(), 1);
    assert_eq!(ev[0].type_, EventType::Deleted);
    assert_eq!(
        ev[0].object["metadata"]["finalizers"],
        json!(["example.com/keep"])
    );

    // A collection delete deletes each object with the request's options.
    mk(&mut c, "c1", &[]);
    let _ = c.watch_poll(&mut w.cursor).unwrap();
    let listed = c
        .apply(&admin, ApiRequest::csr(Verb::List))
        .unwrap()
        .into_value();
    let mut r = ApiRequest::csr(Verb::DeleteCollection);
    r.propagation_policy = Some("Foreground".into());
    let out = c.apply(&admin, r).unwrap().into_value();
    // `Store.DeleteCollection` answers with the list it listed (TypeMeta in Go's order, the
    // list's resourceVersion from before the deletes).
    assert!(
        serde_json::to_string(&out)
            .unwrap()
            .starts_with(r#"{"kind":"CertificateSigningRequestList","apiVersion":"certificates.k8s.io/v1","metadata":{"resourceVersion":"#),
        "{out}"
    );
    assert_eq!(out["metadata"], listed["metadata"]);
    assert_eq!(out["items"][0]["metadata"]["name"], "c1");
    let ev = c.watch_poll(&mut w.cursor).unwrap();
    let types: Vec<EventType> = ev.iter().map(|e| e.type_).collect();
    assert_eq!(types, [EventType::Modified, EventType::Deleted]);
    assert_eq!(
        ev[1].object["metadata"]["finalizers"],
        json!(["foregroundDeletion"])
    );

    // ValidateFinalizers on create.
    let mut b = csr_body("bad", "example.com/s", &["client auth"], &pem);
    b["metadata"]["finalizers"] = json!(["orphan", "foregroundDeletion", "-x"]);
    let e = create(&mut c, &admin, b).unwrap_err();
    assert_eq!(
        e.message,
        "CertificateSigningRequest.certificates.k8s.io \"bad\" is invalid: [metadata.finalizers: Invalid value: \"-x\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]'), metadata.finalizers: Invalid value: []string{\"orphan\", \"foregroundDeletion\", \"-x\"}: finalizer orphan and foregroundDeletion cannot be both set]"
    );
}

/// A cluster with no controllers whose watch window keeps 3 events, holding CSRs a, b and c,
/// and a function that creates one more CSR (same request) by name.
fn windowed_cluster_with_a_b_c() -> (Cluster, impl Fn(&mut Cluster, &str)) {
    let mut c = Cluster::new(Config {
        approver: false,
        signer: false,
        cleaner: false,
        watch_window: 3,
        ..Config::default()
    })
    .unwrap();
    let pem = csr_pem("alice", &[], &[]);
    let mk = move |c: &mut Cluster, n: &str| {
        create(
            c,
            &Identity::admin(),
            csr_body(n, "example.com/x", &["client auth"], &pem),
        )
        .unwrap();
    };
    for n in ["a", "b", "c"] {
        mk(&mut c, n);
    }
    (c, mk)
}

/// A continue token whose first page etcd has compacted away: 410 Expired with etcd3's
/// `inconsistentContinue` text and, in the Status's ListMeta, a token that continues from
/// the same key at the latest resourceVersion (rv -1), which lists the rest of the current
/// state.
#[test]
fn compacted_continue_token_is_410_with_an_inconsistent_token() {
    use base64::Engine;
    let (mut c, mk) = windowed_cluster_with_a_b_c();
    let first = list_page(&mut c, 1, "", "").unwrap();
    let cont = first["metadata"]["continue"].as_str().unwrap().to_string();
    for n in ["d", "e", "f", "g"] {
        mk(&mut c, n);
    }
    let err = list_page(&mut c, 1, &cont, "").unwrap_err();
    assert_eq!((err.code, err.reason.as_str()), (410, "Expired"));
    assert_eq!(
        err.message,
        "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list."
    );
    let next = err.metadata["continue"].as_str().unwrap().to_string();
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(&next)
        .unwrap();
    assert_eq!(
        String::from_utf8(raw).unwrap(),
        r#"{"v":"meta.k8s.io/v1","rv":-1,"start":"a\u0000"}"#
    );
    // The new token lists the rest as it is now.
    let p = list_page(&mut c, 10, &next, "").unwrap();
    let names: Vec<&str> = p["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["metadata"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["b", "c", "d", "e", "f", "g"]);
    assert_eq!(
        p["metadata"]["resourceVersion"],
        c.resource_version().to_string()
    );
}

/// Which watches begin with the current state (synthetic ADDED), as the watch cache decides
/// (`getWatchCacheResourceVersion`, `getAllEventsSinceLocked`): the legacy watch from "" or
/// "0" and every `sendInitialEvents=true`; `sendInitialEvents=false` from "" or "0" starts
/// from now with none. Each then sees a later create.
#[test]
fn send_initial_events_false_starts_from_now() {
    let mut c = bare_cluster();
    let pem = csr_pem("alice", &[], &[]);
    for n in ["a", "b"] {
        create(
            &mut c,
            &Identity::admin(),
            csr_body(n, "example.com/x", &["client auth"], &pem),
        )
        .unwrap();
    }
    let now = c.resource_version().to_string();
    let rows: &[(&str, Option<bool>, usize)] = &[
        ("", None, 2),
        ("0", None, 2),
        ("", Some(true), 2),
        ("0", Some(true), 2),
        (&now, Some(true), 2),
        ("", Some(false), 0),
        ("0", Some(false), 0),
        (&now, Some(false), 0),
    ];
    let mut cursors = Vec::new();
    for (rv, initial, want) in rows {
        let mut req = ApiRequest::csr(Verb::Watch).list_options(csrsim::api::ListOptions {
            resource_version: rv.to_string(),
            send_initial_events: initial.unwrap_or(false),
            resource_version_match: if initial.is_some() {
                "NotOlderThan"
            } else {
                ""
            }
            .into(),
            ..Default::default()
        });
        req.send_initial_events_given = initial.is_some();
        let ApiResponse::Watch(w) = c.apply(&Identity::admin(), req).unwrap() else {
            panic!("a watch")
        };
        assert_eq!(
            w.initial.len(),
            *want,
            "rv {rv:?} sendInitialEvents {initial:?}"
        );
        cursors.push(w.cursor);
    }
    create(
        &mut c,
        &Identity::admin(),
        csr_body("later", "example.com/x", &["client auth"], &pem),
    )
    .unwrap();
    for (mut cursor, (rv, initial, _)) in cursors.into_iter().zip(rows) {
        let ev = c.watch_poll(&mut cursor).unwrap();
        let names: Vec<_> = ev
            .iter()
            .map(|e| e.object["metadata"]["name"].clone())
            .collect();
        assert_eq!(
            names,
            [json!("later")],
            "rv {rv:?} sendInitialEvents {initial:?}"
        );
    }
}

/// A continue token whose first page is the window's start (etcd's compacted revision, which
/// etcd still reads) lists that snapshot, also of objects last written before the window and
/// changed since: the writes after it keep what they replaced. Before, such a page read the
/// current state (labels and resourceVersions written after the first page, objects created
/// since).
#[test]
fn continued_list_at_the_window_start_reads_its_snapshot() {
    let (mut c, mk) = windowed_cluster_with_a_b_c();
    let all = list_page(&mut c, 10, "", "").unwrap();
    let first = list_page(&mut c, 1, "", "").unwrap();
    let rv0 = first["metadata"]["resourceVersion"].clone();
    let cont = first["metadata"]["continue"].as_str().unwrap().to_string();
    // Three writes: the window (3 events) now starts at the first page's resourceVersion.
    for n in ["b", "c"] {
        c.apply(
            &Identity::admin(),
            ApiRequest::csr(Verb::Patch).name(n).patch(
                csrsim::sim::PatchType::Merge,
                json!({"metadata": {"labels": {"later": "yes"}}}),
            ),
        )
        .unwrap();
    }
    mk(&mut c, "d");
    let p = list_page(&mut c, 10, &cont, "").unwrap();
    assert_eq!(p["metadata"]["resourceVersion"], rv0);
    assert_eq!(p["items"], json!(all["items"].as_array().unwrap()[1..]));
}

/// A limited list: with no selector the page says how many objects follow it
/// (`remainingItemCount`, etcd's range count minus the limit); with one it cannot. At
/// resourceVersion=0 the watch cache answers and ignores the limit (`computeListLimit`).
#[test]
fn remaining_item_count_and_the_cache_ignoring_limits() {
    let mut c = bare_cluster();
    let pem = csr_pem("alice", &[], &[]);
    for n in ["a", "b", "c", "d"] {
        let mut b = csr_body(n, "example.com/x", &["client auth"], &pem);
        b["metadata"]["labels"] = json!({"k": "v"});
        create(&mut c, &Identity::admin(), b).unwrap();
    }
    let p = list_page(&mut c, 1, "", "").unwrap();
    assert_eq!(p["metadata"]["remainingItemCount"], 3);
    let cont = p["metadata"]["continue"].as_str().unwrap().to_string();
    let p = list_page(&mut c, 2, &cont, "").unwrap();
    assert_eq!(p["metadata"]["remainingItemCount"], 1);
    let cont = p["metadata"]["continue"].as_str().unwrap().to_string();
    let p = list_page(&mut c, 2, &cont, "").unwrap();
    assert!(p["metadata"].get("remainingItemCount").is_none(), "{p}");
    assert!(p["metadata"].get("continue").is_none(), "{p}");
    let sel = c
        .apply(
            &Identity::admin(),
            ApiRequest::csr(Verb::List).list_options(csrsim::api::ListOptions {
                limit: Some(1),
                label_selector: "k=v".into(),
                ..Default::default()
            }),
        )
        .map(value)
        .unwrap();
    assert!(sel["metadata"]["continue"].is_string(), "{sel}");
    assert!(sel["metadata"].get("remainingItemCount").is_none(), "{sel}");
    let all = list_page(&mut c, 1, "", "0").unwrap();
    assert_eq!(all["items"].as_array().unwrap().len(), 4);
    assert!(all["metadata"].get("continue").is_none(), "{all}");
}

/// `typed_answer`: an in-process get answers the stored CSR typed — the same object a JSON
/// get renders, through the same authorization, and the same NotFound.
#[test]
fn a_typed_get_answers_what_the_json_get_renders() {
    let mut c = bare_cluster();
    let pem = csr_pem("alice", &["devs"], &[]);
    let body = csr_body("typed", "example.com/signer", &["client auth"], &pem);
    create(&mut c, &Identity::admin(), body).unwrap();
    approve_as(&mut c, &Identity::admin(), "typed", "Approved").unwrap();
    let get = |c: &mut Cluster, who: &Identity, name: &str| {
        c.apply(who, ApiRequest::csr(Verb::Get).name(name).typed_answer())
    };
    let Ok(ApiResponse::Csr(typed)) = get(&mut c, &Identity::admin(), "typed") else {
        panic!("a typed get answers ApiResponse::Csr");
    };
    let json = c
        .apply(&Identity::admin(), ApiRequest::csr(Verb::Get).name("typed"))
        .unwrap()
        .into_value();
    assert_eq!(serde_json::to_value(&*typed).unwrap(), json);
    assert_eq!(
        ApiResponse::Csr(typed.clone()).into_value(),
        json,
        "into_value renders it"
    );
    assert_eq!(typed.status.conditions[0].type_, "Approved");
    let missing = get(&mut c, &Identity::admin(), "nope").unwrap_err();
    assert_eq!(missing.code, 404);
    assert_eq!(
        missing.message,
        r#"certificatesigningrequests.certificates.k8s.io "nope" not found"#
    );
    let nobody = Identity::user("mallory", &["system:authenticated"]);
    let denied = get(&mut c, &nobody, "typed").unwrap_err();
    assert_eq!(denied.code, 403);
}

/// A get with a resourceVersion is served by the watch cache once it is at least that fresh
/// (`Cacher.Get`, `WaitUntilFreshAndGet`): one from the future is the same 504 as a list's;
/// one that is no number is `APIObjectVersioner.ParseResourceVersion`'s storage error, which
/// no status wraps (500, reason unknown).
#[test]
fn get_with_a_resource_version_from_the_cache() {
    let mut c = bare_cluster();
    let pem = csr_pem("alice", &[], &[]);
    create(
        &mut c,
        &Identity::admin(),
        csr_body("a", "example.com/x", &["client auth"], &pem),
    )
    .unwrap();
    let now = c.resource_version();
    let get = |c: &mut Cluster, rv: &str| {
        c.apply(
            &Identity::admin(),
            ApiRequest::csr(Verb::Get)
                .name("a")
                .list_options(csrsim::api::ListOptions {
                    resource_version: rv.into(),
                    ..Default::default()
                }),
        )
        .map(value)
    };
    for rv in ["", "0", "1", &now.to_string()] {
        assert_eq!(get(&mut c, rv).unwrap()["metadata"]["name"], "a", "{rv}");
    }
    let e = get(&mut c, &(now + 1).to_string()).unwrap_err();
    assert_eq!(
        (e.code, e.reason.as_str(), e.message.as_str()),
        (
            504,
            "Timeout",
            format!(
                "Timeout: Too large resource version: {}, current: {now}",
                now + 1
            )
            .as_str()
        )
    );
    for (rv, why) in [
        ("abc", "invalid syntax"),
        ("-1", "invalid syntax"),
        ("99999999999999999999", "value out of range"),
    ] {
        let e = get(&mut c, rv).unwrap_err();
        assert_eq!(
            (e.code, e.reason.as_str(), e.message),
            (
                500,
                "",
                format!(
                    "resourceVersion: Invalid value: \"{rv}\": strconv.ParseUint: parsing \"{rv}\": {why}"
                )
            )
        );
    }
}
