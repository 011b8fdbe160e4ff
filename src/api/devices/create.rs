//! `device_create` (seed `device_create.txt`, spec E.2).

use super::{EXTENSION_TAKEN, valid_extension};
use crate::api::{ApiError, Call, refuse};
use crate::model::{UserType, canonical_device_type, is_digits, parse_id};
use crate::secrets;
use crate::storage::{NewDevice, PinChoice, StoreError, Unique};
use crate::xml::Node;

const NOT_CREATED: &str = "Device was not created";

pub(super) async fn device_create(call: Call) -> Result<Node, ApiError> {
    let Call {
        state,
        params,
        caller,
        settings,
        ..
    } = call;
    let store = &state.store;
    // 1. caller
    let Some(caller) = caller else {
        return refuse("Bad login");
    };
    // 2. the user who will own the device
    let target = match parse_id(params.text("user_id")) {
        Some(id) => store.user_by_id(id).await?,
        None => None,
    };
    let Some(target) = target else {
        return refuse("User was not found");
    };
    // 3. who may manage that user
    let may_manage = match caller.usertype {
        UserType::User => false,
        UserType::Accountant => caller.right("device_manage") == 2,
        UserType::Admin | UserType::Reseller => true,
    };
    if !may_manage || !caller.manages(&target) {
        return refuse("Dont be so smart");
    }
    // 4. type: blank means the default of the owner of the device's user
    let owner_settings = state.settings.resolved(target.owner_id).await?;
    let requested = params
        .non_blank("type")
        .unwrap_or_else(|| owner_settings.get("default_device_type"));
    let device_type = match canonical_device_type(requested) {
        Some("Virtual")
            if caller.usertype == UserType::Reseller && !settings.is_on("resellers_allow_use_virtual_device") =>
        {
            None
        }
        Some("dahdi")
            if caller.usertype == UserType::Reseller && !settings.is_on("resellers_allow_use_dahdi_device") =>
        {
            None
        }
        found => found,
    };
    let Some(device_type) = device_type else {
        return refuse("Device type invalid");
    };
    // 5. device group of that user
    let devicegroup_id = match params.non_blank("devicegroup_id") {
        None => None,
        Some(text) => {
            let group = match parse_id(text) {
                Some(id) => store.device_group(id).await?,
                None => None,
            };
            match group {
                Some(group) if group.user_id == target.id => Some(group.id),
                _ => return refuse("Device group invalid"),
            }
        }
    };
    // 6. PIN: absent → random, empty → pinless, else digits (spaces removed)
    let pin = match params.get("pin") {
        None => PinChoice::Random(settings.number("device_pin_length").max(0) as usize),
        Some(raw) => {
            let pin: String = raw.chars().filter(|c| *c != ' ').collect();
            if pin.is_empty() {
                PinChoice::Pinless
            } else if !is_digits(&pin) {
                return refuse("Pin must be numeric");
            } else if store.pin_in_use(&pin).await? {
                return refuse("Pin is already used");
            } else {
                PinChoice::Given(pin)
            }
        }
    };
    // 7. caller id
    let callerid = match params.non_blank("caller_id") {
        None => String::new(),
        Some(cid) => {
            if caller.usertype == UserType::Accountant && caller.right("callerid_manage") != 2 {
                return refuse("You are not authorized to manage callerid");
            }
            if !is_digits(cid) {
                return refuse("CallerID must be numeric");
            }
            format!("<{cid}>")
        }
    };
    // 8. explicit extension must be free (as extension and as the device username it becomes)
    let extension = params.non_blank("extension").map(str::to_owned);
    if let Some(extension) = &extension
        && store.device_name_in_use(extension).await?
    {
        return refuse(EXTENSION_TAKEN);
    }
    // 9. call timeout
    let timeout = match params.non_blank("call_timeout") {
        None => None,
        Some(text) => match text.parse::<i64>() {
            Ok(t) if t >= 0 && is_digits(text) => Some(t),
            _ => return refuse("Device Call Timeout must be greater than or equal to 0"),
        },
    };
    // 10. anything else
    if extension.as_deref().is_some_and(|e| !valid_extension(e)) {
        return Err(ApiError::with_messages(
            NOT_CREATED,
            vec!["Extension is invalid".into()],
        ));
    }

    let device = NewDevice {
        user_id: target.id,
        template_owner: target.owner_id,
        device_type: device_type.to_owned(),
        username: None,
        extension,
        extension_range: (settings.number("device_range_min"), settings.number("device_range_max")),
        secret: secrets::device_secret(settings.is_on("use_strong_passwords_for_users")),
        sip_realm: settings.get("sip_realm").to_owned(),
        pin,
        description: params.text("description").trim().to_owned(),
        devicegroup_id,
        callerid,
        location_id: None,
        timeout,
        fromuser: params.text("fromuser").to_owned(),
        clis: Vec::new(),
    };
    let created = match store.create_device(device).await {
        Ok(created) => created,
        Err(StoreError::Conflict(Unique::Pin)) => return refuse("Pin is already used"),
        Err(StoreError::Conflict(Unique::Extension | Unique::DeviceUsername)) => return refuse(EXTENSION_TAKEN),
        Err(StoreError::NoFreeExtension) => {
            return Err(ApiError::with_messages(NOT_CREATED, vec!["No free extension".into()]));
        }
        Err(e) => return Err(e.into()),
    };
    Ok(Node::parent(
        "page",
        vec![
            Node::leaf("status", "Device created"),
            Node::leaf("id", created.id.to_string()),
            Node::leaf("username", created.username),
            Node::leaf("password", created.secret),
        ],
    ))
}
