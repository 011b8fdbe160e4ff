//! `device_update` (spec F.8, G3): what changes, credentials, authentication, hashes.

use super::*;

#[tokio::test]
async fn device_update_changes_only_the_fields_sent() {
    let app = TestApp::new().await;
    let (_, id, username, secret) = bob_with_device(&app).await;
    app.exec(
        "INSERT INTO locations (id, name, owner_id) VALUES (7, 'Seven', 0)",
        p![],
    );
    let before_ha1 = col(&app, id, "ha1");
    let did = id.to_string();
    let params = [
        ("device", did.as_str()),
        ("comment", "front desk"),
        ("call_limit", "-4"),
        ("call_timeout", "90"),
        ("fromuser", "office"),
        ("trunk", "2"),
        ("hidden", "1"),
        ("new_location_id", "7"),
        ("pin", "55 66"),
        ("callerid_number", "37060"),
        ("callerid_name", "Front Desk"),
    ];
    let reply = as_(&app, "admin", "device_update", &params).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body, updated());
    assert_eq!(col(&app, id, "comment"), "front desk");
    assert_eq!(col(&app, id, "call_limit"), "0", "a negative call limit is stored as 0");
    assert_eq!(col(&app, id, "timeout"), "90");
    assert_eq!(col(&app, id, "fromuser"), "office");
    assert_eq!(col(&app, id, "istrunk"), "2");
    assert_eq!(col(&app, id, "hidden"), "1");
    assert_eq!(col(&app, id, "location_id"), "7");
    assert_eq!(col(&app, id, "pin"), "5566");
    assert_eq!(col(&app, id, "callerid"), "\"Front Desk\" <37060>");
    // untouched
    assert_eq!(col(&app, id, "username"), username);
    assert_eq!(col(&app, id, "secret"), secret);
    assert_eq!(col(&app, id, "ha1"), before_ha1);
    assert_eq!(col(&app, id, "host"), "dynamic");
    // a later update of the name alone keeps the number; an empty pin makes it pinless
    let reply = as_(
        &app,
        "admin",
        "device_update",
        &[("device", &did), ("callerid_name", "Lobby"), ("pin", "")],
    )
    .await;
    assert_eq!(reply.body, updated());
    assert_eq!(col(&app, id, "callerid"), "\"Lobby\" <37060>");
    assert_eq!(column(&app, id, "pin"), None);
    assert_eq!(col(&app, id, "comment"), "front desk");
}

#[tokio::test]
async fn device_update_recomputes_ha1_after_a_secret_or_username_change() {
    let app = TestApp::new().await;
    let (_, id, username, _) = bob_with_device(&app).await;
    let did = id.to_string();
    let reply = as_(
        &app,
        "admin",
        "device_update",
        &[("device", &did), ("password", "n3wSecret99")],
    )
    .await;
    assert_eq!(reply.body, updated());
    assert_eq!(col(&app, id, "secret"), "n3wSecret99");
    assert_eq!(
        col(&app, id, "ha1"),
        md5_hex(&format!("{username}:asterisk:n3wSecret99"))
    );
    let reply = as_(
        &app,
        "admin",
        "device_update",
        &[("device", &did), ("username", "alice")],
    )
    .await;
    assert_eq!(reply.body, updated());
    assert_eq!(col(&app, id, "username"), "alice");
    assert_eq!(col(&app, id, "name"), "alice", "the peer name follows the username");
    assert_eq!(col(&app, id, "ha1"), md5_hex("alice:asterisk:n3wSecret99"));
    // device_name is an alias of username
    let reply = as_(
        &app,
        "admin",
        "device_update",
        &[("device", &did), ("device_name", "carol")],
    )
    .await;
    assert_eq!(reply.body, updated());
    assert_eq!(col(&app, id, "ha1"), md5_hex("carol:asterisk:n3wSecret99"));
}

#[tokio::test]
async fn device_update_keeps_the_other_changes_but_not_a_too_short_password() {
    let app = TestApp::new().await;
    let (_, id, _, secret) = bob_with_device(&app).await;
    let did = id.to_string();
    let reply = as_(
        &app,
        "admin",
        "device_update",
        &[("device", &did), ("password", "short"), ("comment", "kept")],
    )
    .await;
    let expected = doc(&[
        "<page>",
        "  <status>",
        "    <error>Password is too short</error>",
        "    <success>Device successfully updated</success>",
        "  </status>",
        "</page>",
    ]);
    assert_eq!(reply.body, expected);
    assert_eq!(col(&app, id, "secret"), secret);
    assert_eq!(col(&app, id, "comment"), "kept");
    app.set("allow_short_passwords_in_devices", "1").await;
    let reply = as_(
        &app,
        "admin",
        "device_update",
        &[("device", &did), ("password", "short")],
    )
    .await;
    assert_eq!(reply.body, updated());
    assert_eq!(col(&app, id, "secret"), "short");
}

#[tokio::test]
async fn device_update_switches_between_ip_and_dynamic_authentication() {
    let app = TestApp::new().await;
    let (_, id, _, _) = bob_with_device(&app).await;
    let did = id.to_string();
    let reply = as_(
        &app,
        "admin",
        "device_update",
        &[("device", &did), ("authentication", "1")],
    )
    .await;
    assert_eq!(
        reply.body,
        page_status_error("Device was not updated"),
        "IP authentication needs a host"
    );
    let reply = as_(
        &app,
        "admin",
        "device_update",
        &[("device", &did), ("authentication", "1"), ("host", "10.0.0.5")],
    )
    .await;
    assert_eq!(reply.body, updated());
    assert_eq!(
        (col(&app, id, "host"), col(&app, id, "ipaddr"), col(&app, id, "port")),
        ("10.0.0.5".into(), "10.0.0.5".into(), "5060".into())
    );
    let reply = as_(
        &app,
        "admin",
        "device_update",
        &[("device", &did), ("host", "10.0.0.6"), ("port", "5070")],
    )
    .await;
    assert_eq!(reply.body, updated());
    assert_eq!(
        (col(&app, id, "host"), col(&app, id, "port")),
        ("10.0.0.6".into(), "5070".into())
    );
    let reply = as_(&app, "admin", "device_update", &[("device", &did), ("port", "70000")]).await;
    assert_eq!(reply.body, page_status_error("Device was not updated"));
    let reply = as_(
        &app,
        "admin",
        "device_update",
        &[("device", &did), ("authentication", "0")],
    )
    .await;
    assert_eq!(reply.body, updated());
    assert_eq!(
        (col(&app, id, "host"), col(&app, id, "ipaddr"), col(&app, id, "port")),
        ("dynamic".into(), String::new(), "0".into())
    );
    let reply = as_(
        &app,
        "admin",
        "device_update",
        &[("device", &did), ("authentication", "2")],
    )
    .await;
    assert_eq!(reply.body, page_status_error("Device was not updated"));
}

#[tokio::test]
async fn device_update_accepts_location_id_as_an_alias_and_the_legacy_hash_vector() {
    let app = TestApp::new().await;
    let (bob, _) = app.user("bob", "user").await;
    device(&app, "admin", bob, &[]).await;
    let (id, _, _) = device(&app, "admin", bob, &[]).await;
    assert_eq!(id, 2);
    app.exec(
        "INSERT INTO locations (id, name, owner_id) VALUES (7, 'Seven', 0)",
        p![],
    );
    // the 2014 wiki request verbatim: device=2&location_id=7, hash sha1("27secret")
    let reply = app
        .call(
            "device_update",
            &[
                ("u", "admin"),
                ("device", "2"),
                ("location_id", "7"),
                ("hash", "297dab8c386794b2e947d52affb8f576c643569e"),
            ],
        )
        .await;
    assert_eq!(reply.body, updated());
    assert_eq!(col(&app, 2, "location_id"), "7");
    // the current list with every hashed parameter
    let params = [
        ("u", "admin"),
        ("device", "2"),
        ("authentication", "1"),
        ("username", "x"),
        ("host", "10.1.1.1"),
        ("port", "5080"),
    ];
    let hash = sha1_hex(&format!("21x10.1.1.15080{SECRET}"));
    let mut signed = params.to_vec();
    signed.push(("hash", &hash));
    assert_eq!(app.call("device_update", &signed).await.body, updated());
    assert_eq!(col(&app, 2, "port"), "5080");
    let wrong = app
        .call(
            "device_update",
            &[("u", "admin"), ("device", "2"), ("hash", &sha1_hex("3secret"))],
        )
        .await;
    assert_eq!(wrong.body, status_error("Incorrect hash"));
}
