//! Label and field selectors (`k8s.io/apimachinery/pkg/labels`, `.../fields`).

use crate::api::Status;
use std::collections::BTreeMap;

#[derive(Clone, Debug, PartialEq, Eq)]
enum Op {
    Eq,
    NotEq,
    In(Vec<String>),
    NotIn(Vec<String>),
    Exists,
    DoesNotExist,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Requirement {
    key: String,
    op: Op,
    value: String,
}

/// A parsed label selector; the empty selector matches everything.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LabelSelector {
    reqs: Vec<Requirement>,
}

/// Split on commas that are not inside parentheses.
fn split_top(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut depth = 0i32;
    let mut cur = String::new();
    for c in s.chars() {
        match c {
            '(' => {
                depth += 1;
                cur.push(c)
            }
            ')' => {
                depth -= 1;
                cur.push(c)
            }
            ',' if depth == 0 => out.push(std::mem::take(&mut cur)),
            c => cur.push(c),
        }
    }
    out.push(cur);
    out
}

fn bad(msg: String) -> Status {
    Status::bad_request(msg)
}

impl LabelSelector {
    pub fn parse(s: &str) -> Result<LabelSelector, Status> {
        let s = s.trim();
        let mut reqs = Vec::new();
        if s.is_empty() {
            return Ok(LabelSelector { reqs });
        }
        for term in split_top(s) {
            let t = term.trim();
            if t.is_empty() {
                return Err(bad(format!(
                    "unable to parse requirement: found '', expected: identifier in {s:?}"
                )));
            }
            let req = if let Some(k) = t.strip_prefix('!') {
                Requirement {
                    key: k.trim().into(),
                    op: Op::DoesNotExist,
                    value: String::new(),
                }
            } else if let Some((k, v)) = t.split_once("!=") {
                Requirement {
                    key: k.trim().into(),
                    op: Op::NotEq,
                    value: v.trim().into(),
                }
            } else if let Some((k, v)) = t.split_once("==") {
                Requirement {
                    key: k.trim().into(),
                    op: Op::Eq,
                    value: v.trim().into(),
                }
            } else if let Some((k, v)) = t.split_once('=') {
                Requirement {
                    key: k.trim().into(),
                    op: Op::Eq,
                    value: v.trim().into(),
                }
            } else if let Some((k, rest)) = split_set(t, " notin ") {
                Requirement {
                    key: k,
                    op: Op::NotIn(parse_set(&rest, s)?),
                    value: String::new(),
                }
            } else if let Some((k, rest)) = split_set(t, " in ") {
                Requirement {
                    key: k,
                    op: Op::In(parse_set(&rest, s)?),
                    value: String::new(),
                }
            } else {
                Requirement {
                    key: t.into(),
                    op: Op::Exists,
                    value: String::new(),
                }
            };
            if req.key.is_empty() || req.key.contains(char::is_whitespace) {
                return Err(bad(format!(
                    "unable to parse requirement: invalid label key {:?}",
                    req.key
                )));
            }
            reqs.push(req);
        }
        Ok(LabelSelector { reqs })
    }

    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        self.reqs.iter().all(|r| {
            let v = labels.get(&r.key);
            match &r.op {
                Op::Eq => v == Some(&r.value),
                Op::NotEq => v != Some(&r.value),
                Op::In(set) => v.is_some_and(|v| set.contains(v)),
                Op::NotIn(set) => !v.is_some_and(|v| set.contains(v)),
                Op::Exists => v.is_some(),
                Op::DoesNotExist => v.is_none(),
            }
        })
    }

    pub fn is_empty(&self) -> bool {
        self.reqs.is_empty()
    }
}

fn split_set(t: &str, kw: &str) -> Option<(String, String)> {
    let i = t.find(kw)?;
    Some((
        t[..i].trim().to_string(),
        t[i + kw.len()..].trim().to_string(),
    ))
}

fn parse_set(rest: &str, whole: &str) -> Result<Vec<String>, Status> {
    let inner = rest
        .strip_prefix('(')
        .and_then(|r| r.strip_suffix(')'))
        .ok_or_else(|| {
            bad(format!(
                "unable to parse requirement: found '{rest}', expected: '(' in {whole:?}"
            ))
        })?;
    Ok(inner
        .split(',')
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
        .collect())
}

/// A parsed field selector: a conjunction of `key=value` / `key==value` / `key!=value`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FieldSelector {
    terms: Vec<(String, bool, String)>,
}

impl FieldSelector {
    /// Parse and check every key against `supported` (for CSRs: `metadata.name`,
    /// `spec.signerName`); others → 400 `field label not supported: <label>`.
    pub fn parse(s: &str, supported: &[&str]) -> Result<FieldSelector, Status> {
        let mut terms = Vec::new();
        for t in s.split(',') {
            let t = t.trim();
            if t.is_empty() {
                continue;
            }
            let (k, eq, v) = if let Some((k, v)) = t.split_once("!=") {
                (k, false, v)
            } else if let Some((k, v)) = t.split_once("==") {
                (k, true, v)
            } else if let Some((k, v)) = t.split_once('=') {
                (k, true, v)
            } else {
                return Err(bad(format!(
                    "invalid selector: '{s}'; can't understand '{t}'"
                )));
            };
            let k = k.trim();
            if !supported.contains(&k) {
                return Err(bad(format!("field label not supported: {k}")));
            }
            terms.push((k.to_string(), eq, v.trim().to_string()));
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
}

#[cfg(test)]
mod tests {
    use super::*;

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
