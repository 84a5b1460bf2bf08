//! The signer policies on CSRs made by rcgen (the other CSR producer the issue names), through
//! a real `Cluster`: one row per rule, with the upstream message.
#![allow(clippy::disallowed_methods)] // rcgen makes throwaway keys from OS randomness

mod common;

use common::*;
use csrsim::api::csr::{KUBELET_SERVING, KUBE_APISERVER_CLIENT, KUBE_APISERVER_CLIENT_KUBELET};
use csrsim::auth::Identity;
use csrsim::sim::{Cluster, Config};

#[test]
fn rcgen_csrs_through_the_signer() {
    let mut c = Cluster::new(Config {
        approver: false,
        cleaner: false,
        ..Config::default()
    })
    .unwrap();
    // (upstream case, signer, CN, O, DNS SANs, usages, expected Failed message or None = issued)
    let rows: [(&str, &str, &str, &[&str], &[&str], &[&str], Option<&str>); 7] = [
        (
            "client cert issued",
            KUBE_APISERVER_CLIENT,
            "alice",
            &["dev"],
            &[],
            &["client auth"],
            None,
        ),
        (
            "client cert SANs copied, not checked",
            KUBE_APISERVER_CLIENT,
            "alice",
            &[],
            &["a.example"],
            &["digital signature", "client auth"],
            None,
        ),
        (
            "kubelet client ok",
            KUBE_APISERVER_CLIENT_KUBELET,
            "system:node:n1",
            &["system:nodes"],
            &[],
            &["digital signature", "key encipherment", "client auth"],
            None,
        ),
        (
            "kubelet client with DNS SAN",
            KUBE_APISERVER_CLIENT_KUBELET,
            "system:node:n1",
            &["system:nodes"],
            &["n1"],
            &["digital signature", "client auth"],
            Some("DNS subjectAltNames are not allowed"),
        ),
        (
            "kubelet client bad CN",
            KUBE_APISERVER_CLIENT_KUBELET,
            "n1",
            &["system:nodes"],
            &[],
            &["digital signature", "client auth"],
            Some("subject common name does not begin with system:node:"),
        ),
        (
            "kubelet serving ok",
            KUBELET_SERVING,
            "system:node:n1",
            &["system:nodes"],
            &["n1.example"],
            &["digital signature", "server auth"],
            None,
        ),
        (
            "kubelet serving without SANs",
            KUBELET_SERVING,
            "system:node:n1",
            &["system:nodes"],
            &[],
            &["digital signature", "server auth"],
            Some("DNS or IP subjectAltName is required"),
        ),
    ];
    for (i, (case, signer, cn, orgs, dns, usages, want)) in rows.into_iter().enumerate() {
        let name = format!("r{i}");
        create(
            &mut c,
            &Identity::admin(),
            csr_body(&name, signer, usages, &csr_pem(cn, orgs, dns)),
        )
        .unwrap();
        approve_as(&mut c, &Identity::admin(), &name, "Approved").unwrap();
        let csr = get(&mut c, &name);
        match want {
            None => {
                assert!(csr.condition("Failed").is_none(), "{case}");
                let der = &csrsim::pki::pem::certificates(&csr.status.certificate)[0];
                let (_, x) = x509_parser::parse_x509_certificate(der).unwrap();
                let got_cn: Vec<_> = x
                    .subject()
                    .iter_common_name()
                    .map(|a| a.as_str().unwrap())
                    .collect();
                assert_eq!(got_cn, [cn], "{case}");
            }
            Some(msg) => {
                assert!(csr.status.certificate.is_empty(), "{case}");
                assert_eq!(
                    csr.condition("Failed").map(|f| f.message.as_str()),
                    Some(msg),
                    "{case}"
                );
            }
        }
    }
}
