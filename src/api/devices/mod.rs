//! Devices: `device_create` (seed `device_create.txt`, spec E.2) and its companions
//! `devices_get`, `device_details_get`, `device_update`, `device_delete` (spec F.6–F.9).

mod create;
mod delete;
mod fields;
mod read;
mod update;

use super::{ApiError, ApiMethod, Caller, Envelope};
use crate::handler;
use crate::model::{Device, User, UserType};
use crate::storage::DynStore;

pub const METHODS: &[ApiMethod] = &[
    ApiMethod {
        name: "device_create",
        caller: Caller::Username,
        hash: Some(&[&["user_id", "description", "pin", "type", "devicegroup_id", "caller_id"]]),
        // The seed lists `Incorrect hash` inside the method's own envelope (spec A.4, G10).
        precheck_envelope: Envelope::Page,
        envelope: Envelope::Page,
        failure: ("Device was not created", Some("Database error")),
        handler: handler!(create::device_create),
    },
    ApiMethod {
        name: "devices_get",
        caller: Caller::Username,
        hash: Some(&[&["user_id"]]),
        precheck_envelope: Envelope::Status,
        envelope: Envelope::Page,
        failure: (INTERNAL_ERROR, None),
        handler: handler!(read::devices_get),
    },
    ApiMethod {
        name: "device_details_get",
        caller: Caller::Username,
        // `device_id device_u`, and the older `device_id` alone (spec B.2, G19).
        hash: Some(&[&["device_id", "device_u"], &["device_id"]]),
        precheck_envelope: Envelope::Status,
        envelope: Envelope::Error,
        failure: (INTERNAL_ERROR, None),
        handler: handler!(read::device_details_get),
    },
    ApiMethod {
        name: "device_update",
        caller: Caller::Username,
        // The current list, and the 2014 wiki's `device location_id` (spec B.2, G3).
        hash: Some(&[
            &["device", "authentication", "username", "host", "port"],
            &["device", "location_id"],
        ]),
        precheck_envelope: Envelope::Status,
        envelope: Envelope::PageStatus,
        failure: (update::NOT_UPDATED, None),
        handler: handler!(update::device_update),
    },
    ApiMethod {
        name: "device_delete",
        caller: Caller::Username,
        hash: Some(&[&["device"]]),
        precheck_envelope: Envelope::Status,
        envelope: Envelope::Page,
        failure: ("Device was not deleted", None),
        handler: handler!(delete::device_delete),
    },
];

/// Answer to an internal failure of the read methods, which name no failure message.
const INTERNAL_ERROR: &str = "Internal error";
const EXTENSION_TAKEN: &str = "Extension already exists in User's PBX Pool";
const ACCESS_DENIED: &str = "Access Denied";
const DEVICE_NOT_FOUND: &str = "Device was not found";

/// `device_manage` level an accountant needs: reading, or changing (spec D.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Need {
    Read,
    Write,
}

/// Whether the caller's role lets it use a device method at all: admin and resellers always,
/// accountants by their `device_manage` right, plain users never.
fn may_manage_devices(caller: &User, need: Need) -> bool {
    match caller.usertype {
        UserType::Admin | UserType::Reseller => true,
        UserType::Accountant => {
            let level = caller.right("device_manage");
            match need {
                Need::Read => level >= 1,
                Need::Write => level >= 2,
            }
        }
        UserType::User => false,
    }
}

/// A device is in scope iff its user is (spec D.1).
async fn device_in_scope(store: &DynStore, caller: &User, device: &Device) -> Result<bool, ApiError> {
    Ok(match store.user_by_id(device.user_id).await? {
        Some(owner) => caller.manages(&owner),
        None => false,
    })
}

/// `extension`: `[0-9a-z#*]+`.
fn valid_extension(text: &str) -> bool {
    !text.is_empty()
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || b.is_ascii_lowercase() || b == b'#' || b == b'*')
}

#[cfg(test)]
mod tests {
    #[test]
    fn extension_format() {
        assert!(super::valid_extension("101"));
        assert!(super::valid_extension("*9#a"));
        assert!(!super::valid_extension("A1"));
        assert!(!super::valid_extension("1 2"));
    }
}
