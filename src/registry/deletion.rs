//! What a DELETE does to an object's finalizers before it is removed (the generic registry's
//! `deletionFinalizersForGarbageCollection`, `shouldOrphanDependents`,
//! `shouldDeleteDependents` and `markAsDeleting` in apiserver's
//! `pkg/registry/generic/registry/store.go`), and what the garbage collector of
//! kube-controller-manager then does with the two finalizers it owns.
//!
//! Every kind csrsim stores has the garbage collector enabled and no default policy (none
//! implements `GarbageCollectionDeleteStrategy`), so the default is background deletion.

/// `metav1.FinalizerOrphanDependents`.
pub const ORPHAN: &str = "orphan";
/// `metav1.FinalizerDeleteDependents`.
pub const FOREGROUND: &str = "foregroundDeletion";

/// The DeleteOptions that decide the garbage-collection finalizers.
#[derive(Debug, Clone, Copy, Default)]
pub struct GcOptions<'a> {
    /// `propagationPolicy` (already validated: Foreground, Background or Orphan).
    pub propagation_policy: Option<&'a str>,
    /// The deprecated `orphanDependents`.
    pub orphan_dependents: Option<bool>,
}

/// `shouldOrphanDependents`: options first, then the object's own finalizers, then the
/// default (not orphan).
fn should_orphan(finalizers: &[String], o: GcOptions) -> bool {
    if let Some(b) = o.orphan_dependents {
        return b;
    }
    match o.propagation_policy {
        Some("Orphan") => return true,
        Some("Background" | "Foreground") => return false,
        _ => {}
    }
    for f in finalizers {
        match f.as_str() {
            ORPHAN => return true,
            FOREGROUND => return false,
            _ => {}
        }
    }
    false
}

/// `shouldDeleteDependents`: likewise for foreground deletion.
fn should_delete_dependents(finalizers: &[String], o: GcOptions) -> bool {
    if o.orphan_dependents.is_some() {
        return false;
    }
    match o.propagation_policy {
        Some("Foreground") => return true,
        Some("Background" | "Orphan") => return false,
        _ => {}
    }
    for f in finalizers {
        match f.as_str() {
            FOREGROUND => return true,
            ORPHAN => return false,
            _ => {}
        }
    }
    false
}

/// `deletionFinalizersForGarbageCollection`: the finalizers a delete with these options
/// leaves on the object — the others in order, then `orphan` and/or `foregroundDeletion` as
/// the options (or the object) ask. `None` when the set would not change.
pub fn gc_finalizers(finalizers: &[String], o: GcOptions) -> Option<Vec<String>> {
    let mut new: Vec<String> = finalizers
        .iter()
        .filter(|f| *f != ORPHAN && *f != FOREGROUND)
        .cloned()
        .collect();
    if should_orphan(finalizers, o) {
        new.push(ORPHAN.to_string());
    }
    if should_delete_dependents(finalizers, o) {
        new.push(FOREGROUND.to_string());
    }
    let set = |v: &[String]| v.iter().cloned().collect::<std::collections::BTreeSet<_>>();
    (set(&new) != set(finalizers)).then_some(new)
}

/// The garbage collector's work on an object being deleted: with `foregroundDeletion` it
/// deletes the dependents and then removes that finalizer (`processDeletingDependentsItem`),
/// with `orphan` it orphans them and removes `orphan` (`attemptToOrphan`). Nothing in csrsim
/// has dependents (no object names an owner the collector would follow), so both come down to
/// removing the finalizer. `None`: nothing for the collector to do.
pub fn collector_finalizers(finalizers: &[String]) -> Option<Vec<String>> {
    let target = if finalizers.iter().any(|f| f == FOREGROUND) {
        FOREGROUND
    } else if finalizers.iter().any(|f| f == ORPHAN) {
        ORPHAN
    } else {
        return None;
    };
    Some(
        finalizers
            .iter()
            .filter(|f| *f != target)
            .cloned()
            .collect(),
    )
}

/// Does the garbage collector act on an object with these finalizers once it is being deleted?
pub fn has_collector_finalizer(finalizers: &[String]) -> bool {
    finalizers.iter().any(|f| f == FOREGROUND || f == ORPHAN)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &[&str]) -> Vec<String> {
        s.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn finalizers_for_each_policy() {
        let opts = |p: Option<&'static str>, o: Option<bool>| GcOptions {
            propagation_policy: p,
            orphan_dependents: o,
        };
        let cases: &[(&[&str], GcOptions, Option<&[&str]>)] = &[
            // kubectl's default (Background) on a plain object: nothing to change.
            (&[], opts(Some("Background"), None), None),
            (&[], opts(None, None), None),
            (&[], opts(Some("Foreground"), None), Some(&[FOREGROUND])),
            (&[], opts(Some("Orphan"), None), Some(&[ORPHAN])),
            (&[], opts(None, Some(true)), Some(&[ORPHAN])),
            (&[], opts(None, Some(false)), None),
            // the user's finalizers stay first, in order
            (
                &["example.com/b", "example.com/a"],
                opts(Some("Foreground"), None),
                Some(&["example.com/b", "example.com/a", FOREGROUND]),
            ),
            // an explicit policy replaces the object's own GC finalizer
            (&[ORPHAN], opts(Some("Background"), None), Some(&[])),
            (
                &[ORPHAN],
                opts(Some("Foreground"), None),
                Some(&[FOREGROUND]),
            ),
            // without options the object's finalizer decides (and stays)
            (&[ORPHAN], opts(None, None), None),
            (&[FOREGROUND, "x"], opts(None, None), None),
            // the same set in another order is no change
            (&["x", FOREGROUND], opts(Some("Foreground"), None), None),
        ];
        for (have, o, want) in cases {
            let got = gc_finalizers(&v(have), *o);
            assert_eq!(got, want.map(v), "{have:?} {o:?}");
        }
    }

    #[test]
    fn collector_removes_its_own_finalizer_only() {
        assert_eq!(collector_finalizers(&v(&["x"])), None);
        assert_eq!(
            collector_finalizers(&v(&["x", FOREGROUND])),
            Some(v(&["x"]))
        );
        assert_eq!(collector_finalizers(&v(&[ORPHAN])), Some(vec![]));
    }
}
