//! Patch application: JSON merge patch (RFC 7386), JSON patch (RFC 6902) and strategic merge
//! patch as far as the CSR, RBAC and Secret types need it.
//!
//! Strategic merge for these types: maps merge recursively; lists are replaced, except lists
//! with a patch merge key in the upstream Go types (`ownerReferences` by `uid`; RBAC
//! `subjects` have none). The directives `$patch: replace|delete`, `$retainKeys` and
//! `$deleteFromPrimitiveList/<field>` / `$setElementOrder/<field>` are understood (the latter
//! ignored, as order of replaced lists comes from the patch).

use crate::api::Status;
use crate::sim::PatchType;
use serde_json::{Map, Value};

/// `maxJSONPatchOperations` (apiserver `endpoints/handlers/patch.go`): more is a 413.
pub const MAX_JSON_PATCH_OPERATIONS: usize = 10_000;
/// `--json-patch-max-copy-bytes` default (`JSONPatchMaxCopyBytes`, 3 MiB), installed as
/// json-patch's `AccumulatedCopySizeLimit`: the total size `copy` operations may add.
/// Without it a few hundred `copy` operations double a document into exhaustion (fuzz
/// hardening).
pub const MAX_JSON_PATCH_COPY_BYTES: usize = 3 * 1024 * 1024;

/// Apply `patch` of type `t` to `doc`.
pub fn apply(t: PatchType, doc: &Value, patch: &Value, ignore: bool) -> Result<Value, Status> {
    // The handler decodes the document before applying it (`ignore`: `fieldValidation=Ignore`).
    if let Some(st) = decode_error(t, patch, ignore) {
        return Err(st);
    }
    match t {
        PatchType::Merge => Ok(merge(doc, patch)),
        PatchType::StrategicMerge => Ok(strategic(doc, patch)),
        PatchType::Json => json_patch(doc, patch),
        PatchType::Apply => {
            // Server-side apply is approximated by a merge of the applied configuration.
            Ok(merge(doc, patch))
        }
    }
}

/// RFC 7386.
pub fn merge(target: &Value, patch: &Value) -> Value {
    match patch {
        Value::Object(p) => {
            let mut out = match target {
                Value::Object(t) => t.clone(),
                _ => Map::new(),
            };
            for (k, v) in p {
                if v.is_null() {
                    out.shift_remove(k);
                } else {
                    let cur = out.get(k).cloned().unwrap_or(Value::Null);
                    out.insert(k.clone(), merge(&cur, v));
                }
            }
            Value::Object(out)
        }
        other => other.clone(),
    }
}

fn strategic(target: &Value, patch: &Value) -> Value {
    match patch {
        Value::Object(p) => strategic_obj(target, p, ""),
        // `null`, all decoding lets through besides an object, unmarshals as a nil patch
        // map: nothing changes.
        _ => target.clone(),
    }
}

fn strategic_obj(target: &Value, p: &Map<String, Value>, path: &str) -> Value {
    if let Some(Value::String(d)) = p.get("$patch") {
        match d.as_str() {
            "delete" => return Value::Null,
            "replace" => {
                let mut m = p.clone();
                m.shift_remove("$patch");
                return Value::Object(m);
            }
            _ => {}
        }
    }
    let mut out = match target {
        Value::Object(t) => t.clone(),
        _ => Map::new(),
    };
    if let Some(Value::Array(keep)) = p.get("$retainKeys") {
        let keep: Vec<&str> = keep.iter().filter_map(|v| v.as_str()).collect();
        out.retain(|k, _| keep.contains(&k.as_str()));
    }
    for (k, v) in p {
        if k.starts_with('$') {
            if let Some(field) = k.strip_prefix("$deleteFromPrimitiveList/") {
                if let (Some(Value::Array(cur)), Value::Array(del)) = (out.get_mut(field), v) {
                    cur.retain(|x| !del.contains(x));
                }
            }
            continue;
        }
        let child = format!("{path}/{k}");
        match v {
            Value::Null => {
                out.shift_remove(k);
            }
            Value::Object(po) => {
                let cur = out.get(k).cloned().unwrap_or(Value::Null);
                let merged = strategic_obj(&cur, po, &child);
                if merged.is_null() {
                    out.shift_remove(k);
                } else {
                    out.insert(k.clone(), merged);
                }
            }
            Value::Array(items) if merge_key(&child).is_some() => {
                let key = merge_key(&child).expect("checked");
                let mut cur = match out.get(k) {
                    Some(Value::Array(a)) => a.clone(),
                    _ => Vec::new(),
                };
                for item in items {
                    let id = item.get(key).cloned();
                    let pos = cur
                        .iter()
                        .position(|c| id.is_some() && c.get(key) == id.as_ref());
                    let is_delete = item.get("$patch").and_then(|x| x.as_str()) == Some("delete");
                    match (pos, is_delete) {
                        (Some(i), true) => {
                            cur.remove(i);
                        }
                        (Some(i), false) => {
                            let m = item.as_object().cloned().unwrap_or_default();
                            cur[i] = strategic_obj(&cur[i], &m, &child);
                        }
                        (None, false) => cur.push(item.clone()),
                        (None, true) => {}
                    }
                }
                out.insert(k.clone(), Value::Array(cur));
            }
            other => {
                out.insert(k.clone(), other.clone());
            }
        }
    }
    Value::Object(out)
}

/// Lists with a patch merge key in the upstream types we serve.
fn merge_key(path: &str) -> Option<&'static str> {
    match path {
        "/metadata/ownerReferences" => Some("uid"),
        "/metadata/managedFields" => None,
        _ => None,
    }
}

fn unescape(tok: &str) -> String {
    tok.replace("~1", "/").replace("~0", "~")
}

fn pointer_parts(p: &str) -> Result<Vec<String>, Status> {
    if p.is_empty() {
        return Ok(vec![]);
    }
    if !p.starts_with('/') {
        return Err(Status::bad_request(format!("invalid JSON pointer {p:?}")));
    }
    Ok(p[1..].split('/').map(unescape).collect())
}

/// Go's name of a JSON value's kind in an `UnmarshalTypeError`.
fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// The 400 apiserver's patch handler (handlers/patch.go) answers for a patch document it
/// cannot decode, before anything is applied (`ignore`: `fieldValidation=Ignore`).
/// - JSON patch: [`json_patch_decode_error`].
/// - Merge patch: under Warn/Strict `kjson.UnmarshalStrict` into a `map[string]interface{}`
///   ("error decoding patch: " and Go's type error); then json-patch v4's `MergePatch` refuses
///   `null` and, under Ignore, a string, number or bool with `ErrBadJSONPatch` ("Invalid JSON
///   Patch"). (An array under Ignore becomes the patched document: not decided here.)
/// - Strategic merge patch: `strategicPatchObject` unmarshals into a `map[string]interface{}`
///   in every mode, its error as is; `null` is an empty patch.
fn decode_error(t: PatchType, patch: &Value, ignore: bool) -> Option<Status> {
    const MAP: &str = "map[string]interface {}";
    match (t, patch) {
        (PatchType::Json, _) => json_patch_decode_error(patch, ignore),
        (PatchType::Merge, Value::Null) => Some(Status::bad_request("Invalid JSON Patch")),
        (PatchType::Merge, Value::Object(_)) => None,
        (PatchType::Merge, Value::Array(_)) if ignore => None,
        (PatchType::Merge, _) if ignore => Some(Status::bad_request("Invalid JSON Patch")),
        (PatchType::Merge, v) => Some(Status::bad_request(format!(
            "error decoding patch: json: cannot unmarshal {} into Go value of type {MAP}",
            kind(v)
        ))),
        (PatchType::StrategicMerge, Value::Null | Value::Object(_)) => None,
        (PatchType::StrategicMerge, v) => Some(Status::bad_request(format!(
            "json: cannot unmarshal {} into Go value of type {MAP}",
            kind(v)
        ))),
        (PatchType::Apply, _) => None,
    }
}

/// The decoding error apiserver's `jsonPatcher.applyJSPatch` answers (400) for a JSON patch
/// document of the wrong shape, before anything is applied. Under `fieldValidation` Warn (the
/// default) or Strict it first decodes into `[]jsonPatchOp` (`op`, `path`, `from` strings) with
/// `kjson.UnmarshalStrict`: "error decoding patch: " and Go's first `UnmarshalTypeError`; under
/// Ignore only json-patch v4's `DecodePatch` (a `[]map[string]*json.RawMessage`) runs and its
/// error is the message as is. `null` decodes as an empty patch.
fn json_patch_decode_error(patch: &Value, ignore: bool) -> Option<Status> {
    let (list, item) = if ignore {
        ("jsonpatch.Patch", "jsonpatch.Operation")
    } else {
        ("[]handlers.jsonPatchOp", "handlers.jsonPatchOp")
    };
    let msg = match patch {
        Value::Null => None,
        Value::Array(ops) => ops.iter().find_map(|op| match op {
            Value::Null => None,
            Value::Object(_) if ignore => None,
            Value::Object(fields) => fields.iter().find_map(|(k, v)| {
                (matches!(k.as_str(), "op" | "path" | "from")
                    && !matches!(v, Value::String(_) | Value::Null))
                .then(|| {
                    format!(
                        "json: cannot unmarshal {} into Go struct field jsonPatchOp.{k} of type string",
                        kind(v)
                    )
                })
            }),
            other => Some(format!(
                "json: cannot unmarshal {} into Go value of type {item}",
                kind(other)
            )),
        }),
        other => Some(format!(
            "json: cannot unmarshal {} into Go value of type {list}",
            kind(other)
        )),
    }?;
    Some(Status::bad_request(if ignore {
        msg
    } else {
        format!("error decoding patch: {msg}")
    }))
}

fn json_patch(doc: &Value, patch: &Value) -> Result<Value, Status> {
    // `null`, all decoding lets through besides an array, is an empty patch.
    let ops: &[Value] = match patch {
        Value::Array(ops) => ops,
        _ => &[],
    };
    if ops.len() > MAX_JSON_PATCH_OPERATIONS {
        return Err(Status::failure(
            413,
            "RequestEntityTooLarge",
            format!(
                "Request entity too large: The allowed maximum operations in a JSON patch is {MAX_JSON_PATCH_OPERATIONS}, got {}",
                ops.len()
            ),
        ));
    }
    // Every failure of `Patch.Apply` (a missing path, a failed test, an unknown op, the
    // copy limit) is `NewGenericServerResponse(422, …, err.Error(), 0, false)` in apiserver's
    // `handlers/patch.go`: reason Invalid, and the generic message only — json-patch's own
    // text is not sent (not an unexpected response, so no cause either).
    apply_ops(doc, ops).map_err(|_| {
        let mut st = Status::failure(
            422,
            "Invalid",
            "the server rejected our request due to an error in our request",
        );
        st.details = Some(crate::api::status::StatusDetails::default());
        st
    })
}

fn apply_ops(doc: &Value, ops: &[Value]) -> Result<Value, Status> {
    let mut doc = doc.clone();
    let mut copied = 0usize;
    for op in ops {
        let name = op.get("op").and_then(|v| v.as_str()).unwrap_or("");
        let path = op.get("path").and_then(|v| v.as_str()).unwrap_or("");
        let parts = pointer_parts(path)?;
        match name {
            "add" | "replace" => {
                let v = op.get("value").cloned().ok_or_else(|| {
                    Status::bad_request(format!("missing value for {name} operation"))
                })?;
                set(&mut doc, &parts, v, name == "add")?;
            }
            "remove" => {
                remove(&mut doc, &parts)?;
            }
            "test" => {
                let want = op.get("value").cloned().unwrap_or(Value::Null);
                let got = get(&doc, &parts);
                if got != Some(&want) {
                    return Err(Status::bad_request(format!("testing value {path} failed")));
                }
            }
            "move" | "copy" => {
                let from = pointer_parts(op.get("from").and_then(|v| v.as_str()).unwrap_or(""))?;
                let v = get(&doc, &from)
                    .cloned()
                    .ok_or_else(|| Status::bad_request(format!("path {path} not found")))?;
                if name == "move" {
                    remove(&mut doc, &from)?;
                } else {
                    copied += serde_json::to_vec(&v).map_or(0, |b| b.len());
                    if copied > MAX_JSON_PATCH_COPY_BYTES {
                        return Err(Status::bad_request(format!("Unable to complete the copy, the accumulated size increase of copy is {copied}, exceeding the limit {MAX_JSON_PATCH_COPY_BYTES}")));
                    }
                }
                set(&mut doc, &parts, v, true)?;
            }
            other => return Err(Status::bad_request(format!("Unexpected kind: {other}"))),
        }
    }
    Ok(doc)
}

fn get<'a>(doc: &'a Value, parts: &[String]) -> Option<&'a Value> {
    let mut cur = doc;
    for p in parts {
        cur = match cur {
            Value::Object(m) => m.get(p)?,
            Value::Array(a) => a.get(p.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(cur)
}

fn set(doc: &mut Value, parts: &[String], v: Value, add: bool) -> Result<(), Status> {
    let Some((last, parents)) = parts.split_last() else {
        *doc = v;
        return Ok(());
    };
    let mut cur = doc;
    for p in parents {
        cur = match cur {
            Value::Object(m) => m.get_mut(p),
            Value::Array(a) => p.parse::<usize>().ok().and_then(move |i| a.get_mut(i)),
            _ => None,
        }
        .ok_or_else(|| Status::bad_request(format!("doc is missing path: /{}", parts.join("/"))))?;
    }
    match cur {
        Value::Object(m) => {
            if !add && !m.contains_key(last) {
                return Err(Status::bad_request(format!(
                    "doc is missing key: /{}",
                    parts.join("/")
                )));
            }
            m.insert(last.clone(), v);
        }
        Value::Array(a) => {
            if last == "-" {
                a.push(v);
            } else {
                let i: usize = last
                    .parse()
                    .map_err(|_| Status::bad_request(format!("invalid array index {last}")))?;
                if add && i <= a.len() {
                    a.insert(i, v);
                } else if !add && i < a.len() {
                    a[i] = v;
                } else {
                    return Err(Status::bad_request(format!(
                        "array index {i} out of bounds"
                    )));
                }
            }
        }
        _ => return Err(Status::bad_request("cannot set a value inside a scalar")),
    }
    Ok(())
}

fn remove(doc: &mut Value, parts: &[String]) -> Result<(), Status> {
    let Some((last, parents)) = parts.split_last() else {
        return Err(Status::bad_request("cannot remove the whole document"));
    };
    let mut cur = doc;
    for p in parents {
        cur = match cur {
            Value::Object(m) => m.get_mut(p),
            Value::Array(a) => p.parse::<usize>().ok().and_then(move |i| a.get_mut(i)),
            _ => None,
        }
        .ok_or_else(|| Status::bad_request(format!("doc is missing path: /{}", parts.join("/"))))?;
    }
    let ok = match cur {
        Value::Object(m) => m.shift_remove(last).is_some(),
        Value::Array(a) => match last.parse::<usize>() {
            Ok(i) if i < a.len() => {
                a.remove(i);
                true
            }
            _ => false,
        },
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err(Status::bad_request(format!(
            "doc is missing path: /{}",
            parts.join("/")
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn merge_patch_rfc7386() {
        let d = json!({"a": 1, "b": {"c": 2, "d": 3}});
        assert_eq!(
            merge(&d, &json!({"b": {"c": null, "e": 4}})),
            json!({"a": 1, "b": {"d": 3, "e": 4}})
        );
    }

    #[test]
    fn strategic_patch_labels_and_lists() {
        let d = json!({"metadata": {"labels": {"a": "1"}, "finalizers": ["x"]}});
        let p = json!({"metadata": {"labels": {"b": "2"}, "finalizers": ["y"]}});
        assert_eq!(
            apply(PatchType::StrategicMerge, &d, &p, false).unwrap(),
            json!({"metadata": {"labels": {"a": "1", "b": "2"}, "finalizers": ["y"]}})
        );
    }

    #[test]
    fn json_patch_ops() {
        let d = json!({"status": {"conditions": [{"type": "A"}]}});
        let p = json!([
            {"op": "add", "path": "/status/conditions/-", "value": {"type": "B"}},
            {"op": "replace", "path": "/status/conditions/0/type", "value": "C"},
            {"op": "test", "path": "/status/conditions/1/type", "value": "B"}
        ]);
        assert_eq!(
            apply(PatchType::Json, &d, &p, false).unwrap(),
            json!({"status": {"conditions": [{"type": "C"}, {"type": "B"}]}})
        );
        // Every failed operation is the same 422 (apiserver drops json-patch's text).
        for bad in [
            json!([{"op": "remove", "path": "/nope"}]),
            json!([{"op": "test", "path": "/status/conditions/0/type", "value": "Z"}]),
            json!([{"op": "add", "path": "/a/b/c", "value": 1}]),
            json!([{"op": "frob", "path": "/status"}]),
        ] {
            let e = apply(PatchType::Json, &d, &bad, false).unwrap_err();
            assert_eq!(
                (e.code, e.reason.as_str(), e.message.as_str()),
                (
                    422,
                    "Invalid",
                    "the server rejected our request due to an error in our request"
                ),
                "{bad}"
            );
        }
    }

    /// Hostile patches: too many operations (413, upstream `maxJSONPatchOperations`) and
    /// `copy` doubling the document (422, json-patch `AccumulatedCopySizeLimit`, reported as
    /// every failed operation is).
    #[test]
    fn json_patch_limits() {
        let ops: Vec<Value> = (0..=MAX_JSON_PATCH_OPERATIONS)
            .map(|_| json!({"op": "test", "path": "", "value": {}}))
            .collect();
        let e = apply(PatchType::Json, &json!({}), &Value::Array(ops), false).unwrap_err();
        assert_eq!(e.code, 413);
        assert_eq!(e.message, "Request entity too large: The allowed maximum operations in a JSON patch is 10000, got 10001");
        let doubling: Vec<Value> = (0..64)
            .map(|_| json!({"op": "copy", "from": "/a", "path": "/a/-"}))
            .collect();
        let e = apply(
            PatchType::Json,
            &json!({"a": ["0123456789"]}),
            &Value::Array(doubling),
            false,
        )
        .unwrap_err();
        assert_eq!(e.code, 422);
        assert_eq!(
            e.message,
            "the server rejected our request due to an error in our request"
        );
    }
}
