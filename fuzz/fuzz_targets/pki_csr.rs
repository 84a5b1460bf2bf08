//! The PKI's own CSR reader (`pki::csr`): PEM → DER → subject, SANs, extensions, key kind;
//! the signature check; and the subject's DER re-encoding.
#![no_main]

use csrsim::pki::csr::{check_signature, parse_der, parse_pem};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for parsed in [parse_pem(data), parse_der(data)] {
        let Ok(csr) = parsed else { continue };
        let _ = check_signature(&csr);
        let _ = csr.subject_text();
        let der = csr.subject.to_der();
        assert!(!der.is_empty());
        let _ = csr.subject.to_rdns();
    }
});
