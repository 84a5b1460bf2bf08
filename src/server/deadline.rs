//! apiserver's `WithRequestDeadline` filter, as far as a client can see it: a request that is
//! not long-running (not a watch) with a `timeout` query parameter Go's `time.ParseDuration`
//! cannot read is a 400 before authentication (`invalid timeout specified in the request URL -
//! <ParseDuration error>`). A valid timeout is capped at the server's maximum and changes
//! nothing here: every request finishes long before it.

use super::routing::parse_query;
use crate::api::Status;

/// The 400 for `GET <path>?<query>`, or `None` when the request goes on.
pub fn check(method: &str, path: &str, query: &str) -> Option<Status> {
    let q = parse_query(query);
    let value = q.get("timeout")?;
    if value.is_empty() || long_running(method, path, query) {
        return None;
    }
    let err = go_parse_duration(value).err()?;
    Some(Status::bad_request(format!(
        "invalid timeout specified in the request URL - {err}"
    )))
}

/// kube-apiserver's `BasicLongRunningRequestCheck` (verbs `watch` and `proxy`; subresources
/// `attach`, `exec`, `proxy`, `log`, `portforward`) on the request as `RequestInfoFactory`
/// reads it. A `watch` parameter makes a watch only of a collection: on an object's own path
/// the verb stays `get`, so `…/certificatesigningrequests/x?watch=1` is not long-running.
fn long_running(method: &str, path: &str, query: &str) -> bool {
    const VERBS: [&str; 2] = ["watch", "proxy"];
    const SUBRESOURCES: [&str; 5] = ["attach", "exec", "proxy", "log", "portforward"];
    let a = super::routing::request_attributes(method, path, query);
    VERBS.contains(&a.verb.as_str())
        || (a.resource_request && SUBRESOURCES.contains(&a.subresource.as_str()))
}

/// Go's `time.ParseDuration`, for its error text only.
pub fn go_parse_duration(orig: &str) -> Result<(), String> {
    const MAX: u128 = 1 << 63;
    let invalid = || format!("time: invalid duration {}", go_time_quote(orig));
    let mut s = orig;
    let mut neg = false;
    if let Some(c) = s.chars().next() {
        if c == '-' || c == '+' {
            neg = c == '-';
            s = &s[1..];
        }
    }
    if s == "0" {
        return Ok(());
    }
    if s.is_empty() {
        return Err(invalid());
    }
    let mut d: u128 = 0;
    while !s.is_empty() {
        let b = s.as_bytes();
        if !(b[0] == b'.' || b[0].is_ascii_digit()) {
            return Err(invalid());
        }
        // leadingInt
        let digits = b.iter().take_while(|c| c.is_ascii_digit()).count();
        let mut v: u128 = 0;
        for &c in &b[..digits] {
            if v > MAX / 10 {
                return Err(invalid());
            }
            v = v * 10 + u128::from(c - b'0');
            if v > MAX {
                return Err(invalid());
            }
        }
        let pre = digits > 0;
        s = &s[digits..];
        // leadingFraction
        let mut frac: u128 = 0;
        let mut scale: f64 = 1.0;
        let mut post = false;
        if s.starts_with('.') {
            s = &s[1..];
            let fd = s.bytes().take_while(|c| c.is_ascii_digit()).count();
            post = fd > 0;
            let mut overflow = false;
            for c in s[..fd].bytes() {
                if overflow {
                    continue;
                }
                if frac > (MAX - 1) / 10 {
                    overflow = true;
                    continue;
                }
                let y = frac * 10 + u128::from(c - b'0');
                if y > MAX {
                    overflow = true;
                    continue;
                }
                frac = y;
                scale *= 10.0;
            }
            s = &s[fd..];
        }
        if !pre && !post {
            return Err(invalid());
        }
        let ul = s
            .char_indices()
            .find(|(_, c)| *c == '.' || c.is_ascii_digit())
            .map_or(s.len(), |(i, _)| i);
        if ul == 0 {
            return Err(format!(
                "time: missing unit in duration {}",
                go_time_quote(orig)
            ));
        }
        let u = &s[..ul];
        s = &s[ul..];
        let unit: u128 = match u {
            "ns" => 1,
            "us" | "\u{b5}s" | "\u{3bc}s" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60_000_000_000,
            "h" => 3_600_000_000_000,
            _ => {
                return Err(format!(
                    "time: unknown unit {} in duration {}",
                    go_time_quote(u),
                    go_time_quote(orig)
                ))
            }
        };
        if v > MAX / unit {
            return Err(invalid());
        }
        v *= unit;
        if frac > 0 {
            v += (frac as f64 * (unit as f64 / scale)) as u128;
            if v > MAX {
                return Err(invalid());
            }
        }
        d += v;
        if d > MAX {
            return Err(invalid());
        }
    }
    if !neg && d > MAX - 1 {
        return Err(invalid());
    }
    Ok(())
}

/// The time package's `quote`: ASCII as is (`"` and `\` escaped), other bytes as `\xNN`.
fn go_time_quote(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        if (c as u32) >= 0x80 || c < ' ' {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("\\x{b:02x}"));
            }
        } else {
            if c == '"' || c == '\\' {
                out.push('\\');
            }
            out.push(c);
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Which requests skip the timeout check: watches as `RequestInfoFactory` reads them.
    #[test]
    fn long_running_requests_are_watches_of_collections() {
        let c = "/apis/certificates.k8s.io/v1/certificatesigningrequests";
        let rows = [
            ("GET", c.to_string(), "watch=1", true),
            ("GET", c.to_string(), "watch=yes", true),
            ("GET", c.to_string(), "watch=false", false),
            ("GET", c.to_string(), "", false),
            ("GET", format!("{c}/x"), "watch=1", false),
            (
                "GET",
                "/apis/certificates.k8s.io/v1/watch/certificatesigningrequests/x".into(),
                "",
                true,
            ),
            ("GET", "/api/v1/namespaces/n/pods/p/log".into(), "", true),
            ("POST", "/api/v1/namespaces/n/pods/p/exec".into(), "", true),
            (
                "GET",
                "/api/v1/namespaces/n/pods/p/status".into(),
                "",
                false,
            ),
            ("POST", c.to_string(), "watch=1", false),
        ];
        for (m, p, q, want) in rows {
            assert_eq!(long_running(m, &p, q), want, "{m} {p}?{q}");
        }
        let named = check("GET", &format!("{c}/x"), "watch=1&timeout=abc").unwrap();
        assert_eq!(
            named.message,
            "invalid timeout specified in the request URL - time: invalid duration \"abc\""
        );
        assert!(check("GET", c, "watch=1&timeout=abc").is_none());
    }

    /// Go's `time.ParseDuration` errors, and the filter's 400.
    #[test]
    fn parse_duration_errors_and_the_400() {
        let ok = [
            "0", "3m", "0s", "1.5h", "1h30m", "-2s", "+.5ms", "1µs", "300ns", "2562047h",
        ];
        for s in ok {
            assert_eq!(go_parse_duration(s), Ok(()), "{s}");
        }
        let bad = [
            ("invalid", "time: invalid duration \"invalid\""),
            ("", "time: invalid duration \"\""),
            ("-", "time: invalid duration \"-\""),
            (".s", "time: invalid duration \".s\""),
            ("1", "time: missing unit in duration \"1\""),
            ("1x", "time: unknown unit \"x\" in duration \"1x\""),
            ("1m2", "time: missing unit in duration \"1m2\""),
            (
                "1é",
                "time: unknown unit \"\\xc3\\xa9\" in duration \"1\\xc3\\xa9\"",
            ),
            ("2562048h", "time: invalid duration \"2562048h\""),
            (
                "9999999999999999999s",
                "time: invalid duration \"9999999999999999999s\"",
            ),
        ];
        for (s, want) in bad {
            assert_eq!(go_parse_duration(s), Err(want.to_string()), "{s}");
        }
        let st = check("GET", "/version", "timeout=invalid").unwrap();
        assert_eq!(st.code, 400);
        assert_eq!(
            st.message,
            "invalid timeout specified in the request URL - time: invalid duration \"invalid\""
        );
        assert!(check("GET", "/version", "timeout=3m").is_none());
        assert!(check("GET", "/version", "timeout=").is_none());
        assert!(check("GET", "/api/v1/secrets", "watch=true&timeout=bad").is_none());
        assert!(check("GET", "/api/v1/watch/secrets", "timeout=bad").is_none());
        assert!(check("POST", "/api/v1/namespaces", "timeout=1").is_some());
    }
}
