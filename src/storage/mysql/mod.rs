//! The MariaDB/MySQL backend: a sqlx connection pool under the shared server queries
//! ([`crate::storage::server`]), with its own embedded migrations (`migrations/mysql/`).
//!
//! What is MySQL's own here: every session runs READ COMMITTED (as PostgreSQL does by default)
//! with `NO_AUTO_VALUE_ON_ZERO` (admin is user 0) and strict mode; text is utf8mb4 with a binary,
//! no-pad collation, so comparisons are exact like SQLite's; new ids come from
//! `LAST_INSERT_ID()`; errors are told apart by number (1062 unique, 1451/1452 foreign key,
//! 1213/1205 retry). The schema targets MariaDB 10.5 or newer.

use std::str::FromStr;
use std::time::Duration;

use anyhow::Context;
use async_trait::async_trait;
use futures_util::TryStreamExt;
use sqlx_core::column::Column;
use sqlx_core::executor::Executor;
use sqlx_core::migrate::Migrator;
use sqlx_core::pool::PoolConnection;
use sqlx_core::row::Row as _;
use sqlx_core::transaction::Transaction;
use sqlx_core::type_info::TypeInfo;
use sqlx_core::value::ValueRef;
use sqlx_mysql::{
    MySql, MySqlConnectOptions, MySqlConnection, MySqlDatabaseError, MySqlPool, MySqlPoolOptions, MySqlRow,
};

use super::postgres::{migrator_of, redact};
use super::server::{self, Backend, Conn, Dialect, Row, Value};
use super::{DbOptions, StoreError, StoreResult};

/// Migrations, applied in order and recorded in `_sqlx_migrations`. Never edit one that has
/// shipped: add a new file.
const MIGRATIONS: &[(i64, &str, &str)] = &[
    (1, "schema", include_str!("../../../migrations/mysql/0001_schema.sql")),
    (2, "countries", include_str!("../../../migrations/countries.sql")),
];

pub(crate) fn migrator() -> Migrator {
    migrator_of(MIGRATIONS)
}

/// The collation of every text column and of the connection: binary (exact, case-sensitive like
/// SQLite) and without trailing-space padding.
pub const COLLATION: &str = "utf8mb4_nopad_bin";

const DIALECT: Dialect = Dialect {
    for_update: "FOR UPDATE",
    for_share: "LOCK IN SHARE MODE",
    upsert_setting: "INSERT INTO settings (owner_id, name, value) VALUES (?, ?, ?)
                     ON DUPLICATE KEY UPDATE value = VALUES(value)",
    insert_ignore: "INSERT IGNORE",
    insert_ignore_suffix: "",
    max_agreement_number: "MAX(CAST(agreement_number AS SIGNED))",
    sync_ids: "",
};

pub struct MyBackend {
    pool: MySqlPool,
    deadline: Duration,
}

impl MyBackend {
    pub async fn open(url: &str, options: &DbOptions) -> anyhow::Result<MyBackend> {
        let connect = MySqlConnectOptions::from_str(url)
            .with_context(|| format!("invalid MySQL URL {}", redact(url)))?
            .charset("utf8mb4");
        // One direct connection first: its error says why (refused, authentication, TLS…), where
        // the pool would only say it timed out.
        match tokio::time::timeout(
            options.acquire_timeout,
            sqlx_core::connection::ConnectOptions::connect(&connect),
        )
        .await
        {
            Ok(Ok(conn)) => drop(conn),
            Ok(Err(e)) => return Err(e).with_context(|| format!("cannot connect to MySQL at {}", redact(url))),
            Err(_) => anyhow::bail!("cannot connect to MySQL at {}: no answer in time", redact(url)),
        }
        let statement_seconds = options.statement_timeout.as_secs_f64();
        let pool = MySqlPoolOptions::new()
            .max_connections(options.pool_size.max(1))
            .min_connections(0)
            .acquire_timeout(options.acquire_timeout)
            .idle_timeout(Duration::from_secs(300))
            .test_before_acquire(true)
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    conn.execute("SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED")
                        .await?;
                    conn.execute(
                        format!(
                            "SET NAMES utf8mb4 COLLATE {COLLATION},
                                 SESSION sql_mode = CONCAT(@@sql_mode, ',STRICT_ALL_TABLES,NO_AUTO_VALUE_ON_ZERO'),
                                 SESSION max_statement_time = {statement_seconds},
                                 SESSION innodb_lock_wait_timeout = {}",
                            statement_seconds.ceil().max(1.0)
                        )
                        .as_str(),
                    )
                    .await?;
                    Ok(())
                })
            })
            .connect_with(connect)
            .await
            .with_context(|| format!("cannot connect to MySQL at {}", redact(url)))?;
        if options.migrate {
            migrator()
                .run(&pool)
                .await
                .context("cannot apply the MySQL migrations")?;
        }
        Ok(MyBackend {
            pool,
            deadline: options.statement_timeout + Duration::from_secs(2),
        })
    }

    pub fn pool(&self) -> &MySqlPool {
        &self.pool
    }
}

/// The index named by a duplicate-key message: `… for key 'NAME'` (MySQL 8 writes
/// `'table.NAME'`). Read from the end, since the duplicate value is quoted before it.
fn duplicate_key(message: &str) -> &str {
    let Some(at) = message.rfind(" for key '") else {
        return "";
    };
    let name = message[at + " for key '".len()..].trim_end_matches('\'');
    name.rsplit('.').next().unwrap_or(name)
}

fn store_error(e: sqlx_core::Error) -> StoreError {
    if let Some(db) = e.as_database_error()
        && let Some(my) = db.try_downcast_ref::<MySqlDatabaseError>()
    {
        match my.number() {
            1062 => return StoreError::Conflict(server::unique_rule(duplicate_key(my.message()))),
            1451 | 1452 => return StoreError::Conflict(crate::storage::Unique::Other),
            1213 | 1205 => return StoreError::Transient(my.message().to_owned()),
            _ => {}
        }
    }
    StoreError::Backend(e.to_string())
}

fn bind<'q>(
    mut query: sqlx_core::query::Query<'q, MySql, sqlx_mysql::MySqlArguments>,
    args: Vec<Value>,
) -> sqlx_core::query::Query<'q, MySql, sqlx_mysql::MySqlArguments> {
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

/// A row's columns as neutral values, by their MySQL types. Text of any collation is read as
/// bytes (sqlx refuses `String` for binary collations) and must be UTF-8.
fn row_values(row: &MySqlRow) -> StoreResult<Row> {
    let mut values = Vec::with_capacity(row.columns().len());
    for (i, column) in row.columns().iter().enumerate() {
        let kind = column.type_info().name().to_owned();
        let raw = row.try_get_raw(i).map_err(decode_error)?;
        let integer = matches!(
            kind.as_str(),
            "BOOLEAN" | "TINYINT" | "SMALLINT" | "MEDIUMINT" | "INT" | "BIGINT" | "YEAR"
        );
        let unsigned = kind.ends_with(" UNSIGNED");
        let float = matches!(kind.as_str(), "FLOAT" | "DOUBLE");
        if raw.is_null() {
            values.push(if integer || unsigned || float {
                Value::NullInt
            } else {
                Value::NullText
            });
            continue;
        }
        let value = if integer {
            Value::Int(row.try_get_unchecked::<i64, _>(i).map_err(decode_error)?)
        } else if unsigned {
            let n = row.try_get_unchecked::<u64, _>(i).map_err(decode_error)?;
            Value::Int(i64::try_from(n).map_err(decode_error)?)
        } else if float {
            Value::Float(row.try_get_unchecked::<f64, _>(i).map_err(decode_error)?)
        } else {
            let bytes = row.try_get_unchecked::<Vec<u8>, _>(i).map_err(decode_error)?;
            if kind == "DECIMAL" {
                let text = String::from_utf8_lossy(&bytes).into_owned();
                match text.parse::<i64>() {
                    Ok(n) => Value::Int(n),
                    Err(_) => Value::Float(text.parse::<f64>().map_err(decode_error)?),
                }
            } else {
                match String::from_utf8(bytes) {
                    Ok(text) => Value::Text(text),
                    Err(e) => Value::Bytes(e.into_bytes()),
                }
            }
        };
        values.push(value);
    }
    Ok(Row(values))
}

enum Handle {
    Plain(PoolConnection<MySql>),
    Tx(Transaction<'static, MySql>),
}

pub struct MyConn {
    handle: Handle,
    deadline: Duration,
}

impl MyConn {
    fn conn(&mut self) -> &mut MySqlConnection {
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
impl Conn for MyConn {
    async fn query(&mut self, sql: &str, args: Vec<Value>) -> StoreResult<Vec<Row>> {
        let (sql, args) = server::positional_placeholders(sql, args);
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
        let (sql, args) = server::positional_placeholders(sql, args);
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
        let (sql, args) = server::positional_placeholders(sql, args);
        let deadline = self.deadline;
        let done = Self::bounded(deadline, bind(sqlx_core::query::query(&sql), args).execute(self.conn())).await?;
        Ok(done.rows_affected())
    }

    async fn insert(&mut self, sql: &str, args: Vec<Value>) -> StoreResult<i64> {
        let (sql, args) = server::positional_placeholders(sql, args);
        let deadline = self.deadline;
        let done = Self::bounded(deadline, bind(sqlx_core::query::query(&sql), args).execute(self.conn())).await?;
        i64::try_from(done.last_insert_id()).map_err(decode_error)
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
impl Backend for MyBackend {
    async fn connect(&self) -> StoreResult<Box<dyn Conn>> {
        let conn = self.pool.acquire().await.map_err(store_error)?;
        Ok(Box::new(MyConn {
            handle: Handle::Plain(conn),
            deadline: self.deadline,
        }))
    }

    async fn begin(&self) -> StoreResult<Box<dyn Conn>> {
        let tx = MyConn::bounded(self.deadline + Duration::from_secs(1), self.pool.begin()).await?;
        Ok(Box::new(MyConn {
            handle: Handle::Tx(tx),
            deadline: self.deadline,
        }))
    }

    async fn execute_unprepared(&self, sql: &str) -> StoreResult<()> {
        let mut conn = self.pool.acquire().await.map_err(store_error)?;
        MyConn::bounded(self.deadline, sqlx_core::executor::Executor::execute(&mut *conn, sql)).await?;
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
    fn duplicate_key_names() {
        assert_eq!(
            duplicate_key("Duplicate entry 'x' for key 'users_username_key'"),
            "users_username_key"
        );
        assert_eq!(
            duplicate_key("Duplicate entry 'a for key 'b'' for key 'users.devices_pin_key'"),
            "devices_pin_key"
        );
    }
}
