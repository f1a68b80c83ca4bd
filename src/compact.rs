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

use core::fmt;
use core::marker::PhantomData;

use serde::de::{self, DeserializeSeed, IgnoredAny, SeqAccess, Visitor};
use serde::ser::{SerializeSeq, Serializer};
use serde::{Deserialize, Deserializer, Serialize};
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
    let raw: Raw = ciborium::from_reader(bytes).map_err(|_| Malformed::Payload)?;
    let claims = raw.into_claims(kind).ok_or(Malformed::Payload)?;
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

fn next<'de, A: SeqAccess<'de>, T: DeserializeSeed<'de>>(
    seq: &mut A,
    seed: T,
) -> Result<T::Value, A::Error> {
    seq.next_element_seed(seed)?
        .ok_or_else(|| de::Error::custom("array too short"))
}

impl<'de> Deserialize<'de> for Raw {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Raw, D::Error> {
        d.deserialize_seq(RawVisitor)
    }
}

struct RawVisitor;

impl<'de> Visitor<'de> for RawVisitor {
    type Value = Raw;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a claims array")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Raw, A::Error> {
        let raw = Raw {
            principal: next(&mut seq, Text)?,
            issued: next(&mut seq, PhantomData)?,
            lifetime: next(&mut seq, PhantomData)?,
            auth_age: next(&mut seq, PhantomData)?,
            methods: next(&mut seq, Texts { max: MAX_METHODS })?,
            flags: next(&mut seq, PhantomData)?,
            target: seq.next_element_seed(Text)?,
            proxies: seq.next_element_seed(Texts { max: MAX_PROXIES })?,
        };
        if seq.next_element::<IgnoredAny>()?.is_some() {
            return Err(de::Error::custom("array too long"));
        }
        Ok(raw)
    }
}

/// A CBOR text string, and nothing else (serde's `String` would take bytes too).
struct Text;

impl<'de> DeserializeSeed<'de> for Text {
    type Value = String;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<String, D::Error> {
        d.deserialize_str(self)
    }
}

impl Visitor<'_> for Text {
    type Value = String;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a text string")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<String, E> {
        Ok(v.to_owned())
    }
}

/// An array of at most `max` text strings, counted as they arrive (the
/// declared length is never trusted for allocation).
struct Texts {
    max: usize,
}

impl<'de> DeserializeSeed<'de> for Texts {
    type Value = Vec<String>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Vec<String>, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for Texts {
    type Value = Vec<String>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "an array of at most {} text strings", self.max)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<String>, A::Error> {
        let mut out = Vec::new();
        while let Some(text) = seq.next_element_seed(Text)? {
            if out.len() == self.max {
                return Err(de::Error::custom("too many elements"));
            }
            out.push(text);
        }
        Ok(out)
    }
}
