//! Claims ⇄ compact CBOR: one positional array per kind (FORMAT.md §7).
//!
//! ```text
//! [ principal, issued_at, lifetime, auth_age, [method...], flags, kind fields... ]
//!   TGT: nothing more        ST: service        PT: service, [proxy...]
//!   PGT: callback
//! ```
//!
//! Decoding is strict: the array has exactly the kind's length, text is text
//! (never bytes), lists are bounded before anything is allocated for them,
//! undefined flag bits are refused, every field passes the same checks as
//! the constructors, and the bytes must be exactly those the encoder makes
//! of the decoded claims (one payload, one spelling).

use ciborium_io::Read as _;
use ciborium_ll::{Decoder, Header};
use serde::Serialize;
use serde::ser::{SerializeSeq, Serializer};
use time::OffsetDateTime;

use crate::claims::{Authentication, Claims, Grant, Kind, MAX_METHODS, MAX_PROXIES, ProxyChain};
use crate::error::Malformed;
use crate::service::{CallbackUrl, Service};

/// Flag bit 0: remember-me.
const FLAG_REMEMBER_ME: u64 = 1;
/// Flag bit 1: issued from a fresh login (ST only).
const FLAG_FRESH_LOGIN: u64 = 2;

/// The CBOR encoding of `claims`, appended to `out`.
pub fn to_cbor(claims: &Claims, out: &mut Vec<u8>) {
    // Writing into a Vec cannot fail, and every field is an integer or text.
    let _ = ciborium::into_writer(&Wire(claims), out);
}

/// Decodes claims of `kind` from exactly `bytes`.
pub fn from_cbor(kind: Kind, bytes: &[u8]) -> Result<Claims, Malformed> {
    let raw = Raw::read(bytes).ok_or(Malformed::Payload)?;
    let claims = raw.into_claims(kind).ok_or(Malformed::Payload)?;
    // One payload, one spelling: shortest heads, nothing trailing.
    let mut canonical = Vec::with_capacity(bytes.len());
    to_cbor(&claims, &mut canonical);
    if canonical != bytes {
        return Err(Malformed::Payload);
    }
    Ok(claims)
}

struct Wire<'a>(&'a Claims);

impl Serialize for Wire<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let claims = self.0;
        let auth = claims.authentication();
        let issued = claims.issued_at().unix_timestamp();
        let lifetime = claims.expires_at().unix_timestamp() - issued;
        let auth_age = issued - auth.authenticated_at().unix_timestamp();
        let mut flags = 0;
        if auth.remember_me() {
            flags |= FLAG_REMEMBER_ME;
        }
        let len = match claims.grant() {
            Grant::TicketGranting => 6,
            Grant::Service { fresh_login, .. } => {
                if *fresh_login {
                    flags |= FLAG_FRESH_LOGIN;
                }
                7
            }
            Grant::ProxyGranting { .. } => 7,
            Grant::Proxy { .. } => 8,
        };
        let mut seq = serializer.serialize_seq(Some(len))?;
        seq.serialize_element(auth.principal())?;
        seq.serialize_element(&issued)?;
        seq.serialize_element(&lifetime)?;
        seq.serialize_element(&auth_age)?;
        seq.serialize_element(auth.methods())?;
        seq.serialize_element(&flags)?;
        match claims.grant() {
            Grant::TicketGranting => {}
            Grant::Service { service, .. } => seq.serialize_element(service.as_str())?,
            Grant::Proxy { service, proxies } => {
                seq.serialize_element(service.as_str())?;
                let urls: Vec<&str> = proxies.as_slice().iter().map(CallbackUrl::as_str).collect();
                seq.serialize_element(&urls)?;
            }
            Grant::ProxyGranting { callback } => seq.serialize_element(callback.as_str())?,
        }
        seq.end()
    }
}

/// The array as read, before the kind gives its tail a meaning.
struct Raw {
    principal: String,
    issued: i64,
    lifetime: u64,
    auth_age: i64,
    methods: Vec<String>,
    flags: u64,
    /// ST/PT service or PGT callback.
    target: Option<String>,
    /// PT proxy chain.
    proxies: Option<Vec<String>>,
}

impl Raw {
    /// Pulls the array item by item. Lengths are checked against the input
    /// before anything is allocated for them.
    fn read(bytes: &[u8]) -> Option<Raw> {
        let mut r = Reader {
            decoder: Decoder::from(bytes),
            limit: bytes.len(),
        };
        let len = r.array(8)?;
        if len < 6 {
            return None;
        }
        Some(Raw {
            principal: r.text()?,
            issued: r.int()?,
            lifetime: r.uint()?,
            auth_age: r.int()?,
            methods: r.texts(MAX_METHODS)?,
            flags: r.uint()?,
            target: if len >= 7 { Some(r.text()?) } else { None },
            proxies: if len >= 8 {
                Some(r.texts(MAX_PROXIES)?)
            } else {
                None
            },
        })
    }

    fn into_claims(self, kind: Kind) -> Option<Claims> {
        let allowed = match kind {
            Kind::St => FLAG_REMEMBER_ME | FLAG_FRESH_LOGIN,
            Kind::Tgt | Kind::Pt | Kind::Pgt => FLAG_REMEMBER_ME,
        };
        if self.flags & !allowed != 0 {
            return None;
        }
        let instant = |unix: i64| OffsetDateTime::from_unix_timestamp(unix).ok();
        let issued_at = instant(self.issued)?;
        let expires_at = instant(
            self.issued
                .checked_add(i64::try_from(self.lifetime).ok()?)?,
        )?;
        let authenticated_at = instant(self.issued.checked_sub(self.auth_age)?)?;

        let mut auth = Authentication::new(&self.principal, authenticated_at)
            .ok()?
            .with_remember_me(self.flags & FLAG_REMEMBER_ME != 0);
        for method in &self.methods {
            auth = auth.with_method(method).ok()?;
        }
        let grant = match (kind, self.target, self.proxies) {
            (Kind::Tgt, None, None) => Grant::TicketGranting,
            (Kind::St, Some(service), None) => Grant::Service {
                service: Service::from_stored(service)?,
                fresh_login: self.flags & FLAG_FRESH_LOGIN != 0,
            },
            (Kind::Pt, Some(service), Some(proxies)) => {
                let urls = proxies
                    .iter()
                    .map(|u| CallbackUrl::new(u).ok())
                    .collect::<Option<Vec<_>>>()?;
                Grant::Proxy {
                    service: Service::from_stored(service)?,
                    proxies: ProxyChain::new(urls).ok()?,
                }
            }
            (Kind::Pgt, Some(callback), None) => Grant::ProxyGranting {
                callback: CallbackUrl::new(&callback).ok()?,
            },
            _ => return None,
        };
        Claims::new(auth, grant, issued_at, expires_at).ok()
    }
}

/// A pull reader over definite-length CBOR items.
struct Reader<'a> {
    decoder: Decoder<&'a [u8]>,
    limit: usize,
}

impl Reader<'_> {
    fn array(&mut self, max: usize) -> Option<usize> {
        match self.decoder.pull().ok()? {
            Header::Array(Some(len)) if len <= max => Some(len),
            _ => None,
        }
    }

    fn text(&mut self) -> Option<String> {
        match self.decoder.pull().ok()? {
            Header::Text(Some(len)) if len <= self.limit => {
                let mut buf = vec![0_u8; len];
                self.decoder.read_exact(&mut buf).ok()?;
                String::from_utf8(buf).ok()
            }
            _ => None,
        }
    }

    fn texts(&mut self, max: usize) -> Option<Vec<String>> {
        let len = self.array(max)?;
        (0..len).map(|_| self.text()).collect()
    }

    fn uint(&mut self) -> Option<u64> {
        match self.decoder.pull().ok()? {
            Header::Positive(n) => Some(n),
            _ => None,
        }
    }

    fn int(&mut self) -> Option<i64> {
        match self.decoder.pull().ok()? {
            Header::Positive(n) => i64::try_from(n).ok(),
            // CBOR negative n encodes -1 - n.
            Header::Negative(n) => i64::try_from(n).ok().map(|n| -1 - n),
            _ => None,
        }
    }
}
