//! Bearer-token authenticators: bootstrap tokens (`plugin/pkg/auth/authenticator/token/bootstrap/bootstrap.go`,
//! `staging/src/k8s.io/cluster-bootstrap/...`) validated against the virtual clock, and the
//! static token file of `kube-apiserver --token-auth-file`
//! (`staging/src/k8s.io/apiserver/pkg/authentication/token/tokenfile/tokenfile.go`).
//!
//! Order as in the apiserver's union token authenticator: the token file first, then
//! bootstrap tokens. Every authenticated identity gets `system:authenticated` appended (the
//! `AuthenticatedGroupAdder` that wraps the chain).

use super::identity::{Identity, SYSTEM_AUTHENTICATED};
use crate::api::Time;
use base64::Engine;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// Namespace and name prefix of bootstrap-token Secrets.
pub const BOOTSTRAP_NAMESPACE: &str = "kube-system";
pub const BOOTSTRAP_SECRET_PREFIX: &str = "bootstrap-token-";
/// `bootstrapapi.SecretTypeBootstrapToken`.
pub const BOOTSTRAP_SECRET_TYPE: &str = "bootstrap.kubernetes.io/token";
/// Data keys.
pub const KEY_TOKEN_ID: &str = "token-id";
pub const KEY_TOKEN_SECRET: &str = "token-secret";
pub const KEY_EXPIRATION: &str = "expiration";
pub const KEY_EXTRA_GROUPS: &str = "auth-extra-groups";
pub const KEY_USAGE_AUTHENTICATION: &str = "usage-bootstrap-authentication";
pub const KEY_USAGE_SIGNING: &str = "usage-bootstrap-signing";
/// `bootstrapapi.BootstrapUserPrefix`, `BootstrapDefaultGroup`.
pub const BOOTSTRAP_USER_PREFIX: &str = "system:bootstrap:";
pub const BOOTSTRAP_DEFAULT_GROUP: &str = "system:bootstrappers";
/// `bootstrapapi.BootstrapGroupPattern`.
pub const BOOTSTRAP_GROUP_PATTERN: &str = r"\Asystem:bootstrappers:[a-z0-9:-]{0,255}[a-z0-9]\z";

/// Why a bearer token that looked like a bootstrap token was refused (the authenticator's
/// V(3) log line, `Bootstrap secret kube-system/bootstrap-token-<id> matching bearer token ...`).
/// Every refusal is a plain "not authenticated" to the client (401).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// Not of the form `[a-z0-9]{6}.[a-z0-9]{16}`: not a bootstrap token at all.
    NotABootstrapToken,
    NotFound,
    Deleted,
    InvalidType,
    InvalidSecret,
    InvalidId,
    /// Expired, or an unparseable `expiration` (treated as expired).
    Expired,
    NotMarkedForAuthentication,
    /// `has invalid value for key auth-extra-groups: bootstrap group "<g>" is invalid (must match <pattern>).`
    InvalidExtraGroups(String),
}

impl Refusal {
    /// The log text after `Bootstrap secret <ns>/<name> matching bearer token `.
    pub fn message(&self) -> String {
        match self {
            Refusal::NotABootstrapToken => "is not a bootstrap token".into(),
            Refusal::NotFound => "not found".into(),
            Refusal::Deleted => "is deleted and awaiting removal".into(),
            Refusal::InvalidType => format!("has invalid type, expected {BOOTSTRAP_SECRET_TYPE}."),
            Refusal::InvalidSecret => format!("has invalid value for key {KEY_TOKEN_SECRET}."),
            Refusal::InvalidId => format!("has invalid value for key {KEY_TOKEN_ID}."),
            Refusal::Expired => "has expired".into(),
            Refusal::NotMarkedForAuthentication => {
                format!("not marked {KEY_USAGE_AUTHENTICATION}=true.")
            }
            Refusal::InvalidExtraGroups(e) => {
                format!("has invalid value for key {KEY_EXTRA_GROUPS}: {e}.")
            }
        }
    }
}

/// `ParseToken`: `\A([a-z0-9]{6})\.([a-z0-9]{16})\z`.
pub fn parse_bootstrap_token(token: &str) -> Option<(&str, &str)> {
    let (id, secret) = token.split_once('.')?;
    let ok = |s: &str, n: usize| {
        s.len() == n
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    };
    (ok(id, 6) && ok(secret, 16)).then_some((id, secret))
}

/// `ValidateBootstrapGroupName`.
pub fn validate_bootstrap_group(g: &str) -> Result<(), String> {
    let ok = g.strip_prefix("system:bootstrappers:").is_some_and(|rest| {
        !rest.is_empty()
            && rest.len() <= 256
            && rest
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b':' || b == b'-')
            && rest
                .bytes()
                .last()
                .is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    });
    if ok {
        Ok(())
    } else {
        Err(format!(
            "bootstrap group {} is invalid (must match {BOOTSTRAP_GROUP_PATTERN})",
            crate::validation::field::quote(g)
        ))
    }
}

/// `GetData`: a Secret's `data[key]` decoded (`stringData` is honoured too, as the apiserver
/// would have merged it into `data`).
fn secret_data(secret: &Value, key: &str) -> Option<String> {
    if let Some(s) = secret
        .get("stringData")
        .and_then(|d| d.get(key))
        .and_then(|v| v.as_str())
    {
        return Some(s.to_string());
    }
    let b64 = secret.get("data")?.get(key)?.as_str()?;
    let bytes = base64::engine::general_purpose::STANDARD.decode(b64).ok()?;
    Some(String::from_utf8_lossy(&bytes).into_owned())
}

fn has_data(secret: &Value) -> bool {
    secret.get("data").is_some_and(|d| d.is_object())
        || secret.get("stringData").is_some_and(|d| d.is_object())
}

/// `HasExpired`: absent = never; unparseable = expired; `expiration - now <= 0` = expired.
pub fn has_expired(expiration: Option<&str>, now: Time) -> bool {
    let Some(exp) = expiration.filter(|e| !e.is_empty()) else {
        return false;
    };
    let Ok(t) = Time::parse_rfc3339(exp) else {
        return true;
    };
    // Sub-second precision survives in Go; `now` is whole seconds here, so a fractional
    // expiration in the same second as `now` is still in the future.
    let fractional = exp.split_once('.').is_some_and(|(_, rest)| {
        rest.bytes()
            .take_while(|b| b.is_ascii_digit())
            .any(|b| b != b'0')
    });
    if fractional {
        t.unix() < now.unix()
    } else {
        t.unix() <= now.unix()
    }
}

/// `GetGroups`: `system:bootstrappers` plus validated extra groups, sorted and de-duplicated.
pub fn bootstrap_groups(extra: Option<&str>) -> Result<Vec<String>, String> {
    let mut groups = BTreeSet::from([BOOTSTRAP_DEFAULT_GROUP.to_string()]);
    if let Some(extra) = extra.filter(|e| !e.is_empty()) {
        for g in extra.split(',') {
            validate_bootstrap_group(g)?;
            groups.insert(g.to_string());
        }
    }
    Ok(groups.into_iter().collect())
}

/// The token authenticators' state: bootstrap-token Secrets (kept current by
/// [`TokenAuth::on_write`]) and the static token table.
#[derive(Clone, Debug, Default)]
pub struct TokenAuth {
    secrets: BTreeMap<String, Value>,
    static_tokens: BTreeMap<String, Identity>,
}

fn with_authenticated(mut id: Identity) -> Identity {
    if !id.in_group(SYSTEM_AUTHENTICATED) {
        id.groups.push(SYSTEM_AUTHENTICATED.into());
    }
    id
}

impl TokenAuth {
    pub fn new() -> Self {
        TokenAuth::default()
    }

    /// Install the `--token-auth-file` table (see [`load_static_csv`]).
    pub fn set_static_tokens(&mut self, tokens: BTreeMap<String, Identity>) {
        self.static_tokens = tokens;
    }

    /// Keep the bootstrap-token index current; the core calls this for every committed write
    /// of a Secret (`obj` = None after delete). Only `kube-system` Secrets matter.
    pub fn on_write(&mut self, namespace: &str, name: &str, obj: Option<&Value>) {
        if namespace != BOOTSTRAP_NAMESPACE {
            return;
        }
        match obj {
            Some(v) => self.secrets.insert(name.to_string(), v.clone()),
            None => self.secrets.remove(name),
        };
    }

    /// The bootstrap-token authenticator, with the reason for a refusal.
    pub fn check_bootstrap_token(&self, token: &str, now: Time) -> Result<Identity, Refusal> {
        let (id, secret) = parse_bootstrap_token(token).ok_or(Refusal::NotABootstrapToken)?;
        let s = self
            .secrets
            .get(&format!("{BOOTSTRAP_SECRET_PREFIX}{id}"))
            .ok_or(Refusal::NotFound)?;
        if s.get("metadata")
            .and_then(|m| m.get("deletionTimestamp"))
            .is_some_and(|d| !d.is_null())
        {
            return Err(Refusal::Deleted);
        }
        if s.get("type").and_then(|t| t.as_str()) != Some(BOOTSTRAP_SECRET_TYPE) || !has_data(s) {
            return Err(Refusal::InvalidType);
        }
        if !constant_time_eq(
            secret_data(s, KEY_TOKEN_SECRET)
                .unwrap_or_default()
                .as_bytes(),
            secret.as_bytes(),
        ) {
            return Err(Refusal::InvalidSecret);
        }
        if secret_data(s, KEY_TOKEN_ID).as_deref() != Some(id) {
            return Err(Refusal::InvalidId);
        }
        if has_expired(secret_data(s, KEY_EXPIRATION).as_deref(), now) {
            return Err(Refusal::Expired);
        }
        if secret_data(s, KEY_USAGE_AUTHENTICATION).as_deref() != Some("true") {
            return Err(Refusal::NotMarkedForAuthentication);
        }
        let groups = bootstrap_groups(secret_data(s, KEY_EXTRA_GROUPS).as_deref())
            .map_err(Refusal::InvalidExtraGroups)?;
        Ok(Identity {
            user: format!("{BOOTSTRAP_USER_PREFIX}{id}"),
            uid: String::new(),
            groups,
            extra: BTreeMap::new(),
        })
    }

    /// Authenticate a bearer token at virtual time `now`: static tokens first, then bootstrap
    /// tokens. `None` means 401 Unauthorized.
    pub fn authenticate_token(&self, token: &str, now: Time) -> Option<Identity> {
        if let Some(id) = self.static_tokens.get(token) {
            return Some(with_authenticated(id.clone()));
        }
        self.check_bootstrap_token(token, now)
            .ok()
            .map(with_authenticated)
    }
}

/// `subtle.ConstantTimeCompare`.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Go `encoding/csv` record splitting (RFC 4180 quoting, `""` escapes, blank lines skipped,
/// `FieldsPerRecord = -1`).
fn parse_csv(text: &str) -> Result<Vec<Vec<String>>, String> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut records = Vec::new();
    let mut chars = text.chars().peekable();
    let mut line = 1usize;
    while chars.peek().is_some() {
        // skip empty lines
        if matches!(chars.peek(), Some('\n')) {
            chars.next();
            line += 1;
            continue;
        }
        if matches!(chars.peek(), Some('\r')) {
            chars.next();
            continue;
        }
        let start_line = line;
        let mut rec = Vec::new();
        let mut field = String::new();
        let mut col = 0usize;
        loop {
            match chars.peek().copied() {
                Some('"') if field.is_empty() => {
                    chars.next();
                    col += 1;
                    loop {
                        match chars.next() {
                            None => return Err(format!("record on line {start_line}; parse error on line {}, column {}: extraneous or missing \" in quoted-field", line + 1, 0)),
                            Some('"') => {
                                col += 1;
                                if chars.peek() == Some(&'"') {
                                    chars.next();
                                    field.push('"');
                                } else {
                                    break;
                                }
                            }
                            Some(c) => {
                                if c == '\n' {
                                    line += 1;
                                }
                                col += 1;
                                field.push(c);
                            }
                        }
                    }
                    match chars.peek().copied() {
                        None | Some(',') | Some('\n') | Some('\r') => {}
                        Some(_) => return Err(format!("parse error on line {line}, column {}: extraneous or missing \" in quoted-field", col + 1)),
                    }
                }
                Some('"') => {
                    return Err(format!(
                        "parse error on line {line}, column {}: bare \" in non-quoted-field",
                        col + 1
                    ))
                }
                Some(',') => {
                    chars.next();
                    col += 1;
                    rec.push(std::mem::take(&mut field));
                }
                Some('\r') => {
                    chars.next();
                }
                Some('\n') | None => {
                    if chars.next().is_some() {
                        line += 1;
                    }
                    rec.push(std::mem::take(&mut field));
                    break;
                }
                Some(c) => {
                    chars.next();
                    col += 1;
                    field.push(c);
                }
            }
        }
        records.push(rec);
    }
    Ok(records)
}

/// `tokenfile.NewCSV`: `token,user,uid[,"group1,group2"]` per line. Records with an empty
/// token are skipped; a later duplicate token wins; fewer than three columns is an error.
/// Identities are returned without `system:authenticated` (added at authentication).
pub fn load_static_csv(text: &str) -> Result<BTreeMap<String, Identity>, String> {
    load_static_csv_named("token-auth-file", text)
}

/// As [`load_static_csv`], naming the file in errors as upstream does.
pub fn load_static_csv_named(path: &str, text: &str) -> Result<BTreeMap<String, Identity>, String> {
    let mut out = BTreeMap::new();
    for rec in parse_csv(text)? {
        if rec.len() < 3 {
            return Err(format!(
                "token file '{path}' must have at least 3 columns (token, user name, user uid), found {}",
                rec.len()
            ));
        }
        if rec[0].is_empty() {
            continue;
        }
        let groups = if rec.len() >= 4 {
            rec[3].split(',').map(|s| s.to_string()).collect()
        } else {
            Vec::new()
        };
        out.insert(
            rec[0].clone(),
            Identity {
                user: rec[1].clone(),
                uid: rec[2].clone(),
                groups,
                extra: BTreeMap::new(),
            },
        );
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const NOW: Time = Time(1_900_000_000);

    fn b64(s: &str) -> String {
        base64::engine::general_purpose::STANDARD.encode(s)
    }

    fn secret(data: &[(&str, &str)]) -> Value {
        let d: serde_json::Map<String, Value> = data
            .iter()
            .map(|(k, v)| (k.to_string(), Value::String(b64(v))))
            .collect();
        json!({"apiVersion":"v1","kind":"Secret","metadata":{"name":"bootstrap-token-abcdef","namespace":"kube-system"},
               "type": BOOTSTRAP_SECRET_TYPE, "data": d})
    }

    fn good() -> Vec<(&'static str, &'static str)> {
        vec![
            ("token-id", "abcdef"),
            ("token-secret", "0123456789abcdef"),
            ("usage-bootstrap-authentication", "true"),
            ("usage-bootstrap-signing", "true"),
            (
                "auth-extra-groups",
                "system:bootstrappers:kubeadm:default-node-token",
            ),
        ]
    }

    fn auth_with(s: Value) -> TokenAuth {
        let mut t = TokenAuth::new();
        t.on_write("kube-system", "bootstrap-token-abcdef", Some(&s));
        t
    }

    const TOKEN: &str = "abcdef.0123456789abcdef";

    #[test]
    fn valid_token_identity() {
        let t = auth_with(secret(&good()));
        let id = t.authenticate_token(TOKEN, NOW).unwrap();
        assert_eq!(id.user, "system:bootstrap:abcdef");
        assert_eq!(id.uid, "");
        assert_eq!(
            id.groups,
            vec![
                "system:bootstrappers",
                "system:bootstrappers:kubeadm:default-node-token",
                "system:authenticated"
            ]
        );
    }

    /// Rows mirror `bootstrap_test.go` TestTokenAuthenticator cases.
    #[test]
    fn refusals_table() {
        let exp = |e: &str| {
            let mut d = good();
            d.push(("expiration", Box::leak(e.to_string().into_boxed_str())));
            secret(&d)
        };
        let without = |k: &str| {
            secret(
                &good()
                    .into_iter()
                    .filter(|(x, _)| *x != k)
                    .collect::<Vec<_>>(),
            )
        };
        let with = |k: &'static str, v: &'static str| {
            let mut d: Vec<_> = good().into_iter().filter(|(x, _)| *x != k).collect();
            d.push((k, v));
            secret(&d)
        };
        let mut wrong_type = secret(&good());
        wrong_type["type"] = json!("Opaque");
        let mut deleted = secret(&good());
        deleted["metadata"]["deletionTimestamp"] = json!("2030-01-01T00:00:00Z");
        let mut no_data = secret(&good());
        no_data.as_object_mut().unwrap().remove("data");
        let group_err = |g: &str| {
            Refusal::InvalidExtraGroups(format!(
                "bootstrap group \"{g}\" is invalid (must match {BOOTSTRAP_GROUP_PATTERN})"
            ))
        };
        let rows: Vec<(&str, Value, &str, Result<(), Refusal>)> = vec![
            ("valid", secret(&good()), TOKEN, Ok(())),
            (
                "bad token format (uppercase)",
                secret(&good()),
                "ABCDEF.0123456789abcdef",
                Err(Refusal::NotABootstrapToken),
            ),
            (
                "bad token format (short secret)",
                secret(&good()),
                "abcdef.0123",
                Err(Refusal::NotABootstrapToken),
            ),
            (
                "unknown id",
                secret(&good()),
                "zzzzzz.0123456789abcdef",
                Err(Refusal::NotFound),
            ),
            ("deleted", deleted, TOKEN, Err(Refusal::Deleted)),
            ("wrong type", wrong_type, TOKEN, Err(Refusal::InvalidType)),
            ("nil data", no_data, TOKEN, Err(Refusal::InvalidType)),
            (
                "wrong secret",
                secret(&good()),
                "abcdef.0123456789abcdee",
                Err(Refusal::InvalidSecret),
            ),
            (
                "token-id mismatch",
                with("token-id", "abcdeg"),
                TOKEN,
                Err(Refusal::InvalidId),
            ),
            (
                "expired",
                exp("2020-01-01T00:00:00Z"),
                TOKEN,
                Err(Refusal::Expired),
            ),
            (
                "expires exactly now",
                exp(&Time(NOW.0).to_rfc3339()),
                TOKEN,
                Err(Refusal::Expired),
            ),
            (
                "expires in 1s",
                exp(&Time(NOW.0 + 1).to_rfc3339()),
                TOKEN,
                Ok(()),
            ),
            (
                "unparseable expiration",
                exp("tomorrow"),
                TOKEN,
                Err(Refusal::Expired),
            ),
            ("no expiration", secret(&good()), TOKEN, Ok(())),
            (
                "usage missing",
                without("usage-bootstrap-authentication"),
                TOKEN,
                Err(Refusal::NotMarkedForAuthentication),
            ),
            (
                "usage not exactly true",
                with("usage-bootstrap-authentication", "True"),
                TOKEN,
                Err(Refusal::NotMarkedForAuthentication),
            ),
            (
                "bad extra group",
                with("auth-extra-groups", "foo"),
                TOKEN,
                Err(group_err("foo")),
            ),
            (
                "one bad of two",
                with(
                    "auth-extra-groups",
                    "system:bootstrappers:ok,system:bootstrappers:Bad",
                ),
                TOKEN,
                Err(group_err("system:bootstrappers:Bad")),
            ),
            (
                "space after comma",
                with(
                    "auth-extra-groups",
                    "system:bootstrappers:a, system:bootstrappers:b",
                ),
                TOKEN,
                Err(group_err(" system:bootstrappers:b")),
            ),
            (
                "trailing dash",
                with("auth-extra-groups", "system:bootstrappers:a-"),
                TOKEN,
                Err(group_err("system:bootstrappers:a-")),
            ),
            (
                "bare prefix",
                with("auth-extra-groups", "system:bootstrappers:"),
                TOKEN,
                Err(group_err("system:bootstrappers:")),
            ),
            (
                "no extra groups",
                without("auth-extra-groups"),
                TOKEN,
                Ok(()),
            ),
        ];
        for (case, s, tok, want) in rows {
            let t = auth_with(s);
            let got = t.check_bootstrap_token(tok, NOW).map(|_| ());
            assert_eq!(got, want, "{case}");
            assert_eq!(
                t.authenticate_token(tok, NOW).is_some(),
                want.is_ok(),
                "{case}"
            );
        }
    }

    #[test]
    fn expiry_follows_virtual_clock_and_deletes() {
        let mut d = good();
        d.push(("expiration", "2030-03-01T00:00:00Z"));
        let mut t = auth_with(secret(&d));
        let exp = Time::parse_rfc3339("2030-03-01T00:00:00Z").unwrap();
        assert!(t.authenticate_token(TOKEN, exp.add_secs(-1)).is_some());
        assert!(t.authenticate_token(TOKEN, exp).is_none());
        t.on_write("kube-system", "bootstrap-token-abcdef", None);
        assert!(t.authenticate_token(TOKEN, exp.add_secs(-1)).is_none());
        // secrets outside kube-system are ignored
        t.on_write("default", "bootstrap-token-abcdef", Some(&secret(&good())));
        assert!(t.authenticate_token(TOKEN, exp).is_none());
    }

    #[test]
    fn static_csv() {
        let m =
            load_static_csv("tok1,alice,uid1,\"devs,ops\"\n\ntok2,bob,uid2\n,empty,x\n").unwrap();
        assert_eq!(m.len(), 2);
        assert_eq!(m["tok1"].groups, vec!["devs", "ops"]);
        assert_eq!(m["tok2"].uid, "uid2");
        assert_eq!(
            load_static_csv("tok,alice\n").unwrap_err(),
            "token file 'token-auth-file' must have at least 3 columns (token, user name, user uid), found 2"
        );
        let mut t = TokenAuth::new();
        t.set_static_tokens(m);
        let id = t.authenticate_token("tok1", NOW).unwrap();
        assert_eq!((id.user.as_str(), id.groups.len()), ("alice", 3));
        assert!(t.authenticate_token("nope", NOW).is_none());
        assert!(load_static_csv("a\"b,c,d\n").is_err());
    }
}
