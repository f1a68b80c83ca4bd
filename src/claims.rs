//! What a ticket carries: the kind, the authentication, the grant and the
//! validity window. Constructors check every field, so claims that exist can
//! be encoded (up to the length cap) and claims that are decoded satisfy the
//! same checks.

use core::fmt;

use time::format_description::well_known::Rfc3339;
use time::{OffsetDateTime, UtcOffset};

use crate::error::{Error, InvalidClaims};
use crate::oauth::{Authorization, CodeChallenge, Nonce};
use crate::service::{CallbackUrl, Service};

/// Longest principal id, in bytes of UTF-8.
pub const MAX_PRINCIPAL_BYTES: usize = 256;
/// Most authentication methods a ticket carries.
pub const MAX_METHODS: usize = 8;
/// Longest authentication method or handler name, in bytes of UTF-8.
pub const MAX_METHOD_BYTES: usize = 64;
/// Longest proxy chain a PT carries.
pub const MAX_PROXIES: usize = 8;

/// The longest authorization code, prefix included, in characters: the cap
/// Apereo CAS's stateless registry gives its `OC-` codes.
pub const MAX_CODE_CHARS: usize = 384;

/// The four ticket kinds of the CAS protocol, and the three of OAuth 2.0 and
/// OpenID Connect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    /// Ticket-granting ticket (`TGT-`): the SSO session.
    Tgt,
    /// Service ticket (`ST-`).
    St,
    /// Proxy ticket (`PT-`).
    Pt,
    /// Proxy-granting ticket (`PGT-`).
    Pgt,
    /// OAuth 2.0 authorization code (`OC-`).
    Code,
    /// OAuth 2.0 access token (`AT-`).
    AccessToken,
    /// OAuth 2.0 refresh token (`RT-`).
    RefreshToken,
}

impl Kind {
    /// All kinds, in wire order.
    pub const ALL: [Kind; 7] = [
        Kind::Tgt,
        Kind::St,
        Kind::Pt,
        Kind::Pgt,
        Kind::Code,
        Kind::AccessToken,
        Kind::RefreshToken,
    ];

    /// The ticket prefix without its hyphen: `TGT`, `ST`, `PT`, `PGT`, `OC`,
    /// `AT`, `RT`.
    pub const fn prefix(self) -> &'static str {
        match self {
            Kind::Tgt => "TGT",
            Kind::St => "ST",
            Kind::Pt => "PT",
            Kind::Pgt => "PGT",
            Kind::Code => "OC",
            Kind::AccessToken => "AT",
            Kind::RefreshToken => "RT",
        }
    }

    /// The longest ticket of this kind, prefix included, in characters:
    /// [`MAX_CODE_CHARS`] for a code, [`MAX_TICKET_CHARS`](crate::MAX_TICKET_CHARS)
    /// for every other kind.
    pub const fn max_chars(self) -> usize {
        match self {
            Kind::Code => MAX_CODE_CHARS,
            _ => crate::format::MAX_TICKET_CHARS,
        }
    }

    /// Whether this is a kind of OAuth 2.0 (`OC`, `AT`, `RT`), which
    /// carries an [`Authorization`].
    pub const fn is_oauth(self) -> bool {
        matches!(self, Kind::Code | Kind::AccessToken | Kind::RefreshToken)
    }

    /// The kind whose prefix (without hyphen) is `prefix`.
    pub fn from_prefix(prefix: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.prefix() == prefix)
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.prefix())
    }
}

/// Who authenticated, when and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authentication {
    principal: String,
    authenticated_at: OffsetDateTime,
    methods: Vec<String>,
    remember_me: bool,
}

impl Authentication {
    /// An authentication of `principal` at `authenticated_at` (kept to the
    /// second, in UTC), with no method and remember-me off.
    pub fn new(
        principal: impl Into<String>,
        authenticated_at: OffsetDateTime,
    ) -> Result<Self, InvalidClaims> {
        let principal = principal.into();
        if !short_text(&principal, MAX_PRINCIPAL_BYTES) {
            return Err(InvalidClaims::Principal);
        }
        Ok(Authentication {
            principal,
            authenticated_at: to_second(authenticated_at),
            methods: Vec::new(),
            remember_me: false,
        })
    }

    /// Adds an authentication method or handler name (for example `Password`).
    pub fn with_method(mut self, name: impl Into<String>) -> Result<Self, InvalidClaims> {
        let name = name.into();
        if !short_text(&name, MAX_METHOD_BYTES) {
            return Err(InvalidClaims::Method);
        }
        if self.methods.len() >= MAX_METHODS {
            return Err(InvalidClaims::TooManyMethods);
        }
        self.methods.push(name);
        Ok(self)
    }

    /// Sets the remember-me (long-term authentication) flag.
    pub fn with_remember_me(mut self, remember_me: bool) -> Self {
        self.remember_me = remember_me;
        self
    }

    /// The principal id.
    pub fn principal(&self) -> &str {
        &self.principal
    }

    /// When the principal authenticated (UTC, whole seconds).
    pub fn authenticated_at(&self) -> OffsetDateTime {
        self.authenticated_at
    }

    /// The authentication methods, in the order they were added.
    pub fn methods(&self) -> &[String] {
        &self.methods
    }

    /// Whether remember-me was asked for.
    pub fn remember_me(&self) -> bool {
        self.remember_me
    }
}

/// A non-empty chain of proxy callback URLs, as CAS reports in `<cas:proxies>`
/// (most recent proxy first).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProxyChain(Vec<CallbackUrl>);

impl ProxyChain {
    /// The chain a PT minted from a PGT reports: the PGT's callback, then
    /// the proxies upstream of it. `None` for a grant that is not a PGT's or
    /// a chain past [`MAX_PROXIES`].
    pub fn through(pgt: &Grant) -> Option<Self> {
        let Grant::ProxyGranting { callback, upstream } = pgt else {
            return None;
        };
        let chain = core::iter::once(callback).chain(upstream).cloned();
        ProxyChain::new(chain.collect()).ok()
    }

    /// A chain of 1 to [`MAX_PROXIES`] URLs.
    pub fn new(proxies: Vec<CallbackUrl>) -> Result<Self, InvalidClaims> {
        if proxies.is_empty() || proxies.len() > MAX_PROXIES {
            return Err(InvalidClaims::ProxyChain);
        }
        Ok(ProxyChain(proxies))
    }

    /// The URLs.
    pub fn as_slice(&self) -> &[CallbackUrl] {
        &self.0
    }
}

/// What the ticket grants, per kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Grant {
    /// A TGT: the SSO session.
    TicketGranting,
    /// An ST for `service`.
    Service {
        /// The service, shortened.
        service: Service,
        /// Issued from a fresh login (what `renew=true` validation requires).
        fresh_login: bool,
    },
    /// A PT for `service`, obtained through `proxies`.
    Proxy {
        /// The target service, shortened.
        service: Service,
        /// The proxy chain.
        proxies: ProxyChain,
    },
    /// A PGT issued to a proxy callback URL.
    ProxyGranting {
        /// The callback the PGT was delivered to.
        callback: CallbackUrl,
        /// The proxies before it, most recent first: empty for a PGT obtained
        /// by validating an ST, the PT's chain for one obtained by validating
        /// a PT (n-tier proxying, CAS 3.0 §2.6). At most [`MAX_PROXIES`] − 1,
        /// so that a PT minted from it carries at most [`MAX_PROXIES`].
        upstream: Vec<CallbackUrl>,
    },
    /// An OAuth 2.0 authorization code (RFC 6749 §4.1).
    Code {
        /// The client, scopes, claims request and grant.
        authorization: Authorization,
        /// The `redirect_uri` of the authorization request, in the stored
        /// form of a service (normalized, shortened with a digest when
        /// long); the token request must give the same text
        /// ([`Service::is_exactly`]).
        redirect_uri: Service,
        /// The OIDC nonce of the authorization request, for the ID token.
        nonce: Option<Nonce>,
        /// The PKCE challenge the token request's verifier must meet.
        challenge: Option<CodeChallenge>,
    },
    /// An OAuth 2.0 access token.
    AccessToken {
        /// The client, scopes, claims request and grant.
        authorization: Authorization,
    },
    /// An OAuth 2.0 refresh token.
    RefreshToken {
        /// The client, scopes, claims request and grant.
        authorization: Authorization,
    },
}

impl Grant {
    /// The ticket kind this grant makes.
    pub fn kind(&self) -> Kind {
        match self {
            Grant::TicketGranting => Kind::Tgt,
            Grant::Service { .. } => Kind::St,
            Grant::Proxy { .. } => Kind::Pt,
            Grant::ProxyGranting { .. } => Kind::Pgt,
            Grant::Code { .. } => Kind::Code,
            Grant::AccessToken { .. } => Kind::AccessToken,
            Grant::RefreshToken { .. } => Kind::RefreshToken,
        }
    }

    /// The authorization of a code or token.
    pub fn authorization(&self) -> Option<&Authorization> {
        match self {
            Grant::Code { authorization, .. }
            | Grant::AccessToken { authorization }
            | Grant::RefreshToken { authorization } => Some(authorization),
            Grant::TicketGranting
            | Grant::Service { .. }
            | Grant::Proxy { .. }
            | Grant::ProxyGranting { .. } => None,
        }
    }
}

/// The random id of an SSO session: 64 bits from the operating system,
/// drawn when its TGT is issued.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SessionId([u8; SESSION_ID_BYTES]);

/// Bytes of a [`SessionId`].
pub const SESSION_ID_BYTES: usize = 8;

impl SessionId {
    /// A fresh id from the operating system's random source.
    pub fn generate() -> Result<Self, Error> {
        let mut bytes = [0_u8; SESSION_ID_BYTES];
        crate::keyring::fill_from_os(&mut bytes)?;
        Ok(SessionId(bytes))
    }

    /// The id with these bytes.
    pub const fn from_bytes(bytes: [u8; SESSION_ID_BYTES]) -> Self {
        SessionId(bytes)
    }

    /// The id's bytes.
    pub const fn to_bytes(self) -> [u8; SESSION_ID_BYTES] {
        self.0
    }
}

/// Lowercase hex, 16 digits.
impl fmt::Display for SessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|b| write!(f, "{b:02x}"))
    }
}

impl fmt::Debug for SessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SessionId({self})")
    }
}

impl core::str::FromStr for SessionId {
    type Err = InvalidClaims;

    /// Reads 16 hex digits, in either case.
    fn from_str(hex: &str) -> Result<Self, InvalidClaims> {
        from_hex(hex).map(SessionId).ok_or(InvalidClaims::Session)
    }
}

/// The `N` bytes that `2N` hex digits (either case) spell.
pub(crate) fn from_hex<const N: usize>(hex: &str) -> Option<[u8; N]> {
    let mut bytes = [0_u8; N];
    if hex.len() != 2 * N || !hex.is_ascii() {
        return None;
    }
    for (slot, pair) in bytes.iter_mut().zip(hex.as_bytes().chunks_exact(2)) {
        *slot = u8::from_str_radix(core::str::from_utf8(pair).ok()?, 16).ok()?;
    }
    Some(bytes)
}

/// The SSO session a ticket belongs to: its id and the instant it ends (its
/// TGT's expiry). Every ticket minted in a session carries both, so no
/// ticket outlives its session and a store can revoke the whole session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Session {
    id: SessionId,
    ends_at: OffsetDateTime,
}

impl Session {
    /// Session `id`, ending at `ends_at` (kept to the second, in UTC).
    pub fn new(id: SessionId, ends_at: OffsetDateTime) -> Self {
        Session {
            id,
            ends_at: to_second(ends_at),
        }
    }

    /// The session id.
    pub fn id(&self) -> SessionId {
        self.id
    }

    /// The first instant at which the session and its tickets are no longer valid.
    pub fn ends_at(&self) -> OffsetDateTime {
        self.ends_at
    }
}

/// Everything a ticket carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claims {
    authentication: Authentication,
    grant: Grant,
    issued_at: OffsetDateTime,
    expires_at: OffsetDateTime,
    session: Option<Session>,
}

impl Claims {
    /// Claims valid from `issued_at` until (not including) `expires_at`, both
    /// kept to the second in UTC. `expires_at` must be after `issued_at`.
    pub fn new(
        authentication: Authentication,
        grant: Grant,
        issued_at: OffsetDateTime,
        expires_at: OffsetDateTime,
    ) -> Result<Self, InvalidClaims> {
        Claims::from_parts(authentication, grant, issued_at, expires_at, None)
    }

    /// Claims with every field given, checked as [`Claims::new`] and
    /// [`Claims::with_session`] check them: what the decoder builds.
    pub(crate) fn from_parts(
        authentication: Authentication,
        grant: Grant,
        issued_at: OffsetDateTime,
        expires_at: OffsetDateTime,
        session: Option<Session>,
    ) -> Result<Self, InvalidClaims> {
        let issued_at = to_second(issued_at);
        let expires_at = to_second(expires_at);
        if expires_at <= issued_at {
            return Err(InvalidClaims::Validity);
        }
        if let Grant::ProxyGranting { upstream, .. } = &grant
            && upstream.len() >= MAX_PROXIES
        {
            return Err(InvalidClaims::ProxyChain);
        }
        if let Some(session) = &session {
            check_session(grant.kind(), expires_at, session)?;
        }
        Ok(Claims {
            authentication,
            grant,
            issued_at,
            expires_at,
            session,
        })
    }

    /// The same claims in `session`. A TGT's session ends when the TGT
    /// expires; any other ticket must expire no later than its session
    /// ([`InvalidClaims::Session`] otherwise).
    pub fn with_session(mut self, session: Session) -> Result<Self, InvalidClaims> {
        check_session(self.kind(), self.expires_at, &session)?;
        self.session = Some(session);
        Ok(self)
    }

    /// A TGT issued at `issued_at` for `lifetime`, opening a new session
    /// (a fresh random [`SessionId`]) that ends when the TGT expires.
    pub fn new_session(
        authentication: Authentication,
        issued_at: OffsetDateTime,
        lifetime: time::Duration,
    ) -> Result<Self, Error> {
        let tgt =
            Claims::with_lifetime(authentication, Grant::TicketGranting, issued_at, lifetime)?;
        let session = Session::new(SessionId::generate()?, tgt.expires_at);
        Ok(tgt.with_session(session)?)
    }

    /// Claims for a ticket minted from `parent` (an ST or PGT from a TGT, a
    /// PT from a PGT): the parent's authentication and session, issued at
    /// `issued_at`, expiring after `lifetime` or when the parent's session
    /// (or, without one, the parent) ends, whichever comes first. Fails with
    /// [`InvalidClaims::Validity`] when that is not after `issued_at`.
    pub fn minted_from(
        parent: &Claims,
        grant: Grant,
        issued_at: OffsetDateTime,
        lifetime: time::Duration,
    ) -> Result<Self, InvalidClaims> {
        let session = parent.session;
        let end = session.map_or(parent.expires_at, |s| s.ends_at);
        let expires_at = issued_at
            .checked_add(lifetime)
            .ok_or(InvalidClaims::Validity)?
            .min(end);
        Claims::from_parts(
            parent.authentication.clone(),
            grant,
            issued_at,
            expires_at,
            session,
        )
    }

    /// The session this ticket belongs to, if it was minted in one.
    pub fn session(&self) -> Option<&Session> {
        self.session.as_ref()
    }

    /// Claims issued at `issued_at` that live for `lifetime`.
    pub fn with_lifetime(
        authentication: Authentication,
        grant: Grant,
        issued_at: OffsetDateTime,
        lifetime: time::Duration,
    ) -> Result<Self, InvalidClaims> {
        let expires_at = issued_at
            .checked_add(lifetime)
            .ok_or(InvalidClaims::Validity)?;
        Claims::new(authentication, grant, issued_at, expires_at)
    }

    /// The ticket kind.
    pub fn kind(&self) -> Kind {
        self.grant.kind()
    }

    /// The authentication.
    pub fn authentication(&self) -> &Authentication {
        &self.authentication
    }

    /// The principal id.
    pub fn principal(&self) -> &str {
        self.authentication.principal()
    }

    /// What the ticket grants.
    pub fn grant(&self) -> &Grant {
        &self.grant
    }

    /// The service of an ST or PT.
    pub fn service(&self) -> Option<&Service> {
        match &self.grant {
            Grant::Service { service, .. } | Grant::Proxy { service, .. } => Some(service),
            _ => None,
        }
    }

    /// The authorization of a code or token.
    pub fn authorization(&self) -> Option<&Authorization> {
        self.grant.authorization()
    }

    /// When the ticket was issued (UTC, whole seconds).
    pub fn issued_at(&self) -> OffsetDateTime {
        self.issued_at
    }

    /// The first instant at which the ticket is no longer valid.
    pub fn expires_at(&self) -> OffsetDateTime {
        self.expires_at
    }
}

/// The JSON view of claims that `ticketctl decode` prints and the test
/// vectors record: instants in RFC 3339 (UTC), the service in its stored form.
impl serde::Serialize for Claims {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let auth = &self.authentication;
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("kind", self.kind().prefix())?;
        map.serialize_entry("principal", auth.principal())?;
        map.serialize_entry("authenticated_at", &rfc3339(auth.authenticated_at()))?;
        map.serialize_entry("methods", auth.methods())?;
        map.serialize_entry("remember_me", &auth.remember_me())?;
        map.serialize_entry("issued_at", &rfc3339(self.issued_at))?;
        map.serialize_entry("expires_at", &rfc3339(self.expires_at))?;
        match &self.grant {
            Grant::TicketGranting => {}
            Grant::Service {
                service,
                fresh_login,
            } => {
                map.serialize_entry("service", service.as_str())?;
                map.serialize_entry("renew", fresh_login)?;
            }
            Grant::Proxy { service, proxies } => {
                map.serialize_entry("service", service.as_str())?;
                let urls: Vec<&str> = proxies.as_slice().iter().map(CallbackUrl::as_str).collect();
                map.serialize_entry("proxies", &urls)?;
            }
            Grant::ProxyGranting { callback, upstream } => {
                map.serialize_entry("pgt_url", callback.as_str())?;
                let urls: Vec<&str> = upstream.iter().map(CallbackUrl::as_str).collect();
                map.serialize_entry("upstream", &urls)?;
            }
            Grant::Code {
                authorization,
                redirect_uri,
                nonce,
                challenge,
            } => {
                serialize_authorization(&mut map, authorization)?;
                map.serialize_entry("redirect_uri", redirect_uri.as_str())?;
                if let Some(nonce) = nonce {
                    map.serialize_entry("nonce", nonce.as_str())?;
                }
                if let Some(challenge) = challenge {
                    map.serialize_entry("code_challenge", &challenge.to_string())?;
                }
            }
            Grant::AccessToken { authorization } | Grant::RefreshToken { authorization } => {
                serialize_authorization(&mut map, authorization)?;
            }
        }
        if let Some(session) = &self.session {
            map.serialize_entry("session_id", &session.id.to_string())?;
            map.serialize_entry("session_ends_at", &rfc3339(session.ends_at))?;
        }
        map.end()
    }
}

/// The fields every code and token shows: `client_id`, `scope` (the
/// parameter's form), `claims` (`{"id_token": [...], "userinfo": [...]}`,
/// by name) and `grant_id` (hex).
fn serialize_authorization<M: serde::ser::SerializeMap>(
    map: &mut M,
    authorization: &Authorization,
) -> Result<(), M::Error> {
    map.serialize_entry("client_id", authorization.client().as_str())?;
    map.serialize_entry("scope", &authorization.scopes().to_string())?;
    let claims = authorization.claims();
    let request = serde_json::json!({
        "id_token": claims.id_token.as_slice(),
        "userinfo": claims.userinfo.as_slice(),
    });
    map.serialize_entry("claims", &request)?;
    map.serialize_entry("grant_id", &authorization.grant().to_string())
}

/// A TGT's session ends when the TGT expires; no other ticket outlives its session.
fn check_session(
    kind: Kind,
    expires_at: OffsetDateTime,
    session: &Session,
) -> Result<(), InvalidClaims> {
    let fits = match kind {
        Kind::Tgt => session.ends_at == expires_at,
        _ => expires_at <= session.ends_at,
    };
    fits.then_some(()).ok_or(InvalidClaims::Session)
}

/// Non-empty, at most `max` bytes, no control characters.
fn short_text(text: &str, max: usize) -> bool {
    !text.is_empty() && text.len() <= max && !text.chars().any(char::is_control)
}

/// The same instant in UTC, without its fraction of a second.
pub(crate) fn to_second(t: OffsetDateTime) -> OffsetDateTime {
    t.to_offset(UtcOffset::UTC)
        .replace_nanosecond(0)
        .unwrap_or(t)
}

/// RFC 3339 text of an instant, or its Unix time where RFC 3339 cannot say it.
pub fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&Rfc3339)
        .unwrap_or_else(|_| format!("@{}", t.unix_timestamp()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn principal_and_method_limits() {
        let t = datetime!(2026-11-22 10:00 UTC);
        assert_eq!(Authentication::new("", t), Err(InvalidClaims::Principal));
        assert_eq!(
            Authentication::new("a\nb", t),
            Err(InvalidClaims::Principal)
        );
        let long = "x".repeat(MAX_PRINCIPAL_BYTES + 1);
        assert_eq!(Authentication::new(&long, t), Err(InvalidClaims::Principal));
        let auth = Authentication::new("jdoe", t).unwrap();
        assert_eq!(auth.clone().with_method(""), Err(InvalidClaims::Method));
        let mut full = auth;
        for i in 0..MAX_METHODS {
            full = full.with_method(format!("m{i}")).unwrap();
        }
        assert_eq!(
            full.with_method("one-more"),
            Err(InvalidClaims::TooManyMethods)
        );
    }

    #[test]
    fn instants_are_kept_to_the_second_in_utc() {
        let t = datetime!(2026-11-22 10:00:00.75 +02:00);
        let auth = Authentication::new("jdoe", t).unwrap();
        assert_eq!(auth.authenticated_at(), datetime!(2026-11-22 08:00:00 UTC));
        assert_eq!(auth.authenticated_at().offset(), UtcOffset::UTC);
    }

    #[test]
    fn expiry_must_follow_issue() {
        let t = datetime!(2026-11-22 10:00 UTC);
        let auth = Authentication::new("jdoe", t).unwrap();
        let tgt = || Grant::TicketGranting;
        assert_eq!(
            Claims::new(auth.clone(), tgt(), t, t),
            Err(InvalidClaims::Validity)
        );
        let sub_second = t + time::Duration::milliseconds(900);
        assert_eq!(
            Claims::new(auth.clone(), tgt(), t, sub_second),
            Err(InvalidClaims::Validity)
        );
        assert!(Claims::new(auth, tgt(), t, t + time::Duration::SECOND).is_ok());
    }

    #[test]
    fn proxy_chain_bounds() {
        assert_eq!(ProxyChain::new(vec![]), Err(InvalidClaims::ProxyChain));
        let url = CallbackUrl::new("https://p.example.edu/cb").unwrap();
        assert!(ProxyChain::new(vec![url.clone(); MAX_PROXIES]).is_ok());
        assert_eq!(
            ProxyChain::new(vec![url; MAX_PROXIES + 1]),
            Err(InvalidClaims::ProxyChain)
        );
    }

    #[test]
    fn prefixes_round_trip() {
        for kind in Kind::ALL {
            assert_eq!(Kind::from_prefix(kind.prefix()), Some(kind));
        }
        assert_eq!(Kind::from_prefix("st"), None);
        assert_eq!(Kind::from_prefix("PGTIOU"), None);
    }
}
