//! Reseller groups: `reseller_group_create` (seed `reseller_group_create.txt`, spec E.4) and
//! `reseller_groups_get` (spec F.15).

use super::{ApiError, ApiMethod, Call, Caller, Envelope, refuse};
use crate::handler;
use crate::model::{RESELLER_GROUP_RIGHTS, UserType};
use crate::storage::{NewPermissionGroup, StoreError, Unique};
use crate::xml::Node;

pub const METHODS: &[ApiMethod] = &[
    ApiMethod {
        name: "reseller_group_create",
        caller: Caller::Username,
        hash: Some(&[&["name"]]),
        precheck_envelope: Envelope::Status,
        envelope: Envelope::PageStatus,
        // DECISION (docs/decisions.md): the seed names no write-failure message.
        failure: ("Reseller Group was not created", None),
        handler: handler!(reseller_group_create),
    },
    ApiMethod {
        name: "reseller_groups_get",
        caller: Caller::Username,
        hash: Some(&[&["u"]]),
        precheck_envelope: Envelope::Status,
        // DECISION (spec F.15): `<page><error>`.
        envelope: Envelope::Page,
        failure: ("Internal error", None),
        handler: handler!(reseller_groups_get),
    },
];

/// Groups `reseller_groups_get` lists at most, by id.
pub const MAX_GROUPS: usize = 1000;

const NOT_UNIQUE: &str = "Group name must be unique";

async fn reseller_group_create(call: Call) -> Result<Node, ApiError> {
    let Call {
        state, params, caller, ..
    } = call;
    // 1. admin only. `Registration over API is disabled` is never sent here (spec E.4, G14).
    if !caller.is_some_and(|c| c.usertype == UserType::Admin) {
        return refuse("Access Denied");
    }
    // 2., 3. name
    let Some(name) = params.non_blank("name") else {
        return refuse("Reseller Group Name must be specified");
    };
    if state.store.group_name_in_use(name).await? {
        return refuse(NOT_UNIQUE);
    }
    let rights = RESELLER_GROUP_RIGHTS
        .iter()
        .map(|right| (right.to_string(), if params.get(right) == Some("1") { 2 } else { 0 }))
        .collect();
    let group = NewPermissionGroup {
        name: name.to_owned(),
        description: params.text("rg_description").to_owned(),
        group_type: "reseller",
        rights,
    };
    match state.store.create_permission_group(group).await {
        Ok(_) => {}
        Err(StoreError::Conflict(Unique::GroupName)) => return refuse(NOT_UNIQUE),
        Err(e) => return Err(e.into()),
    }
    Ok(Node::parent(
        "page",
        vec![Node::parent(
            "status",
            vec![Node::leaf("success", "Reseller Group successfully created")],
        )],
    ))
}

async fn reseller_groups_get(call: Call) -> Result<Node, ApiError> {
    let Call { state, caller, .. } = call;
    match caller.map(|c| c.usertype) {
        Some(UserType::Admin) => {}
        Some(UserType::Accountant) => return refuse("You are not authorized to use this functionality"),
        _ => return refuse("Access Denied"),
    }
    let groups = state.store.reseller_groups(MAX_GROUPS).await?;
    if groups.is_empty() {
        return refuse("No Reseller Groups found");
    }
    let groups = groups
        .into_iter()
        .map(|group| {
            Node::parent(
                "reseller_group",
                vec![
                    Node::leaf("id", group.id.to_string()),
                    Node::leaf("name", group.name),
                    Node::leaf("description", group.description),
                ],
            )
        })
        .collect();
    Ok(Node::parent("page", vec![Node::parent("reseller_groups", groups)]))
}
