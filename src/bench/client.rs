//! A minimal HTTP/1.1 keep-alive client over TLS (csrsim) or plain TCP (etcd's gateway), so
//! the benchmarks measure the servers and not a client library. Responses are read by
//! Content-Length or chunked encoding; watch streams are read chunk by chunk.

use std::io;
use std::path::Path;
use std::sync::Arc;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

/// Anything we can speak HTTP over.
pub trait Stream: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Stream for T {}

/// TLS settings to reach `csrsim serve` as its admin (cluster CA + admin client certificate).
#[derive(Clone)]
pub struct Tls {
    /// ALPN `http/1.1`.
    pub connector: tokio_rustls::TlsConnector,
    /// ALPN `h2`.
    pub h2_connector: tokio_rustls::TlsConnector,
}

impl Tls {
    /// Read `ca.crt` and `admin.kubeconfig` from a server's data dir.
    pub fn from_data_dir(dir: &Path) -> Result<Tls, String> {
        use base64::Engine;
        use rustls_pki_types::pem::PemObject;
        use rustls_pki_types::{CertificateDer, PrivateKeyDer};
        let ca = std::fs::read(dir.join("ca.crt")).map_err(|e| format!("ca.crt: {e}"))?;
        let kc = std::fs::read_to_string(dir.join("admin.kubeconfig"))
            .map_err(|e| format!("admin.kubeconfig: {e}"))?;
        let v: serde_json::Value =
            serde_saphyr::from_str(&kc).map_err(|e| format!("admin.kubeconfig: {e}"))?;
        let user = &v["users"][0]["user"];
        let dec = |k: &str| -> Result<Vec<u8>, String> {
            base64::engine::general_purpose::STANDARD
                .decode(user[k].as_str().unwrap_or(""))
                .map_err(|e| format!("{k}: {e}"))
        };
        let cert = dec("client-certificate-data")?;
        let key = dec("client-key-data")?;
        let mut roots = rustls::RootCertStore::empty();
        for c in CertificateDer::pem_slice_iter(&ca) {
            roots
                .add(c.map_err(|e| format!("ca.crt: {e:?}"))?)
                .map_err(|e| format!("ca.crt: {e}"))?;
        }
        let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&cert)
            .collect::<Result<_, _>>()
            .map_err(|e| format!("client cert: {e:?}"))?;
        let key = PrivateKeyDer::from_pem_slice(&key).map_err(|e| format!("client key: {e:?}"))?;
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut cfg = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| e.to_string())?
            .with_root_certificates(roots)
            .with_client_auth_cert(chain, key)
            .map_err(|e| format!("client auth: {e}"))?;
        let mut h2 = cfg.clone();
        cfg.alpn_protocols = vec![b"http/1.1".to_vec()];
        h2.alpn_protocols = vec![b"h2".to_vec()];
        Ok(Tls {
            connector: tokio_rustls::TlsConnector::from(Arc::new(cfg)),
            h2_connector: tokio_rustls::TlsConnector::from(Arc::new(h2)),
        })
    }
}

/// Socket read buffer under the TLS layer.
pub const TLS_READ_BUFFER: usize = 64 * 1024;

/// One keep-alive connection.
pub struct Conn {
    io: BufReader<Box<dyn Stream>>,
    host: String,
}

/// A response: status and body.
pub struct Resp {
    pub status: u16,
    pub body: Vec<u8>,
}

impl Conn {
    /// Connect to `addr` ("127.0.0.1:port"), over TLS when `tls` is given.
    pub async fn connect(addr: &str, tls: Option<&Tls>) -> io::Result<Conn> {
        let tcp = TcpStream::connect(addr).await?;
        tcp.set_nodelay(true)?;
        let s: Box<dyn Stream> = match tls {
            Some(t) => {
                let name = rustls_pki_types::ServerName::try_from("127.0.0.1")
                    .map_err(|e| io::Error::other(e.to_string()))?;
                // rustls reads the socket 4 KiB at a time (and shrinks its buffer between
                // records): a read buffer under it turns those reads into memory copies, one
                // `recv` per burst instead of one per 4 KiB.
                let tcp = BufReader::with_capacity(TLS_READ_BUFFER, tcp);
                Box::new(t.connector.connect(name.to_owned(), tcp).await?)
            }
            None => Box::new(tcp),
        };
        Ok(Conn {
            io: BufReader::with_capacity(64 * 1024, s),
            host: addr.to_string(),
        })
    }

    /// Send one request (no body when `body` is empty and method is GET).
    pub async fn send(
        &mut self,
        method: &str,
        path: &str,
        content_type: &str,
        body: &[u8],
    ) -> io::Result<()> {
        let mut req = Vec::with_capacity(256 + body.len());
        req.extend_from_slice(
            format!(
                "{method} {path} HTTP/1.1\r\nHost: {}\r\nAccept: application/json\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\r\n",
                self.host,
                body.len()
            )
            .as_bytes(),
        );
        req.extend_from_slice(body);
        let w = self.io.get_mut();
        w.write_all(&req).await?;
        w.flush().await
    }

    /// Write raw bytes (a hand-made request head, for limit tests).
    pub async fn send_raw(&mut self, bytes: &[u8]) -> io::Result<()> {
        let w = self.io.get_mut();
        w.write_all(bytes).await?;
        w.flush().await
    }

    /// Read a status line and headers; returns (status, content-length, chunked).
    async fn head(&mut self) -> io::Result<(u16, Option<usize>, bool)> {
        let mut line = String::new();
        if self.io.read_line(&mut line).await? == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "connection closed",
            ));
        }
        let status = line
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| io::Error::other(format!("bad status line {line:?}")))?;
        let (mut len, mut chunked) = (None, false);
        loop {
            line.clear();
            if self.io.read_line(&mut line).await? == 0 {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "eof in headers",
                ));
            }
            let l = line.trim_end();
            if l.is_empty() {
                break;
            }
            if let Some((k, v)) = l.split_once(':') {
                let k = k.trim().to_ascii_lowercase();
                let v = v.trim();
                if k == "content-length" {
                    len = v.parse().ok();
                } else if k == "transfer-encoding" && v.eq_ignore_ascii_case("chunked") {
                    chunked = true;
                }
            }
        }
        Ok((status, len, chunked))
    }

    /// Read one chunk of a chunked body; `None` at the last chunk.
    pub async fn chunk(&mut self) -> io::Result<Option<Vec<u8>>> {
        let mut buf = Vec::new();
        Ok(self.chunk_into(&mut buf).await?.then_some(buf))
    }

    /// [`Conn::chunk`] into a buffer the caller reuses (a watcher reading thousands of
    /// chunks allocates once): `buf` holds the chunk's data; `false` at the last chunk.
    pub async fn chunk_into(&mut self, buf: &mut Vec<u8>) -> io::Result<bool> {
        let size = self.chunk_size(buf).await?;
        self.chunk_data(size, buf).await?;
        Ok(size != 0)
    }

    /// The next piece of a chunked body, in place in the read buffer: at most what is
    /// buffered of the current chunk, handed to `f`. `left` is the caller's count of the
    /// current chunk's bytes still to come (0 before the first call); `line` is scratch space
    /// for size lines. `None` after the last chunk. A watcher that fell behind gets chunks of
    /// many events, up to megabytes: reading them piecewise needs no chunk-sized buffer
    /// (copying one into a growing `Vec` was most of the bench client's CPU — fresh huge pages
    /// zeroed for every watcher — and starved the server of the core it shares).
    pub async fn body_piece<R>(
        &mut self,
        left: &mut usize,
        line: &mut Vec<u8>,
        f: impl FnOnce(&[u8]) -> R,
    ) -> io::Result<Option<(usize, R)>> {
        if *left == 0 {
            let size = self.chunk_size(line).await?;
            if size == 0 {
                self.chunk_data(0, line).await?;
                return Ok(None);
            }
            *left = size;
        }
        let avail = self.io.fill_buf().await?;
        if avail.is_empty() {
            return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "eof in chunk"));
        }
        let n = avail.len().min(*left);
        let r = f(&avail[..n]);
        self.io.consume(n);
        *left -= n;
        if *left == 0 {
            self.crlf().await?;
        }
        Ok(Some((n, r)))
    }

    /// The CRLF that ends a chunk's data.
    async fn crlf(&mut self) -> io::Result<()> {
        let mut got = [0u8; 2];
        self.io.read_exact(&mut got).await?;
        if &got != b"\r\n" {
            return Err(io::Error::other(format!(
                "chunk not ended by CRLF: {got:?}"
            )));
        }
        Ok(())
    }

    /// The size line of a chunk (`line` is scratch space).
    async fn chunk_size(&mut self, line: &mut Vec<u8>) -> io::Result<usize> {
        line.clear();
        if self.io.read_until(b'\n', line).await? == 0 {
            return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "eof in chunk"));
        }
        std::str::from_utf8(line)
            .ok()
            .and_then(|l| usize::from_str_radix(l.trim().split(';').next()?, 16).ok())
            .ok_or_else(|| {
                io::Error::other(format!(
                    "bad chunk size {:?}",
                    String::from_utf8_lossy(line)
                ))
            })
    }

    /// The data of a chunk of `size` bytes and its CRLF; `buf` holds the data.
    async fn chunk_data(&mut self, size: usize, buf: &mut Vec<u8>) -> io::Result<()> {
        // Copy straight out of the read buffer (no zero-filling of `buf` first).
        buf.clear();
        buf.reserve(size + 2);
        while buf.len() < size + 2 {
            let avail = self.io.fill_buf().await?;
            if avail.is_empty() {
                return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "eof in chunk"));
            }
            let n = avail.len().min(size + 2 - buf.len());
            buf.extend_from_slice(&avail[..n]);
            self.io.consume(n);
        }
        buf.truncate(size);
        Ok(())
    }

    /// Read a whole response.
    pub async fn response(&mut self) -> io::Result<Resp> {
        let (status, len, chunked) = self.head().await?;
        let mut body = Vec::new();
        if chunked {
            while let Some(c) = self.chunk().await? {
                body.extend_from_slice(&c);
            }
        } else if let Some(n) = len {
            body.resize(n, 0);
            self.io.read_exact(&mut body).await?;
        }
        Ok(Resp { status, body })
    }

    /// Send and read one request/response.
    pub async fn request(
        &mut self,
        method: &str,
        path: &str,
        content_type: &str,
        body: &[u8],
    ) -> io::Result<Resp> {
        self.send(method, path, content_type, body).await?;
        self.response().await
    }

    /// Start a watch: send the GET and read the response head (the body is then read with
    /// [`Conn::chunk`]). Returns the status.
    pub async fn start_stream(&mut self, path: &str) -> io::Result<u16> {
        self.send("GET", path, "application/json", b"").await?;
        let (status, _, _) = self.head().await?;
        Ok(status)
    }
}

/// Go's HTTP/2 transport windows (`transportDefaultStreamFlow`, `transportDefaultConnFlow` in
/// golang.org/x/net/http2/transport.go): what client-go advertises, so the server is never
/// held back by the client's flow control.
const GO_STREAM_WINDOW: u32 = 4 << 20;
const GO_CONN_WINDOW: u32 = 1 << 30;

/// One HTTP/2 connection over TLS (ALPN h2) to `addr`, driven by a spawned task.
pub async fn connect_h2(
    addr: &str,
    tls: &Tls,
) -> io::Result<h2::client::SendRequest<bytes::Bytes>> {
    let tcp = TcpStream::connect(addr).await?;
    tcp.set_nodelay(true)?;
    let name = rustls_pki_types::ServerName::try_from("127.0.0.1")
        .map_err(|e| io::Error::other(e.to_string()))?;
    let tcp = BufReader::with_capacity(TLS_READ_BUFFER, tcp);
    let s = tls.h2_connector.connect(name.to_owned(), tcp).await?;
    if s.get_ref().1.alpn_protocol() != Some(b"h2") {
        return Err(io::Error::other("the server did not agree to h2"));
    }
    let (send, conn) = h2::client::Builder::new()
        .initial_window_size(GO_STREAM_WINDOW)
        .initial_connection_window_size(GO_CONN_WINDOW)
        .handshake(s)
        .await
        .map_err(io::Error::other)?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    send.ready().await.map_err(io::Error::other)
}

/// Start a GET `path` stream on an HTTP/2 connection: the status and the body's stream.
pub async fn start_h2_stream(
    send: &mut h2::client::SendRequest<bytes::Bytes>,
    path: &str,
) -> io::Result<(u16, h2::RecvStream)> {
    let req = http::Request::get(format!("https://127.0.0.1{path}"))
        .header("accept", "application/json")
        .body(())
        .map_err(io::Error::other)?;
    let ready = send.clone().ready().await.map_err(io::Error::other)?;
    *send = ready;
    let (resp, _) = send.send_request(req, true).map_err(io::Error::other)?;
    let resp = resp.await.map_err(io::Error::other)?;
    Ok((resp.status().as_u16(), resp.into_body()))
}

/// `host:port` of a `https://host:port` URL.
pub fn addr_of(url: &str) -> String {
    url.trim_start_matches("https://")
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_string()
}

/// A current-thread runtime for a benchmark client (one core for the client side).
pub fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())
}
