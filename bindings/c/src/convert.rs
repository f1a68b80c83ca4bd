//! From C values to the library's claims, and from a decoded (or opened)
//! ticket to the `CtcTicket` view. Safe code only: `lib.rs` turns the raw
//! pointers into the borrowed values used here.

use std::borrow::Cow;
use std::ffi::{CStr, CString, c_char};
use std::ptr;

use cas_ticket_codec::oauth::{
    Authorization, ClaimNames, ClaimsRequest, ClientId, CodeChallenge, GrantId, Nonce, Scopes,
};
use cas_ticket_codec::{
    Alg, Authentication, CallbackUrl, Claims, Codec, Error, Grant, InvalidClaims, KeyId, Kind,
    MAX_PROXIES, ProxyChain, Service, Session, SessionId, Ticket, inspect, is_normalized,
};
use time::{Duration, OffsetDateTime};

use crate::status::{Failure, kind_number, kind_of};
use crate::{CTC_NOW, CtcTicket};

/// `CtcClaims` with its pointers checked and borrowed.
pub(crate) struct ClaimsInput<'a> {
    pub kind: i32,
    pub principal: Option<&'a CStr>,
    pub authenticated_at: i64,
    pub methods: Vec<&'a CStr>,
    pub remember_me: bool,
    pub service: Option<&'a CStr>,
    pub fresh_login: bool,
    pub proxies: Vec<&'a CStr>,
    pub pgt_url: Option<&'a CStr>,
    pub upstream: Vec<&'a CStr>,
    pub issued_at: i64,
    pub lifetime_seconds: i64,
    pub session_id: Option<&'a CStr>,
    pub session_ends_at: i64,
    pub client_id: Option<&'a CStr>,
    pub scope: Option<&'a CStr>,
    pub grant_id: Option<&'a CStr>,
    pub id_token_claims: Vec<&'a CStr>,
    pub userinfo_claims: Vec<&'a CStr>,
    pub redirect_uri: Option<&'a CStr>,
    pub nonce: Option<&'a CStr>,
    pub code_challenge: Option<&'a CStr>,
}

/// The arguments of `ctc_decode`, checked and borrowed.
pub(crate) struct DecodeInput<'a> {
    pub ticket: &'a CStr,
    pub service: Option<&'a CStr>,
    pub kind: i32,
    pub now: i64,
    pub leeway_seconds: i64,
}

/// UTF-8 text of a C string; the error names the argument, not its value.
fn text<'a>(s: &'a CStr, what: &'static str) -> Result<&'a str, Failure> {
    s.to_str().map_err(|_| Failure::invalid(what))
}

/// `CTC_NOW` or Unix seconds.
fn instant(seconds: i64, now: &mut Option<OffsetDateTime>) -> Option<OffsetDateTime> {
    if seconds == CTC_NOW {
        Some(*now.get_or_insert_with(OffsetDateTime::now_utc))
    } else {
        OffsetDateTime::from_unix_timestamp(seconds).ok()
    }
}

/// Fails with `what` when a field that does not apply to the kind is set.
fn unused(set: bool, what: &'static str) -> Result<(), Failure> {
    if set {
        Err(Failure::invalid(what))
    } else {
        Ok(())
    }
}

/// The authorization of an OAuth code or token: client, scopes, grant id
/// (a fresh one when NULL) and claims request, each checked by the library.
fn authorization(input: &ClaimsInput<'_>) -> Result<Authorization, Failure> {
    let client = input.client_id.ok_or(Failure::null(
        "claims.client_id is NULL (a code or token needs one)",
    ))?;
    let client = ClientId::new(text(client, "claims.client_id is not UTF-8")?)?;
    let scopes = match input.scope {
        None => Scopes::default(),
        Some(scope) => Scopes::parse(text(scope, "claims.scope is not UTF-8")?)?,
    };
    let grant = match input.grant_id {
        None => GrantId::generate()?,
        Some(hex) => core::str::from_utf8(hex.to_bytes())
            .map_err(|_| InvalidClaims::Grant)?
            .parse()?,
    };
    let names = |list: &[&CStr], what: &'static str| -> Result<ClaimNames, Failure> {
        let names = list
            .iter()
            .map(|name| text(name, what))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(ClaimNames::new(names)?)
    };
    let claims = ClaimsRequest {
        id_token: names(
            &input.id_token_claims,
            "claims.id_token_claims[i] is not UTF-8",
        )?,
        userinfo: names(
            &input.userinfo_claims,
            "claims.userinfo_claims[i] is not UTF-8",
        )?,
    };
    Ok(Authorization::new(client, scopes, grant).with_claims(claims))
}

/// Builds the claims `input` describes, checked by the library.
pub(crate) fn claims(input: &ClaimsInput<'_>) -> Result<Claims, Failure> {
    let kind = kind_of(input.kind)?.ok_or(Failure::invalid(
        "claims.kind must be TGT, ST, PT, PGT, OC, AT or RT",
    ))?;
    let mut clock = None;

    let principal = input
        .principal
        .ok_or(Failure::null("claims.principal is NULL"))?;
    let principal = text(principal, "claims.principal is not UTF-8")?;
    let authenticated_at =
        instant(input.authenticated_at, &mut clock).ok_or(InvalidClaims::Validity)?;
    let mut auth =
        Authentication::new(principal, authenticated_at)?.with_remember_me(input.remember_me);
    for method in &input.methods {
        auth = auth.with_method(text(method, "claims.methods[i] is not UTF-8")?)?;
    }

    let service = || -> Result<Service, Failure> {
        let url = input.service.ok_or(Failure::null(
            "claims.service is NULL (an ST or PT needs one)",
        ))?;
        Ok(Service::new(text(url, "claims.service is not UTF-8")?)?)
    };
    let urls = |list: &[&CStr], what: &'static str| -> Result<Vec<CallbackUrl>, Failure> {
        list.iter()
            .map(|url| Ok(CallbackUrl::new(text(url, what)?)?))
            .collect()
    };
    let no_service = || {
        unused(
            input.service.is_some(),
            "claims.service applies to ST and PT only",
        )
    };
    let no_fresh = || {
        unused(
            input.fresh_login,
            "claims.fresh_login applies to an ST only",
        )
    };
    let no_proxies = || {
        unused(
            !input.proxies.is_empty(),
            "claims.proxies applies to a PT only",
        )
    };
    let no_pgt = || {
        unused(
            input.pgt_url.is_some(),
            "claims.pgt_url applies to a PGT only",
        )?;
        unused(
            !input.upstream.is_empty(),
            "claims.upstream applies to a PGT only",
        )
    };
    let no_authorization = || {
        unused(
            input.client_id.is_some(),
            "claims.client_id applies to OC, AT and RT only",
        )?;
        unused(
            input.scope.is_some(),
            "claims.scope applies to OC, AT and RT only",
        )?;
        unused(
            input.grant_id.is_some(),
            "claims.grant_id applies to OC, AT and RT only",
        )?;
        unused(
            !input.id_token_claims.is_empty() || !input.userinfo_claims.is_empty(),
            "claims.id_token_claims and claims.userinfo_claims apply to OC, AT and RT only",
        )
    };
    let no_code = || {
        unused(
            input.redirect_uri.is_some(),
            "claims.redirect_uri applies to an OC only",
        )?;
        unused(input.nonce.is_some(), "claims.nonce applies to an OC only")?;
        unused(
            input.code_challenge.is_some(),
            "claims.code_challenge applies to an OC only",
        )
    };
    // A CAS ticket has no field of a code or token, and the reverse.
    let not_oauth = || -> Result<(), Failure> {
        no_authorization()?;
        no_code()
    };
    let not_cas = || -> Result<(), Failure> {
        no_service()?;
        no_fresh()?;
        no_proxies()?;
        no_pgt()
    };
    let grant = match kind {
        Kind::Tgt => {
            not_oauth()?;
            not_cas()?;
            Grant::TicketGranting
        }
        Kind::St => {
            not_oauth()?;
            no_proxies()?;
            no_pgt()?;
            Grant::Service {
                service: service()?,
                fresh_login: input.fresh_login,
            }
        }
        Kind::Pt => {
            not_oauth()?;
            no_fresh()?;
            no_pgt()?;
            Grant::Proxy {
                service: service()?,
                proxies: ProxyChain::new(urls(&input.proxies, "claims.proxies[i] is not UTF-8")?)?,
            }
        }
        Kind::Pgt => {
            not_oauth()?;
            no_service()?;
            no_fresh()?;
            no_proxies()?;
            let callback = input
                .pgt_url
                .ok_or(Failure::null("claims.pgt_url is NULL (a PGT needs one)"))?;
            let upstream = urls(&input.upstream, "claims.upstream[i] is not UTF-8")?;
            if upstream.len() >= MAX_PROXIES {
                return Err(InvalidClaims::ProxyChain.into());
            }
            Grant::ProxyGranting {
                callback: CallbackUrl::new(text(callback, "claims.pgt_url is not UTF-8")?)?,
                upstream,
            }
        }
        Kind::Code => {
            not_cas()?;
            let authorization = authorization(input)?;
            let redirect_uri = input.redirect_uri.ok_or(Failure::null(
                "claims.redirect_uri is NULL (an OC needs one)",
            ))?;
            let nonce = input
                .nonce
                .map(|n| Ok::<_, Failure>(Nonce::new(text(n, "claims.nonce is not UTF-8")?)?))
                .transpose()?;
            let challenge = input
                .code_challenge
                .map(|c| {
                    let c = c.to_str().map_err(|_| InvalidClaims::CodeChallenge)?;
                    Ok::<_, Failure>(CodeChallenge::from_s256(c)?)
                })
                .transpose()?;
            Grant::Code {
                authorization,
                redirect_uri: Service::new(text(
                    redirect_uri,
                    "claims.redirect_uri is not UTF-8",
                )?)?,
                nonce,
                challenge,
            }
        }
        Kind::AccessToken => {
            not_cas()?;
            no_code()?;
            Grant::AccessToken {
                authorization: authorization(input)?,
            }
        }
        Kind::RefreshToken => {
            not_cas()?;
            no_code()?;
            Grant::RefreshToken {
                authorization: authorization(input)?,
            }
        }
    };

    let issued_at = instant(input.issued_at, &mut clock).ok_or(InvalidClaims::Validity)?;
    let lifetime = Duration::seconds(input.lifetime_seconds);
    let mut claims = Claims::with_lifetime(auth, grant, issued_at, lifetime)?;

    match input.session_id {
        None => unused(
            input.session_ends_at != 0,
            "claims.session_ends_at needs claims.session_id",
        )?,
        Some(id) => {
            let id = match id.to_bytes() {
                b"new" => SessionId::generate()?,
                hex => core::str::from_utf8(hex)
                    .map_err(|_| InvalidClaims::Session)?
                    .parse()?,
            };
            // A TGT's session ends when it expires; 0 says just that.
            let ends_at = if kind == Kind::Tgt && input.session_ends_at == 0 {
                claims.expires_at()
            } else {
                OffsetDateTime::from_unix_timestamp(input.session_ends_at)
                    .map_err(|_| InvalidClaims::Session)?
            };
            claims = claims.with_session(Session::new(id, ends_at))?;
        }
    }
    Ok(claims)
}

/// `codec.encode(claims)` as a C string.
pub(crate) fn encode(codec: &Codec, input: &ClaimsInput<'_>) -> Result<CString, Failure> {
    let ticket = codec.encode(&claims(input)?)?;
    CString::new(ticket).map_err(|_| Failure::Internal("ticket holds a NUL byte"))
}

/// A ticket argument as text. Bytes that are not UTF-8 are not a ticket:
/// each byte of an invalid sequence becomes one `?` (outside the ticket
/// alphabet), so that the text keeps its length in bytes and the library
/// says why as it would of those bytes: its length caps first (the cap of
/// any text, then its kind's), then prefix and alphabet.
fn ticket_text(ticket: &CStr) -> Cow<'_, str> {
    let bytes = ticket.to_bytes();
    match core::str::from_utf8(bytes) {
        Ok(text) => Cow::Borrowed(text),
        Err(_) => {
            let mut text = String::with_capacity(bytes.len());
            for chunk in bytes.utf8_chunks() {
                text.push_str(chunk.valid());
                text.extend(chunk.invalid().iter().map(|_| '?'));
            }
            Cow::Owned(text)
        }
    }
}

/// Whether `verifier` meets the S256 `challenge` of a code (none: no
/// verifier does), as `ctc_verify_pkce` documents it.
pub(crate) fn verify_pkce(challenge: Option<&CStr>, verifier: &CStr) -> Result<bool, Failure> {
    let Some(challenge) = challenge else {
        return Ok(false);
    };
    let challenge = challenge
        .to_str()
        .map_err(|_| InvalidClaims::CodeChallenge)?;
    let challenge = CodeChallenge::from_s256(challenge)?;
    // A verifier that is not UTF-8 is not one (RFC 7636 §4.1: ASCII).
    Ok(verifier.to_str().is_ok_and(|v| challenge.verify(v)))
}

/// Whether `given` is exactly the redirect URI whose stored form is
/// `stored` (`Service::is_exactly` of the code's `redirect_uri`): already in
/// normal form, and stored as `stored`.
pub(crate) fn redirect_uri_is_exactly(stored: &CStr, given: &CStr) -> bool {
    let (Ok(stored), Ok(given)) = (stored.to_str(), given.to_str()) else {
        return false;
    };
    is_normalized(given) && Service::new(given).is_ok_and(|s| s.as_str() == stored)
}

/// Validates a ticket as `ctc_decode` documents it: kind (if asked), seal,
/// payload, expiry with the leeway, then the service (if given).
pub(crate) fn decode(codec: &Codec, input: &DecodeInput<'_>) -> Result<Box<TicketBox>, Failure> {
    let expected = kind_of(input.kind)?;
    let now = if input.now == CTC_NOW {
        OffsetDateTime::now_utc()
    } else {
        OffsetDateTime::from_unix_timestamp(input.now)
            .map_err(|_| Failure::invalid("now is out of range"))?
    };
    let text = ticket_text(input.ticket);
    let leeway = Duration::seconds(input.leeway_seconds);
    let ticket = codec.decode_with_leeway(&text, expected, now, leeway)?;
    if let Some(service) = input.service {
        // A service that is not UTF-8 names no service a ticket carries.
        let given = service.to_str().map_err(|_| Error::ServiceMismatch)?;
        ticket.require_service(given)?;
    }
    TicketBox::decoded(ticket)
}

/// Opens an authentic ticket whatever its expiry (`Codec::open_expired`),
/// as `ctc_open_expired` documents it. `algs` are the codec's keys'
/// algorithms, for the view's `alg`.
pub(crate) fn open_expired(
    codec: &Codec,
    algs: &[(KeyId, Alg)],
    ticket: &CStr,
) -> Result<Box<TicketBox>, Failure> {
    let text = ticket_text(ticket);
    let claims = codec.open_expired(&text)?;
    // It opened, so its header is authentic and its key is one of the codec's.
    let key_id = inspect(&text)?.key_id();
    let alg = algs
        .iter()
        .find(|(id, _)| *id == key_id)
        .map(|(_, alg)| *alg)
        .ok_or(Error::UnknownKey { key_id })?;
    TicketBox::new(&claims, key_id, alg)
}

/// A `CtcTicket` and the memory its pointers point into. `repr(C)` with
/// the view first, so a pointer to the box is a pointer to the view.
#[repr(C)]
pub(crate) struct TicketBox {
    pub view: CtcTicket,
    /// Every string of the view, NUL-terminated, back to back.
    text: Box<[u8]>,
    /// The string arrays (methods, proxies, upstream, then the ID token's and
    /// the userinfo's claim names), back to back.
    arrays: Box<[*const c_char]>,
    /// The ticket `ctc_decode` validated, for its store ids; `None` for one
    /// `ctc_open_expired` opened.
    decoded: Option<Ticket>,
}

/// Where a string of the view is in the text (`None`: NULL).
type Slot = Option<usize>;

/// Where the strings of a code's or token's fields are in the text.
#[derive(Default)]
struct OauthSlots {
    client_id: Slot,
    scope: Slot,
    grant_id: Slot,
    id_token: Vec<usize>,
    userinfo: Vec<usize>,
    redirect_uri: Slot,
    nonce: Slot,
    code_challenge: Slot,
}

/// Collects the strings of a view into one buffer.
#[derive(Default)]
struct Text {
    bytes: Vec<u8>,
}

impl Text {
    fn add(&mut self, s: &str) -> Result<usize, Failure> {
        if s.as_bytes().contains(&0) {
            return Err(Failure::Internal("decoded text holds a NUL"));
        }
        let at = self.bytes.len();
        self.bytes.extend_from_slice(s.as_bytes());
        self.bytes.push(0);
        Ok(at)
    }
}

impl TicketBox {
    /// The view of a ticket `ctc_decode` validated, which it keeps.
    fn decoded(ticket: Ticket) -> Result<Box<TicketBox>, Failure> {
        let mut boxed = TicketBox::new(ticket.claims(), ticket.key_id(), ticket.alg())?;
        boxed.decoded = Some(ticket);
        Ok(boxed)
    }

    /// The ticket `ctc_decode` validated (`None`: `ctc_open_expired` opened it).
    pub(crate) fn ticket(&self) -> Option<&Ticket> {
        self.decoded.as_ref()
    }

    /// The view of `claims`, sealed under `key_id` with `alg`.
    fn new(claims: &Claims, key_id: KeyId, alg: Alg) -> Result<Box<TicketBox>, Failure> {
        let auth = claims.authentication();
        let mut text = Text::default();
        let principal = text.add(claims.principal())?;
        let key_id = text.add(&key_id.to_string())?;
        let alg = text.add(alg.name())?;
        let methods = auth
            .methods()
            .iter()
            .map(|m| text.add(m))
            .collect::<Result<Vec<_>, _>>()?;
        let (mut service, mut fresh_login, mut pgt_url): (Slot, bool, Slot) = (None, false, None);
        let (mut proxies, mut upstream) = (Vec::new(), Vec::new());
        let mut oauth = OauthSlots::default();
        if let Some(authorization) = claims.authorization() {
            oauth.client_id = Some(text.add(authorization.client().as_str())?);
            oauth.scope = Some(text.add(&authorization.scopes().to_string())?);
            oauth.grant_id = Some(text.add(&authorization.grant().to_string())?);
            let request = authorization.claims();
            for name in request.id_token.as_slice() {
                oauth.id_token.push(text.add(name)?);
            }
            for name in request.userinfo.as_slice() {
                oauth.userinfo.push(text.add(name)?);
            }
        }
        match claims.grant() {
            Grant::TicketGranting => {}
            Grant::Service {
                service: s,
                fresh_login: f,
            } => {
                service = Some(text.add(s.as_str())?);
                fresh_login = *f;
            }
            Grant::Proxy {
                service: s,
                proxies: p,
            } => {
                service = Some(text.add(s.as_str())?);
                for url in p.as_slice() {
                    proxies.push(text.add(url.as_str())?);
                }
            }
            Grant::ProxyGranting {
                callback,
                upstream: u,
            } => {
                pgt_url = Some(text.add(callback.as_str())?);
                for url in u {
                    upstream.push(text.add(url.as_str())?);
                }
            }
            Grant::Code {
                authorization: _,
                redirect_uri,
                nonce,
                challenge,
            } => {
                oauth.redirect_uri = Some(text.add(redirect_uri.as_str())?);
                oauth.nonce = nonce.as_ref().map(|n| text.add(n.as_str())).transpose()?;
                oauth.code_challenge = challenge
                    .as_ref()
                    .map(|c| text.add(&c.to_string()))
                    .transpose()?;
            }
            Grant::AccessToken { .. } | Grant::RefreshToken { .. } => {}
        }
        let session_id: Slot = claims
            .session()
            .map(|s| text.add(&s.id().to_string()))
            .transpose()?;

        // The buffers take their final place; pointers are taken after that.
        let text = text.bytes.into_boxed_slice();
        let base = text.as_ptr().cast::<c_char>();
        let at = |slot: Slot| slot.map_or(ptr::null(), |i| base.wrapping_add(i));
        let arrays: Box<[*const c_char]> = methods
            .iter()
            .chain(&proxies)
            .chain(&upstream)
            .chain(&oauth.id_token)
            .chain(&oauth.userinfo)
            .map(|&i| base.wrapping_add(i))
            .collect();
        let list = |start: usize, n: usize| -> (*const *const c_char, u32) {
            if n == 0 {
                return (ptr::null(), 0);
            }
            // At most 8 or 16 of each: the library's bounds.
            (
                arrays.as_ptr().wrapping_add(start),
                u32::try_from(n).unwrap_or(u32::MAX),
            )
        };
        let (methods_at, methods_len) = list(0, methods.len());
        let (proxies_at, proxies_len) = list(methods.len(), proxies.len());
        let before = methods.len() + proxies.len();
        let (upstream_at, upstream_len) = list(before, upstream.len());
        let before = before + upstream.len();
        let (id_token_at, id_token_len) = list(before, oauth.id_token.len());
        let before = before + oauth.id_token.len();
        let (userinfo_at, userinfo_len) = list(before, oauth.userinfo.len());
        let view = CtcTicket {
            kind: kind_number(claims.kind()),
            principal: at(Some(principal)),
            authenticated_at: auth.authenticated_at().unix_timestamp(),
            methods: methods_at,
            methods_len,
            remember_me: i32::from(auth.remember_me()),
            service: at(service),
            fresh_login: i32::from(fresh_login),
            proxies: proxies_at,
            proxies_len,
            pgt_url: at(pgt_url),
            upstream: upstream_at,
            upstream_len,
            issued_at: claims.issued_at().unix_timestamp(),
            expires_at: claims.expires_at().unix_timestamp(),
            session_id: at(session_id),
            session_ends_at: claims.session().map_or(0, |s| s.ends_at().unix_timestamp()),
            client_id: at(oauth.client_id),
            scope: at(oauth.scope),
            grant_id: at(oauth.grant_id),
            id_token_claims: id_token_at,
            id_token_claims_len: id_token_len,
            userinfo_claims: userinfo_at,
            userinfo_claims_len: userinfo_len,
            redirect_uri: at(oauth.redirect_uri),
            nonce: at(oauth.nonce),
            code_challenge: at(oauth.code_challenge),
            key_id: at(Some(key_id)),
            alg: at(Some(alg)),
            text: base,
            text_len: u32::try_from(text.len()).unwrap_or(u32::MAX),
        };
        Ok(Box::new(TicketBox {
            view,
            text,
            arrays,
            decoded: None,
        }))
    }
}
