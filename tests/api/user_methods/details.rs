//! `user_details_get` (`/api/user_details`), spec F.2.

use super::*;

/// The expected document for the values a test sets (strings as they should appear).
struct Shown<'a> {
    id: i64,
    account: &'a str,
    balance: &'a str,
    balance_number: &'a str,
    credit: &'a str,
    username: &'a str,
    agreement_number: &'a str,
    taxation_country: &'a str,
}

fn details(s: &Shown) -> String {
    doc(&[
        "<page>",
        "  <pagename>Personal details</pagename>",
        "  <language>en</language>",
        &format!("  <userid>{}</userid>", s.id),
        "  <details>",
        "    <main_detail>",
        &format!("      <account>{}</account>", s.account),
        &format!("      <balance>{}</balance>", s.balance),
        &format!("      <balance_number>{}</balance_number>", s.balance_number),
        "      <balance_currency>USD</balance_currency>",
        &format!("      <credit>{}</credit>", s.credit),
        "    </main_detail>",
        "    <other_details>",
        &format!("      <username>{}</username>", s.username),
        "      <first_name>John</first_name>",
        "      <surname>Doe &amp; Sons</surname>",
        "      <personalid>CL-7</personalid>",
        &format!("      <agreement_number>{}</agreement_number>", s.agreement_number),
        "      <agreement_date>2024-02-29</agreement_date>",
        &format!("      <taxation_country>{}</taxation_country>", s.taxation_country),
        "      <vat_reg_number>LT123</vat_reg_number>",
        "      <vat_percent>0.0</vat_percent>",
        "      <call_limit>3</call_limit>",
        "    </other_details>",
        "    <registration>",
        "      <reg_address>Main st. 1</reg_address>",
        "      <reg_postcode>LT-01001</reg_postcode>",
        "      <reg_city>Vilnius</reg_city>",
        "      <reg_country>Vilniaus</reg_country>",
        "      <reg_state>VL</reg_state>",
        "      <reg_direction>john@example.com</reg_direction>",
        "      <reg_phone>3705111</reg_phone>",
        "      <reg_mobile>3706222</reg_mobile>",
        "      <reg_fax>3705333</reg_fax>",
        "      <reg_email>john@example.com</reg_email>",
        "    </registration>",
        "  </details>",
        "</page>",
    ])
}

/// Fills every column the page shows; returns the country name it set.
fn fill(app: &TestApp, id: i64, postpaid: bool, balance: f64, credit: f64) -> String {
    let (country_id, name): (i64, String) = app
        .query_rows("SELECT id, name FROM countries ORDER BY id", p![])
        .iter()
        .map(|row| (row.i64(0), row.text(1)))
        .find(|(_, name)| name.chars().count() > 22)
        .expect("a country with a long name");
    app.exec(
        &format!(
            "UPDATE users SET first_name = 'John', last_name = 'Doe & Sons', client_id = 'CL-7',
                agreement_number = '0000000042', agreement_date = '2024-02-29', country_id = {country_id},
                vat_number = 'LT123', call_limit = 3, address = 'Main st. 1', postcode = 'LT-01001',
                city = 'Vilnius', county = 'Vilniaus', state = 'VL', email = 'john@example.com',
                phone = '3705111', mob_phone = '3706222', fax = '3705333', postpaid = {},
                balance = {balance}, credit = {credit}
             WHERE id = {id}",
            i64::from(postpaid)
        ),
        p![],
    );
    name.chars().take(22).collect()
}

async fn get(app: &TestApp, params: &[(&str, &str)]) -> String {
    app.call_signed("user_details_get", params).await.body
}

#[tokio::test]
async fn admin_reads_a_user_by_id_with_every_field() {
    let app = TestApp::new().await;
    let (id, _) = app.user("john", "user").await;
    let country = fill(&app, id, false, 12.5, 0.0);
    let body = get(&app, &[("u", "admin"), ("user_id", &id.to_string())]).await;
    let shown = Shown {
        id,
        account: "Prepaid",
        balance: "12.5000 USD",
        balance_number: "12.5",
        credit: "0.0",
        username: "john",
        agreement_number: "0000000042",
        taxation_country: &country,
    };
    assert_eq!(body, details(&shown));
}

#[tokio::test]
async fn postpaid_unlimited_credit_and_negative_balance_are_shown_as_mor_does() {
    let app = TestApp::new().await;
    let (id, _) = app.user("john", "user").await;
    let country = fill(&app, id, true, -1.23456, -1.0);
    let body = get(&app, &[("u", "admin"), ("user_id", &id.to_string())]).await;
    let shown = Shown {
        id,
        account: "Postpaid",
        balance: "-1.2346 USD",
        balance_number: "-1.23456",
        credit: "Unlimited",
        username: "john",
        agreement_number: "0000000042",
        taxation_country: &country,
    };
    assert_eq!(body, details(&shown));
    app.exec(&format!("UPDATE users SET credit = 250 WHERE id = {id}"), p![]);
    let body = get(&app, &[("u", "admin"), ("user_id", &id.to_string())]).await;
    assert!(body.contains("      <credit>250.0</credit>\n"), "{body}");
}

#[tokio::test]
async fn admin_reads_a_user_by_username_case_insensitively() {
    let app = TestApp::new().await;
    let (id, _) = app.user("john", "user").await;
    let body = get(&app, &[("u", "admin"), ("username", "JOHN")]).await;
    assert!(body.contains(&format!("  <userid>{id}</userid>\n")), "{body}");
    assert!(body.contains("      <username>john</username>\n"), "{body}");
}

#[tokio::test]
async fn user_id_wins_over_username() {
    let app = TestApp::new().await;
    let (john, _) = app.user("john", "user").await;
    app.user("mary", "user").await;
    let body = get(
        &app,
        &[("u", "admin"), ("user_id", &john.to_string()), ("username", "mary")],
    )
    .await;
    assert!(body.contains(&format!("  <userid>{john}</userid>\n")), "{body}");
    // An unknown user_id does not fall back to username.
    let body = get(&app, &[("u", "admin"), ("user_id", "999"), ("username", "mary")]).await;
    assert_eq!(body, root_error("User was not found"));
}

#[tokio::test]
async fn blank_or_unknown_target_is_not_found() {
    let app = TestApp::new().await;
    for params in [
        vec![("u", "admin")],
        vec![("u", "admin"), ("user_id", "")],
        vec![("u", "admin"), ("user_id", "999")],
        vec![("u", "admin"), ("user_id", "abc")],
        vec![("u", "admin"), ("username", "nobody")],
    ] {
        assert_eq!(get(&app, &params).await, root_error("User was not found"), "{params:?}");
    }
}

#[tokio::test]
async fn unknown_caller_is_access_denied() {
    let app = TestApp::new().await;
    let body = get(&app, &[("u", "nobody"), ("user_id", "0")]).await;
    assert_eq!(body, root_error("Access Denied"));
    let body = app.call("user_details_get", &[("user_id", "0")]).await.body;
    assert_eq!(body, root_error("Access Denied"));
}

#[tokio::test]
async fn admin_reads_himself_but_not_a_resellers_users() {
    let app = TestApp::new().await;
    user_owned(&app, "res", "reseller", None).await;
    let bob = user_owned(&app, "bob", "user", Some("res")).await;
    let body = get(&app, &[("u", "admin"), ("user_id", "0")]).await;
    assert!(body.contains("  <userid>0</userid>\n"), "{body}");
    let body = get(&app, &[("u", "admin"), ("user_id", &bob.to_string())]).await;
    assert_eq!(body, root_error("User was not found"));
}

#[tokio::test]
async fn a_reseller_reads_himself_and_his_users_only() {
    let app = TestApp::new().await;
    let res_a = user_owned(&app, "resa", "reseller", None).await;
    user_owned(&app, "resb", "reseller", None).await;
    let bob = user_owned(&app, "bob", "user", Some("resa")).await;
    let carl = user_owned(&app, "carl", "user", Some("resb")).await;
    let (admins_user, _) = app.user("dora", "user").await;
    let body = get(&app, &[("u", "resa"), ("user_id", &bob.to_string())]).await;
    assert!(body.contains(&format!("  <userid>{bob}</userid>\n")), "{body}");
    let body = get(&app, &[("u", "resa"), ("username", "resa")]).await;
    assert!(body.contains(&format!("  <userid>{res_a}</userid>\n")), "{body}");
    for other in [carl, admins_user, 0] {
        let body = get(&app, &[("u", "resa"), ("user_id", &other.to_string())]).await;
        assert_eq!(body, root_error("User was not found"), "user {other}");
    }
    let body = get(&app, &[("u", "resa"), ("username", "carl")]).await;
    assert_eq!(body, root_error("User was not found"));
}

#[tokio::test]
async fn accountants_and_plain_users_read_only_themselves() {
    let app = TestApp::new().await;
    let acc = accountant(&app, "acc", "user_manage=2").await;
    let (john, _) = app.user("john", "user").await;
    let (mary, _) = app.user("mary", "user").await;
    let mary = mary.to_string();
    for (caller, me) in [("acc", acc), ("john", john)] {
        for params in [
            vec![("u", caller), ("user_id", mary.as_str())],
            vec![("u", caller), ("username", "mary")],
            vec![("u", caller)],
        ] {
            let body = get(&app, &params).await;
            assert!(
                body.contains(&format!("  <userid>{me}</userid>\n")),
                "{params:?}: {body}"
            );
        }
    }
}

#[tokio::test]
async fn user_details_hashes_user_id_then_username() {
    let app = TestApp::new().await;
    let (id, _) = app.user("john", "user").await;
    move_user(&app, id, 123);
    app.set("api_secret_key", "456789").await;
    // Spec B.7: `user_id=123`, key 456789.
    let hash = "f7c3bc1d808e04732adf679965ccc34ca7ae3441";
    let body = app
        .call(
            "user_details_get",
            &[("u", "admin"), ("user_id", "123"), ("hash", hash)],
        )
        .await
        .body;
    assert!(body.contains("  <userid>123</userid>\n"), "{body}");
    // Both present: user_id, then username.
    let hash = sha1_hex("123john456789");
    let params = [
        ("u", "admin"),
        ("username", "john"),
        ("user_id", "123"),
        ("hash", &hash),
    ];
    let body = app.call("user_details_get", &params).await.body;
    assert!(body.contains("  <userid>123</userid>\n"), "{body}");
    let hash = sha1_hex("john123456789");
    let params = [
        ("u", "admin"),
        ("username", "john"),
        ("user_id", "123"),
        ("hash", &hash),
    ];
    let body = app.call("user_details_get", &params).await.body;
    assert_eq!(body, status_error("Incorrect hash"));
}

#[tokio::test]
async fn user_details_accepts_the_integer_form_of_user_id() {
    let app = TestApp::new().await;
    let (id, _) = app.user("john", "user").await;
    let padded = format!("00{id}");
    let hash = sha1_hex(&format!("{id}{SECRET}"));
    let body = app
        .call(
            "user_details_get",
            &[("u", "admin"), ("user_id", &padded), ("hash", &hash)],
        )
        .await
        .body;
    assert!(body.contains(&format!("  <userid>{id}</userid>\n")), "{body}");
}

#[tokio::test]
async fn user_details_is_served_at_its_alias() {
    let app = TestApp::new().await;
    let hash = sha1_hex(&format!("0{SECRET}"));
    let reply = app
        .post(
            "/api/user_details",
            &[("u", "admin"), ("user_id", "0"), ("hash", &hash)],
        )
        .await;
    assert!(
        reply.body.contains("  <pagename>Personal details</pagename>\n"),
        "{}",
        reply.body
    );
    let reply = app
        .post(
            "/api/user_details",
            &[("u", "admin"), ("user_id", "0"), ("hash", "bad")],
        )
        .await;
    assert_eq!(reply.body, status_error("Incorrect hash"));
}
