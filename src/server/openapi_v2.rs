//! The OpenAPI v2 document at `/openapi/v2`, as JSON and as gnostic's protobuf
//! (`openapi_v2.Document`, `application/com.github.proto-openapi.spec.v2.v1.0+protobuf`).
//!
//! kubectl 1.20 (Debian's `kubernetes-client`) reads only this document, in protobuf, for:
//! - **server-side dry run and `kubectl diff`**: `QueryParamVerifier.HasSupport` looks for the
//!   kind's PATCH operation (`x-kubernetes-group-version-kind` on the operation) and a
//!   `dryRun` query parameter on it; without them every `--dry-run=server` and `kubectl diff`
//!   fails with `<gvk> doesn't support dry-run` before any request is sent;
//! - **`kubectl explain`**: the definition carrying the kind's `x-kubernetes-group-version-kind`;
//! - **client-side validation** (`--validate`, on by default) and **`kubectl apply`'s patch**
//!   (`x-kubernetes-patch-strategy`/`-merge-key`), for the kinds that have a definition.
//!
//! kubectl ≥ 1.27 explains and validates from `/openapi/v3`, and computes a client-side
//! apply's patch from this document for kinds whose v3 PATCH does not list strategic merge
//! (all of ours, see [`super::openapi`]).
//!
//! Paths are listed for every served resource. Definitions exist for CertificateSigningRequest,
//! the RBAC kinds, Secret and Namespace (their full schemas, shared with v3), pods and events
//! (as v3 describes them) and the meta types they reference. The access reviews have none, so
//! kubectl skips client-side validation for them, as it did when this document was empty: an
//! inexact schema here would reject valid manifests (kube-openapi's validation refuses unknown
//! fields and wrong types).

use super::openapi::{self, META};
use crate::api::resources::{ResourceInfo, ALL};
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};
use std::sync::OnceLock;

/// The protobuf media type kubectl asks for, and the one kube-openapi's handler answers with
/// (`@` is not valid in a media type, so the reply spells it `.v1.0`).
pub const PROTOBUF_ACCEPT_DEPRECATED: &str = "com.github.proto-openapi.spec.v2@v1.0+protobuf";
pub const PROTOBUF_SUBTYPE: &str = "com.github.proto-openapi.spec.v2.v1.0+protobuf";
pub const PROTOBUF_CONTENT_TYPE: &str =
    "application/com.github.proto-openapi.spec.v2.v1.0+protobuf";

/// The document in both encodings, with the ETag kube-openapi sends (a hash of the JSON).
pub struct V2Doc {
    pub json: Vec<u8>,
    pub protobuf: Vec<u8>,
    pub etag: String,
}

/// Built once: it depends on nothing but this binary.
pub fn document() -> &'static V2Doc {
    static DOC: OnceLock<V2Doc> = OnceLock::new();
    DOC.get_or_init(|| {
        let v = build();
        let json = serde_json::to_vec(&v).unwrap_or_default();
        let etag = Sha256::digest(&json)
            .iter()
            .map(|b| format!("{b:02X}"))
            .collect();
        V2Doc {
            protobuf: proto::document(&v),
            json,
            etag,
        }
    })
}

/// Which encoding an `Accept` header gets, as kube-openapi's handler chooses: the first
/// clause that names JSON, either protobuf subtype, or a wildcard; `None` is a 406.
pub fn negotiate(accept: &str) -> Option<bool> {
    let accept = if accept.trim().is_empty() {
        "*/*"
    } else {
        accept
    };
    let mut clauses: Vec<(f32, usize, &str)> = accept
        .split(',')
        .enumerate()
        .filter_map(|(i, c)| {
            let mut parts = c.split(';');
            let media = parts.next()?.trim();
            let q = parts
                .filter_map(|p| p.trim().strip_prefix("q="))
                .find_map(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            (q > 0.0).then_some((q, i, media))
        })
        .collect();
    // goautoneg sorts by quality, keeping the header's order among equals.
    clauses.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    for (_, _, media) in clauses {
        let (ty, sub) = media.split_once('/').unwrap_or((media, ""));
        if ty != "application" && ty != "*" {
            continue;
        }
        match sub {
            "json" | "*" => return Some(false),
            s if s == PROTOBUF_ACCEPT_DEPRECATED || s == PROTOBUF_SUBTYPE => return Some(true),
            _ => {}
        }
    }
    None
}

fn definition_ref(name: &str) -> Value {
    json!({ "$ref": format!("#/definitions/{name}") })
}

/// Upstream's operation-id and tag spelling of a group: `rbac.authorization.k8s.io` →
/// `RbacAuthorization`, the core group → `Core`.
fn group_camel(group: &str) -> String {
    if group.is_empty() {
        return "Core".into();
    }
    group
        .trim_end_matches(".k8s.io")
        .split('.')
        .map(capitalized)
        .collect()
}

/// `approval` → `Approval`, `v1` → `V1`.
fn capitalized(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
        .unwrap_or_default()
}

fn gvk(r: &ResourceInfo) -> Value {
    json!({"group": r.group, "kind": r.kind, "version": r.version})
}

fn query(name: &str, description: &str) -> Value {
    json!({"uniqueItems": true, "type": "string", "description": description, "name": name, "in": "query"})
}

fn path_param(name: &str, description: &str) -> Value {
    json!({"uniqueItems": true, "type": "string", "description": description, "name": name, "in": "path", "required": true})
}

/// The definition a kind's operations answer with, when this document has one.
fn has_definition(r: &ResourceInfo) -> bool {
    r.kind == "CertificateSigningRequest" || super::openapi_schemas::FULL.contains(&r.kind)
}

fn response_schema(name: Option<String>) -> Value {
    match name {
        Some(n) => json!({"description": "OK", "schema": definition_ref(&n)}),
        None => json!({"description": "OK"}),
    }
}

/// One operation (`action` is kube-openapi's `x-kubernetes-action`); the parameters kubectl
/// looks for are on the operation itself, as upstream lists them.
fn operation(r: &ResourceInfo, action: &str, subresource: &str) -> Value {
    let pkg = openapi::package(r.group);
    let kind_def = has_definition(r).then(|| format!("{pkg}.{}", r.kind));
    let list_def = has_definition(r).then(|| format!("{pkg}.{}", r.list_kind));
    let scope = if r.namespaced { "Namespaced" } else { "" };
    let sub = capitalized(subresource);
    let (verb, collection) = match action {
        "get" => ("read", ""),
        "put" => ("replace", ""),
        "post" => ("create", ""),
        "deletecollection" => ("delete", "Collection"),
        a => (a, ""),
    };
    let camel = group_camel(r.group);
    let version = capitalized(r.version);
    let mut tag = camel.clone();
    if let Some(f) = tag.get_mut(0..1) {
        f.make_ascii_lowercase();
    }
    let status = format!("{META}.Status");
    let (answer, body_schema) = match action {
        "list" => (list_def, None),
        "delete" | "deletecollection" => (Some(status), None),
        "patch" => (kind_def, Some(definition_ref(&format!("{META}.Patch")))),
        "post" | "put" => (
            kind_def.clone(),
            Some(
                kind_def
                    .map(|d| definition_ref(&d))
                    .unwrap_or_else(|| json!({"type": "object"})),
            ),
        ),
        _ => (kind_def, None),
    };
    let mut params = vec![];
    if let Some(schema) = body_schema {
        params.push(json!({"name": "body", "in": "body", "required": true, "schema": schema}));
    }
    if matches!(action, "post" | "put" | "patch") {
        params.push(query(
            "dryRun",
            "When present, indicates that modifications should not be persisted. Valid value: All.",
        ));
        params.push(query(
            "fieldManager",
            "The name associated with the actor or entity that is making these changes.",
        ));
        // No `fieldValidation` here: kubectl ≥ 1.27 asks /openapi/v3 first and falls back to
        // this document only for kinds without a PATCH there (the access reviews). If the
        // Namespace PATCH here listed it, kubectl would then look the kind up among
        // CustomResourceDefinitions, which csrsim does not serve, and every `kubectl create
        // -f` of a review would fail (`failed to check CRD: failed to list CRDs`).
    }
    if action == "patch" {
        params.push(json!({"uniqueItems": true, "type": "boolean", "description": "Force is going to \"force\" Apply requests.", "name": "force", "in": "query"}));
    }
    if matches!(action, "delete" | "deletecollection") {
        params.push(query(
            "dryRun",
            "When present, indicates that modifications should not be persisted. Valid value: All.",
        ));
        params.push(query(
            "propagationPolicy",
            "Orphan, Background or Foreground.",
        ));
    }
    if matches!(action, "list" | "deletecollection") {
        for p in [
            "continue",
            "fieldSelector",
            "labelSelector",
            "limit",
            "resourceVersion",
            "resourceVersionMatch",
        ] {
            params.push(query(p, ""));
        }
    }
    if action == "list" {
        params.push(query("watch", ""));
    }
    let consumes: &[&str] = match action {
        "patch" => &[
            "application/json-patch+json",
            "application/merge-patch+json",
            "application/strategic-merge-patch+json",
            "application/apply-patch+yaml",
        ],
        _ => &["*/*"],
    };
    let mut op = json!({
        "description": format!("{action} {}{}", r.kind, if subresource.is_empty() { String::new() } else { format!(" {subresource}") }),
        "consumes": consumes,
        "produces": ["application/json", "application/yaml", "application/vnd.kubernetes.protobuf"],
        "schemes": ["https"],
        "tags": [format!("{tag}_{}", r.version)],
        "operationId": format!("{verb}{camel}{version}{collection}{scope}{}{sub}", r.kind),
        "parameters": params,
        "responses": {"200": response_schema(answer), "401": {"description": "Unauthorized"}},
        "x-kubernetes-action": action,
        "x-kubernetes-group-version-kind": gvk(r),
    });
    if action == "post" {
        op["responses"]["201"] = op["responses"]["200"].clone();
    }
    op
}

fn build() -> Value {
    let mut paths = Map::new();
    for r in ALL.iter() {
        let collection = openapi::collection_path(r);
        let mut common = vec![];
        if r.namespaced {
            common.push(path_param(
                "namespace",
                "object name and auth scope, such as for teams and projects",
            ));
        }
        common.push(query(
            "pretty",
            "If 'true', then the output is pretty printed.",
        ));
        let has = |v: &str| r.verbs.contains(&v);
        let mut coll = Map::new();
        if has("deletecollection") {
            coll.insert("delete".into(), operation(r, "deletecollection", ""));
        }
        if has("list") {
            coll.insert("get".into(), operation(r, "list", ""));
        }
        if has("create") {
            coll.insert("post".into(), operation(r, "post", ""));
        }
        coll.insert("parameters".into(), Value::Array(common.clone()));
        paths.insert(collection.clone(), Value::Object(coll));
        if !has("get") {
            continue;
        }
        let mut named = vec![path_param("name", &format!("name of the {}", r.kind))];
        named.extend(common);
        let main: &[&str] = if has("delete") {
            &["delete", "get", "patch", "put"]
        } else {
            &["get", "patch", "put"]
        };
        let subs = std::iter::once(("", main)).chain(openapi::subresources(r).iter().copied());
        for (sub, actions) in subs {
            let mut item = Map::new();
            for action in actions {
                item.insert((*action).into(), operation(r, action, sub));
            }
            item.insert("parameters".into(), Value::Array(named.clone()));
            let path = if sub.is_empty() {
                format!("{collection}/{{name}}")
            } else {
                format!("{collection}/{{name}}/{sub}")
            };
            paths.insert(path, Value::Object(item));
        }
    }
    let mut definitions = Map::new();
    let mut v3 = Map::new();
    let pkg = openapi::package("certificates.k8s.io");
    openapi::csr_schemas(&pkg, &mut v3);
    for r in ALL.iter().filter(|r| has_definition(r)) {
        let pkg = openapi::package(r.group);
        super::openapi_schemas::insert(r, &pkg, &mut v3);
        v3.insert(
            format!("{pkg}.{}", r.list_kind),
            openapi::list_schema_for(r, &format!("{pkg}.{}", r.kind)),
        );
    }
    // Pods and events: listed by discovery (always empty), described for `kubectl explain`
    // as in v3. 1.20 validates pod manifests against this partial schema, but a pod create
    // is refused (405) either way.
    for r in openapi::described_listed_only() {
        let pkg = openapi::package(r.group);
        if r.kind == "Pod" {
            openapi::pod_schemas(r, &pkg, &mut v3);
        } else {
            v3.insert(format!("{pkg}.{}", r.kind), openapi::top_level_schema(r));
        }
    }
    openapi::meta_schemas(&mut v3);
    for (name, schema) in v3 {
        definitions.insert(name, to_v2_schema(schema));
    }
    let mut doc = json!({
        "swagger": "2.0",
        "info": {"title": "Kubernetes", "version": crate::server::KUBE_GIT_VERSION},
        "paths": paths,
        "definitions": definitions,
    });
    sort_keys(&mut doc);
    doc
}

/// Every object's keys in order, as Go's encoding/json writes the maps kube-openapi serves.
fn sort_keys(v: &mut Value) {
    match v {
        Value::Object(m) => {
            m.sort_keys();
            m.values_mut().for_each(sort_keys);
        }
        Value::Array(a) => a.iter_mut().for_each(sort_keys),
        _ => {}
    }
}

/// A v3 component schema as a v2 definition: references point into `#/definitions/`, a
/// single-reference `allOf` becomes the `$ref` itself (kube-openapi's v2 form, and the only
/// one its parser follows), and defaults are dropped (v2 readers ignore them).
fn to_v2_schema(v: Value) -> Value {
    match v {
        Value::Object(mut m) => {
            if let Some(Value::Array(all)) = m.get("allOf") {
                if let [Value::Object(only)] = all.as_slice() {
                    if let Some(r) = only.get("$ref").cloned() {
                        m.remove("allOf");
                        m.insert("$ref".into(), r);
                    }
                }
            }
            m.remove("default");
            let mut out = Map::new();
            for (k, v) in m {
                let v = match (k.as_str(), v) {
                    ("$ref", Value::String(s)) => {
                        Value::String(s.replace("#/components/schemas/", "#/definitions/"))
                    }
                    // Property names and extension values are data, not schemas.
                    ("properties", Value::Object(props)) => Value::Object(
                        props
                            .into_iter()
                            .map(|(n, s)| (n, to_v2_schema(s)))
                            .collect(),
                    ),
                    (k, v) if k.starts_with("x-") => v,
                    (_, v) => to_v2_schema(v),
                };
                out.insert(k, v);
            }
            Value::Object(out)
        }
        Value::Array(a) => Value::Array(a.into_iter().map(to_v2_schema).collect()),
        other => other,
    }
}

/// gnostic's `openapi_v2` messages, written field by field (field numbers from
/// `openapiv2/OpenAPIv2.proto`) for the subset of OpenAPI this document uses.
mod proto {
    use serde_json::Value;

    fn varint(mut v: u64, out: &mut Vec<u8>) {
        while v >= 0x80 {
            out.push((v as u8) | 0x80);
            v >>= 7;
        }
        out.push(v as u8);
    }

    fn message(field: u64, body: &[u8], out: &mut Vec<u8>) {
        varint(field << 3 | 2, out);
        varint(body.len() as u64, out);
        out.extend_from_slice(body);
    }

    /// proto3: an empty string is the default and is not written.
    fn string(field: u64, s: &str, out: &mut Vec<u8>) {
        if !s.is_empty() {
            message(field, s.as_bytes(), out);
        }
    }

    fn boolean(field: u64, b: bool, out: &mut Vec<u8>) {
        if b {
            varint(field << 3, out);
            out.push(1);
        }
    }

    fn str_of<'a>(v: &'a Value, key: &str) -> &'a str {
        v.get(key).and_then(Value::as_str).unwrap_or("")
    }

    fn strings(field: u64, v: Option<&Value>, out: &mut Vec<u8>) {
        for s in v.and_then(Value::as_array).into_iter().flatten() {
            if let Some(s) = s.as_str() {
                message(field, s.as_bytes(), out);
            }
        }
    }

    /// `NamedAny{name, value: Any{yaml}}` for each `x-` key: the value as YAML text, which a
    /// JSON rendering is (gnostic's readers `yaml.Unmarshal` it).
    fn vendor_extensions(field: u64, v: &Value, out: &mut Vec<u8>) {
        let Some(m) = v.as_object() else { return };
        for (k, val) in m.iter().filter(|(k, _)| k.starts_with("x-")) {
            let mut any = vec![];
            string(2, &serde_json::to_string(val).unwrap_or_default(), &mut any);
            let mut named = vec![];
            string(1, k, &mut named);
            message(2, &any, &mut named);
            message(field, &named, out);
        }
    }

    pub fn document(v: &Value) -> Vec<u8> {
        let mut out = vec![];
        string(1, str_of(v, "swagger"), &mut out);
        let mut info = vec![];
        string(1, str_of(&v["info"], "title"), &mut info);
        string(2, str_of(&v["info"], "version"), &mut info);
        message(2, &info, &mut out);
        let mut paths = vec![];
        for (name, item) in v["paths"].as_object().into_iter().flatten() {
            let mut named = vec![];
            string(1, name, &mut named);
            message(2, &path_item(item), &mut named);
            message(2, &named, &mut paths);
        }
        message(8, &paths, &mut out);
        let mut defs = vec![];
        for (name, s) in v["definitions"].as_object().into_iter().flatten() {
            let mut named = vec![];
            string(1, name, &mut named);
            message(2, &schema(s), &mut named);
            message(1, &named, &mut defs);
        }
        message(9, &defs, &mut out);
        out
    }

    fn path_item(v: &Value) -> Vec<u8> {
        let mut out = vec![];
        for (field, method) in [
            (2, "get"),
            (3, "put"),
            (4, "post"),
            (5, "delete"),
            (8, "patch"),
        ] {
            if let Some(op) = v.get(method) {
                message(field, &operation(op), &mut out);
            }
        }
        for p in v["parameters"].as_array().into_iter().flatten() {
            message(9, &parameters_item(p), &mut out);
        }
        out
    }

    fn operation(v: &Value) -> Vec<u8> {
        let mut out = vec![];
        strings(1, v.get("tags"), &mut out);
        string(3, str_of(v, "description"), &mut out);
        string(5, str_of(v, "operationId"), &mut out);
        strings(6, v.get("produces"), &mut out);
        strings(7, v.get("consumes"), &mut out);
        for p in v["parameters"].as_array().into_iter().flatten() {
            message(8, &parameters_item(p), &mut out);
        }
        let mut responses = vec![];
        for (code, r) in v["responses"].as_object().into_iter().flatten() {
            let mut response = vec![];
            string(1, str_of(r, "description"), &mut response);
            if let Some(s) = r.get("schema") {
                let mut item = vec![];
                message(1, &schema(s), &mut item);
                message(2, &item, &mut response);
            }
            let mut value = vec![];
            message(1, &response, &mut value);
            let mut named = vec![];
            string(1, code, &mut named);
            message(2, &value, &mut named);
            message(1, &named, &mut responses);
        }
        message(9, &responses, &mut out);
        strings(10, v.get("schemes"), &mut out);
        vendor_extensions(13, v, &mut out);
        out
    }

    /// `ParametersItem{parameter: Parameter{body_parameter | non_body_parameter{query | path}}}`.
    fn parameters_item(v: &Value) -> Vec<u8> {
        let mut parameter = vec![];
        let required = v.get("required").and_then(Value::as_bool).unwrap_or(false);
        let unique = v
            .get("uniqueItems")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        match str_of(v, "in") {
            "body" => {
                let mut body = vec![];
                string(1, str_of(v, "description"), &mut body);
                string(2, str_of(v, "name"), &mut body);
                string(3, "body", &mut body);
                boolean(4, required, &mut body);
                if let Some(s) = v.get("schema") {
                    message(5, &schema(s), &mut body);
                }
                message(1, &body, &mut parameter);
            }
            place => {
                // QueryParameterSubSchema (3) and PathParameterSubSchema (4) share their
                // first four fields; `type` is 6 in the first and 5 in the second.
                let (which, type_field, unique_field) = if place == "path" {
                    (4, 5, 19)
                } else {
                    (3, 6, 20)
                };
                let mut sub = vec![];
                boolean(1, required, &mut sub);
                string(2, place, &mut sub);
                string(3, str_of(v, "description"), &mut sub);
                string(4, str_of(v, "name"), &mut sub);
                string(type_field, str_of(v, "type"), &mut sub);
                boolean(unique_field, unique, &mut sub);
                let mut non_body = vec![];
                message(which, &sub, &mut non_body);
                message(2, &non_body, &mut parameter);
            }
        }
        let mut item = vec![];
        message(1, &parameter, &mut item);
        item
    }

    fn schema(v: &Value) -> Vec<u8> {
        let mut out = vec![];
        string(1, str_of(v, "$ref"), &mut out);
        string(2, str_of(v, "format"), &mut out);
        string(4, str_of(v, "description"), &mut out);
        boolean(
            16,
            v.get("uniqueItems")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            &mut out,
        );
        strings(19, v.get("required"), &mut out);
        if let Some(ap) = v.get("additionalProperties") {
            let mut item = vec![];
            match ap {
                Value::Bool(b) => {
                    // oneof: the bool is written even when false.
                    varint(2 << 3, &mut item);
                    item.push(u8::from(*b));
                }
                s => message(1, &schema(s), &mut item),
            }
            message(21, &item, &mut out);
        }
        match v.get("type") {
            Some(Value::String(t)) => {
                let mut item = vec![];
                string(1, t, &mut item);
                message(22, &item, &mut out);
            }
            Some(Value::Array(ts)) => {
                let mut item = vec![];
                strings(1, Some(&Value::Array(ts.clone())), &mut item);
                message(22, &item, &mut out);
            }
            _ => {}
        }
        if let Some(items) = v.get("items") {
            let mut item = vec![];
            match items {
                Value::Array(all) => {
                    for s in all {
                        message(1, &schema(s), &mut item);
                    }
                }
                s => message(1, &schema(s), &mut item),
            }
            message(23, &item, &mut out);
        }
        if let Some(props) = v.get("properties").and_then(Value::as_object) {
            let mut p = vec![];
            for (name, s) in props {
                let mut named = vec![];
                string(1, name, &mut named);
                message(2, &schema(s), &mut named);
                message(1, &named, &mut p);
            }
            message(25, &p, &mut out);
        }
        vendor_extensions(31, v, &mut out);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_negotiation_follows_kube_openapi() {
        let cases: &[(&str, Option<bool>)] = &[
            ("", Some(false)),
            ("*/*", Some(false)),
            ("application/json", Some(false)),
            // kubectl (1.20 and later) asks with the deprecated spelling.
            (
                "application/com.github.proto-openapi.spec.v2@v1.0+protobuf",
                Some(true),
            ),
            (
                "application/com.github.proto-openapi.spec.v2.v1.0+protobuf",
                Some(true),
            ),
            (
                "application/com.github.proto-openapi.spec.v2@v1.0+protobuf;q=0.5, application/json",
                Some(false),
            ),
            ("text/html", None),
            ("application/yaml", None),
            ("application/json;q=0", None),
        ];
        for (accept, want) in cases {
            assert_eq!(negotiate(accept), *want, "{accept}");
        }
    }

    /// What kubectl's dry-run verifier (`supportsQueryParam`) reads: the PATCH of a path whose
    /// operation names the kind lists `dryRun`, for every kind that has a PATCH.
    #[test]
    fn every_patch_lists_dry_run_with_its_kind() {
        let v = build();
        for r in ALL.iter().filter(|r| r.verbs.contains(&"patch")) {
            let found = v["paths"].as_object().unwrap().values().any(|item| {
                let p = &item["patch"];
                p["x-kubernetes-group-version-kind"] == gvk(r)
                    && p["parameters"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .any(|q| q["name"] == "dryRun" && q["in"] == "query")
            });
            assert!(found, "{}", r.kind);
        }
        let csr = &v["paths"]["/apis/certificates.k8s.io/v1/certificatesigningrequests/{name}"];
        assert_eq!(
            csr["patch"]["operationId"],
            "patchCertificatesV1CertificateSigningRequest"
        );
        assert_eq!(
            v["paths"]["/apis/rbac.authorization.k8s.io/v1/namespaces/{namespace}/roles"]["get"]
                ["operationId"],
            "listRbacAuthorizationV1NamespacedRole"
        );
    }

    /// A namespace's `/status` and `/finalize` as upstream's `api/openapi-spec/swagger.json`
    /// has them: the operations, their ids and the Namespace kind.
    #[test]
    fn namespace_subresources_as_swagger_json() {
        let v = build();
        let ns = json!({"group": "", "kind": "Namespace", "version": "v1"});
        let cases: &[(&str, &[(&str, &str)])] = &[
            (
                "/api/v1/namespaces/{name}/status",
                &[
                    ("get", "readCoreV1NamespaceStatus"),
                    ("patch", "patchCoreV1NamespaceStatus"),
                    ("put", "replaceCoreV1NamespaceStatus"),
                ],
            ),
            (
                "/api/v1/namespaces/{name}/finalize",
                &[("put", "replaceCoreV1NamespaceFinalize")],
            ),
        ];
        for (path, ops) in cases {
            let item = v["paths"][path].as_object().expect(path);
            let methods: Vec<&str> = item
                .keys()
                .map(|k| k.as_str())
                .filter(|k| *k != "parameters")
                .collect();
            let want: Vec<&str> = ops.iter().map(|(m, _)| *m).collect();
            assert_eq!(methods, want, "{path}");
            for (m, id) in *ops {
                assert_eq!(item[*m]["operationId"], *id, "{path}");
                assert_eq!(item[*m]["x-kubernetes-group-version-kind"], ns, "{path}");
            }
        }
        let put = &v["paths"]["/api/v1/namespaces/{name}/finalize"]["put"];
        assert!(put["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .any(|q| q["name"] == "dryRun"));
    }

    /// Every `$ref` in the document resolves: kube-openapi's parser refuses the whole
    /// document for one unknown model, and kubectl explain then fails for every kind.
    #[test]
    fn references_resolve_and_definitions_are_v2() {
        let v = build();
        let defs = v["definitions"].as_object().unwrap();
        fn walk(v: &Value, refs: &mut Vec<String>) {
            match v {
                Value::Object(m) => {
                    assert!(!m.contains_key("allOf"), "allOf left in {v}");
                    if let Some(Value::String(r)) = m.get("$ref") {
                        refs.push(r.clone());
                    }
                    m.values().for_each(|x| walk(x, refs));
                }
                Value::Array(a) => a.iter().for_each(|x| walk(x, refs)),
                _ => {}
            }
        }
        let mut refs = vec![];
        walk(&v, &mut refs);
        assert!(!refs.is_empty());
        for r in refs {
            let name = r.strip_prefix("#/definitions/").expect(&r);
            assert!(defs.contains_key(name), "{r}");
        }
        let csr = &defs["io.k8s.api.certificates.v1.CertificateSigningRequest"];
        assert_eq!(
            csr["properties"]["metadata"]["$ref"],
            "#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"
        );
        assert_eq!(
            csr["x-kubernetes-group-version-kind"][0]["kind"],
            "CertificateSigningRequest"
        );
        let om = &defs["io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"]["properties"];
        assert_eq!(om["ownerReferences"]["x-kubernetes-patch-merge-key"], "uid");
        assert_eq!(
            om["ownerReferences"]["x-kubernetes-patch-strategy"],
            "merge"
        );
        assert_eq!(om["finalizers"]["x-kubernetes-patch-strategy"], "merge");
    }

    /// A minimal protobuf reader for the test: the fields of one message.
    fn fields(mut b: &[u8]) -> Vec<(u64, Vec<u8>)> {
        fn varint(b: &mut &[u8]) -> u64 {
            let mut v = 0u64;
            let mut shift = 0;
            loop {
                let byte = b[0];
                *b = &b[1..];
                v |= u64::from(byte & 0x7f) << shift;
                if byte < 0x80 {
                    return v;
                }
                shift += 7;
            }
        }
        let mut out = vec![];
        while !b.is_empty() {
            let key = varint(&mut b);
            match key & 7 {
                0 => out.push((key >> 3, varint(&mut b).to_le_bytes().to_vec())),
                2 => {
                    let n = varint(&mut b) as usize;
                    out.push((key >> 3, b[..n].to_vec()));
                    b = &b[n..];
                }
                w => panic!("wire type {w}"),
            }
        }
        out
    }

    fn field(b: &[u8], n: u64) -> Vec<Vec<u8>> {
        fields(b)
            .into_iter()
            .filter(|(f, _)| *f == n)
            .map(|(_, v)| v)
            .collect()
    }

    fn text(b: &[u8], n: u64) -> String {
        String::from_utf8(field(b, n).pop().unwrap_or_default()).unwrap()
    }

    /// The protobuf carries what the JSON says, at gnostic's field numbers: the CSR PATCH
    /// operation's kind extension and dryRun parameter, and the CSR definition's fields.
    #[test]
    fn protobuf_carries_the_operations_and_definitions() {
        let doc = &document().protobuf;
        assert_eq!(text(doc, 1), "2.0");
        let paths = field(doc, 8).pop().unwrap();
        let item = field(&paths, 2)
            .into_iter()
            .find(|named| {
                text(named, 1) == "/apis/certificates.k8s.io/v1/certificatesigningrequests/{name}"
            })
            .expect("csr item path");
        let patch = field(&field(&item, 2).pop().unwrap(), 8).pop().unwrap();
        let exts: Vec<(String, String)> = field(&patch, 13)
            .iter()
            .map(|named| (text(named, 1), text(&field(named, 2).pop().unwrap(), 2)))
            .collect();
        assert!(exts.contains(&(
            "x-kubernetes-group-version-kind".into(),
            r#"{"group":"certificates.k8s.io","kind":"CertificateSigningRequest","version":"v1"}"#
                .into()
        )));
        let names: Vec<String> = field(&patch, 8)
            .iter()
            .filter_map(|item| {
                let parameter = field(item, 1).pop()?;
                let non_body = field(&parameter, 2).pop()?;
                let query = field(&non_body, 3).pop()?;
                Some(text(&query, 4))
            })
            .collect();
        assert!(names.contains(&"dryRun".to_string()), "{names:?}");
        let defs = field(doc, 9).pop().unwrap();
        let csr = field(&defs, 1)
            .into_iter()
            .find(|named| text(named, 1) == "io.k8s.api.certificates.v1.CertificateSigningRequest")
            .expect("csr definition");
        let schema = field(&csr, 2).pop().unwrap();
        assert_eq!(text(&field(&schema, 22).pop().unwrap(), 1), "object");
        assert_eq!(field(&schema, 19), vec![b"spec".to_vec()]);
        let props: Vec<String> = field(&field(&schema, 25).pop().unwrap(), 1)
            .iter()
            .map(|named| text(named, 1))
            .collect();
        assert_eq!(props, ["apiVersion", "kind", "metadata", "spec", "status"]);
    }
}
