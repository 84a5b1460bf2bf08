//! Conformance mode against an external signer: a tiny signer for `example.com/test` that
//! watches CSRs over HTTPS and issues through `/status` passes the custom-signer profile; a
//! deliberately wrong one (issues without approval, ignores expirationSeconds) or one that
//! certifies another key fails exactly the rules it breaks; the CLI's exit codes and reports.
#![allow(clippy::disallowed_methods)] // tests are an edge

mod server_support;

use csrsim::api::{CertificateSigningRequest, EventType};
use csrsim::auth::Identity;
use csrsim::pki::{gopem, issue, Ca};
use csrsim::remote::{Kubeconfig, RemoteCluster};
use csrsim::scenario::conformance::{retarget_signer, run_remote, Profile};
use csrsim::scenario::remote_target::{Cleanup, RemoteOptions};
use csrsim::scenario::{load_all, Outcome};
use csrsim::sim::rng::Rngs;
use csrsim::sim::{ApiRequest, ApiResponse, Verb};
use server_support::Server;
use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

/// The library's signer name, and another one the run retargets the library to.
const SIGNER: &str = "example.com/test";
const OTHER_SIGNER: &str = "example.org/acme-client";
/// The signer's default validity without expirationSeconds (and the wrong signer's always).
const DEFAULT_TTL_SECS: i64 = 365 * 24 * 3600;

/// How the signer under test behaves.
#[derive(Clone, Copy)]
enum Behaviour {
    /// Signs approved CSRs only, for min(expirationSeconds, default).
    Correct,
    /// Signs every CSR of its signer name, approved or not, always for a year.
    Wrong,
    /// Signs approved CSRs as `Correct`, but certifies another key than the request's.
    OtherKey,
}

fn should_sign(csr: &CertificateSigningRequest, b: Behaviour, signer: &str) -> Option<i64> {
    if csr.spec.signer_name != signer || !csr.status.certificate.is_empty() {
        return None;
    }
    match b {
        Behaviour::Correct | Behaviour::OtherKey => {
            let blocked = csr.has_condition("Denied") || csr.has_condition("Failed");
            (csr.is_approved() && !blocked).then(|| {
                csr.spec
                    .expiration_seconds
                    .map(|s| (s as i64).min(DEFAULT_TTL_SECS))
                    .unwrap_or(DEFAULT_TTL_SECS)
            })
        }
        Behaviour::Wrong => Some(DEFAULT_TTL_SECS),
    }
}

/// The signer controller: watch CSRs, sign through /status as the kubeconfig's user.
fn spawn_signer(
    kc: Kubeconfig,
    b: Behaviour,
    signer: &'static str,
    stop: Arc<AtomicBool>,
) -> JoinHandle<()> {
    std::thread::spawn(move || {
        let mut rc = RemoteCluster::connect(&kc).expect("signer connects");
        let me = Identity::admin();
        let mut rngs = Rngs::new(7);
        let now = rc.now().expect("clock");
        let ca = Ca::generate(
            &mut rngs,
            "example-test-ca",
            now,
            csrsim::api::Time(now.0 + 10 * DEFAULT_TTL_SECS),
        );
        let ApiResponse::Watch(w) = rc.apply(&me, ApiRequest::csr(Verb::Watch)).expect("watch")
        else {
            panic!("not a watch")
        };
        let mut cursor = w.cursor;
        let mut pending: Vec<serde_json::Value> = w.initial.into_iter().map(|e| e.object).collect();
        while !stop.load(Ordering::SeqCst) {
            for obj in pending.drain(..) {
                let Ok(csr) = serde_json::from_value::<CertificateSigningRequest>(obj.clone())
                else {
                    continue;
                };
                let Some(ttl) = should_sign(&csr, b, signer) else {
                    continue;
                };
                let request = match b {
                    Behaviour::OtherKey => include_bytes!("fixtures/alice.csr").to_vec(),
                    _ => csr.spec.request.clone(),
                };
                let Some((block, _)) = gopem::decode(&request) else {
                    continue;
                };
                let now = rc.now().expect("clock");
                let der = issue::sign_csr(&ca, &block.bytes, &csr.spec.usages, ttl, now, &mut rngs)
                    .expect("sign");
                let mut body = obj;
                body["status"]["certificate"] = serde_json::Value::String(base64::Engine::encode(
                    &base64::engine::general_purpose::STANDARD,
                    gopem::encode("CERTIFICATE", &der),
                ));
                // A conflict means a newer version is on its way through the watch.
                let _ = rc.apply(
                    &me,
                    ApiRequest::csr(Verb::Update)
                        .name(&csr.metadata.name)
                        .subresource("status")
                        .body(body),
                );
            }
            match rc.watch_poll_for(&mut cursor, Duration::from_secs(1)) {
                Ok(evs) => pending.extend(
                    evs.into_iter()
                        .filter(|e| matches!(e.type_, EventType::Added | EventType::Modified))
                        .map(|e| e.object),
                ),
                Err(_) => std::thread::sleep(Duration::from_millis(100)),
            }
        }
    })
}

/// Run the custom-signer profile against a fresh server with `b` signing for `signer` (the
/// library retargeted to it, as `--signer-name` does); (passed, failed) ids.
fn run_profile(b: Behaviour, signer: &'static str) -> (BTreeSet<String>, BTreeSet<String>) {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Server::start(dir.path(), &["--clock", "virtual"]);
    let kc = Kubeconfig::load(&server.kubeconfig, None).unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let signer_thread = spawn_signer(kc.clone(), b, signer, stop.clone());
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut scenarios = load_all(&[root]).unwrap();
    if signer != SIGNER {
        retarget_signer(&mut scenarios, signer);
    }
    let opts = RemoteOptions {
        caps: Profile::CustomSigner.caps(),
        // Also how long each `wait:` lasts: the signer thread reacts within a second.
        step_timeout: Duration::from_secs(3),
        poll: Duration::from_millis(100),
        run_id: "signer-test".into(),
    };
    let results = run_remote(
        &scenarios,
        &kc,
        Profile::CustomSigner,
        &opts,
        None,
        &Cleanup::default(),
    )
    .unwrap();
    stop.store(true, Ordering::SeqCst);
    signer_thread.join().unwrap();
    server.stop();
    let file = |id: &str| {
        id.rsplit('/')
            .next()
            .unwrap_or(id)
            .trim_end_matches(".yaml")
            .to_string()
    };
    assert_eq!(results.len(), 6, "the custom-signer profile has six rules");
    let mut passed = BTreeSet::new();
    let mut failed = BTreeSet::new();
    for r in &results {
        match &r.outcome {
            Outcome::Passed => {
                passed.insert(file(&r.id));
            }
            Outcome::Failed(f) => {
                eprintln!("{}: step {} {}: {:?}", r.id, f.step, f.kind, f.mismatch);
                failed.insert(file(&r.id));
            }
            Outcome::Skipped { reason } => panic!("{} skipped: {reason}", r.id),
        }
    }
    (passed, failed)
}

#[test]
fn correct_external_signer_passes_the_custom_signer_profile() {
    // Retargeted to another signer name: a signer still serving example.com/test would not
    // sign these CSRs, so passing shows the library really moved.
    let (passed, failed) = run_profile(Behaviour::Correct, OTHER_SIGNER);
    assert!(failed.is_empty(), "failed: {failed:?}");
    assert_eq!(passed.len(), 6);
}

#[test]
fn a_signer_certifying_another_key_fails_the_key_rule_only() {
    let (passed, failed) = run_profile(Behaviour::OtherKey, SIGNER);
    assert_eq!(
        failed,
        BTreeSet::from(["certificate-for-requested-key".to_string()])
    );
    assert_eq!(passed.len(), 5);
}

#[test]
fn wrong_external_signer_fails_exactly_the_rules_it_breaks() {
    let (passed, failed) = run_profile(Behaviour::Wrong, SIGNER);
    // Signing regardless of approval also signs denied CSRs; a year ignores expirationSeconds.
    let want: BTreeSet<String> = [
        "no-certificate-without-approval",
        "no-certificate-when-denied",
        "honours-expiration-seconds",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    assert_eq!(failed, want);
    let ok: BTreeSet<String> = [
        "issues-after-approval",
        "certificate-set-once",
        "certificate-for-requested-key",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    assert_eq!(passed, ok);
}

#[test]
fn a_bad_signer_name_is_a_usage_error() {
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_csrsim"))
        .args([
            "run",
            "--kubeconfig",
            "/nonexistent",
            "--profile",
            "custom-signer",
            "--signer-name",
            "Not_A_Domain/x",
            "scenarios/conformance",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("--signer-name \"Not_A_Domain/x\"") && err.contains("spec.signerName"),
        "{err}"
    );
}

fn csrsim(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_csrsim"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap()
}

#[test]
fn an_unreachable_target_or_refused_credentials_is_exit_2_before_any_rule() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Server::start(dir.path(), &["--clock", "virtual"]);
    let kc = std::fs::read_to_string(&server.kubeconfig).unwrap();
    // Nothing listens on port 1.
    let dead = dir.path().join("dead.kubeconfig");
    let server_line = kc
        .lines()
        .find(|l| l.trim_start().starts_with("server:"))
        .unwrap();
    std::fs::write(
        &dead,
        kc.replace(server_line, "    server: https://127.0.0.1:1"),
    )
    .unwrap();
    // A token the server does not know, instead of the admin certificate.
    let stranger = dir.path().join("stranger.kubeconfig");
    let mut lines: Vec<String> = Vec::new();
    for l in kc.lines() {
        let t = l.trim_start();
        if t.starts_with("client-certificate-data:") || t.starts_with("client-key-data:") {
            continue;
        }
        lines.push(l.to_string());
        if t == "user:" {
            lines.push(format!(
                "{}  token: not-a-known-token",
                &l[..l.len() - t.len()]
            ));
        }
    }
    std::fs::write(&stranger, lines.join("\n")).unwrap();
    for (kc, want) in [
        (&dead, "cannot reach the target: https://127.0.0.1:1/"),
        (
            &stranger,
            "the server refused the kubeconfig's credentials (401 Unauthorized",
        ),
    ] {
        let o = csrsim(&[
            "run",
            "--kubeconfig",
            kc.to_str().unwrap(),
            "scenarios/conformance",
        ]);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{err}");
        assert!(err.contains(want), "{err}");
        assert!(
            o.stdout.is_empty(),
            "no rule ran: {}",
            String::from_utf8_lossy(&o.stdout)
        );
    }
    server.stop();
}

#[test]
fn json_and_junit_reports_name_the_profile_and_each_rules_source() {
    // Nothing signs for example.com/test: the positive rules fail, the negative ones pass.
    let dir = tempfile::tempdir().unwrap();
    let mut server = Server::start(dir.path(), &["--clock", "virtual"]);
    let json_out = dir.path().join("r.json");
    let xml_out = dir.path().join("r.xml");
    for (format, out) in [("json", &json_out), ("junit", &xml_out)] {
        let o = csrsim(&[
            "run",
            "--kubeconfig",
            server.kubeconfig.to_str().unwrap(),
            "--profile",
            "custom-signer",
            "--step-timeout",
            "200ms",
            "--format",
            format,
            "--output",
            out.to_str().unwrap(),
            "scenarios/conformance",
        ]);
        assert_eq!(o.status.code(), Some(1), "a rule failed");
        let text = String::from_utf8_lossy(&o.stdout);
        assert!(
            text.starts_with("conformance profile: custom-signer\n")
                && text.ends_with("6 rules: 2 passed, 4 failed, 0 skipped\n"),
            "the text report goes to stdout: {text}"
        );
    }
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json_out).unwrap()).unwrap();
    assert_eq!(v["profile"], "custom-signer");
    assert_eq!(v["summary"]["failed"], 4);
    let r = v["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "scenarios/conformance/no-certificate-without-approval.yaml")
        .unwrap();
    assert_eq!(r["outcome"]["status"], "passed");
    assert_eq!(
        r["source"],
        "k8s.io/api certificates/v1 types.go: status.certificate is populated by the signer after an Approved condition is present"
    );
    let xml = std::fs::read_to_string(&xml_out).unwrap();
    assert!(
        xml.contains(
            "<testsuite name=\"csrsim conformance (custom-signer)\" tests=\"6\" failures=\"4\""
        ),
        "{xml}"
    );
    assert!(
        xml.contains("<property name=\"source\" value=\"pkg/controller/certificates/authority/authority.go: Sign creates the certificate for the request&apos;s PublicKey\"/>"),
        "{xml}"
    );
    server.stop();
}
