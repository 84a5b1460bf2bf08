//! Property: for random subjects (several O), SANs, usages and signer names, the csrsigning
//! controller's verdict on a real `Cluster` equals a plain model of §5.3, and every issued
//! certificate satisfies §5.4.
#![allow(clippy::disallowed_methods)]

mod common;

use common::*;
use csrsim::auth::Identity;
use csrsim::pki::der;
use csrsim::pki::KeyPair;
use csrsim::sim::rng::Rngs;
use csrsim::sim::{Cluster, Config};
use proptest::prelude::*;
use std::net::IpAddr;
use x509_parser::prelude::*;

#[derive(Clone, Debug)]
struct Case {
    cn: String,
    orgs: Vec<String>,
    dns: Vec<String>,
    emails: Vec<String>,
    ips: Vec<IpAddr>,
    uris: Vec<String>,
    usages: Vec<String>,
    signer: String,
}

/// A PKCS#10 request for `case`, written with the crate's DER writer and signed with P-256.
fn csr_pem(case: &Case, key: &KeyPair) -> String {
    use p256::ecdsa::signature::Signer;
    let mut rdns = Vec::new();
    for o in &case.orgs {
        rdns.push(der::set_of(vec![der::seq(&[
            &der::oid("2.5.4.10"),
            &der::tlv(der::UTF8_STRING, o.as_bytes()),
        ])]));
    }
    if !case.cn.is_empty() {
        rdns.push(der::set_of(vec![der::seq(&[
            &der::oid("2.5.4.3"),
            &der::tlv(der::UTF8_STRING, case.cn.as_bytes()),
        ])]));
    }
    let name = der::tlv(der::SEQUENCE, &rdns.concat());
    let mut gn = Vec::new();
    for d in &case.dns {
        gn.extend(der::implicit(2, d.as_bytes()));
    }
    for e in &case.emails {
        gn.extend(der::implicit(1, e.as_bytes()));
    }
    for ip in &case.ips {
        match ip {
            IpAddr::V4(v) => gn.extend(der::implicit(7, &v.octets())),
            IpAddr::V6(v) => gn.extend(der::implicit(7, &v.octets())),
        }
    }
    for u in &case.uris {
        gn.extend(der::implicit(6, u.as_bytes()));
    }
    let attrs = if gn.is_empty() {
        der::explicit(0, &[])
    } else {
        let san = der::seq(&[
            &der::oid("2.5.29.17"),
            &der::octet_string(&der::tlv(der::SEQUENCE, &gn)),
        ]);
        let exts = der::seq(&[&san]);
        let attr = der::seq(&[&der::oid("1.2.840.113549.1.9.14"), &der::set_of(vec![exts])]);
        der::explicit(0, &attr)
    };
    let info = der::seq(&[&der::small_int(0), &name, &key.spki_der(), &attrs]);
    let sig: p256::ecdsa::Signature = key.key.sign(&info);
    let alg = der::seq(&[&der::oid("1.2.840.10045.4.3.2")]);
    let csr = der::seq(&[&info, &alg, &der::bit_string(0, sig.to_der().as_bytes())]);
    csrsim::pki::gopem::encode("CERTIFICATE REQUEST", &csr)
}

#[derive(Debug, PartialEq, Eq)]
enum Verdict {
    CreateRefused,
    Failed(String),
    Issued,
    Pending,
}

/// §4.3 + §5.3 written out plainly.
fn model(c: &Case) -> Verdict {
    let set: std::collections::BTreeSet<&str> = c.usages.iter().map(|s| s.as_str()).collect();
    let eq = |v: &[&str]| set == v.iter().copied().collect();
    let nodes = c.orgs == ["system:nodes"];
    let node_cn = c.cn.starts_with("system:node:");
    match c.signer.as_str() {
        "kubernetes.io/kube-apiserver-client" => {
            if c.orgs.iter().any(|o| o == "system:masters") {
                return Verdict::CreateRefused;
            }
            for u in &c.usages {
                if !["digital signature", "key encipherment", "client auth"].contains(&u.as_str()) {
                    return Verdict::Failed(format!("invalid usage for client certificate: {u}"));
                }
            }
            if !set.contains("client auth") {
                return Verdict::Failed(
                    "missing required usage for client certificate: client auth".into(),
                );
            }
            Verdict::Issued
        }
        "kubernetes.io/kube-apiserver-client-kubelet" => {
            let f = |s: &str| Verdict::Failed(s.into());
            if !nodes {
                f("subject organization is not system:nodes")
            } else if !c.dns.is_empty() {
                f("DNS subjectAltNames are not allowed")
            } else if !c.emails.is_empty() {
                f("Email subjectAltNames are not allowed")
            } else if !c.ips.is_empty() {
                f("IP subjectAltNames are not allowed")
            } else if !c.uris.is_empty() {
                f("URI subjectAltNames are not allowed")
            } else if !node_cn {
                f("subject common name does not begin with system:node:")
            } else if !eq(&["digital signature", "key encipherment", "client auth"])
                && !eq(&["digital signature", "client auth"])
            {
                f("usages did not match [client auth digital signature key encipherment]")
            } else {
                Verdict::Issued
            }
        }
        "kubernetes.io/kubelet-serving" => {
            let f = |s: &str| Verdict::Failed(s.into());
            if !nodes {
                f("subject organization is not system:nodes")
            } else if c.dns.is_empty() && c.ips.is_empty() {
                f("DNS or IP subjectAltName is required")
            } else if !c.emails.is_empty() {
                f("Email subjectAltNames are not allowed")
            } else if !c.uris.is_empty() {
                f("URI subjectAltNames are not allowed")
            } else if !eq(&["digital signature", "key encipherment", "server auth"])
                && !eq(&["digital signature", "server auth"])
            {
                f("usages did not match [digital signature key encipherment server auth]")
            } else if !node_cn {
                f("subject common name does not begin with system:node:")
            } else {
                Verdict::Issued
            }
        }
        _ => Verdict::Pending,
    }
}

/// Go's KeyUsage bits and EKU OIDs in enum order, written independently of the crate.
fn model_ku_eku(usages: &[String]) -> (u16, Vec<&'static str>) {
    let ku_table = [
        ("signing", 1u16),
        ("digital signature", 1),
        ("content commitment", 2),
        ("key encipherment", 4),
        ("data encipherment", 8),
        ("key agreement", 16),
        ("cert sign", 32),
        ("crl sign", 64),
        ("encipher only", 128),
        ("decipher only", 256),
    ];
    let eku_table = [
        ("any", "2.5.29.37.0"),
        ("server auth", "1.3.6.1.5.5.7.3.1"),
        ("client auth", "1.3.6.1.5.5.7.3.2"),
        ("code signing", "1.3.6.1.5.5.7.3.3"),
        ("email protection", "1.3.6.1.5.5.7.3.4"),
        ("s/mime", "1.3.6.1.5.5.7.3.4"),
        ("ipsec end system", "1.3.6.1.5.5.7.3.5"),
        ("ipsec tunnel", "1.3.6.1.5.5.7.3.6"),
        ("ipsec user", "1.3.6.1.5.5.7.3.7"),
        ("timestamping", "1.3.6.1.5.5.7.3.8"),
        ("ocsp signing", "1.3.6.1.5.5.7.3.9"),
        ("microsoft sgc", "1.3.6.1.4.1.311.10.3.3"),
        ("netscape sgc", "2.16.840.1.113730.4.1"),
    ];
    let mut ku = 0;
    for u in usages {
        ku |= ku_table
            .iter()
            .find(|(n, _)| n == u)
            .map(|(_, b)| *b)
            .unwrap_or(0);
    }
    let mut ekus: Vec<&str> = Vec::new();
    for (name, oid) in eku_table {
        if usages.iter().any(|u| u == name) && !ekus.contains(&oid) {
            ekus.push(oid);
        }
    }
    (ku, ekus)
}

fn case_strategy() -> impl Strategy<Value = Case> {
    let cn = prop_oneof![3 => Just("system:node:n1".to_string()), 1 => Just("alice".to_string()), 1 => Just(String::new()), 1 => "[a-z]{1,8}"];
    let org = prop_oneof![
        Just("system:nodes".to_string()),
        Just("system:masters".to_string()),
        "[a-z]{1,6}"
    ];
    // Biased towards the shapes the kubelet signers accept, so every verdict is exercised.
    let orgs = prop_oneof![2 => Just(vec!["system:nodes".to_string()]), 1 => prop::collection::vec(org, 0..4)];
    let none = || Just(Vec::<String>::new());
    let dns = prop_oneof![
        none(),
        prop::collection::vec("[a-z]{1,8}(\\.example)?", 1..3)
    ];
    let emails =
        prop_oneof![3 => none(), 1 => prop::collection::vec("[a-z]{1,5}@x\\.example", 1..2)];
    let ip = prop_oneof![
        any::<[u8; 4]>().prop_map(IpAddr::from),
        any::<[u8; 16]>().prop_map(IpAddr::from)
    ];
    let ips = prop_oneof![Just(Vec::<IpAddr>::new()), prop::collection::vec(ip, 1..3)];
    let uris = prop_oneof![3 => none(), 1 => prop::collection::vec("spiffe://td/[a-z]{1,5}", 1..2)];
    let usages = prop::sample::subsequence(csrsim::api::csr::ALL_USAGES.to_vec(), 1..6)
        .prop_shuffle()
        .prop_map(|v| v.into_iter().map(String::from).collect::<Vec<_>>());
    let kubeletish = prop::sample::subsequence(
        vec![
            "digital signature",
            "key encipherment",
            "client auth",
            "server auth",
        ],
        1..4,
    )
    .prop_map(|v| v.into_iter().map(String::from).collect::<Vec<_>>());
    let fitting = prop::sample::select(vec![
        vec!["digital signature", "key encipherment", "client auth"],
        vec!["client auth", "digital signature"],
        vec!["client auth"],
        vec!["server auth", "key encipherment", "digital signature"],
        vec!["digital signature", "server auth"],
    ])
    .prop_map(|v| v.into_iter().map(String::from).collect::<Vec<_>>());
    let signer = prop_oneof![
        3 => Just("kubernetes.io/kube-apiserver-client".to_string()),
        3 => Just("kubernetes.io/kube-apiserver-client-kubelet".to_string()),
        3 => Just("kubernetes.io/kubelet-serving".to_string()),
        1 => Just("example.com/custom".to_string()),
    ];
    (
        cn,
        orgs,
        dns,
        emails,
        ips,
        uris,
        prop_oneof![2 => usages, 1 => kubeletish, 3 => fitting],
        signer,
    )
        .prop_map(|(cn, orgs, dns, emails, ips, uris, usages, signer)| Case {
            cn,
            orgs,
            dns,
            emails,
            ips,
            uris,
            usages,
            signer,
        })
}

/// Mostly-valid kubelet CSRs with at most a little noise, so both kubelet signers issue often.
fn kubelet_case_strategy() -> impl Strategy<Value = Case> {
    let serving = any::<bool>();
    let noise = prop_oneof![6 => Just(0u8), 1 => 1u8..7];
    (serving, noise, case_strategy()).prop_map(|(serving, noise, random)| {
        let mut c = Case {
            cn: "system:node:n1".into(),
            orgs: vec!["system:nodes".into()],
            dns: if serving {
                vec!["n1.example".into()]
            } else {
                vec![]
            },
            emails: vec![],
            ips: if serving {
                vec![IpAddr::from([10, 0, 0, 1])]
            } else {
                vec![]
            },
            uris: vec![],
            usages: if serving {
                vec!["digital signature".into(), "server auth".into()]
            } else {
                vec![
                    "client auth".into(),
                    "key encipherment".into(),
                    "digital signature".into(),
                ]
            },
            signer: if serving {
                "kubernetes.io/kubelet-serving"
            } else {
                "kubernetes.io/kube-apiserver-client-kubelet"
            }
            .into(),
        };
        match noise {
            1 => c.cn = random.cn,
            2 => c.orgs = random.orgs,
            3 => c.dns = random.dns,
            4 => c.emails = random.emails,
            5 => c.uris = random.uris,
            6 => c.usages = random.usages,
            _ => {}
        }
        c
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 160, ..ProptestConfig::default() })]

    #[test]
    fn verdict_matches_model_and_certificates_satisfy_5_4(case in prop_oneof![case_strategy(), kubelet_case_strategy()], seed in 0u64..4) {
        let mut c = Cluster::new(Config { seed, approver: false, cleaner: false, ..Config::default() }).unwrap();
        let key = KeyPair::generate(&mut Rngs::new(seed + 100));
        let pem = csr_pem(&case, &key);
        let usages: Vec<&str> = case.usages.iter().map(|s| s.as_str()).collect();
        let want = model(&case);
        let body = csr_body("p", &case.signer, &usages, &pem);
        let got = match create(&mut c, &Identity::admin(), body) {
            Err(e) => {
                prop_assert!(e.message.contains("system:masters"), "unexpected create error {}", e.message);
                Verdict::CreateRefused
            }
            Ok(_) => {
                approve_as(&mut c, &Identity::admin(), "p", "Approved").unwrap();
                let csr = get(&mut c, "p");
                match (csr.condition("Failed"), csr.status.certificate.is_empty()) {
                    (Some(f), true) => {
                        prop_assert_eq!(&f.reason, "SignerValidationFailure");
                        Verdict::Failed(f.message.clone())
                    }
                    (None, false) => {
                        check_certificate(&c, &case, &csr.status.certificate)?;
                        Verdict::Issued
                    }
                    (None, true) => Verdict::Pending,
                    (Some(_), false) => panic!("both Failed and a certificate"),
                }
            }
        };
        if std::env::var("CSRSIM_PROPTEST_STATS").is_ok() {
            eprintln!("VERDICT {} {:?}", case.signer, got);
        }
        prop_assert_eq!(got, want);
    }
}

/// §5.4, field by field.
fn check_certificate(c: &Cluster, case: &Case, pem: &[u8]) -> Result<(), TestCaseError> {
    let ders = csrsim::pki::pem::certificates(pem);
    prop_assert_eq!(ders.len(), 1);
    let (_, cert) = X509Certificate::from_der(&ders[0]).unwrap();
    let ca = c.pki().ca();
    let (_, ca_cert) = X509Certificate::from_der(&ca.cert_der).unwrap();
    prop_assert!(cert.verify_signature(Some(ca_cert.public_key())).is_ok());
    prop_assert_eq!(cert.version(), X509Version::V3);
    prop_assert_eq!(cert.issuer().as_raw(), ca_cert.subject().as_raw());
    let serial = cert.raw_serial();
    prop_assert!(serial.len() <= 16);
    if serial.len() == 16 {
        prop_assert!(serial[0] & 0x80 == 0);
    }
    // Subject: all O values (DER-sorted inside one RDN), CN.
    let mut orgs: Vec<String> = cert
        .subject()
        .iter_organization()
        .map(|a| a.as_str().unwrap().to_string())
        .collect();
    let mut want_orgs = case.orgs.clone();
    orgs.sort();
    want_orgs.sort();
    prop_assert_eq!(orgs, want_orgs);
    let cn: Vec<&str> = cert
        .subject()
        .iter_common_name()
        .map(|a| a.as_str().unwrap())
        .collect();
    prop_assert_eq!(
        cn,
        if case.cn.is_empty() {
            vec![]
        } else {
            vec![case.cn.as_str()]
        }
    );
    // Validity: now − 5 min .. now + 8760h − 5 min.
    let now = c.now().unix();
    prop_assert_eq!(cert.validity().not_before.timestamp(), now - 300);
    prop_assert_eq!(
        cert.validity().not_after.timestamp(),
        now + 365 * 24 * 3600 - 300
    );
    // Extensions.
    let (ku, ekus) = model_ku_eku(&case.usages);
    let mut saw_ku = 0u16;
    let mut saw_eku: Vec<String> = vec![];
    let mut saw_bc = false;
    let mut saw_aki = false;
    let (mut dns, mut emails, mut ips, mut uris) = (vec![], vec![], vec![], vec![]);
    for e in cert.extensions() {
        match e.parsed_extension() {
            ParsedExtension::KeyUsage(k) => {
                prop_assert!(e.critical);
                saw_ku = k.flags;
            }
            ParsedExtension::ExtendedKeyUsage(_) => {
                // Order matters: read the OIDs from the raw value.
                let (_, seq) = x509_parser::der_parser::parse_der(e.value).unwrap();
                for o in seq.as_sequence().unwrap() {
                    saw_eku.push(o.as_oid().unwrap().to_id_string());
                }
            }
            ParsedExtension::BasicConstraints(b) => {
                prop_assert!(e.critical && !b.ca);
                saw_bc = true;
            }
            ParsedExtension::AuthorityKeyIdentifier(a) => {
                prop_assert_eq!(
                    a.key_identifier.as_ref().unwrap().0,
                    ca.subject_key_id.as_slice()
                );
                saw_aki = true;
            }
            ParsedExtension::SubjectAlternativeName(s) => {
                prop_assert_eq!(e.critical, case.orgs.is_empty() && case.cn.is_empty());
                for g in &s.general_names {
                    match g {
                        GeneralName::DNSName(d) => dns.push(d.to_string()),
                        GeneralName::RFC822Name(d) => emails.push(d.to_string()),
                        GeneralName::URI(d) => uris.push(d.to_string()),
                        GeneralName::IPAddress(b) => ips.push(if b.len() == 4 {
                            IpAddr::from(<[u8; 4]>::try_from(*b).unwrap())
                        } else {
                            IpAddr::from(<[u8; 16]>::try_from(*b).unwrap())
                        }),
                        other => prop_assert!(false, "unexpected SAN {:?}", other),
                    }
                }
            }
            ParsedExtension::SubjectKeyIdentifier(_) => prop_assert!(false, "leaf has SKI"),
            other => prop_assert!(false, "unexpected extension {:?}", other),
        }
    }
    prop_assert_eq!(saw_ku, ku);
    prop_assert_eq!(
        saw_eku,
        ekus.iter().map(|s| s.to_string()).collect::<Vec<_>>()
    );
    prop_assert!(saw_bc && saw_aki);
    prop_assert_eq!(dns, case.dns.clone());
    prop_assert_eq!(emails, case.emails.clone());
    prop_assert_eq!(ips, case.ips.clone());
    prop_assert_eq!(uris, case.uris.clone());
    Ok(())
}
