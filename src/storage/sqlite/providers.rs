//! Providers.

use async_trait::async_trait;
use rusqlite::{Connection, OptionalExtension, Row, params};

use super::SqliteStore;
use super::sql::exists;
use crate::model::{Provider, ProviderDetails};
use crate::storage::{NewProvider, ProviderChange, ProviderDeletion, ProviderStore, StoreError, StoreResult};

const PROVIDER_COLUMNS: &str = "id, name, tech, tariff_id, owner_id, server_ip, port, login, password, hidden, \
                                active, timeout, dtmfmode, call_limit, location_id";

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

fn details_from_row(row: &Row) -> rusqlite::Result<ProviderDetails> {
    Ok(ProviderDetails {
        id: row.get(0)?,
        name: row.get(1)?,
        tech: row.get(2)?,
        tariff_id: row.get(3)?,
        owner_id: row.get(4)?,
        server_ip: row.get(5)?,
        port: row.get(6)?,
        login: row.get(7)?,
        password: row.get(8)?,
        hidden: row.get(9)?,
        active: row.get(10)?,
        timeout: row.get(11)?,
        dtmfmode: row.get(12)?,
        call_limit: row.get(13)?,
        location_id: row.get(14)?,
    })
}

pub fn provider_details(conn: &Connection, id: i64) -> StoreResult<Option<ProviderDetails>> {
    let sql = format!("SELECT {PROVIDER_COLUMNS} FROM providers WHERE id = ?1");
    Ok(conn
        .prepare_cached(&sql)?
        .query_row([id], details_from_row)
        .optional()?)
}

pub fn providers(conn: &Connection, owner_id: i64, limit: usize) -> StoreResult<Vec<ProviderDetails>> {
    let sql = format!("SELECT {PROVIDER_COLUMNS} FROM providers WHERE owner_id = ?1 ORDER BY id LIMIT ?2");
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(params![owner_id, limit], details_from_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Applies `change` to the provider `id` of `owner_id`; `false` when there is no such provider.
pub fn update_provider(conn: &Connection, id: i64, owner_id: i64, change: &ProviderChange) -> StoreResult<bool> {
    let changed = conn
        .prepare_cached(
            "UPDATE providers SET name = COALESCE(?3, name), tariff_id = COALESCE(?4, tariff_id),
                    server_ip = COALESCE(?5, server_ip), port = COALESCE(?6, port), login = COALESCE(?7, login),
                    password = COALESCE(?8, password), hidden = COALESCE(?9, hidden),
                    active = COALESCE(?10, active), timeout = COALESCE(?11, timeout),
                    dtmfmode = COALESCE(?12, dtmfmode), location_id = COALESCE(?13, location_id),
                    call_limit = COALESCE(?14, call_limit)
             WHERE id = ?1 AND owner_id = ?2",
        )?
        .execute(params![
            id,
            owner_id,
            change.name,
            change.tariff_id,
            change.server_ip,
            change.port,
            change.login,
            change.password,
            change.hidden,
            change.active,
            change.timeout,
            change.dtmfmode,
            change.location_id,
            change.call_limit,
        ])?;
    Ok(changed == 1)
}

pub fn create_provider_with(conn: &Connection, provider: &NewProvider, change: &ProviderChange) -> StoreResult<i64> {
    let id = insert_provider(conn, provider)?;
    if !update_provider(conn, id, provider.owner_id, change)? {
        return Err(StoreError::Backend("the new provider vanished".into()));
    }
    Ok(id)
}

pub fn delete_provider(conn: &Connection, id: i64, owner_id: i64) -> StoreResult<ProviderDeletion> {
    let owned: bool = conn
        .prepare_cached("SELECT EXISTS(SELECT 1 FROM providers WHERE id = ?1 AND owner_id = ?2)")?
        .query_row(params![id, owner_id], |row| row.get(0))?;
    if !owned {
        return Ok(ProviderDeletion::NotFound);
    }
    if exists(conn, "SELECT EXISTS(SELECT 1 FROM dids WHERE provider_id = ?1)", id)? {
        return Ok(ProviderDeletion::HasDids);
    }
    conn.prepare_cached("DELETE FROM providers WHERE id = ?1")?
        .execute([id])?;
    Ok(ProviderDeletion::Deleted)
}

#[async_trait]
impl ProviderStore for SqliteStore {
    async fn provider(&self, id: i64) -> StoreResult<Option<Provider>> {
        self.lookup(|c| provider(c, id))
    }

    async fn create_provider(&self, provider: NewProvider) -> StoreResult<i64> {
        self.writer.write(move |s| insert_provider(&s.conn, &provider)).await
    }

    async fn provider_details(&self, id: i64) -> StoreResult<Option<ProviderDetails>> {
        self.lookup(|c| provider_details(c, id))
    }

    async fn providers(&self, owner_id: i64, limit: usize) -> StoreResult<Vec<ProviderDetails>> {
        self.read(move |c| providers(c, owner_id, limit)).await
    }

    async fn create_provider_with(&self, provider: NewProvider, change: ProviderChange) -> StoreResult<i64> {
        self.writer
            .write(move |s| create_provider_with(&s.conn, &provider, &change))
            .await
    }

    async fn update_provider(&self, id: i64, owner_id: i64, change: ProviderChange) -> StoreResult<bool> {
        self.writer
            .write(move |s| update_provider(&s.conn, id, owner_id, &change))
            .await
    }

    async fn delete_provider(&self, id: i64, owner_id: i64) -> StoreResult<ProviderDeletion> {
        self.writer.write(move |s| delete_provider(&s.conn, id, owner_id)).await
    }
}
