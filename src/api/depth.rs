//! Nesting depth of request bodies: a hostile body (10,000 nested arrays) must get a 400,
//! never exhaust the stack in a recursive clone, serialize or drop.
//!
//! Upstream, the apiserver's JSON decoder (Go's `encoding/json` scanner, via
//! `sigs.k8s.io/json`) stops at `maxNestingDepth = 10000` with
//! `invalid character '[' exceeded max depth`, first hit by the serializer's
//! `SimpleMetaFactory.Interpret` ("couldn't get version/kind; json parse error: ..."), which
//! the handlers turn into a 400 BadRequest. Our limit is lower: stored objects are read back
//! with serde_json, whose parser stops at 128 levels, so anything deeper could be written but
//! never read again (a 500 on every later GET). No Kubernetes object we serve nests beyond
//! ~10 levels.

use super::Status;
use serde_json::Value;

/// Deepest nesting a body, or the object a patch produces, may have (serde_json reads 128).
pub const MAX_JSON_DEPTH: usize = 100;

/// `Err(400)` if `v` nests deeper than [`MAX_JSON_DEPTH`]. Iterative: safe on any depth.
pub fn check_depth(v: &Value) -> Result<(), Status> {
    let mut stack: Vec<(&Value, usize)> = vec![(v, 1)];
    while let Some((v, d)) = stack.pop() {
        let open = match v {
            Value::Array(a) => {
                stack.extend(a.iter().map(|c| (c, d + 1)));
                '['
            }
            Value::Object(m) => {
                stack.extend(m.values().map(|c| (c, d + 1)));
                '{'
            }
            _ => continue,
        };
        if d > MAX_JSON_DEPTH {
            return Err(Status::bad_request(format!(
                "couldn't get version/kind; json parse error: invalid character '{open}' exceeded max depth"
            )));
        }
    }
    Ok(())
}

/// Drop a value without recursion (serde_json's drop recurses once per level, which a
/// 10,000-deep body turns into a stack overflow on a 2 MiB thread).
pub fn drop_flat(v: Value) {
    let mut stack = vec![v];
    while let Some(v) = stack.pop() {
        match v {
            Value::Array(a) => stack.extend(a),
            Value::Object(m) => stack.extend(m.into_iter().map(|(_, c)| c)),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn nested(depth: usize) -> Value {
        let mut v = json!(1);
        for _ in 0..depth {
            v = Value::Array(vec![v]);
        }
        v
    }

    #[test]
    fn limit_is_inclusive_and_names_the_opener() {
        assert!(check_depth(&nested(MAX_JSON_DEPTH)).is_ok());
        let e = check_depth(&nested(MAX_JSON_DEPTH + 1)).unwrap_err();
        assert_eq!(e.code, 400);
        assert_eq!(
            e.message,
            "couldn't get version/kind; json parse error: invalid character '[' exceeded max depth"
        );
        assert!(check_depth(&json!({"a": {"b": [1, {"c": 2}]}})).is_ok());
    }

    #[test]
    fn ten_thousand_levels_check_and_drop_without_recursion() {
        let v = nested(10_000);
        assert_eq!(check_depth(&v).unwrap_err().code, 400);
        drop_flat(v);
    }
}
