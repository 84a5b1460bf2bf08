//! Issuance throughput (plain harness): `cargo bench --bench issuance`.
//!
//! 1. `sign_csr` — the signer's full path for one CSR: PEM → parse → verify the CSR signature
//!    → build the TBSCertificate → sign with the deterministic P-256 CA (RFC 6979).
//! 2. `cluster` — end to end through `Cluster::apply`: create (RBAC, validation, admission,
//!    store) + approve through `/approval` + the csrsigning controller issuing through `/status`.
//!
//! Prints the median of several runs; compare with the floor in design.md §8 (full path with
//! a deterministic P-256 CA: 9.7k/s on one core).
#![allow(clippy::disallowed_methods)] // a benchmark measures wall-clock time

use csrsim::auth::Identity;
use csrsim::pki::csr::{encode_request, GoName};
use csrsim::pki::{issue, KeyPair, Pki, PkiConfig};
use csrsim::sim::rng::Rngs;
use csrsim::sim::{ApiRequest, Cluster, Config, Verb};
use std::time::Instant;

const RUNS: usize = 7;

/// CPU time of this thread in ns (`/proc/thread-self/schedstat`, first field), so the figure
/// is per core even on a loaded machine; `None` off Linux.
fn cpu_ns() -> Option<u64> {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// (wall-clock rate, CPU-time rate) for `n` operations run by `f`.
fn measure(n: usize, f: impl FnOnce()) -> (f64, f64) {
    let c0 = cpu_ns();
    let t = Instant::now();
    f();
    let wall = n as f64 / t.elapsed().as_secs_f64();
    let cpu = match (c0, cpu_ns()) {
        (Some(a), Some(b)) if b > a => n as f64 / ((b - a) as f64 / 1e9),
        _ => wall,
    };
    (wall, cpu)
}

fn requests(n: usize) -> Vec<String> {
    let mut rngs = Rngs::new(7);
    (0..n)
        .map(|i| {
            let key = KeyPair::generate(&mut rngs);
            let subject = GoName {
                common_name: format!("user-{i}"),
                organization: vec!["dev".into(), "ops".into()],
                ..Default::default()
            };
            encode_request(&key, &subject, &[format!("u{i}.example")], &[])
        })
        .collect()
}

fn median(v: &[(f64, f64)]) -> (f64, f64) {
    let mut w: Vec<f64> = v.iter().map(|x| x.0).collect();
    let mut c: Vec<f64> = v.iter().map(|x| x.1).collect();
    w.sort_by(|a, b| a.partial_cmp(b).unwrap());
    c.sort_by(|a, b| a.partial_cmp(b).unwrap());
    (w[w.len() / 2], c[c.len() / 2])
}

fn bench_sign_csr(pems: &[String]) -> (f64, f64) {
    let mut rngs = Rngs::new(1);
    let pki = Pki::new(
        &PkiConfig::default(),
        csrsim::sim::clock::DEFAULT_START,
        None,
        &mut rngs,
    )
    .unwrap();
    let ders: Vec<Vec<u8>> = pems
        .iter()
        .map(|p| csrsim::pki::gopem::decode(p.as_bytes()).unwrap().0.bytes)
        .collect();
    let usages = vec!["digital signature".to_string(), "client auth".to_string()];
    let now = csrsim::sim::clock::DEFAULT_START;
    let mut rates = vec![];
    for _ in 0..RUNS {
        // Every pass verifies every CSR signature (the same CSRs are reused across passes).
        csrsim::pki::csr::forget_verified();
        rates.push(measure(ders.len(), || {
            for pem in pems {
                let req = csrsim::pki::csr::parse_pem(pem.as_bytes()).unwrap();
                let der =
                    issue::sign_csr(pki.ca(), &req.der, &usages, 3600, now, &mut rngs).unwrap();
                std::hint::black_box(der);
            }
        }));
    }
    median(&rates)
}

/// Where the time goes: parse only, CSR signature check only, CA signature only.
fn breakdown(pems: &[String]) {
    let reqs: Vec<_> = pems
        .iter()
        .map(|p| csrsim::pki::csr::parse_pem(p.as_bytes()).unwrap())
        .collect();
    let (_, parse) = measure(pems.len(), || {
        for p in pems {
            std::hint::black_box(csrsim::pki::csr::parse_pem(p.as_bytes()).unwrap());
        }
    });
    csrsim::pki::csr::forget_verified();
    let (_, verify) = measure(reqs.len(), || {
        for r in &reqs {
            csrsim::pki::csr::check_signature(r).unwrap();
        }
    });
    let key = KeyPair::generate(&mut Rngs::new(3));
    let (_, sign) = measure(reqs.len(), || {
        for r in &reqs {
            std::hint::black_box(issue::certificate(&r.der, &key));
        }
    });
    println!("  breakdown per CPU-second: parse {parse:.0}/s, verify CSR signature {verify:.0}/s, ECDSA P-256 sign {sign:.0}/s");
}

fn bench_cluster(pems: &[String]) -> (f64, f64) {
    use base64::Engine;
    let mut rates = vec![];
    for run in 0..RUNS.min(3) {
        let mut c = Cluster::new(Config {
            seed: run as u64,
            cleaner: false,
            approver: false,
            ..Config::default()
        })
        .unwrap();
        let admin = Identity::admin();
        csrsim::pki::csr::forget_verified();
        let rate = measure(pems.len(), || {
            for (i, pem) in pems.iter().enumerate() {
                let name = format!("c{i}");
                let body = serde_json::json!({
                    "metadata": {"name": name},
                    "spec": {
                        "request": base64::engine::general_purpose::STANDARD.encode(pem),
                        "signerName": "kubernetes.io/kube-apiserver-client",
                        "usages": ["digital signature", "client auth"],
                    }
                });
                let created = c
                    .apply(&admin, ApiRequest::csr(Verb::Create).body(body))
                    .unwrap()
                    .into_value();
                let mut csr: csrsim::api::CertificateSigningRequest =
                    serde_json::from_value(created).unwrap();
                csr.status.conditions.push(csrsim::api::CsrCondition {
                    type_: "Approved".into(),
                    status: "True".into(),
                    reason: "Bench".into(),
                    ..Default::default()
                });
                let req = ApiRequest::csr(Verb::Update)
                    .name(&name)
                    .subresource("approval")
                    .body(serde_json::to_value(&csr).unwrap());
                c.apply(&admin, req).unwrap();
            }
        });
        assert!(c
            .list_csrs()
            .iter()
            .all(|x| !x.status.certificate.is_empty()));
        rates.push(rate);
    }
    median(&rates)
}

fn main() {
    let pems = requests(2000);
    let (aw, ac) = bench_sign_csr(&pems);
    println!(
        "issuance/sign_csr (PEM→parse→verify→build→sign, P-256 CA): {ac:.0} certs/s per CPU-second, {aw:.0} certs/s wall (median of {RUNS})"
    );
    breakdown(&pems);
    let (bw, bc) = bench_cluster(&pems[..1000]);
    println!(
        "issuance/cluster (create+approve+sign through Cluster::apply): {bc:.0} certs/s per CPU-second, {bw:.0} certs/s wall (median of 3)"
    );
    println!(
        "floor (design.md §8, full path, deterministic P-256 CA): 9700 certs/s; ratio {:.2}",
        ac / 9700.0
    );
}
