//! Field errors, formatted exactly as apimachinery's `field.Error`
//! (`staging/src/k8s.io/apimachinery/pkg/util/validation/field/errors.go`):
//! `<field>: <Type>[: <value>][: <detail>]`.

use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    Required,
    Invalid,
    NotSupported,
    Duplicate,
    Forbidden,
    TooLong,
}

impl ErrorKind {
    /// The text Go prints for the error type.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Required => "Required value",
            ErrorKind::Invalid => "Invalid value",
            ErrorKind::NotSupported => "Unsupported value",
            ErrorKind::Duplicate => "Duplicate value",
            ErrorKind::Forbidden => "Forbidden",
            ErrorKind::TooLong => "Too long",
        }
    }
    /// `metav1.CauseType` used in the Status causes.
    pub fn cause_reason(self) -> &'static str {
        match self {
            ErrorKind::Required => "FieldValueRequired",
            ErrorKind::Invalid => "FieldValueInvalid",
            ErrorKind::NotSupported => "FieldValueNotSupported",
            ErrorKind::Duplicate => "FieldValueDuplicate",
            ErrorKind::Forbidden => "FieldValueForbidden",
            ErrorKind::TooLong => "FieldValueTooLong",
        }
    }
}

/// One validation error on one field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldError {
    pub kind: ErrorKind,
    pub field: String,
    /// The bad value as Go would print it (already quoted for strings); `None` where the type
    /// omits the value (Required, Forbidden, TooLong).
    pub value: Option<String>,
    pub detail: String,
}

/// Go's `%q` for a string (close enough for the printable ASCII/UTF-8 values we see).
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\u{b}' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c if !go_is_print(c) => {
                if (c as u32) < 0x10000 {
                    out.push_str(&format!("\\u{:04x}", c as u32))
                } else {
                    out.push_str(&format!("\\U{:08x}", c as u32))
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Go's `unicode.IsPrint` for what clients send: the ASCII space and graphic characters
/// print; controls, the Unicode format characters (soft hyphen, zero-width and bidi marks, BOM)
/// and separators other than the space do not.
pub fn go_is_print(c: char) -> bool {
    let u = c as u32;
    if c == ' ' {
        return true;
    }
    if c.is_control() || c.is_whitespace() {
        return false;
    }
    !matches!(u,
        0xAD | 0x600..=0x605 | 0x61C | 0x6DD | 0x70F | 0x180E | 0x200B..=0x200F
        | 0x202A..=0x202E | 0x2060..=0x2064 | 0x2066..=0x206F | 0xFEFF | 0xFFF9..=0xFFFB
        | 0xE000..=0xF8FF | 0xFFFE | 0xFFFF | 0xF0000..=0x10FFFF)
}

/// Go's `%#U` of a rune: `U+0001`, or `U+0041 'A'` when it prints.
pub fn go_sharp_u(c: char) -> String {
    if go_is_print(c) {
        format!("U+{:04X} '{c}'", c as u32)
    } else {
        format!("U+{:04X}", c as u32)
    }
}

/// Go's `%#v` of a `[]byte`: `[]byte(nil)` or `[]byte{0x2d, 0x2d}`.
pub fn go_bytes(b: &[u8]) -> String {
    if b.is_empty() {
        return "[]byte(nil)".to_string();
    }
    let parts: Vec<String> = b.iter().map(|x| format!("0x{x:x}")).collect();
    format!("[]byte{{{}}}", parts.join(", "))
}

impl FieldError {
    pub fn required(field: impl Into<String>, detail: impl Into<String>) -> Self {
        FieldError {
            kind: ErrorKind::Required,
            field: field.into(),
            value: None,
            detail: detail.into(),
        }
    }
    pub fn forbidden(field: impl Into<String>, detail: impl Into<String>) -> Self {
        FieldError {
            kind: ErrorKind::Forbidden,
            field: field.into(),
            value: None,
            detail: detail.into(),
        }
    }
    pub fn too_long(field: impl Into<String>, max: usize) -> Self {
        FieldError {
            kind: ErrorKind::TooLong,
            field: field.into(),
            value: None,
            // apimachinery ≥ v0.32 (`field.TooLong`); v1.31 and older said
            // `must have at most <max> bytes`.
            detail: format!(
                "may not be more than {max} {}",
                if max == 1 { "byte" } else { "bytes" }
            ),
        }
    }
    /// Invalid with a string value (printed quoted).
    pub fn invalid(field: impl Into<String>, value: &str, detail: impl Into<String>) -> Self {
        FieldError {
            kind: ErrorKind::Invalid,
            field: field.into(),
            value: Some(quote(value)),
            detail: detail.into(),
        }
    }
    /// Invalid with a value already rendered as Go would print it.
    pub fn invalid_raw(
        field: impl Into<String>,
        value: impl Into<String>,
        detail: impl Into<String>,
    ) -> Self {
        FieldError {
            kind: ErrorKind::Invalid,
            field: field.into(),
            value: Some(value.into()),
            detail: detail.into(),
        }
    }
    pub fn not_supported(field: impl Into<String>, value: &str, supported: &[&str]) -> Self {
        let list: Vec<String> = supported.iter().map(|s| quote(s)).collect();
        FieldError {
            kind: ErrorKind::NotSupported,
            field: field.into(),
            value: Some(quote(value)),
            detail: format!("supported values: {}", list.join(", ")),
        }
    }
    pub fn duplicate(field: impl Into<String>, value: &str) -> Self {
        FieldError {
            kind: ErrorKind::Duplicate,
            field: field.into(),
            value: Some(quote(value)),
            detail: String::new(),
        }
    }

    /// `ErrorBody()`: everything after `<field>: `; this is the Status cause message.
    pub fn message_without_field(&self) -> String {
        let mut s = self.kind.as_str().to_string();
        if let Some(v) = &self.value {
            s.push_str(": ");
            s.push_str(v);
        }
        if !self.detail.is_empty() {
            s.push_str(": ");
            s.push_str(&self.detail);
        }
        s
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message_without_field())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_like_apimachinery() {
        assert_eq!(
            FieldError::required("spec.usages", "").to_string(),
            "spec.usages: Required value"
        );
        assert_eq!(
            FieldError::invalid_raw("spec.expirationSeconds", "599", "may not specify a duration less than 600 seconds (10 minutes)").to_string(),
            "spec.expirationSeconds: Invalid value: 599: may not specify a duration less than 600 seconds (10 minutes)"
        );
        assert_eq!(
            FieldError::not_supported("status.conditions[0].status", "False", &["True"])
                .to_string(),
            "status.conditions[0].status: Unsupported value: \"False\": supported values: \"True\""
        );
        assert_eq!(
            FieldError::duplicate("spec.usages[1]", "any").to_string(),
            "spec.usages[1]: Duplicate value: \"any\""
        );
        assert_eq!(
            FieldError::forbidden(
                "status.certificate",
                "updates may not set certificate content"
            )
            .to_string(),
            "status.certificate: Forbidden: updates may not set certificate content"
        );
        assert_eq!(go_bytes(b""), "[]byte(nil)");
        assert_eq!(go_bytes(b"-a"), "[]byte{0x2d, 0x61}");
    }
}
