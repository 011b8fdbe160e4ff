//! `reseller_groups_get` (spec F.15).

use super::*;

fn add_group(app: &TestApp, name: &str, description: &str, group_type: &str) -> i64 {
    app.insert(
        "INSERT INTO permission_groups (name, name_key, description, group_type) VALUES (?1, ?2, ?3, ?4)",
        p![name, name.to_lowercase(), description, group_type],
    )
}

fn group_lines(id: i64, name: &str, description: &str) -> Vec<String> {
    vec![
        "    <reseller_group>".to_owned(),
        format!("      <id>{id}</id>"),
        format!("      <name>{name}</name>"),
        format!("      <description>{description}</description>"),
        "    </reseller_group>".to_owned(),
    ]
}

fn groups_doc(groups: Vec<Vec<String>>) -> String {
    let mut lines = vec!["<page>".to_owned(), "  <reseller_groups>".to_owned()];
    lines.extend(groups.into_iter().flatten());
    lines.extend(["  </reseller_groups>".to_owned(), "</page>".to_owned()]);
    doc(&lines.iter().map(String::as_str).collect::<Vec<_>>())
}

#[tokio::test]
async fn reseller_groups_get_lists_reseller_groups_only() {
    let app = TestApp::new().await;
    let reply = call_as(&app, "admin", "reseller_group_create", &[("name", "test_1")]).await;
    assert!(
        reply.body.contains("Reseller Group successfully created"),
        "{}",
        reply.body
    );
    accountant(&app, "acc", "manage_dids=2").await;
    let second = add_group(&app, "Gold <VIP>", "Top & best", "reseller");
    let first: i64 = app.count("SELECT id FROM permission_groups WHERE name = 'test_1'");
    let reply = call_as(&app, "admin", "reseller_groups_get", &[]).await;
    assert_eq!(reply.status, 200);
    let expected = groups_doc(vec![
        group_lines(first, "test_1", ""),
        group_lines(second, "Gold &lt;VIP&gt;", "Top &amp; best"),
    ]);
    assert_eq!(reply.body, expected);
}

#[tokio::test]
async fn reseller_groups_get_answers_none_found_in_the_page_error_envelope() {
    let app = TestApp::new().await;
    accountant(&app, "acc", "manage_dids=2").await;
    let reply = call_as(&app, "admin", "reseller_groups_get", &[]).await;
    assert_eq!(reply.body, page_error("No Reseller Groups found"));
}

#[tokio::test]
async fn reseller_groups_get_is_for_admin_only() {
    let app = TestApp::new().await;
    add_group(&app, "g", "", "reseller");
    reseller(&app, "resA", true).await;
    app.user("john", "user").await;
    let denied = page_error("Access Denied");
    assert_eq!(app.call("reseller_groups_get", &[("u", "nobody")]).await.body, denied);
    assert_eq!(app.call("reseller_groups_get", &[]).await.body, denied);
    assert_eq!(call_as(&app, "resA", "reseller_groups_get", &[]).await.body, denied);
    assert_eq!(call_as(&app, "john", "reseller_groups_get", &[]).await.body, denied);
}

#[tokio::test]
async fn reseller_groups_get_refuses_accountants_whatever_their_rights() {
    let app = TestApp::new().await;
    add_group(&app, "g", "", "reseller");
    accountant(
        &app,
        "acc",
        "user_manage=2,device_manage=2,manage_dids=2,manage_providers=2",
    )
    .await;
    let reply = call_as(&app, "acc", "reseller_groups_get", &[]).await;
    assert_eq!(
        reply.body,
        page_error("You are not authorized to use this functionality")
    );
}

#[tokio::test]
async fn reseller_groups_get_hashes_u() {
    let app = TestApp::new().await;
    let id = add_group(&app, "g", "d", "reseller");
    let good = moray::api::hash::sha1_hex("adminsecret");
    let reply = app
        .call("reseller_groups_get", &[("u", "admin"), ("hash", &good)])
        .await;
    assert_eq!(reply.body, groups_doc(vec![group_lines(id, "g", "d")]));
    let key_only = moray::api::hash::sha1_hex("secret");
    let reply = app
        .call("reseller_groups_get", &[("u", "admin"), ("hash", &key_only)])
        .await;
    assert_eq!(reply.body, status_error("Incorrect hash"));
}

#[tokio::test]
async fn reseller_groups_get_returns_at_most_1000_groups() {
    let app = TestApp::new().await;
    app.exec_many(
        "INSERT INTO permission_groups (name, name_key, group_type) VALUES (?1, ?1, 'reseller')",
        (0..1002).map(|i| p![format!("g{i}")]).collect(),
    );
    let body = call_as(&app, "admin", "reseller_groups_get", &[]).await.body;
    assert_eq!(body.matches("<reseller_group>").count(), 1000);
    assert!(body.contains("<name>g999</name>") && !body.contains("<name>g1000</name>"));
}
