//! Generic ObjectMeta validation (`apimachinery/pkg/api/validation/objectmeta.go`), the parts
//! that matter for the kinds csrsim serves.

use super::field::FieldError;
use crate::api::ObjectMeta;

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
    for (k, v) in &m.labels {
        for e in qualified_name(k) {
            errs.push(FieldError::invalid("metadata.labels", k, e));
        }
        if !v.is_empty() && !label_value_ok(v) {
            errs.push(FieldError::invalid(
                "metadata.labels",
                v,
                "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')",
            ));
        }
    }
    let total: usize = m.annotations.iter().map(|(k, v)| k.len() + v.len()).sum();
    if total > 256 * 1024 {
        errs.push(FieldError::too_long("metadata.annotations", 256 * 1024));
    }
    errs.extend(validate_finalizers(&m.finalizers));
    errs
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

fn label_value_ok(v: &str) -> bool {
    let b = v.as_bytes();
    b.len() <= 63
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
        && b[0].is_ascii_alphanumeric()
        && b[b.len() - 1].is_ascii_alphanumeric()
}

/// `IsQualifiedName` messages for a label key (`prefix/name`).
fn qualified_name(k: &str) -> Vec<String> {
    let name = match k.rsplit_once('/') {
        Some((prefix, name)) => {
            if prefix.is_empty() || !super::names::dns1123_subdomain(prefix).is_empty() {
                return vec!["prefix part must be a valid DNS subdomain".into()];
            }
            name
        }
        None => k,
    };
    let b = name.as_bytes();
    let ok = !b.is_empty()
        && b.len() <= 63
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
        && b[0].is_ascii_alphanumeric()
        && b[b.len() - 1].is_ascii_alphanumeric();
    if ok {
        vec![]
    } else {
        vec!["name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')".into()]
    }
}

/// `ValidateObjectMetaUpdate`: identity fields are immutable.
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
