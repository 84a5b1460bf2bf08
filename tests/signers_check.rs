//! `csrsim check` on CSRs made by `openssl req`: exit codes and the key lines of the report.
#![allow(clippy::disallowed_methods)]

use csrsim::check::{explain, CheckArgs};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

fn openssl_csr(dir: &Path, name: &str, key: &[&str], subj: &str, addext: &[&str]) -> PathBuf {
    let out = dir.join(name);
    let mut cmd = Command::new("openssl");
    cmd.args(["req", "-new", "-nodes", "-keyout"])
        .arg(dir.join("k.pem"))
        .args(key)
        .args(["-subj", subj, "-out"])
        .arg(&out);
    for e in addext {
        cmd.args(["-addext", e]);
    }
    assert!(cmd.output().unwrap().status.success());
    out
}

fn args(signer: &str, file: PathBuf) -> CheckArgs {
    CheckArgs {
        signer: signer.into(),
        usages: vec![],
        expiration_seconds: None,
        user: None,
        groups: vec![],
        cluster_signing_duration: Duration::from_secs(8760 * 3600),
        file,
    }
}

fn run(a: &CheckArgs) -> (i32, String) {
    let mut out = String::new();
    let code = explain(a, &mut out);
    (code, out)
}

const EC: &[&str] = &["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"];

#[test]
fn issued_client_certificate_is_described() {
    let d = tempfile::tempdir().unwrap();
    let f = openssl_csr(
        d.path(),
        "a.csr",
        EC,
        "/CN=alice/O=dev/O=ops",
        &["basicConstraints=critical,CA:TRUE"],
    );
    let (code, out) = run(&args("kubernetes.io/kube-apiserver-client", f));
    assert_eq!(code, 0, "{out}");
    for line in [
        "key:        ECDSA P-256",
        "O (groups): [\"dev\", \"ops\"]",
        "requested:  basicConstraints CA:TRUE (critical) — dropped",
        "[    ok     ] usages include client auth",
        "not approved: it only approves kubernetes.io/kube-apiserver-client-kubelet",
        "subject:    O=dev+O=ops, CN=alice",
        "basicConstraints (critical): CA:FALSE",
        "NotBefore:  2029-12-31T23:55:00Z (now-5m0s)",
        "NotAfter:   2030-12-31T23:55:00Z (now+8759h55m0s; lifetime 8760h0m0s)",
        "verdict: issued",
    ] {
        assert!(out.contains(line), "missing {line:?} in\n{out}");
    }
}

#[test]
fn refusals_and_stuck_csrs_exit_1() {
    let d = tempfile::tempdir().unwrap();
    let masters = openssl_csr(d.path(), "m.csr", EC, "/CN=eve/O=system:masters", &[]);
    let (code, out) = run(&args("kubernetes.io/kube-apiserver-client", masters));
    assert_eq!(code, 1);
    assert!(out.contains("use of kubernetes.io/kube-apiserver-client signer with system:masters group is not allowed"), "{out}");

    let plain = openssl_csr(d.path(), "p.csr", &["-newkey", "ed25519"], "/CN=bob", &[]);
    let (code, out) = run(&args("example.com/custom", plain.clone()));
    assert_eq!(code, 1);
    assert!(
        out.contains("approved but no built-in signer will ever issue it"),
        "{out}"
    );

    let mut a = args("kubernetes.io/kube-apiserver-client", plain);
    a.usages = vec!["client auth".into(), "server auth".into()];
    let (code, out) = run(&a);
    assert_eq!(code, 1);
    assert!(
        out.contains(
            "[  REFUSED  ] every usage is digital signature, key encipherment or client auth"
        ),
        "{out}"
    );
    assert!(
        out.contains("[not reached] usages include client auth"),
        "{out}"
    );
    assert!(out.contains("condition Failed/SignerValidationFailure: invalid usage for client certificate: server auth"), "{out}");

    let serving = openssl_csr(
        d.path(),
        "s.csr",
        EC,
        "/O=system:nodes/CN=system:node:n1",
        &["subjectAltName=DNS:n1,email:a@b"],
    );
    let mut a = args("kubernetes.io/kubelet-serving", serving);
    a.user = Some("system:node:n1".into());
    a.groups = vec!["system:nodes".into()];
    let (code, out) = run(&a);
    assert_eq!(code, 1);
    assert!(
        out.contains("[    ok     ] at least one DNS or IP SAN"),
        "{out}"
    );
    assert!(out.contains("[  REFUSED  ] no email SAN"), "{out}");
    assert!(
        out.contains("Email subjectAltNames are not allowed"),
        "{out}"
    );
}

#[test]
fn kubelet_client_csr_from_its_node_is_auto_approved() {
    let d = tempfile::tempdir().unwrap();
    let f = openssl_csr(
        d.path(),
        "k.csr",
        EC,
        "/O=system:nodes/CN=system:node:n1",
        &[],
    );
    let mut a = args("kubernetes.io/kube-apiserver-client-kubelet", f);
    a.user = Some("system:node:n1".into());
    a.groups = vec!["system:nodes".into()];
    a.usages = vec!["digital signature".into(), "client auth".into()];
    let (code, out) = run(&a);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("approved: AutoApproved — Auto approving self kubelet client certificate after SubjectAccessReview."), "{out}");
}

#[test]
fn unreadable_input_exits_2() {
    let d = tempfile::tempdir().unwrap();
    let (code, out) = run(&args(
        "kubernetes.io/kube-apiserver-client",
        d.path().join("missing.csr"),
    ));
    assert_eq!(code, 2);
    assert!(out.starts_with("error: cannot read"));
    std::fs::write(d.path().join("junk.csr"), "hello").unwrap();
    let (code, out) = run(&args(
        "kubernetes.io/kube-apiserver-client",
        d.path().join("junk.csr"),
    ));
    assert_eq!(code, 2);
    assert!(
        out.contains("failed to parse CSR: PEM block type must be CERTIFICATE REQUEST"),
        "{out}"
    );
}
