//! What one watch sees of the event log (the cacher's filtering and `convertToWatchEvent`).

use super::cluster::Cluster;
use crate::api::resources;
use crate::api::status::Status;
use crate::api::EventType;
use crate::registry::selectors::{FieldSelector, LabelSelector};
use crate::sim::request::WatchCursor;
use crate::store;
use serde_json::{json, Value};

/// What one watch sees of the event log: its resource (and namespace) prefix, then its label
/// and field selectors. Shared by [`Cluster::watch_poll`] and servers that fan out the log.
pub struct WatchFilter {
    prefix: String,
    sel: (LabelSelector, FieldSelector),
}

impl WatchFilter {
    /// The filter of a watch cursor (400 for an unknown resource or a bad selector).
    pub fn new(cursor: &WatchCursor) -> Result<WatchFilter, Status> {
        let info = *resources::find(&cursor.group, &cursor.resource)
            .ok_or_else(|| Status::bad_request("unknown resource"))?;
        let sel = Cluster::matcher(&info, &cursor.label_selector, &cursor.field_selector)?;
        let prefix = store::prefix(
            info.group,
            info.resource,
            if cursor.namespace.is_empty() {
                None
            } else {
                Some(&cursor.namespace)
            },
        );
        Ok(WatchFilter { prefix, sel })
    }

    /// Whether an event's store key belongs to the watched resource (and namespace).
    pub fn matches_key(&self, key: &str) -> bool {
        key.starts_with(&self.prefix)
    }

    /// Whether the object passes the label and field selectors.
    pub fn matches_object(&self, obj: &Value) -> bool {
        Cluster::matches(&self.sel, obj)
    }

    /// Whether the watch has no selector (every event of its resource passes as it is).
    pub fn is_trivial(&self) -> bool {
        self.sel.0.is_empty() && self.sel.1.is_empty()
    }

    /// The cacher's `convertToWatchEvent`: with selectors an update is judged on the object
    /// before and after it — both pass: MODIFIED; only the new one: ADDED; only the old one:
    /// DELETED, showing the old object with the event's resourceVersion (returned); neither:
    /// nothing. `prev` is the stored object the write replaced (for a DELETED event the
    /// object itself is its last state). `None`: the watch does not see the event.
    pub fn convert(
        &self,
        type_: EventType,
        object: &Value,
        prev: Option<&[u8]>,
        rv: u64,
    ) -> Option<(EventType, Option<Value>)> {
        if self.is_trivial() {
            return Some((type_, None));
        }
        let cur = self.matches_object(object);
        match type_ {
            EventType::Modified => {
                let prev = prev.and_then(|b| serde_json::from_slice::<Value>(b).ok());
                let old = prev.as_ref().map_or(cur, |p| self.matches_object(p));
                match (cur, old) {
                    (true, true) => Some((EventType::Modified, None)),
                    (true, false) => Some((EventType::Added, None)),
                    (false, true) => {
                        let mut p = prev.expect("old passes only when known");
                        if let Some(m) = p.get_mut("metadata").and_then(Value::as_object_mut) {
                            m.insert("resourceVersion".into(), json!(rv.to_string()));
                        }
                        Some((EventType::Deleted, Some(p)))
                    }
                    (false, false) => None,
                }
            }
            _ => cur.then_some((type_, None)),
        }
    }
}
