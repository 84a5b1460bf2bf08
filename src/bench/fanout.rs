//! Watch fan-out: W watchers on one server while a writer creates CSRs at a fixed rate;
//! every ADDED event is counted at every watcher and its delivery latency (write sent →
//! event read) is recorded.

use super::client::{connect_h2, start_h2_stream, Conn, Tls};
use super::serve::{cpu_ticks_of, request_pem, Server};
use super::{percentile, report, BenchArgs, WatchTransport, WorkDir};
use serde_json::json;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Writer connections (the rate is split between them, each keeping its own schedule). Enough
/// of them that a write due while others wait for their 201 can start on time: 1,000 writes/s
/// with ~20 ms responses under fan-out load needs ≥ 20 in flight.
pub const WRITERS: usize = 32;
/// How long watchers may take to drain after the last write.
pub const DRAIN: Duration = Duration::from_secs(10);
/// Target p99.
pub const TARGET_P99_MS: f64 = 50.0;

/// One run per transport `--watch-transport` names.
pub fn run(args: &BenchArgs, work: &WorkDir, rows: &mut Vec<String>) -> Result<(), String> {
    let modes: &[Transport] = match args.watch_transport {
        WatchTransport::H1 => &[Transport::H1],
        WatchTransport::H2 => &[Transport::H2],
        WatchTransport::Both => &[Transport::H1, Transport::H2],
    };
    for &m in modes {
        run_one(args, work, rows, m)?;
    }
    Ok(())
}

/// How the watchers reach the server.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Transport {
    /// One HTTP/1.1 connection per watcher.
    H1,
    /// Watches multiplexed as HTTP/2 streams, a new connection when one reaches the server's
    /// stream limit (as Go's transport does for client-go).
    H2,
}

/// A watcher's response body.
enum Watch {
    /// A chunked HTTP/1.1 body, the bytes left of its current chunk and the bytes after the
    /// last whole event.
    H1(Conn, usize, Vec<u8>),
    /// An HTTP/2 stream and the bytes after its last whole event.
    H2(h2::RecvStream, Vec<u8>),
}

impl Watch {
    /// The next piece of the stream: its length, and in `found` the sequence numbers of the
    /// events completed by it. `None` at the end of the stream.
    async fn next(
        &mut self,
        scratch: &mut Vec<u8>,
        found: &mut Vec<usize>,
    ) -> std::io::Result<Option<usize>> {
        match self {
            Watch::H1(c, left, carry) => Ok(c
                .body_piece(left, scratch, |piece| scan_frame(carry, piece, found))
                .await?
                .map(|(n, ())| n)),
            Watch::H2(body, carry) => {
                let Some(data) = body.data().await else {
                    return Ok(None);
                };
                let data = data.map_err(std::io::Error::other)?;
                let _ = body.flow_control().release_capacity(data.len());
                scan_frame(carry, &data, found);
                Ok(Some(data.len()))
            }
        }
    }
}

fn run_one(
    args: &BenchArgs,
    work: &WorkDir,
    rows: &mut Vec<String>,
    transport: Transport,
) -> Result<(), String> {
    let dir = work.sub(match transport {
        Transport::H1 => "fanout-h1",
        Transport::H2 => "fanout-h2",
    });
    let srv = Server::start(&args.server_bin(), &dir, "127.0.0.1:0", &[])?;
    let tls = Tls::from_data_dir(&dir)?;
    let addr = srv.addr();
    let server_pid = srv.child.id();
    let total = (args.rate * args.seconds) as usize;
    let pem = request_pem("bench-user")?;
    let b64 = {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode(&pem)
    };
    let sent: Arc<Vec<AtomicU64>> = Arc::new((0..total).map(|_| AtomicU64::new(0)).collect());
    let acked = Arc::new(AtomicU64::new(0));
    let write_errors = Arc::new(AtomicU64::new(0));
    let delivered_now = Arc::new(AtomicU64::new(0));
    let bytes_in = Arc::new(AtomicU64::new(0));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let watchers = args.watchers;
    let secs = args.seconds;
    let rate = args.rate;
    let (counts, mut lat) = rt.block_on(async {
        let t0 = Instant::now();
        let lat = Arc::new(Mutex::new(Vec::<Vec<f64>>::with_capacity(watchers)));
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let mut ws = Vec::new();
        let path = format!(
            "/apis/certificates.k8s.io/v1/certificatesigningrequests?watch=1&timeoutSeconds={}",
            secs + 60
        );
        // HTTP/2: the connection being filled and the streams on it
        let mut h2: Option<(h2::client::SendRequest<bytes::Bytes>, usize)> = None;
        let mut connections = 0usize;
        for _ in 0..watchers {
            let (st, mut c) = match transport {
                Transport::H1 => {
                    let mut c = Conn::connect(&addr, Some(&tls))
                        .await
                        .map_err(|e| format!("watcher connect: {e}"))?;
                    connections += 1;
                    let st = c.start_stream(&path).await.map_err(|e| format!("watch: {e}"))?;
                    (st, Watch::H1(c, 0, Vec::new()))
                }
                Transport::H2 => {
                    let full = h2
                        .as_ref()
                        .is_none_or(|(s, n)| *n >= s.current_max_send_streams());
                    if full {
                        let s = connect_h2(&addr, &tls)
                            .await
                            .map_err(|e| format!("watcher connect (h2): {e}"))?;
                        h2 = Some((s, 0));
                        connections += 1;
                    }
                    let (s, n) = h2.as_mut().expect("connected above");
                    let (st, body) = start_h2_stream(s, &path)
                        .await
                        .map_err(|e| format!("watch (h2): {e}"))?;
                    *n += 1;
                    (st, Watch::H2(body, Vec::new()))
                }
            };
            if st != 200 {
                return Err(format!("watch answered {st}"));
            }
            let (sent, lat, mut done, dn, bytes_in) = (
                sent.clone(),
                lat.clone(),
                stop_rx.clone(),
                delivered_now.clone(),
                bytes_in.clone(),
            );
            ws.push(tokio::spawn(async move {
                let mut n = 0u64;
                // sized up front: growing 1,000 vectors by doubling is copying on every core
                let mut mine = Vec::with_capacity(total);
                let mut scratch = Vec::new();
                let mut found = Vec::new();
                loop {
                    // a chunk carries one or more whole events: their sequence numbers
                    let read = tokio::select! {
                        c = c.next(&mut scratch, &mut found) => c,
                        _ = done.wait_for(|v| *v) => break,
                    };
                    let Ok(Some(len)) = read else { break };
                    let now = t0.elapsed().as_nanos() as u64;
                    let before = n;
                    for &i in &found {
                        if let Some(s) = sent.get(i) {
                            n += 1;
                            let s = s.load(Ordering::Relaxed);
                            mine.push(now.saturating_sub(s) as f64 / 1e6);
                        }
                    }
                    dn.fetch_add(n - before, Ordering::Relaxed);
                    bytes_in.fetch_add(len as u64, Ordering::Relaxed);
                }
                lat.lock().expect("lat").push(mine);
                n
            }));
        }
        eprintln!(
            "watch-fanout: {watchers} watchers connected ({transport:?}, {connections} connections) in {:.1} s",
            t0.elapsed().as_secs_f64()
        );
        // writers: write i at start + i/rate
        let start = Instant::now();
        let cpu0 = (cpu_ticks_of(server_pid), cpu_ticks_of(std::process::id()));
        let mut wt = Vec::new();
        for w in 0..WRITERS {
            let mut c = Conn::connect(&addr, Some(&tls))
                .await
                .map_err(|e| format!("writer connect: {e}"))?;
            let (sent, acked, b64) = (sent.clone(), acked.clone(), b64.clone());
            let write_errors = write_errors.clone();
            wt.push(tokio::spawn(async move {
                let mut i = w;
                while i < total {
                    let at = start + Duration::from_secs_f64(i as f64 / rate as f64);
                    tokio::time::sleep_until(at.into()).await;
                    let body = json!({
                        "apiVersion": "certificates.k8s.io/v1", "kind": "CertificateSigningRequest",
                        "metadata": {"name": format!("w-{i:08}")},
                        "spec": {"request": b64, "signerName": "kubernetes.io/kube-apiserver-client",
                                 "usages": ["digital signature", "client auth"]}
                    });
                    let body = serde_json::to_vec(&body).expect("json");
                    sent[i].store(t0.elapsed().as_nanos() as u64, Ordering::Relaxed);
                    match c
                        .request("POST", "/apis/certificates.k8s.io/v1/certificatesigningrequests", "application/json", &body)
                        .await
                    {
                        Ok(r) if r.status == 201 => {
                            acked.fetch_add(1, Ordering::Relaxed);
                        }
                        Ok(r) => {
                            write_errors.fetch_add(1, Ordering::Relaxed);
                            eprintln!("write {i}: {}", r.status);
                        }
                        Err(e) => {
                            write_errors.fetch_add(1, Ordering::Relaxed);
                            eprintln!("write {i}: {e}");
                            break;
                        }
                    }
                    i += WRITERS;
                }
            }));
        }
        for t in wt {
            let _ = t.await;
        }
        let wrote = acked.load(Ordering::Relaxed);
        let write_secs = start.elapsed().as_secs_f64();
        eprintln!("watch-fanout: {wrote} writes in {write_secs:.1} s");
        // let watchers drain, then stop them
        let drain_end = Instant::now() + DRAIN;
        while Instant::now() < drain_end {
            if delivered_now.load(Ordering::Relaxed) >= wrote * watchers as u64
                || ws.iter().all(|h| h.is_finished())
            {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let (got, want) = (delivered_now.load(Ordering::Relaxed), wrote * watchers as u64);
        if got < want {
            eprintln!(
                "watch-fanout: drain ended with {got} of {want} events delivered ({} watchers still open)",
                ws.iter().filter(|h| !h.is_finished()).count()
            );
        }
        let cpu = (
            cpu_ticks_of(server_pid).saturating_sub(cpu0.0),
            cpu_ticks_of(std::process::id()).saturating_sub(cpu0.1),
        );
        let _ = stop_tx.send(true);
        let mut counts = Vec::new();
        for h in ws {
            counts.push(h.await.unwrap_or(0));
        }
        let lat = std::mem::take(&mut *lat.lock().expect("lat")).concat();
        Ok::<_, String>(((counts, wrote, write_secs, cpu, connections), lat))
    })?;
    let (counts, wrote, write_secs, (server_ticks, client_ticks), connections) = counts;
    let complete = counts.iter().filter(|&&n| n == wrote).count();
    // A run where watchers did not all get every event says how: short (events missing when
    // the drain ended) or over (a write the server made that its writer did not see succeed).
    let short = counts.iter().filter(|&&n| n < wrote).count();
    let over = counts.iter().filter(|&&n| n > wrote).count();
    let most_missing = counts
        .iter()
        .map(|&n| wrote.saturating_sub(n))
        .max()
        .unwrap_or(0);
    let failed_writes = write_errors.load(Ordering::Relaxed);
    let incomplete = if complete == watchers && failed_writes == 0 {
        String::new()
    } else {
        format!(
            " ({short} short by up to {most_missing}, {over} over; {failed_writes} writes failed)"
        )
    };
    let delivered: u64 = counts.iter().sum();
    let p50 = percentile(&mut lat, 50.0);
    let p99 = percentile(&mut lat, 99.0);
    let per_event = bytes_in.load(Ordering::Relaxed) / delivered.max(1);
    // CPU per delivered event (clock ticks of 10 ms → µs), writes to end of drain
    let us = |ticks: u64| ticks as f64 * 10_000.0 / delivered.max(1) as f64;
    report(
        rows,
        &format!(
            "watch-fanout, {watchers} watchers × {rate} CSRs/s target, {}",
            match transport {
                Transport::H1 => format!("HTTP/1.1 ({connections} connections)"),
                Transport::H2 => format!("HTTP/2 ({connections} connections)"),
            }
        ),
        &format!(
            "wrote {wrote} in {write_secs:.1} s ({:.0}/s); {delivered} of {} events delivered; {complete}/{watchers} watchers got all{incomplete} ({per_event} bytes per event); p50 {p50:.1} ms, p99 {p99:.1} ms; CPU per event: server {:.2} µs, bench client {:.2} µs",
            wrote as f64 / write_secs,
            wrote * watchers as u64,
            us(server_ticks),
            us(client_ticks)
        ),
        &format!("all delivered, p99 < {TARGET_P99_MS} ms"),
        "etcd: 100 watchers held writes to 146/s, p99 1.1 s (issue 9)",
    );
    drop(srv);
    Ok(())
}

/// One piece of a watch body (an HTTP/2 DATA frame, or what is buffered of an HTTP/1.1
/// chunk): pieces do not end at event boundaries, so an event begun in an earlier piece is
/// completed in `carry` first, the whole events after it are scanned in place, and the rest
/// is kept in `carry` for the next piece. `found` gets the completed events' numbers.
fn scan_frame(carry: &mut Vec<u8>, data: &[u8], found: &mut Vec<usize>) {
    found.clear();
    let mut data = data;
    if !carry.is_empty() {
        let Some(i) = memchr::memchr(b'\n', data) else {
            carry.extend_from_slice(data);
            return;
        };
        carry.extend_from_slice(&data[..=i]);
        seqs(carry, found);
        carry.clear();
        data = &data[i + 1..];
    }
    match memchr::memrchr(b'\n', data) {
        Some(i) => {
            seqs(&data[..=i], found);
            carry.extend_from_slice(&data[i + 1..]);
        }
        None => carry.extend_from_slice(data),
    }
}

/// The writer sequence numbers in whole events (`"name":"w-00000042"`, once per event),
/// appended to `out`.
fn seqs(chunk: &[u8], out: &mut Vec<usize>) {
    const PAT: &[u8] = b"\"name\":\"w-";
    // SIMD substring search: the watchers scan ~1 GB/s of events between them
    static FINDER: std::sync::OnceLock<memchr::memmem::Finder<'static>> =
        std::sync::OnceLock::new();
    let finder = FINDER.get_or_init(|| memchr::memmem::Finder::new(PAT));
    let mut rest = chunk;
    while let Some(pos) = finder.find(rest) {
        let digits = &rest[pos + PAT.len()..];
        let end = digits
            .iter()
            .position(|b| !b.is_ascii_digit())
            .unwrap_or(digits.len());
        if let Some(i) = std::str::from_utf8(&digits[..end])
            .ok()
            .and_then(|d| d.parse().ok())
        {
            out.push(i);
        }
        rest = &digits[end..];
    }
}

#[cfg(test)]
mod tests {
    /// An event split across DATA frames is counted once, when its line is complete.
    #[test]
    fn frames_split_inside_an_event() {
        let stream = br#"{"type":"ADDED","object":{"metadata":{"name":"w-00000001"}}}
{"type":"ADDED","object":{"metadata":{"name":"w-00000002"}}}
{"type":"ADDED","object":{"metadata":{"name":"w-00000003"}}}
"#;
        for cut in [1, 30, 45, 62, 63, 100, 150, stream.len() - 1] {
            let (mut carry, mut found, mut all) = (Vec::new(), Vec::new(), Vec::new());
            // two pieces, and three with the second cut inside the next event
            let second = (cut + 70).min(stream.len());
            for part in [&stream[..cut], &stream[cut..second], &stream[second..]] {
                super::scan_frame(&mut carry, part, &mut found);
                all.extend_from_slice(&found);
            }
            assert_eq!(all, vec![1, 2, 3], "cut at {cut}");
            assert!(carry.is_empty());
        }
    }

    #[test]
    fn seqs_finds_every_event_of_a_chunk() {
        let c = br#"{"type":"ADDED","object":{"metadata":{"name":"w-00000042"}}}
{"type":"ADDED","object":{"metadata":{"name":"w-00000043"}}}
"#;
        let mut out = vec![7];
        super::seqs(c, &mut out);
        assert_eq!(out, vec![7, 42, 43]);
        super::seqs(b"{}", &mut out);
        assert_eq!(out, vec![7, 42, 43]);
    }
}
