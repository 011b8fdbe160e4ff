//! Devices, device groups and CLIs: lookups here, inserts in `create`, updates and deletes in
//! `change`.

mod change;
mod create;

use async_trait::async_trait;
use rusqlite::{Connection, OptionalExtension};

pub(super) use create::{insert_device, insert_device_group};

use super::SqliteStore;
use super::sql::exists;
use crate::model::{Device, DeviceGroup};
use crate::storage::{CreatedDevice, DeviceChanges, DeviceDeletion, DeviceStore, ListedDevice, NewDevice, StoreResult};

// ---- devices ----

/// The columns of [`Device`], as a literal so that lookups can `concat!` their SQL.
macro_rules! device_columns {
    () => {
        "id, user_id, device_type, name, username, secret, ha1, extension, pin, description, \
         devicegroup_id, callerid, host, ipaddr, port, context, location_id, call_limit, timeout, fromuser, istrunk, \
         hidden, comment, dtmfmode, nat, qualify, canreinvite, allow"
    };
}

const DEVICE_COLUMNS: &str = device_columns!();

fn device_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Device> {
    Ok(Device {
        id: row.get(0)?,
        user_id: row.get(1)?,
        device_type: row.get(2)?,
        name: row.get(3)?,
        username: row.get(4)?,
        secret: row.get(5)?,
        ha1: row.get(6)?,
        extension: row.get(7)?,
        pin: row.get(8)?,
        description: row.get(9)?,
        devicegroup_id: row.get(10)?,
        callerid: row.get(11)?,
        host: row.get(12)?,
        ipaddr: row.get(13)?,
        port: row.get(14)?,
        context: row.get(15)?,
        location_id: row.get(16)?,
        call_limit: row.get(17)?,
        timeout: row.get(18)?,
        fromuser: row.get(19)?,
        istrunk: row.get(20)?,
        hidden: row.get(21)?,
        comment: row.get(22)?,
        dtmfmode: row.get(23)?,
        nat: row.get(24)?,
        qualify: row.get(25)?,
        canreinvite: row.get(26)?,
        allow: row.get(27)?,
    })
}

fn device_where(conn: &Connection, sql: &str, param: impl rusqlite::ToSql) -> StoreResult<Option<Device>> {
    Ok(conn
        .prepare_cached(sql)?
        .query_row([param], device_from_row)
        .optional()?)
}

pub fn device_by_id(conn: &Connection, id: i64) -> StoreResult<Option<Device>> {
    device_where(
        conn,
        concat!("SELECT ", device_columns!(), " FROM devices WHERE id = ?1"),
        id,
    )
}

pub fn device_by_username(conn: &Connection, username: &str) -> StoreResult<Option<Device>> {
    device_where(
        conn,
        concat!("SELECT ", device_columns!(), " FROM devices WHERE username = ?1"),
        username,
    )
}

pub fn device_group(conn: &Connection, id: i64) -> StoreResult<Option<DeviceGroup>> {
    Ok(conn
        .prepare_cached("SELECT id, user_id, name FROM device_groups WHERE id = ?1")?
        .query_row([id], |row| {
            Ok(DeviceGroup {
                id: row.get(0)?,
                user_id: row.get(1)?,
                name: row.get(2)?,
            })
        })
        .optional()?)
}

pub fn pin_in_use(conn: &Connection, pin: &str) -> StoreResult<bool> {
    exists(conn, "SELECT EXISTS(SELECT 1 FROM devices WHERE pin = ?1)", pin)
}

pub fn cli_in_use(conn: &Connection, cli: &str) -> StoreResult<bool> {
    exists(conn, "SELECT EXISTS(SELECT 1 FROM clis WHERE cli = ?1)", cli)
}

pub fn device_name_in_use(conn: &Connection, name: &str) -> StoreResult<bool> {
    exists(
        conn,
        "SELECT EXISTS(SELECT 1 FROM devices WHERE extension = ?1)
             OR EXISTS(SELECT 1 FROM devices WHERE username = ?1)",
        name,
    )
}

/// Whether a device other than `except_id` uses `name` as its extension or username.
pub fn device_name_used_by_other(conn: &Connection, name: &str, except_id: i64) -> StoreResult<bool> {
    Ok(conn
        .prepare_cached(
            "SELECT EXISTS(SELECT 1 FROM devices WHERE extension = ?1 AND id <> ?2)
                 OR EXISTS(SELECT 1 FROM devices WHERE username = ?1 AND id <> ?2)",
        )?
        .query_row(rusqlite::params![name, except_id], |row| row.get(0))?)
}

/// A user's devices by id, each marked primary when it is the user's lowest-id device (hidden
/// devices included in that comparison). One statement, so one consistent snapshot.
pub fn user_devices(
    conn: &Connection,
    user_id: i64,
    include_hidden: bool,
    limit: usize,
) -> StoreResult<Vec<ListedDevice>> {
    let sql = format!(
        "SELECT {DEVICE_COLUMNS}, id = (SELECT MIN(id) FROM devices WHERE user_id = ?1)
         FROM devices WHERE user_id = ?1 AND (?2 OR hidden = 0) ORDER BY id LIMIT ?3"
    );
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(rusqlite::params![user_id, include_hidden, limit], |row| {
        Ok(ListedDevice {
            device: device_from_row(row)?,
            primary: row.get(28)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

#[async_trait]
impl DeviceStore for SqliteStore {
    async fn device_by_id(&self, id: i64) -> StoreResult<Option<Device>> {
        self.lookup(|c| device_by_id(c, id))
    }

    async fn device_by_username(&self, username: &str) -> StoreResult<Option<Device>> {
        self.lookup(|c| device_by_username(c, username))
    }

    async fn user_devices(&self, user_id: i64, include_hidden: bool, limit: usize) -> StoreResult<Vec<ListedDevice>> {
        self.read(move |c| user_devices(c, user_id, include_hidden, limit))
            .await
    }

    async fn device_group(&self, id: i64) -> StoreResult<Option<DeviceGroup>> {
        self.lookup(|c| device_group(c, id))
    }

    async fn pin_in_use(&self, pin: &str) -> StoreResult<bool> {
        self.lookup(|c| pin_in_use(c, pin))
    }

    async fn cli_in_use(&self, cli: &str) -> StoreResult<bool> {
        self.lookup(|c| cli_in_use(c, cli))
    }

    async fn device_name_in_use(&self, name: &str) -> StoreResult<bool> {
        self.lookup(|c| device_name_in_use(c, name))
    }

    async fn device_name_used_by_other(&self, name: &str, except_id: i64) -> StoreResult<bool> {
        self.lookup(|c| device_name_used_by_other(c, name, except_id))
    }

    async fn create_device(&self, device: NewDevice) -> StoreResult<CreatedDevice> {
        self.writer.write(move |s| insert_device(s, &device, None)).await
    }

    async fn update_device(&self, id: i64, changes: DeviceChanges) -> StoreResult<Option<Device>> {
        self.writer.write(move |s| change::update_device(s, id, &changes)).await
    }

    async fn delete_device(&self, id: i64) -> StoreResult<DeviceDeletion> {
        self.writer.write(move |s| change::delete_device(s, id)).await
    }
}
