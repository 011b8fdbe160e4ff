//! The PostgreSQL backend: a sqlx connection pool under the shared server queries
//! ([`crate::storage::server`]), with its own embedded migrations (`migrations/postgres/`).
//!
//! What is PostgreSQL's own here: `$N` placeholders, `RETURNING id` for new rows, error codes
//! (23505 unique, 23503 foreign key, 40001/40P01 retry), `setval` for the identity sequences, and
//! how column types decode.

use std::str::FromStr;
use std::time::Duration;

use anyhow::Context;
use async_trait::async_trait;
use futures_util::TryStreamExt;
use sqlx_core::column::Column;
use sqlx_core::migrate::{Migration, MigrationType, Migrator};
use sqlx_core::pool::PoolConnection;
use sqlx_core::row::Row as _;
use sqlx_core::transaction::Transaction;
use sqlx_core::type_info::TypeInfo;
use sqlx_core::value::ValueRef;
use sqlx_postgres::{PgConnectOptions, PgConnection, PgPool, PgPoolOptions, PgRow, Postgres};

use super::server::{self, Backend, Conn, Dialect, Row, Value};
use super::{DbOptions, StoreError, StoreResult};

/// Migrations, applied in order and recorded in `_sqlx_migrations`. Never edit one that has
/// shipped: add a new file.
const MIGRATIONS: &[(i64, &str, &str)] = &[
    (
        1,
        "schema",
        include_str!("../../../migrations/postgres/0001_schema.sql"),
    ),
    (2, "countries", include_str!("../../../migrations/countries.sql")),
];

pub(crate) fn migrator() -> Migrator {
    migrator_of(MIGRATIONS)
}

pub(crate) fn migrator_of(list: &[(i64, &'static str, &'static str)]) -> Migrator {
    Migrator {
        migrations: list
            .iter()
            .map(|(version, description, sql)| {
                Migration::new(
                    *version,
                    (*description).into(),
                    MigrationType::Simple,
                    (*sql).into(),
                    false,
                )
            })
            .collect::<Vec<_>>()
            .into(),
        ignore_missing: false,
        locking: true,
        no_tx: false,
    }
}

const DIALECT: Dialect = Dialect {
    for_update: "FOR UPDATE",
    for_share: "FOR SHARE",
    upsert_setting: "INSERT INTO settings (owner_id, name, value) VALUES (?, ?, ?)
                     ON CONFLICT (owner_id, name) DO UPDATE SET value = excluded.value",
    insert_ignore: "INSERT",
    insert_ignore_suffix: " ON CONFLICT DO NOTHING",
    max_agreement_number: "MAX(CASE WHEN agreement_number ~ '^[0-9]{1,18}$' \
                           THEN CAST(agreement_number AS BIGINT) ELSE 0 END)",
    sync_ids: "SELECT setval(pg_get_serial_sequence('{table}', 'id'), \
               COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)",
};

pub struct PgBackend {
    pool: PgPool,
    /// Client-side bound on one statement: the server's `statement_timeout` plus a margin, for a
    /// server that stops answering without closing the connection.
    deadline: Duration,
}

impl PgBackend {
    pub async fn open(url: &str, options: &DbOptions) -> anyhow::Result<PgBackend> {
        let connect = PgConnectOptions::from_str(url)
            .with_context(|| format!("invalid PostgreSQL URL {}", redact(url)))?
            .options([("statement_timeout", options.statement_timeout.as_millis().to_string())])
            .application_name("moray");
        // One direct connection first: its error says why (refused, authentication, TLS…), where
        // the pool would only say it timed out.
        match tokio::time::timeout(
            options.acquire_timeout,
            sqlx_core::connection::ConnectOptions::connect(&connect),
        )
        .await
        {
            Ok(Ok(conn)) => drop(conn),
            Ok(Err(e)) => return Err(e).with_context(|| format!("cannot connect to PostgreSQL at {}", redact(url))),
            Err(_) => anyhow::bail!("cannot connect to PostgreSQL at {}: no answer in time", redact(url)),
        }
        let pool = PgPoolOptions::new()
            .max_connections(options.pool_size.max(1))
            .min_connections(0)
            .acquire_timeout(options.acquire_timeout)
            .idle_timeout(Duration::from_secs(300))
            .test_before_acquire(true)
            .connect_with(connect)
            .await
            .with_context(|| format!("cannot connect to PostgreSQL at {}", redact(url)))?;
        if options.migrate {
            migrator()
                .run(&pool)
                .await
                .context("cannot apply the PostgreSQL migrations")?;
        }
        Ok(PgBackend {
            pool,
            deadline: options.statement_timeout + Duration::from_secs(2),
        })
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }
}

/// The URL without its password, for messages.
pub(crate) fn redact(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => match rest.split_once('@') {
            Some((credentials, host)) => {
                let user = credentials.split(':').next().unwrap_or("");
                format!("{scheme}://{user}@{host}")
            }
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

/// Maps a sqlx error to the store's: unique violations by index name, foreign-key violations
/// as a lost race, deadlocks and serialization failures as transient.
fn store_error(e: sqlx_core::Error) -> StoreError {
    if let Some(db) = e.as_database_error() {
        let code = db.code().map(|c| c.into_owned()).unwrap_or_default();
        match code.as_str() {
            "23505" => return StoreError::Conflict(server::unique_rule(db.constraint().unwrap_or(""))),
            "23503" => return StoreError::Conflict(crate::storage::Unique::Other),
            "40001" | "40P01" => return StoreError::Transient(db.message().to_owned()),
            _ => {}
        }
    }
    StoreError::Backend(e.to_string())
}

fn bind<'q>(
    mut query: sqlx_core::query::Query<'q, Postgres, sqlx_postgres::PgArguments>,
    args: Vec<Value>,
) -> sqlx_core::query::Query<'q, Postgres, sqlx_postgres::PgArguments> {
    for arg in args {
        query = match arg {
            Value::Int(n) => query.bind(n),
            Value::Float(f) => query.bind(f),
            Value::Text(s) => query.bind(s),
            Value::Bytes(b) => query.bind(b),
            Value::NullInt => query.bind(None::<i64>),
            Value::NullText => query.bind(None::<String>),
        };
    }
    query
}

fn decode_error(e: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(format!("cannot decode a column: {e}"))
}

/// A row's columns as neutral values, by their PostgreSQL types.
fn row_values(row: &PgRow) -> StoreResult<Row> {
    let mut values = Vec::with_capacity(row.columns().len());
    for (i, column) in row.columns().iter().enumerate() {
        let kind = column.type_info().name().to_owned();
        let raw = row.try_get_raw(i).map_err(decode_error)?;
        let numeric = matches!(kind.as_str(), "INT2" | "INT4" | "INT8" | "BOOL" | "FLOAT4" | "FLOAT8");
        if raw.is_null() {
            values.push(if numeric { Value::NullInt } else { Value::NullText });
            continue;
        }
        let value = match kind.as_str() {
            "INT8" => Value::Int(row.try_get::<i64, _>(i).map_err(decode_error)?),
            "INT4" => Value::Int(i64::from(row.try_get::<i32, _>(i).map_err(decode_error)?)),
            "INT2" => Value::Int(i64::from(row.try_get::<i16, _>(i).map_err(decode_error)?)),
            "BOOL" => Value::Int(i64::from(row.try_get::<bool, _>(i).map_err(decode_error)?)),
            "FLOAT8" => Value::Float(row.try_get::<f64, _>(i).map_err(decode_error)?),
            "FLOAT4" => Value::Float(f64::from(row.try_get::<f32, _>(i).map_err(decode_error)?)),
            "BYTEA" => Value::Bytes(row.try_get::<Vec<u8>, _>(i).map_err(decode_error)?),
            _ => Value::Text(row.try_get_unchecked::<String, _>(i).map_err(decode_error)?),
        };
        values.push(value);
    }
    Ok(Row(values))
}

enum Handle {
    Plain(PoolConnection<Postgres>),
    Tx(Transaction<'static, Postgres>),
}

pub struct PgConn {
    handle: Handle,
    deadline: Duration,
}

impl PgConn {
    fn conn(&mut self) -> &mut PgConnection {
        match &mut self.handle {
            Handle::Plain(c) => c,
            Handle::Tx(t) => t,
        }
    }

    async fn bounded<T>(deadline: Duration, work: impl Future<Output = Result<T, sqlx_core::Error>>) -> StoreResult<T> {
        match tokio::time::timeout(deadline, work).await {
            Ok(result) => result.map_err(store_error),
            Err(_) => Err(StoreError::Backend("the database did not answer in time".into())),
        }
    }
}

#[async_trait]
impl Conn for PgConn {
    async fn query(&mut self, sql: &str, args: Vec<Value>) -> StoreResult<Vec<Row>> {
        let (sql, args) = server::numbered_placeholders(sql, args);
        let deadline = self.deadline;
        let rows = Self::bounded(
            deadline,
            bind(sqlx_core::query::query(&sql), args).fetch_all(self.conn()),
        )
        .await?;
        rows.iter().map(row_values).collect()
    }

    async fn query_each(
        &mut self,
        sql: &str,
        args: Vec<Value>,
        each: &mut (dyn FnMut(Row) -> StoreResult<bool> + Send),
    ) -> StoreResult<()> {
        let (sql, args) = server::numbered_placeholders(sql, args);
        let deadline = self.deadline;
        let conn = self.conn();
        let work = async {
            let mut rows = bind(sqlx_core::query::query(&sql), args).fetch(conn);
            while let Some(row) = rows.try_next().await.map_err(store_error)? {
                if !each(row_values(&row)?)? {
                    break;
                }
            }
            Ok::<(), StoreError>(())
        };
        match tokio::time::timeout(deadline, work).await {
            Ok(result) => result,
            Err(_) => Err(StoreError::Backend("the database did not answer in time".into())),
        }
    }

    async fn execute(&mut self, sql: &str, args: Vec<Value>) -> StoreResult<u64> {
        let (sql, args) = server::numbered_placeholders(sql, args);
        let deadline = self.deadline;
        let done = Self::bounded(deadline, bind(sqlx_core::query::query(&sql), args).execute(self.conn())).await?;
        Ok(done.rows_affected())
    }

    async fn insert(&mut self, sql: &str, args: Vec<Value>) -> StoreResult<i64> {
        let (sql, args) = server::numbered_placeholders(&format!("{sql} RETURNING id"), args);
        let deadline = self.deadline;
        let row = Self::bounded(
            deadline,
            bind(sqlx_core::query::query(&sql), args).fetch_one(self.conn()),
        )
        .await?;
        row.try_get::<i64, _>(0).map_err(decode_error)
    }

    async fn commit(self: Box<Self>) -> StoreResult<()> {
        let deadline = self.deadline;
        match self.handle {
            Handle::Tx(tx) => Self::bounded(deadline, tx.commit()).await,
            Handle::Plain(_) => Ok(()),
        }
    }

    async fn rollback(self: Box<Self>) -> StoreResult<()> {
        let deadline = self.deadline;
        match self.handle {
            Handle::Tx(tx) => Self::bounded(deadline, tx.rollback()).await,
            Handle::Plain(_) => Ok(()),
        }
    }
}

#[async_trait]
impl Backend for PgBackend {
    async fn connect(&self) -> StoreResult<Box<dyn Conn>> {
        let conn = self.pool.acquire().await.map_err(store_error)?;
        Ok(Box::new(PgConn {
            handle: Handle::Plain(conn),
            deadline: self.deadline,
        }))
    }

    async fn begin(&self) -> StoreResult<Box<dyn Conn>> {
        let tx = PgConn::bounded(self.deadline + Duration::from_secs(1), self.pool.begin()).await?;
        Ok(Box::new(PgConn {
            handle: Handle::Tx(tx),
            deadline: self.deadline,
        }))
    }

    async fn execute_unprepared(&self, sql: &str) -> StoreResult<()> {
        let mut conn = self.pool.acquire().await.map_err(store_error)?;
        PgConn::bounded(self.deadline, sqlx_core::executor::Executor::execute(&mut *conn, sql)).await?;
        Ok(())
    }

    fn dialect(&self) -> &Dialect {
        &DIALECT
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_passwords() {
        assert_eq!(redact("postgres://moray:s3cret@db/moray"), "postgres://moray@db/moray");
        assert_eq!(redact("postgres://db/moray"), "postgres://db/moray");
    }
}
