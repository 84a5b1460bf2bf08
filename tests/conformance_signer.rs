//! Conformance mode against an external signer: a tiny signer for `example.com/test` that
//! watches CSRs over HTTPS and issues through `/status` passes the custom-signer profile; a
//! deliberately wrong one (issues without approval, ignores expirationSeconds) fails exactly
//! the rules it breaks.
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
}

fn should_sign(csr: &CertificateSigningRequest, b: Behaviour, signer: &str) -> Option<i64> {
    if csr.spec.signer_name != signer || !csr.status.certificate.is_empty() {
        return None;
    }
    match b {
        Behaviour::Correct => {
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
                let Some((block, _)) = gopem::decode(&csr.spec.request) else {
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
        step_timeout: Duration::from_secs(5),
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
    assert_eq!(results.len(), 5, "the custom-signer profile has five rules");
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
    let ok: BTreeSet<String> = ["issues-after-approval", "certificate-set-once"]
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
