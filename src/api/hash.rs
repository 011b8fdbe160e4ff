//! MOR's request hash (spec B): SHA-1 over the values of a method's hashed parameters, in the
//! method's order, followed by the secret key. Pure functions, shared by the server and
//! `moray hash`.

use sha1::{Digest, Sha1};
use subtle::ConstantTimeEq;

use super::params::Params;

/// The parameter lists a method accepts, primary list first, then the Compat lists.
/// `None` means the method is not hash-checked at all.
pub type HashLists = Option<&'static [&'static [&'static str]]>;

/// The string hashed for one list: present values in list order, then the key.
/// With `normalize_user_id`, `user_id` is rendered as MOR's integer (B.3).
pub fn hashed_string(list: &[&str], params: &Params, key: &str, normalize_user_id: bool) -> String {
    let mut out = String::new();
    for name in list {
        let Some(value) = params.get(name) else { continue };
        if normalize_user_id && *name == "user_id" {
            if let Some(normalized) = normalized_user_id(value) {
                out.push_str(&normalized);
            }
        } else {
            out.push_str(value);
        }
    }
    out.push_str(key);
    out
}

/// MOR hashes `user_id` as an integer: digits lose leading zeros, empty is `0`, and anything
/// else is left out of the string (B.3).
fn normalized_user_id(value: &str) -> Option<String> {
    if value.is_empty() {
        return Some("0".into());
    }
    if !value.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let trimmed = value.trim_start_matches('0');
    Some(if trimmed.is_empty() { "0".into() } else { trimmed.into() })
}

pub fn sha1_hex(text: &str) -> String {
    hex::encode(Sha1::digest(text.as_bytes()))
}

/// Whether `submitted` matches any candidate: every list, every key, `user_id` raw and
/// normalised. Compares in constant time against all candidates without stopping early.
pub fn verify(submitted: Option<&str>, lists: &[&[&str]], params: &Params, keys: &[&str]) -> bool {
    let mut digest = [0u8; 20];
    let Some(submitted) = submitted.filter(|s| s.len() == 40) else {
        return false;
    };
    if hex::decode_to_slice(submitted, &mut digest).is_err() {
        return false;
    }
    // The values part of each candidate (the key comes after it). Lists often yield the same
    // part (`user_id` already in MOR's form, a Compat list that adds an absent parameter): each
    // distinct part is hashed once per key. Only request text is compared here, never a key.
    let mut parts: Vec<String> = Vec::with_capacity(lists.len() * 2);
    // The normalised `user_id` yields another part only when normalising changes the value.
    let user_id = params.get("user_id");
    let normalizing_changes = user_id.is_some_and(|v| normalized_user_id(v).as_deref() != Some(v));
    for list in lists {
        for normalize in [false, true] {
            if normalize && !(normalizing_changes && list.contains(&"user_id")) {
                continue;
            }
            let part = hashed_string(list, params, "", normalize);
            if !parts.contains(&part) {
                parts.push(part);
            }
        }
    }
    let mut matched = subtle::Choice::from(0u8);
    for key in keys {
        for part in &parts {
            let candidate = Sha1::new().chain_update(part).chain_update(key).finalize();
            matched |= candidate.as_slice().ct_eq(&digest);
        }
    }
    matched.into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> Params {
        let mut p = Params::new();
        for (k, v) in pairs {
            p.insert(*k, *v);
        }
        p
    }

    /// (hashed list, request parameters, key, expected SHA-1)
    type Vector<'a> = (&'a [&'a str], &'a [(&'a str, &'a str)], &'a str, &'a str);

    /// Spec B.7 vectors.
    #[test]
    fn spec_vectors() {
        let cases: &[Vector] = &[
            (
                &["a", "b", "c"],
                &[("a", "123"), ("b", "1252454580"), ("c", "answered")],
                "Very Sercet Key",
                "b93c35d5c6183288322122561a3da7e09abb63b7",
            ),
            (
                &["user_id", "description", "pin", "type", "devicegroup_id", "caller_id"],
                &[("user_id", "2"), ("description", "desription1"), ("pin", "3")],
                "secret",
                "6e79d4a82f68102f43be11d873177f47817f84df",
            ),
            (
                &["provider_id"],
                &[("provider_id", "1"), ("did", "123456789")],
                "secret",
                "bc2f114099d16656d37e45fd9e8744cb9386d462",
            ),
            (
                &["provider_id", "did"],
                &[("provider_id", "1"), ("did", "123456789")],
                "secret",
                "cb9dff0d59f7ffaf036d55b57c817bf528edb54a",
            ),
            (
                &[],
                &[("did", "123456789")],
                "secret",
                "e5e9fa1ba31ecd1ae84f75caaa474f3a663f05f4",
            ),
            (
                &["device", "location_id"],
                &[("device", "2"), ("location_id", "7")],
                "secret",
                "297dab8c386794b2e947d52affb8f576c643569e",
            ),
            (
                &["u", "p"],
                &[("u", "admin"), ("p", "admin1")],
                "secret",
                "c420ef706a02e6449994b7575b25ef5f74cc722b",
            ),
            (
                &["user_id"],
                &[("user_id", "100")],
                "456789",
                "71516eea4850f7e0300ac86adf9fb64bca845aa7",
            ),
            (
                &["device_id", "device_u"],
                &[("device_id", "5")],
                "456789",
                "65fd575c441513bd114b84c7dbdb01e0f2716d27",
            ),
            (
                &["device"],
                &[("device", "123")],
                "456789",
                "f7c3bc1d808e04732adf679965ccc34ca7ae3441",
            ),
            (
                &["name"],
                &[("name", "Another Reseller Group")],
                "secret",
                "1bc97e7c9ae39130046c034076d063db798dcab7",
            ),
            (
                &["user_id"],
                &[("user_id", "581")],
                "asdfghjkl",
                "b3b8a6f4063a0569212c91098627a9c394283bd6",
            ),
            (
                &[
                    "email",
                    "id",
                    "lcr_id",
                    "device_type",
                    "username",
                    "first_name",
                    "last_name",
                    "caller_id",
                    "state",
                    "device_location_id",
                ],
                &[
                    ("email", "john@example.com"),
                    ("id", "hfttv7bcqt"),
                    ("device_type", "SIP"),
                    ("username", "john"),
                    ("first_name", "John"),
                    ("last_name", "Doe"),
                    ("password", "x"),
                ],
                "secret",
                "07e4a5195113fbebfa7b3cb258569ace3e4d56f0",
            ),
        ];
        for (list, pairs, key, expected) in cases {
            let p = params(pairs);
            assert_eq!(sha1_hex(&hashed_string(list, &p, key, false)), *expected, "{list:?}");
            assert!(verify(Some(expected), &[list], &p, &[key]));
        }
    }

    #[test]
    fn user_id_is_accepted_raw_and_normalised() {
        let p = params(&[("user_id", "007")]);
        let raw = sha1_hex("007k");
        let normalized = sha1_hex("7k");
        assert!(verify(Some(&raw), &[&["user_id"]], &p, &["k"]));
        assert!(verify(Some(&normalized), &[&["user_id"]], &p, &["k"]));
        let p = params(&[("user_id", "")]);
        assert!(verify(Some(&sha1_hex("0k")), &[&["user_id"]], &p, &["k"]));
        let p = params(&[("user_id", "x1")]);
        assert!(verify(Some(&sha1_hex("k")), &[&["user_id"]], &p, &["k"]));
    }

    #[test]
    fn submitted_hash_is_case_insensitive_and_must_be_40_hex() {
        let p = params(&[("name", "g")]);
        let good = sha1_hex("gk").to_uppercase();
        assert!(verify(Some(&good), &[&["name"]], &p, &["k"]));
        assert!(!verify(Some("sd5g16sd1g6s"), &[&["name"]], &p, &["k"]));
        assert!(!verify(None, &[&["name"]], &p, &["k"]));
    }
}
