//! The default policy (§11) as the real Cluster installs it: every object passes the core's
//! validation, every binding points at an existing role, and the rights the certificate
//! workflow depends on are there (and nothing more for the approver roles).

use csrsim::auth::bootstrap_policy::default_objects;
use csrsim::auth::{Attributes, Identity};
use csrsim::sim::{Cluster, Config};

fn a(who: &Identity, verb: &str, group: &str, res: &str, sub: &str, name: &str) -> Attributes {
    Attributes {
        user: who.clone(),
        verb: verb.into(),
        resource_request: true,
        api_group: group.into(),
        api_version: "v1".into(),
        resource: res.into(),
        subresource: sub.into(),
        namespace: String::new(),
        name: name.into(),
        path: String::new(),
    }
}

#[test]
fn default_policy_installs_cleanly_and_is_consistent() {
    for kubeadm in [false, true] {
        let cx = Cluster::new(Config {
            kubeadm_bindings: kubeadm,
            trace: true,
            ..Config::default()
        })
        .unwrap();
        assert!(
            !cx.trace_jsonl().contains("bootstrap-policy-error"),
            "{}",
            cx.trace_jsonl()
        );
        let objs = default_objects(kubeadm);
        for (res, obj) in &objs {
            if *res == "clusterrolebindings" {
                let role = obj["roleRef"]["name"].as_str().unwrap();
                assert!(
                    cx.rbac().cluster_role_rules(role).is_some(),
                    "{role} missing"
                );
            }
        }
        // admin aggregates edit aggregates view.
        let admin = cx.rbac().cluster_role_rules("admin").unwrap().len();
        let edit = cx.rbac().cluster_role_rules("edit").unwrap().len();
        let view = cx.rbac().cluster_role_rules("view").unwrap().len();
        assert!(
            admin > edit && edit > view && view > 0,
            "{admin} {edit} {view}"
        );
    }
}

#[test]
fn certificate_workflow_rights() {
    let cx = Cluster::new(Config {
        kubeadm_bindings: true,
        ..Config::default()
    })
    .unwrap();
    let csr = "certificatesigningrequests";
    let certs = "certificates.k8s.io";
    let kcm = Identity::controller_manager();
    let boot = Identity::user(
        "system:bootstrap:abcdef",
        &[
            "system:bootstrappers",
            "system:bootstrappers:kubeadm:default-node-token",
        ],
    );
    let node = Identity::node("n1");
    let user = Identity::user("myuser", &[]);
    let rows: Vec<(&str, Attributes, bool)> = vec![
        (
            "kcm updates /approval",
            a(&kcm, "update", certs, csr, "approval", "x"),
            true,
        ),
        (
            "kcm updates /status",
            a(&kcm, "update", certs, csr, "status", "x"),
            true,
        ),
        (
            "kcm deletes CSRs (cleaner)",
            a(&kcm, "delete", certs, csr, "", "x"),
            true,
        ),
        (
            "kcm approves kubelet client signer",
            a(
                &kcm,
                "approve",
                certs,
                "signers",
                "",
                "kubernetes.io/kube-apiserver-client-kubelet",
            ),
            true,
        ),
        (
            "kcm does not approve apiserver-client",
            a(
                &kcm,
                "approve",
                certs,
                "signers",
                "",
                "kubernetes.io/kube-apiserver-client",
            ),
            false,
        ),
        (
            "kcm signs legacy-unknown",
            a(
                &kcm,
                "sign",
                certs,
                "signers",
                "",
                "kubernetes.io/legacy-unknown",
            ),
            true,
        ),
        (
            "kcm cannot sign custom",
            a(&kcm, "sign", certs, "signers", "", "example.com/x"),
            false,
        ),
        (
            "bootstrap creates CSRs",
            a(&boot, "create", certs, csr, "", ""),
            true,
        ),
        (
            "bootstrap nodeclient",
            a(&boot, "create", certs, csr, "nodeclient", ""),
            true,
        ),
        (
            "bootstrap not selfnodeclient",
            a(&boot, "create", certs, csr, "selfnodeclient", ""),
            false,
        ),
        (
            "bootstrap gets nodes",
            a(&boot, "get", "", "nodes", "", "n1"),
            true,
        ),
        (
            "node selfnodeclient",
            a(&node, "create", certs, csr, "selfnodeclient", ""),
            true,
        ),
        (
            "node creates CSRs (Node authorizer)",
            a(&node, "create", certs, csr, "", ""),
            true,
        ),
        (
            "node cannot approve",
            a(&node, "update", certs, csr, "approval", "x"),
            false,
        ),
        (
            "user can-i",
            a(
                &user,
                "create",
                "authorization.k8s.io",
                "selfsubjectaccessreviews",
                "",
                "",
            ),
            true,
        ),
        (
            "user whoami",
            a(
                &user,
                "create",
                "authentication.k8s.io",
                "selfsubjectreviews",
                "",
                "",
            ),
            true,
        ),
        (
            "user cannot create CSRs",
            a(&user, "create", certs, csr, "", ""),
            false,
        ),
        (
            "admin anything",
            a(
                &Identity::admin(),
                "approve",
                certs,
                "signers",
                "",
                "example.com/x",
            ),
            true,
        ),
        (
            "kubeadm:cluster-admins",
            a(
                &Identity::user("k", &["kubeadm:cluster-admins"]),
                "delete",
                certs,
                csr,
                "",
                "x",
            ),
            true,
        ),
    ];
    for (case, at, want) in rows {
        assert_eq!(cx.authorize(&at).allowed(), want, "{case}");
    }
    let discovery = Attributes {
        user: Identity::anonymous(),
        verb: "get".into(),
        path: "/version".into(),
        ..Default::default()
    };
    assert!(
        cx.authorize(&discovery).allowed(),
        "public-info-viewer for anonymous"
    );
    let api = Attributes {
        user: Identity::anonymous(),
        verb: "get".into(),
        path: "/api".into(),
        ..Default::default()
    };
    assert!(
        !cx.authorize(&api).allowed(),
        "discovery only for authenticated"
    );
    // bootstrap policy "system:monitoring": /metrics only for the group system:monitoring (and
    // the superuser); an ordinary authenticated user is refused.
    for (case, who, want) in [
        ("authenticated user", Identity::user("u", &[]), false),
        (
            "group system:monitoring",
            Identity::user("m", &["system:monitoring"]),
            true,
        ),
        ("system:masters", Identity::admin(), true),
    ] {
        let metrics = Attributes {
            user: who,
            verb: "get".into(),
            path: "/metrics".into(),
            ..Default::default()
        };
        assert_eq!(cx.authorize(&metrics).allowed(), want, "/metrics: {case}");
    }
}
