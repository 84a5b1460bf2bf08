//! CSR duration metrics of the registry (`pkg/registry/certificates/certificates/storage/metrics.go`):
//! on a successful `/status` update that issues a certificate for a CSR that asked for
//! `expirationSeconds`, count the request per signer, and count it as honored when the issued
//! validity is within 5 minutes + 5 % of what was asked.

use crate::api::CertificateSigningRequest;

pub const REQUESTED: &str = "apiserver_certificates_registry_csr_requested_duration_total";
pub const HONORED: &str = "apiserver_certificates_registry_csr_honored_duration_total";

/// `compressSignerName`: built-in names are kept, every other signer is `other`.
pub fn signer_label(name: &str) -> String {
    if name.starts_with("kubernetes.io/") {
        name.to_string()
    } else {
        "other".to_string()
    }
}

/// `isDurationHonored`.
pub fn is_duration_honored(want_secs: i64, got_secs: i64) -> bool {
    (want_secs - got_secs).abs() * 20 < (300 * 20 + want_secs)
}

/// The counters this update increments: `(metric, signer label)`.
pub fn observe(
    old: &CertificateSigningRequest,
    new: &CertificateSigningRequest,
) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    if !old.status.certificate.is_empty() || new.status.certificate.is_empty() {
        return out;
    }
    let Some(want) = old.spec.expiration_seconds else {
        return out;
    };
    let signer = signer_label(&new.spec.signer_name);
    out.push((REQUESTED, signer.clone()));
    let Some((block, _)) = crate::pki::gopem::decode(&new.status.certificate) else {
        return out;
    };
    let Ok((_, cert)) = x509_parser::parse_x509_certificate(&block.bytes) else {
        return out;
    };
    let got = cert.validity().not_after.timestamp() - cert.validity().not_before.timestamp();
    if is_duration_honored(want as i64, got) {
        out.push((HONORED, signer));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn honored_window_mirrors_metrics_test() {
        // metrics_test.go: want 1h; got 1h5m (backdated short cert) is honored; 10 min off is
        // not (5m + 3m allowance).
        assert!(is_duration_honored(3600, 3600 + 300 - 1));
        assert!(!is_duration_honored(3600, 3600 + 600));
        assert!(is_duration_honored(86400 * 365, 86400 * 365 - 86400 * 10));
        assert_eq!(signer_label("example.com/x"), "other");
        assert_eq!(
            signer_label("kubernetes.io/kubelet-serving"),
            "kubernetes.io/kubelet-serving"
        );
    }
}
