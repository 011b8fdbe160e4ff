//! The settings of spec C: names, scopes, defaults and what values they take. A reseller without
//! its own value of an owner-scoped setting inherits admin's.

use std::sync::Arc;

use crate::model::DEVICE_TYPES;

/// Where a setting lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// One value per owner scope (admin = 0, each reseller).
    Owner,
    /// One global value, admin's.
    Admin,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Bool,
    /// A non-negative integer.
    Count,
    /// An API secret key: empty (no key) or at least 6 characters.
    SecretKey,
    /// A device type name.
    DeviceType,
    /// Empty or a positive integer id.
    OptionalId,
    /// Any non-empty text.
    NonEmptyText,
    /// Any text.
    Text,
}

#[derive(Debug)]
pub struct Setting {
    pub name: &'static str,
    pub scope: Scope,
    pub default: &'static str,
    pub kind: Kind,
}

/// MOR's default registration notice (spec E.1); the first line ends with a space.
pub const DEFAULT_REGISTRATION_NOTICE: &str = "*ATTENTION! These settings are for you to configure your DEVICE. \nIn order to login to this system you need to use settings you have entered before!";

const fn setting(name: &'static str, scope: Scope, default: &'static str, kind: Kind) -> Setting {
    Setting {
        name,
        scope,
        default,
        kind,
    }
}

use Kind::*;
use Scope::{Admin, Owner};

pub static SETTINGS: &[Setting] = &[
    setting("allow_api", Owner, "0", Bool),
    setting("allow_get_api", Admin, "0", Bool),
    setting("api_secret_key", Owner, "", SecretKey),
    setting("disable_hash_checking", Owner, "0", Bool),
    setting("api_allow_registration", Owner, "0", Bool),
    setting("xml_api_extension", Admin, "0", Bool),
    setting("asterisk_server_ip", Admin, "127.0.0.1", NonEmptyText),
    setting("registration_notice", Owner, DEFAULT_REGISTRATION_NOTICE, Text),
    setting("send_email_to_user_after_registration", Owner, "0", Bool),
    setting("send_email_to_admin_after_registration", Owner, "0", Bool),
    setting("send_email_to_reseller_after_registration", Owner, "0", Bool),
    setting("default_user_password_length", Owner, "6", Count),
    setting("default_user_username_length", Owner, "1", Count),
    setting("use_strong_passwords_for_users", Admin, "0", Bool),
    setting("allow_short_passwords_in_devices", Admin, "0", Bool),
    setting("use_registration_credentials_for_device", Owner, "0", Bool),
    setting("allow_identical_email_addresses_to_different_users", Admin, "0", Bool),
    setting("registration_enable_vat_checking", Owner, "0", Bool),
    setting("registration_allow_vat_blank", Owner, "1", Bool),
    setting("default_device_type", Owner, "SIP", DeviceType),
    setting("device_pin_length", Admin, "6", Count),
    setting("device_range_min", Admin, "101", Count),
    setting("device_range_max", Admin, "99999", Count),
    setting("resellers_can_add_their_own_dids", Admin, "0", Bool),
    setting("reseller_default_did_provider_id", Owner, "", OptionalId),
    setting("resellers_allow_use_virtual_device", Admin, "0", Bool),
    setting("resellers_allow_use_dahdi_device", Admin, "0", Bool),
    setting("allow_resellers_to_use_admin_tariffs", Admin, "0", Bool),
    setting("sip_realm", Admin, "asterisk", NonEmptyText),
];

pub fn find(name: &str) -> Option<&'static Setting> {
    SETTINGS.iter().find(|s| s.name == name)
}

impl Setting {
    /// Checks a value for this setting; the error is a one-line message for the operator.
    pub fn validate(&self, value: &str) -> Result<(), String> {
        let ok = match self.kind {
            Bool => matches!(value, "0" | "1"),
            Count => !value.is_empty() && value.len() <= 9 && value.bytes().all(|b| b.is_ascii_digit()),
            SecretKey => value.is_empty() || value.chars().count() >= 6,
            DeviceType => DEVICE_TYPES.iter().any(|t| t.eq_ignore_ascii_case(value)),
            OptionalId => {
                value.is_empty() || (value.len() <= 18 && value.bytes().all(|b| b.is_ascii_digit()) && value != "0")
            }
            NonEmptyText => !value.trim().is_empty(),
            Text => true,
        };
        if ok {
            return Ok(());
        }
        let wanted = match self.kind {
            Bool => "0 or 1",
            Count => "a whole number of at most 9 digits",
            SecretKey => "empty (no key) or at least 6 characters",
            DeviceType => "one of SIP, PJSIP, IAX2, FAX, Virtual, H323, dahdi, ZAP, Skype",
            OptionalId => "empty or a positive id",
            NonEmptyText => "a non-empty text",
            Text => "any text",
        };
        Err(format!("invalid value for {}: expected {wanted}", self.name))
    }

    /// The value to store: device types are kept in their canonical spelling.
    pub fn canonical(&self, value: &str) -> String {
        match self.kind {
            DeviceType => crate::model::canonical_device_type(value).unwrap_or(value).to_string(),
            _ => value.to_string(),
        }
    }
}

/// The stored settings rows of one owner scope.
pub type StoredSettings = foldhash::HashMap<String, String>;

/// The settings in force for one owner scope: the scope's own rows, then admin's, then defaults.
#[derive(Debug, Clone)]
pub struct Resolved {
    own: Arc<StoredSettings>,
    admin: Arc<StoredSettings>,
}

impl Resolved {
    pub fn new(own: Arc<StoredSettings>, admin: Arc<StoredSettings>) -> Resolved {
        Resolved { own, admin }
    }

    /// The value in force. Panics only on a name missing from [`SETTINGS`] (a programming error
    /// caught by every test that reaches the call).
    pub fn get(&self, name: &str) -> &str {
        let setting = find(name).unwrap_or_else(|| panic!("unknown setting {name}"));
        let own = match setting.scope {
            Owner => self.own.get(name),
            Admin => None,
        };
        own.or_else(|| self.admin.get(name))
            .map(String::as_str)
            .unwrap_or(setting.default)
    }

    pub fn is_on(&self, name: &str) -> bool {
        self.get(name) == "1"
    }

    pub fn number(&self, name: &str) -> i64 {
        self.get(name).parse().unwrap_or(0)
    }

    /// Admin's value, ignoring the scope's own rows.
    pub fn admin(&self, name: &str) -> &str {
        let setting = find(name).unwrap_or_else(|| panic!("unknown setting {name}"));
        self.admin.get(name).map(String::as_str).unwrap_or(setting.default)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reseller_inherits_admin_until_it_has_its_own_value() {
        let admin: StoredSettings = [("allow_api".to_string(), "1".to_string())].into_iter().collect();
        let mut own = StoredSettings::default();
        let r = Resolved::new(Arc::new(own.clone()), Arc::new(admin.clone()));
        assert_eq!(r.get("allow_api"), "1");
        assert_eq!(r.get("device_pin_length"), "6");
        own.insert("allow_api".into(), "0".into());
        own.insert("allow_get_api".into(), "1".into()); // admin-scoped: ignored for a reseller
        let r = Resolved::new(Arc::new(own), Arc::new(admin));
        assert_eq!(r.get("allow_api"), "0");
        assert_eq!(r.get("allow_get_api"), "0");
    }

    #[test]
    fn validates_values() {
        assert!(find("allow_api").unwrap().validate("2").is_err());
        assert!(find("api_secret_key").unwrap().validate("12345").is_err());
        assert!(find("api_secret_key").unwrap().validate("").is_ok());
        assert!(find("default_device_type").unwrap().validate("iax2").is_ok());
        assert_eq!(find("default_device_type").unwrap().canonical("iax2"), "IAX2");
        assert!(find("device_pin_length").unwrap().validate("-1").is_err());
    }
}
