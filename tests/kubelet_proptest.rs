//! Random fleets under random fault schedules, observed every 10 virtual minutes.
//!
//! Invariants:
//! 1. a healthy node (never powered off) never holds an expired client certificate when the
//!    approver and signer are up — the schedule keeps every disruption (pause of approver or
//!    signer, API outage) ≤ 2 h with ≥ 2 min of full service between two of them, which the
//!    10 % tail of a 24 h certificate (2.4 h) must absorb;
//! 2. every rotation of a healthy node starts exactly at its deadline, the deadline lies in
//!    [70 %, 90 %) of the old certificate's lifetime, each failed attempt lasted at most the
//!    15 min wait, and each retry came after a delay inside the backoff schedule;
//! 3. the store never holds a CSR the cleaner should have deleted at its last hourly pass
//!    (rules 2–5; rule 1 is left out because a CSR approved long ago may have been issued only
//!    after that pass, e.g. while the signer was paused, and is then rightly kept);
//! 4. at the end (no fault in the last 6 h) every node, powered off or not, is up again with
//!    a valid certificate.

mod kubelet_support;
use csrsim::api::Time;
use csrsim::controller::cleaner::{self, CleanerConfig};
use csrsim::kubelet::node::retry_delay_bounds_ms;
use csrsim::kubelet::{
    AddressType, CertKind, Fault, Fleet, FleetOptions, NodeAddress, NodeSpec, Phase,
};
use kubelet_support::*;
use proptest::prelude::*;

const MIN: i64 = 60_000;
const HOUR: i64 = 60 * MIN;

#[derive(Clone, Debug)]
struct NodePlan {
    start_s: i64,
    skew_ms: i64,
    serving: bool,
}

#[derive(Clone, Debug)]
enum Ev {
    Pause { signer: bool, dur_ms: i64 },
    Api { dur_ms: i64 },
}

#[derive(Clone, Debug)]
struct Plan {
    seed: u64,
    days: i64,
    nodes: Vec<NodePlan>,
    /// Disruptions as a chain: (gap before, what).
    disruptions: Vec<(i64, Ev)>,
    /// (time, node, kind) of deny/delete/skew faults.
    pokes: Vec<(i64, usize, u8, i64)>,
    /// (time, node, duration) power-offs.
    power: Vec<(i64, usize, i64)>,
}

fn plan() -> impl Strategy<Value = Plan> {
    (1usize..=4, 4i64..=6, any::<u64>()).prop_flat_map(|(n, days, seed)| {
        let end = days * 24 * HOUR;
        let nodes = prop::collection::vec(
            (
                0i64..3600,
                prop_oneof![Just(0i64), -600_000i64..600_000],
                prop::bool::weighted(0.2),
            )
                .prop_map(|(start_s, skew_ms, serving)| NodePlan {
                    start_s,
                    skew_ms,
                    serving,
                }),
            n,
        );
        let disruptions = prop::collection::vec(
            (
                2 * MIN..(30 * HOUR),
                prop_oneof![
                    (any::<bool>(), MIN..=2 * HOUR)
                        .prop_map(|(signer, dur_ms)| Ev::Pause { signer, dur_ms }),
                    (MIN..=HOUR).prop_map(|dur_ms| Ev::Api { dur_ms }),
                ],
            ),
            0..6,
        );
        let pokes = prop::collection::vec(
            (0..end - 6 * HOUR, 0..n, 0u8..3, -600_000i64..600_000),
            0..6,
        );
        let power = prop::collection::vec((0..end / 2, 0..n, HOUR..3 * 24 * HOUR), 0..2);
        (Just(seed), Just(days), nodes, disruptions, pokes, power).prop_map(
            |(seed, days, nodes, disruptions, pokes, power)| Plan {
                seed,
                days,
                nodes,
                disruptions,
                pokes,
                power,
            },
        )
    })
}

fn run(p: &Plan) -> Result<(), TestCaseError> {
    let mut cx = cluster(true, true, false, p.seed);
    create_token(&mut cx, TOKEN_ID, "0123456789abcdef", 30 * DAY);
    let fleet = Fleet::install(&mut cx, FleetOptions::default());
    let t0 = cx.now_ms();
    let end = t0 + p.days * 24 * HOUR;
    let names: Vec<String> = (0..p.nodes.len()).map(|i| format!("node-{i}")).collect();
    for (i, n) in p.nodes.iter().enumerate() {
        let mut spec = NodeSpec::new(&names[i]).token(TOKEN);
        spec.clock_skew_ms = n.skew_ms;
        if n.serving {
            spec = spec.serving(vec![NodeAddress::new(
                AddressType::InternalIP,
                &format!("10.0.0.{}", i + 1),
            )]);
        }
        fleet
            .add_node_at(&mut cx, spec, t0 + n.start_s * 1000)
            .unwrap();
    }
    // Disruptions: a chain, never overlapping, all before end − 6 h.
    let mut at = t0;
    for (gap, ev) in &p.disruptions {
        at += gap;
        let (f, dur) = match ev {
            Ev::Pause { signer, dur_ms } => (
                Fault::PauseController {
                    controller: if *signer { SIGNER } else { "csrapproving" }.into(),
                    for_ms: *dur_ms,
                },
                *dur_ms,
            ),
            Ev::Api { dur_ms } => (Fault::ApiUnavailable { for_ms: *dur_ms }, *dur_ms),
        };
        if at + dur > end - 6 * HOUR {
            break;
        }
        fleet.schedule_fault(&mut cx, at, f);
        at += dur;
    }
    let mut skew_jumps = vec![Vec::new(); names.len()];
    for (t, n, k, skew) in &p.pokes {
        if *k >= 2 {
            skew_jumps[*n].push(t0 + t);
        }
        let node = names[*n].clone();
        let f = match k {
            0 => Fault::DenyCsr {
                node,
                kind: CertKind::Client,
            },
            1 => Fault::DeleteCsr {
                node,
                kind: CertKind::Client,
            },
            _ => Fault::ClockSkew {
                node,
                skew_ms: *skew,
            },
        };
        fleet.schedule_fault(&mut cx, t0 + t, f);
    }
    let mut powered_off = vec![false; names.len()];
    for (t, n, d) in &p.power {
        let d = (*d).min(end - 6 * HOUR - (t0 + t));
        if d <= 0 {
            continue;
        }
        powered_off[*n] = true;
        fleet.schedule_fault(
            &mut cx,
            t0 + t,
            Fault::PowerOff {
                node: names[*n].clone(),
                for_ms: Some(d),
            },
        );
    }
    let cfg = CleanerConfig::default();
    let mut now = t0;
    while now < end {
        now += 10 * MIN;
        cx.advance_to(now);
        let t = cx.now();
        // 1. healthy nodes never hold an expired certificate.
        for (i, st) in fleet.statuses(&cx).iter().enumerate() {
            if powered_off[i] {
                continue;
            }
            if let Some(c) = &st.client_cert {
                prop_assert!(
                    !c.expired_at(t.unix()),
                    "{} holds a certificate that expired at {:?} (now {:?}), phase {:?}",
                    st.name,
                    c.not_after,
                    t,
                    st.phase
                );
            }
        }
        // 3. nothing the last cleaner pass should have deleted.
        let last_pass = Time(t0 / 1000 + ((t.unix() - t0 / 1000) / 3600) * 3600);
        for csr in cx.list_csrs() {
            let late = cleaner::is_denied_past_deadline(&csr, &cfg, last_pass)
                || cleaner::is_failed_past_deadline(&csr, &cfg, last_pass)
                || cleaner::is_pending_past_deadline(&csr, &cfg, last_pass)
                || cleaner::is_issued_expired(&csr, last_pass);
            prop_assert!(
                !late,
                "{} survived the pass at {:?}",
                csr.metadata.name,
                last_pass
            );
        }
    }
    // 2. rotation timing of healthy nodes.
    for (i, st) in fleet.statuses(&cx).iter().enumerate() {
        if powered_off[i] {
            continue;
        }
        for h in st.history.iter().filter(|h| h.kind == CertKind::Client) {
            let (Some(nb), Some(na)) = (h.old_not_before, h.old_not_after) else {
                continue;
            };
            let total = (na.unix() - nb.unix()) * 1000;
            let nb = nb.unix() * 1000;
            prop_assert!(h.deadline_local_ms >= nb + total * 7 / 10);
            prop_assert!(h.deadline_local_ms < nb + total * 9 / 10);
            // The first attempt starts at the deadline on the node's clock, or — when a
            // forward clock jump carried the node past its deadline — at the jump itself.
            let due = h.deadline_local_ms - h.skew_ms;
            let start = h.attempts[0].start_ms;
            prop_assert!(
                start == due || (start > due && skew_jumps[i].contains(&start)),
                "{}: first attempt at {} but due at {} (skew jumps {:?})",
                st.name,
                start,
                due,
                skew_jumps[i]
            );
            let n = h.attempts.len();
            prop_assert!(h.attempts[n - 1].error.is_none());
            for (k, a) in h.attempts[..n - 1].iter().enumerate() {
                prop_assert!(a.error.is_some());
                prop_assert!(a.end_ms - a.start_ms <= 15 * MIN);
                let gap = h.attempts[k + 1].start_ms - a.end_ms;
                let (lo, hi) = retry_delay_bounds_ms(k as u32 + 1);
                prop_assert!(gap >= lo && gap < hi, "gap {} after failure {}", gap, k + 1);
            }
        }
    }
    // 4. everyone is back.
    for st in fleet.statuses(&cx) {
        prop_assert!(
            matches!(st.phase, Phase::Ready | Phase::Rotating),
            "{} is {:?} ({:?})",
            st.name,
            st.phase,
            st.stuck_reason
        );
        prop_assert!(st.client_cert.as_ref().unwrap().valid_at(cx.now().unix()));
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, max_shrink_iters: 64, ..ProptestConfig::default() })]
    #[test]
    fn fleets_under_faults_keep_their_invariants(p in plan()) {
        run(&p)?;
    }
}
