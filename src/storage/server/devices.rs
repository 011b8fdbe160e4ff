//! Devices, device groups and CLIs (the SQLite backend's `devices/`).
//!
//! Extension allocation (spec D.6) takes the lock of the single `device_allocation` row, which
//! also keeps the hint of S7 (where the last search for a range start ended). Every write that
//! can take or free a device name (extension or username: they share one namespace) holds that
//! lock, so the checks it makes inside its transaction stay true until it commits, across
//! processes. A schema trigger resets the hint whenever a device is deleted or renamed, by moray
//! or by hand. A random PIN that loses a race to another process is drawn again.

use async_trait::async_trait;

use super::db::args;
use super::{Conn, Row, ServerStore, flag, limit, one, transaction};
use crate::model::{Device, DeviceGroup};
use crate::secrets;
use crate::storage::{
    CreatedDevice, DeviceChanges, DeviceDeletion, DeviceStore, ListedDevice, NewDevice, PinChoice, StoreError,
    StoreResult, Unique,
};

const DEVICE_COLUMNS: &str = "id, user_id, device_type, name, username, secret, ha1, extension, pin, description, \
    devicegroup_id, callerid, host, ipaddr, port, context, location_id, call_limit, timeout, fromuser, istrunk, hidden, \
    comment, dtmfmode, nat, qualify, canreinvite, allow";

fn device_from_row(row: &Row) -> StoreResult<Device> {
    Ok(Device {
        id: row.i64(0)?,
        user_id: row.i64(1)?,
        device_type: row.text(2)?,
        name: row.text(3)?,
        username: row.text(4)?,
        secret: row.text(5)?,
        ha1: row.text(6)?,
        extension: row.text(7)?,
        pin: row.opt_text(8)?,
        description: row.text(9)?,
        devicegroup_id: row.i64(10)?,
        callerid: row.text(11)?,
        host: row.text(12)?,
        ipaddr: row.text(13)?,
        port: row.i64(14)?,
        context: row.text(15)?,
        location_id: row.i64(16)?,
        call_limit: row.i64(17)?,
        timeout: row.i64(18)?,
        fromuser: row.text(19)?,
        istrunk: row.i64(20)?,
        hidden: row.bool(21)?,
        comment: row.text(22)?,
        dtmfmode: row.text(23)?,
        nat: row.text(24)?,
        qualify: row.text(25)?,
        canreinvite: row.text(26)?,
        allow: row.text(27)?,
    })
}

async fn device_by_id(c: &mut dyn Conn, id: i64, lock: &str) -> StoreResult<Option<Device>> {
    let sql = format!("SELECT {DEVICE_COLUMNS} FROM devices WHERE id = ? {lock}");
    one(c, &sql, args![id]).await?.as_ref().map(device_from_row).transpose()
}

async fn pin_in_use(c: &mut dyn Conn, pin: &str) -> StoreResult<bool> {
    flag(c, "SELECT EXISTS(SELECT 1 FROM devices WHERE pin = ?)", args![pin]).await
}

async fn device_name_in_use(c: &mut dyn Conn, name: &str) -> StoreResult<bool> {
    flag(
        c,
        "SELECT CASE WHEN EXISTS(SELECT 1 FROM devices WHERE extension = ?)
                       OR EXISTS(SELECT 1 FROM devices WHERE username = ?) THEN 1 ELSE 0 END",
        args![name, name],
    )
    .await
}

async fn device_name_used_by_other(c: &mut dyn Conn, name: &str, except_id: i64) -> StoreResult<bool> {
    flag(
        c,
        "SELECT CASE WHEN EXISTS(SELECT 1 FROM devices WHERE extension = ? AND id <> ?)
                       OR EXISTS(SELECT 1 FROM devices WHERE username = ? AND id <> ?) THEN 1 ELSE 0 END",
        args![name, except_id, name, except_id],
    )
    .await
}

/// Takes the device-name lock; returns the allocation hint `(range start, next)`.
async fn lock_device_names(store: &ServerStore, c: &mut dyn Conn) -> StoreResult<(i64, i64)> {
    let sql = format!(
        "SELECT range_start, next_free FROM device_allocation WHERE id = 1 {}",
        store.dialect().for_update
    );
    let row = one(c, &sql, Vec::new())
        .await?
        .ok_or_else(|| StoreError::Backend("the device_allocation row is missing".into()))?;
    Ok((row.i64(0)?, row.i64(1)?))
}

/// The smallest integer in the range used by no device as extension or username (spec D.6),
/// searched from the shared hint. The hint stays at the allocated value (not past it), so it is
/// still a lower bound if this transaction is rolled back; a rollback restores it anyway.
async fn allocate_extension(c: &mut dyn Conn, hint: (i64, i64), (min, max): (i64, i64)) -> StoreResult<String> {
    let (hint_min, hint_next) = hint;
    let mut candidate = if hint_min == min { hint_next.max(min) } else { min };
    while candidate <= max {
        let text = candidate.to_string();
        if !device_name_in_use(c, &text).await? {
            c.execute(
                "UPDATE device_allocation SET range_start = ?, next_free = ? WHERE id = 1",
                args![min, candidate],
            )
            .await?;
            return Ok(text);
        }
        candidate += 1;
    }
    Err(StoreError::NoFreeExtension)
}

async fn random_unused_pin(c: &mut dyn Conn, length: usize) -> StoreResult<String> {
    let length = if length == 0 { 6 } else { length.min(18) };
    for _ in 0..1000 {
        let pin = secrets::pin(length);
        if !pin_in_use(c, &pin).await? {
            return Ok(pin);
        }
    }
    Err(StoreError::NoFreePin)
}

/// Which errors of a device insert mean "a value this write chose itself was taken by a
/// concurrent one": then the whole transaction runs again and chooses anew.
pub(super) fn retry_allocation(device: &NewDevice) -> impl Fn(&StoreError) -> bool + use<> {
    let allocated_extension = device.extension.is_none();
    let allocated_username = allocated_extension && device.username.is_none();
    let random_pin = matches!(device.pin, PinChoice::Random(_));
    move |e| match e {
        StoreError::Conflict(Unique::Extension) => allocated_extension,
        StoreError::Conflict(Unique::DeviceUsername) => allocated_username,
        StoreError::Conflict(Unique::Pin) => random_pin,
        _ => false,
    }
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

async fn device_template(c: &mut dyn Conn, owner_id: i64) -> StoreResult<DeviceTemplate> {
    let found = one(
        c,
        "SELECT context, host, dtmfmode, nat, qualify, canreinvite, allow, call_limit, timeout
         FROM default_devices WHERE owner_id IN (?, 0) ORDER BY CASE WHEN owner_id = ? THEN 0 ELSE 1 END LIMIT 1",
        args![owner_id, owner_id],
    )
    .await?;
    match found {
        Some(row) => Ok(DeviceTemplate {
            context: row.text(0)?,
            host: row.text(1)?,
            dtmfmode: row.text(2)?,
            nat: row.text(3)?,
            qualify: row.text(4)?,
            canreinvite: row.text(5)?,
            allow: row.text(6)?,
            call_limit: row.i64(7)?,
            timeout: row.i64(8)?,
        }),
        None => Ok(DeviceTemplate {
            context: "mor_local".into(),
            host: "dynamic".into(),
            dtmfmode: "rfc2833".into(),
            nat: "yes".into(),
            qualify: "yes".into(),
            canreinvite: "no".into(),
            allow: "alaw,ulaw".into(),
            call_limit: 0,
            timeout: 60,
        }),
    }
}

async fn primary_group(c: &mut dyn Conn, user_id: i64) -> StoreResult<i64> {
    let found = one(
        c,
        "SELECT id FROM device_groups WHERE user_id = ? AND name = 'primary' ORDER BY id LIMIT 1",
        args![user_id],
    )
    .await?;
    match found {
        Some(row) => row.i64(0),
        None => insert_device_group(c, user_id).await,
    }
}

pub(super) async fn insert_device_group(c: &mut dyn Conn, user_id: i64) -> StoreResult<i64> {
    c.insert(
        "INSERT INTO device_groups (user_id, name) VALUES (?, 'primary')",
        args![user_id],
    )
    .await
}

/// Inserts a device and its CLIs; `group_id` overrides the device's own group choice.
pub(super) async fn insert_device(
    store: &ServerStore,
    c: &mut dyn Conn,
    device: &NewDevice,
    group_id: Option<i64>,
) -> StoreResult<CreatedDevice> {
    let group_id = match group_id.or(device.devicegroup_id) {
        Some(id) => id,
        None => primary_group(c, device.user_id).await?,
    };
    let template = device_template(c, device.template_owner).await?;
    let hint = lock_device_names(store, c).await?;
    let extension = match &device.extension {
        Some(extension) => {
            // Under the lock, a name taken as the other column of another device is seen too.
            if device_name_in_use(c, extension).await? {
                return Err(StoreError::Conflict(Unique::Extension));
            }
            extension.clone()
        }
        None => allocate_extension(c, hint, device.extension_range).await?,
    };
    let username = device.username.clone().unwrap_or_else(|| extension.clone());
    if username != extension && device_name_in_use(c, &username).await? {
        return Err(StoreError::Conflict(Unique::DeviceUsername));
    }
    let pin = match &device.pin {
        PinChoice::Random(length) => Some(random_unused_pin(c, *length).await?),
        PinChoice::Pinless => None,
        PinChoice::Given(pin) => Some(pin.clone()),
    };
    let (host, ipaddr, port) = if device.device_type == "H323" {
        ("0.0.0.0".to_string(), "0.0.0.0", 1720)
    } else {
        (template.host, "", 0)
    };
    let ha1 = secrets::sip_ha1(&username, &device.sip_realm, &device.secret);
    let id = c
        .insert(
            "INSERT INTO devices (user_id, device_type, name, username, secret, ha1, extension, pin, description,
                devicegroup_id, callerid, host, ipaddr, port, context, location_id, call_limit, timeout, fromuser,
                dtmfmode, nat, qualify, canreinvite, allow)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            args![
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
            ],
        )
        .await?;
    for (cli, description) in &device.clis {
        c.execute(
            "INSERT INTO clis (device_id, cli, description) VALUES (?, ?, ?)",
            args![id, cli, description],
        )
        .await?;
    }
    Ok(CreatedDevice {
        id,
        username,
        secret: device.secret.clone(),
        pin,
        extension,
    })
}

/// Applies `changes` to device `id` (spec F.8), the SQLite backend's checks in its order, under
/// the device's row lock and, when a name changes, the device-name lock.
async fn update_device(
    store: &ServerStore,
    c: &mut dyn Conn,
    id: i64,
    changes: &DeviceChanges,
) -> StoreResult<Option<Device>> {
    let d = store.dialect();
    let Some(mut device) = device_by_id(c, id, d.for_update).await? else {
        return Ok(None);
    };
    let names_change = changes.extension.as_ref().is_some_and(|e| *e != device.extension)
        || changes.username.as_ref().is_some_and(|u| *u != device.username);
    if names_change {
        lock_device_names(store, c).await?;
    }
    if let Some(Some(pin)) = &changes.pin
        && device.pin.as_deref() != Some(pin.as_str())
        && pin_in_use(c, pin).await?
    {
        return Err(StoreError::Conflict(Unique::Pin));
    }
    if let Some(extension) = &changes.extension
        && *extension != device.extension
        && device_name_used_by_other(c, extension, id).await?
    {
        return Err(StoreError::Conflict(Unique::Extension));
    }
    if let Some(username) = &changes.username
        && *username != device.username
        && device_name_used_by_other(c, username, id).await?
    {
        return Err(StoreError::Conflict(Unique::DeviceUsername));
    }
    let credentials_change = changes.username.as_ref().is_some_and(|u| *u != device.username)
        || changes.secret.as_ref().is_some_and(|s| *s != device.secret);
    apply(&mut device, changes);
    if credentials_change {
        device.ha1 = secrets::sip_ha1(&device.username, &changes.sip_realm, &device.secret);
    }
    c.execute(
        "UPDATE devices SET name = ?, username = ?, secret = ?, ha1 = ?, extension = ?, pin = ?,
            callerid = ?, host = ?, ipaddr = ?, port = ?, location_id = ?, call_limit = ?,
            timeout = ?, fromuser = ?, istrunk = ?, hidden = ?, comment = ?
         WHERE id = ?",
        args![
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
            id,
        ],
    )
    .await?;
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

/// Removes device `id` and its CLIs, unless a DID is assigned to it. The device's row is locked
/// first, so a DID being assigned to it concurrently is either seen or finds the device gone.
async fn delete_device(store: &ServerStore, c: &mut dyn Conn, id: i64) -> StoreResult<DeviceDeletion> {
    let sql = format!("SELECT id FROM devices WHERE id = ? {}", store.dialect().for_update);
    if one(c, &sql, args![id]).await?.is_none() {
        return Ok(DeviceDeletion::NotFound);
    }
    if flag(c, "SELECT EXISTS(SELECT 1 FROM dids WHERE device_id = ?)", args![id]).await? {
        return Ok(DeviceDeletion::HasDids);
    }
    c.execute("DELETE FROM clis WHERE device_id = ?", args![id]).await?;
    c.execute("DELETE FROM devices WHERE id = ?", args![id]).await?;
    Ok(DeviceDeletion::Deleted)
}

#[async_trait]
impl DeviceStore for ServerStore {
    async fn device_by_id(&self, id: i64) -> StoreResult<Option<Device>> {
        device_by_id(&mut *self.reader().await?, id, "").await
    }

    async fn device_by_username(&self, username: &str) -> StoreResult<Option<Device>> {
        let sql = format!("SELECT {DEVICE_COLUMNS} FROM devices WHERE username = ?");
        one(&mut *self.reader().await?, &sql, args![username])
            .await?
            .as_ref()
            .map(device_from_row)
            .transpose()
    }

    async fn user_devices(&self, user_id: i64, include_hidden: bool, max: usize) -> StoreResult<Vec<ListedDevice>> {
        // One statement, so one consistent snapshot.
        let sql = format!(
            "SELECT {DEVICE_COLUMNS}, CASE WHEN id = (SELECT MIN(id) FROM devices WHERE user_id = ?) THEN 1 ELSE 0 END
             FROM devices WHERE user_id = ? AND (? = 1 OR hidden = 0) ORDER BY id LIMIT ?"
        );
        let rows = self
            .reader()
            .await?
            .query(&sql, args![user_id, user_id, include_hidden, limit(max)])
            .await?;
        rows.iter()
            .map(|row| {
                Ok(ListedDevice {
                    device: device_from_row(row)?,
                    primary: row.bool(28)?,
                })
            })
            .collect()
    }

    async fn device_group(&self, id: i64) -> StoreResult<Option<DeviceGroup>> {
        let row = one(
            &mut *self.reader().await?,
            "SELECT id, user_id, name FROM device_groups WHERE id = ?",
            args![id],
        )
        .await?;
        row.map(|row| {
            Ok(DeviceGroup {
                id: row.i64(0)?,
                user_id: row.i64(1)?,
                name: row.text(2)?,
            })
        })
        .transpose()
    }

    async fn pin_in_use(&self, pin: &str) -> StoreResult<bool> {
        pin_in_use(&mut *self.reader().await?, pin).await
    }

    async fn cli_in_use(&self, cli: &str) -> StoreResult<bool> {
        flag(
            &mut *self.reader().await?,
            "SELECT EXISTS(SELECT 1 FROM clis WHERE cli = ?)",
            args![cli],
        )
        .await
    }

    async fn device_name_in_use(&self, name: &str) -> StoreResult<bool> {
        device_name_in_use(&mut *self.reader().await?, name).await
    }

    async fn device_name_used_by_other(&self, name: &str, except_id: i64) -> StoreResult<bool> {
        device_name_used_by_other(&mut *self.reader().await?, name, except_id).await
    }

    async fn create_device(&self, device: NewDevice) -> StoreResult<CreatedDevice> {
        let retry = retry_allocation(&device);
        transaction!(self, retry, |c| insert_device(self, c, &device, None).await)
    }

    async fn update_device(&self, id: i64, changes: DeviceChanges) -> StoreResult<Option<Device>> {
        transaction!(self, super::never, |c| update_device(self, c, id, &changes).await)
    }

    async fn delete_device(&self, id: i64) -> StoreResult<DeviceDeletion> {
        transaction!(self, super::never, |c| delete_device(self, c, id).await)
    }
}
