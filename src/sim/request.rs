//! The one request shape every driver (HTTP server, scenario runner, Rust tests) hands to
//! [`crate::sim::Cluster::apply`].

use crate::api::csr::CertificateSigningRequest;
use crate::api::meta::{ListOptions, Preconditions};
use crate::api::WatchEvent;
use serde_json::Value;

/// apimachinery `FieldManagerMaxLength`.
pub const FIELD_MANAGER_MAX_LENGTH: usize = 128;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verb {
    Create,
    Get,
    List,
    Watch,
    Update,
    Patch,
    Delete,
    DeleteCollection,
}

impl Verb {
    /// The RBAC verb.
    pub fn as_str(self) -> &'static str {
        match self {
            Verb::Create => "create",
            Verb::Get => "get",
            Verb::List => "list",
            Verb::Watch => "watch",
            Verb::Update => "update",
            Verb::Patch => "patch",
            Verb::Delete => "delete",
            Verb::DeleteCollection => "deletecollection",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PatchType {
    /// `application/json-patch+json` (RFC 6902)
    Json,
    /// `application/merge-patch+json` (RFC 7386)
    Merge,
    /// `application/strategic-merge-patch+json`
    StrategicMerge,
    /// `application/apply-patch+yaml` (server-side apply)
    Apply,
}

/// One API request, already authenticated and routed.
#[derive(Clone, Debug, Default)]
pub struct ApiRequest {
    pub verb: Option<Verb>,
    /// API group (`""` for core).
    pub group: String,
    pub version: String,
    /// Plural resource name, e.g. `certificatesigningrequests`.
    pub resource: String,
    /// `""`, `approval` or `status`.
    pub subresource: String,
    pub namespace: String,
    pub name: String,
    /// Create/update body, or the patch document.
    pub body: Option<Value>,
    pub patch_type: Option<PatchType>,
    pub list: ListOptions,
    pub dry_run: bool,
    pub preconditions: Option<Preconditions>,
    /// Server-side apply: field manager (required for apply patches, else not modelled).
    pub field_manager: String,
    /// `force` of a patch (`None`: absent); only apply patches may carry it.
    pub force: Option<bool>,
    /// Every `dryRun` value as sent (query or DeleteOptions body), for the options
    /// validation; [`ApiRequest::dry_run`] is what they mean.
    pub dry_run_values: Vec<String>,
    /// The strict decoding errors of a JSON create/update body, read from its bytes by the
    /// edge (`unknown field "…"`, `duplicate field "…"`, in document order); `None`: not
    /// read (the core then finds the unknown fields of the decoded body). For a patch: those
    /// of the patch document itself (duplicate keys; `json patch …` for a JSON patch).
    pub strict_errors: Option<Vec<String>>,
    /// DeleteOptions `propagationPolicy` as sent (`None`: absent or null).
    pub propagation_policy: Option<String>,
    /// DeleteOptions `orphanDependents` (query or body; `None`: absent or null).
    pub orphan_dependents: Option<bool>,
    /// `sendInitialEvents` was in the query (whatever its value: upstream's `*bool`).
    pub send_initial_events_given: bool,
    /// The client's User-Agent: names the field manager when `fieldManager` is empty. With
    /// both empty (in-process callers other than the controllers) CSR writes leave
    /// `managedFields` as they are.
    pub user_agent: String,
    /// A create that a server-side apply of an absent object turned into (its body is the
    /// applied configuration).
    pub from_apply: bool,
    /// `fieldValidation`: `Strict` refuses unknown fields in create/update bodies (400);
    /// `Ignore`, `Warn` or empty (upstream's default, Warn) drop them.
    pub field_validation: String,
    /// A CSR create/update body as a typed object, for in-process callers that already hold
    /// one (the controllers): the same request as `body(to_value(csr))`, without the JSON
    /// round trip. Ignored when `body` is set.
    pub csr_body: Option<Box<CertificateSigningRequest>>,
    /// The caller does not read the object of the answer: `Ok`/`Created` carry `Value::Null`
    /// instead of the rendered object (the controllers' writes).
    pub discard_object: bool,
    /// The caller reads only the created object's name and uid: a create answers
    /// `{"metadata": {"name", "uid"}}` instead of the rendered object (the simulated
    /// kubelets, which learn the name `generateName` gave their CSR).
    pub identity_only: bool,
    /// The caller writes the answer out as JSON (the HTTP server): a CSR create answers
    /// [`ApiResponse::CreatedJson`], the stored bytes, instead of a rendered value that would
    /// serialize to the same bytes (rendering and re-serializing was 10 % of a create).
    pub stored_json: bool,
    /// The caller is in-process and reads a CSR answer as a typed object: a CSR get answers
    /// [`ApiResponse::Csr`], the stored object shared, instead of a `Value` built from it
    /// (building one was a fifth of a lifecycle's non-crypto work).
    pub typed_answer: bool,
    /// The name of a `watch/<resource>/<name>` path (`ListResource` with a name): the
    /// request is authorized for it, and after the options' checks (selector parse,
    /// `ValidateListOptions`, field-label conversion) a field selector that does not
    /// require exactly that name is a 400; with none (or an empty one) the name is the
    /// selector.
    pub watch_name: Option<String>,
}

impl ApiRequest {
    /// The DeleteOptions that choose the garbage collector's finalizers.
    pub fn gc_options(&self) -> crate::registry::deletion::GcOptions<'_> {
        crate::registry::deletion::GcOptions {
            propagation_policy: self.propagation_policy.as_deref(),
            orphan_dependents: self.orphan_dependents,
        }
    }

    fn base(verb: Verb, group: &str, resource: &str) -> Self {
        let version = "v1".to_string();
        ApiRequest {
            verb: Some(verb),
            group: group.into(),
            version,
            resource: resource.into(),
            ..Default::default()
        }
    }
    /// A CSR request (`certificates.k8s.io/v1 certificatesigningrequests`).
    pub fn csr(verb: Verb) -> Self {
        Self::base(verb, "certificates.k8s.io", "certificatesigningrequests")
    }
    pub fn new(verb: Verb, group: &str, resource: &str) -> Self {
        Self::base(verb, group, resource)
    }
    pub fn name(mut self, n: &str) -> Self {
        self.name = n.into();
        self
    }
    pub fn namespace(mut self, n: &str) -> Self {
        self.namespace = n.into();
        self
    }
    pub fn subresource(mut self, s: &str) -> Self {
        self.subresource = s.into();
        self
    }
    pub fn body(mut self, v: Value) -> Self {
        self.body = Some(v);
        self
    }
    /// A typed CSR body (see [`ApiRequest::csr_body`]).
    pub fn csr_body(mut self, csr: CertificateSigningRequest) -> Self {
        self.csr_body = Some(Box::new(csr));
        self
    }
    /// The client's User-Agent (names the field manager of a write).
    pub fn user_agent(mut self, ua: &str) -> Self {
        self.user_agent = ua.into();
        self
    }
    /// Do not render the object of the answer (see [`ApiRequest::discard_object`]).
    pub fn discard_object(mut self) -> Self {
        self.discard_object = true;
        self
    }
    /// Answer a create with the new object's name and uid only (see
    /// [`ApiRequest::identity_only`]).
    pub fn identity_only(mut self) -> Self {
        self.identity_only = true;
        self
    }
    /// Answer a CSR get with the typed object (see [`ApiRequest::typed_answer`]).
    pub fn typed_answer(mut self) -> Self {
        self.typed_answer = true;
        self
    }
    pub fn patch(mut self, t: PatchType, v: Value) -> Self {
        self.patch_type = Some(t);
        self.body = Some(v);
        self
    }
    pub fn list_options(mut self, o: ListOptions) -> Self {
        self.list = o;
        self
    }

    /// The request options as the apiserver's handlers validate them before touching the
    /// object (apimachinery `apis/meta/v1/validation`: `ValidateCreateOptions`,
    /// `ValidateUpdateOptions`, `ValidatePatchOptions`, `ValidateDeleteOptions`): 422
    /// `PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for
    /// apply patch`, `force: Forbidden: may not be specified for non-apply patch`, `dryRun:
    /// Unsupported value: []string{"x"}: supported values: "All"`, `fieldValidation:
    /// Unsupported value: "x": supported values: "", "Ignore", "Strict", "Warn"`.
    pub fn validate_options(&self) -> Result<(), crate::api::Status> {
        use crate::validation::field::{quote, ErrorKind, FieldError};
        let (kind, write) = match self.verb {
            Some(Verb::List | Verb::Watch) => return self.validate_list_options(),
            Some(Verb::Create) => ("CreateOptions", true),
            Some(Verb::Update) => ("UpdateOptions", true),
            Some(Verb::Patch) => ("PatchOptions", true),
            Some(Verb::Delete | Verb::DeleteCollection) => ("DeleteOptions", false),
            _ => return Ok(()),
        };
        let mut errs = Vec::new();
        if self.verb == Some(Verb::Patch) {
            if self.patch_type != Some(PatchType::Apply) {
                if self.force.is_some() {
                    errs.push(FieldError::forbidden(
                        "force",
                        "may not be specified for non-apply patch",
                    ));
                }
            } else if self.field_manager.is_empty() {
                errs.push(FieldError::required(
                    "fieldManager",
                    "is required for apply patch",
                ));
            }
        }
        if !write {
            // `ValidateDeleteOptions`: the value is the `*DeletionPropagation`, printed as
            // its (quoted) string.
            if let Some(p) = &self.propagation_policy {
                if self.orphan_dependents.is_some() {
                    errs.push(FieldError::invalid(
                        "propagationPolicy",
                        p,
                        "orphanDependents and deletionPropagation cannot be both set",
                    ));
                }
                if !matches!(p.as_str(), "Foreground" | "Background" | "Orphan") {
                    errs.push(FieldError::not_supported(
                        "propagationPolicy",
                        p,
                        &["Foreground", "Background", "Orphan", "nil"],
                    ));
                }
            }
        } else {
            // `ValidateFieldManager`: at most 128 bytes, printable characters only (each
            // other one an error, at its byte offset).
            let fm = &self.field_manager;
            if fm.len() > FIELD_MANAGER_MAX_LENGTH {
                errs.push(FieldError::too_long(
                    "fieldManager",
                    FIELD_MANAGER_MAX_LENGTH,
                ));
            }
            for (i, c) in fm.char_indices() {
                if !crate::validation::field::go_is_print(c) {
                    errs.push(FieldError::invalid(
                        "fieldManager",
                        fm,
                        format!(
                            "invalid character {} (at position {i})",
                            crate::validation::field::go_sharp_u(c)
                        ),
                    ));
                }
            }
        }
        if self.dry_run_values.iter().any(|v| v != "All") {
            // `field.NotSupported(path, []string, …)`: the value is Go's `%#v` of the slice.
            let vals: Vec<String> = self.dry_run_values.iter().map(|v| quote(v)).collect();
            errs.push(FieldError {
                kind: ErrorKind::NotSupported,
                field: "dryRun".into(),
                value: Some(format!("[]string{{{}}}", vals.join(", "))),
                detail: "supported values: \"All\"".into(),
            });
        }
        if write
            && !matches!(
                self.field_validation.as_str(),
                "" | "Ignore" | "Warn" | "Strict"
            )
        {
            errs.push(FieldError::not_supported(
                "fieldValidation",
                &self.field_validation,
                &["", "Ignore", "Strict", "Warn"],
            ));
        }
        if errs.is_empty() {
            Ok(())
        } else {
            Err(crate::api::Status::invalid(kind, "meta.k8s.io", "", &errs))
        }
    }

    /// The selectors' parse (`ListResource` decodes `ListOptions` first), then apimachinery
    /// `ValidateListOptions` (`apis/meta/internalversion/validation`), with the
    /// WatchList feature on: 422 `ListOptions.meta.k8s.io "" is invalid: …` — a list may not
    /// ask for initial events and needs a resourceVersion for `resourceVersionMatch`; a watch
    /// takes `resourceVersionMatch=NotOlderThan` only together with `sendInitialEvents`.
    fn validate_list_options(&self) -> Result<(), crate::api::Status> {
        use crate::registry::selectors::{FieldSelector, LabelSelector};
        use crate::validation::field::FieldError;
        // Decoding `ListOptions` parses the label selector, then the field selector (400s),
        // before the validation; the field-label conversion comes after it (the list or
        // watch does it).
        LabelSelector::parse(&self.list.label_selector)?;
        FieldSelector::parse_syntax(&self.list.field_selector)?;
        const EXACT: &str = "Exact";
        const NOT_OLDER_THAN: &str = "NotOlderThan";
        let o = &self.list;
        let m = o.resource_version_match.as_str();
        let rvm = "resourceVersionMatch";
        let mut errs = Vec::new();
        if self.verb == Some(Verb::Watch) {
            if self.send_initial_events_given && m != NOT_OLDER_THAN {
                errs.push(FieldError::forbidden(
                    rvm,
                    format!("sendInitialEvents requires setting resourceVersionMatch to {NOT_OLDER_THAN}"),
                ));
            }
            if !m.is_empty() {
                if !self.send_initial_events_given {
                    errs.push(FieldError::forbidden(
                        rvm,
                        "resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided",
                    ));
                }
                if m != NOT_OLDER_THAN {
                    errs.push(FieldError::not_supported(rvm, m, &[NOT_OLDER_THAN]));
                }
                if !o.continue_.is_empty() {
                    errs.push(FieldError::forbidden(
                        rvm,
                        "resourceVersionMatch is forbidden when continue is provided",
                    ));
                }
            }
        } else {
            if !m.is_empty() {
                if o.resource_version.is_empty() {
                    errs.push(FieldError::forbidden(
                        rvm,
                        "resourceVersionMatch is forbidden unless resourceVersion is provided",
                    ));
                }
                if !o.continue_.is_empty() {
                    errs.push(FieldError::forbidden(
                        rvm,
                        "resourceVersionMatch is forbidden when continue is provided",
                    ));
                }
                if m != EXACT && m != NOT_OLDER_THAN {
                    errs.push(FieldError::not_supported(
                        rvm,
                        m,
                        &[EXACT, NOT_OLDER_THAN, ""],
                    ));
                }
                if m == EXACT && o.resource_version == "0" {
                    errs.push(FieldError::forbidden(
                        rvm,
                        "resourceVersionMatch \"exact\" is forbidden for resourceVersion \"0\"",
                    ));
                }
            }
            if self.send_initial_events_given {
                errs.push(FieldError::forbidden(
                    "sendInitialEvents",
                    "sendInitialEvents is forbidden for list",
                ));
            }
        }
        if errs.is_empty() {
            Ok(())
        } else {
            Err(crate::api::Status::invalid(
                "ListOptions",
                "meta.k8s.io",
                "",
                &errs,
            ))
        }
    }
}

/// A successful answer.
#[derive(Debug)]
pub enum ApiResponse {
    /// 200 with an object (get, update, patch; delete returns the deleted object).
    Ok(Value),
    /// 201 with the created object.
    Created(Value),
    /// 201 with the created object as stored: its JSON, the bytes `Created`'s value would
    /// serialize to (only for a request with [`ApiRequest::stored_json`]).
    CreatedJson(crate::store::Bytes),
    /// 200 with a CSR as stored, typed (only for a request with [`ApiRequest::typed_answer`]).
    Csr(std::sync::Arc<CertificateSigningRequest>),
    /// A watch: the initial (synthetic) events, and a cursor for [`crate::sim::Cluster::watch_poll`].
    Watch(WatchStream),
}

impl ApiResponse {
    /// The object of an `Ok`/`Created` answer.
    pub fn into_value(self) -> Value {
        match self {
            ApiResponse::Ok(v) | ApiResponse::Created(v) => v,
            ApiResponse::CreatedJson(b) => serde_json::from_slice(&b).unwrap_or(Value::Null),
            ApiResponse::Csr(c) => serde_json::to_value(&*c).unwrap_or(Value::Null),
            ApiResponse::Watch(_) => Value::Null,
        }
    }
}

/// An open watch. Poll it with `Cluster::watch_poll` to get the events after `cursor_rv`.
#[derive(Debug, Clone)]
pub struct WatchStream {
    pub initial: Vec<WatchEvent>,
    pub cursor: WatchCursor,
}

/// Where a watch is in the event log, and what it filters.
#[derive(Debug, Clone)]
pub struct WatchCursor {
    pub group: String,
    pub resource: String,
    pub namespace: String,
    pub label_selector: String,
    pub field_selector: String,
    /// Events with resourceVersion greater than this are still to be delivered.
    pub rv: u64,
    pub bookmarks: bool,
    /// Who opened the watch, for a remote one: each poll is a new watch request, sent as this
    /// identity (impersonated), not as the kubeconfig's user. `None` in-process, where the
    /// watch was authorized once, when it was opened.
    pub who: Option<crate::auth::Identity>,
}
