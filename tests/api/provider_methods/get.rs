//! `providers_get` (spec F.16).

use super::*;

/// The `<provider>` block of a provider with moray's defaults (as `providers add` creates it).
fn default_block(id: i64, name: &str, owner: i64) -> Vec<String> {
    let fields: Vec<(&str, String)> = vec![
        ("id", id.to_string()),
        ("name", name.to_owned()),
        ("tech", "SIP".into()),
        ("channel", "".into()),
        ("login", "".into()),
        ("password", "".into()),
        ("server_ip", "".into()),
        ("port", "5060".into()),
        ("priority", "0".into()),
        ("quality", "0".into()),
        ("tariff_id", "1".into()),
        ("cut_a", "0".into()),
        ("cut_b", "0".into()),
        ("add_a", "".into()),
        ("add_b", "".into()),
        ("device_id", "0".into()),
        ("ani", "0".into()),
        ("timeout", "60".into()),
        ("call_limit", "0".into()),
        ("interpret_noanswer_as_failed", "0".into()),
        ("interpret_busy_as_failed", "0".into()),
        ("register", "0".into()),
        ("reg_extension", "".into()),
        ("terminator_id", "0".into()),
        ("reg_line", "".into()),
        ("hidden", "0".into()),
        ("use_p_asserted_identity", "0".into()),
        ("user_id", owner.to_string()),
        ("common_use", "0".into()),
        ("balance", "0".into()),
        ("balance_limit", "0".into()),
        ("cps_call_limit", "0".into()),
        ("cps_period", "0".into()),
        ("alive", "0".into()),
        ("periodic_check", "0".into()),
        ("active", "1".into()),
        ("contact_info_id", "0".into()),
        ("contact_info_partners_id", "0".into()),
        ("contact_info_noc_id", "0".into()),
        ("contact_info_rates_provisioning_id", "0".into()),
        ("contact_info_billing_provisioning_id", "0".into()),
        ("tech_details_info", "".into()),
        ("privacy_from_domain", "".into()),
        ("privacy_callerid", "".into()),
        ("playback_before_dial", "0".into()),
        ("playback_before_dial_mode", "0".into()),
        ("prov_enable_static_source_list", "0".into()),
        ("prov_static_source_list_id", "0".into()),
        ("enable_mnp_tags", "0".into()),
        ("responsible_accountant_id", "0".into()),
        ("sip_request_uri", "".into()),
        ("sip_to_uri", "".into()),
        ("prov_enable_static_destination_list", "0".into()),
        ("prov_static_destination_list_id", "0".into()),
        ("use_tariffs_by_clis", "0".into()),
        ("use_default_tariff_if_by_cli_not_found", "0".into()),
    ];
    let mut lines = vec!["      <provider>".to_owned()];
    lines.extend(fields.iter().map(|(n, v)| format!("        <{n}>{v}</{n}>")));
    lines.push("      </provider>".to_owned());
    lines
}

fn providers_doc(blocks: Vec<Vec<String>>) -> String {
    let mut lines = vec![
        "<page>".to_owned(),
        "  <status>".to_owned(),
        "    <providers>".to_owned(),
    ];
    lines.extend(blocks.into_iter().flatten());
    lines.extend([
        "    </providers>".to_owned(),
        "  </status>".to_owned(),
        "</page>".to_owned(),
    ]);
    doc(&lines.iter().map(String::as_str).collect::<Vec<_>>())
}

fn ids(body: &str) -> Vec<i64> {
    body.lines()
        .filter_map(|l| l.strip_prefix("        <id>").and_then(|l| l.strip_suffix("</id>")))
        .map(|id| id.parse().unwrap())
        .collect()
}

#[tokio::test]
async fn providers_get_prints_every_field_in_mor_order() {
    let app = TestApp::new().await;
    let one = app.provider("Telco", None).await;
    let two = app.provider("Carrier & Co", None).await;
    let reply = call_as(&app, "admin", "providers_get", &[]).await;
    assert_eq!(reply.status, 200);
    let expected = providers_doc(vec![
        default_block(one, "Telco", 0),
        default_block(two, "Carrier &amp; Co", 0),
    ]);
    assert_eq!(reply.body, expected);
}

#[tokio::test]
async fn providers_get_prints_the_stored_values() {
    let app = TestApp::new().await;
    let id = app.provider("Telco", None).await;
    app.exec(
        "UPDATE providers SET tech = 'IAX2', server_ip = '10.0.0.1', port = 4569, login = 'lg', password = 'pw',
                    hidden = 1, active = 0, timeout = 45, call_limit = 7 WHERE id = ?1",
        p![id],
    );
    let body = call_as(&app, "admin", "providers_get", &[]).await.body;
    let wanted = [
        "<tech>IAX2</tech>",
        "<login>lg</login>",
        "<password>pw</password>",
        "<server_ip>10.0.0.1</server_ip>",
        "<port>4569</port>",
        "<timeout>45</timeout>",
        "<call_limit>7</call_limit>",
        "<hidden>1</hidden>",
        "<active>0</active>",
    ];
    for element in wanted {
        assert!(body.contains(&format!("        {element}\n")), "{element} in {body}");
    }
}

#[tokio::test]
async fn providers_get_filters_by_provider_id() {
    let app = TestApp::new().await;
    app.provider("One", None).await;
    let two = app.provider("Two", None).await;
    let reply = call_as(&app, "admin", "providers_get", &[("provider_id", &two.to_string())]).await;
    assert_eq!(reply.body, providers_doc(vec![default_block(two, "Two", 0)]));
    let reply = call_as(&app, "admin", "providers_get", &[("provider_id", "")]).await;
    assert_eq!(ids(&reply.body).len(), 2, "a blank provider_id lists all");
    for id in ["999", "abc"] {
        let reply = call_as(&app, "admin", "providers_get", &[("provider_id", id)]).await;
        assert_eq!(reply.body, page_status_error("Provider was not found"), "{id}");
    }
}

#[tokio::test]
async fn providers_get_shows_each_scope_only_its_own_providers() {
    let app = TestApp::new().await;
    let res_a = reseller(&app, "resA", true).await;
    reseller(&app, "resB", true).await;
    let admins = app.provider("Admin's", None).await;
    let of_a = app.provider("A's", Some("resA")).await;
    let of_b = app.provider("B's", Some("resB")).await;
    assert_eq!(ids(&call_as(&app, "admin", "providers_get", &[]).await.body), [admins]);
    let reply = call_as(&app, "resA", "providers_get", &[]).await;
    assert_eq!(reply.body, providers_doc(vec![default_block(of_a, "A's", res_a)]));
    assert_eq!(ids(&call_as(&app, "resB", "providers_get", &[]).await.body), [of_b]);
    let not_found = page_status_error("Provider was not found");
    for id in [of_b, admins] {
        let reply = call_as(&app, "resA", "providers_get", &[("provider_id", &id.to_string())]).await;
        assert_eq!(reply.body, not_found, "resA asking for {id}");
    }
    let reply = call_as(&app, "admin", "providers_get", &[("provider_id", &of_a.to_string())]).await;
    assert_eq!(reply.body, not_found, "admin asking for resA's provider");
}

#[tokio::test]
async fn providers_get_lists_hidden_providers_too() {
    let app = TestApp::new().await;
    let id = app.provider("Hidden", None).await;
    app.exec("UPDATE providers SET hidden = 1 WHERE id = ?1", p![id]);
    let body = call_as(&app, "admin", "providers_get", &[]).await.body;
    assert_eq!(ids(&body), [id]);
    assert!(body.contains("        <hidden>1</hidden>\n"));
}

#[tokio::test]
async fn providers_get_answers_no_providers_found() {
    let app = TestApp::new().await;
    reseller(&app, "resA", true).await;
    app.provider("Admin's", None).await;
    assert_eq!(
        call_as(&app, "resA", "providers_get", &[]).await.body,
        page_status_error("No Providers found")
    );
    let app = TestApp::new().await;
    assert_eq!(
        call_as(&app, "admin", "providers_get", &[]).await.body,
        page_status_error("No Providers found")
    );
}

#[tokio::test]
async fn providers_get_refuses_unknown_callers_plain_users_and_plain_resellers() {
    let app = TestApp::new().await;
    app.provider("Telco", None).await;
    app.user("john", "user").await;
    reseller(&app, "resPlain", false).await;
    let denied = page_status_error("Access Denied");
    for caller in ["nobody", "", " "] {
        assert_eq!(
            app.call("providers_get", &[("u", caller)]).await.body,
            denied,
            "{caller:?}"
        );
    }
    assert_eq!(call_as(&app, "john", "providers_get", &[]).await.body, denied);
    assert_eq!(call_as(&app, "resPlain", "providers_get", &[]).await.body, denied);
}

#[tokio::test]
async fn providers_get_needs_manage_providers_read_for_accountants() {
    let app = TestApp::new().await;
    let id = app.provider("Telco", None).await;
    accountant(&app, "acc0", "manage_dids=2").await;
    accountant(&app, "acc1", "manage_providers=1").await;
    let reply = call_as(&app, "acc0", "providers_get", &[]).await;
    assert_eq!(
        reply.body,
        page_status_error("You are not authorized to use this functionality")
    );
    assert_eq!(ids(&call_as(&app, "acc1", "providers_get", &[]).await.body), [id]);
}

#[tokio::test]
async fn providers_get_accepts_the_wiki_key_only_hash() {
    let app = TestApp::new().await;
    app.provider("One", None).await;
    assert_eq!(app.provider("Two", None).await, 2);
    // The wiki example: provider_id=2 is not hashed, so the hash is sha1("secret") (spec B.7).
    let uri = "/billing/api/providers_get?u=admin&provider_id=2&hash=e5e9fa1ba31ecd1ae84f75caaa474f3a663f05f4";
    let reply = app.post(uri, &[]).await;
    assert_eq!(ids(&reply.body), [2]);
    let wrong = moray::api::hash::sha1_hex("2secret");
    let reply = app
        .call(
            "providers_get",
            &[("u", "admin"), ("provider_id", "2"), ("hash", &wrong)],
        )
        .await;
    assert_eq!(reply.body, status_error("Incorrect hash"));
}

#[tokio::test]
async fn providers_get_returns_at_most_1000_providers() {
    let app = TestApp::new().await;
    app.exec_many(
        "INSERT INTO providers (name) VALUES (?1)",
        (0..1003).map(|i| p![format!("P{i}")]).collect(),
    );
    let listed = ids(&call_as(&app, "admin", "providers_get", &[]).await.body);
    assert_eq!(listed, (1..=1000).collect::<Vec<i64>>());
}
