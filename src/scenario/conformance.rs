//! Conformance mode: `csrsim run --kubeconfig FILE [--context NAME] [--profile NAME] PATH…` runs
//! the scenario library against a live API server through [`RemoteTarget`] and reports one
//! verdict per rule, with the rule's upstream source.
//!
//! Profiles say what the target offers:
//! - `full`: a complete control plane (built-in signers, approver, cleaner, RBAC), e.g.
//!   `csrsim serve` or a kube-controller-manager cluster: every scenario applies;
//! - `custom-signer`: an external signer under test (the library's `example.com/test`, or the
//!   name given with `--signer-name`): only the scenarios that `requires: [custom_signer]`
//!   (scenarios/conformance/) apply.
//!
//! Edge module: network I/O, Ctrl-C handling, wall clock (through the remote target).
#![allow(clippy::disallowed_methods)]

use super::loader::Loaded;
use super::remote_target::{skip_reason, Cleanup, RemoteOptions, RemoteTarget};
use super::runner::{run_on, Outcome, ScenarioResult};
use super::schema::{Capability, Step};
use super::{report, Format, RunArgs, EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK};
use crate::remote::{Kubeconfig, RemoteCluster};
use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::time::Duration;

/// Default per-step timeout of expectations on a remote target.
pub const DEFAULT_STEP_TIMEOUT: Duration = Duration::from_secs(10);
/// Delay between two tries of a failing expectation.
pub const DEFAULT_POLL: Duration = Duration::from_millis(200);

/// What the target is expected to offer.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Profile {
    /// A complete control plane: built-in signers, approver, cleaner, RBAC.
    Full,
    /// Only an external signer is under test (`example.com/test`, or `--signer-name`).
    CustomSigner,
}

impl Profile {
    pub fn as_str(self) -> &'static str {
        match self {
            Profile::Full => "full",
            Profile::CustomSigner => "custom-signer",
        }
    }

    /// Capabilities a target of this profile offers.
    pub fn caps(self) -> BTreeSet<Capability> {
        match self {
            Profile::Full => [
                Capability::Signer,
                Capability::Approver,
                Capability::Cleaner,
                Capability::Rbac,
            ]
            .into(),
            Profile::CustomSigner => [Capability::CustomSigner, Capability::Rbac].into(),
        }
    }

    /// Does the scenario belong to this profile?
    pub fn selects(self, l: &Loaded) -> bool {
        let custom = l.scenario.requires.contains(&Capability::CustomSigner);
        match self {
            Profile::Full => true,
            Profile::CustomSigner => custom,
        }
    }
}

/// Run `scenarios` (those the profile selects) one after the other against the target of `kc`,
/// deleting what each created before the next starts.
pub fn run_remote(
    scenarios: &[Loaded],
    kc: &Kubeconfig,
    profile: Profile,
    opts: &RemoteOptions,
    seed: Option<u64>,
    cleanup: &Cleanup,
) -> Result<Vec<ScenarioResult>, String> {
    let mut rc = RemoteCluster::connect(kc)?;
    let clock = rc.has_clock();
    let mut out = Vec::new();
    for l in scenarios.iter().filter(|l| profile.selects(l)) {
        let s = &l.scenario;
        let seed_used = seed.or(s.cluster.seed).unwrap_or(0);
        let mut res = ScenarioResult::start(l, seed_used);
        if let Some(reason) = skip_reason(l, &opts.caps, clock) {
            res.outcome = Outcome::Skipped { reason };
            out.push(res);
            continue;
        }
        let mut t = RemoteTarget::new(rc, seed_used, opts.clone(), cleanup.clone());
        run_on(&mut t, l, &mut res);
        rc = t.into_inner();
        let errs = cleanup.run(&mut rc);
        if !errs.is_empty() && res.passed() {
            res.trace.push_str(
                &serde_json::json!({"event": "cleanup-failed", "errors": errs}).to_string(),
            );
        }
        out.push(res);
    }
    Ok(out)
}

fn source_of(l: &Loaded) -> String {
    let m = l.scenario.mirrors.trim();
    if !m.is_empty() {
        return m.to_string();
    }
    // Library files name their source in a leading `# Mirrors:` comment.
    std::fs::read_to_string(&l.file)
        .ok()
        .and_then(|src| {
            src.lines()
                .find_map(|x| x.strip_prefix("# Mirrors:").map(|r| r.trim().to_string()))
        })
        .unwrap_or_else(|| "-".into())
}

/// Text report: one line per rule, `PASS|FAIL|SKIP  rule  (source)`, details under failures.
pub fn text(scenarios: &[Loaded], results: &[ScenarioResult], profile: Profile) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "conformance profile: {}", profile.as_str());
    for r in results {
        let src = scenarios
            .iter()
            .find(|l| l.id() == r.id)
            .map(source_of)
            .unwrap_or_default();
        let (tag, extra) = match &r.outcome {
            Outcome::Passed => ("PASS", String::new()),
            Outcome::Skipped { reason } => ("SKIP", format!("\n      skipped: {reason}")),
            Outcome::Failed(f) => (
                "FAIL",
                format!(
                    "\n      step {} `{}` (line {}): {}{}{}",
                    f.step,
                    f.kind,
                    f.line,
                    f.mismatch.message,
                    f.mismatch
                        .expected
                        .as_ref()
                        .map(|e| format!("\n      expected: {}", e.replace('\n', "; ")))
                        .unwrap_or_default(),
                    f.mismatch
                        .actual
                        .as_ref()
                        .map(|e| format!("\n      actual:   {}", e.replace('\n', "; ")))
                        .unwrap_or_default(),
                ),
            ),
        };
        let _ = writeln!(
            o,
            "{tag}  {}  [{}]\n      source: {src}{extra}",
            r.name, r.id
        );
    }
    let s = report::summarize(results);
    let _ = writeln!(
        o,
        "{} rules: {} passed, {} failed, {} skipped",
        s.total, s.passed, s.failed, s.skipped
    );
    o
}

/// JUnit XML: one testcase per rule, its upstream source as a property.
pub fn junit(scenarios: &[Loaded], results: &[ScenarioResult], profile: Profile) -> String {
    let s = report::summarize(results);
    let mut o = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        o,
        "<testsuite name=\"csrsim conformance ({})\" tests=\"{}\" failures=\"{}\" skipped=\"{}\" errors=\"0\">",
        profile.as_str(),
        s.total,
        s.failed,
        s.skipped
    );
    for r in results {
        let src = scenarios
            .iter()
            .find(|l| l.id() == r.id)
            .map(source_of)
            .unwrap_or_default();
        let _ = writeln!(
            o,
            "  <testcase classname=\"{}\" name=\"{}\">\n    <properties><property name=\"source\" value=\"{}\"/></properties>",
            report::xml_escape(&r.id),
            report::xml_escape(&r.name),
            report::xml_escape(&src)
        );
        match &r.outcome {
            Outcome::Passed => {}
            Outcome::Skipped { reason } => {
                let _ = writeln!(
                    o,
                    "    <skipped message=\"{}\"/>",
                    report::xml_escape(reason)
                );
            }
            Outcome::Failed(f) => {
                let _ = writeln!(
                    o,
                    "    <failure message=\"{}\">step {} `{}` (line {})\nexpected:\n{}\nactual:\n{}</failure>",
                    report::xml_escape(&f.mismatch.message),
                    f.step,
                    f.kind,
                    f.line,
                    report::xml_escape(f.mismatch.expected.as_deref().unwrap_or("")),
                    report::xml_escape(f.mismatch.actual.as_deref().unwrap_or(""))
                );
            }
        }
        o.push_str("  </testcase>\n");
    }
    o.push_str("</testsuite>\n");
    o
}

/// JSON: the in-process report's shape (`summary`, `seed`, `results`), plus the `profile` and
/// each result's upstream `source`, as the text and JUnit reports have them.
pub fn json(
    scenarios: &[Loaded],
    results: &[ScenarioResult],
    profile: Profile,
    seed: Option<u64>,
) -> String {
    let mut v: serde_json::Value =
        serde_json::from_str(&report::json(results, seed)).unwrap_or_default();
    v["profile"] = profile.as_str().into();
    if let Some(items) = v["results"].as_array_mut() {
        for (item, r) in items.iter_mut().zip(results) {
            let src = scenarios
                .iter()
                .find(|l| l.id() == r.id)
                .map(source_of)
                .unwrap_or_default();
            item["source"] = src.into();
        }
    }
    serde_json::to_string_pretty(&v).unwrap_or_default() + "\n"
}

/// A run id: wall-clock seconds and the process id (unique enough per cluster).
fn new_run_id() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    format!("r{secs}-{}", std::process::id())
}

/// On Ctrl-C: delete what the run created, then exit 130.
fn install_ctrl_c(kc: Kubeconfig, cleanup: Cleanup) {
    std::thread::spawn(move || {
        let Ok(rt) = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        else {
            return;
        };
        if rt.block_on(tokio::signal::ctrl_c()).is_ok() {
            eprintln!("\ncsrsim run: interrupted, deleting the objects this run created…");
            if let Ok(mut rc) = RemoteCluster::connect(&kc) {
                for e in cleanup.run(&mut rc) {
                    eprintln!("csrsim run: cleanup: {e}");
                }
            }
            std::process::exit(130);
        }
    });
}

/// The signer name the conformance library uses for the external signer under test.
pub const LIBRARY_SIGNER: &str = "example.com/test";

/// Point every CSR the scenarios create for [`LIBRARY_SIGNER`] at `signer` instead.
pub fn retarget_signer(scenarios: &mut [Loaded], signer: &str) {
    for l in scenarios {
        for st in &mut l.scenario.steps {
            if let Step::CreateCsr(c) = &mut st.value {
                if c.signer.as_deref() == Some(LIBRARY_SIGNER) {
                    c.signer = Some(signer.to_string());
                }
            }
        }
    }
}

/// A signer name as validation accepts it (`<domain>/<path>`, a DNS-1123 subdomain before the
/// first slash); checked up front so a typo is a usage error, not 10 failing rules.
fn check_signer_name(s: &str) -> Result<(), String> {
    let errs = crate::validation::names::validate_signer_name("spec.signerName", s);
    if errs.is_empty() {
        Ok(())
    } else {
        Err(errs
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("; "))
    }
}

/// `csrsim run --kubeconfig …`: the whole conformance run. Returns the exit code.
pub fn run_remote_cli(args: &RunArgs, mut scenarios: Vec<Loaded>) -> i32 {
    if let Some(n) = &args.signer_name {
        if let Err(e) = check_signer_name(n) {
            eprintln!("csrsim run: --signer-name {n:?}: {e}");
            return EXIT_BAD_INPUT;
        }
        retarget_signer(&mut scenarios, n);
    }
    let Some(path) = &args.kubeconfig else {
        return EXIT_BAD_INPUT;
    };
    let kc = match Kubeconfig::load(path, args.context.as_deref()) {
        Ok(k) => k,
        Err(e) => {
            eprintln!("csrsim run: {e}");
            return EXIT_BAD_INPUT;
        }
    };
    let profile = args.profile.unwrap_or(Profile::Full);
    let opts = RemoteOptions {
        caps: profile.caps(),
        step_timeout: args
            .step_timeout
            .map(Duration::from)
            .unwrap_or(DEFAULT_STEP_TIMEOUT),
        poll: DEFAULT_POLL,
        run_id: new_run_id(),
    };
    let cleanup = Cleanup::default();
    install_ctrl_c(kc.clone(), cleanup.clone());
    let results = match run_remote(&scenarios, &kc, profile, &opts, args.seed, &cleanup) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("csrsim run: cannot reach the target: {e}");
            return EXIT_BAD_INPUT;
        }
    };
    let body = match args.format {
        Format::Junit => junit(&scenarios, &results, profile),
        Format::Json => json(&scenarios, &results, profile, args.seed),
        Format::Text => text(&scenarios, &results, profile),
    };
    match &args.output {
        Some(p) => {
            if let Err(e) = std::fs::write(p, &body) {
                eprintln!("csrsim run: cannot write {}: {e}", p.display());
                return EXIT_BAD_INPUT;
            }
            print!("{}", text(&scenarios, &results, profile));
        }
        None => print!("{body}"),
    }
    if results.iter().any(ScenarioResult::failed) {
        EXIT_FAILED
    } else {
        EXIT_OK
    }
}
