//! Fleet benchmark: N kubelets bootstrapping and rotating 24 h client certificates for D
//! virtual days, with the auto-approver, a signer and the cleaner running, trace off.
//!
//! `cargo bench --bench fleet` (defaults: 10,000 nodes × 30 days);
//! `cargo bench --bench fleet -- <nodes> <days>` for other sizes; `--ring-verify` verifies
//! every CSR through ring, without the known-scalar path of `pki::own_keys` (same results).
//! Prints wall time, rotations, CSRs created, CSRs per second and the store size at the end.
#![allow(clippy::disallowed_methods)] // a bench is an edge: it reads the wall clock

#[path = "../tests/kubelet_support/mod.rs"]
mod kubelet_support;

use csrsim::kubelet::{Fleet, FleetOptions, NodeSpec, Phase};
use kubelet_support::*;
use std::time::{Duration, Instant};

/// The same allocator, with the same tuning (`csrsim::allocator`), as the `csrsim` binary
/// (src/main.rs), so the figure is the product's.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// CPU time of this process (user + system), from `/proc/self/stat` (Linux; 0 elsewhere).
fn cpu_secs() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return 0.0;
    };
    // Fields after the command name (which ends with ')'): utime is the 12th, stime the 13th.
    let rest = stat.rsplit(')').next().unwrap_or("");
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / 100.0
}

fn main() {
    csrsim::allocator::slow_memory_purge();
    let all: Vec<String> = std::env::args().skip(1).collect();
    if all.iter().any(|a| a == "--ring-verify") {
        csrsim::pki::own_keys::set_enabled(false);
    }
    let args: Vec<&String> = all.iter().filter(|a| !a.starts_with('-')).collect();
    let nodes: usize = args.first().and_then(|a| a.parse().ok()).unwrap_or(10_000);
    let days: u64 = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(30);
    let wall = Instant::now();
    let mut cx = cluster(true, true, false, 1);
    create_token(&mut cx, TOKEN_ID, "0123456789abcdef", DAY);
    let fleet = Fleet::install(
        &mut cx,
        FleetOptions {
            keep_history: false,
            ..FleetOptions::default()
        },
    );
    let t0 = cx.now_ms();
    // Nodes join over the first hour (the token is valid for 24 h).
    for i in 0..nodes {
        let at = t0 + (i as i64 * 3_600_000) / nodes as i64;
        fleet
            .add_node_at(
                &mut cx,
                NodeSpec::new(&format!("node-{i:05}")).token(TOKEN),
                at,
            )
            .expect("add node");
    }
    let mut max_objects = 0usize;
    for day in 0..days {
        for _ in 0..24 {
            cx.advance(Duration::from_secs(3600));
            max_objects = max_objects.max(cx.object_count());
        }
        let c = fleet.counters();
        eprintln!(
            "day {:>2}: rotations {:>8} csrs created {:>8} stuck {} store objects {} fleet queue {} wall {:.1}s cpu {:.1}s",
            day + 1,
            c.rotations,
            c.csrs_created,
            c.stuck,
            cx.object_count(),
            fleet.queued_timers(),
            wall.elapsed().as_secs_f64(),
            cpu_secs()
        );
    }
    let secs = wall.elapsed().as_secs_f64();
    let cpu = cpu_secs();
    let c = fleet.counters();
    let ready = fleet
        .phases()
        .iter()
        .filter(|(_, p)| matches!(p, Phase::Ready | Phase::Rotating))
        .count();
    let expired = fleet
        .statuses(&cx)
        .iter()
        .filter(|s| {
            s.client_cert
                .as_ref()
                .is_none_or(|c| c.expired_at(cx.now().unix()))
        })
        .count();
    println!(
        "fleet: {nodes} nodes × {days} days: {secs:.1} s wall, {cpu:.1} s CPU; {} bootstraps, {} rotations, {} CSRs created ({:.0} CSR per CPU second); \
         {ready} ready, {expired} without a valid certificate, {} failed attempts; peak objects in store {max_objects}, at end {}",
        c.bootstraps,
        c.rotations,
        c.csrs_created,
        c.csrs_created as f64 / cpu.max(1e-9),
        c.failed_attempts,
        cx.object_count()
    );
}
