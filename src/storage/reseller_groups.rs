//! Reseller groups as `reseller_groups_get` lists them (spec F.15). Creation lives with the
//! permission groups in `UserStore`.

use async_trait::async_trait;

use super::StoreResult;
use crate::model::ResellerGroup;

#[async_trait]
pub trait ResellerGroupStore: Send + Sync {
    /// Permission groups of type `reseller`, by id, at most `limit`.
    async fn reseller_groups(&self, limit: usize) -> StoreResult<Vec<ResellerGroup>>;
}
