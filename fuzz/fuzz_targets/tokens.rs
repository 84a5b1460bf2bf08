//! Bootstrap-token and static-token parsing: `ParseToken`, group validation, expiration,
//! the `--token-auth-file` CSV, and authentication against a fuzzed bootstrap Secret.
//! Input: `token \0 secret-json \0 csv`.
#![no_main]

use csrsim::api::Time;
use csrsim::auth::tokens::{self, TokenAuth};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    let mut parts = s.splitn(3, '\0');
    let token = parts.next().unwrap_or("");
    let secret = parts.next().unwrap_or("");
    let csv = parts.next().unwrap_or("");

    if let Some((id, sec)) = tokens::parse_bootstrap_token(token) {
        assert_eq!(id.len(), 6);
        assert_eq!(sec.len(), 16);
    }
    let _ = tokens::validate_bootstrap_group(token);
    let _ = tokens::bootstrap_groups(Some(token));
    let now = Time::from_unix(1_900_000_000);
    let _ = tokens::has_expired(Some(token), now);

    let mut auth = TokenAuth::new();
    if let Ok(v) = serde_json::from_str::<serde_json::Value>(secret) {
        let name = v
            .get("metadata")
            .and_then(|m| m.get("name"))
            .and_then(|n| n.as_str())
            .unwrap_or("bootstrap-token-abcdef")
            .to_string();
        auth.on_write("kube-system", &name, Some(&v));
    }
    if let Ok(table) = tokens::load_static_csv(csv) {
        auth.set_static_tokens(table);
    }
    if let Err(r) = auth.check_bootstrap_token(token, now) {
        let _ = r.message();
    }
    let _ = auth.authenticate_token(token, now);
});
