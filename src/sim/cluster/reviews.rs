//! The review kinds (SubjectAccessReview and its local and self variants, the self rules
//! review, TokenReview, SelfSubjectReview): created, answered, never stored.

use super::*;

impl Cluster {
    /// Access reviews (not stored): answered from RBAC.
    pub(super) fn review(
        &mut self,
        who: &Identity,
        info: &ResourceInfo,
        ns: &str,
        body: &Value,
    ) -> Result<Value, Status> {
        check_type_meta(info, body)?;
        let mut body = body.clone();
        if info.namespaced {
            // LocalSubjectAccessReview: only under /namespaces/<ns>/, where the handler's
            // `EnsureObjectNamespaceMatchesRequestNamespace` gives the object that namespace.
            if ns.is_empty() {
                return Err(Status::failure(
                    404,
                    "NotFound",
                    "the server could not find the requested resource",
                ));
            }
            let body_ns = meta_str(&body, "namespace");
            if !body_ns.is_empty() && body_ns != ns {
                return Err(Status::bad_request("the namespace of the provided object does not match the namespace sent on the request"));
            }
            set_meta(&mut body, "namespace", json!(ns));
        }
        // NodeRestriction handles every create: a review is refused too.
        let name = crate::admission::node_restriction::create_name(
            meta_str(&body, "name"),
            meta_str(&body, "generateName"),
        );
        crate::admission::node_restriction::admit_node_identity(who, &gr(info), &name)?;
        if info.resource == crate::auth::reviews::TOKEN_REVIEWS {
            return self.token_review(&body);
        }
        crate::auth::reviews::handle_review_at(
            &self.rbac,
            who,
            info.resource,
            &body,
            Some(self.now()),
        )
    }

    /// A TokenReview (`pkg/registry/authentication/tokenreview/storage.go`): the token is
    /// authenticated as a bearer token of a request would be, for the review's audiences (its
    /// `spec.audiences`, else the API audiences). csrsim's token authenticators (the static
    /// token file, bootstrap tokens) are audience-agnostic (`WrapAudienceAgnosticToken`): they
    /// answer only for audiences that meet the API audiences, and the review's
    /// `status.audiences` is that intersection. A failure is the bearer-token authenticator's
    /// `invalid bearer token`, in `status.error` of a 201.
    pub(super) fn token_review(&self, body: &Value) -> Result<Value, Status> {
        let spec = body.get("spec").filter(|v| v.is_object());
        let token = spec
            .and_then(|s| s.get("token"))
            .and_then(Value::as_str)
            .unwrap_or("");
        if token.is_empty() {
            return Err(Status::bad_request(
                "token is required for TokenReview in authentication",
            ));
        }
        let wanted: Vec<String> = spec
            .and_then(|s| s.get("audiences"))
            .and_then(|a| serde_json::from_value::<Vec<String>>(a.clone()).ok())
            .filter(|a| !a.is_empty())
            .unwrap_or_else(|| {
                crate::auth::reviews::API_AUDIENCES
                    .iter()
                    .map(|a| a.to_string())
                    .collect()
            });
        let auds: Vec<String> = crate::auth::reviews::API_AUDIENCES
            .iter()
            .filter(|a| wanted.iter().any(|w| w == *a))
            .map(|a| a.to_string())
            .collect();
        let who = if auds.is_empty() {
            None
        } else {
            self.authenticate_token(token)
        };
        Ok(crate::auth::reviews::token_review_answer(
            body,
            who.as_ref(),
            &auds,
        ))
    }
}
