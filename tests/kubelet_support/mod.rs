//! Test-only support for kubelet tests and the fleet bench: a bootstrap-token Secret, a
//! kubeadm-like cluster, and — until the pki branch's `csrsigning` lands — a minimal signer
//! controller for the two kubelet signers, built to §5.4's validity rules
//! (NotBefore = now − 5 m; NotAfter = now + TTL − 5 m for TTL ≥ 8 h, else now + TTL; capped at
//! the CA's NotAfter; refuses when the CA expired) with a deterministic P-256 CA.
#![allow(dead_code)]

use csrsim::api::csr::{FAILED, KUBELET_SERVING, KUBE_APISERVER_CLIENT_KUBELET};
use csrsim::api::Time;
use csrsim::auth::Identity;
use csrsim::controller::{Controller, SyncResult};
use csrsim::kubelet::csr::EcdsaKey;
use csrsim::sim::{ApiRequest, Cluster, Config, Verb};
use serde_json::json;

pub const TOKEN_ID: &str = "abcdef";
pub const TOKEN: &str = "abcdef.0123456789abcdef";
pub const DAY: i64 = 86_400;

/// Signer controller name (the same as kube-controller-manager's `csrsigning`).
pub const SIGNER: &str = "csrsigning";

/// A kubeadm cluster (bootstrap bindings) with 24 h certificates, the approver and cleaner
/// as configured, and the test signer when `signer`.
pub fn cluster(approver: bool, signer: bool, trace: bool, seed: u64) -> Cluster {
    let mut cx = Cluster::new(Config {
        seed,
        approver,
        signer: false,
        cleaner: true,
        kubeadm_bindings: true,
        trace,
        signing_duration_secs: DAY,
        ..Config::default()
    })
    .expect("cluster");
    if signer {
        let ca_not_after = Time(cx.now().unix() + 10 * 365 * DAY);
        let signer = TestSigner::new(&mut cx, ca_not_after);
        cx.add_controller(Box::new(signer));
    }
    cx
}

/// Create the bootstrap-token Secret `bootstrap-token-<id>` (kubeadm's shape) valid for
/// `ttl_secs` from now.
pub fn create_token(cx: &mut Cluster, id: &str, secret: &str, ttl_secs: i64) {
    let exp = Time(cx.now().unix() + ttl_secs).to_rfc3339();
    let body = json!({
        "apiVersion": "v1", "kind": "Secret",
        "metadata": {"name": format!("bootstrap-token-{id}"), "namespace": "kube-system"},
        "type": "bootstrap.kubernetes.io/token",
        "stringData": {
            "token-id": id, "token-secret": secret, "expiration": exp,
            "usage-bootstrap-authentication": "true", "usage-bootstrap-signing": "true",
            "auth-extra-groups": "system:bootstrappers:kubeadm:default-node-token",
        }
    });
    cx.apply(
        &Identity::admin(),
        ApiRequest::new(Verb::Create, "", "secrets")
            .namespace("kube-system")
            .body(body),
    )
    .expect("create bootstrap token secret");
}

/// A minimal deterministic signer for `kube-apiserver-client-kubelet` and `kubelet-serving`.
pub struct TestSigner {
    ca_key: EcdsaKey,
    ca_params: rcgen::CertificateParams,
    ca_not_after: Time,
}

fn odt(t: Time) -> time::OffsetDateTime {
    time::OffsetDateTime::from_unix_timestamp(t.unix()).expect("time in range")
}

impl TestSigner {
    pub fn new(cx: &mut Cluster, ca_not_after: Time) -> TestSigner {
        let ca_key = EcdsaKey::generate(cx.rngs());
        let mut p = rcgen::CertificateParams::default();
        p.distinguished_name = rcgen::DistinguishedName::new();
        p.distinguished_name
            .push(rcgen::DnType::CommonName, "kubernetes");
        p.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        p.not_before = odt(Time(cx.now().unix() - 3600));
        p.not_after = odt(ca_not_after);
        TestSigner {
            ca_key,
            ca_params: p,
            ca_not_after,
        }
    }

    fn sign(
        &self,
        cx: &mut Cluster,
        csr: &csrsim::api::CertificateSigningRequest,
    ) -> Result<String, String> {
        use x509_parser::prelude::*;
        let (block, _) = csrsim::pki::gopem::decode(&csr.spec.request).ok_or("no PEM")?;
        let (_, req) =
            X509CertificationRequest::from_der(&block.bytes).map_err(|e| e.to_string())?;
        req.verify_signature().map_err(|e| format!("{e:?}"))?;
        let info = &req.certification_request_info;
        let now = cx.now().unix();
        let max = cx.config().signing_duration_secs;
        let ttl = match csr.spec.expiration_seconds {
            None => max,
            Some(s) => (s as i64).clamp(600, max.max(600)).min(max),
        };
        let nb = now - 300;
        let mut na = if ttl < 8 * 3600 {
            now + ttl
        } else {
            now + ttl - 300
        };
        if now >= self.ca_not_after.unix() {
            return Err(format!(
                "refusing to sign a certificate that expired in the past: NotAfter={}",
                self.ca_not_after.go_string()
            ));
        }
        na = na.min(self.ca_not_after.unix());
        let mut p = rcgen::CertificateParams::default();
        p.distinguished_name = rcgen::DistinguishedName::new();
        for o in info
            .subject
            .iter_organization()
            .filter_map(|a| a.as_str().ok())
        {
            p.distinguished_name
                .push(rcgen::DnType::OrganizationName, o);
        }
        for cn in info
            .subject
            .iter_common_name()
            .filter_map(|a| a.as_str().ok())
        {
            p.distinguished_name.push(rcgen::DnType::CommonName, cn);
        }
        if let Some(exts) = req.requested_extensions() {
            for e in exts {
                if let x509_parser::extensions::ParsedExtension::SubjectAlternativeName(san) = e {
                    for n in &san.general_names {
                        match n {
                            x509_parser::extensions::GeneralName::DNSName(d) => {
                                p.subject_alt_names.push(rcgen::SanType::DnsName(
                                    (*d).try_into().map_err(|e: rcgen::Error| e.to_string())?,
                                ))
                            }
                            x509_parser::extensions::GeneralName::IPAddress(b) => {
                                if let Ok(a) = <[u8; 4]>::try_from(*b) {
                                    p.subject_alt_names
                                        .push(rcgen::SanType::IpAddress(a.into()));
                                } else if let Ok(a) = <[u8; 16]>::try_from(*b) {
                                    p.subject_alt_names
                                        .push(rcgen::SanType::IpAddress(a.into()));
                                }
                            }
                            _ => {}
                        }
                    }
                }
            }
        }
        p.not_before = odt(Time(nb));
        p.not_after = odt(Time(na));
        p.is_ca = rcgen::IsCa::ExplicitNoCa;
        let mut serial = [0u8; 16];
        cx.rngs().fill("serials", &mut serial);
        serial[0] &= 0x7f;
        p.serial_number = Some(rcgen::SerialNumber::from_slice(&serial));
        for u in &csr.spec.usages {
            match u.as_str() {
                "digital signature" => p.key_usages.push(rcgen::KeyUsagePurpose::DigitalSignature),
                "key encipherment" => p.key_usages.push(rcgen::KeyUsagePurpose::KeyEncipherment),
                "client auth" => p
                    .extended_key_usages
                    .push(rcgen::ExtendedKeyUsagePurpose::ClientAuth),
                "server auth" => p
                    .extended_key_usages
                    .push(rcgen::ExtendedKeyUsagePurpose::ServerAuth),
                _ => {}
            }
        }
        let spki = rcgen::SubjectPublicKeyInfo::from_der(info.subject_pki.raw)
            .map_err(|e| e.to_string())?;
        let issuer = rcgen::Issuer::from_params(&self.ca_params, &self.ca_key);
        let cert = p.signed_by(&spki, &issuer).map_err(|e| e.to_string())?;
        Ok(cert.pem())
    }
}

impl Controller for TestSigner {
    fn name(&self) -> &'static str {
        SIGNER
    }

    fn sync(&mut self, cx: &mut Cluster, name: &str) -> SyncResult {
        let Some(mut csr) = cx.get_csr(name) else {
            return SyncResult::Done;
        };
        if !csr.status.certificate.is_empty()
            || !csr.is_approved()
            || csr.has_true_condition(FAILED)
            || (csr.spec.signer_name != KUBE_APISERVER_CLIENT_KUBELET
                && csr.spec.signer_name != KUBELET_SERVING)
        {
            return SyncResult::Done;
        }
        let pem = match self.sign(cx, &csr) {
            Ok(p) => p,
            Err(e) => return SyncResult::RequeueAfter(200, format!("error auto signing csr: {e}")),
        };
        csr.status.certificate = pem.into_bytes();
        let body = serde_json::to_value(&csr).expect("csr");
        match cx.apply(
            &Identity::controller_manager(),
            ApiRequest::csr(Verb::Update)
                .name(name)
                .subresource("status")
                .body(body),
        ) {
            Ok(_) => SyncResult::Done,
            Err(s) => SyncResult::RequeueAfter(
                200,
                format!("error updating signature for csr: {}", s.message),
            ),
        }
    }
}
