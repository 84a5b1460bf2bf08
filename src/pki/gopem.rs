//! PEM decoding with the exact semantics of Go's `encoding/pem.Decode`, which upstream uses
//! both to find the CSR in `spec.request` (first block only, junk before it skipped) and to
//! walk `status.certificate` (block by block, text between blocks allowed).

use base64::Engine;

/// One decoded PEM block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Block {
    pub type_: String,
    pub headers: Vec<(String, String)>,
    pub bytes: Vec<u8>,
}

const BEGIN: &[u8] = b"-----BEGIN ";
const END: &[u8] = b"-----END ";
const TAIL: &[u8] = b"-----";

/// First occurrence of `needle` in `hay` (SIMD search).
fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    memchr::memmem::find(hay, needle)
}

/// Split off one line: (line without EOL, rest after EOL).
fn get_line(data: &[u8]) -> (&[u8], &[u8]) {
    match data.iter().position(|&c| c == b'\n') {
        Some(i) => {
            let mut line = &data[..i];
            if line.last() == Some(&b'\r') {
                line = &line[..line.len() - 1];
            }
            (trim_right_space(line), &data[i + 1..])
        }
        None => (trim_right_space(data), &data[data.len()..]),
    }
}

fn trim_right_space(mut s: &[u8]) -> &[u8] {
    while let Some(&c) = s.last() {
        if c == b' ' || c == b'\t' || c == b'\r' || c == b'\n' {
            s = &s[..s.len() - 1];
        } else {
            break;
        }
    }
    s
}

fn trim_space(s: &[u8]) -> &[u8] {
    let mut s = trim_right_space(s);
    while let Some(&c) = s.first() {
        if c == b' ' || c == b'\t' || c == b'\r' || c == b'\n' {
            s = &s[1..];
        } else {
            break;
        }
    }
    s
}

/// Go's `pem.Decode`: the first valid block and the rest after it, or `None` if there is none.
///
/// The last few inputs of at least [`MEMO_MIN_BYTES`] are remembered per thread: one CSR's
/// request is decoded by validation, both subject admissions, the approver and the signer
/// within the same request, and its certificate by validation and the kubelet (together 4 %
/// of a fleet run). The answer is a pure function of the bytes, so a hit returns the same.
pub fn decode(data: &[u8]) -> Option<(Block, &[u8])> {
    if data.len() < MEMO_MIN_BYTES {
        return decode_uncached(data);
    }
    let hit = RECENT.with(|r| {
        r.borrow()
            .iter()
            .find(|(k, _, _)| super::same_bytes(k, data))
            .map(|(_, b, off)| (b.clone(), *off))
    });
    if let Some((block, off)) = hit {
        return Some((block, &data[off..]));
    }
    let (block, rest) = decode_uncached(data)?;
    let off = data.len() - rest.len();
    remember(data, block.clone(), off);
    Some((block, rest))
}

fn remember(data: &[u8], block: Block, off: usize) {
    RECENT.with(|r| {
        let mut r = r.borrow_mut();
        if r.len() == MEMO_ENTRIES {
            r.pop_front();
        }
        r.push_back((data.to_vec(), block, off));
    });
}

/// Inputs shorter than this are decoded every time (remembering them would cost more).
const MEMO_MIN_BYTES: usize = 256;
/// Decoded inputs remembered per thread.
const MEMO_ENTRIES: usize = 8;

thread_local! {
    /// (input, its first block, offset of the rest): the most recent decodes, oldest first.
    static RECENT: std::cell::RefCell<std::collections::VecDeque<(Vec<u8>, Block, usize)>> =
        const { std::cell::RefCell::new(std::collections::VecDeque::new()) };
}

fn decode_uncached(data: &[u8]) -> Option<(Block, &[u8])> {
    let mut rest = data;
    loop {
        // Find the next BEGIN at the start of the data or of a line.
        let start = if rest.starts_with(BEGIN) {
            0
        } else {
            let i = find(rest, b"\n-----BEGIN ")?;
            i + 1
        };
        rest = &rest[start + BEGIN.len()..];
        let (type_line, after) = get_line(rest);
        let Some(type_) = type_line.strip_suffix(TAIL) else {
            continue;
        };
        let type_ = String::from_utf8_lossy(type_).into_owned();
        match decode_body(after, &type_) {
            Some((headers, bytes, remaining)) => {
                return Some((
                    Block {
                        type_,
                        headers,
                        bytes,
                    },
                    remaining,
                ));
            }
            None => {
                rest = after;
                continue;
            }
        }
    }
}

type Body<'a> = (Vec<(String, String)>, Vec<u8>, &'a [u8]);

fn decode_body<'a>(data: &'a [u8], type_: &str) -> Option<Body<'a>> {
    let mut headers = Vec::new();
    let mut rest = data;
    // Headers: lines with a colon before the first blank/non-header line.
    loop {
        if rest.is_empty() {
            return None;
        }
        let (line, next) = get_line(rest);
        let Some(colon) = line.iter().position(|&c| c == b':') else {
            break;
        };
        let key = trim_space(&line[..colon]);
        let val = trim_space(&line[colon + 1..]);
        headers.push((
            String::from_utf8_lossy(key).into_owned(),
            String::from_utf8_lossy(val).into_owned(),
        ));
        rest = next;
    }
    // The END line must match the type.
    let (end_index, end_trailer_index) = if headers.is_empty() && rest.starts_with(END) {
        (0usize, END.len())
    } else {
        let i = find(rest, b"\n-----END ")?;
        (i, i + 1 + END.len())
    };
    let end_trailer = &rest[end_trailer_index..];
    let end_type_len = type_.len() + TAIL.len();
    if end_trailer.len() < end_type_len {
        return None;
    }
    let rest_of_end_line = &end_trailer[end_type_len..];
    let end_type = &end_trailer[..type_.len()];
    if end_type != type_.as_bytes() || &end_trailer[type_.len()..end_type_len] != TAIL {
        return None;
    }
    // The line must end with only whitespace.
    let (s, remaining) = get_line(rest_of_end_line);
    if !s.is_empty() {
        return None;
    }
    // Whitespace removed line by line (a filtered byte iterator grew its vector as it went:
    // 1.8 % of a fleet run).
    let src = &rest[..end_index];
    let mut body = Vec::with_capacity(src.len());
    for line in src.split(|&c| c == b'\n') {
        if line.iter().any(|c| matches!(c, b' ' | b'\t' | b'\r')) {
            body.extend(
                line.iter()
                    .copied()
                    .filter(|c| !matches!(c, b' ' | b'\t' | b'\r')),
            );
        } else {
            body.extend_from_slice(line);
        }
    }
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(&body)
        .ok()?;
    Some((headers, bytes, remaining))
}

/// [`encode`], and remember the text as decoded: the signer encodes each certificate it
/// issues, and validation of its `/status` write decodes that text right after (1.5 % of a
/// lifecycle).
pub fn encode_remembered(type_: &str, der: &[u8]) -> String {
    let s = encode(type_, der);
    if s.len() >= MEMO_MIN_BYTES {
        let block = Block {
            type_: type_.to_string(),
            headers: Vec::new(),
            bytes: der.to_vec(),
        };
        debug_assert_eq!(
            decode_uncached(s.as_bytes()).map(|(b, rest)| (b, rest.len())),
            Some((block.clone(), 0))
        );
        remember(s.as_bytes(), block, s.len());
    }
    s
}

/// Encode one block (64-column base64, as Go's `pem.Encode`).
pub fn encode(type_: &str, der: &[u8]) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let mut s = format!("-----BEGIN {type_}-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        s.push_str(std::str::from_utf8(chunk).expect("base64 is ascii"));
        s.push('\n');
    }
    s.push_str(&format!("-----END {type_}-----\n"));
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A remembered encoding decodes (from the memo) to what a fresh decode reads.
    #[test]
    fn remembered_encoding_decodes_as_a_fresh_decode() {
        let der: Vec<u8> = (0..=255u8).cycle().take(700).collect();
        let pem = encode_remembered("CERTIFICATE", &der);
        assert_eq!(pem, encode("CERTIFICATE", &der));
        let (hit, rest) = decode(pem.as_bytes()).unwrap();
        let (fresh, fresh_rest) = decode_uncached(pem.as_bytes()).unwrap();
        assert_eq!((hit.clone(), rest), (fresh, fresh_rest));
        assert_eq!((hit.type_.as_str(), hit.bytes), ("CERTIFICATE", der));
    }

    #[test]
    fn decodes_like_go() {
        let pem = encode("CERTIFICATE REQUEST", b"hello");
        let junk = format!("leading junk\n{pem}trailing");
        let (b, rest) = decode(junk.as_bytes()).unwrap();
        assert_eq!(b.type_, "CERTIFICATE REQUEST");
        assert_eq!(b.bytes, b"hello");
        assert_eq!(rest, b"trailing");
        assert!(decode(b"no pem here").is_none());
        // Corrupt base64 is not a block.
        assert!(decode(b"-----BEGIN X-----\n!!!!\n-----END X-----\n").is_none());
        // Mismatched END type is not a block.
        assert!(decode(b"-----BEGIN X-----\nAAAA\n-----END Y-----\n").is_none());
        // Headers are returned.
        let (b, _) =
            decode(b"-----BEGIN X-----\nProc-Type: 4,ENCRYPTED\n\nAAAA\n-----END X-----\n")
                .unwrap();
        assert_eq!(b.headers.len(), 1);
    }

    /// Remembered decodes answer exactly what a fresh decode does, for each of many inputs
    /// that share their first bytes (more than the memo holds), chains included.
    #[test]
    fn remembered_decodes_equal_fresh_ones() {
        let inputs: Vec<String> = (0..20u8)
            .map(|i| {
                let a = encode("CERTIFICATE", &[i; 400]);
                let b = encode("CERTIFICATE", &[i.wrapping_add(1); 300]);
                if i % 2 == 0 {
                    format!("{a}{b}")
                } else {
                    format!("junk\n{a}tail")
                }
            })
            .collect();
        for _ in 0..3 {
            for x in &inputs {
                let got = decode(x.as_bytes());
                let want = decode_uncached(x.as_bytes());
                assert_eq!(got, want);
                let (_, rest) = got.unwrap();
                assert_eq!(decode(rest), decode_uncached(rest));
            }
        }
    }
}
