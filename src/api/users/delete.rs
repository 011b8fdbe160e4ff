//! `user_delete`, spec F.5: a user with its devices, their CLIs and its device groups.

use crate::api::{ApiError, Call, refuse};
use crate::model::{UserDeletion, UserType, parse_id};
use crate::xml::Node;

const ACCESS_DENIED: &str = "Access Denied";
const NOT_FOUND: &str = "User was not found";

pub async fn user_delete(call: Call) -> Result<Node, ApiError> {
    let Call {
        state, params, caller, ..
    } = call;
    let store = &state.store;
    let Some(caller) = caller else {
        return refuse(ACCESS_DENIED);
    };
    let allowed = match caller.usertype {
        UserType::Admin | UserType::Reseller => true,
        UserType::Accountant => caller.right("user_manage") == 2,
        UserType::User => false,
    };
    if !allowed {
        return refuse(ACCESS_DENIED);
    }
    let target = match params.non_blank("user_id").and_then(parse_id) {
        Some(id) => store.user_by_id(id).await?,
        None => None,
    };
    let Some(target) = target else {
        return refuse(NOT_FOUND);
    };
    // Nobody deletes himself (an accountant is in his own scope).
    if !caller.manages(&target) || target.id == caller.id {
        return refuse(ACCESS_DENIED);
    }
    // The remaining checks run inside the deleting transaction, so they cannot be raced.
    match store.delete_user(target.id).await? {
        UserDeletion::Deleted => Ok(Node::parent("page", vec![Node::leaf("status", "User deleted")])),
        UserDeletion::NotFound => refuse(NOT_FOUND),
        UserDeletion::OwnsObjects => refuse(ACCESS_DENIED),
        UserDeletion::HasDids => refuse("Cannot delete user - it has DIDs"),
    }
}
