//! CSR and certificate PEM/DER parsing: Go-compatible PEM decoding, `ParseCSR` +
//! `CheckSignature`, and `validateCertificate` on `status.certificate`.
#![no_main]

use csrsim::pki::gopem;
use csrsim::validation::csr::{check_certificate_pem, check_csr_der, parse_request};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // Walk every PEM block: each decode must consume input or stop.
    let mut rest = data;
    let mut blocks = 0;
    while let Some((block, r)) = gopem::decode(rest) {
        assert!(r.len() < rest.len(), "pem decode made no progress");
        // A decoded block re-encodes and decodes to the same bytes.
        let again = gopem::encode(&block.type_, &block.bytes);
        if block.headers.is_empty() && !block.type_.contains('\n') {
            if let Some((b2, _)) = gopem::decode(again.as_bytes()) {
                assert_eq!(b2.bytes, block.bytes);
            }
        }
        rest = r;
        blocks += 1;
        if blocks > 64 {
            break;
        }
    }
    if let Ok(der) = parse_request(data) {
        assert!(check_csr_der(&der).is_ok());
    }
    let _ = check_csr_der(data);
    let _ = check_certificate_pem(data);
});
