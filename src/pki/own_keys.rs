//! Keys this process generated for its simulated kubelets, and the verification of their
//! CSR signatures through the known private scalar.
//!
//! The API server verifies every CSR's signature on create (`CheckSignature`). For a P-256
//! key `Q = d·G`, ECDSA verification computes `R = u1·G + u2·Q` with `u1 = z/s`, `u2 = r/s`
//! and accepts when `x(R) mod n = r`. When the simulator itself generated `d` (a simulated
//! kubelet's key), `u1·G + u2·Q = (u1 + u2·d)·G`: one fixed-base comb multiplication
//! (≈ 8 µs, compared projectively) instead of ring's two-point multiplication (≈ 58 µs).
//! It is the same equation, checked exactly — a wrong signature or message still fails — and
//! it is only an accelerator:
//! - only **acceptance** is decided here. Anything this path does not accept (an unknown
//!   key, a non-canonical encoding, a bad signature) goes on to ring, whose verdict and error
//!   text stand, so this path can never reject what ring would accept;
//! - it only accepts what ring would accept: the SubjectPublicKeyInfo must be the canonical
//!   P-256 one holding a point generated here, the algorithm exactly ecdsa-with-SHA256, the
//!   signature a canonical DER `(r, s)` with `0 < r, s < n`, and nothing after it.
//!
//! Keys from anywhere else (clients of `csrsim serve`, the benchmarks' requests, scenario
//! files) are never in the table, so they are always verified by ring. The table is a bounded
//! FIFO: an evicted key only costs a ring verification.

use super::fastkey::{invert_vartime, mul_generator, FastKey};
use super::p256field::Fe;
use crate::lookup::LookupMap;
use p256::elliptic_curve::ops::Reduce;
use p256::elliptic_curve::Field;
use p256::{Scalar, U256};
use sha2::{Digest, Sha256};
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

/// How many generated keys are remembered. A simulated kubelet's key is verified moments
/// after it is made (its CSR's create), so this only has to cover one wave of rotations.
pub const OWN_KEYS_CAPACITY: usize = 16_384;

/// DER of a P-256 SubjectPublicKeyInfo up to the point: SEQUENCE { SEQUENCE { id-ecPublicKey,
/// prime256v1 }, BIT STRING (0 unused bits) }, followed by the 65-byte uncompressed point.
const P256_SPKI_PREFIX: [u8; 26] = [
    0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a,
    0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
];
/// DER AlgorithmIdentifier of ecdsa-with-SHA256 (1.2.840.10045.4.3.2, no parameters).
const ECDSA_SHA256_ALG: [u8; 12] = [
    0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02,
];

/// A remembered key: its scalar, and the nonce `k` of its last signature with `x(k·G) mod n`.
#[derive(Clone, Copy)]
struct Own {
    d: Scalar,
    last_nonce: Option<(Scalar, Scalar)>,
}

struct OwnKeys {
    by_point: LookupMap<[u8; 65], Own>,
    order: VecDeque<[u8; 65]>,
}

static OWN_KEYS: Mutex<OwnKeys> = Mutex::new(OwnKeys {
    by_point: LookupMap::new(),
    order: VecDeque::new(),
});
static ENABLED: AtomicBool = AtomicBool::new(true);

/// Turn the fast path on or off for the whole process (benchmarks compare both; results
/// are identical either way).
pub fn set_enabled(on: bool) {
    ENABLED.store(on, Ordering::Relaxed);
}

/// Remember a key the simulator generated, so its CSRs verify through its scalar.
pub fn remember(key: &FastKey) {
    if !ENABLED.load(Ordering::Relaxed) {
        return;
    }
    let Ok(point) = <[u8; 65]>::try_from(key.public_point()) else {
        return;
    };
    if let Ok(mut g) = OWN_KEYS.lock() {
        let own = Own {
            d: *key.scalar(),
            last_nonce: None,
        };
        if g.by_point.insert(point, own).is_none() {
            g.order.push_back(point);
        }
        while g.order.len() > OWN_KEYS_CAPACITY {
            if let Some(old) = g.order.pop_front() {
                g.by_point.remove(&old);
            }
        }
    }
}

/// Remember that a remembered key's last signature used nonce `k`, with `r = x(k·G) mod n`
/// as the signer computed it: verifying that signature then needs no multiplication.
pub fn remember_nonce(key: &FastKey, k: Scalar, r: Scalar) {
    let Ok(point) = <[u8; 65]>::try_from(key.public_point()) else {
        return;
    };
    if let Ok(mut g) = OWN_KEYS.lock() {
        if let Some(own) = g.by_point.get_mut(&point) {
            own.last_nonce = Some((k, r));
        }
    }
}

/// The remembered key with this SubjectPublicKeyInfo, if the SPKI is the canonical P-256
/// encoding.
fn own_for(spki_der: &[u8]) -> Option<Own> {
    if spki_der.len() != P256_SPKI_PREFIX.len() + 65 || spki_der[..26] != P256_SPKI_PREFIX {
        return None;
    }
    let point: [u8; 65] = spki_der[26..].try_into().ok()?;
    OWN_KEYS.lock().ok()?.by_point.get(&point).copied()
}

/// One DER TLV with a definite length in minimal form: `(tag, whole TLV, content, rest)`.
fn tlv(input: &[u8]) -> Option<(u8, &[u8], &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, header): (usize, usize) = match first {
        0..=0x7f => (first as usize, 2),
        0x81 => {
            let l = *rest.first()? as usize;
            (l >= 0x80).then_some((l, 3))?
        }
        0x82 => {
            let l = u16::from_be_bytes([*rest.first()?, *rest.get(1)?]) as usize;
            (l >= 0x100).then_some((l, 4))?
        }
        _ => return None,
    };
    let end = header.checked_add(len)?;
    (input.len() >= end).then(|| (tag, &input[..end], &input[header..end], &input[end..]))
}

/// The signed bytes (the whole CertificationRequestInfo TLV) and the signature's DER, if
/// `der` is exactly SEQUENCE { info, ecdsa-with-SHA256, BIT STRING (0 unused) } and nothing more.
fn split_request(der: &[u8]) -> Option<(&[u8], &[u8])> {
    let (0x30, _, body, []) = tlv(der)? else {
        return None;
    };
    let (0x30, info, _, rest) = tlv(body)? else {
        return None;
    };
    let (0x30, alg, _, rest) = tlv(rest)? else {
        return None;
    };
    let (0x03, _, bits, []) = tlv(rest)? else {
        return None;
    };
    if alg != ECDSA_SHA256_ALG {
        return None;
    }
    let (0, sig) = bits.split_first()? else {
        return None;
    };
    Some((info, sig))
}

/// Does `sig` (DER `(r, s)`) sign `msg` with ECDSA/SHA-256 for the key whose scalar is `d`?
/// Only canonical encodings with `0 < r, s < n` are accepted. `known` is a nonce `k0` with
/// `x(k0·G) mod n = r0` computed when signing: when the nonce the signature implies is `k0`
/// and `r = r0`, the point is already known.
pub fn verify_with_scalar(
    d: &Scalar,
    known: Option<(Scalar, Scalar)>,
    msg: &[u8],
    sig: &[u8],
) -> bool {
    let Ok(parsed) = p256::ecdsa::Signature::from_der(sig) else {
        return false;
    };
    if parsed.to_der().as_bytes() != sig {
        return false;
    }
    let (r, s) = parsed.split_scalars();
    let (r, s) = (*r, *s);
    let z = <Scalar as Reduce<U256>>::reduce_bytes(&Sha256::digest(msg));
    let zrd = z + r * d;
    // The nonce the signature implies is k = u1 + u2·d = (z + r·d)/s. When it is the known
    // k0 (checked as s·k0 = z + r·d, no inversion) and r = x(k0·G) mod n, R = k0·G: valid.
    if let Some((k0, r0)) = known {
        if r0 == r && !bool::from(k0.is_zero()) && s * k0 == zrd {
            return true;
        }
    }
    let k = invert_vartime(&s) * zrd;
    if bool::from(k.is_zero()) {
        return false;
    }
    // x(R) = X/Z² equals r when r·Z² = X: no inversion. (x(R) = r + n, possible only for
    // r < p − n, is not accepted here and goes to ring.)
    let point = mul_generator(&k);
    if point.is_identity() {
        return false;
    }
    let r_fe = Fe::from_be_bytes(&r.to_bytes().into()).expect("r < n < p");
    r_fe.mul(&point.z.square()) == point.x
}

/// `Some(())` when `der` is a CSR signed by a key generated here and its signature verifies;
/// `None` means "ask ring" (never "invalid").
pub fn verify_request(der: &[u8], spki_der: &[u8]) -> Option<()> {
    if !ENABLED.load(Ordering::Relaxed) {
        return None;
    }
    let own = own_for(spki_der)?;
    let (info, sig) = split_request(der)?;
    verify_with_scalar(&own.d, own.last_nonce, info, sig).then_some(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use p256::ecdsa::signature::Verifier;

    fn key(r: &mut crate::sim::rng::Rngs) -> FastKey {
        loop {
            let mut b = [0u8; 32];
            r.fill("keys", &mut b);
            if let Some(k) = FastKey::from_scalar_bytes(&b) {
                return k;
            }
        }
    }

    /// The p256 crate's verdict on a strict DER signature.
    fn p256_accepts(point: &[u8], msg: &[u8], sig: &[u8]) -> bool {
        let vk = p256::ecdsa::VerifyingKey::from_sec1_bytes(point).unwrap();
        p256::ecdsa::Signature::from_der(sig)
            .is_ok_and(|p| p.to_der().as_bytes() == sig && vk.verify(msg, &p).is_ok())
    }

    /// Valid signatures verify; every tampering (message, r, s, high-s, zero, n, key,
    /// encodings) gets the same verdict as p256's verifier on strict DER (ring's is checked
    /// on whole requests below, through `check_signature`).
    #[test]
    fn verdicts_equal_ring_on_valid_and_tampered_signatures() {
        let mut r = crate::sim::rng::Rngs::new(11);
        let n_be: [u8; 32] = super::super::p256field::N_BE;
        for i in 0..150 {
            let k = key(&mut r);
            let other = key(&mut r);
            let msg = format!("message {i}").into_bytes();
            let (sig, k0, r0) = k.sign_with_nonce(&msg);
            assert_eq!(sig, k.sign(&msg));
            assert!(
                verify_with_scalar(k.scalar(), None, &msg, &sig),
                "valid, case {i}"
            );
            assert!(verify_with_scalar(k.scalar(), Some((k0, r0)), &msg, &sig));
            assert!(p256_accepts(k.public_point(), &msg, &sig));
            let parsed = p256::ecdsa::Signature::from_der(&sig).unwrap();
            let (rr, ss) = parsed.split_scalars();
            let high_s = p256::ecdsa::Signature::from_scalars(*rr, -*ss).unwrap();
            let swapped = p256::ecdsa::Signature::from_scalars(*ss, *rr).unwrap();
            let mut flipped_msg = msg.clone();
            flipped_msg[0] ^= 1;
            let mut cases: Vec<(Vec<u8>, Vec<u8>, &FastKey)> = vec![
                (msg.clone(), high_s.to_der().as_bytes().to_vec(), &k),
                (flipped_msg, sig.clone(), &k),
                (msg.clone(), swapped.to_der().as_bytes().to_vec(), &k),
                (msg.clone(), sig.clone(), &other),
            ];
            for bit in [0usize, 7, 8 * (sig.len() - 1)] {
                let mut s = sig.clone();
                s[bit / 8] ^= 1 << (bit % 8);
                cases.push((msg.clone(), s, &k));
            }
            // r or s = 0 / n, a non-minimal encoding, trailing bytes
            let int = |v: &[u8]| {
                let mut o = vec![0x02];
                let v = if v[0] & 0x80 != 0 {
                    [&[0u8][..], v].concat()
                } else {
                    v.to_vec()
                };
                o.push(v.len() as u8);
                o.extend(v);
                o
            };
            let der_of = |a: Vec<u8>, b: Vec<u8>| {
                let mut o = vec![0x30, (a.len() + b.len()) as u8];
                o.extend(a);
                o.extend(b);
                o
            };
            let (rb, sb) = (rr.to_bytes(), ss.to_bytes());
            cases.push((msg.clone(), der_of(int(&[0]), int(&sb)), &k));
            cases.push((msg.clone(), der_of(int(&rb), int(&n_be)), &k));
            let padded = [&[0x02u8, 33, 0][..], &rb[..]].concat();
            if rb[0] & 0x80 == 0 {
                cases.push((msg.clone(), der_of(padded, int(&sb)), &k));
            }
            let mut trailing = sig.clone();
            trailing.push(0);
            cases.push((msg.clone(), trailing, &k));
            // The same verdicts with the signing nonce known (the shortcut only fires when
            // the signature implies exactly that nonce and r), and with a wrong one.
            let wrong = Some((k0 + p256::Scalar::ONE, r0));
            for (m, s, key) in cases {
                let want = p256_accepts(key.public_point(), &m, &s);
                for known in [None, Some((k0, r0)), wrong] {
                    assert_eq!(
                        verify_with_scalar(key.scalar(), known, &m, &s),
                        want,
                        "case {i}: sig {s:02x?}"
                    );
                }
            }
        }
    }

    /// Whole requests: a remembered key verifies through its scalar, an unknown key or a
    /// changed request is left to ring, and `check_signature` gives ring's verdict either way.
    #[test]
    fn requests_of_remembered_keys_only() {
        use crate::kubelet::csr::{request_pem, EcdsaKey, Key, Template};
        let mut r = crate::sim::rng::Rngs::new(12);
        let t = Template::client("own-keys-node");
        for _ in 0..20 {
            let generated = EcdsaKey::generate(&mut r); // remembered
            let pem = request_pem(&t, &Key::Ecdsa(generated)).unwrap();
            let csr = crate::pki::csr::parse_pem(pem.as_bytes()).unwrap();
            assert_eq!(verify_request(&csr.der, &csr.spki_der), Some(()));
            assert_eq!(crate::validation::csr::check_csr_der(&csr.der), Ok(()));
            assert!(crate::pki::csr::check_signature(&csr).is_ok());

            let mut b = [0u8; 32];
            r.fill("other", &mut b);
            let Some(unknown) = EcdsaKey::from_scalar(&b) else {
                continue;
            };
            let pem = request_pem(&t, &Key::Ecdsa(unknown)).unwrap();
            let csr = crate::pki::csr::parse_pem(pem.as_bytes()).unwrap();
            assert_eq!(
                verify_request(&csr.der, &csr.spki_der),
                None,
                "not generated here"
            );
            assert!(
                crate::pki::csr::check_signature(&csr).is_ok(),
                "ring accepts it"
            );
        }
        // A tampered subject of a remembered key's request: not accepted here, rejected by ring.
        let generated = EcdsaKey::generate(&mut r);
        let pem = request_pem(&t, &Key::Ecdsa(generated)).unwrap();
        let mut der = crate::pki::csr::parse_pem(pem.as_bytes()).unwrap().der;
        let at = der.windows(13).position(|w| w == b"own-keys-node").unwrap();
        der[at] ^= 0x20; // "Own-keys-node"
        let csr = crate::pki::csr::parse_der(&der).unwrap();
        assert_eq!(verify_request(&csr.der, &csr.spki_der), None);
        assert_eq!(
            crate::pki::csr::check_signature(&csr),
            Err("x509: ECDSA verification failure".to_string())
        );
        assert_eq!(
            crate::validation::csr::check_csr_der(&der),
            Err("x509: ECDSA verification failure".to_string()),
            "validation on create gives ring's verdict too"
        );
    }
}
