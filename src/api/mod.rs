//! MOR's XML HTTP API. Each method family is a module exposing `METHODS`, its table of routes;
//! [`route`] finds a method by name (or legacy alias) and [`handle`] runs the shared pipeline:
//! verb, body bound, parameters, pre-checks, then the method's own handler.

pub mod error;
pub mod hash;
pub mod params;
mod precheck;

mod devices;
mod dids;
mod providers;
mod reseller_groups;
mod users;

use std::collections::HashMap;
use std::sync::LazyLock;
use std::time::Instant;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::future::BoxFuture;

pub use error::{ApiError, Envelope, refuse};
use hash::HashLists;
pub use params::Params;

use crate::model::User;
use crate::settings::Resolved;
use crate::state::AppState;
use crate::xml::Node;

/// Request bodies larger than this are refused with HTTP 413 (spec A.3).
pub const MAX_BODY: usize = 64 * 1024;

/// Who the acting user of a method is (pre-check 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Caller {
    /// The user named by `u`.
    Username,
    /// The admin or reseller whose uniquehash is `id` (registration); with
    /// `blank_is_admin`, a blank `id` means admin.
    RegistrationOwner { blank_is_admin: bool },
}

pub type Handler = fn(Call) -> BoxFuture<'static, Result<Node, ApiError>>;

/// One API method: its name, authentication rules, envelopes and handler.
pub struct ApiMethod {
    pub name: &'static str,
    pub caller: Caller,
    /// Hashed parameter lists, primary first (spec B.2); `None` = not hash-checked.
    pub hash: HashLists,
    /// Envelope of pre-check failures.
    pub precheck_envelope: Envelope,
    /// Envelope of the method's own errors.
    pub envelope: Envelope,
    /// Answer to an internal failure, with its `<message>` when the envelope has one.
    pub failure: (&'static str, Option<&'static str>),
    pub handler: Handler,
}

/// Everything a handler gets: the checked caller and the settings of its scope.
pub struct Call {
    pub state: AppState,
    pub params: Params,
    /// The acting user; `None` when pre-check 1 found nobody (the handler answers its own way).
    pub caller: Option<User>,
    /// Settings of the caller's scope (admin's when there is no caller).
    pub settings: Resolved,
    /// `test=1`: some methods add debug elements.
    pub test: bool,
}

/// Legacy names served by a canonical method (spec A.1).
const ALIASES: &[(&str, &str)] = &[
    ("login", "user_login"),
    ("logout", "user_logout"),
    ("user_details", "user_details_get"),
    ("user_update_api", "user_details_update"),
    ("device_list", "devices_get"),
    ("device_destroy", "device_delete"),
    ("did_assign_device", "did_device_assign"),
    ("did_unassign_device", "did_device_unassign"),
];

static REGISTRY: LazyLock<HashMap<&'static str, &'static ApiMethod>> = LazyLock::new(|| {
    let families: &[&'static [ApiMethod]] = &[
        users::METHODS,
        devices::METHODS,
        dids::METHODS,
        providers::METHODS,
        reseller_groups::METHODS,
    ];
    let mut registry: HashMap<&'static str, &'static ApiMethod> = families
        .iter()
        .flat_map(|methods| methods.iter())
        .map(|m| (m.name, m))
        .collect();
    for (alias, canonical) in ALIASES {
        if let Some(method) = registry.get(canonical).copied() {
            registry.insert(alias, method);
        }
    }
    registry
});

/// The method served under `name`, canonical or alias.
pub fn route(name: &str) -> Option<&'static ApiMethod> {
    REGISTRY.get(name).copied()
}

/// Names of every method served (canonical names only), sorted.
pub fn method_names() -> Vec<&'static str> {
    let mut names: Vec<_> = REGISTRY.values().map(|m| m.name).collect();
    names.sort_unstable();
    names.dedup();
    names
}

/// `/api/<method>` and `/billing/api/<method>`; one trailing `/` is tolerated.
pub async fn handle_path(state: State<AppState>, request: Request) -> Response {
    let path = request.uri().path();
    let rest = path
        .strip_prefix("/billing/api/")
        .or_else(|| path.strip_prefix("/api/"))
        .unwrap_or(path);
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    let name = percent_encoding::percent_decode_str(rest)
        .decode_utf8_lossy()
        .into_owned();
    handle(state, Some(name), request).await
}

/// `/api/` and `/billing/api/`: the method is named by the `action` parameter.
pub async fn handle_action(state: State<AppState>, request: Request) -> Response {
    handle(state, None, request).await
}

/// Every API request, its SQLite lookups sharing read transactions (decision F13).
async fn handle(state: State<AppState>, path_name: Option<String>, request: Request) -> Response {
    crate::storage::with_shared_reads(answer(state, path_name, request)).await
}

async fn answer(State(state): State<AppState>, path_name: Option<String>, request: Request) -> Response {
    let started = Instant::now();
    let (parts, body) = request.into_parts();
    let path_method = path_name.as_deref().map(|name| (name, route(name)));
    if let Some((name, None)) = path_method {
        // Answered before anything is read; only `test` in the query string shapes its headers.
        let test = parts
            .uri
            .query()
            .is_some_and(|q| q.split('&').any(|pair| pair == "test=1"));
        return finish_with_test(&state, started, name, None, Outcome::Undefined(name.to_owned()), test).await;
    }
    if parts.method != Method::GET && parts.method != Method::POST {
        return method_not_allowed();
    }
    let label = path_name.as_deref().unwrap_or("action");
    let body = match read_body(&parts.headers, body).await {
        Ok(body) => body,
        Err(e) => return finish(&state, started, label, None, Outcome::Error(None, e)).await,
    };
    let content_type = parts.headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok());
    let params = match Params::from_request(parts.uri.query(), content_type, &body) {
        Ok(params) => params,
        Err(_) => {
            let error = ApiError::Request("Invalid request");
            return finish(&state, started, label, None, Outcome::Error(None, error)).await;
        }
    };
    let method = match path_method {
        Some((_, Some(method))) => method,
        _ => {
            let name = params.text("action").to_owned();
            match route(&name) {
                Some(method) => method,
                None => {
                    let test = params.get("test") == Some("1");
                    let outcome = Outcome::Undefined(name.clone());
                    return finish_with_test(&state, started, &name, None, outcome, test).await;
                }
            }
        }
    };
    let test = params.get("test") == Some("1");
    let caller_name = params.get("u").map(str::to_owned);
    let outcome = match precheck::run(&state, method, params, parts.method == Method::GET).await {
        Ok(call) => match (method.handler)(call).await {
            Ok(node) => Outcome::Success(node),
            Err(e) => Outcome::Error(Some(method), e),
        },
        Err(e) => Outcome::Error(Some(method), e),
    };
    finish_with_test(&state, started, method.name, caller_name.as_deref(), outcome, test).await
}

async fn read_body(headers: &axum::http::HeaderMap, body: Body) -> Result<bytes::Bytes, ApiError> {
    let too_large = ApiError::Request("Request too large");
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|len| len > MAX_BODY as u64) {
        return Err(too_large);
    }
    axum::body::to_bytes(body, MAX_BODY).await.map_err(|_| too_large)
}

fn method_not_allowed() -> Response {
    (
        StatusCode::METHOD_NOT_ALLOWED,
        [(header::ALLOW, "GET, POST")],
        Body::empty(),
    )
        .into_response()
}

enum Outcome {
    Success(Node),
    Error(Option<&'static ApiMethod>, ApiError),
    Undefined(String),
}

async fn finish(state: &AppState, started: Instant, name: &str, caller: Option<&str>, outcome: Outcome) -> Response {
    finish_with_test(state, started, name, caller, outcome, false).await
}

/// Renders the answer, sets MOR's headers and writes the request's one log line.
async fn finish_with_test(
    state: &AppState,
    started: Instant,
    name: &str,
    caller: Option<&str>,
    outcome: Outcome,
    test: bool,
) -> Response {
    let (status, result, body) = match outcome {
        Outcome::Success(node) => (StatusCode::OK, "ok".to_owned(), node.into_document()),
        Outcome::Undefined(name) => {
            let node = Node::parent(
                "error",
                vec![Node::leaf("type", "Undefined method"), Node::leaf("name", name)],
            );
            (StatusCode::OK, "undefined method".to_owned(), node.into_document())
        }
        Outcome::Error(method, error) => render_error(method, error),
    };
    let elapsed = started.elapsed();
    tracing::info!(
        target: "moray::api",
        method = name,
        caller = caller.unwrap_or("-"),
        outcome = result.as_str(),
        status = status.as_u16(),
        latency_us = elapsed.as_micros() as u64,
        "request"
    );
    let xml_flag = match state.settings.resolved(0).await {
        Ok(settings) => settings.is_on("xml_api_extension"),
        Err(_) => false,
    };
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    let (content_type, file) = match (xml_flag, test) {
        (false, false) => (
            "text/html; charset=utf-8",
            Some("attachment; filename=\"mor_api_response.html\""),
        ),
        (true, false) => (
            "text/xml; charset=utf-8",
            Some("attachment; filename=\"mor_api_response.xml\""),
        ),
        (false, true) => ("text/html; charset=utf-8", None),
        (true, true) => ("application/xml; charset=utf-8", None),
    };
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Some(file) = file {
        headers.insert(header::CONTENT_DISPOSITION, HeaderValue::from_static(file));
    }
    response
}

/// (HTTP status, log outcome, body) of an error.
fn render_error(method: Option<&'static ApiMethod>, error: ApiError) -> (StatusCode, String, String) {
    match (error, method) {
        (ApiError::Request(message), _) => {
            let status = if message == "Request too large" {
                StatusCode::PAYLOAD_TOO_LARGE
            } else {
                StatusCode::OK
            };
            (status, message.to_owned(), Envelope::Status.render(message, &[]))
        }
        (ApiError::Precheck(message), Some(method)) => (
            StatusCode::OK,
            message.to_owned(),
            method.precheck_envelope.render(message, &[]),
        ),
        (ApiError::Method { error, messages }, Some(method)) => {
            let body = method.envelope.render(&error, &messages);
            (StatusCode::OK, error, body)
        }
        (ApiError::Internal(detail), Some(method)) => {
            tracing::error!(target: "moray::api", method = method.name, error = detail.as_str(), "internal error");
            let (error, message) = method.failure;
            let messages: Vec<String> = message.map(str::to_owned).into_iter().collect();
            (
                StatusCode::OK,
                format!("internal error: {error}"),
                method.envelope.render(error, &messages),
            )
        }
        (error, None) => {
            tracing::error!(target: "moray::api", error = %error, "error outside a method");
            (
                StatusCode::OK,
                error.to_string(),
                Envelope::Status.render("Invalid request", &[]),
            )
        }
    }
}

/// `Box::pin`s a handler future; keeps the method tables short.
#[macro_export]
macro_rules! handler {
    ($f:path) => {
        |call| Box::pin($f(call))
    };
}
