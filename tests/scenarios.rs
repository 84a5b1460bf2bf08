//! The scenario library as a test suite: every file in `scenarios/` runs under `cargo test`,
//! plus the runner's contracts: exit codes 1 (failed, readable diff) and 2 (bad input with
//! file:line:col), JUnit that parses as XML, byte-identical reruns for a seed.

use csrsim::scenario::{self, report, Outcome};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Scenarios allowed to be skipped (a capability missing from the build). Empty since the
/// signers, the auto-approver, the cleaner and RBAC were merged: every scenario must run.
const MAY_SKIP: &[&str] = &[];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn rel(id: &str) -> String {
    let p = Path::new(id);
    p.strip_prefix(root())
        .unwrap_or(p)
        .display()
        .to_string()
        .replace('\\', "/")
}

fn library() -> Vec<scenario::Loaded> {
    std::env::set_current_dir(root()).expect("cd to the crate root");
    match scenario::load_all(&[PathBuf::from("scenarios")]) {
        Ok(v) => v,
        Err(errs) => panic!("{}", report::load_errors(&errs)),
    }
}

fn jobs() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
}

#[test]
fn every_library_scenario_passes() {
    let lib = library();
    let results = scenario::run_all(&lib, None, jobs(), |_, _| {});
    let style = report::Style { color: false };
    let failed: Vec<_> = results.iter().filter(|r| r.failed()).cloned().collect();
    assert!(
        failed.is_empty(),
        "failing scenarios:\n{}",
        report::text(&failed, None, style)
    );
    let pending: BTreeSet<&str> = MAY_SKIP.iter().copied().collect();
    let mut skipped = Vec::new();
    for r in &results {
        if let Outcome::Skipped { reason } = &r.outcome {
            let id = rel(&r.id);
            assert!(
                // conformance: external-signer rules only run remotely (--profile custom-signer).
                pending.contains(id.as_str()) || id.starts_with("scenarios/conformance/"),
                "{id} was skipped ({reason}) but is not listed in MAY_SKIP"
            );
            skipped.push(id);
        }
    }
    eprintln!(
        "{} scenarios; {} skipped: {:?}",
        results.len(),
        skipped.len(),
        skipped
    );
}

#[test]
fn library_is_large_and_every_file_says_what_it_teaches() {
    let lib = library();
    assert!(lib.len() >= 60, "only {} scenarios", lib.len());
    for l in &lib {
        let text = std::fs::read_to_string(&l.file).expect("read");
        assert!(
            text.starts_with("# Teaches:"),
            "{} must start with `# Teaches:`",
            l.id()
        );
        assert!(
            text.contains("# Mirrors:"),
            "{} must say which upstream rule it mirrors",
            l.id()
        );
    }
    let areas: BTreeSet<String> = lib
        .iter()
        .filter_map(|l| {
            l.file
                .parent()
                .and_then(|p| p.file_name())
                .map(|n| n.to_string_lossy().into_owned())
        })
        .collect();
    for a in [
        "validation",
        "strategy",
        "rbac-admission",
        "watch",
        "signers",
        "approver",
        "cleaner",
        "kubelet",
        "seed-walkthrough",
    ] {
        assert!(areas.contains(a), "no scenarios in {a}/");
    }
}

#[test]
fn same_seed_gives_identical_report_and_trace_bytes() {
    let lib = library();
    let a = scenario::run_all(&lib, Some(42), jobs(), |_, _| {});
    let b = scenario::run_all(&lib, Some(42), 1, |_, _| {});
    assert_eq!(report::json(&a, Some(42)), report::json(&b, Some(42)));
    for (x, y) in a.iter().zip(&b) {
        assert_eq!(x.trace, y.trace, "trace of {} differs between runs", x.id);
    }
    // Another seed: other uids/keys (trace bytes differ) but the same verdicts.
    let c = scenario::run_all(&lib, Some(43), jobs(), |_, _| {});
    let verdicts = |v: &[scenario::ScenarioResult]| {
        v.iter()
            .map(|r| (r.id.clone(), r.passed()))
            .collect::<Vec<_>>()
    };
    assert_eq!(verdicts(&a), verdicts(&c));
    assert!(
        a.iter().zip(&c).any(|(x, y)| x.trace != y.trace),
        "the seed must reach the trace"
    );
}

fn csrsim(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_csrsim"))
        .current_dir(root())
        .args(args)
        .output()
        .expect("run csrsim");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn broken_scenario_exits_1_with_a_readable_diff() {
    let (code, out, _) = csrsim(&["run", "tests/fixtures/broken.yaml"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("FAIL deliberately broken expectation"),
        "{out}"
    );
    assert!(
        out.contains("tests/fixtures/broken.yaml:5:5: step 2 `expect`"),
        "{out}"
    );
    assert!(out.contains("- condition: Approved"), "{out}");
    assert!(out.contains("+ condition: Pending"), "{out}");
    assert!(
        out.contains("+ spec.username: \"kubernetes-admin\""),
        "{out}"
    );
    assert!(out.contains("--seed 0"), "the seed to replay: {out}");
    assert!(!out.contains('\x1b'), "no colours when stdout is not a TTY");
}

#[test]
fn malformed_scenarios_exit_2_with_file_line_col() {
    let cases = [
        (
            "tests/fixtures/malformed.yaml",
            "tests/fixtures/malformed.yaml:6:7: unknown field `usage`",
        ),
        (
            "tests/fixtures/bad-duration.yaml",
            "tests/fixtures/bad-duration.yaml:3:14: invalid duration \"25 lightyears\"",
        ),
        (
            "tests/fixtures/duplicate-key.yaml",
            "tests/fixtures/duplicate-key.yaml:2:1: duplicate mapping key: name",
        ),
        (
            "tests/fixtures/unknown-step.yaml",
            "tests/fixtures/unknown-step.yaml:4:5: unknown variant `aprove`",
        ),
        (
            "tests/fixtures/unknown-identity.yaml",
            "tests/fixtures/unknown-identity.yaml:4:5: unknown identity \"bob\"",
        ),
    ];
    for (file, want) in cases {
        let (code, _, err) = csrsim(&["run", file]);
        assert_eq!(code, 2, "{file}: {err}");
        assert!(err.contains(want), "{file}: expected {want:?} in:\n{err}");
        assert!(err.contains("hint:"), "{file}: a hint: {err}");
        assert!(err.contains(" | "), "{file}: a source snippet: {err}");
    }
    let (code, _, err) = csrsim(&["run", "no/such/dir"]);
    assert_eq!(code, 2, "{err}");
    // A folder holding no scenario is a wrong path, not a pass.
    let empty = tempfile::tempdir().expect("tempdir");
    let (code, out, err) = csrsim(&["run", empty.path().to_str().expect("utf8")]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(err.contains("no scenario files"), "{err}");
    // Mistakes the runner could only find mid-run are load errors too: nothing runs.
    let bad = empty.path().join("bad.yaml");
    std::fs::write(
        &bad,
        "name: x\nsteps:\n  - create_csr: {name: c}\n  - pause: csrsignin\n",
    )
    .expect("write");
    let (code, out, err) = csrsim(&["run", bad.to_str().expect("utf8")]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(
        err.contains("bad.yaml:4:5: unknown controller \"csrsignin\""),
        "{err}"
    );
    // Two scenarios of one folder named alike would be one JUnit test case.
    std::fs::write(&bad, "name: same\nsteps: []\n").expect("write");
    std::fs::write(
        empty.path().join("copy.yaml"),
        "# a copy\nname: same\nsteps: []\n",
    )
    .expect("write");
    let (code, out, err) = csrsim(&["run", empty.path().to_str().expect("utf8")]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(
        err.contains("copy.yaml:2:1: scenario name \"same\" is already used by"),
        "{err}"
    );
}

/// A label or annotation value that YAML reads as a number or a bool reaches the API as that
/// JSON value, as `kubectl create -f` sends it: the decoder's 400, not a string label.
#[test]
fn non_string_label_values_fail_as_the_api_does() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("labels.yaml");
    let msg = |value: &str, field: &str| {
        format!("CertificateSigningRequest in version \\\"v1\\\" cannot be handled as a CertificateSigningRequest: json: cannot unmarshal {value} into Go struct field ObjectMeta.metadata.{field} of type string")
    };
    let src = format!(
        "name: non-string label values\nsteps:\n  - create_csr: {{name: a, labels: {{a: 1}}, error: {{code: 400, reason: BadRequest, message: \"{}\"}}}}\n  - create_csr: {{name: b, annotations: {{b: true}}, error: {{code: 400, message: \"{}\"}}}}\n  - create_csr: {{name: c, labels: {{c: \"1\"}}}}\n  - expect: {{csr: c, fields: {{metadata.labels.c: \"1\"}}}}\n  - create: {{resource: csr, object: {{apiVersion: certificates.k8s.io/v1, kind: CertificateSigningRequest, metadata: {{name: d, labels: {{d: 1}}}}, spec: {{signerName: example.com/x, usages: [client auth], request: \"\"}}}}, error: {{code: 400, message: \"{}\"}}}}\n",
        msg("number", "labels"),
        msg("bool", "annotations"),
        msg("number", "labels"),
    );
    std::fs::write(&file, src).expect("write");
    let (code, out, err) = csrsim(&["run", file.to_str().expect("utf8")]);
    assert_eq!(code, 0, "{out}{err}");
}

#[test]
fn junit_output_parses_as_junit_xml() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("report.xml");
    let (code, stdout, _) = csrsim(&[
        "run",
        "scenarios/validation",
        "tests/fixtures/broken.yaml",
        "--format",
        "junit",
        "--output",
        out.to_str().expect("utf8"),
    ]);
    assert_eq!(code, 1, "{stdout}");
    let xml = std::fs::read_to_string(&out).expect("report written");
    let doc = roxmltree::Document::parse(&xml).expect("well-formed XML");
    let rootel = doc.root_element();
    assert_eq!(rootel.tag_name().name(), "testsuites");
    let cases: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name("testcase"))
        .collect();
    let files = std::fs::read_dir(root().join("scenarios/validation"))
        .expect("dir")
        .filter(|e| {
            e.as_ref()
                .is_ok_and(|e| e.path().extension().is_some_and(|x| x == "yaml"))
        })
        .count();
    assert_eq!(cases.len(), files + 1);
    assert_eq!(
        rootel.attribute("tests"),
        Some((files + 1).to_string().as_str())
    );
    assert_eq!(rootel.attribute("failures"), Some("1"));
    let failures: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name("failure"))
        .collect();
    assert_eq!(failures.len(), 1);
    assert!(
        failures[0].text().unwrap_or("").contains("- condition")
            || failures[0].text().unwrap_or("").contains("expected:")
    );
    assert!(cases
        .iter()
        .all(|c| c.attribute("name").is_some() && c.attribute("classname").is_some()));
}

#[test]
fn machine_reports_carry_load_errors() {
    let dir = tempfile::tempdir().expect("tempdir");
    let xml = dir.path().join("report.xml");
    std::fs::write(&xml, "stale").expect("write");
    let (code, _, err) = csrsim(&[
        "run",
        "tests/fixtures/unknown-step.yaml",
        "--format",
        "junit",
        "--output",
        xml.to_str().expect("utf8"),
    ]);
    assert_eq!(code, 2, "{err}");
    let text = std::fs::read_to_string(&xml).expect("report written");
    let doc = roxmltree::Document::parse(&text).expect("well-formed XML");
    assert_eq!(doc.root_element().attribute("errors"), Some("1"));
    let e = doc
        .descendants()
        .find(|n| n.has_tag_name("error"))
        .expect("an <error>");
    assert!(
        e.text()
            .unwrap_or("")
            .contains("tests/fixtures/unknown-step.yaml:4:5: unknown variant `aprove`"),
        "{text}"
    );
    let (code, out, _) = csrsim(&[
        "run",
        "tests/fixtures/unknown-step.yaml",
        "--format",
        "json",
    ]);
    assert_eq!(code, 2);
    let v: serde_json::Value = serde_json::from_str(&out).expect("JSON on stdout");
    assert_eq!(v["load_errors"][0]["line"], 4, "{out}");
    assert_eq!(v["load_errors"][0]["col"], 5, "{out}");
}

#[test]
fn shards_partition_the_library() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut seen = BTreeSet::new();
    let mut total = 0;
    for k in 1..=3 {
        let out = dir.path().join(format!("s{k}.json"));
        let (code, _, err) = csrsim(&[
            "run",
            "scenarios/validation",
            "--shard",
            &format!("{k}/3"),
            "--format",
            "json",
            "--output",
            out.to_str().expect("utf8"),
        ]);
        assert_eq!(code, 0, "{err}");
        let v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&out).expect("read")).expect("json");
        for r in v["results"].as_array().expect("results") {
            assert!(
                seen.insert(r["id"].as_str().expect("id").to_string()),
                "a scenario ran in two shards"
            );
            total += 1;
        }
    }
    let files = std::fs::read_dir(root().join("scenarios/validation"))
        .expect("dir")
        .filter(|e| {
            e.as_ref()
                .is_ok_and(|e| e.path().extension().is_some_and(|x| x == "yaml"))
        })
        .count();
    assert_eq!(total, files);
}

#[test]
fn trace_file_is_identical_across_runs() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (a, b) = (dir.path().join("a.jsonl"), dir.path().join("b.jsonl"));
    for p in [&a, &b] {
        let (code, _, err) = csrsim(&[
            "run",
            "scenarios/watch",
            "scenarios/seed-walkthrough",
            "--seed",
            "9",
            "--trace",
            p.to_str().expect("utf8"),
        ]);
        assert_eq!(code, 0, "{err}");
    }
    let (x, y) = (std::fs::read(&a).expect("a"), std::fs::read(&b).expect("b"));
    assert!(!x.is_empty());
    assert_eq!(x, y);
    for line in String::from_utf8(x).expect("utf8").lines() {
        serde_json::from_str::<serde_json::Value>(line).expect("each trace line is JSON");
    }
}

#[test]
fn timeline_svg_draws_states_and_certificates() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("t.svg");
    let (code, _, err) = csrsim(&[
        "run",
        "scenarios/seed-walkthrough",
        "--timeline",
        out.to_str().expect("utf8"),
    ]);
    assert_eq!(code, 0, "{err}");
    let svg = std::fs::read_to_string(&out).expect("written");
    let doc = roxmltree::Document::parse(&svg).expect("well-formed SVG");
    let titles: Vec<String> = doc
        .descendants()
        .filter(|n| n.has_tag_name("title"))
        .filter_map(|n| n.text().map(String::from))
        .collect();
    for want in [
        "myuser Pending from",
        "myuser Approved from",
        "myuser Approved,Issued from",
        "certificate myuser valid 2030-01-01T00:00:00Z → 2030-01-02T00:00:00Z",
    ] {
        assert!(
            titles.iter().any(|t| t.starts_with(want)),
            "{want:?} not in {titles:?}"
        );
    }
}

/// `csrsim run --help` names every exit status the command uses, the conformance mode's too
/// (an unreachable --kubeconfig server is 2, Ctrl-C 130), and the unreachable case is 2.
#[test]
fn run_help_states_every_exit_status() {
    let (code, help, _) = csrsim(&["run", "--help"]);
    assert_eq!(code, 0);
    for s in [
        "Exit status: 0 every scenario passed",
        "1 a scenario failed",
        "2 bad input",
        "the server is unreachable",
        "130 after Ctrl-C",
    ] {
        assert!(help.contains(s), "{s}: {help}");
    }
    let d = tempfile::tempdir().unwrap();
    let kc = d.path().join("kubeconfig");
    std::fs::write(
        &kc,
        "apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: \"https://127.0.0.1:1\", insecure-skip-tls-verify: true}}]\nusers: [{name: u, user: {token: x}}]\ncontexts: [{name: c, context: {cluster: c, user: u}}]\ncurrent-context: c\n",
    )
    .unwrap();
    let (code, _, err) = csrsim(&[
        "run",
        "--kubeconfig",
        kc.to_str().unwrap(),
        "scenarios/conformance",
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("cannot reach the target"), "{err}");
}
