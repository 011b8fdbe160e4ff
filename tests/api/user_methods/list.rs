//! `users_get`, spec F.3.

use super::*;

/// One `<user>` as the harness creates it (`First`/`Last`, tariff 1, LCR 1).
fn user_lines(id: i64, username: &str, owner_id: i64, usertype: &str) -> Vec<String> {
    vec![
        "      <user>".into(),
        format!("        <id>{id}</id>"),
        format!("        <username>{username}</username>"),
        "        <first_name>First</first_name>".into(),
        "        <last_name>Last</last_name>".into(),
        "        <balance>0.0</balance>".into(),
        "        <blocked>0</blocked>".into(),
        "        <lcr_id>1</lcr_id>".into(),
        "        <tariff_id>1</tariff_id>".into(),
        format!("        <owner_id>{owner_id}</owner_id>"),
        format!("        <usertype>{usertype}</usertype>"),
        "        <hidden>0</hidden>".into(),
        "      </user>".into(),
    ]
}

fn users_doc(users: Vec<Vec<String>>) -> String {
    let mut lines: Vec<String> = vec!["<page>".into(), "  <status>".into(), "    <users>".into()];
    lines.extend(users.into_iter().flatten());
    lines.extend(["    </users>".into(), "  </status>".into(), "</page>".into()]);
    let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
    doc(&lines)
}

async fn list(app: &TestApp, username: &str, password: &str) -> String {
    app.call_signed("users_get", &[("u", username), ("p", password)])
        .await
        .body
}

#[tokio::test]
async fn admin_lists_every_user_but_himself_in_id_order() {
    let app = TestApp::new().await;
    let res = user_owned(&app, "res", "reseller", None).await;
    let (john, _) = app.user("john", "user").await;
    let bob = user_owned(&app, "bob", "user", Some("res")).await;
    let body = list(&app, "admin", ADMIN_PASSWORD).await;
    let expected = users_doc(vec![
        user_lines(res, "res", 0, "reseller"),
        user_lines(john, "john", 0, "user"),
        user_lines(bob, "bob", res, "user"),
    ]);
    assert_eq!(body, expected);
}

#[tokio::test]
async fn users_get_shows_balance_blocked_and_hidden() {
    let app = TestApp::new().await;
    let (john, _) = app.user("john", "user").await;
    app.exec(
        &format!("UPDATE users SET balance = 12.5, blocked = 1, hidden = 1 WHERE id = {john}"),
        p![],
    );
    let body = list(&app, "admin", ADMIN_PASSWORD).await;
    assert!(
        body.contains("        <balance>12.5</balance>\n        <blocked>1</blocked>\n"),
        "{body}"
    );
    assert!(body.contains("        <hidden>1</hidden>\n"), "{body}");
}

#[tokio::test]
async fn users_get_matches_the_wiki_vector() {
    let app = TestApp::new().await;
    app.user("john", "user").await;
    // Spec B.7: `u=admin&p=admin1`, key `secret`.
    let hash = "c420ef706a02e6449994b7575b25ef5f74cc722b";
    let body = app
        .call("users_get", &[("u", "admin"), ("p", "admin1"), ("hash", hash)])
        .await
        .body;
    assert!(body.contains("        <username>john</username>\n"), "{body}");
}

#[tokio::test]
async fn a_reseller_lists_only_his_own_users() {
    let app = TestApp::new().await;
    let resa = user_owned(&app, "resa", "reseller", None).await;
    user_owned(&app, "resb", "reseller", None).await;
    let bob = user_owned(&app, "bob", "user", Some("resa")).await;
    user_owned(&app, "carl", "user", Some("resb")).await;
    app.user("john", "user").await;
    let body = list(&app, "resa", &password("resa")).await;
    assert_eq!(body, users_doc(vec![user_lines(bob, "bob", resa, "user")]));
}

#[tokio::test]
async fn an_empty_list_is_no_users_found() {
    let app = TestApp::new().await;
    assert_eq!(
        list(&app, "admin", ADMIN_PASSWORD).await,
        page_status_error("No Users found")
    );
    user_owned(&app, "res", "reseller", None).await;
    assert_eq!(
        list(&app, "res", &password("res")).await,
        page_status_error("No Users found")
    );
}

#[tokio::test]
async fn uniquehash_may_replace_the_password() {
    let app = TestApp::new().await;
    let (john, _) = app.user("john", "user").await;
    let hash = sha1_hex(&format!("admin{SECRET}"));
    let params = [
        ("u", "admin"),
        ("uniquehash", app.admin_uniquehash.as_str()),
        ("hash", &hash),
    ];
    let body = app.call("users_get", &params).await.body;
    assert!(body.contains(&format!("        <id>{john}</id>\n")), "{body}");
    let params = [("u", "admin"), ("uniquehash", "zzzzzzzzzz"), ("hash", &hash)];
    let body = app.call("users_get", &params).await.body;
    assert_eq!(body, page_status_error("Access Denied"));
}

#[tokio::test]
async fn a_wrong_or_missing_password_is_access_denied() {
    let app = TestApp::new().await;
    app.user("john", "user").await;
    assert_eq!(list(&app, "admin", "wrong").await, page_status_error("Access Denied"));
    assert_eq!(list(&app, "admin", "").await, page_status_error("Access Denied"));
    let body = app.call_signed("users_get", &[("u", "admin")]).await.body;
    assert_eq!(body, page_status_error("Access Denied"));
}

#[tokio::test]
async fn the_password_is_required_even_with_hash_checking_disabled() {
    let app = TestApp::new().await;
    app.user("john", "user").await;
    app.set("disable_hash_checking", "1").await;
    let body = app.call("users_get", &[("u", "admin")]).await.body;
    assert_eq!(body, page_status_error("Access Denied"));
    let body = app
        .call("users_get", &[("u", "admin"), ("p", ADMIN_PASSWORD)])
        .await
        .body;
    assert!(body.contains("        <username>john</username>\n"), "{body}");
}

#[tokio::test]
async fn unknown_caller_and_plain_users_are_access_denied() {
    let app = TestApp::new().await;
    app.user("john", "user").await;
    assert_eq!(list(&app, "nobody", "x").await, page_status_error("Access Denied"));
    assert_eq!(
        list(&app, "john", &password("john")).await,
        page_status_error("Access Denied")
    );
}

#[tokio::test]
async fn accountants_need_user_manage_to_read() {
    let app = TestApp::new().await;
    user_owned(&app, "res", "reseller", None).await;
    let bob = user_owned(&app, "bob", "user", Some("res")).await;
    let none = accountant(&app, "acc0", "").await;
    let read = accountant(&app, "acc1", "user_manage=1").await;
    accountant(&app, "acc2", "user_manage=2").await;
    let body = list(&app, "acc0", &password("acc0")).await;
    assert_eq!(body, page_status_error("You are not authorized to view this page"));
    // A bad password answers first.
    let body = list(&app, "acc0", "wrong").await;
    assert_eq!(body, page_status_error("Access Denied"));
    for caller in ["acc1", "acc2"] {
        let body = list(&app, caller, &password(caller)).await;
        assert!(body.contains(&format!("        <id>{none}</id>\n")), "{body}");
        assert!(body.contains(&format!("        <id>{read}</id>\n")), "{body}");
        // Every user but admin, a reseller's users included.
        assert!(body.contains(&format!("        <id>{bob}</id>\n")), "{body}");
        assert!(!body.contains("        <id>0</id>\n"), "{body}");
    }
}

#[tokio::test]
async fn users_get_checks_the_hash_of_u_and_p() {
    let app = TestApp::new().await;
    let hash = sha1_hex(&format!("{ADMIN_PASSWORD}admin{SECRET}"));
    let body = app
        .call("users_get", &[("u", "admin"), ("p", ADMIN_PASSWORD), ("hash", &hash)])
        .await
        .body;
    assert_eq!(body, status_error("Incorrect hash"));
}

#[tokio::test]
async fn users_get_lists_at_most_1000_users() {
    let app = TestApp::new().await;
    app.exec_many(
        "INSERT INTO users (id, username, username_key, password_hash, usertype, uniquehash, tariff_id, lcr_id)
         VALUES (?1, ?2, ?2, 'x', 'user', ?2, 1, 1)",
        (1..=1005i64).map(|id| p![id, format!("bulk{id:04}")]).collect(),
    );
    let body = list(&app, "admin", ADMIN_PASSWORD).await;
    assert_eq!(body.matches("<user>").count(), 1000);
    assert!(body.contains("        <id>1</id>\n"));
    assert!(body.contains("        <id>1000</id>\n"));
    assert!(!body.contains("        <id>1001</id>\n"));
}
