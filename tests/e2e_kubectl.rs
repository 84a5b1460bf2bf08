//! End-to-end: the real `csrsim serve` binary driven by real kubectl through every command
//! of `shared/reference/certificate-signing-requests.txt` (openssl key and CSR, apply, get,
//! approve/deny, jsonpath of the certificate, openssl verify, create role/rolebinding,
//! config set-credentials/set-context/use-context, then requests as the new user), plus
//! restart persistence, the clock endpoint, and malformed requests.
//!
//! kubectl versions: `kubectl` on PATH (here the google-cloud-sdk dispatcher, which runs
//! kubectl 1.33 for our `/version` and sends protobuf bodies; in CI Debian's 1.20) and, when
//! installed, kubectl 1.30 (JSON bodies).
//!
//! Assertions that need the signer controller (certificate issued after approval) are marked
//! `[signer]`.
#![allow(clippy::disallowed_methods)] // edge: tests read the wall clock for file names

mod server_support;

use serde_json::Value;
use server_support::{have, sh, Server, KUBECTL, KUBECTL_1_30};
use std::path::Path;

fn manifest(
    name: &str,
    csr_file: &Path,
    signer: &str,
    usages: &[&str],
    expiration: Option<i64>,
) -> String {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD.encode(std::fs::read(csr_file).unwrap());
    let mut m = format!("apiVersion: certificates.k8s.io/v1\nkind: CertificateSigningRequest\nmetadata:\n  name: {name}\nspec:\n  request: {b64}\n  signerName: {signer}\n");
    if let Some(e) = expiration {
        m.push_str(&format!("  expirationSeconds: {e}  # one day\n"));
    }
    m.push_str("  usages:\n");
    for u in usages {
        m.push_str(&format!("  - {u}\n"));
    }
    m
}

fn client_minor(s: &Server, bin: &str) -> u32 {
    let out = s.ok(bin, &["version", "--client", "-o", "json"], None);
    let v: Value = serde_json::from_str(&out).unwrap();
    v["clientVersion"]["minor"]
        .as_str()
        .unwrap_or("0")
        .trim_end_matches('+')
        .parse()
        .unwrap_or(0)
}

/// Debian's kubectl 1.20 panics in `config set-credentials` on any kubeconfig (client bug,
/// wire doc finding 0): for that version only, the user entry is written into the kubeconfig
/// directly, with the same embedded data `--embed-certs=true` would write.
fn set_credentials_directly(s: &Server, user: &str, crt: &Path, key: &Path) {
    use base64::Engine;
    let e = |p: &Path| base64::engine::general_purpose::STANDARD.encode(std::fs::read(p).unwrap());
    let text = std::fs::read_to_string(&s.kubeconfig).unwrap();
    let mut v: Value = serde_saphyr::from_str(&text).unwrap();
    v["users"].as_array_mut().unwrap().push(serde_json::json!({"name": user, "user": {"client-certificate-data": e(crt), "client-key-data": e(key)}}));
    std::fs::write(&s.kubeconfig, serde_json::to_string_pretty(&v).unwrap()).unwrap();
}

/// The reference document, command by command, with one kubectl binary.
fn reference_flow(bin: &str) {
    reference_flow_with(bin, &["--clock", "virtual"]);
}

fn reference_flow_with(bin: &str, server_args: &[&str]) {
    let tmp = tempfile::tempdir().unwrap();
    let s = Server::start(tmp.path(), server_args);
    let real_clock = !server_args.contains(&"virtual");
    let d = tmp.path();
    let minor = client_minor(&s, bin);
    let env = [("KUBECONFIG", s.kubeconfig.as_path()), ("HOME", d)];

    // Create private key (the document's `openssl req` is interactive: CN and O given here).
    sh(d, "openssl genrsa -out myuser.key 2048", &[]);
    sh(
        d,
        "openssl req -new -key myuser.key -out myuser.csr -subj '/CN=myuser/O=developers'",
        &[],
    );

    // Create CertificateSigningRequest: `cat <<EOF | kubectl apply -f -`
    let out = s.ok(
        bin,
        &["apply", "-f", "-"],
        Some(&manifest(
            "myuser",
            &d.join("myuser.csr"),
            "kubernetes.io/kube-apiserver-client",
            &["client auth"],
            Some(86400),
        )),
    );
    assert_eq!(
        out.trim(),
        "certificatesigningrequest.certificates.k8s.io/myuser created"
    );
    // applying again changes nothing
    let out = s.ok(
        bin,
        &["apply", "-f", "-"],
        Some(&manifest(
            "myuser",
            &d.join("myuser.csr"),
            "kubernetes.io/kube-apiserver-client",
            &["client auth"],
            Some(86400),
        )),
    );
    assert_eq!(
        out.trim(),
        "certificatesigningrequest.certificates.k8s.io/myuser unchanged"
    );

    // kubectl >= 1.27 asks for fieldValidation=Strict: a typo in a field is refused.
    if minor >= 27 {
        let typo = manifest(
            "typo",
            &d.join("myuser.csr"),
            "kubernetes.io/kube-apiserver-client",
            &["client auth"],
            None,
        )
        .replace("  usages:", "  expirationSecond: 600\n  usages:");
        let o = s.kubectl(bin, &["create", "-f", "-"], Some(&typo));
        assert!(!o.status.success());
        assert_eq!(
            String::from_utf8_lossy(&o.stderr).trim(),
            "Error from server (BadRequest): error when creating \"STDIN\": CertificateSigningRequest in version \"v1\" cannot be handled as a CertificateSigningRequest: strict decoding error: unknown field \"spec.expirationSecond\""
        );
        // --validate=warn: created, and the server's Warning header is printed.
        let o = s.kubectl(bin, &["create", "-f", "-", "--validate=warn"], Some(&typo));
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(o.status.success(), "{err}");
        assert!(
            err.contains("Warning: unknown field \"spec.expirationSecond\""),
            "{err}"
        );
        // `kubectl patch` sends no fieldValidation (upstream's default, Warn): the patch applies
        // without the unknown field and the Warning header is printed.
        let o = s.kubectl(
            bin,
            &[
                "patch",
                "csr",
                "typo",
                "-p",
                r#"{"spec":{"fooBar":1},"metadata":{"labels":{"p":"q"}}}"#,
            ],
            None,
        );
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(o.status.success(), "{err}");
        assert!(
            err.contains("Warning: unknown field \"spec.fooBar\""),
            "{err}"
        );
        s.ok(bin, &["delete", "csr", "typo"], None);
        // Server-side apply refuses an unknown field in the field manager's typed conversion,
        // whatever --validate says: a plain 500 (apiserver `applyPatcher`, apimachinery
        // `structuredMergeManager.Apply`), and nothing is created.
        for v in ["--validate=strict", "--validate=warn", "--validate=ignore"] {
            let o = s.kubectl(bin, &["apply", "--server-side", "-f", "-", v], Some(&typo));
            assert!(!o.status.success(), "{v}");
            assert_eq!(
                String::from_utf8_lossy(&o.stderr).trim(),
                "Error from server: failed to create typed patch object (/typo; certificates.k8s.io/v1, Kind=CertificateSigningRequest): .spec.expirationSecond: field not declared in schema",
                "{v}"
            );
        }
        let o = s.kubectl(bin, &["get", "csr", "typo"], None);
        assert!(!o.status.success());
        // `kubectl explain` reads the OpenAPI v3 document (src/server/openapi.rs).
        let out = s.ok(bin, &["explain", "csr.spec.signerName"], None);
        assert!(
            out.contains("KIND:       CertificateSigningRequest"),
            "{out}"
        );
        assert!(out.contains("FIELD: signerName <string>"), "{out}");
        // A client-side apply that changes the object computes its patch from kubectl's own
        // types (the v3 document advertises no strategic merge patch): no warning.
        let relabel = manifest(
            "myuser",
            &d.join("myuser.csr"),
            "kubernetes.io/kube-apiserver-client",
            &["client auth"],
            Some(86400),
        )
        .replace(
            "metadata:\n",
            "metadata:\n  labels: {relabelled: \"yes\"}\n",
        );
        assert!(relabel.contains("relabelled"), "{relabel}");
        let o = s.kubectl(bin, &["apply", "-f", "-"], Some(&relabel));
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(o.status.success() && err.trim().is_empty(), "{err}");
        assert_eq!(
            String::from_utf8_lossy(&o.stdout).trim(),
            "certificatesigningrequest.certificates.k8s.io/myuser configured"
        );
    }

    // Get the list of CSRs: server-side Table with the exact columns.
    let out = s.ok(bin, &["get", "csr"], None);
    let lines: Vec<Vec<&str>> = out
        .lines()
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert_eq!(
        lines[0],
        [
            "NAME",
            "AGE",
            "SIGNERNAME",
            "REQUESTOR",
            "REQUESTEDDURATION",
            "CONDITION"
        ],
        "{out}"
    );
    // Age: 0s on the virtual clock; with --clock real, the seconds that passed since the
    // create (a loaded 2-core CI machine has taken 2 s): any age up to 10 s, in seconds.
    let age = if real_clock {
        let secs = lines[1][1]
            .strip_suffix('s')
            .and_then(|n| n.parse::<u32>().ok());
        assert!(
            secs.is_some_and(|n| n <= 10),
            "age {:?}: {out}",
            lines[1][1]
        );
        lines[1][1]
    } else {
        "0s"
    };
    assert_eq!(
        lines[1],
        [
            "myuser",
            age,
            "kubernetes.io/kube-apiserver-client",
            "kubernetes-admin",
            "24h",
            "Pending"
        ],
        "{out}"
    );

    // Approve the CSR (1.33: protobuf PUT /approval; 1.30: JSON).
    let out = s.ok(bin, &["certificate", "approve", "myuser"], None);
    assert_eq!(
        out.trim(),
        "certificatesigningrequest.certificates.k8s.io/myuser approved"
    );
    let out = s.ok(bin, &["get", "csr", "myuser"], None);
    assert!(
        out.contains("Approved,Issued"),
        "[signer] certificate issued before the approve response: {out}"
    );

    // Get the certificate.
    let yaml = s.ok(bin, &["get", "csr/myuser", "-o", "yaml"], None);
    assert!(
        yaml.contains("reason: KubectlApprove") && yaml.contains("type: Approved"),
        "{yaml}"
    );
    assert!(
        yaml.contains("  certificate: "),
        "[signer] status.certificate present: {yaml}"
    );
    sh(
        d,
        &format!(
            "{bin} get csr myuser -o jsonpath='{{.status.certificate}}'| base64 -d > myuser.crt"
        ),
        &env,
    );
    let subject = sh(
        d,
        "openssl x509 -in myuser.crt -noout -subject -nameopt compat",
        &[],
    );
    assert!(
        subject.contains("CN=myuser") && subject.contains("O=developers"),
        "[signer] {subject}"
    );
    // The issued certificate chains to ca.crt, on the virtual timeline.
    let now = s.clock();
    let at = csrsim::api::Time::parse_rfc3339(&now).unwrap().unix();
    let v = sh(
        d,
        &format!("openssl verify -attime {at} -CAfile ca.crt myuser.crt"),
        &[],
    );
    assert_eq!(v.trim(), "myuser.crt: OK", "[signer]");

    // Create Role and RoleBinding (1.33: protobuf bodies).
    let out = s.ok(
        bin,
        &[
            "create",
            "role",
            "developer",
            "--verb=create",
            "--verb=get",
            "--verb=list",
            "--verb=update",
            "--verb=delete",
            "--resource=pods",
        ],
        None,
    );
    assert_eq!(
        out.trim(),
        "role.rbac.authorization.k8s.io/developer created"
    );
    let out = s.ok(
        bin,
        &[
            "create",
            "rolebinding",
            "developer-binding-myuser",
            "--role=developer",
            "--user=myuser",
        ],
        None,
    );
    assert_eq!(
        out.trim(),
        "rolebinding.rbac.authorization.k8s.io/developer-binding-myuser created"
    );
    let out = s.ok(bin, &["get", "rolebinding", "-o", "wide"], None);
    assert!(
        out.contains("developer-binding-myuser")
            && out.contains("Role/developer")
            && out.contains("myuser"),
        "{out}"
    );

    // Add to kubeconfig.
    if minor >= 21 {
        let out = s.ok(
            bin,
            &[
                "config",
                "set-credentials",
                "myuser",
                "--client-key=myuser.key",
                "--client-certificate=myuser.crt",
                "--embed-certs=true",
            ],
            None,
        );
        assert_eq!(out.trim(), "User \"myuser\" set.");
    } else {
        set_credentials_directly(&s, "myuser", &d.join("myuser.crt"), &d.join("myuser.key"));
    }
    let out = s.ok(
        bin,
        &[
            "config",
            "set-context",
            "myuser",
            "--cluster=kubernetes",
            "--user=myuser",
        ],
        None,
    );
    assert_eq!(out.trim(), "Context \"myuser\" created.");
    let out = s.ok(bin, &["config", "use-context", "myuser"], None);
    assert_eq!(out.trim(), "Switched to context \"myuser\".");

    // Requests as myuser, authenticated by the issued certificate [signer].
    if minor >= 26 {
        let out = s.ok(bin, &["auth", "whoami"], None);
        assert!(
            out.contains("myuser") && out.contains("[developers system:authenticated]"),
            "{out}"
        );
        // The x509 authenticator's credential id (the leaf's SHA-256), as since 1.32.
        assert!(
            out.contains("Extra: authentication.kubernetes.io/credential-id")
                && out.contains("[X509SHA256="),
            "{out}"
        );
    }
    assert_eq!(
        s.ok(bin, &["auth", "can-i", "create", "pods"], None).trim(),
        "yes"
    );
    let o = s.kubectl(
        bin,
        &["auth", "can-i", "create", "pods", "-n", "kube-system"],
        None,
    );
    assert_eq!(String::from_utf8_lossy(&o.stdout).trim(), "no");
    let o = s.kubectl(bin, &["get", "pods"], None);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stderr).contains("No resources found in default namespace."));
    let e = s.fails(bin, &["get", "pods", "-n", "kube-system"]);
    assert!(e.contains("Error from server (Forbidden): pods is forbidden: User \"myuser\" cannot list resource \"pods\" in API group \"\" in the namespace \"kube-system\""), "{e}");
    let e = s.fails(bin, &["get", "csr"]);
    assert!(e.contains("User \"myuser\" cannot list resource \"certificatesigningrequests\" in API group \"certificates.k8s.io\" at the cluster scope"), "{e}");
    s.ok(
        bin,
        &["config", "use-context", "kubernetes-admin@kubernetes"],
        None,
    );

    // Approval or rejection: deny.
    sh(d, "openssl req -new -newkey rsa:2048 -nodes -keyout other.key -out other.csr -subj '/CN=other' 2>/dev/null", &[]);
    s.ok(
        bin,
        &["apply", "-f", "-"],
        Some(&manifest(
            "other",
            &d.join("other.csr"),
            "kubernetes.io/kube-apiserver-client",
            &["client auth"],
            None,
        )),
    );
    let out = s.ok(bin, &["certificate", "deny", "other"], None);
    assert_eq!(
        out.trim(),
        "certificatesigningrequest.certificates.k8s.io/other denied"
    );
    let out = s.ok(bin, &["get", "csr", "other", "--no-headers"], None);
    let cells: Vec<&str> = out.split_whitespace().collect();
    assert_eq!(
        &cells[2..],
        [
            "kubernetes.io/kube-apiserver-client",
            "kubernetes-admin",
            "<none>",
            "Denied"
        ],
        "{out}"
    );
    // Paging: kubectl follows continue tokens page by page (one object per page here).
    let out = s.ok(bin, &["get", "csr", "--chunk-size=1", "-o", "name"], None);
    assert_eq!(
        out.lines().collect::<Vec<_>>(),
        [
            "certificatesigningrequest.certificates.k8s.io/myuser",
            "certificatesigningrequest.certificates.k8s.io/other"
        ],
        "{out}"
    );
    let e = s.fails(bin, &["certificate", "approve", "other"]);
    assert!(e.contains("is already Denied"), "{e}");

    // A CSR for a custom signer (the document's second manifest), and describe.
    sh(d, "openssl req -new -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj '/CN=my-svc.my-namespace.svc' 2>/dev/null", &[]);
    let out = s.ok(
        bin,
        &["apply", "-f", "-"],
        Some(&manifest(
            "my-svc.my-namespace",
            &d.join("server.csr"),
            "example.com/serving",
            &["digital signature", "key encipherment", "server auth"],
            None,
        )),
    );
    assert_eq!(
        out.trim(),
        "certificatesigningrequest.certificates.k8s.io/my-svc.my-namespace created"
    );
    let out = s.ok(bin, &["describe", "csr", "my-svc.my-namespace"], None);
    assert!(
        out.contains("example.com/serving")
            && out.contains("Pending")
            && out.contains("my-svc.my-namespace.svc"),
        "{out}"
    );

    // Errors as kubectl prints them.
    let e = s.fails(bin, &["get", "csr", "nope"]);
    assert!(e.contains("Error from server (NotFound): certificatesigningrequests.certificates.k8s.io \"nope\" not found"), "{e}");
    let out = s.ok(bin, &["delete", "csr", "other"], None);
    assert_eq!(
        out.trim(),
        "certificatesigningrequest.certificates.k8s.io \"other\" deleted"
    );
    assert!(s.log().contains("PUT") && s.log().contains("/approval"));
}

#[test]
fn reference_document_with_kubectl_on_path() {
    assert!(
        have(KUBECTL),
        "kubectl must be installed for the end-to-end tests"
    );
    reference_flow(KUBECTL);
}

#[test]
fn reference_document_with_kubectl_1_30_json_bodies() {
    if !have(KUBECTL_1_30) {
        eprintln!("SKIP: {KUBECTL_1_30} not installed");
        return;
    }
    reference_flow(KUBECTL_1_30);
}

/// The same with `--clock real` (the default): controllers react as writes happen.
#[test]
fn reference_document_real_clock() {
    reference_flow_with(KUBECTL, &[]);
}

/// Any other kubectl binary, e.g. Debian's 1.20 unpacked somewhere:
/// `CSRSIM_E2E_KUBECTL=/path/to/kubectl cargo test --test e2e_kubectl`.
#[test]
fn reference_document_with_kubectl_from_env() {
    match std::env::var("CSRSIM_E2E_KUBECTL") {
        Ok(bin) => reference_flow(&bin),
        Err(_) => eprintln!("SKIP: CSRSIM_E2E_KUBECTL not set"),
    }
}

/// `kubectl get csr -w` streams Table rows, and `get csr NAME -w` skips its first event
/// (so the initial synthetic ADDED must be there for the change to show).
#[test]
fn watch_prints_changes_as_table_rows() {
    let tmp = tempfile::tempdir().unwrap();
    let s = Server::start(tmp.path(), &["--clock", "virtual"]);
    let d = tmp.path();
    sh(d, "openssl req -new -newkey rsa:2048 -nodes -keyout w.key -out w.csr -subj '/CN=w' 2>/dev/null", &[]);
    s.ok(
        KUBECTL,
        &["apply", "-f", "-"],
        Some(&manifest(
            "w",
            &d.join("w.csr"),
            "kubernetes.io/kube-apiserver-client",
            &["client auth"],
            Some(3600),
        )),
    );
    let spawn = |args: &[&str]| {
        std::process::Command::new(KUBECTL)
            .args(args)
            .env("KUBECONFIG", &s.kubeconfig)
            .env("HOME", d)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    let all = spawn(&["get", "csr", "-w", "--request-timeout=0"]);
    let one = spawn(&["get", "csr", "w", "-w"]);
    std::thread::sleep(std::time::Duration::from_millis(2500));
    s.ok(KUBECTL, &["certificate", "approve", "w"], None);
    s.ok(KUBECTL, &["delete", "csr", "w"], None);
    std::thread::sleep(std::time::Duration::from_millis(1000));
    let mut outs = Vec::new();
    for mut c in [all, one] {
        let _ = c.kill();
        let o = c.wait_with_output().unwrap();
        outs.push(String::from_utf8_lossy(&o.stdout).into_owned());
    }
    for out in &outs {
        let header_count = out.lines().filter(|l| l.starts_with("NAME")).count();
        assert_eq!(header_count, 1, "one header only:\n{out}");
        assert!(
            out.lines()
                .any(|l| l.starts_with("w ") && l.contains("Pending")),
            "{out}"
        );
        assert!(
            out.lines()
                .any(|l| l.starts_with("w ") && l.contains("Approved")),
            "approval shown:\n{out}"
        );
        assert!(out.lines().any(|l| l.contains("60m")), "{out}");
    }
}

/// test/cmd/apply.sh's field-manager checks on a CSR (with a label: the CSR strategies reset
/// `spec` and `status`, so a CSR without metadata fields has no managed fields upstream):
/// a server-side apply is owned by `kubectl`, `--field-manager` adds its own entry, another
/// value for an owned field is a conflict unless forced, a client-side apply is owned by
/// `kubectl-client-side-apply`, and `kubectl certificate approve` owns the condition it
/// added on `/approval`.
#[test]
fn field_managers_as_apply_sh_checks_them() {
    let tmp = tempfile::tempdir().unwrap();
    let s = Server::start(tmp.path(), &["--clock", "virtual"]);
    let d = tmp.path();
    sh(d, "openssl req -new -newkey rsa:2048 -nodes -keyout m.key -out m.csr -subj '/CN=m' 2>/dev/null", &[]);
    let labelled = |v: &str| {
        manifest(
            "m",
            &d.join("m.csr"),
            "kubernetes.io/kube-apiserver-client",
            &["client auth"],
            None,
        )
        .replace(
            "metadata:\n",
            &format!("metadata:\n  labels: {{tier: \"{v}\"}}\n"),
        )
    };
    let managers = || {
        s.ok(
            KUBECTL,
            &[
                "get",
                "csr",
                "m",
                "-o",
                "jsonpath={.metadata.managedFields[*].manager}",
            ],
            None,
        )
    };
    s.ok(
        KUBECTL,
        &["apply", "--server-side", "-f", "-"],
        Some(&labelled("a")),
    );
    assert_eq!(managers(), "kubectl");
    s.ok(
        KUBECTL,
        &[
            "apply",
            "--server-side",
            "--field-manager=my-field-manager",
            "--force-conflicts",
            "-f",
            "-",
        ],
        Some(&labelled("a")),
    );
    let m = managers();
    assert!(
        m.contains("my-field-manager") && m.contains("kubectl"),
        "{m}"
    );
    let o = s.kubectl(
        KUBECTL,
        &["apply", "--server-side", "--field-manager=other", "-f", "-"],
        Some(&labelled("b")),
    );
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains(
            "Apply failed with 1 conflict: conflict with \"kubectl\": .metadata.labels.tier"
        ) || err.contains("Apply failed with 2 conflicts: conflicts with \"kubectl\":"),
        "{err}"
    );
    s.ok(
        KUBECTL,
        &[
            "apply",
            "--server-side",
            "--field-manager=other",
            "--force-conflicts",
            "-f",
            "-",
        ],
        Some(&labelled("b")),
    );
    assert_eq!(managers(), "other");
    s.ok(KUBECTL, &["certificate", "approve", "m"], None);
    let approval = s.ok(
        KUBECTL,
        &[
            "get",
            "csr",
            "m",
            "-o",
            "jsonpath={.metadata.managedFields[?(@.subresource==\"approval\")].manager}",
        ],
        None,
    );
    assert_eq!(approval, "kubectl");
    s.ok(KUBECTL, &["delete", "csr", "m"], None);
    s.ok(KUBECTL, &["apply", "-f", "-"], Some(&labelled("a")));
    assert_eq!(managers(), "kubectl-client-side-apply");
}

/// kube-controller-manager's writes carry their `managedFields` entries: the approver's on
/// `/approval`, the signer's on `/status` (manager `kube-controller-manager`, the first
/// segment of its client-go User-Agent).
#[test]
fn controller_writes_show_kube_controller_manager_in_managed_fields() {
    let tmp = tempfile::tempdir().unwrap();
    let s = Server::start(tmp.path(), &["--clock", "virtual"]);
    let d = tmp.path();
    sh(d, "openssl req -new -newkey rsa:2048 -nodes -keyout n.key -out n.csr -subj '/O=system:nodes/CN=system:node:n1' 2>/dev/null", &[]);
    s.ok(
        KUBECTL,
        &["create", "-f", "-"],
        Some(&manifest(
            "n1",
            &d.join("n.csr"),
            "kubernetes.io/kube-apiserver-client-kubelet",
            &["digital signature", "key encipherment", "client auth"],
            None,
        )),
    );
    let entries = s.ok(
        KUBECTL,
        &[
            "get",
            "csr",
            "n1",
            "-o",
            "jsonpath={range .metadata.managedFields[*]}{.manager}/{.operation}/{.subresource};{end}",
        ],
        None,
    );
    assert_eq!(
        entries,
        "kube-controller-manager/Update/approval;kube-controller-manager/Update/status;"
    );
    let approval = s.ok(
        KUBECTL,
        &[
            "get",
            "csr",
            "n1",
            "-o",
            "jsonpath={.metadata.managedFields[0].fieldsV1}",
        ],
        None,
    );
    let v: Value = serde_json::from_str(&approval).unwrap();
    let cond = &v["f:status"]["f:conditions"]["k:{\"type\":\"Approved\"}"];
    for f in [
        "f:lastTransitionTime",
        "f:lastUpdateTime",
        "f:message",
        "f:reason",
        "f:status",
        "f:type",
    ] {
        assert!(cond.get(f).is_some(), "{f} in {approval}");
    }
}

/// `kubectl replace` of an issued CSR from its manifest (no status) is an update whose body
/// drops the status, a reset field of the main resource: the field manager's comparison is
/// filtered by the reset fields (removed fields too), so the approver's and the signer's
/// entries keep the conditions and the certificate they own, and `kubectl-replace` owns
/// nothing it did not change.
#[test]
fn replace_from_a_manifest_keeps_the_status_managers() {
    let tmp = tempfile::tempdir().unwrap();
    let s = Server::start(tmp.path(), &["--clock", "virtual"]);
    let d = tmp.path();
    sh(d, "openssl req -new -newkey rsa:2048 -nodes -keyout n.key -out n.csr -subj '/O=system:nodes/CN=system:node:n1' 2>/dev/null", &[]);
    let m = manifest(
        "n1",
        &d.join("n.csr"),
        "kubernetes.io/kube-apiserver-client-kubelet",
        &["digital signature", "key encipherment", "client auth"],
        None,
    );
    s.ok(KUBECTL, &["create", "-f", "-"], Some(&m));
    let fields = |s: &Server| {
        s.ok(
            KUBECTL,
            &[
                "get",
                "csr",
                "n1",
                "-o",
                "jsonpath={range .metadata.managedFields[*]}{.manager}/{.subresource}={.fieldsV1};{end}",
            ],
            None,
        )
    };
    let before = fields(&s);
    assert!(before.contains("f:certificate"), "{before}");
    let out = s.ok(KUBECTL, &["replace", "-f", "-"], Some(&m));
    assert_eq!(
        out.trim(),
        "certificatesigningrequest.certificates.k8s.io/n1 replaced"
    );
    assert_eq!(fields(&s), before);
}

/// `kubectl patch` with each patch type, and a JSON patch operation that fails: apiserver
/// answers every failed operation with the generic 422 (json-patch's own text is not sent),
/// which kubectl prints as "The request is invalid: …".
#[test]
fn kubectl_patch_types_and_a_failed_json_patch() {
    let tmp = tempfile::tempdir().unwrap();
    let s = Server::start(tmp.path(), &["--clock", "virtual"]);
    let d = tmp.path();
    sh(d, "openssl req -new -newkey rsa:2048 -nodes -keyout p.key -out p.csr -subj '/CN=p' 2>/dev/null", &[]);
    s.ok(
        KUBECTL,
        &["create", "-f", "-"],
        Some(&manifest(
            "p",
            &d.join("p.csr"),
            "example.com/signer",
            &["client auth"],
            None,
        )),
    );
    for (t, p) in [
        (
            "json",
            r#"[{"op":"add","path":"/metadata/labels","value":{"a":"1"}}]"#,
        ),
        ("merge", r#"{"metadata":{"labels":{"b":"2"}}}"#),
        ("strategic", r#"{"metadata":{"labels":{"a":null}}}"#),
    ] {
        let out = s.ok(KUBECTL, &["patch", "csr", "p", "--type", t, "-p", p], None);
        assert!(
            out.contains("certificatesigningrequest.certificates.k8s.io/p patched"),
            "{out}"
        );
    }
    let labels = s.ok(
        KUBECTL,
        &["get", "csr", "p", "-o", "jsonpath={.metadata.labels}"],
        None,
    );
    assert_eq!(labels, r#"{"b":"2"}"#);
    for p in [
        r#"[{"op":"test","path":"/metadata/labels/b","value":"3"}]"#,
        r#"[{"op":"remove","path":"/metadata/labels/nope"}]"#,
    ] {
        let err = s.fails(KUBECTL, &["patch", "csr", "p", "--type", "json", "-p", p]);
        // The same 422 Status; kubectl before 1.2x prints an Invalid without causes bare.
        let want = if client_minor(&s, KUBECTL) <= 20 {
            "The request is invalid"
        } else {
            "The request is invalid: the server rejected our request due to an error in our request"
        };
        assert_eq!(err.trim(), want, "{p}");
    }
}

/// `-l` and `--field-selector` go to the server as written; it parses them as apimachinery
/// does (`labels.Parse`, `fields.ParseSelector`): set-based and `gt`/`lt` requirements match,
/// and a bad selector is a 400 whose text kubectl wraps in its "Unable to find" line.
#[test]
fn kubectl_label_and_field_selectors() {
    let tmp = tempfile::tempdir().unwrap();
    let s = Server::start(tmp.path(), &["--clock", "virtual"]);
    let d = tmp.path();
    sh(d, "openssl req -new -newkey rsa:2048 -nodes -keyout p.key -out p.csr -subj '/CN=p' 2>/dev/null", &[]);
    for (name, tier) in [("s1", "1"), ("s2", "3")] {
        s.ok(
            KUBECTL,
            &["create", "-f", "-"],
            Some(&manifest(
                name,
                &d.join("p.csr"),
                "example.com/signer",
                &["client auth"],
                None,
            )),
        );
        s.ok(
            KUBECTL,
            &["label", "csr", name, &format!("tier={tier}")],
            None,
        );
    }
    let names = |args: &[&str]| {
        let mut a = vec!["get", "csr", "-o", "name"];
        a.extend_from_slice(args);
        s.ok(KUBECTL, &a, None)
    };
    assert_eq!(
        names(&["-l", "tier>2"]).trim(),
        "certificatesigningrequest.certificates.k8s.io/s2"
    );
    assert_eq!(
        names(&["-l", "tier in (1, 5),!missing"]).trim(),
        "certificatesigningrequest.certificates.k8s.io/s1"
    );
    assert_eq!(
        names(&[
            "--field-selector",
            "metadata.name!=s1,spec.signerName=example.com/signer"
        ])
        .trim(),
        "certificatesigningrequest.certificates.k8s.io/s2"
    );
    let err = s.fails(KUBECTL, &["get", "csr", "-l", "tier:1"]);
    assert!(
        err.contains(r#"that match label selector "tier:1", field selector "": unable to parse requirement: <nil>: Invalid value: "tier:1": name part must consist of alphanumeric characters"#),
        "{err}"
    );
    let err = s.fails(KUBECTL, &["get", "csr", "-l", "tier===1"]);
    assert!(
        err.ends_with("unable to parse requirement: found '=', expected: identifier\n"),
        "{err:?}"
    );
    let err = s.fails(
        KUBECTL,
        &["get", "csr", "--field-selector", "metadata.name=a=b"],
    );
    assert!(
        err.ends_with("invalid field selector: unescaped character in value: 61\n"),
        "{err:?}"
    );
}

/// NamespaceLifecycle admission and the namespace controller: no content is created in a
/// namespace that does not exist (404 for the namespace), `default`, `kube-system` and
/// `kube-public` may not be deleted (403), and deleting a namespace deletes what is in it.
#[test]
fn namespace_lifecycle() {
    let tmp = tempfile::tempdir().unwrap();
    let s = Server::start(tmp.path(), &["--clock", "virtual"]);
    let err = s.fails(
        KUBECTL,
        &[
            "create",
            "secret",
            "generic",
            "s",
            "-n",
            "nope",
            "--from-literal=a=b",
        ],
    );
    // The same 404 Status; kubectl 1.20 prints it as a server error, later ones wrap it.
    let want = if client_minor(&s, KUBECTL) <= 20 {
        r#"Error from server (NotFound): namespaces "nope" not found"#
    } else {
        r#"error: failed to create secret namespaces "nope" not found"#
    };
    assert_eq!(err.trim(), want);
    let err = s.fails(
        KUBECTL,
        &[
            "create",
            "role",
            "r",
            "-n",
            "nope",
            "--verb=get",
            "--resource=secrets",
        ],
    );
    assert_eq!(
        err.trim(),
        r#"Error from server (NotFound): namespaces "nope" not found"#
    );
    for ns in ["default", "kube-system", "kube-public"] {
        let err = s.fails(KUBECTL, &["delete", "namespace", ns]);
        assert_eq!(
            err.trim(),
            format!(
                r#"Error from server (Forbidden): namespaces "{ns}" is forbidden: this namespace may not be deleted"#
            )
        );
    }
    s.ok(KUBECTL, &["create", "namespace", "t1"], None);
    s.ok(
        KUBECTL,
        &[
            "create",
            "secret",
            "generic",
            "s",
            "-n",
            "t1",
            "--from-literal=a=b",
        ],
        None,
    );
    s.ok(
        KUBECTL,
        &[
            "create",
            "role",
            "r",
            "-n",
            "t1",
            "--verb=get",
            "--resource=secrets",
        ],
        None,
    );
    s.ok(
        KUBECTL,
        &["create", "secret", "generic", "keep", "--from-literal=a=b"],
        None,
    );
    s.ok(KUBECTL, &["delete", "namespace", "t1"], None);
    let o = s.kubectl(KUBECTL, &["get", "secrets,roles", "-n", "t1"], None);
    assert_eq!(
        String::from_utf8_lossy(&o.stderr).trim(),
        "No resources found in t1 namespace."
    );
    let out = s.ok(KUBECTL, &["get", "secret", "keep", "-o", "name"], None);
    assert_eq!(out.trim(), "secret/keep");
}

/// `kubectl describe namespace` lists the namespace's ResourceQuotas and LimitRanges
/// (`NamespaceDescriber`) and shows them only when the server serves the two kinds, as
/// kube-apiserver does: "No resource quota." and "No LimitRange resource." for none.
#[test]
fn describe_namespace_shows_no_quota_and_no_limit_range() {
    let tmp = tempfile::tempdir().unwrap();
    let s = Server::start(tmp.path(), &["--clock", "virtual"]);
    let mut bins = vec![KUBECTL.to_string()];
    bins.extend(std::env::var("CSRSIM_E2E_KUBECTL"));
    for bin in &bins {
        let out = s.ok(bin, &["describe", "namespace", "default"], None);
        assert_eq!(
            out,
            "Name:         default\n\
             Labels:       kubernetes.io/metadata.name=default\n\
             Annotations:  <none>\n\
             Status:       Active\n\
             \n\
             No resource quota.\n\
             \n\
             No LimitRange resource.\n",
            "{bin}"
        );
        let o = s.kubectl(bin, &["get", "quota,limits"], None);
        assert!(o.status.success(), "{bin}");
        assert_eq!(
            String::from_utf8_lossy(&o.stderr).trim(),
            "No resources found in default namespace.",
            "{bin}"
        );
    }
}

/// `kubectl get --sort-by` asks the Table with `includeObject=Object` and sorts the rows by
/// their objects: each row must carry the whole object, not its metadata only.
#[test]
fn kubectl_get_sort_by_a_spec_field() {
    let tmp = tempfile::tempdir().unwrap();
    let s = Server::start(tmp.path(), &["--clock", "virtual"]);
    let d = tmp.path();
    sh(d, "openssl req -new -newkey rsa:2048 -nodes -keyout p.key -out p.csr -subj '/CN=p' 2>/dev/null", &[]);
    for (name, signer) in [
        ("a1", "example.com/zzz"),
        ("b1", "example.com/aaa"),
        ("c1", "example.com/mmm"),
    ] {
        s.ok(
            KUBECTL,
            &["create", "-f", "-"],
            Some(&manifest(
                name,
                &d.join("p.csr"),
                signer,
                &["client auth"],
                None,
            )),
        );
    }
    let out = s.ok(
        KUBECTL,
        &["get", "csr", "--sort-by=.spec.signerName", "--no-headers"],
        None,
    );
    let names: Vec<&str> = out
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert_eq!(names, ["b1", "c1", "a1"], "{out}");
}

/// `hack/testdata/csr.yml` of kubernetes/kubernetes, as `test/cmd/certificate.sh` creates it.
const UPSTREAM_CSR_YML: &str = "apiVersion: certificates.k8s.io/v1
kind: CertificateSigningRequest
metadata:
  name: foo
spec:
  request: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURSBSRVFVRVNULS0tLS0KTUlJQ2d6Q0NBV3NDQVFBd0ZURVRNQkVHQTFVRUF4TUthM1ZpWlMxaFpHMXBiakNDQVNJd0RRWUpLb1pJaHZjTgpBUUVCQlFBRGdnRVBBRENDQVFvQ2dnRUJBTlJ5dFhkcWV6ZTFBdXFjZkpWYlFBY1BJejZWY2pXSTZ5WmlQa3lrCjAzUW9GaHJGRXhUQXNPTGVFUHlrQXc1YndUOWZiajRXMzZmR2k4RGxsd1FzVGoyYzVUTnBnQkkwbElDbzI4aGcKbHYvTDJsMnRsWUVKdDdTbVhjblNvaGJ5S0h4TERRUHVmTVBBTkZsaEFmTUdCWEhRcmZMajhrTk1MUDA4UlBsbAp0N3V4RDVRdFA0cHlGL1Nhbm1XVEtRNU56WlJ4TC82UmhJMEpxSHJmNFFjQmg2dlR5bnFaRGVmMWVxNjBnQXllClNPRkpKYWRuK3h2VEFqLzgxZk1TbjdOSlNnaktDYkNEeXQ1eS9UZHd0SzZnVUQzM01paE5uNXhKTVF0MUZXUVAKRzY3eTA1QVh6b0pqTm5sWVA1MnJsTlhvNzh6aVMrN1E4RklxQzY0c05vWWhxeGNDQXdFQUFhQXBNQ2NHQ1NxRwpTSWIzRFFFSkRqRWFNQmd3Q1FZRFZSMFRCQUl3QURBTEJnTlZIUThFQkFNQ0JlQXdEUVlKS29aSWh2Y05BUUVMCkJRQURnZ0VCQU5CazlwaHpWYUJBci9xZHN4bXdPR1NQa094UkZlR1lyemRvaW5LTzVGUGZER2JkU0VWQ0o1K0wKeWJTNUtmaUZYU1EvNmk0RE9WRWtxcnFrVElIc1JNSlJwbTZ5Zjk1TU4zSWVLak9jQlV2b2VWVlpxMUNOUU8zagp2dklmK1A1NStLdXpvK0NIT1F5RWlvTlRPaUtGWTJseStEZEEwMXMxbU9FMTZSWGlWeFhGcFhGeGRJVmRPK0oxClZ1MW5yWG5ZVFJQRmtyaG80MTlpaDQzNjRPcGZqYXFXVCtmd20ySVZQSlBoaUJpYi9RRzRhUGJJcFh3amlCUUMKemV6WlM2L01nQkt1bUdMZ3Z5MitXNU9UWTJ5ZFFMZFVxbERFNEU2MFhmdVZ6bk5zWjZDS0tYY1pVaW1ZTkkwNgpKa0t4bGRjd0V2cmI0SmN3M2RFQjdOOUwvSW9ZNXFBPQotLS0tLUVORCBDRVJUSUZJQ0FURSBSRVFVRVNULS0tLS0K
  signerName: kubernetes.io/kube-apiserver-client
  usages:
    - digital signature
    - key encipherment
    - client auth
";

/// `kube::test::get_object_assert OBJ TEMPLATE`: the go-template output of `kubectl get`.
fn get_template(s: &Server, args: &[&str], template: &str) -> String {
    get_template_with(s, KUBECTL, args, template)
}

/// [`get_template`] with another kubectl binary.
fn get_template_with(s: &Server, bin: &str, args: &[&str], template: &str) -> String {
    let t = format!("go-template={template}");
    let mut a = vec!["get"];
    a.extend_from_slice(args);
    a.extend_from_slice(&["-o", &t]);
    s.ok(bin, &a, None)
}

/// `test/cmd/certificate.sh`, step by step: approve and deny, by name and with `-f`, the
/// conditions read back with a go-template, delete with `-f`; then what the script does not
/// run but its commands allow: `--force` on a decided request, several names, `-o name`.
/// Both clients: `kubectl` on PATH and `CSRSIM_E2E_KUBECTL` (Debian's 1.20 in CI) print the same.
#[test]
fn certificate_sh_of_test_cmd() {
    for bin in test_cmd_clients() {
        certificate_sh_flow(&bin);
    }
}

fn certificate_sh_flow(bin: &str) {
    let tmp = tempfile::tempdir().unwrap();
    let s = Server::start(tmp.path(), &["--clock", "virtual"]);
    let file = tmp.path().join("csr.yml");
    std::fs::write(&file, UPSTREAM_CSR_YML).unwrap();
    let f = file.to_str().unwrap();
    let conditions = |s: &Server| {
        get_template_with(
            s,
            bin,
            &["csr/foo"],
            "{{range.status.conditions}}{{.type}}{{end}}",
        )
    };
    for (verb, by_file, want) in [
        ("approve", false, "Approved"),
        ("approve", true, "Approved"),
        ("deny", false, "Denied"),
        ("deny", true, "Denied"),
    ] {
        let out = s.ok(bin, &["create", "-f", f], None);
        assert_eq!(
            out.trim(),
            "certificatesigningrequest.certificates.k8s.io/foo created"
        );
        assert_eq!(conditions(&s), "");
        let out = if by_file {
            s.ok(bin, &["certificate", verb, "-f", f], None)
        } else {
            s.ok(bin, &["certificate", verb, "foo"], None)
        };
        let past = if verb == "approve" {
            "approved"
        } else {
            "denied"
        };
        assert_eq!(
            out.trim(),
            format!("certificatesigningrequest.certificates.k8s.io/foo {past}")
        );
        let list: Value =
            serde_json::from_str(&s.ok(bin, &["get", "csr", "-o", "json"], None)).unwrap();
        assert_eq!(list["items"][0]["metadata"]["name"], "foo");
        assert_eq!(conditions(&s), want);
        let out = s.ok(bin, &["delete", "-f", f], None);
        assert_eq!(
            out.trim(),
            r#"certificatesigningrequest.certificates.k8s.io "foo" deleted"#
        );
        assert_eq!(
            get_template_with(
                &s,
                bin,
                &["csr"],
                "{{range.items}}{{.metadata.name}}{{end}}"
            ),
            ""
        );
    }

    // A decided request cannot be decided the other way, not even with --force.
    s.ok(bin, &["create", "-f", f], None);
    s.ok(
        bin,
        &["create", "-f", "-"],
        Some(&UPSTREAM_CSR_YML.replace("name: foo", "name: bar")),
    );
    s.ok(bin, &["certificate", "deny", "foo"], None);
    for extra in [&[][..], &["--force"][..]] {
        let mut a = vec!["certificate", "approve", "foo"];
        a.extend_from_slice(extra);
        let err = s.fails(bin, &a);
        assert_eq!(
            err.trim(),
            r#"error: certificate signing request "foo" is already Denied"#
        );
    }
    // Denying again is a no-op; with --force it is written again.
    let out = s.ok(bin, &["certificate", "deny", "foo", "--force"], None);
    assert_eq!(
        out.trim(),
        "certificatesigningrequest.certificates.k8s.io/foo denied"
    );
    assert_eq!(conditions(&s), "Denied");
    // Several names, -o name: the decided one fails, the other is printed by name.
    let o = s.kubectl(
        bin,
        &["certificate", "approve", "bar", "foo", "-o", "name"],
        None,
    );
    assert!(!o.status.success());
    assert_eq!(
        String::from_utf8_lossy(&o.stdout).trim(),
        "certificatesigningrequest.certificates.k8s.io/bar"
    );
    assert_eq!(
        String::from_utf8_lossy(&o.stderr).trim(),
        r#"error: certificate signing request "foo" is already Denied"#
    );
    let err = s.fails(bin, &["certificate", "approve", "nope"]);
    assert_eq!(
        err.trim(),
        r#"Error from server (NotFound): certificatesigningrequests.certificates.k8s.io "nope" not found"#
    );
}

/// The cases of upstream's test/integration/certificates/*_test.go (mirrored with the Python
/// client in tests/python/upstream_*.py), run through kubectl as a person would, with both
/// clients: admission_subjectrestriction_test.go (`kubectl create` of an `O=system:masters`
/// request for kube-apiserver-client), admission_approval_test.go (`kubectl certificate
/// approve --as test-user` with `approve` granted on the exact signer name, on `<domain>/*`, or
/// on another name), admission_sign_test.go (`kubectl replace --subresource=status`, or `replace
/// --raw` before kubectl 1.24, after deleting the `cluster-admin` binding; the superuser's server
/// dry run first),
/// controller_approval_test.go (`kubectl create --as` a kubelet client request: approved
/// through selfnodeclient or nodeclient, never for kube-apiserver-client) and duration_test.go
/// (`expirationSeconds` below 600 refused; the lifetimes of the issued certificates with the
/// signer's TTL at 24h, read with openssl; the registry's counters on `/metrics`).
#[test]
fn upstream_integration_cases_through_kubectl() {
    for bin in test_cmd_clients() {
        upstream_integration_flow(&bin);
    }
}

fn upstream_integration_flow(bin: &str) {
    use base64::Engine;
    let tmp = tempfile::tempdir().unwrap();
    let s = Server::start(
        tmp.path(),
        &["--clock", "virtual", "--cluster-signing-duration", "24h"],
    );
    let d = tmp.path();
    let minor = client_minor(&s, bin);
    for (file, subj) in [
        ("masters", "/O=system:masters/CN=m"),
        ("notmasters", "/O=system:notmasters/CN=m"),
        ("panda", "/CN=panda"),
        ("node", "/O=system:nodes/CN=system:node:abc"),
    ] {
        sh(d, &format!("openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout {file}.key -out {file}.csr -subj '{subj}' 2>/dev/null"), &[]);
    }
    let csr = |name: &str, file: &str, signer: &str, usages: &[&str], exp: Option<i64>| {
        manifest(name, &d.join(format!("{file}.csr")), signer, usages, exp)
    };
    let fail = |args: &[&str], stdin: Option<&str>| {
        let o = s.kubectl(bin, args, stdin);
        assert!(!o.status.success(), "{bin} {args:?} succeeded");
        String::from_utf8_lossy(&o.stderr).trim().to_string()
    };
    let jsonpath = |name: &str, path: &str| {
        s.ok(
            bin,
            &["get", "csr", name, "-o", &format!("jsonpath={path}")],
            None,
        )
    };
    let role = |name: &str, rules: &str| {
        let m = format!("apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: {name}\nrules:\n{rules}");
        s.ok(bin, &["apply", "-f", "-"], Some(&m));
    };
    let bind = |name: &str, user: &str| {
        s.ok(
            bin,
            &[
                "create",
                "clusterrolebinding",
                name,
                "--clusterrole",
                name,
                "--user",
                user,
            ],
            None,
        );
    };
    let usages = &["digital signature", "key encipherment"][..];

    // admission_subjectrestriction_test.go
    let err = fail(
        &["create", "-f", "-"],
        Some(&csr(
            "csr",
            "masters",
            "kubernetes.io/kube-apiserver-client",
            usages,
            None,
        )),
    );
    assert_eq!(
        err,
        r#"Error from server (Forbidden): error when creating "STDIN": certificatesigningrequests.certificates.k8s.io "csr" is forbidden: use of kubernetes.io/kube-apiserver-client signer with system:masters group is not allowed"#,
        "{bin}"
    );
    for (file, signer) in [
        ("notmasters", "kubernetes.io/kube-apiserver-client"),
        ("masters", "kubernetes.io/kube-apiserver-client-kubelet"),
    ] {
        let out = s.ok(
            bin,
            &["create", "-f", "-"],
            Some(&csr("csr", file, signer, usages, None)),
        );
        assert_eq!(
            out.trim(),
            "certificatesigningrequest.certificates.k8s.io/csr created"
        );
        s.ok(bin, &["delete", "csr", "csr"], None);
    }

    // admission_approval_test.go; kubectl reads the request before it writes, so `get` too.
    bind("signername-test-user", "test-user");
    for (allowed, denied) in [
        ("example.com/something", false),
        ("example.com/*", false),
        ("example.com/not-something", true),
    ] {
        role("signername-test-user", &format!(
            "- apiGroups: [certificates.k8s.io]\n  resources: [signers]\n  resourceNames: [\"{allowed}\"]\n  verbs: [approve]\n\
             - apiGroups: [certificates.k8s.io]\n  resources: [certificatesigningrequests/approval]\n  verbs: [update]\n\
             - apiGroups: [certificates.k8s.io]\n  resources: [certificatesigningrequests]\n  verbs: [get]\n"));
        s.ok(
            bin,
            &["create", "-f", "-"],
            Some(&csr("csr", "panda", "example.com/something", usages, None)),
        );
        let args = ["certificate", "approve", "csr", "--as", "test-user"];
        if denied {
            assert_eq!(
                fail(&args, None),
                r#"Error from server (Forbidden): certificatesigningrequests.certificates.k8s.io "csr" is forbidden: user not permitted to approve requests with signerName "example.com/something""#,
                "{bin} {allowed}"
            );
            assert_eq!(jsonpath("csr", "{.status.conditions}"), "", "{bin}");
        } else {
            let out = s.ok(bin, &args, None);
            assert_eq!(
                out.trim(),
                "certificatesigningrequest.certificates.k8s.io/csr approved"
            );
            assert_eq!(
                jsonpath(
                    "csr",
                    "{range .status.conditions[*]}{.type}/{.status}/{.reason}{end}"
                ),
                "Approved/True/KubectlApprove",
                "{bin} {allowed}"
            );
        }
        s.ok(bin, &["delete", "csr", "csr"], None);
    }

    // admission_sign_test.go: the superuser keeps signing through system:masters alone. A
    // kubectl before 1.24 has no --subresource: it PUTs to /status with `replace --raw`.
    s.ok(
        bin,
        &["delete", "clusterrolebinding", "cluster-admin"],
        None,
    );
    sh(d, "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout s.key -out s.crt -subj /CN=signed -days 1 2>/dev/null", &[]);
    let cert =
        base64::engine::general_purpose::STANDARD.encode(std::fs::read(d.join("s.crt")).unwrap());
    const STATUS: &str = "/apis/certificates.k8s.io/v1/certificatesigningrequests/csr/status";
    let dry_raw = format!("{STATUS}?dryRun=All");
    let (replace, dry_run, dry_out, out_ok, denied_prefix): (Vec<&str>, Vec<&str>, _, _, _) =
        if minor >= 24 {
            (
                vec!["replace", "--subresource=status", "-f", "-"],
                vec![
                    "replace",
                    "--subresource=status",
                    "-f",
                    "-",
                    "--dry-run=server",
                ],
                Some("certificatesigningrequest.certificates.k8s.io/csr replaced (server dry run)"),
                Some("certificatesigningrequest.certificates.k8s.io/csr replaced"),
                r#"Error from server (Forbidden): error when replacing "STDIN": "#,
            )
        } else {
            (
                vec!["replace", "--raw", STATUS, "-f", "-"],
                vec!["replace", "--raw", &dry_raw, "-f", "-"],
                None,
                None,
                "Error from server (Forbidden): ",
            )
        };
    for (allowed, denied) in [
        ("example.com/something", false),
        ("example.com/*", false),
        ("example.com/not-something", true),
    ] {
        role("signername-test-user", &format!(
            "- apiGroups: [certificates.k8s.io]\n  resources: [signers]\n  resourceNames: [\"{allowed}\"]\n  verbs: [sign]\n\
             - apiGroups: [certificates.k8s.io]\n  resources: [certificatesigningrequests/status]\n  verbs: [update]\n"));
        s.ok(
            bin,
            &["create", "-f", "-"],
            Some(&csr("csr", "panda", "example.com/something", usages, None)),
        );
        let mut obj: Value =
            serde_json::from_str(&s.ok(bin, &["get", "csr", "csr", "-o", "json"], None)).unwrap();
        obj["status"]["certificate"] = Value::String(cert.clone());
        let body = obj.to_string();
        // the answer: kubectl's line, or (--raw) the object as the server returned it
        let check = |out: &str, want: Option<&str>| match want {
            Some(line) => assert_eq!(out.trim(), line, "{bin}"),
            None => {
                let got: Value = serde_json::from_str(out).unwrap();
                assert_eq!(got["status"]["certificate"], cert.as_str(), "{bin}");
            }
        };
        check(&s.ok(bin, &dry_run, Some(&body)), dry_out);
        assert_eq!(
            jsonpath("csr", "{.status.certificate}"),
            "",
            "{bin}: the dry run wrote"
        );
        let as_user = [&replace[..], &["--as", "test-user"]].concat();
        if denied {
            assert_eq!(
                fail(&as_user, Some(&body)),
                format!(
                    r#"{denied_prefix}certificatesigningrequests.certificates.k8s.io "csr" is forbidden: user not permitted to sign requests with signerName "example.com/something""#
                ),
                "{bin} {allowed}"
            );
            assert_eq!(jsonpath("csr", "{.status.certificate}"), "", "{bin}");
        } else {
            check(&s.ok(bin, &as_user, Some(&body)), out_ok);
            assert_eq!(
                jsonpath("csr", "{.status.certificate}"),
                cert,
                "{bin} {allowed}"
            );
        }
        s.ok(bin, &["delete", "csr", "csr"], None);
    }

    // controller_approval_test.go. Upstream's apiserver there allows every request; csrsim's
    // RBAC needs `create` on the requests themselves granted as well.
    for (user, resource) in [
        ("system:node:abc", "selfnodeclient"),
        ("does-not-match-cn", "nodeclient"),
    ] {
        let name = format!("{resource}-creator");
        role(&name, &format!(
            "- apiGroups: [certificates.k8s.io]\n  resources: [certificatesigningrequests, certificatesigningrequests/{resource}]\n  verbs: [create]\n"));
        bind(&name, user);
    }
    let kubelet_usages = &["digital signature", "key encipherment", "client auth"][..];
    for (user, signer, message) in [
        (
            "system:node:abc",
            "kubernetes.io/kube-apiserver-client-kubelet",
            "Auto approving self kubelet client certificate after SubjectAccessReview.",
        ),
        (
            "does-not-match-cn",
            "kubernetes.io/kube-apiserver-client-kubelet",
            "Auto approving kubelet client certificate after SubjectAccessReview.",
        ),
        ("system:node:abc", "kubernetes.io/kube-apiserver-client", ""),
    ] {
        let out = s.ok(
            bin,
            &["create", "-f", "-", "--as", user],
            Some(&csr("csr", "node", signer, kubelet_usages, None)),
        );
        assert_eq!(
            out.trim(),
            "certificatesigningrequest.certificates.k8s.io/csr created"
        );
        assert_eq!(jsonpath("csr", "{.spec.username}"), user, "{bin}");
        let want = if message.is_empty() {
            String::new()
        } else {
            format!("Approved/True/AutoApproved/{message}")
        };
        assert_eq!(
            jsonpath(
                "csr",
                "{range .status.conditions[*]}{.type}/{.status}/{.reason}/{.message}{end}"
            ),
            want,
            "{bin} {user} {signer}"
        );
        s.ok(bin, &["delete", "csr", "csr"], None);
    }

    // duration_test.go: the kube-apiserver-client signer's TTL is 24h.
    const H: i64 = 3600;
    const M: i64 = 60;
    for (name, secs) in [
        ("invalid-csr-001", 10 * M - 1),
        ("invalid-csr-002", 3 * M),
        ("invalid-csr-003", -7 * M),
    ] {
        let m = csr(
            name,
            "panda",
            "kubernetes.io/kube-apiserver-client",
            &["client auth"],
            Some(secs),
        );
        assert_eq!(
            fail(&["create", "-f", "-"], Some(&m)),
            format!("The CertificateSigningRequest \"{name}\" is invalid: spec.expirationSeconds: Invalid value: {secs}: may not specify a duration less than 600 seconds (10 minutes)"),
            "{bin}"
        );
    }
    for (i, (secs, want)) in [
        (None, 24 * H),
        (Some(24 * H), 24 * H),
        (Some(48 * H), 24 * H),
        (Some(20 * H), 20 * H),
        (Some(10 * H), 10 * H),
        (Some(2 * H), 2 * H + 5 * M),
        (Some(30 * M), 30 * M + 5 * M),
        (Some(10 * M), 10 * M + 5 * M),
    ]
    .into_iter()
    .enumerate()
    {
        let name = format!("d{i}");
        s.ok(
            bin,
            &["create", "-f", "-"],
            Some(&csr(
                &name,
                "panda",
                "kubernetes.io/kube-apiserver-client",
                &["client auth"],
                secs,
            )),
        );
        s.ok(bin, &["certificate", "approve", &name], None);
        let pem = base64::engine::general_purpose::STANDARD
            .decode(jsonpath(&name, "{.status.certificate}"))
            .unwrap();
        std::fs::write(d.join(format!("{name}.crt")), pem).unwrap();
        let got = sh(d, &format!("b=$(openssl x509 -in {name}.crt -noout -startdate | cut -d= -f2); e=$(openssl x509 -in {name}.crt -noout -enddate | cut -d= -f2); echo $(( $(date -u -d \"$e\" +%s) - $(date -u -d \"$b\" +%s) ))"), &[]);
        assert_eq!(
            got.trim(),
            want.to_string(),
            "{bin}: expirationSeconds {secs:?}"
        );
    }
    let metrics = s.ok(bin, &["get", "--raw", "/metrics"], None);
    let lines: Vec<&str> = metrics
        .lines()
        .filter(|l| l.starts_with("apiserver_certificates_registry_"))
        .collect();
    assert_eq!(
        lines,
        [
            r#"apiserver_certificates_registry_csr_honored_duration_total{signerName="kubernetes.io/kube-apiserver-client"} 6"#,
            r#"apiserver_certificates_registry_csr_requested_duration_total{signerName="kubernetes.io/kube-apiserver-client"} 7"#,
        ],
        "{bin}"
    );
}

/// A node creating a kubelet CSR for another node's CN, as a kubelet does (`generateName:
/// csr-`): NodeRestriction, mutating admission, refuses it before the name is generated (the
/// refusal names `"csr-"`) and before validation (its 403 comes ahead of the 422 of a request
/// that does not parse).
#[test]
fn node_restriction_refuses_another_nodes_cn_by_generate_name() {
    let tmp = tempfile::tempdir().unwrap();
    let s = Server::start(tmp.path(), &["--clock", "virtual"]);
    let d = tmp.path();
    sh(d, "openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout o.key -out o.csr -subj '/O=system:nodes/CN=system:node:other' -addext subjectAltName=DNS:other 2>/dev/null", &[]);
    std::fs::write(d.join("bad.csr"), "not a PEM block\n").unwrap();
    for bin in test_cmd_clients() {
        for (csr, usages, why) in [
            (
                "o.csr",
                &["digital signature", "server auth"][..],
                "can only create a node CSR with CN=system:node:n1",
            ),
            (
                "bad.csr",
                &[][..],
                "unable to parse csr: PEM block type must be CERTIFICATE REQUEST",
            ),
        ] {
            let m = manifest(
                "x",
                &d.join(csr),
                "kubernetes.io/kubelet-serving",
                usages,
                None,
            )
            .replace("  name: x", "  generateName: csr-");
            let o = s.kubectl(
                &bin,
                &[
                    "create",
                    "-f",
                    "-",
                    "--as=system:node:n1",
                    "--as-group=system:nodes",
                ],
                Some(&m),
            );
            assert!(!o.status.success(), "{bin}");
            assert_eq!(
                String::from_utf8_lossy(&o.stderr).trim(),
                format!(
                    r#"Error from server (Forbidden): error when creating "STDIN": certificatesigningrequests.certificates.k8s.io "csr-" is forbidden: {why}"#
                ),
                "{bin}"
            );
        }
    }
}

/// `test/cmd/rbac.sh` (`run_clusterroles_tests`, `run_role_tests`) with the kinds csrsim
/// serves in place of deployments and replicasets.
#[test]
fn rbac_sh_of_test_cmd() {
    let tmp = tempfile::tempdir().unwrap();
    let s = Server::start(tmp.path(), &["--clock", "virtual"]);
    s.ok(KUBECTL, &["create", "namespace", "namespace1"], None);
    let n = ["-n", "namespace1"];
    let t = |obj: &str, tmpl: &str| get_template(&s, &[obj, n[0], n[1]], tmpl);
    const VERBS: &str = "{{range.rules}}{{range.verbs}}{{.}}:{{end}}{{end}}";
    const RES: &str = "{{range.rules}}{{range.resources}}{{.}}:{{end}}{{end}}";
    const GROUPS: &str = "{{range.rules}}{{range.apiGroups}}{{.}}:{{end}}{{end}}";
    const NAMES: &str = "{{range.rules}}{{range.resourceNames}}{{.}}:{{end}}{{end}}";
    const SUBJECTS: &str = "{{range.subjects}}{{.name}}:{{end}}";
    const SUBJECT_NS: &str = "{{range.subjects}}{{.namespace}}:{{end}}";
    let create = |args: &[&str]| {
        let mut a = vec!["create"];
        a.extend_from_slice(args);
        a.extend_from_slice(&n);
        s.ok(KUBECTL, &a, None)
    };
    assert_eq!(
        t("clusterroles/cluster-admin", "{{.metadata.name}}"),
        "cluster-admin"
    );
    assert_eq!(
        t("clusterrolebindings/cluster-admin", "{{.metadata.name}}"),
        "cluster-admin"
    );
    create(&["clusterrole", "pod-admin", "--verb=*", "--resource=pods"]);
    assert_eq!(t("clusterrole/pod-admin", VERBS), "*:");
    let o = s.kubectl(
        KUBECTL,
        &["delete", "clusterrole", "pod-admin", "-n", "test"],
        None,
    );
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(
        all.to_ascii_lowercase()
            .contains("warning: deleting cluster-scoped resources"),
        "{all}"
    );
    assert!(
        all.contains(r#"clusterrole.rbac.authorization.k8s.io "pod-admin" deleted"#),
        "{all}"
    );
    create(&["clusterrole", "pod-admin", "--verb=*", "--resource=pods"]);
    assert_eq!(t("clusterrole/pod-admin", RES), "pods:");
    assert_eq!(t("clusterrole/pod-admin", GROUPS), ":");
    create(&[
        "clusterrole",
        "resource-reader",
        "--verb=get,list",
        "--resource=pods,certificatesigningrequests.certificates.k8s.io",
    ]);
    assert_eq!(
        t("clusterrole/resource-reader", VERBS),
        "get:list:get:list:"
    );
    assert_eq!(
        t("clusterrole/resource-reader", RES),
        "pods:certificatesigningrequests:"
    );
    assert_eq!(
        t("clusterrole/resource-reader", GROUPS),
        ":certificates.k8s.io:"
    );
    create(&[
        "clusterrole",
        "resourcename-reader",
        "--verb=get,list",
        "--resource=pods",
        "--resource-name=foo",
    ]);
    assert_eq!(t("clusterrole/resourcename-reader", NAMES), "foo:");
    create(&[
        "clusterrole",
        "url-reader",
        "--verb=get",
        "--non-resource-url=/logs/*",
        "--non-resource-url=/healthz/*",
    ]);
    assert_eq!(
        t(
            "clusterrole/url-reader",
            "{{range.rules}}{{range.nonResourceURLs}}{{.}}:{{end}}{{end}}"
        ),
        "/logs/*:/healthz/*:"
    );
    create(&[
        "clusterrole",
        "aggregation-reader",
        "--aggregation-rule=foo1=foo2",
    ]);
    assert_eq!(
        t("clusterrole/aggregation-reader", "{{.metadata.name}}"),
        "aggregation-reader"
    );

    let set = |args: &[&str]| {
        let mut a = vec!["set", "subject"];
        a.extend_from_slice(args);
        a.extend_from_slice(&n);
        s.ok(KUBECTL, &a, None)
    };
    create(&[
        "clusterrolebinding",
        "super-admin",
        "--clusterrole=admin",
        "--user=super-admin",
    ]);
    set(&["clusterrolebinding", "super-admin", "--user=foo"]);
    assert_eq!(
        t("clusterrolebinding/super-admin", SUBJECTS),
        "super-admin:foo:"
    );
    create(&[
        "clusterrolebinding",
        "multi-users",
        "--clusterrole=admin",
        "--user=user-1",
        "--user=user-2",
    ]);
    assert_eq!(
        t("clusterrolebinding/multi-users", SUBJECTS),
        "user-1:user-2:"
    );
    create(&[
        "clusterrolebinding",
        "super-group",
        "--clusterrole=admin",
        "--group=the-group",
    ]);
    set(&["clusterrolebinding", "super-group", "--group=foo"]);
    assert_eq!(
        t("clusterrolebinding/super-group", SUBJECTS),
        "the-group:foo:"
    );
    create(&[
        "clusterrolebinding",
        "super-sa",
        "--clusterrole=admin",
        "--serviceaccount=otherns:sa-name",
    ]);
    set(&[
        "clusterrolebinding",
        "super-sa",
        "--serviceaccount=otherfoo:foo",
    ]);
    assert_eq!(
        t("clusterrolebinding/super-sa", SUBJECT_NS),
        "otherns:otherfoo:"
    );
    assert_eq!(t("clusterrolebinding/super-sa", SUBJECTS), "sa-name:foo:");
    set(&["clusterrolebinding", "--all", "--user=test-all-user"]);
    assert_eq!(
        t("clusterrolebinding/super-admin", SUBJECTS),
        "super-admin:foo:test-all-user:"
    );
    assert_eq!(
        t("clusterrolebinding/super-sa", SUBJECTS),
        "sa-name:foo:test-all-user:"
    );
    create(&[
        "rolebinding",
        "admin",
        "--clusterrole=admin",
        "--user=default-admin",
    ]);
    assert_eq!(t("rolebinding/admin", "{{.roleRef.kind}}"), "ClusterRole");
    set(&["rolebinding", "admin", "--user=foo"]);
    create(&[
        "rolebinding",
        "localrole",
        "--role=localrole",
        "--group=the-group",
    ]);
    assert_eq!(t("rolebinding/localrole", "{{.roleRef.kind}}"), "Role");
    set(&["rolebinding", "localrole", "--group=foo"]);
    create(&[
        "rolebinding",
        "sarole",
        "--role=localrole",
        "--serviceaccount=otherns:sa-name",
    ]);
    set(&["rolebinding", "sarole", "--serviceaccount=otherfoo:foo"]);
    assert_eq!(t("rolebinding/sarole", SUBJECT_NS), "otherns:otherfoo:");
    set(&["rolebinding", "--all", "--user=test-all-user"]);
    assert_eq!(
        t("rolebinding/admin", SUBJECTS),
        "default-admin:foo:test-all-user:"
    );
    assert_eq!(
        t("rolebinding/localrole", SUBJECTS),
        "the-group:foo:test-all-user:"
    );
    assert_eq!(
        t("rolebinding/sarole", SUBJECTS),
        "sa-name:foo:test-all-user:"
    );

    // run_role_tests
    create(&["role", "pod-admin", "--verb=*", "--resource=pods"]);
    assert_eq!(t("role/pod-admin", VERBS), "*:");
    assert_eq!(t("role/pod-admin", GROUPS), ":");
    let fails = |args: &[&str]| {
        let mut a = vec!["create"];
        a.extend_from_slice(args);
        a.extend_from_slice(&n);
        s.fails(KUBECTL, &a)
    };
    let e = fails(&[
        "role",
        "invalid-pod-admin",
        "--verb=*",
        "--resource=invalid-resource",
    ]);
    assert!(
        e.contains(r#"the server doesn't have a resource type "invalid-resource""#),
        "{e}"
    );
    let e = fails(&[
        "role",
        "invalid-group",
        "--verb=get,list",
        "--resource=secrets.invalid-group",
    ]);
    assert!(
        e.contains(r#"the server doesn't have a resource type "secrets" in group "invalid-group""#),
        "{e}"
    );
    create(&[
        "role",
        "group-reader",
        "--verb=get,list",
        "--resource=roles.rbac.authorization.k8s.io",
    ]);
    assert_eq!(t("role/group-reader", RES), "roles:");
    assert_eq!(t("role/group-reader", GROUPS), "rbac.authorization.k8s.io:");
    create(&[
        "role",
        "subresource-reader",
        "--verb=get,list",
        "--resource=pods/status",
    ]);
    assert_eq!(t("role/subresource-reader", RES), "pods/status:");
    create(&[
        "role",
        "group-subresource-reader",
        "--verb=get,list",
        "--resource=csr.certificates.k8s.io/approval",
    ]);
    assert_eq!(
        t("role/group-subresource-reader", RES),
        "certificatesigningrequests/approval:"
    );
    assert_eq!(
        t("role/group-subresource-reader", GROUPS),
        "certificates.k8s.io:"
    );
    let e = fails(&[
        "role",
        "invalid-group",
        "--verb=get,list",
        "--resource=rs.invalid-group/scale",
    ]);
    assert!(
        e.contains(r#"the server doesn't have a resource type "rs" in group "invalid-group""#),
        "{e}"
    );
    create(&[
        "role",
        "resourcename-reader",
        "--verb=get,list",
        "--resource=pods",
        "--resource-name=foo",
    ]);
    assert_eq!(t("role/resourcename-reader", NAMES), "foo:");
    create(&[
        "role",
        "resource-reader",
        "--verb=get,list",
        "--resource=pods/status,roles.rbac.authorization.k8s.io",
    ]);
    assert_eq!(t("role/resource-reader", VERBS), "get:list:get:list:");
    assert_eq!(t("role/resource-reader", RES), "pods/status:roles:");
    assert_eq!(
        t("role/resource-reader", GROUPS),
        ":rbac.authorization.k8s.io:"
    );
}

/// `test/cmd/authorization.sh` and what `kubectl auth` shows of impersonation: a service
/// account's username brings its groups (`serviceaccount.MakeGroupNames` in
/// `filters/impersonation.go`); groups without a user are the filter's plain-text 500.
#[test]
fn authorization_sh_and_impersonated_service_accounts() {
    let tmp = tempfile::tempdir().unwrap();
    let s = Server::start(tmp.path(), &["--clock", "virtual"]);
    let sar = r#"{
  "apiVersion": "authorization.k8s.io/v1",
  "kind": "SubjectAccessReview",
  "spec": {
    "user": "bob",
    "groups": ["the-group"],
    "resourceAttributes": {"namespace": "ns", "verb": "create", "group": "autoscaling", "resource": "horizontalpodautoscalers"}
  }
}"#;
    let f = tmp.path().join("sar-v1.json");
    std::fs::write(&f, sar).unwrap();
    let out = s.ok(
        KUBECTL,
        &["create", "-f", f.to_str().unwrap(), "--validate=false"],
        None,
    );
    assert_eq!(
        out.trim(),
        "subjectaccessreview.authorization.k8s.io/<unknown> created"
    );
    // kubectl refuses groups without a user before sending anything.
    let e = s.fails(KUBECTL, &["get", "secrets", "--as-group=foo"]);
    assert!(e.contains("without impersonating a user"), "{e}");

    let out = s.ok(
        KUBECTL,
        &[
            "auth",
            "whoami",
            "-o",
            "jsonpath={.status.userInfo.groups}",
            "--as=system:serviceaccount:ns1:sa1",
        ],
        None,
    );
    assert_eq!(
        out,
        r#"["system:serviceaccounts","system:serviceaccounts:ns1","system:authenticated"]"#
    );
    // explicit groups replace them
    let out = s.ok(
        KUBECTL,
        &[
            "auth",
            "whoami",
            "-o",
            "jsonpath={.status.userInfo.groups}",
            "--as=system:serviceaccount:ns1:sa1",
            "--as-group=g1",
        ],
        None,
    );
    assert_eq!(out, r#"["g1","system:authenticated"]"#);
    // a binding to system:serviceaccounts reaches the impersonated service account
    s.ok(
        KUBECTL,
        &[
            "create",
            "clusterrolebinding",
            "sa-admin",
            "--clusterrole=cluster-admin",
            "--group=system:serviceaccounts",
        ],
        None,
    );
    let out = s.ok(
        KUBECTL,
        &[
            "auth",
            "can-i",
            "list",
            "secrets",
            "-n",
            "default",
            "--as=system:serviceaccount:ns1:sa1",
        ],
        None,
    );
    assert_eq!(out.trim(), "yes");

    let (code, body) = s.curl(
        "GET",
        "/api/v1/namespaces?limit=1&x=y",
        &["-H", "Impersonate-Group: foo"],
        None,
    );
    assert_eq!(code, 500, "{body}");
    assert_eq!(
        body,
        "Internal Server Error: \"/api/v1/namespaces?limit=1&amp;x=y\": requested [{Group  foo    }] without impersonating a user\n"
    );
    // `RequestURI` is the path as sent: its escapes stay (routing uses the unescaped one).
    let (code, body) = s.curl(
        "GET",
        "/api/v1/namespaces/a%3Ab",
        &["-H", "Impersonate-Group: foo"],
        None,
    );
    assert_eq!(code, 500, "{body}");
    assert_eq!(
        body,
        "Internal Server Error: \"/api/v1/namespaces/a%3Ab\": requested [{Group  foo    }] without impersonating a user\n"
    );
}

/// Namespaces have no `deletecollection` (`api/discovery/api__v1.json`), and every response
/// carries an `Audit-Id` (`WithAuditInit`): the client's own, or a new UUID.
#[test]
fn namespace_verbs_and_audit_id() {
    let tmp = tempfile::tempdir().unwrap();
    let s = Server::start(tmp.path(), &["--clock", "virtual"]);
    let out = s.ok(KUBECTL, &["api-resources", "-o", "wide"], None);
    let line = out.lines().find(|l| l.starts_with("namespaces ")).unwrap();
    assert_eq!(
        line.split_whitespace().collect::<Vec<_>>(),
        [
            "namespaces",
            "ns",
            "v1",
            "false",
            "Namespace",
            "create,delete,get,list,patch,update,watch"
        ]
    );
    let out = s.ok(
        KUBECTL,
        &["api-resources", "--verbs=deletecollection", "-o", "name"],
        None,
    );
    assert!(!out.lines().any(|l| l == "namespaces"), "{out}");
    let (code, body) = s.curl("DELETE", "/api/v1/namespaces", &[], None);
    assert_eq!(code, 405, "{body}");

    let (_, head) = s.curl("GET", "/api/v1/namespaces", &["-i"], None);
    let ids: Vec<&str> = head
        .lines()
        .filter_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("audit-id").then_some(v.trim())
        })
        .collect();
    assert_eq!(ids.len(), 1, "{head}");
    assert_eq!(ids[0].len(), 36, "{head}");
    let (_, head2) = s.curl("GET", "/api/v1/namespaces", &["-i"], None);
    assert!(!head2.contains(ids[0]), "a new id per request");
    let (_, head) = s.curl(
        "GET",
        "/apis/certificates.k8s.io/v1/certificatesigningrequests/nope",
        &["-i", "-H", "Audit-ID: my-audit-id"],
        None,
    );
    assert!(
        head.to_ascii_lowercase().contains("audit-id: my-audit-id"),
        "{head}"
    );
    // `WithCacheControl` marks every response, health checks and metrics included.
    for path in [
        "/healthz", "/readyz", "/livez", "/metrics", "/version", "/api/v1",
    ] {
        let (_, head) = s.curl("GET", path, &["-i"], None);
        assert!(
            head.to_ascii_lowercase()
                .contains("cache-control: no-cache, private"),
            "{path}: {head}"
        );
    }
}

/// `test/cmd/testdata/authorization.txtar` runs against an apiserver that allows everything
/// (`--authorization-mode=AlwaysAllow`): the SubjectAccessReview of `sar-v1.json` is allowed,
/// and an impersonated `user1` creates the CSR, which records the impersonated identity.
#[test]
fn authorization_txtar_with_always_allow() {
    let tmp = tempfile::tempdir().unwrap();
    let s = Server::start(
        tmp.path(),
        &["--clock", "virtual", "--authorization-mode=AlwaysAllow"],
    );
    let sar = r#"{"apiVersion": "authorization.k8s.io/v1", "kind": "SubjectAccessReview",
  "spec": {"user": "bob", "groups": ["the-group"], "resourceAttributes":
    {"namespace": "ns", "verb": "create", "group": "autoscaling", "resource": "horizontalpodautoscalers"}}}"#;
    let out = s.ok(
        KUBECTL,
        &[
            "create",
            "-f",
            "-",
            "--validate=false",
            "-o",
            "jsonpath={.status}",
        ],
        Some(sar),
    );
    assert_eq!(out, r#"{"allowed":true}"#);
    let file = tmp.path().join("csr.yml");
    std::fs::write(&file, UPSTREAM_CSR_YML).unwrap();
    let f = file.to_str().unwrap();
    s.ok(KUBECTL, &["create", "-f", f, "--as=user1"], None);
    assert_eq!(
        s.ok(
            KUBECTL,
            &[
                "get",
                "csr/foo",
                "-o",
                "jsonpath={.spec.username} {.spec.groups}"
            ],
            None
        ),
        r#"user1 ["system:authenticated"]"#
    );
    s.ok(KUBECTL, &["delete", "-f", f], None);
    s.ok(
        KUBECTL,
        &[
            "create",
            "-f",
            f,
            "--as=user1",
            "--as-uid=abc123",
            "--as-group=group2",
            "--as-group=group1",
            "--as-group=,,,chameleon",
        ],
        None,
    );
    assert_eq!(
        s.ok(
            KUBECTL,
            &[
                "get",
                "csr/foo",
                "-o",
                "jsonpath={.spec.uid} {.spec.groups}"
            ],
            None
        ),
        r#"abc123 ["group2","group1",",,,chameleon","system:authenticated"]"#
    );
    // alwaysAllowAuthorizer.RulesFor: everything
    let out = s.ok(KUBECTL, &["auth", "can-i", "--list", "--as=bob"], None);
    let rows: Vec<Vec<&str>> = out
        .lines()
        .skip(1)
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert_eq!(rows[0], ["*.*", "[]", "[]", "[*]"], "{out}");
    assert_eq!(rows[1], ["[*]", "[]", "[*]"], "{out}");
}

/// `--authorization-mode=AlwaysDeny`: only `system:masters` is allowed; everyone else is
/// refused with the always-deny authorizer's reason.
#[test]
fn authorization_mode_always_deny() {
    let tmp = tempfile::tempdir().unwrap();
    let s = Server::start(
        tmp.path(),
        &["--clock", "virtual", "--authorization-mode=AlwaysDeny"],
    );
    assert_eq!(
        s.ok(KUBECTL, &["auth", "can-i", "get", "csr"], None).trim(),
        "yes"
    );
    let e = s.fails(KUBECTL, &["get", "csr", "--as=bob"]);
    assert_eq!(
        e.trim(),
        r#"Error from server (Forbidden): certificatesigningrequests.certificates.k8s.io is forbidden: User "bob" cannot list resource "certificatesigningrequests" in API group "certificates.k8s.io" at the cluster scope: Everything is forbidden."#
    );
}

/// `test/cmd/discovery.sh`: short names and categories in `/api/v1`, and `kubectl explain`
/// of the core kinds discovery lists (`explain pods`, `po`, `po.status.message`), plus the
/// fields of the other served core kinds with their types.
#[test]
fn discovery_sh_short_names_categories_and_explain() {
    let tmp = tempfile::tempdir().unwrap();
    let s = Server::start(tmp.path(), &["--clock", "virtual"]);
    let raw = s.ok(KUBECTL, &["get", "--raw=/api/v1"], None);
    assert!(raw.contains(r#"{"name":"secrets","singularName":"secret","namespaced":true,"kind":"Secret","verbs":["create","delete","deletecollection","get","list","patch","update","watch"],"storageVersionHash":"#), "{raw}");
    assert!(raw.contains(r#"{"name":"namespaces","singularName":"namespace","namespaced":false,"kind":"Namespace","verbs":["create","delete","get","list","patch","update","watch"],"shortNames":["ns"],"storageVersionHash":"#), "{raw}");
    let pods = raw.split(r#""name":"pods""#).nth(1).unwrap();
    assert!(
        pods.split('}')
            .next()
            .unwrap()
            .contains(r#""categories":["all"]"#),
        "{raw}"
    );
    for what in ["pods", "po"] {
        let out = s.ok(KUBECTL, &["explain", what], None);
        assert!(
            out.starts_with("KIND:       Pod\nVERSION:    v1\n"),
            "{out}"
        );
    }
    let field = |path: &str| {
        let out = s.ok(KUBECTL, &["explain", path], None);
        out.lines()
            .find(|l| l.starts_with("FIELD:"))
            .unwrap_or_else(|| panic!("{out}"))
            .to_string()
    };
    assert_eq!(field("po.status.message"), "FIELD: message <string>");
    assert_eq!(field("ns.status.phase"), "FIELD: phase <string>");
    assert_eq!(field("secret.type"), "FIELD: type <string>");
    assert_eq!(field("secret.data"), "FIELD: data <map[string]string>");
    assert_eq!(field("ev.count"), "FIELD: count <integer>");
    assert_eq!(
        field("clusterrole.aggregationRule"),
        "FIELD: aggregationRule <AggregationRule>"
    );
}

/// `test/cmd/testdata/create.txtar`: `kubectl create --raw` of a YAML file sends its bytes as
/// JSON; the serializer cannot read apiVersion/kind and the handler answers
/// `the object provided is unrecognized` (`transformDecodeError`, `summarizeData`).
#[test]
fn create_raw_of_a_yaml_body_is_unrecognized() {
    let tmp = tempfile::tempdir().unwrap();
    let s = Server::start(tmp.path(), &["--clock", "virtual"]);
    let pod = tmp.path().join("valid-pod.yaml");
    std::fs::write(
        &pod,
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: valid-pod\n",
    )
    .unwrap();
    let e = s.fails(
        KUBECTL,
        &[
            "create",
            "--raw",
            "/api/v1/namespaces",
            "-f",
            pod.to_str().unwrap(),
        ],
    );
    assert_eq!(
        e.trim(),
        "Error from server (BadRequest): the object provided is unrecognized (must be of type Namespace): couldn't get version/kind; json parse error: invalid character 'a' looking for beginning of value (61706956657273696f6e3a2076310a6b696e643a20506f640a6d65746164 ...)"
    );
    let (code, body) = s.curl(
        "POST",
        "/apis/certificates.k8s.io/v1/certificatesigningrequests",
        &[],
        Some((
            "application/json",
            br#"{"kind":"CertificateSigningRequest","#,
        )),
    );
    assert_eq!(code, 400, "{body}");
    let st: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        st["message"],
        r#"the object provided is unrecognized (must be of type CertificateSigningRequest): couldn't get version/kind; json parse error: unexpected end of JSON input ({"kind":"CertificateSigningReq ...)"#
    );
    let (code, body) = s.curl(
        "POST",
        "/api/v1/namespaces/default/secrets",
        &[],
        Some(("application/json", b"[]")),
    );
    assert_eq!(code, 400, "{body}");
    let st: Value = serde_json::from_str(&body).unwrap();
    assert!(
        st["message"].as_str().unwrap().starts_with("the object provided is unrecognized (must be of type Secret): couldn't get version/kind; json parse error: json: cannot unmarshal array into Go value of type struct {"),
        "{body}"
    );
}

/// test/cmd/legacy-script.sh's `kubectl auth can-i` and `kubectl auth reconcile` section, on
/// an apiserver run with `--authorization-mode=AlwaysAllow` as the script's is ("so kubectl
/// can-i always returns yes"), with `test/fixtures/pkg/kubectl/cmd/auth/rbac-resource-plus.yaml`
/// (a List: ClusterRole, a Pod the command skips, ClusterRoleBinding, RoleBinding and Role
/// in a namespace that does not exist yet).
#[test]
fn legacy_script_auth_can_i_and_reconcile() {
    let tmp = tempfile::tempdir().unwrap();
    let s = Server::start(
        tmp.path(),
        &["--clock", "virtual", "--authorization-mode=AlwaysAllow"],
    );
    let all = |args: &[&str]| {
        let o = s.kubectl(KUBECTL, args, None);
        (
            o.status.code(),
            format!(
                "{}{}",
                String::from_utf8_lossy(&o.stdout),
                String::from_utf8_lossy(&o.stderr)
            ),
        )
    };
    assert_eq!(all(&["auth", "can-i", "*", "*"]), (Some(0), "yes\n".into()));
    assert_eq!(
        all(&["auth", "can-i", "get", "pods", "--subresource=log"]),
        (Some(0), "yes\n".into())
    );
    let (_, out) = all(&["auth", "can-i", "get", "invalid_resource"]);
    assert!(
        out.contains("the server doesn't have a resource type"),
        "{out}"
    );
    assert_eq!(
        all(&["auth", "can-i", "get", "/logs/"]),
        (Some(0), "yes\n".into())
    );
    let (code, out) = all(&["auth", "can-i", "get", "/logs/", "--subresource=log"]);
    assert_ne!(code, Some(0));
    assert!(
        out.contains("subresource can not be used with NonResourceURL"),
        "{out}"
    );
    assert_eq!(
        all(&[
            "auth",
            "can-i",
            "get",
            "pods",
            "--subresource=log",
            "--quiet"
        ]),
        (Some(0), String::new())
    );
    let (_, out) = all(&["auth", "can-i", "get", "*"]);
    assert!(!out.contains("Warning"), "{out}");
    let (_, out) = all(&["auth", "can-i", "get", "pods"]);
    assert!(!out.contains("Warning"), "{out}");
    let (_, out) = all(&["auth", "can-i", "get", "csr"]);
    assert!(
        out.contains("Warning: resource 'certificatesigningrequests' is not namespace scoped in group 'certificates.k8s.io'"),
        "{out}"
    );
    let (_, out) = all(&["auth", "can-i", "get", "csr", "--all-namespaces"]);
    assert!(!out.contains("not namespace scoped"), "{out}");

    let f = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/rbac-resource-plus.yaml"
    );
    let names = |what: &[&str]| {
        let mut a = vec!["get"];
        a.extend_from_slice(what);
        a.extend_from_slice(&[
            "-l",
            "test-cmd=auth",
            "-o",
            "go-template={{range.items}}{{.metadata.name}}:{{end}}",
        ]);
        s.ok(KUBECTL, &a, None)
    };
    let kinds: [&[&str]; 4] = [
        &["rolebindings", "-n", "some-other-random"],
        &["roles", "-n", "some-other-random"],
        &["clusterrolebindings"],
        &["clusterroles"],
    ];
    s.ok(
        KUBECTL,
        &["auth", "reconcile", "--dry-run=client", "-f", f],
        None,
    );
    for k in kinds {
        assert_eq!(names(k), "", "{k:?}");
    }
    let out = s.ok(KUBECTL, &["auth", "reconcile", "-f", f], None);
    assert_eq!(
        out,
        "clusterrole.rbac.authorization.k8s.io/testing-CR reconciled\nclusterrolebinding.rbac.authorization.k8s.io/testing-CRB reconciled\nrolebinding.rbac.authorization.k8s.io/testing-RB reconciled\nrole.rbac.authorization.k8s.io/testing-R reconciled\n"
    );
    for (k, want) in kinds
        .iter()
        .zip(["testing-RB:", "testing-R:", "testing-CRB:", "testing-CR:"])
    {
        assert_eq!(names(k), want, "{k:?}");
    }
    s.ok(
        KUBECTL,
        &[
            "delete",
            "rolebindings,role,clusterroles,clusterrolebindings",
            "-n",
            "some-other-random",
            "-l",
            "test-cmd=auth",
        ],
        None,
    );
    for k in kinds {
        assert_eq!(names(k), "", "{k:?}");
    }
}

/// What kube-apiserver writes for the generic kinds, as a raw client sees it: Go's field
/// order (TypeMeta, ObjectMeta in struct order, the kind's fields), map keys sorted, a role
/// without rules as `"rules":null`; and every namespace labelled
/// `kubernetes.io/metadata.name=<name>` by the namespace strategy, even after removing it.
#[test]
fn generic_objects_in_go_field_order_and_the_namespace_name_label() {
    let tmp = tempfile::tempdir().unwrap();
    let s = Server::start(tmp.path(), &["--clock", "virtual"]);
    let out = s.ok(
        KUBECTL,
        &["get", "ns", "--show-labels", "--no-headers"],
        None,
    );
    for l in out.lines() {
        let f: Vec<&str> = l.split_whitespace().collect();
        assert_eq!(
            f[3],
            format!("kubernetes.io/metadata.name={}", f[0]),
            "{out}"
        );
    }
    s.ok(KUBECTL, &["create", "ns", "lab"], None);
    s.ok(
        KUBECTL,
        &[
            "label",
            "ns",
            "lab",
            "kubernetes.io/metadata.name-",
            "zz=1",
            "aa=2",
        ],
        None,
    );
    let raw = |p: &str| s.ok(KUBECTL, &["get", "--raw", p], None);
    let keys = |json: &str, ptr: &str| -> Vec<String> {
        // serde_json keeps the document's order (preserve_order)
        let v: Value = serde_json::from_str(json).unwrap();
        v.pointer(ptr)
            .unwrap()
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect()
    };
    let ns = raw("/api/v1/namespaces/lab");
    assert_eq!(
        keys(&ns, ""),
        ["kind", "apiVersion", "metadata", "spec", "status"]
    );
    assert_eq!(
        keys(&ns, "/metadata"),
        [
            "name",
            "uid",
            "resourceVersion",
            "creationTimestamp",
            "labels",
            "managedFields"
        ]
    );
    assert_eq!(
        keys(&ns, "/metadata/labels"),
        ["aa", "kubernetes.io/metadata.name", "zz"]
    );
    s.ok(
        KUBECTL,
        &["create", "secret", "generic", "s1", "--from-literal=a=b"],
        None,
    );
    s.ok(KUBECTL, &["annotate", "secret", "s1", "z=1", "a=2"], None);
    let sec = raw("/api/v1/namespaces/default/secrets/s1");
    assert_eq!(
        keys(&sec, ""),
        ["kind", "apiVersion", "metadata", "data", "type"]
    );
    assert_eq!(
        keys(&sec, "/metadata"),
        [
            "name",
            "namespace",
            "uid",
            "resourceVersion",
            "creationTimestamp",
            "annotations",
            "managedFields"
        ]
    );
    assert_eq!(keys(&sec, "/metadata/annotations"), ["a", "z"]);
    s.ok(
        KUBECTL,
        &[
            "create",
            "rolebinding",
            "rb",
            "--clusterrole=view",
            "--user=u",
        ],
        None,
    );
    let rb = raw("/apis/rbac.authorization.k8s.io/v1/namespaces/default/rolebindings/rb");
    assert_eq!(
        keys(&rb, ""),
        ["kind", "apiVersion", "metadata", "subjects", "roleRef"]
    );
    s.ok(
        KUBECTL,
        &["create", "clusterrole", "agg", "--aggregation-rule=a=b"],
        None,
    );
    let cr = raw("/apis/rbac.authorization.k8s.io/v1/clusterroles/agg");
    assert_eq!(
        keys(&cr, ""),
        ["kind", "apiVersion", "metadata", "rules", "aggregationRule"]
    );
    let v: Value = serde_json::from_str(&cr).unwrap();
    assert!(v["rules"].is_null(), "{cr}");
}

/// LocalSubjectAccessReview (authorization.k8s.io/v1, namespaced): discovery lists it with the
/// other reviews; `kubectl create -f` answers it in the request's namespace;
/// `ValidateLocalSubjectAccessReview` refuses another namespace in the resource attributes
/// and any non-resource attributes.
#[test]
fn local_subject_access_reviews() {
    let tmp = tempfile::tempdir().unwrap();
    let s = Server::start(tmp.path(), &["--clock", "virtual"]);
    let out = s.ok(
        KUBECTL,
        &[
            "api-resources",
            "--api-group=authorization.k8s.io",
            "-o",
            "name",
        ],
        None,
    );
    assert_eq!(
        out,
        "localsubjectaccessreviews.authorization.k8s.io\nselfsubjectaccessreviews.authorization.k8s.io\nselfsubjectrulesreviews.authorization.k8s.io\nsubjectaccessreviews.authorization.k8s.io\n"
    );
    s.ok(
        KUBECTL,
        &[
            "create",
            "rolebinding",
            "bob-view",
            "--clusterrole=admin",
            "--user=bob",
            "-n",
            "default",
        ],
        None,
    );
    let lsar = |ns: &str, verb: &str| {
        format!(
            r#"{{"apiVersion": "authorization.k8s.io/v1", "kind": "LocalSubjectAccessReview",
            "spec": {{"user": "bob", "resourceAttributes": {{"namespace": "{ns}", "verb": "{verb}", "resource": "secrets"}}}}}}"#
        )
    };
    let out = s.ok(
        KUBECTL,
        &["create", "-n", "default", "-f", "-", "-o", "json"],
        Some(&lsar("default", "get")),
    );
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["metadata"]["namespace"], "default");
    assert_eq!(v["status"]["allowed"], true, "{out}");
    assert!(
        v["status"]["reason"]
            .as_str()
            .unwrap()
            .contains(r#"RBAC: allowed by RoleBinding "bob-view/default" of ClusterRole "admin" to User "bob""#),
        "{out}"
    );
    let o = s.kubectl(
        KUBECTL,
        &["create", "-n", "default", "-f", "-"],
        Some(&lsar("kube-system", "get")),
    );
    assert_eq!(
        String::from_utf8_lossy(&o.stderr).trim(),
        r#"The LocalSubjectAccessReview "" is invalid: spec.resourceAttributes.namespace: Invalid value: "kube-system": must match metadata.namespace"#
    );
    let o = s.kubectl(
        KUBECTL,
        &["create", "-n", "default", "-f", "-"],
        Some(r#"{"apiVersion":"authorization.k8s.io/v1","kind":"LocalSubjectAccessReview","spec":{"user":"bob","nonResourceAttributes":{"path":"/x","verb":"get"}}}"#),
    );
    assert_eq!(
        String::from_utf8_lossy(&o.stderr).trim(),
        r#"The LocalSubjectAccessReview "" is invalid: spec.nonResourceAttributes: Invalid value: authorization.NonResourceAttributes{Path:"/x", Verb:"get"}: disallowed on this kind of request"#
    );
    // the cluster-scoped path does not exist
    let (code, _) = s.curl(
        "POST",
        "/apis/authorization.k8s.io/v1/localsubjectaccessreviews",
        &[],
        Some(("application/json", lsar("default", "get").as_bytes())),
    );
    assert_eq!(code, 404);
}

/// `ValidateSecret` / `ValidateSecretUpdate` (pkg/apis/core/validation/validation.go): data
/// keys are config-map keys, each built-in type requires its data, an immutable secret keeps
/// its data and its immutability.
#[test]
fn secret_validation_as_upstream() {
    let tmp = tempfile::tempdir().unwrap();
    let s = Server::start(tmp.path(), &["--clock", "virtual"]);
    let create = |name: &str, ty: &str, data: &str| {
        let doc = format!(
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: {name}\ntype: {ty}\ndata:\n{data}\n"
        );
        let o = s.kubectl(KUBECTL, &["create", "-f", "-"], Some(&doc));
        String::from_utf8_lossy(&o.stderr).trim().to_string()
    };
    assert_eq!(
        create("t1", "kubernetes.io/tls", "  tls.crt: YQ=="),
        r#"The Secret "t1" is invalid: data[tls.key]: Required value"#
    );
    assert_eq!(
        create("t2", "kubernetes.io/dockerconfigjson", "  x: YQ=="),
        r#"The Secret "t2" is invalid: data[.dockerconfigjson]: Required value"#
    );
    assert_eq!(
        create(
            "t3",
            "kubernetes.io/dockerconfigjson",
            "  .dockerconfigjson: W10="
        ),
        r#"The Secret "t3" is invalid: data[.dockerconfigjson]: Invalid value: "<secret contents redacted>": json: cannot unmarshal array into Go value of type map[string]interface {}"#
    );
    assert_eq!(
        create("t3b", "kubernetes.io/dockercfg", "  .dockercfg: e30K"),
        ""
    );
    assert_eq!(
        create("t4", "kubernetes.io/basic-auth", "  x: YQ=="),
        "The Secret \"t4\" is invalid: \n* data[username]: Required value\n* data[password]: Required value"
    );
    assert_eq!(
        create("t5", "Opaque", "  \"a b\": YQ=="),
        r#"The Secret "t5" is invalid: data[a b]: Invalid value: "a b": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')"#
    );
    assert_eq!(
        create("t6", "Opaque", "  \"..x\": YQ=="),
        r#"The Secret "t6" is invalid: data[..x]: Invalid value: "..x": must not start with '..'"#
    );
    assert_eq!(
        create("t7", "kubernetes.io/service-account-token", "  x: YQ=="),
        r#"The Secret "t7" is invalid: metadata.annotations[kubernetes.io/service-account.name]: Required value"#
    );
    assert_eq!(
        create("t8", "kubernetes.io/ssh-auth", "  ssh-privatekey: \"\""),
        r#"The Secret "t8" is invalid: data[ssh-privatekey]: Required value"#
    );
    s.ok(
        KUBECTL,
        &["create", "secret", "generic", "imm", "--from-literal=a=b"],
        None,
    );
    s.ok(
        KUBECTL,
        &["patch", "secret", "imm", "-p", r#"{"immutable":true}"#],
        None,
    );
    let e = s.fails(
        KUBECTL,
        &["patch", "secret", "imm", "-p", r#"{"data":{"a":"Yw=="}}"#],
    );
    assert_eq!(
        e.trim(),
        r#"The Secret "imm" is invalid: data: Forbidden: field is immutable when `immutable` is set"#
    );
    let e = s.fails(
        KUBECTL,
        &["patch", "secret", "imm", "-p", r#"{"immutable":false}"#],
    );
    assert_eq!(
        e.trim(),
        r#"The Secret "imm" is invalid: immutable: Forbidden: field is immutable when `immutable` is set"#
    );
    // metadata stays writable
    s.ok(KUBECTL, &["label", "secret", "imm", "x=y"], None);
    // data that is not Go base64 fails the decoder, before validation
    assert_eq!(
        create(
            "t9",
            "Opaque",
            "  a: YQ==
  b: aGk=YQ=="
        ),
        r#"Error from server (BadRequest): error when creating "STDIN": Secret in version "v1" cannot be handled as a Secret: illegal base64 data at input byte 4"#
    );
    // Go skips newlines in base64 and writes the bytes back canonical
    let doc = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: t10\ndata:\n  a: \"aG\\nk=\"\n";
    s.ok(KUBECTL, &["create", "-f", "-"], Some(doc));
    assert_eq!(
        s.ok(
            KUBECTL,
            &["get", "secret", "t10", "-o", "jsonpath={.data.a}"],
            None
        ),
        "aGk="
    );
}

/// The RBAC kinds' v1 defaults and validation (`pkg/apis/rbac/v1/defaults.go`,
/// `pkg/apis/rbac/validation/validation.go`) as kubectl shows them.
#[test]
fn rbac_defaults_and_validation() {
    let tmp = tempfile::tempdir().unwrap();
    let s = Server::start(tmp.path(), &["--clock", "virtual"]);
    let create = |doc: &str| {
        let o = s.kubectl(KUBECTL, &["create", "-f", "-"], Some(doc));
        String::from_utf8_lossy(&o.stderr).trim().to_string()
    };
    assert_eq!(
        create("apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata:\n  name: r1\nrules:\n- resources: [pods]\n"),
        "The Role \"r1\" is invalid: \n* rules[0].verbs: Required value: verbs must contain at least one value\n* rules[0].apiGroups: Required value: resource rules must supply at least one api group"
    );
    assert_eq!(
        create("apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata:\n  name: r2\nrules:\n- verbs: [get]\n  nonResourceURLs: [/x]\n"),
        r#"The Role "r2" is invalid: rules[0].nonResourceURLs: Invalid value: []string{"/x"}: namespaced rules cannot apply to non-resource URLs"#
    );
    assert_eq!(
        create("apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata:\n  name: b1\nroleRef:\n  kind: Role\n  name: x\nsubjects:\n- kind: ServiceAccount\n  name: sa\n"),
        "The ClusterRoleBinding \"b1\" is invalid: \n* roleRef.kind: Unsupported value: \"Role\": supported values: \"ClusterRole\"\n* subjects[0].namespace: Required value"
    );
    // defaults: the roleRef's and a User subject's apiGroup
    let out = s.ok(
        KUBECTL,
        &["create", "-f", "-", "-o", "jsonpath={.roleRef.apiGroup} {.subjects[0].apiGroup}"],
        Some("apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata:\n  name: b2\nroleRef:\n  kind: ClusterRole\n  name: view\nsubjects:\n- kind: User\n  name: u\n"),
    );
    assert_eq!(out, "rbac.authorization.k8s.io rbac.authorization.k8s.io");
    let e = s.fails(
        KUBECTL,
        &[
            "patch",
            "rolebinding",
            "b2",
            "--type=merge",
            "-p",
            r#"{"roleRef":{"name":"edit"}}"#,
        ],
    );
    assert_eq!(
        e.trim(),
        r#"The RoleBinding "b2" is invalid: roleRef: Invalid value: rbac.RoleRef{APIGroup:"rbac.authorization.k8s.io", Kind:"ClusterRole", Name:"edit"}: cannot change roleRef"#
    );
}

/// What kubectl reads from `/openapi/v2` (Debian's 1.20 reads nothing else): server-side dry
/// run and `kubectl diff` (its dry-run check looks for the kind's PATCH with `dryRun`),
/// `kubectl explain`, client-side validation against the CSR definition, and `kubectl
/// apply`'s patch. Runs with `kubectl` on PATH and with `CSRSIM_E2E_KUBECTL` when set (CI
/// sets it to Debian's 1.20).
#[test]
fn openapi_v2_dry_run_diff_explain_and_validation() {
    let mut bins = vec![KUBECTL.to_string()];
    match std::env::var("CSRSIM_E2E_KUBECTL") {
        Ok(b) => bins.push(b),
        Err(_) => eprintln!("SKIP (second client): CSRSIM_E2E_KUBECTL not set"),
    }
    for bin in bins.iter().map(String::as_str).filter(|b| have(b)) {
        let tmp = tempfile::tempdir().unwrap();
        let s = Server::start(tmp.path(), &["--clock", "virtual"]);
        let d = tmp.path();
        let minor = client_minor(&s, bin);
        sh(d, "openssl req -new -newkey rsa:2048 -nodes -keyout a.key -out a.csr -subj '/CN=a' 2>/dev/null", &[]);
        let csr = |name: &str| {
            manifest(
                name,
                &d.join("a.csr"),
                "kubernetes.io/kube-apiserver-client",
                &["client auth"],
                Some(86400),
            )
        };
        std::fs::write(d.join("a.yaml"), csr("a")).unwrap();
        std::fs::write(d.join("b.yaml"), csr("b")).unwrap();
        s.ok(bin, &["apply", "-f", "a.yaml"], None);
        let dry = [
            (
                vec!["create", "-f", "b.yaml", "--dry-run=server"],
                "certificatesigningrequest.certificates.k8s.io/b created (server dry run)",
            ),
            (
                vec!["apply", "-f", "b.yaml", "--dry-run=server"],
                "certificatesigningrequest.certificates.k8s.io/b created (server dry run)",
            ),
            (
                vec!["delete", "csr", "a", "--dry-run=server"],
                r#"certificatesigningrequest.certificates.k8s.io "a" deleted (server dry run)"#,
            ),
            (
                vec![
                    "create",
                    "role",
                    "r",
                    "--verb=get",
                    "--resource=secrets",
                    "--dry-run=server",
                ],
                "role.rbac.authorization.k8s.io/r created (server dry run)",
            ),
        ];
        for (args, want) in dry {
            let out = s.ok(bin, &args, None);
            assert_eq!(out.trim(), want, "kubectl {minor}: {args:?}");
        }
        // Nothing was written by the dry runs.
        let names = s.ok(bin, &["get", "csr", "-o", "name"], None);
        assert_eq!(
            names.trim(),
            "certificatesigningrequest.certificates.k8s.io/a"
        );
        s.fails(bin, &["get", "role", "r"]);
        // diff: exit 1 with the new object's lines.
        let o = s.kubectl(bin, &["diff", "-f", "b.yaml"], None);
        let out = String::from_utf8_lossy(&o.stdout);
        assert_eq!(o.status.code(), Some(1), "kubectl {minor} diff: {out}");
        assert!(out.contains("+  name: b"), "{out}");
        // explain from the v2 definitions (1.20), or v3 and, when asked, v2 (≥ 1.27).
        let mut explains = vec![vec!["explain", "csr.spec.usages"]];
        if minor >= 27 {
            explains.push(vec![
                "explain",
                "csr.spec.usages",
                "--output=plaintext-openapiv2",
            ]);
        }
        for args in explains {
            let out = s.ok(bin, &args, None);
            assert!(
                out.contains("usages\t<[]string>") || out.contains("usages <[]string>"),
                "kubectl {minor} {args:?}: {out}"
            );
            assert!(
                out.contains("KIND:") && out.contains("CertificateSigningRequest"),
                "{out}"
            );
            assert!(out.contains("certificates.k8s.io"), "{out}");
        }
        // Pods are listed (always empty) and described in both documents.
        let out = s.ok(bin, &["explain", "po.status.message"], None);
        assert!(
            out.contains("message") && out.contains("<string>"),
            "kubectl {minor}: {out}"
        );
        // A misspelt field: 1.20 validates against the definition before sending; later
        // versions send fieldValidation=Strict and the server refuses it.
        let bad = csr("c").replace("  signerName:", "  signername:");
        std::fs::write(d.join("c.yaml"), bad).unwrap();
        let err = s.fails(bin, &["create", "-f", "c.yaml"]);
        let want = if minor <= 20 {
            r#"error: error validating "c.yaml": error validating data: [ValidationError(CertificateSigningRequest.spec): unknown field "signername" in io.k8s.api.certificates.v1.CertificateSigningRequestSpec, ValidationError(CertificateSigningRequest.spec): missing required field "signerName" in io.k8s.api.certificates.v1.CertificateSigningRequestSpec]; if you choose to ignore these errors, turn validation off with --validate=false"#
        } else {
            r#"Error from server (BadRequest): error when creating "c.yaml": CertificateSigningRequest in version "v1" cannot be handled as a CertificateSigningRequest: strict decoding error: unknown field "spec.signername""#
        };
        assert_eq!(err.trim(), want, "kubectl {minor}");
        // Client-side apply of a label change, twice: the patch is computed from the v2
        // definition (1.20, and ≥ 1.27 whose v3 PATCH lists no strategic merge).
        for v in ["one", "two"] {
            let m = csr("a").replace(
                "  name: a\n",
                &format!("  name: a\n  labels:\n    team: {v}\n"),
            );
            let out = s.ok(bin, &["apply", "-f", "-"], Some(&m));
            assert_eq!(
                out.trim(),
                "certificatesigningrequest.certificates.k8s.io/a configured",
                "kubectl {minor}"
            );
            let got = s.ok(
                bin,
                &["get", "csr", "a", "-o", "jsonpath={.metadata.labels.team}"],
                None,
            );
            assert_eq!(got, v);
        }
    }
}

/// RBAC objects and Secrets are decoded and validated as upstream's registries do: unknown
/// fields are a strict decoding error (kubectl ≥ 1.27 sends `fieldValidation=Strict`) or a
/// warning and dropped; policy rules and bindings get `pkg/apis/rbac/validation`'s 422s; a
/// binding's empty API groups are defaulted; its roleRef cannot change.
#[test]
fn rbac_and_secret_bodies_are_decoded_and_validated() {
    let tmp = tempfile::tempdir().unwrap();
    let s = Server::start(tmp.path(), &["--clock", "virtual"]);
    let bin = KUBECTL;
    if client_minor(&s, bin) < 27 {
        eprintln!("SKIP: needs a kubectl that sends fieldValidation");
        return;
    }
    let bad_role = "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata:\n  name: bad\nrules:\n- verb: [get]\n";
    let run = |args: &[&str], stdin: &str| s.kubectl(bin, args, Some(stdin));
    let o = run(&["create", "-f", "-"], bad_role);
    assert_eq!(
        String::from_utf8_lossy(&o.stderr).trim(),
        r#"Error from server (BadRequest): error when creating "STDIN": Role in version "v1" cannot be handled as a Role: strict decoding error: unknown field "rules[0].verb""#
    );
    let o = run(&["create", "-f", "-", "--validate=warn"], bad_role);
    assert_eq!(
        String::from_utf8_lossy(&o.stderr).trim(),
        "Warning: unknown field \"rules[0].verb\"\nThe Role \"bad\" is invalid: \n* rules[0].verbs: Required value: verbs must contain at least one value\n* rules[0].apiGroups: Required value: resource rules must supply at least one api group\n* rules[0].resources: Required value: resource rules must supply at least one resource"
    );
    let secret =
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: sx\nfoo: bar\ndata:\n  a: YQ==\n";
    let o = run(&["create", "-f", "-", "--validate=warn"], secret);
    assert!(o.status.success());
    assert_eq!(
        String::from_utf8_lossy(&o.stderr).trim(),
        r#"Warning: unknown field "foo""#
    );
    let got = s.ok(bin, &["get", "secret", "sx", "-o", "json"], None);
    let v: Value = serde_json::from_str(&got).unwrap();
    assert!(v.get("foo").is_none(), "unknown field stored: {v}");
    let binding = "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata:\n  name: rb\nsubjects:\n- kind: User\n  name: u\nroleRef:\n  kind: Role\n  name: r\n";
    let out = s.ok(
        bin,
        &[
            "create",
            "-f",
            "-",
            "-o",
            "jsonpath={.roleRef.apiGroup} {.subjects[0].apiGroup}",
        ],
        Some(binding),
    );
    assert_eq!(out, "rbac.authorization.k8s.io rbac.authorization.k8s.io");
    // Applying a manifest without the defaulted API groups again changes nothing: the
    // defaults are applied as the body is decoded, before the field manager and the no-op
    // check, so there is no write (the resourceVersion stays).
    let applied = binding.replace("name: rb\n", "name: rb2\n");
    s.ok(bin, &["apply", "-f", "-"], Some(&applied));
    let rv = |s: &Server| {
        s.ok(
            bin,
            &[
                "get",
                "rolebinding",
                "rb2",
                "-o",
                "jsonpath={.metadata.resourceVersion}",
            ],
            None,
        )
    };
    let before = rv(&s);
    s.ok(bin, &["apply", "-f", "-"], Some(&applied));
    assert_eq!(rv(&s), before);
    let err = s.fails(
        bin,
        &[
            "patch",
            "rolebinding",
            "rb",
            "--type",
            "merge",
            "-p",
            r#"{"roleRef":{"name":"r2"}}"#,
        ],
    );
    assert_eq!(
        err.trim(),
        r#"The RoleBinding "rb" is invalid: roleRef: Invalid value: rbac.RoleRef{APIGroup:"rbac.authorization.k8s.io", Kind:"Role", Name:"r2"}: cannot change roleRef"#
    );
    let o = run(
        &["create", "-f", "-"],
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata:\n  name: crb\nsubjects:\n- kind: ServiceAccount\n  name: sa\nroleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: Role\n  name: r\n",
    );
    assert_eq!(
        String::from_utf8_lossy(&o.stderr).trim(),
        "The ClusterRoleBinding \"crb\" is invalid: \n* roleRef.kind: Unsupported value: \"Role\": supported values: \"ClusterRole\"\n* subjects[0].namespace: Required value"
    );
}

/// The Roles and RoleBindings kube-apiserver keeps in `kube-system` and `kube-public`
/// (`bootstrappolicy/namespace_policy.go`; golden files `testdata/namespace-roles.yaml` and
/// `namespace-role-bindings.yaml`, here with 1.33's leader-locking rules), and the RBAC
/// authorizer honouring them.
#[test]
fn namespaced_bootstrap_policy() {
    let tmp = tempfile::tempdir().unwrap();
    let s = Server::start(tmp.path(), &["--clock", "virtual"]);
    let out = s.ok(
        KUBECTL,
        &[
            "get",
            "roles,rolebindings",
            "-A",
            "-l",
            "kubernetes.io/bootstrapping=rbac-defaults",
            "-o",
            "json",
        ],
        None,
    );
    let list: Value = serde_json::from_str(&out).unwrap();
    let got: Vec<Value> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            let m = &o["metadata"];
            let mut v = serde_json::json!({"kind": o["kind"], "namespace": m["namespace"], "name": m["name"],
                "labels": m["labels"], "annotations": m["annotations"]});
            for f in ["rules", "roleRef", "subjects"] {
                if !o[f].is_null() {
                    v[f] = o[f].clone();
                }
            }
            v
        })
        .collect();
    let meta = r#""labels": {"kubernetes.io/bootstrapping": "rbac-defaults"}, "annotations": {"rbac.authorization.kubernetes.io/autoupdate": "true"}"#;
    let events = r#"{"apiGroups": ["", "events.k8s.io"], "resources": ["events"], "verbs": ["create", "patch", "update"]}"#;
    let locking = |c: &str| {
        format!(
            r#"[{{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["watch"]}},
            {{"apiGroups": [""], "resourceNames": ["{c}"], "resources": ["configmaps"], "verbs": ["get", "update"]}},
            {{"apiGroups": ["coordination.k8s.io"], "resources": ["leases"], "verbs": ["create", "get", "list", "update", "watch"]}},
            {{"apiGroups": ["coordination.k8s.io"], "resources": ["leasecandidates"], "verbs": ["create", "get", "list", "update", "watch"]}}]"#
        )
    };
    let role = |ns: &str, name: &str, rules: &str| {
        format!(
            r#"{{"kind": "Role", "namespace": "{ns}", "name": "{name}", {meta}, "rules": {rules}}}"#
        )
    };
    let sa = |n: &str| {
        format!(r#"{{"kind": "ServiceAccount", "name": "{n}", "namespace": "kube-system"}}"#)
    };
    let user = |n: &str| {
        format!(r#"{{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "{n}"}}"#)
    };
    let binding = |ns: &str, name: &str, role: &str, subjects: &[String]| {
        format!(
            r#"{{"kind": "RoleBinding", "namespace": "{ns}", "name": "{name}", {meta},
            "roleRef": {{"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "{role}"}},
            "subjects": [{}]}}"#,
            subjects.join(",")
        )
    };
    let kcm = user("system:kube-controller-manager");
    let sched = user("system:kube-scheduler");
    let signer = "system:controller:bootstrap-signer";
    let want = [
        role(
            "kube-public",
            signer,
            &format!(
                r#"[{{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get", "list", "watch"]}},
            {{"apiGroups": [""], "resourceNames": ["cluster-info"], "resources": ["configmaps"], "verbs": ["update"]}}, {events}]"#
            ),
        ),
        role(
            "kube-system",
            "extension-apiserver-authentication-reader",
            r#"[{"apiGroups": [""], "resourceNames": ["extension-apiserver-authentication"], "resources": ["configmaps"], "verbs": ["get", "list", "watch"]}]"#,
        ),
        role(
            "kube-system",
            "system::leader-locking-kube-controller-manager",
            &locking("kube-controller-manager"),
        ),
        role(
            "kube-system",
            "system::leader-locking-kube-scheduler",
            &locking("kube-scheduler"),
        ),
        role(
            "kube-system",
            signer,
            r#"[{"apiGroups": [""], "resources": ["secrets"], "verbs": ["get", "list", "watch"]}]"#,
        ),
        role(
            "kube-system",
            "system:controller:cloud-provider",
            r#"[{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["create", "get", "list", "watch"]}]"#,
        ),
        role(
            "kube-system",
            "system:controller:token-cleaner",
            &format!(
                r#"[{{"apiGroups": [""], "resources": ["secrets"], "verbs": ["delete", "get", "list", "watch"]}}, {events}]"#
            ),
        ),
        binding("kube-public", signer, signer, &[sa("bootstrap-signer")]),
        binding(
            "kube-system",
            "system::extension-apiserver-authentication-reader",
            "extension-apiserver-authentication-reader",
            &[kcm.clone(), sched.clone()],
        ),
        binding(
            "kube-system",
            "system::leader-locking-kube-controller-manager",
            "system::leader-locking-kube-controller-manager",
            &[
                kcm,
                sa("kube-controller-manager"),
                sa("leader-election-controller"),
            ],
        ),
        binding(
            "kube-system",
            "system::leader-locking-kube-scheduler",
            "system::leader-locking-kube-scheduler",
            &[sched, sa("kube-scheduler")],
        ),
        binding("kube-system", signer, signer, &[sa("bootstrap-signer")]),
        binding(
            "kube-system",
            "system:controller:cloud-provider",
            "system:controller:cloud-provider",
            &[sa("cloud-provider")],
        ),
        binding(
            "kube-system",
            "system:controller:token-cleaner",
            "system:controller:token-cleaner",
            &[sa("token-cleaner")],
        ),
    ];
    let want: Vec<Value> = want
        .iter()
        .map(|w| serde_json::from_str(w).unwrap())
        .collect();
    assert_eq!(got.len(), want.len(), "{got:#?}");
    for (g, w) in got.iter().zip(&want) {
        assert_eq!(g, w);
    }
    // `eventsRule()`'s verbs come sorted by the rule builder in the cluster roles too
    // (`testdata/controller-roles.yaml`).
    let out = s.ok(
        KUBECTL,
        &[
            "get",
            "clusterrole",
            "system:controller:certificate-controller",
            "-o",
            "jsonpath={.rules[5].verbs}",
        ],
        None,
    );
    assert_eq!(out, r#"["create","patch","update"]"#);
    // The authorizer sees them.
    let can = |args: &[&str]| {
        let o = s.kubectl(KUBECTL, &[&["auth", "can-i"][..], args].concat(), None);
        String::from_utf8_lossy(&o.stdout).trim().to_string()
    };
    let signer_sa = "--as=system:serviceaccount:kube-system:bootstrap-signer";
    let cleaner_sa = "--as=system:serviceaccount:kube-system:token-cleaner";
    for (args, want) in [
        (
            &[
                "update",
                "configmaps/cluster-info",
                "-n",
                "kube-public",
                signer_sa,
            ][..],
            "yes",
        ),
        (
            &["update", "configmaps/other", "-n", "kube-public", signer_sa][..],
            "no",
        ),
        (
            &["list", "secrets", "-n", "kube-system", signer_sa][..],
            "yes",
        ),
        (
            &["list", "secrets", "-n", "kube-public", signer_sa][..],
            "no",
        ),
        (
            &["delete", "secrets", "-n", "kube-system", cleaner_sa][..],
            "yes",
        ),
        (
            &["delete", "secrets", "-n", "default", cleaner_sa][..],
            "no",
        ),
        (
            &[
                "get",
                "configmaps/extension-apiserver-authentication",
                "-n",
                "kube-system",
                "--as=system:kube-scheduler",
            ][..],
            "yes",
        ),
    ] {
        assert_eq!(can(args), want, "{args:?}");
    }
}

/// `kubectl apply --prune -l …` without an allowlist maps every kind of kubectl's default one
/// (`kubectl/pkg/util/prune`: ConfigMap, Endpoints, PVC, Pod, RC, Secret, Service, batch Job
/// and CronJob, Ingress, the apps workloads, Namespace, PV) through discovery and refuses to
/// prune if one is missing. csrsim lists those it does not store as always empty, so kubectl
/// 1.33 prunes; Debian's 1.20 (`CSRSIM_E2E_KUBECTL`) names `batch/v1beta1` CronJob, which a
/// 1.33 apiserver no longer serves, and fails as it would there.
#[test]
fn apply_prune_with_the_default_allowlist() {
    let mut bins = vec![KUBECTL.to_string()];
    match std::env::var("CSRSIM_E2E_KUBECTL") {
        Ok(b) => bins.push(b),
        Err(_) => eprintln!("SKIP (second client): CSRSIM_E2E_KUBECTL not set"),
    }
    for bin in bins.iter().map(String::as_str).filter(|b| have(b)) {
        let tmp = tempfile::tempdir().unwrap();
        let s = Server::start(tmp.path(), &["--clock", "virtual"]);
        let minor = client_minor(&s, bin);
        let dir = tmp.path().join("manifests");
        std::fs::create_dir(&dir).unwrap();
        let secret = |name: &str| {
            format!("apiVersion: v1\nkind: Secret\nmetadata:\n  name: {name}\n  labels:\n    app: pruned\ndata:\n  k: dg==\n")
        };
        std::fs::write(dir.join("s1.yaml"), secret("s1")).unwrap();
        std::fs::write(dir.join("s2.yaml"), secret("s2")).unwrap();
        let d = dir.to_str().unwrap();
        s.ok(bin, &["apply", "-f", d], None);
        std::fs::remove_file(dir.join("s2.yaml")).unwrap();
        let prune = ["apply", "--prune", "-l", "app=pruned", "-f", d];
        if minor >= 27 {
            let out = s.ok(bin, &prune, None);
            assert_eq!(out, "secret/s1 unchanged\nsecret/s2 pruned\n", "{bin}");
        } else {
            let e = s.fails(bin, &prune);
            assert!(
                e.contains(r#"error retrieving RESTMappings to prune: invalid resource batch/v1beta1, Kind=CronJob, Namespaced=true: no matches for kind "CronJob" in version "batch/v1beta1""#),
                "{bin}: {e}"
            );
            let out = s.ok(
                bin,
                &[&prune[..], &["--prune-whitelist=core/v1/Secret"]].concat(),
                None,
            );
            assert_eq!(out, "secret/s1 unchanged\nsecret/s2 pruned\n", "{bin}");
        }
        let out = s.ok(
            bin,
            &["get", "secrets", "-l", "app=pruned", "-o", "name"],
            None,
        );
        assert_eq!(out, "secret/s1\n", "{bin}");
        // The listed-only kinds: empty lists, in every group kubectl asks.
        let o = s.kubectl(bin, &["get", "all"], None);
        assert!(o.status.success(), "{bin}");
        assert_eq!(
            String::from_utf8_lossy(&o.stderr).trim(),
            "No resources found in default namespace.",
            "{bin}"
        );
        let out = s.ok(
            bin,
            &[
                "get",
                "deployments.apps,cronjobs.batch,ingresses.networking.k8s.io,configmaps,persistentvolumes",
                "-A",
                "-o",
                "name",
            ],
            None,
        );
        assert_eq!(out, "", "{bin}");
        // Nothing to delete: a named object of a listed-only kind is not found.
        for (what, want) in [
            (
                &["deployment", "d1"][..],
                r#"Error from server (NotFound): deployments.apps "d1" not found"#,
            ),
            (
                &["pod", "p1"][..],
                r#"Error from server (NotFound): pods "p1" not found"#,
            ),
        ] {
            let e = s.fails(bin, &[&["delete"][..], what].concat());
            assert_eq!(e.trim(), want, "{bin}");
        }
    }
}

/// kubectl 1.33 asks `/api` and `/apis` for aggregated discovery first; answered in that form,
/// it needs no per-group-version documents (`-v=8` shows the requests).
#[test]
fn kubectl_uses_aggregated_discovery() {
    let tmp = tempfile::tempdir().unwrap();
    let s = Server::start(tmp.path(), &["--clock", "virtual"]);
    if client_minor(&s, KUBECTL) < 30 {
        eprintln!("SKIP: kubectl on PATH predates aggregated discovery v2");
        return;
    }
    let cache = tmp.path().join("cache");
    let o = s.kubectl(
        KUBECTL,
        &["get", "csr", "-v=8", "--cache-dir", cache.to_str().unwrap()],
        None,
    );
    assert!(o.status.success());
    let log = String::from_utf8_lossy(&o.stderr);
    // 1.33 logs `"Request" verb="GET" url="…"`, 1.32 `] GET https://…`
    let requests: Vec<&str> = log
        .lines()
        .filter_map(|l| {
            l.split_once(r#""Request" verb="GET" url=""#)
                .map(|(_, rest)| rest.split('"').next().unwrap())
                .or_else(|| l.split_once("] GET ").map(|(_, url)| url.trim()))
        })
        .map(|url| url.split_once("://").unwrap().1)
        .map(|hp| &hp[hp.find('/').unwrap()..])
        .collect();
    assert_eq!(
        requests,
        [
            "/api?timeout=32s",
            "/apis?timeout=32s",
            "/apis/certificates.k8s.io/v1/certificatesigningrequests?limit=500"
        ],
        "{log}"
    );
    assert_eq!(
        log.matches(
            "Content-Type: application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"
        )
        .count(),
        2,
        "{log}"
    );
}

/// The kubectl binaries a test of `test/cmd` runs with: the one on PATH (1.33 here) and
/// `CSRSIM_E2E_KUBECTL` (e.g. Debian's 1.20 at `/tmp/k120/root/usr/bin/kubectl`) when set.
fn test_cmd_clients() -> Vec<String> {
    let mut bins = vec![KUBECTL.to_string()];
    match std::env::var("CSRSIM_E2E_KUBECTL") {
        Ok(b) => bins.push(b),
        Err(_) => eprintln!("SKIP (second client): CSRSIM_E2E_KUBECTL not set"),
    }
    bins.into_iter().filter(|b| have(b)).collect()
}

/// kubectl with extra environment variables (`EDITOR` for `kubectl edit`).
fn kubectl_with_env(
    s: &Server,
    bin: &str,
    args: &[&str],
    env: &[(&str, &str)],
) -> std::process::Output {
    let mut cmd = std::process::Command::new(bin);
    cmd.args(args)
        .env("KUBECONFIG", &s.kubeconfig)
        .env("HOME", &s.dir)
        .env("KUBECACHEDIR", s.dir.join("kube-cache"))
        .current_dir(&s.dir)
        .stdin(std::process::Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

/// `hack/testdata/pod.yaml` and `pod-apply.yaml` of `test/cmd/apply.sh`, as Secrets (pods are
/// not served): the label `name` is what the script checks.
const APPLY_SECRET: &str = "apiVersion: v1
kind: Secret
metadata:
  name: test-secret
  labels:
    name: test-secret-label
stringData:
  key: value
";

fn apply_secret_applied() -> String {
    APPLY_SECRET.replace("test-secret-label", "test-secret-applied")
}

/// `test/cmd/get.sh` (`run_kubectl_get_tests`), with secrets and CSRs in place of pods:
/// not-found errors with every output format, "No resources found" only for human-readable
/// output, `get all` asking every listed kind, `--chunk-size` paging, missing template keys,
/// `--template` alone, `--subresource`, and `-w` with `-o name`/`-o yaml`/a missing object.
#[test]
fn get_sh_of_test_cmd() {
    for bin in test_cmd_clients() {
        let bin = bin.as_str();
        let tmp = tempfile::tempdir().unwrap();
        let s = Server::start(tmp.path(), &["--clock", "virtual"]);
        let minor = client_minor(&s, bin);
        let run = |args: &[&str]| s.kubectl(bin, args, None);
        let text = |o: &std::process::Output| {
            format!(
                "{}{}",
                String::from_utf8_lossy(&o.stdout),
                String::from_utf8_lossy(&o.stderr)
            )
        };
        // Retrieval of a missing object, with and without an output format.
        for fmt in [&[][..], &["-o", "name"][..], &["-o", "json"][..]] {
            let o = run(&[&["get", "secrets", "abc"][..], fmt].concat());
            assert!(!o.status.success(), "{bin} {fmt:?}");
            assert_eq!(o.stdout, b"", "{bin} {fmt:?}: no empty List printed");
            assert_eq!(
                String::from_utf8_lossy(&o.stderr),
                "Error from server (NotFound): secrets \"abc\" not found\n",
                "{bin} {fmt:?}"
            );
        }
        // None exist: machine-readable formats print no "No resources found".
        for fmt in [
            "json",
            "yaml",
            "name",
            "jsonpath={.items}",
            "go-template={{.items}}",
            "custom-columns=NAME:.metadata.name",
        ] {
            let o = run(&["get", "secrets", "-o", fmt]);
            assert!(o.status.success(), "{bin} {fmt}");
            assert!(!text(&o).contains("No resources found"), "{bin} {fmt}");
        }
        let o = run(&["get", "foobar"]);
        assert!(!o.status.success());
        assert_eq!(
            text(&o),
            "error: the server doesn't have a resource type \"foobar\"\n",
            "{bin}"
        );
        for (args, shown) in [
            (&["get", "secrets"][..], true),
            (&["get", "secrets", "--ignore-not-found"][..], false),
            (&["get", "secrets", "-o", "wide"][..], true),
            (&["get", "csr"][..], true),
        ] {
            let o = run(args);
            assert!(o.status.success(), "{bin} {args:?}");
            assert_eq!(
                text(&o).contains("No resources found"),
                shown,
                "{bin} {args:?}"
            );
        }
        // A missing named object with --ignore-not-found: nothing at all, success.
        let o = run(&["get", "csr", "abc", "--ignore-not-found"]);
        assert!(o.status.success(), "{bin}");
        assert_eq!(text(&o), "", "{bin}");

        // `get all` lists every kind of the category, each answered 200.
        let o = run(&[
            "--v=6",
            "--namespace",
            "default",
            "get",
            "all",
            "--chunk-size=0",
        ]);
        assert!(o.status.success(), "{bin}");
        let log = text(&o);
        let answered = |log: &str, path: &str| {
            // 1.20: `GET https://h/path 200 OK in`; 1.33: `url="https://h/path" status="200 OK"`
            log.contains(&format!("{path} 200 OK"))
                || log.contains(&format!("{path}\" status=\"200 OK\""))
        };
        for path in [
            "/api/v1/namespaces/default/pods",
            "/api/v1/namespaces/default/replicationcontrollers",
            "/api/v1/namespaces/default/services",
            "/apis/apps/v1/namespaces/default/daemonsets",
            "/apis/apps/v1/namespaces/default/deployments",
            "/apis/apps/v1/namespaces/default/replicasets",
            "/apis/apps/v1/namespaces/default/statefulsets",
            // the preferred version of the group, as against a 1.33 kube-apiserver
            "/apis/autoscaling/v2/namespaces/default/horizontalpodautoscalers",
            "/apis/batch/v1/namespaces/default/cronjobs",
            "/apis/batch/v1/namespaces/default/jobs",
        ] {
            assert!(answered(&log, path), "{bin} {path}: {log}");
        }
        for args in [
            &["get", "hpa"][..],
            &["get", "hpa.v1.autoscaling", "-A"][..],
        ] {
            let o = run(args);
            assert!(o.status.success(), "{bin} {args:?}");
            assert!(text(&o).starts_with("No resources found"), "{bin} {args:?}");
        }
        let list: Value = serde_json::from_str(&s.ok(
            bin,
            &[
                "get",
                "--raw",
                "/apis/autoscaling/v1/namespaces/default/horizontalpodautoscalers",
            ],
            None,
        ))
        .unwrap();
        assert_eq!(list["apiVersion"], "autoscaling/v1");
        assert_eq!(list["kind"], "HorizontalPodAutoscalerList");
        assert!(!log.contains("/apis/extensions/v1beta1/"), "{bin}");
        // --chunk-size: a limit, then continue tokens; 500 by default.
        let o = run(&["--v=6", "get", "clusterrole", "--chunk-size=10"]);
        assert!(o.status.success());
        let log = text(&o);
        assert!(
            answered(
                &log,
                "/apis/rbac.authorization.k8s.io/v1/clusterroles?limit=10"
            ),
            "{bin}: {log}"
        );
        assert!(log.contains("/v1/clusterroles?continue="), "{bin}");
        let o = run(&["--v=6", "get", "clusterrole"]);
        let log = text(&o);
        assert!(
            answered(
                &log,
                "/apis/rbac.authorization.k8s.io/v1/clusterroles?limit=500"
            ),
            "{bin}: {log}"
        );
        // Pages accumulate.
        let out = s.ok(
            bin,
            &["get", "namespaces", "--chunk-size=1", "--no-headers"],
            None,
        );
        for ns in ["default", "kube-public", "kube-system"] {
            assert!(out.contains(ns), "{bin}: {out}");
        }
        // --watch with --chunk-size over several pages.
        for name in ["one", "two", "three"] {
            s.ok(bin, &["create", "secret", "generic", name], None);
        }
        for w in ["--watch", "--watch-only"] {
            let o = run(&[
                "get",
                "secrets",
                "--chunk-size=1",
                w,
                "--request-timeout=1s",
            ]);
            assert!(
                !text(&o).contains("watch is only supported on individual resources"),
                "{bin}"
            );
        }

        // --allow-missing-template-keys (default true for both template kinds).
        s.ok(
            bin,
            &[
                "create",
                "secret",
                "generic",
                "valid-secret",
                "--from-literal=a=b",
            ],
            None,
        );
        let out = s.ok(
            bin,
            &["get", "secret", "valid-secret", "-o", "jsonpath={.missing}"],
            None,
        );
        assert_eq!(out, "", "{bin}");
        let out = s.ok(
            bin,
            &[
                "get",
                "secret",
                "valid-secret",
                "-o",
                "go-template={{.missing}}",
            ],
            None,
        );
        assert_eq!(out, "<no value>", "{bin}");
        let out = s.ok(
            bin,
            &[
                "get",
                "secret",
                "valid-secret",
                "--template={{.metadata.name}}:",
            ],
            None,
        );
        assert_eq!(out, "valid-secret:", "{bin}");
        let e = s.fails(
            bin,
            &[
                "get",
                "secret",
                "valid-secret",
                "--allow-missing-template-keys=false",
                "-o",
                "jsonpath={.missing}",
            ],
        );
        assert!(e.contains("missing is not found"), "{bin}: {e}");
        let e = s.fails(
            bin,
            &[
                "get",
                "secret",
                "valid-secret",
                "--allow-missing-template-keys=false",
                "-o",
                "go-template={{.missing}}",
            ],
        );
        assert!(
            e.contains("map has no entry for key \"missing\""),
            "{bin}: {e}"
        );

        // --subresource (kubectl ≥ 1.24): a CSR's and a namespace's status; a Secret has none.
        if minor >= 24 {
            std::fs::write(tmp.path().join("csr.yml"), UPSTREAM_CSR_YML).unwrap();
            s.ok(bin, &["create", "-f", "csr.yml"], None);
            // (before 1.32 kubectl itself allows only status and scale)
            let approval = if minor >= 32 { "approval" } else { "status" };
            for (what, sub) in [
                ("csr/foo", "status"),
                ("csr/foo", approval),
                ("ns/default", "status"),
            ] {
                let out = s.ok(
                    bin,
                    &["get", what, &format!("--subresource={sub}"), "-o", "name"],
                    None,
                );
                assert!(
                    out.ends_with(&format!("/{}\n", what.split('/').nth(1).unwrap())),
                    "{bin}: {out}"
                );
            }
            let e = s.fails(
                bin,
                &["get", "secret", "valid-secret", "--subresource=status"],
            );
            assert_eq!(
                e,
                "Error from server (NotFound): the server could not find the requested resource\n",
                "{bin}"
            );
            s.ok(bin, &["delete", "csr", "foo"], None);
        }

        // get -w: headers and rows; -o name and -o yaml print no headers; a missing object.
        let out = s.ok(bin, &["get", "secrets", "-w", "--request-timeout=1"], None);
        assert!(
            out.contains("TYPE") && out.contains("valid-secret"),
            "{bin}: {out}"
        );
        let out = s.ok(
            bin,
            &[
                "get",
                "secrets/valid-secret",
                "-o",
                "name",
                "-w",
                "--request-timeout=1",
            ],
            None,
        );
        assert_eq!(out, "secret/valid-secret\n", "{bin}");
        let out = s.ok(
            bin,
            &[
                "get",
                "secrets/valid-secret",
                "-o",
                "yaml",
                "-w",
                "--request-timeout=1",
            ],
            None,
        );
        assert!(
            out.contains("name: valid-secret") && !out.contains("TYPE"),
            "{bin}: {out}"
        );
        let e = s.fails(
            bin,
            &["get", "secrets/invalid-secret", "-w", "--request-timeout=1"],
        );
        assert!(e.contains("\"invalid-secret\" not found"), "{bin}: {e}");

        // `get -f <file> -o jsonpath` prints every item of the file.
        std::fs::write(
            tmp.path().join("multi.yaml"),
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: redis-master\n---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: valid-pod\n",
        )
        .unwrap();
        s.ok(bin, &["create", "-f", "multi.yaml"], None);
        let out = s.ok(
            bin,
            &[
                "get",
                "-f",
                "multi.yaml",
                "-o",
                "jsonpath={..metadata.name}",
            ],
            None,
        );
        assert_eq!(out, "redis-master valid-pod", "{bin}");

        // --all-namespaces shows the namespace; a cluster-scoped kind has no such column.
        for ns in ["all-ns-test-1", "all-ns-test-2"] {
            s.ok(bin, &["create", "namespace", ns], None);
            s.ok(
                bin,
                &["create", "secret", "generic", "test", "-n", ns],
                None,
            );
        }
        for flag in ["--all-namespaces", "-A"] {
            let out = s.ok(bin, &["get", "secrets", flag], None);
            assert!(out.starts_with("NAMESPACE"), "{bin}: {out}");
            assert!(
                out.contains("all-ns-test-1") && out.contains("all-ns-test-2"),
                "{bin}"
            );
        }
        s.ok(
            bin,
            &["get", "secrets", "--all-namespaces", "--namespace=default"],
            None,
        );
        let out = s.ok(bin, &["get", "clusterroles", "--all-namespaces"], None);
        assert!(!out.contains("NAMESPACE"), "{bin}");

        // `results.sh`: exit code, empty stdout, exact stderr.
        let o = run(&["get", "pod/no-such-pod"]);
        assert_eq!(o.status.code(), Some(1), "{bin}");
        assert_eq!(o.stdout, b"");
        assert_eq!(
            String::from_utf8_lossy(&o.stderr),
            "Error from server (NotFound): pods \"no-such-pod\" not found\n"
        );
    }
}

/// `test/cmd/apply.sh` (`run_kubectl_apply_tests`, `run_kubectl_server_side_apply_tests`) with a
/// Secret in place of `hack/testdata/pod.yaml`: client-side apply and its annotation and
/// manager, `set-last-applied` (dry runs change nothing), `--dry-run=client|server` (no
/// resourceVersion change), server-side apply's managers, and the upgrade from client-side to
/// server-side apply and back: kubectl's server-side apply may take over the fields its
/// client-side apply set (`lastAppliedManager`), and it keeps the annotation up to date
/// (`lastAppliedUpdater`).
#[test]
fn apply_sh_of_test_cmd() {
    for bin in test_cmd_clients() {
        let bin = bin.as_str();
        let tmp = tempfile::tempdir().unwrap();
        let s = Server::start(tmp.path(), &["--clock", "virtual"]);
        let minor = client_minor(&s, bin);
        std::fs::write(tmp.path().join("secret.yaml"), APPLY_SECRET).unwrap();
        std::fs::write(tmp.path().join("secret-apply.yaml"), apply_secret_applied()).unwrap();
        let label = |s: &Server| {
            s.ok(
                bin,
                &[
                    "get",
                    "secret",
                    "test-secret",
                    "-o",
                    "go-template={{.metadata.labels.name}}",
                ],
                None,
            )
        };
        let annotated = |s: &Server| {
            s.ok(bin, &["get", "secret", "test-secret", "-o", "yaml"], None)
                .contains("kubectl.kubernetes.io/last-applied-configuration:")
        };
        let managers = |s: &Server, show: bool| {
            let mut a = vec![
                "get",
                "-f",
                "secret.yaml",
                "-o=jsonpath={.metadata.managedFields[*].manager}",
            ];
            if show {
                a.push("--show-managed-fields");
            }
            s.ok(bin, &a, None)
        };
        let rv = |s: &Server| {
            s.ok(
                bin,
                &[
                    "get",
                    "-f",
                    "secret.yaml",
                    "-o",
                    "go-template={{ .metadata.resourceVersion }}",
                ],
                None,
            )
        };

        // Client-side apply creates, with the annotation and its manager.
        assert_eq!(
            s.ok(bin, &["apply", "-f", "secret.yaml"], None),
            "secret/test-secret created\n"
        );
        assert_eq!(label(&s), "test-secret-label");
        assert!(annotated(&s), "{bin}");
        if minor >= 21 {
            assert_eq!(managers(&s, true), "kubectl-client-side-apply", "{bin}");
        }
        // What the field manager recorded is the decoded object: `stringData` was folded into
        // `data` and `type` defaulted before it looked.
        let mf: Value = serde_json::from_str(
            &s.ok(
                bin,
                &[
                    "get",
                    "secret",
                    "test-secret",
                    "-o",
                    "json",
                    "--show-managed-fields",
                ]
                .iter()
                .copied()
                .filter(|a| minor >= 21 || *a != "--show-managed-fields")
                .collect::<Vec<_>>(),
                None,
            ),
        )
        .unwrap();
        let fields = &mf["metadata"]["managedFields"][0]["fieldsV1"];
        assert_eq!(
            fields["f:data"],
            serde_json::json!({".": {}, "f:key": {}}),
            "{bin}: {fields}"
        );
        assert_eq!(fields["f:type"], serde_json::json!({}), "{bin}: {fields}");
        assert!(fields.get("f:stringData").is_none(), "{bin}: {fields}");
        s.ok(bin, &["delete", "secret", "test-secret"], None);

        // set-last-applied: dry runs leave the object alone.
        s.ok(bin, &["create", "-f", "secret.yaml"], None);
        assert!(!annotated(&s), "{bin}");
        let dry = ["--dry-run=client", "--dry-run=server"];
        for d in dry {
            let out = s.ok(
                bin,
                &[
                    "apply",
                    "set-last-applied",
                    d,
                    "-f",
                    "secret.yaml",
                    "--create-annotation=true",
                ],
                None,
            );
            let how = if d.ends_with("client") {
                "(dry run)"
            } else {
                "(server dry run)"
            };
            assert_eq!(
                out,
                format!("secret/test-secret configured {how}\n"),
                "{bin}"
            );
        }
        assert!(!annotated(&s), "{bin}");
        s.ok(
            bin,
            &[
                "apply",
                "set-last-applied",
                "-f",
                "secret.yaml",
                "--create-annotation=true",
            ],
            None,
        );
        assert!(annotated(&s), "{bin}");
        s.ok(bin, &["delete", "secret", "test-secret"], None);

        // --dry-run: nothing created, then nothing changed.
        for d in dry {
            s.ok(bin, &["apply", d, "-f", "secret.yaml"], None);
        }
        assert_eq!(s.ok(bin, &["get", "secrets", "-o", "name"], None), "");
        s.ok(bin, &["apply", "-f", "secret.yaml"], None);
        let before = rv(&s);
        for d in dry {
            s.ok(bin, &["apply", d, "-f", "secret-apply.yaml"], None);
        }
        assert_eq!(label(&s), "test-secret-label");
        assert_eq!(rv(&s), before, "{bin}");
        s.ok(bin, &["delete", "-f", "secret.yaml"], None);

        // -n must match the file's namespace.
        std::fs::write(
            tmp.path().join("b.yaml"),
            APPLY_SECRET.replace("  name: test-secret\n", "  name: b\n  namespace: nsb\n"),
        )
        .unwrap();
        let e = s.fails(bin, &["apply", "-n", "foo", "-f", "b.yaml"]);
        assert!(
            e.contains(r#"the namespace from the provided object "nsb" does not match the namespace "foo". You must pass '--namespace=nsb' to perform this operation."#),
            "{bin}: {e}"
        );

        // Several objects, one failing in the apply phase: the namespace first, the secret in
        // it fails (not there yet), the second pass creates it.
        std::fs::write(
            tmp.path().join("multi-resource-1.yaml"),
            "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: multi-resource-ns\n---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: test-secret\n  namespace: multi-resource-ns\n",
        )
        .unwrap();
        let o = s.kubectl(bin, &["apply", "-f", "multi-resource-1.yaml"], None);
        let e = String::from_utf8_lossy(&o.stderr);
        if !o.status.success() {
            assert!(
                e.contains(r#"namespaces "multi-resource-ns" not found"#),
                "{bin}: {e}"
            );
            s.ok(bin, &["apply", "-f", "multi-resource-1.yaml"], None);
        }
        s.ok(
            bin,
            &["get", "secret", "test-secret", "-n", "multi-resource-ns"],
            None,
        );
        // As the script: `-f`, namespace first; the namespace controller comes a moment
        // later, so the secret's DELETE right after still finds it.
        assert_eq!(
            s.ok(bin, &["delete", "-f", "multi-resource-1.yaml"], None),
            "namespace \"multi-resource-ns\" deleted\nsecret \"test-secret\" deleted\n"
        );

        // One unknown kind among good objects: the good one is still applied.
        std::fs::write(
            tmp.path().join("multi-resource-2.yaml"),
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: foo\n---\napiVersion: example.com/v1\nkind: Bogus\nmetadata:\n  name: foo\n",
        )
        .unwrap();
        let e = s.fails(bin, &["apply", "-f", "multi-resource-2.yaml"]);
        assert!(
            e.contains(r#"no matches for kind "Bogus" in version "example.com/v1""#),
            "{bin}: {e}"
        );
        s.ok(bin, &["delete", "secret", "foo"], None);

        // (kubectl 1.20 has no --show-managed-fields, and shows managedFields without it.)
        let show: &[&str] = if minor >= 21 {
            &["--show-managed-fields"]
        } else {
            &[]
        };
        // Server-side apply: the `kubectl` manager, then a custom one with --force-conflicts.
        assert_eq!(
            s.ok(bin, &["apply", "--server-side", "-f", "secret.yaml"], None),
            "secret/test-secret serverside-applied\n"
        );
        assert_eq!(label(&s), "test-secret-label");
        assert_eq!(managers(&s, minor >= 21), "kubectl", "{bin}");
        s.ok(
            bin,
            &[
                "apply",
                "--server-side",
                "--field-manager=my-field-manager",
                "--force-conflicts",
                "-f",
                "secret.yaml",
            ],
            None,
        );
        assert!(managers(&s, false).contains("my-field-manager"), "{bin}");
        // An applier owns what its configuration names, as sent: `stringData`, not the `data`
        // it becomes nor the defaulted `type`. The stored object has no `stringData`, so each
        // apply of it adds it again: the forced apply took it from `kubectl`.
        let v: Value = serde_json::from_str(&s.ok(
            bin,
            &[&["get", "secret", "test-secret", "-o", "json"][..], show].concat(),
            None,
        ))
        .unwrap();
        let owned: Vec<(&str, &Value)> = v["metadata"]["managedFields"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| (e["manager"].as_str().unwrap(), &e["fieldsV1"]))
            .collect();
        assert_eq!(
            owned,
            [
                (
                    "kubectl",
                    &serde_json::json!({"f:metadata": {"f:labels": {"f:name": {}}}})
                ),
                (
                    "my-field-manager",
                    &serde_json::json!({"f:metadata": {"f:labels": {"f:name": {}}}, "f:stringData": {"f:key": {}}})
                ),
            ],
            "{bin}: {v}"
        );
        s.ok(bin, &["delete", "secret", "test-secret"], None);
        // --dry-run=server with --server-side.
        s.ok(
            bin,
            &[
                "apply",
                "--server-side",
                "--dry-run=server",
                "-f",
                "secret.yaml",
            ],
            None,
        );
        assert_eq!(s.ok(bin, &["get", "secrets", "-o", "name"], None), "");
        s.ok(bin, &["apply", "--server-side", "-f", "secret.yaml"], None);
        let before = rv(&s);
        s.ok(
            bin,
            &[
                "apply",
                "--server-side",
                "--dry-run=server",
                "-f",
                "secret-apply.yaml",
            ],
            None,
        );
        assert_eq!(label(&s), "test-secret-label");
        assert_eq!(rv(&s), before);
        s.ok(bin, &["delete", "-f", "secret.yaml"], None);

        // Upgrade from client-side apply: not for another manager (a conflict on the label
        // only: the applier's `stringData` is not the client-side `data`) …
        s.ok(bin, &["apply", "-f", "secret.yaml"], None);
        let e = s.fails(
            bin,
            &[
                "apply",
                "--server-side",
                "--field-manager=not-kubectl",
                "-f",
                "secret-apply.yaml",
            ],
        );
        assert!(
            e.starts_with("error: Apply failed with 1 conflict: conflict with \"kubectl-client-side-apply\" using v1: .metadata.labels.name\n"),
            "{bin}: {e}"
        );
        // … but kubectl's own: the fields its last client-side apply set are taken over, and the
        // annotation now holds the server-side configuration.
        assert_eq!(
            s.ok(
                bin,
                &["apply", "--server-side", "-f", "secret-apply.yaml"],
                None
            ),
            "secret/test-secret serverside-applied\n"
        );
        assert_eq!(label(&s), "test-secret-applied");
        assert!(annotated(&s), "{bin}");
        let out = s.ok(
            bin,
            &[
                "apply",
                "view-last-applied",
                "secret/test-secret",
                "-o",
                "json",
            ],
            None,
        );
        assert!(
            out.contains(r#""name": "test-secret-applied""#),
            "{bin}: {out}"
        );
        // Downgrade: server-side again with the old file, then client-side apply.
        s.ok(bin, &["apply", "--server-side", "-f", "secret.yaml"], None);
        assert!(annotated(&s), "{bin}");
        let out = s.ok(
            bin,
            &[
                "apply",
                "view-last-applied",
                "secret/test-secret",
                "-o",
                "json",
            ],
            None,
        );
        assert!(
            out.contains(r#""name": "test-secret-label""#),
            "{bin}: {out}"
        );
        s.ok(bin, &["apply", "-f", "secret-apply.yaml"], None);
        assert_eq!(label(&s), "test-secret-applied");
        s.ok(bin, &["delete", "-f", "secret.yaml"], None);

        if minor < 26 {
            // Older kubectl does not move the client-side apply manager's fields to `kubectl`
            // after its first server-side apply (`csaupgrade`): the key below would stay owned
            // by `kubectl-client-side-apply`, and stay, as against any apiserver.
            continue;
        }
        // A key dropped from the server-side configuration is removed (the ConfigMap case of
        // the script, with a Secret's `data`).
        let with_legacy = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: test\ndata:\n  key: dmFsdWU=\n  legacy: dW51c2Vk\n";
        s.ok(bin, &["apply", "-f", "-"], Some(with_legacy));
        let has_legacy = |s: &Server| {
            s.ok(bin, &["get", "secret", "test", "-o", "yaml"], None)
                .contains("legacy: dW51c2Vk")
        };
        assert!(has_legacy(&s));
        s.ok(
            bin,
            &["apply", "--server-side", "-f", "-"],
            Some(with_legacy),
        );
        assert!(has_legacy(&s), "{bin}");
        s.ok(
            bin,
            &["apply", "--server-side", "-f", "-"],
            Some(&with_legacy.replace("  legacy: dW51c2Vk\n", "")),
        );
        assert!(!has_legacy(&s), "{bin}");
        s.ok(bin, &["delete", "secret", "test"], None);
    }
}

/// `test/cmd/save-config.sh` with a Secret: `create`, `edit` (non-interactive `EDITOR`) and
/// `replace` with `--save-config` write the last-applied annotation; a plain create does not.
#[test]
fn save_config_sh_of_test_cmd() {
    for bin in test_cmd_clients() {
        let bin = bin.as_str();
        let tmp = tempfile::tempdir().unwrap();
        let s = Server::start(tmp.path(), &["--clock", "virtual"]);
        std::fs::write(tmp.path().join("secret.yaml"), APPLY_SECRET).unwrap();
        let editor = tmp.path().join("tmp-editor.sh");
        std::fs::write(
            &editor,
            "#!/usr/bin/env bash\nsed -i \"s/test-secret-label/test-secret-label-edited/g\" $@\n",
        )
        .unwrap();
        std::fs::set_permissions(&editor, std::os::unix::fs::PermissionsExt::from_mode(0o755))
            .unwrap();
        let annotated = |s: &Server| {
            s.ok(bin, &["get", "secret", "test-secret", "-o", "yaml"], None)
                .contains("kubectl.kubernetes.io/last-applied-configuration")
        };
        s.ok(bin, &["create", "-f", "secret.yaml", "--save-config"], None);
        assert!(annotated(&s), "{bin}");
        s.ok(bin, &["delete", "-f", "secret.yaml"], None);

        s.ok(bin, &["create", "-f", "secret.yaml"], None);
        assert!(!annotated(&s), "{bin}");
        let o = kubectl_with_env(
            &s,
            bin,
            &["edit", "secret", "test-secret", "--save-config"],
            &[("EDITOR", editor.to_str().unwrap())],
        );
        assert!(
            o.status.success(),
            "{bin}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        assert_eq!(
            String::from_utf8_lossy(&o.stdout),
            "secret/test-secret edited\n"
        );
        assert!(annotated(&s), "{bin}");
        assert_eq!(
            s.ok(
                bin,
                &[
                    "get",
                    "secret",
                    "test-secret",
                    "-o",
                    "go-template={{.metadata.labels.name}}"
                ],
                None
            ),
            "test-secret-label-edited"
        );
        s.ok(bin, &["delete", "-f", "secret.yaml"], None);

        // `kubectl edit` without a change, and with one the server refuses: the reasons are
        // written into the copy kubectl keeps.
        s.ok(bin, &["create", "-f", "secret.yaml"], None);
        let noop = tmp.path().join("noop-editor.sh");
        std::fs::write(&noop, "#!/bin/sh\ntrue\n").unwrap();
        let retype = tmp.path().join("retype-editor.sh");
        std::fs::write(
            &retype,
            "#!/bin/sh\nsed -i \"s/type: Opaque/type: Other/\" \"$@\"\n",
        )
        .unwrap();
        for e in [&noop, &retype] {
            std::fs::set_permissions(e, std::os::unix::fs::PermissionsExt::from_mode(0o755))
                .unwrap();
        }
        let edit = |editor: &Path| {
            kubectl_with_env(
                &s,
                bin,
                &["edit", "secret", "test-secret"],
                &[("EDITOR", editor.to_str().unwrap())],
            )
        };
        let o = edit(&noop);
        assert!(o.status.success(), "{bin}");
        assert_eq!(
            String::from_utf8_lossy(&o.stderr),
            "Edit cancelled, no changes made.\n",
            "{bin}"
        );
        let o = edit(&retype);
        assert_eq!(o.status.code(), Some(1), "{bin}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            err.starts_with("error: secrets \"test-secret\" is invalid\n"),
            "{bin}: {err}"
        );
        let copy = err
            .split('"')
            .find(|p| p.contains("-edit-") && p.ends_with(".yaml"))
            .expect("copy path");
        let text = std::fs::read_to_string(copy).unwrap();
        let _ = std::fs::remove_file(copy);
        assert!(
            text.contains("# secrets \"test-secret\" was not valid:\n# * type: Invalid value: \"Other\": field is immutable\n"),
            "{bin}: {text}"
        );
        s.ok(bin, &["delete", "-f", "secret.yaml"], None);

        s.ok(bin, &["create", "-f", "secret.yaml"], None);
        assert!(!annotated(&s), "{bin}");
        assert_eq!(
            s.ok(
                bin,
                &["replace", "-f", "secret.yaml", "--save-config"],
                None
            ),
            "secret/test-secret replaced\n"
        );
        assert!(annotated(&s), "{bin}");
        s.ok(bin, &["delete", "-f", "secret.yaml"], None);
    }
}

/// `test/cmd/template-output.sh`: `--template` on the commands that write the kinds csrsim
/// serves (a Secret for the script's pod; RBAC kinds, namespaces and secrets as they are).
#[test]
fn template_output_sh_of_test_cmd() {
    for bin in test_cmd_clients() {
        let bin = bin.as_str();
        let tmp = tempfile::tempdir().unwrap();
        let s = Server::start(tmp.path(), &["--clock", "virtual"]);
        std::fs::write(tmp.path().join("secret.yaml"), APPLY_SECRET).unwrap();
        std::fs::write(
            tmp.path().join("rbac-resource-plus.yaml"),
            RBAC_RESOURCE_PLUS,
        )
        .unwrap();
        s.ok(bin, &["create", "-f", "secret.yaml"], None);
        let t = "--template={{ .metadata.name }}:";
        let cases: &[(&[&str], &str)] = &[
            (
                &[
                    "patch",
                    "--dry-run=client",
                    "secret/test-secret",
                    "-p",
                    r#"{"patched":"value3"}"#,
                    "--type=merge",
                    t,
                ],
                "test-secret:",
            ),
            (
                &[
                    "label",
                    "--dry-run=client",
                    "secret/test-secret",
                    "label=value",
                    t,
                ],
                "test-secret:",
            ),
            (
                &[
                    "annotate",
                    "--dry-run=client",
                    "secret/test-secret",
                    "annotation=value",
                    t,
                ],
                "test-secret:",
            ),
            (
                &["apply", "--dry-run=client", "-f", "secret.yaml", t],
                "test-secret:",
            ),
            (
                &["create", "-f", "secret.yaml", "--dry-run=client", t],
                "test-secret:",
            ),
            (
                &[
                    "apply",
                    "set-last-applied",
                    "-f",
                    "secret.yaml",
                    "--dry-run=client",
                    "--create-annotation",
                    t,
                ],
                "test-secret:",
            ),
            (
                &[
                    "auth",
                    "reconcile",
                    "--dry-run=client",
                    "-f",
                    "rbac-resource-plus.yaml",
                    t,
                ],
                "testing-CR:testing-CRB:testing-RB:testing-R:",
            ),
            (
                &[
                    "create",
                    "clusterrole",
                    t,
                    "--verb",
                    "get",
                    "myclusterrole",
                    "--non-resource-url",
                    "/logs/",
                    "--resource",
                    "pods",
                ],
                "myclusterrole:",
            ),
            (
                &[
                    "create",
                    "clusterrolebinding",
                    "foo",
                    "--clusterrole=myclusterrole",
                    t,
                ],
                "foo:",
            ),
            (&["create", "ns", "bar", "--dry-run=client", t], "bar:"),
            (
                &[
                    "create",
                    "rolebinding",
                    "foo",
                    "--clusterrole=myclusterrole",
                    "--dry-run=client",
                    t,
                ],
                "foo:",
            ),
            (
                &[
                    "create",
                    "role",
                    "--dry-run=client",
                    t,
                    "--verb",
                    "get",
                    "myrole",
                    "--resource",
                    "pods",
                ],
                "myrole:",
            ),
            (
                &[
                    "set",
                    "subject",
                    "clusterrolebinding/foo",
                    "--user=foo",
                    "--dry-run=client",
                    t,
                ],
                "foo:",
            ),
            (
                &[
                    "create",
                    "secret",
                    "docker-registry",
                    "foo",
                    "--docker-username",
                    "user",
                    "--docker-password",
                    "pass",
                    "--docker-email",
                    "foo@bar.baz",
                    "--dry-run=client",
                    t,
                ],
                "foo:",
            ),
            (
                &[
                    "create",
                    "secret",
                    "generic",
                    "foo",
                    "--from-literal=key1=value1",
                    "--dry-run=client",
                    t,
                ],
                "foo:",
            ),
            (&["config", "view", "--template={{ .kind }}:"], "Config:"),
        ];
        for (args, want) in cases {
            let out = s.ok(bin, args, None);
            assert_eq!(out, *want, "{bin} {args:?}");
        }
        // A non-template --output wins over --template.
        let out = s.ok(
            bin,
            &[
                "create",
                "secret",
                "generic",
                "cm",
                "--dry-run=client",
                t,
                "--output",
                "yaml",
            ],
            None,
        );
        assert!(out.contains("kind: Secret"), "{bin}: {out}");
        // The dry runs created nothing; the real creates did.
        assert_eq!(
            s.ok(
                bin,
                &["get", "ns", "bar", "--ignore-not-found", "-o", "name"],
                None
            ),
            ""
        );
        s.ok(bin, &["delete", "clusterrole", "myclusterrole"], None);
        s.ok(bin, &["delete", "clusterrolebinding", "foo"], None);
    }
}

/// `test/fixtures/pkg/kubectl/cmd/auth/rbac-resource-plus.yaml` (names and kinds as upstream).
const RBAC_RESOURCE_PLUS: &str = "apiVersion: v1
kind: List
items:
- apiVersion: rbac.authorization.k8s.io/v1
  kind: ClusterRole
  metadata:
    name: testing-CR
  rules:
  - apiGroups: [\"\"]
    resources: [\"pods\"]
    verbs: [\"get\"]
- apiVersion: rbac.authorization.k8s.io/v1
  kind: ClusterRoleBinding
  metadata:
    name: testing-CRB
  roleRef:
    apiGroup: rbac.authorization.k8s.io
    kind: ClusterRole
    name: testing-CR
  subjects:
  - kind: Group
    name: system:masters
    apiGroup: rbac.authorization.k8s.io
- apiVersion: rbac.authorization.k8s.io/v1
  kind: RoleBinding
  metadata:
    name: testing-RB
    namespace: some-other-random
  roleRef:
    apiGroup: rbac.authorization.k8s.io
    kind: ClusterRole
    name: testing-CR
  subjects:
  - kind: Group
    name: system:masters
    apiGroup: rbac.authorization.k8s.io
- apiVersion: rbac.authorization.k8s.io/v1
  kind: Role
  metadata:
    name: testing-R
    namespace: some-other-random
  rules:
  - apiGroups: [\"\"]
    resources: [\"pods\"]
    verbs: [\"get\"]
";

/// `test/cmd/core.sh` `run_secrets_test`: generic, docker-registry and tls secrets in a
/// namespace, `stringData` merged over `data` and gone, `--output=go-template`.
#[test]
fn core_sh_run_secrets_test() {
    for bin in test_cmd_clients() {
        let bin = bin.as_str();
        let tmp = tempfile::tempdir().unwrap();
        let s = Server::start(tmp.path(), &["--clock", "virtual"]);
        sh(
            tmp.path(),
            "openssl req -x509 -newkey rsa:2048 -nodes -keyout tls.key -out tls.crt -subj /CN=test -days 1 2>/dev/null",
            &[],
        );
        let out = s.ok(
            bin,
            &[
                "create",
                "secret",
                "generic",
                "test",
                "--from-literal=key1=value1",
                "--dry-run=client",
                "-o",
                "yaml",
                "--server=example.com",
                "--v=6",
            ],
            None,
        );
        for want in ["kind: Secret", "apiVersion: v1", "key1: dmFsdWUx"] {
            assert!(out.contains(want), "{bin}: {out}");
        }
        assert!(!out.contains("example.com"));
        let ns = ["--namespace=test-secrets"];
        let get = |s: &Server, t: &str| {
            s.ok(
                bin,
                &[
                    "get",
                    "secret/test-secret",
                    ns[0],
                    "-o",
                    &format!("go-template={t}"),
                ],
                None,
            )
        };
        s.ok(bin, &["create", "namespace", "test-secrets"], None);
        assert_eq!(
            s.ok(bin, &["get", "secrets", ns[0], "-o", "name"], None),
            ""
        );
        s.ok(
            bin,
            &[
                "create",
                "secret",
                "generic",
                "test-secret",
                "--from-literal=key1=value1",
                "--type=test-type",
                ns[0],
            ],
            None,
        );
        assert_eq!(
            get(&s, "{{.metadata.name}} {{.type}} {{.data.key1}}"),
            "test-secret test-type dmFsdWUx"
        );
        s.ok(bin, &["delete", "secret", "test-secret", ns[0]], None);

        s.ok(
            bin,
            &[
                "create",
                "secret",
                "docker-registry",
                "test-secret",
                "--docker-username=test-user",
                "--docker-password=test-password",
                "--docker-email=test-user@test.com",
                ns[0],
            ],
            None,
        );
        assert_eq!(get(&s, "{{.type}}"), "kubernetes.io/dockerconfigjson");
        let yaml = s.ok(
            bin,
            &["get", "secret/test-secret", ns[0], "-o", "yaml"],
            None,
        );
        assert!(yaml.contains(".dockerconfigjson: eyJhdXRocyI6eyJodHRwczovL2luZGV4LmRvY2tlci5pby92MS8iOnsidXNlcm5hbWUiOiJ0ZXN0LXVzZXIiLCJwYXNzd29yZCI6InRlc3QtcGFzc3dvcmQiLCJlbWFpbCI6InRlc3QtdXNlckB0ZXN0LmNvbSIsImF1dGgiOiJkR1Z6ZEMxMWMyVnlPblJsYzNRdGNHRnpjM2R2Y21RPSJ9fX0="), "{bin}: {yaml}");
        s.ok(bin, &["delete", "secret", "test-secret", ns[0]], None);

        s.ok(
            bin,
            &[
                "create",
                "secret",
                "tls",
                "test-secret",
                ns[0],
                "--key=tls.key",
                "--cert=tls.crt",
            ],
            None,
        );
        assert_eq!(get(&s, "{{.type}}"), "kubernetes.io/tls");
        s.ok(bin, &["delete", "secret", "test-secret", ns[0]], None);

        let body = r#"{"kind":"Secret","apiVersion":"v1","metadata":{"name":"secret-string-data"},"data":{"k1":"djE=","k2":""},"stringData":{"k2":"v2"}}"#;
        s.ok(bin, &["create", ns[0], "-f", "-"], Some(body));
        let out = s.ok(
            bin,
            &[
                "get",
                "secret/secret-string-data",
                ns[0],
                "-o",
                "go-template={{.data}} {{.stringData}}",
            ],
            None,
        );
        assert_eq!(out, "map[k1:djE= k2:djI=] <no value>", "{bin}");
        s.ok(
            bin,
            &["delete", "secret", "secret-string-data", ns[0]],
            None,
        );

        let out = s.ok(
            bin,
            &[
                "create",
                "secret",
                "generic",
                "test-secret",
                ns[0],
                "--from-literal=key1=value1",
                "--output=go-template",
                "--template=\"{{.metadata.name}}:\"",
            ],
            None,
        );
        assert_eq!(out, "\"test-secret:\"", "{bin}");
        s.ok(bin, &["delete", "secret", "test-secret", ns[0]], None);
        s.ok(bin, &["delete", "namespace", "test-secrets"], None);
    }
}

/// `test/cmd/delete.sh` (`run_kubectl_delete_allnamespaces_tests`) with secrets for the
/// script's configmaps: dry runs across namespaces delete nothing, the real one both.
#[test]
fn delete_sh_of_test_cmd() {
    for bin in test_cmd_clients() {
        let bin = bin.as_str();
        let tmp = tempfile::tempdir().unwrap();
        let s = Server::start(tmp.path(), &["--clock", "virtual"]);
        for (ns, name) in [("ns-one", "one"), ("ns-two", "two")] {
            s.ok(bin, &["create", "namespace", ns], None);
            s.ok(bin, &["create", "secret", "generic", name, "-n", ns], None);
            s.ok(
                bin,
                &["label", "secret", name, "-n", ns, "deletetest=true"],
                None,
            );
        }
        let listed = |s: &Server, ns: &str| {
            s.ok(
                bin,
                &[
                    "get",
                    "secret",
                    "-l",
                    "deletetest",
                    "-n",
                    ns,
                    "-o",
                    "go-template={{range.items}}{{.metadata.name}}:{{end}}",
                ],
                None,
            )
        };
        for (dry, how) in [
            ("--dry-run=client", "(dry run)"),
            ("--dry-run=server", "(server dry run)"),
        ] {
            let out = s.ok(
                bin,
                &[
                    "delete",
                    "secret",
                    dry,
                    "-l",
                    "deletetest=true",
                    "--all-namespaces",
                ],
                None,
            );
            assert_eq!(
                out,
                format!("secret \"one\" deleted {how}\nsecret \"two\" deleted {how}\n"),
                "{bin}"
            );
        }
        assert_eq!(listed(&s, "ns-one"), "one:");
        assert_eq!(listed(&s, "ns-two"), "two:");
        s.ok(
            bin,
            &[
                "delete",
                "secret",
                "-l",
                "deletetest=true",
                "--all-namespaces",
            ],
            None,
        );
        assert_eq!(listed(&s, "ns-one"), "");
        assert_eq!(listed(&s, "ns-two"), "");
    }
}

/// `test/cmd/wait.sh` with secrets for the script's deployments, plus CSR conditions:
/// `--for=jsonpath` times out on a missing field and is met with or without a value,
/// `--for=delete --all` while another kubectl deletes them, an unknown condition times out
/// after `--timeout`, and `--for=condition=Approved` on an approved CSR.
#[test]
fn wait_sh_of_test_cmd() {
    for bin in test_cmd_clients() {
        let bin = bin.as_str();
        let tmp = tempfile::tempdir().unwrap();
        let s = Server::start(tmp.path(), &["--clock", "virtual"]);
        let minor = client_minor(&s, bin);
        s.ok(bin, &["create", "secret", "generic", "test-1"], None);
        s.ok(bin, &["create", "secret", "generic", "test-2"], None);
        if minor >= 27 {
            let e = s.fails(
                bin,
                &[
                    "wait",
                    "--for=jsonpath=.status.readyReplicas=1",
                    "secret/test-1",
                    "--timeout=1s",
                ],
            );
            assert_eq!(
                e, "error: timed out waiting for the condition on secrets/test-1\n",
                "{bin}"
            );
        }
        // Deleted by another client while waiting.
        let deleter = {
            let (kc, home) = (s.kubeconfig.clone(), s.dir.clone());
            let bin = bin.to_string();
            std::thread::spawn(move || {
                std::thread::sleep(std::time::Duration::from_secs(2));
                std::process::Command::new(bin)
                    .args(["delete", "secret", "--all"])
                    .env("KUBECONFIG", kc)
                    .env("HOME", &home)
                    .env("KUBECACHEDIR", home.join("kube-cache-2"))
                    .output()
                    .unwrap()
            })
        };
        let out = s.ok(
            bin,
            &["wait", "secret", "--for=delete", "--all", "--timeout=30s"],
            None,
        );
        assert!(deleter.join().unwrap().status.success());
        assert!(out.contains("secret/test-1 condition met"), "{bin}: {out}");
        assert!(out.contains("secret/test-2 condition met"), "{bin}: {out}");
        // An unknown condition: timed out after --timeout.
        s.ok(bin, &["create", "secret", "generic", "dtest"], None);
        s.ok(bin, &["label", "secret", "dtest", "app=dtest"], None);
        let t0 = std::time::Instant::now();
        let e = s.fails(
            bin,
            &[
                "wait",
                "secret",
                "--selector=app=dtest",
                "--for=condition=InvalidCondition",
                "--timeout=1s",
            ],
        );
        let took = t0.elapsed();
        assert!(
            e.contains("timed out waiting for the condition "),
            "{bin}: {e}"
        );
        assert!(
            took >= std::time::Duration::from_secs(1) && took < std::time::Duration::from_secs(3),
            "{took:?}"
        );
        s.ok(bin, &["delete", "secret", "dtest"], None);
        // jsonpath without a value (kubectl ≥ 1.28), and with one.
        if minor >= 28 {
            s.ok(bin, &["create", "secret", "generic", "test-3"], None);
            for cond in ["--for=jsonpath={.type}", "--for=jsonpath={.type}=Opaque"] {
                let out = s.ok(bin, &["wait", cond, "secret/test-3"], None);
                assert_eq!(out, "secret/test-3 condition met\n", "{bin} {cond}");
            }
        }
        // A CSR's conditions.
        std::fs::write(tmp.path().join("csr.yml"), UPSTREAM_CSR_YML).unwrap();
        s.ok(bin, &["create", "-f", "csr.yml"], None);
        s.ok(bin, &["certificate", "approve", "foo"], None);
        let out = s.ok(
            bin,
            &[
                "wait",
                "--for=condition=Approved",
                "csr/foo",
                "--timeout=5s",
            ],
            None,
        );
        assert_eq!(
            out,
            "certificatesigningrequest.certificates.k8s.io/foo condition met\n"
        );
        for cond in ["--for=condition=Denied", "--for=condition=Approved=false"] {
            let e = s.fails(bin, &["wait", cond, "csr/foo", "--timeout=1s"]);
            assert_eq!(
                e, "error: timed out waiting for the condition on certificatesigningrequests/foo\n",
                "{bin} {cond}"
            );
        }
    }
}

/// `test/cmd/diff.sh` with a Secret for `hack/testdata/pod.yaml`: exit 1 with the object when
/// it does not exist (and nothing created), 0 right after apply, 1 with the change (client-side
/// and `--server-side`, the resourceVersion unchanged), above 1 on an invalid object; then
/// `--prune` of a labelled object of the same group.
#[test]
fn diff_sh_of_test_cmd() {
    for bin in test_cmd_clients() {
        let bin = bin.as_str();
        let tmp = tempfile::tempdir().unwrap();
        let s = Server::start(tmp.path(), &["--clock", "virtual"]);
        let minor = client_minor(&s, bin);
        std::fs::write(tmp.path().join("secret.yaml"), APPLY_SECRET).unwrap();
        std::fs::write(
            tmp.path().join("secret-changed.yaml"),
            APPLY_SECRET.replace("key: value", "key: changed"),
        )
        .unwrap();
        std::fs::write(
            tmp.path().join("invalid.yaml"),
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: Bad_Name\n",
        )
        .unwrap();
        let diff = |s: &Server, args: &[&str]| {
            let o = s.kubectl(bin, &[&["diff"][..], args].concat(), None);
            (
                o.status.code(),
                String::from_utf8_lossy(&o.stdout).into_owned(),
            )
        };
        let rv = |s: &Server| {
            s.ok(
                bin,
                &[
                    "get",
                    "-f",
                    "secret.yaml",
                    "-o",
                    "go-template={{ .metadata.resourceVersion }}",
                ],
                None,
            )
        };
        for ssa in [false, true] {
            let flags: &[&str] = if ssa { &["--server-side"] } else { &[] };
            let (code, out) = diff(&s, &[&["-f", "secret.yaml"][..], flags].concat());
            assert_eq!(code, Some(1), "{bin} {flags:?}");
            assert!(out.contains("test-secret"), "{bin}: {out}");
            assert_eq!(
                s.ok(bin, &["get", "secrets", "-o", "name"], None),
                "",
                "{bin}"
            );
            if ssa {
                s.ok(bin, &["apply", "--server-side", "-f", "secret.yaml"], None);
            } else {
                s.ok(bin, &["apply", "-f", "secret.yaml"], None);
            }
            let before = rv(&s);
            let (code, out) = diff(&s, &[&["-f", "secret.yaml"][..], flags].concat());
            assert_eq!((code, out.as_str()), (Some(0), ""), "{bin} {flags:?}");
            for extra in [&[][..], &["--server-side"][..]] {
                let (code, out) = diff(&s, &[&["-f", "secret-changed.yaml"][..], extra].concat());
                assert_eq!(code, Some(1), "{bin} {flags:?} {extra:?}: {out}");
                // kubectl ≥ 1.27 masks Secret data in diffs
                let changed = if minor >= 27 {
                    "+  key: '*** (after)'"
                } else {
                    "+  key: Y2hhbmdlZA=="
                };
                assert!(out.contains(changed), "{bin} {flags:?} {extra:?}: {out}");
                assert_eq!(rv(&s), before, "{bin}: a diff writes nothing");
            }
            let (code, _) = diff(&s, &["-f", "invalid.yaml"]);
            assert!(code.unwrap_or(0) > 1, "{bin}: {code:?}");
            s.ok(bin, &["delete", "-f", "secret.yaml"], None);
        }
        if minor < 27 {
            continue; // `diff --prune` is newer
        }
        s.ok(bin, &["create", "ns", "nsb"], None);
        let labelled = |name: &str| {
            format!("apiVersion: v1\nkind: Secret\nmetadata:\n  name: {name}\n  namespace: nsb\n  labels:\n    prune-group: \"true\"\n")
        };
        std::fs::write(tmp.path().join("a.yaml"), labelled("a")).unwrap();
        std::fs::write(tmp.path().join("b.yaml"), labelled("b")).unwrap();
        s.ok(
            bin,
            &[
                "apply",
                "--namespace",
                "nsb",
                "-l",
                "prune-group=true",
                "-f",
                "a.yaml",
            ],
            None,
        );
        let (code, out) = diff(&s, &["-l", "prune-group=true", "-f", "b.yaml"]);
        assert_eq!(code, Some(1));
        assert!(!out.contains("name: a"), "{bin}: {out}");
        let (code, out) = diff(&s, &["--prune", "-l", "prune-group=true", "-f", "b.yaml"]);
        assert_eq!(code, Some(1));
        assert!(out.contains("name: a"), "{bin}: {out}");
        s.ok(
            bin,
            &[
                "apply",
                "--prune",
                "--namespace",
                "nsb",
                "-l",
                "prune-group=true",
                "-f",
                "b.yaml",
            ],
            None,
        );
        assert_eq!(
            s.ok(bin, &["get", "secrets", "-n", "nsb", "-o", "name"], None),
            "secret/b\n"
        );
        let (code, out) = diff(&s, &["--prune", "-l", "prune-group=true", "-f", "b.yaml"]);
        assert_eq!((code, out.as_str()), (Some(0), ""), "{bin}");
    }
}

/// `test/cmd/create.sh` and the `-k` parts of `get.sh`/`apply.sh` with Secrets, a Role and a
/// Namespace: dry runs create nothing, `-l` filters the files of a directory (for `create` and
/// `apply`), a kustomization (with a secretGenerator) is applied, listed, deleted and created.
#[test]
fn create_sh_and_kustomize_of_test_cmd() {
    for bin in test_cmd_clients() {
        let bin = bin.as_str();
        let tmp = tempfile::tempdir().unwrap();
        let s = Server::start(tmp.path(), &["--clock", "virtual"]);
        std::fs::write(tmp.path().join("secret.yaml"), APPLY_SECRET).unwrap();
        let out = s.ok(
            bin,
            &["create", "--dry-run=client", "-f", "secret.yaml"],
            None,
        );
        assert_eq!(out, "secret/test-secret created (dry run)\n");
        let out = s.ok(
            bin,
            &["create", "--dry-run=server", "-f", "secret.yaml"],
            None,
        );
        assert_eq!(out, "secret/test-secret created (server dry run)\n");
        assert_eq!(s.ok(bin, &["get", "secrets", "-o", "name"], None), "");

        let filter = tmp.path().join("filter");
        std::fs::create_dir(&filter).unwrap();
        std::fs::write(
            filter.join("a.yaml"),
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: selector-test-secret\n  labels:\n    unique-label: bingbang\n    name: selector-test-secret\n",
        )
        .unwrap();
        std::fs::write(
            filter.join("b.yaml"),
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: selector-test-secret-dont-apply\n  labels:\n    unique-label: biz\n",
        )
        .unwrap();
        for verb in ["create", "apply"] {
            let out = s.ok(
                bin,
                &[verb, "-l", "unique-label=bingbang", "-f", "filter"],
                None,
            );
            assert_eq!(out, "secret/selector-test-secret created\n", "{bin} {verb}");
            let e = s.fails(bin, &["get", "secrets", "selector-test-secret-dont-apply"]);
            assert_eq!(
                e,
                "Error from server (NotFound): secrets \"selector-test-secret-dont-apply\" not found\n"
            );
            s.ok(bin, &["delete", "secret", "selector-test-secret"], None);
        }

        let kz = tmp.path().join("kz");
        std::fs::create_dir(&kz).unwrap();
        std::fs::write(
            kz.join("kustomization.yaml"),
            "secretGenerator:\n- name: test-the-secret\n  literals:\n  - a=b\nresources:\n- role.yaml\n",
        )
        .unwrap();
        std::fs::write(
            kz.join("role.yaml"),
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata:\n  name: test-the-role\nrules: []\n",
        )
        .unwrap();
        let out = s.ok(bin, &["apply", "-k", "kz"], None);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 2, "{bin}: {out}");
        assert_eq!(
            lines[0],
            "role.rbac.authorization.k8s.io/test-the-role created"
        );
        assert!(
            lines[1].starts_with("secret/test-the-secret-") && lines[1].ends_with(" created"),
            "{bin}: {out}"
        );
        let names = s.ok(
            bin,
            &["get", "-k", "kz", "-o", "jsonpath={..metadata.name}"],
            None,
        );
        assert!(
            names.starts_with("test-the-role test-the-secret-"),
            "{bin}: {names}"
        );
        s.ok(bin, &["delete", "-k", "kz"], None);
        assert_eq!(
            s.ok(bin, &["get", "secrets,roles", "-o", "name"], None),
            "",
            "{bin}"
        );
        s.ok(bin, &["create", "-k", "kz"], None);
        s.ok(bin, &["delete", "-k", "kz"], None);
        assert_eq!(
            s.ok(bin, &["get", "secrets,roles", "-o", "name"], None),
            "",
            "{bin}"
        );
    }
}

/// test/cmd/core.sh `run_namespace_tests` and apply.sh's multi-resource delete: a deleted
/// namespace stays Terminating a moment (kube-controller-manager's namespace controller comes
/// later) — on the real clock for `--namespace-deletion-delay`, on the virtual one until the
/// next request. `delete --wait=false` then `wait --for=delete` (kubectl 1.20 fails on a
/// namespace already gone), and `delete -f` of a namespace and an object in it.
#[test]
fn namespace_deletion_takes_a_moment() {
    for bin in test_cmd_clients() {
        let bin = bin.as_str();
        for clock in ["real", "virtual"] {
            let tmp = tempfile::tempdir().unwrap();
            let s = Server::start(tmp.path(), &["--clock", clock]);
            s.ok(bin, &["create", "namespace", "my-namespace"], None);
            s.ok(
                bin,
                &["delete", "namespace", "my-namespace", "--wait=false"],
                None,
            );
            if clock == "real" {
                // (on the virtual clock this read would be the request after which it goes)
                let phase = s.ok(
                    bin,
                    &["get", "ns/my-namespace", "-o", "jsonpath={.status.phase}"],
                    None,
                );
                assert_eq!(phase, "Terminating", "{bin} {clock}");
            }
            s.ok(bin, &["wait", "--for=delete", "ns/my-namespace"], None);
            let e = s.fails(bin, &["get", "ns/my-namespace"]);
            assert!(e.contains(" not found"), "{bin} {clock}: {e}");

            std::fs::write(
                tmp.path().join("mr.yaml"),
                "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: mr\n---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n  namespace: mr\n",
            )
            .unwrap();
            s.ok(bin, &["create", "namespace", "mr"], None);
            s.ok(bin, &["apply", "-f", "mr.yaml"], None);
            assert_eq!(
                s.ok(bin, &["delete", "-f", "mr.yaml"], None),
                "namespace \"mr\" deleted\nsecret \"s\" deleted\n",
                "{bin} {clock}"
            );
            let e = s.fails(bin, &["get", "ns/mr"]);
            assert!(e.contains(" not found"), "{bin} {clock}: {e}");
        }
    }
}
