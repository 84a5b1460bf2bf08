//! `csrsim serve` on a disk that fills up: writes go on while a record still fits (the store
//! log's preallocation ahead of the records gives way first), a write that does not fit is a
//! 500 that leaves the server serving, and every acknowledged write is there after a restart.
//! The disk is simulated with the server's `RLIMIT_FSIZE` (writes past it fail with EFBIG,
//! as writes to a full disk fail with ENOSPC; `SIGXFSZ` is ignored so the write returns).
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

#[test]
fn a_full_disk_refuses_only_what_does_not_fit_and_loses_nothing_acknowledged() {
    let d = tempfile::tempdir().unwrap();
    let limit = FILE_LIMIT;
    let mut s = Server::start_with(d.path(), &["--clock", "virtual"], move |cmd| {
        // SAFETY: setrlimit and signal are async-signal-safe calls made in the child between
        // fork and exec, touching no memory of the parent.
        unsafe {
            cmd.pre_exec(move || {
                libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
                let l = libc::rlimit {
                    rlim_cur: limit,
                    rlim_max: limit,
                };
                if libc::setrlimit(libc::RLIMIT_FSIZE, &l) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
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
