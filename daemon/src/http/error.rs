//! Errors as every client sees them: `{"error": {"code", "message", "hint"}}` with a fitting
//! HTTP status.

use axum::Json;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Query};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};

use crate::protocol::{ApiError, ErrorBody, ErrorCode};

#[derive(Debug)]
pub struct ApiFailure {
    pub status: StatusCode,
    pub error: ApiError,
}

impl ApiFailure {
    /// An error for a client; secrets in the message are masked (library errors quote the
    /// URL they failed on, an upstream's error may quote the arguments of a call).
    pub fn new(status: StatusCode, code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            status,
            error: ApiError::new(code, crate::redact::masked(message.into())),
        }
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.error.hint = Some(hint.into());
        self
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, ErrorCode::BadRequest, message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, ErrorCode::NotFound, message)
    }

    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized, message)
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            ErrorCode::Internal,
            message,
        )
    }
}

impl IntoResponse for ApiFailure {
    fn into_response(self) -> Response {
        (self.status, Json(ErrorBody { error: self.error })).into_response()
    }
}

/// A JSON request body whose rejections are API errors with a hint, not plain text.
#[derive(Debug, Clone, Copy, Default)]
pub struct Body<T>(pub T);

impl<S, T> FromRequest<S> for Body<T>
where
    Json<T>: FromRequest<S, Rejection = JsonRejection>,
    S: Send + Sync,
{
    type Rejection = ApiFailure;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(value)) => Ok(Self(value)),
            Err(rejection) => Err(ApiFailure::new(
                rejection.status(),
                ErrorCode::BadRequest,
                rejection.body_text(),
            )
            .hint("send a JSON body with Content-Type: application/json; see the protocol types in the README")),
        }
    }
}

/// A query string whose rejections are API errors (`bad_request` with a hint), not plain
/// text: `?heartbeat_s=abc` is answered in the same shape as every other error.
#[derive(Debug, Clone, Copy, Default)]
pub struct Params<T>(pub T);

impl<S, T> FromRequestParts<S> for Params<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiFailure;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match Query::<T>::from_request_parts(parts, state).await {
            Ok(Query(value)) => Ok(Self(value)),
            Err(rejection) => Err(query_failure(&rejection)),
        }
    }
}

fn query_failure(rejection: &QueryRejection) -> ApiFailure {
    // axum says "Failed to deserialize query string: heartbeat_s: invalid digit ..."; the
    // part after the prefix names the parameter and what is wrong with it.
    let text = rejection.body_text();
    let detail = text
        .strip_prefix("Failed to deserialize query string: ")
        .unwrap_or(&text);
    ApiFailure::new(
        rejection.status(),
        ErrorCode::BadRequest,
        format!("bad query string: {detail}"),
    )
    .hint("numbers are plain digits (tail=50) and flags are true or false (show_key=true)")
}

/// Any route that does not exist.
pub async fn no_such_route(uri: axum::http::Uri) -> ApiFailure {
    ApiFailure::not_found(format!("no such endpoint: {}", uri.path())).hint(
        "the control API lives under /api/v1 (status, servers, tools, events); MCP under /mcp",
    )
}

pub async fn wrong_method(method: axum::http::Method, uri: axum::http::Uri) -> ApiFailure {
    ApiFailure::new(
        StatusCode::METHOD_NOT_ALLOWED,
        ErrorCode::BadRequest,
        format!("{method} is not allowed on {}", uri.path()),
    )
}
