//! `POST /introspect` (RFC 7662): whether an access or refresh token is
//! active, and what it grants. A confidential client may introspect its
//! own tokens; one registered with `introspect = true` (a resource server)
//! any client's. Anything else, and any token that is not authentic,
//! unexpired and (with the store) of a live session and grant, is
//! `{"active": false}`, which says nothing of why.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use cas_ticket_codec::{Kind, Ticket};
use serde_json::{Value, json};
use time::OffsetDateTime;

use super::client_auth::{authenticate, form, required};
use super::errors::{TokenError, no_store_json};
use crate::Node;
use crate::clients::RegisteredClient;
use crate::request::Body64;

pub async fn introspect(
    State(node): State<Arc<Node>>,
    headers: HeaderMap,
    body: Body64,
) -> Response {
    let Some(oidc) = &node.oidc else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let params = match form(body) {
        Ok(params) => params,
        Err(e) => return e.into_response(),
    };
    let client = match authenticate(&node.services(), &headers, &params) {
        Ok(client) if !client.is_public() => client,
        Ok(_) => {
            return TokenError::new("invalid_client", "a public client cannot introspect")
                .into_response();
        }
        Err(e) => return e.into_response(),
    };
    let token = match required(&params, "token") {
        Ok(token) => token,
        Err(e) => return e.into_response(),
    };
    let now = OffsetDateTime::now_utc();
    let body = match active(&node, &client, token, now).await {
        Some(ticket) => description(&ticket, &oidc.issuer),
        None => json!({ "active": false }),
    };
    no_store_json(StatusCode::OK, &body)
}

/// The token, if it is active for this client to see.
async fn active(
    node: &Node,
    client: &RegisteredClient,
    token: &str,
    now: OffsetDateTime,
) -> Option<Ticket> {
    let codec = node.codec();
    let ticket = [Kind::AccessToken, Kind::RefreshToken]
        .into_iter()
        .find_map(|kind| codec.decode_kind(token, kind, now).ok())?;
    let issued_to = ticket.claims().authorization()?.client();
    if !client.introspects_all && issued_to != &client.id {
        return None;
    }
    if let Some(state) = &node.state {
        state.live(node, &ticket, now).await.ok()?;
    }
    Some(ticket)
}

/// RFC 7662 §2.2's members for an active token.
fn description(ticket: &Ticket, issuer: &str) -> Value {
    let claims = ticket.claims();
    let mut body = json!({
        "active": true,
        "iss": issuer,
        "sub": claims.principal(),
        "username": claims.principal(),
        "exp": claims.expires_at().unix_timestamp(),
        "iat": claims.issued_at().unix_timestamp(),
        "token_type": if claims.kind() == Kind::AccessToken { "Bearer" } else { "refresh_token" },
    });
    if let Some(authorization) = claims.authorization() {
        body["client_id"] = json!(authorization.client().as_str());
        body["aud"] = json!(authorization.client().as_str());
        body["scope"] = json!(authorization.scopes().to_string());
    }
    if let Some(session) = claims.session() {
        body["sid"] = json!(session.id().to_string());
    }
    body
}
