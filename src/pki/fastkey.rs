//! Deterministic ECDSA P-256 with a fixed-base comb table.
//!
//! A fleet run makes three scalar multiplications by the generator per rotation (the new
//! key's public point, the CSR signature, the CA's signature). The `p256` crate computes
//! `k·G` with a generic window method (~250 µs here); with a table of `j·16^i·G`
//! (64 × 15 affine points, built once) it is 64 mixed additions. Signatures are exactly those
//! of `p256::ecdsa::SigningKey` (RFC 6979 nonce, same `r`, `s`): the tests compare them.
//! Not constant-time — this is a simulator's key, never a real secret.

use p256::elliptic_curve::group::Group;
use p256::elliptic_curve::ops::Reduce;
use p256::elliptic_curve::point::AffineCoordinates;
use p256::elliptic_curve::sec1::ToEncodedPoint;
use p256::elliptic_curve::{Field, PrimeField};
use p256::{AffinePoint, FieldBytes, ProjectivePoint, Scalar, U256};
use sha2::{Digest, Sha256};
use std::sync::OnceLock;

/// `TABLE[i][j-1] = j·16^i·G`.
fn table() -> &'static Vec<[AffinePoint; 15]> {
    static T: OnceLock<Vec<[AffinePoint; 15]>> = OnceLock::new();
    T.get_or_init(|| {
        let mut rows = Vec::with_capacity(64);
        let mut base = ProjectivePoint::GENERATOR;
        for _ in 0..64 {
            let mut row = [AffinePoint::IDENTITY; 15];
            let mut acc = base;
            for slot in row.iter_mut() {
                *slot = acc.to_affine();
                acc += base;
            }
            rows.push(row);
            // base ← 16·base
            for _ in 0..4 {
                base = base.double();
            }
        }
        rows
    })
}

/// `k·G` by the comb table.
pub fn mul_generator(k: &Scalar) -> ProjectivePoint {
    let bytes = k.to_bytes(); // big-endian
    let t = table();
    let mut acc = ProjectivePoint::IDENTITY;
    for (i, row) in t.iter().enumerate() {
        let byte = bytes[31 - i / 2];
        let nib = if i % 2 == 0 { byte & 0x0f } else { byte >> 4 };
        if nib != 0 {
            acc += row[(nib - 1) as usize];
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
            .to_encoded_point(false)
            .as_bytes()
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
        let n = FieldBytes::from(hex_order());
        let k_bytes = rfc6979::generate_k::<Sha256, _>(&self.d.to_bytes(), &n, &z_bytes, &[]);
        let k = Option::<Scalar>::from(Scalar::from_repr(k_bytes)).expect("RFC 6979 k < n");
        let z = <Scalar as Reduce<U256>>::reduce_bytes(&z_bytes);
        let r_point = mul_generator(&k).to_affine();
        let r = <Scalar as Reduce<U256>>::reduce_bytes(&r_point.x());
        let k_inv = Option::<Scalar>::from(k.invert()).expect("k ≠ 0");
        let s = k_inv * (z + r * self.d);
        let sig = p256::ecdsa::Signature::from_scalars(r, s).expect("r, s ≠ 0");
        sig.to_der().as_bytes().to_vec()
    }
}

/// The group order n of P-256, big-endian.
fn hex_order() -> [u8; 32] {
    [
        0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63,
        0x25, 0x51,
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use p256::ecdsa::signature::Signer;

    #[test]
    fn comb_table_matches_generic_multiplication_and_signatures_match_p256() {
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
        let mut nm1 = hex_order();
        nm1[31] -= 1;
        let neg = FastKey::from_scalar_bytes(&nm1).unwrap();
        assert_eq!(
            neg.public_point(),
            (-ProjectivePoint::GENERATOR)
                .to_affine()
                .to_encoded_point(false)
                .as_bytes()
        );
        assert!(FastKey::from_scalar_bytes(&hex_order()).is_none());
        assert!(FastKey::from_scalar_bytes(&[0u8; 32]).is_none());
    }
}
