//! Users, permission groups and sign-up.

use async_trait::async_trait;

use super::{CreatedDevice, NewDevice, StoreResult};
use crate::model::{DefaultUser, PermissionGroup, User, UserChanges, UserDeletion, UserDetails, UserType};

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

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registered {
    pub user_id: i64,
    pub device: CreatedDevice,
}

#[async_trait]
pub trait UserStore: Send + Sync {
    async fn user_by_id(&self, id: i64) -> StoreResult<Option<User>>;
    /// Case-insensitive (Unicode simple case folding).
    async fn user_by_username(&self, username: &str) -> StoreResult<Option<User>>;
    async fn user_by_uniquehash(&self, uniquehash: &str) -> StoreResult<Option<User>>;
    /// Case-insensitive, over every user.
    async fn email_in_use(&self, email: &str) -> StoreResult<bool>;
    async fn default_user(&self, owner_id: i64) -> StoreResult<Option<DefaultUser>>;
    async fn permission_group(&self, id: i64) -> StoreResult<Option<PermissionGroup>>;
    /// Whether a permission group has this name, case-insensitively.
    async fn group_name_in_use(&self, name: &str) -> StoreResult<bool>;
    /// A user with its `primary` device group (and rights group, templates), one transaction.
    async fn create_user(&self, user: NewUser) -> StoreResult<i64>;
    /// User, device group, default device and CLIs together, or nothing.
    async fn register(&self, user: NewUser, device: NewDevice) -> StoreResult<Registered>;
    async fn create_permission_group(&self, group: NewPermissionGroup) -> StoreResult<i64>;
    /// Every column `user_details_get` shows, with the country's name.
    async fn user_details(&self, id: i64) -> StoreResult<Option<UserDetails>>;
    /// Users ordered by id, at most `limit`: those owned by `owner_id`, or with `None` every
    /// user except admin.
    async fn users_list(&self, owner_id: Option<i64>, limit: usize) -> StoreResult<Vec<UserDetails>>;
    /// Like [`email_in_use`](Self::email_in_use), ignoring the user `except_id`.
    async fn email_in_use_by_other(&self, email: &str, except_id: i64) -> StoreResult<bool>;
    /// Applies the changes that are set; `false` when the user does not exist.
    async fn update_user(&self, id: i64, changes: UserChanges) -> StoreResult<bool>;
    /// Deletes a user with its devices, their CLIs and its device groups in one transaction,
    /// unless a DID still belongs to it or (a reseller) it still owns users or providers.
    async fn delete_user(&self, id: i64) -> StoreResult<UserDeletion>;
}
