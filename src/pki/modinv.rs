//! Modular inversion by Bernstein–Yang "divsteps" (variable time), for 256-bit odd moduli
//! (P-256's p for affine conversions, its order n for ECDSA's `k⁻¹`).
//!
//! A fleet run inverts seven times per CSR (three affine conversions, three scalar inverses
//! for the two signatures and the verification, one for the key). The binary extended Euclid this
//! replaces spent most of its ≈ 2.2 µs on unpredictable branches over full 256-bit values.
//! Here the decisions are taken 62 at a time on the low 64 bits of `f` and `g` only
//! ([`divsteps_62`]), collected into a 2×2 matrix that is then applied once to the full
//! values ([`update_fg`]) and to the Bézout coefficients ([`update_de`]).
//!
//! Numbers are held in five signed 62-bit limbs (`Σ limbs[i]·2^(62·i)`, the top limb signed,
//! the others in `[0, 2^62)` after each update), so one product of a matrix entry (< 2^62)
//! by a limb fits an `i128` with room for the sums.
//!
//! The invariants: `f ≡ d·a` and `g ≡ e·a (mod m)`, starting from `f = m, d = 0, g = a,
//! e = 1`. Each round divides the new `f`, `g` by 2^62 exactly; the same division is done
//! on `d`, `e` modulo m by first adding the multiple of m that clears their low 62 bits.
//! When `g` reaches 0, `f = ±gcd = ±1`, so `a⁻¹ = ±d`.

/// Divsteps per round: the matrix entries stay below 2^62 in magnitude.
const STEPS: u32 = 62;
const M62: u64 = u64::MAX >> 2;
const LIMBS: usize = 5;

type Signed62 = [i64; LIMBS];

/// Transition matrix of 62 divsteps: `2^62·(f', g') = (u·f + v·g, q·f + r·g)`.
#[derive(Clone, Copy, Debug)]
struct Matrix {
    u: i64,
    v: i64,
    q: i64,
    r: i64,
}

/// 62 divsteps on the low bits of `f` (odd) and `g`, with `eta = −δ`. Runs of zeros in `g`
/// are skipped at once; while `f` stays fixed (δ ≤ 0) up to six steps that each add `f` or
/// not are merged into one `g += w·f` with `w = −g/f mod 2^k`.
fn divsteps_62(mut eta: i64, f0: u64, g0: u64) -> (i64, Matrix) {
    let (mut u, mut v, mut q, mut r) = (1u64, 0u64, 0u64, 1u64);
    let (mut f, mut g) = (f0, g0);
    let mut left = STEPS;
    loop {
        // g even: halve it (the f row doubles, as the matrix is kept scaled by 2^steps).
        let zeros = (g | (u64::MAX << left)).trailing_zeros();
        g >>= zeros;
        u <<= zeros;
        v <<= zeros;
        eta -= zeros as i64;
        left -= zeros;
        if left == 0 {
            break;
        }
        // g odd. δ > 0: the divstep swaps, (f, g) ← (g, −f) and δ ← −δ, before adding.
        if eta < 0 {
            eta = -eta;
            (f, g) = (g, f.wrapping_neg());
            (u, q) = (q, u.wrapping_neg());
            (v, r) = (r, v.wrapping_neg());
        }
        // Now f stays fixed for the next min(eta + 1, left) steps: clear that many low bits
        // of g (at most 6) by adding w·f. f·(f² − 2) ≡ −f⁻¹ (mod 64) for odd f.
        let bits = (eta + 1).min(left as i64).min(6) as u32;
        let mask = (1u64 << bits) - 1;
        let w = f
            .wrapping_mul(g)
            .wrapping_mul(f.wrapping_mul(f).wrapping_sub(2))
            & mask;
        g = g.wrapping_add(f.wrapping_mul(w));
        q = q.wrapping_add(u.wrapping_mul(w));
        r = r.wrapping_add(v.wrapping_mul(w));
        debug_assert_eq!(g & mask, 0);
    }
    let t = Matrix {
        u: u as i64,
        v: v as i64,
        q: q as i64,
        r: r as i64,
    };
    (eta, t)
}

/// `(f, g) ← (u·f + v·g, q·f + r·g) / 2^62` (exact by construction).
fn update_fg(f: &mut Signed62, g: &mut Signed62, t: Matrix) {
    let (u, v, q, r) = (t.u as i128, t.v as i128, t.q as i128, t.r as i128);
    let mut cf = u * f[0] as i128 + v * g[0] as i128;
    let mut cg = q * f[0] as i128 + r * g[0] as i128;
    debug_assert!(cf as u64 & M62 == 0 && cg as u64 & M62 == 0);
    cf >>= STEPS;
    cg >>= STEPS;
    for i in 1..LIMBS {
        cf += u * f[i] as i128 + v * g[i] as i128;
        cg += q * f[i] as i128 + r * g[i] as i128;
        f[i - 1] = (cf as u64 & M62) as i64;
        g[i - 1] = (cg as u64 & M62) as i64;
        cf >>= STEPS;
        cg >>= STEPS;
    }
    f[LIMBS - 1] = cf as i64;
    g[LIMBS - 1] = cg as i64;
}

/// `(d, e) ← (u·d + v·e, q·d + r·e) / 2^62 mod m`, each kept in `[0, m)`.
fn update_de(d: &mut Signed62, e: &mut Signed62, t: Matrix, m: &Signed62, m_neg_inv: u64) {
    let (u, v, q, r) = (t.u as i128, t.v as i128, t.q as i128, t.r as i128);
    let low_d = (u * d[0] as i128 + v * e[0] as i128) as u64;
    let low_e = (q * d[0] as i128 + r * e[0] as i128) as u64;
    // md·m clears the low 62 bits: md = −low·m⁻¹ mod 2^62.
    let md = (low_d.wrapping_mul(m_neg_inv) & M62) as i128;
    let me = (low_e.wrapping_mul(m_neg_inv) & M62) as i128;
    let mut cd = u * d[0] as i128 + v * e[0] as i128 + md * m[0] as i128;
    let mut ce = q * d[0] as i128 + r * e[0] as i128 + me * m[0] as i128;
    debug_assert!(cd as u64 & M62 == 0 && ce as u64 & M62 == 0);
    cd >>= STEPS;
    ce >>= STEPS;
    for i in 1..LIMBS {
        cd += u * d[i] as i128 + v * e[i] as i128 + md * m[i] as i128;
        ce += q * d[i] as i128 + r * e[i] as i128 + me * m[i] as i128;
        d[i - 1] = (cd as u64 & M62) as i64;
        e[i - 1] = (ce as u64 & M62) as i64;
        cd >>= STEPS;
        ce >>= STEPS;
    }
    d[LIMBS - 1] = cd as i64;
    e[LIMBS - 1] = ce as i64;
    // |u| + |v| ≤ 2^62 and d, e, md < m·2^62 / 2^62: the results lie in (−m, 2m).
    normalize(d, m);
    normalize(e, m);
}

/// Bring `x` ∈ (−m, 2m), limbs below the top in `[0, 2^62)`, into `[0, m)`.
fn normalize(x: &mut Signed62, m: &Signed62) {
    if x[LIMBS - 1] < 0 {
        add_signed(x, m, 1);
    } else if !less(x, m) {
        add_signed(x, m, -1);
    }
}

/// `x + sign·y` (sign ±1), carrying so the limbs below the top are in `[0, 2^62)`.
fn add_signed(x: &mut Signed62, y: &Signed62, sign: i64) {
    let mut c = 0i64;
    for i in 0..LIMBS {
        let s = x[i] + sign * y[i] + c;
        if i < LIMBS - 1 {
            x[i] = s & M62 as i64;
            c = s >> STEPS;
        } else {
            x[i] = s;
        }
    }
}

/// `x < y` for non-negative normalized values.
fn less(x: &Signed62, y: &Signed62) -> bool {
    for i in (0..LIMBS).rev() {
        if x[i] != y[i] {
            return x[i] < y[i];
        }
    }
    false
}

fn to_signed62(a: &[u64; 4]) -> Signed62 {
    [
        (a[0] & M62) as i64,
        ((a[0] >> 62 | a[1] << 2) & M62) as i64,
        ((a[1] >> 60 | a[2] << 4) & M62) as i64,
        ((a[2] >> 58 | a[3] << 6) & M62) as i64,
        (a[3] >> 56) as i64,
    ]
}

fn from_signed62(x: &Signed62) -> [u64; 4] {
    let x = x.map(|l| l as u64);
    [
        x[0] | x[1] << 62,
        x[1] >> 2 | x[2] << 60,
        x[2] >> 4 | x[3] << 58,
        x[3] >> 6 | x[4] << 56,
    ]
}

/// `a⁻¹ mod m` for odd `m < 2^256`, `0 < a < m`, `gcd(a, m) = 1`; `m_neg_inv = −m⁻¹ mod 2^64`.
pub fn inv_mod(a: &[u64; 4], m: &[u64; 4], m_neg_inv: u64) -> [u64; 4] {
    let m62 = to_signed62(m);
    let (mut f, mut g) = (m62, to_signed62(a));
    let (mut d, mut e): (Signed62, Signed62) = ([0; LIMBS], [1, 0, 0, 0, 0]);
    let mut eta = -1i64;
    // (OR of the limbs: an array comparison compiles to a `memcmp` call here.)
    while g.iter().fold(0, |acc, &l| acc | l) != 0 {
        let (next, t) = divsteps_62(eta, f[0] as u64, g[0] as u64);
        eta = next;
        update_fg(&mut f, &mut g, t);
        update_de(&mut d, &mut e, t, &m62, m_neg_inv);
    }
    // f = ±1 ≡ d·a.
    debug_assert!(
        f == [1, 0, 0, 0, 0] || f == [M62 as i64, M62 as i64, M62 as i64, M62 as i64, -1]
    );
    if f[LIMBS - 1] < 0 && d != [0; LIMBS] {
        let mut neg = m62;
        add_signed(&mut neg, &d, -1);
        d = neg;
    }
    from_signed62(&d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pki::p256field::{be_bytes, limbs_be, N, N_NEG_INV, P};

    /// `a·b ≡ 1 (mod m)` by p256's own field and scalar arithmetic.
    fn is_inverse(a: &[u64; 4], b: &[u64; 4], m: &[u64; 4]) -> bool {
        use p256::elliptic_curve::PrimeField;
        let (a, b) = (be_bytes(a).into(), be_bytes(b).into());
        if *m == N {
            let (a, b) = (
                p256::Scalar::from_repr(a).unwrap(),
                p256::Scalar::from_repr(b).unwrap(),
            );
            a * b == p256::Scalar::ONE
        } else {
            let (a, b) = (
                p256::FieldElement::from_repr(a).unwrap(),
                p256::FieldElement::from_repr(b).unwrap(),
            );
            a * b == p256::FieldElement::ONE
        }
    }

    #[test]
    fn signed62_round_trip() {
        for a in [[0u64; 4], [u64::MAX; 4], P, N, [1, 2, 3, 4]] {
            assert_eq!(from_signed62(&to_signed62(&a)), a);
        }
    }

    /// a·a⁻¹ ≡ 1 for edge values and 3,000 random ones, modulo p and n.
    #[test]
    fn inverses_multiply_to_one() {
        let mut r = crate::sim::rng::Rngs::new(5);
        for (m, ninv) in [(P, 1u64), (N, N_NEG_INV)] {
            let mut cases: Vec<[u64; 4]> = vec![[1, 0, 0, 0], [2, 0, 0, 0], [3, 0, 0, 0]];
            let mut m1 = m;
            m1[0] -= 1;
            let mut m2 = m;
            m2[0] -= 2;
            cases.extend([m1, m2]);
            for bit in [61, 62, 63, 64, 123, 124, 125, 186, 248, 255] {
                let mut x = [0u64; 4];
                x[bit / 64] = 1 << (bit % 64);
                if x < m || bit < 255 {
                    cases.push(x);
                }
            }
            for _ in 0..1500 {
                let mut b = [0u8; 32];
                r.fill("inv", &mut b);
                let x = limbs_be(&b);
                if x != [0; 4] && x.iter().rev().lt(m.iter().rev()) {
                    cases.push(x);
                }
            }
            assert!(cases.len() > 1400, "random cases below m");
            for a in cases {
                let inv = inv_mod(&a, &m, ninv);
                assert!(inv.iter().rev().lt(m.iter().rev()), "reduced: {a:x?}");
                assert!(is_inverse(&a, &inv, &m), "a = {a:x?}");
            }
        }
    }
}
