//! What the apiserver says of a create or update body that is not a JSON object: the JSON
//! serializer first reads `apiVersion` and `kind` with Go's `json.Unmarshal` into a small
//! struct (`SimpleMetaFactory.Interpret`), and when that fails the handler answers
//! `the object provided is unrecognized (must be of type <Kind>): couldn't get version/kind;
//! json parse error: <Go's error> (<summary of the body>)` (`transformDecodeError` and
//! `summarizeData` in `apiserver/pkg/endpoints/handlers/rest.go`).
//!
//! Go's error is either a syntax error of `encoding/json`'s scanner — its texts are rebuilt
//! here by a scanner with the same states — or the `UnmarshalTypeError` of a top-level value
//! that is not an object, or of an `apiVersion`/`kind` that is not a string.

/// The Go type `Interpret` unmarshals into, as `%v` prints it.
const FIND_KIND: &str = r#"struct { APIVersion string "json:\"apiVersion,omitempty\""; Kind string "json:\"kind,omitempty\"" }"#;

/// `couldn't get version/kind; json parse error: …` of `body`, or None when Go's
/// `json.Unmarshal` into the `{apiVersion, kind}` struct succeeds.
pub fn interpret_error(body: &[u8]) -> Option<String> {
    let go = match syntax_error(body) {
        Some(e) => e,
        None => type_error(body)?,
    };
    Some(format!("couldn't get version/kind; json parse error: {go}"))
}

/// The whole Bad Request message for a body of kind `kind` that [`interpret_error`] refuses.
pub fn unrecognized(kind: &str, body: &[u8]) -> Option<String> {
    let e = interpret_error(body)?;
    Some(format!(
        "the object provided is unrecognized (must be of type {kind}): {e} ({})",
        summarize_data(body, 30)
    ))
}

/// `summarizeData`: `<empty>`, the first bytes of a body starting with `{`, or their hex.
pub fn summarize_data(data: &[u8], max: usize) -> String {
    let head = &data[..data.len().min(max)];
    let more = if data.len() > max { " ..." } else { "" };
    match data.first() {
        None => "<empty>".into(),
        Some(b'{') => format!("{}{more}", String::from_utf8_lossy(head)),
        Some(_) => {
            let hex: String = head.iter().map(|b| format!("{b:02x}")).collect();
            format!("{hex}{more}")
        }
    }
}

/// Go's `quoteChar`: `'\''`, `'"'`, else `strconv.Quote` of the byte as a rune in single quotes.
fn quote_char(c: u8) -> String {
    match c {
        b'\'' => r"'\''".into(),
        b'"' => "'\"'".into(),
        0x20..=0x7e => format!("'{}'", c as char),
        b'\x07' => r"'\a'".into(),
        b'\x08' => r"'\b'".into(),
        b'\x0c' => r"'\f'".into(),
        b'\n' => r"'\n'".into(),
        b'\r' => r"'\r'".into(),
        b'\t' => r"'\t'".into(),
        b'\x0b' => r"'\v'".into(),
        0x00..=0x1f | 0x7f => format!(r"'\x{c:02x}'"),
        // U+0080..U+009F are not printable in Go; the rest of Latin-1 is
        0x80..=0x9f => format!(r"'\u{c:04x}'"),
        0xa0 => r"'\u00a0'".into(),
        0xad => r"'\u00ad'".into(),
        _ => format!("'{}'", c as char),
    }
}

fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\r' | b'\n')
}

/// What the scanner expects next.
#[derive(Clone, Copy, PartialEq)]
enum Ctx {
    Object,
    Array,
}

struct Scanner<'a> {
    d: &'a [u8],
    i: usize,
}

type Scan = Result<(), String>;

impl Scanner<'_> {
    fn err(&self, c: u8, context: &str) -> String {
        format!("invalid character {} {context}", quote_char(c))
    }
    fn eof() -> String {
        "unexpected end of JSON input".into()
    }
    fn next_non_space(&mut self) -> Option<u8> {
        while self.i < self.d.len() && is_space(self.d[self.i]) {
            self.i += 1;
        }
        self.d.get(self.i).copied()
    }
    fn value(&mut self, stack: &mut Vec<Ctx>) -> Scan {
        let c = self.next_non_space().ok_or_else(Self::eof)?;
        match c {
            b'{' => {
                self.i += 1;
                match self.next_non_space().ok_or_else(Self::eof)? {
                    b'}' => {
                        self.i += 1;
                        Ok(())
                    }
                    b'"' => {
                        stack.push(Ctx::Object);
                        self.object_rest(stack)
                    }
                    c => Err(self.err(c, "looking for beginning of object key string")),
                }
            }
            b'[' => {
                self.i += 1;
                if self.next_non_space().ok_or_else(Self::eof)? == b']' {
                    self.i += 1;
                    return Ok(());
                }
                stack.push(Ctx::Array);
                loop {
                    self.value(stack)?;
                    match self.next_non_space().ok_or_else(Self::eof)? {
                        b',' => self.i += 1,
                        b']' => {
                            self.i += 1;
                            stack.pop();
                            return Ok(());
                        }
                        c => return Err(self.err(c, "after array element")),
                    }
                }
            }
            b'"' => self.string(),
            b'-' | b'0'..=b'9' => self.number(),
            b't' => self.literal(b"true"),
            b'f' => self.literal(b"false"),
            b'n' => self.literal(b"null"),
            c => Err(self.err(c, "looking for beginning of value")),
        }
    }
    /// At the `"` of the first key of an object.
    fn object_rest(&mut self, stack: &mut Vec<Ctx>) -> Scan {
        loop {
            self.string()?;
            match self.next_non_space().ok_or_else(Self::eof)? {
                b':' => self.i += 1,
                c => return Err(self.err(c, "after object key")),
            }
            self.value(stack)?;
            match self.next_non_space().ok_or_else(Self::eof)? {
                b',' => {
                    self.i += 1;
                    match self.next_non_space().ok_or_else(Self::eof)? {
                        b'"' => {}
                        c => return Err(self.err(c, "looking for beginning of object key string")),
                    }
                }
                b'}' => {
                    self.i += 1;
                    stack.pop();
                    return Ok(());
                }
                c => return Err(self.err(c, "after object key:value pair")),
            }
        }
    }
    fn string(&mut self) -> Scan {
        self.i += 1; // the opening quote
        loop {
            let c = *self.d.get(self.i).ok_or_else(Self::eof)?;
            self.i += 1;
            match c {
                b'"' => return Ok(()),
                b'\\' => {
                    let e = *self.d.get(self.i).ok_or_else(Self::eof)?;
                    self.i += 1;
                    match e {
                        b'b' | b'f' | b'n' | b'r' | b't' | b'\\' | b'/' | b'"' => {}
                        b'u' => {
                            for _ in 0..4 {
                                let h = *self.d.get(self.i).ok_or_else(Self::eof)?;
                                if !h.is_ascii_hexdigit() {
                                    return Err(self.err(h, "in \\u hexadecimal character escape"));
                                }
                                self.i += 1;
                            }
                        }
                        e => return Err(self.err(e, "in string escape code")),
                    }
                }
                c if c < 0x20 => return Err(self.err(c, "in string literal")),
                _ => {}
            }
        }
    }
    fn digits(&mut self) {
        while self.i < self.d.len() && self.d[self.i].is_ascii_digit() {
            self.i += 1;
        }
    }
    fn number(&mut self) -> Scan {
        if self.d[self.i] == b'-' {
            self.i += 1;
            match self.d.get(self.i) {
                None => return Err(Self::eof()),
                Some(b'0'..=b'9') => {}
                Some(&c) => return Err(self.err(c, "in numeric literal")),
            }
        }
        if self.d[self.i] == b'0' {
            self.i += 1;
        } else {
            self.digits();
        }
        if self.d.get(self.i) == Some(&b'.') {
            self.i += 1;
            match self.d.get(self.i) {
                None => return Err(Self::eof()),
                Some(b'0'..=b'9') => self.digits(),
                Some(&c) => return Err(self.err(c, "after decimal point in numeric literal")),
            }
        }
        if matches!(self.d.get(self.i), Some(b'e' | b'E')) {
            self.i += 1;
            if matches!(self.d.get(self.i), Some(b'+' | b'-')) {
                self.i += 1;
            }
            match self.d.get(self.i) {
                None => return Err(Self::eof()),
                Some(b'0'..=b'9') => self.digits(),
                Some(&c) => return Err(self.err(c, "in exponent of numeric literal")),
            }
        }
        Ok(())
    }
    fn literal(&mut self, word: &[u8]) -> Scan {
        let name = std::str::from_utf8(word).unwrap_or_default();
        self.i += 1;
        for &want in &word[1..] {
            let c = *self.d.get(self.i).ok_or_else(Self::eof)?;
            if c != want {
                return Err(self.err(
                    c,
                    &format!("in literal {name} (expecting {})", quote_char(want)),
                ));
            }
            self.i += 1;
        }
        Ok(())
    }
}

/// `encoding/json`'s `checkValid` of a whole input: its `SyntaxError` text, or None.
pub fn syntax_error(data: &[u8]) -> Option<String> {
    let mut s = Scanner { d: data, i: 0 };
    let mut stack = Vec::new();
    if let Err(e) = s.value(&mut stack) {
        return Some(e);
    }
    // A number at the very end is complete; anything but space after the value is an error.
    let rest = s.next_non_space();
    rest.map(|c| s.err(c, "after top-level value"))
}

/// Go's name of a JSON value's kind in an `UnmarshalTypeError`.
fn value_kind(v: &serde_json::Value) -> Option<&'static str> {
    use serde_json::Value::*;
    match v {
        Null => None,
        Bool(_) => Some("bool"),
        Number(_) => Some("number"),
        String(_) => Some("string"),
        Array(_) => Some("array"),
        Object(_) => Some("object"),
    }
}

/// The `UnmarshalTypeError` of a syntactically valid body: a top-level non-object, or an
/// `apiVersion`/`kind` that is neither a string nor null (the first in document order).
fn type_error(body: &[u8]) -> Option<String> {
    let v: serde_json::Value = serde_json::from_slice(body).ok()?;
    match &v {
        serde_json::Value::Object(m) => m.iter().find_map(|(k, val)| {
            if k != "apiVersion" && k != "kind" {
                return None;
            }
            match value_kind(val) {
                None | Some("string") => None,
                Some(t) => Some(format!(
                    "json: cannot unmarshal {t} into Go struct field .{k} of type string"
                )),
            }
        }),
        other => value_kind(other)
            .map(|t| format!("json: cannot unmarshal {t} into Go value of type {FIND_KIND}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_syntax_errors() {
        for (input, want) in [
            (
                &b"apiVersion: v1\nkind: Pod"[..],
                "invalid character 'a' looking for beginning of value",
            ),
            (b"", "unexpected end of JSON input"),
            (b"  \n", "unexpected end of JSON input"),
            (b"{", "unexpected end of JSON input"),
            (br#"{"a":1"#, "unexpected end of JSON input"),
            (br#"{"a" 1}"#, "invalid character '1' after object key"),
            (
                br#"{"a":1 "b":2}"#,
                "invalid character '\"' after object key:value pair",
            ),
            (
                br#"{"a":1,}"#,
                "invalid character '}' looking for beginning of object key string",
            ),
            (
                br#"{a:1}"#,
                "invalid character 'a' looking for beginning of object key string",
            ),
            (
                b"[1,]",
                "invalid character ']' looking for beginning of value",
            ),
            (b"[1 2]", "invalid character '2' after array element"),
            (b"{}x", "invalid character 'x' after top-level value"),
            (b"{} {}", "invalid character '{' after top-level value"),
            (b"tru", "unexpected end of JSON input"),
            (
                b"trux",
                "invalid character 'x' in literal true (expecting 'e')",
            ),
            (
                b"nul!",
                "invalid character '!' in literal null (expecting 'l')",
            ),
            (b"-x", "invalid character 'x' in numeric literal"),
            (
                b"1.x",
                "invalid character 'x' after decimal point in numeric literal",
            ),
            (
                b"1ex",
                "invalid character 'x' in exponent of numeric literal",
            ),
            (b"01", "invalid character '1' after top-level value"),
            (br#""\q""#, "invalid character 'q' in string escape code"),
            (
                br#""\u12x4""#,
                "invalid character 'x' in \\u hexadecimal character escape",
            ),
            (b"\"a\nb\"", "invalid character '\\n' in string literal"),
            (
                b"\x00",
                "invalid character '\\x00' looking for beginning of value",
            ),
            (
                b"'a'",
                "invalid character '\\'' looking for beginning of value",
            ),
        ] {
            assert_eq!(
                syntax_error(input).as_deref(),
                Some(want),
                "{}",
                String::from_utf8_lossy(input)
            );
        }
        for ok in [
            &b"{}"[..],
            b" [1, -2.5e+3, true, null, \"\\u00e9\"] ",
            b"0",
            b"{\"a\":{\"b\":[]}}",
        ] {
            assert_eq!(syntax_error(ok), None, "{}", String::from_utf8_lossy(ok));
        }
    }

    #[test]
    fn unrecognized_bodies() {
        assert_eq!(
            unrecognized("Namespace", b"apiVersion: v1\nkind: Pod\nmetadata:\n  name: valid-pod\n").unwrap(),
            "the object provided is unrecognized (must be of type Namespace): couldn't get version/kind; json parse error: invalid character 'a' looking for beginning of value (61706956657273696f6e3a2076310a6b696e643a20506f640a6d65746164 ...)"
        );
        assert_eq!(
            unrecognized("Secret", br#"{"kind":"Secret","#).unwrap(),
            r#"the object provided is unrecognized (must be of type Secret): couldn't get version/kind; json parse error: unexpected end of JSON input ({"kind":"Secret",)"#
        );
        assert_eq!(
            unrecognized("Secret", b"[]").unwrap(),
            format!("the object provided is unrecognized (must be of type Secret): couldn't get version/kind; json parse error: json: cannot unmarshal array into Go value of type {FIND_KIND} (5b5d)")
        );
        assert_eq!(
            unrecognized("Role", br#"{"kind":5}"#).unwrap(),
            r#"the object provided is unrecognized (must be of type Role): couldn't get version/kind; json parse error: json: cannot unmarshal number into Go struct field .kind of type string ({"kind":5})"#
        );
        assert_eq!(
            unrecognized("Role", b"")
                .unwrap()
                .rsplit_once(' ')
                .unwrap()
                .1,
            "(<empty>)"
        );
        assert_eq!(
            unrecognized("Role", br#"{"kind":"Role","apiVersion":null}"#),
            None
        );
        assert_eq!(unrecognized("Role", b"null"), None);
    }
}
