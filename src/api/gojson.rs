//! Go `encoding/json` decoding semantics our serde types do not have by themselves.
//!
//! `[]byte` fields are `base64.StdEncoding.Decode`d: `\r` and `\n` anywhere are skipped (a
//! wrapped `base64` output is accepted), padding is required, non-zero trailing bits are
//! tolerated, and a bad input is `illegal base64 data at input byte <n>` (`CorruptInputError`,
//! `n` an index into the original text).
//!
//! Go leaves a struct field at its zero value when the JSON carries `null` for it (a nil
//! slice, an empty string, a nil pointer), so `"signerName": null` reaches validation as an
//! empty name (422 `spec.signerName: Required value`), not a decoding error. Our types give an
//! *omitted* field its default, so dropping `null` object members first decodes a body as the
//! apiserver does.
//!
//! A value of the wrong JSON type is Go's `UnmarshalTypeError`, reported for the first bad
//! field in document order: `json: cannot unmarshal <string|number|bool|array|object> into Go
//! struct field <innermost struct>.<json path without indexes or map keys> of type <Go type>`
//! (`number <literal>` when a number does not fit an integer field). [`type_error`] finds it
//! from a [`GoStruct`] description of the Go type.

use serde_json::Value;
use std::borrow::Cow;

/// A Go type as `encoding/json` sees it, for [`type_error`].
pub enum GoType {
    /// A string kind; the Go type's name (`string`, `v1.KeyUsage`).
    Str(&'static str),
    /// An integer kind: its Go name and range (`int32`, `int64`).
    Int(&'static str, i64, i64),
    /// `[]byte`: a base64 string.
    Bytes,
    /// `bool` (or `*bool`).
    Bool,
    /// A type with its own `UnmarshalJSON` (`metav1.Time`): not described here.
    Opaque,
    /// `interface{}`: any JSON; objects decode as `map[string]interface{}` (their duplicate
    /// keys are strict errors, at any depth).
    Any,
    /// A slice: its Go name and element type.
    List(&'static str, &'static GoType),
    /// A map with string keys: its Go name and value type.
    Map(&'static str, &'static GoType),
    /// A struct.
    Struct(&'static GoStruct),
}

/// A Go struct: its name (the error's `Struct`), its type as printed (`v1.ObjectMeta`), and
/// its fields by JSON name.
pub struct GoStruct {
    pub name: &'static str,
    pub go: &'static str,
    pub fields: &'static [(&'static str, GoType)],
}

fn json_kind(v: &Value) -> String {
    match v {
        Value::String(_) => "string".into(),
        Value::Number(_) => "number".into(),
        Value::Bool(_) => "bool".into(),
        Value::Array(_) => "array".into(),
        Value::Object(_) => "object".into(),
        Value::Null => "null".into(),
    }
}

/// The error Go's decoder returns for `v` decoded into the struct `root`, if any: the first
/// type mismatch or bad base64 in document order. (`null` members are zero values: no error.)
pub fn type_error(v: &Value, root: &GoStruct) -> Option<String> {
    let Value::Object(m) = v else {
        return None; // the serializer rejects a non-object before field decoding
    };
    let mut path = Vec::new();
    check_fields(m, root, &mut path)
}

fn check_fields<'a>(
    m: &'a serde_json::Map<String, Value>,
    st: &GoStruct,
    path: &mut Vec<&'a str>,
) -> Option<String> {
    for (k, v) in m {
        let Some((_, ty)) = st.fields.iter().find(|(name, _)| name == k) else {
            continue; // unknown fields are ignored (non-strict decoding)
        };
        path.push(k);
        let found = check(v, ty, st.name, path);
        path.pop();
        if found.is_some() {
            return found;
        }
    }
    None
}

fn check<'a>(v: &'a Value, ty: &GoType, ctx: &str, path: &mut Vec<&'a str>) -> Option<String> {
    let mismatch = |value: String, go: &str, path: &Vec<&str>| {
        Some(format!(
            "json: cannot unmarshal {value} into Go struct field {ctx}.{} of type {go}",
            path.join(".")
        ))
    };
    if v.is_null() {
        return None;
    }
    match ty {
        GoType::Opaque | GoType::Any => None,
        GoType::Str(go) => match v {
            Value::String(_) => None,
            _ => mismatch(json_kind(v), go, path),
        },
        GoType::Int(go, min, max) => match v {
            Value::Number(n) => match n.as_i64() {
                Some(i) if (*min..=*max).contains(&i) => None,
                _ => mismatch(format!("number {n}"), go, path),
            },
            _ => mismatch(json_kind(v), go, path),
        },
        GoType::Bytes => match v {
            Value::String(s) => decode_base64_std(s.as_bytes()).err(),
            _ => mismatch(json_kind(v), "[]uint8", path),
        },
        GoType::Bool => match v {
            Value::Bool(_) => None,
            _ => mismatch(json_kind(v), "bool", path),
        },
        GoType::List(go, elem) => match v {
            Value::Array(a) => a.iter().find_map(|x| check(x, elem, ctx, path)),
            _ => mismatch(json_kind(v), go, path),
        },
        GoType::Map(go, elem) => match v {
            Value::Object(m) => m.values().find_map(|x| check(x, elem, ctx, path)),
            _ => mismatch(json_kind(v), go, path),
        },
        GoType::Struct(st) => match v {
            Value::Object(m) => check_fields(m, st, path),
            _ => mismatch(json_kind(v), st.go, path),
        },
    }
}

/// The error `runtime.DefaultUnstructuredConverter.FromUnstructured` returns for `v` (a
/// strategic merge patch's result, as `map[string]interface{}` with integers as `int64`)
/// converted into the struct `root`, if any: the first in Go field order. Its texts are not
/// `encoding/json`'s: `cannot convert int64 to string` (an integer where a string kind is
/// expected), `unrecognized type: <kind>` (any other scalar of the wrong kind), `cannot
/// restore slice from <kind>`, `cannot restore map from <kind>`, `cannot restore struct
/// from: <kind>`, `error decoding from json: <base64 error>`. An integer into an integer
/// field always converts (Go's conversion wraps), a float only when it is integral.
pub fn unstructured_error(v: &Value, root: &GoStruct) -> Option<String> {
    let Value::Object(m) = v else {
        return None;
    };
    u_fields(m, root)
}

/// What `FromUnstructured` makes of the integral floats [`unstructured_error`] lets through
/// (`1e3`, `3600.0` in a strategic merge patch, which `UnmarshalCaseSensitivePreserveInts`
/// keeps as `float64`): the integer field's value, an integer. Call it only when
/// [`unstructured_error`] found nothing.
pub fn convert_integral_floats(v: &mut Value, root: &GoStruct) {
    if let Value::Object(m) = v {
        c_fields(m, root);
    }
}

fn c_fields(m: &mut serde_json::Map<String, Value>, st: &GoStruct) {
    for (name, ty) in st.fields {
        if let Some(v) = m.get_mut(*name) {
            c_value(v, ty);
        }
    }
}

fn c_value(v: &mut Value, ty: &GoType) {
    match (ty, v) {
        (GoType::Int(..), v @ Value::Number(_)) => {
            let n = v.as_number().expect("number");
            if !n.is_i64() && !n.is_u64() {
                if let Some(f) = n.as_f64().filter(|f| f.trunc() == *f) {
                    *v = Value::from(f as i64);
                }
            }
        }
        (GoType::Bytes, Value::Array(a)) => {
            for x in a {
                c_value(x, &GoType::Int("uint8", 0, 255));
            }
        }
        (GoType::List(_, elem), Value::Array(a)) => a.iter_mut().for_each(|x| c_value(x, elem)),
        (GoType::Map(_, elem), Value::Object(m)) => m.values_mut().for_each(|x| c_value(x, elem)),
        (GoType::Struct(st), Value::Object(m)) => c_fields(m, st),
        _ => {}
    }
}

/// `reflect.Kind` of a decoded JSON value, as the converter prints it.
fn u_kind(v: &Value) -> &'static str {
    match v {
        Value::String(_) => "string",
        Value::Number(n) if n.is_i64() => "int64",
        Value::Number(_) => "float64",
        Value::Bool(_) => "bool",
        Value::Array(_) => "slice",
        Value::Object(_) => "map",
        Value::Null => "invalid",
    }
}

fn u_fields(m: &serde_json::Map<String, Value>, st: &GoStruct) -> Option<String> {
    st.fields
        .iter()
        .find_map(|(name, ty)| m.get(*name).and_then(|v| u_check(v, ty)))
}

fn u_check(v: &Value, ty: &GoType) -> Option<String> {
    if v.is_null() {
        return None;
    }
    let kind = u_kind(v);
    match ty {
        GoType::Opaque | GoType::Any => None,
        GoType::Str(go) => match v {
            Value::String(_) => None,
            _ if kind == "int64" => Some(format!("cannot convert int64 to {go}")),
            _ => Some("unrecognized type: string".into()),
        },
        GoType::Int(go, _, _) => match v {
            Value::Number(n) if n.is_i64() => None,
            Value::Number(n) => {
                let f = n.as_f64().unwrap_or(0.5);
                (f.trunc() != f).then(|| format!("cannot convert float64 to {go}"))
            }
            _ => Some(format!("unrecognized type: {go}")),
        },
        GoType::Bool => (!v.is_boolean()).then(|| "unrecognized type: bool".into()),
        GoType::Bytes => match v {
            Value::String(s) => decode_base64_std(s.as_bytes())
                .err()
                .map(|e| format!("error decoding from json: {e}")),
            // Each element converts into a `uint8`.
            Value::Array(a) => a
                .iter()
                .find_map(|x| u_check(x, &GoType::Int("uint8", 0, 255))),
            _ => Some(format!("cannot restore slice from {kind}")),
        },
        GoType::List(_, elem) => match v {
            Value::Array(a) => a.iter().find_map(|x| u_check(x, elem)),
            _ => Some(format!("cannot restore slice from {kind}")),
        },
        GoType::Map(_, elem) => match v {
            Value::Object(m) => m.values().find_map(|x| u_check(x, elem)),
            _ => Some(format!("cannot restore map from {kind}")),
        },
        GoType::Struct(st) => match v {
            Value::Object(m) => u_fields(m, st),
            _ => Some(format!("cannot restore struct from: {kind}")),
        },
    }
}

/// The fields of `v` that the Go struct `root` does not have, as the strict decoder of
/// `fieldValidation=Strict` names them (`spec.foo`, `status.conditions[0].bar`), in document
/// order. `apiVersion` and `kind` belong to the type meta; opaque types are not looked into.
pub fn unknown_fields(v: &Value, root: &GoStruct) -> Vec<String> {
    let mut out = Vec::new();
    if let Value::Object(m) = v {
        for (k, x) in m {
            if k == "apiVersion" || k == "kind" {
                continue;
            }
            unknown_in_field(k, x, root, k.clone(), &mut out);
        }
    }
    out
}

/// [`unknown_fields`] as the strict decoder words them: `unknown field "spec.foo"`.
pub fn unknown_field_errors(v: &Value, root: &GoStruct) -> Vec<String> {
    unknown_fields(v, root)
        .iter()
        .map(|f| format!("unknown field \"{f}\""))
        .collect()
}

fn unknown_in_field(k: &str, v: &Value, st: &GoStruct, path: String, out: &mut Vec<String>) {
    match st.fields.iter().find(|(name, _)| *name == k) {
        None => out.push(path),
        Some((_, ty)) => unknown_in(v, ty, path, out),
    }
}

fn unknown_in(v: &Value, ty: &GoType, path: String, out: &mut Vec<String>) {
    match (ty, v) {
        (GoType::Struct(st), Value::Object(m)) => {
            for (k, x) in m {
                unknown_in_field(k, x, st, format!("{path}.{k}"), out);
            }
        }
        (GoType::List(_, elem), Value::Array(a)) => {
            for (i, x) in a.iter().enumerate() {
                unknown_in(x, elem, format!("{path}[{i}]"), out);
            }
        }
        (GoType::Map(_, elem), Value::Object(m)) => {
            for (k, x) in m {
                unknown_in(x, elem, format!("{path}[{k}]"), out);
            }
        }
        _ => {}
    }
}

/// Drop the fields `root` does not have, at every depth (`apiVersion` and `kind` stay at the
/// top): what decoding into the Go struct does to them, so they are never stored.
pub fn prune_unknown(v: &mut Value, root: &GoStruct) {
    if let Value::Object(m) = v {
        m.retain(|k, _| {
            k == "apiVersion" || k == "kind" || root.fields.iter().any(|(n, _)| n == k)
        });
        for (k, x) in m.iter_mut() {
            if let Some((_, ty)) = root.fields.iter().find(|(n, _)| n == k) {
                prune_in(x, ty);
            }
        }
    }
}

fn prune_in(v: &mut Value, ty: &GoType) {
    match (ty, v) {
        (GoType::Struct(st), Value::Object(m)) => {
            m.retain(|k, _| st.fields.iter().any(|(n, _)| n == k));
            for (k, x) in m.iter_mut() {
                if let Some((_, t)) = st.fields.iter().find(|(n, _)| n == k) {
                    prune_in(x, t);
                }
            }
        }
        (GoType::List(_, elem), Value::Array(a)) => a.iter_mut().for_each(|x| prune_in(x, elem)),
        (GoType::Map(_, elem), Value::Object(m)) => m.values_mut().for_each(|x| prune_in(x, elem)),
        _ => {}
    }
}

/// Go's `fmt.Sprintf("%+v", x)` of a decoded JSON value (`map[string]interface{}`,
/// `[]interface{}`, `float64`, `string`, `bool`, `nil`): `map[a:1 b:[x y]]`, keys sorted.
pub fn go_sprint_v(v: &Value) -> String {
    let mut out = String::new();
    sprint_v(v, &mut out);
    out
}

fn sprint_v(v: &Value, out: &mut String) {
    match v {
        Value::Null => out.push_str("<nil>"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&go_float_v(n.as_f64().unwrap_or(0.0))),
        Value::String(s) => out.push_str(s),
        Value::Array(a) => {
            out.push('[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                sprint_v(x, out);
            }
            out.push(']');
        }
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            out.push_str("map[");
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                out.push_str(k);
                out.push(':');
                sprint_v(&m[k.as_str()], out);
            }
            out.push(']');
        }
    }
}

/// Go's `%v` of a `float64`: the shortest digits, in `%e` form (`1e+06`, `1.5e-05`) when the
/// decimal exponent is below −4 or at least 6 (`strconv.FormatFloat(f, 'g', -1, 64)`).
pub fn go_float_v(f: f64) -> String {
    if f == 0.0 {
        return if f.is_sign_negative() { "-0" } else { "0" }.into();
    }
    let sci = format!("{f:e}"); // shortest digits: "-1.2345e6"
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    if (-4..6).contains(&exp) {
        format!("{f}")
    } else {
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{mantissa}e{sign}{:02}", exp.unsigned_abs())
    }
}

/// `string(patchedObjJS)` of a JSON or merge patch (`jsonPatcher.applyJSPatch`, evanphx
/// json-patch v4): the patched object as the library marshals its partly parsed document.
/// Objects it parsed are written with sorted keys; what it never parsed is written as it
/// came (the current object's own field order, or the patch's), compacted. A merge patch
/// parses the document, every object member the patch merges into an object, and every
/// value the patch adds where no object was (`pruneNulls`); a JSON patch parses the
/// document and the containers on the way to each operation's `path` and `from`.
pub fn patched_json_text(merge: bool, current: &Value, patch: &Value, patched: &Value) -> String {
    let shaped = if merge {
        merge_shaped(Some(current), patch, patched)
    } else {
        let mut parsed: Vec<Vec<String>> = vec![Vec::new()];
        for op in patch.as_array().into_iter().flatten() {
            for key in ["path", "from"] {
                let Some(p) = op.get(key).and_then(Value::as_str) else {
                    continue;
                };
                let parts: Vec<String> = p
                    .split('/')
                    .skip(1)
                    .map(|s| s.replace("~1", "/").replace("~0", "~"))
                    .collect();
                for i in 1..parts.len() {
                    parsed.push(parts[..i].to_vec());
                }
            }
        }
        let mut path = Vec::new();
        json_patch_shaped(patched, &mut path, &parsed)
    };
    compact_go(&shaped)
}

fn sorted_members(m: &serde_json::Map<String, Value>) -> Vec<(&String, &Value)> {
    let mut v: Vec<(&String, &Value)> = m.iter().collect();
    v.sort_by(|a, b| a.0.cmp(b.0));
    v
}

/// `pruneNulls` then marshal: objects sorted and without null members, arrays keep nulls.
fn pruned_sorted(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            sorted_members(m)
                .into_iter()
                .filter(|(_, x)| !x.is_null())
                .map(|(k, x)| (k.clone(), pruned_sorted(x)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(pruned_sorted).collect()),
        x => x.clone(),
    }
}

/// `mergeDocs`/`merge` of `patch` into `cur`, shaped as the library writes `patched`.
fn merge_shaped(cur: Option<&Value>, patch: &Value, patched: &Value) -> Value {
    match (cur, patch, patched) {
        (Some(Value::Object(_)), Value::Object(p), Value::Object(out)) => {
            let c = cur.and_then(Value::as_object);
            Value::Object(
                sorted_members(out)
                    .into_iter()
                    .map(|(k, x)| {
                        let shaped = match p.get(k) {
                            Some(pv) if !pv.is_null() => merge_shaped(
                                c.and_then(|c| c.get(k)).filter(|v| !v.is_null()),
                                pv,
                                x,
                            ),
                            _ => x.clone(),
                        };
                        (k.clone(), shaped)
                    })
                    .collect(),
            )
        }
        // `merge` into an object of a non-object: the patch's value, unparsed.
        (Some(Value::Object(_)), _, _) => patched.clone(),
        // A value added where no object was: `pruneNulls` parsed it.
        _ => pruned_sorted(patched),
    }
}

fn json_patch_shaped(v: &Value, path: &mut Vec<String>, parsed: &[Vec<String>]) -> Value {
    if !parsed.iter().any(|p| p == path) {
        return v.clone();
    }
    match v {
        Value::Object(m) => Value::Object(
            sorted_members(m)
                .into_iter()
                .map(|(k, x)| {
                    path.push(k.clone());
                    let s = json_patch_shaped(x, path, parsed);
                    path.pop();
                    (k.clone(), s)
                })
                .collect(),
        ),
        Value::Array(a) => Value::Array(
            a.iter()
                .enumerate()
                .map(|(i, x)| {
                    path.push(i.to_string());
                    let s = json_patch_shaped(x, path, parsed);
                    path.pop();
                    s
                })
                .collect(),
        ),
        x => x.clone(),
    }
}

/// Compact JSON of `v` in its own member order, with Go's HTML-safe escapes.
fn compact_go(v: &Value) -> String {
    go_html_safe(serde_json::to_string(v).unwrap_or_default())
}

/// Go's HTML-safe default escapes (`<`, `>`, `&`, U+2028, U+2029) applied to compact JSON;
/// those characters only occur inside strings, so replacing them everywhere is exact.
fn go_html_safe(json: String) -> String {
    json.replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
        .replace('\u{2028}', "\\u2028")
        .replace('\u{2029}', "\\u2029")
}

/// `json.Marshal` of a decoded value as Go writes it: object keys sorted, compact, and `<`,
/// `>`, `&`, U+2028, U+2029 escaped (Go's HTML-safe default; they only occur inside strings).
pub fn sorted_compact_json(v: &Value) -> String {
    fn sorted(v: &Value) -> Value {
        match v {
            Value::Object(m) => {
                let mut keys: Vec<&String> = m.keys().collect();
                keys.sort();
                Value::Object(
                    keys.into_iter()
                        .map(|k| (k.clone(), sorted(&m[k.as_str()])))
                        .collect(),
                )
            }
            Value::Array(a) => Value::Array(a.iter().map(sorted).collect()),
            x => x.clone(),
        }
    }
    go_html_safe(serde_json::to_string(&sorted(v)).unwrap_or_default())
}

/// Deserialize `v` as Go's `encoding/json` would fill a struct: `null` members leave the zero
/// value. Borrows `v`; copies it only when it has `null` members to drop.
pub fn from_value<T: serde::de::DeserializeOwned>(v: &Value) -> Result<T, serde_json::Error> {
    if has_null_member(v) {
        let mut v = v.clone();
        drop_null_members(&mut v);
        return serde_json::from_value(v);
    }
    T::deserialize(v)
}

/// Does any object in `v` have a `null` member? (Lets [`from_value`] skip the copy that
/// [`drop_null_members`] needs in the common case.) Iterative.
pub fn has_null_member(v: &Value) -> bool {
    let mut stack = vec![v];
    while let Some(v) = stack.pop() {
        match v {
            Value::Object(m) => {
                for x in m.values() {
                    if x.is_null() {
                        return true;
                    }
                    stack.push(x);
                }
            }
            Value::Array(a) => stack.extend(a.iter()),
            _ => {}
        }
    }
    false
}

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

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Byte → sextet (0xFF: not in the alphabet), built at compile time: a table look-up instead
/// of a search of the alphabet per input byte (certificates are decoded on every CSR read).
const DECODE: [u8; 256] = {
    let mut t = [0xFFu8; 256];
    let mut i = 0;
    while i < 64 {
        t[ALPHABET[i] as usize] = i as u8;
        i += 1;
    }
    t
};

fn sextet(c: u8) -> Option<u32> {
    match DECODE[c as usize] {
        0xFF => None,
        v => Some(v as u32),
    }
}

fn corrupt(at: usize) -> String {
    format!("illegal base64 data at input byte {at}")
}

/// `base64.StdEncoding.Decode`, quantum by quantum as Go's `decodeQuantum` does.
pub fn decode_base64_std(src: &[u8]) -> Result<Vec<u8>, String> {
    // Fast path: the base64 crate's STANDARD engine accepts a subset of what Go accepts (it
    // also wants canonical padding but rejects newlines and non-zero trailing bits) and, where
    // it accepts, decodes to the same bytes; anything it refuses takes Go's quantum loop below.
    {
        use base64::Engine;
        if let Ok(out) = base64::engine::general_purpose::STANDARD.decode(src) {
            return Ok(out);
        }
    }
    decode_base64_go(src)
}

/// Go's `decodeQuantum` loop: newlines skipped, Go's error offsets.
fn decode_base64_go(src: &[u8]) -> Result<Vec<u8>, String> {
    let is_nl = |c: u8| c == b'\n' || c == b'\r';
    let mut out = Vec::with_capacity(src.len() / 4 * 3);
    let mut si = 0;
    while si < src.len() {
        let mut buf = [0u32; 4];
        let mut dlen = 4;
        let mut trailing: Option<usize> = None;
        let mut j = 0;
        while j < 4 {
            if si == src.len() {
                if j == 0 {
                    return Ok(out);
                }
                // StdEncoding has a padding character: a short final quantum is corrupt.
                return Err(corrupt(si - j));
            }
            let c = src[si];
            si += 1;
            if let Some(v) = sextet(c) {
                buf[j] = v;
                j += 1;
                continue;
            }
            if is_nl(c) {
                continue;
            }
            if c != b'=' || j < 2 {
                return Err(corrupt(si - 1));
            }
            if j == 2 {
                // "==" expected; the first '=' is consumed
                while si < src.len() && is_nl(src[si]) {
                    si += 1;
                }
                if si == src.len() {
                    return Err(corrupt(src.len()));
                }
                if src[si] != b'=' {
                    return Err(corrupt(si - 1));
                }
                si += 1;
            }
            while si < src.len() && is_nl(src[si]) {
                si += 1;
            }
            if si < src.len() {
                trailing = Some(si); // trailing garbage after the padding
            }
            dlen = j;
            break;
        }
        let val = buf[0] << 18 | buf[1] << 12 | buf[2] << 6 | buf[3];
        let bytes = [(val >> 16) as u8, (val >> 8) as u8, val as u8];
        out.extend_from_slice(&bytes[..dlen - 1]);
        if let Some(at) = trailing {
            return Err(corrupt(at));
        }
    }
    Ok(out)
}

/// `int32`.
pub const INT32: GoType = GoType::Int("int32", i32::MIN as i64, i32::MAX as i64);
/// `int64`.
pub const INT64: GoType = GoType::Int("int64", i64::MIN, i64::MAX);
/// `string`.
pub const STRING: GoType = GoType::Str("string");
const STRINGS: GoType = GoType::List("[]string", &STRING);
const STRING_MAP: GoType = GoType::Map("map[string]string", &STRING);

/// `metav1.OwnerReference`.
pub static OWNER_REFERENCE: GoStruct = GoStruct {
    name: "OwnerReference",
    go: "v1.OwnerReference",
    fields: &[
        ("apiVersion", STRING),
        ("kind", STRING),
        ("name", STRING),
        ("uid", GoType::Str("types.UID")),
        ("controller", GoType::Bool),
        ("blockOwnerDeletion", GoType::Bool),
    ],
};

/// `metav1.ObjectMeta`.
pub static OBJECT_META: GoStruct = GoStruct {
    name: "ObjectMeta",
    go: "v1.ObjectMeta",
    fields: &[
        ("name", STRING),
        ("generateName", STRING),
        ("namespace", STRING),
        ("selfLink", STRING),
        ("uid", GoType::Str("types.UID")),
        ("resourceVersion", STRING),
        ("generation", INT64),
        ("creationTimestamp", GoType::Opaque),
        ("deletionTimestamp", GoType::Opaque),
        ("deletionGracePeriodSeconds", INT64),
        ("labels", STRING_MAP),
        ("annotations", STRING_MAP),
        (
            "ownerReferences",
            GoType::List("[]v1.OwnerReference", &GoType::Struct(&OWNER_REFERENCE)),
        ),
        ("finalizers", STRINGS),
        (
            "managedFields",
            GoType::List("[]v1.ManagedFieldsEntry", &GoType::Opaque),
        ),
    ],
};

#[cfg(test)]
mod tests {
    /// Go's `%+v` of decoded JSON and `%v` of float64 (values checked with Go 1.22's fmt).
    #[test]
    fn go_sprint_v_matches_fmt() {
        let v =
            serde_json::json!({"spec": {"foo": "bar", "a": [1, 2.5, true, null]}, "metadata": {}});
        assert_eq!(
            go_sprint_v(&v),
            "map[metadata:map[] spec:map[a:[1 2.5 true <nil>] foo:bar]]"
        );
        for (f, want) in [
            (3600.0, "3600"),
            (123456.0, "123456"),
            (1_000_000.0, "1e+06"),
            (1_234_567.0, "1.234567e+06"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (-2.5, "-2.5"),
            (1e21, "1e+21"),
            (0.0, "0"),
        ] {
            assert_eq!(go_float_v(f), want, "{f}");
        }
    }

    /// evanphx json-patch v4's output: parsed objects sorted, the rest as it came.
    #[test]
    fn patched_json_text_is_the_libraries_output() {
        use super::patched_json_text;
        use serde_json::json;
        let current = json!({"kind": "K", "metadata": {"name": "n", "labels": {"z": "1", "a": "2"}}, "spec": {"z": 1, "a": 2}});
        let patch = json!({"metadata": {"labels": {"m": 1}}, "new": {"y": {"b": null, "a": 1}, "x": [{"d": 1, "c": null}]}, "spec": [3, {"b": 1, "a": null}]});
        let patched = json!({"kind": "K", "metadata": {"name": "n", "labels": {"z": "1", "a": "2", "m": 1}}, "spec": [3, {"b": 1, "a": null}], "new": {"y": {"a": 1}, "x": [{"d": 1, "c": null}]}});
        assert_eq!(
            patched_json_text(true, &current, &patch, &patched),
            r#"{"kind":"K","metadata":{"labels":{"a":"2","m":1,"z":"1"},"name":"n"},"new":{"x":[{"d":1}],"y":{"a":1}},"spec":[3,{"b":1,"a":null}]}"#
        );
        let current = json!({"b": {"y": 1, "x": 2}, "a": {"d": {"k": 1, "j": 2}, "c": 2}});
        let ops = json!([{"op": "add", "path": "/a/d/m", "value": {"z": 1, "y": 2}}]);
        let patched = json!({"b": {"y": 1, "x": 2}, "a": {"d": {"k": 1, "j": 2, "m": {"z": 1, "y": 2}}, "c": 2}});
        assert_eq!(
            patched_json_text(false, &current, &ops, &patched),
            r#"{"a":{"c":2,"d":{"j":2,"k":1,"m":{"z":1,"y":2}}},"b":{"y":1,"x":2}}"#
        );
    }

    #[test]
    fn sorted_compact_json_is_go_marshal() {
        let v = serde_json::json!({"b": 1, "a": {"z": "<&>", "y": [2, {"d": 1, "c": 2}]}});
        assert_eq!(
            sorted_compact_json(&v),
            r#"{"a":{"y":[2,{"c":2,"d":1}],"z":"\u003c\u0026\u003e"},"b":1}"#
        );
    }

    use super::*;
    use crate::api::CertificateSigningRequest;
    use serde_json::json;

    #[test]
    fn base64_as_go_std_encoding() {
        // (input, Go's result) — base64.StdEncoding.DecodeString semantics.
        let rows: &[(&str, Result<&[u8], &str>)] = &[
            ("", Ok(b"")),
            ("aGk=", Ok(b"hi")),
            ("aGVsbG8=", Ok(b"hello")),
            ("aGVs\nbG8=\r\n", Ok(b"hello")), // newlines are skipped anywhere
            ("YWJj", Ok(b"abc")),
            ("aGl=", Ok(b"hi")), // non-zero trailing bits tolerated (not strict)
            ("-----BEGIN", Err("illegal base64 data at input byte 0")),
            ("aGk", Err("illegal base64 data at input byte 0")), // missing padding
            ("a===", Err("illegal base64 data at input byte 1")),
            ("aG==", Ok(b"h")),
            ("aG=", Err("illegal base64 data at input byte 3")), // not enough padding
            ("aGk=YQ==", Err("illegal base64 data at input byte 4")), // data after padding
            ("aGVs bG8=", Err("illegal base64 data at input byte 4")),
        ];
        for (input, want) in rows {
            let got = decode_base64_std(input.as_bytes());
            match want {
                Ok(b) => assert_eq!(got.as_deref(), Ok(*b), "{input:?}"),
                Err(e) => assert_eq!(got, Err(e.to_string()), "{input:?}"),
            }
        }
    }

    #[test]
    fn base64_fast_path_agrees_with_go_loop() {
        // Every encoding of 0..48 bytes, and each of them with one byte replaced by a
        // character Go treats specially: the fast path never changes an answer.
        use base64::Engine;
        for n in 0..48usize {
            let data: Vec<u8> = (0..n).map(|i| (i * 37 + n * 11) as u8).collect();
            let enc = base64::engine::general_purpose::STANDARD.encode(&data);
            assert_eq!(decode_base64_std(enc.as_bytes()), Ok(data.clone()));
            assert_eq!(decode_base64_go(enc.as_bytes()), Ok(data));
            for at in 0..enc.len() {
                for c in [b'=', b'\n', b'-', b'A', b'/'] {
                    let mut m = enc.clone().into_bytes();
                    m[at] = c;
                    assert_eq!(decode_base64_std(&m), decode_base64_go(&m), "{m:?}");
                }
            }
        }
    }

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

/// The strict decoding errors of a JSON body decoded into the Go struct `root`, as
/// sigs.k8s.io/json's strict mode (`DisallowUnknownFields`, `DisallowDuplicateFields`)
/// reports them, in document order: `unknown field "spec.foo"`, `duplicate field
/// "metadata.name"` (a struct field or a map key seen twice in one object; the path is the
/// field stack, `.`-joined, `[i]` for list elements). Only the raw bytes keep duplicates, so
/// this reads them; values of unknown fields, of the wrong JSON kind, or of types with their
/// own decoding (`Opaque`) are skipped, as the decoder skips them. `apiVersion` and `kind` are
/// the root's inline type meta. `None` when `body` is not one JSON object.
pub fn strict_errors_json(body: &[u8], root: &'static GoStruct) -> Option<Vec<String>> {
    let mut s = Scan::at_object(body)?;
    let mut stack = String::new();
    s.object(Some(&GoType::Struct(root)), &mut stack, true)?;
    Some(s.out)
}

/// [`strict_errors_json`] of a body decoded into `root` (any type: `map[string]interface{}`
/// for merge and strategic merge patches, `[]jsonPatchOp` for JSON patches). `None`: not JSON.
pub fn strict_errors_json_as(body: &[u8], root: &'static GoType) -> Option<Vec<String>> {
    let mut s = Scan::new(body);
    let mut stack = String::new();
    s.value(Some(root), &mut stack)?;
    Some(s.out)
}

/// apiserver's `jsonPatchOp`, what `fieldValidation` decodes a JSON patch into.
pub static JSON_PATCH: GoType = GoType::List(
    "[]handlers.jsonPatchOp",
    &GoType::Struct(&GoStruct {
        name: "jsonPatchOp",
        go: "handlers.jsonPatchOp",
        fields: &[
            ("op", STRING),
            ("path", STRING),
            ("from", STRING),
            ("value", GoType::Any),
        ],
    }),
);

struct Scan<'a> {
    b: &'a [u8],
    i: usize,
    out: Vec<String>,
}

impl<'a> Scan<'a> {
    fn new(b: &'a [u8]) -> Self {
        Scan {
            b,
            i: 0,
            out: Vec::new(),
        }
    }

    /// A scan positioned at the body's first `{` (`None`: the body is not a JSON object).
    fn at_object(b: &'a [u8]) -> Option<Self> {
        let mut s = Scan::new(b);
        s.ws();
        (s.peek() == Some(b'{')).then_some(s)
    }

    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }
    fn ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.i += 1;
        }
    }
    fn eat(&mut self, c: u8) -> Option<()> {
        self.ws();
        (self.peek()? == c).then(|| self.i += 1)
    }
    /// Past a string token: its raw bytes (quotes included) and whether it has escapes.
    fn skip_string(&mut self) -> Option<(&'a [u8], bool)> {
        self.ws();
        let start = self.i;
        if self.peek()? != b'"' {
            return None;
        }
        self.i += 1;
        let mut escaped = false;
        loop {
            // memchr2 steps over the plain bytes (a CSR's base64 request is most of a body)
            self.i += memchr::memchr2(b'"', b'\\', self.b.get(self.i..)?)?;
            if self.b[self.i] == b'\\' {
                escaped = true;
                self.i += 2;
            } else {
                self.i += 1;
                break;
            }
        }
        Some((&self.b[start..self.i], escaped))
    }
    /// An object key: borrowed from the body unless it has escapes or is not UTF-8.
    fn key(&mut self) -> Option<Cow<'a, str>> {
        let (raw, escaped) = self.skip_string()?;
        if escaped {
            serde_json::from_slice::<String>(raw).ok().map(Cow::Owned)
        } else {
            Some(String::from_utf8_lossy(&raw[1..raw.len() - 1]))
        }
    }
    /// A string token, unescaped.
    fn string(&mut self) -> Option<String> {
        let (raw, escaped) = self.skip_string()?;
        if escaped {
            serde_json::from_slice(raw).ok()
        } else {
            Some(String::from_utf8_lossy(&raw[1..raw.len() - 1]).into_owned())
        }
    }
    /// A value: descended into only when `ty` is a container of its JSON kind.
    fn value(&mut self, ty: Option<&GoType>, stack: &mut String) -> Option<()> {
        self.ws();
        match self.peek()? {
            b'{' => {
                let ty =
                    ty.filter(|t| matches!(t, GoType::Struct(_) | GoType::Map(..) | GoType::Any));
                self.object(ty, stack, false)
            }
            b'[' => {
                self.i += 1;
                let elem = match ty {
                    Some(GoType::List(_, e)) => Some(*e),
                    Some(GoType::Any) => Some(&GoType::Any),
                    _ => None,
                };
                let mut n = 0usize;
                self.ws();
                if self.peek()? == b']' {
                    self.i += 1;
                    return Some(());
                }
                loop {
                    let len = stack.len();
                    if elem.is_some() {
                        use std::fmt::Write;
                        let _ = write!(stack, "[{n}]");
                    }
                    self.value(elem, stack)?;
                    stack.truncate(len);
                    n += 1;
                    self.ws();
                    match self.peek()? {
                        b',' => self.i += 1,
                        b']' => {
                            self.i += 1;
                            return Some(());
                        }
                        _ => return None,
                    }
                }
            }
            // a string value is only stepped over (keys are what the scan reports)
            b'"' => {
                let (raw, escaped) = self.skip_string()?;
                // an escaped one is still checked (a bad escape ends the scan, as before)
                (!escaped || serde_json::from_slice::<String>(raw).is_ok()).then_some(())
            }
            _ => {
                while matches!(self.peek(), Some(c) if !matches!(c, b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r'))
                {
                    self.i += 1;
                }
                Some(())
            }
        }
    }
    /// An object decoded into `ty` (a struct or a map; `None`: skipped).
    fn object(&mut self, ty: Option<&GoType>, stack: &mut String, root: bool) -> Option<()> {
        self.eat(b'{')?;
        // Keys borrow the body unless escaped; the path grows `stack` in place (no
        // allocation per key: this scan runs on every create and update).
        let mut seen: Vec<Cow<'a, str>> = Vec::new();
        self.ws();
        if self.peek()? == b'}' {
            self.i += 1;
            return Some(());
        }
        loop {
            let key = self.key()?;
            self.eat(b':')?;
            let len = stack.len();
            if !stack.is_empty() {
                stack.push('.');
            }
            stack.push_str(&key);
            let dup = seen.contains(&key);
            let child: Option<&GoType> = match ty {
                Some(GoType::Struct(st)) => {
                    let f = st.fields.iter().find(|(n, _)| *n == key);
                    let type_meta = root && (key == "apiVersion" || key == "kind");
                    if f.is_none() && !type_meta {
                        self.out.push(format!("unknown field {:?}", stack.as_str()));
                    } else if dup {
                        self.out
                            .push(format!("duplicate field {:?}", stack.as_str()));
                    } else {
                        seen.push(key);
                    }
                    f.map(|(_, t)| t)
                }
                Some(GoType::Map(_, elem)) => {
                    if dup {
                        self.out
                            .push(format!("duplicate field {:?}", stack.as_str()));
                    } else {
                        seen.push(key);
                    }
                    Some(*elem)
                }
                Some(GoType::Any) => {
                    if dup {
                        self.out
                            .push(format!("duplicate field {:?}", stack.as_str()));
                    } else {
                        seen.push(key);
                    }
                    Some(&GoType::Any)
                }
                _ => None,
            };
            if ty.is_some() && child.is_some() {
                self.value(child, stack)?;
                stack.truncate(len);
            } else {
                stack.truncate(len);
                self.value(None, stack)?;
            }
            self.ws();
            match self.peek()? {
                b',' => self.i += 1,
                b'}' => {
                    self.i += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }
}

#[cfg(test)]
mod strict_tests {
    use super::*;

    /// Rows: (body, errors in document order).
    #[test]
    fn unknown_and_duplicate_fields_in_document_order() {
        let st = &crate::api::csr::go_types::CSR;
        let rows: Vec<(&str, Vec<&str>)> = vec![
            (
                r#"{"apiVersion":"v1","kind":"K","metadata":{"name":"a"}}"#,
                vec![],
            ),
            (
                r#"{"metadata":{"name":"a","name":"b"}}"#,
                vec![r#"duplicate field "metadata.name""#],
            ),
            (
                r#"{"kind":"A","kind":"B","spec":{"foo":1,"usages":["a"],"usages":[]}}"#,
                vec![
                    r#"duplicate field "kind""#,
                    r#"unknown field "spec.foo""#,
                    r#"duplicate field "spec.usages""#,
                ],
            ),
            (
                r#"{"metadata":{"labels":{"a":"1","b":"2","a":"3"}},"spec":{"extra":{"k":["x"],"k":[]}}}"#,
                vec![
                    r#"duplicate field "metadata.labels.a""#,
                    r#"duplicate field "spec.extra.k""#,
                ],
            ),
            (
                r#"{"status":{"conditions":[{"type":"A"},{"type":"B","type":"C","x":{"y":1,"y":2}}]}}"#,
                vec![
                    r#"duplicate field "status.conditions[1].type""#,
                    r#"unknown field "status.conditions[1].x""#,
                ],
            ),
            // Unknown subtrees and values of another kind are skipped whole.
            (
                r#"{"foo":{"a":1,"a":2},"spec":"x","metadata":{"na\u006de":"a","name":"b"}}"#,
                vec![
                    r#"unknown field "foo""#,
                    r#"duplicate field "metadata.name""#,
                ],
            ),
        ];
        for (body, want) in rows {
            assert_eq!(
                strict_errors_json(body.as_bytes(), st).unwrap(),
                want,
                "{body}"
            );
        }
        assert_eq!(strict_errors_json(b"[1]", st), None);
    }

    /// Patch documents: a merge/strategic patch is a `map[string]interface{}` (duplicate keys
    /// at any depth), a JSON patch a `[]jsonPatchOp` (unknown op fields too).
    #[test]
    fn patch_documents() {
        static ANY: GoType = GoType::Any;
        let got = strict_errors_json_as(
            br#"{"metadata":{"labels":{"a":"1","a":"2"}},"x":[{"k":1,"k":2}],"metadata":{}}"#,
            &ANY,
        )
        .unwrap();
        assert_eq!(
            got,
            [
                r#"duplicate field "metadata.labels.a""#,
                r#"duplicate field "x[0].k""#,
                r#"duplicate field "metadata""#
            ]
        );
        let got = strict_errors_json_as(
            br#"[{"op":"add","op":"add","path":"/a","value":{"b":1,"b":2}},{"op":"remove","path":"/c","foo":1}]"#,
            &JSON_PATCH,
        )
        .unwrap();
        assert_eq!(
            got,
            [
                r#"duplicate field "[0].op""#,
                r#"duplicate field "[0].value.b""#,
                r#"unknown field "[1].foo""#
            ]
        );
    }
}

/// The duplicate keys of a JSON text as sigs.k8s.io/yaml's `UnmarshalStrict` (yaml.v2 in
/// strict mode, decoding into `interface{}`) reports them: `line <n>: key "<k>" already set in
/// map`, `n` the 1-based line of the duplicate's value, a value's own duplicates before the
/// key it belongs to. `None` when `body` is not JSON (YAML documents are not read here).
pub fn yaml_duplicate_keys_json(body: &[u8]) -> Option<Vec<String>> {
    fn line_at(b: &[u8], i: usize) -> usize {
        b[..i].iter().filter(|c| **c == b'\n').count() + 1
    }
    fn value(s: &mut Scan, out: &mut Vec<String>) -> Option<()> {
        s.ws();
        match s.peek()? {
            b'{' => {
                s.i += 1;
                let mut seen: Vec<String> = Vec::new();
                s.ws();
                if s.peek()? == b'}' {
                    s.i += 1;
                    return Some(());
                }
                loop {
                    let key = s.string()?;
                    s.eat(b':')?;
                    s.ws();
                    let line = line_at(s.b, s.i);
                    value(s, out)?;
                    if seen.contains(&key) {
                        out.push(format!(
                            "line {line}: key {} already set in map",
                            crate::validation::field::quote(&key)
                        ));
                    } else {
                        seen.push(key);
                    }
                    s.ws();
                    match s.peek()? {
                        b',' => s.i += 1,
                        b'}' => {
                            s.i += 1;
                            return Some(());
                        }
                        _ => return None,
                    }
                }
            }
            b'[' => {
                s.i += 1;
                s.ws();
                if s.peek()? == b']' {
                    s.i += 1;
                    return Some(());
                }
                loop {
                    value(s, out)?;
                    s.ws();
                    match s.peek()? {
                        b',' => s.i += 1,
                        b']' => {
                            s.i += 1;
                            return Some(());
                        }
                        _ => return None,
                    }
                }
            }
            _ => s.value(None, &mut String::new()),
        }
    }
    let mut s = Scan::at_object(body)?;
    let mut out = Vec::new();
    value(&mut s, &mut out)?;
    Some(out)
}

#[cfg(test)]
mod yaml_dup_tests {
    /// yaml.v2's strict mapping: the line of the duplicate's value, inner duplicates first.
    #[test]
    fn duplicate_keys_with_their_lines() {
        let body = b"{\n  \"a\": 1,\n  \"b\": {\"x\": 1,\n    \"x\": 2},\n  \"a\":\n    3\n}";
        assert_eq!(
            super::yaml_duplicate_keys_json(body).unwrap(),
            [
                r#"line 4: key "x" already set in map"#,
                r#"line 6: key "a" already set in map"#
            ]
        );
        assert_eq!(super::yaml_duplicate_keys_json(b"a: 1\na: 2"), None);
    }
}

/// The duplicate keys of a YAML document (the first one of the stream) as sigs.k8s.io/yaml's
/// `YAMLToJSONStrict` (yaml.v2 `UnmarshalStrict` into `interface{}`) reports them: `line <n>:
/// key <k> already set in map`, `n` the 1-based line where the duplicate's value starts, a
/// value's own duplicates before the key it belongs to; `<k>` is Go's `%#v` of the resolved
/// key (`"a"` for a string, `1`, `true`, `<nil>`). Merge keys (`<<`) are not compared.
/// `None` when the text does not parse (the decoder reports that).
pub fn yaml_duplicate_keys(text: &str) -> Option<Vec<String>> {
    use serde_saphyr::granit_parser::{Event, Parser, ScalarStyle};
    /// One mapping being read: the keys seen (resolved, for comparison, and as printed),
    /// the current key once read (`Some(None)`: a key that is not a scalar), and the line
    /// where its value started.
    struct Map {
        seen: Vec<String>,
        key: Option<Option<(String, String)>>,
        value_line: Option<usize>,
    }
    enum Frame {
        Map(Map),
        Seq,
    }
    // yaml.v2's `resolve` of a plain scalar, as far as keys are compared and printed.
    fn resolve(v: &str, style: ScalarStyle) -> (String, String) {
        let quoted = || (format!("s:{v}"), crate::validation::field::quote(v));
        if style != ScalarStyle::Plain {
            return quoted();
        }
        match v {
            "" | "~" | "null" | "Null" | "NULL" => ("n:".into(), "<nil>".into()),
            "y" | "Y" | "yes" | "Yes" | "YES" | "on" | "On" | "ON" | "true" | "True" | "TRUE" => {
                ("b:true".into(), "true".into())
            }
            "n" | "N" | "no" | "No" | "NO" | "off" | "Off" | "OFF" | "false" | "False"
            | "FALSE" => ("b:false".into(), "false".into()),
            _ => match v.replace('_', "").parse::<i64>() {
                Ok(i) if !v.starts_with('_') => (format!("i:{i}"), i.to_string()),
                _ => quoted(),
            },
        }
    }
    fn node_start(stack: &mut [Frame], line: usize) {
        if let Some(Frame::Map(m)) = stack.last_mut() {
            if m.key.is_some() && m.value_line.is_none() {
                m.value_line = Some(line);
            }
        }
    }
    fn node_end(stack: &mut [Frame], scalar_key: Option<(String, String)>, out: &mut Vec<String>) {
        let Some(Frame::Map(m)) = stack.last_mut() else {
            return;
        };
        match m.key.take() {
            None => m.key = Some(scalar_key),
            Some(key) => {
                let line = m.value_line.take().unwrap_or(0);
                if let Some((id, shown)) = key.filter(|(id, _)| id != "s:<<") {
                    if m.seen.contains(&id) {
                        out.push(format!("line {line}: key {shown} already set in map"));
                    } else {
                        m.seen.push(id);
                    }
                }
            }
        }
    }
    let mut stack: Vec<Frame> = Vec::new();
    let mut out = Vec::new();
    for ev in Parser::new_from_str(text) {
        let (ev, span) = ev.ok()?;
        let line = span.start.line();
        match ev {
            Event::Scalar(v, style, ..) => {
                node_start(&mut stack, line);
                let key = resolve(&v, style);
                node_end(&mut stack, Some(key), &mut out);
            }
            Event::Alias(..) => {
                node_start(&mut stack, line);
                node_end(&mut stack, None, &mut out);
            }
            Event::MappingStart(..) => {
                node_start(&mut stack, line);
                stack.push(Frame::Map(Map {
                    seen: Vec::new(),
                    key: None,
                    value_line: None,
                }));
            }
            Event::SequenceStart(..) => {
                node_start(&mut stack, line);
                stack.push(Frame::Seq);
            }
            Event::MappingEnd | Event::SequenceEnd => {
                stack.pop();
                node_end(&mut stack, None, &mut out);
            }
            Event::DocumentEnd => break,
            _ => {}
        }
    }
    Some(out)
}

#[cfg(test)]
mod yaml_doc_dup_tests {
    #[test]
    fn duplicate_keys_of_a_yaml_document() {
        let doc = "metadata:\n  name: d1\n  labels:\n    a: \"1\"\n    a: \"2\"\nspec:\n  signerName: x\n  signerName: x\n  extra:\n    k: [x]\n    k:\n    - y\n  1: a\n  \"1\": b\n  0x: c\n  yes: d\n  true: e\n---\nx: 1\nx: 2\n";
        assert_eq!(
            super::yaml_duplicate_keys(doc).unwrap(),
            [
                r#"line 5: key "a" already set in map"#,
                r#"line 8: key "signerName" already set in map"#,
                r#"line 12: key "k" already set in map"#,
                "line 17: key true already set in map",
            ]
        );
        assert_eq!(super::yaml_duplicate_keys("a: [").as_deref(), None);
    }
}
