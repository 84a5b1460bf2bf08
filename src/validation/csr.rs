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
    // What Go's `asn1.Unmarshal` refuses is refused, whatever the lenient `from_der` makes
    // of it.
    if let Some(e) = super::goasn1::unmarshal_error(der) {
        return Err(e);
    }
    let (rest, req) = X509CertificationRequest::from_der(der).map_err(|_| asn1_csr_error(der))?;
    if !rest.is_empty() {
        return Err(ASN1_TRAILING_DATA.into());
    }
    if crate::pki::csr::verified_before(der) {
        return Ok(());
    }
    // `parseCertificateRequest`: the public key's parse, then the subject's own
    // `asn1.Unmarshal` into a `pkix.RDNSequence`.
    if let Some(e) =
        super::goasn1::public_key_error(der).or_else(|| super::goasn1::subject_error(der))
    {
        return Err(e);
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

/// `x509.ParseCertificateRequest` of DER with bytes after the request.
pub const ASN1_TRAILING_DATA: &str = "asn1: syntax error: trailing data";

/// The `encoding/asn1` error `x509.ParseCertificateRequest` returns for DER that does not
/// parse as a request: Go's `asn1.Unmarshal` into its `certificateRequest` walked field by
/// field ([`super::goasn1`]), with Go's full texts (`tags don't match (…) {…} <Type> @<n>`,
/// `data truncated`, `empty integer`, …), then the public key's parse
/// ([`super::goasn1::public_key_error`]) and the subject's decoding into a
/// `pkix.RDNSequence` ([`super::goasn1::subject_error`]). When neither finds anything (a
/// later step of Go's parse is what fails) the text is the commonest one's prefix,
/// `asn1: structure error: tags don't match`.
pub fn asn1_csr_error(der: &[u8]) -> String {
    super::goasn1::unmarshal_error(der)
        .or_else(|| super::goasn1::public_key_error(der))
        .or_else(|| super::goasn1::subject_error(der))
        .unwrap_or_else(|| super::goasn1::TAGS_DONT_MATCH.into())
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

/// `x509.ParseCertificates`: a concatenation of DER certificates; their count, or Go's error
/// text for the first one that does not parse.
fn parse_certificates(mut der: &[u8]) -> Result<usize, String> {
    let mut n = 0;
    while !der.is_empty() {
        match crate::pki::cert_facts::parse_first(der) {
            Ok((_, rest)) => {
                // Go's parser is stricter than ours in places (a subject RDN that is not a
                // SET, a negative serial, a bad string): its order and texts decide.
                super::gox509::parse_certificate_error(&der[..der.len() - rest.len()])?;
                der = rest;
                n += 1;
            }
            Err(_) => {
                return Err(super::gox509::parse_certificates_error(
                    der,
                    "x509: malformed certificate",
                ))
            }
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

#[cfg(test)]
mod tests {
    //! The tables of upstream `pkg/apis/certificates/validation/validation_test.go` (newest),
    //! row by row, with upstream's error texts.
    use super::*;
    use crate::api::csr::ALL_USAGES;
    use crate::testutil::Req;

    const VALID_SIGNER: &str = "example.com/valid-name";

    /// upstream `validCertificate`: two CERTIFICATE blocks with non-PEM text around them.
    const VALID_CERTIFICATE: &str = "
Leading non-PEM content
-----BEGIN CERTIFICATE-----
MIIBqDCCAU2gAwIBAgIUfbqeieihh/oERbfvRm38XvS/xHAwCgYIKoZIzj0EAwIw
GjEYMBYGA1UEAxMPSW50ZXJtZWRpYXRlLUNBMCAXDTE2MTAxMTA1MDYwMFoYDzIx
MTYwOTE3MDUwNjAwWjAUMRIwEAYDVQQDEwlNeSBDbGllbnQwWTATBgcqhkjOPQIB
BggqhkjOPQMBBwNCAARv6N4R/sjMR65iMFGNLN1GC/vd7WhDW6J4X/iAjkRLLnNb
KbRG/AtOUZ+7upJ3BWIRKYbOabbQGQe2BbKFiap4o3UwczAOBgNVHQ8BAf8EBAMC
BaAwEwYDVR0lBAwwCgYIKwYBBQUHAwIwDAYDVR0TAQH/BAIwADAdBgNVHQ4EFgQU
K/pZOWpNcYai6eHFpmJEeFpeQlEwHwYDVR0jBBgwFoAUX6nQlxjfWnP6aM1meO/Q
a6b3a9kwCgYIKoZIzj0EAwIDSQAwRgIhAIWTKw/sjJITqeuNzJDAKU4xo1zL+xJ5
MnVCuBwfwDXCAiEAw/1TA+CjPq9JC5ek1ifR0FybTURjeQqYkKpve1dveps=
-----END CERTIFICATE-----
Intermediate non-PEM content
-----BEGIN CERTIFICATE-----
MIIBqDCCAU6gAwIBAgIUfqZtjoFgczZ+oQZbEC/BDSS2J6wwCgYIKoZIzj0EAwIw
EjEQMA4GA1UEAxMHUm9vdC1DQTAgFw0xNjEwMTEwNTA2MDBaGA8yMTE2MDkxNzA1
MDYwMFowGjEYMBYGA1UEAxMPSW50ZXJtZWRpYXRlLUNBMFkwEwYHKoZIzj0CAQYI
KoZIzj0DAQcDQgAEyWHEMMCctJg8Xa5YWLqaCPbk3MjB+uvXac42JM9pj4k9jedD
kpUJRkWIPzgJI8Zk/3cSzluUTixP6JBSDKtwwaN4MHYwDgYDVR0PAQH/BAQDAgGm
MBMGA1UdJQQMMAoGCCsGAQUFBwMCMA8GA1UdEwEB/wQFMAMBAf8wHQYDVR0OBBYE
FF+p0JcY31pz+mjNZnjv0Gum92vZMB8GA1UdIwQYMBaAFB7P6+i4/pfNjqZgJv/b
dgA7Fe4tMAoGCCqGSM49BAMCA0gAMEUCIQCTT1YWQZaAqfQ2oBxzOkJE2BqLFxhz
3smQlrZ5gCHddwIgcvT7puhYOzAgcvMn9+SZ1JOyZ7edODjshCVCRnuHK2c=
-----END CERTIFICATE-----
Trailing non-PEM content
";

    const NO_PEM: &str = "no PEM content";

    /// The first block of [`VALID_CERTIFICATE`] relabelled, with a header, with a corrupt
    /// base64 line, empty, or with one byte changed (the first RDN's SET tag → 0x35).
    fn variant(which: &str) -> String {
        let first = VALID_CERTIFICATE.split("Intermediate").next().unwrap();
        let body: Vec<&str> = first
            .lines()
            .filter(|l| !l.is_empty() && !l.starts_with("Leading") && !l.starts_with("-----"))
            .collect();
        let wrap = |label: &str, header: &str, lines: &[&str]| {
            format!(
                "\nLeading non-PEM content\n-----BEGIN {label}-----\n{header}{}\n-----END {label}-----\nTrailing non-PEM content\n",
                lines.join("\n")
            )
        };
        match which {
            "non-certificate" => wrap("CERTIFICATE1", "", &body),
            "headers" => wrap("CERTIFICATE", "Some-Header: Some-Value\n", &body),
            "non-base64" => {
                let mut b = body.clone();
                let last = b.len() - 1;
                b[last] = "MnVCuBwfwDXCAiEAw/1TA+CjPq9JC5ek1ifR0FybTURjeQqYkKpve1d?????????";
                wrap("CERTIFICATE", "", &b)
            }
            "empty" => "\nLeading non-PEM content\n-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\nTrailing non-PEM content\n".into(),
            "non-asn1" => {
                let mut b: Vec<String> = body.iter().map(|s| s.to_string()).collect();
                b[2] = b[2].replace("WjAUMRIw", "WjAUNRIw");
                let refs: Vec<&str> = b.iter().map(String::as_str).collect();
                wrap("CERTIFICATE", "", &refs)
            }
            _ => unreachable!(),
        }
    }

    fn spec_csr(signer: &str, usages: &[&str]) -> CertificateSigningRequest {
        let mut c = CertificateSigningRequest::default();
        c.metadata.name = "testcsr".into();
        c.spec.signer_name = signer.into();
        c.spec.usages = usages.iter().map(|u| u.to_string()).collect();
        c.spec.request = Req {
            orgs: &["testing-org"],
            ..Default::default()
        }
        .pem()
        .into_bytes();
        c
    }

    fn valid() -> CertificateSigningRequest {
        spec_csr(VALID_SIGNER, &["key encipherment"])
    }

    fn cond(t: &str, s: &str) -> CsrCondition {
        CsrCondition {
            type_: t.into(),
            status: s.into(),
            ..Default::default()
        }
    }

    fn texts(errs: Vec<FieldError>) -> Vec<String> {
        errs.into_iter().map(|e| e.to_string()).collect()
    }

    fn sorted(mut v: Vec<String>) -> Vec<String> {
        v.sort();
        v
    }

    #[test]
    fn validate_create_table() {
        let a = |n: usize| "a".repeat(n);
        let max_fqdn = format!("{}.{}.{}.{}", a(63), a(63), a(63), a(61));
        let max_signer = format!("{max_fqdn}/{}.{}", a(63), a(253));
        let subdomain_msg = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
        let usages_list = {
            let mut v = ALL_USAGES.to_vec();
            v.sort_unstable();
            v.iter()
                .map(|u| format!("\"{u}\""))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let with = |f: &dyn Fn(&mut CertificateSigningRequest)| {
            let mut c = valid();
            f(&mut c);
            c
        };
        let signer = |s: &str| spec_csr(s, &["key encipherment"]);
        let rows: Vec<(&str, CertificateSigningRequest, Vec<String>)> = vec![
            ("CSR with empty request data should fail", with(&|c| c.spec.request.clear()),
             vec!["spec.request: Invalid value: []byte(nil): PEM block type must be CERTIFICATE REQUEST".into()]),
            ("CSR with invalid request data should fail", with(&|c| c.spec.request = b"invalid data".to_vec()),
             vec![format!("spec.request: Invalid value: {}: PEM block type must be CERTIFICATE REQUEST", go_bytes(b"invalid data"))]),
            ("CSR with no usages should fail", with(&|c| c.spec.usages.clear()),
             vec!["spec.usages: Required value".into()]),
            ("CSR with no signerName set should fail", signer(""),
             vec!["spec.signerName: Required value".into()]),
            ("signerName contains no '/'", signer("an-invalid-signer-name"),
             vec!["spec.signerName: Invalid value: \"an-invalid-signer-name\": must be a fully qualified domain and path of the form 'example.com/signer-name'".into()]),
            ("signerName contains two '/'", signer("an-invalid-signer-name.com/something/else"),
             vec!["spec.signerName: Invalid value: \"an-invalid-signer-name.com/something/else\": must be a fully qualified domain and path of the form 'example.com/signer-name'".into()]),
            ("signerName domain component is not fully qualified", signer("example/some-signer-name"),
             vec!["spec.signerName: Invalid value: \"example\": should be a domain with at least two segments separated by dots".into()]),
            ("signerName path component is empty", signer("example.com/"),
             vec![format!("spec.signerName: Invalid value: \"\": validating label \"\": {subdomain_msg}")]),
            ("signerName path component ends with a symbol", signer("example.com/something-"),
             vec![format!("spec.signerName: Invalid value: \"something-\": validating label \"something-\": {subdomain_msg}")]),
            ("signerName path component is a symbol", signer("example.com/-"),
             vec![format!("spec.signerName: Invalid value: \"-\": validating label \"-\": {subdomain_msg}")]),
            ("signerName path component contains no '.' but is valid", signer("example.com/some-signer-name"), vec![]),
            ("signerName with a total length greater than 571 characters should be rejected",
             signer(&format!("{max_signer}.toolong")),
             vec![format!("spec.signerName: Too long: may not be more than {} bytes", max_signer.len())]),
            ("signerName with a fqdn greater than 253 characters should be rejected",
             signer(&format!("{max_fqdn}.extra/valid-path")),
             vec![format!("spec.signerName: Too long: may not be more than {} bytes", max_fqdn.len())]),
            ("signerName can have a longer path if the domain component is less than the max length",
             signer(&format!("abc.io/{}.{}", a(253), a(253))), vec![]),
            ("signerName with a domain label greater than 63 characters will fail",
             signer(&format!("{}.example.io/valid-path", a(66))),
             vec![format!("spec.signerName: Invalid value: \"{}.example.io\": validating label \"{}\": must be no more than 63 bytes", a(66), a(66))]),
            ("signerName of max length in format <fully-qualified-domain-name>/<resource-namespace>.<resource-name> is valid",
             signer(&max_signer), vec![]),
            ("negative duration", with(&|c| c.spec.expiration_seconds = Some(-1)),
             vec!["spec.expirationSeconds: Invalid value: -1: may not specify a duration less than 600 seconds (10 minutes)".into()]),
            ("zero duration", with(&|c| c.spec.expiration_seconds = Some(0)),
             vec!["spec.expirationSeconds: Invalid value: 0: may not specify a duration less than 600 seconds (10 minutes)".into()]),
            ("one duration", with(&|c| c.spec.expiration_seconds = Some(1)),
             vec!["spec.expirationSeconds: Invalid value: 1: may not specify a duration less than 600 seconds (10 minutes)".into()]),
            ("too short duration", with(&|c| c.spec.expiration_seconds = Some(60)),
             vec!["spec.expirationSeconds: Invalid value: 60: may not specify a duration less than 600 seconds (10 minutes)".into()]),
            ("valid duration", with(&|c| c.spec.expiration_seconds = Some(600)), vec![]),
            ("missing usages", with(&|c| c.spec.usages = vec![]), vec!["spec.usages: Required value".into()]),
            ("unknown and duplicate usages", with(&|c| c.spec.usages = vec!["unknown".into(), "unknown".into()]),
             vec![
                 format!("spec.usages[0]: Unsupported value: \"unknown\": supported values: {usages_list}"),
                 format!("spec.usages[1]: Unsupported value: \"unknown\": supported values: {usages_list}"),
                 "spec.usages[1]: Duplicate value: \"unknown\"".into(),
             ]),
            ("approved condition only", with(&|c| c.status.conditions = vec![cond(APPROVED, "True")]), vec![]),
            ("denied condition only", with(&|c| c.status.conditions = vec![cond(DENIED, "True")]), vec![]),
            ("both approved and denied conditions",
             with(&|c| c.status.conditions = vec![cond(APPROVED, "True"), cond(DENIED, "True")]),
             vec!["status.conditions: Invalid value: \"Denied\": Approved and Denied conditions are mutually exclusive".into()]),
            ("approved and failed conditions allowed",
             with(&|c| c.status.conditions = vec![cond(APPROVED, "True"), cond(FAILED, "True")]), vec![]),
        ];
        for (case, csr, want) in rows {
            // Upstream compares the lists in order (reflect.DeepEqual).
            assert_eq!(texts(validate_create(&csr)), want, "{case}");
        }
    }

    #[test]
    fn get_validation_options_table() {
        let valid_cert = VALID_CERTIFICATE.as_bytes().to_vec();
        let mut rows: Vec<(
            &str,
            CertificateSigningRequest,
            CertificateSigningRequest,
            Options,
        )> = Vec::new();
        let empty = CertificateSigningRequest::default;
        rows.push(("strict update", empty(), empty(), Options::default()));
        let mut old = empty();
        old.status.conditions = vec![cond(APPROVED, ""), cond(DENIED, "")];
        rows.push((
            "compatible update, approved+denied",
            empty(),
            old,
            Options {
                allow_both_approved_and_denied: true,
                ..Default::default()
            },
        ));
        let mut old = empty();
        old.spec.signer_name = LEGACY_UNKNOWN.into();
        rows.push((
            "compatible update, legacy signerName",
            empty(),
            old,
            Options {
                allow_legacy_signer_name: true,
                ..Default::default()
            },
        ));
        let mut old = empty();
        old.status.conditions = vec![cond(APPROVED, ""), cond(APPROVED, "")];
        rows.push((
            "compatible update, duplicate condition types",
            empty(),
            old,
            Options {
                allow_duplicate_condition_types: true,
                ..Default::default()
            },
        ));
        let mut old = empty();
        old.status.conditions = vec![cond("", "")];
        rows.push((
            "compatible update, empty condition types",
            empty(),
            old,
            Options {
                allow_empty_condition_type: true,
                ..Default::default()
            },
        ));
        let (mut new, mut old) = (empty(), empty());
        new.status.certificate = valid_cert.clone();
        old.status.certificate = valid_cert;
        rows.push((
            "compatible update, no diff to certificate",
            new,
            old,
            Options {
                allow_arbitrary_certificate: true,
                ..Default::default()
            },
        ));
        let (mut new, mut old) = (empty(), empty());
        new.status.certificate = b"new - no PEM blocks".to_vec();
        old.status.certificate = b"old - no PEM blocks".to_vec();
        rows.push((
            "compatible update, existing invalid certificate",
            new,
            old,
            Options {
                allow_arbitrary_certificate: true,
                ..Default::default()
            },
        ));
        let mut old = empty();
        old.spec.usages = vec!["unknown".into()];
        rows.push((
            "compatible update, existing unknown usages",
            empty(),
            old,
            Options {
                allow_unknown_usages: true,
                ..Default::default()
            },
        ));
        let mut old = empty();
        old.spec.usages = vec!["any".into(), "any".into()];
        rows.push((
            "compatible update, existing duplicate usages",
            empty(),
            old,
            Options {
                allow_duplicate_usages: true,
                ..Default::default()
            },
        ));
        for (case, new, old, want) in rows {
            // Upstream's rows leave newCSR nil where it does not matter; an empty new object
            // has an empty certificate, equal to the old one's, so the arbitrary-certificate
            // allowance is expected there too.
            let mut want = want;
            if new.status.certificate == old.status.certificate {
                want.allow_arbitrary_certificate = true;
            }
            assert_eq!(options_from_old(&new, &old), want, "{case}");
        }
    }

    /// `TestValidateCertificateSigningRequest{,Status,Approval}Update`: error sets.
    #[test]
    fn validate_update_tables() {
        let base = || {
            let mut c = spec_csr("example.com/something", &["key encipherment"]);
            c.metadata.resource_version = "1".into();
            c
        };
        let old_with_finalizer = |f: &dyn Fn(&mut CertificateSigningRequest)| {
            let mut c = base();
            c.metadata.finalizers = vec!["foo".into()];
            f(&mut c);
            c
        };
        let new_with = |f: &dyn Fn(&mut CertificateSigningRequest)| {
            let mut c = base();
            f(&mut c);
            c
        };
        let conds = |t: &'static str| {
            move |c: &mut CertificateSigningRequest| c.status.conditions = vec![cond(t, "True")]
        };
        let cert = |v: &'static str| {
            move |c: &mut CertificateSigningRequest| c.status.certificate = v.as_bytes().to_vec()
        };
        let nothing = |_: &mut CertificateSigningRequest| {};
        let add = |t: &str| {
            format!("status.conditions: Forbidden: updates may not add a condition of type \"{t}\"")
        };
        let remove = |t: &str| {
            format!(
                "status.conditions: Forbidden: updates may not remove a condition of type \"{t}\""
            )
        };
        let set_cert =
            "status.certificate: Forbidden: updates may not set certificate content".to_string();
        let unknown_usages = |c: &mut CertificateSigningRequest| {
            c.spec.usages = vec!["unknown".into(), "unknown".into()];
            c.spec.signer_name = VALID_SIGNER.into();
        };
        let invalid_non_cert = variant("non-certificate");
        let invalid_non_cert: &'static str = Box::leak(invalid_non_cert.into_boxed_str());
        type Row = (
            &'static str,
            UpdatePath,
            CertificateSigningRequest,
            CertificateSigningRequest,
            Vec<String>,
        );
        let mut rows: Vec<Row> = Vec::new();
        for path in [UpdatePath::Main, UpdatePath::Status, UpdatePath::Approval] {
            let approval = path == UpdatePath::Approval;
            rows.push(("no-op", path, base(), base(), vec![]));
            rows.push((
                "finalizer change with invalid status",
                path,
                new_with(&cert(NO_PEM)),
                old_with_finalizer(&cert(NO_PEM)),
                vec![],
            ));
            rows.push((
                "add Approved condition",
                path,
                new_with(&conds(APPROVED)),
                old_with_finalizer(&nothing),
                if approval {
                    vec![]
                } else {
                    vec![add(APPROVED)]
                },
            ));
            rows.push((
                "remove Approved condition",
                path,
                new_with(&nothing),
                old_with_finalizer(&conds(APPROVED)),
                vec![remove(APPROVED)],
            ));
            rows.push((
                "add Denied condition",
                path,
                new_with(&conds(DENIED)),
                old_with_finalizer(&nothing),
                if approval { vec![] } else { vec![add(DENIED)] },
            ));
            rows.push((
                "remove Denied condition",
                path,
                new_with(&nothing),
                old_with_finalizer(&conds(DENIED)),
                vec![remove(DENIED)],
            ));
            rows.push((
                "add Failed condition",
                path,
                new_with(&conds(FAILED)),
                old_with_finalizer(&nothing),
                vec![],
            ));
            rows.push((
                "remove Failed condition",
                path,
                new_with(&nothing),
                old_with_finalizer(&conds(FAILED)),
                vec![remove(FAILED)],
            ));
        }
        rows.push((
            "set certificate",
            UpdatePath::Main,
            new_with(&cert(VALID_CERTIFICATE)),
            old_with_finalizer(&nothing),
            vec![set_cert.clone()],
        ));
        rows.push((
            "set certificate",
            UpdatePath::Approval,
            new_with(&cert(VALID_CERTIFICATE)),
            old_with_finalizer(&nothing),
            vec![set_cert],
        ));
        rows.push(("add both approved and denied conditions", UpdatePath::Main,
                   new_with(&|c| c.status.conditions = vec![cond(APPROVED, "True"), cond(DENIED, "True")]),
                   old_with_finalizer(&nothing),
                   vec![add(APPROVED), add(DENIED),
                        "status.conditions: Invalid value: \"Denied\": Approved and Denied conditions are mutually exclusive".into()]));
        rows.push((
            "finalizer change with duplicate and unknown usages",
            UpdatePath::Status,
            new_with(&unknown_usages),
            old_with_finalizer(&unknown_usages),
            vec![],
        ));
        rows.push((
            "set valid certificate",
            UpdatePath::Status,
            new_with(&cert(VALID_CERTIFICATE)),
            old_with_finalizer(&nothing),
            vec![],
        ));
        rows.push(("set invalid certificate", UpdatePath::Status, new_with(&cert(NO_PEM)),
                   old_with_finalizer(&nothing),
                   vec!["status.certificate: Invalid value: \"<certificate data>\": must contain at least one CERTIFICATE PEM block".into()]));
        rows.push(("reset certificate", UpdatePath::Status, new_with(&cert(invalid_non_cert)),
                   old_with_finalizer(&cert(NO_PEM)),
                   vec!["status.certificate: Forbidden: updates may not modify existing certificate content".into()]));
        for (case, path, new, old, want) in rows {
            assert_eq!(
                sorted(texts(validate_update(&new, &old, path))),
                sorted(want),
                "{case} ({path:?})"
            );
        }
    }

    /// `Test_validateCertificateSigningRequestOptions`: each row passes with its lenient
    /// option and fails strictly with exactly these errors.
    #[test]
    fn validation_options_are_effective() {
        let with = |f: &dyn Fn(&mut CertificateSigningRequest)| {
            let mut c = spec_csr("example.com/something", &["key encipherment"]);
            f(&mut c);
            c
        };
        let approved_with_cert = |pem: String| {
            with(&move |c| {
                c.status.conditions = vec![cond(APPROVED, "True")];
                c.status.certificate = pem.clone().into_bytes();
            })
        };
        let cert_opts = Options {
            allow_arbitrary_certificate: true,
            ..Default::default()
        };
        let cert_err =
            |m: &str| format!("status.certificate: Invalid value: \"<certificate data>\": {m}");
        let rows: Vec<(&str, CertificateSigningRequest, Options, Vec<String>)> = vec![
            ("no status", with(&|_| {}), Options::default(), vec![]),
            ("approved condition", with(&|c| c.status.conditions = vec![cond(APPROVED, "True")]), Options::default(), vec![]),
            ("denied condition", with(&|c| c.status.conditions = vec![cond(DENIED, "True")]), Options::default(), vec![]),
            ("failed condition", with(&|c| c.status.conditions = vec![cond(FAILED, "True")]), Options::default(), vec![]),
            ("approved+issued", approved_with_cert(VALID_CERTIFICATE.into()), Options::default(), vec![]),
            ("legacy signer", with(&|c| c.spec.signer_name = LEGACY_UNKNOWN.into()),
             Options { allow_legacy_signer_name: true, ..Default::default() },
             vec!["spec.signerName: Invalid value: \"kubernetes.io/legacy-unknown\": the legacy signerName is not allowed via this API version".into()]),
            ("empty condition type", with(&|c| c.status.conditions = vec![cond("", "True")]),
             Options { allow_empty_condition_type: true, ..Default::default() },
             vec!["status.conditions[0].type: Required value".into()]),
            ("approved and denied", with(&|c| c.status.conditions = vec![cond(APPROVED, "True"), cond(DENIED, "True")]),
             Options { allow_both_approved_and_denied: true, ..Default::default() },
             vec!["status.conditions: Invalid value: \"Denied\": Approved and Denied conditions are mutually exclusive".into()]),
            ("duplicate condition", with(&|c| c.status.conditions = vec![cond(APPROVED, "True"), cond(APPROVED, "True")]),
             Options { allow_duplicate_condition_types: true, ..Default::default() },
             vec!["status.conditions[1].type: Duplicate value: \"Approved\"".into()]),
            ("status.certificate, no PEM", approved_with_cert(NO_PEM.into()), cert_opts,
             vec![cert_err("must contain at least one CERTIFICATE PEM block")]),
            ("status.certificate, non-CERTIFICATE PEM", approved_with_cert(variant("non-certificate")), cert_opts,
             vec![cert_err("only CERTIFICATE PEM blocks are allowed, found \"CERTIFICATE1\"")]),
            ("status.certificate, PEM headers", approved_with_cert(variant("headers")), cert_opts,
             vec![cert_err("no PEM block headers are permitted")]),
            ("status.certificate, non-base64 PEM", approved_with_cert(variant("non-base64")), cert_opts,
             vec![cert_err("must contain at least one CERTIFICATE PEM block")]),
            ("status.certificate, empty PEM block", approved_with_cert(variant("empty")), cert_opts,
             vec![cert_err("found CERTIFICATE PEM block containing 0 certificates")]),
            // Upstream accepts either Go's old asn1 text or the newer parser's.
            ("status.certificate, non-ASN1 data", approved_with_cert(variant("non-asn1")), cert_opts,
             vec![cert_err("x509: invalid RDNSequence")]),
        ];
        for (case, csr, lenient, strict) in rows {
            assert_eq!(
                texts(validate(&csr, &lenient)),
                Vec::<String>::new(),
                "{case}: lenient"
            );
            assert_eq!(
                sorted(texts(validate(&csr, &Options::default()))),
                sorted(strict),
                "{case}: strict"
            );
        }
    }

    /// Go's `asn1.Unmarshal` is strict DER where `from_der` is lenient: a request Go refuses
    /// (a primitive outer SEQUENCE, an AlgorithmIdentifier with another class) is refused
    /// with Go's text by both `check_csr_der` and `parse_der`, even when its signature still
    /// verifies; and every truncation and bit flip of a real request that Go's walk refuses
    /// gets that walk's text from both (none panics).
    #[test]
    fn requests_go_refuses_are_refused_whatever_from_der_accepts() {
        let good = Req {
            cn: "a",
            dns: &["x.example"],
            ..Default::default()
        }
        .pem();
        let der = gopem::decode(good.as_bytes()).unwrap().0.bytes;
        // (header length, content length) of the element at `at`.
        let hl = |at: usize| match der[at + 1] {
            l if l & 0x80 == 0 => (2, usize::from(l)),
            l => {
                let n = usize::from(l & 0x7f);
                let len = der[at + 2..at + 2 + n]
                    .iter()
                    .fold(0, |v, x| (v << 8) | usize::from(*x));
                (2 + n, len)
            }
        };
        let p = "{optional:false explicit:false application:false private:false defaultValue:<nil> tag:<nil> stringType:0 timeType:0 set:false omitEmpty:false}";
        let (outer_h, outer_len) = hl(0);
        let (tbs_h, tbs_len) = hl(outer_h);
        let alg_at = outer_h + tbs_h + tbs_len;
        let alg_len = hl(alg_at).1;
        let flip = |i: usize, x: u8| {
            let mut d = der.clone();
            d[i] ^= x;
            d
        };
        let rows = [
            ("outer SEQUENCE primitive", flip(0, 0x20),
             format!("asn1: structure error: tags don't match (16 vs {{class:0 tag:16 length:{outer_len} isCompound:false}}) {p} certificateRequest @{outer_h}")),
            ("signature algorithm of class application", flip(alg_at, 0x40),
             format!("asn1: structure error: tags don't match (16 vs {{class:1 tag:16 length:{alg_len} isCompound:true}}) {p} AlgorithmIdentifier @{}", alg_at - outer_h + 2)),
        ];
        for (case, d, want) in rows {
            assert_eq!(check_csr_der(&d), Err(want.clone()), "{case}");
            assert_eq!(crate::pki::csr::parse_der(&d).err(), Some(want), "{case}");
        }
        let mut variants: Vec<Vec<u8>> = (0..der.len()).map(|n| der[..n].to_vec()).collect();
        for i in 0..der.len() {
            variants.extend((0..8).map(|b| flip(i, 1 << b)));
        }
        let mut refused = 0;
        for d in &variants {
            if let Some(e) = super::super::goasn1::unmarshal_error(d) {
                refused += 1;
                assert_eq!(check_csr_der(d).err().as_ref(), Some(&e), "{d:02x?}");
                assert_eq!(crate::pki::csr::parse_der(d).err(), Some(e), "{d:02x?}");
            }
        }
        assert!(
            refused > der.len(),
            "the truncations and many flips are refused"
        );
    }

    /// `x509.ParseCertificateRequest`'s second `asn1.Unmarshal`, of the subject into a
    /// `pkix.RDNSequence`: Go's full texts for a value Go refuses inside an RDN, whether or
    /// not our lenient parser accepts it (signed requests: only the subject is wrong).
    #[test]
    fn subject_value_errors_are_go_asn1_texts() {
        use crate::pki::der;
        use crate::testutil::{csr_pem, OID_CN};
        let rows: [(&str, u8, &[u8], Option<&str>); 9] = [
            (
                "printable with @",
                der::PRINTABLE_STRING,
                b"a@b",
                Some("asn1: syntax error: PrintableString contains invalid character"),
            ),
            (
                "printable with * and &",
                der::PRINTABLE_STRING,
                b"*.a&b",
                None,
            ),
            (
                "utf8 not utf-8",
                der::UTF8_STRING,
                b"a\xffb",
                // `parseUTF8String`: `errors.New`, no "syntax error:"
                Some("asn1: invalid UTF-8 string"),
            ),
            (
                "ia5 not ascii",
                22,
                b"a\x80",
                Some("asn1: syntax error: IA5String contains invalid character"),
            ),
            (
                "numeric with a letter",
                18,
                b"12a",
                Some("asn1: syntax error: NumericString contains invalid character"),
            ),
            (
                "bmp of odd length",
                30,
                b"\x00a\x00",
                Some("pkcs12: odd-length BMP string"),
            ),
            (
                "empty integer",
                2,
                b"",
                Some("asn1: structure error: empty integer"),
            ),
            (
                "bit string padding",
                3,
                b"\x08\x00",
                Some("asn1: syntax error: invalid padding bits in BIT STRING"),
            ),
            ("t61 anything", 20, b"\xff", None),
        ];
        for (case, tag, value, want) in rows {
            let pem = csr_pem(&[(OID_CN, tag, value)], &[]);
            let der = crate::pki::gopem::decode(pem.as_bytes()).unwrap().0.bytes;
            let want = want.map(str::to_string);
            assert_eq!(check_csr_der(&der).err(), want, "{case}");
            assert_eq!(crate::pki::csr::parse_der(&der).err(), want, "{case}");
        }
    }

    /// `x509.ParseCertificateRequest`'s asn1 texts for the outer element of `spec.request`.
    #[test]
    fn request_der_errors_are_go_asn1_texts() {
        let pem = |der: &[u8]| crate::pki::gopem::encode("CERTIFICATE REQUEST", der);
        let good = Req {
            cn: "x",
            ..Default::default()
        }
        .pem();
        let (block, _) = gopem::decode(good.as_bytes()).unwrap();
        let mut trailing = block.bytes.clone();
        trailing.push(0);
        // The Version INTEGER of a real request made an OCTET STRING: after the outer and the
        // tbs headers (each 2 bytes, or 2 + the long form's length bytes).
        let head = |at: usize| match block.bytes[at + 1] {
            l if l & 0x80 == 0 => 2,
            l => 2 + usize::from(l & 0x7f),
        };
        let version_at = head(0) + head(head(0));
        let mut bad_version = block.bytes.clone();
        assert_eq!(bad_version[version_at], 0x02, "the version's tag");
        bad_version[version_at] = 0x04;
        // The signature BIT STRING (after the tbs and the algorithm) with padding bits that
        // are not zero, or more than 7 of them: Go's Unmarshal refuses the structure.
        let end = |at: usize| {
            let b = &block.bytes;
            let len = match b[at + 1] {
                l if l & 0x80 == 0 => usize::from(l),
                l => b[at + 2..at + 2 + usize::from(l & 0x7f)]
                    .iter()
                    .fold(0, |n, x| (n << 8) | usize::from(*x)),
            };
            at + head(at) + len
        };
        let sig_at = end(end(head(0)));
        assert_eq!(block.bytes[sig_at], 0x03, "the signature's tag");
        let pad_at = sig_at + head(sig_at);
        let mut odd_padding = block.bytes.clone();
        odd_padding[pad_at] = 1;
        *odd_padding.last_mut().unwrap() |= 1;
        let mut eight_bits = block.bytes.clone();
        eight_bits[pad_at] = 8;
        let rows: Vec<(&str, Vec<u8>, &str)> = vec![
            ("empty block", vec![], "asn1: syntax error: sequence truncated"),
            ("trailing data", trailing, "asn1: syntax error: trailing data"),
            ("length beyond the data", vec![0x30, 0x05, 0x02], "asn1: syntax error: data truncated"),
            ("indefinite length", vec![0x30, 0x80, 0, 0], "asn1: syntax error: indefinite length found (not DER)"),
            ("non-minimal length", vec![0x30, 0x81, 0x01, 0], "asn1: structure error: non-minimal length"),
            ("truncated header", vec![0x30], "asn1: syntax error: truncated tag or length"),
            ("signature with padding bits set", odd_padding, "asn1: syntax error: invalid padding bits in BIT STRING"),
            ("signature with 8 padding bits", eight_bits, "asn1: syntax error: invalid padding bits in BIT STRING"),
            ("version not an INTEGER", bad_version,
             "asn1: structure error: tags don't match (2 vs {class:0 tag:4 length:1 isCompound:false}) {optional:false explicit:false application:false private:false defaultValue:<nil> tag:<nil> stringType:0 timeType:0 set:false omitEmpty:false} int @2"),
            ("not a SEQUENCE", vec![0x02, 0x01, 0x05],
             "asn1: structure error: tags don't match (16 vs {class:0 tag:2 length:1 isCompound:false}) {optional:false explicit:false application:false private:false defaultValue:<nil> tag:<nil> stringType:0 timeType:0 set:false omitEmpty:false} certificateRequest @2"),
        ];
        for (case, der, want) in rows {
            assert_eq!(
                parse_request(pem(&der).as_bytes()),
                Err(want.to_string()),
                "{case}"
            );
        }
    }
}
