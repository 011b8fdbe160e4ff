use crate::common::*;

#[tokio::test]
async fn seed_device_create_example_answers_byte_for_byte() {
    let app = TestApp::new().await;
    let (user_id, _) = app.user("bob", "user").await;
    let user_id = user_id.to_string();
    let reply = app
        .call_signed(
            "device_create",
            &[
                ("u", "admin"),
                ("user_id", &user_id),
                ("description", "desription1"),
                ("pin", "3"),
            ],
        )
        .await;
    assert_eq!(reply.status, 200);
    assert!(
        reply
            .body
            .starts_with(&format!("{DECL}<page>\n  <status>Device created</status>\n  <id>")),
        "{}",
        reply.body
    );
}
