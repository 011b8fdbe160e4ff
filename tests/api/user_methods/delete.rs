//! `user_delete`, spec F.5.

use super::*;

const DELETED: &str = "User deleted";

async fn delete(app: &TestApp, caller: &str, user_id: i64) -> String {
    let id = user_id.to_string();
    app.call_signed("user_delete", &[("u", caller), ("user_id", &id)])
        .await
        .body
}

/// The text of the first `<name>…</name>` in `body`.
fn leaf(body: &str, name: &str) -> String {
    let open = format!("<{name}>");
    let start = body.find(&open).unwrap_or_else(|| panic!("no <{name}> in {body}")) + open.len();
    let end = body[start..].find(&format!("</{name}>")).unwrap() + start;
    body[start..end].to_owned()
}

/// Signs a user up through `user_register` (user, `primary` group, device, a CLI); returns its id.
async fn sign_up(app: &TestApp, username: &str, mob_phone: &str) -> i64 {
    app.set("api_allow_registration", "1").await;
    let email = format!("{username}@example.com");
    let params = [
        ("email", email.as_str()),
        ("id", app.admin_uniquehash.as_str()),
        ("device_type", "SIP"),
        ("username", username),
        ("first_name", "A"),
        ("last_name", "B"),
        ("password", "Passw0rd1"),
        ("password2", "Passw0rd1"),
        ("country_id", "1"),
        ("mob_phone", mob_phone),
    ];
    let body = app.call_signed("user_register", &params).await.body;
    leaf(&body, "user_id").parse().unwrap_or_else(|_| panic!("{body}"))
}

/// `device_create` for `user_id`; returns the new device's extension (its username).
async fn device_for(app: &TestApp, user_id: i64) -> String {
    let id = user_id.to_string();
    let body = app
        .call_signed("device_create", &[("u", "admin"), ("user_id", &id)])
        .await
        .body;
    leaf(&body, "username")
}

fn owned_rows(app: &TestApp, id: i64) -> [i64; 4] {
    [
        app.count(&format!("SELECT COUNT(*) FROM users WHERE id = {id}")),
        app.count(&format!("SELECT COUNT(*) FROM devices WHERE user_id = {id}")),
        app.count("SELECT COUNT(*) FROM clis"),
        app.count(&format!("SELECT COUNT(*) FROM device_groups WHERE user_id = {id}")),
    ]
}

#[tokio::test]
async fn deleting_a_user_removes_his_devices_clis_and_groups() {
    let app = TestApp::new().await;
    let john = sign_up(&app, "john", "37060000001").await;
    device_for(&app, john).await;
    assert_eq!(owned_rows(&app, john), [1, 2, 1, 1]);
    assert_eq!(delete(&app, "admin", john).await, page_status(DELETED));
    assert_eq!(owned_rows(&app, john), [0, 0, 0, 0]);
    // His phone is free again.
    sign_up(&app, "mary", "37060000001").await;
}

#[tokio::test]
async fn a_deleted_users_extension_is_allocated_again() {
    let app = TestApp::new().await;
    let john = sign_up(&app, "john", "").await;
    let mary = sign_up(&app, "mary", "").await;
    let johns = app.query_text(&format!("SELECT extension FROM devices WHERE user_id = {john}"), p![]);
    let marys = app.query_text(&format!("SELECT extension FROM devices WHERE user_id = {mary}"), p![]);
    assert_eq!((johns.as_str(), marys.as_str()), ("101", "102"));
    assert_eq!(delete(&app, "admin", john).await, page_status(DELETED));
    assert_eq!(device_for(&app, mary).await, "101");
    assert_eq!(device_for(&app, mary).await, "103");
}

#[tokio::test]
async fn a_user_with_a_did_is_not_deleted() {
    let app = TestApp::new().await;
    let john = sign_up(&app, "john", "").await;
    let provider = app.provider("prov", None).await.to_string();
    let body = app
        .call_signed(
            "did_create",
            &[("u", "admin"), ("provider_id", &provider), ("did", "37052000001")],
        )
        .await
        .body;
    let did = leaf(&body, "id");
    app.exec(&format!("UPDATE dids SET user_id = {john} WHERE id = {did}"), p![]);
    assert_eq!(
        delete(&app, "admin", john).await,
        page_error("Cannot delete user - it has DIDs")
    );
    assert_eq!(owned_rows(&app, john), [1, 1, 0, 1]);
    // A DID routed to one of his devices counts too.
    let device = app.count(&format!("SELECT id FROM devices WHERE user_id = {john}"));
    app.exec(
        &format!("UPDATE dids SET user_id = 0, device_id = {device} WHERE id = {did}"),
        p![],
    );
    assert_eq!(
        delete(&app, "admin", john).await,
        page_error("Cannot delete user - it has DIDs")
    );
    app.exec(&format!("UPDATE dids SET device_id = 0 WHERE id = {did}"), p![]);
    assert_eq!(delete(&app, "admin", john).await, page_status(DELETED));
}

#[tokio::test]
async fn callers_without_the_right_are_access_denied() {
    let app = TestApp::new().await;
    let (john, _) = app.user("john", "user").await;
    app.user("mary", "user").await;
    accountant(&app, "acc1", "user_manage=1").await;
    for caller in ["nobody", "mary", "acc1"] {
        assert_eq!(
            delete(&app, caller, john).await,
            page_error("Access Denied"),
            "{caller}"
        );
    }
    let body = app.call("user_delete", &[("user_id", &john.to_string())]).await.body;
    assert_eq!(body, page_error("Access Denied"));
    assert_eq!(app.count(&format!("SELECT COUNT(*) FROM users WHERE id = {john}")), 1);
}

#[tokio::test]
async fn an_accountant_with_user_manage_2_deletes_but_not_himself() {
    let app = TestApp::new().await;
    let (john, _) = app.user("john", "user").await;
    let acc = accountant(&app, "acc2", "user_manage=2").await;
    assert_eq!(delete(&app, "acc2", john).await, page_status(DELETED));
    assert_eq!(delete(&app, "acc2", acc).await, page_error("Access Denied"));
}

#[tokio::test]
async fn blank_or_unknown_user_id_is_not_found() {
    let app = TestApp::new().await;
    for id in ["", "999", "abc"] {
        let body = app
            .call_signed("user_delete", &[("u", "admin"), ("user_id", id)])
            .await
            .body;
        assert_eq!(body, page_error("User was not found"), "{id:?}");
    }
    let body = app.call_signed("user_delete", &[("u", "admin")]).await.body;
    assert_eq!(body, page_error("User was not found"));
}

#[tokio::test]
async fn resellers_delete_only_their_own_users() {
    let app = TestApp::new().await;
    user_owned(&app, "resa", "reseller", None).await;
    let resb = user_owned(&app, "resb", "reseller", None).await;
    let bob = user_owned(&app, "bob", "user", Some("resa")).await;
    let carl = user_owned(&app, "carl", "user", Some("resb")).await;
    let (dora, _) = app.user("dora", "user").await;
    for target in [carl, resb, dora, 0] {
        assert_eq!(
            delete(&app, "resa", target).await,
            page_error("Access Denied"),
            "{target}"
        );
    }
    // Admin does not own a reseller's users directly, nor can anyone delete admin.
    assert_eq!(delete(&app, "admin", carl).await, page_error("Access Denied"));
    assert_eq!(delete(&app, "admin", 0).await, page_error("Access Denied"));
    assert_eq!(delete(&app, "resa", bob).await, page_status(DELETED));
}

#[tokio::test]
async fn a_reseller_is_deleted_only_once_he_owns_no_users() {
    let app = TestApp::new().await;
    let res = user_owned(&app, "res", "reseller", None).await;
    let bob = user_owned(&app, "bob", "user", Some("res")).await;
    app.set_for(Some("res"), "api_secret_key", "reskey1").await;
    assert_eq!(delete(&app, "admin", res).await, page_error("Access Denied"));
    let id = bob.to_string();
    let body = app
        .call_signed_with("user_delete", &[("u", "res"), ("user_id", &id)], "wrongkey")
        .await
        .body;
    assert_eq!(body, status_error("Incorrect hash"));
    let body = app
        .call_signed_with("user_delete", &[("u", "res"), ("user_id", &id)], "reskey1")
        .await
        .body;
    assert_eq!(body, page_status(DELETED));
    assert_eq!(delete(&app, "admin", res).await, page_status(DELETED));
    let left = app.count(&format!(
        "SELECT (SELECT COUNT(*) FROM settings WHERE owner_id = {res})
                  + (SELECT COUNT(*) FROM default_users WHERE owner_id = {res})
                  + (SELECT COUNT(*) FROM default_devices WHERE owner_id = {res})"
    ));
    assert_eq!(left, 0);
}

#[tokio::test]
async fn user_delete_hashes_user_id() {
    let app = TestApp::new().await;
    let (id, _) = app.user("john", "user").await;
    move_user(&app, id, 123);
    app.set("api_secret_key", "456789").await;
    // Spec B.7 (`device=123` / `user_id=123`, key 456789).
    let hash = "f7c3bc1d808e04732adf679965ccc34ca7ae3441";
    let body = app
        .call("user_delete", &[("u", "admin"), ("user_id", "0123"), ("hash", hash)])
        .await
        .body;
    assert_eq!(body, page_status(DELETED));
    let body = app
        .call("user_delete", &[("u", "admin"), ("user_id", "123"), ("hash", hash)])
        .await
        .body;
    assert_eq!(body, page_error("User was not found"));
    let body = app
        .call(
            "user_delete",
            &[("u", "admin"), ("user_id", "123"), ("hash", &sha1_hex("1234567"))],
        )
        .await
        .body;
    assert_eq!(body, status_error("Incorrect hash"));
}

#[tokio::test]
async fn a_deleted_accountant_takes_his_own_rights_group_along() {
    let app = TestApp::new().await;
    let acc = accountant(&app, "acc", "user_manage=1").await;
    let groups = "SELECT COUNT(*) FROM permission_groups WHERE name = 'acc rights'";
    assert_eq!(app.count(groups), 1);
    assert_eq!(delete(&app, "admin", acc).await, page_status(DELETED));
    assert_eq!(app.count(groups), 0);
    // The console can create an accountant of that name again.
    accountant(&app, "acc", "user_manage=2").await;
}
