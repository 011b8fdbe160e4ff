//! Plain SQL on any backend, with `?` (or SQLite's `?N`) placeholders and neutral values: what
//! `moray copy` and the integration tests use to read and write rows directly.

use std::path::PathBuf;

use anyhow::Context;

use super::server::{Backend as ServerBackend, Row, Value};
use super::{Backend, DbOptions, StoreError, StoreResult};

/// A connection to a database named by URL.
pub enum RawDb {
    Sqlite(rusqlite::Connection),
    Server(Box<dyn ServerBackend>),
}

impl RawDb {
    /// Opens the database; `migrate` applies the embedded migrations first.
    pub async fn open(url: &str, migrate: bool) -> anyhow::Result<RawDb> {
        let options = DbOptions {
            pool_size: 2,
            migrate,
            ..DbOptions::default()
        };
        Ok(match Backend::of(url)? {
            Backend::Sqlite => {
                if migrate {
                    // Opening the store creates and migrates the file.
                    drop(super::sqlite::SqliteStore::open(url).await?);
                }
                let path = sqlite_path(url)?;
                let conn = rusqlite::Connection::open(&path)
                    .with_context(|| format!("cannot open SQLite database {}", path.display()))?;
                conn.busy_timeout(std::time::Duration::from_secs(10))?;
                conn.execute_batch("PRAGMA foreign_keys = ON;")?;
                RawDb::Sqlite(conn)
            }
            Backend::Postgres => RawDb::Server(Box::new(super::postgres::PgBackend::open(url, &options).await?)),
            Backend::Mysql => RawDb::Server(Box::new(super::mysql::MyBackend::open(url, &options).await?)),
        })
    }

    pub fn backend(&self) -> Backend {
        match self {
            RawDb::Sqlite(_) => Backend::Sqlite,
            RawDb::Server(server) => {
                if server.dialect().sync_ids.is_empty() {
                    Backend::Mysql
                } else {
                    Backend::Postgres
                }
            }
        }
    }

    pub async fn query(&self, sql: &str, args: Vec<Value>) -> StoreResult<Vec<Row>> {
        match self {
            RawDb::Sqlite(conn) => sqlite_query(conn, sql, &args),
            RawDb::Server(server) => server.connect().await?.query(sql, args).await,
        }
    }

    pub async fn execute(&self, sql: &str, args: Vec<Value>) -> StoreResult<u64> {
        match self {
            RawDb::Sqlite(conn) => Ok(conn.execute(sql, rusqlite::params_from_iter(args.iter().map(to_sql)))? as u64),
            RawDb::Server(server) => server.connect().await?.execute(sql, args).await,
        }
    }

    /// Runs SQL text as it is: several statements, no parameters, outside any transaction.
    pub async fn execute_unprepared(&self, sql: &str) -> StoreResult<()> {
        match self {
            RawDb::Sqlite(conn) => Ok(conn.execute_batch(sql)?),
            RawDb::Server(server) => server.execute_unprepared(sql).await,
        }
    }

    /// Runs an INSERT into a table keyed by `id`; returns the new id.
    pub async fn insert(&self, sql: &str, args: Vec<Value>) -> StoreResult<i64> {
        match self {
            RawDb::Sqlite(conn) => {
                conn.execute(sql, rusqlite::params_from_iter(args.iter().map(to_sql)))?;
                Ok(conn.last_insert_rowid())
            }
            RawDb::Server(server) => server.connect().await?.insert(sql, args).await,
        }
    }

    /// Runs one statement per argument list, all in one transaction.
    pub async fn execute_many(&self, sql: &str, rows: Vec<Vec<Value>>) -> StoreResult<()> {
        self.batch(vec![(sql.to_owned(), rows)]).await
    }

    /// Runs statements, each with its argument lists, all in one transaction.
    pub async fn batch(&self, statements: Vec<(String, Vec<Vec<Value>>)>) -> StoreResult<()> {
        match self {
            RawDb::Sqlite(conn) => {
                conn.execute_batch("BEGIN IMMEDIATE")?;
                let run = || -> StoreResult<()> {
                    for (sql, rows) in &statements {
                        let mut stmt = conn.prepare(sql)?;
                        for args in rows {
                            stmt.execute(rusqlite::params_from_iter(args.iter().map(to_sql)))?;
                        }
                    }
                    Ok(())
                };
                match run() {
                    Ok(()) => Ok(conn.execute_batch("COMMIT")?),
                    Err(e) => {
                        let _ = conn.execute_batch("ROLLBACK");
                        Err(e)
                    }
                }
            }
            RawDb::Server(server) => {
                let mut tx = server.begin().await?;
                let mut outcome = Ok(());
                'all: for (sql, rows) in statements {
                    for args in rows {
                        if let Err(e) = tx.execute(&sql, args).await {
                            outcome = Err(e);
                            break 'all;
                        }
                    }
                }
                match outcome {
                    Ok(()) => tx.commit().await,
                    Err(e) => {
                        let _ = tx.rollback().await;
                        Err(e)
                    }
                }
            }
        }
    }
}

fn sqlite_path(url: &str) -> anyhow::Result<PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .context("a SQLite URL starts with sqlite://")?;
    Ok(PathBuf::from(rest.split('?').next().unwrap_or("")))
}

fn to_sql(value: &Value) -> rusqlite::types::Value {
    use rusqlite::types::Value as V;
    match value {
        Value::Int(n) => V::Integer(*n),
        Value::Float(f) => V::Real(*f),
        Value::Text(s) => V::Text(s.clone()),
        Value::Bytes(b) => V::Blob(b.clone()),
        Value::NullInt | Value::NullText => V::Null,
    }
}

fn sqlite_query(conn: &rusqlite::Connection, sql: &str, args: &[Value]) -> StoreResult<Vec<Row>> {
    let mut stmt = conn.prepare(sql)?;
    let columns = stmt.column_count();
    let mut rows = stmt.query(rusqlite::params_from_iter(args.iter().map(to_sql)))?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        let mut values = Vec::with_capacity(columns);
        for i in 0..columns {
            use rusqlite::types::ValueRef as V;
            values.push(match row.get_ref(i)? {
                V::Null => Value::NullText,
                V::Integer(n) => Value::Int(n),
                V::Real(f) => Value::Float(f),
                V::Text(t) => {
                    Value::Text(String::from_utf8(t.to_vec()).map_err(|e| StoreError::Backend(e.to_string()))?)
                }
                V::Blob(b) => Value::Bytes(b.to_vec()),
            });
        }
        out.push(Row(values));
    }
    Ok(out)
}
