//! `kubernetes.io/kube-apiserver-client`: client certificates the apiserver trusts.
//!
//! Rules (`validAPIServerClientUsages`), usages in order:
//! 1. every usage is `digital signature`, `key encipherment` or `client auth`, else
//!    `invalid usage for client certificate: <usage>` (the first offending one);
//! 2. `client auth` present, else `missing required usage for client certificate: client auth`.
//!
//! Nothing else: subject, SANs and key are copied as requested. `O=system:masters` is refused
//! only at create time by the CertificateSubjectRestriction admission plugin.

use crate::pki::csr::ParsedCsr;

pub const OPTIONAL_USAGES: [&str; 2] = ["digital signature", "key encipherment"];
pub const REQUIRED_USAGE: &str = "client auth";

pub fn check(_req: &ParsedCsr, usages: &[String]) -> Result<(), String> {
    let mut has_client_auth = false;
    for u in usages {
        if u == REQUIRED_USAGE {
            has_client_auth = true;
        } else if !OPTIONAL_USAGES.contains(&u.as_str()) {
            return Err(format!("invalid usage for client certificate: {u}"));
        }
    }
    if !has_client_auth {
        return Err(format!(
            "missing required usage for client certificate: {REQUIRED_USAGE}"
        ));
    }
    Ok(())
}
