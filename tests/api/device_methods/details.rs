//! `device_details_get` (spec F.7, G19).

use super::*;

#[tokio::test]
async fn device_details_get_answers_every_field_in_order() {
    let app = TestApp::new().await;
    let (bob, _) = app.user("bob", "user").await;
    let (id, username, secret) = device(
        &app,
        "admin",
        bob,
        &[("caller_id", "37060"), ("description", "desk & phone"), ("pin", "4321")],
    )
    .await;
    let group = col(&app, id, "devicegroup_id");
    let reply = as_(&app, "admin", "device_details_get", &[("device_id", &id.to_string())]).await;
    let expected = doc(&[
        "<page>",
        &format!("  <id>{id}</id>"),
        &format!("  <name>{username}</name>"),
        "  <host>dynamic</host>",
        &format!("  <secret>{secret}</secret>"),
        "  <context>mor_local</context>",
        "  <ipaddr></ipaddr>",
        "  <port>0</port>",
        &format!("  <accountcode>{id}</accountcode>"),
        "  <callerid>&lt;37060&gt;</callerid>",
        &format!("  <extension>{username}</extension>"),
        &format!("  <username>{username}</username>"),
        "  <device_type>SIP</device_type>",
        &format!("  <user_id>{bob}</user_id>"),
        "  <description>desk &amp; phone</description>",
        "  <pin>4321</pin>",
        &format!("  <devicegroup_id>{group}</devicegroup_id>"),
        "  <dtmfmode>rfc2833</dtmfmode>",
        "  <nat>yes</nat>",
        "  <qualify>yes</qualify>",
        "  <canreinvite>no</canreinvite>",
        "  <fromuser></fromuser>",
        "  <location_id>1</location_id>",
        "  <call_limit>0</call_limit>",
        "  <timeout>60</timeout>",
        "  <istrunk>0</istrunk>",
        "  <hidden>0</hidden>",
        "  <comment></comment>",
        "  <codecs>",
        "    <audio_codecs>alaw, ulaw</audio_codecs>",
        "    <video_codecs></video_codecs>",
        "  </codecs>",
        "</page>",
    ]);
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body, expected);
}

#[tokio::test]
async fn device_details_get_prints_a_pinless_device_with_empty_pin_and_splits_video_codecs() {
    let app = TestApp::new().await;
    let (bob, _) = app.user("bob", "user").await;
    let (id, _, _) = device(&app, "admin", bob, &[("pin", "")]).await;
    app.exec("UPDATE devices SET allow = 'g729,alaw,h264' WHERE id = ?1", p![id]);
    let body = as_(&app, "admin", "device_details_get", &[("device_id", &id.to_string())])
        .await
        .body;
    assert!(body.contains("\n  <pin></pin>\n"), "{body}");
    assert!(
        body.contains("<audio_codecs>g729, alaw</audio_codecs>\n    <video_codecs>h264</video_codecs>"),
        "{body}"
    );
}

#[tokio::test]
async fn device_details_get_finds_a_device_by_device_u_and_device_id_wins() {
    let app = TestApp::new().await;
    let (bob, d1, u1, _) = bob_with_device(&app).await;
    let (d2, u2, _) = device(&app, "admin", bob, &[]).await;
    let by_name = as_(&app, "admin", "device_details_get", &[("device_u", &u2)])
        .await
        .body;
    assert!(by_name.contains(&format!("<id>{d2}</id>")), "{by_name}");
    // the PHP client hashes device_u alone: the same string as the primary list without device_id
    let hash = sha1_hex(&format!("{u2}{SECRET}"));
    let php = app
        .call(
            "device_details_get",
            &[("u", "admin"), ("device_u", &u2), ("hash", &hash)],
        )
        .await
        .body;
    assert_eq!(php, by_name);
    let both = as_(
        &app,
        "admin",
        "device_details_get",
        &[("device_id", &d1.to_string()), ("device_u", &u2)],
    )
    .await
    .body;
    assert!(
        both.contains(&format!("<id>{d1}</id>")) && both.contains(&format!("<username>{u1}</username>")),
        "{both}"
    );
}

#[tokio::test]
async fn device_details_get_accepts_the_legacy_device_id_hash_and_the_wiki_vector() {
    let app = TestApp::new().await;
    let (bob, _) = app.user("bob", "user").await;
    let mut last = (0, String::new());
    for _ in 0..5 {
        let (id, username, _) = device(&app, "admin", bob, &[]).await;
        last = (id, username);
    }
    assert_eq!(last.0, 5);
    // legacy list: device_id only, even with device_u present
    let legacy = sha1_hex(&format!("5{SECRET}"));
    let reply = app
        .call(
            "device_details_get",
            &[
                ("u", "admin"),
                ("device_id", "5"),
                ("device_u", &last.1),
                ("hash", &legacy),
            ],
        )
        .await;
    assert!(reply.body.contains("<id>5</id>"), "{}", reply.body);
    // wiki vector: device_id=5, key 456789 → sha1("5456789")
    app.set("api_secret_key", "456789").await;
    let reply = app
        .call(
            "device_details_get",
            &[
                ("u", "admin"),
                ("device_id", "5"),
                ("hash", "65fd575c441513bd114b84c7dbdb01e0f2716d27"),
            ],
        )
        .await;
    assert!(reply.body.contains("<accountcode>5</accountcode>"), "{}", reply.body);
    let wrong = app
        .call(
            "device_details_get",
            &[("u", "admin"), ("device_id", "5"), ("hash", &legacy)],
        )
        .await;
    assert_eq!(wrong.body, status_error("Incorrect hash"));
}

#[tokio::test]
async fn device_details_get_refuses_an_unknown_caller_with_a_root_access_denied() {
    let app = TestApp::new().await;
    let (_, id, _, _) = bob_with_device(&app).await;
    let reply = app
        .call("device_details_get", &[("u", "ghost"), ("device_id", &id.to_string())])
        .await;
    assert_eq!(reply.body, root_error("Access Denied"));
}

#[tokio::test]
async fn device_details_get_refuses_plain_users_and_accountants_without_device_manage() {
    let app = TestApp::new().await;
    let (_, id, _, _) = bob_with_device(&app).await;
    accountant(&app, "acc0", "user_manage=2").await;
    accountant(&app, "acc1", "device_manage=1").await;
    let did = id.to_string();
    let denied = root_error("You are not authorized to view this page");
    assert_eq!(
        as_(&app, "bob", "device_details_get", &[("device_id", &did)])
            .await
            .body,
        denied
    );
    assert_eq!(
        as_(&app, "acc0", "device_details_get", &[("device_id", &did)])
            .await
            .body,
        denied
    );
    let reply = as_(&app, "acc1", "device_details_get", &[("device_id", &did)]).await;
    assert!(reply.body.contains(&format!("<id>{id}</id>")), "{}", reply.body);
}

#[tokio::test]
async fn device_details_get_answers_device_was_not_found() {
    let app = TestApp::new().await;
    let not_found = root_error("Device was not found");
    assert_eq!(
        as_(&app, "admin", "device_details_get", &[("device_id", "77")])
            .await
            .body,
        not_found
    );
    assert_eq!(
        as_(&app, "admin", "device_details_get", &[("device_u", "nosuch")])
            .await
            .body,
        not_found
    );
    assert_eq!(as_(&app, "admin", "device_details_get", &[]).await.body, not_found);
}

#[tokio::test]
async fn device_details_get_refuses_another_resellers_device() {
    let app = TestApp::new().await;
    let (da, db_, _) = two_resellers(&app).await;
    let reply = as_(&app, "ra", "device_details_get", &[("device_id", &db_.to_string())]).await;
    assert_eq!(reply.body, root_error("Access Denied"));
    let reply = as_(&app, "admin", "device_details_get", &[("device_id", &db_.to_string())]).await;
    assert_eq!(reply.body, root_error("Access Denied"));
    let own = as_(&app, "ra", "device_details_get", &[("device_id", &da.to_string())]).await;
    assert!(own.body.contains(&format!("<id>{da}</id>")));
}
