//! The built-in signers end to end on a real `Cluster`, with CSRs made by the `openssl req`
//! CLI (RSA 2048, P-256, P-384, Ed25519; DNS/IP/email/URI SANs; several O; CA:TRUE requested)
//! and the issued certificates checked by `openssl verify -CAfile` and `openssl x509 -text`.
#![allow(clippy::disallowed_methods)] // tests are an edge: openssl makes throwaway keys

mod common;

use common::*;
use csrsim::api::csr::{KUBELET_SERVING, KUBE_APISERVER_CLIENT, LEGACY_UNKNOWN};
use csrsim::auth::Identity;
use csrsim::controller::signer::{decide, Decision};
use csrsim::pki::PkiConfig;
use csrsim::sim::{Cluster, Config};
use std::path::Path;
use std::process::Command;
use std::time::Duration;

/// `openssl req` with a fresh key of `key` kind; returns the PEM CSR.
fn openssl_csr(dir: &Path, key: &str, subj: &str, addext: &[&str]) -> String {
    let out = dir.join("req.csr");
    let mut cmd = Command::new("openssl");
    cmd.args(["req", "-new", "-nodes", "-keyout"])
        .arg(dir.join("key.pem"))
        .args(["-subj", subj, "-out"])
        .arg(&out);
    match key {
        "rsa" => cmd.args(["-newkey", "rsa:2048"]),
        "p256" => cmd.args(["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"]),
        "p384" => cmd.args(["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-384"]),
        "ed25519" => cmd.args(["-newkey", "ed25519"]),
        other => panic!("key kind {other}"),
    };
    for e in addext {
        cmd.args(["-addext", e]);
    }
    let st = cmd.output().expect("openssl runs");
    assert!(
        st.status.success(),
        "{}",
        String::from_utf8_lossy(&st.stderr)
    );
    std::fs::read_to_string(out).unwrap()
}

/// An approved legacy-unknown CSR object (never stored).
fn legacy_csr(name: &str, pem: &str, usages: &[&str]) -> csrsim::api::CertificateSigningRequest {
    let mut csr: csrsim::api::CertificateSigningRequest =
        serde_json::from_value(csr_body(name, LEGACY_UNKNOWN, usages, pem)).unwrap();
    csr.status.conditions.push(csrsim::api::CsrCondition {
        type_: "Approved".into(),
        status: "True".into(),
        ..Default::default()
    });
    csr
}

fn cluster(pki: PkiConfig) -> Cluster {
    Cluster::new(Config {
        trace: true,
        pki,
        ..Config::default()
    })
    .unwrap()
}

/// Create as admin and approve as admin; returns the CSR after the controllers settled.
fn submit(
    c: &mut Cluster,
    name: &str,
    signer: &str,
    usages: &[&str],
    pem: &str,
) -> csrsim::api::CertificateSigningRequest {
    create(c, &Identity::admin(), csr_body(name, signer, usages, pem)).unwrap();
    approve_as(c, &Identity::admin(), name, "Approved").unwrap();
    get(c, name)
}

/// `openssl verify` the issued certificate against the cluster CA; returns `x509 -text`.
fn verify_and_text(c: &Cluster, dir: &Path, cert_pem: &[u8]) -> String {
    let ca = dir.join("ca.crt");
    let crt = dir.join("leaf.crt");
    std::fs::write(&ca, c.pki().ca().cert_pem()).unwrap();
    std::fs::write(&crt, cert_pem).unwrap();
    let v = Command::new("openssl")
        .args(["verify", "-CAfile"])
        .arg(&ca)
        .arg(&crt)
        .output()
        .unwrap();
    let vout = String::from_utf8_lossy(&v.stdout).to_string() + &String::from_utf8_lossy(&v.stderr);
    // Virtual NotBefore is 2029-12-31 (in the future for the wall clock): tolerate only that.
    assert!(
        v.status.success() || vout.contains("certificate is not yet valid"),
        "openssl verify: {vout}"
    );
    let v = Command::new("openssl")
        .args(["verify", "-no_check_time", "-CAfile"])
        .arg(&ca)
        .arg(&crt)
        .output()
        .unwrap();
    assert!(
        v.status.success(),
        "openssl verify -no_check_time: {}",
        String::from_utf8_lossy(&v.stderr)
    );
    let t = Command::new("openssl")
        .args(["x509", "-noout", "-text", "-in"])
        .arg(&crt)
        .output()
        .unwrap();
    assert!(t.status.success());
    String::from_utf8(t.stdout).unwrap()
}

/// The text after `label` up to the end of its (possibly continued) line.
fn field_line(text: &str, label: &str) -> String {
    let mut lines = text.lines();
    while let Some(l) = lines.next() {
        if l.trim_start().starts_with(label) {
            let rest = l.trim_start()[label.len()..].trim().to_string();
            if rest.is_empty() || rest == "critical" {
                return format!("{rest}|{}", lines.next().unwrap_or("").trim());
            }
            return rest;
        }
    }
    String::new()
}

#[test]
fn openssl_csrs_of_every_key_type_issue_go_shaped_certificates() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = cluster(PkiConfig::default());
    let rows = [
        ("rsa", "rsaEncryption", "Public-Key: (2048 bit)"),
        ("p256", "id-ecPublicKey", "NIST CURVE: P-256"),
        ("p384", "id-ecPublicKey", "NIST CURVE: P-384"),
        ("ed25519", "ED25519", "ED25519 Public-Key"),
    ];
    for (i, (key, alg, keyline)) in rows.iter().enumerate() {
        let pem = openssl_csr(
            dir.path(),
            key,
            "/CN=alice/O=dev/O=ops/OU=team/emailAddress=a@x.example",
            &[
                "subjectAltName=DNS:a.example,IP:10.0.0.1,IP:::1,email:x@y.example,URI:spiffe://td/x",
                "basicConstraints=critical,CA:TRUE",
                "keyUsage=critical,keyCertSign",
                "extendedKeyUsage=codeSigning",
            ],
        );
        // legacy-unknown cannot be created through v1 (validation refuses it), and duplicate
        // usages are refused too: run the signer's decision directly on such an object.
        let usages = [
            "client auth",
            "key encipherment",
            "server auth",
            "digital signature",
            "client auth",
        ];
        let mut csr = legacy_csr(&format!("k{i}"), &pem, &usages);
        let ca = c.pki().ca().clone();
        let now = c.now();
        match decide(&csr, Some(&ca), 365 * 24 * 3600, now, c.rngs()) {
            Decision::Issue(der) => {
                csr.status.certificate = csrsim::pki::pem::certificate_pem(&der).into_bytes()
            }
            other => panic!("{key}: {other:?}"),
        }
        let cert = String::from_utf8(csr.status.certificate.clone()).unwrap();
        assert_eq!(
            cert.matches("-----BEGIN CERTIFICATE-----").count(),
            1,
            "single block, no chain"
        );
        let text = verify_and_text(&c, dir.path(), &csr.status.certificate);
        // Subject: Go re-encodes pkix.Name: O values in one RDN, OU, CN; emailAddress dropped.
        assert_eq!(
            field_line(&text, "Subject:"),
            "O = dev + O = ops, OU = team, CN = alice",
            "{key}"
        );
        assert_eq!(field_line(&text, "Issuer:"), "CN = kubernetes");
        assert_eq!(field_line(&text, "Version:"), "3 (0x2)");
        assert_eq!(field_line(&text, "Public Key Algorithm:"), *alg, "{key}");
        assert!(text.contains(keyline), "{key}: {text}");
        assert_eq!(field_line(&text, "Not Before:"), "Dec 31 23:55:00 2029 GMT");
        // 8760h TTL ≥ 8h: NotAfter = now + TTL − 5m.
        assert_eq!(field_line(&text, "Not After :"), "Dec 31 23:55:00 2030 GMT");
        assert_eq!(
            field_line(&text, "X509v3 Key Usage:"),
            "critical|Digital Signature, Key Encipherment",
            "KU only from spec.usages (keyCertSign request dropped)"
        );
        assert_eq!(
            field_line(&text, "X509v3 Extended Key Usage:"),
            "|TLS Web Server Authentication, TLS Web Client Authentication",
            "EKU in Go enum order, de-duplicated, codeSigning request dropped"
        );
        assert_eq!(
            field_line(&text, "X509v3 Basic Constraints:"),
            "critical|CA:FALSE"
        );
        assert_eq!(
            field_line(&text, "X509v3 Subject Alternative Name:"),
            "|DNS:a.example, email:x@y.example, IP Address:10.0.0.1, IP Address:0:0:0:0:0:0:0:1, URI:spiffe://td/x",
            "SANs in Go's order DNS, email, IP, URI"
        );
        assert!(text.contains("X509v3 Authority Key Identifier"));
        assert!(
            !text.contains("X509v3 Subject Key Identifier"),
            "leaf has no SKI"
        );
        assert_eq!(
            field_line(&text, "Signature Algorithm:"),
            "ecdsa-with-SHA256"
        );
        // 128-bit serial, top bit clear.
        let der = &csrsim::pki::pem::certificates(&csr.status.certificate)[0];
        let (_, x) = x509_parser::parse_x509_certificate(der).unwrap();
        let serial = x.raw_serial();
        assert!(serial.len() <= 16 && (serial.len() < 16 || serial[0] & 0x80 == 0));
    }
}

#[test]
fn several_o_values_and_multivalued_rdns_from_openssl() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = cluster(PkiConfig::default());
    let mut cmd_pem = openssl_csr(
        dir.path(),
        "p256",
        "/O=system:nodes/CN=system:node:n1",
        &["subjectAltName=DNS:n1,IP:192.168.0.7"],
    );
    let csr = submit(
        &mut c,
        "serve",
        KUBELET_SERVING,
        &["digital signature", "server auth"],
        &cmd_pem,
    );
    let text = verify_and_text(&c, dir.path(), &csr.status.certificate);
    assert_eq!(
        field_line(&text, "Subject:"),
        "O = system:nodes, CN = system:node:n1"
    );
    assert_eq!(
        field_line(&text, "X509v3 Key Usage:"),
        "critical|Digital Signature"
    );
    // kube-apiserver-client with three groups, one of them with a character outside
    // PrintableString (UTF8String in Go's encoding).
    cmd_pem = openssl_csr(dir.path(), "rsa", "/CN=bob/O=g1/O=team_b/O=g3", &[]);
    let csr = submit(
        &mut c,
        "bob",
        KUBE_APISERVER_CLIENT,
        &["client auth"],
        &cmd_pem,
    );
    let text = verify_and_text(&c, dir.path(), &csr.status.certificate);
    assert_eq!(
        field_line(&text, "Subject:"),
        "O = g1 + O = g3 + O = team_b, CN = bob"
    );
    assert_eq!(field_line(&text, "X509v3 Key Usage:"), "");
    assert_eq!(
        field_line(&text, "X509v3 Extended Key Usage:"),
        "|TLS Web Client Authentication"
    );
    // Parsed back by a Go-equivalent reader, every O survives.
    let der = &csrsim::pki::pem::certificates(&csr.status.certificate)[0];
    let (_, x) = x509_parser::parse_x509_certificate(der).unwrap();
    let orgs: Vec<_> = x
        .subject()
        .iter_organization()
        .map(|a| a.as_str().unwrap())
        .collect();
    assert_eq!(orgs.len(), 3);
}

#[test]
fn policy_violations_become_failed_conditions_with_upstream_text() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = cluster(PkiConfig::default());
    let node = openssl_csr(
        dir.path(),
        "p384",
        "/O=system:nodes/CN=system:node:n1",
        &["subjectAltName=DNS:n1,email:n@x"],
    );
    let plain = openssl_csr(dir.path(), "ed25519", "/CN=carol", &[]);
    // (upstream case, signer, usages, pem, message)
    let rows: [(&str, &str, &[&str], &str, &str); 4] = [
        (
            "kubelet-serving email SAN",
            KUBELET_SERVING,
            &["digital signature", "server auth"],
            &node,
            "Email subjectAltNames are not allowed",
        ),
        (
            "kube-apiserver-client server auth",
            KUBE_APISERVER_CLIENT,
            &["digital signature", "server auth"],
            &plain,
            "invalid usage for client certificate: server auth",
        ),
        (
            "kube-apiserver-client no client auth",
            KUBE_APISERVER_CLIENT,
            &["digital signature"],
            &plain,
            "missing required usage for client certificate: client auth",
        ),
        (
            "kubelet client wrong O",
            "kubernetes.io/kube-apiserver-client-kubelet",
            &["digital signature", "client auth"],
            &plain,
            "subject organization is not system:nodes",
        ),
    ];
    for (i, (case, signer, usages, pem, msg)) in rows.iter().enumerate() {
        let csr = submit(&mut c, &format!("f{i}"), signer, usages, pem);
        assert!(csr.status.certificate.is_empty(), "{case}");
        let f = csr
            .condition("Failed")
            .unwrap_or_else(|| panic!("{case}: no Failed"));
        assert_eq!(
            (f.status.as_str(), f.reason.as_str(), f.message.as_str()),
            ("True", "SignerValidationFailure", *msg),
            "{case}"
        );
        assert!(f.last_update_time.is_some(), "{case}");
    }
    // Unknown signer: approved but never issued, no condition.
    let csr = submit(
        &mut c,
        "custom",
        "example.com/foo",
        &["client auth"],
        &plain,
    );
    assert!(csr.status.certificate.is_empty() && csr.condition("Failed").is_none());
}

#[test]
fn expired_ca_errors_are_retried_without_condition() {
    let dir = tempfile::tempdir().unwrap();
    let pem = openssl_csr(dir.path(), "p256", "/CN=dave", &[]);
    let day = 24 * 3600;
    for (case, after, want) in [
        ("now past NotAfter but backdated NotBefore not", day + 1, "refusing to sign a certificate that expired in the past: NotAfter=2030-01-02 00:00:00 +0000 UTC"),
        ("backdated NotBefore past NotAfter", day + 600, "the signer has expired: NotAfter=2030-01-02 00:00:00 +0000 UTC"),
    ] {
        let mut c = cluster(PkiConfig { ca_lifetime_secs: day, per_signer: false });
        c.advance(Duration::from_secs(after as u64));
        let csr = submit(&mut c, "d", KUBE_APISERVER_CLIENT, &["client auth"], &pem);
        assert!(csr.status.certificate.is_empty() && csr.condition("Failed").is_none(), "{case}");
        let trace = c.trace_jsonl();
        assert!(trace.contains(&format!("error auto signing csr: {want}")), "{case}: {trace}");
        // Backoff: retried at 200ms, 400ms, ... with the same error.
        c.advance(Duration::from_secs(2));
        let n = c.trace_jsonl().matches(want).count();
        assert!(n >= 3, "{case}: retries {n}");
    }
}

#[test]
fn leaf_not_after_is_capped_at_the_ca_not_after() {
    let dir = tempfile::tempdir().unwrap();
    let pem = openssl_csr(dir.path(), "p256", "/CN=erin", &[]);
    let mut c = cluster(PkiConfig {
        ca_lifetime_secs: 3 * 24 * 3600,
        per_signer: false,
    });
    let csr = submit(&mut c, "e", KUBE_APISERVER_CLIENT, &["client auth"], &pem);
    let text = verify_and_text(&c, dir.path(), &csr.status.certificate);
    assert_eq!(field_line(&text, "Not After :"), "Jan  4 00:00:00 2030 GMT");
}

#[test]
fn expiration_seconds_short_and_minimum() {
    let dir = tempfile::tempdir().unwrap();
    let pem = openssl_csr(dir.path(), "p256", "/CN=frank", &[]);
    let mut c = cluster(PkiConfig::default());
    for (i, (secs, not_after)) in [
        (3600, "Jan  1 01:00:00 2030 GMT"),
        (600, "Jan  1 00:10:00 2030 GMT"),
        (86400, "Jan  1 23:55:00 2030 GMT"),
    ]
    .into_iter()
    .enumerate()
    {
        let mut body = csr_body(
            &format!("x{i}"),
            KUBE_APISERVER_CLIENT,
            &["client auth"],
            &pem,
        );
        body["spec"]["expirationSeconds"] = secs.into();
        create(&mut c, &Identity::admin(), body).unwrap();
        let csr = approve_as(&mut c, &Identity::admin(), &format!("x{i}"), "Approved").unwrap();
        let _ = csr;
        let csr = get(&mut c, &format!("x{i}"));
        let text = verify_and_text(&c, dir.path(), &csr.status.certificate);
        assert_eq!(
            field_line(&text, "Not After :"),
            not_after,
            "expirationSeconds {secs}"
        );
    }
}

#[test]
fn per_signer_cas_sign_for_their_own_signer() {
    let dir = tempfile::tempdir().unwrap();
    let pem = openssl_csr(dir.path(), "p256", "/CN=gina", &[]);
    let mut c = cluster(PkiConfig {
        per_signer: true,
        ..Default::default()
    });
    let csr = submit(&mut c, "g", KUBE_APISERVER_CLIENT, &["client auth"], &pem);
    let ca = c.pki().ca_for(KUBE_APISERVER_CLIENT).unwrap().cert_pem();
    assert_ne!(ca, c.pki().ca().cert_pem());
    std::fs::write(dir.path().join("ca.crt"), ca).unwrap();
    std::fs::write(dir.path().join("leaf.crt"), &csr.status.certificate).unwrap();
    let v = Command::new("openssl")
        .args(["verify", "-no_check_time", "-CAfile"])
        .arg(dir.path().join("ca.crt"))
        .arg(dir.path().join("leaf.crt"))
        .output()
        .unwrap();
    assert!(v.status.success());
    let text = String::from_utf8(
        Command::new("openssl")
            .args(["x509", "-noout", "-issuer", "-in"])
            .arg(dir.path().join("leaf.crt"))
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    assert_eq!(text.trim(), "issuer=CN = kubernetes-kube-apiserver-client");
}

#[test]
fn ca_is_stored_in_the_data_dir_and_reloaded() {
    let dir = tempfile::tempdir().unwrap();
    let first = {
        let c = Cluster::new(Config {
            seed: 1,
            data_dir: Some(dir.path().to_path_buf()),
            ..Config::default()
        })
        .unwrap();
        c.pki().ca().cert_pem()
    };
    assert!(dir.path().join("pki/ca.crt").exists() && dir.path().join("pki/ca.key").exists());
    // Another seed: the stored CA wins.
    let c = Cluster::new(Config {
        seed: 2,
        data_dir: Some(dir.path().to_path_buf()),
        ..Config::default()
    })
    .unwrap();
    assert_eq!(c.pki().ca().cert_pem(), first);
    let fresh = Cluster::new(Config {
        seed: 2,
        ..Config::default()
    })
    .unwrap();
    assert_ne!(fresh.pki().ca().cert_pem(), first);
    // The CA itself, checked by openssl.
    let t = Command::new("openssl")
        .args(["x509", "-noout", "-text", "-in"])
        .arg(dir.path().join("pki/ca.crt"))
        .output()
        .unwrap();
    let text = String::from_utf8(t.stdout).unwrap();
    assert_eq!(field_line(&text, "Not Before:"), "Jan  1 00:00:00 2000 GMT");
    assert_eq!(field_line(&text, "Not After :"), "Dec 30 00:00:00 2039 GMT");
    assert_eq!(
        field_line(&text, "X509v3 Basic Constraints:"),
        "critical|CA:TRUE"
    );
    assert_eq!(
        field_line(&text, "X509v3 Key Usage:"),
        "critical|Digital Signature, Key Encipherment, Certificate Sign"
    );
    assert!(text.contains("X509v3 Subject Key Identifier"));
    // certutil.NewSelfSignedCACert: `DNSNames: []string{cfg.CommonName}`
    assert_eq!(
        field_line(&text, "X509v3 Subject Alternative Name:"),
        "|DNS:kubernetes"
    );
}

#[test]
fn server_and_client_certificates_for_the_https_server() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = cluster(PkiConfig::default());
    let ca = c.pki().clone();
    let srv = ca.issue_server_cert(
        c.rngs(),
        "csrsim",
        &["localhost".into()],
        &["127.0.0.1".parse().unwrap()],
    );
    let cli = ca.issue_client_cert(
        c.rngs(),
        "kubernetes-admin",
        &["system:masters".into(), "x".into()],
    );
    for (cert, want_subject, eku) in [
        (&srv, "CN = csrsim", "TLS Web Server Authentication"),
        (
            &cli,
            "O = x + O = system:masters, CN = kubernetes-admin",
            "TLS Web Client Authentication",
        ),
    ] {
        // Valid on today's wall clock (plain verify, time checked).
        std::fs::write(dir.path().join("ca.crt"), c.pki().ca().cert_pem()).unwrap();
        std::fs::write(dir.path().join("leaf.crt"), &cert.cert_pem).unwrap();
        let v = Command::new("openssl")
            .args(["verify", "-CAfile"])
            .arg(dir.path().join("ca.crt"))
            .arg(dir.path().join("leaf.crt"))
            .output()
            .unwrap();
        assert!(v.status.success(), "{}", String::from_utf8_lossy(&v.stderr));
        let t = Command::new("openssl")
            .args(["x509", "-noout", "-text", "-in"])
            .arg(dir.path().join("leaf.crt"))
            .output()
            .unwrap();
        let text = String::from_utf8(t.stdout).unwrap();
        assert_eq!(field_line(&text, "Subject:"), want_subject);
        assert_eq!(
            field_line(&text, "X509v3 Extended Key Usage:"),
            format!("|{eku}")
        );
        assert!(cert.key_pem.starts_with("-----BEGIN PRIVATE KEY-----"));
    }
}

/// Child-process half of the determinism check: prints the issued certificate for one seed.
#[test]
fn print_certificate_for_seed() {
    let Ok(seed) = std::env::var("CSRSIM_DETERMINISM_SEED") else {
        return;
    };
    println!("CERT:{}", issue_fixture(seed.parse().unwrap()));
}

fn issue_fixture(seed: u64) -> String {
    let pem = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/alice.csr"
    ))
    .unwrap();
    let mut c = Cluster::new(Config {
        seed,
        ..Config::default()
    })
    .unwrap();
    let csr = submit(
        &mut c,
        "alice",
        KUBE_APISERVER_CLIENT,
        &["client auth", "digital signature"],
        &pem,
    );
    format!(
        "{}{}",
        c.pki().ca().cert_pem(),
        String::from_utf8(csr.status.certificate).unwrap()
    )
    .replace('\n', "|")
}

#[test]
fn same_seed_gives_byte_identical_certificates_across_processes() {
    let exe = std::env::current_exe().unwrap();
    let run = |seed: u64| {
        let out = Command::new(&exe)
            .args([
                "--exact",
                "print_certificate_for_seed",
                "--nocapture",
                "--test-threads=1",
            ])
            .env("CSRSIM_DETERMINISM_SEED", seed.to_string())
            .output()
            .unwrap();
        let s = String::from_utf8(out.stdout).unwrap();
        s.lines()
            .find_map(|l| l.split_once("CERT:").map(|(_, c)| c.to_string()))
            .expect("child printed")
    };
    let a = run(42);
    let b = run(42);
    assert_eq!(a, b, "two processes, same seed");
    assert_eq!(a, issue_fixture(42), "and this process too");
    assert_ne!(a, run(43), "another seed differs");
    assert!(a.contains("BEGIN CERTIFICATE"));
}
