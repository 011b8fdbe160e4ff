//! Users: sign-up (`registration`, `user_register`).

mod registration;

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
];
