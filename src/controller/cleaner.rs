//! The CSR cleaner (`csrcleaner`, `pkg/controller/certificates/cleaner/cleaner.go`).
//!
//! Rules — a CSR is deleted (plain delete, no preconditions) if ANY holds:
//! 1. issued past deadline:  an `Approved` condition, a certificate, and that condition's
//!    `lastUpdateTime` older than [`APPROVED_EXPIRATION`];
//! 2. denied past deadline:  a `Denied` condition whose `lastUpdateTime` is older than
//!    [`DENIED_EXPIRATION`];
//! 3. failed past deadline:  a `Failed` condition whose `lastUpdateTime` is older than
//!    [`DENIED_EXPIRATION`] (upstream reuses the denied TTL);
//! 4. pending past deadline: no conditions at all and `creationTimestamp` older than
//!    [`PENDING_EXPIRATION`];
//! 5. issued and expired:    an `Approved` condition, a certificate whose first PEM block
//!    parses, and now after its NotAfter.
//!
//! "Older than d" means a non-zero timestamp and `now − t > d` strictly. Condition `status`
//! is ignored. Consequences: approved-but-never-issued CSRs and CSRs with only custom
//! conditions are never collected. Passes run at start and then every [`POLLING_INTERVAL`].

use crate::api::csr::{APPROVED, DENIED, FAILED};
use crate::api::{CertificateSigningRequest, Time};
use crate::auth::Identity;
use crate::controller::Controller;
use crate::sim::{ApiRequest, Cluster, Verb};
use serde_json::json;

/// `pollingInterval`: one pass per hour.
pub const POLLING_INTERVAL_SECS: i64 = 3600;
/// `approvedExpiration`: issued CSRs are kept one hour after approval.
pub const APPROVED_EXPIRATION_SECS: i64 = 3600;
/// `deniedExpiration`: denied (and failed) CSRs are kept one hour.
pub const DENIED_EXPIRATION_SECS: i64 = 3600;
/// `pendingExpiration`: unanswered CSRs are kept 24 hours after creation.
pub const PENDING_EXPIRATION_SECS: i64 = 24 * 3600;

pub use APPROVED_EXPIRATION_SECS as APPROVED_EXPIRATION;
pub use DENIED_EXPIRATION_SECS as DENIED_EXPIRATION;
pub use PENDING_EXPIRATION_SECS as PENDING_EXPIRATION;
pub use POLLING_INTERVAL_SECS as POLLING_INTERVAL;

/// The TTLs and interval (other distributions differ; upstream values by default).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CleanerConfig {
    pub interval_secs: i64,
    pub approved_secs: i64,
    pub denied_secs: i64,
    pub pending_secs: i64,
}

impl Default for CleanerConfig {
    fn default() -> Self {
        CleanerConfig {
            interval_secs: POLLING_INTERVAL_SECS,
            approved_secs: APPROVED_EXPIRATION_SECS,
            denied_secs: DENIED_EXPIRATION_SECS,
            pending_secs: PENDING_EXPIRATION_SECS,
        }
    }
}

fn is_older_than(t: Option<Time>, secs: i64, now: Time) -> bool {
    matches!(t, Some(t) if !t.is_zero() && now.since(t) > secs)
}

fn is_issued(csr: &CertificateSigningRequest) -> bool {
    !csr.status.certificate.is_empty()
}

pub fn is_issued_past_deadline(
    csr: &CertificateSigningRequest,
    cfg: &CleanerConfig,
    now: Time,
) -> bool {
    csr.status.conditions.iter().any(|c| {
        c.type_ == APPROVED
            && is_issued(csr)
            && is_older_than(c.last_update_time, cfg.approved_secs, now)
    })
}

pub fn is_denied_past_deadline(
    csr: &CertificateSigningRequest,
    cfg: &CleanerConfig,
    now: Time,
) -> bool {
    csr.status
        .conditions
        .iter()
        .any(|c| c.type_ == DENIED && is_older_than(c.last_update_time, cfg.denied_secs, now))
}

pub fn is_failed_past_deadline(
    csr: &CertificateSigningRequest,
    cfg: &CleanerConfig,
    now: Time,
) -> bool {
    csr.status
        .conditions
        .iter()
        .any(|c| c.type_ == FAILED && is_older_than(c.last_update_time, cfg.denied_secs, now))
}

pub fn is_pending_past_deadline(
    csr: &CertificateSigningRequest,
    cfg: &CleanerConfig,
    now: Time,
) -> bool {
    csr.status.conditions.is_empty()
        && is_older_than(csr.metadata.creation_timestamp, cfg.pending_secs, now)
}

pub fn is_issued_expired(csr: &CertificateSigningRequest, now: Time) -> bool {
    csr.status.conditions.iter().any(|c| c.type_ == APPROVED)
        && is_issued(csr)
        && cert_not_after(&csr.status.certificate).is_some_and(|na| now > na)
}

/// NotAfter of the first certificate of the first PEM block (None if it does not parse).
pub fn cert_not_after(pem: &[u8]) -> Option<Time> {
    let (block, _) = crate::pki::gopem::decode(pem)?;
    let (cert, _) = crate::pki::cert_facts::parse_first(&block.bytes).ok()?;
    Some(cert.not_after)
}

/// Which rule (if any) collects this CSR now; the name is used in the trace.
pub fn verdict(
    csr: &CertificateSigningRequest,
    cfg: &CleanerConfig,
    now: Time,
) -> Option<&'static str> {
    if is_issued_past_deadline(csr, cfg, now) {
        Some("issued-past-deadline")
    } else if is_denied_past_deadline(csr, cfg, now) {
        Some("denied-past-deadline")
    } else if is_failed_past_deadline(csr, cfg, now) {
        Some("failed-past-deadline")
    } else if is_pending_past_deadline(csr, cfg, now) {
        Some("pending-past-deadline")
    } else if is_issued_expired(csr, now) {
        Some("issued-expired")
    } else {
        None
    }
}

/// kube-controller-manager's log line for a CSR a rule collects (`cleaner.go`, structured
/// logging: the message, then `csr=<name>` and the duration key); `None` for an unknown rule.
pub fn log_message(rule: &str) -> Option<&'static str> {
    Some(match rule {
        "issued-past-deadline" => {
            "Cleaning CSR as it is more than approvedExpiration duration old and approved."
        }
        "denied-past-deadline" => {
            "Cleaning CSR as it is more than deniedExpiration duration old and denied."
        }
        "failed-past-deadline" => {
            "Cleaning CSR as it is more than deniedExpiration duration old and failed."
        }
        "pending-past-deadline" => {
            "Cleaning CSR as it is more than pendingExpiration duration old and unhandled."
        }
        "issued-expired" => "Cleaning CSR as the associated certificate is expired.",
        _ => return None,
    })
}

pub struct Cleaner {
    cfg: CleanerConfig,
}

impl Cleaner {
    pub const NAME: &'static str = "csrcleaner";

    pub fn new(cfg: CleanerConfig) -> Self {
        Cleaner { cfg }
    }

    fn pass(&mut self, cx: &mut Cluster) {
        let now = cx.now();
        let mut deleted = 0;
        for csr in cx.list_csr_arcs() {
            if let Some(rule) = verdict(&csr, &self.cfg, now) {
                let name = csr.metadata.name.clone();
                match cx.apply(&Identity::controller_manager(), ApiRequest::csr(Verb::Delete).name(&name).discard_object()) {
                    Ok(_) => {
                        deleted += 1;
                        cx.trace("cleaner-delete", json!({"csr": name, "rule": rule, "message": log_message(rule)}));
                    }
                    Err(e) => cx.trace("cleaner-error", json!({"csr": name, "error": format!("unable to delete CSR \"{name}\": {}", e.message)})),
                }
            }
        }
        cx.trace("cleaner-pass", json!({"deleted": deleted}));
        cx.schedule(
            (self.cfg.interval_secs * 1000) as u64,
            Self::NAME,
            "pass".into(),
        );
    }
}

impl Controller for Cleaner {
    fn name(&self) -> &'static str {
        Self::NAME
    }
    fn watches_csrs(&self) -> bool {
        false
    }
    fn start(&mut self, cx: &mut Cluster) {
        self.pass(cx);
    }
    fn on_timer(&mut self, cx: &mut Cluster, _tag: &str) {
        self.pass(cx);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::CsrCondition;

    fn csr(conds: &[(&str, i64)], created: i64, cert: bool) -> CertificateSigningRequest {
        let mut c = CertificateSigningRequest::default();
        c.metadata.creation_timestamp = Some(Time(created));
        c.status.conditions = conds
            .iter()
            .map(|(t, lut)| CsrCondition {
                type_: t.to_string(),
                status: "True".into(),
                last_update_time: (*lut != 0).then_some(Time(*lut)),
                ..Default::default()
            })
            .collect();
        if cert {
            c.status.certificate = b"x".to_vec();
        }
        c
    }

    #[test]
    fn predicates_mirror_cleaner_test() {
        let cfg = CleanerConfig::default();
        let now = Time(1_000_000);
        let h = 3600;
        // (case from cleaner_test.go, csr, expected verdict)
        let cases: Vec<(&str, CertificateSigningRequest, Option<&str>)> = vec![
            (
                "no delete approved not passed deadline",
                csr(&[(APPROVED, now.0 - 30 * 60)], now.0 - 2 * h, true),
                None,
            ),
            (
                "no delete approved exactly at deadline (strictly older)",
                csr(&[(APPROVED, now.0 - h)], now.0 - 2 * h, true),
                None,
            ),
            (
                "delete approved passed deadline",
                csr(&[(APPROVED, now.0 - h - 1)], now.0 - 2 * h, true),
                Some("issued-past-deadline"),
            ),
            (
                "no delete approved but never issued",
                csr(&[(APPROVED, now.0 - 5 * h)], now.0 - 30 * h, false),
                None,
            ),
            (
                "delete denied passed deadline",
                csr(&[(DENIED, now.0 - h - 1)], now.0, false),
                Some("denied-past-deadline"),
            ),
            (
                "no delete denied not passed deadline",
                csr(&[(DENIED, now.0 - h)], now.0, false),
                None,
            ),
            (
                "delete failed passed deadline",
                csr(&[(FAILED, now.0 - h - 1)], now.0, false),
                Some("failed-past-deadline"),
            ),
            (
                "no delete pending not passed deadline",
                csr(&[], now.0 - 24 * h, false),
                None,
            ),
            (
                "delete pending passed deadline",
                csr(&[], now.0 - 24 * h - 1, false),
                Some("pending-past-deadline"),
            ),
            (
                "no delete: only custom conditions",
                csr(&[("Custom", now.0 - 100 * h)], now.0 - 100 * h, false),
                None,
            ),
            (
                "zero timestamps never qualify",
                csr(&[(DENIED, 0)], now.0, false),
                None,
            ),
        ];
        for (name, c, want) in cases {
            assert_eq!(verdict(&c, &cfg, now), want, "{name}");
        }
    }

    /// Each rule's trace carries the `logger.Info` text of `cleaner.go`.
    #[test]
    fn each_rule_has_the_upstream_log_message() {
        let rows = [
            (
                "issued-past-deadline",
                "Cleaning CSR as it is more than approvedExpiration duration old and approved.",
            ),
            (
                "denied-past-deadline",
                "Cleaning CSR as it is more than deniedExpiration duration old and denied.",
            ),
            (
                "failed-past-deadline",
                "Cleaning CSR as it is more than deniedExpiration duration old and failed.",
            ),
            (
                "pending-past-deadline",
                "Cleaning CSR as it is more than pendingExpiration duration old and unhandled.",
            ),
            (
                "issued-expired",
                "Cleaning CSR as the associated certificate is expired.",
            ),
        ];
        for (rule, want) in rows {
            assert_eq!(log_message(rule), Some(want), "{rule}");
        }
        assert_eq!(log_message("nope"), None);
    }

    /// cleaner_test.go `TestCleanerWithApprovedExpiredCSR`, row by row, with its two
    /// certificates (a 2017 one already expired, one valid until 2117).
    #[test]
    fn cleaner_with_approved_expired_csr_table() {
        const EXPIRED: &str = "-----BEGIN CERTIFICATE-----
MIICIzCCAc2gAwIBAgIJAOApTlMFDOUnMA0GCSqGSIb3DQEBCwUAMG0xCzAJBgNV
BAYTAkdCMQ8wDQYDVQQIDAZMb25kb24xDzANBgNVBAcMBkxvbmRvbjEYMBYGA1UE
CgwPR2xvYmFsIFNlY3VyaXR5MRYwFAYDVQQLDA1JVCBEZXBhcnRtZW50MQowCAYD
VQQDDAEqMB4XDTE3MTAwNDIwNDgzOFoXDTE3MTAwMzIwNDgzOFowbTELMAkGA1UE
BhMCR0IxDzANBgNVBAgMBkxvbmRvbjEPMA0GA1UEBwwGTG9uZG9uMRgwFgYDVQQK
DA9HbG9iYWwgU2VjdXJpdHkxFjAUBgNVBAsMDUlUIERlcGFydG1lbnQxCjAIBgNV
BAMMASowXDANBgkqhkiG9w0BAQEFAANLADBIAkEA3Gt0KmuRXDxvqZUiX/xqAn1t
nZZX98guZvPPyxnQtV3YpA274W0sX3jL+U71Ya+3kaUstXQa4YrWBUHiXoqJnwID
AQABo1AwTjAdBgNVHQ4EFgQUtDsIpzHoUiLsO88f9fm+G0tYSPowHwYDVR0jBBgw
FoAUtDsIpzHoUiLsO88f9fm+G0tYSPowDAYDVR0TBAUwAwEB/zANBgkqhkiG9w0B
AQsFAANBADfrlKof5CUkxGlX9Rifxv/mWOk8ZuTLWfMYQH2nycBHnmOxy6sR+87W
/Mb/uRz0TXVnGVcbu5E8Bz7e/Far1ZI=
-----END CERTIFICATE-----";
        const UNEXPIRED: &str = "-----BEGIN CERTIFICATE-----
MIICJTCCAc+gAwIBAgIJAIRjMToP+pPEMA0GCSqGSIb3DQEBCwUAMG0xCzAJBgNV
BAYTAkdCMQ8wDQYDVQQIDAZMb25kb24xDzANBgNVBAcMBkxvbmRvbjEYMBYGA1UE
CgwPR2xvYmFsIFNlY3VyaXR5MRYwFAYDVQQLDA1JVCBEZXBhcnRtZW50MQowCAYD
VQQDDAEqMCAXDTE3MTAwNDIwNDUyNFoYDzIxMTcwOTEwMjA0NTI0WjBtMQswCQYD
VQQGEwJHQjEPMA0GA1UECAwGTG9uZG9uMQ8wDQYDVQQHDAZMb25kb24xGDAWBgNV
BAoMD0dsb2JhbCBTZWN1cml0eTEWMBQGA1UECwwNSVQgRGVwYXJ0bWVudDEKMAgG
A1UEAwwBKjBcMA0GCSqGSIb3DQEBAQUAA0sAMEgCQQC7j9BAV5HqIJGi6r4G4YeI
ioHxH2loVu8IOKSK7xVs3v/EjR/eXbQzM+jZU7duyZqn6YjySZNLl0K0MfHCHBgX
AgMBAAGjUDBOMB0GA1UdDgQWBBTwxV40NFSNW7lpQ3eUWX7Mxs03yzAfBgNVHSME
GDAWgBTwxV40NFSNW7lpQ3eUWX7Mxs03yzAMBgNVHRMEBTADAQH/MA0GCSqGSIb3
DQEBCwUAA0EALDi9OidANHflx8q+w3p0rJo9gpA6cJcFpEtP2Lv4kvOtB1f6L0jY
MLd7MVm4cS/MNcx4L7l23UC3Hx4+nAxvIg==
-----END CERTIFICATE-----";
        let cfg = CleanerConfig::default();
        let now = Time(1_900_000_000);
        let (m, h) = (60, 3600);
        let mk = |created: i64, cert: &str, conds: &[(&str, i64)]| {
            let mut c = CertificateSigningRequest::default();
            c.metadata.creation_timestamp = Some(Time(now.0 - created));
            c.status.certificate = cert.as_bytes().to_vec();
            c.status.conditions = conds
                .iter()
                .map(|(t, ago)| CsrCondition {
                    type_: t.to_string(),
                    last_update_time: Some(Time(now.0 - ago)),
                    ..Default::default()
                })
                .collect();
            c
        };
        let rows: Vec<(&str, CertificateSigningRequest, bool)> = vec![
            (
                "no delete approved not passed deadline",
                mk(m, UNEXPIRED, &[(APPROVED, 50 * m)]),
                false,
            ),
            (
                "no delete approved passed deadline not issued",
                mk(m, "", &[(APPROVED, 50 * m)]),
                false,
            ),
            (
                "delete approved passed deadline",
                mk(m, UNEXPIRED, &[(APPROVED, 2 * h)]),
                true,
            ),
            (
                "no delete denied not passed deadline",
                mk(m, "", &[(DENIED, 50 * m)]),
                false,
            ),
            (
                "delete denied passed deadline",
                mk(m, "", &[(DENIED, 2 * h)]),
                true,
            ),
            (
                "no delete failed not passed deadline",
                mk(m, "", &[(APPROVED, 2 * h), (FAILED, 50 * m)]),
                false,
            ),
            (
                "delete failed passed deadline",
                mk(m, "", &[(APPROVED, 2 * h), (FAILED, 2 * h)]),
                true,
            ),
            (
                "no delete pending not passed deadline",
                mk(5 * h, "", &[]),
                false,
            ),
            ("delete pending passed deadline", mk(25 * h, "", &[]), true),
            (
                "no delete approved not passed deadline unexpired",
                mk(m, UNEXPIRED, &[(APPROVED, 50 * m)]),
                false,
            ),
            (
                "delete approved not passed deadline expired",
                mk(m, EXPIRED, &[(APPROVED, 50 * m)]),
                true,
            ),
            (
                "delete approved passed deadline unparseable",
                mk(m, "garbage", &[(APPROVED, 2 * h)]),
                true,
            ),
        ];
        for (case, c, delete) in rows {
            assert_eq!(verdict(&c, &cfg, now).is_some(), delete, "{case}");
        }
        assert_eq!(
            verdict(&mk(m, EXPIRED, &[(APPROVED, 50 * m)]), &cfg, now),
            Some("issued-expired")
        );
    }
}
