//! Scenarios: the YAML language users write ([`schema`]), reading it with precise errors
//! ([`loader`]), running it on a cluster ([`runner`]), reporting ([`report`]), and the
//! `csrsim run` subcommand ([`run_cli`]).
//!
//! Determinism: each scenario runs on its own [`crate::sim::Cluster`] with its own seed; the
//! threads only decide *when* a scenario runs, never what it does, and results are reported in
//! file order. Same files + same seed ⇒ identical report and trace bytes.

pub mod conformance; // conformance:
pub mod loader;
pub mod pki;
pub mod remote_target; // conformance:
pub mod report;
pub mod runner;
pub mod schema;
pub mod timeline;

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

pub use loader::{LoadError, Loaded};
pub use runner::{run_loaded, ClusterTarget, Outcome, ScenarioResult, Target};

/// Exit codes of `csrsim run`.
pub const EXIT_OK: i32 = 0;
pub const EXIT_FAILED: i32 = 1;
pub const EXIT_BAD_INPUT: i32 = 2;

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
    Junit,
}

/// A CI shard: run scenario `i` iff `i % n == k - 1`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    pub k: usize,
    pub n: usize,
}

fn parse_shard(s: &str) -> Result<Shard, String> {
    let (k, n) = s.split_once('/').ok_or("expected K/N, e.g. 2/4")?;
    let k: usize = k.trim().parse().map_err(|_| "K must be a number")?;
    let n: usize = n.trim().parse().map_err(|_| "N must be a number")?;
    if n == 0 || k == 0 || k > n {
        return Err("need 1 <= K <= N".into());
    }
    Ok(Shard { k, n })
}

/// `csrsim run [PATH…]`.
#[derive(clap::Args, Debug, Clone)]
#[command(
    after_help = "Exit status: 0 every scenario passed (skipped ones allowed); 1 a scenario failed; 2 bad input (a file that does not load, a path without scenarios, an unwritable --output/--trace/--timeline), reported as file:line:col with a hint; nothing runs when a file does not load. With --kubeconfig also 2 when the kubeconfig cannot be read or the server is unreachable or refuses its credentials (before any scenario), and 130 after Ctrl-C (what the run created is deleted first)."
)]
pub struct RunArgs {
    /// Scenario files or folders (searched recursively for *.yaml / *.yml).
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// Override every scenario's seed.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Run only shard K of N (1-based), for CI fan-out: every Nth scenario from the Kth.
    #[arg(long, value_parser = parse_shard, conflicts_with = "kubeconfig", value_name = "K/N")]
    pub shard: Option<Shard>,
    /// Write the JSONL trace of every scenario to FILE (in-process runs).
    #[arg(long, conflicts_with = "kubeconfig", value_name = "FILE")]
    pub trace: Option<PathBuf>,
    /// Report format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
    /// Write the report to FILE instead of stdout (the text summary still goes to stdout; with
    /// --kubeconfig, the whole text report).
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Draw each CSR's states and certificate validity over virtual time into FILE.svg
    /// (in-process runs).
    #[arg(long, conflicts_with = "kubeconfig", value_name = "FILE.svg")]
    pub timeline: Option<PathBuf>,
    /// Worker threads (default: number of cores; in-process runs — a conformance run is
    /// sequential).
    #[arg(long, conflicts_with = "kubeconfig")]
    pub jobs: Option<usize>,
    // conformance: run against a live API server instead of in-process.
    /// Conformance mode: run against the API server of this kubeconfig (see docs/conformance.md).
    #[arg(long, value_name = "FILE")]
    pub kubeconfig: Option<PathBuf>,
    /// With --kubeconfig: its context (default: current-context).
    #[arg(long, requires = "kubeconfig")]
    pub context: Option<String>,
    /// With --kubeconfig: what the target offers, `full` (default) or `custom-signer`.
    #[arg(long, value_enum, requires = "kubeconfig")]
    pub profile: Option<conformance::Profile>,
    /// With --kubeconfig: how long a failing expectation is retried while the target's
    /// controllers act (default 10s); also the least a `wait:` step lasts.
    #[arg(long, requires = "kubeconfig")]
    pub step_timeout: Option<humantime::Duration>,
    /// The signer under test for `--profile custom-signer`: replaces the library's
    /// `example.com/test` in every CSR the scenarios create.
    #[arg(long, requires = "kubeconfig", value_name = "DOMAIN/NAME")]
    pub signer_name: Option<String>,
}

/// Load every scenario under `paths`; all load errors are collected.
pub fn load_all(paths: &[PathBuf]) -> Result<Vec<Loaded>, Vec<LoadError>> {
    let files = loader::collect(paths).map_err(|e| vec![e])?;
    let mut out = Vec::new();
    let mut errs = Vec::new();
    for f in files {
        match loader::load_file(&f) {
            Ok(v) => out.extend(v),
            Err(e) => errs.push(e),
        }
    }
    if errs.is_empty() {
        errs.extend(duplicate_names(&out));
    }
    if errs.is_empty() {
        Ok(out)
    } else {
        Err(errs)
    }
}

/// Two scenarios of one folder with the same `name:` would be one JUnit test case (same
/// classname and name): the second is a load error.
fn duplicate_names(all: &[Loaded]) -> Vec<LoadError> {
    let mut seen: std::collections::BTreeMap<(PathBuf, &str), String> = Default::default();
    let mut errs = Vec::new();
    for l in all {
        let key = (l.base_dir.clone(), l.scenario.name.as_str());
        match seen.get(&key) {
            None => {
                seen.insert(key, l.id());
            }
            Some(first) => {
                let src = std::fs::read_to_string(&l.file).unwrap_or_default();
                let line = src
                    .lines()
                    .enumerate()
                    .filter(|(_, t)| {
                        t.strip_prefix("name:")
                            .is_some_and(|v| v.trim().trim_matches(['"', '\'']) == l.scenario.name)
                    })
                    .nth(
                        if l.file.to_string_lossy() == first.split('#').next().unwrap_or("") {
                            1
                        } else {
                            0
                        },
                    )
                    .map_or(1, |(i, _)| i as u64 + 1);
                let text = src.lines().nth(line as usize - 1).unwrap_or("");
                errs.push(LoadError {
                    file: l.file.display().to_string(),
                    line,
                    col: 1,
                    message: format!(
                        "scenario name {:?} is already used by {first} in this folder",
                        l.scenario.name
                    ),
                    snippet: format!("{line:>4} | {text}\n       ^"),
                    hint: "reports (JUnit test cases) tell scenarios apart by folder and name: give each its own name".into(),
                });
            }
        }
    }
    errs
}

/// Run scenarios on `jobs` threads; results in input order.
pub fn run_all(
    scenarios: &[Loaded],
    seed: Option<u64>,
    jobs: usize,
    mut progress: impl FnMut(usize, usize) + Send,
) -> Vec<ScenarioResult> {
    let n = scenarios.len();
    let next = AtomicUsize::new(0);
    let done = Mutex::new((0usize, &mut progress));
    let slots: Mutex<Vec<Option<ScenarioResult>>> = Mutex::new(vec![None; n]);
    let jobs = jobs.clamp(1, n.max(1));
    std::thread::scope(|s| {
        for _ in 0..jobs {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                if i >= n {
                    break;
                }
                let r = run_loaded(&scenarios[i], seed);
                slots.lock().unwrap_or_else(|p| p.into_inner())[i] = Some(r);
                let mut d = done.lock().unwrap_or_else(|p| p.into_inner());
                d.0 += 1;
                let c = d.0;
                (d.1)(c, n);
            });
        }
    });
    slots
        .into_inner()
        .unwrap_or_else(|p| p.into_inner())
        .into_iter()
        .flatten()
        .collect()
}

/// The whole `csrsim run`: load, shard, run, report. Returns the exit code.
pub fn run_cli(args: RunArgs) -> i32 {
    let mut scenarios = match load_all(&args.paths) {
        Ok(s) => s,
        Err(errs) => {
            eprint!("{}", report::load_errors(&errs));
            // A machine-readable report still says why nothing ran (and replaces a stale one).
            let body = match args.format {
                Format::Text => None,
                Format::Json => Some(report::json_load_errors(&errs)),
                Format::Junit => Some(report::junit_load_errors(&errs)),
            };
            match (body, &args.output) {
                (Some(b), Some(p)) => {
                    if let Err(e) = std::fs::write(p, b) {
                        eprintln!("csrsim run: cannot write {}: {e}", p.display());
                    }
                }
                (Some(b), None) => print!("{b}"),
                (None, _) => {}
            }
            return EXIT_BAD_INPUT;
        }
    };
    // conformance: remote runs are sequential against one server.
    if args.kubeconfig.is_some() {
        return conformance::run_remote_cli(&args, scenarios);
    }
    if let Some(sh) = args.shard {
        scenarios = scenarios
            .into_iter()
            .enumerate()
            .filter(|(i, _)| i % sh.n == sh.k - 1)
            .map(|(_, s)| s)
            .collect();
    }
    let jobs = args.jobs.unwrap_or_else(|| {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    });
    let tty = std::io::stderr().is_terminal();
    let results = run_all(&scenarios, args.seed, jobs, |done, total| {
        if tty && total > 1 {
            let width = 30;
            let filled = done * width / total;
            eprint!(
                "\r[{}{}] {done}/{total}",
                "#".repeat(filled),
                " ".repeat(width - filled)
            );
            if done == total {
                eprint!("\r{}\r", " ".repeat(width + 20));
            }
        }
    });
    let style = report::Style {
        color: std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
    };
    if let Some(path) = &args.trace {
        let mut all = String::new();
        for r in &results {
            all.push_str(&serde_json::json!({"scenario": r.id, "seed": r.seed}).to_string());
            all.push('\n');
            all.push_str(&r.trace);
            if !r.trace.is_empty() && !r.trace.ends_with('\n') {
                all.push('\n');
            }
        }
        if let Err(e) = std::fs::write(path, all) {
            eprintln!("csrsim run: cannot write trace {}: {e}", path.display());
            return EXIT_BAD_INPUT;
        }
    }
    if let Some(path) = &args.timeline {
        if let Err(e) = std::fs::write(path, timeline::svg(&results)) {
            eprintln!("csrsim run: cannot write timeline {}: {e}", path.display());
            return EXIT_BAD_INPUT;
        }
    }
    let body = match args.format {
        Format::Text => report::text(
            &results,
            args.seed,
            if args.output.is_some() {
                report::Style { color: false }
            } else {
                style
            },
        ),
        Format::Json => report::json(&results, args.seed),
        Format::Junit => report::junit(&results),
    };
    match &args.output {
        Some(p) => {
            if let Err(e) = std::fs::write(p, &body) {
                eprintln!("csrsim run: cannot write {}: {e}", p.display());
                return EXIT_BAD_INPUT;
            }
            let s = report::summarize(&results);
            println!(
                "{} scenarios, {} passed, {} failed, {} skipped; report written to {}",
                s.total,
                s.passed,
                s.failed,
                s.skipped,
                p.display()
            );
        }
        None => print!("{body}"),
    }
    if results.iter().any(ScenarioResult::failed) {
        EXIT_FAILED
    } else {
        EXIT_OK
    }
}
