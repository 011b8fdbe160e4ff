//! `devices_get`, `device_details_get`, `device_update`, `device_delete` (spec F.6–F.9, B.2, B.7,
//! D.1, D.3, G3, G19).

use md5::{Digest, Md5};
use moray::admin::UserSpec;
use moray::api::hash::sha1_hex;

use crate::common::*;

mod delete;
mod details;
mod list;
mod update;
mod update_refusals;

// ---------------------------------------------------------------- helpers

/// The text of the first `<name>…</name>` in `body`.
fn leaf(body: &str, name: &str) -> String {
    let open = format!("<{name}>");
    let close = format!("</{name}>");
    let start = body.find(&open).unwrap_or_else(|| panic!("no <{name}> in {body}")) + open.len();
    let end = body[start..]
        .find(&close)
        .unwrap_or_else(|| panic!("no </{name}> in {body}"))
        + start;
    body[start..end].to_owned()
}

/// A column of device `id` as text (NULL → None); panics when the device is gone.
fn column(app: &TestApp, id: i64, name: &str) -> Option<String> {
    app.query_opt_string(&format!("SELECT {name} FROM devices WHERE id = ?1"), p![id])
}

fn col(app: &TestApp, id: i64, name: &str) -> String {
    column(app, id, name).unwrap_or_default()
}

fn device_exists(app: &TestApp, id: i64) -> bool {
    app.query_i64("SELECT COUNT(*) FROM devices WHERE id = ?1", p![id]) == 1
}

fn md5_hex(text: &str) -> String {
    hex::encode(Md5::digest(text.as_bytes()))
}

async fn accountant(app: &TestApp, username: &str, rights: &str) {
    app.user_with(UserSpec {
        username: username.into(),
        password: format!("{username}-pass1"),
        usertype: "accountant".into(),
        rights: Some(rights.into()),
        first_name: "Acc".into(),
        last_name: "Ountant".into(),
        ..UserSpec::default()
    })
    .await;
}

/// A reseller with its own API secret key `key-NAME`.
async fn reseller(app: &TestApp, username: &str) -> i64 {
    let (id, _) = app.user(username, "reseller").await;
    app.set_for(Some(username), "api_secret_key", &format!("key-{username}"))
        .await;
    id
}

async fn user_of(app: &TestApp, username: &str, owner: &str) -> i64 {
    app.user_with(UserSpec {
        username: username.into(),
        password: format!("{username}-pass1"),
        usertype: "user".into(),
        owner: Some(owner.into()),
        first_name: "First".into(),
        last_name: "Last".into(),
        ..UserSpec::default()
    })
    .await
    .0
}

/// The key a caller signs with: admin's for admin and accountants, `key-NAME` for resellers.
fn key_of(caller: &str) -> String {
    if caller == "admin" || caller.starts_with("acc") || caller.starts_with("bob") {
        SECRET.to_owned()
    } else {
        format!("key-{caller}")
    }
}

/// Calls `method` as `caller`, signed with the primary hash list and the caller's key.
async fn as_(app: &TestApp, caller: &str, method: &str, params: &[(&str, &str)]) -> Reply {
    let mut all = vec![("u", caller)];
    all.extend_from_slice(params);
    app.call_signed_with(method, &all, &key_of(caller)).await
}

/// Creates a device for `user_id` as `caller`; returns (id, username, secret).
async fn device(app: &TestApp, caller: &str, user_id: i64, extra: &[(&str, &str)]) -> (i64, String, String) {
    let uid = user_id.to_string();
    let mut params = vec![("user_id", uid.as_str())];
    params.extend_from_slice(extra);
    let reply = as_(app, caller, "device_create", &params).await;
    assert!(reply.body.contains("<status>Device created</status>"), "{}", reply.body);
    (
        leaf(&reply.body, "id").parse().unwrap(),
        leaf(&reply.body, "username"),
        leaf(&reply.body, "password"),
    )
}

/// Admin's user `bob` with one device; returns (user id, device id, username, secret).
async fn bob_with_device(app: &TestApp) -> (i64, i64, String, String) {
    let (bob, _) = app.user("bob", "user").await;
    let (id, username, secret) = device(app, "admin", bob, &[]).await;
    (bob, id, username, secret)
}

/// Two resellers, each with one user that has one device; returns (A's device, B's device, B's user).
async fn two_resellers(app: &TestApp) -> (i64, i64, i64) {
    reseller(app, "ra").await;
    reseller(app, "rb").await;
    let ua = user_of(app, "ua", "ra").await;
    let ub = user_of(app, "ub", "rb").await;
    let (da, _, _) = device(app, "ra", ua, &[]).await;
    let (db_, _, _) = device(app, "rb", ub, &[]).await;
    (da, db_, ub)
}

/// Asserts that `device_update` of `did` with `params` as admin answers `message`.
async fn update_refused(app: &TestApp, did: &str, params: &[(&str, &str)], message: &str) {
    let mut all = vec![("device", did)];
    all.extend_from_slice(params);
    assert_eq!(
        as_(app, "admin", "device_update", &all).await.body,
        page_status_error(message),
        "{all:?}"
    );
}

fn updated() -> String {
    doc(&[
        "<page>",
        "  <status>",
        "    <success>Device successfully updated</success>",
        "  </status>",
        "</page>",
    ])
}

fn deleted() -> String {
    doc(&["<page>", "  <status>Device was deleted</status>", "</page>"])
}

/// One `<device>` of a `devices_get` answer.
fn listed(id: i64, primary: &str, username: &str, secret: &str, group: i64) -> Vec<String> {
    vec![
        "    <device>".into(),
        format!("      <device_id>{id}</device_id>"),
        "      <device_type>SIP</device_type>".into(),
        format!("      <devicegroup_id>{group}</devicegroup_id>"),
        format!("      <primary_device>{primary}</primary_device>"),
        format!("      <username>{username}</username>"),
        format!("      <secret>{secret}</secret>"),
        "      <ipaddr></ipaddr>".into(),
        "      <port>0</port>".into(),
        "      <callerid></callerid>".into(),
        "    </device>".into(),
    ]
}

fn device_list(devices: Vec<Vec<String>>) -> String {
    let mut lines = vec!["<page>".to_owned(), "  <devices>".to_owned()];
    lines.extend(devices.into_iter().flatten());
    lines.push("  </devices>".into());
    lines.push("</page>".into());
    doc(&lines.iter().map(String::as_str).collect::<Vec<_>>())
}
