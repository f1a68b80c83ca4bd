//! `GET|POST /authorize` (RFC 6749 §4.1.1, OIDC Core §3.1.2): the code flow.
//!
//! The client and its redirect URI are checked first; until both hold the
//! answer is a page, never a redirect (RFC 6749 §4.1.2.1), so no one can
//! use this endpoint to send a browser somewhere. Then the request: `code`
//! only, the scopes (granted: those the client may have), PKCE `S256`
//! (required of public clients; `plain` is refused), the nonce, the claims
//! request, `prompt` and `max_age`.
//!
//! The user is the CAS SSO session's. With a live `CASTGC` session that
//! the request accepts, the code is minted from the TGT at once. Otherwise
//! the browser goes to `/login` with this very request as the `service`
//! (and `renew` when the request demands a fresh login); the login comes
//! back with an ST for it, which is validated here (once, pool-wide, with
//! the store) and the code minted from it. So every login feature (the
//! directory, throttling, `warn`, remember-me) serves OIDC unchanged, and
//! any node can finish a login another node started.

use std::sync::Arc;

use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;
use cas_ticket_codec::oauth::{
    Authorization, ClaimNames, ClaimsRequest, CodeChallenge, GrantId, Nonce, Scopes,
};
use cas_ticket_codec::{Claims, Error, Grant, Service};
use serde_json::Value;
use time::{Duration, OffsetDateTime};

use super::Oidc;
use super::errors::{AuthorizeError, authorize_page};
use crate::Node;
use crate::clients::RegisteredClient;
use crate::login::{self, SsoSession};
use crate::page;
use crate::request::{Body64, Params};
use crate::validate;

/// `GET /authorize?…`.
pub async fn get(
    State(node): State<Arc<Node>>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    authorize(&node, query.as_deref().unwrap_or_default(), &headers).await
}

/// `POST /authorize` with the parameters as a form (OIDC Core §3.1.2.1).
pub async fn post(State(node): State<Arc<Node>>, headers: HeaderMap, body: Body64) -> Response {
    let Body64(Some(body)) = body else {
        return authorize_page("the request is larger than this server reads");
    };
    match std::str::from_utf8(&body) {
        Ok(form) => authorize(&node, form, &headers).await,
        Err(_) => authorize_page("the request is not UTF-8"),
    }
}

/// What an authorization request asks for, checked.
struct Request {
    scopes: Scopes,
    nonce: Option<Nonce>,
    challenge: Option<CodeChallenge>,
    claims: ClaimsRequest,
    /// `prompt=none`: never show a page.
    silent: bool,
    /// `prompt=login` or `select_account`: a fresh login.
    fresh: bool,
    max_age: Option<Duration>,
}

impl Request {
    fn read(params: &Params, client: &RegisteredClient) -> Result<Request, AuthorizeError> {
        let invalid = |why: &str| AuthorizeError::new("invalid_request", why);
        if params.get("request").is_some() {
            return Err(AuthorizeError::new(
                "request_not_supported",
                "request objects are not supported",
            ));
        }
        if params.get("request_uri").is_some() {
            return Err(AuthorizeError::new(
                "request_uri_not_supported",
                "request_uri is not supported",
            ));
        }
        if params.get("registration").is_some() {
            return Err(AuthorizeError::new(
                "registration_not_supported",
                "clients are registered by the operator",
            ));
        }
        match params.get("response_type") {
            None => return Err(invalid("response_type is missing")),
            Some("code") => {}
            Some(_) => {
                return Err(AuthorizeError::new(
                    "unsupported_response_type",
                    "only the code flow (response_type=code) is supported",
                ));
            }
        }
        if params.get("response_mode").is_some_and(|m| m != "query") {
            return Err(invalid("only response_mode=query is supported"));
        }
        let requested = Scopes::parse(params.get("scope").unwrap_or_default())
            .map_err(|e| AuthorizeError::new("invalid_scope", e.to_string()))?;
        let scopes = requested.intersection(&client.scopes);
        if scopes.is_empty() {
            return Err(AuthorizeError::new(
                "invalid_scope",
                "none of the requested scopes is one this client may have",
            ));
        }
        let challenge = match (
            params.get("code_challenge"),
            params.get("code_challenge_method"),
        ) {
            (None, Some(_)) => return Err(invalid("code_challenge_method without code_challenge")),
            (None, None) if client.is_public() => {
                return Err(invalid(
                    "a public client must use PKCE (code_challenge, S256)",
                ));
            }
            (None, None) => None,
            (Some(challenge), Some("S256")) => Some(
                CodeChallenge::from_s256(challenge)
                    .map_err(|_| invalid("code_challenge is not the base64url of a SHA-256"))?,
            ),
            (Some(_), _) => {
                return Err(invalid(
                    "code_challenge_method must be S256 (plain is not supported)",
                ));
            }
        };
        let nonce = params
            .get("nonce")
            .map(Nonce::new)
            .transpose()
            .map_err(|e| invalid(&e.to_string()))?;
        let claims = match params.get("claims") {
            None => ClaimsRequest::default(),
            Some(json) => claims_request(json).ok_or_else(|| {
                invalid("claims is not an OIDC claims request of at most 16 names per target")
            })?,
        };
        let prompts: Vec<&str> = params
            .get("prompt")
            .unwrap_or_default()
            .split(' ')
            .filter(|p| !p.is_empty())
            .collect();
        if let Some(unknown) = prompts
            .iter()
            .find(|p| !matches!(**p, "none" | "login" | "consent" | "select_account"))
        {
            return Err(invalid(&format!(
                "prompt {unknown} is not one of none, login, consent, select_account"
            )));
        }
        let silent = prompts.contains(&"none");
        if silent && prompts.len() > 1 {
            return Err(invalid("prompt=none cannot be combined with another value"));
        }
        let max_age = match params.get("max_age") {
            None => None,
            Some(text) => Some(
                text.parse::<u32>()
                    .map(|s| Duration::seconds(i64::from(s)))
                    .map_err(|_| invalid("max_age is not a number of seconds"))?,
            ),
        };
        Ok(Request {
            scopes,
            nonce,
            challenge,
            claims,
            silent,
            fresh: prompts
                .iter()
                .any(|p| matches!(*p, "login" | "select_account")),
            max_age,
        })
    }

    /// Whether a session authenticated at `auth_time` is recent enough.
    fn accepts_age(&self, auth_time: OffsetDateTime, now: OffsetDateTime) -> bool {
        self.max_age.is_none_or(|max| now - auth_time <= max)
    }
}

/// The claim names of an OIDC claims request (OIDC Core §5.5): the
/// members of its `id_token` and `userinfo` objects.
fn claims_request(json: &str) -> Option<ClaimsRequest> {
    let value: Value = serde_json::from_str(json).ok()?;
    let object = value.as_object()?;
    let names = |target: &str| -> Option<ClaimNames> {
        match object.get(target) {
            None | Some(Value::Null) => Some(ClaimNames::default()),
            Some(Value::Object(members)) => ClaimNames::new(members.keys().cloned()).ok(),
            Some(_) => None,
        }
    };
    Some(ClaimsRequest {
        id_token: names("id_token")?,
        userinfo: names("userinfo")?,
    })
}

async fn authorize(node: &Node, query: &str, headers: &HeaderMap) -> Response {
    let Some(oidc) = &node.oidc else {
        return authorize_page("this server is not an OpenID provider");
    };
    let params = Params::parse(query.as_bytes());
    if let Some(name) = params.repeated() {
        return authorize_page(&format!("the parameter '{name}' is given more than once"));
    }
    let registry = node.services();
    let Some(client) = params.get("client_id").and_then(|id| registry.client(id)) else {
        return authorize_page("the client_id is missing or not a registered client");
    };
    let Some(redirect_uri) = params
        .get("redirect_uri")
        .filter(|uri| client.redirects_to(uri))
    else {
        return authorize_page(
            "the redirect_uri is missing or not, exactly, one registered for this client",
        );
    };
    let state = params.get("state");
    let fail = |e: AuthorizeError| e.redirect(redirect_uri, state, &oidc.issuer);
    let request = match Request::read(&params, &client) {
        Ok(request) => request,
        Err(e) => return fail(e),
    };
    let now = OffsetDateTime::now_utc();
    let answer = Answer {
        node,
        oidc,
        client: &client,
        request: &request,
        redirect_uri,
        state,
    };

    // Back from the login, with an ST issued for this very request.
    if let Some(ticket) = params.get("ticket") {
        let Some(asked) = without_ticket(query, ticket) else {
            return fail(AuthorizeError::new(
                "invalid_request",
                "ticket is not the last parameter",
            ));
        };
        let service = format!("{}?{asked}", oidc.endpoint("authorize"));
        return match validate::validate_ticket(
            node,
            "oidc_authorize",
            ticket,
            &service,
            false,
            request.fresh,
        )
        .await
        {
            Ok(validated) => {
                let claims = validated.ticket.claims();
                if !request.accepts_age(claims.authentication().authenticated_at(), now) {
                    return fail(AuthorizeError::new(
                        "login_required",
                        "the login is older than max_age",
                    ));
                }
                answer.code(claims, now)
            }
            Err((_, why)) => fail(AuthorizeError::new(
                "access_denied",
                format!("the login did not complete: {why}"),
            )),
        };
    }

    // Single sign-on, unless the request wants a fresh login or the user
    // asked to confirm each sign-on (`warn`).
    let warn = login::wants_warning(headers);
    if !request.fresh && !warn {
        let cookie = page::tgt_from(headers);
        match login::live_session(node, cookie.as_deref(), now).await {
            SsoSession::Live(tgt)
                if request.accepts_age(tgt.claims().authentication().authenticated_at(), now) =>
            {
                return answer.code(tgt.claims(), now);
            }
            SsoSession::Unknown if request.silent => {
                return fail(AuthorizeError::new(
                    "temporarily_unavailable",
                    "the session cannot be checked now",
                ));
            }
            SsoSession::Unknown => return login::session_unknown(),
            SsoSession::Live(_) | SsoSession::Gone => {}
        }
    }
    if request.silent {
        let error = if warn {
            "interaction_required"
        } else {
            "login_required"
        };
        return fail(AuthorizeError::new(
            error,
            "the user must log in (prompt=none)",
        ));
    }
    // To the login, which comes back here with an ST for this request.
    let service = format!("{}?{query}", oidc.endpoint("authorize"));
    let mut pairs = vec![("service", service.as_str())];
    if request.fresh || request.max_age.is_some() {
        pairs.push(("renew", "true"));
    }
    let login = format!("{}/login", node.flags.context);
    page::redirect(&page::with_query(&login, &pairs), HeaderMap::new())
}

/// `query` without its last parameter `ticket=TICKET`, which the login
/// appended: the query the ST was issued for.
fn without_ticket<'q>(query: &'q str, ticket: &str) -> Option<&'q str> {
    let (asked, last) = query.rsplit_once('&')?;
    (last == format!("ticket={ticket}")).then_some(asked)
}

/// Everything a successful answer needs.
struct Answer<'a> {
    node: &'a Node,
    oidc: &'a Oidc,
    client: &'a RegisteredClient,
    request: &'a Request,
    redirect_uri: &'a str,
    state: Option<&'a str>,
}

impl Answer<'_> {
    /// Mints a code from `parent` (the TGT or the login's ST: its
    /// authentication and session) and sends the browser back with it.
    fn code(&self, parent: &Claims, now: OffsetDateTime) -> Response {
        let fail = |e: AuthorizeError| e.redirect(self.redirect_uri, self.state, &self.oidc.issuer);
        let grant = match (GrantId::generate(), Service::new(self.redirect_uri)) {
            (Ok(grant), Ok(redirect_uri)) => Grant::Code {
                authorization: Authorization::new(
                    self.client.id.clone(),
                    self.request.scopes.clone(),
                    grant,
                )
                .with_claims(self.request.claims.clone()),
                redirect_uri,
                nonce: self.request.nonce.clone(),
                challenge: self.request.challenge,
            },
            _ => return fail(AuthorizeError::new("server_error", "cannot mint a code")),
        };
        match self.node.mint(parent, grant, now, self.node.flags.code_ttl) {
            Ok((code, _)) => {
                let mut pairs = vec![("code", code.as_str())];
                if let Some(state) = self.state {
                    pairs.push(("state", state));
                }
                pairs.push(("iss", self.oidc.issuer.as_str()));
                page::redirect(
                    &page::with_query(self.redirect_uri, &pairs),
                    HeaderMap::new(),
                )
            }
            Err(Error::TooLong { .. }) => fail(AuthorizeError::new(
                "invalid_request",
                "the request's nonce, scopes, claims and redirect_uri do not fit in a code",
            )),
            Err(e) => {
                tracing::warn!("cannot mint a code: {e}");
                fail(AuthorizeError::new("server_error", "cannot mint a code"))
            }
        }
    }
}
