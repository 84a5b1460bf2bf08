#![allow(clippy::disallowed_methods)] // tests are an edge: they may use OS randomness for throwaway keys
//! Property tests of the store through the Cluster API, on both backends: random sequences of
//! create / update (fresh or stale) / approve / delete / list, checked against a plain model.
//! Invariants: resourceVersion strictly increases with every write and only with writes;
//! a conflict happens exactly when the given resourceVersion is stale; replaying one watch
//! opened at the start reproduces the final state; lists agree with the model.

mod common;
use common::*;
use csrsim::api::EventType;
use csrsim::auth::Identity;
use csrsim::sim::{ApiRequest, ApiResponse, Cluster, Config, Verb};
use proptest::prelude::*;
use std::collections::BTreeMap;

#[derive(Clone, Debug)]
enum Op {
    Create(u8),
    Update { name: u8, stale: bool },
    Approve(u8),
    Delete(u8),
    List,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0u8..6).prop_map(Op::Create),
        3 => (0u8..6, any::<bool>()).prop_map(|(name, stale)| Op::Update { name, stale }),
        2 => (0u8..6).prop_map(Op::Approve),
        2 => (0u8..6).prop_map(Op::Delete),
        1 => Just(Op::List),
    ]
}

fn run(ops: &[Op], cluster: &mut Cluster, pem: &str) {
    let admin = Identity::admin();
    let mut model: BTreeMap<String, u64> = BTreeMap::new();
    let mut last_rv = cluster.resource_version();
    let ApiResponse::Watch(mut w) = cluster.apply(&admin, ApiRequest::csr(Verb::Watch)).unwrap()
    else {
        panic!("watch")
    };
    let mut replica: BTreeMap<String, u64> = BTreeMap::new();
    for e in &w.initial {
        replica.insert(
            e.object["metadata"]["name"].as_str().unwrap().into(),
            e.object["metadata"]["resourceVersion"]
                .as_str()
                .unwrap()
                .parse()
                .unwrap(),
        );
    }
    for (name, rv) in &replica {
        model.insert(name.clone(), *rv);
    }
    for op in ops {
        match op {
            Op::Create(i) => {
                let n = format!("csr-{i}");
                let r = create(
                    cluster,
                    &admin,
                    csr_body(&n, "example.com/s", &["client auth"], pem),
                );
                match (r, model.contains_key(&n)) {
                    (Ok(c), false) => {
                        let rv: u64 = c.metadata.resource_version.parse().unwrap();
                        assert!(rv > last_rv, "rv must increase");
                        last_rv = rv;
                        model.insert(n, rv);
                    }
                    (Err(e), true) => assert_eq!(e.code, 409),
                    (r, exists) => panic!("create {n}: {r:?}, exists={exists}"),
                }
            }
            Op::Update { name, stale } => {
                let n = format!("csr-{name}");
                let Some(&cur) = model.get(&n) else {
                    let e = cluster
                        .apply(
                            &admin,
                            ApiRequest::csr(Verb::Update)
                                .name(&n)
                                .body(serde_json::json!({"metadata": {"name": n}})),
                        )
                        .unwrap_err();
                    assert_eq!(e.code, 404);
                    continue;
                };
                let mut obj = get(cluster, &n);
                let given = if *stale { cur.saturating_sub(1) } else { cur };
                obj.metadata.resource_version = given.to_string();
                obj.metadata.labels.insert("n".into(), last_rv.to_string());
                let r = cluster.apply(
                    &admin,
                    ApiRequest::csr(Verb::Update)
                        .name(&n)
                        .body(serde_json::to_value(&obj).unwrap()),
                );
                if given != cur {
                    assert_eq!(r.unwrap_err().code, 409, "conflict exactly when stale");
                } else {
                    let v = r.unwrap().into_value();
                    let rv: u64 = v["metadata"]["resourceVersion"]
                        .as_str()
                        .unwrap()
                        .parse()
                        .unwrap();
                    assert!(rv > last_rv);
                    last_rv = rv;
                    model.insert(n, rv);
                }
            }
            Op::Approve(i) => {
                let n = format!("csr-{i}");
                if !model.contains_key(&n) {
                    continue;
                }
                match approve_as(cluster, &admin, &n, "Approved") {
                    Ok(c) => {
                        let rv: u64 = c.metadata.resource_version.parse().unwrap();
                        assert!(rv >= model[&n]);
                        if rv != model[&n] {
                            assert!(rv > last_rv);
                            last_rv = rv;
                        }
                        model.insert(n, rv);
                    }
                    Err(e) => {
                        assert_eq!(e.code, 422, "second approval duplicates the condition: {e}")
                    }
                }
            }
            Op::Delete(i) => {
                let n = format!("csr-{i}");
                let r = cluster.apply(&admin, ApiRequest::csr(Verb::Delete).name(&n));
                if model.remove(&n).is_some() {
                    r.unwrap();
                    assert!(cluster.resource_version() > last_rv);
                    last_rv = cluster.resource_version();
                } else {
                    assert_eq!(r.unwrap_err().code, 404);
                }
            }
            Op::List => {
                let l = cluster
                    .apply(&admin, ApiRequest::csr(Verb::List))
                    .unwrap()
                    .into_value();
                let names: BTreeMap<String, u64> = l["items"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|i| {
                        (
                            i["metadata"]["name"].as_str().unwrap().to_string(),
                            i["metadata"]["resourceVersion"]
                                .as_str()
                                .unwrap()
                                .parse()
                                .unwrap(),
                        )
                    })
                    .collect();
                assert_eq!(names, model);
                assert_eq!(
                    l["metadata"]["resourceVersion"].as_str().unwrap(),
                    cluster.resource_version().to_string()
                );
            }
        }
        assert_eq!(
            cluster.resource_version(),
            last_rv.max(cluster.resource_version())
        );
    }
    // Replay the watch.
    let events = cluster.watch_poll(&mut w.cursor).unwrap();
    let mut prev = 0;
    for e in events {
        let name = e.object["metadata"]["name"].as_str().unwrap().to_string();
        let rv: u64 = e.object["metadata"]["resourceVersion"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!(rv > prev, "events in rv order");
        prev = rv;
        match e.type_ {
            EventType::Added | EventType::Modified => {
                replica.insert(name, rv);
            }
            EventType::Deleted => {
                replica.remove(&name);
            }
            _ => {}
        }
    }
    assert_eq!(replica, model, "watch replay reproduces the store");
}

fn cfg() -> Config {
    Config {
        approver: false,
        signer: false,
        cleaner: false,
        watch_window: 100_000,
        ..Config::default()
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn memory_store_matches_model(ops in proptest::collection::vec(op(), 1..40)) {
        let pem = csr_pem("alice", &[], &[]);
        let mut c = Cluster::new(cfg()).unwrap();
        run(&ops, &mut c, &pem);
    }

    #[test]
    fn sled_store_matches_model_and_survives_reopen(ops in proptest::collection::vec(op(), 1..25)) {
        let pem = csr_pem("alice", &[], &[]);
        let dir = tempfile::tempdir().unwrap();
        let config = Config { data_dir: Some(dir.path().to_path_buf()), ..cfg() };
        let (rv, list) = {
            let mut c = Cluster::new(config.clone()).unwrap();
            run(&ops, &mut c, &pem);
            let l = c.apply(&Identity::admin(), ApiRequest::csr(Verb::List)).unwrap().into_value();
            (c.resource_version(), l)
        };
        let mut c = Cluster::new(config).unwrap();
        prop_assert_eq!(c.resource_version(), rv);
        let l = c.apply(&Identity::admin(), ApiRequest::csr(Verb::List)).unwrap().into_value();
        prop_assert_eq!(l, list);
    }
}
