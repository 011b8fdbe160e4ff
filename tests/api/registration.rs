//! `registration` (seed contract) and `user_register` (current contract): spec E.1, A.4, B, C, G
//! and the seed page `shared/seeds/registration.txt`.

use std::sync::Arc;

use axum::body::Body;
use axum::http::Request;
use md5::Md5;
use moray::admin::UserSpec;
use sha1::{Digest, Sha1};

use crate::common::*;

/// The default `registration_notice` (spec E.1 samples; the first line ends with a space).
const NOTICE: &str = "*ATTENTION! These settings are for you to configure your DEVICE. \nIn order to login to this system you need to use settings you have entered before!";
/// A password that passes every password rule, strong passwords included.
const PASSWORD: &str = "Sunny2024x";
/// Device secret alphabet with strong passwords off (spec D.6).
const SECRET_ALPHABET: &str = "abcdefghjkmnpqrstuvwxyz23456789";
const CONFIG_ERROR: &str = "Configuration error. Please contact System Administrator";
const BOTH: [&str; 2] = ["registration", "user_register"];

// ---------------------------------------------------------------------------------------------
// helpers

/// A fresh app with sign-up allowed in admin's scope.
async fn open_app() -> TestApp {
    let app = TestApp::new().await;
    app.set("api_allow_registration", "1").await;
    app
}

/// Request parameters, in order, as owned strings.
#[derive(Clone, Debug)]
struct Form(Vec<(String, String)>);

impl Form {
    /// A complete, valid sign-up for owner `id`.
    fn new(id: &str) -> Form {
        let pairs = [
            ("id", id),
            ("username", "john"),
            ("password", PASSWORD),
            ("password2", PASSWORD),
            ("first_name", "John"),
            ("last_name", "Doe"),
            ("country_id", "130"),
            ("email", "john@example.com"),
            ("device_type", "SIP"),
        ];
        Form(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect())
    }

    fn admin(app: &TestApp) -> Form {
        Form::new(&app.admin_uniquehash)
    }

    /// Another valid sign-up: a different username and e-mail.
    fn person(id: &str, username: &str) -> Form {
        Form::new(id)
            .with("username", username)
            .with("email", &format!("{username}@example.com"))
    }

    fn with(mut self, name: &str, value: &str) -> Form {
        match self.0.iter_mut().find(|(k, _)| k == name) {
            Some(pair) => pair.1 = value.to_string(),
            None => self.0.push((name.to_string(), value.to_string())),
        }
        self
    }

    fn without(mut self, name: &str) -> Form {
        self.0.retain(|(k, _)| k != name);
        self
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    fn pairs(&self) -> Vec<(&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
    }

    fn json(&self) -> String {
        let map: serde_json::Map<String, serde_json::Value> = self
            .0
            .iter()
            .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
            .collect();
        serde_json::Value::Object(map).to_string()
    }
}

/// POSTs `form` to `method` with the primary-list hash made with admin's key `secret`.
async fn sign_up(app: &TestApp, method: &str, form: &Form) -> Reply {
    let reply = app.call_signed(method, &form.pairs()).await;
    assert_eq!(reply.status, 200, "{method}: HTTP status");
    reply
}

/// Like [`sign_up`] with another key.
async fn sign_up_with(app: &TestApp, method: &str, form: &Form, key: &str) -> Reply {
    let reply = app.call_signed_with(method, &form.pairs(), key).await;
    assert_eq!(reply.status, 200, "{method}: HTTP status");
    reply
}

/// POSTs `form` plus an explicit `hash`.
async fn sign_up_hashed(app: &TestApp, method: &str, form: &Form, hash: &str) -> Reply {
    let form = form.clone().with("hash", hash);
    let reply = app.call(method, &form.pairs()).await;
    assert_eq!(reply.status, 200, "{method}: HTTP status");
    reply
}

fn sha1_hex(text: &str) -> String {
    hex::encode(Sha1::digest(text.as_bytes()))
}

fn md5_hex(text: &str) -> String {
    hex::encode(Md5::digest(text.as_bytes()))
}

/// (users, device_groups, devices, clis) row counts.
fn rows(app: &TestApp) -> [i64; 4] {
    ["users", "device_groups", "devices", "clis"].map(|table| app.count(&format!("SELECT COUNT(*) FROM {table}")))
}

/// A registered user and its (single) device, read back from the database.
#[derive(Debug)]
struct Signup {
    user_id: i64,
    owner_id: i64,
    usertype: String,
    password_hash: String,
    device_id: i64,
    device_type: String,
    username: String,
    name: String,
    secret: String,
    pin: Option<String>,
    extension: String,
    ha1: String,
    devicegroup_id: i64,
    callerid: String,
    location_id: i64,
}

fn signup(app: &TestApp, username: &str) -> Signup {
    let rows = app.query_rows(
        "SELECT u.id, u.owner_id, u.usertype, u.password_hash, d.id, d.device_type, d.username, d.name,
                d.secret, d.pin, d.extension, d.ha1, d.devicegroup_id, d.callerid, d.location_id
         FROM users u JOIN devices d ON d.user_id = u.id WHERE u.username = ?1",
        p![username],
    );
    let r = rows
        .first()
        .unwrap_or_else(|| panic!("no user {username:?} with a device in the database"));
    Signup {
        user_id: r.i64(0),
        owner_id: r.i64(1),
        usertype: r.text(2),
        password_hash: r.text(3),
        device_id: r.i64(4),
        device_type: r.text(5),
        username: r.text(6),
        name: r.text(7),
        secret: r.text(8),
        pin: r.opt_text(9),
        extension: r.text(10),
        ha1: r.text(11),
        devicegroup_id: r.i64(12),
        callerid: r.text(13),
        location_id: r.i64(14),
    }
}

/// A column of the user row, shown as text.
fn user_text(app: &TestApp, username: &str, column: &str) -> String {
    app.query_string(&format!("SELECT {column} FROM users WHERE username = ?1"), p![username])
}

/// The user's credit, truncated to an integer and shown as text.
fn user_credit(app: &TestApp, username: &str) -> String {
    (app.query_row("SELECT credit FROM users WHERE username = ?1", p![username])
        .f64(0) as i64)
        .to_string()
}

fn user_int(app: &TestApp, username: &str, column: &str) -> i64 {
    app.query_i64(&format!("SELECT {column} FROM users WHERE username = ?1"), p![username])
}

/// What the success document shows besides the device's own values.
struct Shown<'a> {
    email: Option<&'a str>,
    caller_id: Option<&'a str>,
    server_ip: &'a str,
    notice: &'a str,
}

impl Default for Shown<'_> {
    fn default() -> Self {
        Shown {
            email: None,
            caller_id: None,
            server_ip: "127.0.0.1",
            notice: NOTICE,
        }
    }
}

fn lines_doc(lines: &[String]) -> String {
    let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
    doc(&refs)
}

/// The `/api/registration` success bytes (spec E.1, seed contract).
fn seed_success(s: &Signup, shown: &Shown) -> String {
    let mut lines = vec![
        "<page>".to_string(),
        "  <status>Registration successful</status>".to_string(),
        "  <user_device_settings>".to_string(),
    ];
    if let Some(email) = shown.email {
        lines.push(format!("    <email>{email}</email>"));
    }
    lines.push(format!("    <device_type>{}</device_type>", s.device_type));
    device_lines(&mut lines, s, shown);
    lines_doc(&lines)
}

/// The `/api/user_register` success bytes (spec E.1, current contract).
fn current_success(s: &Signup, shown: &Shown) -> String {
    let mut lines = vec![
        "<page>".to_string(),
        "  <status>".to_string(),
        "    <success>Registration successful</success>".to_string(),
        "  </status>".to_string(),
        "  <user_device_settings>".to_string(),
    ];
    if let Some(email) = shown.email {
        lines.push(format!("    <email>{email}</email>"));
    }
    lines.push(format!("    <user_id>{}</user_id>", s.user_id));
    lines.push(format!("    <device_type>{}</device_type>", s.device_type));
    lines.push(format!("    <device_id>{}</device_id>", s.device_id));
    if let Some(caller_id) = shown.caller_id {
        lines.push(format!("    <caller_id>{caller_id}</caller_id>"));
    }
    device_lines(&mut lines, s, shown);
    lines_doc(&lines)
}

fn device_lines(lines: &mut Vec<String>, s: &Signup, shown: &Shown) {
    lines.push(format!("    <username>{}</username>", s.username));
    lines.push(format!("    <password>{}</password>", s.secret));
    lines.push(format!("    <pin>{}</pin>", s.pin.clone().unwrap_or_default()));
    lines.push(format!("    <server_ip>{}</server_ip>", shown.server_ip));
    lines.push(format!(
        "    <registration_notice>{}</registration_notice>",
        shown.notice
    ));
    lines.push("  </user_device_settings>".to_string());
    lines.push("</page>".to_string());
}

/// The success bytes of `method` for the sign-up of `username`.
fn success_for(app: &TestApp, method: &str, username: &str, shown: &Shown) -> String {
    let s = signup(app, username);
    match method {
        "registration" => seed_success(&s, shown),
        _ => current_success(&s, shown),
    }
}

/// The method's own error envelope (spec A.6 / E.1).
fn method_error(method: &str, message: &str) -> String {
    match method {
        "registration" => page_error(message),
        _ => page_status_error(message),
    }
}

/// Both endpoints refuse `form` with `message` in their own envelopes, writing nothing.
async fn assert_refused(app: &TestApp, form: &Form, message: &str) {
    for method in BOTH {
        assert_refused_by(app, method, form, message).await;
    }
}

async fn assert_refused_by(app: &TestApp, method: &str, form: &Form, message: &str) {
    let before = rows(app);
    let reply = sign_up(app, method, form).await;
    assert_eq!(reply.body, method_error(method, message), "{method} with {form:?}");
    assert_eq!(rows(app), before, "{method}: a refused sign-up wrote rows");
}

/// `method` answers success for `form` (the default notice, no e-mail, no caller id).
async fn assert_signed_up(app: &TestApp, method: &str, form: &Form) -> Signup {
    let reply = sign_up(app, method, form).await;
    let username = form.get("username").unwrap();
    let caller_id = form.get("caller_id").filter(|c| !c.trim().is_empty());
    let shown = Shown {
        caller_id,
        ..Shown::default()
    };
    assert_eq!(
        reply.body,
        success_for(app, method, username, &shown),
        "{method} with {form:?}"
    );
    signup(app, username)
}

fn insert_group(app: &TestApp, name: &str, group_type: &str) -> i64 {
    app.insert(
        "INSERT INTO permission_groups (name, name_key, description, group_type) VALUES (?1, lower(?1), '', ?2)",
        p![name, group_type],
    )
}

fn insert_owned(app: &TestApp, table: &str, name: &str, owner_id: i64) -> i64 {
    app.insert(
        &format!("INSERT INTO {table} (name, owner_id) VALUES (?1, ?2)"),
        p![name, owner_id],
    )
}

/// A reseller `reseller1` with its own key `resellerkey1` and sign-up allowed in its scope.
async fn reseller(app: &TestApp) -> (i64, String) {
    let (id, uniquehash) = app.user("reseller1", "reseller").await;
    app.set_for(Some("reseller1"), "api_secret_key", "resellerkey1").await;
    app.set_for(Some("reseller1"), "api_allow_registration", "1").await;
    (id, uniquehash)
}

// ---------------------------------------------------------------------------------------------
// success bytes (spec E.1 samples)

#[tokio::test]
async fn registration_success_matches_the_seed_sample_with_email() {
    let app = open_app().await;
    app.set("send_email_to_user_after_registration", "1").await;
    let reply = sign_up(&app, "registration", &Form::admin(&app)).await;
    let s = signup(&app, "john");
    assert_eq!(s.username, "101");
    assert_eq!(s.secret.chars().count(), 12);
    assert!(
        s.secret.chars().all(|c| SECRET_ALPHABET.contains(c)),
        "secret {:?}",
        s.secret
    );
    let pin = s.pin.clone().expect("a PIN");
    assert!(pin.len() == 6 && pin.bytes().all(|b| b.is_ascii_digit()), "pin {pin:?}");
    let expected = doc(&[
        "<page>",
        "  <status>Registration successful</status>",
        "  <user_device_settings>",
        "    <email>john@example.com</email>",
        "    <device_type>SIP</device_type>",
        "    <username>101</username>",
        &format!("    <password>{}</password>", s.secret),
        &format!("    <pin>{pin}</pin>"),
        "    <server_ip>127.0.0.1</server_ip>",
        "    <registration_notice>*ATTENTION! These settings are for you to configure your DEVICE. ",
        "In order to login to this system you need to use settings you have entered before!</registration_notice>",
        "  </user_device_settings>",
        "</page>",
    ]);
    assert_eq!(reply.body, expected);
}

#[tokio::test]
async fn user_register_success_matches_the_current_sample_with_caller_id() {
    let app = open_app().await;
    let form = Form::admin(&app).with("caller_id", "37060000001");
    let reply = sign_up(&app, "user_register", &form).await;
    let s = signup(&app, "john");
    assert_eq!(s.username, "101");
    assert_eq!(s.secret.chars().count(), 12);
    assert!(
        s.secret.chars().all(|c| SECRET_ALPHABET.contains(c)),
        "secret {:?}",
        s.secret
    );
    let pin = s.pin.clone().expect("a PIN");
    assert!(pin.len() == 6 && pin.bytes().all(|b| b.is_ascii_digit()), "pin {pin:?}");
    let expected = doc(&[
        "<page>",
        "  <status>",
        "    <success>Registration successful</success>",
        "  </status>",
        "  <user_device_settings>",
        &format!("    <user_id>{}</user_id>", s.user_id),
        "    <device_type>SIP</device_type>",
        &format!("    <device_id>{}</device_id>", s.device_id),
        "    <caller_id>37060000001</caller_id>",
        "    <username>101</username>",
        &format!("    <password>{}</password>", s.secret),
        &format!("    <pin>{pin}</pin>"),
        "    <server_ip>127.0.0.1</server_ip>",
        "    <registration_notice>*ATTENTION! These settings are for you to configure your DEVICE. ",
        "In order to login to this system you need to use settings you have entered before!</registration_notice>",
        "  </user_device_settings>",
        "</page>",
    ]);
    assert_eq!(reply.body, expected);
}

#[tokio::test]
async fn registration_success_has_no_email_element_when_sending_is_off() {
    let app = open_app().await;
    let reply = sign_up(&app, "registration", &Form::admin(&app)).await;
    assert!(!reply.body.contains("<email>"), "{}", reply.body);
    assert_eq!(reply.body, success_for(&app, "registration", "john", &Shown::default()));
}

#[tokio::test]
async fn user_register_success_has_email_first_when_sending_is_on() {
    let app = open_app().await;
    app.set("send_email_to_user_after_registration", "1").await;
    let reply = sign_up(&app, "user_register", &Form::admin(&app)).await;
    let shown = Shown {
        email: Some("john@example.com"),
        ..Shown::default()
    };
    assert_eq!(reply.body, success_for(&app, "user_register", "john", &shown));
}

#[tokio::test]
async fn user_register_success_omits_caller_id_when_none_is_sent() {
    let app = open_app().await;
    let reply = sign_up(&app, "user_register", &Form::admin(&app)).await;
    assert!(!reply.body.contains("<caller_id>"), "{}", reply.body);
    assert_eq!(
        reply.body,
        success_for(&app, "user_register", "john", &Shown::default())
    );
}

#[tokio::test]
async fn registration_success_never_shows_user_id_device_id_or_caller_id() {
    let app = open_app().await;
    let form = Form::admin(&app).with("caller_id", "37060000001");
    let reply = sign_up(&app, "registration", &form).await;
    assert_eq!(reply.body, success_for(&app, "registration", "john", &Shown::default()));
}

#[tokio::test]
async fn registration_notice_setting_turns_br_tags_into_newlines_and_drops_other_tags() {
    let app = open_app().await;
    app.set(
        "registration_notice",
        "Welcome <b>aboard</b>!<br>Line two<br/>Line three<br />Call 1 & 2 <i>now</i>",
    )
    .await;
    let notice = "Welcome aboard!\nLine two\nLine three\nCall 1 &amp; 2 now";
    let shown = Shown {
        notice,
        ..Shown::default()
    };
    let reply = sign_up(&app, "registration", &Form::admin(&app)).await;
    assert_eq!(reply.body, success_for(&app, "registration", "john", &shown));
    let reply = sign_up(&app, "user_register", &Form::person(&app.admin_uniquehash, "mary")).await;
    assert_eq!(reply.body, success_for(&app, "user_register", "mary", &shown));
}

#[tokio::test]
async fn resellers_sign_up_shows_the_resellers_own_registration_notice() {
    let app = open_app().await;
    let (_, hash) = reseller(&app).await;
    app.set_for(
        Some("reseller1"),
        "registration_notice",
        "Reseller notice<br>second line",
    )
    .await;
    let reply = sign_up_with(&app, "registration", &Form::new(&hash), "resellerkey1").await;
    let shown = Shown {
        notice: "Reseller notice\nsecond line",
        ..Shown::default()
    };
    assert_eq!(reply.body, success_for(&app, "registration", "john", &shown));
    // admin's own sign-ups keep the default text
    let reply = sign_up(&app, "registration", &Form::person(&app.admin_uniquehash, "mary")).await;
    assert_eq!(reply.body, success_for(&app, "registration", "mary", &Shown::default()));
}

#[tokio::test]
async fn asterisk_server_ip_setting_is_the_server_ip_on_both_endpoints() {
    let app = open_app().await;
    app.set("asterisk_server_ip", "10.20.30.40").await;
    let shown = Shown {
        server_ip: "10.20.30.40",
        ..Shown::default()
    };
    let reply = sign_up(&app, "registration", &Form::admin(&app)).await;
    assert_eq!(reply.body, success_for(&app, "registration", "john", &shown));
    let reply = sign_up(&app, "user_register", &Form::person(&app.admin_uniquehash, "mary")).await;
    assert_eq!(reply.body, success_for(&app, "user_register", "mary", &shown));
}

#[tokio::test]
async fn device_pin_length_setting_sets_the_pin_length() {
    let app = open_app().await;
    app.set("device_pin_length", "4").await;
    let s = assert_signed_up(&app, "registration", &Form::admin(&app)).await;
    let pin = s.pin.expect("a PIN");
    assert!(pin.len() == 4 && pin.bytes().all(|b| b.is_ascii_digit()), "pin {pin:?}");
}

#[tokio::test]
async fn successive_sign_ups_get_the_next_free_extension() {
    let app = open_app().await;
    let first = assert_signed_up(&app, "registration", &Form::admin(&app)).await;
    let second = assert_signed_up(&app, "user_register", &Form::person(&app.admin_uniquehash, "mary")).await;
    assert_eq!((first.username.as_str(), first.extension.as_str()), ("101", "101"));
    assert_eq!((second.username.as_str(), second.extension.as_str()), ("102", "102"));
    assert_ne!(first.pin, second.pin);
}

#[tokio::test]
async fn device_type_is_case_insensitive_and_stored_canonical() {
    let app = open_app().await;
    let id = app.admin_uniquehash.clone();
    let s = assert_signed_up(
        &app,
        "registration",
        &Form::person(&id, "ann").with("device_type", "iax2"),
    )
    .await;
    assert_eq!(s.device_type, "IAX2");
    let s = assert_signed_up(
        &app,
        "user_register",
        &Form::person(&id, "bob").with("device_type", "sip"),
    )
    .await;
    assert_eq!(s.device_type, "SIP");
    let s = assert_signed_up(
        &app,
        "registration",
        &Form::person(&id, "cid").with("device_type", "virtual"),
    )
    .await;
    assert_eq!(s.device_type, "Virtual");
}

#[tokio::test]
async fn success_sends_the_mor_headers() {
    let app = open_app().await;
    let reply = sign_up(&app, "registration", &Form::admin(&app)).await;
    assert_eq!(reply.header("content-type"), Some("text/html; charset=utf-8"));
    assert_eq!(
        reply.header("content-disposition"),
        Some("attachment; filename=\"mor_api_response.html\"")
    );
}

// ---------------------------------------------------------------------------------------------
// pre-checks (spec A.4, B)

#[tokio::test]
async fn a_wrong_hash_answers_incorrect_hash_in_the_generic_envelope_on_both_endpoints() {
    let app = open_app().await;
    for method in BOTH {
        let reply = sign_up_hashed(&app, method, &Form::admin(&app), &"0".repeat(40)).await;
        assert_eq!(reply.body, status_error("Incorrect hash"), "{method}");
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM users WHERE username = 'john'"), 0);
}

#[tokio::test]
async fn a_missing_hash_answers_incorrect_hash_on_both_endpoints() {
    let app = open_app().await;
    for method in BOTH {
        let reply = app.call(method, &Form::admin(&app).pairs()).await;
        assert_eq!(reply.status, 200);
        assert_eq!(reply.body, status_error("Incorrect hash"), "{method}");
    }
}

#[tokio::test]
async fn a_hash_made_with_another_key_answers_incorrect_hash() {
    let app = open_app().await;
    for method in BOTH {
        let reply = sign_up_with(&app, method, &Form::admin(&app), "not-the-key").await;
        assert_eq!(reply.body, status_error("Incorrect hash"), "{method}");
    }
}

#[tokio::test]
async fn api_disabled_answers_api_requests_are_disabled_on_both_endpoints() {
    let app = open_app().await;
    app.set("allow_api", "0").await;
    for method in BOTH {
        let reply = sign_up(&app, method, &Form::admin(&app)).await;
        assert_eq!(reply.body, status_error("API Requests are disabled"), "{method}");
    }
}

#[tokio::test]
async fn get_is_refused_with_get_requests_are_disabled_on_both_endpoints() {
    let app = open_app().await;
    let form = Form::admin(&app);
    for method in BOTH {
        let hash = app.hash_with(method, &form.pairs(), SECRET);
        let reply = app
            .get(&format!("/api/{method}"), &form.clone().with("hash", &hash).pairs())
            .await;
        assert_eq!(reply.status, 200);
        assert_eq!(reply.body, status_error("GET Requests are disabled"), "{method}");
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM users WHERE username = 'john'"), 0);
}

#[tokio::test]
async fn get_signs_up_when_allow_get_api_is_on() {
    let app = open_app().await;
    app.set("allow_get_api", "1").await;
    let form = Form::admin(&app);
    let hash = app.hash_with("registration", &form.pairs(), SECRET);
    let reply = app
        .get("/api/registration", &form.clone().with("hash", &hash).pairs())
        .await;
    assert_eq!(reply.body, success_for(&app, "registration", "john", &Shown::default()));
}

#[tokio::test]
async fn prechecks_answer_before_the_registration_switch() {
    let app = TestApp::new().await; // api_allow_registration stays 0
    for method in BOTH {
        let reply = sign_up_hashed(&app, method, &Form::admin(&app), &"0".repeat(40)).await;
        assert_eq!(reply.body, status_error("Incorrect hash"), "{method}");
    }
}

#[tokio::test]
async fn disabled_hash_checking_accepts_a_sign_up_without_hash() {
    let app = open_app().await;
    app.set("disable_hash_checking", "1").await;
    let reply = app.call("registration", &Form::admin(&app).pairs()).await;
    assert_eq!(reply.body, success_for(&app, "registration", "john", &Shown::default()));
}

#[tokio::test]
async fn spec_vector_for_the_primary_list_is_accepted_on_both_endpoints() {
    for method in BOTH {
        let app = open_app().await;
        app.exec("UPDATE users SET uniquehash = 'hfttv7bcqt' WHERE id = 0", p![]);
        let form = Form::new("hfttv7bcqt");
        assert_eq!(
            app.hash_with(method, &form.pairs(), SECRET),
            "07e4a5195113fbebfa7b3cb258569ace3e4d56f0"
        );
        let reply = sign_up_hashed(&app, method, &form, "07e4a5195113fbebfa7b3cb258569ace3e4d56f0").await;
        assert_eq!(
            reply.body,
            success_for(&app, method, "john", &Shown::default()),
            "{method}"
        );
    }
}

#[tokio::test]
async fn primary_list_over_all_ten_hashed_params_in_table_order_is_accepted() {
    let app = open_app().await;
    let id = app.admin_uniquehash.clone();
    let form = Form::admin(&app)
        .with("lcr_id", "1")
        .with("caller_id", "37060000001")
        .with("state", "Vilnius")
        .with("device_location_id", "1")
        .with("phone", "123")
        .with("city", "Kaunas");
    let string = format!("john@example.com{id}1SIPjohnJohnDoe37060000001Vilnius1secret");
    let reply = sign_up_hashed(&app, "user_register", &form, &sha1_hex(&string)).await;
    let shown = Shown {
        caller_id: Some("37060000001"),
        ..Shown::default()
    };
    assert_eq!(reply.body, success_for(&app, "user_register", "john", &shown));
}

#[tokio::test]
async fn php_client_hash_list_is_accepted_even_when_other_hashed_params_are_present() {
    let app = open_app().await;
    let id = app.admin_uniquehash.clone();
    let form = Form::admin(&app)
        .with("lcr_id", "1")
        .with("caller_id", "37060000001")
        .with("state", "Vilnius")
        .with("device_location_id", "1");
    let php = sha1_hex(&format!("john@example.com{id}SIPjohnJohnDoesecret"));
    let reply = sign_up_hashed(&app, "registration", &form, &php).await;
    assert_eq!(reply.body, success_for(&app, "registration", "john", &Shown::default()));
    let form = Form::person(&id, "mary").with("state", "Vilnius");
    let php = sha1_hex(&format!("mary@example.com{id}SIPmaryJohnDoesecret"));
    let reply = sign_up_hashed(&app, "user_register", &form, &php).await;
    assert_eq!(
        reply.body,
        success_for(&app, "user_register", "mary", &Shown::default())
    );
}

#[tokio::test]
async fn present_empty_hashed_params_add_an_empty_value_to_the_hash() {
    let app = open_app().await;
    let id = app.admin_uniquehash.clone();
    let form = Form::admin(&app).with("state", "");
    let reply = sign_up_hashed(
        &app,
        "registration",
        &form,
        &sha1_hex(&format!("john@example.com{id}SIPjohnJohnDoesecret")),
    )
    .await;
    assert_eq!(reply.body, success_for(&app, "registration", "john", &Shown::default()));
}

#[tokio::test]
async fn resellers_sign_up_form_is_hashed_with_the_resellers_own_key() {
    let app = open_app().await;
    let (reseller_id, hash) = reseller(&app).await;
    let form = Form::new(&hash);
    let reply = sign_up_with(&app, "registration", &form, "resellerkey1").await;
    assert_eq!(reply.body, success_for(&app, "registration", "john", &Shown::default()));
    assert_eq!(signup(&app, "john").owner_id, reseller_id);
    let reply = sign_up_with(&app, "user_register", &Form::person(&hash, "mary"), "wrongkey99").await;
    assert_eq!(reply.body, status_error("Incorrect hash"));
}

#[tokio::test]
async fn resellers_sign_up_accepts_admins_key_while_admins_api_is_on() {
    let app = open_app().await;
    let (_, hash) = reseller(&app).await;
    let reply = sign_up_with(&app, "user_register", &Form::new(&hash), SECRET).await;
    assert_eq!(
        reply.body,
        success_for(&app, "user_register", "john", &Shown::default())
    );
}

#[tokio::test]
async fn resellers_sign_up_refuses_admins_key_while_admins_api_is_off() {
    let app = open_app().await;
    let (_, hash) = reseller(&app).await;
    app.set("allow_api", "0").await;
    app.set_for(Some("reseller1"), "allow_api", "1").await;
    let reply = sign_up_with(&app, "registration", &Form::new(&hash), SECRET).await;
    assert_eq!(reply.body, status_error("Incorrect hash"));
    // the reseller's own API switch lets its own key through
    let reply = sign_up_with(&app, "registration", &Form::new(&hash), "resellerkey1").await;
    assert_eq!(reply.body, success_for(&app, "registration", "john", &Shown::default()));
    // while admin's own sign-up form is closed by admin's switch
    let reply = sign_up(&app, "registration", &Form::person(&app.admin_uniquehash, "mary")).await;
    assert_eq!(reply.body, status_error("API Requests are disabled"));
}

#[tokio::test]
async fn reseller_without_any_key_answers_api_must_have_secret_key() {
    let app = open_app().await;
    let (_, hash) = reseller(&app).await;
    app.set("allow_api", "0").await;
    app.set_for(Some("reseller1"), "allow_api", "1").await;
    app.set_for(Some("reseller1"), "api_secret_key", "").await;
    for method in BOTH {
        let reply = sign_up_with(&app, method, &Form::new(&hash), "resellerkey1").await;
        assert_eq!(reply.body, status_error("API must have Secret Key"), "{method}");
    }
}

#[tokio::test]
async fn unknown_id_skips_the_prechecks_and_answers_the_methods_own_message() {
    let app = open_app().await;
    app.set("allow_api", "0").await;
    let form = Form::new("nosuchhash");
    let reply = sign_up_hashed(&app, "registration", &form, "bad").await;
    assert_eq!(reply.body, page_error("Dont be so smart"));
    let reply = sign_up_hashed(&app, "user_register", &form, "bad").await;
    assert_eq!(reply.body, page_status_error("Access Denied"));
}

// ---------------------------------------------------------------------------------------------
// check 1: the owner

#[tokio::test]
async fn registration_with_unknown_id_answers_dont_be_so_smart() {
    let app = open_app().await;
    assert_refused_by(&app, "registration", &Form::new("zzzzzzzzzz"), "Dont be so smart").await;
}

#[tokio::test]
async fn user_register_with_unknown_id_answers_access_denied() {
    let app = open_app().await;
    assert_refused_by(&app, "user_register", &Form::new("zzzzzzzzzz"), "Access Denied").await;
}

#[tokio::test]
async fn registration_without_id_answers_dont_be_so_smart() {
    let app = open_app().await;
    for form in [
        Form::admin(&app).without("id"),
        Form::admin(&app).with("id", ""),
        Form::admin(&app).with("id", "  "),
    ] {
        assert_refused_by(&app, "registration", &form, "Dont be so smart").await;
    }
}

#[tokio::test]
async fn user_register_without_id_signs_up_for_admin() {
    let app = open_app().await;
    let s = assert_signed_up(&app, "user_register", &Form::admin(&app).without("id")).await;
    assert_eq!(s.owner_id, 0);
    let s = assert_signed_up(&app, "user_register", &Form::person("", "mary")).await;
    assert_eq!(s.owner_id, 0);
}

#[tokio::test]
async fn id_matches_the_uniquehash_exactly() {
    let app = open_app().await;
    app.exec("UPDATE users SET uniquehash = 'hfttv7bcqt' WHERE id = 0", p![]);
    assert_refused_by(&app, "registration", &Form::new("HFTTV7BCQT"), "Dont be so smart").await;
    assert_refused_by(&app, "user_register", &Form::new("HFTTV7BCQT"), "Access Denied").await;
    assert_refused_by(&app, "registration", &Form::new(" hfttv7bcqt"), "Dont be so smart").await;
}

#[tokio::test]
async fn an_accountants_uniquehash_matches_no_owner() {
    let app = open_app().await;
    let (_, hash) = app.user("acc1", "accountant").await;
    assert_refused_by(&app, "registration", &Form::new(&hash), "Dont be so smart").await;
    assert_refused_by(&app, "user_register", &Form::new(&hash), "Access Denied").await;
}

#[tokio::test]
async fn a_plain_users_uniquehash_matches_no_owner() {
    let app = open_app().await;
    let (_, hash) = app.user("plain1", "user").await;
    assert_refused_by(&app, "registration", &Form::new(&hash), "Dont be so smart").await;
    assert_refused_by(&app, "user_register", &Form::new(&hash), "Access Denied").await;
}

#[tokio::test]
async fn a_blocked_resellers_uniquehash_matches_no_owner() {
    let app = open_app().await;
    let (id, hash) = reseller(&app).await;
    app.exec(&format!("UPDATE users SET blocked = 1 WHERE id = {id}"), p![]);
    let form = Form::new(&hash);
    let reply = sign_up_with(&app, "registration", &form, "resellerkey1").await;
    assert_eq!(reply.body, page_error("Dont be so smart"));
    let reply = sign_up_with(&app, "user_register", &form, "resellerkey1").await;
    assert_eq!(reply.body, page_status_error("Access Denied"));
}

// ---------------------------------------------------------------------------------------------
// check 2: the sign-up switch

#[tokio::test]
async fn sign_up_switch_off_answers_registration_over_api_is_disabled() {
    let app = TestApp::new().await;
    assert_refused(&app, &Form::admin(&app), "Registration over API is disabled").await;
}

#[tokio::test]
async fn sign_up_switch_is_read_in_the_owners_scope() {
    let app = open_app().await;
    let (_, hash) = reseller(&app).await;
    app.set_for(Some("reseller1"), "api_allow_registration", "0").await;
    for method in BOTH {
        let reply = sign_up_with(&app, method, &Form::new(&hash), "resellerkey1").await;
        assert_eq!(
            reply.body,
            method_error(method, "Registration over API is disabled"),
            "{method}"
        );
    }
    // the reseller's own switch on while admin's is off
    app.set("api_allow_registration", "0").await;
    app.set_for(Some("reseller1"), "api_allow_registration", "1").await;
    assert_refused(&app, &Form::admin(&app), "Registration over API is disabled").await;
    let reply = sign_up_with(&app, "registration", &Form::new(&hash), "resellerkey1").await;
    assert_eq!(reply.body, success_for(&app, "registration", "john", &Shown::default()));
}

#[tokio::test]
async fn a_reseller_without_its_own_switch_inherits_admins() {
    let app = open_app().await;
    let (_, hash) = app.user("reseller1", "reseller").await;
    let reply = sign_up(&app, "user_register", &Form::new(&hash)).await;
    assert_eq!(
        reply.body,
        success_for(&app, "user_register", "john", &Shown::default())
    );
}

// ---------------------------------------------------------------------------------------------
// checks 3–10: username and password

#[tokio::test]
async fn blank_username_answers_please_enter_username() {
    let app = open_app().await;
    assert_refused(&app, &Form::admin(&app).without("username"), "Please enter username").await;
    assert_refused(&app, &Form::admin(&app).with("username", ""), "Please enter username").await;
    assert_refused(
        &app,
        &Form::admin(&app).with("username", "   "),
        "Please enter username",
    )
    .await;
}

#[tokio::test]
async fn a_taken_username_answers_such_username_is_already_taken_case_insensitively() {
    let app = open_app().await;
    app.user("John", "user").await;
    assert_refused(&app, &Form::admin(&app), "Such username is already taken").await;
    assert_refused(
        &app,
        &Form::admin(&app).with("username", "JOHN"),
        "Such username is already taken",
    )
    .await;
    assert_refused(
        &app,
        &Form::admin(&app).with("username", "Admin"),
        "Such username is already taken",
    )
    .await;
}

#[tokio::test]
async fn a_username_signed_up_before_is_taken() {
    let app = open_app().await;
    assert_signed_up(&app, "registration", &Form::admin(&app)).await;
    let again = Form::admin(&app)
        .with("username", "jOhN")
        .with("email", "other@example.com");
    assert_refused(&app, &again, "Such username is already taken").await;
}

#[tokio::test]
async fn different_passwords_answer_passwords_do_not_match() {
    let app = open_app().await;
    assert_refused(
        &app,
        &Form::admin(&app).with("password2", "Sunny2024y"),
        "Passwords do not match",
    )
    .await;
    assert_refused(&app, &Form::admin(&app).without("password2"), "Passwords do not match").await;
}

#[tokio::test]
async fn credentials_mode_refuses_passwords_shorter_than_8_unless_short_device_passwords_are_allowed() {
    let app = open_app().await;
    app.set("use_registration_credentials_for_device", "1").await;
    let form = Form::admin(&app)
        .with("password", "Abc1234")
        .with("password2", "Abc1234");
    assert_refused(
        &app,
        &form,
        "Password must be longer than 7 characters or short passwords in Devices should be allowed",
    )
    .await;
    app.set("allow_short_passwords_in_devices", "1").await;
    let reply = sign_up(&app, "registration", &form).await;
    assert_eq!(reply.body, success_for(&app, "registration", "john", &Shown::default()));
}

#[tokio::test]
async fn strong_passwords_refuse_a_password_without_digit_capital_and_lowercase() {
    let app = open_app().await;
    app.set("use_strong_passwords_for_users", "1").await;
    let message = "Password must contain at least one numeric value, capital and lowercase symbol";
    for weak in ["sunnyday2024", "SUNNYDAY2024", "SunnyDayNoon"] {
        assert_refused(
            &app,
            &Form::admin(&app).with("password", weak).with("password2", weak),
            message,
        )
        .await;
    }
}

#[tokio::test]
async fn strong_passwords_generate_a_secret_of_four_lower_four_upper_four_digits() {
    let app = open_app().await;
    app.set("use_strong_passwords_for_users", "1").await;
    let s = assert_signed_up(&app, "registration", &Form::admin(&app)).await;
    let secret = s.secret;
    assert_eq!(secret.chars().count(), 12, "{secret}");
    assert_eq!(
        secret
            .chars()
            .filter(|c| "abcdefghjkmnpqrstuvwxyz".contains(*c))
            .count(),
        4,
        "{secret}"
    );
    assert_eq!(
        secret
            .chars()
            .filter(|c| "ABCDEFGHJKMNPQRSTUVWXYZ".contains(*c))
            .count(),
        4,
        "{secret}"
    );
    assert_eq!(
        secret.chars().filter(|c| "23456789".contains(*c)).count(),
        4,
        "{secret}"
    );
}

#[tokio::test]
async fn registration_short_password_answers_password_is_too_shorth() {
    let app = open_app().await;
    let form = Form::admin(&app).with("password", "Ab3de").with("password2", "Ab3de");
    assert_refused_by(&app, "registration", &form, "Password is too shorth").await;
}

#[tokio::test]
async fn user_register_short_password_answers_password_must_be_longer_than_5_characters() {
    let app = open_app().await;
    let form = Form::admin(&app).with("password", "Ab3de").with("password2", "Ab3de");
    assert_refused_by(
        &app,
        "user_register",
        &form,
        "Password must be longer than 5 characters",
    )
    .await;
}

#[tokio::test]
async fn empty_passwords_are_too_short() {
    let app = open_app().await;
    let form = Form::admin(&app).with("password", "").with("password2", "");
    assert_refused_by(&app, "registration", &form, "Password is too shorth").await;
    assert_refused_by(
        &app,
        "user_register",
        &form,
        "Password must be longer than 5 characters",
    )
    .await;
}

#[tokio::test]
async fn password_length_setting_of_8_raises_the_minimum_to_8() {
    let app = open_app().await;
    app.set("default_user_password_length", "8").await;
    let form = Form::admin(&app)
        .with("password", "Abc1234")
        .with("password2", "Abc1234");
    assert_refused_by(&app, "registration", &form, "Password is too shorth").await;
    assert_refused_by(
        &app,
        "user_register",
        &form,
        "Password must be longer than 7 characters",
    )
    .await;
    let form = Form::admin(&app)
        .with("password", "Abc12345")
        .with("password2", "Abc12345");
    assert_signed_up(&app, "user_register", &form).await;
}

#[tokio::test]
async fn password_length_setting_below_6_keeps_the_minimum_at_6() {
    let app = open_app().await;
    app.set("default_user_password_length", "3").await;
    let form = Form::admin(&app).with("password", "Ab3de").with("password2", "Ab3de");
    assert_refused_by(
        &app,
        "user_register",
        &form,
        "Password must be longer than 5 characters",
    )
    .await;
    let form = Form::admin(&app).with("password", "Ab3def").with("password2", "Ab3def");
    assert_signed_up(&app, "registration", &form).await;
}

#[tokio::test]
async fn strong_passwords_raise_the_minimum_to_8() {
    let app = open_app().await;
    app.set("use_strong_passwords_for_users", "1").await;
    let form = Form::admin(&app)
        .with("password", "Abc1234")
        .with("password2", "Abc1234");
    assert_refused_by(&app, "registration", &form, "Password is too shorth").await;
    assert_refused_by(
        &app,
        "user_register",
        &form,
        "Password must be longer than 7 characters",
    )
    .await;
}

#[tokio::test]
async fn a_short_username_answers_username_must_be_longer_than_n_characters() {
    let app = open_app().await;
    app.set("default_user_username_length", "5").await;
    let form = Form::admin(&app).with("username", "jodi");
    assert_refused(&app, &form, "Username must be longer than 4 characters").await;
    assert_signed_up(&app, "registration", &Form::admin(&app).with("username", "jodie")).await;
}

#[tokio::test]
async fn password_equal_to_username_answers_please_enter_password_not_equal_to_username() {
    let app = open_app().await;
    let form = Form::admin(&app)
        .with("username", "Johnny77")
        .with("password", "Johnny77")
        .with("password2", "Johnny77");
    assert_refused(&app, &form, "Please enter password not equal to username").await;
}

#[tokio::test]
async fn password_equal_to_username_compares_exactly() {
    let app = open_app().await;
    let form = Form::admin(&app)
        .with("username", "johnny77")
        .with("password", "JOHNNY77")
        .with("password2", "JOHNNY77");
    assert_signed_up(&app, "registration", &form).await;
}

// ---------------------------------------------------------------------------------------------
// checks 11–13: names, user type

#[tokio::test]
async fn blank_first_name_answers_please_enter_first_name() {
    let app = open_app().await;
    assert_refused(
        &app,
        &Form::admin(&app).without("first_name"),
        "Please enter first name",
    )
    .await;
    assert_refused(
        &app,
        &Form::admin(&app).with("first_name", " "),
        "Please enter first name",
    )
    .await;
}

#[tokio::test]
async fn blank_last_name_answers_please_enter_last_name() {
    let app = open_app().await;
    assert_refused(&app, &Form::admin(&app).without("last_name"), "Please enter last name").await;
    assert_refused(&app, &Form::admin(&app).with("last_name", ""), "Please enter last name").await;
}

#[tokio::test]
async fn reseller_or_accountant_without_permission_group_answers_permission_group_was_not_selected() {
    let app = open_app().await;
    for usertype in ["reseller", "accountant"] {
        let form = Form::admin(&app).with("usertype", usertype);
        assert_refused(&app, &form, "Permission Group was not selected").await;
        assert_refused(
            &app,
            &form.with("permission_group", " "),
            "Permission Group was not selected",
        )
        .await;
    }
}

#[tokio::test]
async fn a_permission_group_of_another_type_or_unknown_answers_permission_group_was_not_found() {
    let app = open_app().await;
    let reseller_group = insert_group(&app, "Resellers", "reseller");
    let accountant_group = insert_group(&app, "Accountants", "accountant");
    let cases = [
        ("reseller", accountant_group.to_string()),
        ("accountant", reseller_group.to_string()),
        ("reseller", "999".to_string()),
        ("accountant", "abc".to_string()),
    ];
    for (usertype, group) in cases {
        let form = Form::admin(&app)
            .with("usertype", usertype)
            .with("permission_group", &group);
        assert_refused(&app, &form, "Permission Group was not Found").await;
    }
}

#[tokio::test]
async fn admins_sign_up_creates_a_reseller_in_its_group_with_copies_of_admins_templates() {
    let app = open_app().await;
    let group = insert_group(&app, "Resellers", "reseller");
    let form = Form::admin(&app)
        .with("usertype", "reseller")
        .with("permission_group", &group.to_string());
    let s = assert_signed_up(&app, "user_register", &form).await;
    assert_eq!(s.usertype, "reseller");
    assert_eq!(s.owner_id, 0);
    assert_eq!(user_int(&app, "john", "acc_group_id"), group);
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM default_users WHERE owner_id = {}",
            s.user_id
        )),
        1
    );
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM default_devices WHERE owner_id = {}",
            s.user_id
        )),
        1
    );
}

#[tokio::test]
async fn admins_sign_up_creates_an_accountant_in_its_group() {
    let app = open_app().await;
    let group = insert_group(&app, "Accountants", "accountant");
    let form = Form::admin(&app)
        .with("usertype", "accountant")
        .with("permission_group", &group.to_string());
    let s = assert_signed_up(&app, "registration", &form).await;
    assert_eq!(s.usertype, "accountant");
    assert_eq!(user_int(&app, "john", "acc_group_id"), group);
}

#[tokio::test]
async fn any_other_usertype_signs_up_a_plain_user() {
    let app = open_app().await;
    let id = app.admin_uniquehash.clone();
    let s = assert_signed_up(
        &app,
        "registration",
        &Form::person(&id, "ann").with("usertype", "admin"),
    )
    .await;
    assert_eq!(s.usertype, "user");
    let s = assert_signed_up(
        &app,
        "registration",
        &Form::person(&id, "bob").with("usertype", "Reseller"),
    )
    .await;
    assert_eq!(s.usertype, "user");
}

#[tokio::test]
async fn a_resellers_sign_up_ignores_usertype_and_creates_a_plain_user() {
    let app = open_app().await;
    let (reseller_id, hash) = reseller(&app).await;
    let form = Form::new(&hash).with("usertype", "reseller");
    let reply = sign_up_with(&app, "registration", &form, "resellerkey1").await;
    assert_eq!(reply.body, success_for(&app, "registration", "john", &Shown::default()));
    let s = signup(&app, "john");
    assert_eq!((s.usertype.as_str(), s.owner_id), ("user", reseller_id));
}

// ---------------------------------------------------------------------------------------------
// checks 14–17: country, e-mail, phones

#[tokio::test]
async fn blank_or_unknown_country_answers_please_select_country() {
    let app = open_app().await;
    assert_refused(&app, &Form::admin(&app).without("country_id"), "Please select country").await;
    for country in ["", " ", "0", "9999", "abc", "250"] {
        assert_refused(
            &app,
            &Form::admin(&app).with("country_id", country),
            "Please select country",
        )
        .await;
    }
}

#[tokio::test]
async fn first_and_last_country_ids_are_accepted() {
    let app = open_app().await;
    let id = app.admin_uniquehash.clone();
    assert_signed_up(&app, "registration", &Form::person(&id, "ann").with("country_id", "1")).await;
    assert_signed_up(
        &app,
        "user_register",
        &Form::person(&id, "bob").with("country_id", "249"),
    )
    .await;
    assert_eq!(user_int(&app, "ann", "country_id"), 1);
    assert_eq!(user_int(&app, "bob", "country_id"), 249);
}

#[tokio::test]
async fn blank_or_invalid_email_answers_please_enter_email() {
    let app = open_app().await;
    assert_refused(&app, &Form::admin(&app).without("email"), "Please enter email").await;
    let long = format!("{}@example.com", "a".repeat(243)); // 255 characters
    let invalid = [
        "",
        "  ",
        "john",
        "john@",
        "@example.com",
        "john@localhost",
        "jo hn@example.com",
        "john@@example.com",
        "a@b@example.com",
        "john@exa_mple.com",
        "john@example..com",
        "john@.example.com",
        "john@example.com.",
        long.as_str(),
    ];
    for email in invalid {
        assert_refused(&app, &Form::admin(&app).with("email", email), "Please enter email").await;
    }
}

#[tokio::test]
async fn an_email_of_254_characters_is_valid() {
    let app = open_app().await;
    let email = format!("{}@example.com", "a".repeat(242));
    assert_eq!(email.len(), 254);
    assert_signed_up(&app, "registration", &Form::admin(&app).with("email", &email)).await;
}

#[tokio::test]
async fn an_email_in_use_answers_this_email_address_is_already_in_use_case_insensitively() {
    let app = open_app().await;
    app.user_with(UserSpec {
        username: "existing".into(),
        password: "existing-pass1".into(),
        usertype: "user".into(),
        first_name: "Ex".into(),
        last_name: "Isting".into(),
        email: "John@Example.COM".into(),
        ..UserSpec::default()
    })
    .await;
    assert_refused(&app, &Form::admin(&app), "This email address is already in use").await;
}

#[tokio::test]
async fn an_email_signed_up_before_is_in_use() {
    let app = open_app().await;
    assert_signed_up(&app, "registration", &Form::admin(&app)).await;
    let again = Form::admin(&app)
        .with("username", "mary")
        .with("email", "JOHN@example.com");
    assert_refused(&app, &again, "This email address is already in use").await;
}

#[tokio::test]
async fn identical_emails_are_allowed_when_the_setting_is_on() {
    let app = open_app().await;
    app.set("allow_identical_email_addresses_to_different_users", "1").await;
    assert_signed_up(&app, "registration", &Form::admin(&app)).await;
    let again = Form::admin(&app)
        .with("username", "mary")
        .with("email", "John@Example.com");
    assert_signed_up(&app, "user_register", &again).await;
    assert_eq!(
        app.count("SELECT COUNT(*) FROM users WHERE lower(email) = 'john@example.com'"),
        2
    );
}

#[tokio::test]
async fn phone_digits_already_a_cli_answer_user_with_phone_already_exists() {
    let app = open_app().await;
    let first = Form::admin(&app)
        .with("mob_phone", "+370 600 00001")
        .with("phone", "(8-5) 2123456")
        .with("fax", "8 5 2654321");
    assert_signed_up(&app, "registration", &first).await;
    let id = app.admin_uniquehash.clone();
    let cases = [
        ("mob_phone", "370-600-00001", "User with mobile phone already exists"),
        ("mob_phone", "852654321", "User with mobile phone already exists"),
        ("phone", "852123456", "User with phone already exists"),
        ("phone", "+37060000001", "User with phone already exists"),
        ("fax", "852654321", "User with fax already exists"),
        ("fax", "8 52 123456", "User with fax already exists"),
    ];
    for (param, value, message) in cases {
        assert_refused(&app, &Form::person(&id, "mary").with(param, value), message).await;
    }
}

#[tokio::test]
async fn phones_are_checked_mobile_then_phone_then_fax() {
    let app = open_app().await;
    let first = Form::admin(&app)
        .with("mob_phone", "111111")
        .with("phone", "222222")
        .with("fax", "333333");
    assert_signed_up(&app, "registration", &first).await;
    let id = app.admin_uniquehash.clone();
    let all = Form::person(&id, "mary")
        .with("fax", "333333")
        .with("phone", "222222")
        .with("mob_phone", "111111");
    assert_refused(&app, &all, "User with mobile phone already exists").await;
    let two = Form::person(&id, "mary").with("fax", "333333").with("phone", "222222");
    assert_refused(&app, &two, "User with phone already exists").await;
}

// ---------------------------------------------------------------------------------------------
// checks 18–23: device type, references, templates, VAT

#[tokio::test]
async fn blank_or_unaccepted_device_type_answers_enter_device_type() {
    let app = open_app().await;
    assert_refused(&app, &Form::admin(&app).without("device_type"), "Enter device type").await;
    for device_type in ["", " ", "PJSIP", "Skype", "FAX", "H323", "dahdi", "SIPX"] {
        assert_refused(
            &app,
            &Form::admin(&app).with("device_type", device_type),
            "Enter device type",
        )
        .await;
    }
}

#[tokio::test]
async fn an_lcr_not_of_the_owner_answers_lcr_was_not_found() {
    let app = open_app().await;
    let (reseller_id, _) = app.user("reseller1", "reseller").await;
    let resellers_lcr = insert_owned(&app, "lcrs", "Reseller LCR", reseller_id);
    for lcr in [
        "999".to_string(),
        "abc".to_string(),
        "".to_string(),
        "-1".to_string(),
        resellers_lcr.to_string(),
    ] {
        assert_refused(&app, &Form::admin(&app).with("lcr_id", &lcr), "LCR was not found").await;
    }
}

#[tokio::test]
async fn an_lcr_of_the_owner_is_stored_on_the_user() {
    let app = open_app().await;
    let lcr = insert_owned(&app, "lcrs", "Second", 0);
    assert_signed_up(
        &app,
        "registration",
        &Form::admin(&app).with("lcr_id", &lcr.to_string()),
    )
    .await;
    assert_eq!(user_int(&app, "john", "lcr_id"), lcr);
}

#[tokio::test]
async fn an_unknown_device_location_answers_location_was_not_found() {
    let app = open_app().await;
    for location in ["999", "abc"] {
        assert_refused(
            &app,
            &Form::admin(&app).with("device_location_id", location),
            "Location was not found",
        )
        .await;
    }
}

#[tokio::test]
async fn another_resellers_location_answers_location_was_not_found() {
    let app = open_app().await;
    let (_, hash) = reseller(&app).await;
    let (other_id, _) = app.user("reseller2", "reseller").await;
    let other_location = insert_owned(&app, "locations", "Other", other_id);
    let form = Form::new(&hash).with("device_location_id", &other_location.to_string());
    for method in BOTH {
        let reply = sign_up_with(&app, method, &form, "resellerkey1").await;
        assert_eq!(reply.body, method_error(method, "Location was not found"), "{method}");
    }
}

#[tokio::test]
async fn a_location_of_the_owner_or_of_admin_is_stored_on_the_device() {
    let app = open_app().await;
    let (reseller_id, hash) = reseller(&app).await;
    let own = insert_owned(&app, "locations", "Own", reseller_id);
    let form = Form::new(&hash).with("device_location_id", &own.to_string());
    let reply = sign_up_with(&app, "registration", &form, "resellerkey1").await;
    assert_eq!(reply.body, success_for(&app, "registration", "john", &Shown::default()));
    assert_eq!(signup(&app, "john").location_id, own);
    let admins = insert_owned(&app, "locations", "Admin's", 0);
    let form = Form::person(&hash, "mary").with("device_location_id", &admins.to_string());
    let reply = sign_up_with(&app, "registration", &form, "resellerkey1").await;
    assert_eq!(reply.body, success_for(&app, "registration", "mary", &Shown::default()));
    assert_eq!(signup(&app, "mary").location_id, admins);
}

#[tokio::test]
async fn an_unknown_tariff_answers_tariff_was_not_found() {
    let app = open_app().await;
    for tariff in ["999", "abc", ""] {
        assert_refused(&app, &Form::admin(&app).with("tariff", tariff), "Tariff was not found").await;
    }
}

#[tokio::test]
async fn a_resellers_sign_up_may_use_admins_tariff_only_when_allowed() {
    let app = open_app().await;
    let (reseller_id, hash) = reseller(&app).await;
    let form = Form::new(&hash).with("tariff", "1");
    for method in BOTH {
        let reply = sign_up_with(&app, method, &form, "resellerkey1").await;
        assert_eq!(reply.body, method_error(method, "Tariff was not found"), "{method}");
    }
    let own = insert_owned(&app, "tariffs", "Reseller tariff", reseller_id);
    let reply = sign_up_with(
        &app,
        "user_register",
        &form.clone().with("tariff", &own.to_string()),
        "resellerkey1",
    )
    .await;
    assert_eq!(
        reply.body,
        success_for(&app, "user_register", "john", &Shown::default())
    );
    assert_eq!(user_int(&app, "john", "tariff_id"), own);
    app.set("allow_resellers_to_use_admin_tariffs", "1").await;
    let reply = sign_up_with(
        &app,
        "registration",
        &Form::person(&hash, "mary").with("tariff", "1"),
        "resellerkey1",
    )
    .await;
    assert_eq!(reply.body, success_for(&app, "registration", "mary", &Shown::default()));
    assert_eq!(user_int(&app, "mary", "tariff_id"), 1);
}

#[tokio::test]
async fn admins_sign_up_refuses_a_resellers_tariff() {
    let app = open_app().await;
    let (reseller_id, _) = app.user("reseller1", "reseller").await;
    let theirs = insert_owned(&app, "tariffs", "Reseller tariff", reseller_id);
    assert_refused(
        &app,
        &Form::admin(&app).with("tariff", &theirs.to_string()),
        "Tariff was not found",
    )
    .await;
}

#[tokio::test]
async fn an_owner_without_default_user_template_answers_default_user_is_not_present() {
    let app = open_app().await;
    app.exec("DELETE FROM default_users WHERE owner_id = 0", p![]);
    assert_refused(&app, &Form::admin(&app), "Default user is not present").await;
}

#[tokio::test]
async fn a_template_with_a_missing_tariff_answers_tariff_was_not_found_cannot_create() {
    let app = open_app().await;
    app.exec("UPDATE default_users SET tariff_id = 999 WHERE owner_id = 0", p![]);
    assert_refused(&app, &Form::admin(&app), "Tariff was not found cannot create").await;
}

#[tokio::test]
async fn a_template_without_lcr_answers_default_user_does_not_have_and_lcr_set() {
    let app = open_app().await;
    app.exec("UPDATE default_users SET lcr_id = 0 WHERE owner_id = 0", p![]);
    assert_refused(&app, &Form::admin(&app), "Default user does not have and LCR set").await;
}

#[tokio::test]
async fn vat_checking_refuses_a_blank_vat_number_when_blank_is_not_allowed() {
    let app = open_app().await;
    app.set("registration_enable_vat_checking", "1").await;
    app.set("registration_allow_vat_blank", "0").await;
    assert_refused(&app, &Form::admin(&app), "Please fill field TAX Registration Number").await;
    assert_refused(
        &app,
        &Form::admin(&app).with("vat_number", "  "),
        "Please fill field TAX Registration Number",
    )
    .await;
    assert_signed_up(&app, "registration", &Form::admin(&app).with("vat_number", "LT100001")).await;
    assert_eq!(user_text(&app, "john", "vat_number"), "LT100001");
}

#[tokio::test]
async fn vat_checking_accepts_a_blank_vat_number_when_blank_is_allowed() {
    let app = open_app().await;
    app.set("registration_enable_vat_checking", "1").await;
    assert_signed_up(&app, "user_register", &Form::admin(&app)).await;
}

#[tokio::test]
async fn a_blank_vat_number_needs_no_check_when_vat_checking_is_off() {
    let app = open_app().await;
    app.set("registration_allow_vat_blank", "0").await;
    assert_signed_up(&app, "registration", &Form::admin(&app)).await;
}

// ---------------------------------------------------------------------------------------------
// check order (spec E.1, G25)

#[tokio::test]
async fn the_first_failing_check_answers() {
    let app = open_app().await;
    app.user("taken", "user").await;
    let id = app.admin_uniquehash.clone();
    let base = Form::new(&id);
    let cases: Vec<(Form, &str)> = vec![
        (
            base.clone().without("username").without("device_type").without("email"),
            "Please enter username",
        ),
        (
            base.clone().with("username", "taken").with("password2", "other123"),
            "Such username is already taken",
        ),
        (
            base.clone().with("password2", "other123").without("first_name"),
            "Passwords do not match",
        ),
        (
            base.clone().with("username", "Sunny2024x").without("last_name"),
            "Please enter password not equal to username",
        ),
        (
            base.clone().without("first_name").without("last_name"),
            "Please enter first name",
        ),
        (
            base.clone().without("last_name").without("country_id"),
            "Please enter last name",
        ),
        (
            base.clone().with("usertype", "reseller").without("country_id"),
            "Permission Group was not selected",
        ),
        (
            base.clone().without("country_id").without("email"),
            "Please select country",
        ),
        (
            base.clone().with("email", "nope").without("device_type"),
            "Please enter email",
        ),
        (
            base.clone().without("device_type").with("lcr_id", "999"),
            "Enter device type",
        ),
        (
            base.clone().with("lcr_id", "999").with("device_location_id", "999"),
            "LCR was not found",
        ),
        (
            base.clone().with("device_location_id", "999").with("tariff", "999"),
            "Location was not found",
        ),
    ];
    for (form, message) in cases {
        assert_refused(&app, &form, message).await;
    }
}

#[tokio::test]
async fn the_registration_switch_is_checked_before_the_username() {
    let app = TestApp::new().await;
    assert_refused(
        &app,
        &Form::admin(&app).without("username"),
        "Registration over API is disabled",
    )
    .await;
}

#[tokio::test]
async fn password_checks_run_in_spec_order() {
    let app = open_app().await;
    // 6 before 7 and 8
    app.set("use_registration_credentials_for_device", "1").await;
    app.set("use_strong_passwords_for_users", "1").await;
    let form = Form::admin(&app).with("password", "abc").with("password2", "abc");
    assert_refused(
        &app,
        &form,
        "Password must be longer than 7 characters or short passwords in Devices should be allowed",
    )
    .await;
    // 7 before 8
    app.set("allow_short_passwords_in_devices", "1").await;
    assert_refused(
        &app,
        &form,
        "Password must contain at least one numeric value, capital and lowercase symbol",
    )
    .await;
    // 8 before 9 and 10
    app.set("use_strong_passwords_for_users", "0").await;
    app.set("default_user_username_length", "5").await;
    let form = Form::admin(&app)
        .with("username", "abc")
        .with("password", "abc")
        .with("password2", "abc");
    assert_refused_by(&app, "registration", &form, "Password is too shorth").await;
    assert_refused_by(
        &app,
        "user_register",
        &form,
        "Password must be longer than 5 characters",
    )
    .await;
    // 9 before 10
    let form = Form::admin(&app)
        .with("username", "abcdef")
        .with("password", "abcdef")
        .with("password2", "abcdef");
    app.set("default_user_username_length", "7").await;
    assert_refused(&app, &form, "Username must be longer than 6 characters").await;
}

#[tokio::test]
async fn phones_are_checked_after_email_and_before_device_type() {
    let app = open_app().await;
    assert_signed_up(
        &app,
        "registration",
        &Form::admin(&app).with("mob_phone", "37060000001"),
    )
    .await;
    let id = app.admin_uniquehash.clone();
    let form = Form::person(&id, "mary").with("mob_phone", "37060000001");
    assert_refused(
        &app,
        &form.clone().with("email", "john@example.com"),
        "This email address is already in use",
    )
    .await;
    assert_refused(
        &app,
        &form.clone().without("device_type"),
        "User with mobile phone already exists",
    )
    .await;
}

#[tokio::test]
async fn the_template_checks_come_after_the_tariff_and_before_vat() {
    let app = open_app().await;
    app.set("registration_enable_vat_checking", "1").await;
    app.set("registration_allow_vat_blank", "0").await;
    app.exec("DELETE FROM default_users WHERE owner_id = 0", p![]);
    assert_refused(&app, &Form::admin(&app).with("tariff", "999"), "Tariff was not found").await;
    assert_refused(&app, &Form::admin(&app), "Default user is not present").await;
}

// ---------------------------------------------------------------------------------------------
// effects (spec E.1 "Effects", D.5, D.6)

#[tokio::test]
async fn sign_up_stores_the_user_with_owner_parameters_and_an_argon2id_password() {
    let app = open_app().await;
    let form = Form::admin(&app)
        .with("client_id", "C-77")
        .with("vat_number", "LT999")
        .with("state", "Vilnius county")
        .with("county", "Vilniaus")
        .with("city", "Vilnius")
        .with("postcode", "LT-01100")
        .with("address", "Gedimino pr. 1")
        .with("mob_phone", "+370 600 00001")
        .with("phone", "852123456")
        .with("fax", "852654321")
        .with("accounting_number", "ACC-1")
        .with("call_limit", "5");
    let s = assert_signed_up(&app, "registration", &form).await;
    assert_eq!((s.owner_id, s.usertype.as_str()), (0, "user"));
    assert!(s.password_hash.starts_with("$argon2id$"), "{}", s.password_hash);
    assert!(!s.password_hash.contains(PASSWORD), "the clear password is stored");
    assert!(!user_text(&app, "john", "password_hash").contains(PASSWORD));
    let expected = [
        ("first_name", "John"),
        ("last_name", "Doe"),
        ("email", "john@example.com"),
        ("country_id", "130"),
        ("client_id", "C-77"),
        ("vat_number", "LT999"),
        ("state", "Vilnius county"),
        ("county", "Vilniaus"),
        ("city", "Vilnius"),
        ("postcode", "LT-01100"),
        ("address", "Gedimino pr. 1"),
        ("mob_phone", "+370 600 00001"),
        ("phone", "852123456"),
        ("fax", "852654321"),
        ("accounting_number", "ACC-1"),
        ("call_limit", "5"),
        ("tariff_id", "1"),
        ("lcr_id", "1"),
        ("currency", "USD"),
        ("language", "en"),
        ("postpaid", "0"),
        ("blocked", "0"),
    ];
    for (column, value) in expected {
        assert_eq!(user_text(&app, "john", column), value, "users.{column}");
    }
    let uniquehash = user_text(&app, "john", "uniquehash");
    assert!(
        uniquehash.len() == 10 && uniquehash.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()),
        "{uniquehash}"
    );
    assert_ne!(uniquehash, app.admin_uniquehash);
    let agreement = user_text(&app, "john", "agreement_number");
    assert!(
        agreement.len() == 10 && agreement.bytes().all(|b| b.is_ascii_digit()),
        "{agreement}"
    );
    assert!(!user_text(&app, "john", "agreement_date").is_empty());
}

#[tokio::test]
async fn agreement_numbers_follow_each_other_per_owner() {
    let app = open_app().await;
    assert_signed_up(&app, "registration", &Form::admin(&app)).await;
    assert_signed_up(&app, "user_register", &Form::person(&app.admin_uniquehash, "mary")).await;
    let first: i64 = user_text(&app, "john", "agreement_number").parse().unwrap();
    assert_eq!(
        user_text(&app, "mary", "agreement_number"),
        format!("{:010}", first + 1)
    );
}

#[tokio::test]
async fn a_prepaid_user_gets_no_credit_and_a_bad_call_limit_becomes_zero() {
    let app = open_app().await;
    let form = Form::admin(&app).with("credit_limit", "-1").with("call_limit", "abc");
    assert_signed_up(&app, "registration", &form).await;
    assert_eq!(user_credit(&app, "john"), "0");
    assert_eq!(user_int(&app, "john", "call_limit"), 0);
}

#[tokio::test]
async fn sign_up_creates_the_primary_group_and_the_default_device_with_ha1() {
    let app = open_app().await;
    let s = assert_signed_up(&app, "user_register", &Form::admin(&app)).await;
    let groups: Vec<(i64, String)> = app
        .query_rows("SELECT id, name FROM device_groups WHERE user_id = ?1", p![s.user_id])
        .iter()
        .map(|r| (r.i64(0), r.text(1)))
        .collect();
    assert_eq!(groups, vec![(s.devicegroup_id, "primary".to_string())]);
    assert_eq!(
        app.count(&format!("SELECT COUNT(*) FROM devices WHERE user_id = {}", s.user_id)),
        1
    );
    assert_eq!(
        (s.username.as_str(), s.name.as_str(), s.extension.as_str()),
        ("101", "101", "101")
    );
    assert_eq!(s.device_type, "SIP");
    assert_eq!(s.ha1, md5_hex(&format!("101:asterisk:{}", s.secret)));
    let t = app.query_row(
        "SELECT context, host, dtmfmode, nat, qualify, canreinvite, allow, timeout FROM devices WHERE id = ?1",
        p![s.device_id],
    );
    let template = (
        t.text(0),
        t.text(1),
        t.text(2),
        t.text(3),
        t.text(4),
        t.text(5),
        t.text(6),
        t.i64(7),
    );
    let expected = ("mor_local", "dynamic", "rfc2833", "yes", "yes", "no", "alaw,ulaw", 60);
    assert_eq!(
        (
            template.0.as_str(),
            template.1.as_str(),
            template.2.as_str(),
            template.3.as_str(),
            template.4.as_str(),
            template.5.as_str(),
            template.6.as_str(),
            template.7
        ),
        expected
    );
    assert_eq!(s.callerid, "");
    assert_eq!(
        app.count(&format!("SELECT COUNT(*) FROM clis WHERE device_id = {}", s.device_id)),
        0
    );
}

#[tokio::test]
async fn ha1_uses_the_sip_realm_setting() {
    let app = open_app().await;
    app.set("sip_realm", "pbx.example.com").await;
    let s = assert_signed_up(&app, "registration", &Form::admin(&app)).await;
    assert_eq!(s.ha1, md5_hex(&format!("101:pbx.example.com:{}", s.secret)));
}

#[tokio::test]
async fn phone_digits_become_clis_of_the_device_with_their_descriptions() {
    let app = open_app().await;
    let form = Form::admin(&app)
        .with("mob_phone", "+370 (600) 00001")
        .with("phone", "8-5-2123456")
        .with("fax", "852 654 321");
    let s = assert_signed_up(&app, "registration", &form).await;
    let clis: Vec<(String, String)> = app
        .query_rows(
            "SELECT cli, description FROM clis WHERE device_id = ?1 ORDER BY cli",
            p![s.device_id],
        )
        .iter()
        .map(|r| (r.text(0), r.text(1)))
        .collect();
    let expected = vec![
        ("37060000001".to_string(), "Mobile Phone".to_string()),
        ("852123456".to_string(), "Phone".to_string()),
        ("852654321".to_string(), "Fax".to_string()),
    ];
    assert_eq!(clis, expected);
    assert!(app.store().cli_in_use("37060000001").await.unwrap());
}

#[tokio::test]
async fn a_phone_without_digits_adds_no_cli() {
    let app = open_app().await;
    let s = assert_signed_up(
        &app,
        "user_register",
        &Form::admin(&app).with("phone", "n/a").with("fax", ""),
    )
    .await;
    assert_eq!(
        app.count(&format!("SELECT COUNT(*) FROM clis WHERE device_id = {}", s.device_id)),
        0
    );
    assert_eq!(user_text(&app, "john", "phone"), "n/a");
}

#[tokio::test]
async fn caller_id_is_stored_on_the_device_in_angle_brackets() {
    let app = open_app().await;
    let s = assert_signed_up(
        &app,
        "user_register",
        &Form::admin(&app).with("caller_id", "37060000001"),
    )
    .await;
    assert_eq!(s.callerid, "<37060000001>");
    let s = assert_signed_up(
        &app,
        "registration",
        &Form::person(&app.admin_uniquehash, "mary").with("caller_id", "555"),
    )
    .await;
    assert_eq!(s.callerid, "<555>");
}

#[tokio::test]
async fn credentials_mode_gives_the_device_the_users_username_and_password() {
    let app = open_app().await;
    app.set("use_registration_credentials_for_device", "1").await;
    let reply = sign_up(&app, "registration", &Form::admin(&app)).await;
    let s = signup(&app, "john");
    assert_eq!((s.username.as_str(), s.secret.as_str()), ("john", PASSWORD));
    assert_eq!(s.extension, "101");
    assert_eq!(s.ha1, md5_hex(&format!("john:asterisk:{PASSWORD}")));
    assert_eq!(reply.body, seed_success(&s, &Shown::default()));
    assert!(
        reply
            .body
            .contains("    <username>john</username>\n    <password>Sunny2024x</password>\n")
    );
    assert!(s.password_hash.starts_with("$argon2id$"));
    assert!(!s.password_hash.contains(PASSWORD));
    let reply = sign_up(&app, "user_register", &Form::person(&app.admin_uniquehash, "mary")).await;
    let s = signup(&app, "mary");
    assert_eq!((s.username.as_str(), s.secret.as_str()), ("mary", PASSWORD));
    assert_eq!(reply.body, current_success(&s, &Shown::default()));
}

#[tokio::test]
async fn credentials_mode_clash_with_a_device_username_answers_username_taken_and_leaves_no_rows() {
    let app = open_app().await;
    assert_signed_up(&app, "registration", &Form::admin(&app)).await; // device username 101
    app.set("use_registration_credentials_for_device", "1").await;
    let form = Form::person(&app.admin_uniquehash, "101").with("mob_phone", "37060000009");
    assert_refused(&app, &form, "Such username is already taken").await;
    assert_eq!(app.count("SELECT COUNT(*) FROM users WHERE username = '101'"), 0);
}

#[tokio::test]
async fn resellers_sign_up_creates_a_user_owned_by_the_reseller() {
    let app = open_app().await;
    let (reseller_id, hash) = reseller(&app).await;
    let reply = sign_up_with(&app, "user_register", &Form::new(&hash), "resellerkey1").await;
    let s = signup(&app, "john");
    assert_eq!(reply.body, current_success(&s, &Shown::default()));
    assert_eq!((s.owner_id, s.usertype.as_str()), (reseller_id, "user"));
    let user = app.store().user_by_username("JOHN").await.unwrap().expect("user");
    assert_eq!(user.owner_id, reseller_id);
}

// ---------------------------------------------------------------------------------------------
// atomicity and races

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_concurrent_sign_ups_with_one_username_give_exactly_one_user() {
    let app = Arc::new(open_app().await);
    let before = rows(&app);
    let mut tasks = Vec::new();
    for i in 0..20 {
        let app = Arc::clone(&app);
        let method = BOTH[i % 2];
        tasks.push(tokio::spawn(async move {
            let form = Form::admin(&app).with("email", &format!("john{i}@example.com"));
            let reply = app.call_signed(method, &form.pairs()).await;
            (method, reply)
        }));
    }
    let mut successes = 0;
    for task in tasks {
        let (method, reply) = task.await.unwrap();
        assert_eq!(reply.status, 200);
        if reply.body.contains("Registration successful") {
            successes += 1;
        } else {
            assert_eq!(
                reply.body,
                method_error(method, "Such username is already taken"),
                "{method}"
            );
        }
    }
    assert_eq!(successes, 1);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM users WHERE lower(username) = 'john'"),
        1
    );
    let s = signup(&app, "john");
    assert_eq!(
        app.count(&format!("SELECT COUNT(*) FROM devices WHERE user_id = {}", s.user_id)),
        1
    );
    assert_eq!(rows(&app), [before[0] + 1, before[1] + 1, before[2] + 1, before[3]]);
}

#[tokio::test]
async fn a_sign_up_failing_at_device_insert_answers_configuration_error_and_leaves_no_rows() {
    let app = open_app().await;
    assert_signed_up(&app, "registration", &Form::admin(&app)).await; // takes extension 101
    app.set("device_range_min", "101").await;
    app.set("device_range_max", "101").await;
    let form = Form::person(&app.admin_uniquehash, "mary")
        .with("mob_phone", "37060000002")
        .with("caller_id", "1");
    assert_refused(&app, &form, CONFIG_ERROR).await;
    assert_eq!(app.count("SELECT COUNT(*) FROM users WHERE username = 'mary'"), 0);
    assert!(app.store().user_by_username("mary").await.unwrap().is_none());
    assert!(!app.store().email_in_use("mary@example.com").await.unwrap());
    assert!(!app.store().cli_in_use("37060000002").await.unwrap());
    // the range freed again, the same sign-up succeeds
    app.set("device_range_max", "102").await;
    let s = assert_signed_up(&app, "user_register", &form).await;
    assert_eq!(s.extension, "102");
}

// ---------------------------------------------------------------------------------------------
// transport forms (spec A.3)

#[tokio::test]
async fn json_body_form_body_and_query_string_give_the_same_result() {
    for method in BOTH {
        // form body
        let app = open_app().await;
        let form = Form::admin(&app);
        let reply = sign_up(&app, method, &form).await;
        assert_eq!(
            reply.body,
            success_for(&app, method, "john", &Shown::default()),
            "{method} form"
        );

        // JSON body
        let app = open_app().await;
        let form = Form::admin(&app);
        let signed = form.clone().with("hash", &app.hash_with(method, &form.pairs(), SECRET));
        let request = Request::post(format!("/api/{method}"))
            .header("content-type", "application/json")
            .body(Body::from(signed.json()))
            .unwrap();
        let reply = app.send(request).await;
        assert_eq!(reply.status, 200);
        assert_eq!(
            reply.body,
            success_for(&app, method, "john", &Shown::default()),
            "{method} JSON"
        );

        // query string of a POST without body
        let app = open_app().await;
        let form = Form::admin(&app);
        let signed = form.clone().with("hash", &app.hash_with(method, &form.pairs(), SECRET));
        let request = Request::post(format!("/api/{method}?{}", encode(&signed.pairs())))
            .body(Body::empty())
            .unwrap();
        let reply = app.send(request).await;
        assert_eq!(reply.status, 200);
        assert_eq!(
            reply.body,
            success_for(&app, method, "john", &Shown::default()),
            "{method} query"
        );
    }
}

#[tokio::test]
async fn json_numbers_count_as_their_decimal_text() {
    let app = open_app().await;
    let form = Form::admin(&app);
    let hash = app.hash_with("user_register", &form.pairs(), SECRET);
    let mut body: serde_json::Value = serde_json::from_str(&form.with("hash", &hash).json()).unwrap();
    body["country_id"] = serde_json::json!(130);
    body["call_limit"] = serde_json::json!(3);
    let request = Request::post("/api/user_register")
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))
        .unwrap();
    let reply = app.send(request).await;
    assert_eq!(
        reply.body,
        success_for(&app, "user_register", "john", &Shown::default())
    );
    assert_eq!(user_int(&app, "john", "country_id"), 130);
    assert_eq!(user_int(&app, "john", "call_limit"), 3);
}

#[tokio::test]
async fn the_same_refusal_is_answered_for_json_form_and_query_string() {
    let app = open_app().await;
    let form = Form::admin(&app).with("password2", "mismatch1");
    for method in BOTH {
        let signed = form.clone().with("hash", &app.hash_with(method, &form.pairs(), SECRET));
        let expected = method_error(method, "Passwords do not match");
        let by_form = app.call(method, &signed.pairs()).await;
        let json = Request::post(format!("/api/{method}"))
            .header("content-type", "application/json")
            .body(Body::from(signed.json()))
            .unwrap();
        let by_json = app.send(json).await;
        let query = Request::post(format!("/api/{method}?{}", encode(&signed.pairs())))
            .body(Body::empty())
            .unwrap();
        let by_query = app.send(query).await;
        assert_eq!(by_form.body, expected, "{method} form");
        assert_eq!(by_json.body, expected, "{method} JSON");
        assert_eq!(by_query.body, expected, "{method} query");
    }
}

#[tokio::test]
async fn billing_api_path_serves_registration_too() {
    let app = open_app().await;
    let form = Form::admin(&app);
    let signed = form
        .clone()
        .with("hash", &app.hash_with("registration", &form.pairs(), SECRET));
    let reply = app.post("/billing/api/registration", &signed.pairs()).await;
    assert_eq!(reply.body, success_for(&app, "registration", "john", &Shown::default()));
}

// ---------------------------------------------------------------------------------------------
// more races, case folding, extension allocation, hash details

/// Runs `forms` concurrently against alternating endpoints; returns (method, reply) pairs.
async fn concurrently(app: &Arc<TestApp>, forms: Vec<Form>) -> Vec<(&'static str, Reply)> {
    let mut tasks = Vec::new();
    for (i, form) in forms.into_iter().enumerate() {
        let app = Arc::clone(app);
        let method = BOTH[i % 2];
        tasks.push(tokio::spawn(async move {
            (method, app.call_signed(method, &form.pairs()).await)
        }));
    }
    let mut replies = Vec::new();
    for task in tasks {
        replies.push(task.await.unwrap());
    }
    replies
}

/// Exactly one success; every other reply is `message` in its method's envelope.
fn one_success_rest(replies: &[(&str, Reply)], message: &str) {
    let mut successes = 0;
    for (method, reply) in replies {
        assert_eq!(reply.status, 200);
        if reply.body.contains("Registration successful") {
            successes += 1;
        } else {
            assert_eq!(reply.body, method_error(method, message), "{method}");
        }
    }
    assert_eq!(successes, 1, "successful sign-ups");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_concurrent_identical_sign_ups_answer_username_taken_to_all_but_one() {
    let app = Arc::new(open_app().await);
    let before = rows(&app);
    let forms = (0..20)
        .map(|_| Form::admin(&app).with("mob_phone", "37060000001"))
        .collect();
    let replies = concurrently(&app, forms).await;
    one_success_rest(&replies, "Such username is already taken");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM users WHERE lower(username) = 'john'"),
        1
    );
    assert_eq!(rows(&app), [before[0] + 1, before[1] + 1, before[2] + 1, before[3] + 1]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_concurrent_sign_ups_with_one_email_give_exactly_one_user() {
    let app = Arc::new(open_app().await);
    let before = rows(&app);
    let forms = (0..20)
        .map(|i| Form::admin(&app).with("username", &format!("john{i}")))
        .collect();
    let replies = concurrently(&app, forms).await;
    one_success_rest(&replies, "This email address is already in use");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM users WHERE email = 'john@example.com'"),
        1
    );
    assert_eq!(rows(&app), [before[0] + 1, before[1] + 1, before[2] + 1, before[3]]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_concurrent_sign_ups_with_one_mobile_phone_give_exactly_one_cli() {
    let app = Arc::new(open_app().await);
    let before = rows(&app);
    let id = app.admin_uniquehash.clone();
    let forms = (0..20)
        .map(|i| Form::person(&id, &format!("john{i}")).with("mob_phone", "+370 600 00001"))
        .collect();
    let replies = concurrently(&app, forms).await;
    one_success_rest(&replies, "User with mobile phone already exists");
    assert_eq!(app.count("SELECT COUNT(*) FROM clis WHERE cli = '37060000001'"), 1);
    assert_eq!(rows(&app), [before[0] + 1, before[1] + 1, before[2] + 1, before[3] + 1]);
}

#[tokio::test]
async fn usernames_compare_with_unicode_case_folding() {
    let app = open_app().await;
    app.user("Åsa", "user").await;
    let form = Form::admin(&app).with("username", "åSA");
    assert_refused(&app, &form, "Such username is already taken").await;
}

#[tokio::test]
async fn emails_compare_case_insensitively_beyond_ascii() {
    let app = open_app().await;
    app.set("allow_identical_email_addresses_to_different_users", "1").await;
    assert_signed_up(
        &app,
        "registration",
        &Form::admin(&app).with("email", "Åsa@example.com"),
    )
    .await;
    app.set("allow_identical_email_addresses_to_different_users", "0").await;
    let form = Form::person(&app.admin_uniquehash, "mary").with("email", "åsa@EXAMPLE.com");
    assert_refused(&app, &form, "This email address is already in use").await;
}

#[tokio::test]
async fn an_email_kept_while_duplicates_were_allowed_still_counts_once_they_are_not() {
    let app = open_app().await;
    app.set("allow_identical_email_addresses_to_different_users", "1").await;
    assert_signed_up(
        &app,
        "registration",
        &Form::admin(&app).with("email", "Mary@Example.com"),
    )
    .await;
    app.set("allow_identical_email_addresses_to_different_users", "0").await;
    let form = Form::person(&app.admin_uniquehash, "mary");
    assert_refused(&app, &form, "This email address is already in use").await;
}

#[tokio::test]
async fn the_extension_skips_numbers_used_as_device_usernames() {
    let app = open_app().await;
    app.set("use_registration_credentials_for_device", "1").await;
    let s = assert_signed_up(&app, "registration", &Form::person(&app.admin_uniquehash, "102")).await;
    assert_eq!((s.username.as_str(), s.extension.as_str()), ("102", "101"));
    app.set("use_registration_credentials_for_device", "0").await;
    let s = assert_signed_up(&app, "user_register", &Form::person(&app.admin_uniquehash, "mary")).await;
    assert_eq!((s.username.as_str(), s.extension.as_str()), ("103", "103"));
}

#[tokio::test]
async fn an_uppercase_hash_is_accepted() {
    let app = open_app().await;
    let form = Form::admin(&app);
    let hash = app.hash_with("registration", &form.pairs(), SECRET).to_uppercase();
    let reply = sign_up_hashed(&app, "registration", &form, &hash).await;
    assert_eq!(reply.body, success_for(&app, "registration", "john", &Shown::default()));
}

#[tokio::test]
async fn admins_disabled_hash_checking_covers_resellers_sign_up_forms() {
    let app = open_app().await;
    let (_, hash) = reseller(&app).await;
    app.set("disable_hash_checking", "1").await;
    let reply = app.call("user_register", &Form::new(&hash).pairs()).await;
    assert_eq!(
        reply.body,
        success_for(&app, "user_register", "john", &Shown::default())
    );
}

#[tokio::test]
async fn email_element_follows_the_owners_sending_setting() {
    let app = open_app().await;
    let (_, hash) = reseller(&app).await;
    app.set_for(Some("reseller1"), "send_email_to_user_after_registration", "1")
        .await;
    let reply = sign_up_with(&app, "registration", &Form::new(&hash), "resellerkey1").await;
    let shown = Shown {
        email: Some("john@example.com"),
        ..Shown::default()
    };
    assert_eq!(reply.body, success_for(&app, "registration", "john", &shown));
    let reply = sign_up(&app, "registration", &Form::person(&app.admin_uniquehash, "mary")).await;
    assert_eq!(reply.body, success_for(&app, "registration", "mary", &Shown::default()));
}

#[tokio::test]
async fn u_and_p_are_ignored_by_sign_up() {
    let app = open_app().await;
    let form = Form::admin(&app).with("u", "nosuchuser").with("p", "wrong");
    let s = assert_signed_up(&app, "registration", &form).await;
    assert_eq!(s.owner_id, 0);
}

#[tokio::test]
async fn a_postpaid_template_takes_credit_limit_digits_or_minus_one_else_zero() {
    let app = open_app().await;
    app.exec(
        "UPDATE default_users SET postpaid = 1, credit = 7 WHERE owner_id = 0",
        p![],
    );
    let id = app.admin_uniquehash.clone();
    let cases = [
        ("ann", Some("-1"), -1),
        ("bob", Some("50"), 50),
        ("cid", Some("abc"), 0),
        ("dan", None, 7),
    ];
    for (username, credit_limit, expected) in cases {
        let mut form = Form::person(&id, username);
        if let Some(value) = credit_limit {
            form = form.with("credit_limit", value);
        }
        assert_signed_up(&app, "registration", &form).await;
        assert_eq!(user_credit(&app, username), expected.to_string(), "{username}");
        assert_eq!(user_int(&app, username, "postpaid"), 1);
    }
}

#[tokio::test]
async fn agreement_numbers_are_counted_per_owner() {
    let app = open_app().await;
    let (_, hash) = reseller(&app).await;
    let reply = sign_up_with(&app, "registration", &Form::new(&hash), "resellerkey1").await;
    assert_eq!(reply.body, success_for(&app, "registration", "john", &Shown::default()));
    assert_eq!(user_text(&app, "john", "agreement_number"), "0000000001");
}

#[tokio::test]
async fn a_resellers_sign_up_refuses_admins_lcr() {
    let app = open_app().await;
    let (reseller_id, hash) = reseller(&app).await;
    for method in BOTH {
        let reply = sign_up_with(&app, method, &Form::new(&hash).with("lcr_id", "1"), "resellerkey1").await;
        assert_eq!(reply.body, method_error(method, "LCR was not found"), "{method}");
    }
    let own = insert_owned(&app, "lcrs", "Reseller LCR", reseller_id);
    let reply = sign_up_with(
        &app,
        "registration",
        &Form::new(&hash).with("lcr_id", &own.to_string()),
        "resellerkey1",
    )
    .await;
    assert_eq!(reply.body, success_for(&app, "registration", "john", &Shown::default()));
    assert_eq!(user_int(&app, "john", "lcr_id"), own);
}

#[tokio::test]
async fn an_admin_tariff_is_stored_on_admins_sign_up() {
    let app = open_app().await;
    let tariff = insert_owned(&app, "tariffs", "Second", 0);
    assert_signed_up(
        &app,
        "user_register",
        &Form::admin(&app).with("tariff", &tariff.to_string()),
    )
    .await;
    assert_eq!(user_int(&app, "john", "tariff_id"), tariff);
}
