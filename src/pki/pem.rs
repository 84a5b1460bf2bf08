//! PEM helpers on top of [`super::gopem`] (Go's `encoding/pem` semantics).

use super::gopem;

/// Every `CERTIFICATE` block's DER, in order (other blocks skipped), as upstream's
/// `cert.ParseCertsPEM` walks `status.certificate`.
pub fn certificates(pem: &[u8]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut rest = pem;
    while let Some((b, r)) = gopem::decode(rest) {
        if b.type_ == "CERTIFICATE" {
            out.push(b.bytes);
        }
        rest = r;
    }
    out
}

/// One `CERTIFICATE` block (what the signer writes to `status.certificate`).
pub fn certificate_pem(der: &[u8]) -> String {
    gopem::encode_remembered("CERTIFICATE", der)
}
