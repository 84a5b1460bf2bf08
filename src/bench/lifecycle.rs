//! In-process CSR lifecycle (create → approve → issue → read) on one core, against the bare
//! "parse + verify + build + sign" floor of the project's own pki functions in the same run.

use super::serve::request_pem;
use super::{report, BenchArgs};
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
/// during the approval's settle.
fn one(c: &mut Cluster, admin: &Identity, name: &str, request_b64: &str) -> Result<(), String> {
    let body = json!({
        "apiVersion": "certificates.k8s.io/v1", "kind": "CertificateSigningRequest",
        "metadata": {"name": name},
        "spec": {"request": request_b64, "signerName": "kubernetes.io/kube-apiserver-client",
                 "expirationSeconds": 86400, "usages": ["digital signature", "client auth"]}
    });
    let created = match c.apply(admin, ApiRequest::csr(Verb::Create).body(body)) {
        Ok(ApiResponse::Created(v)) => v,
        Ok(_) => return Err("create: unexpected response".into()),
        Err(st) => return Err(format!("create: {}", st.message)),
    };
    let mut approve = created;
    approve["status"] = json!({"conditions": [{
        "type": "Approved", "status": "True", "reason": "Bench", "message": "bench approval"}]});
    c.apply(
        admin,
        ApiRequest::csr(Verb::Update)
            .name(name)
            .subresource("approval")
            .body(approve),
    )
    .map_err(|st| format!("approve: {}", st.message))?;
    let got = c
        .apply(admin, ApiRequest::csr(Verb::Get).name(name))
        .map_err(|st| format!("get: {}", st.message))?
        .into_value();
    if got["status"]["certificate"]
        .as_str()
        .unwrap_or("")
        .is_empty()
    {
        return Err(format!(
            "{name}: no certificate after approval: {}",
            got["status"]
        ));
    }
    Ok(())
}

fn lifecycle(pems: &[String]) -> Result<f64, String> {
    use base64::Engine;
    let iterations = pems.len();
    let b64: Vec<String> = pems
        .iter()
        .map(|p| base64::engine::general_purpose::STANDARD.encode(p))
        .collect();
    let mut c = Cluster::new(Config {
        approver: false,
        signer: true,
        cleaner: false,
        ..Config::default()
    })?;
    let admin = Identity::admin();
    let t = thread_cpu_seconds();
    for (i, b) in b64.iter().enumerate() {
        one(&mut c, &admin, &format!("life-{i:07}"), b)?;
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
