//! `did_device_assign` (`/api/did_assign_device`, spec F.11, B.2/G2, G21).

use super::*;

const ASSIGNED: &str = "Device assigned to DID";

async fn assign(app: &TestApp, caller: &str, device: i64, number: &str) -> Reply {
    call_as(
        app,
        caller,
        "did_device_assign",
        &[("device_id", &device.to_string()), ("did", number)],
    )
    .await
}

#[tokio::test]
async fn did_device_assign_activates_a_free_did_on_the_device() {
    let w = World::new().await;
    let id = add_did(&w.app, "37060000001", w.provider, "free", 0, 0, 0);
    let reply = assign(&w.app, "admin", w.john_dev, "37060000001").await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body, success(ASSIGNED, &[]));
    assert_eq!(state(&w.app, id), st("active", 0, w.john, w.john_dev, 0));
}

#[tokio::test]
async fn did_device_assign_with_test_1_adds_did_id_and_device_id() {
    let w = World::new().await;
    let id = add_did(&w.app, "37060000001", w.provider, "free", 0, 0, 0);
    let params = [
        ("device_id", w.john_dev.to_string()),
        ("did", "37060000001".into()),
        ("test", "1".into()),
    ];
    let params: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let reply = call_as(&w.app, "admin", "did_device_assign", &params).await;
    let did_id = format!("  <did_id>{id}</did_id>");
    let device_id = format!("  <device_id>{}</device_id>", w.john_dev);
    assert_eq!(reply.body, success(ASSIGNED, &[&did_id, &device_id]));
}

#[tokio::test]
async fn did_device_assign_takes_a_did_reserved_for_the_devices_user() {
    let w = World::new().await;
    let id = add_did(&w.app, "1", w.provider, "reserved", 0, w.john, 0);
    assert_eq!(
        assign(&w.app, "admin", w.john_dev, "1").await.body,
        success(ASSIGNED, &[])
    );
    assert_eq!(state(&w.app, id), st("active", 0, w.john, w.john_dev, 0));
}

#[tokio::test]
async fn did_device_assign_is_served_at_the_did_assign_device_alias() {
    let w = World::new().await;
    let id = add_did(&w.app, "1", w.provider, "free", 0, 0, 0);
    let device = w.john_dev.to_string();
    let hash = w
        .app
        .hash_with("did_device_assign", &[("device_id", &device), ("did", "1")], SECRET);
    let params = [
        ("u", "admin"),
        ("device_id", device.as_str()),
        ("did", "1"),
        ("hash", hash.as_str()),
    ];
    let reply = w.app.post("/billing/api/did_assign_device", &params).await;
    assert_eq!(reply.body, success(ASSIGNED, &[]));
    assert_eq!(state(&w.app, id).0, "active");
}

#[tokio::test]
async fn did_device_assign_accepts_the_wiki_hash_over_device_id_only() {
    let app = TestApp::new().await;
    let provider = app.provider("Telco", None).await;
    let john = plain(&app, "john", None, "John", "Doe").await;
    assert_eq!(
        add_device(&app, john, "SIP", "101"),
        1,
        "the wiki example uses device 1"
    );
    let id = add_did(&app, "123456789", provider, "free", 0, 0, 0);
    // sha1("1secret"), spec B.7.
    let uri = "/api/did_device_assign?u=admin&device_id=1&did=123456789&hash=bc2f114099d16656d37e45fd9e8744cb9386d462";
    let reply = app.post(uri, &[]).await;
    assert_eq!(reply.body, success(ASSIGNED, &[]));
    assert_eq!(state(&app, id), st("active", 0, john, 1, 0));
}

#[tokio::test]
async fn did_device_assign_accepts_the_primary_hash_and_refuses_others() {
    let w = World::new().await;
    add_did(&w.app, "1", w.provider, "free", 0, 0, 0);
    let device = w.john_dev.to_string();
    let primary = moray::api::hash::sha1_hex(&format!("{device}1secret"));
    let params = [("u", "admin"), ("device_id", device.as_str()), ("did", "1")];
    let reply = w
        .app
        .call("did_device_assign", &[&params[..], &[("hash", &primary)]].concat())
        .await;
    assert_eq!(reply.body, success(ASSIGNED, &[]));
    let wrong = moray::api::hash::sha1_hex(&format!("{device}2secret"));
    let reply = w
        .app
        .call("did_device_assign", &[&params[..], &[("hash", &wrong)]].concat())
        .await;
    assert_eq!(reply.body, status_error("Incorrect hash"));
}

#[tokio::test]
async fn did_device_assign_refuses_unknown_callers_and_plain_users() {
    let w = World::new().await;
    add_did(&w.app, "1", w.provider, "free", 0, 0, 0);
    let device = w.john_dev.to_string();
    let reply = w
        .app
        .call(
            "did_device_assign",
            &[("u", "nobody"), ("device_id", &device), ("did", "1")],
        )
        .await;
    assert_eq!(reply.body, page_status_error("Access Denied"));
    assert_eq!(
        assign(&w.app, "john", w.john_dev, "1").await.body,
        page_status_error("Access Denied")
    );
}

#[tokio::test]
async fn did_device_assign_answers_device_was_not_found() {
    let w = World::new().await;
    add_did(&w.app, "1", w.provider, "free", 0, 0, 0);
    assert_eq!(
        assign(&w.app, "admin", 999, "1").await.body,
        page_status_error("Device was not found")
    );
    let reply = call_as(
        &w.app,
        "admin",
        "did_device_assign",
        &[("device_id", "abc"), ("did", "1")],
    )
    .await;
    assert_eq!(reply.body, page_status_error("Device was not found"));
    let reply = call_as(&w.app, "admin", "did_device_assign", &[("did", "1")]).await;
    assert_eq!(reply.body, page_status_error("Device was not found"));
}

#[tokio::test]
async fn did_device_assign_refuses_a_device_out_of_scope_with_the_typo() {
    let w = World::new().await;
    add_did(&w.app, "1", w.provider, "free", w.res_a, 0, 0);
    let refused = page_status_error("Your are not authorized to use this Device");
    assert_eq!(
        assign(&w.app, "resA", w.bob_dev, "1").await.body,
        refused,
        "resB's user's device"
    );
    assert_eq!(
        assign(&w.app, "resA", w.john_dev, "1").await.body,
        refused,
        "admin's user's device"
    );
    assert_eq!(
        assign(&w.app, "admin", w.anna_dev, "1").await.body,
        refused,
        "admin does not own resA's users"
    );
}

#[tokio::test]
async fn did_device_assign_needs_three_write_rights_for_accountants() {
    let w = World::new().await;
    let id = add_did(&w.app, "1", w.provider, "free", 0, 0, 0);
    let all = ["device_manage=2", "manage_dids=2", "user_manage=2"];
    for (i, missing) in all.iter().enumerate() {
        let rights: Vec<&str> = all.iter().filter(|r| *r != missing).copied().collect();
        let rights = format!("{},{}", rights.join(","), missing.replace("=2", "=1"));
        let name = format!("acc{i}");
        accountant(&w.app, &name, &rights).await;
        let reply = assign(&w.app, &name, w.john_dev, "1").await;
        assert_eq!(
            reply.body,
            page_status_error("You are not authorized to manage DIDs"),
            "{rights}"
        );
    }
    accountant(&w.app, "accall", &all.join(",")).await;
    assert_eq!(
        assign(&w.app, "accall", w.john_dev, "1").await.body,
        success(ASSIGNED, &[])
    );
    assert_eq!(state(&w.app, id), st("active", 0, w.john, w.john_dev, 0));
}

#[tokio::test]
async fn did_device_assign_answers_did_was_not_found() {
    let w = World::new().await;
    add_did(&w.app, "1", w.provider, "free", 0, 0, 0);
    for number in ["2", "abc", "", "1 "] {
        let reply = assign(&w.app, "admin", w.john_dev, number).await;
        assert_eq!(reply.body, page_status_error("DID was not found"), "{number:?}");
    }
}

#[tokio::test]
async fn did_device_assign_needs_the_did_in_the_callers_own_scope() {
    let w = World::new().await;
    add_did(&w.app, "1", w.provider, "free", w.res_b, 0, 0);
    add_did(&w.app, "2", w.provider, "free", 0, 0, 0);
    add_did(&w.app, "3", w.provider, "free", w.res_a, 0, 0);
    let refused = page_status_error("Your are not authorized to use this DID");
    assert_eq!(
        assign(&w.app, "resA", w.anna_dev, "1").await.body,
        refused,
        "resB's DID"
    );
    assert_eq!(
        assign(&w.app, "resA", w.anna_dev, "2").await.body,
        refused,
        "admin's DID"
    );
    assert_eq!(
        assign(&w.app, "admin", w.john_dev, "3").await.body,
        refused,
        "admin cannot assign resA's DID"
    );
    assert_eq!(
        assign(&w.app, "resA", w.anna_dev, "3").await.body,
        success(ASSIGNED, &[])
    );
}

#[tokio::test]
async fn did_device_assign_refuses_a_terminated_did() {
    let w = World::new().await;
    let id = add_did(&w.app, "1", w.provider, "terminated", 0, 0, 0);
    assert_eq!(
        assign(&w.app, "admin", w.john_dev, "1").await.body,
        page_status_error("DID is terminated")
    );
    assert_eq!(state(&w.app, id), st("terminated", 0, 0, 0, 0));
}

#[tokio::test]
async fn did_device_assign_refuses_a_did_that_is_not_free() {
    let w = World::new().await;
    let other = plain(&w.app, "other", None, "Ot", "Her").await;
    let other_dev = add_device(&w.app, other, "SIP", "102");
    add_did(&w.app, "1", w.provider, "active", 0, other, other_dev);
    add_did(&w.app, "2", w.provider, "closed", 0, other, other_dev);
    add_did(&w.app, "3", w.provider, "reserved", 0, other, 0);
    for number in ["1", "2", "3"] {
        let reply = assign(&w.app, "admin", w.john_dev, number).await;
        assert_eq!(reply.body, page_status_error("DID is not free"), "{number}");
    }
    let reply = assign(&w.app, "admin", other_dev, "1").await;
    assert_eq!(
        reply.body,
        page_status_error("DID is not free"),
        "an active DID is not re-assigned"
    );
}

#[tokio::test]
async fn did_device_assign_lets_exactly_one_of_many_concurrent_requests_win() {
    let w = World::new().await;
    let id = add_did(&w.app, "1", w.provider, "free", 0, 0, 0);
    let mut devices = Vec::new();
    for i in 0..8 {
        let user = plain(&w.app, &format!("u{i}"), None, "U", &i.to_string()).await;
        devices.push((user, add_device(&w.app, user, "SIP", &format!("90{i}"))));
    }
    let replies =
        futures_util::future::join_all(devices.iter().map(|(_, device)| assign(&w.app, "admin", *device, "1"))).await;
    let won: Vec<usize> = (0..replies.len())
        .filter(|i| replies[*i].body == success(ASSIGNED, &[]))
        .collect();
    assert_eq!(won.len(), 1, "{replies:?}");
    for (i, reply) in replies.iter().enumerate().filter(|(i, _)| *i != won[0]) {
        assert_eq!(reply.body, page_status_error("DID is not free"), "request {i}");
    }
    let (user, device) = devices[won[0]];
    assert_eq!(state(&w.app, id), st("active", 0, user, device, 0));
}
