//! The `moray` binary (spec H, C): init, settings, users, providers, hash, and serve end to end.

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::*;

// ---------------------------------------------------------------------------------------------
// helpers

const BIN: &str = env!("CARGO_BIN_EXE_moray");

struct Out {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Out {
    fn ok(&self) -> bool {
        self.code == Some(0)
    }

    #[track_caller]
    fn success(self, what: &str) -> Out {
        assert!(
            self.ok(),
            "{what}: exit {:?}\nstdout: {}\nstderr: {}",
            self.code,
            self.stdout,
            self.stderr
        );
        self
    }

    /// Non-zero exit with a one-line message on standard error (spec H).
    #[track_caller]
    fn refused(self, what: &str) -> Out {
        assert!(
            self.code.is_some_and(|c| c != 0),
            "{what}: should fail, exit {:?}\nstdout: {}\nstderr: {}",
            self.code,
            self.stdout,
            self.stderr
        );
        let message = self.stderr.trim_end_matches('\n');
        assert!(!message.trim().is_empty(), "{what}: a message on stderr");
        assert_eq!(
            message.lines().count(),
            1,
            "{what}: one line on stderr: {:?}",
            self.stderr
        );
        self
    }

    fn json(&self) -> serde_json::Map<String, serde_json::Value> {
        let text = self.stdout.trim_end_matches('\n');
        assert_eq!(text.lines().count(), 1, "--json prints one line: {:?}", self.stdout);
        match serde_json::from_str::<serde_json::Value>(text).expect("JSON object") {
            serde_json::Value::Object(map) => map,
            other => panic!("not an object: {other}"),
        }
    }
}

/// A command of the binary with a clean environment (no inherited MORAY_*) and a cheap argon2.
fn command(args: &[&str]) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.args(args)
        .env_remove("MORAY_DATABASE")
        .env_remove("MORAY_LISTEN")
        .env_remove("MORAY_LOG")
        .env("MORAY_ARGON2_MEMORY_KIB", "1024")
        .env("MORAY_ARGON2_ITERATIONS", "1")
        .stdin(Stdio::null());
    cmd
}

fn run(mut cmd: Command) -> Out {
    let output = cmd.output().expect("run moray");
    Out {
        code: output.status.code(),
        stdout: String::from_utf8(output.stdout).expect("UTF-8 stdout"),
        stderr: String::from_utf8(output.stderr).expect("UTF-8 stderr"),
    }
}

/// A fresh database of the run's backend (a SQLite file in a temp dir by default);
/// `moray(&[...])` runs the binary against it.
struct Db {
    db: TestDb,
    url: String,
}

impl Db {
    fn new() -> Db {
        let db = TestDb::new();
        let url = db.url.clone();
        Db { db, url }
    }

    fn moray(&self, args: &[&str]) -> Out {
        let mut all = args.to_vec();
        all.push("--database");
        all.push(&self.url);
        run(command(&all))
    }

    fn init(&self, password: &str, key: &str) -> serde_json::Map<String, serde_json::Value> {
        self.moray(&["init", "--admin-password", password, "--api-secret", key, "--json"])
            .success("init")
            .json()
    }

    fn get(&self, name: &str, owner: Option<&str>) -> String {
        let mut args = vec!["settings", "get", name];
        if let Some(owner) = owner {
            args.extend(["--owner", owner]);
        }
        let out = self.moray(&args).success(&format!("settings get {name}"));
        out.stdout.strip_suffix('\n').unwrap_or(&out.stdout).to_string()
    }

    /// A temp dir of this test (holding the database file on SQLite).
    fn path(&self) -> &Path {
        self.db.dir.path()
    }
}

fn str_of<'a>(map: &'a serde_json::Map<String, serde_json::Value>, key: &str) -> &'a str {
    map.get(key)
        .and_then(|v| v.as_str())
        .unwrap_or_else(|| panic!("string {key} in {map:?}"))
}

fn keys(map: &serde_json::Map<String, serde_json::Value>) -> Vec<&str> {
    let mut keys: Vec<&str> = map.keys().map(String::as_str).collect();
    keys.sort_unstable();
    keys
}

fn is_uniquehash(text: &str) -> bool {
    text.len() == 10 && text.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
}

/// The value printed for `name` by `settings list` (a line `name<sep>value`).
fn listed<'a>(list: &'a str, name: &str) -> Option<&'a str> {
    list.lines().find_map(|line| {
        let rest = line.strip_prefix(name)?;
        let value = rest
            .strip_prefix('=')
            .or_else(|| rest.strip_prefix(':'))
            .or_else(|| rest.strip_prefix(char::is_whitespace))?;
        Some(value.trim())
    })
}

/// A running `moray serve`, killed if the test fails before it stops.
struct Server {
    child: Option<Child>,
    address: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(child) = &mut self.child
            && child.try_wait().ok().flatten().is_none()
        {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

async fn start_server(db: &Db) -> Server {
    let port = free_port();
    let address = format!("127.0.0.1:{port}");
    let log = std::fs::File::create(db.path().join("serve.log")).unwrap();
    let child = command(&["serve", "--listen", &address, "--database", &db.url])
        .stdout(Stdio::null())
        .stderr(Stdio::from(log))
        .spawn()
        .expect("spawn moray serve");
    let mut server = Server {
        child: Some(child),
        address,
    };
    let http = client();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Ok(reply) = http.get(format!("http://{}/healthz", server.address)).send().await
            && reply.status() == 200
            && reply.text().await.unwrap_or_default() == "ok"
        {
            return server;
        }
        if let Some(status) = server.child.as_mut().unwrap().try_wait().unwrap() {
            let log = std::fs::read_to_string(db.path().join("serve.log")).unwrap_or_default();
            panic!("moray serve exited early with {status}: {log}");
        }
        assert!(
            Instant::now() < deadline,
            "moray serve did not answer /healthz within 10 s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// SIGTERM, then the exit status within a few seconds.
fn terminate(server: &mut Server) -> std::process::ExitStatus {
    let child = server.child.as_mut().unwrap();
    let pid = child.id().to_string();
    let killed = Command::new("kill").args(["-TERM", &pid]).status().expect("run kill");
    assert!(killed.success(), "kill -TERM {pid}");
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        assert!(
            Instant::now() < deadline,
            "moray serve did not exit within 5 s of SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

/// Every setting of spec C with its default after `moray init` (allow_api = 1; the key is set).
const DEFAULTS: &[(&str, &str)] = &[
    ("allow_api", "1"),
    ("allow_get_api", "0"),
    ("disable_hash_checking", "0"),
    ("api_allow_registration", "0"),
    ("xml_api_extension", "0"),
    ("asterisk_server_ip", "127.0.0.1"),
    ("send_email_to_user_after_registration", "0"),
    ("send_email_to_admin_after_registration", "0"),
    ("send_email_to_reseller_after_registration", "0"),
    ("default_user_password_length", "6"),
    ("default_user_username_length", "1"),
    ("use_strong_passwords_for_users", "0"),
    ("allow_short_passwords_in_devices", "0"),
    ("use_registration_credentials_for_device", "0"),
    ("allow_identical_email_addresses_to_different_users", "0"),
    ("registration_enable_vat_checking", "0"),
    ("registration_allow_vat_blank", "1"),
    ("default_device_type", "SIP"),
    ("device_pin_length", "6"),
    ("device_range_min", "101"),
    ("device_range_max", "99999"),
    ("resellers_can_add_their_own_dids", "0"),
    ("reseller_default_did_provider_id", ""),
    ("resellers_allow_use_virtual_device", "0"),
    ("resellers_allow_use_dahdi_device", "0"),
    ("allow_resellers_to_use_admin_tariffs", "0"),
    ("sip_realm", "asterisk"),
];

// ---------------------------------------------------------------------------------------------
// init

#[test]
fn init_prints_the_given_credentials_as_one_json_object() {
    let db = Db::new();
    let out = db
        .moray(&[
            "init",
            "--admin-password",
            "P4ssword!",
            "--api-secret",
            "S3cretKey",
            "--json",
        ])
        .success("init");
    let json = out.json();
    assert_eq!(
        keys(&json),
        ["admin_password", "admin_username", "api_secret_key", "uniquehash"]
    );
    assert_eq!(str_of(&json, "admin_username"), "admin");
    assert_eq!(str_of(&json, "admin_password"), "P4ssword!");
    assert_eq!(str_of(&json, "api_secret_key"), "S3cretKey");
    assert!(is_uniquehash(str_of(&json, "uniquehash")), "{json:?}");
    assert_eq!(db.get("api_secret_key", None), "S3cretKey");
    assert_eq!(db.get("allow_api", None), "1");
}

#[test]
fn a_second_init_changes_nothing_and_says_so() {
    let db = Db::new();
    db.init("firstpass", "firstkey");
    for args in [
        vec![
            "init",
            "--admin-password",
            "otherpass",
            "--api-secret",
            "otherkey",
            "--json",
        ],
        vec!["init"],
        vec!["init", "--json"],
    ] {
        let out = db.moray(&args).success("second init");
        let said = format!("{}{}", out.stdout, out.stderr).to_lowercase();
        assert!(
            said.contains("already"),
            "{args:?} says the database is already initialized: {said:?}"
        );
        assert!(
            !out.stdout.contains("otherkey") && !out.stderr.contains("otherkey"),
            "{args:?}: no new credentials"
        );
        assert_eq!(db.get("api_secret_key", None), "firstkey", "{args:?}: key unchanged");
    }
    // the hash command still uses the first key
    let out = db.moray(&["hash", "reseller_group_create", "name=x"]).success("hash");
    assert_eq!(
        out.stdout.lines().next().unwrap(),
        moray::api::hash::sha1_hex("xfirstkey")
    );
}

#[test]
fn init_generates_what_is_omitted() {
    let db = Db::new();
    let json = db.moray(&["init", "--json"]).success("init").json();
    assert_eq!(
        keys(&json),
        ["admin_password", "admin_username", "api_secret_key", "uniquehash"]
    );
    assert_eq!(str_of(&json, "admin_username"), "admin");
    assert!(!str_of(&json, "admin_password").is_empty());
    let key = str_of(&json, "api_secret_key");
    assert!(key.chars().count() >= 6, "{key:?}");
    assert!(is_uniquehash(str_of(&json, "uniquehash")), "{json:?}");
    assert_eq!(db.get("api_secret_key", None), key);
    // two installs get different secrets
    let other = Db::new();
    let json2 = other.moray(&["init", "--json"]).success("init").json();
    assert_ne!(str_of(&json2, "api_secret_key"), key);
    assert_ne!(str_of(&json2, "admin_password"), str_of(&json, "admin_password"));
    // only one of them omitted
    let db = Db::new();
    let json = db
        .moray(&["init", "--api-secret", "given-key", "--json"])
        .success("init")
        .json();
    assert_eq!(str_of(&json, "api_secret_key"), "given-key");
    assert!(!str_of(&json, "admin_password").is_empty());
    // without --json the credentials are still printed
    let db = Db::new();
    let out = db
        .moray(&["init", "--admin-password", "plainpass", "--api-secret", "plainkey"])
        .success("init");
    assert!(
        out.stdout.contains("plainpass") && out.stdout.contains("plainkey"),
        "{}",
        out.stdout
    );
}

#[test]
fn init_refuses_a_short_api_secret() {
    let db = Db::new();
    for key in ["abc", "abcde", ""] {
        db.moray(&["init", "--admin-password", "P", "--api-secret", key, "--json"])
            .refused(&format!("--api-secret {key:?}"));
    }
    // nothing was written: a valid init afterwards takes its values
    let json = db.init("P", "abcdef");
    assert_eq!(str_of(&json, "api_secret_key"), "abcdef");
}

#[test]
fn the_database_comes_from_the_environment_or_either_position_of_the_flag() {
    let db = Db::new();
    let mut cmd = command(&[
        "init",
        "--admin-password",
        "envpass1",
        "--api-secret",
        "envkey123",
        "--json",
    ]);
    cmd.env("MORAY_DATABASE", &db.url);
    let json = run(cmd).success("init via MORAY_DATABASE").json();
    assert_eq!(str_of(&json, "api_secret_key"), "envkey123");
    if backend_name() == "sqlite" {
        assert!(db.path().join("moray.db").exists(), "the env database was created");
    }
    // --database before the subcommand
    let out = run(command(&["--database", &db.url, "settings", "get", "api_secret_key"])).success("--database first");
    assert_eq!(out.stdout.trim_end(), "envkey123");
    // after it
    assert_eq!(db.get("api_secret_key", None), "envkey123");
    // the env again, for a read
    let mut cmd = command(&["settings", "get", "api_secret_key"]);
    cmd.env("MORAY_DATABASE", &db.url);
    assert_eq!(run(cmd).success("get via env").stdout.trim_end(), "envkey123");
}

// ---------------------------------------------------------------------------------------------
// settings

#[test]
fn settings_list_shows_every_setting_with_its_default() {
    let db = Db::new();
    db.init("adminpass", "listkey1");
    let out = db.moray(&["settings", "list"]).success("settings list");
    for (name, default) in DEFAULTS {
        assert_eq!(listed(&out.stdout, name), Some(*default), "{name} in:\n{}", out.stdout);
    }
    assert_eq!(listed(&out.stdout, "api_secret_key"), Some("listkey1"));
    assert!(
        out.stdout.lines().any(|l| l.starts_with("registration_notice")),
        "registration_notice listed"
    );
    assert!(
        out.stdout
            .contains("*ATTENTION! These settings are for you to configure your DEVICE."),
        "notice default"
    );
    // get gives the same values
    for (name, default) in DEFAULTS {
        assert_eq!(db.get(name, None), *default, "settings get {name}");
    }
    assert!(db.get("registration_notice", None).starts_with("*ATTENTION!"));
}

#[test]
fn settings_get_refuses_an_unknown_name() {
    let db = Db::new();
    db.init("adminpass", "secret1");
    db.moray(&["settings", "get", "no_such_setting"])
        .refused("unknown name");
}

#[test]
fn settings_set_validates() {
    let db = Db::new();
    db.init("adminpass", "secret1");
    // good values
    for (name, value) in [
        ("allow_get_api", "1"),
        ("xml_api_extension", "1"),
        ("disable_hash_checking", "1"),
        ("device_pin_length", "8"),
        ("asterisk_server_ip", "10.0.0.5"),
        ("api_secret_key", "newkey99"),
        ("sip_realm", "example.org"),
        ("registration_notice", "Hello"),
        ("reseller_default_did_provider_id", "3"),
    ] {
        db.moray(&["settings", "set", name, value])
            .success(&format!("set {name} {value}"));
        assert_eq!(db.get(name, None), value, "{name}");
    }
    // an empty key means "no key" (spec H)
    db.moray(&["settings", "set", "api_secret_key", ""])
        .success("empty key");
    assert_eq!(db.get("api_secret_key", None), "");
    db.moray(&["settings", "set", "api_secret_key", "newkey99"])
        .success("key again");
    // bad ones: non-zero, one line on stderr, value unchanged
    for (name, value, kept) in [
        ("no_such_setting", "1", None),
        ("allow_api", "2", Some("1")),
        ("allow_api", "yes", Some("1")),
        ("allow_api", "", Some("1")),
        ("disable_hash_checking", "true", Some("1")),
        ("api_secret_key", "abc", Some("newkey99")),
        ("api_secret_key", "12345", Some("newkey99")),
        ("device_pin_length", "-1", Some("8")),
        ("device_pin_length", "six", Some("8")),
        ("device_range_min", "", Some("101")),
        ("default_device_type", "SCCP", Some("SIP")),
        ("sip_realm", "", Some("example.org")),
    ] {
        db.moray(&["settings", "set", name, value])
            .refused(&format!("set {name} {value:?}"));
        if let Some(kept) = kept {
            assert_eq!(db.get(name, None), kept, "{name} unchanged");
        }
    }
}

#[test]
fn owner_scoped_settings_per_reseller() {
    let db = Db::new();
    db.init("adminpass", "adminkey");
    db.moray(&[
        "users",
        "add",
        "--username",
        "r1",
        "--password",
        "r1pass99",
        "--type",
        "reseller",
    ])
    .success("add reseller");
    db.moray(&[
        "users",
        "add",
        "--username",
        "u1",
        "--password",
        "u1pass99",
        "--type",
        "user",
    ])
    .success("add user");
    // a reseller inherits admin's values until it has its own
    assert_eq!(db.get("api_secret_key", Some("r1")), "adminkey");
    assert_eq!(db.get("allow_api", Some("r1")), "1");
    db.moray(&["settings", "set", "api_secret_key", "resellerkey", "--owner", "r1"])
        .success("set --owner");
    db.moray(&["settings", "set", "allow_api", "0", "--owner", "r1"])
        .success("set --owner");
    assert_eq!(db.get("api_secret_key", Some("r1")), "resellerkey");
    assert_eq!(db.get("allow_api", Some("r1")), "0");
    assert_eq!(
        db.get("api_secret_key", None),
        "adminkey",
        "admin's own value unchanged"
    );
    assert_eq!(db.get("allow_api", None), "1");
    let list = db
        .moray(&["settings", "list", "--owner", "r1"])
        .success("list --owner")
        .stdout;
    assert_eq!(listed(&list, "api_secret_key"), Some("resellerkey"));
    // validation applies to owner values too
    db.moray(&["settings", "set", "api_secret_key", "abc", "--owner", "r1"])
        .refused("short key --owner");
    assert_eq!(db.get("api_secret_key", Some("r1")), "resellerkey");
    // admin-scoped settings are refused with --owner
    for name in [
        "allow_get_api",
        "xml_api_extension",
        "device_pin_length",
        "sip_realm",
        "resellers_can_add_their_own_dids",
    ] {
        let before = db.get(name, None);
        db.moray(&["settings", "set", name, "1", "--owner", "r1"])
            .refused(&format!("{name} --owner"));
        assert_eq!(db.get(name, None), before, "{name} unchanged");
    }
    // unknown owner
    db.moray(&["settings", "set", "allow_api", "1", "--owner", "nobody"])
        .refused("unknown owner");
    // unset: back to admin's value
    db.moray(&["settings", "unset", "api_secret_key", "--owner", "r1"])
        .success("unset");
    assert_eq!(db.get("api_secret_key", Some("r1")), "adminkey");
    db.moray(&["settings", "set", "api_secret_key", "changedadmin"])
        .success("admin set");
    assert_eq!(
        db.get("api_secret_key", Some("r1")),
        "changedadmin",
        "inherits admin's current value"
    );
    assert_eq!(db.get("allow_api", Some("r1")), "0", "other own values stay");
    db.moray(&["settings", "unset", "allow_api", "--owner", "r1"])
        .success("unset allow_api");
    assert_eq!(db.get("allow_api", Some("r1")), "1");
    db.moray(&["settings", "unset", "no_such_setting", "--owner", "r1"])
        .refused("unset unknown name");
}

// ---------------------------------------------------------------------------------------------
// users and providers

#[tokio::test]
async fn users_add_prints_id_and_uniquehash_and_stores_the_user() {
    let db = Db::new();
    db.init("adminpass", "secret1");
    let r1 = db
        .moray(&[
            "users",
            "add",
            "--username",
            "r1",
            "--password",
            "r1pass99",
            "--type",
            "reseller",
            "--json",
        ])
        .success("reseller")
        .json();
    assert_eq!(keys(&r1), ["id", "uniquehash", "username", "usertype"]);
    assert_eq!(str_of(&r1, "username"), "r1");
    assert_eq!(str_of(&r1, "usertype"), "reseller");
    assert!(is_uniquehash(str_of(&r1, "uniquehash")), "{r1:?}");
    let r1_id = r1["id"].as_i64().expect("integer id");
    assert!(r1_id > 0);

    let u = db
        .moray(&[
            "users",
            "add",
            "--username",
            "c1",
            "--password",
            "c1pass99",
            "--type",
            "user",
            "--owner",
            "r1",
            "--json",
        ])
        .success("user")
        .json();
    assert_eq!(str_of(&u, "usertype"), "user");
    let u_id = u["id"].as_i64().unwrap();
    let acc = db
        .moray(&[
            "users",
            "add",
            "--username",
            "acc",
            "--password",
            "accpass9",
            "--type",
            "accountant",
            "--rights",
            "manage_dids=2,device_manage",
            "--json",
        ])
        .success("accountant")
        .json();
    assert_eq!(str_of(&acc, "usertype"), "accountant");
    let acc2 = db
        .moray(&[
            "users",
            "add",
            "--username",
            "acc2",
            "--password",
            "accpass9",
            "--type",
            "accountant",
            "--rights",
            "user_manage=1,device_manage=0",
            "--json",
        ])
        .success("accountant 2")
        .json();
    // without --json: the id and the uniquehash are printed
    let out = db
        .moray(&[
            "users",
            "add",
            "--username",
            "plain",
            "--password",
            "plainpass",
            "--type",
            "user",
        ])
        .success("plain");
    let store = moray::storage::open_with(&db.url, &test_db_options()).await.unwrap();
    let plain = store.user_by_username("plain").await.unwrap().expect("stored");
    assert!(
        out.stdout.contains(&plain.id.to_string()) && out.stdout.contains(&plain.uniquehash),
        "{}",
        out.stdout
    );

    // what was stored
    let r1_user = store.user_by_id(r1_id).await.unwrap().expect("r1 stored");
    assert_eq!(r1_user.username, "r1");
    assert_eq!(r1_user.uniquehash, str_of(&r1, "uniquehash"));
    assert_eq!(r1_user.owner_id, 0);
    let c1 = store.user_by_id(u_id).await.unwrap().expect("c1 stored");
    assert_eq!(c1.owner_id, r1_id, "--owner r1");
    assert_eq!(c1.uniquehash, str_of(&u, "uniquehash"));
    let acc_user = store.user_by_username("acc").await.unwrap().unwrap();
    assert_eq!(acc_user.right("manage_dids"), 2);
    assert_eq!(acc_user.right("device_manage"), 2, "a bare name means level 2");
    assert_eq!(acc_user.right("user_manage"), 0);
    let acc2_user = store.user_by_id(acc2["id"].as_i64().unwrap()).await.unwrap().unwrap();
    assert_eq!(acc2_user.right("user_manage"), 1);
    assert_eq!(acc2_user.right("device_manage"), 0);
    assert_eq!(
        store.user_by_username("plain").await.unwrap().unwrap().owner_id,
        0,
        "default owner admin"
    );

    // duplicates, also in another letter case (usernames compare case-insensitively)
    for name in ["r1", "R1", "ACC", "admin"] {
        db.moray(&[
            "users",
            "add",
            "--username",
            name,
            "--password",
            "whatever9",
            "--type",
            "user",
        ])
        .refused(&format!("duplicate {name}"));
    }
    // bad input
    db.moray(&[
        "users",
        "add",
        "--username",
        "x1",
        "--password",
        "whatever9",
        "--type",
        "superuser",
    ])
    .refused("bad type");
    db.moray(&[
        "users",
        "add",
        "--username",
        "x2",
        "--password",
        "whatever9",
        "--type",
        "user",
        "--owner",
        "nobody",
    ])
    .refused("unknown owner");
    db.moray(&[
        "users",
        "add",
        "--username",
        "x3",
        "--password",
        "whatever9",
        "--type",
        "accountant",
        "--rights",
        "no_such_right=2",
    ])
    .refused("unknown right");
    assert!(store.user_by_username("x1").await.unwrap().is_none());
    assert!(store.user_by_username("x2").await.unwrap().is_none());
    assert!(store.user_by_username("x3").await.unwrap().is_none());
}

#[tokio::test]
async fn providers_add_prints_id_and_name() {
    let db = Db::new();
    db.init("adminpass", "secret1");
    let json = db
        .moray(&["providers", "add", "--name", "Main trunk", "--json"])
        .success("provider")
        .json();
    assert_eq!(keys(&json), ["id", "name"]);
    assert_eq!(str_of(&json, "name"), "Main trunk");
    let id = json["id"].as_i64().expect("integer id");
    let out = db
        .moray(&["providers", "add", "--name", "Second"])
        .success("provider 2");
    let store = moray::storage::open_with(&db.url, &test_db_options()).await.unwrap();
    let provider = store.provider(id).await.unwrap().expect("stored");
    assert_eq!(provider.name, "Main trunk");
    assert_eq!(provider.owner_id, 0);
    assert!(
        out.stdout.contains(&(id + 1).to_string()),
        "prints the id: {}",
        out.stdout
    );
    assert_eq!(store.provider(id + 1).await.unwrap().expect("second").name, "Second");
}

// ---------------------------------------------------------------------------------------------
// hash

#[test]
fn hash_prints_the_hash_and_the_hashed_string() {
    let db = Db::new();
    db.init("adminpass", "dbsecret");
    let out = db
        .moray(&[
            "hash",
            "device_create",
            "user_id=2",
            "description=desription1",
            "pin=3",
            "--secret",
            "secret",
        ])
        .success("hash");
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines[0], "6e79d4a82f68102f43be11d873177f47817f84df");
    assert!(lines[1].ends_with("2desription13secret"), "{:?}", lines[1]);
    // parameters outside the hash list and their order do not matter
    let out = db
        .moray(&[
            "hash",
            "device_create",
            "u=admin",
            "pin=3",
            "description=desription1",
            "user_id=2",
            "--secret",
            "secret",
        ])
        .success("hash, shuffled");
    assert_eq!(
        out.stdout.lines().next().unwrap(),
        "6e79d4a82f68102f43be11d873177f47817f84df"
    );
    // other vectors (primary lists)
    let out = db
        .moray(&[
            "hash",
            "did_create",
            "provider_id=1",
            "did=123456789",
            "--secret",
            "secret",
        ])
        .success("did_create");
    assert_eq!(
        out.stdout.lines().next().unwrap(),
        "cb9dff0d59f7ffaf036d55b57c817bf528edb54a"
    );
    let out = db
        .moray(&[
            "hash",
            "reseller_group_create",
            "name=Another Reseller Group",
            "--secret",
            "secret",
        ])
        .success("group");
    assert_eq!(
        out.stdout.lines().next().unwrap(),
        "1bc97e7c9ae39130046c034076d063db798dcab7"
    );
    let out = db
        .moray(&[
            "hash",
            "registration",
            "email=john@example.com",
            "id=hfttv7bcqt",
            "device_type=SIP",
            "username=john",
            "first_name=John",
            "last_name=Doe",
            "password=x",
            "--secret",
            "secret",
        ])
        .success("registration");
    assert_eq!(
        out.stdout.lines().next().unwrap(),
        "07e4a5195113fbebfa7b3cb258569ace3e4d56f0"
    );
    // without --secret: admin's key from the database
    let out = db
        .moray(&["hash", "device_create", "user_id=2", "description=desription1", "pin=3"])
        .success("db key");
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines[0], moray::api::hash::sha1_hex("2desription13dbsecret"));
    assert!(lines[1].ends_with("2desription13dbsecret"), "{:?}", lines[1]);
    // unknown method
    db.moray(&["hash", "foo_bar", "a=1", "--secret", "secret"])
        .refused("unknown method");
}

// ---------------------------------------------------------------------------------------------
// serve

#[tokio::test]
async fn serve_answers_the_api_and_stops_on_sigterm() {
    let db = Db::new();
    db.init("adminpass", "servekey");
    let bob = db
        .moray(&[
            "users",
            "add",
            "--username",
            "bob",
            "--password",
            "bobpass99",
            "--type",
            "user",
            "--json",
        ])
        .success("bob")
        .json();
    let bob_id = bob["id"].as_i64().unwrap().to_string();
    let mut server = start_server(&db).await;
    let http = client();

    let hash_out = db
        .moray(&[
            "hash",
            "device_create",
            &format!("user_id={bob_id}"),
            "description=from curl",
        ])
        .success("hash");
    let hash = hash_out.stdout.lines().next().unwrap().to_string();
    let reply = http
        .post(format!("http://{}/billing/api/device_create", server.address))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(encode(&[
            ("u", "admin"),
            ("user_id", &bob_id),
            ("description", "from curl"),
            ("hash", &hash),
        ]))
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 200);
    assert_eq!(reply.headers().get("content-type").unwrap(), "text/html; charset=utf-8");
    let body = reply.text().await.unwrap();
    assert!(
        body.starts_with(&format!(
            "{DECL}<page>\n  <status>Device created</status>\n  <id>1</id>\n  <username>101</username>\n  <password>"
        )),
        "{body}"
    );
    assert!(body.ends_with("</password>\n</page>\n"), "{body}");

    // a wrong hash over the same socket
    let reply = http
        .post(format!("http://{}/api/device_create", server.address))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(encode(&[
            ("u", "admin"),
            ("user_id", &bob_id),
            ("hash", &"0".repeat(40)),
        ]))
        .send()
        .await
        .unwrap();
    assert_eq!(reply.text().await.unwrap(), page_error("Incorrect hash"));

    let status = terminate(&mut server);
    assert_eq!(status.code(), Some(0), "exit status after SIGTERM: {status}");
    assert!(
        http.get(format!("http://{}/healthz", server.address))
            .send()
            .await
            .is_err(),
        "no longer listening"
    );
}

#[tokio::test]
async fn a_running_server_applies_a_changed_setting_within_a_second() {
    let db = Db::new();
    db.init("adminpass", "servekey");
    let mut server = start_server(&db).await;
    let http = client();
    let group = |name: &str| {
        let hash = moray::api::hash::sha1_hex(&format!("{name}servekey"));
        encode(&[("u", "admin"), ("name", name), ("hash", &hash)])
    };
    let url = format!("http://{}/api/reseller_group_create", server.address);
    let reply = http
        .post(&url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(group("G0"))
        .send()
        .await
        .unwrap();
    assert!(
        reply
            .text()
            .await
            .unwrap()
            .contains("<success>Reseller Group successfully created</success>")
    );

    db.moray(&["settings", "set", "allow_api", "0"])
        .success("disable the API");
    let changed = Instant::now();
    let disabled = status_error("API Requests are disabled");
    let mut n = 0;
    loop {
        n += 1;
        let body = http
            .post(&url)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(group(&format!("G{n}")))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        if body == disabled {
            break;
        }
        // one second by the spec, plus a little slack for a loaded test machine
        assert!(
            changed.elapsed() < Duration::from_millis(1500),
            "setting not applied after {:?}: {body}",
            changed.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let status = terminate(&mut server);
    assert_eq!(status.code(), Some(0));
}
