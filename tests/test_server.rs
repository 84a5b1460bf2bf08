//! The embeddable in-process server (`csrsim::server::TestServer`) for Rust tests.

use csrsim::auth::Identity;
use csrsim::server::{ServeArgs, TestServer};
use csrsim::sim::{ApiRequest, Verb};
use std::process::Command;

fn kubectl(
    kubeconfig: &std::path::Path,
    home: &std::path::Path,
    args: &[&str],
) -> std::process::Output {
    Command::new("kubectl")
        .args(args)
        .env("KUBECONFIG", kubeconfig)
        .env("HOME", home)
        .output()
        .unwrap()
}

#[test]
fn test_server_serves_kubectl_and_stops_on_drop() {
    let srv = TestServer::start(ServeArgs::for_tests()).unwrap();
    assert!(srv.url.starts_with("https://127.0.0.1:"));
    assert!(std::fs::read_to_string(srv.dir.join("ca.crt"))
        .unwrap()
        .contains("BEGIN CERTIFICATE"));
    let home = tempfile::tempdir().unwrap();
    let o = kubectl(
        &srv.kubeconfig_path,
        home.path(),
        &["get", "ns", "-o", "name"],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stdout).contains("namespace/kube-system"));
    // clock handle
    assert_eq!(srv.now().to_string(), "2030-01-01T00:00:00Z");
    assert_eq!(
        srv.advance(std::time::Duration::from_secs(3600))
            .to_string(),
        "2030-01-01T01:00:00Z"
    );
    // direct cluster access, visible over HTTP
    srv.with_cluster(|c| {
        let body = serde_json::json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "from-rust"}});
        c.apply(&Identity::admin(), ApiRequest::new(Verb::Create, "", "namespaces").body(body)).unwrap();
    });
    let o = kubectl(
        &srv.kubeconfig_path,
        home.path(),
        &["get", "ns", "from-rust", "--no-headers"],
    );
    assert!(
        String::from_utf8_lossy(&o.stdout).starts_with("from-rust"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let kubeconfig = home.path().join("kc");
    std::fs::copy(&srv.kubeconfig_path, &kubeconfig).unwrap();
    drop(srv);
    let o = kubectl(
        &kubeconfig,
        home.path(),
        &["get", "ns", "--request-timeout=2s"],
    );
    assert!(!o.status.success(), "server stopped on drop");
}
