//! Generated values (spec D.2, D.6) and password hashing. Generated values come from rand's
//! thread generator (ChaCha, seeded from the OS and reseeded periodically: seeding a generator
//! from the OS for every value cost two `getrandom` calls per `device_create`); argon2 salts come
//! straight from the OS. User login passwords are stored only as argon2id PHC strings.

use argon2::password_hash::phc::{Output, ParamsString, PasswordHash, Salt};
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Block, Params, RECOMMENDED_SALT_LEN, Version};
use md5::{Digest, Md5};
use rand::rngs::SysRng;
use rand::seq::SliceRandom;
use rand::{RngExt, TryRng};

const LOWER: &[u8] = b"abcdefghjkmnpqrstuvwxyz";
const UPPER: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ";
const DIGITS: &[u8] = b"23456789";
const LOWER_AND_DIGITS: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
const ALPHANUMERIC: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

fn pick(alphabet: &[u8], count: usize, rng: &mut impl rand::Rng) -> Vec<u8> {
    (0..count)
        .map(|_| alphabet[rng.random_range(0..alphabet.len())])
        .collect()
}

/// A user's immutable 10-character `[a-z0-9]` uniquehash.
pub fn uniquehash() -> String {
    let mut rng = rand::rng();
    String::from_utf8(pick(b"abcdefghijklmnopqrstuvwxyz0123456789", 10, &mut rng)).unwrap_or_default()
}

/// A 12-character device secret; with strong passwords, 4 lower, 4 upper and 4 digits shuffled.
pub fn device_secret(strong: bool) -> String {
    let mut rng = rand::rng();
    let mut chars = if strong {
        let mut c = pick(LOWER, 4, &mut rng);
        c.extend(pick(UPPER, 4, &mut rng));
        c.extend(pick(DIGITS, 4, &mut rng));
        c.shuffle(&mut rng);
        c
    } else {
        pick(LOWER_AND_DIGITS, 12, &mut rng)
    };
    chars.truncate(12);
    String::from_utf8(chars).unwrap_or_default()
}

/// `length` random decimal digits.
pub fn pin(length: usize) -> String {
    let mut rng = rand::rng();
    String::from_utf8(pick(b"0123456789", length, &mut rng)).unwrap_or_default()
}

/// A random alphanumeric token (generated admin passwords and API keys).
pub fn token(length: usize) -> String {
    let mut rng = rand::rng();
    String::from_utf8(pick(ALPHANUMERIC, length, &mut rng)).unwrap_or_default()
}

/// The SIP digest HA1 a switch can use instead of the secret: `md5(username:realm:secret)`.
pub fn sip_ha1(username: &str, realm: &str, secret: &str) -> String {
    hex::encode(Md5::digest(format!("{username}:{realm}:{secret}").as_bytes()))
}

/// argon2id cost. Defaults are the argon2 crate's (OWASP's minimum: 19 MiB, 2 passes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PasswordCost {
    pub memory_kib: u32,
    pub iterations: u32,
}

impl Default for PasswordCost {
    fn default() -> Self {
        PasswordCost {
            memory_kib: Params::DEFAULT_M_COST,
            iterations: Params::DEFAULT_T_COST,
        }
    }
}

impl PasswordCost {
    fn hasher(self) -> Argon2<'static> {
        let params = Params::new(self.memory_kib, self.iterations, 1, None).unwrap_or_else(|_| Params::default());
        Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
    }

    /// The argon2id PHC string of `password`. CPU-heavy: call it off the async threads.
    pub fn hash(self, password: &str) -> String {
        self.hasher()
            .hash_password(password.as_bytes())
            .map(|h| h.to_string())
            .expect("argon2 hashing with valid params cannot fail")
    }

    /// The same PHC string as [`PasswordCost::hash`], computed in `memory`, which is sized to the
    /// cost once and then reused: a thread that hashes many passwords keeps one buffer. (A fresh
    /// allocation of the cost per hash left freed 19 MiB blocks in whichever allocator arena had
    /// served them: hundreds of MiB of RSS after a burst of sign-ups.)
    pub fn hash_in(self, password: &str, memory: &mut Vec<Block>) -> String {
        let hasher = self.hasher();
        let params = hasher.params().clone();
        memory.resize(params.block_count(), Block::default());
        let mut salt = [0u8; RECOMMENDED_SALT_LEN];
        SysRng
            .try_fill_bytes(&mut salt)
            .expect("the OS random source is unavailable");
        let mut output = [0u8; Params::DEFAULT_OUTPUT_LEN];
        hasher
            .hash_password_into_with_memory(password.as_bytes(), &salt, &mut output, &mut memory[..])
            .expect("argon2 hashing with valid params cannot fail");
        PasswordHash {
            algorithm: Algorithm::Argon2id.ident(),
            version: Some(Version::V0x13.into()),
            params: ParamsString::try_from(&params).expect("argon2 parameters always render"),
            salt: Some(Salt::new(&salt).expect("a 16-byte salt is valid")),
            hash: Some(Output::new(&output).expect("a 32-byte output is valid")),
        }
        .to_string()
    }
}

/// Checks a password against a stored PHC string (constant time inside argon2).
pub fn verify_password(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc)
        .map(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_values_have_their_shapes() {
        let h = uniquehash();
        assert_eq!(h.len(), 10);
        assert!(h.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()));
        let s = device_secret(false);
        assert_eq!(s.len(), 12);
        assert!(s.bytes().all(|b| LOWER_AND_DIGITS.contains(&b)));
        let s = device_secret(true);
        assert_eq!(s.bytes().filter(|b| UPPER.contains(b)).count(), 4);
        assert_eq!(s.bytes().filter(|b| DIGITS.contains(b)).count(), 4);
        assert_eq!(pin(6).len(), 6);
    }

    #[test]
    fn ha1_matches_rfc_2617_form() {
        // printf %s '101:asterisk:secret' | md5sum
        assert_eq!(sip_ha1("101", "asterisk", "secret"), "ea4b721a303504abce7e8baffe482c78");
    }

    #[test]
    fn passwords_round_trip_through_argon2id() {
        let cost = PasswordCost {
            memory_kib: 1024,
            iterations: 1,
        };
        let phc = cost.hash("s3cret!");
        assert!(phc.starts_with("$argon2id$"));
        assert!(verify_password("s3cret!", &phc));
        assert!(!verify_password("other", &phc));
        // Computed in a reused buffer: the same form, and it verifies the same way.
        let mut memory = Vec::new();
        for password in ["s3cret!", "another one"] {
            let phc_in = cost.hash_in(password, &mut memory);
            assert_eq!(
                phc_in.split('$').take(4).collect::<Vec<_>>(),
                phc.split('$').take(4).collect::<Vec<_>>()
            );
            assert_eq!(phc_in.len(), phc.len());
            assert!(verify_password(password, &phc_in));
            assert!(!verify_password("other", &phc_in));
        }
    }
}
