//! Faults as first-class inputs: each is scheduled on the fleet's timer queue at a virtual
//! instant, acts through the same cluster API an operator or an outage would, and writes a
//! `fault` line (and a `fault-end` line for intervals) to the trace.

use super::csr::{CertKind, NodeAddress};
use crate::api::CsrCondition;
use crate::auth::Identity;
use crate::sim::{ApiRequest, Cluster, Verb};
use serde_json::{json, Value};

/// `kubectl certificate deny` reason and message (what an operator's denial writes).
pub const DENY_REASON: &str = "KubectlDeny";
pub const DENY_MESSAGE: &str = "This CSR was denied by kubectl certificate deny.";

/// One fault or environment change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fault {
    /// Pause a controller (`csrapproving`, `csrsigning`, `csrcleaner`, …) for an interval:
    /// its queue and timers wait, then catch up.
    PauseController {
        controller: String,
        for_ms: i64,
    },
    /// The apiserver is unreachable from the kubelets for an interval: requests fail with a
    /// connection error and watches see nothing; waits are re-checked when it is back.
    ApiUnavailable {
        for_ms: i64,
    },
    /// Set a node's clock offset from the cluster clock.
    ClockSkew {
        node: String,
        skew_ms: i64,
    },
    /// An operator denies the CSR the node is waiting for.
    DenyCsr {
        node: String,
        kind: CertKind,
    },
    /// An operator deletes the CSR the node is waiting for.
    DeleteCsr {
        node: String,
        kind: CertKind,
    },
    /// The node is powered off (for an interval, or until [`Fault::PowerOn`]).
    PowerOff {
        node: String,
        for_ms: Option<i64>,
    },
    PowerOn {
        node: String,
    },
    /// The node's addresses change (serving template).
    SetAddresses {
        node: String,
        addresses: Vec<NodeAddress>,
    },
    /// The CA files are replaced by a new CA (same layout as configured) valid from now for
    /// `lifetime_secs`; the signer uses it from its next attempt (upstream reloads the files
    /// on every sign). Held in memory only: a data dir keeps the original CA files.
    ReplaceCa {
        lifetime_secs: i64,
    },
}

impl Fault {
    pub fn kind(&self) -> &'static str {
        match self {
            Fault::PauseController { .. } => "pause-controller",
            Fault::ApiUnavailable { .. } => "api-unavailable",
            Fault::ClockSkew { .. } => "clock-skew",
            Fault::DenyCsr { .. } => "deny-csr",
            Fault::DeleteCsr { .. } => "delete-csr",
            Fault::PowerOff { .. } => "power-off",
            Fault::PowerOn { .. } => "power-on",
            Fault::SetAddresses { .. } => "set-addresses",
            Fault::ReplaceCa { .. } => "replace-ca",
        }
    }

    /// The fields of its trace line.
    pub fn describe(&self) -> Value {
        let mut v = match self {
            Fault::PauseController { controller, for_ms } => {
                json!({"controller": controller, "for_ms": for_ms})
            }
            Fault::ApiUnavailable { for_ms } => json!({"for_ms": for_ms}),
            Fault::ClockSkew { node, skew_ms } => json!({"node": node, "skew_ms": skew_ms}),
            Fault::DenyCsr { node, kind } | Fault::DeleteCsr { node, kind } => {
                json!({"node": node, "cert": kind.as_str()})
            }
            Fault::PowerOff { node, for_ms } => json!({"node": node, "for_ms": for_ms}),
            Fault::PowerOn { node } => json!({"node": node}),
            Fault::SetAddresses { node, addresses } => json!({"node": node,
                "addresses": addresses.iter().map(|a| a.address.clone()).collect::<Vec<_>>()}),
            Fault::ReplaceCa { lifetime_secs } => json!({"lifetime_secs": lifetime_secs}),
        };
        v["fault"] = json!(self.kind());
        v
    }

    /// The node it concerns, if any.
    pub fn node(&self) -> Option<&str> {
        match self {
            Fault::ClockSkew { node, .. }
            | Fault::DenyCsr { node, .. }
            | Fault::DeleteCsr { node, .. }
            | Fault::PowerOff { node, .. }
            | Fault::PowerOn { node }
            | Fault::SetAddresses { node, .. } => Some(node),
            _ => None,
        }
    }
}

/// Deny `csr` as an operator would (`kubectl certificate deny`, through `/approval`).
pub fn deny_csr(cx: &mut Cluster, csr: &str) -> Result<(), String> {
    let admin = Identity::admin();
    let mut obj = cx
        .get_csr(csr)
        .ok_or_else(|| format!("csr {csr:?} not found"))?;
    obj.status.conditions.push(CsrCondition {
        type_: crate::api::csr::DENIED.into(),
        status: "True".into(),
        reason: DENY_REASON.into(),
        message: DENY_MESSAGE.into(),
        ..Default::default()
    });
    let body = serde_json::to_value(&obj).map_err(|e| e.to_string())?;
    cx.apply(
        &admin,
        ApiRequest::csr(Verb::Update)
            .name(csr)
            .subresource("approval")
            .body(body),
    )
    .map(|_| ())
    .map_err(|s| s.message)
}

/// Replace the cluster's CAs with fresh ones valid from now for `lifetime_secs`; returns the
/// new cluster CA's NotAfter.
pub fn replace_ca(cx: &mut Cluster, lifetime_secs: i64) -> Result<crate::api::Time, String> {
    let cfg = crate::pki::PkiConfig {
        ca_lifetime_secs: lifetime_secs,
        ..cx.config().pki.clone()
    };
    let now = cx.now();
    let pki = crate::pki::Pki::new(&cfg, now, None, cx.rngs())?;
    let not_after = pki.ca().not_after;
    *cx.pki_mut() = pki;
    Ok(not_after)
}

/// Delete `csr` as an operator would (`kubectl delete csr`).
pub fn delete_csr(cx: &mut Cluster, csr: &str) -> Result<(), String> {
    cx.apply(&Identity::admin(), ApiRequest::csr(Verb::Delete).name(csr))
        .map(|_| ())
        .map_err(|s| s.message)
}
