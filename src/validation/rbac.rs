//! The RBAC kinds' defaults and validation after ObjectMeta: `pkg/apis/rbac/v1/defaults.go`
//! (`SetDefaults_RoleRef`, `SetDefaults_Subject`) and `pkg/apis/rbac/validation/validation.go`
//! (`ValidatePolicyRule`, the roleRef and subject rules, `cannot change roleRef`, the
//! aggregation rule's at-least-one selector).

use super::field::{quote, FieldError};
use super::names;
use serde_json::{json, Value};

const GROUP: &str = "rbac.authorization.k8s.io";

fn str_of<'a>(v: &'a Value, k: &str) -> &'a str {
    v.get(k).and_then(Value::as_str).unwrap_or("")
}

fn strings(v: &Value, k: &str) -> Vec<String> {
    v.get(k)
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .map(|x| x.as_str().unwrap_or("").to_string())
                .collect()
        })
        .unwrap_or_default()
}

/// Go's `%v` of a `[]string` in a field error: `[]string{"a", "b"}`.
fn go_strings(v: &[String]) -> String {
    let items: Vec<String> = v.iter().map(|s| quote(s)).collect();
    format!("[]string{{{}}}", items.join(", "))
}

/// The v1 defaults: a roleRef's empty apiGroup is RBAC's; a User or Group subject's empty
/// apiGroup is RBAC's (a ServiceAccount's stays empty).
pub fn set_defaults(kind: &str, obj: &mut Value) {
    if !matches!(kind, "RoleBinding" | "ClusterRoleBinding") {
        return;
    }
    if let Some(r) = obj.get_mut("roleRef").and_then(Value::as_object_mut) {
        if r.get("apiGroup")
            .and_then(Value::as_str)
            .unwrap_or("")
            .is_empty()
        {
            r.insert("apiGroup".into(), json!(GROUP));
        }
    }
    if let Some(subjects) = obj.get_mut("subjects").and_then(Value::as_array_mut) {
        for s in subjects.iter_mut().filter_map(Value::as_object_mut) {
            let kind = s.get("kind").and_then(Value::as_str).unwrap_or("");
            let empty = s
                .get("apiGroup")
                .and_then(Value::as_str)
                .unwrap_or("")
                .is_empty();
            if empty && matches!(kind, "User" | "Group") {
                s.insert("apiGroup".into(), json!(GROUP));
            }
        }
    }
}

/// `ValidatePolicyRule`.
fn policy_rule(rule: &Value, namespaced: bool, path: &str, errs: &mut Vec<FieldError>) {
    if strings(rule, "verbs").is_empty() {
        errs.push(FieldError::required(
            format!("{path}.verbs"),
            "verbs must contain at least one value",
        ));
    }
    let urls = strings(rule, "nonResourceURLs");
    if !urls.is_empty() {
        if namespaced {
            errs.push(FieldError::invalid_raw(
                format!("{path}.nonResourceURLs"),
                go_strings(&urls),
                "namespaced rules cannot apply to non-resource URLs",
            ));
        }
        if !strings(rule, "apiGroups").is_empty()
            || !strings(rule, "resources").is_empty()
            || !strings(rule, "resourceNames").is_empty()
        {
            errs.push(FieldError::invalid_raw(
                format!("{path}.nonResourceURLs"),
                go_strings(&urls),
                "rules cannot apply to both regular resources and non-resource URLs",
            ));
        }
        return;
    }
    // `apiGroups: [""]` is one (empty) group: only an absent or empty list is missing.
    if rule
        .get("apiGroups")
        .and_then(Value::as_array)
        .is_none_or(|a| a.is_empty())
    {
        errs.push(FieldError::required(
            format!("{path}.apiGroups"),
            "resource rules must supply at least one api group",
        ));
    }
    if strings(rule, "resources").is_empty() {
        errs.push(FieldError::required(
            format!("{path}.resources"),
            "resource rules must supply at least one resource",
        ));
    }
}

fn subject(s: &Value, namespaced: bool, path: &str, errs: &mut Vec<FieldError>) {
    let name = str_of(s, "name");
    let group = str_of(s, "apiGroup");
    if name.is_empty() {
        errs.push(FieldError::required(format!("{path}.name"), ""));
    }
    match str_of(s, "kind") {
        "ServiceAccount" => {
            if !name.is_empty() {
                for m in names::dns1123_subdomain(name) {
                    errs.push(FieldError::invalid(format!("{path}.name"), name, m));
                }
            }
            if !group.is_empty() {
                errs.push(FieldError::not_supported(
                    format!("{path}.apiGroup"),
                    group,
                    &[""],
                ));
            }
            if !namespaced && str_of(s, "namespace").is_empty() {
                errs.push(FieldError::required(format!("{path}.namespace"), ""));
            }
        }
        "User" | "Group" => {
            if group != GROUP {
                errs.push(FieldError::not_supported(
                    format!("{path}.apiGroup"),
                    group,
                    &[GROUP],
                ));
            }
        }
        other => errs.push(FieldError::not_supported(
            format!("{path}.kind"),
            other,
            &["ServiceAccount", "User", "Group"],
        )),
    }
}

/// What the kind's validation adds to ObjectMeta's on create (and, with [`validate_update`],
/// on update).
pub fn validate(kind: &str, obj: &Value) -> Vec<FieldError> {
    let mut errs = Vec::new();
    match kind {
        "Role" | "ClusterRole" => {
            let namespaced = kind == "Role";
            for (i, rule) in obj
                .get("rules")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .enumerate()
            {
                policy_rule(rule, namespaced, &format!("rules[{i}]"), &mut errs);
            }
            if let Some(agg) = obj.get("aggregationRule").filter(|a| a.is_object()) {
                if agg
                    .get("clusterRoleSelectors")
                    .and_then(Value::as_array)
                    .is_none_or(|a| a.is_empty())
                {
                    errs.push(FieldError::required(
                        "aggregationRule.clusterRoleSelectors",
                        "at least one clusterRoleSelector required if aggregationRule is non-nil",
                    ));
                }
            }
        }
        "RoleBinding" | "ClusterRoleBinding" => {
            let namespaced = kind == "RoleBinding";
            let rr = obj.get("roleRef").cloned().unwrap_or(Value::Null);
            let group = str_of(&rr, "apiGroup");
            if group != GROUP {
                errs.push(FieldError::not_supported(
                    "roleRef.apiGroup",
                    group,
                    &[GROUP],
                ));
            }
            let rk = str_of(&rr, "kind");
            let kinds: &[&str] = if namespaced {
                &["Role", "ClusterRole"]
            } else {
                &["ClusterRole"]
            };
            if !kinds.contains(&rk) {
                errs.push(FieldError::not_supported("roleRef.kind", rk, kinds));
            }
            let rn = str_of(&rr, "name");
            if rn.is_empty() {
                errs.push(FieldError::required("roleRef.name", ""));
            } else {
                for m in names::path_segment_name(rn) {
                    errs.push(FieldError::invalid("roleRef.name", rn, m));
                }
            }
            for (i, s) in obj
                .get("subjects")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .enumerate()
            {
                subject(s, namespaced, &format!("subjects[{i}]"), &mut errs);
            }
        }
        _ => {}
    }
    errs
}

/// A binding's roleRef cannot change (`ValidateRoleBindingUpdate`): the new one, as Go's
/// `%#v` of `rbac.RoleRef`.
pub fn validate_update(kind: &str, new: &Value, old: &Value) -> Vec<FieldError> {
    if !matches!(kind, "RoleBinding" | "ClusterRoleBinding") {
        return Vec::new();
    }
    let n = new.get("roleRef").cloned().unwrap_or(Value::Null);
    let o = old.get("roleRef").cloned().unwrap_or(Value::Null);
    let key = |r: &Value| {
        (
            str_of(r, "apiGroup").to_string(),
            str_of(r, "kind").to_string(),
            str_of(r, "name").to_string(),
        )
    };
    if key(&n) == key(&o) {
        return Vec::new();
    }
    let value = format!(
        "rbac.RoleRef{{APIGroup:{}, Kind:{}, Name:{}}}",
        quote(str_of(&n, "apiGroup")),
        quote(str_of(&n, "kind")),
        quote(str_of(&n, "name"))
    );
    vec![FieldError::invalid_raw(
        "roleRef",
        value,
        "cannot change roleRef",
    )]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msgs(errs: &[FieldError]) -> Vec<String> {
        errs.iter().map(|e| e.to_string()).collect()
    }

    #[test]
    fn rules_bindings_and_defaults() {
        let role = json!({"rules": [
            {"resources": ["pods"]},
            {"verbs": ["get"], "nonResourceURLs": ["/x"], "resources": ["pods"]},
            {"verbs": ["get"], "apiGroups": [""], "resources": ["pods"]},
        ]});
        assert_eq!(
            msgs(&validate("Role", &role)),
            [
                "rules[0].verbs: Required value: verbs must contain at least one value",
                "rules[0].apiGroups: Required value: resource rules must supply at least one api group",
                r#"rules[1].nonResourceURLs: Invalid value: []string{"/x"}: namespaced rules cannot apply to non-resource URLs"#,
                r#"rules[1].nonResourceURLs: Invalid value: []string{"/x"}: rules cannot apply to both regular resources and non-resource URLs"#,
            ]
        );
        assert!(validate(
            "ClusterRole",
            &json!({"rules": [{"verbs": ["get"], "nonResourceURLs": ["/x"]}]})
        )
        .is_empty());
        assert_eq!(
            msgs(&validate("ClusterRole", &json!({"aggregationRule": {}}))),
            ["aggregationRule.clusterRoleSelectors: Required value: at least one clusterRoleSelector required if aggregationRule is non-nil"]
        );
        let mut b = json!({"roleRef": {"kind": "Foo", "name": "x"},
            "subjects": [{"kind": "Bar", "name": "u"}, {"kind": "User", "name": "v"},
                         {"kind": "ServiceAccount", "name": "Bad_Name", "apiGroup": "x"}]});
        set_defaults("ClusterRoleBinding", &mut b);
        assert_eq!(b["roleRef"]["apiGroup"], GROUP);
        assert_eq!(b["subjects"][1]["apiGroup"], GROUP);
        assert!(b["subjects"][0].get("apiGroup").is_none());
        assert_eq!(
            msgs(&validate("ClusterRoleBinding", &b)),
            [
                r#"roleRef.kind: Unsupported value: "Foo": supported values: "ClusterRole""#,
                r#"subjects[0].kind: Unsupported value: "Bar": supported values: "ServiceAccount", "User", "Group""#,
                r#"subjects[2].name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"#,
                r#"subjects[2].apiGroup: Unsupported value: "x": supported values: """#,
                "subjects[2].namespace: Required value",
            ]
        );
        let old = json!({"roleRef": {"apiGroup": GROUP, "kind": "ClusterRole", "name": "view"}});
        let new = json!({"roleRef": {"apiGroup": GROUP, "kind": "ClusterRole", "name": "edit"}});
        assert_eq!(
            msgs(&validate_update("RoleBinding", &new, &old)),
            [
                r#"roleRef: Invalid value: rbac.RoleRef{APIGroup:"rbac.authorization.k8s.io", Kind:"ClusterRole", Name:"edit"}: cannot change roleRef"#
            ]
        );
    }
}
