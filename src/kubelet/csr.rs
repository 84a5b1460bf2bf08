//! What a kubelet puts in its certificate requests: keys from the seeded RNG, the usages by
//! key type, the deterministic bootstrap name, the serving template from node addresses, and
//! the PEM request itself.
//!
//! Upstream sources: `pkg/kubelet/certificate/bootstrap/bootstrap.go` (`digestedName`, the
//! bootstrap usages), `staging/src/k8s.io/client-go/util/certificate/certificate_manager.go`
//! (`GetUsages`), `pkg/kubelet/certificate/kubelet.go` (`addressesToHostnamesAndIPs`, the
//! serving template).
//!
//! Keys are deterministic: ECDSA P-256 scalars come from the `keys` RNG stream and requests are
//! signed with RFC 6979 (p256), so the same seed gives byte-identical CSRs. A key can also be
//! provided (PKCS#8 DER, RSA or ECDSA) — the model of an operator-provisioned
//! `kubelet-client.key.tmp`; upstream kubelets only ever generate ECDSA P-256 keys themselves.

use crate::auth::identity::{NODE_USER_PREFIX, SYSTEM_NODES};
use crate::auth::Identity;
use base64::Engine;
use sha2::{Digest, Sha512_256};
use std::net::IpAddr;

/// Prefix of the deterministic bootstrap CSR name (`bootstrap.go` `digestedName`).
pub const BOOTSTRAP_NAME_PREFIX: &str = "node-csr-";
/// Delimiter written after every hashed item; not in the base64url alphabet, so two inputs
/// cannot spill into each other (`'CN:foo,ORG:bar'` vs `'CN:foob,ORG:ar'`).
pub const NAME_DELIMITER: u8 = b'|';
/// `generateName` of the certificate manager's CSRs (client-go `csr.RequestCertificate`).
pub const ROTATION_GENERATE_NAME: &str = "csr-";

pub const DIGITAL_SIGNATURE: &str = "digital signature";
pub const KEY_ENCIPHERMENT: &str = "key encipherment";
pub const CLIENT_AUTH: &str = "client auth";
pub const SERVER_AUTH: &str = "server auth";

/// Which usage lists the kubelet sends.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum UsageMode {
    /// Newest: by key type — ECDSA `[digital signature, client auth]`, RSA adds
    /// `key encipherment` (appended at bootstrap, in the middle for the certificate manager).
    #[default]
    ByKeyType,
    /// Older releases: always the three-usage lists
    /// `[digital signature, key encipherment, client auth|server auth]`.
    Legacy,
}

/// Which certificate a request is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum CertKind {
    /// `kubernetes.io/kube-apiserver-client-kubelet`.
    Client,
    /// `kubernetes.io/kubelet-serving`.
    Serving,
}

impl CertKind {
    pub fn signer_name(self) -> &'static str {
        match self {
            CertKind::Client => crate::api::csr::KUBE_APISERVER_CLIENT_KUBELET,
            CertKind::Serving => crate::api::csr::KUBELET_SERVING,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            CertKind::Client => "client",
            CertKind::Serving => "serving",
        }
    }
}

/// Algorithm family of a key (all that the usage rules look at).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyAlg {
    EcdsaP256,
    Rsa,
}

/// Usages of the bootstrap request (`bootstrap.go`): `key encipherment` appended for RSA.
pub fn bootstrap_usages(alg: KeyAlg, mode: UsageMode) -> Vec<&'static str> {
    match (mode, alg) {
        (UsageMode::Legacy, _) => vec![DIGITAL_SIGNATURE, KEY_ENCIPHERMENT, CLIENT_AUTH],
        (UsageMode::ByKeyType, KeyAlg::EcdsaP256) => vec![DIGITAL_SIGNATURE, CLIENT_AUTH],
        (UsageMode::ByKeyType, KeyAlg::Rsa) => {
            vec![DIGITAL_SIGNATURE, CLIENT_AUTH, KEY_ENCIPHERMENT]
        }
    }
}

/// Usages of a certificate-manager request (`GetUsages`).
pub fn manager_usages(kind: CertKind, alg: KeyAlg, mode: UsageMode) -> Vec<&'static str> {
    let last = match kind {
        CertKind::Client => CLIENT_AUTH,
        CertKind::Serving => SERVER_AUTH,
    };
    match (mode, alg) {
        (UsageMode::ByKeyType, KeyAlg::EcdsaP256) => vec![DIGITAL_SIGNATURE, last],
        _ => vec![DIGITAL_SIGNATURE, KEY_ENCIPHERMENT, last],
    }
}

/// `digestedName`: `node-csr-` + base64url-no-pad(SHA-512/256 over, for each of the PKIX DER
/// public key, the CN, each O in order and each usage in order, base64url-no-pad(item) + `|`).
pub fn digested_name(spki_der: &[u8], cn: &str, orgs: &[&str], usages: &[&str]) -> String {
    let enc = &base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let mut h = Sha512_256::new();
    let mut write = |data: &[u8]| {
        h.update(enc.encode(data).as_bytes());
        h.update([NAME_DELIMITER]);
    };
    write(spki_der);
    write(cn.as_bytes());
    for o in orgs {
        write(o.as_bytes());
    }
    for u in usages {
        write(u.as_bytes());
    }
    format!("{BOOTSTRAP_NAME_PREFIX}{}", enc.encode(h.finalize()))
}

/// A private key the kubelet signs requests with.
pub enum Key {
    /// Deterministic P-256 (RFC 6979 signatures).
    Ecdsa(EcdsaKey),
    /// A provided PKCS#8 key (RSA or ECDSA), signed through rcgen/ring.
    Provided(Box<rcgen::KeyPair>),
}

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Key({:?})", self.alg())
    }
}

/// An ECDSA P-256 key usable as rcgen's signing key, with deterministic (RFC 6979)
/// signatures computed by the fast fixed-base code of [`crate::pki::fastkey`].
#[derive(Clone)]
pub struct EcdsaKey {
    k: crate::pki::fastkey::FastKey,
}

impl EcdsaKey {
    /// A key from 32 random bytes; `None` if they are not a valid scalar (zero or ≥ n).
    pub fn from_scalar(bytes: &[u8; 32]) -> Option<EcdsaKey> {
        crate::pki::fastkey::FastKey::from_scalar_bytes(bytes).map(|k| EcdsaKey { k })
    }

    /// A fresh key from the `keys` RNG stream of the cluster. It is remembered by
    /// [`crate::pki::own_keys`], so the API server verifies its CSRs through the scalar.
    pub fn generate(rngs: &mut crate::sim::rng::Rngs) -> EcdsaKey {
        loop {
            let mut b = [0u8; 32];
            rngs.fill("keys", &mut b);
            if let Some(k) = EcdsaKey::from_scalar(&b) {
                crate::pki::own_keys::remember(&k.k);
                return k;
            }
        }
    }
}

impl rcgen::PublicKeyData for EcdsaKey {
    fn der_bytes(&self) -> &[u8] {
        self.k.public_point()
    }
    fn algorithm(&self) -> &'static rcgen::SignatureAlgorithm {
        &rcgen::PKCS_ECDSA_P256_SHA256
    }
}

impl rcgen::SigningKey for EcdsaKey {
    fn sign(&self, msg: &[u8]) -> Result<Vec<u8>, rcgen::Error> {
        let (sig, k, r) = self.k.sign_with_nonce(msg);
        crate::pki::own_keys::remember_nonce(&self.k, k, r);
        Ok(sig)
    }
}

impl Key {
    /// A key from PKCS#8 DER (RSA or ECDSA P-256).
    pub fn from_pkcs8(der: &[u8]) -> Result<Key, String> {
        let pk = rustls_pki_types::PrivatePkcs8KeyDer::from(der);
        let kp = rcgen::KeyPair::from_pkcs8_der_and_sign_algo(&pk, &rcgen::PKCS_ECDSA_P256_SHA256)
            .or_else(|_| rcgen::KeyPair::from_pkcs8_der_and_sign_algo(&pk, &rcgen::PKCS_RSA_SHA256))
            .map_err(|e| e.to_string())?;
        Ok(Key::Provided(Box::new(kp)))
    }

    pub fn alg(&self) -> KeyAlg {
        match self {
            Key::Ecdsa(_) => KeyAlg::EcdsaP256,
            Key::Provided(kp) => {
                if kp.algorithm() == &rcgen::PKCS_ECDSA_P256_SHA256 {
                    KeyAlg::EcdsaP256
                } else {
                    KeyAlg::Rsa
                }
            }
        }
    }

    /// The PKIX (SubjectPublicKeyInfo) DER of the public key (`x509.MarshalPKIXPublicKey`).
    pub fn spki_der(&self) -> Vec<u8> {
        use rcgen::PublicKeyData;
        match self {
            Key::Ecdsa(k) => k.subject_public_key_info(),
            Key::Provided(k) => k.subject_public_key_info(),
        }
    }
}

/// Subject and SANs of a request (`x509.CertificateRequest` template).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Template {
    pub common_name: String,
    pub organizations: Vec<String>,
    pub dns_names: Vec<String>,
    pub ips: Vec<IpAddr>,
}

impl Template {
    /// `CN=system:node:<name>, O=[system:nodes]`, no SANs: the client template.
    pub fn client(node: &str) -> Template {
        Template {
            common_name: format!("{NODE_USER_PREFIX}{node}"),
            organizations: vec![SYSTEM_NODES.to_string()],
            ..Default::default()
        }
    }

    /// `certSatisfiesTemplate`: same CN, and every template O, DNS name and IP present in the
    /// certificate (extra ones in the certificate are fine).
    pub fn satisfied_by(&self, cert: &CertInfo) -> bool {
        cert.common_name == self.common_name
            && self
                .organizations
                .iter()
                .all(|o| cert.organizations.contains(o))
            && self.dns_names.iter().all(|d| cert.dns_names.contains(d))
            && self.ips.iter().all(|i| cert.ips.contains(i))
    }
}

/// `v1.NodeAddressType`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum AddressType {
    Hostname,
    ExternalIP,
    InternalIP,
    ExternalDNS,
    InternalDNS,
}

/// One entry of `node.status.addresses`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct NodeAddress {
    pub type_: AddressType,
    pub address: String,
}

impl NodeAddress {
    pub fn new(type_: AddressType, address: &str) -> NodeAddress {
        NodeAddress {
            type_,
            address: address.to_string(),
        }
    }
}

/// The serving template (`pkg/kubelet/certificate/kubelet.go`): SANs from the node's
/// addresses — Hostname → IP SAN if it parses as an IP else DNS SAN; External/InternalIP →
/// IP SAN when parseable; External/InternalDNS → DNS SAN; empty addresses skipped;
/// de-duplicated; DNS names sorted, IPs sorted by string form. No template (no CSR) unless
/// there is an IP SAN, or a DNS name when `allow_dns_only` (`AllowDNSOnlyNodeCSR`, default off).
pub fn serving_template(
    node: &str,
    addresses: &[NodeAddress],
    allow_dns_only: bool,
) -> Option<Template> {
    let mut dns: Vec<String> = Vec::new();
    let mut ips: Vec<IpAddr> = Vec::new();
    for a in addresses {
        if a.address.is_empty() {
            continue;
        }
        let ip = a.address.parse::<IpAddr>().ok();
        match a.type_ {
            AddressType::Hostname => match ip {
                Some(ip) => ips.push(ip),
                None => dns.push(a.address.clone()),
            },
            AddressType::ExternalIP | AddressType::InternalIP => {
                if let Some(ip) = ip {
                    ips.push(ip);
                }
            }
            AddressType::ExternalDNS | AddressType::InternalDNS => dns.push(a.address.clone()),
        }
    }
    dns.sort();
    dns.dedup();
    let mut ip_strs: Vec<(String, IpAddr)> = ips.into_iter().map(|i| (i.to_string(), i)).collect();
    ip_strs.sort();
    ip_strs.dedup();
    let ips: Vec<IpAddr> = ip_strs.into_iter().map(|(_, i)| i).collect();
    let dns_ok = allow_dns_only && !dns.is_empty();
    if ips.is_empty() && !dns_ok {
        return None;
    }
    Some(Template {
        common_name: format!("{NODE_USER_PREFIX}{node}"),
        organizations: vec![SYSTEM_NODES.to_string()],
        dns_names: dns,
        ips,
    })
}

/// The PEM `CERTIFICATE REQUEST` for a template, signed by `key`. Subject written as Go does:
/// O before CN; SANs DNS first, then IPs.
pub fn request_pem(t: &Template, key: &Key) -> Result<String, String> {
    if let Key::Ecdsa(k) = key {
        if let Some(der) = ecdsa_request_der(t, k) {
            return Ok(crate::pki::gopem::encode("CERTIFICATE REQUEST", &der));
        }
    }
    rcgen_request_pem(t, key)
}

/// The request of a deterministic key, written by [`crate::pki::csr::request_der`] with the
/// name as rcgen writes it (UTF8String values): the same bytes as rcgen
/// (`request_der_equals_rcgen`), without its DER writer's per-node allocations (3–4 % of a
/// fleet run). `None` (rcgen's path, with its error) for a DNS name that is not an IA5String.
fn ecdsa_request_der(t: &Template, key: &EcdsaKey) -> Option<Vec<u8>> {
    use crate::pki::csr::{OID_COMMON_NAME, OID_EC, OID_ORGANIZATION, OID_P256};
    use crate::pki::der::{self, seq, tlv};
    if !t.dns_names.iter().all(|d| d.is_ascii()) {
        return None;
    }
    let rdn = |oid: &str, value: &str| {
        let attr = seq(&[&der::oid(oid), &tlv(der::UTF8_STRING, value.as_bytes())]);
        tlv(der::SET, &attr)
    };
    let mut name = Vec::new();
    // rcgen keeps one value per attribute type; kubelet templates have exactly one O.
    if let Some(o) = t.organizations.first() {
        name.extend(rdn(OID_ORGANIZATION, o));
    }
    name.extend(rdn(OID_COMMON_NAME, &t.common_name));
    let algorithm = seq(&[&der::oid(OID_EC), &der::oid(OID_P256)]);
    let spki = seq(&[&algorithm, &der::bit_string(0, key.k.public_point())]);
    let name = tlv(der::SEQUENCE, &name);
    Some(crate::pki::csr::request_der(
        &name,
        &spki,
        &t.dns_names,
        &t.ips,
        |info| {
            let (sig, k, r) = key.k.sign_with_nonce(info);
            crate::pki::own_keys::remember_nonce(&key.k, k, r);
            sig
        },
    ))
}

/// The request through rcgen (provided keys, and names our writer leaves to it).
fn rcgen_request_pem(t: &Template, key: &Key) -> Result<String, String> {
    use rcgen::{CertificateParams, DnType, SanType};
    let mut p = CertificateParams::default();
    p.distinguished_name = rcgen::DistinguishedName::new();
    // rcgen keeps one value per attribute type; kubelet templates have exactly one O.
    if let Some(o) = t.organizations.first() {
        p.distinguished_name
            .push(DnType::OrganizationName, o.as_str());
    }
    p.distinguished_name
        .push(DnType::CommonName, t.common_name.as_str());
    for d in &t.dns_names {
        let name = rcgen::string::Ia5String::try_from(d.as_str()).map_err(|e| e.to_string())?;
        p.subject_alt_names.push(SanType::DnsName(name));
    }
    for ip in &t.ips {
        p.subject_alt_names.push(SanType::IpAddress(*ip));
    }
    let req = match key {
        Key::Ecdsa(k) => p.serialize_request(k),
        Key::Provided(k) => p.serialize_request(k.as_ref()),
    }
    .map_err(|e| e.to_string())?;
    req.pem().map_err(|e| e.to_string())
}

/// What the kubelet reads from an issued certificate (the shared parse of it).
pub type CertInfo = crate::pki::cert_facts::CertFacts;

impl CertInfo {
    /// The identity the apiserver's x509 authenticator derives from this certificate:
    /// user = CN, groups = O values (+ `system:authenticated`).
    pub fn identity(&self) -> Identity {
        let groups: Vec<&str> = self.organizations.iter().map(|s| s.as_str()).collect();
        Identity::user(&self.common_name, &groups)
    }

    /// Valid at `now` (seconds): `NotBefore <= now <= NotAfter` as Go's verifier checks.
    pub fn valid_at(&self, now_secs: i64) -> bool {
        self.not_before.unix() <= now_secs && now_secs <= self.not_after.unix()
    }

    /// `isClientConfigStillValid`/`Current()`: expired once `now > NotAfter`.
    pub fn expired_at(&self, now_secs: i64) -> bool {
        now_secs > self.not_after.unix()
    }
}

/// Parse the first certificate of `status.certificate` (PEM, possibly a chain).
pub fn parse_issued(pem: &[u8]) -> Result<CertInfo, String> {
    let (block, _) = crate::pki::gopem::decode(pem).ok_or("no PEM data found")?;
    if block.type_ != "CERTIFICATE" {
        return Err(format!("unexpected PEM block type {:?}", block.type_));
    }
    let (cert, _) = crate::pki::cert_facts::parse_first(&block.bytes)
        .map_err(|e| format!("unable to parse certificate: {e}"))?;
    Ok((*cert).clone())
}

/// Subject CN/O and PKIX public key of a PEM request (for `ensureCompatible`).
pub fn request_subject_and_key(pem: &[u8]) -> Result<(String, Vec<String>, Vec<u8>), String> {
    use x509_parser::prelude::*;
    let (block, _) =
        crate::pki::gopem::decode(pem).ok_or("PEM block type must be CERTIFICATE REQUEST")?;
    if block.type_ != "CERTIFICATE REQUEST" {
        return Err("PEM block type must be CERTIFICATE REQUEST".into());
    }
    let (_, req) = X509CertificationRequest::from_der(&block.bytes).map_err(|e| e.to_string())?;
    req.verify_signature().map_err(|e| format!("{e:?}"))?;
    let info = &req.certification_request_info;
    let cn = info
        .subject
        .iter_common_name()
        .next()
        .and_then(|a| a.as_str().ok())
        .unwrap_or("")
        .to_string();
    let orgs = info
        .subject
        .iter_organization()
        .filter_map(|a| a.as_str().ok())
        .map(|s| s.to_string())
        .collect();
    Ok((cn, orgs, info.subject_pki.raw.to_vec()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(seed: u64) -> Key {
        let mut r = crate::sim::rng::Rngs::new(seed);
        Key::Ecdsa(EcdsaKey::generate(&mut r))
    }

    #[test]
    fn sha512_256_is_the_truncated_variant_not_a_prefix_of_sha512() {
        // FIPS 180-4 SHA-512/256("abc").
        let d = Sha512_256::digest(b"abc");
        let hex: String = d.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(
            hex,
            "53048e2681941ef99b2e29b76b4c7dabe4c2d0c634fc6d46e0e2f13107e7af23"
        );
    }

    #[test]
    fn digested_name_matches_a_hand_computed_stream() {
        // The hash input is each item base64url-no-pad encoded and followed by '|'.
        let spki = [0x30u8, 0x01, 0xff];
        let name = digested_name(
            &spki,
            "system:node:n1",
            &["system:nodes"],
            &["digital signature", "client auth"],
        );
        let enc = &base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let mut stream = Vec::new();
        for item in [
            &spki[..],
            b"system:node:n1",
            b"system:nodes",
            b"digital signature",
            b"client auth",
        ] {
            stream.extend_from_slice(enc.encode(item).as_bytes());
            stream.push(b'|');
        }
        let want = format!("node-csr-{}", enc.encode(Sha512_256::digest(&stream)));
        assert_eq!(name, want);
        assert_eq!(name.len(), 52, "9-char prefix + 43 chars of digest");
        assert!(name[9..]
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
    }

    #[test]
    fn digested_name_separates_items_and_depends_on_every_input() {
        let spki = key(1).spki_der();
        let base = digested_name(&spki, "system:node:foo", &["bar"], &["client auth"]);
        // 'CN:foo,O:bar' vs 'CN:foob,O:ar' differ thanks to the delimiter.
        assert_ne!(
            base,
            digested_name(&spki, "system:node:foob", &["ar"], &["client auth"])
        );
        assert_ne!(
            base,
            digested_name(
                &key(2).spki_der(),
                "system:node:foo",
                &["bar"],
                &["client auth"]
            )
        );
        assert_ne!(
            base,
            digested_name(
                &spki,
                "system:node:foo",
                &["bar"],
                &["digital signature", "client auth"]
            )
        );
        // Same inputs, same name: the bootstrap retries reuse it.
        assert_eq!(
            base,
            digested_name(&spki, "system:node:foo", &["bar"], &["client auth"])
        );
    }

    #[test]
    fn usages_by_key_type_and_legacy_lists() {
        use CertKind::*;
        use KeyAlg::*;
        use UsageMode::*;
        let rows: Vec<(&str, Vec<&str>, Vec<&str>)> = vec![
            // bootstrap.go (newest): ECDSA two usages, RSA appends key encipherment.
            (
                "bootstrap ecdsa",
                bootstrap_usages(EcdsaP256, ByKeyType),
                vec!["digital signature", "client auth"],
            ),
            (
                "bootstrap rsa",
                bootstrap_usages(Rsa, ByKeyType),
                vec!["digital signature", "client auth", "key encipherment"],
            ),
            (
                "bootstrap legacy",
                bootstrap_usages(EcdsaP256, Legacy),
                vec!["digital signature", "key encipherment", "client auth"],
            ),
            // certificate_manager.go GetUsages.
            (
                "client ecdsa",
                manager_usages(Client, EcdsaP256, ByKeyType),
                vec!["digital signature", "client auth"],
            ),
            (
                "client rsa",
                manager_usages(Client, Rsa, ByKeyType),
                vec!["digital signature", "key encipherment", "client auth"],
            ),
            (
                "serving ecdsa",
                manager_usages(Serving, EcdsaP256, ByKeyType),
                vec!["digital signature", "server auth"],
            ),
            (
                "serving rsa",
                manager_usages(Serving, Rsa, ByKeyType),
                vec!["digital signature", "key encipherment", "server auth"],
            ),
            (
                "client legacy",
                manager_usages(Client, EcdsaP256, Legacy),
                vec!["digital signature", "key encipherment", "client auth"],
            ),
            (
                "serving legacy",
                manager_usages(Serving, EcdsaP256, Legacy),
                vec!["digital signature", "key encipherment", "server auth"],
            ),
        ];
        for (case, got, want) in rows {
            assert_eq!(got, want, "{case}");
        }
    }

    #[test]
    fn serving_template_from_addresses() {
        use AddressType::*;
        let a = |t, s: &str| NodeAddress::new(t, s);
        let t = serving_template(
            "n1",
            &[
                a(Hostname, "n1.example"),
                a(InternalIP, "10.0.0.9"),
                a(ExternalIP, "192.168.1.1"),
                a(InternalIP, "10.0.0.9"),
                a(ExternalIP, "not-an-ip"),
                a(InternalDNS, "a.internal"),
                a(ExternalDNS, ""),
                a(Hostname, "10.0.0.10"),
            ],
            false,
        )
        .unwrap();
        assert_eq!(t.common_name, "system:node:n1");
        assert_eq!(t.organizations, vec!["system:nodes"]);
        assert_eq!(t.dns_names, vec!["a.internal", "n1.example"]);
        let ips: Vec<String> = t.ips.iter().map(|i| i.to_string()).collect();
        // Sorted by string form: "10.0.0.10" < "10.0.0.9" < "192.168.1.1".
        assert_eq!(ips, vec!["10.0.0.10", "10.0.0.9", "192.168.1.1"]);
        // DNS only: no template unless AllowDNSOnlyNodeCSR.
        let dns_only = [a(Hostname, "n1.example")];
        assert!(serving_template("n1", &dns_only, false).is_none());
        assert_eq!(
            serving_template("n1", &dns_only, true).unwrap().dns_names,
            vec!["n1.example"]
        );
        assert!(serving_template("n1", &[], true).is_none());
    }

    /// Our writer's requests are rcgen's, byte for byte: client and serving templates,
    /// IPv4 and IPv6 SANs, names long enough for multi-byte lengths.
    #[test]
    fn request_der_equals_rcgen() {
        let long = "n".repeat(200);
        let templates = [
            Template::client("n1"),
            Template::client(&long),
            Template {
                dns_names: vec!["n1.example".into()],
                ..Template::client("n1")
            },
            Template {
                ips: vec!["10.0.0.1".parse().unwrap()],
                ..Template::client("n2")
            },
            Template {
                dns_names: vec!["a.internal".into(), long.clone(), "n1.example".into()],
                ips: vec![
                    "10.0.0.10".parse().unwrap(),
                    "192.168.1.1".parse().unwrap(),
                    "fd00::1".parse().unwrap(),
                ],
                ..Template::client("n3")
            },
            Template {
                organizations: vec![],
                ..Template::client("no-org")
            },
        ];
        for (i, t) in templates.iter().enumerate() {
            let k = key(40 + i as u64);
            let ours = request_pem(t, &k).unwrap();
            assert_eq!(ours, rcgen_request_pem(t, &k).unwrap(), "template {i}");
        }
        // A DNS name rcgen refuses still gets rcgen's error.
        let t = Template {
            dns_names: vec!["nö.example".into()],
            ..Template::client("n4")
        };
        assert!(request_pem(&t, &key(50)).is_err());
    }

    #[test]
    fn requests_are_deterministic_and_parse_back() {
        let t = Template {
            dns_names: vec!["n1.example".into()],
            ips: vec!["10.0.0.1".parse().unwrap()],
            ..Template::client("n1")
        };
        let a = request_pem(&t, &key(7)).unwrap();
        let b = request_pem(&t, &key(7)).unwrap();
        assert_eq!(a, b, "same seed, same bytes (RFC 6979)");
        assert_ne!(a, request_pem(&t, &key(8)).unwrap());
        let (cn, orgs, spki) = request_subject_and_key(a.as_bytes()).unwrap();
        assert_eq!(cn, "system:node:n1");
        assert_eq!(orgs, vec!["system:nodes"]);
        assert_eq!(spki, key(7).spki_der());
        let p = crate::controller::approver::parse_request(a.as_bytes()).unwrap();
        assert!(p.has_sans);
    }

    #[test]
    fn template_satisfaction() {
        let cert = CertInfo {
            not_before: crate::api::Time(0),
            not_after: crate::api::Time(10),
            common_name: "system:node:n1".into(),
            organizations: vec!["system:nodes".into(), "extra".into()],
            dns_names: vec!["a".into(), "b".into()],
            ips: vec!["10.0.0.1".parse().unwrap()],
            serial: String::new(),
        };
        let mut t = Template::client("n1");
        assert!(t.satisfied_by(&cert), "extra O in the cert is fine");
        t.dns_names = vec!["a".into()];
        assert!(t.satisfied_by(&cert));
        t.dns_names = vec!["c".into()];
        assert!(!t.satisfied_by(&cert), "a new DNS name forces rotation");
        assert!(!Template::client("n2").satisfied_by(&cert), "CN differs");
        assert!(cert.valid_at(10) && !cert.expired_at(10) && cert.expired_at(11));
        assert_eq!(
            cert.identity(),
            Identity::user("system:node:n1", &["system:nodes", "extra"])
        );
    }
}
