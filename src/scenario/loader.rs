//! Reading scenario files: YAML → [`Scenario`], with errors a person can act on.
//!
//! Every problem is reported as `file:line:col: message`, followed by the source line with a
//! caret and a hint, and makes `csrsim run` exit with code 2. Nothing here panics on any input.

use super::schema::{RequestSource, Scenario, Step};
use serde_saphyr::Location;
use std::fmt;
use std::path::{Path, PathBuf};

/// One scenario ready to run.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub file: PathBuf,
    /// Index of the YAML document in the file (0 for single-document files).
    pub doc: usize,
    pub scenario: Scenario,
    /// The scenario file's folder: `file:` paths of requests and certificates are relative
    /// to it.
    pub base_dir: PathBuf,
}

impl Loaded {
    /// `file` or `file#2` for the third document of a multi-document file.
    pub fn id(&self) -> String {
        if self.doc == 0 {
            self.file.display().to_string()
        } else {
            format!("{}#{}", self.file.display(), self.doc)
        }
    }
}

/// A load error: where, what, and what to do about it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LoadError {
    pub file: String,
    pub line: u64,
    pub col: u64,
    pub message: String,
    pub snippet: String,
    pub hint: String,
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{}:{}:{}: {}",
            self.file, self.line, self.col, self.message
        )?;
        if !self.snippet.is_empty() {
            writeln!(f, "{}", self.snippet)?;
        }
        if !self.hint.is_empty() {
            writeln!(f, "  hint: {}", self.hint)?;
        }
        Ok(())
    }
}

/// The source line `line` with a caret under `col` (both 1-based).
fn snippet(src: &str, line: u64, col: u64) -> String {
    let Some(text) = src.lines().nth(line.saturating_sub(1) as usize) else {
        return String::new();
    };
    let gutter = format!("{line:>4} | ");
    let pad = " ".repeat(gutter.len() + col.saturating_sub(1) as usize);
    format!("{gutter}{text}\n{pad}^")
}

/// A hint for common mistakes, from the error message.
fn hint_for(msg: &str) -> String {
    let m = msg.to_lowercase();
    if m.contains("unknown variant") {
        "a step is one of: create_csr, approve, deny, sign, fail, get, update, patch, delete, create, bootstrap_token, watch, advance, advance_until, pause, resume, mark, expect, expect_watch, kubelet, fault, expect_kubelet (docs/scenarios.md)".into()
    } else if m.contains("unknown field") {
        "check the spelling; docs/scenarios.md lists every key of each section".into()
    } else if m.contains("duplicate") {
        "a key may appear only once in a mapping; merge the two entries".into()
    } else if m.contains("duration") {
        "durations use humantime: 90s, 10m, 25h, 1h 30m, 365days".into()
    } else if m.contains("missing field") {
        "this section needs the named key (docs/scenarios.md)".into()
    } else if m.contains("invalid type") || m.starts_with("expected ") {
        "the value has the wrong YAML type here: quote strings, use lists for lists".into()
    } else {
        String::new()
    }
}

fn err_at(file: &Path, src: &str, loc: Option<Location>, message: String) -> LoadError {
    err_at_lc(file, src, loc.map(|l| (l.line(), l.column())), message)
}

fn err_at_lc(file: &Path, src: &str, loc: Option<(u64, u64)>, message: String) -> LoadError {
    let (line, col) = loc.unwrap_or((1, 1));
    let hint = hint_for(&message);
    LoadError {
        file: file.display().to_string(),
        line,
        col,
        snippet: snippet(src, line, col),
        hint,
        message,
    }
}

/// Text of a serde-saphyr error without its own snippet rendering.
fn bare_message(e: &serde_saphyr::Error) -> String {
    let s = e.without_snippet().to_string();
    // Drop a trailing " at line X column Y" the library may add: we print our own location.
    let s = match s.find(" at line ") {
        Some(i) => s[..i].to_string(),
        None => s,
    };
    let s = s.lines().next().unwrap_or("").trim();
    // serde-saphyr suggests a library option; the scenario author cannot set it.
    s.split(", set DuplicateKeyPolicy")
        .next()
        .unwrap_or(s)
        .to_string()
}

/// Parse the text of one file into its scenarios.
pub fn parse(file: &Path, src: &str) -> Result<Vec<Loaded>, LoadError> {
    let docs: Vec<Scenario> = serde_saphyr::from_multiple(src)
        .map_err(|e| err_at(file, src, e.location(), bare_message(&e)))?;
    if docs.is_empty() {
        return Err(err_at(file, src, None, "the file holds no scenario".into()));
    }
    let base_dir = file.parent().map(Path::to_path_buf).unwrap_or_default();
    let mut out = Vec::new();
    for (doc, scenario) in docs.into_iter().enumerate() {
        check(file, src, &base_dir, &scenario)?;
        out.push(Loaded {
            file: file.to_path_buf(),
            doc,
            scenario,
            base_dir: base_dir.clone(),
        });
    }
    Ok(out)
}

/// Identity names usable without declaring them.
pub const BUILTIN_IDENTITIES: &[&str] = &["admin", "controller-manager", "anonymous"];

/// Checks serde cannot do: identities referenced exist and are well formed, files exist.
fn check(file: &Path, src: &str, base: &Path, s: &Scenario) -> Result<(), LoadError> {
    for (name, id) in &s.identities {
        let kinds = [
            id.user.is_some(),
            id.node.is_some(),
            id.bootstrap_token.is_some(),
        ]
        .iter()
        .filter(|x| **x)
        .count();
        if kinds != 1 {
            let loc = find_key(src, name);
            return Err(err_at_lc(
                file,
                src,
                loc,
                format!("identity {name:?} needs exactly one of `user`, `node`, `bootstrap_token`"),
            ));
        }
    }
    for st in &s.steps {
        let loc = Some(st.referenced);
        let who = match &st.value {
            Step::CreateCsr(c) => c.who.as_deref(),
            Step::Approve(d) | Step::Deny(d) => d.who.as_deref(),
            Step::Sign(x) => x.who.as_deref(),
            Step::Fail(x) => x.who.as_deref(),
            Step::Get(x) => x.who.as_deref(),
            Step::Update(x) => x.who.as_deref(),
            Step::Patch(x) => x.who.as_deref(),
            Step::Delete(x) => x.who.as_deref(),
            Step::Create(x) => x.who.as_deref(),
            Step::BootstrapToken(x) => x.who.as_deref(),
            Step::Watch(x) => x.who.as_deref(),
            _ => None,
        };
        if let Some(w) = who {
            let known = BUILTIN_IDENTITIES.contains(&w)
                || s.identities.contains_key(w)
                || w.starts_with("node:");
            if !known {
                let mut e = err_at(file, src, loc, format!("unknown identity {w:?} in `as:`"));
                e.hint = format!(
                    "declare it under `identities:`, or use admin, controller-manager, anonymous, node:<name>{}",
                    if s.identities.is_empty() { String::new() } else { format!(" or one of {:?}", s.identities.keys().collect::<Vec<_>>()) }
                );
                return Err(e);
            }
        }
        if let Step::CreateCsr(c) = &st.value {
            if let Some(RequestSource::File(f)) = &c.request {
                if !base.join(f).is_file() {
                    let mut e = err_at(
                        file,
                        src,
                        loc,
                        format!(
                            "request file {f:?} not found (relative to {})",
                            base.display()
                        ),
                    );
                    e.hint = "paths are relative to the scenario file's folder".into();
                    return Err(e);
                }
            }
            if c.name.is_none()
                && c.generate_name.is_none()
                && c.raw
                    .as_ref()
                    .and_then(|r| r.pointer("/metadata"))
                    .is_none()
            {
                return Err(err_at(
                    file,
                    src,
                    loc,
                    "create_csr needs `name` or `generate_name`".into(),
                ));
            }
        }
        if let Step::BootstrapToken(b) = &st.value {
            let ok = b.token.len() == 23
                && b.token.as_bytes()[6] == b'.'
                && b.token
                    .chars()
                    .enumerate()
                    .all(|(i, c)| i == 6 || c.is_ascii_lowercase() || c.is_ascii_digit());
            if !ok {
                let mut e = err_at(
                    file,
                    src,
                    loc,
                    format!(
                        "bootstrap token {:?} is not of the form <6>.<16> lowercase alphanumerics",
                        b.token
                    ),
                );
                e.hint = "e.g. abcdef.0123456789abcdef".into();
                return Err(e);
            }
        }
    }
    Ok(())
}

/// `(line, col)` of the first line whose key is `key:` (best effort for semantic errors).
fn find_key(src: &str, key: &str) -> Option<(u64, u64)> {
    src.lines().enumerate().find_map(|(i, l)| {
        let t = l.trim_start();
        let rest = t.strip_prefix(key)?;
        rest.starts_with(':')
            .then(|| (i as u64 + 1, (l.len() - t.len()) as u64 + 1))
    })
}

/// Read and parse one file.
pub fn load_file(file: &Path) -> Result<Vec<Loaded>, LoadError> {
    let src = std::fs::read_to_string(file).map_err(|e| LoadError {
        file: file.display().to_string(),
        line: 0,
        col: 0,
        message: format!("cannot read: {e}"),
        snippet: String::new(),
        hint: String::new(),
    })?;
    parse(file, &src)
}

/// Expand paths (files, folders recursively) into sorted `*.yaml`/`*.yml` files.
pub fn collect(paths: &[PathBuf]) -> Result<Vec<PathBuf>, LoadError> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            walk(p, &mut out).map_err(|e| LoadError {
                file: p.display().to_string(),
                line: 0,
                col: 0,
                message: format!("cannot read folder: {e}"),
                snippet: String::new(),
                hint: String::new(),
            })?;
        } else if p.is_file() {
            out.push(p.clone());
        } else {
            return Err(LoadError {
                file: p.display().to_string(),
                line: 0,
                col: 0,
                message: "no such file or folder".into(),
                snippet: String::new(),
                hint: "give scenario files or folders, e.g. `csrsim run scenarios/`".into(),
            });
        }
    }
    out.sort();
    out.dedup();
    Ok(out)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            walk(&p, out)?;
        } else if p.extension().is_some_and(|x| x == "yaml" || x == "yml") {
            out.push(p);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(src: &str) -> LoadError {
        parse(Path::new("t.yaml"), src).expect_err("must not load")
    }

    #[test]
    fn errors_point_at_line_and_column() {
        // (case, source, line, col, message fragment)
        let rows: &[(&str, &str, u64, u64, &str)] = &[
            (
                "unknown top-level key",
                "name: x\nstepz: []\n",
                2,
                1,
                "unknown field `stepz`",
            ),
            (
                "unknown step",
                "name: x\nsteps:\n  - aprove: {name: c}\n",
                3,
                5,
                "unknown variant `aprove`",
            ),
            (
                "unknown key in a step",
                "name: x\nsteps:\n  - approve: {name: c, forse: true}\n",
                3,
                24,
                "unknown field `forse`",
            ),
            (
                "wrong type",
                "name: x\nsteps: 3\n",
                2,
                8,
                "expected sequence",
            ),
            (
                "bad duration",
                "name: x\nsteps:\n  - advance: soon\n",
                3,
                14,
                "invalid duration \"soon\"",
            ),
            (
                "duplicate key",
                "name: x\nsteps: []\nsteps: []\n",
                3,
                1,
                "duplicate mapping key: steps",
            ),
            (
                "unknown identity",
                "name: x\nsteps:\n  - approve: {as: bob, name: c}\n",
                3,
                5,
                "unknown identity \"bob\"",
            ),
            (
                "bad token",
                "name: x\nsteps:\n  - bootstrap_token: {token: nope}\n",
                3,
                5,
                "is not of the form",
            ),
            (
                "identity kinds",
                "name: x\nidentities:\n  a: {user: a, node: n}\nsteps: []\n",
                3,
                3,
                "exactly one of",
            ),
            (
                "csr without name",
                "name: x\nsteps:\n  - create_csr: {signer: a.b/c}\n",
                3,
                5,
                "needs `name` or `generate_name`",
            ),
        ];
        for (case, src, line, col, msg) in rows {
            let e = err(src);
            assert_eq!((e.line, e.col), (*line, *col), "{case}: {e}");
            assert!(e.message.contains(msg), "{case}: {e}");
            assert!(
                e.to_string().starts_with(&format!("t.yaml:{line}:{col}: ")),
                "{case}: {e}"
            );
            assert!(!e.snippet.is_empty(), "{case}: snippet");
        }
    }

    #[test]
    fn hints_and_snippets() {
        let e = err("name: x\nsteps:\n  - advance: 3 parsecs\n");
        assert!(e.hint.contains("humantime"));
        assert_eq!(
            e.snippet,
            "   3 |   - advance: 3 parsecs\n                    ^"
        );
        assert!(!e.message.contains("DuplicateKeyPolicy"));
        assert!(err("name: a\nname: b\nsteps: []\n")
            .hint
            .contains("only once"));
    }

    #[test]
    fn several_documents_per_file() {
        let v = parse(
            Path::new("d/m.yaml"),
            "name: a\nsteps: []\n---\nname: b\nsteps: []\n",
        )
        .expect("loads");
        assert_eq!(v.len(), 2);
        assert_eq!(v[0].id(), "d/m.yaml");
        assert_eq!(v[1].id(), "d/m.yaml#1");
        assert_eq!(v[1].scenario.name, "b");
        assert!(err("").message.contains("no scenario"));
    }

    #[test]
    fn garbage_never_panics() {
        for src in [
            "{",
            "- - -",
            "\t\tname",
            "name: [",
            "\u{0}\u{1}",
            "steps:\n  - advance:\n",
            "name: x\nsteps: [{a: 1}, 2]",
            "&a [*a]",
            "? ? ?",
        ] {
            let _ = parse(Path::new("g.yaml"), src);
        }
    }
}
