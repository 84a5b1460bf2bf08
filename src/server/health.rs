//! `/healthz`, `/livez` and `/readyz` as kube-apiserver 1.33 answers them
//! (apiserver's `healthz.handleRootHealth`): `ok` without `verbose`; with it, one
//! `[+]<check> ok` line per installed check, then `<name> check passed`. csrsim has nothing
//! that can fail, so every check passes; the names are the apiserver's.

/// The post-start hooks of a kube-apiserver 1.33 with its default feature gates, in the order
/// it installs them; `autoregister-completion` is a check of its own between them.
const POST_START: &[&str] = &[
    "poststarthook/start-apiserver-admission-initializer",
    "poststarthook/generic-apiserver-start-informers",
    "poststarthook/priority-and-fairness-config-consumer",
    "poststarthook/priority-and-fairness-filter",
    "poststarthook/storage-object-count-tracker-hook",
    "poststarthook/start-apiextensions-informers",
    "poststarthook/start-apiextensions-controllers",
    "poststarthook/crd-informer-synced",
    "poststarthook/start-system-namespaces-controller",
    "poststarthook/start-cluster-authentication-info-controller",
    "poststarthook/start-kube-apiserver-identity-lease-controller",
    "poststarthook/start-kube-apiserver-identity-lease-garbage-collector",
    "poststarthook/start-legacy-token-tracking-controller",
    "poststarthook/start-service-ip-repair-controllers",
    "poststarthook/rbac/bootstrap-roles",
    "poststarthook/scheduling/bootstrap-system-priority-classes",
    "poststarthook/priority-and-fairness-config-producer",
    "poststarthook/bootstrap-controller",
    "poststarthook/start-kubernetes-service-cidr-controller",
    "poststarthook/aggregator-reload-proxy-client-cert",
    "poststarthook/start-kube-aggregator-informers",
    "poststarthook/apiservice-status-local-available-controller",
    "poststarthook/apiservice-status-remote-available-controller",
    "poststarthook/apiservice-registration-controller",
    "poststarthook/apiservice-discovery-controller",
    "poststarthook/kube-apiserver-autoregistration",
    "autoregister-completion",
    "poststarthook/apiservice-openapi-controller",
    "poststarthook/apiservice-openapiv3-controller",
];

/// The checks of `healthz`, `livez` or `readyz`, in the order `?verbose` lists them.
fn checks(name: &str) -> Vec<&'static str> {
    let mut checks: Vec<&str> = vec!["ping", "log", "etcd"];
    if name == "readyz" {
        checks.extend(["etcd-readiness", "informer-sync"]);
    }
    checks.extend(POST_START);
    if name == "readyz" {
        checks.push("shutdown");
    }
    checks
}

/// Whether `path` is one check's own path (`/healthz/ping`, `/readyz/poststarthook/…`): the
/// health installer registers exactly these, any other path under the three roots is the
/// mux's 404.
pub fn is_check_path(path: &str) -> bool {
    let path = path.trim_end_matches('/');
    ["healthz", "livez", "readyz"].iter().any(|root| {
        path.strip_prefix('/')
            .and_then(|p| p.strip_prefix(root))
            .and_then(|p| p.strip_prefix('/'))
            .is_some_and(|check| checks(root).contains(&check))
    })
}

/// One of the three root paths, which the system:public-info-viewer role lets anyone read (a
/// trailing slash allowed); a single check's path is not one.
pub fn is_root_path(path: &str) -> bool {
    matches!(
        path.trim_end_matches('/'),
        "/healthz" | "/livez" | "/readyz"
    )
}

/// The body of `GET <path>?<query>` for one of the three root health paths (`None` for any
/// other path, e.g. `/healthz/ping`, answered `ok`).
pub fn root_body(path: &str, query: &str) -> Option<String> {
    let name = match path.trim_end_matches('/') {
        "/healthz" => "healthz",
        "/livez" => "livez",
        "/readyz" => "readyz",
        _ => return None,
    };
    // `r.URL.Query()["verbose"]`: the key's presence, whatever its value.
    let verbose = query
        .split('&')
        .any(|kv| kv.split('=').next() == Some("verbose"));
    if !verbose {
        return Some("ok".into());
    }
    let mut out = String::new();
    for c in checks(name) {
        out.push_str(&format!("[+]{c} ok\n"));
    }
    out.push_str(&format!("{name} check passed\n"));
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verbose_lists_every_check_then_passed() {
        assert_eq!(root_body("/healthz", "").as_deref(), Some("ok"));
        assert_eq!(root_body("/livez", "timeout=32s").as_deref(), Some("ok"));
        assert_eq!(root_body("/healthz/ping", "verbose"), None);
        let h = root_body("/healthz", "verbose=1").unwrap();
        assert!(h.starts_with("[+]ping ok\n[+]log ok\n[+]etcd ok\n[+]poststarthook/"));
        assert!(h.ends_with(
            "[+]poststarthook/apiservice-openapiv3-controller ok\nhealthz check passed\n"
        ));
        assert!(h.contains("\n[+]autoregister-completion ok\n"));
        let r = root_body("/readyz", "verbose").unwrap();
        assert!(r.starts_with(
            "[+]ping ok\n[+]log ok\n[+]etcd ok\n[+]etcd-readiness ok\n[+]informer-sync ok\n"
        ));
        assert!(r.ends_with("[+]shutdown ok\nreadyz check passed\n"));
        let l = root_body("/livez/", "verbose").unwrap();
        assert!(l.ends_with("livez check passed\n") && !l.contains("[+]informer-sync ok"));
    }

    #[test]
    fn only_installed_checks_have_paths() {
        for p in [
            "/healthz/ping",
            "/livez/etcd",
            "/readyz/informer-sync",
            "/readyz/shutdown/",
            "/healthz/poststarthook/rbac/bootstrap-roles",
            "/healthz/autoregister-completion",
        ] {
            assert!(is_check_path(p), "{p}");
        }
        for p in [
            "/healthz/nope",
            "/healthz/shutdown",
            "/livez/informer-sync",
            "/healthz/poststarthook",
            "/healthz",
            "/pingz/ping",
        ] {
            assert!(!is_check_path(p), "{p}");
        }
    }
}
