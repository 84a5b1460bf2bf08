//! Crash safety in CI (issue 9, reliability 1): 3 SIGKILL cycles of `csrsim serve` on its
//! data dir (the log store) with 3 writers; `scripts/crash_test.sh` runs 20. The checks (every
//! acknowledged write present with its resourceVersion, resourceVersions never backwards,
//! watches resume or get 410) live in `csrsim bench crash` (src/bench/crash.rs).

use std::process::Command;

#[test]
fn sigkill_cycles_lose_no_acknowledged_write() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_csrsim"))
        .args([
            "bench",
            "crash",
            "--cycles",
            "3",
            "--clients",
            "3",
            "--work-dir",
        ])
        .arg(dir.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(
        stdout.contains("crash safety, 3 SIGKILL cycles") && stdout.contains("all present"),
        "{stdout}"
    );
    // every cycle acknowledged something, so the kills landed mid-write
    assert_eq!(stderr.matches("acknowledged writes").count(), 3, "{stderr}");
}

/// An unknown benchmark name is a usage error (exit 2, the known names listed) before anything
/// runs: no table header on stdout, no work dir created.
#[test]
fn unknown_benchmark_is_refused_before_anything_runs() {
    let dir = tempfile::tempdir().unwrap();
    let work = dir.path().join("work");
    let out = Command::new(env!("CARGO_BIN_EXE_csrsim"))
        .args(["bench", "lifecyle", "--work-dir"])
        .arg(&work)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        out.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(
        stderr.contains("lifecyle") && stderr.contains("watch-fanout"),
        "{stderr}"
    );
    assert!(!work.exists());
}
