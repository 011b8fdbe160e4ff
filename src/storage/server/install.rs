//! Install rows, settings, and the lookups with no API of their own.

use async_trait::async_trait;

use super::db::args;
use super::{Conn, ServerStore, flag, never, one, transaction};
use crate::settings::StoredSettings;
use crate::storage::{InstallStore, NewAdmin, StoreError, StoreResult};

/// Tables whose install rows get explicit ids.
const INSTALL_TABLES: &[&str] = &["tariffs", "lcrs", "locations"];

async fn is_initialized(c: &mut dyn Conn) -> StoreResult<bool> {
    flag(c, "SELECT EXISTS(SELECT 1 FROM users WHERE id = ?)", args![0i64]).await
}

async fn set_setting(c: &mut dyn Conn, upsert: &str, owner_id: i64, name: &str, value: &str) -> StoreResult<()> {
    c.execute(upsert, args![owner_id, name, value]).await?;
    Ok(())
}

async fn initialize(store: &ServerStore, c: &mut dyn Conn, admin: &NewAdmin, today: &str) -> StoreResult<bool> {
    if is_initialized(c).await? {
        return Ok(false);
    }
    let d = store.dialect();
    c.execute(
        "INSERT INTO users (id, username, username_key, password_hash, usertype, owner_id, uniquehash,
                            first_name, last_name, tariff_id, lcr_id, agreement_date)
         VALUES (0, 'admin', 'admin', ?, 'admin', 0, ?, 'System', 'Admin', 1, 1, ?)",
        args![admin.password_hash, admin.uniquehash, today],
    )
    .await?;
    let (ignore, suffix) = (d.insert_ignore, d.insert_ignore_suffix);
    for sql in [
        format!("{ignore} INTO tariffs (id, name, owner_id) VALUES (1, 'Default', 0){suffix}"),
        format!("{ignore} INTO lcrs (id, name, owner_id) VALUES (1, 'Primary', 0){suffix}"),
        format!("{ignore} INTO locations (id, name, owner_id) VALUES (1, 'Global', 0){suffix}"),
        format!("{ignore} INTO default_users (owner_id, tariff_id, lcr_id) VALUES (0, 1, 1){suffix}"),
        format!("{ignore} INTO default_devices (owner_id) VALUES (0){suffix}"),
    ] {
        c.execute(&sql, Vec::new()).await?;
    }
    c.insert(
        "INSERT INTO device_groups (user_id, name) VALUES (0, 'primary')",
        Vec::new(),
    )
    .await?;
    if !d.sync_ids.is_empty() {
        for table in INSTALL_TABLES {
            c.execute(&d.sync_ids.replace("{table}", table), Vec::new()).await?;
        }
    }
    set_setting(c, d.upsert_setting, 0, "api_secret_key", &admin.api_secret_key).await?;
    set_setting(c, d.upsert_setting, 0, "allow_api", "1").await?;
    Ok(true)
}

async fn owner_of(c: &mut dyn Conn, table: &str, id: i64) -> StoreResult<Option<i64>> {
    let sql = format!("SELECT owner_id FROM {table} WHERE id = ?");
    match one(c, &sql, args![id]).await? {
        Some(row) => Ok(Some(row.i64(0)?)),
        None => Ok(None),
    }
}

#[async_trait]
impl InstallStore for ServerStore {
    async fn is_initialized(&self) -> StoreResult<bool> {
        is_initialized(&mut *self.reader().await?).await
    }

    async fn initialize(&self, admin: NewAdmin) -> StoreResult<bool> {
        let today = crate::model::today();
        let done = transaction!(self, never, |c| initialize(self, c, &admin, &today).await);
        match done {
            // Another process initialized the database meanwhile: nothing was written.
            Err(StoreError::Conflict(_)) => Ok(false),
            other => other,
        }
    }

    async fn settings(&self, owner_id: i64) -> StoreResult<StoredSettings> {
        let rows = self
            .reader()
            .await?
            .query("SELECT name, value FROM settings WHERE owner_id = ?", args![owner_id])
            .await?;
        rows.iter().map(|row| Ok((row.text(0)?, row.text(1)?))).collect()
    }

    async fn set_setting(&self, owner_id: i64, name: &str, value: &str) -> StoreResult<()> {
        let upsert = self.dialect().upsert_setting;
        transaction!(self, never, |c| set_setting(c, upsert, owner_id, name, value).await)
    }

    async fn unset_setting(&self, owner_id: i64, name: &str) -> StoreResult<()> {
        transaction!(self, never, |c| {
            c.execute(
                "DELETE FROM settings WHERE owner_id = ? AND name = ?",
                args![owner_id, name],
            )
            .await
            .map(|_| ())
        })
    }

    async fn country_exists(&self, id: i64) -> StoreResult<bool> {
        flag(
            &mut *self.reader().await?,
            "SELECT EXISTS(SELECT 1 FROM countries WHERE id = ?)",
            args![id],
        )
        .await
    }

    async fn lcr_owner(&self, id: i64) -> StoreResult<Option<i64>> {
        owner_of(&mut *self.reader().await?, "lcrs", id).await
    }

    async fn tariff_owner(&self, id: i64) -> StoreResult<Option<i64>> {
        owner_of(&mut *self.reader().await?, "tariffs", id).await
    }

    async fn location_owner(&self, id: i64) -> StoreResult<Option<i64>> {
        owner_of(&mut *self.reader().await?, "locations", id).await
    }
}
