//! `kubernetes.io/kube-apiserver-client-kubelet`: kubelet client certificates
//! (`ValidateKubeletClientCSR`), checked in this order:
//! 1. Organization exactly `[system:nodes]`;
//! 2. no DNS, 3. no email, 4. no IP, 5. no URI SAN;
//! 6. CN starts with `system:node:`;
//! 7. usage set is {digital signature, key encipherment, client auth} or
//!    {digital signature, client auth} (key type is not checked).

use super::*;

pub const REQUIRED_USAGES: [&str; 3] = ["client auth", "digital signature", "key encipherment"];
pub const REQUIRED_USAGES_NO_RSA: [&str; 2] = ["client auth", "digital signature"];

pub fn check(req: &ParsedCsr, usages: &[String]) -> Result<(), String> {
    if !organization_is_system_nodes(req) {
        return Err(ORGANIZATION_NOT_SYSTEM_NODES.into());
    }
    if !req.dns_names.is_empty() {
        return Err(DNS_SAN_NOT_ALLOWED.into());
    }
    if !req.email_addresses.is_empty() {
        return Err(EMAIL_SAN_NOT_ALLOWED.into());
    }
    if !req.ip_addresses.is_empty() {
        return Err(IP_SAN_NOT_ALLOWED.into());
    }
    if !req.uris.is_empty() {
        return Err(URI_SAN_NOT_ALLOWED.into());
    }
    if !req.subject.common_name.starts_with(NODE_CN_PREFIX) {
        return Err(COMMON_NAME_NOT_SYSTEM_NODE.into());
    }
    let set = usage_set(usages);
    if set != BTreeSet::from(REQUIRED_USAGES) && set != BTreeSet::from(REQUIRED_USAGES_NO_RSA) {
        return Err(format!(
            "usages did not match [{}]",
            REQUIRED_USAGES.join(" ")
        ));
    }
    Ok(())
}
