//! Durable CSR creates over HTTPS (full validation and admission; the log store's `fdatasync`,
//! by group commit, before each 201) at several connection counts, side by side with etcd puts
//! of the same JSON in the same run.

use super::client::{runtime, Conn, Tls};
use super::etcd::{put_body, Etcd};
use super::serve::{cpu_ticks_of, csr_body, request_pem, Server};
use super::{report, BenchArgs, WorkDir};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Target: csrsim ≥ this × etcd at every level.
pub const TARGET_FACTOR: f64 = 2.0;
/// Upper bound on requests per level (the loop is also bounded by `--seconds`).
pub const MAX_REQUESTS_PER_LEVEL: u64 = 1_000_000;

/// Drive `conns` connections for `secs`; each request is built by `req(i)` and must answer
/// `want`. Returns (acknowledged per second, failures).
pub fn drive(
    addr: &str,
    tls: Option<&Tls>,
    conns: usize,
    secs: u64,
    path: &str,
    want: u16,
    req: Arc<dyn Fn(u64) -> Vec<u8> + Send + Sync>,
) -> Result<(f64, u64), String> {
    let rt = runtime()?;
    let next = Arc::new(AtomicU64::new(0));
    let ok = Arc::new(AtomicU64::new(0));
    let bad = Arc::new(AtomicU64::new(0));
    let elapsed = rt.block_on(async {
        let mut cs = Vec::new();
        for _ in 0..conns {
            cs.push(
                Conn::connect(addr, tls)
                    .await
                    .map_err(|e| format!("connect {addr}: {e}"))?,
            );
        }
        let t0 = Instant::now();
        let deadline = t0 + Duration::from_secs(secs);
        let mut tasks = Vec::new();
        for mut c in cs {
            let (next, ok, bad, req) = (next.clone(), ok.clone(), bad.clone(), req.clone());
            let path = path.to_string();
            tasks.push(tokio::spawn(async move {
                while Instant::now() < deadline {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= MAX_REQUESTS_PER_LEVEL {
                        break;
                    }
                    let body = req(i);
                    match c.request("POST", &path, "application/json", &body).await {
                        Ok(r) if r.status == want => {
                            ok.fetch_add(1, Ordering::Relaxed);
                        }
                        Ok(r) => {
                            if bad.fetch_add(1, Ordering::Relaxed) < 3 {
                                eprintln!(
                                    "unexpected {}: {}",
                                    r.status,
                                    String::from_utf8_lossy(&r.body)
                                );
                            }
                        }
                        Err(e) => {
                            eprintln!("request error: {e}");
                            bad.fetch_add(1, Ordering::Relaxed);
                            break;
                        }
                    }
                }
            }));
        }
        for t in tasks {
            let _ = t.await;
        }
        Ok::<_, String>(t0.elapsed())
    })?;
    Ok((
        ok.load(Ordering::Relaxed) as f64 / elapsed.as_secs_f64(),
        bad.load(Ordering::Relaxed),
    ))
}

pub fn run(args: &BenchArgs, work: &WorkDir, rows: &mut Vec<String>) -> Result<(), String> {
    let levels: Vec<usize> = args
        .connections
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    let pem = request_pem("bench-user")?;
    let sample = serde_json::to_vec(&csr_body("csr-0000000-00", &pem)).expect("json");
    eprintln!("https-create: CSR JSON is {} bytes", sample.len());
    for (li, &conns) in levels.iter().enumerate() {
        // csrsim: a fresh sled data dir per level
        let dir = work.sub(&format!("https-{conns}"));
        let srv = Server::start(&args.server_bin(), &dir, "127.0.0.1:0", &[])?;
        let tls = Tls::from_data_dir(&dir)?;
        let pem2 = pem.clone();
        let mk: Arc<dyn Fn(u64) -> Vec<u8> + Send + Sync> = Arc::new(move |i| {
            serde_json::to_vec(&csr_body(&format!("csr-{i:07}-{li:02}"), &pem2)).expect("json")
        });
        let cpu0 = cpu_ticks_of(srv.child.id());
        let t0 = Instant::now();
        let (ours, bad) = drive(
            &srv.addr(),
            Some(&tls),
            conns,
            args.seconds,
            "/apis/certificates.k8s.io/v1/certificatesigningrequests",
            201,
            mk,
        )?;
        // server CPU (clock ticks of 10 ms) per acknowledged create, in µs
        let cpu_us = cpu_ticks_of(srv.child.id()).saturating_sub(cpu0) as f64 * 10_000.0
            / (ours * t0.elapsed().as_secs_f64()).max(1.0);
        drop(srv);
        let peer = if args.no_etcd {
            None
        } else {
            let edir = work.sub(&format!("etcd-{conns}"));
            let etcd = Etcd::start(&args.etcd, &edir)?;
            let pem3 = pem.clone();
            let mk: Arc<dyn Fn(u64) -> Vec<u8> + Send + Sync> = Arc::new(move |i| {
                let name = format!("csr-{i:07}-{li:02}");
                let v = serde_json::to_vec(&csr_body(&name, &pem3)).expect("json");
                put_body(&name, &v)
            });
            let (theirs, ebad) =
                drive(&etcd.addr, None, conns, args.seconds, "/v3/kv/put", 200, mk)?;
            if ebad > 0 {
                eprintln!("etcd: {ebad} failed puts");
            }
            Some(theirs)
        };
        let (peer_text, ratio) = match peer {
            Some(p) => (
                format!("etcd {}: {p:.0} puts/s", "3.4.23"),
                format!("; {:.2}× etcd", ours / p.max(1e-9)),
            ),
            None => ("etcd not run".to_string(), String::new()),
        };
        report(
            rows,
            &format!("https-create, {conns} connection(s)"),
            &format!(
                "{ours:.0} creates/s{ratio} (server CPU {cpu_us:.0} µs per create){}",
                if bad > 0 {
                    format!(" ({bad} failed)")
                } else {
                    String::new()
                }
            ),
            &format!("≥ {TARGET_FACTOR}× etcd"),
            &peer_text,
        );
    }
    Ok(())
}
