//! `csrsim serve` at the operating system's limits.
//! - Open files: the soft limit is raised to the hard one at start, as every Go program does
//!   (kube-apiserver included), so a low soft limit does not cap connections.
//! - A disk that fills up: writes go on while a record still fits (the store log's
//!   preallocation ahead of the records gives way first), a write that does not fit is a 500
//!   that leaves the server serving, and every acknowledged write is there after a restart.
//!   The disk is simulated with the server's `RLIMIT_FSIZE` (writes past it fail with EFBIG,
//!   as writes to a full disk fail with ENOSPC; `SIGXFSZ` is ignored so the write returns).
#![allow(clippy::disallowed_methods)] // edge: tests use the wall clock

mod server_support;

use server_support::Server;
use std::os::unix::process::CommandExt;

/// The simulated disk: the log file may not grow past this.
const FILE_LIMIT: u64 = 3 * 1024 * 1024;
/// Each CSR carries an annotation of this size (annotations may total 256 KiB), so a record
/// is about this big and the disk fills in a dozen writes.
const ANNOTATION_BYTES: usize = 200 * 1024;

fn csr_body(i: usize) -> String {
    use base64::Engine;
    let pem = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/alice.csr"
    ))
    .unwrap();
    serde_json::json!({
        "apiVersion": "certificates.k8s.io/v1", "kind": "CertificateSigningRequest",
        "metadata": {"name": format!("fill-{i:03}"),
                     "annotations": {"filler": "x".repeat(ANNOTATION_BYTES)}},
        "spec": {"request": base64::engine::general_purpose::STANDARD.encode(pem),
                 "signerName": "example.com/filler", "usages": ["client auth"]}
    })
    .to_string()
}

/// Start the child under `resource` limited to (`soft`, `hard`), with `SIGXFSZ` ignored (so a
/// write past `RLIMIT_FSIZE` fails with EFBIG instead of killing it).
fn limit_child(
    cmd: &mut std::process::Command,
    resource: libc::__rlimit_resource_t,
    soft: u64,
    hard: u64,
) {
    // SAFETY: signal and setrlimit are async-signal-safe calls made in the child between fork
    // and exec, touching no memory of the parent.
    unsafe {
        cmd.pre_exec(move || {
            libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
            let l = libc::rlimit {
                rlim_cur: soft,
                rlim_max: hard,
            };
            if libc::setrlimit(resource, &l) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
}

/// `Max open files` of a process: (soft, hard).
fn open_files_limit(pid: u32) -> (String, String) {
    let limits = std::fs::read_to_string(format!("/proc/{pid}/limits")).unwrap();
    let line = limits
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .unwrap()
        .to_string();
    let mut f = line["Max open files".len()..].split_whitespace();
    (f.next().unwrap().into(), f.next().unwrap().into())
}

#[test]
fn open_files_soft_limit_is_raised_to_the_hard_limit() {
    const SOFT: u64 = 256;
    const CONNECTIONS: usize = 400;
    let mut hard = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes one rlimit through a valid pointer.
    assert_eq!(
        unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut hard) },
        0
    );
    let hard = hard.rlim_max.min(8192);
    assert!(
        hard as usize > CONNECTIONS + 200,
        "hard limit {hard} too low for this test"
    );
    let d = tempfile::tempdir().unwrap();
    let s = Server::start_with(d.path(), &["--clock", "virtual"], |cmd| {
        limit_child(cmd, libc::RLIMIT_NOFILE, SOFT, hard)
    });
    let pid = s.child.as_ref().unwrap().id();
    assert_eq!(
        open_files_limit(pid),
        (hard.to_string(), hard.to_string()),
        "the server's open-files limit"
    );
    // More idle connections than the soft limit it was started with, then a request.
    let port = s.url.rsplit(':').next().unwrap().trim_end_matches('/');
    let idle: Vec<std::net::TcpStream> = (0..CONNECTIONS)
        .map(|_| std::net::TcpStream::connect(format!("127.0.0.1:{port}")).unwrap())
        .collect();
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert_eq!(
        s.curl("GET", "/readyz", &["--max-time", "10"], None),
        (200, "ok".to_string()),
        "a request after {CONNECTIONS} idle connections; log: {}",
        s.log()
    );
    drop(idle);
}

#[test]
fn a_full_disk_refuses_only_what_does_not_fit_and_loses_nothing_acknowledged() {
    let d = tempfile::tempdir().unwrap();
    let limit = FILE_LIMIT;
    let mut s = Server::start_with(d.path(), &["--clock", "virtual"], |cmd| {
        limit_child(cmd, libc::RLIMIT_FSIZE, limit, limit)
    });
    let log = d.path().join("wal").join("log");
    let path = "/apis/certificates.k8s.io/v1/certificatesigningrequests";
    let mut acknowledged = Vec::new();
    let mut refusal = None;
    for i in 0..40 {
        let body = csr_body(i);
        let (code, answer) = s.curl(
            "POST",
            path,
            &[],
            Some(("application/json", body.as_bytes())),
        );
        match code {
            201 => acknowledged.push(format!("fill-{i:03}")),
            _ => {
                refusal = Some((code, answer, std::fs::metadata(&log).unwrap().len()));
                break;
            }
        }
    }
    let (code, answer, size_at_refusal) = refusal.expect("the disk never filled");
    assert_eq!(code, 500, "{answer}");
    let st: serde_json::Value = serde_json::from_str(&answer).unwrap();
    assert_eq!(st["kind"], "Status", "{answer}");
    assert_eq!(st["reason"], "InternalError", "{answer}");
    assert!(
        st["message"].as_str().unwrap().contains("storage error"),
        "{answer}"
    );
    // Refused only once the next record no longer fits: before, the log refused as soon as
    // its 1 MiB preallocation step did not fit, a megabyte short of the limit.
    let record = ANNOTATION_BYTES as u64 + 4096;
    assert!(
        size_at_refusal + 2 * record > limit,
        "refused at {size_at_refusal} bytes of a {limit}-byte disk ({} writes acknowledged)",
        acknowledged.len()
    );
    // Still serving: reads and health.
    let (code, _) = s.curl("GET", &format!("{path}/{}", acknowledged[0]), &[], None);
    assert_eq!(code, 200);
    assert_eq!(s.curl("GET", "/readyz", &[], None), (200, "ok".to_string()));
    assert_eq!(s.stop(), Some(0), "{}", s.log());

    // Everything acknowledged is there after a restart (without the limit).
    let s = Server::start(d.path(), &["--clock", "virtual"]);
    let (code, list) = s.curl("GET", path, &[], None);
    assert_eq!(code, 200, "{list}");
    let v: serde_json::Value = serde_json::from_str(&list).unwrap();
    let names: Vec<&str> = v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["metadata"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, acknowledged);
}
