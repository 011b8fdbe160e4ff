//! `users_get`, spec F.3: the users a caller manages, ordered by id.

use subtle::ConstantTimeEq;

use crate::api::params::ruby_float;
use crate::api::{ApiError, Call, refuse};
use crate::model::{User, UserDetails, UserType};
use crate::secrets;
use crate::state::AppState;
use crate::xml::Node;

/// The most users one answer lists (the first ones by id), so no request builds an unbounded
/// response.
pub const MAX_USERS: usize = 1000;

const ACCESS_DENIED: &str = "Access Denied";

pub async fn users_get(call: Call) -> Result<Node, ApiError> {
    let Call {
        state, params, caller, ..
    } = call;
    let Some(caller) = caller else {
        return refuse(ACCESS_DENIED);
    };
    // A plain user is refused with the same message as bad credentials, so checking it first
    // only saves the password check.
    if caller.usertype == UserType::User {
        return refuse(ACCESS_DENIED);
    }
    // `p` or `uniquehash` is required even when hash checking is disabled.
    if !credentials_match(&state, &caller, params.get("p"), params.get("uniquehash")).await? {
        return refuse(ACCESS_DENIED);
    }
    if caller.usertype == UserType::Accountant && caller.right("user_manage") < 1 {
        return refuse("You are not authorized to view this page");
    }
    let owner = match caller.usertype {
        UserType::Reseller => Some(caller.id),
        _ => None,
    };
    let users = state.store.users_list(owner, MAX_USERS).await?;
    if users.is_empty() {
        return refuse("No Users found");
    }
    let users = users.iter().map(render_user).collect();
    Ok(Node::parent(
        "page",
        vec![Node::parent("status", vec![Node::parent("users", users)])],
    ))
}

/// `uniquehash` (compared in constant time) or `p` (argon2id, off the async threads).
async fn credentials_match(
    state: &AppState,
    caller: &User,
    password: Option<&str>,
    uniquehash: Option<&str>,
) -> Result<bool, ApiError> {
    if let Some(given) = uniquehash.filter(|h| !h.is_empty())
        && bool::from(given.as_bytes().ct_eq(caller.uniquehash.as_bytes()))
    {
        return Ok(true);
    }
    let Some(password) = password.map(str::to_owned) else {
        return Ok(false);
    };
    let phc = caller.password_hash.clone();
    state
        .password_work(move |_| secrets::verify_password(&password, &phc))
        .await
        .map_err(|e| ApiError::Internal(format!("password check failed: {e}")))
}

fn render_user(user: &UserDetails) -> Node {
    let flag = |on: bool| if on { "1" } else { "0" };
    Node::parent(
        "user",
        vec![
            Node::leaf("id", user.id.to_string()),
            Node::leaf("username", user.username.as_str()),
            Node::leaf("first_name", user.first_name.as_str()),
            Node::leaf("last_name", user.last_name.as_str()),
            Node::leaf("balance", ruby_float(user.balance)),
            Node::leaf("blocked", flag(user.blocked)),
            Node::leaf("lcr_id", user.lcr_id.to_string()),
            Node::leaf("tariff_id", user.tariff_id.to_string()),
            Node::leaf("owner_id", user.owner_id.to_string()),
            Node::leaf("usertype", user.usertype.as_str()),
            Node::leaf("hidden", flag(user.hidden)),
        ],
    )
}
