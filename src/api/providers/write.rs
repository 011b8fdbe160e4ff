//! `provider_create`, `provider_update`, `provider_delete` (spec F.17).

use super::{NOT_FOUND, WRITE, provider_caller};
use crate::api::{ApiError, Call, Params, refuse};
use crate::model::{PROVIDER_DTMF_MODES, PROVIDER_TECHS, is_digits, parse_id};
use crate::storage::{DynStore, NewProvider, ProviderChange, ProviderDeletion};
use crate::xml::Node;

pub(super) const NOT_CREATED: &str = "Provider was not created";
pub(super) const NOT_UPDATED: &str = "Provider was not updated";

/// Smallest provider `timeout` accepted, in seconds.
const MIN_TIMEOUT: i64 = 30;

/// An invalid optional value: answered as the method's "not created/updated".
struct Invalid;

/// A whole number; blank = not sent.
fn number(params: &Params, name: &str) -> Result<Option<i64>, Invalid> {
    match params.non_blank(name).map(str::trim) {
        None => Ok(None),
        Some(text) if is_digits(text) => text.parse().map(Some).map_err(|_| Invalid),
        Some(_) => Err(Invalid),
    }
}

/// `0` or `1`; blank = not sent.
fn flag(params: &Params, name: &str) -> Result<Option<bool>, Invalid> {
    match params.non_blank(name).map(str::trim) {
        None => Ok(None),
        Some("0") => Ok(Some(false)),
        Some("1") => Ok(Some(true)),
        Some(_) => Err(Invalid),
    }
}

/// The optional columns `provider_create` and `provider_update` share. Text columns take a
/// present value as sent (empty clears them); numbers and flags ignore a blank value.
fn optional_fields(params: &Params) -> Result<ProviderChange, Invalid> {
    let port = number(params, "port")?;
    if port.is_some_and(|p| !(1..=65535).contains(&p)) {
        return Err(Invalid);
    }
    let timeout = number(params, "timeout")?;
    if timeout.is_some_and(|t| t < MIN_TIMEOUT) {
        return Err(Invalid);
    }
    let dtmfmode = match params.non_blank("dtmfmode").map(str::trim) {
        None => None,
        Some(mode) => match PROVIDER_DTMF_MODES.iter().find(|m| m.eq_ignore_ascii_case(mode)) {
            Some(mode) => Some((*mode).to_owned()),
            None => return Err(Invalid),
        },
    };
    Ok(ProviderChange {
        server_ip: params.get("server_ip").map(|v| v.trim().to_owned()),
        port,
        login: params.get("login").map(str::to_owned),
        password: params.get("password").map(str::to_owned),
        hidden: flag(params, "hidden")?,
        active: flag(params, "active")?,
        timeout,
        call_limit: number(params, "call_limit")?,
        dtmfmode,
        ..ProviderChange::default()
    })
}

/// `tariff_id`, if sent: a tariff of the caller's scope, else `Tariff was not found`.
async fn tariff(store: &DynStore, params: &Params, scope: i64) -> Result<Option<i64>, ApiError> {
    let Some(text) = params.non_blank("tariff_id") else {
        return Ok(None);
    };
    let owner = match parse_id(text.trim()) {
        Some(id) => store.tariff_owner(id).await?.map(|owner| (id, owner)),
        None => None,
    };
    match owner {
        Some((id, owner)) if owner == scope => Ok(Some(id)),
        _ => refuse("Tariff was not found"),
    }
}

/// `location_id`, if sent: a location of the caller's scope or of admin, else
/// `Location was not found`.
async fn location(store: &DynStore, params: &Params, scope: i64) -> Result<Option<i64>, ApiError> {
    let Some(text) = params.non_blank("location_id") else {
        return Ok(None);
    };
    let owner = match parse_id(text.trim()) {
        Some(id) => store.location_owner(id).await?.map(|owner| (id, owner)),
        None => None,
    };
    match owner {
        Some((id, owner)) if owner == scope || owner == 0 => Ok(Some(id)),
        _ => refuse("Location was not found"),
    }
}

fn success(text: &str, extra: Option<Node>) -> Node {
    let mut status = vec![Node::leaf("success", text)];
    status.extend(extra);
    Node::parent("page", vec![Node::parent("status", status)])
}

pub(super) async fn provider_create(call: Call) -> Result<Node, ApiError> {
    let Call {
        state, params, caller, ..
    } = call;
    let store = &state.store;
    let caller = provider_caller(caller, WRITE)?;
    let scope = caller.scope();
    let Some(tariff_id) = tariff(store, &params, scope).await? else {
        return refuse("Tariff was not found");
    };
    let Some(name) = params.non_blank("name").map(str::trim) else {
        return refuse(NOT_CREATED);
    };
    let tech = params.text("tech").trim();
    let Some(tech) = PROVIDER_TECHS.iter().find(|t| t.eq_ignore_ascii_case(tech)) else {
        return refuse(NOT_CREATED);
    };
    let location_id = location(store, &params, scope).await?;
    let Ok(mut change) = optional_fields(&params) else {
        return refuse(NOT_CREATED);
    };
    change.location_id = location_id;
    let provider = NewProvider {
        name: name.to_owned(),
        owner_id: scope,
        tech: (*tech).to_owned(),
        tariff_id,
    };
    let id = store.create_provider_with(provider, change).await?;
    Ok(success(
        "Provider successfully created",
        Some(Node::leaf("provider_id", id.to_string())),
    ))
}

pub(super) async fn provider_update(call: Call) -> Result<Node, ApiError> {
    let Call {
        state, params, caller, ..
    } = call;
    let store = &state.store;
    let caller = provider_caller(caller, WRITE)?;
    let scope = caller.scope();
    let provider = match parse_id(params.text("provider_id").trim()) {
        Some(id) => store.provider_details(id).await?,
        None => None,
    };
    let Some(provider) = provider.filter(|p| p.owner_id == scope) else {
        return refuse(NOT_FOUND);
    };
    let tariff_id = tariff(store, &params, scope).await?;
    let location_id = location(store, &params, scope).await?;
    let Ok(mut change) = optional_fields(&params) else {
        return refuse(NOT_UPDATED);
    };
    if let Some(name) = params.get("name") {
        if name.trim().is_empty() {
            return refuse(NOT_UPDATED);
        }
        change.name = Some(name.trim().to_owned());
    }
    change.tariff_id = tariff_id;
    change.location_id = location_id;
    if !store.update_provider(provider.id, scope, change).await? {
        return refuse(NOT_FOUND);
    }
    Ok(success("Provider successfully updated", None))
}

pub(super) async fn provider_delete(call: Call) -> Result<Node, ApiError> {
    let Call {
        state, params, caller, ..
    } = call;
    let caller = provider_caller(caller, WRITE)?;
    let Some(id) = parse_id(params.text("provider_id").trim()) else {
        return refuse(NOT_FOUND);
    };
    match state.store.delete_provider(id, caller.scope()).await? {
        ProviderDeletion::Deleted => Ok(success("Provider successfully deleted", None)),
        ProviderDeletion::NotFound => refuse(NOT_FOUND),
        ProviderDeletion::HasDids => refuse("Provider has DIDs - we cannot delete it"),
    }
}
