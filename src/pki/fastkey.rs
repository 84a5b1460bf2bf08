//! Deterministic ECDSA P-256 with a fixed-base comb table.
//!
//! A fleet run makes three scalar multiplications by the generator per rotation (the new
//! key's public point, the CSR signature, the CA's signature). The `p256` crate computes
//! `k·G` with a generic window method (~250 µs here); with a table of `j·256^i·G`
//! (33 × 128 affine points, built once) and signed digits it is at most 33 mixed additions. Signatures are exactly those
//! of `p256::ecdsa::SigningKey` (RFC 6979 nonce, same `r`, `s`): the tests compare them.
//! Not constant-time — this is a simulator's key, never a real secret.

use super::p256field::{
    batch_to_affine, be_bytes, inv_mod_vartime, limbs_be, mul_vartime, Affine, Jacobian, N, N_BE,
    N_NEG_INV,
};
use p256::elliptic_curve::ops::Reduce;
use p256::elliptic_curve::{Field, PrimeField};
use p256::{FieldBytes, Scalar, U256};
use sha2::{Digest, Sha256};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

/// Windows of the signed-digit comb: 8-bit digits in [−128, 128], 32 of them plus the carry.
const WINDOWS: usize = 33;
/// Points per window: `j·256^i·G` for j = 1..=128 (negative digits negate `y`).
const PER_WINDOW: usize = 128;

/// `TABLE[i·128 + j − 1] = j·256^i·G` (33 × 128 affine points, 270 KB, built once on first
/// use in ≈ 2 ms: Jacobian additions, then one batched inversion per window). Signed 8-bit
/// digits need at most 33 mixed additions per `k·G`.
fn table() -> &'static [Affine] {
    TABLE.get_or_init(|| {
        let mut points = Vec::with_capacity(WINDOWS * PER_WINDOW);
        let mut base = Affine::generator();
        for _ in 0..WINDOWS {
            let mut window = Vec::with_capacity(PER_WINDOW);
            let mut acc = base.to_jacobian();
            for _ in 0..PER_WINDOW {
                window.push(acc);
                acc = acc.add_affine(&base);
            }
            let affine = batch_to_affine(&window);
            points.extend(affine.iter().map(|p| p.expect("j·B ≠ O for j < n")));
            // base ← 256·base = 2·(128·base)
            base = window[PER_WINDOW - 1]
                .double()
                .to_affine()
                .expect("256^i·G ≠ O");
        }
        points
    })
}

static TABLE: OnceLock<Vec<Affine>> = OnceLock::new();

/// Multiplications done the generic way (wNAF) before the table is built. A process that
/// makes a handful of signatures (`csrsim serve` creating its CAs and serving certificate,
/// most tests) never pays for the table: that was on `csrsim serve`'s cold start. The point
/// is the same either way, so signatures do not depend on when the table arrived.
const GENERIC_BEFORE_TABLE: usize = 32;
static GENERIC_USES: AtomicUsize = AtomicUsize::new(0);

/// `k·G` by the signed-digit comb: k = Σ dᵢ·256^i with dᵢ ∈ [−128, 128].
pub fn mul_generator(k: &Scalar) -> Jacobian {
    let bytes = k.to_bytes(); // big-endian
    if TABLE.get().is_none() && GENERIC_USES.fetch_add(1, Ordering::Relaxed) < GENERIC_BEFORE_TABLE
    {
        return mul_vartime(&Affine::generator(), &limbs_be(&bytes.into()));
    }
    let t = table();
    let mut acc = Jacobian::IDENTITY;
    let mut carry = 0i32;
    for i in 0..WINDOWS {
        let v = if i < 32 { bytes[31 - i] as i32 } else { 0 } + carry;
        let d = if v > 128 { v - 256 } else { v };
        carry = (v > 128) as i32;
        if d != 0 {
            let p = &t[i * PER_WINDOW + d.unsigned_abs() as usize - 1];
            acc = if d < 0 {
                acc.add_affine(&p.neg())
            } else {
                acc.add_affine(p)
            };
        }
    }
    acc
}

/// A P-256 private scalar with its uncompressed public point.
#[derive(Clone)]
pub struct FastKey {
    d: Scalar,
    point: Vec<u8>,
}

impl FastKey {
    /// A key from 32 bytes; `None` if they are not a valid non-zero scalar.
    pub fn from_scalar_bytes(b: &[u8; 32]) -> Option<FastKey> {
        let d = Option::<Scalar>::from(Scalar::from_repr(FieldBytes::from(*b)))?;
        if bool::from(d.is_zero()) {
            return None;
        }
        let point = mul_generator(&d)
            .to_affine()
            .expect("d·G ≠ O for 0 < d < n")
            .to_uncompressed()
            .to_vec();
        Some(FastKey { d, point })
    }

    /// Uncompressed SEC1 public point (65 bytes).
    pub fn public_point(&self) -> &[u8] {
        &self.point
    }

    /// ECDSA/SHA-256 over `msg` with the RFC 6979 nonce; DER-encoded `(r, s)`.
    pub fn sign(&self, msg: &[u8]) -> Vec<u8> {
        let z_bytes: FieldBytes = Sha256::digest(msg);
        let n = FieldBytes::from(N_BE);
        let k_bytes = rfc6979::generate_k::<Sha256, _>(&self.d.to_bytes(), &n, &z_bytes, &[]);
        let k = Option::<Scalar>::from(Scalar::from_repr(k_bytes)).expect("RFC 6979 k < n");
        let z = <Scalar as Reduce<U256>>::reduce_bytes(&z_bytes);
        let r_point = mul_generator(&k)
            .to_affine()
            .expect("k·G ≠ O for 0 < k < n");
        let r = <Scalar as Reduce<U256>>::reduce_bytes(&r_point.x.to_be_bytes().into());
        let k_inv = invert_vartime(&k);
        let s = k_inv * (z + r * self.d);
        let sig = p256::ecdsa::Signature::from_scalars(r, s).expect("r, s ≠ 0");
        sig.to_der().as_bytes().to_vec()
    }
}

/// `k⁻¹ mod n` by the binary extended Euclidean algorithm (variable time, several times
/// faster than `Scalar::invert`'s fixed exponentiation; the same field element). `k ≠ 0`.
pub fn invert_vartime(k: &Scalar) -> Scalar {
    let inv = inv_mod_vartime(&limbs_be(&k.to_bytes().into()), &N, N_NEG_INV);
    Option::<Scalar>::from(Scalar::from_repr(FieldBytes::from(be_bytes(&inv))))
        .expect("inverse < n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use p256::ecdsa::signature::Signer;
    use p256::elliptic_curve::sec1::ToEncodedPoint;
    use p256::ProjectivePoint;

    #[test]
    fn comb_table_matches_generic_multiplication_and_signatures_match_p256() {
        for _ in 0..=GENERIC_BEFORE_TABLE {
            mul_generator(&Scalar::ONE); // past the generic start: the comb from here on
        }
        let mut r = crate::sim::rng::Rngs::new(3);
        for _ in 0..20 {
            let mut b = [0u8; 32];
            r.fill("keys", &mut b);
            let Some(k) = FastKey::from_scalar_bytes(&b) else {
                continue;
            };
            let sk = p256::ecdsa::SigningKey::from_bytes((&b).into()).unwrap();
            assert_eq!(
                k.public_point(),
                sk.verifying_key().to_encoded_point(false).as_bytes()
            );
            let msg = b.repeat(3);
            let want: p256::ecdsa::Signature = sk.sign(&msg);
            assert_eq!(k.sign(&msg), want.to_der().as_bytes());
        }
        // Edge scalars: 1 and n − 1.
        let mut one = [0u8; 32];
        one[31] = 1;
        let g = FastKey::from_scalar_bytes(&one).unwrap();
        assert_eq!(
            g.public_point(),
            ProjectivePoint::GENERATOR
                .to_affine()
                .to_encoded_point(false)
                .as_bytes()
        );
        let mut nm1 = N_BE;
        nm1[31] -= 1;
        let neg = FastKey::from_scalar_bytes(&nm1).unwrap();
        assert_eq!(
            neg.public_point(),
            (-ProjectivePoint::GENERATOR)
                .to_affine()
                .to_encoded_point(false)
                .as_bytes()
        );
        assert!(FastKey::from_scalar_bytes(&N_BE).is_none());
        // The variable-time inverse is the field inverse.
        for x in [1u8, 2, 3] {
            let k = Scalar::from(x as u64);
            assert_eq!(invert_vartime(&k), k.invert().unwrap());
        }
        assert_eq!(
            invert_vartime(&-Scalar::ONE),
            (-Scalar::ONE).invert().unwrap()
        );
        for _ in 0..200 {
            let mut b = [0u8; 32];
            r.fill("keys", &mut b);
            let Some(k) = Option::<Scalar>::from(Scalar::from_repr(FieldBytes::from(b))) else {
                continue;
            };
            assert_eq!(invert_vartime(&k), k.invert().unwrap());
        }
        assert!(FastKey::from_scalar_bytes(&[0u8; 32]).is_none());
    }

    /// The signed-digit recoding at its edges: digits of exactly 128 (kept), 129 and 255
    /// (negative with a carry), a carry running through every window into the 33rd.
    #[test]
    fn signed_digit_comb_equals_generic_multiplication_at_digit_edges() {
        let mut cases: Vec<[u8; 32]> = [0x80u8, 0x81, 0x7f, 0xff, 0x01]
            .iter()
            .map(|b| {
                let mut x = [*b; 32];
                x[0] &= 0x7f; // stay below n
                x
            })
            .collect();
        let mut alternating = [0u8; 32];
        for (i, b) in alternating.iter_mut().enumerate() {
            *b = if i % 2 == 0 { 0x80 } else { 0xff };
        }
        alternating[0] = 0x7f;
        cases.push(alternating);
        let mut nm1 = N_BE;
        nm1[31] -= 1;
        cases.push(nm1);
        for _ in 0..=GENERIC_BEFORE_TABLE {
            mul_generator(&Scalar::ONE); // past the generic start: the comb from here on
        }
        for b in cases {
            let k = Option::<Scalar>::from(Scalar::from_repr(FieldBytes::from(b))).unwrap();
            assert_eq!(
                mul_generator(&k).to_affine().unwrap().to_uncompressed(),
                (ProjectivePoint::GENERATOR * k)
                    .to_affine()
                    .to_encoded_point(false)
                    .as_bytes(),
                "{b:02x?}"
            );
        }
    }
}
