//! Storage behind traits, one per method family, and one module per backend. The HTTP layer
//! decides every message; a backend answers lookups and performs each write atomically, enforcing
//! uniqueness with database constraints and reporting a lost race as [`StoreError::Conflict`].

use std::sync::Arc;

mod devices;
mod dids;
mod install;
mod providers;
mod reseller_groups;
mod users;

pub mod sqlite;

pub use devices::{CreatedDevice, DeviceChanges, DeviceDeletion, DeviceStore, ListedDevice, NewDevice, PinChoice};
pub use dids::{DidFilter, DidGuard, DidListing, DidState, DidStore, NewDid};
pub use install::{InstallStore, NewAdmin};
pub use providers::{NewProvider, ProviderChange, ProviderDeletion, ProviderStore};
pub use reseller_groups::ResellerGroupStore;
pub use users::{NewPermissionGroup, NewUser, Registered, UserStore};

/// Brings every storage trait into scope: `use crate::storage::prelude::*;`.
pub mod prelude {
    pub use super::{DeviceStore, DidStore, InstallStore, ProviderStore, ResellerGroupStore, Store, UserStore};
}

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

/// Everything a backend provides.
pub trait Store:
    InstallStore + UserStore + DeviceStore + DidStore + ProviderStore + ResellerGroupStore + 'static
{
}

impl<T: InstallStore + UserStore + DeviceStore + DidStore + ProviderStore + ResellerGroupStore + 'static> Store for T {}

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
