//! [`RemoteCluster`]: the same calls as [`crate::sim::Cluster`] (`apply`, `watch_poll`,
//! `advance`, `now`), carried over HTTPS to any Kubernetes API server reached through a
//! kubeconfig. Scenario identities become impersonation headers on the kubeconfig's
//! credentials, as `kubectl --as/--as-group` does.
//!
//! This is an edge module: it does network I/O and reads the wall clock for timeouts.
#![allow(clippy::disallowed_methods)]

use super::kubeconfig::Kubeconfig;
use crate::api::{ListOptions, Status, Time, WatchEvent};
use crate::auth::identity::SYSTEM_AUTHENTICATED;
use crate::auth::Identity;
use crate::sim::{ApiRequest, ApiResponse, PatchType, Verb, WatchCursor, WatchStream};
use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::sync::Arc;
use std::time::Duration;

/// A remote watch poll returns once events stop arriving for this long.
const WATCH_QUIET: Duration = Duration::from_millis(50);
/// The reason of the 503 Status that stands for a request that never got an HTTP answer
/// (connection refused, TLS failure, timeout): no API server writes it.
pub const TRANSPORT_ERROR: &str = "ClientTransportError";
use ureq::tls::{Certificate, ClientCert, PrivateKey, RootCerts, TlsConfig};

/// A connection to a live API server.
pub struct RemoteCluster {
    agent: ureq::Agent,
    server: String,
    token: Option<String>,
    /// The identity the kubeconfig's credentials stand for: requests as this identity are sent
    /// without impersonation.
    pub admin: Identity,
}

fn pct(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The URL path of a request (`/apis/<g>/<v>[/namespaces/<ns>]/<resource>[/<name>[/<sub>]]`).
pub fn request_path(req: &ApiRequest) -> String {
    let version = if req.version.is_empty() {
        "v1"
    } else {
        &req.version
    };
    let mut p = if req.group.is_empty() {
        format!("/api/{version}")
    } else {
        format!("/apis/{}/{version}", req.group)
    };
    if !req.namespace.is_empty() {
        p.push_str(&format!("/namespaces/{}", pct(&req.namespace)));
    }
    p.push('/');
    p.push_str(&req.resource);
    if !req.name.is_empty() {
        p.push('/');
        p.push_str(&pct(&req.name));
        if !req.subresource.is_empty() {
            p.push('/');
            p.push_str(&req.subresource);
        }
    }
    p
}

fn query(o: &ListOptions, watch: bool, dry_run: bool) -> String {
    let mut q: Vec<String> = Vec::new();
    let mut add = |k: &str, v: &str| {
        if !v.is_empty() {
            q.push(format!("{k}={}", pct(v)));
        }
    };
    add("labelSelector", &o.label_selector);
    add("fieldSelector", &o.field_selector);
    add("resourceVersion", &o.resource_version);
    add("resourceVersionMatch", &o.resource_version_match);
    add("continue", &o.continue_);
    if let Some(l) = o.limit {
        q.push(format!("limit={l}"));
    }
    if watch {
        q.push("watch=1".into());
        if o.allow_watch_bookmarks {
            q.push("allowWatchBookmarks=true".into());
        }
    }
    if dry_run {
        q.push("dryRun=All".into());
    }
    if q.is_empty() {
        String::new()
    } else {
        format!("?{}", q.join("&"))
    }
}

fn status_from(code: u16, body: &str) -> Status {
    match serde_json::from_str::<Status>(body) {
        Ok(s) if s.kind == "Status" => s,
        _ => Status::failure(
            code,
            "Unknown",
            format!("the server responded with HTTP {code}: {}", body.trim()),
        ),
    }
}

impl RemoteCluster {
    pub fn connect(kc: &Kubeconfig) -> Result<RemoteCluster, String> {
        let mut tls = TlsConfig::builder();
        if let Some(ca) = &kc.ca_pem {
            // client-go's `rootCertPool`: every CERTIFICATE block of the bundle is trusted
            // (`AppendCertsFromPEM`), other blocks are skipped.
            let roots: Vec<Certificate<'static>> = ureq::tls::parse_pem(ca)
                .filter_map(|item| match item {
                    Ok(ureq::tls::PemItem::Certificate(c)) => Some(c),
                    _ => None,
                })
                .collect();
            if roots.is_empty() {
                return Err("kubeconfig: certificate-authority holds no certificate".into());
            }
            tls = tls.root_certs(RootCerts::Specific(Arc::new(roots)));
        }
        if kc.insecure {
            tls = tls.disable_verification(true);
        }
        if let (Some(c), Some(k)) = (&kc.client_cert_pem, &kc.client_key_pem) {
            let cert = Certificate::from_pem(c)
                .map_err(|e| format!("kubeconfig client certificate: {e}"))?
                .to_owned();
            let key = PrivateKey::from_pem(k)
                .map_err(|e| format!("kubeconfig client key: {e}"))?
                .to_owned();
            tls = tls.client_cert(Some(ClientCert::new_with_certs(&[cert], key)));
        }
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .tls_config(tls.build())
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(60)))
            .build()
            .into();
        let mut rc = RemoteCluster {
            agent,
            server: kc.server.clone(),
            token: kc.token.clone(),
            admin: Identity::admin(),
        };
        // Who are we? (SelfSubjectReview, as `kubectl auth whoami`.) This is also the check
        // that the server answers and accepts the credentials: an unreachable server or a 401
        // is an error here (exit 2), not one failing rule after another.
        let review = serde_json::json!({"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"});
        match rc.send(
            None,
            "POST",
            "/apis/authentication.k8s.io/v1/selfsubjectreviews",
            Some(("application/json", review.to_string())),
        ) {
            Ok(ApiResponse::Created(v) | ApiResponse::Ok(v)) => {
                let ui = &v["status"]["userInfo"];
                rc.admin = Identity {
                    user: ui["username"].as_str().unwrap_or("").to_string(),
                    uid: ui["uid"].as_str().unwrap_or("").to_string(),
                    groups: serde_json::from_value(ui["groups"].clone()).unwrap_or_default(),
                    extra: serde_json::from_value(ui["extra"].clone()).unwrap_or_default(),
                };
            }
            Err(s) if s.reason == TRANSPORT_ERROR => return Err(s.message),
            Err(s) if s.code == 401 => {
                return Err(format!(
                    "{}: the server refused the kubeconfig's credentials (401 Unauthorized: {})",
                    kc.server, s.message
                ))
            }
            // An older server without SelfSubjectReview (404), or one that forbids it: the
            // kubeconfig's user is then taken as a cluster admin.
            _ => {}
        }
        Ok(rc)
    }

    fn impersonation(&self, who: Option<&Identity>) -> Vec<(String, String)> {
        let Some(who) = who else { return vec![] };
        if who.user == self.admin.user {
            return vec![];
        }
        let mut h = vec![("Impersonate-User".to_string(), who.user.clone())];
        for g in &who.groups {
            if g != SYSTEM_AUTHENTICATED {
                h.push(("Impersonate-Group".into(), g.clone()));
            }
        }
        if !who.uid.is_empty() {
            h.push(("Impersonate-Uid".into(), who.uid.clone()));
        }
        for (k, vs) in &who.extra {
            for v in vs {
                h.push((format!("Impersonate-Extra-{}", pct(k)), v.clone()));
            }
        }
        h
    }

    /// A request to `url` with the kubeconfig's bearer token (if any) and, for `who`, the
    /// impersonation headers; JSON accepted.
    fn request(
        &self,
        method: &str,
        url: &str,
        who: Option<&Identity>,
    ) -> ureq::http::request::Builder {
        let mut req = ureq::http::Request::builder()
            .method(method)
            .uri(url)
            .header("Accept", "application/json");
        if let Some(t) = &self.token {
            req = req.header("Authorization", format!("Bearer {t}"));
        }
        for (k, v) in self.impersonation(who) {
            req = req.header(k, v);
        }
        req
    }

    fn send(
        &self,
        who: Option<&Identity>,
        method: &str,
        path_q: &str,
        body: Option<(&str, String)>,
    ) -> Result<ApiResponse, Status> {
        let url = format!("{}{}", self.server, path_q);
        let req = self.request(method, &url, who);
        let (ct, bytes) = body.unwrap_or(("application/json", String::new()));
        let req = req
            .header("Content-Type", ct)
            .body(bytes.into_bytes())
            .map_err(|e| Status::bad_request(format!("bad request: {e}")))?;
        let resp = self
            .agent
            .run(req)
            .map_err(|e| Status::failure(503, TRANSPORT_ERROR, format!("{url}: {e}")))?;
        let code = resp.status().as_u16();
        let text = resp
            .into_body()
            .with_config()
            .limit(64 * 1024 * 1024)
            .read_to_string()
            .map_err(|e| Status::failure(503, "ServiceUnavailable", format!("{url}: {e}")))?;
        if code >= 400 {
            return Err(status_from(code, &text));
        }
        let v: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        Ok(if code == 201 {
            ApiResponse::Created(v)
        } else {
            ApiResponse::Ok(v)
        })
    }

    /// The remote counterpart of `Cluster::apply`.
    pub fn apply(&mut self, who: &Identity, req: ApiRequest) -> Result<ApiResponse, Status> {
        let verb = req.verb.ok_or_else(|| Status::bad_request("no verb"))?;
        let mut path = request_path(&req);
        let body = req.body.as_ref().map(|b| b.to_string());
        match verb {
            Verb::Watch => {
                // The initial state comes from a list, but the verb authorized must be `watch`
                // (a user may list and not watch): open the watch itself first, and keep only
                // its answer's status.
                self.probe_watch(who, &req)?;
                let list = self.apply(
                    who,
                    ApiRequest {
                        verb: Some(Verb::List),
                        ..req.clone()
                    },
                )?;
                let v = list.into_value();
                let rv: u64 = v["metadata"]["resourceVersion"]
                    .as_str()
                    .unwrap_or("0")
                    .parse()
                    .unwrap_or(0);
                let mut initial = Vec::new();
                let from_now =
                    req.list.resource_version.is_empty() || req.list.resource_version == "0";
                if from_now {
                    for mut item in v["items"].as_array().cloned().unwrap_or_default() {
                        let kind = v["kind"]
                            .as_str()
                            .unwrap_or("")
                            .trim_end_matches("List")
                            .to_string();
                        item["kind"] = Value::String(kind);
                        item["apiVersion"] = v["apiVersion"].clone();
                        initial.push(WatchEvent {
                            type_: crate::api::EventType::Added,
                            object: item,
                        });
                    }
                }
                let start = if from_now {
                    rv
                } else {
                    req.list.resource_version.parse().unwrap_or(rv)
                };
                Ok(ApiResponse::Watch(WatchStream {
                    initial,
                    cursor: WatchCursor {
                        group: req.group.clone(),
                        resource: req.resource.clone(),
                        namespace: req.namespace.clone(),
                        label_selector: req.list.label_selector.clone(),
                        field_selector: req.list.field_selector.clone(),
                        rv: start,
                        bookmarks: req.list.allow_watch_bookmarks,
                        who: Some(who.clone()),
                    },
                }))
            }
            Verb::Get => self.send(Some(who), "GET", &path, None),
            Verb::List => {
                path.push_str(&query(&req.list, false, false));
                self.send(Some(who), "GET", &path, None)
            }
            Verb::Create => {
                path.push_str(&query(&ListOptions::default(), false, req.dry_run));
                self.send(
                    Some(who),
                    "POST",
                    &path,
                    body.map(|b| ("application/json", b)),
                )
            }
            Verb::Update => {
                path.push_str(&query(&ListOptions::default(), false, req.dry_run));
                self.send(
                    Some(who),
                    "PUT",
                    &path,
                    body.map(|b| ("application/json", b)),
                )
            }
            Verb::Patch => {
                let ct = match req.patch_type.unwrap_or(PatchType::Merge) {
                    PatchType::Json => "application/json-patch+json",
                    PatchType::Merge => "application/merge-patch+json",
                    PatchType::StrategicMerge => "application/strategic-merge-patch+json",
                    PatchType::Apply => "application/apply-patch+yaml",
                };
                if req.patch_type == Some(PatchType::Apply) {
                    let fm = if req.field_manager.is_empty() {
                        "csrsim"
                    } else {
                        &req.field_manager
                    };
                    path.push_str(&format!("?fieldManager={}", pct(fm)));
                } else {
                    path.push_str(&query(&ListOptions::default(), false, req.dry_run));
                }
                self.send(Some(who), "PATCH", &path, body.map(|b| (ct, b)))
            }
            Verb::Delete => {
                let mut opts = serde_json::json!({"apiVersion": "v1", "kind": "DeleteOptions"});
                if let Some(p) = &req.preconditions {
                    opts["preconditions"] = serde_json::to_value(p).unwrap_or(Value::Null);
                }
                if req.dry_run {
                    opts["dryRun"] = serde_json::json!(["All"]);
                }
                self.send(
                    Some(who),
                    "DELETE",
                    &path,
                    Some(("application/json", opts.to_string())),
                )
            }
            Verb::DeleteCollection => {
                path.push_str(&query(&req.list, false, req.dry_run));
                self.send(Some(who), "DELETE", &path, None)
            }
        }
    }

    /// Open a watch of `req` and close it as soon as the server answered: an error Status
    /// (403, 400 for a bad selector, …) is the watch's; events are not read.
    fn probe_watch(&self, who: &Identity, req: &ApiRequest) -> Result<(), Status> {
        let opts = ListOptions {
            label_selector: req.list.label_selector.clone(),
            field_selector: req.list.field_selector.clone(),
            ..Default::default()
        };
        let url = format!(
            "{}{}{}&timeoutSeconds=1",
            self.server,
            request_path(req),
            query(&opts, true, false)
        );
        let r = self
            .request("GET", &url, Some(who))
            .body(Vec::new())
            .map_err(|e| Status::bad_request(e.to_string()))?;
        let resp = self
            .agent
            .run(r)
            .map_err(|e| Status::failure(503, TRANSPORT_ERROR, format!("{url}: {e}")))?;
        let code = resp.status().as_u16();
        if code >= 400 {
            let text = resp.into_body().read_to_string().unwrap_or_default();
            return Err(status_from(code, &text));
        }
        Ok(())
    }

    /// Events after the cursor: one short watch request (up to `wait`), like `Cluster::watch_poll`.
    pub fn watch_poll_for(
        &mut self,
        cursor: &mut WatchCursor,
        wait: Duration,
    ) -> Result<Vec<WatchEvent>, Status> {
        let req = ApiRequest {
            verb: Some(Verb::List),
            group: cursor.group.clone(),
            version: "v1".into(),
            resource: cursor.resource.clone(),
            namespace: cursor.namespace.clone(),
            ..Default::default()
        };
        let opts = ListOptions {
            label_selector: cursor.label_selector.clone(),
            field_selector: cursor.field_selector.clone(),
            resource_version: cursor.rv.to_string(),
            timeout_seconds: Some(wait.as_secs().max(1) as i64),
            ..Default::default()
        };
        let url = format!(
            "{}{}{}&timeoutSeconds={}",
            self.server,
            request_path(&req),
            query(&opts, true, false),
            wait.as_secs().max(1)
        );
        let r = self
            .request("GET", &url, cursor.who.as_ref())
            .body(Vec::new())
            .map_err(|e| Status::bad_request(e.to_string()))?;
        let resp = self
            .agent
            .run(r)
            .map_err(|e| Status::failure(503, "ServiceUnavailable", e.to_string()))?;
        let code = resp.status().as_u16();
        if code >= 400 {
            let text = resp.into_body().read_to_string().unwrap_or_default();
            return Err(status_from(code, &text));
        }
        // The server holds the stream open until `timeoutSeconds`; a reader thread hands the
        // events over so the poll returns as soon as a burst of events has arrived (quiet for
        // WATCH_QUIET) instead of waiting out the whole timeout. The thread ends when the
        // server closes the stream.
        let (tx, rx) = std::sync::mpsc::channel::<WatchEvent>();
        let body = resp.into_body();
        std::thread::spawn(move || {
            let reader = BufReader::new(body.into_reader());
            for line in reader.lines() {
                let Ok(line) = line else { break };
                if line.trim().is_empty() {
                    continue;
                }
                let Ok(ev) = serde_json::from_str::<WatchEvent>(&line) else {
                    continue;
                };
                if tx.send(ev).is_err() {
                    break;
                }
            }
        });
        let deadline = std::time::Instant::now() + wait.max(Duration::from_secs(1));
        let mut out = Vec::new();
        loop {
            let now = std::time::Instant::now();
            if now >= deadline {
                break;
            }
            let limit = if out.is_empty() {
                deadline - now
            } else {
                WATCH_QUIET.min(deadline - now)
            };
            let ev = match rx.recv_timeout(limit) {
                Ok(ev) => ev,
                Err(_) => break,
            };
            if ev.type_ == crate::api::EventType::Error {
                let st: Status = serde_json::from_value(ev.object.clone())
                    .unwrap_or_else(|_| Status::expired("watch error"));
                return Err(st);
            }
            if let Some(rv) = ev.object["metadata"]["resourceVersion"]
                .as_str()
                .and_then(|s| s.parse::<u64>().ok())
            {
                cursor.rv = cursor.rv.max(rv);
            }
            if ev.type_ != crate::api::EventType::Bookmark {
                out.push(ev);
            }
        }
        Ok(out)
    }

    /// Does the server offer csrsim's clock endpoint (time warp)?
    pub fn has_clock(&mut self) -> bool {
        self.clock_get().is_ok()
    }

    fn clock_get(&mut self) -> Result<Time, String> {
        let r = self
            .send(None, "GET", "/sim/v1/clock", None)
            .map_err(|s| s.message)?;
        let v = r.into_value();
        Time::parse_rfc3339(v["now"].as_str().unwrap_or(""))
    }

    /// Virtual now of a csrsim server.
    pub fn now(&mut self) -> Result<Time, String> {
        self.clock_get()
    }

    /// Warp a csrsim server's clock by `d` (`POST /sim/v1/clock`).
    pub fn advance(&mut self, d: Duration) -> Result<Time, String> {
        let body =
            serde_json::json!({"advance": humantime::format_duration(d).to_string()}).to_string();
        let r = self
            .send(
                None,
                "POST",
                "/sim/v1/clock",
                Some(("application/json", body)),
            )
            .map_err(|s| s.message)?;
        Time::parse_rfc3339(r.into_value()["now"].as_str().unwrap_or(""))
    }
}
