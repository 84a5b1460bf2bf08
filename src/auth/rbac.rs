//! RBAC authorization (`plugin/pkg/auth/authorizer/rbac/rbac.go`,
//! `pkg/registry/rbac/validation/rule.go`) plus the two authorizers kube-apiserver runs in
//! front of it in a kubeadm cluster (`--authorization-mode=Node,RBAC`): the privileged-group
//! short-circuit for `system:masters` and the Node authorizer's static node rules.
//!
//! [`Rbac`] is a projection of the stored Role/ClusterRole/RoleBinding/ClusterRoleBinding
//! objects; the core keeps it current by calling [`Rbac::on_write`] for every committed write.
//! ClusterRole aggregation (`aggregationRule`) is resolved here, as the
//! `clusterrole-aggregation` controller would have written it: an aggregated ClusterRole's
//! effective rules are the de-duplicated rules of every *other* ClusterRole its selectors
//! match, in name order (recursively through aggregated roles).

use super::identity::{Identity, SYSTEM_MASTERS};
use super::{Attributes, Decision};
use crate::api::rbac::{
    AggregationRule, ClusterRole, PolicyRule, Role, RoleBinding, RoleRef, Subject, ALL,
};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// `serviceaccount.ServiceAccountUsernamePrefix`.
pub const SERVICE_ACCOUNT_USERNAME_PREFIX: &str = "system:serviceaccount:";

/// Resources the core registers with [`Rbac::on_write`].
pub const ROLES: &str = "roles";
pub const CLUSTER_ROLES: &str = "clusterroles";
pub const ROLE_BINDINGS: &str = "rolebindings";
pub const CLUSTER_ROLE_BINDINGS: &str = "clusterrolebindings";

#[derive(Clone, Debug, Default)]
struct ClusterRoleEntry {
    labels: BTreeMap<String, String>,
    rules: Vec<PolicyRule>,
    aggregation: Option<AggregationRule>,
}

/// One binding as the index keeps it.
#[derive(Clone, Debug, Default, PartialEq)]
struct BindingEntry {
    subjects: Vec<Subject>,
    role_ref: RoleRef,
}

/// One of kube-apiserver's `--authorization-mode` values that csrsim has. The chain is the
/// privileged group `system:masters` (always first, as `BuildAuthorizer` adds it), then the
/// modes in the order given; the rule resolvers of `SelfSubjectRulesReview` follow the same
/// order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuthorizationMode {
    /// `authorizerfactory.NewAlwaysAllowAuthorizer`: Allow, no reason; rules `*`.
    AlwaysAllow,
    /// `authorizerfactory.NewAlwaysDenyAuthorizer`: NoOpinion `Everything is forbidden.`.
    AlwaysDeny,
    /// The Node authorizer (static node rules).
    Node,
    /// RBAC.
    Rbac,
}

/// kube-apiserver's `--authorization-mode` as kubeadm sets it.
pub const DEFAULT_AUTHORIZATION_MODES: &[AuthorizationMode] =
    &[AuthorizationMode::Node, AuthorizationMode::Rbac];

impl AuthorizationMode {
    /// A comma-separated `--authorization-mode` list, checked as kube-apiserver's
    /// `BuiltInAuthorizationOptions.Validate` does (known names, no repeats, not empty).
    pub fn parse_list(s: &str) -> Result<Vec<AuthorizationMode>, String> {
        let mut out = Vec::new();
        for m in s.split(',') {
            let mode = match m {
                "AlwaysAllow" => AuthorizationMode::AlwaysAllow,
                "AlwaysDeny" => AuthorizationMode::AlwaysDeny,
                "Node" => AuthorizationMode::Node,
                "RBAC" => AuthorizationMode::Rbac,
                _ => {
                    return Err(format!(
                        "authorization-mode {m:?} is not a valid mode (csrsim has AlwaysAllow, AlwaysDeny, Node, RBAC)"
                    ))
                }
            };
            if out.contains(&mode) {
                return Err(format!(
                    "authorization-mode {m:?} has mode specified more than once"
                ));
            }
            out.push(mode);
        }
        Ok(out)
    }
}

/// The RBAC index.
#[derive(Default, Clone, Debug)]
pub struct Rbac {
    /// The authorizer chain after `system:masters`; empty means [`DEFAULT_AUTHORIZATION_MODES`].
    modes: Vec<AuthorizationMode>,
    roles: BTreeMap<(String, String), Vec<PolicyRule>>,
    cluster_roles: BTreeMap<String, ClusterRoleEntry>,
    role_bindings: BTreeMap<(String, String), BindingEntry>,
    cluster_role_bindings: BTreeMap<String, BindingEntry>,
    /// Effective rules of every ClusterRole after aggregation, recomputed on each ClusterRole write.
    effective: BTreeMap<String, Vec<PolicyRule>>,
}

/// Where a rule came from, for the `RBAC: allowed by ...` reason.
struct Source<'a> {
    binding_kind: &'static str,
    binding_name: &'a str,
    role_ref: &'a RoleRef,
    subject: &'a Subject,
    namespace: &'a str,
}

/// `VisitRulesFor`'s callback: (source, rule) or a resolution error; false stops the walk.
type Visitor<'v> = dyn FnMut(Option<&Source>, Option<&PolicyRule>, Option<String>) -> bool + 'v;

impl Source<'_> {
    /// `clusterRoleBindingDescriber` / `roleBindingDescriber`. Built once per allowed request,
    /// so it is written piecewise rather than through `format!`'s `{:?}` (1.6 % of a fleet run).
    fn describe(&self) -> String {
        let mut out = String::with_capacity(96);
        out.push_str(self.binding_kind);
        out.push(' ');
        if self.binding_kind == "RoleBinding" {
            // `RoleBinding "name/namespace"`
            push_quoted(
                &mut out,
                &format!("{}/{}", self.binding_name, self.namespace),
            );
        } else {
            push_quoted(&mut out, self.binding_name);
        }
        out.push_str(" of ");
        out.push_str(&self.role_ref.kind);
        out.push(' ');
        push_quoted(&mut out, &self.role_ref.name);
        out.push_str(" to ");
        out.push_str(&describe_subject(self.subject, self.namespace));
        out
    }
}

/// `s` as `{:?}` writes it, without the formatter for the common plain-ASCII name.
fn push_quoted(out: &mut String, s: &str) {
    if s.bytes()
        .all(|b| (0x20..0x7f).contains(&b) && b != b'"' && b != b'\\')
    {
        out.push('"');
        out.push_str(s);
        out.push('"');
    } else {
        out.push_str(&format!("{s:?}"));
    }
}

/// `describeSubject`: ServiceAccounts as `name/namespace` (sic, upstream order).
fn describe_subject(s: &Subject, binding_namespace: &str) -> String {
    match s.kind.as_str() {
        "ServiceAccount" => {
            let ns = if s.namespace.is_empty() {
                binding_namespace
            } else {
                &s.namespace
            };
            format!("{} {:?}", s.kind, format!("{}/{ns}", s.name))
        }
        _ => {
            let mut out = String::with_capacity(s.kind.len() + s.name.len() + 3);
            out.push_str(&s.kind);
            out.push(' ');
            push_quoted(&mut out, &s.name);
            out
        }
    }
}

impl Rbac {
    pub fn new() -> Self {
        Rbac::default()
    }

    /// Set the authorizer chain (`--authorization-mode`).
    pub fn set_modes(&mut self, modes: &[AuthorizationMode]) {
        self.modes = modes.to_vec();
    }

    /// The authorizer chain after `system:masters`.
    pub fn modes(&self) -> &[AuthorizationMode] {
        if self.modes.is_empty() {
            DEFAULT_AUTHORIZATION_MODES
        } else {
            &self.modes
        }
    }

    /// Keep the index current: `obj` is the new object, or `None` after a delete. Objects that
    /// do not decode are dropped from the index (the core validated them before committing).
    pub fn on_write(&mut self, resource: &str, namespace: &str, name: &str, obj: Option<&Value>) {
        let key = (namespace.to_string(), name.to_string());
        match resource {
            ROLES => match obj.and_then(|o| serde_json::from_value::<Role>(o.clone()).ok()) {
                Some(r) => {
                    self.roles.insert(key, r.rules);
                }
                None => {
                    self.roles.remove(&key);
                }
            },
            CLUSTER_ROLES => {
                match obj.and_then(|o| serde_json::from_value::<ClusterRole>(o.clone()).ok()) {
                    Some(r) => {
                        self.cluster_roles.insert(
                            name.to_string(),
                            ClusterRoleEntry {
                                labels: r.metadata.labels,
                                rules: r.rules,
                                aggregation: r.aggregation_rule,
                            },
                        );
                    }
                    None => {
                        self.cluster_roles.remove(name);
                    }
                }
                self.recompute_aggregation();
            }
            ROLE_BINDINGS | CLUSTER_ROLE_BINDINGS => {
                let b = obj
                    .and_then(|o| serde_json::from_value::<RoleBinding>(o.clone()).ok())
                    .map(|b| BindingEntry {
                        subjects: b.subjects,
                        role_ref: b.role_ref,
                    });
                if resource == ROLE_BINDINGS {
                    match b {
                        Some(b) => self.role_bindings.insert(key, b),
                        None => self.role_bindings.remove(&key),
                    };
                } else {
                    match b {
                        Some(b) => self.cluster_role_bindings.insert(name.to_string(), b),
                        None => self.cluster_role_bindings.remove(name),
                    };
                }
            }
            _ => {}
        }
    }

    /// Effective (post-aggregation) rules of a ClusterRole, as the aggregation controller
    /// would have written them into `rules`. `None` if the role does not exist.
    pub fn cluster_role_rules(&self, name: &str) -> Option<&[PolicyRule]> {
        self.effective.get(name).map(|v| v.as_slice())
    }

    /// Rules of a namespaced Role.
    pub fn role_rules(&self, namespace: &str, name: &str) -> Option<&[PolicyRule]> {
        self.roles
            .get(&(namespace.to_string(), name.to_string()))
            .map(|v| v.as_slice())
    }

    fn recompute_aggregation(&mut self) {
        let mut eff = BTreeMap::new();
        for name in self.cluster_roles.keys() {
            let mut visiting = BTreeSet::new();
            eff.insert(name.clone(), self.aggregate(name, &mut visiting));
        }
        self.effective = eff;
    }

    /// `ClusterRoleAggregationController.syncClusterRole`: for an aggregated role, the union of
    /// the (effective) rules of every other matching ClusterRole, in name order, without
    /// semantic duplicates; its own `rules` are replaced. Cycles contribute nothing further.
    fn aggregate(&self, name: &str, visiting: &mut BTreeSet<String>) -> Vec<PolicyRule> {
        let Some(entry) = self.cluster_roles.get(name) else {
            return Vec::new();
        };
        let Some(agg) = &entry.aggregation else {
            return entry.rules.clone();
        };
        if !visiting.insert(name.to_string()) {
            return entry.rules.clone();
        }
        let mut out: Vec<PolicyRule> = Vec::new();
        for (other, oe) in &self.cluster_roles {
            if other == name {
                continue;
            }
            if !agg
                .cluster_role_selectors
                .iter()
                .any(|s| s.matches(&oe.labels))
            {
                continue;
            }
            for r in self.aggregate(other, visiting) {
                if !out.iter().any(|x| rule_semantic_eq(x, &r)) {
                    out.push(r);
                }
            }
        }
        visiting.remove(name);
        out
    }

    /// `GetRoleReferenceRules`: the rules a roleRef points at, or the lister's NotFound text.
    pub fn role_ref_rules(
        &self,
        role_ref: &RoleRef,
        binding_namespace: &str,
    ) -> Result<Vec<PolicyRule>, String> {
        self.role_ref_rules_borrowed(role_ref, binding_namespace)
            .map(|r| r.to_vec())
    }

    /// [`Self::role_ref_rules`] without copying the rules (the authorizer's hot path).
    fn role_ref_rules_borrowed(
        &self,
        role_ref: &RoleRef,
        binding_namespace: &str,
    ) -> Result<&[PolicyRule], String> {
        match role_ref.kind.as_str() {
            "Role" => self
                .roles
                .get(&(binding_namespace.to_string(), role_ref.name.clone()))
                .map(|r| r.as_slice())
                .ok_or_else(|| {
                    format!(
                        "role.rbac.authorization.k8s.io {:?} not found",
                        role_ref.name
                    )
                }),
            "ClusterRole" => self
                .effective
                .get(&role_ref.name)
                .map(|r| r.as_slice())
                .ok_or_else(|| {
                    format!(
                        "clusterrole.rbac.authorization.k8s.io {:?} not found",
                        role_ref.name
                    )
                }),
            k => Err(format!("unsupported role reference kind: {k:?}")),
        }
    }

    /// `DefaultRuleResolver.VisitRulesFor`: ClusterRoleBindings (name order), then, for a
    /// namespaced request, the RoleBindings of that namespace. The visitor returns false to stop.
    fn visit_rules_for(&self, user: &Identity, namespace: &str, visitor: &mut Visitor<'_>) {
        for (name, b) in &self.cluster_role_bindings {
            let Some(subject) = b.subjects.iter().find(|s| applies_to(user, s, "")) else {
                continue;
            };
            match self.role_ref_rules_borrowed(&b.role_ref, "") {
                Err(e) => {
                    if !visitor(None, None, Some(e)) {
                        return;
                    }
                }
                Ok(rules) => {
                    let src = Source {
                        binding_kind: "ClusterRoleBinding",
                        binding_name: name,
                        role_ref: &b.role_ref,
                        subject,
                        namespace: "",
                    };
                    for r in rules {
                        if !visitor(Some(&src), Some(r), None) {
                            return;
                        }
                    }
                }
            }
        }
        if namespace.is_empty() {
            return;
        }
        for ((ns, name), b) in self
            .role_bindings
            .range((namespace.to_string(), String::new())..)
        {
            if ns != namespace {
                break;
            }
            let Some(subject) = b.subjects.iter().find(|s| applies_to(user, s, namespace)) else {
                continue;
            };
            match self.role_ref_rules_borrowed(&b.role_ref, namespace) {
                Err(e) => {
                    if !visitor(None, None, Some(e)) {
                        return;
                    }
                }
                Ok(rules) => {
                    let src = Source {
                        binding_kind: "RoleBinding",
                        binding_name: name,
                        role_ref: &b.role_ref,
                        subject,
                        namespace,
                    };
                    for r in rules {
                        if !visitor(Some(&src), Some(r), None) {
                            return;
                        }
                    }
                }
            }
        }
    }

    /// `DefaultRuleResolver.RulesFor`: every rule that applies to `user` in `namespace`, and
    /// the resolution errors (missing roles) joined as an aggregate error text.
    pub fn rules_for(&self, user: &Identity, namespace: &str) -> (Vec<PolicyRule>, Option<String>) {
        let mut rules = Vec::new();
        let mut errs = Vec::new();
        self.visit_rules_for(user, namespace, &mut |_, r, e| {
            if let Some(r) = r {
                rules.push(r.clone());
            }
            if let Some(e) = e {
                errs.push(e);
            }
            true
        });
        (rules, aggregate_errors(&errs))
    }

    /// The RBAC authorizer alone (`RBACAuthorizer.Authorize`): Allow with
    /// `RBAC: allowed by ...`, else NoOpinion with `RBAC: <resolution errors>` or `""`.
    pub fn authorize_rbac(&self, a: &Attributes) -> Decision {
        self.authorize_rbac_with(a, true)
    }

    /// [`Self::authorize_rbac`]; without `reasons`, an Allow's reason is empty and resolution
    /// errors are not collected (what only [`Self::allows`] callers skip: every request's
    /// authorization built the `allowed by` text, 1 % of a fleet run).
    fn authorize_rbac_with(&self, a: &Attributes, reasons: bool) -> Decision {
        let mut allowed: Option<String> = None;
        let mut errs = Vec::new();
        let combined = combined_resource(a);
        self.visit_rules_for(&a.user, &a.namespace, &mut |src, rule, err| {
            if let Some(e) = err {
                if reasons {
                    errs.push(e);
                }
                return true;
            }
            if let (Some(src), Some(rule)) = (src, rule) {
                if rule_allows_combined(a, &combined, rule) {
                    allowed = Some(if reasons {
                        format!("RBAC: allowed by {}", src.describe())
                    } else {
                        String::new()
                    });
                    return false;
                }
            }
            true
        });
        if let Some(reason) = allowed {
            return Decision::Allow(reason);
        }
        match aggregate_errors(&errs) {
            Some(e) => Decision::NoOpinion(format!("RBAC: {e}")),
            None => Decision::NoOpinion(String::new()),
        }
    }

    /// The apiserver's authorizer chain: privileged group `system:masters` (allow, no reason),
    /// then the Node authorizer (static node rules), then RBAC. NoOpinion reasons are joined
    /// with newlines as the union authorizer does.
    pub fn authorize(&self, a: &Attributes) -> Decision {
        self.authorize_with(a, true)
    }

    /// Whether [`Self::authorize`] allows `a`, without building its reasons.
    pub fn allows(&self, a: &Attributes) -> bool {
        let allowed = self.authorize_with(a, false).allowed();
        debug_assert_eq!(allowed, self.authorize(a).allowed());
        allowed
    }

    fn authorize_with(&self, a: &Attributes, with_reasons: bool) -> Decision {
        if a.user.in_group(SYSTEM_MASTERS) {
            return Decision::Allow(String::new());
        }
        let mut reasons = Vec::new();
        for mode in self.modes() {
            match mode {
                AuthorizationMode::AlwaysAllow => return Decision::Allow(String::new()),
                AuthorizationMode::AlwaysDeny => reasons.push("Everything is forbidden.".into()),
                AuthorizationMode::Node => {
                    if a.user.node_name().is_some() && node_rules_allow(a) {
                        return Decision::Allow(String::new());
                    }
                }
                AuthorizationMode::Rbac => match self.authorize_rbac_with(a, with_reasons) {
                    Decision::Allow(r) => return Decision::Allow(r),
                    Decision::NoOpinion(r) | Decision::Deny(r) => {
                        if !r.is_empty() {
                            reasons.push(r)
                        }
                    }
                },
            }
        }
        Decision::NoOpinion(reasons.join("\n"))
    }
}

/// `utilerrors.NewAggregate(errs).Error()`: one error as itself, several as `[a, b]`.
pub fn aggregate_errors(errs: &[String]) -> Option<String> {
    let mut uniq: Vec<&String> = Vec::new();
    for e in errs {
        if !uniq.contains(&e) {
            uniq.push(e);
        }
    }
    match uniq.len() {
        0 => None,
        1 => Some(uniq[0].clone()),
        _ => Some(format!(
            "[{}]",
            uniq.iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

/// `appliesToUser`: User by name, Group by membership, ServiceAccount by
/// `system:serviceaccount:<ns>:<name>` (namespace defaults to the binding's namespace).
pub fn applies_to(user: &Identity, s: &Subject, binding_namespace: &str) -> bool {
    match s.kind.as_str() {
        "User" => user.user == s.name,
        "Group" => user.in_group(&s.name),
        "ServiceAccount" => {
            let ns = if s.namespace.is_empty() {
                binding_namespace
            } else {
                &s.namespace
            };
            if ns.is_empty() {
                return false;
            }
            user.user == format!("{SERVICE_ACCOUNT_USERNAME_PREFIX}{ns}:{}", s.name)
        }
        _ => false,
    }
}

fn has(list: &[String], x: &str) -> bool {
    list.iter().any(|s| s == x)
}

/// `VerbMatches`.
pub fn verb_matches(rule: &PolicyRule, verb: &str) -> bool {
    rule.verbs.iter().any(|v| v == ALL || v == verb)
}

/// `APIGroupMatches`.
pub fn api_group_matches(rule: &PolicyRule, group: &str) -> bool {
    rule.api_groups.iter().any(|g| g == ALL || g == group)
}

/// `ResourceMatches`: `*`, exact `resource[/subresource]`, or `*/subresource`.
pub fn resource_matches(rule: &PolicyRule, combined: &str, subresource: &str) -> bool {
    rule.resources.iter().any(|r| {
        r == ALL
            || r == combined
            || (!subresource.is_empty()
                && r.len() == subresource.len() + 2
                && r.starts_with("*/")
                && r.ends_with(subresource))
    })
}

/// `ResourceNameMatches`: empty list matches every name; otherwise literal equality.
pub fn resource_name_matches(rule: &PolicyRule, name: &str) -> bool {
    rule.resource_names.is_empty() || has(&rule.resource_names, name)
}

/// `NonResourceURLMatches`: `*`, exact, or a trailing-`*` prefix.
pub fn non_resource_url_matches(rule: &PolicyRule, path: &str) -> bool {
    rule.non_resource_urls.iter().any(|u| {
        u == ALL || u == path || (u.ends_with('*') && path.starts_with(u.trim_end_matches('*')))
    })
}

/// `RuleAllows`.
pub fn rule_allows(a: &Attributes, rule: &PolicyRule) -> bool {
    rule_allows_combined(a, &combined_resource(a), rule)
}

/// `resource` or `resource/subresource`, what resource rules match against.
fn combined_resource(a: &Attributes) -> std::borrow::Cow<'_, str> {
    if a.subresource.is_empty() {
        std::borrow::Cow::Borrowed(a.resource.as_str())
    } else {
        std::borrow::Cow::Owned(format!("{}/{}", a.resource, a.subresource))
    }
}

/// [`rule_allows`] with the combined resource computed once per request.
fn rule_allows_combined(a: &Attributes, combined: &str, rule: &PolicyRule) -> bool {
    if a.resource_request {
        verb_matches(rule, &a.verb)
            && api_group_matches(rule, &a.api_group)
            && resource_matches(rule, combined, &a.subresource)
            && resource_name_matches(rule, &a.name)
    } else {
        verb_matches(rule, &a.verb) && non_resource_url_matches(rule, &a.path)
    }
}

/// `RulesAllow`: any rule allows.
pub fn rules_allow(a: &Attributes, rules: &[PolicyRule]) -> bool {
    rules.iter().any(|r| rule_allows(a, r))
}

/// Semantic equality of rules as the aggregation controller de-duplicates them (set equality
/// of each list).
fn rule_semantic_eq(a: &PolicyRule, b: &PolicyRule) -> bool {
    fn set(v: &[String]) -> BTreeSet<&str> {
        v.iter().map(|s| s.as_str()).collect()
    }
    set(&a.verbs) == set(&b.verbs)
        && set(&a.api_groups) == set(&b.api_groups)
        && set(&a.resources) == set(&b.resources)
        && set(&a.resource_names) == set(&b.resource_names)
        && set(&a.non_resource_urls) == set(&b.non_resource_urls)
}

/// The part of the Node authorizer's static rules (`bootstrappolicy.NodeRules()`) that the CSR
/// control plane exercises; the graph-based checks for pods/secrets/etc. are not modelled.
pub fn node_rules() -> Vec<PolicyRule> {
    vec![
        PolicyRule::resource(
            &["create", "get", "list", "watch"],
            &["certificates.k8s.io"],
            &["certificatesigningrequests"],
        ),
        PolicyRule::resource(&["create"], &["authentication.k8s.io"], &["tokenreviews"]),
        PolicyRule::resource(
            &["create"],
            &["authorization.k8s.io"],
            &["subjectaccessreviews", "localsubjectaccessreviews"],
        ),
    ]
}

/// Built once: this runs on every request a node makes (a fleet's creates and the approver's
/// checks), and building the rules allocated a dozen strings each time.
fn node_rules_allow(a: &Attributes) -> bool {
    static RULES: std::sync::OnceLock<Vec<PolicyRule>> = std::sync::OnceLock::new();
    rules_allow(a, RULES.get_or_init(node_rules))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The hand-written quoting is `{:?}` for every name, plain or not.
    #[test]
    fn push_quoted_is_debug_quoting() {
        for name in [
            "myuser",
            "system:node:n-1",
            "it's",
            "a\"b",
            "back\\slash",
            "tab\t",
            "é",
            "",
            "~ !",
        ] {
            let mut out = String::new();
            push_quoted(&mut out, name);
            assert_eq!(out, format!("{name:?}"));
        }
    }

    fn attrs(
        user: Identity,
        verb: &str,
        group: &str,
        resource: &str,
        sub: &str,
        ns: &str,
        name: &str,
    ) -> Attributes {
        Attributes {
            user,
            verb: verb.into(),
            resource_request: true,
            api_group: group.into(),
            api_version: "v1".into(),
            resource: resource.into(),
            subresource: sub.into(),
            namespace: ns.into(),
            name: name.into(),
            path: String::new(),
        }
    }

    /// Table of `RuleAllows` cases mirroring `rbac_test.go` / `rule_test.go` upstream.
    #[test]
    fn rule_allows_table() {
        let a = |verb: &str, res: &str, sub: &str, name: &str| {
            attrs(
                Identity::user("u", &[]),
                verb,
                "certificates.k8s.io",
                res,
                sub,
                "",
                name,
            )
        };
        let r = |v: &[&str], g: &[&str], res: &[&str]| PolicyRule::resource(v, g, res);
        let csr = "certificatesigningrequests";
        let rows: Vec<(&str, PolicyRule, Attributes, bool)> = vec![
            (
                "exact",
                r(&["get"], &["certificates.k8s.io"], &[csr]),
                a("get", csr, "", ""),
                true,
            ),
            (
                "verb star",
                r(&["*"], &["certificates.k8s.io"], &[csr]),
                a("delete", csr, "", ""),
                true,
            ),
            (
                "group star",
                r(&["get"], &["*"], &[csr]),
                a("get", csr, "", ""),
                true,
            ),
            (
                "wrong group",
                r(&["get"], &[""], &[csr]),
                a("get", csr, "", ""),
                false,
            ),
            (
                "resource star",
                r(&["get"], &["*"], &["*"]),
                a("get", csr, "approval", ""),
                true,
            ),
            (
                "parent does not cover subresource",
                r(&["update"], &["*"], &[csr]),
                a("update", csr, "approval", ""),
                false,
            ),
            (
                "resource/subresource",
                r(
                    &["update"],
                    &["*"],
                    &["certificatesigningrequests/approval"],
                ),
                a("update", csr, "approval", ""),
                true,
            ),
            (
                "*/subresource",
                r(&["update"], &["*"], &["*/approval"]),
                a("update", csr, "approval", ""),
                true,
            ),
            (
                "*/subresource wrong sub",
                r(&["update"], &["*"], &["*/status"]),
                a("update", csr, "approval", ""),
                false,
            ),
            (
                "*/subresource does not match parent",
                r(&["update"], &["*"], &["*/approval"]),
                a("update", csr, "", ""),
                false,
            ),
            (
                "subresource rule does not cover parent",
                r(&["get"], &["*"], &["certificatesigningrequests/status"]),
                a("get", csr, "", ""),
                false,
            ),
            (
                "resourceNames literal",
                r(&["approve"], &["*"], &["signers"]).names(&["example.com/*"]),
                a("approve", "signers", "", "example.com/*"),
                true,
            ),
            (
                "resourceNames not a glob",
                r(&["approve"], &["*"], &["signers"]).names(&["example.com/*"]),
                a("approve", "signers", "", "example.com/foo"),
                false,
            ),
            (
                "resourceNames * is literal",
                r(&["approve"], &["*"], &["signers"]).names(&["*"]),
                a("approve", "signers", "", "example.com/foo"),
                false,
            ),
            (
                "resourceNames vs list (no name)",
                r(&["list"], &["*"], &[csr]).names(&["x"]),
                a("list", csr, "", ""),
                false,
            ),
        ];
        for (case, rule, at, want) in rows {
            assert_eq!(rule_allows(&at, &rule), want, "{case}");
        }
    }

    #[test]
    fn non_resource_urls() {
        let mut a = Attributes {
            user: Identity::user("u", &[]),
            verb: "get".into(),
            path: "/healthz/ready".into(),
            ..Default::default()
        };
        assert!(rule_allows(
            &a,
            &PolicyRule::urls(&["get"], &["/healthz/*"])
        ));
        assert!(rule_allows(&a, &PolicyRule::urls(&["get"], &["/healthz*"])));
        assert!(rule_allows(&a, &PolicyRule::urls(&["get"], &["*"])));
        assert!(!rule_allows(&a, &PolicyRule::urls(&["get"], &["/healthz"])));
        assert!(!rule_allows(&a, &PolicyRule::urls(&["post"], &["*"])));
        a.path = "/healthz".into();
        assert!(!rule_allows(
            &a,
            &PolicyRule::urls(&["get"], &["/healthz/*"])
        ));
        // a resource rule never matches a non-resource request
        assert!(!rule_allows(
            &a,
            &PolicyRule::resource(&["*"], &["*"], &["*"])
        ));
    }

    fn write(r: &mut Rbac, res: &str, ns: &str, v: Value) {
        let name = v["metadata"]["name"].as_str().unwrap().to_string();
        r.on_write(res, ns, &name, Some(&v));
    }

    #[test]
    fn bindings_reasons_and_scope() {
        let mut r = Rbac::new();
        write(
            &mut r,
            ROLES,
            "default",
            json!({"metadata":{"name":"developer","namespace":"default"},
            "rules":[{"verbs":["create","get"],"apiGroups":[""],"resources":["pods"]}]}),
        );
        write(
            &mut r,
            ROLE_BINDINGS,
            "default",
            json!({"metadata":{"name":"dev-myuser","namespace":"default"},
            "subjects":[{"kind":"User","apiGroup":"rbac.authorization.k8s.io","name":"myuser"}],
            "roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"Role","name":"developer"}}),
        );
        let me = Identity::user("myuser", &[]);
        assert_eq!(
            r.authorize(&attrs(me.clone(), "create", "", "pods", "", "default", "")),
            Decision::Allow(r#"RBAC: allowed by RoleBinding "dev-myuser/default" of Role "developer" to User "myuser""#.into())
        );
        assert_eq!(
            r.authorize(&attrs(
                me.clone(),
                "create",
                "",
                "pods",
                "",
                "kube-system",
                ""
            )),
            Decision::NoOpinion(String::new())
        );
        assert!(!r
            .authorize(&attrs(me.clone(), "delete", "", "pods", "", "default", ""))
            .allowed());

        // RoleBinding to a ClusterRole grants it only in the binding's namespace.
        write(
            &mut r,
            CLUSTER_ROLES,
            "",
            json!({"metadata":{"name":"csr-reader"},
            "rules":[{"verbs":["get"],"apiGroups":["*"],"resources":["secrets"]}]}),
        );
        write(
            &mut r,
            ROLE_BINDINGS,
            "team",
            json!({"metadata":{"name":"rb","namespace":"team"},
            "subjects":[{"kind":"Group","apiGroup":"rbac.authorization.k8s.io","name":"devs"}],
            "roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"csr-reader"}}),
        );
        let dev = Identity::user("d", &["devs"]);
        assert!(r
            .authorize(&attrs(dev.clone(), "get", "", "secrets", "", "team", "x"))
            .allowed());
        assert!(!r
            .authorize(&attrs(dev.clone(), "get", "", "secrets", "", "other", "x"))
            .allowed());
        assert!(!r
            .authorize(&attrs(dev.clone(), "get", "", "secrets", "", "", "x"))
            .allowed());

        // Dangling roleRef: the NotFound text becomes the reason.
        write(
            &mut r,
            ROLE_BINDINGS,
            "default",
            json!({"metadata":{"name":"dangling","namespace":"default"},
            "subjects":[{"kind":"User","name":"ghost"}],
            "roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"Role","name":"missing"}}),
        );
        assert_eq!(
            r.authorize(&attrs(
                Identity::user("ghost", &[]),
                "get",
                "",
                "pods",
                "",
                "default",
                ""
            )),
            Decision::NoOpinion(
                r#"RBAC: role.rbac.authorization.k8s.io "missing" not found"#.into()
            )
        );

        // ServiceAccount subject defaults to the binding namespace.
        write(
            &mut r,
            ROLE_BINDINGS,
            "default",
            json!({"metadata":{"name":"sa","namespace":"default"},
            "subjects":[{"kind":"ServiceAccount","name":"robot"}],
            "roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"Role","name":"developer"}}),
        );
        let sa = Identity::user("system:serviceaccount:default:robot", &[]);
        assert_eq!(
            r.authorize(&attrs(sa, "get", "", "pods", "", "default", "")),
            Decision::Allow(r#"RBAC: allowed by RoleBinding "sa/default" of Role "developer" to ServiceAccount "robot/default""#.into())
        );

        // Delete removes the grant.
        r.on_write(ROLE_BINDINGS, "default", "dev-myuser", None);
        assert!(!r
            .authorize(&attrs(me, "create", "", "pods", "", "default", ""))
            .allowed());
    }

    #[test]
    fn aggregation_recomputes_on_role_changes() {
        let mut r = Rbac::new();
        write(
            &mut r,
            CLUSTER_ROLES,
            "",
            json!({"metadata":{"name":"agg"},
            "aggregationRule":{"clusterRoleSelectors":[{"matchLabels":{"x/aggregate":"true"}}]},"rules":[]}),
        );
        write(
            &mut r,
            CLUSTER_ROLE_BINDINGS,
            "",
            json!({"metadata":{"name":"b"},
            "subjects":[{"kind":"User","name":"alice"}],
            "roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"agg"}}),
        );
        let alice = Identity::user("alice", &[]);
        let get_csr = attrs(
            alice.clone(),
            "get",
            "certificates.k8s.io",
            "certificatesigningrequests",
            "",
            "",
            "",
        );
        assert!(!r.authorize(&get_csr).allowed());
        write(
            &mut r,
            CLUSTER_ROLES,
            "",
            json!({"metadata":{"name":"part","labels":{"x/aggregate":"true"}},
            "rules":[{"verbs":["get"],"apiGroups":["certificates.k8s.io"],"resources":["certificatesigningrequests"]}]}),
        );
        assert!(r.authorize(&get_csr).allowed());
        assert_eq!(r.cluster_role_rules("agg").unwrap().len(), 1);
        // a duplicate rule from a second part is not repeated
        write(
            &mut r,
            CLUSTER_ROLES,
            "",
            json!({"metadata":{"name":"part2","labels":{"x/aggregate":"true"}},
            "rules":[{"verbs":["get"],"apiGroups":["certificates.k8s.io"],"resources":["certificatesigningrequests"]}]}),
        );
        assert_eq!(r.cluster_role_rules("agg").unwrap().len(), 1);
        // relabel away: rights disappear
        write(
            &mut r,
            CLUSTER_ROLES,
            "",
            json!({"metadata":{"name":"part"},"rules":[]}),
        );
        write(
            &mut r,
            CLUSTER_ROLES,
            "",
            json!({"metadata":{"name":"part2"},"rules":[]}),
        );
        assert!(!r.authorize(&get_csr).allowed());
    }

    #[test]
    fn masters_and_nodes() {
        let r = Rbac::new();
        let any = attrs(Identity::admin(), "delete", "x", "y", "", "", "");
        assert_eq!(r.authorize(&any), Decision::Allow(String::new()));
        let node = Identity::node("n1");
        assert!(r
            .authorize(&attrs(
                node.clone(),
                "create",
                "certificates.k8s.io",
                "certificatesigningrequests",
                "",
                "",
                ""
            ))
            .allowed());
        assert!(!r
            .authorize(&attrs(
                node,
                "update",
                "certificates.k8s.io",
                "certificatesigningrequests",
                "approval",
                "",
                ""
            ))
            .allowed());
    }

    #[test]
    fn authorization_mode_lists() {
        use AuthorizationMode::*;
        for (arg, want) in [
            ("Node,RBAC", Ok(vec![Node, Rbac])),
            ("AlwaysAllow", Ok(vec![AlwaysAllow])),
            ("RBAC,AlwaysDeny", Ok(vec![Rbac, AlwaysDeny])),
            (
                "RBAC,RBAC",
                Err(r#"authorization-mode "RBAC" has mode specified more than once"#.to_string()),
            ),
            (
                "rbac",
                Err(r#"authorization-mode "rbac" is not a valid mode (csrsim has AlwaysAllow, AlwaysDeny, Node, RBAC)"#.to_string()),
            ),
        ] {
            assert_eq!(AuthorizationMode::parse_list(arg), want, "{arg}");
        }
        let bob = Identity::user("bob", &[]);
        let a = attrs(bob, "get", "", "secrets", "", "default", "");
        let mut r = super::Rbac::new();
        assert_eq!(r.authorize(&a), Decision::NoOpinion(String::new()));
        r.set_modes(&[AlwaysDeny, AlwaysAllow]);
        assert_eq!(
            r.authorize(&a),
            Decision::Allow(String::new()),
            "AlwaysDeny has no opinion; the next authorizer decides"
        );
        r.set_modes(&[Rbac, AlwaysDeny]);
        assert_eq!(
            r.authorize(&a),
            Decision::NoOpinion("Everything is forbidden.".into())
        );
        let admin = Identity::admin();
        let a = attrs(admin, "get", "", "secrets", "", "default", "");
        assert!(r.authorize(&a).allowed(), "system:masters comes first");
    }
}
