//! `user_details_update` field checks: password, username and e-mail rules, and the
//! `User was not updated` messages (spec F.4).

use super::update::{NOT_UPDATED, UPDATED, column, update};
use super::*;

#[tokio::test]
async fn password_rules() {
    let app = TestApp::new().await;
    let (john, _) = app.user("john", "user").await;
    let id = john.to_string();
    let body = update(&app, &[("u", "admin"), ("user_id", &id), ("pswd", "abc12")]).await;
    assert_eq!(body, page_error("Password must be longer than 5 characters"));
    app.set("use_strong_passwords_for_users", "1").await;
    let body = update(&app, &[("u", "admin"), ("user_id", &id), ("pswd", "alllowercase1")]).await;
    assert_eq!(
        body,
        page_error("Password must contain at least one numeric value, capital and lowercase symbol")
    );
    let body = update(&app, &[("u", "admin"), ("user_id", &id), ("pswd", "Abc1234")]).await;
    assert_eq!(body, page_error("Password must be longer than 7 characters"));
    let body = update(&app, &[("u", "admin"), ("user_id", &id), ("pswd", "Abcd1234")]).await;
    assert_eq!(body, page_status(UPDATED));
    assert_eq!(login(&app, "john", "Abcd1234").await, login_ok(john));
    // An empty pswd keeps the password.
    let body = update(&app, &[("u", "admin"), ("user_id", &id), ("pswd", "")]).await;
    assert_eq!(body, page_status(UPDATED));
    assert_eq!(login(&app, "john", "Abcd1234").await, login_ok(john));
}

#[tokio::test]
async fn short_username_is_refused() {
    let app = TestApp::new().await;
    let (john, _) = app.user("john", "user").await;
    let id = john.to_string();
    let body = update(&app, &[("u", "admin"), ("user_id", &id), ("u9", "")]).await;
    assert_eq!(body, page_error("Username must be longer than 0 characters"));
    app.set("default_user_username_length", "5").await;
    let body = update(&app, &[("u", "admin"), ("user_id", &id), ("u9", "jack")]).await;
    assert_eq!(body, page_error("Username must be longer than 4 characters"));
    assert_eq!(column(&app, john, "username"), "john");
}

#[tokio::test]
async fn a_taken_username_is_not_updated_with_a_message() {
    let app = TestApp::new().await;
    let (john, _) = app.user("john", "user").await;
    app.user("mary", "user").await;
    let body = update(&app, &[("u", "admin"), ("user_id", &john.to_string()), ("u9", "MARY")]).await;
    assert_eq!(
        body,
        page_error_messages(NOT_UPDATED, &["Such username is already taken"])
    );
    // His own name in another case is his to take.
    let body = update(&app, &[("u", "admin"), ("user_id", &john.to_string()), ("u9", "John")]).await;
    assert_eq!(body, page_status(UPDATED));
    assert_eq!(column(&app, john, "username || '/' || username_key"), "John/john");
}

#[tokio::test]
async fn every_failing_field_gets_its_message_in_order() {
    let app = TestApp::new().await;
    let (john, _) = app.user("john", "user").await;
    app.user("mary", "user").await;
    let id = john.to_string();
    let params = [
        ("u", "admin"),
        ("user_id", id.as_str()),
        ("a8", "not-an-email"),
        ("a6", "99999"),
        ("u17", " "),
        ("u23", ""),
        ("u9", "mary"),
    ];
    let expected = page_error_messages(
        NOT_UPDATED,
        &[
            "Such username is already taken",
            "Please enter first name",
            "Please enter last name",
            "Please select country",
            "Please enter email",
        ],
    );
    assert_eq!(update(&app, &params).await, expected);
    assert_eq!(column(&app, john, "first_name || last_name"), "FirstLast");
}

#[tokio::test]
async fn a_used_email_is_refused_unless_identical_emails_are_allowed() {
    let app = TestApp::new().await;
    let (john, _) = app.user("john", "user").await;
    let (mary, _) = app.user("mary", "user").await;
    let body = update(
        &app,
        &[
            ("u", "admin"),
            ("user_id", &mary.to_string()),
            ("a8", "shared@example.com"),
        ],
    )
    .await;
    assert_eq!(body, page_status(UPDATED));
    let body = update(
        &app,
        &[
            ("u", "admin"),
            ("user_id", &john.to_string()),
            ("a8", "SHARED@example.com"),
        ],
    )
    .await;
    assert_eq!(
        body,
        page_error_messages(NOT_UPDATED, &["This email address is already in use"])
    );
    // Re-sending her own address is fine.
    let body = update(
        &app,
        &[
            ("u", "admin"),
            ("user_id", &mary.to_string()),
            ("a8", "shared@example.com"),
        ],
    )
    .await;
    assert_eq!(body, page_status(UPDATED));
    app.set("allow_identical_email_addresses_to_different_users", "1").await;
    let body = update(
        &app,
        &[
            ("u", "admin"),
            ("user_id", &john.to_string()),
            ("a8", "SHARED@example.com"),
        ],
    )
    .await;
    assert_eq!(body, page_status(UPDATED));
    assert_eq!(
        column(&app, john, "email || '/' || COALESCE(email_key, 'NULL')"),
        "SHARED@example.com/NULL"
    );
}

#[tokio::test]
async fn emails_compare_case_insensitively_beyond_ascii() {
    let app = TestApp::new().await;
    let (john, _) = app.user("john", "user").await;
    let (mary, _) = app.user("mary", "user").await;
    app.set("allow_identical_email_addresses_to_different_users", "1").await;
    let body = update(
        &app,
        &[
            ("u", "admin"),
            ("user_id", &mary.to_string()),
            ("a8", "Åsa@example.com"),
        ],
    )
    .await;
    assert_eq!(body, page_status(UPDATED));
    app.set("allow_identical_email_addresses_to_different_users", "0").await;
    let body = update(
        &app,
        &[
            ("u", "admin"),
            ("user_id", &john.to_string()),
            ("a8", "åsa@EXAMPLE.com"),
        ],
    )
    .await;
    assert_eq!(
        body,
        page_error_messages(NOT_UPDATED, &["This email address is already in use"])
    );
}
