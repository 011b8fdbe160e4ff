//! The objects the API reads and writes (spec D), and the role rules over them.

use std::collections::HashMap;

/// `usertype` (spec D.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserType {
    Admin,
    Accountant,
    Reseller,
    User,
}

impl UserType {
    pub fn as_str(self) -> &'static str {
        match self {
            UserType::Admin => "admin",
            UserType::Accountant => "accountant",
            UserType::Reseller => "reseller",
            UserType::User => "user",
        }
    }

    pub fn parse(text: &str) -> Option<UserType> {
        match text {
            "admin" => Some(UserType::Admin),
            "accountant" => Some(UserType::Accountant),
            "reseller" => Some(UserType::Reseller),
            "user" => Some(UserType::User),
            _ => None,
        }
    }
}

/// Accountant rights (spec D.3): 0 none, 1 read, 2 write.
pub const ACCOUNTANT_RIGHTS: &[&str] = &[
    "user_manage",
    "device_manage",
    "manage_dids",
    "callerid_manage",
    "manage_providers",
];

/// The six reseller-group flags (spec D.4).
pub const RESELLER_GROUP_RIGHTS: &[&str] = &[
    "calling_cards",
    "call_shop",
    "sms_addon",
    "payment_gateways",
    "autodialer",
    "pbx_functions",
];

pub type Rights = HashMap<String, i64>;

#[derive(Debug, Clone, PartialEq)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub password_hash: String,
    pub usertype: UserType,
    pub owner_id: i64,
    pub uniquehash: String,
    pub blocked: bool,
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub acc_group_id: i64,
    pub own_providers: bool,
    /// The rights of the user's permission group (accountants; empty for others).
    pub rights: Rights,
}

impl User {
    /// The owner scope whose key, settings and objects this user acts in (spec D.1).
    pub fn scope(&self) -> i64 {
        match self.usertype {
            UserType::Admin | UserType::Accountant => 0,
            UserType::Reseller => self.id,
            UserType::User => self.owner_id,
        }
    }

    pub fn right(&self, name: &str) -> i64 {
        self.rights.get(name).copied().unwrap_or(0)
    }

    /// Whether `target` is managed by this user: admin, accountant or reseller callers only,
    /// and only users owned directly by the caller's scope (spec D.1).
    pub fn manages(&self, target: &User) -> bool {
        self.usertype != UserType::User && target.id != 0 && target.owner_id == self.scope()
    }
}

/// Device types `device_create` accepts, in their stored spelling (spec E.2, G23).
pub const DEVICE_TYPES: &[&str] = &[
    "SIP", "PJSIP", "IAX2", "FAX", "Virtual", "H323", "dahdi", "ZAP", "Skype",
];

/// The stored spelling of a device type (case-insensitive; `ZAP` is stored as `dahdi`).
pub fn canonical_device_type(text: &str) -> Option<&'static str> {
    let found = DEVICE_TYPES.iter().find(|t| t.eq_ignore_ascii_case(text))?;
    Some(if *found == "ZAP" { "dahdi" } else { found })
}

#[derive(Debug, Clone, PartialEq)]
pub struct Provider {
    pub id: i64,
    pub name: String,
    pub owner_id: i64,
    pub hidden: bool,
}

/// Every provider column moray stores (spec D.5), for `providers_get` and the provider writes.
#[derive(Debug, Clone, PartialEq)]
pub struct ProviderDetails {
    pub id: i64,
    pub name: String,
    pub tech: String,
    pub tariff_id: i64,
    pub owner_id: i64,
    pub server_ip: String,
    pub port: i64,
    pub login: String,
    pub password: String,
    pub hidden: bool,
    pub active: bool,
    pub timeout: i64,
    pub dtmfmode: String,
    pub call_limit: i64,
    pub location_id: i64,
}

/// Provider technologies `provider_create` accepts, in their stored spelling (spec F.17).
pub const PROVIDER_TECHS: &[&str] = &["SIP", "IAX2", "H323"];

/// DTMF modes `provider_update` accepts (spec F.17).
pub const PROVIDER_DTMF_MODES: &[&str] = &["inband", "info", "rfc2833", "auto"];

/// A DID's status (spec D.7): stored lowercase, printed capitalised by `dids_get`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DidStatus {
    Free,
    Reserved,
    Active,
    Closed,
    Terminated,
}

impl DidStatus {
    pub const ALL: [DidStatus; 5] = [
        DidStatus::Free,
        DidStatus::Reserved,
        DidStatus::Active,
        DidStatus::Closed,
        DidStatus::Terminated,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DidStatus::Free => "free",
            DidStatus::Reserved => "reserved",
            DidStatus::Active => "active",
            DidStatus::Closed => "closed",
            DidStatus::Terminated => "terminated",
        }
    }

    /// The form `dids_get` prints: `Free`, `Reserved`, ….
    pub fn label(self) -> &'static str {
        match self {
            DidStatus::Free => "Free",
            DidStatus::Reserved => "Reserved",
            DidStatus::Active => "Active",
            DidStatus::Closed => "Closed",
            DidStatus::Terminated => "Terminated",
        }
    }

    /// Case-insensitive.
    pub fn parse(text: &str) -> Option<DidStatus> {
        DidStatus::ALL
            .into_iter()
            .find(|status| status.as_str().eq_ignore_ascii_case(text))
    }
}

/// A DID row (spec D.5).
#[derive(Debug, Clone, PartialEq)]
pub struct Did {
    pub id: i64,
    pub did: String,
    pub provider_id: i64,
    pub status: DidStatus,
    pub reseller_id: i64,
    pub user_id: i64,
    pub device_id: i64,
    /// 0 = unlimited.
    pub call_limit: i64,
    pub language: String,
    pub custom_sip_header: String,
    pub comment: String,
    pub reseller_comment: String,
}

/// A reseller group as `reseller_groups_get` lists it.
#[derive(Debug, Clone, PartialEq)]
pub struct ResellerGroup {
    pub id: i64,
    pub name: String,
    pub description: String,
}

/// A user's display name (spec F.10): `first_name last_name` trimmed, else the username.
pub fn display_name(first_name: &str, last_name: &str, username: &str) -> String {
    let full = format!("{first_name} {last_name}");
    let full = full.trim();
    if full.is_empty() {
        username.to_owned()
    } else {
        full.to_owned()
    }
}

/// A device row (spec D.5).
#[derive(Debug, Clone, PartialEq)]
pub struct Device {
    pub id: i64,
    pub user_id: i64,
    pub device_type: String,
    pub name: String,
    pub username: String,
    pub secret: String,
    pub ha1: String,
    pub extension: String,
    /// `None` = pinless.
    pub pin: Option<String>,
    pub description: String,
    pub devicegroup_id: i64,
    pub callerid: String,
    pub host: String,
    pub ipaddr: String,
    pub port: i64,
    pub context: String,
    pub location_id: i64,
    pub call_limit: i64,
    pub timeout: i64,
    pub fromuser: String,
    pub istrunk: i64,
    pub hidden: bool,
    pub comment: String,
    pub dtmfmode: String,
    pub nat: String,
    pub qualify: String,
    pub canreinvite: String,
    /// Codec list, comma-separated (`alaw,ulaw`).
    pub allow: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DeviceGroup {
    pub id: i64,
    pub user_id: i64,
    pub name: String,
}

/// A permission group row (reseller groups and accountant rights groups).
#[derive(Debug, Clone, PartialEq)]
pub struct PermissionGroup {
    pub id: i64,
    pub name: String,
    pub group_type: String,
}

/// The Default User template of an owner scope.
#[derive(Debug, Clone, PartialEq)]
pub struct DefaultUser {
    pub owner_id: i64,
    pub postpaid: bool,
    pub credit: f64,
    pub balance: f64,
    pub tariff_id: i64,
    pub lcr_id: i64,
    pub currency: String,
    pub language: String,
    pub call_limit: i64,
    pub hidden: bool,
}

/// A user row as `user_details_get` and `users_get` show it (spec D.5, F.2, F.3).
#[derive(Debug, Clone, PartialEq)]
pub struct UserDetails {
    pub id: i64,
    pub username: String,
    pub usertype: UserType,
    pub owner_id: i64,
    pub blocked: bool,
    pub hidden: bool,
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub address: String,
    pub city: String,
    pub postcode: String,
    pub county: String,
    pub state: String,
    pub country_id: i64,
    /// Name of `country_id` (empty when it names no country).
    pub country_name: String,
    pub phone: String,
    pub mob_phone: String,
    pub fax: String,
    pub client_id: String,
    pub vat_number: String,
    pub tariff_id: i64,
    pub lcr_id: i64,
    pub currency: String,
    pub postpaid: bool,
    /// -1 = unlimited.
    pub credit: f64,
    pub balance: f64,
    pub call_limit: i64,
    pub language: String,
    pub agreement_number: String,
    pub agreement_date: String,
}

/// The fields `user_details_update` changes; `None` leaves a field as it is (spec F.4).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UserChanges {
    pub username: Option<String>,
    pub password_hash: Option<String>,
    /// The new e-mail, and whether it takes part in the uniqueness constraint.
    pub email: Option<(String, bool)>,
    pub blocked: Option<bool>,
    pub hidden: Option<bool>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub client_id: Option<String>,
    pub vat_number: Option<String>,
    pub address: Option<String>,
    pub city: Option<String>,
    pub postcode: Option<String>,
    pub county: Option<String>,
    pub state: Option<String>,
    pub country_id: Option<i64>,
    pub phone: Option<String>,
    pub mob_phone: Option<String>,
    pub fax: Option<String>,
}

impl UserChanges {
    pub fn is_empty(&self) -> bool {
        *self == UserChanges::default()
    }
}

/// What `user_delete` found when it tried to delete a user (spec F.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserDeletion {
    /// The user, its devices (with their CLIs) and device groups are gone.
    Deleted,
    /// No such user (any more).
    NotFound,
    /// A reseller that still owns users or providers: nothing changed.
    OwnsObjects,
    /// A DID still belongs to the user (or routes to one of its devices): nothing changed.
    HasDids,
}

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
