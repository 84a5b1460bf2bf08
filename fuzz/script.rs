//! A tiny line-based request script, shared by the `api_apply` fuzz target and
//! `tests/fuzz_regressions.rs` so a fuzz finding replays byte for byte as a test.
//!
//! One request per line: `VERB RESOURCE WHO NAMESPACE NAME JSON...`, `-` for an empty field.
//! - VERB: create get list watch update delete deletecollection, or a patch:
//!   jsonpatch merge smp apply; `advance` with NAME = seconds moves the virtual clock.
//! - RESOURCE: csr csr/approval csr/status roles rolebindings clusterroles
//!   clusterrolebindings secrets namespaces sar ssar ssrr ssr, or `group:resource[/sub]`.
//! - WHO: admin alice node bootstrap cm anon.
//! - JSON: the body (create/update/patch/reviews), ListOptions (list/watch/deletecollection),
//!   or Preconditions (delete). Not JSON: no body.
//!
//! Every answer must be `Ok`, a Status with a 4xx code or one of upstream's own 5xx answers
//! (`upstream_5xx`); watches are polled at the end.
#![allow(dead_code)]

use csrsim::api::meta::{ListOptions, Preconditions};
use csrsim::api::Status;
use csrsim::auth::Identity;
use csrsim::sim::{ApiRequest, ApiResponse, Cluster, Config, PatchType, Verb};
use serde_json::Value;
use std::time::Duration;

/// Most lines a script may have (keeps one fuzz input bounded in time).
pub const MAX_LINES: usize = 64;

fn who(s: &str) -> Identity {
    match s {
        "admin" => Identity::admin(),
        "node" => Identity::node("n1"),
        "bootstrap" => Identity::user(
            "system:bootstrap:abcdef",
            &[
                "system:bootstrappers",
                "system:bootstrappers:kubeadm:default-node-token",
            ],
        ),
        "cm" => Identity::controller_manager(),
        "anon" => Identity::anonymous(),
        _ => Identity::user("alice", &[]),
    }
}

fn resource(s: &str) -> (&str, &str, &str) {
    let (res, sub) = s.split_once('/').unwrap_or((s, ""));
    let (g, r) = match res {
        "csr" => ("certificates.k8s.io", "certificatesigningrequests"),
        "roles" | "rolebindings" | "clusterroles" | "clusterrolebindings" => {
            ("rbac.authorization.k8s.io", res)
        }
        "secrets" | "namespaces" => ("", res),
        "sar" => ("authorization.k8s.io", "subjectaccessreviews"),
        "ssar" => ("authorization.k8s.io", "selfsubjectaccessreviews"),
        "ssrr" => ("authorization.k8s.io", "selfsubjectrulesreviews"),
        "ssr" => ("authentication.k8s.io", "selfsubjectreviews"),
        other => other.split_once(':').unwrap_or(("", other)),
    };
    (g, r, sub)
}

fn field(s: &str) -> &str {
    if s == "-" {
        ""
    } else {
        s
    }
}

/// A fresh cluster with every controller on.
pub fn cluster() -> Cluster {
    Cluster::new(Config::default()).expect("cluster")
}

/// The 5xx answers upstream gives to a request itself, not a bug: a resourceVersion that is
/// no number fails `APIObjectVersioner` (read by the watch cache or `Store.Update`), and the
/// bare storage/`strconv` error is a 500 of unknown reason; one from the future is the watch
/// cache's 504.
pub fn upstream_5xx(s: &Status) -> bool {
    (s.code == 500
        && s.reason.is_empty()
        && (s.message.starts_with("resourceVersion: Invalid value: ")
            || s.message.starts_with("strconv.ParseUint: parsing ")))
        || (s.code == 504
            && s.message
                .starts_with("Timeout: Too large resource version:"))
}

/// Run one script line; `Err` only for a 5xx (a bug), `Ok(None)` for a line that is not a request.
pub fn run_line(
    c: &mut Cluster,
    line: &str,
    watches: &mut Vec<csrsim::sim::WatchCursor>,
) -> Result<Option<Result<ApiResponse, Status>>, String> {
    let mut it = line.splitn(6, ' ');
    let (Some(verb), Some(res), Some(w), Some(ns), Some(name)) =
        (it.next(), it.next(), it.next(), it.next(), it.next())
    else {
        return Ok(None);
    };
    let json: Option<Value> = it.next().and_then(|j| serde_json::from_str(j).ok());
    let (verb, patch) = match verb {
        "advance" => {
            let secs: u64 = name.parse().unwrap_or(0).min(400 * 24 * 3600);
            c.advance(Duration::from_secs(secs));
            return Ok(None);
        }
        "create" => (Verb::Create, None),
        "get" => (Verb::Get, None),
        "list" => (Verb::List, None),
        "watch" => (Verb::Watch, None),
        "update" => (Verb::Update, None),
        "delete" => (Verb::Delete, None),
        "deletecollection" => (Verb::DeleteCollection, None),
        "jsonpatch" => (Verb::Patch, Some(PatchType::Json)),
        "merge" => (Verb::Patch, Some(PatchType::Merge)),
        "smp" => (Verb::Patch, Some(PatchType::StrategicMerge)),
        "apply" => (Verb::Patch, Some(PatchType::Apply)),
        _ => return Ok(None),
    };
    let (g, r, sub) = resource(res);
    let mut req = ApiRequest::new(verb, g, r)
        .subresource(sub)
        .namespace(field(ns))
        .name(field(name));
    match verb {
        Verb::List | Verb::Watch | Verb::DeleteCollection => {
            if let Some(o) = json.and_then(|j| serde_json::from_value::<ListOptions>(j).ok()) {
                req = req.list_options(o);
            }
        }
        Verb::Delete => {
            req.preconditions = json.and_then(|j| serde_json::from_value::<Preconditions>(j).ok());
        }
        _ => {
            req.body = json;
            req.patch_type = patch;
        }
    }
    let r = c.apply(&who(w), req);
    match &r {
        Err(s) if !(400..500).contains(&s.code) && !upstream_5xx(s) => {
            return Err(format!(
                "{line:?} -> {} {}: {}",
                s.code, s.reason, s.message
            ))
        }
        Ok(ApiResponse::Watch(ws)) => watches.push(ws.cursor.clone()),
        _ => {}
    }
    Ok(Some(r))
}

/// Run a whole script on a fresh cluster; `Err` describes the first 5xx.
pub fn run(text: &str) -> Result<Vec<Result<ApiResponse, Status>>, String> {
    let mut c = cluster();
    let mut watches = Vec::new();
    let mut out = Vec::new();
    for line in text.lines().take(MAX_LINES) {
        if let Some(r) = run_line(&mut c, line, &mut watches)? {
            out.push(r);
        }
    }
    for mut w in watches {
        match c.watch_poll(&mut w) {
            Err(s) if !(400..500).contains(&s.code) => {
                return Err(format!(
                    "watch_poll -> {} {}: {}",
                    s.code, s.reason, s.message
                ))
            }
            _ => {}
        }
    }
    Ok(out)
}
