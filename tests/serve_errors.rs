//! `csrsim serve` when something is wrong with its data dir, and how it stops: each refusal
//! is one line on stderr naming the path and the cause, exit 1, and the data left as it was
//! (never a panic, never a fresh start over existing data).
#![allow(clippy::disallowed_methods)] // edge: tests use the wall clock

mod server_support;

use server_support::Server;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Run `csrsim serve --data-dir DIR --listen 127.0.0.1:0` expecting it to refuse to start:
/// returns its stderr, checked to be one line and exit 1 within 20 s.
fn refused(dir: &Path) -> String {
    let stderr = refused_with_log(dir);
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    stderr
}

/// [`refused`], allowing log lines (a library's warnings) before the last line, which is
/// returned.
fn refused_with_log(dir: &Path) -> String {
    let mut child = Command::new(env!("CARGO_BIN_EXE_csrsim"))
        .args(["serve", "--data-dir"])
        .arg(dir)
        .args(["--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let t = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if t.elapsed() > Duration::from_secs(20) {
            let _ = child.kill();
            let o = child.wait_with_output().unwrap();
            panic!(
                "still serving; stdout: {}",
                String::from_utf8_lossy(&o.stdout)
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let o = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr).into_owned();
    assert_eq!(o.status.code(), Some(1), "{stderr}");
    assert!(
        o.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    stderr
        .lines()
        .last()
        .map(|l| l.to_string() + "\n")
        .unwrap_or_default()
}

/// A data dir with a CA and a few stored objects (written by a server, then stopped).
fn populated(dir: &Path) {
    let mut s = Server::start(dir, &["--clock", "virtual"]);
    for n in 0..3 {
        s.ok(
            server_support::KUBECTL,
            &["create", "namespace", &format!("ns-{n}")],
            None,
        );
    }
    assert_eq!(s.stop(), Some(0), "{}", s.log());
}

#[test]
fn a_data_dir_that_is_a_file_is_named_as_such() {
    let d = tempfile::tempdir().unwrap();
    let f = d.path().join("data");
    std::fs::write(&f, "x").unwrap();
    let e = refused(&f);
    assert_eq!(
        e.trim_end(),
        format!(
            "csrsim serve: {}: not a directory (the data dir must be a directory)",
            f.display()
        )
    );
    assert_eq!(std::fs::read_to_string(&f).unwrap(), "x");
}

/// A file where the data dir's `wal/` or `pki/` folder goes: named as such (was `File exists`).
#[test]
fn a_file_in_place_of_wal_or_pki_is_named_as_such() {
    for (sub, why) in [
        ("wal", "csrsim keeps its store log in it"),
        ("pki", "csrsim keeps its CA in it"),
    ] {
        let d = tempfile::tempdir().unwrap();
        let dir = d.path().join("data");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(sub), "x").unwrap();
        let e = refused(&dir);
        assert_eq!(
            e.trim_end(),
            format!(
                "csrsim serve: {}: not a directory ({why})",
                dir.join(sub).display()
            )
        );
    }
}

#[test]
fn a_second_server_on_the_same_data_dir_is_refused_and_the_first_keeps_serving() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path().join("data");
    let mut first = Server::start(&dir, &["--clock", "virtual"]);
    let kubeconfig = std::fs::read(dir.join("admin.kubeconfig")).unwrap();
    let e = refused(&dir);
    assert!(
        e.starts_with(&format!(
            "csrsim serve: {}: in use by another csrsim process",
            dir.display()
        )),
        "{e}"
    );
    // the refused one wrote nothing over the running one's files
    assert_eq!(
        std::fs::read(dir.join("admin.kubeconfig")).unwrap(),
        kubeconfig
    );
    first.ok(
        server_support::KUBECTL,
        &["create", "namespace", "still"],
        None,
    );
    assert_eq!(first.stop(), Some(0));
}

/// A CA certificate without its key (or the reverse) used to be replaced by a new CA, so
/// every issued certificate and kubeconfig stopped verifying; now the server refuses.
#[test]
fn half_a_ca_is_refused_not_replaced() {
    for missing in ["ca.key", "ca.crt"] {
        let d = tempfile::tempdir().unwrap();
        let dir = d.path().join("data");
        populated(&dir);
        let pki = dir.join("pki");
        let other = if missing == "ca.key" {
            "ca.crt"
        } else {
            "ca.key"
        };
        let kept = std::fs::read(pki.join(other)).unwrap();
        std::fs::remove_file(pki.join(missing)).unwrap();
        let e = refused(&dir);
        assert!(
            e.starts_with(&format!(
                "csrsim serve: {}: missing, but {} exists: refusing to make a new CA",
                pki.join(missing).display(),
                pki.join(other).display()
            )),
            "{e}"
        );
        assert_eq!(std::fs::read(pki.join(other)).unwrap(), kept, "{missing}");
        assert!(!pki.join(missing).exists());
    }
}

/// Damage inside the store log (every sector written, the checksum fails) used to end the
/// log there and cut it: the damaged record and every later one were dropped without a word.
#[test]
fn a_damaged_store_log_is_refused_and_left_as_it_is() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path().join("data");
    populated(&dir);
    let log = dir.join("wal").join("log");
    let mut bytes = std::fs::read(&log).unwrap();
    // the middle of the first record (the bootstrap objects): many records follow it
    bytes[8 + 8 + 100] ^= 0x01;
    std::fs::write(&log, &bytes).unwrap();
    let e = refused(&dir);
    assert!(
        e.starts_with(&format!(
            "csrsim serve: {}: record at byte 8 fails its checksum",
            log.display()
        )) && e.contains("nothing was cut"),
        "{e}"
    );
    assert_eq!(std::fs::read(&log).unwrap(), bytes, "log untouched");
}

#[test]
fn a_store_log_of_another_format_version_is_refused_by_version() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path().join("data");
    populated(&dir);
    let log = dir.join("wal").join("log");
    let mut bytes = std::fs::read(&log).unwrap();
    bytes[..8].copy_from_slice(b"csrlog7\n");
    std::fs::write(&log, &bytes).unwrap();
    let e = refused(&dir);
    assert!(
        e.starts_with(&format!(
            "csrsim serve: {}: written in store format version 7 by another csrsim; this \
             csrsim reads version 1 only",
            log.display()
        )),
        "{e}"
    );
    assert_eq!(std::fs::read(&log).unwrap(), bytes);
}

/// SIGINT (Ctrl-C) stops the server as SIGTERM does: exit 0 promptly, an open watch ends
/// (the client sees its stream close), and what was acknowledged is there after a restart.
#[test]
fn sigint_stops_cleanly_with_a_watch_open() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path().join("data");
    let mut s = Server::start(&dir, &["--clock", "virtual"]);
    s.ok(
        server_support::KUBECTL,
        &["create", "namespace", "kept"],
        None,
    );
    let mut watch = Command::new(server_support::KUBECTL)
        .args(["get", "namespaces", "--watch", "--request-timeout=0"])
        .env("KUBECONFIG", &s.kubeconfig)
        .env("HOME", &s.dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    let mut child = s.child.take().unwrap();
    let t = Instant::now();
    Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    let code = loop {
        if let Some(st) = child.try_wait().unwrap() {
            break st.code();
        }
        assert!(
            t.elapsed() < Duration::from_secs(10),
            "not stopped after 10 s"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(code, Some(0), "{}", s.log());
    let t = Instant::now();
    while watch.try_wait().unwrap().is_none() {
        assert!(
            t.elapsed() < Duration::from_secs(10),
            "the watch stayed open after the server stopped"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let s = Server::start(&dir, &["--clock", "virtual"]);
    s.ok(server_support::KUBECTL, &["get", "namespace", "kept"], None);
}

/// A bad flag value names the flag (it used to be `invalid duration "forever": …` alone), with
/// either clock.
#[test]
fn a_bad_flag_value_names_the_flag() {
    for (flag, value, clock) in [
        ("--cluster-signing-duration", "forever", "real"),
        ("--namespace-deletion-delay", "soon", "virtual"),
        ("--start-time", "yesterday", "virtual"),
    ] {
        let d = tempfile::tempdir().unwrap();
        let o = Command::new(env!("CARGO_BIN_EXE_csrsim"))
            .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
            .arg(d.path())
            .args(["--clock", clock, flag, value])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "{flag}: {stderr}");
        assert!(
            stderr.starts_with(&format!("csrsim serve: {flag}: ")) && stderr.contains(value),
            "{stderr}"
        );
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
    }
}

#[test]
fn serve_help_states_the_exit_statuses() {
    let o = Command::new(env!("CARGO_BIN_EXE_csrsim"))
        .args(["serve", "--help"])
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success());
    assert!(
        help.contains("Exit status: 0 after SIGTERM or SIGINT")
            && help.contains("1 when it cannot start")
            && help.contains("2 a command-line usage error"),
        "{help}"
    );
}

/// A data dir an earlier csrsim wrote with sled (`DIR/store/`), its files damaged: the last
/// line names the store (sled logs its own warnings before it), exit 1, never a panic and
/// never a fresh start — a damaged `db` used to be served as an empty store.
#[test]
fn a_damaged_sled_store_is_refused() {
    use csrsim::store::{self, Backend};
    for damage in ["conf", "db", "blobs"] {
        let d = tempfile::tempdir().unwrap();
        let dir = d.path().join("data");
        std::fs::create_dir_all(&dir).unwrap();
        {
            let mut sled = store::sled_backend::SledBackend::open(&dir).unwrap();
            let writes: Vec<(String, Option<store::Bytes>)> = (0..50)
                .map(|i| {
                    (
                        store::key("", "namespaces", "", &format!("ns-{i}")),
                        Some(std::sync::Arc::new(
                            format!(
                                r#"{{"metadata":{{"name":"ns-{i}","resourceVersion":"{}"}}}}"#,
                                i + 1
                            )
                            .into_bytes(),
                        )),
                    )
                })
                .collect();
            sled.commit(
                &writes,
                store::Meta {
                    rv: 50,
                    clock_ms: 0,
                },
            )
            .unwrap();
        }
        let target = dir.join("store").join(damage);
        match damage {
            "blobs" => {
                std::fs::remove_dir_all(&target).ok();
                std::fs::write(&target, "not a folder").unwrap();
            }
            _ => {
                let len = std::fs::metadata(&target).unwrap().len() as usize;
                let junk: Vec<u8> = (0..len.max(64)).map(|i| (i * 7 + 13) as u8).collect();
                std::fs::write(&target, junk).unwrap();
            }
        }
        let e = refused_with_log(&dir);
        eprintln!("{damage}: {e}");
        // (sled itself rewrites what it cannot read when it opens: the point is that the
        // server does not then serve an empty store as if it were the data)
        assert!(
            e.starts_with(&format!("csrsim serve: {}: ", dir.join("store").display()))
                && e.contains("damaged, or not written by csrsim"),
            "{damage}: {e}"
        );
    }
}

/// Without --data-dir the server's files (admin.kubeconfig, ca.crt) go to `<tmp>/csrsim-<pid>`,
/// which a clean exit removes (it used to stay behind); a --data-dir is kept.
#[test]
fn the_temporary_dir_is_removed_at_a_clean_exit() {
    use std::io::BufRead;
    let mut child = Command::new(env!("CARGO_BIN_EXE_csrsim"))
        .args(["serve", "--listen", "127.0.0.1:0", "--clock", "virtual"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let kubeconfig = lines
        .by_ref()
        .map_while(Result::ok)
        .find_map(|l| l.strip_prefix("Admin kubeconfig: ").map(String::from))
        .expect("kubeconfig line");
    let dir = Path::new(&kubeconfig).parent().unwrap().to_path_buf();
    assert_eq!(
        dir.file_name().unwrap().to_string_lossy(),
        format!("csrsim-{}", child.id())
    );
    assert!(dir.join("ca.crt").is_file());
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert_eq!(child.wait().unwrap().code(), Some(0));
    assert!(!dir.exists(), "{} left behind", dir.display());

    let d = tempfile::tempdir().unwrap();
    let data = d.path().join("data");
    let mut s = Server::start(&data, &["--clock", "virtual"]);
    assert_eq!(s.stop(), Some(0));
    assert!(data.join("admin.kubeconfig").is_file(), "--data-dir kept");
}

/// SIGTERM while a big data dir loads (before "Serving on"): exit 0 once start-up is done,
/// the data intact (it used to kill the process: the handler was installed after start-up).
#[test]
fn sigterm_during_start_up_exits_0() {
    use csrsim::store::{log_backend::LogBackend, Backend, Meta};
    use std::sync::Arc;
    let d = tempfile::tempdir().unwrap();
    let dir = d.path().join("data");
    drop(Server::start(&dir, &["--clock", "virtual"]));
    // A store log with many objects: its loading takes a while.
    const N: u64 = 400_000;
    let rv0 = {
        let mut b = LogBackend::open(&dir).unwrap();
        let (objects, meta) = b.load().unwrap();
        let rv0 = meta
            .map_or(0, |m| m.rv)
            .max(objects.values().map(|(rv, _)| *rv).max().unwrap_or(0));
        let writes: Vec<_> = (1..=N)
            .map(|i| {
                let json = format!(r#"{{"apiVersion":"v1","kind":"Secret","metadata":{{"name":"s-{i}","namespace":"bulk","resourceVersion":"{}"}}}}"#, rv0 + i);
                (format!("core/secrets/bulk/s-{i}"), Some(Arc::new(json.into_bytes())))
            })
            .collect();
        for (n, chunk) in writes.chunks(20_000).enumerate() {
            let rv = rv0 + (n as u64 + 1) * chunk.len() as u64;
            b.commit(chunk, Meta { rv, clock_ms: 0 }).unwrap();
        }
        rv0
    };
    let t = Instant::now();
    let child = Command::new(env!("CARGO_BIN_EXE_csrsim"))
        .args(["serve", "--data-dir"])
        .arg(&dir)
        .args(["--listen", "127.0.0.1:0", "--clock", "virtual"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(150));
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let o = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&o.stdout);
    let stderr = String::from_utf8_lossy(&o.stderr);
    eprintln!("stopped after {:?}; stdout: {stdout}", t.elapsed());
    assert_eq!(o.status.code(), Some(0), "{stderr}");
    // nothing half-written: the next start serves every object
    let s = Server::start(&dir, &["--clock", "virtual"]);
    let (code, body) = s.curl(
        "GET",
        &format!("/api/v1/namespaces/bulk/secrets/s-{N}"),
        &[],
        None,
    );
    assert_eq!(code, 200, "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        v["metadata"]["resourceVersion"],
        (rv0 + N).to_string(),
        "{body}"
    );
}
