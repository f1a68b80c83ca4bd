//! What a ticket carries: the kind, the authentication, the grant and the
//! validity window. Constructors check every field, so claims that exist can
//! be encoded (up to the length cap) and claims that are decoded satisfy the
//! same checks.

use core::fmt;

use time::format_description::well_known::Rfc3339;
use time::{OffsetDateTime, UtcOffset};

use crate::error::InvalidClaims;
use crate::service::{CallbackUrl, Service};

/// Longest principal id, in bytes of UTF-8.
pub const MAX_PRINCIPAL_BYTES: usize = 256;
/// Most authentication methods a ticket carries.
pub const MAX_METHODS: usize = 8;
/// Longest authentication method or handler name, in bytes of UTF-8.
pub const MAX_METHOD_BYTES: usize = 64;
/// Longest proxy chain a PT carries.
pub const MAX_PROXIES: usize = 8;

/// The four ticket kinds of the CAS protocol.
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
}

impl Kind {
    /// All kinds, in wire order.
    pub const ALL: [Kind; 4] = [Kind::Tgt, Kind::St, Kind::Pt, Kind::Pgt];

    /// The ticket prefix without its hyphen: `TGT`, `ST`, `PT`, `PGT`.
    pub const fn prefix(self) -> &'static str {
        match self {
            Kind::Tgt => "TGT",
            Kind::St => "ST",
            Kind::Pt => "PT",
            Kind::Pgt => "PGT",
        }
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
    pub fn new(principal: &str, authenticated_at: OffsetDateTime) -> Result<Self, InvalidClaims> {
        if !short_text(principal, MAX_PRINCIPAL_BYTES) {
            return Err(InvalidClaims::Principal);
        }
        Ok(Authentication {
            principal: principal.to_owned(),
            authenticated_at: to_second(authenticated_at),
            methods: Vec::new(),
            remember_me: false,
        })
    }

    /// Adds an authentication method or handler name (for example `Password`).
    pub fn with_method(mut self, name: &str) -> Result<Self, InvalidClaims> {
        if !short_text(name, MAX_METHOD_BYTES) {
            return Err(InvalidClaims::Method);
        }
        if self.methods.len() >= MAX_METHODS {
            return Err(InvalidClaims::TooManyMethods);
        }
        self.methods.push(name.to_owned());
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
        }
    }
}

/// Everything a ticket carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claims {
    authentication: Authentication,
    grant: Grant,
    issued_at: OffsetDateTime,
    expires_at: OffsetDateTime,
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
        let issued_at = to_second(issued_at);
        let expires_at = to_second(expires_at);
        if expires_at <= issued_at {
            return Err(InvalidClaims::Validity);
        }
        Ok(Claims {
            authentication,
            grant,
            issued_at,
            expires_at,
        })
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
            Grant::TicketGranting | Grant::ProxyGranting { .. } => None,
        }
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
            Grant::ProxyGranting { callback } => {
                map.serialize_entry("pgt_url", callback.as_str())?;
            }
        }
        map.end()
    }
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
            full = full.with_method(&format!("m{i}")).unwrap();
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
