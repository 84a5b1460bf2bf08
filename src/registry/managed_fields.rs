//! `metadata.managedFields` of the writes of every stored kind (a [`Schema`] per kind), as
//! apimachinery's field manager (`util/managedfields/internal`) and structured-merge-diff
//! compute them:
//!
//! - an **update** (create, PUT, JSON/merge/strategic patch) owns, for its manager (the
//!   `fieldManager` option, else the User-Agent up to its first `/`), the fields it added or
//!   changed (`TypedValue.Compare`), merged into that manager's earlier entry; those fields
//!   leave every other entry, and so do removed ones; the entry's time is now;
//! - an **apply** owns exactly the fields of its configuration (`ToFieldSet`) and takes a
//!   changed field from another manager only with `force`, else 409 `Apply failed with …`;
//! - each endpoint's reset fields are never owned (`GetResetFields` in the CSR strategy: the
//!   main resource resets `spec` and `status`, `/status` resets `spec` and
//!   `status.conditions`, `/approval` resets `spec` and `status.certificate`), nor are the
//!   system fields (`StripMeta`: apiVersion, kind, name, namespace, uid, resourceVersion, …);
//! - entries with no field are dropped; entries sort by operation, time, manager, apiVersion,
//!   subresource; a subresource write never takes `managedFields` from its body.
//!
//! The field manager compares typed Go objects, so a condition's `lastUpdateTime` and
//! `lastTransitionTime` (`metav1.Time`, not pointers: `omitempty` never omits them) are
//! present, as null, even when the client left them out: a new condition owns both.
//!
//! API clients' writes (a JSON body) and the in-process controllers' typed writes
//! ([`update_typed`]: the manager `kube-controller-manager`, as the controller-manager's
//! client-go user agent names it) are tracked alike.

use crate::api::gojson::GoType;
pub use crate::api::managed_fields::{to_fields_v1, FieldSet};
use crate::api::managed_fields::{
    FieldPath as Path, FieldsEntry as Entry, ManagedFields, OwnedFields,
};
use crate::api::{Status, Time};
use serde_json::{json, Map, Value};
use std::collections::BTreeSet;
use std::sync::Arc;

const API_VERSION: &str = "certificates.k8s.io/v1";
/// `StripMeta`: metadata fields nobody owns.
const STRIPPED_META: &[&str] = &[
    "name",
    "namespace",
    "creationTimestamp",
    "selfLink",
    "uid",
    "clusterName",
    "generation",
    "managedFields",
    "resourceVersion",
];

fn f(name: &str) -> String {
    format!("f:{name}")
}

/// The reset fields of an endpoint (`""`, `status`, `approval`), as FieldsV1 paths.
fn reset_fields(subresource: &str) -> &'static [&'static [&'static str]] {
    match subresource {
        "status" => &[&["f:spec"], &["f:status", "f:conditions"]],
        "approval" => &[&["f:spec"], &["f:status", "f:certificate"]],
        _ => &[&["f:spec"], &["f:status"]],
    }
}

/// What the field manager knows of a kind: the apiVersion of its entries, its Go type (the
/// list types of its OpenAPI schema: see [`shape`]; lists without a list type are atomic,
/// `+structType=atomic` structs [`GoType::Opaque`] leaves), the reset fields of each endpoint and
/// its zero object (what a create compares against).
pub struct Schema {
    pub api_version: &'static str,
    pub root: GoType,
    pub reset: fn(&str) -> &'static [&'static [&'static str]],
    pub zero: fn() -> Value,
}

/// CertificateSigningRequests.
pub static CSR: Schema = Schema {
    api_version: API_VERSION,
    root: CSR_TYPE,
    reset: reset_fields,
    zero: empty_csr,
};

/// The other kinds csrsim stores (`api::resources`), from `k8s.io/api` `core/v1` and
/// `rbac/v1` `types.go`.
mod kinds {
    use crate::api::gojson::{GoStruct, GoType, OBJECT_META, STRING};

    const META: GoType = GoType::Struct(&OBJECT_META);
    const STRING_MAP: GoType = GoType::Map("map[string]string", &STRING);
    /// Lists without a list type are atomic ([`super::shape`] makes them leaves); their
    /// items are not looked into.
    const RULES: GoType = GoType::List("[]v1.PolicyRule", &GoType::Opaque);

    /// `v1.Secret`: `data` and `stringData` are granular maps.
    pub static SECRET: GoStruct = GoStruct {
        name: "Secret",
        go: "v1.Secret",
        fields: &[
            ("metadata", META),
            ("immutable", GoType::Bool),
            ("data", GoType::Map("map[string][]byte", &GoType::Bytes)),
            ("stringData", STRING_MAP),
            ("type", GoType::Str("v1.SecretType")),
        ],
    };
    static NAMESPACE_CONDITION: GoStruct = GoStruct {
        name: "NamespaceCondition",
        go: "v1.NamespaceCondition",
        fields: &[
            ("type", STRING),
            ("status", STRING),
            ("lastTransitionTime", GoType::Opaque),
            ("reason", STRING),
            ("message", STRING),
        ],
    };
    /// `v1.Namespace`: `spec.finalizers` is `+listType=atomic`; `status.conditions` a map
    /// keyed by `type`.
    pub static NAMESPACE: GoStruct = GoStruct {
        name: "Namespace",
        go: "v1.Namespace",
        fields: &[
            ("metadata", META),
            (
                "spec",
                GoType::Struct(&GoStruct {
                    name: "NamespaceSpec",
                    go: "v1.NamespaceSpec",
                    fields: &[(
                        "finalizers",
                        GoType::List("[]v1.FinalizerName", &GoType::Str("v1.FinalizerName")),
                    )],
                }),
            ),
            (
                "status",
                GoType::Struct(&GoStruct {
                    name: "NamespaceStatus",
                    go: "v1.NamespaceStatus",
                    fields: &[
                        ("phase", STRING),
                        (
                            "conditions",
                            GoType::List(
                                "[]v1.NamespaceCondition",
                                &GoType::Struct(&NAMESPACE_CONDITION),
                            ),
                        ),
                    ],
                }),
            ),
        ],
    };
    /// `Role`: `rules` has no list type (atomic).
    pub static ROLE: GoStruct = GoStruct {
        name: "Role",
        go: "v1.Role",
        fields: &[("metadata", META), ("rules", RULES)],
    };
    /// `ClusterRole`: `rules` and `aggregationRule.clusterRoleSelectors` are atomic.
    pub static CLUSTER_ROLE: GoStruct = GoStruct {
        name: "ClusterRole",
        go: "v1.ClusterRole",
        fields: &[
            ("metadata", META),
            ("rules", RULES),
            (
                "aggregationRule",
                GoType::Struct(&GoStruct {
                    name: "AggregationRule",
                    go: "v1.AggregationRule",
                    fields: &[(
                        "clusterRoleSelectors",
                        GoType::List("[]v1.LabelSelector", &GoType::Opaque),
                    )],
                }),
            ),
        ],
    };
    /// `RoleBinding`, `ClusterRoleBinding`: `subjects` atomic, `roleRef`
    /// `+structType=atomic`.
    pub static BINDING: GoStruct = GoStruct {
        name: "RoleBinding",
        go: "v1.RoleBinding",
        fields: &[
            ("metadata", META),
            ("subjects", GoType::List("[]v1.Subject", &GoType::Opaque)),
            ("roleRef", GoType::Opaque),
        ],
    };
}

fn no_reset(_: &str) -> &'static [&'static [&'static str]] {
    &[]
}

/// The namespace strategies' reset fields: the main resource resets `status` and
/// `spec.finalizers`, `/status` resets `spec`, `/finalize` resets `status`.
fn namespace_reset(subresource: &str) -> &'static [&'static [&'static str]] {
    match subresource {
        "status" => &[&["f:spec"]],
        "finalize" => &[&["f:status"]],
        _ => &[&["f:status"], &["f:spec", "f:finalizers"]],
    }
}

fn zero_object() -> Value {
    json!({"metadata": {"creationTimestamp": null}})
}

fn zero_namespace() -> Value {
    json!({"metadata": {"creationTimestamp": null}, "spec": {}, "status": {}})
}

static SECRET: Schema = Schema {
    api_version: "v1",
    root: GoType::Struct(&kinds::SECRET),
    reset: no_reset,
    zero: zero_object,
};
static NAMESPACE: Schema = Schema {
    api_version: "v1",
    root: GoType::Struct(&kinds::NAMESPACE),
    reset: namespace_reset,
    zero: zero_namespace,
};
static ROLE: Schema = Schema {
    api_version: "rbac.authorization.k8s.io/v1",
    root: GoType::Struct(&kinds::ROLE),
    reset: no_reset,
    zero: zero_object,
};
static CLUSTER_ROLE: Schema = Schema {
    api_version: "rbac.authorization.k8s.io/v1",
    root: GoType::Struct(&kinds::CLUSTER_ROLE),
    reset: no_reset,
    zero: zero_object,
};
static BINDING: Schema = Schema {
    api_version: "rbac.authorization.k8s.io/v1",
    root: GoType::Struct(&kinds::BINDING),
    reset: no_reset,
    zero: zero_object,
};

/// The schema of a stored resource (by its plural name), if it has one.
pub fn schema(resource: &str) -> Option<&'static Schema> {
    match resource {
        "certificatesigningrequests" => Some(&CSR),
        "secrets" => Some(&SECRET),
        "namespaces" => Some(&NAMESPACE),
        "roles" => Some(&ROLE),
        "clusterroles" => Some(&CLUSTER_ROLE),
        "rolebindings" | "clusterrolebindings" => Some(&BINDING),
        _ => None,
    }
}

/// `RecursiveDifference`: drop every path at or under one of `ignored`.
fn without(mut set: FieldSet, ignored: &[&[&str]]) -> FieldSet {
    let under = |p: &Path, i: &[&str]| p.len() >= i.len() && p.iter().zip(i).all(|(a, b)| a == b);
    set.retain(|p| !ignored.iter().any(|i| under(p, i)));
    set
}

/// How a CSR field is shaped for structured-merge-diff.
#[derive(Clone, Copy)]
enum Shape<'a> {
    Leaf,
    Struct(&'a crate::api::gojson::GoStruct),
    /// A granular map (labels, annotations, extra): elements are owned one by one.
    Map(&'a GoType),
    /// `+listType=map` keyed by one field: `type` (conditions), `uid` (ownerReferences).
    KeyedList(&'a GoType, &'static str),
    /// `+listType=set` of strings (finalizers).
    SetList,
}

fn shape<'a>(ty: &'a GoType, path: &Path) -> Shape<'a> {
    match ty {
        GoType::Struct(st) => Shape::Struct(st),
        GoType::Map(_, elem) => Shape::Map(elem),
        GoType::List(go, elem) => match *go {
            "[]v1.CertificateSigningRequestCondition" | "[]v1.NamespaceCondition" => {
                Shape::KeyedList(elem, "type")
            }
            // `metav1.ObjectMeta`: `+listType=map`, `+listMapKey=uid`.
            "[]v1.OwnerReference" => Shape::KeyedList(elem, "uid"),
            // `metadata.finalizers`: `+listType=set` (a namespace's `spec.finalizers` is
            // atomic, as every list without a list type).
            _ if path.len() == 2 && path[0] == "f:metadata" && path[1] == "f:finalizers" => {
                Shape::SetList
            }
            _ => Shape::Leaf,
        },
        _ => Shape::Leaf,
    }
}

fn present(v: Option<&Value>) -> Option<&Value> {
    v.filter(|x| !x.is_null())
}

/// A zero `metav1.Time` field of a present Go struct: a null value the field manager still
/// sees (a leaf that is there, equal only to another zero time).
static ZERO_TIME: Value = Value::Bool(false);

/// `v`, or [`ZERO_TIME`] when `name` is a `metav1.Time` field of a condition and `parent`
/// (the condition) is present.
fn go_field<'a>(
    st: &crate::api::gojson::GoStruct,
    parent: Option<&'a Value>,
    name: &str,
) -> Option<&'a Value> {
    let v = parent.and_then(|x| x.get(name));
    let time_field =
        st.name.ends_with("Condition") && matches!(name, "lastUpdateTime" | "lastTransitionTime");
    if time_field && parent.is_some() && present(v).is_none() {
        return Some(&ZERO_TIME);
    }
    v
}

/// The struct fields of `st` to walk at `path` (system fields stripped).
fn fields_of<'a>(
    st: &'a crate::api::gojson::GoStruct,
    path: &Path,
) -> impl Iterator<Item = &'a (&'static str, GoType)> {
    let meta = path.len() == 1 && path[0] == "f:metadata";
    st.fields
        .iter()
        .filter(move |(n, _)| !(meta && STRIPPED_META.contains(n)))
}

/// The elements of a list keyed by `key` (`k:{"type":"Approved"}`).
fn keyed<'v>(v: Option<&'v Value>, key: &str) -> Vec<(String, &'v Value)> {
    let mut out = Vec::new();
    for x in present(v).and_then(|a| a.as_array()).into_iter().flatten() {
        if let Some(t) = x.get(key).and_then(|t| t.as_str()) {
            out.push((list_key(key, t), x));
        }
    }
    out
}

/// The FieldsV1 key of a condition: `k:{"type":"Approved"}`.
fn condition_key(t: &str) -> String {
    list_key("type", t)
}

/// The FieldsV1 key of a list element: `k:{"<key>":"<value>"}`.
fn list_key(key: &str, t: &str) -> String {
    let mut k = String::with_capacity(t.len() + key.len() + 8);
    k.push_str("k:{\"");
    k.push_str(key);
    k.push_str("\":");
    if t.bytes().any(|b| b == b'"' || b == b'\\' || b < 0x20) {
        k.push_str(&Value::from(t).to_string());
    } else {
        k.push('"');
        k.push_str(t);
        k.push('"');
    }
    k.push('}');
    k
}

fn set_items(v: Option<&Value>) -> Vec<(String, &Value)> {
    present(v)
        .and_then(|a| a.as_array())
        .into_iter()
        .flatten()
        .map(|x| (format!("v:{x}"), x))
        .collect()
}

fn find<'a>(items: &[(String, &'a Value)], key: &str) -> Option<&'a Value> {
    items.iter().find(|(k, _)| k == key).map(|(_, v)| *v)
}

/// `TypedValue.Compare`: fields added, modified and removed from `lhs` to `rhs`.
#[derive(Default)]
struct Comparison {
    added: FieldSet,
    modified: FieldSet,
    removed: FieldSet,
}

fn compare(
    lhs: Option<&Value>,
    rhs: Option<&Value>,
    ty: &GoType,
    path: &mut Path,
    c: &mut Comparison,
) {
    let (l, r) = (present(lhs), present(rhs));
    if l.is_none() && r.is_none() {
        return;
    }
    let leaf = |c: &mut Comparison, path: &Path| match (l, r) {
        (None, Some(_)) => {
            c.added.insert(path.clone());
        }
        (Some(_), None) => {
            c.removed.insert(path.clone());
        }
        (Some(a), Some(b)) if a != b => {
            c.modified.insert(path.clone());
        }
        _ => {}
    };
    let empty = |v: Option<&Value>| match v {
        None => true,
        Some(Value::Object(m)) => m.is_empty(),
        Some(Value::Array(a)) => a.is_empty(),
        _ => false,
    };
    let sh = shape(ty, path);
    if matches!(sh, Shape::Leaf) || (empty(l) && empty(r)) {
        leaf(c, path);
        return;
    }
    let mut children: Vec<(String, Option<&Value>, Option<&Value>, &GoType)> = Vec::new();
    match sh {
        Shape::Struct(st) => {
            for (n, t) in fields_of(st, path) {
                let (cl, cr) = (go_field(st, l, n), go_field(st, r, n));
                // absent on both sides: nothing to compare (and no key to build)
                if present(cl).is_some() || present(cr).is_some() {
                    children.push((f(n), cl, cr, t));
                }
            }
        }
        Shape::Map(elem) => {
            let mut keys: BTreeSet<&String> = BTreeSet::new();
            for v in [l, r].into_iter().flatten() {
                keys.extend(v.as_object().into_iter().flat_map(|m| m.keys()));
            }
            for k in keys {
                children.push((
                    f(k),
                    l.and_then(|x| x.get(k)),
                    r.and_then(|x| x.get(k)),
                    elem,
                ));
            }
        }
        Shape::KeyedList(elem, key) => {
            let (lk, rk) = (keyed(l, key), keyed(r, key));
            let keys: BTreeSet<String> =
                lk.iter().chain(rk.iter()).map(|(k, _)| k.clone()).collect();
            for k in keys {
                children.push((k.clone(), find(&lk, &k), find(&rk, &k), elem));
            }
        }
        Shape::SetList => {
            let (li, ri) = (set_items(l), set_items(r));
            let keys: BTreeSet<String> =
                li.iter().chain(ri.iter()).map(|(k, _)| k.clone()).collect();
            for k in keys {
                children.push((k.clone(), find(&li, &k), find(&ri, &k), &GoType::Opaque));
            }
        }
        Shape::Leaf => unreachable!(),
    }
    for (k, cl, cr, t) in children {
        path.push(k);
        compare(cl, cr, t, path, c);
        path.pop();
    }
    // A container added or removed as a whole is itself in the set (FieldsV1 `.`).
    if l.is_none() {
        c.added.insert(path.clone());
    } else if r.is_none() {
        c.removed.insert(path.clone());
    }
}

/// `TypedValue.ToFieldSet` of an applied configuration.
fn to_field_set(v: &Value, ty: &GoType, path: &mut Path, out: &mut FieldSet) {
    match shape(ty, path) {
        Shape::Leaf => {
            out.insert(path.clone());
        }
        Shape::Struct(st) => {
            for (n, t) in fields_of(st, path) {
                if let Some(x) = v.get(*n) {
                    path.push(f(n));
                    to_field_set(x, t, path, out);
                    path.pop();
                }
            }
        }
        Shape::Map(elem) => {
            for (k, x) in v.as_object().into_iter().flatten() {
                path.push(f(k));
                to_field_set(x, elem, path, out);
                out.insert(path.clone());
                path.pop();
            }
        }
        Shape::KeyedList(elem, key) => {
            for (k, x) in keyed(Some(v), key) {
                path.push(k);
                to_field_set(x, elem, path, out);
                out.insert(path.clone());
                path.pop();
            }
        }
        Shape::SetList => {
            for (k, _) in set_items(Some(v)) {
                path.push(k);
                out.insert(path.clone());
                path.pop();
            }
        }
    }
}

const CSR_TYPE: GoType = GoType::Struct(&crate::api::csr::go_types::CSR);

fn diff(schema: &Schema, live: &Value, new: &Value) -> Comparison {
    let mut c = Comparison::default();
    compare(Some(live), Some(new), &schema.root, &mut Vec::new(), &mut c);
    c
}

/// The set a FieldsV1 value describes (the inverse of [`to_fields_v1`]).
fn from_fields_v1(v: &Value, path: &mut Path, out: &mut FieldSet) {
    for (k, x) in v.as_object().into_iter().flatten() {
        if k == "." {
            out.insert(path.clone());
            continue;
        }
        // `Set.FromJSON` skips a path element of a type it does not know (`x:…`) with its
        // value (entries that do not decode at all never get here).
        if !matches!(k.as_bytes().first(), Some(b'f' | b'k' | b'v' | b'i')) {
            continue;
        }
        path.push(k.clone());
        if x.as_object().is_none_or(|m| m.is_empty()) {
            out.insert(path.clone());
        } else {
            from_fields_v1(x, path, out);
        }
        path.pop();
    }
}

/// `BuildManagerIdentifier`: an applier's identity has no apiVersion.
fn same_as(schema: &Schema, e: &Entry, manager: &str, operation: &str, subresource: &str) -> bool {
    e.manager == manager
        && e.operation == operation
        && e.subresource == subresource
        && (operation == "Apply" || e.api_version == schema.api_version)
}

fn new_entry(
    schema: &Schema,
    manager: &str,
    operation: &str,
    time: Option<Value>,
    subresource: &str,
    set: FieldSet,
) -> Entry {
    Entry {
        manager: manager.to_string(),
        operation: operation.into(),
        api_version: schema.api_version.into(),
        time,
        subresource: subresource.to_string(),
        fields: Arc::new(OwnedFields::new(set)),
    }
}

fn decode(entries: Option<&[Value]>) -> Vec<Entry> {
    let mut out = Vec::new();
    for e in entries.into_iter().flatten() {
        let s = |k: &str| e.get(k).and_then(|x| x.as_str()).unwrap_or("").to_string();
        let mut set = FieldSet::new();
        if let Some(fv) = e.get("fieldsV1") {
            from_fields_v1(fv, &mut Vec::new(), &mut set);
        }
        out.push(Entry {
            manager: s("manager"),
            operation: s("operation"),
            api_version: s("apiVersion"),
            time: e.get("time").filter(|t| !t.is_null()).cloned(),
            subresource: s("subresource"),
            fields: Arc::new(OwnedFields::new(set)),
        });
    }
    out
}

/// Entries sorted as `sortEncodedManagedFields`, empty ones dropped.
fn normalize(entries: Vec<Entry>) -> Vec<Entry> {
    let secs = |e: &Entry| {
        e.time
            .as_ref()
            .and_then(Value::as_str)
            .and_then(|t| Time::parse_rfc3339(t).ok())
            .map_or(0, |t| t.0)
    };
    let mut keyed: Vec<(i64, Entry)> = entries
        .into_iter()
        .filter(|e| !e.set().is_empty())
        .map(|e| (secs(&e), e))
        .collect();
    keyed.sort_by(|(sa, a), (sb, b)| {
        (&a.operation, sa, &a.manager, &a.api_version, &a.subresource).cmp(&(
            &b.operation,
            sb,
            &b.manager,
            &b.api_version,
            &b.subresource,
        ))
    });
    keyed
        .into_iter()
        .map(|(_, mut e)| {
            e.fields = crate::api::managed_fields::shared_fields(e.fields);
            e
        })
        .collect()
}

/// [`normalize`]d entries as JSON.
fn encode(entries: Vec<Entry>) -> Value {
    serde_json::to_value(normalize(entries)).unwrap_or(Value::Null)
}

/// The manager of a request: its `fieldManager`, else its User-Agent up to the first `/`
/// (printable characters, at most 128 bytes: `prefixFromUserAgent`).
pub fn manager_name(field_manager: &str, user_agent: &str) -> String {
    if !field_manager.is_empty() {
        return field_manager.to_string();
    }
    let prefix = user_agent.split('/').next().unwrap_or("");
    // The usual case: printable ASCII that fits.
    if prefix.len() <= 128 && prefix.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        return prefix.to_string();
    }
    let mut out = String::new();
    for c in prefix.chars() {
        if c.is_control() {
            continue;
        }
        if out.len() + c.len_utf8() > 128 {
            break;
        }
        out.push(c);
    }
    out
}

/// The empty object a create compares against (Go's zero CSR as JSON).
pub fn empty_csr() -> Value {
    json!({"metadata": {"creationTimestamp": null}, "spec": {"request": null}, "status": {}})
}

/// An update by `manager` on `subresource` from `live` to `new` (the request object, before
/// the strategy): the new `managedFields`. The base entries are `new`'s own on the main
/// resource when it has any (a client may set them), else `live`'s.
pub fn update(live: &Value, new: &Value, manager: &str, subresource: &str, now: Time) -> Value {
    update_for(&CSR, live, new, manager, subresource, now)
}

/// [`update`] of an object of `schema`'s kind.
pub fn update_for(
    schema: &Schema,
    live: &Value,
    new: &Value,
    manager: &str,
    subresource: &str,
    now: Time,
) -> Value {
    encode(update_json(schema, live, new, manager, subresource, now))
}

/// [`update`], decoded (what an object holds; the same JSON).
pub fn update_decoded(
    live: &Value,
    new: &Value,
    manager: &str,
    subresource: &str,
    now: Time,
) -> ManagedFields {
    ManagedFields::from_entries(normalize(update_json(
        &CSR,
        live,
        new,
        manager,
        subresource,
        now,
    )))
}

/// The entries of a create by `manager` of `body` (an update from [`empty_csr`]), decoded.
/// Only the body's metadata is walked: `spec` and `status` are reset fields of the main
/// resource, and nothing can be removed from the empty object there, so all they could add is
/// filtered out again. They stay in the view as empty objects when the body has them, so
/// that a missing one still counts as removed, as in the whole comparison.
pub fn create_decoded(body: &Value, manager: &str, now: Time) -> ManagedFields {
    let mut view = Map::new();
    for (k, v) in body.as_object().into_iter().flatten() {
        match k.as_str() {
            "metadata" => {
                view.insert(k.clone(), v.clone());
            }
            "spec" | "status" if !v.is_null() => {
                view.insert(k.clone(), json!({}));
            }
            _ => {}
        }
    }
    static EMPTY: std::sync::LazyLock<Value> = std::sync::LazyLock::new(empty_csr);
    update_decoded(&EMPTY, &Value::Object(view), manager, "", now)
}

fn update_json(
    schema: &Schema,
    live: &Value,
    new: &Value,
    manager: &str,
    subresource: &str,
    now: Time,
) -> Vec<Entry> {
    let sent = new["metadata"]["managedFields"]
        .as_array()
        .map(Vec::as_slice);
    let entries = match base(sent, subresource) {
        Base::Reset => Vec::new(),
        Base::Sent => decode(sent),
        Base::Live => decode(
            live["metadata"]["managedFields"]
                .as_array()
                .map(Vec::as_slice),
        ),
    };
    let c = diff(schema, live, new);
    update_entries(schema, entries, &c, manager, subresource, now).0
}

/// Where an update's entries come from.
enum Base {
    /// None: the client cleared them (`[]` or `[{}]`: `isResetManagedFields`).
    Reset,
    /// The request object's own (a client may set them on the main resource).
    Sent,
    /// The live object's.
    Live,
}

fn base(sent: Option<&[Value]>, subresource: &str) -> Base {
    let main = subresource.is_empty();
    match sent {
        Some(a) if main && (a.is_empty() || (a.len() == 1 && a[0] == json!({}))) => Base::Reset,
        Some(a) if main && !a.is_empty() => Base::Sent,
        _ => Base::Live,
    }
}

/// `entries` after an update by `manager` with comparison `c`: what it changed or removed is
/// disowned by the others, what it changed is its own. The flag says whether any entry
/// changed.
fn update_entries(
    schema: &Schema,
    mut entries: Vec<Entry>,
    c: &Comparison,
    manager: &str,
    subresource: &str,
    now: Time,
) -> (Vec<Entry>, bool) {
    let ignored = (schema.reset)(subresource);
    let changed: FieldSet = without(c.added.union(&c.modified).cloned().collect(), ignored);
    // `FilterFields` filters the removed fields too: removing a reset field disowns nobody.
    let removed = without(c.removed.clone(), ignored);
    let mut touched = disown(entries.iter_mut(), &changed, &removed);
    if !changed.is_empty() {
        touched = true;
        let now_v = serde_json::to_value(now).unwrap_or(Value::Null);
        match entries
            .iter_mut()
            .find(|e| same_as(schema, e, manager, "Update", subresource))
        {
            Some(e) => {
                e.update_set(|s| s.extend(changed));
                e.time = Some(now_v);
            }
            None => entries.push(new_entry(
                schema,
                manager,
                "Update",
                Some(now_v),
                subresource,
                changed,
            )),
        }
    }
    (entries, touched)
}

/// [`update`] for a typed write (the in-process controllers' `/approval` and `/status`
/// updates): the same entries, kept decoded. It compares only what can differ in the ways
/// that matter: `spec` is a reset field of every endpoint; metadata and conditions are
/// compared only when they differ; the certificate (a leaf) only by equality, never
/// serialized; `managedFields` are stripped from the comparison anyway (`StripMeta`).
pub fn update_typed(
    live: &crate::api::csr::CertificateSigningRequest,
    new: &crate::api::csr::CertificateSigningRequest,
    manager: &str,
    subresource: &str,
    now: Time,
) -> ManagedFields {
    // An empty list is absent in JSON (`skip_serializing_if`), as `update` would see it;
    // decoded entries are never a reset (`[{}]`).
    let sent = match &new.metadata.managed_fields {
        ManagedFields::Empty => Base::Live,
        ManagedFields::Json(v) => base(Some(v), subresource),
        ManagedFields::Entries(_) if subresource.is_empty() => Base::Sent,
        ManagedFields::Entries(_) => Base::Live,
    };
    let (from, entries) = match sent {
        Base::Reset => (None, Vec::new()),
        Base::Sent => (
            Some(&new.metadata.managed_fields),
            entries_of(&new.metadata.managed_fields),
        ),
        Base::Live => (
            Some(&live.metadata.managed_fields),
            entries_of(&live.metadata.managed_fields),
        ),
    };
    let c = diff_typed(live, new);
    let (entries, touched) = update_entries(&CSR, entries, &c, manager, subresource, now);
    match from {
        // Decoded entries are already normalized: unchanged, they are the same list.
        Some(mf @ (ManagedFields::Entries(_) | ManagedFields::Empty)) if !touched => mf.clone(),
        _ => ManagedFields::from_entries(normalize(entries)),
    }
}

/// The entries of `mf`, decoded.
fn entries_of(mf: &ManagedFields) -> Vec<Entry> {
    match mf {
        ManagedFields::Empty => Vec::new(),
        ManagedFields::Json(v) => decode(Some(v)),
        ManagedFields::Entries(v) => v.to_vec(),
    }
}

/// [`diff`] of two typed objects' metadata and status (`spec` is a reset field of every
/// endpoint): metadata through JSON only when it differs, the status typed, as `compare` walks
/// it (`typed_updates_equal_json_updates` checks that they agree).
fn diff_typed(
    live: &crate::api::csr::CertificateSigningRequest,
    new: &crate::api::csr::CertificateSigningRequest,
) -> Comparison {
    let mut c = Comparison::default();
    if !meta_equal_but_managed_fields(&live.metadata, &new.metadata) {
        // `StripMeta` drops managedFields from the comparison anyway (this path is rare: the
        // controllers seldom change metadata).
        let view = |m: &crate::api::ObjectMeta| {
            let mut meta = serde_json::to_value(m).unwrap_or(Value::Null);
            if let Some(o) = meta.as_object_mut() {
                o.shift_remove("managedFields");
            }
            json!({ "metadata": meta })
        };
        let (l, n) = (view(&live.metadata), view(&new.metadata));
        compare(Some(&l), Some(&n), &CSR_TYPE, &mut Vec::new(), &mut c);
    }
    let (a, b) = (&live.status, &new.status);
    if a.conditions != b.conditions {
        compare_conditions(&a.conditions, &b.conditions, &mut c);
    }
    let path = || vec!["f:status".to_string(), "f:certificate".to_string()];
    match (a.certificate.is_empty(), b.certificate.is_empty()) {
        (true, false) => {
            c.added.insert(path());
        }
        (false, true) => {
            c.removed.insert(path());
        }
        (false, false) if a.certificate != b.certificate => {
            c.modified.insert(path());
        }
        _ => {}
    }
    c
}

/// A condition's field as its JSON shows it to `compare`: `reason` and `message` are omitted
/// when empty; the two `metav1.Time` fields are always there (a zero time is `None`).
#[derive(PartialEq)]
enum ConditionField<'a> {
    Str(&'a str),
    Time(Option<crate::api::Time>),
}

fn condition_field<'a>(x: &'a crate::api::CsrCondition, name: &str) -> Option<ConditionField<'a>> {
    let text = |s: &'a String| (!s.is_empty()).then_some(ConditionField::Str(s));
    match name {
        "type" => Some(ConditionField::Str(&x.type_)),
        "status" => Some(ConditionField::Str(&x.status)),
        "reason" => text(&x.reason),
        "message" => text(&x.message),
        "lastUpdateTime" => Some(ConditionField::Time(x.last_update_time)),
        "lastTransitionTime" => Some(ConditionField::Time(x.last_transition_time)),
        _ => None,
    }
}

/// `compare` of `status.conditions` (a list keyed by `type`; the first element of a type
/// stands for it), on the typed conditions.
fn compare_conditions(
    l: &[crate::api::CsrCondition],
    r: &[crate::api::CsrCondition],
    c: &mut Comparison,
) {
    if l.is_empty() && r.is_empty() {
        return;
    }
    let mut path: Path = vec!["f:status".into(), "f:conditions".into()];
    let keyed = |v: &'_ [crate::api::CsrCondition]| -> Vec<(String, usize)> {
        v.iter()
            .enumerate()
            .map(|(i, x)| (condition_key(&x.type_), i))
            .collect()
    };
    let (lk, rk) = (keyed(l), keyed(r));
    let find = |ks: &[(String, usize)], k: &str| ks.iter().find(|(x, _)| x == k).map(|(_, i)| *i);
    let keys: BTreeSet<&String> = lk.iter().chain(rk.iter()).map(|(k, _)| k).collect();
    let GoType::Struct(condition) = condition_type() else {
        unreachable!("conditions are structs")
    };
    for k in keys {
        let (a, b) = (find(&lk, k).map(|i| &l[i]), find(&rk, k).map(|i| &r[i]));
        if let (Some(x), Some(y)) = (a, b) {
            if x == y {
                // Equal conditions: no field differs (most writes change one condition at most).
                continue;
            }
        }
        path.push(k.clone());
        for (name, _) in condition.fields {
            let (fa, fb) = (
                a.and_then(|x| condition_field(x, name)),
                b.and_then(|x| condition_field(x, name)),
            );
            let set = match (&fa, &fb) {
                (None, Some(_)) => Some(&mut c.added),
                (Some(_), None) => Some(&mut c.removed),
                (Some(x), Some(y)) if x != y => Some(&mut c.modified),
                _ => None,
            };
            if let Some(set) = set {
                path.push(f(name));
                set.insert(path.clone());
                path.pop();
            }
        }
        if a.is_none() {
            c.added.insert(path.clone());
        } else if b.is_none() {
            c.removed.insert(path.clone());
        }
        path.pop();
    }
    if l.is_empty() {
        c.added.insert(path);
    } else if r.is_empty() {
        c.removed.insert(path);
    }
}

/// The Go type of one condition.
fn condition_type() -> &'static GoType {
    let GoType::Struct(csr) = &CSR_TYPE else {
        unreachable!()
    };
    let status = csr
        .fields
        .iter()
        .find(|(n, _)| *n == "status")
        .map(|(_, t)| t);
    let Some(GoType::Struct(status)) = status else {
        unreachable!("status is a struct")
    };
    match status.fields.iter().find(|(n, _)| *n == "conditions") {
        Some((_, GoType::List(_, elem))) => elem,
        _ => unreachable!("conditions are a list"),
    }
}

/// Whether `a` and `b` are equal but for `managedFields`.
fn meta_equal_but_managed_fields(a: &crate::api::ObjectMeta, b: &crate::api::ObjectMeta) -> bool {
    let crate::api::ObjectMeta {
        name,
        generate_name,
        namespace,
        uid,
        resource_version,
        generation,
        creation_timestamp,
        deletion_timestamp,
        deletion_grace_period_seconds,
        labels,
        annotations,
        owner_references,
        finalizers,
        managed_fields: _,
    } = a;
    *name == b.name
        && *generate_name == b.generate_name
        && *namespace == b.namespace
        && *uid == b.uid
        && *resource_version == b.resource_version
        && *generation == b.generation
        && *creation_timestamp == b.creation_timestamp
        && *deletion_timestamp == b.deletion_timestamp
        && *deletion_grace_period_seconds == b.deletion_grace_period_seconds
        && *labels == b.labels
        && *annotations == b.annotations
        && *owner_references == b.owner_references
        && *finalizers == b.finalizers
}

/// The fields a write changed or removed are no longer owned by these entries. Whether any
/// entry lost a field.
fn disown<'a>(
    entries: impl Iterator<Item = &'a mut Entry>,
    changed: &FieldSet,
    removed: &FieldSet,
) -> bool {
    let gone = |p: &Path| changed.contains(p) || removed.contains(p);
    let mut any = false;
    for e in entries {
        // Only an entry that loses a field is copied (its set may be shared).
        if e.set().iter().any(gone) {
            e.update_set(|s| s.retain(|p| !gone(p)));
            any = true;
        }
    }
    any
}

/// A server-side apply by `manager` of `config` over `live`, `merged` being the result: the
/// new `managedFields`, or the 409 of a field another manager set to another value.
pub fn apply(
    live: &Value,
    config: &Value,
    merged: &Value,
    manager: &str,
    subresource: &str,
    force: bool,
    now: Time,
) -> Result<Value, Status> {
    let mut merged = merged.clone();
    apply_for(
        &CSR,
        live,
        config,
        &mut merged,
        manager,
        subresource,
        force,
        now,
    )
}

/// [`apply`] for an object of `schema`'s kind; `merged` (the configuration merged into the
/// live object, [`merge_applied`]) loses the fields the manager applied last time, no longer
/// applies and nobody else owns (`structuredMergeManager`'s prune).
#[allow(clippy::too_many_arguments)]
pub fn apply_for(
    schema: &Schema,
    live: &Value,
    config: &Value,
    merged: &mut Value,
    manager: &str,
    subresource: &str,
    force: bool,
    now: Time,
) -> Result<Value, Status> {
    let mut entries = decode(
        live["metadata"]
            .get("managedFields")
            .and_then(Value::as_array)
            .map(Vec::as_slice),
    );
    let ignored = (schema.reset)(subresource);
    let mut owned = FieldSet::new();
    to_field_set(config, &schema.root, &mut Vec::new(), &mut owned);
    let owned = without(owned, ignored);
    let c = diff(schema, live, merged);
    let changed: FieldSet = without(c.added.union(&c.modified).cloned().collect(), ignored);
    let me = |e: &Entry| same_as(schema, e, manager, "Apply", subresource);
    let mut conflicts: Vec<(String, Path)> = Vec::new();
    for e in entries.iter().filter(|e| !me(e)) {
        for p in e.set().intersection(&changed) {
            conflicts.push((print_manager(e), p.clone()));
        }
    }
    if !conflicts.is_empty() && !force {
        // `lastAppliedManager`: kubectl's own server-side apply may take over, without
        // `--force-conflicts`, the fields its client-side apply set last (the annotation) that
        // still hold the value it gave them.
        let allowed = if manager == KUBECTL_MANAGER {
            allowed_from_last_applied(schema, live)
        } else {
            None
        };
        let Some(allowed) = allowed else {
            return Err(conflict_status(conflicts));
        };
        conflicts.retain(|(_, p)| !allowed.contains(p));
        if !conflicts.is_empty() {
            return Err(conflict_status(conflicts));
        }
    }
    disown(
        entries.iter_mut().filter(|e| !me(e)),
        &changed,
        &FieldSet::new(),
    );
    // Fields applied last time and no longer: removed unless another manager owns them (or
    // something under them).
    let last: FieldSet = entries
        .iter()
        .find(|e| me(e))
        .map(|e| e.set().clone())
        .unwrap_or_default();
    let others: Vec<&Path> = entries
        .iter()
        .filter(|e| !me(e))
        .flat_map(|e| e.set().iter())
        .collect();
    // A map or list the manager owned as a whole (a `.` member, e.g. sets kubectl's
    // client-side to server-side upgrade moved over) stays while anything under it is still
    // applied: the prune removes fields, then adds back what any manager, the applier's new
    // configuration included, owns (`addBackOwnedItems`).
    let mut gone: Vec<&Path> = last
        .iter()
        .filter(|p| !owned.iter().any(|o| o.starts_with(p)))
        .filter(|p| !others.iter().any(|o| o.starts_with(p)))
        .collect();
    // Shallowest first: a list element goes whole (its fields then match nothing).
    gone.sort_by_key(|p| p.len());
    for p in gone {
        remove_path(merged, p);
    }
    let c = diff(schema, live, merged);
    disown(
        entries.iter_mut().filter(|e| !me(e)),
        &FieldSet::new(),
        &without(c.removed, ignored),
    );
    let time = (live != &*merged).then(|| serde_json::to_value(now).unwrap_or(Value::Null));
    if manager == KUBECTL_MANAGER {
        update_last_applied(config, merged);
    }
    match entries.iter_mut().find(|e| me(e)) {
        Some(e) => {
            e.update_set(|s| *s = owned);
            e.api_version = schema.api_version.into();
            if time.is_some() {
                e.time = time;
            }
        }
        None => entries.push(new_entry(
            schema,
            manager,
            "Apply",
            time,
            subresource,
            owned,
        )),
    }
    Ok(encode(entries))
}

/// The annotation of kubectl's client-side apply (`kubectl.kubernetes.io/last-applied-configuration`).
pub const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";
/// The one field manager whose applies keep the client-side apply annotation in step
/// (`lastappliedmanager.go`, `lastappliedupdater.go`: "only from kubectl server-side-apply").
const KUBECTL_MANAGER: &str = "kubectl";

/// `lastAppliedManager.allowedConflictsFromLastApplied`: the fields of the live object's
/// last-applied configuration that still have the value it gave them; `None` when there is no
/// usable annotation (absent or empty, not a JSON object with a kind, or of another
/// apiVersion), and the conflicts then stand.
fn allowed_from_last_applied(schema: &Schema, live: &Value) -> Option<FieldSet> {
    let text = live["metadata"]["annotations"][LAST_APPLIED].as_str()?;
    if text.is_empty() {
        return None;
    }
    let last: Value = serde_json::from_str(text).ok()?;
    if !last.is_object() || last["kind"].as_str().unwrap_or("").is_empty() {
        return None;
    }
    if last["apiVersion"].as_str() != Some(schema.api_version) {
        return None;
    }
    let mut set = FieldSet::new();
    to_field_set(&last, &schema.root, &mut Vec::new(), &mut set);
    let c = diff(schema, &last, live);
    set.retain(|p| !(c.modified.contains(p) || c.added.contains(p) || c.removed.contains(p)));
    Some(set)
}

/// `lastAppliedUpdater`: after kubectl's server-side apply, an object that carries the
/// client-side apply annotation gets the applied configuration as its new value (the
/// configuration without that annotation, as `json.Encoder` writes it: sorted keys, compact,
/// a newline); dropped instead when it would make the annotations exceed 256 KiB.
fn update_last_applied(config: &Value, merged: &mut Value) {
    let has = merged["metadata"]["annotations"][LAST_APPLIED]
        .as_str()
        .is_some_and(|s| !s.is_empty());
    if !has {
        return;
    }
    let mut config = config.clone();
    if let Some(a) = config
        .get_mut("metadata")
        .and_then(|m| m.get_mut("annotations"))
        .and_then(Value::as_object_mut)
    {
        a.shift_remove(LAST_APPLIED);
    }
    let value = format!("{}\n", crate::api::gojson::sorted_compact_json(&config));
    let Some(annotations) = merged["metadata"]["annotations"].as_object_mut() else {
        return;
    };
    annotations.insert(LAST_APPLIED.to_string(), Value::String(value));
    let total: usize = annotations
        .iter()
        .map(|(k, v)| k.len() + v.as_str().map_or(0, str::len))
        .sum();
    if total > crate::validation::meta::TOTAL_ANNOTATION_SIZE_LIMIT {
        annotations.shift_remove(LAST_APPLIED);
    }
}

/// Remove the field at FieldsV1 path `p` from `v`; a map or list the removal empties goes too
/// (Go's `omitempty` drops it when the merged object is decoded).
fn remove_path(v: &mut Value, p: &[String]) -> bool {
    let Some((first, rest)) = p.split_first() else {
        return false;
    };
    let matches = |x: &Value| -> bool {
        if let Some(kv) = first.strip_prefix("k:") {
            let key: Map<String, Value> = serde_json::from_str(kv).unwrap_or_default();
            !key.is_empty() && key.iter().all(|(k, want)| x.get(k) == Some(want))
        } else if let Some(val) = first.strip_prefix("v:") {
            serde_json::from_str::<Value>(val).is_ok_and(|w| &w == x)
        } else {
            false
        }
    };
    match v {
        Value::Object(m) => {
            let Some(name) = first.strip_prefix("f:") else {
                return false;
            };
            if rest.is_empty() {
                m.shift_remove(name).is_some()
            } else if let Some(child) = m.get_mut(name) {
                let r = remove_path(child, rest);
                if r && is_empty_container(child) {
                    m.shift_remove(name);
                }
                r
            } else {
                false
            }
        }
        Value::Array(a) => match a.iter().position(matches) {
            Some(i) if rest.is_empty() => {
                a.remove(i);
                true
            }
            Some(i) => remove_path(&mut a[i], rest),
            None => false,
        },
        _ => false,
    }
}

fn is_empty_container(v: &Value) -> bool {
    match v {
        Value::Object(m) => m.is_empty(),
        Value::Array(a) => a.is_empty(),
        _ => false,
    }
}

/// structured-merge-diff's `Merge` of an applied configuration into the live object: struct
/// fields and map entries one by one, lists of a list type element by element (the live
/// elements in their order, merged with the configuration's of the same key, then the
/// configuration's new ones in its order), everything else (atomic lists and structs,
/// scalars) replaced; a `null` removes the field (decoding the merged object drops it).
pub fn merge_applied(schema: &Schema, live: &Value, config: &Value) -> Value {
    merge_value(Some(live), config, &schema.root, &mut Vec::new())
}

fn merge_value(l: Option<&Value>, r: &Value, ty: &GoType, path: &mut Path) -> Value {
    let sh = shape(ty, path);
    match (sh, r) {
        (Shape::Struct(_) | Shape::Map(_), Value::Object(rm)) => {
            let mut out = match l {
                Some(Value::Object(m)) => m.clone(),
                _ => Map::new(),
            };
            for (k, rv) in rm {
                if rv.is_null() {
                    out.shift_remove(k);
                    continue;
                }
                let child_ty = match sh {
                    Shape::Struct(st) => st
                        .fields
                        .iter()
                        .find(|(n, _)| n == k)
                        .map_or(&GoType::Opaque, |(_, t)| t),
                    Shape::Map(elem) => elem,
                    _ => &GoType::Opaque,
                };
                path.push(f(k));
                let merged = merge_value(out.get(k), rv, child_ty, path);
                path.pop();
                out.insert(k.clone(), merged);
            }
            Value::Object(out)
        }
        (Shape::KeyedList(_, _) | Shape::SetList, Value::Array(ra)) => {
            let Some(Value::Array(la)) = l else {
                return r.clone();
            };
            let (lk, rk) = match sh {
                Shape::KeyedList(_, key) => (keyed(l, key), keyed(Some(r), key)),
                _ => (set_items(l), set_items(Some(r))),
            };
            let elem = match sh {
                Shape::KeyedList(elem, _) => elem,
                _ => &GoType::Opaque,
            };
            if lk.len() != la.len() || rk.len() != ra.len() {
                // Elements without their key: nothing to match by.
                return r.clone();
            }
            let mut out = Vec::with_capacity(la.len().max(ra.len()));
            for (k, lv) in &lk {
                match find(&rk, k) {
                    Some(rv) => {
                        path.push(k.clone());
                        out.push(merge_value(Some(lv), rv, elem, path));
                        path.pop();
                    }
                    None => out.push((*lv).clone()),
                }
            }
            for (k, rv) in &rk {
                if find(&lk, k).is_none() {
                    out.push((*rv).clone());
                }
            }
            Value::Array(out)
        }
        _ => r.clone(),
    }
}

/// `printManager` of a manager identity (no time in an identity).
fn print_manager(e: &Entry) -> String {
    let mut s = format!("{:?}", e.manager);
    if !e.subresource.is_empty() {
        s = format!("{s} with subresource {:?}", e.subresource);
    }
    if e.operation == "Update" {
        s = format!("{s} using {}", e.api_version);
    }
    s
}

/// A FieldsV1 path as structured-merge-diff prints it: `.metadata.labels.a`,
/// `.status.conditions[type="Approved"]`.
fn print_path(p: &Path) -> String {
    let mut s = String::new();
    for k in p {
        if let Some(n) = k.strip_prefix("f:") {
            s.push('.');
            s.push_str(n);
        } else if let Some(kv) = k.strip_prefix("k:") {
            let m: Map<String, Value> = serde_json::from_str(kv).unwrap_or_default();
            let parts: Vec<String> = m.iter().map(|(a, b)| format!("{a}={b}")).collect();
            s.push_str(&format!("[{}]", parts.join(",")));
        } else if let Some(v) = k.strip_prefix("v:") {
            s.push_str(&format!("[={v}]"));
        }
    }
    s
}

/// `NewConflictError`: 409 Conflict, one cause per field.
fn conflict_status(conflicts: Vec<(String, Path)>) -> Status {
    let message = if conflicts.len() == 1 {
        format!(
            "Apply failed with 1 conflict: conflict with {}: {}",
            conflicts[0].0,
            print_path(&conflicts[0].1)
        )
    } else {
        let mut by: std::collections::BTreeMap<&String, Vec<String>> = Default::default();
        for (m, p) in &conflicts {
            by.entry(m).or_default().push(print_path(p));
        }
        let mut lines = Vec::new();
        for (m, ps) in by {
            lines.push(format!("conflicts with {m}:"));
            lines.extend(ps.into_iter().map(|p| format!("- {p}")));
        }
        format!(
            "Apply failed with {} conflicts: {}",
            conflicts.len(),
            lines.join("\n")
        )
    };
    let mut st = Status::failure(409, "Conflict", message);
    st.details = Some(crate::api::status::StatusDetails {
        causes: conflicts
            .iter()
            .map(|(m, p)| crate::api::status::StatusCause {
                reason: "FieldManagerConflict".into(),
                message: format!("conflict with {m}"),
                field: print_path(p),
            })
            .collect(),
        ..Default::default()
    });
    st
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: Time = Time(1_893_456_000); // 2030-01-01T00:00:00Z

    /// `lastAppliedManager` and `lastAppliedUpdater` on a Secret a client-side apply wrote:
    /// only the manager `kubectl` may take over the fields the annotation still agrees with
    /// the live object on; a field changed since (here `b`) stays a conflict; on success the
    /// annotation becomes the configuration (sorted, compact, HTML-escaped, a newline).
    #[test]
    fn kubectl_takes_over_its_client_side_apply() {
        let schema = schema("secrets").unwrap();
        let last = r#"{"apiVersion":"v1","kind":"Secret","metadata":{"labels":{"a":"1","b":"2"},"name":"s","namespace":"default"}}
"#;
        let csa = json!([{"manager": "kubectl-client-side-apply", "operation": "Update",
            "apiVersion": "v1", "time": "2030-01-01T00:00:00Z", "fieldsType": "FieldsV1",
            "fieldsV1": {"f:metadata": {"f:annotations": {".": {}, "f:kubectl.kubernetes.io/last-applied-configuration": {}},
                "f:labels": {".": {}, "f:a": {}, "f:b": {}}}}}]);
        let live = |b: &str| {
            json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s", "namespace": "default",
                "labels": {"a": "1", "b": b}, "annotations": {LAST_APPLIED: last},
                "managedFields": csa.clone()}, "type": "Opaque"})
        };
        let config = json!({"apiVersion": "v1", "kind": "Secret",
            "metadata": {"name": "s", "labels": {"a": "<x>", "b": "3"}}});
        let run = |live: &Value, manager: &str| {
            let mut merged = merge_applied(schema, live, &config);
            apply_for(schema, live, &config, &mut merged, manager, "", false, NOW)
                .map(|_| merged)
                .map_err(|e| e.message)
        };
        // Another manager: both labels conflict.
        assert_eq!(
            run(&live("2"), "not-kubectl").unwrap_err(),
            "Apply failed with 2 conflicts: conflicts with \"kubectl-client-side-apply\" using v1:\n- .metadata.labels.a\n- .metadata.labels.b"
        );
        // kubectl: taken over, and the annotation follows the configuration.
        let merged = run(&live("2"), "kubectl").unwrap();
        assert_eq!(merged["metadata"]["labels"], json!({"a": "<x>", "b": "3"}));
        assert_eq!(
            merged["metadata"]["annotations"][LAST_APPLIED],
            "{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"metadata\":{\"labels\":{\"a\":\"\\u003cx\\u003e\",\"b\":\"3\"},\"name\":\"s\"}}\n"
        );
        // `b` was changed since the client-side apply: still a conflict for kubectl.
        assert_eq!(
            run(&live("9"), "kubectl").unwrap_err(),
            "Apply failed with 1 conflict: conflict with \"kubectl-client-side-apply\" using v1: .metadata.labels.b"
        );
        // No annotation: no takeover, and none is added.
        let mut bare = live("2");
        bare["metadata"]["annotations"] = json!({});
        assert!(run(&bare, "kubectl").is_err());
        let mut ok = bare.clone();
        ok["metadata"]["managedFields"] = json!([]);
        let merged = run(&ok, "kubectl").unwrap();
        assert_eq!(merged["metadata"]["annotations"], json!({}));
    }

    fn csr(meta: Value, status: Value) -> Value {
        json!({"apiVersion": API_VERSION, "kind": "CertificateSigningRequest",
            "metadata": meta, "spec": {"request": "eA==", "signerName": "x/y", "usages": ["client auth"]},
            "status": status})
    }

    /// Rows: (case, live, new, subresource, FieldsV1 of the one entry or null for none).
    #[test]
    fn update_owns_the_changed_fields_but_not_the_reset_ones() {
        let rows: Vec<(&str, Value, Value, &str, Value)> = vec![
            (
                "create without labels: spec is reset on the main resource, nothing owned",
                empty_csr(),
                csr(json!({"name": "a"}), json!({})),
                "",
                Value::Null,
            ),
            (
                "create with labels: the map added as a whole is a member (`.`)",
                empty_csr(),
                csr(json!({"name": "a", "labels": {"k": "v"}}), json!({})),
                "",
                json!({"f:metadata": {"f:labels": {".": {}, "f:k": {}}}}),
            ),
            (
                "approval: the conditions, keyed by type; certificate reset",
                csr(json!({"name": "a"}), json!({})),
                csr(
                    json!({"name": "a"}),
                    json!({"certificate": "eA==", "conditions": [{"type": "Approved", "status": "True", "reason": "R"}]}),
                ),
                "approval",
                // The condition's zero `metav1.Time` fields are there for the field manager.
                json!({"f:status": {"f:conditions": {".": {}, "k:{\"type\":\"Approved\"}": {".": {}, "f:lastTransitionTime": {}, "f:lastUpdateTime": {}, "f:reason": {}, "f:status": {}, "f:type": {}}}}}),
            ),
            (
                "status: the certificate; conditions reset",
                csr(
                    json!({"name": "a"}),
                    json!({"conditions": [{"type": "Approved", "status": "True"}]}),
                ),
                csr(
                    json!({"name": "a"}),
                    json!({"certificate": "eA==", "conditions": [{"type": "Approved", "status": "True"}, {"type": "Failed", "status": "True"}]}),
                ),
                "status",
                json!({"f:status": {"f:certificate": {}}}),
            ),
        ];
        for (case, live, new, sub, want) in rows {
            let got = update(&live, &new, "m", sub, NOW);
            if want.is_null() {
                assert_eq!(got, json!([]), "{case}");
            } else {
                assert_eq!(got.as_array().unwrap().len(), 1, "{case}: {got}");
                let e = &got[0];
                assert_eq!(e["fieldsV1"], want, "{case}");
                assert_eq!(
                    (e["manager"].as_str(), e["operation"].as_str()),
                    (Some("m"), Some("Update")),
                    "{case}"
                );
                assert_eq!(e["time"], json!("2030-01-01T00:00:00Z"), "{case}");
                assert_eq!(
                    e.get("subresource").and_then(|s| s.as_str()).unwrap_or(""),
                    sub,
                    "{case}"
                );
            }
        }
    }

    /// `Comparison.FilterFields(IgnoreFilter)` filters the removed fields too: a main-resource
    /// write whose body drops a condition (status is reset there) leaves the `/approval`
    /// entry that owns it alone; so does an apply to the main resource.
    #[test]
    fn reset_fields_a_write_removes_stay_owned_by_others() {
        let approved =
            json!({"conditions": [{"type": "Approved", "status": "True", "reason": "R"}]});
        let mut live = csr(json!({"name": "a"}), approved.clone());
        live["metadata"]["managedFields"] = update(
            &csr(json!({"name": "a"}), json!({})),
            &live,
            "approver",
            "approval",
            NOW,
        );
        let before = live["metadata"]["managedFields"].clone();
        let denied = json!({"conditions": [{"type": "Denied", "status": "True"}]});
        let new = csr(json!({"name": "a", "labels": {"k": "v"}}), denied.clone());
        let approver = |entries: &Value| -> Vec<Value> {
            let all = entries.as_array().unwrap().iter();
            all.filter(|e| e["manager"] == "approver")
                .cloned()
                .collect()
        };
        let got = update(&live, &new, "kubectl-patch", "", NOW);
        assert_eq!(approver(&got), [before[0].clone()], "update: {got}");
        let config = csr(json!({"name": "a", "labels": {"k": "v"}}), denied);
        let got = apply(&live, &config, &config, "kubectl", "", true, NOW).unwrap();
        assert_eq!(approver(&got), [before[0].clone()], "apply: {got}");
    }

    #[test]
    fn apply_owns_its_configuration_and_conflicts_without_force() {
        let created = csr(json!({"name": "a", "labels": {"k": "v"}}), json!({}));
        let mf = update(&empty_csr(), &created, "kubectl-create", "", NOW);
        let mut live = created.clone();
        live["metadata"]["managedFields"] = mf;
        // Same value: shared, no conflict; the applier owns labels.k.
        let same = csr(json!({"name": "a", "labels": {"k": "v"}}), json!({}));
        let got = apply(&live, &same, &live, "kubectl", "", false, NOW).unwrap();
        let managers: Vec<&str> = got
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["manager"].as_str().unwrap())
            .collect();
        assert_eq!(managers, ["kubectl", "kubectl-create"]);
        assert_eq!(got[0]["operation"], "Apply");
        assert_eq!(
            got[0]["fieldsV1"],
            json!({"f:metadata": {"f:labels": {"f:k": {}}}})
        );
        // Another value: 409 naming the other manager, unless forced (then it loses the field).
        let other = csr(json!({"name": "a", "labels": {"k": "w"}}), json!({}));
        let merged = crate::registry::patch::merge(&live, &other);
        let st = apply(&live, &other, &merged, "kubectl", "", false, NOW).unwrap_err();
        assert_eq!(
            (st.code, st.message.as_str()),
            (409, "Apply failed with 1 conflict: conflict with \"kubectl-create\" using certificates.k8s.io/v1: .metadata.labels.k")
        );
        // Forced: the creator keeps only the labels map itself.
        let got = apply(&live, &other, &merged, "kubectl", "", true, NOW).unwrap();
        assert_eq!(got[1]["manager"], "kubectl-create");
        assert_eq!(got[1]["fieldsV1"], json!({"f:metadata": {"f:labels": {}}}));
    }

    /// `isResetManagedFields`: a main-resource update sending `[]` starts from no entry.
    #[test]
    fn an_empty_list_resets_them() {
        let mut live = csr(json!({"name": "a", "labels": {"k": "v"}}), json!({}));
        live["metadata"]["managedFields"] = update(&empty_csr(), &live, "creator", "", NOW);
        let mut new = live.clone();
        new["metadata"]["managedFields"] = json!([]);
        new["metadata"]["annotations"] = json!({"x": "y"});
        let got = update(&live, &new, "m", "", NOW);
        let managers: Vec<&str> = got
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["manager"].as_str().unwrap())
            .collect();
        assert_eq!(managers, ["m"]);
        // Without the reset the creator keeps its label.
        new["metadata"]["managedFields"] = live["metadata"]["managedFields"].clone();
        let got = update(&live, &new, "m", "", NOW);
        assert_eq!(got.as_array().unwrap().len(), 2);
    }

    /// The controllers' typed writes, as kube-controller-manager's client-go updates show
    /// them: the approver's condition (sent without times, owned with both: zero
    /// `metav1.Time` fields are present), then the signer's certificate on `/status`.
    #[test]
    fn controller_writes_are_tracked_like_client_updates() {
        use crate::api::csr::{CertificateSigningRequest, CsrCondition};
        let mut live = CertificateSigningRequest::default();
        live.metadata.name = "a".into();
        live.spec.request = b"x".to_vec();
        live.metadata.managed_fields = ManagedFields::from_json(
            update(
                &empty_csr(),
                &csr(json!({"name": "a", "labels": {"k": "v"}}), json!({})),
                "kubelet",
                "",
                NOW,
            )
            .as_array()
            .cloned()
            .unwrap(),
        );
        let mut approved = live.clone();
        approved.status.conditions.push(CsrCondition {
            type_: "Approved".into(),
            status: "True".into(),
            reason: "AutoApproved".into(),
            message: "Auto approving kubelet client certificate after SubjectAccessReview.".into(),
            ..Default::default()
        });
        let typed = update_typed(&live, &approved, "kube-controller-manager", "approval", NOW);
        let mf = typed.to_json().into_owned();
        // The typed path (no managedFields in its views, fieldsV1 remembered) gives what the
        // JSON path gives on the whole objects, the second time too.
        let whole = |c: &CertificateSigningRequest| serde_json::to_value(c).unwrap();
        for _ in 0..2 {
            assert_eq!(
                serde_json::to_value(update_typed(
                    &live,
                    &approved,
                    "kube-controller-manager",
                    "approval",
                    NOW
                ))
                .unwrap(),
                update(
                    &whole(&live),
                    &whole(&approved),
                    "kube-controller-manager",
                    "approval",
                    NOW
                )
            );
        }
        assert_eq!(mf.len(), 2, "{mf:?}");
        assert_eq!(mf[0]["manager"], "kube-controller-manager");
        assert_eq!(mf[0]["subresource"], "approval");
        assert_eq!(mf[0]["operation"], "Update");
        assert_eq!(
            mf[0]["fieldsV1"],
            json!({"f:status": {"f:conditions": {".": {}, "k:{\"type\":\"Approved\"}": {
                ".": {}, "f:lastTransitionTime": {}, "f:lastUpdateTime": {}, "f:message": {},
                "f:reason": {}, "f:status": {}, "f:type": {}}}}})
        );
        assert_eq!(mf[1]["manager"], "kubelet");
        // The strategy stamped the times; the signer sends them back unchanged with the
        // certificate: only the certificate is new.
        let mut stored = approved.clone();
        stored.metadata.managed_fields = typed;
        stored.status.conditions[0].last_update_time = Some(NOW);
        stored.status.conditions[0].last_transition_time = Some(NOW);
        let mut issued = stored.clone();
        issued.status.certificate = b"cert".to_vec();
        let mf = update_typed(&stored, &issued, "kube-controller-manager", "status", NOW)
            .to_json()
            .into_owned();
        let subs: Vec<&str> = mf
            .iter()
            .map(|e| e.get("subresource").and_then(|s| s.as_str()).unwrap_or(""))
            .collect();
        assert_eq!(subs, ["approval", "status", ""], "{mf:?}");
        assert_eq!(
            mf[1]["fieldsV1"],
            json!({"f:status": {"f:certificate": {}}})
        );
    }

    /// The typed path gives what the JSON path gives on the whole objects, for every pair of
    /// these states on every endpoint, whether the live entries are JSON or decoded.
    #[test]
    fn typed_updates_equal_json_updates() {
        use crate::api::csr::{CertificateSigningRequest, CsrCondition};
        let cond = |t: &str, reason: &str, at: Option<Time>| CsrCondition {
            type_: t.into(),
            status: "True".into(),
            reason: reason.into(),
            last_update_time: at,
            last_transition_time: at,
            ..Default::default()
        };
        let base = {
            let mut c = CertificateSigningRequest::default();
            c.metadata.name = "a".into();
            c.metadata.uid = "u".into();
            c.metadata.resource_version = "7".into();
            c.metadata.labels.insert("k".into(), "v".into());
            c.spec.request = b"x".to_vec();
            c
        };
        let mut states = vec![base.clone()];
        let mut s = base.clone();
        s.status.conditions.push(cond("Approved", "A", None));
        states.push(s.clone());
        s.status.conditions[0].last_update_time = Some(NOW);
        s.status.conditions[0].last_transition_time = Some(NOW);
        states.push(s.clone());
        s.status.certificate = b"c1".to_vec();
        states.push(s.clone());
        s.status.certificate = b"c2".to_vec();
        states.push(s.clone());
        s.status.conditions.push(cond("Failed", "F", Some(NOW)));
        states.push(s.clone());
        s.status.conditions[1].reason.clear();
        s.status.conditions[1].message = "m".into();
        s.status.conditions[1].status = String::new();
        states.push(s.clone());
        s.metadata.labels.insert("k".into(), "w".into());
        s.metadata.annotations.insert("n".into(), "1".into());
        states.push(s.clone());
        s.metadata.labels.clear();
        s.metadata.finalizers.push("f".into());
        states.push(s.clone());
        s.status.conditions.remove(0);
        s.status.certificate.clear();
        states.push(s);
        // Live entries: a kubelet's create with the label, then an approval on top.
        let created = update(
            &empty_csr(),
            &serde_json::to_value(&base).unwrap(),
            "kubelet",
            "",
            NOW,
        );
        let created = created.as_array().cloned().unwrap();
        let whole = |c: &CertificateSigningRequest| serde_json::to_value(c).unwrap();
        let mut checked = 0;
        for mf in [
            ManagedFields::from_json(created.clone()),
            update_typed(
                &base,
                &states[1],
                "kube-controller-manager",
                "approval",
                NOW,
            ),
            ManagedFields::Empty,
        ] {
            let mf = if mf.is_empty() {
                ManagedFields::from_json(created.clone())
            } else {
                mf
            };
            for (i, a) in states.iter().enumerate() {
                for (j, b) in states.iter().enumerate() {
                    for sub in ["", "status", "approval"] {
                        let (mut live, mut new) = (a.clone(), b.clone());
                        live.metadata.managed_fields = mf.clone();
                        new.metadata.managed_fields = mf.clone();
                        let later = Time(NOW.0 + 60);
                        let typed = update_typed(&live, &new, "m", sub, later);
                        let json = update(&whole(&live), &whole(&new), "m", sub, later);
                        assert_eq!(
                            serde_json::to_value(&typed).unwrap(),
                            json,
                            "states {i} -> {j} on {sub:?}"
                        );
                        checked += 1;
                    }
                }
            }
        }
        assert_eq!(checked, 3 * 10 * 10 * 3);
    }

    /// A create's entries from the metadata-only view equal the whole comparison's.
    #[test]
    fn create_entries_equal_the_whole_comparison() {
        let bodies = [
            json!({"metadata": {"name": "a"}, "spec": {"request": "eA==", "signerName": "x/y", "usages": ["client auth"]}}),
            json!({"metadata": {"generateName": "csr-", "labels": {"k": "v"}}, "spec": {"request": "eA=="}}),
            json!({"metadata": {"name": "a"}}),
            json!({"metadata": {"name": "a"}, "spec": null, "status": {"conditions": [{"type": "Approved"}]}}),
            json!({"metadata": {"name": "a"}, "spec": {"request": "eA=="}, "status": {}}),
            json!({"spec": {"request": "eA=="}}),
            json!({"metadata": {"name": "a", "managedFields": [{"manager": "x", "operation": "Update",
                "apiVersion": API_VERSION, "fieldsType": "FieldsV1",
                "fieldsV1": {"f:spec": {"f:request": {}}, "f:metadata": {"f:name": {}}}}]},
                "spec": {"request": "eA=="}}),
            json!({"metadata": {"name": "a", "managedFields": [{"manager": "x", "operation": "Update",
                "apiVersion": API_VERSION, "fieldsType": "FieldsV1",
                "fieldsV1": {"f:spec": {"f:request": {}}, "f:status": {}}}]}}),
        ];
        for body in bodies {
            assert_eq!(
                serde_json::to_value(create_decoded(&body, "m", NOW)).unwrap(),
                update(&empty_csr(), &body, "m", "", NOW),
                "{body}"
            );
        }
    }

    #[test]
    fn condition_keys_are_compact_json() {
        for t in ["Approved", "", "a\"b", "back\\slash", "tab\there", "ünï"] {
            assert_eq!(
                condition_key(t),
                format!("k:{}", json!({ "type": t })),
                "{t:?}"
            );
        }
    }

    fn role_binding(subjects: Value, extra_meta: Value) -> Value {
        let mut meta = json!({"name": "rb", "namespace": "ns"});
        for (k, v) in extra_meta.as_object().unwrap() {
            meta[k] = v.clone();
        }
        json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
            "metadata": meta, "subjects": subjects,
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "r"}})
    }

    /// Other kinds: their apiVersion, atomic `subjects`/`roleRef`/`rules`, granular maps.
    #[test]
    fn other_kinds_are_tracked_by_their_schema() {
        let rb = schema("rolebindings").unwrap();
        let body = role_binding(
            json!([{"kind": "User", "name": "u", "apiGroup": "rbac.authorization.k8s.io"}]),
            json!({"labels": {"a": "1"}}),
        );
        let mf = update_for(rb, &(rb.zero)(), &body, "kubectl-create", "", NOW);
        assert_eq!(
            mf,
            json!([{"manager": "kubectl-create", "operation": "Update",
                "apiVersion": "rbac.authorization.k8s.io/v1", "time": "2030-01-01T00:00:00Z",
                "fieldsType": "FieldsV1", "fieldsV1": {"f:metadata": {"f:labels": {".": {}, "f:a": {}}},
                    "f:roleRef": {}, "f:subjects": {}}}])
        );
        let role = schema("clusterroles").unwrap();
        let body = json!({"metadata": {"name": "c"}, "rules": [{"verbs": ["get"]}],
            "aggregationRule": {"clusterRoleSelectors": [{"matchLabels": {"x": "y"}}]}});
        let mf = update_for(role, &(role.zero)(), &body, "m", "", NOW);
        assert_eq!(
            mf[0]["fieldsV1"],
            json!({"f:aggregationRule": {".": {}, "f:clusterRoleSelectors": {}}, "f:rules": {}})
        );
        let secret = schema("secrets").unwrap();
        let body = json!({"metadata": {"name": "s"}, "data": {"k": "eA=="}, "type": "Opaque"});
        let mf = update_for(secret, &(secret.zero)(), &body, "m", "", NOW);
        assert_eq!(mf[0]["apiVersion"], "v1");
        assert_eq!(
            mf[0]["fieldsV1"],
            json!({"f:data": {".": {}, "f:k": {}}, "f:type": {}})
        );
        // A namespace's main resource resets `status` and `spec.finalizers`; `/finalize`
        // owns the (atomic) finalizers.
        let ns = schema("namespaces").unwrap();
        let body = json!({"metadata": {"name": "n"}, "spec": {"finalizers": ["kubernetes"]},
            "status": {"phase": "Active"}});
        let mf = update_for(ns, &(ns.zero)(), &body, "m", "", NOW);
        assert_eq!(mf, json!([]));
        let mf = update_for(ns, &(ns.zero)(), &body, "m", "finalize", NOW);
        assert_eq!(mf[0]["fieldsV1"], json!({"f:spec": {"f:finalizers": {}}}));
        assert_eq!(mf[0]["subresource"], "finalize");
    }

    /// Apply of another kind: conflicts name its apiVersion; `force` takes the field.
    #[test]
    fn other_kinds_apply_with_conflicts_and_force() {
        let rb = schema("rolebindings").unwrap();
        let created = role_binding(json!([{"kind": "User", "name": "u"}]), json!({}));
        let mut live = created.clone();
        live["metadata"]["managedFields"] =
            update_for(rb, &(rb.zero)(), &created, "kubectl-create", "", NOW);
        let config = role_binding(json!([{"kind": "User", "name": "v"}]), json!({}));
        let mut merged = merge_applied(rb, &live, &config);
        assert_eq!(merged["subjects"], json!([{"kind": "User", "name": "v"}]));
        let st = apply_for(
            rb,
            &live,
            &config,
            &mut merged.clone(),
            "kubectl",
            "",
            false,
            NOW,
        )
        .unwrap_err();
        assert_eq!(
            (st.code, st.message.as_str()),
            (409, "Apply failed with 1 conflict: conflict with \"kubectl-create\" using rbac.authorization.k8s.io/v1: .subjects")
        );
        let got = apply_for(rb, &live, &config, &mut merged, "kubectl", "", true, NOW).unwrap();
        assert_eq!(got[0]["manager"], "kubectl");
        assert_eq!(got[0]["operation"], "Apply");
        assert_eq!(got[0]["apiVersion"], "rbac.authorization.k8s.io/v1");
        assert_eq!(
            got[0]["fieldsV1"],
            json!({"f:roleRef": {}, "f:subjects": {}})
        );
        // The creator shares the unchanged roleRef.
        assert_eq!(got[1]["manager"], "kubectl-create");
        assert_eq!(got[1]["fieldsV1"], json!({"f:roleRef": {}}));
    }

    /// `ownerReferences` merge by `uid` (`+listType=map`), `finalizers` as a set, for CSRs
    /// too; fields applied before and no longer are removed unless another manager owns them.
    #[test]
    fn apply_merges_metadata_lists_and_prunes_what_it_no_longer_applies() {
        let owner =
            |uid: &str| json!({"apiVersion": "v1", "kind": "ConfigMap", "name": "o", "uid": uid});
        let created = csr(
            json!({"name": "a", "ownerReferences": [owner("1")], "finalizers": ["x/a"],
                "labels": {"keep": "1"}}),
            json!({}),
        );
        let mut live = created.clone();
        live["metadata"]["managedFields"] = update(&empty_csr(), &created, "creator", "", NOW);
        assert_eq!(
            live["metadata"]["managedFields"][0]["fieldsV1"]["f:metadata"]["f:ownerReferences"],
            json!({".": {}, "k:{\"uid\":\"1\"}": {".": {}, "f:apiVersion": {}, "f:kind": {},
                "f:name": {}, "f:uid": {}}})
        );
        let config = csr(
            json!({"name": "a", "ownerReferences": [owner("2")], "finalizers": ["x/b"],
                "labels": {"mine": "1", "other": "2"}}),
            json!({}),
        );
        let mut merged = merge_applied(&CSR, &live, &config);
        assert_eq!(
            merged["metadata"]["ownerReferences"],
            json!([owner("1"), owner("2")])
        );
        assert_eq!(merged["metadata"]["finalizers"], json!(["x/a", "x/b"]));
        let mf = apply_for(&CSR, &live, &config, &mut merged, "ap", "", false, NOW).unwrap();
        assert_eq!(
            mf[0]["fieldsV1"]["f:metadata"]["f:finalizers"],
            json!({"v:\"x/b\"": {}})
        );
        assert!(mf[0]["fieldsV1"]["f:metadata"]["f:ownerReferences"]
            .get("k:{\"uid\":\"2\"}")
            .is_some());
        // The next apply drops `other` and the owner 2: both go; the creator's stay.
        let mut live2 = merged.clone();
        live2["metadata"]["managedFields"] = mf;
        let config2 = csr(json!({"name": "a", "labels": {"mine": "1"}}), json!({}));
        let mut merged2 = merge_applied(&CSR, &live2, &config2);
        apply_for(&CSR, &live2, &config2, &mut merged2, "ap", "", false, NOW).unwrap();
        assert_eq!(
            merged2["metadata"]["labels"],
            json!({"keep": "1", "mine": "1"})
        );
        assert_eq!(merged2["metadata"]["ownerReferences"], json!([owner("1")]));
        assert_eq!(merged2["metadata"]["finalizers"], json!(["x/a"]));
    }

    #[test]
    fn manager_from_user_agent() {
        assert_eq!(
            manager_name("", "kubectl/v1.33.1 (linux/amd64) kubernetes/8adc0f0"),
            "kubectl"
        );
        assert_eq!(
            manager_name("", "OpenAPI-Generator/37.0.2/python"),
            "OpenAPI-Generator"
        );
        assert_eq!(
            manager_name("kubectl-create", "kubectl/v1.33.1"),
            "kubectl-create"
        );
        // Control characters are dropped; at most 128 bytes, whole characters.
        assert_eq!(manager_name("", "ku\tbe\u{7f}let/1.0"), "kubelet");
        assert_eq!(manager_name("", &"a".repeat(200)), "a".repeat(128));
        assert_eq!(
            manager_name("", &format!("{}é", "a".repeat(127))),
            "a".repeat(127)
        );
    }
}
