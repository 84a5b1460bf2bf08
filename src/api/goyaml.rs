//! The JSON → YAML conversion kube-apiserver's YAML serializer does.
//!
//! apimachinery's `runtime/serializer/json` `Serializer.doEncode` with `Yaml: true` marshals the
//! object to JSON, then `sigs.k8s.io/yaml.JSONToYAML` reads that JSON with go-yaml v2
//! (`yaml.Unmarshal` into `interface{}`: objects become maps, numbers become `int`, `uint64` or
//! `float64` by go-yaml's resolver) and writes it back with `yaml.Marshal`. The fork
//! `sigs.k8s.io/yaml/goyaml.v2` is go-yaml v2.4.0, so this module is that encoder and its
//! libyaml-derived emitter for the values JSON can hold:
//!
//! - map keys are sorted by `keyList.Less` (`sorter.go`: letters before other characters,
//!   runs of digits compared as numbers), not kept in JSON order;
//! - a string that would read back as something else if written plain (`"48"`, `"true"`,
//!   `"null"`, `""`, `"1e3"`, `"~"`, `"y"`, a timestamp such as `"2030-01-01T00:00:00Z"`,
//!   a base-60 float such as `"1:20"`) is double-quoted (`encoder.stringv`, `resolve`);
//! - a string with a line feed is a literal block (`|`, `|-`, `|+`, with an indentation hint
//!   when it starts with a space), unless the emitter refuses a block for it;
//! - the emitter (`yaml_emitter_analyze_scalar`, `yaml_emitter_select_scalar_style`) decides
//!   between plain, single-quoted and double-quoted for the rest; plain and quoted scalars are
//!   folded at a space past column 80 (`best_width`);
//! - sequences under a mapping key are not indented (`- ` at the key's column); empty maps and
//!   sequences are the flow `{}` and `[]`;
//! - non-ASCII printable characters are written as they are (`unicode` is on); characters
//!   outside libyaml's printable set (controls, U+FEFF, and every character beyond the BMP)
//!   force double quotes and are escaped (`\t`, `\x7F`, `\U0001F600`);
//! - numbers: integers as written; floats as Go's `strconv.FormatFloat(f, 'g', -1, 64)`
//!   (`1000000.0` → `1e+06`, `1.5` → `1.5`, `2.0` → `2`).

use serde_json::Value;

/// The error `JSONToYAML` returns when Go's JSON of `v` has a character the YAML reader refuses
/// (`yaml_parser_update_buffer`): Go's `encoding/json` writes U+007F, the C1 controls and
/// U+FFFE/U+FFFF as they are, and go-yaml will not read them.
pub const CONTROL_CHARACTERS: &str = "yaml: control characters are not allowed";

/// The error `JSONToYAML` returns for a map key whose JSON text (escapes counted, quotes not)
/// is 1023 characters or more: go-yaml's scanner keeps a flow mapping's simple key possible
/// for 1024 characters only, so the parser then misses the `:` it expects.
pub const KEY_TOO_LONG: &str = "yaml: did not find expected ',' or '}'";

/// `JSONToYAML` of the JSON form of `v`, or its error ([`CONTROL_CHARACTERS`],
/// [`KEY_TOO_LONG`]).
pub fn json_to_yaml(v: &Value) -> Result<String, &'static str> {
    if has_unreadable_character(v) {
        return Err(CONTROL_CHARACTERS);
    }
    if has_long_key(v) {
        return Err(KEY_TOO_LONG);
    }
    Ok(to_yaml(v))
}

fn has_long_key(v: &Value) -> bool {
    match v {
        Value::Array(a) => a.iter().any(has_long_key),
        Value::Object(m) => m
            .iter()
            .any(|(k, v)| go_json_chars(k) >= 1023 || has_long_key(v)),
        _ => false,
    }
}

/// The characters Go's `encoding/json` writes for `s` between its quotes: `\"`, `\\`, `\n`,
/// `\r`, `\t`, `\b`, `\f` are two; other controls, `<`, `>`, `&`, U+2028 and U+2029 are six
/// (`\u003c`).
fn go_json_chars(s: &str) -> usize {
    s.chars()
        .map(|c| match c {
            '"' | '\\' | '\n' | '\r' | '\t' | '\u{8}' | '\u{c}' => 2,
            '\u{0}'..='\u{1f}' | '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => 6,
            _ => 1,
        })
        .sum()
}

fn has_unreadable_character(v: &Value) -> bool {
    let bad = |s: &str| {
        s.chars().any(
            |c| matches!(c, '\u{7f}'..='\u{84}' | '\u{86}'..='\u{9f}' | '\u{fffe}' | '\u{ffff}'),
        )
    };
    match v {
        Value::String(s) => bad(s),
        Value::Array(a) => a.iter().any(has_unreadable_character),
        Value::Object(m) => m.iter().any(|(k, v)| bad(k) || has_unreadable_character(v)),
        _ => false,
    }
}

/// `JSONToYAML` of the JSON form of `v`: the document's text, ending with a line break. (A
/// value [`json_to_yaml`] refuses is written all the same, its characters escaped.)
pub fn to_yaml(v: &Value) -> String {
    let mut e = Emitter::new();
    e.node(v, Ctx::ROOT);
    // Document end (implicit): a line break unless the content ended on one.
    e.write_indent();
    String::from_utf8(e.out).expect("the emitter writes whole UTF-8 characters")
}

const BEST_INDENT: i64 = 2;
const BEST_WIDTH: i64 = 80;

/// The node's place: a mapping's value or key (`mapping_context`), a simple key
/// (`simple_key_context`); the root and sequence items are neither.
#[derive(Clone, Copy)]
struct Ctx {
    mapping: bool,
    simple_key: bool,
}

impl Ctx {
    const ROOT: Ctx = Ctx {
        mapping: false,
        simple_key: false,
    };
    const SEQUENCE: Ctx = Ctx {
        mapping: false,
        simple_key: false,
    };
    const MAPPING: Ctx = Ctx {
        mapping: true,
        simple_key: false,
    };
    const SIMPLE_KEY: Ctx = Ctx {
        mapping: true,
        simple_key: true,
    };
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Style {
    Plain,
    SingleQuoted,
    DoubleQuoted,
    Literal,
}

/// `yaml_emitter_analyze_scalar`'s verdicts.
#[derive(Debug)]
struct Analysis {
    multiline: bool,
    block_plain_allowed: bool,
    single_quoted_allowed: bool,
    block_allowed: bool,
}

struct Emitter {
    out: Vec<u8>,
    /// Characters (not bytes) since the last line break.
    column: i64,
    indent: i64,
    indents: Vec<i64>,
    whitespace: bool,
    indention: bool,
}

impl Emitter {
    fn new() -> Emitter {
        Emitter {
            out: Vec::new(),
            column: 0,
            indent: -1,
            indents: Vec::new(),
            whitespace: true,
            indention: true,
        }
    }

    fn increase_indent(&mut self, flow: bool, indentless: bool) {
        self.indents.push(self.indent);
        if self.indent < 0 {
            self.indent = if flow { BEST_INDENT } else { 0 };
        } else if !indentless {
            self.indent += BEST_INDENT;
        }
    }

    fn pop_indent(&mut self) {
        self.indent = self.indents.pop().unwrap_or(-1);
    }

    fn put(&mut self, b: u8) {
        self.out.push(b);
        self.column += 1;
    }

    fn put_break(&mut self) {
        self.out.push(b'\n');
        self.column = 0;
    }

    /// `write`: one whole character, one column.
    fn write_char(&mut self, s: &[u8], i: &mut usize) {
        let w = width(s[*i]);
        self.out.extend_from_slice(&s[*i..*i + w]);
        self.column += 1;
        *i += w;
    }

    fn write_break(&mut self, s: &[u8], i: &mut usize) {
        if s[*i] == b'\n' {
            self.put_break();
            *i += 1;
        } else {
            self.write_char(s, i);
            self.column = 0;
        }
    }

    fn write_indent(&mut self) {
        let indent = self.indent.max(0);
        if !self.indention || self.column > indent || (self.column == indent && !self.whitespace) {
            self.put_break();
        }
        while self.column < indent {
            self.put(b' ');
        }
        self.whitespace = true;
        self.indention = true;
    }

    fn write_indicator(
        &mut self,
        indicator: &str,
        need_whitespace: bool,
        is_whitespace: bool,
        is_indention: bool,
    ) {
        if need_whitespace && !self.whitespace {
            self.put(b' ');
        }
        let s = indicator.as_bytes();
        let mut i = 0;
        while i < s.len() {
            self.write_char(s, &mut i);
        }
        self.whitespace = is_whitespace;
        self.indention = self.indention && is_indention;
    }

    fn node(&mut self, v: &Value, ctx: Ctx) {
        match v {
            Value::Null => self.scalar("null", Style::Plain, ctx),
            Value::Bool(b) => self.scalar(if *b { "true" } else { "false" }, Style::Plain, ctx),
            Value::Number(n) => self.scalar(&number_text(n), Style::Plain, ctx),
            Value::String(s) if s.contains('\u{85}') => {
                let s = fold_next_lines(s);
                self.scalar(&s, string_style(&s), ctx)
            }
            Value::String(s) => self.scalar(s, string_style(s), ctx),
            Value::Array(items) => self.sequence(items, ctx),
            Value::Object(m) => self.mapping(m),
        }
    }

    fn sequence(&mut self, items: &[Value], ctx: Ctx) {
        if items.is_empty() {
            self.write_indicator("[", true, true, false);
            self.write_indicator("]", false, false, false);
            return;
        }
        // `yaml_emitter_emit_block_sequence_item`: indentless as a mapping's value.
        self.increase_indent(false, ctx.mapping && !self.indention);
        for item in items {
            self.write_indent();
            self.write_indicator("-", true, false, true);
            self.node(item, Ctx::SEQUENCE);
        }
        self.pop_indent();
    }

    fn mapping(&mut self, m: &serde_json::Map<String, Value>) {
        if m.is_empty() {
            self.write_indicator("{", true, true, false);
            self.write_indicator("}", false, false, false);
            return;
        }
        let mut keys: Vec<&String> = m.keys().collect();
        sort_keys(&mut keys);
        self.increase_indent(false, false);
        for k in keys {
            self.write_indent();
            let key = Value::String(k.clone());
            // `yaml_emitter_check_simple_key`: one line, at most 128 bytes.
            let simple = !analyze(k.as_bytes()).multiline && k.len() <= 128;
            if simple {
                self.node(&key, Ctx::SIMPLE_KEY);
                self.write_indicator(":", false, false, false);
            } else {
                self.write_indicator("?", true, false, true);
                self.node(&key, Ctx::MAPPING);
                self.write_indent();
                self.write_indicator(":", true, false, true);
            }
            self.node(&m[k.as_str()], Ctx::MAPPING);
        }
        self.pop_indent();
    }

    fn scalar(&mut self, value: &str, requested: Style, ctx: Ctx) {
        let v = value.as_bytes();
        let a = analyze(v);
        let style = select_style(requested, &a, v.is_empty(), ctx.simple_key);
        self.increase_indent(true, false);
        let allow_breaks = !ctx.simple_key;
        match style {
            Style::Plain => self.write_plain(v, allow_breaks),
            Style::SingleQuoted => self.write_single_quoted(v, allow_breaks),
            Style::DoubleQuoted => self.write_double_quoted(v, allow_breaks),
            Style::Literal => self.write_literal(v),
        }
        self.pop_indent();
    }

    fn write_plain(&mut self, v: &[u8], allow_breaks: bool) {
        if !self.whitespace {
            self.put(b' ');
        }
        self.write_folded(v, allow_breaks, false);
        self.whitespace = false;
        self.indention = false;
    }

    fn write_single_quoted(&mut self, v: &[u8], allow_breaks: bool) {
        self.write_indicator("'", true, false, false);
        self.write_folded(v, allow_breaks, true);
        self.write_indicator("'", false, false, false);
        self.whitespace = false;
        self.indention = false;
    }

    /// The text of a plain or single-quoted scalar: libyaml's two writers share this loop
    /// (fold at a lone space past `best_width`, keep line breaks) and differ in two points —
    /// a quoted scalar never folds at its first or last byte, and doubles its quotes.
    fn write_folded(&mut self, v: &[u8], allow_breaks: bool, quoted: bool) {
        let mut spaces = false;
        let mut breaks = false;
        let mut i = 0;
        while i < v.len() {
            if v[i] == b' ' {
                if allow_breaks
                    && !spaces
                    && self.column > BEST_WIDTH
                    && (!quoted || (i > 0 && i < v.len() - 1))
                    && v.get(i + 1) != Some(&b' ')
                {
                    self.write_indent();
                    i += 1;
                } else {
                    self.write_char(v, &mut i);
                }
                spaces = true;
            } else if is_break(v, i) {
                if !breaks && v[i] == b'\n' {
                    self.put_break();
                }
                self.write_break(v, &mut i);
                self.indention = true;
                breaks = true;
            } else {
                if breaks {
                    self.write_indent();
                }
                if quoted && v[i] == b'\'' {
                    self.put(b'\'');
                }
                self.write_char(v, &mut i);
                self.indention = false;
                spaces = false;
                breaks = false;
            }
        }
    }

    fn write_double_quoted(&mut self, v: &[u8], allow_breaks: bool) {
        let mut spaces = false;
        self.write_indicator("\"", true, false, false);
        // libyaml's `is_bom(value, i)` looks at the value's first bytes, whatever `i` is.
        let starts_with_bom = v.starts_with(&[0xEF, 0xBB, 0xBF]);
        let mut i = 0;
        while i < v.len() {
            if !is_printable(v, i)
                || starts_with_bom
                || is_break(v, i)
                || v[i] == b'"'
                || v[i] == b'\\'
            {
                let w = width(v[i]);
                let c = std::str::from_utf8(&v[i..i + w])
                    .ok()
                    .and_then(|s| s.chars().next())
                    .map(u32::from)
                    .unwrap_or(0xFFFD);
                i += w;
                self.put(b'\\');
                let short = match c {
                    0x00 => Some(b'0'),
                    0x07 => Some(b'a'),
                    0x08 => Some(b'b'),
                    0x09 => Some(b't'),
                    0x0A => Some(b'n'),
                    0x0B => Some(b'v'),
                    0x0C => Some(b'f'),
                    0x0D => Some(b'r'),
                    0x1B => Some(b'e'),
                    0x22 => Some(b'"'),
                    0x5C => Some(b'\\'),
                    0x85 => Some(b'N'),
                    0xA0 => Some(b'_'),
                    0x2028 => Some(b'L'),
                    0x2029 => Some(b'P'),
                    _ => None,
                };
                match short {
                    Some(b) => self.put(b),
                    None => {
                        let (letter, digits) = if c <= 0xFF {
                            (b'x', 2)
                        } else if c <= 0xFFFF {
                            (b'u', 4)
                        } else {
                            (b'U', 8)
                        };
                        self.put(letter);
                        for k in (0..digits).rev() {
                            let d = ((c >> (k * 4)) & 0x0F) as u8;
                            self.put(if d < 10 { b'0' + d } else { b'A' + d - 10 });
                        }
                    }
                }
                spaces = false;
            } else if v[i] == b' ' {
                if allow_breaks && !spaces && self.column > BEST_WIDTH && i > 0 && i < v.len() - 1 {
                    self.write_indent();
                    if v.get(i + 1) == Some(&b' ') {
                        self.put(b'\\');
                    }
                    i += 1;
                } else {
                    self.write_char(v, &mut i);
                }
                spaces = true;
            } else {
                self.write_char(v, &mut i);
                spaces = false;
            }
        }
        self.write_indicator("\"", false, false, false);
        self.whitespace = false;
        self.indention = false;
    }

    fn write_literal(&mut self, v: &[u8]) {
        self.write_indicator("|", true, false, false);
        // `yaml_emitter_write_block_scalar_hints`.
        if v.first() == Some(&b' ') || is_break(v, 0) {
            self.write_indicator(&BEST_INDENT.to_string(), false, false, false);
        }
        let chomp = if v.is_empty() {
            Some("-")
        } else {
            let mut i = v.len() - 1;
            while v[i] & 0xC0 == 0x80 {
                i -= 1;
            }
            if !is_break(v, i) {
                Some("-")
            } else if i == 0 {
                Some("+")
            } else {
                i -= 1;
                while v[i] & 0xC0 == 0x80 {
                    i -= 1;
                }
                is_break(v, i).then_some("+")
            }
        };
        if let Some(c) = chomp {
            self.write_indicator(c, false, false, false);
        }
        self.put_break();
        self.indention = true;
        self.whitespace = true;
        let mut breaks = true;
        let mut i = 0;
        while i < v.len() {
            if is_break(v, i) {
                self.write_break(v, &mut i);
                self.indention = true;
                breaks = true;
            } else {
                if breaks {
                    self.write_indent();
                }
                self.write_char(v, &mut i);
                self.indention = false;
                breaks = false;
            }
        }
    }
}

/// `yaml_emitter_select_scalar_style` for an implicit, untagged scalar outside flow context.
fn select_style(requested: Style, a: &Analysis, empty: bool, simple_key: bool) -> Style {
    let mut style = requested;
    if simple_key && a.multiline {
        style = Style::DoubleQuoted;
    }
    if style == Style::Plain && (!a.block_plain_allowed || (empty && simple_key)) {
        style = Style::SingleQuoted;
    }
    if style == Style::SingleQuoted && !a.single_quoted_allowed {
        style = Style::DoubleQuoted;
    }
    if style == Style::Literal && (!a.block_allowed || simple_key) {
        style = Style::DoubleQuoted;
    }
    style
}

/// What go-yaml reads back for a JSON string holding U+0085 (NEL): Go's `encoding/json`
/// writes that character as it is, and in a double-quoted YAML scalar it is a line break, so
/// `yaml_parser_scan_flow_scalar` folds it — with the spaces around it — into one space, or
/// into `n - 1` line feeds for a run of `n` breaks.
fn fold_next_lines(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    let mut spaces = String::new();
    while let Some(c) = chars.next() {
        if c == ' ' {
            spaces.push(c);
            continue;
        }
        if c != '\u{85}' {
            out.push_str(&spaces);
            spaces.clear();
            out.push(c);
            continue;
        }
        spaces.clear();
        let mut breaks = 1;
        while let Some(&n) = chars.peek() {
            match n {
                ' ' => {}
                '\u{85}' => breaks += 1,
                _ => break,
            }
            chars.next();
        }
        if breaks == 1 {
            out.push(' ');
        } else {
            out.push_str(&"\n".repeat(breaks - 1));
        }
    }
    out.push_str(&spaces);
    out
}

/// `encoder.stringv`: the style asked of the emitter for a string.
fn string_style(s: &str) -> Style {
    let can_use_plain = resolves_to_str(s) && !is_base60_float(s);
    if s.contains('\n') {
        Style::Literal
    } else if can_use_plain {
        Style::Plain
    } else {
        Style::DoubleQuoted
    }
}

/// The text go-yaml writes for a JSON number it read back (`int`/`uint64` as written,
/// `float64` by `strconv.FormatFloat(f, 'g', -1, 64)`).
fn number_text(n: &serde_json::Number) -> String {
    if n.is_i64() || n.is_u64() {
        return n.to_string();
    }
    go_format_float_g(n.as_f64().unwrap_or(0.0))
}

/// Go's `strconv.FormatFloat(f, 'g', -1, 64)` as go-yaml spells it (`.inf`, `-.inf`, `.nan`).
pub fn go_format_float_g(f: f64) -> String {
    if f.is_nan() {
        return ".nan".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { ".inf" } else { "-.inf" }.into();
    }
    if f == 0.0 {
        return if f.is_sign_negative() { "-0" } else { "0" }.into();
    }
    // Rust's `{:e}` is the shortest round-tripping digits, as Go's shortest formatting.
    let sci = format!("{:e}", f.abs());
    let (mantissa, exp) = sci.split_once('e').expect("scientific form");
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    let exp: i32 = exp.parse().expect("exponent");
    let neg = if f < 0.0 { "-" } else { "" };
    if !(-4..6).contains(&exp) {
        let mut s = String::from(neg);
        s.push_str(&digits[..1]);
        if digits.len() > 1 {
            s.push('.');
            s.push_str(&digits[1..]);
        }
        s.push('e');
        s.push(if exp < 0 { '-' } else { '+' });
        let e = exp.unsigned_abs();
        if e < 10 {
            s.push('0');
        }
        s.push_str(&e.to_string());
        return s;
    }
    let dp = exp + 1; // digits before the decimal point
    let mut s = String::from(neg);
    if dp <= 0 {
        s.push_str("0.");
        s.push_str(&"0".repeat((-dp) as usize));
        s.push_str(&digits);
    } else {
        let dp = dp as usize;
        if digits.len() <= dp {
            s.push_str(&digits);
            s.push_str(&"0".repeat(dp - digits.len()));
        } else {
            s.push_str(&digits[..dp]);
            s.push('.');
            s.push_str(&digits[dp..]);
        }
    }
    s
}

/// `keyList.Less` for string keys: letters sort before non-letters, runs of digits compare as
/// numbers, otherwise by code point; a prefix sorts first.
fn key_less(a: &str, b: &str) -> bool {
    let ar: Vec<char> = a.chars().collect();
    let br: Vec<char> = b.chars().collect();
    let mut i = 0;
    while i < ar.len() && i < br.len() {
        if ar[i] == br[i] {
            i += 1;
            continue;
        }
        let al = is_letter(ar[i]);
        let bl = is_letter(br[i]);
        if al && bl {
            return ar[i] < br[i];
        }
        if al || bl {
            return bl;
        }
        let (mut an, mut bn): (i64, i64) = (0, 0);
        if ar[i] == '0' || br[i] == '0' {
            let mut j = i;
            while j > 0 && is_digit(ar[j - 1]) {
                j -= 1;
                if ar[j] != '0' {
                    an = 1;
                    bn = 1;
                    break;
                }
            }
        }
        let mut ai = i;
        while ai < ar.len() && is_digit(ar[ai]) {
            an = an.wrapping_mul(10).wrapping_add(digit_value(ar[ai]));
            ai += 1;
        }
        let mut bi = i;
        while bi < br.len() && is_digit(br[bi]) {
            bn = bn.wrapping_mul(10).wrapping_add(digit_value(br[bi]));
            bi += 1;
        }
        if an != bn {
            return an < bn;
        }
        if ai != bi {
            return ai < bi;
        }
        return ar[i] < br[i];
    }
    ar.len() < br.len()
}

/// `sort.Sort(keyList)`: for a dozen keys or fewer Go's insertion sort, which this is, from
/// the JSON order. `keyList.Less` is no strict order for some keys with zero-padded digit runs
/// (`a1` < `a01` < `a0b` < `a1`); Go starts from its random map order, so its own output varies
/// for them, and this is one of its outcomes. Larger maps (Go's pdqsort) are sorted by the same
/// comparison, which agrees with Go whenever it is an order.
fn sort_keys(keys: &mut [&String]) {
    if keys.len() <= 12 {
        for i in 1..keys.len() {
            let mut j = i;
            while j > 0 && key_less(keys[j], keys[j - 1]) {
                keys.swap(j, j - 1);
                j -= 1;
            }
        }
    } else {
        keys.sort_by(|a, b| key_order(a, b));
    }
}

fn key_order(a: &str, b: &str) -> std::cmp::Ordering {
    if key_less(a, b) {
        std::cmp::Ordering::Less
    } else if key_less(b, a) {
        std::cmp::Ordering::Greater
    } else {
        std::cmp::Ordering::Equal
    }
}

/// Go's `unicode.IsLetter` (Rust's `is_alphabetic` is a close superset beyond ASCII).
fn is_letter(c: char) -> bool {
    if c.is_ascii() {
        c.is_ascii_alphabetic()
    } else {
        c.is_alphabetic()
    }
}

/// Go's `unicode.IsDigit` (decimal digits; approximated by `is_numeric` beyond ASCII).
fn is_digit(c: char) -> bool {
    if c.is_ascii() {
        c.is_ascii_digit()
    } else {
        c.is_numeric()
    }
}

/// `int64(r - '0')`, as Go computes it for any digit rune.
fn digit_value(c: char) -> i64 {
    c as i64 - '0' as i64
}

fn width(b: u8) -> usize {
    if b & 0x80 == 0 {
        1
    } else if b & 0xE0 == 0xC0 {
        2
    } else if b & 0xF0 == 0xE0 {
        3
    } else {
        4
    }
}

fn at(v: &[u8], i: usize) -> u8 {
    v.get(i).copied().unwrap_or(0)
}

/// libyaml's `is_printable` (note: no character beyond the BMP is "printable").
fn is_printable(v: &[u8], i: usize) -> bool {
    let (b0, b1, b2) = (at(v, i), at(v, i + 1), at(v, i + 2));
    b0 == 0x0A
        || (0x20..=0x7E).contains(&b0)
        || (b0 == 0xC2 && b1 >= 0xA0)
        || (b0 > 0xC2 && b0 < 0xED)
        || (b0 == 0xED && b1 < 0xA0)
        || b0 == 0xEE
        || (b0 == 0xEF
            && !(b1 == 0xBB && b2 == 0xBF)
            && !(b1 == 0xBF && (b2 == 0xBE || b2 == 0xBF)))
}

fn is_break(v: &[u8], i: usize) -> bool {
    let (b0, b1, b2) = (at(v, i), at(v, i + 1), at(v, i + 2));
    b0 == b'\r'
        || b0 == b'\n'
        || (b0 == 0xC2 && b1 == 0x85)
        || (b0 == 0xE2 && b1 == 0x80 && (b2 == 0xA8 || b2 == 0xA9))
}

fn is_blank(v: &[u8], i: usize) -> bool {
    matches!(at(v, i), b' ' | b'\t')
}

fn is_blankz(v: &[u8], i: usize) -> bool {
    is_blank(v, i) || is_break(v, i) || at(v, i) == 0
}

/// `yaml_emitter_analyze_scalar` (with `unicode` on).
fn analyze(v: &[u8]) -> Analysis {
    if v.is_empty() {
        return Analysis {
            multiline: false,
            block_plain_allowed: true,
            single_quoted_allowed: true,
            block_allowed: false,
        };
    }
    let mut block_indicators = v.starts_with(b"---") || v.starts_with(b"...");
    let mut line_breaks = false;
    let mut special_characters = false;
    let mut leading_space = false;
    let mut leading_break = false;
    let mut trailing_space = false;
    let mut trailing_break = false;
    let mut break_space = false;
    let mut space_break = false;
    let mut preceded_by_whitespace = true;
    let mut previous_space = false;
    let mut previous_break = false;
    let mut i = 0;
    while i < v.len() {
        let w = width(v[i]);
        let followed_by_whitespace = i + w >= v.len() || is_blank(v, i + w);
        if i == 0 {
            match v[i] {
                b'#' | b',' | b'[' | b']' | b'{' | b'}' | b'&' | b'*' | b'!' | b'|' | b'>'
                | b'\'' | b'"' | b'%' | b'@' | b'`' => block_indicators = true,
                b'?' | b':' | b'-' if followed_by_whitespace => block_indicators = true,
                _ => {}
            }
        } else {
            match v[i] {
                b':' if followed_by_whitespace => block_indicators = true,
                b'#' if preceded_by_whitespace => block_indicators = true,
                _ => {}
            }
        }
        if !is_printable(v, i) {
            special_characters = true;
        }
        if v[i] == b' ' {
            if i == 0 {
                leading_space = true;
            }
            if i + w == v.len() {
                trailing_space = true;
            }
            if previous_break {
                break_space = true;
            }
            previous_space = true;
            previous_break = false;
        } else if is_break(v, i) {
            line_breaks = true;
            if i == 0 {
                leading_break = true;
            }
            if i + w == v.len() {
                trailing_break = true;
            }
            if previous_space {
                space_break = true;
            }
            previous_space = false;
            previous_break = true;
        } else {
            previous_space = false;
            previous_break = false;
        }
        preceded_by_whitespace = is_blankz(v, i);
        i += w;
    }
    let mut a = Analysis {
        multiline: line_breaks,
        block_plain_allowed: true,
        single_quoted_allowed: true,
        block_allowed: true,
    };
    if leading_space || leading_break || trailing_space || trailing_break {
        a.block_plain_allowed = false;
    }
    if trailing_space {
        a.block_allowed = false;
    }
    if break_space {
        a.block_plain_allowed = false;
        a.single_quoted_allowed = false;
    }
    if space_break || special_characters {
        a.block_plain_allowed = false;
        a.single_quoted_allowed = false;
        a.block_allowed = false;
    }
    if line_breaks || block_indicators {
        a.block_plain_allowed = false;
    }
    a
}

/// go-yaml's `resolve("", s)` gives `!!str`: the string reads back as itself when plain.
fn resolves_to_str(s: &str) -> bool {
    let b = s.as_bytes();
    let hint = match b.first() {
        None => return false, // "" is null
        Some(b'+' | b'-') => b'S',
        Some(b'0'..=b'9') => b'D',
        Some(b'y' | b'Y' | b'n' | b'N' | b't' | b'T' | b'f' | b'F' | b'o' | b'O' | b'~') => b'M',
        Some(b'.') => b'.',
        Some(_) => return true,
    };
    const MAP: &[&str] = &[
        "y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON", "n", "N", "no",
        "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF", "~", "null", "Null", "NULL",
        ".nan", ".NaN", ".NAN", ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf",
        "-.Inf", "-.INF", "<<",
    ];
    if MAP.contains(&s) {
        return false;
    }
    match hint {
        b'M' => true,
        b'.' => !go_parse_float_ok(s),
        _ => {
            if parse_timestamp(s) {
                return false;
            }
            let plain: String = s.chars().filter(|c| *c != '_').collect();
            !(go_parse_int_base0(&plain)
                || go_parse_uint_base0(&plain).is_some()
                || (yaml_style_float(&plain) && go_parse_float_ok(&plain)))
        }
    }
}

/// `strconv.ParseUint(s, 0, 64)` (underscores already removed).
fn go_parse_uint_base0(s: &str) -> Option<u64> {
    let b = s.as_bytes();
    if b.is_empty() {
        return None;
    }
    let (base, digits): (u32, &[u8]) = if b[0] == b'0' {
        match b.get(1).map(u8::to_ascii_lowercase) {
            Some(b'b') if b.len() >= 3 => (2, &b[2..]),
            Some(b'o') if b.len() >= 3 => (8, &b[2..]),
            Some(b'x') if b.len() >= 3 => (16, &b[2..]),
            _ => (8, &b[1..]),
        }
    } else {
        (10, b)
    };
    let mut n: u64 = 0;
    for &c in digits {
        let d = (c as char).to_digit(36)?;
        if d >= base {
            return None;
        }
        n = n.checked_mul(base as u64)?.checked_add(d as u64)?;
    }
    Some(n)
}

/// `strconv.ParseInt(s, 0, 64)` succeeds.
fn go_parse_int_base0(s: &str) -> bool {
    let (neg, rest) = match s.as_bytes().first() {
        Some(b'+') => (false, &s[1..]),
        Some(b'-') => (true, &s[1..]),
        _ => (false, s),
    };
    match go_parse_uint_base0(rest) {
        Some(u) if neg => u <= 1u64 << 63,
        Some(u) => u < 1u64 << 63,
        None => false,
    }
}

/// `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`
fn yaml_style_float(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    if matches!(b.first(), Some(b'+' | b'-')) {
        i = 1;
    }
    let digits = |i: &mut usize| {
        let start = *i;
        while *i < b.len() && b[*i].is_ascii_digit() {
            *i += 1;
        }
        *i - start
    };
    if b.get(i) == Some(&b'.') {
        i += 1;
        if digits(&mut i) == 0 {
            return false;
        }
    } else {
        if digits(&mut i) == 0 {
            return false;
        }
        if b.get(i) == Some(&b'.') {
            i += 1;
            digits(&mut i);
        }
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return false;
        }
    }
    i == b.len()
}

/// `strconv.ParseFloat(s, 64)` succeeds, for the decimal forms the resolver hands it (a value
/// beyond the float64 range is Go's `ErrRange`).
fn go_parse_float_ok(s: &str) -> bool {
    yaml_style_float(s) && s.parse::<f64>().is_ok_and(f64::is_finite)
}

/// `isBase60Float`: `^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$`, quoted on output.
fn is_base60_float(s: &str) -> bool {
    let b = s.as_bytes();
    match b.first() {
        Some(c) if *c == b'+' || *c == b'-' || c.is_ascii_digit() => {}
        _ => return false,
    }
    if !s.contains(':') {
        return false;
    }
    let mut i = usize::from(matches!(b[0], b'+' | b'-'));
    if !b.get(i).is_some_and(u8::is_ascii_digit) {
        return false;
    }
    i += 1;
    while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'_') {
        i += 1;
    }
    let mut groups = 0;
    while b.get(i) == Some(&b':') {
        i += 1;
        // [0-5]?[0-9]
        let d1 = b.get(i).copied();
        let d2 = b.get(i + 1).copied();
        match (d1, d2) {
            (Some(b'0'..=b'5'), Some(y)) if y.is_ascii_digit() => i += 2,
            (Some(x), _) if x.is_ascii_digit() => i += 1,
            _ => return false,
        }
        groups += 1;
    }
    if groups == 0 {
        return false;
    }
    if b.get(i) == Some(&b'.') {
        i += 1;
        while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'_') {
            i += 1;
        }
    }
    i == b.len()
}

/// go-yaml's `parseTimestamp`: `YYYY-` then one of `2006-1-2T15:4:5.999999999Z07:00` (`T` or
/// `t`), `2006-1-2 15:4:5.999999999` or `2006-1-2`, as Go's `time.Parse` reads them.
fn parse_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() < 5 || !b[..4].iter().all(u8::is_ascii_digit) || b[4] != b'-' {
        return false;
    }
    let year: i64 = s[..4].parse().unwrap_or(0);
    // 1 or 2 digits (Go's `getnum(value, false)`).
    fn num(b: &[u8], i: &mut usize) -> Option<u32> {
        let d0 = *b.get(*i).filter(|c| c.is_ascii_digit())?;
        *i += 1;
        let mut n = (d0 - b'0') as u32;
        if let Some(d1) = b.get(*i).filter(|c| c.is_ascii_digit()) {
            n = n * 10 + (d1 - b'0') as u32;
            *i += 1;
        }
        Some(n)
    }
    let mut i = 5;
    let Some(month) = num(b, &mut i) else {
        return false;
    };
    if b.get(i) != Some(&b'-') {
        return false;
    }
    i += 1;
    let Some(day) = num(b, &mut i) else {
        return false;
    };
    if !(1..=12).contains(&month) || day < 1 || day > days_in(month, year) {
        return false;
    }
    if i == b.len() {
        return true; // 2006-1-2
    }
    let sep = b[i];
    if !matches!(sep, b'T' | b't' | b' ') {
        return false;
    }
    i += 1;
    let time = |i: &mut usize| -> bool {
        let Some(h) = num(b, i) else { return false };
        if b.get(*i) != Some(&b':') {
            return false;
        }
        *i += 1;
        let Some(m) = num(b, i) else { return false };
        if b.get(*i) != Some(&b':') {
            return false;
        }
        *i += 1;
        let Some(sec) = num(b, i) else { return false };
        if h >= 24 || m >= 60 || sec >= 60 {
            return false;
        }
        // Fractional seconds: `.` or `,` then one to nine digits (`stdFracSecond9` takes at
        // most nine; a tenth is left over and fails the parse).
        if matches!(b.get(*i), Some(b'.' | b',')) && b.get(*i + 1).is_some_and(u8::is_ascii_digit) {
            *i += 1;
            let start = *i;
            while *i - start < 9 && b.get(*i).is_some_and(u8::is_ascii_digit) {
                *i += 1;
            }
        }
        true
    };
    if !time(&mut i) {
        return false;
    }
    if sep == b' ' {
        return i == b.len();
    }
    // Z07:00
    match b.get(i) {
        Some(b'Z') => i + 1 == b.len(),
        Some(b'+' | b'-') => {
            let rest = &b[i..];
            rest.len() == 6
                && rest[1].is_ascii_digit()
                && rest[2].is_ascii_digit()
                && rest[3] == b':'
                && rest[4].is_ascii_digit()
                && rest[5].is_ascii_digit()
                && (rest[1] - b'0') * 10 + (rest[2] - b'0') <= 24
                && (rest[4] - b'0') * 10 + (rest[5] - b'0') <= 60
        }
        _ => false,
    }
}

fn days_in(month: u32, year: i64) -> u32 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Each row: a JSON document and the exact text `JSONToYAML` writes for it, as printed by
    /// go-yaml v2.4.0 (`yaml.Unmarshal` of Go's `json.Marshal` output into `interface{}`, then
    /// `yaml.Marshal`) — the library the `sigs.k8s.io/yaml/goyaml.v2` fork copies.
    #[test]
    fn json_to_yaml_matches_go_yaml() {
        let rows: &[(&str, &str, &str)] = &[
            (
                "keys are sorted",
                r##"{"b": 1, "a": 2}"##,
                "a: 2\nb: 1\n",
            ),
            (
                "numbers as strings are quoted",
                r##"{"numbers": ["48", "0", "-1", "1e3", "0x1F", "017", "08", "1_000", "+1", "1.5", ".5", "1e400", "0b101", "9223372036854775808", "99999999999999999999999"]}"##,
                "numbers:\n- \"48\"\n- \"0\"\n- \"-1\"\n- \"1e3\"\n- \"0x1F\"\n- \"017\"\n- \"08\"\n- \"1_000\"\n- \"+1\"\n- \"1.5\"\n- \".5\"\n- 1e400\n- \"0b101\"\n- \"9223372036854775808\"\n- \"99999999999999999999999\"\n",
            ),
            (
                "booleans and nulls as strings",
                r##"{"words": ["true", "True", "yes", "y", "Y", "n", "no", "on", "off", "null", "Null", "~", "", "<<", ".inf", ".nan", "nul", "yess"]}"##,
                "words:\n- \"true\"\n- \"True\"\n- \"yes\"\n- \"y\"\n- \"Y\"\n- \"n\"\n- \"no\"\n- \"on\"\n- \"off\"\n- \"null\"\n- \"Null\"\n- \"~\"\n- \"\"\n- <<\n- \".inf\"\n- \".nan\"\n- nul\n- yess\n",
            ),
            (
                "timestamps and base-60 floats",
                r##"{"t": "2030-01-01T00:00:00Z", "d": "2030-01-01", "bad": "2030-13-01", "feb30": "2030-02-30", "ts": "2030-1-2 3:04:05.5", "tz": "2030-01-01T00:00:00+01:00", "b60": "1:20", "hms": "12:30:45"}"##,
                "b60: \"1:20\"\nbad: 2030-13-01\nd: \"2030-01-01\"\nfeb30: 2030-02-30\nhms: \"12:30:45\"\nt: \"2030-01-01T00:00:00Z\"\nts: \"2030-1-2 3:04:05.5\"\ntz: \"2030-01-01T00:00:00+01:00\"\n",
            ),
            (
                "numbers",
                r##"{"ints": [0, -7, 9223372036854775807, 18446744073709551615], "floats": [1.5, 2.0, 1000000.0, 123456.0, 0.0001, 1e-05, 1e+21, -2.5e-07, 123456789.0], "b": [true, false], "n": null}"##,
                "b:\n- true\n- false\nfloats:\n- 1.5\n- 2\n- 1e+06\n- 123456\n- 0.0001\n- 1e-05\n- 1e+21\n- -2.5e-07\n- 1.23456789e+08\nints:\n- 0\n- -7\n- 9223372036854775807\n- 18446744073709551615\n\"n\": null\n",
            ),
            (
                "empty collections",
                r##"{"empty": {}, "none": [], "list": [{}, [], {"a": []}]}"##,
                "empty: {}\nlist:\n- {}\n- []\n- a: []\nnone: []\n",
            ),
            (
                "nested lists of maps",
                r##"{"items": [{"name": "a", "usages": ["digital signature", "client auth"]}, {"name": "b"}], "nested": [[1, 2], [[3]]]}"##,
                "items:\n- name: a\n  usages:\n  - digital signature\n  - client auth\n- name: b\nnested:\n- - 1\n  - 2\n- - - 3\n",
            ),
            (
                "multi-line strings",
                r##"{"a": "line1\nline2", "b": "line1\n", "c": "x\n\n", "d": " lead\nx", "e": "\nx", "f": "trailing \nx", "g": "tab\there", "h": "a\n b", "i": "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"}"##,
                "a: |-\n  line1\n  line2\nb: |\n  line1\nc: |+\n  x\n\nd: |2-\n   lead\n  x\ne: |2-\n\n  x\nf: \"trailing \\nx\"\ng: \"tab\\there\"\nh: |-\n  a\n   b\ni: |\n  -----BEGIN CERTIFICATE-----\n  MIIB\n  -----END CERTIFICATE-----\n",
            ),
            (
                "indicators force quotes",
                r##"{"s": ["a: b", "- x", "-x", "#c", "a #c", "a#c", "'q'", "\"d\"", "it's", " lead", "trail ", "x:", "?", "? x", "@at", "`b`", "%p", "---", "...x", "a,b", "[x]", "{x}", "&a", "*a", "!t", "|", ">", "system:masters", "kubernetes.io/kube-apiserver-client", "X509SHA256=abc"]}"##,
                "s:\n- 'a: b'\n- '- x'\n- -x\n- '#c'\n- 'a #c'\n- a#c\n- '''q'''\n- '\"d\"'\n- it's\n- ' lead'\n- 'trail '\n- 'x:'\n- '?'\n- '? x'\n- '@at'\n- '`b`'\n- '%p'\n- '---'\n- '...x'\n- a,b\n- '[x]'\n- '{x}'\n- '&a'\n- '*a'\n- '!t'\n- '|'\n- '>'\n- system:masters\n- kubernetes.io/kube-apiserver-client\n- X509SHA256=abc\n",
            ),
            (
                "unicode and control characters",
                r##"{"u": ["h\u00e9llo", "\u65e5\u672c\u8a9e", "\ud83d\ude00", "\ufeffx", "\u00a0", "nel\u0085x", "ls\u2028x", "\u0000", "\u001b[0m", "a\rb", "<tag>&"]}"##,
                "u:\n- héllo\n- 日本語\n- \"\\U0001F600\"\n- \"\\uFEFF\\x78\"\n- \u{a0}\n- nel x\n- 'ls\u{2028}  x'\n- \"\\0\"\n- \"\\e[0m\"\n- \"a\\rb\"\n- <tag>&\n",
            ),
            (
                "a long message folds at column 80",
                r##"{"message": "certificatesigningrequests.certificates.k8s.io \"a-very-long-name\" is forbidden: User \"system:anonymous\" cannot get resource \"certificatesigningrequests\" in API group \"certificates.k8s.io\" at the cluster scope"}"##,
                "message: 'certificatesigningrequests.certificates.k8s.io \"a-very-long-name\" is forbidden:\n  User \"system:anonymous\" cannot get resource \"certificatesigningrequests\" in API\n  group \"certificates.k8s.io\" at the cluster scope'\n",
            ),
            (
                "long plain strings fold, nested",
                r##"{"reason": "a long plain message that goes on and on past the eightieth column of the line here ok", "k": {"deep": "another long plain message that goes on and on past the eightieth column yes indeed"}, "q": "\"quoted\" and a long double-quoted\tstring that goes on and on past the eightieth column yes"}"##,
                "k:\n  deep: another long plain message that goes on and on past the eightieth column yes\n    indeed\nq: \"\\\"quoted\\\" and a long double-quoted\\tstring that goes on and on past the eightieth\n  column yes\"\nreason: a long plain message that goes on and on past the eightieth column of the\n  line here ok\n",
            ),
            (
                "base64 payloads",
                r##"{"request": "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURSBSRVFVRVNULS0tLS0KTUlJQlZEQ0IrZ0lCQURBWU1SWXdGQVlEVlFRREV3MXRlWFZ6WlhJPQotLS0tLUVORCBDRVJUSUZJQ0FURSBSRVFVRVNULS0tLS0K", "short": "Zm9v", "pad": "YQ==", "plus": "+/8=", "digits": "1234"}"##,
                "digits: \"1234\"\npad: YQ==\nplus: +/8=\nrequest: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURSBSRVFVRVNULS0tLS0KTUlJQlZEQ0IrZ0lCQURBWU1SWXdGQVlEVlFRREV3MXRlWFZ6WlhJPQotLS0tLUVORCBDRVJUSUZJQ0FURSBSRVFVRVNULS0tLS0K\nshort: Zm9v\n",
            ),
            (
                "key order: letters first, digit runs as numbers",
                r##"{"a10": 1, "a9": 2, "a": 3, "B": 4, "_x": 5, "1": 6, "10": 7, "2": 8, "a1": 10, "f:metadata": 11, "k:{\"type\":\"Approved\"}": 12, ".": 13, "f:spec": 14, "apiVersion": 15, "kind": 16}"##,
                ".: 13\n_x: 5\n\"1\": 6\n\"2\": 8\n\"10\": 7\nB: 4\na: 3\na1: 10\na9: 2\na10: 1\napiVersion: 15\nf:metadata: 11\nf:spec: 14\nk:{\"type\":\"Approved\"}: 12\nkind: 16\n",
            ),
            (
                "odd keys",
                r##"{"": "empty key", "multi\nline": 1, "x": "", "y": "v", "kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk": "long key"}"##,
                "\"\": empty key\n? kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk\n: long key\n? |-\n  multi\n  line\n: 1\nx: \"\"\n\"y\": v\n",
            ),

        ];
        for (name, json, want) in rows {
            let v: Value = serde_json::from_str(json).expect(name);
            assert_eq!(to_yaml(&v), *want, "{name}");
        }
    }

    /// Characters go-yaml's reader refuses make `JSONToYAML` fail (checked with go-yaml
    /// v2.4.0: U+007F, U+0080, U+009F, U+FFFE, U+FFFF, in keys and values alike).
    #[test]
    fn unreadable_characters_are_an_error() {
        for bad in ["a\u{7f}b", "\u{80}", "\u{9f}", "\u{fffe}", "\u{ffff}"] {
            assert_eq!(
                json_to_yaml(&json!({"k": [bad]})),
                Err(CONTROL_CHARACTERS),
                "{bad:?}"
            );
            assert_eq!(json_to_yaml(&json!({bad: 1})), Err(CONTROL_CHARACTERS));
        }
        assert_eq!(
            json_to_yaml(&json!({"k": "\u{85}\u{a0}\u{fffd}"})).unwrap(),
            "k: ' \u{a0}\u{fffd}'\n"
        );
        // A key of 1023 JSON characters or more (checked with go-yaml v2.4.0: 1022 `k`s are a
        // complex key, 1023 fail; 200 `<`s are 1200 characters as `\u003c`).
        let long = |k: String| json!({"a": 1, "b": {"c": [{k: 1}]}});
        assert!(json_to_yaml(&long("k".repeat(1022))).is_ok());
        assert_eq!(json_to_yaml(&long("k".repeat(1023))), Err(KEY_TOO_LONG));
        assert_eq!(json_to_yaml(&long("<".repeat(200))), Err(KEY_TOO_LONG));
        assert!(json_to_yaml(&json!({"k": "v".repeat(5000)})).is_ok());
    }

    #[test]
    fn scalars_at_the_root() {
        assert_eq!(to_yaml(&json!(null)), "null\n");
        assert_eq!(to_yaml(&json!("x")), "x\n");
        assert_eq!(to_yaml(&json!([])), "[]\n");
        assert_eq!(to_yaml(&json!({})), "{}\n");
        assert_eq!(to_yaml(&json!(["a"])), "- a\n");
    }

    #[test]
    fn go_float_formatting() {
        for (f, want) in [
            (1.0, "1"),
            (0.1, "0.1"),
            (100000.0, "100000"),
            (999999.0, "999999"),
            (1e6, "1e+06"),
            (1.5e100, "1.5e+100"),
            (5e-324, "5e-324"),
            (-0.5, "-0.5"),
            (123.456, "123.456"),
        ] {
            assert_eq!(go_format_float_g(f), want, "{f}");
        }
    }
}
