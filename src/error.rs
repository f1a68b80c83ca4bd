//! The one error type of the crate and its nested detail enums.
//!
//! Every rejection has its own variant so that a caller (a CAS node, `ticketctl`)
//! can act on it without parsing text. No variant carries key bytes, plaintext
//! or any hint at *why* an authenticated decryption failed.

use core::fmt;

use time::OffsetDateTime;

use crate::claims::Kind;
use crate::keyring::KeyId;

/// Everything that can go wrong while building claims, encoding, decoding or
/// loading keys.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// The ticket text (decode) or the ticket that would be produced (encode)
    /// is longer than its kind's cap ([`Kind::max_chars`]: 256 characters,
    /// 384 for an authorization code), or longer than 384 before its kind is known.
    TooLong {
        /// Length in bytes of its UTF-8 (a ticket is ASCII, so characters).
        length: usize,
        /// The cap.
        max: usize,
    },
    /// The text is not a ticket of this format; the detail says which rule it broke.
    Malformed(Malformed),
    /// The ticket names a format version this build cannot read.
    UnsupportedVersion {
        /// The version byte found in the ticket.
        version: u8,
    },
    /// The ticket was sealed under a key id that is not in the keyring
    /// (never added, or retired).
    UnknownKey {
        /// The key id found in the ticket header.
        key_id: KeyId,
    },
    /// The ticket did not authenticate: forged, tampered with, relabelled, or
    /// sealed under another key with the same id. Says nothing more, on purpose.
    AuthenticationFailed,
    /// The ticket is authentic but its hard expiration instant has passed.
    Expired {
        /// The instant the ticket stopped being valid.
        expired_at: OffsetDateTime,
        /// The instant it was validated at.
        now: OffsetDateTime,
    },
    /// The ticket is authentic but was issued later than the validation
    /// instant, by more than the leeway and the second its whole-second
    /// instants may lose: a node whose clock runs ahead, or a ticket made for
    /// later. Refused, so that no ticket lives longer than its lifetime.
    NotYetValid {
        /// The instant it says it was issued.
        issued_at: OffsetDateTime,
        /// The instant it was validated at.
        now: OffsetDateTime,
    },
    /// The ticket is of another kind than the caller accepts.
    WrongKind {
        /// The kind the caller accepts.
        expected: Kind,
        /// The kind the ticket is.
        found: Kind,
    },
    /// The ticket was issued for another service than the one given.
    ServiceMismatch,
    /// Claims that cannot be encoded; the detail names the offending field.
    InvalidClaims(InvalidClaims),
    /// The keyring (file or value) cannot be used.
    Keyring(KeyringError),
}

/// Why a text is not a well-formed ticket (FORMAT.md §9 lists the checks).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Malformed {
    /// The input is empty.
    Empty,
    /// No known `KIND-` prefix (`TGT-`, `ST-`, `PT-`, `PGT-`, `OC-`, `AT-`, `RT-`).
    Prefix,
    /// A character outside `0-9 A-Z a-z` in the body.
    Alphabet,
    /// The body length is not one a canonical encoding can have.
    Length,
    /// The body is not the canonical spelling of any byte string.
    NonCanonical,
    /// The decoded bytes are too short for a header, nonce and tag.
    Truncated,
    /// The authenticated payload is not the claims this kind requires, in
    /// the one encoding the format allows (FORMAT.md §6–§7).
    Payload,
}

/// Why claims cannot be built or encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum InvalidClaims {
    /// The principal is empty, too long, or contains control characters.
    Principal,
    /// An authentication method name is empty, too long or contains control characters.
    Method,
    /// More authentication methods than [`MAX_METHODS`](crate::MAX_METHODS).
    TooManyMethods,
    /// The service is not an http or https URL the normalizer accepts
    /// (FORMAT.md §8).
    Service,
    /// A proxy or callback URL is not one the normalizer accepts, or is
    /// longer than 200 bytes once normalized.
    Url,
    /// A proxy chain is empty or longer than [`MAX_PROXIES`](crate::MAX_PROXIES).
    ProxyChain,
    /// The expiration instant is not after the issue instant, or an instant
    /// is out of the range the format can carry.
    Validity,
    /// A session id is not 16 hex digits, or the ticket would outlive its
    /// session (a TGT's session must end when the TGT expires).
    Session,
    /// An OAuth client id is empty, longer than 64 bytes, or not visible ASCII.
    Client,
    /// A scope is not a scope token (RFC 6749 §3.3), or there are too many.
    Scope,
    /// A claim name is empty, too long or has control characters, or too many are asked for.
    ClaimNames,
    /// An OIDC nonce is empty, longer than 128 bytes, or has control characters.
    Nonce,
    /// A PKCE challenge is not the unpadded base64url of 32 bytes.
    CodeChallenge,
    /// A grant id is not 16 hex digits.
    Grant,
}

/// Why a keyring cannot be loaded, saved or used.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyringError {
    /// Reading or writing the key file failed.
    Io(std::io::ErrorKind),
    /// The key file exists already and would be overwritten.
    AlreadyExists,
    /// The key file belongs to another user than the one running (whoever
    /// owns it can replace the keys).
    NotOwner {
        /// The file owner's user id.
        owner: u32,
        /// The running process's effective user id.
        user: u32,
    },
    /// The key file can be read by group or others (mode shown in octal).
    InsecurePermissions {
        /// The file's permission bits.
        mode: u32,
    },
    /// The key file is not the JSON this crate writes (position only, never content).
    Syntax {
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
    },
    /// The key file's structure is wrong (unknown version, field or algorithm).
    Format(&'static str),
    /// A secret is not 32 bytes of standard base64.
    BadSecret {
        /// The key whose secret is bad.
        key_id: KeyId,
    },
    /// A key id is not four hex digits.
    BadKeyId,
    /// Two keys share an id.
    DuplicateKeyId(KeyId),
    /// No key has the id asked for.
    NoSuchKey(KeyId),
    /// The primary key cannot be retired; promote another key first.
    RetirePrimary(KeyId),
    /// A keyring needs at least one key, and its primary must be one of them.
    NoPrimary,
    /// The operating system's random source failed.
    Random,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::TooLong { length, max } => {
                write!(f, "ticket too long: {length} bytes, the cap is {max}")
            }
            Error::Malformed(m) => write!(f, "malformed ticket: {m}"),
            Error::UnsupportedVersion { version } => {
                write!(f, "unsupported ticket format version {version}")
            }
            Error::UnknownKey { key_id } => write!(f, "unknown key id {key_id}"),
            Error::AuthenticationFailed => f.write_str("ticket authentication failed"),
            Error::Expired { expired_at, now } => {
                let ago = (*now - *expired_at).whole_seconds();
                write!(
                    f,
                    "expired at {} ({ago}s before {})",
                    crate::claims::rfc3339(*expired_at),
                    crate::claims::rfc3339(crate::claims::to_second(*now))
                )
            }
            Error::NotYetValid { issued_at, now } => {
                let ahead = (*issued_at - *now).whole_seconds();
                write!(
                    f,
                    "not valid yet: issued at {} ({ahead}s after {})",
                    crate::claims::rfc3339(*issued_at),
                    crate::claims::rfc3339(crate::claims::to_second(*now))
                )
            }
            Error::WrongKind { expected, found } => {
                write!(f, "wrong ticket kind: expected {expected}, found {found}")
            }
            Error::ServiceMismatch => f.write_str("service does not match"),
            Error::InvalidClaims(c) => write!(f, "invalid claims: {c}"),
            Error::Keyring(k) => write!(f, "keyring: {k}"),
        }
    }
}

impl fmt::Display for Malformed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Malformed::Empty => "empty input",
            Malformed::Prefix => "no TGT-, ST-, PT-, PGT-, OC-, AT- or RT- prefix",
            Malformed::Alphabet => "character outside 0-9 A-Z a-z in the body",
            Malformed::Length => "body length impossible for the encoding",
            Malformed::NonCanonical => "non-canonical body encoding",
            Malformed::Truncated => "too short for header, nonce and tag",
            Malformed::Payload => "payload is not valid claims",
        })
    }
}

impl fmt::Display for InvalidClaims {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            InvalidClaims::Principal => "principal is empty, too long or has control characters",
            InvalidClaims::Method => "method name is empty, too long or has control characters",
            InvalidClaims::TooManyMethods => "too many authentication methods",
            InvalidClaims::Service => "service is not an http or https URL as FORMAT.md §8 accepts",
            InvalidClaims::Url => {
                "callback URL is not an http or https URL as FORMAT.md §8 accepts, or is over 200 bytes"
            }
            InvalidClaims::ProxyChain => "proxy chain is empty or too long",
            InvalidClaims::Validity => "expiration must be after issue, within the format's range",
            InvalidClaims::Session => {
                "session id is not 16 hex digits, or the ticket would outlive its session"
            }
            InvalidClaims::Client => "client id is empty, over 64 bytes or not visible ASCII",
            InvalidClaims::Scope => "scope is not an RFC 6749 scope token, or over 16 are not standard",
            InvalidClaims::ClaimNames => {
                "claim name is empty, too long or has control characters, or over 16 are asked for"
            }
            InvalidClaims::Nonce => "nonce is empty, over 128 bytes or has control characters",
            InvalidClaims::CodeChallenge => {
                "code challenge is not S256: the unpadded base64url of 32 bytes"
            }
            InvalidClaims::Grant => "grant id is not 16 hex digits",
        })
    }
}

impl fmt::Display for KeyringError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyringError::Io(kind) => write!(f, "{kind}"),
            KeyringError::AlreadyExists => f.write_str("file exists, refusing to overwrite it"),
            KeyringError::NotOwner { owner, user } => write!(
                f,
                "owned by uid {owner}, not by this user (uid {user}); chown it to the user that loads it"
            ),
            KeyringError::InsecurePermissions { mode } => write!(
                f,
                "readable or writable by group or others (mode {mode:04o}); run chmod 600 on it"
            ),
            KeyringError::Syntax { line, column } => {
                write!(f, "not valid JSON at line {line} column {column}")
            }
            KeyringError::Format(what) => write!(f, "invalid key file: {what}"),
            KeyringError::BadSecret { key_id } => {
                write!(f, "secret of key {key_id} is not 32 bytes of base64")
            }
            KeyringError::BadKeyId => f.write_str("key id must be four hex digits"),
            KeyringError::DuplicateKeyId(id) => write!(f, "duplicate key id {id}"),
            KeyringError::NoSuchKey(id) => write!(f, "no key with id {id}"),
            KeyringError::RetirePrimary(id) => {
                write!(
                    f,
                    "key {id} is primary; promote another key before retiring it"
                )
            }
            KeyringError::NoPrimary => f.write_str("keyring has no primary key"),
            KeyringError::Random => f.write_str("the OS random source failed"),
        }
    }
}

impl std::error::Error for Error {}
impl std::error::Error for Malformed {}
impl std::error::Error for InvalidClaims {}
impl std::error::Error for KeyringError {}

impl From<Malformed> for Error {
    fn from(m: Malformed) -> Self {
        Error::Malformed(m)
    }
}

impl From<InvalidClaims> for Error {
    fn from(c: InvalidClaims) -> Self {
        Error::InvalidClaims(c)
    }
}

impl From<KeyringError> for Error {
    fn from(k: KeyringError) -> Self {
        Error::Keyring(k)
    }
}

/// The crate's result type.
pub type Result<T, E = Error> = core::result::Result<T, E>;
