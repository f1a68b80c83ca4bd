//! Python bindings (PyO3) for `cas-ticket-codec`: the `cas_ticket_codec._native`
//! extension module, re-exported by the `cas_ticket_codec` package
//! (`python/cas_ticket_codec/`, typed by `_native.pyi`).
//!
//! Arguments are converted to Rust values with the GIL held; the work
//! (building and checking the claims, sealing, opening, key file I/O) runs
//! with the GIL released (`Python::detach`, PyO3's name for `allow_threads`
//! since 0.26), so threads sharing one `Codec` decode in parallel.
//!
//! Every rejection of the library raises its own exception class, all
//! subclasses of `TicketError`, with `code` (the C ABI's stable status code,
//! the same numbers in every binding) and the numbers the error carries.
//!
//! For nodes sharing a store with Rust nodes (FORMAT.md §13), `Codec` also
//! gives a decoded ticket's replay and principal ids, a principal's ids,
//! seals and opens single-logout records, and opens a ticket whatever its
//! expiry (`open_expired`); the module-level `split_records` splits a
//! store's field into its records as a Rust node does.
#![forbid(unsafe_code)]
#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::hash::{Hash, Hasher};
use std::path::PathBuf;

use cas_ticket_codec::oauth::{
    Authorization, ClaimNames, ClaimsRequest, ClientId, CodeChallenge, GrantId, Nonce, Scopes,
};
use cas_ticket_codec::store::{
    LogoutRecord as RustRecord, MAX_RECORDS_PER_SESSION, SealedRecord, split_records as split,
};
use cas_ticket_codec::{
    Alg, Authentication, CallbackUrl, Claims, Error, Grant, InvalidClaims as ClaimsProblem, KeyId,
    KeyringError as KeyringProblem, Kind, Malformed, ProxyChain, Service, Session, SessionId,
    Ticket as RustTicket, inspect,
};
use pyo3::create_exception;
use pyo3::exceptions::{PyException, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBytes, PyDateTime, PyDelta, PyDeltaAccess, PyTuple, PyTzInfo, PyTzInfoAccess};
use time::{Duration, OffsetDateTime, UtcDateTime};

create_exception!(
    cas_ticket_codec,
    TicketError,
    PyException,
    "Base class of every rejection: one subclass per error kind of the library."
);
create_exception!(
    cas_ticket_codec,
    TicketTooLong,
    TicketError,
    "The ticket (or the one encode would produce) is over its kind's cap (256 characters, 384 for a code); `max` is the cap applied."
);
create_exception!(
    cas_ticket_codec,
    MalformedTicket,
    TicketError,
    "The text is not a ticket of this format; `detail` names the rule it broke."
);
create_exception!(
    cas_ticket_codec,
    UnsupportedVersion,
    TicketError,
    "The ticket names a format version this build cannot read."
);
create_exception!(
    cas_ticket_codec,
    UnknownKey,
    TicketError,
    "The ticket was sealed under a key id the keyring does not hold."
);
create_exception!(
    cas_ticket_codec,
    AuthenticationFailed,
    TicketError,
    "The ticket did not authenticate (forged, tampered with, relabelled); says nothing more."
);
create_exception!(
    cas_ticket_codec,
    TicketExpired,
    TicketError,
    "The ticket is authentic but its expiration instant (plus the leeway) has passed."
);
create_exception!(
    cas_ticket_codec,
    NotYetValid,
    TicketError,
    "The ticket is authentic but was issued later than the validation instant (beyond the leeway)."
);
create_exception!(
    cas_ticket_codec,
    WrongKind,
    TicketError,
    "The ticket is of another kind than the one asked for."
);
create_exception!(
    cas_ticket_codec,
    ServiceMismatch,
    TicketError,
    "The ticket was issued for another service (or is not an ST or PT)."
);
create_exception!(
    cas_ticket_codec,
    InvalidClaims,
    TicketError,
    "Claims that cannot be encoded; `reason` names the field."
);
create_exception!(
    cas_ticket_codec,
    KeyringError,
    TicketError,
    "The key file cannot be used; `reason` says why."
);

/// The `Kind` enum members (defined in Python, `cas_ticket_codec._kind`),
/// in wire order: TGT, ST, PT, PGT, OC, AT, RT.
static KINDS: PyOnceLock<[Py<PyAny>; 7]> = PyOnceLock::new();

fn kind_object(py: Python<'_>, kind: Kind) -> PyResult<Py<PyAny>> {
    let kinds = KINDS.get_or_try_init(py, || -> PyResult<_> {
        let class = py.import("cas_ticket_codec._kind")?.getattr("Kind")?;
        let member = |name: &str| -> PyResult<Py<PyAny>> { Ok(class.getattr(name)?.unbind()) };
        Ok([
            member("TGT")?,
            member("ST")?,
            member("PT")?,
            member("PGT")?,
            member("OC")?,
            member("AT")?,
            member("RT")?,
        ])
    })?;
    let [tgt, st, pt, pgt, oc, at, rt] = kinds;
    Ok(match kind {
        Kind::Tgt => tgt,
        Kind::St => st,
        Kind::Pt => pt,
        Kind::Pgt => pgt,
        Kind::Code => oc,
        Kind::AccessToken => at,
        Kind::RefreshToken => rt,
    }
    .clone_ref(py))
}

/// The `LogoutRecord` named tuple (defined in Python, `cas_ticket_codec._record`).
static LOGOUT_RECORD: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

fn logout_record(py: Python<'_>, record: RustRecord) -> PyResult<Py<PyAny>> {
    let class = LOGOUT_RECORD.get_or_try_init(py, || -> PyResult<_> {
        Ok(py
            .import("cas_ticket_codec._record")?
            .getattr("LogoutRecord")?
            .unbind())
    })?;
    class.call1(py, (record.ticket, record.service))
}

/// A session id argument: 16 hex digits (`InvalidClaims`, reason
/// `"session"`, otherwise, as in `encode`).
fn session_id(hex: &str) -> Result<SessionId, Failure> {
    Ok(hex.parse()?)
}

/// A `Kind` member or its prefix (`"ST"`); `Kind` is a `str` enum.
fn kind_of(value: &Bound<'_, PyAny>) -> PyResult<Kind> {
    let text: String = value.extract().map_err(|_| {
        PyTypeError::new_err(
            "kind must be a Kind or one of 'TGT', 'ST', 'PT', 'PGT', 'OC', 'AT', 'RT'",
        )
    })?;
    Kind::from_prefix(&text).ok_or_else(|| {
        PyValueError::new_err("kind must be one of 'TGT', 'ST', 'PT', 'PGT', 'OC', 'AT', 'RT'")
    })
}

/// An aware datetime as an instant (any tzinfo; naive datetimes are refused:
/// they name no instant).
fn instant(value: &Bound<'_, PyAny>, what: &str) -> PyResult<OffsetDateTime> {
    let py = value.py();
    let dt = value
        .cast::<PyDateTime>()
        .map_err(|_| PyTypeError::new_err(format!("{what} must be a datetime")))?;
    let utc = PyTzInfo::utc(py)?;
    if let Some(tz) = dt.get_tzinfo()
        && tz.is(&*utc)
    {
        // Already in UTC (the usual case): read the fields as they are.
        let utc: UtcDateTime = dt.extract()?;
        return Ok(utc.into());
    }
    if dt.call_method0("utcoffset")?.is_none() {
        return Err(PyValueError::new_err(format!(
            "{what} must be timezone-aware (a naive datetime names no instant)"
        )));
    }
    let utc: UtcDateTime = dt.call_method1("astimezone", (utc,))?.extract()?;
    Ok(utc.into())
}

/// An instant as an aware datetime in UTC (`tzinfo=datetime.timezone.utc`).
fn datetime(py: Python<'_>, t: OffsetDateTime) -> PyResult<Py<PyAny>> {
    Ok(UtcDateTime::from(t).into_pyobject(py)?.into_any().unbind())
}

/// Seconds as `int` or `timedelta` (whole seconds; a fraction is dropped).
fn seconds(value: &Bound<'_, PyAny>, what: &str) -> PyResult<i64> {
    if let Ok(delta) = value.cast::<PyDelta>() {
        return Ok(i64::from(delta.get_days()) * 86_400 + i64::from(delta.get_seconds()));
    }
    value.extract::<i64>().map_err(|_| {
        PyTypeError::new_err(format!("{what} must be an int (seconds) or a timedelta"))
    })
}

/// A failure computed without the GIL, raised once it is back.
enum Failure {
    Library(Error),
    Value(&'static str),
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Failure::Library(e)
    }
}

impl From<ClaimsProblem> for Failure {
    fn from(e: ClaimsProblem) -> Self {
        Failure::Library(Error::InvalidClaims(e))
    }
}

/// The C ABI's status code of a library error (bindings/c/src/status.rs).
fn code(error: &Error) -> i32 {
    match error {
        Error::TooLong { .. } => 1,
        Error::UnsupportedVersion { .. } => 2,
        Error::UnknownKey { .. } => 3,
        Error::AuthenticationFailed => 4,
        Error::Expired { .. } => 5,
        Error::WrongKind { .. } => 6,
        Error::ServiceMismatch => 7,
        Error::NotYetValid { .. } => 8,
        Error::Malformed(m) => 10 + malformed_index(*m).map_or(9, |(i, _)| i),
        Error::InvalidClaims(c) => invalid_index(*c).map_or(29, |(code, _)| code),
        Error::Keyring(k) => 30 + keyring_index(k).map_or(19, |(i, _)| i),
        _ => 50,
    }
}

fn malformed_index(m: Malformed) -> Option<(i32, &'static str)> {
    Some(match m {
        Malformed::Empty => (0, "empty"),
        Malformed::Prefix => (1, "prefix"),
        Malformed::Alphabet => (2, "alphabet"),
        Malformed::Length => (3, "length"),
        Malformed::NonCanonical => (4, "non_canonical"),
        Malformed::Truncated => (5, "truncated"),
        Malformed::Payload => (6, "payload"),
        _ => return None,
    })
}

/// The code and name of an `InvalidClaims` reason: 20–27 for the CAS
/// claims, 60–65 for the OAuth ones (29, `"other"`, for a newer one).
fn invalid_index(c: ClaimsProblem) -> Option<(i32, &'static str)> {
    Some(match c {
        ClaimsProblem::Principal => (20, "principal"),
        ClaimsProblem::Method => (21, "method"),
        ClaimsProblem::TooManyMethods => (22, "too_many_methods"),
        ClaimsProblem::Service => (23, "service"),
        ClaimsProblem::Url => (24, "url"),
        ClaimsProblem::ProxyChain => (25, "proxy_chain"),
        ClaimsProblem::Validity => (26, "validity"),
        ClaimsProblem::Session => (27, "session"),
        ClaimsProblem::Client => (60, "client"),
        ClaimsProblem::Scope => (61, "scope"),
        ClaimsProblem::ClaimNames => (62, "claim_names"),
        ClaimsProblem::Nonce => (63, "nonce"),
        ClaimsProblem::CodeChallenge => (64, "code_challenge"),
        ClaimsProblem::Grant => (65, "grant"),
        _ => return None,
    })
}

fn keyring_index(k: &KeyringProblem) -> Option<(i32, &'static str)> {
    Some(match k {
        KeyringProblem::Io(_) => (0, "io"),
        KeyringProblem::AlreadyExists => (1, "already_exists"),
        KeyringProblem::NotOwner { .. } => (2, "not_owner"),
        KeyringProblem::InsecurePermissions { .. } => (3, "insecure_permissions"),
        KeyringProblem::Syntax { .. } => (4, "syntax"),
        KeyringProblem::Format(_) => (5, "format"),
        KeyringProblem::BadSecret { .. } => (6, "bad_secret"),
        KeyringProblem::BadKeyId => (7, "bad_key_id"),
        KeyringProblem::DuplicateKeyId(_) => (8, "duplicate_key_id"),
        KeyringProblem::NoSuchKey(_) => (9, "no_such_key"),
        KeyringProblem::RetirePrimary(_) => (10, "retire_primary"),
        KeyringProblem::NoPrimary => (11, "no_primary"),
        KeyringProblem::Random => (12, "random"),
        _ => return None,
    })
}

/// The exception of a failure, with its attributes set.
fn raise(py: Python<'_>, failure: Failure) -> PyErr {
    let error = match failure {
        Failure::Value(what) => return PyValueError::new_err(what),
        Failure::Library(e) => e,
    };
    let message = error.to_string();
    let err = match &error {
        Error::TooLong { .. } => TicketTooLong::new_err(message),
        Error::Malformed(_) => MalformedTicket::new_err(message),
        Error::UnsupportedVersion { .. } => UnsupportedVersion::new_err(message),
        Error::UnknownKey { .. } => UnknownKey::new_err(message),
        Error::AuthenticationFailed => AuthenticationFailed::new_err(message),
        Error::Expired { .. } => TicketExpired::new_err(message),
        Error::WrongKind { .. } => WrongKind::new_err(message),
        Error::ServiceMismatch => ServiceMismatch::new_err(message),
        Error::NotYetValid { .. } => NotYetValid::new_err(message),
        Error::InvalidClaims(_) => InvalidClaims::new_err(message),
        Error::Keyring(_) => KeyringError::new_err(message),
        _ => TicketError::new_err(message),
    };
    if let Err(e) = set_attributes(py, &err, &error) {
        return e;
    }
    err
}

fn set_attributes(py: Python<'_>, err: &PyErr, error: &Error) -> PyResult<()> {
    let value = err.value(py);
    value.setattr("code", code(error))?;
    match error {
        Error::TooLong { length, max } => {
            value.setattr("length", *length)?;
            value.setattr("max", *max)?;
        }
        Error::Malformed(m) => {
            value.setattr("detail", malformed_index(*m).map_or("other", |(_, n)| n))?;
        }
        Error::UnsupportedVersion { version } => value.setattr("version", *version)?,
        Error::UnknownKey { key_id } => value.setattr("key_id", key_id.to_string())?,
        Error::Expired { expired_at, now } => {
            value.setattr("expired_at", datetime(py, *expired_at)?)?;
            value.setattr("now", datetime(py, *now)?)?;
        }
        Error::NotYetValid { issued_at, now } => {
            value.setattr("issued_at", datetime(py, *issued_at)?)?;
            value.setattr("now", datetime(py, *now)?)?;
        }
        Error::WrongKind { expected, found } => {
            value.setattr("expected", kind_object(py, *expected)?)?;
            value.setattr("found", kind_object(py, *found)?)?;
        }
        Error::InvalidClaims(c) => {
            value.setattr("reason", invalid_index(*c).map_or("other", |(_, n)| n))?;
        }
        Error::Keyring(k) => {
            value.setattr("reason", keyring_index(k).map_or("other", |(_, n)| n))?;
        }
        _ => {}
    }
    Ok(())
}

/// Encodes and decodes tickets with the keys of one key file. Immutable and
/// thread-safe: share one per process.
#[pyclass(frozen, module = "cas_ticket_codec")]
struct Codec {
    codec: cas_ticket_codec::Codec,
    /// The algorithm of each key, for the tickets `open_expired` opens.
    algs: Vec<(KeyId, Alg)>,
}

/// The claims of one `encode` call, as Rust values (built without the GIL).
struct Request {
    kind: Kind,
    principal: String,
    authenticated_at: Option<OffsetDateTime>,
    methods: Vec<String>,
    remember_me: bool,
    service: Option<String>,
    fresh_login: bool,
    proxies: Vec<String>,
    pgt_url: Option<String>,
    upstream: Vec<String>,
    issued_at: Option<OffsetDateTime>,
    lifetime: Option<i64>,
    session_id: Option<String>,
    session_ends_at: Option<OffsetDateTime>,
    client_id: Option<String>,
    scope: Option<String>,
    grant_id: Option<String>,
    id_token_claims: Vec<String>,
    userinfo_claims: Vec<String>,
    redirect_uri: Option<String>,
    nonce: Option<String>,
    code_challenge: Option<String>,
}

impl Request {
    fn claims(self) -> Result<Claims, Failure> {
        let now = OffsetDateTime::now_utc();
        let kind = self.kind;
        let unused = |set: bool, what: &'static str| -> Result<(), Failure> {
            if set {
                Err(Failure::Value(what))
            } else {
                Ok(())
            }
        };
        let mut auth = Authentication::new(self.principal, self.authenticated_at.unwrap_or(now))?
            .with_remember_me(self.remember_me);
        for method in self.methods {
            auth = auth.with_method(method)?;
        }
        if !matches!(kind, Kind::St | Kind::Pt) {
            unused(self.service.is_some(), "service applies to ST and PT only")?;
        }
        if kind != Kind::St {
            unused(self.fresh_login, "fresh_login applies to an ST only")?;
        }
        if kind != Kind::Pt {
            unused(!self.proxies.is_empty(), "proxies applies to a PT only")?;
        }
        if kind != Kind::Pgt {
            unused(self.pgt_url.is_some(), "pgt_url applies to a PGT only")?;
            unused(!self.upstream.is_empty(), "upstream applies to a PGT only")?;
        }
        if !kind.is_oauth() {
            unused(
                self.client_id.is_some(),
                "client_id applies to OC, AT and RT only",
            )?;
            unused(self.scope.is_some(), "scope applies to OC, AT and RT only")?;
            unused(
                self.grant_id.is_some(),
                "grant_id applies to OC, AT and RT only",
            )?;
            unused(
                !self.id_token_claims.is_empty(),
                "id_token_claims applies to OC, AT and RT only",
            )?;
            unused(
                !self.userinfo_claims.is_empty(),
                "userinfo_claims applies to OC, AT and RT only",
            )?;
        }
        if kind != Kind::Code {
            unused(
                self.redirect_uri.is_some(),
                "redirect_uri applies to an OC only",
            )?;
            unused(self.nonce.is_some(), "nonce applies to an OC only")?;
            unused(
                self.code_challenge.is_some(),
                "code_challenge applies to an OC only",
            )?;
        }
        let service = |url: Option<String>| -> Result<Service, Failure> {
            let url = url.ok_or(Failure::Value("an ST or PT needs a service"))?;
            Ok(Service::new(&url)?)
        };
        let urls = |urls: Vec<String>| -> Result<Vec<CallbackUrl>, Failure> {
            urls.iter()
                .map(|u| CallbackUrl::new(u).map_err(Failure::from))
                .collect()
        };
        let authorization = || -> Result<Authorization, Failure> {
            let client = self
                .client_id
                .as_deref()
                .ok_or(Failure::Value("an OC, AT or RT needs a client_id"))?;
            let scopes = Scopes::parse(self.scope.as_deref().unwrap_or(""))?;
            let grant = match self.grant_id.as_deref() {
                None => GrantId::generate()?,
                Some(hex) => hex.parse()?,
            };
            let claims = ClaimsRequest {
                id_token: ClaimNames::new(self.id_token_claims.iter().map(String::as_str))?,
                userinfo: ClaimNames::new(self.userinfo_claims.iter().map(String::as_str))?,
            };
            Ok(Authorization::new(ClientId::new(client)?, scopes, grant).with_claims(claims))
        };
        let grant = match kind {
            Kind::Tgt => Grant::TicketGranting,
            Kind::St => Grant::Service {
                service: service(self.service)?,
                fresh_login: self.fresh_login,
            },
            Kind::Pt => Grant::Proxy {
                service: service(self.service)?,
                proxies: ProxyChain::new(urls(self.proxies)?)?,
            },
            Kind::Pgt => {
                let callback = self
                    .pgt_url
                    .ok_or(Failure::Value("a PGT needs a pgt_url"))?;
                Grant::ProxyGranting {
                    callback: CallbackUrl::new(&callback)?,
                    upstream: urls(self.upstream)?,
                }
            }
            Kind::Code => {
                let authorization = authorization()?;
                let redirect_uri = self
                    .redirect_uri
                    .as_deref()
                    .ok_or(Failure::Value("an OC needs a redirect_uri"))?;
                Grant::Code {
                    authorization,
                    redirect_uri: Service::new(redirect_uri)?,
                    nonce: self.nonce.map(Nonce::new).transpose()?,
                    challenge: self
                        .code_challenge
                        .as_deref()
                        .map(CodeChallenge::from_s256)
                        .transpose()?,
                }
            }
            Kind::AccessToken => Grant::AccessToken {
                authorization: authorization()?,
            },
            Kind::RefreshToken => Grant::RefreshToken {
                authorization: authorization()?,
            },
        };
        let lifetime = Duration::seconds(self.lifetime.unwrap_or(match kind {
            Kind::St | Kind::Pt => 10,
            Kind::Code => 30,
            Kind::AccessToken => 3600,
            Kind::Tgt | Kind::RefreshToken => 8 * 3600,
            Kind::Pgt => 2 * 3600,
        }));
        let mut claims =
            Claims::with_lifetime(auth, grant, self.issued_at.unwrap_or(now), lifetime)?;
        match self.session_id {
            None => unused(
                self.session_ends_at.is_some(),
                "session_ends_at needs session_id",
            )?,
            Some(id) => {
                let id = match id.as_str() {
                    "new" => SessionId::generate()?,
                    hex => hex.parse()?,
                };
                let ends_at = match (kind, self.session_ends_at) {
                    (_, Some(end)) => end,
                    (Kind::Tgt, None) => claims.expires_at(),
                    (_, None) => {
                        return Err(Failure::Value(
                            "a session_id needs session_ends_at (except on a TGT)",
                        ));
                    }
                };
                claims = claims.with_session(Session::new(id, ends_at))?;
            }
        }
        Ok(claims)
    }
}

impl Codec {
    /// `id` of a ticket `decode` validated, computed with the GIL released:
    /// the body of `replay_id` and `principal_id`.
    fn ticket_id<'py>(
        &self,
        py: Python<'py>,
        ticket: PyRef<'py, Ticket>,
        id: fn(&cas_ticket_codec::Codec, &RustTicket) -> Result<[u8; 16], Error>,
    ) -> PyResult<Bound<'py, PyBytes>> {
        let decoded = ticket.decoded().map_err(|f| raise(py, f))?;
        let id = py
            .detach(|| id(&self.codec, decoded))
            .map_err(|e| raise(py, e.into()))?;
        Ok(PyBytes::new(py, &id))
    }
}

#[pymethods]
impl Codec {
    /// Loads the key file at `path`: it must belong to the running user and
    /// be closed to group and others (mode 0600).
    #[staticmethod]
    fn load(py: Python<'_>, path: PathBuf) -> PyResult<Codec> {
        // Reading the file and deriving every key's subkeys: without the GIL.
        py.detach(|| {
            cas_ticket_codec::Keyring::load(&path).map(|k| Codec {
                codec: cas_ticket_codec::Codec::new(&k),
                algs: k.keys().iter().map(|key| (key.id(), key.alg())).collect(),
            })
        })
        .map_err(|e| raise(py, Failure::Library(Error::Keyring(e))))
    }

    /// Seals claims into a ticket under the primary key.
    #[pyo3(signature = (
        kind, principal, *, service=None, methods=None, remember_me=false,
        fresh_login=false, proxies=None, pgt_url=None, upstream=None,
        authenticated_at=None, issued_at=None, lifetime=None, session_id=None,
        session_ends_at=None, client_id=None, scope=None, grant_id=None,
        id_token_claims=None, userinfo_claims=None, redirect_uri=None, nonce=None,
        code_challenge=None
    ))]
    #[allow(clippy::too_many_arguments)]
    fn encode(
        &self,
        py: Python<'_>,
        kind: &Bound<'_, PyAny>,
        principal: String,
        service: Option<String>,
        methods: Option<Vec<String>>,
        remember_me: bool,
        fresh_login: bool,
        proxies: Option<Vec<String>>,
        pgt_url: Option<String>,
        upstream: Option<Vec<String>>,
        authenticated_at: Option<&Bound<'_, PyAny>>,
        issued_at: Option<&Bound<'_, PyAny>>,
        lifetime: Option<&Bound<'_, PyAny>>,
        session_id: Option<String>,
        session_ends_at: Option<&Bound<'_, PyAny>>,
        client_id: Option<String>,
        scope: Option<String>,
        grant_id: Option<String>,
        id_token_claims: Option<Vec<String>>,
        userinfo_claims: Option<Vec<String>>,
        redirect_uri: Option<String>,
        nonce: Option<String>,
        code_challenge: Option<String>,
    ) -> PyResult<String> {
        let request = Request {
            kind: kind_of(kind)?,
            principal,
            authenticated_at: authenticated_at
                .map(|v| instant(v, "authenticated_at"))
                .transpose()?,
            methods: methods.unwrap_or_default(),
            remember_me,
            service,
            fresh_login,
            proxies: proxies.unwrap_or_default(),
            pgt_url,
            upstream: upstream.unwrap_or_default(),
            issued_at: issued_at.map(|v| instant(v, "issued_at")).transpose()?,
            lifetime: lifetime.map(|v| seconds(v, "lifetime")).transpose()?,
            session_id,
            session_ends_at: session_ends_at
                .map(|v| instant(v, "session_ends_at"))
                .transpose()?,
            client_id,
            scope,
            grant_id,
            id_token_claims: id_token_claims.unwrap_or_default(),
            userinfo_claims: userinfo_claims.unwrap_or_default(),
            redirect_uri,
            nonce,
            code_challenge,
        };
        let codec = &self.codec;
        py.detach(|| -> Result<String, Failure> { Ok(codec.encode(&request.claims()?)?) })
            .map_err(|f| raise(py, f))
    }

    /// Validates a ticket: its kind (when `kind` is given, before any
    /// cryptographic work), format, key and seal, payload, expiry as of
    /// `now` (default: the current time) accepting `leeway` past it, then,
    /// when `service` is given, that an ST or PT was issued for it.
    #[pyo3(
        signature = (ticket, service=None, *, now=None, kind=None, leeway=None),
        text_signature = "(self, /, ticket, service=None, *, now=None, kind=None, leeway=0)"
    )]
    fn decode(
        &self,
        py: Python<'_>,
        ticket: String,
        service: Option<String>,
        now: Option<&Bound<'_, PyAny>>,
        kind: Option<&Bound<'_, PyAny>>,
        leeway: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Ticket> {
        let now = now.map(|v| instant(v, "now")).transpose()?;
        let kind = kind.map(kind_of).transpose()?;
        // 0 (the documented default) and None both mean no leeway.
        let leeway = leeway
            .map(|v| seconds(v, "leeway"))
            .transpose()?
            .unwrap_or(0);
        let codec = &self.codec;
        let decoded = py.detach(|| -> Result<RustTicket, Failure> {
            let now = now.unwrap_or_else(OffsetDateTime::now_utc);
            let ticket = codec.decode_with_leeway(&ticket, kind, now, Duration::seconds(leeway))?;
            if let Some(service) = &service {
                ticket.require_service(service)?;
            }
            Ok(ticket)
        });
        match decoded {
            Ok(ticket) => Ok(Ticket {
                key_id: ticket.key_id().to_string(),
                alg: ticket.alg().name(),
                source: Source::Decoded(ticket),
            }),
            Err(f) => Err(raise(py, f)),
        }
    }

    /// Opens an authentic ticket whatever its expiry: every check of
    /// `decode` (format, key and seal, payload) but the expiry. What a node
    /// needs to read back a ticket from a single-logout record; never a
    /// validation.
    fn open_expired(&self, py: Python<'_>, ticket: String) -> PyResult<Ticket> {
        let (codec, algs) = (&self.codec, &self.algs);
        py.detach(|| -> Result<Ticket, Failure> {
            let claims = codec.open_expired(&ticket)?;
            // It opened, so its header is authentic and its key one of ours.
            let key_id = inspect(&ticket)?.key_id();
            let alg = algs
                .iter()
                .find(|(id, _)| *id == key_id)
                .map(|(_, alg)| *alg)
                .ok_or(Error::UnknownKey { key_id })?;
            Ok(Ticket {
                key_id: key_id.to_string(),
                alg: alg.name(),
                source: Source::Opened(claims),
            })
        })
        .map_err(|f| raise(py, f))
    }

    /// The replay id of a ticket `decode` validated (16 bytes): the name of
    /// a spent ticket in a store shared with other nodes (FORMAT.md §13).
    fn replay_id<'py>(
        &self,
        py: Python<'py>,
        ticket: PyRef<'py, Ticket>,
    ) -> PyResult<Bound<'py, PyBytes>> {
        self.ticket_id(py, ticket, cas_ticket_codec::Codec::replay_id)
    }

    /// The id of the principal of a ticket `decode` validated, under the
    /// key that sealed it (16 bytes, FORMAT.md §13).
    fn principal_id<'py>(
        &self,
        py: Python<'py>,
        ticket: PyRef<'py, Ticket>,
    ) -> PyResult<Bound<'py, PyBytes>> {
        self.ticket_id(py, ticket, cas_ticket_codec::Codec::principal_id)
    }

    /// The ids of `principal` (exactly as tickets carry it), one under each
    /// key of the key file, in its order: what `ticketctl sessions end`
    /// writes to end every session of a principal.
    fn principal_ids<'py>(&self, py: Python<'py>, principal: String) -> Vec<Bound<'py, PyBytes>> {
        let ids = py.detach(|| self.codec.principal_ids(&principal));
        ids.iter().map(|id| PyBytes::new(py, id)).collect()
    }

    /// Seals a single-logout record for the session `session_id` (16 hex
    /// digits): the bytes a store keeps (FORMAT.md §13), under the primary
    /// key with a fresh nonce. It holds `ticket`, the text of a validated ST
    /// or PT, and `service`, the service URL, when the ticket's service is
    /// shortened.
    #[pyo3(signature = (session_id, ticket, service=None))]
    fn seal_record<'py>(
        &self,
        py: Python<'py>,
        session_id: String,
        ticket: String,
        service: Option<String>,
    ) -> PyResult<Bound<'py, PyBytes>> {
        let codec = &self.codec;
        let sealed = py
            .detach(|| -> Result<SealedRecord, Failure> {
                let session = self::session_id(&session_id)?;
                Ok(codec.seal_record(session, &RustRecord { ticket, service })?)
            })
            .map_err(|f| raise(py, f))?;
        Ok(PyBytes::new(py, sealed.as_bytes()))
    }

    /// Opens a single-logout record read from a store, for the session
    /// `session_id`. A store is not trusted: check that the ticket opens
    /// (`open_expired`), is one of the session's, and that the URL, if any,
    /// is its service.
    fn open_record(
        &self,
        py: Python<'_>,
        session_id: String,
        record: &[u8],
    ) -> PyResult<Py<PyAny>> {
        let record = SealedRecord::from_bytes(record.to_vec());
        let codec = &self.codec;
        let opened = py
            .detach(|| -> Result<RustRecord, Failure> {
                let session = self::session_id(&session_id)?;
                Ok(codec.open_record(session, &record)?)
            })
            .map_err(|f| raise(py, f))?;
        logout_record(py, opened)
    }
}

/// An authentic, unexpired ticket (or, from `open_expired`, an authentic
/// one whatever its expiry). Immutable; instants are aware datetimes in UTC;
/// fields that do not apply to the kind are None, False or ().
#[pyclass(frozen, module = "cas_ticket_codec")]
struct Ticket {
    source: Source,
    key_id: String,
    alg: &'static str,
}

/// Where a `Ticket` comes from.
enum Source {
    /// `decode` validated it: its store ids can be computed.
    Decoded(RustTicket),
    /// `open_expired` opened it: the claims alone.
    Opened(Claims),
}

impl Ticket {
    fn claims(&self) -> &Claims {
        match &self.source {
            Source::Decoded(ticket) => ticket.claims(),
            Source::Opened(claims) => claims,
        }
    }

    /// The authorization of a code or token.
    fn authorization(&self) -> Option<&Authorization> {
        self.claims().authorization()
    }

    /// The names `pick` takes from a code's or token's claims request, in
    /// byte order; none for a CAS ticket.
    fn claim_names<'py>(
        &self,
        py: Python<'py>,
        pick: fn(&ClaimsRequest) -> &ClaimNames,
    ) -> PyResult<Bound<'py, PyTuple>> {
        let names: Vec<&str> = self.authorization().map_or_else(Vec::new, |a| {
            pick(a.claims())
                .as_slice()
                .iter()
                .map(String::as_str)
                .collect()
        });
        strings(py, &names)
    }

    /// The PKCE challenge of a code.
    fn challenge(&self) -> Option<&CodeChallenge> {
        match self.claims().grant() {
            Grant::Code { challenge, .. } => challenge.as_ref(),
            _ => None,
        }
    }

    /// The ticket `decode` validated, which store ids are computed from.
    fn decoded(&self) -> Result<&RustTicket, Failure> {
        match &self.source {
            Source::Decoded(ticket) => Ok(ticket),
            Source::Opened(_) => Err(Failure::Value(
                "the ticket comes from open_expired: store ids are of tickets decode validated",
            )),
        }
    }
}

fn strings<'py>(py: Python<'py>, items: &[&str]) -> PyResult<Bound<'py, PyTuple>> {
    PyTuple::new(py, items)
}

#[pymethods]
impl Ticket {
    /// The ticket kind.
    #[getter]
    fn kind(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        kind_object(py, self.claims().kind())
    }

    /// The principal id.
    #[getter]
    fn principal(&self) -> &str {
        self.claims().principal()
    }

    /// When the principal authenticated.
    #[getter]
    fn authenticated_at(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        datetime(py, self.claims().authentication().authenticated_at())
    }

    /// The authentication method names, in order.
    #[getter]
    fn methods<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        let methods: Vec<&str> = self
            .claims()
            .authentication()
            .methods()
            .iter()
            .map(String::as_str)
            .collect();
        strings(py, &methods)
    }

    /// Whether remember-me was asked for.
    #[getter]
    fn remember_me(&self) -> bool {
        self.claims().authentication().remember_me()
    }

    /// When the ticket was issued.
    #[getter]
    fn issued_at(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        datetime(py, self.claims().issued_at())
    }

    /// The first instant at which the ticket is no longer valid.
    #[getter]
    fn expires_at(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        datetime(py, self.claims().expires_at())
    }

    /// ST and PT: the service in its stored form.
    #[getter]
    fn service(&self) -> Option<&str> {
        self.claims().service().map(Service::as_str)
    }

    /// ST: issued from a fresh login.
    #[getter]
    fn fresh_login(&self) -> bool {
        matches!(
            self.claims().grant(),
            Grant::Service {
                fresh_login: true,
                ..
            }
        )
    }

    /// PT: the proxy chain, most recent first.
    #[getter]
    fn proxies<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        let urls: Vec<&str> = match self.claims().grant() {
            Grant::Proxy { proxies, .. } => {
                proxies.as_slice().iter().map(CallbackUrl::as_str).collect()
            }
            _ => Vec::new(),
        };
        strings(py, &urls)
    }

    /// PGT: the callback URL it was issued to.
    #[getter]
    fn pgt_url(&self) -> Option<&str> {
        match self.claims().grant() {
            Grant::ProxyGranting { callback, .. } => Some(callback.as_str()),
            _ => None,
        }
    }

    /// PGT: the proxies upstream of `pgt_url`, most recent first.
    #[getter]
    fn upstream<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        let urls: Vec<&str> = match self.claims().grant() {
            Grant::ProxyGranting { upstream, .. } => {
                upstream.iter().map(CallbackUrl::as_str).collect()
            }
            _ => Vec::new(),
        };
        strings(py, &urls)
    }

    /// The SSO session id (16 lowercase hex digits), or None.
    #[getter]
    fn session_id(&self) -> Option<String> {
        self.claims().session().map(|s| s.id().to_string())
    }

    /// When the SSO session ends, or None.
    #[getter]
    fn session_ends_at(&self, py: Python<'_>) -> PyResult<Option<Py<PyAny>>> {
        self.claims()
            .session()
            .map(|s| datetime(py, s.ends_at()))
            .transpose()
    }

    /// OC, AT and RT: the OAuth client id.
    #[getter]
    fn client_id(&self) -> Option<&str> {
        self.authorization().map(|a| a.client().as_str())
    }

    /// OC, AT and RT: the granted scopes as the `scope` parameter writes
    /// them (the standard OIDC scopes first, then the others in byte
    /// order), `""` for none.
    #[getter]
    fn scope(&self) -> Option<String> {
        self.authorization().map(|a| a.scopes().to_string())
    }

    /// OC, AT and RT: the claim names the OIDC claims request asks for in
    /// the ID token, in byte order.
    #[getter]
    fn id_token_claims<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        self.claim_names(py, |request| &request.id_token)
    }

    /// OC, AT and RT: the claim names it asks for at the userinfo endpoint.
    #[getter]
    fn userinfo_claims<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        self.claim_names(py, |request| &request.userinfo)
    }

    /// OC, AT and RT: the grant (token family) id, 16 lowercase hex digits.
    #[getter]
    fn grant_id(&self) -> Option<String> {
        self.authorization().map(|a| a.grant().to_string())
    }

    /// OC: the redirect URI in its stored form.
    #[getter]
    fn redirect_uri(&self) -> Option<&str> {
        match self.claims().grant() {
            Grant::Code { redirect_uri, .. } => Some(redirect_uri.as_str()),
            _ => None,
        }
    }

    /// OC: the OIDC nonce, or None.
    #[getter]
    fn nonce(&self) -> Option<&str> {
        match self.claims().grant() {
            Grant::Code { nonce, .. } => nonce.as_ref().map(Nonce::as_str),
            _ => None,
        }
    }

    /// OC: the PKCE S256 challenge (unpadded base64url), or None.
    #[getter]
    fn code_challenge(&self) -> Option<String> {
        self.challenge().map(|c| c.to_string())
    }

    /// Whether `verifier`, the `code_verifier` of a token request, meets
    /// this code's PKCE challenge (RFC 7636 §4.6), compared in constant
    /// time. False for a code without a challenge (a verifier sent for it
    /// is refused) and for any other kind.
    fn verify_pkce(&self, verifier: &str) -> bool {
        self.challenge().is_some_and(|c| c.verify(verifier))
    }

    /// Whether `given`, the `redirect_uri` of a token request, is identical
    /// (RFC 6749 §4.1.3) to this code's: already normalized (nothing is
    /// normalized here) and stored as `redirect_uri`. False for any other
    /// kind.
    fn redirect_uri_is_exactly(&self, given: &str) -> bool {
        match self.claims().grant() {
            Grant::Code { redirect_uri, .. } => redirect_uri.is_exactly(given),
            _ => false,
        }
    }

    /// The id of the key that sealed it (four hex digits).
    #[getter]
    fn key_id(&self) -> &str {
        &self.key_id
    }

    /// The algorithm that sealed it.
    #[getter]
    fn alg(&self) -> &'static str {
        self.alg
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let text = |s: &str| -> PyResult<String> {
            Ok(pyo3::types::PyString::new(py, s).repr()?.to_string())
        };
        let service = match self.claims().service() {
            Some(s) => text(s.as_str())?,
            None => "None".to_owned(),
        };
        Ok(format!(
            "Ticket(kind=Kind.{}, principal={}, expires_at='{}', service={}, key_id='{}')",
            self.claims().kind(),
            text(self.claims().principal())?,
            cas_ticket_codec::rfc3339(self.claims().expires_at()),
            service,
            self.key_id,
        ))
    }

    fn __eq__(&self, other: PyRef<'_, Self>) -> bool {
        self.claims() == other.claims() && self.key_id == other.key_id
    }

    fn __hash__(&self) -> u64 {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        self.claims().kind().hash(&mut h);
        self.claims().principal().hash(&mut h);
        self.claims().issued_at().hash(&mut h);
        self.claims().expires_at().hash(&mut h);
        self.claims().service().map(Service::as_str).hash(&mut h);
        self.key_id.hash(&mut h);
        h.finish()
    }
}

/// The sealed records of a store's field of single-logout records
/// (FORMAT.md §13), oldest first, exactly as a Rust node splits it: at most
/// `MAX_RECORDS_PER_SESSION` (64) distinct ones, up to the first whose
/// length does not add up. No key is needed: open each with
/// `Codec.open_record`.
#[pyfunction]
fn split_records<'py>(py: Python<'py>, field: &[u8]) -> Vec<Bound<'py, PyBytes>> {
    split(field, MAX_RECORDS_PER_SESSION)
        .iter()
        .map(|record| PyBytes::new(py, record.as_bytes()))
        .collect()
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add_class::<Codec>()?;
    m.add_class::<Ticket>()?;
    m.add_function(wrap_pyfunction!(split_records, m)?)?;
    m.add("TicketError", py.get_type::<TicketError>())?;
    m.add("TicketTooLong", py.get_type::<TicketTooLong>())?;
    m.add("MalformedTicket", py.get_type::<MalformedTicket>())?;
    m.add("UnsupportedVersion", py.get_type::<UnsupportedVersion>())?;
    m.add("UnknownKey", py.get_type::<UnknownKey>())?;
    m.add(
        "AuthenticationFailed",
        py.get_type::<AuthenticationFailed>(),
    )?;
    m.add("TicketExpired", py.get_type::<TicketExpired>())?;
    m.add("NotYetValid", py.get_type::<NotYetValid>())?;
    m.add("WrongKind", py.get_type::<WrongKind>())?;
    m.add("ServiceMismatch", py.get_type::<ServiceMismatch>())?;
    m.add("InvalidClaims", py.get_type::<InvalidClaims>())?;
    m.add("KeyringError", py.get_type::<KeyringError>())?;
    Ok(())
}
