#![allow(clippy::disallowed_methods, clippy::type_complexity)] // tests are an edge: throwaway OS-random keys
//! The csrapproving controller (§6): pure decision table for both variants, and end-to-end
//! runs against the real `Cluster` with the upstream default policy installed.

use base64::Engine;
use csrsim::api::csr::{KUBELET_SERVING, KUBE_APISERVER_CLIENT, KUBE_APISERVER_CLIENT_KUBELET};
use csrsim::api::{CertificateSigningRequest, CsrCondition};
use csrsim::auth::bootstrap_policy::default_objects;
use csrsim::auth::Identity;
use csrsim::controller::approver::{
    decide, ApproverVariant, Outcome, NODE_CLIENT_MESSAGE, SELF_NODE_CLIENT_MESSAGE,
};
use csrsim::sim::{ApiRequest, Cluster, Config, Verb};
use rcgen::{CertificateParams, DnType, KeyPair, SanType};
use serde_json::json;
use std::time::Duration;

fn pem(cn: &str, orgs: &[&str], dns: &[&str]) -> String {
    let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
    for o in orgs {
        p.distinguished_name.push(DnType::OrganizationName, *o);
    }
    p.distinguished_name.push(DnType::CommonName, cn);
    p.subject_alt_names = dns
        .iter()
        .map(|d| SanType::DnsName((*d).try_into().unwrap()))
        .collect();
    let key = KeyPair::generate().unwrap();
    p.serialize_request(&key).unwrap().pem().unwrap()
}

fn csr(
    name: &str,
    username: &str,
    signer: &str,
    usages: &[&str],
    pem: &str,
) -> CertificateSigningRequest {
    let mut c = CertificateSigningRequest::default();
    c.metadata.name = name.into();
    c.spec.request = pem.as_bytes().to_vec();
    c.spec.signer_name = signer.into();
    c.spec.usages = usages.iter().map(|s| s.to_string()).collect();
    c.spec.username = username.into();
    c.spec.groups = vec!["system:nodes".into(), "system:authenticated".into()];
    c
}

const CLIENT_USAGES: &[&str] = &["digital signature", "key encipherment", "client auth"];

/// (subresource asked) log of a decide() run with a fixed SAR answer per subresource.
fn run(
    variant: ApproverVariant,
    c: &CertificateSigningRequest,
    self_ok: bool,
    node_ok: bool,
) -> (Outcome, Vec<String>) {
    let mut asked = Vec::new();
    let out = decide(variant, c, &mut |a| {
        asked.push(a.subresource.clone());
        assert_eq!(
            (
                a.verb.as_str(),
                a.api_group.as_str(),
                a.resource.as_str(),
                a.api_version.as_str()
            ),
            (
                "create",
                "certificates.k8s.io",
                "certificatesigningrequests",
                "*"
            )
        );
        assert_eq!(a.user.user, c.spec.username);
        assert_eq!(a.user.groups, c.spec.groups);
        Ok(match a.subresource.as_str() {
            "selfnodeclient" => self_ok,
            "nodeclient" => node_ok,
            _ => false,
        })
    });
    (out, asked)
}

fn ign(m: &str) -> Outcome {
    Outcome::Error {
        message: m.into(),
        ignorable: true,
    }
}

/// Rows mirror `sarapprove_test.go` (TestHandle / TestRecognizers) and the newest handler.
#[test]
fn decision_table_both_variants() {
    use ApproverVariant::*;
    let node_pem = pem("system:node:n1", &["system:nodes"], &[]);
    let self_csr = csr(
        "c",
        "system:node:n1",
        KUBE_APISERVER_CLIENT_KUBELET,
        CLIENT_USAGES,
        &node_pem,
    );
    let boot_csr = csr(
        "c",
        "system:bootstrap:abcdef",
        KUBE_APISERVER_CLIENT_KUBELET,
        CLIENT_USAGES,
        &node_pem,
    );
    let no_rsa = csr(
        "c",
        "system:bootstrap:abcdef",
        KUBE_APISERVER_CLIENT_KUBELET,
        &["digital signature", "client auth"],
        &node_pem,
    );
    let s = |x: &[&str]| x.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let rows: Vec<(
        &str,
        ApproverVariant,
        &CertificateSigningRequest,
        bool,
        bool,
        Outcome,
        Vec<String>,
    )> = vec![
        (
            "self: selfnodeclient allowed",
            Stable,
            &self_csr,
            true,
            false,
            Outcome::Approve(SELF_NODE_CLIENT_MESSAGE),
            s(&["selfnodeclient"]),
        ),
        (
            "self: falls back to nodeclient",
            Stable,
            &self_csr,
            false,
            true,
            Outcome::Approve(NODE_CLIENT_MESSAGE),
            s(&["selfnodeclient", "nodeclient"]),
        ),
        (
            "self: neither",
            Stable,
            &self_csr,
            false,
            false,
            ign(
                r#"recognized csr "c" as [selfnodeclient nodeclient] but subject access review was not approved"#,
            ),
            s(&["selfnodeclient", "nodeclient"]),
        ),
        (
            "bootstrap: nodeclient",
            Stable,
            &boot_csr,
            true,
            true,
            Outcome::Approve(NODE_CLIENT_MESSAGE),
            s(&["nodeclient"]),
        ),
        (
            "bootstrap: denied",
            Stable,
            &boot_csr,
            true,
            false,
            ign(r#"recognized csr "c" as [nodeclient] but subject access review was not approved"#),
            s(&["nodeclient"]),
        ),
        (
            "bootstrap: non-RSA usages",
            Stable,
            &no_rsa,
            false,
            true,
            Outcome::Approve(NODE_CLIENT_MESSAGE),
            s(&["nodeclient"]),
        ),
        (
            "newest self: selfnodeclient",
            Newest,
            &self_csr,
            true,
            false,
            Outcome::Approve(SELF_NODE_CLIENT_MESSAGE),
            s(&["selfnodeclient"]),
        ),
        (
            "newest self: no fallback",
            Newest,
            &self_csr,
            false,
            true,
            ign(
                r#"recognized csr "c" as selfNodeClientCert but subject access review was not approved"#,
            ),
            s(&["selfnodeclient"]),
        ),
        (
            "newest bootstrap",
            Newest,
            &boot_csr,
            true,
            true,
            Outcome::Approve(NODE_CLIENT_MESSAGE),
            s(&["nodeclient"]),
        ),
        (
            "newest bootstrap denied",
            Newest,
            &boot_csr,
            true,
            false,
            ign(
                r#"recognized csr "c" as nodeClientCert but subject access review was not approved"#,
            ),
            s(&["nodeclient"]),
        ),
    ];
    for (case, v, c, so, no, want, want_asked) in rows {
        let (got, asked) = run(v, c, so, no);
        assert_eq!(got, want, "{case}");
        assert_eq!(asked, want_asked, "{case}");
    }
}

#[test]
fn not_recognized_or_already_decided_is_skipped_without_sar() {
    let node_pem = pem("system:node:n1", &["system:nodes"], &[]);
    let base = csr(
        "c",
        "system:node:n1",
        KUBE_APISERVER_CLIENT_KUBELET,
        CLIENT_USAGES,
        &node_pem,
    );
    let mut rows: Vec<(&str, CertificateSigningRequest)> = Vec::new();
    let mut c = base.clone();
    c.spec.signer_name = KUBELET_SERVING.into();
    rows.push(("kubelet-serving never auto-approved", c));
    let mut c = base.clone();
    c.spec.signer_name = KUBE_APISERVER_CLIENT.into();
    rows.push(("kube-apiserver-client never auto-approved", c));
    let mut c = base.clone();
    c.spec.signer_name = "example.com/custom".into();
    rows.push(("custom signer", c));
    let mut c = base.clone();
    c.spec.usages = vec!["client auth".into()];
    rows.push(("usages not a kubelet set", c));
    let mut c = base.clone();
    c.spec.usages.push("server auth".into());
    rows.push(("extra usage", c));
    rows.push((
        "O not exactly system:nodes",
        csr(
            "c",
            "u",
            KUBE_APISERVER_CLIENT_KUBELET,
            CLIENT_USAGES,
            &pem("system:node:n1", &["system:nodes", "x"], &[]),
        ),
    ));
    rows.push((
        "CN prefix",
        csr(
            "c",
            "u",
            KUBE_APISERVER_CLIENT_KUBELET,
            CLIENT_USAGES,
            &pem("node:n1", &["system:nodes"], &[]),
        ),
    ));
    rows.push((
        "DNS SAN",
        csr(
            "c",
            "u",
            KUBE_APISERVER_CLIENT_KUBELET,
            CLIENT_USAGES,
            &pem("system:node:n1", &["system:nodes"], &["n1.example"]),
        ),
    ));
    let mut c = base.clone();
    c.status.conditions.push(CsrCondition {
        type_: "Denied".into(),
        status: "False".into(),
        ..Default::default()
    });
    rows.push(("any Denied condition (status ignored)", c));
    let mut c = base.clone();
    c.status.conditions.push(CsrCondition {
        type_: "Approved".into(),
        status: "False".into(),
        ..Default::default()
    });
    rows.push(("any Approved condition", c));
    let mut c = base.clone();
    c.status.certificate = b"x".to_vec();
    rows.push(("already issued", c));
    for (case, c) in rows {
        for v in [ApproverVariant::Stable, ApproverVariant::Newest] {
            let out = decide(v, &c, &mut |_| panic!("{case}: no SAR expected"));
            assert_eq!(out, Outcome::Skip, "{case}");
        }
    }
}

#[test]
fn parse_and_sar_errors() {
    let bad = csr(
        "bad",
        "u",
        KUBE_APISERVER_CLIENT_KUBELET,
        CLIENT_USAGES,
        "not pem",
    );
    for v in [ApproverVariant::Stable, ApproverVariant::Newest] {
        assert_eq!(
            decide(v, &bad, &mut |_| Ok(true)),
            Outcome::Error {
                message: r#"unable to parse csr "bad": PEM block type must be CERTIFICATE REQUEST"#
                    .into(),
                ignorable: false
            }
        );
    }
    let c = csr(
        "c",
        "system:node:n1",
        KUBE_APISERVER_CLIENT_KUBELET,
        CLIENT_USAGES,
        &pem("system:node:n1", &["system:nodes"], &[]),
    );
    assert_eq!(
        decide(ApproverVariant::Stable, &c, &mut |_| Err("boom".into())),
        Outcome::Error {
            message: "boom".into(),
            ignorable: false
        }
    );
    assert_eq!(
        decide(ApproverVariant::Newest, &c, &mut |_| Err("boom".into())),
        Outcome::Error {
            message: r#"while authorizing csr "c": boom"#.into(),
            ignorable: false
        }
    );
}

// ------------------------------------------------------------------ against the real Cluster

fn cluster(kubeadm: bool) -> Cluster {
    let cfg = Config {
        signer: false,
        cleaner: false,
        trace: true,
        ..Config::default()
    };
    let mut cx = Cluster::new(cfg).unwrap();
    install_policy(&mut cx, kubeadm);
    cx
}

fn install_policy(cx: &mut Cluster, kubeadm: bool) {
    for (res, obj) in default_objects(kubeadm) {
        let name = obj["metadata"]["name"].as_str().unwrap().to_string();
        let exists = cx
            .apply(
                &Identity::admin(),
                ApiRequest::new(Verb::Get, "rbac.authorization.k8s.io", res).name(&name),
            )
            .is_ok();
        if !exists {
            cx.apply(
                &Identity::admin(),
                ApiRequest::new(Verb::Create, "rbac.authorization.k8s.io", res).body(obj),
            )
            .unwrap();
        }
    }
}

fn bootstrap_user() -> Identity {
    Identity::user(
        "system:bootstrap:abcdef",
        &[
            "system:bootstrappers",
            "system:bootstrappers:kubeadm:default-node-token",
        ],
    )
}

fn create(cx: &mut Cluster, who: &Identity, name: &str, signer: &str, pem: &str) {
    let body = json!({"apiVersion":"certificates.k8s.io/v1","kind":"CertificateSigningRequest","metadata":{"name":name},
        "spec":{"request": base64::engine::general_purpose::STANDARD.encode(pem), "signerName": signer, "usages": CLIENT_USAGES}});
    cx.apply(who, ApiRequest::csr(Verb::Create).body(body))
        .unwrap();
}

fn approved(cx: &Cluster, name: &str) -> Option<CsrCondition> {
    cx.get_csr(name)
        .unwrap()
        .status
        .conditions
        .into_iter()
        .find(|c| c.type_ == "Approved")
}

#[test]
fn cluster_bootstrap_and_rotation_are_auto_approved_with_kubeadm_bindings() {
    let mut cx = cluster(true);
    let p = pem("system:node:n1", &["system:nodes"], &[]);
    create(
        &mut cx,
        &bootstrap_user(),
        "boot",
        KUBE_APISERVER_CLIENT_KUBELET,
        &p,
    );
    let c = approved(&cx, "boot").expect("bootstrap CSR approved");
    assert_eq!(
        (c.status.as_str(), c.reason.as_str(), c.message.as_str()),
        ("True", "AutoApproved", NODE_CLIENT_MESSAGE)
    );
    assert_eq!(c.last_update_time, Some(cx.now()));
    assert_eq!(c.last_transition_time, Some(cx.now()));

    create(
        &mut cx,
        &Identity::node("n1"),
        "renew",
        KUBE_APISERVER_CLIENT_KUBELET,
        &p,
    );
    assert_eq!(
        approved(&cx, "renew").unwrap().message,
        SELF_NODE_CLIENT_MESSAGE
    );

    // Serving and other client signers stay pending; nothing is ever denied.
    create(
        &mut cx,
        &Identity::node("n1"),
        "serving",
        KUBELET_SERVING,
        &p,
    );
    assert!(cx.get_csr("serving").unwrap().status.conditions.is_empty());
}

#[test]
fn cluster_without_rbac_requeues_then_approves_after_binding() {
    let mut cx = cluster(false);
    // The bootstrap user may create CSRs but has no nodeclient right yet.
    cx.apply(&Identity::admin(), ApiRequest::new(Verb::Create, "rbac.authorization.k8s.io", "clusterrolebindings").body(json!({
        "metadata":{"name":"bootstrappers-create"},"subjects":[{"kind":"Group","name":"system:bootstrappers"}],
        "roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"system:node-bootstrapper"}}))).unwrap();
    let p = pem("system:node:n2", &["system:nodes"], &[]);
    create(
        &mut cx,
        &bootstrap_user(),
        "late",
        KUBE_APISERVER_CLIENT_KUBELET,
        &p,
    );
    assert!(approved(&cx, "late").is_none());
    let want =
        r#"recognized csr \"late\" as [nodeclient] but subject access review was not approved"#;
    assert!(cx.trace_jsonl().contains(want), "{}", cx.trace_jsonl());
    cx.apply(&Identity::admin(), ApiRequest::new(Verb::Create, "rbac.authorization.k8s.io", "clusterrolebindings").body(json!({
        "metadata":{"name":"auto"},"subjects":[{"kind":"Group","name":"system:bootstrappers"}],
        "roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"system:certificates.k8s.io:certificatesigningrequests:nodeclient"}}))).unwrap();
    // Not yet: the CSR waits for its backoff timer (the binding is not a CSR event).
    assert!(approved(&cx, "late").is_none());
    cx.advance(Duration::from_secs(2));
    assert_eq!(approved(&cx, "late").unwrap().message, NODE_CLIENT_MESSAGE);
}

#[test]
fn cluster_stable_falls_back_to_nodeclient_for_self_renewal() {
    let mut cx = cluster(false);
    cx.apply(&Identity::admin(), ApiRequest::new(Verb::Create, "rbac.authorization.k8s.io", "clusterrolebindings").body(json!({
        "metadata":{"name":"nodes-nodeclient"},"subjects":[{"kind":"Group","name":"system:nodes"}],
        "roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"system:certificates.k8s.io:certificatesigningrequests:nodeclient"}}))).unwrap();
    let p = pem("system:node:n3", &["system:nodes"], &[]);
    create(
        &mut cx,
        &Identity::node("n3"),
        "self",
        KUBE_APISERVER_CLIENT_KUBELET,
        &p,
    );
    assert_eq!(approved(&cx, "self").unwrap().message, NODE_CLIENT_MESSAGE);
}

#[test]
fn cluster_approval_write_failure_is_reported_and_retried() {
    let mut cx = cluster(true);
    // Take the controller's /approval right away: the approval write itself is refused.
    cx.apply(
        &Identity::admin(),
        ApiRequest::new(
            Verb::Delete,
            "rbac.authorization.k8s.io",
            "clusterrolebindings",
        )
        .name("csrsim:kube-controller-manager:certificate-controller"),
    )
    .unwrap();
    let p = pem("system:node:n9", &["system:nodes"], &[]);
    create(
        &mut cx,
        &bootstrap_user(),
        "blocked",
        KUBE_APISERVER_CLIENT_KUBELET,
        &p,
    );
    assert!(approved(&cx, "blocked").is_none());
    let want = r#"error updating approval for csr: certificatesigningrequests.certificates.k8s.io \"blocked\" is forbidden: User \"system:kube-controller-manager\" cannot update resource \"certificatesigningrequests/approval\" in API group \"certificates.k8s.io\" at the cluster scope"#;
    assert!(cx.trace_jsonl().contains(want), "{}", cx.trace_jsonl());
    // Restore the right: the backoff retry approves it.
    let (_, crb) = default_objects(false)
        .into_iter()
        .find(|(_, o)| {
            o["metadata"]["name"] == "csrsim:kube-controller-manager:certificate-controller"
        })
        .unwrap();
    cx.apply(
        &Identity::admin(),
        ApiRequest::new(
            Verb::Create,
            "rbac.authorization.k8s.io",
            "clusterrolebindings",
        )
        .body(crb),
    )
    .unwrap();
    cx.advance(Duration::from_secs(2));
    assert_eq!(
        approved(&cx, "blocked").unwrap().message,
        NODE_CLIENT_MESSAGE
    );
}
