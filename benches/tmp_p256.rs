#![allow(clippy::disallowed_methods)]
use std::time::Instant;
fn main() {
    let mut r = csrsim::sim::rng::Rngs::new(1);
    let t = Instant::now();
    let mut keys = Vec::new();
    for _ in 0..2000 { keys.push(csrsim::kubelet::csr::EcdsaKey::generate(&mut r)); }
    println!("keygen {:.1} us", t.elapsed().as_secs_f64() * 1e6 / 2000.0);
    let tmpl = csrsim::kubelet::csr::Template::client("n1");
    let t = Instant::now();
    let mut pems = Vec::new();
    for k in keys { pems.push(csrsim::kubelet::csr::request_pem(&tmpl, &csrsim::kubelet::csr::Key::Ecdsa(k)).unwrap()); }
    println!("csr {:.1} us", t.elapsed().as_secs_f64() * 1e6 / 2000.0);
    let t = Instant::now();
    for p in &pems { csrsim::kubelet::csr::request_subject_and_key(p.as_bytes()).unwrap(); }
    println!("parse+verify {:.1} us", t.elapsed().as_secs_f64() * 1e6 / 2000.0);
}
