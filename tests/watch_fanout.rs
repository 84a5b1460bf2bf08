//! Watch fan-out (`src/server/watch.rs`): many watchers share each event, and every watch
//! still gets exactly its own view — resource, label and field selectors, resume from a
//! resourceVersion, 410 Expired after compaction — over real HTTPS with group commit on.

use csrsim::bench::client::{Conn, Tls};
use csrsim::server::{ServeArgs, TestServer};
use serde_json::{json, Value};
use std::time::Duration;

const NS: &str = "/api/v1/namespaces";

fn addr(srv: &TestServer) -> String {
    csrsim::bench::client::addr_of(&srv.url)
}

async fn open(srv: &TestServer, tls: &Tls, query: &str) -> Conn {
    let mut c = Conn::connect(&addr(srv), Some(tls)).await.unwrap();
    let st = c
        .start_stream(&format!("{NS}?watch=1&timeoutSeconds=30&{query}"))
        .await
        .unwrap();
    assert_eq!(st, 200, "{query}");
    c
}

/// Read `n` events (one per chunk), each within 10 s.
async fn read(c: &mut Conn, n: usize) -> Vec<Value> {
    let mut out = Vec::new();
    while out.len() < n {
        let chunk = tokio::time::timeout(Duration::from_secs(10), c.chunk())
            .await
            .unwrap_or_else(|_| panic!("timed out after {} events: {out:?}", out.len()))
            .unwrap()
            .expect("stream ended");
        for line in chunk.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
            out.push(serde_json::from_slice(line).unwrap());
        }
    }
    out
}

fn names(ev: &[Value]) -> Vec<String> {
    ev.iter()
        .map(|e| {
            assert_eq!(e["type"], "ADDED", "{e}");
            e["object"]["metadata"]["name"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect()
}

#[test]
fn many_watchers_each_get_their_own_events_resume_and_410() {
    let data = tempfile::tempdir().unwrap();
    let srv = TestServer::start(ServeArgs {
        data_dir: Some(data.path().to_path_buf()), // group commit: events wait for the flush
        ..ServeArgs::for_tests()
    })
    .unwrap();
    let tls = Tls::from_data_dir(&srv.dir).unwrap();
    let rt = csrsim::bench::client::runtime().unwrap();
    rt.block_on(async {
        let mut admin = Conn::connect(&addr(&srv), Some(&tls)).await.unwrap();
        let list = admin.request("GET", NS, "", b"").await.unwrap();
        let list: Value = serde_json::from_slice(&list.body).unwrap();
        let rv0 = list["metadata"]["resourceVersion"]
            .as_str()
            .unwrap()
            .to_string();
        let mut plain = Vec::new();
        let mut labelled = Vec::new();
        let mut by_name = Vec::new();
        for _ in 0..8 {
            plain.push(open(&srv, &tls, &format!("resourceVersion={rv0}")).await);
            labelled.push(open(&srv, &tls, &format!("resourceVersion={rv0}&labelSelector=team%3Da")).await);
            by_name.push(open(&srv, &tls, &format!("resourceVersion={rv0}&fieldSelector=metadata.name%3Dfan-3")).await);
        }
        // A secret write in between: another resource, seen by none of these watches.
        let secret = json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}});
        let r = admin
            .request("POST", "/api/v1/namespaces/default/secrets", "application/json", &serde_json::to_vec(&secret).unwrap())
            .await
            .unwrap();
        assert_eq!(r.status, 201);
        let mut want_all = Vec::new();
        let mut want_a = Vec::new();
        for i in 0..12 {
            let name = format!("fan-{i}");
            let team = if i % 2 == 0 { "a" } else { "b" };
            let body = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": {"team": team}}});
            let r = admin
                .request("POST", NS, "application/json", &serde_json::to_vec(&body).unwrap())
                .await
                .unwrap();
            assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
            if team == "a" {
                want_a.push(name.clone());
            }
            want_all.push(name);
        }
        for c in &mut plain {
            let ev = read(c, 12).await;
            assert_eq!(names(&ev), want_all);
            let rvs: Vec<u64> = ev
                .iter()
                .map(|e| e["object"]["metadata"]["resourceVersion"].as_str().unwrap().parse().unwrap())
                .collect();
            assert!(rvs.windows(2).all(|w| w[0] < w[1]), "{rvs:?}");
        }
        for c in &mut labelled {
            assert_eq!(names(&read(c, 6).await), want_a);
        }
        for c in &mut by_name {
            assert_eq!(names(&read(c, 1).await), vec!["fan-3".to_string()]);
        }
        // A new watch resuming from the old resourceVersion replays the same history.
        let mut late = open(&srv, &tls, &format!("resourceVersion={rv0}")).await;
        assert_eq!(names(&read(&mut late, 12).await), want_all);
        // Both kinds of watch keep going: one more write reaches the old and the new ones.
        let body = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "fan-last", "labels": {"team": "a"}}});
        let r = admin
            .request("POST", NS, "application/json", &serde_json::to_vec(&body).unwrap())
            .await
            .unwrap();
        assert_eq!(r.status, 201);
        assert_eq!(names(&read(&mut late, 1).await), vec!["fan-last".to_string()]);
        assert_eq!(names(&read(&mut plain[0], 1).await), vec!["fan-last".to_string()]);
        assert_eq!(names(&read(&mut labelled[0], 1).await), vec!["fan-last".to_string()]);
        // Compaction: history older than 5 virtual minutes is gone; resuming from rv0 is 410.
        srv.advance(Duration::from_secs(600));
        let body = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "fan-after"}});
        let r = admin
            .request("POST", NS, "application/json", &serde_json::to_vec(&body).unwrap())
            .await
            .unwrap();
        assert_eq!(r.status, 201);
        let mut c = Conn::connect(&addr(&srv), Some(&tls)).await.unwrap();
        let r = c
            .request("GET", &format!("{NS}?watch=1&resourceVersion={rv0}"), "", b"")
            .await
            .unwrap();
        // the apiserver's cacher: a 200 stream with one ERROR event holding the 410 Status
        let ev: Value = serde_json::from_slice(r.body.trim_ascii_end()).unwrap();
        let st = &ev["object"];
        assert_eq!(
            (r.status, ev["type"].as_str(), st["code"].as_u64(), st["reason"].as_str()),
            (200, Some("ERROR"), Some(410), Some("Expired")),
            "{ev}"
        );
        // Live watches were current, so they simply see the new write.
        assert_eq!(names(&read(&mut plain[1], 2).await), vec!["fan-last".to_string(), "fan-after".to_string()]);
    });
}

/// The fan-out bench's reader (`Conn::body_piece`) hands over a chunked body piece by piece
/// from the read buffer: a watcher that fell behind gets chunks of many events, far larger
/// than that buffer (here 300 KB, then a small one), and every event line arrives whole and
/// once, without a chunk-sized copy.
#[test]
fn body_piece_reads_chunks_larger_than_the_read_buffer() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let rt = csrsim::bench::client::runtime().unwrap();
    rt.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let line = |i: usize| format!("{{\"type\":\"ADDED\",\"object\":{{\"metadata\":{{\"name\":\"e-{i:04}\"}},\"pad\":\"{}\"}}}}\n", "x".repeat(1000));
        let big: String = (0..300).map(line).collect();
        let small: String = (300..302).map(line).collect();
        let server = tokio::spawn(async move {
            let (mut s, _) = listener.accept().await.unwrap();
            let mut req = [0u8; 4096];
            let _ = s.read(&mut req).await.unwrap();
            let mut out = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
            for chunk in [&big, &small] {
                out.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
                out.extend_from_slice(chunk.as_bytes());
                out.extend_from_slice(b"\r\n");
            }
            out.extend_from_slice(b"0\r\n\r\n");
            s.write_all(&out).await.unwrap();
            s.flush().await.unwrap();
        });
        let mut c = Conn::connect(&addr, None).await.unwrap();
        assert_eq!(c.start_stream("/watch").await.unwrap(), 200);
        let (mut left, mut scratch, mut carry) = (0usize, Vec::new(), Vec::<u8>::new());
        let (mut names, mut pieces, mut largest_piece) = (Vec::new(), 0, 0);
        while let Some((n, ())) = c
            .body_piece(&mut left, &mut scratch, |p| carry.extend_from_slice(p))
            .await
            .unwrap()
        {
            pieces += 1;
            largest_piece = largest_piece.max(n);
            while let Some(i) = carry.iter().position(|b| *b == b'\n') {
                let ev: Value = serde_json::from_slice(&carry[..i]).unwrap();
                names.push(ev["object"]["metadata"]["name"].as_str().unwrap().to_string());
                carry.drain(..=i);
            }
        }
        let want: Vec<String> = (0..302).map(|i| format!("e-{i:04}")).collect();
        assert_eq!(names, want);
        assert!(carry.is_empty());
        assert!(pieces > 2, "the 300 KB chunk came in several pieces: {pieces}");
        assert!(largest_piece <= 64 * 1024, "no piece beyond the read buffer: {largest_piece}");
        assert!(scratch.capacity() < 64 * 1024, "no chunk-sized copy");
        server.await.unwrap();
    });
}
