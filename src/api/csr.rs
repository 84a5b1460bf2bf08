//! `certificates.k8s.io/v1` CertificateSigningRequest, as in
//! `staging/src/k8s.io/api/certificates/v1/types.go`.

use super::meta::{ListMeta, ObjectMeta};
use super::time::Time;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub const GROUP: &str = "certificates.k8s.io";
pub const API_VERSION: &str = "certificates.k8s.io/v1";
pub const KIND: &str = "CertificateSigningRequest";
pub const LIST_KIND: &str = "CertificateSigningRequestList";
pub const RESOURCE: &str = "certificatesigningrequests";

/// Condition types (`RequestConditionType`).
pub const APPROVED: &str = "Approved";
pub const DENIED: &str = "Denied";
pub const FAILED: &str = "Failed";

/// Well-known signer names.
pub const KUBE_APISERVER_CLIENT: &str = "kubernetes.io/kube-apiserver-client";
pub const KUBE_APISERVER_CLIENT_KUBELET: &str = "kubernetes.io/kube-apiserver-client-kubelet";
pub const KUBELET_SERVING: &str = "kubernetes.io/kubelet-serving";
pub const LEGACY_UNKNOWN: &str = "kubernetes.io/legacy-unknown";

/// The 23 valid key usages (`allValidUsages`), in declaration order.
pub const ALL_USAGES: [&str; 23] = [
    "signing",
    "digital signature",
    "content commitment",
    "key encipherment",
    "key agreement",
    "data encipherment",
    "cert sign",
    "crl sign",
    "encipher only",
    "decipher only",
    "any",
    "server auth",
    "client auth",
    "code signing",
    "email protection",
    "s/mime",
    "ipsec end system",
    "ipsec tunnel",
    "ipsec user",
    "timestamping",
    "ocsp signing",
    "microsoft sgc",
    "netscape sgc",
];

/// The Go types of `certificates/v1` as `encoding/json` sees them (for its error texts).
pub mod go_types {
    use crate::api::gojson::{GoStruct, GoType, INT32, OBJECT_META, STRING};

    const CONDITION: GoStruct = GoStruct {
        name: "CertificateSigningRequestCondition",
        go: "v1.CertificateSigningRequestCondition",
        fields: &[
            ("type", GoType::Str("v1.RequestConditionType")),
            ("status", GoType::Str("v1.ConditionStatus")),
            ("reason", STRING),
            ("message", STRING),
            ("lastUpdateTime", GoType::Opaque),
            ("lastTransitionTime", GoType::Opaque),
        ],
    };
    const SPEC: GoStruct = GoStruct {
        name: "CertificateSigningRequestSpec",
        go: "v1.CertificateSigningRequestSpec",
        fields: &[
            ("request", GoType::Bytes),
            ("signerName", STRING),
            ("expirationSeconds", INT32),
            (
                "usages",
                GoType::List("[]v1.KeyUsage", &GoType::Str("v1.KeyUsage")),
            ),
            ("username", STRING),
            ("uid", STRING),
            ("groups", GoType::List("[]string", &STRING)),
            (
                "extra",
                GoType::Map(
                    "map[string]v1.ExtraValue",
                    &GoType::List("v1.ExtraValue", &STRING),
                ),
            ),
        ],
    };
    const STATUS: GoStruct = GoStruct {
        name: "CertificateSigningRequestStatus",
        go: "v1.CertificateSigningRequestStatus",
        fields: &[
            (
                "conditions",
                GoType::List(
                    "[]v1.CertificateSigningRequestCondition",
                    &GoType::Struct(&CONDITION),
                ),
            ),
            ("certificate", GoType::Bytes),
        ],
    };
    /// `v1.CertificateSigningRequest` (apiVersion/kind are read earlier by the serializer).
    pub static CSR: GoStruct = GoStruct {
        name: "CertificateSigningRequest",
        go: "v1.CertificateSigningRequest",
        fields: &[
            ("metadata", GoType::Struct(&OBJECT_META)),
            ("spec", GoType::Struct(&SPEC)),
            ("status", GoType::Struct(&STATUS)),
        ],
    };
}

/// Serde adapter: `[]byte` fields are base64 strings in JSON.
pub mod b64 {
    use base64::Engine;
    use serde::{Deserialize, Deserializer, Serializer};

    thread_local! {
        /// Reused encoding buffer (every stored CSR write encodes its request and certificate).
        static SCRATCH: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
    }

    pub fn serialize<S: Serializer>(v: &[u8], s: S) -> Result<S::Ok, S::Error> {
        let engine = &base64::engine::general_purpose::STANDARD;
        SCRATCH.with(|b| match b.try_borrow_mut() {
            Ok(mut buf) => {
                buf.clear();
                engine.encode_string(v, &mut buf);
                let r = s.serialize_str(&buf);
                if buf.capacity() > 1 << 20 {
                    *buf = String::new();
                }
                r
            }
            Err(_) => s.serialize_str(&engine.encode(v)),
        })
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let s: Option<String> = Option::deserialize(d)?;
        match s {
            None => Ok(Vec::new()),
            // Go's decoder (newlines skipped, its error text): see `api::gojson`.
            Some(s) => super::super::gojson::decode_base64_std(s.as_bytes())
                .map_err(serde::de::Error::custom),
        }
    }
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct CertificateSigningRequest {
    // `kind` first, as Go's TypeMeta serializes: the stored JSON is this struct's serialization.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub kind: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub api_version: String,
    #[serde(default)]
    pub metadata: ObjectMeta,
    #[serde(default)]
    pub spec: CsrSpec,
    #[serde(default)]
    pub status: CsrStatus,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct CsrSpec {
    #[serde(default, with = "b64")]
    pub request: Vec<u8>,
    #[serde(default)]
    pub signer_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiration_seconds: Option<i32>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub usages: Vec<String>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub username: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub uid: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub extra: BTreeMap<String, Vec<String>>,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct CsrStatus {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<CsrCondition>,
    #[serde(default, with = "b64", skip_serializing_if = "Vec::is_empty")]
    pub certificate: Vec<u8>,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct CsrCondition {
    #[serde(rename = "type", default)]
    pub type_: String,
    #[serde(default)]
    pub status: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub reason: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_update_time: Option<Time>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_transition_time: Option<Time>,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct CertificateSigningRequestList {
    pub api_version: String,
    pub kind: String,
    #[serde(default)]
    pub metadata: ListMeta,
    pub items: Vec<CertificateSigningRequest>,
}

impl CertificateSigningRequest {
    /// True if any condition has this type (status ignored), as upstream helpers check.
    pub fn has_condition(&self, t: &str) -> bool {
        self.status.conditions.iter().any(|c| c.type_ == t)
    }
    /// `IsCertificateRequestApproved`: an Approved condition and no Denied condition.
    pub fn is_approved(&self) -> bool {
        self.has_condition(APPROVED) && !self.has_condition(DENIED)
    }
    /// `HasTrueCondition(Failed)`: type Failed with status `True` or empty.
    pub fn has_true_condition(&self, t: &str) -> bool {
        self.status
            .conditions
            .iter()
            .any(|c| c.type_ == t && (c.status.is_empty() || c.status == "True"))
    }
    pub fn condition(&self, t: &str) -> Option<&CsrCondition> {
        self.status.conditions.iter().find(|c| c.type_ == t)
    }
    /// kubectl's CONDITION column (`extractCSRStatus`).
    pub fn display_condition(&self) -> String {
        let mut s = if self.has_condition(DENIED) {
            "Denied".to_string()
        } else if self.has_condition(APPROVED) {
            "Approved".to_string()
        } else {
            "Pending".to_string()
        };
        if self.has_condition(FAILED) {
            s.push_str(",Failed");
        }
        if !self.status.certificate.is_empty() {
            s.push_str(",Issued");
        }
        s
    }
}

/// Writes `"key":` after a comma when it is not the first member of its object.
struct Members<'a> {
    out: &'a mut Vec<u8>,
    first: bool,
}

impl<'a> Members<'a> {
    fn open(out: &'a mut Vec<u8>) -> Self {
        out.push(b'{');
        Members { out, first: true }
    }
    fn key(&mut self, k: &str) -> &mut Vec<u8> {
        if !self.first {
            self.out.push(b',');
        }
        self.first = false;
        self.out.push(b'"');
        self.out.extend_from_slice(k.as_bytes());
        self.out.extend_from_slice(b"\":");
        self.out
    }
    /// `"key":` and the value as serde writes it.
    fn serde<T: Serialize + ?Sized>(&mut self, k: &str, v: &T) -> serde_json::Result<()> {
        serde_json::to_writer(&mut *self.key(k), v)
    }
    /// `"key":"<standard base64 of v>"`: the alphabet needs no JSON escaping, so the
    /// encoding goes straight into the output.
    fn base64(&mut self, k: &str, v: &[u8]) {
        use base64::Engine;
        let out = self.key(k);
        out.push(b'"');
        let start = out.len();
        let n = base64::encoded_len(v.len(), true).expect("a stored object fits in memory");
        out.resize(start + n, 0);
        let written = base64::engine::general_purpose::STANDARD
            .encode_slice(v, &mut out[start..])
            .expect("sized by encoded_len");
        out.truncate(start + written);
        out.push(b'"');
    }
    fn close(self) {
        self.out.push(b'}');
    }
}

impl CertificateSigningRequest {
    /// Append exactly the bytes `serde_json::to_writer` writes for this CSR (the stored JSON),
    /// faster: `spec.request` and `status.certificate`, most of a CSR's bytes, are encoded
    /// straight into `out` instead of being encoded, then scanned for characters to escape
    /// (the scan was half of the serialization a CSR write pays for). Every other member is
    /// serialized by serde, in the derive's order and with its skip rules.
    pub fn write_json(&self, out: &mut Vec<u8>) -> serde_json::Result<()> {
        #[cfg(debug_assertions)]
        let start = out.len();
        let mut m = Members::open(out);
        if !self.kind.is_empty() {
            m.serde("kind", &self.kind)?;
        }
        if !self.api_version.is_empty() {
            m.serde("apiVersion", &self.api_version)?;
        }
        m.serde("metadata", &self.metadata)?;
        let s = &self.spec;
        let mut spec = Members::open(m.key("spec"));
        spec.base64("request", &s.request);
        spec.serde("signerName", &s.signer_name)?;
        if let Some(e) = s.expiration_seconds {
            spec.serde("expirationSeconds", &e)?;
        }
        if !s.usages.is_empty() {
            spec.serde("usages", &s.usages)?;
        }
        if !s.username.is_empty() {
            spec.serde("username", &s.username)?;
        }
        if !s.uid.is_empty() {
            spec.serde("uid", &s.uid)?;
        }
        if !s.groups.is_empty() {
            spec.serde("groups", &s.groups)?;
        }
        if !s.extra.is_empty() {
            spec.serde("extra", &s.extra)?;
        }
        spec.close();
        let mut status = Members::open(m.key("status"));
        if !self.status.conditions.is_empty() {
            status.serde("conditions", &self.status.conditions)?;
        }
        if !self.status.certificate.is_empty() {
            status.base64("certificate", &self.status.certificate);
        }
        status.close();
        m.close();
        #[cfg(debug_assertions)]
        debug_assert_eq!(
            std::str::from_utf8(&out[start..]).ok(),
            serde_json::to_string(self).ok().as_deref(),
            "write_json must write what serde writes"
        );
        Ok(())
    }
}

#[cfg(test)]
mod write_json_tests {
    use super::*;

    fn serde_bytes(c: &CertificateSigningRequest) -> Vec<u8> {
        serde_json::to_vec(c).unwrap()
    }

    fn ours(c: &CertificateSigningRequest) -> Vec<u8> {
        let mut out = b"prefix".to_vec();
        c.write_json(&mut out).unwrap();
        out.split_off(6)
    }

    #[test]
    fn write_json_writes_what_serde_writes() {
        let empty = CertificateSigningRequest::default();
        assert_eq!(ours(&empty), serde_bytes(&empty));
        assert_eq!(
            String::from_utf8(ours(&empty)).unwrap(),
            r#"{"metadata":{},"spec":{"request":"","signerName":""},"status":{}}"#
        );
        let mut full = CertificateSigningRequest {
            kind: "CertificateSigningRequest".into(),
            api_version: "certificates.k8s.io/v1".into(),
            ..Default::default()
        };
        full.metadata.name = "quote\"back\\slash\u{1}<>&é".into();
        full.metadata.labels.insert("a".into(), "b\n".into());
        full.metadata
            .annotations
            .insert("z".into(), "\u{2028}".into());
        full.metadata.finalizers.push("f".into());
        full.spec.request = (0u8..=255).collect();
        full.spec.signer_name = "example.com/x\"y".into();
        full.spec.expiration_seconds = Some(-3);
        full.spec.usages = vec!["client auth".into(), "\t".into()];
        full.spec.username = "u".into();
        full.spec.uid = "id".into();
        full.spec.groups = vec!["g1".into(), "g\"2".into()];
        full.spec
            .extra
            .insert("k\"".into(), vec!["v".into(), String::new()]);
        full.status.conditions.push(CsrCondition {
            type_: "Approved".into(),
            status: "True".into(),
            reason: "R".into(),
            message: "m\u{7f}".into(),
            last_update_time: Some(Time(1_700_000_000)),
            last_transition_time: None,
        });
        full.status.certificate = vec![0xff; 1001];
        assert_eq!(ours(&full), serde_bytes(&full));
        // each base64 length class (padding 0, 1, 2) and a request without a certificate
        for n in 0..7 {
            let c = CertificateSigningRequest {
                spec: CsrSpec {
                    request: vec![0xfb; n],
                    ..Default::default()
                },
                ..Default::default()
            };
            assert_eq!(ours(&c), serde_bytes(&c), "{n}-byte request");
        }
    }
}
