//! The HTTP application and the serve seam that `moray serve` and the tests share.

use std::future::Future;

use axum::Router;
use axum::routing::{any, get};
use tokio::net::TcpListener;

use crate::api;
use crate::state::AppState;

/// Every route moray serves. API methods live under both `/api/` and `/billing/api/`; the
/// catch-all segment lets unknown names (even with slashes) answer `Undefined method`.
pub fn app(state: AppState) -> Router {
    let mut router = Router::new().route("/healthz", get(|| async { "ok" }));
    for prefix in ["/api", "/billing/api"] {
        router = router
            .route(prefix, any(api::handle_action))
            .route(&format!("{prefix}/"), any(api::handle_action))
            .route(&format!("{prefix}/{{*method}}"), any(api::handle_path));
    }
    router.with_state(state)
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
