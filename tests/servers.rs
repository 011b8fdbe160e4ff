//! Tests that need the server databases named by `MORAY_TEST_DATABASES` (comma-separated
//! `postgres://…` and `mysql://…` URLs; SQLite entries are ignored). Without it every test here
//! passes at once, doing nothing. `scripts/test` runs them after the integration suite.
//!
//! * scale-out: two `moray serve` processes on one database, hit concurrently with registrations,
//!   DIDs and PINs that repeat each other;
//! * copy: `moray copy` from a SQLite installation to each server database, every row compared;
//! * recovery (only with `MORAY_TEST_RECOVERY=1`, run alone and last: it stops and restarts the
//!   local PostgreSQL): requests answer XML errors while the database is down, and succeed again
//!   once it is back, without restarting moray.

#[macro_use]
#[path = "api/common.rs"]
#[allow(unused_imports, unused_macros)]
mod common;

use std::collections::BTreeMap;
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::*;
use moray::api::{self, Params, hash};
use moray::storage::raw::RawDb;

const BIN: &str = env!("CARGO_BIN_EXE_moray");
const PASSWORD: &str = "Secret123pass";

/// The server databases of this run.
fn server_urls() -> Vec<String> {
    std::env::var("MORAY_TEST_DATABASES")
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|url| !url.is_empty() && !url.starts_with("sqlite"))
        .map(str::to_owned)
        .collect()
}

fn backend_of(url: &str) -> &'static str {
    if url.starts_with("postgres") {
        "postgres"
    } else {
        "mysql"
    }
}

/// A fresh database on `server`, dropped at the end.
fn fresh_db(server: &str) -> TestDb {
    TestDb::on(Some(server.to_owned()))
}

/// The `moray` binary with a cheap argon2 and no inherited configuration.
fn moray(url: &str, args: &[&str]) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.args(args)
        .arg("--database")
        .arg(url)
        .env_remove("MORAY_DATABASE")
        .env_remove("MORAY_LISTEN")
        .env("MORAY_ARGON2_MEMORY_KIB", "1024")
        .env("MORAY_ARGON2_ITERATIONS", "1")
        .stdin(Stdio::null());
    cmd
}

fn run_ok(url: &str, args: &[&str]) -> String {
    let out = moray(url, args).output().expect("run moray");
    assert!(
        out.status.success(),
        "moray {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8")
}

/// Adds the plain user `owner` through the CLI; its id.
fn add_owner(url: &str) -> String {
    let owner = run_ok(
        url,
        &[
            "users",
            "add",
            "--username",
            "owner",
            "--password",
            PASSWORD,
            "--type",
            "user",
            "--json",
        ],
    );
    json_field(&owner, "id").as_i64().unwrap().to_string()
}

fn json_field(text: &str, field: &str) -> serde_json::Value {
    let value: serde_json::Value = serde_json::from_str(text.trim()).expect("JSON");
    value[field].clone()
}

/// A `moray serve` process, killed when dropped.
struct Server {
    child: Child,
    address: String,
    log: std::path::PathBuf,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

async fn serve(url: &str, dir: &std::path::Path, name: &str, extra: &[&str]) -> Server {
    let address = format!("127.0.0.1:{}", free_port());
    let log = dir.join(format!("{name}.log"));
    let mut args = vec!["serve", "--listen", &address];
    args.extend_from_slice(extra);
    let child = moray(url, &args)
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .expect("spawn moray serve");
    let server = Server {
        child,
        address: address.clone(),
        log,
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    while tokio::net::TcpStream::connect(&address).await.is_err() {
        assert!(
            Instant::now() < deadline,
            "moray serve did not listen: {}",
            std::fs::read_to_string(&server.log).unwrap_or_default()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    server
}

/// `params` plus the hash of `method`'s primary list made with `key`.
fn signed(method: &str, params: &[(String, String)], key: &str) -> Vec<(String, String)> {
    let lists = api::route(method).and_then(|m| m.hash).expect("hash-checked method");
    let mut p = Params::new();
    for (k, v) in params {
        p.insert(k.as_str(), v.as_str());
    }
    let mut all = params.to_vec();
    all.push((
        "hash".into(),
        hash::sha1_hex(&hash::hashed_string(lists[0], &p, key, false)),
    ));
    all
}

/// The `<error>` text of an answer, or `None` for a success.
fn error_of(body: &str) -> Option<String> {
    let start = body.find("<error>")? + "<error>".len();
    let end = body[start..].find("</error>")? + start;
    Some(body[start..end].to_owned())
}

fn form(params: &[(String, String)]) -> String {
    let refs: Vec<(&str, &str)> = params.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    encode(&refs)
}

fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
    items.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

/// The body of `method` signed with [`SECRET`] and posted to `address`.
async fn post_to(client: &reqwest::Client, address: &str, method: &str, params: &[(&str, &str)]) -> String {
    let reply = client
        .post(format!("http://{address}/billing/api/{method}"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(&signed(method, &pairs(params), SECRET)))
        .send()
        .await
        .expect("moray answers");
    assert_eq!(reply.status(), 200);
    reply.text().await.unwrap()
}

// ---------------------------------------------------------------------------------------------
// scale-out

/// What one request of the scale-out mix wants.
#[derive(Debug, Clone)]
enum Want {
    Register { username: String, email: String },
    Did { number: String },
    Pin { pin: String },
}

impl Want {
    fn kind(&self) -> &'static str {
        match self {
            Want::Register { .. } => "registration",
            Want::Did { .. } => "did_create",
            Want::Pin { .. } => "device_create",
        }
    }

    /// The message a refused repeat must carry.
    fn refusal(&self) -> &'static str {
        match self {
            Want::Register { .. } => "Such username is already taken",
            Want::Did { .. } => "DID already exists",
            Want::Pin { .. } => "Pin is already used",
        }
    }
}

/// Distinct values of each kind, and how often each is asked for.
const DISTINCT: usize = 40;
const REPEATS: usize = 4;
const IN_FLIGHT: usize = 48;

async fn scale_out(server: &str) {
    let backend = backend_of(server);
    let db = fresh_db(server);
    let url = db.url.clone();
    let init = run_ok(
        &url,
        &[
            "init",
            "--admin-password",
            "admin-pass1",
            "--api-secret",
            SECRET,
            "--json",
        ],
    );
    let admin_hash = json_field(&init, "uniquehash").as_str().unwrap().to_owned();
    run_ok(&url, &["settings", "set", "api_allow_registration", "1"]);
    let owner_id = add_owner(&url);
    let provider = run_ok(&url, &["providers", "add", "--name", "Telco", "--json"]);
    let provider_id = json_field(&provider, "id").as_i64().unwrap().to_string();

    let servers = [
        serve(&url, db.dir.path(), "a", &["--db-pool-size", "8"]).await,
        serve(&url, db.dir.path(), "b", &["--db-pool-size", "8"]).await,
    ];

    // Every value asked for REPEATS times, in a shuffled order (a fixed LCG: reproducible).
    let mut wants = Vec::new();
    for attempt in 0..REPEATS {
        for i in 0..DISTINCT {
            wants.push(Want::Register {
                username: format!("user{i:03}"),
                email: format!("user{i:03}.{attempt}@example.com"),
            });
            wants.push(Want::Did {
                number: format!("3706{i:07}"),
            });
            wants.push(Want::Pin {
                pin: format!("{:06}", 500_000 + i),
            });
        }
    }
    let mut seed: u64 = 0x5eed;
    for i in (1..wants.len()).rev() {
        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        wants.swap(i, (seed >> 33) as usize % (i + 1));
    }

    let client = reqwest::Client::new();
    let limit = Arc::new(tokio::sync::Semaphore::new(IN_FLIGHT));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for (n, want) in wants.iter().cloned().enumerate() {
        let address = servers[n % 2].address.clone();
        let client = client.clone();
        let limit = limit.clone();
        let (admin_hash, owner_id, provider_id) = (admin_hash.clone(), owner_id.clone(), provider_id.clone());
        tasks.push(tokio::spawn(async move {
            let _permit = limit.acquire().await.unwrap();
            let (method, params) = match &want {
                Want::Register { username, email } => (
                    "registration",
                    vec![
                        ("id", admin_hash.as_str()),
                        ("username", username),
                        ("password", PASSWORD),
                        ("password2", PASSWORD),
                        ("first_name", "Scale"),
                        ("last_name", "Out"),
                        ("country_id", "130"),
                        ("email", email),
                        ("device_type", "SIP"),
                    ],
                ),
                Want::Did { number } => (
                    "did_create",
                    vec![("u", "admin"), ("provider_id", &provider_id), ("did", number)],
                ),
                Want::Pin { pin } => (
                    "device_create",
                    vec![("u", "admin"), ("user_id", &owner_id), ("pin", pin)],
                ),
            };
            let body = post_to(&client, &address, method, &params).await;
            (want, body)
        }));
    }
    let mut answers = Vec::new();
    for task in tasks {
        answers.push(task.await.expect("request task"));
    }
    let elapsed = started.elapsed();

    // Every value succeeded exactly once; every repeat was refused with its own message.
    let mut successes: BTreeMap<&str, usize> = BTreeMap::new();
    let mut refusals: BTreeMap<String, usize> = BTreeMap::new();
    let mut won: BTreeMap<String, usize> = BTreeMap::new();
    for (want, body) in &answers {
        let key = format!("{want:?}").split(", email").next().unwrap().to_owned();
        match error_of(body) {
            None => {
                *successes.entry(want.kind()).or_default() += 1;
                *won.entry(key).or_default() += 1;
            }
            Some(message) => {
                assert_eq!(message, want.refusal(), "{want:?} refused with another message: {body}");
                *refusals.entry(format!("{}: {message}", want.kind())).or_default() += 1;
            }
        }
    }
    assert_eq!(won.len(), 3 * DISTINCT, "every distinct value succeeded once: {won:?}");
    assert!(won.values().all(|n| *n == 1), "a value succeeded twice: {won:?}");
    for kind in ["registration", "did_create", "device_create"] {
        assert_eq!(successes.get(kind), Some(&DISTINCT), "{kind} successes");
    }

    // The database: no duplicates, no orphans.
    let raw = RawDb::open(&url, false).await.unwrap();
    let n = |sql: &'static str| {
        let raw = &raw;
        async move { raw.query(sql, Vec::new()).await.unwrap()[0].i64(0).unwrap() }
    };
    assert_eq!(n("SELECT COUNT(*) FROM users").await, 2 + DISTINCT as i64);
    assert_eq!(
        n("SELECT COUNT(DISTINCT username_key) FROM users").await,
        2 + DISTINCT as i64
    );
    assert_eq!(n("SELECT COUNT(*) FROM devices").await, 2 * DISTINCT as i64);
    assert_eq!(
        n("SELECT COUNT(DISTINCT extension) FROM devices").await,
        2 * DISTINCT as i64
    );
    assert_eq!(
        n("SELECT COUNT(DISTINCT username) FROM devices").await,
        2 * DISTINCT as i64
    );
    assert_eq!(n("SELECT COUNT(DISTINCT pin) FROM devices").await, 2 * DISTINCT as i64);
    assert_eq!(
        n("SELECT COUNT(*) FROM devices d JOIN devices e ON e.id <> d.id AND (e.username = d.extension OR e.extension = d.username)").await,
        0,
        "extension and username share one namespace"
    );
    assert_eq!(n("SELECT COUNT(*) FROM dids").await, DISTINCT as i64);
    assert_eq!(n("SELECT COUNT(DISTINCT did) FROM dids").await, DISTINCT as i64);
    assert_eq!(
        n("SELECT COUNT(*) FROM devices d LEFT JOIN users u ON u.id = d.user_id WHERE u.id IS NULL").await,
        0
    );
    assert_eq!(
        n("SELECT COUNT(*) FROM device_groups g LEFT JOIN users u ON u.id = g.user_id WHERE u.id IS NULL").await,
        0
    );
    assert_eq!(
        n("SELECT COUNT(*) FROM clis c LEFT JOIN devices d ON d.id = c.device_id WHERE d.id IS NULL").await,
        0
    );
    assert_eq!(
        n("SELECT COUNT(*) FROM users u WHERE NOT EXISTS (SELECT 1 FROM device_groups g WHERE g.user_id = u.id)").await,
        0,
        "every user has its primary device group"
    );
    assert_eq!(
        n("SELECT COUNT(*) FROM users u WHERE u.id <> 0 AND u.username <> 'owner'
              AND (SELECT COUNT(*) FROM devices d WHERE d.user_id = u.id) <> 1")
        .await,
        0,
        "every registered user has exactly its one device"
    );
    assert_eq!(
        n("SELECT COUNT(DISTINCT agreement_number) FROM users WHERE owner_id = 0 AND id <> 0").await,
        1 + DISTINCT as i64,
        "agreement numbers are distinct per owner"
    );
    // Extensions were allocated without gaps or repeats: 101 … 100 + 2·DISTINCT.
    let mut extensions: Vec<i64> = raw
        .query("SELECT extension FROM devices", Vec::new())
        .await
        .unwrap()
        .iter()
        .map(|row| row.text(0).unwrap().parse().unwrap())
        .collect();
    extensions.sort_unstable();
    assert_eq!(extensions, (101..=100 + 2 * DISTINCT as i64).collect::<Vec<_>>());

    let total = answers.len();
    let refused: usize = refusals.values().sum();
    let mut figures = format!(
        "scale-out [{backend}]: {total} requests over 2 moray processes ({IN_FLIGHT} in flight) in {:.2} s \
         ({:.0} req/s): {} succeeded, {refused} refused",
        elapsed.as_secs_f64(),
        total as f64 / elapsed.as_secs_f64(),
        total - refused,
    );
    for (message, count) in &refusals {
        figures.push_str(&format!("\n  refused {count} × {message}"));
    }
    for (kind, count) in &successes {
        figures.push_str(&format!("\n  succeeded {count} × {kind}"));
    }
    eprintln!("{figures}");
    let report = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("scale-out-{backend}.txt"));
    std::fs::write(report, format!("{figures}\n")).unwrap();
    drop(servers);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn scale_out_two_processes_on_one_database() {
    for server in server_urls() {
        scale_out(&server).await;
    }
}

/// Two `moray serve` processes on one SQLite file: a device created through one is found at once
/// through the other, while the other is kept busy reading (its threads keep read transactions
/// open between requests while nothing is committed, decision F13: another process's commit
/// must end them).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_processes_read_each_others_writes_at_once() {
    let db = TestDb::on(None);
    let url = db.url.clone();
    run_ok(
        &url,
        &["init", "--admin-password", "admin-pass1", "--api-secret", SECRET],
    );
    let owner_id = add_owner(&url);
    let writer = serve(&url, db.dir.path(), "a", &[]).await;
    let reader = serve(&url, db.dir.path(), "b", &[]).await;
    let client = reqwest::Client::new();
    let device_create = [("u", "admin"), ("user_id", owner_id.as_str())];
    let create = || post_to(&client, &writer.address, "device_create", &device_create);
    let id_of = |body: &str| {
        let start = body.find("<id>").unwrap_or_else(|| panic!("no id: {body}")) + "<id>".len();
        body[start..start + body[start..].find("</id>").unwrap()].to_owned()
    };
    let first = id_of(&create().await);
    // Steady reads on the second process, enough that its threads rarely go idle (an idle
    // thread ends its kept transaction anyway).
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut load = Vec::new();
    for _ in 0..32 {
        let (stop, client, address, first) = (stop.clone(), client.clone(), reader.address.clone(), first.clone());
        load.push(tokio::spawn(async move {
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let body = post_to(
                    &client,
                    &address,
                    "device_details_get",
                    &[("u", "admin"), ("device_id", &first)],
                )
                .await;
                assert!(error_of(&body).is_none(), "{body}");
            }
        }));
    }
    for _ in 0..150 {
        let id = id_of(&create().await);
        let body = post_to(
            &client,
            &reader.address,
            "device_details_get",
            &[("u", "admin"), ("device_id", &id)],
        )
        .await;
        assert!(
            body.contains(&format!("<id>{id}</id>")),
            "device {id} not seen at once: {body}"
        );
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for task in load {
        task.await.unwrap();
    }
}

// ---------------------------------------------------------------------------------------------
// copy

/// A SQLite installation with a bit of everything, made through the API.
async fn sqlite_installation() -> TestApp {
    let app = TestApp::with_db(TestDb::on(None)).await;
    app.set("api_allow_registration", "1").await;
    app.user("res", "reseller").await;
    app.set_for(Some("res"), "api_secret_key", "reskey123").await;
    let (john, _) = app.user("john", "user").await;
    let provider = app.provider("Telco", None).await;
    for pin in ["111111", "222222"] {
        let reply = app
            .call_signed(
                "device_create",
                &[("u", "admin"), ("user_id", &john.to_string()), ("pin", pin)],
            )
            .await;
        assert!(error_of(&reply.body).is_none(), "{}", reply.body);
    }
    for number in ["37060000001", "37060000002", "37060000003"] {
        let reply = app
            .call_signed(
                "did_create",
                &[("u", "admin"), ("provider_id", &provider.to_string()), ("did", number)],
            )
            .await;
        assert!(error_of(&reply.body).is_none(), "{}", reply.body);
    }
    let reply = app
        .call_signed("reseller_group_create", &[("u", "admin"), ("name", "Gold Resellers")])
        .await;
    assert!(error_of(&reply.body).is_none(), "{}", reply.body);
    let form = [
        ("id", app.admin_uniquehash.as_str()),
        ("username", "Mary"),
        ("password", PASSWORD),
        ("password2", PASSWORD),
        ("first_name", "Mary"),
        ("last_name", "Šalkauskė"),
        ("country_id", "130"),
        ("email", "Mary@Example.com"),
        ("device_type", "SIP"),
        ("phone", "37065555555"),
    ];
    let reply = app.call_signed("registration", &form).await;
    assert!(error_of(&reply.body).is_none(), "{}", reply.body);
    app
}

/// Every row of every table, in key order, as text.
async fn dump(db: &RawDb) -> BTreeMap<&'static str, Vec<String>> {
    let mut all = BTreeMap::new();
    for (table, columns) in moray::storage::copy::TABLES {
        let order = if columns[0] == "id" {
            "id".to_owned()
        } else {
            columns[..2].join(", ")
        };
        let rows = db
            .query(
                &format!("SELECT {} FROM {table} ORDER BY {order}", columns.join(", ")),
                Vec::new(),
            )
            .await
            .unwrap();
        all.insert(
            *table,
            rows.iter().map(|row| format!("{:?}", normalized(row))).collect(),
        );
    }
    all
}

/// Values compared across backends: NULLs alike, integers and reals as numbers.
fn normalized(row: &moray::storage::server::Row) -> Vec<String> {
    row.0
        .iter()
        .map(|value| match value {
            Value::Int(n) => format!("{n}"),
            Value::Float(f) => format!("{f}"),
            Value::Text(t) => format!("{t:?}"),
            Value::Bytes(b) => format!("{b:?}"),
            Value::NullInt | Value::NullText => "NULL".into(),
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn copy_moves_a_sqlite_installation_to_each_server_database() {
    let servers = server_urls();
    if servers.is_empty() {
        return;
    }
    let source = sqlite_installation().await;
    let source_raw = RawDb::open(&source.db_url, false).await.unwrap();
    let expected = dump(&source_raw).await;
    for server in servers {
        let target = fresh_db(&server);
        let out = run_ok(BIN_NO_DB, &["copy", "--from", &source.db_url, "--to", &target.url]);
        assert!(out.contains("copied"), "{out}");
        let target_raw = RawDb::open(&target.url, false).await.unwrap();
        let copied = dump(&target_raw).await;
        for (table, rows) in &expected {
            assert_eq!(
                copied[table].len(),
                rows.len(),
                "{table}: row count after copy to {server}"
            );
            assert_eq!(&copied[table], rows, "{table}: rows after copy to {server}");
        }
        // Spot checks: admin is user 0 with its password hash; the copy serves and logs in.
        let admin = target_raw
            .query("SELECT id, username, password_hash FROM users WHERE id = 0", Vec::new())
            .await
            .unwrap();
        assert_eq!(admin.len(), 1);
        assert!(admin[0].text(2).unwrap().starts_with("$argon2id$"));
        let store = moray::storage::open_with(&target.url, &test_db_options())
            .await
            .unwrap();
        let state = moray::state::AppState::new(store.clone(), test_config());
        let user = store.user_by_username("mary").await.unwrap().expect("Mary copied");
        assert!(moray::secrets::verify_password(PASSWORD, &user.password_hash));
        // New rows get ids past the copied ones, and the copied uniqueness rules hold.
        let app = moray::server::app(state);
        let reply = post(
            &app,
            "did_create",
            &[("u", "admin"), ("provider_id", "1"), ("did", "37060000001")],
        )
        .await;
        assert_eq!(error_of(&reply).as_deref(), Some("DID already exists"));
        let reply = post(
            &app,
            "did_create",
            &[("u", "admin"), ("provider_id", "1"), ("did", "37060000009")],
        )
        .await;
        assert!(reply.contains("<id>4</id>"), "{reply}");
        let reply = post(
            &app,
            "device_create",
            &[("u", "admin"), ("user_id", "2"), ("pin", "111111")],
        )
        .await;
        assert_eq!(error_of(&reply).as_deref(), Some("Pin is already used"));
        let reply = post(&app, "device_create", &[("u", "admin"), ("user_id", "2")]).await;
        assert!(error_of(&reply).is_none(), "{reply}");
        eprintln!(
            "copy [{}]: {} rows in {} tables, identical",
            backend_of(&server),
            expected.values().map(Vec::len).sum::<usize>(),
            expected.len()
        );
    }
}

/// Placeholder database URL for commands that name their own (`copy`).
const BIN_NO_DB: &str = "sqlite:///nonexistent/unused.db";

async fn post(app: &axum::Router, method: &str, params: &[(&str, &str)]) -> String {
    use tower::ServiceExt;
    let lists = api::route(method).and_then(|m| m.hash).unwrap();
    let mut p = Params::new();
    for (k, v) in params {
        p.insert(*k, *v);
    }
    let hash = hash::sha1_hex(&hash::hashed_string(lists[0], &p, SECRET, false));
    let mut all = params.to_vec();
    all.push(("hash", &hash));
    let request = axum::http::Request::post(format!("/api/{method}"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(axum::body::Body::from(encode(&all)))
        .unwrap();
    let response = app.clone().oneshot(request).await.unwrap();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
    String::from_utf8(bytes.to_vec()).unwrap()
}

// ---------------------------------------------------------------------------------------------
// recovery

fn pg_ctl(action: &str) {
    let version = std::fs::read_dir("/etc/postgresql")
        .expect("/etc/postgresql")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .next()
        .expect("a PostgreSQL cluster");
    let status = Command::new("pg_ctlcluster")
        .args(["--skip-systemctl-redirect", &version, "main", action])
        .status()
        .expect("pg_ctlcluster");
    assert!(status.success(), "pg_ctlcluster {action}");
}

/// Stops the local PostgreSQL under a running moray and starts it again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recovery_after_the_database_goes_away_and_comes_back() {
    if std::env::var("MORAY_TEST_RECOVERY").as_deref() != Ok("1") {
        return;
    }
    let Some(server) = server_urls().into_iter().find(|url| url.starts_with("postgres")) else {
        return;
    };
    let db = fresh_db(&server);
    let url = db.url.clone();
    run_ok(
        &url,
        &[
            "init",
            "--admin-password",
            "admin-pass1",
            "--api-secret",
            SECRET,
            "--json",
        ],
    );
    let moray = serve(
        &url,
        db.dir.path(),
        "recovery",
        &["--db-acquire-timeout-secs", "2", "--db-timeout-secs", "5"],
    )
    .await;
    let client = reqwest::Client::new();
    let group = |n: usize| {
        let client = client.clone();
        let address = moray.address.clone();
        async move {
            let params = signed(
                "reseller_group_create",
                &pairs(&[("u", "admin"), ("name", &format!("group {n}"))]),
                SECRET,
            );
            let started = Instant::now();
            let reply = client
                .post(format!("http://{address}/api/reseller_group_create"))
                .header("content-type", "application/x-www-form-urlencoded")
                .body(form(&params))
                .timeout(Duration::from_secs(30))
                .send()
                .await
                .expect("moray answers while the database is down");
            let status = reply.status();
            (status, reply.text().await.unwrap(), started.elapsed())
        }
    };
    let (status, body, _) = group(0).await;
    assert_eq!(status, 200);
    assert!(error_of(&body).is_none(), "{body}");

    pg_ctl("stop");
    let mut slowest = Duration::ZERO;
    for n in 1..=3 {
        let (status, body, took) = group(n).await;
        assert_eq!(status, 200, "{body}");
        assert!(body.starts_with("<?xml"), "an XML answer: {body}");
        assert_eq!(
            error_of(&body).as_deref(),
            Some("Reseller Group was not created"),
            "{body}"
        );
        slowest = slowest.max(took);
    }
    assert!(
        slowest < Duration::from_secs(10),
        "answers within the timeout: {slowest:?}"
    );

    pg_ctl("start");
    let restarted = Instant::now();
    let mut n = 100;
    let recovered = loop {
        n += 1;
        let (_, body, _) = group(n).await;
        if error_of(&body).is_none() {
            break restarted.elapsed();
        }
        assert!(
            restarted.elapsed() < Duration::from_secs(60),
            "moray did not recover: {body}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let mut moray = moray;
    assert!(
        moray.child.try_wait().unwrap().is_none(),
        "the same moray process kept running"
    );
    let figures = format!(
        "recovery [postgres]: while down, requests answered the XML failure envelope in at most {:.2} s; \
         after the restart the first request succeeded {:.2} s later, same process",
        slowest.as_secs_f64(),
        recovered.as_secs_f64()
    );
    eprintln!("{figures}");
    std::fs::write(
        std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("recovery-postgres.txt"),
        format!("{figures}\n"),
    )
    .unwrap();
}
