//! Pre-checks (spec A.4) in order, and hash authentication (spec B): keys per scope, disabling,
//! comparison, `user_id` normalisation, Compat lists and the B.7 vectors.

use std::sync::atomic::{AtomicUsize, Ordering};

use moray::admin::UserSpec;

use crate::common::*;

// ---------------------------------------------------------------------------------------------
// helpers

const METHODS: [&str; 5] = [
    "device_create",
    "did_create",
    "reseller_group_create",
    "registration",
    "user_register",
];
const WRONG_HASH: &str = "0123456789abcdef0123456789abcdef01234567";

static COUNTER: AtomicUsize = AtomicUsize::new(1);

fn unique() -> usize {
    COUNTER.fetch_add(1, Ordering::Relaxed)
}

/// The envelope a pre-check message is answered in, per method (A.4, G10).
fn precheck(method: &str, message: &str) -> String {
    match method {
        "device_create" => page_error(message),
        "did_create" => page_status_error(message),
        _ => status_error(message),
    }
}

/// The method's own "unknown caller" answer (A.4 row 1; E.1–E.4).
fn unknown_caller(method: &str) -> String {
    match method {
        "device_create" => page_error("Bad login"),
        "did_create" | "reseller_group_create" => page_status_error("Access Denied"),
        "registration" => page_error("Dont be so smart"),
        "user_register" => page_status_error("Access Denied"),
        _ => unreachable!(),
    }
}

/// Whether `body` is the method's success answer (so every pre-check passed).
fn succeeded(method: &str, body: &str) -> bool {
    let prefix = match method {
        "device_create" => "<page>\n  <status>Device created</status>\n  <id>",
        "did_create" => "<page>\n  <status>\n    <success>DID created</success>\n  </status>\n",
        "reseller_group_create" => "<page>\n  <status>\n    <success>Reseller Group successfully created</success>\n",
        "registration" => "<page>\n  <status>Registration successful</status>\n",
        "user_register" => "<page>\n  <status>\n    <success>Registration successful</success>\n",
        _ => unreachable!(),
    };
    body.starts_with(&format!("{DECL}{prefix}"))
}

#[track_caller]
fn assert_success(method: &str, reply: &Reply, what: &str) {
    assert_eq!(reply.status, 200, "{what}");
    assert!(
        succeeded(method, &reply.body),
        "{what}: {method} should succeed, got {:?}",
        reply.body
    );
}

#[track_caller]
fn assert_body(reply: &Reply, expected: &str, what: &str) {
    assert_eq!(reply.status, 200, "{what}: status");
    assert_eq!(reply.body, expected, "{what}");
}

/// A fresh app with a plain user `bob` (owned by admin), a provider, and sign-up enabled.
struct Fixture {
    app: TestApp,
    bob: i64,
    provider: i64,
}

impl Fixture {
    async fn new() -> Fixture {
        let app = TestApp::new().await;
        let (bob, _) = app.user("bob", "user").await;
        let provider = app.provider("prov", None).await;
        app.set("api_allow_registration", "1").await;
        Fixture { app, bob, provider }
    }

    /// Parameters of a request by admin (or, for sign-up, admin's form) that passes every
    /// method check once the pre-checks pass.
    fn request(&self, method: &str) -> Vec<(String, String)> {
        let n = unique();
        let pairs: Vec<(&str, String)> = match method {
            "device_create" => vec![
                ("u", "admin".into()),
                ("user_id", self.bob.to_string()),
                ("description", format!("dev {n}")),
            ],
            "did_create" => vec![
                ("u", "admin".into()),
                ("provider_id", self.provider.to_string()),
                ("did", format!("3706{n:07}")),
            ],
            "reseller_group_create" => vec![("u", "admin".into()), ("name", format!("Group {n}"))],
            "registration" | "user_register" => registration_params(&self.app.admin_uniquehash, n),
            _ => unreachable!(),
        };
        pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
    }
}

fn registration_params(owner_hash: &str, n: usize) -> Vec<(&'static str, String)> {
    vec![
        ("id", owner_hash.to_string()),
        ("email", format!("person{n}@example.com")),
        ("device_type", "SIP".into()),
        ("username", format!("person{n}")),
        ("first_name", "First".into()),
        ("last_name", "Last".into()),
        ("password", "password1".into()),
        ("password2", "password1".into()),
        ("country_id", "1".into()),
    ]
}

fn pairs(params: &[(String, String)]) -> Vec<(&str, &str)> {
    params.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
}

/// Sends `params` to `/api/METHOD` (POST or GET) with the primary-list hash made with `key`
/// (`None` = no hash).
async fn send(app: &TestApp, get: bool, method: &str, params: &[(String, String)], key: Option<&str>) -> Reply {
    let mut all = pairs(params);
    let hash;
    if let Some(key) = key {
        hash = app.hash_with(method, &all, key);
        all.push(("hash", &hash));
    }
    let path = format!("/api/{method}");
    if get {
        app.get(&path, &all).await
    } else {
        app.post(&path, &all).await
    }
}

/// Sends with an explicit `hash` value (`None` = no hash parameter).
async fn send_hash(app: &TestApp, method: &str, params: &[(String, String)], hash: Option<&str>) -> Reply {
    let mut all = pairs(params);
    if let Some(hash) = hash {
        all.push(("hash", hash));
    }
    app.post(&format!("/api/{method}"), &all).await
}

fn with(mut params: Vec<(String, String)>, name: &str, value: &str) -> Vec<(String, String)> {
    params.retain(|(k, _)| k != name);
    params.push((name.to_string(), value.to_string()));
    params
}

fn without(mut params: Vec<(String, String)>, name: &str) -> Vec<(String, String)> {
    params.retain(|(k, _)| k != name);
    params
}

fn spec(username: &str, usertype: &str, owner: Option<&str>, rights: Option<&str>) -> UserSpec {
    UserSpec {
        username: username.into(),
        password: format!("{username}-pass1"),
        usertype: usertype.into(),
        owner: owner.map(Into::into),
        rights: rights.map(Into::into),
        first_name: "First".into(),
        last_name: "Last".into(),
        ..UserSpec::default()
    }
}

/// A reseller `r1` with a plain user `c1`; returns (r1 id, r1 uniquehash, c1 id).
async fn reseller(app: &TestApp, name: &str, customer: &str) -> (i64, String, i64) {
    let (rid, rhash) = app.user_with(spec(name, "reseller", None, None)).await;
    let (cid, _) = app.user_with(spec(customer, "user", Some(name), None)).await;
    (rid, rhash, cid)
}

fn device_params(u: &str, user_id: i64) -> Vec<(String, String)> {
    vec![
        ("u".into(), u.into()),
        ("user_id".into(), user_id.to_string()),
        ("description".into(), format!("d{}", unique())),
    ]
}

// ---------------------------------------------------------------------------------------------
// baseline and envelopes

#[tokio::test]
async fn a_signed_post_by_admin_passes_every_precheck() {
    let fx = Fixture::new().await;
    for method in METHODS {
        let reply = send(&fx.app, false, method, &fx.request(method), Some(SECRET)).await;
        assert_success(method, &reply, "signed POST");
    }
}

#[tokio::test]
async fn every_precheck_message_uses_the_methods_precheck_envelope() {
    // API disabled
    let fx = Fixture::new().await;
    fx.app.set("allow_api", "0").await;
    for method in METHODS {
        let reply = send(&fx.app, false, method, &fx.request(method), Some(SECRET)).await;
        assert_body(&reply, &precheck(method, "API Requests are disabled"), method);
    }
    // GET disabled
    let fx = Fixture::new().await;
    for method in METHODS {
        let reply = send(&fx.app, true, method, &fx.request(method), Some(SECRET)).await;
        assert_body(&reply, &precheck(method, "GET Requests are disabled"), method);
    }
    // no key
    let fx = Fixture::new().await;
    fx.app.set("api_secret_key", "").await;
    for method in METHODS {
        for key in [Some(""), Some(SECRET), None] {
            let reply = send(&fx.app, false, method, &fx.request(method), key).await;
            assert_body(
                &reply,
                &precheck(method, "API must have Secret Key"),
                &format!("{method} key {key:?}"),
            );
        }
    }
    // wrong hash
    let fx = Fixture::new().await;
    for method in METHODS {
        let reply = send(&fx.app, false, method, &fx.request(method), Some("wrongkey")).await;
        assert_body(&reply, &precheck(method, "Incorrect hash"), method);
    }
    // the exact bytes of the three envelopes
    assert_eq!(
        precheck("reseller_group_create", "Incorrect hash"),
        format!("{DECL}<status>\n  <error>Incorrect hash</error>\n</status>\n")
    );
    assert_eq!(
        precheck("device_create", "Incorrect hash"),
        format!("{DECL}<page>\n  <error>Incorrect hash</error>\n</page>\n")
    );
    assert_eq!(
        precheck("did_create", "Incorrect hash"),
        format!("{DECL}<page>\n  <status>\n    <error>Incorrect hash</error>\n  </status>\n</page>\n")
    );
}

// ---------------------------------------------------------------------------------------------
// pre-check 1

#[tokio::test]
async fn unknown_blank_or_blocked_caller_skips_checks_2_to_4() {
    for hostile in [false, true] {
        let fx = Fixture::new().await;
        let app = &fx.app;
        let (_, blocked_hash) = app.user_with(spec("blocky", "reseller", None, None)).await;
        let (_, plain_hash) = app.user("plainuser", "user").await;
        let (_, acc_hash) = app
            .user_with(spec("acc", "accountant", None, Some("device_manage=2,manage_dids=2")))
            .await;
        app.exec("UPDATE users SET blocked = 1 WHERE username = 'blocky'", p![]);
        if hostile {
            // every later pre-check would fail
            app.set("allow_api", "0").await;
            app.set("api_secret_key", "").await;
        }
        for method in ["device_create", "did_create", "reseller_group_create"] {
            let base = fx.request(method);
            let variants = [
                ("unknown u", with(base.clone(), "u", "nobody")),
                ("empty u", with(base.clone(), "u", "")),
                ("blank u", with(base.clone(), "u", "   ")),
                ("absent u", without(base.clone(), "u")),
                ("blocked u", with(base.clone(), "u", "blocky")),
            ];
            for (what, params) in variants {
                for hash in [Some(WRONG_HASH), None, Some("nothex")] {
                    let reply = send_hash(app, method, &params, hash).await;
                    assert_body(
                        &reply,
                        &unknown_caller(method),
                        &format!("{method}, {what}, hash {hash:?}, hostile {hostile}"),
                    );
                }
                for get in [false, true] {
                    let reply = send(app, get, method, &params, Some("wrongkey")).await;
                    assert_body(
                        &reply,
                        &unknown_caller(method),
                        &format!("{method}, {what}, GET {get}, hostile {hostile}"),
                    );
                }
            }
        }
        // sign-up: the owner is found from `id` (admin/reseller uniquehash only, not blocked)
        for method in ["registration", "user_register"] {
            let base = fx.request(method);
            let mut variants = vec![
                ("unknown id", with(base.clone(), "id", "zzzzzzzzzz")),
                ("blocked reseller's id", with(base.clone(), "id", &blocked_hash)),
                ("plain user's id", with(base.clone(), "id", &plain_hash)),
                ("accountant's id", with(base.clone(), "id", &acc_hash)),
                (
                    "id differing in case",
                    with(base.clone(), "id", &app.admin_uniquehash.to_uppercase()),
                ),
            ];
            if method == "registration" {
                variants.push(("absent id", without(base.clone(), "id")));
                variants.push(("empty id", with(base.clone(), "id", "")));
                variants.push(("blank id", with(base.clone(), "id", "  ")));
            }
            for (what, params) in variants {
                if what == "id differing in case" && app.admin_uniquehash.chars().all(|c| c.is_ascii_digit()) {
                    continue;
                }
                for get in [false, true] {
                    let reply = send(app, get, method, &params, Some("wrongkey")).await;
                    assert_body(
                        &reply,
                        &unknown_caller(method),
                        &format!("{method}, {what}, GET {get}, hostile {hostile}"),
                    );
                }
                let reply = send_hash(app, method, &params, None).await;
                assert_body(
                    &reply,
                    &unknown_caller(method),
                    &format!("{method}, {what}, no hash, hostile {hostile}"),
                );
            }
        }
    }
}

#[tokio::test]
async fn user_register_without_id_acts_for_admin_and_runs_the_prechecks() {
    let fx = Fixture::new().await;
    let app = &fx.app;
    let params = without(fx.request("user_register"), "id");
    let reply = send(app, false, "user_register", &params, Some("wrongkey")).await;
    assert_body(&reply, &status_error("Incorrect hash"), "wrong key");
    let reply = send(app, false, "user_register", &params, Some(SECRET)).await;
    assert_success("user_register", &reply, "admin's key");
    let params = with(fx.request("user_register"), "id", "");
    let reply = send(app, false, "user_register", &params, Some(SECRET)).await;
    assert_success("user_register", &reply, "empty id, admin's key");
    app.set("allow_api", "0").await;
    let params = without(fx.request("user_register"), "id");
    let reply = send(app, false, "user_register", &params, Some(SECRET)).await;
    assert_body(&reply, &status_error("API Requests are disabled"), "allow_api 0");
}

#[tokio::test]
async fn the_acting_username_matches_case_insensitively() {
    let fx = Fixture::new().await;
    for u in ["ADMIN", "Admin", "aDmIn"] {
        for method in ["device_create", "did_create", "reseller_group_create"] {
            let params = with(fx.request(method), "u", u);
            let reply = send(&fx.app, false, method, &params, Some(SECRET)).await;
            assert_success(method, &reply, u);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// pre-check 2

#[tokio::test]
async fn api_disabled_unless_admins_or_the_scopes_own_allow_api() {
    let fx = Fixture::new().await;
    let app = &fx.app;
    let (_, r1_hash, c1) = reseller(app, "r1", "c1").await;
    app.user_with(spec("acc", "accountant", None, Some("device_manage=2,manage_dids=2")))
        .await;
    app.set_for(Some("r1"), "api_allow_registration", "1").await;

    // admin 0, reseller inherits 0
    app.set("allow_api", "0").await;
    let reply = send(app, false, "device_create", &device_params("r1", c1), Some(SECRET)).await;
    assert_body(
        &reply,
        &page_error("API Requests are disabled"),
        "reseller inherits admin's 0",
    );
    let reply = send(app, false, "device_create", &device_params("acc", fx.bob), Some(SECRET)).await;
    assert_body(
        &reply,
        &page_error("API Requests are disabled"),
        "accountant acts in admin's scope",
    );
    let signup = registration_params(&r1_hash, unique())
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect::<Vec<_>>();
    let reply = send(app, false, "registration", &signup, Some(SECRET)).await;
    assert_body(
        &reply,
        &status_error("API Requests are disabled"),
        "reseller's sign-up form, inherited 0",
    );
    let did = vec![
        ("u".to_string(), "c1".to_string()),
        ("provider_id".into(), "1".into()),
        ("did".into(), "111".into()),
    ];
    let reply = send(app, false, "did_create", &did, Some(SECRET)).await;
    assert_body(
        &reply,
        &page_status_error("API Requests are disabled"),
        "plain user in the reseller's scope",
    );

    // admin 0, reseller's own 1: allowed in the reseller's scope only
    app.set_for(Some("r1"), "allow_api", "1").await;
    let reply = send(app, false, "device_create", &device_params("r1", c1), Some(SECRET)).await;
    assert_success("device_create", &reply, "reseller's own allow_api 1");
    let reply = send(app, false, "registration", &signup, Some(SECRET)).await;
    assert_success("registration", &reply, "reseller's sign-up form, own allow_api 1");
    let reply = send(app, false, "did_create", &did, Some(SECRET)).await;
    assert_body(
        &reply,
        &page_status_error("Access Denied"),
        "plain user of r1 passes the pre-checks",
    );
    let reply = send(
        app,
        false,
        "device_create",
        &device_params("admin", fx.bob),
        Some(SECRET),
    )
    .await;
    assert_body(&reply, &page_error("API Requests are disabled"), "admin still disabled");
    let reply = send(app, false, "device_create", &device_params("acc", fx.bob), Some(SECRET)).await;
    assert_body(
        &reply,
        &page_error("API Requests are disabled"),
        "accountant still disabled",
    );
    let reply = send(app, false, "did_create", &with(did.clone(), "u", "bob"), Some(SECRET)).await;
    assert_body(
        &reply,
        &page_status_error("API Requests are disabled"),
        "admin's plain user still disabled",
    );

    // admin 1 allows everyone, even a reseller whose own value is 0
    app.set("allow_api", "1").await;
    app.set_for(Some("r1"), "allow_api", "0").await;
    let reply = send(app, false, "device_create", &device_params("r1", c1), Some(SECRET)).await;
    assert_success("device_create", &reply, "admin's allow_api 1 beats reseller's 0");
    let reply = send(app, false, "device_create", &device_params("acc", fx.bob), Some(SECRET)).await;
    assert_success("device_create", &reply, "accountant with admin's allow_api 1");
    let signup = registration_params(&r1_hash, unique())
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect::<Vec<_>>();
    let reply = send(app, false, "registration", &signup, Some(SECRET)).await;
    assert_success("registration", &reply, "reseller's sign-up form, admin's 1");
}

// ---------------------------------------------------------------------------------------------
// pre-check 3

#[tokio::test]
async fn get_requests_need_allow_get_api_and_post_is_always_fine() {
    let fx = Fixture::new().await;
    let app = &fx.app;
    let (_, _, c1) = reseller(app, "r1", "c1").await;
    for method in METHODS {
        let reply = send(app, true, method, &fx.request(method), Some(SECRET)).await;
        assert_body(&reply, &precheck(method, "GET Requests are disabled"), method);
        let reply = send(app, false, method, &fx.request(method), Some(SECRET)).await;
        assert_success(method, &reply, "POST while GET is disabled");
    }
    let reply = send(app, true, "device_create", &device_params("r1", c1), Some(SECRET)).await;
    assert_body(&reply, &page_error("GET Requests are disabled"), "reseller");
    app.set("allow_get_api", "1").await;
    for method in METHODS {
        let reply = send(app, true, method, &fx.request(method), Some(SECRET)).await;
        assert_success(method, &reply, "GET allowed");
        let reply = send(app, false, method, &fx.request(method), Some(SECRET)).await;
        assert_success(method, &reply, "POST with GET allowed");
    }
    let reply = send(app, true, "device_create", &device_params("r1", c1), Some(SECRET)).await;
    assert_success("device_create", &reply, "reseller GET allowed by admin's setting");
}

// ---------------------------------------------------------------------------------------------
// pre-check 4 and order

#[tokio::test]
async fn prechecks_run_in_order() {
    // 2 before 3 before 4 (no key) before 4 (hash)
    let fx = Fixture::new().await;
    let app = &fx.app;
    app.set("allow_api", "0").await;
    app.set("api_secret_key", "").await;
    for method in METHODS {
        let reply = send(app, true, method, &fx.request(method), Some("wrongkey")).await;
        assert_body(
            &reply,
            &precheck(method, "API Requests are disabled"),
            &format!("{method}: 2 first"),
        );
    }
    app.set("allow_api", "1").await;
    for method in METHODS {
        let reply = send(app, true, method, &fx.request(method), Some("wrongkey")).await;
        assert_body(
            &reply,
            &precheck(method, "GET Requests are disabled"),
            &format!("{method}: 3 next"),
        );
        let reply = send(app, false, method, &fx.request(method), Some("wrongkey")).await;
        assert_body(
            &reply,
            &precheck(method, "API must have Secret Key"),
            &format!("{method}: then the key"),
        );
    }
    app.set("api_secret_key", SECRET).await;
    for method in METHODS {
        let reply = send(app, false, method, &fx.request(method), Some("wrongkey")).await;
        assert_body(
            &reply,
            &precheck(method, "Incorrect hash"),
            &format!("{method}: then the hash"),
        );
    }
}

#[tokio::test]
async fn the_hash_is_checked_before_any_method_check() {
    let fx = Fixture::new().await;
    let app = &fx.app;
    app.set("api_allow_registration", "0").await;
    let cases: Vec<(&str, Vec<(String, String)>)> = vec![
        ("device_create", with(fx.request("device_create"), "user_id", "999")),
        ("device_create", with(fx.request("device_create"), "u", "bob")),
        ("device_create", with(fx.request("device_create"), "type", "nonsense")),
        ("did_create", with(fx.request("did_create"), "provider_id", "999")),
        ("did_create", with(fx.request("did_create"), "did", "abc")),
        ("did_create", with(fx.request("did_create"), "u", "bob")),
        (
            "reseller_group_create",
            with(fx.request("reseller_group_create"), "name", ""),
        ),
        (
            "reseller_group_create",
            with(fx.request("reseller_group_create"), "u", "bob"),
        ),
        ("registration", fx.request("registration")),
        ("registration", with(fx.request("registration"), "username", "")),
        ("user_register", fx.request("user_register")),
    ];
    for (method, params) in cases {
        let reply = send(app, false, method, &params, Some("wrongkey")).await;
        assert_body(
            &reply,
            &precheck(method, "Incorrect hash"),
            &format!("{method} {params:?}"),
        );
    }
    // and with the right hash the method's own checks answer
    let reply = send(app, false, "registration", &fx.request("registration"), Some(SECRET)).await;
    assert_body(
        &reply,
        &page_error("Registration over API is disabled"),
        "registration gate after the pre-checks",
    );
    let reply = send(
        app,
        false,
        "device_create",
        &with(fx.request("device_create"), "u", "bob"),
        Some(SECRET),
    )
    .await;
    assert_body(
        &reply,
        &page_error("Dont be so smart"),
        "plain user after the pre-checks",
    );
}

#[tokio::test]
async fn missing_wrong_or_malformed_hash_is_incorrect() {
    let fx = Fixture::new().await;
    let app = &fx.app;
    for method in METHODS {
        let params = fx.request(method);
        let good = app.hash_with(method, &pairs(&params), SECRET);
        let bad: Vec<(&str, Option<String>)> = vec![
            ("missing", None),
            ("empty", Some(String::new())),
            ("wrong", Some(WRONG_HASH.into())),
            ("non-hex", Some(format!("{}zz", &good[..38]))),
            ("short", Some(good[..39].to_string())),
            ("long", Some(format!("{good}0"))),
            ("padded", Some(format!(" {good}"))),
            ("trailing space", Some(format!("{good} "))),
            ("placeholder", Some("sd5g16sd1g6s".into())),
            ("sha1 of key only", Some(moray::api::hash::sha1_hex(SECRET))),
            ("sha256", Some(format!("{good}{}", &good[..24]))),
        ];
        for (what, hash) in bad {
            let reply = send_hash(app, method, &params, hash.as_deref()).await;
            assert_body(
                &reply,
                &precheck(method, "Incorrect hash"),
                &format!("{method}: {what}"),
            );
        }
        // a parameter changed after hashing
        let changed = match method {
            "device_create" => with(params.clone(), "description", "other"),
            "did_create" => with(params.clone(), "did", "99999"),
            "reseller_group_create" => with(params.clone(), "name", "other"),
            _ => with(params.clone(), "username", "someoneelse"),
        };
        let reply = send_hash(app, method, &changed, Some(&good)).await;
        assert_body(
            &reply,
            &precheck(method, "Incorrect hash"),
            &format!("{method}: tampered"),
        );
        // the right one, in any letter case
        let reply = send_hash(app, method, &params, Some(&good.to_uppercase())).await;
        assert_success(method, &reply, "uppercase hash");
    }
    // mixed case
    let params = fx.request("reseller_group_create");
    let good = app.hash_with("reseller_group_create", &pairs(&params), SECRET);
    let mixed: String = good
        .chars()
        .enumerate()
        .map(|(i, c)| if i % 2 == 0 { c.to_ascii_uppercase() } else { c })
        .collect();
    let reply = send_hash(app, "reseller_group_create", &params, Some(&mixed)).await;
    assert_success("reseller_group_create", &reply, "mixed-case hash");
}

#[tokio::test]
async fn the_hash_covers_values_raw_in_list_order_and_nothing_else() {
    let fx = Fixture::new().await;
    let app = &fx.app;
    let bob = fx.bob.to_string();
    // unhashed parameters and request order do not matter
    let hash = app.hash_with(
        "device_create",
        &[("user_id", &bob), ("description", "  spaced  "), ("pin", "0042")],
        SECRET,
    );
    let reply = app
        .call(
            "device_create",
            &[
                ("pin", "0042"),
                ("p", "whatever"),
                ("hash", &hash),
                ("fromuser", "x"),
                ("call_timeout", "30"),
                ("description", "  spaced  "),
                ("test", "1"),
                ("u", "admin"),
                ("user_id", &bob),
            ],
        )
        .await;
    assert_success("device_create", &reply, "order and unhashed params");
    // values are raw: no trimming, no integer form except user_id
    let trimmed = app.hash_with(
        "device_create",
        &[("user_id", &bob), ("description", "spaced"), ("pin", "0043")],
        SECRET,
    );
    let reply = app
        .call(
            "device_create",
            &[
                ("u", "admin"),
                ("user_id", &bob),
                ("description", " spaced "),
                ("pin", "0043"),
                ("hash", &trimmed),
            ],
        )
        .await;
    assert_body(&reply, &page_error("Incorrect hash"), "description hashed trimmed");
    let int_pin = app.hash_with("device_create", &[("user_id", &bob), ("pin", "44")], SECRET);
    let reply = app
        .call(
            "device_create",
            &[("u", "admin"), ("user_id", &bob), ("pin", "0044"), ("hash", &int_pin)],
        )
        .await;
    assert_body(&reply, &page_error("Incorrect hash"), "pin hashed as an integer");
    let int_provider = app.hash_with("did_create", &[("provider_id", "1"), ("did", "5550001")], SECRET);
    let reply = app
        .call(
            "did_create",
            &[
                ("u", "admin"),
                ("provider_id", "01"),
                ("did", "5550001"),
                ("hash", &int_provider),
            ],
        )
        .await;
    assert_body(
        &reply,
        &page_status_error("Incorrect hash"),
        "provider_id hashed as an integer",
    );
    // list order, not request order: description before user_id is wrong
    let swapped = moray::api::hash::sha1_hex(&format!("swapped{bob}{SECRET}"));
    let reply = app
        .call(
            "device_create",
            &[
                ("u", "admin"),
                ("user_id", &bob),
                ("description", "swapped"),
                ("hash", &swapped),
            ],
        )
        .await;
    assert_body(&reply, &page_error("Incorrect hash"), "values in request order");
    let right = moray::api::hash::sha1_hex(&format!("{bob}swapped{SECRET}"));
    let reply = app
        .call(
            "device_create",
            &[
                ("description", "swapped"),
                ("u", "admin"),
                ("user_id", &bob),
                ("hash", &right),
            ],
        )
        .await;
    assert_success("device_create", &reply, "values in list order");
    // names are not hashed
    let named = moray::api::hash::sha1_hex(&format!("user_id{bob}description{SECRET}"));
    let reply = app
        .call(
            "device_create",
            &[
                ("u", "admin"),
                ("user_id", &bob),
                ("description", "named"),
                ("hash", &named),
            ],
        )
        .await;
    assert_body(&reply, &page_error("Incorrect hash"), "names hashed");
    // u is never hashed
    let with_u = moray::api::hash::sha1_hex(&format!("adminGroup U{SECRET}"));
    let reply = app
        .call(
            "reseller_group_create",
            &[("u", "admin"), ("name", "Group U"), ("hash", &with_u)],
        )
        .await;
    assert_body(&reply, &status_error("Incorrect hash"), "u hashed");
}

// ---------------------------------------------------------------------------------------------
// B.4 which key

#[tokio::test]
async fn a_reseller_hashes_with_its_own_key_and_admins_when_admin_allows_the_api() {
    let fx = Fixture::new().await;
    let app = &fx.app;
    let (_, r1_hash, c1) = reseller(app, "r1", "c1").await;
    app.set_for(Some("r1"), "api_secret_key", "resellerkey").await;
    app.set_for(Some("r1"), "api_allow_registration", "1").await;
    let signup = |n| {
        registration_params(&r1_hash, n)
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect::<Vec<_>>()
    };

    // admin allow_api = 1: both keys
    for key in ["resellerkey", SECRET] {
        let reply = send(app, false, "device_create", &device_params("r1", c1), Some(key)).await;
        assert_success("device_create", &reply, &format!("reseller, key {key}"));
        let reply = send(app, false, "registration", &signup(unique()), Some(key)).await;
        assert_success("registration", &reply, &format!("reseller's sign-up form, key {key}"));
        let reply = send(app, false, "user_register", &signup(unique()), Some(key)).await;
        assert_success(
            "user_register",
            &reply,
            &format!("reseller's sign-up form (user_register), key {key}"),
        );
    }
    for key in ["wrongkey", "resellerke", ""] {
        let reply = send(app, false, "device_create", &device_params("r1", c1), Some(key)).await;
        assert_body(&reply, &page_error("Incorrect hash"), &format!("reseller, key {key:?}"));
    }
    // admin's own scope never takes the reseller's key
    let reply = send(
        app,
        false,
        "device_create",
        &device_params("admin", fx.bob),
        Some("resellerkey"),
    )
    .await;
    assert_body(&reply, &page_error("Incorrect hash"), "admin with the reseller's key");
    let reply = send(
        app,
        false,
        "registration",
        &fx.request("registration"),
        Some("resellerkey"),
    )
    .await;
    assert_body(
        &reply,
        &status_error("Incorrect hash"),
        "admin's sign-up form with the reseller's key",
    );

    // admin allow_api = 0 (reseller's own 1): only the reseller's key
    app.set("allow_api", "0").await;
    app.set_for(Some("r1"), "allow_api", "1").await;
    let reply = send(app, false, "device_create", &device_params("r1", c1), Some(SECRET)).await;
    assert_body(
        &reply,
        &page_error("Incorrect hash"),
        "admin's key while admin's allow_api is 0",
    );
    let reply = send(app, false, "registration", &signup(unique()), Some(SECRET)).await;
    assert_body(
        &reply,
        &status_error("Incorrect hash"),
        "sign-up with admin's key while admin's allow_api is 0",
    );
    let reply = send(
        app,
        false,
        "device_create",
        &device_params("r1", c1),
        Some("resellerkey"),
    )
    .await;
    assert_success("device_create", &reply, "reseller's key while admin's allow_api is 0");
}

#[tokio::test]
async fn a_reseller_without_its_own_key_inherits_admins() {
    let fx = Fixture::new().await;
    let app = &fx.app;
    let (_, _, c1) = reseller(app, "r1", "c1").await;
    app.set("allow_api", "0").await;
    app.set_for(Some("r1"), "allow_api", "1").await;
    let reply = send(app, false, "device_create", &device_params("r1", c1), Some(SECRET)).await;
    assert_success("device_create", &reply, "inherited key");
    // its own key replaces the inherited one
    app.set_for(Some("r1"), "api_secret_key", "resellerkey").await;
    let reply = send(app, false, "device_create", &device_params("r1", c1), Some(SECRET)).await;
    assert_body(&reply, &page_error("Incorrect hash"), "own key replaces admin's");
    // an own empty key: no key at all while admin's allow_api is 0
    app.set_for(Some("r1"), "api_secret_key", "").await;
    for key in [Some(SECRET), Some(""), None] {
        let reply = send(app, false, "device_create", &device_params("r1", c1), key).await;
        assert_body(
            &reply,
            &page_error("API must have Secret Key"),
            &format!("empty own key, admin 0, key {key:?}"),
        );
    }
    // with admin's allow_api 1 admin's key is a candidate again
    app.set("allow_api", "1").await;
    let reply = send(app, false, "device_create", &device_params("r1", c1), Some(SECRET)).await;
    assert_success("device_create", &reply, "empty own key, admin's key accepted");
    let reply = send(app, false, "device_create", &device_params("r1", c1), Some("")).await;
    assert_body(&reply, &page_error("Incorrect hash"), "empty own key is not a key");
    // admin without a key, reseller with one
    app.set("api_secret_key", "").await;
    app.set_for(Some("r1"), "api_secret_key", "resellerkey").await;
    let reply = send(
        app,
        false,
        "device_create",
        &device_params("r1", c1),
        Some("resellerkey"),
    )
    .await;
    assert_success("device_create", &reply, "admin keyless, reseller keyed");
    let reply = send(
        app,
        false,
        "device_create",
        &device_params("admin", fx.bob),
        Some(SECRET),
    )
    .await;
    assert_body(&reply, &page_error("API must have Secret Key"), "admin keyless");
}

#[tokio::test]
async fn plain_users_and_accountants_use_their_scopes_key() {
    let fx = Fixture::new().await;
    let app = &fx.app;
    let (_, _, c1) = reseller(app, "r1", "c1").await;
    app.set_for(Some("r1"), "api_secret_key", "resellerkey").await;
    app.user_with(spec("acc", "accountant", None, Some("device_manage=2,manage_dids=2")))
        .await;
    let did = |u: &str| {
        vec![
            ("u".to_string(), u.to_string()),
            ("provider_id".into(), "1".into()),
            ("did".into(), format!("77{}", unique())),
        ]
    };

    // c1 (owned by r1): r1's key, and admin's while admin's allow_api is 1
    let reply = send(app, false, "did_create", &did("c1"), Some("resellerkey")).await;
    assert_body(&reply, &page_status_error("Access Denied"), "c1 with its owner's key");
    let reply = send(app, false, "did_create", &did("c1"), Some(SECRET)).await;
    assert_body(
        &reply,
        &page_status_error("Access Denied"),
        "c1 with admin's key (admin allows the API)",
    );
    let reply = send(app, false, "did_create", &did("c1"), Some("wrongkey")).await;
    assert_body(&reply, &page_status_error("Incorrect hash"), "c1 with a wrong key");
    let reply = send(
        app,
        false,
        "device_create",
        &device_params("c1", c1),
        Some("resellerkey"),
    )
    .await;
    assert_body(
        &reply,
        &page_error("Dont be so smart"),
        "c1 device_create with its owner's key",
    );
    let reply = send(app, false, "device_create", &device_params("c1", c1), Some("wrongkey")).await;
    assert_body(
        &reply,
        &page_error("Incorrect hash"),
        "c1 device_create with a wrong key",
    );
    app.set("allow_api", "0").await;
    app.set_for(Some("r1"), "allow_api", "1").await;
    let reply = send(app, false, "did_create", &did("c1"), Some(SECRET)).await;
    assert_body(
        &reply,
        &page_status_error("Incorrect hash"),
        "c1 with admin's key while admin's allow_api is 0",
    );
    let reply = send(app, false, "did_create", &did("c1"), Some("resellerkey")).await;
    assert_body(
        &reply,
        &page_status_error("Access Denied"),
        "c1 with its owner's key while admin's allow_api is 0",
    );
    app.set("allow_api", "1").await;

    // bob (owned by admin): admin's key only
    let reply = send(app, false, "did_create", &did("bob"), Some(SECRET)).await;
    assert_body(&reply, &page_status_error("Access Denied"), "bob with admin's key");
    let reply = send(app, false, "did_create", &did("bob"), Some("resellerkey")).await;
    assert_body(
        &reply,
        &page_status_error("Incorrect hash"),
        "bob with a reseller's key",
    );

    // accountant: admin's key
    let reply = send(app, false, "device_create", &device_params("acc", fx.bob), Some(SECRET)).await;
    assert_success("device_create", &reply, "accountant with admin's key");
    let reply = send(app, false, "did_create", &did("acc"), Some(SECRET)).await;
    assert_success("did_create", &reply, "accountant did_create with admin's key");
    let reply = send(
        app,
        false,
        "device_create",
        &device_params("acc", fx.bob),
        Some("resellerkey"),
    )
    .await;
    assert_body(
        &reply,
        &page_error("Incorrect hash"),
        "accountant with a reseller's key",
    );
}

// ---------------------------------------------------------------------------------------------
// B.5 disabling

#[tokio::test]
async fn disable_hash_checking_accepts_any_or_no_hash() {
    let fx = Fixture::new().await;
    let app = &fx.app;
    app.set("disable_hash_checking", "1").await;
    for method in METHODS {
        for hash in [
            None,
            Some(""),
            Some(WRONG_HASH),
            Some("sd5g16sd1g6s"),
            Some("garbage hash"),
        ] {
            let reply = send_hash(app, method, &fx.request(method), hash).await;
            assert_success(method, &reply, &format!("hash {hash:?}"));
        }
    }
    // even without a key
    app.set("api_secret_key", "").await;
    for method in METHODS {
        let reply = send_hash(app, method, &fx.request(method), None).await;
        assert_success(method, &reply, "no key, checking disabled");
    }
    // the other pre-checks still run
    for method in METHODS {
        let reply = send_hash(app, method, &fx.request(method), None).await;
        assert_success(method, &reply, "POST");
        let request = fx.request(method);
        let mut all = pairs(&request);
        all.push(("hash", "x"));
        let reply = app.get(&format!("/api/{method}"), &all).await;
        assert_body(&reply, &precheck(method, "GET Requests are disabled"), method);
    }
    app.set("allow_api", "0").await;
    for method in METHODS {
        let reply = send_hash(app, method, &fx.request(method), None).await;
        assert_body(&reply, &precheck(method, "API Requests are disabled"), method);
    }
}

#[tokio::test]
async fn the_seed_reseller_group_request_needs_hash_checking_disabled() {
    let fx = Fixture::new().await;
    let app = &fx.app;
    let seed = [
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
        ("hash", "sd5g16sd1g6s"),
    ];
    let reply = app.call("reseller_group_create", &seed).await;
    assert_body(&reply, &status_error("Incorrect hash"), "placeholder hash");
    app.set("disable_hash_checking", "1").await;
    let reply = app.call("reseller_group_create", &seed).await;
    assert_success("reseller_group_create", &reply, "checking disabled");
}

#[tokio::test]
async fn resellers_inherit_or_set_disable_hash_checking() {
    let fx = Fixture::new().await;
    let app = &fx.app;
    let (_, r1_hash, c1) = reseller(app, "r1", "c1").await;
    let (_, _, c2) = reseller(app, "r2", "c2").await;
    app.set_for(Some("r1"), "api_secret_key", "resellerkey").await;
    app.set_for(Some("r1"), "api_allow_registration", "1").await;
    let signup = || {
        registration_params(&r1_hash, unique())
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect::<Vec<_>>()
    };

    // admin's 1 reaches the reseller (no own value)
    app.set("disable_hash_checking", "1").await;
    let reply = send(app, false, "device_create", &device_params("r1", c1), None).await;
    assert_success("device_create", &reply, "inherited from admin");
    let reply = send_hash(app, "registration", &signup(), Some(WRONG_HASH)).await;
    assert_success("registration", &reply, "reseller's sign-up, inherited from admin");
    // admin's 1 even when the reseller's own value is 0 (B.5: "or in admin's scope")
    app.set_for(Some("r1"), "disable_hash_checking", "0").await;
    let reply = send(app, false, "device_create", &device_params("r1", c1), None).await;
    assert_success("device_create", &reply, "admin's 1 beats reseller's own 0");

    // the reseller's own 1 with admin's 0: only that reseller's scope
    app.set("disable_hash_checking", "0").await;
    app.set_for(Some("r1"), "disable_hash_checking", "1").await;
    let reply = send(app, false, "device_create", &device_params("r1", c1), None).await;
    assert_success("device_create", &reply, "reseller's own 1");
    let did = vec![
        ("u".to_string(), "c1".to_string()),
        ("provider_id".into(), "1".into()),
        ("did".into(), "4242".into()),
    ];
    let reply = send_hash(app, "did_create", &did, None).await;
    assert_body(
        &reply,
        &page_status_error("Access Denied"),
        "the reseller's plain user shares its scope",
    );
    let reply = send(app, false, "device_create", &device_params("admin", fx.bob), None).await;
    assert_body(&reply, &page_error("Incorrect hash"), "admin still checked");
    let reply = send(app, false, "device_create", &device_params("r2", c2), None).await;
    assert_body(&reply, &page_error("Incorrect hash"), "another reseller still checked");
    let reply = send_hash(app, "did_create", &with(did, "u", "bob"), None).await;
    assert_body(
        &reply,
        &page_status_error("Incorrect hash"),
        "admin's plain user still checked",
    );
}

// ---------------------------------------------------------------------------------------------
// B.3 user_id normalisation

#[tokio::test]
async fn user_id_is_hashed_raw_or_as_an_integer() {
    let app = TestApp::new().await;
    let mut id = 0;
    for i in 1..=7 {
        id = app.user(&format!("user{i}"), "user").await.0;
    }
    assert_eq!(id, 7);
    let sha = moray::api::hash::sha1_hex;
    for (sent, accepted) in [("007", vec!["7", "007"]), ("7", vec!["7"]), ("0007", vec!["7", "0007"])] {
        for hashed in accepted {
            let hash = sha(&format!("{hashed}{SECRET}"));
            let reply = app
                .call("device_create", &[("u", "admin"), ("user_id", sent), ("hash", &hash)])
                .await;
            assert_success("device_create", &reply, &format!("user_id={sent} hashed as {hashed:?}"));
        }
    }
    // only the raw and the integer forms
    for hashed in ["07", "", "0", "7.0"] {
        let hash = sha(&format!("{hashed}{SECRET}"));
        let reply = app
            .call("device_create", &[("u", "admin"), ("user_id", "007"), ("hash", &hash)])
            .await;
        assert_body(
            &reply,
            &page_error("Incorrect hash"),
            &format!("user_id=007 hashed as {hashed:?}"),
        );
    }
    // with the rest of the list after it
    let hash = sha(&format!("7desc{SECRET}"));
    let reply = app
        .call(
            "device_create",
            &[
                ("u", "admin"),
                ("user_id", "007"),
                ("description", "desc"),
                ("hash", &hash),
            ],
        )
        .await;
    assert_success("device_create", &reply, "normalised user_id followed by description");
    // empty → "0" (or raw ""); the method then finds no user
    for hashed in ["0", ""] {
        let hash = sha(&format!("{hashed}{SECRET}"));
        let reply = app
            .call("device_create", &[("u", "admin"), ("user_id", ""), ("hash", &hash)])
            .await;
        assert_body(
            &reply,
            &page_error("User was not found"),
            &format!("user_id= hashed as {hashed:?}"),
        );
    }
    // non-digits: left out (or raw)
    for (sent, hashed) in [
        ("x7", ""),
        ("x7", "x7"),
        (" 7", ""),
        (" 7", " 7"),
        ("-7", ""),
        ("-7", "-7"),
    ] {
        let hash = sha(&format!("{hashed}{SECRET}"));
        let reply = app
            .call("device_create", &[("u", "admin"), ("user_id", sent), ("hash", &hash)])
            .await;
        assert_body(
            &reply,
            &page_error("User was not found"),
            &format!("user_id={sent:?} hashed as {hashed:?}"),
        );
    }
    let hash = sha(&format!("0{SECRET}"));
    let reply = app
        .call("device_create", &[("u", "admin"), ("user_id", "x7"), ("hash", &hash)])
        .await;
    assert_body(&reply, &page_error("Incorrect hash"), "non-digit user_id is not 0");
    // absent user_id contributes nothing
    let hash = sha(SECRET);
    let reply = app.call("device_create", &[("u", "admin"), ("hash", &hash)]).await;
    assert_body(&reply, &page_error("User was not found"), "absent user_id");
}

// ---------------------------------------------------------------------------------------------
// B.2 Compat lists and B.7 vectors

#[tokio::test]
async fn did_create_accepts_the_seeds_provider_id_only_hash() {
    // the seed's request, legacy list: provider_id only
    let app = TestApp::new().await;
    assert_eq!(app.provider("prov", None).await, 1);
    let reply = app
        .call(
            "did_create",
            &[
                ("u", "admin"),
                ("did", "123456789"),
                ("provider_id", "1"),
                ("hash", "bc2f114099d16656d37e45fd9e8744cb9386d462"),
            ],
        )
        .await;
    assert_success("did_create", &reply, "seed hash bc2f…");
    // the legacy hash does not cover the number
    let reply = app
        .call(
            "did_create",
            &[
                ("u", "admin"),
                ("did", "555000"),
                ("provider_id", "1"),
                ("hash", "bc2f114099d16656d37e45fd9e8744cb9386d462"),
            ],
        )
        .await;
    assert_success("did_create", &reply, "seed hash, another number");
    // the primary list
    let app = TestApp::new().await;
    assert_eq!(app.provider("prov", None).await, 1);
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
    assert_success("did_create", &reply, "primary hash cb9d…");
    // other combinations are not lists of did_create
    let sha = moray::api::hash::sha1_hex;
    for string in ["123456789secret", "1234567891secret", "secret", "1123456789"] {
        let reply = app
            .call(
                "did_create",
                &[
                    ("u", "admin"),
                    ("provider_id", "1"),
                    ("did", "888"),
                    ("hash", &sha(string)),
                ],
            )
            .await;
        assert_body(&reply, &page_status_error("Incorrect hash"), string);
    }
    // the legacy list also works with a reseller's key
    app.set("resellers_can_add_their_own_dids", "1").await;
    let (r1, _) = app.user_with(spec("r1", "reseller", None, None)).await;
    app.set_for(Some("r1"), "api_secret_key", "resellerkey").await;
    app.set_for(Some("r1"), "reseller_default_did_provider_id", "1").await;
    let hash = sha("1resellerkey");
    let reply = app
        .call(
            "did_create",
            &[("u", "r1"), ("provider_id", "1"), ("did", "999111"), ("hash", &hash)],
        )
        .await;
    assert_success(
        "did_create",
        &reply,
        &format!("reseller {r1}, legacy list with its key"),
    );
}

#[tokio::test]
async fn b7_vectors_for_the_seed_methods() {
    let app = TestApp::new().await;
    // device_create: user_id=2&description=desription1&pin=3 → 2desription13secret
    app.user("alice", "user").await;
    assert_eq!(app.user("bob", "user").await.0, 2);
    assert_eq!(
        app.hash_with(
            "device_create",
            &[("user_id", "2"), ("description", "desription1"), ("pin", "3")],
            SECRET
        ),
        "6e79d4a82f68102f43be11d873177f47817f84df"
    );
    let reply = app
        .call(
            "device_create",
            &[
                ("u", "admin"),
                ("user_id", "2"),
                ("description", "desription1"),
                ("pin", "3"),
                ("hash", "6e79d4a82f68102f43be11d873177f47817f84df"),
            ],
        )
        .await;
    assert_success("device_create", &reply, "seed device_create");
    // reseller_group_create: Another Reseller Group
    let reply = app
        .call(
            "reseller_group_create",
            &[
                ("u", "admin"),
                ("name", "Another Reseller Group"),
                ("hash", "1bc97e7c9ae39130046c034076d063db798dcab7"),
            ],
        )
        .await;
    assert_success("reseller_group_create", &reply, "reseller group vector");
    // did_create both vectors
    app.provider("prov", None).await;
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
    assert_success("did_create", &reply, "did_create primary vector");
    let reply = app
        .call(
            "did_create",
            &[
                ("u", "admin"),
                ("provider_id", "1"),
                ("did", "123456789"),
                ("hash", "bc2f114099d16656d37e45fd9e8744cb9386d462"),
            ],
        )
        .await;
    assert_body(
        &reply,
        &page_status_error("DID already exists"),
        "did_create legacy vector passes the pre-checks",
    );
    // registration: admin's uniquehash set to the vector's hfttv7bcqt
    app.exec("UPDATE users SET uniquehash = 'hfttv7bcqt' WHERE id = 0", p![]);
    app.set("api_allow_registration", "1").await;
    let params = [
        ("email", "john@example.com"),
        ("id", "hfttv7bcqt"),
        ("device_type", "SIP"),
        ("username", "john"),
        ("first_name", "John"),
        ("last_name", "Doe"),
        ("password", "johnpass1"),
        ("password2", "johnpass1"),
        ("country_id", "1"),
        ("hash", "07e4a5195113fbebfa7b3cb258569ace3e4d56f0"),
    ];
    let reply = app.call("registration", &params).await;
    assert_success("registration", &reply, "registration vector");
    let reply = app.call("user_register", &params).await;
    assert_body(
        &reply,
        &page_status_error("Such username is already taken"),
        "user_register vector passes the pre-checks",
    );
}

#[tokio::test]
async fn registration_accepts_the_php_clients_short_list() {
    let fx = Fixture::new().await;
    let app = &fx.app;
    let sha = moray::api::hash::sha1_hex;
    for method in ["registration", "user_register"] {
        let n = unique();
        let mut params: Vec<(String, String)> = registration_params(&app.admin_uniquehash, n)
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect();
        params.push(("caller_id".into(), "37060000001".into()));
        params.push(("state".into(), "Vilnius".into()));
        params.push(("lcr_id".into(), "1".into()));
        let get = |k: &str| {
            params
                .iter()
                .find(|(n, _)| n == k)
                .map(|(_, v)| v.clone())
                .unwrap_or_default()
        };
        // email id device_type username first_name last_name, even with the others present
        let short = sha(&format!(
            "{}{}{}{}{}{}{SECRET}",
            get("email"),
            get("id"),
            get("device_type"),
            get("username"),
            get("first_name"),
            get("last_name")
        ));
        let reply = send_hash(app, method, &params, Some(&short)).await;
        assert_success(method, &reply, "PHP client's list");
        // the primary list with everything present
        let params = with(
            with(params.clone(), "username", &format!("other{n}")),
            "email",
            &format!("other{n}@example.com"),
        );
        let reply = send(app, false, method, &params, Some(SECRET)).await;
        assert_success(method, &reply, "primary list with optional fields");
    }
}
