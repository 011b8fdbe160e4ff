//! The DID life cycle (spec D.7, F.14): `did_make_free`, `did_terminate`, `did_close`, each
//! naming the DID by its row id in `dids_id`.

use super::{NO_DID_RIGHT, NOT_FOUND, change_did, in_scope, scoped_did, staff, success};
use crate::api::{ApiError, Call, refuse};
use crate::model::{DidStatus, UserType};
use crate::storage::{DidGuard, DidState};
use crate::xml::Node;

/// One life-cycle transition.
struct Transition {
    from: &'static [DidStatus],
    to: DidStatus,
    /// Whether the DID lets go of its user and device.
    clears_holder: bool,
    success: &'static str,
    wrong_status: &'static str,
}

const MAKE_FREE: Transition = Transition {
    from: &[DidStatus::Terminated, DidStatus::Reserved, DidStatus::Closed],
    to: DidStatus::Free,
    clears_holder: true,
    success: "DID successfully made available",
    wrong_status: "DID was not freed. Only Terminated, Reserved or Closed DIDs can be freed",
};

const TERMINATE: Transition = Transition {
    from: &[DidStatus::Free, DidStatus::Closed],
    to: DidStatus::Terminated,
    clears_holder: true,
    success: "DID successfully terminated",
    wrong_status: "DID was not terminated. Only Free or Closed DIDs can be terminate",
};

const CLOSE: Transition = Transition {
    from: &[DidStatus::Active],
    to: DidStatus::Closed,
    // A closed DID keeps its user and device; calls to it are refused.
    clears_holder: false,
    success: "DID successfully closed",
    wrong_status: "DID was not closed. Only Active DIDs can be closed",
};

pub(super) async fn did_make_free(call: Call) -> Result<Node, ApiError> {
    run(call, &MAKE_FREE).await
}

pub(super) async fn did_terminate(call: Call) -> Result<Node, ApiError> {
    run(call, &TERMINATE).await
}

pub(super) async fn did_close(call: Call) -> Result<Node, ApiError> {
    run(call, &CLOSE).await
}

async fn run(call: Call, transition: &Transition) -> Result<Node, ApiError> {
    let Call {
        state, params, caller, ..
    } = call;
    let store = &state.store;
    let caller = staff(caller)?;
    if caller.usertype == UserType::Accountant && caller.right("manage_dids") != 2 {
        return refuse(NO_DID_RIGHT);
    }
    let did = scoped_did(store, &caller, params.text("dids_id")).await?;
    change_did(store, did, |did| {
        if !in_scope(&caller, did) {
            return refuse(NOT_FOUND);
        }
        if !transition.from.contains(&did.status) {
            return refuse(transition.wrong_status);
        }
        let mut new = DidState {
            status: transition.to,
            ..DidState::of(did)
        };
        if transition.clears_holder {
            new.user_id = 0;
            new.device_id = 0;
        }
        Ok((new, DidGuard::default()))
    })
    .await?;
    Ok(success(transition.success, Vec::new()))
}
