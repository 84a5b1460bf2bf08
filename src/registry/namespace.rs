//! Namespaces (`pkg/registry/core/namespace`, `pkg/controller/namespace/deletion`): the v1
//! defaults (phase `Active`, the `kubernetes.io/metadata.name` label), status and finalizer
//! validation, the deletion conditions the namespace controller writes, and
//! NamespaceLifecycle's refusal to create in a terminating namespace.

use crate::api::resources::ResourceInfo;
use crate::api::status::Status;
use crate::api::Time;
use crate::validation::{names, FieldError};
use serde_json::{json, Value};

/// `SetDefaults_NamespaceStatus`: an empty `status.phase` is `Active` (the status is a
/// struct, so every decoded Namespace is defaulted, with or without a `status`).
pub(crate) fn default_namespace_phase(info: &ResourceInfo, obj: &mut Value) {
    if info.resource != "namespaces" || !obj.is_object() {
        return;
    }
    if !obj["status"].is_object() {
        obj["status"] = json!({});
    }
    if obj["status"]["phase"].as_str().unwrap_or("").is_empty() {
        obj["status"]["phase"] = json!("Active");
    }
}

/// `ValidateNamespaceStatusUpdate`: the phase follows `metadata.deletionTimestamp` (the field
/// path is upstream's `status.Phase`).
pub(crate) fn validate_namespace_phase(obj: &Value) -> Vec<FieldError> {
    let phase = obj["status"]["phase"].as_str().unwrap_or("");
    let deleting = !obj["metadata"]["deletionTimestamp"].is_null();
    match (deleting, phase) {
        (false, "Active") | (true, "Terminating") => Vec::new(),
        (false, p) => vec![FieldError::invalid(
            "status.Phase",
            p,
            "may only be 'Active' if `deletionTimestamp` is empty",
        )],
        (true, p) => vec![FieldError::invalid(
            "status.Phase",
            p,
            "may only be 'Terminating' if `deletionTimestamp` is not empty",
        )],
    }
}

/// `SetDefaults_Namespace` (and the namespace strategy's `Canonicalize`): a named namespace
/// carries the label `kubernetes.io/metadata.name` with its name.
pub(crate) fn default_namespace_label(info: &ResourceInfo, obj: &mut Value) {
    if info.resource != "namespaces" {
        return;
    }
    let name = obj["metadata"]["name"].as_str().unwrap_or("").to_string();
    if name.is_empty() || !obj.get("metadata").is_some_and(Value::is_object) {
        return;
    }
    let labels = &mut obj["metadata"]["labels"];
    if !labels.is_object() {
        *labels = json!({});
    }
    labels["kubernetes.io/metadata.name"] = json!(name);
}

/// `validateFinalizerName` of each of a namespace's `spec.finalizers`: a qualified name, and
/// one without a `/` must be a standard one (`kubernetes`, `orphan`, `foregroundDeletion`).
pub(crate) fn validate_namespace_finalizers(obj: &Value) -> Vec<FieldError> {
    let mut errs = Vec::new();
    for (i, f) in obj["spec"]["finalizers"]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
    {
        let f = f.as_str().unwrap_or_default();
        let path = format!("spec.finalizers[{i}]");
        for msg in names::qualified_name(f) {
            errs.push(FieldError::invalid(&path, f, msg));
        }
        if !f.contains('/') && !matches!(f, "kubernetes" | "orphan" | "foregroundDeletion") {
            errs.push(FieldError::invalid(
                &path,
                f,
                "name is neither a standard finalizer name nor is it fully qualified",
            ));
        }
    }
    errs
}

pub(crate) fn count(v: &mut Vec<(String, usize)>, key: &str) {
    match v.iter_mut().find(|(k, _)| k == key) {
        Some((_, n)) => *n += 1,
        None => v.push((key.to_string(), 1)),
    }
}

/// The namespace controller's deletion conditions (`namespaceConditionUpdater` in
/// `pkg/controller/namespace/deletion/status_condition_utils.go`): its five condition types
/// in order, `False` with their "ok" reason and message unless content remains
/// (`SomeResourcesRemain`, `SomeFinalizerRemain`, lines sorted); an existing condition keeps
/// its transition time unless its status changes. `None` when nothing changed.
pub(crate) fn namespace_deletion_conditions(
    status: &Value,
    by_resource: &[(String, usize)],
    by_finalizer: &[(String, usize)],
    now: Time,
) -> Option<Value> {
    let remaining = |items: &[(String, usize)], what: &str| -> Option<String> {
        if items.is_empty() {
            return None;
        }
        let mut lines: Vec<String> = items
            .iter()
            .map(|(k, n)| format!("{k}{what}{n} resource instances"))
            .collect();
        lines.sort();
        Some(lines.join(", "))
    };
    let content = remaining(by_resource, " has ");
    let finalizers = remaining(by_finalizer, " in ");
    let wanted: [(&str, &str, String, bool); 5] = [
        (
            "NamespaceDeletionDiscoveryFailure",
            "ResourcesDiscovered",
            "All resources successfully discovered".into(),
            false,
        ),
        (
            "NamespaceDeletionGroupVersionParsingFailure",
            "ParsedGroupVersions",
            "All legacy kube types successfully parsed".into(),
            false,
        ),
        (
            "NamespaceDeletionContentFailure",
            "ContentDeleted",
            "All content successfully deleted, may be waiting on finalization".into(),
            false,
        ),
        match &content {
            Some(m) => (
                "NamespaceContentRemaining",
                "SomeResourcesRemain",
                format!("Some resources are remaining: {m}"),
                true,
            ),
            None => (
                "NamespaceContentRemaining",
                "ContentRemoved",
                "All content successfully removed".into(),
                false,
            ),
        },
        match &finalizers {
            Some(m) => (
                "NamespaceFinalizersRemaining",
                "SomeFinalizerRemain",
                format!("Some finalizers are remaining: {m}"),
                true,
            ),
            None => (
                "NamespaceFinalizersRemaining",
                "ContentRemoved",
                "All content successfully removed".into(),
                false,
            ),
        },
    ];
    let mut conditions: Vec<Value> = status["conditions"].as_array().cloned().unwrap_or_default();
    let mut changed = false;
    for (ty, reason, message, on) in wanted {
        let st = if on { "True" } else { "False" };
        match conditions.iter_mut().find(|c| c["type"] == ty) {
            None => {
                conditions.push(json!({"type": ty, "status": st, "lastTransitionTime": now,
                    "reason": reason, "message": message}));
                changed = true;
            }
            Some(c) if c["status"] != st || c["reason"] != reason || c["message"] != message => {
                if c["status"] != st {
                    c["lastTransitionTime"] = json!(now);
                }
                c["status"] = json!(st);
                c["reason"] = json!(reason);
                c["message"] = json!(message);
                changed = true;
            }
            Some(_) => {}
        }
    }
    if !changed {
        return None;
    }
    let mut status = status.clone();
    if !status.is_object() {
        status = json!({});
    }
    status["conditions"] = Value::Array(conditions);
    Some(status)
}

/// NamespaceLifecycle's refusal of a create in a namespace being terminated: 403 with a
/// `NamespaceTerminating` cause on `metadata.namespace`.
pub(crate) fn terminating_namespace(info: &ResourceInfo, name: &str, ns: &str) -> Status {
    let mut st = Status::forbidden(
        &info.group_resource(),
        name,
        &format!("unable to create new content in namespace {ns} because it is being terminated"),
    );
    if let Some(d) = st.details.as_mut() {
        d.causes.push(crate::api::status::StatusCause {
            reason: "NamespaceTerminating".into(),
            message: format!("namespace {ns} is being terminated"),
            field: "metadata.namespace".into(),
        });
    }
    st
}
