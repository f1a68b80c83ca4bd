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
use crate::page::{self, Format, Success};
use crate::request::Params;
use crate::users::Directory;

/// A protocol error code and its human message.
pub type Failure = (&'static str, String);

/// `GET /validate` (CAS 1.0): `yes\nUSER\n` or `no\n\n`. Service tickets only.
pub async fn cas1(State(node): State<Arc<Node>>, q: Params) -> Response {
    let answer = match (q.get("ticket"), q.get("service"), q.repeated()) {
        (Some(ticket), Some(service), None) => {
            let renew = q.flag("renew");
            let checked = match check_ticket(&node, ticket, service, false, renew) {
                Ok(checked) => spend(&node, checked, ticket, service).await,
                Err(failure) => Err(failure),
            };
            match checked {
                Ok(ticket) => format!("yes\n{}\n", ticket.claims().principal()),
                Err(_) => "no\n\n".to_owned(),
            }
        }
        _ => "no\n\n".to_owned(),
    };
    page::plain(answer)
}

/// `GET /serviceValidate`, `/proxyValidate` and their `/p3/` forms:
/// `PROXY_TICKETS` accepts PTs as well as STs (`proxyValidate`), `ATTRIBUTES`
/// releases `<cas:attributes>` (`/p3/`, CAS 3.0).
pub async fn validate<const PROXY_TICKETS: bool, const ATTRIBUTES: bool>(
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
    let text = ticket;
    let ticket = match check_ticket(&node, text, service, PROXY_TICKETS, renew) {
        Ok(ticket) => ticket,
        Err(failure) => return failed(failure),
    };
    let ticket = match spend(&node, ticket, text, service).await {
        Ok(ticket) => ticket,
        Err(failure) => return failed(failure),
    };
    let claims = ticket.claims();

    let attributes = if ATTRIBUTES {
        match attributes(&node, claims).await {
            Ok(attributes) => Some(attributes),
            Err(failure) => return failed(failure),
        }
    } else {
        None
    };
    let pgt_iou = match q.get("pgtUrl") {
        Some(url) => match grant_pgt(&node, claims, url).await {
            Ok(iou) => iou,
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
        attributes,
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

/// With `--store`, the last check of a validation: the ticket is spent
/// pool-wide, and its session has not ended.
pub async fn spend(
    node: &Node,
    ticket: Ticket,
    text: &str,
    service: &str,
) -> Result<Ticket, Failure> {
    if let Some(state) = &node.state {
        state
            .spend(node, &ticket, text, service, OffsetDateTime::now_utc())
            .await?;
    }
    if let Some(registry) = &node.registry {
        registry.taken(text).await?;
    }
    Ok(ticket)
}

/// Decodes a ticket presented for validation and checks, in order: it is
/// authentic and unexpired, it is a kind this endpoint accepts, it was issued
/// for `service`, and it satisfies `renew`.
pub fn check_ticket(
    node: &Node,
    text: &str,
    service: &str,
    proxy_tickets: bool,
    renew: bool,
) -> Result<Ticket, Failure> {
    let now = OffsetDateTime::now_utc();
    let ticket = node
        .codec()
        .decode(text, now)
        .map_err(|e| ("INVALID_TICKET", format!("ticket rejected: {e}")))?;
    let fresh_login = match ticket.claims().grant() {
        Grant::Service { fresh_login, .. } => *fresh_login,
        Grant::Proxy { .. } if proxy_tickets => false,
        Grant::Proxy { .. } => {
            return Err((
                "INVALID_TICKET_SPEC",
                "a proxy ticket cannot be validated here; use proxyValidate".to_owned(),
            ));
        }
        Grant::TicketGranting | Grant::ProxyGranting { .. } => {
            return Err((
                "INVALID_TICKET",
                format!(
                    "ticket rejected: a {} is not a service or proxy ticket",
                    ticket.claims().kind()
                ),
            ));
        }
    };
    // A stateless node cannot invalidate the ticket here, as protocol 3.0
    // §2.5.3 asks; the ticket stays valid for its own service until it expires.
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
    Ok(ticket)
}

/// CAS 3.0 attributes: the protocol's own first, then the user's, read from
/// the users file now (attributes are never carried in tickets).
pub async fn attributes(node: &Node, claims: &Claims) -> Result<Vec<(String, String)>, Failure> {
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
    let directory = Directory::load(&node.flags.users).await.map_err(|e| {
        eprintln!("cas_node: {e}");
        (
            "INTERNAL_ERROR",
            "the attribute store cannot be read".to_owned(),
        )
    })?;
    attributes.extend(
        directory
            .attributes_of(auth.principal())
            .map(|(name, value)| (name.to_owned(), value.to_owned())),
    );
    Ok(attributes)
}

/// Protocol 3.0 §2.5.4: mint a PGT for `url`, deliver it with a fresh PGTIOU
/// to `url`, and return the IOU if the callback answered 200. A callback that
/// cannot be reached or answers anything else gets no PGT, and the
/// validation still succeeds without an IOU.
async fn grant_pgt(node: &Node, claims: &Claims, url: &str) -> Result<Option<String>, Failure> {
    let invalid = |why: &str| ("INVALID_PROXY_CALLBACK", format!("pgtUrl {why}"));
    // From here on the callback is the URL as a browser reads it: the one
    // the allowlist checks is the one called.
    let callback = CallbackUrl::new(url).map_err(|_| {
        invalid("is not an http or https URL the codec accepts, of at most 200 characters")
    })?;
    // An http:// callback passes only where the operator listed an http://
    // URL on purpose.
    if !node.proxy_allowed(&callback) {
        return Err((
            "UNAUTHORIZED_SERVICE_PROXY",
            "this pgtUrl is not allowed to receive proxy-granting tickets".to_owned(),
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
        Error::TooLong { .. } | Error::InvalidClaims(InvalidClaims::ProxyChain) => (
            "INVALID_PROXY_CALLBACK",
            format!("the proxy chain would be too long for a ticket: {e}"),
        ),
        _ => {
            eprintln!("cas_node: cannot issue a proxy-granting ticket: {e}");
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
        Ok(200) => Ok(Some(iou)),
        Ok(status) => {
            eprintln!("cas_node: pgtUrl answered {status}; no PGT issued");
            Ok(None)
        }
        Err(e) => {
            eprintln!("cas_node: pgtUrl callback failed ({e}); no PGT issued");
            Ok(None)
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
    let now = OffsetDateTime::now_utc();
    let pgt_text = pgt;
    let pgt = match node.codec().decode_kind(pgt, Kind::Pgt, now) {
        Ok(pgt) => pgt,
        Err(e) => return failed("INVALID_TICKET", &format!("pgt rejected: {e}")),
    };
    if let Some(state) = &node.state
        && let Err((code, message)) = state.live(pgt.claims().session().map(|s| s.id())).await
    {
        return failed(code, &message);
    }
    if let Some(registry) = &node.registry
        && let Err((code, message)) = registry.held(pgt_text).await
    {
        return failed(code, &message);
    }
    let Grant::ProxyGranting { callback, .. } = pgt.claims().grant() else {
        return failed(
            "INVALID_TICKET",
            "pgt rejected: not a proxy-granting ticket",
        );
    };
    if !node.proxy_allowed(callback) {
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
            eprintln!("cas_node: cannot issue a proxy ticket: {e}");
            failed("INTERNAL_ERROR", "cannot issue a proxy ticket")
        }
    }
}
