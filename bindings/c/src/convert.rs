//! From C values to the library's claims, and from a decoded (or opened)
//! ticket to the `CtcTicket` view. Safe code only: `lib.rs` turns the raw
//! pointers into the borrowed values used here.

use std::borrow::Cow;
use std::ffi::{CStr, CString, c_char};
use std::ptr;

use cas_ticket_codec::{
    Alg, Authentication, CallbackUrl, Claims, Codec, Error, Grant, InvalidClaims, KeyId, Kind,
    MAX_PROXIES, MAX_TICKET_CHARS, ProxyChain, Service, Session, SessionId, Ticket, inspect,
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

/// Builds the claims `input` describes, checked by the library.
pub(crate) fn claims(input: &ClaimsInput<'_>) -> Result<Claims, Failure> {
    let kind =
        kind_of(input.kind)?.ok_or(Failure::invalid("claims.kind must be TGT, ST, PT or PGT"))?;
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
    let grant = match kind {
        Kind::Tgt => {
            no_service()?;
            no_fresh()?;
            no_proxies()?;
            no_pgt()?;
            Grant::TicketGranting
        }
        Kind::St => {
            no_proxies()?;
            no_pgt()?;
            Grant::Service {
                service: service()?,
                fresh_login: input.fresh_login,
            }
        }
        Kind::Pt => {
            no_fresh()?;
            no_pgt()?;
            Grant::Proxy {
                service: service()?,
                proxies: ProxyChain::new(urls(&input.proxies, "claims.proxies[i] is not UTF-8")?)?,
            }
        }
        Kind::Pgt => {
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
/// the library says why (length cap first, then prefix and alphabet) on the
/// lossy text.
fn ticket_text(ticket: &CStr) -> Result<Cow<'_, str>, Failure> {
    let bytes = ticket.to_bytes();
    if bytes.len() > MAX_TICKET_CHARS {
        return Err(Error::TooLong {
            length: bytes.len(),
            max: MAX_TICKET_CHARS,
        }
        .into());
    }
    Ok(String::from_utf8_lossy(bytes))
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
    let text = ticket_text(input.ticket)?;
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
    let text = ticket_text(ticket)?;
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
    /// The string arrays (methods, then proxies, then upstream), back to back.
    arrays: Box<[*const c_char]>,
    /// The ticket `ctc_decode` validated, for its store ids; `None` for one
    /// `ctc_open_expired` opened.
    decoded: Option<Ticket>,
}

/// Where a string of the view is in the text (`None`: NULL).
type Slot = Option<usize>;

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
            .map(|&i| base.wrapping_add(i))
            .collect();
        let list = |start: usize, n: usize| -> (*const *const c_char, u32) {
            if n == 0 {
                return (ptr::null(), 0);
            }
            // At most 8 of each: the library's bounds.
            (
                arrays.as_ptr().wrapping_add(start),
                u32::try_from(n).unwrap_or(u32::MAX),
            )
        };
        let (methods_at, methods_len) = list(0, methods.len());
        let (proxies_at, proxies_len) = list(methods.len(), proxies.len());
        let (upstream_at, upstream_len) = list(methods.len() + proxies.len(), upstream.len());
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
