//! Inserting devices: extension allocation, random PINs, the Default Device template (spec D.6).

use rusqlite::{Connection, OptionalExtension, params};

use super::device_name_in_use;
use crate::secrets;
use crate::storage::sqlite::writer::{ExtensionHint, WriteState};
use crate::storage::{CreatedDevice, NewDevice, PinChoice, StoreError, StoreResult, Unique};

/// The smallest integer in the range used by no device as extension or username (spec D.6).
/// The writer's hint remembers where the last search ended for the same range start; it is
/// trusted only while `PRAGMA data_version` is unchanged (no other connection has committed,
/// which could have freed a number below it). The writer takes a hint back when it rolls back
/// the job or the group that moved it.
fn allocate_extension(state: &mut WriteState, (min, max): (i64, i64)) -> StoreResult<String> {
    let data_version = state.data_version;
    let hint = state.extension_hint;
    let trusted = hint.version == Some(data_version) && hint.min == min;
    let mut candidate = if trusted { hint.next.max(min) } else { min };
    while candidate <= max {
        let text = candidate.to_string();
        if !device_name_in_use(&state.conn, &text)? {
            state.extension_hint = ExtensionHint {
                min,
                next: candidate + 1,
                version: Some(data_version),
            };
            return Ok(text);
        }
        candidate += 1;
    }
    Err(StoreError::NoFreeExtension)
}

/// PINs drawn at most for one device before giving up.
const PIN_DRAWS: usize = 1000;

fn random_pin(length: usize) -> String {
    secrets::pin(if length == 0 { 6 } else { length.min(18) })
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
    // The owner's template, else admin's: two primary-key probes. (One query with `IN (?1, 0)`
    // and an ORDER BY built two temporary b-trees per device, a quarter of an insert's cost.)
    let mut stmt = conn.prepare_cached(
        "SELECT context, host, dtmfmode, nat, qualify, canreinvite, allow, call_limit, timeout
         FROM default_devices WHERE owner_id = ?1",
    )?;
    let mut found = None;
    for owner in [owner_id, 0] {
        found = stmt
            .query_row([owner], |row| {
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
        if found.is_some() || owner == 0 {
            break;
        }
    }
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
    let (host, ipaddr, port) = if device.device_type == "H323" {
        ("0.0.0.0".to_string(), "0.0.0.0", 1720)
    } else {
        (template.host, "", 0)
    };
    let ha1 = secrets::sip_ha1(&username, &device.sip_realm, &device.secret);
    let conn = &state.conn;
    let insert = |pin: &Option<String>| -> StoreResult<usize> {
        Ok(conn
            .prepare_cached(
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
            ])?)
    };
    // A random PIN is drawn again while the insert finds it taken: the unique index answers in
    // the insert itself, with no separate lookup per device.
    let mut draws = 0;
    let pin = loop {
        let pin = match &device.pin {
            PinChoice::Random(length) => Some(random_pin(*length)),
            PinChoice::Pinless => None,
            PinChoice::Given(pin) => Some(pin.clone()),
        };
        match insert(&pin) {
            Ok(_) => break pin,
            Err(StoreError::Conflict(Unique::Pin)) if matches!(device.pin, PinChoice::Random(_)) => {
                draws += 1;
                if draws == PIN_DRAWS {
                    return Err(StoreError::NoFreePin);
                }
            }
            Err(e) => return Err(e),
        }
    };
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::sqlite::{SqliteStore, temp_store};

    fn device(extension: Option<&str>) -> NewDevice {
        NewDevice {
            user_id: 0,
            template_owner: 0,
            device_type: "SIP".into(),
            username: None,
            extension: extension.map(str::to_owned),
            extension_range: (101, 999),
            secret: "secret".into(),
            sip_realm: "asterisk".into(),
            pin: PinChoice::Random(1),
            description: String::new(),
            devicegroup_id: None,
            callerid: String::new(),
            location_id: None,
            timeout: None,
            fromuser: String::new(),
            clis: Vec::new(),
        }
    }

    async fn store() -> (tempfile::TempDir, SqliteStore) {
        temp_store(
            "INSERT INTO users (id, username, username_key, password_hash, usertype, uniquehash)
             VALUES (0, 'admin', 'admin', 'x', 'admin', 'u');
             INSERT INTO default_devices (owner_id) VALUES (0);",
        )
        .await
    }

    async fn create(store: &SqliteStore, device: NewDevice) -> StoreResult<CreatedDevice> {
        store.writer.write(move |s| insert_device(s, &device, None)).await
    }

    #[tokio::test]
    async fn a_job_rolled_back_alone_gives_its_extension_back() {
        let (_dir, store) = store().await;
        assert_eq!(create(&store, device(None)).await.unwrap().extension, "101");
        // The device is inserted, then the job fails: its savepoint and its hint are undone.
        let failed = store
            .writer
            .write(|s| {
                insert_device(s, &device(None), None)?;
                Err::<(), _>(StoreError::Backend("later step failed".into()))
            })
            .await;
        assert!(failed.is_err());
        assert_eq!(create(&store, device(None)).await.unwrap().extension, "102");
        assert_eq!(create(&store, device(None)).await.unwrap().extension, "103");
    }

    #[tokio::test]
    async fn random_pins_are_drawn_again_until_one_is_free() {
        let (_dir, store) = store().await;
        // One-digit PINs: ten devices take every PIN, each found free by redrawing.
        let mut pins: Vec<String> = Vec::new();
        for n in 0..10 {
            let created = create(&store, device(Some(&format!("5{n}")))).await.unwrap();
            pins.push(created.pin.unwrap());
        }
        pins.sort();
        assert_eq!(pins, (0..10).map(|d| d.to_string()).collect::<Vec<_>>());
        let full = create(&store, device(Some("60"))).await;
        assert!(matches!(full, Err(StoreError::NoFreePin)));
    }
}
