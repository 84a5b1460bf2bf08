//! A Rust client (`kube` + `k8s-openapi`) against the embedded test server: create a CSR,
//! watch it, approve it through `/approval`, read the certificate. Watch events arrive in
//! order with increasing resourceVersions.
//!
//! Assertions marked `[signer]` need the signer controller (issuance after approval).
#![allow(clippy::disallowed_methods)] // tests: throwaway key material from OS randomness

use futures::{StreamExt, TryStreamExt};
use k8s_openapi::api::certificates::v1::{
    CertificateSigningRequest, CertificateSigningRequestSpec,
};
use k8s_openapi::ByteString;
use kube::api::{Api, ObjectMeta, Patch, PatchParams, PostParams, WatchEvent, WatchParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use serde_json::json;

fn csr_pem(cn: &str, org: &str) -> Vec<u8> {
    let key = rcgen::KeyPair::generate().unwrap();
    let mut p = rcgen::CertificateParams::default();
    p.distinguished_name = rcgen::DistinguishedName::new();
    p.distinguished_name.push(rcgen::DnType::CommonName, cn);
    p.distinguished_name
        .push(rcgen::DnType::OrganizationName, org);
    p.serialize_request(&key)
        .unwrap()
        .pem()
        .unwrap()
        .into_bytes()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kube_rs_create_watch_approve_read_certificate() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let srv = csrsim::server::TestServer::start(csrsim::server::ServeArgs::for_tests()).unwrap();
    let kc = Kubeconfig::read_from(&srv.kubeconfig_path).unwrap();
    let config = kube::Config::from_custom_kubeconfig(kc, &KubeConfigOptions::default())
        .await
        .unwrap();
    let client = kube::Client::try_from(config).unwrap();
    let api: Api<CertificateSigningRequest> = Api::all(client);

    let list = api.list(&Default::default()).await.unwrap();
    let rv0 = list.metadata.resource_version.clone().unwrap();
    let mut events = api
        .watch(&WatchParams::default().timeout(20), &rv0)
        .await
        .unwrap()
        .boxed();

    let csr = CertificateSigningRequest {
        metadata: ObjectMeta {
            name: Some("kube-rs".into()),
            ..Default::default()
        },
        spec: CertificateSigningRequestSpec {
            request: ByteString(csr_pem("kube-rs", "developers")),
            signer_name: "kubernetes.io/kube-apiserver-client".into(),
            expiration_seconds: Some(3600),
            usages: Some(vec!["client auth".into()]),
            ..Default::default()
        },
        status: None,
    };
    let created = api.create(&PostParams::default(), &csr).await.unwrap();
    assert_eq!(created.spec.username.as_deref(), Some("kubernetes-admin"));

    let approval = json!({"status": {"conditions": [{
        "type": "Approved", "status": "True", "reason": "KubeRsApprove", "message": "approved by a kube-rs test"}]}});
    let approved = api
        .patch_approval("kube-rs", &PatchParams::default(), &Patch::Merge(&approval))
        .await
        .unwrap();
    let conds = approved
        .status
        .as_ref()
        .unwrap()
        .conditions
        .as_ref()
        .unwrap();
    assert_eq!(conds[0].type_, "Approved");
    assert!(
        conds[0].last_transition_time.is_some(),
        "defaulted by the server"
    );

    let got = api.get("kube-rs").await.unwrap();
    let cert = got
        .status
        .as_ref()
        .and_then(|s| s.certificate.as_ref())
        .map(|c| c.0.clone())
        .unwrap_or_default();
    assert!(
        String::from_utf8_lossy(&cert).starts_with("-----BEGIN CERTIFICATE-----"),
        "[signer] certificate issued"
    );

    // Watch: ADDED, MODIFIED (Approved), MODIFIED (certificate) [signer] — increasing RVs.
    let mut seen = Vec::new();
    while seen.len() < 3 {
        let Some(ev) = tokio::time::timeout(std::time::Duration::from_secs(10), events.try_next())
            .await
            .unwrap()
            .unwrap()
        else {
            break;
        };
        match ev {
            WatchEvent::Added(o) => seen.push(("ADDED", o)),
            WatchEvent::Modified(o) => seen.push(("MODIFIED", o)),
            WatchEvent::Deleted(o) => seen.push(("DELETED", o)),
            WatchEvent::Bookmark(_) => {}
            WatchEvent::Error(e) => panic!("{e:?}"),
        }
    }
    let kinds: Vec<&str> = seen.iter().map(|(k, _)| *k).collect();
    assert_eq!(
        kinds,
        ["ADDED", "MODIFIED", "MODIFIED"],
        "[signer] approval and issuance are two writes"
    );
    let rvs: Vec<u64> = seen
        .iter()
        .map(|(_, o)| {
            o.metadata
                .resource_version
                .as_deref()
                .unwrap()
                .parse()
                .unwrap()
        })
        .collect();
    assert!(
        rvs.windows(2).all(|w| w[0] < w[1]) && rvs[0] > rv0.parse().unwrap(),
        "{rvs:?}"
    );
    assert!(
        seen[1].1.status.as_ref().unwrap().certificate.is_none(),
        "approval event carries no certificate yet"
    );
    assert!(
        seen[2].1.status.as_ref().unwrap().certificate.is_some(),
        "[signer]"
    );
}
