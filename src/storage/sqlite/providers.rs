//! Providers.

use async_trait::async_trait;
use rusqlite::{Connection, OptionalExtension, params};

use super::SqliteStore;
use crate::model::Provider;
use crate::storage::{NewProvider, ProviderStore, StoreResult};

// ---- providers and DIDs ----

pub fn provider(conn: &Connection, id: i64) -> StoreResult<Option<Provider>> {
    Ok(conn
        .prepare_cached("SELECT id, name, owner_id, hidden FROM providers WHERE id = ?1")?
        .query_row([id], |row| {
            Ok(Provider {
                id: row.get(0)?,
                name: row.get(1)?,
                owner_id: row.get(2)?,
                hidden: row.get(3)?,
            })
        })
        .optional()?)
}

pub fn insert_provider(conn: &Connection, provider: &NewProvider) -> StoreResult<i64> {
    conn.prepare_cached("INSERT INTO providers (name, owner_id, tech, tariff_id) VALUES (?1, ?2, ?3, ?4)")?
        .execute(params![
            provider.name,
            provider.owner_id,
            provider.tech,
            provider.tariff_id
        ])?;
    Ok(conn.last_insert_rowid())
}

#[async_trait]
impl ProviderStore for SqliteStore {
    async fn provider(&self, id: i64) -> StoreResult<Option<Provider>> {
        self.read(move |c| provider(c, id)).await
    }

    async fn create_provider(&self, provider: NewProvider) -> StoreResult<i64> {
        self.writer.write(move |s| insert_provider(&s.conn, &provider)).await
    }
}
