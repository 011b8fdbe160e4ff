//! Storage behind one trait. The HTTP layer decides every message; a backend answers lookups and
//! performs each write atomically, enforcing uniqueness with database constraints and reporting a
//! lost race as [`StoreError::Conflict`].

use std::sync::Arc;

use async_trait::async_trait;

use crate::model::{DefaultUser, DeviceGroup, PermissionGroup, Provider, User, UserType};
use crate::settings::StoredSettings;

pub mod sqlite;

/// Which uniqueness rule a write ran into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unique {
    Username,
    Email,
    Cli,
    Pin,
    Did,
    GroupName,
    DeviceUsername,
    Extension,
    Other,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("uniqueness conflict: {0:?}")]
    Conflict(Unique),
    #[error("no free extension in the device range")]
    NoFreeExtension,
    #[error("no unused PIN found")]
    NoFreePin,
    #[error("database error: {0}")]
    Backend(String),
}

pub type StoreResult<T> = Result<T, StoreError>;

/// The admin row and install defaults written by `moray init` (spec C "Install", D.5).
#[derive(Debug, Clone)]
pub struct NewAdmin {
    pub password_hash: String,
    pub api_secret_key: String,
    pub uniquehash: String,
}

#[derive(Debug, Clone)]
pub struct NewPermissionGroup {
    pub name: String,
    pub description: String,
    /// `accountant` or `reseller`.
    pub group_type: &'static str,
    pub rights: Vec<(String, i64)>,
}

/// A user row to insert. The backend adds `agreement_number` (next per owner), the user's
/// `primary` device group, and for a new reseller copies of admin's templates.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub username: String,
    pub password_hash: String,
    pub usertype: UserType,
    pub owner_id: i64,
    pub uniquehash: String,
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    /// Whether the e-mail takes part in the uniqueness constraint.
    pub email_unique: bool,
    pub address: String,
    pub city: String,
    pub postcode: String,
    pub county: String,
    pub state: String,
    pub country_id: i64,
    pub phone: String,
    pub mob_phone: String,
    pub fax: String,
    pub client_id: String,
    pub vat_number: String,
    pub acc_group_id: i64,
    /// A rights group created with the user (accountants from the CLI); overrides `acc_group_id`.
    pub rights_group: Option<NewPermissionGroup>,
    pub own_providers: bool,
    pub tariff_id: i64,
    pub lcr_id: i64,
    pub currency: String,
    pub postpaid: bool,
    pub credit: f64,
    pub balance: f64,
    pub call_limit: i64,
    pub language: String,
    pub hidden: bool,
    pub agreement_date: String,
    pub accounting_number: String,
}

/// How a new device gets its PIN.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PinChoice {
    /// `length` random digits, unused by any device.
    Random(usize),
    Pinless,
    Given(String),
}

/// A device row to insert (spec D.6, E.2).
#[derive(Debug, Clone)]
pub struct NewDevice {
    pub user_id: i64,
    /// Owner scope whose Default Device template fills the unset fields.
    pub template_owner: i64,
    pub device_type: String,
    /// Explicit device username; `None` means "the extension".
    pub username: Option<String>,
    /// Explicit extension; `None` means the smallest free one in `extension_range`.
    pub extension: Option<String>,
    pub extension_range: (i64, i64),
    pub secret: String,
    pub sip_realm: String,
    pub pin: PinChoice,
    pub description: String,
    /// `None` means the user's `primary` group, created if missing.
    pub devicegroup_id: Option<i64>,
    pub callerid: String,
    pub location_id: Option<i64>,
    pub timeout: Option<i64>,
    pub fromuser: String,
    pub clis: Vec<(String, &'static str)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreatedDevice {
    pub id: i64,
    pub username: String,
    pub secret: String,
    pub pin: Option<String>,
    pub extension: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registered {
    pub user_id: i64,
    pub device: CreatedDevice,
}

#[derive(Debug, Clone)]
pub struct NewDid {
    pub did: String,
    pub provider_id: i64,
    pub reseller_id: i64,
    pub custom_sip_header: String,
    pub comment: String,
    pub reseller_comment: String,
}

#[derive(Debug, Clone)]
pub struct NewProvider {
    pub name: String,
    pub owner_id: i64,
    pub tech: String,
    pub tariff_id: i64,
}

#[async_trait]
pub trait Store: Send + Sync + 'static {
    // ---- install and settings ----
    async fn is_initialized(&self) -> StoreResult<bool>;
    /// Writes admin and the install defaults unless admin exists; `false` when it already did.
    async fn initialize(&self, admin: NewAdmin) -> StoreResult<bool>;
    /// The stored settings rows of one owner scope.
    async fn settings(&self, owner_id: i64) -> StoreResult<StoredSettings>;
    async fn set_setting(&self, owner_id: i64, name: &str, value: &str) -> StoreResult<()>;
    async fn unset_setting(&self, owner_id: i64, name: &str) -> StoreResult<()>;

    // ---- lookups ----
    async fn user_by_id(&self, id: i64) -> StoreResult<Option<User>>;
    /// Case-insensitive (Unicode simple case folding).
    async fn user_by_username(&self, username: &str) -> StoreResult<Option<User>>;
    async fn user_by_uniquehash(&self, uniquehash: &str) -> StoreResult<Option<User>>;
    /// Case-insensitive, over every user.
    async fn email_in_use(&self, email: &str) -> StoreResult<bool>;
    async fn cli_in_use(&self, cli: &str) -> StoreResult<bool>;
    async fn country_exists(&self, id: i64) -> StoreResult<bool>;
    /// The owner scope of an LCR, tariff or location, if it exists.
    async fn lcr_owner(&self, id: i64) -> StoreResult<Option<i64>>;
    async fn tariff_owner(&self, id: i64) -> StoreResult<Option<i64>>;
    async fn location_owner(&self, id: i64) -> StoreResult<Option<i64>>;
    async fn permission_group(&self, id: i64) -> StoreResult<Option<PermissionGroup>>;
    /// Whether a permission group has this name, case-insensitively.
    async fn group_name_in_use(&self, name: &str) -> StoreResult<bool>;
    async fn default_user(&self, owner_id: i64) -> StoreResult<Option<DefaultUser>>;
    async fn device_group(&self, id: i64) -> StoreResult<Option<DeviceGroup>>;
    async fn pin_in_use(&self, pin: &str) -> StoreResult<bool>;
    /// Whether a device uses this text as its extension or its username.
    async fn device_name_in_use(&self, name: &str) -> StoreResult<bool>;
    async fn provider(&self, id: i64) -> StoreResult<Option<Provider>>;
    async fn did_exists(&self, did: &str) -> StoreResult<bool>;

    // ---- writes, each one transaction ----
    /// A user with its `primary` device group (and rights group, templates).
    async fn create_user(&self, user: NewUser) -> StoreResult<i64>;
    /// User, device group, default device and CLIs together, or nothing.
    async fn register(&self, user: NewUser, device: NewDevice) -> StoreResult<Registered>;
    async fn create_device(&self, device: NewDevice) -> StoreResult<CreatedDevice>;
    async fn create_did(&self, did: NewDid) -> StoreResult<i64>;
    async fn create_permission_group(&self, group: NewPermissionGroup) -> StoreResult<i64>;
    async fn create_provider(&self, provider: NewProvider) -> StoreResult<i64>;
}

pub type DynStore = Arc<dyn Store>;

/// Opens the database a URL names, creating and migrating it as needed.
pub async fn open(url: &str) -> anyhow::Result<DynStore> {
    let (scheme, _) = url.split_once(':').unwrap_or(("", url));
    match scheme {
        "sqlite" => Ok(Arc::new(sqlite::SqliteStore::open(url).await?)),
        "postgres" | "postgresql" | "mysql" | "mariadb" => {
            anyhow::bail!("the {scheme} backend is not available in this build yet; use a sqlite:// URL")
        }
        _ => anyhow::bail!("unsupported database URL {url:?}: expected sqlite://PATH (e.g. sqlite://moray.db)"),
    }
}
