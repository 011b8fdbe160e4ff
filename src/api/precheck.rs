//! Pre-checks every known method runs, in order (spec A.4): resolve the acting user, API
//! enabled, GET allowed, hash. When no acting user is found, checks 2–4 are skipped and the
//! method answers with its own "unknown caller" message.

use super::{ApiError, ApiMethod, Call, Caller, Params, hash};
use crate::model::{User, UserType};
use crate::settings::Resolved;
use crate::state::AppState;

pub async fn run(state: &AppState, method: &ApiMethod, params: Params, is_get: bool) -> Result<Call, ApiError> {
    let caller = resolve_caller(state, method.caller, &params).await?;
    let scope = caller.as_ref().map(User::scope).unwrap_or(0);
    let settings = state.settings.resolved(scope).await?;
    if caller.is_some() {
        check_api_enabled(&settings)?;
        if is_get && settings.admin("allow_get_api") != "1" {
            return Err(ApiError::Precheck("GET Requests are disabled"));
        }
        if let Some(lists) = method.hash {
            check_hash(&settings, scope, lists, &params)?;
        }
    }
    let test = params.get("test") == Some("1");
    Ok(Call {
        state: state.clone(),
        params,
        caller,
        settings,
        test,
    })
}

/// Pre-check 1. A blocked user counts as not found.
async fn resolve_caller(state: &AppState, rule: Caller, params: &Params) -> Result<Option<User>, ApiError> {
    let user = match rule {
        Caller::Username => match params.non_blank("u") {
            Some(username) => state.store.user_by_username(username).await?,
            None => None,
        },
        Caller::RegistrationOwner { blank_is_admin } => match params.non_blank("id") {
            Some(id) => state
                .store
                .user_by_uniquehash(id)
                .await?
                .filter(|u| matches!(u.usertype, UserType::Admin | UserType::Reseller)),
            None if blank_is_admin => state.store.user_by_id(0).await?,
            None => None,
        },
    };
    Ok(user.filter(|u| !u.blocked))
}

/// Pre-check 2: admin's `allow_api`, or the acting scope's own.
fn check_api_enabled(settings: &Resolved) -> Result<(), ApiError> {
    if settings.admin("allow_api") == "1" || settings.is_on("allow_api") {
        Ok(())
    } else {
        Err(ApiError::Precheck("API Requests are disabled"))
    }
}

/// Pre-check 4 (spec B.4–B.6).
fn check_hash(settings: &Resolved, scope: i64, lists: &[&[&str]], params: &Params) -> Result<(), ApiError> {
    let reseller_scope = scope != 0;
    let disabled =
        settings.is_on("disable_hash_checking") || (reseller_scope && settings.admin("disable_hash_checking") == "1");
    if disabled {
        return Ok(());
    }
    let mut keys = vec![settings.get("api_secret_key")];
    if reseller_scope && settings.admin("allow_api") == "1" {
        keys.push(settings.admin("api_secret_key"));
    }
    keys.retain(|key| !key.is_empty());
    keys.dedup();
    if keys.is_empty() {
        return Err(ApiError::Precheck("API must have Secret Key"));
    }
    if hash::verify(params.get("hash"), lists, params, &keys) {
        Ok(())
    } else {
        Err(ApiError::Precheck("Incorrect hash"))
    }
}
