//! Stateless CAS tickets: the ticket carries its own state, sealed with a key
//! every node of a CAS pool holds, so any node validates any node's ticket
//! with no shared ticket registry.
//!
//! Claims are packed as positional CBOR, each text field squeezed on its own
//! with a static phrase code (so that no field a third party chooses is ever
//! compressed against a secret one), sealed with an AEAD under a per-kind
//! subkey, and written
//! in the CAS ticket alphabet (`A-Z a-z 0-9 -`) as `ST-…`, `TGT-…`, `PT-…`
//! or `PGT-…`, at most 256 characters. OAuth 2.0 authorization codes, access
//! and refresh tokens (`OC-`, `AT-`, `RT-`, [`oauth`]) are sealed the same
//! way, codes up to 384 characters. `FORMAT.md` is the wire format.
//!
//! ```
//! use cas_ticket_codec::{Alg, Authentication, Claims, Codec, Error, Grant, Keyring, Service};
//! use time::{Duration, OffsetDateTime};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let keyring = Keyring::generate(Alg::Aes256Gcm)?;
//! let codec = Codec::new(&keyring);
//!
//! let now = OffsetDateTime::now_utc();
//! let auth = Authentication::new("jdoe@example.edu", now)?.with_method("Password")?;
//! let grant = Grant::Service {
//!     service: Service::new("https://app.example.edu/login?target=%2Fhome")?,
//!     fresh_login: true,
//! };
//! let claims = Claims::with_lifetime(auth, grant, now, Duration::seconds(10))?;
//!
//! let ticket = codec.encode(&claims)?;
//! assert!(ticket.starts_with("ST-") && ticket.len() <= 130);
//!
//! // Any node holding the keyring validates it, and checks the service.
//! let validated = codec.decode(&ticket, now)?;
//! assert_eq!(validated.claims(), &claims);
//! validated.require_service("https://APP.example.edu/login?target=%2Fhome")?;
//! assert_eq!(
//!     validated.require_service("https://evil.example.net/"),
//!     Err(Error::ServiceMismatch)
//! );
//!
//! // Ten seconds later it is expired.
//! let later = now + Duration::seconds(10);
//! assert!(matches!(codec.decode(&ticket, later), Err(Error::Expired { .. })));
//! # Ok(())
//! # }
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::indexing_slicing,
        clippy::panic
    )
)]

pub mod base62;
mod claims;
mod codec;
mod compact;
pub mod duration;
mod error;
mod format;
mod keyring;
pub mod oauth;
pub mod phrase;
#[cfg(feature = "store")]
mod record;
#[cfg(feature = "redis")]
mod redis_store;
mod seal;
mod service;
#[doc(hidden)]
pub mod stages;
#[cfg(feature = "store")]
pub mod store;
#[cfg(test)]
mod vectors;

/// The README's Rust examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

pub use claims::{
    Authentication, Claims, Grant, Kind, MAX_CODE_CHARS, MAX_METHOD_BYTES, MAX_METHODS,
    MAX_PRINCIPAL_BYTES, MAX_PROXIES, ProxyChain, SESSION_ID_BYTES, Session, SessionId, rfc3339,
};
pub use codec::{Codec, NOT_BEFORE_ALLOWANCE, Ticket};
pub use compact::SECRET_QUANTUM;
pub use error::{Error, InvalidClaims, KeyringError, Malformed, Result};
pub use format::{MAX_TICKET_CHARS, UntrustedHeader, VERSION, inspect, new_pgt_iou};
pub use keyring::{
    Alg, Key, KeyId, Keyring, Permissions, SecretKey, check_private_file, write_private_file,
};
#[cfg(feature = "redis")]
pub use redis_store::{PolicyUnknown, RedisStore};
pub use service::{
    CallbackUrl, KEPT_PREFIX_CHARS, MAX_CALLBACK_URL_BYTES, MAX_FULL_SERVICE_CHARS,
    MAX_SERVICE_URL_BYTES, MAX_STORED_SERVICE_CHARS, Service, is_normalized, normalize,
};
