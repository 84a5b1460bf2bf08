//! CSR validation: `pkg/apis/certificates/validation/validation.go`.
//!
//! Rules applied on every write (`validateCertificateSigningRequest`), in upstream order:
//! 1. ObjectMeta (cluster-scoped; any name is fine: `ValidateCertificateRequestName` is a no-op)
//! 2. `spec.request` parses as a PEM `CERTIFICATE REQUEST` with a valid self-signature
//! 3. `spec.usages` non-empty
//! 4. every usage is one of the 23 known ones (unless the old object already had unknown ones)
//! 5. no duplicate usage (unless the old object already had duplicates)
//! 6. `spec.signerName`: not `kubernetes.io/legacy-unknown` (unless old was), else `ValidateSignerName`
//! 7. `spec.expirationSeconds` ≥ 600
//! 8. `status.conditions`: type required, status values, Approved/Denied exclusive, no duplicates
//! 9. `status.certificate`: only well-formed CERTIFICATE PEM blocks (unless unchanged / old invalid)
//!
//! Update-only rules (`validateCertificateSigningRequestUpdate`): Approved/Denied/Failed
//! conditions are never removed; Approved/Denied are added or modified only through
//! `/approval`; the certificate is set only through `/status`, and only once.

use super::field::{go_bytes, FieldError};
use super::meta;
use super::names::validate_signer_name;
use crate::api::csr::{ALL_USAGES, APPROVED, DENIED, FAILED, LEGACY_UNKNOWN};
use crate::api::{CertificateSigningRequest, CsrCondition};
use crate::pki::gopem;
use serde_json::Value;

pub const MIN_EXPIRATION_SECONDS: i32 = 600;

/// Ratcheting options (`certificateValidationOptions`), derived from the old object.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Options {
    pub allow_resetting_certificate: bool,
    pub allow_both_approved_and_denied: bool,
    pub allow_legacy_signer_name: bool,
    pub allow_duplicate_condition_types: bool,
    pub allow_empty_condition_type: bool,
    pub allow_arbitrary_certificate: bool,
    pub allow_duplicate_usages: bool,
    pub allow_unknown_usages: bool,
    pub allow_setting_certificate: bool,
    pub allow_setting_approval_conditions: bool,
}

/// Which write path an update comes through.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UpdatePath {
    Main,
    Status,
    Approval,
}

/// How many accepted `spec.request` values [`parse_request`] remembers.
const PARSED_CACHE_SIZE: usize = 16;

thread_local! {
    /// Recently accepted `spec.request` PEM bytes and their DER: every write of a CSR (create,
    /// `/approval`, `/status`) validates the same request again, and the same bytes always
    /// parse the same way. A hit still asks [`crate::pki::csr::verified_before`], so
    /// `forget_verified` makes the signature be checked again.
    static PARSED: std::cell::RefCell<std::collections::VecDeque<(Vec<u8>, Vec<u8>)>> =
        const { std::cell::RefCell::new(std::collections::VecDeque::new()) };
}

/// `ParseCSR` + `CheckSignature`: the DER of the first PEM block, or the upstream error text.
pub fn parse_request(pem: &[u8]) -> Result<Vec<u8>, String> {
    let hit = PARSED.with(|c| {
        c.borrow()
            .iter()
            .find(|(p, _)| crate::pki::same_bytes(p, pem))
            .map(|(_, der)| der.clone())
    });
    if let Some(der) = hit {
        if crate::pki::csr::verified_before(&der) {
            return Ok(der);
        }
    }
    let block = match gopem::decode(pem) {
        Some((b, _)) if b.type_ == "CERTIFICATE REQUEST" => b,
        _ => return Err("PEM block type must be CERTIFICATE REQUEST".into()),
    };
    check_csr_der(&block.bytes)?;
    PARSED.with(|c| {
        let mut c = c.borrow_mut();
        if !c.iter().any(|(p, _)| crate::pki::same_bytes(p, pem)) {
            if c.len() == PARSED_CACHE_SIZE {
                c.pop_front();
            }
            c.push_back((pem.to_vec(), block.bytes.clone()));
        }
    });
    Ok(block.bytes)
}

/// `x509.ParseCertificateRequest` + `CheckSignature`, with Go's error texts where we know them.
pub fn check_csr_der(der: &[u8]) -> Result<(), String> {
    use x509_parser::prelude::*;
    // The parse admission, the approver and the signer reuse. What `parse_der` accepts,
    // `from_der` below accepts with nothing after it; anything else takes the path below,
    // which gives the error texts.
    if let Ok(p) = crate::pki::csr::parse_der_shared(der) {
        if crate::pki::csr::verified_before(der) {
            return Ok(());
        }
        if crate::pki::own_keys::verify_request(der, &p.spki_der).is_some() {
            crate::pki::csr::remember_verified(der);
            return Ok(());
        }
        // The same check as the signer's (every key and digest Go verifies, with Go's texts).
        return crate::pki::csr::check_signature(&p);
    }
    let (rest, req) = X509CertificationRequest::from_der(der)
        .map_err(|_| "asn1: structure error: tags don't match".to_string())?;
    if !rest.is_empty() {
        return Err("x509: trailing data after certificate request".into());
    }
    if crate::pki::csr::verified_before(der) {
        return Ok(());
    }
    let spki = req.certification_request_info.subject_pki.raw;
    // `parsePublicKey`: Go knows the curves P-224, P-256, P-384 and P-521; any other curve
    // fails the parse.
    let key_alg = &req.certification_request_info.subject_pki.algorithm;
    if key_alg.algorithm.to_id_string() == "1.2.840.10045.2.1" {
        let curve = key_alg.parameters.as_ref().map(|p| p.as_oid());
        match curve.as_ref().map(|c| c.as_ref().map(|o| o.to_id_string())) {
            Some(Ok(c)) if crate::pki::ecdsa_nist::Curve::from_oid(&c).is_some() => {}
            Some(Ok(_)) => return Err("x509: unsupported elliptic curve".into()),
            _ => return Err("x509: invalid ECDSA parameters".into()),
        }
    }
    if crate::pki::own_keys::verify_request(der, spki).is_some() || req.verify_signature().is_ok() {
        crate::pki::csr::remember_verified(der);
    } else {
        let alg = req
            .certification_request_info
            .subject_pki
            .algorithm
            .algorithm
            .to_id_string();
        return Err(match alg.as_str() {
            "1.2.840.10045.2.1" => "x509: ECDSA verification failure".into(),
            "1.2.840.113549.1.1.1" => "crypto/rsa: verification error".into(),
            "1.3.101.112" => "x509: Ed25519 verification failure".into(),
            _ => "x509: cannot verify signature: algorithm unimplemented".into(),
        });
    }
    Ok(())
}

/// `validateCertificate`: Ok or the upstream message.
pub fn check_certificate_pem(mut data: &[u8]) -> Result<(), String> {
    if data.is_empty() {
        return Ok(());
    }
    let mut blocks = 0;
    while let Some((block, rest)) = gopem::decode(data) {
        if block.type_ != "CERTIFICATE" {
            return Err(format!(
                "only CERTIFICATE PEM blocks are allowed, found {}",
                super::field::quote(&block.type_)
            ));
        }
        if !block.headers.is_empty() {
            return Err("no PEM block headers are permitted".into());
        }
        blocks += 1;
        let n = parse_certificates(&block.bytes)?;
        if n == 0 {
            return Err("found CERTIFICATE PEM block containing 0 certificates".into());
        }
        data = rest;
    }
    if blocks == 0 {
        return Err("must contain at least one CERTIFICATE PEM block".into());
    }
    Ok(())
}

/// `x509.ParseCertificates`: a concatenation of DER certificates; their count.
fn parse_certificates(mut der: &[u8]) -> Result<usize, String> {
    let mut n = 0;
    while !der.is_empty() {
        match crate::pki::cert_facts::parse_first(der) {
            Ok((_, rest)) => {
                der = rest;
                n += 1;
            }
            Err(_) => return Err("x509: malformed certificate".into()),
        }
    }
    Ok(n)
}

/// `getValidationOptions(new, old)`.
pub fn options_from_old(
    new: &CertificateSigningRequest,
    old: &CertificateSigningRequest,
) -> Options {
    let conds = &old.status.conditions;
    let has = |t: &str| conds.iter().any(|c| c.type_ == t);
    let mut seen = std::collections::BTreeSet::new();
    let dup_types = conds.iter().any(|c| !seen.insert(c.type_.as_str()));
    let mut seen_u = std::collections::BTreeSet::new();
    let dup_usages = old.spec.usages.iter().any(|u| !seen_u.insert(u.as_str()));
    Options {
        allow_resetting_certificate: false,
        allow_both_approved_and_denied: has(APPROVED) && has(DENIED),
        allow_legacy_signer_name: old.spec.signer_name == LEGACY_UNKNOWN,
        allow_duplicate_condition_types: dup_types,
        allow_empty_condition_type: has(""),
        allow_arbitrary_certificate: new.status.certificate == old.status.certificate
            || check_certificate_pem(&old.status.certificate).is_err(),
        allow_duplicate_usages: dup_usages,
        allow_unknown_usages: old
            .spec
            .usages
            .iter()
            .any(|u| !ALL_USAGES.contains(&u.as_str())),
        allow_setting_certificate: false,
        allow_setting_approval_conditions: false,
    }
}

fn sorted_usages() -> Vec<&'static str> {
    let mut v = ALL_USAGES.to_vec();
    v.sort_unstable();
    v
}

/// `validateCertificateSigningRequest`: the rules of every write.
pub fn validate(csr: &CertificateSigningRequest, opts: &Options) -> Vec<FieldError> {
    let mut errs = meta::validate_object_meta(&csr.metadata, false);
    if let Err(e) = parse_request(&csr.spec.request) {
        errs.push(FieldError::invalid_raw(
            "spec.request",
            go_bytes(&csr.spec.request),
            e,
        ));
    }
    if csr.spec.usages.is_empty() {
        errs.push(FieldError::required("spec.usages", ""));
    }
    if !opts.allow_unknown_usages {
        for (i, u) in csr.spec.usages.iter().enumerate() {
            if !ALL_USAGES.contains(&u.as_str()) {
                errs.push(FieldError::not_supported(
                    format!("spec.usages[{i}]"),
                    u,
                    &sorted_usages(),
                ));
            }
        }
    }
    if !opts.allow_duplicate_usages {
        let mut seen = std::collections::BTreeSet::new();
        for (i, u) in csr.spec.usages.iter().enumerate() {
            if !seen.insert(u.as_str()) {
                errs.push(FieldError::duplicate(format!("spec.usages[{i}]"), u));
            }
        }
    }
    if !opts.allow_legacy_signer_name && csr.spec.signer_name == LEGACY_UNKNOWN {
        errs.push(FieldError::invalid(
            "spec.signerName",
            &csr.spec.signer_name,
            "the legacy signerName is not allowed via this API version",
        ));
    } else {
        errs.extend(validate_signer_name(
            "spec.signerName",
            &csr.spec.signer_name,
        ));
    }
    if let Some(s) = csr.spec.expiration_seconds {
        if s < MIN_EXPIRATION_SECONDS {
            errs.push(FieldError::invalid_raw(
                "spec.expirationSeconds",
                s.to_string(),
                "may not specify a duration less than 600 seconds (10 minutes)",
            ));
        }
    }
    errs.extend(validate_conditions(&csr.status.conditions, opts));
    if !opts.allow_arbitrary_certificate {
        if let Err(e) = check_certificate_pem(&csr.status.certificate) {
            errs.push(FieldError::invalid(
                "status.certificate",
                "<certificate data>",
                e,
            ));
        }
    }
    errs
}

/// `validateConditions`.
fn validate_conditions(conds: &[CsrCondition], opts: &Options) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let (mut has_approved, mut has_denied) = (false, false);
    let mut seen = std::collections::BTreeSet::new();
    for (i, c) in conds.iter().enumerate() {
        if !opts.allow_empty_condition_type && c.type_.is_empty() {
            errs.push(FieldError::required(
                format!("status.conditions[{i}].type"),
                "",
            ));
        }
        let true_only = [APPROVED, DENIED, FAILED].contains(&c.type_.as_str());
        let allowed: &[&str] = if true_only {
            &["True"]
        } else {
            &["False", "True", "Unknown"]
        };
        if c.status.is_empty() {
            errs.push(FieldError::required(
                format!("status.conditions[{i}].status"),
                "",
            ));
        } else if !allowed.contains(&c.status.as_str()) {
            errs.push(FieldError::not_supported(
                format!("status.conditions[{i}].status"),
                &c.status,
                allowed,
            ));
        }
        if !opts.allow_both_approved_and_denied {
            if c.type_ == APPROVED {
                has_approved = true;
                if has_denied {
                    errs.push(FieldError::invalid(
                        "status.conditions",
                        &c.type_,
                        "Approved and Denied conditions are mutually exclusive",
                    ));
                }
            } else if c.type_ == DENIED {
                has_denied = true;
                if has_approved {
                    errs.push(FieldError::invalid(
                        "status.conditions",
                        &c.type_,
                        "Approved and Denied conditions are mutually exclusive",
                    ));
                }
            }
        }
        if !opts.allow_duplicate_condition_types && !seen.insert(c.type_.as_str()) {
            errs.push(FieldError::duplicate(
                format!("status.conditions[{i}].type"),
                &c.type_,
            ));
        }
    }
    errs
}

fn find<'a>(csr: &'a CertificateSigningRequest, t: &str) -> Vec<&'a CsrCondition> {
    csr.status
        .conditions
        .iter()
        .filter(|c| c.type_ == t)
        .collect()
}

/// Create: `ValidateCertificateSigningRequestCreate` (all options false).
pub fn validate_create(csr: &CertificateSigningRequest) -> Vec<FieldError> {
    validate(csr, &Options::default())
}

/// Create, knowing the submitted JSON `body`: Go's decoder turns `"request": ""` into a
/// non-nil empty slice, which the `spec.request` error prints as `[]byte{}`, while a request
/// left out (or `null`) stays nil and prints `[]byte(nil)`; our `Vec<u8>` cannot tell them apart.
pub fn validate_create_body(csr: &CertificateSigningRequest, body: &Value) -> Vec<FieldError> {
    let mut errs = validate_create(csr);
    if body.pointer("/spec/request").and_then(Value::as_str) == Some("") {
        for e in errs.iter_mut().filter(|e| e.field == "spec.request") {
            e.value = Some("[]byte{}".to_string());
        }
    }
    errs
}

/// Update through `path`: `ValidateCertificateSigningRequest{,Status,Approval}Update`.
pub fn validate_update(
    new: &CertificateSigningRequest,
    old: &CertificateSigningRequest,
    path: UpdatePath,
) -> Vec<FieldError> {
    let mut opts = options_from_old(new, old);
    match path {
        UpdatePath::Main => {}
        UpdatePath::Status => opts.allow_setting_certificate = true,
        UpdatePath::Approval => opts.allow_setting_approval_conditions = true,
    }
    let mut errs = validate(new, &opts);
    let meta_errs = meta::validate_object_meta_update(&new.metadata, &old.metadata);
    for t in [APPROVED, DENIED, FAILED] {
        if find(new, t).len() < find(old, t).len() {
            errs.push(FieldError::forbidden(
                "status.conditions",
                format!("updates may not remove a condition of type \"{t}\""),
            ));
        }
    }
    if !opts.allow_setting_approval_conditions {
        for t in [APPROVED, DENIED] {
            let (o, n) = (find(old, t), find(new, t));
            if n.len() > o.len() {
                errs.push(FieldError::forbidden(
                    "status.conditions",
                    format!("updates may not add a condition of type \"{t}\""),
                ));
            } else if n.len() == o.len() && o != n {
                errs.push(FieldError::forbidden(
                    "status.conditions",
                    format!(
                        "updates may not modify a condition of type \"{t}\"\n{}",
                        condition_diff(&o, &n)
                    ),
                ));
            }
        }
    }
    if new.status.certificate != old.status.certificate {
        if !opts.allow_setting_certificate {
            errs.push(FieldError::forbidden(
                "status.certificate",
                "updates may not set certificate content",
            ));
        } else if !opts.allow_resetting_certificate && !old.status.certificate.is_empty() {
            errs.push(FieldError::forbidden(
                "status.certificate",
                "updates may not modify existing certificate content",
            ));
        }
    }
    errs.extend(meta_errs);
    errs
}

/// A readable stand-in for `diff.ObjectDiff(old, new)`.
fn condition_diff(old: &[&CsrCondition], new: &[&CsrCondition]) -> String {
    let o = serde_json::to_string(old).unwrap_or_default();
    let n = serde_json::to_string(new).unwrap_or_default();
    format!("object.A: {o}\nobject.B: {n}")
}
