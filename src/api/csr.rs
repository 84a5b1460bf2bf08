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
