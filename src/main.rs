//! `csrsim` command line. This is an edge module: it may read the wall clock and the
//! environment; the core it drives may not.

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// The process allocator of the `csrsim` binary (server, benches, scenario runs): glibc malloc
/// took about a quarter of the server's CPU under https-create (many small JSON values per
/// request, freed on another worker thread); mimalloc's per-thread free lists are cheaper.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "csrsim",
    version,
    about = "Deterministic simulator of the Kubernetes certificate control plane (certificates.k8s.io/v1)",
    long_about = "csrsim reproduces kube-apiserver's CertificateSigningRequest rules (validation, registry \
strategy, RBAC, admission), the auto-approver, the four built-in signers, the cleaner and kubelet \
bootstrap/rotation on a virtual clock.\n\nMain uses:\n  csrsim run scenarios/        run YAML scenarios, report per scenario\n  csrsim serve                 a kubectl-compatible HTTPS API server on 127.0.0.1\n  csrsim check --signer S F    explain what the control plane would do with a CSR file"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run scenario files or folders (recursively) and report per scenario.
    Run(csrsim::scenario::RunArgs),
    /// Serve the Kubernetes API (certificates.k8s.io/v1, RBAC, access reviews) over HTTPS.
    Serve(csrsim::server::ServeArgs),
    /// Explain, rule by rule, what validation, admission, the approver and a signer do with a CSR.
    Check(csrsim::check::CheckArgs),
    /// Run the built-in benchmarks.
    Bench(csrsim::bench::BenchArgs),
}

fn main() -> ExitCode {
    csrsim::allocator::slow_memory_purge();
    // As a Go program would (kube-apiserver, etcd): a failure leaves the limit as it was.
    let _ = csrsim::rlimit::raise_open_files();
    let cli = Cli::parse();
    match cli.command {
        Command::Run(args) => ExitCode::from(csrsim::scenario::run_cli(args).clamp(0, 255) as u8),
        Command::Serve(args) => ExitCode::from(csrsim::server::run_serve(args).clamp(0, 255) as u8),
        Command::Check(args) => ExitCode::from(csrsim::check::run_check(args).clamp(0, 255) as u8),
        Command::Bench(args) => ExitCode::from(csrsim::bench::run_bench(args).clamp(0, 255) as u8),
    }
}
