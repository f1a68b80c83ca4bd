//! `GET|POST /logout` (OpenID Connect RP-Initiated Logout 1.0): a relying
//! party sends the browser here to end the SSO session, as CAS `/logout`
//! does (the cookie goes; with the store, the session, its tickets, codes
//! and tokens end on every node and its CAS services are told).
//!
//! An `id_token_hint` must be an ID token this provider signed (any
//! published key; expired or not), else the request is refused and
//! nobody is logged out. The browser goes back to `post_logout_redirect_uri`
//! (with `state`) only if it is exactly one the client registered, the
//! client named by `client_id` or the hint's audience (both, if given, must
//! agree); else it stays on the logged-out page, which says why.

use std::sync::Arc;

use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;

use super::errors::authorize_page;
use crate::Node;
use crate::login;
use crate::page;
use crate::request::{Body64, Params};

pub async fn get(
    State(node): State<Arc<Node>>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let params = Params::parse(query.as_deref().unwrap_or_default().as_bytes());
    end_session(&node, &params, &headers).await
}

pub async fn post(State(node): State<Arc<Node>>, headers: HeaderMap, body: Body64) -> Response {
    let Body64(Some(body)) = body else {
        return authorize_page("the request is larger than this server reads");
    };
    end_session(&node, &Params::parse(&body), &headers).await
}

async fn end_session(node: &Arc<Node>, params: &Params, headers: &HeaderMap) -> Response {
    let Some(oidc) = &node.oidc else {
        return authorize_page("this server is not an OpenID provider");
    };
    if let Some(name) = params.repeated() {
        return authorize_page(&format!("the parameter '{name}' is given more than once"));
    }
    // The client: named, or the audience of a hint this provider signed.
    let hinted = match params.get("id_token_hint") {
        None => None,
        Some(hint) => match oidc.keys().verify(hint, &oidc.issuer) {
            Some(claims) => claims
                .get("aud")
                .and_then(|aud| aud.as_str())
                .map(str::to_owned),
            None => {
                return authorize_page("the id_token_hint is not an ID token this server issued");
            }
        },
    };
    let client_id = match (params.get("client_id"), hinted.as_deref()) {
        (Some(named), Some(audience)) if named != audience => {
            return authorize_page("client_id is not the audience of the id_token_hint");
        }
        (Some(named), _) => Some(named),
        (None, audience) => audience,
    };
    let client = client_id.and_then(|id| node.services().client(id));
    let (back, refused) = match params.get("post_logout_redirect_uri") {
        None => (None, false),
        Some(uri)
            if client
                .as_ref()
                .is_some_and(|c| c.returns_after_logout_to(uri)) =>
        {
            let back = match params.get("state") {
                Some(state) => page::with_query(uri, &[("state", state)]),
                None => uri.to_owned(),
            };
            (Some(back), false)
        }
        Some(_) => (None, true),
    };
    login::log_out(node, headers, back, refused).await
}
