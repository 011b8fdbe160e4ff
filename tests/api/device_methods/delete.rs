//! `device_delete` (`/api/device_destroy`, spec F.9).

use super::*;

#[tokio::test]
async fn device_delete_removes_the_device_and_its_clis() {
    let app = TestApp::new().await;
    let (_, id, _, _) = bob_with_device(&app).await;
    app.exec(
        "INSERT INTO clis (device_id, cli, description) VALUES (?1, '37060111', '')",
        p![id],
    );
    let reply = as_(&app, "admin", "device_delete", &[("device", &id.to_string())]).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body, deleted());
    assert!(!device_exists(&app, id));
    let clis: i64 = app.count("SELECT COUNT(*) FROM clis");
    assert_eq!(clis, 0);
    let again = as_(&app, "admin", "device_delete", &[("device", &id.to_string())]).await;
    assert_eq!(again.body, page_error("Device was not found"));
}

#[tokio::test]
async fn device_delete_is_served_at_the_device_destroy_alias() {
    let app = TestApp::new().await;
    let (_, id, _, _) = bob_with_device(&app).await;
    let did = id.to_string();
    let hash = app.hash_with("device_delete", &[("device", &did)], SECRET);
    let reply = app
        .post(
            "/api/device_destroy",
            &[("u", "admin"), ("device", &did), ("hash", &hash)],
        )
        .await;
    assert_eq!(reply.body, deleted());
    assert!(!device_exists(&app, id));
}

#[tokio::test]
async fn device_delete_accepts_the_wiki_vector() {
    let app = TestApp::new().await;
    let (_, id, _, _) = bob_with_device(&app).await;
    app.exec("UPDATE devices SET id = 123 WHERE id = ?1", p![id]);
    app.set("api_secret_key", "456789").await;
    // device=123, key 456789 → sha1("123456789")
    let reply = app
        .call(
            "device_delete",
            &[
                ("u", "admin"),
                ("device", "123"),
                ("hash", "f7c3bc1d808e04732adf679965ccc34ca7ae3441"),
            ],
        )
        .await;
    assert_eq!(reply.body, deleted());
    assert!(!device_exists(&app, 123));
    let wrong = app
        .call(
            "device_delete",
            &[("u", "admin"), ("device", "123"), ("hash", &sha1_hex("123secret"))],
        )
        .await;
    assert_eq!(wrong.body, status_error("Incorrect hash"));
}

#[tokio::test]
async fn device_delete_refuses_an_unknown_caller_and_an_unknown_device() {
    let app = TestApp::new().await;
    let (_, id, _, _) = bob_with_device(&app).await;
    let reply = app
        .call("device_delete", &[("u", "ghost"), ("device", &id.to_string())])
        .await;
    assert_eq!(reply.body, page_error("Bad login"));
    assert_eq!(
        as_(&app, "admin", "device_delete", &[]).await.body,
        page_error("Device was not found")
    );
    assert_eq!(
        as_(&app, "admin", "device_delete", &[("device", "x")]).await.body,
        page_error("Device was not found")
    );
    assert_eq!(
        as_(&app, "admin", "device_delete", &[("device", "404")]).await.body,
        page_error("Device was not found")
    );
    assert!(device_exists(&app, id));
}

#[tokio::test]
async fn device_delete_refuses_plain_users_and_accountants_without_write_right() {
    let app = TestApp::new().await;
    let (_, id, _, _) = bob_with_device(&app).await;
    accountant(&app, "acc1", "device_manage=1").await;
    accountant(&app, "acc2", "device_manage=2").await;
    let did = id.to_string();
    assert_eq!(
        as_(&app, "bob", "device_delete", &[("device", &did)]).await.body,
        page_error("Access Denied")
    );
    let reply = as_(&app, "acc1", "device_delete", &[("device", &did)]).await;
    assert_eq!(reply.body, page_error("You do not have rights to edit this"));
    assert!(device_exists(&app, id));
    assert_eq!(
        as_(&app, "acc2", "device_delete", &[("device", &did)]).await.body,
        deleted()
    );
}

#[tokio::test]
async fn device_delete_refuses_another_resellers_device() {
    let app = TestApp::new().await;
    let (da, db_, _) = two_resellers(&app).await;
    assert_eq!(
        as_(&app, "ra", "device_delete", &[("device", &db_.to_string())])
            .await
            .body,
        page_error("Access Denied")
    );
    assert_eq!(
        as_(&app, "admin", "device_delete", &[("device", &db_.to_string())])
            .await
            .body,
        page_error("Access Denied")
    );
    assert!(device_exists(&app, db_));
    assert_eq!(
        as_(&app, "ra", "device_delete", &[("device", &da.to_string())])
            .await
            .body,
        deleted()
    );
}

#[tokio::test]
async fn device_delete_refuses_a_device_with_a_did() {
    let app = TestApp::new().await;
    let (bob, id, _, _) = bob_with_device(&app).await;
    let provider = app.provider("Telco", None).await;
    app.exec(
        "INSERT INTO dids (did, provider_id, status, user_id, device_id) VALUES ('37060000001', ?1, 'active', ?2, ?3)",
        p![provider, bob, id],
    );
    let reply = as_(&app, "admin", "device_delete", &[("device", &id.to_string())]).await;
    assert_eq!(reply.body, page_error("Device has DIDs - we cannot delete it"));
    assert!(device_exists(&app, id));
}

#[tokio::test]
async fn device_delete_frees_the_extension_for_device_create() {
    let app = TestApp::new().await;
    let (bob, first, username, _) = bob_with_device(&app).await;
    let (_, second, _) = device(&app, "admin", bob, &[]).await;
    assert_eq!((username.as_str(), second.as_str()), ("101", "102"));
    assert_eq!(
        as_(&app, "admin", "device_delete", &[("device", &first.to_string())])
            .await
            .body,
        deleted()
    );
    let (_, next, _) = device(&app, "admin", bob, &[]).await;
    assert_eq!(next, "101");
}
