//! Users: sign-up (`registration`, `user_register`), log in/out, details, listing, update and
//! deletion (spec E.1, F.1–F.5).

mod delete;
mod details;
mod list;
mod registration;
mod session;
mod update;

use super::{ApiMethod, Caller, Envelope};
use crate::handler;

/// Registration hash lists: the primary list, then the PHP client's shorter one (spec B.2).
const REGISTRATION_HASH: &[&[&str]] = &[
    &[
        "email",
        "id",
        "lcr_id",
        "device_type",
        "username",
        "first_name",
        "last_name",
        "caller_id",
        "state",
        "device_location_id",
    ],
    &["email", "id", "device_type", "username", "first_name", "last_name"],
];

const CONFIGURATION_ERROR: (&str, Option<&str>) = ("Configuration error. Please contact System Administrator", None);

/// Answer to an internal failure of a method without a write-failure text of its own.
const DATABASE_ERROR: (&str, Option<&str>) = ("Database error", None);

pub const METHODS: &[ApiMethod] = &[
    ApiMethod {
        name: "registration",
        caller: Caller::RegistrationOwner { blank_is_admin: false },
        hash: Some(REGISTRATION_HASH),
        precheck_envelope: Envelope::Status,
        envelope: Envelope::Page,
        failure: CONFIGURATION_ERROR,
        handler: handler!(registration::seed_contract),
    },
    ApiMethod {
        name: "user_register",
        caller: Caller::RegistrationOwner { blank_is_admin: true },
        hash: Some(REGISTRATION_HASH),
        precheck_envelope: Envelope::Status,
        envelope: Envelope::PageStatus,
        failure: CONFIGURATION_ERROR,
        handler: handler!(registration::current_contract),
    },
    ApiMethod {
        name: "user_login",
        caller: Caller::Username,
        // Pre-checks 1–3 only (spec A.4); a failed login is an `<action>` answer, not an error.
        hash: None,
        precheck_envelope: Envelope::Status,
        envelope: Envelope::Status,
        failure: DATABASE_ERROR,
        handler: handler!(session::user_login),
    },
    ApiMethod {
        name: "user_logout",
        caller: Caller::Username,
        hash: Some(&[&[]]),
        precheck_envelope: Envelope::Status,
        envelope: Envelope::Status,
        failure: DATABASE_ERROR,
        handler: handler!(session::user_logout),
    },
    ApiMethod {
        name: "user_details_get",
        caller: Caller::Username,
        hash: Some(&[&["user_id", "username"]]),
        precheck_envelope: Envelope::Status,
        envelope: Envelope::Error,
        failure: DATABASE_ERROR,
        handler: handler!(details::user_details_get),
    },
    ApiMethod {
        name: "users_get",
        caller: Caller::Username,
        hash: Some(&[&["u", "p"]]),
        precheck_envelope: Envelope::Status,
        envelope: Envelope::PageStatus,
        failure: DATABASE_ERROR,
        handler: handler!(list::users_get),
    },
    ApiMethod {
        name: "user_details_update",
        caller: Caller::Username,
        // `user_id` then list U; the PHP client hashes `user_id` only (spec B.2, G12).
        hash: Some(&[update::USER_UPDATE_HASH, &["user_id"]]),
        precheck_envelope: Envelope::Status,
        envelope: Envelope::Page,
        failure: ("User was not updated", Some("Database error")),
        handler: handler!(update::user_details_update),
    },
    ApiMethod {
        name: "user_delete",
        caller: Caller::Username,
        hash: Some(&[&["user_id"]]),
        precheck_envelope: Envelope::Status,
        envelope: Envelope::Page,
        failure: ("User was not deleted", Some("Database error")),
        handler: handler!(delete::user_delete),
    },
];
