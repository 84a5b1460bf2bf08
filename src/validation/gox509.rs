//! The error text of Go's `x509.ParseCertificates` for DER our certificate parser rejected,
//! as `validateCertificate` puts it in `status.certificate: Invalid value: "<certificate
//! data>": <err>`.
//!
//! Go reads a certificate with `cryptobyte` (strict DER: short tags only, minimal lengths) in
//! a fixed order and stops at the first fault; this walks the same order through the fields up
//! to the subject public key info and the trailing signature, with Go's texts
//! (`crypto/x509/parser.go`). What it does not reach (extension contents, key values) keeps the
//! generic `x509: malformed certificate`.

/// One `cryptobyte` read: (tag, contents, whole element), advancing `s`.
fn read_any<'a>(s: &mut &'a [u8]) -> Option<(u8, &'a [u8], &'a [u8])> {
    let d = *s;
    if d.len() < 2 {
        return None;
    }
    let (tag, l0) = (d[0], d[1]);
    if tag & 0x1f == 0x1f {
        return None;
    }
    let (len, header) = if l0 & 0x80 == 0 {
        (l0 as usize, 2)
    } else {
        let n = (l0 & 0x7f) as usize;
        if n == 0 || n > 4 || d.len() < 2 + n {
            return None;
        }
        let len = d[2..2 + n]
            .iter()
            .fold(0usize, |a, &b| (a << 8) | b as usize);
        if len < 128 || len >> ((n - 1) * 8) == 0 {
            return None;
        }
        (len, 2 + n)
    };
    let total = header.checked_add(len)?;
    if d.len() < total {
        return None;
    }
    *s = &d[total..];
    Some((tag, &d[header..total], &d[..total]))
}

/// `ReadASN1`: an element with this tag; its contents.
pub(crate) fn read<'a>(s: &mut &'a [u8], tag: u8) -> Option<&'a [u8]> {
    match read_any(s)? {
        (t, body, _) if t == tag => Some(body),
        _ => None,
    }
}

/// `ReadASN1Element`: an element with this tag, header included.
fn read_element<'a>(s: &mut &'a [u8], tag: u8) -> Option<&'a [u8]> {
    match read_any(s)? {
        (t, _, whole) if t == tag => Some(whole),
        _ => None,
    }
}

fn peek(s: &[u8], tag: u8) -> bool {
    s.first() == Some(&tag)
}

/// `checkASN1Integer`: non-empty and minimally encoded.
pub(crate) fn valid_integer(b: &[u8]) -> bool {
    match b {
        [] => false,
        [_] => true,
        [0, x, ..] if x & 0x80 == 0 => false,
        [0xff, x, ..] if x & 0x80 != 0 => false,
        _ => true,
    }
}

/// `ReadASN1ObjectIdentifier`: non-empty, every component a `readBase128Int` — at most 5
/// bytes, below 2³¹, no leading 0x80, not cut short.
pub(crate) fn valid_oid(b: &[u8]) -> bool {
    let mut rest = b;
    if rest.is_empty() {
        return false;
    }
    while !rest.is_empty() {
        let mut ret: u32 = 0;
        let mut i = 0;
        loop {
            let Some((&x, r)) = rest.split_first() else {
                return false;
            };
            if i == 5 || ret >= 1 << (31 - 7) || (i == 0 && x == 0x80) {
                return false;
            }
            ret = (ret << 7) | u32::from(x & 0x7f);
            rest = r;
            i += 1;
            if x & 0x80 == 0 {
                break;
            }
        }
    }
    true
}

/// `parseAI`.
fn parse_ai(mut der: &[u8]) -> Result<(), &'static str> {
    if !read(&mut der, 0x06).is_some_and(valid_oid) {
        return Err("x509: malformed OID");
    }
    if der.is_empty() {
        return Ok(());
    }
    read_any(&mut der)
        .map(|_| ())
        .ok_or("x509: malformed parameters")
}

/// `parseASN1String`'s checks of the string types Go reads.
fn check_string(tag: u8, v: &[u8]) -> Result<(), String> {
    let bad = |m: &str| {
        Err(format!(
            "x509: invalid RDNSequence: invalid attribute value: {m}"
        ))
    };
    match tag {
        0x14 => Ok(()),
        0x13 => {
            let printable = |b: u8| b.is_ascii_alphanumeric() || b" '()+,-./:=?*&".contains(&b);
            if v.iter().all(|&b| printable(b)) {
                Ok(())
            } else {
                bad("invalid PrintableString")
            }
        }
        0x0c if std::str::from_utf8(v).is_err() => bad("invalid UTF-8 string"),
        0x0c => Ok(()),
        0x1e if !v.len().is_multiple_of(2) => bad("invalid BMPString"),
        0x1e => Ok(()),
        0x16 if v.iter().any(|&b| b > 0x7f) => bad("invalid IA5String"),
        0x16 => Ok(()),
        0x12 if !v.iter().all(|&b| b.is_ascii_digit() || b == b' ') => bad("invalid NumericString"),
        0x12 => Ok(()),
        _ => Err(format!(
            "x509: invalid RDNSequence: invalid attribute value: unsupported string type: {tag}"
        )),
    }
}

/// `parseName`.
fn parse_name(mut raw: &[u8]) -> Result<(), String> {
    let Some(mut seq) = read(&mut raw, 0x30) else {
        return Err("x509: invalid RDNSequence".into());
    };
    while !seq.is_empty() {
        let Some(mut set) = read(&mut seq, 0x31) else {
            return Err("x509: invalid RDNSequence".into());
        };
        while !set.is_empty() {
            let Some(mut atav) = read(&mut set, 0x30) else {
                return Err("x509: invalid RDNSequence: invalid attribute".into());
            };
            if !read(&mut atav, 0x06).is_some_and(valid_oid) {
                return Err("x509: invalid RDNSequence: invalid attribute type".into());
            }
            let Some((tag, v, _)) = read_any(&mut atav) else {
                return Err("x509: invalid RDNSequence: invalid attribute value".into());
            };
            check_string(tag, v)?;
        }
    }
    Ok(())
}

/// A UTCTime or GeneralizedTime body as Go's layouts read it (digits, `Z` or `±hhmm`).
fn valid_time(body: &[u8], year_digits: usize) -> bool {
    let digits = |b: &[u8]| b.iter().all(u8::is_ascii_digit);
    let num = |b: &[u8]| b.iter().fold(0u32, |a, &d| a * 10 + (d - b'0') as u32);
    let fixed = year_digits + 10;
    let minute_form = year_digits == 2 && body.len() >= year_digits + 8;
    let try_len = |n: usize| -> bool {
        if body.len() < n || !digits(&body[..n]) {
            return false;
        }
        let f = &body[year_digits..n];
        let (mo, d, h, mi) = (num(&f[0..2]), num(&f[2..4]), num(&f[4..6]), num(&f[6..8]));
        let s = if f.len() >= 10 { num(&f[8..10]) } else { 0 };
        if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || s > 59 {
            return false;
        }
        match &body[n..] {
            b"Z" => true,
            [sign, rest @ ..] if (*sign == b'+' || *sign == b'-') && rest.len() == 4 => {
                digits(rest) && num(&rest[..2]) <= 23 && num(&rest[2..]) <= 59
            }
            _ => false,
        }
    };
    try_len(fixed) || (minute_form && try_len(year_digits + 8))
}

/// `parseTime`.
fn parse_time(der: &mut &[u8]) -> Result<(), &'static str> {
    if peek(der, 0x17) {
        match read(der, 0x17) {
            Some(b) if valid_time(b, 2) => Ok(()),
            _ => Err("x509: malformed UTCTime"),
        }
    } else if peek(der, 0x18) {
        match read(der, 0x18) {
            Some(b) if valid_time(b, 4) => Ok(()),
            _ => Err("x509: malformed GeneralizedTime"),
        }
    } else {
        Err("x509: unsupported time format")
    }
}

/// The first fault `parseCertificate` meets in `der` and how many bytes the certificate took
/// (`Ok` when the walk finds none).
pub fn parse_certificate_error(der: &[u8]) -> Result<usize, String> {
    let e = |m: &str| Err(m.to_string());
    let mut input = der;
    let Some(cert) = read_element(&mut input, 0x30) else {
        return e("x509: malformed certificate");
    };
    let taken = cert.len();
    let mut input = cert;
    let Some(mut input) = read(&mut input, 0x30) else {
        return e("x509: malformed certificate");
    };
    let Some(tbs_el) = read_element(&mut input, 0x30) else {
        return e("x509: malformed tbs certificate");
    };
    let mut t = tbs_el;
    let Some(mut tbs) = read(&mut t, 0x30) else {
        return e("x509: malformed tbs certificate");
    };
    let mut version: i64 = 0;
    if peek(tbs, 0xa0) {
        let Some(mut v) = read(&mut tbs, 0xa0) else {
            return e("x509: malformed version");
        };
        match read(&mut v, 0x02) {
            Some(i) if valid_integer(i) && i.len() <= 8 && v.is_empty() => {
                version = i
                    .iter()
                    .fold(if i[0] & 0x80 != 0 { -1i64 } else { 0 }, |a, &b| {
                        (a << 8) | b as i64
                    });
            }
            _ => return e("x509: malformed version"),
        }
    }
    if version < 0 {
        return e("x509: malformed version");
    }
    if version + 1 > 3 {
        return e("x509: invalid version");
    }
    match read(&mut tbs, 0x02) {
        Some(i) if valid_integer(i) => {
            // Go ≥ 1.23 (GODEBUG x509negativeserial unset).
            if i[0] & 0x80 != 0 {
                return e("x509: negative serial number");
            }
        }
        _ => return e("x509: malformed serial number"),
    }
    let Some(sig_ai) = read(&mut tbs, 0x30) else {
        return e("x509: malformed signature algorithm identifier");
    };
    let Some(outer_ai) = read(&mut input, 0x30) else {
        return e("x509: malformed algorithm identifier");
    };
    if outer_ai != sig_ai {
        return e("x509: inner and outer signature algorithm identifiers don't match");
    }
    parse_ai(sig_ai)?;
    let Some(issuer) = read_element(&mut tbs, 0x30) else {
        return e("x509: malformed issuer");
    };
    parse_name(issuer)?;
    let Some(mut validity) = read(&mut tbs, 0x30) else {
        return e("x509: malformed validity");
    };
    parse_time(&mut validity)?;
    parse_time(&mut validity)?;
    let Some(subject) = read_element(&mut tbs, 0x30) else {
        // Go's text for the subject too.
        return e("x509: malformed issuer");
    };
    parse_name(subject)?;
    let Some(mut spki) = read_element(&mut tbs, 0x30) else {
        return e("x509: malformed spki");
    };
    let Some(mut spki) = read(&mut spki, 0x30) else {
        return e("x509: malformed spki");
    };
    let Some(pk_ai) = read(&mut spki, 0x30) else {
        return e("x509: malformed public key algorithm identifier");
    };
    parse_ai(pk_ai)?;
    match read(&mut spki, 0x03) {
        Some([unused, rest @ ..]) if *unused <= 7 && (*unused == 0 || !rest.is_empty()) => {}
        _ => return e("x509: malformed subjectPublicKey"),
    }
    match read_any(&mut input) {
        Some((0x03, [unused, rest @ ..], _))
            if *unused <= 7 && (*unused == 0 || !rest.is_empty()) =>
        {
            Ok(taken)
        }
        _ => e("x509: malformed signature"),
    }
}

/// `x509.ParseCertificates`' error for DER that did not parse (`fallback` when the walk above
/// finds nothing wrong in the parts it reads).
pub fn parse_certificates_error(mut der: &[u8], fallback: &str) -> String {
    while !der.is_empty() {
        match parse_certificate_error(der) {
            Ok(n) => der = &der[n..],
            Err(e) => return e,
        }
    }
    fallback.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pki::der::{self, seq, tlv};

    /// `readBase128Int`'s limits: five bytes, below 2³¹, no leading 0x80, not cut short.
    #[test]
    fn oid_components_follow_read_base128_int() {
        use super::valid_oid;
        assert!(valid_oid(&[0x2a, 0x86, 0x48]));
        assert!(valid_oid(&[0x87, 0xff, 0xff, 0xff, 0x7f])); // 2³¹ − 1
        assert!(!valid_oid(&[0x88, 0x80, 0x80, 0x80, 0x00])); // 2³¹
        assert!(!valid_oid(&[0x81, 0x80, 0x80, 0x80, 0x80, 0x00])); // six bytes
        assert!(!valid_oid(&[0x2a, 0x80, 0x01]));
        assert!(!valid_oid(&[0x2a, 0x86]));
        assert!(!valid_oid(&[]));
    }

    fn name(cn: &[u8]) -> Vec<u8> {
        seq(&[&der::set_of(vec![seq(&[
            &der::oid("2.5.4.3"),
            &tlv(0x0c, cn),
        ])])])
    }

    /// A structurally valid certificate with the given parts replaced.
    fn cert(f: impl Fn(&mut Vec<Vec<u8>>, &mut Vec<u8>)) -> Vec<u8> {
        let alg = seq(&[&der::oid("1.2.840.10045.4.3.2")]);
        let spki = seq(&[
            &seq(&[
                &der::oid("1.2.840.10045.2.1"),
                &der::oid("1.2.840.10045.3.1.7"),
            ]),
            &der::bit_string(0, &[4; 65]),
        ]);
        let validity = seq(&[&tlv(0x17, b"300101000000Z"), &tlv(0x18, b"20310101000000Z")]);
        let mut tbs = vec![
            der::explicit(0, &der::small_int(2)),
            der::small_int(1),
            alg.clone(),
            name(b"ca"),
            validity,
            name(b"leaf"),
            spki,
        ];
        let mut outer_alg = alg;
        f(&mut tbs, &mut outer_alg);
        let tbs = tlv(0x30, &tbs.concat());
        seq(&[&tbs, &outer_alg, &der::bit_string(0, &[1, 2, 3])])
    }

    #[test]
    fn go_texts_in_go_order() {
        let ok = cert(|_, _| {});
        assert_eq!(parse_certificate_error(&ok), Ok(ok.len()));
        let rows: Vec<(&str, Vec<u8>, &str)> = vec![
            ("empty", vec![], "x509: malformed certificate"),
            (
                "not a sequence",
                vec![0x31, 0],
                "x509: malformed certificate",
            ),
            (
                "non-minimal length",
                vec![0x30, 0x81, 0x01, 0],
                "x509: malformed certificate",
            ),
            (
                "tbs not a sequence",
                seq(&[&der::small_int(1)]),
                "x509: malformed tbs certificate",
            ),
            (
                "version 4",
                cert(|t, _| t[0] = der::explicit(0, &der::small_int(3))),
                "x509: invalid version",
            ),
            (
                "version not an integer",
                cert(|t, _| t[0] = der::explicit(0, &tlv(0x04, &[1]))),
                "x509: malformed version",
            ),
            (
                "serial not minimal",
                cert(|t, _| t[1] = tlv(0x02, &[0, 1])),
                "x509: malformed serial number",
            ),
            (
                "serial missing",
                cert(|t, _| t[1] = tlv(0x04, &[1])),
                "x509: malformed serial number",
            ),
            (
                "negative serial",
                cert(|t, _| t[1] = tlv(0x02, &[0x80])),
                "x509: negative serial number",
            ),
            (
                "algorithms differ",
                cert(|_, o| *o = seq(&[&der::oid("1.2.840.10045.4.3.3")])),
                "x509: inner and outer signature algorithm identifiers don't match",
            ),
            (
                "issuer not a sequence",
                cert(|t, _| t[3] = tlv(0x31, &[])),
                "x509: malformed issuer",
            ),
            (
                "issuer RDN not a SET",
                cert(|t, _| t[3] = seq(&[&tlv(0x35, &[])])),
                "x509: invalid RDNSequence",
            ),
            (
                "bad PrintableString",
                cert(|t, _| {
                    t[3] = seq(&[&der::set_of(vec![seq(&[
                        &der::oid("2.5.4.3"),
                        &tlv(0x13, b"a_b"),
                    ])])])
                }),
                "x509: invalid RDNSequence: invalid attribute value: invalid PrintableString",
            ),
            (
                "validity: unsupported time",
                cert(|t, _| t[4] = seq(&[&tlv(0x04, b"x")])),
                "x509: unsupported time format",
            ),
            (
                "validity: bad UTCTime",
                cert(|t, _| t[4] = seq(&[&tlv(0x17, b"301301000000Z")])),
                "x509: malformed UTCTime",
            ),
            (
                "subject missing",
                cert(|t, _| {
                    t.truncate(5);
                }),
                "x509: malformed issuer",
            ),
            (
                "subject RDN not a SET",
                cert(|t, _| t[5] = seq(&[&tlv(0x35, &[])])),
                "x509: invalid RDNSequence",
            ),
            (
                "spki missing",
                cert(|t, _| {
                    t.truncate(6);
                }),
                "x509: malformed spki",
            ),
        ];
        for (case, d, want) in rows {
            assert_eq!(parse_certificate_error(&d), Err(want.to_string()), "{case}");
        }
    }
}
