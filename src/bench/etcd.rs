//! etcd (Debian's `etcd-server`) started on loopback as the peer for https-create: a fresh
//! data dir, default fsync, puts through the v3 JSON gateway (`POST /v3/kv/put`).

use super::client::{runtime, Conn};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Etcd {
    child: Child,
    pub addr: String,
}

/// A free loopback port (bound and released).
pub fn free_port() -> Result<u16, String> {
    let l = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    Ok(l.local_addr().map_err(|e| e.to_string())?.port())
}

impl Etcd {
    pub fn start(bin: &Path, dir: &Path) -> Result<Etcd, String> {
        std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
        let (cp, pp) = (free_port()?, free_port()?);
        let client = format!("http://127.0.0.1:{cp}");
        let peer = format!("http://127.0.0.1:{pp}");
        let log = std::fs::File::create(dir.join("etcd.log")).map_err(|e| e.to_string())?;
        let child = Command::new(bin)
            .arg("--name=bench")
            .arg(format!("--data-dir={}", dir.join("data").display()))
            .arg(format!("--listen-client-urls={client}"))
            .arg(format!("--advertise-client-urls={client}"))
            .arg(format!("--listen-peer-urls={peer}"))
            .arg(format!("--initial-advertise-peer-urls={peer}"))
            .arg(format!("--initial-cluster=bench={peer}"))
            .arg("--log-level=error")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .map_err(|e| format!("spawn {}: {e} (apt-get install etcd-server)", bin.display()))?;
        let e = Etcd {
            child,
            addr: format!("127.0.0.1:{cp}"),
        };
        let rt = runtime()?;
        let t0 = Instant::now();
        rt.block_on(async {
            loop {
                if let Ok(mut c) = Conn::connect(&e.addr, None).await {
                    if let Ok(r) = c.request("GET", "/health", "application/json", b"").await {
                        if r.status == 200 {
                            return Ok(());
                        }
                    }
                }
                if t0.elapsed() > Duration::from_secs(30) {
                    return Err("etcd did not become healthy".to_string());
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        })?;
        Ok(e)
    }
}

impl Drop for Etcd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The gateway body putting `value` under the key an apiserver would use for CSR `name`.
pub fn put_body(name: &str, value: &[u8]) -> Vec<u8> {
    use base64::Engine;
    let b = base64::engine::general_purpose::STANDARD;
    serde_json::to_vec(&serde_json::json!({
        "key": b.encode(format!("/registry/certificates.k8s.io/certificatesigningrequests/{name}")),
        "value": b.encode(value),
    }))
    .expect("json")
}
