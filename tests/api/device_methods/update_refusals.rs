//! `device_update` (spec F.8): refusals in check order, and the extension a change frees.

use super::*;

#[tokio::test]
async fn device_update_refuses_an_unknown_caller_plain_users_and_accountants_without_write_right() {
    let app = TestApp::new().await;
    let (_, id, _, _) = bob_with_device(&app).await;
    accountant(&app, "acc1", "device_manage=1").await;
    accountant(&app, "acc2", "device_manage=2").await;
    let did = id.to_string();
    let reply = app.call("device_update", &[("u", "ghost"), ("device", &did)]).await;
    assert_eq!(reply.body, page_status_error("Access Denied"));
    let denied = page_status_error("You are not authorized to use this functionality");
    assert_eq!(
        as_(&app, "bob", "device_update", &[("device", &did)]).await.body,
        denied
    );
    assert_eq!(
        as_(&app, "acc1", "device_update", &[("device", &did)]).await.body,
        denied
    );
    assert_eq!(
        as_(&app, "acc2", "device_update", &[("device", &did), ("comment", "acc")])
            .await
            .body,
        updated()
    );
    assert_eq!(col(&app, id, "comment"), "acc");
}

#[tokio::test]
async fn device_update_refuses_callerid_changes_by_an_accountant_without_callerid_manage() {
    let app = TestApp::new().await;
    let (_, id, _, _) = bob_with_device(&app).await;
    accountant(&app, "acc2", "device_manage=2").await;
    accountant(&app, "accc", "device_manage=2,callerid_manage=2").await;
    let did = id.to_string();
    let reply = as_(
        &app,
        "acc2",
        "device_update",
        &[("device", &did), ("callerid_number", "123")],
    )
    .await;
    assert_eq!(
        reply.body,
        page_status_error("You are not authorized to manage callerid")
    );
    let reply = as_(
        &app,
        "acc2",
        "device_update",
        &[("device", &did), ("callerid_name", "N")],
    )
    .await;
    assert_eq!(
        reply.body,
        page_status_error("You are not authorized to manage callerid")
    );
    let reply = as_(
        &app,
        "accc",
        "device_update",
        &[("device", &did), ("callerid_number", "123")],
    )
    .await;
    assert_eq!(reply.body, updated());
    assert_eq!(col(&app, id, "callerid"), "<123>");
}

#[tokio::test]
async fn device_update_answers_device_was_not_found() {
    let app = TestApp::new().await;
    let not_found = page_status_error("Device was not found");
    assert_eq!(as_(&app, "admin", "device_update", &[]).await.body, not_found);
    assert_eq!(
        as_(&app, "admin", "device_update", &[("device", "")]).await.body,
        not_found
    );
    assert_eq!(
        as_(&app, "admin", "device_update", &[("device", "42")]).await.body,
        not_found
    );
}

#[tokio::test]
async fn device_update_refuses_another_resellers_device() {
    let app = TestApp::new().await;
    let (da, db_, _) = two_resellers(&app).await;
    let reply = as_(
        &app,
        "ra",
        "device_update",
        &[("device", &db_.to_string()), ("comment", "x")],
    )
    .await;
    assert_eq!(reply.body, page_status_error("Access Denied"));
    assert_eq!(col(&app, db_, "comment"), "");
    let reply = as_(
        &app,
        "ra",
        "device_update",
        &[("device", &da.to_string()), ("comment", "mine")],
    )
    .await;
    assert_eq!(reply.body, updated());
}

#[tokio::test]
async fn device_update_checks_location_timeout_and_pin_with_their_messages() {
    let app = TestApp::new().await;
    let (bob, id, _, _) = bob_with_device(&app).await;
    let (_, _, _) = device(&app, "admin", bob, &[("pin", "9999")]).await;
    reseller(&app, "ra").await;
    let reseller_location = app.store().user_by_username("ra").await.unwrap().unwrap().id;
    app.exec(
        "INSERT INTO locations (id, name, owner_id) VALUES (8, 'Theirs', ?1)",
        p![reseller_location],
    );
    let did = id.to_string();
    update_refused(&app, &did, &[("new_location_id", "99")], "Location was not found").await;
    update_refused(&app, &did, &[("new_location_id", "8")], "Location was not found").await;
    update_refused(&app, &did, &[("location_id", "x")], "Location was not found").await;
    update_refused(
        &app,
        &did,
        &[("call_timeout", "-1")],
        "Device Call Timeout must be greater than or equal to 0",
    )
    .await;
    update_refused(
        &app,
        &did,
        &[("call_timeout", "1.5")],
        "Device Call Timeout must be greater than or equal to 0",
    )
    .await;
    update_refused(&app, &did, &[("pin", "12a")], "PIN must be numeric").await;
    update_refused(&app, &did, &[("pin", "9999")], "PIN is already used").await;
    // the first failing check answers
    update_refused(
        &app,
        &did,
        &[("pin", "12a"), ("new_location_id", "99")],
        "Location was not found",
    )
    .await;
}

#[tokio::test]
async fn device_update_refuses_a_taken_extension_or_username() {
    let app = TestApp::new().await;
    let (bob, id, _, _) = bob_with_device(&app).await;
    let (other, other_name, _) = device(&app, "admin", bob, &[]).await;
    app.exec(
        "UPDATE devices SET username = 'sipbob', name = 'sipbob' WHERE id = ?1",
        p![other],
    );
    let did = id.to_string();
    let taken = page_status_error("Extension already exists in User's PBX Pool");
    assert_eq!(
        as_(
            &app,
            "admin",
            "device_update",
            &[("device", &did), ("extension", &other_name)]
        )
        .await
        .body,
        taken
    );
    assert_eq!(
        as_(
            &app,
            "admin",
            "device_update",
            &[("device", &did), ("extension", "sipbob")]
        )
        .await
        .body,
        taken
    );
    let taken = page_status_error("Device username is already taken");
    assert_eq!(
        as_(
            &app,
            "admin",
            "device_update",
            &[("device", &did), ("username", "sipbob")]
        )
        .await
        .body,
        taken
    );
    assert_eq!(
        as_(
            &app,
            "admin",
            "device_update",
            &[("device", &did), ("username", &other_name)]
        )
        .await
        .body,
        taken
    );
    // extension before username
    let both = [
        ("device", did.as_str()),
        ("extension", "sipbob"),
        ("username", "sipbob"),
    ];
    assert_eq!(
        as_(&app, "admin", "device_update", &both).await.body,
        page_status_error("Extension already exists in User's PBX Pool")
    );
    // invalid values come last
    let invalid = page_status_error("Device was not updated");
    assert_eq!(
        as_(
            &app,
            "admin",
            "device_update",
            &[("device", &did), ("extension", "Bad Ext")]
        )
        .await
        .body,
        invalid
    );
    assert_eq!(
        as_(&app, "admin", "device_update", &[("device", &did), ("username", "a b")])
            .await
            .body,
        invalid
    );
    assert_eq!(
        as_(&app, "admin", "device_update", &[("device", &did), ("trunk", "3")])
            .await
            .body,
        invalid
    );
    assert_eq!(
        as_(&app, "admin", "device_update", &[("device", &did), ("hidden", "yes")])
            .await
            .body,
        invalid
    );
    assert_eq!(
        as_(
            &app,
            "admin",
            "device_update",
            &[("device", &did), ("call_limit", "many")]
        )
        .await
        .body,
        invalid
    );
    let both = [("device", did.as_str()), ("trunk", "3"), ("username", "sipbob")];
    assert_eq!(as_(&app, "admin", "device_update", &both).await.body, taken);
}

#[tokio::test]
async fn device_update_frees_the_old_extension_for_device_create() {
    let app = TestApp::new().await;
    let (bob, id, username, _) = bob_with_device(&app).await;
    assert_eq!(username, "101");
    let did = id.to_string();
    let reply = as_(
        &app,
        "admin",
        "device_update",
        &[("device", &did), ("extension", "5000"), ("username", "bobdesk")],
    )
    .await;
    assert_eq!(reply.body, updated());
    assert_eq!(
        (col(&app, id, "extension"), col(&app, id, "username")),
        ("5000".into(), "bobdesk".into())
    );
    let (_, next, _) = device(&app, "admin", bob, &[]).await;
    assert_eq!(next, "101", "the freed extension is allocated again");
}
