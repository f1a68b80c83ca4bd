//! Each pipeline stage on its own, for benchmarks and fuzz harnesses.
//!
//! Not part of the stable API: the codec's own entry points are
//! [`Codec::encode`](crate::Codec::encode) and [`Codec::decode`](crate::Codec::decode).

use crate::claims::{Claims, Kind};
use crate::error::{Error, Malformed};

/// Claims → positional CBOR.
pub fn to_cbor(claims: &Claims) -> Vec<u8> {
    let mut out = Vec::with_capacity(128);
    crate::compact::to_cbor(claims, &mut out);
    out
}

/// Strict CBOR → claims of `kind`.
pub fn from_cbor(kind: Kind, bytes: &[u8]) -> Result<Claims, Malformed> {
    crate::compact::from_cbor(kind, bytes)
}

/// Raw DEFLATE with the preset dictionary, if that is shorter than `bytes`.
pub fn squeeze(bytes: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(bytes.len());
    crate::deflate::squeeze(bytes, &mut out).then_some(out)
}

/// Bounded inflate with the preset dictionary.
pub fn inflate(bytes: &[u8]) -> Result<Vec<u8>, Malformed> {
    crate::deflate::inflate(bytes)
}

/// What the decoder does with a payload once the AEAD has opened it:
/// bounded inflate when `deflated`, then strict CBOR decode. The same
/// function `Codec::decode` calls.
pub fn open_payload(kind: Kind, deflated: bool, payload: &[u8]) -> Result<Claims, Error> {
    crate::codec::open_payload(kind, deflated, payload)
}
