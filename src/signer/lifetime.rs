//! Certificate lifetime rules of the built-in signers
//! (`pkg/controller/certificates/signer/signer.go` `duration`, and
//! `pkg/controller/certificates/authority/policies.go` `PermissiveSigningPolicy.apply`).
//!
//! 1. TTL = `--cluster-signing-duration` unless `spec.expirationSeconds` asks for less; never
//!    below 10 minutes (twice the backdate).
//! 2. NotBefore = now − 5 min (clock skew allowance).
//! 3. TTL < 8 h: NotAfter = now + TTL (the backdate is extra); otherwise NotAfter = now + TTL − 5 min
//!    (5 min is ~1 % of 8 h, so long certificates keep exactly TTL).
//! 4. NotAfter is capped at the CA's NotAfter.
//! 5. Errors, in this order: NotBefore not before the CA's NotAfter → `the signer has expired`;
//!    now not before the CA's NotAfter → `refusing to sign a certificate that expired in the past`.

use crate::api::Time;

/// `Backdate: 5 * time.Minute`.
pub const BACKDATE_SECS: i64 = 5 * 60;
/// `Short: 8 * time.Hour`.
pub const SHORT_SECS: i64 = 8 * 3600;
/// Lower bound on a requested duration: `const min = 10 * time.Minute`.
pub const MIN_DURATION_SECS: i64 = 10 * 60;
/// Default `--cluster-signing-duration` (365 × 24 h).
pub const DEFAULT_CERT_TTL_SECS: i64 = 365 * 24 * 3600;

/// `signer.duration`: the TTL to use for a CSR's `expirationSeconds`.
pub fn duration(expiration_seconds: Option<i32>, cert_ttl_secs: i64) -> i64 {
    match expiration_seconds {
        None => cert_ttl_secs,
        Some(req) => {
            let req = req as i64;
            if req > cert_ttl_secs {
                cert_ttl_secs
            } else if req < MIN_DURATION_SECS {
                MIN_DURATION_SECS
            } else {
                req
            }
        }
    }
}

/// The validity window of a leaf certificate, or the upstream error.
pub fn validity(now: Time, ttl_secs: i64, ca_not_after: Time) -> Result<(Time, Time), String> {
    let not_before = now.add_secs(-BACKDATE_SECS);
    let mut not_after = if ttl_secs < SHORT_SECS {
        now.add_secs(ttl_secs)
    } else {
        now.add_secs(ttl_secs - BACKDATE_SECS)
    };
    if not_after >= ca_not_after {
        not_after = ca_not_after;
    }
    if not_before >= ca_not_after {
        return Err(format!(
            "the signer has expired: NotAfter={}",
            ca_not_after.go_string()
        ));
    }
    if now >= ca_not_after {
        return Err(format!(
            "refusing to sign a certificate that expired in the past: NotAfter={}",
            ca_not_after.go_string()
        ));
    }
    Ok((not_before, not_after))
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: i64 = 3600;

    #[test]
    fn duration_table() {
        // Mirrors signer_test.go TestDurationFromExpirationSeconds-style cases.
        let ttl = DEFAULT_CERT_TTL_SECS;
        let rows: [(&str, Option<i32>, i64); 6] = [
            ("nil uses certTTL", None, ttl),
            ("larger than certTTL is capped", Some(i32::MAX), ttl),
            ("below 10m is raised", Some(60), MIN_DURATION_SECS),
            ("exactly 10m", Some(600), 600),
            ("in range honoured", Some(3600), 3600),
            ("equal to certTTL", Some(ttl as i32), ttl),
        ];
        for (name, req, want) in rows {
            assert_eq!(duration(req, ttl), want, "{name}");
        }
    }

    #[test]
    fn validity_table() {
        let now = Time(2_000_000_000);
        let far = Time(now.0 + 100 * 24 * H);
        // (case, ttl, ca NotAfter, want)
        type Row<'a> = (&'a str, i64, Time, Result<(i64, i64), String>);
        let rows: Vec<Row> = vec![
            (
                "short ttl keeps backdate extra",
                H,
                far,
                Ok((now.0 - 300, now.0 + H)),
            ),
            (
                "8h exactly is long",
                8 * H,
                far,
                Ok((now.0 - 300, now.0 + 8 * H - 300)),
            ),
            (
                "just under 8h",
                8 * H - 1,
                far,
                Ok((now.0 - 300, now.0 + 8 * H - 1)),
            ),
            (
                "capped at CA NotAfter",
                24 * H,
                Time(now.0 + H),
                Ok((now.0 - 300, now.0 + H)),
            ),
            (
                "CA expired before backdated NotBefore",
                H,
                Time(now.0 - 300),
                Err(format!(
                    "the signer has expired: NotAfter={}",
                    Time(now.0 - 300).go_string()
                )),
            ),
            (
                "CA expires between NotBefore and now",
                H,
                Time(now.0 - 1),
                Err(format!(
                    "refusing to sign a certificate that expired in the past: NotAfter={}",
                    Time(now.0 - 1).go_string()
                )),
            ),
            (
                "CA expires exactly now",
                H,
                now,
                Err(format!(
                    "refusing to sign a certificate that expired in the past: NotAfter={}",
                    now.go_string()
                )),
            ),
        ];
        for (name, ttl, ca, want) in rows {
            let got = validity(now, ttl, ca).map(|(a, b)| (a.0, b.0));
            assert_eq!(got, want, "{name}");
        }
    }

    #[test]
    fn go_time_format_in_error() {
        let e = validity(Time(1_900_000_000), H, Time(1_800_000_000)).unwrap_err();
        assert_eq!(
            e,
            "the signer has expired: NotAfter=2027-01-15 08:00:00 +0000 UTC"
        );
    }
}
