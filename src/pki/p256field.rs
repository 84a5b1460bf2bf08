//! P-256 base-field and group arithmetic for the simulator's fast paths.
//!
//! The `p256` crate is constant-time and generic (complete formulas, fixed inversion chains,
//! masked selects): right for real secrets, but the fleet makes three fixed-base
//! multiplications and one verification per CSR, and those dominated its CPU. Here the field is
//! 4×64-bit Montgomery with a reduction specialised to p = 2^256 − 2^224 + 2^192 + 2^96 − 1,
//! points are Jacobian (mixed addition 7M+4S, doubling with a = −3 in 3M+5S) and inversion is
//! variable-time Bernstein–Yang divsteps ([`super::modinv`]). [`crate::pki::fastkey`] builds its comb table and
//! signs with these; [`mul_vartime`] (wNAF) serves its first multiplications before the table
//! exists. **Not constant-time**: every secret here is a simulator's key. The tests compare
//! each primitive with the `p256` crate.

/// p in little-endian 64-bit limbs.
pub const P: [u64; 4] = [
    0xffff_ffff_ffff_ffff,
    0x0000_0000_ffff_ffff,
    0,
    0xffff_ffff_0000_0001,
];
/// −p⁻¹ mod 2^64 is 1 (p ≡ −1 mod 2^64): the Montgomery quotient digit is the limb itself.
const P_NEG_INV: u64 = 1;
/// R² mod p (R = 2^256): multiplying by it enters the Montgomery domain.
const R2: [u64; 4] = [
    0x0000_0000_0000_0003,
    0xffff_fffb_ffff_ffff,
    0xffff_ffff_ffff_fffe,
    0x0000_0004_ffff_fffd,
];
/// R mod p: the Montgomery form of 1.
const R1: [u64; 4] = [
    0x0000_0000_0000_0001,
    0xffff_ffff_0000_0000,
    0xffff_ffff_ffff_ffff,
    0x0000_0000_ffff_fffe,
];
/// The curve's b (y² = x³ − 3x + b), big-endian.
const B_BE: [u8; 32] = hex32("5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604b");
/// The generator's coordinates, big-endian.
const GX_BE: [u8; 32] = hex32("6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296");
const GY_BE: [u8; 32] = hex32("4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5");
/// The group order n, big-endian and in limbs, and −n⁻¹ mod 2^64 (for halving mod n).
pub const N_BE: [u8; 32] =
    hex32("ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551");
pub const N: [u64; 4] = limbs_be(&N_BE);
pub const N_NEG_INV: u64 = 0xccd1_c8aa_ee00_bc4f;

const fn hex32(s: &str) -> [u8; 32] {
    let b = s.as_bytes();
    let mut out = [0u8; 32];
    let mut i = 0;
    while i < 32 {
        out[i] = (nibble(b[2 * i]) << 4) | nibble(b[2 * i + 1]);
        i += 1;
    }
    out
}

const fn nibble(c: u8) -> u8 {
    match c {
        b'0'..=b'9' => c - b'0',
        b'a'..=b'f' => c - b'a' + 10,
        _ => panic!("hex digit"),
    }
}

/// Big-endian 32 bytes → little-endian 64-bit limbs.
pub const fn limbs_be(be: &[u8; 32]) -> [u64; 4] {
    let mut l = [0u64; 4];
    let mut i = 0;
    while i < 4 {
        let mut w = 0u64;
        let mut j = 0;
        while j < 8 {
            w = (w << 8) | be[24 - 8 * i + j] as u64;
            j += 1;
        }
        l[i] = w;
        i += 1;
    }
    l
}

/// Little-endian limbs → big-endian 32 bytes.
pub fn be_bytes(l: &[u64; 4]) -> [u8; 32] {
    let mut be = [0u8; 32];
    for (i, w) in l.iter().enumerate() {
        be[24 - 8 * i..32 - 8 * i].copy_from_slice(&w.to_be_bytes());
    }
    be
}

#[inline(always)]
fn adc(a: u64, b: u64, carry: u64) -> (u64, u64) {
    let t = a as u128 + b as u128 + carry as u128;
    (t as u64, (t >> 64) as u64)
}

#[inline(always)]
fn sbb(a: u64, b: u64, borrow: u64) -> (u64, u64) {
    let t = (a as u128).wrapping_sub(b as u128 + borrow as u128);
    (t as u64, (t >> 127) as u64)
}

/// `a + b·c + carry` as (low, high).
#[inline(always)]
fn mac(a: u64, b: u64, c: u64, carry: u64) -> (u64, u64) {
    let t = a as u128 + (b as u128) * (c as u128) + carry as u128;
    (t as u64, (t >> 64) as u64)
}

/// `a − b` over 4 limbs, returning the borrow (0 or 1).
#[inline(always)]
fn sub4(a: &[u64; 4], b: &[u64; 4]) -> ([u64; 4], u64) {
    let (r0, c) = sbb(a[0], b[0], 0);
    let (r1, c) = sbb(a[1], b[1], c);
    let (r2, c) = sbb(a[2], b[2], c);
    let (r3, c) = sbb(a[3], b[3], c);
    ([r0, r1, r2, r3], c)
}

/// `a + b` over 4 limbs, returning the carry (0 or 1).
#[inline(always)]
fn add4(a: &[u64; 4], b: &[u64; 4]) -> ([u64; 4], u64) {
    let (r0, c) = adc(a[0], b[0], 0);
    let (r1, c) = adc(a[1], b[1], c);
    let (r2, c) = adc(a[2], b[2], c);
    let (r3, c) = adc(a[3], b[3], c);
    ([r0, r1, r2, r3], c)
}

fn less(a: &[u64; 4], b: &[u64; 4]) -> bool {
    for i in (0..4).rev() {
        if a[i] != b[i] {
            return a[i] < b[i];
        }
    }
    false
}

/// An element of GF(p) in Montgomery form (`a·R mod p`, fully reduced).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fe([u64; 4]);

impl Fe {
    pub const ZERO: Fe = Fe([0; 4]);
    pub const ONE: Fe = Fe(R1);

    /// From big-endian bytes; `None` if the integer is not below p.
    pub fn from_be_bytes(be: &[u8; 32]) -> Option<Fe> {
        let l = limbs_be(be);
        less(&l, &P).then(|| Fe(l).mul(&Fe(R2)))
    }

    /// Big-endian bytes of the (non-Montgomery) value.
    pub fn to_be_bytes(&self) -> [u8; 32] {
        be_bytes(&self.to_canonical())
    }

    /// The value itself in limbs (out of the Montgomery domain).
    pub fn to_canonical(&self) -> [u64; 4] {
        reduce([self.0[0], self.0[1], self.0[2], self.0[3], 0, 0, 0, 0])
    }

    /// Small integers (tests, constants).
    pub fn from_u64(x: u64) -> Fe {
        Fe([x, 0, 0, 0]).mul(&Fe(R2))
    }

    pub fn is_zero(&self) -> bool {
        self.0 == [0; 4]
    }

    #[inline]
    pub fn add(&self, b: &Fe) -> Fe {
        let (s, carry) = add4(&self.0, &b.0);
        let (d, borrow) = sub4(&s, &P);
        // s ≥ p exactly when the addition carried out or the subtraction did not borrow.
        // Selected with a mask: the outcome is a coin toss, a branch would mispredict half
        // the time.
        Fe(select(borrow & (carry ^ 1), &s, &d))
    }

    #[inline]
    pub fn sub(&self, b: &Fe) -> Fe {
        let (d, borrow) = sub4(&self.0, &b.0);
        let m = borrow.wrapping_neg();
        Fe(add4(&d, &[P[0] & m, P[1] & m, P[2] & m, P[3] & m]).0)
    }

    #[inline]
    pub fn double(&self) -> Fe {
        self.add(self)
    }

    #[inline]
    pub fn neg(&self) -> Fe {
        Fe::ZERO.sub(self)
    }

    /// Montgomery product `a·b·R⁻¹`: schoolbook 4×4 limbs, then [`reduce`].
    #[inline]
    pub fn mul(&self, b: &Fe) -> Fe {
        let a = &self.0;
        let b = &b.0;
        let mut t = [0u64; 8];
        for i in 0..4 {
            let mut carry = 0;
            for j in 0..4 {
                let (lo, hi) = mac(t[i + j], a[i], b[j], carry);
                t[i + j] = lo;
                carry = hi;
            }
            t[i + 4] = carry;
        }
        Fe(reduce(t))
    }

    /// Montgomery square: the six cross products once, doubled, plus the four squares.
    #[inline]
    pub fn square(&self) -> Fe {
        let a = &self.0;
        // Cross products a[i]·a[j], i < j.
        let (t1, c) = mac(0, a[0], a[1], 0);
        let (t2, c) = mac(0, a[0], a[2], c);
        let (t3, t4) = mac(0, a[0], a[3], c);
        let (t3, c) = mac(t3, a[1], a[2], 0);
        let (t4, t5) = mac(t4, a[1], a[3], c);
        let (t5, t6) = mac(t5, a[2], a[3], 0);
        // Double them.
        let t7 = t6 >> 63;
        let t6 = (t6 << 1) | (t5 >> 63);
        let t5 = (t5 << 1) | (t4 >> 63);
        let t4 = (t4 << 1) | (t3 >> 63);
        let t3 = (t3 << 1) | (t2 >> 63);
        let t2 = (t2 << 1) | (t1 >> 63);
        let t1 = t1 << 1;
        // Add the squares a[i]².
        let (t0, c) = mac(0, a[0], a[0], 0);
        let (t1, c) = adc(t1, 0, c);
        let (t2, c) = mac(t2, a[1], a[1], c);
        let (t3, c) = adc(t3, 0, c);
        let (t4, c) = mac(t4, a[2], a[2], c);
        let (t5, c) = adc(t5, 0, c);
        let (t6, c) = mac(t6, a[3], a[3], c);
        let (t7, _) = adc(t7, 0, c);
        Fe(reduce([t0, t1, t2, t3, t4, t5, t6, t7]))
    }

    /// `self^(2^k)`.
    pub fn square_n(&self, k: usize) -> Fe {
        let mut x = *self;
        for _ in 0..k {
            x = x.square();
        }
        x
    }

    /// `self⁻¹` (variable time); `None` for zero. The binary Euclid inverts the Montgomery
    /// representative `aR`, giving `a⁻¹R⁻¹`; two products by R² bring it to `a⁻¹R`.
    pub fn invert_vartime(&self) -> Option<Fe> {
        if self.is_zero() {
            return None;
        }
        let inv = inv_mod_vartime(&self.0, &P, P_NEG_INV);
        Some(Fe(inv).mul(&Fe(R2)).mul(&Fe(R2)))
    }

    /// A square root if one exists (p ≡ 3 mod 4: `a^((p+1)/4)`), for tests and decompression.
    pub fn sqrt(&self) -> Option<Fe> {
        // (p + 1)/4 = 2^254 − 2^222 + 2^190 + 2^94: square-and-multiply over its bits.
        let e = {
            let (mut q, _) = add4(&P, &[1, 0, 0, 0]);
            for _ in 0..2 {
                for i in 0..3 {
                    q[i] = (q[i] >> 1) | (q[i + 1] << 63);
                }
                q[3] >>= 1;
            }
            q
        };
        let mut r = Fe::ONE;
        for i in (0..256).rev() {
            r = r.square();
            if (e[i / 64] >> (i % 64)) & 1 == 1 {
                r = r.mul(self);
            }
        }
        (r.square() == *self).then_some(r)
    }
}

/// Montgomery reduction `t·R⁻¹ mod p` for `t < p·R`. With −p⁻¹ ≡ 1 the quotient digit m is
/// the limb itself, and `m·p` shifted by one limb is `m·2^32` (from p's two low limbs, which
/// also zero the current limb) plus `m·p₃` three limbs up (p₂ = 0).
#[inline(always)]
fn reduce(t: [u64; 8]) -> [u64; 4] {
    let mut t = t;
    let mut top = 0u64;
    for i in 0..4 {
        let m = t[i].wrapping_mul(P_NEG_INV);
        let (x, c) = adc(t[i + 1], m << 32, 0);
        t[i + 1] = x;
        let (x, c) = adc(t[i + 2], m >> 32, c);
        t[i + 2] = x;
        let (x, c) = mac(t[i + 3], m, P[3], c);
        t[i + 3] = x;
        let (x, c) = adc(t[i + 4], top, c);
        t[i + 4] = x;
        top = c;
    }
    let r = [t[4], t[5], t[6], t[7]];
    let (d, borrow) = sub4(&r, &P);
    select(borrow & (top ^ 1), &r, &d)
}

/// `a` if `choice` is 1, else `b` (branch-free: the choice is data-dependent and random).
#[inline(always)]
fn select(choice: u64, a: &[u64; 4], b: &[u64; 4]) -> [u64; 4] {
    let m = choice.wrapping_neg();
    [
        (a[0] & m) | (b[0] & !m),
        (a[1] & m) | (b[1] & !m),
        (a[2] & m) | (b[2] & !m),
        (a[3] & m) | (b[3] & !m),
    ]
}

/// `a⁻¹ mod m` for odd m and `0 < a < m`, variable time, by divsteps
/// ([`super::modinv`]; ≈ 1 µs, half the binary extended Euclid it replaced).
pub fn inv_mod_vartime(a: &[u64; 4], m: &[u64; 4], m_neg_inv: u64) -> [u64; 4] {
    super::modinv::inv_mod(a, m, m_neg_inv)
}

/// An affine point (never the identity).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Affine {
    pub x: Fe,
    pub y: Fe,
}

/// A Jacobian point (X/Z², Y/Z³); Z = 0 is the identity.
#[derive(Clone, Copy, Debug)]
pub struct Jacobian {
    pub x: Fe,
    pub y: Fe,
    pub z: Fe,
}

/// The curve's b in Montgomery form.
pub fn curve_b() -> Fe {
    Fe::from_be_bytes(&B_BE).expect("b < p")
}

impl Affine {
    /// The generator G.
    pub fn generator() -> Affine {
        Affine {
            x: Fe::from_be_bytes(&GX_BE).expect("Gx < p"),
            y: Fe::from_be_bytes(&GY_BE).expect("Gy < p"),
        }
    }

    /// From an uncompressed SEC1 encoding (`04 ‖ X ‖ Y`); `None` unless both coordinates are
    /// below p and the point is on the curve.
    pub fn from_uncompressed(sec1: &[u8]) -> Option<Affine> {
        if sec1.len() != 65 || sec1[0] != 4 {
            return None;
        }
        let x = Fe::from_be_bytes(sec1[1..33].try_into().ok()?)?;
        let y = Fe::from_be_bytes(sec1[33..65].try_into().ok()?)?;
        let p = Affine { x, y };
        p.is_on_curve().then_some(p)
    }

    /// y² = x³ − 3x + b.
    pub fn is_on_curve(&self) -> bool {
        let x3 = self.x.square().mul(&self.x);
        let three_x = self.x.double().add(&self.x);
        self.y.square() == x3.sub(&three_x).add(&curve_b())
    }

    /// `04 ‖ X ‖ Y`.
    pub fn to_uncompressed(&self) -> [u8; 65] {
        let mut out = [0u8; 65];
        out[0] = 4;
        out[1..33].copy_from_slice(&self.x.to_be_bytes());
        out[33..].copy_from_slice(&self.y.to_be_bytes());
        out
    }

    pub fn neg(&self) -> Affine {
        Affine {
            x: self.x,
            y: self.y.neg(),
        }
    }

    pub fn to_jacobian(&self) -> Jacobian {
        Jacobian {
            x: self.x,
            y: self.y,
            z: Fe::ONE,
        }
    }
}

impl Jacobian {
    pub const IDENTITY: Jacobian = Jacobian {
        x: Fe::ONE,
        y: Fe::ONE,
        z: Fe::ZERO,
    };

    pub fn is_identity(&self) -> bool {
        self.z.is_zero()
    }

    /// `2·self` for a = −3 (dbl-2001-b: 3M + 5S).
    pub fn double(&self) -> Jacobian {
        if self.is_identity() || self.y.is_zero() {
            return Jacobian::IDENTITY;
        }
        let delta = self.z.square();
        let gamma = self.y.square();
        let beta = self.x.mul(&gamma);
        let t = self.x.sub(&delta).mul(&self.x.add(&delta));
        let alpha = t.double().add(&t);
        let beta4 = beta.double().double();
        let x3 = alpha.square().sub(&beta4.double());
        let z3 = self.y.add(&self.z).square().sub(&gamma).sub(&delta);
        let gamma2_8 = gamma.square().double().double().double();
        let y3 = alpha.mul(&beta4.sub(&x3)).sub(&gamma2_8);
        Jacobian {
            x: x3,
            y: y3,
            z: z3,
        }
    }

    /// `self + q` for affine q (madd-2007-bl: 7M + 4S), with the doubling and inverse cases.
    pub fn add_affine(&self, q: &Affine) -> Jacobian {
        if self.is_identity() {
            return q.to_jacobian();
        }
        let z1z1 = self.z.square();
        let u2 = q.x.mul(&z1z1);
        let s2 = q.y.mul(&self.z).mul(&z1z1);
        let h = u2.sub(&self.x);
        let r = s2.sub(&self.y).double();
        if h.is_zero() {
            return if r.is_zero() {
                self.double()
            } else {
                Jacobian::IDENTITY
            };
        }
        let hh = h.square();
        let i = hh.double().double();
        let j = h.mul(&i);
        let v = self.x.mul(&i);
        let x3 = r.square().sub(&j).sub(&v.double());
        let y3 = r.mul(&v.sub(&x3)).sub(&self.y.mul(&j).double());
        let z3 = self.z.add(&h).square().sub(&z1z1).sub(&hh);
        Jacobian {
            x: x3,
            y: y3,
            z: z3,
        }
    }

    /// `self + q` for Jacobian q (add-2007-bl: 11M + 5S), with the special cases.
    pub fn add(&self, q: &Jacobian) -> Jacobian {
        if self.is_identity() {
            return *q;
        }
        if q.is_identity() {
            return *self;
        }
        let z1z1 = self.z.square();
        let z2z2 = q.z.square();
        let u1 = self.x.mul(&z2z2);
        let u2 = q.x.mul(&z1z1);
        let s1 = self.y.mul(&q.z).mul(&z2z2);
        let s2 = q.y.mul(&self.z).mul(&z1z1);
        let h = u2.sub(&u1);
        let r = s2.sub(&s1).double();
        if h.is_zero() {
            return if r.is_zero() {
                self.double()
            } else {
                Jacobian::IDENTITY
            };
        }
        let i = h.double().square();
        let j = h.mul(&i);
        let v = u1.mul(&i);
        let x3 = r.square().sub(&j).sub(&v.double());
        let y3 = r.mul(&v.sub(&x3)).sub(&s1.mul(&j).double());
        let z3 = self.z.add(&q.z).square().sub(&z1z1).sub(&z2z2).mul(&h);
        Jacobian {
            x: x3,
            y: y3,
            z: z3,
        }
    }

    pub fn neg(&self) -> Jacobian {
        Jacobian {
            x: self.x,
            y: self.y.neg(),
            z: self.z,
        }
    }

    /// The affine point (one variable-time inversion); `None` for the identity.
    pub fn to_affine(&self) -> Option<Affine> {
        let zi = self.z.invert_vartime()?;
        let zi2 = zi.square();
        Some(Affine {
            x: self.x.mul(&zi2),
            y: self.y.mul(&zi2).mul(&zi),
        })
    }
}

/// Affine forms of many Jacobian points with one inversion (Montgomery's trick); `None` for
/// identities.
pub fn batch_to_affine(points: &[Jacobian]) -> Vec<Option<Affine>> {
    // prefix[i] = product of the non-zero z of points[..i].
    let mut prefix = Vec::with_capacity(points.len());
    let mut acc = Fe::ONE;
    for p in points {
        prefix.push(acc);
        if !p.is_identity() {
            acc = acc.mul(&p.z);
        }
    }
    let mut inv = acc.invert_vartime().expect("product of non-zero z");
    let mut out = vec![None; points.len()];
    for (i, p) in points.iter().enumerate().rev() {
        if p.is_identity() {
            continue;
        }
        let zi = inv.mul(&prefix[i]);
        inv = inv.mul(&p.z);
        let zi2 = zi.square();
        out[i] = Some(Affine {
            x: p.x.mul(&zi2),
            y: p.y.mul(&zi2).mul(&zi),
        });
    }
    out
}

/// Width of the wNAF for variable-base multiplication: digits odd in (−16, 16), so the table
/// holds P, 3P, …, 15P and a non-zero digit is followed by at least four zeros.
const WNAF_WIDTH: u32 = 5;

/// The width-5 NAF of a 256-bit scalar, least significant digit first (257 digits).
pub fn wnaf(k: &[u64; 4]) -> [i8; 257] {
    let mut digits = [0i8; 257];
    // k in five limbs so that adding back a borrowed digit cannot overflow.
    let mut x = [k[0], k[1], k[2], k[3], 0u64];
    let mut i = 0;
    while x != [0; 5] {
        if x[0] & 1 == 1 {
            let w = (x[0] & ((1 << WNAF_WIDTH) - 1)) as i64;
            let d = if w >= 1 << (WNAF_WIDTH - 1) {
                w - (1 << WNAF_WIDTH)
            } else {
                w
            };
            digits[i] = d as i8;
            // x ← x − d
            if d > 0 {
                let mut borrow = d as u64;
                for l in x.iter_mut() {
                    let (v, b) = l.overflowing_sub(borrow);
                    *l = v;
                    borrow = b as u64;
                }
            } else {
                let mut carry = (-d) as u64;
                for l in x.iter_mut() {
                    let (v, c) = l.overflowing_add(carry);
                    *l = v;
                    carry = c as u64;
                }
            }
        }
        for j in 0..4 {
            x[j] = (x[j] >> 1) | (x[j + 1] << 63);
        }
        x[4] >>= 1;
        i += 1;
    }
    digits
}

/// `k·P` for a variable point (wNAF, Jacobian); `k` as little-endian limbs (any 256-bit value).
pub fn mul_vartime(p: &Affine, k: &[u64; 4]) -> Jacobian {
    let table = odd_multiples(p);
    let digits = wnaf(k);
    let mut acc = Jacobian::IDENTITY;
    for &d in digits.iter().rev() {
        acc = acc.double();
        if d > 0 {
            acc = acc.add(&table[(d as usize) / 2]);
        } else if d < 0 {
            acc = acc.add(&table[(-d as usize) / 2].neg());
        }
    }
    acc
}

/// P, 3P, 5P, …, 15P.
fn odd_multiples(p: &Affine) -> [Jacobian; 8] {
    let p1 = p.to_jacobian();
    let p2 = p1.double();
    let mut t = [p1; 8];
    for i in 1..8 {
        t[i] = t[i - 1].add(&p2);
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;
    use p256::elliptic_curve::group::Group;
    use p256::elliptic_curve::sec1::{FromEncodedPoint, ToEncodedPoint};
    use p256::elliptic_curve::PrimeField;
    use p256::{AffinePoint, EncodedPoint, FieldElement, ProjectivePoint, Scalar};
    use proptest::prelude::*;

    fn theirs(a: &Fe) -> FieldElement {
        FieldElement::from_repr(a.to_be_bytes().into()).unwrap()
    }

    fn fe(be: [u8; 32]) -> Fe {
        // Reduce any 32 bytes below p so every input is usable.
        let mut l = limbs_be(&be);
        while !less(&l, &P) {
            l = sub4(&l, &P).0;
        }
        Fe::from_be_bytes(&be_bytes(&l)).unwrap()
    }

    fn edge_elements() -> Vec<Fe> {
        let pm1 = be_bytes(&sub4(&P, &[1, 0, 0, 0]).0);
        let pm2 = be_bytes(&sub4(&P, &[2, 0, 0, 0]).0);
        let mut v = vec![
            Fe::ZERO,
            Fe::ONE,
            Fe::from_u64(2),
            Fe::from_be_bytes(&pm1).unwrap(),
            Fe::from_be_bytes(&pm2).unwrap(),
            Fe::from_be_bytes(&[0xff; 32]).unwrap_or(Fe::ONE),
        ];
        // 2^k and 2^k − 1 at every limb boundary and p's structural bits.
        for k in [32usize, 63, 64, 96, 128, 191, 192, 224, 255] {
            let mut l = [0u64; 4];
            l[k / 64] = 1 << (k % 64);
            v.push(Fe::from_be_bytes(&be_bytes(&l)).unwrap());
            let m1 = sub4(&l, &[1, 0, 0, 0]).0;
            v.push(Fe::from_be_bytes(&be_bytes(&m1)).unwrap());
        }
        v
    }

    #[test]
    fn constants_are_what_they_claim() {
        assert_eq!(Fe::ONE.to_canonical(), [1, 0, 0, 0]);
        assert_eq!(Fe(R2).to_canonical(), Fe::from_u64(1).0); // R² ·R⁻¹ = R
        assert_eq!(P[0].wrapping_mul(P_NEG_INV).wrapping_add(1), 0);
        assert_eq!(N[0].wrapping_mul(N_NEG_INV).wrapping_add(1), 0);
        let g = ProjectivePoint::GENERATOR.to_affine();
        assert_eq!(
            Affine::generator().to_uncompressed().as_slice(),
            g.to_encoded_point(false).as_bytes()
        );
        assert!(Affine::generator().is_on_curve());
        assert_eq!(Fe::from_be_bytes(&be_bytes(&P)), None);
    }

    #[test]
    fn field_operations_match_p256_on_edge_elements() {
        let edges = edge_elements();
        for a in &edges {
            assert_eq!(theirs(&a.square()), theirs(a).square(), "{a:?}");
            assert_eq!(theirs(&a.neg()), -theirs(a));
            assert_eq!(theirs(&a.double()), theirs(a).double());
            match a.invert_vartime() {
                Some(i) => assert_eq!(theirs(&i), theirs(a).invert().unwrap()),
                None => assert!(a.is_zero()),
            }
            for b in &edges {
                assert_eq!(theirs(&a.mul(b)), theirs(a) * theirs(b), "{a:?} {b:?}");
                assert_eq!(theirs(&a.add(b)), theirs(a) + theirs(b));
                assert_eq!(theirs(&a.sub(b)), theirs(a) - theirs(b));
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]
        #[test]
        fn field_operations_match_p256(a in any::<[u8; 32]>(), b in any::<[u8; 32]>()) {
            let (a, b) = (fe(a), fe(b));
            let (ta, tb) = (theirs(&a), theirs(&b));
            prop_assert_eq!(theirs(&a.mul(&b)), ta * tb);
            prop_assert_eq!(theirs(&a.square()), ta.square());
            prop_assert_eq!(theirs(&a.add(&b)), ta + tb);
            prop_assert_eq!(theirs(&a.sub(&b)), ta - tb);
            if !a.is_zero() {
                prop_assert_eq!(theirs(&a.invert_vartime().unwrap()), ta.invert().unwrap());
            }
            prop_assert_eq!(a.sqrt().map(|r| theirs(&r.square())), Option::<FieldElement>::from(ta.sqrt()).map(|r| r.square()));
        }

        #[test]
        fn point_arithmetic_matches_p256(a in 1u64.., b in 1u64.., k in any::<[u8; 32]>()) {
            let (pa, pb) = (
                ProjectivePoint::GENERATOR * Scalar::from(a),
                ProjectivePoint::GENERATOR * Scalar::from(b),
            );
            let ours = |p: &ProjectivePoint| {
                Affine::from_uncompressed(p.to_affine().to_encoded_point(false).as_bytes()).unwrap()
            };
            let back = |j: Jacobian| match j.to_affine() {
                None => ProjectivePoint::IDENTITY,
                Some(q) => ProjectivePoint::from(
                    AffinePoint::from_encoded_point(&EncodedPoint::from_bytes(q.to_uncompressed()).unwrap()).unwrap(),
                ),
            };
            let (oa, ob) = (ours(&pa), ours(&pb));
            // A Jacobian point with z ≠ 1 for the mixed and general additions.
            let ja = oa.to_jacobian().double().add_affine(&oa.neg()); // = a·G, z ≠ 1
            prop_assert_eq!(back(ja), pa);
            prop_assert_eq!(back(ja.add_affine(&ob)), pa + pb);
            prop_assert_eq!(back(ja.add(&ob.to_jacobian().double())), pa + pb.double());
            prop_assert_eq!(back(ja.double()), pa.double());
            prop_assert_eq!(back(ja.add_affine(&oa)), pa.double());
            prop_assert_eq!(back(ja.add_affine(&oa.neg())), ProjectivePoint::IDENTITY);
            prop_assert_eq!(back(ja.add(&ja)), pa.double());
            prop_assert_eq!(back(ja.add(&ja.neg())), ProjectivePoint::IDENTITY);
            let k = limbs_be(&k);
            let sk = <Scalar as p256::elliptic_curve::ops::Reduce<p256::U256>>::reduce_bytes(&be_bytes(&k).into());
            prop_assert_eq!(back(mul_vartime(&oa, &k)), pa * sk);
        }
    }

    #[test]
    fn batch_inversion_matches_single_inversions() {
        let g = Affine::generator();
        let mut pts = vec![Jacobian::IDENTITY];
        let mut acc = g.to_jacobian();
        for _ in 0..20 {
            acc = acc.double().add_affine(&g);
            pts.push(acc);
        }
        pts.push(Jacobian::IDENTITY);
        let batch = batch_to_affine(&pts);
        for (p, b) in pts.iter().zip(&batch) {
            assert_eq!(p.to_affine(), *b);
        }
    }

    #[test]
    fn wnaf_digits_recompose_the_scalar_and_are_sparse() {
        let mut rng = crate::sim::rng::Rngs::new(9);
        let mut cases = vec![[0u64; 4], [1, 0, 0, 0], [u64::MAX; 4], N];
        for _ in 0..200 {
            let mut b = [0u8; 32];
            rng.fill("k", &mut b);
            cases.push(limbs_be(&b));
        }
        for k in cases {
            let d = wnaf(&k);
            // Recompose with p256 scalars mod n and compare with k mod n.
            let mut acc = Scalar::ZERO;
            for &x in d.iter().rev() {
                acc = acc.double()
                    + Scalar::from(x.unsigned_abs() as u64)
                        * if x < 0 { -Scalar::ONE } else { Scalar::ONE };
            }
            let want = <Scalar as p256::elliptic_curve::ops::Reduce<p256::U256>>::reduce_bytes(
                &be_bytes(&k).into(),
            );
            assert_eq!(acc, want);
            for (i, &x) in d.iter().enumerate() {
                if x != 0 {
                    assert!(x % 2 != 0 && x.abs() < 16);
                    assert!(d[i + 1..(i + 5).min(257)].iter().all(|&y| y == 0));
                }
            }
        }
    }
}
