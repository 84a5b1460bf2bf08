//! Server-side apply: what the apiserver checks in an applied configuration before it merges
//! it (`applyPatcher` in apiserver's `endpoints/handlers/patch.go` and the field manager
//! chain of apimachinery's `util/managedfields/internal`), in upstream's order:
//!
//! 1. `versionCheckManager`: the configuration's apiVersion/kind must be the endpoint's
//!    → 400 `invalid object type: <group>/<version>, Kind=<kind>`;
//! 2. `structuredMergeManager.Apply`: `metadata.managedFields` must be absent → 400
//!    `metadata.managedFields must be nil`;
//! 3. the typed conversion of the configuration against the schema: a field the schema does
//!    not declare, or a value of the wrong kind, is a plain Go error, so a **500** with reason
//!    `""`: `failed to create typed patch object (<ns>/<name>; <gvk>): .spec.foo: field not
//!    declared in schema` (see [`schema_errors`] for the other texts) — whatever
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
    let root = match crate::registry::managed_fields::schema(info.resource).map(|s| &s.root) {
        Some(crate::api::gojson::GoType::Struct(st)) => Some(*st),
        _ => None,
    };
    if let Some(root) = root {
        let errs = schema_errors(config, root);
        if !errs.is_empty() {
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

/// After the merge (or, on create, the configuration itself): sigs.k8s.io/yaml decodes every
/// number of an applied configuration as a `float64`, structured-merge-diff takes any number
/// for an integer field, and `toVersioned`'s `FromUnstructured` converts an integral float
/// into the integer (`3600.0`, `1e3` → `3600`, `1000`). A float with a fraction is a plain
/// error, so a 500 with reason `""`: `failed to convert new object (<ns>/<name>; <gvk>) to
/// proper version: unable to convert unstructured object to <gvk>: cannot convert float64 to
/// int32` (`structuredMergeManager.Apply`, `Scheme.unstructuredToTyped`).
pub fn convert_numbers(
    info: &ResourceInfo,
    config: &Value,
    merged: &mut Value,
) -> Result<(), Status> {
    let Some(st) = crate::api::go_types::for_resource(info.resource) else {
        return Ok(());
    };
    if let Some(e) = crate::api::gojson::unstructured_error(merged, st)
        .filter(|e| e.starts_with("cannot convert float64 to "))
    {
        let gvk = gvk_string(str_at(config, &["apiVersion"]), str_at(config, &["kind"]));
        return Err(Status::failure(
            500,
            "",
            format!(
                "failed to convert new object ({}/{}; {gvk}) to proper version: unable to convert unstructured object to {gvk}: {e}",
                str_at(config, &["metadata", "namespace"]),
                str_at(config, &["metadata", "name"]),
            ),
        ));
    }
    crate::api::gojson::convert_integral_floats(merged, st);
    Ok(())
}

/// The typed conversion's errors for a configuration of the kind whose Go type is `root`
/// (`registry::managed_fields::schema`), as structured-merge-diff words them
/// (`typed/validate.go`, `typed/helpers.go`), sorted by path (upstream walks Go maps, whose
/// order is random):
/// - a field the schema does not declare: `.spec.foo: field not declared in schema`;
/// - a scalar of the wrong kind: `.spec.signerName: expected string, got
///   &value.valueUnstructured{Value:5}` (Go's `%#v`), `.spec.expirationSeconds: expected
///   numeric (int or float), got string` (`%T`);
/// - a list or map that is not one: `.spec.usages: expected list, got &{x}` (`%v`).
///
/// Paths: struct fields and map keys are `.name`, atomic list items `[i]`, conditions (a map
/// list keyed by `type`) `[type="Approved"]`. `null` is valid everywhere.
fn schema_errors(config: &Value, root: &crate::api::gojson::GoStruct) -> Vec<String> {
    use crate::api::gojson::GoType;
    let mut out = Vec::new();
    if let Value::Object(m) = config {
        for (k, v) in m {
            if k == "apiVersion" || k == "kind" {
                continue;
            }
            match root.fields.iter().find(|(n, _)| n == k) {
                None => out.push(format!(".{k}: field not declared in schema")),
                Some((_, ty)) => walk(v, ty, &format!(".{k}"), &mut out),
            }
        }
    }
    fn walk(v: &Value, ty: &GoType, path: &str, out: &mut Vec<String>) {
        if v.is_null() {
            return;
        }
        let got_v = || format!("&{{{}}}", crate::api::gojson::go_sprint_v(v));
        match ty {
            // `metav1.Time` is a string in the schema; opaque list items (owner references)
            // are not looked into.
            GoType::Str(_) | GoType::Bytes | GoType::Opaque | GoType::Any => {
                let opaque_item = matches!(ty, GoType::Opaque) && (v.is_object() || v.is_array());
                if !v.is_string() && !opaque_item {
                    out.push(format!(
                        "{path}: expected string, got &value.valueUnstructured{{Value:{}}}",
                        go_sharp_v(v)
                    ));
                }
            }
            GoType::Int(..) => {
                if !v.is_number() {
                    out.push(format!(
                        "{path}: expected numeric (int or float), got {}",
                        go_type_name(v)
                    ));
                }
            }
            // Owner references are not looked into (as when their items were opaque).
            GoType::List(_, GoType::Struct(st))
                if std::ptr::eq(*st, &crate::api::gojson::OWNER_REFERENCE) && v.is_array() => {}
            GoType::Bool => {}
            GoType::List(_, elem) => match v {
                Value::Array(a) => {
                    let keyed = path == ".status.conditions";
                    for (i, x) in a.iter().enumerate() {
                        let key = x
                            .get("type")
                            .and_then(|t| t.as_str())
                            .filter(|_| keyed)
                            .map(|t| format!("[type={}]", crate::validation::field::quote(t)))
                            .unwrap_or_else(|| format!("[{i}]"));
                        walk(x, elem, &format!("{path}{key}"), out);
                    }
                }
                _ => out.push(format!("{path}: expected list, got {}", got_v())),
            },
            GoType::Map(_, elem) => match v {
                Value::Object(m) => {
                    for (k, x) in m {
                        walk(x, elem, &format!("{path}.{k}"), out);
                    }
                }
                _ => out.push(format!("{path}: expected map, got {}", got_v())),
            },
            GoType::Struct(st) => match v {
                Value::Object(m) => {
                    for (k, x) in m {
                        match st.fields.iter().find(|(n, _)| n == k) {
                            None => out.push(format!("{path}.{k}: field not declared in schema")),
                            Some((_, t)) => walk(x, t, &format!("{path}.{k}"), out),
                        }
                    }
                }
                _ => out.push(format!("{path}: expected map, got {}", got_v())),
            },
        }
    }
    out.sort();
    out
}

/// Go's `%T` of a value `util/yaml.Unmarshal` decoded (integers are int64, other numbers
/// float64).
fn go_type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "<nil>",
        Value::Bool(_) => "bool",
        Value::Number(n) if n.is_i64() => "int64",
        Value::Number(_) => "float64",
        Value::String(_) => "string",
        Value::Array(_) => "[]interface {}",
        Value::Object(_) => "map[string]interface {}",
    }
}

/// Go's `%#v` of such a value inside an `interface{}`: `"x"`, `5`, `1.5`, `true`,
/// `[]interface {}{"a", 1}`, `map[string]interface {}{"a":"b"}` (keys sorted).
fn go_sharp_v(v: &Value) -> String {
    match v {
        Value::Null => "interface {}(nil)".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => match n.as_i64() {
            Some(i) => i.to_string(),
            None => crate::api::gojson::go_float_v(n.as_f64().unwrap_or(0.0)),
        },
        Value::String(s) => crate::validation::field::quote(s),
        Value::Array(a) => format!(
            "[]interface {{}}{{{}}}",
            a.iter().map(go_sharp_v).collect::<Vec<_>>().join(", ")
        ),
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            let items: Vec<String> = keys
                .iter()
                .map(|k| {
                    format!(
                        "{}:{}",
                        crate::validation::field::quote(k),
                        go_sharp_v(&m[*k])
                    )
                })
                .collect();
            format!("map[string]interface {{}}{{{}}}", items.join(", "))
        }
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
            (
                "typed patch object: wrong scalar kinds",
                json!({"spec": {"signerName": 5, "expirationSeconds": "3600", "uid": {"a": [1.5, null]}}}),
                500,
                "failed to create typed patch object (/foo; certificates.k8s.io/v1, Kind=CertificateSigningRequest): errors:\n  .spec.expirationSeconds: expected numeric (int or float), got string\n  .spec.signerName: expected string, got &value.valueUnstructured{Value:5}\n  .spec.uid: expected string, got &value.valueUnstructured{Value:map[string]interface {}{\"a\":[]interface {}{1.5, interface {}(nil)}}}",
            ),
            (
                "typed patch object: not a list, not a map",
                json!({"spec": {"usages": "client auth", "extra": ["x"]}, "metadata": {"labels": {"a": true}}}),
                500,
                "failed to create typed patch object (/foo; certificates.k8s.io/v1, Kind=CertificateSigningRequest): errors:\n  .metadata.labels.a: expected string, got &value.valueUnstructured{Value:true}\n  .spec.extra: expected map, got &{[x]}\n  .spec.usages: expected list, got &{client auth}",
            ),
            ("a null item is valid", json!({"spec": {"groups": ["a", null]}}), 0, ""),
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

    /// Other kinds are checked against their own schemas.
    #[test]
    fn other_kinds_configurations_are_typed_by_their_schema() {
        let role = crate::api::resources::find("rbac.authorization.k8s.io", "roles").unwrap();
        let config = |extra: Value| {
            let v = json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
                "metadata": {"name": "r", "namespace": "n"},
                "rules": [{"verbs": ["get"], "resources": ["secrets"], "apiGroups": [""]}]});
            crate::registry::patch::merge(&v, &extra)
        };
        assert!(check_config(role, &config(json!({}))).is_ok());
        let st = check_config(role, &config(json!({"rulez": [], "rules": "x"}))).unwrap_err();
        assert_eq!(
            (st.code, st.reason.as_str(), st.message.as_str()),
            (500, "", "failed to create typed patch object (n/r; rbac.authorization.k8s.io/v1, Kind=Role): errors:\n  .rules: expected list, got &{x}\n  .rulez: field not declared in schema")
        );
        let ns = crate::api::resources::find("", "namespaces").unwrap();
        let st = check_config(
            ns,
            &json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "x"},
                "spec": {"finalizers": [1]}}),
        )
        .unwrap_err();
        assert_eq!(
            st.message,
            "failed to create typed patch object (/x; /v1, Kind=Namespace): .spec.finalizers[0]: expected string, got &value.valueUnstructured{Value:1}"
        );
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
