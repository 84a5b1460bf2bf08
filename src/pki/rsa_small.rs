//! RSA signature verification for the 1024..2047-bit keys Go 1.24 still accepts and ring's
//! legacy algorithms do not cover: PKCS#1 v1.5 with SHA-384, and RSASSA-PSS (SHA-256/384/512,
//! MGF1 with the same hash, the hash's length as salt: the only PSS parameters Go's x509
//! knows). RFC 8017's EMSA-PKCS1-v1_5 and EMSA-PSS-VERIFY over crypto-bigint's Montgomery
//! residues; variable time, public data only.

use crypto_bigint::modular::runtime_mod::{DynResidue, DynResidueParams};
use crypto_bigint::{Encoding, Integer, U2048};

const WIDTH: usize = 256;

/// The digest of a signature.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Hash {
    Sha256,
    Sha384,
    Sha512,
}

impl Hash {
    /// Digest length in bytes.
    pub fn output_len(self) -> usize {
        self.algorithm().output_len()
    }
    fn algorithm(self) -> &'static ring::digest::Algorithm {
        match self {
            Hash::Sha256 => &ring::digest::SHA256,
            Hash::Sha384 => &ring::digest::SHA384,
            Hash::Sha512 => &ring::digest::SHA512,
        }
    }
    fn digest(self, data: &[u8]) -> Vec<u8> {
        ring::digest::digest(self.algorithm(), data)
            .as_ref()
            .to_vec()
    }
    /// The DER `DigestInfo` prefix of EMSA-PKCS1-v1_5 (RFC 8017 §9.2, note 1).
    fn digest_info_prefix(self) -> &'static [u8] {
        match self {
            Hash::Sha256 => &[
                0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
                0x01, 0x05, 0x00, 0x04, 0x20,
            ],
            Hash::Sha384 => &[
                0x30, 0x41, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
                0x02, 0x05, 0x00, 0x04, 0x30,
            ],
            Hash::Sha512 => &[
                0x30, 0x51, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
                0x03, 0x05, 0x00, 0x04, 0x40,
            ],
        }
    }
}

/// The padding scheme.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scheme {
    Pkcs1v15,
    /// Salt length equal to the hash length.
    Pss,
}

/// A big-endian byte string (at most 256 bytes, leading zeros allowed) as an integer.
fn int(bytes: &[u8]) -> Option<U2048> {
    let bytes = &bytes[bytes.iter().take_while(|&&b| b == 0).count()..];
    if bytes.len() > WIDTH {
        return None;
    }
    let mut buf = [0u8; WIDTH];
    buf[WIDTH - bytes.len()..].copy_from_slice(bytes);
    Some(U2048::from_be_slice(&buf))
}

/// Does `sig` sign `message` for the key (`modulus`, `exponent`, big-endian)? `None` (a
/// refusal too) when the key or the signature cannot even be read as numbers.
pub fn verify(
    modulus: &[u8],
    exponent: &[u8],
    scheme: Scheme,
    hash: Hash,
    message: &[u8],
    sig: &[u8],
) -> Option<bool> {
    let n = int(modulus)?;
    let e = int(exponent)?;
    let mod_bits = n.bits_vartime();
    let k = mod_bits.div_ceil(8);
    // Go's VerifyPKCS1v15/VerifyPSS: the signature is exactly k bytes and below n
    if sig.len() != k || !bool::from(n.is_odd()) {
        return None;
    }
    let s = int(sig)?;
    if s >= n {
        return None;
    }
    let params = DynResidueParams::new(&n);
    let m = DynResidue::new(&s, params)
        .pow_bounded_exp(&e, e.bits_vartime())
        .retrieve();
    let em_full = m.to_be_bytes();
    let em = &em_full[WIDTH - k..];
    let h = hash.digest(message);
    Some(match scheme {
        Scheme::Pkcs1v15 => {
            let t: Vec<u8> = [hash.digest_info_prefix(), &h].concat();
            if k < t.len() + 11 {
                return None;
            }
            let mut want = vec![0x00, 0x01];
            want.resize(k - t.len() - 1, 0xff);
            want.push(0x00);
            want.extend_from_slice(&t);
            em == want.as_slice()
        }
        Scheme::Pss => emsa_pss_verify(&h, em, mod_bits - 1, hash)?,
    })
}

/// MGF1 with `hash` (RFC 8017 §B.2.1).
fn mgf1(seed: &[u8], len: usize, hash: Hash) -> Vec<u8> {
    let mut out = Vec::with_capacity(len);
    let mut counter: u32 = 0;
    while out.len() < len {
        out.extend_from_slice(&hash.digest(&[seed, &counter.to_be_bytes()].concat()));
        counter += 1;
    }
    out.truncate(len);
    out
}

/// EMSA-PSS-VERIFY (RFC 8017 §9.1.2) with the salt as long as the hash. `em` is the
/// k-byte integer `s^e mod n`; the encoded message is its last ⌈emBits/8⌉ bytes.
fn emsa_pss_verify(m_hash: &[u8], em: &[u8], em_bits: usize, hash: Hash) -> Option<bool> {
    let h_len = m_hash.len();
    let s_len = h_len;
    let em_len = em_bits.div_ceil(8);
    // the k-byte value has one more leading byte when emBits is a multiple of 8
    let (lead, em) = em.split_at(em.len() - em_len);
    if lead.iter().any(|&b| b != 0) || em_len < h_len + s_len + 2 || em[em_len - 1] != 0xbc {
        return Some(false);
    }
    let (masked_db, rest) = em.split_at(em_len - h_len - 1);
    let h = &rest[..h_len];
    let top_bits = 8 * em_len - em_bits;
    if top_bits > 0 && masked_db[0] >> (8 - top_bits) != 0 {
        return Some(false);
    }
    let mut db: Vec<u8> = masked_db
        .iter()
        .zip(mgf1(h, masked_db.len(), hash))
        .map(|(a, b)| a ^ b)
        .collect();
    if top_bits > 0 {
        db[0] &= 0xff >> top_bits;
    }
    let ps_len = em_len - h_len - s_len - 2;
    if db[..ps_len].iter().any(|&b| b != 0) || db[ps_len] != 0x01 {
        return Some(false);
    }
    let salt = &db[db.len() - s_len..];
    let m_prime = [&[0u8; 8][..], m_hash, salt].concat();
    Some(hash.digest(&m_prime) == h)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// MGF1-SHA-256 of the empty seed, first bytes (SHA-256 of four zero bytes).
    #[test]
    fn mgf1_is_counter_mode_hashing() {
        let want = ring::digest::digest(&ring::digest::SHA256, &[0, 0, 0, 0]);
        assert_eq!(mgf1(b"", 16, Hash::Sha256), want.as_ref()[..16].to_vec());
        let two = mgf1(b"x", 40, Hash::Sha256);
        let second = ring::digest::digest(&ring::digest::SHA256, b"x\0\0\0\x01");
        assert_eq!(two[32..], second.as_ref()[..8]);
    }

    /// A signature of the wrong length or not below n is refused before any arithmetic.
    #[test]
    fn malformed_signatures_are_refused() {
        let n = [0xc5u8; 128];
        let v = |sig: &[u8]| verify(&n, &[1, 0, 1], Scheme::Pkcs1v15, Hash::Sha384, b"m", sig);
        assert_eq!(v(&[1; 127]), None);
        assert_eq!(v(&[0xff; 128]), None);
    }
}
