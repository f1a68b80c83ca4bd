//! Each pipeline stage on its own, for benchmarks and fuzz harnesses.
//!
//! Not part of the stable API: the codec's own entry points are
//! [`Codec::encode`](crate::Codec::encode) and [`Codec::decode`](crate::Codec::decode).

use crate::claims::{Claims, Kind};
use crate::error::Malformed;

/// Claims → the payload: positional CBOR with phrase-coded text fields.
pub fn to_cbor(claims: &Claims) -> Vec<u8> {
    let mut out = Vec::with_capacity(128);
    crate::compact::to_cbor(claims, &mut out);
    out
}

/// Strict payload → claims of `kind`: what `Codec::decode` does once the
/// AEAD has opened a ticket.
pub fn from_cbor(kind: Kind, bytes: &[u8]) -> Result<Claims, Malformed> {
    crate::compact::from_cbor(kind, bytes)
}

/// A service URL normalized by parsing it, never by the one-pass check
/// [`normalize`](crate::normalize) takes first for a URL already normalized:
/// what that check must agree with.
pub fn normalize_by_parsing(url: &str) -> Result<String, crate::error::InvalidClaims> {
    crate::service::parsed(url)
}
