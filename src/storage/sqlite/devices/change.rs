//! Updating and deleting devices (spec F.8, F.9). Each runs as one writer job, so its checks and
//! its write see the same state; uniqueness is also enforced by the schema's constraints.

use rusqlite::params;

use super::{device_by_id, device_name_used_by_other};
use crate::model::Device;
use crate::secrets;
use crate::storage::sqlite::sql::exists;
use crate::storage::sqlite::writer::{ExtensionHint, WriteState};
use crate::storage::{DeviceChanges, DeviceDeletion, StoreError, StoreResult, Unique};

/// Applies `changes` to device `id`; `Ok(None)` when it does not exist.
pub(super) fn update_device(state: &mut WriteState, id: i64, changes: &DeviceChanges) -> StoreResult<Option<Device>> {
    let Some(mut device) = device_by_id(&state.conn, id)? else {
        return Ok(None);
    };
    let conn = &state.conn;
    if let Some(Some(pin)) = &changes.pin
        && device.pin.as_deref() != Some(pin.as_str())
        && exists(
            conn,
            "SELECT EXISTS(SELECT 1 FROM devices WHERE pin = ?1)",
            pin.as_str(),
        )?
    {
        return Err(StoreError::Conflict(Unique::Pin));
    }
    if let Some(extension) = &changes.extension
        && *extension != device.extension
        && device_name_used_by_other(conn, extension, id)?
    {
        return Err(StoreError::Conflict(Unique::Extension));
    }
    if let Some(username) = &changes.username
        && *username != device.username
        && device_name_used_by_other(conn, username, id)?
    {
        return Err(StoreError::Conflict(Unique::DeviceUsername));
    }
    let names_change = changes.extension.as_ref().is_some_and(|e| *e != device.extension)
        || changes.username.as_ref().is_some_and(|u| *u != device.username);
    let credentials_change = changes.username.as_ref().is_some_and(|u| *u != device.username)
        || changes.secret.as_ref().is_some_and(|s| *s != device.secret);
    apply(&mut device, changes);
    if credentials_change {
        device.ha1 = secrets::sip_ha1(&device.username, &changes.sip_realm, &device.secret);
    }
    conn.prepare_cached(
        "UPDATE devices SET name = ?2, username = ?3, secret = ?4, ha1 = ?5, extension = ?6, pin = ?7,
            callerid = ?8, host = ?9, ipaddr = ?10, port = ?11, location_id = ?12, call_limit = ?13,
            timeout = ?14, fromuser = ?15, istrunk = ?16, hidden = ?17, comment = ?18
         WHERE id = ?1",
    )?
    .execute(params![
        id,
        device.name,
        device.username,
        device.secret,
        device.ha1,
        device.extension,
        device.pin,
        device.callerid,
        device.host,
        device.ipaddr,
        device.port,
        device.location_id,
        device.call_limit,
        device.timeout,
        device.fromuser,
        device.istrunk,
        device.hidden,
        device.comment,
    ])?;
    if names_change {
        // The old extension or username may now be free: the next allocation searches from the
        // start of the range again (spec D.6).
        state.extension_hint = ExtensionHint::default();
    }
    Ok(Some(device))
}

/// Overwrites the fields that `changes` names. The peer `name` follows the username.
fn apply(device: &mut Device, changes: &DeviceChanges) {
    fn set<T: Clone>(field: &mut T, value: &Option<T>) {
        if let Some(value) = value {
            *field = value.clone();
        }
    }
    if let Some(username) = &changes.username {
        device.username = username.clone();
        device.name = username.clone();
    }
    set(&mut device.secret, &changes.secret);
    set(&mut device.host, &changes.host);
    set(&mut device.ipaddr, &changes.ipaddr);
    set(&mut device.port, &changes.port);
    set(&mut device.callerid, &changes.callerid);
    set(&mut device.call_limit, &changes.call_limit);
    set(&mut device.timeout, &changes.timeout);
    set(&mut device.extension, &changes.extension);
    set(&mut device.pin, &changes.pin);
    set(&mut device.hidden, &changes.hidden);
    set(&mut device.comment, &changes.comment);
    set(&mut device.fromuser, &changes.fromuser);
    set(&mut device.istrunk, &changes.istrunk);
    set(&mut device.location_id, &changes.location_id);
}

/// Removes device `id` and its CLIs, unless a DID is assigned to it.
pub(super) fn delete_device(state: &mut WriteState, id: i64) -> StoreResult<DeviceDeletion> {
    let conn = &state.conn;
    if !exists(conn, "SELECT EXISTS(SELECT 1 FROM devices WHERE id = ?1)", id)? {
        return Ok(DeviceDeletion::NotFound);
    }
    if exists(conn, "SELECT EXISTS(SELECT 1 FROM dids WHERE device_id = ?1)", id)? {
        return Ok(DeviceDeletion::HasDids);
    }
    conn.prepare_cached("DELETE FROM clis WHERE device_id = ?1")?
        .execute([id])?;
    conn.prepare_cached("DELETE FROM devices WHERE id = ?1")?
        .execute([id])?;
    // The freed extension is found again by the next allocation (spec D.6).
    state.extension_hint = ExtensionHint::default();
    Ok(DeviceDeletion::Deleted)
}
