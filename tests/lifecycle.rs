//! Lifecycle property tests: random sequences of user actions, controller faults and time
//! advances, run as scenarios with `check_invariants: true` (see docs/scenarios.md). When a
//! case fails, proptest's shrunk sequence is written out as a scenario YAML file ready to commit
//! as a regression (`target/lifecycle-regressions/`, or `$CSRSIM_REGRESSION_DIR`).

use csrsim::scenario::{loader, run_loaded, Outcome, ScenarioResult};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestError, TestRunner};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// One generated action. Indexes pick among a few CSRs, signers, identities, controllers.
#[derive(Clone, Debug)]
enum Action {
    Create { csr: u8, signer: u8 },
    Approve { csr: u8, as_node: bool },
    Deny { csr: u8 },
    Sign { csr: u8 },
    Fail { csr: u8 },
    StripConditions { csr: u8 },
    Delete { csr: u8 },
    Advance { minutes: u16 },
    Pause { ctl: u8 },
    Resume { ctl: u8 },
}

const CONTROLLERS: [&str; 3] = ["csrsigning", "csrapproving", "csrcleaner"];

fn action() -> impl Strategy<Value = Action> {
    prop_oneof![
        3 => (0u8..3, 0u8..4).prop_map(|(csr, signer)| Action::Create { csr, signer }),
        2 => (0u8..3, any::<bool>()).prop_map(|(csr, as_node)| Action::Approve { csr, as_node }),
        1 => (0u8..3).prop_map(|csr| Action::Deny { csr }),
        1 => (0u8..3).prop_map(|csr| Action::Sign { csr }),
        1 => (0u8..3).prop_map(|csr| Action::Fail { csr }),
        1 => (0u8..3).prop_map(|csr| Action::StripConditions { csr }),
        1 => (0u8..3).prop_map(|csr| Action::Delete { csr }),
        2 => (1u16..1600).prop_map(|minutes| Action::Advance { minutes }),
        1 => (0u8..3).prop_map(|ctl| Action::Pause { ctl }),
        1 => (0u8..3).prop_map(|ctl| Action::Resume { ctl }),
    ]
}

/// The YAML step for an action.
fn step(a: &Action) -> String {
    let n = |i: &u8| format!("c{i}");
    match a {
        Action::Create { csr, signer } => {
            let body = match signer {
                0 => "signer: kubernetes.io/kube-apiserver-client, usages: [client auth]".to_string(),
                1 => "signer: kubernetes.io/kube-apiserver-client-kubelet, usages: [digital signature, client auth], request: {generate: {cn: \"system:node:n1\", o: [system:nodes]}}".to_string(),
                2 => "signer: kubernetes.io/kubelet-serving, usages: [digital signature, server auth], request: {generate: {cn: \"system:node:n1\", o: [system:nodes], ips: [10.0.0.1]}}".to_string(),
                _ => "signer: example.com/custom".to_string(),
            };
            format!(
                "  - create_csr: {{as: \"node:n1\", name: {}, {body}}}\n",
                n(csr)
            )
        }
        Action::Approve { csr, as_node } => format!(
            "  - approve: {{as: {}, name: {}}}\n",
            if *as_node { "\"node:n1\"" } else { "admin" },
            n(csr)
        ),
        Action::Deny { csr } => format!("  - deny: {{name: {}}}\n", n(csr)),
        Action::Sign { csr } => format!(
            "  - sign: {{name: {}, certificate: {{generate: {{}}}}}}\n",
            n(csr)
        ),
        Action::Fail { csr } => format!("  - fail: {{name: {}, message: generated}}\n", n(csr)),
        Action::StripConditions { csr } => format!(
            "  - update: {{name: {}, subresource: approval, set: {{status.conditions: []}}}}\n",
            n(csr)
        ),
        Action::Delete { csr } => format!("  - delete: {{name: {}}}\n", n(csr)),
        Action::Advance { minutes } => format!("  - advance: {minutes}m\n"),
        Action::Pause { ctl } => format!("  - pause: {}\n", CONTROLLERS[*ctl as usize]),
        Action::Resume { ctl } => format!("  - resume: {}\n", CONTROLLERS[*ctl as usize]),
    }
}

/// Which controllers this build runs (a scenario turning one on is skipped otherwise).
fn available() -> (bool, bool, bool) {
    let probe = |key: &str| {
        let l = loader::parse(
            Path::new("probe.yaml"),
            &format!("name: probe\ncluster: {{{key}: true}}\nsteps: []\n"),
        )
        .expect("probe");
        !matches!(run_loaded(&l[0], None).outcome, Outcome::Skipped { .. })
    };
    (probe("signer"), probe("approver"), probe("cleaner"))
}

/// A whole scenario for a sequence (plus an optional extra tail of steps).
fn scenario(actions: &[Action], tail: &str, seed: u64) -> String {
    let (signer, approver, cleaner) = available();
    let mut s = String::new();
    let _ = writeln!(
        s,
        "# Teaches: regression found by tests/lifecycle.rs (proptest, shrunk); replays a generated"
    );
    let _ = writeln!(
        s,
        "# sequence of actions with the lifecycle invariants checked after every step."
    );
    let _ = writeln!(
        s,
        "# Mirrors: spec §12 (lifecycle) and the invariants of docs/scenarios.md."
    );
    let _ = writeln!(s, "name: lifecycle regression");
    let _ = writeln!(s, "cluster: {{seed: {seed}, signer: {signer}, approver: {approver}, cleaner: {cleaner}, kubeadm_bindings: true}}");
    let _ = writeln!(s, "check_invariants: true");
    let _ = writeln!(s, "tolerate_errors: true");
    let _ = writeln!(s, "steps:");
    for a in actions {
        s.push_str(&step(a));
    }
    s.push_str(tail);
    if actions.is_empty() && tail.is_empty() {
        s.push_str("  - advance: 1s\n");
    }
    s
}

fn run_yaml(yaml: &str) -> ScenarioResult {
    let l = loader::parse(Path::new("generated.yaml"), yaml)
        .unwrap_or_else(|e| panic!("generated scenario must load: {e}\n{yaml}"));
    run_loaded(&l[0], None)
}

fn regression_dir() -> PathBuf {
    std::env::var_os("CSRSIM_REGRESSION_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/lifecycle-regressions")
        })
}

/// Run the property; on failure write the shrunk case as a scenario and return its path.
fn check(cases: u32, tail: &str, dir: &Path, file_name: &str) -> Result<(), (PathBuf, String)> {
    // A fixed proptest seed: the generated cases (and so the shrunk regression) are reproducible.
    let mut runner = TestRunner::new_with_rng(
        Config {
            cases,
            failure_persistence: None,
            ..Config::default()
        },
        proptest::test_runner::TestRng::deterministic_rng(
            proptest::test_runner::RngAlgorithm::ChaCha,
        ),
    );
    let result = runner.run(&proptest::collection::vec(action(), 0..24), |actions| {
        let r = run_yaml(&scenario(&actions, tail, 1));
        match &r.outcome {
            Outcome::Failed(f) => Err(TestCaseError::fail(format!(
                "step {}: {}",
                f.step, f.mismatch.message
            ))),
            _ => Ok(()),
        }
    });
    match result {
        Ok(()) => Ok(()),
        Err(TestError::Fail(why, actions)) => {
            std::fs::create_dir_all(dir).expect("create regression dir");
            let path = dir.join(file_name);
            std::fs::write(&path, scenario(&actions, tail, 1)).expect("write regression");
            Err((path, why.to_string()))
        }
        Err(e) => panic!("proptest aborted: {e}"),
    }
}

#[test]
fn lifecycle_invariants_hold_for_random_sequences() {
    if let Err((path, why)) = check(64, "", &regression_dir(), "lifecycle-regression.yaml") {
        panic!(
            "lifecycle invariant violated ({why}); shrunk scenario written to {}",
            path.display()
        );
    }
}

#[test]
fn a_failing_property_is_shrunk_into_a_replayable_scenario() {
    // Made to fail on purpose: "no CSR exists at the end" is false as soon as one is created.
    let dir = tempfile::tempdir().expect("tempdir");
    let (path, why) = check(
        64,
        "  - expect: {count: 0}\n",
        dir.path(),
        "on-purpose.yaml",
    )
    .expect_err("the property must fail");
    assert!(why.contains("expected 0 object(s)"), "{why}");
    let yaml = std::fs::read_to_string(&path).expect("written");
    // Shrunk to (nearly) the minimum: a create that succeeds, then the failing expectation.
    let steps: Vec<&str> = yaml.lines().filter(|l| l.starts_with("  - ")).collect();
    assert!(steps.len() <= 3, "not shrunk: {yaml}");
    assert!(
        steps
            .iter()
            .any(|s| s.starts_with("  - create_csr: {as: \"node:n1\", name: c")),
        "{yaml}"
    );
    assert_eq!(steps.last().copied(), Some("  - expect: {count: 0}"));
    // It is a valid scenario that replays the failure.
    let loaded = loader::load_file(&path).expect("loads");
    match run_loaded(&loaded[0], None).outcome {
        Outcome::Failed(f) => assert_eq!(f.step, steps.len()),
        o => panic!("the regression must fail when replayed: {o:?}"),
    }
}
