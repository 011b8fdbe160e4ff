//! `did_create` (seed `did_create.txt`, spec E.3, B.2/G1, A.4 exception).

use std::sync::Arc;

use axum::body::Body;
use axum::http::Request;
use moray::admin::UserSpec;

use crate::common::*;

// ---------------------------------------------------------------- helpers

fn did_count(app: &TestApp) -> i64 {
    app.count("SELECT COUNT(*) FROM dids")
}

/// The row of DID `number`: (id, provider_id, status, reseller_id, user_id, device_id, call_limit,
/// language, custom_sip_header, comment, reseller_comment).
#[derive(Debug, PartialEq)]
struct DidRow {
    id: i64,
    provider_id: i64,
    status: String,
    reseller_id: i64,
    user_id: i64,
    device_id: i64,
    call_limit: i64,
    language: String,
    custom_sip_header: String,
    comment: String,
    reseller_comment: String,
}

fn did_row(app: &TestApp, number: &str) -> DidRow {
    let rows = app.query_rows(
        "SELECT id, provider_id, status, reseller_id, user_id, device_id, call_limit, language,
                custom_sip_header, comment, reseller_comment FROM dids WHERE did = ?1",
        p![number],
    );
    let r = rows.first().unwrap_or_else(|| panic!("no DID {number}"));
    DidRow {
        id: r.i64(0),
        provider_id: r.i64(1),
        status: r.text(2),
        reseller_id: r.i64(3),
        user_id: r.i64(4),
        device_id: r.i64(5),
        call_limit: r.i64(6),
        language: r.text(7),
        custom_sip_header: r.text(8),
        comment: r.text(9),
        reseller_comment: r.text(10),
    }
}

/// The exact success document.
fn created(id: i64) -> String {
    doc(&[
        "<page>",
        "  <status>",
        "    <success>DID created</success>",
        "  </status>",
        "  <did_details>",
        &format!("    <id>{id}</id>"),
        "  </did_details>",
        "</page>",
    ])
}

fn created_test(id: i64, number: &str) -> String {
    doc(&[
        "<page>",
        "  <status>",
        "    <success>DID created</success>",
        "  </status>",
        "  <did_details>",
        &format!("    <id>{id}</id>"),
        &format!("    <did>{number}</did>"),
        "  </did_details>",
        "</page>",
    ])
}

async fn accountant(app: &TestApp, username: &str, rights: &str) -> i64 {
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

/// A reseller (Reseller PRO when `pro`) with its own API secret key `key-NAME`.
async fn reseller(app: &TestApp, username: &str, pro: bool) -> i64 {
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

async fn create_as(app: &TestApp, caller: &str, params: &[(&str, &str)]) -> Reply {
    let mut all = vec![("u", caller)];
    all.extend_from_slice(params);
    app.call_signed("did_create", &all).await
}

async fn create_as_reseller(app: &TestApp, reseller: &str, params: &[(&str, &str)]) -> Reply {
    let mut all = vec![("u", reseller)];
    all.extend_from_slice(params);
    app.call_signed_with("did_create", &all, &format!("key-{reseller}"))
        .await
}

// ---------------------------------------------------------------- success

#[tokio::test]
async fn did_create_answers_the_success_shape_with_the_new_id() {
    let app = TestApp::new().await;
    let provider = app.provider("Telco", None).await.to_string();
    let reply = create_as(&app, "admin", &[("provider_id", &provider), ("did", "37060000001")]).await;
    assert_eq!(reply.status, 200);
    let row = did_row(&app, "37060000001");
    assert_eq!(reply.body, created(row.id));
    assert!(app.store().did_exists("37060000001").await.unwrap());
}

#[tokio::test]
async fn did_create_returns_each_new_rows_id() {
    let app = TestApp::new().await;
    let provider = app.provider("Telco", None).await.to_string();
    for number in ["111", "222", "333"] {
        let reply = create_as(&app, "admin", &[("provider_id", &provider), ("did", number)]).await;
        assert_eq!(reply.body, created(did_row(&app, number).id), "{number}");
    }
    assert_eq!(did_count(&app), 3);
}

#[tokio::test]
async fn did_create_with_test_1_adds_the_did_number_after_the_id() {
    let app = TestApp::new().await;
    let provider = app.provider("Telco", None).await.to_string();
    let reply = create_as(
        &app,
        "admin",
        &[("provider_id", &provider), ("did", "37060000002"), ("test", "1")],
    )
    .await;
    let row = did_row(&app, "37060000002");
    assert_eq!(reply.body, created_test(row.id, "37060000002"));
}

#[tokio::test]
async fn did_create_stores_a_free_did_with_the_defaults() {
    let app = TestApp::new().await;
    let provider = app.provider("Telco", None).await;
    let reply = create_as(
        &app,
        "admin",
        &[("provider_id", &provider.to_string()), ("did", "123456789")],
    )
    .await;
    let row = did_row(&app, "123456789");
    assert_eq!(reply.body, created(row.id));
    assert_eq!(
        row,
        DidRow {
            id: row.id,
            provider_id: provider,
            status: "free".into(),
            reseller_id: 0,
            user_id: 0,
            device_id: 0,
            call_limit: 0,
            language: "en".into(),
            custom_sip_header: String::new(),
            comment: String::new(),
            reseller_comment: String::new(),
        }
    );
}

#[tokio::test]
async fn did_create_stores_comment_reseller_comment_and_custom_sip_header() {
    let app = TestApp::new().await;
    let provider = app.provider("Telco", None).await.to_string();
    let reply = create_as(
        &app,
        "admin",
        &[
            ("provider_id", &provider),
            ("did", "37060000003"),
            ("custom_sip_header", "X-Customer: 42"),
            ("comment", "Main line <HQ> & co"),
            ("reseller_comment", "for reseller"),
        ],
    )
    .await;
    let row = did_row(&app, "37060000003");
    assert_eq!(reply.body, created(row.id));
    assert_eq!(row.custom_sip_header, "X-Customer: 42");
    assert_eq!(row.comment, "Main line <HQ> & co");
    assert_eq!(row.reseller_comment, "for reseller");
}

#[tokio::test]
async fn did_create_stores_empty_comments_when_sent_empty() {
    let app = TestApp::new().await;
    let provider = app.provider("Telco", None).await.to_string();
    let reply = create_as(
        &app,
        "admin",
        &[
            ("provider_id", &provider),
            ("did", "37060000004"),
            ("comment", ""),
            ("reseller_comment", ""),
        ],
    )
    .await;
    let row = did_row(&app, "37060000004");
    assert_eq!(reply.body, created(row.id));
    assert_eq!((row.comment.as_str(), row.reseller_comment.as_str()), ("", ""));
}

#[tokio::test]
async fn did_create_lets_a_reseller_set_both_comments() {
    let app = TestApp::new().await;
    app.set("resellers_can_add_their_own_dids", "1").await;
    reseller(&app, "res", true).await;
    let provider = app.provider("ResTelco", Some("res")).await.to_string();
    let reply = create_as_reseller(
        &app,
        "res",
        &[
            ("provider_id", &provider),
            ("did", "555"),
            ("comment", "main"),
            ("reseller_comment", "mine"),
            ("custom_sip_header", "X-A: b"),
        ],
    )
    .await;
    let row = did_row(&app, "555");
    assert_eq!(reply.body, created(row.id));
    assert_eq!(
        (
            row.comment.as_str(),
            row.reseller_comment.as_str(),
            row.custom_sip_header.as_str()
        ),
        ("main", "mine", "X-A: b")
    );
}

#[tokio::test]
async fn did_create_succeeds_for_an_accountant_with_manage_dids_2() {
    let app = TestApp::new().await;
    accountant(&app, "acc", "manage_dids=2").await;
    let provider = app.provider("Telco", None).await.to_string();
    let reply = create_as(&app, "acc", &[("provider_id", &provider), ("did", "777")]).await;
    let row = did_row(&app, "777");
    assert_eq!(reply.body, created(row.id));
    assert_eq!(row.reseller_id, 0);
}

// ---------------------------------------------------------------- hash lists (B.2, G1)

#[tokio::test]
async fn did_create_accepts_the_seed_example_hash_over_provider_id_only() {
    let app = TestApp::new().await;
    let provider = app.provider("Telco", None).await;
    assert_eq!(provider, 1, "the seed example uses provider 1");
    // The seed request verbatim (u=admin instead of the placeholder `username`).
    let request = Request::post(
        "/billing/api/did_create?u=admin&did=123456789&provider_id=1&hash=bc2f114099d16656d37e45fd9e8744cb9386d462",
    )
    .body(Body::empty())
    .unwrap();
    let reply = app.send(request).await;
    assert_eq!(reply.status, 200);
    let row = did_row(&app, "123456789");
    assert_eq!(reply.body, created(row.id));
    assert_eq!(row.provider_id, 1);
}

#[tokio::test]
async fn did_create_accepts_the_primary_list_hash_over_provider_id_and_did() {
    let app = TestApp::new().await;
    assert_eq!(app.provider("Telco", None).await, 1);
    // sha1("1123456789secret"), spec B.7.
    let reply = app
        .call(
            "did_create",
            &[
                ("u", "admin"),
                ("provider_id", "1"),
                ("did", "123456789"),
                ("hash", "cb9dff0d59f7ffaf036d55b57c817bf528edb54a"),
            ],
        )
        .await;
    assert_eq!(reply.body, created(did_row(&app, "123456789").id));
}

#[tokio::test]
async fn did_create_refuses_a_hash_over_other_values() {
    let app = TestApp::new().await;
    assert_eq!(app.provider("Telco", None).await, 1);
    let hash = app.hash_with("did_create", &[("provider_id", "1"), ("did", "999")], SECRET);
    let reply = app
        .call(
            "did_create",
            &[
                ("u", "admin"),
                ("provider_id", "1"),
                ("did", "123456789"),
                ("hash", &hash),
            ],
        )
        .await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body, page_status_error("Incorrect hash"));
    assert_eq!(did_count(&app), 0);
}

// ---------------------------------------------------------------- pre-checks in the method envelope

#[tokio::test]
async fn did_create_answers_a_wrong_or_missing_hash_in_the_page_status_error_envelope() {
    let app = TestApp::new().await;
    let provider = app.provider("Telco", None).await.to_string();
    let params = [("u", "admin"), ("provider_id", provider.as_str()), ("did", "123")];
    let reply = app.call_signed_with("did_create", &params, "wrong-key").await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body, page_status_error("Incorrect hash"));
    assert_eq!(
        app.call("did_create", &params).await.body,
        page_status_error("Incorrect hash")
    );
    assert_eq!(did_count(&app), 0);
}

#[tokio::test]
async fn did_create_answers_api_disabled_in_the_page_status_error_envelope() {
    let app = TestApp::new().await;
    app.set("allow_api", "0").await;
    let provider = app.provider("Telco", None).await.to_string();
    let reply = create_as(&app, "admin", &[("provider_id", &provider), ("did", "123")]).await;
    assert_eq!(reply.body, page_status_error("API Requests are disabled"));
}

#[tokio::test]
async fn did_create_answers_get_disabled_in_the_page_status_error_envelope() {
    let app = TestApp::new().await;
    let provider = app.provider("Telco", None).await.to_string();
    let hash = app.hash_with("did_create", &[("provider_id", &provider), ("did", "123")], SECRET);
    let params = [
        ("u", "admin"),
        ("provider_id", provider.as_str()),
        ("did", "123"),
        ("hash", hash.as_str()),
    ];
    let reply = app.get("/api/did_create", &params).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body, page_status_error("GET Requests are disabled"));
    app.set("allow_get_api", "1").await;
    let reply = app.get("/api/did_create", &params).await;
    assert_eq!(reply.body, created(did_row(&app, "123").id));
}

#[tokio::test]
async fn did_create_answers_missing_secret_key_in_the_page_status_error_envelope() {
    let app = TestApp::new().await;
    app.set("api_secret_key", "").await;
    let provider = app.provider("Telco", None).await.to_string();
    let reply = create_as(&app, "admin", &[("provider_id", &provider), ("did", "123")]).await;
    assert_eq!(reply.body, page_status_error("API must have Secret Key"));
}

// ---------------------------------------------------------------- check 1: Access Denied

#[tokio::test]
async fn did_create_denies_an_unknown_or_blank_caller() {
    let app = TestApp::new().await;
    let provider = app.provider("Telco", None).await.to_string();
    for caller in ["nobody", "", "  "] {
        let reply = app
            .call(
                "did_create",
                &[("u", caller), ("provider_id", &provider), ("did", "123")],
            )
            .await;
        assert_eq!(reply.status, 200);
        assert_eq!(reply.body, page_status_error("Access Denied"), "u={caller:?}");
    }
    let reply = app
        .call("did_create", &[("provider_id", &provider), ("did", "123")])
        .await;
    assert_eq!(reply.body, page_status_error("Access Denied"), "no u");
    assert_eq!(did_count(&app), 0);
}

#[tokio::test]
async fn did_create_denies_a_plain_user() {
    let app = TestApp::new().await;
    app.user("bob", "user").await;
    let provider = app.provider("Telco", None).await.to_string();
    let reply = create_as(&app, "bob", &[("provider_id", &provider), ("did", "123")]).await;
    assert_eq!(reply.body, page_status_error("Access Denied"));
    assert_eq!(did_count(&app), 0);
}

#[tokio::test]
async fn did_create_denies_a_blocked_caller() {
    let app = TestApp::new().await;
    let acc = accountant(&app, "acc", "manage_dids=2").await;
    app.exec("UPDATE users SET blocked = 1 WHERE id = ?1", p![acc]);
    let provider = app.provider("Telco", None).await.to_string();
    let reply = create_as(&app, "acc", &[("provider_id", &provider), ("did", "123")]).await;
    assert_eq!(reply.body, page_status_error("Access Denied"));
}

#[tokio::test]
async fn did_create_answers_access_denied_before_provider_was_not_found() {
    let app = TestApp::new().await;
    app.user("bob", "user").await;
    let reply = create_as(&app, "bob", &[("provider_id", "999"), ("did", "abc")]).await;
    assert_eq!(reply.body, page_status_error("Access Denied"));
    let reply = app.call("did_create", &[("u", "nobody"), ("did", "abc")]).await;
    assert_eq!(reply.body, page_status_error("Access Denied"));
}

// ---------------------------------------------------------------- check 2: provider

#[tokio::test]
async fn did_create_answers_provider_was_not_found_for_a_blank_provider_id() {
    let app = TestApp::new().await;
    app.provider("Telco", None).await;
    assert_eq!(
        create_as(&app, "admin", &[("did", "123")]).await.body,
        page_status_error("Provider was not found")
    );
    assert_eq!(
        create_as(&app, "admin", &[("provider_id", ""), ("did", "123")])
            .await
            .body,
        page_status_error("Provider was not found")
    );
    assert_eq!(
        create_as(&app, "admin", &[("provider_id", " "), ("did", "123")])
            .await
            .body,
        page_status_error("Provider was not found")
    );
    assert_eq!(did_count(&app), 0);
}

#[tokio::test]
async fn did_create_answers_provider_was_not_found_for_an_unknown_provider_id() {
    let app = TestApp::new().await;
    app.provider("Telco", None).await;
    for value in ["999", "abc", "-1", "0"] {
        let reply = create_as(&app, "admin", &[("provider_id", value), ("did", "123")]).await;
        assert_eq!(
            reply.body,
            page_status_error("Provider was not found"),
            "provider_id={value:?}"
        );
    }
}

#[tokio::test]
async fn did_create_answers_provider_was_not_found_for_a_hidden_provider() {
    let app = TestApp::new().await;
    let provider = app.provider("Telco", None).await;
    app.exec("UPDATE providers SET hidden = 1 WHERE id = ?1", p![provider]);
    let reply = create_as(&app, "admin", &[("provider_id", &provider.to_string()), ("did", "123")]).await;
    assert_eq!(reply.body, page_status_error("Provider was not found"));
    assert_eq!(did_count(&app), 0);
}

#[tokio::test]
async fn did_create_answers_provider_was_not_found_before_the_rights_check() {
    let app = TestApp::new().await;
    accountant(&app, "acc", "manage_dids=1").await;
    let reply = create_as(&app, "acc", &[("provider_id", "999"), ("did", "123")]).await;
    assert_eq!(reply.body, page_status_error("Provider was not found"));
}

#[tokio::test]
async fn did_create_answers_provider_was_not_found_to_a_reseller_without_provider_id_or_default() {
    let app = TestApp::new().await;
    app.set("resellers_can_add_their_own_dids", "1").await;
    reseller(&app, "res", true).await;
    app.provider("ResTelco", Some("res")).await;
    let reply = create_as_reseller(&app, "res", &[("did", "123")]).await;
    assert_eq!(reply.body, page_status_error("Provider was not found"));
}

// ---------------------------------------------------------------- check 3: provider usable

#[tokio::test]
async fn did_create_refuses_admin_a_reseller_pro_provider() {
    let app = TestApp::new().await;
    reseller(&app, "res", true).await;
    let provider = app.provider("ResTelco", Some("res")).await.to_string();
    let reply = create_as(&app, "admin", &[("provider_id", &provider), ("did", "123")]).await;
    assert_eq!(
        reply.body,
        page_status_error("You are not authorized to use this Provider")
    );
    assert_eq!(did_count(&app), 0);
}

#[tokio::test]
async fn did_create_refuses_an_accountant_a_reseller_pro_provider() {
    let app = TestApp::new().await;
    accountant(&app, "acc", "manage_dids=2").await;
    reseller(&app, "res", true).await;
    let provider = app.provider("ResTelco", Some("res")).await.to_string();
    let reply = create_as(&app, "acc", &[("provider_id", &provider), ("did", "123")]).await;
    assert_eq!(
        reply.body,
        page_status_error("You are not authorized to use this Provider")
    );
}

#[tokio::test]
async fn did_create_refuses_a_reseller_an_admin_provider_that_is_not_its_default() {
    let app = TestApp::new().await;
    app.set("resellers_can_add_their_own_dids", "1").await;
    reseller(&app, "res", true).await;
    let admin_provider = app.provider("Telco", None).await.to_string();
    let reply = create_as_reseller(&app, "res", &[("provider_id", &admin_provider), ("did", "123")]).await;
    assert_eq!(
        reply.body,
        page_status_error("You are not authorized to use this Provider")
    );
}

#[tokio::test]
async fn did_create_refuses_a_reseller_another_resellers_provider() {
    let app = TestApp::new().await;
    app.set("resellers_can_add_their_own_dids", "1").await;
    reseller(&app, "res1", true).await;
    reseller(&app, "res2", true).await;
    let other = app.provider("Res2Telco", Some("res2")).await.to_string();
    let reply = create_as_reseller(&app, "res1", &[("provider_id", &other), ("did", "123")]).await;
    assert_eq!(
        reply.body,
        page_status_error("You are not authorized to use this Provider")
    );
    assert_eq!(did_count(&app), 0);
}

#[tokio::test]
async fn did_create_answers_provider_not_usable_before_manage_dids() {
    let app = TestApp::new().await;
    // resellers_can_add_their_own_dids stays 0: check 3 still answers first.
    reseller(&app, "res", false).await;
    let admin_provider = app.provider("Telco", None).await.to_string();
    let reply = create_as_reseller(&app, "res", &[("provider_id", &admin_provider), ("did", "123")]).await;
    assert_eq!(
        reply.body,
        page_status_error("You are not authorized to use this Provider")
    );
    accountant(&app, "acc", "manage_dids=0").await;
    reseller(&app, "pro", true).await;
    let pro_provider = app.provider("ProTelco", Some("pro")).await.to_string();
    let reply = create_as(&app, "acc", &[("provider_id", &pro_provider), ("did", "123")]).await;
    assert_eq!(
        reply.body,
        page_status_error("You are not authorized to use this Provider")
    );
}

// ---------------------------------------------------------------- check 4: manage DIDs

#[tokio::test]
async fn did_create_refuses_an_accountant_without_manage_dids_2() {
    let app = TestApp::new().await;
    accountant(&app, "acc1", "manage_dids=1").await;
    accountant(&app, "acc0", "device_manage=2").await;
    let provider = app.provider("Telco", None).await.to_string();
    for acc in ["acc1", "acc0"] {
        let reply = create_as(&app, acc, &[("provider_id", &provider), ("did", "123")]).await;
        assert_eq!(
            reply.body,
            page_status_error("You are not authorized to manage DIDs"),
            "{acc}"
        );
    }
    assert_eq!(did_count(&app), 0);
}

#[tokio::test]
async fn did_create_refuses_a_reseller_while_resellers_cannot_add_their_own_dids() {
    let app = TestApp::new().await;
    reseller(&app, "res", true).await;
    let provider = app.provider("ResTelco", Some("res")).await.to_string();
    let reply = create_as_reseller(&app, "res", &[("provider_id", &provider), ("did", "123")]).await;
    assert_eq!(reply.body, page_status_error("You are not authorized to manage DIDs"));
    assert_eq!(did_count(&app), 0);
}

#[tokio::test]
async fn did_create_answers_manage_dids_before_did_already_exists() {
    let app = TestApp::new().await;
    accountant(&app, "acc", "manage_dids=1").await;
    let provider = app.provider("Telco", None).await.to_string();
    let first = create_as(&app, "admin", &[("provider_id", &provider), ("did", "123")]).await;
    assert_eq!(first.body, created(did_row(&app, "123").id));
    let reply = create_as(&app, "acc", &[("provider_id", &provider), ("did", "123")]).await;
    assert_eq!(reply.body, page_status_error("You are not authorized to manage DIDs"));
    let reply = create_as(&app, "acc", &[("provider_id", &provider), ("did", "12x")]).await;
    assert_eq!(reply.body, page_status_error("You are not authorized to manage DIDs"));
}

// ---------------------------------------------------------------- check 5, 6: the number

#[tokio::test]
async fn did_create_refuses_a_did_that_already_exists() {
    let app = TestApp::new().await;
    let provider = app.provider("Telco", None).await.to_string();
    let other = app.provider("Other", None).await.to_string();
    let first = create_as(&app, "admin", &[("provider_id", &provider), ("did", "37060000001")]).await;
    assert_eq!(first.body, created(did_row(&app, "37060000001").id));
    let reply = create_as(&app, "admin", &[("provider_id", &other), ("did", "37060000001")]).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body, page_status_error("DID already exists"));
    assert_eq!(did_count(&app), 1);
}

#[tokio::test]
async fn did_create_refuses_a_did_created_by_a_reseller_to_admin_too() {
    let app = TestApp::new().await;
    app.set("resellers_can_add_their_own_dids", "1").await;
    reseller(&app, "res", true).await;
    let res_provider = app.provider("ResTelco", Some("res")).await.to_string();
    let provider = app.provider("Telco", None).await.to_string();
    let reply = create_as_reseller(&app, "res", &[("provider_id", &res_provider), ("did", "888")]).await;
    assert_eq!(reply.body, created(did_row(&app, "888").id));
    let reply = create_as(&app, "admin", &[("provider_id", &provider), ("did", "888")]).await;
    assert_eq!(reply.body, page_status_error("DID already exists"));
}

#[tokio::test]
async fn did_create_refuses_a_non_digit_did_as_invalid() {
    let app = TestApp::new().await;
    let provider = app.provider("Telco", None).await.to_string();
    for value in ["12a", "+37060000001", "370 600", "-5", "1.5", "abc", " 123"] {
        let reply = create_as(&app, "admin", &[("provider_id", &provider), ("did", value)]).await;
        assert_eq!(reply.body, page_status_error("Invalid DID specified"), "did={value:?}");
    }
    assert_eq!(did_count(&app), 0);
}

#[tokio::test]
async fn did_create_refuses_a_blank_or_missing_did_as_invalid() {
    let app = TestApp::new().await;
    let provider = app.provider("Telco", None).await.to_string();
    assert_eq!(
        create_as(&app, "admin", &[("provider_id", &provider)]).await.body,
        page_status_error("Invalid DID specified")
    );
    assert_eq!(
        create_as(&app, "admin", &[("provider_id", &provider), ("did", "")])
            .await
            .body,
        page_status_error("Invalid DID specified")
    );
    assert_eq!(
        create_as(&app, "admin", &[("provider_id", &provider), ("did", "   ")])
            .await
            .body,
        page_status_error("Invalid DID specified")
    );
    assert_eq!(did_count(&app), 0);
}

// ---------------------------------------------------------------- resellers

#[tokio::test]
async fn did_create_lets_a_reseller_pro_add_a_did_on_its_own_provider_when_allowed() {
    let app = TestApp::new().await;
    app.set("resellers_can_add_their_own_dids", "1").await;
    let res = reseller(&app, "res", true).await;
    let provider = app.provider("ResTelco", Some("res")).await;
    let reply = create_as_reseller(
        &app,
        "res",
        &[("provider_id", &provider.to_string()), ("did", "37069999999")],
    )
    .await;
    let row = did_row(&app, "37069999999");
    assert_eq!(reply.body, created(row.id));
    assert_eq!(row.reseller_id, res, "a reseller's DID belongs to it");
    assert_eq!(row.provider_id, provider);
    assert_eq!(row.status, "free");
    assert_eq!((row.user_id, row.device_id), (0, 0));
}

#[tokio::test]
async fn did_create_gives_a_reseller_omitting_provider_id_its_default_provider() {
    let app = TestApp::new().await;
    app.set("resellers_can_add_their_own_dids", "1").await;
    let res = reseller(&app, "res", false).await;
    let admin_provider = app.provider("Telco", None).await;
    app.set_for(
        Some("res"),
        "reseller_default_did_provider_id",
        &admin_provider.to_string(),
    )
    .await;
    let reply = create_as_reseller(&app, "res", &[("did", "37061111111")]).await;
    let row = did_row(&app, "37061111111");
    assert_eq!(reply.body, created(row.id));
    assert_eq!(row.provider_id, admin_provider);
    assert_eq!(row.reseller_id, res);
}

#[tokio::test]
async fn did_create_lets_a_reseller_name_its_default_provider_explicitly() {
    let app = TestApp::new().await;
    app.set("resellers_can_add_their_own_dids", "1").await;
    reseller(&app, "res", false).await;
    let admin_provider = app.provider("Telco", None).await;
    app.set_for(
        Some("res"),
        "reseller_default_did_provider_id",
        &admin_provider.to_string(),
    )
    .await;
    let reply = create_as_reseller(
        &app,
        "res",
        &[("provider_id", &admin_provider.to_string()), ("did", "37062222222")],
    )
    .await;
    let row = did_row(&app, "37062222222");
    assert_eq!(reply.body, created(row.id));
    assert_eq!(row.provider_id, admin_provider);
}

#[tokio::test]
async fn did_create_gives_a_reseller_the_default_provider_inherited_from_admin() {
    let app = TestApp::new().await;
    app.set("resellers_can_add_their_own_dids", "1").await;
    let res = reseller(&app, "res", false).await;
    let admin_provider = app.provider("Telco", None).await;
    app.set("reseller_default_did_provider_id", &admin_provider.to_string())
        .await;
    let reply = create_as_reseller(&app, "res", &[("did", "37063333333")]).await;
    let row = did_row(&app, "37063333333");
    assert_eq!(reply.body, created(row.id));
    assert_eq!((row.provider_id, row.reseller_id), (admin_provider, res));
}

#[tokio::test]
async fn did_create_does_not_give_admin_the_reseller_default_provider() {
    let app = TestApp::new().await;
    let admin_provider = app.provider("Telco", None).await;
    app.set("reseller_default_did_provider_id", &admin_provider.to_string())
        .await;
    let reply = create_as(&app, "admin", &[("did", "37064444444")]).await;
    assert_eq!(reply.body, page_status_error("Provider was not found"));
}

#[tokio::test]
async fn did_create_refuses_a_reseller_whose_default_provider_is_hidden() {
    let app = TestApp::new().await;
    app.set("resellers_can_add_their_own_dids", "1").await;
    reseller(&app, "res", false).await;
    let admin_provider = app.provider("Telco", None).await;
    app.set_for(
        Some("res"),
        "reseller_default_did_provider_id",
        &admin_provider.to_string(),
    )
    .await;
    app.exec("UPDATE providers SET hidden = 1 WHERE id = ?1", p![admin_provider]);
    let reply = create_as_reseller(&app, "res", &[("did", "37065555555")]).await;
    assert_eq!(reply.body, page_status_error("Provider was not found"));
}

#[tokio::test]
async fn did_create_refuses_a_reseller_using_its_default_provider_while_dids_are_not_allowed() {
    let app = TestApp::new().await;
    reseller(&app, "res", false).await;
    let admin_provider = app.provider("Telco", None).await;
    app.set_for(
        Some("res"),
        "reseller_default_did_provider_id",
        &admin_provider.to_string(),
    )
    .await;
    let reply = create_as_reseller(&app, "res", &[("did", "37066666666")]).await;
    assert_eq!(reply.body, page_status_error("You are not authorized to manage DIDs"));
}

// ---------------------------------------------------------------- concurrency

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn did_create_concurrent_requests_for_one_number_create_it_exactly_once() {
    let app = Arc::new(TestApp::new().await);
    let provider = app.provider("Telco", None).await.to_string();
    let start = Arc::new(tokio::sync::Barrier::new(10));
    let mut tasks = Vec::new();
    for _ in 0..10 {
        let app = app.clone();
        let provider = provider.clone();
        let start = start.clone();
        tasks.push(tokio::spawn(async move {
            start.wait().await;
            app.call_signed(
                "did_create",
                &[("u", "admin"), ("provider_id", &provider), ("did", "37060000099")],
            )
            .await
        }));
    }
    let mut bodies = Vec::new();
    for task in tasks {
        let reply = task.await.unwrap();
        assert_eq!(reply.status, 200);
        bodies.push(reply.body);
    }
    assert_eq!(did_count(&app), 1, "exactly one row");
    let row = did_row(&app, "37060000099");
    let successes = bodies.iter().filter(|b| **b == created(row.id)).count();
    let duplicates = bodies
        .iter()
        .filter(|b| **b == page_status_error("DID already exists"))
        .count();
    assert_eq!((successes, duplicates), (1, 9), "{bodies:#?}");
}
