//! DIDs.

use async_trait::async_trait;

use super::StoreResult;

#[derive(Debug, Clone)]
pub struct NewDid {
    pub did: String,
    pub provider_id: i64,
    pub reseller_id: i64,
    pub custom_sip_header: String,
    pub comment: String,
    pub reseller_comment: String,
}

#[async_trait]
pub trait DidStore: Send + Sync {
    async fn did_exists(&self, did: &str) -> StoreResult<bool>;
    async fn create_did(&self, did: NewDid) -> StoreResult<i64>;
}
