//! DIDs: creation, lookups, the `dids_get` listing and life-cycle writes (spec D.7, E.3, F.10–F.14).

use async_trait::async_trait;

use super::StoreResult;
use crate::model::{Did, DidStatus};

#[derive(Debug, Clone)]
pub struct NewDid {
    pub did: String,
    pub provider_id: i64,
    pub reseller_id: i64,
    pub custom_sip_header: String,
    pub comment: String,
    pub reseller_comment: String,
}

/// What `dids_get` selects. `None` means "no condition".
#[derive(Debug, Clone, Default)]
pub struct DidFilter {
    /// Visibility of a reseller caller: its own DIDs only.
    pub reseller_id: Option<i64>,
    /// Visibility of a plain-user caller: the DIDs it holds only.
    pub holder_id: Option<i64>,
    /// Substring of the DID number.
    pub number: Option<String>,
    pub status: Option<DidStatus>,
    /// Substring of the owner's display name, compared after Unicode simple case folding.
    pub owner: Option<String>,
    pub user_id: Option<i64>,
    pub device_id: Option<i64>,
    pub provider_id: Option<i64>,
    /// Compared case-insensitively (ASCII).
    pub language: Option<String>,
    pub hide_terminated: bool,
    /// Matching rows skipped, in id order.
    pub offset: usize,
    /// Matching rows returned at most.
    pub limit: usize,
}

/// One `dids_get` row with the names its conditional children print.
#[derive(Debug, Clone, PartialEq)]
pub struct DidListing {
    pub did: Did,
    pub provider_name: Option<String>,
    /// Display name of the reseller holding the DID (`reseller_id` ≠ 0).
    pub reseller_name: Option<String>,
    /// Display name of the user the DID is reserved for or assigned to (`user_id` ≠ 0).
    pub owner_name: Option<String>,
    /// `TYPE/name` of the assigned device (`device_id` ≠ 0).
    pub device: Option<String>,
}

/// The columns the life-cycle methods change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DidState {
    pub status: DidStatus,
    pub reseller_id: i64,
    pub user_id: i64,
    pub device_id: i64,
    pub call_limit: i64,
}

impl DidState {
    pub fn of(did: &Did) -> DidState {
        DidState {
            status: did.status,
            reseller_id: did.reseller_id,
            user_id: did.user_id,
            device_id: did.device_id,
            call_limit: did.call_limit,
        }
    }
}

/// Rows that must still exist when a DID write runs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DidGuard {
    /// This user.
    pub user: Option<i64>,
    /// This device, still belonging to this user: (device id, user id).
    pub device: Option<(i64, i64)>,
}

#[async_trait]
pub trait DidStore: Send + Sync {
    async fn did_exists(&self, did: &str) -> StoreResult<bool>;
    async fn create_did(&self, did: NewDid) -> StoreResult<i64>;
    async fn did_by_id(&self, id: i64) -> StoreResult<Option<Did>>;
    /// Exact match on the number.
    async fn did_by_number(&self, did: &str) -> StoreResult<Option<Did>>;
    /// One page of DIDs, ordered by id.
    async fn dids(&self, filter: DidFilter) -> StoreResult<Vec<DidListing>>;
    /// Compare-and-set: writes `new` only if the row still has state `expected` and `guard`
    /// holds; `false` when anything changed meanwhile (the caller re-reads and decides again).
    async fn update_did(&self, id: i64, expected: DidState, new: DidState, guard: DidGuard) -> StoreResult<bool>;
}
