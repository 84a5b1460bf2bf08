//! ECDSA signature verification on the four NIST prime curves Go's `crypto/ecdsa` knows
//! (P-224, P-256, P-384, P-521) with any of the digests Go's `x509` pairs with ECDSA (SHA-1,
//! SHA-256, SHA-384, SHA-512), for the CSR signatures ring does not verify: P-224 and P-521
//! keys, and curve/digest pairs outside ring's list (`ecdsa-with-SHA1`, SHA-512 on P-256, …).
//!
//! Plain textbook arithmetic (Jacobian coordinates, a = −3) over crypto-bigint's Montgomery
//! residues, variable time: it only ever handles public data (keys, signatures, digests).
//! The curve constants are SEC 2's, as `openssl ecparam -name <curve> -param_enc explicit`
//! prints them. The digest becomes an integer as Go's `hashToInt` does: its leftmost
//! `orderBytes`, shifted right by the excess bits.

use crypto_bigint::modular::runtime_mod::{DynResidue, DynResidueParams};
use crypto_bigint::U576;

/// 576 bits: room for P-521's 521.
const LIMBS: usize = 9;
const WIDTH: usize = 72;
type Fe = DynResidue<LIMBS>;

/// A NIST prime curve (`y² = x³ − 3x + b`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Curve {
    P224,
    P256,
    P384,
    P521,
}

/// A curve's constants, big-endian hex.
struct Consts {
    p: &'static str,
    b: &'static str,
    gx: &'static str,
    gy: &'static str,
    n: &'static str,
}

impl Curve {
    fn consts(self) -> Consts {
        match self {
            Curve::P224 => Consts {
                p: "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF000000000000000000000001",
                b: "B4050A850C04B3ABF54132565044B0B7D7BFD8BA270B39432355FFB4",
                gx: "B70E0CBD6BB4BF7F321390B94A03C1D356C21122343280D6115C1D21",
                gy: "BD376388B5F723FB4C22DFE6CD4375A05A07476444D5819985007E34",
                n: "FFFFFFFFFFFFFFFFFFFFFFFFFFFF16A2E0B8F03E13DD29455C5C2A3D",
            },
            Curve::P256 => Consts {
                p: "FFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFF",
                b: "5AC635D8AA3A93E7B3EBBD55769886BC651D06B0CC53B0F63BCE3C3E27D2604B",
                gx: "6B17D1F2E12C4247F8BCE6E563A440F277037D812DEB33A0F4A13945D898C296",
                gy: "4FE342E2FE1A7F9B8EE7EB4A7C0F9E162BCE33576B315ECECBB6406837BF51F5",
                n: "FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551",
            },
            Curve::P384 => Consts {
                p: "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEFFFFFFFF0000000000000000FFFFFFFF",
                b: "B3312FA7E23EE7E4988E056BE3F82D19181D9C6EFE8141120314088F5013875AC656398D8A2ED19D2A85C8EDD3EC2AEF",
                gx: "AA87CA22BE8B05378EB1C71EF320AD746E1D3B628BA79B9859F741E082542A385502F25DBF55296C3A545E3872760AB7",
                gy: "3617DE4A96262C6F5D9E98BF9292DC29F8F41DBD289A147CE9DA3113B5F0B8C00A60B1CE1D7E819D7A431D7C90EA0E5F",
                n: "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFC7634D81F4372DDF581A0DB248B0A77AECEC196ACCC52973",
            },
            Curve::P521 => Consts {
                p: "01FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF",
                b: "0051953EB9618E1C9A1F929A21A0B68540EEA2DA725B99B315F3B8B489918EF109E156193951EC7E937B1652C0BD3BB1BF073573DF883D2C34F1EF451FD46B503F00",
                gx: "00C6858E06B70404E9CD9E3ECB662395B4429C648139053FB521F828AF606B4D3DBAA14B5E77EFE75928FE1DC127A2FFA8DE3348B3C1856A429BF97E7E31C2E5BD66",
                gy: "011839296A789A3BC0045C8A5FB42C7D1BD998F54449579B446817AFBD17273E662C97EE72995EF42640C550B9013FAD0761353C7086A272C24088BE94769FD16650",
                n: "01FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFA51868783BF2F966B7FCC0148F709A5D03BB5C9B8899C47AEBB6FB71E91386409",
            },
        }
    }

    /// Bytes of a coordinate (and of the order).
    pub fn bytes(self) -> usize {
        match self {
            Curve::P224 => 28,
            Curve::P256 => 32,
            Curve::P384 => 48,
            Curve::P521 => 66,
        }
    }

    /// The curve of a named-curve OID (dotted).
    pub fn from_oid(oid: &str) -> Option<Curve> {
        Some(match oid {
            "1.3.132.0.33" => Curve::P224,
            "1.2.840.10045.3.1.7" => Curve::P256,
            "1.3.132.0.34" => Curve::P384,
            "1.3.132.0.35" => Curve::P521,
            _ => return None,
        })
    }
}

/// A big-endian byte string (at most 72 bytes) as a 576-bit integer.
fn int(bytes: &[u8]) -> Option<U576> {
    if bytes.len() > WIDTH {
        return None;
    }
    let mut buf = [0u8; WIDTH];
    buf[WIDTH - bytes.len()..].copy_from_slice(bytes);
    Some(U576::from_be_slice(&buf))
}

fn hex(h: &str) -> U576 {
    let bytes: Vec<u8> = (0..h.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&h[i..i + 2], 16).expect("curve constant"))
        .collect();
    int(&bytes).expect("curve constant fits")
}

/// A point in Jacobian coordinates (`x = X/Z²`, `y = Y/Z³`); `None` is the point at infinity.
type Point = Option<(Fe, Fe, Fe)>;

fn is_zero(a: &Fe) -> bool {
    a.retrieve() == U576::ZERO
}

/// `2·P` for a = −3 (the "dbl-2001-b" formulas).
fn double(p: &Point) -> Point {
    let (x, y, z) = p.as_ref()?;
    if is_zero(y) {
        return None;
    }
    let delta = z.square();
    let gamma = y.square();
    let beta = x.mul(&gamma);
    let t = x.sub(&delta).mul(&x.add(&delta));
    let alpha = t.add(&t).add(&t);
    let beta4 = beta.add(&beta).add(&beta.add(&beta));
    let x3 = alpha.square().sub(&beta4.add(&beta4));
    let z3 = y.add(z).square().sub(&gamma).sub(&delta);
    let g2 = gamma.square();
    let g8 = {
        let g2x2 = g2.add(&g2);
        let g2x4 = g2x2.add(&g2x2);
        g2x4.add(&g2x4)
    };
    let y3 = alpha.mul(&beta4.sub(&x3)).sub(&g8);
    Some((x3, y3, z3))
}

/// `P + Q` (the "add-2007-bl" formulas, doubling when the points are equal).
fn add(p: &Point, q: &Point) -> Point {
    let Some((x1, y1, z1)) = p else {
        return *q;
    };
    let Some((x2, y2, z2)) = q else {
        return *p;
    };
    let z1z1 = z1.square();
    let z2z2 = z2.square();
    let u1 = x1.mul(&z2z2);
    let u2 = x2.mul(&z1z1);
    let s1 = y1.mul(z2).mul(&z2z2);
    let s2 = y2.mul(z1).mul(&z1z1);
    let h = u2.sub(&u1);
    let r = s2.sub(&s1);
    if is_zero(&h) {
        return if is_zero(&r) { double(p) } else { None };
    }
    let r = r.add(&r);
    let i = h.add(&h).square();
    let j = h.mul(&i);
    let v = u1.mul(&i);
    let x3 = r.square().sub(&j).sub(&v.add(&v));
    let s1j = s1.mul(&j);
    let y3 = r.mul(&v.sub(&x3)).sub(&s1j.add(&s1j));
    let z3 = z1.add(z2).square().sub(&z1z1).sub(&z2z2).mul(&h);
    Some((x3, y3, z3))
}

/// Go's `hashToInt`: the digest's leftmost `orderBytes` as an integer, shifted right by the
/// bits it has beyond the order's.
fn hash_to_int(hash: &[u8], n: &U576) -> U576 {
    let order_bits = n.bits_vartime();
    let order_bytes = order_bits.div_ceil(8);
    let hash = &hash[..hash.len().min(order_bytes)];
    let e = int(hash).expect("a digest fits");
    let excess = (hash.len() * 8).saturating_sub(order_bits);
    e.shr_vartime(excess)
}

/// One strict DER INTEGER (positive, minimal) from the front of `d`: (value bytes, rest).
fn der_uint(d: &[u8]) -> Option<(&[u8], &[u8])> {
    let (&tag, d) = d.split_first()?;
    let (&len, d) = d.split_first()?;
    if tag != 0x02 || len == 0 || len >= 0x80 || d.len() < len as usize {
        return None;
    }
    let (v, rest) = d.split_at(len as usize);
    if v[0] & 0x80 != 0 || (v[0] == 0 && (v.len() == 1 || v[1] & 0x80 == 0)) {
        return None;
    }
    Some((v, rest))
}

/// `SEQUENCE { r INTEGER, s INTEGER }` with nothing after it, as Go's `VerifyASN1` reads it.
fn der_signature(sig: &[u8]) -> Option<(&[u8], &[u8])> {
    let (&tag, d) = sig.split_first()?;
    let (&len, d) = d.split_first()?;
    let (len, d) = match len {
        l if l < 0x80 => (l as usize, d),
        0x81 => {
            let (&l, d) = d.split_first()?;
            if l < 0x80 {
                return None;
            }
            (l as usize, d)
        }
        _ => return None,
    };
    if tag != 0x30 || d.len() != len {
        return None;
    }
    let (r, d) = der_uint(d)?;
    let (s, d) = der_uint(d)?;
    d.is_empty().then_some((r, s))
}

/// Does `sig` (DER) sign `hash` for the uncompressed point `point` on `curve`?
pub fn verify(curve: Curve, point: &[u8], hash: &[u8], sig: &[u8]) -> bool {
    verify_inner(curve, point, hash, sig).unwrap_or(false)
}

/// Go's `elliptic.Unmarshal`: `0x04 ‖ X ‖ Y`, both below p, on the curve. Without it,
/// `x509.ParseCertificateRequest` fails with `x509: failed to unmarshal elliptic curve point`.
pub fn valid_point(curve: Curve, point: &[u8]) -> bool {
    if curve == Curve::P256 {
        // Every ECDSA CSR of a fleet is P-256: the same check in the fixed-size field, not
        // the generic 576-bit Montgomery setup (≈ 20 µs per call, a third of a signature
        // check, measured by `csrsim bench lifecycle`'s floor).
        return super::p256field::Affine::from_uncompressed(point).is_some();
    }
    valid_point_generic(curve, point)
}

/// [`valid_point`] in crypto-bigint's generic arithmetic, for every curve.
fn valid_point_generic(curve: Curve, point: &[u8]) -> bool {
    let c = curve.consts();
    let p = hex(c.p);
    decode_point(curve, point, &p, DynResidueParams::new(&p)).is_some()
}

fn decode_point(
    curve: Curve,
    point: &[u8],
    p: &U576,
    fp: DynResidueParams<LIMBS>,
) -> Option<(Fe, Fe)> {
    let size = curve.bytes();
    let (&form, xy) = point.split_first()?;
    if form != 0x04 || xy.len() != 2 * size {
        return None;
    }
    let (qx, qy) = (int(&xy[..size])?, int(&xy[size..])?);
    if &qx >= p || &qy >= p {
        return None;
    }
    let (x, y) = (Fe::new(&qx, fp), Fe::new(&qy, fp));
    let three_x = x.add(&x).add(&x);
    let b = Fe::new(&hex(curve.consts().b), fp);
    (y.square() == x.square().mul(&x).sub(&three_x).add(&b)).then_some((x, y))
}

fn verify_inner(curve: Curve, point: &[u8], hash: &[u8], sig: &[u8]) -> Option<bool> {
    let c = curve.consts();
    let (p, n) = (hex(c.p), hex(c.n));
    let fp = DynResidueParams::new(&p);
    let fnn = DynResidueParams::new(&n);
    let (x, y) = decode_point(curve, point, &p, fp)?;
    let fe = |v: &U576| Fe::new(v, fp);
    // the signature: 0 < r, s < n
    let (r, s) = der_signature(sig)?;
    let (r, s) = (int(r)?, int(s)?);
    if r == U576::ZERO || s == U576::ZERO || r >= n || s >= n {
        return None;
    }
    let mut e = hash_to_int(hash, &n);
    if e >= n {
        e = e.wrapping_sub(&n);
    }
    let (w, invertible) = Fe::new(&s, fnn).invert();
    if !bool::from(invertible) {
        return None;
    }
    let u1 = Fe::new(&e, fnn).mul(&w).retrieve();
    let u2 = Fe::new(&r, fnn).mul(&w).retrieve();
    // u1·G + u2·Q, both scalars at once (Shamir's trick)
    let one = fe(&U576::ONE);
    let g: Point = Some((fe(&hex(c.gx)), fe(&hex(c.gy)), one));
    let q: Point = Some((x, y, one));
    let gq = add(&g, &q);
    let mut acc: Point = None;
    for i in (0..n.bits_vartime()).rev() {
        acc = double(&acc);
        acc = match (u1.bit_vartime(i), u2.bit_vartime(i)) {
            (true, true) => add(&acc, &gq),
            (true, false) => add(&acc, &g),
            (false, true) => add(&acc, &q),
            (false, false) => acc,
        };
    }
    let (x, _, z) = acc?;
    let (zinv, ok) = z.square().invert();
    if !bool::from(ok) {
        return None;
    }
    let mut v = x.mul(&zinv).retrieve();
    if v >= n {
        v = v.wrapping_sub(&n);
    }
    Some(v == r)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// P-256 against the p256 crate: its signatures verify here, and a changed digest, a
    /// changed signature or another key does not.
    #[test]
    fn agrees_with_the_p256_crate() {
        use p256::ecdsa::signature::hazmat::PrehashSigner;
        let mut rngs = crate::sim::rng::Rngs::new(7);
        for round in 0..4u8 {
            let mut d = [0u8; 32];
            rngs.fill("keys", &mut d);
            let Ok(sk) = p256::ecdsa::SigningKey::from_slice(&d) else {
                continue;
            };
            let point = sk.verifying_key().to_encoded_point(false);
            let hash = [round.wrapping_mul(37).wrapping_add(1); 32];
            let sig: p256::ecdsa::Signature = sk.sign_prehash(&hash).unwrap();
            let der = sig.to_der();
            assert!(verify(Curve::P256, point.as_bytes(), &hash, der.as_bytes()));
            let mut other = hash;
            other[0] ^= 1;
            assert!(!verify(
                Curve::P256,
                point.as_bytes(),
                &other,
                der.as_bytes()
            ));
            let mut bad = der.as_bytes().to_vec();
            let last = bad.len() - 1;
            bad[last] ^= 1;
            assert!(!verify(Curve::P256, point.as_bytes(), &hash, &bad));
        }
    }

    /// P-256's fast on-curve check and the generic one agree: real keys, the generator, a
    /// flipped coordinate bit, a coordinate ≥ p, the compressed form, the wrong length.
    #[test]
    fn p256_point_checks_agree_with_the_generic_one() {
        let mut rngs = crate::sim::rng::Rngs::new(11);
        let mut cases: Vec<Vec<u8>> = Vec::new();
        for _ in 0..8 {
            let mut d = [0u8; 32];
            rngs.fill("keys", &mut d);
            let Ok(sk) = p256::ecdsa::SigningKey::from_slice(&d) else {
                continue;
            };
            let good = sk
                .verifying_key()
                .to_encoded_point(false)
                .as_bytes()
                .to_vec();
            let mut flipped = good.clone();
            flipped[40] ^= 1;
            let mut compressed = sk
                .verifying_key()
                .to_encoded_point(true)
                .as_bytes()
                .to_vec();
            cases.extend([good.clone(), flipped, compressed.clone()]);
            compressed.truncate(20);
            cases.push(compressed);
            cases.push(good[..64].to_vec());
        }
        let mut over_p = vec![4u8];
        over_p.extend([0xff; 64]);
        cases.push(over_p);
        cases.push(
            super::super::p256field::Affine::generator()
                .to_uncompressed()
                .to_vec(),
        );
        let valid = cases.iter().filter(|c| valid_point(Curve::P256, c)).count();
        assert!(
            valid >= 9,
            "the real keys and the generator are valid: {valid}"
        );
        for c in &cases {
            assert_eq!(
                valid_point(Curve::P256, c),
                valid_point_generic(Curve::P256, c),
                "{c:02x?}"
            );
        }
    }

    /// Go's hashToInt: longer digests keep their leftmost bits (P-224 with SHA-256, P-521's
    /// 521-bit order with a 512-bit digest untouched).
    #[test]
    fn digests_become_integers_as_in_go() {
        let n224 = hex(Curve::P224.consts().n);
        let h = [0xffu8; 32];
        assert_eq!(hash_to_int(&h, &n224), int(&[0xff; 28]).unwrap());
        let n521 = hex(Curve::P521.consts().n);
        let h = [0x80u8; 64];
        assert_eq!(hash_to_int(&h, &n521), int(&h).unwrap());
    }

    /// Signatures Go's `VerifyASN1` would not parse are refused.
    #[test]
    fn non_der_signatures_are_refused() {
        for sig in [
            &[0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01, 0x00][..], // trailing byte
            &[0x30, 0x06, 0x02, 0x01, 0x81, 0x02, 0x01, 0x01],           // negative r
            &[0x30, 0x07, 0x02, 0x02, 0x00, 0x01, 0x02, 0x01, 0x01],     // non-minimal r
        ] {
            assert_eq!(der_signature(sig), None, "{sig:02x?}");
        }
        assert_eq!(
            der_signature(&[0x30, 0x06, 0x02, 0x01, 0x05, 0x02, 0x01, 0x07]),
            Some((&[5u8][..], &[7u8][..]))
        );
    }
}
