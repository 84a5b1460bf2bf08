#![allow(clippy::disallowed_methods)] // tests are an edge: they may use OS randomness for throwaway keys
//! Which persistent backend a data dir gets: the log for a new one, sled for a data dir an
//! earlier csrsim wrote with sled (it keeps working, objects and resourceVersion included).

mod common;
use common::*;
use csrsim::auth::Identity;
use csrsim::sim::{Cluster, Config};
use csrsim::store::{self, Backend};

fn cfg(dir: &std::path::Path) -> Config {
    Config {
        data_dir: Some(dir.into()),
        approver: false,
        signer: false,
        cleaner: false,
        ..Config::default()
    }
}

#[test]
fn a_new_data_dir_gets_the_log() {
    let d = tempfile::tempdir().unwrap();
    let pem = csr_pem("alice", &[], &[]);
    let rv = {
        let mut c = Cluster::new(cfg(d.path())).unwrap();
        create(
            &mut c,
            &Identity::admin(),
            csr_body("a", "example.com/s", &["client auth"], &pem),
        )
        .unwrap();
        c.resource_version()
    };
    assert!(d
        .path()
        .join(store::log_backend::LOG_DIR)
        .join("log")
        .is_file());
    assert!(!d.path().join("store").exists());
    let mut c = Cluster::new(cfg(d.path())).unwrap();
    assert_eq!(c.resource_version(), rv);
    assert_eq!(get(&mut c, "a").metadata.resource_version, rv.to_string());
}

#[test]
fn a_sled_data_dir_from_an_earlier_version_keeps_using_sled() {
    let d = tempfile::tempdir().unwrap();
    let pem = csr_pem("bob", &[], &[]);
    // What an earlier csrsim left: the objects in sled under <dir>/store.
    let (rv, clock_ms, objects) = {
        let mut mem = Cluster::new(Config {
            approver: false,
            signer: false,
            cleaner: false,
            ..Config::default()
        })
        .unwrap();
        for n in ["x", "y"] {
            create(
                &mut mem,
                &Identity::admin(),
                csr_body(n, "example.com/s", &["client auth"], &pem),
            )
            .unwrap();
        }
        (
            mem.resource_version(),
            mem.now_ms(),
            mem.list_objects("certificates.k8s.io", "certificatesigningrequests"),
        )
    };
    {
        let mut sled = store::sled_backend::SledBackend::open(d.path()).unwrap();
        let writes: Vec<(String, Option<store::Bytes>)> = objects
            .iter()
            .map(|o| {
                let key = store::key(
                    "certificates.k8s.io",
                    "certificatesigningrequests",
                    "",
                    o["metadata"]["name"].as_str().unwrap(),
                );
                (
                    key,
                    Some(std::sync::Arc::new(serde_json::to_vec(o).unwrap())),
                )
            })
            .collect();
        sled.commit(&writes, store::Meta { rv, clock_ms }).unwrap();
    }
    for _ in 0..2 {
        let mut c = Cluster::new(cfg(d.path())).unwrap();
        assert!(c.resource_version() >= rv);
        let y = get(&mut c, "y");
        assert_eq!(y.spec.username, "kubernetes-admin");
        assert!(
            !d.path().join(store::log_backend::LOG_DIR).exists(),
            "sled stays the backend"
        );
    }
}
