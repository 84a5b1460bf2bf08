//! The Go-compatible DER readers with raw DER (csr_parse reaches them through PEM, where
//! mutations rarely make it past base64): `validation::goasn1` (`asn1.Unmarshal` of a
//! certificateRequest, the public key's and the subject's parse), `validation::gox509`
//! (`x509.ParseCertificate`'s walk and `ParseCertificates`' error), and
//! `check_certificate_pem` / `check_csr_der` on the same bytes.
//!
//! Invariants: no panic; a certificate walk that succeeds took a non-empty prefix of its
//! input; a request `pki::csr::parse_der` accepts has no Go unmarshal, key or subject error.
#![no_main]

use csrsim::pki::gopem;
use csrsim::validation::{csr, goasn1, gox509};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|der: &[u8]| {
    let unmarshal = goasn1::unmarshal_error(der);
    let key = goasn1::public_key_error(der);
    let subject = goasn1::subject_error(der);
    let _ = csr::asn1_csr_error(der);
    if csrsim::pki::csr::parse_der(der).is_ok() {
        assert_eq!((&unmarshal, &key, &subject), (&None, &None, &None));
    }
    let _ = csr::check_csr_der(der);

    if let Ok(n) = gox509::parse_certificate_error(der) {
        assert!(n > 0 && n <= der.len(), "took {n} of {}", der.len());
    }
    let _ = gox509::parse_certificates_error(der, "fallback");
    let _ = csr::check_certificate_pem(gopem::encode("CERTIFICATE", der).as_bytes());
});
