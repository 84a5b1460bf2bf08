//! Go `encoding/json` decoding semantics our serde types do not have by themselves.
//!
//! `[]byte` fields are `base64.StdEncoding.Decode`d: `\r` and `\n` anywhere are skipped (a
//! wrapped `base64` output is accepted), padding is required, non-zero trailing bits are
//! tolerated, and a bad input is `illegal base64 data at input byte <n>` (`CorruptInputError`,
//! `n` an index into the original text).
//!
//! Go leaves a struct field at its zero value when the JSON carries `null` for it (a nil
//! slice, an empty string, a nil pointer), so `"signerName": null` reaches validation as an
//! empty name (422 `spec.signerName: Required value`), not a decoding error. Our types give an
//! *omitted* field its default, so dropping `null` object members first decodes a body as the
//! apiserver does.

use serde_json::Value;

/// Remove every `null` member of every object in `v` (arrays keep their elements).
/// Iterative, so safe on any nesting depth.
pub fn drop_null_members(v: &mut Value) {
    let mut stack = vec![v];
    while let Some(v) = stack.pop() {
        match v {
            Value::Object(m) => {
                m.retain(|_, x| !x.is_null());
                stack.extend(m.values_mut());
            }
            Value::Array(a) => stack.extend(a.iter_mut()),
            _ => {}
        }
    }
}

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

fn sextet(c: u8) -> Option<u32> {
    ALPHABET.iter().position(|&a| a == c).map(|p| p as u32)
}

fn corrupt(at: usize) -> String {
    format!("illegal base64 data at input byte {at}")
}

/// `base64.StdEncoding.Decode`, quantum by quantum as Go's `decodeQuantum` does.
pub fn decode_base64_std(src: &[u8]) -> Result<Vec<u8>, String> {
    let is_nl = |c: u8| c == b'\n' || c == b'\r';
    let mut out = Vec::with_capacity(src.len() / 4 * 3);
    let mut si = 0;
    while si < src.len() {
        let mut buf = [0u32; 4];
        let mut dlen = 4;
        let mut trailing: Option<usize> = None;
        let mut j = 0;
        while j < 4 {
            if si == src.len() {
                if j == 0 {
                    return Ok(out);
                }
                // StdEncoding has a padding character: a short final quantum is corrupt.
                return Err(corrupt(si - j));
            }
            let c = src[si];
            si += 1;
            if let Some(v) = sextet(c) {
                buf[j] = v;
                j += 1;
                continue;
            }
            if is_nl(c) {
                continue;
            }
            if c != b'=' || j < 2 {
                return Err(corrupt(si - 1));
            }
            if j == 2 {
                // "==" expected; the first '=' is consumed
                while si < src.len() && is_nl(src[si]) {
                    si += 1;
                }
                if si == src.len() {
                    return Err(corrupt(src.len()));
                }
                if src[si] != b'=' {
                    return Err(corrupt(si - 1));
                }
                si += 1;
            }
            while si < src.len() && is_nl(src[si]) {
                si += 1;
            }
            if si < src.len() {
                trailing = Some(si); // trailing garbage after the padding
            }
            dlen = j;
            break;
        }
        let val = buf[0] << 18 | buf[1] << 12 | buf[2] << 6 | buf[3];
        let bytes = [(val >> 16) as u8, (val >> 8) as u8, val as u8];
        out.extend_from_slice(&bytes[..dlen - 1]);
        if let Some(at) = trailing {
            return Err(corrupt(at));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::CertificateSigningRequest;
    use serde_json::json;

    #[test]
    fn base64_as_go_std_encoding() {
        // (input, Go's result) — base64.StdEncoding.DecodeString semantics.
        let rows: &[(&str, Result<&[u8], &str>)] = &[
            ("", Ok(b"")),
            ("aGk=", Ok(b"hi")),
            ("aGVsbG8=", Ok(b"hello")),
            ("aGVs\nbG8=\r\n", Ok(b"hello")), // newlines are skipped anywhere
            ("YWJj", Ok(b"abc")),
            ("aGl=", Ok(b"hi")), // non-zero trailing bits tolerated (not strict)
            ("-----BEGIN", Err("illegal base64 data at input byte 0")),
            ("aGk", Err("illegal base64 data at input byte 0")), // missing padding
            ("a===", Err("illegal base64 data at input byte 1")),
            ("aG==", Ok(b"h")),
            ("aG=", Err("illegal base64 data at input byte 3")), // not enough padding
            ("aGk=YQ==", Err("illegal base64 data at input byte 4")), // data after padding
            ("aGVs bG8=", Err("illegal base64 data at input byte 4")),
        ];
        for (input, want) in rows {
            let got = decode_base64_std(input.as_bytes());
            match want {
                Ok(b) => assert_eq!(got.as_deref(), Ok(*b), "{input:?}"),
                Err(e) => assert_eq!(got, Err(e.to_string()), "{input:?}"),
            }
        }
    }

    #[test]
    fn null_members_decode_as_go_zero_values() {
        // `"signerName": null`, `"usages": null`, `"expirationSeconds": null` and null
        // metadata maps decode like omitted fields (Go: zero value / nil).
        let mut body = json!({
            "metadata": {"name": "x", "labels": null},
            "spec": {"request": null, "signerName": null, "usages": null,
                     "expirationSeconds": null, "groups": ["g"]},
            "status": {"conditions": [{"type": "T", "status": "True", "reason": null}]}
        });
        assert!(serde_json::from_value::<CertificateSigningRequest>(body.clone()).is_err());
        drop_null_members(&mut body);
        let csr: CertificateSigningRequest = serde_json::from_value(body).unwrap();
        assert_eq!(csr.spec.signer_name, "");
        assert!(csr.spec.usages.is_empty() && csr.spec.request.is_empty());
        assert_eq!(csr.spec.expiration_seconds, None);
        assert_eq!(csr.spec.groups, ["g"]);
        assert_eq!(csr.status.conditions[0].reason, "");
    }
}
