//! `devices_get` (`/api/device_list`, spec F.6).

use super::*;

#[tokio::test]
async fn devices_get_lists_the_users_devices_by_id_with_the_lowest_id_as_primary() {
    let app = TestApp::new().await;
    let (bob, d1, u1, s1) = bob_with_device(&app).await;
    let (d2, u2, s2) = device(&app, "admin", bob, &[]).await;
    let group: i64 = col(&app, d1, "devicegroup_id").parse().unwrap();
    let reply = as_(&app, "admin", "devices_get", &[("user_id", &bob.to_string())]).await;
    assert_eq!(reply.status, 200);
    assert_eq!(
        reply.body,
        device_list(vec![
            listed(d1, "yes", &u1, &s1, group),
            listed(d2, "no", &u2, &s2, group)
        ])
    );
}

#[tokio::test]
async fn devices_get_is_served_at_the_device_list_alias() {
    let app = TestApp::new().await;
    let (bob, _, _, _) = bob_with_device(&app).await;
    let uid = bob.to_string();
    let canonical = as_(&app, "admin", "devices_get", &[("user_id", &uid)]).await;
    let hash = app.hash_with("devices_get", &[("user_id", &uid)], SECRET);
    let alias = app
        .post(
            "/billing/api/device_list",
            &[("u", "admin"), ("user_id", &uid), ("hash", &hash)],
        )
        .await;
    assert_eq!(alias.body, canonical.body);
    assert!(alias.body.contains("<primary_device>yes</primary_device>"));
}

#[tokio::test]
async fn devices_get_show_hidden_devices_0_omits_hidden_devices() {
    let app = TestApp::new().await;
    let (bob, d1, _, _) = bob_with_device(&app).await;
    let (d2, _, _) = device(&app, "admin", bob, &[]).await;
    app.exec("UPDATE devices SET hidden = 1 WHERE id = ?1", p![d1]);
    let uid = bob.to_string();
    let all = as_(&app, "admin", "devices_get", &[("user_id", &uid)]).await.body;
    assert!(
        all.contains(&format!("<device_id>{d1}</device_id>")) && all.contains(&format!("<device_id>{d2}</device_id>"))
    );
    let shown = as_(
        &app,
        "admin",
        "devices_get",
        &[("user_id", &uid), ("show_hidden_devices", "1")],
    )
    .await
    .body;
    assert_eq!(shown, all);
    let visible = as_(
        &app,
        "admin",
        "devices_get",
        &[("user_id", &uid), ("show_hidden_devices", "0")],
    )
    .await
    .body;
    assert!(!visible.contains(&format!("<device_id>{d1}</device_id>")), "{visible}");
    assert!(visible.contains(&format!("<device_id>{d2}</device_id>")));
    // the hidden device is still the user's primary one
    assert!(
        visible.contains("<primary_device>no</primary_device>") && !visible.contains(">yes<"),
        "{visible}"
    );
    // only hidden devices left: nothing to list
    app.exec("UPDATE devices SET hidden = 1", p![]);
    let none = as_(
        &app,
        "admin",
        "devices_get",
        &[("user_id", &uid), ("show_hidden_devices", "0")],
    )
    .await;
    assert_eq!(none.body, page_error("Device not found"));
}

#[tokio::test]
async fn devices_get_refuses_an_unknown_or_blank_caller_with_bad_login() {
    let app = TestApp::new().await;
    let (bob, _, _, _) = bob_with_device(&app).await;
    let uid = bob.to_string();
    assert_eq!(
        app.call("devices_get", &[("u", "nobody"), ("user_id", &uid)])
            .await
            .body,
        page_error("Bad login")
    );
    assert_eq!(
        app.call("devices_get", &[("user_id", &uid)]).await.body,
        page_error("Bad login")
    );
}

#[tokio::test]
async fn devices_get_refuses_plain_users_and_accountants_without_device_manage() {
    let app = TestApp::new().await;
    let (bob, _, _, _) = bob_with_device(&app).await;
    accountant(&app, "acc0", "device_manage=0").await;
    accountant(&app, "acc1", "device_manage=1").await;
    let uid = bob.to_string();
    let denied = page_error("You are not authorized to view this page");
    assert_eq!(as_(&app, "bob", "devices_get", &[("user_id", &uid)]).await.body, denied);
    assert_eq!(
        as_(&app, "acc0", "devices_get", &[("user_id", &uid)]).await.body,
        denied
    );
    let reply = as_(&app, "acc1", "devices_get", &[("user_id", &uid)]).await;
    assert!(
        reply.body.contains("<primary_device>yes</primary_device>"),
        "{}",
        reply.body
    );
}

#[tokio::test]
async fn devices_get_checks_user_id_empty_then_unknown() {
    let app = TestApp::new().await;
    assert_eq!(
        as_(&app, "admin", "devices_get", &[]).await.body,
        page_error("user_id is empty")
    );
    assert_eq!(
        as_(&app, "admin", "devices_get", &[("user_id", " ")]).await.body,
        page_error("user_id is empty")
    );
    assert_eq!(
        as_(&app, "admin", "devices_get", &[("user_id", "999")]).await.body,
        page_error("User not found")
    );
    assert_eq!(
        as_(&app, "admin", "devices_get", &[("user_id", "x1")]).await.body,
        page_error("User not found")
    );
}

#[tokio::test]
async fn devices_get_refuses_users_outside_the_callers_scope() {
    let app = TestApp::new().await;
    let (_, _, ub) = two_resellers(&app).await;
    let uid = ub.to_string();
    assert_eq!(
        as_(&app, "ra", "devices_get", &[("user_id", &uid)]).await.body,
        page_error("Access Denied")
    );
    // admin reaches a reseller's users only through the reseller (spec D.1)
    assert_eq!(
        as_(&app, "admin", "devices_get", &[("user_id", &uid)]).await.body,
        page_error("Access Denied")
    );
    assert_eq!(
        as_(&app, "admin", "devices_get", &[("user_id", "0")]).await.body,
        page_error("Access Denied")
    );
    assert!(
        as_(&app, "rb", "devices_get", &[("user_id", &uid)])
            .await
            .body
            .contains("<devices>")
    );
}

#[tokio::test]
async fn devices_get_answers_device_not_found_for_a_user_without_devices() {
    let app = TestApp::new().await;
    let (bob, _) = app.user("bob", "user").await;
    let reply = as_(&app, "admin", "devices_get", &[("user_id", &bob.to_string())]).await;
    assert_eq!(reply.body, page_error("Device not found"));
}

#[tokio::test]
async fn devices_get_accepts_the_wiki_vector_and_refuses_a_wrong_hash() {
    let app = TestApp::new().await;
    app.set("api_secret_key", "456789").await;
    // user_id=100, key 456789 → sha1("100456789"); no user 100, so the hash passed if we get here
    let reply = app
        .call(
            "devices_get",
            &[
                ("u", "admin"),
                ("user_id", "100"),
                ("hash", "71516eea4850f7e0300ac86adf9fb64bca845aa7"),
            ],
        )
        .await;
    assert_eq!(reply.body, page_error("User not found"));
    let reply = app
        .call(
            "devices_get",
            &[("u", "admin"), ("user_id", "100"), ("hash", &sha1_hex("100secret"))],
        )
        .await;
    assert_eq!(reply.body, status_error("Incorrect hash"));
}
