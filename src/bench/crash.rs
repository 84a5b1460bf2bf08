//! Crash safety: `csrsim serve` on its data dir (the log store), several writers, SIGKILL at a
//! random moment, restart,
//! then check that every acknowledged write is there with its resourceVersion, that
//! resourceVersions never go backwards, and that a watch from the last seen resourceVersion
//! either resumes or gets 410 Expired.

use super::client::{addr_of, runtime, Conn, Tls};
use super::serve::{request_pem, Server};
use super::{report, BenchArgs, WorkDir};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Kill after a random delay in this range (ms) of writing.
pub const KILL_AFTER_MS: (u64, u64) = (150, 1500);
/// Bound on writes per client per cycle.
pub const MAX_WRITES_PER_CLIENT: u64 = 100_000;
const CSR_PATH: &str = "/apis/certificates.k8s.io/v1/certificatesigningrequests";

/// xorshift64*: the kill moments only need to differ between runs; the seed is printed.
struct Rand(u64);
impl Rand {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo).max(1)
    }
}

/// `"resourceVersion":"N"` of the first object in a chunk, without a full parse.
fn rv_in(chunk: &[u8]) -> Option<u64> {
    let pat = b"\"resourceVersion\":\"";
    let pos = chunk.windows(pat.len()).position(|w| w == pat)?;
    let rest = &chunk[pos + pat.len()..];
    let end = rest.iter().position(|b| *b == b'"')?;
    std::str::from_utf8(&rest[..end]).ok()?.parse().ok()
}

#[derive(Default)]
struct Totals {
    acked: usize,
    resumed: usize,
    expired: usize,
}

pub fn run(args: &BenchArgs, work: &WorkDir, rows: &mut Vec<String>) -> Result<(), String> {
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(1)
        | 1;
    eprintln!("crash: seed {seed}");
    let mut rng = Rand(seed);
    let dir = work.sub("crash");
    let bin = args.server_bin();
    let pem = request_pem("crash-user")?;
    let b64 = {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode(&pem)
    };
    // every acknowledged write: name → resourceVersion
    let mut acked: BTreeMap<String, u64> = BTreeMap::new();
    let mut max_rv = 0u64;
    let mut last_watch_rv: Option<u64> = None;
    let mut t = Totals::default();
    let rt = runtime()?;
    for cycle in 0..=args.cycles {
        let srv = Server::start(&bin, &dir, "127.0.0.1:0", &["--clock", "virtual"])?;
        let tls = Tls::from_data_dir(&dir)?;
        let addr = addr_of(&srv.url);
        // 1. everything acknowledged before the kill is there, unchanged
        let list_rv = rt.block_on(async {
            let mut c = Conn::connect(&addr, Some(&tls))
                .await
                .map_err(|e| e.to_string())?;
            let r = c
                .request("GET", CSR_PATH, "application/json", b"")
                .await
                .map_err(|e| e.to_string())?;
            if r.status != 200 {
                return Err(format!("list: {}", r.status));
            }
            let v: Value = serde_json::from_slice(&r.body).map_err(|e| e.to_string())?;
            let mut have = BTreeMap::new();
            for it in v["items"].as_array().cloned().unwrap_or_default() {
                let n = it["metadata"]["name"].as_str().unwrap_or("").to_string();
                let rv: u64 = it["metadata"]["resourceVersion"]
                    .as_str()
                    .and_then(|s| s.parse().ok())
                    .unwrap_or(0);
                have.insert(n, rv);
            }
            for (n, rv) in &acked {
                match have.get(n) {
                    None => return Err(format!("cycle {cycle}: acknowledged {n} (rv {rv}) lost")),
                    Some(h) if h != rv => {
                        return Err(format!("cycle {cycle}: {n} rv {h}, acknowledged with {rv}"))
                    }
                    _ => {}
                }
            }
            let list_rv: u64 = v["metadata"]["resourceVersion"]
                .as_str()
                .and_then(|s| s.parse().ok())
                .unwrap_or(0);
            Ok(list_rv)
        })?;
        if list_rv < max_rv {
            return Err(format!(
                "cycle {cycle}: resourceVersion went backwards: list at {list_rv}, acknowledged {max_rv}"
            ));
        }
        // 2. a watch from the last resourceVersion seen resumes or gets 410
        if let Some(from) = last_watch_rv {
            let outcome = rt.block_on(watch_resume(&addr, &tls, from, cycle, &b64))?;
            match outcome {
                Resume::Resumed(rv) => {
                    t.resumed += 1;
                    max_rv = max_rv.max(rv);
                }
                Resume::Expired => t.expired += 1,
            }
        }
        if cycle == args.cycles {
            let mut srv = srv;
            srv.stop();
            break;
        }
        // 3. writers and a watcher until SIGKILL
        let kill_after = Duration::from_millis(rng.range(KILL_AFTER_MS.0, KILL_AFTER_MS.1));
        let acks = Arc::new(Mutex::new(Vec::<(String, u64)>::new()));
        let watch_rv = Arc::new(AtomicU64::new(0));
        let pid = srv.child.id();
        let errors = rt.block_on(async {
            let mut tasks = Vec::new();
            for k in 0..args.clients {
                let (acks, tls, addr, b64) = (acks.clone(), tls.clone(), addr.clone(), b64.clone());
                tasks.push(tokio::spawn(async move {
                    let Ok(mut c) = Conn::connect(&addr, Some(&tls)).await else {
                        return Ok(());
                    };
                    let mut prev = 0u64;
                    for i in 0..MAX_WRITES_PER_CLIENT {
                        let name = format!("c{k}-{cycle:03}-{i:06}");
                        let body = json!({
                            "apiVersion": "certificates.k8s.io/v1", "kind": "CertificateSigningRequest",
                            "metadata": {"name": name},
                            "spec": {"request": b64, "signerName": "kubernetes.io/kube-apiserver-client",
                                     "usages": ["client auth"]}
                        });
                        let body = serde_json::to_vec(&body).expect("json");
                        let Ok(r) = c.request("POST", CSR_PATH, "application/json", &body).await else {
                            return Ok(()); // killed: this write was never acknowledged
                        };
                        if r.status != 201 {
                            return Err(format!("{name}: {} {}", r.status, String::from_utf8_lossy(&r.body)));
                        }
                        let rv = rv_in(&r.body).ok_or("no resourceVersion in 201")?;
                        if rv <= prev {
                            return Err(format!("{name}: rv {rv} after {prev}"));
                        }
                        prev = rv;
                        acks.lock().expect("acks").push((name, rv));
                    }
                    Ok::<(), String>(())
                }));
            }
            {
                let (tls, addr, wrv) = (tls.clone(), addr.clone(), watch_rv.clone());
                let from = list_rv;
                tasks.push(tokio::spawn(async move {
                    let Ok(mut c) = Conn::connect(&addr, Some(&tls)).await else {
                        return Ok(());
                    };
                    let path = format!("{CSR_PATH}?watch=1&resourceVersion={from}&timeoutSeconds=60");
                    match c.start_stream(&path).await {
                        Ok(200) => {}
                        Ok(s) => return Err(format!("watch from {from}: {s}")),
                        Err(_) => return Ok(()),
                    }
                    wrv.store(from, Ordering::Relaxed);
                    while let Ok(Some(ch)) = c.chunk().await {
                        if let Some(rv) = rv_in(&ch) {
                            let prev = wrv.load(Ordering::Relaxed);
                            if rv <= prev {
                                return Err(format!("watch: rv {rv} after {prev}"));
                            }
                            wrv.store(rv, Ordering::Relaxed);
                        }
                    }
                    Ok(())
                }));
            }
            tokio::time::sleep(kill_after).await;
            let _ = std::process::Command::new("kill")
                .args(["-KILL", &pid.to_string()])
                .status();
            let mut errors = Vec::new();
            for h in tasks {
                match tokio::time::timeout(Duration::from_secs(30), h).await {
                    Ok(Ok(Err(e))) => errors.push(e),
                    Ok(_) => {}
                    Err(_) => errors.push("a client did not notice the kill".into()),
                }
            }
            errors
        });
        drop(srv);
        if let Some(e) = errors.first() {
            return Err(format!("cycle {cycle}: {e}"));
        }
        let new = std::mem::take(&mut *acks.lock().expect("acks"));
        eprintln!(
            "crash cycle {cycle}: killed after {} ms, {} acknowledged writes",
            kill_after.as_millis(),
            new.len()
        );
        for (n, rv) in new {
            if rv <= list_rv {
                return Err(format!(
                    "cycle {cycle}: {n} got rv {rv} ≤ {list_rv} at restart"
                ));
            }
            max_rv = max_rv.max(rv);
            acked.insert(n, rv);
            t.acked += 1;
        }
        let w = watch_rv.load(Ordering::Relaxed);
        last_watch_rv = (w > 0).then_some(w);
    }
    report(
        rows,
        &format!("crash safety, {} SIGKILL cycles, {} writers", args.cycles, args.clients),
        &format!(
            "{} acknowledged writes, all present with their resourceVersion; rv never backwards; watches: {} resumed, {} got 410",
            t.acked, t.resumed, t.expired
        ),
        "no acknowledged write lost",
        "—",
    );
    Ok(())
}

enum Resume {
    Resumed(u64),
    Expired,
}

/// Watch from `from`, create one probe CSR, and read the first event: either the probe (or
/// anything newer than `from`) or an ERROR 410.
async fn watch_resume(
    addr: &str,
    tls: &Tls,
    from: u64,
    cycle: usize,
    b64: &str,
) -> Result<Resume, String> {
    let mut w = Conn::connect(addr, Some(tls))
        .await
        .map_err(|e| e.to_string())?;
    let st = w
        .start_stream(&format!(
            "{CSR_PATH}?watch=1&resourceVersion={from}&timeoutSeconds=30"
        ))
        .await
        .map_err(|e| e.to_string())?;
    if st == 410 {
        return Ok(Resume::Expired);
    }
    if st != 200 {
        return Err(format!("watch from {from} after restart: HTTP {st}"));
    }
    let mut c = Conn::connect(addr, Some(tls))
        .await
        .map_err(|e| e.to_string())?;
    let body = json!({
        "apiVersion": "certificates.k8s.io/v1", "kind": "CertificateSigningRequest",
        "metadata": {"name": format!("probe-{cycle:03}")},
        "spec": {"request": b64, "signerName": "kubernetes.io/kube-apiserver-client", "usages": ["client auth"]}
    });
    let r = c
        .request(
            "POST",
            CSR_PATH,
            "application/json",
            &serde_json::to_vec(&body).expect("json"),
        )
        .await
        .map_err(|e| e.to_string())?;
    if r.status != 201 {
        return Err(format!("probe create: {}", r.status));
    }
    let ch = tokio::time::timeout(Duration::from_secs(10), w.chunk())
        .await
        .map_err(|_| format!("watch from {from}: no event within 10 s"))?
        .map_err(|e| e.to_string())?
        .ok_or("watch ended without an event")?;
    let v: Value = serde_json::from_slice(&ch).map_err(|e| format!("event: {e}"))?;
    match v["type"].as_str() {
        Some("ERROR") if v["object"]["code"] == 410 => Ok(Resume::Expired),
        Some("ADDED") | Some("MODIFIED") | Some("DELETED") => {
            let rv = rv_in(&ch).unwrap_or(0);
            if rv <= from {
                return Err(format!("watch from {from} resumed with rv {rv}"));
            }
            Ok(Resume::Resumed(rv))
        }
        _ => Err(format!("watch from {from}: unexpected first event {v}")),
    }
}
