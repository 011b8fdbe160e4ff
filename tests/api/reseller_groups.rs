//! `reseller_group_create` (seed `reseller_group_create.txt`, spec E.4, D.4, G14).

use axum::body::Body;
use axum::http::Request;
use moray::admin::UserSpec;

use crate::common::*;

const FLAGS: [&str; 6] = [
    "calling_cards",
    "call_shop",
    "sms_addon",
    "payment_gateways",
    "autodialer",
    "pbx_functions",
];

// ---------------------------------------------------------------- helpers

fn success() -> String {
    doc(&[
        "<page>",
        "  <status>",
        "    <success>Reseller Group successfully created</success>",
        "  </status>",
        "</page>",
    ])
}

fn reseller_group_count(app: &TestApp) -> i64 {
    app.count("SELECT COUNT(*) FROM permission_groups WHERE group_type = 'reseller'")
}

/// (id, name, description) of the reseller group called exactly `name`.
fn group(app: &TestApp, name: &str) -> (i64, String, String) {
    let rows = app.query_rows(
        "SELECT id, name, description FROM permission_groups WHERE group_type = 'reseller' AND name = ?1",
        p![name],
    );
    let r = rows.first().unwrap_or_else(|| panic!("no reseller group {name:?}"));
    (r.i64(0), r.text(1), r.text(2))
}

/// The six flags' levels of group `id`, in [`FLAGS`] order (None = no row).
fn levels(app: &TestApp, id: i64) -> Vec<Option<i64>> {
    FLAGS
        .iter()
        .map(|flag| {
            app.query_rows(
                "SELECT level FROM permission_group_rights WHERE group_id = ?1 AND right_name = ?2",
                p![id, flag],
            )
            .first()
            .map(|r| r.i64(0))
        })
        .collect()
}

async fn create_as_admin(app: &TestApp, params: &[(&str, &str)]) -> Reply {
    let mut all = vec![("u", "admin")];
    all.extend_from_slice(params);
    app.call_signed("reseller_group_create", &all).await
}

// ---------------------------------------------------------------- success

#[tokio::test]
async fn reseller_group_create_answers_the_success_shape_byte_for_byte() {
    let app = TestApp::new().await;
    let reply = create_as_admin(&app, &[("name", "Gold resellers")]).await;
    assert_eq!(reply.status, 200);
    assert_eq!(
        reply.body,
        format!(
            "{DECL}<page>\n  <status>\n    <success>Reseller Group successfully created</success>\n  </status>\n</page>\n"
        )
    );
    assert_eq!(reply.body, success());
}

#[tokio::test]
async fn reseller_group_create_stores_one_reseller_group_with_name_and_description() {
    let app = TestApp::new().await;
    let reply = create_as_admin(
        &app,
        &[("name", "Gold Resellers"), ("rg_description", "for test purposes")],
    )
    .await;
    assert_eq!(reply.body, success());
    assert_eq!(reseller_group_count(&app), 1);
    let (_, name, description) = group(&app, "Gold Resellers");
    assert_eq!(name, "Gold Resellers");
    assert_eq!(description, "for test purposes");
    assert!(app.store().group_name_in_use("Gold Resellers").await.unwrap());
}

#[tokio::test]
async fn reseller_group_create_defaults_the_description_to_empty() {
    let app = TestApp::new().await;
    assert_eq!(create_as_admin(&app, &[("name", "Plain")]).await.body, success());
    assert_eq!(group(&app, "Plain").2, "");
}

#[tokio::test]
async fn reseller_group_create_stores_the_name_as_sent() {
    let app = TestApp::new().await;
    let name = "Ąžuolas & <Partners> \"VIP\"";
    assert_eq!(create_as_admin(&app, &[("name", name)]).await.body, success());
    assert_eq!(group(&app, name).1, name);
}

#[tokio::test]
async fn reseller_group_create_stores_flag_1_as_level_2_and_anything_else_as_0() {
    let app = TestApp::new().await;
    let reply = create_as_admin(
        &app,
        &[
            ("name", "Flags"),
            ("calling_cards", "0"),
            ("call_shop", "1"),
            ("sms_addon", "yes"),
            ("payment_gateways", "2"),
            // autodialer absent
            ("pbx_functions", "1"),
        ],
    )
    .await;
    assert_eq!(reply.body, success());
    let (id, _, _) = group(&app, "Flags");
    assert_eq!(
        levels(&app, id),
        vec![Some(0), Some(2), Some(0), Some(0), Some(0), Some(2)]
    );
}

#[tokio::test]
async fn reseller_group_create_stores_all_six_flags_allowed() {
    let app = TestApp::new().await;
    let mut params = vec![("name", "All")];
    params.extend(FLAGS.iter().map(|f| (*f, "1")));
    assert_eq!(create_as_admin(&app, &params).await.body, success());
    let (id, _, _) = group(&app, "All");
    assert_eq!(levels(&app, id), vec![Some(2); 6]);
}

#[tokio::test]
async fn reseller_group_create_stores_all_six_flags_denied_when_none_is_sent() {
    let app = TestApp::new().await;
    assert_eq!(create_as_admin(&app, &[("name", "None")]).await.body, success());
    let (id, _, _) = group(&app, "None");
    assert_eq!(levels(&app, id), vec![Some(0); 6]);
}

#[tokio::test]
async fn reseller_group_create_flags_are_not_part_of_the_hash() {
    let app = TestApp::new().await;
    let hash = app.hash_with("reseller_group_create", &[("name", "Unhashed")], SECRET);
    let reply = app
        .call(
            "reseller_group_create",
            &[
                ("u", "admin"),
                ("name", "Unhashed"),
                ("rg_description", "d"),
                ("call_shop", "1"),
                ("test", "1"),
                ("hash", &hash),
            ],
        )
        .await;
    assert_eq!(reply.body, success());
}

// ---------------------------------------------------------------- the seed example

#[tokio::test]
async fn reseller_group_create_seed_example_is_refused_with_its_placeholder_hash() {
    let app = TestApp::new().await;
    let request = Request::post(
        "/api/reseller_group_create?u=admin&name=Another%20Reseller%20Group&rg_description=for%20test%20purposes&call_shop=1&calling_cards=0&sms_addon=1&payment_gateways=1&autodialer=0&pbx_functions=1&test=1&hash=sd5g16sd1g6s",
    )
    .body(Body::empty())
    .unwrap();
    let reply = app.send(request).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body, status_error("Incorrect hash"));
    assert_eq!(reseller_group_count(&app), 0);
}

#[tokio::test]
async fn reseller_group_create_seed_example_succeeds_with_hash_checking_disabled() {
    let app = TestApp::new().await;
    app.set("disable_hash_checking", "1").await;
    let request = Request::post(
        "/api/reseller_group_create?u=admin&name=Another%20Reseller%20Group&rg_description=for%20test%20purposes&call_shop=1&calling_cards=0&sms_addon=1&payment_gateways=1&autodialer=0&pbx_functions=1&test=1&hash=sd5g16sd1g6s",
    )
    .body(Body::empty())
    .unwrap();
    let reply = app.send(request).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body, success(), "test=1 adds nothing");
    let (id, name, description) = group(&app, "Another Reseller Group");
    assert_eq!(name, "Another Reseller Group");
    assert_eq!(description, "for test purposes");
    // calling_cards call_shop sms_addon payment_gateways autodialer pbx_functions
    assert_eq!(
        levels(&app, id),
        vec![Some(0), Some(2), Some(2), Some(2), Some(0), Some(2)]
    );
}

#[tokio::test]
async fn reseller_group_create_seed_example_succeeds_with_the_real_hash() {
    let app = TestApp::new().await;
    // sha1("Another Reseller Groupsecret"), spec B.7.
    let reply = app
        .call(
            "reseller_group_create",
            &[
                ("u", "admin"),
                ("name", "Another Reseller Group"),
                ("rg_description", "for test purposes"),
                ("call_shop", "1"),
                ("calling_cards", "0"),
                ("sms_addon", "1"),
                ("payment_gateways", "1"),
                ("autodialer", "0"),
                ("pbx_functions", "1"),
                ("test", "1"),
                ("hash", "1bc97e7c9ae39130046c034076d063db798dcab7"),
            ],
        )
        .await;
    assert_eq!(reply.body, success());
    assert_eq!(reseller_group_count(&app), 1);
}

#[tokio::test]
async fn reseller_group_create_needs_no_hash_when_hash_checking_is_disabled() {
    let app = TestApp::new().await;
    app.set("disable_hash_checking", "1").await;
    let reply = app
        .call("reseller_group_create", &[("u", "admin"), ("name", "NoHash")])
        .await;
    assert_eq!(reply.body, success());
}

// ---------------------------------------------------------------- pre-checks: generic envelope

#[tokio::test]
async fn reseller_group_create_answers_a_wrong_or_missing_hash_in_the_generic_envelope() {
    let app = TestApp::new().await;
    let reply = app
        .call_signed_with("reseller_group_create", &[("u", "admin"), ("name", "G")], "wrong-key")
        .await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body, status_error("Incorrect hash"));
    let reply = app
        .call("reseller_group_create", &[("u", "admin"), ("name", "G")])
        .await;
    assert_eq!(reply.body, status_error("Incorrect hash"));
    // A hash over another name.
    let hash = app.hash_with("reseller_group_create", &[("name", "Other")], SECRET);
    let reply = app
        .call(
            "reseller_group_create",
            &[("u", "admin"), ("name", "G"), ("hash", &hash)],
        )
        .await;
    assert_eq!(reply.body, status_error("Incorrect hash"));
    assert_eq!(reseller_group_count(&app), 0);
}

#[tokio::test]
async fn reseller_group_create_answers_api_disabled_in_the_generic_envelope() {
    let app = TestApp::new().await;
    app.set("allow_api", "0").await;
    let reply = create_as_admin(&app, &[("name", "G")]).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body, status_error("API Requests are disabled"));
}

#[tokio::test]
async fn reseller_group_create_answers_get_disabled_in_the_generic_envelope() {
    let app = TestApp::new().await;
    let hash = app.hash_with("reseller_group_create", &[("name", "G")], SECRET);
    let params = [("u", "admin"), ("name", "G"), ("hash", hash.as_str())];
    let reply = app.get("/api/reseller_group_create", &params).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body, status_error("GET Requests are disabled"));
    app.set("allow_get_api", "1").await;
    assert_eq!(app.get("/api/reseller_group_create", &params).await.body, success());
}

#[tokio::test]
async fn reseller_group_create_answers_missing_secret_key_in_the_generic_envelope() {
    let app = TestApp::new().await;
    app.set("api_secret_key", "").await;
    let reply = create_as_admin(&app, &[("name", "G")]).await;
    assert_eq!(reply.body, status_error("API must have Secret Key"));
}

// ---------------------------------------------------------------- check 1: Access Denied

#[tokio::test]
async fn reseller_group_create_denies_an_unknown_or_blank_caller() {
    let app = TestApp::new().await;
    for caller in ["nobody", "", " "] {
        let reply = app.call("reseller_group_create", &[("u", caller), ("name", "G")]).await;
        assert_eq!(reply.status, 200);
        assert_eq!(reply.body, page_status_error("Access Denied"), "u={caller:?}");
    }
    let reply = app.call("reseller_group_create", &[("name", "G")]).await;
    assert_eq!(reply.body, page_status_error("Access Denied"), "no u");
    assert_eq!(reseller_group_count(&app), 0);
}

#[tokio::test]
async fn reseller_group_create_denies_a_reseller() {
    let app = TestApp::new().await;
    app.user("res", "reseller").await;
    app.set_for(Some("res"), "api_secret_key", "key-res").await;
    let reply = app
        .call_signed_with("reseller_group_create", &[("u", "res"), ("name", "G")], "key-res")
        .await;
    assert_eq!(reply.body, page_status_error("Access Denied"));
    // Signed with admin's key (accepted for a reseller scope, spec B.4): still denied.
    let reply = app
        .call_signed("reseller_group_create", &[("u", "res"), ("name", "G")])
        .await;
    assert_eq!(reply.body, page_status_error("Access Denied"));
    assert_eq!(reseller_group_count(&app), 0);
}

#[tokio::test]
async fn reseller_group_create_denies_an_accountant_even_with_every_right() {
    let app = TestApp::new().await;
    app.user_with(UserSpec {
        username: "acc".into(),
        password: "acc-pass1".into(),
        usertype: "accountant".into(),
        rights: Some("user_manage=2,device_manage=2,manage_dids=2,callerid_manage=2,manage_providers=2".into()),
        first_name: "Acc".into(),
        last_name: "Ountant".into(),
        ..UserSpec::default()
    })
    .await;
    let reply = app
        .call_signed("reseller_group_create", &[("u", "acc"), ("name", "G")])
        .await;
    assert_eq!(reply.body, page_status_error("Access Denied"));
    assert_eq!(reseller_group_count(&app), 0);
}

#[tokio::test]
async fn reseller_group_create_denies_a_plain_user() {
    let app = TestApp::new().await;
    app.user("bob", "user").await;
    let reply = app
        .call_signed("reseller_group_create", &[("u", "bob"), ("name", "G")])
        .await;
    assert_eq!(reply.body, page_status_error("Access Denied"));
    assert_eq!(reseller_group_count(&app), 0);
}

#[tokio::test]
async fn reseller_group_create_answers_access_denied_before_the_name_checks() {
    let app = TestApp::new().await;
    app.user("bob", "user").await;
    assert_eq!(create_as_admin(&app, &[("name", "Taken")]).await.body, success());
    for name in ["", "Taken"] {
        let reply = app
            .call_signed("reseller_group_create", &[("u", "bob"), ("name", name)])
            .await;
        assert_eq!(reply.body, page_status_error("Access Denied"), "name={name:?}");
        let reply = app
            .call("reseller_group_create", &[("u", "nobody"), ("name", name)])
            .await;
        assert_eq!(reply.body, page_status_error("Access Denied"), "name={name:?}");
    }
}

// ---------------------------------------------------------------- check 2: name required

#[tokio::test]
async fn reseller_group_create_requires_a_name() {
    let app = TestApp::new().await;
    let reply = create_as_admin(&app, &[]).await;
    assert_eq!(reply.status, 200);
    assert_eq!(
        reply.body,
        page_status_error("Reseller Group Name must be specified"),
        "absent"
    );
    assert_eq!(
        create_as_admin(&app, &[("name", "")]).await.body,
        page_status_error("Reseller Group Name must be specified"),
        "empty"
    );
    assert_eq!(
        create_as_admin(&app, &[("name", "   ")]).await.body,
        page_status_error("Reseller Group Name must be specified"),
        "spaces"
    );
    assert_eq!(
        create_as_admin(&app, &[("name", "\t")]).await.body,
        page_status_error("Reseller Group Name must be specified"),
        "tab"
    );
    assert_eq!(reseller_group_count(&app), 0);
}

// ---------------------------------------------------------------- check 3: unique name

#[tokio::test]
async fn reseller_group_create_refuses_a_name_in_use() {
    let app = TestApp::new().await;
    assert_eq!(create_as_admin(&app, &[("name", "Gold")]).await.body, success());
    let reply = create_as_admin(&app, &[("name", "Gold")]).await;
    assert_eq!(reply.body, page_status_error("Group name must be unique"));
    assert_eq!(reseller_group_count(&app), 1);
}

#[tokio::test]
async fn reseller_group_create_compares_names_case_insensitively() {
    let app = TestApp::new().await;
    assert_eq!(
        create_as_admin(&app, &[("name", "Gold Partners")]).await.body,
        success()
    );
    for name in ["GOLD PARTNERS", "gold partners", "gOLD pARTNERS"] {
        let reply = create_as_admin(&app, &[("name", name)]).await;
        assert_eq!(reply.body, page_status_error("Group name must be unique"), "{name}");
    }
    assert_eq!(reseller_group_count(&app), 1);
}

#[tokio::test]
async fn reseller_group_create_compares_non_ascii_names_case_insensitively() {
    let app = TestApp::new().await;
    assert_eq!(create_as_admin(&app, &[("name", "Åsa Ąžuolas")]).await.body, success());
    let reply = create_as_admin(&app, &[("name", "åsa ąžuolas")]).await;
    assert_eq!(reply.body, page_status_error("Group name must be unique"));
}

#[tokio::test]
async fn reseller_group_create_treats_names_differing_in_spacing_as_different() {
    let app = TestApp::new().await;
    assert_eq!(create_as_admin(&app, &[("name", "Gold")]).await.body, success());
    assert_eq!(create_as_admin(&app, &[("name", "Gold 2")]).await.body, success());
    assert_eq!(reseller_group_count(&app), 2);
}

#[tokio::test]
async fn reseller_group_create_refuses_a_name_used_by_an_accountant_rights_group() {
    let app = TestApp::new().await;
    app.user_with(UserSpec {
        username: "acc".into(),
        password: "acc-pass1".into(),
        usertype: "accountant".into(),
        rights: Some("device_manage=2".into()),
        first_name: "Acc".into(),
        last_name: "Ountant".into(),
        ..UserSpec::default()
    })
    .await;
    // Group names are unique among all permission groups (spec D.4).
    let accountant_group: String = app.query_text(
        "SELECT name FROM permission_groups WHERE group_type = 'accountant' LIMIT 1",
        p![],
    );
    let reply = create_as_admin(&app, &[("name", &accountant_group.to_uppercase())]).await;
    assert_eq!(reply.body, page_status_error("Group name must be unique"));
    assert_eq!(reseller_group_count(&app), 0);
}

// ---------------------------------------------------------------- G14: never the sign-up message

#[tokio::test]
async fn reseller_group_create_works_while_api_registration_is_disabled() {
    let app = TestApp::new().await;
    app.set("api_allow_registration", "0").await;
    let reply = create_as_admin(&app, &[("name", "Signup off")]).await;
    assert_eq!(reply.body, success());
    assert!(!reply.body.contains("Registration over API is disabled"));
}

#[tokio::test]
async fn reseller_group_create_never_answers_registration_over_api_is_disabled() {
    let app = TestApp::new().await;
    app.set("api_allow_registration", "0").await;
    app.user("bob", "user").await;
    assert_eq!(create_as_admin(&app, &[("name", "X")]).await.body, success());
    let replies = [
        app.call("reseller_group_create", &[("u", "nobody"), ("name", "Y")])
            .await,
        app.call_signed("reseller_group_create", &[("u", "bob"), ("name", "Y")])
            .await,
        create_as_admin(&app, &[("name", "")]).await,
        create_as_admin(&app, &[("name", "X")]).await,
    ];
    let expected = [
        page_status_error("Access Denied"),
        page_status_error("Access Denied"),
        page_status_error("Reseller Group Name must be specified"),
        page_status_error("Group name must be unique"),
    ];
    for (reply, expected) in replies.iter().zip(expected) {
        assert!(
            !reply.body.contains("Registration over API is disabled"),
            "{}",
            reply.body
        );
        assert_eq!(reply.body, expected);
    }
}
