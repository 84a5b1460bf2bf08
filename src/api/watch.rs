//! `meta.k8s.io/v1` WatchEvent.

use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "UPPERCASE")]
pub enum EventType {
    Added,
    Modified,
    Deleted,
    Bookmark,
    Error,
}

impl EventType {
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::Added => "ADDED",
            EventType::Modified => "MODIFIED",
            EventType::Deleted => "DELETED",
            EventType::Bookmark => "BOOKMARK",
            EventType::Error => "ERROR",
        }
    }
}

/// One event of a watch stream: `{"type":"ADDED","object":{...}}`.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct WatchEvent {
    #[serde(rename = "type")]
    pub type_: EventType,
    pub object: Value,
}
