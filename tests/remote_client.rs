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

/// A remote watch is polled as the identity that opened it (each poll is a new watch
/// request): once carol's right to watch is gone, her next poll is refused, where a poll as
/// the kubeconfig's user would go on delivering events.
#[test]
fn remote_watch_polls_as_the_identity_that_opened_it() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Server::start(dir.path(), &["--clock", "virtual"]);
    let kc = Kubeconfig::load(&server.kubeconfig, None).unwrap();
    let mut rc = RemoteCluster::connect(&kc).unwrap();
    let admin = Identity::admin();
    let rbac = |verb, resource: &str| ApiRequest::new(verb, "rbac.authorization.k8s.io", resource);
    rc.apply(
        &admin,
        rbac(Verb::Create, "clusterroles").body(serde_json::json!({
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
            "metadata": {"name": "csr-watcher"},
            "rules": [{"apiGroups": ["certificates.k8s.io"], "resources": ["certificatesigningrequests"], "verbs": ["list", "watch"]}]
        })),
    )
    .unwrap();
    rc.apply(
        &admin,
        rbac(Verb::Create, "clusterrolebindings").body(serde_json::json!({
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
            "metadata": {"name": "carol-watches"},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "csr-watcher"},
            "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "carol"}]
        })),
    )
    .unwrap();
    let carol = Identity::user("carol", &[]);
    let ApiResponse::Watch(mut w) = rc.apply(&carol, ApiRequest::csr(Verb::Watch)).unwrap() else {
        panic!("watch")
    };
    let body = csr_body(
        "polled",
        "kubernetes.io/kube-apiserver-client",
        &["client auth"],
        include_str!("fixtures/alice.csr"),
    );
    rc.apply(&admin, ApiRequest::csr(Verb::Create).body(body))
        .unwrap();
    let events = rc
        .watch_poll_for(&mut w.cursor, Duration::from_secs(1))
        .unwrap();
    assert_eq!(events.len(), 1, "carol may watch: the create");
    rc.apply(
        &admin,
        rbac(Verb::Delete, "clusterrolebindings").name("carol-watches"),
    )
    .unwrap();
    let e = rc
        .watch_poll_for(&mut w.cursor, Duration::from_secs(1))
        .unwrap_err();
    assert_eq!(
        (e.code, e.message.as_str()),
        (403, "certificatesigningrequests.certificates.k8s.io is forbidden: User \"carol\" cannot watch resource \"certificatesigningrequests\" in API group \"certificates.k8s.io\" at the cluster scope")
    );
    server.stop();
}

/// client-go trusts every certificate of `certificate-authority-data` (`AppendCertsFromPEM`):
/// the server's CA second in the bundle, after another CA, still verifies the server.
#[test]
fn every_ca_of_the_kubeconfig_bundle_is_trusted() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Server::start(dir.path(), &["--clock", "virtual"]);
    let kc = Kubeconfig::load(&server.kubeconfig, None).unwrap();
    let other_ca = {
        let key = rcgen::KeyPair::generate().unwrap();
        let mut p = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        p.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        p.distinguished_name
            .push(rcgen::DnType::CommonName, "some-other-ca");
        p.self_signed(&key).unwrap().pem()
    };
    let server_ca = String::from_utf8(kc.ca_pem.clone().expect("the kubeconfig has a CA")).unwrap();
    for (case, bundle, ok) in [
        ("the server's CA alone", server_ca.clone(), true),
        ("another CA alone", other_ca.clone(), false),
        (
            "another CA, then the server's",
            format!("{other_ca}{server_ca}"),
            true,
        ),
        (
            "the server's CA, then another",
            format!("{server_ca}{other_ca}"),
            true,
        ),
    ] {
        let kc = Kubeconfig {
            ca_pem: Some(bundle.into_bytes()),
            ..kc.clone()
        };
        let got = RemoteCluster::connect(&kc)
            .and_then(|mut rc| {
                rc.apply(&Identity::admin(), ApiRequest::csr(Verb::List))
                    .map_err(|e| e.message)
            })
            .map(|_| ());
        assert_eq!(got.is_ok(), ok, "{case}: {got:?}");
    }
    server.stop();
}
