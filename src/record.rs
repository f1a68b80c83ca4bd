//! Single-logout records (FORMAT.md §13): what a store keeps of a validated
//! ST or PT, so that the node that ends its session can tell its service.
//!
//! A record holds the ticket (the `SessionIndex` a service's logout request
//! names) and, when the ticket holds only a digest of its service, the URL.
//! It is sealed under the record subkey of a master key (`"<alg> record"`),
//! bound to its session: whoever reads or writes the store without the keys
//! learns no ticket, so cannot rebuild one and replay it after deleting its
//! spent mark, and cannot forge a record or move one to another session.

use crate::base62;
use crate::claims::{Kind, SessionId};
use crate::codec::Codec;
use crate::error::{Error, Malformed, Result};
use crate::format::{self, NONCE_BYTES, TAG_BYTES, VERSION};
use crate::keyring::KeyId;
use crate::seal;
use crate::service::MAX_SERVICE_URL_BYTES;

/// A validated ST or PT as single logout keeps it: the ticket, and the
/// service URL when the ticket holds only a digest of it (a long URL,
/// FORMAT.md §8). Opened from a store, it was sealed by a node of the pool;
/// still, check that the ticket opens, is one of the session's, and that
/// the URL, if any, [`matches`](crate::Service::matches) its service.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LogoutRecord {
    /// The ticket's text (spent: useless to replay).
    pub ticket: String,
    /// The service URL, only if the ticket's service is shortened.
    pub service: Option<String>,
}

/// A [`LogoutRecord`] sealed for a store: opaque without the pool's keys.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct SealedRecord(Vec<u8>);

impl SealedRecord {
    /// Its bytes, as the store keeps them (FORMAT.md §13): the length of
    /// what follows (2 bytes, big-endian), the key id, the nonce, the
    /// ciphertext and the tag.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// A record as read from a store; [`Codec::open_record`] checks it.
    pub fn from_bytes(bytes: Vec<u8>) -> Self {
        SealedRecord(bytes)
    }
}

impl std::fmt::Debug for SealedRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SealedRecord({} bytes)", self.0.len())
    }
}

/// Bytes of a sealed record before its ciphertext: length, key id, nonce.
const SEALED_HEAD_BYTES: usize = 2 + 2 + NONCE_BYTES;

/// The longest record in the clear: code, length, a ticket's bytes (at most
/// 255), the URL's length and a URL of at most [`MAX_SERVICE_URL_BYTES`].
const MAX_PLAIN_BYTES: usize = 1 + 1 + 255 + 2 + MAX_SERVICE_URL_BYTES;

/// The shortest sealed record: the length, key id, nonce, a code, a length
/// and the tag.
pub const MIN_SEALED_RECORD_BYTES: usize = SEALED_HEAD_BYTES + 2 + TAG_BYTES;

/// The longest sealed record.
pub const MAX_SEALED_RECORD_BYTES: usize = SEALED_HEAD_BYTES + MAX_PLAIN_BYTES + TAG_BYTES;

/// The associated data of a record: the format version, the key id and the
/// session id. A record moved to another session does not open.
fn associated_data(key_id: KeyId, session: SessionId) -> [u8; 11] {
    let mut ad = [0_u8; 11];
    let parts = [VERSION]
        .into_iter()
        .chain(key_id.to_bytes())
        .chain(session.to_bytes());
    for (slot, b) in ad.iter_mut().zip(parts) {
        *slot = b;
    }
    ad
}

/// `record` in the clear (FORMAT.md §13): a code (1 for ST, 2 for PT; 3
/// and 4 when a URL follows), the length of the ticket's bytes, the bytes
/// its text spells (§3), then for codes 3 and 4 the URL's length (two
/// bytes, big-endian) and the URL. None for a text that is not a
/// well-formed ST or PT of this format version (§9 steps 1–5), or a URL
/// longer than [`MAX_SERVICE_URL_BYTES`].
pub(crate) fn plain(record: &LogoutRecord) -> Option<Vec<u8>> {
    let parsed = format::parse(&record.ticket).ok()?;
    let bytes = parsed.bytes;
    let code = match (parsed.header.kind(), &record.service) {
        (Kind::St, None) => 1,
        (Kind::Pt, None) => 2,
        (Kind::St, Some(_)) => 3,
        (Kind::Pt, Some(_)) => 4,
        _ => return None,
    };
    let mut out = Vec::with_capacity(2 + bytes.len());
    out.push(code);
    out.push(u8::try_from(bytes.len()).ok()?);
    out.extend_from_slice(&bytes);
    if let Some(url) = &record.service {
        if url.len() > MAX_SERVICE_URL_BYTES {
            return None;
        }
        out.extend_from_slice(&u16::try_from(url.len()).ok()?.to_be_bytes());
        out.extend_from_slice(url.as_bytes());
    }
    Some(out)
}

/// The record `plain` spells, if it spells exactly one.
fn from_plain(plain: &[u8]) -> Option<LogoutRecord> {
    let [code, length, rest @ ..] = plain else {
        return None;
    };
    let kind = match code {
        1 | 3 => Kind::St,
        2 | 4 => Kind::Pt,
        _ => return None,
    };
    let (bytes, rest) = rest.split_at_checked(usize::from(*length))?;
    let mut ticket = format!("{}-", kind.prefix());
    base62::encode_into(bytes, &mut ticket);
    let service = match (code, rest) {
        (1 | 2, []) => None,
        (3 | 4, [hi, lo, url @ ..]) if url.len() == usize::from(u16::from_be_bytes([*hi, *lo])) => {
            Some(String::from_utf8(url.to_vec()).ok()?)
        }
        _ => return None,
    };
    Some(LogoutRecord { ticket, service })
}

impl Codec {
    /// `record`, sealed under the primary key's record subkey for
    /// `session`, with a fresh nonce. None for a ticket that is not a
    /// well-formed ST or PT, or a URL too long to record.
    pub fn seal_record(&self, session: SessionId, record: &LogoutRecord) -> Result<SealedRecord> {
        self.seal_record_with_nonce(session, record, seal::random_nonce()?)
    }

    /// [`Codec::seal_record`] with a caller-chosen nonce: for known-answer
    /// tests only.
    pub(crate) fn seal_record_with_nonce(
        &self,
        session: SessionId,
        record: &LogoutRecord,
        nonce: [u8; NONCE_BYTES],
    ) -> Result<SealedRecord> {
        let mut body = plain(record).ok_or(Error::Malformed(Malformed::Payload))?;
        let (key_id, ciphers) = self.primary_ciphers()?;
        let tag = ciphers.seal_record(&nonce, &associated_data(key_id, session), &mut body)?;
        let length = u16::try_from(2 + NONCE_BYTES + body.len() + TAG_BYTES)
            .map_err(|_| Error::Malformed(Malformed::Payload))?;
        let mut out = Vec::with_capacity(SEALED_HEAD_BYTES + body.len() + TAG_BYTES);
        out.extend_from_slice(&length.to_be_bytes());
        out.extend_from_slice(&key_id.to_bytes());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&body);
        out.extend_from_slice(&tag);
        Ok(SealedRecord(out))
    }

    /// The record `sealed` holds, if a key of this codec sealed it for
    /// `session`: [`Error::UnknownKey`] for a key no longer held,
    /// [`Error::AuthenticationFailed`] for a record forged, altered or
    /// moved from another session, [`Malformed`] for one whose length
    /// does not add up.
    pub fn open_record(&self, session: SessionId, sealed: &SealedRecord) -> Result<LogoutRecord> {
        let truncated = Error::Malformed(Malformed::Truncated);
        let [hi, lo, k0, k1, rest @ ..] = sealed.0.as_slice() else {
            return Err(truncated);
        };
        let length = usize::from(u16::from_be_bytes([*hi, *lo]));
        if length != sealed.0.len() - 2 || sealed.0.len() < MIN_SEALED_RECORD_BYTES {
            return Err(truncated);
        }
        let key_id = KeyId::from_bytes([*k0, *k1]);
        let ciphers = self.ciphers(key_id)?;
        let (nonce, sealed_body) = rest.split_at_checked(NONCE_BYTES).ok_or(truncated)?;
        let mut body = sealed_body.to_vec();
        let cut = body.len().saturating_sub(TAG_BYTES);
        let (ciphertext, tag) = body.split_at_mut(cut);
        ciphers.open_record(nonce, &associated_data(key_id, session), ciphertext, tag)?;
        from_plain(ciphertext).ok_or(Error::Malformed(Malformed::Payload))
    }
}

/// The sealed records a store's field spells, oldest first: each its length
/// (2 bytes, big-endian) and that many bytes, up to the first whose length is
/// out of bounds or runs past the end. [`Frames::rest`] is what is left
/// then: empty for a field that is only records.
pub(crate) struct Frames<'a> {
    rest: &'a [u8],
}

impl<'a> Frames<'a> {
    pub(crate) fn new(field: &'a [u8]) -> Self {
        Frames { rest: field }
    }

    /// What the records read so far leave of the field.
    pub(crate) fn rest(&self) -> &'a [u8] {
        self.rest
    }
}

impl<'a> Iterator for Frames<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        let [hi, lo, ..] = self.rest else {
            return None;
        };
        let length = 2 + usize::from(u16::from_be_bytes([*hi, *lo]));
        if !(MIN_SEALED_RECORD_BYTES..=MAX_SEALED_RECORD_BYTES).contains(&length) {
            return None;
        }
        let (record, rest) = self.rest.split_at_checked(length)?;
        self.rest = rest;
        Some(record)
    }
}

/// The sealed records of a store's field, oldest first: at most `max`
/// distinct ones (a writer to the store may have repeated one), up to the
/// first whose length does not add up.
pub fn split_records(field: &[u8], max: usize) -> Vec<SealedRecord> {
    let mut out: Vec<SealedRecord> = Vec::new();
    for record in Frames::new(field) {
        if out.len() == max {
            break;
        }
        if !out.iter().any(|seen| seen.0 == record) {
            out.push(SealedRecord(record.to_vec()));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keyring::{Alg, Keyring};

    /// A text shaped like a version-2 ticket of `kind` (not sealed: records
    /// do not open the ticket).
    fn shaped(kind: Kind, len: usize) -> String {
        let mut bytes: Vec<u8> = (0..len).map(|i| i as u8).collect();
        bytes[0] = 2;
        format!("{}-{}", kind.prefix(), base62::encode(&bytes))
    }

    fn session(byte: u8) -> SessionId {
        SessionId::from_bytes([byte; 8])
    }

    fn codec() -> Codec {
        Codec::new(&Keyring::generate(Alg::Aes256Gcm).unwrap())
    }

    #[test]
    fn a_record_opens_for_its_session_alone() {
        let codec = codec();
        let record = LogoutRecord {
            ticket: shaped(Kind::St, 82),
            service: Some("https://a.example/x".to_owned()),
        };
        let sealed = codec.seal_record(session(1), &record).unwrap();
        assert_eq!(codec.open_record(session(1), &sealed), Ok(record.clone()));
        assert_eq!(
            codec.open_record(session(2), &sealed),
            Err(Error::AuthenticationFailed)
        );
        // Another pool's keys: the key id is unknown, or it does not open.
        let other = super::tests::codec();
        assert!(other.open_record(session(1), &sealed).is_err());
    }

    #[test]
    fn a_record_holds_no_ticket_in_the_clear() {
        let codec = codec();
        let ticket = shaped(Kind::St, 82);
        let bytes = format::parse(&ticket).unwrap().bytes;
        let sealed = codec
            .seal_record(
                session(1),
                &LogoutRecord {
                    ticket,
                    service: None,
                },
            )
            .unwrap();
        let held = sealed.as_bytes();
        assert!(
            !held.windows(16).any(|w| bytes.windows(16).any(|b| b == w)),
            "16 bytes of the ticket in the record"
        );
    }

    #[test]
    fn every_flipped_bit_and_every_cut_is_refused() {
        let codec = codec();
        let sealed = codec
            .seal_record(
                session(1),
                &LogoutRecord {
                    ticket: shaped(Kind::Pt, 90),
                    service: None,
                },
            )
            .unwrap();
        let bytes = sealed.as_bytes();
        for i in 0..bytes.len() * 8 {
            let mut flipped = bytes.to_vec();
            flipped[i / 8] ^= 1 << (i % 8);
            assert!(
                codec
                    .open_record(session(1), &SealedRecord(flipped))
                    .is_err(),
                "bit {i}"
            );
        }
        for cut in 0..bytes.len() {
            assert_eq!(
                codec.open_record(session(1), &SealedRecord(bytes[..cut].to_vec())),
                Err(Error::Malformed(Malformed::Truncated)),
                "cut at {cut}"
            );
        }
    }

    #[test]
    fn only_well_formed_sts_and_pts_are_sealed() {
        let codec = codec();
        let st = shaped(Kind::St, 82);
        for text in [
            shaped(Kind::Tgt, 82),
            shaped(Kind::Pgt, 82),
            shaped(Kind::St, 20),
            st.replacen("ST-0", "ST-1", 1),
            "ST-".into(),
            "ST-_".into(),
        ] {
            let record = LogoutRecord {
                ticket: text.clone(),
                service: None,
            };
            assert_eq!(
                codec.seal_record(session(1), &record),
                Err(Error::Malformed(Malformed::Payload)),
                "{text}"
            );
        }
        let too_long = LogoutRecord {
            ticket: st,
            service: Some(format!(
                "https://a.example/{}",
                "x".repeat(MAX_SERVICE_URL_BYTES)
            )),
        };
        assert_eq!(
            codec.seal_record(session(1), &too_long),
            Err(Error::Malformed(Malformed::Payload))
        );
    }

    #[test]
    fn the_longest_record_fits_its_bound() {
        let codec = codec();
        let record = LogoutRecord {
            ticket: shaped(Kind::St, 180),
            service: Some(format!(
                "https://a.example/{}",
                "x".repeat(MAX_SERVICE_URL_BYTES - 18)
            )),
        };
        let sealed = codec.seal_record(session(1), &record).unwrap();
        assert!(sealed.as_bytes().len() <= MAX_SEALED_RECORD_BYTES);
        assert_eq!(codec.open_record(session(1), &sealed), Ok(record));
    }

    #[test]
    fn a_field_splits_into_at_most_max_distinct_records() {
        let codec = codec();
        let records: Vec<SealedRecord> = (0..5)
            .map(|_| {
                codec
                    .seal_record(
                        session(1),
                        &LogoutRecord {
                            ticket: shaped(Kind::St, 82),
                            service: None,
                        },
                    )
                    .unwrap()
            })
            .collect();
        let field: Vec<u8> = records.iter().flat_map(|r| r.0.clone()).collect();
        assert_eq!(split_records(&field, 64), records);
        assert_eq!(split_records(&field, 2), records[..2]);
        // A writer repeating one record 2,000 times gets it read once.
        let repeated = records[0].0.repeat(2000);
        assert_eq!(split_records(&repeated, 64), records[..1]);
        // Reading stops at a length that does not add up.
        let cut = &field[..field.len() - 1];
        assert_eq!(split_records(cut, 64), records[..4]);
        let mut tiny = field.clone();
        tiny.splice(0..0, [0, 3, 1, 2, 3]);
        assert_eq!(split_records(&tiny, 64), vec![]);
        assert_eq!(split_records(&[], 64), vec![]);
    }
}
