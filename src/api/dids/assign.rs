//! `did_device_assign` (`/api/did_assign_device`, spec F.11) and `did_device_unassign`
//! (`/api/did_unassign_device`, spec F.12). Both name the DID by its number.

use super::{NO_DID_RIGHT, change_did, staff, success};
use crate::api::{ApiError, Call, refuse};
use crate::model::{Did, DidStatus, User, UserType, is_digits, parse_id};
use crate::storage::{DidGuard, DidState, DynStore};
use crate::xml::Node;

pub(super) const NOT_ASSIGNED: &str = "Device was not assigned";
pub(super) const NOT_UNASSIGNED: &str = "Failed to unassign DID";
const TERMINATED: &str = "DID is terminated";

/// The DID with the number `text` (digits only), or `DID was not found`.
async fn did_by_number(store: &DynStore, text: &str) -> Result<Did, ApiError> {
    let did = if is_digits(text) {
        store.did_by_number(text).await?
    } else {
        None
    };
    match did {
        Some(did) => Ok(did),
        None => refuse("DID was not found"),
    }
}

pub(super) async fn did_device_assign(call: Call) -> Result<Node, ApiError> {
    let Call {
        state,
        params,
        caller,
        test,
        ..
    } = call;
    let store = &state.store;
    let caller = staff(caller)?;
    // The device and its user, who must be in the caller's scope.
    let device = match parse_id(params.text("device_id")) {
        Some(id) => store.device_by_id(id).await?,
        None => None,
    };
    let Some(device) = device else {
        return refuse("Device was not found");
    };
    let holder = store.user_by_id(device.user_id).await?;
    if !holder.as_ref().is_some_and(|holder| caller.manages(holder)) {
        return refuse("Your are not authorized to use this Device");
    }
    if caller.usertype == UserType::Accountant
        && ["device_manage", "manage_dids", "user_manage"]
            .iter()
            .any(|right| caller.right(right) != 2)
    {
        return refuse(NO_DID_RIGHT);
    }
    let did = did_by_number(store, params.text("did")).await?;
    let scope = caller.scope();
    let did = change_did(store, did, |did| {
        if did.reseller_id != scope {
            return refuse("Your are not authorized to use this DID");
        }
        match did.status {
            DidStatus::Terminated => return refuse(TERMINATED),
            DidStatus::Free => {}
            DidStatus::Reserved if did.user_id == device.user_id => {}
            _ => return refuse("DID is not free"),
        }
        let new = DidState {
            status: DidStatus::Active,
            user_id: device.user_id,
            device_id: device.id,
            ..DidState::of(did)
        };
        let guard = DidGuard {
            device: Some((device.id, device.user_id)),
            ..DidGuard::default()
        };
        Ok((new, guard))
    })
    .await?;
    let mut extra = Vec::new();
    if test {
        extra.push(Node::leaf("did_id", did.id.to_string()));
        extra.push(Node::leaf("device_id", device.id.to_string()));
    }
    Ok(success("Device assigned to DID", extra))
}

pub(super) async fn did_device_unassign(call: Call) -> Result<Node, ApiError> {
    let Call {
        state,
        params,
        caller,
        test,
        ..
    } = call;
    let store = &state.store;
    let caller: User = staff(caller)?;
    if caller.usertype == UserType::Accountant && caller.right("manage_dids") != 2 {
        return refuse(NO_DID_RIGHT);
    }
    let did = did_by_number(store, params.text("did")).await?;
    let scope = caller.scope();
    let did = change_did(store, did, |did| {
        if did.reseller_id != scope {
            return refuse("You are not authorized to use this DID");
        }
        match did.status {
            DidStatus::Terminated => return refuse(TERMINATED),
            DidStatus::Active => {}
            _ => return refuse("DID is already free"),
        }
        let new = DidState {
            status: DidStatus::Free,
            user_id: 0,
            device_id: 0,
            ..DidState::of(did)
        };
        Ok((new, DidGuard::default()))
    })
    .await?;
    let extra = if test {
        vec![Node::leaf("did_id", did.id.to_string())]
    } else {
        Vec::new()
    };
    Ok(success("Device was unassigned from DID", extra))
}
