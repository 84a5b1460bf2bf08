//! Crash safety in CI (issue 9, reliability 1): 3 SIGKILL cycles of `csrsim serve` on sled
//! with 3 writers; `scripts/crash_test.sh` runs 20. The checks (every acknowledged write
//! present with its resourceVersion, resourceVersions never backwards, watches resume or get
//! 410) live in `csrsim bench crash` (src/bench/crash.rs).

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
