//! TLS for `csrsim serve`: the cluster CA as TLS material (the core's `Pki` CA, through
//! [`ClusterCa::from_pem`]; [`cluster_ca`] makes a standalone one for unit tests), the serving
//! certificate, the admin client certificate, and per-request client-certificate checks.
//!
//! Client certificates are *requested* but never required or judged during the handshake: the
//! verifier accepts any chain, and [`verify_client_cert`] checks it per request against the
//! cluster CA and the *virtual* clock, so an untrusted or expired certificate yields a 401
//! Status instead of a handshake abort (kube-apiserver's x509 authenticator behaves the same
//! way from the client's point of view).

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose, SanType,
};
use rustls::client::danger::HandshakeSignatureValid;
use rustls::crypto::CryptoProvider;
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{DigitallySignedStruct, DistinguishedName as TlsDn, SignatureScheme};
use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, UnixTime};
use std::path::Path;
use std::sync::Arc;

/// Common name of the cluster CA (kubeadm's `kubernetes` CA).
pub const CA_COMMON_NAME: &str = "kubernetes";
/// Fixed validity window of the CA, serving and admin certificates: from a date before any
/// wall clock this runs on until long after the default virtual start (2030-01-01), so both
/// clients (wall clock) and the simulation (virtual clock) accept them.
pub const NOT_BEFORE: (i32, u8, u8) = (2020, 1, 1);
pub const NOT_AFTER: (i32, u8, u8) = (2099, 12, 31);
/// kubeadm's admin user: CN and O of admin.conf's client certificate.
pub const ADMIN_USER: &str = "kubernetes-admin";
pub const ADMIN_GROUP: &str = "system:masters";

/// The cluster CA: certificate (PEM and DER) and its signing key.
pub struct ClusterCa {
    pub cert_pem: String,
    pub cert_der: Vec<u8>,
    pub key_pem: String,
    key: KeyPair,
}

fn window(p: &mut CertificateParams) {
    p.not_before = rcgen::date_time_ymd(NOT_BEFORE.0, NOT_BEFORE.1, NOT_BEFORE.2);
    p.not_after = rcgen::date_time_ymd(NOT_AFTER.0, NOT_AFTER.1, NOT_AFTER.2);
}

#[allow(clippy::disallowed_methods)] // edge: key material for the serving side
fn fresh_key() -> Result<KeyPair, String> {
    KeyPair::generate().map_err(|e| format!("key generation: {e}"))
}

fn ca_params() -> CertificateParams {
    let mut p = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, CA_COMMON_NAME);
    p.distinguished_name = dn;
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    p.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyEncipherment,
        KeyUsagePurpose::KeyCertSign,
    ];
    window(&mut p);
    p
}

/// A standalone CA (random key). `csrsim serve` uses the core's `cluster.pki()` CA through
/// [`ClusterCa::from_pem`]; this one serves unit tests (e.g. a foreign CA whose certificates
/// must be refused). With a directory it is created once and reloaded from `ca.crt` /
/// `ca.key` afterwards.
pub fn cluster_ca(dir: Option<&Path>) -> Result<ClusterCa, String> {
    if let Some(d) = dir {
        let (crt, key) = (d.join("ca.crt"), d.join("ca.key"));
        if crt.exists() && key.exists() {
            let cert_pem =
                std::fs::read_to_string(&crt).map_err(|e| format!("{}: {e}", crt.display()))?;
            let key_pem =
                std::fs::read_to_string(&key).map_err(|e| format!("{}: {e}", key.display()))?;
            let kp = KeyPair::from_pem(&key_pem).map_err(|e| format!("{}: {e}", key.display()))?;
            let der = pem_to_der(&cert_pem)
                .ok_or_else(|| format!("{}: no CERTIFICATE block", crt.display()))?;
            return Ok(ClusterCa {
                cert_pem,
                cert_der: der,
                key_pem,
                key: kp,
            });
        }
    }
    let key = fresh_key()?;
    let cert = ca_params()
        .self_signed(&key)
        .map_err(|e| format!("CA: {e}"))?;
    let ca = ClusterCa {
        cert_pem: cert.pem(),
        cert_der: cert.der().to_vec(),
        key_pem: key.serialize_pem(),
        key,
    };
    if let Some(d) = dir {
        std::fs::create_dir_all(d).map_err(|e| format!("{}: {e}", d.display()))?;
        write_private(&d.join("ca.key"), &ca.key_pem)?;
        std::fs::write(d.join("ca.crt"), &ca.cert_pem).map_err(|e| format!("ca.crt: {e}"))?;
    }
    Ok(ca)
}

/// Write a private key with mode 0600.
pub fn write_private(path: &Path, text: &str) -> Result<(), String> {
    std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600));
    }
    Ok(())
}

/// First `CERTIFICATE` block of a PEM text, as DER.
pub fn pem_to_der(pem: &str) -> Option<Vec<u8>> {
    let (block, _) = crate::pki::gopem::decode(pem.as_bytes())?;
    (block.type_ == "CERTIFICATE").then_some(block.bytes)
}

/// A leaf certificate and its key (PEM), issued by the cluster CA.
pub struct Leaf {
    pub cert_pem: String,
    pub cert_der: Vec<u8>,
    pub key_pem: String,
    pub key_der: Vec<u8>,
}

impl ClusterCa {
    /// An existing CA from its certificate and PKCS#8 key (PEM) — e.g. the core's `Pki` CA,
    /// so that one CA signs for the built-in signers, the serving and the admin certificates.
    pub fn from_pem(cert_pem: &str, key_pem: &str) -> Result<ClusterCa, String> {
        let key = KeyPair::from_pem(key_pem).map_err(|e| format!("CA key: {e}"))?;
        let cert_der = pem_to_der(cert_pem).ok_or("CA certificate: no CERTIFICATE block")?;
        Ok(ClusterCa {
            cert_pem: cert_pem.to_string(),
            cert_der,
            key_pem: key_pem.to_string(),
            key,
        })
    }

    fn issue(&self, params: CertificateParams) -> Result<Leaf, String> {
        let key = fresh_key()?;
        let issuer =
            Issuer::from_ca_cert_der(&CertificateDer::from(self.cert_der.clone()), &self.key)
                .map_err(|e| format!("CA: {e}"))?;
        let cert = params
            .signed_by(&key, &issuer)
            .map_err(|e| format!("issue: {e}"))?;
        Ok(Leaf {
            cert_pem: cert.pem(),
            cert_der: cert.der().to_vec(),
            key_pem: key.serialize_pem(),
            key_der: key.serialize_der(),
        })
    }

    /// The API serving certificate: SANs `127.0.0.1`, `::1`, `localhost` (+ `kubernetes`).
    pub fn serving_cert(&self) -> Result<Leaf, String> {
        let mut p = CertificateParams::new(vec!["localhost".to_string(), "kubernetes".to_string()])
            .map_err(|e| e.to_string())?;
        p.subject_alt_names
            .push(SanType::IpAddress(std::net::IpAddr::from([127, 0, 0, 1])));
        p.subject_alt_names
            .push(SanType::IpAddress(std::net::IpAddr::from(
                std::net::Ipv6Addr::LOCALHOST,
            )));
        let mut dn = DistinguishedName::new();
        dn.push(DnType::CommonName, "kube-apiserver");
        p.distinguished_name = dn;
        p.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::KeyEncipherment,
        ];
        p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        window(&mut p);
        self.issue(p)
    }

    /// A client certificate (CN = user, O = the group if any), as kubeadm issues admin.conf's.
    pub fn client_cert(&self, user: &str, group: Option<&str>) -> Result<Leaf, String> {
        let mut p = CertificateParams::default();
        let mut dn = DistinguishedName::new();
        // One O at most: rcgen's `DistinguishedName` keeps one value per attribute type.
        if let Some(g) = group {
            dn.push(DnType::OrganizationName, g);
        }
        dn.push(DnType::CommonName, user);
        p.distinguished_name = dn;
        p.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::KeyEncipherment,
        ];
        p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        window(&mut p);
        self.issue(p)
    }
}

/// Requests a client certificate, accepts whatever is presented; judged per request.
#[derive(Debug)]
struct DeferredClientAuth {
    provider: Arc<CryptoProvider>,
}

impl DeferredClientAuth {
    /// Proof that the client holds the certificate's key. The key is taken from the SPKI as
    /// x509-parser reads it, so X.509 v1 certificates (what `openssl x509 -req` makes without
    /// extensions) work too; webpki would refuse those during the handshake. A certificate
    /// that cannot be parsed at all is let through here and refused per request (401).
    fn verify_possession(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        use x509_parser::prelude::FromDer;
        let Ok((_, parsed)) = x509_parser::certificate::X509Certificate::from_der(cert.as_ref())
        else {
            return Ok(HandshakeSignatureValid::assertion());
        };
        let spki =
            rustls_pki_types::SubjectPublicKeyInfoDer::from(parsed.tbs_certificate.subject_pki.raw);
        let bad = || rustls::Error::InvalidCertificate(rustls::CertificateError::BadSignature);
        let key = webpki::RawPublicKeyEntity::try_from(&spki).map_err(|_| bad())?;
        let algs = self
            .provider
            .signature_verification_algorithms
            .mapping
            .iter()
            .find(|(s, _)| *s == dss.scheme)
            .map(|(_, a)| *a)
            .unwrap_or(&[]);
        for alg in algs {
            if key.verify_signature(*alg, message, dss.signature()).is_ok() {
                return Ok(HandshakeSignatureValid::assertion());
            }
        }
        Err(bad())
    }
}

impl ClientCertVerifier for DeferredClientAuth {
    fn offer_client_auth(&self) -> bool {
        true
    }
    fn client_auth_mandatory(&self) -> bool {
        false
    }
    fn root_hint_subjects(&self) -> &[TlsDn] {
        // No hints: Go clients then send their certificate whatever CA issued it.
        &[]
    }
    fn verify_client_cert(
        &self,
        _end: &CertificateDer<'_>,
        _im: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        Ok(ClientCertVerified::assertion())
    }
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.verify_possession(message, cert, dss)
    }
    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.verify_possession(message, cert, dss)
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// The cipher suites in Go's `crypto/tls` preference order (`defaultCipherSuitesTLS13`, then
/// `cipherSuitesPreferenceOrder` for TLS 1.2), which kube-apiserver serves with by default:
/// AES-128-GCM first. Since Go 1.17 a Go server picks by its own order, not the client's,
/// so a Python (OpenSSL) or rustls client that lists AES-256-GCM first still gets AES-128-GCM.
/// (Go puts ChaCha20 first for a client whose first choice is ChaCha20 — a client without AES
/// hardware; rustls has no such rule, so such a client gets AES-128-GCM here.)
const GO_CIPHER_SUITE_ORDER: [rustls::CipherSuite; 9] = [
    rustls::CipherSuite::TLS13_AES_128_GCM_SHA256,
    rustls::CipherSuite::TLS13_AES_256_GCM_SHA384,
    rustls::CipherSuite::TLS13_CHACHA20_POLY1305_SHA256,
    rustls::CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
    rustls::CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
    rustls::CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
    rustls::CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
    rustls::CipherSuite::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
    rustls::CipherSuite::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
];

/// ring's provider with its suites in Go's order (every suite ring has appears in the list).
fn go_ordered_provider() -> CryptoProvider {
    let mut provider = rustls::crypto::ring::default_provider();
    provider.cipher_suites.sort_by_key(|s| {
        GO_CIPHER_SUITE_ORDER
            .iter()
            .position(|&c| c == s.suite())
            .unwrap_or(GO_CIPHER_SUITE_ORDER.len())
    });
    provider
}

/// rustls server configuration: ring provider, ALPN h2 + http/1.1, optional client certs,
/// cipher suites chosen as a Go server chooses them.
pub fn server_config(serving: &Leaf, ca_der: &[u8]) -> Result<rustls::ServerConfig, String> {
    let provider = Arc::new(go_ordered_provider());
    let chain = vec![
        CertificateDer::from(serving.cert_der.clone()),
        CertificateDer::from(ca_der.to_vec()),
    ];
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(serving.key_der.clone()));
    let mut cfg = rustls::ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_client_cert_verifier(Arc::new(DeferredClientAuth { provider }))
        .with_single_cert(chain, key)
        .map_err(|e| format!("serving certificate: {e}"))?;
    cfg.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    cfg.ignore_client_order = true;
    Ok(cfg)
}

/// What an accepted client certificate says: CN and every O.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertSubject {
    pub common_name: String,
    pub organizations: Vec<String>,
}

/// Check a presented client certificate as the x509 authenticator does: signed by the cluster
/// CA, valid at virtual time `now_secs`, usable for client auth. `Err` carries the reason for
/// the log; the client only ever sees 401.
pub fn verify_client_cert(
    leaf_der: &[u8],
    ca_der: &[u8],
    now_secs: i64,
) -> Result<CertSubject, String> {
    let checked = checked_cert(leaf_der, ca_der);
    let c = checked.as_ref().as_ref().map_err(|e| e.clone())?;
    c.judge(now_secs).cloned()
}

impl CheckedCert {
    pub fn subject(&self) -> &CertSubject {
        &self.subject
    }

    /// The per-request part of [`verify_client_cert`]: the validity window at virtual time
    /// `now_secs`, then the client-auth usage.
    pub fn judge(&self, now_secs: i64) -> Result<&CertSubject, String> {
        let c = self;
        if now_secs < c.not_before || now_secs > c.not_after {
            return Err(format!(
            "x509: certificate has expired or is not yet valid: current time {} is outside [{}, {}]",
            crate::api::Time(now_secs),
            c.not_before,
            c.not_after
        ));
        }
        if !c.client_auth {
            return Err("x509: certificate specifies an incompatible key usage".into());
        }
        Ok(&c.subject)
    }
}

/// What a (leaf, CA) pair says independently of the time: the parse, issuer and signature
/// checks (in the authenticator's order), the validity window and the client-auth usage.
pub struct CheckedCert {
    subject: CertSubject,
    not_before: i64,
    not_after: i64,
    client_auth: bool,
}

/// Distinct (leaf, CA) pairs remembered; the cache is emptied when it is full.
const CERT_CACHE_ENTRIES: usize = 4096;

pub type CheckedResult = std::sync::Arc<Result<CheckedCert, String>>;

/// The time-independent checks of a client certificate, computed once per (leaf, CA) bytes:
/// every request on a connection presents the same certificate, and parsing it and checking
/// its signature cost more than the rest of authentication.
pub fn checked_cert(leaf_der: &[u8], ca_der: &[u8]) -> CheckedResult {
    static CACHE: std::sync::Mutex<std::collections::BTreeMap<Vec<u8>, CheckedResult>> =
        std::sync::Mutex::new(std::collections::BTreeMap::new());
    let mut key = Vec::with_capacity(leaf_der.len() + ca_der.len() + 8);
    key.extend_from_slice(&(leaf_der.len() as u64).to_be_bytes());
    key.extend_from_slice(leaf_der);
    key.extend_from_slice(ca_der);
    if let Some(hit) = CACHE.lock().unwrap_or_else(|p| p.into_inner()).get(&key) {
        return hit.clone();
    }
    let fresh = std::sync::Arc::new(check_cert(leaf_der, ca_der));
    let mut cache = CACHE.lock().unwrap_or_else(|p| p.into_inner());
    if cache.len() >= CERT_CACHE_ENTRIES {
        cache.clear();
    }
    cache.insert(key, fresh.clone());
    fresh
}

/// The user and groups the x509 authenticator reads: Go's `pkix.Name` (the last CN, every
/// string O in order; see [`crate::pki::cert_facts::cn_and_orgs`]).
fn go_subject(name: &x509_parser::x509::X509Name) -> CertSubject {
    let (common_name, organizations) = crate::pki::cert_facts::cn_and_orgs(name);
    CertSubject {
        common_name,
        organizations,
    }
}

fn check_cert(leaf_der: &[u8], ca_der: &[u8]) -> Result<CheckedCert, String> {
    use x509_parser::prelude::*;
    let (_, leaf) =
        X509Certificate::from_der(leaf_der).map_err(|e| format!("unparseable certificate: {e}"))?;
    let (_, ca) = X509Certificate::from_der(ca_der).map_err(|e| format!("unparseable CA: {e}"))?;
    if leaf.issuer() != ca.subject() {
        return Err("x509: certificate signed by unknown authority".into());
    }
    leaf.verify_signature(Some(ca.public_key()))
        .map_err(|_| "x509: certificate signed by unknown authority".to_string())?;
    let client_auth = match leaf.extended_key_usage() {
        Ok(Some(eku)) => eku.value.any || eku.value.client_auth,
        _ => true,
    };
    let subject = go_subject(leaf.subject());
    Ok(CheckedCert {
        subject,
        not_before: leaf.validity().not_before.timestamp(),
        not_after: leaf.validity().not_after.timestamp(),
        client_auth,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Handshakes in memory with a client that lists `client_suites` in its order; returns
    /// the suite the server chose.
    fn negotiated_suite(client_suites: &[rustls::CipherSuite]) -> rustls::CipherSuite {
        let ca = cluster_ca(None).unwrap();
        let server_cfg = server_config(&ca.serving_cert().unwrap(), &ca.cert_der).unwrap();
        let mut client_provider = rustls::crypto::ring::default_provider();
        client_provider.cipher_suites = client_suites
            .iter()
            .map(|want| {
                *client_provider
                    .cipher_suites
                    .iter()
                    .find(|s| s.suite() == *want)
                    .unwrap()
            })
            .collect();
        let mut roots = rustls::RootCertStore::empty();
        roots
            .add(CertificateDer::from(ca.cert_der.clone()))
            .unwrap();
        let client_cfg = rustls::ClientConfig::builder_with_provider(Arc::new(client_provider))
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
        let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
        let mut client = rustls::ClientConnection::new(Arc::new(client_cfg), name).unwrap();
        let mut server = rustls::ServerConnection::new(Arc::new(server_cfg)).unwrap();
        for _ in 0..10 {
            let mut buf = Vec::new();
            client.write_tls(&mut buf).unwrap();
            server.read_tls(&mut &buf[..]).unwrap();
            server.process_new_packets().unwrap();
            let mut buf = Vec::new();
            server.write_tls(&mut buf).unwrap();
            client.read_tls(&mut &buf[..]).unwrap();
            client.process_new_packets().unwrap();
            if !client.is_handshaking() && !server.is_handshaking() {
                break;
            }
        }
        server.negotiated_cipher_suite().unwrap().suite()
    }

    /// A Go server (kube-apiserver) picks by its own order: AES-128-GCM even for a client that
    /// prefers AES-256-GCM (OpenSSL's, and so Python's, default order); the client's list still
    /// limits the choice.
    #[test]
    fn cipher_suite_is_chosen_in_gos_order() {
        use rustls::CipherSuite::*;
        assert_eq!(
            negotiated_suite(&[
                TLS13_AES_256_GCM_SHA384,
                TLS13_CHACHA20_POLY1305_SHA256,
                TLS13_AES_128_GCM_SHA256
            ]),
            TLS13_AES_128_GCM_SHA256
        );
        assert_eq!(
            negotiated_suite(&[TLS13_CHACHA20_POLY1305_SHA256, TLS13_AES_256_GCM_SHA384]),
            TLS13_AES_256_GCM_SHA384
        );
        assert_eq!(
            negotiated_suite(&[
                TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
                TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256
            ]),
            TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256
        );
    }

    #[test]
    fn admin_cert_verifies_inside_window_only() {
        let ca = cluster_ca(None).unwrap();
        let leaf = ca
            .client_cert("kubernetes-admin", Some("system:masters"))
            .unwrap();
        let s = verify_client_cert(
            &leaf.cert_der,
            &ca.cert_der,
            crate::sim::clock::DEFAULT_START.0,
        )
        .unwrap();
        assert_eq!(s.common_name, "kubernetes-admin");
        assert_eq!(s.organizations, vec!["system:masters".to_string()]);
        // 2100-01-01 is after NOT_AFTER: expired by the virtual clock.
        assert!(
            verify_client_cert(&leaf.cert_der, &ca.cert_der, 4_102_444_800)
                .unwrap_err()
                .contains("expired")
        );
    }

    #[test]
    fn foreign_ca_and_server_only_certs_are_refused() {
        let ca = cluster_ca(None).unwrap();
        let other = cluster_ca(None).unwrap();
        let leaf = other.client_cert("mallory", None).unwrap();
        assert!(verify_client_cert(
            &leaf.cert_der,
            &ca.cert_der,
            crate::sim::clock::DEFAULT_START.0
        )
        .unwrap_err()
        .contains("unknown authority"));
        let serving = ca.serving_cert().unwrap();
        assert!(verify_client_cert(
            &serving.cert_der,
            &ca.cert_der,
            crate::sim::clock::DEFAULT_START.0
        )
        .unwrap_err()
        .contains("incompatible key usage"));
    }

    /// Go's `Subject.CommonName` is the last CN; O values keep their order; a value that is
    /// not a string (here an INTEGER) is skipped, as `FillFromRDNSequence` skips it.
    #[test]
    fn subject_is_read_as_go_reads_it() {
        use crate::pki::der::UTF8_STRING;
        use crate::testutil::{csr_pem, OID_CN, OID_O};
        use x509_parser::prelude::FromDer;
        let pem = csr_pem(
            &[
                (OID_CN, UTF8_STRING, b"first"),
                (OID_O, UTF8_STRING, b"g1"),
                (OID_O, 0x02, &[1]),
                (OID_CN, UTF8_STRING, b"last"),
                (OID_O, UTF8_STRING, b"g2"),
            ],
            &[],
        );
        let (block, _) = crate::pki::gopem::decode(pem.as_bytes()).unwrap();
        let (_, csr) =
            x509_parser::certification_request::X509CertificationRequest::from_der(&block.bytes)
                .unwrap();
        assert_eq!(
            go_subject(&csr.certification_request_info.subject),
            CertSubject {
                common_name: "last".into(),
                organizations: vec!["g1".into(), "g2".into()],
            }
        );
    }

    #[test]
    fn ca_is_reloaded_from_data_dir() {
        let d = tempfile::tempdir().unwrap();
        let a = cluster_ca(Some(d.path())).unwrap();
        let b = cluster_ca(Some(d.path())).unwrap();
        assert_eq!(a.cert_pem, b.cert_pem);
    }
}
