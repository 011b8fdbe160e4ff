//! `device_delete` (`/api/device_destroy`, spec F.9).

use super::{ACCESS_DENIED, DEVICE_NOT_FOUND, device_in_scope};
use crate::api::{ApiError, Call, refuse};
use crate::model::{UserType, parse_id};
use crate::storage::DeviceDeletion;
use crate::xml::Node;

const HAS_DIDS: &str = "Device has DIDs - we cannot delete it";

pub(super) async fn device_delete(call: Call) -> Result<Node, ApiError> {
    let Call {
        state, params, caller, ..
    } = call;
    let store = &state.store;
    let Some(caller) = caller else {
        return refuse("Bad login");
    };
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
    if caller.usertype == UserType::Accountant && caller.right("device_manage") < 2 {
        return refuse("You do not have rights to edit this");
    }
    // moray stores no calls, so MOR's "it has calls" refusal cannot arise.
    match store.delete_device(device.id).await? {
        DeviceDeletion::Deleted => Ok(Node::parent("page", vec![Node::leaf("status", "Device was deleted")])),
        DeviceDeletion::NotFound => refuse(DEVICE_NOT_FOUND),
        DeviceDeletion::HasDids => refuse(HAS_DIDS),
    }
}
