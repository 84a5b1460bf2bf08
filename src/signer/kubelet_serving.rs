//! `kubernetes.io/kubelet-serving`: kubelet serving certificates (`ValidateKubeletServingCSR`),
//! checked in this order:
//! 1. Organization exactly `[system:nodes]`;
//! 2. at least one DNS or IP SAN;
//! 3. no email, 4. no URI SAN;
//! 5. usage set is {digital signature, key encipherment, server auth} or
//!    {digital signature, server auth};
//! 6. CN starts with `system:node:` (it need not match the requester: NodeRestriction checks
//!    that at create time).

use super::*;

pub const REQUIRED_USAGES: [&str; 3] = ["digital signature", "key encipherment", "server auth"];
pub const REQUIRED_USAGES_NO_RSA: [&str; 2] = ["digital signature", "server auth"];

pub fn check(req: &ParsedCsr, usages: &[String]) -> Result<(), String> {
    if !organization_is_system_nodes(req) {
        return Err(ORGANIZATION_NOT_SYSTEM_NODES.into());
    }
    if req.dns_names.is_empty() && req.ip_addresses.is_empty() {
        return Err(DNS_OR_IP_SAN_REQUIRED.into());
    }
    if !req.email_addresses.is_empty() {
        return Err(EMAIL_SAN_NOT_ALLOWED.into());
    }
    if !req.uris.is_empty() {
        return Err(URI_SAN_NOT_ALLOWED.into());
    }
    let set = usage_set(usages);
    if set != BTreeSet::from(REQUIRED_USAGES) && set != BTreeSet::from(REQUIRED_USAGES_NO_RSA) {
        return Err(format!(
            "usages did not match [{}]",
            REQUIRED_USAGES.join(" ")
        ));
    }
    if !req.subject.common_name.starts_with(NODE_CN_PREFIX) {
        return Err(COMMON_NAME_NOT_SYSTEM_NODE.into());
    }
    Ok(())
}
