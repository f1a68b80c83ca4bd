//! `POST /revoke` (RFC 7009): a client revokes one of its access or
//! refresh tokens, and with it the whole grant (the code's every token, the
//! refresh token's family). Only the store can revoke anything: without
//! one the answer is `unsupported_token_type`, so that no client believes a
//! token ended when it did not.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use cas_ticket_codec::Kind;
use serde_json::json;
use time::OffsetDateTime;

use super::client_auth::{authenticate, form, required};
use super::errors::{TokenError, no_store_json};
use crate::Node;
use crate::request::Body64;

pub async fn revoke(State(node): State<Arc<Node>>, headers: HeaderMap, body: Body64) -> Response {
    match revoked(&node, &headers, body).await {
        Ok(()) => no_store_json(StatusCode::OK, &json!({})),
        Err(e) => e.into_response(),
    }
}

async fn revoked(node: &Node, headers: &HeaderMap, body: Body64) -> Result<(), TokenError> {
    let params = form(body)?;
    let client = authenticate(&node.services(), headers, &params)?;
    let token = required(&params, "token")?;
    let Some(state) = &node.state else {
        return Err(TokenError::new(
            "unsupported_token_type",
            "this server keeps no state (no --store): a token stays valid until it expires",
        ));
    };
    let now = OffsetDateTime::now_utc();
    let codec = node.codec();
    // RFC 7009 §2.2: a token that is not valid (expired, forged, of another
    // kind) needs no revoking, and is answered as one revoked.
    let Some(ticket) = [Kind::AccessToken, Kind::RefreshToken]
        .into_iter()
        .find_map(|kind| codec.decode_kind(token, kind, now).ok())
    else {
        return Ok(());
    };
    let Some(authorization) = ticket.claims().authorization() else {
        return Ok(());
    };
    if authorization.client() != &client.id {
        return Err(TokenError::new(
            "unauthorized_client",
            "the token was issued to another client",
        ));
    }
    state
        .revoke_grant(node, authorization.grant(), ticket.claims(), now)
        .await
        .map_err(|_| {
            TokenError::new(
                "temporarily_unavailable",
                "the store cannot take it now; try again",
            )
        })
}
