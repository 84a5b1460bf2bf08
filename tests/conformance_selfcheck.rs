//! Conformance self-check: the scenario library run against `csrsim serve --clock virtual` as a
//! *remote* target (HTTPS, impersonation, clock endpoint) gives the same verdict, scenario by
//! scenario, as the in-process runner. This proves the HTTP path and the core agree.
#![allow(clippy::disallowed_methods)] // tests are an edge

mod server_support;

use csrsim::remote::Kubeconfig;
use csrsim::scenario::conformance::{run_remote, Profile};
use csrsim::scenario::remote_target::{Cleanup, RemoteOptions};
use csrsim::scenario::{load_all, run_loaded, Outcome, ScenarioResult};
use server_support::Server;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

/// Scenarios that run remotely but cannot give the in-process verdict, and why (none at the
/// time of writing: the run label is hidden, watches are authorized as watches, and
/// bootstrap-token-secret declares the start its expiration depends on).
const EXCLUDED: &[(&str, &str)] = &[];

fn verdict(r: &ScenarioResult) -> String {
    match &r.outcome {
        Outcome::Passed => "passed".into(),
        Outcome::Failed(f) => format!(
            "failed at step {} ({}): {} {:?} {:?}",
            f.step, f.kind, f.mismatch.message, f.mismatch.expected, f.mismatch.actual
        ),
        Outcome::Skipped { .. } => "skipped".into(),
    }
}

#[test]
fn remote_verdicts_equal_in_process_verdicts() {
    let started = std::time::Instant::now();
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let scenarios = load_all(&[root]).expect("scenario library loads");
    let local: BTreeMap<String, ScenarioResult> = scenarios
        .iter()
        .map(|l| (l.id(), run_loaded(l, None)))
        .collect();

    let dir = tempfile::tempdir().unwrap();
    let mut server = Server::start(dir.path(), &["--clock", "virtual"]);
    let kc = Kubeconfig::load(&server.kubeconfig, None).unwrap();
    let opts = RemoteOptions {
        caps: Profile::Full.caps(),
        // csrsim serve runs its controllers before answering: no retries needed.
        step_timeout: Duration::ZERO,
        poll: Duration::ZERO,
        run_id: "selfcheck".into(),
    };
    let remote = run_remote(
        &scenarios,
        &kc,
        Profile::Full,
        &opts,
        None,
        &Cleanup::default(),
    )
    .expect("remote run");
    assert_eq!(remote.len(), scenarios.len());

    let mut compared = 0;
    let mut skipped = BTreeMap::new();
    let mut diffs = Vec::new();
    for r in &remote {
        let l = &local[&r.id];
        if let Outcome::Skipped { reason } = &r.outcome {
            skipped.insert(r.id.clone(), reason.clone());
            continue;
        }
        if EXCLUDED.iter().any(|(id, _)| r.id.ends_with(id)) {
            continue;
        }
        compared += 1;
        if verdict(r) != verdict(l) {
            diffs.push(format!(
                "{}\n  in-process: {}\n  remote:     {}",
                r.id,
                verdict(l),
                verdict(r)
            ));
        }
    }
    for (id, why) in &skipped {
        eprintln!("remote skip: {id}: {why}");
    }
    eprintln!(
        "self-check: {compared} compared, {} skipped remotely, {:?}",
        skipped.len(),
        started.elapsed()
    );
    assert!(diffs.is_empty(), "verdicts differ:\n{}", diffs.join("\n"));
    // A large part of the library must really run remotely, not be skipped away (63 at the
    // time of writing; the rest is skipped with its reason, printed above).
    assert!(
        compared >= 60,
        "only {compared} of {} compared",
        scenarios.len()
    );
    // Nothing the run created is left behind.
    let left = server.curl(
        "GET",
        "/apis/certificates.k8s.io/v1/certificatesigningrequests?labelSelector=csrsim.io%2Frun%3Dselfcheck",
        &[],
        None,
    );
    assert_eq!(left.0, 200);
    let v: serde_json::Value = serde_json::from_str(&left.1).unwrap();
    assert_eq!(v["items"].as_array().map(Vec::len), Some(0), "{}", left.1);
    server.stop();
}
