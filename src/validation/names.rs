//! Name rules: `ValidateSignerName` (`pkg/apis/core/validation/names.go`), the DNS-1123
//! checks of `k8s.io/apimachinery/pkg/util/validation`, and path-segment names.

use super::field::FieldError;

/// Longest valid signer name: 253 (domain) + 1 ('/') + 317 (path: 253+63+1).
pub const MAX_SIGNER_NAME_LEN: usize = 571;
pub const DNS1123_LABEL_MAX: usize = 63;
pub const DNS1123_SUBDOMAIN_MAX: usize = 253;

const LABEL_MSG: &str = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character";
const LABEL_RE: &str = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";
const SUBDOMAIN_MSG: &str = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character";
const SUBDOMAIN_RE: &str = "[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*";

/// apimachinery `RegexError(msg, fmt, examples...)`.
fn regex_error(msg: &str, re: &str, examples: &[&str]) -> String {
    if examples.is_empty() {
        return format!("{msg} (regex used for validation is '{re}')");
    }
    let mut s = format!("{msg} (e.g. ");
    for (i, e) in examples.iter().enumerate() {
        if i > 0 {
            s.push_str(" or ");
        }
        s.push_str(&format!("'{e}', "));
    }
    s.push_str(&format!("regex used for validation is '{re}')"));
    s
}

/// apimachinery `IsConfigMapKey`: the keys of a Secret's (or ConfigMap's) data.
pub fn config_map_key(key: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if key.len() > DNS1123_SUBDOMAIN_MAX {
        errs.push(max_len_error(DNS1123_SUBDOMAIN_MAX));
    }
    let ok = !key.is_empty()
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_'));
    if !ok {
        errs.push(regex_error(
            "a valid config key must consist of alphanumeric characters, '-', '_' or '.'",
            "[-._a-zA-Z0-9]+",
            &["key.name", "KEY_NAME", "key-name"],
        ));
    }
    // hasChDirPrefix
    if key == "." {
        errs.push("must not be '.'".into());
    } else if key == ".." {
        errs.push("must not be '..'".into());
    } else if key.starts_with("..") {
        errs.push("must not start with '..'".into());
    }
    errs
}

/// apimachinery `MaxLenError` (≥ v0.32 says bytes; v1.31 and older said characters).
fn max_len_error(n: usize) -> String {
    format!("must be no more than {n} bytes")
}

fn is_label(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
        && b[0] != b'-'
        && b[b.len() - 1] != b'-'
}

/// `IsDNS1123Label`: the list of messages (empty if valid).
pub fn dns1123_label(s: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if s.len() > DNS1123_LABEL_MAX {
        errs.push(max_len_error(DNS1123_LABEL_MAX));
    }
    if !is_label(s) {
        errs.push(regex_error(LABEL_MSG, LABEL_RE, &["my-name", "123-abc"]));
    }
    errs
}

/// `IsDNS1123Subdomain`: the list of messages (empty if valid).
pub fn dns1123_subdomain(s: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if s.len() > DNS1123_SUBDOMAIN_MAX {
        errs.push(max_len_error(DNS1123_SUBDOMAIN_MAX));
    }
    if !s.split('.').all(is_label) {
        errs.push(regex_error(SUBDOMAIN_MSG, SUBDOMAIN_RE, &["example.com"]));
    }
    errs
}

const QUALIFIED_NAME_MSG: &str = "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
const QUALIFIED_NAME_RE: &str = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]";
const QUALIFIED_NAME_EXAMPLES: &[&str] = &["MyName", "my.name", "123-abc"];

/// `IsQualifiedName` (`[prefix/]name`: a DNS subdomain prefix, a name of at most 63
/// characters): the list of messages (empty if valid).
pub fn qualified_name(value: &str) -> Vec<String> {
    let mut errs = Vec::new();
    let parts: Vec<&str> = value.split('/').collect();
    let name = match parts.as_slice() {
        [name] => *name,
        [prefix, name] => {
            if prefix.is_empty() {
                errs.push("prefix part must be non-empty".to_string());
            } else {
                errs.extend(
                    dns1123_subdomain(prefix)
                        .into_iter()
                        .map(|m| format!("prefix part {m}")),
                );
            }
            *name
        }
        _ => {
            errs.push(format!(
                "a qualified name {} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
                regex_error(QUALIFIED_NAME_MSG, QUALIFIED_NAME_RE, QUALIFIED_NAME_EXAMPLES)
            ));
            return errs;
        }
    };
    if name.is_empty() {
        errs.push("name part must be non-empty".to_string());
    } else if name.len() > 63 {
        errs.push(format!("name part {}", max_len_error(63)));
    }
    let b = name.as_bytes();
    let ok = !b.is_empty()
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
        && b[0].is_ascii_alphanumeric()
        && b[b.len() - 1].is_ascii_alphanumeric();
    if !ok {
        errs.push(format!(
            "name part {}",
            regex_error(
                QUALIFIED_NAME_MSG,
                QUALIFIED_NAME_RE,
                QUALIFIED_NAME_EXAMPLES
            )
        ));
    }
    errs
}

/// `ValidateSignerName(fldPath, signerName)`.
pub fn validate_signer_name(path: &str, signer: &str) -> Vec<FieldError> {
    let mut el = Vec::new();
    if signer.is_empty() {
        el.push(FieldError::required(path, ""));
        return el;
    }
    let segments: Vec<&str> = signer.split('/').collect();
    if segments.len() != 2 {
        el.push(FieldError::invalid(
            path,
            signer,
            "must be a fully qualified domain and path of the form 'example.com/signer-name'",
        ));
        return el;
    }
    let (domain, signer_path) = (segments[0], segments[1]);
    if domain.len() > DNS1123_SUBDOMAIN_MAX {
        el.push(FieldError::too_long(path, DNS1123_SUBDOMAIN_MAX));
    }
    let domain_labels: Vec<&str> = domain.split('.').collect();
    for lbl in &domain_labels {
        let errs = dns1123_label(lbl);
        if !errs.is_empty() {
            for e in errs {
                el.push(FieldError::invalid(
                    path,
                    domain,
                    format!("validating label {}: {e}", super::field::quote(lbl)),
                ));
            }
            break;
        }
    }
    if domain_labels.len() < 2 {
        el.push(FieldError::invalid(
            path,
            domain,
            "should be a domain with at least two segments separated by dots",
        ));
    }
    for lbl in signer_path.split('.') {
        let errs = dns1123_subdomain(lbl);
        if !errs.is_empty() {
            for e in errs {
                el.push(FieldError::invalid(
                    path,
                    signer_path,
                    format!("validating label {}: {e}", super::field::quote(lbl)),
                ));
            }
            break;
        }
    }
    if signer.len() > MAX_SIGNER_NAME_LEN {
        el.push(FieldError::too_long(path, MAX_SIGNER_NAME_LEN));
    }
    el
}

/// `path.ValidatePathSegmentName` (apiserver `rest.BeforeCreate`): messages for a bad name.
pub fn path_segment_name(name: &str) -> Vec<String> {
    let mut errs = Vec::new();
    for bad in [".", ".."] {
        if name == bad {
            errs.push(format!("may not be '{bad}'"));
            return errs;
        }
    }
    for bad in ["/", "%"] {
        if name.contains(bad) {
            errs.push(format!("may not contain '{bad}'"));
        }
    }
    errs
}

/// `IsValidPathSegmentPrefix` (`ValidatePathSegmentName` with `prefix`): a generateName may
/// be `.` or `..` (a suffix follows) but not contain `/` or `%`.
pub fn path_segment_prefix(prefix: &str) -> Vec<String> {
    ["/", "%"]
        .into_iter()
        .filter(|bad| prefix.contains(bad))
        .map(|bad| format!("may not contain '{bad}'"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_segment_prefixes() {
        assert!(path_segment_prefix("..").is_empty());
        assert_eq!(
            path_segment_prefix("a/%"),
            ["may not contain '/'", "may not contain '%'"]
        );
    }

    fn msgs(s: &str) -> Vec<String> {
        validate_signer_name("spec.signerName", s)
            .iter()
            .map(|e| e.to_string())
            .collect()
    }

    #[test]
    fn signer_names_mirror_upstream_cases() {
        // names_test.go "valid": well-formed names pass, including kubernetes.io ones.
        for ok in [
            "example.com/valid-name",
            "kubernetes.io/kube-apiserver-client",
            "a.b/c.d-e",
        ] {
            assert!(msgs(ok).is_empty(), "{ok}: {:?}", msgs(ok));
        }
        // "empty"
        assert_eq!(msgs(""), vec!["spec.signerName: Required value"]);
        // "no slash" / "too many slashes"
        let want = "spec.signerName: Invalid value: \"example.com\": must be a fully qualified domain and path of the form 'example.com/signer-name'";
        assert_eq!(msgs("example.com"), vec![want.to_string()]);
        assert_eq!(msgs("a.com/b/c").len(), 1);
        // "domain with one segment"
        assert_eq!(
            msgs("example/x"),
            vec!["spec.signerName: Invalid value: \"example\": should be a domain with at least two segments separated by dots"]
        );
        // "uppercase label in domain"
        let m = msgs("Example.com/x");
        assert_eq!(m.len(), 1);
        assert!(m[0].starts_with("spec.signerName: Invalid value: \"Example.com\": validating label \"Example\": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"), "{}", m[0]);
        // "path with invalid label"
        let m = msgs("example.com/-bad");
        assert_eq!(m, vec!["spec.signerName: Invalid value: \"-bad\": validating label \"-bad\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"]);
        // "domain too long"
        let long = format!("{}.com/x", "a.".repeat(130));
        assert!(msgs(&long)
            .contains(&"spec.signerName: Too long: may not be more than 253 bytes".to_string()));
    }

    #[test]
    fn path_segments() {
        assert_eq!(path_segment_name(".."), vec!["may not be '..'"]);
        assert_eq!(
            path_segment_name("a/b%"),
            vec!["may not contain '/'", "may not contain '%'"]
        );
        assert!(path_segment_name("Node-CSR_1").is_empty());
    }
}
