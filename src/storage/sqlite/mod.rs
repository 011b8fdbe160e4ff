//! The embedded SQLite backend: one file in WAL mode, a read connection per thread that reads, and
//! one group-committing writer whose groups are answered only once an fsync made them durable (an
//! acknowledged write survives a power cut; see `writer` and `sync`).

mod checkpoint;
mod devices;
mod dids;
mod install;
mod providers;
mod reads;
mod reseller_groups;
#[allow(unsafe_code)] // the one mapping of the crate; see the module's docs
mod shm_header;
mod sql;
mod sync;
mod users;
mod writer;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use rusqlite::config::DbConfig;
use rusqlite::{Connection, OpenFlags, TransactionBehavior};

use reads::ReadPool;
pub use reads::{end_read_snapshots, with_shared_reads};
pub use sync::COMMIT_DELAY_ENV;
use writer::Writer;

use crate::storage::StoreResult;

/// Migrations, applied in order; `PRAGMA user_version` records how many have run.
/// Never edit one that has shipped: add a new file.
const MIGRATIONS: &[&str] = &[
    include_str!("../../../migrations/sqlite/0001_schema.sql"),
    include_str!("../../../migrations/countries.sql"),
    include_str!("../../../migrations/sqlite/0003_agreement_index.sql"),
];

pub struct SqliteStore {
    readers: Arc<ReadPool>,
    pub(super) writer: Writer,
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
    // Plans must not depend on bound values: otherwise SQLite marks statements such as
    // `WHERE user_id = ? ORDER BY id` for re-preparation at every reuse from the cache.
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)?;
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
            writer: Writer::start(conn)?,
        })
    }

    pub(super) async fn read<T, F>(&self, work: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> StoreResult<T> + Send + 'static,
    {
        self.readers.clone().run(work).await
    }

    /// A point lookup (an index probe returning a row or a few): runs on the calling thread.
    /// Handing a query of a few microseconds to the blocking pool costs more than the query.
    pub(super) fn lookup<T>(&self, work: impl FnOnce(&Connection) -> StoreResult<T>) -> StoreResult<T> {
        self.readers.run_here(work)
    }
}

/// A store on a fresh file in a temporary directory, after its writer ran `setup` (tests).
#[cfg(test)]
pub(in crate::storage::sqlite) async fn temp_store(setup: &'static str) -> (tempfile::TempDir, SqliteStore) {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&format!("sqlite://{}/t.db", dir.path().display()))
        .await
        .unwrap();
    store
        .writer
        .write(move |s| Ok(s.conn.execute_batch(setup)?))
        .await
        .unwrap();
    (dir, store)
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
