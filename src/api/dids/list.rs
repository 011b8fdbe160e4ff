//! `dids_get` (spec F.10): the DIDs the caller may see, filtered and paged.

use super::{ACCESS_DENIED, NO_DID_RIGHT};
use crate::api::{ApiError, Call, Params, refuse};
use crate::model::{DidStatus, UserType, parse_id};
use crate::storage::{DidFilter, DidListing};
use crate::xml::Node;

/// Default and cap of `max_results` (spec F.10 DECISION).
pub const MAX_RESULTS: usize = 1000;

const NONE_FOUND: &str = "No DIDs found";

/// Characters of the main comment `dids_get` prints.
const COMMENT_CHARS: usize = 25;

/// A filter value: `None` = no condition (blank or `all`); `Some(None)` = a value that can
/// match nothing (e.g. `search_user=abc`).
fn id_filter(params: &Params, name: &str) -> Option<Option<i64>> {
    let value = params.non_blank(name)?.trim();
    if value.eq_ignore_ascii_case("all") {
        return None;
    }
    Some(parse_id(value))
}

/// A positive integer parameter, or `None` when absent or not one.
fn positive(params: &Params, name: &str) -> Option<usize> {
    let value = params.non_blank(name)?.trim();
    parse_id(value).and_then(|v| usize::try_from(v).ok()).filter(|v| *v > 0)
}

pub(super) async fn dids_get(call: Call) -> Result<Node, ApiError> {
    let Call {
        state, params, caller, ..
    } = call;
    let Some(caller) = caller else {
        return refuse(ACCESS_DENIED);
    };
    if caller.usertype == UserType::Accountant && caller.right("manage_dids") < 1 {
        return refuse(NO_DID_RIGHT);
    }
    let sees_all = matches!(caller.usertype, UserType::Admin | UserType::Accountant);
    let mut filter = DidFilter {
        reseller_id: (caller.usertype == UserType::Reseller).then_some(caller.id),
        holder_id: (caller.usertype == UserType::User).then_some(caller.id),
        number: params.non_blank("search_did_number").map(|v| v.trim().to_owned()),
        owner: params.non_blank("search_did_owner").map(|v| v.trim().to_owned()),
        hide_terminated: params.get("search_hide_terminated_dids").map(str::trim) == Some("1"),
        offset: positive(&params, "from").unwrap_or(1) - 1,
        limit: positive(&params, "max_results").unwrap_or(MAX_RESULTS).min(MAX_RESULTS),
        ..DidFilter::default()
    };
    // A filter value that can match nothing answers like an empty result.
    let mut matches_nothing = false;
    if let Some(status) = params.non_blank("search_status").map(str::trim)
        && !status.eq_ignore_ascii_case("all")
    {
        filter.status = DidStatus::parse(status);
        matches_nothing |= filter.status.is_none();
    }
    let mut ids = vec![
        ("search_user", &mut filter.user_id),
        ("search_device", &mut filter.device_id),
    ];
    // `search_provider` is an admin/accountant filter; other callers' value is ignored.
    if sees_all {
        ids.push(("search_provider", &mut filter.provider_id));
    }
    for (name, slot) in ids {
        if let Some(value) = id_filter(&params, name) {
            matches_nothing |= value.is_none();
            *slot = value;
        }
    }
    if let Some(language) = params.non_blank("search_language").map(str::trim)
        && !language.eq_ignore_ascii_case("all")
    {
        filter.language = Some(language.to_owned());
    }
    let listings = if matches_nothing {
        Vec::new()
    } else {
        state.store.dids(filter).await?
    };
    if listings.is_empty() {
        return refuse(NONE_FOUND);
    }
    let dids = listings
        .into_iter()
        .map(|listing| did_node(listing, sees_all))
        .collect();
    Ok(Node::parent("page", vec![Node::parent("dids", dids)]))
}

/// One `<did>`, children in the order of spec F.10; `sees_all` = admin or accountant caller.
fn did_node(listing: DidListing, sees_all: bool) -> Node {
    let DidListing {
        did,
        provider_name,
        reseller_name,
        owner_name,
        device,
    } = listing;
    let mut children = vec![Node::leaf("did", did.did)];
    if sees_all {
        children.push(Node::leaf("provider", provider_name.unwrap_or_default()));
    }
    children.push(Node::leaf("language", did.language));
    children.push(Node::leaf("status", did.status.label()));
    if let Some(reseller) = reseller_name.filter(|_| sees_all && did.reseller_id != 0) {
        children.push(Node::leaf("reseller", reseller));
    }
    if let Some(owner) = owner_name.filter(|_| did.user_id != 0) {
        children.push(Node::leaf("owner", owner));
    }
    if let Some(device) = device.filter(|_| did.device_id != 0) {
        children.push(Node::leaf("device", device));
    }
    let limit = match did.call_limit {
        0 => "Unlimited".to_owned(),
        n => n.to_string(),
    };
    children.push(Node::leaf("simultaneous_call_limit", limit));
    if !did.comment.is_empty() {
        let comment: String = did.comment.chars().take(COMMENT_CHARS).collect();
        children.push(Node::leaf("comment", comment));
    }
    children.push(Node::leaf("id", did.id.to_string()));
    Node::parent("did", children)
}
