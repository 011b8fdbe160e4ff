//! Install rows, settings, and the lookups with no API of their own (countries, tariffs, LCRs,
//! locations).

use rusqlite::{Connection, params};

use super::sql::{exists, owner_of};
use crate::settings::StoredSettings;
use crate::storage::{NewAdmin, StoreResult};

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
