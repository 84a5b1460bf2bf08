//! `meta.k8s.io/v1` Status: every error the API returns, shaped exactly as kube-apiserver does
//! (`staging/src/k8s.io/apimachinery/pkg/api/errors/errors.go`).

use serde::{Deserialize, Serialize};
use std::fmt;

/// One cause of an error (for 422 Invalid: one per field error).
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct StatusCause {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub reason: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub message: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub field: String,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct StatusDetails {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub group: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub kind: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub uid: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub causes: Vec<StatusCause>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after_seconds: Option<i32>,
}

/// A `Status` object. `Err(Status)` is what every failed API call returns.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Status {
    pub kind: String,
    pub api_version: String,
    #[serde(default)]
    pub metadata: serde_json::Map<String, serde_json::Value>,
    #[serde(default)]
    pub status: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub message: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub reason: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<StatusDetails>,
    /// 0 (omitted, as Go's `omitempty` does) on the Success Status of a delete, which
    /// `finalizeDelete` builds without a code.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub code: u16,
}

fn is_zero(c: &u16) -> bool {
    *c == 0
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({}): {}", self.code, self.reason, self.message)
    }
}

impl std::error::Error for Status {}

/// Identifies the resource in error messages: `certificatesigningrequests.certificates.k8s.io`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupResource {
    pub group: String,
    pub resource: String,
}

impl GroupResource {
    pub fn new(group: &str, resource: &str) -> Self {
        GroupResource {
            group: group.into(),
            resource: resource.into(),
        }
    }
    pub fn csr() -> Self {
        Self::new("certificates.k8s.io", "certificatesigningrequests")
    }
}

impl fmt::Display for GroupResource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.group.is_empty() {
            f.write_str(&self.resource)
        } else {
            write!(f, "{}.{}", self.resource, self.group)
        }
    }
}

impl Status {
    /// A bare failure with the given code, reason and message.
    pub fn failure(code: u16, reason: &str, message: impl Into<String>) -> Status {
        Status {
            kind: "Status".into(),
            api_version: "v1".into(),
            metadata: Default::default(),
            status: "Failure".into(),
            message: message.into(),
            reason: reason.into(),
            details: None,
            code,
        }
    }

    /// The `Status` of a successful delete (`{"status":"Success", ...}`), as for collections.
    pub fn success(gr: &GroupResource, name: &str, kind: &str, uid: &str) -> Status {
        Status {
            kind: "Status".into(),
            api_version: "v1".into(),
            metadata: Default::default(),
            status: "Success".into(),
            message: String::new(),
            reason: String::new(),
            details: Some(StatusDetails {
                name: name.into(),
                group: gr.group.clone(),
                kind: kind.into(),
                uid: uid.into(),
                ..Default::default()
            }),
            code: 0,
        }
    }

    fn with_details(mut self, gr: &GroupResource, name: &str) -> Status {
        self.details = Some(StatusDetails {
            name: name.into(),
            group: gr.group.clone(),
            kind: gr.resource.clone(),
            ..Default::default()
        });
        self
    }

    /// 404: `certificatesigningrequests.certificates.k8s.io "x" not found`.
    pub fn not_found(gr: &GroupResource, name: &str) -> Status {
        Status::failure(404, "NotFound", format!("{gr} \"{name}\" not found"))
            .with_details(gr, name)
    }

    /// 409: `certificatesigningrequests.certificates.k8s.io "x" already exists`.
    pub fn already_exists(gr: &GroupResource, name: &str) -> Status {
        Status::failure(
            409,
            "AlreadyExists",
            format!("{gr} \"{name}\" already exists"),
        )
        .with_details(gr, name)
    }

    /// 409 Conflict for a stale resourceVersion.
    pub fn conflict_modified(gr: &GroupResource, name: &str) -> Status {
        Status::conflict(
            gr,
            name,
            "the object has been modified; please apply your changes to the latest version and try again",
        )
    }

    /// 409: `Operation cannot be fulfilled on <gr> "<name>": <msg>`.
    pub fn conflict(gr: &GroupResource, name: &str, msg: &str) -> Status {
        Status::failure(
            409,
            "Conflict",
            format!("Operation cannot be fulfilled on {gr} \"{name}\": {msg}"),
        )
        .with_details(gr, name)
    }

    /// 403: `<gr> "<name>" is forbidden: <msg>` (name omitted when empty).
    pub fn forbidden(gr: &GroupResource, name: &str, msg: &str) -> Status {
        let message = if name.is_empty() {
            format!("{gr} is forbidden: {msg}")
        } else {
            format!("{gr} \"{name}\" is forbidden: {msg}")
        };
        Status::failure(403, "Forbidden", message).with_details(gr, name)
    }

    /// 422 Invalid: `<Kind>.<group> "<name>" is invalid: <err>` or `...: [<e1>, <e2>]`.
    pub fn invalid(
        kind: &str,
        group: &str,
        name: &str,
        errs: &[crate::validation::FieldError],
    ) -> Status {
        let qualified = if group.is_empty() {
            kind.to_string()
        } else {
            format!("{kind}.{group}")
        };
        // `ErrorList.ToAggregate`: the message lists each distinct error once (the causes
        // keep every one).
        let mut distinct: Vec<String> = Vec::new();
        for e in errs {
            let m = e.to_string();
            if !distinct.contains(&m) {
                distinct.push(m);
            }
        }
        let list = if distinct.len() == 1 {
            distinct.remove(0)
        } else {
            format!("[{}]", distinct.join(", "))
        };
        let mut st = Status::failure(
            422,
            "Invalid",
            format!("{qualified} \"{name}\" is invalid: {list}"),
        );
        st.details = Some(StatusDetails {
            name: name.into(),
            group: group.into(),
            kind: kind.into(),
            causes: errs
                .iter()
                .map(|e| StatusCause {
                    reason: e.kind.cause_reason().into(),
                    message: e.message_without_field(),
                    field: e.field.clone(),
                })
                .collect(),
            ..Default::default()
        });
        st
    }

    /// 400 BadRequest.
    pub fn bad_request(msg: impl Into<String>) -> Status {
        Status::failure(400, "BadRequest", msg)
    }

    /// 410 Expired for a watch or list from a compacted resourceVersion.
    pub fn expired(msg: impl Into<String>) -> Status {
        Status::failure(410, "Expired", msg)
    }

    /// 401 Unauthorized.
    pub fn unauthorized() -> Status {
        Status::failure(401, "Unauthorized", "Unauthorized")
    }

    /// 405 MethodNotAllowed. Every 405 is go-restful's route mismatch, which the apiserver's
    /// `serviceErrorHandler` answers with `NewGenericServerResponse`: its `details` is a
    /// non-nil empty struct, so the JSON carries `"details": {}`.
    pub fn method_not_allowed(msg: impl Into<String>) -> Status {
        let mut st = Status::failure(405, "MethodNotAllowed", msg);
        st.details = Some(Default::default());
        st
    }

    /// 500 InternalError.
    pub fn internal(msg: impl Into<String>) -> Status {
        Status::failure(
            500,
            "InternalError",
            format!("Internal error occurred: {}", msg.into()),
        )
    }
}
