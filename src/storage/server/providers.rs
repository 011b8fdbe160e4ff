//! Providers and reseller groups (the SQLite backend's `providers` and `reseller_groups`).

use async_trait::async_trait;

use super::db::args;
use super::{Conn, Row, ServerStore, flag, limit, never, one, transaction};
use crate::model::{Provider, ProviderDetails, ResellerGroup};
use crate::storage::{
    NewProvider, ProviderChange, ProviderDeletion, ProviderStore, ResellerGroupStore, StoreError, StoreResult, Unique,
};

const PROVIDER_COLUMNS: &str = "id, name, tech, tariff_id, owner_id, server_ip, port, login, password, hidden, \
                                active, timeout, dtmfmode, call_limit, location_id";

fn details_from_row(row: &Row) -> StoreResult<ProviderDetails> {
    Ok(ProviderDetails {
        id: row.i64(0)?,
        name: row.text(1)?,
        tech: row.text(2)?,
        tariff_id: row.i64(3)?,
        owner_id: row.i64(4)?,
        server_ip: row.text(5)?,
        port: row.i64(6)?,
        login: row.text(7)?,
        password: row.text(8)?,
        hidden: row.bool(9)?,
        active: row.bool(10)?,
        timeout: row.i64(11)?,
        dtmfmode: row.text(12)?,
        call_limit: row.i64(13)?,
        location_id: row.i64(14)?,
    })
}

/// Inserts a provider. The owner's row is share-locked, so an owner deleted concurrently is
/// noticed instead of leaving an orphan.
async fn insert_provider(store: &ServerStore, c: &mut dyn Conn, provider: &NewProvider) -> StoreResult<i64> {
    let sql = format!("SELECT id FROM users WHERE id = ? {}", store.dialect().for_share);
    if one(c, &sql, args![provider.owner_id]).await?.is_none() {
        return Err(StoreError::Conflict(Unique::Other));
    }
    c.insert(
        "INSERT INTO providers (name, owner_id, tech, tariff_id) VALUES (?, ?, ?, ?)",
        args![provider.name, provider.owner_id, provider.tech, provider.tariff_id],
    )
    .await
}

/// Applies `change` to the provider `id` of `owner_id`; `false` when there is no such provider.
async fn update_provider(c: &mut dyn Conn, id: i64, owner_id: i64, change: &ProviderChange) -> StoreResult<bool> {
    let changed = c
        .execute(
            "UPDATE providers SET name = COALESCE(?, name), tariff_id = COALESCE(?, tariff_id),
                    server_ip = COALESCE(?, server_ip), port = COALESCE(?, port), login = COALESCE(?, login),
                    password = COALESCE(?, password), hidden = COALESCE(?, hidden),
                    active = COALESCE(?, active), timeout = COALESCE(?, timeout),
                    dtmfmode = COALESCE(?, dtmfmode), location_id = COALESCE(?, location_id),
                    call_limit = COALESCE(?, call_limit)
             WHERE id = ? AND owner_id = ?",
            args![
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
                id,
                owner_id,
            ],
        )
        .await?;
    Ok(changed == 1)
}

/// Deletes the provider unless a DID references it; the provider's row is locked first, so a DID
/// created on it concurrently is either seen or refused by its foreign key.
async fn delete_provider(
    store: &ServerStore,
    c: &mut dyn Conn,
    id: i64,
    owner_id: i64,
) -> StoreResult<ProviderDeletion> {
    let sql = format!(
        "SELECT id FROM providers WHERE id = ? AND owner_id = ? {}",
        store.dialect().for_update
    );
    if one(c, &sql, args![id, owner_id]).await?.is_none() {
        return Ok(ProviderDeletion::NotFound);
    }
    if flag(c, "SELECT EXISTS(SELECT 1 FROM dids WHERE provider_id = ?)", args![id]).await? {
        return Ok(ProviderDeletion::HasDids);
    }
    c.execute("DELETE FROM providers WHERE id = ?", args![id]).await?;
    Ok(ProviderDeletion::Deleted)
}

#[async_trait]
impl ProviderStore for ServerStore {
    async fn provider(&self, id: i64) -> StoreResult<Option<Provider>> {
        let row = one(
            &mut *self.reader().await?,
            "SELECT id, name, owner_id, hidden FROM providers WHERE id = ?",
            args![id],
        )
        .await?;
        row.map(|row| {
            Ok(Provider {
                id: row.i64(0)?,
                name: row.text(1)?,
                owner_id: row.i64(2)?,
                hidden: row.bool(3)?,
            })
        })
        .transpose()
    }

    async fn create_provider(&self, provider: NewProvider) -> StoreResult<i64> {
        transaction!(self, never, |c| insert_provider(self, c, &provider).await)
    }

    async fn provider_details(&self, id: i64) -> StoreResult<Option<ProviderDetails>> {
        let sql = format!("SELECT {PROVIDER_COLUMNS} FROM providers WHERE id = ?");
        one(&mut *self.reader().await?, &sql, args![id])
            .await?
            .as_ref()
            .map(details_from_row)
            .transpose()
    }

    async fn providers(&self, owner_id: i64, max: usize) -> StoreResult<Vec<ProviderDetails>> {
        let sql = format!("SELECT {PROVIDER_COLUMNS} FROM providers WHERE owner_id = ? ORDER BY id LIMIT ?");
        let rows = self.reader().await?.query(&sql, args![owner_id, limit(max)]).await?;
        rows.iter().map(details_from_row).collect()
    }

    async fn create_provider_with(&self, provider: NewProvider, change: ProviderChange) -> StoreResult<i64> {
        transaction!(self, never, |c| {
            let id = insert_provider(self, c, &provider).await?;
            if !update_provider(c, id, provider.owner_id, &change).await? {
                return Err(StoreError::Backend("the new provider vanished".into()));
            }
            Ok(id)
        })
    }

    async fn update_provider(&self, id: i64, owner_id: i64, change: ProviderChange) -> StoreResult<bool> {
        transaction!(self, never, |c| update_provider(c, id, owner_id, &change).await)
    }

    async fn delete_provider(&self, id: i64, owner_id: i64) -> StoreResult<ProviderDeletion> {
        transaction!(self, never, |c| delete_provider(self, c, id, owner_id).await)
    }
}

#[async_trait]
impl ResellerGroupStore for ServerStore {
    async fn reseller_groups(&self, max: usize) -> StoreResult<Vec<ResellerGroup>> {
        let rows = self
            .reader()
            .await?
            .query(
                "SELECT id, name, description FROM permission_groups WHERE group_type = 'reseller' ORDER BY id LIMIT ?",
                args![limit(max)],
            )
            .await?;
        rows.iter()
            .map(|row| {
                Ok(ResellerGroup {
                    id: row.i64(0)?,
                    name: row.text(1)?,
                    description: row.text(2)?,
                })
            })
            .collect()
    }
}
