//! CSR duration metrics of the registry (`pkg/registry/certificates/certificates/storage/metrics.go`):
//! on a successful `/status` update that issues a certificate for a CSR that asked for
//! `expirationSeconds`, count the request per signer, and count it as honored when the issued
//! validity is within 5 minutes + 5 % of what was asked.

use crate::api::CertificateSigningRequest;
use std::collections::BTreeMap;

pub const REQUESTED: &str = "apiserver_certificates_registry_csr_requested_duration_total";
pub const HONORED: &str = "apiserver_certificates_registry_csr_honored_duration_total";

/// The counters' help texts; component-base prefixes the stability level (`[ALPHA]`).
const HELP: [(&str, &str); 2] = [
    (
        HONORED,
        "[ALPHA] Total number of issued CSRs with a requested duration that was honored, sliced by signer (only kubernetes.io signer names are specifically identified)",
    ),
    (
        REQUESTED,
        "[ALPHA] Total number of issued CSRs with a requested duration, sliced by signer (only kubernetes.io signer names are specifically identified)",
    ),
];

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
    let Ok((cert, _)) = crate::pki::cert_facts::parse_first(&block.bytes) else {
        return out;
    };
    let got = cert.not_after.0 - cert.not_before.0;
    if is_duration_honored(want as i64, got) {
        out.push((HONORED, signer));
    }
    out
}

/// The Prometheus text exposition of the counters, as client_golang's gatherer writes it:
/// families sorted by name (`honored` before `requested`), families without samples left
/// out, samples sorted by label value. (`duration_test.go` compares these lines verbatim.)
pub fn render(counters: &BTreeMap<(&'static str, String), u64>) -> String {
    let mut s = String::new();
    for (name, help) in HELP {
        let samples: Vec<_> = counters.iter().filter(|((n, _), _)| *n == name).collect();
        if samples.is_empty() {
            continue;
        }
        s.push_str(&format!("# HELP {name} {help}\n# TYPE {name} counter\n"));
        for ((_, signer), v) in samples {
            s.push_str(&format!("{name}{{signerName=\"{signer}\"}} {v}\n"));
        }
    }
    s
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

    #[test]
    fn render_sorts_families_by_name_and_skips_empty_ones() {
        // duration_test.go TestCSRDuration: the lines starting with
        // `apiserver_certificates_registry_` are exactly honored (6) then requested (7).
        let client = "kubernetes.io/kube-apiserver-client".to_string();
        let mut m = BTreeMap::new();
        m.insert((REQUESTED, client.clone()), 7);
        m.insert((HONORED, client.clone()), 6);
        m.insert((REQUESTED, "other".to_string()), 1);
        let got: Vec<String> = render(&m)
            .lines()
            .filter(|l| l.starts_with("apiserver_certificates_registry_"))
            .map(String::from)
            .collect();
        assert_eq!(
            got,
            [
                format!("{HONORED}{{signerName=\"{client}\"}} 6"),
                format!("{REQUESTED}{{signerName=\"{client}\"}} 7"),
                format!("{REQUESTED}{{signerName=\"other\"}} 1"),
            ]
        );
        assert!(render(&m).starts_with(&format!("# HELP {HONORED} [ALPHA] Total number")));
        // no counter incremented yet: nothing is exported (client_golang drops empty families)
        assert_eq!(render(&BTreeMap::new()), "");
    }
}
