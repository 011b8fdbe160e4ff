//! `user_details_update` (`/api/user_update_api`), spec F.4.

use super::*;

pub(super) const UPDATED: &str = "User was updated";
pub(super) const NOT_UPDATED: &str = "User was not updated";

pub(super) async fn update(app: &TestApp, params: &[(&str, &str)]) -> String {
    app.call_signed("user_details_update", params).await.body
}

pub(super) fn column(app: &TestApp, id: i64, column: &str) -> String {
    app.query_string(&format!("SELECT {column} FROM users WHERE id = {id}"), p![])
}

#[tokio::test]
async fn user_id_alone_is_accepted_and_changes_nothing() {
    let app = TestApp::new().await;
    let (id, _) = app.user("john", "user").await;
    let before = column(&app, id, "first_name || last_name || email || password_hash");
    let id_text = id.to_string();
    let hash = sha1_hex(&format!("{id}{SECRET}"));
    let body = app
        .call(
            "user_details_update",
            &[("u", "admin"), ("user_id", &id_text), ("hash", &hash)],
        )
        .await
        .body;
    assert_eq!(body, page_status(UPDATED));
    assert_eq!(
        column(&app, id, "first_name || last_name || email || password_hash"),
        before
    );
}

#[tokio::test]
async fn the_wiki_vector_581_asdfghjkl_is_accepted() {
    let app = TestApp::new().await;
    let (id, _) = app.user("john", "user").await;
    move_user(&app, id, 581);
    app.set("api_secret_key", "asdfghjkl").await;
    let hash = "b3b8a6f4063a0569212c91098627a9c394283bd6";
    let body = app
        .call(
            "user_details_update",
            &[("u", "admin"), ("user_id", "581"), ("hash", hash)],
        )
        .await
        .body;
    assert_eq!(body, page_status(UPDATED));
}

#[tokio::test]
async fn list_u_fields_are_hashed_in_list_order() {
    let app = TestApp::new().await;
    let (id, _) = app.user("john", "user").await;
    let id_text = id.to_string();
    // user_id, u23, pswd, a1 — sent in another order; `u29` and `pgui` are never hashed.
    let hash = sha1_hex(&format!("{id}Janenewpass1Vilnius{SECRET}"));
    let params = [
        ("a1", "Vilnius"),
        ("pswd", "newpass1"),
        ("u", "admin"),
        ("u29", "x"),
        ("pgui", "1"),
        ("u23", "Jane"),
        ("user_id", id_text.as_str()),
        ("hash", &hash),
    ];
    assert_eq!(
        app.call("user_details_update", &params).await.body,
        page_status(UPDATED)
    );
    assert_eq!(column(&app, id, "first_name"), "Jane");
    assert_eq!(column(&app, id, "city"), "Vilnius");
    assert_eq!(login(&app, "john", "newpass1").await, login_ok(id));
    assert_eq!(login(&app, "john", "john-pass1").await, login_failed());
    assert!(column(&app, id, "password_hash").starts_with("$argon2id$"));
    // The user_id-only hash is accepted with the same fields; a wrong order is not.
    let short = sha1_hex(&format!("{id}{SECRET}"));
    let mut params = params.to_vec();
    params.pop();
    let body = app.call("user_details_update", &with_hash(&params, &short)).await.body;
    assert_eq!(body, page_status(UPDATED));
    let wrong = sha1_hex(&format!("{id}newpass1JaneVilnius{SECRET}"));
    let body = app.call("user_details_update", &with_hash(&params, &wrong)).await.body;
    assert_eq!(body, status_error("Incorrect hash"));
}

#[tokio::test]
async fn unimplemented_list_u_fields_are_hashed_then_ignored() {
    let app = TestApp::new().await;
    let (id, _) = app.user("john", "user").await;
    let id_text = id.to_string();
    let params = [
        ("u", "admin"),
        ("user_id", id_text.as_str()),
        ("credit", "100"),
        ("tax1_name", "VAT"),
        ("u4", "z"),
        ("own_providers", "1"),
    ];
    let hash = sha1_hex(&format!("{id}z100VAT1{SECRET}"));
    let body = app.call("user_details_update", &with_hash(&params, &hash)).await.body;
    assert_eq!(body, page_status(UPDATED));
    assert_eq!(column(&app, id, "credit"), "0.0");
    assert_eq!(column(&app, id, "own_providers"), "0");
}

#[tokio::test]
async fn user_id_is_hashed_in_its_integer_form_too() {
    let app = TestApp::new().await;
    let (id, _) = app.user("john", "user").await;
    let padded = format!("000{id}");
    let hash = sha1_hex(&format!("{id}Jane{SECRET}"));
    let params = [
        ("u", "admin"),
        ("user_id", padded.as_str()),
        ("u23", "Jane"),
        ("hash", &hash),
    ];
    assert_eq!(
        app.call("user_details_update", &params).await.body,
        page_status(UPDATED)
    );
    assert_eq!(column(&app, id, "first_name"), "Jane");
}

#[tokio::test]
async fn every_implemented_field_is_stored() {
    let app = TestApp::new().await;
    let (id, _) = app.user("john", "user").await;
    let id_text = id.to_string();
    let params = [
        ("u", "admin"),
        ("user_id", id_text.as_str()),
        ("u0", "LT999"),
        ("u9", "johnny"),
        ("u15", "1"),
        ("u17", "Smith"),
        ("u19", "CID-1"),
        ("u23", "Johnny"),
        ("u28", "1"),
        ("a0", "Main st. 1"),
        ("a1", "Kaunas"),
        ("a2", "LT-44001"),
        ("a3", "Kauno"),
        ("a4", "+370 600"),
        ("a5", "370 5 1"),
        ("a6", "2"),
        ("a7", "370 5 2"),
        ("a8", "Johnny@Example.com"),
        ("a9", "KA"),
    ];
    assert_eq!(update(&app, &params).await, page_status(UPDATED));
    let sql = "vat_number, username, username_key, blocked, last_name, client_id, first_name, hidden, address, city, \
               postcode, county, mob_phone, fax, country_id, phone, email, email_key, state";
    let row = column(&app, id, &sql.replace(", ", " || '|' || "));
    assert_eq!(
        row,
        "LT999|johnny|johnny|1|Smith|CID-1|Johnny|1|Main st. 1|Kaunas|LT-44001|Kauno|+370 600|370 5 1|2|370 5 2|\
         Johnny@Example.com|johnny@example.com|KA"
    );
    // Blocked now: pre-check 1 no longer finds him.
    assert_eq!(login(&app, "johnny", "john-pass1").await, login_failed());
    let body = update(
        &app,
        &[("u", "admin"), ("user_id", &id_text), ("u15", "0"), ("u28", "no")],
    )
    .await;
    assert_eq!(body, page_status(UPDATED));
    assert_eq!(column(&app, id, "blocked || '' || hidden"), "00");
    assert_eq!(login(&app, "JOHNNY", "john-pass1").await, login_ok(id));
    assert_eq!(login(&app, "john", "john-pass1").await, login_failed());
}

#[tokio::test]
async fn caller_and_rights_errors_come_first() {
    let app = TestApp::new().await;
    let (john, _) = app.user("john", "user").await;
    accountant(&app, "acc1", "user_manage=1").await;
    let target = john.to_string();
    let cases = [
        ("nobody", page_error("Bad login")),
        ("john", page_error("Access Denied")),
        ("acc1", page_error("You do not have rights to edit this")),
    ];
    for (caller, expected) in cases {
        let body = update(&app, &[("u", caller), ("user_id", &target), ("u23", "X")]).await;
        assert_eq!(body, expected, "{caller}");
    }
    assert_eq!(column(&app, john, "first_name"), "First");
}

#[tokio::test]
async fn an_accountant_with_user_manage_2_updates() {
    let app = TestApp::new().await;
    let (john, _) = app.user("john", "user").await;
    accountant(&app, "acc2", "user_manage=2").await;
    let body = update(&app, &[("u", "acc2"), ("user_id", &john.to_string()), ("u23", "X")]).await;
    assert_eq!(body, page_status(UPDATED));
    assert_eq!(column(&app, john, "first_name"), "X");
}

#[tokio::test]
async fn blank_or_unknown_user_id_is_not_found() {
    let app = TestApp::new().await;
    for id in ["", "999", "x1"] {
        let body = update(&app, &[("u", "admin"), ("user_id", id)]).await;
        assert_eq!(body, page_error("User was not found"), "{id:?}");
    }
    let body = update(&app, &[("u", "admin")]).await;
    assert_eq!(body, page_error("User was not found"));
}

#[tokio::test]
async fn resellers_update_only_their_own_users() {
    let app = TestApp::new().await;
    user_owned(&app, "resa", "reseller", None).await;
    let resb = user_owned(&app, "resb", "reseller", None).await;
    let bob = user_owned(&app, "bob", "user", Some("resa")).await;
    let carl = user_owned(&app, "carl", "user", Some("resb")).await;
    let body = update(&app, &[("u", "resa"), ("user_id", &bob.to_string()), ("u23", "Bobby")]).await;
    assert_eq!(body, page_status(UPDATED));
    for target in [carl, resb, 0] {
        let body = update(&app, &[("u", "resa"), ("user_id", &target.to_string()), ("u23", "X")]).await;
        assert_eq!(body, page_error("Access Denied"), "{target}");
    }
    // Admin does not own a reseller's users directly.
    let body = update(&app, &[("u", "admin"), ("user_id", &carl.to_string()), ("u23", "X")]).await;
    assert_eq!(body, page_error("Access Denied"));
    assert_eq!(column(&app, carl, "first_name"), "First");
}

#[tokio::test]
async fn user_update_api_is_an_alias() {
    let app = TestApp::new().await;
    let (john, _) = app.user("john", "user").await;
    let id = john.to_string();
    let hash = sha1_hex(&format!("{id}Jane{SECRET}"));
    let params = [
        ("u", "admin"),
        ("user_id", id.as_str()),
        ("u23", "Jane"),
        ("hash", &hash),
    ];
    assert_eq!(
        app.post("/api/user_update_api", &params).await.body,
        page_status(UPDATED)
    );
    assert_eq!(column(&app, john, "first_name"), "Jane");
    let params = [
        ("u", "admin"),
        ("user_id", id.as_str()),
        ("u23", "Jane"),
        ("hash", "bad"),
    ];
    assert_eq!(
        app.post("/api/user_update_api", &params).await.body,
        status_error("Incorrect hash")
    );
}
