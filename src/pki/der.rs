//! A minimal DER writer: just what certificate construction needs (TLV, INTEGER, OID, BIT
//! STRING, times, SET OF sorted as DER requires). Hand-written because no builder crate keeps
//! a subject with several values of one attribute the way Go's `pkix.Name` re-encodes it.

/// Universal tags used here.
pub const BOOLEAN: u8 = 0x01;
pub const INTEGER: u8 = 0x02;
pub const BIT_STRING: u8 = 0x03;
pub const OCTET_STRING: u8 = 0x04;
pub const OID: u8 = 0x06;
pub const UTF8_STRING: u8 = 0x0c;
pub const PRINTABLE_STRING: u8 = 0x13;
pub const IA5_STRING: u8 = 0x16;
pub const UTC_TIME: u8 = 0x17;
pub const GENERALIZED_TIME: u8 = 0x18;
pub const SEQUENCE: u8 = 0x30;
pub const SET: u8 = 0x31;

/// One TLV with definite, minimal length.
pub fn tlv(tag: u8, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len() + 6);
    out.push(tag);
    let n = body.len();
    if n < 0x80 {
        out.push(n as u8);
    } else {
        let bytes = n.to_be_bytes();
        let skip = bytes.iter().take_while(|&&b| b == 0).count();
        out.push(0x80 | (bytes.len() - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
    out.extend_from_slice(body);
    out
}

pub fn seq(parts: &[&[u8]]) -> Vec<u8> {
    tlv(SEQUENCE, &parts.concat())
}

/// SET OF: elements sorted by their encodings (X.690 §11.6; Go ≥1.15 `asn1.Marshal` does it).
pub fn set_of(mut elems: Vec<Vec<u8>>) -> Vec<u8> {
    elems.sort();
    tlv(SET, &elems.concat())
}

/// Non-negative INTEGER from big-endian magnitude bytes (minimal, 0x00 prefix if high bit).
pub fn uint(magnitude: &[u8]) -> Vec<u8> {
    let skip = magnitude.iter().take_while(|&&b| b == 0).count();
    let m = &magnitude[skip..];
    let mut body = Vec::with_capacity(m.len() + 1);
    if m.is_empty() || m[0] & 0x80 != 0 {
        body.push(0);
    }
    body.extend_from_slice(m);
    tlv(INTEGER, &body)
}

pub fn small_int(v: u8) -> Vec<u8> {
    uint(&[v])
}

/// OID from dotted text (`"2.5.4.3"`). Encoded straight into the output, without
/// collecting the arcs: every certificate built encodes a dozen of these.
pub fn oid(dotted: &str) -> Vec<u8> {
    let mut arcs = dotted
        .split('.')
        .map(|a| a.parse::<u64>().expect("static OID"));
    let mut body = Vec::with_capacity(dotted.len());
    let (first, second) = (arcs.next(), arcs.next());
    push_base128(
        &mut body,
        first.expect("static OID") * 40 + second.expect("static OID"),
    );
    for a in arcs {
        push_base128(&mut body, a);
    }
    tlv(OID, &body)
}

/// `v` in base 128, most significant group first, continuation bit on all but the last.
fn push_base128(out: &mut Vec<u8>, mut v: u64) {
    let mut buf = [0u8; 10];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = (v & 0x7f) as u8 | if i == buf.len() - 1 { 0 } else { 0x80 };
        v >>= 7;
        if v == 0 {
            break;
        }
    }
    out.extend_from_slice(&buf[i..]);
}

/// BIT STRING with `unused` padding bits in the last byte.
pub fn bit_string(unused: u8, bytes: &[u8]) -> Vec<u8> {
    let mut body = Vec::with_capacity(bytes.len() + 1);
    body.push(unused);
    body.extend_from_slice(bytes);
    tlv(BIT_STRING, &body)
}

pub fn octet_string(bytes: &[u8]) -> Vec<u8> {
    tlv(OCTET_STRING, bytes)
}

/// Context-specific constructed `[n] EXPLICIT`.
pub fn explicit(n: u8, inner: &[u8]) -> Vec<u8> {
    tlv(0xa0 | n, inner)
}

/// Context-specific primitive `[n] IMPLICIT`.
pub fn implicit(n: u8, body: &[u8]) -> Vec<u8> {
    tlv(0x80 | n, body)
}

/// X.509 `Time` as Go encodes it: UTCTime for 1950–2049, GeneralizedTime otherwise.
pub fn time(unix: i64) -> Vec<u8> {
    let (y, mo, d, h, mi, s) = crate::api::time::civil_from_unix(unix);
    if (1950..2050).contains(&y) {
        let t = format!("{:02}{mo:02}{d:02}{h:02}{mi:02}{s:02}Z", y % 100);
        tlv(UTC_TIME, t.as_bytes())
    } else {
        let t = format!("{y:04}{mo:02}{d:02}{h:02}{mi:02}{s:02}Z");
        tlv(GENERALIZED_TIME, t.as_bytes())
    }
}

/// Go `asn1.Marshal` of a plain string: PrintableString when every byte is in the
/// PrintableString set (no `*`, no `&`), otherwise UTF8String.
pub fn go_string(s: &str) -> Vec<u8> {
    let printable = s.bytes().all(|b| {
        b.is_ascii_alphanumeric()
            || matches!(
                b,
                b' ' | b'\'' | b'(' | b')' | b'+' | b',' | b'-' | b'.' | b'/' | b':' | b'=' | b'?'
            )
    });
    tlv(
        if printable {
            PRINTABLE_STRING
        } else {
            UTF8_STRING
        },
        s.as_bytes(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodings() {
        assert_eq!(oid("2.5.4.3"), [6, 3, 0x55, 4, 3]);
        assert_eq!(
            oid("1.2.840.10045.4.3.2"),
            [6, 8, 0x2a, 0x86, 0x48, 0xce, 0x3d, 4, 3, 2]
        );
        // Arcs of one to four base-128 groups, and a first pair above 127 (2.999).
        assert_eq!(
            oid("1.3.6.1.4.1.311.21.7"),
            [6, 9, 0x2b, 6, 1, 4, 1, 0x82, 0x37, 0x15, 7]
        );
        assert_eq!(oid("2.999.16384"), [6, 5, 0x88, 0x37, 0x81, 0x80, 0]);
        assert_eq!(oid("1.2.268435456")[2..], [0x2a, 0x81, 0x80, 0x80, 0x80, 0]);
        assert_eq!(uint(&[0, 0]), [2, 1, 0]);
        assert_eq!(uint(&[0x80]), [2, 2, 0, 0x80]);
        assert_eq!(tlv(4, &[0; 200])[..3], [4, 0x81, 200]);
        assert_eq!(time(946684800), tlv(UTC_TIME, b"000101000000Z"));
        assert_eq!(time(2524608000), tlv(GENERALIZED_TIME, b"20500101000000Z"));
        assert_eq!(go_string("system:nodes")[0], PRINTABLE_STRING);
        assert_eq!(go_string("a@b")[0], UTF8_STRING);
        assert_eq!(go_string("a*")[0], UTF8_STRING);
    }
}
