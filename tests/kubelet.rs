//! Simulated kubelets on the virtual clock: bootstrap, rotation, serving certificates,
//! expiry fallback and faults, asserting CSR names, conditions, identities and timestamps.

mod kubelet_support;
use csrsim::api::csr::{APPROVED, KUBELET_SERVING, KUBE_APISERVER_CLIENT_KUBELET};
use csrsim::api::{CertificateSigningRequest, Time};
use csrsim::auth::Identity;
use csrsim::controller::approver::{NODE_CLIENT_MESSAGE, SELF_NODE_CLIENT_MESSAGE};
use csrsim::kubelet::csr::{digested_name, request_subject_and_key};
use csrsim::kubelet::node::retry_delay_bounds_ms;
use csrsim::kubelet::{
    AddressType, BootstrapMode, CertKind, Fault, Fleet, FleetHandle, FleetOptions, KeyType,
    NodeAddress, NodeSpec, NodeStatus, Phase, UsageMode,
};
use csrsim::sim::{ApiRequest, Cluster, Verb};
use kubelet_support::*;
use std::time::Duration;

const SECRET: &str = "0123456789abcdef";
const MIN: i64 = 60_000;

fn setup(approver: bool, signer: bool, token_ttl: i64) -> (Cluster, FleetHandle) {
    setup_with(approver, signer, token_ttl, FleetOptions::default())
}

fn setup_with(
    approver: bool,
    signer: bool,
    token_ttl: i64,
    opts: FleetOptions,
) -> (Cluster, FleetHandle) {
    let mut cx = cluster(approver, signer, true, 7);
    create_token(&mut cx, TOKEN_ID, SECRET, token_ttl);
    let fleet = Fleet::install(&mut cx, opts);
    (cx, fleet)
}

fn status(cx: &Cluster, f: &FleetHandle, n: &str) -> NodeStatus {
    f.node_status(cx, n).expect("node")
}

fn csrs_with_prefix(cx: &Cluster, p: &str) -> Vec<CertificateSigningRequest> {
    cx.list_csrs()
        .into_iter()
        .filter(|c| c.metadata.name.starts_with(p))
        .collect()
}

fn trace_events(cx: &Cluster, ev: &str) -> Vec<serde_json::Value> {
    cx.trace_lines()
        .iter()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v["event"] == ev)
        .collect()
}

fn approve(cx: &mut Cluster, name: &str) {
    let mut csr = cx.get_csr(name).expect("csr");
    csr.status.conditions.push(csrsim::api::CsrCondition {
        type_: APPROVED.into(),
        status: "True".into(),
        reason: "KubectlApprove".into(),
        message: "This CSR was approved by kubectl certificate approve.".into(),
        ..Default::default()
    });
    cx.apply(
        &Identity::admin(),
        ApiRequest::csr(Verb::Update)
            .name(name)
            .subresource("approval")
            .body(serde_json::to_value(&csr).unwrap()),
    )
    .expect("approve");
}

fn advance_to(cx: &mut Cluster, ms: i64) {
    cx.advance_to(ms);
}

#[test]
fn bootstrap_with_token_uses_the_digested_name_and_is_auto_approved_and_signed() {
    let (mut cx, fleet) = setup(true, true, DAY);
    let t0 = cx.now();
    fleet
        .add_node(&mut cx, NodeSpec::new("n1").token(TOKEN))
        .unwrap();
    let boot = csrs_with_prefix(&cx, "node-csr-");
    assert_eq!(boot.len(), 1);
    let csr = &boot[0];
    // The name is node-csr- + SHA-512/256 over the key, CN, O and usages.
    let (cn, orgs, spki) = request_subject_and_key(&csr.spec.request).unwrap();
    assert_eq!(cn, "system:node:n1");
    assert_eq!(orgs, vec!["system:nodes"]);
    assert_eq!(
        csr.metadata.name,
        digested_name(
            &spki,
            &cn,
            &["system:nodes"],
            &["digital signature", "client auth"]
        )
    );
    assert_eq!(csr.metadata.name.len(), 52);
    assert_eq!(csr.spec.signer_name, KUBE_APISERVER_CLIENT_KUBELET);
    assert_eq!(csr.spec.usages, vec!["digital signature", "client auth"]);
    assert_eq!(csr.spec.expiration_seconds, None);
    // Requested with the bootstrap token's identity.
    assert_eq!(csr.spec.username, "system:bootstrap:abcdef");
    for g in [
        "system:bootstrappers",
        "system:bootstrappers:kubeadm:default-node-token",
        "system:authenticated",
    ] {
        assert!(csr.spec.groups.contains(&g.to_string()), "{g}");
    }
    // Auto-approved through `nodeclient` (not self: username ≠ CN), at t0.
    let a = csr.condition(APPROVED).expect("approved");
    assert_eq!(a.reason, "AutoApproved");
    assert_eq!(a.message, NODE_CLIENT_MESSAGE);
    assert_eq!(a.last_update_time, Some(t0));
    // Issued 24 h certificate, backdated 5 minutes.
    let st = status(&cx, &fleet, "n1");
    assert_eq!(st.phase, Phase::Ready);
    assert_eq!(st.bootstraps, 1);
    let cert = st.client_cert.clone().unwrap();
    assert_eq!(cert.not_before, Time(t0.unix() - 300));
    assert_eq!(cert.not_after, Time(t0.unix() + DAY - 300));
    // From now on the node is system:node:n1 in system:nodes.
    assert_eq!(st.identity, Some(Identity::node("n1")));
    let ev = trace_events(&cx, "kubelet-bootstrapped");
    assert_eq!(ev.len(), 1);
    assert_eq!(ev[0]["csr"], csr.metadata.name.as_str());
    assert_eq!(ev[0]["user"], "system:node:n1");
    // The rotation deadline is armed inside [70 %, 90 %) of the lifetime.
    let d = st.rotation_deadline_local_ms.unwrap();
    let (nb, total) = (
        cert.not_before.unix() * 1000,
        (cert.not_after.unix() - cert.not_before.unix()) * 1000,
    );
    assert!(d >= nb + total * 7 / 10 && d < nb + total * 9 / 10, "{d}");
}

#[test]
fn rotation_at_the_deadline_uses_the_node_certificate_and_generate_name() {
    let (mut cx, fleet) = setup(true, true, DAY);
    fleet
        .add_node(&mut cx, NodeSpec::new("n1").token(TOKEN))
        .unwrap();
    let st = status(&cx, &fleet, "n1");
    let d = st.rotation_deadline_local_ms.unwrap();
    advance_to(&mut cx, d - 1);
    assert_eq!(
        status(&cx, &fleet, "n1").rotations,
        0,
        "not before the deadline"
    );
    advance_to(&mut cx, d);
    let st = status(&cx, &fleet, "n1");
    assert_eq!(st.rotations, 1, "rotated exactly at the deadline");
    assert_eq!(st.phase, Phase::Ready);
    let h = &st.history[0];
    assert_eq!(h.kind, CertKind::Client);
    assert_eq!(h.deadline_local_ms, d);
    assert_eq!(h.attempts.len(), 1);
    assert_eq!(h.attempts[0].start_ms, d);
    assert_eq!(h.attempts[0].end_ms, d);
    let name = h.attempts[0].csr.clone().unwrap();
    assert!(name.starts_with("csr-") && name.len() == 9, "{name}");
    let csr = cx.get_csr(&name).unwrap();
    // Authenticated with its certificate: the approver sees a self-node client CSR.
    assert_eq!(csr.spec.username, "system:node:n1");
    assert_eq!(
        csr.spec.groups,
        vec!["system:nodes", "system:authenticated"]
    );
    assert_eq!(csr.spec.usages, vec!["digital signature", "client auth"]);
    let a = csr.condition(APPROVED).unwrap();
    assert_eq!(a.message, SELF_NODE_CLIENT_MESSAGE);
    // managedFields as upstream shows them: the kubelet's create owns the generateName (spec
    // and status are reset fields), kube-controller-manager the approval and the certificate.
    let entries: Vec<String> = csr
        .metadata
        .managed_fields
        .to_json()
        .iter()
        .map(|e| {
            format!(
                "{}/{}/{}",
                e["manager"].as_str().unwrap(),
                e["subresource"].as_str().unwrap_or(""),
                e["fieldsV1"]
            )
        })
        .collect();
    assert_eq!(
        entries[2], r#"kubelet//{"f:metadata":{"f:generateName":{}}}"#,
        "{entries:?}"
    );
    assert!(
        entries[0].starts_with("kube-controller-manager/approval/"),
        "{entries:?}"
    );
    assert_eq!(
        entries[1],
        r#"kube-controller-manager/status/{"f:status":{"f:certificate":{}}}"#
    );
    assert_eq!(a.last_update_time, Some(Time(d / 1000)));
    let cert = st.client_cert.unwrap();
    assert_eq!(cert.not_before, Time(d / 1000 - 300));
    assert_eq!(cert.not_after, Time(d / 1000 + DAY - 300));
    assert_eq!(st.identity, Some(Identity::node("n1")));
    // The next deadline comes from the new certificate.
    let d2 = st.rotation_deadline_local_ms.unwrap();
    assert!(
        d2 >= cert.not_before.unix() * 1000 + DAY * 700
            && d2 < cert.not_before.unix() * 1000 + DAY * 900
    );
    // Thirty days later it still holds a valid certificate, rotating about once a day.
    cx.advance(Duration::from_secs(30 * DAY as u64));
    let st = status(&cx, &fleet, "n1");
    assert!(st.rotations >= 30, "{}", st.rotations);
    assert!(st.client_cert.unwrap().valid_at(cx.now().unix()));
    // The cleaner kept the store small: issued CSRs go an hour after approval.
    assert!(cx.list_csrs().len() <= 2, "{}", cx.list_csrs().len());
}

#[test]
fn bootstrap_waits_3600s_then_the_restarted_kubelet_reuses_its_csr() {
    let (mut cx, fleet) = setup(false, true, DAY);
    let t0 = cx.now_ms();
    fleet
        .add_node(&mut cx, NodeSpec::new("n1").token(TOKEN))
        .unwrap();
    let name = status(&cx, &fleet, "n1").pending_csr.unwrap();
    assert!(name.starts_with("node-csr-"));
    advance_to(&mut cx, t0 + 3600 * 1000 - 1);
    assert_eq!(status(&cx, &fleet, "n1").phase, Phase::Bootstrapping);
    advance_to(&mut cx, t0 + 3600 * 1000);
    assert_eq!(status(&cx, &fleet, "n1").phase, Phase::Restarting);
    let f = trace_events(&cx, "kubelet-bootstrap-failed");
    assert_eq!(f.len(), 1);
    assert_eq!(f[0]["error"], "timed out waiting for the condition");
    assert_eq!(f[0]["t"], Time(t0 / 1000 + 3600).to_rfc3339());
    // systemd restarts it 10 s later: same key, same name, AlreadyExists → reuse.
    advance_to(&mut cx, t0 + 3610 * 1000);
    let st = status(&cx, &fleet, "n1");
    assert_eq!(st.phase, Phase::Bootstrapping);
    assert_eq!(st.pending_csr.as_deref(), Some(name.as_str()));
    assert_eq!(trace_events(&cx, "kubelet-csr-reused").len(), 1);
    assert_eq!(csrs_with_prefix(&cx, "node-csr-").len(), 1);
    // An operator approves it; the signer issues; the node is up.
    approve(&mut cx, &name);
    let st = status(&cx, &fleet, "n1");
    assert_eq!(st.phase, Phase::Ready);
    assert_eq!(
        st.client_cert.unwrap().not_before,
        Time(t0 / 1000 + 3610 - 300)
    );
}

#[test]
fn denied_bootstrap_csr_fails_fast_and_is_recreated_after_the_cleaner_deletes_it() {
    let (mut cx, fleet) = setup(false, true, DAY);
    fleet
        .add_node(&mut cx, NodeSpec::new("n1").token(TOKEN))
        .unwrap();
    let name = status(&cx, &fleet, "n1").pending_csr.unwrap();
    let uid = cx.get_csr(&name).unwrap().metadata.uid;
    fleet.inject(
        &mut cx,
        Fault::DenyCsr {
            node: "n1".into(),
            kind: CertKind::Client,
        },
    );
    let f = trace_events(&cx, "kubelet-bootstrap-failed");
    assert_eq!(f.len(), 1);
    assert_eq!(
        f[0]["error"],
        "certificate signing request is denied, reason: KubectlDeny, message: This CSR was denied by kubectl certificate deny."
    );
    assert_eq!(trace_events(&cx, "fault")[0]["fault"], "deny-csr");
    cx.advance(Duration::from_secs(10));
    assert_eq!(
        trace_events(&cx, "kubelet-bootstrap-failed").len(),
        2,
        "reused, denied again"
    );
    // The cleaner deletes the denied CSR strictly after 1 h; the next restart creates it anew.
    cx.advance(Duration::from_secs(2 * 3600));
    let csr = cx.get_csr(&name).expect("recreated under the same name");
    assert_ne!(csr.metadata.uid, uid);
    assert!(csr.status.conditions.is_empty());
    assert_eq!(status(&cx, &fleet, "n1").phase, Phase::Bootstrapping);
}

#[test]
fn paused_signer_makes_each_attempt_wait_15_minutes_then_back_off() {
    let (mut cx, fleet) = setup(true, true, DAY);
    fleet
        .add_node(&mut cx, NodeSpec::new("n1").token(TOKEN))
        .unwrap();
    let d = status(&cx, &fleet, "n1")
        .rotation_deadline_local_ms
        .unwrap();
    let resume = d - MIN + 60 * MIN;
    fleet.schedule_fault(
        &mut cx,
        d - MIN,
        Fault::PauseController {
            controller: SIGNER.into(),
            for_ms: 60 * MIN,
        },
    );
    advance_to(&mut cx, d + 2 * 60 * MIN);
    let st = status(&cx, &fleet, "n1");
    assert_eq!(st.rotations, 1);
    let h = &st.history[0];
    assert!(h.attempts.len() >= 4, "{:?}", h.attempts);
    assert_eq!(h.attempts[0].start_ms, d);
    let n = h.attempts.len();
    for (i, a) in h.attempts[..n - 1].iter().enumerate() {
        assert_eq!(a.end_ms - a.start_ms, 15 * MIN, "attempt {i} waited 15 min");
        assert_eq!(
            a.error.as_deref(),
            Some("timed out waiting for the condition")
        );
        let gap = h.attempts[i + 1].start_ms - a.end_ms;
        let (lo, hi) = retry_delay_bounds_ms(i as u32 + 1);
        assert!(gap >= lo && gap < hi, "gap {gap} after failure {}", i + 1);
    }
    // The last attempt's CSR is signed the moment the signer resumes.
    assert_eq!(h.attempts[n - 1].end_ms, resume);
    assert_eq!(h.attempts[n - 1].error, None);
    let ev = trace_events(&cx, "controller-paused");
    assert_eq!(ev[0]["controller"], SIGNER);
    assert_eq!(
        trace_events(&cx, "fault-end")[0]["fault"],
        "pause-controller"
    );
}

#[test]
fn api_outage_fails_fast_then_polls_every_32s_until_the_api_is_back() {
    let (mut cx, fleet) = setup(true, true, DAY);
    fleet
        .add_node(&mut cx, NodeSpec::new("n1").token(TOKEN))
        .unwrap();
    let d = status(&cx, &fleet, "n1")
        .rotation_deadline_local_ms
        .unwrap();
    fleet.schedule_fault(
        &mut cx,
        d - 1000,
        Fault::ApiUnavailable { for_ms: 10 * MIN },
    );
    let back = d - 1000 + 10 * MIN;
    advance_to(&mut cx, d + 60 * MIN);
    let st = status(&cx, &fleet, "n1");
    assert_eq!(st.rotations, 1);
    let h = &st.history[0];
    let n = h.attempts.len();
    for (i, a) in h.attempts[..n - 1].iter().enumerate() {
        assert!(a.error.as_deref().unwrap().contains("connection refused"));
        assert_eq!(a.end_ms, a.start_ms, "fails at once");
        let gap = h.attempts[i + 1].start_ms - a.end_ms;
        let (lo, hi) = retry_delay_bounds_ms(i as u32 + 1);
        assert!(gap >= lo && gap < hi, "gap {gap}");
    }
    assert!(n > 5, "entered the 32 s poll");
    let last = &h.attempts[n - 1];
    assert!(last.start_ms >= back && last.start_ms < back + 32_000);
    assert_eq!(last.error, None);
}

#[test]
fn deleted_csr_mid_flight_is_retried_with_a_new_csr() {
    let (mut cx, fleet) = setup(true, true, DAY);
    fleet
        .add_node(&mut cx, NodeSpec::new("n1").token(TOKEN))
        .unwrap();
    let d = status(&cx, &fleet, "n1")
        .rotation_deadline_local_ms
        .unwrap();
    fleet.schedule_fault(
        &mut cx,
        d - 1000,
        Fault::PauseController {
            controller: "csrapproving".into(),
            for_ms: 10 * MIN,
        },
    );
    fleet.schedule_fault(
        &mut cx,
        d + MIN,
        Fault::DeleteCsr {
            node: "n1".into(),
            kind: CertKind::Client,
        },
    );
    advance_to(&mut cx, d + 30 * MIN);
    let st = status(&cx, &fleet, "n1");
    assert_eq!(st.rotations, 1);
    let h = &st.history[0];
    assert_eq!(h.attempts.len(), 2);
    let first = h.attempts[0].csr.clone().unwrap();
    assert_eq!(h.attempts[0].end_ms, d + MIN);
    assert_eq!(
        h.attempts[0].error.as_deref(),
        Some(format!("csr {first:?} was deleted").as_str())
    );
    assert_ne!(h.attempts[1].csr.as_deref(), Some(first.as_str()));
    // Approved when the approver resumes.
    assert_eq!(h.attempts[1].end_ms, d - 1000 + 10 * MIN);
    assert_eq!(trace_events(&cx, "fault-applied")[0]["csr"], first.as_str());
}

#[test]
fn powered_off_overnight_falls_back_to_bootstrap_while_the_token_is_valid() {
    let (mut cx, fleet) = setup(true, true, 7 * DAY);
    fleet
        .add_node(&mut cx, NodeSpec::new("n1").token(TOKEN))
        .unwrap();
    let first = csrs_with_prefix(&cx, "node-csr-")[0].metadata.name.clone();
    let off = cx.now_ms() + 60 * MIN;
    fleet.schedule_fault(
        &mut cx,
        off,
        Fault::PowerOff {
            node: "n1".into(),
            for_ms: Some(2 * DAY * 1000),
        },
    );
    advance_to(&mut cx, off + 2 * DAY * 1000 - 1);
    assert_eq!(status(&cx, &fleet, "n1").phase, Phase::Off);
    advance_to(&mut cx, off + 2 * DAY * 1000);
    let st = status(&cx, &fleet, "n1");
    assert_eq!(st.phase, Phase::Ready);
    assert_eq!(st.bootstraps, 2);
    assert_eq!(st.rotations, 0);
    let boot = csrs_with_prefix(&cx, "node-csr-");
    let second = boot
        .iter()
        .find(|c| c.metadata.name != first)
        .expect("a new key, a new name");
    assert_eq!(second.spec.username, "system:bootstrap:abcdef");
    assert_eq!(
        st.client_cert.unwrap().not_before,
        Time((off + 2 * DAY * 1000) / 1000 - 300)
    );
}

#[test]
fn powered_off_past_token_expiry_is_stuck_and_says_why() {
    let (mut cx, fleet) = setup(true, true, DAY);
    fleet
        .add_node(&mut cx, NodeSpec::new("n1").token(TOKEN))
        .unwrap();
    let off = cx.now_ms() + 60 * MIN;
    fleet.schedule_fault(
        &mut cx,
        off,
        Fault::PowerOff {
            node: "n1".into(),
            for_ms: Some(2 * DAY * 1000),
        },
    );
    advance_to(&mut cx, off + 2 * DAY * 1000 + 5 * MIN);
    let st = status(&cx, &fleet, "n1");
    assert_eq!(st.phase, Phase::Stuck);
    assert_eq!(
        st.identity, None,
        "neither the certificate nor the token authenticates"
    );
    let reason = st.stuck_reason.unwrap();
    assert!(reason.contains("client certificate expired at"), "{reason}");
    assert!(
        reason.contains("bootstrap-token-abcdef matching bearer token has expired"),
        "{reason}"
    );
    let ev = trace_events(&cx, "kubelet-stuck");
    assert_eq!(ev.len(), 1, "said once, not every restart");
    assert_eq!(ev[0]["node"], "n1");
}

#[test]
fn expiry_while_running_exits_and_rebootstraps() {
    // The approver is paused past the certificate's end: rotation cannot succeed, the
    // certificate expires on the node's clock, the kubelet exits 5 min later and bootstraps.
    let (mut cx, fleet) = setup(true, true, 7 * DAY);
    fleet
        .add_node(&mut cx, NodeSpec::new("n1").token(TOKEN))
        .unwrap();
    let na = status(&cx, &fleet, "n1").cert_not_after.unwrap();
    let now_s = cx.now().unix();
    fleet.inject(
        &mut cx,
        Fault::PauseController {
            controller: "csrapproving".into(),
            for_ms: (na.unix() - now_s + 600) * 1000,
        },
    );
    // Expired: no longer presented (401s), the node says so; it exits 5 minutes later.
    advance_to(&mut cx, (na.unix() + 1) * 1000);
    let st = status(&cx, &fleet, "n1");
    assert_eq!(
        st.identity,
        Some(Identity::user(
            "system:bootstrap:abcdef",
            &[
                "system:bootstrappers",
                "system:bootstrappers:kubeadm:default-node-token"
            ]
        ))
    );
    advance_to(&mut cx, (na.unix() + 300) * 1000);
    assert!(trace_events(&cx, "kubelet-cert-expired").is_empty());
    advance_to(&mut cx, (na.unix() + 301) * 1000);
    let ev = trace_events(&cx, "kubelet-cert-expired");
    assert_eq!(ev.len(), 1);
    assert_eq!(ev[0]["t"], Time(na.unix() + 301).to_rfc3339());
    assert_eq!(status(&cx, &fleet, "n1").phase, Phase::Restarting);
    advance_to(&mut cx, (na.unix() + 311) * 1000);
    assert_eq!(status(&cx, &fleet, "n1").phase, Phase::Bootstrapping);
    // The approver resumes: the bootstrap CSR is approved and issued at once.
    advance_to(&mut cx, (na.unix() + 600) * 1000);
    let st = status(&cx, &fleet, "n1");
    assert_eq!(st.phase, Phase::Ready);
    assert_eq!(st.bootstraps, 2);
}

#[test]
fn serving_certificates_need_an_approver_and_follow_the_addresses() {
    let (mut cx, fleet) = setup(true, true, DAY);
    let spec = NodeSpec::new("n1").token(TOKEN).serving(vec![
        NodeAddress::new(AddressType::Hostname, "n1"),
        NodeAddress::new(AddressType::InternalIP, "10.0.0.5"),
    ]);
    fleet.add_node(&mut cx, spec).unwrap();
    let st = status(&cx, &fleet, "n1");
    let name = st.serving_pending_csr.clone().expect("serving CSR at once");
    let csr = cx.get_csr(&name).unwrap();
    assert!(name.starts_with("csr-"));
    assert_eq!(csr.spec.signer_name, KUBELET_SERVING);
    assert_eq!(csr.spec.usages, vec!["digital signature", "server auth"]);
    assert_eq!(csr.spec.username, "system:node:n1");
    assert!(csr.status.conditions.is_empty(), "never auto-approved");
    let t_approve = cx.now_ms() + 5 * MIN;
    advance_to(&mut cx, t_approve);
    approve(&mut cx, &name);
    let st = status(&cx, &fleet, "n1");
    let cert = st.serving_cert.expect("issued");
    assert_eq!(cert.dns_names, vec!["n1"]);
    assert_eq!(
        cert.ips,
        vec!["10.0.0.5".parse::<std::net::IpAddr>().unwrap()]
    );
    assert_eq!(cert.not_before, Time(t_approve / 1000 - 300));
    assert!(st.serving_deadline_local_ms.is_some());
    // A new address: the template is no longer satisfied → a new CSR a second later.
    fleet.inject(
        &mut cx,
        Fault::SetAddresses {
            node: "n1".into(),
            addresses: vec![
                NodeAddress::new(AddressType::Hostname, "n1"),
                NodeAddress::new(AddressType::InternalIP, "10.0.0.5"),
                NodeAddress::new(AddressType::ExternalIP, "192.0.2.7"),
            ],
        },
    );
    let before = cx.now_ms();
    advance_to(&mut cx, before + 999);
    assert!(status(&cx, &fleet, "n1").serving_pending_csr.is_none());
    advance_to(&mut cx, before + 1000);
    let name2 = status(&cx, &fleet, "n1")
        .serving_pending_csr
        .expect("re-requested");
    let csr2 = cx.get_csr(&name2).unwrap();
    let p = csrsim::controller::approver::parse_request(&csr2.spec.request).unwrap();
    assert!(p.has_sans);
    approve(&mut cx, &name2);
    let ips = status(&cx, &fleet, "n1").serving_cert.unwrap().ips;
    assert_eq!(ips.len(), 2);
}

#[test]
fn clock_skew_moves_the_deadline_on_the_cluster_clock() {
    let (mut cx, fleet) = setup(true, true, DAY);
    let skew = 2 * 3600 * 1000;
    let mut spec = NodeSpec::new("n1").token(TOKEN);
    spec.clock_skew_ms = skew;
    fleet.add_node(&mut cx, spec).unwrap();
    let st = status(&cx, &fleet, "n1");
    let d = st.rotation_deadline_local_ms.unwrap();
    advance_to(&mut cx, d - skew);
    let st = status(&cx, &fleet, "n1");
    assert_eq!(st.rotations, 1, "the node's clock is 2 h ahead");
    assert_eq!(st.history[0].attempts[0].start_ms, d - skew);
    assert_eq!(st.history[0].skew_ms, skew);
    // A skew fault re-arms the next deadline.
    let d2 = st.rotation_deadline_local_ms.unwrap();
    fleet.inject(
        &mut cx,
        Fault::ClockSkew {
            node: "n1".into(),
            skew_ms: 0,
        },
    );
    advance_to(&mut cx, d2 - skew);
    assert_eq!(status(&cx, &fleet, "n1").rotations, 1);
    advance_to(&mut cx, d2);
    assert_eq!(status(&cx, &fleet, "n1").rotations, 2);
    assert_eq!(trace_events(&cx, "fault")[0]["fault"], "clock-skew");
}

#[test]
fn provided_rsa_key_adds_key_encipherment_at_bootstrap_only() {
    let der = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/kubelet-rsa.pk8"
    ))
    .unwrap();
    let (mut cx, fleet) = setup(true, true, DAY);
    let mut spec = NodeSpec::new("n1").token(TOKEN);
    spec.key_type = KeyType::Pkcs8(der);
    fleet.add_node(&mut cx, spec).unwrap();
    let boot = &csrs_with_prefix(&cx, "node-csr-")[0];
    assert_eq!(
        boot.spec.usages,
        vec!["digital signature", "client auth", "key encipherment"]
    );
    let (cn, _, spki) = request_subject_and_key(&boot.spec.request).unwrap();
    assert_eq!(
        boot.metadata.name,
        digested_name(
            &spki,
            &cn,
            &["system:nodes"],
            &["digital signature", "client auth", "key encipherment"]
        )
    );
    assert_eq!(
        status(&cx, &fleet, "n1").phase,
        Phase::Ready,
        "RSA usage set is approvable"
    );
    let d = status(&cx, &fleet, "n1")
        .rotation_deadline_local_ms
        .unwrap();
    advance_to(&mut cx, d);
    let st = status(&cx, &fleet, "n1");
    let csr = cx
        .get_csr(st.history[0].attempts[0].csr.as_ref().unwrap())
        .unwrap();
    assert_eq!(
        csr.spec.usages,
        vec!["digital signature", "client auth"],
        "rotation keys are P-256"
    );
}

#[test]
fn legacy_usage_mode_sends_three_usages() {
    let opts = FleetOptions {
        usage_mode: UsageMode::Legacy,
        ..Default::default()
    };
    let (mut cx, fleet) = setup_with(true, true, DAY, opts);
    fleet
        .add_node(&mut cx, NodeSpec::new("n1").token(TOKEN))
        .unwrap();
    let boot = &csrs_with_prefix(&cx, "node-csr-")[0];
    assert_eq!(
        boot.spec.usages,
        vec!["digital signature", "key encipherment", "client auth"]
    );
    assert_eq!(status(&cx, &fleet, "n1").phase, Phase::Ready);
}

#[test]
fn no_token_and_no_certificate_is_stuck() {
    let (mut cx, fleet) = setup(true, true, DAY);
    fleet.add_node(&mut cx, NodeSpec::new("n1")).unwrap();
    let st = status(&cx, &fleet, "n1");
    assert_eq!(st.phase, Phase::Stuck);
    assert_eq!(
        st.stuck_reason.as_deref(),
        Some("no valid client certificate and no bootstrap token")
    );
    assert!(cx.list_csrs().is_empty());
}

/// `waitForServer` polls `/healthz` with the bootstrap token: a token the API refuses (401)
/// keeps the kubelet polling every 2–2.4 s for a minute before it fails and restarts (one
/// attempt per 70 s), so a token created meanwhile is used within one poll, not at the next
/// 10 s restart.
#[test]
fn refused_token_polls_healthz_and_bootstraps_within_a_poll_of_the_token_appearing() {
    let mut cx = cluster(true, true, true, 7);
    let fleet = Fleet::install(&mut cx, FleetOptions::default());
    let t0 = cx.now_ms();
    fleet
        .add_node(&mut cx, NodeSpec::new("n1").token(TOKEN))
        .unwrap();
    advance_to(&mut cx, t0 + 35_000);
    let st = status(&cx, &fleet, "n1");
    assert_eq!(st.phase, Phase::Stuck, "polling with a refused token");
    let reason = st.stuck_reason.expect("says why");
    assert!(reason.contains("bootstrap-token-abcdef"), "{reason}");
    assert!(csrs_with_prefix(&cx, "node-csr-").is_empty());
    create_token(&mut cx, TOKEN_ID, SECRET, DAY);
    // A 10 s restart loop would request at t0 + 40 s; the next poll is ≤ 2.4 s away.
    advance_to(&mut cx, t0 + 37_500);
    let boot = csrs_with_prefix(&cx, "node-csr-");
    assert_eq!(boot.len(), 1, "requested at the next /healthz poll");
    assert_eq!(boot[0].spec.username, "system:bootstrap:abcdef");
    assert_eq!(trace_events(&cx, "kubelet-stuck").len(), 1);
}

#[test]
fn same_seed_same_trace() {
    let run = || {
        let (mut cx, fleet) = setup(true, true, DAY);
        for i in 0..5 {
            fleet
                .add_node(&mut cx, NodeSpec::new(&format!("n{i}")).token(TOKEN))
                .unwrap();
        }
        cx.advance(Duration::from_secs(3 * DAY as u64));
        cx.trace_jsonl()
    };
    let a = run();
    assert!(a.contains("kubelet-cert-rotated"));
    assert_eq!(a, run());
}

#[test]
fn ca_expiry_caps_rotates_faster_stops_issuance_and_a_new_ca_recovers_the_node() {
    let mut cfg = base_config();
    cfg.trace = true;
    cfg.seed = 3;
    cfg.pki.ca_lifetime_secs = 2 * DAY;
    let mut cx = cluster_with(cfg);
    create_token(&mut cx, TOKEN_ID, SECRET, 7 * DAY);
    let fleet = Fleet::install(&mut cx, FleetOptions::default());
    let ca_end = cx.pki().ca().not_after;
    assert_eq!(ca_end, Time(cx.now().unix() + 2 * DAY));
    fleet
        .add_node(&mut cx, NodeSpec::new("n1").token(TOKEN))
        .unwrap();
    // Up to the CA's end: certificates are capped at its NotAfter, the node rotates ever
    // sooner, at most once a second when the deadline is already past.
    advance_to(&mut cx, ca_end.unix() * 1000);
    let st = status(&cx, &fleet, "n1");
    let capped: Vec<_> = st
        .history
        .iter()
        .filter(|h| h.new_not_after == ca_end)
        .collect();
    assert!(capped.len() >= 3, "{} capped rotations", capped.len());
    let starts: Vec<i64> = st
        .history
        .iter()
        .map(|h| h.attempts.last().unwrap().end_ms)
        .collect();
    assert!(
        starts.windows(2).all(|w| w[1] - w[0] >= 1000),
        "at most once a second"
    );
    // After the CA's end nothing is issued; the certificate expires, the kubelet exits and
    // bootstraps, and the approved bootstrap CSR waits for a signer that refuses.
    cx.advance(Duration::from_secs(600));
    assert_eq!(trace_events(&cx, "kubelet-cert-expired").len(), 1);
    assert_eq!(status(&cx, &fleet, "n1").phase, Phase::Bootstrapping);
    let boot = status(&cx, &fleet, "n1").pending_csr.unwrap();
    let csr = cx.get_csr(&boot).unwrap();
    assert!(csr.is_approved() && csr.status.certificate.is_empty());
    assert!(cx
        .trace_jsonl()
        .contains("refusing to sign a certificate that expired in the past"));
    // A new CA: the signer's next retry (backoff ≤ 1000 s) issues, the node is back.
    fleet.inject(
        &mut cx,
        Fault::ReplaceCa {
            lifetime_secs: 365 * DAY,
        },
    );
    let new_end = cx.pki().ca().not_after;
    assert_eq!(new_end, Time(cx.now().unix() + 365 * DAY));
    assert_eq!(trace_events(&cx, "fault")[0]["fault"], "replace-ca");
    cx.advance(Duration::from_secs(1200));
    let st = status(&cx, &fleet, "n1");
    assert_eq!(st.phase, Phase::Ready);
    let cert_pem = cx
        .get_csr(&boot)
        .map(|c| c.status.certificate)
        .unwrap_or_default();
    let (block, _) = csrsim::pki::gopem::decode(&cert_pem).expect("issued");
    let (_, cert) = x509_parser::parse_x509_certificate(&block.bytes).unwrap();
    let (_, ca) = x509_parser::parse_x509_certificate(&cx.pki().ca().cert_der).unwrap();
    assert!(
        cert.verify_signature(Some(ca.public_key())).is_ok(),
        "signed by the new CA"
    );
    assert_eq!(
        st.client_cert.unwrap().not_after.unix(),
        cert.validity().not_after.timestamp()
    );
}

#[test]
fn every_fault_shows_in_the_trace_and_bad_targets_are_reported() {
    let (mut cx, fleet) = setup(true, true, DAY);
    fleet
        .add_node(&mut cx, NodeSpec::new("n1").token(TOKEN))
        .unwrap();
    let faults = vec![
        Fault::PauseController {
            controller: "csrapproving".into(),
            for_ms: MIN,
        },
        Fault::ApiUnavailable { for_ms: MIN },
        Fault::ClockSkew {
            node: "n1".into(),
            skew_ms: 5000,
        },
        Fault::DenyCsr {
            node: "n1".into(),
            kind: CertKind::Client,
        },
        Fault::DeleteCsr {
            node: "n1".into(),
            kind: CertKind::Serving,
        },
        Fault::PowerOff {
            node: "n1".into(),
            for_ms: None,
        },
        Fault::PowerOn { node: "n1".into() },
        Fault::SetAddresses {
            node: "n1".into(),
            addresses: vec![],
        },
        Fault::ReplaceCa { lifetime_secs: DAY },
        Fault::PowerOff {
            node: "nope".into(),
            for_ms: None,
        },
        Fault::PauseController {
            controller: "kubelets".into(),
            for_ms: MIN,
        },
    ];
    let kinds: Vec<&str> = faults.iter().map(|f| f.kind()).collect();
    for f in faults {
        fleet.inject(&mut cx, f);
    }
    cx.advance(Duration::from_secs(120));
    let seen: Vec<String> = trace_events(&cx, "fault")
        .iter()
        .map(|v| v["fault"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(seen, kinds);
    let errors = trace_events(&cx, "fault-error");
    let msgs: Vec<&str> = errors
        .iter()
        .map(|v| v["error"].as_str().unwrap())
        .collect();
    assert_eq!(
        msgs,
        vec![
            "no CSR in flight",
            "no CSR in flight",
            "no node \"nope\"",
            "no pausable controller \"kubelets\""
        ]
    );
    let ends: Vec<String> = trace_events(&cx, "fault-end")
        .iter()
        .map(|v| v["fault"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ends, vec!["pause-controller", "api-unavailable"]);
    // Powered off then on at the same instant: the kubelet started again with its certificate.
    assert_eq!(status(&cx, &fleet, "n1").phase, Phase::Ready);
    assert_eq!(status(&cx, &fleet, "n1").clock_skew_ms, 5000);
}

#[test]
fn certificate_manager_bootstrap_mode_requests_csr_names_with_the_token() {
    let opts = FleetOptions {
        bootstrap_mode: BootstrapMode::CertificateManager,
        ..Default::default()
    };
    // Auto-approved: a csr-xxxxx requested by the bootstrap user, then rotation as usual.
    let (mut cx, fleet) = setup_with(true, true, DAY, opts.clone());
    fleet
        .add_node(&mut cx, NodeSpec::new("n1").token(TOKEN))
        .unwrap();
    let st = status(&cx, &fleet, "n1");
    assert_eq!(st.phase, Phase::Ready);
    assert_eq!(st.bootstraps, 1);
    assert_eq!(st.identity, Some(Identity::node("n1")));
    assert!(csrs_with_prefix(&cx, "node-csr-").is_empty());
    let csrs = csrs_with_prefix(&cx, "csr-");
    assert_eq!(csrs.len(), 1);
    assert_eq!(csrs[0].spec.username, "system:bootstrap:abcdef");
    assert_eq!(
        csrs[0].spec.usages,
        vec!["digital signature", "client auth"]
    );
    assert_eq!(
        csrs[0].condition(APPROVED).unwrap().message,
        NODE_CLIENT_MESSAGE
    );
    // Not approved: the transport exits the kubelet 5 min after start; each start a new CSR.
    let (mut cx, fleet) = setup_with(false, true, DAY, opts);
    let t0 = cx.now_ms();
    fleet
        .add_node(&mut cx, NodeSpec::new("n1").token(TOKEN))
        .unwrap();
    assert_eq!(status(&cx, &fleet, "n1").phase, Phase::Bootstrapping);
    let first = status(&cx, &fleet, "n1").pending_csr.unwrap();
    advance_to(&mut cx, t0 + 5 * MIN - 1);
    assert!(trace_events(&cx, "kubelet-cert-expired").is_empty());
    advance_to(&mut cx, t0 + 5 * MIN);
    let ev = trace_events(&cx, "kubelet-cert-expired");
    assert_eq!(ev.len(), 1);
    assert!(ev[0]["not_after"].is_null());
    advance_to(&mut cx, t0 + 5 * MIN + 10_000);
    let second = status(&cx, &fleet, "n1").pending_csr.unwrap();
    assert!(second.starts_with("csr-") && second != first);
    assert_eq!(csrs_with_prefix(&cx, "csr-").len(), 2);
    approve(&mut cx, &second);
    assert_eq!(status(&cx, &fleet, "n1").phase, Phase::Ready);
}

#[test]
fn an_expired_kubelet_does_not_exit_while_the_api_is_unreachable() {
    let (mut cx, fleet) = setup(true, true, 7 * DAY);
    fleet
        .add_node(&mut cx, NodeSpec::new("n1").token(TOKEN))
        .unwrap();
    let na = status(&cx, &fleet, "n1").cert_not_after.unwrap().unix() * 1000;
    // Approver paused past expiry (no renewal), API down from just before the exit point.
    let now = cx.now_ms();
    fleet.inject(
        &mut cx,
        Fault::PauseController {
            controller: "csrapproving".into(),
            for_ms: na - now + 3_600_000,
        },
    );
    fleet.schedule_fault(
        &mut cx,
        na + 4 * MIN,
        Fault::ApiUnavailable { for_ms: 20 * MIN },
    );
    advance_to(&mut cx, na + 24 * MIN - 1);
    assert!(
        trace_events(&cx, "kubelet-cert-expired").is_empty(),
        "server not responsive: stays up"
    );
    advance_to(&mut cx, na + 25 * MIN);
    let ev = trace_events(&cx, "kubelet-cert-expired");
    assert_eq!(
        ev.len(),
        1,
        "exits within one re-check of the API coming back"
    );
    let t = Time::parse_rfc3339(ev[0]["t"].as_str().unwrap())
        .unwrap()
        .unix()
        * 1000;
    assert!(t >= na + 24 * MIN && t < na + 24 * MIN + 10_000, "{t}");
}

fn event_ms(ev: &serde_json::Value) -> i64 {
    let t = ev["t"].as_str().unwrap();
    Time::parse_rfc3339(t).unwrap().unix() * 1000
}

/// `bootstrap.go` `LoadClientCert`: `waitForServer(ctx, cfg, 1*time.Minute)` polls `/healthz`
/// every 2–2.4 s before the CSR is requested. A short outage at start is waited out: no failed
/// attempt, the CSR goes out at the first poll after the API is back.
#[test]
fn bootstrap_waits_out_a_short_outage_before_requesting() {
    let (mut cx, fleet) = setup(true, true, DAY);
    let t0 = cx.now_ms();
    fleet.inject(&mut cx, Fault::ApiUnavailable { for_ms: 30_000 });
    fleet
        .add_node(&mut cx, NodeSpec::new("n1").token(TOKEN))
        .unwrap();
    assert_eq!(status(&cx, &fleet, "n1").phase, Phase::Bootstrapping);
    assert_eq!(trace_events(&cx, "kubelet-waiting-for-server").len(), 1);
    advance_to(&mut cx, t0 + 5 * MIN);
    let st = status(&cx, &fleet, "n1");
    assert_eq!(st.phase, Phase::Ready);
    assert_eq!(st.failed_attempts, 0, "no attempt while the API was down");
    assert!(trace_events(&cx, "kubelet-bootstrap-failed").is_empty());
    let created = trace_events(&cx, "kubelet-csr-created");
    assert_eq!(created.len(), 1);
    let at = event_ms(&created[0]);
    // Seconds in the trace: the poll lands in [30 s, 32.4 s).
    assert!(at >= t0 + 30_000 && at <= t0 + 32_400, "{}", at - t0);
}

/// A long outage: each kubelet run waits the full minute, then its request fails and it exits;
/// systemd restarts it 10 s later — one failed attempt per 70 s, not per 10 s.
#[test]
fn bootstrap_during_a_long_outage_fails_once_per_minute_and_ten_seconds() {
    let (mut cx, fleet) = setup(true, true, DAY);
    let t0 = cx.now_ms();
    fleet.inject(&mut cx, Fault::ApiUnavailable { for_ms: 10 * MIN });
    fleet
        .add_node(&mut cx, NodeSpec::new("n1").token(TOKEN))
        .unwrap();
    advance_to(&mut cx, t0 + 10 * MIN - 1);
    let failed = trace_events(&cx, "kubelet-bootstrap-failed");
    let at: Vec<i64> = failed.iter().map(|e| (event_ms(e) - t0) / 1000).collect();
    assert_eq!(at, vec![60, 130, 200, 270, 340, 410, 480, 550]);
    assert!(failed[0]["error"]
        .as_str()
        .unwrap()
        .contains("connection refused"));
    assert!(csrs_with_prefix(&cx, "node-csr-").is_empty());
    // The run started at 560 s is still polling when the API is back at 600 s.
    advance_to(&mut cx, t0 + 15 * MIN);
    let st = status(&cx, &fleet, "n1");
    assert_eq!(
        (st.phase, st.bootstraps, st.failed_attempts),
        (Phase::Ready, 1, 8)
    );
    let created = trace_events(&cx, "kubelet-csr-created");
    let at = event_ms(&created[0]) - t0;
    assert!((600_000..=602_400).contains(&at), "{at}");
}
