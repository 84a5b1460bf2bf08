//! Decoding of the protobuf request bodies kubectl ≥ 1.32 sends for built-in kinds
//! (`Content-Type: application/vnd.kubernetes.protobuf`): the `k8s\0` envelope holding a
//! `runtime.Unknown`, and the few messages the CSR workflow writes, turned into the same JSON
//! the JSON clients send. Field numbers are those of `k8s.io/api/*/v1/generated.proto` and
//! apimachinery's `generated.proto` (client-wire-surface.md §10).
//!
//! Proto2 as gogo marshals it: every non-pointer field is sent, so singular empty strings,
//! `false` and `0` mean "unset" and are dropped; elements of repeated fields are kept as is
//! (a Role's `apiGroups: [""]` arrives as one empty string). A `Time` with zero seconds is null.

use base64::Engine;
use serde_json::{json, Map, Value};

/// The 4-byte prefix of every Kubernetes protobuf body.
pub const MAGIC: &[u8] = b"k8s\x00";

#[derive(Clone, Copy)]
enum K {
    Str,
    Bytes,
    Int,
    Bool,
    Time,
    Msg(&'static [F]),
    StrMap,
    /// `map<string, ExtraValue{1: repeated string items}>`
    ExtraMap,
}

#[derive(Clone, Copy)]
struct F {
    n: u64,
    name: &'static str,
    k: K,
    rep: bool,
}

const fn f(n: u64, name: &'static str, k: K) -> F {
    F {
        n,
        name,
        k,
        rep: false,
    }
}
const fn r(n: u64, name: &'static str, k: K) -> F {
    F {
        n,
        name,
        k,
        rep: true,
    }
}

const OBJECT_META: &[F] = &[
    f(1, "name", K::Str),
    f(2, "generateName", K::Str),
    f(3, "namespace", K::Str),
    f(5, "uid", K::Str),
    f(6, "resourceVersion", K::Str),
    f(7, "generation", K::Int),
    f(8, "creationTimestamp", K::Time),
    f(9, "deletionTimestamp", K::Time),
    f(10, "deletionGracePeriodSeconds", K::Int),
    f(11, "labels", K::StrMap),
    f(12, "annotations", K::StrMap),
    r(14, "finalizers", K::Str),
];
const CSR_SPEC: &[F] = &[
    f(1, "request", K::Bytes),
    f(2, "username", K::Str),
    f(3, "uid", K::Str),
    r(4, "groups", K::Str),
    r(5, "usages", K::Str),
    f(6, "extra", K::ExtraMap),
    f(7, "signerName", K::Str),
    f(8, "expirationSeconds", K::Int),
];
const CSR_CONDITION: &[F] = &[
    f(1, "type", K::Str),
    f(6, "status", K::Str),
    f(2, "reason", K::Str),
    f(3, "message", K::Str),
    f(4, "lastUpdateTime", K::Time),
    f(5, "lastTransitionTime", K::Time),
];
const CSR_STATUS: &[F] = &[
    r(1, "conditions", K::Msg(CSR_CONDITION)),
    f(2, "certificate", K::Bytes),
];
const CSR: &[F] = &[
    f(1, "metadata", K::Msg(OBJECT_META)),
    f(2, "spec", K::Msg(CSR_SPEC)),
    f(3, "status", K::Msg(CSR_STATUS)),
];

const POLICY_RULE: &[F] = &[
    r(1, "verbs", K::Str),
    r(2, "apiGroups", K::Str),
    r(3, "resources", K::Str),
    r(4, "resourceNames", K::Str),
    r(5, "nonResourceURLs", K::Str),
];
const LABEL_REQUIREMENT: &[F] = &[
    f(1, "key", K::Str),
    f(2, "operator", K::Str),
    r(3, "values", K::Str),
];
const LABEL_SELECTOR: &[F] = &[
    f(1, "matchLabels", K::StrMap),
    r(2, "matchExpressions", K::Msg(LABEL_REQUIREMENT)),
];
const AGGREGATION_RULE: &[F] = &[r(1, "clusterRoleSelectors", K::Msg(LABEL_SELECTOR))];
const ROLE: &[F] = &[
    f(1, "metadata", K::Msg(OBJECT_META)),
    r(2, "rules", K::Msg(POLICY_RULE)),
];
const CLUSTER_ROLE: &[F] = &[
    f(1, "metadata", K::Msg(OBJECT_META)),
    r(2, "rules", K::Msg(POLICY_RULE)),
    f(3, "aggregationRule", K::Msg(AGGREGATION_RULE)),
];
const SUBJECT: &[F] = &[
    f(1, "kind", K::Str),
    f(2, "apiGroup", K::Str),
    f(3, "name", K::Str),
    f(4, "namespace", K::Str),
];
const ROLE_REF: &[F] = &[
    f(1, "apiGroup", K::Str),
    f(2, "kind", K::Str),
    f(3, "name", K::Str),
];
const BINDING: &[F] = &[
    f(1, "metadata", K::Msg(OBJECT_META)),
    r(2, "subjects", K::Msg(SUBJECT)),
    f(3, "roleRef", K::Msg(ROLE_REF)),
];

const RESOURCE_ATTRIBUTES: &[F] = &[
    f(1, "namespace", K::Str),
    f(2, "verb", K::Str),
    f(3, "group", K::Str),
    f(4, "version", K::Str),
    f(5, "resource", K::Str),
    f(6, "subresource", K::Str),
    f(7, "name", K::Str),
];
const NON_RESOURCE_ATTRIBUTES: &[F] = &[f(1, "path", K::Str), f(2, "verb", K::Str)];
const SSAR_SPEC: &[F] = &[
    f(1, "resourceAttributes", K::Msg(RESOURCE_ATTRIBUTES)),
    f(2, "nonResourceAttributes", K::Msg(NON_RESOURCE_ATTRIBUTES)),
];
const SAR_SPEC: &[F] = &[
    f(1, "resourceAttributes", K::Msg(RESOURCE_ATTRIBUTES)),
    f(2, "nonResourceAttributes", K::Msg(NON_RESOURCE_ATTRIBUTES)),
    f(3, "user", K::Str),
    r(4, "groups", K::Str),
    f(5, "extra", K::ExtraMap),
    f(6, "uid", K::Str),
];
const SSAR: &[F] = &[
    f(1, "metadata", K::Msg(OBJECT_META)),
    f(2, "spec", K::Msg(SSAR_SPEC)),
];
const SAR: &[F] = &[
    f(1, "metadata", K::Msg(OBJECT_META)),
    f(2, "spec", K::Msg(SAR_SPEC)),
];
const SSRR_SPEC: &[F] = &[f(1, "namespace", K::Str)];
const SSRR: &[F] = &[
    f(1, "metadata", K::Msg(OBJECT_META)),
    f(2, "spec", K::Msg(SSRR_SPEC)),
];
const SSR: &[F] = &[f(1, "metadata", K::Msg(OBJECT_META))];
const SECRET: &[F] = &[
    f(1, "metadata", K::Msg(OBJECT_META)),
    f(2, "data", K::StrMap), // map<string, bytes>: re-encoded to base64 below
    f(3, "type", K::Str),
    f(4, "stringData", K::StrMap),
    f(5, "immutable", K::Bool),
];
const NAMESPACE: &[F] = &[f(1, "metadata", K::Msg(OBJECT_META))];

/// The message layout of a kind (by `kind` of the envelope's TypeMeta).
fn schema(kind: &str) -> Option<&'static [F]> {
    Some(match kind {
        "CertificateSigningRequest" => CSR,
        "Role" => ROLE,
        "ClusterRole" => CLUSTER_ROLE,
        "RoleBinding" | "ClusterRoleBinding" => BINDING,
        "SelfSubjectAccessReview" | "LocalSubjectAccessReview" => SSAR,
        "SubjectAccessReview" => SAR,
        "SelfSubjectRulesReview" => SSRR,
        "SelfSubjectReview" => SSR,
        "Secret" => SECRET,
        "Namespace" => NAMESPACE,
        _ => return None,
    })
}

struct Reader<'a> {
    b: &'a [u8],
    i: usize,
}

impl<'a> Reader<'a> {
    fn varint(&mut self) -> Result<u64, String> {
        let mut v: u64 = 0;
        for shift in (0..70).step_by(7) {
            let byte = *self.b.get(self.i).ok_or("truncated varint")?;
            self.i += 1;
            if shift == 63 && byte > 1 {
                return Err("varint overflow".into());
            }
            v |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err("varint too long".into())
    }
    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        let end = self
            .i
            .checked_add(n)
            .filter(|e| *e <= self.b.len())
            .ok_or("truncated field")?;
        let s = &self.b[self.i..end];
        self.i = end;
        Ok(s)
    }
    /// Next field: (number, wire type, payload for length-delimited, varint value).
    fn field(&mut self) -> Result<Option<(u64, Wire<'a>)>, String> {
        if self.i >= self.b.len() {
            return Ok(None);
        }
        let tag = self.varint()?;
        let (n, wt) = (tag >> 3, tag & 7);
        if n == 0 {
            return Err("invalid field number 0".into());
        }
        let w = match wt {
            0 => Wire::Varint(self.varint()?),
            1 => Wire::Fixed(self.take(8)?),
            2 => {
                let len = usize::try_from(self.varint()?).map_err(|_| "length overflow")?;
                Wire::Len(self.take(len)?)
            }
            5 => Wire::Fixed(self.take(4)?),
            other => return Err(format!("unsupported wire type {other}")),
        };
        Ok(Some((n, w)))
    }
}

enum Wire<'a> {
    Varint(u64),
    Fixed(#[allow(dead_code)] &'a [u8]),
    Len(&'a [u8]),
}

fn fields(b: &[u8]) -> Result<Vec<(u64, Wire<'_>)>, String> {
    let mut r = Reader { b, i: 0 };
    let mut out = Vec::new();
    while let Some(x) = r.field()? {
        out.push(x);
    }
    Ok(out)
}

fn len<'a>(w: &Wire<'a>, name: &str) -> Result<&'a [u8], String> {
    match w {
        Wire::Len(b) => Ok(b),
        _ => Err(format!("field {name}: wrong wire type")),
    }
}

fn string(b: &[u8], name: &str) -> Result<String, String> {
    String::from_utf8(b.to_vec()).map_err(|_| format!("field {name}: invalid UTF-8"))
}

fn time(b: &[u8]) -> Result<Option<String>, String> {
    let mut secs: i64 = 0;
    for (n, w) in fields(b)? {
        if let (1, Wire::Varint(v)) = (n, &w) {
            secs = *v as i64;
        }
    }
    Ok((secs != 0).then(|| crate::api::Time(secs).to_rfc3339()))
}

/// Decode one field value; `None` for an unset singular value.
fn value(k: K, w: &Wire<'_>, name: &str, rep: bool) -> Result<Option<Value>, String> {
    Ok(match k {
        K::Str => {
            let s = string(len(w, name)?, name)?;
            (rep || !s.is_empty()).then(|| json!(s))
        }
        // gogo's unmarshal makes a present-but-empty bytes field `[]byte{}` (non-nil), which
        // validation prints differently from an absent one (`[]byte(nil)`): keep it as "".
        K::Bytes => {
            let b = len(w, name)?;
            Some(json!(base64::engine::general_purpose::STANDARD.encode(b)))
        }
        K::Int => match w {
            Wire::Varint(v) => ((*v != 0) || rep).then(|| json!(*v as i64)),
            _ => return Err(format!("field {name}: wrong wire type")),
        },
        K::Bool => match w {
            Wire::Varint(v) => (*v != 0 || rep).then(|| json!(*v != 0)),
            _ => return Err(format!("field {name}: wrong wire type")),
        },
        K::Time => time(len(w, name)?)?.map(Value::String),
        K::Msg(s) => Some(message(len(w, name)?, s)?),
        K::StrMap | K::ExtraMap => unreachable!("maps are handled by the caller"),
    })
}

fn message(b: &[u8], schema: &[F]) -> Result<Value, String> {
    let mut out = Map::new();
    for (n, w) in fields(b)? {
        let Some(fd) = schema.iter().find(|x| x.n == n) else {
            continue;
        };
        match fd.k {
            K::StrMap | K::ExtraMap => {
                let mut key = String::new();
                let mut val = Value::Null;
                for (en, ew) in fields(len(&w, fd.name)?)? {
                    match en {
                        1 => key = string(len(&ew, fd.name)?, fd.name)?,
                        2 if matches!(fd.k, K::StrMap) => {
                            val = json!(string(len(&ew, fd.name)?, fd.name).unwrap_or_default())
                        }
                        2 => {
                            let mut items = Vec::new();
                            for (iname, iw) in fields(len(&ew, fd.name)?)? {
                                if iname == 1 {
                                    items.push(json!(string(len(&iw, fd.name)?, fd.name)?));
                                }
                            }
                            val = Value::Array(items);
                        }
                        _ => {}
                    }
                }
                if val.is_null() {
                    val = if matches!(fd.k, K::StrMap) {
                        json!("")
                    } else {
                        json!([])
                    };
                }
                let m = out.entry(fd.name).or_insert_with(|| json!({}));
                m[key] = val;
            }
            _ => {
                let Some(v) = value(fd.k, &w, fd.name, fd.rep)? else {
                    continue;
                };
                if fd.rep {
                    out.entry(fd.name)
                        .or_insert_with(|| json!([]))
                        .as_array_mut()
                        .expect("array")
                        .push(v);
                } else {
                    out.insert(fd.name.to_string(), v);
                }
            }
        }
    }
    Ok(Value::Object(out))
}

/// Decode a `k8s\0`-prefixed protobuf body into the equivalent JSON object (with `apiVersion`
/// and `kind` from the envelope). Errors are texts for a 400 BadRequest.
pub fn decode(body: &[u8]) -> Result<Value, String> {
    let rest = body.strip_prefix(MAGIC).ok_or(
        "provided data does not appear to be a protobuf message, expected prefix [107 56 115 0]",
    )?;
    let (mut api_version, mut kind, mut raw) = (String::new(), String::new(), &[][..]);
    for (n, w) in fields(rest)? {
        match n {
            1 => {
                for (tn, tw) in fields(len(&w, "typeMeta")?)? {
                    match tn {
                        1 => api_version = string(len(&tw, "apiVersion")?, "apiVersion")?,
                        2 => kind = string(len(&tw, "kind")?, "kind")?,
                        _ => {}
                    }
                }
            }
            2 => raw = len(&w, "raw")?,
            _ => {}
        }
    }
    let s = schema(&kind)
        .ok_or_else(|| format!("no kind {kind:?} is registered for protobuf decoding"))?;
    let mut v = message(raw, s)?;
    if kind == "Secret" {
        // Secret.data is map<string, bytes>: JSON carries the values base64-encoded.
        if let Some(Value::Object(d)) = v.get_mut("data") {
            for (_, x) in d.iter_mut() {
                let raw = x.as_str().unwrap_or("").as_bytes().to_vec();
                *x = json!(base64::engine::general_purpose::STANDARD.encode(raw));
            }
        }
    }
    let m = v.as_object_mut().expect("object");
    let mut out = Map::new();
    out.insert("kind".into(), json!(kind));
    out.insert("apiVersion".into(), json!(api_version));
    out.append(m);
    Ok(Value::Object(out))
}

#[cfg(test)]
pub mod encode {
    //! A tiny encoder for tests: builds messages the way gogo marshals them.
    pub fn varint(mut v: u64, out: &mut Vec<u8>) {
        loop {
            let b = (v & 0x7f) as u8;
            v >>= 7;
            if v == 0 {
                out.push(b);
                return;
            }
            out.push(b | 0x80);
        }
    }
    pub fn bytes(n: u64, b: &[u8], out: &mut Vec<u8>) {
        varint(n << 3 | 2, out);
        varint(b.len() as u64, out);
        out.extend_from_slice(b);
    }
    pub fn int(n: u64, v: u64, out: &mut Vec<u8>) {
        varint(n << 3, out);
        varint(v, out);
    }
    pub fn envelope(api_version: &str, kind: &str, raw: &[u8]) -> Vec<u8> {
        let mut tm = Vec::new();
        bytes(1, api_version.as_bytes(), &mut tm);
        bytes(2, kind.as_bytes(), &mut tm);
        let mut u = Vec::new();
        bytes(1, &tm, &mut u);
        bytes(2, raw, &mut u);
        bytes(3, b"", &mut u);
        bytes(4, b"", &mut u);
        let mut out = super::MAGIC.to_vec();
        out.extend(u);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::encode::*;
    use super::*;

    fn meta(name: &str) -> Vec<u8> {
        let mut m = Vec::new();
        bytes(1, name.as_bytes(), &mut m);
        bytes(2, b"", &mut m); // gogo sends empty generateName
        let mut ts = Vec::new();
        int(1, 0, &mut ts); // zero creationTimestamp = null
        bytes(8, &ts, &mut m);
        m
    }

    #[test]
    fn approval_put_as_kubectl_1_32_sends_it() {
        // `kubectl certificate approve`: full CSR + appended condition without lastTransitionTime.
        let mut spec = Vec::new();
        bytes(1, b"-----BEGIN CERTIFICATE REQUEST-----", &mut spec);
        bytes(2, b"admin", &mut spec);
        bytes(4, b"system:masters", &mut spec);
        bytes(4, b"system:authenticated", &mut spec);
        bytes(5, b"client auth", &mut spec);
        bytes(7, b"kubernetes.io/kube-apiserver-client", &mut spec);
        int(8, 86400, &mut spec);
        let mut cond = Vec::new();
        bytes(1, b"Approved", &mut cond);
        bytes(2, b"KubectlApprove", &mut cond);
        bytes(
            3,
            b"This CSR was approved by kubectl certificate approve.",
            &mut cond,
        );
        let mut t = Vec::new();
        int(1, 1_893_456_000, &mut t);
        bytes(4, &t, &mut cond);
        bytes(5, &[8, 0], &mut cond);
        bytes(6, b"True", &mut cond);
        let mut status = Vec::new();
        bytes(1, &cond, &mut status);
        bytes(2, b"", &mut status);
        let mut csr = Vec::new();
        bytes(1, &meta("myuser"), &mut csr);
        bytes(2, &spec, &mut csr);
        bytes(3, &status, &mut csr);
        let v = decode(&envelope(
            "certificates.k8s.io/v1",
            "CertificateSigningRequest",
            &csr,
        ))
        .unwrap();
        assert_eq!(v["kind"], "CertificateSigningRequest");
        assert_eq!(v["metadata"], json!({"name": "myuser"}));
        assert_eq!(v["spec"]["expirationSeconds"], 86400);
        assert_eq!(
            v["spec"]["groups"],
            json!(["system:masters", "system:authenticated"])
        );
        assert_eq!(
            v["spec"]["request"],
            json!(base64::engine::general_purpose::STANDARD
                .encode("-----BEGIN CERTIFICATE REQUEST-----"))
        );
        let c = &v["status"]["conditions"][0];
        assert_eq!(c["type"], "Approved");
        assert_eq!(c["status"], "True");
        assert_eq!(c["lastUpdateTime"], "2030-01-01T00:00:00Z");
        assert!(c.get("lastTransitionTime").is_none());
        // present but empty: gogo gives []byte{}, kept as "" (decodes to an empty certificate)
        assert_eq!(v["status"]["certificate"], "");
    }

    #[test]
    fn empty_bytes_fields_are_kept_and_absent_ones_left_out() {
        for (present, want) in [(true, Some(json!(""))), (false, None)] {
            let mut spec = Vec::new();
            if present {
                bytes(1, b"", &mut spec);
            }
            bytes(7, b"example.com/x", &mut spec);
            let mut csr = Vec::new();
            bytes(1, &meta("x"), &mut csr);
            bytes(2, &spec, &mut csr);
            let v = decode(&envelope(
                "certificates.k8s.io/v1",
                "CertificateSigningRequest",
                &csr,
            ))
            .unwrap();
            assert_eq!(
                v["spec"].get("request").cloned(),
                want,
                "present: {present}"
            );
        }
    }

    #[test]
    fn role_keeps_empty_core_api_group() {
        // `kubectl create role developer --verb=get --resource=pods`
        let mut rule = Vec::new();
        bytes(1, b"get", &mut rule);
        bytes(1, b"list", &mut rule);
        bytes(2, b"", &mut rule);
        bytes(3, b"pods", &mut rule);
        let mut role = Vec::new();
        bytes(1, &meta("developer"), &mut role);
        bytes(2, &rule, &mut role);
        let v = decode(&envelope("rbac.authorization.k8s.io/v1", "Role", &role)).unwrap();
        assert_eq!(
            v["rules"],
            json!([{"verbs": ["get", "list"], "apiGroups": [""], "resources": ["pods"]}])
        );
    }

    #[test]
    fn rolebinding_and_labels() {
        let mut m = meta("developer-binding-myuser");
        let mut e = Vec::new();
        bytes(1, b"team", &mut e);
        bytes(2, b"dev", &mut e);
        bytes(11, &e, &mut m);
        let mut s = Vec::new();
        bytes(1, b"User", &mut s);
        bytes(2, b"rbac.authorization.k8s.io", &mut s);
        bytes(3, b"myuser", &mut s);
        bytes(4, b"", &mut s);
        let mut rr = Vec::new();
        bytes(1, b"rbac.authorization.k8s.io", &mut rr);
        bytes(2, b"Role", &mut rr);
        bytes(3, b"developer", &mut rr);
        let mut b = Vec::new();
        bytes(1, &m, &mut b);
        bytes(2, &s, &mut b);
        bytes(3, &rr, &mut b);
        let v = decode(&envelope("rbac.authorization.k8s.io/v1", "RoleBinding", &b)).unwrap();
        assert_eq!(v["metadata"]["labels"], json!({"team": "dev"}));
        assert_eq!(
            v["subjects"],
            json!([{"kind": "User", "apiGroup": "rbac.authorization.k8s.io", "name": "myuser"}])
        );
        assert_eq!(v["roleRef"]["kind"], "Role");
    }

    #[test]
    fn ssar_and_ssr() {
        let mut ra = Vec::new();
        bytes(1, b"default", &mut ra);
        bytes(2, b"create", &mut ra);
        bytes(5, b"pods", &mut ra);
        let mut spec = Vec::new();
        bytes(1, &ra, &mut spec);
        let mut m = Vec::new();
        bytes(2, &spec, &mut m);
        let v = decode(&envelope(
            "authorization.k8s.io/v1",
            "SelfSubjectAccessReview",
            &m,
        ))
        .unwrap();
        assert_eq!(
            v["spec"]["resourceAttributes"],
            json!({"namespace": "default", "verb": "create", "resource": "pods"})
        );
        let v = decode(&envelope(
            "authentication.k8s.io/v1",
            "SelfSubjectReview",
            &[],
        ))
        .unwrap();
        assert_eq!(
            v,
            json!({"kind": "SelfSubjectReview", "apiVersion": "authentication.k8s.io/v1"})
        );
    }

    #[test]
    fn malformed_bodies_are_errors() {
        assert!(decode(b"{\"kind\":1}")
            .unwrap_err()
            .contains("expected prefix"));
        // truncated length-delimited field
        assert!(decode(b"k8s\x00\x0a\x05ab")
            .unwrap_err()
            .contains("truncated"));
        // unknown kind
        assert!(decode(&envelope("v1", "Pod", &[]))
            .unwrap_err()
            .contains("Pod"));
        // wire type 3 (groups) unsupported
        assert!(decode(b"k8s\x00\x0b").is_err());
        // varint overflow
        let mut b = b"k8s\x00\x08".to_vec();
        b.extend([0xff; 11]);
        assert!(decode(&b).is_err());
    }

    proptest::proptest! {
        /// Hostile bodies never panic: every input is decoded or refused with a message.
        #[test]
        fn arbitrary_bodies_never_panic(kind in proptest::sample::select(vec!["CertificateSigningRequest", "Role", "ClusterRole", "RoleBinding", "SelfSubjectAccessReview", "SubjectAccessReview", "Secret"]), raw in proptest::collection::vec(proptest::num::u8::ANY, 0..256)) {
            let _ = decode(&envelope("v1", kind, &raw));
            let mut b = MAGIC.to_vec();
            b.extend(&raw);
            let _ = decode(&b);
        }
    }
}
