//! Reports of a run: text (colours only on a TTY), JSON, JUnit XML.

use super::loader::LoadError;
use super::runner::{Outcome, ScenarioResult};
use std::fmt::Write as _;

/// ANSI styling that is a no-op when colours are off.
#[derive(Clone, Copy)]
pub struct Style {
    pub color: bool,
}

impl Style {
    fn paint(self, code: &str, s: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }
    pub fn green(self, s: &str) -> String {
        self.paint("32", s)
    }
    pub fn red(self, s: &str) -> String {
        self.paint("31", s)
    }
    pub fn yellow(self, s: &str) -> String {
        self.paint("33", s)
    }
    pub fn dim(self, s: &str) -> String {
        self.paint("2", s)
    }
    pub fn bold(self, s: &str) -> String {
        self.paint("1", s)
    }
}

/// Totals of a run.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Summary {
    pub total: usize,
    pub passed: usize,
    pub failed: usize,
    pub skipped: usize,
}

pub fn summarize(results: &[ScenarioResult]) -> Summary {
    let mut s = Summary {
        total: results.len(),
        ..Default::default()
    };
    for r in results {
        match r.outcome {
            Outcome::Passed => s.passed += 1,
            Outcome::Failed(_) => s.failed += 1,
            Outcome::Skipped { .. } => s.skipped += 1,
        }
    }
    s
}

/// A line diff: `-` lines expected but not seen, `+` lines seen but not expected, others shared.
pub fn diff(expected: &str, actual: &str, st: Style) -> String {
    let e: Vec<&str> = expected.lines().collect();
    let a: Vec<&str> = actual.lines().collect();
    let mut out = String::new();
    for l in &e {
        if a.contains(l) {
            let _ = writeln!(out, "      {}", st.dim(&format!("  {l}")));
        } else {
            let _ = writeln!(out, "      {}", st.red(&format!("- {l}")));
        }
    }
    for l in &a {
        if !e.contains(l) {
            let _ = writeln!(out, "      {}", st.green(&format!("+ {l}")));
        }
    }
    out
}

/// The human report.
pub fn text(results: &[ScenarioResult], seed: Option<u64>, st: Style) -> String {
    let mut out = String::new();
    for r in results {
        match &r.outcome {
            Outcome::Passed => {
                let _ = writeln!(
                    out,
                    "{} {}  {}",
                    st.green("PASS"),
                    r.name,
                    st.dim(&format!(
                        "({}, {} step{})",
                        r.id,
                        r.steps,
                        if r.steps == 1 { "" } else { "s" }
                    ))
                );
            }
            Outcome::Skipped { reason } => {
                let _ = writeln!(
                    out,
                    "{} {}  {}",
                    st.yellow("SKIP"),
                    r.name,
                    st.dim(&format!("({}: {reason})", r.id))
                );
            }
            Outcome::Failed(f) => {
                let _ = writeln!(
                    out,
                    "{} {}  {}",
                    st.red("FAIL"),
                    st.bold(&r.name),
                    st.dim(&format!("({})", r.id))
                );
                let _ = writeln!(
                    out,
                    "    {}:{}:{}: step {} `{}`: {}",
                    r.id.split('#').next().unwrap_or(""),
                    f.line,
                    f.col,
                    f.step,
                    f.kind,
                    f.mismatch.message
                );
                if let (Some(e), Some(a)) = (&f.mismatch.expected, &f.mismatch.actual) {
                    let _ = writeln!(out, "    {} {}", st.red("- expected"), st.green("+ actual"));
                    out.push_str(&diff(e, a, st));
                }
                let _ = writeln!(
                    out,
                    "    replay: csrsim run {} --seed {}   (virtual time {})",
                    r.id.split('#').next().unwrap_or(""),
                    r.seed,
                    r.virtual_end
                );
            }
        }
    }
    let s = summarize(results);
    let verdict = if s.failed > 0 {
        st.red("FAILED")
    } else {
        st.green("ok")
    };
    let seed_txt = match seed {
        Some(x) => format!("seed {x}"),
        None => "each scenario's own seed".into(),
    };
    let _ = writeln!(
        out,
        "\n{verdict}: {} scenarios, {} passed, {} failed, {} skipped ({seed_txt})",
        s.total, s.passed, s.failed, s.skipped
    );
    if s.skipped > 0 {
        let _ = writeln!(
            out,
            "{}",
            st.dim("skipped scenarios need a capability this target does not offer (see `requires`; custom_signer rules run with --kubeconfig --profile custom-signer)")
        );
    }
    out
}

/// Load errors, one block each.
pub fn load_errors(errs: &[LoadError]) -> String {
    let mut out = String::new();
    for e in errs {
        out.push_str(&e.to_string());
    }
    let _ = writeln!(
        out,
        "\n{} file(s) could not be loaded; nothing was run",
        errs.len()
    );
    out
}

/// JSON report of a run that did not start: files that failed to load (exit 2).
pub fn json_load_errors(errs: &[LoadError]) -> String {
    let v = serde_json::json!({"summary": Summary::default(), "load_errors": errs, "results": []});
    serde_json::to_string_pretty(&v).unwrap_or_default() + "\n"
}

/// JUnit report of a run that did not start: one `<error>` test case per file that failed to
/// load, so a CI job that collects the report shows why nothing ran.
pub fn junit_load_errors(errs: &[LoadError]) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let n = errs.len();
    let _ = writeln!(out, "<testsuites name=\"csrsim\" tests=\"{n}\" failures=\"0\" skipped=\"0\" errors=\"{n}\" time=\"0\">");
    let _ = writeln!(out, "  <testsuite name=\"load\" tests=\"{n}\" failures=\"0\" skipped=\"0\" errors=\"{n}\" time=\"0\">");
    for e in errs {
        let _ = writeln!(
            out,
            "    <testcase classname=\"load\" name=\"{}\" file=\"{}\" time=\"0\">\n      <error message=\"{}\" type=\"LoadError\">{}</error>\n    </testcase>",
            xml_escape(&e.file),
            xml_escape(&e.file),
            xml_escape(&e.message),
            xml_escape(&e.to_string())
        );
    }
    out.push_str("  </testsuite>\n</testsuites>\n");
    out
}

/// JSON report: summary + results.
pub fn json(results: &[ScenarioResult], seed: Option<u64>) -> String {
    let v = serde_json::json!({"summary": summarize(results), "seed": seed, "results": results});
    serde_json::to_string_pretty(&v).unwrap_or_default() + "\n"
}

/// Text for XML content and attribute values (the in-process and conformance JUnit reports).
pub(crate) fn xml_escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&apos;"),
            // XML 1.0 has no way to carry other C0 controls, U+FFFE or U+FFFF (not even as
            // character references): they are written as visible `\u{..}` text.
            c if ((c as u32) < 0x20 && c != '\n' && c != '\t' && c != '\r')
                || c == '\u{fffe}'
                || c == '\u{ffff}' =>
            {
                o.push_str(&format!("\\u{{{:x}}}", c as u32))
            }
            c => o.push(c),
        }
    }
    o
}

/// JUnit XML: one `<testsuite>` per folder, one `<testcase>` per scenario. Time is 0: runs
/// are in virtual time and the report must be byte-identical across runs.
pub fn junit(results: &[ScenarioResult]) -> String {
    let mut suites: std::collections::BTreeMap<String, Vec<&ScenarioResult>> = Default::default();
    for r in results {
        let file = r.id.split('#').next().unwrap_or("");
        let dir = std::path::Path::new(file)
            .parent()
            .map(|p| p.display().to_string())
            .unwrap_or_default();
        // A file named without a folder: "." (JUnit's schema wants a non-empty suite name,
        // and CI tools show the classname as the test's group).
        let dir = if dir.is_empty() { ".".to_string() } else { dir };
        suites.entry(dir).or_default().push(r);
    }
    let s = summarize(results);
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(out, "<testsuites name=\"csrsim\" tests=\"{}\" failures=\"{}\" skipped=\"{}\" errors=\"0\" time=\"0\">", s.total, s.failed, s.skipped);
    for (dir, rs) in suites {
        let ss = summarize(&rs.iter().map(|r| (*r).clone()).collect::<Vec<_>>());
        let _ = writeln!(out, "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" skipped=\"{}\" errors=\"0\" time=\"0\">", xml_escape(&dir), ss.total, ss.failed, ss.skipped);
        for r in rs {
            let _ = write!(
                out,
                "    <testcase classname=\"{}\" name=\"{}\" file=\"{}\" time=\"0\"",
                xml_escape(&dir),
                xml_escape(&r.name),
                xml_escape(&r.id)
            );
            match &r.outcome {
                Outcome::Passed => out.push_str("/>\n"),
                Outcome::Skipped { reason } => {
                    let _ = writeln!(
                        out,
                        ">\n      <skipped message=\"{}\"/>\n    </testcase>",
                        xml_escape(reason)
                    );
                }
                Outcome::Failed(f) => {
                    let body = format!(
                        "{}:{}:{}: step {} `{}`: {}\nexpected:\n{}\nactual:\n{}\nreplay with --seed {}",
                        r.id.split('#').next().unwrap_or(""),
                        f.line,
                        f.col,
                        f.step,
                        f.kind,
                        f.mismatch.message,
                        f.mismatch.expected.clone().unwrap_or_default(),
                        f.mismatch.actual.clone().unwrap_or_default(),
                        r.seed
                    );
                    let _ = writeln!(out, ">\n      <failure message=\"{}\" type=\"ScenarioFailure\">{}</failure>\n    </testcase>", xml_escape(&f.mismatch.message), xml_escape(&body));
                }
            }
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::runner::{Failure, Mismatch};

    fn failed(name: &str, message: &str) -> ScenarioResult {
        ScenarioResult {
            id: "dir/f.yaml#1".into(),
            name: name.into(),
            seed: 3,
            steps: 2,
            steps_run: 2,
            virtual_start: String::new(),
            virtual_end: String::new(),
            outcome: Outcome::Failed(Failure {
                step: 2,
                kind: "expect".into(),
                line: 7,
                col: 5,
                mismatch: Mismatch {
                    message: message.into(),
                    expected: Some("condition: A\u{2}".into()),
                    actual: Some("condition: Pending".into()),
                },
            }),
            trace: String::new(),
            certs: Default::default(),
        }
    }

    #[test]
    fn load_errors_are_reports_too() {
        let e = LoadError {
            file: "d/a.yaml".into(),
            line: 3,
            col: 5,
            message: "unknown variant `aprove` <\u{1}>".into(),
            snippet: "   3 |   - aprove: {}\n       ^".into(),
            hint: "a step is one of ...".into(),
        };
        let xml = junit_load_errors(std::slice::from_ref(&e));
        let doc = roxmltree::Document::parse(&xml).expect("well-formed XML");
        assert_eq!(doc.root_element().attribute("errors"), Some("1"));
        let err = doc
            .descendants()
            .find(|n| n.has_tag_name("error"))
            .expect("error");
        assert_eq!(
            err.attribute("message"),
            Some("unknown variant `aprove` <\\u{1}>")
        );
        assert!(err
            .text()
            .unwrap_or("")
            .starts_with("d/a.yaml:3:5: unknown variant"));
        let v: serde_json::Value = serde_json::from_str(&json_load_errors(&[e])).expect("JSON");
        assert_eq!(v["load_errors"][0]["line"], 3);
        assert_eq!(v["summary"]["total"], 0);
    }

    #[test]
    fn junit_is_well_formed_whatever_the_text() {
        let r = failed("ctl \u{1} <&> \"q\" \u{fffe}", "bad \u{1b}[31m <x> & y");
        let xml = junit(&[r]);
        let doc = roxmltree::Document::parse(&xml).expect("well-formed XML");
        let case = doc
            .descendants()
            .find(|n| n.has_tag_name("testcase"))
            .expect("testcase");
        assert_eq!(
            case.attribute("name"),
            Some("ctl \\u{1} <&> \"q\" \\u{fffe}")
        );
        let f = case
            .children()
            .find(|n| n.has_tag_name("failure"))
            .expect("failure");
        assert_eq!(f.attribute("message"), Some("bad \\u{1b}[31m <x> & y"));
        let body = f.text().unwrap_or("");
        assert!(
            body.starts_with("dir/f.yaml:7:5: step 2 `expect`: bad"),
            "{body}"
        );
        assert!(body.contains("condition: A\\u{2}"), "{body}");
        assert!(body.contains("replay with --seed 3"), "{body}");
    }

    /// A scenario file named without a folder (`csrsim run a.yaml`) is in suite ".", not in a
    /// suite with an empty name (JUnit's schema requires a non-empty one).
    #[test]
    fn junit_suite_of_a_file_without_folder_is_dot() {
        let mut r = failed("n", "m");
        r.id = "f.yaml".into();
        let xml = junit(&[r]);
        let doc = roxmltree::Document::parse(&xml).expect("well-formed XML");
        let suite = doc
            .descendants()
            .find(|n| n.has_tag_name("testsuite"))
            .expect("testsuite");
        assert_eq!(suite.attribute("name"), Some("."));
        let case = doc
            .descendants()
            .find(|n| n.has_tag_name("testcase"))
            .expect("testcase");
        assert_eq!(case.attribute("classname"), Some("."));
    }
}
