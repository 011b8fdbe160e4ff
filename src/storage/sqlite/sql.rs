//! What every SQLite query module shares: error mapping and small query helpers.

use rusqlite::{Connection, OptionalExtension};

use crate::storage::{StoreError, StoreResult, Unique};

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        if let rusqlite::Error::SqliteFailure(failure, Some(message)) = &e
            && failure.code == rusqlite::ErrorCode::ConstraintViolation
        {
            return StoreError::Conflict(unique_rule(message));
        }
        StoreError::Backend(e.to_string())
    }
}

/// Maps SQLite's "UNIQUE constraint failed: table.column" to the API's rule.
fn unique_rule(message: &str) -> Unique {
    const RULES: &[(&str, Unique)] = &[
        ("users.username_key", Unique::Username),
        ("users.email_key", Unique::Email),
        ("clis.cli", Unique::Cli),
        ("devices.pin", Unique::Pin),
        ("dids.did", Unique::Did),
        ("permission_groups.name_key", Unique::GroupName),
        ("devices.username", Unique::DeviceUsername),
        ("devices.extension", Unique::Extension),
    ];
    RULES
        .iter()
        .find(|(column, _)| message.contains(column))
        .map(|(_, rule)| *rule)
        .unwrap_or(Unique::Other)
}

pub(super) fn exists(conn: &Connection, sql: &str, param: impl rusqlite::ToSql) -> StoreResult<bool> {
    Ok(conn
        .prepare_cached(sql)?
        .query_row([param], |row| row.get::<_, bool>(0))?)
}

pub(super) fn owner_of(conn: &Connection, table: &str, id: i64) -> StoreResult<Option<i64>> {
    let sql = format!("SELECT owner_id FROM {table} WHERE id = ?1");
    Ok(conn
        .prepare_cached(&sql)?
        .query_row([id], |row| row.get(0))
        .optional()?)
}
