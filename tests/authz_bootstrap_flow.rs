//! TLS bootstrap end to end on the real Cluster: a bootstrap-token Secret authenticates
//! `system:bootstrap:<id>` until its expiration on the virtual clock; with kubeadm's bindings
//! that identity's kubelet client CSR is auto-approved; a bad extra group refuses the token.

// Test-only CSR keys from OS randomness: no asserted output depends on key bytes.
#![allow(clippy::disallowed_methods)]

use base64::Engine;
use csrsim::api::csr::KUBE_APISERVER_CLIENT_KUBELET;
use csrsim::auth::Identity;
use csrsim::controller::approver::NODE_CLIENT_MESSAGE;
use csrsim::sim::{ApiRequest, Cluster, Config, Verb};
use rcgen::{CertificateParams, DnType, KeyPair};
use serde_json::{json, Value};
use std::time::Duration;

fn b64(s: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(s)
}

fn secret(id: &str, secret: &str, expiration: &str, groups: &str) -> Value {
    json!({"apiVersion":"v1","kind":"Secret",
        "metadata":{"name":format!("bootstrap-token-{id}"),"namespace":"kube-system"},
        "type":"bootstrap.kubernetes.io/token",
        "data":{"token-id":b64(id),"token-secret":b64(secret),"expiration":b64(expiration),
                "usage-bootstrap-authentication":b64("true"),"usage-bootstrap-signing":b64("true"),
                "auth-extra-groups":b64(groups)}})
}

fn create_secret(cx: &mut Cluster, s: Value) {
    cx.apply(
        &Identity::admin(),
        ApiRequest::new(Verb::Create, "", "secrets")
            .namespace("kube-system")
            .body(s),
    )
    .unwrap();
}

#[test]
fn bootstrap_token_to_auto_approved_client_certificate() {
    let mut cx = Cluster::new(Config {
        kubeadm_bindings: true,
        signer: false,
        ..Config::default()
    })
    .unwrap();
    let exp = cx.now().add_secs(24 * 3600);
    create_secret(
        &mut cx,
        secret(
            "abcdef",
            "0123456789abcdef",
            &exp.to_rfc3339(),
            "system:bootstrappers:kubeadm:default-node-token",
        ),
    );
    let who = cx
        .authenticate_token("abcdef.0123456789abcdef")
        .expect("token authenticates");
    assert_eq!(who.user, "system:bootstrap:abcdef");
    assert_eq!(
        who.groups,
        vec![
            "system:bootstrappers",
            "system:bootstrappers:kubeadm:default-node-token",
            "system:authenticated"
        ]
    );
    assert!(cx.authenticate_token("abcdef.0123456789abcdee").is_none());

    let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
    p.distinguished_name
        .push(DnType::OrganizationName, "system:nodes");
    p.distinguished_name
        .push(DnType::CommonName, "system:node:worker-1");
    let pem = p
        .serialize_request(&KeyPair::generate().unwrap())
        .unwrap()
        .pem()
        .unwrap();
    let body = json!({"metadata":{"generateName":"node-csr-"},"spec":{"request":b64(&pem),"signerName":KUBE_APISERVER_CLIENT_KUBELET,
        "usages":["digital signature","key encipherment","client auth"]}});
    let created = cx
        .apply(&who, ApiRequest::csr(Verb::Create).body(body))
        .unwrap()
        .into_value();
    let name = created["metadata"]["name"].as_str().unwrap().to_string();
    let csr = cx.get_csr(&name).unwrap();
    assert_eq!(csr.spec.username, "system:bootstrap:abcdef");
    let c = csr.condition("Approved").expect("auto-approved");
    assert_eq!(
        (c.reason.as_str(), c.message.as_str()),
        ("AutoApproved", NODE_CLIENT_MESSAGE)
    );

    // The token dies with its expiration on the virtual clock.
    cx.advance(Duration::from_secs(24 * 3600 - 1));
    assert!(cx.authenticate_token("abcdef.0123456789abcdef").is_some());
    cx.advance(Duration::from_secs(1));
    assert!(cx.authenticate_token("abcdef.0123456789abcdef").is_none());
}

#[test]
fn malformed_extra_group_refuses_the_token() {
    let mut cx = Cluster::new(Config::default()).unwrap();
    create_secret(
        &mut cx,
        secret(
            "ghijkl",
            "0123456789abcdef",
            "",
            "system:bootstrappers:ok,system:masters",
        ),
    );
    assert!(cx.authenticate_token("ghijkl.0123456789abcdef").is_none());
}

#[test]
fn static_tokens_from_csv() {
    let mut cx = Cluster::new(Config::default()).unwrap();
    let table = csrsim::auth::tokens::load_static_csv("s3cr3t,myuser,42,\"developers\"\n").unwrap();
    cx.tokens_mut().set_static_tokens(table);
    let who = cx.authenticate_token("s3cr3t").unwrap();
    assert_eq!((who.user.as_str(), who.uid.as_str()), ("myuser", "42"));
    assert_eq!(who.groups, vec!["developers", "system:authenticated"]);
}
