//! `kubernetes.io/legacy-unknown`: the pre-v1 catch-all signer. No restrictions at all: any
//! subject, SANs and usages are signed once approved (so approvers must be careful).

use crate::pki::csr::ParsedCsr;

pub fn check(_req: &ParsedCsr, _usages: &[String]) -> Result<(), String> {
    Ok(())
}
