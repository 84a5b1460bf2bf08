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

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

fn bench_sign_csr(pems: &[String]) -> f64 {
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
        let t = Instant::now();
        for pem in pems {
            let req = csrsim::pki::csr::parse_pem(pem.as_bytes()).unwrap();
            let der = issue::sign_csr(pki.ca(), &req.der, &usages, 3600, now, &mut rngs).unwrap();
            std::hint::black_box(der);
        }
        rates.push(ders.len() as f64 / t.elapsed().as_secs_f64());
    }
    median(rates)
}

fn bench_cluster(pems: &[String]) -> f64 {
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
        let t = Instant::now();
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
        let rate = pems.len() as f64 / t.elapsed().as_secs_f64();
        assert!(c
            .list_csrs()
            .iter()
            .all(|x| !x.status.certificate.is_empty()));
        rates.push(rate);
    }
    median(rates)
}

fn main() {
    let pems = requests(2000);
    let a = bench_sign_csr(&pems);
    println!("issuance/sign_csr (PEM→parse→verify→build→sign, P-256 CA): {a:.0} certs/s (median of {RUNS})");
    let b = bench_cluster(&pems[..1000]);
    println!("issuance/cluster (create+approve+sign through Cluster::apply): {b:.0} certs/s (median of 3)");
    println!(
        "floor (design.md §8, full path, deterministic P-256 CA): 9700 certs/s; ratio {:.2}",
        a / 9700.0
    );
}
