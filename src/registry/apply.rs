//! Server-side apply: what the apiserver checks in an applied configuration before it merges
//! it (`applyPatcher` in apiserver's `endpoints/handlers/patch.go` and the field manager
//! chain of apimachinery's `util/managedfields/internal`), in upstream's order:
//!
//! 1. `versionCheckManager`: the configuration's apiVersion/kind must be the endpoint's
//!    → 400 `invalid object type: <group>/<version>, Kind=<kind>`;
//! 2. `structuredMergeManager.Apply`: `metadata.managedFields` must be absent → 400
//!    `metadata.managedFields must be nil`;
//! 3. the typed conversion of the configuration against the schema: a field the schema does
//!    not declare is a plain Go error, so a **500** with reason `""`: `failed to create typed
//!    patch object (<ns>/<name>; <gvk>): .spec.foo: field not declared in schema` — whatever
//!    `fieldValidation` says (apply has no "drop unknown fields" mode; the directive only
//!    governs duplicate keys in the YAML, which a parsed JSON value no longer has);
//! 4. `checkName` on the merged object: 400 when its name is not the one in the URL (only
//!    reachable on create: an existing object keeps its name).

use crate::api::resources::ResourceInfo;
use crate::api::Status;
use serde_json::Value;

/// Go's `schema.GroupVersionKind.String()` of `schema.FromAPIVersionAndKind(apiVersion,
/// kind)`: `certificates.k8s.io/v1, Kind=CertificateSigningRequest`, `/v1, Kind=Secret`;
/// an apiVersion that does not parse (two slashes) keeps only the kind (`/, Kind=X`).
fn gvk_string(api_version: &str, kind: &str) -> String {
    let (group, version) = match api_version.split_once('/') {
        None => ("", api_version),
        Some((g, v)) if !v.contains('/') => (g, v),
        Some(_) => ("", ""),
    };
    format!("{group}/{version}, Kind={kind}")
}

fn str_at<'a>(v: &'a Value, path: &[&str]) -> &'a str {
    let mut cur = v;
    for k in path {
        match cur.get(*k) {
            Some(x) => cur = x,
            None => return "",
        }
    }
    cur.as_str().unwrap_or("")
}

/// Steps 1–3 on the applied configuration `config` for the resource `info`.
pub fn check_config(info: &ResourceInfo, config: &Value) -> Result<(), Status> {
    let api_version = str_at(config, &["apiVersion"]);
    let kind = str_at(config, &["kind"]);
    if api_version != info.api_version() || kind != info.kind {
        return Err(Status::bad_request(format!(
            "invalid object type: {}",
            gvk_string(api_version, kind)
        )));
    }
    // `GetManagedFields()` of an unstructured object is nil only when the key is absent or
    // not a list (`null` included).
    if config
        .get("metadata")
        .and_then(|m| m.get("managedFields"))
        .is_some_and(|f| f.is_array())
    {
        return Err(Status::bad_request("metadata.managedFields must be nil"));
    }
    if info.resource == "certificatesigningrequests" {
        let unknown = undeclared_fields(config);
        if !unknown.is_empty() {
            let errs: Vec<String> = unknown
                .iter()
                .map(|p| format!("{p}: field not declared in schema"))
                .collect();
            // structured-merge-diff's `ValidationErrors.Error()`.
            let list = if errs.len() == 1 {
                errs[0].clone()
            } else {
                format!("errors:\n  {}", errs.join("\n  "))
            };
            // `objectGVKNN`: `<namespace>/<name>; <gvk>`.
            let msg = format!(
                "failed to create typed patch object ({}/{}; {}): {list}",
                str_at(config, &["metadata", "namespace"]),
                str_at(config, &["metadata", "name"]),
                gvk_string(api_version, kind),
            );
            // Not a `metav1.Status` error: `ErrorToAPIStatus` makes it a 500 with the bare
            // message and no reason.
            return Err(Status::failure(500, "", msg));
        }
    }
    Ok(())
}

/// The CSR fields of `config` the schema does not declare, as structured-merge-diff paths:
/// `.spec.foo`, `.status.conditions[type="Approved"].bar` (conditions are a map list keyed
/// by `type`). Sorted: upstream walks Go maps, whose order is random.
fn undeclared_fields(config: &Value) -> Vec<String> {
    let mut out: Vec<String> =
        crate::api::gojson::unknown_fields(config, &crate::api::csr::go_types::CSR)
            .into_iter()
            .map(|p| format!(".{}", keyed_condition_path(config, &p)))
            .collect();
    out.sort();
    out
}

/// `status.conditions[2].x` → `status.conditions[type="Denied"].x` when item 2 has a type.
fn keyed_condition_path(config: &Value, path: &str) -> String {
    const PREFIX: &str = "status.conditions[";
    let Some(rest) = path.strip_prefix(PREFIX) else {
        return path.to_string();
    };
    let Some((idx, tail)) = rest.split_once(']') else {
        return path.to_string();
    };
    let ty = idx
        .parse::<usize>()
        .ok()
        .and_then(|i| config["status"]["conditions"].get(i))
        .and_then(|c| c.get("type"))
        .and_then(|t| t.as_str());
    match ty {
        Some(t) => format!("{PREFIX}type={}]{tail}", crate::validation::field::quote(t)),
        None => path.to_string(),
    }
}

/// Step 4 on the create path (`checkName` in apiserver's `endpoints/handlers/rest.go`): the
/// applied configuration becomes the object, so its name must be the URL's.
pub fn check_create_name(config: &Value, url_name: &str) -> Result<(), Status> {
    let name = str_at(config, &["metadata", "name"]);
    if name.is_empty() {
        return Err(Status::bad_request(format!(
            "the name of the object ({url_name} based on URL) was undeterminable: name must be provided"
        )));
    }
    if name != url_name {
        return Err(Status::bad_request(format!(
            "the name of the object ({name}) does not match the name on the URL ({url_name})"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::resources::CSR;
    use serde_json::json;

    fn csr(extra: Value) -> Value {
        let v = json!({"apiVersion": "certificates.k8s.io/v1", "kind": "CertificateSigningRequest",
            "metadata": {"name": "foo"}, "spec": {"signerName": "x", "request": ""}});
        crate::registry::patch::merge(&v, &extra)
    }

    /// Rows: (upstream case, configuration change, code, message).
    #[test]
    fn applied_configuration_checks() {
        let rows: &[(&str, Value, u16, &str)] = &[
            ("valid configuration", json!({}), 0, ""),
            (
                "versionCheckManager: other version",
                json!({"apiVersion": "certificates.k8s.io/v1beta1"}),
                400,
                "invalid object type: certificates.k8s.io/v1beta1, Kind=CertificateSigningRequest",
            ),
            (
                "versionCheckManager: other kind",
                json!({"kind": "Foo"}),
                400,
                "invalid object type: certificates.k8s.io/v1, Kind=Foo",
            ),
            (
                "versionCheckManager: core apiVersion",
                json!({"apiVersion": "v1"}),
                400,
                "invalid object type: /v1, Kind=CertificateSigningRequest",
            ),
            (
                "structuredMergeManager: managedFields must be nil",
                json!({"metadata": {"managedFields": []}}),
                400,
                "metadata.managedFields must be nil",
            ),
            ("managedFields null is nil", json!({"metadata": {"managedFields": null}}), 0, ""),
            (
                "typed patch object: unknown spec field",
                json!({"spec": {"foo": "bar"}}),
                500,
                "failed to create typed patch object (/foo; certificates.k8s.io/v1, Kind=CertificateSigningRequest): .spec.foo: field not declared in schema",
            ),
            (
                "typed patch object: several, keyed condition",
                json!({"zz": 1, "status": {"conditions": [{"type": "Approved", "status": "True", "bar": 1}]}}),
                500,
                "failed to create typed patch object (/foo; certificates.k8s.io/v1, Kind=CertificateSigningRequest): errors:\n  .status.conditions[type=\"Approved\"].bar: field not declared in schema\n  .zz: field not declared in schema",
            ),
        ];
        for (case, change, code, msg) in rows {
            let r = check_config(&CSR, &csr(change.clone()));
            match r {
                Ok(()) => assert_eq!(*code, 0, "{case}"),
                Err(st) => {
                    assert_eq!((st.code, st.message.as_str()), (*code, *msg), "{case}");
                    if *code == 500 {
                        assert_eq!(st.reason, "", "{case}");
                    }
                }
            }
        }
    }

    #[test]
    fn create_name_is_the_url_name() {
        assert!(check_create_name(&json!({"metadata": {"name": "foo"}}), "foo").is_ok());
        assert_eq!(
            check_create_name(&json!({"metadata": {"name": "bar"}}), "foo")
                .unwrap_err()
                .message,
            "the name of the object (bar) does not match the name on the URL (foo)"
        );
        assert_eq!(
            check_create_name(&json!({"metadata": {}}), "foo")
                .unwrap_err()
                .message,
            "the name of the object (foo based on URL) was undeterminable: name must be provided"
        );
    }
}
