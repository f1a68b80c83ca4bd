//! `GET|POST /userinfo` (OIDC Core §5.3): the user's claims for an access
//! token carrying `openid`, read from the directory now. The token comes
//! in an `Authorization: Bearer` header, or as `access_token` in a POST's
//! form body (RFC 6750 §2.1–2.2); never in the query.

use std::sync::Arc;

use axum::extract::State;
use axum::http::header::AUTHORIZATION;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use cas_ticket_codec::Kind;
use serde_json::{Map, Value, json};
use time::OffsetDateTime;

use super::errors::{bearer_error, no_store_json};
use super::user_claims;
use crate::Node;
use crate::request::{Body64, Params};

pub async fn userinfo(State(node): State<Arc<Node>>, headers: HeaderMap, body: Body64) -> Response {
    let form = match &body {
        Body64(Some(bytes)) => Params::parse(bytes),
        Body64(None) => Params::default(),
    };
    let header = headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim());
    let token = match (header, form.get("access_token")) {
        (Some(_), Some(_)) => {
            return bearer_error("invalid_request", "the access token is given twice");
        }
        (Some(token), None) | (None, Some(token)) => token,
        (None, None) => return bearer_error("invalid_token", "no access token"),
    };
    let now = OffsetDateTime::now_utc();
    let Ok(ticket) = node.codec().decode_kind(token, Kind::AccessToken, now) else {
        return bearer_error("invalid_token", "the access token is not valid");
    };
    if let Some(state) = &node.state
        && let Err((code, _)) = state.live(&node, &ticket, now).await
    {
        if code == "INTERNAL_ERROR" {
            return no_store_json(
                StatusCode::SERVICE_UNAVAILABLE,
                &json!({"error": "temporarily_unavailable"}),
            );
        }
        return bearer_error("invalid_token", "the session of the access token has ended");
    }
    let claims = ticket.claims();
    let Some(authorization) = claims.authorization() else {
        return bearer_error("invalid_token", "the access token is not valid");
    };
    if !authorization.scopes().contains("openid") {
        return bearer_error(
            "insufficient_scope",
            "the access token was not granted openid",
        );
    }
    let Some(client) = node.services().client(authorization.client().as_str()) else {
        return bearer_error("invalid_token", "the client is no longer registered");
    };
    let principal = claims.principal();
    let wanted = user_claims::wanted(
        &client,
        authorization.scopes(),
        &authorization.claims().userinfo,
        true,
    );
    let mut body = Map::new();
    body.insert("sub".into(), Value::String(principal.to_owned()));
    if !wanted.is_empty() {
        match node.accounts.attributes_of(principal).await {
            Ok(attributes) => body.extend(user_claims::values(&wanted, &attributes)),
            Err(e) => {
                tracing::warn!("{}", e.0);
                return no_store_json(
                    StatusCode::SERVICE_UNAVAILABLE,
                    &json!({"error": "temporarily_unavailable"}),
                );
            }
        }
    }
    no_store_json(StatusCode::OK, &Value::Object(body))
}
