//! Go's `strconv.ParseInt` and `strconv.ParseUint` in base 10 with 64 bits, as apimachinery
//! reads integer query parameters (`Convert_Slice_string_To_int64`) and resourceVersions
//! (`APIObjectVersioner.ParseResourceVersion`): what they accept, and their error texts.

/// `strconv.ParseUint(s, 10, 64)`: decimal digits only. Rust's `u64::from_str` also takes a
/// leading `+`, which Go refuses (fuzz finding: `resourceVersion=+1` was accepted).
pub fn parse_uint(s: &str) -> Result<u64, String> {
    if all_digits(s) {
        if let Ok(n) = s.parse() {
            return Ok(n);
        }
    }
    Err(error("ParseUint", s, all_digits(s)))
}

/// `strconv.ParseInt(s, 10, 64)`: an optional sign, then decimal digits.
pub fn parse_int(s: &str) -> Result<i64, String> {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    if all_digits(digits) {
        if let Ok(n) = s.parse() {
            return Ok(n);
        }
    }
    Err(error("ParseInt", s, all_digits(digits)))
}

fn all_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// `*strconv.NumError`'s text: `strconv.<Func>: parsing "<s>": <invalid syntax | value out
/// of range>` (range when the digits are well-formed but too many).
fn error(func: &str, s: &str, well_formed: bool) -> String {
    let why = if well_formed {
        "value out of range"
    } else {
        "invalid syntax"
    };
    format!(
        "strconv.{func}: parsing {}: {why}",
        crate::validation::field::quote(s)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepted_values_and_go_texts() {
        assert_eq!(parse_uint("0"), Ok(0));
        assert_eq!(parse_uint("18446744073709551615"), Ok(u64::MAX));
        assert_eq!(parse_int("-5"), Ok(-5));
        assert_eq!(parse_int("+7"), Ok(7));
        let bad = [
            (
                parse_uint("+1").err(),
                "strconv.ParseUint: parsing \"+1\": invalid syntax",
            ),
            (
                parse_uint("").err(),
                "strconv.ParseUint: parsing \"\": invalid syntax",
            ),
            (
                parse_uint("abc").err(),
                "strconv.ParseUint: parsing \"abc\": invalid syntax",
            ),
            (
                parse_uint("18446744073709551616").err(),
                "strconv.ParseUint: parsing \"18446744073709551616\": value out of range",
            ),
            (
                parse_int("-").err(),
                "strconv.ParseInt: parsing \"-\": invalid syntax",
            ),
            (
                parse_int(" 5").err(),
                "strconv.ParseInt: parsing \" 5\": invalid syntax",
            ),
            (
                parse_int("99999999999999999999").err(),
                "strconv.ParseInt: parsing \"99999999999999999999\": value out of range",
            ),
        ];
        for (got, want) in bad {
            assert_eq!(got.as_deref(), Some(want));
        }
    }
}
