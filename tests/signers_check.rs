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

#[test]
fn files_that_are_not_a_pem_csr_say_what_they_are() {
    let d = tempfile::tempdir().unwrap();
    let csr = openssl_csr(d.path(), "p.csr", EC, "/CN=bob", &[]);
    let der = d.path().join("p.der");
    let ok = Command::new("openssl")
        .args(["req", "-outform", "DER", "-in"])
        .arg(&csr)
        .arg("-out")
        .arg(&der)
        .status()
        .unwrap();
    assert!(ok.success());
    let cert = d.path().join("c.pem");
    let ok = Command::new("openssl")
        .args(["req", "-x509", "-days", "1", "-key"])
        .arg(d.path().join("k.pem"))
        .args(["-subj", "/CN=x", "-out"])
        .arg(&cert)
        .status()
        .unwrap();
    assert!(ok.success());
    std::fs::write(d.path().join("empty.csr"), "").unwrap();
    // (file, hint fragment)
    let rows: &[(PathBuf, &str)] = &[
        (der, "this looks like DER"),
        (cert, "this is a certificate, not a request"),
        (d.path().join("k.pem"), "this is a private key"),
        (d.path().join("empty.csr"), "the file is empty"),
    ];
    for (file, hint) in rows {
        let (code, out) = run(&args("kubernetes.io/kube-apiserver-client", file.clone()));
        assert_eq!(code, 2, "{out}");
        assert!(
            out.contains("failed to parse CSR: PEM block type must be CERTIFICATE REQUEST"),
            "{out}"
        );
        assert!(out.contains(hint), "{hint:?} in {out}");
    }
    // Errors go to stderr, reports to stdout.
    let o = Command::new(env!("CARGO_BIN_EXE_csrsim"))
        .args(["check", "--signer", "kubernetes.io/kube-apiserver-client"])
        .arg(&rows[0].0)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(o.stdout.is_empty());
    assert!(String::from_utf8_lossy(&o.stderr).contains("hint: this looks like DER"));
    // --group without --user would be silently ignored: refused by the command line.
    let o = Command::new(env!("CARGO_BIN_EXE_csrsim"))
        .args(["check", "--signer", "a.b/c", "--group", "g"])
        .arg(&csr)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--user"));
}

#[test]
fn report_lines_match_what_kubernetes_does() {
    let d = tempfile::tempdir().unwrap();
    let f = openssl_csr(
        d.path(),
        "e.csr",
        EC,
        "/CN=erin/emailAddress=erin@example.com",
        &["subjectAltName=DNS:erin.example,IP:10.0.0.5,email:erin@example.com,URI:spiffe://x/erin"],
    );
    let (code, out) = run(&args("kubernetes.io/kube-apiserver-client", f.clone()));
    assert_eq!(code, 0, "{out}");
    for line in [
        "note: subject attribute emailAddress=erin@example.com is not in Go's pkix.Name and is dropped",
        "  subject:    CN=erin\n",
        "subjectAltName: DNS:erin.example, email:erin@example.com, IP:10.0.0.5, URI:spiffe://x/erin",
    ] {
        assert!(out.contains(line), "missing {line:?} in\n{out}");
    }
    // A request whose self-signature is broken is refused by validation at create.
    let pem = std::fs::read_to_string(&f).unwrap();
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD;
    let mut der = b64.decode(body).unwrap();
    let i = der.windows(4).position(|w| w == b"erin").unwrap();
    der[i] = b'E';
    let bad = d.path().join("bad.csr");
    std::fs::write(
        &bad,
        format!(
            "-----BEGIN CERTIFICATE REQUEST-----\n{}\n-----END CERTIFICATE REQUEST-----\n",
            b64.encode(&der)
        ),
    )
    .unwrap();
    let (code, out) = run(&args("kubernetes.io/kube-apiserver-client", bad));
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("signature:  INVALID (x509: ECDSA verification failure) — validation refuses the create"),
        "{out}"
    );
    assert!(out.contains("REFUSED (422 Invalid)"), "{out}");
    assert!(out.contains("verdict: refused at create"), "{out}");
}
