//! Providers: `providers_get` (spec F.16), `provider_create`, `provider_update`,
//! `provider_delete` (spec F.17).
//!
//! Callers: admin, accountants with `manage_providers` (1 to read, 2 to write) and Reseller PROs
//! (`own_providers` = 1). Each sees and manages the providers of its own owner scope: admin and
//! accountants those with `owner_id` 0, a Reseller PRO its own.

mod get;
mod write;

use super::{ApiError, ApiMethod, Caller, Envelope, refuse};
use crate::handler;
use crate::model::{User, UserType};

pub const METHODS: &[ApiMethod] = &[
    ApiMethod {
        name: "providers_get",
        caller: Caller::Username,
        // Key only: `provider_id` is not hashed (spec B.2).
        hash: Some(&[&[]]),
        precheck_envelope: Envelope::Status,
        envelope: Envelope::PageStatus,
        failure: ("Internal error", None),
        handler: handler!(get::providers_get),
    },
    ApiMethod {
        name: "provider_create",
        caller: Caller::Username,
        hash: Some(&[&["name", "tech", "tariff_id"]]),
        precheck_envelope: Envelope::Status,
        envelope: Envelope::PageStatus,
        failure: (write::NOT_CREATED, None),
        handler: handler!(write::provider_create),
    },
    ApiMethod {
        name: "provider_update",
        caller: Caller::Username,
        hash: Some(&[&["provider_id"]]),
        precheck_envelope: Envelope::Status,
        envelope: Envelope::PageStatus,
        failure: (write::NOT_UPDATED, None),
        handler: handler!(write::provider_update),
    },
    ApiMethod {
        name: "provider_delete",
        caller: Caller::Username,
        hash: Some(&[&["provider_id"]]),
        precheck_envelope: Envelope::Status,
        envelope: Envelope::PageStatus,
        failure: ("Provider was not deleted", None),
        handler: handler!(write::provider_delete),
    },
];

const NOT_FOUND: &str = "Provider was not found";

/// Read level of `manage_providers`.
const READ: i64 = 1;
/// Write level of `manage_providers`.
const WRITE: i64 = 2;

/// The caller, if it may use providers at `level` (spec F.16, F.17).
fn provider_caller(caller: Option<User>, level: i64) -> Result<User, ApiError> {
    match caller {
        Some(caller) => match caller.usertype {
            UserType::Admin => Ok(caller),
            UserType::Reseller if caller.own_providers => Ok(caller),
            UserType::Accountant if caller.right("manage_providers") >= level => Ok(caller),
            UserType::Accountant => refuse("You are not authorized to use this functionality"),
            UserType::Reseller | UserType::User => refuse("Access Denied"),
        },
        None => refuse("Access Denied"),
    }
}
