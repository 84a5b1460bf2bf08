//! Support for the kubelet tests and the fleet bench: a kubeadm-like cluster (bootstrap
//! bindings, approver, the built-in `csrsigning` controller, cleaner) issuing 24 h
//! certificates, and a bootstrap-token Secret.
#![allow(dead_code)]

use csrsim::api::Time;
use csrsim::auth::Identity;
use csrsim::sim::{ApiRequest, Cluster, Config, Verb};
use serde_json::json;

pub const TOKEN_ID: &str = "abcdef";
pub const TOKEN: &str = "abcdef.0123456789abcdef";
pub const DAY: i64 = 86_400;

/// Signer controller name (kube-controller-manager's `csrsigning`).
pub const SIGNER: &str = csrsim::controller::signer::NAME;

/// A kubeadm cluster (bootstrap bindings) with 24 h certificates and the controllers asked for.
pub fn cluster(approver: bool, signer: bool, trace: bool, seed: u64) -> Cluster {
    cluster_with(Config {
        seed,
        approver,
        signer,
        trace,
        ..base_config()
    })
}

/// The kubeadm-like base configuration of these tests.
pub fn base_config() -> Config {
    Config {
        cleaner: true,
        kubeadm_bindings: true,
        signing_duration_secs: DAY,
        ..Config::default()
    }
}

pub fn cluster_with(cfg: Config) -> Cluster {
    let cx = Cluster::new(cfg).expect("cluster");
    assert!(
        !cx.config().signer || cx.controller_names().contains(&SIGNER),
        "the signer is named {SIGNER}"
    );
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
