//! `provider_create` (spec F.17), and the refusals all provider writes share.

use super::*;

/// A provider with moray's defaults.
pub(super) fn row(name: &str, tech: &str, tariff_id: i64, owner_id: i64) -> Row {
    Row {
        name: name.into(),
        tech: tech.into(),
        tariff_id,
        owner_id,
        server_ip: String::new(),
        port: 5060,
        login: String::new(),
        password: String::new(),
        hidden: false,
        active: true,
        timeout: 60,
        dtmfmode: "rfc2833".into(),
        call_limit: 0,
        location_id: 1,
    }
}

fn created(id: i64) -> String {
    success(
        "Provider successfully created",
        &[&format!("    <provider_id>{id}</provider_id>")],
    )
}

fn last_provider(app: &TestApp) -> i64 {
    app.count("SELECT MAX(id) FROM providers")
}

async fn create(app: &TestApp, caller: &str, params: &[(&str, &str)]) -> Reply {
    call_as(app, caller, "provider_create", params).await
}

// ---------------------------------------------------------------- provider_create

#[tokio::test]
async fn provider_create_answers_the_new_id_inside_status() {
    let app = TestApp::new().await;
    let reply = create(&app, "admin", &[("name", "Telco"), ("tech", "SIP"), ("tariff_id", "1")]).await;
    assert_eq!(reply.status, 200);
    let id = last_provider(&app);
    assert_eq!(reply.body, created(id));
    assert_eq!(provider_row(&app, id), row("Telco", "SIP", 1, 0));
}

#[tokio::test]
async fn provider_create_stores_the_optional_fields_and_canonical_tech() {
    let app = TestApp::new().await;
    let params = [
        ("name", " Carrier "),
        ("tech", "iax2"),
        ("tariff_id", "1"),
        ("server_ip", "10.0.0.1"),
        ("port", "4569"),
        ("login", "lg"),
        ("password", "pw"),
        ("hidden", "1"),
        ("timeout", "45"),
    ];
    let reply = create(&app, "admin", &params).await;
    let id = last_provider(&app);
    assert_eq!(reply.body, created(id));
    let expected = Row {
        server_ip: "10.0.0.1".into(),
        port: 4569,
        login: "lg".into(),
        password: "pw".into(),
        hidden: true,
        timeout: 45,
        ..row("Carrier", "IAX2", 1, 0)
    };
    assert_eq!(provider_row(&app, id), expected);
}

#[tokio::test]
async fn provider_create_accepts_each_tech() {
    let app = TestApp::new().await;
    for tech in ["SIP", "IAX2", "H323", "h323"] {
        let reply = create(&app, "admin", &[("name", "P"), ("tech", tech), ("tariff_id", "1")]).await;
        let id = last_provider(&app);
        assert_eq!(reply.body, created(id), "{tech}");
        assert_eq!(provider_row(&app, id).tech, tech.to_uppercase());
    }
}

#[tokio::test]
async fn provider_create_answers_tariff_was_not_found() {
    let app = TestApp::new().await;
    let res_a = reseller(&app, "resA", true).await;
    let of_a = add_row(&app, "tariffs", "A's", res_a).to_string();
    for tariff in ["", "999", "x", of_a.as_str()] {
        let reply = create(&app, "admin", &[("name", "P"), ("tech", "SIP"), ("tariff_id", tariff)]).await;
        assert_eq!(reply.body, page_status_error("Tariff was not found"), "{tariff:?}");
    }
    let reply = create(&app, "admin", &[("name", ""), ("tech", "bogus")]).await;
    assert_eq!(
        reply.body,
        page_status_error("Tariff was not found"),
        "the tariff is checked first"
    );
    assert_eq!(provider_count(&app), 0);
}

#[tokio::test]
async fn provider_create_refuses_a_blank_name_or_bad_tech_or_bad_values() {
    let app = TestApp::new().await;
    let bad: [&[(&str, &str)]; 9] = [
        &[("name", " "), ("tech", "SIP")],
        &[("tech", "SIP")],
        &[("name", "P"), ("tech", "dahdi")],
        &[("name", "P")],
        &[("name", "P"), ("tech", "SIP"), ("port", "0")],
        &[("name", "P"), ("tech", "SIP"), ("port", "70000")],
        &[("name", "P"), ("tech", "SIP"), ("hidden", "2")],
        &[("name", "P"), ("tech", "SIP"), ("timeout", "29")],
        &[("name", "P"), ("tech", "SIP"), ("dtmfmode", "loud")],
    ];
    for params in bad {
        let mut all = vec![("tariff_id", "1")];
        all.extend_from_slice(params);
        let reply = create(&app, "admin", &all).await;
        assert_eq!(reply.body, page_status_error("Provider was not created"), "{params:?}");
    }
    assert_eq!(provider_count(&app), 0);
}

#[tokio::test]
async fn provider_create_lets_a_reseller_pro_use_its_own_tariffs_only() {
    let app = TestApp::new().await;
    let res_a = reseller(&app, "resA", true).await;
    let tariff = add_row(&app, "tariffs", "A's", res_a).to_string();
    let reply = create(&app, "resA", &[("name", "P"), ("tech", "SIP"), ("tariff_id", "1")]).await;
    assert_eq!(reply.body, page_status_error("Tariff was not found"), "admin's tariff");
    let reply = create(
        &app,
        "resA",
        &[("name", "Mine"), ("tech", "SIP"), ("tariff_id", &tariff)],
    )
    .await;
    let id = last_provider(&app);
    assert_eq!(reply.body, created(id));
    assert_eq!(
        provider_row(&app, id),
        row("Mine", "SIP", tariff.parse().unwrap(), res_a)
    );
}

#[tokio::test]
async fn provider_writes_refuse_unknown_callers_plain_users_and_plain_resellers() {
    let app = TestApp::new().await;
    let id = app.provider("Telco", None).await.to_string();
    app.user("john", "user").await;
    reseller(&app, "resPlain", false).await;
    let denied = page_status_error("Access Denied");
    let calls: [(&str, Vec<(&str, &str)>); 3] = [
        (
            "provider_create",
            vec![("name", "P"), ("tech", "SIP"), ("tariff_id", "1")],
        ),
        ("provider_update", vec![("provider_id", id.as_str()), ("name", "New")]),
        ("provider_delete", vec![("provider_id", id.as_str())]),
    ];
    for (method, params) in &calls {
        let mut unknown = vec![("u", "nobody")];
        unknown.extend_from_slice(params);
        assert_eq!(app.call(method, &unknown).await.body, denied, "{method}: unknown");
        assert_eq!(
            call_as(&app, "john", method, params).await.body,
            denied,
            "{method}: plain user"
        );
        assert_eq!(
            call_as(&app, "resPlain", method, params).await.body,
            denied,
            "{method}: not PRO"
        );
    }
    assert_eq!(provider_row(&app, 1).name, "Telco");
}

#[tokio::test]
async fn provider_writes_need_manage_providers_write_for_accountants() {
    let app = TestApp::new().await;
    accountant(&app, "acc1", "manage_providers=1").await;
    accountant(&app, "acc2", "manage_providers=2").await;
    let refused = page_status_error("You are not authorized to use this functionality");
    let params = [("name", "P"), ("tech", "SIP"), ("tariff_id", "1")];
    assert_eq!(create(&app, "acc1", &params).await.body, refused);
    assert_eq!(create(&app, "acc2", &params).await.body, created(1));
    let update = [("provider_id", "1"), ("name", "Q")];
    assert_eq!(call_as(&app, "acc1", "provider_update", &update).await.body, refused);
    let reply = call_as(&app, "acc2", "provider_update", &update).await;
    assert_eq!(reply.body, success("Provider successfully updated", &[]));
    assert_eq!(
        call_as(&app, "acc1", "provider_delete", &[("provider_id", "1")])
            .await
            .body,
        refused
    );
    let reply = call_as(&app, "acc2", "provider_delete", &[("provider_id", "1")]).await;
    assert_eq!(reply.body, success("Provider successfully deleted", &[]));
}

#[tokio::test]
async fn provider_create_hashes_name_tech_and_tariff_id_in_order() {
    let app = TestApp::new().await;
    let good = moray::api::hash::sha1_hex("TelcoSIP1secret");
    let params = [("u", "admin"), ("tariff_id", "1"), ("tech", "SIP"), ("name", "Telco")];
    let reply = app
        .call("provider_create", &[&params[..], &[("hash", &good)]].concat())
        .await;
    assert_eq!(reply.body, created(1));
    let wrong = moray::api::hash::sha1_hex("1SIPTelcosecret");
    let reply = app
        .call("provider_create", &[&params[..], &[("hash", &wrong)]].concat())
        .await;
    assert_eq!(reply.body, status_error("Incorrect hash"));
}
