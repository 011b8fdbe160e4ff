//! `did_details_update` (spec F.13).

use super::*;

const UPDATED: &str = "DID details successfully updated";

async fn update(app: &TestApp, caller: &str, did: i64, params: &[(&str, &str)]) -> Reply {
    let did = did.to_string();
    let mut all = vec![("did_id", did.as_str())];
    all.extend_from_slice(params);
    call_as(app, caller, "did_details_update", &all).await
}

#[tokio::test]
async fn did_details_update_reserves_a_free_did_for_a_user() {
    let w = World::new().await;
    let id = add_did(&w.app, "1", w.provider, "free", 0, 0, 0);
    let reply = update(&w.app, "admin", id, &[("did_user_id", &w.john.to_string())]).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body, success(UPDATED, &[]));
    assert_eq!(state(&w.app, id), st("reserved", 0, w.john, 0, 0));
}

#[tokio::test]
async fn did_details_update_sets_the_call_limit_alone_even_on_an_active_did() {
    let w = World::new().await;
    let id = add_did(&w.app, "1", w.provider, "active", 0, w.john, w.john_dev);
    assert_eq!(
        update(&w.app, "admin", id, &[("call_limit", "4")]).await.body,
        success(UPDATED, &[])
    );
    assert_eq!(state(&w.app, id), st("active", 0, w.john, w.john_dev, 4));
    assert_eq!(
        update(&w.app, "admin", id, &[("call_limit", "0")]).await.body,
        success(UPDATED, &[])
    );
    assert_eq!(state(&w.app, id).4, 0);
}

#[tokio::test]
async fn did_details_update_with_nothing_to_change_succeeds() {
    let w = World::new().await;
    let id = add_did(&w.app, "1", w.provider, "free", 0, 0, 0);
    let reply = update(
        &w.app,
        "admin",
        id,
        &[("active_from", "1700000000"), ("active_till", "1800000000")],
    )
    .await;
    assert_eq!(reply.body, success(UPDATED, &[]));
    assert_eq!(state(&w.app, id), st("free", 0, 0, 0, 0));
}

#[tokio::test]
async fn did_details_update_minus_one_frees_and_admin_takes_the_did_back_from_a_reseller() {
    let w = World::new().await;
    let mine = add_did(&w.app, "1", w.provider, "reserved", 0, w.john, 0);
    let theirs = add_did(&w.app, "2", w.provider, "reserved", w.res_a, w.anna, 0);
    assert_eq!(
        update(&w.app, "admin", mine, &[("did_user_id", "-1")]).await.body,
        success(UPDATED, &[])
    );
    assert_eq!(state(&w.app, mine), st("free", 0, 0, 0, 0));
    assert_eq!(
        update(&w.app, "admin", theirs, &[("did_user_id", "-1")]).await.body,
        success(UPDATED, &[])
    );
    assert_eq!(state(&w.app, theirs), st("free", 0, 0, 0, 0));
}

#[tokio::test]
async fn did_details_update_minus_one_by_a_reseller_keeps_the_did_with_the_reseller() {
    let w = World::new().await;
    let id = add_did(&w.app, "1", w.provider, "reserved", w.res_a, w.anna, 0);
    assert_eq!(
        update(&w.app, "resA", id, &[("did_user_id", "-1")]).await.body,
        success(UPDATED, &[])
    );
    assert_eq!(state(&w.app, id), st("free", w.res_a, 0, 0, 0));
}

#[tokio::test]
async fn did_details_update_lets_admin_hand_a_did_to_a_reseller() {
    let w = World::new().await;
    let id = add_did(&w.app, "1", w.provider, "reserved", 0, w.john, 0);
    let reply = update(
        &w.app,
        "admin",
        id,
        &[("did_user_id", &w.res_a.to_string()), ("call_limit", "2")],
    )
    .await;
    assert_eq!(reply.body, success(UPDATED, &[]));
    assert_eq!(state(&w.app, id), st("free", w.res_a, 0, 0, 2));
    // Now resA reserves it for its own user.
    assert_eq!(
        update(&w.app, "resA", id, &[("did_user_id", &w.anna.to_string())])
            .await
            .body,
        success(UPDATED, &[])
    );
    assert_eq!(state(&w.app, id), st("reserved", w.res_a, w.anna, 0, 2));
}

#[tokio::test]
async fn did_details_update_refuses_unknown_callers_and_plain_users() {
    let w = World::new().await;
    let id = add_did(&w.app, "1", w.provider, "free", 0, 0, 0).to_string();
    let reply = w
        .app
        .call("did_details_update", &[("u", "nobody"), ("did_id", &id)])
        .await;
    assert_eq!(reply.body, page_status_error("Access Denied"));
    let reply = call_as(
        &w.app,
        "john",
        "did_details_update",
        &[("did_id", &id), ("call_limit", "1")],
    )
    .await;
    assert_eq!(reply.body, page_status_error("Access Denied"));
}

#[tokio::test]
async fn did_details_update_needs_device_manage_write_for_accountants() {
    let w = World::new().await;
    let id = add_did(&w.app, "1", w.provider, "free", 0, 0, 0);
    accountant(&w.app, "acc1", "device_manage=1,manage_dids=2,user_manage=2").await;
    accountant(&w.app, "acc2", "device_manage=2").await;
    let reply = update(&w.app, "acc1", id, &[("call_limit", "1")]).await;
    assert_eq!(
        reply.body,
        page_status_error("You are not authorized to use this functionality")
    );
    let reply = update(&w.app, "acc2", id, &[("did_user_id", &w.john.to_string())]).await;
    assert_eq!(reply.body, success(UPDATED, &[]));
    assert_eq!(state(&w.app, id), st("reserved", 0, w.john, 0, 0));
}

#[tokio::test]
async fn did_details_update_answers_did_was_not_found_for_unknown_or_foreign_dids() {
    let w = World::new().await;
    let of_b = add_did(&w.app, "1", w.provider, "free", w.res_b, 0, 0);
    let of_admin = add_did(&w.app, "2", w.provider, "free", 0, 0, 0);
    let not_found = page_status_error("DID was not found");
    assert_eq!(
        update(&w.app, "resA", of_b, &[("call_limit", "1")]).await.body,
        not_found
    );
    assert_eq!(
        update(&w.app, "resA", of_admin, &[("call_limit", "1")]).await.body,
        not_found
    );
    assert_eq!(update(&w.app, "admin", 999, &[]).await.body, not_found);
    let reply = call_as(&w.app, "admin", "did_details_update", &[("did_id", "abc")]).await;
    assert_eq!(reply.body, not_found);
    assert_eq!(state(&w.app, of_b), st("free", w.res_b, 0, 0, 0));
}

#[tokio::test]
async fn did_details_update_answers_user_was_not_found_for_a_user_the_caller_may_not_use() {
    let w = World::new().await;
    let admins = add_did(&w.app, "1", w.provider, "free", 0, 0, 0);
    let resellers = add_did(&w.app, "2", w.provider, "free", w.res_a, 0, 0);
    let acc = accountant(&w.app, "acc", "device_manage=2").await;
    let not_found = page_status_error("User was not found");
    let cases: Vec<(&str, i64, String, &str)> = vec![
        ("admin", admins, "999".into(), "unknown id"),
        ("admin", admins, "abc".into(), "not a number"),
        ("admin", admins, "0".into(), "admin himself"),
        ("admin", admins, acc.to_string(), "an accountant"),
        ("admin", admins, w.anna.to_string(), "resA's user"),
        ("admin", resellers, w.john.to_string(), "admin's user for resA's DID"),
        ("resA", resellers, w.bob.to_string(), "resB's user"),
        ("resA", resellers, w.john.to_string(), "admin's user"),
        ("resA", resellers, w.res_b.to_string(), "resellers cannot hand DIDs on"),
        (
            "acc",
            admins,
            w.res_a.to_string(),
            "accountants cannot hand DIDs to resellers",
        ),
    ];
    for (caller, did, user, why) in cases {
        let reply = update(&w.app, caller, did, &[("did_user_id", &user)]).await;
        assert_eq!(reply.body, not_found, "{why}");
    }
    assert_eq!(state(&w.app, admins), st("free", 0, 0, 0, 0));
    assert_eq!(state(&w.app, resellers), st("free", w.res_a, 0, 0, 0));
}

#[tokio::test]
async fn did_details_update_refuses_a_new_holder_while_the_did_is_active() {
    let w = World::new().await;
    let id = add_did(&w.app, "1", w.provider, "active", 0, w.john, w.john_dev);
    let other = plain(&w.app, "other", None, "Ot", "Her").await;
    for user in [other.to_string(), "-1".to_owned()] {
        let reply = update(&w.app, "admin", id, &[("did_user_id", &user), ("call_limit", "9")]).await;
        assert_eq!(reply.body, page_status_error("DID is already assigned"), "{user}");
    }
    assert_eq!(state(&w.app, id), st("active", 0, w.john, w.john_dev, 0));
}

#[tokio::test]
async fn did_details_update_refuses_to_reserve_a_terminated_or_closed_did() {
    let w = World::new().await;
    let terminated = add_did(&w.app, "1", w.provider, "terminated", 0, 0, 0);
    let closed = add_did(&w.app, "2", w.provider, "closed", 0, w.john, w.john_dev);
    let john = w.john.to_string();
    let reply = update(&w.app, "admin", terminated, &[("did_user_id", &john)]).await;
    assert_eq!(reply.body, page_status_error("DID is terminated"));
    let reply = update(&w.app, "admin", closed, &[("did_user_id", &john)]).await;
    assert_eq!(reply.body, page_status_error("DID is not free"));
    // `-1` frees them, as did_make_free would.
    assert_eq!(
        update(&w.app, "admin", closed, &[("did_user_id", "-1")]).await.body,
        success(UPDATED, &[])
    );
    assert_eq!(state(&w.app, closed), st("free", 0, 0, 0, 0));
}

#[tokio::test]
async fn did_details_update_refuses_a_call_limit_that_is_not_digits() {
    let w = World::new().await;
    let id = add_did(&w.app, "1", w.provider, "free", 0, 0, 0);
    let john = w.john.to_string();
    for limit in ["-1", "abc", "1.5", "99999999999999999999"] {
        let reply = update(&w.app, "admin", id, &[("did_user_id", &john), ("call_limit", limit)]).await;
        assert_eq!(
            reply.body,
            page_status_error("Call limit is incorrect format"),
            "{limit}"
        );
    }
    assert_eq!(state(&w.app, id), st("free", 0, 0, 0, 0), "nothing changes on an error");
    let reply = update(&w.app, "admin", id, &[("call_limit", ""), ("did_user_id", "")]).await;
    assert_eq!(reply.body, success(UPDATED, &[]), "blank values are not sent values");
}

#[tokio::test]
async fn did_details_update_checks_the_user_before_the_call_limit() {
    let w = World::new().await;
    let id = add_did(&w.app, "1", w.provider, "free", 0, 0, 0);
    let reply = update(&w.app, "admin", id, &[("did_user_id", "999"), ("call_limit", "x")]).await;
    assert_eq!(reply.body, page_status_error("User was not found"));
}

#[tokio::test]
async fn did_details_update_hashes_did_id() {
    let w = World::new().await;
    let id = add_did(&w.app, "1", w.provider, "free", 0, 0, 0).to_string();
    let good = moray::api::hash::sha1_hex(&format!("{id}secret"));
    let reply = w
        .app
        .call(
            "did_details_update",
            &[("u", "admin"), ("did_id", &id), ("call_limit", "7"), ("hash", &good)],
        )
        .await;
    assert_eq!(reply.body, success(UPDATED, &[]));
    let bad = moray::api::hash::sha1_hex("secret");
    let reply = w
        .app
        .call("did_details_update", &[("u", "admin"), ("did_id", &id), ("hash", &bad)])
        .await;
    assert_eq!(reply.body, status_error("Incorrect hash"));
}
