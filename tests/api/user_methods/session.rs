//! `user_login` (`/api/login`) and `user_logout` (`/api/logout`), spec F.1.

use super::*;

fn logout(ok: bool) -> String {
    doc(&[
        "<action>",
        "  <name>logout</name>",
        &format!("  <status>{}</status>", if ok { "ok" } else { "failed" }),
        "</action>",
    ])
}

#[tokio::test]
async fn login_with_the_right_password_answers_ok_with_the_user_id() {
    let app = TestApp::new().await;
    let (id, _) = app.user("john", "user").await;
    assert_eq!(login(&app, "john", "john-pass1").await, login_ok(id));
    assert_eq!(login(&app, "admin", ADMIN_PASSWORD).await, login_ok(0));
}

#[tokio::test]
async fn login_matches_the_username_case_insensitively() {
    let app = TestApp::new().await;
    let (id, _) = app.user("john", "user").await;
    assert_eq!(login(&app, "JoHN", "john-pass1").await, login_ok(id));
}

#[tokio::test]
async fn login_with_a_wrong_password_fails() {
    let app = TestApp::new().await;
    app.user("john", "user").await;
    assert_eq!(login(&app, "john", "john-pass2").await, login_failed());
    assert_eq!(login(&app, "john", "").await, login_failed());
    let reply = app.call("user_login", &[("u", "john")]).await;
    assert_eq!(reply.body, login_failed());
}

#[tokio::test]
async fn login_of_an_unknown_or_blocked_user_fails() {
    let app = TestApp::new().await;
    let (id, _) = app.user("john", "user").await;
    assert_eq!(login(&app, "nobody", "john-pass1").await, login_failed());
    assert_eq!(login(&app, "", "john-pass1").await, login_failed());
    app.exec(&format!("UPDATE users SET blocked = 1 WHERE id = {id}"), p![]);
    assert_eq!(login(&app, "john", "john-pass1").await, login_failed());
}

#[tokio::test]
async fn login_is_not_hash_checked() {
    let app = TestApp::new().await;
    let reply = app
        .call("user_login", &[("u", "admin"), ("p", ADMIN_PASSWORD), ("hash", "0000")])
        .await;
    assert_eq!(reply.body, login_ok(0));
    // Even without any secret key.
    app.set("api_secret_key", "").await;
    assert_eq!(login(&app, "admin", ADMIN_PASSWORD).await, login_ok(0));
}

#[tokio::test]
async fn login_runs_pre_checks_2_and_3() {
    let app = TestApp::new().await;
    let reply = app
        .get("/api/user_login", &[("u", "admin"), ("p", ADMIN_PASSWORD)])
        .await;
    assert_eq!(reply.body, status_error("GET Requests are disabled"));
    app.set("allow_get_api", "1").await;
    let reply = app
        .get("/api/user_login", &[("u", "admin"), ("p", ADMIN_PASSWORD)])
        .await;
    assert_eq!(reply.body, login_ok(0));
    app.set("allow_api", "0").await;
    assert_eq!(
        login(&app, "admin", ADMIN_PASSWORD).await,
        status_error("API Requests are disabled")
    );
}

#[tokio::test]
async fn login_is_served_at_its_aliases() {
    let app = TestApp::new().await;
    let params = [("u", "admin"), ("p", ADMIN_PASSWORD)];
    assert_eq!(app.post("/api/login", &params).await.body, login_ok(0));
    assert_eq!(app.post("/billing/api/login", &params).await.body, login_ok(0));
    assert_eq!(app.post("/billing/api/user_login/", &params).await.body, login_ok(0));
}

#[tokio::test]
async fn logout_hashes_the_key_only() {
    let app = TestApp::new().await;
    // Spec B.7: key only, `secret`.
    let hash = "e5e9fa1ba31ecd1ae84f75caaa474f3a663f05f4";
    let reply = app.call("user_logout", &[("u", "admin"), ("hash", hash)]).await;
    assert_eq!(reply.body, logout(true));
    let reply = app.call_signed("user_logout", &[("u", "admin")]).await;
    assert_eq!(reply.body, logout(true));
}

#[tokio::test]
async fn logout_of_a_plain_user_uses_his_owners_key() {
    let app = TestApp::new().await;
    user_owned(&app, "res", "reseller", None).await;
    user_owned(&app, "bob", "user", Some("res")).await;
    app.set_for(Some("res"), "api_secret_key", "reskey1").await;
    let reply = app.call_signed_with("user_logout", &[("u", "bob")], "reskey1").await;
    assert_eq!(reply.body, logout(true));
}

#[tokio::test]
async fn logout_of_an_unknown_caller_fails() {
    let app = TestApp::new().await;
    let reply = app.call_signed("user_logout", &[("u", "nobody")]).await;
    assert_eq!(reply.body, logout(false));
    let reply = app.call("user_logout", &[]).await;
    assert_eq!(reply.body, logout(false));
}

#[tokio::test]
async fn logout_with_a_wrong_hash_is_refused() {
    let app = TestApp::new().await;
    let reply = app.call_signed_with("user_logout", &[("u", "admin")], "other").await;
    assert_eq!(reply.body, status_error("Incorrect hash"));
    let reply = app.call("user_logout", &[("u", "admin")]).await;
    assert_eq!(reply.body, status_error("Incorrect hash"));
}

#[tokio::test]
async fn logout_is_served_at_its_alias() {
    let app = TestApp::new().await;
    let reply = app
        .post("/api/logout", &[("u", "admin"), ("hash", &sha1_hex(SECRET))])
        .await;
    assert_eq!(reply.body, logout(true));
}
