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

/// ECDSA P-256/SHA-256 verification (variable time): `true` only when `sig_der` is a strict
/// DER `SEQUENCE { r INTEGER, s INTEGER }` with `r, s ∈ [1, n−1]`, `public_point` an
/// uncompressed SEC1 point on the curve, and `x(u1·G + u2·Q) ≡ r (mod n)` for `w = s⁻¹`,
/// `u1 = H(msg)·w`, `u2 = r·w`. High `s` is valid (as in Go and ring). `u1·G` comes from the
/// comb table, `u2·Q` from a width-5 wNAF; x is compared without an inversion.
///
/// Callers treat `false` as "not shown valid here": anything this accepts, ring accepts too
/// (same equation, a DER subset of ring's), so a rejection can be handed to ring for its verdict.
pub fn verify_p256_sha256(public_point: &[u8], msg: &[u8], sig_der: &[u8]) -> bool {
    let Some(q) = Affine::from_uncompressed(public_point) else {
        return false;
    };
    let Some((r, s)) = parse_der_signature(sig_der) else {
        return false;
    };
    let z: FieldBytes = Sha256::digest(msg);
    let e = <Scalar as Reduce<U256>>::reduce_bytes(&z);
    let w = invert_vartime(&s);
    let u1 = e * w;
    let u2 = r * w;
    let sum = mul_generator(&u1).add(&mul_vartime(&q, &limbs_be(&u2.to_bytes().into())));
    sum.x_mod_n_equals(&limbs_be(&r.to_bytes().into()))
}

/// Strict DER `SEQUENCE { INTEGER r, INTEGER s }` (short lengths, minimal positive integers,
/// nothing trailing) with both values in [1, n−1].
fn parse_der_signature(der: &[u8]) -> Option<(Scalar, Scalar)> {
    let (&tag, rest) = der.split_first()?;
    let (&len, body) = rest.split_first()?;
    if tag != 0x30 || len >= 0x80 || body.len() != len as usize {
        return None;
    }
    let (r, body) = parse_der_scalar(body)?;
    let (s, body) = parse_der_scalar(body)?;
    body.is_empty().then_some((r, s))
}

/// One minimal, positive DER INTEGER in [1, n−1], and what follows it.
fn parse_der_scalar(der: &[u8]) -> Option<(Scalar, &[u8])> {
    let (&tag, rest) = der.split_first()?;
    let (&len, rest) = rest.split_first()?;
    let len = len as usize;
    if tag != 0x02 || len == 0 || len > 33 || rest.len() < len {
        return None;
    }
    let (v, rest) = rest.split_at(len);
    if v[0] & 0x80 != 0 || (v[0] == 0 && (len == 1 || v[1] & 0x80 == 0)) {
        return None; // negative, zero, or not minimal
    }
    let v = if v[0] == 0 { &v[1..] } else { v };
    if v.len() > 32 {
        return None;
    }
    let mut be = [0u8; 32];
    be[32 - v.len()..].copy_from_slice(v);
    let x = Option::<Scalar>::from(Scalar::from_repr(FieldBytes::from(be)))?;
    (!bool::from(x.is_zero())).then_some((x, rest))
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

    fn ring_verifies(point: &[u8], msg: &[u8], sig: &[u8]) -> bool {
        ring::signature::UnparsedPublicKey::new(&ring::signature::ECDSA_P256_SHA256_ASN1, point)
            .verify(msg, sig)
            .is_ok()
    }

    fn p256_verifies(point: &[u8], msg: &[u8], sig: &[u8]) -> bool {
        use p256::ecdsa::signature::Verifier;
        let Ok(vk) = p256::ecdsa::VerifyingKey::from_sec1_bytes(point) else {
            return false;
        };
        let Ok(sig) = p256::ecdsa::Signature::from_der(sig) else {
            return false;
        };
        vk.verify(msg, &sig).is_ok()
    }

    /// Our verdict must be ring's (the reference `check_signature` used) and p256's.
    fn assert_same_verdict(point: &[u8], msg: &[u8], sig: &[u8], what: &str) -> bool {
        let ours = verify_p256_sha256(point, msg, sig);
        assert_eq!(
            ours,
            ring_verifies(point, msg, sig),
            "ring: {what} {sig:02x?}"
        );
        assert_eq!(
            ours,
            p256_verifies(point, msg, sig),
            "p256: {what} {sig:02x?}"
        );
        ours
    }

    fn der_of(r: &[u8; 32], s: &[u8; 32]) -> Vec<u8> {
        let int = |v: &[u8; 32]| {
            let skip = v.iter().take_while(|&&b| b == 0).count().min(31);
            let mut out = vec![];
            if v[skip] & 0x80 != 0 {
                out.push(0);
            }
            out.extend_from_slice(&v[skip..]);
            let mut tlv = vec![0x02, out.len() as u8];
            tlv.extend(out);
            tlv
        };
        let body = [int(r), int(s)].concat();
        let mut der = vec![0x30, body.len() as u8];
        der.extend(body);
        der
    }

    /// Valid signatures (ours and p256's, low and high s) verify; every tampering is rejected
    /// exactly when ring and p256 reject it.
    #[test]
    fn verifier_agrees_with_ring_and_p256_on_valid_and_tampered_signatures() {
        let mut rng = crate::sim::rng::Rngs::new(11);
        let byte = |rng: &mut crate::sim::rng::Rngs| {
            let mut b = [0u8; 1];
            rng.fill("tamper", &mut b);
            b[0]
        };
        let mut valid = 0;
        for i in 0..1500 {
            let mut b = [0u8; 32];
            rng.fill("keys", &mut b);
            let Some(key) = FastKey::from_scalar_bytes(&b) else {
                continue;
            };
            let point = key.public_point().to_vec();
            let msg = format!("certification request info {i}").into_bytes();
            let sig = key.sign(&msg);
            assert!(assert_same_verdict(&point, &msg, &sig, "valid"));
            valid += 1;
            let parsed = p256::ecdsa::Signature::from_der(&sig).unwrap();
            let (r, s) = (parsed.r().to_bytes(), parsed.s().to_bytes());
            let (r, s): ([u8; 32], [u8; 32]) = (r.into(), s.into());
            // High s (n − s) is valid in ECDSA, Go and ring.
            let high = (-*parsed.s()).to_bytes().into();
            assert!(assert_same_verdict(
                &point,
                &msg,
                &der_of(&r, &high),
                "high s"
            ));
            // One flipped bit in r, s, the message, the public key.
            let bit = |rng: &mut crate::sim::rng::Rngs, n: usize| {
                let x = byte(rng) as usize * 256 + byte(rng) as usize;
                (x % n, 1u8 << (x % 8))
            };
            let (at, m) = bit(&mut rng, 32);
            let mut r2 = r;
            r2[at] ^= m;
            assert!(!assert_same_verdict(
                &point,
                &msg,
                &der_of(&r2, &s),
                "r flipped"
            ));
            let mut s2 = s;
            s2[at] ^= m;
            assert!(!assert_same_verdict(
                &point,
                &msg,
                &der_of(&r, &s2),
                "s flipped"
            ));
            let (at, m) = bit(&mut rng, msg.len());
            let mut msg2 = msg.clone();
            msg2[at] ^= m;
            assert!(!assert_same_verdict(&point, &msg2, &sig, "message flipped"));
            let (at, m) = bit(&mut rng, 64);
            let mut point2 = point.clone();
            point2[1 + at] ^= m;
            assert!(!assert_same_verdict(&point2, &msg, &sig, "key flipped"));
            // Another key on the curve.
            let mut other = [0u8; 32];
            rng.fill("keys", &mut other);
            if let Some(k2) = FastKey::from_scalar_bytes(&other) {
                assert!(!assert_same_verdict(
                    k2.public_point(),
                    &msg,
                    &sig,
                    "other key"
                ));
            }
            if i % 10 == 0 {
                // The p256 crate's own signature verifies too.
                let sk = p256::ecdsa::SigningKey::from_bytes((&b).into()).unwrap();
                let theirs: p256::ecdsa::Signature = sk.sign(&msg);
                assert!(assert_same_verdict(
                    &point,
                    &msg,
                    theirs.to_der().as_bytes(),
                    "p256's"
                ));
            }
        }
        assert!(valid > 1400);
    }

    /// Out-of-range scalars, bad points and non-DER encodings are rejected (like ring).
    #[test]
    fn verifier_rejects_bad_encodings_and_out_of_range_values() {
        let key = FastKey::from_scalar_bytes(&[7u8; 32]).unwrap();
        let point = key.public_point().to_vec();
        let msg = b"hello";
        let sig = key.sign(msg);
        assert!(assert_same_verdict(&point, msg, &sig, "valid"));
        let parsed = p256::ecdsa::Signature::from_der(&sig).unwrap();
        let (r, s): ([u8; 32], [u8; 32]) =
            (parsed.r().to_bytes().into(), parsed.s().to_bytes().into());
        let zero = [0u8; 32];
        let n = N_BE;
        let mut n_plus_1 = N_BE;
        n_plus_1[31] += 1;
        for (rr, ss, what) in [
            (zero, s, "r = 0"),
            (r, zero, "s = 0"),
            (n, s, "r = n"),
            (r, n, "s = n"),
            (n_plus_1, s, "r = n + 1"),
            (r, n_plus_1, "s = n + 1"),
            ([0xff; 32], s, "r = 2^256 − 1"),
        ] {
            assert!(!assert_same_verdict(&point, msg, &der_of(&rr, &ss), what));
        }
        // r + n (the other representative of x mod n) is not r.
        let mut bad = sig.clone();
        bad.push(0); // trailing byte
        assert!(!assert_same_verdict(&point, msg, &bad, "trailing"));
        let mut long = vec![0x30, 0x81, sig[1]];
        long.extend_from_slice(&sig[2..]); // non-minimal long-form length
        assert!(!verify_p256_sha256(&point, msg, &long));
        assert!(!ring_verifies(&point, msg, &long));
        // A superfluous leading zero on r.
        let mut padded = vec![0x30, sig[1] + 1, 0x02, sig[3] + 1, 0x00];
        padded.extend_from_slice(&sig[4..]);
        assert!(!verify_p256_sha256(&point, msg, &padded));
        assert!(!ring_verifies(&point, msg, &padded));
        // Truncated / empty.
        for cut in [0, 1, 2, 5, sig.len() - 1] {
            assert!(!assert_same_verdict(&point, msg, &sig[..cut], "truncated"));
        }
        // Points: compressed, identity-like, off the curve, coordinates ≥ p.
        let compressed = {
            let mut c = vec![2 + (point[64] & 1)];
            c.extend_from_slice(&point[1..33]);
            c
        };
        // ring (the reference) takes uncompressed points only; the p256 crate would decompress.
        assert!(!verify_p256_sha256(&compressed, msg, &sig));
        assert!(!ring_verifies(&compressed, msg, &sig));
        assert!(!assert_same_verdict(&[0u8], msg, &sig, "identity"));
        let mut off = point.clone();
        off[64] ^= 1;
        assert!(!assert_same_verdict(&off, msg, &sig, "off curve"));
        let mut big = point.clone();
        big[1..33].copy_from_slice(&[0xff; 32]);
        assert!(!assert_same_verdict(&big, msg, &sig, "x ≥ p"));
    }
}
