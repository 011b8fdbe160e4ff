//! Providers (spec F.16, F.17) and `reseller_groups_get` (spec F.15).
//! Shared fixtures live here; each method family has its own file under `provider_methods/`.

use moray::admin::UserSpec;

pub use crate::common::*;

mod create;
mod get;
mod groups;
mod update;

/// A reseller (Reseller PRO when `pro`) with its own API secret key `key-NAME`.
pub async fn reseller(app: &TestApp, username: &str, pro: bool) -> i64 {
    let (id, _) = app
        .user_with(UserSpec {
            username: username.into(),
            password: format!("{username}-pass1"),
            usertype: "reseller".into(),
            first_name: "Res".into(),
            last_name: "Eller".into(),
            own_providers: pro,
            ..UserSpec::default()
        })
        .await;
    app.set_for(Some(username), "api_secret_key", &format!("key-{username}"))
        .await;
    id
}

pub async fn accountant(app: &TestApp, username: &str, rights: &str) -> i64 {
    app.user_with(UserSpec {
        username: username.into(),
        password: format!("{username}-pass1"),
        usertype: "accountant".into(),
        rights: Some(rights.into()),
        first_name: "Acc".into(),
        last_name: "Ountant".into(),
        ..UserSpec::default()
    })
    .await
    .0
}

/// Calls `method` as `caller`, signed with the primary list and the caller's scope key:
/// `key-NAME` for the resellers of these tests (their names start with `res`), else admin's.
pub async fn call_as(app: &TestApp, caller: &str, method: &str, params: &[(&str, &str)]) -> Reply {
    let mut all = vec![("u", caller)];
    all.extend_from_slice(params);
    let key = if caller.starts_with("res") {
        format!("key-{caller}")
    } else {
        SECRET.to_owned()
    };
    app.call_signed_with(method, &all, &key).await
}

/// Inserts a tariff (or location) owned by `owner`; returns its id.
pub fn add_row(app: &TestApp, table: &str, name: &str, owner: i64) -> i64 {
    app.insert(
        &format!("INSERT INTO {table} (name, owner_id) VALUES (?1, ?2)"),
        p![name, owner],
    )
}

/// The stored columns of a provider.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub name: String,
    pub tech: String,
    pub tariff_id: i64,
    pub owner_id: i64,
    pub server_ip: String,
    pub port: i64,
    pub login: String,
    pub password: String,
    pub hidden: bool,
    pub active: bool,
    pub timeout: i64,
    pub dtmfmode: String,
    pub call_limit: i64,
    pub location_id: i64,
}

pub fn provider_row(app: &TestApp, id: i64) -> Row {
    let r = app.query_row(
        "SELECT name, tech, tariff_id, owner_id, server_ip, port, login, password, hidden, active, timeout,
                dtmfmode, call_limit, location_id FROM providers WHERE id = ?1",
        p![id],
    );
    Row {
        name: r.text(0),
        tech: r.text(1),
        tariff_id: r.i64(2),
        owner_id: r.i64(3),
        server_ip: r.text(4),
        port: r.i64(5),
        login: r.text(6),
        password: r.text(7),
        hidden: r.bool(8),
        active: r.bool(9),
        timeout: r.i64(10),
        dtmfmode: r.text(11),
        call_limit: r.i64(12),
        location_id: r.i64(13),
    }
}

pub fn provider_count(app: &TestApp) -> i64 {
    app.count("SELECT COUNT(*) FROM providers")
}

/// `<page><status><success>TEXT</success>EXTRA…</status></page>`.
pub fn success(text: &str, extra: &[&str]) -> String {
    let success = format!("    <success>{text}</success>");
    let mut lines = vec!["<page>", "  <status>", &success];
    lines.extend_from_slice(extra);
    lines.extend_from_slice(&["  </status>", "</page>"]);
    doc(&lines)
}
