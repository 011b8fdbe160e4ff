//! DID companion methods (spec F.10–F.14, D.7): `dids_get`, `did_device_assign`,
//! `did_device_unassign`, `did_details_update`, `did_make_free`, `did_terminate`, `did_close`.
//! Shared fixtures live here; each method family has its own file under `did_methods/`.

use moray::admin::UserSpec;

pub use crate::common::*;

mod assign;
mod details;
mod lifecycle;
mod list;
mod paging;
mod unassign;

/// A DID row as the tests see it: (status, reseller_id, user_id, device_id, call_limit).
pub type State = (String, i64, i64, i64, i64);

pub fn state(app: &TestApp, id: i64) -> State {
    let r = app.query_row(
        "SELECT status, reseller_id, user_id, device_id, call_limit FROM dids WHERE id = ?1",
        p![id],
    );
    (r.text(0), r.i64(1), r.i64(2), r.i64(3), r.i64(4))
}

pub fn st(status: &str, reseller: i64, user: i64, device: i64, limit: i64) -> State {
    (status.to_owned(), reseller, user, device, limit)
}

/// Inserts a DID directly: (number, provider, status, reseller_id, user_id, device_id).
pub fn add_did(app: &TestApp, number: &str, provider: i64, status: &str, reseller: i64, user: i64, device: i64) -> i64 {
    app.insert(
        "INSERT INTO dids (did, provider_id, status, reseller_id, user_id, device_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        p![number, provider, status, reseller, user, device],
    )
}

pub fn set_did(app: &TestApp, id: i64, column: &str, value: impl Param) {
    let sql = format!("UPDATE dids SET {column} = ?1 WHERE id = ?2");
    app.exec(&sql, p![value, id]);
}

/// Inserts a device of `user` named `name` (also its username and extension).
pub fn add_device(app: &TestApp, user: i64, device_type: &str, name: &str) -> i64 {
    app.insert(
        "INSERT INTO devices (user_id, device_type, name, username, secret, ha1, extension)
         VALUES (?1, ?2, ?3, ?3, 'secret12', 'ha1', ?3)",
        p![user, device_type, name],
    )
}

/// A plain user owned by `owner` (admin when `None`) with the given display names.
pub async fn plain(app: &TestApp, username: &str, owner: Option<&str>, first: &str, last: &str) -> i64 {
    app.user_with(UserSpec {
        username: username.into(),
        password: format!("{username}-pass1"),
        usertype: "user".into(),
        owner: owner.map(str::to_owned),
        first_name: first.into(),
        last_name: last.into(),
        ..UserSpec::default()
    })
    .await
    .0
}

/// A reseller with its own API secret key `key-NAME`.
pub async fn reseller(app: &TestApp, username: &str, first: &str, last: &str) -> i64 {
    let (id, _) = app
        .user_with(UserSpec {
            username: username.into(),
            password: format!("{username}-pass1"),
            usertype: "reseller".into(),
            first_name: first.into(),
            last_name: last.into(),
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

/// Calls `method` as `caller` (`u`), signed with the primary list and the caller's scope key:
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

/// `<page><dids>…</dids></page>`, each DID given as its (element, text) children.
pub fn dids_doc(dids: &[Vec<(&str, String)>]) -> String {
    let mut lines = vec!["<page>".to_owned(), "  <dids>".to_owned()];
    for did in dids {
        lines.push("    <did>".to_owned());
        lines.extend(did.iter().map(|(name, text)| format!("      <{name}>{text}</{name}>")));
        lines.push("    </did>".to_owned());
    }
    lines.push("  </dids>".to_owned());
    lines.push("</page>".to_owned());
    doc(&lines.iter().map(String::as_str).collect::<Vec<_>>())
}

/// `<page><status><success>TEXT</success></status>EXTRA…</page>`.
pub fn success(text: &str, extra: &[&str]) -> String {
    let success = format!("    <success>{text}</success>");
    let mut lines = vec!["<page>", "  <status>", &success, "  </status>"];
    lines.extend_from_slice(extra);
    lines.push("</page>");
    doc(&lines)
}

/// A world with two resellers (`resA`, `resB`), each with a user and device, and admin's own
/// user and device; admin's provider `Telco`.
pub struct World {
    pub app: TestApp,
    pub provider: i64,
    pub res_a: i64,
    pub res_b: i64,
    /// Admin's user John Doe and his SIP device `101`.
    pub john: i64,
    pub john_dev: i64,
    /// resA's user Anna Able and her device `201`.
    pub anna: i64,
    pub anna_dev: i64,
    /// resB's user Bob Brown and his device `301`.
    pub bob: i64,
    pub bob_dev: i64,
}

impl World {
    pub async fn new() -> World {
        let app = TestApp::new().await;
        let provider = app.provider("Telco", None).await;
        let res_a = reseller(&app, "resA", "Reseller", "Alpha").await;
        let res_b = reseller(&app, "resB", "Reseller", "Beta").await;
        let john = plain(&app, "john", None, "John", "Doe").await;
        let anna = plain(&app, "anna", Some("resA"), "Anna", "Able").await;
        let bob = plain(&app, "bob", Some("resB"), "Bob", "Brown").await;
        let john_dev = add_device(&app, john, "SIP", "101");
        let anna_dev = add_device(&app, anna, "IAX2", "201");
        let bob_dev = add_device(&app, bob, "SIP", "301");
        World {
            app,
            provider,
            res_a,
            res_b,
            john,
            john_dev,
            anna,
            anna_dev,
            bob,
            bob_dev,
        }
    }
}
