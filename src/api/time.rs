//! Kubernetes `metav1.Time`: RFC 3339 in whole seconds, always UTC (`2030-01-01T00:00:00Z`).
//!
//! Stored as seconds since the Unix epoch so that the simulation can do integer arithmetic
//! on it; serialized exactly as the apiserver does.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::time::Duration;

/// A point in (virtual) time, seconds since the Unix epoch, UTC.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Time(pub i64);

impl Time {
    pub const ZERO: Time = Time(0);

    pub fn from_unix(secs: i64) -> Self {
        Time(secs)
    }
    pub fn unix(self) -> i64 {
        self.0
    }
    pub fn is_zero(self) -> bool {
        self.0 == 0
    }
    pub fn plus(self, d: Duration) -> Time {
        Time(self.0.saturating_add(d.as_secs() as i64))
    }
    pub fn add_secs(self, s: i64) -> Time {
        Time(self.0.saturating_add(s))
    }
    /// `self - earlier` in seconds (may be negative).
    pub fn since(self, earlier: Time) -> i64 {
        self.0 - earlier.0
    }

    /// Format as RFC 3339 with seconds precision (`2006-01-02T15:04:05Z`), in Go's layout
    /// for any instant: the year is zero-padded to 4 digits, wider past 9999, `-0001` before
    /// year 0 (`time.Time.Format`). Never panics (fuzz finding: humantime refused years
    /// past 9999 and the serializer panicked).
    pub fn to_rfc3339(self) -> String {
        match self.rfc3339_bytes() {
            Some(b) => b.iter().map(|&c| c as char).collect(),
            None => self.rfc3339_general(),
        }
    }

    /// [`Time::to_rfc3339`] through `format!`, for any instant (the years outside 0000–9999).
    fn rfc3339_general(self) -> String {
        let (y, mo, d, h, mi, s) = civil_from_unix(self.0);
        format!("{}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z", go_year(y))
    }

    /// The 20 ASCII bytes of [`Time::to_rfc3339`] for years 0000–9999, written without the
    /// formatting machinery: every stored object carries several timestamps and they are
    /// serialized on each write (2 % of a fleet run went to `format!` here).
    fn rfc3339_bytes(self) -> Option<[u8; 20]> {
        if !(MIN_RFC3339_SECS..=MAX_RFC3339_SECS).contains(&self.0) {
            return None;
        }
        let (y, mo, d, h, mi, s) = civil_from_unix(self.0);
        let y = y as u32;
        let two = |v: u32| [b'0' + (v / 10) as u8, b'0' + (v % 10) as u8];
        let mut b = *b"0000-00-00T00:00:00Z";
        b[0] = b'0' + (y / 1000) as u8;
        b[1] = b'0' + (y / 100 % 10) as u8;
        b[2..4].copy_from_slice(&two(y % 100));
        b[5..7].copy_from_slice(&two(mo));
        b[8..10].copy_from_slice(&two(d));
        b[11..13].copy_from_slice(&two(h));
        b[14..16].copy_from_slice(&two(mi));
        b[17..19].copy_from_slice(&two(s));
        Some(b)
    }

    /// Parse RFC 3339 (`Z` or a numeric offset, optional fractional seconds, which are dropped).
    pub fn parse_rfc3339(s: &str) -> Result<Time, String> {
        parse_rfc3339(s).ok_or_else(|| format!("invalid RFC 3339 timestamp {s:?}"))
    }

    /// Go's `time.Time.String()` layout for a UTC time: `2006-01-02 15:04:05 +0000 UTC`.
    pub fn go_string(self) -> String {
        let (y, mo, d, h, mi, s) = civil_from_unix(self.0);
        format!(
            "{}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02} +0000 UTC",
            go_year(y)
        )
    }
}

impl fmt::Display for Time {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_rfc3339())
    }
}

impl Serialize for Time {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.rfc3339_bytes() {
            // ASCII by construction
            Some(b) => s.serialize_str(std::str::from_utf8(&b).unwrap_or_default()),
            None => s.serialize_str(&self.rfc3339_general()),
        }
    }
}

impl<'de> Deserialize<'de> for Time {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Time::parse_rfc3339(&s).map_err(serde::de::Error::custom)
    }
}

/// Go's `appendInt(b, year, 4)`: sign, then the magnitude zero-padded to 4 digits.
fn go_year(y: i64) -> String {
    if y < 0 {
        format!("-{:04}", y.unsigned_abs())
    } else {
        format!("{y:04}")
    }
}

/// First instant RFC 3339 can write: 0000-01-01T00:00:00Z.
const MIN_RFC3339_SECS: i64 = -62_167_219_200;
/// Last instant RFC 3339 can write: 9999-12-31T23:59:59Z.
const MAX_RFC3339_SECS: i64 = 253_402_300_799;

/// Days since 1970-01-01 for a proleptic Gregorian date (Howard Hinnant's algorithm).
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m as i64 + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146097 + doe - 719468
}

/// (year, month, day, hour, minute, second) of a Unix time.
pub fn civil_from_unix(t: i64) -> (i64, u32, u32, u32, u32, u32) {
    let days = t.div_euclid(86400);
    let rem = t.rem_euclid(86400);
    let z = days + 719468;
    let era = if z >= 0 { z } else { z - 146096 } / 146097;
    let doe = z - era * 146097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = if m <= 2 { y + 1 } else { y };
    (
        y,
        m,
        d,
        (rem / 3600) as u32,
        ((rem % 3600) / 60) as u32,
        (rem % 60) as u32,
    )
}

fn parse_rfc3339(s: &str) -> Option<Time> {
    let b = s.as_bytes();
    if b.len() < 20 {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let t = s.get(r)?;
        if !t.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        t.parse().ok()
    };
    let y = num(0..4)?;
    let mo = num(5..7)? as u32;
    let d = num(8..10)? as u32;
    let h = num(11..13)?;
    let mi = num(14..16)?;
    let sec = num(17..19)?;
    if b[4] != b'-' || b[7] != b'-' || !(b[10] == b'T' || b[10] == b't' || b[10] == b' ') {
        return None;
    }
    if b[13] != b':' || b[16] != b':' {
        return None;
    }
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || sec > 60 {
        return None;
    }
    let mut i = 19;
    if i < b.len() && b[i] == b'.' {
        i += 1;
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == start {
            return None;
        }
    }
    let offset = match b.get(i)? {
        b'Z' | b'z' if i + 1 == b.len() => 0,
        c @ (b'+' | b'-') if i + 6 == b.len() && b[i + 3] == b':' => {
            let oh = num(i + 1..i + 3)?;
            let om = num(i + 4..i + 6)?;
            let o = oh * 3600 + om * 60;
            if *c == b'+' {
                o
            } else {
                -o
            }
        }
        _ => return None,
    };
    let days = days_from_civil(y, mo, d);
    let t = days * 86400 + h * 3600 + mi * 60 + sec - offset;
    // An offset can carry a 4-digit local time outside the 4-digit UTC years (Go accepts it
    // and then writes `10000-01-01T...`, which it cannot read back). Refuse it here so every
    // stored time re-reads (fuzz finding).
    (MIN_RFC3339_SECS..=MAX_RFC3339_SECS)
        .contains(&t)
        .then_some(Time(t))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The byte-level fast path writes exactly what the general Go-layout formatter writes,
    /// across the whole 0000–9999 range (leap days, year and digit boundaries) and at its edges.
    #[test]
    fn fast_rfc3339_matches_general_layout() {
        let general = Time::rfc3339_general;
        let mut t = MIN_RFC3339_SECS;
        while t <= MAX_RFC3339_SECS {
            for dt in [0, 1, 59, 3599, 86399] {
                let x = Time(t + dt);
                assert_eq!(x.to_rfc3339(), general(x), "at {}", x.0);
                assert_eq!(
                    serde_json::to_string(&x).unwrap(),
                    format!("\"{}\"", general(x))
                );
            }
            t += 86_400 * 37 + 3_917;
        }
        for x in [
            MIN_RFC3339_SECS,
            MAX_RFC3339_SECS,
            0,
            951_782_400,
            1_900_000_000,
        ] {
            assert_eq!(Time(x).to_rfc3339(), general(Time(x)));
        }
        // Past the edges the general formatter answers: `extreme_instants`.
    }

    #[test]
    fn round_trips_rfc3339() {
        for s in [
            "1970-01-01T00:00:00Z",
            "2030-01-01T00:00:00Z",
            "2024-02-29T23:59:59Z",
        ] {
            assert_eq!(Time::parse_rfc3339(s).unwrap().to_rfc3339(), s);
        }
        assert_eq!(
            Time::parse_rfc3339("2030-01-01T01:00:00+01:00").unwrap(),
            Time::parse_rfc3339("2030-01-01T00:00:00Z").unwrap()
        );
        assert_eq!(
            Time::parse_rfc3339("2030-01-01T00:00:00.123456Z")
                .unwrap()
                .to_rfc3339(),
            "2030-01-01T00:00:00Z"
        );
        assert!(Time::parse_rfc3339("2030-13-01T00:00:00Z").is_err());
        assert!(Time::parse_rfc3339("garbage").is_err());
    }

    /// Fuzz findings (fuzz/corpus/time_rfc3339): formatting any i64 never panics and uses
    /// Go's year layout; instants outside years 0000..9999 UTC do not parse.
    #[test]
    fn extreme_instants() {
        assert_eq!(Time(i64::MAX).to_rfc3339(), "292277026596-12-04T15:30:07Z");
        assert_eq!(
            Time(MAX_RFC3339_SECS + 1).to_rfc3339(),
            "10000-01-01T00:00:00Z"
        );
        assert_eq!(
            Time(MIN_RFC3339_SECS - 1).to_rfc3339(),
            "-0001-12-31T23:59:59Z"
        );
        assert_eq!(Time(MIN_RFC3339_SECS).to_rfc3339(), "0000-01-01T00:00:00Z");
        let _ = Time(i64::MIN).to_rfc3339();
        assert!(Time::parse_rfc3339("9999-12-31T23:59:59-01:00").is_err());
        assert!(Time::parse_rfc3339("0000-01-01T00:00:00+00:01").is_err());
        assert_eq!(
            Time::parse_rfc3339("9999-12-31T23:59:59Z").unwrap().0,
            MAX_RFC3339_SECS
        );
        assert_eq!(
            Time::parse_rfc3339("0000-01-01T00:00:00Z").unwrap().0,
            MIN_RFC3339_SECS
        );
    }

    #[test]
    fn go_string_layout() {
        let t = Time::parse_rfc3339("2031-06-02T03:04:05Z").unwrap();
        assert_eq!(t.go_string(), "2031-06-02 03:04:05 +0000 UTC");
        assert_eq!(civil_from_unix(t.0), (2031, 6, 2, 3, 4, 5));
    }
}
