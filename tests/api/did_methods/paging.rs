//! `dids_get` paging, result cap and hash variants (spec F.10, B.2/G11).

use super::list::{listed_world, numbers};
use super::*;

#[tokio::test]
async fn dids_get_pages_with_from_and_max_results() {
    let w = World::new().await;
    for i in 1..=7 {
        add_did(&w.app, &format!("{i}"), w.provider, "free", 0, 0, 0);
    }
    let list = |params: Vec<(&'static str, &'static str)>| {
        let app = &w.app;
        async move { numbers(&call_as(app, "admin", "dids_get", &params).await.body) }
    };
    assert_eq!(list(vec![("from", "3"), ("max_results", "2")]).await, ["3", "4"]);
    assert_eq!(list(vec![("from", "6")]).await, ["6", "7"]);
    assert_eq!(list(vec![("max_results", "3")]).await, ["1", "2", "3"]);
    assert_eq!(
        list(vec![("from", "0"), ("max_results", "0")]).await.len(),
        7,
        "invalid values use the defaults"
    );
    assert_eq!(list(vec![("from", "x"), ("max_results", "-1")]).await.len(), 7);
    let reply = call_as(&w.app, "admin", "dids_get", &[("from", "8")]).await;
    assert_eq!(reply.body, page_status_error("No DIDs found"));
}

#[tokio::test]
async fn dids_get_pages_after_the_owner_filter() {
    let w = World::new().await;
    for i in 1..=6 {
        let holder = if i % 2 == 0 { w.john } else { 0 };
        add_did(
            &w.app,
            &format!("{i}"),
            w.provider,
            if holder == 0 { "free" } else { "reserved" },
            0,
            holder,
            0,
        );
    }
    let reply = call_as(
        &w.app,
        "admin",
        "dids_get",
        &[("search_did_owner", "john"), ("from", "2"), ("max_results", "1")],
    )
    .await;
    assert_eq!(numbers(&reply.body), ["4"]);
}

#[tokio::test]
async fn dids_get_returns_at_most_1000_dids() {
    let w = World::new().await;
    w.app.exec_many(
        "INSERT INTO dids (did, provider_id) VALUES (?1, ?2)",
        (0..1005).map(|i| p![format!("{:05}", i), w.provider]).collect(),
    );
    let all = numbers(&call_as(&w.app, "admin", "dids_get", &[]).await.body);
    assert_eq!(
        (all.len(), all[0].as_str(), all[999].as_str()),
        (1000, "00000", "00999")
    );
    let capped = numbers(
        &call_as(&w.app, "admin", "dids_get", &[("max_results", "5000")])
            .await
            .body,
    );
    assert_eq!(capped.len(), 1000);
    let rest = numbers(&call_as(&w.app, "admin", "dids_get", &[("from", "1001")]).await.body);
    assert_eq!(rest, ["01000", "01001", "01002", "01003", "01004"]);
}

#[tokio::test]
async fn dids_get_accepts_the_key_only_hash_and_the_search_status_hash() {
    let (w, _) = listed_world().await;
    // Key only: sha1("secret") (spec B.7).
    let key_only = "e5e9fa1ba31ecd1ae84f75caaa474f3a663f05f4";
    let reply = w.app.call("dids_get", &[("u", "admin"), ("hash", key_only)]).await;
    assert_eq!(numbers(&reply.body).len(), 3);
    let reply = w
        .app
        .call(
            "dids_get",
            &[("u", "admin"), ("search_did_number", "0003"), ("hash", key_only)],
        )
        .await;
    assert_eq!(numbers(&reply.body), ["37066000003"], "search_* values are not hashed");
    let with_status = moray::api::hash::sha1_hex("reservedsecret");
    let reply = w
        .app
        .call(
            "dids_get",
            &[("u", "admin"), ("search_status", "reserved"), ("hash", &with_status)],
        )
        .await;
    assert_eq!(numbers(&reply.body), ["37066000003"]);
    let reply = w
        .app
        .call(
            "dids_get",
            &[("u", "admin"), ("search_status", "free"), ("hash", key_only)],
        )
        .await;
    assert_eq!(
        numbers(&reply.body),
        ["37066000001"],
        "key only matches with search_status sent"
    );
    let reply = w
        .app
        .call(
            "dids_get",
            &[("u", "admin"), ("search_status", "free"), ("hash", &with_status)],
        )
        .await;
    assert_eq!(reply.body, status_error("Incorrect hash"));
}

#[tokio::test]
async fn dids_get_answers_a_wrong_hash_in_the_generic_envelope() {
    let (w, _) = listed_world().await;
    let reply = w
        .app
        .call("dids_get", &[("u", "admin"), ("hash", &"0".repeat(40))])
        .await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body, status_error("Incorrect hash"));
    assert_eq!(
        w.app.call("dids_get", &[("u", "admin")]).await.body,
        status_error("Incorrect hash")
    );
}
