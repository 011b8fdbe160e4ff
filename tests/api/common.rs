//! Test harness: a fresh SQLite database per test, admin initialized with password `admin1` and
//! API secret key `secret`, the real router driven in-process or over a real socket.
#![allow(dead_code)]

use std::net::SocketAddr;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode};
use moray::admin::{self, UserSpec};
use moray::api::{self, Params, hash};
use moray::secrets::PasswordCost;
use moray::state::{AppState, Config};
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
    _dir: tempfile::TempDir,
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
        let dir = tempfile::tempdir().expect("temp dir");
        let db_url = format!("sqlite://{}", dir.path().join("moray.db").display());
        TestApp::with_url(db_url, dir).await
    }

    async fn with_url(db_url: String, dir: tempfile::TempDir) -> TestApp {
        let store = moray::storage::open(&db_url).await.expect("open store");
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
            _dir: dir,
        }
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
