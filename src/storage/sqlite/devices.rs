//! Devices, device groups and CLIs.

use async_trait::async_trait;
use rusqlite::{Connection, OptionalExtension, params};

use super::SqliteStore;
use super::sql::exists;
use super::writer::WriteState;
use crate::model::{Device, DeviceGroup};
use crate::secrets;
use crate::storage::{CreatedDevice, DeviceStore, NewDevice, PinChoice, StoreError, StoreResult};

// ---- devices ----

const DEVICE_COLUMNS: &str = "id, user_id, device_type, name, username, secret, ha1, extension, pin, description, \
    devicegroup_id, callerid, host, ipaddr, port, context, location_id, call_limit, timeout, fromuser, istrunk, hidden, \
    comment, dtmfmode, nat, qualify, canreinvite, allow";

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

fn device_where(conn: &Connection, condition: &str, param: impl rusqlite::ToSql) -> StoreResult<Option<Device>> {
    let sql = format!("SELECT {DEVICE_COLUMNS} FROM devices WHERE {condition}");
    Ok(conn.prepare_cached(&sql)?.query_row([param], device_from_row).optional()?)
}

pub fn device_by_id(conn: &Connection, id: i64) -> StoreResult<Option<Device>> {
    device_where(conn, "id = ?1", id)
}

pub fn device_by_username(conn: &Connection, username: &str) -> StoreResult<Option<Device>> {
    device_where(conn, "username = ?1", username)
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

/// The smallest integer in the range used by no device as extension or username (spec D.6).
/// The writer's hint remembers where the last search ended for the same range start.
fn allocate_extension(state: &mut WriteState, (min, max): (i64, i64)) -> StoreResult<String> {
    let (hint_min, hint_next) = state.extension_hint;
    let mut candidate = if hint_min == min { hint_next.max(min) } else { min };
    while candidate <= max {
        let text = candidate.to_string();
        if !device_name_in_use(&state.conn, &text)? {
            // The hint stays at the allocated value (not past it), so it is still a valid lower
            // bound if this job or its group is rolled back.
            state.extension_hint = (min, candidate);
            return Ok(text);
        }
        candidate += 1;
    }
    Err(StoreError::NoFreeExtension)
}

fn random_unused_pin(conn: &Connection, length: usize) -> StoreResult<String> {
    let length = if length == 0 { 6 } else { length.min(18) };
    for _ in 0..1000 {
        let pin = secrets::pin(length);
        if !pin_in_use(conn, &pin)? {
            return Ok(pin);
        }
    }
    Err(StoreError::NoFreePin)
}

struct DeviceTemplate {
    context: String,
    host: String,
    dtmfmode: String,
    nat: String,
    qualify: String,
    canreinvite: String,
    allow: String,
    call_limit: i64,
    timeout: i64,
}

fn device_template(conn: &Connection, owner_id: i64) -> StoreResult<DeviceTemplate> {
    let mut stmt = conn.prepare_cached(
        "SELECT context, host, dtmfmode, nat, qualify, canreinvite, allow, call_limit, timeout
         FROM default_devices WHERE owner_id IN (?1, 0) ORDER BY owner_id = ?1 DESC LIMIT 1",
    )?;
    let found = stmt
        .query_row([owner_id], |row| {
            Ok(DeviceTemplate {
                context: row.get(0)?,
                host: row.get(1)?,
                dtmfmode: row.get(2)?,
                nat: row.get(3)?,
                qualify: row.get(4)?,
                canreinvite: row.get(5)?,
                allow: row.get(6)?,
                call_limit: row.get(7)?,
                timeout: row.get(8)?,
            })
        })
        .optional()?;
    Ok(found.unwrap_or_else(|| DeviceTemplate {
        context: "mor_local".into(),
        host: "dynamic".into(),
        dtmfmode: "rfc2833".into(),
        nat: "yes".into(),
        qualify: "yes".into(),
        canreinvite: "no".into(),
        allow: "alaw,ulaw".into(),
        call_limit: 0,
        timeout: 60,
    }))
}

fn primary_group(conn: &Connection, user_id: i64) -> StoreResult<i64> {
    let found: Option<i64> = conn
        .prepare_cached("SELECT id FROM device_groups WHERE user_id = ?1 AND name = 'primary' ORDER BY id LIMIT 1")?
        .query_row([user_id], |row| row.get(0))
        .optional()?;
    match found {
        Some(id) => Ok(id),
        None => insert_device_group(conn, user_id),
    }
}

/// Inserts a device and its CLIs; `group_id` overrides the device's own group choice.
pub fn insert_device(state: &mut WriteState, device: &NewDevice, group_id: Option<i64>) -> StoreResult<CreatedDevice> {
    let group_id = match group_id.or(device.devicegroup_id) {
        Some(id) => id,
        None => primary_group(&state.conn, device.user_id)?,
    };
    let template = device_template(&state.conn, device.template_owner)?;
    let extension = match &device.extension {
        Some(extension) => extension.clone(),
        None => allocate_extension(state, device.extension_range)?,
    };
    let username = device.username.clone().unwrap_or_else(|| extension.clone());
    let pin = match &device.pin {
        PinChoice::Random(length) => Some(random_unused_pin(&state.conn, *length)?),
        PinChoice::Pinless => None,
        PinChoice::Given(pin) => Some(pin.clone()),
    };
    let (host, ipaddr, port) = if device.device_type == "H323" {
        ("0.0.0.0".to_string(), "0.0.0.0", 1720)
    } else {
        (template.host, "", 0)
    };
    let ha1 = secrets::sip_ha1(&username, &device.sip_realm, &device.secret);
    let conn = &state.conn;
    conn.prepare_cached(
        "INSERT INTO devices (user_id, device_type, name, username, secret, ha1, extension, pin, description,
            devicegroup_id, callerid, host, ipaddr, port, context, location_id, call_limit, timeout, fromuser,
            dtmfmode, nat, qualify, canreinvite, allow)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20,
                 ?21, ?22, ?23, ?24)",
    )?
    .execute(params![
        device.user_id,
        device.device_type,
        username,
        username,
        device.secret,
        ha1,
        extension,
        pin,
        device.description,
        group_id,
        device.callerid,
        host,
        ipaddr,
        port,
        template.context,
        device.location_id.unwrap_or(1),
        template.call_limit,
        device.timeout.unwrap_or(template.timeout),
        device.fromuser,
        template.dtmfmode,
        template.nat,
        template.qualify,
        template.canreinvite,
        template.allow,
    ])?;
    let id = conn.last_insert_rowid();
    let mut stmt = conn.prepare_cached("INSERT INTO clis (device_id, cli, description) VALUES (?1, ?2, ?3)")?;
    for (cli, description) in &device.clis {
        stmt.execute(params![id, cli, description])?;
    }
    Ok(CreatedDevice {
        id,
        username,
        secret: device.secret.clone(),
        pin,
        extension,
    })
}

pub(super) fn insert_device_group(conn: &Connection, user_id: i64) -> StoreResult<i64> {
    conn.prepare_cached("INSERT INTO device_groups (user_id, name) VALUES (?1, 'primary')")?
        .execute([user_id])?;
    Ok(conn.last_insert_rowid())
}

#[async_trait]
impl DeviceStore for SqliteStore {
    async fn device_by_id(&self, id: i64) -> StoreResult<Option<Device>> {
        self.read(move |c| device_by_id(c, id)).await
    }

    async fn device_by_username(&self, username: &str) -> StoreResult<Option<Device>> {
        let username = username.to_owned();
        self.read(move |c| device_by_username(c, &username)).await
    }

    async fn device_group(&self, id: i64) -> StoreResult<Option<DeviceGroup>> {
        self.read(move |c| device_group(c, id)).await
    }

    async fn pin_in_use(&self, pin: &str) -> StoreResult<bool> {
        let pin = pin.to_owned();
        self.read(move |c| pin_in_use(c, &pin)).await
    }

    async fn cli_in_use(&self, cli: &str) -> StoreResult<bool> {
        let cli = cli.to_owned();
        self.read(move |c| cli_in_use(c, &cli)).await
    }

    async fn device_name_in_use(&self, name: &str) -> StoreResult<bool> {
        let name = name.to_owned();
        self.read(move |c| device_name_in_use(c, &name)).await
    }

    async fn create_device(&self, device: NewDevice) -> StoreResult<CreatedDevice> {
        self.writer.write(move |s| insert_device(s, &device, None)).await
    }
}
