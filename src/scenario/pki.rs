//! Deterministic key material for scenarios: CSRs generated from a description and
//! certificates issued by an external (scenario) CA, plus reading certificates back.
//!
//! Keys are ECDSA P-256 scalars drawn from the cluster's seeded `scenario-keys` stream and
//! signatures are RFC 6979 (deterministic), so the same scenario and seed give the same bytes.

use super::schema::{CertGen, CsrGen};
use crate::api::Time;
use p256::ecdsa::{signature::Signer, DerSignature, SigningKey};
use rcgen::{
    CertificateParams, DistinguishedName, DnType, DnValue, ExtendedKeyUsagePurpose, IsCa,
    KeyUsagePurpose, PublicKeyData, SanType, SerialNumber,
};
use std::collections::BTreeMap;

/// OID of the subject Organization attribute (2.5.4.10), used for a second `O=` value.
const OID_ORGANIZATION: [u64; 4] = [2, 5, 4, 10];

/// A P-256 key usable by rcgen, signing deterministically.
pub struct DetKey {
    sk: SigningKey,
    public: Vec<u8>,
}

impl DetKey {
    /// A key from 32 bytes of seeded randomness (retried if not a valid scalar).
    pub fn from_stream(mut next: impl FnMut() -> [u8; 32]) -> DetKey {
        loop {
            let b = next();
            if let Ok(sk) = SigningKey::from_bytes(&b.into()) {
                let public = sk
                    .verifying_key()
                    .to_encoded_point(false)
                    .as_bytes()
                    .to_vec();
                return DetKey { sk, public };
            }
        }
    }
}

impl PublicKeyData for DetKey {
    fn der_bytes(&self) -> &[u8] {
        &self.public
    }
    fn algorithm(&self) -> &'static rcgen::SignatureAlgorithm {
        &rcgen::PKCS_ECDSA_P256_SHA256
    }
}

impl rcgen::SigningKey for DetKey {
    fn sign(&self, msg: &[u8]) -> Result<Vec<u8>, rcgen::Error> {
        let sig: DerSignature = self.sk.sign(msg);
        Ok(sig.as_bytes().to_vec())
    }
}

/// Keys by name, so a scenario can reuse one key across CSRs.
#[derive(Default)]
pub struct KeyRing {
    named: BTreeMap<String, DetKey>,
}

impl KeyRing {
    pub fn get_or_make(&mut self, name: &str, next: impl FnMut() -> [u8; 32]) -> &DetKey {
        self.named
            .entry(name.to_string())
            .or_insert_with(|| DetKey::from_stream(next))
    }
}

fn ia5(s: &str) -> Result<rcgen::string::Ia5String, String> {
    rcgen::string::Ia5String::try_from(s.to_string())
        .map_err(|e| format!("{s:?} is not an IA5 string: {e}"))
}

/// A PEM `CERTIFICATE REQUEST` for the description, signed by `key`.
pub fn make_csr(g: &CsrGen, key: &DetKey) -> Result<String, String> {
    if let Some(k) = &g.key {
        if k != "ecdsa-p256" {
            return Err(format!("key type {k:?} is not supported (only ecdsa-p256)"));
        }
    }
    let mut params = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    if let Some(cn) = &g.cn {
        dn.push(DnType::CommonName, DnValue::Utf8String(cn.clone()));
    }
    match g.o.as_slice() {
        [] => {}
        [a] => dn.push(DnType::OrganizationName, DnValue::Utf8String(a.clone())),
        [a, b] => {
            dn.push(DnType::OrganizationName, DnValue::Utf8String(a.clone()));
            dn.push(
                DnType::CustomDnType(OID_ORGANIZATION.to_vec()),
                DnValue::Utf8String(b.clone()),
            );
        }
        _ => return Err("at most 2 organizations can be generated".into()),
    }
    params.distinguished_name = dn;
    for d in &g.dns {
        params.subject_alt_names.push(SanType::DnsName(ia5(d)?));
    }
    for ip in &g.ips {
        let a = ip
            .parse()
            .map_err(|_| format!("{ip:?} is not an IP address"))?;
        params.subject_alt_names.push(SanType::IpAddress(a));
    }
    for e in &g.emails {
        params.subject_alt_names.push(SanType::Rfc822Name(ia5(e)?));
    }
    for u in &g.uris {
        params.subject_alt_names.push(SanType::URI(ia5(u)?));
    }
    let csr = params
        .serialize_request(key)
        .map_err(|e| format!("cannot build CSR: {e}"))?;
    csr.pem().map_err(|e| format!("cannot encode CSR: {e}"))
}

/// Issue a certificate for the CSR in `request_pem` as the scenario's external CA.
#[allow(clippy::too_many_arguments)]
pub fn issue(
    request_pem: &[u8],
    usages: &[String],
    g: &CertGen,
    default_ttl_secs: i64,
    now: Time,
    ca_key: &DetKey,
    serial: [u8; 16],
) -> Result<String, String> {
    let der = match crate::pki::gopem::decode(request_pem) {
        Some((b, _)) if b.type_ == "CERTIFICATE REQUEST" => b.bytes,
        _ => return Err("spec.request is not a CERTIFICATE REQUEST PEM block".into()),
    };
    let csr = rcgen::CertificateSigningRequestParams::from_der(&der.into())
        .map_err(|e| format!("cannot parse the CSR: {e}"))?;
    let ca_cn = g.ca.clone().unwrap_or_else(|| "external-signer-ca".into());
    let mut ca = CertificateParams::default();
    let mut ca_dn = DistinguishedName::new();
    ca_dn.push(DnType::CommonName, DnValue::Utf8String(ca_cn));
    ca.distinguished_name = ca_dn;
    ca.is_ca = IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca.not_before = to_offset(now.add_secs(-3600))?;
    ca.not_after = to_offset(now.add_secs(10 * 365 * 86400))?;
    ca.serial_number = Some(SerialNumber::from_slice(&[1]));
    let issuer = rcgen::Issuer::new(ca, ca_key);

    let mut p = CertificateParams::default();
    p.distinguished_name = csr.params.distinguished_name.clone();
    p.subject_alt_names = csr.params.subject_alt_names.clone();
    p.is_ca = IsCa::ExplicitNoCa;
    let ttl = g
        .ttl
        .map(|d| d.0.as_secs() as i64)
        .unwrap_or(default_ttl_secs);
    let backdate = g.backdate.map(|d| d.0.as_secs() as i64).unwrap_or(0);
    p.not_before = to_offset(now.add_secs(-backdate))?;
    p.not_after = to_offset(now.add_secs(ttl))?;
    let mut s = serial.to_vec();
    s[0] &= 0x7f;
    p.serial_number = Some(SerialNumber::from_slice(&s));
    for u in usages {
        match u.as_str() {
            "signing" | "digital signature" => p.key_usages.push(KeyUsagePurpose::DigitalSignature),
            "content commitment" => p.key_usages.push(KeyUsagePurpose::ContentCommitment),
            "key encipherment" => p.key_usages.push(KeyUsagePurpose::KeyEncipherment),
            "key agreement" => p.key_usages.push(KeyUsagePurpose::KeyAgreement),
            "data encipherment" => p.key_usages.push(KeyUsagePurpose::DataEncipherment),
            "cert sign" => p.key_usages.push(KeyUsagePurpose::KeyCertSign),
            "crl sign" => p.key_usages.push(KeyUsagePurpose::CrlSign),
            "server auth" => p
                .extended_key_usages
                .push(ExtendedKeyUsagePurpose::ServerAuth),
            "client auth" => p
                .extended_key_usages
                .push(ExtendedKeyUsagePurpose::ClientAuth),
            "code signing" => p
                .extended_key_usages
                .push(ExtendedKeyUsagePurpose::CodeSigning),
            "email protection" | "s/mime" => p
                .extended_key_usages
                .push(ExtendedKeyUsagePurpose::EmailProtection),
            "timestamping" => p
                .extended_key_usages
                .push(ExtendedKeyUsagePurpose::TimeStamping),
            "ocsp signing" => p
                .extended_key_usages
                .push(ExtendedKeyUsagePurpose::OcspSigning),
            _ => {}
        }
    }
    p.key_usages.dedup();
    p.extended_key_usages.dedup();
    let cert = p
        .signed_by(&csr.public_key, &issuer)
        .map_err(|e| format!("cannot issue: {e}"))?;
    Ok(cert.pem())
}

fn to_offset(t: Time) -> Result<time::OffsetDateTime, String> {
    time::OffsetDateTime::from_unix_timestamp(t.unix())
        .map_err(|e| format!("time out of range: {e}"))
}

/// What a scenario can check on an issued certificate.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct CertInfo {
    pub blocks: usize,
    pub cn: String,
    pub o: Vec<String>,
    pub dns: Vec<String>,
    pub ips: Vec<String>,
    pub emails: Vec<String>,
    pub uris: Vec<String>,
    pub key_usage: Vec<String>,
    pub ext_key_usage: Vec<String>,
    pub is_ca: bool,
    pub issuer_cn: String,
    pub not_before: i64,
    pub not_after: i64,
    /// The DER SubjectPublicKeyInfo (compared with the request's by `key_matches_request`).
    pub spki: Vec<u8>,
}

/// Parse the first certificate of a PEM bundle.
pub fn inspect(pem: &[u8]) -> Result<CertInfo, String> {
    use x509_parser::extensions::{GeneralName, ParsedExtension};
    use x509_parser::prelude::*;
    let mut blocks = 0;
    let mut first: Option<Vec<u8>> = None;
    let mut rest = pem;
    while let Some((b, r)) = crate::pki::gopem::decode(rest) {
        if b.type_ == "CERTIFICATE" {
            blocks += 1;
            if first.is_none() {
                first = Some(b.bytes.clone());
            }
        }
        rest = r;
    }
    let der = first.ok_or("no CERTIFICATE PEM block")?;
    let (_, c) =
        X509Certificate::from_der(&der).map_err(|e| format!("cannot parse certificate: {e}"))?;
    let mut info = CertInfo {
        blocks,
        ..Default::default()
    };
    let s = |a: &AttributeTypeAndValue| a.as_str().map(String::from).unwrap_or_default();
    info.cn = c
        .subject()
        .iter_common_name()
        .next()
        .map(s)
        .unwrap_or_default();
    info.o = c.subject().iter_organization().map(s).collect();
    info.issuer_cn = c
        .issuer()
        .iter_common_name()
        .next()
        .map(s)
        .unwrap_or_default();
    info.not_before = c.validity().not_before.timestamp();
    info.spki = c.public_key().raw.to_vec();
    info.not_after = c.validity().not_after.timestamp();
    for ext in c.extensions() {
        match ext.parsed_extension() {
            ParsedExtension::SubjectAlternativeName(san) => {
                for n in &san.general_names {
                    match n {
                        GeneralName::DNSName(d) => info.dns.push(d.to_string()),
                        GeneralName::RFC822Name(e) => info.emails.push(e.to_string()),
                        GeneralName::URI(u) => info.uris.push(u.to_string()),
                        GeneralName::IPAddress(b) => info.ips.push(ip_string(b)),
                        _ => {}
                    }
                }
            }
            ParsedExtension::KeyUsage(ku) => {
                let names = [
                    (ku.digital_signature(), "digital signature"),
                    (ku.non_repudiation(), "content commitment"),
                    (ku.key_encipherment(), "key encipherment"),
                    (ku.data_encipherment(), "data encipherment"),
                    (ku.key_agreement(), "key agreement"),
                    (ku.key_cert_sign(), "cert sign"),
                    (ku.crl_sign(), "crl sign"),
                    (ku.encipher_only(), "encipher only"),
                    (ku.decipher_only(), "decipher only"),
                ];
                info.key_usage = names
                    .iter()
                    .filter(|(on, _)| *on)
                    .map(|(_, n)| n.to_string())
                    .collect();
            }
            ParsedExtension::ExtendedKeyUsage(eku) => {
                let mut v = Vec::new();
                if eku.any {
                    v.push("any");
                }
                if eku.server_auth {
                    v.push("server auth");
                }
                if eku.client_auth {
                    v.push("client auth");
                }
                if eku.code_signing {
                    v.push("code signing");
                }
                if eku.email_protection {
                    v.push("email protection");
                }
                if eku.time_stamping {
                    v.push("timestamping");
                }
                if eku.ocsp_signing {
                    v.push("ocsp signing");
                }
                info.ext_key_usage = v.into_iter().map(String::from).collect();
                for o in &eku.other {
                    info.ext_key_usage.push(match o.to_id_string().as_str() {
                        "1.3.6.1.5.5.7.3.5" => "ipsec end system".into(),
                        "1.3.6.1.5.5.7.3.6" => "ipsec tunnel".into(),
                        "1.3.6.1.5.5.7.3.7" => "ipsec user".into(),
                        "1.3.6.1.4.1.311.10.3.3" => "microsoft sgc".into(),
                        "2.16.840.1.113730.4.1" => "netscape sgc".into(),
                        other => other.to_string(),
                    });
                }
            }
            ParsedExtension::BasicConstraints(bc) => info.is_ca = bc.ca,
            _ => {}
        }
    }
    Ok(info)
}

fn ip_string(b: &[u8]) -> String {
    match b.len() {
        4 => std::net::Ipv4Addr::new(b[0], b[1], b[2], b[3]).to_string(),
        16 => {
            let mut a = [0u8; 16];
            a.copy_from_slice(b);
            std::net::Ipv6Addr::from(a).to_string()
        }
        _ => format!("{b:?}"),
    }
}
