//! What the control plane reads from an issued certificate, parsed once per DER.
//!
//! The same certificate is parsed by the API server when the signer writes it to
//! `status.certificate` (`validateCertificate`, then the duration metric), by the kubelet that
//! receives it, and by the cleaner on every hourly pass while the CSR lives (for its NotAfter). Those were three
//! x509 parses or more per certificate, about a tenth of a fleet run; the parse result for
//! the same bytes never changes, so it is remembered ([`super::der_memo`]). Only DERs that
//! are exactly one certificate are remembered; failures are never remembered.

use super::der_memo::DerMemo;
use crate::api::Time;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

/// Certificates remembered: a fleet's live issued CSRs between two cleaner passes (about
/// 600 at 10,000 nodes), with room to spare. Each entry holds a copy of its DER, so the
/// memo is kept small enough to stay warm in the cache (with 8,192 entries, inserting took
/// 2.4 % of a fleet run).
pub const CERT_FACTS_CAPACITY: usize = 2048;

/// The fields of a certificate the simulator reads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertFacts {
    pub not_before: Time,
    pub not_after: Time,
    /// The first subject CN (empty if none) and the subject O values in order.
    pub common_name: String,
    pub organizations: Vec<String>,
    /// DNS and IP SANs in order.
    pub dns_names: Vec<String>,
    pub ips: Vec<IpAddr>,
    /// Serial number, lowercase hex without separators.
    pub serial: String,
}

static MEMO: Mutex<DerMemo<Arc<CertFacts>>> = Mutex::new(DerMemo::new(CERT_FACTS_CAPACITY));

/// Go's `pkix.Name.CommonName` (the *last* string CN: `FillFromRDNSequence` overwrites it;
/// empty if none) and the O values in order: the user and groups an x509 authenticator, or
/// the approver, reads from a name.
pub fn cn_and_orgs(name: &x509_parser::x509::X509Name) -> (String, Vec<String>) {
    let common_name = name
        .iter_common_name()
        .filter_map(|a| a.as_str().ok())
        .last()
        .unwrap_or("")
        .to_string();
    let organizations = name
        .iter_organization()
        .filter_map(|a| a.as_str().ok())
        .map(str::to_string)
        .collect();
    (common_name, organizations)
}

fn read(cert: &x509_parser::certificate::X509Certificate) -> CertFacts {
    use x509_parser::extensions::GeneralName;
    let (common_name, organizations) = cn_and_orgs(cert.subject());
    let (mut dns_names, mut ips) = (Vec::new(), Vec::new());
    if let Ok(Some(san)) = cert.subject_alternative_name() {
        for n in &san.value.general_names {
            match n {
                GeneralName::DNSName(d) => dns_names.push(d.to_string()),
                GeneralName::IPAddress(b) => {
                    if let Ok(a) = <[u8; 4]>::try_from(*b) {
                        ips.push(IpAddr::from(a));
                    } else if let Ok(a) = <[u8; 16]>::try_from(*b) {
                        ips.push(IpAddr::from(a));
                    }
                }
                _ => {}
            }
        }
    }
    CertFacts {
        not_before: Time(cert.validity().not_before.timestamp()),
        not_after: Time(cert.validity().not_after.timestamp()),
        common_name,
        organizations,
        dns_names,
        ips,
        serial: cert.tbs_certificate.raw_serial_as_string().replace(':', ""),
    }
}

/// The certificate at the start of `der` and the bytes after it; the error is x509-parser's
/// text. Exactly the answer of a fresh parse, remembered when `der` is that one certificate.
pub fn parse_first(der: &[u8]) -> Result<(Arc<CertFacts>, &[u8]), String> {
    if let Some(f) = MEMO.lock().ok().and_then(|m| m.get(der)) {
        return Ok((f, &[]));
    }
    let (rest, cert) = x509_parser::parse_x509_certificate(der).map_err(|e| e.to_string())?;
    let facts = Arc::new(read(&cert));
    if rest.is_empty() {
        if let Ok(mut m) = MEMO.lock() {
            m.insert(der, facts.clone());
        }
    }
    Ok((facts, rest))
}

/// Remembers the facts of a certificate this process has just encoded, as read from what it
/// encoded instead of parsed back: the signer knows the validity, names and serial it wrote.
/// The API server's `validateCertificate`, the kubelet and the cleaner then find them (the
/// parse was 5 % of a fleet run). Debug builds (every test) check them against a parse.
pub fn remember_issued(der: &[u8], facts: CertFacts) {
    debug_assert_eq!(
        x509_parser::parse_x509_certificate(der)
            .ok()
            .filter(|(rest, _)| rest.is_empty())
            .map(|(_, c)| read(&c)),
        Some(facts.clone()),
        "facts of an issued certificate differ from its parse"
    );
    if let Ok(mut m) = MEMO.lock() {
        m.insert(der, Arc::new(facts));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A remembered answer equals a fresh parse; two certificates in one DER are read one at
    /// a time and not remembered as one; garbage is an error every time.
    #[test]
    fn remembered_answers_equal_fresh_parses() {
        let mut rngs = crate::sim::rng::Rngs::new(4);
        let now = crate::api::Time(1_900_000_000);
        let ca =
            crate::pki::Ca::generate(&mut rngs, "facts-ca", now, crate::api::Time(now.0 + 86400));
        let der = ca.cert_der.clone();
        let fresh = {
            let (_, c) = x509_parser::parse_x509_certificate(&der).unwrap();
            read(&c)
        };
        assert_eq!(fresh.common_name, "facts-ca");
        assert_eq!(
            (fresh.not_before.0, fresh.not_after.0),
            (now.0, now.0 + 86400)
        );
        let (first, rest) = parse_first(&der).unwrap();
        assert!(rest.is_empty());
        assert_eq!(*first, fresh);
        let (again, _) = parse_first(&der).unwrap();
        assert!(
            Arc::ptr_eq(&first, &again),
            "the second answer is the remembered one"
        );

        let two = [der.clone(), der.clone()].concat();
        let (a, rest) = parse_first(&two).unwrap();
        assert_eq!((*a == fresh, rest.len()), (true, der.len()));
        assert!(MEMO.lock().unwrap().get(&two).is_none());

        let mut bad = der.clone();
        bad[1] ^= 0x7f;
        assert!(parse_first(&bad).is_err());
        assert!(parse_first(&bad).is_err());
    }
}
