//! `/login` and `/logout`: the browser side of CAS (protocol 3.0 §2.1–2.3).
//!
//! The SSO session is a TGT in the `CASTGC` cookie; nothing about it is kept
//! on the node, so any node of the pool honours a cookie another node set.
//!
//! **Login CSRF.** A page elsewhere could post the attacker's credentials to
//! `/login` and log the victim's browser into the attacker's account. So the
//! form carries an `execution` token: 128 OS-random bits, also set in a
//! cookie (`__Host-CASLOGIN`: HttpOnly, SameSite=Strict, Secure, no domain,
//! so no other site or subdomain can read or plant it, and a cross-site POST
//! does not even carry it). A POST is honoured only when the field equals
//! the cookie. No node keeps state, so any node checks a form another served.

use std::sync::Arc;

use axum::extract::{ConnectInfo, State};
use axum::http::header::{RETRY_AFTER, SET_COOKIE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use cas_ticket_codec::{Authentication, Claims, Grant, Kind, Service, Ticket, normalize, rfc3339};
use subtle::ConstantTimeEq as _;
use time::OffsetDateTime;
use zeroize::Zeroizing;

use crate::Node;
use crate::accounts::Unavailable;
use crate::front::Peer;
use crate::metrics::Login;
use crate::page::{self, escape};
use crate::pool_state::{LOGOUT_RETRY_FOR, Logout};
use crate::request::{Body64, Params};
use crate::throttle::Admission;

/// The anti-CSRF cookie behind TLS, and on plain-HTTP loopback
/// (`--insecure-cookie`), where the `__Host-` prefix is not allowed.
const LOGIN_COOKIE: &str = "__Host-CASLOGIN";
const LOGIN_COOKIE_PLAIN: &str = "CASLOGIN";
/// Set when the user ticked `warn` at login: ask before every single
/// sign-on of the session (Apereo CAS's name for it).
const WARN_COOKIE: &str = "CASPRIVACY";

/// The authentication method recorded in tickets minted after a form login.
const METHOD: &str = "Password";

/// `GET /login?service=…&renew=…&gateway=…&method=…`.
pub async fn form(State(node): State<Arc<Node>>, query: Params, headers: HeaderMap) -> Response {
    if let Some(name) = query.repeated() {
        return repeated(name);
    }
    let service = match service_param(&node, &query) {
        Ok(service) => service,
        Err(invalid) => return invalid.into_response(),
    };
    let renew = query.flag("renew");
    // Protocol 3.0 §2.1.1: gateway is not compatible with renew; renew wins.
    let gateway = query.flag("gateway") && !renew;
    let now = OffsetDateTime::now_utc();

    let cookie = page::tgt_from(&headers);
    let session = match live_session(&node, cookie.as_deref(), now).await {
        SsoSession::Live(tgt) => Some(*tgt),
        SsoSession::Gone => None,
        SsoSession::Unknown => return session_unknown(),
    };
    if let (Some(tgt), false) = (&session, renew) {
        return match service {
            // CAS 3.0 §2.2.1 `warn`: single sign-on must not be transparent;
            // the user confirms each service first.
            Some(target) if query.flag("warn") || wants_warning(&headers) => {
                confirm_page(&node, &target, tgt.claims())
            }
            // Single sign-on: an ST at once, not from a fresh login.
            Some(target) => {
                issue_st(&node, tgt.claims(), target, false, now, HeaderMap::new()).await
            }
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
        _ => login_page(&node, StatusCode::OK, service.as_ref(), None, headers),
    }
}

/// `POST /login`: check the form's token and the credentials, set the TGT
/// cookie, and send the browser to the service with an ST from a fresh login.
pub async fn submit(
    State(node): State<Arc<Node>>,
    ConnectInfo(Peer(peer)): ConnectInfo<Peer>,
    headers: HeaderMap,
    body: Body64,
) -> Response {
    let Body64(Some(body)) = body else {
        return page::error_in_language(
            "login",
            StatusCode::PAYLOAD_TOO_LARGE,
            "the form is larger than this server reads",
        );
    };
    let form = Params::parse(&body);
    if let Some(name) = form.repeated() {
        return repeated(name);
    }
    let service = match service_param(&node, &form) {
        Ok(service) => service,
        Err(invalid) => return invalid.into_response(),
    };
    if !execution_matches(&node, &headers, form.get("execution")) {
        let message = "This login form has expired or did not come from this server. \
                       Log in again with the form below.";
        return login_page(
            &node,
            StatusCode::FORBIDDEN,
            service.as_ref(),
            Some(message),
            HeaderMap::new(),
        );
    }
    if form.get("confirmed").is_some() {
        return confirmed(&node, &headers, service).await;
    }
    let username = form.get("username").unwrap_or_default();
    // Who is guessing, and whether they may guess again now.
    let address = node.trusted.client_address(peer.ip(), &headers);
    match node
        .throttle
        .admit(username, address, OffsetDateTime::now_utc())
        .await
    {
        Admission::Admitted => {}
        Admission::Throttled { retry_after } => {
            tracing::warn!("login throttled: user {username:?} from {address}");
            node.metrics.login(Login::Throttled);
            return throttled(retry_after);
        }
        Admission::Unavailable => {
            node.metrics.login(Login::ThrottleUnavailable);
            return page::html(
                StatusCode::SERVICE_UNAVAILABLE,
                "Try again",
                "<p>The server cannot check logins right now. Try again in a moment.</p>",
                HeaderMap::new(),
            );
        }
    }
    let password = Zeroizing::new(form.get("password").unwrap_or_default().to_owned());
    let principal = match node.accounts.check(username, password).await {
        Ok(principal) => principal,
        Err(Unavailable(why)) => {
            tracing::warn!("login not checked: user {username:?} from {address}: {why}");
            node.metrics.login(Login::DirectoryUnavailable);
            let message = "The directory of users is unavailable, so the password cannot be \
                           checked. Try again in a moment.";
            return login_page(
                &node,
                StatusCode::SERVICE_UNAVAILABLE,
                service.as_ref(),
                Some(message),
                HeaderMap::new(),
            );
        }
    };
    let Some(principal) = principal else {
        // The user name escaped as a Rust string: no line or terminal
        // trickery in the log; never the password.
        tracing::warn!("login failed: user {username:?} from {address}");
        node.metrics.login(Login::InvalidCredentials);
        let message = "The user name or password is not correct.";
        return login_page(
            &node,
            StatusCode::UNAUTHORIZED,
            service.as_ref(),
            Some(message),
            HeaderMap::new(),
        );
    };

    let now = OffsetDateTime::now_utc();
    let remember_me = form.get("rememberMe").is_some();
    let auth = match Authentication::new(&principal, now).and_then(|auth| auth.with_method(METHOD))
    {
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
    if let Err((_, message)) = node.register(&tgt, &claims).await {
        return internal_error(&message);
    }
    node.metrics.login(Login::Success);
    // A remember-me session outlives the browser; a plain one ends with it.
    let max_age = remember_me.then(|| lifetime.whole_seconds());
    let mut cookies = page::tgt_cookie(
        Some(&tgt),
        &node.flags.context,
        !node.flags.insecure_cookie,
        max_age,
    );
    // The form's token is spent.
    if let Some(spent) = login_cookie(&node, None) {
        cookies.append(SET_COOKIE, spent);
    }
    // `warn` ticked: every later single sign-on of this session asks first.
    if let Some(warn) = warn_cookie(&node, form.flag("warn")) {
        cookies.append(SET_COOKIE, warn);
    }
    match service {
        Some(target) => issue_st(&node, &claims, target, true, now, cookies).await,
        None => logged_in(&claims, cookies),
    }
}

/// `GET /logout[?service=URL]`: clears the cookie in this browser. Without
/// a store the TGT itself stays valid until it expires: a stateless node
/// cannot revoke it. With one, the session ends on every node; if the store
/// cannot take that now, the user is told, and the node keeps trying.
pub async fn logout(State(node): State<Arc<Node>>, query: Params, headers: HeaderMap) -> Response {
    // CAS 3.0 §2.3.1: `url` MUST be ignored. `service`: the browser goes
    // there only if it is registered, so /logout is no open redirect; and
    // not before it is told that its session has not ended everywhere.
    let (back, unregistered) = match query.get("service").map(|given| Target::new(&node, given)) {
        Some(Ok(target)) => (Some(target.url), false),
        Some(Err(_)) => (None, true),
        None => (None, false),
    };
    log_out(&node, &headers, back, unregistered).await
}

/// Ends the SSO session of the browser's cookie: the cookie goes; with
/// --store the session ends on every node and the services it reached are
/// told. Then the browser goes `back` (a URL the caller checked is
/// registered), unless the session did not end everywhere; `unregistered`:
/// the caller was given a URL it refused, and the page says so.
pub(crate) async fn log_out(
    node: &Arc<Node>,
    headers: &HeaderMap,
    back: Option<String>,
    unregistered: bool,
) -> Response {
    let cleared = clear_cookie(node);
    let now = OffsetDateTime::now_utc();
    let tgt =
        page::tgt_from(headers).and_then(|tgt| node.codec().decode_kind(&tgt, Kind::Tgt, now).ok());
    // With --store: the session ends on every node, and the services it
    // reached are told (single logout).
    let mut ended = None;
    if let (Some(state), Some(tgt)) = (&node.state, &tgt)
        && let Some(session) = tgt.claims().session()
    {
        let principal = tgt.claims().principal();
        ended = Some(state.end(node, session, principal, now).await);
    }
    if let (Some(baseline), Some(text)) = (&node.baseline, page::tgt_from(headers)) {
        ended =
            (tgt.is_some() && baseline.removed(&text).await.is_ok()).then_some(Logout::Everywhere);
    }
    let expiry = tgt.map(|tgt| rfc3339(tgt.claims().expires_at()));
    let (status, caveat) = match (ended, expiry) {
        (Some(Logout::Everywhere), _) => (
            StatusCode::OK,
            "<p>Your session has ended on every node of the pool, and the \
             applications you used were told.</p>"
                .to_owned(),
        ),
        (Some(Logout::Pending), _) => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!(
                "<p><strong>You are not yet logged out everywhere.</strong> The session \
                 cookie is removed from this browser, but the session store did not answer, \
                 so your session has not ended on the other servers of this site, and the \
                 applications you used have not been told. This server keeps trying for the \
                 next {} minutes and tells them once it succeeds.</p>\n<p>On a shared \
                 computer, close the browser now.</p>",
                LOGOUT_RETRY_FOR.as_secs() / 60
            ),
        ),
        (Some(Logout::Lost), _) => (
            StatusCode::SERVICE_UNAVAILABLE,
            "<p><strong>You are not logged out everywhere.</strong> The session cookie is \
             removed from this browser, but the session store did not answer and this \
             server cannot try again now: your session goes on on the other servers of this \
             site until it expires, and the applications you used have not been told. On a \
             shared computer, close the browser now.</p>"
                .to_owned(),
        ),
        (None, Some(at)) => (
            StatusCode::OK,
            format!(
                "<p>The session cookie is removed from this browser. The session \
                 ticket itself cannot be revoked: a copy of it stays valid on every \
                 node until {at}.</p>"
            ),
        ),
        (None, None) => (
            StatusCode::OK,
            "<p>The session cookie is removed from this browser.</p>".to_owned(),
        ),
    };
    if let (StatusCode::OK, Some(url)) = (status, &back) {
        return page::redirect(url, cleared);
    }
    let not_back = if unregistered {
        "\n<p>The application that sent you here is not registered with this CAS \
         server, so you are not sent back to it.</p>"
            .to_owned()
    } else {
        match back {
            Some(url) => format!(
                "\n<p><a href=\"{}\">Continue to the application</a></p>",
                escape(&url)
            ),
            None => String::new(),
        }
    };
    page::html(
        status,
        "Logged out",
        &format!("{caveat}{not_back}"),
        cleared,
    )
}

/// Mints an ST from the TGT for the target and redirects the browser there
/// with `ticket=`.
async fn issue_st(
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
    let minted = node.mint(tgt, grant, now, node.flags.st_ttl);
    if let Ok((st, claims)) = &minted
        && let Err((_, message)) = node.register(st, claims).await
    {
        return internal_error(&message);
    }
    match minted.map(|(st, _)| st) {
        // `method=POST`: an auto-submitting form posts the ticket.
        Ok(st) if target.post => page::auto_post(&target.url, &[("ticket", &st)], headers),
        Ok(st) => page::redirect(&page::with_query(&target.url, &[("ticket", &st)]), headers),
        Err(e) => internal_error(&format!("cannot issue a service ticket: {e}")),
    }
}

/// Where the browser goes after the login: the `service` parameter
/// normalized (the redirect: the URL exactly as a browser reads it, so no
/// other parser can read it differently) and in the shortened form an ST
/// carries, once the registry says it is a registered service.
struct Target {
    url: String,
    service: Service,
    /// The registry's name for it, and its description, shown when `warn`
    /// asks the user.
    name: String,
    description: Option<String>,
    /// `method=POST`: deliver the ticket with a form post, not in the URL.
    post: bool,
}

impl Target {
    fn new(node: &Node, given: &str) -> Result<Self, InvalidService> {
        let url = normalize(given).map_err(|_| InvalidService::Url)?;
        let service = Service::new(&url).map_err(|_| InvalidService::Url)?;
        let (entry, _) = node.registered(&url).ok_or(InvalidService::Unregistered)?;
        Ok(Target {
            url,
            service,
            name: entry.name.clone(),
            description: entry.description.clone(),
            post: false,
        })
    }
}

/// The `service` and `method` parameters: a target if a service is given,
/// a registered one this node can issue tickets for.
fn service_param(node: &Node, params: &Params) -> Result<Option<Target>, InvalidService> {
    let post = match params.get("method") {
        None => false,
        Some(m) if m.eq_ignore_ascii_case("GET") => false,
        Some(m) if m.eq_ignore_ascii_case("POST") => true,
        Some(_) => return Err(InvalidService::Method),
    };
    match params.get("service") {
        None => Ok(None),
        Some(given) => Ok(Some(Target {
            post,
            ..Target::new(node, given)?
        })),
    }
}

/// A `service` parameter that is not a URL the codec accepts, one the
/// registry does not know, or a `method` other than GET or POST.
enum InvalidService {
    Url,
    Unregistered,
    Method,
}

impl IntoResponse for InvalidService {
    fn into_response(self) -> Response {
        let (status, title, why) = match self {
            InvalidService::Url => (
                StatusCode::BAD_REQUEST,
                "Invalid service",
                "<p>The service parameter is not an http or https URL this server accepts.</p>",
            ),
            // What Apereo CAS says; no redirect, no ticket, and the URL is
            // not echoed.
            InvalidService::Unregistered => (
                StatusCode::FORBIDDEN,
                "Application not authorized to use CAS",
                "<p>The application you are trying to reach is not registered with this \
                 CAS server. No ticket was issued to it, and you are not sent to it. If \
                 you think it should be, tell the people who run the application.</p>",
            ),
            InvalidService::Method => (
                StatusCode::BAD_REQUEST,
                "Invalid service",
                "<p>The method parameter must be GET or POST.</p>",
            ),
        };
        page::html(status, title, why, HeaderMap::new())
    }
}

/// 429 with `Retry-After` and a page that says when to try again.
fn throttled(retry_after: std::time::Duration) -> Response {
    let seconds = retry_after.as_secs() + u64::from(retry_after.subsec_nanos() > 0);
    let at =
        OffsetDateTime::now_utc() + time::Duration::seconds(i64::try_from(seconds).unwrap_or(0));
    let body = format!(
        "<p>There were too many login attempts for this account. Try again in \
         {seconds} seconds (after {}).</p>",
        rfc3339(at)
    );
    let mut headers = HeaderMap::new();
    headers.insert(RETRY_AFTER, HeaderValue::from(seconds));
    page::html(
        StatusCode::TOO_MANY_REQUESTS,
        "Too many attempts",
        &body,
        headers,
    )
}

/// A parameter given twice: refused, never read one way here and another
/// way by a proxy in front.
fn repeated(name: &str) -> Response {
    page::error_in_language(
        "login",
        StatusCode::BAD_REQUEST,
        &format!("the parameter '{name}' is given more than once"),
    )
}

/// The anti-CSRF cookie: set to `token`, or cleared with `None`.
fn login_cookie(node: &Node, token: Option<&str>) -> Option<HeaderValue> {
    let secure = !node.flags.insecure_cookie;
    let (name, path, secure_attr) = if secure {
        (LOGIN_COOKIE, "/", "; Secure")
    } else {
        let context = node.flags.context.as_str();
        (
            LOGIN_COOKIE_PLAIN,
            if context.is_empty() { "/" } else { context },
            "",
        )
    };
    let life = if token.is_some() { "" } else { "; Max-Age=0" };
    format!(
        "{name}={}; Path={path}; HttpOnly; SameSite=Strict{secure_attr}{life}",
        token.unwrap_or_default()
    )
    .parse()
    .ok()
}

/// Whether the form's `execution` equals the browser's cookie.
fn execution_matches(node: &Node, headers: &HeaderMap, field: Option<&str>) -> bool {
    let name = if node.flags.insecure_cookie {
        LOGIN_COOKIE_PLAIN
    } else {
        LOGIN_COOKIE
    };
    match (page::cookie(headers, name), field) {
        (Some(cookie), Some(field)) if cookie.len() == 2 * page::RANDOM_BYTES => {
            bool::from(cookie.as_bytes().ct_eq(field.as_bytes()))
        }
        _ => false,
    }
}

/// Clears the session's cookies: the TGT, and `warn`'s.
fn clear_cookie(node: &Node) -> HeaderMap {
    let mut headers =
        page::tgt_cookie(None, &node.flags.context, !node.flags.insecure_cookie, None);
    if let Some(warn) = warn_cookie(node, false) {
        headers.append(SET_COOKIE, warn);
    }
    headers
}

/// The `warn` cookie: set for the browser session, or cleared.
fn warn_cookie(node: &Node, warn: bool) -> Option<HeaderValue> {
    let context = node.flags.context.as_str();
    let path = if context.is_empty() { "/" } else { context };
    let secure = if node.flags.insecure_cookie {
        ""
    } else {
        "; Secure"
    };
    let (value, life) = if warn {
        ("true", "")
    } else {
        ("", "; Max-Age=0")
    };
    format!("{WARN_COOKIE}={value}; Path={path}; HttpOnly; SameSite=Lax{secure}{life}")
        .parse()
        .ok()
}

/// Whether this browser's session asked to be warned before single sign-on.
pub(crate) fn wants_warning(headers: &HeaderMap) -> bool {
    page::cookie(headers, WARN_COOKIE).is_some_and(|v| v == "true")
}

/// What the `CASTGC` cookie is worth.
pub(crate) enum SsoSession {
    /// Its TGT validates and its session is live.
    Live(Box<Ticket>),
    /// No cookie, a TGT that does not validate, or (with --store) a session
    /// ended by a logout on any node: the cookie is cleared.
    Gone,
    /// The store cannot say whether the session ended (and fails closed):
    /// no single sign-on now, but the cookie is kept, so that the session
    /// goes on once the store is back.
    Unknown,
}

/// The session of the `CASTGC` cookie.
pub(crate) async fn live_session(
    node: &Node,
    cookie: Option<&str>,
    now: OffsetDateTime,
) -> SsoSession {
    let Some(tgt) = cookie.and_then(|c| node.codec().decode_kind(c, Kind::Tgt, now).ok()) else {
        return SsoSession::Gone;
    };
    let checked = match (&node.state, &node.baseline, cookie) {
        (Some(state), _, _) => state.live(node, &tgt, now).await,
        (None, Some(baseline), Some(cookie)) => baseline.held(cookie).await,
        _ => Ok(()),
    };
    match checked {
        Ok(()) => SsoSession::Live(Box::new(tgt)),
        Err(("INTERNAL_ERROR", _)) => SsoSession::Unknown,
        Err(_) => SsoSession::Gone,
    }
}

/// The page for a session the store cannot check now: 503, and the
/// cookie left alone.
pub(crate) fn session_unknown() -> Response {
    let mut headers = HeaderMap::new();
    headers.insert(RETRY_AFTER, HeaderValue::from_static("5"));
    page::html(
        StatusCode::SERVICE_UNAVAILABLE,
        "Try again shortly",
        "<p>The server cannot check your session right now. Try again in a few \
         seconds; you stay logged in.</p>",
        headers,
    )
}

/// `warn`: the page that asks before a single sign-on. Continuing posts
/// the form back with this page's `execution` token (as the login form
/// does, so no other site can post it), and only then is an ST issued.
fn confirm_page(node: &Node, target: &Target, session: &Claims) -> Response {
    let Some(execution) = page::random_hex() else {
        return internal_error("cannot draw a login form token from the OS");
    };
    let mut headers = HeaderMap::new();
    if let Some(cookie) = login_cookie(node, Some(&execution)) {
        headers.append(SET_COOKIE, cookie);
    }
    let mut fields = hidden("execution", &execution);
    fields.push_str(&hidden("confirmed", "true"));
    fields.push_str(&hidden("service", &target.url));
    if target.post {
        fields.push_str(&hidden("method", "POST"));
    }
    let body = format!(
        "<p>You are logged in as <b>{user}</b>. Log in to <b>{name}</b> \
         (<code>{url}</code>) with this session?</p>\n{about}\
         <form method=\"post\" action=\"login\">\n{fields}\
         <p><button type=\"submit\">Continue to {name}</button></p>\n</form>",
        user = escape(session.principal()),
        name = escape(&target.name),
        url = escape(&target.url),
        about = target
            .description
            .as_deref()
            .map(|d| format!("<p>{}</p>\n", escape(d)))
            .unwrap_or_default(),
    );
    page::html(
        StatusCode::OK,
        "Continue with single sign-on?",
        &body,
        headers,
    )
}

/// `POST /login` from the `warn` page: an ST from the live session, not
/// from a fresh login.
async fn confirmed(node: &Node, headers: &HeaderMap, service: Option<Target>) -> Response {
    let now = OffsetDateTime::now_utc();
    let cookie = page::tgt_from(headers);
    let session = live_session(node, cookie.as_deref(), now).await;
    if let SsoSession::Unknown = session {
        return session_unknown();
    }
    let (SsoSession::Live(tgt), Some(target)) = (session, service) else {
        return login_page(
            node,
            StatusCode::OK,
            None,
            Some("Your session has ended. Log in again."),
            clear_cookie(node),
        );
    };
    let mut cookies = HeaderMap::new();
    if let Some(spent) = login_cookie(node, None) {
        cookies.append(SET_COOKIE, spent);
    }
    issue_st(node, tgt.claims(), target, false, now, cookies).await
}

/// A hidden form field.
fn hidden(name: &str, value: &str) -> String {
    format!(
        "<input type=\"hidden\" name=\"{name}\" value=\"{}\">\n",
        escape(value)
    )
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

/// The login form, with a fresh `execution` token in it and in its cookie.
fn login_page(
    node: &Node,
    status: StatusCode,
    service: Option<&Target>,
    message: Option<&str>,
    mut headers: HeaderMap,
) -> Response {
    let Some(execution) = page::random_hex() else {
        return internal_error("cannot draw a login form token from the OS");
    };
    if let Some(cookie) = login_cookie(node, Some(&execution)) {
        headers.append(SET_COOKIE, cookie);
    }
    let message = message
        .map(|m| format!("<p role=\"alert\">{}</p>\n", escape(m)))
        .unwrap_or_default();
    let mut fields = hidden("execution", &execution);
    if let Some(target) = service {
        fields.push_str(&hidden("service", &target.url));
        if target.post {
            fields.push_str(&hidden("method", "POST"));
        }
    }
    let body = format!(
        "{message}<form method=\"post\" action=\"login\">\n{fields}\
         <p><label>User name <input name=\"username\" autocomplete=\"username\" required autofocus></label></p>\n\
         <p><label>Password <input name=\"password\" type=\"password\" autocomplete=\"current-password\" required></label></p>\n\
         <p><label><input name=\"rememberMe\" type=\"checkbox\" value=\"true\"> Remember me</label></p>\n\
         <p><label><input name=\"warn\" type=\"checkbox\" value=\"true\"> Ask me before logging me in to other applications</label></p>\n\
         <p><button type=\"submit\">Log in</button></p>\n</form>"
    );
    page::html(status, "Log in", &body, headers)
}

fn internal_error(message: &str) -> Response {
    tracing::error!("{message}");
    page::html(
        StatusCode::INTERNAL_SERVER_ERROR,
        "Error",
        "<p>The server cannot complete the login; its log says why.</p>",
        HeaderMap::new(),
    )
}
