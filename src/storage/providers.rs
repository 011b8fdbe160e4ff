//! Providers.

use async_trait::async_trait;

use super::StoreResult;
use crate::model::Provider;

#[derive(Debug, Clone)]
pub struct NewProvider {
    pub name: String,
    pub owner_id: i64,
    pub tech: String,
    pub tariff_id: i64,
}

#[async_trait]
pub trait ProviderStore: Send + Sync {
    async fn provider(&self, id: i64) -> StoreResult<Option<Provider>>;
    async fn create_provider(&self, provider: NewProvider) -> StoreResult<i64>;
}
