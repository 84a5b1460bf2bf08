//! Helpers for the end-to-end tests: run the real `csrsim serve` binary on a free loopback
//! port, and drive it with kubectl, openssl and curl.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

/// `/usr/bin/kubectl` (google-cloud-sdk dispatcher → kubectl.1.33 for our /version), or
/// whatever `kubectl` is on PATH (Debian's kubernetes-client in CI).
pub const KUBECTL: &str = "kubectl";
/// A JSON-body kubectl (≤ 1.31), when the google-cloud-sdk versions are installed.
pub const KUBECTL_1_30: &str = "/usr/lib/google-cloud-sdk/bin/kubectl.1.30";

pub struct Server {
    pub child: Option<Child>,
    pub url: String,
    pub dir: PathBuf,
    pub kubeconfig: PathBuf,
    pub stderr_log: PathBuf,
}

pub fn have(bin: &str) -> bool {
    Command::new(bin)
        .arg("version")
        .arg("--client")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok()
}

impl Server {
    /// Start on the virtual clock with `tokens` (lines of a `--token-auth-file`) written to
    /// DIR/tokens.csv.
    pub fn start_with_tokens(dir: &Path, tokens: &str) -> Server {
        std::fs::create_dir_all(dir).unwrap();
        let file = dir.join("tokens.csv");
        std::fs::write(&file, tokens).unwrap();
        Server::start(
            dir,
            &[
                "--clock",
                "virtual",
                "--token-auth-file",
                file.to_str().unwrap(),
            ],
        )
    }

    /// Start `csrsim serve --data-dir DIR --listen 127.0.0.1:0 <extra>` and wait for its URL.
    pub fn start(dir: &Path, extra: &[&str]) -> Server {
        Server::start_with(dir, extra, |_| {})
    }

    /// [`Server::start`], with `configure` applied to the command before it is spawned
    /// (resource limits, environment).
    pub fn start_with(dir: &Path, extra: &[&str], configure: impl FnOnce(&mut Command)) -> Server {
        std::fs::create_dir_all(dir).unwrap();
        let stderr_log = dir.join(format!(
            "server-{}.log",
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos()
        ));
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_csrsim"));
        cmd.args(["serve", "--data-dir"])
            .arg(dir)
            .args(["--listen", "127.0.0.1:0"])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&stderr_log).unwrap());
        configure(&mut cmd);
        let mut child = cmd.spawn().expect("spawn csrsim serve");
        let out = child.stdout.take().unwrap();
        let mut lines = BufReader::new(out).lines();
        let mut url = String::new();
        for line in lines.by_ref() {
            let line = line.expect("stdout");
            if let Some(u) = line.strip_prefix("Serving on ") {
                url = u.trim().to_string();
                break;
            }
        }
        assert!(
            url.starts_with("https://127.0.0.1:"),
            "no URL printed; log: {}",
            std::fs::read_to_string(&stderr_log).unwrap_or_default()
        );
        // keep draining stdout so the server never blocks on it
        std::thread::spawn(move || for _ in lines {});
        let s = Server {
            child: Some(child),
            url,
            dir: dir.to_path_buf(),
            kubeconfig: dir.join("admin.kubeconfig"),
            stderr_log,
        };
        let (code, body) = s.curl("GET", "/readyz", &[], None);
        assert_eq!((code, body.as_str()), (200, "ok"));
        s
    }

    /// Run a kubectl binary against this server (own HOME, so no shared discovery cache).
    pub fn kubectl(&self, bin: &str, args: &[&str], stdin: Option<&str>) -> Output {
        let mut cmd = Command::new(bin);
        cmd.args(args)
            .env("KUBECONFIG", &self.kubeconfig)
            .env("HOME", &self.dir)
            .env("KUBECACHEDIR", self.dir.join("kube-cache"))
            .current_dir(&self.dir)
            .stdin(if stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().unwrap_or_else(|e| panic!("{bin}: {e}"));
        if let Some(s) = stdin {
            child.stdin.take().unwrap().write_all(s.as_bytes()).unwrap();
        }
        child.wait_with_output().unwrap()
    }

    /// kubectl that must succeed; returns stdout.
    pub fn ok(&self, bin: &str, args: &[&str], stdin: Option<&str>) -> String {
        let o = self.kubectl(bin, args, stdin);
        assert!(
            o.status.success(),
            "{bin} {args:?} failed:\nstdout: {}\nstderr: {}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
        String::from_utf8_lossy(&o.stdout).into_owned()
    }

    /// kubectl that must fail; returns stderr.
    pub fn fails(&self, bin: &str, args: &[&str]) -> String {
        let o = self.kubectl(bin, args, None);
        assert!(
            !o.status.success(),
            "{bin} {args:?} unexpectedly succeeded: {}",
            String::from_utf8_lossy(&o.stdout)
        );
        String::from_utf8_lossy(&o.stderr).into_owned()
    }

    /// Admin client certificate and key as files (decoded from admin.kubeconfig).
    pub fn admin_cert_files(&self) -> (PathBuf, PathBuf) {
        use base64::Engine;
        let text = std::fs::read_to_string(&self.kubeconfig).unwrap();
        let v: serde_json::Value = serde_saphyr::from_str(&text).unwrap();
        let user = &v["users"][0]["user"];
        let dec = |k: &str| {
            base64::engine::general_purpose::STANDARD
                .decode(user[k].as_str().unwrap())
                .unwrap()
        };
        let (c, k) = (self.dir.join("admin.crt"), self.dir.join("admin.key"));
        std::fs::write(&c, dec("client-certificate-data")).unwrap();
        std::fs::write(&k, dec("client-key-data")).unwrap();
        (c, k)
    }

    /// A raw HTTPS request with curl. `auth`: extra curl args (e.g. `--cert`/`--key` or `-H`).
    /// Returns (status code, body).
    pub fn curl_raw(
        &self,
        method: &str,
        path: &str,
        auth: &[String],
        body: Option<(&str, &[u8])>,
    ) -> (u16, String) {
        let mut cmd = Command::new("curl");
        cmd.args(["-s", "-S", "--http1.1", "-X", method, "--cacert"])
            .arg(self.dir.join("ca.crt"))
            .args(auth);
        cmd.args(["-o", "-", "-w", "\n%{http_code}"]);
        let body_file = self.dir.join("curl-body.bin");
        if let Some((ct, b)) = body {
            std::fs::write(&body_file, b).unwrap();
            cmd.arg("-H")
                .arg(format!("Content-Type: {ct}"))
                .arg("--data-binary")
                .arg(format!("@{}", body_file.display()));
        }
        cmd.arg(format!("{}{}", self.url, path));
        let o = cmd.output().expect("curl");
        let out = String::from_utf8_lossy(&o.stdout).into_owned();
        let (body, code) = out.rsplit_once('\n').unwrap_or(("", &out));
        (code.trim().parse().unwrap_or(0), body.to_string())
    }

    /// A raw request as the admin (client certificate).
    pub fn curl(
        &self,
        method: &str,
        path: &str,
        extra: &[&str],
        body: Option<(&str, &[u8])>,
    ) -> (u16, String) {
        let (c, k) = self.admin_cert_files();
        let mut auth = vec![
            "--cert".to_string(),
            c.display().to_string(),
            "--key".to_string(),
            k.display().to_string(),
        ];
        auth.extend(extra.iter().map(|s| s.to_string()));
        self.curl_raw(method, path, &auth, body)
    }

    /// Virtual now from `GET /sim/v1/clock` (RFC 3339).
    pub fn clock(&self) -> String {
        let (code, body) = self.curl("GET", "/sim/v1/clock", &[], None);
        assert_eq!(code, 200, "{body}");
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        v["now"].as_str().unwrap().to_string()
    }

    /// `POST /sim/v1/clock {"advance": d}` as the admin; returns the new now.
    pub fn advance(&self, d: &str) -> String {
        let body = serde_json::json!({"advance": d}).to_string();
        let (code, body) = self.curl(
            "POST",
            "/sim/v1/clock",
            &[],
            Some(("application/json", body.as_bytes())),
        );
        assert_eq!(code, 200, "{body}");
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        v["now"].as_str().unwrap().to_string()
    }

    /// SIGTERM and wait; returns the exit status code.
    pub fn stop(&mut self) -> Option<i32> {
        let mut child = self.child.take()?;
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(child.id().to_string())
            .status();
        for _ in 0..100 {
            if let Ok(Some(st)) = child.try_wait() {
                return st.code();
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = child.kill();
        child.wait().ok().and_then(|s| s.code())
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.stderr_log).unwrap_or_default()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// Run a shell command line in `dir`; must succeed; returns stdout.
pub fn sh(dir: &Path, line: &str, env: &[(&str, &Path)]) -> String {
    let mut cmd = Command::new("sh");
    cmd.arg("-c").arg(line).current_dir(dir);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let o = cmd.output().unwrap();
    assert!(
        o.status.success(),
        "`{line}` failed: {}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}
