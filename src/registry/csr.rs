//! CSR registry strategy: `pkg/registry/certificates/certificates/strategy.go`.
//!
//! - create: requester identity stamped into the spec, status dropped;
//! - main-resource update: only metadata changes (spec and status kept from the old object);
//! - `/status`: spec kept; Approved/Denied conditions pinned to their old values when their
//!   count is unchanged; condition timestamps populated;
//! - `/approval`: condition timestamps populated; spec and everything in status except the
//!   conditions kept from the old object.

use crate::api::csr::{APPROVED, DENIED, KIND};
use crate::api::{CertificateSigningRequest, CsrStatus, Status, Time};
use crate::auth::Identity;

/// Decode a CSR request body as the apiserver's JSON serializer does (`null` is a zero value,
/// `[]byte` is Go base64); a body that does not decode is the handler's
/// `transformDecodeError`: 400 `CertificateSigningRequest in version "v1" cannot be handled as
/// a CertificateSigningRequest: <decoder error>`.
pub fn decode_body(body: &serde_json::Value) -> Result<CertificateSigningRequest, Status> {
    let bad = |e: String| {
        Status::bad_request(format!(
            "{KIND} in version \"v1\" cannot be handled as a {KIND}: {e}"
        ))
    };
    // Go's text for the first bad field (serde alone would also take `[]` for a struct).
    if let Some(e) = crate::api::gojson::type_error(body, &crate::api::csr::go_types::CSR) {
        return Err(bad(e));
    }
    crate::api::gojson::from_value(body).map_err(|e| bad(e.to_string()))
}

/// `fieldValidation=Strict` on a create or update: a body with fields the Go type does not
/// have is 400 `… cannot be handled as a CertificateSigningRequest: strict decoding error:
/// unknown field "spec.foo", unknown field "…"`. A body that does not decode at all is left to
/// [`decode_body`] (the decoder's error comes first). `raw_errors` are the strict errors the
/// edge read from the body's bytes (unknown and duplicate fields, in document order:
/// [`crate::api::gojson::strict_errors_json`]); without them the unknown fields of the
/// decoded value are the list.
pub fn strict_decode_check(
    body: &serde_json::Value,
    raw_errors: Option<&[String]>,
) -> Result<(), Status> {
    let st = &crate::api::csr::go_types::CSR;
    if crate::api::gojson::type_error(body, st).is_some() {
        return Ok(());
    }
    let list: Vec<String> = match raw_errors {
        Some(e) => e.to_vec(),
        None => crate::api::gojson::unknown_field_errors(body, st),
    };
    if list.is_empty() {
        return Ok(());
    }
    Err(Status::bad_request(format!(
        "{KIND} in version \"v1\" cannot be handled as a {KIND}: strict decoding error: {}",
        list.join(", ")
    )))
}

/// `fieldValidation` on a JSON, merge or strategic merge patch of a CSR (or, with its struct,
/// of another kind)
/// (`jsonPatcher`/`smpPatcher.applyPatchToCurrentObject` in apiserver's `handlers/patch.go`):
/// the unknown fields are those of the *patched* object (a strategic merge patch's `$…`
/// directives are gone by then). `Strict` answers 422 Invalid on field `patch` — the value is
/// the patched object's JSON for JSON/merge patches and Go's `%+v` of the patch for a
/// strategic one — `Warn` (and the default) returns them as warnings, `Ignore` drops them.
/// Server-side apply is not covered (upstream rejects unknown fields there in the field
/// manager, with another message).
///
/// `patch_errors` are the strict errors of the patch document itself, which the edge read from
/// its bytes (`applyJSPatch`/`strategicPatchObject` decode it strictly: duplicate keys of a
/// merge or strategic patch, `json patch duplicate field "[0].op"` / `json patch unknown
/// field "[0].foo"` of a JSON patch); they come first. The answer is the list of texts (for
/// `Warning` headers) or the Strict 422.
pub fn strict_patch_check(
    st: &crate::api::gojson::GoStruct,
    pt: crate::sim::PatchType,
    current: &serde_json::Value,
    patch_body: &serde_json::Value,
    patched: &serde_json::Value,
    field_validation: &str,
    patch_errors: Option<&[String]>,
) -> Result<Vec<String>, Status> {
    use crate::sim::PatchType;
    if pt == PatchType::Apply
        || field_validation == "Ignore"
        || crate::api::gojson::type_error(patched, st).is_some()
    {
        return Ok(Vec::new());
    }
    let list: Vec<String> = patch_errors
        .unwrap_or_default()
        .iter()
        .cloned()
        .chain(crate::api::gojson::unknown_field_errors(patched, st))
        .collect();
    if list.is_empty() || field_validation != "Strict" {
        return Ok(list);
    }
    let value = match pt {
        PatchType::StrategicMerge => crate::api::gojson::go_sprint_v(patch_body),
        _ => crate::api::gojson::patched_json_text(
            pt == PatchType::Merge,
            current,
            patch_body,
            patched,
        ),
    };
    let err = crate::validation::FieldError::invalid(
        "patch",
        &value,
        format!("strict decoding error: {}", list.join(", ")),
    );
    // `errors.NewInvalid(schema.GroupKind{}, "", …)`: no kind, no name.
    Err(Status::invalid("", "", "", &[err]))
}

/// A patched object that does not decode into the Go type `st` (a value of the wrong type):
/// the patcher's `errors.NewInvalid(schema.GroupKind{}, "", …)` on field `patch`, 422. For a
/// JSON or merge patch the value is the patched object's JSON and the error `encoding/json`'s
/// (`jsonPatcher.applyPatchToCurrentObject`); for a strategic merge patch the value is Go's
/// `%+v` of the patch and the error the unstructured converter's (`applyPatchToObject`).
pub fn patch_decode_error(
    st: &crate::api::gojson::GoStruct,
    pt: crate::sim::PatchType,
    current: &serde_json::Value,
    patch_body: &serde_json::Value,
    patched: &serde_json::Value,
) -> Option<Status> {
    use crate::api::gojson;
    let (value, message) = match pt {
        crate::sim::PatchType::StrategicMerge => (
            gojson::go_sprint_v(patch_body),
            gojson::unstructured_error(patched, st)?,
        ),
        _ => {
            let message = gojson::type_error(patched, st)?;
            let merge = pt == crate::sim::PatchType::Merge;
            (
                gojson::patched_json_text(merge, current, patch_body, patched),
                message,
            )
        }
    };
    let err = crate::validation::FieldError::invalid("patch", &value, message);
    Some(Status::invalid("", "", "", &[err]))
}

/// `PrepareForCreate`.
pub fn prepare_for_create(csr: &mut CertificateSigningRequest, user: Option<&Identity>) {
    csr.spec.username.clear();
    csr.spec.uid.clear();
    csr.spec.groups.clear();
    csr.spec.extra.clear();
    if let Some(u) = user {
        csr.spec.username = u.user.clone();
        csr.spec.uid = u.uid.clone();
        csr.spec.groups = u.groups.clone();
        if !u.extra.is_empty() {
            csr.spec.extra = u.extra.clone();
        }
    }
    csr.status = CsrStatus::default();
}

/// `PrepareForUpdate` (main resource).
pub fn prepare_for_update(new: &mut CertificateSigningRequest, old: &CertificateSigningRequest) {
    new.spec = old.spec.clone();
    new.status = old.status.clone();
}

/// `csrStatusStrategy.PrepareForUpdate`.
pub fn prepare_for_status_update(
    new: &mut CertificateSigningRequest,
    old: &CertificateSigningRequest,
    now: Time,
) {
    new.spec = old.spec.clone();
    for t in [APPROVED, DENIED] {
        let old_c: Vec<_> = old
            .status
            .conditions
            .iter()
            .filter(|c| c.type_ == t)
            .cloned()
            .collect();
        let n_new = new
            .status
            .conditions
            .iter()
            .filter(|c| c.type_ == t)
            .count();
        if n_new == old_c.len() {
            let mut it = old_c.into_iter();
            for c in new.status.conditions.iter_mut().filter(|c| c.type_ == t) {
                if let Some(o) = it.next() {
                    *c = o;
                }
            }
        }
    }
    populate_condition_timestamps(new, old, now);
}

/// `csrApprovalStrategy.PrepareForUpdate`.
pub fn prepare_for_approval_update(
    new: &mut CertificateSigningRequest,
    old: &CertificateSigningRequest,
    now: Time,
) {
    populate_condition_timestamps(new, old, now);
    new.spec = old.spec.clone();
    let conditions = std::mem::take(&mut new.status.conditions);
    new.status = old.status.clone();
    new.status.conditions = conditions;
}

/// `populateConditionTimestamps`: fill zero `lastUpdateTime` with now, and zero
/// `lastTransitionTime` with the first old same-type-same-status condition's, else now.
pub fn populate_condition_timestamps(
    new: &mut CertificateSigningRequest,
    old: &CertificateSigningRequest,
    now: Time,
) {
    for c in new.status.conditions.iter_mut() {
        if c.last_update_time.is_none_or(|t| t.is_zero()) {
            c.last_update_time = Some(now);
        }
        if c.last_transition_time.is_none_or(|t| t.is_zero()) {
            let from_old = old
                .status
                .conditions
                .iter()
                .filter(|o| o.type_ == c.type_ && o.status == c.status)
                .find_map(|o| o.last_transition_time.filter(|t| !t.is_zero()));
            c.last_transition_time = Some(from_old.unwrap_or(now));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::csr::FAILED;
    use crate::api::CsrCondition;

    fn cond(t: &str, s: &str, lut: i64, ltt: i64) -> CsrCondition {
        CsrCondition {
            type_: t.into(),
            status: s.into(),
            last_update_time: (lut != 0).then_some(Time(lut)),
            last_transition_time: (ltt != 0).then_some(Time(ltt)),
            ..Default::default()
        }
    }

    #[test]
    fn create_stamps_requester_and_drops_status() {
        // strategy_test.go TestStrategyCreate: "user info in context", "status ignored".
        let mut csr = CertificateSigningRequest::default();
        csr.spec.username = "evil".into();
        csr.spec.groups = vec!["system:masters".into()];
        csr.status.conditions.push(cond(APPROVED, "True", 0, 0));
        csr.status.certificate = b"x".to_vec();
        let mut u = Identity::user("bob", &["devs"]);
        u.uid = "123".into();
        prepare_for_create(&mut csr, Some(&u));
        assert_eq!(csr.spec.username, "bob");
        assert_eq!(csr.spec.uid, "123");
        assert_eq!(csr.spec.groups, vec!["devs", "system:authenticated"]);
        assert!(csr.spec.extra.is_empty());
        assert_eq!(csr.status, CsrStatus::default());
        // "no user info": fields cleared
        prepare_for_create(&mut csr, None);
        assert!(csr.spec.username.is_empty() && csr.spec.groups.is_empty());
    }

    #[test]
    fn timestamps_are_populated_from_old_or_now() {
        // strategy_test.go TestStatusUpdate "populate timestamps": zero LUT → now; zero LTT →
        // first old condition with same type and status, else now; non-zero kept.
        let mut old = CertificateSigningRequest::default();
        old.status.conditions = vec![cond("Custom", "True", 5, 7)];
        let mut new = old.clone();
        new.status.conditions = vec![
            cond("Custom", "True", 0, 0),
            cond("Other", "False", 0, 0),
            cond("Kept", "True", 3, 4),
        ];
        populate_condition_timestamps(&mut new, &old, Time(100));
        assert_eq!(new.status.conditions[0].last_update_time, Some(Time(100)));
        assert_eq!(new.status.conditions[0].last_transition_time, Some(Time(7)));
        assert_eq!(
            new.status.conditions[1].last_transition_time,
            Some(Time(100))
        );
        assert_eq!(new.status.conditions[2].last_update_time, Some(Time(3)));
        assert_eq!(new.status.conditions[2].last_transition_time, Some(Time(4)));
    }

    #[test]
    fn status_path_pins_approval_conditions() {
        let mut old = CertificateSigningRequest::default();
        old.status.conditions = vec![cond(APPROVED, "True", 5, 5)];
        let mut new = old.clone();
        new.status.conditions[0].reason = "changed".into();
        new.status.certificate = b"c".to_vec();
        new.spec.signer_name = "x/y".into();
        prepare_for_status_update(&mut new, &old, Time(9));
        assert_eq!(new.status.conditions[0], old.status.conditions[0]);
        assert_eq!(new.status.certificate, b"c");
        assert_eq!(new.spec, old.spec);
    }

    /// strategy_test.go `TestStatusUpdate`, row by row (condition statuses are empty there).
    #[test]
    fn status_update_table() {
        let (now, later) = (100, 3700);
        let c = |t: &str, reason: &str, lut: i64, ltt: i64| {
            let mut x = cond(t, "", lut, ltt);
            x.reason = reason.into();
            x
        };
        let csr = |conds: Vec<CsrCondition>| {
            let mut x = CertificateSigningRequest::default();
            x.status.conditions = conds;
            x
        };
        let rows: Vec<(
            &str,
            CertificateSigningRequest,
            CertificateSigningRequest,
            CertificateSigningRequest,
        )> = vec![
            ("no-op", csr(vec![]), csr(vec![]), csr(vec![])),
            (
                "adding failed condition to existing approved/denied conditions",
                csr(vec![
                    c(FAILED, "", 0, 0),
                    c(DENIED, "", 0, 0),
                    c(APPROVED, "", 0, 0),
                    c(DENIED, "", 0, 0),
                    c(APPROVED, "", 0, 0),
                ]),
                csr(vec![
                    c(DENIED, "because1", 0, 0),
                    c(APPROVED, "because2", 0, 0),
                    c(DENIED, "because3", later, later),
                    c(APPROVED, "because4", later, later),
                ]),
                // existing Approved/Denied conditions preserved, then timestamps filled
                csr(vec![
                    c(FAILED, "", now, now),
                    c(DENIED, "because1", now, later),
                    c(APPROVED, "because2", now, later),
                    c(DENIED, "because3", later, later),
                    c(APPROVED, "because4", later, later),
                ]),
            ),
            (
                "add approved condition",
                csr(vec![c(APPROVED, "", 0, 0)]),
                csr(vec![]),
                // submitted conditions kept when the old ones cannot be copied over
                csr(vec![c(APPROVED, "", now, now)]),
            ),
        ];
        for (case, mut new, old, want) in rows {
            prepare_for_status_update(&mut new, &old, Time(now));
            assert_eq!(new, want, "{case}");
        }
    }

    #[test]
    fn approval_path_keeps_certificate() {
        let mut old = CertificateSigningRequest::default();
        old.status.certificate = b"old".to_vec();
        let mut new = old.clone();
        new.status.certificate = b"new".to_vec();
        new.status.conditions.push(cond(APPROVED, "True", 0, 0));
        prepare_for_approval_update(&mut new, &old, Time(9));
        assert_eq!(new.status.certificate, b"old");
        assert_eq!(new.status.conditions[0].last_update_time, Some(Time(9)));
    }
}
