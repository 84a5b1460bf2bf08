//! The official Python client (`kubernetes` from PyPI) against `csrsim serve --clock virtual`:
//! create, approve, issuance, validation and admission errors, Failed conditions, patches,
//! watch, RBAC and access reviews (tests/python/csr_flow.py).
//!
//! `.ci/run` installs the client; outside CI the test is skipped when the module is missing.
#![allow(clippy::disallowed_methods)] // tests are an edge

mod server_support;
use server_support::Server;
use std::process::Command;

fn python_client_available() -> bool {
    Command::new("python3")
        .args(["-c", "import kubernetes"])
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

#[test]
fn python_client_csr_flow() {
    if !python_client_available() {
        assert!(
            std::env::var("CI").is_err(),
            "CI must install the Python client (pip install kubernetes)"
        );
        eprintln!("skipped: python3 module `kubernetes` not installed");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut server = Server::start(dir.path(), &["--clock", "virtual"]);
    let work = dir.path().join("py");
    std::fs::create_dir_all(&work).unwrap();
    let out = Command::new("python3")
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/python/csr_flow.py"
        ))
        .arg(&work)
        .env("KUBECONFIG", &server.kubeconfig)
        .output()
        .expect("run python3");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stdout.contains("python flow: ok"),
        "python flow failed\nstdout:\n{stdout}\nstderr:\n{stderr}\nserver log:\n{}",
        server.log()
    );
    server.stop();
}
