//! The trace: every state change as one JSON line stamped with virtual time.
//!
//! The trace is the determinism witness: the same scenario and seed give byte-identical
//! traces. Lines are built from `serde_json::Value` objects whose keys keep insertion order.

use crate::api::Time;
use serde_json::{Map, Value};

#[derive(Default)]
pub struct Trace {
    enabled: bool,
    seq: u64,
    lines: Vec<String>,
}

impl Trace {
    pub fn new(enabled: bool) -> Self {
        Trace {
            enabled,
            seq: 0,
            lines: Vec::new(),
        }
    }

    pub fn enabled(&self) -> bool {
        self.enabled
    }

    pub fn set_enabled(&mut self, on: bool) {
        self.enabled = on;
    }

    /// Record one event: `{"t":..., "seq":..., "event":kind, ...fields}`.
    pub fn record(&mut self, now: Time, kind: &str, fields: Value) {
        if !self.enabled {
            return;
        }
        self.seq += 1;
        let mut m = Map::new();
        m.insert("t".into(), Value::String(now.to_rfc3339()));
        m.insert("seq".into(), Value::from(self.seq));
        m.insert("event".into(), Value::String(kind.into()));
        if let Value::Object(f) = fields {
            for (k, v) in f {
                m.insert(k, v);
            }
        }
        self.lines.push(Value::Object(m).to_string());
    }

    pub fn lines(&self) -> &[String] {
        &self.lines
    }

    /// Take the recorded lines, leaving the trace empty (still enabled).
    pub fn drain(&mut self) -> Vec<String> {
        std::mem::take(&mut self.lines)
    }

    /// The whole trace as JSONL text.
    pub fn to_jsonl(&self) -> String {
        let mut s = String::new();
        for l in &self.lines {
            s.push_str(l);
            s.push('\n');
        }
        s
    }
}
