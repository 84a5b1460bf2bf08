//! Privilege-escalation prevention on RBAC writes
//! (`pkg/registry/rbac/{role,clusterrole,rolebinding,clusterrolebinding}/policybased/storage.go`,
//! `pkg/registry/rbac/escalation_check.go`, `pkg/registry/rbac/validation/policy_compact.go`,
//! `rule.go`): you may only write a role whose rules you already hold, or a binding to a role
//! whose rules you already hold, unless you are in `system:masters` or are allowed the
//! `escalate` (roles) / `bind` (bindings) verb on that role.
//!
//! The functions return the error text apiserver wraps as
//! `apierrors.NewForbidden(<resource>.rbac.authorization.k8s.io, name, err)`; the core builds
//! the Status with [`crate::api::Status::forbidden`].

use super::identity::{Identity, SYSTEM_MASTERS};
use super::rbac::Rbac;
use super::Attributes;
use crate::api::rbac::{ClusterRole, PolicyRule, Role, RoleBinding, ALL, GROUP};
use crate::validation::field::quote;
use serde_json::Value;
use std::collections::BTreeSet;

/// The error of a ClusterRole write with `aggregationRule` by someone without `*` on `*.*`.
pub const AGGREGATION_RULE_MESSAGE: &str =
    "must have cluster-admin privileges to use the aggregationRule";

/// `fullAuthority`: what you must hold to set an aggregation rule.
fn full_authority() -> Vec<PolicyRule> {
    vec![
        PolicyRule::resource(&[ALL], &[ALL], &[ALL]),
        PolicyRule::urls(&[ALL], &[ALL]),
    ]
}

/// Go's `%q` of a `[]string`: `["a" "b"]`.
pub fn go_quote_list(xs: &[String]) -> String {
    format!(
        "[{}]",
        xs.iter().map(|s| quote(s)).collect::<Vec<_>>().join(" ")
    )
}

/// `EscalationAllowed`: members of `system:masters` may grant anything.
fn escalation_allowed(user: &Identity) -> bool {
    user.in_group(SYSTEM_MASTERS)
}

/// `RoleEscalationAuthorized`: the `escalate` verb on the role being written.
fn role_escalation_authorized(
    rbac: &Rbac,
    user: &Identity,
    resource: &str,
    namespace: &str,
    name: &str,
) -> bool {
    rbac.authorize(&Attributes {
        user: user.clone(),
        verb: "escalate".into(),
        resource_request: true,
        api_group: GROUP.into(),
        resource: resource.into(),
        namespace: namespace.into(),
        name: name.into(),
        ..Default::default()
    })
    .allowed()
}

/// `BindingAuthorized`: the `bind` verb on the referenced role, in the binding's namespace.
fn binding_authorized(rbac: &Rbac, user: &Identity, b: &RoleBinding, namespace: &str) -> bool {
    let resource = match b.role_ref.kind.as_str() {
        "ClusterRole" => "clusterroles",
        "Role" => "roles",
        _ => return false,
    };
    rbac.authorize(&Attributes {
        user: user.clone(),
        verb: "bind".into(),
        resource_request: true,
        api_group: b.role_ref.api_group.clone(),
        resource: resource.into(),
        namespace: namespace.into(),
        name: b.role_ref.name.clone(),
        ..Default::default()
    })
    .allowed()
}

/// `BreakdownRule`: one rule per (group, resource, verb[, name]) and per (url, verb).
pub fn breakdown_rule(rule: &PolicyRule) -> Vec<PolicyRule> {
    let mut out = Vec::new();
    for g in &rule.api_groups {
        for r in &rule.resources {
            for v in &rule.verbs {
                let base = PolicyRule {
                    verbs: vec![v.clone()],
                    api_groups: vec![g.clone()],
                    resources: vec![r.clone()],
                    ..Default::default()
                };
                if rule.resource_names.is_empty() {
                    out.push(base);
                } else {
                    for n in &rule.resource_names {
                        out.push(PolicyRule {
                            resource_names: vec![n.clone()],
                            ..base.clone()
                        });
                    }
                }
            }
        }
    }
    for u in &rule.non_resource_urls {
        for v in &rule.verbs {
            out.push(PolicyRule {
                verbs: vec![v.clone()],
                non_resource_urls: vec![u.clone()],
                ..Default::default()
            });
        }
    }
    out
}

fn has(list: &[String], x: &str) -> bool {
    list.iter().any(|s| s == x)
}

fn has_all(set: &[String], contains: &[String]) -> bool {
    contains.iter().all(|c| has(set, c))
}

fn resource_covers_all(set: &[String], covers: &[String]) -> bool {
    if has(set, ALL) || has_all(set, covers) {
        return true;
    }
    covers.iter().all(|path| {
        if has(set, path) {
            return true;
        }
        match path.split_once('/') {
            None => false,
            Some((_, sub)) => has(set, &format!("*/{sub}")),
        }
    })
}

fn non_resource_url_covers(owner: &str, sub: &str) -> bool {
    owner == sub || (owner.ends_with('*') && sub.starts_with(owner.trim_end_matches('*')))
}

/// `ruleCovers`: does `owner` grant everything the broken-down `sub` rule grants?
pub fn rule_covers(owner: &PolicyRule, sub: &PolicyRule) -> bool {
    let verbs = has(&owner.verbs, ALL) || has_all(&owner.verbs, &sub.verbs);
    let groups = has(&owner.api_groups, ALL) || has_all(&owner.api_groups, &sub.api_groups);
    let resources = resource_covers_all(&owner.resources, &sub.resources);
    let urls = sub.non_resource_urls.iter().all(|p| {
        owner
            .non_resource_urls
            .iter()
            .any(|o| non_resource_url_covers(o, p))
    });
    let names = if sub.resource_names.is_empty() {
        owner.resource_names.is_empty()
    } else {
        owner.resource_names.is_empty() || has_all(&owner.resource_names, &sub.resource_names)
    };
    verbs && groups && resources && names && urls
}

/// `Covers`: whether `owner` covers `servant`, and the uncovered broken-down rules.
pub fn covers(owner: &[PolicyRule], servant: &[PolicyRule]) -> (bool, Vec<PolicyRule>) {
    let missing: Vec<PolicyRule> = servant
        .iter()
        .flat_map(breakdown_rule)
        .filter(|sub| !owner.iter().any(|o| rule_covers(o, sub)))
        .collect();
    (missing.is_empty(), missing)
}

/// `CompactRules`: merge single-group/single-resource rules (at most one name) that differ
/// only by verb.
pub fn compact_rules(rules: &[PolicyRule]) -> Vec<PolicyRule> {
    let mut out = Vec::new();
    type Key = (String, String, Option<String>);
    let mut simple: Vec<(Key, PolicyRule)> = Vec::new();
    for r in rules {
        let is_simple = r.resource_names.len() <= 1
            && r.non_resource_urls.is_empty()
            && r.api_groups.len() == 1
            && r.resources.len() == 1;
        if !is_simple {
            out.push(r.clone());
            continue;
        }
        let key = (
            r.api_groups[0].clone(),
            r.resources[0].clone(),
            r.resource_names.first().cloned(),
        );
        match simple.iter_mut().find(|(k, _)| *k == key) {
            Some((_, existing)) => existing.verbs.extend(r.verbs.iter().cloned()),
            None => simple.push((key, r.clone())),
        }
    }
    out.extend(simple.into_iter().map(|(_, r)| r));
    out
}

/// `rbacv1helpers.CompactString`: `{APIGroups:["x"], Resources:["y"], Verbs:["get"]}`.
pub fn compact_string(r: &PolicyRule) -> String {
    let mut parts = Vec::new();
    if !r.api_groups.is_empty() {
        parts.push(format!("APIGroups:{}", go_quote_list(&r.api_groups)));
    }
    if !r.resources.is_empty() {
        parts.push(format!("Resources:{}", go_quote_list(&r.resources)));
    }
    if !r.non_resource_urls.is_empty() {
        parts.push(format!(
            "NonResourceURLs:{}",
            go_quote_list(&r.non_resource_urls)
        ));
    }
    if !r.resource_names.is_empty() {
        parts.push(format!(
            "ResourceNames:{}",
            go_quote_list(&r.resource_names)
        ));
    }
    if !r.verbs.is_empty() {
        parts.push(format!("Verbs:{}", go_quote_list(&r.verbs)));
    }
    format!("{{{}}}", parts.join(", "))
}

/// `ConfirmNoEscalation`: the user's own RBAC rules in `namespace` must cover `rules`.
pub fn confirm_no_escalation(
    rbac: &Rbac,
    user: &Identity,
    namespace: &str,
    rules: &[PolicyRule],
) -> Result<(), String> {
    let (owner, resolution_err) = rbac.rules_for(user, namespace);
    let (ok, missing) = covers(&owner, rules);
    if ok {
        return Ok(());
    }
    let descriptions: BTreeSet<String> =
        compact_rules(&missing).iter().map(compact_string).collect();
    let mut msg = format!(
        "user {} (groups={}) is attempting to grant RBAC permissions not currently held:\n{}",
        quote(&user.user),
        go_quote_list(&user.groups),
        descriptions.into_iter().collect::<Vec<_>>().join("\n")
    );
    if let Some(e) = resolution_err {
        msg.push_str(&format!("; resolution errors: [{e}]"));
    }
    Err(msg)
}

fn has_aggregation_rule(obj: &Value) -> bool {
    serde_json::from_value::<ClusterRole>(obj.clone())
        .ok()
        .and_then(|c| c.aggregation_rule)
        .is_some_and(|a| !a.cluster_role_selectors.is_empty())
}

fn role_rules(resource: &str, obj: &Value) -> Result<Vec<PolicyRule>, String> {
    if resource == "clusterroles" {
        serde_json::from_value::<ClusterRole>(obj.clone())
            .map(|c| c.rules)
            .map_err(|e| e.to_string())
    } else {
        serde_json::from_value::<Role>(obj.clone())
            .map(|c| c.rules)
            .map_err(|e| e.to_string())
    }
}

/// Create of a Role (`resource = "roles"`) or ClusterRole (`"clusterroles"`): policy-based
/// storage's check. `Err` is the text after `... is forbidden: `.
pub fn check_role_write(
    rbac: &Rbac,
    user: &Identity,
    resource: &str,
    namespace: &str,
    obj: &Value,
) -> Result<(), String> {
    check_role_update(rbac, user, resource, namespace, obj, None)
}

/// Update of a Role/ClusterRole. An aggregation rule on either the old or the new object
/// requires full authority.
pub fn check_role_update(
    rbac: &Rbac,
    user: &Identity,
    resource: &str,
    namespace: &str,
    obj: &Value,
    old: Option<&Value>,
) -> Result<(), String> {
    let name = obj["metadata"]["name"].as_str().unwrap_or_default();
    if escalation_allowed(user) || role_escalation_authorized(rbac, user, resource, namespace, name)
    {
        return Ok(());
    }
    if old.is_some_and(|o| is_only_mutating_gc_fields(obj, o)) {
        return Ok(());
    }
    let rules = role_rules(resource, obj)?;
    confirm_no_escalation(rbac, user, namespace, &rules)?;
    if resource == "clusterroles"
        && (has_aggregation_rule(obj) || old.is_some_and(has_aggregation_rule))
    {
        confirm_no_escalation(rbac, user, namespace, &full_authority())
            .map_err(|_| AGGREGATION_RULE_MESSAGE.to_string())?;
    }
    Ok(())
}

/// `IsOnlyMutatingGCFields`: the update changes nothing but ownerReferences, finalizers,
/// selfLink or managedFields (what the garbage collector touches), so no escalation check.
pub fn is_only_mutating_gc_fields(obj: &Value, old: &Value) -> bool {
    let mut copied = obj.clone();
    for f in ["ownerReferences", "finalizers", "selfLink", "managedFields"] {
        let old_v = old.get("metadata").and_then(|m| m.get(f)).cloned();
        if let Some(m) = copied.get_mut("metadata").and_then(|m| m.as_object_mut()) {
            match old_v {
                Some(v) => {
                    m.insert(f.to_string(), v);
                }
                None => {
                    m.remove(f);
                }
            }
        }
    }
    &copied == old
}

/// Update of a RoleBinding/ClusterRoleBinding: GC-only changes skip the check, as upstream.
pub fn check_binding_update(
    rbac: &Rbac,
    user: &Identity,
    resource: &str,
    namespace: &str,
    obj: &Value,
    old: Option<&Value>,
) -> Result<(), String> {
    if escalation_allowed(user) {
        return Ok(());
    }
    if old.is_some_and(|o| is_only_mutating_gc_fields(obj, o)) {
        return Ok(());
    }
    check_binding_write(rbac, user, resource, namespace, obj)
}

/// Create or update of a RoleBinding/ClusterRoleBinding (`namespace` empty for the latter).
pub fn check_binding_write(
    rbac: &Rbac,
    user: &Identity,
    _resource: &str,
    namespace: &str,
    obj: &Value,
) -> Result<(), String> {
    if escalation_allowed(user) {
        return Ok(());
    }
    let b: RoleBinding = serde_json::from_value(obj.clone()).map_err(|e| e.to_string())?;
    if binding_authorized(rbac, user, &b, namespace) {
        return Ok(());
    }
    let rules = rbac.role_ref_rules(&b.role_ref, namespace)?;
    confirm_no_escalation(rbac, user, namespace, &rules)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::rbac::{CLUSTER_ROLES, CLUSTER_ROLE_BINDINGS, ROLES, ROLE_BINDINGS};
    use serde_json::json;

    fn setup() -> Rbac {
        let mut r = Rbac::new();
        r.on_write(
            ROLES,
            "default",
            "pod-reader",
            Some(&json!({"metadata":{"name":"pod-reader"},
            "rules":[{"verbs":["get","list"],"apiGroups":[""],"resources":["pods"]}]})),
        );
        r.on_write(
            ROLE_BINDINGS,
            "default",
            "alice-reads",
            Some(&json!({"metadata":{"name":"alice-reads"},
            "subjects":[{"kind":"User","name":"alice"}],
            "roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"Role","name":"pod-reader"}})),
        );
        r
    }

    fn role(rules: Value) -> Value {
        json!({"metadata":{"name":"r"},"rules":rules})
    }

    #[test]
    fn may_only_grant_what_you_hold() {
        let r = setup();
        let alice = Identity::user("alice", &[]);
        assert_eq!(
            check_role_write(
                &r,
                &alice,
                "roles",
                "default",
                &role(json!([{"verbs":["get"],"apiGroups":[""],"resources":["pods"]}]))
            ),
            Ok(())
        );
        // Upstream TestEscalation-style message: compacted, sorted, one rule per line.
        let err = check_role_write(
            &r,
            &alice,
            "roles",
            "default",
            &role(json!([{"verbs":["get","create","delete"],"apiGroups":[""],"resources":["pods","secrets"]}])),
        )
        .unwrap_err();
        assert_eq!(
            err,
            "user \"alice\" (groups=[\"system:authenticated\"]) is attempting to grant RBAC permissions not currently held:\n\
             {APIGroups:[\"\"], Resources:[\"pods\"], Verbs:[\"create\" \"delete\"]}\n\
             {APIGroups:[\"\"], Resources:[\"secrets\"], Verbs:[\"get\" \"create\" \"delete\"]}"
        );
        // Held in default only.
        assert!(check_role_write(
            &r,
            &alice,
            "roles",
            "other",
            &role(json!([{"verbs":["get"],"apiGroups":[""],"resources":["pods"]}]))
        )
        .is_err());
        // Masters may grant anything.
        assert_eq!(
            check_role_write(
                &r,
                &Identity::admin(),
                "clusterroles",
                "",
                &role(json!([{"verbs":["*"],"apiGroups":["*"],"resources":["*"]}]))
            ),
            Ok(())
        );
    }

    #[test]
    fn escalate_and_bind_verbs() {
        let mut r = setup();
        r.on_write(CLUSTER_ROLES, "", "rbac-manager", Some(&json!({"metadata":{"name":"rbac-manager"},
            "rules":[{"verbs":["escalate","bind"],"apiGroups":["rbac.authorization.k8s.io"],"resources":["roles","clusterroles"]}]})));
        r.on_write(CLUSTER_ROLE_BINDINGS, "", "bob", Some(&json!({"metadata":{"name":"bob"},
            "subjects":[{"kind":"User","name":"bob"}],
            "roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"rbac-manager"}})));
        let bob = Identity::user("bob", &[]);
        let big = role(json!([{"verbs":["*"],"apiGroups":["*"],"resources":["*"]}]));
        assert_eq!(check_role_write(&r, &bob, "clusterroles", "", &big), Ok(()));
        let b = json!({"metadata":{"name":"b"},"subjects":[{"kind":"User","name":"x"}],
            "roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"cluster-admin"}});
        assert_eq!(
            check_binding_write(&r, &bob, "clusterrolebindings", "", &b),
            Ok(())
        );
        // alice has neither: binding to a missing role reports the lookup error
        let alice = Identity::user("alice", &[]);
        assert_eq!(
            check_binding_write(&r, &alice, "clusterrolebindings", "", &b),
            Err(r#"clusterrole.rbac.authorization.k8s.io "cluster-admin" not found"#.into())
        );
        // binding a role alice fully holds is fine without bind
        let ok = json!({"metadata":{"name":"b"},"subjects":[{"kind":"User","name":"carol"}],
            "roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"Role","name":"pod-reader"}});
        assert_eq!(
            check_binding_write(&r, &alice, "rolebindings", "default", &ok),
            Ok(())
        );
    }

    #[test]
    fn gc_only_updates_skip_the_check() {
        let r = setup();
        let alice = Identity::user("alice", &[]);
        let old = json!({"metadata":{"name":"big","resourceVersion":"5"},
            "rules":[{"verbs":["*"],"apiGroups":["*"],"resources":["*"]}]});
        let mut gc = old.clone();
        gc["metadata"]["finalizers"] = json!(["x"]);
        gc["metadata"]["ownerReferences"] = json!([{"kind":"X","name":"y"}]);
        assert_eq!(
            check_role_update(&r, &alice, "clusterroles", "", &gc, Some(&old)),
            Ok(())
        );
        let mut label = old.clone();
        label["metadata"]["labels"] = json!({"a":"b"});
        assert!(check_role_update(&r, &alice, "clusterroles", "", &label, Some(&old)).is_err());
        let b = json!({"metadata":{"name":"b"},"subjects":[{"kind":"User","name":"x"}],
            "roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"nope"}});
        let mut b_gc = b.clone();
        b_gc["metadata"]["finalizers"] = json!(["x"]);
        assert_eq!(
            check_binding_update(&r, &alice, "clusterrolebindings", "", &b_gc, Some(&b)),
            Ok(())
        );
        assert!(check_binding_update(&r, &alice, "clusterrolebindings", "", &b_gc, None).is_err());
    }

    #[test]
    fn aggregation_rule_needs_full_authority() {
        let r = setup();
        let alice = Identity::user("alice", &[]);
        let agg = json!({"metadata":{"name":"agg"},"rules":[],
            "aggregationRule":{"clusterRoleSelectors":[{"matchLabels":{"a":"b"}}]}});
        assert_eq!(
            check_role_write(&r, &alice, "clusterroles", "", &agg),
            Err(AGGREGATION_RULE_MESSAGE.into())
        );
    }

    #[test]
    fn covers_subresources_and_names() {
        let owner = vec![
            PolicyRule::resource(&["update"], &["certificates.k8s.io"], &["*/approval"]),
            PolicyRule::resource(&["approve"], &["certificates.k8s.io"], &["signers"])
                .names(&["a", "b"]),
            PolicyRule::urls(&["get"], &["/healthz/*"]),
        ];
        let ok = [
            PolicyRule::resource(
                &["update"],
                &["certificates.k8s.io"],
                &["certificatesigningrequests/approval"],
            ),
            PolicyRule::resource(&["approve"], &["certificates.k8s.io"], &["signers"])
                .names(&["a"]),
            PolicyRule::urls(&["get"], &["/healthz/ready"]),
        ];
        for r in ok {
            assert!(covers(&owner, std::slice::from_ref(&r)).0, "{r:?}");
        }
        let bad = [
            PolicyRule::resource(
                &["update"],
                &["certificates.k8s.io"],
                &["certificatesigningrequests"],
            ),
            PolicyRule::resource(&["approve"], &["certificates.k8s.io"], &["signers"]),
            PolicyRule::resource(&["approve"], &["certificates.k8s.io"], &["signers"])
                .names(&["c"]),
            PolicyRule::urls(&["get"], &["/healthz"]),
        ];
        for r in bad {
            assert!(!covers(&owner, std::slice::from_ref(&r)).0, "{r:?}");
        }
    }
}
