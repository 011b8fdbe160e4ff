//! `provider_update` and `provider_delete` (spec F.17).

use super::create::row;
use super::*;

// ---------------------------------------------------------------- provider_update

#[tokio::test]
async fn provider_update_changes_only_the_fields_sent() {
    let app = TestApp::new().await;
    let id = app.provider("Telco", None).await;
    let tariff = add_row(&app, "tariffs", "Second", 0).to_string();
    let location = add_row(&app, "locations", "Vilnius", 0).to_string();
    let params = [
        ("provider_id", "1"),
        ("name", "Renamed"),
        ("active", "0"),
        ("dtmfmode", "INBAND"),
        ("location_id", location.as_str()),
        ("timeout", "30"),
        ("server_ip", "10.0.0.2"),
        ("port", "5070"),
        ("login", "lg"),
        ("tariff_id", tariff.as_str()),
        ("hidden", "1"),
    ];
    let reply = call_as(&app, "admin", "provider_update", &params).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body, success("Provider successfully updated", &[]));
    let expected = Row {
        name: "Renamed".into(),
        tariff_id: tariff.parse().unwrap(),
        server_ip: "10.0.0.2".into(),
        port: 5070,
        login: "lg".into(),
        hidden: true,
        active: false,
        timeout: 30,
        dtmfmode: "inband".into(),
        location_id: location.parse().unwrap(),
        ..row("Telco", "SIP", 1, 0)
    };
    assert_eq!(provider_row(&app, id), expected);
    let reply = call_as(
        &app,
        "admin",
        "provider_update",
        &[("provider_id", "1"), ("password", "pw")],
    )
    .await;
    assert_eq!(reply.body, success("Provider successfully updated", &[]));
    let with_password = Row {
        password: "pw".into(),
        ..expected
    };
    assert_eq!(provider_row(&app, id), with_password);
}

#[tokio::test]
async fn provider_update_answers_provider_was_not_found() {
    let app = TestApp::new().await;
    reseller(&app, "resA", true).await;
    let of_a = app.provider("A's", Some("resA")).await.to_string();
    let admins = app.provider("Admin's", None).await.to_string();
    let not_found = page_status_error("Provider was not found");
    for id in ["", "999", "x", of_a.as_str()] {
        let reply = call_as(&app, "admin", "provider_update", &[("provider_id", id), ("name", "N")]).await;
        assert_eq!(reply.body, not_found, "{id:?}");
    }
    let reply = call_as(
        &app,
        "resA",
        "provider_update",
        &[("provider_id", &admins), ("name", "N")],
    )
    .await;
    assert_eq!(reply.body, not_found);
    assert_eq!(provider_row(&app, admins.parse().unwrap()).name, "Admin's");
}

#[tokio::test]
async fn provider_update_answers_tariff_and_location_was_not_found() {
    let app = TestApp::new().await;
    let res_a = reseller(&app, "resA", true).await;
    app.provider("Telco", None).await;
    let of_a = add_row(&app, "locations", "A's", res_a).to_string();
    let tariff_of_a = add_row(&app, "tariffs", "A's", res_a).to_string();
    for tariff in ["999", "x", tariff_of_a.as_str()] {
        let reply = call_as(
            &app,
            "admin",
            "provider_update",
            &[("provider_id", "1"), ("tariff_id", tariff)],
        )
        .await;
        assert_eq!(reply.body, page_status_error("Tariff was not found"), "{tariff}");
    }
    for location in ["999", "x", of_a.as_str()] {
        let params = [("provider_id", "1"), ("location_id", location), ("timeout", "1")];
        let reply = call_as(&app, "admin", "provider_update", &params).await;
        assert_eq!(reply.body, page_status_error("Location was not found"), "{location}");
    }
}

#[tokio::test]
async fn provider_update_refuses_other_invalid_values() {
    let app = TestApp::new().await;
    let id = app.provider("Telco", None).await;
    let bad = [
        ("name", ""),
        ("active", "2"),
        ("dtmfmode", "loud"),
        ("timeout", "29"),
        ("port", "x"),
        ("hidden", "yes"),
    ];
    for (name, value) in bad {
        let reply = call_as(&app, "admin", "provider_update", &[("provider_id", "1"), (name, value)]).await;
        assert_eq!(
            reply.body,
            page_status_error("Provider was not updated"),
            "{name}={value}"
        );
    }
    assert_eq!(provider_row(&app, id), row("Telco", "SIP", 1, 0));
}

#[tokio::test]
async fn provider_update_lets_a_reseller_pro_use_global_locations() {
    let app = TestApp::new().await;
    let res_a = reseller(&app, "resA", true).await;
    let id = app.provider("A's", Some("resA")).await;
    let own = add_row(&app, "locations", "A's", res_a);
    for location in [1, own] {
        let params = [
            ("provider_id", &*id.to_string()),
            ("location_id", &*location.to_string()),
        ];
        let reply = call_as(&app, "resA", "provider_update", &params).await;
        assert_eq!(reply.body, success("Provider successfully updated", &[]));
        assert_eq!(provider_row(&app, id).location_id, location);
    }
}

// ---------------------------------------------------------------- provider_delete

#[tokio::test]
async fn provider_delete_removes_the_provider() {
    let app = TestApp::new().await;
    let id = app.provider("Telco", None).await.to_string();
    let reply = call_as(&app, "admin", "provider_delete", &[("provider_id", &id)]).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body, success("Provider successfully deleted", &[]));
    assert_eq!(provider_count(&app), 0);
    let reply = call_as(&app, "admin", "provider_delete", &[("provider_id", &id)]).await;
    assert_eq!(reply.body, page_status_error("Provider was not found"));
}

#[tokio::test]
async fn provider_delete_refuses_while_a_did_uses_the_provider() {
    let app = TestApp::new().await;
    let id = app.provider("Telco", None).await;
    app.exec(
        "INSERT INTO dids (did, provider_id, status) VALUES ('1', ?1, 'terminated')",
        p![id],
    );
    let reply = call_as(&app, "admin", "provider_delete", &[("provider_id", &id.to_string())]).await;
    assert_eq!(reply.body, page_status_error("Provider has DIDs - we cannot delete it"));
    assert_eq!(provider_count(&app), 1);
}

#[tokio::test]
async fn provider_delete_answers_not_found_for_unknown_or_foreign_providers() {
    let app = TestApp::new().await;
    reseller(&app, "resA", true).await;
    reseller(&app, "resB", true).await;
    let of_b = app.provider("B's", Some("resB")).await.to_string();
    let admins = app.provider("Admin's", None).await.to_string();
    let not_found = page_status_error("Provider was not found");
    for (caller, id) in [
        ("resA", of_b.as_str()),
        ("resA", admins.as_str()),
        ("admin", of_b.as_str()),
        ("admin", "x"),
    ] {
        let reply = call_as(&app, caller, "provider_delete", &[("provider_id", id)]).await;
        assert_eq!(reply.body, not_found, "{caller} deleting {id}");
    }
    assert_eq!(provider_count(&app), 2);
    let reply = call_as(&app, "resB", "provider_delete", &[("provider_id", &of_b)]).await;
    assert_eq!(reply.body, success("Provider successfully deleted", &[]));
}

#[tokio::test]
async fn provider_update_and_delete_hash_provider_id() {
    let app = TestApp::new().await;
    app.provider("Telco", None).await;
    let wrong = moray::api::hash::sha1_hex("secret");
    for method in ["provider_update", "provider_delete"] {
        let reply = app
            .call(method, &[("u", "admin"), ("provider_id", "1"), ("hash", &wrong)])
            .await;
        assert_eq!(reply.body, status_error("Incorrect hash"), "{method}");
    }
    let good = moray::api::hash::sha1_hex("1secret");
    let reply = app
        .call(
            "provider_delete",
            &[("u", "admin"), ("provider_id", "1"), ("hash", &good)],
        )
        .await;
    assert_eq!(reply.body, success("Provider successfully deleted", &[]));
}
