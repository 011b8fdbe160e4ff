//! The objects the API reads and writes (spec D), and the role rules over them.

mod devices;
mod dids;
mod providers;
mod users;

pub use devices::*;
pub use dids::*;
pub use providers::*;
pub use users::*;

/// Unicode simple case folding, used for every case-insensitive name (usernames, group names).
/// Characters whose lowercase is more than one character keep their own form.
pub fn fold_case(text: &str) -> String {
    text.chars()
        .map(|c| {
            let mut lower = c.to_lowercase();
            match (lower.next(), lower.next()) {
                (Some(l), None) => l,
                _ => c,
            }
        })
        .collect()
}

pub fn is_digits(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit())
}

/// A row id from a request value: digits only, within i64.
pub fn parse_id(text: &str) -> Option<i64> {
    if !is_digits(text) || text.len() > 18 {
        return None;
    }
    text.parse().ok()
}

/// Today's date (UTC) as `YYYY-MM-DD`.
pub fn today() -> String {
    let date = time::OffsetDateTime::now_utc().date();
    format!("{:04}-{:02}-{:02}", date.year(), u8::from(date.month()), date.day())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_device_types() {
        assert_eq!(canonical_device_type("sip"), Some("SIP"));
        assert_eq!(canonical_device_type("zap"), Some("dahdi"));
        assert_eq!(canonical_device_type("virtual"), Some("Virtual"));
        assert_eq!(canonical_device_type("SCCP"), None);
    }

    #[test]
    fn case_folding() {
        assert_eq!(fold_case("JoHn"), "john");
        assert_eq!(fold_case("ÅSA"), "åsa");
    }

    #[test]
    fn ids() {
        assert_eq!(parse_id("007"), Some(7));
        assert_eq!(parse_id(""), None);
        assert_eq!(parse_id("1a"), None);
        assert_eq!(parse_id("99999999999999999999"), None);
    }
}
