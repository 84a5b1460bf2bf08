//! Hostile input straight into `Cluster::apply`: deep JSON nesting, huge label maps,
//! text that was invalid UTF-8 on the wire, enormous names, garbage resourceVersions and
//! absurd limit/continue values. Each call must come back (no hang: the result is the
//! proof) with a 4xx Status — never a panic, never a 5xx.

mod common;

use csrsim::api::meta::ListOptions;
use csrsim::api::Status;
use csrsim::auth::Identity;
use csrsim::sim::{ApiRequest, ApiResponse, Cluster, PatchType, Verb};
use proptest::prelude::*;
use serde_json::{json, Value};

/// `[[[ ... 1 ... ]]]`, `depth` arrays deep, built without recursion.
fn nested_arrays(depth: usize) -> Value {
    let mut v = json!(1);
    for _ in 0..depth {
        v = Value::Array(vec![v]);
    }
    v
}

/// `{k: v, ...}` moving the values in (`json!` would serialize a copy of them, recursively).
fn obj(pairs: Vec<(&str, Value)>) -> Value {
    Value::Object(pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
}

/// The body every deep-nesting test sends: `{"metadata": {"name": "c1"}, "spec": {"x": deep}}`.
fn deep_body(deep: Value) -> Value {
    obj(vec![
        ("metadata", json!({"name": "c1"})),
        ("spec", obj(vec![("x", deep)])),
    ])
}

/// Alternating arrays and objects, `depth` deep.
fn nested_mixed(depth: usize) -> Value {
    let mut v = json!("leaf");
    for i in 0..depth {
        v = if i % 2 == 0 {
            Value::Array(vec![v])
        } else {
            obj(vec![("k", v)])
        };
    }
    v
}

fn is_4xx(r: &Result<ApiResponse, Status>) -> bool {
    matches!(r, Err(s) if (400..500).contains(&s.code))
}

/// Ok, or a 4xx; a 5xx is a failure with its message.
fn ok_or_4xx(r: &Result<ApiResponse, Status>) -> Result<(), TestCaseError> {
    match r {
        // The 5xx upstream answers to a request itself: a list or watch at a resourceVersion
        // newer than the store's is the watch cache's 504 once it has waited for it; one
        // that is no number is `APIObjectVersioner`'s bare storage error (500).
        Err(s) if upstream_rv_5xx(s) => Ok(()),
        Err(s) if !(400..500).contains(&s.code) => Err(TestCaseError::fail(format!(
            "{} {}: {}",
            s.code, s.reason, s.message
        ))),
        _ => Ok(()),
    }
}

/// Upstream's own 5xx answers to a resourceVersion: the watch cache's 504 for one from the
/// future; for one that is no number, the storage error `APIObjectVersioner` returns, which
/// no status wraps (500, no reason).
fn upstream_rv_5xx(s: &Status) -> bool {
    (s.code == 504
        && s.message
            .starts_with("Timeout: Too large resource version:"))
        || (s.code == 500
            && s.reason.is_empty()
            && (s.message.starts_with("resourceVersion: Invalid value: ")
                || s.message.starts_with("strconv.ParseUint: parsing ")))
}

fn expect_4xx(r: Result<ApiResponse, Status>, what: &str) -> Status {
    match r {
        Err(s) if (400..500).contains(&s.code) => s,
        Err(s) => panic!("{what}: {} {}: {}", s.code, s.reason, s.message),
        Ok(v) => panic!("{what}: expected a 4xx, got {v:?}"),
    }
}

/// A cluster holding one CSR `c1` and one Secret `default/s1`.
fn seeded() -> Cluster {
    let mut c = common::bare_cluster();
    let pem = common::csr_pem("alice", &[], &[]);
    common::create(
        &mut c,
        &Identity::admin(),
        common::csr_body("c1", "example.com/s", &["client auth"], &pem),
    )
    .expect("csr");
    c.apply(
        &Identity::admin(),
        ApiRequest::new(Verb::Create, "", "secrets")
            .namespace("default")
            .body(json!({"metadata": {"name": "s1"}, "stringData": {"a": "b"}})),
    )
    .expect("secret");
    c
}

/// Every way a body reaches the core: create, update, the three patch types, a review.
/// `make` builds a fresh body per request: a deep body is never cloned, serialized or
/// dropped by the test itself (all recurse), only handed to `Cluster::apply`.
fn body_requests(make: &dyn Fn() -> Value) -> Vec<ApiRequest> {
    let csr_update = || ApiRequest::csr(Verb::Update).name("c1").body(make());
    vec![
        ApiRequest::csr(Verb::Create).body(make()),
        csr_update(),
        csr_update().subresource("status"),
        csr_update().subresource("approval"),
        ApiRequest::csr(Verb::Patch)
            .name("c1")
            .patch(PatchType::Merge, make()),
        ApiRequest::csr(Verb::Patch)
            .name("c1")
            .patch(PatchType::StrategicMerge, make()),
        ApiRequest::csr(Verb::Patch).name("c1").patch(
            PatchType::Json,
            Value::Array(vec![obj(vec![
                ("op", json!("add")),
                ("path", json!("/spec/x")),
                ("value", make()),
            ])]),
        ),
        ApiRequest::new(Verb::Create, "", "secrets")
            .namespace("default")
            .body(make()),
        ApiRequest::new(Verb::Create, "rbac.authorization.k8s.io", "clusterroles").body(make()),
        ApiRequest::new(
            Verb::Create,
            "authorization.k8s.io",
            "selfsubjectaccessreviews",
        )
        .body(make()),
    ]
}

// ---------------------------------------------------------------- deep nesting

/// 10,000 nested arrays in a body: 400 "exceeded max depth" on every path, as admin and as
/// an unprivileged user (who is refused earlier or at the same check, never with a 5xx).
#[test]
fn ten_thousand_nested_arrays_are_a_400_everywhere() {
    let mut c = seeded();
    let make = || deep_body(nested_arrays(10_000));
    for who in [Identity::admin(), Identity::user("alice", &[])] {
        for req in body_requests(&make) {
            let what = format!("{} {:?} {}", who.user, req.verb, req.resource);
            let s = expect_4xx(c.apply(&who, req), &what);
            assert_eq!(s.code, 400, "{what}: {s:?}");
            assert!(
                s.message.contains("exceeded max depth"),
                "{what}: {}",
                s.message
            );
        }
    }
    // Nothing changed.
    assert_eq!(c.list_csrs().len(), 1);
}

/// On the wire the same body never becomes a Value: serde_json stops at 128 levels.
#[test]
fn ten_thousand_nested_arrays_do_not_parse_from_bytes() {
    let text = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let e = serde_json::from_str::<Value>(&text).unwrap_err();
    assert!(e.to_string().contains("recursion limit exceeded"), "{e}");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// Any nesting depth, arrays and objects mixed: accepted only up to the limit, a 400
    /// beyond it, never a 5xx.
    #[test]
    fn any_nesting_depth_is_ok_or_4xx(depth in 1usize..3_000, mixed in any::<bool>()) {
        let mut c = seeded();
        let make = || {
            deep_body(if mixed { nested_mixed(depth) } else { nested_arrays(depth) })
        };
        // Every request is handed to the cluster before any assertion can return early
        // (dropping an unsent deep body in the test would recurse).
        let mut bad = Vec::new();
        for req in body_requests(&make) {
            let what = format!("{:?} {} {:?}", req.verb, req.resource, req.patch_type);
            let r = c.apply(&Identity::admin(), req);
            if ok_or_4xx(&r).is_err()
                || (depth + 2 > csrsim::api::depth::MAX_JSON_DEPTH && !is_4xx(&r))
            {
                bad.push(format!("{what}: {:?}", r.map(|_| ())));
            }
        }
        prop_assert!(bad.is_empty(), "{:?}", bad);
    }
}

// ---------------------------------------------------------------- huge label maps

/// 20,000 labels with invalid keys: one 422 listing the causes, on CSRs and Secrets.
#[test]
fn huge_invalid_label_map_is_a_422() {
    let mut c = seeded();
    let labels: serde_json::Map<String, Value> = (0..20_000)
        .map(|i| (format!("bad key {i}/"), json!("v")))
        .collect();
    let pem = common::csr_pem("alice", &[], &[]);
    let mut csr = common::csr_body("c2", "example.com/s", &["client auth"], &pem);
    csr["metadata"]["labels"] = Value::Object(labels.clone());
    let s = expect_4xx(
        c.apply(&Identity::admin(), ApiRequest::csr(Verb::Create).body(csr)),
        "csr",
    );
    assert_eq!(s.code, 422, "{s:?}");
    let secret = json!({"metadata": {"name": "s2", "labels": labels}});
    let s = expect_4xx(
        c.apply(
            &Identity::admin(),
            ApiRequest::new(Verb::Create, "", "secrets")
                .namespace("default")
                .body(secret),
        ),
        "secret",
    );
    assert_eq!(s.code, 422, "{s:?}");
    let causes = s.details.map(|d| d.causes.len()).unwrap_or(0);
    assert!(causes >= 20_000, "{causes} causes");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    /// Big label maps with arbitrary keys and values, then a list with an arbitrary label
    /// selector: Ok or 4xx; a map with an invalid key is a 422.
    #[test]
    fn big_label_maps_are_ok_or_4xx(
        labels in prop::collection::btree_map(".{0,80}", ".{0,80}", 0..400),
        n_valid in 0usize..3_000,
        selector in ".{0,200}",
    ) {
        let mut c = seeded();
        let mut map: serde_json::Map<String, Value> =
            labels.iter().map(|(k, v)| (k.clone(), json!(v))).collect();
        for i in 0..n_valid {
            map.insert(format!("example.com/k{i}"), json!(format!("v{i}")));
        }
        let body = json!({"metadata": {"name": "s2", "labels": map}});
        let r = c.apply(
            &Identity::admin(),
            ApiRequest::new(Verb::Create, "", "secrets").namespace("default").body(body),
        );
        ok_or_4xx(&r)?;
        let all_valid = csrsim::validation::meta::validate_object_meta(
            &csrsim::api::ObjectMeta {
                name: "s2".into(),
                namespace: "default".into(),
                labels: labels.clone(),
                ..Default::default()
            },
            true,
        )
        .is_empty();
        if !all_valid {
            prop_assert!(matches!(&r, Err(s) if s.code == 422), "{:?}", r);
        }
        let r = c.apply(
            &Identity::user("alice", &[]),
            ApiRequest::new(Verb::List, "", "secrets")
                .namespace("default")
                .list_options(ListOptions { label_selector: selector.clone(), ..Default::default() }),
        );
        ok_or_4xx(&r)?;
        let r = c.apply(
            &Identity::admin(),
            ApiRequest::new(Verb::List, "", "secrets")
                .list_options(ListOptions { label_selector: selector, ..Default::default() }),
        );
        ok_or_4xx(&r)?;
    }
}

// ---------------------------------------------------------------- invalid UTF-8

/// Invalid UTF-8 never becomes a Value (serde_json refuses it, and lone surrogates), and
/// what a lossy driver would pass (U+FFFD) is rejected by validation as a 4xx.
#[test]
fn invalid_utf8_is_refused_or_4xx() {
    let raw: &[u8] = b"{\"metadata\":{\"name\":\"a\xff\xfeb\"}}";
    assert!(serde_json::from_slice::<Value>(raw).is_err());
    assert!(serde_json::from_str::<Value>(r#"{"metadata":{"name":"\ud800"}}"#).is_err());
    let lossy: Value = serde_json::from_str(&String::from_utf8_lossy(raw)).unwrap();
    let mut c = seeded();
    let pem = common::csr_pem("alice", &[], &[]);
    let mut csr = common::csr_body("x", "example.com/\u{fffd}", &["client auth"], &pem);
    csr["metadata"] = lossy["metadata"].clone();
    let s = expect_4xx(
        c.apply(&Identity::admin(), ApiRequest::csr(Verb::Create).body(csr)),
        "csr",
    );
    assert_eq!(s.code, 422, "{s:?}");
    let secret = json!({"metadata": lossy["metadata"], "data": {"\u{fffd}": "AA=="}});
    let s = expect_4xx(
        c.apply(
            &Identity::admin(),
            ApiRequest::new(Verb::Create, "", "secrets")
                .namespace("default")
                .body(secret),
        ),
        "secret",
    );
    assert_eq!(s.code, 422, "{s:?}");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Arbitrary Unicode (what survives a lossy decode of any bytes) in every string field of
    /// a CSR and in the request's name, namespace and selectors: Ok or 4xx.
    #[test]
    fn arbitrary_text_in_string_fields_is_ok_or_4xx(
        bytes in prop::collection::vec(any::<u8>(), 0..64),
        s in "\\PC{0,40}",
    ) {
        let t = String::from_utf8_lossy(&bytes).into_owned();
        let mut c = seeded();
        let pem = common::csr_pem("alice", &[], &[]);
        let mut csr = common::csr_body(&t, &s, &[t.as_str(), "client auth"], &pem);
        csr["spec"]["username"] = json!(t);
        csr["spec"]["groups"] = json!([s, t]);
        csr["spec"]["extra"] = json!({ t.clone(): [s.clone()] });
        csr["metadata"]["labels"] = json!({ s.clone(): t.clone() });
        csr["metadata"]["annotations"] = json!({ t.clone(): s.clone() });
        for who in [Identity::admin(), Identity::node(&t), Identity::user(&s, &[&t])] {
            ok_or_4xx(&c.apply(&who, ApiRequest::csr(Verb::Create).body(csr.clone())))?;
            ok_or_4xx(&c.apply(&who, ApiRequest::csr(Verb::Get).name(&t)))?;
            ok_or_4xx(&c.apply(&who, ApiRequest::csr(Verb::Delete).name(&s)))?;
            ok_or_4xx(&c.apply(&who, ApiRequest::new(Verb::Get, "", "secrets").namespace(&t).name(&s)))?;
            ok_or_4xx(&c.apply(&who, ApiRequest::csr(Verb::List).list_options(ListOptions {
                label_selector: t.clone(),
                field_selector: format!("metadata.name={s}"),
                ..Default::default()
            })))?;
            ok_or_4xx(&c.apply(&who, ApiRequest::csr(Verb::Watch).list_options(ListOptions {
                label_selector: s.clone(),
                field_selector: t.clone(),
                ..Default::default()
            })))?;
        }
    }
}

// ---------------------------------------------------------------- enormous names

/// A 1 MiB name (and namespace) on every verb: 4xx, never a panic.
#[test]
fn enormous_names_are_4xx() {
    let mut c = seeded();
    let huge = "a".repeat(1 << 20);
    let pem = common::csr_pem("alice", &[], &[]);
    let body = common::csr_body(&huge, "example.com/s", &["client auth"], &pem);
    let s = expect_4xx(
        c.apply(
            &Identity::admin(),
            ApiRequest::csr(Verb::Create).body(body.clone()),
        ),
        "create",
    );
    // CSR names are free-form upstream (`ValidateCertificateRequestName` accepts anything);
    // the object is refused by the store's request size limit (etcd: 1.5 MiB).
    assert_eq!(s.code, 413, "{}", &s.message[..200.min(s.message.len())]);
    let half = "b".repeat(800 * 1024);
    let s = expect_4xx(
        c.apply(
            &Identity::admin(),
            ApiRequest::csr(Verb::Create).body(common::csr_body(
                &half,
                "example.com/s",
                &["client auth"],
                &pem,
            )),
        ),
        "create 800 KiB name (stored twice: key and object)",
    );
    assert_eq!(s.code, 413);
    // generateName is cut to 58 characters before the random suffix: accepted.
    let mut gen = body.clone();
    gen["metadata"] = json!({"generateName": huge});
    let created = c
        .apply(&Identity::admin(), ApiRequest::csr(Verb::Create).body(gen))
        .expect("generateName is truncated")
        .into_value();
    assert_eq!(created["metadata"]["name"].as_str().unwrap().len(), 63);
    for verb in [Verb::Get, Verb::Delete] {
        let s = expect_4xx(
            c.apply(&Identity::admin(), ApiRequest::csr(verb).name(&huge)),
            "get/delete",
        );
        assert_eq!(s.code, 404);
    }
    let s = expect_4xx(
        c.apply(
            &Identity::admin(),
            ApiRequest::csr(Verb::Update).name(&huge).body(body.clone()),
        ),
        "update",
    );
    assert_eq!(s.code, 404);
    let s = expect_4xx(
        c.apply(
            &Identity::admin(),
            ApiRequest::csr(Verb::Patch)
                .name(&huge)
                .patch(PatchType::Merge, json!({})),
        ),
        "patch",
    );
    assert_eq!(s.code, 404);
    let s = expect_4xx(
        c.apply(
            &Identity::admin(),
            ApiRequest::new(Verb::Create, "", "secrets")
                .namespace(&huge)
                .body(json!({"metadata": {"name": huge}})),
        ),
        "secret in huge namespace",
    );
    assert!(s.code == 404 || s.code == 422, "{}", s.code);
    let r = c.apply(
        &Identity::user("alice", &[]),
        ApiRequest::new(Verb::Get, "", "secrets")
            .namespace(&huge)
            .name(&huge),
    );
    assert_eq!(expect_4xx(r, "alice get").code, 403);
    // A selector naming it lists nothing.
    let r = c
        .apply(
            &Identity::admin(),
            ApiRequest::csr(Verb::List).list_options(ListOptions {
                field_selector: format!("metadata.name={huge}"),
                ..Default::default()
            }),
        )
        .expect("list");
    assert_eq!(r.into_value()["items"], json!([]));
}

// ---------------------------------------------------------------- resourceVersion garbage

/// Garbage resourceVersions on update, patch, list and watch get upstream's answers, which
/// depend on who reads the text (`APIObjectVersioner.ParseResourceVersion`, Go's
/// `strconv.ParseUint`): the watch cache (a list it serves, a watch) hands back the storage
/// error as is, a 500 of no reason (kubernetes/kubernetes#113939 shows it for a watch); the
/// etcd3 store (`Exact`, the legacy exact read with a limit) wraps it in a 400; `Store.Update`
/// returns the bare `strconv` error (500). The CSR is never touched.
#[test]
fn garbage_resource_versions_get_upstreams_answers() {
    let mut c = seeded();
    let csr = serde_json::to_value(common::get(&mut c, "c1")).unwrap();
    let opts = |rv: &str, limit: Option<i64>, m: &str, initial: bool| ListOptions {
        resource_version: rv.to_string(),
        limit,
        resource_version_match: m.to_string(),
        send_initial_events: initial,
        ..Default::default()
    };
    for (rv, quoted, why) in [
        ("abc", "\"abc\"", "invalid syntax"),
        ("-1", "\"-1\"", "invalid syntax"),
        ("1e3", "\"1e3\"", "invalid syntax"),
        ("0x10", "\"0x10\"", "invalid syntax"),
        (" 1", "\" 1\"", "invalid syntax"),
        ("1 ", "\"1 \"", "invalid syntax"),
        ("+1", "\"+1\"", "invalid syntax"),
        (
            "18446744073709551616",
            "\"18446744073709551616\"",
            "value out of range",
        ),
        (
            "99999999999999999999999999999999",
            "\"99999999999999999999999999999999\"",
            "value out of range",
        ),
        ("\u{0}", "\"\\x00\"", "invalid syntax"),
        ("１", "\"１\"", "invalid syntax"),
        ("NaN", "\"NaN\"", "invalid syntax"),
    ] {
        let strconv = format!("strconv.ParseUint: parsing {quoted}: {why}");
        let storage = format!("resourceVersion: Invalid value: {quoted}: {strconv}");
        let etcd = format!("invalid resource version: {storage}");
        let mut body = csr.clone();
        body["metadata"]["resourceVersion"] = json!(rv);
        let cases: Vec<(&str, ApiRequest, u16, &str, &str)> = vec![
            (
                "update",
                ApiRequest::csr(Verb::Update).name("c1").body(body.clone()),
                500,
                "",
                &strconv,
            ),
            (
                "patch",
                ApiRequest::csr(Verb::Patch).name("c1").patch(
                    PatchType::Merge,
                    json!({"metadata": {"resourceVersion": rv}}),
                ),
                500,
                "",
                &strconv,
            ),
            (
                "list",
                ApiRequest::csr(Verb::List).list_options(opts(rv, None, "", false)),
                500,
                "",
                &storage,
            ),
            (
                "list NotOlderThan",
                ApiRequest::csr(Verb::List).list_options(opts(rv, Some(1), "NotOlderThan", false)),
                500,
                "",
                &storage,
            ),
            (
                "list with a limit",
                ApiRequest::csr(Verb::List).list_options(opts(rv, Some(1), "", false)),
                400,
                "BadRequest",
                &etcd,
            ),
            (
                "list Exact",
                ApiRequest::csr(Verb::List).list_options(opts(rv, None, "Exact", false)),
                400,
                "BadRequest",
                &etcd,
            ),
            (
                "watch",
                ApiRequest::csr(Verb::Watch).list_options(opts(rv, None, "", false)),
                500,
                "",
                &storage,
            ),
            (
                "watch list",
                {
                    let mut r = ApiRequest::csr(Verb::Watch).list_options(opts(
                        rv,
                        None,
                        "NotOlderThan",
                        true,
                    ));
                    r.send_initial_events_given = true;
                    r
                },
                500,
                "",
                &storage,
            ),
        ];
        for (what, req, code, reason, message) in cases {
            let s = c
                .apply(&Identity::admin(), req)
                .expect_err(&format!("{what} rv {rv:?}"));
            assert_eq!(
                (s.code, s.reason.as_str(), s.message.as_str()),
                (code, reason, message),
                "{what} rv {rv:?}"
            );
        }
    }
    // The CSR is untouched.
    assert_eq!(
        serde_json::to_value(common::get(&mut c, "c1")).unwrap(),
        csr
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    /// Any resourceVersion text, any limit, any continue token, any watch timeout: Ok or
    /// 4xx on update, list, watch, deletecollection; a watch cursor from it polls cleanly.
    #[test]
    fn any_rv_limit_continue_is_ok_or_4xx(
        rv in prop_oneof![".{0,30}", any::<u64>().prop_map(|n| n.to_string()), Just(String::new())],
        limit in prop_oneof![any::<i64>(), Just(i64::MIN), Just(i64::MAX), Just(0i64), Just(-1i64)],
        cont in prop_oneof![
            ".{0,60}",
            "[A-Za-z0-9_=-]{0,80}",
            ".{0,60}".prop_map(|s| {
                use base64::Engine;
                base64::engine::general_purpose::URL_SAFE.encode(s)
            }),
            (any::<u64>(), ".{0,40}").prop_map(|(rv, start)| {
                use base64::Engine;
                base64::engine::general_purpose::URL_SAFE
                    .encode(json!({"v": "meta.k8s.io/v1", "rv": rv, "start": start}).to_string())
            }),
        ],
        timeout in any::<i64>(),
    ) {
        let mut c = seeded();
        let mut body = serde_json::to_value(common::get(&mut c, "c1")).unwrap();
        body["metadata"]["resourceVersion"] = json!(rv);
        ok_or_4xx(&c.apply(&Identity::admin(), ApiRequest::csr(Verb::Update).name("c1").body(body)))?;
        let opts = ListOptions {
            resource_version: rv.clone(),
            limit: Some(limit),
            continue_: cont.clone(),
            timeout_seconds: Some(timeout),
            allow_watch_bookmarks: true,
            ..Default::default()
        };
        for who in [Identity::admin(), Identity::user("alice", &[])] {
            ok_or_4xx(&c.apply(&who, ApiRequest::csr(Verb::List).list_options(opts.clone())))?;
            ok_or_4xx(&c.apply(
                &who,
                ApiRequest::new(Verb::List, "", "secrets").list_options(opts.clone()),
            ))?;
            let w = c.apply(&who, ApiRequest::csr(Verb::Watch).list_options(opts.clone()));
            ok_or_4xx(&w)?;
            if let Ok(ApiResponse::Watch(mut ws)) = w {
                let r = c.watch_poll(&mut ws.cursor);
                prop_assert!(!matches!(&r, Err(s) if s.code >= 500), "{:?}", r);
                let _ = c.bookmark(&ws.cursor);
            }
        }
        ok_or_4xx(&c.apply(
            &Identity::user("alice", &[]),
            ApiRequest::csr(Verb::DeleteCollection).list_options(opts),
        ))?;
        // Any continue token that is not one of ours is a 400 on its own.
        if !cont.is_empty() {
            let r = c.apply(&Identity::admin(), ApiRequest::csr(Verb::List).list_options(ListOptions {
                continue_: cont,
                ..Default::default()
            }));
            ok_or_4xx(&r)?;
        }
    }
}

/// A "billion laughs" YAML body: `levels` anchors, each a list of ten aliases of the one
/// before (10^levels leaves once expanded), then a CSR whose spec holds the last one.
fn yaml_alias_bomb(levels: usize) -> String {
    let mut y = String::from("apiVersion: certificates.k8s.io/v1\nkind: CertificateSigningRequest\nmetadata:\n  name: lol\n  annotations:\n    l0: &l0 \"lol\"\n");
    for i in 1..=levels {
        let prev = format!("*l{}", i - 1);
        let items = [prev.as_str(); 10].join(", ");
        y.push_str(&format!("    l{i}: &l{i} [{items}]\n"));
    }
    y.push_str(&format!("spec:\n  request: *l{levels}\n"));
    y
}

/// CVE-2019-11253: go-yaml refuses a document whose aliases expand without bound; the
/// apiserver answers 400 ("yaml: document contains excessive aliasing"). Here the expansion
/// stops at `MAX_YAML_ALIAS_REPLAYED_EVENTS` on create/update bodies and apply patches.
#[test]
fn yaml_alias_bomb_is_a_400_for_bodies_and_apply_patches() {
    use csrsim::server::negotiation::{decode_object, decode_patch, EXCESSIVE_ALIASING};
    let bomb = yaml_alias_bomb(10);
    assert!(bomb.len() < 2_000, "a small body: {} bytes", bomb.len());
    let want = format!("error decoding request body: {EXCESSIVE_ALIASING}");
    for ct in ["application/yaml", "application/yaml; charset=utf-8"] {
        let st = decode_object(ct, bomb.as_bytes()).expect_err("bomb refused");
        assert_eq!(
            (st.code, st.reason.as_str(), st.message.as_str()),
            (400, "BadRequest", want.as_str()),
            "{ct}"
        );
    }
    let st = decode_patch(PatchType::Apply, bomb.as_bytes()).expect_err("bomb refused");
    assert_eq!((st.code, st.message.as_str()), (400, want.as_str()));
    // Aliases within the limit still decode (3 levels: 1,000 leaves).
    let small = decode_object("application/yaml", yaml_alias_bomb(3).as_bytes()).unwrap();
    assert_eq!(small["spec"]["request"][9][9][9], "lol");
    assert_eq!(small["metadata"]["annotations"]["l0"], "lol");
}
