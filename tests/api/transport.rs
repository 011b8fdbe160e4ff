//! Transport (spec A.1–A.3, A.5): paths, dispatch, verbs, bounds, parameter sources, headers,
//! and the same behaviour over a real socket.

use axum::body::Body;
use axum::http::Request;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::common::*;

// ---------------------------------------------------------------------------------------------
// helpers

const FORM: &str = "application/x-www-form-urlencoded";

fn undefined(name: &str) -> String {
    doc(&[
        "<error>",
        "  <type>Undefined method</type>",
        &format!("  <name>{name}</name>"),
        "</error>",
    ])
}

fn group_created() -> String {
    doc(&[
        "<page>",
        "  <status>",
        "    <success>Reseller Group successfully created</success>",
        "  </status>",
        "</page>",
    ])
}

fn did_created(id: i64) -> String {
    doc(&[
        "<page>",
        "  <status>",
        "    <success>DID created</success>",
        "  </status>",
        "  <did_details>",
        &format!("    <id>{id}</id>"),
        "  </did_details>",
        "</page>",
    ])
}

/// Any request, built by hand.
async fn raw(app: &TestApp, method: &str, uri: &str, content_type: Option<&str>, body: impl Into<Body>) -> Reply {
    let mut builder = Request::builder().method(method).uri(uri);
    if let Some(ct) = content_type {
        builder = builder.header("content-type", ct);
    }
    app.send(builder.body(body.into()).unwrap()).await
}

/// The hash of reseller_group_create for `name` with admin's key.
fn group_hash(app: &TestApp, name: &str) -> String {
    app.hash_with("reseller_group_create", &[("name", name)], SECRET)
}

fn assert_reply(reply: &Reply, status: u16, body: &str, what: &str) {
    assert_eq!(reply.status.as_u16(), status, "{what}: status; body {:?}", reply.body);
    assert_eq!(reply.body, body, "{what}: body");
}

fn client() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().build().unwrap()
}

/// Sends raw bytes over a fresh TCP connection and returns (status code, whole response text).
async fn raw_socket(address: std::net::SocketAddr, bytes: &[u8]) -> (u16, String) {
    let fut = async {
        let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
        // The server may stop reading early (e.g. 413): ignore write errors, read what comes.
        let _ = stream.write_all(bytes).await;
        let _ = stream.flush().await;
        let mut out = Vec::new();
        let mut buf = [0u8; 8192];
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    out.extend_from_slice(&buf[..n]);
                    // Stop once a complete response with Content-Length has arrived.
                    let text = String::from_utf8_lossy(&out);
                    if let Some(head_end) = text.find("\r\n\r\n") {
                        let head = text[..head_end].to_ascii_lowercase();
                        if let Some(len) = head
                            .lines()
                            .find_map(|l| l.strip_prefix("content-length:"))
                            .and_then(|v| v.trim().parse::<usize>().ok())
                            && out.len() >= head_end + 4 + len
                        {
                            break;
                        }
                    }
                }
            }
        }
        let text = String::from_utf8_lossy(&out).into_owned();
        let status = text.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
        (status, text)
    };
    tokio::time::timeout(std::time::Duration::from_secs(10), fut)
        .await
        .expect("socket answer within 10 s")
}

fn multipart(parts: &[(&str, Option<&str>, &[u8])]) -> (String, Vec<u8>) {
    let boundary = "----moraytestboundary7MA4YWxk";
    let mut body = Vec::new();
    for (name, filename, content) in parts {
        body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        match filename {
            Some(file) => body.extend_from_slice(
                format!("Content-Disposition: form-data; name=\"{name}\"; filename=\"{file}\"\r\nContent-Type: text/plain\r\n\r\n")
                    .as_bytes(),
            ),
            None => body.extend_from_slice(format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes()),
        }
        body.extend_from_slice(content);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

// ---------------------------------------------------------------------------------------------
// A.1 paths and dispatch

#[tokio::test]
async fn unknown_method_is_answered_with_exact_bytes_on_both_prefixes() {
    let app = TestApp::new().await;
    for path in [
        "/api/foo_bar",
        "/billing/api/foo_bar",
        "/api/foo_bar/",
        "/billing/api/foo_bar/",
    ] {
        let reply = app.post(path, &[("u", "admin")]).await;
        assert_reply(&reply, 200, &undefined("foo_bar"), path);
        let reply = app.get(path, &[("u", "admin")]).await;
        assert_reply(&reply, 200, &undefined("foo_bar"), path);
    }
    assert_eq!(
        undefined("foo_bar"),
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<error>\n  <type>Undefined method</type>\n  <name>foo_bar</name>\n</error>\n"
    );
}

#[tokio::test]
async fn unknown_method_name_is_escaped() {
    let app = TestApp::new().await;
    let reply = app.post("/api/a%3Cb", &[]).await;
    assert_reply(&reply, 200, &undefined("a&lt;b"), "a<b");
    // & < > escaped, quotes literal (A.5)
    let reply = app.post("/billing/api/x%26y%3Cz%3Ew%22q%27", &[]).await;
    assert_reply(&reply, 200, &undefined("x&amp;y&lt;z&gt;w\"q'"), "specials");
    // non-ASCII is raw UTF-8
    let reply = app.post("/api/%C5%BEuvis", &[]).await;
    assert_reply(&reply, 200, &undefined("žuvis"), "non-ASCII");
}

#[tokio::test]
async fn method_names_are_case_sensitive() {
    let app = TestApp::new().await;
    let name = "Another Reseller Group";
    let hash = group_hash(&app, name);
    for method in ["Reseller_group_create", "RESELLER_GROUP_CREATE", "Device_create"] {
        let reply = app
            .call(method, &[("u", "admin"), ("name", name), ("hash", &hash)])
            .await;
        assert_reply(&reply, 200, &undefined(method), method);
    }
}

#[tokio::test]
async fn unknown_method_is_answered_before_any_other_check() {
    let app = TestApp::new().await;
    app.set("allow_api", "0").await;
    app.set("api_secret_key", "").await;
    // GET while GET is disabled, API disabled, no key
    let reply = app.get("/api/foo_bar", &[("u", "admin"), ("hash", "nothex")]).await;
    assert_reply(&reply, 200, &undefined("foo_bar"), "GET, API disabled");
    // verbs other than GET/POST
    for verb in ["PUT", "DELETE", "PATCH", "OPTIONS"] {
        let reply = raw(&app, verb, "/api/foo_bar", None, Body::empty()).await;
        assert_reply(&reply, 200, &undefined("foo_bar"), verb);
        let reply = raw(&app, verb, "/billing/api/foo_bar/", None, Body::empty()).await;
        assert_reply(&reply, 200, &undefined("foo_bar"), verb);
    }
    // a 100 KiB body
    let big = format!("u=admin&pad={}", "a".repeat(100 * 1024));
    let reply = raw(&app, "POST", "/api/foo_bar", Some(FORM), big.clone()).await;
    assert_reply(&reply, 200, &undefined("foo_bar"), "100 KiB body");
    let reply = raw(&app, "DELETE", "/api/foo_bar", Some(FORM), big).await;
    assert_reply(&reply, 200, &undefined("foo_bar"), "100 KiB body with DELETE");
    // unreadable parameters
    let reply = raw(&app, "POST", "/api/foo_bar?u=%FF", None, Body::empty()).await;
    assert_reply(&reply, 200, &undefined("foo_bar"), "invalid UTF-8");
    let reply = raw(&app, "POST", "/api/foo_bar", Some("application/json"), "{\"u\":").await;
    assert_reply(&reply, 200, &undefined("foo_bar"), "malformed JSON");
}

#[tokio::test]
async fn both_prefixes_and_one_trailing_slash_dispatch() {
    let app = TestApp::new().await;
    for (i, prefix) in ["/api/", "/billing/api/"].iter().enumerate() {
        for (j, slash) in ["", "/"].iter().enumerate() {
            let name = format!("Group {i}{j}");
            let hash = group_hash(&app, &name);
            let path = format!("{prefix}reseller_group_create{slash}");
            let reply = app
                .post(&path, &[("u", "admin"), ("name", &name), ("hash", &hash)])
                .await;
            assert_reply(&reply, 200, &group_created(), &path);
        }
    }
    // the method runs: a repeated name is refused by the method itself
    let hash = group_hash(&app, "Group 00");
    let reply = app
        .post(
            "/billing/api/reseller_group_create/",
            &[("u", "admin"), ("name", "Group 00"), ("hash", &hash)],
        )
        .await;
    assert_reply(&reply, 200, &page_status_error("Group name must be unique"), "repeat");
}

#[tokio::test]
async fn two_trailing_slashes_are_not_the_method() {
    let app = TestApp::new().await;
    let hash = group_hash(&app, "G");
    let reply = app
        .post(
            "/api/reseller_group_create//",
            &[("u", "admin"), ("name", "G"), ("hash", &hash)],
        )
        .await;
    assert_eq!(reply.status, 200);
    assert!(
        reply
            .body
            .starts_with(&format!("{DECL}<error>\n  <type>Undefined method</type>\n  <name>")),
        "{}",
        reply.body
    );
}

#[tokio::test]
async fn action_parameter_dispatches_on_both_prefixes() {
    let app = TestApp::new().await;
    for (i, path) in ["/api/", "/billing/api/"].iter().enumerate() {
        // action in the body
        let name = format!("Action body {i}");
        let hash = group_hash(&app, &name);
        let reply = app
            .post(
                path,
                &[
                    ("action", "reseller_group_create"),
                    ("u", "admin"),
                    ("name", &name),
                    ("hash", &hash),
                ],
            )
            .await;
        assert_reply(&reply, 200, &group_created(), path);
        // action in the query string, the rest in the body
        let name = format!("Action query {i}");
        let hash = group_hash(&app, &name);
        let uri = format!("{path}?action=reseller_group_create");
        let reply = raw(
            &app,
            "POST",
            &uri,
            Some(FORM),
            encode(&[("u", "admin"), ("name", &name), ("hash", &hash)]),
        )
        .await;
        assert_reply(&reply, 200, &group_created(), &uri);
    }
    // the dispatched method keeps its own envelopes: device_create's pre-check envelope
    let reply = app
        .post(
            "/api/",
            &[
                ("action", "device_create"),
                ("u", "admin"),
                ("user_id", "1"),
                ("hash", &"0".repeat(40)),
            ],
        )
        .await;
    assert_reply(&reply, 200, &page_error("Incorrect hash"), "action=device_create");
}

#[tokio::test]
async fn unknown_action_is_undefined_method() {
    let app = TestApp::new().await;
    for path in ["/api/", "/billing/api/"] {
        let reply = app.post(path, &[("action", "foo_bar"), ("u", "admin")]).await;
        assert_reply(&reply, 200, &undefined("foo_bar"), path);
        let reply = app.post(path, &[("action", "a<b")]).await;
        assert_reply(&reply, 200, &undefined("a&lt;b"), path);
    }
}

// ---------------------------------------------------------------------------------------------
// A.2 verbs

#[tokio::test]
async fn other_verbs_on_a_known_method_get_405_with_allow_header() {
    let app = TestApp::new().await;
    for path in [
        "/api/device_create",
        "/billing/api/device_create",
        "/api/reseller_group_create/",
        "/billing/api/did_create/",
    ] {
        for verb in ["PUT", "DELETE", "PATCH", "OPTIONS", "HEAD", "TRACE", "PURGE"] {
            let reply = raw(&app, verb, &format!("{path}?u=admin"), Some(FORM), "u=admin&name=x").await;
            assert_eq!(reply.status.as_u16(), 405, "{verb} {path}");
            assert_eq!(reply.body, "", "{verb} {path}: empty body");
            assert_eq!(reply.header("allow"), Some("GET, POST"), "{verb} {path}: Allow");
        }
    }
}

#[tokio::test]
async fn post_is_always_accepted_and_get_only_when_allowed() {
    let app = TestApp::new().await;
    let hash = group_hash(&app, "Via GET");
    let params = [("u", "admin"), ("name", "Via GET"), ("hash", hash.as_str())];
    let reply = app.get("/api/reseller_group_create", &params).await;
    assert_reply(&reply, 200, &status_error("GET Requests are disabled"), "GET disabled");
    app.set("allow_get_api", "1").await;
    let reply = app.get("/api/reseller_group_create", &params).await;
    assert_reply(&reply, 200, &group_created(), "GET allowed");
}

// ---------------------------------------------------------------------------------------------
// A.3 bounds

#[tokio::test]
async fn body_over_64_kib_is_413_in_the_generic_envelope() {
    let app = TestApp::new().await;
    let (uid, _) = app.user("bob", "user").await;
    let uid = uid.to_string();
    let head = format!("u=admin&user_id={uid}&hash={}&pad=", "0".repeat(40));
    let exact = format!("{head}{}", "a".repeat(64 * 1024 - head.len()));
    assert_eq!(exact.len(), 65536);
    // exactly 64 KiB is read normally (then fails the hash)
    let reply = raw(&app, "POST", "/api/device_create", Some(FORM), exact.clone()).await;
    assert_reply(&reply, 200, &page_error("Incorrect hash"), "exactly 64 KiB");
    // one byte more is too large: generic envelope, even for device_create and did_create
    let over = format!("{exact}a");
    for path in [
        "/api/device_create",
        "/billing/api/did_create",
        "/api/reseller_group_create",
        "/api/registration",
    ] {
        let reply = raw(&app, "POST", path, Some(FORM), over.clone()).await;
        assert_reply(&reply, 413, &status_error("Request too large"), path);
    }
    // whatever the content type, and before pre-check 1 (unknown caller)
    let json = format!("{{\"u\":\"nobody\",\"pad\":\"{}\"}}", "a".repeat(70 * 1024));
    let reply = raw(
        &app,
        "POST",
        "/api/device_create",
        Some("application/json"),
        json.clone(),
    )
    .await;
    assert_reply(&reply, 413, &status_error("Request too large"), "JSON");
    let reply = raw(&app, "POST", "/api/device_create", None, json).await;
    assert_reply(&reply, 413, &status_error("Request too large"), "no content type");
    let (ct, body) = multipart(&[("u", None, b"admin"), ("f", Some("big.bin"), &vec![b'x'; 70 * 1024])]);
    let reply = raw(&app, "POST", "/api/device_create", Some(&ct), body).await;
    assert_reply(&reply, 413, &status_error("Request too large"), "multipart");
}

#[tokio::test]
async fn invalid_utf8_after_decoding_is_invalid_request() {
    let app = TestApp::new().await;
    let invalid = status_error("Invalid request");
    let cases: &[(&str, Option<&str>, &[u8])] = &[
        ("/api/device_create?u=%FF", None, b""),
        ("/api/device_create?%FF=1&u=admin", None, b""),
        ("/api/did_create?u=admin&did=%C0%AF", None, b""),
        ("/api/reseller_group_create?u=admin&name=%ED%A0%80", None, b""),
        ("/api/device_create", Some(FORM), b"u=admin&description=%C3%28"),
        ("/api/device_create", Some(FORM), b"u=admin&%E2%82=x"),
        ("/api/device_create", Some(FORM), b"u=admin&description=\xff\xfe"),
        ("/api/device_create", None, b"u=nobody&x=%80"),
        (
            "/api/device_create",
            Some("application/json"),
            b"{\"u\":\"admin\",\"description\":\"\xff\"}",
        ),
        ("/api/device_create", None, b"{\"u\":\"\xc3\x28\"}"),
        ("/api/registration?id=x&username=%FF", None, b""),
        ("/api/user_register", Some(FORM), b"username=%FF"),
    ];
    for (uri, ct, body) in cases {
        let reply = raw(&app, "POST", uri, *ct, body.to_vec()).await;
        assert_reply(
            &reply,
            200,
            &invalid,
            &format!("{uri} {ct:?} {}", String::from_utf8_lossy(body)),
        );
    }
    // a multipart text part
    let (ct, body) = multipart(&[("u", None, b"admin"), ("description", None, b"bad \xff byte")]);
    let reply = raw(&app, "POST", "/api/device_create", Some(&ct), body).await;
    assert_reply(&reply, 200, &invalid, "multipart text part");
    // GET too (answered before pre-check 3)
    let reply = raw(&app, "GET", "/api/did_create?u=admin&x=%FF", None, Body::empty()).await;
    assert_reply(&reply, 200, &invalid, "GET");
}

#[tokio::test]
async fn malformed_or_non_object_json_is_invalid_request() {
    let app = TestApp::new().await;
    let invalid = status_error("Invalid request");
    let cases: &[(Option<&str>, &str)] = &[
        (Some("application/json"), "{\"u\":"),
        (Some("application/json"), "{u: admin}"),
        (Some("application/json"), "{\"u\":\"admin\",}"),
        (Some("application/json"), "[1,2]"),
        (Some("application/json"), "\"u=admin\""),
        (Some("application/json"), "42"),
        (Some("application/json"), "null"),
        (Some("application/json; charset=utf-8"), "[{\"u\":\"admin\"}]"),
        (Some("application/vnd.api+json"), "[\"u\"]"),
        (Some("application/problem+json"), "{\"u\""),
        (None, "{\"u\":\"admin\""),
        (None, "  {not json"),
        (Some("text/plain"), "{\"u\":}"),
    ];
    for method in [
        "device_create",
        "did_create",
        "reseller_group_create",
        "registration",
        "user_register",
    ] {
        for (ct, body) in cases {
            let reply = raw(&app, "POST", &format!("/api/{method}"), *ct, body.to_string()).await;
            assert_reply(&reply, 200, &invalid, &format!("{method} {ct:?} {body}"));
        }
    }
}

// ---------------------------------------------------------------------------------------------
// A.3 parameter sources

#[tokio::test]
async fn every_parameter_source_gives_the_same_answer() {
    let app = TestApp::new().await;
    app.set("allow_get_api", "1").await;
    let mut n = 0;
    let mut next = || {
        n += 1;
        format!("Source group {n}")
    };

    let mut requests: Vec<(String, Request<Body>)> = Vec::new();
    // query string: GET and POST without body
    for verb in ["GET", "POST"] {
        let name = next();
        let q = encode(&[("u", "admin"), ("name", &name), ("hash", &group_hash(&app, &name))]);
        requests.push((
            format!("{verb} query"),
            Request::builder()
                .method(verb)
                .uri(format!("/api/reseller_group_create?{q}"))
                .body(Body::empty())
                .unwrap(),
        ));
    }
    // urlencoded body (with and without charset)
    for ct in [FORM, "application/x-www-form-urlencoded; charset=UTF-8"] {
        let name = next();
        let body = encode(&[("u", "admin"), ("name", &name), ("hash", &group_hash(&app, &name))]);
        requests.push((
            ct.to_string(),
            Request::post("/api/reseller_group_create")
                .header("content-type", ct)
                .body(Body::from(body))
                .unwrap(),
        ));
    }
    // multipart text parts; file parts (even named like real parameters) are ignored
    {
        let name = next();
        let hash = group_hash(&app, &name);
        let (ct, body) = multipart(&[
            ("u", None, b"admin"),
            ("name", None, name.as_bytes()),
            ("hash", None, hash.as_bytes()),
            ("name", Some("name.txt"), b"from a file"),
            ("hash", Some("hash.txt"), b"0000000000000000000000000000000000000000"),
            ("u", Some("u.bin"), b"\xff\xfe not text"),
        ]);
        requests.push((
            "multipart".into(),
            Request::post("/api/reseller_group_create")
                .header("content-type", ct)
                .body(Body::from(body))
                .unwrap(),
        ));
    }
    // JSON and *+json
    for ct in [
        "application/json",
        "application/json; charset=utf-8",
        "application/vnd.moray+json",
        "application/merge-patch+json",
    ] {
        let name = next();
        let body = serde_json::json!({ "u": "admin", "name": name, "hash": group_hash(&app, &name) }).to_string();
        requests.push((
            ct.to_string(),
            Request::post("/api/reseller_group_create")
                .header("content-type", ct)
                .body(Body::from(body))
                .unwrap(),
        ));
    }
    // no content type: `{` → JSON (leading whitespace allowed), else urlencoded
    {
        let name = next();
        let body = format!(
            " \n\t{}",
            serde_json::json!({ "u": "admin", "name": name, "hash": group_hash(&app, &name) })
        );
        requests.push((
            "no content type, JSON".into(),
            Request::post("/api/reseller_group_create")
                .body(Body::from(body))
                .unwrap(),
        ));
        let name = next();
        let body = encode(&[("u", "admin"), ("name", &name), ("hash", &group_hash(&app, &name))]);
        requests.push((
            "no content type, urlencoded".into(),
            Request::post("/api/reseller_group_create")
                .body(Body::from(body))
                .unwrap(),
        ));
    }
    // another content type: sniffed the same way
    {
        let name = next();
        let body = serde_json::json!({ "u": "admin", "name": name, "hash": group_hash(&app, &name) }).to_string();
        requests.push((
            "text/plain JSON".into(),
            Request::post("/api/reseller_group_create")
                .header("content-type", "text/plain")
                .body(Body::from(body))
                .unwrap(),
        ));
        let name = next();
        let body = encode(&[("u", "admin"), ("name", &name), ("hash", &group_hash(&app, &name))]);
        requests.push((
            "text/plain urlencoded".into(),
            Request::post("/api/reseller_group_create")
                .header("content-type", "text/plain")
                .body(Body::from(body))
                .unwrap(),
        ));
    }
    // split: some in the query string, the rest in a JSON body
    {
        let name = next();
        let body = serde_json::json!({ "name": name, "hash": group_hash(&app, &name) }).to_string();
        requests.push((
            "query + JSON".into(),
            Request::post("/billing/api/reseller_group_create?u=admin")
                .header("content-type", "application/json")
                .body(Body::from(body))
                .unwrap(),
        ));
    }
    for (what, request) in requests {
        let reply = app.send(request).await;
        assert_reply(&reply, 200, &group_created(), &what);
    }

    // the same wrong request gives the same answer from every source
    let bad = [
        ("u", "admin"),
        ("name", "Nope"),
        ("hash", "0000000000000000000000000000000000000000"),
    ];
    let expected = status_error("Incorrect hash");
    let json = serde_json::json!({ "u": "admin", "name": "Nope", "hash": "0000000000000000000000000000000000000000" })
        .to_string();
    let (mct, mbody) = multipart(&[
        ("u", None, b"admin"),
        ("name", None, b"Nope"),
        ("hash", None, b"0000000000000000000000000000000000000000"),
    ]);
    let replies = [
        app.get("/api/reseller_group_create", &bad).await,
        app.post("/api/reseller_group_create", &bad).await,
        raw(
            &app,
            "POST",
            "/api/reseller_group_create",
            Some("application/json"),
            json.clone(),
        )
        .await,
        raw(&app, "POST", "/api/reseller_group_create", None, json).await,
        raw(&app, "POST", "/api/reseller_group_create", Some(&mct), mbody).await,
    ];
    for (i, reply) in replies.iter().enumerate() {
        assert_reply(reply, 200, &expected, &format!("bad #{i}"));
    }
}

#[tokio::test]
async fn device_create_reads_every_source_alike() {
    let app = TestApp::new().await;
    let (uid, _) = app.user("bob", "user").await;
    let uid_s = uid.to_string();
    let hash = app.hash_with(
        "device_create",
        &[("user_id", &uid_s), ("description", "desc one"), ("pin", "")],
        SECRET,
    );
    // pin present-empty (pinless) in a JSON body; user_id as a JSON integer
    let body = serde_json::json!({ "u": "admin", "user_id": uid, "description": "desc one", "pin": "", "hash": hash })
        .to_string();
    let reply = raw(&app, "POST", "/api/device_create", Some("application/json"), body).await;
    assert!(
        reply
            .body
            .starts_with(&format!("{DECL}<page>\n  <status>Device created</status>\n  <id>")),
        "JSON: {}",
        reply.body
    );
    // the same in multipart
    let (ct, body) = multipart(&[
        ("u", None, b"admin"),
        ("user_id", None, uid_s.as_bytes()),
        ("description", None, b"desc one"),
        ("pin", None, b""),
        ("hash", None, hash.as_bytes()),
    ]);
    let reply = raw(&app, "POST", "/api/device_create", Some(&ct), body).await;
    assert!(
        reply
            .body
            .starts_with(&format!("{DECL}<page>\n  <status>Device created</status>\n  <id>")),
        "multipart: {}",
        reply.body
    );
}

#[tokio::test]
async fn query_string_wins_over_body() {
    let app = TestApp::new().await;
    let hash_q = group_hash(&app, "From query");
    let hash_b = group_hash(&app, "From body");
    // urlencoded body: the hash of the body's name fails, the query's name is used
    let uri = "/api/reseller_group_create?name=From+query";
    let reply = raw(
        &app,
        "POST",
        uri,
        Some(FORM),
        encode(&[("u", "admin"), ("name", "From body"), ("hash", &hash_b)]),
    )
    .await;
    assert_reply(&reply, 200, &status_error("Incorrect hash"), "body's hash");
    let reply = raw(
        &app,
        "POST",
        uri,
        Some(FORM),
        encode(&[("u", "admin"), ("name", "From body"), ("hash", &hash_q)]),
    )
    .await;
    assert_reply(&reply, 200, &group_created(), "query's hash");
    // the group was stored with the query's name
    let hash = group_hash(&app, "From query");
    let reply = app
        .call(
            "reseller_group_create",
            &[("u", "admin"), ("name", "From query"), ("hash", &hash)],
        )
        .await;
    assert_reply(
        &reply,
        200,
        &page_status_error("Group name must be unique"),
        "stored under the query's name",
    );
    let reply = app
        .call(
            "reseller_group_create",
            &[("u", "admin"), ("name", "From body"), ("hash", &hash_b)],
        )
        .await;
    assert_reply(&reply, 200, &group_created(), "body's name unused");

    // JSON body
    let hash_q = group_hash(&app, "Q2");
    let body = serde_json::json!({ "u": "admin", "name": "B2", "hash": group_hash(&app, "B2") }).to_string();
    let reply = raw(
        &app,
        "POST",
        "/api/reseller_group_create?name=Q2",
        Some("application/json"),
        body,
    )
    .await;
    assert_reply(&reply, 200, &status_error("Incorrect hash"), "JSON body's hash");
    let body = serde_json::json!({ "u": "admin", "name": "B2", "hash": hash_q }).to_string();
    let reply = raw(
        &app,
        "POST",
        "/api/reseller_group_create?name=Q2",
        Some("application/json"),
        body,
    )
    .await;
    assert_reply(&reply, 200, &group_created(), "JSON: query's hash");

    // the query's `hash` and `u` win too
    let body = encode(&[
        ("u", "nobody"),
        ("name", "Q3"),
        ("hash", "0000000000000000000000000000000000000000"),
    ]);
    let uri = format!("/api/reseller_group_create?u=admin&hash={}", group_hash(&app, "Q3"));
    let reply = raw(&app, "POST", &uri, Some(FORM), body).await;
    assert_reply(&reply, 200, &group_created(), "query's u and hash");

    // multipart
    let (ct, body) = multipart(&[
        ("u", None, b"admin"),
        ("name", None, b"B4"),
        ("hash", None, group_hash(&app, "Q4").as_bytes()),
    ]);
    let reply = raw(&app, "POST", "/api/reseller_group_create?name=Q4", Some(&ct), body).await;
    assert_reply(&reply, 200, &group_created(), "multipart: query's name");
}

#[tokio::test]
async fn last_duplicate_wins_within_a_source() {
    let app = TestApp::new().await;
    // query string
    let uri = format!(
        "/api/reseller_group_create?u=admin&name=First&name=Last&hash={}",
        group_hash(&app, "First")
    );
    let reply = raw(&app, "POST", &uri, None, Body::empty()).await;
    assert_reply(&reply, 200, &status_error("Incorrect hash"), "query: first's hash");
    let uri = format!(
        "/api/reseller_group_create?u=admin&name=First&name=Last&hash={}",
        group_hash(&app, "Last")
    );
    let reply = raw(&app, "POST", &uri, None, Body::empty()).await;
    assert_reply(&reply, 200, &group_created(), "query: last's hash");
    // urlencoded body
    let body = format!("u=admin&name=One&hash={}&name=Two", group_hash(&app, "Two"));
    let reply = raw(&app, "POST", "/api/reseller_group_create", Some(FORM), body).await;
    assert_reply(&reply, 200, &group_created(), "body: last wins");
    // a duplicated hash: the last one counts
    let body = format!(
        "u=admin&name=Three&hash={}&hash=0000000000000000000000000000000000000000",
        group_hash(&app, "Three")
    );
    let reply = raw(&app, "POST", "/api/reseller_group_create", Some(FORM), body).await;
    assert_reply(&reply, 200, &status_error("Incorrect hash"), "body: last hash wins");
    // JSON object with a repeated key
    let body = format!(
        "{{\"u\":\"admin\",\"name\":\"Four a\",\"name\":\"Four b\",\"hash\":\"{}\"}}",
        group_hash(&app, "Four b")
    );
    let reply = raw(
        &app,
        "POST",
        "/api/reseller_group_create",
        Some("application/json"),
        body,
    )
    .await;
    assert_reply(&reply, 200, &group_created(), "JSON: last key wins");
    // multipart
    let (ct, body) = multipart(&[
        ("u", None, b"admin"),
        ("name", None, b"Five a"),
        ("name", None, b"Five b"),
        ("hash", None, group_hash(&app, "Five b").as_bytes()),
    ]);
    let reply = raw(&app, "POST", "/api/reseller_group_create", Some(&ct), body).await;
    assert_reply(&reply, 200, &group_created(), "multipart: last part wins");
}

#[tokio::test]
async fn plus_is_a_space_and_percent_escapes_are_decoded() {
    let app = TestApp::new().await;
    let name = "Another Reseller Group";
    let hash = group_hash(&app, name);
    assert_eq!(hash, "1bc97e7c9ae39130046c034076d063db798dcab7");
    let uri = format!("/api/reseller_group_create?u=admin&name=Another+Reseller%20Group&hash={hash}");
    let reply = raw(&app, "POST", &uri, None, Body::empty()).await;
    assert_reply(&reply, 200, &group_created(), "+ and %20 in the query");
    // body: %2B is a literal plus
    let body = format!("u=admin&name=C%2B%2B+fans&hash={}", group_hash(&app, "C++ fans"));
    let reply = raw(&app, "POST", "/api/reseller_group_create", Some(FORM), body).await;
    assert_reply(&reply, 200, &group_created(), "%2B in the body");
    // names are decoded too
    let body = format!(
        "%75=admin&%6Eame=Encoded+names&%68ash={}",
        group_hash(&app, "Encoded names")
    );
    let reply = raw(&app, "POST", "/api/reseller_group_create", Some(FORM), body).await;
    assert_reply(&reply, 200, &group_created(), "encoded names");
    // a plus inside JSON is just a plus
    let body = serde_json::json!({ "u": "admin", "name": "a+b", "hash": group_hash(&app, "a+b") }).to_string();
    let reply = raw(
        &app,
        "POST",
        "/api/reseller_group_create",
        Some("application/json"),
        body,
    )
    .await;
    assert_reply(&reply, 200, &group_created(), "JSON plus");
}

#[tokio::test]
async fn json_scalars_become_the_strings_ruby_would_see() {
    let app = TestApp::new().await;
    // (JSON literal for `name`, the string the hash must be made of)
    let cases = [
        ("10", "10"),
        ("-5", "-5"),
        ("0", "0"),
        ("0.5", "0.5"),
        ("10.0", "10.0"),
        ("2.25", "2.25"),
        ("1e2", "100.0"),
        ("1e20", "1.0e+20"),
        ("1.5e16", "1.5e+16"),
        ("0.00001", "1.0e-05"),
        ("0.0001", "0.0001"),
        ("true", "true"),
        ("false", "false"),
        ("\"text\"", "text"),
    ];
    for (literal, text) in cases {
        let body = format!(
            "{{\"u\":\"admin\",\"name\":{literal},\"hash\":\"{}\"}}",
            group_hash(&app, text)
        );
        let reply = raw(
            &app,
            "POST",
            "/api/reseller_group_create",
            Some("application/json"),
            body,
        )
        .await;
        assert_reply(&reply, 200, &group_created(), &format!("name {literal} → {text:?}"));
    }
    // device_create with an integer user_id
    let (uid, _) = app.user("bob", "user").await;
    let hash = app.hash_with("device_create", &[("user_id", &uid.to_string()), ("pin", "")], SECRET);
    let body = format!("{{\"u\":\"admin\",\"user_id\":{uid},\"pin\":\"\",\"hash\":\"{hash}\"}}");
    let reply = raw(&app, "POST", "/api/device_create", Some("application/json"), body).await;
    assert!(
        reply
            .body
            .starts_with(&format!("{DECL}<page>\n  <status>Device created</status>\n")),
        "{}",
        reply.body
    );
}

#[tokio::test]
async fn json_integer_beyond_64_bits_stays_decimal() {
    // Spec A.3: an integer becomes its decimal form; Ruby keeps big integers exact.
    let app = TestApp::new().await;
    for literal in [
        "123456789012345678901234567890",
        "18446744073709551616",
        "-9223372036854775809",
    ] {
        let body = format!(
            "{{\"u\":\"admin\",\"name\":{literal},\"hash\":\"{}\"}}",
            group_hash(&app, literal)
        );
        let reply = raw(
            &app,
            "POST",
            "/api/reseller_group_create",
            Some("application/json"),
            body,
        )
        .await;
        assert_reply(&reply, 200, &group_created(), &format!("name {literal}"));
    }
}

#[tokio::test]
async fn json_null_arrays_and_objects_are_absent() {
    let app = TestApp::new().await;
    // the hash of a request without `name` (key only); the method then asks for the name
    let keyonly = app.hash_with("reseller_group_create", &[], SECRET);
    for literal in ["null", "[\"x\"]", "[]", "{\"a\":1}"] {
        let body = format!("{{\"u\":\"admin\",\"name\":{literal},\"hash\":\"{keyonly}\"}}");
        let reply = raw(
            &app,
            "POST",
            "/api/reseller_group_create",
            Some("application/json"),
            body,
        )
        .await;
        assert_reply(
            &reply,
            200,
            &page_status_error("Reseller Group Name must be specified"),
            literal,
        );
    }
    // null `u` is absent: unknown caller
    let body = format!("{{\"u\":null,\"name\":\"G\",\"hash\":\"{}\"}}", group_hash(&app, "G"));
    let reply = raw(
        &app,
        "POST",
        "/api/reseller_group_create",
        Some("application/json"),
        body,
    )
    .await;
    assert_reply(&reply, 200, &page_status_error("Access Denied"), "u null");
    // a null in JSON does not hide the query string's value
    let body = format!(
        "{{\"u\":\"admin\",\"name\":null,\"hash\":\"{}\"}}",
        group_hash(&app, "From query")
    );
    let reply = raw(
        &app,
        "POST",
        "/api/reseller_group_create?name=From+query",
        Some("application/json"),
        body,
    )
    .await;
    assert_reply(&reply, 200, &group_created(), "query name with JSON null");
}

// ---------------------------------------------------------------------------------------------
// A.5 response bytes and headers

#[tokio::test]
async fn echoed_values_are_escaped() {
    let app = TestApp::new().await;
    app.set("api_allow_registration", "1").await;
    let caller_id = "<1&2>\"3'ž\u{1}\t";
    let params = [
        ("email", "john@example.com"),
        ("device_type", "SIP"),
        ("username", "john"),
        ("first_name", "John"),
        ("last_name", "Doe"),
        ("caller_id", caller_id),
        ("password", "secret123"),
        ("password2", "secret123"),
        ("country_id", "1"),
    ];
    let reply = app.call_signed("user_register", &params).await;
    assert_eq!(reply.status, 200);
    assert!(
        reply
            .body
            .contains("\n    <caller_id>&lt;1&amp;2&gt;\"3'ž\t</caller_id>\n"),
        "caller_id escaped (& < > only, quotes literal, raw UTF-8, C0 dropped): {}",
        reply.body
    );
}

#[tokio::test]
async fn headers_follow_xml_api_extension() {
    let app = TestApp::new().await;
    let mut n = 0;
    for (flag, ct, cd) in [
        (
            "0",
            "text/html; charset=utf-8",
            "attachment; filename=\"mor_api_response.html\"",
        ),
        (
            "1",
            "text/xml; charset=utf-8",
            "attachment; filename=\"mor_api_response.xml\"",
        ),
    ] {
        app.set("xml_api_extension", flag).await;
        n += 1;
        let name = format!("Header group {n}");
        let hash = group_hash(&app, &name);
        let replies = vec![
            (
                "success",
                app.call(
                    "reseller_group_create",
                    &[("u", "admin"), ("name", &name), ("hash", &hash)],
                )
                .await,
            ),
            (
                "method error",
                app.call("reseller_group_create", &[("u", "nobody"), ("name", &name)])
                    .await,
            ),
            (
                "pre-check error",
                app.call("reseller_group_create", &[("u", "admin"), ("name", &name)])
                    .await,
            ),
            ("undefined method", app.call("foo_bar", &[]).await),
            (
                "invalid request",
                raw(&app, "POST", "/api/did_create?u=%FF", None, Body::empty()).await,
            ),
            (
                "device_create error",
                app.call("device_create", &[("u", "admin")]).await,
            ),
        ];
        for (what, reply) in replies {
            assert_eq!(reply.status, 200, "{flag} {what}");
            assert_eq!(
                reply.header("content-type"),
                Some(ct),
                "flag {flag}, {what}: Content-Type"
            );
            assert_eq!(
                reply.header("content-disposition"),
                Some(cd),
                "flag {flag}, {what}: Content-Disposition"
            );
        }
    }
}

#[tokio::test]
async fn test_flag_drops_content_disposition() {
    let app = TestApp::new().await;
    let mut n = 0;
    for (flag, ct) in [
        ("0", "text/html; charset=utf-8"),
        ("1", "application/xml; charset=utf-8"),
    ] {
        app.set("xml_api_extension", flag).await;
        n += 1;
        let name = format!("Test flag group {n}");
        let hash = group_hash(&app, &name);
        let replies = vec![
            (
                "success",
                app.call(
                    "reseller_group_create",
                    &[("u", "admin"), ("name", &name), ("hash", &hash), ("test", "1")],
                )
                .await,
            ),
            (
                "method error",
                app.call("reseller_group_create", &[("u", "nobody"), ("test", "1")])
                    .await,
            ),
            (
                "pre-check error",
                app.call("device_create", &[("u", "admin"), ("test", "1")]).await,
            ),
        ];
        for (what, reply) in replies {
            assert_eq!(
                reply.header("content-type"),
                Some(ct),
                "flag {flag} test=1, {what}: Content-Type"
            );
            assert_eq!(
                reply.header("content-disposition"),
                None,
                "flag {flag} test=1, {what}: no Content-Disposition"
            );
        }
        // test=1 adds nothing to reseller_group_create's answer
        let name = format!("Test flag body {n}");
        let hash = group_hash(&app, &name);
        let reply = app
            .call(
                "reseller_group_create",
                &[("u", "admin"), ("name", &name), ("hash", &hash), ("test", "1")],
            )
            .await;
        assert_reply(&reply, 200, &group_created(), "test=1 body");
        // test=0 is not test mode
        let reply = app
            .call("reseller_group_create", &[("u", "nobody"), ("test", "0")])
            .await;
        assert!(
            reply.header("content-disposition").is_some(),
            "test=0 keeps Content-Disposition"
        );
    }
}

#[tokio::test]
async fn test_flag_applies_to_the_undefined_method_answer_too() {
    // A.5: "With test=1 no Content-Disposition" — for every API answer.
    let app = TestApp::new().await;
    let reply = raw(&app, "POST", "/api/foo_bar?test=1", None, Body::empty()).await;
    assert_reply(&reply, 200, &undefined("foo_bar"), "undefined, test=1");
    assert_eq!(reply.header("content-type"), Some("text/html; charset=utf-8"));
    assert_eq!(
        reply.header("content-disposition"),
        None,
        "undefined method with test=1: no Content-Disposition"
    );
}

#[tokio::test]
async fn healthz_answers_ok_without_any_api_check() {
    let app = TestApp::new().await;
    app.set("allow_api", "0").await;
    app.set("api_secret_key", "").await;
    let reply = raw(&app, "GET", "/healthz", None, Body::empty()).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body, "ok");
    let reply = raw(&app, "GET", "/healthz?u=nobody&hash=x", None, Body::empty()).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body, "ok");
}

// ---------------------------------------------------------------------------------------------
// over a real socket

#[tokio::test]
async fn socket_healthz_unknown_method_and_headers() {
    let app = TestApp::new().await;
    let (address, _stop) = app.serve().await;
    let http = client();
    let reply = http.get(format!("http://{address}/healthz")).send().await.unwrap();
    assert_eq!(reply.status(), 200);
    assert_eq!(reply.text().await.unwrap(), "ok");

    let reply = http
        .post(format!("http://{address}/billing/api/foo_bar"))
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 200);
    assert_eq!(reply.headers().get("content-type").unwrap(), "text/html; charset=utf-8");
    assert_eq!(
        reply.headers().get("content-disposition").unwrap(),
        "attachment; filename=\"mor_api_response.html\""
    );
    assert_eq!(reply.text().await.unwrap(), undefined("foo_bar"));

    // reseller_group_create with the seed's request, urlencoded body, via /billing/api/
    let name = "Another Reseller Group";
    let body = encode(&[
        ("u", "admin"),
        ("name", name),
        ("rg_description", "for test purposes"),
        ("call_shop", "1"),
        ("calling_cards", "0"),
        ("sms_addon", "1"),
        ("payment_gateways", "1"),
        ("autodialer", "0"),
        ("pbx_functions", "1"),
        ("test", "1"),
        ("hash", "1bc97e7c9ae39130046c034076d063db798dcab7"),
    ]);
    let reply = http
        .post(format!("http://{address}/billing/api/reseller_group_create"))
        .header("content-type", FORM)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 200);
    assert_eq!(reply.headers().get("content-type").unwrap(), "text/html; charset=utf-8");
    assert!(reply.headers().get("content-disposition").is_none(), "test=1");
    assert_eq!(reply.text().await.unwrap(), group_created());
}

#[tokio::test]
async fn socket_did_create_end_to_end() {
    let app = TestApp::new().await;
    let provider = app.provider("prov", None).await;
    assert_eq!(provider, 1);
    let (address, _stop) = app.serve().await;
    let http = client();
    // the seed's request line, query string only, with its legacy hash
    let reply = http
        .post(format!("http://{address}/billing/api/did_create?u=admin&did=123456789&provider_id=1&hash=bc2f114099d16656d37e45fd9e8744cb9386d462"))
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 200);
    assert_eq!(reply.text().await.unwrap(), did_created(1));
    // the primary hash, urlencoded body, test=1 adds the number
    let reply = http
        .post(format!("http://{address}/api/did_create/"))
        .header("content-type", FORM)
        .body(encode(&[
            ("u", "admin"),
            ("provider_id", "1"),
            ("did", "37060000001"),
            ("test", "1"),
            (
                "hash",
                &app.hash_with("did_create", &[("provider_id", "1"), ("did", "37060000001")], SECRET),
            ),
        ]))
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 200);
    assert_eq!(
        reply.text().await.unwrap(),
        doc(&[
            "<page>",
            "  <status>",
            "    <success>DID created</success>",
            "  </status>",
            "  <did_details>",
            "    <id>2</id>",
            "    <did>37060000001</did>",
            "  </did_details>",
            "</page>",
        ])
    );
    // a repeat is refused in the method envelope
    let reply = http
        .post(format!("http://{address}/api/did_create"))
        .header("content-type", FORM)
        .body(encode(&[
            ("u", "admin"),
            ("provider_id", "1"),
            ("did", "123456789"),
            ("hash", "cb9dff0d59f7ffaf036d55b57c817bf528edb54a"),
        ]))
        .send()
        .await
        .unwrap();
    assert_eq!(reply.text().await.unwrap(), page_status_error("DID already exists"));
}

#[tokio::test]
async fn socket_device_create_end_to_end() {
    let app = TestApp::new().await;
    app.user("alice", "user").await;
    let (uid, _) = app.user("bob", "user").await;
    assert_eq!(uid, 2);
    let (address, _stop) = app.serve().await;
    let http = client();
    // the seed's request: user_id=2, description=desription1, pin=3, in the query string
    let reply = http
        .post(format!("http://{address}/billing/api/device_create?u=admin&user_id=2&description=desription1&pin=3&hash=6e79d4a82f68102f43be11d873177f47817f84df"))
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 200);
    let body = reply.text().await.unwrap();
    let lines: Vec<&str> = body.lines().collect();
    assert_eq!(lines.len(), 7, "{body}");
    assert_eq!(
        &lines[..4],
        &[
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>",
            "<page>",
            "  <status>Device created</status>",
            "  <id>1</id>"
        ],
        "{body}"
    );
    assert_eq!(lines[4], "  <username>101</username>");
    let secret = lines[5]
        .strip_prefix("  <password>")
        .and_then(|l| l.strip_suffix("</password>"))
        .expect("password line");
    assert_eq!(secret.len(), 12, "{secret}");
    assert!(
        secret.chars().all(|c| "abcdefghjkmnpqrstuvwxyz23456789".contains(c)),
        "{secret}"
    );
    assert_eq!(lines[6], "</page>");
    assert!(body.ends_with("</page>\n"));

    // JSON body, integer user_id
    let hash = app.hash_with(
        "device_create",
        &[("user_id", "2"), ("description", "json device")],
        SECRET,
    );
    let reply = http
        .post(format!("http://{address}/api/device_create"))
        .json(&serde_json::json!({ "u": "admin", "user_id": 2, "description": "json device", "hash": hash }))
        .send()
        .await
        .unwrap();
    let body = reply.text().await.unwrap();
    assert!(
        body.starts_with(&format!(
            "{DECL}<page>\n  <status>Device created</status>\n  <id>2</id>\n  <username>102</username>\n"
        )),
        "{body}"
    );

    // the seed's PIN is taken now
    let reply = http
        .post(format!("http://{address}/api/device_create?u=admin&user_id=2&description=desription1&pin=3&hash=6e79d4a82f68102f43be11d873177f47817f84df"))
        .send()
        .await
        .unwrap();
    assert_eq!(reply.text().await.unwrap(), page_error("Pin is already used"));
}

#[tokio::test]
async fn socket_bad_verb_oversized_body_and_invalid_request() {
    let app = TestApp::new().await;
    let (address, _stop) = app.serve().await;
    let http = client();
    for verb in [reqwest::Method::PUT, reqwest::Method::DELETE, reqwest::Method::PATCH] {
        let reply = http
            .request(verb.clone(), format!("http://{address}/api/device_create"))
            .send()
            .await
            .unwrap();
        assert_eq!(reply.status(), 405, "{verb}");
        assert_eq!(reply.headers().get("allow").unwrap(), "GET, POST");
        assert_eq!(reply.text().await.unwrap(), "");
    }
    let reply = http
        .post(format!("http://{address}/api/device_create"))
        .header("content-type", FORM)
        .body(format!("u=admin&pad={}", "a".repeat(80 * 1024)))
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 413);
    assert_eq!(reply.text().await.unwrap(), status_error("Request too large"));

    let reply = http
        .post(format!("http://{address}/api/device_create?u=%FF"))
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 200);
    assert_eq!(reply.text().await.unwrap(), status_error("Invalid request"));

    let reply = http
        .post(format!("http://{address}/api/did_create"))
        .header("content-type", "application/json")
        .body("[1]")
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 200);
    assert_eq!(reply.text().await.unwrap(), status_error("Invalid request"));
}

#[tokio::test]
async fn socket_chunked_body_over_limit_is_413() {
    let app = TestApp::new().await;
    let (address, _stop) = app.serve().await;
    // no Content-Length: the limit applies to the bytes actually read
    let mut request = b"POST /api/device_create HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n".to_vec();
    let chunk = vec![b'a'; 8 * 1024];
    request.extend_from_slice(b"8\r\nu=admin&\r\n");
    for _ in 0..9 {
        request.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        request.extend_from_slice(&chunk);
        request.extend_from_slice(b"\r\n");
    }
    request.extend_from_slice(b"0\r\n\r\n");
    let (status, text) = raw_socket(address, &request).await;
    assert_eq!(status, 413, "{text}");
    assert!(text.ends_with(&status_error("Request too large")), "{text}");

    // a small chunked body is read normally
    let body = "u=admin&name=Chunked";
    let mut request = b"POST /api/reseller_group_create HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n".to_vec();
    request.extend_from_slice(format!("{:x}\r\n{body}\r\n", body.len()).as_bytes());
    let rest = format!("&hash={}", group_hash(&app, "Chunked"));
    request.extend_from_slice(format!("{:x}\r\n{rest}\r\n0\r\n\r\n", rest.len()).as_bytes());
    let (status, text) = raw_socket(address, &request).await;
    assert_eq!(status, 200, "{text}");
    assert!(text.ends_with(&group_created()), "{text}");
}

// ---------------------------------------------------------------------------------------------
// no request yields a 5xx

fn garbage_queries() -> Vec<String> {
    // the http crate caps a URI below 64 KiB: one big value, or several middling ones
    let huge = "9".repeat(60_000);
    let mid = "9".repeat(8_000);
    let mut queries = vec![
        "%zz=%zz".to_string(),
        "u=%zzadmin&name=a%zzb".into(),
        "u=admin&name=%".into(),
        "u=admin&name=%2".into(),
        "u=admin&name=%%%".into(),
        "u=admin&name=100%".into(),
        "=&=&&&==".into(),
        "=x&u=admin".into(),
        "&&&u=admin&&&".into(),
        "u".into(),
        "u=&hash=&name=&user_id=&pin=&type=&did=&provider_id=".into(),
        "u=%00&name=%00&user_id=%00".into(),
        "u=admin&user_id=99999999999999999999999&pin=99999999999999999999999999".into(),
        "u=admin&user_id=-1&devicegroup_id=-1&call_timeout=-1&caller_id=-1".into(),
        "u=admin&user_id=1&type=%E2%98%83&extension=%E2%98%83&call_timeout=1e9999".into(),
        "u=admin&provider_id=-1&did=-1".into(),
        "u=admin&provider_id=99999999999999999999&did=99999999999999999999999999999999".into(),
        "u=admin&name=%EF%BF%BF%F0%9F%98%80".into(),
        "u=admin&name=%0D%0A%09%0B%0C%1B".into(),
        "id=&username=&email=&country_id=999999999999999999999&lcr_id=-1&tariff=x&device_location_id=%25".into(),
        "u[]=admin&u[x]=y&name[]=z".into(),
        "test=1&test=1&test=%FF%FE".into(),
    ];
    queries.push(format!("u=admin&name={huge}"));
    queries.push(format!(
        "u=admin&user_id={mid}&pin={mid}&extension={mid}&call_timeout={mid}&caller_id={mid}&description={mid}"
    ));
    queries.push(format!("u=admin&user_id=2&pin={huge}"));
    queries.push(format!("u=admin&user_id=2&extension={huge}"));
    queries.push(format!("u=admin&user_id=2&description={huge}"));
    queries.push(format!("u=admin&provider_id={mid}&did={mid}&custom_sip_header={mid}"));
    queries.push(format!("u=admin&provider_id=1&did={huge}"));
    queries.push(format!("{mid}={mid}"));
    queries.push(format!(
        "email={mid}%40x.com&username={mid}&password={mid}&password2={mid}&first_name=a&last_name=b&country_id=1&device_type=SIP&mob_phone={mid}"
    ));
    queries
}

#[tokio::test]
async fn garbage_never_yields_a_5xx() {
    let app = TestApp::new().await;
    app.set("disable_hash_checking", "1").await;
    app.set("api_allow_registration", "1").await;
    app.set("allow_get_api", "1").await;
    app.provider("prov", None).await;
    app.user("bob", "user").await;
    let paths = [
        "/api/device_create",
        "/api/did_create",
        "/api/reseller_group_create",
        "/api/registration",
        "/api/user_register",
        "/api/",
        "/billing/api/",
        "/api/%",
        "/api/%zz",
        "/api/%FF%FE",
        "/api/a/b/c",
        "/api/%2F",
        "/billing/api/%00",
    ];
    let admin_hash = app.admin_uniquehash.clone();
    for path in paths {
        for query in garbage_queries() {
            let query = if path.contains("regist") {
                format!("id={admin_hash}&{query}")
            } else {
                query
            };
            let query = if path.ends_with("/api/") {
                format!("action=device_create&{query}")
            } else {
                query
            };
            for verb in ["GET", "POST"] {
                let uri = format!("{path}?{query}");
                let reply = raw(&app, verb, &uri, None, Body::empty()).await;
                assert!(
                    reply.status.as_u16() < 500,
                    "{verb} {}: {}",
                    &uri[..uri.len().min(200)],
                    reply.status
                );
                if reply.status == 200 {
                    assert!(
                        reply.body.starts_with(DECL),
                        "{verb} {}: {}",
                        &uri[..uri.len().min(200)],
                        reply.body
                    );
                }
            }
            // the same as a body, urlencoded and sniffed
            let reply = raw(&app, "POST", path, Some(FORM), query.clone()).await;
            assert!(reply.status.as_u16() < 500, "POST body {path}: {}", reply.status);
        }
    }
    // odd bodies and content types
    let deep = format!("{}{}", "[".repeat(30_000), "]".repeat(30_000));
    let deep_obj = format!("{{\"u\":{}{}}}", "{\"a\":".repeat(5000), "}".repeat(5000));
    let bodies: Vec<(Option<&str>, Vec<u8>)> = vec![
        (Some("application/json"), deep.clone().into_bytes()),
        (Some("application/json"), deep_obj.clone().into_bytes()),
        (None, deep_obj.into_bytes()),
        (Some("application/json"), b"{\"u\":1e999999}".to_vec()),
        (
            Some("application/json"),
            b"{\"u\":\"admin\",\"user_id\":-0.0,\"pin\":1e-400}".to_vec(),
        ),
        (Some("application/json"), b"{\"u\":\"\\ud800\"}".to_vec()),
        (Some("application/json"), b"\xef\xbb\xbf{\"u\":\"admin\"}".to_vec()),
        (Some("application/json"), b"".to_vec()),
        (Some("multipart/form-data"), b"--x\r\n".to_vec()),
        (Some("multipart/form-data; boundary=x"), b"garbage".to_vec()),
        (
            Some("multipart/form-data; boundary=x"),
            b"--x\r\nContent-Disposition: form-data\r\n\r\nnoname\r\n--x--\r\n".to_vec(),
        ),
        (
            Some("multipart/form-data; boundary=x"),
            b"--x\r\nContent-Disposition: form-data; name=\"u\"\r\n\r\nadmin".to_vec(),
        ),
        (Some("multipart/form-data; boundary=\"\""), b"".to_vec()),
        (
            Some("application/x-www-form-urlencoded; charset=latin1"),
            b"u=admin&name=\xe9".to_vec(),
        ),
        (Some("text/xml"), b"<u>admin</u>".to_vec()),
        (Some(";;;"), b"u=admin".to_vec()),
        (Some("application/+json"), b"{}".to_vec()),
        (None, vec![0u8; 1000]),
        (None, b"\x00{\"u\":1}".to_vec()),
    ];
    for path in [
        "/api/device_create",
        "/api/did_create",
        "/api/reseller_group_create",
        "/api/registration",
        "/api/user_register",
        "/api/",
    ] {
        for (ct, body) in &bodies {
            let reply = raw(&app, "POST", path, *ct, body.clone()).await;
            assert!(
                reply.status.as_u16() < 500,
                "{path} {ct:?} {}: {}",
                String::from_utf8_lossy(&body[..body.len().min(40)]),
                reply.status
            );
        }
        // a content type that is not valid UTF-8
        let request = Request::post(path)
            .header(
                "content-type",
                axum::http::HeaderValue::from_bytes(b"application/\xffjson").unwrap(),
            )
            .body(Body::from("u=admin"))
            .unwrap();
        let reply = app.send(request).await;
        assert!(
            reply.status.as_u16() < 500,
            "{path}: non-UTF-8 content type: {}",
            reply.status
        );
    }
}

#[tokio::test]
async fn socket_garbage_never_yields_a_5xx() {
    let app = TestApp::new().await;
    app.set("disable_hash_checking", "1").await;
    let (address, _stop) = app.serve().await;
    let http = client();
    // a query string far beyond any header limit
    let huge = "7".repeat(200 * 1024);
    let reply = http
        .post(format!("http://{address}/api/device_create?u=admin&user_id={huge}"))
        .send()
        .await;
    if let Ok(reply) = reply {
        assert!(reply.status().as_u16() < 500, "huge query: {}", reply.status());
    }
    let reply = http
        .post(format!(
            "http://{address}/api/device_create?u=admin&user_id={}",
            "7".repeat(4000)
        ))
        .send()
        .await
        .unwrap();
    assert!(reply.status().as_u16() < 500, "long query: {}", reply.status());
    // raw requests with odd bytes
    let requests: Vec<Vec<u8>> = vec![
        b"POST /api/device_create?u=%zz&%=%%&=x HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 0\r\n\r\n".to_vec(),
        b"POST /api/%FF%00 HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 0\r\n\r\n".to_vec(),
        b"POST /api/device_create HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: \xff\xfe\r\nContent-Length: 7\r\n\r\nu=admin".to_vec(),
        b"POST /api/device_create HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 99999999999999999999\r\n\r\nu=admin".to_vec(),
        b"POST /api/device_create HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 1000000\r\n\r\nu=admin".to_vec(),
        b"GET /api/device_create?u=admin HTTP/1.0\r\n\r\n".to_vec(),
        b"FOO /api/device_create HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".to_vec(),
    ];
    for request in requests {
        let (status, text) = raw_socket(address, &request).await;
        assert!(
            status < 500,
            "{}: {text}",
            String::from_utf8_lossy(&request[..request.len().min(80)])
        );
    }
}
