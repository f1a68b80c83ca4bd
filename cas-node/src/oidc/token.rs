//! `POST /token` (RFC 6749 §3.2): codes and refresh tokens for tokens.
//!
//! The client authenticates with `client_secret_basic` or
//! `client_secret_post` (its secret checked against the registry's
//! argon2id hash), or, if public, names itself with `client_id` alone. A
//! code is redeemed only by the client it was issued to, with the same
//! redirect URI, and with the verifier of its PKCE challenge; with the
//! store, only once pool-wide. A refresh token is redeemed only by its
//! client, for at most its scopes, and, with the store, once: each refresh
//! returns a new one (rotation).

use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use cas_ticket_codec::oauth::{Authorization, Nonce, Scopes};
use cas_ticket_codec::{Claims, Grant, Kind, Ticket, rfc3339};
use serde_json::{Map, Value, json};
use time::OffsetDateTime;

use super::client_auth::{authenticate, form, required};
use super::errors::{TokenError, no_store_json};
use super::{Oidc, user_claims};
use crate::Node;
use crate::clients::RegisteredClient;
use crate::request::{Body64, Params};

pub async fn token(State(node): State<Arc<Node>>, headers: HeaderMap, body: Body64) -> Response {
    match exchange(&node, &headers, body).await {
        Ok(response) => response,
        Err(e) => e.into_response(),
    }
}

async fn exchange(node: &Node, headers: &HeaderMap, body: Body64) -> Result<Response, TokenError> {
    let oidc = node.oidc.as_ref().ok_or_else(|| {
        TokenError::new("invalid_request", "this server is not an OpenID provider")
    })?;
    let params = form(body)?;
    let client = authenticate(&node.services(), headers, &params)?;
    let now = OffsetDateTime::now_utc();
    match params.get("grant_type") {
        Some("authorization_code") => redeem_code(node, oidc, &client, &params, now).await,
        Some("refresh_token") => refresh(node, oidc, &client, &params, now).await,
        Some(_) => Err(TokenError::new(
            "unsupported_grant_type",
            "grant_type must be authorization_code or refresh_token",
        )),
        None => Err(TokenError::new("invalid_request", "grant_type is missing")),
    }
}

fn invalid_grant(why: impl Into<String>) -> TokenError {
    TokenError::new("invalid_grant", why)
}

/// What a code or refresh token is called in errors.
fn what(kind: Kind) -> &'static str {
    if kind == Kind::Code {
        "code"
    } else {
        "refresh token"
    }
}

/// A code or refresh token of `kind`, authentic, unexpired and issued to
/// `client`. Not spent yet: the request's other checks come first, so
/// that whoever holds a stolen code but not its verifier cannot burn it.
fn redeemable(
    node: &Node,
    client: &RegisteredClient,
    text: &str,
    kind: Kind,
    now: OffsetDateTime,
) -> Result<Ticket, TokenError> {
    let ticket = node
        .codec()
        .decode_kind(text, kind, now)
        .map_err(|e| invalid_grant(format!("the {} is not valid: {e}", what(kind))))?;
    let issued_to = ticket.claims().authorization().map(|a| a.client().as_str());
    if issued_to != Some(client.id.as_str()) {
        return Err(invalid_grant(format!(
            "the {} was issued to another client",
            what(kind)
        )));
    }
    Ok(ticket)
}

/// With the store: redeems a code or refresh token that passed every
/// check, once pool-wide; a second use is refused and revokes its grant
/// (every token the code issued, or the refresh token's whole family).
async fn spend(node: &Node, ticket: &Ticket, now: OffsetDateTime) -> Result<(), TokenError> {
    let Some(state) = &node.state else {
        return Ok(());
    };
    let kind = ticket.claims().kind();
    state
        .redeem(node, ticket, now)
        .await
        .map_err(|(code, why)| match code {
            "INTERNAL_ERROR" => TokenError::new("temporarily_unavailable", why),
            _ => invalid_grant(format!("the {} is refused: {why}", what(kind))),
        })
}

/// `grant_type=authorization_code` (RFC 6749 §4.1.3, RFC 7636 §4.6).
async fn redeem_code(
    node: &Node,
    oidc: &Oidc,
    client: &RegisteredClient,
    params: &Params,
    now: OffsetDateTime,
) -> Result<Response, TokenError> {
    let text = required(params, "code")?;
    let redirect = required(params, "redirect_uri")?;
    let ticket = redeemable(node, client, text, Kind::Code, now)?;
    let Grant::Code {
        authorization,
        redirect_uri,
        nonce,
        challenge,
    } = ticket.claims().grant()
    else {
        return Err(invalid_grant("not a code"));
    };
    if !redirect_uri.is_exactly(redirect) {
        return Err(invalid_grant(
            "redirect_uri is not the authorization request's",
        ));
    }
    match (challenge, params.get("code_verifier")) {
        (Some(challenge), Some(verifier)) if challenge.verify(verifier) => {}
        (Some(_), Some(_)) => {
            return Err(invalid_grant(
                "code_verifier does not match the code_challenge",
            ));
        }
        (Some(_), None) => return Err(invalid_grant("code_verifier is missing")),
        (None, Some(_)) => {
            return Err(invalid_grant(
                "code_verifier given for a code without a code_challenge",
            ));
        }
        (None, None) => {}
    }
    spend(node, &ticket, now).await?;
    let issue = Issue {
        node,
        oidc,
        client,
        parent: ticket.claims(),
        authorization: authorization.clone(),
        nonce: nonce.as_ref(),
    };
    issue.tokens(now).await
}

/// `grant_type=refresh_token` (RFC 6749 §6).
async fn refresh(
    node: &Node,
    oidc: &Oidc,
    client: &RegisteredClient,
    params: &Params,
    now: OffsetDateTime,
) -> Result<Response, TokenError> {
    let text = required(params, "refresh_token")?;
    let ticket = redeemable(node, client, text, Kind::RefreshToken, now)?;
    let Some(granted) = ticket.claims().authorization() else {
        return Err(invalid_grant("not a refresh token"));
    };
    let authorization = match params.get("scope") {
        None => granted.clone(),
        Some(scope) => {
            let asked = Scopes::parse(scope)
                .map_err(|e| TokenError::new("invalid_scope", e.to_string()))?;
            if !asked.is_subset(granted.scopes()) {
                return Err(TokenError::new(
                    "invalid_scope",
                    "a refresh cannot add scopes to those granted",
                ));
            }
            granted.clone().with_scopes(asked)
        }
    };
    spend(node, &ticket, now).await?;
    let issue = Issue {
        node,
        oidc,
        client,
        parent: ticket.claims(),
        authorization,
        nonce: None,
    };
    issue.tokens(now).await
}

/// The tokens of one successful exchange.
struct Issue<'a> {
    node: &'a Node,
    oidc: &'a Oidc,
    client: &'a RegisteredClient,
    /// The code or refresh token redeemed: its authentication and session.
    parent: &'a Claims,
    authorization: Authorization,
    nonce: Option<&'a Nonce>,
}

impl Issue<'_> {
    /// An access token, a refresh token and, for `openid`, an ID token
    /// (RFC 6749 §5.1, OIDC Core §3.1.3.3).
    async fn tokens(&self, now: OffsetDateTime) -> Result<Response, TokenError> {
        let flags = &self.node.flags;
        let server_error = |e: cas_ticket_codec::Error| {
            tracing::warn!("cannot issue a token: {e}");
            TokenError::new("server_error", "cannot issue a token")
        };
        let access = Grant::AccessToken {
            authorization: self.authorization.clone(),
        };
        let (access_token, access) = self
            .node
            .mint(self.parent, access, now, flags.access_token_ttl)
            .map_err(server_error)?;
        let refresh = Grant::RefreshToken {
            authorization: self.authorization.clone(),
        };
        let (refresh_token, _) = self
            .node
            .mint(self.parent, refresh, now, flags.refresh_token_ttl)
            .map_err(server_error)?;
        let expires_in = (access.expires_at() - now).whole_seconds().max(0);
        let mut body = json!({
            "access_token": access_token,
            "token_type": "Bearer",
            "expires_in": expires_in,
            "refresh_token": refresh_token,
            "scope": self.authorization.scopes().to_string(),
        });
        if self.authorization.scopes().contains("openid") {
            let id_token = self.id_token(&access, now).await?;
            body["id_token"] = Value::String(id_token);
        }
        Ok(no_store_json(StatusCode::OK, &body))
    }

    /// The ID token (OIDC Core §2): who, for whom, when and how, and the
    /// claims the request names for it, signed with the active key.
    async fn id_token(&self, access: &Claims, now: OffsetDateTime) -> Result<String, TokenError> {
        let auth = self.parent.authentication();
        let mut claims = Map::new();
        claims.insert("iss".into(), json!(self.oidc.issuer));
        claims.insert("sub".into(), json!(auth.principal()));
        claims.insert("aud".into(), json!(self.client.id.as_str()));
        claims.insert("azp".into(), json!(self.client.id.as_str()));
        claims.insert("exp".into(), json!(access.expires_at().unix_timestamp()));
        claims.insert("iat".into(), json!(now.unix_timestamp()));
        claims.insert(
            "auth_time".into(),
            json!(auth.authenticated_at().unix_timestamp()),
        );
        if let Some(nonce) = self.nonce {
            claims.insert("nonce".into(), json!(nonce.as_str()));
        }
        let amr: Vec<&str> = auth.methods().iter().map(|m| amr_value(m)).collect();
        if !amr.is_empty() {
            claims.insert("amr".into(), json!(amr));
        }
        if let Some(session) = self.parent.session() {
            claims.insert("sid".into(), json!(session.id().to_string()));
        }
        let wanted = user_claims::wanted(
            self.client,
            self.authorization.scopes(),
            &self.authorization.claims().id_token,
            false,
        );
        if !wanted.is_empty() {
            let attributes = self
                .node
                .accounts
                .attributes_of(auth.principal())
                .await
                .map_err(|e| {
                    tracing::warn!("{}", e.0);
                    TokenError::new("temporarily_unavailable", "the directory cannot be read")
                })?;
            claims.extend(user_claims::values(&wanted, &attributes));
        }
        self.oidc.keys().sign(&claims).map_err(|e| {
            tracing::warn!("{e} (at {})", rfc3339(now));
            TokenError::new("server_error", "cannot sign the ID token")
        })
    }
}

/// An `amr` value (RFC 8176) for a method name: `pwd` for a password.
fn amr_value(method: &str) -> &str {
    match method {
        "Password" => "pwd",
        other => other,
    }
}
