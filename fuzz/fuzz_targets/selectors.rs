//! Label and field selector parsing and matching. Input: `label selector \0 field selector
//! \0 k=v,k=v labels`.
#![no_main]

use csrsim::registry::selectors::{FieldSelector, LabelSelector};
use libfuzzer_sys::fuzz_target;
use std::collections::BTreeMap;

const FIELDS: &[&str] = &["metadata.name", "metadata.namespace", "spec.signerName"];

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    let mut parts = s.splitn(3, '\0');
    let label = parts.next().unwrap_or("");
    let field = parts.next().unwrap_or("");
    let labels: BTreeMap<String, String> = parts
        .next()
        .unwrap_or("")
        .split(',')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    match LabelSelector::parse(label) {
        Ok(sel) => {
            let _ = sel.matches(&labels);
            let _ = sel.is_empty();
        }
        Err(st) => assert_eq!(st.code, 400, "{st:?}"),
    }
    match FieldSelector::parse(field, FIELDS) {
        Ok(sel) => {
            let _ = sel.matches(|f| labels.get(f).cloned().unwrap_or_default());
        }
        Err(st) => assert_eq!(st.code, 400, "{st:?}"),
    }
});
