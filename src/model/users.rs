//! Users, their types, rights and permission groups.

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
