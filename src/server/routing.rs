//! URL → what to do: the apiserver's non-resource endpoints (health, version, discovery,
//! OpenAPI, the simulator clock) and resource requests (`RequestInfoFactory` in
//! `staging/src/k8s.io/apiserver/pkg/endpoints/request/requestinfo.go`).

use crate::api::meta::{ListOptions, Preconditions};
use crate::api::resources::{self, ResourceInfo};
use crate::api::Status;
use crate::sim::{ApiRequest, Verb};
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// Path of the simulator's clock endpoint.
pub const CLOCK_PATH: &str = "/sim/v1/clock";

#[derive(Debug, Clone)]
pub enum Route {
    Health,
    Version,
    OpenApiV2,
    /// `GET /openapi/v3`: the index of group-version documents.
    OpenApiV3Index,
    /// `GET /openapi/v3/<api/v1 | apis/<group>/<version>>`.
    OpenApiV3(String),
    Clock,
    Metrics,
    /// `GET /api`
    ApiVersions,
    /// `GET /apis`
    ApiGroupList,
    /// `GET /apis/<group>`
    ApiGroup(String),
    /// `GET /api/v1`, `GET /apis/<group>/<version>`
    ResourceList(String, String),
    /// A resource request for the core.
    Resource(ApiRequest),
    /// pods/events: a request answered with nothing, after authorization.
    Empty(ApiRequest),
}

/// Served group versions (core is `""`).
pub fn served_group_versions() -> Vec<(&'static str, &'static str)> {
    let mut out: Vec<(&str, &str)> = Vec::new();
    for r in resources::ALL.iter().chain(resources::LISTED_ONLY) {
        if !out.contains(&(r.group, r.version)) {
            out.push((r.group, r.version));
        }
    }
    out
}

/// A request path as Go's `url.Parse` leaves it in `URL.Path`, which the apiserver routes and
/// authorizes on (`RequestInfoFactory`, go-restful): `%XX` escapes decoded (`%3A` is `:`,
/// `%20` a space, `%2F` a `/` that then separates segments), `+` kept (`url.PathUnescape`).
/// `None` for a malformed escape (`%` not followed by two hex digits): Go's server refuses
/// such a request line before any handler (`url.ParseRequestURI` in `readRequest`), as
/// `serve` does (`malformed_request_uri` in `server/mod.rs`: a plain-text `400 Bad Request`,
/// `Connection: close`).
pub fn path_unescape(s: &str) -> Option<String> {
    if !s.contains('%') {
        return Some(s.to_string());
    }
    unescape(s, false)
}

/// Decode `%XX` escapes and `+` (Go's `url.ParseQuery`); a malformed escape is kept as sent.
pub fn percent_decode(s: &str) -> String {
    unescape(s, true).expect("a query is decoded leniently: never None")
}

/// Go's `url` unescaping. A query (`query`: true) turns `+` into a space and keeps a
/// malformed escape as sent; a path keeps `+` and has no meaning for a malformed escape
/// (`None`).
fn unescape(s: &str, query: bool) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let escaped = (b[i] == b'%')
            .then(|| b.get(i + 1..i + 3))
            .flatten()
            .filter(|h| h.iter().all(u8::is_ascii_hexdigit))
            .map(|h| {
                h.iter().fold(0u8, |v, d| {
                    v * 16 + (*d as char).to_digit(16).unwrap_or(0) as u8
                })
            });
        match (b[i], escaped) {
            (_, Some(v)) => {
                out.push(v);
                i += 3;
                continue;
            }
            (b'%', None) if !query => return None,
            (b'+', _) if query => out.push(b' '),
            (c, _) => out.push(c),
        }
        i += 1;
    }
    Some(String::from_utf8_lossy(&out).into_owned())
}

/// Query parameters; the first value of a repeated key wins (`url.Values.Get`).
pub fn parse_query(q: &str) -> BTreeMap<String, String> {
    let mut m = BTreeMap::new();
    for pair in q.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        m.entry(percent_decode(k))
            .or_insert_with(|| percent_decode(v));
    }
    m
}

pub fn not_found() -> Status {
    let mut st = Status::failure(
        404,
        "NotFound",
        "the server could not find the requested resource",
    );
    st.details = Some(Default::default());
    st
}

fn method_not_allowed() -> Status {
    Status::method_not_allowed("the server does not allow this method on the requested resource")
}

fn truthy(q: &BTreeMap<String, String>, k: &str) -> bool {
    q.get(k).is_some_and(|v| truthy_str(v))
}

/// A boolean query parameter as apimachinery's `Convert_Slice_string_To_bool` (and
/// `…_To_Pointer_bool`) reads it: only "0" and "false" (any case) are false; any other value,
/// the empty one included, is true.
pub(crate) fn truthy_str(v: &str) -> bool {
    !(v == "0" || v.eq_ignore_ascii_case("false"))
}

/// Every value of a repeated query key, in order (`url.Values[k]`).
fn all_values(query: &str, key: &str) -> Vec<String> {
    query
        .split('&')
        .filter_map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (percent_decode(k) == key).then(|| percent_decode(v))
        })
        .collect()
}

/// An integer query parameter as `Convert_Slice_string_To_int64` reads it (`strconv.ParseInt`
/// base 10, the empty value included); its error is what `DecodeParameters` returns, which
/// the handler answers as a 400 of that text.
fn int_param(q: &BTreeMap<String, String>, k: &str) -> Result<Option<i64>, Status> {
    q.get(k)
        .map(|v| crate::api::gostrconv::parse_int(v).map_err(Status::bad_request))
        .transpose()
}

/// List options from the query string, and the error decoding them as `ListOptions` gives
/// (only a list, watch or deletecollection decodes them; `GetOptions`, `CreateOptions`, …
/// have no `limit` or `timeoutSeconds`).
pub fn list_options(q: &BTreeMap<String, String>) -> (ListOptions, Option<Status>) {
    let mut err = None;
    let mut int = |k: &str| {
        int_param(q, k).unwrap_or_else(|e| {
            err.get_or_insert(e);
            None
        })
    };
    let limit = int("limit");
    let timeout_seconds = int("timeoutSeconds");
    let opts = ListOptions {
        label_selector: q.get("labelSelector").cloned().unwrap_or_default(),
        field_selector: q.get("fieldSelector").cloned().unwrap_or_default(),
        resource_version: q.get("resourceVersion").cloned().unwrap_or_default(),
        resource_version_match: q.get("resourceVersionMatch").cloned().unwrap_or_default(),
        limit,
        continue_: q.get("continue").cloned().unwrap_or_default(),
        allow_watch_bookmarks: truthy(q, "allowWatchBookmarks"),
        timeout_seconds,
        send_initial_events: truthy(q, "sendInitialEvents"),
    };
    (opts, err)
}

/// apiserver's `RequestInfoFactory.NewRequestInfo`: what a request is to the authorizer,
/// whether or not anything serves its path (the authorization filter runs before routing;
/// `user` is left empty). Paths outside `/api/<v>/…` and `/apis/<g>/<v>/…` are non-resource
/// requests whose verb is the lower-case method; the others are resource requests: the verb
/// from the method (`get` without a name is `list`, or `watch` with `watch=true`; `delete`
/// without a name `deletecollection`), `watch/` in front of the resource a watch,
/// `namespaces/<ns>/` a namespace, then resource, name and subresource.
pub fn request_attributes(method: &str, path: &str, query: &str) -> crate::auth::Attributes {
    let mut a = crate::auth::Attributes {
        verb: method.to_ascii_lowercase(),
        path: path.to_string(),
        ..Default::default()
    };
    let trimmed = path.trim_matches('/');
    let mut parts: Vec<&str> = if trimmed.is_empty() {
        Vec::new()
    } else {
        trimmed.split('/').collect()
    };
    if parts.len() < 3 || !matches!(parts[0], "api" | "apis") {
        return a;
    }
    if parts[0] == "apis" {
        if parts.len() < 4 {
            return a;
        }
        a.api_group = parts[1].to_string();
        parts.drain(..2);
    } else {
        parts.drain(..1);
    }
    a.resource_request = true;
    a.api_version = parts.remove(0).to_string();
    if matches!(parts[0], "watch" | "proxy") && parts.len() >= 2 {
        a.verb = parts.remove(0).to_string();
    } else {
        a.verb = match method {
            "POST" => "create",
            "GET" | "HEAD" => "get",
            "PUT" => "update",
            "PATCH" => "patch",
            "DELETE" => "delete",
            _ => "",
        }
        .to_string();
    }
    if parts[0] == "namespaces" && parts.len() > 1 {
        a.namespace = parts[1].to_string();
        if parts.len() > 2 && !matches!(parts[2], "status" | "finalize") {
            parts.drain(..2);
        }
    }
    if parts.len() >= 3 && a.verb != "proxy" {
        a.subresource = parts[2].to_string();
    }
    if parts.len() >= 2 {
        a.name = parts[1].to_string();
    }
    a.resource = parts[0].to_string();
    let q = parse_query(query);
    if a.name.is_empty() && a.verb == "get" {
        a.verb = if truthy(&q, "watch") { "watch" } else { "list" }.to_string();
        if let Some(sel) = q.get("fieldSelector") {
            a.name = crate::registry::selectors::exact_match_name(sel).unwrap_or_default();
        }
    }
    if a.name.is_empty() && a.verb == "delete" {
        a.verb = "deletecollection".to_string();
    }
    a
}

/// Route a request. The body is filled in later by the caller.
pub fn route(method: &str, path: &str, query: &str) -> Result<Route, Status> {
    let q = parse_query(query);
    let trimmed = path.trim_end_matches('/');
    // Plain `http.Handler`s (health checks, metrics, OpenAPI, the aggregator's `/apis` and
    // `/apis/<group>`) serve any method, so HEAD too (Go's server drops the body).
    let get_only = |r: Route| {
        if method == "GET" || method == "HEAD" {
            Ok(r)
        } else {
            Err(method_not_allowed())
        }
    };
    // go-restful routes (`/version`, `/api`, `/api/v1`, `/apis/<group>/<version>`, every
    // resource path) match the method exactly (`RouterJSR311.detectRoute`): only GET is
    // registered, so HEAD is a 405.
    let restful_get = |r: Route| {
        if method == "GET" {
            Ok(r)
        } else {
            Err(method_not_allowed())
        }
    };
    match trimmed {
        "/healthz" | "/livez" | "/readyz" => return get_only(Route::Health),
        "/version" => return restful_get(Route::Version),
        "/openapi/v2" => return get_only(Route::OpenApiV2),
        "/openapi/v3" => return get_only(Route::OpenApiV3Index),
        "/metrics" => return get_only(Route::Metrics),
        CLOCK_PATH => {
            return if matches!(method, "GET" | "POST") {
                Ok(Route::Clock)
            } else {
                Err(method_not_allowed())
            }
        }
        "/api" => return restful_get(Route::ApiVersions),
        "/apis" => return get_only(Route::ApiGroupList),
        _ => {}
    }
    if let Some(gv) = trimmed.strip_prefix("/openapi/v3/") {
        return get_only(Route::OpenApiV3(gv.to_string()));
    }
    if trimmed.starts_with("/healthz/")
        || trimmed.starts_with("/livez/")
        || trimmed.starts_with("/readyz/")
    {
        return if super::health::is_check_path(trimmed) {
            get_only(Route::Health)
        } else {
            Err(not_found())
        };
    }
    let parts: Vec<&str> = trimmed.split('/').skip(1).collect();
    let (group, version, rest) = match parts.as_slice() {
        ["api", v, rest @ ..] => ("", *v, rest),
        ["apis", g] => {
            return if served_group_versions()
                .iter()
                .any(|(sg, _)| sg == g && !g.is_empty())
            {
                get_only(Route::ApiGroup(g.to_string()))
            } else {
                Err(not_found())
            }
        }
        ["apis", g, v, rest @ ..] => (*g, *v, rest),
        _ => return Err(not_found()),
    };
    if !served_group_versions().contains(&(group, version)) {
        return Err(not_found());
    }
    if rest.is_empty() {
        return restful_get(Route::ResourceList(group.to_string(), version.to_string()));
    }
    // The deprecated `watch/` paths (`WATCHLIST`, `WATCH`: `watch/[namespaces/<ns>/]<resource>
    // [/<name>]`, GET only) watch as `?watch=true` does.
    let watch_path = rest[0] == "watch" && rest.len() >= 2;
    let rest = if watch_path {
        if method != "GET" {
            return Err(method_not_allowed());
        }
        &rest[1..]
    } else {
        rest
    };
    // [namespaces/<ns>/]<resource>[/<name>[/<subresource>]]
    // (`/api/v1/namespaces/<name>` with fewer parts is the namespace object itself, and so is
    // `/api/v1/namespaces/<name>/status` or `/finalize`: its subresources.)
    let namespace_subresource =
        group.is_empty() && rest.len() == 3 && matches!(rest[2], "status" | "finalize");
    let (namespace, rest): (&str, &[&str]) =
        if rest[0] == "namespaces" && rest.len() >= 3 && !namespace_subresource {
            (rest[1], &rest[2..])
        } else {
            ("", rest)
        };
    if rest.len() > 3 || rest.iter().any(|s| s.is_empty()) {
        return Err(not_found());
    }
    let resource = rest[0];
    let mut name = rest.get(1).copied().unwrap_or("").to_string();
    let subresource = rest.get(2).copied().unwrap_or("");
    let listed = resources::find_listed_only_at(group, version, resource);
    let listed_only = listed.is_some();
    let info: Option<&ResourceInfo> = resources::find(group, resource);
    let Some(scope) = info.or(listed) else {
        return Err(not_found());
    };
    // `registerResourceHandlers`: a cluster-scoped resource has no route under
    // `namespaces/<ns>/`; a namespaced one, without a namespace, only its list and watch (a
    // `GET` of the collection path; go-restful answers another method there with 405).
    if scope.namespaced == namespace.is_empty() {
        let lister = scope.verbs.contains(&"list");
        if scope.namespaced && lister && rest.len() == 1 {
            if method != "GET" {
                return Err(method_not_allowed());
            }
        } else {
            return Err(not_found());
        }
    }
    if watch_path && (!subresource.is_empty() || !scope.verbs.contains(&"watch")) {
        return Err(not_found());
    }
    let (mut list, list_err) = list_options(&q);
    // `ListResource` (a list or watch, `watch/` paths with a name too) and `DeleteCollection`
    // decode `ListOptions` first of all.
    let decodes_list = match method {
        "GET" => name.is_empty() || watch_path,
        "DELETE" => name.is_empty(),
        _ => false,
    };
    if let (true, Some(e)) = (decodes_list, list_err) {
        return Err(e);
    }
    let watch = watch_path || truthy(&q, "watch");
    let mut watch_name = None;
    let verb = match (method, name.is_empty()) {
        ("GET", true) => {
            if watch {
                Verb::Watch
            } else {
                Verb::List
            }
        }
        ("GET", false) => {
            // Only the `watch/` path watches one object (`ListResource` with a name); on the
            // object's own path `GetResource` decodes `GetOptions`, which has no `watch`: the
            // parameter is ignored and the object answered.
            if watch_path {
                // The name is the field selector; one the client sent must select that name
                // (checked by the core after the selectors' parse, `ValidateListOptions`
                // and the field-label conversion, in `ListResource`'s order).
                watch_name = Some(name.clone());
                if list.field_selector.is_empty() {
                    list.field_selector = format!("metadata.name={name}");
                }
                name.clear();
                Verb::Watch
            } else {
                Verb::Get
            }
        }
        ("POST", true) => Verb::Create,
        ("PUT", false) => Verb::Update,
        ("PATCH", false) => Verb::Patch,
        ("DELETE", false) => Verb::Delete,
        ("DELETE", true) => Verb::DeleteCollection,
        _ => return Err(method_not_allowed()),
    };
    let mut req = ApiRequest::new(verb, group, resource)
        .namespace(namespace)
        .name(&name)
        .subresource(subresource)
        .list_options(list);
    req.watch_name = watch_name;
    req.version = version.to_string();
    req.dry_run = q.get("dryRun").is_some_and(|v| v == "All");
    req.dry_run_values = all_values(query, "dryRun");
    req.force = q.get("force").map(|v| truthy_str(v));
    req.send_initial_events_given = q.contains_key("sendInitialEvents");
    req.propagation_policy = q.get("propagationPolicy").cloned();
    req.orphan_dependents = q.get("orphanDependents").map(|v| truthy_str(v));
    req.field_manager = q.get("fieldManager").cloned().unwrap_or_default();
    req.field_validation = q.get("fieldValidation").cloned().unwrap_or_default();
    if listed_only {
        return Ok(Route::Empty(req));
    }
    Ok(Route::Resource(req))
}

/// Fold a DeleteOptions body (`preconditions`, `dryRun`) into a delete request.
pub fn apply_delete_options(req: &mut ApiRequest, body: &Value) -> Result<(), Status> {
    if !body.is_object() {
        return Err(Status::bad_request("DeleteOptions must be a JSON object"));
    }
    // The handler reads the options from the body when there is one, from the query only
    // otherwise (`DeleteResource` in apiserver's `endpoints/handlers/delete.go`).
    req.dry_run = false;
    req.dry_run_values.clear();
    req.propagation_policy = body
        .get("propagationPolicy")
        .and_then(|p| p.as_str())
        .map(str::to_string);
    req.orphan_dependents = body.get("orphanDependents").and_then(|o| o.as_bool());
    if let Some(p) = body.get("preconditions").filter(|p| !p.is_null()) {
        let pre: Preconditions = serde_json::from_value(p.clone())
            .map_err(|e| Status::bad_request(format!("error decoding request body: {e}")))?;
        req.preconditions = Some(pre);
    }
    if let Some(a) = body.get("dryRun").and_then(|d| d.as_array()) {
        if a.iter().any(|x| x == "All") {
            req.dry_run = true;
        }
        req.dry_run_values = a
            .iter()
            .map(|x| x.as_str().unwrap_or_default().to_string())
            .collect();
    }
    Ok(())
}

fn verbs(info_verbs: &[&str]) -> Value {
    json!(info_verbs)
}

/// `APIResourceList` of one group version (legacy discovery).
pub fn resource_list(group: &str, version: &str) -> Value {
    let mut res = Vec::new();
    for r in resources::ALL
        .iter()
        .filter(|r| r.group == group && r.version == version)
    {
        let mut e = json!({"name": r.resource, "singularName": r.singular, "namespaced": r.namespaced, "kind": r.kind, "verbs": verbs(r.verbs)});
        if !r.short_names.is_empty() {
            e["shortNames"] = json!(r.short_names);
        }
        // The installer sets it for a main resource whose storage has a storage version
        // (not for subresources, nor for the reviews, which are not stored).
        if r.stored {
            e["storageVersionHash"] =
                json!(resources::storage_version_hash(r.group, r.version, r.kind));
        }
        res.push(e);
        if r.resource == "certificatesigningrequests" {
            for sub in ["approval", "status"] {
                res.push(json!({"name": format!("{}/{sub}", r.resource), "singularName": "", "namespaced": false, "kind": r.kind, "verbs": ["get", "patch", "update"]}));
            }
        }
        if r.resource == "namespaces" {
            res.push(json!({"name": "namespaces/finalize", "singularName": "", "namespaced": false, "kind": r.kind, "verbs": ["update"]}));
            res.push(json!({"name": "namespaces/status", "singularName": "", "namespaced": false, "kind": r.kind, "verbs": ["get", "patch", "update"]}));
        }
    }
    for r in resources::LISTED_ONLY
        .iter()
        .filter(|r| r.group == group && r.version == version)
    {
        let mut e = json!({"name": r.resource, "singularName": r.singular, "namespaced": r.namespaced, "kind": r.kind, "verbs": r.verbs});
        if !r.short_names.is_empty() {
            e["shortNames"] = json!(r.short_names);
        }
        let categories = resources::categories(r);
        if !categories.is_empty() {
            e["categories"] = json!(categories);
        }
        e["storageVersionHash"] = json!(resources::storage_version_hash(
            r.group,
            resources::storage_version(r),
            r.kind
        ));
        res.push(e);
    }
    // The installer registers every group version's paths in name order
    // (`api/discovery/apis__rbac.authorization.k8s.io__v1.json`: clusterrolebindings first).
    res.sort_by(|a, b| a["name"].as_str().cmp(&b["name"].as_str()));
    let gv = if group.is_empty() {
        version.to_string()
    } else {
        format!("{group}/{version}")
    };
    json!({"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv, "resources": res})
}

fn group_entry(g: &str) -> Value {
    let versions: Vec<Value> = served_group_versions()
        .into_iter()
        .filter(|(sg, _)| *sg == g)
        .map(|(_, v)| json!({"groupVersion": format!("{g}/{v}"), "version": v}))
        .collect();
    json!({"name": g, "versions": versions.clone(), "preferredVersion": versions[0]})
}

/// kube-apiserver's order of the groups in `/apis` (`api/discovery/apis.json`: the
/// aggregator sorts by group priority), for the groups csrsim serves.
const GROUP_ORDER: &[&str] = &[
    "apps",
    "authentication.k8s.io",
    "authorization.k8s.io",
    "autoscaling",
    "batch",
    "certificates.k8s.io",
    "networking.k8s.io",
    "rbac.authorization.k8s.io",
];

/// `APIGroupList` (`GET /apis`).
pub fn group_list() -> Value {
    let mut groups: Vec<&str> = Vec::new();
    for (g, _) in served_group_versions() {
        if !g.is_empty() && !groups.contains(&g) {
            groups.push(g);
        }
    }
    groups.sort_by_key(|g| {
        GROUP_ORDER
            .iter()
            .position(|o| o == g)
            .unwrap_or(usize::MAX)
    });
    json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": groups.into_iter().map(group_entry).collect::<Vec<_>>()})
}

/// Aggregated discovery (`apidiscovery.k8s.io/v2` `APIGroupDiscoveryList`): of the core group
/// for `/api`, of every other group, in `/apis`' order, for `/apis`. Built from the
/// unaggregated documents as the apiserver converts them: one entry per resource with its
/// subresources inside, `responseKind` with the group and version left empty (they are the
/// document's), `scope` `Namespaced` or `Cluster`, no storage version hash.
pub fn aggregated_discovery(core: bool) -> Value {
    let groups: Vec<String> = if core {
        vec![String::new()]
    } else {
        group_list()["groups"]
            .as_array()
            .map(|gs| {
                gs.iter()
                    .filter_map(|g| g["name"].as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default()
    };
    let items: Vec<Value> = groups
        .iter()
        .map(|g| {
            let versions: Vec<Value> = served_group_versions()
                .into_iter()
                .filter(|(sg, _)| sg == g)
                .map(|(_, v)| {
                    json!({"version": v, "resources": aggregated_resources(g, v), "freshness": "Current"})
                })
                .collect();
            // ObjectMeta: the name (omitted when empty) and a zero creationTimestamp (`null`).
            let metadata = if g.is_empty() {
                json!({"creationTimestamp": null})
            } else {
                json!({"name": g, "creationTimestamp": null})
            };
            json!({"metadata": metadata, "versions": versions})
        })
        .collect();
    json!({"kind": "APIGroupDiscoveryList", "apiVersion": "apidiscovery.k8s.io/v2", "metadata": {}, "items": items})
}

/// A group version's `APIResourceDiscovery` entries, from its `APIResourceList`.
fn aggregated_resources(group: &str, version: &str) -> Vec<Value> {
    let list = resource_list(group, version);
    let mut out: Vec<Value> = Vec::new();
    for r in list["resources"].as_array().into_iter().flatten() {
        let name = r["name"].as_str().unwrap_or_default();
        let kind = json!({"group": "", "version": "", "kind": r["kind"]});
        if let Some((parent, sub)) = name.split_once('/') {
            let entry = json!({"subresource": sub, "responseKind": kind, "verbs": r["verbs"]});
            if let Some(p) = out.iter_mut().find(|p| p["resource"] == parent) {
                match p["subresources"].as_array_mut() {
                    Some(subs) => subs.push(entry),
                    None => p["subresources"] = json!([entry]),
                }
            }
            continue;
        }
        let scope = if r["namespaced"] == true {
            "Namespaced"
        } else {
            "Cluster"
        };
        let mut e = json!({"resource": name, "responseKind": kind, "scope": scope,
            "singularResource": r["singularName"], "verbs": r["verbs"]});
        for f in ["shortNames", "categories"] {
            if r[f].as_array().is_some_and(|a| !a.is_empty()) {
                e[f] = r[f].clone();
            }
        }
        out.push(e);
    }
    out
}

/// `APIGroup` (`GET /apis/<group>`).
pub fn api_group(g: &str) -> Value {
    // Go's field order: the TypeMeta first.
    let mut e = json!({"kind": "APIGroup", "apiVersion": "v1"});
    if let (Some(m), Value::Object(entry)) = (e.as_object_mut(), group_entry(g)) {
        m.extend(entry);
    }
    e
}

/// `APIVersions` (`GET /api`).
pub fn api_versions(server_address: &str) -> Value {
    json!({"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}]})
}

#[cfg(test)]
mod tests {
    use super::*;

    fn res(method: &str, path: &str, q: &str) -> ApiRequest {
        match route(method, path, q).unwrap() {
            Route::Resource(r) | Route::Empty(r) => r,
            other => panic!("{other:?}"),
        }
    }

    /// `limit` and `timeoutSeconds` as `Convert_Slice_string_To_int64` reads them, for the
    /// requests that decode `ListOptions` only: `strconv.ParseInt`'s error as a 400.
    #[test]
    fn integer_list_parameters_as_apimachinery_converts_them() {
        let c = "/apis/certificates.k8s.io/v1/certificatesigningrequests";
        let err = |method: &str, path: &str, q: &str| match route(method, path, q) {
            Err(s) => Some((s.code, s.reason, s.message)),
            Ok(_) => None,
        };
        let bad = |m: &str| Some((400, "BadRequest".to_string(), m.to_string()));
        let rows: &[(&str, String, &str, Option<(u16, String, String)>)] = &[
            (
                "GET",
                c.into(),
                "limit=abc",
                bad("strconv.ParseInt: parsing \"abc\": invalid syntax"),
            ),
            (
                "GET",
                c.into(),
                "limit=",
                bad("strconv.ParseInt: parsing \"\": invalid syntax"),
            ),
            (
                "GET",
                c.into(),
                "limit=1.5",
                bad("strconv.ParseInt: parsing \"1.5\": invalid syntax"),
            ),
            (
                "GET",
                c.into(),
                "limit=-",
                bad("strconv.ParseInt: parsing \"-\": invalid syntax"),
            ),
            (
                "GET",
                c.into(),
                "limit=99999999999999999999",
                bad("strconv.ParseInt: parsing \"99999999999999999999\": value out of range"),
            ),
            (
                "GET",
                c.into(),
                "watch=1&timeoutSeconds=x",
                bad("strconv.ParseInt: parsing \"x\": invalid syntax"),
            ),
            (
                "GET",
                "/apis/certificates.k8s.io/v1/watch/certificatesigningrequests/a".to_string(),
                "limit=x&fieldSelector=metadata.name%3Db",
                bad("strconv.ParseInt: parsing \"x\": invalid syntax"),
            ),
            (
                "DELETE",
                c.into(),
                "limit=x",
                bad("strconv.ParseInt: parsing \"x\": invalid syntax"),
            ),
            ("GET", c.into(), "limit=%2B5&timeoutSeconds=-1", None),
            // `+` is a space in a query, as Go's `url.ParseQuery` reads it.
            (
                "GET",
                c.into(),
                "limit=+5",
                bad("strconv.ParseInt: parsing \" 5\": invalid syntax"),
            ),
            // `GetOptions`, `CreateOptions`, `DeleteOptions` have neither.
            ("GET", format!("{c}/a"), "limit=abc&timeoutSeconds=x", None),
            ("POST", c.into(), "timeoutSeconds=abc", None),
            ("DELETE", format!("{c}/a"), "limit=abc", None),
        ];
        for (method, path, q, want) in rows {
            assert_eq!(&err(method, path, q), want, "{method} {path}?{q}");
        }
    }

    /// Boolean query parameters as `Convert_Slice_string_To_bool` reads them: only "0" and
    /// "false" (any case) are false, so `?watch` alone or `?watch=yes` watches and
    /// `sendInitialEvents=False` is given as false.
    #[test]
    fn boolean_parameters_as_apimachinery_converts_them() {
        let c = "/apis/certificates.k8s.io/v1/certificatesigningrequests";
        for (q, watch) in [
            ("watch", true),
            ("watch=", true),
            ("watch=yes", true),
            ("watch=TRUE", true),
            ("watch=t", true),
            ("watch=0", false),
            ("watch=false", false),
            ("watch=FALSE", false),
            ("watch=False", false),
        ] {
            assert_eq!(res("GET", c, q).verb == Some(Verb::Watch), watch, "{q}");
        }
        for (q, initial, bookmarks) in [
            (
                "sendInitialEvents=False&allowWatchBookmarks=yes",
                false,
                true,
            ),
            ("sendInitialEvents=&allowWatchBookmarks=0", true, false),
            (
                "sendInitialEvents=TRUE&allowWatchBookmarks=fAlSe",
                true,
                false,
            ),
        ] {
            let r = res("GET", c, &format!("watch=1&{q}"));
            assert_eq!(
                (
                    r.send_initial_events_given,
                    r.list.send_initial_events,
                    r.list.allow_watch_bookmarks
                ),
                (true, initial, bookmarks),
                "{q}"
            );
        }
    }

    /// `RequestInfoFactory.NewRequestInfo`'s reading of paths, as the authorizer sees them.
    #[test]
    fn request_info_of_any_path() {
        let row = |m: &str, p: &str, q: &str| {
            let a = request_attributes(m, p, q);
            format!(
                "{}|{}|{}|{}|{}|{}|{}",
                a.resource_request,
                a.verb,
                a.api_group,
                a.namespace,
                a.resource,
                a.name,
                a.subresource
            )
        };
        let cases = [
            ("GET", "/foo", "", "false|get|||||"),
            ("POST", "/apis/foo", "", "false|post|||||"),
            ("GET", "/api/v1", "", "false|get|||||"),
            ("GET", "/apis/g/v1", "", "false|get|||||"),
            ("GET", "/api/v1/pods", "", "true|list|||pods||"),
            ("GET", "/api/v1/pods", "watch=true", "true|watch|||pods||"),
            (
                "GET",
                "/api/v1/pods",
                "fieldSelector=metadata.name%3Dp",
                "true|list|||pods|p|",
            ),
            (
                "GET",
                "/api/v1/watch/namespaces/n/pods",
                "",
                "true|watch||n|pods||",
            ),
            (
                "DELETE",
                "/api/v1/namespaces/n/pods",
                "",
                "true|deletecollection||n|pods||",
            ),
            (
                "PUT",
                "/api/v1/namespaces/n/status",
                "",
                "true|update||n|namespaces|n|status",
            ),
            (
                "GET",
                "/api/v1/namespaces/n",
                "",
                "true|get||n|namespaces|n|",
            ),
            (
                "PATCH",
                "/apis/g/v1/namespaces/n/rs/x/scale/more",
                "",
                "true|patch|g|n|rs|x|scale",
            ),
            ("POST", "/apis/g/v1/xs", "", "true|create|g||xs||"),
        ];
        for (m, p, q, want) in cases {
            assert_eq!(row(m, p, q), want, "{m} {p}?{q}");
        }
    }

    /// The health installer registers the root and one path per check; another path under
    /// a root is the mux's 404, not a check that passes.
    #[test]
    fn health_check_paths() {
        assert!(matches!(
            route("GET", "/healthz/ping", ""),
            Ok(Route::Health)
        ));
        assert!(matches!(
            route("GET", "/readyz/shutdown", ""),
            Ok(Route::Health)
        ));
        for p in ["/healthz/nope", "/livez/shutdown", "/readyz/x/y"] {
            assert_eq!(route("GET", p, "").err().map(|s| s.code), Some(404), "{p}");
        }
    }

    /// The deprecated `watch/` paths are watches, as `?watch=true` (a name: a name field
    /// selector); only GET, only main resources that watch.
    #[test]
    fn deprecated_watch_paths() {
        let csr = "/apis/certificates.k8s.io/v1";
        let r = res(
            "GET",
            &format!("{csr}/watch/certificatesigningrequests"),
            "",
        );
        assert_eq!(r.verb, Some(Verb::Watch));
        let r = res(
            "GET",
            &format!("{csr}/watch/certificatesigningrequests/a"),
            "",
        );
        assert_eq!(
            (r.verb, r.name.as_str(), r.list.field_selector.as_str()),
            (Some(Verb::Watch), "", "metadata.name=a")
        );
        let r = res("GET", "/api/v1/watch/namespaces/n/secrets", "");
        assert_eq!((r.verb, r.namespace.as_str()), (Some(Verb::Watch), "n"));
        let r = res("GET", "/api/v1/watch/secrets", "");
        assert_eq!((r.verb, r.namespace.as_str()), (Some(Verb::Watch), ""));
        let r = res("GET", "/api/v1/watch/namespaces", "");
        assert_eq!(
            (r.verb, r.resource.as_str()),
            (Some(Verb::Watch), "namespaces")
        );
        let code = |m: &str, p: &str| route(m, p, "").err().map(|s| s.code);
        assert_eq!(code("POST", "/api/v1/watch/secrets"), Some(405));
        assert_eq!(
            code(
                "GET",
                &format!("{csr}/watch/certificatesigningrequests/a/status")
            ),
            Some(404)
        );
        assert_eq!(
            code(
                "GET",
                "/apis/authorization.k8s.io/v1/watch/subjectaccessreviews"
            ),
            Some(404)
        );
        assert_eq!(code("GET", "/api/v1/watch"), Some(404));
    }

    /// `APIInstaller.registerResourceHandlers`: a cluster-scoped resource has no route under
    /// `namespaces/<ns>/`, and a namespaced one only a list and a watch without a namespace;
    /// go-restful answers another path with 404 and another method on the list path with
    /// 405.
    #[test]
    fn paths_follow_the_resource_scope() {
        let err = |m: &str, p: &str| route(m, p, "").err().map(|s| (s.code, s.message));
        let nf = Some((
            404,
            "the server could not find the requested resource".to_string(),
        ));
        let na = Some((
            405,
            "the server does not allow this method on the requested resource".to_string(),
        ));
        let csr = "/apis/certificates.k8s.io/v1/namespaces/default/certificatesigningrequests";
        assert_eq!(err("GET", csr), nf);
        assert_eq!(err("POST", csr), nf);
        assert_eq!(err("GET", &format!("{csr}/a")), nf);
        assert_eq!(err("PUT", &format!("{csr}/a/approval")), nf);
        assert_eq!(
            err("GET", "/api/v1/namespaces/default/namespaces/default"),
            nf
        );
        assert_eq!(
            err(
                "GET",
                "/apis/rbac.authorization.k8s.io/v1/namespaces/x/clusterroles"
            ),
            nf
        );
        assert_eq!(err("GET", "/api/v1/secrets/s"), nf);
        assert_eq!(err("DELETE", "/api/v1/secrets/s"), nf);
        assert_eq!(err("GET", "/api/v1/configmaps/c"), nf);
        assert_eq!(err("POST", "/api/v1/secrets"), na);
        assert_eq!(err("DELETE", "/api/v1/secrets"), na);
        assert_eq!(
            err(
                "POST",
                "/apis/authorization.k8s.io/v1/localsubjectaccessreviews"
            ),
            nf
        );
        // What is served stays routed.
        assert_eq!(res("GET", "/api/v1/secrets", "").namespace, "");
        assert_eq!(res("GET", "/api/v1/secrets", "watch=1").namespace, "");
        assert_eq!(res("GET", "/api/v1/configmaps", "").namespace, "");
        assert_eq!(
            res(
                "GET",
                "/apis/certificates.k8s.io/v1/certificatesigningrequests/a",
                ""
            )
            .name,
            "a"
        );
        assert_eq!(
            res(
                "POST",
                "/apis/authorization.k8s.io/v1/namespaces/x/localsubjectaccessreviews",
                ""
            )
            .namespace,
            "x"
        );
    }

    #[test]
    fn namespace_subresource_paths() {
        let r = res("PUT", "/api/v1/namespaces/x/finalize", "");
        assert_eq!(
            (
                r.resource.as_str(),
                r.name.as_str(),
                r.subresource.as_str(),
                r.namespace.as_str()
            ),
            ("namespaces", "x", "finalize", "")
        );
        let r = res("GET", "/api/v1/namespaces/x/status", "");
        assert_eq!((r.name.as_str(), r.subresource.as_str()), ("x", "status"));
        let r = res("GET", "/api/v1/namespaces/x/secrets", "");
        assert_eq!(
            (r.resource.as_str(), r.namespace.as_str()),
            ("secrets", "x")
        );
    }

    #[test]
    fn resource_paths() {
        let c = "/apis/certificates.k8s.io/v1/certificatesigningrequests";
        let r = res("GET", c, "limit=500&fieldSelector=metadata.name%3Dmyuser");
        assert_eq!(r.verb, Some(Verb::List));
        assert_eq!(r.list.limit, Some(500));
        assert_eq!(r.list.field_selector, "metadata.name=myuser");
        let r = res("PUT", &format!("{c}/myuser/approval"), "");
        assert_eq!(
            (r.verb, r.name.as_str(), r.subresource.as_str()),
            (Some(Verb::Update), "myuser", "approval")
        );
        let r = res(
            "GET",
            c,
            "resourceVersion=0&watch=true&allowWatchBookmarks=true&timeoutSeconds=6",
        );
        assert_eq!(r.verb, Some(Verb::Watch));
        assert!(r.list.allow_watch_bookmarks);
        assert_eq!(r.list.timeout_seconds, Some(6));
        // `?watch` on an object's own path is ignored (`GetOptions` has no such field).
        let r = res("GET", &format!("{c}/myuser"), "watch=1");
        assert_eq!(
            (r.verb, r.list.field_selector.as_str(), r.name.as_str()),
            (Some(Verb::Get), "", "myuser")
        );
        let w = "/apis/certificates.k8s.io/v1/watch/certificatesigningrequests/myuser";
        let r = res("GET", w, "");
        assert_eq!(
            (r.verb, r.list.field_selector.as_str(), r.name.as_str()),
            (Some(Verb::Watch), "metadata.name=myuser", "")
        );
        let r = res("GET", w, "fieldSelector=metadata.name%3Dmyuser");
        assert_eq!(r.list.field_selector, "metadata.name=myuser");
        assert_eq!(r.watch_name.as_deref(), Some("myuser"));
        // A selector that does not select the name is the core's 400, after the selectors'
        // own checks (`ListResource`'s order): routing keeps it as sent.
        let r = res("GET", w, "fieldSelector=spec.signerName%3Dx");
        assert_eq!(
            (r.list.field_selector.as_str(), r.watch_name.as_deref()),
            ("spec.signerName=x", Some("myuser"))
        );
        let r = res(
            "POST",
            "/apis/rbac.authorization.k8s.io/v1/namespaces/default/roles",
            "fieldManager=kubectl-create&fieldValidation=Strict&dryRun=All",
        );
        assert_eq!(
            (r.verb, r.namespace.as_str(), r.resource.as_str(), r.dry_run),
            (Some(Verb::Create), "default", "roles", true)
        );
        let r = res("GET", "/api/v1/namespaces/kube-system", "");
        assert_eq!(
            (r.resource.as_str(), r.name.as_str(), r.namespace.as_str()),
            ("namespaces", "kube-system", "")
        );
        let r = res("DELETE", "/api/v1/namespaces/kube-system/secrets", "");
        assert_eq!(
            (r.verb, r.namespace.as_str()),
            (Some(Verb::DeleteCollection), "kube-system")
        );
        assert!(matches!(
            route("GET", "/api/v1/namespaces/default/pods", "limit=500").unwrap(),
            Route::Empty(_)
        ));
    }

    #[test]
    fn errors() {
        for (m, p) in [
            ("GET", "/nope"),
            ("GET", "/apis/example.com/v1/widgets"),
            ("GET", "/apis/certificates.k8s.io/v2"),
            ("GET", "/api/v1/widgets"),
            (
                "GET",
                "/apis/certificates.k8s.io/v1/certificatesigningrequests/a/b/c",
            ),
        ] {
            let e = route(m, p, "").unwrap_err();
            assert_eq!(
                (e.code, e.message.as_str()),
                (404, "the server could not find the requested resource"),
                "{p}"
            );
        }
        for (m, p) in [
            (
                "POST",
                "/apis/certificates.k8s.io/v1/certificatesigningrequests/x",
            ),
            (
                "PUT",
                "/apis/certificates.k8s.io/v1/certificatesigningrequests",
            ),
            ("DELETE", "/version"),
            ("OPTIONS", "/api/v1/secrets"),
        ] {
            assert_eq!(route(m, p, "").unwrap_err().code, 405, "{m} {p}");
        }
        assert_eq!(
            route(
                "GET",
                "/apis/certificates.k8s.io/v1/certificatesigningrequests",
                "limit=abc"
            )
            .unwrap_err()
            .code,
            400
        );
    }

    #[test]
    fn discovery_documents() {
        let l = resource_list("certificates.k8s.io", "v1");
        let names: Vec<&str> = l["resources"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["name"].as_str().unwrap())
            .collect();
        assert_eq!(
            names,
            [
                "certificatesigningrequests",
                "certificatesigningrequests/approval",
                "certificatesigningrequests/status"
            ]
        );
        assert_eq!(l["resources"][0]["shortNames"], json!(["csr"]));
        // storageVersionHash: the stored resource only, after shortNames (APIResource order).
        assert_eq!(
            l["resources"][0]["storageVersionHash"],
            resources::storage_version_hash(
                "certificates.k8s.io",
                "v1",
                "CertificateSigningRequest"
            )
        );
        let keys: Vec<&String> = l["resources"][0].as_object().unwrap().keys().collect();
        assert_eq!(keys.last().map(|k| k.as_str()), Some("storageVersionHash"));
        assert!(l["resources"][1].get("storageVersionHash").is_none());
        let authz = resource_list("authorization.k8s.io", "v1");
        assert!(authz["resources"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r.get("storageVersionHash").is_none()));
        let core = resource_list("", "v1");
        assert!(core["resources"].as_array().unwrap().iter().all(|r| {
            let hashed = r["storageVersionHash"]
                .as_str()
                .is_some_and(|h| h.len() == 12);
            let main = !r["name"].as_str().unwrap().contains('/');
            hashed == main
        }));
        // A namespace's subresources: `/finalize` (update) and `/status`.
        let subs: Vec<(&str, &Value)> = core["resources"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["name"].as_str().unwrap().starts_with("namespaces/"))
            .map(|r| (r["name"].as_str().unwrap(), &r["verbs"]))
            .collect();
        assert_eq!(
            subs,
            [
                ("namespaces/finalize", &json!(["update"])),
                ("namespaces/status", &json!(["get", "patch", "update"]))
            ]
        );
        assert!(core["resources"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["name"] == "pods"));
        assert_eq!(core["groupVersion"], "v1");
        let rbac = resource_list("rbac.authorization.k8s.io", "v1");
        let names: Vec<&str> = rbac["resources"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["name"].as_str().unwrap())
            .collect();
        assert_eq!(
            names,
            [
                "clusterrolebindings",
                "clusterroles",
                "rolebindings",
                "roles"
            ]
        );
        let g = group_list();
        let names: Vec<&str> = g["groups"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["name"].as_str().unwrap())
            .collect();
        // kube-apiserver's order (api/discovery/apis.json)
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
        // APIGroup: Go's field order, TypeMeta first
        assert_eq!(
            serde_json::to_string(&api_group("certificates.k8s.io")).unwrap(),
            r#"{"kind":"APIGroup","apiVersion":"v1","name":"certificates.k8s.io","versions":[{"groupVersion":"certificates.k8s.io/v1","version":"v1"}],"preferredVersion":{"groupVersion":"certificates.k8s.io/v1","version":"v1"}}"#
        );
        assert!(
            names.contains(&"certificates.k8s.io")
                && names.contains(&"rbac.authorization.k8s.io")
                && names.contains(&"authorization.k8s.io")
                && names.contains(&"authentication.k8s.io")
        );
        assert_eq!(percent_decode("a%3Db+c%2"), "a=b c%2");
    }

    /// Go's `url.Parse` path: escapes decoded (the Python client quotes every character of
    /// a name but letters, digits and `_.-~`), `+` kept, malformed escapes refused.
    #[test]
    fn paths_are_unescaped_as_go_does() {
        let rows: &[(&str, Option<&str>)] = &[
            ("/apis/g/v1/r/plain", Some("/apis/g/v1/r/plain")),
            ("/apis/g/v1/r/Ab%3Ac", Some("/apis/g/v1/r/Ab:c")),
            ("/apis/g/v1/r/a%20b", Some("/apis/g/v1/r/a b")),
            ("/apis/g/v1/r/a%25b", Some("/apis/g/v1/r/a%b")),
            ("/apis/g/v1/r/a+b", Some("/apis/g/v1/r/a+b")),
            ("/apis/g/v1/r/a%2Fstatus", Some("/apis/g/v1/r/a/status")),
            ("/apis/g/v1/r/%e2%9c%93", Some("/apis/g/v1/r/\u{2713}")),
            ("/apis/g/v1/r/a%zz", None),
            ("/apis/g/v1/r/a%2", None),
            ("/apis/g/v1/r/a%+1", None),
        ];
        for (raw, want) in rows {
            assert_eq!(path_unescape(raw).as_deref(), *want, "{raw}");
        }
    }

    /// The listed-only kinds as upstream's discovery lists them (`api/discovery/api__v1.json`,
    /// `apis__apps__v1.json`, `apis__batch__v1.json`, `apis__networking.k8s.io__v1.json`): name,
    /// singular, short names, categories and storage version hash; and their routes answer
    /// as listed-only (`Route::Empty`).
    #[test]
    fn listed_only_kinds_in_discovery() {
        let cases: &[(&str, &str, &str, &[&str], &[&str], &str)] = &[
            ("", "configmaps", "configmap", &["cm"], &[], "qFsyl6wFWjQ="),
            ("", "endpoints", "endpoints", &["ep"], &[], "fWeeMqaN/OA="),
            ("", "events", "event", &["ev"], &[], "r2yiGXH7wu8="),
            (
                "",
                "limitranges",
                "limitrange",
                &["limits"],
                &[],
                "EBKMFVe6cwo=",
            ),
            (
                "",
                "resourcequotas",
                "resourcequota",
                &["quota"],
                &[],
                "8uhSgffRX6w=",
            ),
            (
                "",
                "persistentvolumeclaims",
                "persistentvolumeclaim",
                &["pvc"],
                &[],
                "QWTyNDq0dC4=",
            ),
            (
                "",
                "persistentvolumes",
                "persistentvolume",
                &["pv"],
                &[],
                "HN/zwEC+JgM=",
            ),
            ("", "pods", "pod", &["po"], &["all"], "xPOwRZ+Yhw8="),
            (
                "",
                "replicationcontrollers",
                "replicationcontroller",
                &["rc"],
                &["all"],
                "Jond2If31h0=",
            ),
            (
                "",
                "services",
                "service",
                &["svc"],
                &["all"],
                "0/CO1lhkEBI=",
            ),
            (
                "apps",
                "daemonsets",
                "daemonset",
                &["ds"],
                &["all"],
                "dd7pWHUlMKQ=",
            ),
            (
                "apps",
                "deployments",
                "deployment",
                &["deploy"],
                &["all"],
                "8aSe+NMegvE=",
            ),
            (
                "apps",
                "replicasets",
                "replicaset",
                &["rs"],
                &["all"],
                "P1RzHs8/mWQ=",
            ),
            (
                "apps",
                "statefulsets",
                "statefulset",
                &["sts"],
                &["all"],
                "H+vl74LkKdo=",
            ),
            (
                "batch",
                "cronjobs",
                "cronjob",
                &["cj"],
                &["all"],
                "sd5LIXh4Fjs=",
            ),
            ("batch", "jobs", "job", &[], &["all"], "mudhfqk/qZY="),
            (
                "autoscaling",
                "horizontalpodautoscalers",
                "horizontalpodautoscaler",
                &["hpa"],
                &["all"],
                "qwQve8ut294=",
            ),
            (
                "networking.k8s.io",
                "ingresses",
                "ingress",
                &["ing"],
                &[],
                "39NQlfNR+bo=",
            ),
        ];
        for (group, name, singular, short, categories, hash) in cases {
            let list = resource_list(group, "v1");
            let e = list["resources"]
                .as_array()
                .unwrap()
                .iter()
                .find(|r| r["name"] == *name)
                .unwrap_or_else(|| panic!("{group} {name}"));
            assert_eq!(e["singularName"], *singular, "{name}");
            assert_eq!(e["storageVersionHash"], *hash, "{name}");
            let list_or_absent = |v: &Value| v.as_array().cloned().unwrap_or_default();
            assert_eq!(
                list_or_absent(&e["shortNames"]),
                json!(short).as_array().unwrap().clone(),
                "{name}"
            );
            assert_eq!(
                list_or_absent(&e["categories"]),
                json!(categories).as_array().unwrap().clone(),
                "{name}"
            );
            let path = match (group.is_empty(), e["namespaced"].as_bool().unwrap()) {
                (true, true) => format!("/api/v1/namespaces/ns/{name}"),
                (true, false) => format!("/api/v1/{name}"),
                (false, _) => format!("/apis/{group}/v1/namespaces/ns/{name}"),
            };
            let r = route("GET", &path, "").unwrap();
            assert!(
                matches!(&r, Route::Empty(q) if q.group == *group && q.resource == *name),
                "{path}"
            );
        }
        // autoscaling: v2 preferred, v1 served too, one storage version hash
        // (`api/discovery/apis__autoscaling.json`, `apis__autoscaling__v2.json`).
        let g = api_group("autoscaling");
        assert_eq!(
            g["versions"],
            json!([{"groupVersion": "autoscaling/v2", "version": "v2"}, {"groupVersion": "autoscaling/v1", "version": "v1"}])
        );
        assert_eq!(
            g["preferredVersion"],
            json!({"groupVersion": "autoscaling/v2", "version": "v2"})
        );
        let v2 = resource_list("autoscaling", "v2");
        assert_eq!(v2["resources"][0]["name"], "horizontalpodautoscalers");
        assert_eq!(v2["resources"][0]["storageVersionHash"], "qwQve8ut294=");
        assert_eq!(v2["resources"][0]["categories"], json!(["all"]));
    }

    proptest::proptest! {
        /// Any method, path and query is routed or refused, never a panic.
        #[test]
        fn arbitrary_urls_never_panic(method in "(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS)", path in "(/[a-z0-9.%_-]{0,12}){0,7}/?", query in "[a-zA-Z0-9=&%+.,_-]{0,40}") {
            let _ = route(&method, &path, &query);
            let _ = route(&method, &format!("/apis/certificates.k8s.io/v1{path}"), &query);
            let _ = route(&method, &format!("/api/v1/namespaces{path}"), &query);
        }
    }
}
