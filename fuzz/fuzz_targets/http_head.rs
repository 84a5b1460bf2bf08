//! An HTTP/1.1 request head as `csrsim serve` takes it, without sockets: httparse (hyper's
//! parser) and `http::Uri`, then what `server::handle`/`serve` do with the head before the
//! body: path unescaping (`routing::path_unescape`), the query (`parse_query`), the
//! `WithRequestDeadline` check, `request_attributes`, `route` (list/watch/delete options),
//! content negotiation on Accept and Content-Type, `includeObject`, the health bodies, the
//! OpenAPI v3 path and impersonation headers. A routed read (get, list, watch) is applied
//! to a cluster as admin.
//!
//! Invariants: no panic; every refusal is a 4xx Status (or hyper's 400 for a head it cannot
//! parse, which closes the connection), never a 5xx — except upstream's own 5xx answers to a
//! request (the watch cache's 504 for a resourceVersion from the future, the impersonation
//! filter's 500 for groups without a user).
#![no_main]

#[path = "../script.rs"]
mod script;

use csrsim::auth::Identity;
use csrsim::server::{deadline, health, negotiation, openapi, openapi_v2, routing};
use csrsim::sim::{Cluster, Verb};
use libfuzzer_sys::fuzz_target;
use std::cell::RefCell;

thread_local! {
    static CLUSTER: RefCell<Option<Cluster>> = const { RefCell::new(None) };
}

fn refusal(what: &str, s: &csrsim::api::Status) {
    assert!(
        (400..500).contains(&s.code),
        "{what}: {} {}: {}",
        s.code,
        s.reason,
        s.message
    );
}

fuzz_target!(|data: &[u8]| {
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let mut req = httparse::Request::new(&mut headers);
    // A head hyper cannot parse is its 400 (and a closed connection); a partial one waits.
    let Ok(httparse::Status::Complete(_)) = req.parse(data) else {
        return;
    };
    let (Some(method), Some(target)) = (req.method, req.path) else {
        return;
    };
    let Ok(method) = http::Method::from_bytes(method.as_bytes()) else {
        return;
    };
    let Ok(uri) = target.parse::<http::Uri>() else {
        return;
    };
    let mut hs: Vec<(String, String)> = Vec::new();
    for h in req.headers.iter() {
        let Ok(name) = http::HeaderName::from_bytes(h.name.as_bytes()) else {
            return;
        };
        let Ok(value) = http::HeaderValue::from_bytes(h.value) else {
            return;
        };
        hs.push((
            name.as_str().to_ascii_lowercase(),
            value.to_str().unwrap_or("").to_string(),
        ));
    }
    let hv = |n: &str| {
        hs.iter()
            .find(|(k, _)| k == n)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    };
    let method = method.as_str();
    let raw_path = uri.path();
    let path = routing::path_unescape(raw_path).unwrap_or_else(|| raw_path.to_string());
    let query = uri.query().unwrap_or("");
    let accept = hv("accept");
    let content_type = hv("content-type");

    // The unescaping: a path without `%` is itself; a query decodes leniently.
    if !raw_path.contains('%') {
        assert_eq!(path, raw_path);
    }
    let q = routing::parse_query(query);
    for (k, v) in &q {
        let _ = (routing::percent_decode(k), routing::percent_decode(v));
    }

    if let Some(st) = deadline::check(method, &path, query) {
        refusal("deadline", &st);
    }
    let _ = routing::request_attributes(method, &path, query);
    let _ = health::is_check_path(&path);
    let _ = health::root_body(&path, query);
    let _ = negotiation::acceptable(accept);
    let _ = negotiation::acceptable_without_table(accept);
    let _ = negotiation::wants_partial(accept);
    let _ = negotiation::table_version(accept);
    let _ = negotiation::wants_aggregated_discovery(accept);
    let _ = negotiation::media_type(content_type);
    let _ = openapi_v2::negotiate(accept);
    if let Err(s) = negotiation::patch_type(content_type) {
        refusal("patch type", &s);
    }
    if let Err(s) = negotiation::IncludeObject::parse(q.get("includeObject").map(String::as_str)) {
        refusal("includeObject", &s);
    }
    let (opts, _) = routing::list_options(&q);
    let _ = csrsim::server::watch::watch_timeout(opts.timeout_seconds);

    let route = match routing::route(method, &path, query) {
        Ok(r) => r,
        Err(s) => {
            refusal("route", &s);
            return;
        }
    };
    CLUSTER.with(|c| {
        let mut c = c.borrow_mut();
        let c = c.get_or_insert_with(script::cluster);
        let admin = Identity::admin();
        if hs.iter().any(|(k, _)| k.starts_with("impersonate-")) {
            match csrsim::server::auth::impersonate(c, &admin, &hs) {
                // Upstream's own 500 (`buildImpersonationRequests`): groups, extra or a UID
                // without a user.
                Err(s) if s.code == 500 && s.message.ends_with("without impersonating a user") => {}
                Err(s) => refusal("impersonate", &s),
                Ok(_) => {}
            }
        }
        match route {
            routing::Route::OpenApiV3(gv) => {
                let _ = openapi::document(&gv);
            }
            routing::Route::Resource(mut req) => {
                let verb = req.verb.unwrap_or(Verb::Get);
                if !matches!(verb, Verb::Get | Verb::List | Verb::Watch) {
                    return;
                }
                if verb == Verb::List {
                    // `--max-list-limit`'s default cap, as `resource` applies it.
                    req.list.limit = req.list.limit.map(|l| l.min(500));
                }
                match c.apply(&admin, req) {
                    Ok(csrsim::sim::ApiResponse::Watch(mut w)) => {
                        if let Err(s) = c.watch_poll(&mut w.cursor) {
                            refusal("watch poll", &s);
                        }
                    }
                    Ok(_) => {}
                    Err(s) if script::upstream_5xx(&s) => {}
                    Err(s) => refusal("apply", &s),
                }
            }
            _ => {}
        }
    });
});
