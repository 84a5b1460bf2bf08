#![allow(clippy::disallowed_methods)] // tests are an edge: they may use OS randomness for throwaway keys
//! `Cluster::new_deferred` (what `csrsim serve` uses): the controllers' initial pass runs in
//! bounded steps after construction, and once every step has run the cluster holds exactly
//! what `Cluster::new` leaves after its inline pass on the same data dir.

mod common;
use common::*;
use csrsim::auth::Identity;
use csrsim::sim::{Cluster, Config};
use std::path::Path;
use std::time::Duration;

const SIGNER: &str = "kubernetes.io/kube-apiserver-client";

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dst = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &dst);
        } else {
            std::fs::copy(e.path(), dst).unwrap();
        }
    }
}

/// A data dir with: one CSR pending for 25 h (the cleaner deletes it at start), 6 approved
/// but not issued (the signer issues them), 4 pending (untouched).
fn populate(dir: &Path) {
    let mut c = Cluster::new(Config {
        data_dir: Some(dir.into()),
        approver: false,
        signer: false,
        cleaner: false,
        ..Config::default()
    })
    .unwrap();
    let admin = Identity::admin();
    let pem = csr_pem("alice", &[], &[]);
    create(
        &mut c,
        &admin,
        csr_body("old", SIGNER, &["client auth"], &pem),
    )
    .unwrap();
    c.advance(Duration::from_secs(25 * 3600));
    for i in 0..10 {
        let name = format!("csr-{i:02}");
        create(
            &mut c,
            &admin,
            csr_body(&name, SIGNER, &["client auth"], &pem),
        )
        .unwrap();
        if i % 5 < 3 {
            approve_as(&mut c, &admin, &name, "Approved").unwrap();
        }
    }
}

fn snapshot(c: &Cluster) -> (u64, Vec<serde_json::Value>) {
    (
        c.resource_version(),
        c.list_objects("certificates.k8s.io", "certificatesigningrequests"),
    )
}

#[test]
fn deferred_start_in_steps_ends_where_the_inline_start_does() {
    let a = tempfile::tempdir().unwrap();
    populate(a.path());
    let b = tempfile::tempdir().unwrap();
    copy_dir(a.path(), b.path());
    let cfg = |dir: &Path| Config {
        data_dir: Some(dir.into()),
        trace: true,
        ..Config::default()
    };

    let inline = Cluster::new(cfg(a.path())).unwrap();
    let want = snapshot(&inline);
    assert_eq!(
        want.1.len(),
        10,
        "the cleaner deleted the 25 h old pending CSR"
    );
    let issued = want
        .1
        .iter()
        .filter(|o| o["status"]["certificate"].is_string())
        .count();
    assert_eq!(issued, 6, "the signer issued every approved CSR");

    let mut deferred = Cluster::new_deferred(cfg(b.path())).unwrap();
    assert_eq!(deferred.controllers_pending_start(), 3);
    let before = snapshot(&deferred);
    assert_eq!(before.1.len(), 11, "nothing ran before the first step");
    assert!(before
        .1
        .iter()
        .all(|o| o["status"]["certificate"].is_null()));
    let mut steps = 0;
    while deferred.start_controllers_step(3) {
        steps += 1;
        assert!(steps < 100, "the deferred start terminates");
    }
    // approver: 11 CSRs in 4 chunks of 3 (the last short) + start; signer: the same;
    // cleaner: start only.
    assert_eq!(steps + 1, 5 + 5 + 1);
    assert_eq!(deferred.controllers_pending_start(), 0);
    assert_eq!(snapshot(&deferred), want);
    assert_eq!(deferred.trace_lines(), inline.trace_lines());
    assert!(!deferred.start_controllers_step(3), "nothing left");
}

#[test]
fn writes_before_the_deferred_start_wait_for_it_and_are_handled_once_started() {
    let mut c = Cluster::new_deferred(Config::default()).unwrap();
    let admin = Identity::admin();
    let pem = csr_pem("bob", &[], &[]);
    create(
        &mut c,
        &admin,
        csr_body("x", SIGNER, &["client auth"], &pem),
    )
    .unwrap();
    approve_as(&mut c, &admin, "x", "Approved").unwrap();
    assert!(
        get(&mut c, "x").status.certificate.is_empty(),
        "signer not started"
    );
    while c.start_controllers_step(512) {}
    assert!(
        !get(&mut c, "x").status.certificate.is_empty(),
        "issued once started"
    );
}
