//! `user_login` (`/api/login`) and `user_logout` (`/api/logout`), spec F.1. Stateless: moray
//! keeps no session, so logging in only tells whether the credentials are right.

use crate::api::{ApiError, Call};
use crate::secrets;
use crate::xml::Node;

fn action(name: &'static str, ok: bool, user_id: Option<i64>, message: Option<&'static str>) -> Node {
    let mut children = vec![
        Node::leaf("name", name),
        Node::leaf("status", if ok { "ok" } else { "failed" }),
    ];
    if let Some(id) = user_id {
        children.push(Node::leaf("user_id", id.to_string()));
    }
    if let Some(message) = message {
        children.push(Node::leaf("status_message", message));
    }
    Node::parent("action", children)
}

/// `u` names a non-blocked user (pre-check 1) whose password is `p`.
pub async fn user_login(call: Call) -> Result<Node, ApiError> {
    let Call {
        state, params, caller, ..
    } = call;
    let password = params.get("p").map(str::to_owned);
    let cost = state.config.password_cost;
    let checked = match (&caller, password) {
        (Some(user), Some(password)) => {
            let phc = user.password_hash.clone();
            state
                .password_work(move |_| secrets::verify_password(&password, &phc))
                .await
        }
        // Unknown caller or no password: spend the same time as a check, so an answer's timing
        // does not tell whether the username exists.
        _ => {
            state
                .password_work(move |memory| {
                    let _ = cost.hash_in("moray-login-timing", memory);
                    false
                })
                .await
        }
    };
    let ok = checked.map_err(|e| ApiError::Internal(format!("password check failed: {e}")))?;
    Ok(match caller {
        Some(user) if ok => action("login", true, Some(user.id), Some("Successfully logged in")),
        _ => action("login", false, None, Some("Login failed")),
    })
}

/// Nothing to end (no sessions): `ok` for a known caller whose hash passed.
pub async fn user_logout(call: Call) -> Result<Node, ApiError> {
    Ok(action("logout", call.caller.is_some(), None, None))
}
