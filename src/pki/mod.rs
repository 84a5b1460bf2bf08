//! PKI: PEM, CSR parsing, CA material, certificate construction.
//!
//! [`Pki`] is the cluster's certificate authority set: by default ONE cluster CA signs for all
//! four built-in signers (kubeadm passes `--cluster-signing-cert-file/-key-file`), optionally
//! one CA per signer (kube-controller-manager's per-signer flags). The same CA also backs the
//! HTTPS server ([`Pki::issue_server_cert`]) and kubeconfig client certificates
//! ([`Pki::issue_client_cert`]).
//!
//! Determinism: CA keys come from the `keys` stream and serials from `serials`, always drawn
//! in the same order at construction (even when a persisted CA is reloaded from the data dir),
//! so the RNG streams advance identically with or without a data dir.

pub mod ca;
pub mod cert_facts;
pub mod csr;
pub mod der;
pub mod der_memo;
pub mod ecdsa_nist;
pub mod fastkey;
pub mod gopem;
pub mod issue;
pub mod modinv;
pub mod own_keys;
pub mod p256field;
pub mod pem;
pub mod rsa_small;

use crate::api::csr::{
    KUBELET_SERVING, KUBE_APISERVER_CLIENT, KUBE_APISERVER_CLIENT_KUBELET, LEGACY_UNKNOWN,
};
use crate::api::Time;
use crate::sim::rng::Rngs;
pub use ca::{Ca, KeyPair};
use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::Path;

/// The four built-in signers, in the order their per-signer CAs are generated.
pub const BUILTIN_SIGNERS: [&str; 4] = [
    KUBE_APISERVER_CLIENT,
    KUBE_APISERVER_CLIENT_KUBELET,
    KUBELET_SERVING,
    LEGACY_UNKNOWN,
];
/// Subject CN of the cluster CA (kubeadm's).
pub const CLUSTER_CA_CN: &str = "kubernetes";
/// Sub-directory of the data dir holding CA files.
pub const PKI_DIR: &str = "pki";

/// How the CAs are set up.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PkiConfig {
    /// CA NotAfter = virtual start + this (default 10 years). Short values simulate expiry.
    pub ca_lifetime_secs: i64,
    /// One CA per built-in signer instead of the single cluster CA.
    pub per_signer: bool,
}

impl Default for PkiConfig {
    fn default() -> Self {
        PkiConfig {
            ca_lifetime_secs: ca::DEFAULT_CA_LIFETIME_SECS,
            per_signer: false,
        }
    }
}

/// A key pair and its certificate, issued by the cluster CA.
#[derive(Clone, Debug)]
pub struct IssuedCert {
    pub cert_der: Vec<u8>,
    pub cert_pem: String,
    pub key: KeyPair,
    pub key_pkcs8_der: Vec<u8>,
    pub key_pem: String,
}

/// The cluster's CAs.
#[derive(Clone, Debug)]
pub struct Pki {
    cluster: Ca,
    per_signer: BTreeMap<&'static str, Ca>,
}

fn file_stem(signer: &str) -> String {
    signer.rsplit('/').next().unwrap_or(signer).to_string()
}

impl Pki {
    /// Generate (or reload from `data_dir/pki/`) the CAs.
    pub fn new(
        cfg: &PkiConfig,
        start: Time,
        data_dir: Option<&Path>,
        rngs: &mut Rngs,
    ) -> Result<Pki, String> {
        let not_after = start.add_secs(cfg.ca_lifetime_secs);
        let mut cluster = Ca::generate(rngs, CLUSTER_CA_CN, ca::CA_NOT_BEFORE, not_after);
        let mut per_signer = BTreeMap::new();
        if cfg.per_signer {
            for s in BUILTIN_SIGNERS {
                let cn = format!("{CLUSTER_CA_CN}-{}", file_stem(s));
                per_signer.insert(s, Ca::generate(rngs, &cn, ca::CA_NOT_BEFORE, not_after));
            }
        }
        if let Some(dir) = data_dir {
            let dir = dir.join(PKI_DIR);
            crate::store::create_dir(&dir, "csrsim keeps its CA in it")?;
            load_or_store(&dir, "ca", &mut cluster)?;
            for (s, ca) in per_signer.iter_mut() {
                load_or_store(&dir, &file_stem(s), ca)?;
            }
        }
        Ok(Pki {
            cluster,
            per_signer,
        })
    }

    /// The cluster CA (trust anchor for the server and client certificates).
    pub fn ca(&self) -> &Ca {
        &self.cluster
    }

    /// The CA that signs for `signer_name` (None for non-built-in signers).
    pub fn ca_for(&self, signer_name: &str) -> Option<&Ca> {
        if !BUILTIN_SIGNERS.contains(&signer_name) {
            return None;
        }
        Some(self.per_signer.get(signer_name).unwrap_or(&self.cluster))
    }

    /// Every distinct CA certificate PEM (cluster CA first): a CA bundle.
    pub fn ca_bundle_pem(&self) -> String {
        let mut s = self.cluster.cert_pem();
        for ca in self.per_signer.values() {
            s.push_str(&ca.cert_pem());
        }
        s
    }

    /// A TLS server certificate for `dns_names`/`ips`, valid over the CA's whole window (clients
    /// check it against their wall clock). Usages: digital signature, key encipherment, server auth.
    pub fn issue_server_cert(
        &self,
        rngs: &mut Rngs,
        common_name: &str,
        dns_names: &[String],
        ips: &[IpAddr],
    ) -> IssuedCert {
        let name = csr::GoName {
            common_name: common_name.to_string(),
            ..Default::default()
        };
        self.issue(rngs, name, dns_names, ips, "server auth")
    }

    /// A client certificate `CN=<user>, O=<group>...` (kubeconfig credentials), valid over the
    /// CA's whole window. Usages: digital signature, key encipherment, client auth.
    pub fn issue_client_cert(&self, rngs: &mut Rngs, user: &str, groups: &[String]) -> IssuedCert {
        let name = csr::GoName {
            common_name: user.to_string(),
            organization: groups.to_vec(),
            ..Default::default()
        };
        self.issue(rngs, name, &[], &[], "client auth")
    }

    fn issue(
        &self,
        rngs: &mut Rngs,
        name: csr::GoName,
        dns_names: &[String],
        ips: &[IpAddr],
        eku: &str,
    ) -> IssuedCert {
        let key = KeyPair::generate(rngs);
        let usages = ["digital signature", "key encipherment", eku].map(String::from);
        let (key_usage, ext_key_usages) =
            issue::key_usages_from_strings(&usages).expect("static usages");
        let tpl = issue::Template {
            serial: issue::draw_serial(rngs),
            subject_der: name.to_der(),
            spki_der: key.spki_der(),
            not_before: self.cluster.not_before,
            not_after: self.cluster.not_after,
            key_usage,
            ext_key_usages,
            is_ca: false,
            subject_key_id: None,
            dns_names: dns_names.to_vec(),
            email_addresses: vec![],
            ip_addresses: ips.to_vec(),
            uris: vec![],
        };
        let cert_der = self.cluster.sign_template(&tpl);
        IssuedCert {
            cert_pem: pem::certificate_pem(&cert_der),
            cert_der,
            key_pkcs8_der: key.pkcs8_der(),
            key_pem: key.pkcs8_pem(),
            key,
        }
    }
}

/// Reload `<stem>.crt`/`<stem>.key` if both exist, else write them.
fn load_or_store(dir: &Path, stem: &str, ca: &mut Ca) -> Result<(), String> {
    let crt = dir.join(format!("{stem}.crt"));
    let key = dir.join(format!("{stem}.key"));
    if crt.exists() != key.exists() {
        // Half a CA: writing a new one over the other half would silently replace the CA
        // every issued certificate and kubeconfig chains to.
        let (missing, present) = if crt.exists() {
            (&key, &crt)
        } else {
            (&crt, &key)
        };
        return Err(format!(
            "{}: missing, but {} exists: refusing to make a new CA over it (restore the \
             missing file; or remove both to get a new CA, which invalidates the \
             certificates and kubeconfigs the old one issued)",
            missing.display(),
            present.display()
        ));
    }
    if crt.exists() && key.exists() {
        let read =
            |p: &Path| std::fs::read(p).map_err(|e| format!("cannot read {}: {e}", p.display()));
        let c = read(&crt)?;
        let k = read(&key)?;
        let certs = pem::certificates(&c);
        if certs.len() != 1 {
            return Err(format!(
                "error reading CA cert file {:?}: expected 1 certificate, found {}",
                crt.display().to_string(),
                certs.len()
            ));
        }
        let kd = match gopem::decode(&k) {
            Some((b, _)) if b.type_ == "PRIVATE KEY" => b.bytes,
            _ => return Err(format!("{}: expected a PRIVATE KEY block", key.display())),
        };
        *ca = Ca::from_der(&certs[0], &kd)?;
    } else {
        // Durable before the store acknowledges any write signed by this CA: the key first
        // (mode 0600 from its creation), then the certificate, each synced, then the folder.
        let write = |p: &Path, s: &str, mode: u32| {
            use std::io::Write;
            let mut o = std::fs::OpenOptions::new();
            o.write(true).create(true).truncate(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut o, mode);
            #[cfg(not(unix))]
            let _ = mode;
            o.open(p)
                .and_then(|mut f| {
                    f.write_all(s.as_bytes())?;
                    f.sync_all()
                })
                .map_err(|e| format!("cannot write {}: {e}", p.display()))
        };
        write(&key, &ca.key.pkcs8_pem(), 0o600)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600))
                .map_err(|e| format!("cannot chmod {}: {e}", key.display()))?;
        }
        write(&crt, &ca.cert_pem(), 0o644)?;
        #[cfg(unix)]
        std::fs::File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(|e| format!("cannot sync {}: {e}", dir.display()))?;
    }
    Ok(())
}

/// `a == b` for encoded objects (PEM, DER): the last 64 bytes are compared first. Requests
/// and certificates share long prefixes (headers, algorithm, similar subjects) and differ in
/// their signatures at the end, so the caches that look them up mostly reject a candidate
/// there instead of comparing every shared byte.
pub fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    n == b.len() && a[n.saturating_sub(64)..] == b[n.saturating_sub(64)..] && a == b
}

#[cfg(test)]
mod same_bytes_tests {
    /// Equal exactly when the slices are equal, whatever their length or where they differ.
    #[test]
    fn same_bytes_is_equality() {
        let a: Vec<u8> = (0..300u32).map(|i| (i % 251) as u8).collect();
        for i in [0, 1, 100, 235, 236, 299] {
            let mut b = a.clone();
            b[i] ^= 1;
            assert!(!super::same_bytes(&a, &b), "differs at {i}");
        }
        assert!(super::same_bytes(&a, &a.clone()));
        assert!(!super::same_bytes(&a, &a[..299]));
        assert!(super::same_bytes(b"ab", b"ab") && !super::same_bytes(b"ab", b"ac"));
        assert!(super::same_bytes(b"", b""));
    }
}
