//! Inserting devices: extension allocation, random PINs, the Default Device template (spec D.6).

use std::cell::Cell;

use rusqlite::{Connection, OptionalExtension, params};

use super::device_name_in_use;
use super::pin_in_use;
use crate::secrets;
use crate::storage::sqlite::writer::WriteState;
use crate::storage::{CreatedDevice, NewDevice, PinChoice, StoreError, StoreResult};

thread_local! {
    /// On the writer thread: `PRAGMA data_version` and the extension hint as the last allocation
    /// left them. The hint is trusted only while both are unchanged.
    static TRUSTED_HINT: Cell<Option<(i64, (i64, i64))>> = const { Cell::new(None) };
}

/// The smallest integer in the range used by no device as extension or username (spec D.6).
/// The writer's hint remembers where the last search ended for the same range start. It is
/// dropped when another connection (another process sharing the database) has committed since,
/// since that commit may have freed a number below it, and when the writer restored an older
/// hint after a failed commit.
fn allocate_extension(state: &mut WriteState, (min, max): (i64, i64)) -> StoreResult<String> {
    let data_version: i64 = state.conn.pragma_query_value(None, "data_version", |row| row.get(0))?;
    let trusted = TRUSTED_HINT.get() == Some((data_version, state.extension_hint));
    let (hint_min, hint_next) = if trusted { state.extension_hint } else { (0, 0) };
    let mut candidate = if hint_min == min { hint_next.max(min) } else { min };
    while candidate <= max {
        let text = candidate.to_string();
        if !device_name_in_use(&state.conn, &text)? {
            // The hint stays at the allocated value (not past it), so it is still a valid lower
            // bound if this job or its group is rolled back.
            state.extension_hint = (min, candidate);
            TRUSTED_HINT.set(Some((data_version, state.extension_hint)));
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

pub(in crate::storage::sqlite) fn insert_device_group(conn: &Connection, user_id: i64) -> StoreResult<i64> {
    conn.prepare_cached("INSERT INTO device_groups (user_id, name) VALUES (?1, 'primary')")?
        .execute([user_id])?;
    Ok(conn.last_insert_rowid())
}
