//! `device_create` (seed `device_create.txt`, spec E.2, D.6, A.4 exception, G5/G27/G28).

use axum::body::Body;
use axum::http::Request;
use md5::{Digest, Md5};
use moray::admin::UserSpec;

use crate::common::*;

const SECRET_ALPHABET: &str = "abcdefghjkmnpqrstuvwxyz23456789";

// ---------------------------------------------------------------- helpers

/// The text of the first `<name>…</name>` in `body`.
fn leaf(body: &str, name: &str) -> String {
    let open = format!("<{name}>");
    let close = format!("</{name}>");
    let start = body.find(&open).unwrap_or_else(|| panic!("no <{name}> in {body}")) + open.len();
    let end = body[start..]
        .find(&close)
        .unwrap_or_else(|| panic!("no </{name}> in {body}"))
        + start;
    body[start..end].to_owned()
}

/// `<page><error>ERROR</error><message>MESSAGE</message></page>`
fn not_created(message: &str) -> String {
    doc(&[
        "<page>",
        "  <error>Device was not created</error>",
        &format!("  <message>{message}</message>"),
        "</page>",
    ])
}

/// The exact success document for the given values.
fn created(id: &str, username: &str, password: &str) -> String {
    doc(&[
        "<page>",
        "  <status>Device created</status>",
        &format!("  <id>{id}</id>"),
        &format!("  <username>{username}</username>"),
        &format!("  <password>{password}</password>"),
        "</page>",
    ])
}

fn assert_created(body: &str) -> (i64, String, String) {
    assert!(
        body.starts_with(&format!("{DECL}<page>\n  <status>Device created</status>\n")),
        "not a success: {body}"
    );
    let id = leaf(body, "id");
    let username = leaf(body, "username");
    let password = leaf(body, "password");
    assert_eq!(body, created(&id, &username, &password));
    (id.parse().expect("numeric id"), username, password)
}

/// A column of the device `id` as text (NULL → None).
fn device_column(app: &TestApp, id: i64, column: &str) -> Option<String> {
    app.query_opt_string(&format!("SELECT {column} FROM devices WHERE id = ?1"), p![id])
}

fn device_count(app: &TestApp) -> i64 {
    app.count("SELECT COUNT(*) FROM devices")
}

fn primary_group_of(app: &TestApp, user_id: i64) -> i64 {
    app.query_i64(
        "SELECT id FROM device_groups WHERE user_id = ?1 AND name = 'primary'",
        p![user_id],
    )
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

/// A reseller with its own API secret key `key-NAME`.
async fn reseller(app: &TestApp, username: &str) -> i64 {
    let (id, _) = app.user(username, "reseller").await;
    app.set_for(Some(username), "api_secret_key", &format!("key-{username}"))
        .await;
    id
}

async fn user_of(app: &TestApp, username: &str, owner: &str) -> i64 {
    app.user_with(UserSpec {
        username: username.into(),
        password: format!("{username}-pass1"),
        usertype: "user".into(),
        owner: Some(owner.into()),
        first_name: "First".into(),
        last_name: "Last".into(),
        ..UserSpec::default()
    })
    .await
    .0
}

async fn create_as_admin(app: &TestApp, params: &[(&str, &str)]) -> Reply {
    let mut all = vec![("u", "admin")];
    all.extend_from_slice(params);
    app.call_signed("device_create", &all).await
}

async fn create_as_reseller(app: &TestApp, reseller: &str, params: &[(&str, &str)]) -> Reply {
    let mut all = vec![("u", reseller)];
    all.extend_from_slice(params);
    app.call_signed_with("device_create", &all, &format!("key-{reseller}"))
        .await
}

// ---------------------------------------------------------------- success shape

#[tokio::test]
async fn device_create_answers_the_seed_success_shape_with_id_username_and_password() {
    let app = TestApp::new().await;
    let (user_id, _) = app.user("bob", "user").await;
    let uid = user_id.to_string();
    let reply = create_as_admin(&app, &[("user_id", &uid), ("description", "desription1"), ("pin", "3")]).await;
    assert_eq!(reply.status, 200);
    let (id, username, password) = assert_created(&reply.body);
    assert_eq!(username, "101", "the first allocated extension is 101");
    assert_eq!(password.chars().count(), 12, "{password}");
    assert!(
        password.chars().all(|c| SECRET_ALPHABET.contains(c)),
        "secret {password} outside the alphabet"
    );
    let r = app.query_row(
        "SELECT user_id, username, secret, extension, name FROM devices WHERE id = ?1",
        p![id],
    );
    let (db_user, db_username, db_secret, db_extension, db_name) =
        (r.i64(0), r.text(1), r.text(2), r.text(3), r.text(4));
    assert_eq!(db_user, user_id);
    assert_eq!(db_username, "101");
    assert_eq!(db_extension, "101");
    assert_eq!(db_name, "101");
    assert_eq!(db_secret, password);
}

#[tokio::test]
async fn device_create_accepts_the_seed_request_with_its_literal_hash() {
    let app = TestApp::new().await;
    app.user("first", "user").await;
    let (user_id, _) = app.user("second", "user").await;
    assert_eq!(user_id, 2, "the seed example targets user 2");
    // The seed request, verbatim: POST to /billing/api/ with the parameters in the query string.
    let request = Request::post(
        "/billing/api/device_create?u=admin&user_id=2&description=desription1&pin=3&hash=6e79d4a82f68102f43be11d873177f47817f84df",
    )
    .body(Body::empty())
    .unwrap();
    let reply = app.send(request).await;
    assert_eq!(reply.status, 200);
    let (id, _, _) = assert_created(&reply.body);
    assert_eq!(device_column(&app, id, "description").as_deref(), Some("desription1"));
    assert_eq!(device_column(&app, id, "pin").as_deref(), Some("3"));
}

#[tokio::test]
async fn device_create_secret_follows_the_strong_password_rule_when_it_is_on() {
    let app = TestApp::new().await;
    app.set("use_strong_passwords_for_users", "1").await;
    let (user_id, _) = app.user("bob", "user").await;
    let reply = create_as_admin(&app, &[("user_id", &user_id.to_string())]).await;
    let (_, _, password) = assert_created(&reply.body);
    assert_eq!(password.len(), 12);
    assert_eq!(
        password
            .chars()
            .filter(|c| "abcdefghjkmnpqrstuvwxyz".contains(*c))
            .count(),
        4,
        "{password}"
    );
    assert_eq!(
        password
            .chars()
            .filter(|c| "ABCDEFGHJKMNPQRSTUVWXYZ".contains(*c))
            .count(),
        4,
        "{password}"
    );
    assert_eq!(
        password.chars().filter(|c| "23456789".contains(*c)).count(),
        4,
        "{password}"
    );
}

// ---------------------------------------------------------------- check 1: caller

#[tokio::test]
async fn device_create_refuses_an_unknown_caller_with_bad_login() {
    let app = TestApp::new().await;
    let (user_id, _) = app.user("bob", "user").await;
    let uid = user_id.to_string();
    let reply = app.call("device_create", &[("u", "nobody"), ("user_id", &uid)]).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body, page_error("Bad login"));
    // Signed or not, an unknown caller skips the hash check.
    let reply = app
        .call_signed("device_create", &[("u", "nobody"), ("user_id", &uid)])
        .await;
    assert_eq!(reply.body, page_error("Bad login"));
    assert_eq!(device_count(&app), 0);
}

#[tokio::test]
async fn device_create_refuses_a_blank_or_missing_caller_with_bad_login() {
    let app = TestApp::new().await;
    let (user_id, _) = app.user("bob", "user").await;
    let uid = user_id.to_string();
    assert_eq!(
        app.call("device_create", &[("user_id", &uid)]).await.body,
        page_error("Bad login")
    );
    assert_eq!(
        app.call("device_create", &[("u", ""), ("user_id", &uid)]).await.body,
        page_error("Bad login")
    );
    assert_eq!(
        app.call("device_create", &[("u", "   "), ("user_id", &uid)]).await.body,
        page_error("Bad login")
    );
}

#[tokio::test]
async fn device_create_treats_a_blocked_caller_as_unknown() {
    let app = TestApp::new().await;
    let res = reseller(&app, "res").await;
    let owned = user_of(&app, "carol", "res").await;
    assert_created(
        &create_as_reseller(&app, "res", &[("user_id", &owned.to_string())])
            .await
            .body,
    );
    app.exec("UPDATE users SET blocked = 1 WHERE id = ?1", p![res]);
    let reply = create_as_reseller(&app, "res", &[("user_id", &owned.to_string())]).await;
    assert_eq!(reply.body, page_error("Bad login"));
}

#[tokio::test]
async fn device_create_matches_the_caller_username_case_insensitively() {
    let app = TestApp::new().await;
    let (user_id, _) = app.user("bob", "user").await;
    let reply = app
        .call_signed("device_create", &[("u", "ADMIN"), ("user_id", &user_id.to_string())])
        .await;
    assert_created(&reply.body);
}

#[tokio::test]
async fn device_create_answers_bad_login_before_user_was_not_found() {
    let app = TestApp::new().await;
    let reply = app
        .call(
            "device_create",
            &[("u", "nobody"), ("user_id", "999"), ("type", "bogus")],
        )
        .await;
    assert_eq!(reply.body, page_error("Bad login"));
}

// ---------------------------------------------------------------- check 2: user_id

#[tokio::test]
async fn device_create_answers_user_was_not_found_for_a_missing_or_blank_user_id() {
    let app = TestApp::new().await;
    app.user("bob", "user").await;
    assert_eq!(create_as_admin(&app, &[]).await.body, page_error("User was not found"));
    assert_eq!(
        create_as_admin(&app, &[("user_id", "")]).await.body,
        page_error("User was not found")
    );
    assert_eq!(
        create_as_admin(&app, &[("user_id", "  ")]).await.body,
        page_error("User was not found")
    );
}

#[tokio::test]
async fn device_create_answers_user_was_not_found_for_a_non_digit_user_id() {
    let app = TestApp::new().await;
    app.user("bob", "user").await;
    for value in ["abc", "1a", "-1", "1.0", "+1"] {
        let reply = create_as_admin(&app, &[("user_id", value)]).await;
        assert_eq!(reply.body, page_error("User was not found"), "user_id={value:?}");
    }
    assert_eq!(device_count(&app), 0);
}

#[tokio::test]
async fn device_create_answers_user_was_not_found_for_an_unknown_user_id() {
    let app = TestApp::new().await;
    app.user("bob", "user").await;
    let reply = create_as_admin(&app, &[("user_id", "999")]).await;
    assert_eq!(reply.body, page_error("User was not found"));
}

#[tokio::test]
async fn device_create_answers_user_was_not_found_before_dont_be_so_smart() {
    let app = TestApp::new().await;
    app.user("bob", "user").await;
    let reply = app
        .call_signed("device_create", &[("u", "bob"), ("user_id", "999")])
        .await;
    assert_eq!(reply.body, page_error("User was not found"));
}

// ---------------------------------------------------------------- check 3: scope

#[tokio::test]
async fn device_create_refuses_a_plain_user_caller_with_dont_be_so_smart() {
    let app = TestApp::new().await;
    let (bob, _) = app.user("bob", "user").await;
    let (alice, _) = app.user("alice", "user").await;
    for target in [bob, alice] {
        let reply = app
            .call_signed("device_create", &[("u", "bob"), ("user_id", &target.to_string())])
            .await;
        assert_eq!(reply.body, page_error("Dont be so smart"), "target {target}");
    }
    assert_eq!(device_count(&app), 0);
}

#[tokio::test]
async fn device_create_refuses_an_accountant_without_device_manage_2() {
    let app = TestApp::new().await;
    let (bob, _) = app.user("bob", "user").await;
    accountant(&app, "acc1", "device_manage=1").await;
    accountant(&app, "acc0", "user_manage=2").await;
    for acc in ["acc1", "acc0"] {
        let reply = app
            .call_signed("device_create", &[("u", acc), ("user_id", &bob.to_string())])
            .await;
        assert_eq!(reply.body, page_error("Dont be so smart"), "{acc}");
    }
    assert_eq!(device_count(&app), 0);
}

#[tokio::test]
async fn device_create_refuses_a_reseller_targeting_another_resellers_user() {
    let app = TestApp::new().await;
    reseller(&app, "res1").await;
    reseller(&app, "res2").await;
    let other = user_of(&app, "carol", "res2").await;
    let reply = create_as_reseller(&app, "res1", &[("user_id", &other.to_string())]).await;
    assert_eq!(reply.body, page_error("Dont be so smart"));
}

#[tokio::test]
async fn device_create_refuses_a_reseller_targeting_an_admin_user_or_admin() {
    let app = TestApp::new().await;
    let (bob, _) = app.user("bob", "user").await;
    reseller(&app, "res1").await;
    for target in [bob, 0] {
        let reply = create_as_reseller(&app, "res1", &[("user_id", &target.to_string())]).await;
        assert_eq!(reply.body, page_error("Dont be so smart"), "target {target}");
    }
}

#[tokio::test]
async fn device_create_refuses_admin_targeting_himself() {
    let app = TestApp::new().await;
    let reply = create_as_admin(&app, &[("user_id", "0")]).await;
    assert_eq!(reply.body, page_error("Dont be so smart"));
    assert_eq!(device_count(&app), 0);
}

#[tokio::test]
async fn device_create_refuses_admin_targeting_a_resellers_user() {
    let app = TestApp::new().await;
    reseller(&app, "res1").await;
    let carol = user_of(&app, "carol", "res1").await;
    let reply = create_as_admin(&app, &[("user_id", &carol.to_string())]).await;
    assert_eq!(reply.body, page_error("Dont be so smart"));
}

#[tokio::test]
async fn device_create_refuses_an_accountant_targeting_admin_or_a_resellers_user() {
    let app = TestApp::new().await;
    accountant(&app, "acc", "device_manage=2").await;
    reseller(&app, "res1").await;
    let carol = user_of(&app, "carol", "res1").await;
    for target in [0, carol] {
        let reply = app
            .call_signed("device_create", &[("u", "acc"), ("user_id", &target.to_string())])
            .await;
        assert_eq!(reply.body, page_error("Dont be so smart"), "target {target}");
    }
}

#[tokio::test]
async fn device_create_answers_dont_be_so_smart_before_device_type_invalid() {
    let app = TestApp::new().await;
    let (bob, _) = app.user("bob", "user").await;
    let reply = app
        .call_signed(
            "device_create",
            &[
                ("u", "bob"),
                ("user_id", &bob.to_string()),
                ("type", "bogus"),
                ("pin", "x"),
            ],
        )
        .await;
    assert_eq!(reply.body, page_error("Dont be so smart"));
}

// ---------------------------------------------------------------- success for each caller kind

#[tokio::test]
async fn device_create_succeeds_for_an_accountant_with_device_manage_2() {
    let app = TestApp::new().await;
    let (bob, _) = app.user("bob", "user").await;
    accountant(&app, "acc", "device_manage=2").await;
    let reply = app
        .call_signed("device_create", &[("u", "acc"), ("user_id", &bob.to_string())])
        .await;
    let (id, _, _) = assert_created(&reply.body);
    assert_eq!(
        device_column(&app, id, "user_id").as_deref(),
        Some(bob.to_string().as_str())
    );
}

#[tokio::test]
async fn device_create_succeeds_for_a_reseller_creating_for_its_own_user() {
    let app = TestApp::new().await;
    reseller(&app, "res1").await;
    let carol = user_of(&app, "carol", "res1").await;
    let reply = create_as_reseller(
        &app,
        "res1",
        &[("user_id", &carol.to_string()), ("description", "desk")],
    )
    .await;
    let (id, username, _) = assert_created(&reply.body);
    assert_eq!(username, "101");
    assert_eq!(
        device_column(&app, id, "user_id").as_deref(),
        Some(carol.to_string().as_str())
    );
    assert_eq!(device_column(&app, id, "description").as_deref(), Some("desk"));
    assert_eq!(device_column(&app, id, "device_type").as_deref(), Some("SIP"));
}

// ---------------------------------------------------------------- check 4: type

#[tokio::test]
async fn device_create_refuses_an_unknown_type() {
    let app = TestApp::new().await;
    let (bob, _) = app.user("bob", "user").await;
    let uid = bob.to_string();
    for value in ["SCCP", "sip2", "MGCP", "S I P"] {
        let reply = create_as_admin(&app, &[("user_id", &uid), ("type", value)]).await;
        assert_eq!(reply.body, page_error("Device type invalid"), "type={value:?}");
    }
    assert_eq!(device_count(&app), 0);
}

#[tokio::test]
async fn device_create_answers_device_type_invalid_before_device_group_invalid() {
    let app = TestApp::new().await;
    let (bob, _) = app.user("bob", "user").await;
    let reply = create_as_admin(
        &app,
        &[
            ("user_id", &bob.to_string()),
            ("type", "SCCP"),
            ("devicegroup_id", "999"),
            ("pin", "x"),
        ],
    )
    .await;
    assert_eq!(reply.body, page_error("Device type invalid"));
}

#[tokio::test]
async fn device_create_accepts_types_case_insensitively_and_stores_them_canonical() {
    let app = TestApp::new().await;
    let (bob, _) = app.user("bob", "user").await;
    let uid = bob.to_string();
    let cases = [
        ("sip", "SIP"),
        ("pjsip", "PJSIP"),
        ("iax2", "IAX2"),
        ("fax", "FAX"),
        ("VIRTUAL", "Virtual"),
        ("h323", "H323"),
        ("DAHDI", "dahdi"),
        ("skype", "Skype"),
    ];
    for (sent, stored) in cases {
        let reply = create_as_admin(&app, &[("user_id", &uid), ("type", sent)]).await;
        let (id, _, _) = assert_created(&reply.body);
        assert_eq!(
            device_column(&app, id, "device_type").as_deref(),
            Some(stored),
            "type={sent}"
        );
    }
}

#[tokio::test]
async fn device_create_stores_zap_as_dahdi() {
    let app = TestApp::new().await;
    let (bob, _) = app.user("bob", "user").await;
    for sent in ["ZAP", "zap", "Zap"] {
        let reply = create_as_admin(&app, &[("user_id", &bob.to_string()), ("type", sent)]).await;
        let (id, _, _) = assert_created(&reply.body);
        assert_eq!(
            device_column(&app, id, "device_type").as_deref(),
            Some("dahdi"),
            "type={sent}"
        );
    }
}

#[tokio::test]
async fn device_create_without_type_uses_sip_by_default() {
    let app = TestApp::new().await;
    let (bob, _) = app.user("bob", "user").await;
    let reply = create_as_admin(&app, &[("user_id", &bob.to_string())]).await;
    let (id, _, _) = assert_created(&reply.body);
    assert_eq!(device_column(&app, id, "device_type").as_deref(), Some("SIP"));
}

#[tokio::test]
async fn device_create_with_blank_type_uses_the_owners_default_device_type() {
    let app = TestApp::new().await;
    app.set("default_device_type", "IAX2").await;
    let (bob, _) = app.user("bob", "user").await;
    let uid = bob.to_string();
    for params in [
        vec![("user_id", uid.as_str())],
        vec![("user_id", uid.as_str()), ("type", "")],
        vec![("user_id", uid.as_str()), ("type", "  ")],
    ] {
        let reply = create_as_admin(&app, &params).await;
        let (id, _, _) = assert_created(&reply.body);
        assert_eq!(
            device_column(&app, id, "device_type").as_deref(),
            Some("IAX2"),
            "{params:?}"
        );
    }
}

#[tokio::test]
async fn device_create_with_blank_type_uses_the_resellers_own_default_device_type() {
    let app = TestApp::new().await;
    app.set("default_device_type", "IAX2").await;
    reseller(&app, "res1").await;
    reseller(&app, "res2").await;
    app.set_for(Some("res1"), "default_device_type", "FAX").await;
    let carol = user_of(&app, "carol", "res1").await;
    let dave = user_of(&app, "dave", "res2").await;
    let reply = create_as_reseller(&app, "res1", &[("user_id", &carol.to_string()), ("type", "")]).await;
    let (id, _, _) = assert_created(&reply.body);
    assert_eq!(
        device_column(&app, id, "device_type").as_deref(),
        Some("FAX"),
        "res1's own default"
    );
    // res2 has no value of its own: it inherits admin's.
    let reply = create_as_reseller(&app, "res2", &[("user_id", &dave.to_string())]).await;
    let (id, _, _) = assert_created(&reply.body);
    assert_eq!(
        device_column(&app, id, "device_type").as_deref(),
        Some("IAX2"),
        "inherited default"
    );
}

#[tokio::test]
async fn device_create_refuses_virtual_to_resellers_unless_allowed() {
    let app = TestApp::new().await;
    reseller(&app, "res1").await;
    let carol = user_of(&app, "carol", "res1").await;
    let uid = carol.to_string();
    for sent in ["Virtual", "virtual"] {
        let reply = create_as_reseller(&app, "res1", &[("user_id", &uid), ("type", sent)]).await;
        assert_eq!(reply.body, page_error("Device type invalid"), "type={sent}");
    }
    assert_eq!(device_count(&app), 0);
    app.set("resellers_allow_use_virtual_device", "1").await;
    let reply = create_as_reseller(&app, "res1", &[("user_id", &uid), ("type", "virtual")]).await;
    let (id, _, _) = assert_created(&reply.body);
    assert_eq!(device_column(&app, id, "device_type").as_deref(), Some("Virtual"));
}

#[tokio::test]
async fn device_create_refuses_dahdi_and_zap_to_resellers_unless_allowed() {
    let app = TestApp::new().await;
    reseller(&app, "res1").await;
    let carol = user_of(&app, "carol", "res1").await;
    let uid = carol.to_string();
    for sent in ["dahdi", "ZAP"] {
        let reply = create_as_reseller(&app, "res1", &[("user_id", &uid), ("type", sent)]).await;
        assert_eq!(reply.body, page_error("Device type invalid"), "type={sent}");
    }
    app.set("resellers_allow_use_dahdi_device", "1").await;
    for sent in ["dahdi", "ZAP"] {
        let reply = create_as_reseller(&app, "res1", &[("user_id", &uid), ("type", sent)]).await;
        let (id, _, _) = assert_created(&reply.body);
        assert_eq!(
            device_column(&app, id, "device_type").as_deref(),
            Some("dahdi"),
            "type={sent}"
        );
    }
}

#[tokio::test]
async fn device_create_lets_resellers_use_ordinary_types_without_the_switches() {
    let app = TestApp::new().await;
    reseller(&app, "res1").await;
    let carol = user_of(&app, "carol", "res1").await;
    for sent in ["SIP", "IAX2", "FAX", "H323", "PJSIP", "Skype"] {
        let reply = create_as_reseller(&app, "res1", &[("user_id", &carol.to_string()), ("type", sent)]).await;
        assert_created(&reply.body);
    }
}

#[tokio::test]
async fn device_create_lets_admin_use_virtual_and_dahdi_regardless_of_the_reseller_switches() {
    let app = TestApp::new().await;
    let (bob, _) = app.user("bob", "user").await;
    for (sent, stored) in [("Virtual", "Virtual"), ("dahdi", "dahdi"), ("ZAP", "dahdi")] {
        let reply = create_as_admin(&app, &[("user_id", &bob.to_string()), ("type", sent)]).await;
        let (id, _, _) = assert_created(&reply.body);
        assert_eq!(device_column(&app, id, "device_type").as_deref(), Some(stored));
    }
}

#[tokio::test]
async fn device_create_gives_h323_devices_host_and_ip_0000_and_port_1720() {
    let app = TestApp::new().await;
    let (bob, _) = app.user("bob", "user").await;
    let reply = create_as_admin(&app, &[("user_id", &bob.to_string()), ("type", "H323")]).await;
    let (id, _, _) = assert_created(&reply.body);
    assert_eq!(device_column(&app, id, "host").as_deref(), Some("0.0.0.0"));
    assert_eq!(device_column(&app, id, "ipaddr").as_deref(), Some("0.0.0.0"));
    assert_eq!(device_column(&app, id, "port").as_deref(), Some("1720"));
    let reply = create_as_admin(&app, &[("user_id", &bob.to_string()), ("type", "SIP")]).await;
    let (id, _, _) = assert_created(&reply.body);
    assert_eq!(device_column(&app, id, "host").as_deref(), Some("dynamic"));
}

// ---------------------------------------------------------------- check 5: device group

#[tokio::test]
async fn device_create_refuses_a_device_group_of_another_user() {
    let app = TestApp::new().await;
    let (bob, _) = app.user("bob", "user").await;
    let (alice, _) = app.user("alice", "user").await;
    let alice_group = primary_group_of(&app, alice).to_string();
    let reply = create_as_admin(&app, &[("user_id", &bob.to_string()), ("devicegroup_id", &alice_group)]).await;
    assert_eq!(reply.body, page_error("Device group invalid"));
    assert_eq!(device_count(&app), 0);
}

#[tokio::test]
async fn device_create_refuses_an_unknown_or_non_numeric_device_group() {
    let app = TestApp::new().await;
    let (bob, _) = app.user("bob", "user").await;
    for value in ["999", "abc", "-1", "0"] {
        let reply = create_as_admin(&app, &[("user_id", &bob.to_string()), ("devicegroup_id", value)]).await;
        assert_eq!(
            reply.body,
            page_error("Device group invalid"),
            "devicegroup_id={value:?}"
        );
    }
}

#[tokio::test]
async fn device_create_answers_device_group_invalid_before_pin_must_be_numeric() {
    let app = TestApp::new().await;
    let (bob, _) = app.user("bob", "user").await;
    let reply = create_as_admin(
        &app,
        &[("user_id", &bob.to_string()), ("devicegroup_id", "999"), ("pin", "12a")],
    )
    .await;
    assert_eq!(reply.body, page_error("Device group invalid"));
}

#[tokio::test]
async fn device_create_puts_the_device_in_the_given_group_of_that_user() {
    let app = TestApp::new().await;
    let (bob, _) = app.user("bob", "user").await;
    let office = app.insert(
        "INSERT INTO device_groups (user_id, name) VALUES (?1, 'office')",
        p![bob],
    );
    let reply = create_as_admin(
        &app,
        &[("user_id", &bob.to_string()), ("devicegroup_id", &office.to_string())],
    )
    .await;
    let (id, _, _) = assert_created(&reply.body);
    assert_eq!(device_column(&app, id, "devicegroup_id"), Some(office.to_string()));
}

#[tokio::test]
async fn device_create_without_group_uses_the_users_primary_group() {
    let app = TestApp::new().await;
    let (bob, _) = app.user("bob", "user").await;
    let primary = primary_group_of(&app, bob);
    let uid = bob.to_string();
    for params in [
        vec![("user_id", uid.as_str())],
        vec![("user_id", uid.as_str()), ("devicegroup_id", "")],
    ] {
        let reply = create_as_admin(&app, &params).await;
        let (id, _, _) = assert_created(&reply.body);
        assert_eq!(
            device_column(&app, id, "devicegroup_id"),
            Some(primary.to_string()),
            "{params:?}"
        );
    }
}

#[tokio::test]
async fn device_create_creates_the_primary_group_when_it_is_missing() {
    let app = TestApp::new().await;
    let (bob, _) = app.user("bob", "user").await;
    app.exec("DELETE FROM device_groups WHERE user_id = ?1", p![bob]);
    let reply = create_as_admin(&app, &[("user_id", &bob.to_string())]).await;
    let (id, _, _) = assert_created(&reply.body);
    let primary = primary_group_of(&app, bob);
    assert_eq!(device_column(&app, id, "devicegroup_id"), Some(primary.to_string()));
}

// ---------------------------------------------------------------- check 6: pin

#[tokio::test]
async fn device_create_refuses_a_non_numeric_pin() {
    let app = TestApp::new().await;
    let (bob, _) = app.user("bob", "user").await;
    for value in ["12a", "abcd", "-123", "12.5", "+1234"] {
        let reply = create_as_admin(&app, &[("user_id", &bob.to_string()), ("pin", value)]).await;
        assert_eq!(reply.body, page_error("Pin must be numeric"), "pin={value:?}");
    }
    assert_eq!(device_count(&app), 0);
}

#[tokio::test]
async fn device_create_refuses_a_pin_already_used_by_another_device() {
    let app = TestApp::new().await;
    let (bob, _) = app.user("bob", "user").await;
    let (alice, _) = app.user("alice", "user").await;
    assert_created(
        &create_as_admin(&app, &[("user_id", &bob.to_string()), ("pin", "1234")])
            .await
            .body,
    );
    assert!(app.store().pin_in_use("1234").await.unwrap());
    let reply = create_as_admin(&app, &[("user_id", &alice.to_string()), ("pin", "1234")]).await;
    assert_eq!(reply.body, page_error("Pin is already used"));
    assert_eq!(device_count(&app), 1);
}

#[tokio::test]
async fn device_create_answers_pin_must_be_numeric_before_the_callerid_checks() {
    let app = TestApp::new().await;
    let (bob, _) = app.user("bob", "user").await;
    let reply = create_as_admin(
        &app,
        &[("user_id", &bob.to_string()), ("pin", "12a"), ("caller_id", "abc")],
    )
    .await;
    assert_eq!(reply.body, page_error("Pin must be numeric"));
}

#[tokio::test]
async fn device_create_answers_pin_is_already_used_before_the_callerid_checks() {
    let app = TestApp::new().await;
    let (bob, _) = app.user("bob", "user").await;
    assert_created(
        &create_as_admin(&app, &[("user_id", &bob.to_string()), ("pin", "4321")])
            .await
            .body,
    );
    let reply = create_as_admin(
        &app,
        &[("user_id", &bob.to_string()), ("pin", "4321"), ("caller_id", "abc")],
    )
    .await;
    assert_eq!(reply.body, page_error("Pin is already used"));
}

#[tokio::test]
async fn device_create_without_pin_generates_a_random_six_digit_pin() {
    let app = TestApp::new().await;
    let (bob, _) = app.user("bob", "user").await;
    let reply = create_as_admin(&app, &[("user_id", &bob.to_string())]).await;
    let (id, _, _) = assert_created(&reply.body);
    let pin = device_column(&app, id, "pin").expect("a PIN was generated");
    assert_eq!(pin.len(), 6, "{pin}");
    assert!(pin.bytes().all(|b| b.is_ascii_digit()), "{pin}");
}

#[tokio::test]
async fn device_create_random_pin_has_device_pin_length_digits() {
    let app = TestApp::new().await;
    app.set("device_pin_length", "9").await;
    let (bob, _) = app.user("bob", "user").await;
    let reply = create_as_admin(&app, &[("user_id", &bob.to_string())]).await;
    let (id, _, _) = assert_created(&reply.body);
    let pin = device_column(&app, id, "pin").expect("a PIN was generated");
    assert_eq!(pin.len(), 9, "{pin}");
    assert!(pin.bytes().all(|b| b.is_ascii_digit()), "{pin}");
}

#[tokio::test]
async fn device_create_random_pin_length_zero_means_six() {
    let app = TestApp::new().await;
    app.set("device_pin_length", "0").await;
    let (bob, _) = app.user("bob", "user").await;
    let reply = create_as_admin(&app, &[("user_id", &bob.to_string())]).await;
    let (id, _, _) = assert_created(&reply.body);
    let pin = device_column(&app, id, "pin").expect("a PIN was generated");
    assert_eq!(pin.len(), 6, "{pin}");
}

#[tokio::test]
async fn device_create_with_an_empty_pin_creates_a_pinless_device() {
    let app = TestApp::new().await;
    let (bob, _) = app.user("bob", "user").await;
    // Two pinless devices: an empty PIN is "no PIN", never a duplicate.
    for _ in 0..2 {
        let reply = create_as_admin(&app, &[("user_id", &bob.to_string()), ("pin", "")]).await;
        let (id, _, _) = assert_created(&reply.body);
        assert_eq!(
            device_column(&app, id, "pin"),
            None,
            "pin= must be stored as NULL (pinless)"
        );
    }
}

#[tokio::test]
async fn device_create_removes_spaces_from_the_pin() {
    let app = TestApp::new().await;
    let (bob, _) = app.user("bob", "user").await;
    let reply = create_as_admin(&app, &[("user_id", &bob.to_string()), ("pin", "12 34 56")]).await;
    let (id, _, _) = assert_created(&reply.body);
    assert_eq!(device_column(&app, id, "pin").as_deref(), Some("123456"));
    // The stored form is what clashes.
    let reply = create_as_admin(&app, &[("user_id", &bob.to_string()), ("pin", "123 456")]).await;
    assert_eq!(reply.body, page_error("Pin is already used"));
}

// ---------------------------------------------------------------- check 7: caller id

#[tokio::test]
async fn device_create_refuses_caller_id_to_an_accountant_without_callerid_manage_2() {
    let app = TestApp::new().await;
    let (bob, _) = app.user("bob", "user").await;
    accountant(&app, "acc", "device_manage=2,callerid_manage=1").await;
    let reply = app
        .call_signed(
            "device_create",
            &[
                ("u", "acc"),
                ("user_id", &bob.to_string()),
                ("caller_id", "37060000001"),
            ],
        )
        .await;
    assert_eq!(reply.body, page_error("You are not authorized to manage callerid"));
    assert_eq!(device_count(&app), 0);
}

#[tokio::test]
async fn device_create_answers_callerid_authorization_before_callerid_must_be_numeric() {
    let app = TestApp::new().await;
    let (bob, _) = app.user("bob", "user").await;
    accountant(&app, "acc", "device_manage=2").await;
    let reply = app
        .call_signed(
            "device_create",
            &[("u", "acc"), ("user_id", &bob.to_string()), ("caller_id", "abc")],
        )
        .await;
    assert_eq!(reply.body, page_error("You are not authorized to manage callerid"));
}

#[tokio::test]
async fn device_create_lets_an_accountant_without_callerid_manage_create_without_caller_id() {
    let app = TestApp::new().await;
    let (bob, _) = app.user("bob", "user").await;
    accountant(&app, "acc", "device_manage=2").await;
    let reply = app
        .call_signed(
            "device_create",
            &[("u", "acc"), ("user_id", &bob.to_string()), ("caller_id", "")],
        )
        .await;
    assert_created(&reply.body);
}

#[tokio::test]
async fn device_create_lets_an_accountant_with_callerid_manage_2_set_caller_id() {
    let app = TestApp::new().await;
    let (bob, _) = app.user("bob", "user").await;
    accountant(&app, "acc", "device_manage=2,callerid_manage=2").await;
    let reply = app
        .call_signed(
            "device_create",
            &[
                ("u", "acc"),
                ("user_id", &bob.to_string()),
                ("caller_id", "37060000001"),
            ],
        )
        .await;
    let (id, _, _) = assert_created(&reply.body);
    assert_eq!(device_column(&app, id, "callerid").as_deref(), Some("<37060000001>"));
}

#[tokio::test]
async fn device_create_refuses_a_non_numeric_caller_id() {
    let app = TestApp::new().await;
    let (bob, _) = app.user("bob", "user").await;
    accountant(&app, "acc", "device_manage=2,callerid_manage=2").await;
    for value in ["abc", "+37060000001", "370 600", "12-34"] {
        let reply = create_as_admin(&app, &[("user_id", &bob.to_string()), ("caller_id", value)]).await;
        assert_eq!(
            reply.body,
            page_error("CallerID must be numeric"),
            "caller_id={value:?}"
        );
    }
    let reply = app
        .call_signed(
            "device_create",
            &[("u", "acc"), ("user_id", &bob.to_string()), ("caller_id", "12a")],
        )
        .await;
    assert_eq!(reply.body, page_error("CallerID must be numeric"));
    assert_eq!(device_count(&app), 0);
}

#[tokio::test]
async fn device_create_stores_the_caller_id_in_angle_brackets() {
    let app = TestApp::new().await;
    let (bob, _) = app.user("bob", "user").await;
    let reply = create_as_admin(&app, &[("user_id", &bob.to_string()), ("caller_id", "37060000001")]).await;
    let (id, _, _) = assert_created(&reply.body);
    assert_eq!(device_column(&app, id, "callerid").as_deref(), Some("<37060000001>"));
    let reply = create_as_admin(&app, &[("user_id", &bob.to_string())]).await;
    let (id, _, _) = assert_created(&reply.body);
    assert_eq!(device_column(&app, id, "callerid").as_deref(), Some(""));
}

#[tokio::test]
async fn device_create_answers_callerid_must_be_numeric_before_extension_taken() {
    let app = TestApp::new().await;
    let (bob, _) = app.user("bob", "user").await;
    assert_created(&create_as_admin(&app, &[("user_id", &bob.to_string())]).await.body);
    let reply = create_as_admin(
        &app,
        &[
            ("user_id", &bob.to_string()),
            ("caller_id", "abc"),
            ("extension", "101"),
        ],
    )
    .await;
    assert_eq!(reply.body, page_error("CallerID must be numeric"));
}

// ---------------------------------------------------------------- check 8: extension taken

#[tokio::test]
async fn device_create_refuses_an_extension_already_in_use() {
    let app = TestApp::new().await;
    let (bob, _) = app.user("bob", "user").await;
    let (alice, _) = app.user("alice", "user").await;
    assert_created(&create_as_admin(&app, &[("user_id", &bob.to_string())]).await.body);
    let reply = create_as_admin(&app, &[("user_id", &alice.to_string()), ("extension", "101")]).await;
    assert_eq!(reply.body, page_error("Extension already exists in User's PBX Pool"));
    assert_eq!(device_count(&app), 1);
}

#[tokio::test]
async fn device_create_refuses_an_explicit_extension_used_twice() {
    let app = TestApp::new().await;
    let (bob, _) = app.user("bob", "user").await;
    let reply = create_as_admin(&app, &[("user_id", &bob.to_string()), ("extension", "7000")]).await;
    let (_, username, _) = assert_created(&reply.body);
    assert_eq!(username, "7000");
    let reply = create_as_admin(&app, &[("user_id", &bob.to_string()), ("extension", "7000")]).await;
    assert_eq!(reply.body, page_error("Extension already exists in User's PBX Pool"));
}

#[tokio::test]
async fn device_create_answers_extension_taken_before_call_timeout() {
    let app = TestApp::new().await;
    let (bob, _) = app.user("bob", "user").await;
    assert_created(&create_as_admin(&app, &[("user_id", &bob.to_string())]).await.body);
    let reply = create_as_admin(
        &app,
        &[
            ("user_id", &bob.to_string()),
            ("extension", "101"),
            ("call_timeout", "-5"),
        ],
    )
    .await;
    assert_eq!(reply.body, page_error("Extension already exists in User's PBX Pool"));
}

// ---------------------------------------------------------------- check 9: call timeout

#[tokio::test]
async fn device_create_refuses_a_negative_or_non_integer_call_timeout() {
    let app = TestApp::new().await;
    let (bob, _) = app.user("bob", "user").await;
    for value in ["-1", "abc", "1.5", "10s"] {
        let reply = create_as_admin(&app, &[("user_id", &bob.to_string()), ("call_timeout", value)]).await;
        assert_eq!(
            reply.body,
            page_error("Device Call Timeout must be greater than or equal to 0"),
            "call_timeout={value:?}"
        );
    }
    assert_eq!(device_count(&app), 0);
}

#[tokio::test]
async fn device_create_answers_call_timeout_before_extension_is_invalid() {
    let app = TestApp::new().await;
    let (bob, _) = app.user("bob", "user").await;
    let reply = create_as_admin(
        &app,
        &[
            ("user_id", &bob.to_string()),
            ("call_timeout", "-1"),
            ("extension", "BAD EXT"),
        ],
    )
    .await;
    assert_eq!(
        reply.body,
        page_error("Device Call Timeout must be greater than or equal to 0")
    );
}

#[tokio::test]
async fn device_create_stores_call_timeout_as_timeout_and_defaults_to_the_template() {
    let app = TestApp::new().await;
    let (bob, _) = app.user("bob", "user").await;
    let reply = create_as_admin(&app, &[("user_id", &bob.to_string()), ("call_timeout", "0")]).await;
    let (id, _, _) = assert_created(&reply.body);
    assert_eq!(device_column(&app, id, "timeout").as_deref(), Some("0"));
    let reply = create_as_admin(&app, &[("user_id", &bob.to_string()), ("call_timeout", "45")]).await;
    let (id, _, _) = assert_created(&reply.body);
    assert_eq!(device_column(&app, id, "timeout").as_deref(), Some("45"));
    let reply = create_as_admin(&app, &[("user_id", &bob.to_string())]).await;
    let (id, _, _) = assert_created(&reply.body);
    assert_eq!(device_column(&app, id, "timeout").as_deref(), Some("60"));
}

// ---------------------------------------------------------------- check 10: not created

#[tokio::test]
async fn device_create_refuses_a_malformed_extension_with_extension_is_invalid() {
    let app = TestApp::new().await;
    let (bob, _) = app.user("bob", "user").await;
    for value in ["A1", "1 2", "10-1", "ext.5", "é1"] {
        let reply = create_as_admin(&app, &[("user_id", &bob.to_string()), ("extension", value)]).await;
        assert_eq!(reply.status, 200);
        assert_eq!(reply.body, not_created("Extension is invalid"), "extension={value:?}");
    }
    assert_eq!(device_count(&app), 0);
}

#[tokio::test]
async fn device_create_accepts_an_extension_of_digits_lowercase_hash_and_star() {
    let app = TestApp::new().await;
    let (bob, _) = app.user("bob", "user").await;
    let reply = create_as_admin(&app, &[("user_id", &bob.to_string()), ("extension", "*9#a")]).await;
    let (id, username, _) = assert_created(&reply.body);
    assert_eq!(username, "*9#a");
    assert_eq!(device_column(&app, id, "extension").as_deref(), Some("*9#a"));
}

#[tokio::test]
async fn device_create_answers_no_free_extension_when_the_range_is_exhausted() {
    let app = TestApp::new().await;
    app.set("device_range_min", "101").await;
    app.set("device_range_max", "102").await;
    let (bob, _) = app.user("bob", "user").await;
    let (_, first, _) = assert_created(&create_as_admin(&app, &[("user_id", &bob.to_string())]).await.body);
    let (_, second, _) = assert_created(&create_as_admin(&app, &[("user_id", &bob.to_string())]).await.body);
    assert_eq!((first.as_str(), second.as_str()), ("101", "102"));
    let reply = create_as_admin(&app, &[("user_id", &bob.to_string())]).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body, not_created("No free extension"));
    assert_eq!(device_count(&app), 2, "nothing is written on failure");
}

#[tokio::test]
async fn device_create_still_accepts_an_explicit_extension_when_the_range_is_exhausted() {
    let app = TestApp::new().await;
    app.set("device_range_min", "101").await;
    app.set("device_range_max", "101").await;
    let (bob, _) = app.user("bob", "user").await;
    assert_created(&create_as_admin(&app, &[("user_id", &bob.to_string())]).await.body);
    assert_eq!(
        create_as_admin(&app, &[("user_id", &bob.to_string())]).await.body,
        not_created("No free extension")
    );
    let reply = create_as_admin(&app, &[("user_id", &bob.to_string()), ("extension", "5000")]).await;
    let (_, username, _) = assert_created(&reply.body);
    assert_eq!(username, "5000");
}

// ---------------------------------------------------------------- extension allocation (D.6)

#[tokio::test]
async fn device_create_allocates_consecutive_extensions_from_101() {
    let app = TestApp::new().await;
    let (bob, _) = app.user("bob", "user").await;
    let mut got = Vec::new();
    for _ in 0..3 {
        let (_, username, _) = assert_created(&create_as_admin(&app, &[("user_id", &bob.to_string())]).await.body);
        got.push(username);
    }
    assert_eq!(got, ["101", "102", "103"]);
}

#[tokio::test]
async fn device_create_allocates_the_smallest_free_extension_around_explicit_ones() {
    let app = TestApp::new().await;
    let (bob, _) = app.user("bob", "user").await;
    let uid = bob.to_string();
    assert_created(
        &create_as_admin(&app, &[("user_id", &uid), ("extension", "102")])
            .await
            .body,
    );
    let (_, a, _) = assert_created(&create_as_admin(&app, &[("user_id", &uid)]).await.body);
    let (_, b, _) = assert_created(&create_as_admin(&app, &[("user_id", &uid)]).await.body);
    assert_eq!((a.as_str(), b.as_str()), ("101", "103"));
}

#[tokio::test]
async fn device_create_allocates_from_device_range_min() {
    let app = TestApp::new().await;
    app.set("device_range_min", "500").await;
    let (bob, _) = app.user("bob", "user").await;
    let (_, username, _) = assert_created(&create_as_admin(&app, &[("user_id", &bob.to_string())]).await.body);
    assert_eq!(username, "500");
}

#[tokio::test]
async fn device_create_follows_a_changed_range_and_returns_to_free_numbers_below() {
    let app = TestApp::new().await;
    let (bob, _) = app.user("bob", "user").await;
    let uid = bob.to_string();
    assert_eq!(
        assert_created(&create_as_admin(&app, &[("user_id", &uid)]).await.body).1,
        "101"
    );
    app.set("device_range_min", "200").await;
    assert_eq!(
        assert_created(&create_as_admin(&app, &[("user_id", &uid)]).await.body).1,
        "200"
    );
    app.set("device_range_min", "101").await;
    assert_eq!(
        assert_created(&create_as_admin(&app, &[("user_id", &uid)]).await.body).1,
        "102"
    );
}

#[tokio::test]
async fn device_create_reuses_an_extension_freed_by_another_process_sharing_the_database() {
    // Spec D.6: the smallest integer in the range not used by any device. The database is
    // shared by several moray processes (spec H), so a device removed by another process (here:
    // a second SQLite connection) frees its number for this one.
    let app = TestApp::new().await;
    let (bob, _) = app.user("bob", "user").await;
    let uid = bob.to_string();
    for expected in ["101", "102", "103"] {
        assert_eq!(
            assert_created(&create_as_admin(&app, &[("user_id", &uid)]).await.body).1,
            expected
        );
    }
    app.exec("DELETE FROM devices WHERE extension IN ('101', '102')", p![]);
    let (_, username, _) = assert_created(&create_as_admin(&app, &[("user_id", &uid)]).await.body);
    assert_eq!(username, "101", "smallest free extension after 101 and 102 were freed");
}

#[tokio::test]
async fn device_create_skips_numbers_used_as_another_devices_username() {
    let app = TestApp::new().await;
    let (bob, _) = app.user("bob", "user").await;
    let uid = bob.to_string();
    let (id, _, _) = assert_created(
        &create_as_admin(&app, &[("user_id", &uid), ("extension", "9000")])
            .await
            .body,
    );
    // A device whose username (not extension) is 101, as registration-credentials mode can make.
    app.exec(
        "UPDATE devices SET username = '101', name = '101' WHERE id = ?1",
        p![id],
    );
    let (_, username, _) = assert_created(&create_as_admin(&app, &[("user_id", &uid)]).await.body);
    assert_eq!(username, "102");
    assert!(app.store().device_name_in_use("101").await.unwrap());
}

// ---------------------------------------------------------------- stored values

#[tokio::test]
async fn device_create_stores_ha1_as_md5_of_username_realm_secret() {
    let app = TestApp::new().await;
    let (bob, _) = app.user("bob", "user").await;
    let reply = create_as_admin(&app, &[("user_id", &bob.to_string())]).await;
    let (id, username, password) = assert_created(&reply.body);
    let expected = hex::encode(Md5::digest(format!("{username}:asterisk:{password}").as_bytes()));
    assert_eq!(
        device_column(&app, id, "ha1"),
        Some(expected),
        "default sip_realm is asterisk"
    );
}

#[tokio::test]
async fn device_create_computes_ha1_with_the_sip_realm_setting() {
    let app = TestApp::new().await;
    app.set("sip_realm", "voip.example.com").await;
    let (bob, _) = app.user("bob", "user").await;
    let reply = create_as_admin(&app, &[("user_id", &bob.to_string()), ("extension", "4444")]).await;
    let (id, username, password) = assert_created(&reply.body);
    assert_eq!(username, "4444");
    let expected = hex::encode(Md5::digest(format!("4444:voip.example.com:{password}").as_bytes()));
    assert_eq!(device_column(&app, id, "ha1"), Some(expected));
}

#[tokio::test]
async fn device_create_trims_the_description() {
    let app = TestApp::new().await;
    let (bob, _) = app.user("bob", "user").await;
    let reply = create_as_admin(
        &app,
        &[("user_id", &bob.to_string()), ("description", "  Office phone \t ")],
    )
    .await;
    let (id, _, _) = assert_created(&reply.body);
    assert_eq!(device_column(&app, id, "description").as_deref(), Some("Office phone"));
    let reply = create_as_admin(&app, &[("user_id", &bob.to_string())]).await;
    let (id, _, _) = assert_created(&reply.body);
    assert_eq!(
        device_column(&app, id, "description").as_deref(),
        Some(""),
        "default empty"
    );
}

#[tokio::test]
async fn device_create_stores_fromuser_and_the_default_device_template() {
    let app = TestApp::new().await;
    let (bob, _) = app.user("bob", "user").await;
    let reply = create_as_admin(&app, &[("user_id", &bob.to_string()), ("fromuser", "37060000001")]).await;
    let (id, _, _) = assert_created(&reply.body);
    assert_eq!(device_column(&app, id, "fromuser").as_deref(), Some("37060000001"));
    for (column, value) in [
        ("context", "mor_local"),
        ("host", "dynamic"),
        ("dtmfmode", "rfc2833"),
        ("nat", "yes"),
        ("qualify", "yes"),
        ("canreinvite", "no"),
        ("allow", "alaw,ulaw"),
        ("call_limit", "0"),
        ("timeout", "60"),
    ] {
        assert_eq!(device_column(&app, id, column).as_deref(), Some(value), "{column}");
    }
}

#[tokio::test]
async fn device_create_stores_exactly_one_device_row() {
    let app = TestApp::new().await;
    let (bob, _) = app.user("bob", "user").await;
    assert_created(&create_as_admin(&app, &[("user_id", &bob.to_string())]).await.body);
    assert_eq!(device_count(&app), 1);
    assert!(app.store().device_name_in_use("101").await.unwrap());
}

// ---------------------------------------------------------------- pre-checks in the method envelope

#[tokio::test]
async fn device_create_answers_a_wrong_hash_in_the_page_error_envelope() {
    let app = TestApp::new().await;
    let (bob, _) = app.user("bob", "user").await;
    let uid = bob.to_string();
    let reply = app
        .call_signed_with("device_create", &[("u", "admin"), ("user_id", &uid)], "wrong-key")
        .await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body, page_error("Incorrect hash"));
    let reply = app.call("device_create", &[("u", "admin"), ("user_id", &uid)]).await;
    assert_eq!(reply.body, page_error("Incorrect hash"), "missing hash");
    let reply = app
        .call(
            "device_create",
            &[("u", "admin"), ("user_id", &uid), ("hash", "sd5g16sd1g6s")],
        )
        .await;
    assert_eq!(reply.body, page_error("Incorrect hash"), "malformed hash");
    assert_eq!(device_count(&app), 0);
}

#[tokio::test]
async fn device_create_hash_covers_description_pin_type_group_and_caller_id() {
    let app = TestApp::new().await;
    let (bob, _) = app.user("bob", "user").await;
    let uid = bob.to_string();
    // Signed without `description`, then sent with it: the hash no longer matches.
    let hash = app.hash_with("device_create", &[("user_id", &uid)], SECRET);
    let reply = app
        .call(
            "device_create",
            &[("u", "admin"), ("user_id", &uid), ("description", "x"), ("hash", &hash)],
        )
        .await;
    assert_eq!(reply.body, page_error("Incorrect hash"));
    // `extension`, `fromuser`, `call_timeout` are not hashed.
    let reply = app
        .call(
            "device_create",
            &[
                ("u", "admin"),
                ("user_id", &uid),
                ("extension", "3000"),
                ("fromuser", "x"),
                ("call_timeout", "5"),
                ("hash", &hash),
            ],
        )
        .await;
    assert_created(&reply.body);
}

#[tokio::test]
async fn device_create_answers_api_disabled_in_the_page_error_envelope() {
    let app = TestApp::new().await;
    app.set("allow_api", "0").await;
    let (bob, _) = app.user("bob", "user").await;
    let reply = create_as_admin(&app, &[("user_id", &bob.to_string())]).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body, page_error("API Requests are disabled"));
}

#[tokio::test]
async fn device_create_answers_get_disabled_in_the_page_error_envelope() {
    let app = TestApp::new().await;
    let (bob, _) = app.user("bob", "user").await;
    let uid = bob.to_string();
    let hash = app.hash_with("device_create", &[("user_id", &uid)], SECRET);
    let params = [("u", "admin"), ("user_id", uid.as_str()), ("hash", hash.as_str())];
    let reply = app.get("/api/device_create", &params).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body, page_error("GET Requests are disabled"));
    app.set("allow_get_api", "1").await;
    let reply = app.get("/api/device_create", &params).await;
    assert_created(&reply.body);
}

#[tokio::test]
async fn device_create_answers_missing_secret_key_in_the_page_error_envelope() {
    let app = TestApp::new().await;
    app.set("api_secret_key", "").await;
    let (bob, _) = app.user("bob", "user").await;
    let reply = create_as_admin(&app, &[("user_id", &bob.to_string())]).await;
    assert_eq!(reply.body, page_error("API must have Secret Key"));
}

#[tokio::test]
async fn device_create_needs_no_hash_when_hash_checking_is_disabled() {
    let app = TestApp::new().await;
    app.set("disable_hash_checking", "1").await;
    let (bob, _) = app.user("bob", "user").await;
    let reply = app
        .call("device_create", &[("u", "admin"), ("user_id", &bob.to_string())])
        .await;
    assert_created(&reply.body);
}

#[tokio::test]
async fn device_create_accepts_a_resellers_own_key() {
    let app = TestApp::new().await;
    reseller(&app, "res1").await;
    let carol = user_of(&app, "carol", "res1").await;
    let uid = carol.to_string();
    let reply = app
        .call_signed_with("device_create", &[("u", "res1"), ("user_id", &uid)], "wrong-key")
        .await;
    assert_eq!(reply.body, page_error("Incorrect hash"));
    let reply = app
        .call_signed_with("device_create", &[("u", "res1"), ("user_id", &uid)], "key-res1")
        .await;
    assert_created(&reply.body);
}

// ---------------------------------------------------------------- more parameter forms

#[tokio::test]
async fn device_create_with_a_blank_extension_allocates_one() {
    let app = TestApp::new().await;
    let (bob, _) = app.user("bob", "user").await;
    let reply = create_as_admin(&app, &[("user_id", &bob.to_string()), ("extension", "")]).await;
    let (_, username, _) = assert_created(&reply.body);
    assert_eq!(username, "101");
}

#[tokio::test]
async fn device_create_keeps_leading_zeros_of_the_pin() {
    let app = TestApp::new().await;
    let (bob, _) = app.user("bob", "user").await;
    let reply = create_as_admin(&app, &[("user_id", &bob.to_string()), ("pin", "0042")]).await;
    let (id, _, _) = assert_created(&reply.body);
    assert_eq!(device_column(&app, id, "pin").as_deref(), Some("0042"));
}

#[tokio::test]
async fn device_create_accepts_user_id_hashed_in_mors_integer_form() {
    // Spec B.3: `user_id` 01 may be hashed as 1 or as 01.
    let app = TestApp::new().await;
    let (bob, _) = app.user("bob", "user").await;
    assert_eq!(bob, 1);
    for hashed in ["1", "01"] {
        let hash = app.hash_with("device_create", &[("user_id", hashed)], SECRET);
        let reply = app
            .call("device_create", &[("u", "admin"), ("user_id", "01"), ("hash", &hash)])
            .await;
        let (id, _, _) = assert_created(&reply.body);
        assert_eq!(
            device_column(&app, id, "user_id").as_deref(),
            Some("1"),
            "hashed {hashed}"
        );
    }
}

// ---------------------------------------------------------------- concurrency

async fn create_concurrently(
    app: &std::sync::Arc<TestApp>,
    params: Vec<(&'static str, String)>,
    n: usize,
) -> Vec<String> {
    let start = std::sync::Arc::new(tokio::sync::Barrier::new(n));
    let mut tasks = Vec::new();
    for _ in 0..n {
        let app = app.clone();
        let params = params.clone();
        let start = start.clone();
        tasks.push(tokio::spawn(async move {
            let borrowed: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
            start.wait().await;
            create_as_admin(&app, &borrowed).await
        }));
    }
    let mut bodies = Vec::new();
    for task in tasks {
        let reply = task.await.unwrap();
        assert_eq!(reply.status, 200);
        bodies.push(reply.body);
    }
    bodies
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn device_create_concurrent_requests_get_distinct_consecutive_extensions_and_pins() {
    let app = std::sync::Arc::new(TestApp::new().await);
    let (bob, _) = app.user("bob", "user").await;
    let bodies = create_concurrently(&app, vec![("user_id", bob.to_string())], 10).await;
    let mut extensions: Vec<i64> = bodies.iter().map(|b| assert_created(b).1.parse().unwrap()).collect();
    extensions.sort_unstable();
    assert_eq!(extensions, (101..=110).collect::<Vec<_>>());
    let distinct_pins: i64 = app.count("SELECT COUNT(DISTINCT pin) FROM devices");
    assert_eq!(distinct_pins, 10);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn device_create_concurrent_requests_for_one_pin_create_exactly_one_device() {
    let app = std::sync::Arc::new(TestApp::new().await);
    let (bob, _) = app.user("bob", "user").await;
    let bodies = create_concurrently(&app, vec![("user_id", bob.to_string()), ("pin", "777777".into())], 10).await;
    let ok = bodies
        .iter()
        .filter(|b| b.contains("<status>Device created</status>"))
        .count();
    let refused = bodies
        .iter()
        .filter(|b| **b == page_error("Pin is already used"))
        .count();
    assert_eq!((ok, refused), (1, 9), "{bodies:#?}");
    assert_eq!(device_count(&app), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn device_create_concurrent_requests_for_one_extension_create_exactly_one_device() {
    let app = std::sync::Arc::new(TestApp::new().await);
    let (bob, _) = app.user("bob", "user").await;
    let bodies = create_concurrently(
        &app,
        vec![("user_id", bob.to_string()), ("extension", "8000".into())],
        10,
    )
    .await;
    let ok = bodies
        .iter()
        .filter(|b| b.contains("<status>Device created</status>"))
        .count();
    let refused = bodies
        .iter()
        .filter(|b| **b == page_error("Extension already exists in User's PBX Pool"))
        .count();
    assert_eq!((ok, refused), (1, 9), "{bodies:#?}");
    assert_eq!(device_count(&app), 1);
}

#[tokio::test]
async fn device_create_uses_the_default_device_template_of_the_users_owner() {
    let app = TestApp::new().await;
    let res = reseller(&app, "res1").await;
    let carol = user_of(&app, "carol", "res1").await;
    let (bob, _) = app.user("bob", "user").await;
    let changed = app.exec(
        "UPDATE default_devices SET context = 'res_ctx', timeout = 33 WHERE owner_id = ?1",
        p![res],
    );
    assert_eq!(changed, 1, "a reseller gets its own Default Device template");
    let reply = create_as_reseller(&app, "res1", &[("user_id", &carol.to_string())]).await;
    let (id, _, _) = assert_created(&reply.body);
    assert_eq!(device_column(&app, id, "context").as_deref(), Some("res_ctx"));
    assert_eq!(device_column(&app, id, "timeout").as_deref(), Some("33"));
    let reply = create_as_admin(&app, &[("user_id", &bob.to_string())]).await;
    let (id, _, _) = assert_created(&reply.body);
    assert_eq!(device_column(&app, id, "context").as_deref(), Some("mor_local"));
    assert_eq!(device_column(&app, id, "timeout").as_deref(), Some("60"));
}
