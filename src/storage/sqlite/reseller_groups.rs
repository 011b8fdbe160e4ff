//! Reseller groups (the `reseller` permission groups), listed.

use async_trait::async_trait;
use rusqlite::Connection;

use super::SqliteStore;
use crate::model::ResellerGroup;
use crate::storage::{ResellerGroupStore, StoreResult};

pub fn reseller_groups(conn: &Connection, limit: usize) -> StoreResult<Vec<ResellerGroup>> {
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let mut stmt = conn.prepare_cached(
        "SELECT id, name, description FROM permission_groups WHERE group_type = 'reseller' ORDER BY id LIMIT ?1",
    )?;
    let rows = stmt.query_map([limit], |row| {
        Ok(ResellerGroup {
            id: row.get(0)?,
            name: row.get(1)?,
            description: row.get(2)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

#[async_trait]
impl ResellerGroupStore for SqliteStore {
    async fn reseller_groups(&self, limit: usize) -> StoreResult<Vec<ResellerGroup>> {
        self.read(move |c| reseller_groups(c, limit)).await
    }
}
