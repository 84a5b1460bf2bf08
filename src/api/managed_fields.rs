//! `metadata.managedFields` as an object in memory holds it. The rules that compute it (who owns
//! which field after a write) are in `registry::managed_fields`; this is only the value.
//!
//! Two forms, one JSON: the entries exactly as a client or the store sent them
//! ([`ManagedFields::Json`]), or decoded entries ([`ManagedFields::Entries`]) as the field
//! manager leaves them after a write. The decoded form serializes to the same bytes the JSON
//! form of those entries would have, so the store and clients never see the difference. It
//! exists because every CSR of a simulated fleet is written three times by in-process
//! controllers: decoding FieldsV1 again, re-encoding it as nested JSON maps and deep-cloning
//! those maps with every copy of the object cost about a fifth of a fleet run.

use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{json, Map, Value};
use std::borrow::Cow;
use std::collections::BTreeSet;
use std::sync::{Arc, OnceLock};

/// A field path as FieldsV1 keys: `["f:metadata", "f:labels", "f:a"]`.
pub type FieldPath = Vec<String>;
/// A set of field paths (structured-merge-diff `fieldpath.Set`).
pub type FieldSet = BTreeSet<FieldPath>;

/// A manager's owned fields with their FieldsV1 encoding, built once when first needed.
#[derive(Debug, Default)]
pub struct OwnedFields {
    set: FieldSet,
    v1: OnceLock<FieldsV1>,
}

/// A FieldsV1 value and its compact JSON text. Serializing an object writes the text as it is
/// (`RawValue`): the keys of a FieldsV1 (`k:{"type":"Approved"}`) are mostly characters JSON
/// escapes, and writing them again on every store write was the largest single cost that
/// managedFields added to a fleet run.
#[derive(Debug)]
struct FieldsV1 {
    value: Value,
    text: Box<serde_json::value::RawValue>,
}

impl FieldsV1 {
    fn new(value: Value) -> FieldsV1 {
        let text = serde_json::value::to_raw_value(&value).expect("a JSON value serializes");
        FieldsV1 { value, text }
    }
}

impl Clone for OwnedFields {
    /// A copy is made to be changed: its encoding is built again when needed.
    fn clone(&self) -> Self {
        OwnedFields::new(self.set.clone())
    }
}

impl OwnedFields {
    pub fn new(set: FieldSet) -> Self {
        OwnedFields {
            set,
            v1: OnceLock::new(),
        }
    }

    pub fn set(&self) -> &FieldSet {
        &self.set
    }

    /// Changes the set (and forgets its encoding).
    pub fn update(&mut self, f: impl FnOnce(&mut FieldSet)) {
        f(&mut self.set);
        self.v1 = OnceLock::new();
    }

    /// The FieldsV1 JSON of the set.
    pub fn fields_v1(&self) -> &Value {
        &self.encoded().value
    }

    fn encoded(&self) -> &FieldsV1 {
        // Encoded once per set: written objects hold the shared sets of [`shared_fields`].
        self.v1
            .get_or_init(|| FieldsV1::new(to_fields_v1(&self.set)))
    }
}

/// Distinct owned-field sets shared between objects, per thread.
const SHARED_SETS: usize = 64;

thread_local! {
    /// The most recent distinct sets, oldest first.
    static SHARED: std::cell::RefCell<std::collections::VecDeque<Arc<OwnedFields>>> =
        const { std::cell::RefCell::new(std::collections::VecDeque::new()) };
}

/// `fields`, or an equal set some object already holds. Objects of a kind are written by the
/// same few managers touching the same fields (every kubelet's create, every approval, every
/// issuance), so their entries can share one set and its encoding instead of each keeping
/// (and later freeing) its own tree of paths: 2 % of a fleet run went to dropping them.
pub fn shared_fields(fields: Arc<OwnedFields>) -> Arc<OwnedFields> {
    if Arc::strong_count(&fields) > 1 {
        // Already held by another object (an entry this write left alone): it went through
        // here when that object was written.
        return fields;
    }
    SHARED.with(|m| {
        let Ok(mut m) = m.try_borrow_mut() else {
            return fields;
        };
        if let Some(f) = m.iter().find(|f| f.set == fields.set) {
            return f.clone();
        }
        if m.len() == SHARED_SETS {
            m.pop_front();
        }
        m.push_back(fields.clone());
        fields
    })
}

/// One `managedFields` entry, decoded.
#[derive(Clone, Debug)]
pub struct FieldsEntry {
    pub manager: String,
    pub operation: String,
    pub api_version: String,
    /// As sent or written (a client's entry may carry any time string).
    pub time: Option<Value>,
    pub subresource: String,
    pub fields: Arc<OwnedFields>,
}

impl FieldsEntry {
    pub fn set(&self) -> &FieldSet {
        self.fields.set()
    }

    /// Changes the owned set, copying it first if another object shares it.
    pub fn update_set(&mut self, f: impl FnOnce(&mut FieldSet)) {
        Arc::make_mut(&mut self.fields).update(f);
    }
}

impl Serialize for FieldsEntry {
    /// The key order of `ManagedFieldsEntry`'s JSON: manager, operation, apiVersion, time,
    /// fieldsType, fieldsV1, subresource.
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let n = 5 + usize::from(self.time.is_some()) + usize::from(!self.subresource.is_empty());
        let mut m = s.serialize_map(Some(n))?;
        m.serialize_entry("manager", &self.manager)?;
        m.serialize_entry("operation", &self.operation)?;
        m.serialize_entry("apiVersion", &self.api_version)?;
        if let Some(t) = &self.time {
            m.serialize_entry("time", t)?;
        }
        m.serialize_entry("fieldsType", "FieldsV1")?;
        m.serialize_entry("fieldsV1", &self.fields.encoded().text)?;
        if !self.subresource.is_empty() {
            m.serialize_entry("subresource", &self.subresource)?;
        }
        m.end()
    }
}

/// `metadata.managedFields`. Cloning is cheap (shared), so copies of an object share it.
#[derive(Clone, Default)]
pub enum ManagedFields {
    #[default]
    Empty,
    /// The entries as JSON, as received.
    Json(Arc<Vec<Value>>),
    /// Decoded entries, already sorted and without empty ones (what the field manager wrote).
    Entries(Arc<Vec<FieldsEntry>>),
}

impl ManagedFields {
    pub fn from_json(v: Vec<Value>) -> Self {
        if v.is_empty() {
            ManagedFields::Empty
        } else {
            ManagedFields::Json(Arc::new(v))
        }
    }

    pub fn from_entries(v: Vec<FieldsEntry>) -> Self {
        if v.is_empty() {
            ManagedFields::Empty
        } else {
            ManagedFields::Entries(Arc::new(v))
        }
    }

    pub fn is_empty(&self) -> bool {
        match self {
            ManagedFields::Empty => true,
            ManagedFields::Json(v) => v.is_empty(),
            ManagedFields::Entries(v) => v.is_empty(),
        }
    }

    /// The entries as JSON values.
    pub fn to_json(&self) -> Cow<'_, [Value]> {
        match self {
            ManagedFields::Empty => Cow::Borrowed(&[]),
            ManagedFields::Json(v) => Cow::Borrowed(v.as_slice()),
            ManagedFields::Entries(v) => Cow::Owned(
                v.iter()
                    .map(|e| serde_json::to_value(e).unwrap_or(Value::Null))
                    .collect(),
            ),
        }
    }

    fn same_allocation(&self, other: &Self) -> bool {
        match (self, other) {
            (ManagedFields::Empty, ManagedFields::Empty) => true,
            (ManagedFields::Json(a), ManagedFields::Json(b)) => Arc::ptr_eq(a, b),
            (ManagedFields::Entries(a), ManagedFields::Entries(b)) => Arc::ptr_eq(a, b),
            _ => false,
        }
    }
}

impl PartialEq for ManagedFields {
    /// Equal when their JSON is (decoded entries compare by their fields: a set's FieldsV1
    /// is equal exactly when the set is).
    fn eq(&self, other: &Self) -> bool {
        use ManagedFields::Entries;
        if self.same_allocation(other) {
            return true;
        }
        if self.is_empty() || other.is_empty() {
            return self.is_empty() && other.is_empty();
        }
        match (self, other) {
            (Entries(a), Entries(b)) => {
                a.len() == b.len() && a.iter().zip(b.iter()).all(|(x, y)| x == y)
            }
            (Entries(a), ManagedFields::Json(j)) | (ManagedFields::Json(j), Entries(a)) => {
                a.len() == j.len()
                    && a.iter().zip(j.iter()).all(|(e, v)| {
                        v.get("manager").and_then(Value::as_str) == Some(e.manager.as_str())
                            && serde_json::to_value(e).is_ok_and(|x| x == *v)
                    })
            }
            _ => self.to_json() == other.to_json(),
        }
    }
}

impl PartialEq for FieldsEntry {
    fn eq(&self, o: &Self) -> bool {
        self.manager == o.manager
            && self.operation == o.operation
            && self.api_version == o.api_version
            && self.time == o.time
            && self.subresource == o.subresource
            && (Arc::ptr_eq(&self.fields, &o.fields) || self.fields.set == o.fields.set)
    }
}

impl std::fmt::Debug for ManagedFields {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.to_json().iter()).finish()
    }
}

impl Serialize for ManagedFields {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            ManagedFields::Empty => s.serialize_seq(Some(0))?.end(),
            ManagedFields::Json(v) => v.serialize(s),
            ManagedFields::Entries(v) => {
                let mut seq = s.serialize_seq(Some(v.len()))?;
                for e in v.iter() {
                    seq.serialize_element(e)?;
                }
                seq.end()
            }
        }
    }
}

impl<'de> Deserialize<'de> for ManagedFields {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Vec::<Value>::deserialize(d).map(ManagedFields::from_json)
    }
}

/// FieldsV1 of a set: nested `f:`/`k:`/`v:` keys, `"."` for a member that has children.
pub fn to_fields_v1(set: &FieldSet) -> Value {
    fn insert(node: &mut Map<String, Value>, path: &[String]) {
        let child = node
            .entry(path[0].clone())
            .or_insert_with(|| Value::Object(Map::new()));
        let m = child.as_object_mut().expect("object");
        if path.len() == 1 {
            if !m.is_empty() {
                m.insert(".".into(), json!({}));
            }
            m.insert("\u{0}member".into(), Value::Null);
        } else {
            if m.contains_key("\u{0}member") {
                m.insert(".".into(), json!({}));
            }
            insert(m, &path[1..]);
        }
    }
    // `emitContentsV1`: a member that has children writes `"."` first, then its children in
    // order (insertion order here, the set's order). `shift_remove` keeps that order.
    fn clean(v: &mut Value) {
        if let Value::Object(m) = v {
            m.shift_remove("\u{0}member");
            for x in m.values_mut() {
                clean(x);
            }
        }
    }
    let mut root = Map::new();
    for p in set {
        insert(&mut root, p);
    }
    let mut v = Value::Object(root);
    clean(&mut v);
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(manager: &str, paths: &[&[&str]], subresource: &str) -> FieldsEntry {
        let set: FieldSet = paths
            .iter()
            .map(|p| p.iter().map(|s| s.to_string()).collect())
            .collect();
        FieldsEntry {
            manager: manager.into(),
            operation: "Update".into(),
            api_version: "certificates.k8s.io/v1".into(),
            time: Some(json!("2030-01-01T00:00:00Z")),
            subresource: subresource.into(),
            fields: Arc::new(OwnedFields::new(set)),
        }
    }

    /// Equal sets end up as one shared set; changing an entry's set copies it first, so the
    /// other holders keep theirs.
    #[test]
    fn equal_sets_are_shared_and_copied_on_change() {
        let paths: &[&[&str]] = &[&["f:spec", "f:request"], &["f:spec", "f:usages"]];
        let a = entry("kubelet", paths, "");
        let mut b = entry("kubelet", paths, "");
        let other = entry("kubelet", &[&["f:spec", "f:signerName"]], "");
        let a = shared_fields(a.fields);
        b.fields = shared_fields(b.fields);
        assert!(Arc::ptr_eq(&a, &b.fields), "equal sets share one");
        assert!(!Arc::ptr_eq(&a, &shared_fields(other.fields)));
        let held = b.fields.clone();
        assert!(
            Arc::ptr_eq(&shared_fields(held.clone()), &held),
            "a set another object holds is kept as it is"
        );
        drop(held);
        b.update_set(|s| {
            s.insert(vec!["f:metadata".to_string(), "f:labels".to_string()]);
        });
        assert_eq!(a.set().len(), 2, "the shared set is unchanged");
        assert_eq!(b.set().len(), 3);
    }

    /// The decoded form serializes as the JSON form of the same entries, and they compare equal.
    #[test]
    fn entries_serialize_as_their_json() {
        let entries = vec![
            entry("kubectl", &[&["f:metadata", "f:labels", "f:a"]], ""),
            entry(
                "kube-controller-manager",
                &[
                    &["f:status", "f:conditions"],
                    &["f:status", "f:conditions", "k:{\"type\":\"Approved\"}"],
                    &[
                        "f:status",
                        "f:conditions",
                        "k:{\"type\":\"Approved\"}",
                        "f:type",
                    ],
                ],
                "approval",
            ),
        ];
        let typed = ManagedFields::from_entries(entries);
        let json_text = serde_json::to_string(&typed).unwrap();
        assert_eq!(
            json_text,
            concat!(
                r#"[{"manager":"kubectl","operation":"Update","apiVersion":"certificates.k8s.io/v1","#,
                r#""time":"2030-01-01T00:00:00Z","fieldsType":"FieldsV1","fieldsV1":{"f:metadata":{"f:labels":{"f:a":{}}}}},"#,
                r#"{"manager":"kube-controller-manager","operation":"Update","apiVersion":"certificates.k8s.io/v1","#,
                r#""time":"2030-01-01T00:00:00Z","fieldsType":"FieldsV1","fieldsV1":{"f:status":{"f:conditions":{".":{},"#,
                r#""k:{\"type\":\"Approved\"}":{".":{},"f:type":{}}}}},"subresource":"approval"}]"#
            )
        );
        let json: Vec<Value> = serde_json::from_str(&json_text).unwrap();
        let from_json = ManagedFields::from_json(json);
        assert_eq!(typed, from_json);
        assert_eq!(serde_json::to_string(&from_json).unwrap(), json_text);
        assert_ne!(typed, ManagedFields::Empty);
        // Any difference in an entry makes them unequal, in either form.
        let ManagedFields::Entries(list) = &typed else {
            panic!("decoded")
        };
        let changes: [fn(&mut FieldsEntry); 3] = [
            |e| e.time = Some(json!("2030-01-01T00:00:01Z")),
            |e| e.subresource = "status".into(),
            |e| {
                e.update_set(|s| {
                    s.insert(vec!["f:metadata".into(), "f:labels".into(), "f:b".into()]);
                })
            },
        ];
        for change in changes {
            let mut other = list.to_vec();
            change(&mut other[0]);
            let other = ManagedFields::from_entries(other);
            assert_ne!(typed, other);
            assert_ne!(from_json, other);
            assert_ne!(
                ManagedFields::from_json(other.to_json().into_owned()),
                typed
            );
        }
        assert!(ManagedFields::from_json(Vec::new()).is_empty());
    }

    /// A changed copy gets its own encoding; the original keeps its own.
    #[test]
    fn a_changed_copy_is_encoded_again() {
        let a = entry("m", &[&["f:metadata", "f:labels", "f:a"]], "");
        assert_eq!(
            a.fields.fields_v1(),
            &json!({"f:metadata": {"f:labels": {"f:a": {}}}})
        );
        let mut b = a.clone();
        b.update_set(|s| {
            s.insert(vec!["f:metadata".into(), "f:labels".into(), "f:b".into()]);
        });
        assert_eq!(
            b.fields.fields_v1(),
            &json!({"f:metadata": {"f:labels": {"f:a": {}, "f:b": {}}}})
        );
        assert_eq!(
            a.fields.fields_v1(),
            &json!({"f:metadata": {"f:labels": {"f:a": {}}}})
        );
    }
}
