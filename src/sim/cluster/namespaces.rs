//! Namespaces being deleted: the namespace registry's two-step `Delete` and
//! kube-controller-manager's namespace controller, which empties a terminating namespace,
//! writes its deletion conditions and finalizes it (in the settle step).

use super::*;

impl Cluster {
    /// Whether the namespace `ns` is being terminated (`status.phase` `Terminating`).
    pub(super) fn namespace_terminating(&self, ns: &str) -> bool {
        self.stored_value(&store::key("", "namespaces", "", ns))
            .is_some_and(|v| v["status"]["phase"] == "Terminating")
    }

    /// The namespace registry's `Delete` (`pkg/registry/core/namespace/storage`): the first
    /// delete only marks the namespace (`deletionTimestamp`, `status.phase: Terminating`, the
    /// garbage collector's finalizers as the options ask) and answers it, for the namespace
    /// controller to empty and finalize; a later one answers the namespace as it is while
    /// `spec.finalizers` is not empty. `None`: the store's delete goes on.
    pub(super) fn delete_namespace(
        &mut self,
        info: &ResourceInfo,
        key: &str,
        obj: &Value,
        req: &ApiRequest,
    ) -> Result<Option<Value>, Status> {
        let name = meta_str(obj, "name").to_string();
        if obj["metadata"]["deletionTimestamp"].is_null() {
            let mut new = obj.clone();
            set_meta(&mut new, "deletionTimestamp", json!(self.now()));
            new["status"]["phase"] = json!("Terminating");
            // The garbage collector's finalizers as the options ask
            // (`shouldHaveOrphanFinalizer`, `shouldHaveDeleteDependentsFinalizer`).
            let finalizers: Vec<String> = obj["metadata"]["finalizers"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|f| f.as_str().map(str::to_string))
                .collect();
            if let Some(f) = deletion::gc_finalizers(&finalizers, req.gc_options()) {
                set_meta(&mut new, "finalizers", json!(f));
            }
            if req.dry_run {
                return Ok(Some(new));
            }
            let written = self.write(info, key, new)?;
            match self.config.namespace_finalize {
                NamespaceFinalize::AtOnce | NamespaceFinalize::AfterMs(0) => {
                    self.queue_namespace(&name)
                }
                NamespaceFinalize::AfterMs(ms) => {
                    self.ns_timers
                        .push_back((self.clock_ms.saturating_add(ms), u64::MAX, name))
                }
                NamespaceFinalize::NextRequest => {
                    self.ns_timers
                        .push_back((i64::MAX, self.requests + 1, name))
                }
            }
            return Ok(Some(written));
        }
        // Not finalized yet: the namespace as it is (no error, nothing deleted).
        let spec_finalizers = obj["spec"]["finalizers"]
            .as_array()
            .is_some_and(|a| !a.is_empty());
        if spec_finalizers {
            return Ok(Some(obj.clone()));
        }
        Ok(None)
    }

    pub(super) fn queue_namespace(&mut self, ns: &str) {
        if !self.ns_queue.iter().any(|n| n == ns) {
            self.ns_queue.push_back(ns.to_string());
        }
    }

    /// kube-controller-manager's namespace controller on a namespace being terminated: it
    /// deletes every object of a namespaced kind in it (an object with finalizers is only
    /// marked, and stays until they are gone: the namespace waits for it), then removes its
    /// `kubernetes` finalizer from `spec.finalizers` (`/finalize`) and deletes the
    /// namespace. In csrsim all of it happens in the settle step after the request that
    /// started it or that removed the last object.
    pub(super) fn sync_namespace(&mut self, ns: &str) {
        let info = resources::find("", "namespaces").expect("served");
        let key = store::key("", "namespaces", "", ns);
        let Some(obj) = self.stored_value(&key) else {
            return;
        };
        if obj["metadata"]["deletionTimestamp"].is_null() {
            return;
        }
        let mut remaining = false;
        let mut by_resource: Vec<(String, usize)> = Vec::new();
        let mut by_finalizer: Vec<(String, usize)> = Vec::new();
        for kind in resources::ALL.iter().filter(|r| r.namespaced && r.stored) {
            let prefix = store::prefix(kind.group, kind.resource, Some(ns));
            let keys: Vec<String> = self
                .store
                .range(&prefix, None)
                .map(|(k, _)| k.clone())
                .collect();
            for k in keys {
                let Some(mut item) = self.stored_value(&k) else {
                    continue;
                };
                let finalized = item["metadata"]["finalizers"]
                    .as_array()
                    .is_none_or(|a| a.is_empty());
                if finalized {
                    let _ = self.remove(kind, &k, item);
                    continue;
                }
                remaining = true;
                let gr = format!("{}.{}", kind.resource, kind.group);
                count(&mut by_resource, &gr);
                for f in item["metadata"]["finalizers"]
                    .as_array()
                    .into_iter()
                    .flatten()
                {
                    count(&mut by_finalizer, f.as_str().unwrap_or_default());
                }
                if item["metadata"]["deletionTimestamp"].is_null() {
                    set_meta(&mut item, "deletionTimestamp", json!(self.now()));
                    set_meta(&mut item, "deletionGracePeriodSeconds", json!(0));
                    let _ = self.write(kind, &k, item);
                }
            }
        }
        let mut obj = obj;
        if let Some(status) =
            namespace_deletion_conditions(&obj["status"], &by_resource, &by_finalizer, self.now())
        {
            // Written through `/status` by kube-controller-manager's client.
            let mut new = obj.clone();
            new["status"] = status;
            if let Some(schema) = managed_fields::schema("namespaces") {
                let mf = managed_fields::update_for(
                    schema,
                    &obj,
                    &new,
                    "kube-controller-manager",
                    "status",
                    self.now(),
                );
                set_meta(&mut new, "managedFields", mf);
            }
            obj = new;
            match self.write(info, &key, obj) {
                Ok(w) => obj = w,
                Err(_) => return,
            }
        }
        if remaining {
            return;
        }
        let kept: Vec<Value> = obj["spec"]["finalizers"]
            .as_array()
            .map(|a| a.iter().filter(|f| *f != "kubernetes").cloned().collect())
            .unwrap_or_default();
        let stored = obj.clone();
        if let Some(spec) = obj["spec"].as_object_mut() {
            if kept.is_empty() {
                spec.shift_remove("finalizers");
            } else {
                spec.insert("finalizers".into(), Value::Array(kept.clone()));
            }
        }
        let meta_finalizers = obj["metadata"]["finalizers"]
            .as_array()
            .is_some_and(|a| !a.is_empty());
        if kept.is_empty() && !meta_finalizers {
            // `/finalize` with nothing left: `ShouldDeleteNamespaceDuringUpdate` deletes it
            // in that update (one DELETED event).
            let _ = self.remove(info, &key, obj);
        } else if obj != stored {
            let _ = self.write(info, &key, obj);
        }
    }
}
