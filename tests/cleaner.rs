#![allow(clippy::disallowed_methods)] // tests are an edge: they may use OS randomness for throwaway keys
//! The cleaner on the virtual clock: passes at start + k hours, boundaries are strict.

mod common;
use common::*;
use csrsim::auth::Identity;
use csrsim::sim::{ApiRequest, Cluster, Config, Verb};
use std::time::Duration;

fn cluster() -> Cluster {
    Cluster::new(Config {
        approver: false,
        signer: false,
        cleaner: true,
        trace: true,
        ..Config::default()
    })
    .unwrap()
}

fn exists(c: &Cluster, n: &str) -> bool {
    c.get_csr(n).is_some()
}

#[test]
fn pending_is_collected_at_the_first_pass_strictly_after_24h() {
    let mut c = cluster();
    let pem = csr_pem("alice", &[], &[]);
    create(
        &mut c,
        &Identity::admin(),
        csr_body("p", "example.com/s", &["client auth"], &pem),
    )
    .unwrap();
    c.advance(Duration::from_secs(24 * 3600));
    assert!(
        exists(&c, "p"),
        "exactly 24h old at the pass: not older than 24h"
    );
    c.advance(Duration::from_secs(3599));
    assert!(exists(&c, "p"), "no pass between hours");
    c.advance(Duration::from_secs(1));
    assert!(!exists(&c, "p"), "deleted by the 25h pass");
    assert!(c
        .trace_jsonl()
        .contains("\"rule\":\"pending-past-deadline\",\"message\":\"Cleaning CSR as it is more than pendingExpiration duration old and unhandled.\""));
}

#[test]
fn denied_and_issued_are_collected_an_hour_after_their_condition() {
    let mut c = cluster();
    let pem = csr_pem("alice", &[], &[]);
    c.advance(Duration::from_secs(600));
    create(
        &mut c,
        &Identity::admin(),
        csr_body("d", "example.com/s", &["client auth"], &pem),
    )
    .unwrap();
    create(
        &mut c,
        &Identity::admin(),
        csr_body("i", "example.com/s", &["client auth"], &pem),
    )
    .unwrap();
    create(
        &mut c,
        &Identity::admin(),
        csr_body("a", "example.com/s", &["client auth"], &pem),
    )
    .unwrap();
    approve_as(&mut c, &Identity::admin(), "d", "Denied").unwrap();
    let mut csr = approve_as(&mut c, &Identity::admin(), "i", "Approved").unwrap();
    approve_as(&mut c, &Identity::admin(), "a", "Approved").unwrap();
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = rcgen::CertificateParams::new(vec!["x".to_string()])
        .unwrap()
        .self_signed(&key)
        .unwrap();
    csr.status.certificate = cert.pem().into_bytes();
    c.apply(
        &Identity::admin(),
        ApiRequest::csr(Verb::Update)
            .name("i")
            .subresource("status")
            .body(serde_json::to_value(&csr).unwrap()),
    )
    .unwrap();
    c.advance(Duration::from_secs(3000)); // pass at 1h: conditions are 50 min old
    assert!(exists(&c, "d") && exists(&c, "i"));
    c.advance(Duration::from_secs(3600)); // pass at 2h: 1h50 old
    assert!(!exists(&c, "d"), "denied past deadline");
    assert!(!exists(&c, "i"), "issued past deadline");
    c.advance(Duration::from_secs(30 * 24 * 3600));
    assert!(
        exists(&c, "a"),
        "approved but never issued is never collected"
    );
}
