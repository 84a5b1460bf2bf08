//! Every crash, panic or 5xx the fuzz targets in `fuzz/` found, replayed with the exact
//! input, asserting a clean error or a 4xx Status. Scripts use the `api_apply` format
//! (`fuzz/script.rs`), which this file shares with the fuzz target.

mod common;
#[path = "../fuzz/script.rs"]
mod script;

use csrsim::api::Time;
use csrsim::auth::Identity;
use csrsim::registry::patch;
use csrsim::sim::{ApiRequest, PatchType, Verb};
use serde_json::{json, Value};

/// Expect the last request of a script to fail with `code`; no request may 5xx or panic.
fn last_status(text: &str) -> csrsim::api::Status {
    let out = script::run(text).expect("no 5xx");
    match out.into_iter().last().expect("a request ran") {
        Ok(r) => panic!("expected an error, got {r:?}"),
        Err(s) => s,
    }
}

/// fuzz/artifacts/time_rfc3339/crash-35b898887f6fd7289336b7da2e5f0052adabbee9: the input
/// `0001-01-01T00:00:00Z`, whose first 8 bytes as an i64 are year ~10^11. humantime refused
/// years past 9999 and `to_string` panicked ("a Display implementation returned an error").
#[test]
fn time_crash_35b89888_formats_far_future() {
    let data = b"0001-01-01T00:00:00Z";
    let secs = i64::from_le_bytes(data[..8].try_into().unwrap());
    let t = Time::from_unix(secs);
    let s = t.to_rfc3339();
    assert!(s.ends_with('Z') && s.len() > 20, "{s}");
    assert_eq!(serde_json::to_value(t).unwrap(), json!(s));
    // The text itself still parses.
    assert_eq!(
        Time::parse_rfc3339("0001-01-01T00:00:00Z")
            .unwrap()
            .to_rfc3339(),
        "0001-01-01T00:00:00Z"
    );
}

/// The same bug through the API: a condition time with a negative offset on 9999-12-31
/// parsed to an instant in year 10000, and serializing the CSR panicked inside
/// `Cluster::apply` ("wire types always serialize"). Now the time does not parse: 400.
#[test]
fn condition_time_past_year_9999_is_a_400_not_a_panic() {
    let mut c = common::bare_cluster();
    let pem = common::csr_pem("alice", &[], &[]);
    let body = common::csr_body("c1", "example.com/s", &["client auth"], &pem);
    common::create(&mut c, &Identity::admin(), body).expect("create");
    let mut csr = serde_json::to_value(common::get(&mut c, "c1")).unwrap();
    csr["status"] = json!({"conditions": [{
        "type": "Approved", "status": "True", "reason": "R", "message": "m",
        "lastUpdateTime": "9999-12-31T23:59:59-01:00",
        "lastTransitionTime": "9999-12-31T23:59:59-01:00"
    }]});
    let e = c
        .apply(
            &Identity::admin(),
            ApiRequest::csr(Verb::Update)
                .name("c1")
                .subresource("approval")
                .body(csr),
        )
        .unwrap_err();
    assert_eq!(e.code, 400, "{e:?}");
    assert!(
        e.message.starts_with(
            "CertificateSigningRequest in version \"v1\" cannot be handled as a CertificateSigningRequest: "
        ),
        "{}",
        e.message
    );
    assert!(
        e.message.contains("invalid RFC 3339 timestamp"),
        "{}",
        e.message
    );
}

/// A JSON patch whose `copy` operations double the document: exponential memory before,
/// now a 422 once the copies add 3 MiB (upstream `AccumulatedCopySizeLimit`).
#[test]
fn json_patch_copy_doubling_is_a_422() {
    let ops: Vec<Value> = (0..80)
        .map(|_| json!({"op": "copy", "from": "/spec", "path": "/spec/usages/-"}))
        .collect();
    let text = format!(
        "create secrets admin default - {{\"metadata\":{{\"name\":\"s\",\"labels\":{{\"a\":\"b\"}}}}}}\n\
         create csr admin - - {}\n\
         jsonpatch csr admin - c1 {}\n",
        common::csr_body("c1", "example.com/s", &["client auth"], &common::csr_pem("a", &[], &[])),
        Value::Array(ops)
    );
    let e = last_status(&text);
    assert_eq!(e.code, 422, "{e:?}");
    // apiserver answers json-patch's copy limit with the generic 422 text.
    assert_eq!(
        e.message,
        "the server rejected our request due to an error in our request"
    );
}

/// A patch producing an object nested deeper than the store can read back: before, it was
/// written and every later GET answered 500 (serde_json's 128-level read limit). The depth is
/// checked on the patched object before its decoding drops fields the kind does not have.
#[test]
fn json_patch_nesting_past_the_limit_is_a_400() {
    use csrsim::api::depth::MAX_JSON_DEPTH;
    let nest = |levels: usize| {
        let mut v = json!("x");
        for _ in 0..levels - 1 {
            v = json!([v]);
        }
        v
    };
    // `{"extra": deep}` nests exactly MAX_JSON_DEPTH levels: accepted.
    let deep = nest(MAX_JSON_DEPTH - 1);
    let mut c = common::bare_cluster();
    let secret = json!({"metadata": {"name": "s"}, "data": {}});
    c.apply(
        &Identity::admin(),
        ApiRequest::new(Verb::Create, "", "secrets")
            .namespace("default")
            .body(secret),
    )
    .expect("create");
    let patch_as = |c: &mut csrsim::sim::Cluster, t: PatchType, p: Value| {
        c.apply(
            &Identity::admin(),
            ApiRequest::new(Verb::Patch, "", "secrets")
                .namespace("default")
                .name("s")
                .patch(t, p),
        )
    };
    patch_as(&mut c, PatchType::Merge, json!({"extra": deep.clone()})).expect("at the limit");
    // A JSON patch document within the limit whose result is not: it adds a value of half the
    // limit plus 10 levels, then copies it into itself half the limit deep.
    let half = nest(MAX_JSON_DEPTH / 2 + 10);
    let into = format!("/extra{}/-", "/0".repeat(MAX_JSON_DEPTH / 2));
    let e = patch_as(
        &mut c,
        PatchType::Json,
        json!([{"op": "add", "path": "/extra", "value": half},
               {"op": "copy", "from": "/extra", "path": into}]),
    )
    .unwrap_err();
    assert_eq!(e.code, 400, "{e:?}");
    assert!(e.message.contains("exceeded max depth"), "{}", e.message);
    // The object is unchanged and still readable; Secret has no `extra` field, so none was
    // stored.
    let got = c
        .apply(
            &Identity::admin(),
            ApiRequest::new(Verb::Get, "", "secrets")
                .namespace("default")
                .name("s"),
        )
        .expect("get")
        .into_value();
    assert!(got.get("extra").is_none(), "{got}");
    // And the patch functions alone never panic on it.
    assert!(patch::apply(PatchType::Merge, &got, &json!({"extra": deep}), false).is_ok());
}

/// Found by tests/hostile_input.rs: `resourceVersion=+1` was accepted on list, watch and
/// update (Rust's `u64::from_str` takes a `+`; Go's `strconv.ParseUint` does not). Upstream
/// refuses it where it reads it: the watch cache (this list and watch) with the bare storage
/// error, `Store.Update` with the bare `strconv` error, both 500s of no reason.
#[test]
fn resource_version_with_a_plus_sign_is_refused() {
    for (line, rv) in [
        ("list csr admin - - {\"resourceVersion\":\"+1\"}", "+1"),
        ("watch csr admin - - {\"resourceVersion\":\"+1\"}", "+1"),
        (
            "list secrets admin kube-system - {\"resourceVersion\":\"+0\"}",
            "+0",
        ),
    ] {
        let e = last_status(line);
        assert_eq!(
            (e.code, e.reason.as_str(), e.message),
            (
                500,
                "",
                format!(
                    "resourceVersion: Invalid value: \"{rv}\": strconv.ParseUint: parsing \"{rv}\": invalid syntax"
                )
            ),
            "{line}"
        );
    }
    let e = last_status(
        "create secrets admin default - {\"metadata\":{\"name\":\"s\"}}\n\
         update secrets admin default s {\"metadata\":{\"name\":\"s\",\"resourceVersion\":\"+1\"}}",
    );
    assert_eq!(
        (e.code, e.reason.as_str(), e.message.as_str()),
        (500, "", "strconv.ParseUint: parsing \"+1\": invalid syntax")
    );
}

/// Found by tests/hostile_input.rs: a CSR with a 1 MiB name (CSR names are free-form) was
/// stored; etcd would refuse the put. Now a 413 from the store's size limit.
#[test]
fn object_over_the_etcd_request_limit_is_a_413() {
    let name = "n".repeat(1 << 20);
    let text = format!(
        "create csr admin - - {}",
        common::csr_body(
            &name,
            "example.com/s",
            &["client auth"],
            &common::csr_pem("a", &[], &[])
        )
    );
    let e = last_status(&text);
    assert_eq!(e.code, 413, "{}", e.reason);
    assert_eq!(
        e.message,
        "Request entity too large: etcdserver: request is too large"
    );
}
