//! `did_details_update` (spec F.13): reserve a DID for a user, hand it to a reseller, make it
//! free (`did_user_id=-1`), and set its simultaneous call limit.

use super::{NOT_FOUND, change_did, in_scope, scoped_did, staff, success};
use crate::api::{ApiError, Call, refuse};
use crate::model::{DidStatus, User, UserType, is_digits, parse_id};
use crate::storage::{DidGuard, DidState};
use crate::xml::Node;

pub(super) const NOT_UPDATED: &str = "DID details were not updated";

/// What `did_user_id` asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Holder {
    /// `-1`: free the DID.
    Nobody,
    /// Reserve it for this plain user.
    User(i64),
    /// Hand it to this reseller (admin only).
    Reseller(i64),
}

/// A holder `did_user_id` may name, before the DID itself is looked at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Candidate {
    User { id: i64, owner_id: i64 },
    Reseller(i64),
}

/// What the request sends in `did_user_id`.
enum Request {
    /// `-1`.
    Free,
    /// A user or reseller the caller may use, if the id names one.
    Holder(Option<Candidate>),
}

/// A plain user managed by the caller, or (admin callers) a reseller.
fn candidate(caller: &User, target: Option<User>) -> Option<Candidate> {
    let target = target.filter(|t| caller.manages(t))?;
    match target.usertype {
        UserType::User => Some(Candidate::User {
            id: target.id,
            owner_id: target.owner_id,
        }),
        UserType::Reseller if caller.usertype == UserType::Admin => Some(Candidate::Reseller(target.id)),
        _ => None,
    }
}

pub(super) async fn did_details_update(call: Call) -> Result<Node, ApiError> {
    let Call {
        state, params, caller, ..
    } = call;
    let store = &state.store;
    let caller = staff(caller)?;
    if caller.usertype == UserType::Accountant && caller.right("device_manage") != 2 {
        return refuse("You are not authorized to use this functionality");
    }
    let did = scoped_did(store, &caller, params.text("did_id")).await?;
    // `did_user_id` and `call_limit`; a blank value counts as not sent.
    let requested = match params.non_blank("did_user_id").map(str::trim) {
        None => None,
        Some("-1") => Some(Request::Free),
        Some(text) => {
            let target = match parse_id(text) {
                Some(id) => store.user_by_id(id).await?,
                None => None,
            };
            Some(Request::Holder(candidate(&caller, target)))
        }
    };
    let call_limit = params.non_blank("call_limit").map(|text| {
        Some(text.trim())
            .filter(|t| is_digits(t))
            .and_then(|t| t.parse::<i64>().ok())
    });
    let clears_reseller = matches!(caller.usertype, UserType::Admin | UserType::Accountant);
    change_did(store, did, |did| {
        if !in_scope(&caller, did) {
            return refuse(NOT_FOUND);
        }
        let mut new = DidState::of(did);
        let mut guard = DidGuard::default();
        if let Some(target) = &requested {
            // A user must belong to the scope holding the DID, so that the DID can later be
            // assigned to that user's devices (spec D.1).
            let wanted = match target {
                Request::Free => Holder::Nobody,
                Request::Holder(Some(Candidate::User { id, owner_id })) if *owner_id == did.reseller_id => {
                    Holder::User(*id)
                }
                Request::Holder(Some(Candidate::Reseller(id))) => Holder::Reseller(*id),
                Request::Holder(_) => return refuse("User was not found"),
            };
            match did.status {
                DidStatus::Active => return refuse("DID is already assigned"),
                DidStatus::Terminated if wanted != Holder::Nobody => return refuse("DID is terminated"),
                DidStatus::Closed if wanted != Holder::Nobody => return refuse("DID is not free"),
                _ => {}
            }
            new.device_id = 0;
            match wanted {
                Holder::Nobody => {
                    new.status = DidStatus::Free;
                    new.user_id = 0;
                    if clears_reseller {
                        new.reseller_id = 0;
                    }
                }
                Holder::User(id) => {
                    new.status = DidStatus::Reserved;
                    new.user_id = id;
                    guard.user = Some(id);
                }
                Holder::Reseller(id) => {
                    new.status = DidStatus::Free;
                    new.user_id = 0;
                    new.reseller_id = id;
                    guard.user = Some(id);
                }
            }
        }
        match call_limit {
            Some(Some(limit)) => new.call_limit = limit,
            Some(None) => return refuse("Call limit is incorrect format"),
            None => {}
        }
        Ok((new, guard))
    })
    .await?;
    Ok(success("DID details successfully updated", Vec::new()))
}
