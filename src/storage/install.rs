//! Install rows, settings, and lookups with no API of their own.

use async_trait::async_trait;

use super::StoreResult;
use crate::settings::StoredSettings;

/// The admin row and install defaults written by `moray init` (spec C "Install", D.5).
#[derive(Debug, Clone)]
pub struct NewAdmin {
    pub password_hash: String,
    pub api_secret_key: String,
    pub uniquehash: String,
}

#[async_trait]
pub trait InstallStore: Send + Sync {
    async fn is_initialized(&self) -> StoreResult<bool>;
    /// Writes admin and the install defaults unless admin exists; `false` when it already did.
    async fn initialize(&self, admin: NewAdmin) -> StoreResult<bool>;
    /// The stored settings rows of one owner scope.
    async fn settings(&self, owner_id: i64) -> StoreResult<StoredSettings>;
    async fn set_setting(&self, owner_id: i64, name: &str, value: &str) -> StoreResult<()>;
    async fn unset_setting(&self, owner_id: i64, name: &str) -> StoreResult<()>;
    async fn country_exists(&self, id: i64) -> StoreResult<bool>;
    /// The owner scope of an LCR, tariff or location, if it exists.
    async fn lcr_owner(&self, id: i64) -> StoreResult<Option<i64>>;
    async fn tariff_owner(&self, id: i64) -> StoreResult<Option<i64>>;
    async fn location_owner(&self, id: i64) -> StoreResult<Option<i64>>;
}
