//! Certificate construction: `CertificateAuthority.Sign` + `PermissiveSigningPolicy.apply`
//! (`pkg/controller/certificates/authority/`) and the parts of Go's `x509.CreateCertificate`
//! that shape the bytes.
//!
//! What the issued certificate holds, in Go's extension order:
//! * version 3, a 128-bit serial from the `serials` stream, issuer = CA raw subject;
//! * subject = the CSR subject as Go re-encodes its `pkix.Name` (every O value kept, in one
//!   multi-valued RDN; attributes Go does not model are dropped);
//! * the CSR's public key verbatim;
//! * KeyUsage (critical) and ExtKeyUsage only from `spec.usages`; requested extensions dropped;
//! * BasicConstraints CA:FALSE (critical); AuthorityKeyId = CA SubjectKeyId (omitted when the
//!   subject equals the issuer, as Go does); no SubjectKeyId for leaves;
//! * SANs DNS, email, IP, URI in Go's order (critical iff the subject is empty).
//!
//! Serial: upstream draws uniformly in [0, 2^128). We draw 16 bytes and clear the top bit, so
//! the DER INTEGER never needs a 17th byte (a deliberate, documented simplification).

use super::ca::Ca;
use super::csr::{self, ParsedCsr};
use super::der;
use crate::api::Time;
use crate::signer::lifetime;
use crate::sim::rng::Rngs;
use std::net::IpAddr;

pub const OID_KEY_USAGE: &str = "2.5.29.15";
pub const OID_EXT_KEY_USAGE: &str = "2.5.29.37";
pub const OID_BASIC_CONSTRAINTS: &str = "2.5.29.19";
pub const OID_SUBJECT_KEY_ID: &str = "2.5.29.14";
pub const OID_AUTHORITY_KEY_ID: &str = "2.5.29.35";
pub const OID_SAN: &str = "2.5.29.17";
/// `ecdsa-with-SHA256`: Go's choice for a P-256 CA key.
pub const OID_ECDSA_SHA256: &str = "1.2.840.10045.4.3.2";

/// x509.KeyUsage bits (Go values).
pub const KU_DIGITAL_SIGNATURE: u16 = 1;
pub const KU_CONTENT_COMMITMENT: u16 = 2;
pub const KU_KEY_ENCIPHERMENT: u16 = 4;
pub const KU_DATA_ENCIPHERMENT: u16 = 8;
pub const KU_KEY_AGREEMENT: u16 = 16;
pub const KU_CERT_SIGN: u16 = 32;
pub const KU_CRL_SIGN: u16 = 64;
pub const KU_ENCIPHER_ONLY: u16 = 128;
pub const KU_DECIPHER_ONLY: u16 = 256;

/// `keyUsageDict` (`authority/policies.go`).
pub fn key_usage_bit(usage: &str) -> Option<u16> {
    Some(match usage {
        "signing" | "digital signature" => KU_DIGITAL_SIGNATURE,
        "content commitment" => KU_CONTENT_COMMITMENT,
        "key encipherment" => KU_KEY_ENCIPHERMENT,
        "key agreement" => KU_KEY_AGREEMENT,
        "data encipherment" => KU_DATA_ENCIPHERMENT,
        "cert sign" => KU_CERT_SIGN,
        "crl sign" => KU_CRL_SIGN,
        "encipher only" => KU_ENCIPHER_ONLY,
        "decipher only" => KU_DECIPHER_ONLY,
        _ => return None,
    })
}

/// `extKeyUsageDict`: (Go `ExtKeyUsage` enum value, OID, openssl display name).
pub fn ext_key_usage(usage: &str) -> Option<(u8, &'static str, &'static str)> {
    Some(match usage {
        "any" => (0, "2.5.29.37.0", "Any Extended Key Usage"),
        "server auth" => (1, "1.3.6.1.5.5.7.3.1", "TLS Web Server Authentication"),
        "client auth" => (2, "1.3.6.1.5.5.7.3.2", "TLS Web Client Authentication"),
        "code signing" => (3, "1.3.6.1.5.5.7.3.3", "Code Signing"),
        "email protection" | "s/mime" => (4, "1.3.6.1.5.5.7.3.4", "E-mail Protection"),
        "ipsec end system" => (5, "1.3.6.1.5.5.7.3.5", "IPSec End System"),
        "ipsec tunnel" => (6, "1.3.6.1.5.5.7.3.6", "IPSec Tunnel"),
        "ipsec user" => (7, "1.3.6.1.5.5.7.3.7", "IPSec User"),
        "timestamping" => (8, "1.3.6.1.5.5.7.3.8", "Time Stamping"),
        "ocsp signing" => (9, "1.3.6.1.5.5.7.3.9", "OCSP Signing"),
        "microsoft sgc" => (
            10,
            "1.3.6.1.4.1.311.10.3.3",
            "Microsoft Server Gated Crypto",
        ),
        "netscape sgc" => (11, "2.16.840.1.113730.4.1", "Netscape Server Gated Crypto"),
        _ => return None,
    })
}

/// `keyUsagesFromStrings`: OR-ed KU bits and EKU OIDs de-duplicated, in Go enum order.
pub fn key_usages_from_strings(usages: &[String]) -> Result<(u16, Vec<&'static str>), String> {
    let mut ku = 0u16;
    let mut ekus = std::collections::BTreeMap::new();
    let mut unrecognized = Vec::new();
    for u in usages {
        if let Some(b) = key_usage_bit(u) {
            ku |= b;
        } else if let Some((rank, oid, _)) = ext_key_usage(u) {
            ekus.insert(rank, oid);
        } else {
            unrecognized.push(format!("{u:?}"));
        }
    }
    if !unrecognized.is_empty() {
        return Err(format!(
            "unrecognized usage values: [{}]",
            unrecognized.join(" ")
        ));
    }
    Ok((ku, ekus.into_values().collect()))
}

/// Everything `x509.CreateCertificate` needs from the template.
#[derive(Clone, Debug)]
pub struct Template {
    pub serial: [u8; 16],
    /// DER Name of the subject (already in Go's re-encoded form).
    pub subject_der: Vec<u8>,
    pub spki_der: Vec<u8>,
    pub not_before: Time,
    pub not_after: Time,
    pub key_usage: u16,
    pub ext_key_usages: Vec<&'static str>,
    pub is_ca: bool,
    /// Set for CA certificates only (Go generates SKI for CA templates).
    pub subject_key_id: Option<Vec<u8>>,
    pub dns_names: Vec<String>,
    pub email_addresses: Vec<String>,
    pub ip_addresses: Vec<IpAddr>,
    pub uris: Vec<String>,
}

fn extension(oid: &str, critical: bool, value: &[u8]) -> Vec<u8> {
    let crit = if critical {
        der::tlv(der::BOOLEAN, &[0xff])
    } else {
        Vec::new()
    };
    der::seq(&[&der::oid(oid), &crit, &der::octet_string(value)])
}

/// Go's `marshalKeyUsage` bit string: bits reversed per byte, trailing zero bits trimmed.
pub fn key_usage_bits(ku: u16) -> Vec<u8> {
    let a = [(ku as u8).reverse_bits(), ((ku >> 8) as u8).reverse_bits()];
    let l = if a[1] != 0 { 2 } else { 1 };
    let bytes = &a[..l];
    let mut bit_len = l * 8;
    'outer: for i in (0..l).rev() {
        for bit in 0..8 {
            if bytes[i] & (1 << bit) != 0 {
                break 'outer;
            }
            bit_len -= 1;
        }
    }
    der::bit_string((l * 8 - bit_len) as u8, bytes)
}

/// The TBSCertificate bytes for `tpl` issued by (`issuer_der`, `issuer_ski`).
pub fn tbs_certificate(tpl: &Template, issuer_der: &[u8], issuer_ski: Option<&[u8]>) -> Vec<u8> {
    let alg = der::seq(&[&der::oid(OID_ECDSA_SHA256)]);
    let validity = der::seq(&[&der::time(tpl.not_before.0), &der::time(tpl.not_after.0)]);
    let mut exts: Vec<Vec<u8>> = Vec::new();
    if tpl.key_usage != 0 {
        exts.push(extension(
            OID_KEY_USAGE,
            true,
            &key_usage_bits(tpl.key_usage),
        ));
    }
    if !tpl.ext_key_usages.is_empty() {
        let oids: Vec<u8> = tpl
            .ext_key_usages
            .iter()
            .flat_map(|o| der::oid(o))
            .collect();
        exts.push(extension(
            OID_EXT_KEY_USAGE,
            false,
            &der::tlv(der::SEQUENCE, &oids),
        ));
    }
    let bc = if tpl.is_ca {
        der::seq(&[&der::tlv(der::BOOLEAN, &[0xff])])
    } else {
        der::seq(&[])
    };
    exts.push(extension(OID_BASIC_CONSTRAINTS, true, &bc));
    if let Some(ski) = &tpl.subject_key_id {
        exts.push(extension(
            OID_SUBJECT_KEY_ID,
            false,
            &der::octet_string(ski),
        ));
    }
    if let Some(aki) = issuer_ski {
        if issuer_der != tpl.subject_der.as_slice() {
            exts.push(extension(
                OID_AUTHORITY_KEY_ID,
                false,
                &der::seq(&[&der::implicit(0, aki)]),
            ));
        }
    }
    let mut names = Vec::new();
    for d in &tpl.dns_names {
        names.extend(der::implicit(2, d.as_bytes()));
    }
    for e in &tpl.email_addresses {
        names.extend(der::implicit(1, e.as_bytes()));
    }
    for ip in &tpl.ip_addresses {
        match ip {
            IpAddr::V4(v4) => names.extend(der::implicit(7, &v4.octets())),
            IpAddr::V6(v6) => names.extend(der::implicit(7, &v6.octets())),
        }
    }
    for u in &tpl.uris {
        names.extend(der::implicit(6, u.as_bytes()));
    }
    if !names.is_empty() {
        let subject_empty = tpl.subject_der == [0x30, 0x00];
        exts.push(extension(
            OID_SAN,
            subject_empty,
            &der::tlv(der::SEQUENCE, &names),
        ));
    }
    let ext_block = der::explicit(3, &der::tlv(der::SEQUENCE, &exts.concat()));
    der::seq(&[
        &der::explicit(0, &der::small_int(2)),
        &der::uint(&tpl.serial),
        &alg,
        issuer_der,
        &validity,
        &tpl.subject_der,
        &tpl.spki_der,
        &ext_block,
    ])
}

/// Sign a TBSCertificate with the CA key (deterministic ECDSA, RFC 6979).
pub fn certificate(tbs: &[u8], key: &super::ca::KeyPair) -> Vec<u8> {
    let sig = key.sign_der(tbs);
    let alg = der::seq(&[&der::oid(OID_ECDSA_SHA256)]);
    der::seq(&[tbs, &alg, &der::bit_string(0, &sig)])
}

/// A 16-byte serial with the top bit clear, from the `serials` stream.
pub fn draw_serial(rngs: &mut Rngs) -> [u8; 16] {
    let mut s = [0u8; 16];
    rngs.fill("serials", &mut s);
    s[0] &= 0x7f;
    s
}

/// `CertificateAuthority.Sign` with the signer's policy: returns the certificate DER.
/// `ttl_secs` is already the signer's `duration(expirationSeconds)`.
pub fn sign_csr(
    ca: &Ca,
    csr_der: &[u8],
    usages: &[String],
    ttl_secs: i64,
    now: Time,
    rngs: &mut Rngs,
) -> Result<Vec<u8>, String> {
    let req =
        csr::parse_der(csr_der).map_err(|e| format!("unable to parse certificate request: {e}"))?;
    sign_parsed(ca, &req, usages, ttl_secs, now, rngs)
}

/// [`sign_csr`] after the parse, for a caller that already holds the parsed request (the
/// signer controller parses it for its policy first).
pub fn sign_parsed(
    ca: &Ca,
    req: &ParsedCsr,
    usages: &[String],
    ttl_secs: i64,
    now: Time,
    rngs: &mut Rngs,
) -> Result<Vec<u8>, String> {
    csr::check_signature(req)
        .map_err(|e| format!("unable to verify certificate request signature: {e}"))?;
    let serial = draw_serial(rngs);
    let tpl = leaf_template(req, serial, usages, ttl_secs, now, ca.not_after)?;
    let der = ca.sign_template(&tpl);
    if let Some(facts) = issued_facts(req, &tpl) {
        super::cert_facts::remember_issued(&der, facts);
    }
    Ok(der)
}

/// What a parse of the certificate issued from `tpl` for `req` reads, when the names are plain
/// printable ASCII (any other string type or character is left to the parse).
fn issued_facts(req: &ParsedCsr, tpl: &Template) -> Option<super::cert_facts::CertFacts> {
    let plain = |s: &str| s.bytes().all(|b| (0x20..0x7f).contains(&b));
    let common_name = req.first_common_name().to_string();
    let organizations = req.organizations();
    // Each attribute type at most once, in single-valued RDNs: Go's re-encoded subject puts
    // all values of a type into one RDN, a DER SET that its encoding re-orders.
    let mut oids = std::collections::BTreeSet::new();
    let names_plain = req.rdns.iter().all(|rdn| {
        rdn.len() == 1
            && oids.insert(rdn[0].oid.as_str())
            && rdn[0].value.as_deref().is_some_and(plain)
    });
    if !names_plain || !tpl.dns_names.iter().all(|d| plain(d)) {
        return None;
    }
    // `raw_serial_as_string`: the INTEGER's content octets in hex.
    let serial_tlv = der::uint(&tpl.serial);
    let serial = serial_tlv[2..]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<String>();
    Some(super::cert_facts::CertFacts {
        not_before: tpl.not_before,
        not_after: tpl.not_after,
        common_name,
        organizations,
        dns_names: tpl.dns_names.clone(),
        ips: tpl.ip_addresses.clone(),
        serial,
    })
}

/// `PermissiveSigningPolicy.apply` on the template built from the CSR.
pub fn leaf_template(
    req: &ParsedCsr,
    serial: [u8; 16],
    usages: &[String],
    ttl_secs: i64,
    now: Time,
    ca_not_after: Time,
) -> Result<Template, String> {
    let (key_usage, ext_key_usages) = key_usages_from_strings(usages)?;
    let (not_before, not_after) = lifetime::validity(now, ttl_secs, ca_not_after)?;
    Ok(Template {
        serial,
        subject_der: req.subject.to_der(),
        spki_der: req.spki_der.clone(),
        not_before,
        not_after,
        key_usage,
        ext_key_usages,
        is_ca: false,
        subject_key_id: None,
        dns_names: req.dns_names.clone(),
        email_addresses: req.email_addresses.clone(),
        ip_addresses: req.ip_addresses.clone(),
        uris: req.uris.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The facts the signer remembers for what it issued are what a parse reads (checked
    /// inside `remember_issued` in this debug build), and are then found without a parse;
    /// names that are not plain ASCII are left to the parse.
    #[test]
    fn issued_facts_are_those_a_parse_reads() {
        use crate::kubelet::csr::{request_pem, EcdsaKey, Key, Template};
        let mut rngs = Rngs::new(9);
        let now = Time(1_900_000_000);
        let ca = Ca::generate(&mut rngs, "facts-ca", now, Time(now.0 + 400 * 86400));
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        let ip = |v: &str| v.parse::<IpAddr>().unwrap();
        let rows = [
            ("system:node:a", s(&["system:nodes"]), s(&[]), vec![], true),
            (
                "",
                s(&[]),
                s(&["a.example", "b"]),
                vec![ip("10.0.0.1")],
                true,
            ),
            (
                "x",
                s(&["a"]),
                s(&["x"]),
                vec![ip("::1"), ip("1.2.3.4")],
                true,
            ),
            ("ünï", s(&["ö"]), s(&[]), vec![], false),
        ];
        for (cn, orgs, dns, ips, remembered) in rows {
            let t = Template {
                common_name: cn.into(),
                organizations: orgs.clone(),
                dns_names: dns.clone(),
                ips: ips.clone(),
            };
            let key = Key::Ecdsa(EcdsaKey::generate(&mut rngs));
            let pem = request_pem(&t, &key).unwrap();
            let (block, _) = crate::pki::gopem::decode(pem.as_bytes()).unwrap();
            let req = csr::parse_der(&block.bytes).unwrap();
            let usages = s(&["digital signature", "client auth"]);
            let der = sign_parsed(&ca, &req, &usages, 86400, now, &mut rngs).unwrap();
            let tpl_facts = issued_facts(
                &req,
                &leaf_template(&req, [1; 16], &usages, 86400, now, ca.not_after).unwrap(),
            );
            assert_eq!(tpl_facts.is_some(), remembered, "{cn}");
            let (facts, rest) = crate::pki::cert_facts::parse_first(&der).unwrap();
            assert!(rest.is_empty());
            assert_eq!(
                (
                    facts.common_name.as_str(),
                    &facts.organizations,
                    &facts.dns_names,
                    &facts.ips
                ),
                (cn, &orgs, &dns, &ips)
            );
            let validity = lifetime::validity(now, 86400, ca.not_after).unwrap();
            assert_eq!((facts.not_before, facts.not_after), validity);
        }
    }

    #[test]
    fn key_usage_bit_strings_match_go() {
        // digital signature | key encipherment → 03 02 05 a0 (as Go and openssl write it)
        assert_eq!(key_usage_bits(5), [3, 2, 5, 0xa0]);
        // digital signature | key encipherment | cert sign → 03 02 02 a4
        assert_eq!(key_usage_bits(37), [3, 2, 2, 0xa4]);
        // decipher only needs a second byte
        assert_eq!(key_usage_bits(256), [3, 3, 7, 0, 0x80]);
        assert_eq!(key_usage_bits(1), [3, 2, 7, 0x80]);
    }

    #[test]
    fn usages_map_and_sort_like_go() {
        let u = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let (ku, eku) = key_usages_from_strings(&u(&[
            "client auth",
            "signing",
            "server auth",
            "any",
            "client auth",
        ]))
        .unwrap();
        assert_eq!(ku, KU_DIGITAL_SIGNATURE);
        assert_eq!(
            eku,
            ["2.5.29.37.0", "1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2"]
        );
        let (ku, eku) =
            key_usages_from_strings(&u(&["s/mime", "email protection", "cert sign"])).unwrap();
        assert_eq!((ku, eku), (KU_CERT_SIGN, vec!["1.3.6.1.5.5.7.3.4"]));
        assert_eq!(
            key_usages_from_strings(&u(&["foo", "client auth", "bar"])).unwrap_err(),
            r#"unrecognized usage values: ["foo" "bar"]"#
        );
    }
}
