//! The back channel: `/validate` (CAS 1.0), `/serviceValidate`,
//! `/proxyValidate` (CAS 2.0), their `/p3/` forms (CAS 3.0, with attributes),
//! `/proxy`, and the `pgtUrl` callback (protocol 3.0 §2.4–2.7).
//!
//! Validation is the codec's `decode` and nothing else: any node opens any
//! node's ticket with the shared keyring. What a stateless node cannot do is
//! said where it matters: a ticket validates as often as it is presented
//! until it expires, and `INVALID_SERVICE` cannot invalidate the ticket.

use std::sync::Arc;

use axum::extract::State;
use axum::response::Response;
use cas_ticket_codec::{
    CallbackUrl, Claims, Error, Grant, InvalidClaims, Kind, ProxyChain, Service, Ticket,
    new_pgt_iou, rfc3339,
};
use time::OffsetDateTime;

use crate::Node;
use crate::accounts::Unavailable;
use crate::page::{self, Format, Success};
use crate::registry::RegisteredService;
use crate::request::Params;

/// A protocol error code and its human message.
pub type Failure = (&'static str, String);

/// `GET /validate` (CAS 1.0): `yes\nUSER\n` or `no\n\n`. Service tickets
/// only. CAS 1.0's answer has no room for attributes, so it cannot signal
/// remember-me (§4.1.3); the CAS 2.0 and 3.0 endpoints do.
pub async fn cas1(State(node): State<Arc<Node>>, q: Params) -> Response {
    let answer = match (q.get("ticket"), q.get("service"), q.repeated()) {
        (Some(ticket), Some(service), None) => {
            let renew = q.flag("renew");
            match validate_ticket(&node, "validate", ticket, service, false, renew).await {
                Ok(validated) => format!("yes\n{}\n", validated.ticket.claims().principal()),
                Err(_) => "no\n\n".to_owned(),
            }
        }
        _ => "no\n\n".to_owned(),
    };
    page::plain(answer)
}

/// `GET /serviceValidate`, `/proxyValidate` and their `/p3/` forms:
/// `PROXY_TICKETS` accepts PTs as well as STs (`proxyValidate`), `CAS3`
/// releases the user's attributes the registry allows (`/p3/`, CAS 3.0).
/// Both forms carry the protocol's own attributes (`authenticationDate`,
/// `longTermAuthenticationRequestTokenUsed`, `isFromNewLogin`,
/// `authenticationMethod`) in `<cas:attributes>`, so that every validation
/// signals remember-me (§4.1.3); CAS 2.0 clients ignore the element or read
/// it as CAS 3.0 clients do.
pub async fn validate<const PROXY_TICKETS: bool, const CAS3: bool>(
    State(node): State<Arc<Node>>,
    q: Params,
) -> Response {
    let format = match q.get("format") {
        None => Format::Xml,
        Some(f) if f.eq_ignore_ascii_case("XML") => Format::Xml,
        Some(f) if f.eq_ignore_ascii_case("JSON") => Format::Json,
        Some(_) => {
            return page::failure(
                "authenticationFailure",
                "INVALID_REQUEST",
                "format must be XML or JSON",
            );
        }
    };
    let failed = |(code, message): Failure| {
        page::failure_as(format, "authenticationFailure", code, &message)
    };
    if let Some(name) = q.repeated() {
        return failed(repeated(name));
    }
    let (Some(ticket), Some(service)) = (q.get("ticket"), q.get("service")) else {
        return failed((
            "INVALID_REQUEST",
            "'ticket' and 'service' parameters are both required".to_owned(),
        ));
    };
    let renew = q.flag("renew");
    let endpoint = match (PROXY_TICKETS, CAS3) {
        (false, false) => "serviceValidate",
        (true, false) => "proxyValidate",
        (false, true) => "p3/serviceValidate",
        (true, true) => "p3/proxyValidate",
    };
    let Validated { ticket, service } =
        match validate_ticket(&node, endpoint, ticket, service, PROXY_TICKETS, renew).await {
            Ok(validated) => validated,
            Err(failure) => return failed(failure),
        };
    let claims = ticket.claims();
    let released = if CAS3 { Some(&*service) } else { None };
    let attributes = match attributes(&node, claims, released).await {
        Ok(attributes) => attributes,
        Err(failure) => return failed(failure),
    };
    let pgt_iou = match q.get("pgtUrl") {
        Some(url) => match grant_pgt(&node, claims, &service, url).await {
            Ok(iou) => Some(iou),
            Err(failure) => return failed(failure),
        },
        None => None,
    };
    let proxies = match claims.grant() {
        Grant::Proxy { proxies, .. } => proxies.as_slice(),
        _ => &[],
    };
    Success {
        user: claims.principal(),
        attributes: Some(attributes),
        pgt_iou,
        proxies,
    }
    .into_response(format)
}

/// The failure for a parameter given twice: refused, never read one way
/// here and another way by a proxy in front.
fn repeated(name: &str) -> Failure {
    (
        "INVALID_REQUEST",
        format!("the parameter '{name}' is given more than once"),
    )
}

/// A ticket that passed validation, and the registered service it was
/// validated for.
pub struct Validated {
    pub ticket: Ticket,
    pub service: Arc<RegisteredService>,
}

/// Validates an ST (or a PT, with `proxy_tickets`) presented for `service`,
/// checking in order: it is authentic and unexpired, it is a kind this
/// endpoint accepts, `service` is registered, the ticket was issued for it,
/// and it satisfies `renew`. With `--store`, the ticket is then spent
/// pool-wide **whether or not it passed** (CAS 3.0 §2.5.3, §3.1.1, §3.2.1:
/// "whether or not validation was successful, CAS MUST then invalidate the
/// ticket"), and a ticket that passed must be its first use in a live
/// session. A stateless node cannot invalidate anything: a ticket refused
/// here for its service still validates for its own until it expires.
pub async fn validate_ticket(
    node: &Node,
    endpoint: &'static str,
    text: &str,
    service: &str,
    proxy_tickets: bool,
    renew: bool,
) -> Result<Validated, Failure> {
    let validated = validate_once(node, text, service, proxy_tickets, renew).await;
    let outcome = match &validated {
        Ok(_) => "success",
        Err((code, _)) => code,
    };
    node.metrics.validation(endpoint, outcome);
    validated
}

/// [`validate_ticket`], uncounted.
async fn validate_once(
    node: &Node,
    text: &str,
    service: &str,
    proxy_tickets: bool,
    renew: bool,
) -> Result<Validated, Failure> {
    let now = OffsetDateTime::now_utc();
    let ticket = node
        .codec()
        .decode(text, now)
        .map_err(|e| ("INVALID_TICKET", format!("ticket rejected: {e}")))?;
    if matches!(ticket.claims().kind(), Kind::Tgt | Kind::Pgt) {
        // Not a one-time ticket: nothing to spend.
        return Err((
            "INVALID_TICKET",
            format!(
                "ticket rejected: a {} is not a service or proxy ticket",
                ticket.claims().kind()
            ),
        ));
    }
    let checked = check_ticket(node, &ticket, service, proxy_tickets, renew);
    let record_for = checked.as_ref().ok().map(|_| service);
    let spent = spend(node, &ticket, text, record_for, now).await;
    let service = checked?;
    spent?;
    Ok(Validated { ticket, service })
}

/// The checks of [`validate_ticket`] after decoding an ST or PT.
fn check_ticket(
    node: &Node,
    ticket: &Ticket,
    service: &str,
    proxy_tickets: bool,
    renew: bool,
) -> Result<Arc<RegisteredService>, Failure> {
    let fresh_login = match ticket.claims().grant() {
        Grant::Service { fresh_login, .. } => *fresh_login,
        Grant::Proxy { .. } if proxy_tickets => false,
        _ => {
            return Err((
                "INVALID_TICKET_SPEC",
                "a proxy ticket cannot be validated here; use proxyValidate".to_owned(),
            ));
        }
    };
    let Some((registered, _)) = node.registered(service) else {
        return Err((
            "INVALID_SERVICE",
            "the service is not registered with this CAS server".to_owned(),
        ));
    };
    ticket.require_service(service).map_err(|_| {
        (
            "INVALID_SERVICE",
            "the ticket was issued for another service".to_owned(),
        )
    })?;
    if renew && !fresh_login {
        return Err((
            "INVALID_TICKET_SPEC",
            "renew=true, but the ticket was not issued from a fresh login".to_owned(),
        ));
    }
    Ok(registered)
}

/// With `--store`: the ST or PT is spent pool-wide, and, when it passed
/// (`record_for` is the service it was validated for), it is recorded for
/// single logout and must be the first use in a live session. With
/// `--registry-baseline`, it is taken from the registry.
async fn spend(
    node: &Node,
    ticket: &Ticket,
    text: &str,
    record_for: Option<&str>,
    now: OffsetDateTime,
) -> Result<(), Failure> {
    if let Some(state) = &node.state {
        state.spend(node, ticket, text, record_for, now).await?;
    }
    if let Some(baseline) = &node.baseline {
        baseline.taken(text).await?;
    }
    Ok(())
}

/// The attributes of a validation: the protocol's own, then, for a CAS 3.0
/// answer (`released` is the service validated for), the user's that the
/// registry releases to that service, read from the users file now
/// (attributes are never carried in tickets).
pub async fn attributes(
    node: &Node,
    claims: &Claims,
    released: Option<&RegisteredService>,
) -> Result<Vec<(String, String)>, Failure> {
    let auth = claims.authentication();
    let from_new_login = matches!(
        claims.grant(),
        Grant::Service {
            fresh_login: true,
            ..
        }
    );
    let mut attributes = vec![
        (
            "authenticationDate".to_owned(),
            rfc3339(auth.authenticated_at()),
        ),
        (
            "longTermAuthenticationRequestTokenUsed".to_owned(),
            auth.remember_me().to_string(),
        ),
        ("isFromNewLogin".to_owned(), from_new_login.to_string()),
    ];
    for method in auth.methods() {
        attributes.push(("authenticationMethod".to_owned(), method.clone()));
    }
    let Some(service) = released else {
        return Ok(attributes);
    };
    let held = node
        .accounts
        .attributes_of(auth.principal())
        .await
        .map_err(|Unavailable(why)| {
            tracing::warn!("{why}");
            (
                "INTERNAL_ERROR",
                "the attribute store cannot be read".to_owned(),
            )
        })?;
    attributes.extend(held.into_iter().filter(|(name, _)| service.releases(name)));
    Ok(attributes)
}

/// Protocol 3.0 §2.5.4: mint a PGT for `url`, deliver it with a fresh
/// PGTIOU to `url`, and return the IOU. The callback must be an https URL
/// under one of the validated service's `proxy_callbacks`, must present a
/// certificate the node trusts, and must answer 200; anything else (another
/// status, a TLS failure, no answer within the timeout) fails the whole
/// validation with `INVALID_PROXY_CALLBACK`: the service asked for a PGT and
/// did not get one.
async fn grant_pgt(
    node: &Node,
    claims: &Claims,
    service: &RegisteredService,
    url: &str,
) -> Result<String, Failure> {
    let invalid = |why: String| ("INVALID_PROXY_CALLBACK", format!("pgtUrl {why}"));
    // From here on the callback is the URL as a browser reads it: the one
    // the registry checks is the one called.
    let callback = CallbackUrl::new(url).map_err(|_| {
        invalid(
            "is not an http or https URL the codec accepts, of at most 200 characters".to_owned(),
        )
    })?;
    // Registry scopes for callbacks are https only (registry.rs).
    if !service.may_receive_pgt_at(callback.as_str()) {
        return Err((
            "UNAUTHORIZED_SERVICE_PROXY",
            format!(
                "this pgtUrl is not among the proxy callbacks registered for {}",
                service.name
            ),
        ));
    }
    // n-tier proxying (§2.6): a PGT obtained by validating a PT carries the
    // PT's chain, so the PTs minted from it report the whole chain.
    let upstream = match claims.grant() {
        Grant::Proxy { proxies, .. } => proxies.as_slice().to_vec(),
        _ => Vec::new(),
    };
    let now = OffsetDateTime::now_utc();
    let url = callback.as_str().to_owned();
    let grant = Grant::ProxyGranting { callback, upstream };
    let minted = node
        .mint(claims, grant, now, node.flags.pgt_ttl)
        .and_then(|(pgt, pgt_claims)| Ok((pgt, pgt_claims, new_pgt_iou()?)));
    let (pgt, pgt_claims, iou) = minted.map_err(|e| match e {
        // A chain too long for a ticket is refused, never cut.
        Error::TooLong { .. } | Error::InvalidClaims(InvalidClaims::ProxyChain) => invalid(
            format!("cannot be added: the proxy chain would be too long for a ticket: {e}"),
        ),
        _ => {
            tracing::error!("cannot issue a proxy-granting ticket: {e}");
            (
                "INTERNAL_ERROR",
                "cannot issue a proxy-granting ticket".to_owned(),
            )
        }
    })?;
    node.register(&pgt, &pgt_claims).await?;

    let agent = node.callbacks.clone();
    let target = page::with_query(&url, &[("pgtIou", &iou), ("pgtId", &pgt)]);
    let delivered = tokio::task::spawn_blocking(move || {
        agent
            .get(&target)
            .call()
            .map(|response| response.status().as_u16())
            // The PGT is a bearer secret: never in the log, even where an
            // error quotes the URL.
            .map_err(|e| e.to_string().replace(&pgt, "[pgtId]"))
    })
    .await
    .unwrap_or_else(|e| Err(e.to_string()));
    match delivered {
        Ok(200) => Ok(iou),
        Ok(status) => {
            tracing::warn!("pgtUrl {url} answered {status}; validation failed");
            Err(invalid(format!("answered HTTP {status}, not 200")))
        }
        Err(e) => {
            tracing::warn!("pgtUrl callback to {url} failed ({e}); validation failed");
            Err(invalid(
                "could not be reached over TLS with a trusted certificate".to_owned(),
            ))
        }
    }
}

/// `GET /proxy?pgt=…&targetService=…`: a PT for the target service, whose
/// proxy chain is the PGT's callback URL and the proxies upstream of it.
pub async fn proxy(State(node): State<Arc<Node>>, q: Params) -> Response {
    let failed = |code: &str, message: &str| page::failure("proxyFailure", code, message);
    if let Some(name) = q.repeated() {
        return failed("INVALID_REQUEST", &repeated(name).1);
    }
    let (Some(pgt), Some(target)) = (q.get("pgt"), q.get("targetService")) else {
        return failed(
            "INVALID_REQUEST",
            "'pgt' and 'targetService' parameters are both required",
        );
    };
    let Ok(service) = Service::new(target) else {
        return failed(
            "INVALID_REQUEST",
            "targetService is not an http or https URL this server accepts",
        );
    };
    match node.registered(target) {
        Some((entry, _)) if entry.proxy_tickets => {}
        Some((entry, _)) => {
            return failed(
                "UNAUTHORIZED_SERVICE",
                &format!(
                    "{} is registered without proxy_tickets: it cannot be proxied to",
                    entry.name
                ),
            );
        }
        None => {
            return failed(
                "UNAUTHORIZED_SERVICE",
                "targetService is not registered with this CAS server",
            );
        }
    }
    let now = OffsetDateTime::now_utc();
    let pgt_text = pgt;
    let pgt = match node.codec().decode_kind(pgt, Kind::Pgt, now) {
        Ok(pgt) => pgt,
        Err(e) => return failed("INVALID_TICKET", &format!("pgt rejected: {e}")),
    };
    if let Some(state) = &node.state
        && let Err((code, message)) = state.live(&node, &pgt, now).await
    {
        return failed(code, &message);
    }
    if let Some(baseline) = &node.baseline
        && let Err((code, message)) = baseline.held(pgt_text).await
    {
        return failed(code, &message);
    }
    let Grant::ProxyGranting { callback, .. } = pgt.claims().grant() else {
        return failed(
            "INVALID_TICKET",
            "pgt rejected: not a proxy-granting ticket",
        );
    };
    if node
        .services()
        .proxy_callback_owner(callback.as_str())
        .is_none()
    {
        return failed(
            "UNAUTHORIZED_SERVICE",
            "the proxy that holds this pgt is no longer allowed to proxy",
        );
    }
    let minted = ProxyChain::through(pgt.claims().grant())
        .ok_or(Error::InvalidClaims(InvalidClaims::ProxyChain))
        .and_then(|proxies| {
            let grant = Grant::Proxy { service, proxies };
            node.mint(pgt.claims(), grant, now, node.flags.st_ttl)
        });
    if let Ok((pt, pt_claims)) = &minted
        && let Err((code, message)) = node.register(pt, pt_claims).await
    {
        return failed(code, &message);
    }
    match minted.map(|(pt, _)| pt) {
        Ok(pt) => page::xml(&format!(
            "  <cas:proxySuccess>\n    <cas:proxyTicket>{pt}</cas:proxyTicket>\n  </cas:proxySuccess>\n"
        )),
        Err(e) => {
            tracing::error!("cannot issue a proxy ticket: {e}");
            failed("INTERNAL_ERROR", "cannot issue a proxy ticket")
        }
    }
}
