//! `did_device_unassign` (`/api/did_unassign_device`, spec F.12, B.2/G2, G21).

use super::*;

const UNASSIGNED: &str = "Device was unassigned from DID";

async fn unassign(app: &TestApp, caller: &str, number: &str) -> Reply {
    call_as(app, caller, "did_device_unassign", &[("did", number)]).await
}

#[tokio::test]
async fn did_device_unassign_frees_an_active_did() {
    let w = World::new().await;
    let id = add_did(&w.app, "37060000001", w.provider, "active", 0, w.john, w.john_dev);
    set_did(&w.app, id, "call_limit", 3);
    let reply = unassign(&w.app, "admin", "37060000001").await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body, success(UNASSIGNED, &[]));
    assert_eq!(state(&w.app, id), st("free", 0, 0, 0, 3));
}

#[tokio::test]
async fn did_device_unassign_with_test_1_adds_did_id() {
    let w = World::new().await;
    let id = add_did(&w.app, "1", w.provider, "active", 0, w.john, w.john_dev);
    let reply = call_as(&w.app, "admin", "did_device_unassign", &[("did", "1"), ("test", "1")]).await;
    assert_eq!(reply.body, success(UNASSIGNED, &[&format!("  <did_id>{id}</did_id>")]));
}

#[tokio::test]
async fn did_device_unassign_is_served_at_the_did_unassign_device_alias() {
    let w = World::new().await;
    let id = add_did(&w.app, "1", w.provider, "active", 0, w.john, w.john_dev);
    let hash = w.app.hash_with("did_device_unassign", &[("did", "1")], SECRET);
    let reply = w
        .app
        .post(
            "/api/did_unassign_device",
            &[("u", "admin"), ("did", "1"), ("hash", &hash)],
        )
        .await;
    assert_eq!(reply.body, success(UNASSIGNED, &[]));
    assert_eq!(state(&w.app, id).0, "free");
}

#[tokio::test]
async fn did_device_unassign_accepts_the_wiki_key_only_hash() {
    let w = World::new().await;
    let id = add_did(&w.app, "123456789", w.provider, "active", 0, w.john, w.john_dev);
    // sha1("secret"), spec B.7.
    let uri = "/api/did_device_unassign?u=admin&did=123456789&hash=e5e9fa1ba31ecd1ae84f75caaa474f3a663f05f4";
    assert_eq!(w.app.post(uri, &[]).await.body, success(UNASSIGNED, &[]));
    assert_eq!(state(&w.app, id).0, "free");
}

#[tokio::test]
async fn did_device_unassign_accepts_the_device_id_did_hash() {
    let w = World::new().await;
    add_did(&w.app, "5", w.provider, "active", 0, w.john, w.john_dev);
    let device = w.john_dev.to_string();
    let hash = moray::api::hash::sha1_hex(&format!("{device}5secret"));
    let params = [
        ("u", "admin"),
        ("device_id", device.as_str()),
        ("did", "5"),
        ("hash", hash.as_str()),
    ];
    assert_eq!(
        w.app.call("did_device_unassign", &params).await.body,
        success(UNASSIGNED, &[])
    );
}

#[tokio::test]
async fn did_device_unassign_accepts_the_primary_hash_and_refuses_others() {
    let w = World::new().await;
    add_did(&w.app, "5", w.provider, "active", 0, w.john, w.john_dev);
    let wrong = moray::api::hash::sha1_hex("6secret");
    let reply = w
        .app
        .call("did_device_unassign", &[("u", "admin"), ("did", "5"), ("hash", &wrong)])
        .await;
    assert_eq!(reply.body, status_error("Incorrect hash"));
    let primary = moray::api::hash::sha1_hex("5secret");
    let reply = w
        .app
        .call(
            "did_device_unassign",
            &[("u", "admin"), ("did", "5"), ("hash", &primary)],
        )
        .await;
    assert_eq!(reply.body, success(UNASSIGNED, &[]));
}

#[tokio::test]
async fn did_device_unassign_refuses_unknown_callers_and_plain_users() {
    let w = World::new().await;
    add_did(&w.app, "1", w.provider, "active", 0, w.john, w.john_dev);
    let reply = w
        .app
        .call("did_device_unassign", &[("u", "nobody"), ("did", "1")])
        .await;
    assert_eq!(reply.body, page_status_error("Access Denied"));
    assert_eq!(
        unassign(&w.app, "john", "1").await.body,
        page_status_error("Access Denied")
    );
}

#[tokio::test]
async fn did_device_unassign_needs_manage_dids_write_for_accountants() {
    let w = World::new().await;
    let id = add_did(&w.app, "1", w.provider, "active", 0, w.john, w.john_dev);
    accountant(&w.app, "acc1", "manage_dids=1,device_manage=2,user_manage=2").await;
    accountant(&w.app, "acc2", "manage_dids=2").await;
    let reply = unassign(&w.app, "acc1", "1").await;
    assert_eq!(reply.body, page_status_error("You are not authorized to manage DIDs"));
    assert_eq!(unassign(&w.app, "acc2", "1").await.body, success(UNASSIGNED, &[]));
    assert_eq!(state(&w.app, id).0, "free");
}

#[tokio::test]
async fn did_device_unassign_answers_did_was_not_found() {
    let w = World::new().await;
    for number in ["404", "x1", ""] {
        assert_eq!(
            unassign(&w.app, "admin", number).await.body,
            page_status_error("DID was not found"),
            "{number:?}"
        );
    }
}

#[tokio::test]
async fn did_device_unassign_needs_the_did_in_the_callers_own_scope() {
    let w = World::new().await;
    let b = add_did(&w.app, "1", w.provider, "active", w.res_b, w.bob, w.bob_dev);
    add_did(&w.app, "2", w.provider, "active", 0, w.john, w.john_dev);
    let refused = page_status_error("You are not authorized to use this DID");
    assert_eq!(unassign(&w.app, "resA", "1").await.body, refused, "resB's DID");
    assert_eq!(unassign(&w.app, "resA", "2").await.body, refused, "admin's DID");
    assert_eq!(
        unassign(&w.app, "admin", "1").await.body,
        refused,
        "admin cannot unassign resB's DID"
    );
    assert_eq!(state(&w.app, b).0, "active");
    assert_eq!(unassign(&w.app, "resB", "1").await.body, success(UNASSIGNED, &[]));
}

#[tokio::test]
async fn did_device_unassign_refuses_a_terminated_did() {
    let w = World::new().await;
    add_did(&w.app, "1", w.provider, "terminated", 0, 0, 0);
    assert_eq!(
        unassign(&w.app, "admin", "1").await.body,
        page_status_error("DID is terminated")
    );
}

#[tokio::test]
async fn did_device_unassign_answers_already_free_for_every_status_but_active() {
    let w = World::new().await;
    let cases = [
        ("1", "free", 0, 0),
        ("2", "reserved", w.john, 0),
        ("3", "closed", w.john, w.john_dev),
    ];
    for (number, status, user, device) in cases {
        let id = add_did(&w.app, number, w.provider, status, 0, user, device);
        let reply = unassign(&w.app, "admin", number).await;
        assert_eq!(reply.body, page_status_error("DID is already free"), "{status}");
        assert_eq!(state(&w.app, id), st(status, 0, user, device, 0));
    }
}
