//! Status codes (one per error kind of the library) and the per-thread last
//! error. Safe code only.

use std::cell::RefCell;
use std::ffi::CString;

use cas_ticket_codec::{Error, InvalidClaims, KeyringError, Kind, Malformed};
use time::OffsetDateTime;

/// What every fallible `ctc_*` function returns. The values are stable:
/// a code is never renumbered or reused.
///
/// Ranges: 0 success; 1–9 the rejections of `cas_ticket_codec::Error`;
/// 10–19 `Error::Malformed(_)`, one code per detail; 20–29
/// `Error::InvalidClaims(_)`, one per reason of the CAS claims; 30–49
/// `Error::Keyring(_)`, one per reason; 50 an `Error` variant newer than
/// this binding; 60–69 `Error::InvalidClaims(_)`, one per reason of the
/// OAuth 2.0 claims (codes and tokens); 90–99 the binding's own failures
/// (bad arguments, internal errors).
#[repr(i32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CtcStatus {
    /// Success.
    Ok = 0,
    /// `Error::TooLong`: the ticket (or the one encode would produce) is over
    /// its kind's cap (256 characters; 384 for a code, the cap of any text
    /// before its prefix is read). `CtcErrorDetail` gives the length and the
    /// cap the library applied.
    TooLong = 1,
    /// `Error::UnsupportedVersion`: a format version this build cannot read.
    UnsupportedVersion = 2,
    /// `Error::UnknownKey`: sealed under a key id the keyring does not hold.
    UnknownKey = 3,
    /// `Error::AuthenticationFailed`: forged, tampered with or relabelled.
    AuthenticationFailed = 4,
    /// `Error::Expired`: authentic, but past its expiration instant (plus the leeway).
    Expired = 5,
    /// `Error::WrongKind`: another kind than the one asked for.
    WrongKind = 6,
    /// `Error::ServiceMismatch`: issued for another service, or not an ST/PT.
    ServiceMismatch = 7,
    /// `Error::NotYetValid`: authentic, but issued later than the validation
    /// instant by more than the leeway and a second.
    NotYetValid = 8,
    /// `Malformed::Empty`: the input is empty.
    MalformedEmpty = 10,
    /// `Malformed::Prefix`: no `TGT-`, `ST-`, `PT-`, `PGT-`, `OC-`, `AT-` or `RT-` prefix.
    MalformedPrefix = 11,
    /// `Malformed::Alphabet`: a character outside `0-9 A-Z a-z` in the body.
    MalformedAlphabet = 12,
    /// `Malformed::Length`: a body length no canonical encoding has.
    MalformedLength = 13,
    /// `Malformed::NonCanonical`: not the canonical spelling of any bytes.
    MalformedNonCanonical = 14,
    /// `Malformed::Truncated`: too short for header, nonce and tag.
    MalformedTruncated = 15,
    /// `Malformed::Payload`: the authenticated payload is not valid claims.
    MalformedPayload = 16,
    /// A `Malformed` detail newer than this binding.
    MalformedOther = 19,
    /// `InvalidClaims::Principal`.
    InvalidPrincipal = 20,
    /// `InvalidClaims::Method`.
    InvalidMethod = 21,
    /// `InvalidClaims::TooManyMethods`.
    InvalidTooManyMethods = 22,
    /// `InvalidClaims::Service`.
    InvalidService = 23,
    /// `InvalidClaims::Url` (a proxy or callback URL).
    InvalidUrl = 24,
    /// `InvalidClaims::ProxyChain`.
    InvalidProxyChain = 25,
    /// `InvalidClaims::Validity` (lifetime not positive, instant out of range).
    InvalidValidity = 26,
    /// `InvalidClaims::Session`.
    InvalidSession = 27,
    /// An `InvalidClaims` reason newer than this binding.
    InvalidClaimsOther = 29,
    /// `KeyringError::Io`: the key file cannot be read (missing, unreadable).
    KeyringIo = 30,
    /// `KeyringError::AlreadyExists`.
    KeyringAlreadyExists = 31,
    /// `KeyringError::NotOwner`: the key file belongs to another user.
    KeyringNotOwner = 32,
    /// `KeyringError::InsecurePermissions`: group or others can access the key file.
    KeyringInsecurePermissions = 33,
    /// `KeyringError::Syntax`: the key file is not JSON.
    KeyringSyntax = 34,
    /// `KeyringError::Format`: the key file's structure is wrong.
    KeyringFormat = 35,
    /// `KeyringError::BadSecret`.
    KeyringBadSecret = 36,
    /// `KeyringError::BadKeyId`.
    KeyringBadKeyId = 37,
    /// `KeyringError::DuplicateKeyId`.
    KeyringDuplicateKeyId = 38,
    /// `KeyringError::NoSuchKey`.
    KeyringNoSuchKey = 39,
    /// `KeyringError::RetirePrimary`.
    KeyringRetirePrimary = 40,
    /// `KeyringError::NoPrimary`.
    KeyringNoPrimary = 41,
    /// `KeyringError::Random`: the OS random source failed.
    KeyringRandom = 42,
    /// A `KeyringError` newer than this binding.
    KeyringOther = 49,
    /// An `Error` variant newer than this binding.
    OtherError = 50,
    /// `InvalidClaims::Client`: an OAuth client id that is empty, over 64
    /// bytes or not visible ASCII.
    InvalidClient = 60,
    /// `InvalidClaims::Scope`: a scope that is not an RFC 6749 scope token
    /// (or not separated by single spaces), or over 16 that are not standard.
    InvalidScope = 61,
    /// `InvalidClaims::ClaimNames`: a claim name of the OIDC claims request
    /// that is empty, over 64 bytes or has control characters, or over 16.
    InvalidClaimNames = 62,
    /// `InvalidClaims::Nonce`: an OIDC nonce that is empty, over 128 bytes or
    /// has control characters.
    InvalidNonce = 63,
    /// `InvalidClaims::CodeChallenge`: a PKCE challenge that is not the
    /// unpadded base64url of 32 bytes (S256).
    InvalidCodeChallenge = 64,
    /// `InvalidClaims::Grant`: a grant id that is not 16 hex digits.
    InvalidGrant = 65,
    /// A required pointer argument is NULL.
    NullArgument = 90,
    /// An argument is out of its domain: an unknown kind, text that is not
    /// UTF-8, a field that does not apply to the kind, an instant out of range.
    InvalidArgument = 91,
    /// A bug: the library panicked (the panic was caught at the boundary).
    Internal = 99,
}

/// Ticket kinds, as `ctc_encode` and `ctc_decode` number them.
#[repr(i32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CtcKind {
    /// In `ctc_decode`: accept any kind.
    Any = 0,
    /// Ticket-granting ticket (`TGT-`).
    Tgt = 1,
    /// Service ticket (`ST-`).
    St = 2,
    /// Proxy ticket (`PT-`).
    Pt = 3,
    /// Proxy-granting ticket (`PGT-`).
    Pgt = 4,
    /// OAuth 2.0 authorization code (`OC-`).
    Oc = 5,
    /// OAuth 2.0 access token (`AT-`).
    At = 6,
    /// OAuth 2.0 refresh token (`RT-`).
    Rt = 7,
}

/// The C number of a kind.
pub(crate) fn kind_number(kind: Kind) -> i32 {
    (match kind {
        Kind::Tgt => CtcKind::Tgt,
        Kind::St => CtcKind::St,
        Kind::Pt => CtcKind::Pt,
        Kind::Pgt => CtcKind::Pgt,
        Kind::Code => CtcKind::Oc,
        Kind::AccessToken => CtcKind::At,
        Kind::RefreshToken => CtcKind::Rt,
    }) as i32
}

/// The kind of a C number: `Ok(None)` for `CTC_KIND_ANY`.
pub(crate) fn kind_of(number: i32) -> Result<Option<Kind>, Failure> {
    match number {
        0 => Ok(None),
        1 => Ok(Some(Kind::Tgt)),
        2 => Ok(Some(Kind::St)),
        3 => Ok(Some(Kind::Pt)),
        4 => Ok(Some(Kind::Pgt)),
        5 => Ok(Some(Kind::Code)),
        6 => Ok(Some(Kind::AccessToken)),
        7 => Ok(Some(Kind::RefreshToken)),
        _ => Err(Failure::invalid("kind is not one of CTC_KIND_*")),
    }
}

/// A failure of one call, before it becomes the thread's last error.
#[derive(Debug)]
pub(crate) enum Failure {
    /// The library said no.
    Library(Error),
    /// A NULL or invalid argument; the message names the argument, never its value.
    Argument(CtcStatus, &'static str),
    /// Something that cannot happen did.
    Internal(&'static str),
}

impl Failure {
    pub(crate) fn null(what: &'static str) -> Self {
        Failure::Argument(CtcStatus::NullArgument, what)
    }

    pub(crate) fn invalid(what: &'static str) -> Self {
        Failure::Argument(CtcStatus::InvalidArgument, what)
    }
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Failure::Library(e)
    }
}

impl From<InvalidClaims> for Failure {
    fn from(e: InvalidClaims) -> Self {
        Failure::Library(Error::InvalidClaims(e))
    }
}

impl From<KeyringError> for Failure {
    fn from(e: KeyringError) -> Self {
        Failure::Library(Error::Keyring(e))
    }
}

/// The code of a library error.
pub fn status_of(error: &Error) -> CtcStatus {
    use CtcStatus as S;
    match error {
        Error::TooLong { .. } => S::TooLong,
        Error::UnsupportedVersion { .. } => S::UnsupportedVersion,
        Error::UnknownKey { .. } => S::UnknownKey,
        Error::AuthenticationFailed => S::AuthenticationFailed,
        Error::Expired { .. } => S::Expired,
        Error::WrongKind { .. } => S::WrongKind,
        Error::ServiceMismatch => S::ServiceMismatch,
        Error::NotYetValid { .. } => S::NotYetValid,
        Error::Malformed(m) => match m {
            Malformed::Empty => S::MalformedEmpty,
            Malformed::Prefix => S::MalformedPrefix,
            Malformed::Alphabet => S::MalformedAlphabet,
            Malformed::Length => S::MalformedLength,
            Malformed::NonCanonical => S::MalformedNonCanonical,
            Malformed::Truncated => S::MalformedTruncated,
            Malformed::Payload => S::MalformedPayload,
            _ => S::MalformedOther,
        },
        Error::InvalidClaims(c) => match c {
            InvalidClaims::Principal => S::InvalidPrincipal,
            InvalidClaims::Method => S::InvalidMethod,
            InvalidClaims::TooManyMethods => S::InvalidTooManyMethods,
            InvalidClaims::Service => S::InvalidService,
            InvalidClaims::Url => S::InvalidUrl,
            InvalidClaims::ProxyChain => S::InvalidProxyChain,
            InvalidClaims::Validity => S::InvalidValidity,
            InvalidClaims::Session => S::InvalidSession,
            InvalidClaims::Client => S::InvalidClient,
            InvalidClaims::Scope => S::InvalidScope,
            InvalidClaims::ClaimNames => S::InvalidClaimNames,
            InvalidClaims::Nonce => S::InvalidNonce,
            InvalidClaims::CodeChallenge => S::InvalidCodeChallenge,
            InvalidClaims::Grant => S::InvalidGrant,
            _ => S::InvalidClaimsOther,
        },
        Error::Keyring(k) => match k {
            KeyringError::Io(_) => S::KeyringIo,
            KeyringError::AlreadyExists => S::KeyringAlreadyExists,
            KeyringError::NotOwner { .. } => S::KeyringNotOwner,
            KeyringError::InsecurePermissions { .. } => S::KeyringInsecurePermissions,
            KeyringError::Syntax { .. } => S::KeyringSyntax,
            KeyringError::Format(_) => S::KeyringFormat,
            KeyringError::BadSecret { .. } => S::KeyringBadSecret,
            KeyringError::BadKeyId => S::KeyringBadKeyId,
            KeyringError::DuplicateKeyId(_) => S::KeyringDuplicateKeyId,
            KeyringError::NoSuchKey(_) => S::KeyringNoSuchKey,
            KeyringError::RetirePrimary(_) => S::KeyringRetirePrimary,
            KeyringError::NoPrimary => S::KeyringNoPrimary,
            KeyringError::Random => S::KeyringRandom,
            _ => S::KeyringOther,
        },
        _ => S::OtherError,
    }
}

/// The numbers a rejection carries, for callers that act on them (an
/// expired ticket's instant, the kinds of a wrong-kind ticket). Fields that
/// do not apply to the error are 0 (`key_id`: -1).
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CtcErrorDetail {
    /// The status of the failed call (`CTC_STATUS_OK` when there was none).
    pub status: i32,
    /// `CTC_STATUS_EXPIRED`: the expiration instant, Unix seconds.
    pub expired_at: i64,
    /// `CTC_STATUS_EXPIRED` and `CTC_STATUS_NOT_YET_VALID`: the validation
    /// instant, Unix seconds.
    pub now: i64,
    /// `CTC_STATUS_WRONG_KIND`: the kind asked for (`CtcKind`).
    pub expected_kind: i32,
    /// `CTC_STATUS_WRONG_KIND`: the kind of the ticket (`CtcKind`).
    pub found_kind: i32,
    /// `CTC_STATUS_UNKNOWN_KEY`, key-file errors naming a key: the key id
    /// (0–65535, printed as four hex digits), else -1.
    pub key_id: i32,
    /// `CTC_STATUS_UNSUPPORTED_VERSION`: the version byte.
    pub version: i32,
    /// `CTC_STATUS_TOO_LONG`: the length, in characters (bytes of UTF-8).
    pub length: i64,
    /// `CTC_STATUS_TOO_LONG`: the cap the library applied: 256 for a ticket
    /// or token, 384 for a code or for any text before its prefix is read.
    pub max: i64,
    /// `CTC_STATUS_NOT_YET_VALID`: the instant the ticket says it was
    /// issued, Unix seconds.
    pub issued_at: i64,
}

impl CtcErrorDetail {
    pub(crate) const NONE: CtcErrorDetail = CtcErrorDetail {
        status: CtcStatus::Ok as i32,
        expired_at: 0,
        now: 0,
        expected_kind: 0,
        found_kind: 0,
        key_id: -1,
        version: 0,
        length: 0,
        max: 0,
        issued_at: 0,
    };
}

/// The last failure of a thread: its code, message and numbers.
pub(crate) struct LastError {
    pub(crate) status: CtcStatus,
    pub(crate) message: CString,
    pub(crate) detail: CtcErrorDetail,
}

fn unix(t: OffsetDateTime) -> i64 {
    t.unix_timestamp()
}

fn key_number(id: cas_ticket_codec::KeyId) -> i32 {
    i32::from(u16::from_be_bytes(id.to_bytes()))
}

impl LastError {
    pub(crate) fn from_failure(failure: &Failure) -> LastError {
        let (status, message) = match failure {
            Failure::Library(e) => (status_of(e), e.to_string()),
            Failure::Argument(status, what) => (*status, (*what).to_owned()),
            Failure::Internal(what) => (CtcStatus::Internal, format!("internal error: {what}")),
        };
        let mut detail = CtcErrorDetail {
            status: status as i32,
            ..CtcErrorDetail::NONE
        };
        if let Failure::Library(e) = failure {
            match e {
                Error::TooLong { length, max } => {
                    detail.length = i64::try_from(*length).unwrap_or(i64::MAX);
                    detail.max = i64::try_from(*max).unwrap_or(i64::MAX);
                }
                Error::UnsupportedVersion { version } => detail.version = i32::from(*version),
                Error::UnknownKey { key_id } => detail.key_id = key_number(*key_id),
                Error::Expired { expired_at, now } => {
                    detail.expired_at = unix(*expired_at);
                    detail.now = unix(*now);
                }
                Error::NotYetValid { issued_at, now } => {
                    detail.issued_at = unix(*issued_at);
                    detail.now = unix(*now);
                }
                Error::WrongKind { expected, found } => {
                    detail.expected_kind = kind_number(*expected);
                    detail.found_kind = kind_number(*found);
                }
                Error::Keyring(
                    KeyringError::BadSecret { key_id }
                    | KeyringError::DuplicateKeyId(key_id)
                    | KeyringError::NoSuchKey(key_id)
                    | KeyringError::RetirePrimary(key_id),
                ) => detail.key_id = key_number(*key_id),
                _ => {}
            }
        }
        // Library messages never hold a NUL; if one ever did, it is cut there.
        let message = CString::new(message).unwrap_or_else(|e| {
            let end = e.nul_position();
            let mut bytes = e.into_vec();
            bytes.truncate(end);
            CString::new(bytes).unwrap_or_default()
        });
        LastError {
            status,
            message,
            detail,
        }
    }

    pub(crate) fn panic() -> LastError {
        LastError {
            status: CtcStatus::Internal,
            message: CString::from(c"internal error: panic caught at the C boundary"),
            detail: CtcErrorDetail {
                status: CtcStatus::Internal as i32,
                ..CtcErrorDetail::NONE
            },
        }
    }
}

thread_local! {
    static LAST_ERROR: RefCell<Option<LastError>> = const { RefCell::new(None) };
}

/// Replaces the calling thread's last error (`None` clears it). Never
/// panics: during thread teardown the record is dropped instead.
pub(crate) fn set_last_error(error: Option<LastError>) {
    let _ = LAST_ERROR.try_with(|cell| {
        if let Ok(mut slot) = cell.try_borrow_mut() {
            *slot = error;
        }
    });
}

/// Reads the calling thread's last error.
pub(crate) fn with_last_error<T>(read: impl FnOnce(Option<&LastError>) -> T) -> Option<T> {
    LAST_ERROR
        .try_with(|cell| cell.try_borrow().ok().map(|slot| read(slot.as_ref())))
        .ok()
        .flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_invalid_claims_reason_has_its_own_code() {
        use InvalidClaims as I;
        let reasons = [
            (I::Principal, CtcStatus::InvalidPrincipal),
            (I::Method, CtcStatus::InvalidMethod),
            (I::TooManyMethods, CtcStatus::InvalidTooManyMethods),
            (I::Service, CtcStatus::InvalidService),
            (I::Url, CtcStatus::InvalidUrl),
            (I::ProxyChain, CtcStatus::InvalidProxyChain),
            (I::Validity, CtcStatus::InvalidValidity),
            (I::Session, CtcStatus::InvalidSession),
            (I::Client, CtcStatus::InvalidClient),
            (I::Scope, CtcStatus::InvalidScope),
            (I::ClaimNames, CtcStatus::InvalidClaimNames),
            (I::Nonce, CtcStatus::InvalidNonce),
            (I::CodeChallenge, CtcStatus::InvalidCodeChallenge),
            (I::Grant, CtcStatus::InvalidGrant),
        ];
        let mut codes = Vec::new();
        for (reason, want) in reasons {
            let got = status_of(&Error::InvalidClaims(reason));
            assert_eq!(got, want, "{reason:?}");
            codes.push(got as i32);
        }
        // The CAS reasons in 20–27, the OAuth ones in 60–65.
        assert_eq!(
            codes,
            [20, 21, 22, 23, 24, 25, 26, 27, 60, 61, 62, 63, 64, 65]
        );
    }

    #[test]
    fn every_kind_has_a_number_and_back() {
        let numbers: Vec<i32> = Kind::ALL.into_iter().map(kind_number).collect();
        assert_eq!(numbers, [1, 2, 3, 4, 5, 6, 7]);
        for (number, kind) in numbers.into_iter().zip(Kind::ALL) {
            assert!(matches!(kind_of(number), Ok(Some(k)) if k == kind));
        }
        assert!(matches!(kind_of(0), Ok(None)));
        assert!(kind_of(8).is_err() && kind_of(-1).is_err());
    }

    #[test]
    fn too_long_reports_the_cap_the_library_applied() {
        for max in [256, 384] {
            let failure = Failure::Library(Error::TooLong { length: 400, max });
            let last = LastError::from_failure(&failure);
            assert_eq!(last.status, CtcStatus::TooLong);
            assert_eq!((last.detail.length, last.detail.max), (400, max as i64));
        }
    }
}
