//! Go `encoding/json` decoding semantics our serde types do not have by themselves.
//!
//! Go leaves a struct field at its zero value when the JSON carries `null` for it (a nil
//! slice, an empty string, a nil pointer), so `"signerName": null` reaches validation as an
//! empty name (422 `spec.signerName: Required value`), not a decoding error. Our types give an
//! *omitted* field its default, so dropping `null` object members first decodes a body as the
//! apiserver does.

use serde_json::Value;

/// Remove every `null` member of every object in `v` (arrays keep their elements).
/// Iterative, so safe on any nesting depth.
pub fn drop_null_members(v: &mut Value) {
    let mut stack = vec![v];
    while let Some(v) = stack.pop() {
        match v {
            Value::Object(m) => {
                m.retain(|_, x| !x.is_null());
                stack.extend(m.values_mut());
            }
            Value::Array(a) => stack.extend(a.iter_mut()),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::CertificateSigningRequest;
    use serde_json::json;

    #[test]
    fn null_members_decode_as_go_zero_values() {
        // `"signerName": null`, `"usages": null`, `"expirationSeconds": null` and null
        // metadata maps decode like omitted fields (Go: zero value / nil).
        let mut body = json!({
            "metadata": {"name": "x", "labels": null},
            "spec": {"request": null, "signerName": null, "usages": null,
                     "expirationSeconds": null, "groups": ["g"]},
            "status": {"conditions": [{"type": "T", "status": "True", "reason": null}]}
        });
        assert!(serde_json::from_value::<CertificateSigningRequest>(body.clone()).is_err());
        drop_null_members(&mut body);
        let csr: CertificateSigningRequest = serde_json::from_value(body).unwrap();
        assert_eq!(csr.spec.signer_name, "");
        assert!(csr.spec.usages.is_empty() && csr.spec.request.is_empty());
        assert_eq!(csr.spec.expiration_seconds, None);
        assert_eq!(csr.spec.groups, ["g"]);
        assert_eq!(csr.status.conditions[0].reason, "");
    }
}
