//! DIDs: `did_create` (seed `did_create.txt`, spec E.3), `dids_get` (F.10), `did_device_assign`
//! and `did_device_unassign` (F.11, F.12), `did_details_update` (F.13) and the life-cycle methods
//! `did_make_free`, `did_terminate`, `did_close` (F.14).
//!
//! Every DID write is a compare-and-set on the row as it was read (status, reseller, user,
//! device, call limit): when another request changed the DID in between, the row is read again
//! and every check runs again, so a state change never rests on a stale read.

mod assign;
mod create;
mod details;
mod lifecycle;
mod list;

use super::{ApiError, ApiMethod, Caller, Envelope, refuse};
use crate::handler;
use crate::model::{Did, User, UserType, parse_id};
use crate::storage::{DidGuard, DidState, DynStore};
use crate::xml::Node;

pub const METHODS: &[ApiMethod] = &[
    ApiMethod {
        name: "did_create",
        caller: Caller::Username,
        // Primary list, then the seed example's own hash over `provider_id` alone (spec G1).
        hash: Some(&[&["provider_id", "did"], &["provider_id"]]),
        precheck_envelope: Envelope::PageStatus,
        envelope: Envelope::PageStatus,
        failure: ("DID creation failed", None),
        handler: handler!(create::did_create),
    },
    ApiMethod {
        name: "dids_get",
        caller: Caller::Username,
        // Key only (wiki), or `search_status` (PHP client) (spec G11).
        hash: Some(&[&[], &["search_status"]]),
        precheck_envelope: Envelope::Status,
        envelope: Envelope::PageStatus,
        failure: (INTERNAL_ERROR, None),
        handler: handler!(list::dids_get),
    },
    ApiMethod {
        name: "did_device_assign",
        caller: Caller::Username,
        // The wiki example hashes `device_id` alone (spec G2).
        hash: Some(&[&["device_id", "did"], &["device_id"]]),
        precheck_envelope: Envelope::Status,
        envelope: Envelope::PageStatus,
        failure: (assign::NOT_ASSIGNED, None),
        handler: handler!(assign::did_device_assign),
    },
    ApiMethod {
        name: "did_device_unassign",
        caller: Caller::Username,
        // The wiki example hashes the key alone; `device_id did` is accepted too (spec G2).
        hash: Some(&[&["did"], &[], &["device_id", "did"]]),
        precheck_envelope: Envelope::Status,
        envelope: Envelope::PageStatus,
        failure: (assign::NOT_UNASSIGNED, None),
        handler: handler!(assign::did_device_unassign),
    },
    ApiMethod {
        name: "did_details_update",
        caller: Caller::Username,
        hash: Some(&[&["did_id"]]),
        precheck_envelope: Envelope::Status,
        envelope: Envelope::PageStatus,
        failure: (details::NOT_UPDATED, None),
        handler: handler!(details::did_details_update),
    },
    ApiMethod {
        name: "did_make_free",
        caller: Caller::Username,
        hash: Some(&[&["dids_id"]]),
        precheck_envelope: Envelope::Status,
        envelope: Envelope::PageStatus,
        failure: ("DID was not freed", None),
        handler: handler!(lifecycle::did_make_free),
    },
    ApiMethod {
        name: "did_terminate",
        caller: Caller::Username,
        hash: Some(&[&["dids_id"]]),
        precheck_envelope: Envelope::Status,
        envelope: Envelope::PageStatus,
        failure: ("DID was not terminated", None),
        handler: handler!(lifecycle::did_terminate),
    },
    ApiMethod {
        name: "did_close",
        caller: Caller::Username,
        hash: Some(&[&["dids_id"]]),
        precheck_envelope: Envelope::Status,
        envelope: Envelope::PageStatus,
        failure: ("DID was not closed", None),
        handler: handler!(lifecycle::did_close),
    },
];

const INTERNAL_ERROR: &str = "Internal error";
const ACCESS_DENIED: &str = "Access Denied";
const NOT_FOUND: &str = "DID was not found";
const NO_DID_RIGHT: &str = "You are not authorized to manage DIDs";

/// How often a DID write is decided again after another request changed the row meanwhile.
const ATTEMPTS: usize = 3;

/// Admin, accountants and resellers; unknown callers and plain users are refused.
fn staff(caller: Option<User>) -> Result<User, ApiError> {
    match caller {
        Some(caller) if caller.usertype != UserType::User => Ok(caller),
        _ => refuse(ACCESS_DENIED),
    }
}

/// Whether `caller` (admin, accountant or reseller) may see and manage `did` (spec D.1).
fn in_scope(caller: &User, did: &Did) -> bool {
    match caller.usertype {
        UserType::Admin | UserType::Accountant => true,
        UserType::Reseller => did.reseller_id == caller.id,
        UserType::User => false,
    }
}

/// The DID whose row id is `text`, if it exists and `caller` may manage it.
async fn scoped_did(store: &DynStore, caller: &User, text: &str) -> Result<Did, ApiError> {
    let did = match parse_id(text) {
        Some(id) => store.did_by_id(id).await?,
        None => None,
    };
    match did {
        Some(did) if in_scope(caller, &did) => Ok(did),
        _ => refuse(NOT_FOUND),
    }
}

/// Writes the state `decide` picks for `did`, as a compare-and-set (see the module notes).
/// `decide` runs every check that depends on the row; it runs again on a re-read row.
async fn change_did<F>(store: &DynStore, mut did: Did, decide: F) -> Result<Did, ApiError>
where
    F: Fn(&Did) -> Result<(DidState, DidGuard), ApiError>,
{
    for _ in 0..ATTEMPTS {
        let (new, guard) = decide(&did)?;
        if store.update_did(did.id, DidState::of(&did), new, guard).await? {
            return Ok(did);
        }
        did = match store.did_by_id(did.id).await? {
            Some(did) => did,
            None => return refuse(NOT_FOUND),
        };
    }
    Err(ApiError::Internal(format!(
        "DID {} kept changing, or a row it needs is gone",
        did.id
    )))
}

/// `<page><status><success>TEXT</success></status>EXTRA…</page>`.
fn success(text: &str, extra: Vec<Node>) -> Node {
    let mut children = vec![Node::parent("status", vec![Node::leaf("success", text)])];
    children.extend(extra);
    Node::parent("page", children)
}
