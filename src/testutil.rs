//! Test-only builders shared by the unit tests of the rule modules (validation, admission,
//! signer policies, controllers): certificate requests with exactly the subject attributes and
//! SANs a table row names, signed with a fixed P-256 key (deterministic, no OS randomness).

use crate::pki::der::{self, seq, set_of, tlv};

pub const OID_CN: &str = "2.5.4.3";
pub const OID_O: &str = "2.5.4.10";

/// A PEM `CERTIFICATE REQUEST` with these subject attributes `(oid, tag, value)` (one RDN
/// each) and these SAN GeneralNames (already encoded), self-signed with a fixed key.
pub fn csr_pem(attrs: &[(&str, u8, &[u8])], sans: &[Vec<u8>]) -> String {
    let key = crate::pki::fastkey::FastKey::from_scalar_bytes(&[7u8; 32]).unwrap();
    let spki = seq(&[
        &seq(&[
            &der::oid("1.2.840.10045.2.1"),
            &der::oid("1.2.840.10045.3.1.7"),
        ]),
        &der::bit_string(0, key.public_point()),
    ]);
    let rdns: Vec<Vec<u8>> = attrs
        .iter()
        .map(|(oid, tag, v)| set_of(vec![seq(&[&der::oid(oid), &tlv(*tag, v)])]))
        .collect();
    let name = seq(&rdns.iter().map(|r| r.as_slice()).collect::<Vec<_>>());
    let mut attributes = Vec::new();
    if !sans.is_empty() {
        let names = seq(&sans.iter().map(|s| s.as_slice()).collect::<Vec<_>>());
        let ext = seq(&[&der::oid("2.5.29.17"), &der::octet_string(&names)]);
        attributes = seq(&[
            &der::oid(crate::pki::csr::OID_EXTENSION_REQUEST),
            &set_of(vec![seq(&[&ext])]),
        ]);
    }
    let attrs_field = der::explicit(0, &attributes);
    let info = seq(&[&der::small_int(0), &name, &spki, &attrs_field]);
    let alg = seq(&[&der::oid("1.2.840.10045.4.3.2")]);
    let sig = der::bit_string(0, &key.sign(&info));
    crate::pki::gopem::encode("CERTIFICATE REQUEST", &seq(&[&info, &alg, &sig]))
}

/// What a table row asks of a request: Go's `x509.CertificateRequest` template fields.
#[derive(Clone, Debug, Default)]
pub struct Req<'a> {
    pub cn: &'a str,
    pub orgs: &'a [&'a str],
    pub dns: &'a [&'a str],
    pub ips: &'a [[u8; 4]],
    pub emails: &'a [&'a str],
    pub uris: &'a [&'a str],
}

impl Req<'_> {
    /// The request as Go's `CreateCertificateRequest` lays it out (CN, then the O values;
    /// SANs DNS, email, IP, URI).
    pub fn pem(&self) -> String {
        let mut attrs: Vec<(&str, u8, &[u8])> = Vec::new();
        if !self.cn.is_empty() {
            attrs.push((OID_CN, der::UTF8_STRING, self.cn.as_bytes()));
        }
        for o in self.orgs {
            attrs.push((OID_O, der::UTF8_STRING, o.as_bytes()));
        }
        let mut sans = Vec::new();
        sans.extend(self.dns.iter().map(|d| tlv(0x82, d.as_bytes())));
        sans.extend(self.emails.iter().map(|e| tlv(0x81, e.as_bytes())));
        sans.extend(self.ips.iter().map(|ip| tlv(0x87, ip)));
        sans.extend(self.uris.iter().map(|u| tlv(0x86, u.as_bytes())));
        csr_pem(&attrs, &sans)
    }
}
