//! The HTTP application and the serve seam that `moray serve` and the tests share.

use std::future::Future;

use axum::Router;
use axum::body::Body;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::{any, get};
use tokio::net::TcpListener;

use crate::api;
use crate::state::AppState;

/// Every route moray serves. API methods live under both `/api/` and `/billing/api/`; the
/// catch-all segment lets unknown names (even with slashes) answer `Undefined method`.
pub fn app(state: AppState) -> Router {
    let bench_routes = std::env::var(BENCH_ROUTES_ENV).is_ok_and(|v| v == "1");
    app_with(state, bench_routes)
}

/// [`app`], with the benchmark's baseline route when `bench_routes` is set.
fn app_with(state: AppState, bench_routes: bool) -> Router {
    let mut router = Router::new().route("/healthz", get(|| async { "ok" }));
    for prefix in ["/api", "/billing/api"] {
        router = router
            .route(prefix, any(api::handle_action))
            .route(&format!("{prefix}/"), any(api::handle_action))
            .route(&format!("{prefix}/{{*method}}"), any(api::handle_path));
    }
    if bench_routes {
        router = router.route(BENCH_FIXED_PATH, any(fixed_xml));
    }
    router.with_state(state)
}

/// Set to `1` to serve [`BENCH_FIXED_PATH`], the benchmark's HTTP-limit baseline (issue 4).
/// Off by default: a normal deployment never exposes it.
pub const BENCH_ROUTES_ENV: &str = "MORAY_BENCH_ROUTES";

/// Reads the request body and answers a fixed MOR-style XML document with the API's headers,
/// touching neither the database nor the log: the cost of the HTTP stack alone.
pub const BENCH_FIXED_PATH: &str = "/bench/fixed";

async fn fixed_xml(body: Body) -> impl IntoResponse {
    let _ = axum::body::to_bytes(body, api::MAX_BODY).await;
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"mor_api_response.html\"",
            ),
        ],
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<page>\n  <status>Device created</status>\n  <id>1</id>\n  \
         <username>101</username>\n  <password>q8hx3rwm4kze</password>\n</page>\n",
    )
}

/// Serves until `shutdown` resolves, then lets in-flight requests finish.
pub async fn serve(
    state: AppState,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, app(state)).with_graceful_shutdown(shutdown).await
}

/// Resolves on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = interrupt => {},
        _ = terminate => {},
    }
    tracing::info!("shutdown requested; finishing in-flight requests");
}

#[cfg(test)]
mod tests {
    use axum::body::Body;
    use axum::http::{Request, StatusCode};
    use tower::ServiceExt;

    use super::*;
    use crate::state::Config;

    async fn status_of_fixed_route(bench_routes: bool) -> (StatusCode, String) {
        let dir = tempfile::tempdir().unwrap();
        let store = crate::storage::open(&format!("sqlite://{}/t.db", dir.path().display()))
            .await
            .unwrap();
        let request = Request::post(BENCH_FIXED_PATH).body(Body::from("a=1")).unwrap();
        let response = app_with(AppState::new(store, Config::default()), bench_routes)
            .oneshot(request)
            .await
            .unwrap();
        let status = response.status();
        let body = axum::body::to_bytes(response.into_body(), 1 << 16).await.unwrap();
        (status, String::from_utf8_lossy(&body).into_owned())
    }

    #[tokio::test]
    async fn the_benchmark_route_exists_only_when_enabled() {
        assert_eq!(status_of_fixed_route(false).await.0, StatusCode::NOT_FOUND);
        let (status, body) = status_of_fixed_route(true).await;
        assert_eq!(status, StatusCode::OK);
        assert!(body.starts_with(crate::xml::DECLARATION));
    }
}
