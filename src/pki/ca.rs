//! CA material: a self-signed ECDSA P-256 CA whose key comes from the seeded `keys` stream
//! and whose signatures are deterministic (RFC 6979), so one seed gives byte-identical CA and
//! leaf certificates in every process.
//!
//! The CA looks like kubeadm's (`certutil.NewSelfSignedCACert`): subject `CN=kubernetes`,
//! KeyUsage digitalSignature|keyEncipherment|keyCertSign (critical), CA:TRUE (critical),
//! a DNS SAN equal to the common name (`DNSNames: []string{cfg.CommonName}`),
//! SubjectKeyId = first 20 bytes of SHA-256 of the public key bits (Go ≥1.25's RFC 7093
//! method; older Go used SHA-1), no AuthorityKeyId (self-signed: issuer == subject).
//!
//! Validity (deterministic, see docs/signers.md): NotBefore = 2000-01-01T00:00:00Z, so the CA
//! is valid both on the virtual timeline (default start 2030-01-01) and on real wall-clock
//! dates that TLS clients check; NotAfter = virtual start + CA lifetime (default 10 years).

use super::fastkey::FastKey;
use super::gopem;
use super::issue::{self, Template};
use crate::api::Time;
use crate::sim::rng::Rngs;
use p256::ecdsa::{SigningKey, VerifyingKey};
use p256::pkcs8::{DecodePrivateKey, EncodePrivateKey, EncodePublicKey};
use sha2::{Digest, Sha256};

/// 2000-01-01T00:00:00Z.
pub const CA_NOT_BEFORE: Time = Time(946_684_800);
/// Default CA lifetime (kubeadm: 10 years), counted from the virtual start.
pub const DEFAULT_CA_LIFETIME_SECS: i64 = 10 * 365 * 24 * 3600;

/// A P-256 key pair. Signatures go through [`FastKey`] (fixed-base comb table): the same
/// RFC 6979 signatures as `key` would make, about 5× faster.
#[derive(Clone)]
pub struct KeyPair {
    pub key: SigningKey,
    fast: FastKey,
}

impl std::fmt::Debug for KeyPair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeyPair(P-256)")
    }
}

impl KeyPair {
    /// A key from the `keys` stream (retry on the negligible chance of an invalid scalar).
    pub fn generate(rngs: &mut Rngs) -> KeyPair {
        loop {
            let mut b = [0u8; 32];
            rngs.fill("keys", &mut b);
            if let Ok(key) = SigningKey::from_bytes(&b.into()) {
                return KeyPair::from_signing_key(key);
            }
        }
    }

    pub fn from_pkcs8_der(der: &[u8]) -> Result<KeyPair, String> {
        let sk = p256::SecretKey::from_pkcs8_der(der).map_err(|e| format!("bad CA key: {e}"))?;
        Ok(KeyPair::from_signing_key(SigningKey::from(sk)))
    }

    fn from_signing_key(key: SigningKey) -> KeyPair {
        let fast = FastKey::from_scalar_bytes(&key.to_bytes().into())
            .expect("a SigningKey holds a valid non-zero scalar");
        KeyPair { key, fast }
    }

    /// ECDSA/SHA-256 over `msg` with the RFC 6979 nonce, DER-encoded: byte-identical to
    /// `p256::ecdsa::SigningKey::sign` with `key`.
    pub fn sign_der(&self, msg: &[u8]) -> Vec<u8> {
        self.fast.sign(msg)
    }

    /// PKCS#8 DER (`PRIVATE KEY`), what rustls and kubeconfig files take.
    pub fn pkcs8_der(&self) -> Vec<u8> {
        p256::SecretKey::from(&self.key)
            .to_pkcs8_der()
            .expect("P-256 key encodes")
            .as_bytes()
            .to_vec()
    }

    pub fn pkcs8_pem(&self) -> String {
        gopem::encode("PRIVATE KEY", &self.pkcs8_der())
    }

    pub fn spki_der(&self) -> Vec<u8> {
        VerifyingKey::from(&self.key)
            .to_public_key_der()
            .expect("P-256 key encodes")
            .as_bytes()
            .to_vec()
    }

    /// SubjectKeyId: SHA-256 of the subjectPublicKey bits, truncated to 160 bits.
    pub fn key_id(&self) -> Vec<u8> {
        let point = VerifyingKey::from(&self.key).to_encoded_point(false);
        Sha256::digest(point.as_bytes())[..20].to_vec()
    }
}

/// One certificate authority.
#[derive(Clone, Debug)]
pub struct Ca {
    pub cert_der: Vec<u8>,
    pub key: KeyPair,
    /// Raw subject DER (the issuer of every leaf).
    pub subject_der: Vec<u8>,
    pub subject_key_id: Vec<u8>,
    pub not_before: Time,
    pub not_after: Time,
}

impl Ca {
    /// A new self-signed CA `CN=<common_name>`.
    pub fn generate(rngs: &mut Rngs, common_name: &str, not_before: Time, not_after: Time) -> Ca {
        let key = KeyPair::generate(rngs);
        let serial = issue::draw_serial(rngs);
        let subject = super::csr::GoName {
            common_name: common_name.to_string(),
            ..Default::default()
        };
        let ski = key.key_id();
        let tpl = Template {
            serial,
            subject_der: subject.to_der(),
            spki_der: key.spki_der(),
            not_before,
            not_after,
            key_usage: issue::KU_DIGITAL_SIGNATURE
                | issue::KU_KEY_ENCIPHERMENT
                | issue::KU_CERT_SIGN,
            ext_key_usages: vec![],
            is_ca: true,
            subject_key_id: Some(ski.clone()),
            // `certutil.NewSelfSignedCACert`: `DNSNames: []string{cfg.CommonName}`
            dns_names: vec![common_name.to_string()],
            email_addresses: vec![],
            ip_addresses: vec![],
            uris: vec![],
        };
        let tbs = issue::tbs_certificate(&tpl, &tpl.subject_der, None);
        let cert_der = issue::certificate(&tbs, &key);
        Ca {
            cert_der,
            key,
            subject_der: tpl.subject_der,
            subject_key_id: ski,
            not_before,
            not_after,
        }
    }

    /// Load a CA from its certificate DER and PKCS#8 key DER.
    pub fn from_der(cert_der: &[u8], key_der: &[u8]) -> Result<Ca, String> {
        use x509_parser::prelude::*;
        let key = KeyPair::from_pkcs8_der(key_der)?;
        let (_, cert) =
            X509Certificate::from_der(cert_der).map_err(|e| format!("bad CA certificate: {e}"))?;
        if cert.public_key().raw != key.spki_der().as_slice() {
            return Err("CA certificate and key do not match".into());
        }
        let ski = cert
            .extensions()
            .iter()
            .find_map(|e| match e.parsed_extension() {
                ParsedExtension::SubjectKeyIdentifier(k) => Some(k.0.to_vec()),
                _ => None,
            })
            .unwrap_or_else(|| key.key_id());
        Ok(Ca {
            cert_der: cert_der.to_vec(),
            subject_der: cert.subject().as_raw().to_vec(),
            subject_key_id: ski,
            not_before: Time(cert.validity().not_before.timestamp()),
            not_after: Time(cert.validity().not_after.timestamp()),
            key,
        })
    }

    pub fn cert_pem(&self) -> String {
        gopem::encode("CERTIFICATE", &self.cert_der)
    }

    /// `x509.CreateCertificate(template, caCert, pub, caKey)`.
    pub fn sign_template(&self, tpl: &Template) -> Vec<u8> {
        let tbs = issue::tbs_certificate(tpl, &self.subject_der, Some(&self.subject_key_id));
        issue::certificate(&tbs, &self.key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use p256::ecdsa::signature::Signer;

    #[test]
    fn ca_signatures_are_those_of_the_p256_signing_key() {
        let mut rngs = Rngs::new(7);
        for i in 0..8u8 {
            let kp = KeyPair::generate(&mut rngs);
            let msg = vec![i; 100 + i as usize];
            let want: p256::ecdsa::Signature = kp.key.sign(&msg);
            assert_eq!(kp.sign_der(&msg), want.to_der().as_bytes());
            let reloaded = KeyPair::from_pkcs8_der(&kp.pkcs8_der()).unwrap();
            assert_eq!(reloaded.sign_der(&msg), want.to_der().as_bytes());
        }
    }
}
