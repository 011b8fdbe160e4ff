//! `dids_get` (spec F.10, B.2/G11, G13).

use super::*;

fn did<'a>(children: &[(&'a str, &str)]) -> Vec<(&'a str, String)> {
    children
        .iter()
        .map(|(name, text)| (*name, (*text).to_owned()))
        .collect()
}

/// Three DIDs: admin's free one, resA's active one on Anna's device, admin's reserved for John.
pub(super) async fn listed_world() -> (World, [i64; 3]) {
    let w = World::new().await;
    let free = add_did(&w.app, "37066000001", w.provider, "free", 0, 0, 0);
    let active = add_did(&w.app, "37066000002", w.provider, "active", w.res_a, w.anna, w.anna_dev);
    set_did(&w.app, active, "call_limit", 5);
    set_did(&w.app, active, "comment", "A very long comment that goes on & on");
    let reserved = add_did(&w.app, "37066000003", w.provider, "reserved", 0, w.john, 0);
    (w, [free, active, reserved])
}

pub(super) fn numbers(body: &str) -> Vec<String> {
    body.lines()
        .filter_map(|l| l.trim().strip_prefix("<did>").and_then(|l| l.strip_suffix("</did>")))
        .map(str::to_owned)
        .collect()
}

#[tokio::test]
async fn dids_get_shows_admin_every_did_with_every_conditional_child() {
    let (w, [free, active, reserved]) = listed_world().await;
    let reply = call_as(&w.app, "admin", "dids_get", &[]).await;
    let expected = dids_doc(&[
        did(&[
            ("did", "37066000001"),
            ("provider", "Telco"),
            ("language", "en"),
            ("status", "Free"),
            ("simultaneous_call_limit", "Unlimited"),
            ("id", &free.to_string()),
        ]),
        did(&[
            ("did", "37066000002"),
            ("provider", "Telco"),
            ("language", "en"),
            ("status", "Active"),
            ("reseller", "Reseller Alpha"),
            ("owner", "Anna Able"),
            ("device", "IAX2/201"),
            ("simultaneous_call_limit", "5"),
            ("comment", "A very long comment that "),
            ("id", &active.to_string()),
        ]),
        did(&[
            ("did", "37066000003"),
            ("provider", "Telco"),
            ("language", "en"),
            ("status", "Reserved"),
            ("owner", "John Doe"),
            ("simultaneous_call_limit", "Unlimited"),
            ("id", &reserved.to_string()),
        ]),
    ]);
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body, expected);
}

#[tokio::test]
async fn dids_get_escapes_and_cuts_the_comment_to_25_characters() {
    let w = World::new().await;
    let id = add_did(&w.app, "1", w.provider, "free", 0, 0, 0);
    set_did(&w.app, id, "comment", "Žalgiris <HQ> & co — ąčęėįšųūž tail");
    let reply = call_as(&w.app, "admin", "dids_get", &[]).await;
    assert!(
        reply
            .body
            .contains("      <comment>Žalgiris &lt;HQ&gt; &amp; co — ąčęė</comment>\n"),
        "{}",
        reply.body
    );
}

#[tokio::test]
async fn dids_get_shows_a_reseller_only_its_dids_without_provider_and_reseller() {
    let (w, [_, active, _]) = listed_world().await;
    add_did(&w.app, "37066000009", w.provider, "free", w.res_b, 0, 0);
    let reply = call_as(&w.app, "resA", "dids_get", &[]).await;
    let expected = dids_doc(&[did(&[
        ("did", "37066000002"),
        ("language", "en"),
        ("status", "Active"),
        ("owner", "Anna Able"),
        ("device", "IAX2/201"),
        ("simultaneous_call_limit", "5"),
        ("comment", "A very long comment that "),
        ("id", &active.to_string()),
    ])]);
    assert_eq!(reply.body, expected);
    let reply = call_as(&w.app, "resB", "dids_get", &[]).await;
    assert_eq!(numbers(&reply.body), ["37066000009"]);
}

#[tokio::test]
async fn dids_get_shows_a_plain_user_only_the_dids_it_holds() {
    let (w, [_, _, reserved]) = listed_world().await;
    let reply = call_as(&w.app, "john", "dids_get", &[]).await;
    let expected = dids_doc(&[did(&[
        ("did", "37066000003"),
        ("language", "en"),
        ("status", "Reserved"),
        ("owner", "John Doe"),
        ("simultaneous_call_limit", "Unlimited"),
        ("id", &reserved.to_string()),
    ])]);
    assert_eq!(reply.body, expected);
    assert_eq!(
        numbers(&call_as(&w.app, "anna", "dids_get", &[]).await.body),
        ["37066000002"]
    );
    assert_eq!(
        call_as(&w.app, "bob", "dids_get", &[]).await.body,
        page_status_error("No DIDs found")
    );
}

#[tokio::test]
async fn dids_get_prints_every_status_capitalised() {
    let w = World::new().await;
    for (i, status) in ["free", "reserved", "active", "closed", "terminated"]
        .iter()
        .enumerate()
    {
        add_did(&w.app, &format!("50{i}"), w.provider, status, 0, 0, 0);
    }
    let body = call_as(&w.app, "admin", "dids_get", &[]).await.body;
    let statuses: Vec<&str> = body
        .lines()
        .filter_map(|l| {
            l.trim()
                .strip_prefix("<status>")
                .and_then(|l| l.strip_suffix("</status>"))
        })
        .collect();
    assert_eq!(statuses, ["Free", "Reserved", "Active", "Closed", "Terminated"]);
}

#[tokio::test]
async fn dids_get_falls_back_to_the_username_when_a_user_has_no_names() {
    let w = World::new().await;
    let nameless = plain(&w.app, "nameless", None, " ", "").await;
    add_did(&w.app, "1", w.provider, "reserved", 0, nameless, 0);
    let body = call_as(&w.app, "admin", "dids_get", &[]).await.body;
    assert!(body.contains("      <owner>nameless</owner>\n"), "{body}");
}

#[tokio::test]
async fn dids_get_refuses_an_unknown_or_blank_caller_with_access_denied() {
    let (w, _) = listed_world().await;
    for caller in ["nobody", "", "  "] {
        let reply = w.app.call("dids_get", &[("u", caller)]).await;
        assert_eq!(reply.body, page_status_error("Access Denied"), "{caller:?}");
    }
    assert_eq!(
        w.app.call("dids_get", &[]).await.body,
        page_status_error("Access Denied")
    );
}

#[tokio::test]
async fn dids_get_needs_manage_dids_read_for_accountants() {
    let (w, _) = listed_world().await;
    accountant(&w.app, "acc0", "device_manage=2,user_manage=2").await;
    accountant(&w.app, "acc1", "manage_dids=1").await;
    let reply = call_as(&w.app, "acc0", "dids_get", &[]).await;
    assert_eq!(reply.body, page_status_error("You are not authorized to manage DIDs"));
    let reply = call_as(&w.app, "acc1", "dids_get", &[]).await;
    assert_eq!(numbers(&reply.body), ["37066000001", "37066000002", "37066000003"]);
    assert!(
        reply.body.contains("<provider>Telco</provider>"),
        "accountants see the provider"
    );
}

#[tokio::test]
async fn dids_get_answers_no_dids_found_when_nothing_matches() {
    let w = World::new().await;
    assert_eq!(
        call_as(&w.app, "admin", "dids_get", &[]).await.body,
        page_status_error("No DIDs found")
    );
}

#[tokio::test]
async fn dids_get_filters_by_number_substring_and_status_case_insensitively() {
    let (w, _) = listed_world().await;
    let list = |params: Vec<(&'static str, &'static str)>| {
        let app = &w.app;
        async move { numbers(&call_as(app, "admin", "dids_get", &params).await.body) }
    };
    assert_eq!(list(vec![("search_did_number", "0002")]).await, ["37066000002"]);
    assert_eq!(list(vec![("search_did_number", "3706600000")]).await.len(), 3);
    assert_eq!(list(vec![("search_status", "ReSeRvEd")]).await, ["37066000003"]);
    assert_eq!(list(vec![("search_status", "all")]).await.len(), 3);
    assert_eq!(
        list(vec![("search_status", "active"), ("search_did_number", "0002")]).await,
        ["37066000002"]
    );
    let reply = call_as(&w.app, "admin", "dids_get", &[("search_status", "bogus")]).await;
    assert_eq!(reply.body, page_status_error("No DIDs found"));
    let reply = call_as(&w.app, "admin", "dids_get", &[("search_did_number", "%")]).await;
    assert_eq!(reply.body, page_status_error("No DIDs found"), "no LIKE wildcards");
}

#[tokio::test]
async fn dids_get_filters_by_owner_display_name_substring() {
    let (w, _) = listed_world().await;
    let ukko = plain(&w.app, "ukko", None, "Ülle", "Öö").await;
    add_did(&w.app, "37066000004", w.provider, "reserved", 0, ukko, 0);
    for (needle, expected) in [
        ("anna", "37066000002"),
        ("DOE", "37066000003"),
        ("a a", "37066000002"),
        ("üLLE ö", "37066000004"),
    ] {
        let reply = call_as(&w.app, "admin", "dids_get", &[("search_did_owner", needle)]).await;
        assert_eq!(numbers(&reply.body), [expected], "{needle}");
    }
    let reply = call_as(&w.app, "admin", "dids_get", &[("search_did_owner", "nobody")]).await;
    assert_eq!(reply.body, page_status_error("No DIDs found"));
}

#[tokio::test]
async fn dids_get_filters_by_user_device_and_provider_ids() {
    let (w, _) = listed_world().await;
    let other = w.app.provider("Other", None).await;
    add_did(&w.app, "37066000004", other, "free", 0, 0, 0);
    let cases = [
        ("search_user", w.john.to_string(), vec!["37066000003"]),
        ("search_user", w.anna.to_string(), vec!["37066000002"]),
        ("search_device", w.anna_dev.to_string(), vec!["37066000002"]),
        ("search_provider", other.to_string(), vec!["37066000004"]),
        (
            "search_provider",
            "all".to_owned(),
            vec!["37066000001", "37066000002", "37066000003", "37066000004"],
        ),
    ];
    for (name, value, expected) in cases {
        let reply = call_as(&w.app, "admin", "dids_get", &[(name, &value)]).await;
        assert_eq!(numbers(&reply.body), expected, "{name}={value}");
    }
    for (name, value) in [
        ("search_user", "abc"),
        ("search_device", "999"),
        ("search_provider", "x"),
    ] {
        let reply = call_as(&w.app, "admin", "dids_get", &[(name, value)]).await;
        assert_eq!(reply.body, page_status_error("No DIDs found"), "{name}={value}");
    }
}

#[tokio::test]
async fn dids_get_ignores_search_provider_from_a_reseller() {
    let (w, _) = listed_world().await;
    let reply = call_as(&w.app, "resA", "dids_get", &[("search_provider", "999")]).await;
    assert_eq!(numbers(&reply.body), ["37066000002"]);
}

#[tokio::test]
async fn dids_get_filters_by_language_and_hides_terminated_dids() {
    let (w, [free, ..]) = listed_world().await;
    set_did(&w.app, free, "language", "lt");
    add_did(&w.app, "37066000005", w.provider, "terminated", 0, 0, 0);
    let list = |params: Vec<(&'static str, &'static str)>| {
        let app = &w.app;
        async move { numbers(&call_as(app, "admin", "dids_get", &params).await.body) }
    };
    assert_eq!(list(vec![("search_language", "LT")]).await, ["37066000001"]);
    assert_eq!(list(vec![("search_language", "all")]).await.len(), 4);
    assert_eq!(list(vec![("search_hide_terminated_dids", "1")]).await.len(), 3);
    assert_eq!(list(vec![("search_hide_terminated_dids", "0")]).await.len(), 4);
    assert_eq!(
        list(vec![("search_dialplan", "7")]).await.len(),
        4,
        "search_dialplan is ignored"
    );
}
