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

pub mod copy;
pub mod mysql;
pub mod postgres;
pub mod raw;
pub mod server;
pub mod sqlite;

pub use devices::{CreatedDevice, DeviceChanges, DeviceDeletion, DeviceStore, ListedDevice, NewDevice, PinChoice};
pub use dids::{DidFilter, DidGuard, DidListing, DidState, DidStore, NewDid};
pub use install::{InstallStore, NewAdmin};
pub use providers::{NewProvider, ProviderChange, ProviderDeletion, ProviderStore};
pub use reseller_groups::ResellerGroupStore;
pub use users::{NewPermissionGroup, NewUser, Registered, UserStore};

/// Runs a request so that its SQLite lookups share read transactions, and ends those a thread
/// keeps (the server backends have no such cost and ignore both).
pub use sqlite::{end_read_snapshots, with_shared_reads};

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
    /// The transaction lost to a concurrent one (deadlock, serialization failure); the server
    /// backends retry it a few times before giving up with this error.
    #[error("transient database error: {0}")]
    Transient(String),
}

pub type StoreResult<T> = Result<T, StoreError>;

/// Everything a backend provides.
pub trait Store:
    InstallStore + UserStore + DeviceStore + DidStore + ProviderStore + ResellerGroupStore + 'static
{
}

impl<T: InstallStore + UserStore + DeviceStore + DidStore + ProviderStore + ResellerGroupStore + 'static> Store for T {}

pub type DynStore = Arc<dyn Store>;

/// Connection settings of the server databases (PostgreSQL, MariaDB/MySQL); SQLite ignores them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DbOptions {
    /// Connections kept open at most.
    pub pool_size: u32,
    /// How long a request waits for a connection (and so for a database that is down).
    pub acquire_timeout: std::time::Duration,
    /// How long one statement may run.
    pub statement_timeout: std::time::Duration,
    /// Apply the embedded migrations when opening (every command but `migrate --check` does).
    pub migrate: bool,
}

impl Default for DbOptions {
    fn default() -> Self {
        DbOptions {
            pool_size: 10,
            acquire_timeout: std::time::Duration::from_secs(5),
            statement_timeout: std::time::Duration::from_secs(30),
            migrate: true,
        }
    }
}

/// Which backend a database URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
    Mysql,
}

impl Backend {
    pub fn of(url: &str) -> anyhow::Result<Backend> {
        let (scheme, _) = url.split_once(':').unwrap_or(("", url));
        match scheme {
            "sqlite" => Ok(Backend::Sqlite),
            "postgres" | "postgresql" => Ok(Backend::Postgres),
            "mysql" | "mariadb" => Ok(Backend::Mysql),
            _ => anyhow::bail!(
                "unsupported database URL {url:?}: expected sqlite://PATH, postgres://USER@HOST/DB or mysql://USER@HOST/DB"
            ),
        }
    }
}

/// Opens the database a URL names with the default options, creating (SQLite) and migrating it.
pub async fn open(url: &str) -> anyhow::Result<DynStore> {
    open_with(url, &DbOptions::default()).await
}

/// Opens the database a URL names: `sqlite://PATH`, `postgres://…` or `mysql://…`.
pub async fn open_with(url: &str, options: &DbOptions) -> anyhow::Result<DynStore> {
    Ok(match Backend::of(url)? {
        Backend::Sqlite => Arc::new(sqlite::SqliteStore::open(url).await?),
        Backend::Postgres => Arc::new(server::ServerStore::new(postgres::PgBackend::open(url, options).await?)),
        Backend::Mysql => Arc::new(server::ServerStore::new(mysql::MyBackend::open(url, options).await?)),
    })
}
