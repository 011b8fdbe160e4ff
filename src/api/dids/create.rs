//! `did_create` (seed `did_create.txt`, spec E.3).

use crate::api::{ApiError, Call, refuse};
use crate::model::{UserType, is_digits, parse_id};
use crate::storage::{NewDid, StoreError, Unique};
use crate::xml::Node;

pub(super) async fn did_create(call: Call) -> Result<Node, ApiError> {
    let Call {
        state,
        params,
        caller,
        settings,
        test,
    } = call;
    let store = &state.store;
    // 1. caller
    let caller = match caller {
        Some(caller) if caller.usertype != UserType::User => caller,
        _ => return refuse("Access Denied"),
    };
    let is_reseller = caller.usertype == UserType::Reseller;
    let reseller_default = parse_id(settings.get("reseller_default_did_provider_id")).filter(|_| is_reseller);
    // 2. provider
    let provider_id = match params.non_blank("provider_id") {
        Some(text) => parse_id(text),
        None => reseller_default,
    };
    let provider = match provider_id {
        Some(id) => store.provider(id).await?,
        None => None,
    };
    let Some(provider) = provider.filter(|p| !p.hidden) else {
        return refuse("Provider was not found");
    };
    // 3. provider usable by the caller
    let usable = if is_reseller {
        provider.owner_id == caller.id || Some(provider.id) == reseller_default
    } else {
        provider.owner_id == 0
    };
    if !usable {
        return refuse("You are not authorized to use this Provider");
    }
    // 4. right to manage DIDs
    let allowed = match caller.usertype {
        UserType::Accountant => caller.right("manage_dids") == 2,
        UserType::Reseller => settings.is_on("resellers_can_add_their_own_dids"),
        _ => true,
    };
    if !allowed {
        return refuse("You are not authorized to manage DIDs");
    }
    // 5., 6. the number
    let number = params.text("did");
    if store.did_exists(number).await? {
        return refuse("DID already exists");
    }
    if !is_digits(number) {
        return refuse("Invalid DID specified");
    }
    let did = NewDid {
        did: number.to_owned(),
        provider_id: provider.id,
        reseller_id: if is_reseller { caller.id } else { 0 },
        custom_sip_header: params.text("custom_sip_header").to_owned(),
        comment: params.text("comment").to_owned(),
        reseller_comment: params.text("reseller_comment").to_owned(),
    };
    // 7. write
    let id = match store.create_did(did).await {
        Ok(id) => id,
        Err(StoreError::Conflict(Unique::Did)) => return refuse("DID already exists"),
        Err(e) => return Err(e.into()),
    };
    let mut details = vec![Node::leaf("id", id.to_string())];
    if test {
        details.push(Node::leaf("did", number));
    }
    Ok(Node::parent(
        "page",
        vec![
            Node::parent("status", vec![Node::leaf("success", "DID created")]),
            Node::parent("did_details", details),
        ],
    ))
}
