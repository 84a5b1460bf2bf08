//! Parsing a PKCS#10 certificate request the way Go's `x509.ParseCertificateRequest` sees it.
//!
//! Kept: every subject RDN in order (for `csrsim check`), Go's `pkix.Name` view of the subject
//! (C, ST, L, STREET, POSTALCODE, O, OU as lists in order of appearance; CN and SERIALNUMBER
//! last-wins), the four SAN kinds Go models (DNS, email, IP, URI), other SAN kinds (Go ignores
//! them silently; we list them so `check` can say they are dropped), the requested extensions
//! with criticality, the key type and size, and the raw subject public key info.
//!
//! Signature policy: what Go 1.24's `CertificateRequest.CheckSignature` (kube-apiserver 1.33)
//! accepts, we accept, with Go's texts otherwise. It calls `checkSignature(..., allowSHA1 =
//! true)`, so SHA-1 CSR signatures are still accepted (only certificate signatures lost
//! SHA-1); MD5 is `insecure algorithm MD5-RSA`. RSA from 1024 bits (ring; for 1024..2047-bit
//! keys its legacy PKCS#1 algorithms, and `pki::rsa_small` for SHA-384 and PSS), RSASSA-PSS
//! only with the parameter sets Go names, ECDSA on P-224, P-256, P-384 and P-521 with SHA-1,
//! SHA-256, SHA-384 or SHA-512 (ring for P-256/P-384 with SHA-256/384, `pki::ecdsa_nist` for the
//! other pairs), Ed25519. RSA keys under 1024 bits get Go 1.24's `crypto/rsa: N-bit keys are
//! insecure`.

use std::net::IpAddr;
use x509_parser::extensions::{GeneralName, ParsedExtension};
use x509_parser::prelude::*;

/// Attribute OIDs Go's `pkix.Name` models, with their short names.
pub const OID_COUNTRY: &str = "2.5.4.6";
pub const OID_PROVINCE: &str = "2.5.4.8";
pub const OID_LOCALITY: &str = "2.5.4.7";
pub const OID_STREET: &str = "2.5.4.9";
pub const OID_POSTAL_CODE: &str = "2.5.4.17";
pub const OID_ORGANIZATION: &str = "2.5.4.10";
pub const OID_ORG_UNIT: &str = "2.5.4.11";
pub const OID_COMMON_NAME: &str = "2.5.4.3";
pub const OID_SERIAL_NUMBER: &str = "2.5.4.5";

const OID_RSA: &str = "1.2.840.113549.1.1.1";
pub const OID_EC: &str = "1.2.840.10045.2.1";
const OID_ED25519: &str = "1.3.101.112";
pub const OID_P256: &str = "1.2.840.10045.3.1.7";
/// PKCS #9 `extensionRequest` attribute (RFC 2985).
pub const OID_EXTENSION_REQUEST: &str = "1.2.840.113549.1.9.14";
const OID_P384: &str = "1.3.132.0.34";
const OID_P521: &str = "1.3.132.0.35";
const OID_P224: &str = "1.3.132.0.33";
const OID_SIG_ECDSA_SHA256: &str = "1.2.840.10045.4.3.2";
const OID_SIG_ECDSA_SHA384: &str = "1.2.840.10045.4.3.3";
const OID_SIG_ECDSA_SHA512: &str = "1.2.840.10045.4.3.4";
const OID_SIG_ECDSA_SHA1: &str = "1.2.840.10045.4.1";
/// ring's regular RSA algorithms verify 2048..=8192-bit moduli; below that, `legacy_rsa`.
pub const MIN_RSA_BITS: usize = 2048;
/// Go 1.24's `crypto/rsa` floor (`checkKeySize`, GODEBUG `rsa1024min=1` by default).
pub const GO_MIN_RSA_BITS: usize = 1024;
const OID_SIG_RSA_SHA1: &str = "1.2.840.113549.1.1.5";
const OID_SIG_RSA_SHA256: &str = "1.2.840.113549.1.1.11";
const OID_SIG_RSA_SHA512: &str = "1.2.840.113549.1.1.13";
const OID_SIG_RSA_PSS: &str = "1.2.840.113549.1.1.10";
const OID_SIG_RSA_SHA384: &str = "1.2.840.113549.1.1.12";
const OID_SIG_RSA_MD5: &str = "1.2.840.113549.1.1.4";

/// Short name of a DN attribute for display (`CN`, `O`, ...), or the dotted OID.
pub fn attr_short_name(oid: &str) -> String {
    match oid {
        OID_COUNTRY => "C",
        OID_PROVINCE => "ST",
        OID_LOCALITY => "L",
        OID_STREET => "STREET",
        OID_POSTAL_CODE => "POSTALCODE",
        OID_ORGANIZATION => "O",
        OID_ORG_UNIT => "OU",
        OID_COMMON_NAME => "CN",
        OID_SERIAL_NUMBER => "SERIALNUMBER",
        "1.2.840.113549.1.9.1" => "emailAddress",
        "0.9.2342.19200300.100.1.25" => "DC",
        "0.9.2342.19200300.100.1.1" => "UID",
        other => return other.to_string(),
    }
    .to_string()
}

/// One attribute of a relative distinguished name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attr {
    pub oid: String,
    /// `None` when the value is not a string type Go reads (it then drops it).
    pub value: Option<String>,
}

/// Go's `pkix.Name` after `FillFromRDNSequence`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GoName {
    pub country: Vec<String>,
    pub province: Vec<String>,
    pub locality: Vec<String>,
    pub street_address: Vec<String>,
    pub postal_code: Vec<String>,
    pub organization: Vec<String>,
    pub organizational_unit: Vec<String>,
    pub common_name: String,
    pub serial_number: String,
}

impl GoName {
    /// `FillFromRDNSequence`: string values of the modelled attributes; others are dropped.
    pub fn from_rdns(rdns: &[Vec<Attr>]) -> GoName {
        let mut n = GoName::default();
        for a in rdns.iter().flatten() {
            let Some(v) = a.value.clone() else { continue };
            match a.oid.as_str() {
                OID_COMMON_NAME => n.common_name = v,
                OID_SERIAL_NUMBER => n.serial_number = v,
                OID_COUNTRY => n.country.push(v),
                OID_LOCALITY => n.locality.push(v),
                OID_PROVINCE => n.province.push(v),
                OID_STREET => n.street_address.push(v),
                OID_ORGANIZATION => n.organization.push(v),
                OID_ORG_UNIT => n.organizational_unit.push(v),
                OID_POSTAL_CODE => n.postal_code.push(v),
                _ => {}
            }
        }
        n
    }

    /// `ToRDNSequence`: fixed attribute order, every value of one attribute in ONE
    /// (multi-valued) RDN, CN and SERIALNUMBER only if non-empty.
    pub fn to_rdns(&self) -> Vec<(&'static str, Vec<String>)> {
        let mut out = Vec::new();
        let lists: [(&'static str, &Vec<String>); 7] = [
            (OID_COUNTRY, &self.country),
            (OID_PROVINCE, &self.province),
            (OID_LOCALITY, &self.locality),
            (OID_STREET, &self.street_address),
            (OID_POSTAL_CODE, &self.postal_code),
            (OID_ORGANIZATION, &self.organization),
            (OID_ORG_UNIT, &self.organizational_unit),
        ];
        for (oid, vals) in lists {
            if !vals.is_empty() {
                out.push((oid, vals.clone()));
            }
        }
        if !self.common_name.is_empty() {
            out.push((OID_COMMON_NAME, vec![self.common_name.clone()]));
        }
        if !self.serial_number.is_empty() {
            out.push((OID_SERIAL_NUMBER, vec![self.serial_number.clone()]));
        }
        out
    }

    /// DER `Name` as Go's `asn1.Marshal(ToRDNSequence())` writes it.
    pub fn to_der(&self) -> Vec<u8> {
        use super::der;
        let mut rdns = Vec::new();
        for (oid, vals) in self.to_rdns() {
            let atvs = vals
                .iter()
                .map(|v| der::seq(&[&der::oid(oid), &der::go_string(v)]))
                .collect();
            rdns.push(der::set_of(atvs));
        }
        der::tlv(der::SEQUENCE, &rdns.concat())
    }
}

/// Public key type and size.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeyKind {
    Rsa {
        bits: usize,
    },
    EcdsaP256,
    EcdsaP384,
    EcdsaP521,
    EcdsaP224,
    Ed25519,
    /// Any other algorithm (dotted OID, with the curve OID for EC keys on other curves).
    Other(String),
}

impl KeyKind {
    /// The curve of an ECDSA key.
    pub fn ecdsa_curve(&self) -> Option<super::ecdsa_nist::Curve> {
        use super::ecdsa_nist::Curve;
        Some(match self {
            KeyKind::EcdsaP224 => Curve::P224,
            KeyKind::EcdsaP256 => Curve::P256,
            KeyKind::EcdsaP384 => Curve::P384,
            KeyKind::EcdsaP521 => Curve::P521,
            _ => return None,
        })
    }
}

impl std::fmt::Display for KeyKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            KeyKind::Rsa { bits } => write!(f, "RSA {bits} bits"),
            KeyKind::EcdsaP256 => f.write_str("ECDSA P-256"),
            KeyKind::EcdsaP384 => f.write_str("ECDSA P-384"),
            KeyKind::EcdsaP521 => f.write_str("ECDSA P-521"),
            KeyKind::EcdsaP224 => f.write_str("ECDSA P-224"),
            KeyKind::Ed25519 => f.write_str("Ed25519"),
            KeyKind::Other(o) => write!(f, "unsupported key algorithm {o}"),
        }
    }
}

/// A requested extension (from the PKCS#9 extensionRequest attribute).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestedExtension {
    pub oid: String,
    pub critical: bool,
    /// Human name when known (`basicConstraints CA:TRUE`, `keyUsage`, ...).
    pub description: String,
}

/// A parsed certificate request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParsedCsr {
    /// The DER of the whole request.
    pub der: Vec<u8>,
    /// Subject RDNs in order, as written in the request.
    pub rdns: Vec<Vec<Attr>>,
    /// Go's view of the subject.
    pub subject: GoName,
    pub dns_names: Vec<String>,
    pub email_addresses: Vec<String>,
    pub ip_addresses: Vec<IpAddr>,
    pub uris: Vec<String>,
    /// SAN kinds Go does not model (otherName, directoryName, ...): ignored upstream.
    pub other_sans: Vec<String>,
    pub extensions: Vec<RequestedExtension>,
    pub key: KeyKind,
    /// DER SubjectPublicKeyInfo, copied into the certificate.
    pub spki_der: Vec<u8>,
    /// Dotted OID of the request's signature algorithm.
    pub signature_algorithm: String,
}

impl ParsedCsr {
    /// The first CN attribute's value ("" if none, or not a string), as x509-parser's
    /// `iter_common_name().next()` reads it.
    pub fn first_common_name(&self) -> &str {
        self.attrs(OID_COMMON_NAME)
            .next()
            .and_then(|a| a.value.as_deref())
            .unwrap_or("")
    }

    /// Every O attribute's string value, in written order.
    pub fn organizations(&self) -> Vec<String> {
        self.attrs(OID_ORGANIZATION)
            .filter_map(|a| a.value.clone())
            .collect()
    }

    /// DNS, email, IP or URI SANs present (the SANs Go's `x509.CertificateRequest` models).
    pub fn has_sans(&self) -> bool {
        !(self.dns_names.is_empty()
            && self.email_addresses.is_empty()
            && self.ip_addresses.is_empty()
            && self.uris.is_empty())
    }

    fn attrs<'a>(&'a self, oid: &'a str) -> impl Iterator<Item = &'a Attr> + 'a {
        self.rdns.iter().flatten().filter(move |a| a.oid == oid)
    }

    /// `Subject.String()`-like one-line rendering of the RDNs as written (`CN=a,O=b+O=c`),
    /// most significant first as openssl prints them.
    pub fn subject_text(&self) -> String {
        rdns_text(&self.rdns)
    }
}

/// `O=a+O=b, CN=x` rendering of RDNs in written order.
pub fn rdns_text(rdns: &[Vec<Attr>]) -> String {
    rdns.iter()
        .map(|rdn| {
            rdn.iter()
                .map(|a| {
                    format!(
                        "{}={}",
                        attr_short_name(&a.oid),
                        a.value.as_deref().unwrap_or("<non-string>")
                    )
                })
                .collect::<Vec<_>>()
                .join("+")
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// A PEM PKCS#10 request for `subject` (Go's encoding of the name) with DNS/IP SANs, signed
/// by `key` (deterministic ECDSA P-256): what a simulated kubelet or a benchmark submits.
pub fn encode_request(
    key: &super::KeyPair,
    subject: &GoName,
    dns_names: &[String],
    ips: &[IpAddr],
) -> String {
    use p256::ecdsa::signature::Signer;
    let req = request_der(&subject.to_der(), &key.spki_der(), dns_names, ips, |info| {
        let sig: p256::ecdsa::Signature = key.key.sign(info);
        sig.to_der().as_bytes().to_vec()
    });
    super::gopem::encode("CERTIFICATE REQUEST", &req)
}

/// The DER of a PKCS#10 request signed with ECDSA-with-SHA256: version 0, the encoded
/// `name`, the key's SubjectPublicKeyInfo, and DNS/IP SANs (DNS first) as a non-critical
/// extension request; `sign` returns the DER signature of the `CertificationRequestInfo`.
pub fn request_der(
    name: &[u8],
    spki: &[u8],
    dns_names: &[String],
    ips: &[IpAddr],
    sign: impl FnOnce(&[u8]) -> Vec<u8>,
) -> Vec<u8> {
    use super::der;
    let mut names = Vec::new();
    for d in dns_names {
        names.extend(der::implicit(2, d.as_bytes()));
    }
    for ip in ips {
        match ip {
            IpAddr::V4(v) => names.extend(der::implicit(7, &v.octets())),
            IpAddr::V6(v) => names.extend(der::implicit(7, &v.octets())),
        }
    }
    let attrs = if names.is_empty() {
        der::explicit(0, &[])
    } else {
        let san = der::seq(&[
            &der::oid(super::issue::OID_SAN),
            &der::octet_string(&der::tlv(der::SEQUENCE, &names)),
        ]);
        let ext_req = der::seq(&[
            &der::oid(OID_EXTENSION_REQUEST),
            &der::set_of(vec![der::seq(&[&san])]),
        ]);
        der::explicit(0, &ext_req)
    };
    let info = der::seq(&[&der::small_int(0), name, spki, &attrs]);
    let sig = sign(&info);
    let alg = der::seq(&[&der::oid(super::issue::OID_ECDSA_SHA256)]);
    der::seq(&[&info, &alg, &der::bit_string(0, &sig)])
}

/// `capihelper.ParseCSR`: the first PEM block must be `CERTIFICATE REQUEST`, then DER.
pub fn parse_pem(pem: &[u8]) -> Result<ParsedCsr, String> {
    match super::gopem::decode(pem) {
        Some((b, _)) if b.type_ == "CERTIFICATE REQUEST" => parse_der(&b.bytes),
        _ => Err("PEM block type must be CERTIFICATE REQUEST".into()),
    }
}

/// `x509.ParseCertificateRequest` (structure only; the signature is checked by
/// [`check_signature`]). DER errors are Go's `encoding/asn1` texts
/// ([`crate::validation::csr::asn1_csr_error`]).
pub fn parse_der(der: &[u8]) -> Result<ParsedCsr, String> {
    // Go's DER walk first: `from_der` is BER-lenient (a primitive SEQUENCE, a wrong class
    // on a tag, extra fields) where Go's `asn1.Unmarshal` refuses.
    if let Some(e) = crate::validation::goasn1::unmarshal_error(der) {
        return Err(e);
    }
    let (rest, req) = X509CertificationRequest::from_der(der)
        .map_err(|_| crate::validation::csr::asn1_csr_error(der))?;
    if !rest.is_empty() {
        return Err(crate::validation::csr::ASN1_TRAILING_DATA.into());
    }
    // `parseCertificateRequest`: the public key, then the subject's `asn1.Unmarshal` into a
    // `pkix.RDNSequence` (what the lenient parse above accepted may still fail there).
    if let Some(e) = crate::validation::goasn1::public_key_error(der)
        .or_else(|| crate::validation::goasn1::subject_error(der))
    {
        return Err(e);
    }
    let info = &req.certification_request_info;
    let rdns: Vec<Vec<Attr>> = info
        .subject
        .iter_rdn()
        .map(|rdn| {
            rdn.iter()
                .map(|a| Attr {
                    oid: a.attr_type().to_id_string(),
                    value: a.as_str().ok().map(str::to_string),
                })
                .collect()
        })
        .collect();
    let subject = GoName::from_rdns(&rdns);
    let mut out = ParsedCsr {
        der: der.to_vec(),
        rdns,
        subject,
        dns_names: vec![],
        email_addresses: vec![],
        ip_addresses: vec![],
        uris: vec![],
        other_sans: vec![],
        extensions: vec![],
        key: key_kind(&info.subject_pki)?,
        spki_der: info.subject_pki.raw.to_vec(),
        signature_algorithm: req.signature_algorithm.algorithm.to_id_string(),
    };
    for attr in info.iter_attributes() {
        let x509_parser::cri_attributes::ParsedCriAttribute::ExtensionRequest(er) =
            &attr.parsed_attribute()
        else {
            continue;
        };
        for ext in &er.extensions {
            let oid = ext.oid.to_id_string();
            let description = match ext.parsed_extension() {
                ParsedExtension::SubjectAlternativeName(san) => {
                    for g in &san.general_names {
                        match g {
                            GeneralName::DNSName(s) => out.dns_names.push(s.to_string()),
                            GeneralName::RFC822Name(s) => out.email_addresses.push(s.to_string()),
                            GeneralName::URI(s) => out.uris.push(s.to_string()),
                            GeneralName::IPAddress(b) => out.ip_addresses.push(match b.len() {
                                4 => IpAddr::from(<[u8; 4]>::try_from(*b).expect("len 4")),
                                16 => IpAddr::from(<[u8; 16]>::try_from(*b).expect("len 16")),
                                n => {
                                    return Err(format!(
                                        "x509: cannot parse IP address of length {n}"
                                    ))
                                }
                            }),
                            GeneralName::OtherName(o, _) => out
                                .other_sans
                                .push(format!("otherName {}", o.to_id_string())),
                            GeneralName::DirectoryName(_) => {
                                out.other_sans.push("directoryName".into())
                            }
                            GeneralName::RegisteredID(o) => out
                                .other_sans
                                .push(format!("registeredID {}", o.to_id_string())),
                            other => out.other_sans.push(format!("{other:?}")),
                        }
                    }
                    "subjectAltName".to_string()
                }
                ParsedExtension::BasicConstraints(bc) => {
                    format!(
                        "basicConstraints CA:{}",
                        if bc.ca { "TRUE" } else { "FALSE" }
                    )
                }
                ParsedExtension::KeyUsage(ku) => format!("keyUsage {ku}"),
                ParsedExtension::ExtendedKeyUsage(_) => "extendedKeyUsage".to_string(),
                ParsedExtension::SubjectKeyIdentifier(_) => "subjectKeyIdentifier".to_string(),
                _ => oid.clone(),
            };
            out.extensions.push(RequestedExtension {
                oid,
                critical: ext.critical,
                description,
            });
        }
    }
    Ok(out)
}

fn key_kind(spki: &SubjectPublicKeyInfo) -> Result<KeyKind, String> {
    let alg = spki.algorithm.algorithm.to_id_string();
    Ok(match alg.as_str() {
        OID_RSA => match spki.parsed() {
            Ok(x509_parser::public_key::PublicKey::RSA(rsa)) => {
                let m = rsa.modulus;
                let skip = m.iter().take_while(|&&b| b == 0).count();
                let m = &m[skip..];
                if m.is_empty() {
                    return Err("x509: RSA modulus is not a positive number".into());
                }
                KeyKind::Rsa {
                    bits: (m.len() - 1) * 8 + (8 - m[0].leading_zeros() as usize),
                }
            }
            _ => return Err("x509: invalid RSA public key".into()),
        },
        OID_EC => {
            let curve = spki
                .algorithm
                .parameters
                .as_ref()
                .and_then(|p| p.as_oid().ok())
                .map(|o| o.to_id_string())
                .unwrap_or_default();
            match curve.as_str() {
                OID_P256 => KeyKind::EcdsaP256,
                OID_P384 => KeyKind::EcdsaP384,
                OID_P521 => KeyKind::EcdsaP521,
                OID_P224 => KeyKind::EcdsaP224,
                _ => return Err("x509: unsupported elliptic curve".into()),
            }
        }
        OID_ED25519 => KeyKind::Ed25519,
        other => KeyKind::Other(other.to_string()),
    })
}

/// How many parsed requests [`parse_der_shared`] remembers.
pub const PARSED_CACHE_SIZE: usize = 4096;

/// Recently parsed CSR DERs, each with whether its signature was verified. A request is
/// parsed on create (validation), by admission, by the approver and by the signer: four x509
/// parses of the same bytes, 2.5 % of a fleet run. Only successful parses are remembered
/// (exact bytes, bounded FIFO); a failure is re-parsed so that every caller keeps its own
/// error text.
static PARSED: std::sync::Mutex<super::der_memo::DerMemo<(std::sync::Arc<ParsedCsr>, bool)>> =
    std::sync::Mutex::new(super::der_memo::DerMemo::new(PARSED_CACHE_SIZE));

/// [`parse_der`], remembered by exact DER.
pub fn parse_der_shared(der: &[u8]) -> Result<std::sync::Arc<ParsedCsr>, String> {
    if let Some(p) = parsed_before(der) {
        return Ok(p);
    }
    let p = std::sync::Arc::new(parse_der(der)?);
    // Verified before this parse (bytes remembered in VERIFIED): carried into the entry.
    let verified = VERIFIED.lock().is_ok_and(|v| v.get(der).is_some());
    if let Ok(mut g) = PARSED.lock() {
        g.insert(der, (p.clone(), verified));
    }
    Ok(p)
}

/// [`parse_pem`], remembered by the exact DER of the block.
pub fn parse_pem_shared(pem: &[u8]) -> Result<std::sync::Arc<ParsedCsr>, String> {
    match super::gopem::decode(pem) {
        Some((b, _)) if b.type_ == "CERTIFICATE REQUEST" => parse_der_shared(&b.bytes),
        _ => Err("PEM block type must be CERTIFICATE REQUEST".into()),
    }
}

/// The remembered parse of this exact DER, if [`parse_der_shared`] parsed it recently.
pub fn parsed_before(der: &[u8]) -> Option<std::sync::Arc<ParsedCsr>> {
    PARSED.lock().ok()?.get(der).map(|(p, _)| p)
}

/// The remembered parse of the request in `pem` (a `CERTIFICATE REQUEST` block), if any.
/// Callers whose own parse is more lenient than [`parse_der`] use it only as a shortcut: a
/// request `parse_der` accepted reads the same through theirs.
pub fn parsed_pem_before(pem: &[u8]) -> Option<std::sync::Arc<ParsedCsr>> {
    match super::gopem::decode(pem) {
        Some((b, _)) if b.type_ == "CERTIFICATE REQUEST" => parsed_before(&b.bytes),
        _ => None,
    }
}

/// How many verified CSRs that were not parsed through [`parse_der_shared`] are remembered.
pub const VERIFIED_CACHE_SIZE: usize = 4096;

/// The same request is verified on create, on every update (validation re-runs
/// `CheckSignature`, as upstream) and by the signer; the answer for the same bytes never
/// changes, so a success is remembered: as the flag of its [`PARSED`] entry (no second copy
/// of the DER: a lifecycle spent 2 % keeping one), or here for bytes parsed another way.
static VERIFIED: std::sync::Mutex<super::der_memo::DerMemo<()>> =
    std::sync::Mutex::new(super::der_memo::DerMemo::new(VERIFIED_CACHE_SIZE));

/// Has this exact DER passed signature verification recently?
pub fn verified_before(der: &[u8]) -> bool {
    let flagged = PARSED
        .lock()
        .is_ok_and(|g| g.get(der).is_some_and(|(_, verified)| verified));
    flagged || VERIFIED.lock().is_ok_and(|g| g.get(der).is_some())
}

/// Remember that this exact DER passed signature verification.
pub fn remember_verified(der: &[u8]) {
    if let Ok(mut g) = PARSED.lock() {
        if let Some((_, verified)) = g.get_mut(der) {
            *verified = true;
            return;
        }
    }
    if let Ok(mut g) = VERIFIED.lock() {
        g.insert(der, ());
    }
}

/// Forget every remembered verification, so a benchmark that reuses its CSRs measures the
/// verification itself (remembered parses go too: they carry the flags).
pub fn forget_verified() {
    if let Ok(mut g) = VERIFIED.lock() {
        g.clear();
    }
    if let Ok(mut g) = PARSED.lock() {
        g.clear();
    }
}

/// `CertificateRequest.CheckSignature` with Go's error texts where the failure is a bad
/// signature; keys/algorithms our verifier cannot handle get an explicit csrsim text.
pub fn check_signature(csr: &ParsedCsr) -> Result<(), String> {
    if let KeyKind::Other(_) = &csr.key {
        return Err("x509: cannot verify signature: algorithm unimplemented".into());
    }
    // Go's checkSignature refuses MD5 by name (InsecureAlgorithmError) before any key work
    if csr.signature_algorithm == OID_SIG_RSA_MD5 {
        return Err("x509: cannot verify signature: insecure algorithm MD5-RSA".into());
    }
    if csr.signature_algorithm == OID_SIG_RSA_PSS
        && X509CertificationRequest::from_der(&csr.der)
            .ok()
            .and_then(|(_, req)| go_pss_hash(&req))
            .is_none()
    {
        return Err("x509: cannot verify signature: algorithm unimplemented".into());
    }
    if let KeyKind::Rsa { bits } = csr.key {
        if bits < GO_MIN_RSA_BITS {
            return Err(format!(
                "crypto/rsa: {bits}-bit keys are insecure (see https://go.dev/pkg/crypto/rsa#hdr-Minimum_key_size)"
            ));
        }
        if bits < MIN_RSA_BITS {
            return check_legacy(csr);
        }
    }
    // ECDSA pairs ring verifies: P-256 and P-384 with SHA-256 or SHA-384; the rest (P-224,
    // P-521, SHA-1, SHA-512) through pki::ecdsa_nist.
    let ring_pair = matches!(csr.key, KeyKind::EcdsaP256 | KeyKind::EcdsaP384)
        && matches!(
            csr.signature_algorithm.as_str(),
            OID_SIG_ECDSA_SHA256 | OID_SIG_ECDSA_SHA384
        );
    if csr.key.ecdsa_curve().is_some() && !ring_pair {
        return check_legacy(csr);
    }
    if verified_before(&csr.der) {
        return Ok(());
    }
    if csr.key == KeyKind::EcdsaP256
        && super::own_keys::verify_request(&csr.der, &csr.spki_der).is_some()
    {
        remember_verified(&csr.der);
        return Ok(());
    }
    let (_, req) = X509CertificationRequest::from_der(&csr.der)
        .map_err(|_| "asn1: structure error: tags don't match".to_string())?;
    let r = req.verify_signature().map_err(|e| match (&csr.key, e) {
        (_, X509Error::SignatureUnsupportedAlgorithm) => {
            "x509: cannot verify signature: algorithm unimplemented".to_string()
        }
        (KeyKind::Rsa { .. }, _) => "crypto/rsa: verification error".to_string(),
        (KeyKind::Ed25519, _) => "x509: Ed25519 verification failure".to_string(),
        _ => ecdsa_failure(csr),
    });
    if r.is_ok() {
        remember_verified(&csr.der);
    }
    r
}

/// The text of a failed ECDSA check: a public key that is not a point of its curve fails Go's
/// parse first (`x509: failed to unmarshal elliptic curve point`), any other failure is the
/// verification's.
fn ecdsa_failure(csr: &ParsedCsr) -> String {
    let Some(curve) = csr.key.ecdsa_curve() else {
        return "x509: ECDSA verification failure".into();
    };
    match X509CertificationRequest::from_der(&csr.der) {
        Ok((_, req))
            if !super::ecdsa_nist::valid_point(
                curve,
                &req.certification_request_info
                    .subject_pki
                    .subject_public_key
                    .data,
            ) =>
        {
            "x509: failed to unmarshal elliptic curve point".into()
        }
        _ => "x509: ECDSA verification failure".into(),
    }
}

/// Go's `getSignatureAlgorithmFromAI` for RSASSA-PSS: only the three parameter sets it names
/// (SHA-256/384/512, MGF1 with the same hash, the hash's length as salt, trailer 1) are a known
/// algorithm, returned here by their hash; any other is `UnknownSignatureAlgorithm`, which
/// `CheckSignature` refuses as unimplemented before looking at the signature.
fn go_pss_hash(req: &X509CertificationRequest) -> Option<super::rsa_small::Hash> {
    use super::rsa_small::Hash;
    use x509_parser::signature_algorithm::RsaSsaPssParams;
    let params = req
        .signature_algorithm
        .parameters
        .as_ref()
        .and_then(|a| RsaSsaPssParams::try_from(a).ok())?;
    let oid = params.hash_algorithm_oid().to_id_string();
    let hash = match oid.as_str() {
        "2.16.840.1.101.3.4.2.1" => Hash::Sha256,
        "2.16.840.1.101.3.4.2.2" => Hash::Sha384,
        "2.16.840.1.101.3.4.2.3" => Hash::Sha512,
        _ => return None,
    };
    let mgf_ok = params.mask_gen_algorithm().is_ok_and(|m| {
        m.mgf.to_id_string() == "1.2.840.113549.1.1.8" && m.hash.to_id_string() == oid
    });
    let known =
        mgf_ok && params.salt_length() as usize == hash.output_len() && params.trailer_field() == 1;
    known.then_some(hash)
}

/// The signatures x509-parser's verifier does not take: RSA keys of 1024..2047 bits (PKCS#1
/// v1.5 with SHA-1, SHA-256 or SHA-512 through ring's legacy algorithms; SHA-384 and PSS
/// through `pki::rsa_small`) and the ECDSA curve/digest pairs outside ring's list
/// (`pki::ecdsa_nist`). Go's texts on failure.
fn check_legacy(csr: &ParsedCsr) -> Result<(), String> {
    if verified_before(&csr.der) {
        return Ok(());
    }
    let (_, req) = X509CertificationRequest::from_der(&csr.der)
        .map_err(|_| "asn1: structure error: tags don't match".to_string())?;
    let info = req.certification_request_info.raw;
    let sig = req.signature_value.data.as_ref();
    let key = req
        .certification_request_info
        .subject_pki
        .subject_public_key
        .data
        .as_ref();
    match (&csr.key, csr.signature_algorithm.as_str()) {
        (KeyKind::Rsa { .. }, alg) => {
            use super::rsa_small::{Hash, Scheme};
            use ring::signature as rs;
            let ring_legacy = |algorithm: &'static dyn rs::VerificationAlgorithm| {
                rs::UnparsedPublicKey::new(algorithm, key)
                    .verify(info, sig)
                    .is_ok()
            };
            // ring's legacy algorithms, then pki::rsa_small for what they lack
            let small = |scheme, hash| match req.certification_request_info.subject_pki.parsed() {
                Ok(x509_parser::public_key::PublicKey::RSA(rsa)) => {
                    super::rsa_small::verify(rsa.modulus, rsa.exponent, scheme, hash, info, sig)
                        == Some(true)
                }
                _ => false,
            };
            let verified = match alg {
                OID_SIG_RSA_SHA1 => ring_legacy(&rs::RSA_PKCS1_1024_8192_SHA1_FOR_LEGACY_USE_ONLY),
                OID_SIG_RSA_SHA256 => {
                    ring_legacy(&rs::RSA_PKCS1_1024_8192_SHA256_FOR_LEGACY_USE_ONLY)
                }
                OID_SIG_RSA_SHA512 => {
                    ring_legacy(&rs::RSA_PKCS1_1024_8192_SHA512_FOR_LEGACY_USE_ONLY)
                }
                OID_SIG_RSA_SHA384 => small(Scheme::Pkcs1v15, Hash::Sha384),
                OID_SIG_RSA_PSS => {
                    let hash = go_pss_hash(&req)
                        .ok_or("x509: cannot verify signature: algorithm unimplemented")?;
                    small(Scheme::Pss, hash)
                }
                // SHA-224, MD2, …: an algorithm Go's x509 does not know
                _ => return Err("x509: cannot verify signature: algorithm unimplemented".into()),
            };
            if !verified {
                return Err("crypto/rsa: verification error".into());
            }
        }
        (kind, alg) => {
            let curve = kind
                .ecdsa_curve()
                .ok_or("x509: cannot verify signature: algorithm unimplemented")?;
            use ring::digest as d;
            let digest = match alg {
                OID_SIG_ECDSA_SHA1 => &d::SHA1_FOR_LEGACY_USE_ONLY,
                OID_SIG_ECDSA_SHA256 => &d::SHA256,
                OID_SIG_ECDSA_SHA384 => &d::SHA384,
                OID_SIG_ECDSA_SHA512 => &d::SHA512,
                // Go pairs ECDSA keys with these four digests only
                _ => return Err("x509: cannot verify signature: algorithm unimplemented".into()),
            };
            let hash = d::digest(digest, info);
            if !super::ecdsa_nist::verify(curve, key, hash.as_ref(), sig) {
                return Err(ecdsa_failure(csr));
            }
        }
    }
    remember_verified(&csr.der);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn der(tag: u32, tail: u8) -> Vec<u8> {
        let mut d = vec![0x30; 200];
        d[..4].copy_from_slice(&tag.to_be_bytes());
        d.extend_from_slice(&[tail; 40]);
        d
    }

    /// Entries sharing their last bytes are told apart by the full comparison, and the
    /// oldest entry goes first once the cache is full (other tests may add entries meanwhile:
    /// that only evicts sooner).
    #[test]
    fn verified_cache_compares_whole_der_and_evicts_oldest() {
        let (a, b, c) = (
            der(0xA000_0001, 7),
            der(0xA000_0002, 7),
            der(0xA000_0003, 7),
        );
        remember_verified(&a);
        remember_verified(&b);
        remember_verified(&b);
        assert!(verified_before(&a) && verified_before(&b));
        assert!(!verified_before(&c), "same tail, never verified");
        assert!(!verified_before(&der(0xA000_0001, 8)));
        let first = der(0xB000_0000, 9);
        remember_verified(&first);
        for i in 1..=VERIFIED_CACHE_SIZE as u32 {
            remember_verified(&der(0xB000_0000 + i, (i % 251) as u8));
        }
        assert!(!verified_before(&first), "evicted");
        assert!(verified_before(&der(
            0xB000_0000 + VERIFIED_CACHE_SIZE as u32,
            (VERIFIED_CACHE_SIZE % 251) as u8
        )));
    }
}

#[cfg(test)]
mod verified_flag_tests {
    use super::*;

    /// A request parsed through [`parse_der_shared`] keeps its verification as the flag of its
    /// remembered parse, not as a second copy in [`VERIFIED`]; a verification remembered
    /// before the parse is carried into the new entry.
    #[test]
    fn verification_of_a_parsed_request_is_its_entry_flag() {
        let pem = crate::bench::serve::request_pem("verified-flag-a").unwrap();
        let (block, _) = super::super::gopem::decode(pem.as_bytes()).unwrap();
        let der = block.bytes;
        parse_der_shared(&der).unwrap();
        assert!(!verified_before(&der));
        remember_verified(&der);
        assert!(verified_before(&der));
        assert!(PARSED.lock().unwrap().get(&der).unwrap().1, "flag set");
        assert!(
            VERIFIED.lock().unwrap().get(&der).is_none(),
            "no second copy of the DER"
        );

        let pem = crate::bench::serve::request_pem("verified-flag-b").unwrap();
        let (block, _) = super::super::gopem::decode(pem.as_bytes()).unwrap();
        let der = block.bytes;
        remember_verified(&der);
        assert!(verified_before(&der), "remembered without a parse");
        parse_der_shared(&der).unwrap();
        assert!(PARSED.lock().unwrap().get(&der).unwrap().1, "carried over");
        check_signature(&parse_der_shared(&der).unwrap()).unwrap();
    }
}
