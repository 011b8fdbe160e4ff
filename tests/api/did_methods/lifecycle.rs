//! The DID life cycle (spec D.7, F.14): `did_make_free`, `did_terminate`, `did_close`, and the
//! whole cycle through every DID method.

use super::*;

const STATUSES: [&str; 5] = ["free", "reserved", "active", "closed", "terminated"];

/// (method, statuses it accepts, status after, success text, wrong-status text)
const TRANSITIONS: [(&str, &[&str], &str, &str, &str); 3] = [
    (
        "did_make_free",
        &["terminated", "reserved", "closed"],
        "free",
        "DID successfully made available",
        "DID was not freed. Only Terminated, Reserved or Closed DIDs can be freed",
    ),
    (
        "did_terminate",
        &["free", "closed"],
        "terminated",
        "DID successfully terminated",
        "DID was not terminated. Only Free or Closed DIDs can be terminate",
    ),
    (
        "did_close",
        &["active"],
        "closed",
        "DID successfully closed",
        "DID was not closed. Only Active DIDs can be closed",
    ),
];

async fn life(app: &TestApp, caller: &str, method: &str, did: i64) -> Reply {
    call_as(app, caller, method, &[("dids_id", &did.to_string())]).await
}

/// Every status into `method`: success and effect where allowed, the exact refusal elsewhere.
async fn check_transition(index: usize) {
    let (method, from, to, ok, wrong) = TRANSITIONS[index];
    let w = World::new().await;
    for (i, status) in STATUSES.iter().enumerate() {
        let (user, device) = match *status {
            "reserved" => (w.john, 0),
            "active" | "closed" => (w.john, w.john_dev),
            _ => (0, 0),
        };
        let id = add_did(&w.app, &format!("{i}"), w.provider, status, 0, user, device);
        let reply = life(&w.app, "admin", method, id).await;
        assert_eq!(reply.status, 200);
        if from.contains(status) {
            assert_eq!(reply.body, success(ok, &[]), "{method} from {status}");
            let (user, device) = if to == "closed" { (user, device) } else { (0, 0) };
            assert_eq!(state(&w.app, id), st(to, 0, user, device, 0), "{method} from {status}");
        } else {
            assert_eq!(reply.body, page_status_error(wrong), "{method} from {status}");
            assert_eq!(
                state(&w.app, id),
                st(status, 0, user, device, 0),
                "{method} from {status}"
            );
        }
    }
}

#[tokio::test]
async fn did_make_free_frees_terminated_reserved_and_closed_dids_only() {
    check_transition(0).await;
}

#[tokio::test]
async fn did_terminate_terminates_free_and_closed_dids_only() {
    check_transition(1).await;
}

#[tokio::test]
async fn did_close_closes_active_dids_only_and_keeps_user_and_device() {
    check_transition(2).await;
}

#[tokio::test]
async fn did_life_cycle_methods_refuse_unknown_callers_and_plain_users() {
    let w = World::new().await;
    let id = add_did(&w.app, "1", w.provider, "closed", 0, w.john, w.john_dev);
    for (method, ..) in TRANSITIONS {
        let reply = w
            .app
            .call(method, &[("u", "nobody"), ("dids_id", &id.to_string())])
            .await;
        assert_eq!(reply.body, page_status_error("Access Denied"), "{method}");
        assert_eq!(
            life(&w.app, "john", method, id).await.body,
            page_status_error("Access Denied"),
            "{method}"
        );
    }
    assert_eq!(state(&w.app, id).0, "closed");
}

#[tokio::test]
async fn did_life_cycle_methods_need_manage_dids_write_for_accountants() {
    let w = World::new().await;
    accountant(&w.app, "acc1", "manage_dids=1,device_manage=2,user_manage=2").await;
    accountant(&w.app, "acc2", "manage_dids=2").await;
    for (i, (method, from, _, ok, _)) in TRANSITIONS.iter().enumerate() {
        let id = add_did(&w.app, &format!("{i}"), w.provider, from[0], 0, w.john, w.john_dev);
        let reply = life(&w.app, "acc1", method, id).await;
        assert_eq!(
            reply.body,
            page_status_error("You are not authorized to manage DIDs"),
            "{method}"
        );
        assert_eq!(
            life(&w.app, "acc2", method, id).await.body,
            success(ok, &[]),
            "{method}"
        );
    }
}

#[tokio::test]
async fn did_life_cycle_methods_answer_did_was_not_found_for_unknown_or_foreign_dids() {
    let w = World::new().await;
    let of_b = add_did(&w.app, "1", w.provider, "closed", w.res_b, w.bob, w.bob_dev);
    let of_admin = add_did(&w.app, "2", w.provider, "closed", 0, w.john, w.john_dev);
    let not_found = page_status_error("DID was not found");
    for (method, ..) in TRANSITIONS {
        assert_eq!(
            life(&w.app, "resA", method, of_b).await.body,
            not_found,
            "{method}: resB's DID"
        );
        assert_eq!(
            life(&w.app, "resA", method, of_admin).await.body,
            not_found,
            "{method}: admin's DID"
        );
        assert_eq!(
            life(&w.app, "admin", method, 999).await.body,
            not_found,
            "{method}: unknown"
        );
        let reply = call_as(&w.app, "admin", method, &[("dids_id", "x")]).await;
        assert_eq!(reply.body, not_found, "{method}: not a number");
        assert_eq!(
            call_as(&w.app, "admin", method, &[]).await.body,
            not_found,
            "{method}: absent"
        );
    }
    assert_eq!(state(&w.app, of_b).0, "closed");
}

#[tokio::test]
async fn did_life_cycle_methods_let_a_reseller_manage_its_own_dids_and_admin_any() {
    let w = World::new().await;
    let of_a = add_did(&w.app, "1", w.provider, "active", w.res_a, w.anna, w.anna_dev);
    assert_eq!(
        life(&w.app, "resA", "did_close", of_a).await.body,
        success("DID successfully closed", &[])
    );
    assert_eq!(state(&w.app, of_a), st("closed", w.res_a, w.anna, w.anna_dev, 0));
    let reply = life(&w.app, "admin", "did_terminate", of_a).await;
    assert_eq!(reply.body, success("DID successfully terminated", &[]));
    assert_eq!(
        state(&w.app, of_a),
        st("terminated", w.res_a, 0, 0, 0),
        "the DID stays with its reseller"
    );
    let reply = life(&w.app, "resA", "did_make_free", of_a).await;
    assert_eq!(reply.body, success("DID successfully made available", &[]));
    assert_eq!(state(&w.app, of_a), st("free", w.res_a, 0, 0, 0));
}

#[tokio::test]
async fn did_life_cycle_methods_hash_dids_id() {
    let w = World::new().await;
    let id = add_did(&w.app, "1", w.provider, "free", 0, 0, 0).to_string();
    let bad = moray::api::hash::sha1_hex("secret");
    let reply = w
        .app
        .call("did_terminate", &[("u", "admin"), ("dids_id", &id), ("hash", &bad)])
        .await;
    assert_eq!(reply.body, status_error("Incorrect hash"));
    let good = moray::api::hash::sha1_hex(&format!("{id}secret"));
    let reply = w
        .app
        .call("did_terminate", &[("u", "admin"), ("dids_id", &id), ("hash", &good)])
        .await;
    assert_eq!(reply.body, success("DID successfully terminated", &[]));
}

fn id_of(body: &str) -> i64 {
    let start = body.find("<id>").expect("an id") + 4;
    body[start..body[start..].find('<').unwrap() + start].parse().unwrap()
}

#[tokio::test]
async fn did_life_cycle_end_to_end_through_every_did_method() {
    let w = World::new().await;
    let app = &w.app;
    let provider = w.provider.to_string();
    // create → free
    let reply = call_as(
        app,
        "admin",
        "did_create",
        &[("provider_id", &provider), ("did", "37069999999")],
    )
    .await;
    let id = id_of(&reply.body);
    assert_eq!(state(app, id), st("free", 0, 0, 0, 0));
    // reserve for John
    let reply = call_as(
        app,
        "admin",
        "did_details_update",
        &[("did_id", &id.to_string()), ("did_user_id", &w.john.to_string())],
    )
    .await;
    assert_eq!(reply.body, success("DID details successfully updated", &[]));
    assert_eq!(state(app, id), st("reserved", 0, w.john, 0, 0));
    // assign to John's device
    let device = w.john_dev.to_string();
    let reply = call_as(
        app,
        "admin",
        "did_device_assign",
        &[("device_id", &device), ("did", "37069999999")],
    )
    .await;
    assert_eq!(reply.body, success("Device assigned to DID", &[]));
    assert_eq!(state(app, id), st("active", 0, w.john, w.john_dev, 0));
    let listed = call_as(app, "john", "dids_get", &[]).await.body;
    assert!(
        listed.contains("<status>Active</status>") && listed.contains("<device>SIP/101</device>"),
        "{listed}"
    );
    // close, then terminating needs it closed or free
    assert_eq!(
        life(app, "admin", "did_terminate", id).await.body,
        page_status_error(TRANSITIONS[1].4)
    );
    assert_eq!(
        life(app, "admin", "did_close", id).await.body,
        success("DID successfully closed", &[])
    );
    assert_eq!(state(app, id), st("closed", 0, w.john, w.john_dev, 0));
    // a closed DID is not unassigned; make it free, then assign and unassign
    let reply = call_as(app, "admin", "did_device_unassign", &[("did", "37069999999")]).await;
    assert_eq!(reply.body, page_status_error("DID is already free"));
    assert_eq!(
        life(app, "admin", "did_make_free", id).await.body,
        success("DID successfully made available", &[])
    );
    let reply = call_as(
        app,
        "admin",
        "did_device_assign",
        &[("device_id", &device), ("did", "37069999999")],
    )
    .await;
    assert_eq!(reply.body, success("Device assigned to DID", &[]));
    let reply = call_as(app, "admin", "did_device_unassign", &[("did", "37069999999")]).await;
    assert_eq!(reply.body, success("Device was unassigned from DID", &[]));
    assert_eq!(state(app, id), st("free", 0, 0, 0, 0));
    // terminate: no longer assignable
    assert_eq!(
        life(app, "admin", "did_terminate", id).await.body,
        success("DID successfully terminated", &[])
    );
    assert_eq!(state(app, id), st("terminated", 0, 0, 0, 0));
    let reply = call_as(
        app,
        "admin",
        "did_device_assign",
        &[("device_id", &device), ("did", "37069999999")],
    )
    .await;
    assert_eq!(reply.body, page_status_error("DID is terminated"));
    // make free again
    assert_eq!(
        life(app, "admin", "did_make_free", id).await.body,
        success("DID successfully made available", &[])
    );
    assert_eq!(state(app, id), st("free", 0, 0, 0, 0));
}
