//! OpenAPI v3 documents, as kube-apiserver serves them at `/openapi/v3` (an index of group
//! versions) and `/openapi/v3/apis/<group>/<version>` (one document per group version).
//!
//! kubectl ≥ 1.27 reads them for two things, and only these are served:
//! - `kubectl explain` finds a resource's kind through the `x-kubernetes-group-version-kind`
//!   of its paths' operations, then renders the schema in `components.schemas` carrying that
//!   kind (`kubectl/pkg/explain/v2/templates/plaintext.tmpl`). CertificateSigningRequest has a
//!   full schema with descriptions (written for csrsim); the other kinds have their top-level
//!   fields with their types (a namespace's `status.phase`, a pod's `status.message`), in
//!   upstream's words. Pods and events, which discovery lists without storing, are described
//!   too, so that `kubectl explain pods` (test/cmd/discovery.sh) works.
//! - The field-validation check (`cli-runtime/pkg/resource/query_param_verifier_v3.go`): a
//!   kind whose PATCH operations list the `fieldValidation` parameter is validated by the
//!   server, so kubectl skips client-side validation and sends `fieldValidation=Strict`.
//!
//! PATCH operations do **not** list `application/strategic-merge-patch+json`: with it, a
//! client-side `kubectl apply` would compute its patch from these schemas, which lack the
//! patch-merge keys; without it kubectl uses its compiled-in types, which are correct for
//! every kind served here (docs/client-wire-surface notes, §9.9). kubectl ≤ 1.26 and the
//! Python client never ask for these documents; `/openapi/v2` is [`super::openapi_v2`].

use crate::api::resources::{ResourceInfo, ALL};
use serde_json::{json, Map, Value};
use sha2::Digest;
use std::sync::OnceLock;

/// One group version's document: the JSON bytes and the hash its index URL carries (clients
/// cache a `?hash=` URL forever, so it must change whenever the bytes do).
pub struct GroupVersionDoc {
    /// `api/v1` or `apis/<group>/<version>`: the index key and the URL suffix.
    pub path: String,
    pub json: Vec<u8>,
    pub hash: String,
}

/// Every document, built once (they depend on nothing but this binary).
pub fn documents() -> &'static [GroupVersionDoc] {
    static DOCS: OnceLock<Vec<GroupVersionDoc>> = OnceLock::new();
    DOCS.get_or_init(build_all)
}

/// `GET /openapi/v3`: `{"paths": {"apis/<g>/<v>": {"serverRelativeURL": "/openapi/v3/…?hash=…"}}}`.
pub fn index() -> Value {
    let mut paths = Map::new();
    for d in documents() {
        paths.insert(
            d.path.clone(),
            json!({"serverRelativeURL": format!("/openapi/v3/{}?hash={}", d.path, d.hash)}),
        );
    }
    json!({ "paths": paths })
}

/// kube-openapi's `computeETag`: the SHA-512 of the bytes in upper-case hex (128 digits), the
/// hash a document's index URL carries and its `Etag`, and the index's own `Etag`.
pub fn compute_etag(bytes: &[u8]) -> String {
    sha2::Sha512::digest(bytes)
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect()
}

/// `GET /openapi/v3` as `HandleDiscovery` serves it: `json.Marshal` of the index (no trailing
/// newline) and its etag.
pub fn index_bytes() -> &'static (Vec<u8>, String) {
    static INDEX: OnceLock<(Vec<u8>, String)> = OnceLock::new();
    INDEX.get_or_init(|| {
        let json = serde_json::to_vec(&index()).unwrap_or_default();
        let etag = compute_etag(&json);
        (json, etag)
    })
}

/// The document at `/openapi/v3/<path>`, if one is served there.
pub fn document(path: &str) -> Option<&'static GroupVersionDoc> {
    documents().iter().find(|d| d.path == path)
}

fn gv_path(group: &str, version: &str) -> String {
    if group.is_empty() {
        format!("api/{version}")
    } else {
        format!("apis/{group}/{version}")
    }
}

/// The Go package of a group's types: the prefix of its schema names.
pub(super) fn package(group: &str) -> String {
    match group {
        "" => "io.k8s.api.core.v1".into(),
        g => format!("io.k8s.api.{}.v1", g.split('.').next().unwrap_or(g)),
    }
}

/// The path of a resource's collection, as the documents list it:
/// `/apis/<group>/<version>[/namespaces/{namespace}]/<resource>` (`/api/v1/…` for core).
pub(super) fn collection_path(r: &ResourceInfo) -> String {
    let prefix = format!("/{}", gv_path(r.group, r.version));
    if r.namespaced {
        format!("{prefix}/namespaces/{{namespace}}/{}", r.resource)
    } else {
        format!("{prefix}/{}", r.resource)
    }
}

pub(super) const META: &str = "io.k8s.apimachinery.pkg.apis.meta.v1";

/// The listed-only kinds the documents describe: pods and events (`kubectl explain pods`,
/// test/cmd/discovery.sh). The others (configmaps, services, the workload groups, …) are
/// listed by discovery only, for `kubectl apply --prune`'s allowlist; without a schema here
/// rather than with a wrong one.
pub(super) fn described_listed_only() -> impl Iterator<Item = &'static ResourceInfo> {
    crate::api::resources::LISTED_ONLY
        .iter()
        .filter(|r| r.group.is_empty() && matches!(r.kind, "Pod" | "Event"))
}

/// The subresources of a kind that the documents list, each with its operations (kube-openapi's
/// `x-kubernetes-action`s), as upstream's `api/openapi-spec` has them: a CSR's `/approval` and
/// `/status`; a namespace's `/finalize` (update only) and `/status`.
pub(super) fn subresources(r: &ResourceInfo) -> &'static [(&'static str, &'static [&'static str])] {
    const READ_WRITE: &[&str] = &["get", "put", "patch"];
    match (r.group, r.kind) {
        ("certificates.k8s.io", "CertificateSigningRequest") => {
            &[("approval", READ_WRITE), ("status", READ_WRITE)]
        }
        ("", "Namespace") => &[("finalize", &["put"]), ("status", READ_WRITE)],
        _ => &[],
    }
}

pub(super) fn schema_ref(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

/// A field whose type is another schema, as kube-openapi writes it (with a default of `{}`).
pub(super) fn object_field(name: &str, description: &str) -> Value {
    json!({"allOf": [schema_ref(name)], "default": {}, "description": description})
}

pub(super) fn string_field(description: &str) -> Value {
    json!({"type": "string", "description": description})
}

fn build_all() -> Vec<GroupVersionDoc> {
    let mut gvs: Vec<(&str, &str)> = ALL.iter().map(|r| (r.group, r.version)).collect();
    gvs.sort();
    gvs.dedup();
    gvs.into_iter()
        .map(|(g, v)| {
            let doc = build(g, v);
            let json = serde_json::to_vec(&doc).unwrap_or_default();
            let hash = compute_etag(&json);
            GroupVersionDoc {
                path: gv_path(g, v),
                json,
                hash,
            }
        })
        .collect()
}

fn gvk(r: &ResourceInfo) -> Value {
    json!({"group": r.group, "version": r.version, "kind": r.kind})
}

fn query_param(name: &str, description: &str) -> Value {
    json!({"name": name, "in": "query", "description": description,
           "schema": {"type": "string", "uniqueItems": true}})
}

fn path_param(name: &str, description: &str) -> Value {
    json!({"name": name, "in": "path", "required": true, "description": description,
           "schema": {"type": "string", "uniqueItems": true}})
}

fn json_content(schema: Value) -> Value {
    json!({"application/json": {"schema": schema}})
}

/// One operation on `r` (`action` is kube-openapi's `x-kubernetes-action`).
fn operation(r: &ResourceInfo, action: &str, subresource: &str, schema: &str) -> Value {
    let mut op = json!({
        "description": format!("{action} {}{}", r.kind, if subresource.is_empty() { String::new() } else { format!(" {subresource}") }),
        "operationId": format!("{action}{}{}", r.kind, subresource),
        "responses": {"200": {"description": "OK", "content": json_content(schema_ref(schema))}},
        "x-kubernetes-action": action,
        "x-kubernetes-group-version-kind": gvk(r),
    });
    let mut params = vec![];
    if matches!(action, "post" | "put" | "patch") {
        // The write options every create, update and patch takes (kubectl checks the last).
        params.push(query_param(
            "dryRun",
            "`All` to process the request without persisting it",
        ));
        params.push(query_param("fieldManager", "the actor making the change"));
        params.push(query_param(
            "fieldValidation",
            "Ignore, Warn or Strict: what to do with fields the type does not have",
        ));
    }
    match action {
        "post" | "put" => {
            op["requestBody"] =
                json!({"required": true, "content": json_content(schema_ref(schema))});
        }
        "patch" => {
            params.push(query_param(
                "force",
                "server-side apply: take over conflicting fields",
            ));
            let patch = schema_ref(&format!("{META}.Patch"));
            // No strategic-merge-patch+json: see the module comment.
            op["requestBody"] = json!({"required": true, "content": {
                "application/json-patch+json": {"schema": patch},
                "application/merge-patch+json": {"schema": patch},
                "application/apply-patch+yaml": {"schema": patch},
            }});
        }
        "list" | "watchlist" => {
            for p in [
                "labelSelector",
                "fieldSelector",
                "limit",
                "continue",
                "resourceVersion",
                "watch",
            ] {
                params.push(query_param(p, ""));
            }
        }
        _ => {}
    }
    if !params.is_empty() {
        op["parameters"] = Value::Array(params);
    }
    op
}

fn build(group: &str, version: &str) -> Value {
    let mut paths = Map::new();
    let mut schemas = Map::new();
    let served: Vec<&ResourceInfo> = ALL
        .iter()
        .chain(described_listed_only())
        .filter(|r| r.group == group && r.version == version)
        .collect();
    for r in served {
        let pkg = package(group);
        let kind_schema = format!("{pkg}.{}", r.kind);
        let list_schema = format!("{pkg}.{}", r.list_kind);
        let collection = collection_path(r);
        let mut common = vec![];
        if r.namespaced {
            common.push(path_param("namespace", "object name and auth scope"));
        }
        let has = |v: &str| r.verbs.contains(&v);
        let mut coll = Map::new();
        if has("list") {
            coll.insert("get".into(), operation(r, "list", "", &list_schema));
        }
        if has("create") {
            coll.insert("post".into(), operation(r, "post", "", &kind_schema));
        }
        if has("deletecollection") {
            coll.insert(
                "delete".into(),
                operation(r, "deletecollection", "", &format!("{META}.Status")),
            );
        }
        if !common.is_empty() {
            coll.insert("parameters".into(), Value::Array(common.clone()));
        }
        paths.insert(collection.clone(), Value::Object(coll));
        if has("get") {
            let mut named_params = common.clone();
            named_params.push(path_param("name", &format!("name of the {}", r.kind)));
            let mut item = Map::new();
            item.insert("get".into(), operation(r, "get", "", &kind_schema));
            item.insert("put".into(), operation(r, "put", "", &kind_schema));
            item.insert("patch".into(), operation(r, "patch", "", &kind_schema));
            item.insert(
                "delete".into(),
                operation(r, "delete", "", &format!("{META}.Status")),
            );
            item.insert("parameters".into(), Value::Array(named_params.clone()));
            paths.insert(format!("{collection}/{{name}}"), Value::Object(item));
            for (sub, actions) in subresources(r) {
                let mut s = Map::new();
                for action in actions.iter() {
                    s.insert((*action).into(), operation(r, action, sub, &kind_schema));
                }
                s.insert("parameters".into(), Value::Array(named_params.clone()));
                paths.insert(format!("{collection}/{{name}}/{sub}"), Value::Object(s));
            }
        }
        if r.kind == "CertificateSigningRequest" {
            csr_schemas(&pkg, &mut schemas);
        } else if r.kind == "Pod" {
            pod_schemas(r, &pkg, &mut schemas);
        } else if !super::openapi_schemas::insert(r, &pkg, &mut schemas) {
            schemas.insert(kind_schema.clone(), top_level_schema(r));
        }
        if !r.list_kind.is_empty() {
            schemas.insert(list_schema, list_schema_for(r, &kind_schema));
        }
    }
    meta_schemas(&mut schemas);
    json!({
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes", "version": crate::server::KUBE_GIT_VERSION},
        "paths": paths,
        "components": {"schemas": schemas},
    })
}

pub(super) fn type_meta_fields(props: &mut Map<String, Value>) {
    props.insert(
        "apiVersion".into(),
        string_field("The versioned schema of this representation of an object (group/version)."),
    );
    props.insert(
        "kind".into(),
        string_field("The REST resource this object represents, in CamelCase."),
    );
}

/// A kind served without a full schema (the access reviews, events): its type meta,
/// metadata, and the top-level fields.
pub(super) fn top_level_schema(r: &ResourceInfo) -> Value {
    let mut props = Map::new();
    type_meta_fields(&mut props);
    props.insert(
        "metadata".into(),
        object_field(&format!("{META}.ObjectMeta"), "Standard object metadata."),
    );
    let obj = |d: &str| json!({"type": "object", "description": d});
    let extra: Vec<(&str, Value)> = match r.kind {
        "Event" => vec![
            ("involvedObject", obj("The object that this event is about.")),
            ("reason", string_field("This should be a short, machine understandable string that gives the reason for the transition into the object's current status.")),
            ("message", string_field("A human-readable description of the status of this operation.")),
            ("type", string_field("Type of this event (Normal, Warning), new types could be added in the future")),
            ("count", json!({"type": "integer", "format": "int32", "description": "The number of times this event has occurred."})),
            ("source", obj("The component reporting this event. Should be a short machine understandable string.")),
            ("firstTimestamp", object_field(&format!("{META}.Time"), "The time at which the event was first recorded. (Time of server receipt is in TypeMeta.)")),
            ("lastTimestamp", object_field(&format!("{META}.Time"), "The time at which the most recent occurrence of this event was recorded.")),
        ],
        _ => vec![
            ("spec", obj("The request.")),
            ("status", obj("The answer, filled in by the server.")),
        ],
    };
    for (f, v) in extra {
        props.insert(f.into(), v);
    }
    json!({
        "type": "object",
        "description": format!("{} ({}).", r.kind, if r.group.is_empty() { "core/v1".to_string() } else { format!("{}/{}", r.group, r.version) }),
        "properties": props,
        "x-kubernetes-group-version-kind": [gvk(r)],
    })
}

/// Pod with its spec and status, their descriptions as in the core/v1 OpenAPI document.
pub(super) fn pod_schemas(r: &ResourceInfo, pkg: &str, schemas: &mut Map<String, Value>) {
    let mut props = Map::new();
    type_meta_fields(&mut props);
    props.insert(
        "metadata".into(),
        object_field(&format!("{META}.ObjectMeta"), "Standard object's metadata."),
    );
    props.insert(
        "spec".into(),
        object_field(
            &format!("{pkg}.PodSpec"),
            "Specification of the desired behavior of the pod.",
        ),
    );
    props.insert("status".into(), object_field(&format!("{pkg}.PodStatus"),
        "Most recently observed status of the pod. This data may not be up to date. Populated by the system. Read-only."));
    schemas.insert(format!("{pkg}.Pod"), json!({
        "type": "object",
        "description": "Pod is a collection of containers that can run on a host. This resource is created by clients and scheduled onto hosts.",
        "properties": props,
        "x-kubernetes-group-version-kind": [gvk(r)],
    }));
    let mut spec = Map::new();
    spec.insert("containers".into(), json!({"type": "array", "items": {"type": "object"},
        "description": "List of containers belonging to the pod. Containers cannot currently be added or removed. There must be at least one container in a Pod. Cannot be updated.",
        "x-kubernetes-list-map-keys": ["name"], "x-kubernetes-list-type": "map",
        "x-kubernetes-patch-merge-key": "name", "x-kubernetes-patch-strategy": "merge"}));
    spec.insert("nodeName".into(), string_field("NodeName indicates in which node this pod is scheduled. If empty, this pod is a candidate for scheduling by the scheduler defined in schedulerName."));
    spec.insert(
        "serviceAccountName".into(),
        string_field(
            "ServiceAccountName is the name of the ServiceAccount to use to run this pod.",
        ),
    );
    schemas.insert(
        format!("{pkg}.PodSpec"),
        json!({
            "type": "object",
            "description": "PodSpec is a description of a pod.",
            "required": ["containers"],
            "properties": spec,
        }),
    );
    let mut status = Map::new();
    status.insert(
        "message".into(),
        string_field(
            "A human readable message indicating details about why the pod is in this condition.",
        ),
    );
    status.insert("phase".into(), string_field("The phase of a Pod is a simple, high-level summary of where the Pod is in its lifecycle: Pending, Running, Succeeded, Failed or Unknown."));
    status.insert("reason".into(), string_field("A brief CamelCase message indicating details about why the pod is in this state. e.g. 'Evicted'"));
    status.insert("hostIP".into(), string_field("hostIP holds the IP address of the host to which the pod is assigned. Empty if the pod has not started yet."));
    status.insert("podIP".into(), string_field("podIP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated."));
    status.insert("startTime".into(), object_field(&format!("{META}.Time"), "RFC 3339 date and time at which the object was acknowledged by the Kubelet. This is before the Kubelet pulled the container image(s) for the pod."));
    schemas.insert(format!("{pkg}.PodStatus"), json!({
        "type": "object",
        "description": "PodStatus represents information about the status of a pod. Status may trail the actual state of a system, especially if the node that hosts the pod cannot contact the control plane.",
        "properties": status,
    }));
}

pub(super) fn list_schema_for(r: &ResourceInfo, item: &str) -> Value {
    let mut props = Map::new();
    type_meta_fields(&mut props);
    props.insert(
        "items".into(),
        json!({"type": "array", "items": {"allOf": [schema_ref(item)], "default": {}}, "description": format!("The {} objects.", r.kind)}),
    );
    props.insert(
        "metadata".into(),
        object_field(&format!("{META}.ListMeta"), "Standard list metadata."),
    );
    json!({
        "type": "object",
        "description": format!("A list of {} objects.", r.kind),
        "required": ["items"],
        "properties": props,
        "x-kubernetes-group-version-kind": [{"group": r.group, "version": r.version, "kind": r.list_kind}],
    })
}

/// CertificateSigningRequest and its parts, described for `kubectl explain`.
pub(super) fn csr_schemas(pkg: &str, schemas: &mut Map<String, Value>) {
    let csr = &crate::api::resources::CSR;
    let mut props = Map::new();
    type_meta_fields(&mut props);
    props.insert(
        "metadata".into(),
        object_field(&format!("{META}.ObjectMeta"), "Standard object metadata."),
    );
    props.insert("spec".into(), object_field(&format!("{pkg}.CertificateSigningRequestSpec"),
        "The certificate request itself and the identity of its requester. Immutable after creation."));
    props.insert("status".into(), object_field(&format!("{pkg}.CertificateSigningRequestStatus"),
        "Whether the request is approved, denied or failed (conditions), and the issued certificate."));
    schemas.insert(format!("{pkg}.CertificateSigningRequest"), json!({
        "type": "object",
        "description": "CertificateSigningRequest objects provide a mechanism to obtain x509 certificates by submitting a certificate signing request, and having it asynchronously approved and issued by the signer named in spec.signerName. Requesters create them; approvers add an Approved or Denied condition through the approval subresource; signers put the certificate in status.certificate through the status subresource.",
        "required": ["spec"],
        "properties": props,
        "x-kubernetes-group-version-kind": [gvk(csr)],
    }));
    let mut spec = Map::new();
    spec.insert("request".into(), json!({"type": "string", "format": "byte",
        "description": "A PEM-encoded PKCS#10 certificate signing request (one \"CERTIFICATE REQUEST\" block), base64-encoded in JSON. Must be signed by the key it requests a certificate for.",
        "x-kubernetes-list-type": "atomic"}));
    spec.insert("signerName".into(), string_field("The signer that should issue the certificate: a qualified name such as kubernetes.io/kube-apiserver-client, kubernetes.io/kube-apiserver-client-kubelet, kubernetes.io/kubelet-serving, or a custom signer (example.com/my-signer). Immutable."));
    spec.insert("expirationSeconds".into(), json!({"type": "integer", "format": "int32",
        "description": "The requested lifetime of the certificate, at least 600 seconds. Signers may issue a shorter one; the built-in signers honour it up to their configured maximum."}));
    spec.insert("usages".into(), json!({"type": "array", "items": {"type": "string", "default": ""},
        "description": "The key usages and extended key usages requested, e.g. \"digital signature\", \"key encipherment\", \"client auth\", \"server auth\". Each signer accepts its own set.",
        "x-kubernetes-list-type": "atomic"}));
    spec.insert(
        "username".into(),
        string_field("The name of the user who created the request. Set by the server."),
    );
    spec.insert(
        "uid".into(),
        string_field("The uid of the user who created the request. Set by the server."),
    );
    spec.insert("groups".into(), json!({"type": "array", "items": {"type": "string", "default": ""},
        "description": "The groups of the user who created the request. Set by the server.", "x-kubernetes-list-type": "atomic"}));
    spec.insert("extra".into(), json!({"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string", "default": ""}},
        "description": "Extra attributes of the user who created the request. Set by the server."}));
    schemas.insert(
        format!("{pkg}.CertificateSigningRequestSpec"),
        json!({
            "type": "object",
            "description": "The certificate request and the identity of its requester.",
            "required": ["request", "signerName"],
            "properties": spec,
        }),
    );
    let mut status = Map::new();
    status.insert("conditions".into(), json!({"type": "array",
        "items": {"allOf": [schema_ref(&format!("{pkg}.CertificateSigningRequestCondition"))], "default": {}},
        "description": "Approved or Denied (set through the approval subresource), and Failed (set by the signer). Approved and Denied are mutually exclusive and cannot be removed once added.",
        "x-kubernetes-list-map-keys": ["type"], "x-kubernetes-list-type": "map"}));
    status.insert("certificate".into(), json!({"type": "string", "format": "byte",
        "description": "The issued certificate (PEM \"CERTIFICATE\" blocks, base64-encoded in JSON), set by the signer through the status subresource once the request is approved. Cannot be changed once set.",
        "x-kubernetes-list-type": "atomic"}));
    schemas.insert(
        format!("{pkg}.CertificateSigningRequestStatus"),
        json!({
            "type": "object",
            "description": "The state of the request and the issued certificate.",
            "properties": status,
        }),
    );
    let mut cond = Map::new();
    cond.insert(
        "type".into(),
        string_field("Approved, Denied, Failed, or another condition type."),
    );
    cond.insert(
        "status".into(),
        string_field("True, False or Unknown. Approved, Denied and Failed must be True."),
    );
    cond.insert(
        "reason".into(),
        string_field("A brief machine-readable reason for the condition."),
    );
    cond.insert(
        "message".into(),
        string_field("A human-readable explanation of the condition."),
    );
    cond.insert(
        "lastUpdateTime".into(),
        object_field(
            &format!("{META}.Time"),
            "When the condition was last updated.",
        ),
    );
    cond.insert(
        "lastTransitionTime".into(),
        object_field(
            &format!("{META}.Time"),
            "When the condition last changed status.",
        ),
    );
    schemas.insert(
        format!("{pkg}.CertificateSigningRequestCondition"),
        json!({
            "type": "object",
            "description": "One condition of a CertificateSigningRequest.",
            "required": ["type", "status"],
            "properties": cond,
        }),
    );
}

pub(super) fn meta_schemas(schemas: &mut Map<String, Value>) {
    let mut om = Map::new();
    om.insert("name".into(), string_field("Unique name of the object within its namespace (or cluster-wide for cluster-scoped kinds)."));
    om.insert(
        "generateName".into(),
        string_field("A prefix the server completes with a random suffix when name is empty."),
    );
    om.insert(
        "namespace".into(),
        string_field("The namespace of a namespaced object."),
    );
    om.insert(
        "uid".into(),
        string_field("Unique id the server assigns at creation."),
    );
    om.insert("resourceVersion".into(), string_field("Opaque version of the object, changed by every write; used for optimistic concurrency and watches."));
    om.insert("generation".into(), json!({"type": "integer", "format": "int64", "description": "Sequence number of changes to the desired state."}));
    om.insert(
        "creationTimestamp".into(),
        object_field(
            &format!("{META}.Time"),
            "When the object was created (set by the server).",
        ),
    );
    om.insert(
        "deletionTimestamp".into(),
        object_field(
            &format!("{META}.Time"),
            "When the object will be deleted (set by the server).",
        ),
    );
    om.insert("labels".into(), json!({"type": "object", "additionalProperties": {"type": "string", "default": ""}, "description": "String keys and values used to organize and select objects."}));
    om.insert("annotations".into(), json!({"type": "object", "additionalProperties": {"type": "string", "default": ""}, "description": "Arbitrary non-identifying metadata."}));
    om.insert("deletionGracePeriodSeconds".into(), json!({"type": "integer", "format": "int64", "description": "Seconds allowed for a graceful deletion (set by the server)."}));
    om.insert(
        "selfLink".into(),
        string_field("Deprecated; not set by the server."),
    );
    // The patch extensions are the Go struct's `patchStrategy`/`patchMergeKey` tags: a
    // client-side `kubectl apply` merges these lists by them (openapi_v2.rs).
    om.insert("finalizers".into(), json!({"type": "array", "items": {"type": "string", "default": ""}, "description": "Entries that must be removed before the object is deleted.", "x-kubernetes-list-type": "set", "x-kubernetes-patch-strategy": "merge"}));
    om.insert("ownerReferences".into(), json!({"type": "array", "items": {"type": "object"}, "description": "Objects this object depends on.", "x-kubernetes-list-map-keys": ["uid"], "x-kubernetes-list-type": "map", "x-kubernetes-patch-merge-key": "uid", "x-kubernetes-patch-strategy": "merge"}));
    om.insert("managedFields".into(), json!({"type": "array", "items": {"type": "object"}, "description": "Which field manager set which fields (server-side apply)."}));
    schemas.insert(
        format!("{META}.ObjectMeta"),
        json!({
            "type": "object",
            "description": "Metadata every persisted object has.",
            "properties": om,
        }),
    );
    schemas.insert(format!("{META}.ListMeta"), json!({
        "type": "object",
        "description": "Metadata of a list: its resourceVersion and continue token.",
        "properties": {
            "resourceVersion": string_field("The version of the list."),
            "continue": string_field("Token to request the next page, when the list was limited."),
            "remainingItemCount": {"type": "integer", "format": "int64", "description": "Items left after this page, when known."},
        },
    }));
    schemas.insert(
        format!("{META}.Time"),
        json!({
            "type": "string", "format": "date-time",
            "description": "An RFC 3339 timestamp with seconds precision, in UTC.",
        }),
    );
    schemas.insert(format!("{META}.Patch"), json!({
        "type": "object",
        "description": "A patch document: JSON patch, merge patch or server-side apply configuration.",
    }));
    schemas.insert(
        format!("{META}.Status"),
        json!({
            "type": "object",
            "description": "The result of an operation that returns no object.",
            "x-kubernetes-group-version-kind": [{"group": "", "version": "v1", "kind": "Status"}],
        }),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The index lists every served group version with a hashed URL to its document, and the
    /// certificates document answers kubectl's two questions: which kind a path serves (for
    /// explain) and whether PATCH takes `fieldValidation` (on every CSR PATCH operation, since
    /// kubectl stops at the first one it meets in map order), without advertising strategic
    /// merge patches.
    #[test]
    fn index_and_certificates_document() {
        let idx = index();
        let url = idx["paths"]["apis/certificates.k8s.io/v1"]["serverRelativeURL"]
            .as_str()
            .unwrap();
        assert!(url.starts_with("/openapi/v3/apis/certificates.k8s.io/v1?hash="));
        assert!(idx["paths"]["api/v1"].is_object());
        assert!(idx["paths"]["apis/rbac.authorization.k8s.io/v1"].is_object());
        let d = document("apis/certificates.k8s.io/v1").unwrap();
        assert!(url.ends_with(&d.hash));
        let doc: Value = serde_json::from_slice(&d.json).unwrap();
        let mut patches = 0;
        for (path, item) in doc["paths"].as_object().unwrap() {
            if let Some(p) = item.get("patch") {
                patches += 1;
                assert_eq!(
                    p["x-kubernetes-group-version-kind"]["kind"],
                    "CertificateSigningRequest"
                );
                let names: Vec<&str> = p["parameters"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|x| x["name"].as_str().unwrap())
                    .collect();
                assert!(names.contains(&"fieldValidation"), "{path}");
                assert!(p["requestBody"]["content"]
                    .get("application/strategic-merge-patch+json")
                    .is_none());
            }
        }
        assert_eq!(patches, 3, "the object, /approval and /status");
        let csr =
            &doc["components"]["schemas"]["io.k8s.api.certificates.v1.CertificateSigningRequest"];
        assert_eq!(
            csr["x-kubernetes-group-version-kind"][0]["kind"],
            "CertificateSigningRequest"
        );
        let spec = &doc["components"]["schemas"]
            ["io.k8s.api.certificates.v1.CertificateSigningRequestSpec"];
        assert_eq!(spec["required"], json!(["request", "signerName"]));
        // every $ref resolves inside the document
        let text = String::from_utf8(d.json.clone()).unwrap();
        for part in text.split("\"$ref\":\"#/components/schemas/").skip(1) {
            let name = &part[..part.find('"').unwrap()];
            assert!(doc["components"]["schemas"].get(name).is_some(), "{name}");
        }
    }

    /// A namespace's subresources are in `api/v1` as upstream's `api__v1_openapi.json` lists
    /// them: `/status` (get, put, patch) and `/finalize` (put only), on the Namespace kind.
    #[test]
    fn namespace_subresources_in_the_core_document() {
        let d = document("api/v1").unwrap();
        let doc: Value = serde_json::from_slice(&d.json).unwrap();
        let cases: &[(&str, &[&str])] = &[
            ("/api/v1/namespaces/{name}/status", &["get", "patch", "put"]),
            ("/api/v1/namespaces/{name}/finalize", &["put"]),
        ];
        for (path, want) in cases {
            let item = doc["paths"][path].as_object().expect(path);
            let mut got: Vec<&str> = item
                .keys()
                .map(|k| k.as_str())
                .filter(|k| *k != "parameters")
                .collect();
            got.sort();
            assert_eq!(got, *want, "{path}");
            for m in *want {
                assert_eq!(
                    item[*m]["x-kubernetes-group-version-kind"],
                    json!({"group": "", "version": "v1", "kind": "Namespace"}),
                    "{path} {m}"
                );
            }
            let params: Vec<&str> = item["parameters"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p["name"].as_str().unwrap())
                .collect();
            assert_eq!(params, ["name"], "{path}");
        }
        let put = &doc["paths"]["/api/v1/namespaces/{name}/finalize"]["put"];
        assert_eq!(put["x-kubernetes-action"], "put");
        assert!(put["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["name"] == "fieldValidation"));
    }
}
