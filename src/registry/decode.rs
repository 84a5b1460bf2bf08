//! The apiserver's decoding of a create or update body of a kind other than
//! CertificateSigningRequest (whose typed decoding is `registry::csr::decode_body`): a value of
//! the wrong JSON type is a 400 from the JSON decoder; with `fieldValidation=Strict` a field the
//! Go struct does not have is a 400 `strict decoding error`; otherwise such fields are dropped
//! (the edge names them in `Warning` headers under `Warn`, the default).

use crate::api::gojson::{self, GoStruct};
use crate::api::status::Status;
use serde_json::Value;

/// `… in version "v1" cannot be handled as a <Kind>: <decoder error>`.
fn cannot_handle(kind: &str, version: &str, detail: &str) -> Status {
    Status::bad_request(format!(
        "{kind} in version \"{version}\" cannot be handled as a {kind}: {detail}"
    ))
}

/// Check `body` as the decoder of `st` would, then drop its unknown fields.
pub fn decode_generic(
    st: &GoStruct,
    version: &str,
    body: &mut Value,
    field_validation: &str,
) -> Result<(), Status> {
    if let Some(e) = gojson::type_error(body, st) {
        return Err(cannot_handle(st.name, version, &e));
    }
    if field_validation == "Strict" {
        let unknown: Vec<String> = gojson::unknown_field_errors(body, st);
        if !unknown.is_empty() {
            return Err(cannot_handle(
                st.name,
                version,
                &format!("strict decoding error: {}", unknown.join(", ")),
            ));
        }
    }
    gojson::prune_unknown(body, st);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::go_types::{NAMESPACE, ROLE, ROLE_BINDING, SECRET};
    use serde_json::json;

    #[test]
    fn strict_type_errors_and_pruning() {
        let role = json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
            "metadata": {"name": "r", "bogus": 1}, "rules": [{"verb": ["get"], "verbs": ["get"]}]});
        let err = decode_generic(&ROLE, "v1", &mut role.clone(), "Strict").unwrap_err();
        assert_eq!(err.code, 400);
        assert_eq!(
            err.message,
            r#"Role in version "v1" cannot be handled as a Role: strict decoding error: unknown field "metadata.bogus", unknown field "rules[0].verb""#
        );
        for fv in ["", "Warn", "Ignore"] {
            let mut b = role.clone();
            decode_generic(&ROLE, "v1", &mut b, fv).unwrap();
            assert_eq!(
                b,
                json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
                    "metadata": {"name": "r"}, "rules": [{"verbs": ["get"]}]})
            );
        }
        let cases: &[(&GoStruct, Value, &str)] = &[
            (
                &ROLE,
                json!({"rules": "all"}),
                r#"Role in version "v1" cannot be handled as a Role: json: cannot unmarshal string into Go struct field Role.rules of type []v1.PolicyRule"#,
            ),
            (
                &ROLE_BINDING,
                json!({"roleRef": {"name": 5}}),
                r#"RoleBinding in version "v1" cannot be handled as a RoleBinding: json: cannot unmarshal number into Go struct field RoleRef.roleRef.name of type string"#,
            ),
            (
                &SECRET,
                json!({"immutable": "yes"}),
                r#"Secret in version "v1" cannot be handled as a Secret: json: cannot unmarshal string into Go struct field Secret.immutable of type bool"#,
            ),
            (
                &NAMESPACE,
                json!({"spec": {"finalizers": [1]}}),
                r#"Namespace in version "v1" cannot be handled as a Namespace: json: cannot unmarshal number into Go struct field NamespaceSpec.spec.finalizers of type v1.FinalizerName"#,
            ),
        ];
        for (st, body, want) in cases {
            let err = decode_generic(st, "v1", &mut body.clone(), "").unwrap_err();
            assert_eq!(err.message, *want);
        }
    }
}
