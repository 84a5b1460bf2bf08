//! Go's `encoding/asn1` `Unmarshal` of DER into `crypto/x509`'s `certificateRequest`, for the
//! text of the error `x509.ParseCertificateRequest` returns (the first fault in field order).
//!
//! The Go structs walked (field order, Go type names as `reflect.Type.Name()` prints them):
//!
//! ```text
//! certificateRequest    { Raw; TBSCSR tbsCertificateRequest; SignatureAlgorithm AlgorithmIdentifier; SignatureValue BitString }
//! tbsCertificateRequest { Raw; Version int; Subject RawValue; PublicKey publicKeyInfo; RawAttributes []RawValue `asn1:"tag:0"` }
//! publicKeyInfo         { Raw; Algorithm AlgorithmIdentifier; PublicKey BitString }
//! AlgorithmIdentifier   { Algorithm ObjectIdentifier; Parameters RawValue `asn1:"optional"` }
//! ```
//!
//! `parseField`'s order per field: no data left → `sequence truncated` (unless optional);
//! `parseTagAndLength`'s errors; a tag, class or constructed bit that does not match →
//! `tags don't match (<want> vs {class:… tag:… length:… isCompound:…}) {<params>} <Type> @<offset>`
//! (`offset` just after the header, relative to the enclosing element's contents); a length
//! beyond the data → `data truncated`; then the value's own parse (`empty integer`,
//! `integer not minimally-encoded`, `integer too large`, `zero length BIT STRING`, `invalid
//! padding bits in BIT STRING`, `zero length OBJECT IDENTIFIER`, the base-128 errors).
//! Structures may hold extra elements after their last field; the whole request may not
//! (`trailing data`).
//!
//! [`public_key_error`] is the parse's next step, `parsePublicKey` (cryptobyte reads of the
//! key, Go's `x509:` texts); [`subject_error`] the one after it, the second `asn1.Unmarshal`, of the `Subject` (a `RawValue`
//! above) into a `pkix.RDNSequence`, which `parseCertificateRequest` runs after the public
//! key's parse.
//!
//! One text is not reproducible: a mismatch on `RawAttributes` prints its `tag:0` parameter
//! as a Go pointer (`tag:0xc000…`), an address; that case answers the common prefix
//! `asn1: structure error: tags don't match`.

/// `%+v` of a `fieldParameters` with no parameter set.
const NO_PARAMS: &str = "{optional:false explicit:false application:false private:false defaultValue:<nil> tag:<nil> stringType:0 timeType:0 set:false omitEmpty:false}";
/// The prefix kept when Go's full text holds a pointer.
pub const TAGS_DONT_MATCH: &str = "asn1: structure error: tags don't match";

fn syntax(m: &str) -> String {
    format!("asn1: syntax error: {m}")
}

fn structural(m: &str) -> String {
    format!("asn1: structure error: {m}")
}

/// A `tagAndLength`.
struct Header {
    class: u8,
    tag: i64,
    len: usize,
    compound: bool,
}

/// `parseBase128Int`: the value and the offset after it.
fn base128(b: &[u8], mut off: usize) -> Result<(i64, usize), String> {
    let mut v: i64 = 0;
    let mut shifted = 0;
    while off < b.len() {
        if shifted == 5 {
            return Err(structural("base 128 integer too large"));
        }
        let x = b[off];
        if shifted == 0 && x == 0x80 {
            return Err(syntax("integer is not minimally encoded"));
        }
        v = (v << 7) | i64::from(x & 0x7f);
        off += 1;
        if x & 0x80 == 0 {
            if v > i64::from(i32::MAX) {
                return Err(structural("base 128 integer too large"));
            }
            return Ok((v, off));
        }
        shifted += 1;
    }
    Err(syntax("truncated base 128 integer"))
}

/// `parseTagAndLength` (called with at least one byte left).
fn header(b: &[u8], mut off: usize) -> Result<(Header, usize), String> {
    let x = b[off];
    off += 1;
    let mut h = Header {
        class: x >> 6,
        tag: i64::from(x & 0x1f),
        len: 0,
        compound: x & 0x20 != 0,
    };
    if h.tag == 0x1f {
        (h.tag, off) = base128(b, off)?;
        if h.tag < 0x1f {
            return Err(syntax("non-minimal tag"));
        }
    }
    let Some(&l) = b.get(off) else {
        return Err(syntax("truncated tag or length"));
    };
    off += 1;
    if l & 0x80 == 0 {
        h.len = usize::from(l);
        return Ok((h, off));
    }
    let n = usize::from(l & 0x7f);
    if n == 0 {
        return Err(syntax("indefinite length found (not DER)"));
    }
    for _ in 0..n {
        let Some(&x) = b.get(off) else {
            return Err(syntax("truncated tag or length"));
        };
        off += 1;
        if h.len >= 1 << 23 {
            return Err(structural("length too large"));
        }
        h.len = (h.len << 8) | usize::from(x);
        if h.len == 0 {
            return Err(structural("superfluous leading zeros in length"));
        }
    }
    if h.len < 0x80 {
        return Err(structural("non-minimal length"));
    }
    Ok((h, off))
}

/// The Go types of the walk.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Ty {
    CertificateRequest,
    TbsCertificateRequest,
    PublicKeyInfo,
    AlgorithmIdentifier,
    Int,
    RawValue,
    ObjectIdentifier,
    BitString,
    /// `[]asn1.RawValue` with `asn1:"tag:0"`.
    RawAttributes,
}

/// A struct field: its type and whether it is `optional`.
type Field = (Ty, bool);

impl Ty {
    /// `reflect.Type.Name()`.
    fn name(self) -> &'static str {
        match self {
            Ty::CertificateRequest => "certificateRequest",
            Ty::TbsCertificateRequest => "tbsCertificateRequest",
            Ty::PublicKeyInfo => "publicKeyInfo",
            Ty::AlgorithmIdentifier => "AlgorithmIdentifier",
            Ty::Int => "int",
            Ty::RawValue => "RawValue",
            Ty::ObjectIdentifier => "ObjectIdentifier",
            Ty::BitString => "BitString",
            Ty::RawAttributes => "",
        }
    }

    /// `getUniversalType`: (matchAny, tag, isCompound).
    fn universal(self) -> (bool, i64, bool) {
        match self {
            Ty::RawValue => (true, -1, false),
            Ty::Int => (false, 2, false),
            Ty::BitString => (false, 3, false),
            Ty::ObjectIdentifier => (false, 6, false),
            _ => (false, 16, true),
        }
    }

    /// The struct's fields after its `RawContent`.
    fn fields(self) -> &'static [Field] {
        match self {
            Ty::CertificateRequest => &[
                (Ty::TbsCertificateRequest, false),
                (Ty::AlgorithmIdentifier, false),
                (Ty::BitString, false),
            ],
            Ty::TbsCertificateRequest => &[
                (Ty::Int, false),
                (Ty::RawValue, false),
                (Ty::PublicKeyInfo, false),
                (Ty::RawAttributes, false),
            ],
            Ty::PublicKeyInfo => &[(Ty::AlgorithmIdentifier, false), (Ty::BitString, false)],
            Ty::AlgorithmIdentifier => &[(Ty::ObjectIdentifier, false), (Ty::RawValue, true)],
            _ => &[],
        }
    }
}

/// `checkInteger` + `parseInt64` (Go's `int` is 64 bits).
fn parse_int(b: &[u8]) -> Result<(), String> {
    match b {
        [] => return Err(structural("empty integer")),
        [0, x, ..] if x & 0x80 == 0 => return Err(structural("integer not minimally-encoded")),
        [0xff, x, ..] if x & 0x80 != 0 => return Err(structural("integer not minimally-encoded")),
        _ => {}
    }
    if b.len() > 8 {
        return Err(structural("integer too large"));
    }
    Ok(())
}

/// `parseBitString`.
fn parse_bit_string(b: &[u8]) -> Result<(), String> {
    let Some(&pad) = b.first() else {
        return Err(syntax("zero length BIT STRING"));
    };
    let last = b[b.len() - 1];
    if pad > 7 || b.len() == 1 && pad > 0 || last & ((1u16 << pad) - 1) as u8 != 0 {
        return Err(syntax("invalid padding bits in BIT STRING"));
    }
    Ok(())
}

/// `parseObjectIdentifier`.
fn parse_oid(b: &[u8]) -> Result<(), String> {
    if b.is_empty() {
        return Err(syntax("zero length OBJECT IDENTIFIER"));
    }
    let mut off = 0;
    while off < b.len() {
        off = base128(b, off)?.1;
    }
    Ok(())
}

/// `parseField` of a value of type `ty` at `off` of `b`: the offset after it.
fn parse_field(ty: Ty, optional: bool, b: &[u8], off: usize) -> Result<usize, String> {
    if off == b.len() {
        return if optional {
            Ok(off)
        } else {
            Err(syntax("sequence truncated"))
        };
    }
    let (h, start) = header(b, off)?;
    let (match_any, utag, compound) = ty.universal();
    let (class, tag, any_tag) = if ty == Ty::RawAttributes {
        (2, 0, false)
    } else {
        (0, utag, match_any)
    };
    if !any_tag && (h.class != class || h.tag != tag) || !match_any && h.compound != compound {
        if optional {
            return Ok(off);
        }
        if ty == Ty::RawAttributes {
            return Err(TAGS_DONT_MATCH.into());
        }
        return Err(structural(&format!(
            "tags don't match ({tag} vs {{class:{} tag:{} length:{} isCompound:{}}}) {NO_PARAMS} {} @{start}",
            h.class,
            h.tag,
            h.len,
            h.compound,
            ty.name()
        )));
    }
    let end = start
        .checked_add(h.len)
        .filter(|e| *e <= b.len())
        .ok_or_else(|| syntax("data truncated"))?;
    let inner = &b[start..end];
    match ty {
        Ty::RawValue => {}
        Ty::Int => parse_int(inner)?,
        Ty::BitString => parse_bit_string(inner)?,
        Ty::ObjectIdentifier => parse_oid(inner)?,
        Ty::RawAttributes => {
            // `parseSequenceOf` of RawValues: any tag; each element must fit.
            let mut o = 0;
            while o < inner.len() {
                let (e, s) = header(inner, o)?;
                o = s
                    .checked_add(e.len)
                    .filter(|x| *x <= inner.len())
                    .ok_or_else(|| syntax("truncated sequence"))?;
            }
        }
        _ => {
            let mut o = 0;
            for &(fty, opt) in ty.fields() {
                o = parse_field(fty, opt, inner, o)?;
            }
        }
    }
    Ok(end)
}

/// The error of `x509.ParseCertificateRequest`'s `asn1.Unmarshal` (and its trailing-data
/// check) for `der`, or `None` when Go's decoding of the structure succeeds (a later step of
/// the parse is then what fails).
pub fn unmarshal_error(der: &[u8]) -> Option<String> {
    match parse_field(Ty::CertificateRequest, false, der, 0) {
        Err(e) => Some(e),
        Ok(end) if end != der.len() => Some(syntax("trailing data")),
        Ok(_) => None,
    }
}

/// The contents (start, end) of the element at `off` of `b` (an element
/// [`unmarshal_error`] already accepted).
fn element(b: &[u8], off: usize) -> Option<(usize, usize)> {
    if off >= b.len() {
        return None;
    }
    let (h, start) = header(b, off).ok()?;
    Some((start, start.checked_add(h.len)?.min(b.len())))
}

/// The tbsCertificateRequest's contents and the end of its Version and Subject.
fn tbs_fields(der: &[u8]) -> Option<(&[u8], usize, usize)> {
    let (s, _) = element(der, 0)?;
    let (tbs, tbs_end) = element(der, s)?;
    let tbs = &der[tbs..tbs_end];
    let (_, version_end) = element(tbs, 0)?;
    let (_, subject_end) = element(tbs, version_end)?;
    Some((tbs, version_end, subject_end))
}

/// cryptobyte's `ReadASN1` of an element tagged `tag` at the start of `s` (the reader
/// `gox509` has for certificates): its contents and what follows.
fn cb_read(s: &[u8], tag: u8) -> Option<(&[u8], &[u8])> {
    let mut rest = s;
    let v = super::gox509::read(&mut rest, tag)?;
    Some((v, rest))
}

/// cryptobyte's `ReadASN1Integer`: a minimally encoded INTEGER; its bytes and the rest.
fn cb_integer(s: &[u8]) -> Option<(&[u8], &[u8])> {
    cb_read(s, 0x02).filter(|(v, _)| super::gox509::valid_integer(v))
}

/// The sign of a two's-complement big-endian integer.
fn sign(v: &[u8]) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    if v.first().is_some_and(|b| b & 0x80 != 0) {
        Ordering::Less
    } else if v.iter().all(|b| *b == 0) {
        Ordering::Equal
    } else {
        Ordering::Greater
    }
}

/// cryptobyte's `ReadASN1ObjectIdentifier`: the OID's content bytes when they parse.
fn cb_oid(s: &[u8]) -> Option<&[u8]> {
    cb_read(s, 0x06)
        .map(|(v, _)| v)
        .filter(|v| super::gox509::valid_oid(v))
}

/// `parseCertificateRequest`'s `parsePublicKey`, for the four algorithms
/// `getPublicKeyAlgorithmFromOID` knows (any other is not parsed): its error text, in Go's
/// order — RSA: `x509: RSA key missing NULL parameters`, `x509: invalid RSA public key`,
/// `x509: invalid RSA modulus`, `x509: invalid RSA public exponent`, `x509: RSA modulus is
/// not a positive number`, `x509: RSA public exponent is not a positive number`; ECDSA:
/// `x509: invalid ECDSA parameters`, `x509: unsupported elliptic curve`, `x509: failed to
/// unmarshal elliptic curve point`; Ed25519: `x509: Ed25519 key encoded with illegal
/// parameters`, `x509: wrong Ed25519 public key size`; DSA: `x509: invalid DSA public key`,
/// `x509: invalid DSA parameters`, `x509: zero or negative DSA parameter`. Call it on DER
/// whose request structure [`unmarshal_error`] accepts.
pub fn public_key_error(der: &[u8]) -> Option<String> {
    use std::cmp::Ordering;
    let (tbs, _, subject_end) = tbs_fields(der)?;
    let (s, e) = element(tbs, subject_end)?;
    let spki = &tbs[s..e];
    let (alg_s, alg_e) = element(spki, 0)?;
    let alg = &spki[alg_s..alg_e];
    let (oid_s, oid_e) = element(alg, 0)?;
    let oid = &alg[oid_s..oid_e];
    let params = match element(alg, oid_e) {
        Some((_, end)) => &alg[oid_e..end],
        None => &[][..],
    };
    let (bs_s, bs_e) = element(spki, alg_e)?;
    let key = right_align(&spki[bs_s..bs_e]);
    let err = |m: &str| Some(m.to_string());
    match oid {
        // rsaEncryption
        [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01] => {
            if params != [0x05, 0x00] {
                return err("x509: RSA key missing NULL parameters");
            }
            let Some((seq, _)) = cb_read(&key, 0x30) else {
                return err("x509: invalid RSA public key");
            };
            let Some((n, rest)) = cb_integer(seq) else {
                return err("x509: invalid RSA modulus");
            };
            let Some((e, _)) = cb_integer(rest).filter(|(e, _)| e.len() <= 8) else {
                return err("x509: invalid RSA public exponent");
            };
            if sign(n) != Ordering::Greater {
                return err("x509: RSA modulus is not a positive number");
            }
            if sign(e) != Ordering::Greater {
                return err("x509: RSA public exponent is not a positive number");
            }
            None
        }
        // id-ecPublicKey
        [0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01] => {
            let Some(curve_oid) = cb_oid(params) else {
                return err("x509: invalid ECDSA parameters");
            };
            use crate::pki::ecdsa_nist::Curve;
            let curve = match curve_oid {
                [0x2b, 0x81, 0x04, 0x00, 0x21] => Curve::P224,
                [0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07] => Curve::P256,
                [0x2b, 0x81, 0x04, 0x00, 0x22] => Curve::P384,
                [0x2b, 0x81, 0x04, 0x00, 0x23] => Curve::P521,
                _ => return err("x509: unsupported elliptic curve"),
            };
            if !crate::pki::ecdsa_nist::valid_point(curve, &key) {
                return err("x509: failed to unmarshal elliptic curve point");
            }
            None
        }
        // id-Ed25519
        [0x2b, 0x65, 0x70] => {
            if !params.is_empty() {
                return err("x509: Ed25519 key encoded with illegal parameters");
            }
            if key.len() != 32 {
                return err("x509: wrong Ed25519 public key size");
            }
            None
        }
        // id-dsa
        [0x2a, 0x86, 0x48, 0xce, 0x38, 0x04, 0x01] => {
            let Some((y, _)) = cb_integer(&key) else {
                return err("x509: invalid DSA public key");
            };
            let pqg = cb_read(params, 0x30).and_then(|(seq, _)| {
                let (p, rest) = cb_integer(seq)?;
                let (q, rest) = cb_integer(rest)?;
                let (g, _) = cb_integer(rest)?;
                Some([p, q, g])
            });
            let Some(pqg) = pqg else {
                return err("x509: invalid DSA parameters");
            };
            if std::iter::once(y)
                .chain(pqg)
                .any(|v| sign(v) != Ordering::Greater)
            {
                return err("x509: zero or negative DSA parameter");
            }
            None
        }
        _ => None,
    }
}

/// `asn1.BitString.RightAlign` of a BIT STRING's contents (padding count first).
fn right_align(contents: &[u8]) -> Vec<u8> {
    let Some((&pad, bytes)) = contents.split_first() else {
        return Vec::new();
    };
    let bit_len = bytes.len() * 8 - usize::from(pad).min(bytes.len() * 8);
    let shift = 8 - (bit_len % 8) as u32;
    if shift == 8 || bytes.is_empty() {
        return bytes.to_vec();
    }
    let mut a = vec![0u8; bytes.len()];
    a[0] = bytes[0] >> shift;
    for i in 1..bytes.len() {
        a[i] = bytes[i - 1] << (8 - shift) | bytes[i] >> shift;
    }
    a
}

/// `x509.ParseCertificateRequest`'s second `asn1.Unmarshal`: the `Subject` kept as a
/// `RawValue` is decoded into a `pkix.RDNSequence` (after the public key's parse), with
/// `encoding/asn1`'s texts: the outer element must be a SEQUENCE (`tags don't match (16 vs
/// …) {…} RDNSequence @<n>`); each level's elements are scanned first (`parseSequenceOf`:
/// `sequence tag mismatch` for an RDN that is not a SET or an attribute that is not a
/// SEQUENCE, `truncated sequence`, the header errors), then parsed; an
/// `AttributeTypeAndValue` is an `ObjectIdentifier` (`tags don't match (6 vs …) {…}
/// ObjectIdentifier @<n>`, `sequence truncated` when absent) and a value of any type, of
/// which the universal primitive ones are checked (`PrintableString contains invalid
/// character`, `IA5String contains invalid character`, `NumericString contains invalid
/// character`; `asn1: invalid UTF-8 string` and `pkcs12: odd-length BMP string`, Go's plain
/// errors without `syntax error:`; the INTEGER, BIT STRING and OBJECT IDENTIFIER texts;
/// times are not checked here). Call it on DER whose request
/// structure [`unmarshal_error`] accepts; `None` when the subject decodes.
pub fn subject_error(der: &[u8]) -> Option<String> {
    let (tbs, version_end, subject_end) = tbs_fields(der)?;
    let subject = &tbs[version_end..subject_end];
    rdn_sequence(subject).err()
}

/// `parseField` of the `RDNSequence` (the whole of `b`).
fn rdn_sequence(b: &[u8]) -> Result<(), String> {
    let (h, start) = header(b, 0)?;
    if h.class != 0 || h.tag != 16 || !h.compound {
        return Err(structural(&format!(
            "tags don't match (16 vs {{class:{} tag:{} length:{} isCompound:{}}}) {NO_PARAMS} RDNSequence @{start}",
            h.class, h.tag, h.len, h.compound
        )));
    }
    let end = start
        .checked_add(h.len)
        .filter(|e| *e <= b.len())
        .ok_or_else(|| syntax("data truncated"))?;
    for set in sequence_of(&b[start..end], 17)? {
        for atv in sequence_of(set, 16)? {
            attribute_type_and_value(atv)?;
        }
    }
    Ok(())
}

/// `parseSequenceOf` of elements with the universal constructed tag `tag`: every element's
/// header checked first, then their contents, in order.
fn sequence_of(b: &[u8], tag: i64) -> Result<Vec<&[u8]>, String> {
    let mut out = Vec::new();
    let mut off = 0;
    while off < b.len() {
        let (h, start) = header(b, off)?;
        if h.class != 0 || !h.compound || h.tag != tag {
            return Err(structural("sequence tag mismatch"));
        }
        let end = start
            .checked_add(h.len)
            .filter(|e| *e <= b.len())
            .ok_or_else(|| syntax("truncated sequence"))?;
        out.push(&b[start..end]);
        off = end;
    }
    Ok(out)
}

/// The fields of an `AttributeTypeAndValue` (extra elements after them are allowed).
fn attribute_type_and_value(b: &[u8]) -> Result<(), String> {
    let off = parse_field(Ty::ObjectIdentifier, false, b, 0)?;
    if off == b.len() {
        return Err(syntax("sequence truncated"));
    }
    // The `any` value: header, length, then the universal primitive types Go decodes.
    let (h, start) = header(b, off)?;
    let end = start
        .checked_add(h.len)
        .filter(|e| *e <= b.len())
        .ok_or_else(|| syntax("data truncated"))?;
    if h.compound || h.class != 0 {
        return Ok(());
    }
    let v = &b[start..end];
    let printable = |c: u8| c.is_ascii_alphanumeric() || b" '()+,-./:=?*&".contains(&c);
    match h.tag {
        19 if !v.iter().all(|&c| printable(c)) => {
            Err(syntax("PrintableString contains invalid character"))
        }
        18 if !v.iter().all(|&c| c.is_ascii_digit() || c == b' ') => {
            Err(syntax("NumericString contains invalid character"))
        }
        22 if !v.is_ascii() => Err(syntax("IA5String contains invalid character")),
        // `parseUTF8String`'s plain `errors.New`, not a `SyntaxError`.
        12 if std::str::from_utf8(v).is_err() => Err("asn1: invalid UTF-8 string".into()),
        // `parseBMPString`'s plain error, without the `asn1:` prefix.
        30 if !v.len().is_multiple_of(2) => Err("pkcs12: odd-length BMP string".into()),
        2 => parse_int(v),
        3 => parse_bit_string(v),
        6 => parse_oid(v),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A tiny request, well-formed for the walk (the values need not verify).
    fn good() -> Vec<u8> {
        let tlv = |tag: u8, body: &[u8]| {
            let mut v = vec![tag, body.len() as u8];
            v.extend_from_slice(body);
            v
        };
        let alg = tlv(0x30, &tlv(0x06, &[0x2a, 0x03]));
        let spki = tlv(0x30, &[alg.clone(), tlv(0x03, &[0x00, 0x01])].concat());
        let info = tlv(
            0x30,
            &[tlv(0x02, &[0x00]), tlv(0x30, &[]), spki, tlv(0xa0, &[])].concat(),
        );
        tlv(0x30, &[info, alg, tlv(0x03, &[0x00, 0x01])].concat())
    }

    /// `good()` with this subject TLV and, if given, this SubjectPublicKeyInfo TLV.
    fn with_parts(subject: &[u8], spki: Option<&[u8]>) -> Vec<u8> {
        let g = good();
        // 0 outer, 2 tbs, 4..7 Version, 7..9 the empty Subject, 9..21 the key, 21.. [0].
        let tbs_end = g[3] as usize + 4;
        let spki = spki.unwrap_or(&g[9..21]);
        let tbs_body = [&g[4..7], subject, spki, &g[21..tbs_end]].concat();
        let mut tbs = vec![0x30, tbs_body.len() as u8];
        tbs.extend(tbs_body);
        let rest = &g[tbs_end..];
        assert!(tbs.len() + rest.len() < 128);
        let mut out = vec![0x30, (tbs.len() + rest.len()) as u8];
        out.extend(tbs);
        out.extend_from_slice(rest);
        out
    }

    fn with_subject(subject: &[u8]) -> Vec<u8> {
        with_parts(subject, None)
    }

    fn tlv(tag: u8, body: &[u8]) -> Vec<u8> {
        assert!(body.len() < 128);
        [&[tag, body.len() as u8][..], body].concat()
    }

    /// `parsePublicKey` of the request's key, with Go's texts, before the subject's parse.
    #[test]
    fn go_texts_of_public_key_faults() {
        let rsa = [
            0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01,
        ];
        let ec = [0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
        let p256 = [0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
        let ed = [0x06, 0x03, 0x2b, 0x65, 0x70];
        let null = [0x05, 0x00];
        let spki = |alg: &[&[u8]], key: &[u8]| {
            tlv(
                0x30,
                &[
                    tlv(0x30, &alg.concat()),
                    tlv(0x03, &[&[0][..], key].concat()),
                ]
                .concat(),
            )
        };
        let int = |v: &[u8]| tlv(0x02, v);
        let rsa_key = |parts: &[Vec<u8>]| tlv(0x30, &parts.concat());
        let hex = |h: &str| -> Vec<u8> {
            (0..h.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&h[i..i + 2], 16).unwrap())
                .collect()
        };
        let g = [
            &[4u8][..],
            &hex("6B17D1F2E12C4247F8BCE6E563A440F277037D812DEB33A0F4A13945D898C296"),
            &hex("4FE342E2FE1A7F9B8EE7EB4A7C0F9E162BCE33576B315ECECBB6406837BF51F5"),
        ]
        .concat();
        let rows: Vec<(&str, Vec<u8>, Option<&str>)> = vec![
            (
                "RSA without parameters",
                spki(&[&rsa], &rsa_key(&[int(&[1]), int(&[3])])),
                Some("x509: RSA key missing NULL parameters"),
            ),
            (
                "RSA key not a SEQUENCE",
                spki(&[&rsa, &null], &[0x01]),
                Some("x509: invalid RSA public key"),
            ),
            (
                "RSA key with a high tag",
                spki(&[&rsa, &null], &[0x3f, 0x30, 0x00]),
                Some("x509: invalid RSA public key"),
            ),
            (
                "RSA modulus not minimal",
                spki(&[&rsa, &null], &rsa_key(&[int(&[0, 1]), int(&[3])])),
                Some("x509: invalid RSA modulus"),
            ),
            (
                "RSA exponent missing",
                spki(&[&rsa, &null], &rsa_key(&[int(&[1])])),
                Some("x509: invalid RSA public exponent"),
            ),
            (
                "RSA exponent of 9 bytes",
                spki(&[&rsa, &null], &rsa_key(&[int(&[1]), int(&[1; 9])])),
                Some("x509: invalid RSA public exponent"),
            ),
            (
                "RSA modulus negative",
                spki(&[&rsa, &null], &rsa_key(&[int(&[0xff]), int(&[3])])),
                Some("x509: RSA modulus is not a positive number"),
            ),
            (
                "RSA modulus zero",
                spki(&[&rsa, &null], &rsa_key(&[int(&[0]), int(&[3])])),
                Some("x509: RSA modulus is not a positive number"),
            ),
            (
                "RSA exponent zero",
                spki(&[&rsa, &null], &rsa_key(&[int(&[1]), int(&[0])])),
                Some("x509: RSA public exponent is not a positive number"),
            ),
            (
                "RSA well formed",
                spki(&[&rsa, &null], &rsa_key(&[int(&[1]), int(&[3])])),
                None,
            ),
            (
                "ECDSA without parameters",
                spki(&[&ec], &g),
                Some("x509: invalid ECDSA parameters"),
            ),
            (
                "ECDSA with NULL parameters",
                spki(&[&ec, &null], &g),
                Some("x509: invalid ECDSA parameters"),
            ),
            (
                "ECDSA on secp256k1",
                spki(&[&ec, &[0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x0a]], &g),
                Some("x509: unsupported elliptic curve"),
            ),
            (
                "ECDSA point off the curve",
                spki(&[&ec, &p256], &[&[4u8][..], &[0; 64]].concat()),
                Some("x509: failed to unmarshal elliptic curve point"),
            ),
            (
                "ECDSA compressed point",
                spki(&[&ec, &p256], &[&[2u8][..], &g[1..33]].concat()),
                Some("x509: failed to unmarshal elliptic curve point"),
            ),
            ("ECDSA generator", spki(&[&ec, &p256], &g), None),
            (
                "Ed25519 with parameters",
                spki(&[&ed, &null], &[0; 32]),
                Some("x509: Ed25519 key encoded with illegal parameters"),
            ),
            (
                "Ed25519 of 31 bytes",
                spki(&[&ed], &[0; 31]),
                Some("x509: wrong Ed25519 public key size"),
            ),
            ("Ed25519", spki(&[&ed], &[0; 32]), None),
            (
                "unknown algorithm: not parsed",
                spki(&[&[0x06, 0x02, 0x2a, 0x03]], &[]),
                None,
            ),
        ];
        for (case, k, want) in rows {
            let d = with_parts(&[0x30, 0x00], Some(&k));
            assert_eq!(
                unmarshal_error(&d),
                None,
                "{case}: the request structure is fine"
            );
            assert_eq!(public_key_error(&d).as_deref(), want, "{case}");
        }
    }

    /// The subject's `asn1.Unmarshal` into `pkix.RDNSequence`: Go's texts for each level
    /// (`RDNSequence` SEQUENCE, RDN SETs, `AttributeTypeAndValue` SEQUENCEs, their fields);
    /// a level's elements are all scanned before the first is parsed.
    #[test]
    fn go_asn1_texts_of_faults_in_the_subject() {
        let p = NO_PARAMS;
        let oid_cn = [0x06, 0x03, 0x55, 0x04, 0x03];
        let atv = |v: &[u8]| [&[0x30, (oid_cn.len() + v.len()) as u8][..], &oid_cn, v].concat();
        let set = |x: &[u8]| [&[0x31, x.len() as u8][..], x].concat();
        let seq = |x: &[u8]| [&[0x30, x.len() as u8][..], x].concat();
        let rows: Vec<(&str, Vec<u8>, Option<String>)> = vec![
            ("empty subject", seq(&[]), None),
            ("one CN", seq(&set(&atv(&[0x0c, 0x01, b'a']))), None),
            ("a SET for the sequence", set(&[]),
             Some(format!("asn1: structure error: tags don't match (16 vs {{class:0 tag:17 length:0 isCompound:true}}) {p} RDNSequence @2"))),
            ("a primitive SEQUENCE", vec![0x10, 0x00],
             Some(format!("asn1: structure error: tags don't match (16 vs {{class:0 tag:16 length:0 isCompound:false}}) {p} RDNSequence @2"))),
            ("an RDN that is a SEQUENCE", seq(&seq(&[])),
             Some("asn1: structure error: sequence tag mismatch".into())),
            ("an attribute that is a SET", seq(&set(&set(&[]))),
             Some("asn1: structure error: sequence tag mismatch".into())),
            ("an RDN longer than the sequence", seq(&[0x31, 0x05, 0x30]),
             Some("asn1: syntax error: truncated sequence".into())),
            ("an RDN header cut", seq(&[0x31]),
             Some("asn1: syntax error: truncated tag or length".into())),
            ("an empty attribute", seq(&set(&seq(&[]))),
             Some("asn1: syntax error: sequence truncated".into())),
            ("scan before parse", seq(&[set(&seq(&[])), seq(&[])].concat()),
             Some("asn1: structure error: sequence tag mismatch".into())),
            ("a type that is no OID", seq(&set(&seq(&[0x04, 0x01, 0x00]))),
             Some(format!("asn1: structure error: tags don't match (6 vs {{class:0 tag:4 length:1 isCompound:false}}) {p} ObjectIdentifier @2"))),
            ("an empty OID", seq(&set(&seq(&[0x06, 0x00, 0x0c, 0x00]))),
             Some("asn1: syntax error: zero length OBJECT IDENTIFIER".into())),
            ("no value", seq(&set(&seq(&oid_cn))),
             Some("asn1: syntax error: sequence truncated".into())),
            ("a value longer than the attribute", seq(&set(&atv(&[0x0c, 0x05, b'a']))),
             Some("asn1: syntax error: data truncated".into())),
            ("a constructed value is not looked into", seq(&set(&atv(&[0x30, 0x01, 0xff]))), None),
            ("extra fields after the value", seq(&set(&atv(&[0x0c, 0x00, 0x05, 0x00]))), None),
        ];
        for (case, subject, want) in rows {
            let d = with_subject(&subject);
            assert_eq!(
                unmarshal_error(&d),
                None,
                "{case}: the request structure is fine"
            );
            assert_eq!(subject_error(&d), want, "{case}");
        }
    }

    #[test]
    fn well_formed_structure_has_no_error() {
        assert_eq!(unmarshal_error(&good()), None);
    }

    /// Go `encoding/asn1` texts, field by field (offsets relative to the enclosing
    /// element's contents, as Go prints them).
    #[test]
    fn go_asn1_texts_of_faults_in_each_field() {
        let g = good();
        // Byte positions in `good()`: 0 outer SEQUENCE, 2 tbs SEQUENCE, 4 Version INTEGER
        // (tag at 4, value at 6), 7 Subject, 9 SPKI, 11 its AlgorithmIdentifier, 13 the
        // OID, 15.. OID bytes, 17 the key BIT STRING, 21 RawAttributes [0].
        let set = |i: usize, x: u8| {
            let mut d = g.clone();
            d[i] = x;
            d
        };
        let p = NO_PARAMS;
        let rows: Vec<(&str, Vec<u8>, String)> = vec![
            ("empty", vec![], "asn1: syntax error: sequence truncated".into()),
            ("outer not a SEQUENCE", vec![0x02, 0x01, 0x05],
             format!("asn1: structure error: tags don't match (16 vs {{class:0 tag:2 length:1 isCompound:false}}) {p} certificateRequest @2")),
            ("outer SEQUENCE empty", vec![0x30, 0x00], "asn1: syntax error: sequence truncated".into()),
            ("tbs not a SEQUENCE", set(2, 0x31),
             format!("asn1: structure error: tags don't match (16 vs {{class:0 tag:17 length:{} isCompound:true}}) {p} tbsCertificateRequest @2", g[3])),
            ("version not an INTEGER", set(4, 0x04),
             format!("asn1: structure error: tags don't match (2 vs {{class:0 tag:4 length:1 isCompound:false}}) {p} int @2")),
            ("version constructed", set(4, 0x22),
             format!("asn1: structure error: tags don't match (2 vs {{class:0 tag:2 length:1 isCompound:true}}) {p} int @2")),
            ("public key info not a SEQUENCE", set(9, 0x04),
             format!("asn1: structure error: tags don't match (16 vs {{class:0 tag:4 length:{} isCompound:false}}) {p} publicKeyInfo @7", g[10])),
            ("algorithm not a SEQUENCE", set(11, 0x05),
             format!("asn1: structure error: tags don't match (16 vs {{class:0 tag:5 length:4 isCompound:false}}) {p} AlgorithmIdentifier @2")),
            ("algorithm OID not an OID", set(13, 0x04),
             format!("asn1: structure error: tags don't match (6 vs {{class:0 tag:4 length:2 isCompound:false}}) {p} ObjectIdentifier @2")),
            ("OID not minimally encoded", set(15, 0x80), "asn1: syntax error: integer is not minimally encoded".into()),
            ("OID truncated", set(16, 0x83), "asn1: syntax error: truncated base 128 integer".into()),
            ("key not a BIT STRING", set(17, 0x04),
             format!("asn1: structure error: tags don't match (3 vs {{class:0 tag:4 length:2 isCompound:false}}) {p} BitString @8")),
            ("key padding bits beyond 7", set(19, 0x08), "asn1: syntax error: invalid padding bits in BIT STRING".into()),
            ("non-zero padding bits", set(19, 0x01), "asn1: syntax error: invalid padding bits in BIT STRING".into()),
            ("attributes without their tag: Go prints a pointer", set(21, 0x30), TAGS_DONT_MATCH.into()),
            ("element length beyond its parent", set(8, 0x7f), "asn1: syntax error: data truncated".into()),
            ("high tag number, not minimal", set(4, 0x1f), "asn1: syntax error: non-minimal tag".into()),
            ("trailing data", [g.clone(), vec![0]].concat(), "asn1: syntax error: trailing data".into()),
            ("indefinite length", vec![0x30, 0x80, 0, 0], "asn1: syntax error: indefinite length found (not DER)".into()),
            ("non-minimal length", vec![0x30, 0x81, 0x01, 0], "asn1: structure error: non-minimal length".into()),
            ("leading zero length byte", vec![0x30, 0x82, 0x00, 0x80], "asn1: structure error: superfluous leading zeros in length".into()),
            ("truncated header", vec![0x30], "asn1: syntax error: truncated tag or length".into()),
            ("length beyond 2^31", vec![0x30, 0x84, 0xff, 0xff, 0xff, 0xff], "asn1: structure error: length too large".into()),
            ("127 length bytes", [vec![0x30, 0xff], vec![0xff; 127]].concat(), "asn1: structure error: length too large".into()),
            ("tag number of six bytes", vec![0x3f, 0x81, 0x81, 0x81, 0x81, 0x81, 0x01, 0x00], "asn1: structure error: base 128 integer too large".into()),
            ("tag number beyond int32", vec![0x3f, 0x88, 0x80, 0x80, 0x80, 0x00, 0x00], "asn1: structure error: base 128 integer too large".into()),
            ("tag number led by 0x80", vec![0x3f, 0x80, 0x01, 0x00], "asn1: syntax error: integer is not minimally encoded".into()),
            ("tag number cut short", vec![0x3f, 0x81], "asn1: syntax error: truncated base 128 integer".into()),
        ];
        for (case, der, want) in rows {
            assert_eq!(unmarshal_error(&der), Some(want), "{case}");
        }
        // INTEGER contents (`checkInteger`, `parseInt64`), as the tbs Version.
        for (case, value, want) in [
            (
                "empty integer",
                &[][..],
                "asn1: structure error: empty integer",
            ),
            (
                "leading zero",
                &[0x00, 0x01],
                "asn1: structure error: integer not minimally-encoded",
            ),
            (
                "leading 0xff",
                &[0xff, 0x80],
                "asn1: structure error: integer not minimally-encoded",
            ),
            (
                "nine bytes",
                &[1, 2, 3, 4, 5, 6, 7, 8, 9],
                "asn1: structure error: integer too large",
            ),
        ] {
            let mut tbs = vec![0x02, value.len() as u8];
            tbs.extend_from_slice(value);
            let der = [vec![0x30, tbs.len() as u8 + 2, 0x30, tbs.len() as u8], tbs].concat();
            assert_eq!(unmarshal_error(&der), Some(want.to_string()), "{case}");
        }
    }
}
