//! Install rows, settings, and the lookups with no API of their own (countries, tariffs, LCRs,
//! locations).

use async_trait::async_trait;
use rusqlite::{Connection, params};

use super::SqliteStore;
use super::sql::{exists, owner_of};
use crate::settings::StoredSettings;
use crate::storage::{InstallStore, NewAdmin, StoreResult};

// ---- install and settings ----

pub fn is_initialized(conn: &Connection) -> StoreResult<bool> {
    exists(conn, "SELECT EXISTS(SELECT 1 FROM users WHERE id = ?1)", 0)
}

pub fn initialize(conn: &Connection, admin: &NewAdmin, today: &str) -> StoreResult<bool> {
    if is_initialized(conn)? {
        return Ok(false);
    }
    conn.execute(
        "INSERT INTO users (id, username, username_key, password_hash, usertype, owner_id, uniquehash,
                            first_name, last_name, tariff_id, lcr_id, agreement_date)
         VALUES (0, 'admin', 'admin', ?1, 'admin', 0, ?2, 'System', 'Admin', 1, 1, ?3)",
        params![admin.password_hash, admin.uniquehash, today],
    )?;
    conn.execute_batch(
        "INSERT OR IGNORE INTO tariffs (id, name, owner_id) VALUES (1, 'Default', 0);
         INSERT OR IGNORE INTO lcrs (id, name, owner_id) VALUES (1, 'Primary', 0);
         INSERT OR IGNORE INTO locations (id, name, owner_id) VALUES (1, 'Global', 0);
         INSERT OR IGNORE INTO default_users (owner_id, tariff_id, lcr_id) VALUES (0, 1, 1);
         INSERT OR IGNORE INTO default_devices (owner_id) VALUES (0);
         INSERT INTO device_groups (user_id, name) VALUES (0, 'primary');",
    )?;
    set_setting(conn, 0, "api_secret_key", &admin.api_secret_key)?;
    set_setting(conn, 0, "allow_api", "1")?;
    Ok(true)
}

pub fn settings(conn: &Connection, owner_id: i64) -> StoreResult<StoredSettings> {
    let mut stmt = conn.prepare_cached("SELECT name, value FROM settings WHERE owner_id = ?1")?;
    let rows = stmt.query_map([owner_id], |row| Ok((row.get(0)?, row.get(1)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub fn set_setting(conn: &Connection, owner_id: i64, name: &str, value: &str) -> StoreResult<()> {
    conn.prepare_cached(
        "INSERT INTO settings (owner_id, name, value) VALUES (?1, ?2, ?3)
         ON CONFLICT (owner_id, name) DO UPDATE SET value = excluded.value",
    )?
    .execute(params![owner_id, name, value])?;
    Ok(())
}

pub fn unset_setting(conn: &Connection, owner_id: i64, name: &str) -> StoreResult<()> {
    conn.prepare_cached("DELETE FROM settings WHERE owner_id = ?1 AND name = ?2")?
        .execute(params![owner_id, name])?;
    Ok(())
}

// ---- lookups with no API of their own ----

pub fn country_exists(conn: &Connection, id: i64) -> StoreResult<bool> {
    exists(conn, "SELECT EXISTS(SELECT 1 FROM countries WHERE id = ?1)", id)
}

pub fn lcr_owner(conn: &Connection, id: i64) -> StoreResult<Option<i64>> {
    owner_of(conn, "lcrs", id)
}

pub fn tariff_owner(conn: &Connection, id: i64) -> StoreResult<Option<i64>> {
    owner_of(conn, "tariffs", id)
}

pub fn location_owner(conn: &Connection, id: i64) -> StoreResult<Option<i64>> {
    owner_of(conn, "locations", id)
}

#[async_trait]
impl InstallStore for SqliteStore {
    async fn is_initialized(&self) -> StoreResult<bool> {
        self.read(is_initialized).await
    }

    async fn initialize(&self, admin: NewAdmin) -> StoreResult<bool> {
        let today = crate::model::today();
        self.writer.write(move |s| initialize(&s.conn, &admin, &today)).await
    }

    async fn settings(&self, owner_id: i64) -> StoreResult<StoredSettings> {
        self.lookup(|c| settings(c, owner_id))
    }

    async fn set_setting(&self, owner_id: i64, name: &str, value: &str) -> StoreResult<()> {
        let (name, value) = (name.to_owned(), value.to_owned());
        self.writer
            .write(move |s| set_setting(&s.conn, owner_id, &name, &value))
            .await
    }

    async fn unset_setting(&self, owner_id: i64, name: &str) -> StoreResult<()> {
        let name = name.to_owned();
        self.writer
            .write(move |s| unset_setting(&s.conn, owner_id, &name))
            .await
    }

    async fn country_exists(&self, id: i64) -> StoreResult<bool> {
        self.lookup(|c| country_exists(c, id))
    }

    async fn lcr_owner(&self, id: i64) -> StoreResult<Option<i64>> {
        self.lookup(|c| lcr_owner(c, id))
    }

    async fn tariff_owner(&self, id: i64) -> StoreResult<Option<i64>> {
        self.lookup(|c| tariff_owner(c, id))
    }

    async fn location_owner(&self, id: i64) -> StoreResult<Option<i64>> {
        self.lookup(|c| location_owner(c, id))
    }
}
