//! Starting `csrsim serve` as a child process: cold start to `/readyz` 200, resident memory,
//! and a data dir pre-populated with N CSRs.

use super::client::{addr_of, runtime, Conn, Tls};
use super::{median, report, BenchArgs, WorkDir};
use crate::auth::Identity;
use crate::sim::{ApiRequest, Cluster, Config, Verb};
use serde_json::json;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long a server may take to print its URL or answer `/readyz`.
pub const START_TIMEOUT: Duration = Duration::from_secs(120);
/// Cold-start samples per data dir.
pub const COLD_START_RUNS: usize = 5;

/// A running `csrsim serve` child, killed on drop.
pub struct Server {
    pub child: Child,
    pub url: String,
    pub dir: PathBuf,
    /// Spawn → `/readyz` 200.
    pub ready_after: Duration,
}

impl Server {
    /// Spawn `csrsim serve --data-dir dir --listen 127.0.0.1:<port>` and wait for `/readyz`.
    pub fn start(bin: &Path, dir: &Path, listen: &str, extra: &[&str]) -> Result<Server, String> {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let log = std::fs::File::create(dir.join("server.log")).map_err(|e| e.to_string())?;
        let t0 = Instant::now();
        let mut child = Command::new(bin)
            .args(["serve", "--data-dir"])
            .arg(dir)
            .args(["--listen", listen])
            .args(extra)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .map_err(|e| format!("spawn {}: {e}", bin.display()))?;
        let out = child.stdout.take().ok_or("no stdout")?;
        let mut lines = BufReader::new(out).lines();
        let mut url = String::new();
        for line in lines.by_ref() {
            let line = line.map_err(|e| e.to_string())?;
            if let Some(u) = line.strip_prefix("Serving on ") {
                url = u.trim().to_string();
                break;
            }
        }
        std::thread::spawn(move || for _ in lines {});
        let mut s = Server {
            child,
            url,
            dir: dir.to_path_buf(),
            ready_after: Duration::ZERO,
        };
        if s.url.is_empty() {
            return Err(format!(
                "server printed no URL; log: {}",
                std::fs::read_to_string(dir.join("server.log")).unwrap_or_default()
            ));
        }
        let tls = Tls::from_data_dir(dir)?;
        let addr = addr_of(&s.url);
        let rt = runtime()?;
        rt.block_on(async {
            loop {
                if let Ok(mut c) = Conn::connect(&addr, Some(&tls)).await {
                    if let Ok(r) = c.request("GET", "/readyz", "text/plain", b"").await {
                        if r.status == 200 {
                            return Ok(());
                        }
                    }
                }
                if t0.elapsed() > START_TIMEOUT {
                    return Err("no /readyz 200".to_string());
                }
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
        })?;
        s.ready_after = t0.elapsed();
        Ok(s)
    }

    pub fn addr(&self) -> String {
        addr_of(&self.url)
    }

    /// Resident set size in bytes (VmRSS).
    pub fn rss_bytes(&self) -> u64 {
        rss_of(self.child.id())
    }

    /// Wait until the server is idle (CPU time grows by at most [`IDLE_CPU_TICKS`] over
    /// [`IDLE_WINDOW`]; at most [`START_TIMEOUT`]): after `/readyz` the controllers' initial
    /// pass still runs, and resident memory is measured once it is done.
    pub fn wait_idle(&self) -> Duration {
        let t0 = Instant::now();
        let mut last = cpu_ticks_of(self.child.id());
        loop {
            std::thread::sleep(IDLE_WINDOW);
            let now = cpu_ticks_of(self.child.id());
            if now.saturating_sub(last) <= IDLE_CPU_TICKS || t0.elapsed() > START_TIMEOUT {
                return t0.elapsed();
            }
            last = now;
        }
    }

    /// SIGKILL and reap.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// SIGTERM, wait up to 10 s, then SIGKILL.
    pub fn stop(&mut self) {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        for _ in 0..200 {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        self.kill();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Idle: at most this many clock ticks (1/100 s) of CPU time over [`IDLE_WINDOW`].
pub const IDLE_CPU_TICKS: u64 = 2;
pub const IDLE_WINDOW: Duration = Duration::from_millis(500);

/// utime + stime of a process in clock ticks (0 if unreadable).
pub fn cpu_ticks_of(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| {
            // Fields after the parenthesised command name: state is field 3, utime 14, stime 15.
            let rest = &s[s.rfind(')')? + 2..];
            let f: Vec<&str> = rest.split_whitespace().collect();
            Some(f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?)
        })
        .unwrap_or(0)
}

/// VmRSS of a process in bytes (0 if unreadable).
pub fn rss_of(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<u64>().ok())
        })
        .map(|kb| kb * 1024)
        .unwrap_or(0)
}

/// A ~2.9 KB CSR object (kube-apiserver-client signer, P-256 request, a few labels and
/// annotations as real clients send) named `name`.
pub fn csr_body(name: &str, request_pem: &str) -> serde_json::Value {
    use base64::Engine;
    let mut annotations = serde_json::Map::new();
    for i in 0..12 {
        annotations.insert(format!("bench.csrsim.io/note-{i}"), json!("x".repeat(150)));
    }
    json!({
        "apiVersion": "certificates.k8s.io/v1",
        "kind": "CertificateSigningRequest",
        "metadata": {
            "name": name,
            "labels": {"app": "bench", "tier": "client"},
            "annotations": annotations,
        },
        "spec": {
            "request": base64::engine::general_purpose::STANDARD.encode(request_pem),
            "signerName": "kubernetes.io/kube-apiserver-client",
            "expirationSeconds": 86400,
            "usages": ["digital signature", "client auth"],
        }
    })
}

/// A P-256 CSR PEM for CN=`cn`, O=bench.
pub fn request_pem(cn: &str) -> Result<String, String> {
    let key =
        rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).map_err(|e| e.to_string())?;
    let mut params =
        rcgen::CertificateParams::new(Vec::<String>::new()).map_err(|e| e.to_string())?;
    params.distinguished_name = rcgen::DistinguishedName::new();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, cn);
    params
        .distinguished_name
        .push(rcgen::DnType::OrganizationName, "bench");
    let csr = params.serialize_request(&key).map_err(|e| e.to_string())?;
    csr.pem().map_err(|e| e.to_string())
}

/// A kubelet-style client CSR object (no extra metadata), ~1.2 KB stored.
pub fn plain_csr_body(name: &str, request_pem: &str) -> serde_json::Value {
    use base64::Engine;
    json!({
        "apiVersion": "certificates.k8s.io/v1",
        "kind": "CertificateSigningRequest",
        "metadata": {"name": name},
        "spec": {
            "request": base64::engine::general_purpose::STANDARD.encode(request_pem),
            "signerName": "kubernetes.io/kube-apiserver-client",
            "usages": ["digital signature", "client auth"],
        }
    })
}

/// Fill `dir` with `n` CSRs: created through an in-memory cluster (full validation), then
/// written to the store in batches (one flush per batch) as the server stores them.
/// `padded`: the ~2.9 KB object of https-create instead of the ~1.2 KB plain one.
pub fn populate(dir: &Path, n: usize, padded: bool) -> Result<usize, String> {
    let pem = request_pem("bench-user")?;
    let mut cluster = Cluster::new(Config {
        approver: false,
        signer: false,
        cleaner: false,
        ..Config::default()
    })?;
    let admin = Identity::admin();
    for i in 0..n {
        cluster
            .apply(
                &admin,
                ApiRequest::csr(Verb::Create).body(if padded {
                    csr_body(&format!("csr-{i:06}"), &pem)
                } else {
                    plain_csr_body(&format!("csr-{i:06}"), &pem)
                }),
            )
            .map_err(|st| st.message)?;
    }
    std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    let mut backend = crate::store::open_persistent(dir)?;
    backend.load()?;
    let meta = crate::store::Meta {
        rv: cluster.resource_version(),
        clock_ms: cluster.now_ms(),
    };
    let csrs = cluster.list_objects("certificates.k8s.io", "certificatesigningrequests");
    let mut bytes_total = 0usize;
    for batch in csrs.chunks(10_000) {
        let writes: Vec<(String, Option<crate::store::Bytes>)> = batch
            .iter()
            .map(|v| {
                let name = v["metadata"]["name"].as_str().unwrap_or("").to_string();
                let key = crate::store::key(
                    "certificates.k8s.io",
                    "certificatesigningrequests",
                    "",
                    &name,
                );
                let bytes = serde_json::to_vec(v).expect("json");
                bytes_total += bytes.len();
                (key, Some(std::sync::Arc::new(bytes)))
            })
            .collect();
        backend.commit(&writes, meta)?;
    }
    Ok(bytes_total / n.max(1))
}

/// Cold start (fresh and populated) and memory per `args.csrs` CSRs.
pub fn cold_start_and_memory(
    args: &BenchArgs,
    work: &WorkDir,
    rows: &mut Vec<String>,
) -> Result<(), String> {
    let bin = args.server_bin();
    let mut fresh = Vec::new();
    let mut fresh_rss = Vec::new();
    for i in 0..COLD_START_RUNS {
        let dir = work.sub(&format!("cold-fresh-{i}"));
        let mut s = Server::start(&bin, &dir, "127.0.0.1:0", &[])?;
        fresh.push(s.ready_after.as_secs_f64() * 1000.0);
        s.wait_idle();
        fresh_rss.push(s.rss_bytes() as f64);
        s.stop();
    }
    let t = Instant::now();
    let full = work.sub("cold-full");
    let avg = populate(&full, args.csrs, false)?;
    eprintln!(
        "populated {} CSRs ({avg} bytes each) in {:.1} s",
        args.csrs,
        t.elapsed().as_secs_f64()
    );
    // The store's files: the log (`wal/`), or sled's (`store/`) for an older data dir.
    let size =
        dir_size(&full.join(crate::store::log_backend::LOG_DIR)) + dir_size(&full.join("store"));
    let mut loaded = Vec::new();
    let mut idle = Vec::new();
    let mut full_rss = Vec::new();
    for _ in 0..COLD_START_RUNS {
        let mut s = Server::start(&bin, &full, "127.0.0.1:0", &[])?;
        loaded.push(s.ready_after.as_secs_f64() * 1000.0);
        idle.push(s.wait_idle().as_secs_f64() * 1000.0);
        full_rss.push(s.rss_bytes() as f64);
        s.stop();
    }
    let mib = 1024.0 * 1024.0;
    let (f_rss, l_rss) = (median(&mut fresh_rss), median(&mut full_rss));
    report(
        rows,
        "cold-start, fresh data dir",
        &format!(
            "{:.1} ms (median of {COLD_START_RUNS}; spawn → /readyz 200)",
            median(&mut fresh)
        ),
        "< 50 ms",
        "etcd 3.4 alone: 627 ms (issue 9)",
    );
    report(
        rows,
        &format!("cold-start, {} CSRs", args.csrs),
        &format!(
            "{:.1} ms (median of {COLD_START_RUNS}; {avg}-byte CSRs; store {:.0} MiB on disk; \
             idle (controllers' initial pass done) {:.0} ms after ready, ±{} ms)",
            median(&mut loaded),
            size as f64 / mib,
            median(&mut idle),
            IDLE_WINDOW.as_millis()
        ),
        "< 300 ms",
        "etcd 3.4 alone: 1,916 ms (issue 9)",
    );
    let per100k = (l_rss - f_rss) / mib * 100_000.0 / args.csrs.max(1) as f64;
    report(
        rows,
        "memory, RSS per 100,000 CSRs",
        &format!(
            "{per100k:.0} MiB (RSS {:.0} MiB with {} CSRs − {:.0} MiB fresh)",
            l_rss / mib,
            args.csrs,
            f_rss / mib
        ),
        "≤ 220 MiB",
        "etcd: 653 MiB (issue 9)",
    );
    Ok(())
}

fn dir_size(p: &Path) -> u64 {
    let mut n = 0;
    if let Ok(rd) = std::fs::read_dir(p) {
        for e in rd.flatten() {
            match e.metadata() {
                Ok(m) if m.is_dir() => n += dir_size(&e.path()),
                Ok(m) => n += m.len(),
                Err(_) => {}
            }
        }
    }
    n
}
