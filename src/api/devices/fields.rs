//! Value rules of `device_update` fields that MOR does not spell out (spec F.8 "any other invalid
//! value"): device usernames, secrets, IP-authentication hosts and ports, caller ids.

use std::net::IpAddr;

/// A SIP username: printable ASCII without spaces or the characters that delimit SIP URIs and
/// caller-id strings.
pub fn valid_username(text: &str) -> bool {
    !text.is_empty() && text.len() <= 80 && text.bytes().all(|b| b.is_ascii_graphic() && !b":@<>\"\\".contains(&b))
}

/// A device secret: any text without control characters (XML cannot carry them back).
pub fn valid_secret(text: &str) -> bool {
    !text.is_empty() && text.len() <= 80 && !text.chars().any(char::is_control)
}

/// An IP-authentication host: an IPv4/IPv6 address or a DNS name (not `dynamic`).
pub fn valid_host(text: &str) -> bool {
    if text.parse::<IpAddr>().is_ok() {
        return true;
    }
    text.len() <= 253
        && !text.eq_ignore_ascii_case("dynamic")
        && text.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}

/// The `ipaddr` stored with an IP-authentication host: the address itself, or empty for a name.
pub fn ipaddr_of(host: &str) -> String {
    match host.parse::<IpAddr>() {
        Ok(_) => host.to_owned(),
        Err(_) => String::new(),
    }
}

/// A port number in 1..=65535.
pub fn parse_port(text: &str) -> Option<i64> {
    if !crate::model::is_digits(text) || text.len() > 5 {
        return None;
    }
    text.parse::<i64>().ok().filter(|p| (1..=65535).contains(p))
}

/// An integer as sent (optional leading `-`), within i64.
pub fn parse_integer(text: &str) -> Option<i64> {
    let digits = text.strip_prefix('-').unwrap_or(text);
    if !crate::model::is_digits(digits) || digits.len() > 18 {
        return None;
    }
    text.parse().ok()
}

/// A stored caller id `"name" <number>` (or `<number>`, or a bare number) split into
/// (name, number).
pub fn split_callerid(stored: &str) -> (String, String) {
    let stored = stored.trim();
    let mut name = String::new();
    let mut rest = stored;
    if let Some(after) = stored.strip_prefix('"')
        && let Some(end) = after.find('"')
    {
        name = after[..end].to_owned();
        rest = &after[end + 1..];
    }
    let number = match (rest.find('<'), rest.rfind('>')) {
        (Some(open), Some(close)) if open < close => rest[open + 1..close].to_owned(),
        _ if name.is_empty() => rest.trim().to_owned(),
        _ => String::new(),
    };
    (name, number)
}

/// The stored form `"name" <number>`; `<number>` without a name; empty when both are.
pub fn join_callerid(name: &str, number: &str) -> String {
    match (name.is_empty(), number.is_empty()) {
        (true, true) => String::new(),
        (true, false) => format!("<{number}>"),
        (false, _) => format!("\"{name}\" <{number}>"),
    }
}

/// A caller-id name that the stored form can hold.
pub fn valid_callerid_name(text: &str) -> bool {
    !text.chars().any(|c| c.is_control() || matches!(c, '"' | '<' | '>'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn callerid_round_trips() {
        assert_eq!(
            split_callerid("\"John Doe\" <370600>"),
            ("John Doe".into(), "370600".into())
        );
        assert_eq!(split_callerid("<370600>"), (String::new(), "370600".into()));
        assert_eq!(split_callerid("370600"), (String::new(), "370600".into()));
        assert_eq!(split_callerid(""), (String::new(), String::new()));
        assert_eq!(join_callerid("John", "1"), "\"John\" <1>");
        assert_eq!(join_callerid("", "1"), "<1>");
        assert_eq!(join_callerid("John", ""), "\"John\" <>");
        assert_eq!(join_callerid("", ""), "");
    }

    #[test]
    fn hosts_ports_and_names() {
        assert!(valid_host("192.168.0.10"));
        assert!(valid_host("::1"));
        assert!(valid_host("sip.example.com"));
        assert!(!valid_host("dynamic"));
        assert!(!valid_host("bad host"));
        assert!(!valid_host("a..b"));
        assert_eq!(ipaddr_of("10.0.0.1"), "10.0.0.1");
        assert_eq!(ipaddr_of("pbx.example.com"), "");
        assert_eq!(parse_port("5060"), Some(5060));
        assert_eq!(parse_port("0"), None);
        assert_eq!(parse_port("65536"), None);
        assert_eq!(parse_integer("-3"), Some(-3));
        assert_eq!(parse_integer("x"), None);
        assert!(valid_username("alice_1"));
        assert!(!valid_username("a b"));
        assert!(!valid_username("a:b"));
        assert!(valid_secret("pa ss wörd"));
        assert!(!valid_secret("a\u{1}b"));
    }
}
