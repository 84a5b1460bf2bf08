//! The real `csrsim serve` binary over HTTPS: restart persistence, the clock endpoint,
//! authentication outcomes and malformed requests (each a 4xx Status, server stays healthy).
#![allow(clippy::disallowed_methods)] // edge: tests use the wall clock and OS randomness

mod server_support;

use serde_json::{json, Value};
use server_support::{sh, Server, KUBECTL};

const C: &str = "/apis/certificates.k8s.io/v1/certificatesigningrequests";

fn csr_body(dir: &std::path::Path, name: &str) -> Vec<u8> {
    use base64::Engine;
    sh(dir, &format!("openssl req -new -newkey rsa:2048 -nodes -keyout {name}.key -out {name}.csr -subj '/CN={name}' 2>/dev/null"), &[]);
    let pem = std::fs::read(dir.join(format!("{name}.csr"))).unwrap();
    json!({"apiVersion": "certificates.k8s.io/v1", "kind": "CertificateSigningRequest", "metadata": {"name": name},
        "spec": {"request": base64::engine::general_purpose::STANDARD.encode(pem), "signerName": "kubernetes.io/kube-apiserver-client", "usages": ["client auth"]}})
    .to_string()
    .into_bytes()
}

fn status(body: &str) -> Value {
    let v: Value = serde_json::from_str(body).unwrap_or_else(|e| panic!("not JSON ({e}): {body}"));
    assert_eq!(v["kind"], "Status", "{body}");
    assert_eq!(v["apiVersion"], "v1", "{body}");
    v
}

#[test]
fn restart_keeps_objects_rv_ca_and_clock() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let mut s = Server::start(
        d,
        &["--clock", "virtual", "--start-time", "2030-06-01T00:00:00Z"],
    );
    assert_eq!(s.clock(), "2030-06-01T00:00:00Z");
    let (code, body) = s.curl(
        "POST",
        C,
        &[],
        Some(("application/json", &csr_body(d, "keep"))),
    );
    assert_eq!(code, 201, "{body}");
    let created: Value = serde_json::from_str(&body).unwrap();
    let rv1: u64 = created["metadata"]["resourceVersion"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(
        created["metadata"]["creationTimestamp"],
        "2030-06-01T00:00:00Z"
    );
    assert_eq!(s.advance("2h"), "2030-06-01T02:00:00Z");
    let ca_before = std::fs::read_to_string(d.join("ca.crt")).unwrap();
    assert_eq!(
        s.stop(),
        Some(0),
        "clean exit on SIGTERM; log:\n{}",
        s.log()
    );

    let s = Server::start(
        d,
        &["--clock", "virtual", "--start-time", "2030-06-01T00:00:00Z"],
    );
    assert_eq!(
        s.clock(),
        "2030-06-01T02:00:00Z",
        "virtual clock resumes where it stopped"
    );
    assert_eq!(
        std::fs::read_to_string(d.join("ca.crt")).unwrap(),
        ca_before,
        "same CA after restart"
    );
    let (code, body) = s.curl("GET", &format!("{C}/keep"), &[], None);
    assert_eq!(code, 200, "{body}");
    let got: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        got["metadata"]["resourceVersion"]
            .as_str()
            .unwrap()
            .parse::<u64>()
            .unwrap(),
        rv1
    );
    assert_eq!(got["metadata"]["uid"], created["metadata"]["uid"]);
    // resourceVersions keep increasing
    let (code, body) = s.curl(
        "POST",
        C,
        &[],
        Some(("application/json", &csr_body(d, "after"))),
    );
    assert_eq!(code, 201, "{body}");
    let rv2: u64 = serde_json::from_str::<Value>(&body).unwrap()["metadata"]["resourceVersion"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(rv2 > rv1, "{rv2} > {rv1}");
    // kubectl still trusts the (rewritten) admin kubeconfig
    let out = s.ok(KUBECTL, &["get", "csr", "--no-headers"], None);
    assert!(out.contains("keep") && out.contains("after"), "{out}");
    // Advancing 24h runs the cleaner: pending CSRs older than 24h are deleted.
    assert_eq!(s.advance("24h"), "2030-06-02T02:00:00Z");
    let (code, _) = s.curl("GET", &format!("{C}/keep"), &[], None);
    assert_eq!(code, 404, "cleaner removed the pending CSR created 26h ago");
}

#[test]
fn clock_endpoint_rules() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let s = Server::start_with_tokens(d, "tok-alice,alice,uid-1,\"devs,qa\"\n");
    assert_eq!(s.clock(), "2030-01-01T00:00:00Z");
    assert_eq!(s.advance("90m"), "2030-01-01T01:30:00Z");
    assert_eq!(s.advance("1h30m"), "2030-01-01T03:00:00Z");
    let alice = [
        "-H".to_string(),
        "Authorization: Bearer tok-alice".to_string(),
    ];
    // anyone authenticated may read the clock
    let (code, body) = s.curl_raw("GET", "/sim/v1/clock", &alice, None);
    assert_eq!(
        (code, compact(&body).as_str()),
        (200, r#"{"now":"2030-01-01T03:00:00Z"}"#)
    );
    // only system:masters may move it
    let (code, body) = s.curl_raw(
        "POST",
        "/sim/v1/clock",
        &alice,
        Some(("application/json", br#"{"advance":"1h"}"#)),
    );
    assert_eq!(code, 403, "{body}");
    let st = status(&body);
    assert_eq!(st["reason"], "Forbidden");
    assert_eq!(
        st["message"],
        r#"forbidden: User "alice" cannot post path "/sim/v1/clock""#
    );
    for bad in [&br#"{"advance":"soon"}"#[..], br#"{"later":"1h"}"#, b"{"] {
        let (code, body) = s.curl(
            "POST",
            "/sim/v1/clock",
            &[],
            Some(("application/json", bad)),
        );
        assert_eq!(code, 400, "{body}");
        assert_eq!(status(&body)["reason"], "BadRequest");
    }
    assert_eq!(s.clock(), "2030-01-01T03:00:00Z");
    // whoami through the token
    let (code, body) = s.curl_raw(
        "POST",
        "/apis/authentication.k8s.io/v1/selfsubjectreviews",
        &alice,
        Some((
            "application/json",
            br#"{"apiVersion":"authentication.k8s.io/v1","kind":"SelfSubjectReview"}"#,
        )),
    );
    assert_eq!(code, 201, "{body}");
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["status"]["userInfo"]["username"], "alice");
    assert_eq!(
        v["status"]["userInfo"]["groups"],
        json!(["devs", "qa", "system:authenticated"])
    );
}

#[test]
fn malformed_requests_get_4xx_statuses_and_server_stays_healthy() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let s = Server::start(d, &["--clock", "virtual", "--log-format", "json"]);
    type Case<'a> = (&'a str, String, Option<(&'a str, Vec<u8>)>, u16, &'a str);
    let cases: Vec<Case> = vec![
        ("POST", C.into(), Some(("application/json", b"{\"apiVersion\":".to_vec())), 400, "BadRequest"),
        ("POST", C.into(), Some(("application/json", br#"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"x"}}"#.to_vec())), 400, "BadRequest"),
        ("POST", C.into(), Some(("application/json", b"[1,2,3]".to_vec())), 400, "BadRequest"),
        ("POST", C.into(), Some(("application/vnd.kubernetes.protobuf", b"k8s\x00\x0a\xff\xff".to_vec())), 400, "BadRequest"),
        ("POST", C.into(), Some(("application/vnd.kubernetes.protobuf", b"not protobuf".to_vec())), 400, "BadRequest"),
        ("POST", C.into(), Some(("text/plain", b"hello".to_vec())), 415, "UnsupportedMediaType"),
        ("PATCH", format!("{C}/x"), Some(("application/json", b"{}".to_vec())), 415, "UnsupportedMediaType"),
        ("POST", C.into(), Some(("application/json", vec![b' '; 3 * 1024 * 1024 + 1])), 413, "RequestEntityTooLarge"),
        ("PUT", C.into(), Some(("application/json", b"{}".to_vec())), 405, "MethodNotAllowed"),
        ("GET", "/apis/example.com/v1/widgets".into(), None, 404, "NotFound"),
        ("GET", "/no/such/path".into(), None, 404, "NotFound"),
        ("GET", format!("{C}/missing"), None, 404, "NotFound"),
        ("GET", format!("{C}?labelSelector=a%20in%20(b"), None, 400, "BadRequest"),
        ("GET", format!("{C}?limit=1&resourceVersion=abc"), None, 400, "BadRequest"),
        ("POST", C.into(), Some(("application/json", br#"{"apiVersion":"certificates.k8s.io/v1","kind":"CertificateSigningRequest","metadata":{"name":"bad"},"spec":{}}"#.to_vec())), 422, "Invalid"),
    ];
    for (method, path, body, code, reason) in cases {
        let (got, text) = s.curl(
            method,
            &path,
            &[],
            body.as_ref().map(|(ct, b)| (*ct, b.as_slice())),
        );
        assert_eq!(got, code, "{method} {path}: {text}");
        let st = status(&text);
        assert_eq!(st["reason"], reason, "{method} {path}: {text}");
        assert_eq!(st["code"], code);
    }
    let (_, text) = s.curl("GET", "/no/such/path", &[], None);
    assert_eq!(
        status(&text)["message"],
        "the server could not find the requested resource"
    );
    // A resourceVersion that is no number, as upstream's storage reads it: the watch cache
    // (a watch, a list it serves) hands back `APIObjectVersioner`'s error as is, a 500 of no
    // reason (kubernetes/kubernetes#113939); the etcd3 store (a list with a limit) a 400.
    let storage = r#"resourceVersion: Invalid value: \"abc\": strconv.ParseUint: parsing \"abc\": invalid syntax"#;
    for (query, code, body) in [
        (
            "?watch=true&resourceVersion=abc",
            500,
            format!(
                r#"{{"kind":"Status","apiVersion":"v1","metadata":{{}},"status":"Failure","message":"{storage}","code":500}}"#
            ),
        ),
        (
            "?resourceVersion=abc",
            500,
            format!(
                r#"{{"kind":"Status","apiVersion":"v1","metadata":{{}},"status":"Failure","message":"{storage}","code":500}}"#
            ),
        ),
        (
            "?limit=1&resourceVersion=abc",
            400,
            format!(
                r#"{{"kind":"Status","apiVersion":"v1","metadata":{{}},"status":"Failure","message":"invalid resource version: {storage}","reason":"BadRequest","code":400}}"#
            ),
        ),
    ] {
        let (got, text) = s.curl("GET", &format!("{C}{query}"), &[], None);
        assert_eq!((got, compact(&text)), (code, body), "{query}");
    }
    // go-restful's 405 goes through the apiserver's serviceErrorHandler
    // (NewGenericServerResponse): a non-nil empty `details`, as the 404's.
    let (_, text) = s.curl("PUT", C, &[], Some(("application/json", b"{}")));
    assert_eq!(
        compact(&text),
        r#"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"the server does not allow this method on the requested resource","reason":"MethodNotAllowed","details":{},"code":405}"#
    );

    // Authentication failures are 401 Statuses, never handshake aborts.
    let unauthorized = r#"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Unauthorized","reason":"Unauthorized","code":401}"#;
    let (code, body) = s.curl_raw("GET", C, &[], None);
    assert_eq!(
        (code, compact(&body).as_str()),
        (401, unauthorized),
        "no credentials"
    );
    let (code, body) = s.curl_raw(
        "GET",
        C,
        &["-H".into(), "Authorization: Bearer nope".into()],
        None,
    );
    assert_eq!(
        (code, compact(&body).as_str()),
        (401, unauthorized),
        "bad token"
    );
    sh(d, "openssl req -x509 -newkey rsa:2048 -nodes -keyout rogue.key -out rogue.crt -days 30 -subj '/CN=rogue/O=system:masters' 2>/dev/null", &[]);
    let rogue = [
        "--cert".to_string(),
        d.join("rogue.crt").display().to_string(),
        "--key".into(),
        d.join("rogue.key").display().to_string(),
    ];
    let (code, body) = s.curl_raw("GET", C, &rogue, None);
    assert_eq!(
        (code, compact(&body).as_str()),
        (401, unauthorized),
        "untrusted client certificate"
    );

    // Still healthy, and kubectl works.
    let (code, body) = s.curl_raw("GET", "/readyz", &[], None);
    assert_eq!((code, body.as_str()), (200, "ok"));
    s.ok(KUBECTL, &["get", "csr"], None);
    // One JSON log line per request with method, path, user, code, latency.
    let log = s.log();
    let line = log
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find(|v| v["fields"]["path"] == "/no/such/path")
        .expect("json log line");
    assert_eq!(line["fields"]["method"], "GET");
    assert_eq!(line["fields"]["user"], "kubernetes-admin");
    assert_eq!(line["fields"]["code"], 404);
    assert!(line["fields"]["latency_ms"].is_number());
}

#[test]
fn expired_client_certificate_by_virtual_clock_is_401() {
    // The admin certificate is valid until 2099-12-31: past that on the virtual clock, 401.
    let tmp = tempfile::tempdir().unwrap();
    let s = Server::start(
        tmp.path(),
        &["--clock", "virtual", "--start-time", "2099-12-31T00:00:00Z"],
    );
    assert_eq!(s.advance("48h"), "2100-01-02T00:00:00Z");
    let (code, body) = s.curl("GET", C, &[], None);
    assert_eq!(code, 401, "{body}");
}

#[test]
fn real_clock_follows_wall_time() {
    let tmp = tempfile::tempdir().unwrap();
    let s = Server::start(tmp.path(), &["--start-time", "2030-01-01T00:00:00Z"]);
    let t0 = csrsim::api::Time::parse_rfc3339(&s.clock()).unwrap().unix();
    std::thread::sleep(std::time::Duration::from_millis(2100));
    let t1 = csrsim::api::Time::parse_rfc3339(&s.clock()).unwrap().unix();
    assert!((2..=4).contains(&(t1 - t0)), "{t0} -> {t1}");
    let t2 = csrsim::api::Time::parse_rfc3339(&s.advance("10h"))
        .unwrap()
        .unix();
    assert!(t2 >= t1 + 36000, "advance adds to the wall-clock offset");
}

fn events(body: &str) -> Vec<Value> {
    body.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

#[test]
fn watch_over_http() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let s = Server::start(d, &["--clock", "virtual"]);
    let (code, body) = s.curl(
        "POST",
        C,
        &[],
        Some(("application/json", &csr_body(d, "a"))),
    );
    assert_eq!(code, 201, "{body}");
    // No resourceVersion: synthetic ADDED for existing objects, then the stream ends at timeoutSeconds.
    let t0 = std::time::Instant::now();
    let (code, body) = s.curl(
        "GET",
        &format!("{C}?watch=true&timeoutSeconds=1"),
        &[],
        None,
    );
    assert_eq!(code, 200);
    assert!(
        t0.elapsed() >= std::time::Duration::from_millis(900),
        "{:?}",
        t0.elapsed()
    );
    let ev = events(&body);
    assert_eq!(ev.len(), 1, "{body}");
    // `?watch` on the object's own path is a get (`GetOptions` has no `watch`): the object,
    // at once; only `watch/<resource>/<name>` watches one object.
    let (code, got) = s.curl(
        "GET",
        &format!("{C}/a?watch=true&timeoutSeconds=1"),
        &[],
        None,
    );
    assert_eq!(code, 200, "{got}");
    let got: Value = serde_json::from_str(&got).expect("one object, not a stream");
    assert_eq!(
        (got["kind"].as_str(), got["metadata"]["name"].as_str()),
        (Some("CertificateSigningRequest"), Some("a"))
    );
    assert_eq!(
        (
            ev[0]["type"].as_str(),
            ev[0]["object"]["metadata"]["name"].as_str()
        ),
        (Some("ADDED"), Some("a"))
    );
    assert_eq!(ev[0]["object"]["kind"], "CertificateSigningRequest");
    // A negative timeoutSeconds is the handler's timer of a negative duration, which Go fires
    // at once: the stream ends after its initial events (curl's --max-time would cut the
    // 30 min default).
    for path in [
        format!("{C}?watch=true&timeoutSeconds=-1"),
        "/api/v1/namespaces/default/pods?watch=true&timeoutSeconds=-5".to_string(),
    ] {
        let t0 = std::time::Instant::now();
        let (code, body) = s.curl("GET", &path, &["--max-time", "10"], None);
        assert_eq!(code, 200, "{path}: {body}");
        assert!(
            t0.elapsed() < std::time::Duration::from_secs(5),
            "{path}: {:?}",
            t0.elapsed()
        );
    }
    // pods are always empty, but watchable (until timeoutSeconds).
    let (code, body) = s.curl(
        "GET",
        "/api/v1/namespaces/default/pods?watch=true&timeoutSeconds=1",
        &[],
        None,
    );
    assert_eq!((code, body.as_str()), (200, ""));
    // Watch-list: initial events, then the initial-events-end bookmark.
    let (_, body) = s.curl("GET", &format!("{C}?watch=true&sendInitialEvents=true&allowWatchBookmarks=true&resourceVersionMatch=NotOlderThan&timeoutSeconds=1"), &[], None);
    let ev = events(&body);
    assert_eq!(ev.len(), 2, "{body}");
    assert_eq!(ev[0]["type"], "ADDED");
    assert_eq!(ev[1]["type"], "BOOKMARK");
    // kube-apiserver v1.32-v1.33 add the empty list of the kind, JSON-encoded, base64.
    let blueprint = {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode(
            "{\"kind\":\"CertificateSigningRequestList\",\"apiVersion\":\"certificates.k8s.io/v1\",\"metadata\":{},\"items\":null}\n",
        )
    };
    assert_eq!(
        ev[1]["object"]["metadata"]["annotations"],
        json!({"k8s.io/initial-events-end": "true", "kubernetes.io/initial-events-list-blueprint": blueprint})
    );
    assert_eq!(ev[1]["object"]["kind"], "CertificateSigningRequest");
    // The watch cache's empty CSR with only the resourceVersion (and the annotation) set,
    // as encoding/json writes it.
    let rv = ev[1]["object"]["metadata"]["resourceVersion"]
        .as_str()
        .unwrap();
    assert_eq!(
        body.lines().nth(1).unwrap(),
        format!(
            r#"{{"type":"BOOKMARK","object":{{"kind":"CertificateSigningRequest","apiVersion":"certificates.k8s.io/v1","metadata":{{"resourceVersion":"{rv}","creationTimestamp":null,"annotations":{{"k8s.io/initial-events-end":"true","kubernetes.io/initial-events-list-blueprint":"{blueprint}"}}}},"spec":{{"request":null,"signerName":""}},"status":{{}}}}}}"#
        )
    );
    // Table watch: one-row Tables, column definitions in the first event.
    let table = "Accept: application/json;as=Table;v=v1;g=meta.k8s.io,application/json";
    let (_, body) = s.curl(
        "GET",
        &format!("{C}?watch=true&timeoutSeconds=1&resourceVersion=0"),
        &["-H", table],
        None,
    );
    let ev = events(&body);
    assert_eq!(ev[0]["object"]["kind"], "Table");
    assert_eq!(
        ev[0]["object"]["columnDefinitions"]
            .as_array()
            .unwrap()
            .len(),
        6
    );
    assert_eq!(ev[0]["object"]["rows"][0]["cells"][0], "a");
    // From the list's resourceVersion: only later changes, in order, with increasing RVs.
    let (_, list) = s.curl("GET", C, &[], None);
    let rv = serde_json::from_str::<Value>(&list).unwrap()["metadata"]["resourceVersion"]
        .as_str()
        .unwrap()
        .to_string();
    let path = format!(
        "{C}?watch=true&timeoutSeconds=3&resourceVersion={rv}&fieldSelector=metadata.name%3Db"
    );
    let (c, k) = s.admin_cert_files();
    let auth = vec![
        "--cert".to_string(),
        c.display().to_string(),
        "--key".into(),
        k.display().to_string(),
    ];
    let watcher = {
        let url_path = path.clone();
        let srv_url = s.url.clone();
        let ca = d.join("ca.crt");
        std::thread::spawn(move || {
            let o = std::process::Command::new("curl")
                .args(["-s", "--http1.1", "--cacert"])
                .arg(ca)
                .args(&auth)
                .arg(format!("{srv_url}{url_path}"))
                .output()
                .unwrap();
            String::from_utf8_lossy(&o.stdout).into_owned()
        })
    };
    std::thread::sleep(std::time::Duration::from_millis(700));
    assert_eq!(
        s.curl(
            "POST",
            C,
            &[],
            Some(("application/json", &csr_body(d, "b")))
        )
        .0,
        201
    );
    assert_eq!(
        s.curl(
            "POST",
            C,
            &[],
            Some(("application/json", &csr_body(d, "c")))
        )
        .0,
        201
    );
    assert_eq!(s.curl("DELETE", &format!("{C}/b"), &[], None).0, 200);
    let ev = events(&watcher.join().unwrap());
    let types: Vec<&str> = ev.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(
        types,
        ["ADDED", "DELETED"],
        "field selector keeps only b: {ev:?}"
    );
    let rvs: Vec<u64> = ev
        .iter()
        .map(|e| {
            e["object"]["metadata"]["resourceVersion"]
                .as_str()
                .unwrap()
                .parse()
                .unwrap()
        })
        .collect();
    assert!(rvs[0] > rv.parse().unwrap() && rvs[1] > rvs[0], "{rvs:?}");
    // History older than 5 virtual minutes is compacted: 410 Expired.
    s.advance("10m");
    assert_eq!(
        s.curl(
            "POST",
            C,
            &[],
            Some(("application/json", &csr_body(d, "e")))
        )
        .0,
        201
    );
    let (code, body) = s.curl(
        "GET",
        &format!("{C}?watch=true&timeoutSeconds=1&resourceVersion=1"),
        &[],
        None,
    );
    // As the apiserver's cacher does it: a 200 stream whose one event is the ERROR Status.
    assert_eq!(code, 200, "{body}");
    let evs = events(&body);
    assert_eq!(evs.len(), 1, "{body}");
    let expired = &evs[0]["object"];
    assert_eq!(
        (
            evs[0]["type"].as_str(),
            expired["kind"].as_str(),
            expired["code"].as_u64(),
            expired["reason"].as_str()
        ),
        (Some("ERROR"), Some("Status"), Some(410), Some("Expired")),
        "{body}"
    );
    assert!(
        expired["message"]
            .as_str()
            .unwrap()
            .starts_with("too old resource version: 1 ("),
        "{body}"
    );
    // A watch list from a resourceVersion the cache never reaches: the ERROR event holds
    // `NewTooLargeResourceVersionError` (504 Timeout, cause ResourceVersionTooLarge).
    let (code, body) = s.curl(
        "GET",
        &format!(
            "{C}?watch=true&timeoutSeconds=1&sendInitialEvents=true&allowWatchBookmarks=true\
             &resourceVersionMatch=NotOlderThan&resourceVersion=99999999"
        ),
        &[],
        None,
    );
    assert_eq!(code, 200, "{body}");
    let evs = events(&body);
    assert_eq!(evs.len(), 1, "{body}");
    let st = &evs[0]["object"];
    assert_eq!(
        (
            evs[0]["type"].as_str(),
            st["code"].as_u64(),
            st["reason"].as_str(),
            st["details"]["causes"][0]["reason"].as_str()
        ),
        (
            Some("ERROR"),
            Some(504),
            Some("Timeout"),
            Some("ResourceVersionTooLarge")
        ),
        "{body}"
    );
    assert!(
        st["message"]
            .as_str()
            .unwrap()
            .starts_with("Timeout: Too large resource version: 99999999, current: "),
        "{body}"
    );
}

#[test]
fn bootstrap_token_and_impersonation() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let s = Server::start(
        d,
        &[
            "--clock",
            "virtual",
            "--bootstrap-token",
            "abcdef.0123456789abcdef",
        ],
    );
    let boot = [
        "-H".to_string(),
        "Authorization: Bearer abcdef.0123456789abcdef".to_string(),
    ];
    let ssr = br#"{"apiVersion":"authentication.k8s.io/v1","kind":"SelfSubjectReview"}"#;
    let (code, body) = s.curl_raw(
        "POST",
        "/apis/authentication.k8s.io/v1/selfsubjectreviews",
        &boot,
        Some(("application/json", ssr)),
    );
    assert_eq!(code, 201, "{body}");
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        v["status"]["userInfo"]["username"],
        "system:bootstrap:abcdef"
    );
    assert_eq!(
        v["status"]["userInfo"]["groups"],
        json!([
            "system:bootstrappers",
            "system:bootstrappers:kubeadm:default-node-token",
            "system:authenticated"
        ])
    );
    // kubeadm's kubelet-bootstrap binding lets the token create CSRs
    let (code, body) = s.curl_raw(
        "POST",
        C,
        &boot,
        Some(("application/json", &csr_body(d, "boot"))),
    );
    assert_eq!(code, 201, "{body}");
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap()["spec"]["username"],
        "system:bootstrap:abcdef"
    );
    let (code, _) = s.curl_raw(
        "GET",
        C,
        &[
            "-H".into(),
            "Authorization: Bearer abcdef.ffffffffffffffff".into(),
        ],
        None,
    );
    assert_eq!(code, 401, "wrong secret");
    // Impersonation: the admin may, and then acts as the impersonated user.
    let e = s.fails(
        KUBECTL,
        &["--as=myuser", "--as-group=developers", "get", "csr"],
    );
    assert!(
        e.contains("User \"myuser\" cannot list resource \"certificatesigningrequests\""),
        "{e}"
    );
    // A user without the impersonate verb may not.
    let (code, body) = s.curl_raw(
        "GET",
        C,
        &[
            boot[0].clone(),
            boot[1].clone(),
            "-H".into(),
            "Impersonate-User: kubernetes-admin".into(),
        ],
        None,
    );
    assert_eq!(code, 403, "{body}");
    assert_eq!(
        status(&body)["message"],
        r#"users "kubernetes-admin" is forbidden: User "system:bootstrap:abcdef" cannot impersonate resource "users" in API group "" at the cluster scope"#
    );
}

/// apiserver's `isPrettyPrint`: curl (and Wget, browsers) get JSON indented by two spaces with
/// no trailing newline; `?pretty=false` or another User-Agent gets the compact form with the
/// serializer's newline; `?pretty=true` indents for anyone.
#[test]
fn curl_gets_pretty_json_as_from_the_apiserver() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path(), &["--clock", "virtual"]);
    let (code, body) = s.curl("GET", C, &[], None);
    assert_eq!(code, 200);
    assert!(
        body.starts_with("{\n  \"kind\": \"CertificateSigningRequestList\",\n  \"apiVersion\": \"certificates.k8s.io/v1\",\n  \"metadata\": {\n    \"resourceVersion\": \""),
        "{body}"
    );
    assert!(body.ends_with("\"items\": []\n}"), "{body:?}");
    let (_, body) = s.curl("GET", &format!("{C}?pretty=false"), &[], None);
    assert!(
        body.starts_with("{\"kind\":\"CertificateSigningRequestList\""),
        "{body}"
    );
    assert!(body.ends_with("\"items\":[]}\n"), "{body:?}");
    let (_, body) = s.curl("GET", C, &["-A", "kubectl/v1.33.1"], None);
    assert!(body.starts_with("{\"kind\""), "{body}");
    let (_, body) = s.curl(
        "GET",
        &format!("{C}?pretty=true"),
        &["-A", "kubectl/v1.33.1"],
        None,
    );
    assert!(body.starts_with("{\n  \"kind\""), "{body}");
    // Errors are encoded the same way.
    let (code, body) = s.curl("GET", &format!("{C}/nope"), &[], None);
    assert_eq!(code, 404);
    assert!(
        body.starts_with("{\n  \"kind\": \"Status\",\n  \"apiVersion\": \"v1\""),
        "{body}"
    );
}

/// A JSON body in compact form (curl gets indented JSON, see `curl_gets_pretty_json…`).
fn compact(body: &str) -> String {
    serde_json::from_str::<Value>(body)
        .map(|v| v.to_string())
        .unwrap_or_else(|_| body.trim().to_string())
}

/// `ListResource`'s order for a list or watch — decoding `ListOptions` parses the label,
/// then the field selector (400), then `ValidateListOptions` (422), then the kind's
/// field-label conversion (400) — for CSRs and for the listed-only kinds (nothing stored,
/// the same checks), with each kind's field labels (core `conversion.go`'s registered
/// functions, `DefaultMetaV1FieldSelectorConversion` for the others).
#[test]
fn list_options_order_and_field_labels_of_every_kind() {
    let tmp = tempfile::tempdir().unwrap();
    let s = Server::start(tmp.path(), &["--clock", "virtual"]);
    let rvm = "resourceVersionMatch=NotOlderThan";
    let invalid_rvm = r#"ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided"#;
    let invalid_watch = r#"ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided"#;
    let cant = "invalid selector: 'foo'; can't understand 'foo'";
    let not_known =
        r#""data.x" is not a known field selector: only "metadata.name", "metadata.namespace""#;
    let mismatch = "fieldSelector metadata.name doesn't match requested name";
    const W: &str = "/apis/certificates.k8s.io/v1/watch/certificatesigningrequests";
    let rows: Vec<(String, u16, &str)> = vec![
        (format!("{C}?fieldSelector=foo&{rvm}"), 400, cant),
        (format!("{C}?labelSelector=a%3D%3D%3Db&{rvm}"), 400, "LABEL"),
        (format!("{C}?fieldSelector=foo=bar&{rvm}"), 422, invalid_rvm),
        (
            format!("{C}?fieldSelector=foo=bar"),
            400,
            "field label not supported: foo",
        ),
        (format!("/api/v1/pods?{rvm}"), 422, invalid_rvm),
        (
            format!("/api/v1/namespaces/default/configmaps?{rvm}"),
            422,
            invalid_rvm,
        ),
        (
            "/api/v1/pods?watch=true&resourceVersionMatch=NotOlderThan&fieldSelector=x=1".into(),
            422,
            invalid_watch,
        ),
        (format!("/api/v1/pods?fieldSelector=foo&{rvm}"), 400, cant),
        (
            format!("/apis/apps/v1/deployments?labelSelector=a%3D%3D%3Db&{rvm}"),
            400,
            "LABEL",
        ),
        (
            "/api/v1/pods?fieldSelector=spec.foo=1".into(),
            400,
            "field label not supported: spec.foo",
        ),
        (
            "/api/v1/namespaces/default/events?watch=true&fieldSelector=spec.foo=1".into(),
            400,
            "field label not supported: spec.foo",
        ),
        (
            "/api/v1/configmaps?fieldSelector=data.x=1".into(),
            400,
            not_known,
        ),
        (
            "/apis/rbac.authorization.k8s.io/v1/clusterroles?fieldSelector=data.x=1".into(),
            400,
            not_known,
        ),
        // `ListResource` with a name (a `watch/` path): the selectors' parse, then
        // `ValidateListOptions`, then the field-label conversion, and only then
        // the name/selector mismatch.
        (format!("{W}/a?fieldSelector=foo"), 400, cant),
        (
            format!("{W}/a?labelSelector=a%3D%3D%3Db&fieldSelector=spec.signerName=x"),
            400,
            "LABEL",
        ),
        (
            format!("{W}/a?fieldSelector=foo=bar&{rvm}"),
            422,
            invalid_watch,
        ),
        (
            format!("{W}/a?fieldSelector=foo=bar"),
            400,
            "field label not supported: foo",
        ),
        (
            format!("{W}/a?fieldSelector=spec.signerName=x"),
            400,
            mismatch,
        ),
        (
            format!("{W}/a?fieldSelector=metadata.name=b"),
            400,
            mismatch,
        ),
        (
            format!("{W}/a?fieldSelector=metadata.name!=a"),
            400,
            mismatch,
        ),
        // A selector that parses to nothing is no selector: the name's.
        (format!("{W}/a?fieldSelector=%2C&timeoutSeconds=1"), 200, ""),
        (
            "/api/v1/watch/namespaces/default/pods/a?fieldSelector=spec.foo=1".into(),
            400,
            "field label not supported: spec.foo",
        ),
        (
            "/api/v1/watch/namespaces/default/pods/a?fieldSelector=spec.nodeName=n1".into(),
            400,
            mismatch,
        ),
        (
            "/api/v1/pods?fieldSelector=spec.nodeName=n1,status.phase!=Running".into(),
            200,
            "",
        ),
        (
            "/api/v1/namespaces/default/events?fieldSelector=involvedObject.kind=Pod".into(),
            200,
            "",
        ),
        (
            "/api/v1/persistentvolumes?fieldSelector=metadata.namespace=x".into(),
            200,
            "",
        ),
        (
            "/apis/rbac.authorization.k8s.io/v1/clusterroles?fieldSelector=metadata.namespace="
                .into(),
            200,
            "",
        ),
    ];
    // The label selector's parse error, whatever its text, is the same for every kind.
    let (_, text) = s.curl("GET", &format!("{C}?labelSelector=a%3D%3D%3Db"), &[], None);
    let label_err = status(&text)["message"].as_str().unwrap().to_string();
    assert!(!label_err.is_empty(), "{text}");
    for (path, code, msg) in rows {
        let (got, text) = s.curl("GET", &path, &[], None);
        assert_eq!(got, code, "{path}: {text}");
        if code != 200 {
            let want = if msg == "LABEL" {
                label_err.as_str()
            } else {
                msg
            };
            assert_eq!(status(&text)["message"], want, "{path}");
        }
    }
    // The resourceVersion and continue checks of a stored kind's list, for a listed-only one.
    for q in [
        "resourceVersion=abc",
        "resourceVersion=abc&limit=1",
        "resourceVersion=999999&resourceVersionMatch=NotOlderThan",
        "continue=xyz",
        "resourceVersion=abc&resourceVersionMatch=Exact",
    ] {
        let (csr_code, csr_text) = s.curl("GET", &format!("{C}?{q}"), &[], None);
        let (code, text) = s.curl(
            "GET",
            &format!("/api/v1/namespaces/default/pods?{q}"),
            &[],
            None,
        );
        assert_ne!(csr_code, 200, "{q}: {csr_text}");
        assert_eq!(
            (code, status(&text)["message"].clone()),
            (csr_code, status(&csr_text)["message"].clone()),
            "{q}"
        );
    }
}

/// Request options and server-side apply over HTTP, each row an upstream check with its exact
/// text: apimachinery `ValidatePatchOptions`/`ValidateCreateOptions`/`ValidateDeleteOptions`
/// (422 before the object is read), the field manager's `versionCheckManager` and
/// `structuredMergeManager.Apply` (400s, the typed conversion's plain-error 500), and the
/// patch handler's `checkName` on an apply that creates.
#[test]
fn request_options_and_server_side_apply_checks() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let s = Server::start(d, &["--clock", "virtual"]);
    let body: Value = serde_json::from_slice(&csr_body(d, "foo")).unwrap();
    let with = |f: &dyn Fn(&mut Value)| {
        let mut b = body.clone();
        f(&mut b);
        b.to_string().into_bytes()
    };
    let apply = "application/apply-patch+yaml";
    let merge = "application/merge-patch+json";
    let foo = format!("{C}/foo");
    type Row<'a> = (&'a str, &'a str, String, &'a str, Vec<u8>, u16, &'a str);
    let rows: Vec<Row> = vec![
        ("ValidatePatchOptions: apply needs a field manager", "PATCH", foo.clone(), apply, with(&|_| {}), 422,
         r#"PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch"#),
        ("ValidatePatchOptions: force only on apply", "PATCH", format!("{foo}?force=true"), merge, b"{}".to_vec(), 422,
         r#"PatchOptions.meta.k8s.io "" is invalid: force: Forbidden: may not be specified for non-apply patch"#),
        ("ValidateCreateOptions: dryRun values", "POST", format!("{C}?dryRun=All&dryRun=Foo"), "application/json", with(&|_| {}), 422,
         r#"CreateOptions.meta.k8s.io "" is invalid: dryRun: Unsupported value: []string{"All", "Foo"}: supported values: "All""#),
        ("ValidateCreateOptions: fieldValidation values", "POST", format!("{C}?fieldValidation=strict"), "application/json", with(&|_| {}), 422,
         r#"CreateOptions.meta.k8s.io "" is invalid: fieldValidation: Unsupported value: "strict": supported values: "", "Ignore", "Strict", "Warn""#),
        ("ValidateDeleteOptions: dryRun in the body", "DELETE", foo.clone(), "application/json", br#"{"dryRun":["all"]}"#.to_vec(), 422,
         r#"DeleteOptions.meta.k8s.io "" is invalid: dryRun: Unsupported value: []string{"all"}: supported values: "All""#),
        ("ValidateDeleteOptions: propagationPolicy in the body", "DELETE", foo.clone(), "application/json", br#"{"propagationPolicy":"Foo"}"#.to_vec(), 422,
         r#"DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: Unsupported value: "Foo": supported values: "Foreground", "Background", "Orphan", "nil""#),
        ("ValidateDeleteOptions: propagationPolicy in the query", "DELETE", format!("{foo}?propagationPolicy=foreground"), "", vec![], 422,
         r#"DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: Unsupported value: "foreground": supported values: "Foreground", "Background", "Orphan", "nil""#),
        ("ValidateDeleteOptions: orphanDependents with propagationPolicy", "DELETE", foo.clone(), "application/json", br#"{"propagationPolicy":"Orphan","orphanDependents":true}"#.to_vec(), 422,
         r#"DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: Invalid value: "Orphan": orphanDependents and deletionPropagation cannot be both set"#),
        ("ValidateDeleteOptions: on deletecollection too", "DELETE", format!("{C}?propagationPolicy=All"), "", vec![], 422,
         r#"DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: Unsupported value: "All": supported values: "Foreground", "Background", "Orphan", "nil""#),
        ("ValidateFieldManager: at most 128 bytes", "POST", format!("{C}?fieldManager={}", "m".repeat(129)), "application/json", with(&|_| {}), 422,
         r#"CreateOptions.meta.k8s.io "" is invalid: fieldManager: Too long: may not be more than 128 bytes"#),
        ("ValidateFieldManager: printable characters", "PATCH", format!("{foo}?fieldManager=a%01b%09"), merge, b"{}".to_vec(), 422,
         r#"PatchOptions.meta.k8s.io "" is invalid: [fieldManager: Invalid value: "a\x01b\t": invalid character U+0001 (at position 1), fieldManager: Invalid value: "a\x01b\t": invalid character U+0009 (at position 3)]"#),
        ("ValidateFieldManager: on update", "PUT", format!("{foo}?fieldManager=%E2%80%8B"), "application/json", with(&|_| {}), 422,
         r#"UpdateOptions.meta.k8s.io "" is invalid: fieldManager: Invalid value: "\u200b": invalid character U+200B (at position 0)"#),
        ("versionCheckManager", "PATCH", format!("{foo}?fieldManager=t"), apply, with(&|b| b["apiVersion"] = json!("certificates.k8s.io/v1beta1")), 400,
         "invalid object type: certificates.k8s.io/v1beta1, Kind=CertificateSigningRequest"),
        ("structuredMergeManager: managedFields", "PATCH", format!("{foo}?fieldManager=t"), apply, with(&|b| b["metadata"]["managedFields"] = json!([{"manager": "x"}])), 400,
         "metadata.managedFields must be nil"),
        ("typed patch object: unknown field, even with Ignore", "PATCH", format!("{foo}?fieldManager=t&fieldValidation=Ignore"), apply, with(&|b| b["spec"]["foo"] = json!(1)), 500,
         "failed to create typed patch object (/foo; certificates.k8s.io/v1, Kind=CertificateSigningRequest): .spec.foo: field not declared in schema"),
        ("ValidateListOptions: resourceVersionMatch needs a resourceVersion", "GET", format!("{C}?resourceVersionMatch=NotOlderThan"), "", vec![], 422,
         r#"ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided"#),
        ("ValidateListOptions: Exact at 0", "GET", format!("{C}?resourceVersionMatch=Exact&resourceVersion=0"), "", vec![], 422,
         r#"ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Forbidden: resourceVersionMatch "exact" is forbidden for resourceVersion "0""#),
        ("ValidateListOptions: no initial events for a list", "GET", format!("{C}?sendInitialEvents=false"), "", vec![], 422,
         r#"ListOptions.meta.k8s.io "" is invalid: sendInitialEvents: Forbidden: sendInitialEvents is forbidden for list"#),
        ("validateWatchOptions: initial events need NotOlderThan", "GET", format!("{C}?watch=true&sendInitialEvents=true"), "", vec![], 422,
         r#"ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Forbidden: sendInitialEvents requires setting resourceVersionMatch to NotOlderThan"#),
        ("validateWatchOptions: resourceVersionMatch needs initial events", "GET", format!("{C}?watch=true&resourceVersionMatch=Exact"), "", vec![], 422,
         r#"ListOptions.meta.k8s.io "" is invalid: [resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided, resourceVersionMatch: Unsupported value: "Exact": supported values: "NotOlderThan"]"#),
        ("storage Create: resourceVersion set", "POST", C.into(), "application/json", with(&|b| b["metadata"]["resourceVersion"] = json!("5")), 500,
         "resourceVersion should not be set on objects to be created"),
        ("checkName on create: other name", "PATCH", format!("{foo}?fieldManager=t"), apply, with(&|b| b["metadata"]["name"] = json!("bar")), 400,
         "the name of the object (bar) does not match the name on the URL (foo)"),
        ("checkName on create: no name", "PATCH", format!("{foo}?fieldManager=t"), apply, with(&|b| b["metadata"] = json!({})), 400,
         "the name of the object (foo based on URL) was undeterminable: name must be provided"),
    ];
    for (case, method, path, ct, b, code, msg) in rows {
        let body = (!ct.is_empty()).then_some((ct, b.as_slice()));
        let (got, text) = s.curl(method, &path, &[], body);
        assert_eq!(got, code, "{case}: {text}");
        let st = status(&text);
        assert_eq!(st["message"], msg, "{case}");
        if code == 500 {
            assert!(st.get("reason").is_none(), "{case}: {text}");
        }
    }
    // None of them created anything; a dry run never reaches the storage's resourceVersion
    // check; a valid apply creates, a second one updates.
    let (code, text) = s.curl("GET", &foo, &[], None);
    assert_eq!(code, 404, "{text}");
    let rv_dry = with(&|b| b["metadata"]["resourceVersion"] = json!("5"));
    let (code, text) = s.curl(
        "POST",
        &format!("{C}?dryRun=All"),
        &[],
        Some(("application/json", &rv_dry)),
    );
    assert_eq!(code, 201, "{text}");
    let ok = with(&|_| {});
    let (code, text) = s.curl(
        "PATCH",
        &format!("{foo}?fieldManager=t"),
        &[],
        Some((apply, &ok)),
    );
    assert_eq!(code, 201, "{text}");
    let (code, text) = s.curl(
        "PATCH",
        &format!("{foo}?fieldManager=t&force=true"),
        &[],
        Some((apply, &ok)),
    );
    assert_eq!(code, 200, "{text}");
    let obj: Value = serde_json::from_str(&text).unwrap();
    let uid = obj["metadata"]["uid"].as_str().unwrap();
    let rv = obj["metadata"]["resourceVersion"].as_str().unwrap();

    // A PUT body's uid is a storage precondition, checked before validation (the uid is
    // immutable) and before a missing object's 404.
    let put_uid = |name: &str| {
        with(&|b| {
            b["metadata"]["name"] = json!(name);
            b["metadata"]["uid"] = json!("abc");
        })
    };
    for (name, stored) in [("foo", uid), ("gone", "")] {
        let (code, text) = s.curl(
            "PUT",
            &format!("{C}/{name}"),
            &[],
            Some(("application/json", &put_uid(name))),
        );
        assert_eq!(code, 409, "{text}");
        assert_eq!(status(&text)["message"], format!("Operation cannot be fulfilled on certificatesigningrequests.certificates.k8s.io \"{name}\": StorageError: invalid object, Code: 4, Key: /registry/certificatesigningrequests/{name}, ResourceVersion: 0, AdditionalErrorMsg: Precondition failed: UID in precondition: abc, UID in object meta: {stored}"));
    }

    // rest.BeforeDelete's preconditions: a Conflict on the *kind*.
    let pre = |p: Value| json!({"preconditions": p}).to_string().into_bytes();
    let (code, text) = s.curl(
        "DELETE",
        &foo,
        &[],
        Some(("application/json", &pre(json!({"uid": "abc"})))),
    );
    assert_eq!(code, 409, "{text}");
    let st = status(&text);
    assert_eq!(st["message"], format!("Operation cannot be fulfilled on CertificateSigningRequest.certificates.k8s.io \"foo\": the UID in the precondition (abc) does not match the UID in record ({uid}). The object might have been deleted and then recreated"));
    assert_eq!(
        st["details"],
        json!({"name": "foo", "group": "certificates.k8s.io", "kind": "CertificateSigningRequest"})
    );
    let (code, text) = s.curl(
        "DELETE",
        &foo,
        &[],
        Some(("application/json", &pre(json!({"resourceVersion": "1"})))),
    );
    assert_eq!(code, 409, "{text}");
    assert_eq!(status(&text)["message"], format!("Operation cannot be fulfilled on CertificateSigningRequest.certificates.k8s.io \"foo\": the ResourceVersion in the precondition (1) does not match the ResourceVersion in record ({rv}). The object might have been modified"));
    // A DeleteOptions body replaces the query's options: `?dryRun=All` with a body that has
    // no dryRun deletes for real.
    let (code, text) = s.curl(
        "DELETE",
        &format!("{foo}?dryRun=All"),
        &[],
        Some(("application/json", b"{}")),
    );
    assert_eq!(code, 200, "{text}");
    let (code, text) = s.curl("GET", &foo, &[], None);
    assert_eq!(code, 404, "{text}");
}

/// Strict decoding of a JSON body reports duplicate fields as sigs.k8s.io/json's strict mode
/// does: `fieldValidation=Strict` refuses the create (400, in document order with the
/// unknown fields), `Warn` (the default) creates it and names them in `Warning` headers.
#[test]
fn duplicate_fields_in_json_bodies_are_strict_decoding_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let s = Server::start(d, &["--clock", "virtual"]);
    let body = String::from_utf8(csr_body(d, "dup")).unwrap();
    assert!(body.contains(r#""metadata":{"name":"dup"}"#), "{body}");
    let dup = body
        .replace(
            r#""metadata":{"name":"dup"}"#,
            r#""metadata":{"name":"x","name":"dup"}"#,
        )
        .replace(r#""usages":"#, r#""foo":1,"usages":"#);
    let (code, text) = s.curl(
        "POST",
        &format!("{C}?fieldValidation=Strict"),
        &[],
        Some(("application/json", dup.as_bytes())),
    );
    assert_eq!(code, 400, "{text}");
    assert_eq!(
        status(&text)["message"],
        r#"CertificateSigningRequest in version "v1" cannot be handled as a CertificateSigningRequest: strict decoding error: duplicate field "metadata.name", unknown field "spec.foo""#
    );
    let headers = d.join("headers.txt");
    let (code, text) = s.curl(
        "POST",
        C,
        &["-D", headers.to_str().unwrap()],
        Some(("application/json", dup.as_bytes())),
    );
    assert_eq!(code, 201, "{text}");
    let v: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["metadata"]["name"], "dup", "the last value wins");
    let h = std::fs::read_to_string(&headers).unwrap();
    let warnings: Vec<&str> = h
        .lines()
        .filter_map(|l| {
            l.strip_prefix("warning: ")
                .or_else(|| l.strip_prefix("Warning: "))
        })
        .map(str::trim)
        .collect();
    assert_eq!(
        warnings,
        [
            r#"299 - "duplicate field \"metadata.name\"""#,
            r#"299 - "unknown field \"spec.foo\"""#
        ],
        "{h}"
    );
}

/// `resourceVersionMatch=Exact` lists the collection as of that resourceVersion (etcd's range
/// read at a revision): later creations are absent, later changes and deletions undone, the
/// list stamped with that resourceVersion; a future one is the storage's "Too large resource
/// version" 504. A limit with a resourceVersion and no match is the same exact read.
#[test]
fn exact_lists_read_the_past() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let s = Server::start(d, &["--clock", "virtual"]);
    let post = |name: &str| {
        let (code, text) = s.curl(
            "POST",
            C,
            &[],
            Some(("application/json", &csr_body(d, name))),
        );
        assert_eq!(code, 201, "{text}");
    };
    let list = |q: &str| {
        let (code, text) = s.curl("GET", &format!("{C}{q}"), &[], None);
        let v: Value = serde_json::from_str(&text).unwrap();
        (code, v)
    };
    let names = |v: &Value| -> Vec<String> {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| {
                format!(
                    "{}:{}",
                    i["metadata"]["name"].as_str().unwrap(),
                    i["metadata"]["labels"]["l"].as_str().unwrap_or("-")
                )
            })
            .collect()
    };
    post("a");
    let (_, v) = list("");
    let rv1 = v["metadata"]["resourceVersion"]
        .as_str()
        .unwrap()
        .to_string();
    post("b");
    let (code, text) = s.curl(
        "PATCH",
        &format!("{C}/a"),
        &[],
        Some((
            "application/merge-patch+json",
            br#"{"metadata":{"labels":{"l":"x"}}}"#,
        )),
    );
    assert_eq!(code, 200, "{text}");
    let (_, v) = list("");
    assert_eq!(names(&v), ["a:x", "b:-"]);
    let rv2 = v["metadata"]["resourceVersion"]
        .as_str()
        .unwrap()
        .to_string();
    let (code, _) = s.curl("DELETE", &format!("{C}/b"), &[], None);
    assert_eq!(code, 200);
    let (code, v) = list(&format!(
        "?resourceVersion={rv1}&resourceVersionMatch=Exact"
    ));
    assert_eq!(code, 200, "{v}");
    assert_eq!(names(&v), ["a:-"]);
    assert_eq!(v["metadata"]["resourceVersion"], json!(rv1));
    let (_, v) = list(&format!(
        "?resourceVersion={rv2}&resourceVersionMatch=Exact"
    ));
    assert_eq!(names(&v), ["a:x", "b:-"]);
    let (_, v) = list(&format!("?resourceVersion={rv2}&limit=1"));
    assert_eq!(names(&v), ["a:x"]);
    assert_eq!(v["metadata"]["resourceVersion"], json!(rv2));
    // NotOlderThan (and no match) read the current state.
    let (_, v) = list(&format!(
        "?resourceVersion={rv1}&resourceVersionMatch=NotOlderThan"
    ));
    assert_eq!(names(&v), ["a:x"]);
    let future = rv2.parse::<u64>().unwrap() + 1000;
    let (code, v) = list(&format!(
        "?resourceVersion={future}&resourceVersionMatch=Exact"
    ));
    assert_eq!(code, 504, "{v}");
    assert_eq!(v["reason"], "Timeout");
    assert!(
        v["message"].as_str().unwrap().starts_with(&format!(
            "Timeout: Too large resource version: {future}, current: "
        )),
        "{v}"
    );
    assert_eq!(
        v["details"]["causes"][0]["reason"],
        "ResourceVersionTooLarge"
    );
    for q in ["&resourceVersionMatch=NotOlderThan", ""] {
        let (code, v) = list(&format!("?resourceVersion={future}{q}"));
        assert_eq!(code, 504, "{q}: {v}");
        assert_eq!(
            v["details"]["causes"][0]["reason"],
            "ResourceVersionTooLarge"
        );
    }
    // Continue pages read the first page's snapshot (etcd at the token's revision).
    post("c");
    post("d");
    let (_, v) = list("?limit=1");
    assert_eq!(names(&v), ["a:x"]);
    let rv0 = v["metadata"]["resourceVersion"].clone();
    let mut token = v["metadata"]["continue"].as_str().unwrap().to_string();
    let (code, _) = s.curl("DELETE", &format!("{C}/c"), &[], None);
    assert_eq!(code, 200);
    let (code, text) = s.curl(
        "PATCH",
        &format!("{C}/d"),
        &[],
        Some((
            "application/merge-patch+json",
            br#"{"metadata":{"labels":{"l":"y"}}}"#,
        )),
    );
    assert_eq!(code, 200, "{text}");
    let mut pages = Vec::new();
    while !token.is_empty() {
        let (code, v) = list(&format!("?limit=1&continue={token}"));
        assert_eq!(code, 200, "{v}");
        assert_eq!(v["metadata"]["resourceVersion"], rv0);
        pages.extend(names(&v));
        token = v["metadata"]["continue"].as_str().unwrap_or("").to_string();
    }
    assert_eq!(pages, ["c:-", "d:-"]);
}

/// A legacy watch (resourceVersion 0) that allows bookmarks: the synthetic ADDED events, no
/// initial-events-end bookmark (that one is only for sendInitialEvents=true), and a plain
/// BOOKMARK 2 s before its deadline when the deadline comes before the next periodic one
/// (the cacher's nextBookmarkTime).
#[test]
fn legacy_watch_bookmarks_come_before_the_timeout() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let s = Server::start(d, &["--clock", "virtual"]);
    let (code, body) = s.curl(
        "POST",
        C,
        &[],
        Some(("application/json", &csr_body(d, "a"))),
    );
    assert_eq!(code, 201, "{body}");
    let (code, body) = s.curl(
        "GET",
        &format!("{C}?watch=true&resourceVersion=0&allowWatchBookmarks=true&timeoutSeconds=4"),
        &[],
        None,
    );
    assert_eq!(code, 200);
    let ev = events(&body);
    let types: Vec<&str> = ev.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(types, ["ADDED", "BOOKMARK"], "{body}");
    assert!(
        ev[1]["object"]["metadata"].get("annotations").is_none(),
        "{body}"
    );
    let rv = |e: &Value| {
        e["object"]["metadata"]["resourceVersion"]
            .as_str()
            .unwrap()
            .parse::<u64>()
            .unwrap()
    };
    assert!(rv(&ev[1]) >= rv(&ev[0]), "{body}");
}

/// A Table watch converts a BOOKMARK's object too (handlers' watchEmbeddedEncoder runs
/// `doTransformObject` on every event but a Status): a Table of one row for the kind's empty
/// object, its resourceVersion in the Table's metadata and in the row's
/// PartialObjectMetadata; column definitions only in the first event.
#[test]
fn table_watch_bookmarks_are_tables() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let s = Server::start(d, &["--clock", "virtual"]);
    let (code, body) = s.curl(
        "POST",
        C,
        &[],
        Some(("application/json", &csr_body(d, "a"))),
    );
    assert_eq!(code, 201, "{body}");
    let table = "Accept: application/json;as=Table;v=v1;g=meta.k8s.io,application/json";
    let (code, body) = s.curl(
        "GET",
        &format!("{C}?watch=true&resourceVersion=0&allowWatchBookmarks=true&timeoutSeconds=3"),
        &["-H", table],
        None,
    );
    assert_eq!(code, 200);
    let ev = events(&body);
    let types: Vec<&str> = ev.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(types, ["ADDED", "BOOKMARK"], "{body}");
    let b = &ev[1]["object"];
    let rv = b["metadata"]["resourceVersion"].as_str().unwrap();
    assert_eq!(
        b,
        &json!({
            "kind": "Table", "apiVersion": "meta.k8s.io/v1",
            "metadata": {"resourceVersion": rv},
            "columnDefinitions": null,
            "rows": [{
                "cells": ["", "<unknown>", "<none>", "", "<none>", "Pending"],
                "object": {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
                    "metadata": {"resourceVersion": rv, "creationTimestamp": null}},
            }],
        }),
        "{body}"
    );
}

/// A patch document is decoded strictly before it is applied (`applyJSPatch`,
/// `strategicPatchObject`): its duplicate keys come first, then the unknown fields of the
/// patched object; Strict refuses (422 on field `patch`), Warn (the default) warns.
#[test]
fn duplicate_keys_in_patch_documents() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let s = Server::start(d, &["--clock", "virtual"]);
    let (code, text) = s.curl(
        "POST",
        C,
        &[],
        Some(("application/json", &csr_body(d, "p"))),
    );
    assert_eq!(code, 201, "{text}");
    let merge = br#"{"metadata":{"labels":{"a":"1","a":"2"}},"spec":{"foo":1}}"#;
    let (code, text) = s.curl(
        "PATCH",
        &format!("{C}/p?fieldValidation=Strict"),
        &[],
        Some(("application/merge-patch+json", merge)),
    );
    assert_eq!(code, 422, "{text}");
    let msg = status(&text)["message"].as_str().unwrap().to_string();
    assert!(
        msg.ends_with(r#"strict decoding error: duplicate field "metadata.labels.a", unknown field "spec.foo""#),
        "{msg}"
    );
    let json_patch = br#"[{"op":"add","path":"/metadata/labels","value":{"b":"1"},"foo":1}]"#;
    let (code, text) = s.curl(
        "PATCH",
        &format!("{C}/p?fieldValidation=Strict"),
        &[],
        Some(("application/json-patch+json", json_patch)),
    );
    assert_eq!(code, 422, "{text}");
    let msg = status(&text)["message"].as_str().unwrap().to_string();
    assert!(
        msg.ends_with(r#"strict decoding error: json patch unknown field "[0].foo""#),
        "{msg}"
    );
    let headers = d.join("h.txt");
    let (code, text) = s.curl(
        "PATCH",
        &format!("{C}/p"),
        &["-D", headers.to_str().unwrap()],
        Some(("application/strategic-merge-patch+json", merge)),
    );
    assert_eq!(code, 200, "{text}");
    let v: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["metadata"]["labels"]["a"], "2", "the last value wins");
    let h = std::fs::read_to_string(&headers).unwrap();
    let warnings: Vec<&str> = h
        .lines()
        .filter_map(|l| {
            l.strip_prefix("warning: ")
                .or_else(|| l.strip_prefix("Warning: "))
        })
        .map(str::trim)
        .collect();
    assert_eq!(
        warnings,
        [
            r#"299 - "duplicate field \"metadata.labels.a\"""#,
            r#"299 - "unknown field \"spec.foo\"""#
        ],
        "{h}"
    );
}

/// Server-side apply decodes the patch once more with sigs.k8s.io/yaml's `UnmarshalStrict`
/// after the field manager's apply: duplicate keys are yaml.v2's errors, with the line of the
/// duplicate's value. Strict: 400 (on create and update); Warn: a warning, and the apply goes
/// through.
#[test]
fn apply_patches_with_duplicate_keys() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let s = Server::start(d, &["--clock", "virtual"]);
    let body: Value = serde_json::from_slice(&csr_body(d, "ap")).unwrap();
    let pretty = serde_json::to_string_pretty(&body).unwrap();
    // The duplicate goes on its own line, after "name".
    let dup = pretty.replacen(
        "\"name\": \"ap\"",
        "\"name\": \"ap\",\n    \"name\": \"ap\"",
        1,
    );
    let line = dup
        .lines()
        .enumerate()
        .filter(|(_, l)| l.contains("\"name\": \"ap\""))
        .nth(1)
        .unwrap()
        .0
        + 1;
    let apply = "application/apply-patch+yaml";
    let url = format!("{C}/ap?fieldManager=t&fieldValidation=Strict");
    let want = format!(
        "error strict decoding YAML: error converting YAML to JSON: yaml: unmarshal errors:\n  line {line}: key \"name\" already set in map"
    );
    let (code, text) = s.curl("PATCH", &url, &[], Some((apply, dup.as_bytes())));
    assert_eq!(code, 400, "{text}");
    assert_eq!(status(&text)["message"], want.as_str(), "create");
    let (code, text) = s.curl(
        "PATCH",
        &format!("{C}/ap?fieldManager=t"),
        &[],
        Some((apply, dup.as_bytes())),
    );
    assert_eq!(code, 201, "Warn creates: {text}");
    let (code, text) = s.curl("PATCH", &url, &[], Some((apply, dup.as_bytes())));
    assert_eq!(code, 400, "{text}");
    assert_eq!(status(&text)["message"], want.as_str(), "update");
    // A YAML (not JSON) configuration: the same yaml.v2 error, line of the duplicate's value.
    let yaml = "apiVersion: certificates.k8s.io/v1\nkind: CertificateSigningRequest\nmetadata:\n  name: ap\n  labels:\n    a: \"1\"\n    a: \"2\"\n";
    let (code, text) = s.curl("PATCH", &url, &[], Some((apply, yaml.as_bytes())));
    assert_eq!(code, 400, "{text}");
    assert_eq!(
        status(&text)["message"],
        "error strict decoding YAML: error converting YAML to JSON: yaml: unmarshal errors:\n  line 7: key \"a\" already set in map"
    );
}

/// Cascading deletes over HTTPS: `kubectl delete --cascade=foreground|orphan` returns (the
/// garbage collector removes its finalizer and the object goes), a DELETE that leaves the
/// object behind answers it (202 when `orphanDependents: false` asked for cascading, as
/// `DeleteResource` does), and a user's finalizer holds the object until it is removed.
#[test]
fn cascading_deletes_over_https() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let s = Server::start(d, &["--clock", "virtual"]);
    for (name, cascade) in [("fg", "foreground"), ("or", "orphan")] {
        let (code, body) = s.curl(
            "POST",
            C,
            &[],
            Some(("application/json", &csr_body(d, name))),
        );
        assert_eq!(code, 201, "{body}");
        let out = s.ok(
            KUBECTL,
            &[
                "delete",
                "csr",
                name,
                &format!("--cascade={cascade}"),
                "--timeout=20s",
            ],
            None,
        );
        assert_eq!(
            out.trim(),
            format!("certificatesigningrequest.certificates.k8s.io \"{name}\" deleted")
        );
        let (code, _) = s.curl("GET", &format!("{C}/{name}"), &[], None);
        assert_eq!(code, 404);
    }
    // A plain delete answers finalizeDelete's Success Status, which has no code.
    let (code, body) = s.curl(
        "POST",
        C,
        &[],
        Some(("application/json", &csr_body(d, "plain"))),
    );
    assert_eq!(code, 201, "{body}");
    let uid = serde_json::from_str::<Value>(&body).unwrap()["metadata"]["uid"].clone();
    let (code, body) = s.curl("DELETE", &format!("{C}/plain"), &[], None);
    assert_eq!(code, 200, "{body}");
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap(),
        json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success",
            "details": {"name": "plain", "group": "certificates.k8s.io", "kind": "certificatesigningrequests", "uid": uid}})
    );
    let mut held: Value = serde_json::from_slice(&csr_body(d, "held")).unwrap();
    held["metadata"]["finalizers"] = json!(["example.com/keep"]);
    let (code, body) = s.curl(
        "POST",
        C,
        &[],
        Some(("application/json", held.to_string().as_bytes())),
    );
    assert_eq!(code, 201, "{body}");
    let (code, body) = s.curl(
        "DELETE",
        &format!("{C}/held"),
        &[],
        Some(("application/json", br#"{"orphanDependents":false}"#)),
    );
    assert_eq!(code, 202, "{body}");
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["kind"], "CertificateSigningRequest", "{body}");
    assert_eq!(v["metadata"]["finalizers"], json!(["example.com/keep"]));
    assert!(v["metadata"]["deletionTimestamp"].is_string(), "{body}");
    let (code, body) = s.curl(
        "DELETE",
        &format!("{C}/held"),
        &[],
        Some(("application/json", br#"{"propagationPolicy":"Background"}"#)),
    );
    assert_eq!(code, 200, "{body}");
    let err = s.fails(
        KUBECTL,
        &[
            "patch",
            "csr",
            "held",
            "--type=merge",
            "-p",
            r#"{"metadata":{"finalizers":["example.com/keep","example.com/new"]}}"#,
        ],
    );
    assert!(
        err.contains("metadata.finalizers: Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{\"example.com/new\"}"),
        "{err}"
    );
    s.ok(
        KUBECTL,
        &[
            "patch",
            "csr",
            "held",
            "--type=json",
            "-p",
            r#"[{"op":"remove","path":"/metadata/finalizers"}]"#,
        ],
        None,
    );
    let (code, _) = s.curl("GET", &format!("{C}/held"), &[], None);
    assert_eq!(code, 404);
}

/// A YAML create body (`application/yaml`): the serializer converts it with sigs.k8s.io/yaml's
/// `YAMLToJSON` (a repeated key's last value wins, in opaque maps such as labels and
/// spec.extra too) and, in strict mode, reports `YAMLToJSONStrict`'s duplicate keys as one
/// yaml.v2 error before the unknown fields; under Warn each of its lines is a warning
/// (`parseYAMLWarnings`).
#[test]
fn duplicate_keys_in_yaml_bodies() {
    use base64::Engine;
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let s = Server::start(d, &["--clock", "virtual"]);
    let json: Value = serde_json::from_slice(&csr_body(d, "yb")).unwrap();
    let req = json["spec"]["request"].as_str().unwrap();
    assert!(base64::engine::general_purpose::STANDARD
        .decode(req)
        .is_ok());
    let yaml = format!(
        "apiVersion: certificates.k8s.io/v1\nkind: CertificateSigningRequest\nmetadata:\n  name: yb\n  labels:\n    a: \"1\"\n    a: \"2\"\nspec:\n  request: {req}\n  signerName: kubernetes.io/kube-apiserver-client\n  signerName: kubernetes.io/kube-apiserver-client\n  usages: [client auth]\n  extra:\n    k: [x]\n    k:\n    - z\n  foo: 1\n"
    );
    let (code, text) = s.curl(
        "POST",
        &format!("{C}?fieldValidation=Strict"),
        &[],
        Some(("application/yaml", yaml.as_bytes())),
    );
    assert_eq!(code, 400, "{text}");
    assert_eq!(
        status(&text)["message"],
        "CertificateSigningRequest in version \"v1\" cannot be handled as a CertificateSigningRequest: strict decoding error: yaml: unmarshal errors:\n  line 7: key \"a\" already set in map\n  line 11: key \"signerName\" already set in map\n  line 16: key \"k\" already set in map, unknown field \"spec.foo\""
    );
    let headers = d.join("headers.txt");
    let (code, text) = s.curl(
        "POST",
        C,
        &["-D", headers.to_str().unwrap()],
        Some(("application/yaml", yaml.as_bytes())),
    );
    assert_eq!(code, 201, "{text}");
    let v: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["metadata"]["labels"], json!({"a": "2"}));
    let h = std::fs::read_to_string(&headers).unwrap();
    let warnings: Vec<&str> = h
        .lines()
        .filter_map(|l| l.strip_prefix("warning: "))
        .map(str::trim)
        .collect();
    assert_eq!(
        warnings,
        [
            r#"299 - "line 7: key \"a\" already set in map""#,
            r#"299 - "line 11: key \"signerName\" already set in map""#,
            r#"299 - "line 16: key \"k\" already set in map""#,
            r#"299 - "unknown field \"spec.foo\"""#
        ],
        "{h}"
    );
}

/// The field manager's `decodeLiveOrNew` and meta/v1 `ValidateManagedFields`: client-sent
/// `managedFields` that do not decode (operation, apiVersion, fieldsType, FieldsV1) are
/// replaced by the live object's entries (none on a create) without an error, while entries
/// that decode but carry a bad manager or subresource are 422s; a negative generation is
/// `ValidateNonnegativeField`'s 422. Non-CSR kinds get the common ObjectMeta rules on update
/// (`validateCommonFields`).
#[test]
fn client_managed_fields_decode_or_fail_validation() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let s = Server::start(d, &[]);
    let post = |path: &str, body: &Value| {
        let b = body.to_string();
        s.curl("POST", path, &[], Some(("application/json", b.as_bytes())))
    };
    let put = |path: &str, body: &Value| {
        let b = body.to_string();
        s.curl("PUT", path, &[], Some(("application/json", b.as_bytes())))
    };
    let entry = |manager: &str, op: &str, api: &str, ft: &str, fv: Value| json!({"manager": manager, "operation": op, "apiVersion": api, "fieldsType": ft, "fieldsV1": fv});
    let csr_v = "certificates.k8s.io/v1";
    let fv = json!({"f:metadata": {"f:labels": {"f:z": {}}}});
    let managers = |v: &Value| -> Vec<String> {
        v["metadata"]["managedFields"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|e| e["manager"].as_str().unwrap().to_string())
                    .collect()
            })
            .unwrap_or_default()
    };
    // Entries that do not decode are dropped on create: only the requester's entry remains.
    let undecodable = [
        ("op", entry("m", "Foo", csr_v, "FieldsV1", fv.clone())),
        ("noapi", entry("m", "Update", "", "FieldsV1", fv.clone())),
        ("noft", entry("m", "Update", csr_v, "", fv.clone())),
        ("ft", entry("m", "Update", csr_v, "FieldsV2", fv.clone())),
        (
            "key",
            entry(
                "m",
                "Update",
                csr_v,
                "FieldsV1",
                json!({"f:spec": {"k:notjson": {}}}),
            ),
        ),
        (
            "idx",
            entry("m", "Update", csr_v, "FieldsV1", json!({"i:x": {}})),
        ),
        (
            "short",
            entry("m", "Update", csr_v, "FieldsV1", json!({"f": {}})),
        ),
        (
            "leaf",
            entry("m", "Update", csr_v, "FieldsV1", json!({"f:spec": 1})),
        ),
    ];
    for (case, e) in &undecodable {
        let mut body: Value = serde_json::from_slice(&csr_body(d, &format!("mf-{case}"))).unwrap();
        body["metadata"]["labels"] = json!({"a": "b"});
        body["metadata"]["managedFields"] = json!([e]);
        let (code, text) = post(C, &body);
        assert_eq!(code, 201, "{case}: {text}");
        let v: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(managers(&v), ["curl"], "{case}: {text}");
    }
    // One that decodes is kept; a path element of a type Set.FromJSON does not know is
    // skipped with its value, not an error.
    let mut body: Value = serde_json::from_slice(&csr_body(d, "mf-ok")).unwrap();
    body["metadata"]["labels"] = json!({"a": "b"});
    let mut fv_future = fv.clone();
    fv_future["x:future"] = json!({"f:y": {}});
    body["metadata"]["managedFields"] = json!([entry("m", "Update", csr_v, "FieldsV1", fv_future)]);
    let (code, text) = post(C, &body);
    assert_eq!(code, 201, "{text}");
    let created: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(managers(&created), ["m", "curl"], "{text}");
    assert_eq!(
        created["metadata"]["managedFields"][0]["fieldsV1"], fv,
        "{text}"
    );
    // An update whose entries do not decode keeps the live object's.
    let mut upd = created.clone();
    upd["metadata"]["managedFields"] = json!([entry("m", "Nope", csr_v, "FieldsV1", json!({}))]);
    upd["metadata"]["labels"] = json!({"a": "b", "c": "d"});
    let (code, text) = put(&format!("{C}/mf-ok"), &upd);
    assert_eq!(code, 200, "{text}");
    let v: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(managers(&v), ["m", "curl"], "{text}");
    assert_eq!(
        v["metadata"]["managedFields"][1]["fieldsV1"],
        json!({"f:metadata": {"f:labels": {".": {}, "f:a": {}, "f:c": {}}}}),
        "{text}"
    );
    // Entries that decode with a bad manager or subresource are 422s.
    let long = "m".repeat(129);
    let mut sub = entry("m", "Update", csr_v, "FieldsV1", fv.clone());
    sub["subresource"] = json!("s".repeat(257));
    let invalid = [
        ("long", entry(&long, "Update", csr_v, "FieldsV1", fv.clone()),
         "metadata.managedFields[0].manager: Too long: may not be more than 128 bytes"),
        ("ctl", entry("m\u{7}x\u{1}", "Update", csr_v, "FieldsV1", fv.clone()),
         "[metadata.managedFields[0].manager: Invalid value: \"m\\ax\\x01\": invalid character U+0007 (at position 1), metadata.managedFields[0].manager: Invalid value: \"m\\ax\\x01\": invalid character U+0001 (at position 3)]"),
        ("sub", sub, "metadata.managedFields[0].subresource: Too long: may not be more than 256 bytes"),
    ];
    for (case, e, msg) in invalid {
        let name = format!("mf-bad-{case}");
        let mut body: Value = serde_json::from_slice(&csr_body(d, &name)).unwrap();
        body["metadata"]["managedFields"] = json!([e]);
        let (code, text) = post(C, &body);
        assert_eq!(code, 422, "{case}: {text}");
        assert_eq!(
            status(&text)["message"],
            format!("CertificateSigningRequest.certificates.k8s.io \"{name}\" is invalid: {msg}"),
            "{case}"
        );
    }
    // ...also on an update, and for other kinds.
    let mut upd = v.clone();
    upd["metadata"]["managedFields"] =
        json!([entry(&long, "Update", csr_v, "FieldsV1", fv.clone())]);
    let (code, text) = put(&format!("{C}/mf-ok"), &upd);
    assert_eq!(code, 422, "{text}");
    assert_eq!(
        status(&text)["message"],
        "CertificateSigningRequest.certificates.k8s.io \"mf-ok\" is invalid: metadata.managedFields[0].manager: Too long: may not be more than 128 bytes"
    );
    let cr = "/apis/rbac.authorization.k8s.io/v1/clusterroles";
    let rbac_v = "rbac.authorization.k8s.io/v1";
    let (code, text) = post(
        cr,
        &json!({"metadata": {"name": "mf-long", "managedFields": [entry(&long, "Update", rbac_v, "FieldsV1", json!({}))]}}),
    );
    assert_eq!(code, 422, "{text}");
    assert_eq!(
        status(&text)["message"],
        "ClusterRole.rbac.authorization.k8s.io \"mf-long\" is invalid: metadata.managedFields[0].manager: Too long: may not be more than 128 bytes"
    );
    let (code, text) = post(
        cr,
        &json!({"metadata": {"name": "mf-op", "managedFields": [entry("m", "Foo", rbac_v, "FieldsV1", json!({}))]}}),
    );
    assert_eq!(code, 201, "{text}");
    let v: Value = serde_json::from_str(&text).unwrap();
    assert!(!text.contains("\"Foo\""), "{text}");
    // Generation: ValidateNonnegativeField on create.
    let mut body: Value = serde_json::from_slice(&csr_body(d, "mf-gen")).unwrap();
    body["metadata"]["generation"] = json!(-1);
    let (code, text) = post(C, &body);
    assert_eq!(code, 422, "{text}");
    assert_eq!(
        status(&text)["message"],
        "CertificateSigningRequest.certificates.k8s.io \"mf-gen\" is invalid: metadata.generation: Invalid value: -1: must be greater than or equal to 0"
    );
    // generateName is validated as a prefix by the kind's name function, before the name:
    // a CSR by validateCommonFields' path-segment rule, a Secret as a DNS subdomain (a
    // trailing '-' masked).
    let mut body: Value = serde_json::from_slice(&csr_body(d, "mf-gen")).unwrap();
    body["metadata"] = json!({"generateName": "a/"});
    let (code, text) = post(C, &body);
    assert_eq!(code, 422, "{text}");
    let st = status(&text);
    let generated = st["details"]["name"].as_str().unwrap();
    assert_eq!(
        st["message"],
        format!("CertificateSigningRequest.certificates.k8s.io \"{generated}\" is invalid: [metadata.generateName: Invalid value: \"a/\": may not contain '/', metadata.name: Invalid value: \"{generated}\": may not contain '/']")
    );
    let (code, text) = post(
        "/api/v1/namespaces/default/secrets",
        &json!({"metadata": {"generateName": "Bad-"}}),
    );
    assert_eq!(code, 422, "{text}");
    let st = status(&text);
    let generated = st["details"]["name"].as_str().unwrap();
    let subdomain = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
    assert_eq!(
        st["message"],
        format!("Secret \"{generated}\" is invalid: [metadata.generateName: Invalid value: \"Bad-\": {subdomain}, metadata.name: Invalid value: \"{generated}\": {subdomain}]")
    );
    // ValidateOwnerReferences.
    let mut body: Value = serde_json::from_slice(&csr_body(d, "mf-owner")).unwrap();
    body["metadata"]["ownerReferences"] = json!([{"apiVersion": "v1", "kind": "K", "name": "n"}]);
    let (code, text) = post(C, &body);
    assert_eq!(code, 422, "{text}");
    assert_eq!(
        status(&text)["message"],
        "CertificateSigningRequest.certificates.k8s.io \"mf-owner\" is invalid: metadata.ownerReferences.uid: Invalid value: \"\": must not be empty"
    );
    // BannedOwners (core v1 Event), the reference printed as Go's %#v of the struct.
    body["metadata"]["ownerReferences"] =
        json!([{"apiVersion": "v1", "kind": "Event", "name": "e", "uid": "u"}]);
    let (code, text) = post(C, &body);
    assert_eq!(code, 422, "{text}");
    let st = status(&text);
    assert_eq!(
        st["message"],
        "CertificateSigningRequest.certificates.k8s.io \"mf-owner\" is invalid: metadata.ownerReferences: Invalid value: v1.OwnerReference{APIVersion:\"v1\", Kind:\"Event\", Name:\"e\", UID:\"u\", Controller:(*bool)(nil), BlockOwnerDeletion:(*bool)(nil)}: /v1, Kind=Event is disallowed from being an owner"
    );
    assert_eq!(
        st["details"]["causes"][0]["field"],
        "metadata.ownerReferences"
    );
    // Only one controller.
    body["metadata"]["ownerReferences"] = json!([
        {"apiVersion": "v1", "kind": "Pod", "name": "a", "uid": "1", "controller": true},
        {"apiVersion": "apps/v1", "kind": "Deployment", "name": "b", "uid": "2", "controller": true},
    ]);
    let (code, text) = post(C, &body);
    assert_eq!(code, 422, "{text}");
    let msg = status(&text)["message"].as_str().unwrap().to_string();
    assert!(
        msg.starts_with("CertificateSigningRequest.certificates.k8s.io \"mf-owner\" is invalid: metadata.ownerReferences: Invalid value: []v1.OwnerReference{v1.OwnerReference{APIVersion:\"v1\", Kind:\"Pod\""),
        "{msg}"
    );
    assert!(
        msg.ends_with("}}: Only one reference can have Controller set to true. Found \"true\" in references for Pod/a and Deployment/b"),
        "{msg}"
    );
    // On an update, the CSR's ObjectMeta rules run four times (validateCommonFields' create
    // and update rules, then the strategy's): four causes, one message.
    let mut body: Value = serde_json::from_slice(&csr_body(d, "mf-owner")).unwrap();
    let (code, text) = post(C, &body);
    assert_eq!(code, 201, "{text}");
    let created: Value = serde_json::from_str(&text).unwrap();
    body["metadata"] = created["metadata"].clone();
    body["metadata"]["ownerReferences"] =
        json!([{"apiVersion": "v1", "kind": "Event", "name": "e", "uid": "u"}]);
    let (code, text) = put(&format!("{C}/mf-owner"), &body);
    assert_eq!(code, 422, "{text}");
    let st = status(&text);
    assert!(
        st["message"]
            .as_str()
            .unwrap()
            .ends_with("}: /v1, Kind=Event is disallowed from being an owner"),
        "{text}"
    );
    assert_eq!(
        st["details"]["causes"].as_array().unwrap().len(),
        4,
        "{text}"
    );
    // The common ObjectMeta rules on updates of other kinds.
    let label_msg = "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
    let mut upd = v.clone();
    upd["metadata"]["labels"] = json!({"-bad-": "x"});
    let (code, text) = put(&format!("{cr}/mf-op"), &upd);
    assert_eq!(code, 422, "{text}");
    assert_eq!(
        status(&text)["message"],
        format!("ClusterRole.rbac.authorization.k8s.io \"mf-op\" is invalid: metadata.labels: Invalid value: \"-bad-\": {label_msg}")
    );
    let (code, text) = post(
        "/api/v1/namespaces",
        &json!({"metadata": {"name": "mf-ns"}}),
    );
    assert_eq!(code, 201, "{text}");
    let mut ns: Value = serde_json::from_str(&text).unwrap();
    ns["metadata"]["annotations"] = json!({"a": "x".repeat(256 * 1024)});
    let (code, text) = put("/api/v1/namespaces/mf-ns", &ns);
    assert_eq!(code, 422, "{text}");
    assert_eq!(
        status(&text)["message"],
        "Namespace \"mf-ns\" is invalid: metadata.annotations: Too long: may not be more than 262144 bytes"
    );
    let secrets = "/api/v1/namespaces/mf-ns/secrets";
    let (code, text) = post(secrets, &json!({"metadata": {"name": "s"}}));
    assert_eq!(code, 201, "{text}");
    let mut sec: Value = serde_json::from_str(&text).unwrap();
    sec["metadata"]["labels"] = json!({"a/b/c": "x"});
    let (code, text) = put(&format!("{secrets}/s"), &sec);
    assert_eq!(code, 422, "{text}");
    assert_eq!(
        status(&text)["message"],
        "Secret \"s\" is invalid: metadata.labels: Invalid value: \"a/b/c\": a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"
    );
}

/// `dedupOwnerReferencesAndAddWarning`: an owner reference repeated exactly is dropped with
/// a warning — before admission on a create or an update, after it (its own text) on a
/// patch; entries sharing a uid but differing in a field are kept.
#[test]
fn duplicate_owner_references_are_dropped_with_a_warning() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let s = Server::start(d, &["--clock", "virtual"]);
    let headers = d.join("headers.txt");
    let warnings = || -> Vec<String> {
        std::fs::read_to_string(&headers)
            .unwrap()
            .lines()
            .filter_map(|l| {
                l.strip_prefix("warning: ")
                    .or_else(|| l.strip_prefix("Warning: "))
            })
            .map(|w| w.trim().to_string())
            .collect()
    };
    let text = |after: &str, uids: &str| {
        format!("299 - \".metadata.ownerReferences contains duplicate entries{after}; API server dedups owner references in 1.20+, and may reject such requests as early as 1.24; please fix your requests; duplicate UID(s) observed: {uids}\"")
    };
    let o = |name: &str, uid: &str| json!({"apiVersion": "v1", "kind": "ConfigMap", "name": name, "uid": uid});
    let mut body: Value = serde_json::from_slice(&csr_body(d, "own")).unwrap();
    body["metadata"]["ownerReferences"] = json!([
        o("a", "1"),
        o("b", "2"),
        o("a", "1"),
        o("other", "1"),
        o("b", "2")
    ]);
    let (code, created) = s.curl(
        "POST",
        C,
        &["-D", headers.to_str().unwrap()],
        Some(("application/json", body.to_string().as_bytes())),
    );
    assert_eq!(code, 201, "{created}");
    assert_eq!(warnings(), [text("", "1, 2")]);
    let created: Value = serde_json::from_str(&created).unwrap();
    assert_eq!(
        created["metadata"]["ownerReferences"],
        json!([o("a", "1"), o("b", "2"), o("other", "1")])
    );
    // update
    let mut upd = created.clone();
    upd["metadata"]["ownerReferences"] = json!([o("a", "1"), o("a", "1")]);
    let (code, text_) = s.curl(
        "PUT",
        &format!("{C}/own"),
        &["-D", headers.to_str().unwrap()],
        Some(("application/json", upd.to_string().as_bytes())),
    );
    assert_eq!(code, 200, "{text_}");
    assert_eq!(warnings(), [text("", "1")]);
    let v: Value = serde_json::from_str(&text_).unwrap();
    assert_eq!(v["metadata"]["ownerReferences"], json!([o("a", "1")]));
    // patch
    let patch = json!({"metadata": {"ownerReferences": [o("c", "3"), o("c", "3")]}});
    let (code, text_) = s.curl(
        "PATCH",
        &format!("{C}/own"),
        &["-D", headers.to_str().unwrap()],
        Some(("application/merge-patch+json", patch.to_string().as_bytes())),
    );
    assert_eq!(code, 200, "{text_}");
    assert_eq!(warnings(), [text(" after mutating admission happens", "3")]);
    let v: Value = serde_json::from_str(&text_).unwrap();
    assert_eq!(v["metadata"]["ownerReferences"], json!([o("c", "3")]));
}

/// A watch with a selector judges an update on the object before and after it (the cacher's
/// `convertToWatchEvent`): leaving the selection is DELETED with the old object at the
/// event's resourceVersion, entering it is ADDED — both when the watch replays the log and
/// when it follows live changes, and in Tables.
#[test]
fn selector_watches_see_objects_enter_and_leave() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let s = Server::start(d, &["--clock", "virtual"]);
    let mut body: Value = serde_json::from_slice(&csr_body(d, "w")).unwrap();
    body["metadata"]["labels"] = json!({"team": "a"});
    let (code, text) = s.curl(
        "POST",
        C,
        &[],
        Some(("application/json", body.to_string().as_bytes())),
    );
    assert_eq!(code, 201, "{text}");
    let rv0 = serde_json::from_str::<Value>(&text).unwrap()["metadata"]["resourceVersion"]
        .as_str()
        .unwrap()
        .to_string();
    let path =
        format!("{C}?watch=true&labelSelector=team%3Da&resourceVersion={rv0}&timeoutSeconds=2");
    let (c, k) = s.admin_cert_files();
    let spawn_watch = |accept: &'static str| {
        let (url, ca) = (format!("{}{path}", s.url), d.join("ca.crt"));
        let (c, k) = (c.clone(), k.clone());
        std::thread::spawn(move || {
            let o = std::process::Command::new("curl")
                .args(["-s", "--http1.1", "-H", accept, "--cacert"])
                .arg(ca)
                .arg("--cert")
                .arg(c)
                .arg("--key")
                .arg(k)
                .arg(url)
                .output()
                .unwrap();
            String::from_utf8_lossy(&o.stdout).into_owned()
        })
    };
    let live = spawn_watch("Accept: application/json");
    let table = spawn_watch("Accept: application/json;as=Table;g=meta.k8s.io;v=v1");
    std::thread::sleep(std::time::Duration::from_millis(700));
    let label = |v: &str| {
        let p = json!({"metadata": {"labels": {"team": v}}}).to_string();
        let (code, text) = s.curl(
            "PATCH",
            &format!("{C}/w"),
            &[],
            Some(("application/merge-patch+json", p.as_bytes())),
        );
        assert_eq!(code, 200, "{text}");
        serde_json::from_str::<Value>(&text).unwrap()["metadata"]["resourceVersion"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let rv_b = label("b");
    label("c"); // outside the selection before and after: not seen
    let rv_a = label("a");
    let want = |objects: Vec<(String, Value)>| -> Vec<(String, String, Value)> {
        objects
            .into_iter()
            .map(|(t, o)| {
                (
                    t,
                    o["metadata"]["resourceVersion"]
                        .as_str()
                        .unwrap()
                        .to_string(),
                    o["metadata"]["labels"].clone(),
                )
            })
            .collect()
    };
    let expected = vec![
        ("DELETED".to_string(), rv_b.clone(), json!({"team": "a"})),
        ("ADDED".to_string(), rv_a.clone(), json!({"team": "a"})),
    ];
    let got = |body: &str, table: bool| {
        want(
            events(body)
                .into_iter()
                .map(|e| {
                    let o = if table {
                        e["object"]["rows"][0]["object"].clone()
                    } else {
                        e["object"].clone()
                    };
                    (e["type"].as_str().unwrap().to_string(), o)
                })
                .collect(),
        )
    };
    assert_eq!(got(&live.join().unwrap(), false), expected, "live");
    assert_eq!(got(&table.join().unwrap(), true), expected, "table");
    // The same from the log.
    let (code, body) = s.curl("GET", &path, &[], None);
    assert_eq!(code, 200);
    assert_eq!(got(&body, false), expected, "replayed");
}

/// A list's items are the objects without kind and apiVersion, their fields in the Go
/// struct's order (metadata, spec, status), not reordered by removing the two.
#[test]
fn list_items_keep_their_field_order() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let s = Server::start(d, &["--clock", "virtual"]);
    let (code, text) = s.curl(
        "POST",
        C,
        &[],
        Some(("application/json", &csr_body(d, "ord"))),
    );
    assert_eq!(code, 201, "{text}");
    let (code, text) = s.curl("GET", C, &[], None);
    assert_eq!(code, 200);
    let compact: String = text.split_whitespace().collect();
    assert!(
        compact.contains(r#""items":[{"metadata":{"name":"ord","#),
        "{text}"
    );
    let item = &serde_json::from_str::<Value>(&text).unwrap()["items"][0];
    let keys: Vec<&String> = item.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["metadata", "spec", "status"]);
}

/// `Accept: …;as=PartialObjectMetadata(List);g=meta.k8s.io;v=v1` (client-go's metadata
/// client): the object's metadata only, a list of them (no items: null), 406 NotAcceptable
/// for an object asked as a list or the reverse, and watch events of PartialObjectMetadata.
#[test]
fn partial_object_metadata_answers() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let s = Server::start(d, &["--clock", "virtual"]);
    let (code, text) = s.curl(
        "POST",
        C,
        &[],
        Some(("application/json", &csr_body(d, "pm"))),
    );
    assert_eq!(code, 201, "{text}");
    let created: Value = serde_json::from_str(&text).unwrap();
    let one = "Accept: application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1";
    let list = "Accept: application/vnd.kubernetes.protobuf;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json";
    let (code, text) = s.curl("GET", &format!("{C}/pm"), &["-H", one], None);
    assert_eq!(code, 200, "{text}");
    assert_eq!(
        serde_json::from_str::<Value>(&text).unwrap(),
        json!({"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": created["metadata"]})
    );
    let (code, text) = s.curl("GET", C, &["-H", list], None);
    assert_eq!(code, 200, "{text}");
    let v: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["kind"], "PartialObjectMetadataList");
    assert_eq!(v["items"][0]["kind"], "PartialObjectMetadata");
    assert_eq!(v["items"][0]["metadata"], created["metadata"]);
    let (code, text) = s.curl(
        "GET",
        "/api/v1/namespaces/default/secrets",
        &["-H", list],
        None,
    );
    assert_eq!(code, 200, "{text}");
    assert_eq!(
        serde_json::from_str::<Value>(&text).unwrap()["items"],
        Value::Null
    );
    let (code, text) = s.curl("GET", C, &["-H", one], None);
    assert_eq!(code, 406, "{text}");
    assert_eq!(
        status(&text)["message"],
        "you requested PartialObjectMetadata, but the requested object is a list (*certificates.CertificateSigningRequestList)"
    );
    let (code, text) = s.curl("GET", &format!("{C}/pm"), &["-H", list], None);
    assert_eq!(code, 406, "{text}");
    assert_eq!(
        status(&text)["message"],
        "you requested PartialObjectMetadataList, but the requested object is not a list (*certificates.CertificateSigningRequest)"
    );
    // A Table asked first wins.
    let (code, text) = s.curl(
        "GET",
        C,
        &["-H", "Accept: application/json;as=Table;g=meta.k8s.io;v=v1,application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1"],
        None,
    );
    assert_eq!(code, 200, "{text}");
    assert_eq!(
        serde_json::from_str::<Value>(&text).unwrap()["kind"],
        "Table"
    );
    let (code, body) = s.curl(
        "GET",
        &format!("{C}?watch=true&resourceVersion=0&timeoutSeconds=1"),
        &["-H", one],
        None,
    );
    assert_eq!(code, 200);
    let ev = events(&body);
    assert_eq!(ev.len(), 1, "{body}");
    assert_eq!(
        ev[0],
        json!({"type": "ADDED", "object": {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": created["metadata"]}})
    );
}

/// A Table's `includeObject`: `Metadata` (the default) a PartialObjectMetadata per row,
/// `None` null, `Object` the whole object with its kind; anything else is the 400 of
/// `ValidateTableOptions`.
#[test]
fn table_include_object() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let s = Server::start(d, &["--clock", "virtual"]);
    let (code, text) = s.curl(
        "POST",
        C,
        &[],
        Some(("application/json", &csr_body(d, "io"))),
    );
    assert_eq!(code, 201, "{text}");
    let t = "Accept: application/json;as=Table;g=meta.k8s.io;v=v1";
    let row_object = |q: &str| {
        let (code, text) = s.curl("GET", &format!("{C}?{q}"), &["-H", t], None);
        assert_eq!(code, 200, "{text}");
        serde_json::from_str::<Value>(&text).unwrap()["rows"][0]["object"].clone()
    };
    assert_eq!(
        row_object("includeObject=Metadata")["kind"],
        "PartialObjectMetadata"
    );
    assert_eq!(row_object("includeObject=None"), Value::Null);
    let o = row_object("includeObject=Object");
    assert_eq!(o["kind"], "CertificateSigningRequest");
    assert_eq!(o["apiVersion"], "certificates.k8s.io/v1");
    assert_eq!(
        o["spec"]["signerName"],
        "kubernetes.io/kube-apiserver-client"
    );
    let (code, text) = s.curl("GET", &format!("{C}?includeObject=Bad"), &["-H", t], None);
    assert_eq!(code, 400, "{text}");
    assert_eq!(
        status(&text)["message"],
        r#"Unable to convert to Table as requested: includeObject: Unsupported value: "Bad": supported values: "Metadata", "None", "Object""#
    );
}

/// Owner references decode as `metav1.OwnerReference`: unknown keys are dropped (and named
/// in a warning), the fields come back in the struct's order with `null` pointers omitted,
/// and a wrong type is the decoder's 400.
#[test]
fn owner_references_decode_as_the_go_struct() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let s = Server::start(d, &["--clock", "virtual"]);
    let headers = d.join("headers.txt");
    let mut body: Value = serde_json::from_slice(&csr_body(d, "od")).unwrap();
    body["metadata"]["ownerReferences"] = json!([{"uid": "1", "foo": 1, "controller": false, "name": "c", "kind": "ConfigMap", "apiVersion": "v1", "blockOwnerDeletion": null}]);
    let (code, text) = s.curl(
        "POST",
        C,
        &["-D", headers.to_str().unwrap()],
        Some(("application/json", body.to_string().as_bytes())),
    );
    assert_eq!(code, 201, "{text}");
    let h = std::fs::read_to_string(&headers)
        .unwrap()
        .to_ascii_lowercase();
    assert!(
        h.contains(r#"warning: 299 - "unknown field \"metadata.ownerreferences[0].foo\"""#),
        "{h}"
    );
    let compact: String = text.split_whitespace().collect();
    assert!(
        compact.contains(r#""ownerReferences":[{"apiVersion":"v1","kind":"ConfigMap","name":"c","uid":"1","controller":false}]"#),
        "{text}"
    );
    body["metadata"]["name"] = json!("od2");
    body["metadata"]["ownerReferences"] = json!([{"uid": "1", "controller": "yes"}]);
    let (code, text) = s.curl(
        "POST",
        C,
        &[],
        Some(("application/json", body.to_string().as_bytes())),
    );
    assert_eq!(code, 400, "{text}");
    assert_eq!(
        status(&text)["message"],
        "CertificateSigningRequest in version \"v1\" cannot be handled as a CertificateSigningRequest: json: cannot unmarshal string into Go struct field OwnerReference.metadata.ownerReferences.controller of type bool"
    );
}

/// The field manager of every kind (`fieldmanager` in the apiserver's handlers): kubectl's
/// creates of a namespace and a Role carry `managedFields` (`kubectl-create`, Update, the
/// kind's apiVersion), a named namespace is labelled `kubernetes.io/metadata.name`
/// (`SetDefaults_Namespace`), and server-side apply conflicts on an atomic `rules` list with
/// structured-merge-diff's text until `--force-conflicts`; fields no longer applied go.
#[test]
fn other_kinds_track_managed_fields_and_server_side_apply() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let s = Server::start(d, &["--clock", "virtual"]);
    let get = |args: &[&str]| -> Value {
        let mut a = vec!["get"];
        a.extend_from_slice(args);
        a.extend_from_slice(&["-o", "json", "--show-managed-fields"]);
        serde_json::from_str(&s.ok(KUBECTL, &a, None)).unwrap()
    };
    // What the apiserver makes at start is its own (`kube-apiserver`, Update).
    let default = get(&["namespace", "default"]);
    let mf = &default["metadata"]["managedFields"];
    assert_eq!(
        (&mf[0]["manager"], &mf[0]["operation"]),
        (&json!("kube-apiserver"), &json!("Update")),
        "{mf}"
    );
    let role = get(&["clusterrole", "system:node-bootstrapper"]);
    let mf = &role["metadata"]["managedFields"];
    assert_eq!(mf[0]["manager"], "kube-apiserver");
    assert_eq!(
        mf[0]["fieldsV1"],
        json!({"f:metadata": {"f:annotations": {".": {}, "f:rbac.authorization.kubernetes.io/autoupdate": {}},
            "f:labels": {".": {}, "f:kubernetes.io/bootstrapping": {}}}, "f:rules": {}})
    );
    s.ok(KUBECTL, &["create", "namespace", "team"], None);
    let ns = get(&["namespace", "team"]);
    assert_eq!(
        ns["metadata"]["labels"],
        json!({"kubernetes.io/metadata.name": "team"})
    );
    let mf = &ns["metadata"]["managedFields"][0];
    assert_eq!(
        (&mf["manager"], &mf["operation"], &mf["apiVersion"]),
        (&json!("kubectl-create"), &json!("Update"), &json!("v1"))
    );
    assert_eq!(
        mf["fieldsV1"],
        json!({"f:metadata": {"f:labels": {".": {}, "f:kubernetes.io/metadata.name": {}}}})
    );
    s.ok(
        KUBECTL,
        &[
            "create",
            "role",
            "reader",
            "--verb=get",
            "--resource=secrets",
            "-n",
            "team",
        ],
        None,
    );
    let role = get(&["role", "reader", "-n", "team"]);
    let mf = &role["metadata"]["managedFields"];
    assert_eq!(mf.as_array().unwrap().len(), 1, "{mf}");
    assert_eq!(mf[0]["manager"], "kubectl-create");
    assert_eq!(mf[0]["apiVersion"], "rbac.authorization.k8s.io/v1");
    assert_eq!(mf[0]["fieldsV1"], json!({"f:rules": {}}));
    let config = |verbs: &str, labels: &str| {
        format!(
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata:\n  name: reader\n  namespace: team\n{labels}rules:\n- apiGroups: [\"\"]\n  resources: [secrets]\n  verbs: [{verbs}]\n"
        )
    };
    let o = s.kubectl(
        KUBECTL,
        &["apply", "--server-side", "-f", "-"],
        Some(&config("get, list", "")),
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success());
    assert!(
        err.contains("Apply failed with 1 conflict: conflict with \"kubectl-create\" using rbac.authorization.k8s.io/v1: .rules"),
        "{err}"
    );
    s.ok(
        KUBECTL,
        &["apply", "--server-side", "--force-conflicts", "-f", "-"],
        Some(&config(
            "get, list",
            "  labels:\n    a: \"1\"\n    b: \"2\"\n",
        )),
    );
    let role = get(&["role", "reader", "-n", "team"]);
    assert_eq!(role["rules"][0]["verbs"], json!(["get", "list"]));
    let mf = &role["metadata"]["managedFields"];
    assert_eq!(mf.as_array().unwrap().len(), 1, "{mf}");
    assert_eq!(
        (&mf[0]["manager"], &mf[0]["operation"]),
        (&json!("kubectl"), &json!("Apply"))
    );
    assert_eq!(
        mf[0]["fieldsV1"],
        json!({"f:metadata": {"f:labels": {"f:a": {}, "f:b": {}}}, "f:rules": {}})
    );
    // Applied again without label b: b goes, a stays.
    s.ok(
        KUBECTL,
        &["apply", "--server-side", "-f", "-"],
        Some(&config("get, list", "  labels:\n    a: \"1\"\n")),
    );
    let role = get(&["role", "reader", "-n", "team"]);
    assert_eq!(role["metadata"]["labels"], json!({"a": "1"}));
}

/// Namespace termination as the namespace registry, NamespaceLifecycle admission and the
/// namespace controller do it: the first DELETE answers the namespace `Terminating` with its
/// `deletionTimestamp` (the `kubernetes` finalizer still in `spec.finalizers`); content
/// without finalizers goes at once; while an object with finalizers remains the namespace
/// stays `Terminating`, creates in it are 403 and another DELETE is 409; once that object
/// is gone the namespace is finalized and deleted.
#[test]
fn namespace_termination_waits_for_its_content() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let s = Server::start(d, &["--clock", "virtual"]);
    let post = |path: &str, body: Value| {
        let (code, text) = s.curl(
            "POST",
            path,
            &[],
            Some(("application/json", body.to_string().as_bytes())),
        );
        (code, serde_json::from_str::<Value>(&text).unwrap())
    };
    let call = |method: &str, path: &str| {
        let (code, text) = s.curl(method, path, &[], None);
        (code, serde_json::from_str::<Value>(&text).unwrap())
    };
    let ns = "/api/v1/namespaces";
    let secrets = "/api/v1/namespaces/gone/secrets";
    assert_eq!(post(ns, json!({"metadata": {"name": "gone"}})).0, 201);
    assert_eq!(
        post(
            secrets,
            json!({"metadata": {"name": "held", "finalizers": ["example.com/keep"]}})
        )
        .0,
        201
    );
    assert_eq!(post(secrets, json!({"metadata": {"name": "plain"}})).0, 201);
    let (code, v) = call("DELETE", &format!("{ns}/gone"));
    assert_eq!(code, 200, "{v}");
    assert_eq!(v["kind"], "Namespace");
    assert_eq!(v["status"]["phase"], "Terminating");
    assert_eq!(v["spec"]["finalizers"], json!(["kubernetes"]));
    assert!(v["metadata"]["deletionTimestamp"].is_string(), "{v}");
    // On the virtual clock the namespace controller runs after the next request: this one
    // still sees the namespace as the DELETE left it.
    let (code, v) = call("GET", &format!("{ns}/gone"));
    assert_eq!((code, &v["status"]["phase"]), (200, &json!("Terminating")));
    assert!(v["status"]["conditions"].is_null(), "{v}");
    let (code, v) = call("GET", &format!("{ns}/gone"));
    assert_eq!((code, &v["status"]["phase"]), (200, &json!("Terminating")));
    // The controller's status update is its own in managedFields.
    let kcm: Vec<&Value> = v["metadata"]["managedFields"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["manager"] == "kube-controller-manager")
        .collect();
    assert_eq!(kcm.len(), 1, "{v}");
    assert_eq!(
        (&kcm[0]["operation"], &kcm[0]["subresource"]),
        (&json!("Update"), &json!("status"))
    );
    let owned = kcm[0]["fieldsV1"]["f:status"]["f:conditions"]
        .as_object()
        .unwrap();
    assert_eq!(owned.len(), 6, "{owned:?}"); // `.` and the five conditions
    assert_eq!(
        owned["k:{\"type\":\"NamespaceContentRemaining\"}"],
        json!({".": {}, "f:lastTransitionTime": {}, "f:message": {}, "f:reason": {}, "f:status": {}, "f:type": {}})
    );
    // `namespaceConditionUpdater`: five conditions, the remaining content named.
    let conditions: Vec<(&str, &str, &str, &str)> = v["status"]["conditions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["type"].as_str().unwrap(),
                c["status"].as_str().unwrap(),
                c["reason"].as_str().unwrap(),
                c["message"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        conditions,
        [
            (
                "NamespaceDeletionDiscoveryFailure",
                "False",
                "ResourcesDiscovered",
                "All resources successfully discovered"
            ),
            (
                "NamespaceDeletionGroupVersionParsingFailure",
                "False",
                "ParsedGroupVersions",
                "All legacy kube types successfully parsed"
            ),
            (
                "NamespaceDeletionContentFailure",
                "False",
                "ContentDeleted",
                "All content successfully deleted, may be waiting on finalization"
            ),
            (
                "NamespaceContentRemaining",
                "True",
                "SomeResourcesRemain",
                "Some resources are remaining: secrets. has 1 resource instances"
            ),
            (
                "NamespaceFinalizersRemaining",
                "True",
                "SomeFinalizerRemain",
                "Some finalizers are remaining: example.com/keep in 1 resource instances"
            ),
        ]
    );
    assert_eq!(call("GET", &format!("{secrets}/plain")).0, 404);
    let (code, held) = call("GET", &format!("{secrets}/held"));
    assert_eq!(code, 200);
    assert!(held["metadata"]["deletionTimestamp"].is_string(), "{held}");
    let (code, st) = post(secrets, json!({"metadata": {"name": "new"}}));
    assert_eq!(code, 403, "{st}");
    assert_eq!(
        st["message"],
        "secrets \"new\" is forbidden: unable to create new content in namespace gone because it is being terminated"
    );
    assert_eq!(
        st["details"]["causes"],
        json!([{"reason": "NamespaceTerminating", "message": "namespace gone is being terminated", "field": "metadata.namespace"}])
    );
    // Another DELETE answers the namespace as it is; its own precondition texts.
    let (code, again) = call("DELETE", &format!("{ns}/gone"));
    assert_eq!(
        (code, &again["status"]["phase"]),
        (200, &json!("Terminating"))
    );
    let (code, text) = s.curl(
        "DELETE",
        &format!("{ns}/gone"),
        &[],
        Some(("application/json", br#"{"preconditions":{"uid":"nope"}}"#)),
    );
    assert_eq!(code, 409, "{text}");
    let uid = again["metadata"]["uid"].as_str().unwrap();
    assert_eq!(
        status(&text)["message"],
        format!("Operation cannot be fulfilled on namespaces \"gone\": Precondition failed: UID in precondition: nope, UID in object meta: {uid}")
    );
    // The finalizer removed: the secret goes, then the namespace.
    let (code, _) = s.curl(
        "PATCH",
        &format!("{secrets}/held"),
        &[],
        Some((
            "application/merge-patch+json",
            br#"{"metadata":{"finalizers":null}}"#,
        )),
    );
    assert_eq!(code, 200);
    assert_eq!(call("GET", &format!("{secrets}/held")).0, 404);
    assert_eq!(call("GET", &format!("{ns}/gone")).0, 404);
    // A finalizer of someone else's in `spec.finalizers` (`kubernetes` is appended on
    // create) holds the namespace after the controller's own is gone, until `/finalize`
    // (update only) empties them: that update deletes it.
    let (code, v) = post(
        ns,
        json!({"metadata": {"name": "stuck"}, "spec": {"finalizers": ["example.com/hold"]}}),
    );
    assert_eq!(code, 201, "{v}");
    assert_eq!(
        v["spec"]["finalizers"],
        json!(["example.com/hold", "kubernetes"])
    );
    let (code, st) = post(
        ns,
        json!({"metadata": {"name": "bad"}, "spec": {"finalizers": ["hold"]}}),
    );
    assert_eq!(code, 422, "{st}");
    assert_eq!(
        st["message"],
        "Namespace \"bad\" is invalid: spec.finalizers[0]: Invalid value: \"hold\": name is neither a standard finalizer name nor is it fully qualified"
    );
    assert_eq!(call("DELETE", &format!("{ns}/stuck")).0, 200);
    // (the request after which the namespace controller runs)
    assert_eq!(call("GET", &format!("{ns}/stuck")).0, 200);
    let (code, v) = call("GET", &format!("{ns}/stuck"));
    assert_eq!(code, 200);
    assert_eq!(v["spec"]["finalizers"], json!(["example.com/hold"]));
    assert_eq!(v["status"]["phase"], "Terminating");
    // The main resource keeps `spec.finalizers` (PrepareForUpdate); `/status` reads it.
    let mut put = v.clone();
    put["spec"]["finalizers"] = json!([]);
    let (code, text) = s.curl(
        "PUT",
        &format!("{ns}/stuck"),
        &[],
        Some(("application/json", put.to_string().as_bytes())),
    );
    assert_eq!(code, 200, "{text}");
    let (code, v) = call("GET", &format!("{ns}/stuck/status"));
    assert_eq!(code, 200);
    assert_eq!(v["spec"]["finalizers"], json!(["example.com/hold"]));
    assert_eq!(call("GET", &format!("{ns}/stuck/finalize")).0, 405);
    let mut fin = v.clone();
    fin["spec"]["finalizers"] = json!([]);
    let (code, text) = s.curl(
        "PUT",
        &format!("{ns}/stuck/finalize"),
        &[],
        Some(("application/json", fin.to_string().as_bytes())),
    );
    assert_eq!(code, 200, "{text}");
    assert_eq!(call("GET", &format!("{ns}/stuck")).0, 404);
    // An empty namespace is gone by the time kubectl's delete returns.
    s.ok(KUBECTL, &["create", "namespace", "t2"], None);
    let out = s.ok(KUBECTL, &["delete", "namespace", "t2"], None);
    assert_eq!(out.trim(), "namespace \"t2\" deleted");
    assert_eq!(call("GET", &format!("{ns}/t2")).0, 404);
}

/// A plain watch from a resourceVersion the server has not reached: the cacher neither
/// waits nor fails (only a watch list waits, then ends in 504 `Too large resource version`);
/// its watcher sends only events newer than that resourceVersion (`cacheWatcher.process`).
#[test]
fn plain_watch_from_a_future_resource_version_skips_what_it_has_not_reached() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let s = Server::start(d, &["--clock", "virtual"]);
    let secrets = "/api/v1/namespaces/default/secrets";
    let (code, body) = s.curl("GET", secrets, &[], None);
    assert_eq!(code, 200);
    let current: u64 = serde_json::from_str::<Value>(&body).unwrap()["metadata"]["resourceVersion"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let future = current + 1;
    std::thread::scope(|scope| {
        let watch = scope.spawn(|| {
            s.curl(
                "GET",
                &format!(
                    "{secrets}?watch=true&resourceVersion={future}&allowWatchBookmarks=true&timeoutSeconds=2"
                ),
                &[],
                None,
            )
        });
        std::thread::sleep(std::time::Duration::from_millis(500));
        for name in ["first", "second"] {
            let (code, body) = s.curl(
                "POST",
                secrets,
                &[],
                Some((
                    "application/json",
                    json!({"metadata": {"name": name}}).to_string().as_bytes(),
                )),
            );
            assert_eq!(code, 201, "{body}");
        }
        let (code, body) = watch.join().unwrap();
        assert_eq!(code, 200, "{body}");
        let ev = events(&body);
        let added: Vec<(&str, &str)> = ev
            .iter()
            .filter(|e| e["type"] != "BOOKMARK")
            .map(|e| {
                (
                    e["type"].as_str().unwrap(),
                    e["object"]["metadata"]["name"].as_str().unwrap(),
                )
            })
            .collect();
        assert_eq!(added, [("ADDED", "second")], "{body}");
        for b in ev.iter().filter(|e| e["type"] == "BOOKMARK") {
            let rv: u64 = b["object"]["metadata"]["resourceVersion"]
                .as_str()
                .unwrap()
                .parse()
                .unwrap();
            assert!(rv > future, "{body}");
        }
    });
}

/// HTTP/2 over ALPN with kube-apiserver's settings: 100 streams per connection unless
/// `--http2-max-streams-per-connection` says otherwise (`SecureServingInfo.Serve`), and
/// watches multiplexed on one connection each get their events.
#[test]
fn http2_streams_per_connection_as_kube_apiserver() {
    use csrsim::bench::client::{connect_h2, start_h2_stream, Tls};
    for (extra, want) in [
        (&[][..], 100usize),
        (&["--http2-max-streams-per-connection", "7"][..], 7),
    ] {
        let tmp = tempfile::tempdir().unwrap();
        let s = Server::start(tmp.path(), extra);
        let tls = Tls::from_data_dir(&s.dir).unwrap();
        let addr = s.url.trim_start_matches("https://").to_string();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let mut send = connect_h2(&addr, &tls).await.expect("h2 connection");
            let path =
                "/apis/certificates.k8s.io/v1/certificatesigningrequests?watch=1&timeoutSeconds=5";
            let mut bodies = Vec::new();
            for _ in 0..3 {
                let (st, body) = start_h2_stream(&mut send, path).await.expect("watch");
                assert_eq!(st, 200);
                bodies.push(body);
            }
            // the server's SETTINGS came before the first response's headers
            assert_eq!(send.current_max_send_streams(), want, "{extra:?}");
            let (st, mut create) = {
                let req = http::Request::post(
                    "https://127.0.0.1/apis/certificates.k8s.io/v1/certificatesigningrequests",
                )
                .header("content-type", "application/json")
                .body(())
                .unwrap();
                let (resp, mut stream) = send.send_request(req, false).unwrap();
                stream
                    .send_data(csr_body(&s.dir, "over-h2").into(), true)
                    .unwrap();
                let resp = resp.await.unwrap();
                (resp.status().as_u16(), resp.into_body())
            };
            while create.data().await.is_some() {}
            assert_eq!(st, 201);
            for mut b in bodies {
                let mut got = Vec::new();
                while !got.ends_with(b"\n") {
                    let d = b.data().await.expect("an event").unwrap();
                    let _ = b.flow_control().release_capacity(d.len());
                    got.extend_from_slice(&d);
                }
                let e: Value = serde_json::from_slice(&got).unwrap();
                assert_eq!(e["type"], "ADDED");
                assert_eq!(e["object"]["metadata"]["name"], "over-h2");
            }
        });
    }
}

/// Aggregated discovery (`apidiscovery.k8s.io/v2`, `k8s.io/api/apidiscovery/v2` types) on
/// `/api` and `/apis` for the Accept header client-go ≥ 1.30 sends first, with the apiserver's
/// `ServeHTTPWithETag` headers and 304; other Accept headers keep the unaggregated documents.
#[test]
fn aggregated_discovery_documents() {
    let tmp = tempfile::tempdir().unwrap();
    let s = Server::start(tmp.path(), &["--clock", "virtual"]);
    let accept = "Accept: application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json";
    let header = |head: &str, name: &str| {
        head.lines()
            .find_map(|l| {
                let (k, v) = l.split_once(':')?;
                k.eq_ignore_ascii_case(name).then(|| v.trim().to_string())
            })
            .unwrap_or_default()
    };
    let split = |text: &str| {
        let (head, body) = text.split_once("\r\n\r\n").unwrap();
        (head.to_string(), body.to_string())
    };
    let (code, text) = s.curl("GET", "/apis", &["-i", "-H", accept], None);
    assert_eq!(code, 200, "{text}");
    let (head, body) = split(&text);
    assert_eq!(
        header(&head, "content-type"),
        "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"
    );
    assert_eq!(header(&head, "vary"), "Accept");
    assert_eq!(header(&head, "cache-control"), "public");
    let etag = header(&head, "etag");
    assert!(
        etag.len() == 130 && etag.starts_with('"') && etag.ends_with('"'),
        "{etag}"
    );
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["kind"], "APIGroupDiscoveryList");
    assert_eq!(v["apiVersion"], "apidiscovery.k8s.io/v2");
    assert_eq!(v["metadata"], json!({}));
    let names: Vec<&str> = v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["metadata"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "apps",
            "authentication.k8s.io",
            "authorization.k8s.io",
            "autoscaling",
            "batch",
            "certificates.k8s.io",
            "networking.k8s.io",
            "rbac.authorization.k8s.io"
        ]
    );
    let certs = v["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["metadata"]["name"] == "certificates.k8s.io")
        .unwrap();
    let kind = json!({"group": "", "version": "", "kind": "CertificateSigningRequest"});
    let rw = json!(["get", "patch", "update"]);
    assert_eq!(
        certs,
        &json!({"metadata": {"name": "certificates.k8s.io", "creationTimestamp": null}, "versions": [{
            "version": "v1",
            "resources": [{
                "resource": "certificatesigningrequests", "responseKind": kind, "scope": "Cluster",
                "singularResource": "certificatesigningrequest",
                "verbs": ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"],
                "shortNames": ["csr"],
                "subresources": [
                    {"subresource": "approval", "responseKind": kind, "verbs": rw},
                    {"subresource": "status", "responseKind": kind, "verbs": rw},
                ],
            }],
            "freshness": "Current",
        }]})
    );
    let apps = &v["items"][0]["versions"][0]["resources"][1];
    assert_eq!(apps["resource"], "deployments");
    assert_eq!(apps["scope"], "Namespaced");
    assert_eq!(apps["categories"], json!(["all"]));
    // Unchanged since: 304 without a body.
    let (code, text) = s.curl(
        "GET",
        "/apis",
        &["-i", "-H", accept, "-H", &format!("If-None-Match: {etag}")],
        None,
    );
    assert_eq!(code, 304, "{text}");
    assert_eq!(header(&text, "etag"), etag);
    // The core group at /api: no name.
    let (code, text) = s.curl("GET", "/api", &["-H", accept], None);
    assert_eq!(code, 200, "{text}");
    let v: Value = serde_json::from_str(&text).unwrap();
    let items = v["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["metadata"], json!({"creationTimestamp": null}));
    let versions = items[0]["versions"].as_array().unwrap();
    assert_eq!(versions.len(), 1);
    assert_eq!(versions[0]["version"], "v1");
    let ns = versions[0]["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["resource"] == "namespaces")
        .unwrap();
    let ns_kind = json!({"group": "", "version": "", "kind": "Namespace"});
    assert_eq!(
        ns,
        &json!({"resource": "namespaces", "responseKind": ns_kind, "scope": "Cluster",
        "singularResource": "namespace",
        "verbs": ["create", "delete", "get", "list", "patch", "update", "watch"],
        "shortNames": ["ns"],
        "subresources": [
            {"subresource": "finalize", "responseKind": ns_kind, "verbs": ["update"]},
            {"subresource": "status", "responseKind": ns_kind, "verbs": ["get", "patch", "update"]},
        ]})
    );
    // v2beta1 is not served (1.33): the unaggregated documents.
    for (path, kind) in [("/apis", "APIGroupList"), ("/api", "APIVersions")] {
        let (code, text) = s.curl(
            "GET",
            path,
            &["-i", "-H", "Accept: application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json"],
            None,
        );
        assert_eq!(code, 200, "{text}");
        let (head, body) = split(&text);
        assert_eq!(header(&head, "content-type"), "application/json");
        let v: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(v["kind"], kind);
    }
}

/// A create answers with the object exactly as stored (the server writes the stored JSON out
/// as it is): byte for byte what a GET of it answers next, one compact line, Go's field order.
#[test]
fn a_create_answers_the_stored_object_byte_for_byte() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let s = Server::start(d, &["--clock", "virtual"]);
    // Not curl's User-Agent: the apiserver pretty-prints for curl.
    let ua = ["-A", "e2e-test/1.0"];
    let mut body: Value = serde_json::from_slice(&csr_body(d, "same-bytes")).unwrap();
    body["metadata"]["labels"] = json!({"b": "2", "a": "1"});
    let body = serde_json::to_vec(&body).unwrap();
    let (code, created) = s.curl("POST", C, &ua, Some(("application/json", &body)));
    assert_eq!(code, 201, "{created}");
    let (code, got) = s.curl("GET", &format!("{C}/same-bytes"), &ua, None);
    assert_eq!(code, 200, "{got}");
    assert_eq!(created, got);
    assert!(!created.trim_end().contains('\n'), "{created}");
    assert!(
        created.starts_with(r#"{"kind":"CertificateSigningRequest","apiVersion":"certificates.k8s.io/v1","metadata":{"name":"same-bytes","#),
        "{created}"
    );
    let v: Value = serde_json::from_str(&created).unwrap();
    // written by the create itself: the labels (sorted) and their field manager
    assert_eq!(v["metadata"]["labels"], json!({"a": "1", "b": "2"}));
    assert_eq!(
        v["metadata"]["managedFields"][0]["manager"], "e2e-test",
        "{created}"
    );
}

/// Authorization comes before routing (`WithAuthorization` runs before the mux): a path
/// nothing serves is the 404 (or 405) only to a user allowed the request as `RequestInfo`
/// reads it; anyone else gets the 403 of that request (resource, subresource, name,
/// namespace, verb), and a non-resource path outside the discovery rules is a path 403.
#[test]
fn unserved_paths_are_authorized_first() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let s = Server::start_with_tokens(d, "tok-alice,alice,uid-1,\"devs\"\n");
    let alice = [
        "-H".to_string(),
        "Authorization: Bearer tok-alice".to_string(),
    ];
    let nf = "the server could not find the requested resource";
    let cases: &[(&str, &str, u16, &str)] = &[
        (
            "GET",
            "/foo",
            403,
            r#"forbidden: User "alice" cannot get path "/foo""#,
        ),
        ("GET", "/apis/foo", 404, nf),
        (
            "GET",
            "/apis/certificates.k8s.io/v1/foos",
            403,
            r#"foos.certificates.k8s.io is forbidden: User "alice" cannot list resource "foos" in API group "certificates.k8s.io" at the cluster scope"#,
        ),
        (
            "GET",
            "/apis/certificates.k8s.io/v1/watch/certificatesigningrequests",
            403,
            r#"certificatesigningrequests.certificates.k8s.io is forbidden: User "alice" cannot watch resource "certificatesigningrequests" in API group "certificates.k8s.io" at the cluster scope"#,
        ),
        (
            "GET",
            &format!("{C}/x/foo"),
            403,
            r#"certificatesigningrequests.certificates.k8s.io "x" is forbidden: User "alice" cannot get resource "certificatesigningrequests/foo" in API group "certificates.k8s.io" at the cluster scope"#,
        ),
        (
            "DELETE",
            "/api/v1/namespaces/default/secrets/x/y/z",
            403,
            r#"secrets "x" is forbidden: User "alice" cannot delete resource "secrets/y" in API group "" in the namespace "default""#,
        ),
        (
            "POST",
            "/api/v1/secrets",
            403,
            r#"secrets is forbidden: User "alice" cannot create resource "secrets" in API group "" at the cluster scope"#,
        ),
        (
            "DELETE",
            "/api/v1/namespaces",
            403,
            r#"namespaces is forbidden: User "alice" cannot deletecollection resource "namespaces" in API group "" at the cluster scope"#,
        ),
    ];
    for (method, path, code, message) in cases {
        let (got, body) = s.curl_raw(method, path, &alice, None);
        let st = status(&body);
        assert_eq!(
            (got, st["message"].as_str().unwrap_or("")),
            (*code, *message),
            "{method} {path}: {body}"
        );
    }
    // The health roots are public (system:public-info-viewer); a single check's path is not:
    // a 401 without credentials, alice's 403, system:monitoring's (or the admin's) `ok`.
    for path in ["/healthz", "/livez/", "/readyz"] {
        assert_eq!(
            s.curl_raw("GET", path, &[], None),
            (200, "ok".to_string()),
            "{path}"
        );
        assert_eq!(s.curl_raw("GET", path, &alice, None).0, 200, "{path}");
    }
    for path in ["/healthz/ping", "/livez/ping", "/readyz/shutdown"] {
        let (code, body) = s.curl_raw("GET", path, &[], None);
        assert_eq!(
            (code, status(&body)["reason"].as_str()),
            (401, Some("Unauthorized")),
            "{path}"
        );
        let (code, body) = s.curl_raw("GET", path, &alice, None);
        assert_eq!(
            (code, status(&body)["message"].as_str().unwrap_or("")),
            (
                403,
                format!(r#"forbidden: User "alice" cannot get path "{path}""#).as_str()
            ),
            "{path}"
        );
        assert_eq!(
            s.curl("GET", path, &[], None),
            (200, "ok".to_string()),
            "{path}"
        );
    }
    // The admin (system:masters) is allowed everything: the mux's answers.
    for (method, path, code) in [
        ("GET", "/foo", 404),
        ("GET", "/apis/certificates.k8s.io/v1/foos", 404),
        ("GET", &format!("{C}/x/foo") as &str, 404),
        ("POST", "/api/v1/secrets", 405),
        ("DELETE", "/api/v1/namespaces", 405),
    ] {
        assert_eq!(s.curl(method, path, &[], None).0, code, "{method} {path}");
    }
}

/// A list or watch of one name (a `metadata.name` field selector, what `kubectl get NAME
/// --watch` sends) is authorized for that name (`RequestInfoFactory`), so RBAC rules with
/// `resourceNames` allow it; other names and unselected lists stay forbidden.
#[test]
fn a_watch_of_one_name_is_authorized_for_that_name() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let s = Server::start_with_tokens(d, "tok-alice,alice,uid-1,\"devs\"\n");
    let (code, body) = s.curl(
        "POST",
        C,
        &[],
        Some(("application/json", &csr_body(d, "a"))),
    );
    assert_eq!(code, 201, "{body}");
    let role = json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
        "metadata": {"name": "watch-a"}, "rules": [{"apiGroups": ["certificates.k8s.io"],
        "resources": ["certificatesigningrequests"], "resourceNames": ["a"], "verbs": ["list", "watch"]}]});
    let binding = json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
        "metadata": {"name": "alice-watch-a"}, "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "watch-a"},
        "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "alice"}]});
    for (path, obj) in [
        ("/apis/rbac.authorization.k8s.io/v1/clusterroles", role),
        (
            "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings",
            binding,
        ),
    ] {
        let b = obj.to_string();
        let (code, body) = s.curl("POST", path, &[], Some(("application/json", b.as_bytes())));
        assert_eq!(code, 201, "{body}");
    }
    let alice = [
        "-H".to_string(),
        "Authorization: Bearer tok-alice".to_string(),
    ];
    let (code, body) = s.curl_raw(
        "GET",
        &format!("{C}?watch=true&fieldSelector=metadata.name%3Da&timeoutSeconds=1"),
        &alice,
        None,
    );
    assert_eq!(code, 200, "{body}");
    let first: Value = serde_json::from_str(body.lines().next().unwrap()).unwrap();
    assert_eq!(
        (&first["type"], &first["object"]["metadata"]["name"]),
        (&json!("ADDED"), &json!("a"))
    );
    let (code, body) = s.curl_raw(
        "GET",
        &format!("{C}?fieldSelector=metadata.name%3D%3Da"),
        &alice,
        None,
    );
    assert_eq!(code, 200, "{body}");
    for (path, message) in [
        (
            format!("{C}?watch=true&fieldSelector=metadata.name%3Db"),
            r#"certificatesigningrequests.certificates.k8s.io "b" is forbidden: User "alice" cannot watch resource "certificatesigningrequests" in API group "certificates.k8s.io" at the cluster scope"#,
        ),
        (
            C.to_string(),
            r#"certificatesigningrequests.certificates.k8s.io is forbidden: User "alice" cannot list resource "certificatesigningrequests" in API group "certificates.k8s.io" at the cluster scope"#,
        ),
    ] {
        let (code, body) = s.curl_raw("GET", &path, &alice, None);
        assert_eq!(
            (code, status(&body)["message"].as_str().unwrap_or("")),
            (403, message),
            "{path}"
        );
    }
}

/// HEAD: go-restful matches the method exactly (`RouterJSR311.detectRoute`), so on an API
/// path, `/version` and `/api` it is a 405 (the Status body dropped, as Go's server drops any
/// HEAD body); the plain handlers (health checks) answer it as a GET without the body. Over
/// HTTP/2 too: a body on a HEAD answer was a stream PROTOCOL_ERROR to curl (status 000).
#[test]
fn head_requests_follow_go_restful_and_never_carry_a_body() {
    let tmp = tempfile::tempdir().unwrap();
    let s = Server::start(tmp.path(), &["--clock", "virtual"]);
    for proto in ["--http1.1", "--http2"] {
        for (path, code) in [
            (C.to_string(), 405),
            (format!("{C}/x"), 405),
            ("/apis/certificates.k8s.io/v1".into(), 405),
            ("/version".into(), 405),
            ("/api".into(), 405),
            ("/healthz".into(), 200),
            ("/readyz".into(), 200),
        ] {
            let (got, head) = s.curl("HEAD", &path, &["-I", proto], None);
            assert_eq!(got, code, "{proto} HEAD {path}: {head}");
            let lower = head.to_ascii_lowercase();
            assert!(lower.contains("audit-id: "), "{proto} {path}: {head}");
            assert!(lower.contains("content-length: "), "{proto} {path}: {head}");
            assert!(!head.contains('{'), "no body: {proto} {path}: {head}");
        }
    }
    // GET is unchanged.
    let (code, body) = s.curl("GET", "/version", &["--http2"], None);
    assert_eq!(code, 200, "{body}");
    assert!(body.contains("\"gitVersion\""), "{body}");
}

/// A JSON patch of the wrong shape is the 400 of apiserver's `jsonPatcher.applyJSPatch`
/// decoding (handlers/patch.go): under Warn (the default) and Strict `kjson.UnmarshalStrict`
/// into `[]jsonPatchOp` ("error decoding patch: " and Go's type error), under Ignore json-patch's
/// `DecodePatch` error as is; `null` is an empty patch (was a 400 "json patch must be an array
/// of operations" for every shape, and a 422 for a non-object operation).
#[test]
fn patch_decoding_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let s = Server::start(d, &["--clock", "virtual"]);
    let (code, text) = s.curl(
        "POST",
        C,
        &[],
        Some(("application/json", &csr_body(d, "jp"))),
    );
    assert_eq!(code, 201, "{text}");
    let cases: [(&str, &str, u16, &str); 9] = [
        (r#"{"op":"add"}"#, "", 400, "error decoding patch: json: cannot unmarshal object into Go value of type []handlers.jsonPatchOp"),
        (r#"{"op":"add"}"#, "?fieldValidation=Strict", 400, "error decoding patch: json: cannot unmarshal object into Go value of type []handlers.jsonPatchOp"),
        (r#"{"op":"add"}"#, "?fieldValidation=Ignore", 400, "json: cannot unmarshal object into Go value of type jsonpatch.Patch"),
        (r#""x""#, "", 400, "error decoding patch: json: cannot unmarshal string into Go value of type []handlers.jsonPatchOp"),
        ("[1]", "", 400, "error decoding patch: json: cannot unmarshal number into Go value of type handlers.jsonPatchOp"),
        ("[true]", "?fieldValidation=Ignore", 400, "json: cannot unmarshal bool into Go value of type jsonpatch.Operation"),
        (r#"[{"op":1,"path":"/x"}]"#, "", 400, "error decoding patch: json: cannot unmarshal number into Go struct field jsonPatchOp.op of type string"),
        // json-patch's Operation takes any value: the unknown op fails in Apply (a 422).
        (r#"[{"op":1,"path":"/x"}]"#, "?fieldValidation=Ignore", 422, "the server rejected our request due to an error in our request"),
        ("null", "", 200, ""),
    ];
    let cases = cases
        .into_iter()
        .map(|(p, q, w, m)| ("application/json-patch+json", p, q, w, m));
    let merge = "application/merge-patch+json";
    let smp = "application/strategic-merge-patch+json";
    // Merge patch: kjson.UnmarshalStrict into a map under Warn/Strict, then json-patch v4's
    // MergePatch (ErrBadJSONPatch "Invalid JSON Patch" for null, and for a scalar under
    // Ignore); strategic merge patch: strategicPatchObject's unmarshal in every mode, null an
    // empty patch. (Were "patch did not produce an object" and "strategic merge patch must be
    // a JSON object".)
    let others: [(&str, &str, &str, u16, &str); 8] = [
        (merge, "[1]", "", 400, "error decoding patch: json: cannot unmarshal array into Go value of type map[string]interface {}"),
        (merge, r#""x""#, "?fieldValidation=Strict", 400, "error decoding patch: json: cannot unmarshal string into Go value of type map[string]interface {}"),
        (merge, "5", "?fieldValidation=Ignore", 400, "Invalid JSON Patch"),
        (merge, "null", "", 400, "Invalid JSON Patch"),
        (smp, "[1]", "", 400, "json: cannot unmarshal array into Go value of type map[string]interface {}"),
        (smp, "true", "?fieldValidation=Ignore", 400, "json: cannot unmarshal bool into Go value of type map[string]interface {}"),
        (smp, "null", "", 200, ""),
        (smp, "null", "?fieldValidation=Ignore", 200, ""),
    ];
    for (ct, patch, q, want, msg) in cases.chain(others) {
        let (code, text) = s.curl(
            "PATCH",
            &format!("{C}/jp{q}"),
            &[],
            Some((ct, patch.as_bytes())),
        );
        assert_eq!(code, want, "{ct} {patch} {q}: {text}");
        if want != 200 {
            assert_eq!(status(&text)["message"], msg, "{ct} {patch} {q}");
            assert_eq!(status(&text)["code"], want);
        } else {
            let v: Value = serde_json::from_str(&text).unwrap();
            assert_eq!(v["metadata"]["name"], "jp", "{text}");
        }
    }
}

/// kube-openapi's handler3 `HandleGroupVersion`: `Etag` (the quoted hash) and `Vary: Accept`;
/// the index's hashed URL is cacheable forever (`Cache-Control: public, immutable`, `Expires`),
/// a stale hash is a 301 to the current URL, and `If-None-Match` with the Etag a 304 (were a
/// plain 200 with `no-cache, private` for every URL).
#[test]
fn openapi_v3_documents_are_cacheable_by_hash() {
    let tmp = tempfile::tempdir().unwrap();
    let s = Server::start(tmp.path(), &["--clock", "virtual"]);
    let (code, body) = s.curl("GET", "/openapi/v3", &[], None);
    assert_eq!(code, 200, "{body}");
    let index: Value = serde_json::from_str(&body).unwrap();
    let url = index["paths"]["apis/certificates.k8s.io/v1"]["serverRelativeURL"]
        .as_str()
        .unwrap()
        .to_string();
    let hash = url.rsplit_once("?hash=").unwrap().1.to_string();
    let header = |head: &str, name: &str| -> Option<String> {
        head.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case(name).then(|| v.trim().to_string())
        })
    };
    // computeETag: the SHA-512 of the document's bytes, upper-case hex (was a SHA-256).
    let (_, doc) = s.curl("GET", &url, &[], None);
    let sha512 = |b: &[u8]| -> String {
        use sha2::Digest;
        sha2::Sha512::digest(b)
            .iter()
            .map(|x| format!("{x:02X}"))
            .collect()
    };
    assert_eq!(hash, sha512(doc.as_bytes()));
    // The index (HandleDiscovery): json.Marshal's bytes, no newline, their etag; 304 on match.
    assert!(!body.ends_with('\n'), "no trailing newline");
    let (_, out) = s.curl("GET", "/openapi/v3", &["-D", "-", "-o", "/dev/null"], None);
    assert_eq!(
        header(&out, "etag"),
        Some(format!("\"{}\"", sha512(body.as_bytes())))
    );
    let inm = format!("If-None-Match: \"{}\"", sha512(body.as_bytes()));
    let (code, _) = s.curl("GET", "/openapi/v3", &["-H", &inm], None);
    assert_eq!(code, 304);
    let (code, out) = s.curl("GET", &url, &["-D", "-"], None);
    assert_eq!(code, 200, "{out}");
    assert_eq!(
        header(&out, "cache-control").as_deref(),
        Some("public, immutable")
    );
    assert_eq!(header(&out, "etag"), Some(format!("\"{hash}\"")));
    assert_eq!(header(&out, "vary").as_deref(), Some("Accept"));
    let expires = header(&out, "expires").expect("expires");
    assert!(
        expires.ends_with(" UTC") && expires.len() == 29,
        "{expires}"
    );
    let (code, out) = s.curl(
        "GET",
        "/openapi/v3/apis/certificates.k8s.io/v1",
        &["-D", "-"],
        None,
    );
    assert_eq!(code, 200, "{out}");
    assert_eq!(
        header(&out, "cache-control").as_deref(),
        Some("no-cache, private")
    );
    assert_eq!(header(&out, "etag"), Some(format!("\"{hash}\"")));
    assert_eq!(header(&out, "expires"), None);
    let stale = "/openapi/v3/apis/certificates.k8s.io/v1?hash=0123";
    let (code, out) = s.curl("GET", stale, &["-D", "-"], None);
    assert_eq!(code, 301, "{out}");
    assert_eq!(header(&out, "location"), Some(url.clone()));
    let inm = format!("If-None-Match: \"{hash}\"");
    let (code, out) = s.curl("GET", &url, &["-D", "-", "-H", &inm], None);
    assert_eq!(code, 304, "{out}");
    // kube-openapi's v2 handler serves through http.ServeContent too.
    let (code, out) = s.curl("GET", "/openapi/v2", &["-D", "-", "-o", "/dev/null"], None);
    assert_eq!(code, 200, "{out}");
    let etag = header(&out, "etag").expect("etag");
    let inm = format!("If-None-Match: {etag}");
    let (code, out) = s.curl("GET", "/openapi/v2", &["-D", "-", "-H", &inm], None);
    assert_eq!(code, 304, "{out}");
    assert_eq!(header(&out, "content-type"), None, "{out}");
}

/// `/version` is `responsewriters.WriteRawJSON`: `json.MarshalIndent(info, "", "  ")` for any
/// client (not only curl's pretty-printed one), no trailing newline (was compact JSON and a
/// newline to a non-curl User-Agent).
#[test]
fn version_is_indented_for_every_client() {
    let tmp = tempfile::tempdir().unwrap();
    let s = Server::start(tmp.path(), &["--clock", "virtual"]);
    for ua in ["kubectl/v1.33.0 (linux/amd64) kubernetes/abc", "curl/8.0"] {
        let (code, body) = s.curl("GET", "/version", &["-A", ua], None);
        assert_eq!(code, 200, "{body}");
        assert!(
            body.starts_with("{\n  \"major\": \"1\",\n  \"minor\": \"33\","),
            "{ua}: {body}"
        );
        assert!(body.ends_with("\n}"), "{ua}: {body:?}");
    }
}

/// Records in `<data-dir>/wal/log` (each `len:u32le crc:u32le payload`; zeros end the log).
fn log_records(dir: &std::path::Path) -> usize {
    let b = std::fs::read(dir.join("wal/log")).unwrap();
    let (mut i, mut n) = (8, 0);
    while i + 8 <= b.len() {
        let len = u32::from_le_bytes(b[i..i + 4].try_into().unwrap()) as usize;
        if len == 0 {
            break;
        }
        i += 8 + len;
        n += 1;
    }
    n
}

/// `--clock real` with a data dir, idle: the clock's record is no longer appended at every
/// 100 ms tick (601 records a minute before). While virtual time follows the wall clock
/// nothing is written (a restart begins at the wall clock); after a warp the record is a
/// lease a minute ahead, so that even a SIGKILL never makes the clock go back.
#[test]
fn real_clock_idle_writes_no_clock_records_and_never_goes_back() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let s = Server::start(d, &["--clock", "real"]);
    std::thread::sleep(std::time::Duration::from_millis(300));
    let idle = log_records(d);
    std::thread::sleep(std::time::Duration::from_millis(1500));
    assert_eq!(log_records(d), idle, "records appended while idle");

    s.advance("25h");
    std::thread::sleep(std::time::Duration::from_millis(1200));
    let shown = s.clock();
    let warped = log_records(d);
    assert!(warped <= idle + 2, "{idle} → {warped} records");
    std::thread::sleep(std::time::Duration::from_millis(1500));
    assert_eq!(
        log_records(d),
        warped,
        "records appended while idle after a warp"
    );
    drop(s); // SIGKILL

    let s = Server::start(d, &["--clock", "real"]);
    let resumed = s.clock();
    assert!(resumed >= shown, "clock went back: {shown} → {resumed}");
    let t = |x: &str| chrono_free_secs(x);
    assert!(
        t(&resumed) - t(&shown) <= 70,
        "resumed more than the lease ahead: {shown} → {resumed}"
    );
}

/// Seconds of an RFC 3339 `YYYY-MM-DDTHH:MM:SSZ` within a month's span (enough here).
fn chrono_free_secs(s: &str) -> i64 {
    let n = |r: std::ops::Range<usize>| s[r].parse::<i64>().unwrap();
    ((n(8..10) * 24 + n(11..13)) * 60 + n(14..16)) * 60 + n(17..19)
}

/// A path with a malformed `%` escape: Go's server refuses the request line before any
/// handler (`url.ParseRequestURI` in `readRequest`; `conn.serve` writes `HTTP/1.1 400 Bad
/// Request`, `Content-Type: text/plain; charset=utf-8`, `Connection: close`, body `400 Bad
/// Request`); it used to be routed as sent (a 404 Status here).
#[test]
fn malformed_percent_escape_in_path_is_gos_plain_400() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let s = Server::start(d, &["--clock", "virtual"]);
    let (c, k) = s.admin_cert_files();
    for path in [
        format!("{C}/a%zz"),
        format!("{C}/a%2"),
        "/api%/v1".to_string(),
    ] {
        let o = std::process::Command::new("curl")
            .args(["-s", "-S", "--http1.1", "-i", "--path-as-is", "--cacert"])
            .arg(d.join("ca.crt"))
            .arg("--cert")
            .arg(&c)
            .arg("--key")
            .arg(&k)
            .arg(format!("{}{path}", s.url))
            .output()
            .unwrap();
        let out = String::from_utf8_lossy(&o.stdout).replace("\r\n", "\n");
        let (head, body) = out.split_once("\n\n").unwrap_or((&out, ""));
        let head = head.to_ascii_lowercase();
        assert!(
            head.starts_with("http/1.1 400 bad request\n"),
            "{path}: {out}"
        );
        assert!(head.contains("\nconnection: close"), "{path}: {out}");
        assert!(
            head.contains("\ncontent-type: text/plain; charset=utf-8"),
            "{path}: {out}"
        );
        assert!(!head.contains("audit-id"), "before any handler: {out}");
        assert_eq!(body, "400 Bad Request", "{path}");
    }
    // well-formed escapes are still decoded and routed
    let (code, body) = s.curl("GET", &format!("{C}/a%25b"), &[], None);
    assert_eq!(code, 404, "{body}");
    assert_eq!(status(&body)["reason"], "NotFound");
}

/// A clock record that cannot be written is answered as a failed put is (a 500 `storage
/// error: …`, logged), not acknowledged with a 200 as if the clock were durable. The store
/// log is made immutable (`chattr +i`: every write to it fails); skipped where chattr is
/// not allowed.
#[test]
fn a_failed_clock_record_is_a_500_and_logged() {
    struct Immutable(std::path::PathBuf);
    impl Drop for Immutable {
        fn drop(&mut self) {
            let _ = std::process::Command::new("chattr")
                .arg("-i")
                .arg(&self.0)
                .status();
        }
    }
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let s = Server::start(d, &["--clock", "virtual", "--log-format", "json"]);
    let log = d.join("wal/log");
    let ok = std::process::Command::new("chattr")
        .arg("+i")
        .arg(&log)
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|st| st.success());
    if !ok {
        eprintln!("skipped: chattr +i not allowed here");
        return;
    }
    let _guard = Immutable(log);
    let (code, body) = s.curl(
        "POST",
        "/sim/v1/clock",
        &[],
        Some(("application/json", br#"{"advance":"1h"}"#)),
    );
    assert_eq!(code, 500, "{body}");
    let st = status(&body);
    assert_eq!(st["reason"], "InternalError", "{body}");
    assert!(
        st["message"]
            .as_str()
            .unwrap()
            .starts_with("Internal error occurred: storage error: "),
        "{body}"
    );
    let log = s.log();
    assert!(
        log.contains("writing the virtual clock's record failed") && log.contains("ERROR"),
        "{log}"
    );
}

/// `Accept: application/yaml`: kube-apiserver's YAML serializer (`JSONToYAML` of the JSON
/// answer) for a get, a list, a Table and an error Status — the same objects as the JSON
/// answers, keys sorted, Content-Type `application/yaml` — and the 406 a watch gets (YAML has
/// no stream serializer), itself written in YAML. `/version` stays JSON (`WriteRawJSON`).
#[test]
fn yaml_answers_are_the_json_answers_in_yaml() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let s = Server::start(d, &["--clock", "virtual"]);
    let mut body: Value = serde_json::from_slice(&csr_body(d, "yml")).unwrap();
    body["metadata"]["labels"] = json!({"num": "48", "flag": "true"});
    body["metadata"]["annotations"] = json!({
        "multi": "line1\nline2\n",
        "note": "a long annotation value that goes on and on past the eightieth column of the line",
    });
    let (code, text) = s.curl(
        "POST",
        C,
        &[],
        Some(("application/json", body.to_string().as_bytes())),
    );
    assert_eq!(code, 201, "{text}");
    let headers = d.join("yaml-headers.txt");
    let get = |path: &str, accept: &str| {
        let (code, text) = s.curl(
            "GET",
            path,
            &[
                "-H",
                &format!("Accept: {accept}"),
                "-D",
                headers.to_str().unwrap(),
            ],
            None,
        );
        let head = std::fs::read_to_string(&headers)
            .unwrap()
            .to_ascii_lowercase();
        let ct = head
            .lines()
            .find_map(|l| l.strip_prefix("content-type: "))
            .unwrap_or("")
            .trim()
            .to_string();
        (code, ct, text)
    };
    let from_yaml = |text: &str| {
        csrsim::server::negotiation::decode_object("application/yaml", text.as_bytes())
            .unwrap_or_else(|e| panic!("not YAML ({e}): {text}"))
    };
    for path in [
        format!("{C}/yml"),
        C.to_string(),
        "/apis/certificates.k8s.io/v1".into(),
    ] {
        let (code, ct, json_text) = get(&path, "application/json");
        assert_eq!(
            (code, ct.as_str()),
            (200, "application/json"),
            "{json_text}"
        );
        let (code, ct, yaml_text) = get(&path, "application/yaml");
        assert_eq!(
            (code, ct.as_str()),
            (200, "application/yaml"),
            "{yaml_text}"
        );
        let json: Value = serde_json::from_str(&json_text).unwrap();
        assert_eq!(from_yaml(&yaml_text), json, "{path}:\n{yaml_text}");
    }
    let (_, _, yaml_text) = get(
        &format!("{C}/yml"),
        "application/json;q=0.5, application/yaml",
    );
    assert!(
        yaml_text.starts_with("apiVersion: certificates.k8s.io/v1\nkind: CertificateSigningRequest\nmetadata:\n  annotations:\n    multi: |\n      line1\n      line2\n    note: a long annotation value that goes on and on past the eightieth column of\n      the line\n  creationTimestamp: \"2030-01-01T00:00:00Z\"\n  labels:\n    flag: \"true\"\n    num: \"48\"\n  managedFields:\n  - apiVersion: certificates.k8s.io/v1\n"),
        "{yaml_text}"
    );
    assert!(
        yaml_text.contains("\n  usages:\n  - client auth\n"),
        "{yaml_text}"
    );
    // A Table in YAML keeps the conversion in its Content-Type.
    let (code, ct, yaml_text) = get(C, "application/yaml;as=Table;v=v1;g=meta.k8s.io");
    assert_eq!(code, 200, "{yaml_text}");
    assert_eq!(ct, "application/yaml;as=table;v=v1;g=meta.k8s.io");
    assert_eq!(from_yaml(&yaml_text)["kind"], "Table", "{yaml_text}");
    // An error Status in YAML.
    let (code, ct, yaml_text) = get(&format!("{C}/nope"), "application/yaml");
    assert_eq!((code, ct.as_str()), (404, "application/yaml"));
    assert_eq!(
        yaml_text,
        "apiVersion: v1\ncode: 404\ndetails:\n  group: certificates.k8s.io\n  kind: certificatesigningrequests\n  name: nope\nkind: Status\nmessage: certificatesigningrequests.certificates.k8s.io \"nope\" not found\nmetadata: {}\nreason: NotFound\nstatus: Failure\n"
    );
    // A watch: 406 of the stream negotiation, in YAML.
    let (code, ct, yaml_text) = get(&format!("{C}?watch=true"), "application/yaml");
    assert_eq!((code, ct.as_str()), (406, "application/yaml"));
    assert_eq!(
        yaml_text,
        "apiVersion: v1\ncode: 406\nkind: Status\nmessage: 'only the following media types are accepted: application/json;stream=watch,\n  application/vnd.kubernetes.protobuf;stream=watch'\nmetadata: {}\nreason: NotAcceptable\nstatus: Failure\n"
    );
    // Authentication failures are negotiated too; /version is raw JSON.
    let (code, text) = s.curl_raw(
        "GET",
        C,
        &["-H".into(), "Accept: application/yaml".into()],
        None,
    );
    assert_eq!(code, 401);
    assert_eq!(
        text,
        "apiVersion: v1\ncode: 401\nkind: Status\nmessage: Unauthorized\nmetadata: {}\nreason: Unauthorized\nstatus: Failure\n"
    );
    let (code, ct, text) = get("/version", "application/yaml");
    assert_eq!((code, ct.as_str()), (200, "application/json"), "{text}");
    // An Accept header no serializer takes: the 406 can be negotiated no more than the answer,
    // so `WriteObjectNegotiated` writes it with `WriteRawJSON` (indented, no final newline),
    // whatever the User-Agent.
    let (code, text) = s.curl(
        "GET",
        C,
        &["-H", "Accept: text/html", "-A", "csrsim-test"],
        None,
    );
    assert_eq!(code, 406);
    assert_eq!(
        text,
        "{\n  \"kind\": \"Status\",\n  \"apiVersion\": \"v1\",\n  \"metadata\": {},\n  \"status\": \"Failure\",\n  \"message\": \"only the following media types are accepted: application/json, application/yaml, application/vnd.kubernetes.protobuf\",\n  \"reason\": \"NotAcceptable\",\n  \"code\": 406\n}"
    );
}

/// curl speaks HTTP/2 to an https URL: a body over 3 MiB, refused before it is read, must
/// still reach it as a 413 Status. Before, the body dropped unread made the h2 crate reset
/// the stream ahead of the answer's DATA: curl saw the headers, then a reset (exit 92).
#[test]
fn a_413_reaches_curl_over_http2() {
    let tmp = tempfile::tempdir().unwrap();
    let s = Server::start(tmp.path(), &["--clock", "virtual"]);
    for len in [3 * 1024 * 1024 + 1, 10 * 1024 * 1024] {
        let big = vec![b'a'; len];
        let (code, body) = s.curl("POST", C, &["--http2"], Some(("application/json", &big)));
        assert_eq!(code, 413, "{len}: {body}");
        assert_eq!(status(&body)["reason"], "RequestEntityTooLarge", "{len}");
    }
}
