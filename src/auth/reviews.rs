//! Access reviews, answered from the authorizer without storing anything
//! (`pkg/registry/authorization/{subjectaccessreview,selfsubjectaccessreview,selfsubjectrulesreview}/rest.go`,
//! `pkg/registry/authentication/selfsubjectreview/rest.go`, validation in
//! `pkg/apis/authorization/validation/validation.go`).
//!
//! (Self)SubjectAccessReviews echo the request and fill in `status`; SelfSubjectRulesReview
//! and SelfSubjectReview answer with a fresh object, as upstream. Attributes are
//! taken literally: kubectl's unsplit `signers.certificates.k8s.io` resource and the namespace
//! it sends for cluster-scoped resources are authorized as given.

use super::identity::Identity;
use super::rbac::Rbac;
use super::{Attributes, Decision};
use crate::api::Status;
use crate::validation::field::{quote, ErrorKind, FieldError};
use serde_json::{json, Map, Value};

pub const SUBJECT_ACCESS_REVIEWS: &str = "subjectaccessreviews";
pub const LOCAL_SUBJECT_ACCESS_REVIEWS: &str = "localsubjectaccessreviews";
pub const SELF_SUBJECT_ACCESS_REVIEWS: &str = "selfsubjectaccessreviews";
pub const SELF_SUBJECT_RULES_REVIEWS: &str = "selfsubjectrulesreviews";
pub const SELF_SUBJECT_REVIEWS: &str = "selfsubjectreviews";
pub const TOKEN_REVIEWS: &str = "tokenreviews";
/// kube-apiserver's `--api-audiences`, defaulted to the service account issuer kubeadm sets.
pub const API_AUDIENCES: &[&str] = &["https://kubernetes.default.svc.cluster.local"];
const AUTHZ_GROUP: &str = "authorization.k8s.io";
const AUTHN_GROUP: &str = "authentication.k8s.io";
/// The Node authorizer's `RulesFor` error for node identities.
pub const NODE_RULES_ERROR: &str = "node authorizer does not support user rule resolution";

fn s(v: Option<&Value>, k: &str) -> String {
    v.and_then(|x| x.get(k))
        .and_then(|x| x.as_str())
        .unwrap_or("")
        .to_string()
}

fn present(v: Option<&Value>) -> Option<&Value> {
    v.filter(|x| !x.is_null())
}

/// Go's `%#v` of a ResourceAttributes / NonResourceAttributes value in a field error.
fn go_struct(type_name: &str, v: &Value, fields: &[(&str, &str)]) -> String {
    let parts: Vec<String> = fields
        .iter()
        .map(|(go, js)| format!("{go}:{}", quote(&s(Some(v), js))))
        .collect();
    format!("authorization.{type_name}{{{}}}", parts.join(", "))
}

/// `ValidateSelfSubjectAccessReviewSpec` / `ValidateSubjectAccessReviewSpec`.
fn validate_spec(spec: &Value, sar: bool) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let ra = present(spec.get("resourceAttributes"));
    let nra = present(spec.get("nonResourceAttributes"));
    if ra.is_some() && nra.is_some() {
        errs.push(FieldError {
            kind: ErrorKind::Invalid,
            field: "spec.nonResourceAttributes".into(),
            value: Some(go_struct(
                "NonResourceAttributes",
                nra.unwrap_or(&Value::Null),
                &[("Path", "path"), ("Verb", "verb")],
            )),
            detail: "cannot be specified in combination with resourceAttributes".into(),
        });
    }
    if ra.is_none() && nra.is_none() {
        errs.push(FieldError {
            kind: ErrorKind::Invalid,
            field: "spec.resourceAttributes".into(),
            value: Some(quote("null")),
            detail: "exactly one of nonResourceAttributes or resourceAttributes must be specified"
                .into(),
        });
    }
    if sar {
        let user = s(Some(spec), "user");
        let groups_empty = spec
            .get("groups")
            .and_then(|g| g.as_array())
            .is_none_or(|g| g.is_empty());
        if user.is_empty() && groups_empty {
            errs.push(FieldError {
                kind: ErrorKind::Invalid,
                field: "spec.user".into(),
                value: Some(quote("")),
                detail: "at least one of user or group must be specified".into(),
            });
        }
    }
    errs
}

/// `ValidateLocalSubjectAccessReview`'s own rules after the spec's: the resource attributes'
/// namespace is the object's (the request's), and non-resource attributes have no namespace.
fn validate_local(spec: &Value, body: &Value) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let ns = body
        .get("metadata")
        .and_then(|m| m.get("namespace"))
        .and_then(Value::as_str)
        .unwrap_or("");
    if let Some(ra) = present(spec.get("resourceAttributes")) {
        let ra_ns = s(Some(ra), "namespace");
        if ra_ns != ns {
            errs.push(FieldError {
                kind: ErrorKind::Invalid,
                field: "spec.resourceAttributes.namespace".into(),
                value: Some(quote(&ra_ns)),
                detail: "must match metadata.namespace".into(),
            });
        }
    }
    if let Some(nra) = present(spec.get("nonResourceAttributes")) {
        errs.push(FieldError {
            kind: ErrorKind::Invalid,
            field: "spec.nonResourceAttributes".into(),
            value: Some(go_struct(
                "NonResourceAttributes",
                nra,
                &[("Path", "path"), ("Verb", "verb")],
            )),
            detail: "disallowed on this kind of request".into(),
        });
    }
    errs
}

/// `ResourceAttributesFrom` / `NonResourceAttributesFrom` (empty version → `*`).
pub fn attributes_from_spec(user: Identity, spec: &Value) -> Attributes {
    if let Some(ra) = present(spec.get("resourceAttributes")) {
        let version = s(Some(ra), "version");
        Attributes {
            user,
            verb: s(Some(ra), "verb"),
            resource_request: true,
            api_group: s(Some(ra), "group"),
            api_version: if version.is_empty() {
                "*".into()
            } else {
                version
            },
            resource: s(Some(ra), "resource"),
            subresource: s(Some(ra), "subresource"),
            namespace: s(Some(ra), "namespace"),
            name: s(Some(ra), "name"),
            path: String::new(),
        }
    } else {
        let nra = spec.get("nonResourceAttributes");
        Attributes {
            user,
            verb: s(nra, "verb"),
            resource_request: false,
            path: s(nra, "path"),
            ..Default::default()
        }
    }
}

fn status_of(d: &Decision) -> Value {
    let mut st = Map::new();
    let (allowed, denied, reason) = match d {
        Decision::Allow(r) => (true, false, r),
        Decision::NoOpinion(r) => (false, false, r),
        Decision::Deny(r) => (false, true, r),
    };
    st.insert("allowed".into(), json!(allowed));
    if denied {
        st.insert("denied".into(), json!(true));
    }
    if !reason.is_empty() {
        st.insert("reason".into(), json!(reason));
    }
    Value::Object(st)
}

fn envelope(kind: &str, group: &str, body: &Value) -> Value {
    let mut meta = body
        .get("metadata")
        .and_then(|m| m.as_object())
        .cloned()
        .unwrap_or_default();
    meta.entry("creationTimestamp").or_insert(Value::Null);
    json!({"kind": kind, "apiVersion": format!("{group}/v1"), "metadata": meta})
}

fn user_info(u: &Identity) -> Value {
    let mut m = Map::new();
    m.insert("username".into(), json!(u.user));
    if !u.uid.is_empty() {
        m.insert("uid".into(), json!(u.uid));
    }
    if !u.groups.is_empty() {
        m.insert("groups".into(), json!(u.groups));
    }
    if !u.extra.is_empty() {
        m.insert("extra".into(), json!(u.extra));
    }
    Value::Object(m)
}

/// `RulesFor` of the apiserver's rule resolvers (Node, then RBAC): resource rules,
/// non-resource rules, incomplete, evaluation error.
pub fn rules_review_status(rbac: &Rbac, user: &Identity, namespace: &str) -> Value {
    use super::rbac::AuthorizationMode;
    use crate::api::rbac::PolicyRule;
    let mut errs = Vec::new();
    let mut incomplete = false;
    let mut rules: Vec<PolicyRule> = Vec::new();
    for mode in rbac.modes() {
        match mode {
            AuthorizationMode::Node => {
                if user.node_name().is_some() {
                    incomplete = true;
                    errs.push(NODE_RULES_ERROR.to_string());
                }
            }
            AuthorizationMode::Rbac => {
                let (r, rbac_err) = rbac.rules_for(user, namespace);
                rules.extend(r);
                if let Some(e) = rbac_err {
                    errs.push(e);
                }
            }
            // `alwaysAllowAuthorizer.RulesFor`: every verb on every resource and URL.
            AuthorizationMode::AlwaysAllow => {
                let all = vec!["*".to_string()];
                rules.push(PolicyRule {
                    verbs: all.clone(),
                    api_groups: all.clone(),
                    resources: all,
                    ..Default::default()
                });
                rules.push(PolicyRule {
                    verbs: vec!["*".into()],
                    non_resource_urls: vec!["*".into()],
                    ..Default::default()
                });
            }
            AuthorizationMode::AlwaysDeny => {}
        }
    }
    let mut resource_rules = Vec::new();
    let mut non_resource_rules = Vec::new();
    for r in rules {
        if !r.resources.is_empty() {
            let mut m = Map::new();
            m.insert("verbs".into(), json!(r.verbs));
            if !r.api_groups.is_empty() {
                m.insert("apiGroups".into(), json!(r.api_groups));
            }
            m.insert("resources".into(), json!(r.resources));
            if !r.resource_names.is_empty() {
                m.insert("resourceNames".into(), json!(r.resource_names));
            }
            resource_rules.push(Value::Object(m));
        }
        if !r.non_resource_urls.is_empty() {
            non_resource_rules
                .push(json!({"verbs": r.verbs, "nonResourceURLs": r.non_resource_urls}));
        }
    }
    let mut st = json!({"resourceRules": resource_rules, "nonResourceRules": non_resource_rules, "incomplete": incomplete});
    if let Some(e) = super::rbac::aggregate_errors(&errs) {
        st["evaluationError"] = json!(e);
    }
    st
}

/// The TokenReview sent back: the request (its spec echoed) with `status`: `user` always (an
/// empty UserInfo for a token that does not authenticate), `authenticated`, `audiences` and
/// the user when `who` is the token's identity (the request authenticator's
/// `AuthenticatedGroupAdder` adds `system:authenticated`), else `error`.
pub fn token_review_answer(body: &Value, who: Option<&Identity>, audiences: &[String]) -> Value {
    let mut out = envelope("TokenReview", AUTHN_GROUP, body);
    out["spec"] = body
        .get("spec")
        .cloned()
        .filter(|v| v.is_object())
        .unwrap_or_else(|| json!({}));
    out["status"] = match who {
        Some(id) => {
            let mut id = id.clone();
            if !id.groups.iter().any(|g| g == "system:authenticated") {
                id.groups.push("system:authenticated".into());
            }
            json!({"authenticated": true, "user": user_info(&id), "audiences": audiences})
        }
        None => json!({"user": {}, "error": "invalid bearer token"}),
    };
    out
}

/// Answer a review `create`: `resource` is one of the four review resources, `user` the
/// authenticated requester, `body` the decoded request. Returns the object to send back (201).
#[allow(clippy::result_large_err)]
pub fn handle_review(
    rbac: &Rbac,
    user: &Identity,
    resource: &str,
    body: &Value,
) -> Result<Value, Status> {
    handle_review_at(rbac, user, resource, body, None)
}

/// As [`handle_review`], with the virtual time a SelfSubjectReview stamps as its
/// `creationTimestamp` (upstream: `metav1.NewTime(time.Now())`; `None` leaves it null).
#[allow(clippy::result_large_err)]
pub fn handle_review_at(
    rbac: &Rbac,
    user: &Identity,
    resource: &str,
    body: &Value,
    now: Option<crate::api::Time>,
) -> Result<Value, Status> {
    let spec = body
        .get("spec")
        .cloned()
        .filter(|v| v.is_object())
        .unwrap_or_else(|| json!({}));
    match resource {
        SELF_SUBJECT_REVIEWS => {
            // A fresh object: nothing of the request is echoed.
            let mut out = envelope("SelfSubjectReview", AUTHN_GROUP, &json!({}));
            out["metadata"]["creationTimestamp"] = now.map_or(Value::Null, |t| json!(t));
            out["status"] = json!({"userInfo": user_info(user)});
            Ok(out)
        }
        SELF_SUBJECT_ACCESS_REVIEWS | SUBJECT_ACCESS_REVIEWS | LOCAL_SUBJECT_ACCESS_REVIEWS => {
            let local = resource == LOCAL_SUBJECT_ACCESS_REVIEWS;
            let sar = resource != SELF_SUBJECT_ACCESS_REVIEWS;
            let kind = if local {
                "LocalSubjectAccessReview"
            } else if sar {
                "SubjectAccessReview"
            } else {
                "SelfSubjectAccessReview"
            };
            let mut errs = validate_spec(&spec, sar);
            if local {
                errs.extend(validate_local(&spec, body));
            }
            if !errs.is_empty() {
                let name = body
                    .get("metadata")
                    .and_then(|m| m.get("name"))
                    .and_then(|n| n.as_str())
                    .unwrap_or("");
                return Err(Status::invalid(kind, AUTHZ_GROUP, name, &errs));
            }
            let subject = if sar {
                Identity {
                    user: s(Some(&spec), "user"),
                    uid: s(Some(&spec), "uid"),
                    groups: spec
                        .get("groups")
                        .and_then(|v| serde_json::from_value(v.clone()).ok())
                        .unwrap_or_default(),
                    extra: spec
                        .get("extra")
                        .and_then(|v| serde_json::from_value(v.clone()).ok())
                        .unwrap_or_default(),
                }
            } else {
                user.clone()
            };
            let d = rbac.authorize(&attributes_from_spec(subject, &spec));
            let mut out = envelope(kind, AUTHZ_GROUP, body);
            out["spec"] = spec;
            out["status"] = status_of(&d);
            Ok(out)
        }
        SELF_SUBJECT_RULES_REVIEWS => {
            let ns = s(Some(&spec), "namespace");
            if ns.is_empty() {
                return Err(Status::bad_request("no namespace on request"));
            }
            // Upstream returns a new object carrying only the status: the spec is not echoed.
            let mut out = envelope("SelfSubjectRulesReview", AUTHZ_GROUP, &json!({}));
            out["spec"] = json!({});
            out["status"] = rules_review_status(rbac, user, &ns);
            Ok(out)
        }
        other => Err(Status::failure(
            404,
            "NotFound",
            format!("the server could not find the requested resource ({other})"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::bootstrap_policy::default_rbac;

    /// TokenReview: the field order of TokenReviewStatus (authenticated, user, audiences,
    /// error), the empty `user` of a failure, `system:authenticated` added once.
    #[test]
    fn token_review_shape() {
        let body = json!({"apiVersion":"authentication.k8s.io/v1","kind":"TokenReview","spec":{"token":"t"}});
        let id = Identity::user("alice", &["dev"]);
        let auds = vec![API_AUDIENCES[0].to_string()];
        let out = token_review_answer(&body, Some(&id), &auds);
        assert_eq!(
            serde_json::to_string(&out).unwrap(),
            r#"{"kind":"TokenReview","apiVersion":"authentication.k8s.io/v1","metadata":{"creationTimestamp":null},"spec":{"token":"t"},"status":{"authenticated":true,"user":{"username":"alice","groups":["dev","system:authenticated"]},"audiences":["https://kubernetes.default.svc.cluster.local"]}}"#
        );
        let out = token_review_answer(&body, None, &[]);
        assert_eq!(
            out["status"],
            json!({"user": {}, "error": "invalid bearer token"})
        );
    }

    #[test]
    fn whoami_shape() {
        let out = handle_review(
            &Rbac::new(),
            &Identity::user("admin", &["system:masters"]),
            SELF_SUBJECT_REVIEWS,
            &json!({"apiVersion":"authentication.k8s.io/v1","kind":"SelfSubjectReview"}),
        )
        .unwrap();
        assert_eq!(
            out,
            json!({"kind":"SelfSubjectReview","apiVersion":"authentication.k8s.io/v1","metadata":{"creationTimestamp":null},
            "status":{"userInfo":{"username":"admin","groups":["system:masters","system:authenticated"]}}})
        );
        let at = handle_review_at(
            &Rbac::new(),
            &Identity::user("u", &[]),
            SELF_SUBJECT_REVIEWS,
            &json!({"metadata":{"name":"x"}}),
            Some(crate::api::Time(1_900_000_000)),
        )
        .unwrap();
        assert_eq!(
            at["metadata"],
            json!({"creationTimestamp": "2030-03-17T17:46:40Z"})
        );
    }

    #[test]
    fn can_i_yes_and_no() {
        let rbac = default_rbac(true);
        let body = json!({"spec":{"resourceAttributes":{"namespace":"default","verb":"create","group":"certificates.k8s.io","resource":"certificatesigningrequests"}}});
        let boot = Identity::user(
            "system:bootstrap:abcdef",
            &[
                "system:bootstrappers",
                "system:bootstrappers:kubeadm:default-node-token",
            ],
        );
        let out = handle_review(&rbac, &boot, SELF_SUBJECT_ACCESS_REVIEWS, &body).unwrap();
        assert_eq!(out["status"]["allowed"], json!(true));
        assert_eq!(out["spec"], body["spec"]);
        assert_eq!(out["kind"], json!("SelfSubjectAccessReview"));
        let out = handle_review(
            &rbac,
            &Identity::user("myuser", &[]),
            SELF_SUBJECT_ACCESS_REVIEWS,
            &body,
        )
        .unwrap();
        assert_eq!(out["status"], json!({"allowed": false}));
        // kubectl's unsplit signers resource is authorized literally, as upstream: no.
        let signers = json!({"spec":{"resourceAttributes":{"namespace":"default","verb":"approve","resource":"signers.certificates.k8s.io","name":"kubernetes.io/kube-apiserver-client-kubelet"}}});
        let kcm = Identity::controller_manager();
        assert_eq!(
            handle_review(&rbac, &kcm, SELF_SUBJECT_ACCESS_REVIEWS, &signers).unwrap()["status"]
                ["allowed"],
            json!(false)
        );
        let proper = json!({"spec":{"resourceAttributes":{"verb":"approve","group":"certificates.k8s.io","resource":"signers","name":"kubernetes.io/kube-apiserver-client-kubelet"}}});
        assert_eq!(
            handle_review(&rbac, &kcm, SELF_SUBJECT_ACCESS_REVIEWS, &proper).unwrap()["status"]
                ["allowed"],
            json!(true)
        );
    }

    #[test]
    fn sar_uses_spec_identity_and_validates() {
        let rbac = default_rbac(true);
        let body = json!({"spec":{"user":"system:node:n1","groups":["system:nodes"],
            "resourceAttributes":{"verb":"create","group":"certificates.k8s.io","resource":"certificatesigningrequests","subresource":"selfnodeclient"}}});
        let out = handle_review(&rbac, &Identity::admin(), SUBJECT_ACCESS_REVIEWS, &body).unwrap();
        assert_eq!(out["status"]["allowed"], json!(true));
        assert!(out["status"]["reason"].as_str().unwrap().starts_with(
            "RBAC: allowed by ClusterRoleBinding \"kubeadm:node-autoapprove-certificate-rotation\""
        ));
        let err = handle_review(
            &rbac,
            &Identity::admin(),
            SUBJECT_ACCESS_REVIEWS,
            &json!({"spec":{}}),
        )
        .unwrap_err();
        assert_eq!(err.code, 422);
        assert_eq!(
            err.message,
            "SubjectAccessReview.authorization.k8s.io \"\" is invalid: [spec.resourceAttributes: Invalid value: \"null\": exactly one of nonResourceAttributes or resourceAttributes must be specified, spec.user: Invalid value: \"\": at least one of user or group must be specified]"
        );
        let both = json!({"spec":{"resourceAttributes":{"verb":"get"},"nonResourceAttributes":{"path":"/x","verb":"get"}}});
        let err = handle_review(
            &rbac,
            &Identity::admin(),
            SELF_SUBJECT_ACCESS_REVIEWS,
            &both,
        )
        .unwrap_err();
        assert_eq!(
            err.message,
            "SelfSubjectAccessReview.authorization.k8s.io \"\" is invalid: spec.nonResourceAttributes: Invalid value: authorization.NonResourceAttributes{Path:\"/x\", Verb:\"get\"}: cannot be specified in combination with resourceAttributes"
        );
    }

    #[test]
    fn rules_review() {
        let rbac = default_rbac(false);
        let out = handle_review(
            &rbac,
            &Identity::user("u", &[]),
            SELF_SUBJECT_RULES_REVIEWS,
            &json!({"spec":{"namespace":"default"}}),
        )
        .unwrap();
        assert_eq!(out["status"]["incomplete"], json!(false));
        assert!(out["status"]["resourceRules"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["resources"]
                == json!(["selfsubjectaccessreviews", "selfsubjectrulesreviews"])));
        assert!(out["status"]["nonResourceRules"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["nonResourceURLs"]
                .as_array()
                .unwrap()
                .contains(&json!("/api"))));
        let node = handle_review(
            &rbac,
            &Identity::node("n1"),
            SELF_SUBJECT_RULES_REVIEWS,
            &json!({"spec":{"namespace":"default"}}),
        )
        .unwrap();
        assert_eq!(node["status"]["incomplete"], json!(true));
        assert_eq!(node["status"]["evaluationError"], json!(NODE_RULES_ERROR));
        assert_eq!(node["spec"], json!({}), "spec is not echoed");
        assert_eq!(node["metadata"], json!({"creationTimestamp": null}));
        let err = handle_review(
            &rbac,
            &Identity::user("u", &[]),
            SELF_SUBJECT_RULES_REVIEWS,
            &json!({"spec":{}}),
        )
        .unwrap_err();
        assert_eq!(
            (err.code, err.message.as_str()),
            (400, "no namespace on request")
        );
    }
}
