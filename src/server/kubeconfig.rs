//! `admin.kubeconfig` as kubeadm writes `admin.conf`: cluster `kubernetes`, user
//! `kubernetes-admin` (client certificate, `O=system:masters`), context
//! `kubernetes-admin@kubernetes`, everything embedded as base64.

use base64::Engine;

pub const CLUSTER_NAME: &str = "kubernetes";
pub const USER_NAME: &str = "kubernetes-admin";
pub const CONTEXT_NAME: &str = "kubernetes-admin@kubernetes";

fn b64(s: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(s.as_bytes())
}

/// The kubeconfig YAML text for `server` (e.g. `https://127.0.0.1:6443`).
pub fn admin_kubeconfig(server: &str, ca_pem: &str, cert_pem: &str, key_pem: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- cluster:\n    certificate-authority-data: {ca}\n    server: {server}\n  name: {CLUSTER_NAME}\ncontexts:\n- context:\n    cluster: {CLUSTER_NAME}\n    user: {USER_NAME}\n  name: {CONTEXT_NAME}\ncurrent-context: {CONTEXT_NAME}\npreferences: {{}}\nusers:\n- name: {USER_NAME}\n  user:\n    client-certificate-data: {cert}\n    client-key-data: {key}\n",
        ca = b64(ca_pem),
        cert = b64(cert_pem),
        key = b64(key_pem),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_match_kubeadm() {
        let k = admin_kubeconfig("https://127.0.0.1:1", "CA", "CERT", "KEY");
        let v: serde_json::Value = serde_saphyr::from_str(&k).unwrap();
        assert_eq!(v["clusters"][0]["name"], "kubernetes");
        assert_eq!(v["users"][0]["name"], "kubernetes-admin");
        assert_eq!(v["current-context"], "kubernetes-admin@kubernetes");
        assert_eq!(v["contexts"][0]["context"]["cluster"], "kubernetes");
        assert_eq!(v["clusters"][0]["cluster"]["server"], "https://127.0.0.1:1");
        assert_eq!(
            v["clusters"][0]["cluster"]["certificate-authority-data"],
            b64("CA")
        );
    }
}
