//! Authentication of an HTTP request, in kube-apiserver's order: x509 client certificate
//! (CN → user, every O → group), then bearer tokens (static token file, bootstrap tokens),
//! then anonymous (only with `--anonymous-auth=true`); `system:authenticated` is added to
//! every authenticated identity. Then impersonation (`Impersonate-*` headers), checked with
//! the `impersonate` verb as `staging/src/k8s.io/apiserver/pkg/endpoints/filters/impersonation.go`
//! does.

use super::tls;
use crate::api::Status;
use crate::auth::Identity;
use crate::sim::Cluster;
use std::collections::BTreeMap;

pub const IMPERSONATE_USER: &str = "impersonate-user";
pub const IMPERSONATE_UID: &str = "impersonate-uid";
pub const IMPERSONATE_GROUP: &str = "impersonate-group";
pub const IMPERSONATE_EXTRA_PREFIX: &str = "impersonate-extra-";

/// The credentials of a request, as the HTTP layer saw them.
pub struct Credentials<'a> {
    pub client_cert: Option<&'a [u8]>,
    pub authorization: Option<&'a str>,
}

/// `user.CredentialIDKey`: the x509 authenticator (`CommonNameUserConversion`, since 1.32)
/// puts the client certificate's fingerprint in the user's extra under this key, so it shows
/// in `kubectl auth whoami` and in the `spec.extra` of CSRs the user creates.
pub const CREDENTIAL_ID_KEY: &str = "authentication.kubernetes.io/credential-id";

/// `"X509SHA256=" + hex(sha256(leaf DER))`.
pub fn x509_credential_id(der: &[u8]) -> String {
    use sha2::Digest;
    let fp = sha2::Sha256::digest(der);
    let hex: String = fp.iter().map(|b| format!("{b:02x}")).collect();
    format!("X509SHA256={hex}")
}

/// The client certificate of a connection, with what the x509 authenticator derives from it
/// computed once when the connection is accepted (parse, issuer and signature checks, the
/// identity with its credential id): a request then only needs the validity window at the
/// virtual now, with no cluster lock. Anything else (a bad certificate, tokens, anonymous)
/// takes the full path of [`authenticate`], with the same answers.
pub struct ConnCert {
    pub der: Vec<u8>,
    checked: tls::CheckedResult,
    identity: Option<Identity>,
}

impl ConnCert {
    pub fn new(der: Vec<u8>, ca_der: &[u8]) -> ConnCert {
        let checked = tls::checked_cert(&der, ca_der);
        let identity = checked
            .as_ref()
            .as_ref()
            .ok()
            .map(|c| x509_identity(c.subject(), &der));
        ConnCert {
            der,
            checked,
            identity,
        }
    }

    /// The identity the certificate authenticates at virtual time `now_secs`; `None` when
    /// it does not (the full path then says why and tries the other authenticators).
    pub fn identity_at(&self, now_secs: i64) -> Option<&Identity> {
        let c = self.checked.as_ref().as_ref().ok()?;
        c.judge(now_secs).ok()?;
        self.identity.as_ref()
    }
}

/// What a verified client certificate authenticates as: CN → user, every O → group, the
/// certificate's fingerprint as the credential id.
fn x509_identity(s: &tls::CertSubject, der: &[u8]) -> Identity {
    let groups: Vec<&str> = s.organizations.iter().map(|g| g.as_str()).collect();
    let mut id = Identity::user(&s.common_name, &groups);
    id.extra
        .insert(CREDENTIAL_ID_KEY.into(), vec![x509_credential_id(der)]);
    id
}

/// Authenticate; `Err(reason)` becomes a 401 Unauthorized Status (the reason is only logged).
pub fn authenticate(
    cluster: &Cluster,
    ca_der: &[u8],
    creds: &Credentials<'_>,
    anonymous: bool,
) -> Result<Identity, String> {
    let mut errors = Vec::new();
    if let Some(der) = creds.client_cert {
        match tls::verify_client_cert(der, ca_der, cluster.now().unix()) {
            Ok(s) => return Ok(x509_identity(&s, der)),
            Err(e) => errors.push(e),
        }
    }
    if let Some(h) = creds.authorization {
        let mut it = h.trim().splitn(2, ' ');
        if it.next().is_some_and(|s| s.eq_ignore_ascii_case("bearer")) {
            let token = it.next().unwrap_or("").trim();
            if !token.is_empty() {
                match cluster.authenticate_token(token) {
                    Some(id) => return Ok(id),
                    None => errors.push("invalid bearer token".into()),
                }
            }
        }
    }
    if errors.is_empty() && anonymous {
        return Ok(Identity::anonymous());
    }
    if errors.is_empty() {
        errors.push("no credentials".into());
    }
    Err(errors.join("; "))
}

/// Apply `Impersonate-*` headers (`headers` lower-cased names, all values). Each requested
/// attribute needs `impersonate` on users/groups/uids/userextras; the first refusal is a 403.
pub fn impersonate(
    cluster: &Cluster,
    who: &Identity,
    headers: &[(String, String)],
) -> Result<Identity, Status> {
    let get_all = |n: &str| {
        headers
            .iter()
            .filter(|(k, _)| k == n)
            .map(|(_, v)| v.clone())
            .collect::<Vec<_>>()
    };
    let users = get_all(IMPERSONATE_USER);
    let groups = get_all(IMPERSONATE_GROUP);
    let uids = get_all(IMPERSONATE_UID);
    let mut extra: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (k, v) in headers {
        if let Some(key) = k.strip_prefix(IMPERSONATE_EXTRA_PREFIX) {
            extra
                .entry(super::routing::percent_decode(key))
                .or_default()
                .push(v.clone());
        }
    }
    // `req.Header.Get`: the first Impersonate-User and Impersonate-Uid; every group and extra.
    crate::auth::impersonation::impersonate(
        cluster.rbac(),
        who,
        users.first().map(String::as_str),
        &groups,
        uids.first().map(String::as_str),
        &extra,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::Config;

    fn h(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn x509_then_token_then_anonymous() {
        let cluster = Cluster::new(Config::default()).unwrap();
        let ca = tls::cluster_ca(None).unwrap();
        let leaf = ca.client_cert("myuser", Some("developers")).unwrap();
        let id = authenticate(
            &cluster,
            &ca.cert_der,
            &Credentials {
                client_cert: Some(&leaf.cert_der),
                authorization: None,
            },
            false,
        )
        .unwrap();
        let mut want = Identity::user("myuser", &["developers"]);
        // CommonNameUserConversion's credential id: the leaf's SHA-256 fingerprint.
        let fp = {
            use sha2::Digest;
            sha2::Sha256::digest(&leaf.cert_der)
        };
        let hex: String = fp.iter().map(|b| format!("{b:02x}")).collect();
        want.extra.insert(
            "authentication.kubernetes.io/credential-id".into(),
            vec![format!("X509SHA256={hex}")],
        );
        assert_eq!(id, want);
        assert_eq!(hex.len(), 64);
        // a certificate from another CA is a 401, not an anonymous request
        let other = tls::cluster_ca(None)
            .unwrap()
            .client_cert("x", None)
            .unwrap();
        assert!(authenticate(
            &cluster,
            &ca.cert_der,
            &Credentials {
                client_cert: Some(&other.cert_der),
                authorization: None
            },
            true
        )
        .is_err());
        assert!(authenticate(
            &cluster,
            &ca.cert_der,
            &Credentials {
                client_cert: None,
                authorization: Some("Bearer nope")
            },
            true
        )
        .is_err());
        assert!(authenticate(
            &cluster,
            &ca.cert_der,
            &Credentials {
                client_cert: None,
                authorization: None
            },
            false
        )
        .is_err());
        assert_eq!(
            authenticate(
                &cluster,
                &ca.cert_der,
                &Credentials {
                    client_cert: None,
                    authorization: None
                },
                true
            )
            .unwrap(),
            Identity::anonymous()
        );
    }

    #[test]
    fn impersonation_needs_the_verb() {
        let cluster = Cluster::new(Config::default()).unwrap();
        let admin = Identity::admin();
        let id = impersonate(
            &cluster,
            &admin,
            &h(&[("impersonate-user", "bob"), ("impersonate-group", "devs")]),
        )
        .unwrap();
        assert_eq!(id, Identity::user("bob", &["devs"]));
        let alice = Identity::user("alice", &[]);
        let e = impersonate(&cluster, &alice, &h(&[("impersonate-user", "bob")])).unwrap_err();
        assert_eq!(e.code, 403);
        assert_eq!(
            e.message,
            r#"users "bob" is forbidden: User "alice" cannot impersonate resource "users" in API group "" at the cluster scope"#
        );
        assert_eq!(
            impersonate(&cluster, &admin, &h(&[("impersonate-group", "devs")]))
                .unwrap_err()
                .code,
            500
        );
        // a service account's groups come with it, as `serviceaccount.MakeGroupNames`
        let sa = impersonate(
            &cluster,
            &admin,
            &h(&[("impersonate-user", "system:serviceaccount:ns1:sa1")]),
        )
        .unwrap();
        assert_eq!(
            sa.groups,
            [
                "system:serviceaccounts",
                "system:serviceaccounts:ns1",
                "system:authenticated"
            ]
        );
        assert_eq!(impersonate(&cluster, &alice, &[]).unwrap(), alice);
    }
}
