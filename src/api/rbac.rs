//! `rbac.authorization.k8s.io/v1` wire types (`staging/src/k8s.io/api/rbac/v1/types.go`):
//! Role, ClusterRole (with `aggregationRule`), RoleBinding, ClusterRoleBinding and their parts.

use super::meta::ObjectMeta;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub const GROUP: &str = "rbac.authorization.k8s.io";
pub const API_VERSION: &str = "rbac.authorization.k8s.io/v1";

/// `rbacv1.VerbAll`, `APIGroupAll`, `ResourceAll`, `NonResourceAll`: the wildcard.
pub const ALL: &str = "*";

/// Subject kinds (`rbacv1.UserKind`, `GroupKind`, `ServiceAccountKind`).
pub const USER_KIND: &str = "User";
pub const GROUP_KIND: &str = "Group";
pub const SERVICE_ACCOUNT_KIND: &str = "ServiceAccount";

/// One rule of a Role or ClusterRole. Empty lists are omitted on the wire, except `verbs`,
/// which upstream always serializes.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[serde(rename_all = "camelCase")]
pub struct PolicyRule {
    #[serde(default, deserialize_with = "null_vec")]
    pub verbs: Vec<String>,
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_vec"
    )]
    pub api_groups: Vec<String>,
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_vec"
    )]
    pub resources: Vec<String>,
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_vec"
    )]
    pub resource_names: Vec<String>,
    #[serde(
        default,
        rename = "nonResourceURLs",
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_vec"
    )]
    pub non_resource_urls: Vec<String>,
}

fn null_vec<'de, D: serde::Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Vec<T>, D::Error> {
    Ok(Option::<Vec<T>>::deserialize(d)?.unwrap_or_default())
}

fn v(xs: &[&str]) -> Vec<String> {
    xs.iter().map(|s| s.to_string()).collect()
}

impl PolicyRule {
    /// A resource rule (`rbacv1helpers.NewRule(verbs...).Groups(..).Resources(..)`).
    pub fn resource(verbs: &[&str], groups: &[&str], resources: &[&str]) -> PolicyRule {
        PolicyRule {
            verbs: v(verbs),
            api_groups: v(groups),
            resources: v(resources),
            ..Default::default()
        }
    }
    /// Restrict to named objects (`.Names(...)`).
    pub fn names(mut self, names: &[&str]) -> PolicyRule {
        self.resource_names = v(names);
        self
    }
    /// A non-resource rule (`.URLs(...)`).
    pub fn urls(verbs: &[&str], urls: &[&str]) -> PolicyRule {
        PolicyRule {
            verbs: v(verbs),
            non_resource_urls: v(urls),
            ..Default::default()
        }
    }
}

/// A binding subject.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[serde(rename_all = "camelCase")]
pub struct Subject {
    pub kind: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub api_group: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub namespace: String,
}

impl Subject {
    pub fn user(name: &str) -> Subject {
        Subject {
            kind: USER_KIND.into(),
            api_group: GROUP.into(),
            name: name.into(),
            namespace: String::new(),
        }
    }
    pub fn group(name: &str) -> Subject {
        Subject {
            kind: GROUP_KIND.into(),
            api_group: GROUP.into(),
            name: name.into(),
            namespace: String::new(),
        }
    }
    pub fn service_account(namespace: &str, name: &str) -> Subject {
        Subject {
            kind: SERVICE_ACCOUNT_KIND.into(),
            api_group: String::new(),
            name: name.into(),
            namespace: namespace.into(),
        }
    }
}

/// What a binding grants: a Role (same namespace) or a ClusterRole.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[serde(rename_all = "camelCase")]
pub struct RoleRef {
    pub api_group: String,
    pub kind: String,
    pub name: String,
}

/// `metav1.LabelSelectorRequirement`.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct LabelSelectorRequirement {
    pub key: String,
    pub operator: String,
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_vec"
    )]
    pub values: Vec<String>,
}

/// `metav1.LabelSelector`.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct LabelSelector {
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub match_labels: BTreeMap<String, String>,
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_vec"
    )]
    pub match_expressions: Vec<LabelSelectorRequirement>,
}

impl LabelSelector {
    /// `metav1.LabelSelectorAsSelector(...).Matches(labels)`. An empty selector matches
    /// everything; an unknown operator matches nothing (upstream: conversion error, skipped).
    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        for (k, want) in &self.match_labels {
            if labels.get(k) != Some(want) {
                return false;
            }
        }
        for r in &self.match_expressions {
            let have = labels.get(&r.key);
            let ok = match r.operator.as_str() {
                "In" => have.is_some_and(|h| r.values.contains(h)),
                "NotIn" => have.is_none_or(|h| !r.values.contains(h)),
                "Exists" => have.is_some(),
                "DoesNotExist" => have.is_none(),
                _ => false,
            };
            if !ok {
                return false;
            }
        }
        true
    }
}

/// `rbacv1.AggregationRule`.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct AggregationRule {
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_vec"
    )]
    pub cluster_role_selectors: Vec<LabelSelector>,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Role {
    #[serde(default)]
    pub api_version: String,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub metadata: ObjectMeta,
    #[serde(default, deserialize_with = "null_vec")]
    pub rules: Vec<PolicyRule>,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ClusterRole {
    #[serde(default)]
    pub api_version: String,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub metadata: ObjectMeta,
    #[serde(default, deserialize_with = "null_vec")]
    pub rules: Vec<PolicyRule>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aggregation_rule: Option<AggregationRule>,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct RoleBinding {
    #[serde(default)]
    pub api_version: String,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub metadata: ObjectMeta,
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_vec"
    )]
    pub subjects: Vec<Subject>,
    #[serde(default)]
    pub role_ref: RoleRef,
}

/// Same shape as [`RoleBinding`], cluster-scoped.
pub type ClusterRoleBinding = RoleBinding;

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn rule_wire_shape_matches_upstream_field_names() {
        let r = PolicyRule::resource(&["get"], &[""], &["pods"]).names(&["a"]);
        assert_eq!(
            serde_json::to_value(&r).unwrap(),
            json!({"verbs":["get"],"apiGroups":[""],"resources":["pods"],"resourceNames":["a"]})
        );
        let u = PolicyRule::urls(&["get"], &["/healthz"]);
        assert_eq!(
            serde_json::to_value(&u).unwrap(),
            json!({"verbs":["get"],"nonResourceURLs":["/healthz"]})
        );
        let back: PolicyRule =
            serde_json::from_value(json!({"verbs":["get"],"resources":null})).unwrap();
        assert!(back.resources.is_empty());
    }

    #[test]
    fn label_selector_operators() {
        let labels: BTreeMap<String, String> = [("a".to_string(), "1".to_string())].into();
        let sel = |v: serde_json::Value| {
            serde_json::from_value::<LabelSelector>(v)
                .unwrap()
                .matches(&labels)
        };
        assert!(sel(json!({})));
        assert!(sel(json!({"matchLabels":{"a":"1"}})));
        assert!(!sel(json!({"matchLabels":{"a":"2"}})));
        assert!(sel(
            json!({"matchExpressions":[{"key":"a","operator":"In","values":["1","2"]}]})
        ));
        assert!(!sel(
            json!({"matchExpressions":[{"key":"a","operator":"NotIn","values":["1"]}]})
        ));
        assert!(sel(
            json!({"matchExpressions":[{"key":"b","operator":"NotIn","values":["1"]}]})
        ));
        assert!(sel(
            json!({"matchExpressions":[{"key":"a","operator":"Exists"}]})
        ));
        assert!(!sel(
            json!({"matchExpressions":[{"key":"a","operator":"DoesNotExist"}]})
        ));
        assert!(!sel(
            json!({"matchExpressions":[{"key":"a","operator":"Bogus"}]})
        ));
    }
}
