//! Just enough of the kubeconfig format to reach an API server: the server URL, the CA, and
//! client-certificate or bearer-token credentials of one context.

use base64::Engine;
use serde::Deserialize;
use std::path::Path;

#[derive(Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
struct File {
    #[serde(default)]
    clusters: Vec<Named<ClusterEntry>>,
    #[serde(default)]
    users: Vec<Named<UserEntry>>,
    #[serde(default)]
    contexts: Vec<Named<ContextEntry>>,
    #[serde(default)]
    current_context: String,
}

#[derive(Deserialize)]
struct Named<T> {
    name: String,
    #[serde(alias = "cluster", alias = "user", alias = "context")]
    value: T,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
struct ClusterEntry {
    server: String,
    #[serde(default)]
    certificate_authority_data: String,
    #[serde(default)]
    certificate_authority: String,
    #[serde(default)]
    insecure_skip_tls_verify: bool,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
struct UserEntry {
    #[serde(default)]
    client_certificate_data: String,
    #[serde(default)]
    client_key_data: String,
    #[serde(default)]
    client_certificate: String,
    #[serde(default)]
    client_key: String,
    #[serde(default)]
    token: String,
    #[serde(default, rename = "tokenFile")]
    token_file: String,
    /// Credentials csrsim cannot obtain (a plugin to run, a login): refused by name.
    #[serde(default)]
    exec: Option<serde_json::Value>,
    #[serde(default)]
    auth_provider: Option<serde_json::Value>,
    #[serde(default)]
    username: String,
}

#[derive(Deserialize, Default)]
struct ContextEntry {
    cluster: String,
    #[serde(default)]
    user: String,
}

/// The resolved credentials of one context.
#[derive(Clone, Debug, Default)]
pub struct Kubeconfig {
    pub context: String,
    pub server: String,
    pub ca_pem: Option<Vec<u8>>,
    pub insecure: bool,
    pub client_cert_pem: Option<Vec<u8>>,
    pub client_key_pem: Option<Vec<u8>>,
    pub token: Option<String>,
}

fn data_or_file(data: &str, file: &str, base: &Path) -> Result<Option<Vec<u8>>, String> {
    if !data.is_empty() {
        return base64::engine::general_purpose::STANDARD
            .decode(data.trim())
            .map(Some)
            .map_err(|e| format!("bad base64 in kubeconfig: {e}"));
    }
    if !file.is_empty() {
        let p = base.join(file);
        return std::fs::read(&p)
            .map(Some)
            .map_err(|e| format!("{}: {e}", p.display()));
    }
    Ok(None)
}

impl Kubeconfig {
    /// Load `path` and resolve `context` (default: `current-context`).
    pub fn load(path: &Path, context: Option<&str>) -> Result<Kubeconfig, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let base = path.parent().unwrap_or(Path::new("."));
        Self::parse(&text, context, base).map_err(|e| format!("{}: {e}", path.display()))
    }

    pub fn parse(text: &str, context: Option<&str>, base: &Path) -> Result<Kubeconfig, String> {
        let f: File = serde_saphyr::from_str(text).map_err(|e| e.to_string())?;
        let ctx_name = context
            .map(String::from)
            .unwrap_or(f.current_context.clone());
        let ctx = f
            .contexts
            .iter()
            .find(|c| c.name == ctx_name)
            .ok_or_else(|| format!("context {ctx_name:?} not found"))?;
        let cluster = f
            .clusters
            .iter()
            .find(|c| c.name == ctx.value.cluster)
            .ok_or_else(|| format!("cluster {:?} not found", ctx.value.cluster))?;
        let user = f
            .users
            .iter()
            .find(|u| u.name == ctx.value.user)
            .map(|u| &u.value);
        let mut kc = Kubeconfig {
            context: ctx_name.clone(),
            server: cluster.value.server.trim_end_matches('/').to_string(),
            ca_pem: data_or_file(
                &cluster.value.certificate_authority_data,
                &cluster.value.certificate_authority,
                base,
            )?,
            insecure: cluster.value.insecure_skip_tls_verify,
            ..Default::default()
        };
        if let Some(u) = user {
            let unsupported = if u.exec.is_some() {
                Some("exec (a credential plugin)")
            } else if u.auth_provider.is_some() {
                Some("auth-provider")
            } else if !u.username.is_empty() {
                Some("username/password")
            } else {
                None
            };
            if let Some(what) = unsupported {
                return Err(format!(
                    "user {:?}: {what} credentials are not supported; use a kubeconfig with a \
                     client certificate or a bearer token (token or tokenFile), e.g. a \
                     ServiceAccount token",
                    ctx.value.user
                ));
            }
            if !u.token_file.is_empty() {
                let p = base.join(&u.token_file);
                let t = std::fs::read_to_string(&p).map_err(|e| format!("{}: {e}", p.display()))?;
                kc.token = Some(t.trim().to_string());
            }
            kc.client_cert_pem =
                data_or_file(&u.client_certificate_data, &u.client_certificate, base)?;
            kc.client_key_pem = data_or_file(&u.client_key_data, &u.client_key, base)?;
            if !u.token.is_empty() {
                kc.token = Some(u.token.clone());
            }
        }
        Ok(kc)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_kubeadm_style_kubeconfig() {
        let text = "apiVersion: v1\nkind: Config\nclusters:\n- cluster:\n    certificate-authority-data: aGk=\n    server: https://127.0.0.1:6443\n  name: kubernetes\ncontexts:\n- context:\n    cluster: kubernetes\n    user: kubernetes-admin\n  name: kubernetes-admin@kubernetes\ncurrent-context: kubernetes-admin@kubernetes\nusers:\n- name: kubernetes-admin\n  user:\n    token: abc\n";
        let kc = Kubeconfig::parse(text, None, Path::new(".")).unwrap();
        assert_eq!(kc.server, "https://127.0.0.1:6443");
        assert_eq!(kc.ca_pem.as_deref(), Some(&b"hi"[..]));
        assert_eq!(kc.token.as_deref(), Some("abc"));
        assert!(Kubeconfig::parse(text, Some("nope"), Path::new(".")).is_err());
    }

    #[test]
    fn credentials_csrsim_cannot_use_are_refused_by_name() {
        let base = "clusters:\n- name: c\n  cluster: {server: https://x}\ncontexts:\n- name: ctx\n  context: {cluster: c, user: u}\ncurrent-context: ctx\nusers:\n- name: u\n  user:\n";
        for (user, what) in [
            (
                "    exec: {command: aws, apiVersion: client.authentication.k8s.io/v1}\n",
                "exec (a credential plugin)",
            ),
            ("    auth-provider: {name: gcp}\n", "auth-provider"),
            (
                "    username: admin\n    password: pw\n",
                "username/password",
            ),
        ] {
            let e = Kubeconfig::parse(&format!("{base}{user}"), None, Path::new("."))
                .err()
                .unwrap_or_default();
            assert!(
                e.starts_with(&format!("user \"u\": {what} credentials are not supported")),
                "{e}"
            );
        }
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("tok"), "s3cret\n").unwrap();
        let kc =
            Kubeconfig::parse(&format!("{base}    tokenFile: tok\n"), None, dir.path()).unwrap();
        assert_eq!(kc.token.as_deref(), Some("s3cret"));
    }
}
