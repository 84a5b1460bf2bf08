//! Label and field selectors (`k8s.io/apimachinery/pkg/labels`, `.../fields`).

use crate::api::resources::ResourceInfo;
use crate::api::Status;
use crate::validation::FieldError;
use std::collections::{BTreeMap, BTreeSet};

#[derive(Clone, Debug, PartialEq, Eq)]
enum Op {
    /// `=` and `==`
    Eq,
    NotEq,
    In,
    NotIn,
    Exists,
    DoesNotExist,
    Gt,
    Lt,
}

/// One requirement: its values are a sorted set (`sets.String.List()`), as the parser
/// hands them to `NewRequirement`.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Requirement {
    key: String,
    op: Op,
    values: Vec<String>,
}

/// A parsed label selector; the empty selector matches everything.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LabelSelector {
    reqs: Vec<Requirement>,
}

fn bad(msg: String) -> Status {
    Status::bad_request(msg)
}

/// The lexer's tokens (`labels.Token`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Tok {
    Error,
    EndOfString,
    ClosedPar,
    Comma,
    DoesNotExist,
    DoubleEquals,
    Equals,
    GreaterThan,
    Identifier,
    In,
    LessThan,
    NotEquals,
    NotIn,
    OpenPar,
}

/// `string2token`.
fn keyword(s: &[u8]) -> Option<Tok> {
    Some(match s {
        b")" => Tok::ClosedPar,
        b"," => Tok::Comma,
        b"!" => Tok::DoesNotExist,
        b"==" => Tok::DoubleEquals,
        b"=" => Tok::Equals,
        b">" => Tok::GreaterThan,
        b"in" => Tok::In,
        b"<" => Tok::LessThan,
        b"!=" => Tok::NotEquals,
        b"notin" => Tok::NotIn,
        b"(" => Tok::OpenPar,
        _ => return None,
    })
}

fn is_whitespace(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\r' | b'\n')
}

fn is_special_symbol(c: u8) -> bool {
    matches!(c, b'=' | b'!' | b'(' | b')' | b',' | b'>' | b'<')
}

/// `labels.Lexer`: bytes, a NUL read as the end of the string.
struct Lexer<'a> {
    s: &'a [u8],
    pos: usize,
}

impl Lexer<'_> {
    fn read(&mut self) -> u8 {
        match self.s.get(self.pos) {
            Some(&b) => {
                self.pos += 1;
                b
            }
            None => 0,
        }
    }

    fn lex(&mut self) -> (Tok, String) {
        let mut c = self.read();
        while is_whitespace(c) {
            c = self.read();
        }
        if c == 0 {
            return (Tok::EndOfString, String::new());
        }
        self.pos -= 1;
        if is_special_symbol(c) {
            self.scan_special_symbol()
        } else {
            self.scan_id_or_keyword()
        }
    }

    fn scan_id_or_keyword(&mut self) -> (Tok, String) {
        let mut buf = Vec::new();
        loop {
            match self.read() {
                0 => break,
                c if is_special_symbol(c) || is_whitespace(c) => {
                    self.pos -= 1;
                    break;
                }
                c => buf.push(c),
            }
        }
        let lit = String::from_utf8_lossy(&buf).into_owned();
        (keyword(&buf).unwrap_or(Tok::Identifier), lit)
    }

    /// The longest operator: symbols are added while the buffer is still a token.
    fn scan_special_symbol(&mut self) -> (Tok, String) {
        let mut buf = Vec::new();
        let mut last: Option<(Tok, usize)> = None;
        loop {
            let c = self.read();
            if c == 0 {
                break;
            }
            if !is_special_symbol(c) {
                self.pos -= 1;
                break;
            }
            buf.push(c);
            match keyword(&buf) {
                Some(t) => last = Some((t, buf.len())),
                None if last.is_some() => {
                    self.pos -= 1;
                    break;
                }
                None => {}
            }
        }
        match last {
            Some((t, n)) => (t, String::from_utf8_lossy(&buf[..n]).into_owned()),
            None => (
                Tok::Error,
                format!(
                    "error expected: keyword found '{}'",
                    String::from_utf8_lossy(&buf)
                ),
            ),
        }
    }
}

/// `labels.Parser` over the scanned items.
struct Parser {
    items: Vec<(Tok, String)>,
    pos: usize,
}

impl Parser {
    /// In the `Values` context `in` and `notin` are identifiers.
    fn values_ctx(t: Tok) -> Tok {
        match t {
            Tok::In | Tok::NotIn => Tok::Identifier,
            t => t,
        }
    }
    fn lookahead(&self) -> (Tok, String) {
        let (t, l) = &self.items[self.pos];
        (Self::values_ctx(*t), l.clone())
    }
    fn consume_raw(&mut self) -> (Tok, String) {
        self.pos += 1;
        self.items[self.pos - 1].clone()
    }
    fn consume(&mut self) -> (Tok, String) {
        let (t, l) = self.consume_raw();
        (Self::values_ctx(t), l)
    }

    fn parse(&mut self) -> Result<Vec<Requirement>, String> {
        let mut reqs = Vec::new();
        loop {
            let (tok, lit) = self.lookahead();
            match tok {
                Tok::Identifier | Tok::DoesNotExist => {
                    let r = self
                        .parse_requirement()
                        .map_err(|e| format!("unable to parse requirement: {e}"))?;
                    reqs.push(r);
                    let (t, l) = self.consume();
                    match t {
                        Tok::EndOfString => return Ok(reqs),
                        Tok::Comma => {
                            let (t2, l2) = self.lookahead();
                            if t2 != Tok::Identifier && t2 != Tok::DoesNotExist {
                                return Err(format!(
                                    "found '{l2}', expected: identifier after ','"
                                ));
                            }
                        }
                        _ => return Err(format!("found '{l}', expected: ',' or 'end of string'")),
                    }
                }
                Tok::EndOfString => return Ok(reqs),
                _ => {
                    return Err(format!(
                        "found '{lit}', expected: !, identifier, or 'end of string'"
                    ))
                }
            }
        }
    }

    fn parse_requirement(&mut self) -> Result<Requirement, String> {
        let (key, op) = self.parse_key_and_infer_operator()?;
        if let Some(op @ (Op::Exists | Op::DoesNotExist)) = op {
            return new_requirement(key, op, Vec::new());
        }
        let op = self.parse_operator()?;
        let values = match op {
            Op::In | Op::NotIn => self.parse_values()?,
            _ => self.parse_exact_value()?,
        };
        new_requirement(key, op, values.into_iter().collect())
    }

    fn parse_key_and_infer_operator(&mut self) -> Result<(String, Option<Op>), String> {
        let mut op = None;
        let (mut tok, mut lit) = self.consume();
        if tok == Tok::DoesNotExist {
            op = Some(Op::DoesNotExist);
            (tok, lit) = self.consume();
        }
        if tok != Tok::Identifier {
            return Err(format!("found '{lit}', expected: identifier"));
        }
        // `validateLabelKey` with the parser's nil path.
        let errs = crate::validation::names::qualified_name(&lit);
        if !errs.is_empty() {
            return Err(FieldError::invalid("<nil>", &lit, errs.join("; ")).to_string());
        }
        let (t, _) = self.lookahead();
        if (t == Tok::EndOfString || t == Tok::Comma) && op.is_none() {
            op = Some(Op::Exists);
        }
        Ok((lit, op))
    }

    fn parse_operator(&mut self) -> Result<Op, String> {
        let (tok, lit) = self.consume_raw();
        Ok(match tok {
            Tok::In => Op::In,
            Tok::Equals | Tok::DoubleEquals => Op::Eq,
            Tok::GreaterThan => Op::Gt,
            Tok::LessThan => Op::Lt,
            Tok::NotIn => Op::NotIn,
            Tok::NotEquals => Op::NotEq,
            _ => {
                return Err(format!(
                    "found '{lit}', expected: in, notin, =, ==, !=, gt, lt"
                ))
            }
        })
    }

    fn parse_values(&mut self) -> Result<BTreeSet<String>, String> {
        let (tok, lit) = self.consume();
        if tok != Tok::OpenPar {
            return Err(format!("found '{lit}' expected: '('"));
        }
        let (tok, lit) = self.lookahead();
        match tok {
            Tok::Identifier | Tok::Comma => {
                let s = self.parse_identifiers_list()?;
                if self.consume().0 != Tok::ClosedPar {
                    return Err(format!("found '{lit}', expected: ')'"));
                }
                Ok(s)
            }
            Tok::ClosedPar => {
                self.consume();
                Ok(BTreeSet::from([String::new()]))
            }
            _ => Err(format!("found '{lit}', expected: ',', ')' or identifier")),
        }
    }

    fn parse_identifiers_list(&mut self) -> Result<BTreeSet<String>, String> {
        let mut s = BTreeSet::new();
        loop {
            let (tok, lit) = self.consume();
            match tok {
                Tok::Identifier => {
                    s.insert(lit);
                    let (t2, l2) = self.lookahead();
                    match t2 {
                        Tok::Comma => continue,
                        Tok::ClosedPar => return Ok(s),
                        _ => return Err(format!("found '{l2}', expected: ',' or ')'")),
                    }
                }
                Tok::Comma => {
                    if s.is_empty() {
                        s.insert(String::new());
                    }
                    let (t2, _) = self.lookahead();
                    if t2 == Tok::ClosedPar {
                        s.insert(String::new());
                        return Ok(s);
                    }
                    if t2 == Tok::Comma {
                        s.insert(String::new());
                    }
                }
                _ => return Err(format!("found '{lit}', expected: ',', or identifier")),
            }
        }
    }

    fn parse_exact_value(&mut self) -> Result<BTreeSet<String>, String> {
        let (tok, _) = self.lookahead();
        if tok == Tok::EndOfString || tok == Tok::Comma {
            return Ok(BTreeSet::from([String::new()]));
        }
        let (tok, lit) = self.consume();
        if tok == Tok::Identifier {
            return Ok(BTreeSet::from([lit]));
        }
        Err(format!("found '{lit}', expected: identifier"))
    }
}

/// `NewRequirement` as the parser calls it (a nil path): the Gt/Lt values must be integers,
/// every value a label value (`values[i][key]`); the errors aggregated.
fn new_requirement(key: String, op: Op, values: Vec<String>) -> Result<Requirement, String> {
    let mut errs: Vec<String> = Vec::new();
    if matches!(op, Op::Gt | Op::Lt) {
        for (i, v) in values.iter().enumerate() {
            if v.parse::<i64>().is_err() {
                errs.push(
                    FieldError::invalid(
                        format!("values[{i}]"),
                        v,
                        "for 'Gt', 'Lt' operators, the value must be an integer",
                    )
                    .to_string(),
                );
            }
        }
    }
    for (i, v) in values.iter().enumerate() {
        let msgs = crate::validation::meta::label_value(v);
        if !msgs.is_empty() {
            errs.push(
                FieldError::invalid(format!("values[{i}][{key}]"), v, msgs.join("; ")).to_string(),
            );
        }
    }
    errs.dedup();
    match errs.len() {
        0 => Ok(Requirement { key, op, values }),
        1 => Err(errs.remove(0)),
        _ => Err(format!("[{}]", errs.join(", "))),
    }
}

impl LabelSelector {
    /// `labels.Parse`: the lexer and the recursive-descent parser of apimachinery, with
    /// their error texts (a 400 with the error as its message).
    pub fn parse(s: &str) -> Result<LabelSelector, Status> {
        let mut lexer = Lexer {
            s: s.as_bytes(),
            pos: 0,
        };
        let mut items = Vec::new();
        loop {
            let (t, l) = lexer.lex();
            items.push((t, l));
            if t == Tok::EndOfString {
                break;
            }
        }
        let reqs = Parser { items, pos: 0 }.parse().map_err(bad)?;
        Ok(LabelSelector { reqs })
    }

    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        self.reqs.iter().all(|r| {
            let v = labels.get(&r.key);
            let has = |v: &String| r.values.contains(v);
            match &r.op {
                Op::Eq | Op::In => v.is_some_and(has),
                Op::NotEq | Op::NotIn => !v.is_some_and(has),
                Op::Exists => v.is_some(),
                Op::DoesNotExist => v.is_none(),
                Op::Gt | Op::Lt => {
                    let (Some(l), [want]) = (v.and_then(|v| v.parse::<i64>().ok()), &r.values[..])
                    else {
                        return false;
                    };
                    let Ok(want) = want.parse::<i64>() else {
                        return false;
                    };
                    if r.op == Op::Gt {
                        l > want
                    } else {
                        l < want
                    }
                }
            }
        })
    }

    pub fn is_empty(&self) -> bool {
        self.reqs.is_empty()
    }
}

/// A parsed field selector: a conjunction of `key=value` / `key==value` / `key!=value`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FieldSelector {
    terms: Vec<(String, bool, String)>,
}

impl FieldSelector {
    /// `fields.ParseSelector` (terms split at unescaped commas and sorted, each split at its
    /// first operator, the value unescaped), then the field-label conversion in sorted order:
    /// a key not in `supported` (for CSRs: `metadata.name`, `spec.signerName`) is a 400
    /// `field label not supported: <label>`. Nothing is trimmed.
    pub fn parse(s: &str, supported: &[&str]) -> Result<FieldSelector, Status> {
        Self::parse_with(s, |k| {
            if supported.contains(&k) {
                Ok(())
            } else {
                Err(format!("field label not supported: {k}"))
            }
        })
    }

    /// `fields.ParseSelector` alone (what decoding `ListOptions` does): its 400s, no
    /// field-label conversion.
    pub fn parse_syntax(s: &str) -> Result<FieldSelector, Status> {
        Self::parse_with(s, |_| Ok(()))
    }

    /// `fields.ParseSelector`, then the kind's field-label conversion `convert` on each key
    /// in sorted order: its error is the 400's message.
    pub fn parse_with(
        s: &str,
        convert: impl Fn(&str) -> Result<(), String>,
    ) -> Result<FieldSelector, Status> {
        let mut parts = split_terms(s);
        parts.sort();
        let mut terms = Vec::new();
        for part in parts.iter().filter(|p| !p.is_empty()) {
            let Some((k, op, v)) = split_term(part) else {
                return Err(bad(format!(
                    "invalid selector: '{s}'; can't understand '{part}'"
                )));
            };
            let v = unescape_value(v).map_err(bad)?;
            terms.push((k.to_string(), op != "!=", v));
        }
        for (k, _, _) in &terms {
            convert(k).map_err(bad)?;
        }
        Ok(FieldSelector { terms })
    }

    /// `get(field)` returns the object's value of a supported field.
    pub fn matches(&self, get: impl Fn(&str) -> String) -> bool {
        self.terms.iter().all(|(k, eq, v)| (get(k) == *v) == *eq)
    }

    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    /// `RequiresExactMatch(field)`: the value of the first (sorted) `field=`/`field==` term.
    pub fn requires_exact_match(&self, field: &str) -> Option<&str> {
        self.terms
            .iter()
            .find(|(k, eq, _)| *eq && k == field)
            .map(|(_, _, v)| v.as_str())
    }
}

/// The kind's field-label conversion (`Scheme.ConvertFieldLabel`): the labels of the
/// function the kind registers (`AddFieldLabelConversionFunc` in its API group's
/// `conversion.go`; a label outside them is `field label not supported: <label>`), or
/// `runtime.DefaultMetaV1FieldSelectorConversion` for a kind without one: `metadata.name`
/// and `metadata.namespace` (cluster-scoped kinds too), else `"<label>" is not a known field
/// selector: only "metadata.name", "metadata.namespace"`. Jobs, ReplicaSets and the like
/// register more labels upstream; only the core kinds below are modelled.
pub fn convert_field_label(info: &ResourceInfo, label: &str) -> Result<(), String> {
    const NAME: &str = "metadata.name";
    const NS: &str = "metadata.namespace";
    let registered: Option<&[&str]> = match (info.group, info.resource) {
        ("certificates.k8s.io", "certificatesigningrequests") => Some(&[NAME, "spec.signerName"]),
        ("", "secrets") => Some(&[NAME, NS, "type"]),
        ("", "namespaces") => Some(&[NAME, "status.phase"]),
        ("", "pods") => Some(&[
            NAME,
            NS,
            "spec.nodeName",
            "spec.restartPolicy",
            "spec.schedulerName",
            "spec.serviceAccountName",
            "spec.hostNetwork",
            "status.phase",
            "status.podIP",
            "status.podIPs",
            "status.nominatedNodeName",
            // Old v1 clients' name of spec.nodeName.
            "spec.host",
        ]),
        ("", "events") => Some(&[
            NAME,
            NS,
            "involvedObject.kind",
            "involvedObject.namespace",
            "involvedObject.name",
            "involvedObject.uid",
            "involvedObject.apiVersion",
            "involvedObject.resourceVersion",
            "involvedObject.fieldPath",
            "reason",
            "reportingComponent",
            "source",
            "type",
        ]),
        ("", "services") => Some(&[NAME, NS, "spec.clusterIP", "spec.type"]),
        ("", "replicationcontrollers") => Some(&[NAME, NS, "status.replicas"]),
        _ => None,
    };
    match registered {
        Some(labels) if labels.contains(&label) => Ok(()),
        Some(_) => Err(format!("field label not supported: {label}")),
        None if label == NAME || label == NS => Ok(()),
        None => Err(format!(
            "{} is not a known field selector: only \"{NAME}\", \"{NS}\"",
            crate::validation::field::quote(label)
        )),
    }
}

/// What `RequestInfoFactory` takes as the name of a list or watch: the value of the
/// selector's `metadata.name=` (or `==`) term (`RequiresExactMatch`, the first in sorted
/// order), when the selector parses and the value is a valid path segment name
/// (`IsValidPathSegmentName`: not `.` or `..`, no `/` or `%`).
pub fn exact_match_name(selector: &str) -> Option<String> {
    let mut parts = split_terms(selector);
    parts.sort();
    let mut found = None;
    for part in parts.iter().filter(|p| !p.is_empty()) {
        let (k, op, v) = split_term(part)?;
        let v = unescape_value(v).ok()?;
        if found.is_none() && k == "metadata.name" && op != "!=" {
            found = Some(v);
        }
    }
    found.filter(|n| n != "." && n != ".." && !n.contains(['/', '%']))
}

/// `splitTerms`: split at commas not escaped by a backslash.
fn split_terms(s: &str) -> Vec<&str> {
    if s.is_empty() {
        return Vec::new();
    }
    let mut terms = Vec::new();
    let mut start = 0;
    let mut in_slash = false;
    for (i, c) in s.char_indices() {
        if in_slash {
            in_slash = false;
        } else if c == '\\' {
            in_slash = true;
        } else if c == ',' {
            terms.push(&s[start..i]);
            start = i + 1;
        }
    }
    terms.push(&s[start..]);
    terms
}

/// `splitTerm`: at the first position where `!=`, `==` or `=` starts (in that order).
fn split_term(term: &str) -> Option<(&str, &'static str, &str)> {
    for (i, _) in term.char_indices() {
        for op in ["!=", "==", "="] {
            if term[i..].starts_with(op) {
                return Some((&term[..i], op, &term[i + op.len()..]));
            }
        }
    }
    None
}

/// `UnescapeValue`: `\\`, `\,` and `\=` are the escapes; a bare `,` or `=`, another escape
/// or a trailing backslash is an error (the bare rune printed as its number, `%v`).
fn unescape_value(s: &str) -> Result<String, String> {
    if !s.contains(['\\', ',', '=']) {
        return Ok(s.to_string());
    }
    let mut out = String::with_capacity(s.len());
    let mut in_slash = false;
    for c in s.chars() {
        if in_slash {
            match c {
                '\\' | ',' | '=' => out.push(c),
                _ => {
                    return Err(format!(
                        "invalid field selector: invalid escape sequence: \\{c}"
                    ))
                }
            }
            in_slash = false;
            continue;
        }
        match c {
            '\\' => in_slash = true,
            ',' | '=' => {
                return Err(format!(
                    "invalid field selector: unescaped character in value: {}",
                    c as u32
                ))
            }
            c => out.push(c),
        }
    }
    if in_slash {
        return Err("invalid field selector: invalid escape sequence: \\".into());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_match_name_as_request_info_reads_it() {
        for (sel, want) in [
            ("metadata.name=a", Some("a")),
            ("metadata.name==a", Some("a")),
            ("spec.signerName=x,metadata.name=a", Some("a")),
            ("metadata.name!=a", None),
            ("metadata.name=a\\,b", Some("a,b")),
            ("metadata.name=a/b", None),
            ("metadata.name=..", None),
            ("metadata.name=", Some("")),
            ("garbage", None),
            ("", None),
        ] {
            assert_eq!(exact_match_name(sel).as_deref(), want, "{sel}");
        }
    }

    fn labels(kv: &[(&str, &str)]) -> BTreeMap<String, String> {
        kv.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn label_selectors() {
        let l = labels(&[("app", "web"), ("tier", "front")]);
        for (sel, want) in [
            ("", true),
            ("app=web", true),
            ("app==web", true),
            ("app!=web", false),
            ("app in (web, db)", true),
            ("app notin (web)", false),
            ("tier", true),
            ("!tier", false),
            ("missing!=x", true),
            ("app=web,tier=back", false),
        ] {
            assert_eq!(
                LabelSelector::parse(sel).unwrap().matches(&l),
                want,
                "{sel}"
            );
        }
    }

    /// `labels.Parse` accepts what upstream's parser accepts (TestSelectorParse's valid
    /// cases) and matches as `Requirement.Matches`, `gt`/`lt` included.
    #[test]
    fn label_selector_syntax_and_matching() {
        let l = labels(&[("x", "foo"), ("n", "5"), ("in", "in"), ("e", "")]);
        for (sel, want) in [
            ("x in (foo,,baz),y,z notin ()", false),
            ("x in (foo,,baz),n,z notin ()", true),
            ("x notin (bar) , n", true),
            ("x in (,foo)", true),
            ("e in ()", true),
            ("e=", true),
            ("e==,x==foo", true),
            ("!y", true),
            ("!x", false),
            ("in in (in)", true),
            ("n>4", true),
            ("n>5", false),
            ("n<6", true),
            ("x>1", false),
            ("missing<1", false),
            ("  x = foo  ", true),
            ("x\t!=\tfoo", false),
            ("", true),
            (" ", true),
        ] {
            assert_eq!(
                LabelSelector::parse(sel).unwrap().matches(&l),
                want,
                "{sel:?}"
            );
        }
    }

    /// Errors with upstream's texts (the lexer/parser of `labels/selector.go` and
    /// `NewRequirement` with the parser's nil field path).
    #[test]
    fn label_selector_errors_as_upstream() {
        let name_part = "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
        let value = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";
        let cases: Vec<(&str, String)> = vec![
            ("a===b", "unable to parse requirement: found '=', expected: identifier".into()),
            ("a in (b", "unable to parse requirement: found '', expected: ',' or ')'".into()),
            ("a in b", "unable to parse requirement: found 'b' expected: '('".into()),
            ("a in (b c)", "unable to parse requirement: found 'c', expected: ',' or ')'".into()),
            ("a in (=)", "unable to parse requirement: found '=', expected: ',', ')' or identifier".into()),
            ("a in (,=)", "unable to parse requirement: found '=', expected: ',', or identifier".into()),
            ("a b", "unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt".into()),
            ("a=b c", "found 'c', expected: ',' or 'end of string'".into()),
            ("!a=b", "found '=', expected: ',' or 'end of string'".into()),
            ("a=b,", "found '', expected: identifier after ','".into()),
            ("a,,b", "found ',', expected: identifier after ','".into()),
            ("=a", "found '=', expected: !, identifier, or 'end of string'".into()),
            ("!", "unable to parse requirement: found '', expected: identifier".into()),
            ("A_$", format!("unable to parse requirement: <nil>: Invalid value: \"A_$\": {name_part}")),
            ("a=-x", format!("unable to parse requirement: values[0][a]: Invalid value: \"-x\": {value}")),
            ("n>a", "unable to parse requirement: values[0]: Invalid value: \"a\": for 'Gt', 'Lt' operators, the value must be an integer".into()),
        ];
        for (sel, want) in cases {
            let e = LabelSelector::parse(sel).unwrap_err();
            assert_eq!(
                (e.code, e.message.as_str()),
                (400, want.as_str()),
                "{sel:?}"
            );
        }
    }

    /// apimachinery's TestSelectorParse lists, labels and fields.
    #[test]
    fn upstream_selector_parse_cases() {
        for good in [
            "x=a,y=b,z=c",
            "",
            "x!=a,y=b",
            "x=",
            "x= ",
            "x=,z= ",
            "x= ,z= ",
            "!x",
            "x>1",
            "x>1,z<5",
        ] {
            assert!(LabelSelector::parse(good).is_ok(), "{good:?}");
        }
        for bad in ["x=a||y=b", "x==a==b", "!x=a", "x<a"] {
            assert!(LabelSelector::parse(bad).is_err(), "{bad:?}");
        }
        let any = ["x", "y", "z"];
        for good in ["x=a,y=b,z=c", "", "x!=a,y=b", r"x=a||y\=b", r"x=a\=\=b"] {
            assert!(FieldSelector::parse(good, &any).is_ok(), "{good:?}");
        }
        for bad in [
            "x=a||y=b",
            "x==a==b",
            "x=a,b",
            "x in (a)",
            "x in (a,b,c)",
            "x",
        ] {
            assert!(FieldSelector::parse(bad, &any).is_err(), "{bad:?}");
        }
    }

    /// `fields.ParseSelector` then the field-label conversion: sorted terms, escapes, no
    /// trimming.
    #[test]
    fn field_selectors_as_upstream() {
        let sup = ["metadata.name", "spec.signerName"];
        for (sel, want) in [
            (
                "spec.signerName===x",
                "invalid field selector: unescaped character in value: 61",
            ),
            (
                "metadata.name=a\\",
                "invalid field selector: invalid escape sequence: \\",
            ),
            (
                "metadata.name=a\\b",
                "invalid field selector: invalid escape sequence: \\b",
            ),
            ("x", "invalid selector: 'x'; can't understand 'x'"),
            ("z=1,b=2", "field label not supported: b"),
            (
                "metadata.name =a",
                "field label not supported: metadata.name ",
            ),
        ] {
            let e = FieldSelector::parse(sel, &sup).unwrap_err();
            assert_eq!((e.code, e.message.as_str()), (400, want), "{sel:?}");
        }
        let f = FieldSelector::parse("metadata.name=a\\,b\\=c,,", &sup).unwrap();
        assert!(f.matches(|_| "a,b=c".into()));
        let f = FieldSelector::parse("metadata.name= a", &sup).unwrap();
        assert!(f.matches(|_| " a".into()));
        assert!(!f.matches(|_| "a".into()));
    }

    #[test]
    fn field_selector_rejects_unknown_labels() {
        let e = FieldSelector::parse("status.phase=x", &["metadata.name", "spec.signerName"])
            .unwrap_err();
        assert_eq!(e.code, 400);
        assert_eq!(e.message, "field label not supported: status.phase");
        let f = FieldSelector::parse("metadata.name=a", &["metadata.name"]).unwrap();
        assert!(f.matches(|_| "a".into()));
        assert!(!f.matches(|_| "b".into()));
        let f = FieldSelector::parse("metadata.name!=a", &["metadata.name"]).unwrap();
        assert!(f.matches(|_| "b".into()));
    }
}
