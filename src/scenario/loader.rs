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
        // Line 0: a problem with the file or folder itself, not with a place in it.
        if self.line == 0 {
            writeln!(f, "{}: {}", self.file, self.message)?;
        } else {
            writeln!(
                f,
                "{}:{}:{}: {}",
                self.file, self.line, self.col, self.message
            )?;
        }
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
    if m.contains("unknown variant") && !m.contains("create_csr") {
        // Not a step name: `requires`, a fault, a patch type, ... list their values themselves.
        "check the spelling against the values listed (docs/scenarios.md)".into()
    } else if m.contains("unknown variant") {
        // The names come from the parser's own list, so a new step cannot be missing here.
        let names = msg
            .split_once("expected one of ")
            .map(|(_, l)| l.replace('`', ""))
            .unwrap_or_default();
        format!("a step is one of: {names} (docs/scenarios.md)")
    } else if m.contains("unknown field") {
        "check the spelling; docs/scenarios.md lists every key of each section".into()
    } else if m.contains("duplicate") {
        "a key may appear only once in a mapping; merge the two entries".into()
    } else if m.contains("duration") {
        "durations use humantime: 90s, 10m, 25h, 1h 30m, 365days".into()
    } else if m.contains("missing field") {
        "this section needs the named key (docs/scenarios.md)".into()
    } else if m.contains("externally tagged enum") || m.contains("after enum variant value") {
        "each list item under `steps:` is one step: a mapping with exactly one key naming it, e.g. `- approve: {name: c}`".into()
    } else if [
        "invalid i64",
        "invalid u64",
        "invalid u32",
        "invalid u16",
        "invalid usize",
        "invalid i32",
    ]
    .iter()
    .any(|t| m.contains(t))
    {
        "this key takes a whole number (unquoted), e.g. 86400".into()
    } else if m.contains("invalid boolean") {
        "this key takes true or false".into()
    } else if m.contains("budget breached") {
        "the document is too large once its YAML aliases (*name) are expanded; a scenario is \
         limited to what the parser's budget allows"
            .into()
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
    if let Some(start) = &s.cluster.start {
        if let Err(e) = crate::api::Time::parse_rfc3339(start) {
            let mut e = err_at_lc(
                file,
                src,
                find_key(src, "start"),
                format!("cluster.start: {e}"),
            );
            e.hint = "an RFC 3339 time, e.g. 2030-01-01T00:00:00Z".into();
            return Err(e);
        }
    }
    let (marks, watches) = names_defined(s);
    let (mut marks_so_far, mut watches_so_far) = (vec!["start", "now"], Vec::new());
    for st in &s.steps {
        let loc = Some(st.referenced);
        if let Some(msg) = step_problem(&st.value)
            .or_else(|| reference_problem(&st.value, &marks, &watches))
            .or_else(|| redefinition(&st.value, &mut marks_so_far, &mut watches_so_far))
        {
            let (message, hint) = msg;
            let mut e = err_at(file, src, loc, message);
            e.hint = hint;
            return Err(e);
        }
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
                            "request file {f:?} not found (looked for {})",
                            base.join(f).display()
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

/// Controllers `pause`/`resume` can name.
const CONTROLLERS: &[&str] = &[
    crate::controller::signer::NAME,
    crate::controller::approver::NAME,
    crate::controller::cleaner::Cleaner::NAME,
    crate::kubelet::fleet::NAME,
];

/// A value of one step that can never work, whatever the cluster does: (message, hint).
fn step_problem(st: &Step) -> Option<(String, String)> {
    use super::schema::Step as S;
    let resource = match st {
        S::Get(x) => x.resource.as_deref(),
        S::Update(x) => x.resource.as_deref(),
        S::Patch(x) => x.resource.as_deref(),
        S::Delete(x) => x.resource.as_deref(),
        S::Create(x) => Some(x.resource.as_str()),
        S::Watch(x) => x.resource.as_deref(),
        S::Expect(x) => x.resource.as_deref(),
        _ => None,
    };
    if let Err(m) = super::runner::resolve(resource) {
        return Some((
            m.message,
            "a plural resource name: csr, clusterroles, clusterrolebindings, roles, rolebindings, secrets, namespaces, ...".into(),
        ));
    }
    match st {
        S::Pause(n) | S::Resume(n) if !CONTROLLERS.contains(&n.as_str()) => Some((
            format!("unknown controller {n:?}"),
            format!("one of {}", CONTROLLERS.join(", ")),
        )),
        S::AdvanceUntil(a) if !is_state(&a.state) => Some((
            format!("unknown state {:?}", a.state),
            "a kubectl CONDITION (Pending, Approved, Denied, optionally followed by ,Failed and ,Issued: `Approved,Issued`), a condition type (Approved, Denied, Failed), Issued, or absent".into(),
        )),
        S::CreateCsr(c) => match &c.request {
            Some(RequestSource::Generate(g)) => {
                if let Some(k) = g.key.as_deref().filter(|k| *k != "ecdsa-p256") {
                    return Some((
                        format!("key type {k:?} is not supported"),
                        "generated requests use ecdsa-p256 keys; for another key type give `request: {file: …}` made with openssl".into(),
                    ));
                }
                if g.o.len() > 2 {
                    return Some((
                        "at most 2 organizations can be generated".into(),
                        "for more, give `request: {file: …}` made with openssl".into(),
                    ));
                }
                g.ips
                    .iter()
                    .find(|ip| ip.parse::<std::net::IpAddr>().is_err())
                    .map(|ip| {
                        (
                            format!("{ip:?} is not an IP address"),
                            "ips: takes IPv4 or IPv6 addresses, e.g. 10.0.0.1".into(),
                        )
                    })
            }
            _ => None,
        },
        S::Kubelet(k) => k
            .serving
            .iter()
            .flat_map(|m| m.keys())
            .find(|t| !["Hostname", "ExternalIP", "InternalIP", "ExternalDNS", "InternalDNS"].contains(&t.as_str()))
            .map(|t| {
                (
                    format!("unknown address type {t:?}"),
                    "one of Hostname, ExternalIP, InternalIP, ExternalDNS, InternalDNS".into(),
                )
            }),
        _ => None,
    }
}

/// The marks (`mark`, `advance_until.mark`) and watches (`watch.name`) a scenario defines.
fn names_defined(s: &Scenario) -> (Vec<&str>, Vec<&str>) {
    let mut marks = vec!["start", "now"];
    let mut watches = Vec::new();
    for st in &s.steps {
        match &st.value {
            Step::Mark(m) => marks.push(m),
            Step::AdvanceUntil(a) => marks.extend(a.mark.as_deref()),
            Step::Watch(w) => watches.push(w.name.as_str()),
            _ => {}
        }
    }
    (marks, watches)
}

/// A `mark` (or `advance_until.mark`) or `watch` name an earlier step already defined (the
/// marks `start` and `now` are predefined): the second would silently replace the first.
fn redefinition<'a>(
    st: &'a Step,
    marks: &mut Vec<&'a str>,
    watches: &mut Vec<&'a str>,
) -> Option<(String, String)> {
    let (name, seen, what) = match st {
        Step::Mark(m) => (m.as_str(), marks, "mark"),
        Step::AdvanceUntil(a) => (a.mark.as_deref()?, marks, "mark"),
        Step::Watch(w) => (w.name.as_str(), watches, "watch"),
        _ => return None,
    };
    if seen.contains(&name) {
        let predefined = what == "mark" && (name == "start" || name == "now");
        return Some((
            if predefined {
                format!("mark {name:?} is predefined")
            } else {
                format!("{what} {name:?} is already defined by an earlier step")
            },
            format!("give each {what} of a scenario its own name"),
        ));
    }
    seen.push(name);
    None
}

/// An instant expression (`t0`, `start + 23h 55m`, an RFC 3339 time `- 5m`) that can never be
/// evaluated: an undefined name or a bad duration.
fn instant_problem(expr: &str, marks: &[&str]) -> Option<String> {
    let expr = expr.trim();
    let (name, dur) = match expr.find(['+', '-']) {
        Some(i) if i > 0 && expr[..i].ends_with(' ') => {
            (expr[..i].trim(), Some(expr[i + 1..].trim()))
        }
        _ => (expr, None),
    };
    if !marks.contains(&name) && crate::api::Time::parse_rfc3339(name).is_err() {
        return Some(format!(
            "unknown instant {name:?} in {expr:?} (marks: {})",
            marks.join(", ")
        ));
    }
    let d = dur?;
    humantime::parse_duration(d)
        .err()
        .map(|e| format!("invalid duration {d:?} in {expr:?}: {e}"))
}

/// A reference to a mark or a watch the scenario never defines.
fn reference_problem(st: &Step, marks: &[&str], watches: &[&str]) -> Option<(String, String)> {
    let hint = || {
        "an instant is start, now, a `mark:` name or an RFC 3339 time, optionally ± a humantime duration: `t0 + 24h`".to_string()
    };
    match st {
        Step::Expect(e) => {
            let mut exprs: Vec<&str> = Vec::new();
            for c in e.conditions.iter().flatten() {
                exprs.extend(c.last_update_time.as_deref());
                exprs.extend(c.last_transition_time.as_deref());
            }
            if let Some(c) = &e.certificate {
                exprs.extend(c.not_before.as_deref());
                exprs.extend(c.not_after.as_deref());
            }
            exprs
                .into_iter()
                .find_map(|x| instant_problem(x, marks))
                .map(|m| (m, hint()))
        }
        Step::ExpectWatch(w) if !watches.contains(&w.watch.as_str()) => Some((
            format!("no watch named {:?} is opened in this scenario", w.watch),
            "open it first with `- watch: {name: …}`".into(),
        )),
        _ => None,
    }
}

/// A state `advance_until` can wait for.
fn is_state(s: &str) -> bool {
    if matches!(s, "Approved" | "Denied" | "Failed" | "Issued" | "absent") {
        return true;
    }
    let mut parts = s.split(',');
    if !matches!(parts.next(), Some("Pending" | "Approved" | "Denied")) {
        return false;
    }
    let rest: Vec<&str> = parts.collect();
    matches!(
        rest.as_slice(),
        [] | ["Failed"] | ["Issued"] | ["Failed", "Issued"]
    )
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
    let bytes = std::fs::read(file).map_err(|e| LoadError {
        file: file.display().to_string(),
        line: 0,
        col: 0,
        message: format!("cannot read: {e}"),
        snippet: String::new(),
        hint: String::new(),
    })?;
    let src = String::from_utf8(bytes).map_err(|e| not_utf8(file, e))?;
    parse(file, &src)
}

/// A file that is not UTF-8: where the first bad byte is.
fn not_utf8(file: &Path, e: std::string::FromUtf8Error) -> LoadError {
    let at = e.utf8_error().valid_up_to();
    let bytes = e.as_bytes();
    let before = &bytes[..at];
    let line = before.iter().filter(|b| **b == b'\n').count() as u64 + 1;
    let line_start = before
        .iter()
        .rposition(|b| *b == b'\n')
        .map_or(0, |i| i + 1);
    let col = String::from_utf8_lossy(&before[line_start..])
        .chars()
        .count() as u64
        + 1;
    LoadError {
        file: file.display().to_string(),
        line,
        col,
        message: format!("not UTF-8 text (byte 0x{:02x})", bytes[at]),
        snippet: String::new(),
        hint: "scenario files are UTF-8 YAML; is this the right file?".into(),
    }
}

/// Expand paths (files, folders recursively) into sorted `*.yaml`/`*.yml` files.
pub fn collect(paths: &[PathBuf]) -> Result<Vec<PathBuf>, LoadError> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            let before = out.len();
            walk(p, &mut out, &mut Vec::new()).map_err(|e| LoadError {
                file: p.display().to_string(),
                line: 0,
                col: 0,
                message: format!("cannot read folder: {e}"),
                snippet: String::new(),
                hint: String::new(),
            })?;
            // A folder without scenarios is a mistake (a wrong path in CI), never a silent pass.
            if out.len() == before {
                return Err(LoadError {
                    file: p.display().to_string(),
                    line: 0,
                    col: 0,
                    message: "no scenario files (*.yaml, *.yml) in this folder or below".into(),
                    snippet: String::new(),
                    hint: "give scenario files or folders, e.g. `csrsim run scenarios/`".into(),
                });
            }
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

/// `ancestors`: the folders being walked, resolved; a symbolic link back to one of them (a
/// loop) is not followed again — it used to be, until the path grew too long, running every
/// scenario below it once per level.
fn walk(dir: &Path, out: &mut Vec<PathBuf>, ancestors: &mut Vec<PathBuf>) -> std::io::Result<()> {
    let real = std::fs::canonicalize(dir)?;
    if ancestors.contains(&real) {
        return Ok(());
    }
    ancestors.push(real);
    let r = walk_entries(dir, out, ancestors);
    ancestors.pop();
    r
}

fn walk_entries(
    dir: &Path,
    out: &mut Vec<PathBuf>,
    ancestors: &mut Vec<PathBuf>,
) -> std::io::Result<()> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            walk(&p, out, ancestors)?;
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

    /// A symbolic link back to a folder being walked is not followed again (it used to be,
    /// ~40 levels deep, each level's scenarios run once more); other links still are.
    #[cfg(unix)]
    #[test]
    fn a_symlink_loop_is_walked_once() {
        let d = tempfile::tempdir().unwrap();
        let a = d.path().join("a");
        std::fs::create_dir_all(&a).unwrap();
        std::fs::write(a.join("s.yaml"), "name: s\nsteps: []\n").unwrap();
        std::os::unix::fs::symlink("..", a.join("up")).unwrap();
        let other = tempfile::tempdir().unwrap();
        std::fs::write(other.path().join("o.yaml"), "name: o\nsteps: []\n").unwrap();
        std::os::unix::fs::symlink(other.path(), a.join("linked")).unwrap();
        let files = collect(&[d.path().to_path_buf()]).unwrap();
        assert_eq!(files, [a.join("linked").join("o.yaml"), a.join("s.yaml")]);
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
                "bad start",
                "name: x\ncluster:\n  start: yesterday\nsteps: []\n",
                3,
                3,
                "cluster.start: invalid RFC 3339 timestamp \"yesterday\"",
            ),
            (
                "unknown controller",
                "name: x\nsteps:\n  - pause: csrsignin\n",
                3,
                5,
                "unknown controller \"csrsignin\"",
            ),
            (
                "unknown state",
                "name: x\nsteps:\n  - advance_until: {csr: c, state: Aproved, within: 1s}\n",
                3,
                5,
                "unknown state \"Aproved\"",
            ),
            (
                "unknown resource",
                "name: x\nsteps:\n  - get: {name: c, resource: widgets}\n",
                3,
                5,
                "unknown resource \"widgets\"",
            ),
            (
                "unsupported key type",
                "name: x\nsteps:\n  - create_csr: {name: c, request: {generate: {key: rsa-2048}}}\n",
                3,
                5,
                "key type \"rsa-2048\" is not supported",
            ),
            (
                "bad ip",
                "name: x\nsteps:\n  - create_csr: {name: c, request: {generate: {ips: [nope]}}}\n",
                3,
                5,
                "\"nope\" is not an IP address",
            ),
            (
                "bad address type",
                "name: x\nsteps:\n  - kubelet: {node: n, serving: [{InternalIp: 10.0.0.1}]}\n",
                3,
                5,
                "unknown address type \"InternalIp\"",
            ),
            (
                "unknown mark",
                "name: x\nsteps:\n  - mark: t0\n  - expect: {csr: c, certificate: {not_after: t1 + 1h}}\n",
                4,
                5,
                "unknown instant \"t1\" in \"t1 + 1h\" (marks: start, now, t0)",
            ),
            (
                "bad duration in an instant",
                "name: x\nsteps:\n  - expect: {csr: c, conditions: [{type: A, last_update_time: start + 5 parsecs}]}\n",
                3,
                5,
                "invalid duration \"5 parsecs\" in \"start + 5 parsecs\"",
            ),
            (
                "mark defined twice",
                "name: x\nsteps:\n  - mark: t0\n  - advance: 1s\n  - mark: t0\n",
                5,
                5,
                "mark \"t0\" is already defined by an earlier step",
            ),
            (
                "advance_until reuses a mark",
                "name: x\nsteps:\n  - mark: t0\n  - advance_until: {csr: c, state: Approved, within: 1s, mark: t0}\n",
                4,
                5,
                "mark \"t0\" is already defined by an earlier step",
            ),
            (
                "a predefined mark",
                "name: x\nsteps:\n  - mark: start\n",
                3,
                5,
                "mark \"start\" is predefined",
            ),
            (
                "watch opened twice",
                "name: x\nsteps:\n  - watch: {name: w}\n  - watch: {name: w, resource: secrets}\n",
                4,
                5,
                "watch \"w\" is already defined by an earlier step",
            ),
            (
                "watch never opened",
                "name: x\nsteps:\n  - expect_watch: {watch: w}\n",
                3,
                5,
                "no watch named \"w\" is opened",
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
    fn states_advance_until_accepts() {
        for ok in [
            "Pending",
            "Approved,Issued",
            "Denied,Failed",
            "Approved,Failed,Issued",
            "Issued",
            "Failed",
            "absent",
        ] {
            assert!(is_state(ok), "{ok}");
        }
        for bad in [
            "Aproved",
            "Issued,Approved",
            "Approved,Issued,Failed",
            "",
            "pending",
            "Approved,",
        ] {
            assert!(!is_state(bad), "{bad}");
        }
    }

    #[test]
    fn hints_fit_the_mistake() {
        // (source, hint fragment)
        let rows: &[(&str, &str)] = &[
            ("name: x\nrequires: [signr]\nsteps: []\n", "values listed"),
            (
                "name: x\nsteps:\n  - aprove: {name: c}\n",
                "a step is one of",
            ),
            // aliases expanding past the parser's budget (a "billion laughs" document)
            (
                "name: x\nsteps:\n  - expect:\n      csr: a\n      fields:\n        a: &a [x,x,x,x,x,x,x,x,x,x]\n        b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\n        c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\n        d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\n        e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]\n        f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]\n        g: [*f,*f,*f,*f,*f,*f,*f,*f,*f,*f]\n",
                "YAML aliases",
            ),
            // every step is named, the last one too
            (
                "name: x\nsteps:\n  - aprove: {name: c}\n",
                "expect_kubelet, wait (docs/scenarios.md)",
            ),
            ("name: x\nsteps:\n  - {}\n", "exactly one key naming it"),
            (
                "name: x\nsteps:\n  - create_csr: {name: c}\n    approve: {name: c}\n",
                "exactly one key naming it",
            ),
            (
                "name: x\nsteps:\n  - create_csr: {name: c, expiration_seconds: soon}\n",
                "whole number",
            ),
            (
                "name: x\nsteps:\n  - create_csr: {name: c, dry_run: maybe}\n",
                "true or false",
            ),
        ];
        for (src, hint) in rows {
            let e = err(src);
            assert!(e.hint.contains(hint), "{src:?}: {e}");
        }
    }

    #[test]
    fn files_and_folders_that_hold_no_scenario_are_errors() {
        let d = tempfile::tempdir().expect("tempdir");
        std::fs::write(d.path().join("readme.txt"), "hi").expect("write");
        let e = collect(&[d.path().to_path_buf()]).expect_err("no scenarios");
        assert!(e.message.contains("no scenario files"), "{e}");
        assert!(
            e.to_string()
                .starts_with(&format!("{}: no scenario files", d.path().display())),
            "{e}"
        );
        let f = d.path().join("latin1.yaml");
        std::fs::write(&f, b"name: x\nsteps: [] # caf\xe9\n").expect("write");
        let e = load_file(&f).expect_err("not UTF-8");
        assert_eq!((e.line, e.col), (2, 16), "{e}");
        assert!(e.message.contains("not UTF-8 text (byte 0xe9)"), "{e}");
        let e = err("name: x\nsteps:\n  - create_csr: {name: c, request: {file: nope.csr}}\n");
        assert!(e.message.contains("(looked for nope.csr)"), "{e}");
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
