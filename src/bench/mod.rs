//! `csrsim bench`: the benchmarks of issue 9 (lifecycle, cold start, HTTPS creates against
//! etcd, watch fan-out, memory) and the SIGKILL crash test.
//!
//! This is an edge module like `server`: it reads the wall clock and spawns processes. Every
//! loop is bounded in count and in time, and every connection goes to 127.0.0.1.
#![allow(clippy::disallowed_methods)] // edge module: wall clock for timing

pub mod client;
pub mod crash;
pub mod etcd;
pub mod fanout;
pub mod https_create;
pub mod lifecycle;
pub mod serve;

use std::path::PathBuf;

/// The benchmarks `csrsim bench` knows (clap refuses any other name before anything runs).
pub const BENCHMARKS: [&str; 7] = [
    "all",
    "lifecycle",
    "cold-start",
    "memory",
    "https-create",
    "watch-fanout",
    "crash",
];

/// `csrsim bench <which>` options.
#[derive(clap::Args, Clone, Debug)]
pub struct BenchArgs {
    /// Which benchmark: all runs everything but crash.
    #[arg(default_value = "all", value_parser = clap::builder::PossibleValuesParser::new(BENCHMARKS))]
    pub which: String,
    /// Seconds per measured level (https-create) or per run (watch-fanout).
    #[arg(long, default_value_t = 5)]
    pub seconds: u64,
    /// Iterations of the in-process lifecycle (and of the floor).
    #[arg(long, default_value_t = 2000)]
    pub iterations: usize,
    /// CSRs in the populated data dir (cold-start, memory).
    #[arg(long, default_value_t = 100_000)]
    pub csrs: usize,
    /// Concurrent connections for https-create (comma separated).
    #[arg(long, default_value = "1,16,64")]
    pub connections: String,
    /// Watchers for watch-fanout.
    #[arg(long, default_value_t = 1000)]
    pub watchers: usize,
    /// Target write rate (CSRs/s) for watch-fanout.
    #[arg(long, default_value_t = 1000)]
    pub rate: u64,
    /// How watch-fanout's watchers connect: `h1` (one HTTP/1.1 connection per watcher), `h2`
    /// (watches multiplexed over HTTP/2 connections up to the server's stream limit, as one
    /// client-go process opens them), or `both` (two runs).
    #[arg(long, value_enum, default_value = "both")]
    pub watch_transport: WatchTransport,
    /// The etcd binary for https-create (Debian's etcd-server package).
    #[arg(long, default_value = "/usr/bin/etcd")]
    pub etcd: PathBuf,
    /// Skip etcd (https-create measures csrsim only).
    #[arg(long, default_value_t = false)]
    pub no_etcd: bool,
    /// Kill/restart cycles for the crash test.
    #[arg(long, default_value_t = 20)]
    pub cycles: usize,
    /// Writer clients for the crash test.
    #[arg(long, default_value_t = 4)]
    pub clients: usize,
    /// Work directory (default: a fresh directory under the system temp dir, removed after).
    #[arg(long)]
    pub work_dir: Option<PathBuf>,
    /// The csrsim binary to start as the server (default: this executable).
    #[arg(long)]
    pub server_bin: Option<PathBuf>,
}

/// `--watch-transport` of watch-fanout.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum WatchTransport {
    H1,
    H2,
    Both,
}

impl Default for BenchArgs {
    fn default() -> Self {
        use clap::Parser;
        #[derive(clap::Parser)]
        struct P {
            #[command(flatten)]
            a: BenchArgs,
        }
        P::parse_from(["bench"]).a
    }
}

impl BenchArgs {
    pub fn server_bin(&self) -> PathBuf {
        self.server_bin
            .clone()
            .or_else(|| std::env::current_exe().ok())
            .unwrap_or_else(|| PathBuf::from("csrsim"))
    }
}

/// A scratch directory removed on drop unless the user chose it.
pub struct WorkDir {
    pub path: PathBuf,
    keep: bool,
}

impl WorkDir {
    pub fn new(args: &BenchArgs) -> Result<WorkDir, String> {
        let (path, keep) = match &args.work_dir {
            Some(p) => (p.clone(), true),
            None => (
                std::env::temp_dir().join(format!("csrsim-bench-{}", std::process::id())),
                false,
            ),
        };
        std::fs::create_dir_all(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        Ok(WorkDir { path, keep })
    }
    pub fn sub(&self, name: &str) -> PathBuf {
        let p = self.path.join(name);
        let _ = std::fs::remove_dir_all(&p);
        p
    }
}

impl Drop for WorkDir {
    fn drop(&mut self) {
        if !self.keep {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}

/// Print a result line (markdown table row) and remember it for the summary.
pub fn report(rows: &mut Vec<String>, bench: &str, figure: &str, target: &str, peer: &str) {
    let row = format!("| {bench} | {figure} | {target} | {peer} |");
    println!("{row}");
    rows.push(row);
}

/// Median of a sample (sorted in place); 0 when empty.
pub fn median(v: &mut [f64]) -> f64 {
    percentile(v, 50.0)
}

/// Nearest-rank percentile (sorted in place); 0 when empty.
pub fn percentile(v: &mut [f64], p: f64) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(|a, b| a.total_cmp(b));
    let rank = ((p / 100.0) * v.len() as f64).ceil() as usize;
    v[rank.clamp(1, v.len()) - 1]
}

/// `csrsim bench`: run the chosen benchmarks; returns the process exit code.
pub fn run_bench(args: BenchArgs) -> i32 {
    let work = match WorkDir::new(&args) {
        Ok(w) => w,
        Err(e) => {
            eprintln!("csrsim bench: {e}");
            return 1;
        }
    };
    let mut rows = Vec::new();
    println!(
        "machine: {} cores; load: {}",
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1),
        std::fs::read_to_string("/proc/loadavg")
            .unwrap_or_default()
            .trim()
    );
    println!("| benchmark | figure | target | peer / floor (same run) |");
    println!("|---|---|---|---|");
    let all = args.which == "all";
    let mut failed = false;
    let mut step = |name: &str, r: Result<(), String>| {
        if let Err(e) = r {
            eprintln!("csrsim bench {name}: {e}");
            failed = true;
        }
    };
    if all || args.which == "lifecycle" {
        step("lifecycle", lifecycle::run(&args, &mut rows));
    }
    if all || args.which == "cold-start" || args.which == "memory" {
        step(
            "cold-start",
            serve::cold_start_and_memory(&args, &work, &mut rows),
        );
    }
    if all || args.which == "https-create" {
        step("https-create", https_create::run(&args, &work, &mut rows));
    }
    if all || args.which == "watch-fanout" {
        step("watch-fanout", fanout::run(&args, &work, &mut rows));
    }
    if args.which == "crash" {
        step("crash", crash::run(&args, &work, &mut rows));
    }
    if failed {
        1
    } else {
        0
    }
}
