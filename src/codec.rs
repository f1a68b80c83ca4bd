//! The pipeline: claims → CBOR with phrase-coded fields → AEAD → base62, and back
//! (FORMAT.md §9 gives the decoder's order).

use subtle::ConstantTimeEq as _;
use time::{Duration, OffsetDateTime};

use crate::claims::{Claims, Kind};
use crate::error::{Error, Result};
use crate::format::{self, HEADER_BYTES, NONCE_BYTES, OVERHEAD_BYTES, TAG_BYTES, UntrustedHeader};
use crate::keyring::{Alg, KeyId, Keyring};
use crate::seal::{self, KindCiphers};
use crate::{base62, compact};

/// How long before its issue instant a ticket is valid, besides the leeway:
/// instants are whole seconds, so a ticket minted at 10:00:00.9 says 10:00:00
/// and a node whose clock is 0.2 s behind sees it at 09:59:59.7 (FORMAT.md §9).
pub const NOT_BEFORE_ALLOWANCE: Duration = Duration::SECOND;

/// Encodes and decodes tickets with the keys of one keyring.
///
/// Build it once and share it (`Arc<Codec>` or `&'static`) across threads: it
/// is `Send + Sync` and holds nothing mutable.
pub struct Codec {
    keys: Vec<(KeyId, KindCiphers)>,
    primary: usize,
    leeway: Duration,
}

/// An authentic, unexpired ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ticket {
    claims: Claims,
    key_id: KeyId,
    alg: Alg,
    /// The nonce it was sealed with (public: it is in the ticket's text);
    /// [`Codec::replay_id`] names the ticket from it.
    nonce: [u8; NONCE_BYTES],
}

impl Ticket {
    /// What the ticket carries.
    pub fn claims(&self) -> &Claims {
        &self.claims
    }

    /// The claims, by value.
    pub fn into_claims(self) -> Claims {
        self.claims
    }

    /// The id of the key that sealed it.
    pub fn key_id(&self) -> KeyId {
        self.key_id
    }

    /// The algorithm that sealed it.
    pub fn alg(&self) -> Alg {
        self.alg
    }

    /// Checks that an ST or PT was issued for `service` (the `service`
    /// parameter of a validation request); see [`Service::matches`](crate::Service::matches).
    pub fn require_service(&self, service: &str) -> Result<()> {
        match self.claims.service() {
            Some(stored) if stored.matches(service) => Ok(()),
            _ => Err(Error::ServiceMismatch),
        }
    }
}

impl Codec {
    /// A codec that seals with `keyring`'s primary key and opens with all of
    /// its keys. Derives the per-kind subkeys once, here.
    pub fn new(keyring: &Keyring) -> Self {
        let keys: Vec<_> = keyring
            .keys()
            .iter()
            .map(|key| (key.id(), KindCiphers::derive(key)))
            .collect();
        let primary = keys
            .iter()
            .position(|(id, _)| *id == keyring.primary())
            .unwrap_or(0);
        Codec {
            keys,
            primary,
            leeway: Duration::ZERO,
        }
    }

    /// Accepts tickets up to `leeway` past their expiration instant, for
    /// clock skew between nodes. Zero by default; negative values count as zero.
    pub fn with_leeway(mut self, leeway: Duration) -> Self {
        self.leeway = leeway.max(Duration::ZERO);
        self
    }

    /// The leeway past expiration instants this codec accepts.
    pub fn leeway(&self) -> Duration {
        self.leeway
    }

    /// A name for `ticket` that a store may keep without the ticket:
    /// HMAC-SHA256, under a key derived from the key that sealed it, of the
    /// kind's prefix and the ticket's nonce, cut to 16 bytes (FORMAT.md
    /// §13). Every node of a pool computes the same one; nobody without the
    /// keys can link it to the ticket. Computed on demand, so that decoders
    /// without a store do not pay for it; fails only if this codec no longer
    /// holds the ticket's key.
    pub fn replay_id(&self, ticket: &Ticket) -> Result<[u8; 16]> {
        let ciphers = self.ciphers(ticket.key_id)?;
        Ok(ciphers.replay_id(ticket.claims.kind(), &ticket.nonce))
    }

    /// The principal ids of `principal`, one under each key of this codec
    /// (FORMAT.md §13): what names a principal whose sessions an
    /// administrator ended, without the name. A node looks up the id under
    /// the key that sealed the ticket in hand ([`Codec::principal_id`]), so
    /// the end is written under every key a live ticket may have.
    pub fn principal_ids(&self, principal: &str) -> Vec<[u8; 16]> {
        self.keys
            .iter()
            .map(|(_, ciphers)| ciphers.principal_id(principal))
            .collect()
    }

    /// The principal id of `ticket`'s principal, under the key that sealed
    /// it; fails only if this codec no longer holds that key.
    pub fn principal_id(&self, ticket: &Ticket) -> Result<[u8; 16]> {
        let ciphers = self.ciphers(ticket.key_id)?;
        Ok(ciphers.principal_id(ticket.claims.principal()))
    }

    /// The primary key's id and ciphers.
    pub(crate) fn primary_ciphers(&self) -> Result<(KeyId, &KindCiphers)> {
        self.keys
            .get(self.primary)
            .map(|(id, ciphers)| (*id, ciphers))
            .ok_or(Error::Keyring(crate::KeyringError::NoPrimary))
    }

    /// The ciphers of the key `key_id`, compared in constant time.
    pub(crate) fn ciphers(&self, key_id: KeyId) -> Result<&KindCiphers> {
        self.keys
            .iter()
            .find(|(id, _)| bool::from(id.to_bytes().ct_eq(&key_id.to_bytes())))
            .map(|(_, ciphers)| ciphers)
            .ok_or(Error::UnknownKey { key_id })
    }

    /// Seals `claims` into a ticket under the primary key, with a fresh
    /// 128-bit nonce from the operating system.
    pub fn encode(&self, claims: &Claims) -> Result<String> {
        self.encode_with_nonce(claims, seal::random_nonce()?)
    }

    /// [`Codec::encode`] with a caller-chosen nonce: for known-answer tests only.
    pub(crate) fn encode_with_nonce(
        &self,
        claims: &Claims,
        nonce: [u8; NONCE_BYTES],
    ) -> Result<String> {
        self.seal_with_nonce(claims.kind(), nonce, |bytes| {
            compact::to_cbor(claims, bytes)
        })
    }

    /// Seals the payload `write` appends as a ticket of `kind`: the encoder's
    /// last steps, also used to seal hand-made payloads for the vectors.
    pub(crate) fn seal_with_nonce(
        &self,
        kind: Kind,
        nonce: [u8; NONCE_BYTES],
        write: impl FnOnce(&mut Vec<u8>),
    ) -> Result<String> {
        let (key_id, ciphers) = self.primary_ciphers()?;

        let mut bytes = Vec::with_capacity(OVERHEAD_BYTES + 160);
        bytes.extend_from_slice(&[0; HEADER_BYTES]);
        bytes.extend_from_slice(&nonce);
        write(&mut bytes);

        let length = kind.prefix().len() + 1 + base62::encoded_len(bytes.len() + TAG_BYTES);
        if length > kind.max_chars() {
            return Err(Error::TooLong {
                length,
                max: kind.max_chars(),
            });
        }

        let header = UntrustedHeader::new(kind, key_id);
        for (slot, b) in bytes.iter_mut().zip(header.to_bytes()) {
            *slot = b;
        }
        let sealed = bytes
            .get_mut(HEADER_BYTES + NONCE_BYTES..)
            .unwrap_or_default();
        let tag = ciphers.seal(kind, &nonce, &header.associated_data(), sealed)?;
        bytes.extend_from_slice(&tag);

        let mut text = String::with_capacity(length);
        text.push_str(kind.prefix());
        text.push('-');
        base62::encode_into(&bytes, &mut text);
        Ok(text)
    }

    /// Validates a ticket of any kind as of `now`: FORMAT.md §9, in order
    /// (length cap, prefix, text, version, key id, AEAD, strict payload,
    /// expiry).
    pub fn decode(&self, text: &str, now: OffsetDateTime) -> Result<Ticket> {
        self.decode_with_leeway(text, None, now, self.leeway)
    }

    /// [`Codec::decode`] with `leeway` past the expiration instant for this
    /// call, in place of the codec's own (negative counts as zero), and, if
    /// `expected` is given, any other kind refused first as
    /// [`Codec::decode_kind`] does: for one codec shared by callers that each
    /// choose their leeway (the C and Python bindings).
    pub fn decode_with_leeway(
        &self,
        text: &str,
        expected: Option<Kind>,
        now: OffsetDateTime,
        leeway: Duration,
    ) -> Result<Ticket> {
        if let Some(expected) = expected {
            let (found, _) = format::split_prefix(text)?;
            if found != expected {
                return Err(Error::WrongKind { expected, found });
            }
        }
        let ticket = self.open(text)?;
        let leeway = leeway.max(Duration::ZERO);
        let issued_at = ticket.claims.issued_at();
        if now < issued_at.saturating_sub(NOT_BEFORE_ALLOWANCE.saturating_add(leeway)) {
            return Err(Error::NotYetValid { issued_at, now });
        }
        let expires_at = ticket.claims.expires_at();
        if now >= expires_at.saturating_add(leeway) {
            return Err(Error::Expired {
                expired_at: expires_at,
                now,
            });
        }
        Ok(ticket)
    }

    /// The claims of an authentic ticket, **expired or not**: every step of
    /// FORMAT.md §9 but the last. This is what a node needs to read back a
    /// service ticket it recorded for single logout, hours after it expired
    /// (§13); it is never a validation: use [`Codec::decode`] for that.
    pub fn open_expired(&self, text: &str) -> Result<Claims> {
        self.open(text).map(Ticket::into_claims)
    }

    /// §9 steps 1–8: everything but the expiry.
    fn open(&self, text: &str) -> Result<Ticket> {
        let mut parsed = format::parse(text)?;
        let header = parsed.header;
        let ciphers = self.ciphers(header.key_id())?;
        let nonce: [u8; NONCE_BYTES] = parsed
            .nonce()
            .try_into()
            .map_err(|_| Error::AuthenticationFailed)?;
        let sealed = parsed.sealed_mut();
        let (ciphertext, tag) = sealed.split_at_mut(sealed.len().saturating_sub(TAG_BYTES));
        ciphers.open(
            header.kind(),
            &nonce,
            &header.associated_data(),
            ciphertext,
            tag,
        )?;
        let claims = compact::from_cbor(header.kind(), ciphertext)?;
        Ok(Ticket {
            nonce,
            claims,
            key_id: header.key_id(),
            alg: ciphers.alg(),
        })
    }

    /// [`Codec::decode`], refusing any kind but `expected` before any
    /// cryptographic work.
    pub fn decode_kind(&self, text: &str, expected: Kind, now: OffsetDateTime) -> Result<Ticket> {
        self.decode_with_leeway(text, Some(expected), now, self.leeway)
    }
}

impl core::fmt::Debug for Codec {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Codec")
            .field(
                "keys",
                &self.keys.iter().map(|(id, _)| id).collect::<Vec<_>>(),
            )
            .field("primary", &self.keys.get(self.primary).map(|(id, _)| id))
            .field("leeway", &self.leeway)
            .finish_non_exhaustive()
    }
}
