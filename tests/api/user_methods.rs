//! The users companion methods (spec F.1–F.5): `user_login`, `user_logout`, `user_details_get`,
//! `users_get`, `user_details_update`, `user_delete`. Shared helpers here, one module per method.

mod delete;
mod details;
mod list;
mod session;
mod update;
mod update_checks;

pub use moray::admin::UserSpec;
pub use moray::api::hash::sha1_hex;

pub use crate::common::*;

/// The password the harness gives `app.user(name, …)`.
pub fn password(username: &str) -> String {
    format!("{username}-pass1")
}

/// A user of any type owned by `owner` (`None` = admin); returns its id.
pub async fn user_owned(app: &TestApp, username: &str, usertype: &str, owner: Option<&str>) -> i64 {
    app.user_with(UserSpec {
        username: username.into(),
        password: password(username),
        usertype: usertype.into(),
        owner: owner.map(str::to_owned),
        first_name: "First".into(),
        last_name: "Last".into(),
        ..UserSpec::default()
    })
    .await
    .0
}

pub async fn accountant(app: &TestApp, username: &str, rights: &str) -> i64 {
    app.user_with(UserSpec {
        username: username.into(),
        password: password(username),
        usertype: "accountant".into(),
        rights: Some(rights.into()),
        first_name: "Acc".into(),
        last_name: "Ountant".into(),
        ..UserSpec::default()
    })
    .await
    .0
}

/// Moves a user (and its device group) to another id, for the wiki's hash vectors. The server
/// schemas cascade the id to the user's device groups and devices themselves.
pub fn move_user(app: &TestApp, from: i64, to: i64) {
    let sqlite = backend_name() == "sqlite";
    if sqlite {
        app.exec("PRAGMA foreign_keys = OFF", p![]);
    }
    app.exec(&format!("UPDATE users SET id = {to} WHERE id = {from}"), p![]);
    app.exec(
        &format!("UPDATE device_groups SET user_id = {to} WHERE user_id = {from}"),
        p![],
    );
    if sqlite {
        app.exec("PRAGMA foreign_keys = ON", p![]);
    }
}

/// `params` plus `hash` = SHA-1 of `hashed` followed by `key`.
pub fn with_hash<'a>(params: &[(&'a str, &'a str)], hash: &'a str) -> Vec<(&'a str, &'a str)> {
    let mut all = params.to_vec();
    all.push(("hash", hash));
    all
}

/// `<page><error>ERROR</error><message>…</message>…</page>`
pub fn page_error_messages(error: &str, messages: &[&str]) -> String {
    let mut lines = vec!["<page>".to_owned(), format!("  <error>{error}</error>")];
    lines.extend(messages.iter().map(|m| format!("  <message>{m}</message>")));
    lines.push("</page>".into());
    let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
    doc(&lines)
}

/// `<page><status>TEXT</status></page>`
pub fn page_status(text: &str) -> String {
    doc(&["<page>", &format!("  <status>{text}</status>"), "</page>"])
}

/// The `user_login` success document.
pub fn login_ok(user_id: i64) -> String {
    doc(&[
        "<action>",
        "  <name>login</name>",
        "  <status>ok</status>",
        &format!("  <user_id>{user_id}</user_id>"),
        "  <status_message>Successfully logged in</status_message>",
        "</action>",
    ])
}

pub fn login_failed() -> String {
    doc(&[
        "<action>",
        "  <name>login</name>",
        "  <status>failed</status>",
        "  <status_message>Login failed</status_message>",
        "</action>",
    ])
}

pub async fn login(app: &TestApp, username: &str, password: &str) -> String {
    app.call("user_login", &[("u", username), ("p", password)]).await.body
}
