//! The ticket's outer form: `PREFIX-BODY`, the header bytes, the associated
//! data (FORMAT.md §2–§4), and [`inspect`], which reads the unauthenticated
//! header without keys.

use crate::base62;
use crate::claims::{Kind, MAX_CODE_CHARS};
use crate::error::{Error, Malformed};
use crate::keyring::KeyId;

/// The longest ticket of a CAS kind and the longest OAuth token, prefix
/// included, in characters; an authorization code may have up to
/// [`MAX_CODE_CHARS`] ([`Kind::max_chars`]).
pub const MAX_TICKET_CHARS: usize = 256;
/// The format version this build writes (and the only one it reads).
pub const VERSION: u8 = 2;
/// Header length in bytes: version, key id.
pub const HEADER_BYTES: usize = 3;
/// Random nonce bytes per ticket.
pub const NONCE_BYTES: usize = 16;
/// AEAD tag bytes.
pub const TAG_BYTES: usize = 16;
/// Bytes around the sealed payload.
pub const OVERHEAD_BYTES: usize = HEADER_BYTES + NONCE_BYTES + TAG_BYTES;

/// A header parsed from a ticket whose authenticity is not yet known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UntrustedHeader {
    kind: Kind,
    key_id: KeyId,
}

impl UntrustedHeader {
    pub(crate) fn new(kind: Kind, key_id: KeyId) -> Self {
        UntrustedHeader { kind, key_id }
    }

    /// The kind named by the prefix.
    pub fn kind(&self) -> Kind {
        self.kind
    }

    /// The format version.
    pub fn version(&self) -> u8 {
        VERSION
    }

    /// The key id the header names.
    pub fn key_id(&self) -> KeyId {
        self.key_id
    }

    /// The header bytes (FORMAT.md §4).
    pub fn to_bytes(&self) -> [u8; HEADER_BYTES] {
        let [id0, id1] = self.key_id.to_bytes();
        [VERSION, id0, id1]
    }

    /// The associated data: `PREFIX "-" header` (FORMAT.md §5), at most
    /// `PGT-` and the header.
    pub(crate) fn associated_data(&self) -> AssociatedData {
        let prefix = self.kind.prefix().as_bytes();
        let header = self.to_bytes();
        let mut ad = AssociatedData {
            bytes: [0; 4 + HEADER_BYTES],
            len: prefix.len() + 1 + HEADER_BYTES,
        };
        let parts = prefix.iter().chain(b"-").chain(&header);
        for (slot, &b) in ad.bytes.iter_mut().zip(parts) {
            *slot = b;
        }
        ad
    }
}

/// The associated data of a ticket, on the stack.
pub(crate) struct AssociatedData {
    bytes: [u8; 4 + HEADER_BYTES],
    len: usize,
}

impl core::ops::Deref for AssociatedData {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        self.bytes.get(..self.len).unwrap_or_default()
    }
}

/// A ticket split into its untrusted header, nonce and sealed payload.
pub(crate) struct Parsed {
    pub header: UntrustedHeader,
    pub bytes: Vec<u8>,
}

impl Parsed {
    pub fn nonce(&self) -> &[u8] {
        self.bytes
            .get(HEADER_BYTES..HEADER_BYTES + NONCE_BYTES)
            .unwrap_or(&[])
    }

    /// Ciphertext and tag.
    pub fn sealed_mut(&mut self) -> &mut [u8] {
        self.bytes
            .get_mut(HEADER_BYTES + NONCE_BYTES..)
            .unwrap_or(&mut [])
    }
}

/// The kind of a ticket text, from its prefix, between the length caps
/// (FORMAT.md §9 steps 1–3): any text over [`MAX_CODE_CHARS`], the largest
/// cap, is refused unread; then the prefix; then its kind's own cap.
pub(crate) fn split_prefix(text: &str) -> Result<(Kind, &str), Error> {
    let too_long = |max: usize| Error::TooLong {
        length: text.len(),
        max,
    };
    if text.len() > MAX_CODE_CHARS {
        return Err(too_long(MAX_CODE_CHARS));
    }
    if text.is_empty() {
        return Err(Malformed::Empty.into());
    }
    let (prefix, body) = text.split_once('-').ok_or(Malformed::Prefix)?;
    let kind = Kind::from_prefix(prefix).ok_or(Malformed::Prefix)?;
    if text.len() > kind.max_chars() {
        return Err(too_long(kind.max_chars()));
    }
    Ok((kind, body))
}

/// Steps 1–5 of FORMAT.md §9: length cap, prefix, text, version, header.
pub(crate) fn parse(text: &str) -> Result<Parsed, Error> {
    let (kind, body) = split_prefix(text)?;
    let bytes = base62::decode(body.as_bytes())?;
    let version = *bytes.first().ok_or(Malformed::Truncated)?;
    if version != VERSION {
        return Err(Error::UnsupportedVersion { version });
    }
    if bytes.len() <= OVERHEAD_BYTES {
        return Err(Malformed::Truncated.into());
    }
    let (id0, id1) = match bytes.get(1..HEADER_BYTES) {
        Some(&[id0, id1]) => (id0, id1),
        _ => return Err(Malformed::Truncated.into()),
    };
    let header = UntrustedHeader::new(kind, KeyId::from_bytes([id0, id1]));
    Ok(Parsed { header, bytes })
}

/// A fresh proxy-granting-ticket IOU, `PGTIOU-` and 44 base62 characters of
/// 256 bits from the operating system's random source.
///
/// A PGTIOU is not a ticket of this codec: the protocol requires that its PGT
/// cannot be derived from it, so it carries nothing and is never decoded.
pub fn new_pgt_iou() -> Result<String, Error> {
    let mut bytes = [0_u8; 32];
    crate::keyring::fill_from_os(&mut bytes)?;
    let mut iou = String::from("PGTIOU-");
    base62::encode_into(&bytes, &mut iou);
    Ok(iou)
}

/// Reads a ticket's header without keys and without authenticating it:
/// what `ticketctl inspect` shows. Nothing it returns can be trusted.
pub fn inspect(text: &str) -> Result<UntrustedHeader, Error> {
    parse(text).map(|p| p.header)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_bytes_round_trip() {
        for kind in Kind::ALL {
            let header = UntrustedHeader::new(kind, KeyId::from_bytes([1, 2]));
            let mut bytes = header.to_bytes().to_vec();
            bytes.extend([0_u8; NONCE_BYTES + TAG_BYTES + 1]);
            let text = format!("{}-{}", kind.prefix(), base62::encode(&bytes));
            assert_eq!(inspect(&text), Ok(header));
            let ad = header.associated_data();
            assert!(ad.starts_with(format!("{}-", kind.prefix()).as_bytes()));
            assert!(ad.ends_with(&header.to_bytes()));
        }
    }

    #[test]
    fn pgt_ious_are_random_and_in_the_alphabet() {
        let a = new_pgt_iou().unwrap();
        let b = new_pgt_iou().unwrap();
        assert_ne!(a, b);
        assert_eq!(a.len(), "PGTIOU-".len() + 44);
        let body = a.strip_prefix("PGTIOU-").unwrap();
        assert!(body.bytes().all(|c| c.is_ascii_alphanumeric()));
        assert_eq!(inspect(&a), Err(Error::Malformed(Malformed::Prefix)));
    }

    #[test]
    fn short_bodies_are_truncated() {
        let mut bytes = vec![VERSION, 0, 0];
        bytes.extend([0_u8; NONCE_BYTES + TAG_BYTES]);
        let text = format!("ST-{}", base62::encode(&bytes));
        assert_eq!(inspect(&text), Err(Error::Malformed(Malformed::Truncated)));
        bytes.push(0);
        let text = format!("ST-{}", base62::encode(&bytes));
        assert!(inspect(&text).is_ok());
    }
}
