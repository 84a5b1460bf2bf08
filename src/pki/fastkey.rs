//! Deterministic ECDSA P-256 with a fixed-base comb table.
//!
//! A fleet run makes three scalar multiplications by the generator per rotation (the new
//! key's public point, the CSR signature, the CA's signature). The `p256` crate computes
//! `k·G` with a generic window method (~250 µs here); with a table of `j·2^(10i)·G`
//! (26 × 512 affine points, built once) and signed digits it is at most 26 mixed additions,
//! over our own field arithmetic ([`super::p256field`]). Signatures are exactly those of
//! `p256::ecdsa::SigningKey` (RFC 6979 nonce, same `r`, `s`): the tests compare them.
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

/// Bits per digit of the signed-digit comb: digits in [−2^(w−1), 2^(w−1)].
const WINDOW_BITS: usize = 10;
/// Windows: ⌈256/w⌉ digits, plus room for the last carry (26 for w = 10).
const WINDOWS: usize = 256 / WINDOW_BITS + 1;
/// Points per window: `j·2^(w·i)·G` for j = 1..=2^(w−1) (negative digits negate `y`).
const PER_WINDOW: usize = 1 << (WINDOW_BITS - 1);

/// `TABLE[i·512 + j − 1] = j·2^(10i)·G` (26 × 512 affine points, 852 KB, built once on first
/// use in a few ms: Jacobian additions, then one batched inversion per window). At most 26
/// mixed additions per `k·G`; 8-bit digits (33 × 128 points, 270 KB) took 33, and the
/// larger table's cache misses cost less than the 7 additions saved (stop 13 figures).
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
            // base ← 2^w·base = 2·(2^(w−1)·base)
            base = window[PER_WINDOW - 1]
                .double()
                .to_affine()
                .expect("2^(w·i)·G ≠ O");
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

/// Bits `[pos, pos + w)` of `k` (zero past bit 255).
fn window_bits(k: &[u64; 4], pos: usize) -> i32 {
    if pos >= 256 {
        return 0;
    }
    let (limb, off) = (pos / 64, pos % 64);
    let mut v = k[limb] >> off;
    if off + WINDOW_BITS > 64 && limb < 3 {
        v |= k[limb + 1] << (64 - off);
    }
    (v & ((1 << WINDOW_BITS) - 1)) as i32
}

/// `k·G` by the signed-digit comb: k = Σ dᵢ·2^(w·i) with dᵢ ∈ [−2^(w−1), 2^(w−1)].
pub fn mul_generator(k: &Scalar) -> Jacobian {
    let k = limbs_be(&k.to_bytes().into());
    if TABLE.get().is_none() && GENERIC_USES.fetch_add(1, Ordering::Relaxed) < GENERIC_BEFORE_TABLE
    {
        return mul_vartime(&Affine::generator(), &k);
    }
    let t = table();
    let half = PER_WINDOW as i32;
    let mut acc = Jacobian::IDENTITY;
    let mut carry = 0i32;
    for i in 0..WINDOWS {
        let v = window_bits(&k, i * WINDOW_BITS) + carry;
        let d = if v > half { v - 2 * half } else { v };
        carry = (v > half) as i32;
        if d != 0 {
            let p = &t[i * PER_WINDOW + d.unsigned_abs() as usize - 1];
            acc = if d < 0 {
                acc.add_affine(&p.neg())
            } else {
                acc.add_affine(p)
            };
        }
    }
    debug_assert_eq!(carry, 0, "the last window absorbs the carry");
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

    /// The private scalar (the simulator's own keys verify through it: [`super::own_keys`]).
    pub fn scalar(&self) -> &Scalar {
        &self.d
    }

    /// Uncompressed SEC1 public point (65 bytes).
    pub fn public_point(&self) -> &[u8] {
        &self.point
    }

    /// ECDSA/SHA-256 over `msg` with the RFC 6979 nonce; DER-encoded `(r, s)`.
    pub fn sign(&self, msg: &[u8]) -> Vec<u8> {
        self.sign_with_nonce(msg).0
    }

    /// [`FastKey::sign`], also returning the nonce `k` and `r = x(k·G) mod n`.
    pub fn sign_with_nonce(&self, msg: &[u8]) -> (Vec<u8>, Scalar, Scalar) {
        let z_bytes: FieldBytes = Sha256::digest(msg);
        let k = rfc6979_nonce(&self.d.to_bytes().into(), &z_bytes.into());
        let z = <Scalar as Reduce<U256>>::reduce_bytes(&z_bytes);
        let r_point = mul_generator(&k)
            .to_affine()
            .expect("k·G ≠ O for 0 < k < n");
        let r = <Scalar as Reduce<U256>>::reduce_bytes(&r_point.x.to_be_bytes().into());
        let k_inv = invert_vartime(&k);
        let s = k_inv * (z + r * self.d);
        let sig = p256::ecdsa::Signature::from_scalars(r, s).expect("r, s ≠ 0");
        (sig.to_der().as_bytes().to_vec(), k, r)
    }
}

/// HMAC-SHA-256 with the key's inner and outer hash states computed once: HMAC-DRBG uses
/// each key for one or two MACs, and the `rfc6979` crate's `SimpleHmac` re-hashes the padded
/// key for every one of them.
struct HmacSha256 {
    inner: Sha256,
    outer: Sha256,
}

impl HmacSha256 {
    /// HMAC's block size for SHA-256 and its inner/outer pads (RFC 2104).
    const BLOCK: usize = 64;
    const IPAD: u8 = 0x36;
    const OPAD: u8 = 0x5c;

    fn new(key: &[u8; 32]) -> HmacSha256 {
        let mut ipad = [Self::IPAD; Self::BLOCK];
        let mut opad = [Self::OPAD; Self::BLOCK];
        for (i, b) in key.iter().enumerate() {
            ipad[i] ^= b;
            opad[i] ^= b;
        }
        HmacSha256 {
            inner: Sha256::new().chain_update(ipad),
            outer: Sha256::new().chain_update(opad),
        }
    }

    fn mac(&self, parts: &[&[u8]]) -> [u8; 32] {
        let mut h = self.inner.clone();
        for p in parts {
            h.update(p);
        }
        self.outer
            .clone()
            .chain_update(h.finalize())
            .finalize()
            .into()
    }
}

/// The RFC 6979 nonce (§3.2, HMAC-SHA-256, no extra data) for private key `x` and digest
/// `h`, exactly as `rfc6979::generate_k` computes it for p256's signer, in 16 SHA-256 blocks
/// instead of ≈ 30 (cached HMAC pads, and no reseed after the one output we use). The first
/// candidate is outside [1, n−1] with probability ≈ 2^−32; then the crate's own loop decides.
fn rfc6979_nonce(x: &[u8; 32], h: &[u8; 32]) -> Scalar {
    let mut v = [0x01u8; 32];
    let mut k = HmacSha256::new(&[0u8; 32]);
    for step in [0x00u8, 0x01] {
        k = HmacSha256::new(&k.mac(&[&v, &[step], x, h]));
        v = k.mac(&[&v]);
    }
    let candidate = k.mac(&[&v]);
    let accept = |c: [u8; 32]| {
        Option::<Scalar>::from(Scalar::from_repr(FieldBytes::from(c)))
            .filter(|s| !bool::from(s.is_zero()))
    };
    accept(candidate).unwrap_or_else(|| {
        let k = rfc6979::generate_k::<Sha256, _>(&(*x).into(), &N_BE.into(), &(*h).into(), &[]);
        accept(k.into()).expect("RFC 6979 k in [1, n−1]")
    })
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
        let mut keys: Vec<[u8; 32]> = (0..400)
            .map(|_| {
                let mut b = [0u8; 32];
                r.fill("keys", &mut b);
                b
            })
            .collect();
        // Edge keys: 1, 2, n − 1, n − 2, 2^255 and 2^128 (digits all zero but one).
        for (at, v) in [(31usize, 1u8), (31, 2)] {
            let mut b = [0u8; 32];
            b[at] = v;
            keys.push(b);
        }
        for sub in [1u8, 2] {
            let mut b = N_BE;
            b[31] -= sub;
            keys.push(b);
        }
        let mut b = [0u8; 32];
        b[0] = 0x80;
        keys.push(b);
        let mut b = [0u8; 32];
        b[15] = 1;
        keys.push(b);
        let mut signed = 0;
        for (i, b) in keys.iter().enumerate() {
            let Some(k) = FastKey::from_scalar_bytes(b) else {
                continue;
            };
            let sk = p256::ecdsa::SigningKey::from_bytes(b.into()).unwrap();
            assert_eq!(
                k.public_point(),
                sk.verifying_key().to_encoded_point(false).as_bytes()
            );
            for msg in [b.repeat(3), format!("message {i}").into_bytes(), vec![]] {
                let want: p256::ecdsa::Signature = sk.sign(&msg);
                assert_eq!(k.sign(&msg), want.to_der().as_bytes(), "key {b:02x?}");
                signed += 1;
            }
        }
        assert!(signed > 1000);
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

    /// A scalar whose every w-bit window holds `digit(i)` (top bits cleared to stay below n).
    fn with_windows(digit: impl Fn(usize) -> u64) -> [u8; 32] {
        let mut l = [0u64; 4];
        for i in 0..WINDOWS {
            let pos = i * WINDOW_BITS;
            for bit in 0..WINDOW_BITS {
                if pos + bit < 255 && (digit(i) >> bit) & 1 == 1 {
                    l[(pos + bit) / 64] |= 1 << ((pos + bit) % 64);
                }
            }
        }
        be_bytes(&l)
    }

    /// The signed-digit recoding at its edges: digits of exactly 2^(w−1) (kept), 2^(w−1) + 1
    /// and 2^w − 1 (negative with a carry), 2^(w−1) − 1, 1, a carry running through every
    /// window into the last, alternating patterns, n − 1 and n − 2^(w−1).
    #[test]
    fn signed_digit_comb_equals_generic_multiplication_at_digit_edges() {
        let half = PER_WINDOW as u64;
        let full = (1u64 << WINDOW_BITS) - 1;
        let mut cases: Vec<[u8; 32]> = [half, half + 1, half - 1, full, 1]
            .iter()
            .map(|&d| with_windows(|_| d))
            .collect();
        cases.push(with_windows(|i| if i % 2 == 0 { half } else { full }));
        cases.push(with_windows(|i| if i % 2 == 0 { half + 1 } else { half }));
        cases.push(with_windows(|i| if i % 3 == 0 { 0 } else { full }));
        for sub in [1u8, 2] {
            let mut x = N_BE;
            x[31] -= sub;
            cases.push(x);
        }
        let mut x = limbs_be(&N_BE);
        x[0] -= half; // n's low window minus 2^(w−1)
        cases.push(be_bytes(&x));
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
        // Every table entry's j·B relation is covered by small scalars: k = j·2^(w·i).
        let t = table();
        for i in [0, 1, WINDOWS / 2, WINDOWS - 2] {
            for j in [1usize, 2, PER_WINDOW - 1, PER_WINDOW] {
                let mut l = [0u64; 4];
                let pos = i * WINDOW_BITS;
                l[pos / 64] |= (j as u64) << (pos % 64);
                if pos % 64 + WINDOW_BITS > 64 {
                    l[pos / 64 + 1] |= (j as u64) >> (64 - pos % 64);
                }
                let k = Option::<Scalar>::from(Scalar::from_repr(be_bytes(&l).into())).unwrap();
                assert_eq!(
                    t[i * PER_WINDOW + j - 1].to_uncompressed(),
                    (ProjectivePoint::GENERATOR * k)
                        .to_affine()
                        .to_encoded_point(false)
                        .as_bytes(),
                    "window {i} j {j}"
                );
            }
        }
    }

    /// Our RFC 6979 nonce is the `rfc6979` crate's for many keys and digests.
    #[test]
    fn rfc6979_nonce_matches_the_rfc6979_crate() {
        let mut r = crate::sim::rng::Rngs::new(5);
        let mut cases: Vec<([u8; 32], [u8; 32])> = (0..500)
            .map(|_| {
                let (mut x, mut h) = ([0u8; 32], [0u8; 32]);
                r.fill("keys", &mut x);
                r.fill("digests", &mut h);
                x[0] &= 0x7f; // a valid private key below n
                (x, h)
            })
            .collect();
        cases.push(([1; 32], [0xff; 32]));
        cases.push(([0x7f; 32], [0; 32]));
        for (x, h) in cases {
            let want = rfc6979::generate_k::<Sha256, _>(&x.into(), &N_BE.into(), &h.into(), &[]);
            assert_eq!(rfc6979_nonce(&x, &h).to_bytes(), want, "{x:02x?} {h:02x?}");
        }
    }
}
