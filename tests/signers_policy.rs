//! Per-rule table tests of the four signer policies (§5.3), each row naming the upstream case
//! it mirrors (`pkg/apis/certificates/v1/helpers_test.go`, `signer_test.go`), plus CSR
//! parsing and signature checks on openssl-made requests.
#![allow(clippy::disallowed_methods)]

use csrsim::pki::csr::{self, GoName, KeyKind, ParsedCsr};
use csrsim::signer::{
    kube_apiserver_client, kube_apiserver_client_kubelet, kubelet_serving, legacy_unknown,
    policy_for,
};
use std::process::Command;

fn req(cn: &str, orgs: &[&str]) -> ParsedCsr {
    ParsedCsr {
        der: vec![],
        rdns: vec![],
        subject: GoName {
            common_name: cn.into(),
            organization: orgs.iter().map(|s| s.to_string()).collect(),
            ..Default::default()
        },
        dns_names: vec![],
        email_addresses: vec![],
        ip_addresses: vec![],
        uris: vec![],
        other_sans: vec![],
        extensions: vec![],
        key: KeyKind::EcdsaP256,
        spki_der: vec![],
        signature_algorithm: String::new(),
    }
}

fn u(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

/// (upstream case, request, usages, expected result)
type Row<'a> = (&'a str, ParsedCsr, Vec<String>, Result<(), &'a str>);

const NODE: &str = "system:node:n1";
const NODES: &[&str] = &["system:nodes"];

#[test]
fn kubelet_client_rules_in_upstream_order() {
    let ok = u(&["digital signature", "key encipherment", "client auth"]);
    let mut dns = req(NODE, NODES);
    dns.dns_names.push("n1".into());
    let mut email = req(NODE, NODES);
    email.email_addresses.push("a@b".into());
    let mut ip = req(NODE, NODES);
    ip.ip_addresses.push("10.0.0.1".parse().unwrap());
    let mut uri = req(NODE, NODES);
    uri.uris.push("spiffe://x".into());
    let mut all = req("bob", &["x"]);
    all.dns_names.push("n1".into());
    let rows: Vec<Row> = vec![
        ("valid rsa usages", req(NODE, NODES), ok.clone(), Ok(())),
        (
            "valid no-rsa usages",
            req(NODE, NODES),
            u(&["client auth", "digital signature"]),
            Ok(()),
        ),
        (
            "usages as a set: order and duplicates ignored",
            req(NODE, NODES),
            u(&["client auth", "digital signature", "client auth"]),
            Ok(()),
        ),
        (
            "no organization",
            req(NODE, &[]),
            ok.clone(),
            Err("subject organization is not system:nodes"),
        ),
        (
            "extra organization",
            req(NODE, &["system:nodes", "x"]),
            ok.clone(),
            Err("subject organization is not system:nodes"),
        ),
        (
            "org checked before SANs and CN",
            all,
            ok.clone(),
            Err("subject organization is not system:nodes"),
        ),
        (
            "dns SAN",
            dns,
            ok.clone(),
            Err("DNS subjectAltNames are not allowed"),
        ),
        (
            "email SAN",
            email,
            ok.clone(),
            Err("Email subjectAltNames are not allowed"),
        ),
        (
            "ip SAN",
            ip,
            ok.clone(),
            Err("IP subjectAltNames are not allowed"),
        ),
        (
            "uri SAN",
            uri,
            ok.clone(),
            Err("URI subjectAltNames are not allowed"),
        ),
        (
            "bad CN",
            req("node:n1", NODES),
            ok.clone(),
            Err("subject common name does not begin with system:node:"),
        ),
        (
            "CN checked before usages",
            req("x", NODES),
            u(&["server auth"]),
            Err("subject common name does not begin with system:node:"),
        ),
        (
            "server auth usage",
            req(NODE, NODES),
            u(&["digital signature", "server auth"]),
            Err("usages did not match [client auth digital signature key encipherment]"),
        ),
        (
            "missing digital signature",
            req(NODE, NODES),
            u(&["client auth"]),
            Err("usages did not match [client auth digital signature key encipherment]"),
        ),
    ];
    for (case, r, usages, want) in rows {
        assert_eq!(
            kube_apiserver_client_kubelet::check(&r, &usages),
            want.map_err(String::from),
            "{case}"
        );
    }
}

#[test]
fn kubelet_serving_rules_in_upstream_order() {
    let ok = u(&["digital signature", "key encipherment", "server auth"]);
    let with = |f: &dyn Fn(&mut ParsedCsr)| {
        let mut r = req(NODE, NODES);
        f(&mut r);
        r
    };
    let dns = with(&|r| r.dns_names.push("n1".into()));
    let ip = with(&|r| r.ip_addresses.push("10.0.0.1".parse().unwrap()));
    let email = with(&|r| {
        r.dns_names.push("n1".into());
        r.email_addresses.push("a@b".into())
    });
    let uri = with(&|r| {
        r.ip_addresses.push("10.0.0.1".parse().unwrap());
        r.uris.push("spiffe://x".into())
    });
    let mut badcn = dns.clone();
    badcn.subject.common_name = "n1".into();
    let rows: Vec<Row> = vec![
        ("valid with DNS", dns.clone(), ok.clone(), Ok(())),
        (
            "valid with IP only, no-rsa usages",
            ip.clone(),
            u(&["server auth", "digital signature"]),
            Ok(()),
        ),
        (
            "wrong org",
            req(NODE, &["x"]),
            ok.clone(),
            Err("subject organization is not system:nodes"),
        ),
        (
            "no DNS or IP",
            req(NODE, NODES),
            ok.clone(),
            Err("DNS or IP subjectAltName is required"),
        ),
        (
            "email SAN",
            email,
            ok.clone(),
            Err("Email subjectAltNames are not allowed"),
        ),
        (
            "uri SAN",
            uri,
            ok.clone(),
            Err("URI subjectAltNames are not allowed"),
        ),
        (
            "client auth usage",
            dns.clone(),
            u(&["digital signature", "client auth"]),
            Err("usages did not match [digital signature key encipherment server auth]"),
        ),
        (
            "usages checked before CN",
            {
                let mut b = badcn.clone();
                b.subject.common_name = "x".into();
                b
            },
            u(&["client auth"]),
            Err("usages did not match [digital signature key encipherment server auth]"),
        ),
        (
            "bad CN",
            badcn,
            ok.clone(),
            Err("subject common name does not begin with system:node:"),
        ),
    ];
    for (case, r, usages, want) in rows {
        assert_eq!(
            kubelet_serving::check(&r, &usages),
            want.map_err(String::from),
            "{case}"
        );
    }
}

#[test]
fn kube_apiserver_client_usage_rules() {
    let r = req("alice", &["system:masters"]);
    let rows: [(&str, &[&str], Result<(), &str>); 6] = [
        ("client auth only", &["client auth"], Ok(())),
        (
            "all three allowed",
            &["key encipherment", "digital signature", "client auth"],
            Ok(()),
        ),
        (
            "first bad usage named",
            &["client auth", "server auth", "code signing"],
            Err("invalid usage for client certificate: server auth"),
        ),
        (
            "bad usage before missing client auth",
            &["signing"],
            Err("invalid usage for client certificate: signing"),
        ),
        (
            "missing client auth",
            &["digital signature"],
            Err("missing required usage for client certificate: client auth"),
        ),
        (
            "empty",
            &[],
            Err("missing required usage for client certificate: client auth"),
        ),
    ];
    for (case, usages, want) in rows {
        assert_eq!(
            kube_apiserver_client::check(&r, &u(usages)),
            want.map_err(String::from),
            "{case}"
        );
    }
}

#[test]
fn legacy_unknown_accepts_anything_and_other_signers_have_no_policy() {
    let mut r = req("", &[]);
    r.uris.push("x:y".into());
    assert_eq!(legacy_unknown::check(&r, &u(&["cert sign", "any"])), Ok(()));
    assert!(policy_for("kubernetes.io/foo").is_none());
    assert!(policy_for("example.com/signer").is_none());
    assert!(policy_for("kubernetes.io/kube-apiserver-client").is_some());
}

fn openssl(args: &[&str], dir: &std::path::Path) -> Vec<u8> {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::read(dir.join("r.csr")).unwrap()
}

#[test]
fn csr_parsing_and_signature_policy() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    // Key kinds and sizes.
    for (args, want) in [
        (vec!["-newkey", "rsa:3072"], KeyKind::Rsa { bits: 3072 }),
        (
            vec!["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-384"],
            KeyKind::EcdsaP384,
        ),
        (vec!["-newkey", "ed25519"], KeyKind::Ed25519),
    ] {
        let mut a = vec![
            "req", "-new", "-nodes", "-keyout", "k.pem", "-subj", "/CN=x", "-out", "r.csr",
        ];
        a.extend(args);
        let pem = openssl(&a, p);
        let r = csr::parse_pem(&pem).unwrap();
        assert_eq!(r.key, want);
        csr::check_signature(&r).unwrap();
    }
    // Every curve Go knows, with every digest Go pairs with ECDSA: verified (ring or
    // pki::ecdsa_nist), and a flipped bit in the signature is Go's verification failure.
    // an EC key's CSR on `curve`, signed with digest option `md`
    let ec_csr = |curve: &str, md: &str| {
        let curve = format!("ec_paramgen_curve:{curve}");
        openssl(
            &[
                "req", "-new", "-nodes", "-newkey", "ec", "-pkeyopt", &curve, md, "-keyout",
                "k.pem", "-subj", "/CN=x", "-out", "r.csr",
            ],
            p,
        )
    };
    for (curve, kind) in [
        ("P-224", KeyKind::EcdsaP224),
        ("P-256", KeyKind::EcdsaP256),
        ("P-384", KeyKind::EcdsaP384),
        ("P-521", KeyKind::EcdsaP521),
    ] {
        for md in ["-sha1", "-sha256", "-sha384", "-sha512"] {
            let pem = ec_csr(curve, md);
            let mut r = csr::parse_pem(&pem).unwrap();
            assert_eq!(r.key, kind);
            assert_eq!(
                csrsim::validation::csr::parse_request(&pem).map(|_| ()),
                Ok(()),
                "{curve} {md}"
            );
            csr::check_signature(&r).unwrap();
            // the last byte of s
            let n = r.der.len();
            r.der[n - 1] ^= 1;
            assert_eq!(
                csr::check_signature(&r).unwrap_err(),
                "x509: ECDSA verification failure",
                "{curve} {md}"
            );
            // a public key off the curve fails Go's parse (elliptic.Unmarshal) first; the
            // point (04 ‖ X ‖ Y) is the SPKI's tail
            let spki = r.spki_der.clone();
            let spki_end = r
                .der
                .windows(spki.len())
                .position(|w| w == &spki[..])
                .unwrap()
                + spki.len();
            let size = match curve {
                "P-224" => 28,
                "P-256" => 32,
                "P-384" => 48,
                _ => 66,
            };
            let x_at = spki_end - 2 * size;
            r.der[x_at + 3] ^= 0x40;
            assert_eq!(
                csr::check_signature(&r).unwrap_err(),
                "x509: failed to unmarshal elliptic curve point",
                "{curve} {md}"
            );
        }
    }
    // secp256k1 is not one of Go's curves: the parse fails with Go's text.
    assert_eq!(
        csrsim::validation::csr::parse_request(&ec_csr("secp256k1", "-sha256")).unwrap_err(),
        "x509: unsupported elliptic curve"
    );
    // Go's CheckSignature accepts these (SHA-1 allowed for CSRs; RSA from 1024 bits in Go
    // 1.24); below 1024 bits it is crypto/rsa's error. Ok("") means accepted.
    for (args, want) in [
        (
            vec!["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-sha1"],
            Ok(""),
        ),
        (vec!["-newkey", "rsa:1024"], Ok("")),
        (vec!["-newkey", "rsa:1536", "-sha1"], Ok("")),
        (vec!["-newkey", "rsa:2040", "-sha512"], Ok("")),
        (
            vec!["-newkey", "rsa:512"],
            Err("crypto/rsa: 512-bit keys are insecure (see https://go.dev/pkg/crypto/rsa#hdr-Minimum_key_size)"),
        ),
        (
            vec!["-newkey", "rsa:1000"],
            Err("crypto/rsa: 1000-bit keys are insecure (see https://go.dev/pkg/crypto/rsa#hdr-Minimum_key_size)"),
        ),
        // RSASSA-PSS: Go knows the three parameter sets with the hash's length as salt;
        // openssl's default (the largest salt) is an unknown algorithm to Go.
        (
            vec!["-newkey", "rsa:2048", "-sigopt", "rsa_padding_mode:pss", "-sigopt", "rsa_pss_saltlen:digest", "-sha256"],
            Ok(""),
        ),
        (
            vec!["-newkey", "rsa:2048", "-sigopt", "rsa_padding_mode:pss", "-sigopt", "rsa_pss_saltlen:digest", "-sha512"],
            Ok(""),
        ),
        (
            vec!["-newkey", "rsa:2048", "-sigopt", "rsa_padding_mode:pss", "-sha256"],
            Err("x509: cannot verify signature: algorithm unimplemented"),
        ),
        // ring has no legacy algorithm for these: pki::rsa_small
        (vec!["-newkey", "rsa:1024", "-sha384"], Ok("")),
        (
            vec!["-newkey", "rsa:1024", "-sigopt", "rsa_padding_mode:pss", "-sigopt", "rsa_pss_saltlen:digest", "-sha256"],
            Ok(""),
        ),
        (
            vec!["-newkey", "rsa:1536", "-sigopt", "rsa_padding_mode:pss", "-sigopt", "rsa_pss_saltlen:digest", "-sha384"],
            Ok(""),
        ),
        (
            vec!["-newkey", "rsa:2047", "-sigopt", "rsa_padding_mode:pss", "-sigopt", "rsa_pss_saltlen:digest", "-sha512"],
            Ok(""),
        ),
        // algorithms Go's x509 refuses: MD5 by name, SHA-224 as unknown
        (
            vec!["-newkey", "rsa:2048", "-md5"],
            Err("x509: cannot verify signature: insecure algorithm MD5-RSA"),
        ),
        (
            vec!["-newkey", "rsa:1024", "-sha224"],
            Err("x509: cannot verify signature: algorithm unimplemented"),
        ),
        (
            vec!["-newkey", "rsa:2048", "-sha224"],
            Err("x509: cannot verify signature: algorithm unimplemented"),
        ),
        // 1025 bits: the encoded message is one byte shorter than the modulus
        (
            vec!["-newkey", "rsa:1025", "-sigopt", "rsa_padding_mode:pss", "-sigopt", "rsa_pss_saltlen:digest", "-sha256"],
            Ok(""),
        ),
        (
            vec!["-newkey", "rsa:1024", "-sigopt", "rsa_padding_mode:pss", "-sha256"],
            Err("x509: cannot verify signature: algorithm unimplemented"),
        ),
    ] {
        let mut a = vec![
            "req", "-new", "-nodes", "-keyout", "k.pem", "-subj", "/CN=x", "-out", "r.csr",
        ];
        a.extend(args.iter().copied());
        let pem = openssl(&a, p);
        let got = csrsim::validation::csr::parse_request(&pem).map(|_| "");
        assert_eq!(got, want.map_err(String::from), "{args:?}");
        if want.is_ok() {
            // a flipped bit in the signature: Go's verification error text
            let mut r = csr::parse_pem(&pem).unwrap();
            let n = r.der.len();
            r.der[n - 3] ^= 1;
            let rsa = args.iter().any(|a| a.starts_with("rsa:"));
            let text = if rsa {
                "crypto/rsa: verification error"
            } else {
                "x509: ECDSA verification failure"
            };
            assert_eq!(csr::check_signature(&r).unwrap_err(), text, "{args:?}");
        }
    }
    // SHA-1 RSA signature: Go's CertificateRequest.CheckSignature allows SHA-1 → accepted.
    let pem = openssl(
        &[
            "req", "-new", "-nodes", "-newkey", "rsa:2048", "-sha1", "-keyout", "k.pem", "-subj",
            "/CN=x", "-out", "r.csr",
        ],
        p,
    );
    let r = csr::parse_pem(&pem).unwrap();
    assert_eq!(r.signature_algorithm, "1.2.840.113549.1.1.5");
    csr::check_signature(&r).unwrap();
    // Tampered signature: Go's verification error text.
    let pem = openssl(
        &[
            "req",
            "-new",
            "-nodes",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-keyout",
            "k.pem",
            "-subj",
            "/CN=x/O=a/O=b",
            "-addext",
            "subjectAltName=DNS:d,otherName:1.2.3.4;UTF8:x",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-out",
            "r.csr",
        ],
        p,
    );
    let mut r = csr::parse_pem(&pem).unwrap();
    assert_eq!(r.subject.organization, ["a", "b"]);
    assert_eq!(r.subject_text(), "CN=x, O=a, O=b");
    assert_eq!(r.dns_names, ["d"]);
    assert_eq!(r.other_sans, ["otherName 1.2.3.4"]);
    assert!(r
        .extensions
        .iter()
        .any(|e| e.critical && e.description == "basicConstraints CA:TRUE"));
    let n = r.der.len();
    r.der[n - 3] ^= 1;
    assert_eq!(
        csr::check_signature(&r).unwrap_err(),
        "x509: ECDSA verification failure"
    );
    // Not a CSR PEM.
    assert_eq!(
        csr::parse_pem(b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
            .unwrap_err(),
        "PEM block type must be CERTIFICATE REQUEST"
    );
    assert_eq!(
        csr::parse_pem(b"garbage").unwrap_err(),
        "PEM block type must be CERTIFICATE REQUEST"
    );
    assert_eq!(
        csr::parse_pem(
            b"-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n"
        )
        .unwrap_err(),
        // Go's asn1.Unmarshal: the bytes 00 00 00 are an element of tag 0, not a SEQUENCE.
        "asn1: structure error: tags don't match (16 vs {class:0 tag:0 length:0 isCompound:false}) {optional:false explicit:false application:false private:false defaultValue:<nil> tag:<nil> stringType:0 timeType:0 set:false omitEmpty:false} certificateRequest @2"
    );
}
