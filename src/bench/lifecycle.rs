//! In-process CSR lifecycle (create → approve → issue → read) on one core, against the bare
//! "parse + verify + build + sign" floor of the project's own pki functions in the same run.

use super::serve::request_pem;
use super::{report, BenchArgs};
use crate::api::csr::CsrCondition;
use crate::api::Time;
use crate::auth::Identity;
use crate::sim::{ApiRequest, ApiResponse, Cluster, Config, Verb};
use serde_json::json;

/// CPU time of the calling thread, in seconds: the benchmark is "per second on one core", and
/// CPU time (user + system, page faults included) does not count the time another process held
/// the core, as wall time on a shared 2-core machine would.
fn thread_cpu_seconds() -> f64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes one timespec through a valid pointer.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    assert_eq!(rc, 0, "clock_gettime(CLOCK_THREAD_CPUTIME_ID)");
    ts.tv_sec as f64 + ts.tv_nsec as f64 * 1e-9
}

/// Lifecycle throughput / floor throughput the issue asks for.
pub const TARGET_RATIO: f64 = 0.8;

/// Interleaved floor/lifecycle passes; the best of each is reported.
const PASSES: usize = 3;

/// Floor: decode the PEM, then `issue::sign_csr` (parse the DER, verify the CSR signature,
/// build the TBS certificate, ECDSA-sign it) — what any signer must do per CSR.
fn floor(pems: &[String]) -> Result<f64, String> {
    let iterations = pems.len();
    let mut rngs = crate::sim::rng::Rngs::new(1);
    let now = Time(1_900_000_000);
    let ca = crate::pki::Ca::generate(&mut rngs, "bench-ca", now, Time(now.0 + 10 * 365 * 86400));
    let usages = vec!["digital signature".to_string(), "client auth".to_string()];
    let t = thread_cpu_seconds();
    for pem in pems {
        let (block, _) = crate::pki::gopem::decode(pem.as_bytes()).ok_or("bad pem")?;
        let der = crate::pki::issue::sign_csr(&ca, &block.bytes, &usages, 86400, now, &mut rngs)?;
        std::hint::black_box(der);
    }
    Ok(iterations as f64 / (thread_cpu_seconds() - t))
}

/// One full lifecycle through `Cluster::apply` as the admin; the signer controller issues
/// during the approval's settle. The bench is an in-process client, so it talks to the
/// cluster as the in-process clients do: the create is the JSON a client sends, answered with
/// the new object's identity (as the simulated kubelets ask); the approval is what `kubectl
/// certificate approve` does — read the CSR, add the condition, update `/approval` — with the
/// typed object the get answered (as the approver controller writes); the read is a get.
/// Every step still passes authorization, validation, admission and the store.
#[inline(never)] // a profiler can select the timed steps by this frame
fn one(
    c: &mut Cluster,
    admin: &Identity,
    name: &str,
    body: serde_json::Value,
) -> Result<(), String> {
    c.apply(
        admin,
        ApiRequest::csr(Verb::Create).body(body).identity_only(),
    )
    .map_err(|st| format!("create: {}", st.message))?;
    let get = |c: &mut Cluster| match c
        .apply(admin, ApiRequest::csr(Verb::Get).name(name).typed_answer())
    {
        Ok(ApiResponse::Csr(csr)) => Ok(csr),
        Ok(_) => Err(format!("get {name}: not a typed answer")),
        Err(st) => Err(format!("get {name}: {}", st.message)),
    };
    let mut approve = (*get(c)?).clone();
    approve.status.conditions.push(CsrCondition {
        type_: "Approved".into(),
        status: "True".into(),
        reason: "Bench".into(),
        message: "bench approval".into(),
        ..Default::default()
    });
    c.apply(
        admin,
        ApiRequest::csr(Verb::Update)
            .name(name)
            .subresource("approval")
            .csr_body(approve)
            .discard_object(),
    )
    .map_err(|st| format!("approve: {}", st.message))?;
    let got = get(c)?;
    if got.status.certificate.is_empty() {
        return Err(format!(
            "{name}: no certificate after approval: {:?}",
            got.status
        ));
    }
    Ok(())
}

fn lifecycle(pems: &[String]) -> Result<f64, String> {
    use base64::Engine;
    let iterations = pems.len();
    // The requests as a client holds them before sending (the floor, likewise, starts from
    // the PEMs): building them is the client's work, not the control plane's.
    let requests: Vec<(String, serde_json::Value)> = pems
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let name = format!("life-{i:07}");
            let body = json!({
                "apiVersion": "certificates.k8s.io/v1", "kind": "CertificateSigningRequest",
                "metadata": {"name": name},
                "spec": {"request": base64::engine::general_purpose::STANDARD.encode(p),
                         "signerName": "kubernetes.io/kube-apiserver-client",
                         "expirationSeconds": 86400, "usages": ["digital signature", "client auth"]}
            });
            (name, body)
        })
        .collect();
    let mut c = Cluster::new(Config {
        approver: false,
        signer: true,
        cleaner: false,
        ..Config::default()
    })?;
    let admin = Identity::admin();
    let t = thread_cpu_seconds();
    for (name, body) in requests {
        one(&mut c, &admin, &name, body)?;
    }
    Ok(iterations as f64 / (thread_cpu_seconds() - t))
}

/// `n` distinct CSRs (own key each), as a real fleet sends: nothing is verified twice across
/// lifecycles, so the floor and the lifecycle both pay for every verification.
fn fresh(n: usize) -> Result<Vec<String>, String> {
    (0..n)
        .map(|i| request_pem(&format!("bench-user-{i}")))
        .collect()
}

pub fn run(args: &BenchArgs, rows: &mut Vec<String>) -> Result<(), String> {
    let n = args.iterations.max(10);
    // warm-up, then interleave so both see the same machine load; fresh CSRs for every pass
    floor(&fresh(n / 10)?)?;
    lifecycle(&fresh(n / 10)?)?;
    let (mut f, mut l) = (0f64, 0f64);
    for _ in 0..PASSES {
        f = f.max(floor(&fresh(n)?)?);
        l = l.max(lifecycle(&fresh(n)?)?);
    }
    let ratio = l / f;
    report(
        rows,
        "lifecycle (in-process, 1 core)",
        &format!(
            "{l:.0} CSRs/s of CPU time; ratio {ratio:.2} (best of {PASSES} × {n} distinct CSRs)"
        ),
        &format!("ratio ≥ {TARGET_RATIO}"),
        &format!("floor parse+verify+build+sign: {f:.0}/s"),
    );
    Ok(())
}
