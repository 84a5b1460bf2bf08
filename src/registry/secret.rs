//! Secrets (`pkg/registry/core/secret`, `pkg/apis/core/validation`): what decoding does to a
//! v1 Secret (default `type`, `stringData` folded into `data`), the JSON decoder's base64
//! check of `data`, and `ValidateSecret`. Secrets are served so that the documentation's
//! service-account and kubeconfig steps work against `csrsim serve`.

use crate::api::resources::ResourceInfo;
use crate::api::status::Status;
use crate::validation::FieldError;
use serde_json::{json, Value};

/// Secrets: default `type`, fold `stringData` into `data`, check base64 values.
pub(crate) fn normalize_secret(obj: &mut Value, errs: &mut Vec<FieldError>) {
    use base64::Engine;
    default_secret_and_fold_string_data(obj);
    if let Some(m) = obj.as_object_mut() {
        // not an object: the internal type has no such field either
        m.shift_remove("stringData");
    }
    if let Some(Value::Object(d)) = obj.get_mut("data") {
        for (k, v) in d.iter_mut() {
            // Go decodes `[]byte` as `base64.StdEncoding` does (newlines skipped) and writes
            // it back canonical.
            match v
                .as_str()
                .map(|s| crate::api::gojson::decode_base64_std(s.as_bytes()))
            {
                Some(Ok(b)) => {
                    *v = json!(base64::engine::general_purpose::STANDARD.encode(b));
                }
                Some(Err(_)) | None if v.is_null() => {}
                _ => errs.push(FieldError::invalid(
                    format!("data[{k}]"),
                    "<secret data>",
                    "must be base64-encoded",
                )),
            }
        }
    }
}

/// A Secret body's `data` as the JSON decoder reads it into `[]byte`: the first value that is
/// not Go base64 is the decoder's error, before anything else looks at the object.
#[allow(clippy::result_large_err)]
pub(crate) fn secret_base64_check(body: &Value) -> Result<(), Status> {
    let Some(Value::Object(d)) = body.get("data") else {
        return Ok(());
    };
    for v in d.values() {
        if let Some(Err(e)) = v
            .as_str()
            .map(|s| crate::api::gojson::decode_base64_std(s.as_bytes()))
        {
            return Err(Status::bad_request(format!(
                "Secret in version \"v1\" cannot be handled as a Secret: {e}"
            )));
        }
    }
    Ok(())
}

/// `ValidateSecret` after ObjectMeta: data keys, total size, and what each built-in type
/// requires in its data (`pkg/apis/core/validation/validation.go`).
pub(crate) fn validate_secret(obj: &Value) -> Vec<FieldError> {
    use base64::Engine;
    let mut errs = Vec::new();
    let empty = serde_json::Map::new();
    let data = obj.get("data").and_then(Value::as_object).unwrap_or(&empty);
    let bytes = |k: &str| {
        data.get(k)
            .and_then(Value::as_str)
            .and_then(|s| base64::engine::general_purpose::STANDARD.decode(s).ok())
    };
    let mut total = 0;
    for (k, _) in data {
        for msg in crate::validation::names::config_map_key(k) {
            errs.push(FieldError::invalid(format!("data[{k}]"), k, msg));
        }
        total += bytes(k).map_or(0, |b| b.len());
    }
    if total > 1024 * 1024 {
        errs.push(FieldError::too_long("data", 1024 * 1024));
    }
    let required = |k: &str| FieldError::required(format!("data[{k}]"), "");
    // `json.Unmarshal(b, &map[string]interface{}{})`
    let json_map_error = |b: &[u8]| -> Option<String> {
        if let Some(e) = crate::api::goscan::syntax_error(b) {
            return Some(e);
        }
        let v: Value = serde_json::from_slice(b).ok()?;
        let t = match v {
            Value::Object(_) | Value::Null => return None,
            Value::Array(_) => "array",
            Value::String(_) => "string",
            Value::Bool(_) => "bool",
            Value::Number(_) => "number",
        };
        Some(format!(
            "json: cannot unmarshal {t} into Go value of type map[string]interface {{}}"
        ))
    };
    match obj.get("type").and_then(Value::as_str).unwrap_or("") {
        "kubernetes.io/service-account-token" => {
            let sa = obj["metadata"]["annotations"]["kubernetes.io/service-account.name"]
                .as_str()
                .unwrap_or("");
            if sa.is_empty() {
                errs.push(FieldError::required(
                    "metadata.annotations[kubernetes.io/service-account.name]",
                    "",
                ));
            }
        }
        t @ ("kubernetes.io/dockercfg" | "kubernetes.io/dockerconfigjson") => {
            let key = if t == "kubernetes.io/dockercfg" {
                ".dockercfg"
            } else {
                ".dockerconfigjson"
            };
            match bytes(key) {
                None if !data.contains_key(key) => errs.push(required(key)),
                b => {
                    if let Some(e) = json_map_error(&b.unwrap_or_default()) {
                        errs.push(FieldError::invalid_raw(
                            format!("data[{key}]"),
                            "\"<secret contents redacted>\"",
                            e,
                        ));
                    }
                }
            }
        }
        "kubernetes.io/basic-auth"
            if !data.contains_key("username") && !data.contains_key("password") =>
        {
            errs.push(required("username"));
            errs.push(required("password"));
        }
        "kubernetes.io/ssh-auth" if bytes("ssh-privatekey").is_none_or(|b| b.is_empty()) => {
            errs.push(required("ssh-privatekey"));
        }
        "kubernetes.io/tls" => {
            for k in ["tls.crt", "tls.key"] {
                if !data.contains_key(k) {
                    errs.push(required(k));
                }
            }
        }
        _ => {}
    }
    errs
}

/// What decoding does to a v1 Secret before anything else sees it: `SetDefaults_Secret` (an
/// empty `type` is `Opaque`) and `Convert_v1_Secret_To_core_Secret` (`stringData` is written
/// over `data`, and is gone: the internal type has no such field). The field manager of a
/// create, update or patch therefore records `f:data` and `f:type`, never `f:stringData`.
pub(crate) fn decode_secret(info: &ResourceInfo, obj: &mut Value) {
    if info.resource == "secrets" {
        default_secret_and_fold_string_data(obj);
    }
}

/// `SetDefaults_Secret` (an empty `type` is `Opaque`) and the conversion's fold of a non-empty
/// `stringData` object over `data` (base64 of each value); an empty or null `stringData` is
/// dropped, any other value is left for the caller.
pub(crate) fn default_secret_and_fold_string_data(obj: &mut Value) {
    use base64::Engine;
    let Some(m) = obj.as_object_mut() else {
        return;
    };
    if m.get("type")
        .and_then(Value::as_str)
        .unwrap_or("")
        .is_empty()
    {
        m.insert("type".into(), json!("Opaque"));
    }
    match m.get("stringData") {
        Some(Value::Object(sd)) if !sd.is_empty() => {}
        Some(Value::Object(_)) | Some(Value::Null) => {
            m.shift_remove("stringData");
            return;
        }
        _ => return,
    }
    let Some(Value::Object(sd)) = m.shift_remove("stringData") else {
        return;
    };
    if !m.get("data").is_some_and(Value::is_object) {
        m.insert("data".into(), json!({}));
    }
    let data = m
        .get_mut("data")
        .and_then(Value::as_object_mut)
        .expect("data is an object");
    for (k, v) in sd {
        let s = v.as_str().unwrap_or("");
        data.insert(
            k,
            json!(base64::engine::general_purpose::STANDARD.encode(s)),
        );
    }
}
