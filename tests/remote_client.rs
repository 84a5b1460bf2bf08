//! The remote transport of conformance mode against `csrsim serve --clock virtual`: the same
//! requests give the same answers as in-process, impersonation maps identities, watches and
//! the clock endpoint work over HTTPS.
#![allow(clippy::disallowed_methods)] // tests are an edge

mod common;
mod server_support;
use common::*;
use csrsim::auth::Identity;
use csrsim::remote::{Kubeconfig, RemoteCluster};
use csrsim::sim::{ApiRequest, ApiResponse, Verb};
use server_support::Server;
use std::time::Duration;

#[test]
fn remote_cluster_speaks_the_core_api_over_https() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Server::start(dir.path(), &["--clock", "virtual"]);
    let kc = Kubeconfig::load(&server.kubeconfig, None).unwrap();
    let mut rc = RemoteCluster::connect(&kc).unwrap();
    assert_eq!(rc.admin.user, "kubernetes-admin");
    assert!(rc.admin.groups.iter().any(|g| g == "system:masters"));

    let pem = include_str!("fixtures/alice.csr");
    let admin = Identity::admin();
    let ApiResponse::Watch(mut w) = rc.apply(&admin, ApiRequest::csr(Verb::Watch)).unwrap() else {
        panic!("watch")
    };
    let body = csr_body(
        "remote",
        "kubernetes.io/kube-apiserver-client",
        &["client auth"],
        pem,
    );
    let created = rc
        .apply(&admin, ApiRequest::csr(Verb::Create).body(body.clone()))
        .unwrap()
        .into_value();
    assert_eq!(created["spec"]["username"], "kubernetes-admin");
    let e = rc
        .apply(&admin, ApiRequest::csr(Verb::Create).body(body))
        .unwrap_err();
    assert_eq!(
        (e.code, e.message.as_str()),
        (
            409,
            "certificatesigningrequests.certificates.k8s.io \"remote\" already exists"
        )
    );

    // Impersonation: bob has no rights.
    let bob = Identity::user("bob", &["devs"]);
    let e = rc.apply(&bob, ApiRequest::csr(Verb::List)).unwrap_err();
    assert_eq!(e.code, 403);
    assert_eq!(e.message, "certificatesigningrequests.certificates.k8s.io is forbidden: User \"bob\" cannot list resource \"certificatesigningrequests\" in API group \"certificates.k8s.io\" at the cluster scope");

    // Approve through /approval; the built-in signer issues before the response.
    let mut csr: csrsim::api::CertificateSigningRequest = serde_json::from_value(created).unwrap();
    csr.status.conditions.push(csrsim::api::CsrCondition {
        type_: "Approved".into(),
        status: "True".into(),
        reason: "R".into(),
        message: "m".into(),
        ..Default::default()
    });
    rc.apply(
        &admin,
        ApiRequest::csr(Verb::Update)
            .name("remote")
            .subresource("approval")
            .body(serde_json::to_value(&csr).unwrap()),
    )
    .unwrap();
    let got = rc
        .apply(&admin, ApiRequest::csr(Verb::Get).name("remote"))
        .unwrap()
        .into_value();
    assert!(got["status"]["certificate"]
        .as_str()
        .is_some_and(|c| !c.is_empty()));

    let events = rc
        .watch_poll_for(&mut w.cursor, Duration::from_secs(1))
        .unwrap();
    let kinds: Vec<&str> = events.iter().map(|e| e.type_.as_str()).collect();
    assert_eq!(
        kinds,
        vec!["ADDED", "MODIFIED", "MODIFIED"],
        "create, approval, issuance"
    );

    // Time warp.
    assert!(rc.has_clock());
    let t0 = rc.now().unwrap();
    let t1 = rc.advance(Duration::from_secs(25 * 3600)).unwrap();
    assert_eq!(t1.since(t0), 25 * 3600);
    // The cleaner collected the issued CSR an hour after approval.
    let e = rc
        .apply(&admin, ApiRequest::csr(Verb::Get).name("remote"))
        .unwrap_err();
    assert_eq!(e.code, 404);
    server.stop();
}
