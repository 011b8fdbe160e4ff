//! The embedded SQLite backend: one file in WAL mode with `synchronous=FULL` (an acknowledged
//! write survives a power cut), a small pool of read connections, and one group-committing writer.

mod devices;
mod dids;
mod install;
mod providers;
mod sql;
mod users;
mod writer;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use anyhow::Context;
use async_trait::async_trait;
use rusqlite::{Connection, OpenFlags, TransactionBehavior};
use tokio::sync::Semaphore;

pub use writer::COMMIT_DELAY_ENV;
use writer::Writer;

use crate::model::{DefaultUser, DeviceGroup, PermissionGroup, Provider, User};
use crate::settings::StoredSettings;
use crate::storage::{
    CreatedDevice, NewAdmin, NewDevice, NewDid, NewPermissionGroup, NewProvider, NewUser, Registered, Store,
    StoreError, StoreResult,
};

/// Migrations, applied in order; `PRAGMA user_version` records how many have run.
/// Never edit one that has shipped: add a new file.
const MIGRATIONS: &[&str] = &[
    include_str!("../../../migrations/sqlite/0001_schema.sql"),
    include_str!("../../../migrations/sqlite/0002_countries.sql"),
];

/// Read connections kept open at most.
const READERS: usize = 4;

pub struct SqliteStore {
    readers: Arc<ReadPool>,
    writer: Writer,
}

/// The file path named by `sqlite://PATH` (or `sqlite:PATH`); query options are ignored.
fn path_from_url(url: &str) -> anyhow::Result<PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .context("a SQLite URL starts with sqlite://")?;
    let path = rest.split('?').next().unwrap_or("");
    anyhow::ensure!(
        !path.is_empty() && path != ":memory:",
        "the SQLite URL {url:?} names no file: use sqlite://PATH, e.g. sqlite://moray.db"
    );
    Ok(PathBuf::from(path))
}

fn connect(path: &Path, create: bool) -> rusqlite::Result<Connection> {
    let mut flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX | OpenFlags::SQLITE_OPEN_URI;
    if create {
        flags |= OpenFlags::SQLITE_OPEN_CREATE;
    }
    let conn = Connection::open_with_flags(path, flags)?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    conn.execute_batch(
        "PRAGMA journal_mode = WAL;
         PRAGMA synchronous = FULL;
         PRAGMA foreign_keys = ON;",
    )?;
    conn.set_prepared_statement_cache_capacity(64);
    Ok(conn)
}

fn migrate(conn: &mut Connection) -> anyhow::Result<()> {
    // IMMEDIATE: two processes starting together migrate one after the other.
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let applied: usize = tx.pragma_query_value(None, "user_version", |row| row.get::<_, i64>(0))? as usize;
    anyhow::ensure!(
        applied <= MIGRATIONS.len(),
        "the database has schema version {applied}, newer than this moray knows ({}); upgrade moray",
        MIGRATIONS.len()
    );
    for (index, sql) in MIGRATIONS.iter().enumerate().skip(applied) {
        tx.execute_batch(sql)
            .with_context(|| format!("migration {} failed", index + 1))?;
        tx.pragma_update(None, "user_version", (index + 1) as i64)?;
    }
    tx.commit()?;
    Ok(())
}

impl SqliteStore {
    pub async fn open(url: &str) -> anyhow::Result<SqliteStore> {
        let path = path_from_url(url)?;
        let opened = path.clone();
        let conn = tokio::task::spawn_blocking(move || -> anyhow::Result<Connection> {
            let mut conn =
                connect(&opened, true).with_context(|| format!("cannot open SQLite database {}", opened.display()))?;
            migrate(&mut conn)?;
            Ok(conn)
        })
        .await??;
        Ok(SqliteStore {
            readers: Arc::new(ReadPool::new(path)),
            writer: Writer::start(conn),
        })
    }

    async fn read<T, F>(&self, work: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> StoreResult<T> + Send + 'static,
    {
        self.readers.clone().run(work).await
    }
}

/// Read connections, each used by one blocking task at a time.
struct ReadPool {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
    permits: Semaphore,
}

impl ReadPool {
    fn new(path: PathBuf) -> ReadPool {
        ReadPool {
            path,
            idle: Mutex::new(Vec::new()),
            permits: Semaphore::new(READERS),
        }
    }

    async fn run<T, F>(self: Arc<Self>, work: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> StoreResult<T> + Send + 'static,
    {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|e| StoreError::Backend(e.to_string()))?;
        let pool = self.clone();
        tokio::task::spawn_blocking(move || {
            let conn = pool.idle.lock().map_err(|e| StoreError::Backend(e.to_string()))?.pop();
            let conn = match conn {
                Some(conn) => conn,
                None => connect(&pool.path, false)?,
            };
            let result = work(&conn);
            if let Ok(mut idle) = pool.idle.lock() {
                idle.push(conn);
            }
            result
        })
        .await
        .map_err(|e| StoreError::Backend(format!("read task failed: {e}")))?
    }
}

#[async_trait]
impl Store for SqliteStore {
    async fn is_initialized(&self) -> StoreResult<bool> {
        self.read(install::is_initialized).await
    }

    async fn initialize(&self, admin: NewAdmin) -> StoreResult<bool> {
        let today = crate::model::today();
        self.writer
            .write(move |s| install::initialize(&s.conn, &admin, &today))
            .await
    }

    async fn settings(&self, owner_id: i64) -> StoreResult<StoredSettings> {
        self.read(move |c| install::settings(c, owner_id)).await
    }

    async fn set_setting(&self, owner_id: i64, name: &str, value: &str) -> StoreResult<()> {
        let (name, value) = (name.to_owned(), value.to_owned());
        self.writer
            .write(move |s| install::set_setting(&s.conn, owner_id, &name, &value))
            .await
    }

    async fn unset_setting(&self, owner_id: i64, name: &str) -> StoreResult<()> {
        let name = name.to_owned();
        self.writer
            .write(move |s| install::unset_setting(&s.conn, owner_id, &name))
            .await
    }

    async fn user_by_id(&self, id: i64) -> StoreResult<Option<User>> {
        self.read(move |c| users::user_by_id(c, id)).await
    }

    async fn user_by_username(&self, username: &str) -> StoreResult<Option<User>> {
        let username = username.to_owned();
        self.read(move |c| users::user_by_username(c, &username)).await
    }

    async fn user_by_uniquehash(&self, uniquehash: &str) -> StoreResult<Option<User>> {
        let uniquehash = uniquehash.to_owned();
        self.read(move |c| users::user_by_uniquehash(c, &uniquehash)).await
    }

    async fn email_in_use(&self, email: &str) -> StoreResult<bool> {
        let email = email.to_owned();
        self.read(move |c| users::email_in_use(c, &email)).await
    }

    async fn cli_in_use(&self, cli: &str) -> StoreResult<bool> {
        let cli = cli.to_owned();
        self.read(move |c| devices::cli_in_use(c, &cli)).await
    }

    async fn country_exists(&self, id: i64) -> StoreResult<bool> {
        self.read(move |c| install::country_exists(c, id)).await
    }

    async fn lcr_owner(&self, id: i64) -> StoreResult<Option<i64>> {
        self.read(move |c| install::lcr_owner(c, id)).await
    }

    async fn tariff_owner(&self, id: i64) -> StoreResult<Option<i64>> {
        self.read(move |c| install::tariff_owner(c, id)).await
    }

    async fn location_owner(&self, id: i64) -> StoreResult<Option<i64>> {
        self.read(move |c| install::location_owner(c, id)).await
    }

    async fn permission_group(&self, id: i64) -> StoreResult<Option<PermissionGroup>> {
        self.read(move |c| users::permission_group(c, id)).await
    }

    async fn group_name_in_use(&self, name: &str) -> StoreResult<bool> {
        let name = name.to_owned();
        self.read(move |c| users::group_name_in_use(c, &name)).await
    }

    async fn default_user(&self, owner_id: i64) -> StoreResult<Option<DefaultUser>> {
        self.read(move |c| users::default_user(c, owner_id)).await
    }

    async fn device_group(&self, id: i64) -> StoreResult<Option<DeviceGroup>> {
        self.read(move |c| devices::device_group(c, id)).await
    }

    async fn pin_in_use(&self, pin: &str) -> StoreResult<bool> {
        let pin = pin.to_owned();
        self.read(move |c| devices::pin_in_use(c, &pin)).await
    }

    async fn device_name_in_use(&self, name: &str) -> StoreResult<bool> {
        let name = name.to_owned();
        self.read(move |c| devices::device_name_in_use(c, &name)).await
    }

    async fn provider(&self, id: i64) -> StoreResult<Option<Provider>> {
        self.read(move |c| providers::provider(c, id)).await
    }

    async fn did_exists(&self, did: &str) -> StoreResult<bool> {
        let did = did.to_owned();
        self.read(move |c| dids::did_exists(c, &did)).await
    }

    async fn create_user(&self, user: NewUser) -> StoreResult<i64> {
        self.writer
            .write(move |s| users::insert_user(&s.conn, &user).map(|(id, _)| id))
            .await
    }

    async fn register(&self, user: NewUser, device: NewDevice) -> StoreResult<Registered> {
        self.writer
            .write(move |s| {
                let (user_id, group_id) = users::insert_user(&s.conn, &user)?;
                let device = NewDevice { user_id, ..device };
                let device = devices::insert_device(s, &device, Some(group_id))?;
                Ok(Registered { user_id, device })
            })
            .await
    }

    async fn create_device(&self, device: NewDevice) -> StoreResult<CreatedDevice> {
        self.writer
            .write(move |s| devices::insert_device(s, &device, None))
            .await
    }

    async fn create_did(&self, did: NewDid) -> StoreResult<i64> {
        self.writer.write(move |s| dids::insert_did(&s.conn, &did)).await
    }

    async fn create_permission_group(&self, group: NewPermissionGroup) -> StoreResult<i64> {
        self.writer
            .write(move |s| users::insert_permission_group(&s.conn, &group))
            .await
    }

    async fn create_provider(&self, provider: NewProvider) -> StoreResult<i64> {
        self.writer
            .write(move |s| providers::insert_provider(&s.conn, &provider))
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_forms() {
        assert_eq!(path_from_url("sqlite://moray.db").unwrap(), PathBuf::from("moray.db"));
        assert_eq!(
            path_from_url("sqlite:///tmp/x.db?mode=rwc").unwrap(),
            PathBuf::from("/tmp/x.db")
        );
        assert_eq!(path_from_url("sqlite:data.db").unwrap(), PathBuf::from("data.db"));
        assert!(path_from_url("sqlite://").is_err());
        assert!(path_from_url("sqlite://:memory:").is_err());
    }
}
