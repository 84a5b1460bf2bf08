//! `csrsim run --timeline FILE.svg`: each CSR's states over virtual time and each issued
//! certificate's validity window, one panel per scenario, drawn from the run's trace.

use super::runner::ScenarioResult;
use crate::api::Time;
use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt::Write as _;

const WIDTH: f64 = 1000.0;
const LABEL: f64 = 220.0;
const ROW: f64 = 22.0;
const HEADER: f64 = 26.0;
/// Panels are at least this long (virtual seconds), so instant scenarios still show bars.
const MIN_SPAN_SECS: i64 = 3600;

/// Colour of a kubectl CONDITION value.
fn color(state: &str) -> &'static str {
    if state.contains("Failed") {
        "#f0a030"
    } else if state.contains("Issued") {
        "#3a9d3a"
    } else if state.starts_with("Denied") {
        "#d04040"
    } else if state.starts_with("Approved") {
        "#4070d0"
    } else {
        "#a0a0a0"
    }
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Per CSR: (time, state or None when deleted) in trace order.
type Changes = BTreeMap<String, Vec<(i64, Option<String>)>>;

fn changes(trace: &str) -> Changes {
    let mut out: Changes = BTreeMap::new();
    for line in trace.lines() {
        let Ok(v) = serde_json::from_str::<Value>(line) else {
            continue;
        };
        if v["event"] != "write" || v["resource"] != "certificatesigningrequests" {
            continue;
        }
        let Some(t) = v["t"].as_str().and_then(|t| Time::parse_rfc3339(t).ok()) else {
            continue;
        };
        let name = v["name"].as_str().unwrap_or("").to_string();
        let state = if v["type"] == "DELETED" {
            None
        } else {
            Some(v["condition"].as_str().unwrap_or("Pending").to_string())
        };
        out.entry(name).or_default().push((t.unix(), state));
    }
    out
}

/// The SVG document.
pub fn svg(results: &[ScenarioResult]) -> String {
    let mut body = String::new();
    let mut y = 10.0;
    for r in results
        .iter()
        .filter(|r| !matches!(r.outcome, super::Outcome::Skipped { .. }))
    {
        let start = Time::parse_rfc3339(&r.virtual_start)
            .map(|t| t.unix())
            .unwrap_or(0);
        let end = Time::parse_rfc3339(&r.virtual_end)
            .map(|t| t.unix())
            .unwrap_or(start);
        let span = (end - start).max(MIN_SPAN_SECS) as f64;
        let x =
            |t: i64| LABEL + ((t - start) as f64 / span).clamp(0.0, 1.0) * (WIDTH - LABEL - 10.0);
        let _ = writeln!(
            body,
            r##"<text x="4" y="{:.1}" font-weight="bold">{} <tspan fill="#777">({} → {})</tspan></text>"##,
            y + 16.0,
            esc(&r.name),
            esc(&r.virtual_start),
            esc(&r.virtual_end)
        );
        y += HEADER;
        for (name, ch) in changes(&r.trace) {
            let _ = writeln!(
                body,
                r#"<text x="14" y="{:.1}">{}</text>"#,
                y + 14.0,
                esc(&name)
            );
            for (i, (t, state)) in ch.iter().enumerate() {
                let Some(state) = state else { continue };
                let until = ch
                    .get(i + 1)
                    .map(|c| c.0)
                    .unwrap_or(end.max(start + MIN_SPAN_SECS));
                let (x0, x1) = (x(*t), x(until).max(x(*t) + 2.0));
                let _ = writeln!(
                    body,
                    r#"<rect x="{x0:.1}" y="{:.1}" width="{:.1}" height="12" fill="{}"><title>{} {} from {}</title></rect>"#,
                    y + 3.0,
                    x1 - x0,
                    color(state),
                    esc(&name),
                    esc(state),
                    Time(*t).to_rfc3339()
                );
            }
            if let Some((nb, na)) = r.certs.get(&name) {
                let (x0, x1) = (x(*nb), x(*na));
                let _ = writeln!(
                    body,
                    r##"<line x1="{x0:.1}" y1="{:.1}" x2="{x1:.1}" y2="{:.1}" stroke="#2a6a2a" stroke-width="3"><title>certificate {} valid {} → {}</title></line>"##,
                    y + 18.0,
                    y + 18.0,
                    esc(&name),
                    Time(*nb).to_rfc3339(),
                    Time(*na).to_rfc3339()
                );
            }
            y += ROW;
        }
        y += 8.0;
    }
    let mut out = String::new();
    let _ = writeln!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{:.0}" font-family="sans-serif" font-size="12">"#,
        y + 30.0
    );
    let _ = writeln!(out, r#"<rect width="100%" height="100%" fill="white"/>"#);
    out.push_str(&body);
    let mut lx = LABEL;
    for (label, st) in [
        ("Pending", "Pending"),
        ("Approved", "Approved"),
        ("Denied", "Denied"),
        ("Failed", "Failed"),
        ("Issued", "Issued"),
    ] {
        let _ = writeln!(
            out,
            r#"<rect x="{lx}" y="{:.1}" width="12" height="12" fill="{}"/><text x="{}" y="{:.1}">{label}</text>"#,
            y + 8.0,
            color(st),
            lx + 16.0,
            y + 18.0
        );
        lx += 90.0;
    }
    let _ = writeln!(
        out,
        r##"<line x1="{lx}" y1="{:.1}" x2="{}" y2="{:.1}" stroke="#2a6a2a" stroke-width="3"/><text x="{}" y="{:.1}">certificate validity</text>"##,
        y + 14.0,
        lx + 20.0,
        y + 14.0,
        lx + 24.0,
        y + 18.0
    );
    out.push_str("</svg>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_come_from_trace_writes() {
        let trace = concat!(
            r#"{"t":"2030-01-01T00:00:00Z","event":"write","type":"ADDED","resource":"certificatesigningrequests","name":"c","condition":"Pending"}"#,
            "\n",
            r#"{"t":"2030-01-01T00:10:00Z","event":"write","type":"MODIFIED","resource":"certificatesigningrequests","name":"c","condition":"Approved"}"#,
            "\n",
            r#"{"t":"2030-01-01T00:20:00Z","event":"write","type":"DELETED","resource":"certificatesigningrequests","name":"c"}"#,
            "\n",
            r#"{"t":"2030-01-01T00:20:00Z","event":"write","type":"ADDED","resource":"secrets","name":"s"}"#,
        );
        let c = changes(trace);
        assert_eq!(c.len(), 1);
        let t0 = Time::parse_rfc3339("2030-01-01T00:00:00Z")
            .expect("t")
            .unix();
        assert_eq!(
            c["c"],
            vec![
                (t0, Some("Pending".into())),
                (t0 + 600, Some("Approved".into())),
                (t0 + 1200, None)
            ]
        );
        assert_eq!(color("Approved,Issued"), "#3a9d3a");
        assert_eq!(color("Denied"), "#d04040");
    }
}
