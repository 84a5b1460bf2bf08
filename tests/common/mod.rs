#![allow(clippy::disallowed_methods)] // tests are an edge: they may use OS randomness for throwaway keys
//! Test helpers shared by the integration tests.
#![allow(dead_code)]

use csrsim::api::CertificateSigningRequest;
use csrsim::auth::Identity;
use csrsim::sim::{ApiRequest, ApiResponse, Cluster, Config, Verb};
use serde_json::{json, Value};

/// A PEM CSR with the given CN, O values and DNS SANs (ECDSA P-256), made with rcgen.
pub fn csr_pem(cn: &str, orgs: &[&str], dns: &[&str]) -> String {
    use rcgen::{CertificateParams, DnType, KeyPair};
    let key = KeyPair::generate().expect("key");
    let mut p = CertificateParams::new(dns.iter().map(|s| s.to_string()).collect::<Vec<_>>())
        .expect("params");
    p.distinguished_name = rcgen::DistinguishedName::new();
    p.distinguished_name.push(DnType::CommonName, cn);
    // rcgen keeps one value per attribute type: only the last O survives. Tests that need
    // several O values use openssl.
    if let Some(o) = orgs.last() {
        p.distinguished_name.push(DnType::OrganizationName, *o);
    }
    p.serialize_request(&key).expect("csr").pem().expect("pem")
}

/// A CSR object body for a create.
pub fn csr_body(name: &str, signer: &str, usages: &[&str], pem: &str) -> Value {
    use base64::Engine;
    json!({
        "apiVersion": "certificates.k8s.io/v1",
        "kind": "CertificateSigningRequest",
        "metadata": {"name": name},
        "spec": {
            "request": base64::engine::general_purpose::STANDARD.encode(pem),
            "signerName": signer,
            "usages": usages,
        }
    })
}

/// A cluster with no controllers (pure API behaviour).
pub fn bare_cluster() -> Cluster {
    Cluster::new(Config {
        approver: false,
        signer: false,
        cleaner: false,
        trace: true,
        ..Config::default()
    })
    .expect("cluster")
}

pub fn create(
    c: &mut Cluster,
    who: &Identity,
    body: Value,
) -> Result<CertificateSigningRequest, csrsim::api::Status> {
    c.apply(who, ApiRequest::csr(Verb::Create).body(body))
        .map(|r| serde_json::from_value(r.into_value()).expect("csr"))
}

pub fn get(c: &mut Cluster, name: &str) -> CertificateSigningRequest {
    serde_json::from_value(
        c.apply(&Identity::admin(), ApiRequest::csr(Verb::Get).name(name))
            .expect("get")
            .into_value(),
    )
    .expect("csr")
}

pub fn value(r: ApiResponse) -> Value {
    r.into_value()
}

/// Append a condition through /approval as `who`.
pub fn approve_as(
    c: &mut Cluster,
    who: &Identity,
    name: &str,
    t: &str,
) -> Result<CertificateSigningRequest, csrsim::api::Status> {
    let mut csr = get(c, name);
    csr.status.conditions.push(csrsim::api::CsrCondition {
        type_: t.into(),
        status: "True".into(),
        reason: format!("Test{t}"),
        message: "by test".into(),
        ..Default::default()
    });
    c.apply(
        who,
        ApiRequest::csr(Verb::Update)
            .name(name)
            .subresource("approval")
            .body(serde_json::to_value(&csr).unwrap()),
    )
    .map(|r| serde_json::from_value(r.into_value()).expect("csr"))
}
