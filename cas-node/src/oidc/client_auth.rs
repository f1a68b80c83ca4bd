//! The form and the client authentication of the token, introspection and
//! revocation endpoints (RFC 6749 §2.3): `client_secret_basic` or
//! `client_secret_post` against the registry's argon2id hash, one method
//! per request; a public client names itself with `client_id` alone.

use std::sync::Arc;

use axum::http::HeaderMap;
use axum::http::header::AUTHORIZATION;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use url::form_urlencoded;
use zeroize::Zeroizing;

use super::errors::TokenError;
use crate::clients::RegisteredClient;
use crate::registry::Registry;
use crate::request::{Body64, Params};

/// The form of a back-channel request (token, introspection, revocation):
/// within the size the node reads, each parameter once (RFC 6749 §3.2).
pub fn form(body: Body64) -> Result<Params, TokenError> {
    let Body64(Some(body)) = body else {
        return Err(TokenError::new(
            "invalid_request",
            "the request is larger than this server reads",
        ));
    };
    let params = Params::parse(&body);
    if let Some(name) = params.repeated() {
        return Err(TokenError::new(
            "invalid_request",
            format!("the parameter '{name}' is given more than once"),
        ));
    }
    Ok(params)
}

/// The value of the parameter `name`, which the request must carry
/// (`invalid_request` otherwise).
pub fn required<'p>(params: &'p Params, name: &str) -> Result<&'p str, TokenError> {
    params
        .get(name)
        .ok_or_else(|| TokenError::new("invalid_request", format!("{name} is missing")))
}

/// The client of the request (RFC 6749 §2.3): one authentication method
/// only; a confidential client's secret must match; a public client names
/// itself.
pub fn authenticate(
    registry: &Registry,
    headers: &HeaderMap,
    params: &Params,
) -> Result<Arc<RegisteredClient>, TokenError> {
    let basic = headers.get(AUTHORIZATION).map(basic_credentials);
    let unknown = |challenge: bool| TokenError {
        challenge,
        ..TokenError::new("invalid_client", "client authentication failed")
    };
    match (basic, params.get("client_secret")) {
        (Some(_), Some(_)) => Err(TokenError::new(
            "invalid_request",
            "more than one client authentication method",
        )),
        (Some(None), None) => Err(unknown(true)),
        (Some(Some((id, secret))), None) => {
            if params.get("client_id").is_some_and(|named| named != id) {
                return Err(TokenError::new(
                    "invalid_request",
                    "client_id is not the client that authenticated",
                ));
            }
            registry
                .client(&id)
                .filter(|client| client.secret_matches(&secret))
                .ok_or_else(|| unknown(true))
        }
        (None, Some(secret)) => params
            .get("client_id")
            .and_then(|id| registry.client(id))
            .filter(|client| client.secret_matches(secret))
            .ok_or_else(|| unknown(false)),
        (None, None) => params
            .get("client_id")
            .and_then(|id| registry.client(id))
            .filter(|client| client.is_public())
            .ok_or_else(|| unknown(false)),
    }
}

/// `Authorization: Basic` credentials: the id and secret, each
/// form-urlencoded before base64 (RFC 6749 §2.3.1). `None` when malformed.
fn basic_credentials(value: &axum::http::HeaderValue) -> Option<(String, Zeroizing<String>)> {
    let value = value.to_str().ok()?;
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = Zeroizing::new(STANDARD.decode(encoded.trim()).ok()?);
    let text = std::str::from_utf8(&decoded).ok()?;
    let (id, secret) = text.split_once(':')?;
    let decode = |s: &str| -> String {
        form_urlencoded::parse(format!("x={s}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default()
    };
    Some((decode(id), Zeroizing::new(decode(secret))))
}
