//! Test harness: a fresh database per test, admin initialized with password `admin1` and API
//! secret key `secret`, the real router driven in-process or over a real socket.
//!
//! The backend of a run comes from `MORAY_TEST_DATABASE`: unset (or `sqlite`) means a SQLite file
//! per test; a server URL (`postgres://postgres@127.0.0.1/postgres`,
//! `mysql://root@127.0.0.1/mysql`) means a fresh `moray_t_…` database on that server per test,
//! dropped when the test ends. `scripts/test` runs the suite once per backend.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::mpsc;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode};
use moray::admin::{self, UserSpec};
use moray::api::{self, Params, hash};
use moray::secrets::PasswordCost;
use moray::state::{AppState, Config};
use moray::storage::DbOptions;
use moray::storage::raw::RawDb;
pub use moray::storage::server::{Param, Value};
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use tower::ServiceExt;

pub const SECRET: &str = "secret";
pub const ADMIN_PASSWORD: &str = "admin1";
pub const DECL: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";

pub struct TestApp {
    pub state: AppState,
    router: Router,
    pub db_url: String,
    pub admin_uniquehash: String,
    sql: SqlWorker,
    _db: TestDb,
}

#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// A cheap argon2id cost so tests spend their time on behaviour, not hashing.
pub fn test_config() -> Config {
    Config {
        password_cost: PasswordCost {
            memory_kib: 1024,
            iterations: 1,
        },
    }
}

impl TestApp {
    pub async fn new() -> TestApp {
        TestApp::with_db(TestDb::new()).await
    }

    /// An app on a given fresh database.
    pub async fn with_db(db: TestDb) -> TestApp {
        let db_url = db.url.clone();
        let sql = SqlWorker::new(db_url.clone());
        let store = moray::storage::open_with(&db_url, &test_db_options())
            .await
            .expect("open store");
        let config = test_config();
        let credentials = admin::initialize(&store, &config, Some(ADMIN_PASSWORD.into()), Some(SECRET.into()))
            .await
            .expect("initialize")
            .expect("fresh database");
        let state = AppState::new(store, config);
        TestApp {
            router: moray::server::app(state.clone()),
            state,
            db_url,
            admin_uniquehash: credentials.uniquehash,
            sql,
            _db: db,
        }
    }

    // ---- direct SQL on the test database, any backend (`?` or `?N` placeholders) ----

    /// Runs one statement; returns the rows affected.
    pub fn exec(&self, sql: &str, args: Vec<Value>) -> u64 {
        let sql = sql.to_owned();
        self.sql
            .run(move |db| Box::pin(async move { db.execute(&sql, args).await.map_err(|e| e.to_string()) }))
            .unwrap_or_else(|e| panic!("SQL failed: {e}"))
    }

    /// Runs one INSERT into a table keyed by `id`; returns the new id.
    pub fn insert(&self, sql: &str, args: Vec<Value>) -> i64 {
        let sql = sql.to_owned();
        self.sql
            .run(move |db| Box::pin(async move { db.insert(&sql, args).await.map_err(|e| e.to_string()) }))
            .unwrap_or_else(|e| panic!("SQL failed: {e}"))
    }

    /// Runs one statement per argument list, all in one transaction.
    pub fn exec_many(&self, sql: &str, rows: Vec<Vec<Value>>) {
        let sql = sql.to_owned();
        self.sql
            .run(move |db| Box::pin(async move { db.execute_many(&sql, rows).await.map_err(|e| e.to_string()) }))
            .unwrap_or_else(|e| panic!("SQL failed: {e}"))
    }

    pub fn query_rows(&self, sql: &str, args: Vec<Value>) -> Vec<TRow> {
        let sql = sql.to_owned();
        let rows = self
            .sql
            .run(move |db| Box::pin(async move { db.query(&sql, args).await.map_err(|e| e.to_string()) }))
            .unwrap_or_else(|e| panic!("SQL failed: {e}"));
        rows.into_iter().map(TRow).collect()
    }

    /// The one row a query returns.
    pub fn query_row(&self, sql: &str, args: Vec<Value>) -> TRow {
        let mut rows = self.query_rows(sql, args);
        assert!(!rows.is_empty(), "no row from {sql}");
        rows.swap_remove(0)
    }

    pub fn query_i64(&self, sql: &str, args: Vec<Value>) -> i64 {
        self.query_row(sql, args).i64(0)
    }

    pub fn query_text(&self, sql: &str, args: Vec<Value>) -> String {
        self.query_row(sql, args).text(0)
    }

    /// The first column of the one row, shown as text whatever its type (SQLite's
    /// `CAST(x AS TEXT)`: integers as digits, reals with at least one decimal, NULL as "").
    pub fn query_string(&self, sql: &str, args: Vec<Value>) -> String {
        self.query_opt_string(sql, args).unwrap_or_default()
    }

    /// Like [`query_string`](Self::query_string), NULL as `None`.
    pub fn query_opt_string(&self, sql: &str, args: Vec<Value>) -> Option<String> {
        match &self.query_row(sql, args).0.0[0] {
            Value::Int(n) => Some(n.to_string()),
            Value::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => Some(format!("{f:.1}")),
            Value::Float(f) => Some(f.to_string()),
            Value::Text(t) => Some(t.clone()),
            Value::Bytes(b) => Some(String::from_utf8_lossy(b).into_owned()),
            Value::NullInt | Value::NullText => None,
        }
    }

    /// The integer a query without parameters returns (`SELECT COUNT(*) …`).
    pub fn count(&self, sql: &str) -> i64 {
        self.query_i64(sql, Vec::new())
    }

    pub fn store(&self) -> &moray::storage::DynStore {
        &self.state.store
    }

    /// Sets one of admin's settings (validated like the console does).
    pub async fn set(&self, name: &str, value: &str) {
        self.set_for(None, name, value).await;
    }

    /// Sets a setting in a reseller's own scope (`None` = admin).
    pub async fn set_for(&self, owner: Option<&str>, name: &str, value: &str) {
        let setting = moray::settings::find(name).unwrap_or_else(|| panic!("unknown setting {name}"));
        setting.validate(value).unwrap();
        let scope = match owner {
            None => 0,
            Some(owner) => self.store().user_by_username(owner).await.unwrap().expect("owner").id,
        };
        self.store()
            .set_setting(scope, name, &setting.canonical(value))
            .await
            .unwrap();
        self.state.settings.clear();
    }

    /// Creates a user owned by admin; returns (id, uniquehash).
    pub async fn user(&self, username: &str, usertype: &str) -> (i64, String) {
        self.user_with(UserSpec {
            username: username.into(),
            password: format!("{username}-pass1"),
            usertype: usertype.into(),
            first_name: "First".into(),
            last_name: "Last".into(),
            ..UserSpec::default()
        })
        .await
    }

    /// Creates a user from a full spec; returns (id, uniquehash).
    pub async fn user_with(&self, spec: UserSpec) -> (i64, String) {
        let (id, _, uniquehash) = admin::create_user(self.store(), &test_config(), spec)
            .await
            .expect("create user");
        (id, uniquehash)
    }

    /// Creates a provider owned by admin (`None`) or a Reseller PRO.
    pub async fn provider(&self, name: &str, owner: Option<&str>) -> i64 {
        admin::create_provider(self.store(), name, owner)
            .await
            .expect("create provider")
    }

    /// The hash of `method`'s primary list with `key` (what `moray hash` prints).
    pub fn hash_with(&self, method: &str, params: &[(&str, &str)], key: &str) -> String {
        let lists = api::route(method).and_then(|m| m.hash).expect("hash-checked method");
        let mut p = Params::new();
        for (k, v) in params {
            p.insert(*k, *v);
        }
        hash::sha1_hex(&hash::hashed_string(lists[0], &p, key, false))
    }

    /// POSTs an urlencoded body to `path` and returns the reply.
    pub async fn post(&self, path: &str, params: &[(&str, &str)]) -> Reply {
        let request = Request::post(path)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(Body::from(encode(params)))
            .unwrap();
        self.send(request).await
    }

    /// GETs `path` with `params` as the query string.
    pub async fn get(&self, path: &str, params: &[(&str, &str)]) -> Reply {
        let uri = format!("{path}?{}", encode(params));
        self.send(Request::get(uri).body(Body::empty()).unwrap()).await
    }

    /// POSTs `params` to `/api/METHOD`.
    pub async fn call(&self, method: &str, params: &[(&str, &str)]) -> Reply {
        self.post(&format!("/api/{method}"), params).await
    }

    /// Like [`call`](Self::call), adding the `hash` of the primary list with admin's key.
    pub async fn call_signed(&self, method: &str, params: &[(&str, &str)]) -> Reply {
        self.call_signed_with(method, params, SECRET).await
    }

    pub async fn call_signed_with(&self, method: &str, params: &[(&str, &str)], key: &str) -> Reply {
        let hash = self.hash_with(method, params, key);
        let mut all = params.to_vec();
        all.push(("hash", &hash));
        self.call(method, &all).await
    }

    pub async fn send(&self, request: Request<Body>) -> Reply {
        let response = self.router.clone().oneshot(request).await.expect("router answers");
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
        Reply {
            status,
            headers,
            body: String::from_utf8(bytes.to_vec()).expect("UTF-8 body"),
        }
    }

    /// Serves the app on a real socket; the server stops when the returned sender is dropped.
    pub async fn serve(&self) -> (SocketAddr, tokio::sync::oneshot::Sender<()>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let state = self.state.clone();
        tokio::spawn(async move {
            let _ = moray::server::serve(state, listener, async move {
                let _ = stopped.await;
            })
            .await;
        });
        (address, stop)
    }
}

/// `p![a, b]`: query parameters of mixed types.
macro_rules! p {
    ($($x:expr),* $(,)?) => {
        vec![$($crate::common::Param::value(&$x)),*]
    };
}

/// A fetched row; the getters panic on a type mismatch.
#[derive(Debug, Clone)]
pub struct TRow(pub moray::storage::server::Row);

impl TRow {
    pub fn i64(&self, i: usize) -> i64 {
        self.0.i64(i).unwrap()
    }
    pub fn bool(&self, i: usize) -> bool {
        self.0.bool(i).unwrap()
    }
    pub fn f64(&self, i: usize) -> f64 {
        self.0.f64(i).unwrap()
    }
    pub fn text(&self, i: usize) -> String {
        self.0.text(i).unwrap()
    }
    pub fn opt_text(&self, i: usize) -> Option<String> {
        self.0.opt_text(i).unwrap()
    }
    pub fn opt_i64(&self, i: usize) -> Option<i64> {
        self.0.opt_i64(i).unwrap()
    }
}

// ---------------------------------------------------------------- backends

/// The server database of this run (`MORAY_TEST_DATABASE`), or `None` for SQLite.
pub fn server_url() -> Option<String> {
    std::env::var("MORAY_TEST_DATABASE")
        .ok()
        .map(|url| url.trim().to_owned())
        .filter(|url| !url.is_empty() && !url.starts_with("sqlite"))
}

/// Which backend this run tests: `sqlite`, `postgres` or `mysql`.
pub fn backend_name() -> &'static str {
    match server_url() {
        None => "sqlite",
        Some(url) if url.starts_with("postgres") => "postgres",
        Some(_) => "mysql",
    }
}

/// Pool settings for tests: small pools (many tests run at once), generous timeouts (a loaded
/// machine).
pub fn test_db_options() -> DbOptions {
    DbOptions {
        pool_size: 4,
        acquire_timeout: std::time::Duration::from_secs(30),
        statement_timeout: std::time::Duration::from_secs(60),
        migrate: true,
    }
}

/// `url` with its database (the path) replaced by `name`, query options kept.
pub fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let host_end = base[scheme_end..].find('/').map_or(base.len(), |i| scheme_end + i);
    let mut out = format!("{}/{name}", &base[..host_end]);
    if let Some(query) = query {
        out.push('?');
        out.push_str(query);
    }
    out
}

/// Runs a future to completion on a runtime of its own, on a thread of its own, so it can be
/// called from sync code and from inside another runtime alike.
pub fn block_on<T: Send + 'static, F: Future<Output = T>>(future: impl FnOnce() -> F + Send + 'static) -> T {
    std::thread::spawn(move || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime")
            .block_on(future())
    })
    .join()
    .expect("helper thread")
}

/// A fresh, empty database for one test: a SQLite file in a temp dir, or a new database on the
/// server of this run, dropped with this value.
pub struct TestDb {
    pub url: String,
    pub dir: tempfile::TempDir,
    /// (server URL, database name) to drop at the end.
    server: Option<(String, String)>,
}

impl TestDb {
    pub fn new() -> TestDb {
        TestDb::on(server_url())
    }

    /// A fresh database on `server` (a server URL), or a SQLite file with `None`.
    pub fn on(server: Option<String>) -> TestDb {
        let dir = tempfile::tempdir().expect("temp dir");
        let Some(server) = server else {
            let url = format!("sqlite://{}", dir.path().join("moray.db").display());
            return TestDb { url, dir, server: None };
        };
        let name = format!("moray_t_{}", moray::secrets::token(12).to_lowercase());
        let admin = server.clone();
        let create = format!("CREATE DATABASE {name}");
        block_on(move || async move {
            let db = RawDb::open(&admin, false).await.unwrap_or_else(|e| {
                panic!(
                    "MORAY_TEST_DATABASE={admin} cannot be reached: {e:#}\n\
                     (start the server, or run the suite without MORAY_TEST_DATABASE for SQLite only)"
                )
            });
            db.execute_unprepared(&create).await.expect("create the test database");
        });
        TestDb {
            url: with_database(&server, &name),
            dir,
            server: Some((server, name)),
        }
    }

    /// A database name on the server (`None` on SQLite).
    pub fn name(&self) -> Option<&str> {
        self.server.as_ref().map(|(_, name)| name.as_str())
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some((server, name)) = self.server.take() else {
            return;
        };
        let drop = if server.starts_with("postgres") {
            format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        } else {
            format!("DROP DATABASE IF EXISTS {name}")
        };
        block_on(move || async move {
            if let Ok(db) = RawDb::open(&server, false).await {
                let _ = db.execute_unprepared(&drop).await;
            }
        });
    }
}

type SqlJob = Box<dyn for<'a> FnOnce(&'a RawDb) -> std::pin::Pin<Box<dyn Future<Output = ()> + 'a>> + Send>;

/// A thread with its own runtime and connection to the test database, running SQL for the
/// synchronous helpers of [`TestApp`].
struct SqlWorker {
    jobs: Option<mpsc::Sender<SqlJob>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl SqlWorker {
    fn new(url: String) -> SqlWorker {
        let (jobs, queue) = mpsc::channel::<SqlJob>();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            let mut db: Option<RawDb> = None;
            while let Ok(job) = queue.recv() {
                runtime.block_on(async {
                    if db.is_none() {
                        db = Some(RawDb::open(&url, false).await.expect("open the test database for SQL"));
                    }
                    job(db.as_ref().unwrap()).await;
                });
            }
        });
        SqlWorker {
            jobs: Some(jobs),
            thread: Some(thread),
        }
    }

    fn run<T: Send + 'static>(
        &self,
        work: impl for<'a> FnOnce(&'a RawDb) -> std::pin::Pin<Box<dyn Future<Output = T> + 'a>> + Send + 'static,
    ) -> T {
        let (answer, answered) = mpsc::channel();
        let job: SqlJob = Box::new(move |db| {
            Box::pin(async move {
                let _ = answer.send(work(db).await);
            })
        });
        self.jobs.as_ref().unwrap().send(job).expect("SQL worker alive");
        answered.recv().expect("SQL worker answered")
    }
}

impl Drop for SqlWorker {
    fn drop(&mut self) {
        self.jobs.take();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

pub fn encode(params: &[(&str, &str)]) -> String {
    params
        .iter()
        .map(|(k, v)| {
            format!(
                "{}={}",
                utf8_percent_encode(k, NON_ALPHANUMERIC),
                utf8_percent_encode(v, NON_ALPHANUMERIC)
            )
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// A document from its lines (without the declaration): declaration + lines, each ending in \n.
pub fn doc(lines: &[&str]) -> String {
    let mut out = String::from(DECL);
    for line in lines {
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// `<page><error>MSG</error></page>`
pub fn page_error(message: &str) -> String {
    doc(&["<page>", &format!("  <error>{message}</error>"), "</page>"])
}

/// `<page><status><error>MSG</error></status></page>`
pub fn page_status_error(message: &str) -> String {
    doc(&[
        "<page>",
        "  <status>",
        &format!("    <error>{message}</error>"),
        "  </status>",
        "</page>",
    ])
}

/// `<status><error>MSG</error></status>` (generic pre-check envelope)
pub fn status_error(message: &str) -> String {
    doc(&["<status>", &format!("  <error>{message}</error>"), "</status>"])
}

/// Root `<error>MSG</error>`
pub fn root_error(message: &str) -> String {
    doc(&[&format!("<error>{message}</error>")])
}
