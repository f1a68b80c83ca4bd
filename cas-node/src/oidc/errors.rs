//! Errors in the shapes the RFCs give them: at the authorization endpoint a
//! page when the client or its redirect URI cannot be trusted (RFC 6749
//! §4.1.2.1: never a redirect), else a redirect carrying `error`; at the
//! token endpoint a JSON object (§5.2); at userinfo a `WWW-Authenticate:
//! Bearer` challenge (RFC 6750 §3).

use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, PRAGMA, WWW_AUTHENTICATE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::page;

/// An error the authorization endpoint sends back to the client.
pub struct AuthorizeError {
    pub error: &'static str,
    pub description: String,
}

impl AuthorizeError {
    pub fn new(error: &'static str, description: impl Into<String>) -> Self {
        AuthorizeError {
            error,
            description: description.into(),
        }
    }

    /// The redirect to `redirect_uri` (registered, exact) with the error,
    /// the request's `state` and the issuer (RFC 9207).
    pub fn redirect(&self, redirect_uri: &str, state: Option<&str>, issuer: &str) -> Response {
        let mut pairs = vec![
            ("error", self.error),
            ("error_description", self.description.as_str()),
        ];
        if let Some(state) = state {
            pairs.push(("state", state));
        }
        pairs.push(("iss", issuer));
        page::redirect(&page::with_query(redirect_uri, &pairs), HeaderMap::new())
    }
}

/// The page for an authorization request whose client or redirect URI is
/// not registered: the browser is not sent anywhere.
pub fn authorize_page(why: &str) -> Response {
    page::html(
        StatusCode::BAD_REQUEST,
        "Application not authorized",
        &format!(
            "<p>This sign-in request cannot be honoured: {}. You are not sent back to \
             the application. If you think it should work, tell the people who run it.</p>",
            page::escape(why)
        ),
        HeaderMap::new(),
    )
}

/// A JSON answer no cache may keep (RFC 6749 §5.1: tokens).
pub fn no_store_json(status: StatusCode, body: &serde_json::Value) -> Response {
    let mut response = (status, body.to_string()).into_response();
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(PRAGMA, HeaderValue::from_static("no-cache"));
    response
}

/// A token endpoint error (RFC 6749 §5.2).
pub struct TokenError {
    pub error: &'static str,
    pub description: String,
    /// `invalid_client` after an `Authorization` header: 401 and a Basic challenge.
    pub challenge: bool,
}

impl TokenError {
    pub fn new(error: &'static str, description: impl Into<String>) -> Self {
        TokenError {
            error,
            description: description.into(),
            challenge: false,
        }
    }
}

impl IntoResponse for TokenError {
    fn into_response(self) -> Response {
        let status = if self.error == "invalid_client" {
            StatusCode::UNAUTHORIZED
        } else {
            StatusCode::BAD_REQUEST
        };
        let mut response = no_store_json(
            status,
            &json!({ "error": self.error, "error_description": self.description }),
        );
        if self.challenge {
            response.headers_mut().insert(
                WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"oidc\""),
            );
        }
        response
    }
}

/// A userinfo error: 401 (or 403 for `insufficient_scope`) with a Bearer
/// challenge naming it (RFC 6750 §3.1).
pub fn bearer_error(error: &'static str, description: &str) -> Response {
    let status = if error == "insufficient_scope" {
        StatusCode::FORBIDDEN
    } else if error == "invalid_request" {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::UNAUTHORIZED
    };
    let mut response = no_store_json(
        status,
        &json!({ "error": error, "error_description": description }),
    );
    // The description is ours and quote-free; the error is a token.
    let challenge = format!(
        "Bearer realm=\"oidc\", error=\"{error}\", error_description=\"{}\"",
        description.replace('"', "'")
    );
    if let Ok(value) = HeaderValue::from_str(&challenge) {
        response.headers_mut().insert(WWW_AUTHENTICATE, value);
    }
    response
}
