//! Server limits (issue 9, item 4): request size, concurrent connections, watches per user,
//! list page size. Defaults are documented in docs/performance.md.
#![allow(clippy::disallowed_methods)] // real sockets: wall-clock deadlines for retries

use csrsim::bench::client::{addr_of, Conn, Tls};
use csrsim::bench::serve::{csr_body, request_pem};
use csrsim::server::{ServeArgs, TestServer};
use serde_json::Value;
use std::time::{Duration, Instant};

const CSRS: &str = "/apis/certificates.k8s.io/v1/certificatesigningrequests";

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// `GET /readyz` on a connection: its status.
async fn readyz(c: &mut Conn) -> std::io::Result<u16> {
    Ok(c.request("GET", "/readyz", "text/plain", b"").await?.status)
}

fn server(f: impl FnOnce(&mut ServeArgs)) -> (TestServer, Tls, String) {
    let mut args = ServeArgs::for_tests();
    f(&mut args);
    let srv = TestServer::start(args).unwrap();
    let tls = Tls::from_data_dir(&srv.dir).unwrap();
    let addr = addr_of(&srv.url);
    (srv, tls, addr)
}

#[test]
fn defaults_are_documented_values() {
    let a = ServeArgs::for_tests();
    assert_eq!(a.max_connections, 4096);
    assert_eq!(a.max_watches_per_user, 1024);
    assert_eq!(a.max_list_limit, 10_000);
    assert_eq!(csrsim::server::negotiation::MAX_BODY_BYTES, 3 * 1024 * 1024);
    assert_eq!(a.tls_handshake_timeout, Duration::from_secs(32));
    assert_eq!(a.http1_head_timeout, Duration::from_secs(32));
    assert_eq!(a.idle_timeout, Duration::from_secs(90));
    assert_eq!(a.http2_preface_timeout, Duration::from_secs(10));
    // and the command line's defaults are the same (they are not flags)
    use clap::Parser;
    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        serve: ServeArgs,
    }
    let cli = Cli::parse_from(["csrsim"]);
    assert_eq!(cli.serve.tls_handshake_timeout, Duration::from_secs(32));
    assert_eq!(cli.serve.http1_head_timeout, Duration::from_secs(32));
    assert_eq!(cli.serve.idle_timeout, Duration::from_secs(90));
    assert_eq!(cli.serve.http2_preface_timeout, Duration::from_secs(10));
}

#[test]
fn request_body_over_3_mib_is_413_and_at_the_limit_is_decoded() {
    let (_srv, tls, addr) = server(|_| {});
    rt().block_on(async {
        let limit = 3 * 1024 * 1024;
        // one byte over (declared): 413 RequestEntityTooLarge before the body is read
        let mut c = Conn::connect(&addr, Some(&tls)).await.unwrap();
        c.send_raw(
            format!(
                "POST {CSRS} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
                limit + 1
            )
            .as_bytes(),
        )
        .await
        .unwrap();
        let r = c.response().await.unwrap();
        assert_eq!(r.status, 413, "{}", String::from_utf8_lossy(&r.body));
        let v: Value = serde_json::from_slice(&r.body).unwrap();
        assert_eq!(v["reason"], "RequestEntityTooLarge");
        assert_eq!(v["message"], format!("Request entity too large: limit is {limit}"));
        // exactly at the limit: read and decoded (whitespace only → 400 from the decoder, not 413)
        let mut c = Conn::connect(&addr, Some(&tls)).await.unwrap();
        let r = c
            .request("POST", CSRS, "application/json", &vec![b' '; limit])
            .await
            .unwrap();
        assert_eq!(r.status, 400, "{}", String::from_utf8_lossy(&r.body));
    });
}

#[test]
fn connections_over_the_cap_are_closed_and_a_freed_slot_is_reused() {
    let (_srv, tls, addr) = server(|a| a.max_connections = 3);
    rt().block_on(async {
        let mut held = Vec::new();
        for _ in 0..3 {
            let mut c = Conn::connect(&addr, Some(&tls)).await.unwrap();
            assert_eq!(readyz(&mut c).await.unwrap(), 200);
            held.push(c);
        }
        // the fourth is closed at accept: the handshake or the first request fails
        let fourth = async {
            let mut c = Conn::connect(&addr, Some(&tls)).await?;
            c.request("GET", "/readyz", "text/plain", b"").await
        };
        assert!(
            tokio::time::timeout(Duration::from_secs(5), fourth)
                .await
                .expect("closed promptly")
                .is_err(),
            "a 4th connection was served"
        );
        // closing one frees its slot
        drop(held.pop());
        let t0 = Instant::now();
        loop {
            let attempt = async {
                let mut c = Conn::connect(&addr, Some(&tls)).await?;
                c.request("GET", "/readyz", "text/plain", b"").await
            };
            if let Ok(r) = attempt.await {
                assert_eq!(r.status, 200);
                break;
            }
            assert!(t0.elapsed() < Duration::from_secs(5), "slot never freed");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    });
}

#[test]
fn watches_per_user_over_the_cap_get_429_and_a_closed_watch_frees_its_slot() {
    let (_srv, tls, addr) = server(|a| a.max_watches_per_user = 2);
    rt().block_on(async {
        let path = format!("{CSRS}?watch=1");
        let mut held = Vec::new();
        for _ in 0..2 {
            let mut c = Conn::connect(&addr, Some(&tls)).await.unwrap();
            assert_eq!(c.start_stream(&path).await.unwrap(), 200);
            held.push(c);
        }
        let mut c = Conn::connect(&addr, Some(&tls)).await.unwrap();
        c.send("GET", &path, "application/json", b"").await.unwrap();
        let r = c.response().await.unwrap();
        assert_eq!(r.status, 429);
        let v: Value = serde_json::from_slice(&r.body).unwrap();
        assert_eq!(v["reason"], "TooManyRequests");
        assert_eq!(
            v["message"],
            "too many watches for user \"kubernetes-admin\": the limit is 2"
        );
        // plain requests are not limited
        let r = c
            .request("GET", CSRS, "application/json", b"")
            .await
            .unwrap();
        assert_eq!(r.status, 200);
        drop(held.pop());
        let t0 = Instant::now();
        loop {
            let mut c = Conn::connect(&addr, Some(&tls)).await.unwrap();
            let st = c.start_stream(&path).await.unwrap();
            if st == 200 {
                break;
            }
            assert_eq!(st, 429);
            assert!(
                t0.elapsed() < Duration::from_secs(5),
                "watch slot never freed"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    });
}

#[test]
fn list_limit_above_the_cap_is_lowered_and_continues() {
    let (srv, tls, addr) = server(|a| a.max_list_limit = 2);
    let pem = request_pem("limits").unwrap();
    srv.with_cluster(|c| {
        for i in 0..5 {
            c.apply(
                &csrsim::auth::Identity::admin(),
                csrsim::sim::ApiRequest::csr(csrsim::sim::Verb::Create)
                    .body(csr_body(&format!("l-{i}"), &pem)),
            )
            .unwrap();
        }
    });
    rt().block_on(async {
        let mut c = Conn::connect(&addr, Some(&tls)).await.unwrap();
        let get = |v: &Value| {
            (
                v["items"].as_array().map(|a| a.len()).unwrap_or(0),
                v["metadata"]["continue"].as_str().unwrap_or("").to_string(),
            )
        };
        let r = c
            .request("GET", &format!("{CSRS}?limit=100"), "application/json", b"")
            .await
            .unwrap();
        let (n, cont) = get(&serde_json::from_slice(&r.body).unwrap());
        assert_eq!(n, 2);
        assert!(!cont.is_empty(), "a lowered limit still pages");
        // following continue walks the rest
        let mut total = n;
        let mut cont = cont;
        while !cont.is_empty() {
            let r = c
                .request(
                    "GET",
                    &format!("{CSRS}?limit=100&continue={cont}"),
                    "application/json",
                    b"",
                )
                .await
                .unwrap();
            assert_eq!(r.status, 200);
            let (n, next) = get(&serde_json::from_slice(&r.body).unwrap());
            assert!(n <= 2);
            total += n;
            cont = next;
        }
        assert_eq!(total, 5);
        // a limit under the cap is kept; no limit means no paging (as kube-apiserver)
        let r = c
            .request("GET", &format!("{CSRS}?limit=1"), "application/json", b"")
            .await
            .unwrap();
        assert_eq!(get(&serde_json::from_slice(&r.body).unwrap()).0, 1);
        let r = c
            .request("GET", CSRS, "application/json", b"")
            .await
            .unwrap();
        let (n, cont) = get(&serde_json::from_slice(&r.body).unwrap());
        assert_eq!((n, cont.as_str()), (5, ""));
    });
}

/// Read until the peer closes (or `limit` passes): what it sent, and how long it took.
async fn read_to_close(s: &mut tokio::net::TcpStream, limit: Duration) -> (Vec<u8>, Duration) {
    use tokio::io::AsyncReadExt;
    let t0 = Instant::now();
    let mut got = Vec::new();
    let r = tokio::time::timeout(limit, s.read_to_end(&mut got)).await;
    assert!(r.is_ok(), "still open after {limit:?}; got {got:?}");
    (got, t0.elapsed())
}

/// Connections that never become a request end in bounded time, as on kube-apiserver: Go's
/// answer to plain HTTP on the TLS port, a close for other non-TLS bytes, the TLS handshake
/// bounded by the `ReadHeaderTimeout` (32 s, shortened here to 1 s), an HTTP/1.1 head that
/// never completes bounded by the idle timeout (90 s, here 1 s); the server serves on.
#[test]
fn connections_that_never_make_a_request_are_closed_in_bounded_time() {
    use tokio::io::AsyncWriteExt;
    use tokio::net::TcpStream;
    let short = Duration::from_secs(1);
    let (_srv, tls, addr) = server(|a| {
        a.tls_handshake_timeout = short;
        a.http1_head_timeout = short;
        a.idle_timeout = short;
    });
    rt().block_on(async {
        let bound = Duration::from_secs(10);
        // plain HTTP on the TLS port: Go's net/http answer, then a close, at once
        for start in [
            "GET / HTTP/1.1\r\nHost: x\r\n\r\n",
            "POST /api HTTP/1.1\r\n",
            "OPTIONS * HTTP/1.1\r\n\r\n",
        ] {
            let mut s = TcpStream::connect(&addr).await.unwrap();
            s.write_all(start.as_bytes()).await.unwrap();
            let (got, took) = read_to_close(&mut s, bound).await;
            assert_eq!(
                String::from_utf8_lossy(&got),
                "HTTP/1.0 400 Bad Request\r\n\r\nClient sent an HTTP request to an HTTPS server.\n",
                "{start:?}"
            );
            assert!(took < short, "{start:?}: answered after {took:?}");
        }
        // other bytes that are not TLS: closed without an answer (Go logs a handshake error)
        for start in [
            &b"hello world"[..],
            b"\x80\x2e\x01\x03\x01",
            b"PATCH /x HTTP/1.1\r\n\r\n",
        ] {
            let mut s = TcpStream::connect(&addr).await.unwrap();
            s.write_all(start).await.unwrap();
            let (got, _) = read_to_close(&mut s, bound).await;
            assert!(got.is_empty(), "{start:?}: answered {got:?}");
        }
        // silent, or a ClientHello cut short: closed once the handshake time is up
        for start in [&b""[..], b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"] {
            let mut s = TcpStream::connect(&addr).await.unwrap();
            s.write_all(start).await.unwrap();
            let (_, took) = read_to_close(&mut s, bound).await;
            assert!(
                took >= short - Duration::from_millis(50),
                "{start:?}: closed after {took:?}"
            );
        }
        // a TLS connection that never sends a byte: closed once the head time is up
        let mut c = Conn::connect(&addr, Some(&tls)).await.unwrap();
        let t0 = Instant::now();
        let r = tokio::time::timeout(bound, c.response()).await;
        assert!(
            matches!(r, Ok(Err(_))),
            "a silent TLS connection was kept {bound:?}"
        );
        assert!(t0.elapsed() >= short - Duration::from_millis(50));
        // slowloris over TLS: a head that never ends, a byte at a time, is closed in time
        let mut c = Conn::connect(&addr, Some(&tls)).await.unwrap();
        c.send_raw(b"GET /readyz HTTP/1.1\r\nHost: x\r\n")
            .await
            .unwrap();
        let t0 = Instant::now();
        let dripping = async {
            loop {
                tokio::time::sleep(Duration::from_millis(200)).await;
                if c.send_raw(b"X").await.is_err() {
                    return;
                }
            }
        };
        assert!(
            tokio::time::timeout(bound, dripping).await.is_ok(),
            "a head dripping for {bound:?} was never cut"
        );
        assert!(t0.elapsed() >= short - Duration::from_millis(50));
        // an idle keep-alive connection is closed after the same time
        let mut c = Conn::connect(&addr, Some(&tls)).await.unwrap();
        assert_eq!(readyz(&mut c).await.unwrap(), 200);
        tokio::time::sleep(short + Duration::from_millis(500)).await;
        assert!(
            c.request("GET", "/readyz", "text/plain", b"")
                .await
                .is_err(),
            "idle connection kept"
        );
        // an HTTP/2 connection: kept while a stream (a watch) is open, shut down (GOAWAY)
        // once it has had no stream for the idle time
        use csrsim::bench::client::{connect_h2, start_h2_stream};
        let mut send = connect_h2(&addr, &tls).await.unwrap();
        let (code, watch) = start_h2_stream(&mut send, &format!("{CSRS}?watch=true"))
            .await
            .unwrap();
        assert_eq!(code, 200);
        tokio::time::sleep(short * 2).await;
        let (code, _) = start_h2_stream(&mut send, "/readyz").await.unwrap();
        assert_eq!(code, 200, "a connection with a watch open is not idle");
        drop(watch); // the client cancels the watch stream
        tokio::time::sleep(short * 2 + Duration::from_millis(500)).await;
        assert!(
            start_h2_stream(&mut send, "/readyz").await.is_err(),
            "an HTTP/2 connection without streams was kept past the idle time"
        );
        // and the server serves on
        let mut c = Conn::connect(&addr, Some(&tls)).await.unwrap();
        let r = c
            .request("GET", "/readyz", "text/plain", b"")
            .await
            .unwrap();
        assert_eq!((r.status, r.body.as_slice()), (200, &b"ok"[..]));
    });
}

/// Go's `net/http` reads a request head of up to `MaxHeaderBytes` (kube-apiserver: 1 MiB)
/// plus 4,096 bytes and counts bytes only: a head just under that, or one of many short
/// header lines, is served; one byte more than the limit is a 431 and a close.
#[test]
fn request_heads_up_to_gos_1_mib_limit_are_served() {
    let (_srv, tls, addr) = server(|_| {});
    let limit = csrsim::server::HTTP1_MAX_HEAD_BYTES;
    assert_eq!(limit, (1 << 20) + 4096);
    let head_of = |len: usize| {
        let start = "GET /readyz HTTP/1.1\r\nHost: x\r\nX-Big: ";
        let end = "\r\n\r\n";
        let fill = len - start.len() - end.len();
        format!("{start}{}{end}", "a".repeat(fill))
    };
    rt().block_on(async {
        let status_of = |head: String| {
            let tls = &tls;
            let addr = &addr;
            async move {
                let mut c = Conn::connect(addr, Some(tls)).await.unwrap();
                c.send_raw(head.as_bytes()).await.unwrap();
                c.response().await.map(|r| r.status)
            }
        };
        assert_eq!(status_of(head_of(limit)).await.unwrap(), 200);
        assert_eq!(status_of(head_of(limit + 1)).await.unwrap(), 431);
        // hyper's default is 100 header lines; Go has no such count
        let many: String = (0..600).map(|i| format!("X-H{i}: v\r\n")).collect();
        let head = format!("GET /readyz HTTP/1.1\r\nHost: x\r\n{many}\r\n");
        assert_eq!(status_of(head).await.unwrap(), 200);
        // HTTP/2 takes the same (Go: `MaxHeaderBytes` + 10 × 32; hyper's default: 16 KiB)
        assert_eq!(csrsim::server::HTTP2_MAX_HEADER_LIST_SIZE, (1 << 20) + 320);
        let mut send = csrsim::bench::client::connect_h2(&addr, &tls)
            .await
            .unwrap();
        for (len, want) in [(20_000, 200), (1_000_000, 200), (1_100_000, 431)] {
            let req = http::Request::get("https://127.0.0.1/readyz")
                .header("x-big", "a".repeat(len))
                .body(())
                .unwrap();
            send = send.ready().await.unwrap();
            let (resp, _) = send.send_request(req, true).unwrap();
            assert_eq!(resp.await.unwrap().status().as_u16(), want, "{len}");
        }
    });
}

/// kube-apiserver has two clocks for an HTTP/1.1 connection: `IdleTimeout` (90 s) while it
/// waits for a request, `ReadHeaderTimeout` (32 s) for the head once it has begun (the first
/// request's from the handshake). With the head time short and the idle time long: a head
/// begun and never finished is cut at the head time, a silent new connection too, while a
/// connection idle between requests for longer is still served.
#[test]
fn a_late_head_is_cut_at_the_header_timeout_an_idle_connection_is_not() {
    let head = Duration::from_secs(1);
    let (_srv, tls, addr) = server(|a| {
        a.http1_head_timeout = head;
        a.idle_timeout = Duration::from_secs(30);
    });
    rt().block_on(async {
        let bound = Duration::from_secs(10);
        let early = head - Duration::from_millis(50);
        // idle between requests for 2 × the head time: served
        let mut c = Conn::connect(&addr, Some(&tls)).await.unwrap();
        assert_eq!(readyz(&mut c).await.unwrap(), 200);
        tokio::time::sleep(head * 2).await;
        assert_eq!(
            readyz(&mut c).await.unwrap(),
            200,
            "an idle keep-alive connection was cut"
        );
        // then a head begun and never finished: cut at the head time after its first byte
        tokio::time::sleep(head * 2).await;
        c.send_raw(b"GET /readyz HTTP/1.1\r\nHost: x\r\n")
            .await
            .unwrap();
        let t0 = Instant::now();
        let r = tokio::time::timeout(bound, c.response()).await;
        assert!(matches!(r, Ok(Err(_))), "a late head was kept {bound:?}");
        let took = t0.elapsed();
        assert!(took >= early && took < head * 3, "cut after {took:?}");
        // a new connection that sends nothing: cut at the head time
        let mut c = Conn::connect(&addr, Some(&tls)).await.unwrap();
        let t0 = Instant::now();
        let r = tokio::time::timeout(bound, c.response()).await;
        assert!(
            matches!(r, Ok(Err(_))),
            "a silent connection was kept {bound:?}"
        );
        let took = t0.elapsed();
        assert!(took >= early && took < head * 3, "cut after {took:?}");
    });
}

/// Go's HTTP/2 server closes a connection that agreed on `h2` and sends no client preface
/// within 10 s (`prefaceTimeout`), long before the idle time; one that sends it is served.
#[test]
fn an_http2_connection_without_its_preface_is_closed_at_the_preface_timeout() {
    use tokio::io::AsyncReadExt;
    let preface = Duration::from_secs(1);
    let (_srv, tls, addr) = server(|a| a.http2_preface_timeout = preface);
    rt().block_on(async {
        let tcp = tokio::net::TcpStream::connect(&addr).await.unwrap();
        let name = rustls_pki_types::ServerName::try_from("127.0.0.1").unwrap();
        let mut s = tls.h2_connector.connect(name, tcp).await.unwrap();
        assert_eq!(s.get_ref().1.alpn_protocol(), Some(&b"h2"[..]));
        let t0 = Instant::now();
        let mut buf = Vec::new();
        let r = tokio::time::timeout(Duration::from_secs(10), s.read_to_end(&mut buf)).await;
        assert!(
            r.is_ok(),
            "an HTTP/2 connection without a preface was kept 10 s"
        );
        let took = t0.elapsed();
        assert!(
            took >= preface - Duration::from_millis(50) && took < preface * 3,
            "closed after {took:?}"
        );
        // a client that sends its preface is served past that time
        use csrsim::bench::client::{connect_h2, start_h2_stream};
        let mut send = connect_h2(&addr, &tls).await.unwrap();
        tokio::time::sleep(preface * 2).await;
        let (code, _) = start_h2_stream(&mut send, "/readyz").await.unwrap();
        assert_eq!(code, 200);
    });
}

/// A body over the limit over HTTP/2, declared (refused before a byte is read) or streamed
/// without a length (refused at 3 MiB): the client gets the whole 413 Status while the rest
/// of its body is drained (`drain_later`). The reset that lost the Status shows with curl's
/// timing (`e2e_server::a_413_reaches_curl_over_http2`); this is the h2 crate's client.
#[test]
fn a_413_over_http2_reaches_the_client_whole() {
    let (_srv, tls, addr) = server(|_| {});
    rt().block_on(async {
        let mut send = csrsim::bench::client::connect_h2(&addr, &tls)
            .await
            .unwrap();
        let big = bytes::Bytes::from(vec![b'a'; 3_500_000]);
        for declared in [true, false] {
            let mut req = http::Request::post(format!("https://127.0.0.1{CSRS}"))
                .header("content-type", "application/json");
            if declared {
                req = req.header("content-length", big.len());
            }
            send = send.ready().await.unwrap();
            let (resp, mut body_tx) = send.send_request(req.body(()).unwrap(), false).unwrap();
            body_tx.send_data(big.clone(), true).unwrap();
            let resp = resp.await.unwrap();
            assert_eq!(resp.status().as_u16(), 413, "declared: {declared}");
            let mut body = resp.into_body();
            let mut got = Vec::new();
            while let Some(chunk) = body.data().await {
                let chunk = chunk.unwrap_or_else(|e| panic!("declared {declared}: {e}"));
                let _ = body.flow_control().release_capacity(chunk.len());
                got.extend_from_slice(&chunk);
            }
            let st: Value = serde_json::from_slice(&got)
                .unwrap_or_else(|e| panic!("declared {declared}: {e}: {got:?}"));
            assert_eq!(st["reason"], "RequestEntityTooLarge");
            assert_eq!(st["message"], "Request entity too large: limit is 3145728");
        }
    });
}

/// HTTP/2 only after ALPN agreed on `h2`, as Go's server decides: a connection that
/// negotiated `http/1.1` and then sends the HTTP/2 preface is not served HTTP/2 (before,
/// hyper-util's detection answered it with HTTP/2 SETTINGS).
#[test]
fn http2_only_after_alpn_h2() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let (_srv, tls, addr) = server(|_| {});
    rt().block_on(async {
        let tcp = tokio::net::TcpStream::connect(&addr).await.unwrap();
        let name = rustls_pki_types::ServerName::try_from("127.0.0.1").unwrap();
        let mut s = tls.connector.connect(name, tcp).await.unwrap();
        assert_eq!(s.get_ref().1.alpn_protocol(), Some(&b"http/1.1"[..]));
        // the client preface, then an empty SETTINGS frame
        s.write_all(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\0\0\0\x04\0\0\0\0\0")
            .await
            .unwrap();
        let mut got = vec![0u8; 64];
        let n = tokio::time::timeout(Duration::from_secs(10), s.read(&mut got))
            .await
            .expect("an answer or a close")
            .unwrap_or(0);
        let got = &got[..n];
        assert!(
            got.is_empty() || got.starts_with(b"HTTP/1."),
            "answered {got:?}"
        );
    });
}
