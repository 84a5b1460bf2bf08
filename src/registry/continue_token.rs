//! List continue tokens (apiserver `storage/continue.go` and etcd3's compaction handling):
//! encode, decode with upstream's error texts, and the 410 for a token etcd compacted.

use crate::api::status::Status;
use serde_json::{json, Value};

/// The continue token of apiserver's `storage.EncodeContinue`: unpadded URL-safe base64 of
/// `{"v":"meta.k8s.io/v1","rv":…,"start":…}` where `start` is the last key returned, relative to
/// the list's key prefix, followed by a NUL so the next page starts right after it.
pub(crate) fn encode_continue(rv: u64, key: &str, prefix: &str) -> String {
    let start = format!("{}\0", key.strip_prefix(prefix).unwrap_or(key));
    encode_continue_start(rv as i64, &start)
}

/// A continue token from its fields (`rv` -1: "continue at the latest resourceVersion").
pub(crate) fn encode_continue_start(rv: i64, start: &str) -> String {
    use base64::Engine;
    let j = json!({"v": "meta.k8s.io/v1", "rv": rv, "start": start});
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(j.to_string())
}

/// etcd3's `handleCompactedErrorForPaging`: a continue token whose resourceVersion etcd has
/// compacted is 410 Expired, with a token in the Status's ListMeta that continues from the
/// same key at the latest resourceVersion (`rv` -1).
pub(crate) fn expired_continue(key: &str, prefix: &str) -> Status {
    let mut st = Status::expired(
        "The provided continue parameter is too old to display a consistent list result. \
         You can start a new list without the continue parameter, or use the continue token \
         in this response to retrieve the remainder of the results. Continuing with the \
         provided token results in an inconsistent list - objects that were created, \
         modified, or deleted between the time the first chunk was returned and now may show \
         up in the list.",
    );
    let start = key.strip_prefix(prefix).unwrap_or(key);
    st.metadata.insert(
        "continue".into(),
        Value::String(encode_continue_start(-1, start)),
    );
    st
}

/// apiserver's `storage.DecodeContinue`: the store key to continue after and the
/// resourceVersion of the first page. The start key must be a clean relative path, so a token
/// can never reach outside the list's prefix (upstream's path-traversal defence). The errors
/// are upstream's texts; the caller wraps them as "invalid continue token: …" (400).
pub(crate) fn decode_continue(token: &str, prefix: &str) -> Result<(String, i64), String> {
    use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
    use base64::Engine;
    const GENERIC: &str = "continue key is not valid";
    // Go's `base64.RawURLEncoding` is not `Strict()`: non-zero trailing bits are ignored.
    const RAW_URL: GeneralPurpose = GeneralPurpose::new(
        &base64::alphabet::URL_SAFE,
        GeneralPurposeConfig::new()
            .with_encode_padding(false)
            .with_decode_allow_trailing_bits(true)
            .with_decode_padding_mode(DecodePaddingMode::RequireNone),
    );
    let raw = RAW_URL.decode(token).map_err(|e| {
        let at = match e {
            base64::DecodeError::InvalidByte(i, _)
            | base64::DecodeError::InvalidLastSymbol(i, _) => i,
            // '=' is not in the raw alphabet: Go points at the first one
            base64::DecodeError::InvalidPadding => token.find('=').unwrap_or(token.len()),
            // one symbol left over: Go points at it
            _ => token.len().saturating_sub(1),
        };
        format!("{GENERIC}: illegal base64 data at input byte {at}")
    })?;
    let v: Value = serde_json::from_slice(&raw).map_err(|e| {
        // Go's scanner on the first byte (random bytes usually fail there); later syntax
        // errors keep serde's text.
        match raw
            .iter()
            .find(|b| !matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
        {
            None => format!("{GENERIC}: unexpected end of JSON input"),
            Some(&c) if !b"{[\"-0123456789tfn".contains(&c) => format!(
                "{GENERIC}: invalid character {} looking for beginning of value",
                go_quote_char(c)
            ),
            Some(_) => format!("{GENERIC}: {e}"),
        }
    })?;
    // `json.Unmarshal` into `storage.continueToken`: a wrong JSON type is Go's
    // `UnmarshalTypeError`.
    static TOKEN: crate::api::gojson::GoStruct = crate::api::gojson::GoStruct {
        name: "continueToken",
        go: "storage.continueToken",
        fields: &[
            ("v", crate::api::gojson::GoType::Str("string")),
            (
                "rv",
                crate::api::gojson::GoType::Int("int64", i64::MIN, i64::MAX),
            ),
            ("start", crate::api::gojson::GoType::Str("string")),
        ],
    };
    match &v {
        Value::Object(_) | Value::Null => {}
        other => {
            let kind = match other {
                Value::String(_) => "string",
                Value::Number(_) => "number",
                Value::Bool(_) => "bool",
                _ => "array",
            };
            return Err(format!(
                "{GENERIC}: json: cannot unmarshal {kind} into Go value of type storage.continueToken"
            ));
        }
    }
    if let Some(e) = crate::api::gojson::type_error(&v, &TOKEN) {
        return Err(format!("{GENERIC}: {e}"));
    }
    let version = v.get("v").and_then(Value::as_str).unwrap_or("");
    if version != "meta.k8s.io/v1" {
        return Err(format!(
            "{GENERIC}: server does not recognize this encoded version {version}"
        ));
    }
    let rv = v.get("rv").and_then(Value::as_i64).unwrap_or(0);
    if rv == 0 {
        return Err(format!(
            "{GENERIC}: incorrect encoded start resourceVersion (version meta.k8s.io/v1)"
        ));
    }
    let start = match v.get("start") {
        None | Some(Value::Null) => "",
        Some(Value::String(s)) => s.as_str(),
        Some(_) => "", // a wrong type was reported above
    };
    if start.is_empty() {
        return Err(format!(
            "{GENERIC}: encoded start key empty (version meta.k8s.io/v1)"
        ));
    }
    let rel = start.strip_prefix('/').unwrap_or(start);
    if !is_clean_relative_path(rel) {
        return Err(format!("{GENERIC}: {start}"));
    }
    Ok((format!("{prefix}{rel}"), rv))
}

/// encoding/json's `quoteChar`: a byte as `'c'`, escaped as `strconv.Quote` escapes the rune
/// of that value.
pub(crate) fn go_quote_char(c: u8) -> String {
    match c {
        b'\'' => "'\\''".into(),
        b'"' => "'\"'".into(),
        0x07 => "'\\a'".into(),
        0x08 => "'\\b'".into(),
        0x0c => "'\\f'".into(),
        b'\n' => "'\\n'".into(),
        b'\r' => "'\\r'".into(),
        b'\t' => "'\\t'".into(),
        0x0b => "'\\v'".into(),
        b'\\' => "'\\\\'".into(),
        0x20..=0x7e => format!("'{}'", c as char),
        0x00..=0x1f | 0x7f => format!("'\\x{c:02x}'"),
        // U+0080..U+009F, U+00A0 (no-break space) and U+00AD (soft hyphen) are not
        // `unicode.IsPrint`; the rest of Latin-1 prints as itself
        0x80..=0xa0 | 0xad => format!("'\\u{c:04x}'"),
        _ => format!("'{}'", char::from(c)),
    }
}

/// Go's `path.Clean("/" + p) == "/" + p`: no empty, `.` or `..` segment, no trailing slash.
pub(crate) fn is_clean_relative_path(p: &str) -> bool {
    p.is_empty()
        || p.split('/')
            .all(|seg| !seg.is_empty() && seg != "." && seg != "..")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A token as Go's `json.Marshal(&continueToken{…})` + `RawURLEncoding` writes it.
    fn token(v: &str, rv: i64, start: &str) -> String {
        use base64::Engine;
        let j = json!({"v": v, "rv": rv, "start": start});
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(j.to_string())
    }

    /// upstream `storage/continue_test.go` `Test_decodeContinue`, case by case, with the error
    /// texts of the errors it names.
    #[test]
    fn decode_continue_as_upstream() {
        let generic = "continue key is not valid";
        let cases: &[(&str, String, Result<(&str, i64), String>)] = &[
            (
                "valid",
                token("meta.k8s.io/v1", 1, "key"),
                Ok(("/test/key", 1)),
            ),
            (
                "root path",
                token("meta.k8s.io/v1", 1, "/"),
                Ok(("/test/", 1)),
            ),
            (
                "empty version",
                token("", 1, "key"),
                Err(format!(
                    "{generic}: server does not recognize this encoded version "
                )),
            ),
            (
                "invalid version",
                token("v1", 1, "key"),
                Err(format!(
                    "{generic}: server does not recognize this encoded version v1"
                )),
            ),
            (
                "invalid RV",
                token("meta.k8s.io/v1", 0, "key"),
                Err(format!(
                    "{generic}: incorrect encoded start resourceVersion (version meta.k8s.io/v1)"
                )),
            ),
            (
                "no start Key",
                token("meta.k8s.io/v1", 1, ""),
                Err(format!(
                    "{generic}: encoded start key empty (version meta.k8s.io/v1)"
                )),
            ),
            (
                "path traversal - parent",
                token("meta.k8s.io/v1", 1, "../key"),
                Err(format!("{generic}: ../key")),
            ),
            (
                "path traversal - local",
                token("meta.k8s.io/v1", 1, "./key"),
                Err(format!("{generic}: ./key")),
            ),
            (
                "path traversal - double parent",
                token("meta.k8s.io/v1", 1, "./../key"),
                Err(format!("{generic}: ./../key")),
            ),
            (
                "path traversal - after parent",
                token("meta.k8s.io/v1", 1, "key/../.."),
                Err(format!("{generic}: key/../..")),
            ),
        ];
        for (name, tok, want) in cases {
            let got = decode_continue(tok, "/test/");
            let want = want.clone().map(|(k, rv)| (k.to_string(), rv));
            assert_eq!(got, want, "{name}");
        }
    }

    /// What a list writes is what the next page reads: the key after the prefix, with the
    /// NUL that makes the next page start right after it; an expired token continues from the
    /// same key at the latest resourceVersion (-1).
    #[test]
    fn encode_round_trips_and_expired_points_at_latest() {
        let prefix = "certificates.k8s.io/certificatesigningrequests//";
        let key = format!("{prefix}csr-7");
        let tok = encode_continue(42, &key, prefix);
        assert_eq!(decode_continue(&tok, prefix), Ok((format!("{key}\0"), 42)));
        let st = expired_continue(&key, prefix);
        assert_eq!(st.code, 410);
        let next = st.metadata["continue"].as_str().expect("a continue token");
        assert_eq!(decode_continue(next, prefix), Ok((key, -1)));
    }

    /// Not base64, or base64 of something that is not a token object: Go's decoder texts.
    #[test]
    fn undecodable_tokens_get_go_texts() {
        let generic = "continue key is not valid";
        assert_eq!(
            decode_continue("a=b", "/p/"),
            Err(format!("{generic}: illegal base64 data at input byte 1"))
        );
        use base64::Engine;
        let b64 = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
        assert_eq!(
            decode_continue(&b64("\"x\""), "/p/"),
            Err(format!(
                "{generic}: json: cannot unmarshal string into Go value of type storage.continueToken"
            ))
        );
        assert_eq!(
            decode_continue(&b64("x"), "/p/"),
            Err(format!(
                "{generic}: invalid character 'x' looking for beginning of value"
            ))
        );
    }
}
