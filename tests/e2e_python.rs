//! The official Python client (`kubernetes` from PyPI) against `csrsim serve --clock virtual`:
//! create, approve, issuance, validation and admission errors, Failed conditions, patches,
//! watch, RBAC and access reviews (tests/python/csr_flow.py), the two CSR tests of upstream's
//! test/e2e/auth/certificates.go, and every test function of upstream's
//! test/integration/certificates/ (`upstream_<file>.py`, helpers in `upstream_util.py`: Ed25519
//! CSRs as Go's `pemWithTemplate`, impersonating clients, RBAC grants with the SAR poll),
//! rewritten for the Python client.
//!
//! `.ci/run` installs the client; outside CI the test is skipped when the module is missing.
#![allow(clippy::disallowed_methods)] // tests are an edge

mod server_support;
use server_support::Server;
use std::process::Command;

fn python_client_available() -> bool {
    Command::new("python3")
        .args(["-c", "import kubernetes"])
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

/// Run tests/python/SCRIPT against a fresh `csrsim serve` with `server_args`; the script must
/// print `marker` and exit 0.
fn run_script(script: &str, marker: &str, server_args: &[&str]) {
    if !python_client_available() {
        assert!(
            std::env::var("CI").is_err(),
            "CI must install the Python client (pip install kubernetes)"
        );
        eprintln!("skipped: python3 module `kubernetes` not installed");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut server = Server::start(dir.path(), server_args);
    let work = dir.path().join("py");
    std::fs::create_dir_all(&work).unwrap();
    let out = Command::new("python3")
        .arg(format!(
            "{}/tests/python/{script}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .arg(&work)
        .env("KUBECONFIG", &server.kubeconfig)
        .output()
        .expect("run python3");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stdout.contains(marker),
        "{script} failed\nstdout:\n{stdout}\nstderr:\n{stderr}\nserver log:\n{}",
        server.log()
    );
    server.stop();
}

#[test]
fn python_client_csr_flow() {
    run_script("csr_flow.py", "python flow: ok", &["--clock", "virtual"]);
}

/// test/e2e/auth/certificates.go "should support CSR API operations" (a conformance test).
#[test]
fn upstream_e2e_csr_api_operations() {
    run_script(
        "upstream_csr_api_operations.py",
        "upstream csr api operations: ok",
        &[],
    );
}

/// test/e2e/auth/certificates.go "should support building a client with a CSR".
#[test]
fn upstream_e2e_client_from_csr() {
    run_script(
        "upstream_client_from_csr.py",
        "upstream client from csr: ok",
        &[],
    );
}

// test/integration/certificates/*_test.go, one script per upstream test function.

/// admission_approval_test.go TestCSRSignerNameApprovalPlugin.
#[test]
fn upstream_integration_admission_approval() {
    run_script(
        "upstream_admission_approval.py",
        "upstream admission approval: ok",
        &[],
    );
}

/// admission_sign_test.go TestCSRSignerNameSigningPlugin.
#[test]
fn upstream_integration_admission_sign() {
    run_script(
        "upstream_admission_sign.py",
        "upstream admission sign: ok",
        &[],
    );
}

/// admission_subjectrestriction_test.go TestCertificateSubjectRestrictionPlugin.
#[test]
fn upstream_integration_admission_subjectrestriction() {
    run_script(
        "upstream_admission_subjectrestriction.py",
        "upstream admission subjectrestriction: ok",
        &[],
    );
}

/// controller_approval_test.go TestController_AutoApproval (the approver runs on the wall clock).
#[test]
fn upstream_integration_controller_approval() {
    run_script(
        "upstream_controller_approval.py",
        "upstream controller approval: ok",
        &[],
    );
}

/// defaulting_test.go TestCSRSignerNameDefaulting (v1: no defaulting; v1beta1 not served).
#[test]
fn upstream_integration_defaulting() {
    run_script("upstream_defaulting.py", "upstream defaulting: ok", &[]);
}

/// duration_test.go TestCSRDuration: the signer's TTL is 24h, as upstream's test controller.
#[test]
fn upstream_integration_duration() {
    run_script(
        "upstream_duration.py",
        "upstream duration: ok",
        &["--cluster-signing-duration", "24h"],
    );
}

/// field_selector_test.go TestCSRSignerNameFieldSelector.
#[test]
fn upstream_integration_field_selector() {
    run_script(
        "upstream_field_selector.py",
        "upstream field selector: ok",
        &[],
    );
}

/// `kubernetes.dynamic.DynamicClient`: discovery (and its cache file), resources.get by
/// apiVersion and kind, get/list/create/patch/replace/delete/watch, the `/approval`
/// subresource, server-side apply with conflicts and force, an RBAC kind and a namespace.
#[test]
fn python_dynamic_client() {
    run_script(
        "dynamic_client.py",
        "python dynamic client: ok",
        &["--clock", "virtual"],
    );
}

/// Every CertificatesV1Api call with the options a black-box Python suite passes (dry_run,
/// field_manager, field_validation, pretty, raw `_preload_content=False` bodies, paging,
/// resourceVersion/resourceVersionMatch, the client's patch content types, V1DeleteOptions,
/// delete_collection) and `ApiException`'s status, reason phrase and Status body on each error.
#[test]
fn python_client_requests() {
    run_script(
        "python_client_requests.py",
        "python client requests: ok",
        &["--clock", "virtual"],
    );
}

/// `watch.Watch().stream` on CSRs (approve/sign/delete events, resume, selectors, bookmarks,
/// 410 as an ERROR event the client raises), and the reference doc's csr-creator, csr-approver
/// and csr-signer ClusterRoles acted out by users with client certificates issued through CSRs
/// (RBAC and admission 403s, the access reviews), a token user and impersonation.
#[test]
fn python_client_watch_rbac() {
    let tokens =
        std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("python_client_watch_rbac.csv");
    std::fs::write(&tokens, "py-token,token-user,token-uid,\"g1,g2\"\n").unwrap();
    run_script(
        "python_client_watch_rbac.py",
        "python client watch rbac: ok",
        &[
            "--clock",
            "virtual",
            "--token-auth-file",
            tokens.to_str().unwrap(),
        ],
    );
}

// test/e2e conformance tests of the kinds csrsim stores, one script per upstream file.

/// test/e2e/apimachinery/namespace.go: patch, status get/patch/update, update, finalize.
#[test]
fn upstream_e2e_namespace() {
    run_script("upstream_namespace.py", "upstream namespace: ok", &[]);
}

/// test/e2e/auth/subjectreviews.go and selfsubjectreviews.go.
#[test]
fn upstream_e2e_subject_reviews() {
    run_script(
        "upstream_subject_reviews.py",
        "upstream subject reviews: ok",
        &[],
    );
}

/// test/e2e/apimachinery/watch.go and protocol.go, with Secrets for ConfigMaps.
#[test]
fn upstream_e2e_watch() {
    run_script("upstream_watch.py", "upstream watch: ok", &[]);
}

/// test/e2e/apimachinery/chunking.go, with Secrets for PodTemplates; the compaction of the
/// first page's revision is driven by the virtual clock.
#[test]
fn upstream_e2e_chunking() {
    run_script(
        "upstream_chunking.py",
        "upstream chunking: ok",
        &["--clock", "virtual"],
    );
}

/// test/e2e/apimachinery/table_conversion.go: v1beta1 Tables of a Secret and a CSR, chunked
/// Table lists, namespaces for nodes, and the 406 of a SelfSubjectAccessReview as a Table.
#[test]
fn upstream_e2e_tables() {
    run_script("upstream_tables.py", "upstream tables: ok", &[]);
}

/// `Accept: application/yaml` through the Python client: get, list, discovery, a review create
/// and a 404 Status in YAML (parsed with PyYAML, equal to the JSON answers), a watch's 406.
#[test]
fn python_client_yaml_answers() {
    run_script(
        "python_client_yaml.py",
        "python yaml: ok",
        &["--clock", "virtual"],
    );
}

/// test/e2e/apimachinery/discovery.go, server_version.go, health_handlers.go and
/// request_timeout.go, and a
/// TokenReview of a `--token-auth-file` token.
#[test]
fn upstream_e2e_discovery() {
    let tokens =
        std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("upstream_discovery_tokens.csv");
    std::fs::write(&tokens, "e2e-token,e2e-user,e2e-uid,e2e-group\n").unwrap();
    run_script(
        "upstream_discovery.py",
        "upstream discovery: ok",
        &["--token-auth-file", tokens.to_str().unwrap()],
    );
}

/// test/e2e/common/node/secrets.go (the empty-key 422, "should patch a secret") and
/// test/e2e/common/storage/secrets_volume.go "should be immutable if `immutable` field is set".
#[test]
fn upstream_e2e_secrets() {
    run_script("upstream_secrets.py", "upstream secrets: ok", &[]);
}

/// The documented example signer (docs/examples/external_signer.py) passes the custom-signer
/// profile, run through the CLI exactly as docs/conformance.md says.
#[test]
fn documented_example_signer_passes_the_custom_signer_profile() {
    let has_crypto = Command::new("python3")
        .args(["-c", "import kubernetes, cryptography"])
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if !has_crypto {
        eprintln!("skipped: python3 modules `kubernetes` and `cryptography` not both installed");
        return;
    }
    let root = env!("CARGO_MANIFEST_DIR");
    let dir = tempfile::tempdir().unwrap();
    let mut server = Server::start(dir.path(), &["--clock", "virtual"]);
    let mut signer = Command::new("python3")
        .arg(format!("{root}/docs/examples/external_signer.py"))
        .arg(&server.kubeconfig)
        .arg("example.org/docs-example")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("start the example signer");
    // It prints its first line once it is about to watch.
    let mut first = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(signer.stdout.as_mut().unwrap()),
        &mut first,
    )
    .unwrap();
    assert_eq!(first, "signing for example.org/docs-example\n");
    let out = Command::new(env!("CARGO_BIN_EXE_csrsim"))
        .args(["run", "--kubeconfig"])
        .arg(&server.kubeconfig)
        .args([
            "--profile",
            "custom-signer",
            "--signer-name",
            "example.org/docs-example",
            "--step-timeout",
            "3s",
            "scenarios/conformance/",
        ])
        .current_dir(root)
        .output()
        .unwrap();
    let _ = signer.kill();
    let _ = signer.wait();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.ends_with("6 rules: 6 passed, 0 failed, 0 skipped\n"),
        "{stdout}"
    );
    server.stop();
}
