//! `csrsim check`: explain, rule by rule, what a cluster would do with one CSR file.
//!
//! The CSR goes through a fresh simulated cluster (kubeadm-like: default RBAC plus kubeadm's
//! bootstrap/rotation bindings, auto-approver and signer on) exactly as `kubectl create` would
//! send it, as the given user. The report walks the stages in upstream order:
//! 1. the request itself (key, subject, SANs, requested extensions, self-signature);
//! 2. API validation and admission (the create's answer, with the upstream message);
//! 3. the auto-approver (approves only kubelet client CSRs whose requester may);
//! 4. the signer's rules, each marked passed / REFUSED / not reached, using the real policy;
//! 5. the certificate that would be issued (after an administrator approves, if the
//!    auto-approver does not), with validity relative to now.
//!
//! Exit status: 0 issued, 1 refused or stuck, 2 unreadable input.

use crate::api::csr::{KUBELET_SERVING, KUBE_APISERVER_CLIENT, KUBE_APISERVER_CLIENT_KUBELET};
use crate::api::CertificateSigningRequest;
use crate::auth::Identity;
use crate::controller::approver;
use crate::pki::{csr, issue};
use crate::signer::{self, policy_for};
use crate::sim::{ApiRequest, Cluster, Config, Verb};
use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Duration;

/// Subject attribute types Go's `pkix.Name` keeps when the signer re-encodes the subject:
/// C, O, OU, L, ST, street, postalCode, serialNumber, CN (`FillFromRDNSequence`).
const GO_NAME_OIDS: &[&str] = &[
    "2.5.4.6", "2.5.4.10", "2.5.4.11", "2.5.4.7", "2.5.4.8", "2.5.4.9", "2.5.4.17", "2.5.4.5",
    "2.5.4.3",
];

/// Name of the CSR object created in the simulated cluster.
const OBJECT_NAME: &str = "csrsim-check";

/// Arguments of `csrsim check`.
#[derive(clap::Args, Debug, Clone)]
#[command(
    after_help = "Exit status: 0 the certificate would be issued; 1 refused (at create or by the signer) or stuck; 2 the file cannot be read or holds no CSR PEM block."
)]
pub struct CheckArgs {
    /// Signer name (`kubernetes.io/kube-apiserver-client`, ...).
    #[arg(long)]
    pub signer: String,
    /// Requested usage (repeat). Default: digital signature, key encipherment and server auth
    /// for kubernetes.io/kubelet-serving; digital signature, key encipherment and client auth
    /// for any other signer.
    #[arg(long = "usage")]
    pub usages: Vec<String>,
    /// `spec.expirationSeconds`.
    #[arg(long)]
    pub expiration_seconds: Option<i32>,
    /// Requesting user (default: kubernetes-admin in system:masters).
    #[arg(long)]
    pub user: Option<String>,
    /// Group of the requesting user (repeat; needs --user). system:authenticated is added.
    #[arg(long = "group", requires = "user")]
    pub groups: Vec<String>,
    /// `--cluster-signing-duration` of the simulated controller manager.
    #[arg(long, value_parser = humantime::parse_duration, default_value = "8760h")]
    pub cluster_signing_duration: Duration,
    /// PEM file made by `openssl req` (or any PKCS#10 PEM).
    pub file: PathBuf,
}

/// The usual usages for a signer when none are given.
pub fn default_usages(signer_name: &str) -> Vec<String> {
    let v: &[&str] = match signer_name {
        KUBELET_SERVING => &["digital signature", "key encipherment", "server auth"],
        _ => &["digital signature", "key encipherment", "client auth"],
    };
    v.iter().map(|s| s.to_string()).collect()
}

/// The signer's rules in upstream order with the message each one fails with.
pub fn signer_rules(signer_name: &str) -> Vec<(&'static str, &'static str)> {
    use signer::*;
    match signer_name {
        KUBE_APISERVER_CLIENT => vec![
            (
                "every usage is digital signature, key encipherment or client auth",
                "invalid usage for client certificate",
            ),
            (
                "usages include client auth",
                "missing required usage for client certificate",
            ),
        ],
        KUBE_APISERVER_CLIENT_KUBELET => vec![
            (
                "subject O is exactly [system:nodes]",
                ORGANIZATION_NOT_SYSTEM_NODES,
            ),
            ("no DNS SAN", DNS_SAN_NOT_ALLOWED),
            ("no email SAN", EMAIL_SAN_NOT_ALLOWED),
            ("no IP SAN", IP_SAN_NOT_ALLOWED),
            ("no URI SAN", URI_SAN_NOT_ALLOWED),
            (
                "subject CN starts with system:node:",
                COMMON_NAME_NOT_SYSTEM_NODE,
            ),
            (
                "usages are {digital signature, [key encipherment,] client auth}",
                "usages did not match",
            ),
        ],
        KUBELET_SERVING => vec![
            (
                "subject O is exactly [system:nodes]",
                ORGANIZATION_NOT_SYSTEM_NODES,
            ),
            ("at least one DNS or IP SAN", DNS_OR_IP_SAN_REQUIRED),
            ("no email SAN", EMAIL_SAN_NOT_ALLOWED),
            ("no URI SAN", URI_SAN_NOT_ALLOWED),
            (
                "usages are {digital signature, [key encipherment,] server auth}",
                "usages did not match",
            ),
            (
                "subject CN starts with system:node:",
                COMMON_NAME_NOT_SYSTEM_NODE,
            ),
        ],
        _ => vec![],
    }
}

/// Run the check, print the report, return the exit status.
pub fn run_check(args: CheckArgs) -> i32 {
    let mut out = String::new();
    let code = explain(&args, &mut out);
    // Unreadable input is an error message, not a report.
    if code == 2 {
        eprint!("{out}");
    } else {
        print!("{out}");
    }
    code
}

/// What a file that is not a PEM CSR most likely is, and what to do.
fn not_a_csr_hint(bytes: &[u8]) -> &'static str {
    let text = String::from_utf8_lossy(bytes);
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        "the file is empty"
    } else if bytes.first() == Some(&0x30) {
        "this looks like DER; spec.request holds PEM: convert it with `openssl req -inform DER -in FILE -out FILE.pem`"
    } else if text.contains("-----BEGIN CERTIFICATE-----") {
        "this is a certificate, not a request: give the file `openssl req -new … -out` wrote"
    } else if text.contains("PRIVATE KEY-----") {
        "this is a private key: the request is the file `openssl req -new … -out` wrote"
    } else if text.contains("-----BEGIN NEW CERTIFICATE REQUEST-----") {
        "Go reads only the block type CERTIFICATE REQUEST: rename NEW CERTIFICATE REQUEST in both armour lines"
    } else if !text.contains("-----BEGIN ") {
        "no PEM block found: expected -----BEGIN CERTIFICATE REQUEST-----"
    } else {
        "the first PEM block must be a CERTIFICATE REQUEST"
    }
}

/// Go's `time.Duration.String()` for whole seconds (`8759h55m0s`, `-5m0s`).
pub fn go_duration(secs: i64) -> String {
    let sign = if secs < 0 { "-" } else { "" };
    let a = secs.unsigned_abs();
    let (h, m, s) = (a / 3600, a % 3600 / 60, a % 60);
    if h > 0 {
        format!("{sign}{h}h{m}m{s}s")
    } else if m > 0 {
        format!("{sign}{m}m{s}s")
    } else {
        format!("{sign}{s}s")
    }
}

/// The report as text, and the exit status.
pub fn explain(args: &CheckArgs, out: &mut String) -> i32 {
    let pem = match std::fs::read(&args.file) {
        Ok(b) => b,
        Err(e) => {
            let _ = writeln!(out, "error: cannot read {}: {e}", args.file.display());
            return 2;
        }
    };
    let req = match csr::parse_pem(&pem) {
        Ok(r) => r,
        Err(e) => {
            let _ = writeln!(
                out,
                "error: {}: failed to parse CSR: {e}",
                args.file.display()
            );
            if e.contains("PEM block type") {
                let _ = writeln!(out, "  hint: {}", not_a_csr_hint(&pem));
            }
            return 2;
        }
    };
    let usages = if args.usages.is_empty() {
        default_usages(&args.signer)
    } else {
        args.usages.clone()
    };
    let w = |out: &mut String, s: String| {
        out.push_str(&s);
        out.push('\n');
    };

    // 1. The request.
    w(out, format!("== request {}", args.file.display()));
    w(out, format!("  key:        {}", req.key));
    w(
        out,
        format!(
            "  subject:    {}",
            if req.rdns.is_empty() {
                "(empty)".into()
            } else {
                req.subject_text()
            }
        ),
    );
    w(
        out,
        format!(
            "  CN:         {:?}   O (groups): {:?}",
            req.subject.common_name, req.subject.organization
        ),
    );
    let sans: Vec<String> = req
        .dns_names
        .iter()
        .map(|d| format!("DNS:{d}"))
        .chain(req.email_addresses.iter().map(|e| format!("email:{e}")))
        .chain(req.ip_addresses.iter().map(|i| format!("IP:{i}")))
        .chain(req.uris.iter().map(|u| format!("URI:{u}")))
        .collect();
    w(
        out,
        format!(
            "  SANs:       {}",
            if sans.is_empty() {
                "(none)".into()
            } else {
                sans.join(", ")
            }
        ),
    );
    for a in req.rdns.iter().flatten() {
        if !GO_NAME_OIDS.contains(&a.oid.as_str()) {
            w(out, format!("  note: subject attribute {} is not in Go's pkix.Name and is dropped from the issued certificate's subject", csr::rdns_text(&[vec![a.clone()]])));
        }
    }
    for o in &req.other_sans {
        w(out, format!("  note: SAN {o} is ignored upstream (Go models only DNS, email, IP, URI) and is not copied"));
    }
    for e in &req.extensions {
        let crit = if e.critical { " (critical)" } else { "" };
        let fate = if e.oid == issue::OID_SAN {
            "SANs are copied"
        } else {
            "dropped: the signer honours no requested extension; KU/EKU come from spec.usages, CA:FALSE always"
        };
        w(
            out,
            format!("  requested:  {}{crit} — {fate}", e.description),
        );
    }
    match csr::check_signature(&req) {
        Ok(()) => w(out, "  signature:  valid self-signature".into()),
        Err(e) => w(
            out,
            format!("  signature:  INVALID ({e}) — validation refuses the create (spec.request)"),
        ),
    }

    // 2. Validation and admission, through a simulated cluster.
    let who = match &args.user {
        Some(u) => Identity::user(
            u,
            &args.groups.iter().map(String::as_str).collect::<Vec<_>>(),
        ),
        None => Identity::admin(),
    };
    let mut cx = match Cluster::new(Config {
        kubeadm_bindings: true,
        cleaner: false,
        signing_duration_secs: args.cluster_signing_duration.as_secs() as i64,
        ..Config::default()
    }) {
        Ok(c) => c,
        Err(e) => {
            let _ = writeln!(out, "error: cannot build the simulated cluster: {e}");
            return 2;
        }
    };
    let now = cx.now();
    w(
        out,
        format!(
            "== create as {:?} groups {:?} (virtual now {now})",
            who.user, who.groups
        ),
    );
    use base64::Engine;
    let mut body = serde_json::json!({
        "apiVersion": "certificates.k8s.io/v1",
        "kind": "CertificateSigningRequest",
        "metadata": {"name": OBJECT_NAME},
        "spec": {
            "request": base64::engine::general_purpose::STANDARD.encode(&pem),
            "signerName": args.signer,
            "usages": usages,
        }
    });
    if let Some(s) = args.expiration_seconds {
        body["spec"]["expirationSeconds"] = s.into();
    }
    if let Err(e) = cx.apply(&who, ApiRequest::csr(Verb::Create).body(body)) {
        w(
            out,
            format!("  REFUSED ({} {}): {}", e.code, e.reason, e.message),
        );
        w(
            out,
            "verdict: refused at create (authorization, validation or admission)".into(),
        );
        return 1;
    }
    w(out, "  accepted: RBAC, validation and admission (CertificateSubjectRestriction, NodeRestriction) pass".into());

    // 3. The auto-approver.
    let csr = get(&cx);
    w(out, "== auto-approver (csrapproving)".into());
    if let Some(c) = csr.condition("Approved") {
        w(out, format!("  approved: {} — {}", c.reason, c.message));
    } else {
        let why = approver::decide(approver::ApproverVariant::Stable, &csr, &mut |a| {
            Ok(cx.allows(a))
        });
        match why {
            approver::Outcome::Error { message, .. } => w(out, format!("  not approved: {message}")),
            _ => w(out, "  not approved: it only approves kubernetes.io/kube-apiserver-client-kubelet CSRs with O=[system:nodes], CN=system:node:*, no SANs and kubelet client usages".into()),
        }
        w(
            out,
            "  (continuing as if an administrator ran `kubectl certificate approve`)".into(),
        );
        let mut a = csr.clone();
        a.status
            .conditions
            .push(approver::approval_condition("approved by csrsim check"));
        a.status.conditions.last_mut().expect("pushed").reason = "CheckApproved".into();
        let r = ApiRequest::csr(Verb::Update)
            .name(OBJECT_NAME)
            .subresource("approval")
            .body(serde_json::to_value(&a).expect("csr"));
        if let Err(e) = cx.apply(&Identity::admin(), r) {
            w(out, format!("  approval refused: {}", e.message));
            return 1;
        }
    }

    // 4. The signer.
    w(out, format!("== signer {}", args.signer));
    let csr = get(&cx);
    let Some(policy) = policy_for(&args.signer) else {
        w(out, "  no built-in signer handles this name: approved but no built-in signer will ever issue it".into());
        w(
            out,
            "verdict: stuck (approved, never issued; the cleaner never deletes it either)".into(),
        );
        return 1;
    };
    let verdict = policy(&req, &usages);
    let rules = signer_rules(&args.signer);
    if rules.is_empty() {
        w(
            out,
            "  no restrictions (legacy-unknown signs anything approved)".into(),
        );
    }
    let mut reached = true;
    for (rule, msg) in rules {
        let status = match (&verdict, reached) {
            (_, false) => "not reached",
            (Err(e), true) if e.starts_with(msg) => {
                reached = false;
                "REFUSED"
            }
            _ => "ok",
        };
        w(out, format!("  [{status:^11}] {rule}"));
    }
    if let Some(f) = csr.condition("Failed") {
        w(
            out,
            format!("  condition Failed/{}: {}", f.reason, f.message),
        );
        w(out, "verdict: refused by the signer".into());
        return 1;
    }
    if csr.status.certificate.is_empty() {
        let err = cx
            .trace_lines()
            .iter()
            .rev()
            .find(|l| l.contains("\"requeue\"") && l.contains("csrsigning"))
            .cloned()
            .unwrap_or_default();
        let msg = serde_json::from_str::<serde_json::Value>(&err)
            .ok()
            .and_then(|v| v.get("error").and_then(|e| e.as_str()).map(String::from))
            .unwrap_or_else(|| "not issued".into());
        w(
            out,
            format!("  no certificate, retried with backoff: {msg}"),
        );
        w(out, "verdict: stuck (the signer keeps retrying)".into());
        return 1;
    }

    // 5. The certificate.
    w(out, "== certificate that would be issued".into());
    describe_certificate(&csr.status.certificate, now, out);
    w(out, "verdict: issued".into());
    0
}

fn get(cx: &Cluster) -> CertificateSigningRequest {
    cx.get_csr(OBJECT_NAME).expect("created above")
}

/// Subject, SANs, KU/EKU and validity of an issued PEM certificate.
pub fn describe_certificate(pem: &[u8], now: crate::api::Time, out: &mut String) {
    use x509_parser::prelude::*;
    let ders = crate::pki::pem::certificates(pem);
    let Some(der) = ders.first() else { return };
    let Ok((_, c)) = X509Certificate::from_der(der) else {
        return;
    };
    let rdns: Vec<Vec<csr::Attr>> = c
        .subject()
        .iter_rdn()
        .map(|r| {
            r.iter()
                .map(|a| csr::Attr {
                    oid: a.attr_type().to_id_string(),
                    value: a.as_str().ok().map(String::from),
                })
                .collect()
        })
        .collect();
    let _ = writeln!(out, "  subject:    {}", csr::rdns_text(&rdns));
    let _ = writeln!(out, "  issuer:     {}", c.issuer());
    let _ = writeln!(out, "  serial:     {}", c.raw_serial_as_string());
    let nb = c.validity().not_before.timestamp();
    let na = c.validity().not_after.timestamp();
    let rel = |t: i64| {
        let d = t - now.unix();
        format!("now{}{}", if d < 0 { "" } else { "+" }, go_duration(d))
    };
    let _ = writeln!(out, "  NotBefore:  {} ({})", crate::api::Time(nb), rel(nb));
    let _ = writeln!(
        out,
        "  NotAfter:   {} ({}; lifetime {})",
        crate::api::Time(na),
        rel(na),
        go_duration(na - nb)
    );
    for e in c.extensions() {
        let crit = if e.critical { " (critical)" } else { "" };
        let text = match e.parsed_extension() {
            ParsedExtension::KeyUsage(k) => format!("keyUsage{crit}: {k}"),
            ParsedExtension::ExtendedKeyUsage(k) => {
                let mut v = vec![];
                if k.any {
                    v.push("any")
                }
                if k.server_auth {
                    v.push("server auth")
                }
                if k.client_auth {
                    v.push("client auth")
                }
                if k.code_signing {
                    v.push("code signing")
                }
                if k.email_protection {
                    v.push("email protection")
                }
                if k.time_stamping {
                    v.push("timestamping")
                }
                if k.ocsp_signing {
                    v.push("ocsp signing")
                }
                let others = k.other.iter().map(|o| o.to_id_string()).collect::<Vec<_>>();
                format!(
                    "extKeyUsage: {}{}",
                    v.join(", "),
                    if others.is_empty() {
                        String::new()
                    } else {
                        format!(", {}", others.join(", "))
                    }
                )
            }
            ParsedExtension::BasicConstraints(b) => format!(
                "basicConstraints{crit}: CA:{}",
                if b.ca { "TRUE" } else { "FALSE" }
            ),
            ParsedExtension::AuthorityKeyIdentifier(_) => {
                "authorityKeyIdentifier: the CA's key id".into()
            }
            ParsedExtension::SubjectAlternativeName(s) => format!(
                "subjectAltName{crit}: {}",
                s.general_names
                    .iter()
                    .map(san_text)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            _ => e.oid.to_id_string(),
        };
        let _ = writeln!(out, "  {text}");
    }
    let _ = writeln!(out, "  PEM:\n{}", String::from_utf8_lossy(pem).trim_end());
}

/// A SAN as the request section writes it: `DNS:a`, `IP:10.0.0.1`, `email:a@b`, `URI:u`.
fn san_text(g: &x509_parser::extensions::GeneralName<'_>) -> String {
    use x509_parser::extensions::GeneralName as G;
    match g {
        G::DNSName(d) => format!("DNS:{d}"),
        G::RFC822Name(e) => format!("email:{e}"),
        G::URI(u) => format!("URI:{u}"),
        G::IPAddress(b) => match b.len() {
            4 => format!("IP:{}", std::net::Ipv4Addr::new(b[0], b[1], b[2], b[3])),
            16 => {
                let mut a = [0u8; 16];
                a.copy_from_slice(b);
                format!("IP:{}", std::net::Ipv6Addr::from(a))
            }
            _ => g.to_string(),
        },
        other => other.to_string(),
    }
}
