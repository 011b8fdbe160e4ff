//! Providers (spec D.5, E.3, F.16, F.17).

use async_trait::async_trait;

use super::StoreResult;
use crate::model::{Provider, ProviderDetails};

#[derive(Debug, Clone)]
pub struct NewProvider {
    pub name: String,
    pub owner_id: i64,
    pub tech: String,
    pub tariff_id: i64,
}

/// Provider columns to change; `None` leaves a column as it is.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProviderChange {
    pub name: Option<String>,
    pub tariff_id: Option<i64>,
    pub server_ip: Option<String>,
    pub port: Option<i64>,
    pub login: Option<String>,
    pub password: Option<String>,
    pub hidden: Option<bool>,
    pub active: Option<bool>,
    pub timeout: Option<i64>,
    pub call_limit: Option<i64>,
    pub dtmfmode: Option<String>,
    pub location_id: Option<i64>,
}

/// The outcome of `delete_provider`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProviderDeletion {
    Deleted,
    /// No provider with this id in this owner scope.
    NotFound,
    /// A DID still references the provider.
    HasDids,
}

#[async_trait]
pub trait ProviderStore: Send + Sync {
    async fn provider(&self, id: i64) -> StoreResult<Option<Provider>>;
    async fn create_provider(&self, provider: NewProvider) -> StoreResult<i64>;
    async fn provider_details(&self, id: i64) -> StoreResult<Option<ProviderDetails>>;
    /// The providers of one owner scope, by id, at most `limit`.
    async fn providers(&self, owner_id: i64, limit: usize) -> StoreResult<Vec<ProviderDetails>>;
    /// Inserts the provider and applies `change` in the same write.
    async fn create_provider_with(&self, provider: NewProvider, change: ProviderChange) -> StoreResult<i64>;
    /// `false` when no provider with this id belongs to `owner_id` (any more).
    async fn update_provider(&self, id: i64, owner_id: i64, change: ProviderChange) -> StoreResult<bool>;
    /// Deletes the provider of `owner_id` unless a DID references it, atomically.
    async fn delete_provider(&self, id: i64, owner_id: i64) -> StoreResult<ProviderDeletion>;
}
