//! What the server backends (PostgreSQL, MariaDB/MySQL) share: every query of the storage traits,
//! written once over a small neutral connection interface ([`Conn`]) that each backend module
//! implements. The differences between the two databases (placeholders, new-row ids, upserts,
//! lock clauses, error codes) live in `storage::postgres` and `storage::mysql`.
//!
//! The semantics are the SQLite backend's, query for query: same ordering, caps and conditional
//! updates. Where SQLite relies on its single writer, these backends rely on the database:
//! unique constraints, foreign keys and row locks taken inside each write transaction, so several
//! moray processes can share one database. A transaction that loses a deadlock or an allocation
//! race (extension, random PIN) is retried from the start.

mod db;
mod devices;
mod dids;
mod install;
mod providers;
mod users;

use std::time::Duration;

pub use db::{Backend, Conn, Dialect, Param, Row, Value, numbered_placeholders, positional_placeholders};

use super::{StoreError, StoreResult, Unique};

/// Attempts of one write transaction before its transient error is returned.
const WRITE_ATTEMPTS: u32 = 8;

/// The `Store` of a server database.
pub struct ServerStore {
    db: Box<dyn Backend>,
}

impl ServerStore {
    pub fn new(backend: impl Backend) -> ServerStore {
        ServerStore { db: Box::new(backend) }
    }

    fn dialect(&self) -> &Dialect {
        self.db.dialect()
    }

    /// A connection outside any explicit transaction, for reads.
    async fn reader(&self) -> StoreResult<Box<dyn Conn>> {
        self.db.connect().await
    }
}

/// Maps a unique index (or constraint) name to the API's rule. The names are the same in both
/// server schemas.
pub fn unique_rule(index: &str) -> Unique {
    const RULES: &[(&str, Unique)] = &[
        ("users_username_key", Unique::Username),
        ("users_email_key", Unique::Email),
        ("clis_cli_key", Unique::Cli),
        ("devices_pin_key", Unique::Pin),
        ("dids_did_key", Unique::Did),
        ("permission_groups_name_key", Unique::GroupName),
        ("devices_username_key", Unique::DeviceUsername),
        ("devices_extension_key", Unique::Extension),
    ];
    RULES
        .iter()
        .find(|(name, _)| *name == index)
        .map(|(_, rule)| *rule)
        .unwrap_or(Unique::Other)
}

/// Runs `$body` (which uses `$c: &mut dyn Conn`) in a transaction, committing on `Ok`. A
/// transient failure (deadlock, serialization failure), or an error for which `$retry` answers
/// true, rolls back and runs the whole body again, a few times at most.
macro_rules! transaction {
    ($store:expr, $retry:expr, |$c:ident| $body:expr) => {{
        let mut attempt: u32 = 0;
        loop {
            attempt += 1;
            let mut tx = $store.db.begin().await?;
            let result = {
                let $c: &mut dyn $crate::storage::server::Conn = &mut *tx;
                async { $body }.await
            };
            let outcome = match result {
                Ok(value) => tx.commit().await.map(|()| value),
                Err(e) => {
                    let _ = tx.rollback().await;
                    Err(e)
                }
            };
            match outcome {
                Err(e)
                    if attempt < $crate::storage::server::WRITE_ATTEMPTS
                        && (matches!(e, $crate::storage::StoreError::Transient(_)) || ($retry)(&e)) =>
                {
                    $crate::storage::server::backoff(attempt).await;
                }
                other => break other,
            }
        }
    }};
}
pub(crate) use transaction;

/// No write is retried for its own errors (only for transient ones).
pub(crate) fn never(_: &StoreError) -> bool {
    false
}

/// A short, jittered pause before another attempt, so two losers do not collide again.
pub(crate) async fn backoff(attempt: u32) {
    let jitter = u64::from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos())
            % 5,
    );
    tokio::time::sleep(Duration::from_millis(u64::from(attempt) * 3 + jitter)).await;
}

/// `SELECT EXISTS(…)`-style queries: the first column of the first row, as a flag.
async fn flag(c: &mut dyn Conn, sql: &str, args: Vec<Value>) -> StoreResult<bool> {
    let rows = c.query(sql, args).await?;
    match rows.first() {
        Some(row) => row.bool(0),
        None => Ok(false),
    }
}

/// The first row, if any.
async fn one(c: &mut dyn Conn, sql: &str, args: Vec<Value>) -> StoreResult<Option<Row>> {
    Ok(c.query(sql, args).await?.into_iter().next())
}

/// `i64::try_from(usize)`, saturating like the SQLite backend does for LIMIT/OFFSET.
fn limit(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_by_index_name() {
        assert_eq!(unique_rule("users_username_key"), Unique::Username);
        assert_eq!(unique_rule("devices_extension_key"), Unique::Extension);
        assert_eq!(unique_rule("users_pkey"), Unique::Other);
    }
}
