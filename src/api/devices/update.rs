//! `device_update` (spec F.8, G3). Only the fields sent change; checks answer in the spec's order
//! and "any other invalid value" (`Device was not updated`) comes last.

use super::fields::{
    ipaddr_of, join_callerid, parse_integer, parse_port, split_callerid, valid_callerid_name, valid_host, valid_secret,
    valid_username,
};
use super::{
    ACCESS_DENIED, DEVICE_NOT_FOUND, EXTENSION_TAKEN, Need, device_in_scope, may_manage_devices, valid_extension,
};
use crate::api::{ApiError, Call, Params, refuse};
use crate::model::{Device, UserType, is_digits, parse_id};
use crate::storage::{DeviceChanges, StoreError, Unique};
use crate::xml::Node;

pub(super) const NOT_UPDATED: &str = "Device was not updated";
const USERNAME_TAKEN: &str = "Device username is already taken";
const PIN_TAKEN: &str = "PIN is already used";
const UPDATED: &str = "Device successfully updated";

/// Default port of an IP-authenticated device.
const SIP_PORT: i64 = 5060;

pub(super) async fn device_update(call: Call) -> Result<Node, ApiError> {
    let Call {
        state,
        params,
        caller,
        settings,
        ..
    } = call;
    let store = &state.store;
    let Some(caller) = caller else {
        return refuse(ACCESS_DENIED);
    };
    if !may_manage_devices(&caller, Need::Write) {
        return refuse("You are not authorized to use this functionality");
    }
    let device = match parse_id(params.text("device")) {
        Some(id) => store.device_by_id(id).await?,
        None => None,
    };
    let Some(device) = device else {
        return refuse(DEVICE_NOT_FOUND);
    };
    if !device_in_scope(store, &caller, &device).await? {
        return refuse(ACCESS_DENIED);
    }
    let mut changes = DeviceChanges {
        sip_realm: settings.get("sip_realm").to_owned(),
        ..DeviceChanges::default()
    };
    // Problems reported only when no named check fails first.
    let mut invalid = false;

    // caller id
    if (params.is_present("callerid_number") || params.is_present("callerid_name"))
        && caller.usertype == UserType::Accountant
        && caller.right("callerid_manage") != 2
    {
        return refuse("You are not authorized to manage callerid");
    }
    match callerid_change(&params, &device) {
        Ok(callerid) => changes.callerid = callerid,
        Err(()) => invalid = true,
    }
    // location: `new_location_id`, or the 2014 name `location_id`
    if let Some(text) = params
        .non_blank("new_location_id")
        .or_else(|| params.non_blank("location_id"))
    {
        let scope = caller.scope();
        let owner = match parse_id(text) {
            Some(id) => store.location_owner(id).await?.map(|owner| (id, owner)),
            None => None,
        };
        match owner {
            Some((id, owner)) if owner == scope || owner == 0 => changes.location_id = Some(id),
            _ => return refuse("Location was not found"),
        }
    }
    // call timeout
    if let Some(text) = params.non_blank("call_timeout") {
        match text.parse::<i64>() {
            Ok(t) if t >= 0 && is_digits(text) => changes.timeout = Some(t),
            _ => return refuse("Device Call Timeout must be greater than or equal to 0"),
        }
    }
    // PIN: empty → pinless, else digits (spaces removed)
    if let Some(raw) = params.get("pin") {
        let pin: String = raw.chars().filter(|c| *c != ' ').collect();
        if pin.is_empty() {
            changes.pin = Some(None);
        } else if !is_digits(&pin) {
            return refuse("PIN must be numeric");
        } else if device.pin.as_deref() != Some(pin.as_str()) {
            if store.pin_in_use(&pin).await? {
                return refuse(PIN_TAKEN);
            }
            changes.pin = Some(Some(pin));
        }
    }
    // extension: one namespace with device usernames
    if let Some(extension) = params.non_blank("extension")
        && extension != device.extension
    {
        if store.device_name_used_by_other(extension, device.id).await? {
            return refuse(EXTENSION_TAKEN);
        }
        if valid_extension(extension) {
            changes.extension = Some(extension.to_owned());
        } else {
            invalid = true;
        }
    }
    // authentication, and the credentials or address it governs
    let short_password = match authentication(&params, &device, &settings, &mut changes) {
        Ok(short) => short,
        Err(()) => {
            invalid = true;
            false
        }
    };
    if let Some(username) = &changes.username
        && store.device_name_used_by_other(username, device.id).await?
    {
        return refuse(USERNAME_TAKEN);
    }
    // the plain fields
    invalid |= plain_fields(&params, &mut changes).is_err();
    if invalid {
        return refuse(NOT_UPDATED);
    }

    match store.update_device(device.id, changes).await {
        Ok(Some(_)) => {}
        Ok(None) => return refuse(DEVICE_NOT_FOUND),
        Err(StoreError::Conflict(Unique::Pin)) => return refuse(PIN_TAKEN),
        Err(StoreError::Conflict(Unique::Extension)) => return refuse(EXTENSION_TAKEN),
        Err(StoreError::Conflict(Unique::DeviceUsername)) => return refuse(USERNAME_TAKEN),
        Err(StoreError::Conflict(_)) => return refuse(NOT_UPDATED),
        Err(e) => return Err(e.into()),
    }
    let mut status = Vec::with_capacity(2);
    if short_password {
        // MOR quirk (spec F.8): the other changes are saved, the short password is not.
        status.push(Node::leaf("error", "Password is too short"));
    }
    status.push(Node::leaf("success", UPDATED));
    Ok(Node::parent("page", vec![Node::parent("status", status)]))
}

/// The new caller id from `callerid_number` / `callerid_name`, keeping the part not sent. An
/// empty value is ignored unless `allow_empty_callerid=1` (MOR). `Err` = invalid value.
fn callerid_change(params: &Params, device: &Device) -> Result<Option<String>, ()> {
    let allow_empty = params.get("allow_empty_callerid") == Some("1");
    let sent = |name: &str| params.get(name).filter(|v| allow_empty || !v.trim().is_empty());
    let (number, name) = (sent("callerid_number"), sent("callerid_name"));
    if number.is_none() && name.is_none() {
        return Ok(None);
    }
    let (old_name, old_number) = split_callerid(&device.callerid);
    let number = number.map(str::to_owned).unwrap_or(old_number);
    let name = name.map(str::to_owned).unwrap_or(old_name);
    if !(number.is_empty() || is_digits(&number)) || !valid_callerid_name(&name) {
        return Err(());
    }
    Ok(Some(join_callerid(&name, &number)))
}

/// `authentication` (`0` username/secret, host `dynamic`; `1` IP authentication with `host` and
/// `port`); absent keeps the device's mode. `username`/`device_name` and `password` apply to a
/// dynamic device, `host`/`port` to an IP-authenticated one; the others are ignored, as in MOR.
/// Returns whether a too-short password was left out; `Err` = invalid value.
fn authentication(
    params: &Params,
    device: &Device,
    settings: &crate::settings::Resolved,
    changes: &mut DeviceChanges,
) -> Result<bool, ()> {
    let currently_dynamic = device.host.eq_ignore_ascii_case("dynamic");
    let dynamic = match params.non_blank("authentication") {
        None => currently_dynamic,
        Some("0") => true,
        Some("1") => false,
        Some(_) => return Err(()),
    };
    if !dynamic {
        match params.non_blank("host") {
            Some(host) if valid_host(host) => {
                changes.host = Some(host.to_owned());
                changes.ipaddr = Some(ipaddr_of(host));
            }
            Some(_) => return Err(()),
            None if currently_dynamic => return Err(()),
            None => {}
        }
        match params.non_blank("port") {
            Some(text) => changes.port = Some(parse_port(text).ok_or(())?),
            None if currently_dynamic => changes.port = Some(SIP_PORT),
            None => {}
        }
        return Ok(false);
    }
    if !currently_dynamic {
        changes.host = Some("dynamic".into());
        changes.ipaddr = Some(String::new());
        changes.port = Some(0);
    }
    let username = params.non_blank("username").or_else(|| params.non_blank("device_name"));
    if let Some(username) = username
        && username != device.username
    {
        if !valid_username(username) {
            return Err(());
        }
        changes.username = Some(username.to_owned());
    }
    let Some(password) = params.non_blank("password") else {
        return Ok(false);
    };
    if password.chars().count() < 8 && !settings.is_on("allow_short_passwords_in_devices") {
        return Ok(true);
    }
    if !valid_secret(password) {
        return Err(());
    }
    if password != device.secret {
        changes.secret = Some(password.to_owned());
    }
    Ok(false)
}

/// `call_limit` (negative → 0), `hidden` (0/1), `trunk` (0/1/2), `comment`, `fromuser`.
fn plain_fields(params: &Params, changes: &mut DeviceChanges) -> Result<(), ()> {
    let mut result = Ok(());
    if let Some(text) = params.non_blank("call_limit") {
        match parse_integer(text) {
            Some(limit) => changes.call_limit = Some(limit.max(0)),
            None => result = Err(()),
        }
    }
    match params.non_blank("hidden") {
        None => {}
        Some("0") => changes.hidden = Some(false),
        Some("1") => changes.hidden = Some(true),
        Some(_) => result = Err(()),
    }
    match params.non_blank("trunk") {
        None => {}
        Some(text @ ("0" | "1" | "2")) => changes.istrunk = text.parse().ok(),
        Some(_) => result = Err(()),
    }
    if let Some(comment) = params.get("comment") {
        changes.comment = Some(comment.to_owned());
    }
    if let Some(fromuser) = params.get("fromuser") {
        changes.fromuser = Some(fromuser.to_owned());
    }
    result
}
