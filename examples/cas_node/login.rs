//! `/login` and `/logout`: the browser side of CAS (protocol 3.0 §2.1–2.3).
//!
//! The SSO session is a TGT in the `CASTGC` cookie; nothing about it is kept
//! on the node, so any node of the pool honours a cookie another node set.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Form;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use cas_ticket_codec::{Authentication, Claims, Grant, Kind, Service, normalize, rfc3339};
use serde::Deserialize;
use time::OffsetDateTime;
use zeroize::Zeroizing;

use crate::Node;
use crate::page::{self, escape};
use crate::users::Directory;

/// The authentication method recorded in tickets minted after a form login.
const METHOD: &str = "Password";

/// `GET /login?service=…&renew=…&gateway=…`.
pub async fn form(
    State(node): State<Arc<Node>>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let service = match service_param(query.get("service")) {
        Ok(service) => service,
        Err(invalid) => return invalid.into_response(),
    };
    let renew = crate::flag(query.get("renew"));
    // Protocol 3.0 §2.1.1: gateway is not compatible with renew; renew wins.
    let gateway = crate::flag(query.get("gateway")) && !renew;
    let now = OffsetDateTime::now_utc();

    let cookie = page::tgt_from(&headers);
    let session = cookie
        .as_deref()
        .and_then(|tgt| node.codec().decode_kind(tgt, Kind::Tgt, now).ok());
    if let (Some(tgt), false) = (&session, renew) {
        return match service {
            // Single sign-on: an ST at once, not from a fresh login.
            Some(target) => issue_st(&node, tgt.claims(), target, false, now, HeaderMap::new()),
            None => logged_in(tgt.claims(), HeaderMap::new()),
        };
    }
    // A cookie that no longer validates (expired, retired key) is cleared.
    let headers = match (&cookie, &session) {
        (Some(_), None) => clear_cookie(&node),
        _ => HeaderMap::new(),
    };
    match service {
        Some(target) if gateway => page::redirect(&target.url, headers),
        _ => login_page(StatusCode::OK, service.as_ref(), None, headers),
    }
}

/// The login form's fields.
#[derive(Deserialize)]
pub struct Credentials {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: Zeroizing<String>,
    service: Option<String>,
    #[serde(rename = "rememberMe")]
    remember_me: Option<String>,
}

/// `POST /login`: check the credentials, set the TGT cookie, and send the
/// browser to the service with an ST from a fresh login.
pub async fn submit(State(node): State<Arc<Node>>, Form(form): Form<Credentials>) -> Response {
    let service = match service_param(form.service.as_ref()) {
        Ok(service) => service,
        Err(invalid) => return invalid.into_response(),
    };
    let directory = match Directory::load(&node.flags.users).await {
        Ok(directory) => directory,
        Err(e) => return internal_error(&e),
    };
    if !directory.check(&form.username, &form.password) {
        let message = "The user name or password is not correct.";
        return login_page(
            StatusCode::UNAUTHORIZED,
            service.as_ref(),
            Some(message),
            HeaderMap::new(),
        );
    }

    let now = OffsetDateTime::now_utc();
    let remember_me = form.remember_me.is_some();
    let auth =
        match Authentication::new(&form.username, now).and_then(|auth| auth.with_method(METHOD)) {
            Ok(auth) => auth.with_remember_me(remember_me),
            Err(e) => return internal_error(&format!("cannot record the login: {e}")),
        };
    let lifetime = if remember_me {
        node.flags.remember_me_ttl
    } else {
        node.flags.tgt_ttl
    };
    // A new SSO session: every ticket minted from this TGT carries its id
    // and ends with it.
    let claims = match Claims::new_session(auth, now, lifetime) {
        Ok(claims) => claims,
        Err(e) => return internal_error(&format!("cannot record the login: {e}")),
    };
    let tgt = match node.codec().encode(&claims) {
        Ok(tgt) => tgt,
        Err(e) => return internal_error(&format!("cannot issue a ticket-granting ticket: {e}")),
    };
    // A remember-me session outlives the browser; a plain one ends with it.
    let max_age = remember_me.then(|| lifetime.whole_seconds());
    let cookie = page::tgt_cookie(
        Some(&tgt),
        &node.flags.context,
        !node.flags.insecure_cookie,
        max_age,
    );
    match service {
        Some(target) => issue_st(&node, &claims, target, true, now, cookie),
        None => logged_in(&claims, cookie),
    }
}

/// `GET /logout[?service=URL]`: clears the cookie in this browser. The TGT
/// itself stays valid until it expires: a stateless node cannot revoke it.
pub async fn logout(
    State(node): State<Arc<Node>>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let cleared = clear_cookie(&node);
    // CAS 3.0 names the parameter `service`, CAS 2.0 clients send `url`.
    let target = query.get("service").or_else(|| query.get("url"));
    if let Ok(Some(target)) = service_param(target) {
        return page::redirect(&target.url, cleared);
    }
    let now = OffsetDateTime::now_utc();
    let expiry = page::tgt_from(&headers)
        .and_then(|tgt| node.codec().decode_kind(&tgt, Kind::Tgt, now).ok())
        .map(|tgt| rfc3339(tgt.claims().expires_at()));
    let caveat = match expiry {
        Some(at) => format!(
            "<p>The session cookie is removed from this browser. The session \
             ticket itself cannot be revoked: a copy of it stays valid on every \
             node until {at}.</p>"
        ),
        None => "<p>The session cookie is removed from this browser.</p>".to_owned(),
    };
    page::html(StatusCode::OK, "Logged out", &caveat, cleared)
}

/// Mints an ST from the TGT for the target and redirects the browser there
/// with `ticket=`.
fn issue_st(
    node: &Node,
    tgt: &Claims,
    target: Target,
    fresh_login: bool,
    now: OffsetDateTime,
    headers: HeaderMap,
) -> Response {
    let grant = Grant::Service {
        service: target.service,
        fresh_login,
    };
    match node.mint(tgt, grant, now, node.flags.st_ttl) {
        Ok(st) => page::redirect(&page::with_query(&target.url, &[("ticket", &st)]), headers),
        Err(e) => internal_error(&format!("cannot issue a service ticket: {e}")),
    }
}

/// Where the browser goes after the login: the `service` parameter
/// normalized (the redirect: the URL exactly as a browser reads it, so no
/// other parser can read it differently) and in the shortened form an ST
/// carries.
struct Target {
    url: String,
    service: Service,
}

/// The `service` parameter, if present and one this node can issue tickets for.
fn service_param(value: Option<&String>) -> Result<Option<Target>, InvalidService> {
    match value.map(String::as_str).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(given) => {
            let url = normalize(given).map_err(|_| InvalidService)?;
            let service = Service::new(&url).map_err(|_| InvalidService)?;
            Ok(Some(Target { url, service }))
        }
    }
}

/// A `service` parameter that is not a URL the codec accepts.
struct InvalidService;

impl IntoResponse for InvalidService {
    fn into_response(self) -> Response {
        page::html(
            StatusCode::BAD_REQUEST,
            "Invalid service",
            "<p>The service parameter is not an http or https URL this server accepts.</p>",
            HeaderMap::new(),
        )
    }
}

fn clear_cookie(node: &Node) -> HeaderMap {
    page::tgt_cookie(None, &node.flags.context, !node.flags.insecure_cookie, None)
}

/// The page for a browser with a session and no service to go to.
fn logged_in(session: &Claims, headers: HeaderMap) -> Response {
    let body = format!(
        "<p>You are logged in as <b>{}</b> until {}.</p>",
        escape(session.principal()),
        rfc3339(session.expires_at())
    );
    page::html(StatusCode::OK, "Logged in", &body, headers)
}

fn login_page(
    status: StatusCode,
    service: Option<&Target>,
    message: Option<&str>,
    headers: HeaderMap,
) -> Response {
    let message = message
        .map(|m| format!("<p role=\"alert\">{}</p>\n", escape(m)))
        .unwrap_or_default();
    let service = service
        .map(|target| {
            format!(
                "<input type=\"hidden\" name=\"service\" value=\"{}\">\n",
                escape(&target.url)
            )
        })
        .unwrap_or_default();
    let body = format!(
        "{message}<form method=\"post\" action=\"login\">\n{service}\
         <p><label>User name <input name=\"username\" autocomplete=\"username\" required autofocus></label></p>\n\
         <p><label>Password <input name=\"password\" type=\"password\" autocomplete=\"current-password\" required></label></p>\n\
         <p><label><input name=\"rememberMe\" type=\"checkbox\" value=\"true\"> Remember me</label></p>\n\
         <p><button type=\"submit\">Log in</button></p>\n</form>"
    );
    page::html(status, "Log in", &body, headers)
}

fn internal_error(message: &str) -> Response {
    eprintln!("cas_node: {message}");
    page::html(
        StatusCode::INTERNAL_SERVER_ERROR,
        "Error",
        "<p>The server cannot complete the login; its log says why.</p>",
        HeaderMap::new(),
    )
}
