//! RFC 3339 time parsing and formatting (`metav1.Time`), also through serde as a JSON string,
//! and formatting of any instant the arithmetic can produce.
#![no_main]

use csrsim::api::Time;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if data.len() >= 8 {
        // Any i64 the saturating arithmetic can reach must format without panicking.
        let secs = i64::from_le_bytes(data[..8].try_into().expect("8 bytes"));
        let t = Time::from_unix(secs);
        let _ = t.go_string();
        let s = t.to_rfc3339();
        let _ = serde_json::to_string(&t).expect("time serializes");
        if let Ok(back) = Time::parse_rfc3339(&s) {
            assert_eq!(back, t, "{s}");
        }
    }
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(t) = Time::parse_rfc3339(s) {
        // Whatever parses formats, and the formatted text parses back to the same instant.
        let out = t.to_rfc3339();
        assert_eq!(Time::parse_rfc3339(&out), Ok(t), "{s:?} -> {out}");
    }
    let _ = serde_json::from_value::<Time>(serde_json::Value::String(s.to_string()));
});
