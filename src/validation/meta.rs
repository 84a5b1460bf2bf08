//! Generic ObjectMeta validation (`apimachinery/pkg/api/validation/objectmeta.go`), the parts
//! that matter for the kinds csrsim serves.

use super::field::FieldError;
use crate::api::managed_fields::ManagedFields;
use crate::api::ObjectMeta;
use serde_json::Value;

/// `ValidateAnnotationsSize`: the annotations' keys and values together, at most 256 KiB.
pub const TOTAL_ANNOTATION_SIZE_LIMIT: usize = 256 * 1024;

/// `ValidateObjectMeta` with a no-op name validator (CSR names are free-form), plus the
/// namespace rule for cluster- vs namespace-scoped kinds and label/annotation checks.
pub fn validate_object_meta(m: &ObjectMeta, namespaced: bool) -> Vec<FieldError> {
    let mut errs = Vec::new();
    if m.name.is_empty() && m.generate_name.is_empty() {
        errs.push(FieldError::required(
            "metadata.name",
            "name or generateName is required",
        ));
    }
    if namespaced {
        if m.namespace.is_empty() {
            errs.push(FieldError::required("metadata.namespace", ""));
        }
    } else if !m.namespace.is_empty() {
        errs.push(FieldError::forbidden(
            "metadata.namespace",
            "not allowed on this type",
        ));
    }
    errs.extend(validate_generation(m));
    errs.extend(validate_labels_annotations_owners(m));
    errs.extend(validate_finalizers(&m.finalizers));
    errs.extend(validate_managed_fields(&m.managed_fields));
    errs
}

/// The rules `ValidateObjectMeta` and `ValidateObjectMetaUpdate` share, in their order:
/// `ValidateLabels`, `ValidateAnnotations`, `ValidateOwnerReferences`.
fn validate_labels_annotations_owners(m: &ObjectMeta) -> Vec<FieldError> {
    let mut errs = Vec::new();
    // `ValidateLabels`: each key a qualified name, each value `IsValidLabelValue`.
    for (k, v) in &m.labels {
        for e in super::names::qualified_name(k) {
            errs.push(FieldError::invalid("metadata.labels", k, e));
        }
        for e in label_value(v) {
            errs.push(FieldError::invalid("metadata.labels", v, e));
        }
    }
    // `ValidateAnnotations`: each key (lowercased) a qualified name, then the total size.
    for k in m.annotations.keys() {
        for e in super::names::qualified_name(&k.to_ascii_lowercase()) {
            errs.push(FieldError::invalid("metadata.annotations", k, e));
        }
    }
    let total: usize = m.annotations.iter().map(|(k, v)| k.len() + v.len()).sum();
    if total > TOTAL_ANNOTATION_SIZE_LIMIT {
        errs.push(FieldError::too_long(
            "metadata.annotations",
            TOTAL_ANNOTATION_SIZE_LIMIT,
        ));
    }
    errs.extend(validate_owner_references(&m.owner_references));
    errs
}

/// `ValidateOwnerReferences`: per entry `validateOwnerReference` — the version of apiVersion
/// (`schema.FromAPIVersionAndKind`: none when it is empty, ends in `/` or has two `/`), kind,
/// name and uid must not be empty, and the owner's kind may not be one of `BannedOwners`
/// (core v1 Event) — then at most one entry with `controller: true`.
fn validate_owner_references(refs: &[Value]) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let path = "metadata.ownerReferences";
    let mut first_controller: Option<String> = None;
    for (i, r) in refs.iter().enumerate() {
        let s = |k: &str| r.get(k).and_then(Value::as_str).unwrap_or("");
        let api_version = s("apiVersion");
        let (group, version) = match api_version.matches('/').count() {
            0 => ("", api_version),
            1 => api_version.split_once('/').unwrap_or(("", "")),
            _ => ("", ""),
        };
        if version.is_empty() {
            errs.push(FieldError::invalid(
                format!("{path}.apiVersion"),
                api_version,
                "version must not be empty",
            ));
        }
        for f in ["kind", "name", "uid"] {
            if s(f).is_empty() {
                errs.push(FieldError::invalid(
                    format!("{path}.{f}"),
                    "",
                    "must not be empty",
                ));
            }
        }
        if group.is_empty() && version == "v1" && s("kind") == "Event" {
            errs.push(FieldError::invalid_raw(
                path,
                go_owner_reference(r, i),
                format!(
                    "{group}/{version}, Kind={} is disallowed from being an owner",
                    s("kind")
                ),
            ));
        }
        if r.get("controller").and_then(Value::as_bool) == Some(true) {
            let current = format!("{}/{}", s("kind"), s("name"));
            match &first_controller {
                Some(first) => errs.push(FieldError::invalid_raw(
                    path,
                    go_owner_references(refs),
                    format!(
                        "Only one reference can have Controller set to true. Found \"true\" in references for {first} and {current}"
                    ),
                )),
                None => first_controller = Some(current),
            }
        }
    }
    errs
}

/// The handlers' `dedupOwnerReferences`: an entry whose uid was seen and which equals an
/// entry kept so far (as the decoded `metav1.OwnerReference`: the four strings and the two
/// `*bool`s; unknown keys and `null` do not count) is dropped. Returns the dropped entries'
/// uids, in order; nothing changes when there are none.
pub fn dedup_owner_references(obj: &mut Value) -> Vec<String> {
    let Some(refs) = obj
        .get_mut("metadata")
        .and_then(|m| m.get_mut("ownerReferences"))
        .and_then(Value::as_array_mut)
    else {
        return Vec::new();
    };
    type Decoded<'a> = (
        &'a str,
        &'a str,
        &'a str,
        &'a str,
        Option<bool>,
        Option<bool>,
    );
    fn decoded(r: &Value) -> Decoded<'_> {
        let s = |k: &str| r.get(k).and_then(Value::as_str).unwrap_or("");
        let b = |k: &str| r.get(k).and_then(Value::as_bool);
        (
            s("apiVersion"),
            s("kind"),
            s("name"),
            s("uid"),
            b("controller"),
            b("blockOwnerDeletion"),
        )
    }
    let mut keep = Vec::with_capacity(refs.len());
    let mut duplicates = Vec::new();
    for (i, r) in refs.iter().enumerate() {
        let d = decoded(r);
        if keep.iter().any(|&j: &usize| decoded(&refs[j]) == d) {
            duplicates.push(d.3.to_string());
        } else {
            keep.push(i);
        }
    }
    if !duplicates.is_empty() {
        let mut i = 0;
        refs.retain(|_| {
            i += 1;
            keep.contains(&(i - 1))
        });
    }
    duplicates
}

/// Go's `%#v` of a `[]metav1.OwnerReference`, as field.Error prints the list.
fn go_owner_references(refs: &[Value]) -> String {
    let items: Vec<String> = refs
        .iter()
        .enumerate()
        .map(|(i, r)| go_owner_reference(r, i))
        .collect();
    format!("[]v1.OwnerReference{{{}}}", items.join(", "))
}

/// Go's `%#v` of one `metav1.OwnerReference`. Its two `*bool` fields print as addresses; a
/// set one gets a stable stand-in for the heap address Go would show (`0xc000…`).
fn go_owner_reference(r: &Value, i: usize) -> String {
    let s = |k: &str| super::field::quote(r.get(k).and_then(Value::as_str).unwrap_or(""));
    let ptr = |k: &str, slot: usize| match r.get(k).and_then(Value::as_bool) {
        Some(_) => format!("(*bool)(0xc000{:06x})", 0x5a_0000 + 16 * (2 * i + slot)),
        None => "(*bool)(nil)".to_string(),
    };
    format!(
        "v1.OwnerReference{{APIVersion:{}, Kind:{}, Name:{}, UID:{}, Controller:{}, BlockOwnerDeletion:{}}}",
        s("apiVersion"),
        s("kind"),
        s("name"),
        s("uid"),
        ptr("controller", 0),
        ptr("blockOwnerDeletion", 1)
    )
}

/// `ValidateNonnegativeField` of `metadata.generation` (the common ObjectMeta rules; an
/// update's generation is the old object's, restored by `rest.BeforeUpdate`).
fn validate_generation(m: &ObjectMeta) -> Vec<FieldError> {
    match m.generation {
        Some(g) if g < 0 => vec![FieldError::invalid_raw(
            "metadata.generation",
            g.to_string(),
            "must be greater than or equal to 0",
        )],
        _ => Vec::new(),
    }
}

/// `FieldManagerMaxLength` and `MaxSubresourceNameLength` of meta/v1 validation.
const FIELD_MANAGER_MAX: usize = 128;
const SUBRESOURCE_MAX: usize = 256;

/// `ValidateManagedFields` (`apimachinery/pkg/apis/meta/v1/validation`), the last of the
/// common ObjectMeta rules: per entry the operation (`Apply` or `Update`), a non-empty
/// fieldsType other than `FieldsV1`, the manager as `ValidateFieldManager` (at most 128 bytes,
/// printable characters only) and the subresource (at most 256 bytes). The field manager has
/// already dropped entries that do not decode, so what can fail here is the manager and the
/// subresource of entries a client sent.
pub fn validate_managed_fields(mf: &ManagedFields) -> Vec<FieldError> {
    let mut errs = Vec::new();
    match mf {
        ManagedFields::Empty => {}
        ManagedFields::Entries(entries) => {
            for (i, e) in entries.iter().enumerate() {
                check_managed_fields_entry(
                    i,
                    &e.operation,
                    "FieldsV1",
                    &e.manager,
                    &e.subresource,
                    &mut errs,
                );
            }
        }
        ManagedFields::Json(entries) => {
            for (i, e) in entries.iter().enumerate() {
                let s = |k: &str| e.get(k).and_then(Value::as_str).unwrap_or("");
                check_managed_fields_entry(
                    i,
                    s("operation"),
                    s("fieldsType"),
                    s("manager"),
                    s("subresource"),
                    &mut errs,
                );
            }
        }
    }
    errs
}

fn check_managed_fields_entry(
    i: usize,
    operation: &str,
    fields_type: &str,
    manager: &str,
    subresource: &str,
    errs: &mut Vec<FieldError>,
) {
    let path = |f: &str| format!("metadata.managedFields[{i}].{f}");
    if !matches!(operation, "Apply" | "Update") {
        errs.push(FieldError::invalid(
            path("operation"),
            operation,
            "must be `Apply` or `Update`",
        ));
    }
    if !fields_type.is_empty() && fields_type != "FieldsV1" {
        errs.push(FieldError::invalid(
            path("fieldsType"),
            fields_type,
            "must be `FieldsV1`",
        ));
    }
    errs.extend(validate_field_manager(manager, &path("manager")));
    if subresource.len() > SUBRESOURCE_MAX {
        errs.push(FieldError::too_long(path("subresource"), SUBRESOURCE_MAX));
    }
}

/// `ValidateFieldManager`: at most 128 bytes, and every character printable (`unicode.IsPrint`;
/// one error per character that is not, at its byte position).
pub fn validate_field_manager(manager: &str, path: &str) -> Vec<FieldError> {
    let mut errs = Vec::new();
    if manager.len() > FIELD_MANAGER_MAX {
        errs.push(FieldError::too_long(path, FIELD_MANAGER_MAX));
    }
    for (pos, c) in manager.char_indices() {
        if !super::field::go_is_print(c) {
            errs.push(FieldError::invalid(
                path,
                manager,
                format!(
                    "invalid character {} (at position {pos})",
                    super::field::go_sharp_u(c)
                ),
            ));
        }
    }
    errs
}

/// Whether `managedFields` as a client sent them decode (`DecodeManagedFields`): each entry's
/// operation `Apply` or `Update`, a non-empty apiVersion, fieldsType `FieldsV1`, and fieldsV1
/// a set structure-merge-diff can read. When they do not, the field manager takes the live
/// object's entries instead (`decodeLiveOrNew`); nothing is reported.
pub fn managed_fields_decode(entries: &[Value]) -> bool {
    entries.iter().all(|e| {
        let s = |k: &str| e.get(k).and_then(Value::as_str).unwrap_or("");
        matches!(s("operation"), "Apply" | "Update")
            && !s("apiVersion").is_empty()
            && s("fieldsType") == "FieldsV1"
            && e.get("fieldsV1").is_none_or(fields_v1_reads)
    })
}

/// `Set.FromJSON` of a FieldsV1 value succeeds: `null` or an object whose keys are `.` (any
/// value) or path elements whose values read the same way. A key of an unknown element type
/// (`x:…`) is skipped with its value; one shorter than two bytes, without the colon, or with
/// a `k:`/`v:`/`i:` payload that does not parse is an error.
fn fields_v1_reads(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Object(m) => m.iter().all(|(k, child)| {
            if k == "." {
                return true;
            }
            let b = k.as_bytes();
            if b.len() < 2 || b[1] != b':' {
                return false;
            }
            let rest = &k[2..];
            match b[0] {
                b'f' => fields_v1_reads(child),
                b'v' => first_json_value(rest).is_some() && fields_v1_reads(child),
                b'k' => {
                    matches!(first_json_value(rest), Some(Value::Object(_) | Value::Null))
                        && fields_v1_reads(child)
                }
                b'i' => rest.parse::<i64>().is_ok() && fields_v1_reads(child),
                _ => true,
            }
        }),
        _ => false,
    }
}

/// The first JSON value of `s` (a path element's payload is read as one value; what follows
/// it is not looked at).
fn first_json_value(s: &str) -> Option<Value> {
    serde_json::Deserializer::from_str(s)
        .into_iter::<Value>()
        .next()
        .and_then(Result::ok)
}

/// `decodeLiveOrNew` for a request object: `metadata.managedFields` that are neither a reset
/// (`[]`, `[{}]`) nor decodable are replaced by `live`'s entries (removed when `live` has
/// none, as on a create). Returns whether it replaced them.
pub fn replace_undecodable_managed_fields(obj: &mut Value, live: Option<&Value>) -> bool {
    let Some(meta) = obj.get_mut("metadata").and_then(Value::as_object_mut) else {
        return false;
    };
    let Some(entries) = meta.get("managedFields").and_then(Value::as_array) else {
        return false;
    };
    let reset = entries.is_empty()
        || (entries.len() == 1 && entries[0].as_object().is_some_and(|o| o.is_empty()));
    if reset || managed_fields_decode(entries) {
        return false;
    }
    match live
        .and_then(|l| l.get("metadata"))
        .and_then(|m| m.get("managedFields"))
        .filter(|v| !v.is_null())
    {
        Some(l) => {
            meta.insert("managedFields".into(), l.clone());
        }
        None => {
            meta.shift_remove("managedFields");
        }
    }
    true
}

/// `ValidateFinalizers`: each name a qualified name; `orphan` and `foregroundDeletion` not
/// both.
pub fn validate_finalizers(finalizers: &[String]) -> Vec<FieldError> {
    use crate::registry::deletion::{FOREGROUND, ORPHAN};
    let mut errs = Vec::new();
    for f in finalizers {
        for msg in super::names::qualified_name(f) {
            errs.push(FieldError::invalid("metadata.finalizers", f, msg));
        }
    }
    if finalizers.iter().any(|f| f == ORPHAN) && finalizers.iter().any(|f| f == FOREGROUND) {
        errs.push(FieldError::invalid_raw(
            "metadata.finalizers",
            go_string_slice(finalizers),
            format!("finalizer {ORPHAN} and {FOREGROUND} cannot be both set"),
        ));
    }
    errs
}

/// Go's `%#v` of a `[]string`: `[]string{"a", "b"}`.
fn go_string_slice(xs: &[String]) -> String {
    let items: Vec<String> = xs.iter().map(|s| super::field::quote(s)).collect();
    format!("[]string{{{}}}", items.join(", "))
}

/// `ValidateNoNewFinalizers`, the first rule of `ValidateObjectMetaUpdate`: an object being
/// deleted may lose finalizers but not gain any.
pub fn validate_no_new_finalizers(new: &[String], old: &ObjectMeta) -> Vec<FieldError> {
    if old.deletion_timestamp.is_none() {
        return Vec::new();
    }
    let extra: std::collections::BTreeSet<&String> =
        new.iter().filter(|f| !old.finalizers.contains(f)).collect();
    if extra.is_empty() {
        return Vec::new();
    }
    let extra: Vec<String> = extra.into_iter().cloned().collect();
    vec![FieldError::forbidden(
        "metadata.finalizers",
        format!(
            "no new finalizers can be added if the object is being deleted, found new finalizers {}",
            go_string_slice(&extra)
        ),
    )]
}

/// `IsValidLabelValue`: at most 63 characters, and empty or the label-value pattern.
pub(crate) fn label_value(v: &str) -> Vec<&'static str> {
    let mut errs = Vec::new();
    if v.len() > 63 {
        errs.push("must be no more than 63 bytes");
    }
    let b = v.as_bytes();
    let ok = b.is_empty()
        || (b
            .iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
            && b[0].is_ascii_alphanumeric()
            && b[b.len() - 1].is_ascii_alphanumeric());
    if !ok {
        errs.push("a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')");
    }
    errs
}

/// `ValidateObjectMetaUpdate`: identity fields are immutable; then labels, annotations, owner
/// references and managedFields are validated as on create.
pub fn validate_object_meta_update(new: &ObjectMeta, old: &ObjectMeta) -> Vec<FieldError> {
    let mut errs = validate_no_new_finalizers(&new.finalizers, old);
    if new.name != old.name {
        errs.push(FieldError::invalid(
            "metadata.name",
            &new.name,
            "field is immutable",
        ));
    }
    if new.namespace != old.namespace {
        errs.push(FieldError::invalid(
            "metadata.namespace",
            &new.namespace,
            "field is immutable",
        ));
    }
    if new.uid != old.uid {
        errs.push(FieldError::invalid(
            "metadata.uid",
            &new.uid,
            "field is immutable",
        ));
    }
    if new.creation_timestamp != old.creation_timestamp {
        let v = new
            .creation_timestamp
            .map(|t| t.to_rfc3339())
            .unwrap_or_default();
        errs.push(FieldError::invalid(
            "metadata.creationTimestamp",
            &v,
            "field is immutable",
        ));
    }
    errs.extend(validate_deletion_fields_update(new, old));
    errs.extend(validate_labels_annotations_owners(new));
    errs.extend(validate_managed_fields(&new.managed_fields));
    errs
}

/// `ValidateObjectMetaUpdate`'s `ValidateImmutableField` of `deletionTimestamp` and
/// `deletionGracePeriodSeconds` (an update may only set them where `BeforeUpdate` did not
/// restore the old ones: on an object not being deleted). The bad value is printed as
/// field.Error does a dereferenced pointer: the time's `String()`, the number, or `"null"`.
pub fn validate_deletion_fields_update(new: &ObjectMeta, old: &ObjectMeta) -> Vec<FieldError> {
    let mut errs = Vec::new();
    if new.deletion_timestamp != old.deletion_timestamp {
        let v = match new.deletion_timestamp {
            Some(t) => t.go_string(),
            None => "\"null\"".to_string(),
        };
        errs.push(FieldError::invalid_raw(
            "metadata.deletionTimestamp",
            v,
            "field is immutable",
        ));
    }
    if new.deletion_grace_period_seconds != old.deletion_grace_period_seconds {
        let v = match new.deletion_grace_period_seconds {
            Some(n) => n.to_string(),
            None => "\"null\"".to_string(),
        };
        errs.push(FieldError::invalid_raw(
            "metadata.deletionGracePeriodSeconds",
            v,
            "field is immutable",
        ));
    }
    errs
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn meta(v: Value) -> ObjectMeta {
        serde_json::from_value(v).unwrap()
    }

    fn texts(errs: &[FieldError]) -> Vec<String> {
        errs.iter().map(ToString::to_string).collect()
    }

    fn entry(manager: &str, op: &str, api: &str, ft: &str, fv: Value) -> Value {
        json!({"manager": manager, "operation": op, "apiVersion": api, "fieldsType": ft, "fieldsV1": fv})
    }

    #[test]
    fn managed_fields_decode_as_decode_managed_fields() {
        let v = "v1";
        let cases: Vec<(&str, Value, bool)> = vec![
            (
                "valid",
                entry(
                    "m",
                    "Update",
                    v,
                    "FieldsV1",
                    json!({"f:a": {".": {}, "f:b": {}}}),
                ),
                true,
            ),
            ("apply", entry("m", "Apply", v, "FieldsV1", json!({})), true),
            (
                "no fieldsV1",
                json!({"manager": "m", "operation": "Update", "apiVersion": v, "fieldsType": "FieldsV1"}),
                true,
            ),
            (
                "null fieldsV1",
                entry("m", "Update", v, "FieldsV1", Value::Null),
                true,
            ),
            (
                "unknown element type skipped",
                entry("m", "Update", v, "FieldsV1", json!({"x:y": 5})),
                true,
            ),
            (
                "keys and values",
                entry(
                    "m",
                    "Update",
                    v,
                    "FieldsV1",
                    json!({"f:l": {"k:{\"type\":\"A\"}": {}, "v:\"x\"": {}, "i:-3": {}}}),
                ),
                true,
            ),
            (
                "dot takes any value",
                entry("m", "Update", v, "FieldsV1", json!({"f:a": {".": 1}})),
                true,
            ),
            (
                "operation",
                entry("m", "Foo", v, "FieldsV1", json!({})),
                false,
            ),
            (
                "no operation",
                json!({"manager": "m", "apiVersion": v, "fieldsType": "FieldsV1"}),
                false,
            ),
            (
                "apiVersion",
                entry("m", "Update", "", "FieldsV1", json!({})),
                false,
            ),
            (
                "empty fieldsType",
                entry("m", "Update", v, "", json!({})),
                false,
            ),
            (
                "fieldsType",
                entry("m", "Update", v, "FieldsV2", json!({})),
                false,
            ),
            (
                "not an object",
                entry("m", "Update", v, "FieldsV1", json!("x")),
                false,
            ),
            (
                "child not an object",
                entry("m", "Update", v, "FieldsV1", json!({"f:a": []})),
                false,
            ),
            (
                "short key",
                entry("m", "Update", v, "FieldsV1", json!({"f": {}})),
                false,
            ),
            (
                "no colon",
                entry("m", "Update", v, "FieldsV1", json!({"fxa": {}})),
                false,
            ),
            (
                "bad key",
                entry("m", "Update", v, "FieldsV1", json!({"k:[1]": {}})),
                false,
            ),
            (
                "bad value",
                entry("m", "Update", v, "FieldsV1", json!({"v:nope": {}})),
                false,
            ),
            (
                "bad index",
                entry("m", "Update", v, "FieldsV1", json!({"f:a": {"i:1x": {}}})),
                false,
            ),
        ];
        for (case, e, ok) in cases {
            assert_eq!(managed_fields_decode(&[e]), ok, "{case}");
        }
    }

    #[test]
    fn undecodable_entries_give_way_to_the_live_ones() {
        let bad = json!({"metadata": {"managedFields": [entry("m", "Foo", "v1", "FieldsV1", json!({}))]}});
        let live = json!({"metadata": {"managedFields": [entry("l", "Update", "v1", "FieldsV1", json!({}))]}});
        let mut obj = bad.clone();
        assert!(replace_undecodable_managed_fields(&mut obj, Some(&live)));
        assert_eq!(obj, live);
        let mut obj = bad.clone();
        assert!(replace_undecodable_managed_fields(&mut obj, None));
        assert_eq!(obj, json!({"metadata": {}}));
        for keep in [
            json!({"metadata": {"managedFields": []}}),
            json!({"metadata": {"managedFields": [{}]}}),
            json!({"metadata": {}}),
            live.clone(),
        ] {
            let mut obj = keep.clone();
            assert!(!replace_undecodable_managed_fields(&mut obj, None));
            assert_eq!(obj, keep);
        }
    }

    #[test]
    fn validate_managed_fields_as_meta_v1() {
        let long = "m".repeat(129);
        let mut sub = entry("m", "Update", "v1", "FieldsV1", json!({}));
        sub["subresource"] = json!("s".repeat(257));
        let cases: Vec<(Value, Vec<&str>)> = vec![
            (entry("m", "Update", "v1", "FieldsV1", json!({})), vec![]),
            (entry(&"m".repeat(128), "Apply", "v1", "", json!({})), vec![]),
            (entry("m", "Foo", "v1", "FieldsV1", json!({})), vec!["metadata.managedFields[0].operation: Invalid value: \"Foo\": must be `Apply` or `Update`"]),
            (entry("m", "Update", "v1", "x", json!({})), vec!["metadata.managedFields[0].fieldsType: Invalid value: \"x\": must be `FieldsV1`"]),
            (entry(&long, "Update", "v1", "FieldsV1", json!({})), vec!["metadata.managedFields[0].manager: Too long: may not be more than 128 bytes"]),
            (entry("a\u{0}b\u{200b}", "Update", "v1", "FieldsV1", json!({})), vec![
                "metadata.managedFields[0].manager: Invalid value: \"a\\x00b\\u200b\": invalid character U+0000 (at position 1)",
                "metadata.managedFields[0].manager: Invalid value: \"a\\x00b\\u200b\": invalid character U+200B (at position 3)",
            ]),
            (sub, vec!["metadata.managedFields[0].subresource: Too long: may not be more than 256 bytes"]),
        ];
        for (e, want) in cases {
            let m = meta(json!({"name": "n", "managedFields": [e]}));
            assert_eq!(texts(&validate_managed_fields(&m.managed_fields)), want);
            // Last of the create rules and of the update rules.
            assert_eq!(texts(&validate_object_meta(&m, false)), want);
            assert_eq!(texts(&validate_object_meta_update(&m, &m)), want);
        }
    }

    #[test]
    fn common_rules_of_generation_labels_and_annotations() {
        let regex_name = "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
        let regex_value = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";
        let long = "v".repeat(64);
        let cases: Vec<(Value, Vec<String>)> = vec![
            (json!({"generation": -1}), vec!["metadata.generation: Invalid value: -1: must be greater than or equal to 0".into()]),
            (json!({"generation": 0, "labels": {"a": "", "example.com/b": "x.y"}, "annotations": {"Example.COM/Key": "v"}}), vec![]),
            (json!({"labels": {"a/b/c": "x"}}), vec![format!("metadata.labels: Invalid value: \"a/b/c\": a qualified name {regex_name} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')")]),
            (json!({"labels": {"/a": "x"}}), vec!["metadata.labels: Invalid value: \"/a\": prefix part must be non-empty".into()]),
            (json!({"labels": {"a/": "x"}}), vec![
                "metadata.labels: Invalid value: \"a/\": name part must be non-empty".into(),
                format!("metadata.labels: Invalid value: \"a/\": name part {regex_name}"),
            ]),
            (json!({"labels": {"a": long.clone()}}), vec![format!("metadata.labels: Invalid value: \"{long}\": must be no more than 63 bytes")]),
            (json!({"labels": {"a": "-x"}}), vec![format!("metadata.labels: Invalid value: \"-x\": {regex_value}")]),
            (json!({"annotations": {"a b": "x"}}), vec![format!("metadata.annotations: Invalid value: \"a b\": name part {regex_name}")]),
            (json!({"ownerReferences": [{"apiVersion": "v1", "kind": "K", "name": "n", "uid": "u"}, {"apiVersion": "apps/", "kind": "", "name": "n", "uid": ""}]}), vec![
                "metadata.ownerReferences.apiVersion: Invalid value: \"apps/\": version must not be empty".into(),
                "metadata.ownerReferences.kind: Invalid value: \"\": must not be empty".into(),
                "metadata.ownerReferences.uid: Invalid value: \"\": must not be empty".into(),
            ]),
            (json!({"ownerReferences": [{"apiVersion": "a/b/c", "kind": "K", "name": "", "uid": "u"}]}), vec![
                "metadata.ownerReferences.apiVersion: Invalid value: \"a/b/c\": version must not be empty".into(),
                "metadata.ownerReferences.name: Invalid value: \"\": must not be empty".into(),
            ]),
            // BannedOwners: core v1 Event only (not events.k8s.io), the entry printed as %#v.
            (json!({"ownerReferences": [{"apiVersion": "v1", "kind": "Event", "name": "e", "uid": "u"}, {"apiVersion": "events.k8s.io/v1", "kind": "Event", "name": "e", "uid": "u"}]}), vec![
                "metadata.ownerReferences: Invalid value: v1.OwnerReference{APIVersion:\"v1\", Kind:\"Event\", Name:\"e\", UID:\"u\", Controller:(*bool)(nil), BlockOwnerDeletion:(*bool)(nil)}: /v1, Kind=Event is disallowed from being an owner".into(),
            ]),
            // One error per controller after the first, naming the first; `false` is no controller.
            (json!({"ownerReferences": [
                {"apiVersion": "v1", "kind": "A", "name": "a", "uid": "1", "controller": true},
                {"apiVersion": "v1", "kind": "B", "name": "b", "uid": "2", "controller": false},
                {"apiVersion": "v1", "kind": "C", "name": "c", "uid": "3", "controller": true},
                {"apiVersion": "v1", "kind": "D", "name": "d", "uid": "4", "controller": true, "blockOwnerDeletion": true},
            ]}), vec![
                "Only one reference can have Controller set to true. Found \"true\" in references for A/a and C/c".into(),
                "Only one reference can have Controller set to true. Found \"true\" in references for A/a and D/d".into(),
            ]),
        ];
        for (mut m, want) in cases {
            m["name"] = json!("n");
            let got = texts(&validate_object_meta(&meta(m.clone()), false));
            let got = if want.first().is_some_and(|w| w.starts_with("Only one")) {
                // the list is printed with pointer addresses: compare the details, and the shape
                for g in &got {
                    assert!(g.starts_with("metadata.ownerReferences: Invalid value: []v1.OwnerReference{v1.OwnerReference{APIVersion:\"v1\", Kind:\"A\", Name:\"a\", UID:\"1\", Controller:(*bool)(0xc"), "{g}");
                    assert!(g.contains(", BlockOwnerDeletion:(*bool)(nil)}, v1.OwnerReference{APIVersion:\"v1\", Kind:\"B\""), "{g}");
                }
                got.iter()
                    .map(|g| g.rsplit("}}: ").next().unwrap().to_string())
                    .collect()
            } else {
                got
            };
            assert_eq!(got, want, "{m}");
        }
    }

    /// `ValidateObjectMetaUpdate` repeats the label, annotation and owner-reference rules on
    /// the new object after the immutable fields.
    #[test]
    fn update_rules_validate_labels_annotations_and_owners() {
        let old = meta(json!({"name": "n", "uid": "u1"}));
        let new = meta(
            json!({"name": "n", "uid": "u2", "labels": {"a": "-x"}, "annotations": {"a b": "x"},
            "ownerReferences": [{"apiVersion": "v1", "kind": "Event", "name": "e", "uid": "u"}]}),
        );
        let got = texts(&validate_object_meta_update(&new, &old));
        let fields: Vec<&str> = got.iter().map(|t| t.split(':').next().unwrap()).collect();
        assert_eq!(
            fields,
            [
                "metadata.uid",
                "metadata.labels",
                "metadata.annotations",
                "metadata.ownerReferences"
            ],
            "{got:?}"
        );
        assert!(got[3].ends_with("/v1, Kind=Event is disallowed from being an owner"));
    }
}
