//! Opt-in pool-wide state (feature `store`): one-time service and proxy
//! tickets, sessions that end at logout on every node, and the services a
//! session reached (for single logout).
//!
//! Stateless tickets cannot keep two promises of CAS: a ticket "MUST only be
//! valid for one ticket validation attempt" (protocol 3.0 §3.1.1, §3.2.1),
//! and logout cannot revoke copies of the TGT. A store keeps both by holding
//! only what was *spent* or *revoked*, each entry for exactly as long as the
//! ticket or session it guards, so it needs no cleaner and never holds more
//! than (validations per second × ticket lifetime) + (logouts per second ×
//! session lifetime) entries.
//!
//! A validation is one call, [`Store::spend`], one round trip to a shared
//! store: it marks the ticket spent unless it already was, says whether its
//! session has ended, and records the ticket for single logout.
//!
//! A single-logout record is the service ticket, sealed under a record
//! subkey and bound to its session ([`SealedRecord`], FORMAT.md §13): whoever
//! reads the store learns no ticket, and whoever writes it can forge no
//! record. The node that logs the session out opens each record, then the
//! ticket in it with [`Codec::open_expired`](crate::Codec::open_expired), to
//! learn the service.
//!
//! An administrator ends every session of a principal with
//! [`Store::end_principal`]: one key per principal (and master key), which
//! every validation reads in the same round trip.
//!
//! [`MemoryStore`] keeps this in the process, for a single node;
//! `RedisStore` (feature `redis`) in Redis, for a pool.

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use time::OffsetDateTime;

use crate::claims::{Session, SessionId};
use crate::codec::{Codec, Ticket};
use crate::oauth::{Authorization, GrantId};
use crate::record::Frames;
pub use crate::record::{
    LogoutRecord, MAX_SEALED_RECORD_BYTES, MIN_SEALED_RECORD_BYTES, SealedRecord, split_records,
};

/// Single-logout records kept per session: the most recent ones. A session
/// that validates more tickets (a user reloading, a script) cannot grow the
/// store past this; the oldest services then miss the logout request.
pub const MAX_RECORDS_PER_SESSION: usize = 64;

/// The most a session's field of records may hold: a field larger than this
/// was not written by a node, and is dropped unread.
pub const MAX_RECORDS_FIELD_BYTES: usize = MAX_RECORDS_PER_SESSION * MAX_SEALED_RECORD_BYTES;

/// Single-logout records are grouped by when their session ends, in windows
/// of this many seconds (FORMAT.md §13): a window's records are one hash
/// that expires as a whole, once its last session has ended.
pub const RECORD_WINDOW_SECS: i64 = 600;

/// A future a store returns: boxed, so that `dyn Store` works.
pub type StoreFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, StoreError>> + Send + 'a>>;

/// What the store says of a validation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Verdict {
    /// The first validation of this ticket, in a live session (or none).
    First,
    /// The ticket was validated before, on this node or another.
    Replayed,
    /// The ticket's session is over.
    Ended(Ended),
}

/// Why a session is over before its end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Ended {
    /// The user logged out.
    Logout,
    /// An administrator ended every session of the principal authenticated
    /// before an instant ([`Store::end_principal`]).
    Principal,
    /// The OAuth grant the code or token belongs to was revoked
    /// ([`Store::end_grant`]): its code or a refresh token was used twice,
    /// or a token of it was revoked.
    Grant,
}

/// What a validation did to the store: its verdict, and the size of a
/// field of records it dropped as not written by a node (larger than
/// [`MAX_RECORDS_FIELD_BYTES`], or not a sequence of records), to be logged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Spend {
    /// What the store says of the ticket.
    pub verdict: Verdict,
    /// The bytes of a field dropped, if one was.
    pub dropped: Option<u64>,
}

/// What a logout reads of a session's records: at most
/// [`MAX_RECORDS_PER_SESSION`] distinct sealed records, oldest first, and
/// the size of a field dropped unread (see [`Spend::dropped`]).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Records {
    /// The records, still sealed: open each with
    /// [`Codec::open_record`](crate::Codec::open_record).
    pub records: Vec<SealedRecord>,
    /// The bytes of a field dropped, if one was.
    pub dropped: Option<u64>,
}

/// The store could not answer. What to do then is the caller's policy
/// ([`FailurePolicy`]).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum StoreError {
    /// No answer within the store's timeout.
    Timeout,
    /// The store is unreachable or failed; the text says how (no secrets).
    Unavailable(String),
    /// The store is out of memory: an in-process store at its bound with
    /// nothing expired, or a Redis at `maxmemory` under `noeviction`, which
    /// refuses writes. Nothing can be spent or ended until memory frees.
    Full,
    /// A key of the store holds another type than the store writes:
    /// something else writes to it.
    WrongType,
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreError::Timeout => f.write_str("the ticket store did not answer in time"),
            StoreError::Unavailable(why) => write!(f, "the ticket store is unavailable: {why}"),
            StoreError::Full => f.write_str("the ticket store is full: it refuses writes"),
            StoreError::WrongType => f.write_str(
                "a key of the ticket store holds another type (does something else write to it?)",
            ),
        }
    }
}

impl std::error::Error for StoreError {}

/// What a node does when the store cannot answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum FailurePolicy {
    /// Refuse the validation (`INTERNAL_ERROR`): nothing is ever accepted
    /// twice and no ended session is honoured, at the price of availability.
    #[default]
    Closed,
    /// Accept as a stateless node would: a replay or an ended session may
    /// pass while the store is down.
    Open,
}

/// A ticket as a store sees it: its replay id, its session, and how long the
/// store must remember it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketUse {
    replay_id: [u8; 16],
    session: Option<Session>,
    /// Its principal's id under the key that sealed it.
    principal_id: [u8; 16],
    /// When its principal authenticated, in Unix milliseconds.
    authenticated_ms: i64,
    /// The OAuth grant of a code or token.
    grant: Option<GrantId>,
    /// Until the ticket expires, leeway included.
    keep_for: Duration,
    /// Until its session's record window closes, leeway included: how long
    /// the single-logout record must last.
    records_for: Duration,
}

impl TicketUse {
    /// The use of `ticket`, decoded by `codec`, validated at `now`: the
    /// marks last until the ticket's expiry plus the codec's leeway. Fails
    /// only if `codec` no longer holds the ticket's key
    /// ([`Error::UnknownKey`](crate::Error::UnknownKey)).
    pub fn new(codec: &Codec, ticket: &Ticket, now: OffsetDateTime) -> crate::Result<Self> {
        let leeway = codec.leeway();
        let claims = ticket.claims();
        let remaining = |until: OffsetDateTime| {
            let left = until + leeway - now;
            // At least a millisecond: a key without a lifetime would stay.
            Duration::try_from(left)
                .unwrap_or_default()
                .max(Duration::from_millis(1))
        };
        let session = claims.session().copied();
        Ok(TicketUse {
            replay_id: codec.replay_id(ticket)?,
            session,
            principal_id: codec.principal_id(ticket)?,
            authenticated_ms: unix_ms(claims.authentication().authenticated_at()),
            grant: claims.authorization().map(Authorization::grant),
            keep_for: remaining(claims.expires_at()),
            records_for: remaining(session.map_or(claims.expires_at(), |s| window_end(&s))),
        })
    }

    /// The ticket's replay id.
    pub fn replay_id(&self) -> [u8; 16] {
        self.replay_id
    }

    /// The ticket's session, if it has one.
    pub fn session(&self) -> Option<SessionId> {
        self.session.map(|s| s.id())
    }

    /// The ticket's session, whole: records are grouped by its end.
    #[cfg(feature = "redis")]
    pub(crate) fn session_claim(&self) -> Option<&Session> {
        self.session.as_ref()
    }

    /// The OAuth grant of a code or token.
    pub fn grant(&self) -> Option<GrantId> {
        self.grant
    }

    /// Its principal's id, under the key that sealed the ticket.
    pub fn principal_id(&self) -> [u8; 16] {
        self.principal_id
    }

    /// Whether an end of its principal's sessions at `ended_ms` (Unix
    /// milliseconds) ends this ticket's: it authenticated then or before.
    pub(crate) fn ended_by(&self, ended_ms: i64) -> bool {
        self.authenticated_ms <= ended_ms
    }

    /// How long the spent mark must last.
    pub fn keep_for(&self) -> Duration {
        self.keep_for
    }

    /// How long its single-logout record must last: until the record
    /// window of its session's end closes, plus the leeway.
    pub fn records_for(&self) -> Duration {
        self.records_for
    }
}

/// How long the `ended` mark of a logout of `session` at `now` lasts: the
/// session's remaining life plus `leeway`, in whole milliseconds rounded
/// down, and at least 1 ms (a logout after the session's end still leaves a
/// mark that expires by itself). FORMAT.md §13.
pub fn ended_lasting(session: &Session, leeway: time::Duration, now: OffsetDateTime) -> Duration {
    let left = session
        .ends_at()
        .saturating_add(leeway.max(time::Duration::ZERO))
        - now;
    let millis = u64::try_from(left.whole_milliseconds()).unwrap_or(0).max(1);
    Duration::from_millis(millis)
}

/// `t` in Unix milliseconds.
pub(crate) fn unix_ms(t: OffsetDateTime) -> i64 {
    i64::try_from(t.unix_timestamp_nanos().div_euclid(1_000_000)).unwrap_or(i64::MIN)
}

/// The end of the record window `session` ends in (FORMAT.md §13).
fn window_end(session: &Session) -> OffsetDateTime {
    window_of(session)
        .checked_add(1)
        .and_then(|w| w.checked_mul(RECORD_WINDOW_SECS))
        .and_then(|t| OffsetDateTime::from_unix_timestamp(t).ok())
        .unwrap_or(session.ends_at())
}

/// The record window `session` ends in: its end in Unix seconds, divided by
/// [`RECORD_WINDOW_SECS`], rounded down.
pub(crate) fn window_of(session: &Session) -> i64 {
    session
        .ends_at()
        .unix_timestamp()
        .div_euclid(RECORD_WINDOW_SECS)
}

/// Pool-wide ticket state: see the module docs.
pub trait Store: Send + Sync {
    /// At validation of an ST or PT, in one round trip: marks the ticket
    /// spent unless it was, tells whether its session is over, and keeps
    /// `record` (the ticket sealed for single logout) with its session.
    fn spend<'a>(
        &'a self,
        ticket: &'a TicketUse,
        record: Option<&'a SealedRecord>,
    ) -> StoreFuture<'a, Spend>;

    /// Whether the session of a TGT or PGT presented is over, in one round
    /// trip.
    fn ended<'a>(&'a self, ticket: &'a TicketUse) -> StoreFuture<'a, Option<Ended>>;

    /// Whether the store answers (a health check): one round trip.
    fn answers(&self) -> StoreFuture<'_, ()>;

    /// Ends `session` for `lasting` (until it would have ended anyway), and
    /// returns the records kept with it for single logout. They stay until
    /// their window ends: a logout whose answer was lost (a timeout) and is
    /// tried again still finds them; a service may then be told twice,
    /// which ends nothing more.
    fn end_session<'a>(
        &'a self,
        session: &'a Session,
        lasting: Duration,
    ) -> StoreFuture<'a, Records>;

    /// Ends, pool-wide, every session of the principal whose ids (one per
    /// master key: [`Codec::principal_ids`](crate::Codec::principal_ids))
    /// are `ids`, authenticated at `at` or before: every TGT, ST, PT and
    /// PGT of those sessions is refused from now on. Lasts `lasting`: the
    /// longest lifetime of a TGT, plus leeway. No session is tracked: one
    /// key per id holds the instant (FORMAT.md §13).
    fn end_principal<'a>(
        &'a self,
        ids: &'a [[u8; 16]],
        at: OffsetDateTime,
        lasting: Duration,
    ) -> StoreFuture<'a, ()>;

    /// Revokes, pool-wide, the OAuth grant `grant`: its code and every
    /// access and refresh token issued from it are refused from now on
    /// (RFC 6749 §4.1.2 on a code used twice, RFC 9700 §4.14.2 on a
    /// refresh token used again, RFC 7009 revocation). Lasts `lasting`:
    /// until the grant's session ends, plus leeway. One key (FORMAT.md §13).
    fn end_grant<'a>(&'a self, grant: GrantId, lasting: Duration) -> StoreFuture<'a, ()>;

    /// Counts one attempt at each of `subjects` (16-byte ids the caller
    /// derives: a digest of a user name, of an address…), each in the
    /// current fixed window of its duration as of `now`, in one round trip,
    /// and returns, for each, its count in that window (this attempt
    /// included) and in the window before, so that the caller can weigh a
    /// sliding window ([`AttemptCount::exceeds`]). A window's counter expires
    /// one window after the window ends (FORMAT.md §13). This is what
    /// throttles password guessing pool-wide.
    fn count_attempts<'a>(
        &'a self,
        subjects: &'a [Attempt],
        now: OffsetDateTime,
    ) -> StoreFuture<'a, Vec<AttemptCount>>;
}

/// One counter [`Store::count_attempts`] increments: a subject, and the
/// length of its windows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Attempt {
    /// What is counted, as an id the caller derives (never a name in clear).
    pub subject: [u8; 16],
    /// The counter's window: whole seconds, at least one.
    pub window: Duration,
}

impl Attempt {
    /// The window `now` falls in, and how long its counter lives: until one
    /// window after the window's end, so that it is read as the previous
    /// window's count throughout the next.
    pub fn counter_at(&self, now: OffsetDateTime) -> (i64, Duration) {
        let (index, left_ms) = self.window_ms_at(now);
        let lasting_ms = left_ms.saturating_add(self.length_ms());
        (
            i64::try_from(index).unwrap_or(i64::MAX),
            Duration::from_millis(u64::try_from(lasting_ms).unwrap_or(u64::MAX)),
        )
    }

    /// The window's length in milliseconds: at least a second.
    fn length_ms(&self) -> i128 {
        i128::try_from(self.window.as_millis())
            .unwrap_or(i128::MAX)
            .max(1000)
    }

    /// The window `now` falls in, and the milliseconds until it ends (at
    /// least 1, at most the window's length).
    fn window_ms_at(&self, now: OffsetDateTime) -> (i128, i128) {
        let length_ms = self.length_ms();
        let now_ms = now.unix_timestamp_nanos() / 1_000_000;
        let index = now_ms.div_euclid(length_ms);
        (index, (index + 1) * length_ms - now_ms)
    }
}

/// What [`Store::count_attempts`] returns for one [`Attempt`]: its count in
/// the current window, this attempt included, and in the window before.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AttemptCount {
    /// Attempts in the window `now` falls in, this one included.
    pub this_window: u64,
    /// Attempts in the window just before it.
    pub previous_window: u64,
}

impl AttemptCount {
    /// Whether this attempt is over `limit` attempts per `attempt`'s window,
    /// counted over the window that ends `now` (a sliding window): this
    /// window's attempts, plus the previous window's weighed by the part of
    /// it the sliding window still covers. A fixed window alone would let
    /// twice the limit through in a burst across a window's end (the limit
    /// just before it, the limit again just after).
    pub fn exceeds(&self, limit: u64, attempt: &Attempt, now: OffsetDateTime) -> bool {
        let length = attempt.length_ms();
        let (_, left) = attempt.window_ms_at(now);
        // this + previous × left / length > limit, in integers.
        i128::from(self.this_window) * length + i128::from(self.previous_window) * left
            > i128::from(limit) * length
    }

    /// How long from `now` until one more attempt at `attempt` would be
    /// within `limit`, if none is made meanwhile: within this window once
    /// the previous window's weight has fallen enough, else in the next,
    /// once this window's has. At least a millisecond; `None` when no wait
    /// is enough (a limit of 0).
    pub fn retry_after(
        &self,
        limit: u64,
        attempt: &Attempt,
        now: OffsetDateTime,
    ) -> Option<Duration> {
        let length = attempt.length_ms();
        let (_, left) = attempt.window_ms_at(now);
        let limit = i128::from(limit);
        let this = i128::from(self.this_window);
        let previous = i128::from(self.previous_window);
        // Within this window, at `left - wait` ms before its end, the next
        // attempt counts this + 1 + previous × (left - wait) / length.
        let room = limit - this - 1;
        let wait = if room >= 0 {
            // previous × remaining ≤ room × length.
            let remaining = if previous == 0 {
                left
            } else {
                (room * length / previous).min(left)
            };
            left - remaining
        } else if limit >= 1 {
            // In the next window, `into` ms after it starts: 1 + this ×
            // (length - into) / length ≤ limit.
            let remaining = ((limit - 1) * length / this.max(1)).min(length);
            left + (length - remaining)
        } else {
            return None;
        };
        Some(Duration::from_millis(
            u64::try_from(wait).unwrap_or(u64::MAX).max(1),
        ))
    }
}

/// The key of an attempt counter in the window `index` (FORMAT.md §13).
/// Every counter shares one Redis Cluster hash tag, so that the counters of
/// one login attempt are one round trip to one node (logins are few next
/// to validations: the slot is never hot).
pub(crate) fn attempts_key(attempt: &Attempt, index: i64) -> String {
    format!(
        "cas:{{attempts}}:{}:{}:{index}",
        hex(&attempt.subject),
        attempt.window.as_secs()
    )
}

/// The Redis Cluster hash tag of a session's keys: its id's first byte, in
/// hex. Redis Cluster keeps a key's `{tag}` on one node, so that a
/// validation touches one node in one round trip; 256 tags spread a pool's
/// sessions over the cluster's slots.
fn tag(session: SessionId) -> String {
    hex(session.to_bytes().get(..1).unwrap_or_default())
}

/// The key of a spent ticket (FORMAT.md §13).
pub(crate) fn spent_key(ticket: &TicketUse) -> String {
    let id = hex(&ticket.replay_id);
    match ticket.session {
        Some(session) => format!("cas:{{{}}}:spent:{id}", tag(session.id())),
        None => format!("cas:{{{id}}}:spent"),
    }
}

/// The key of an ended session.
pub(crate) fn ended_key(session: SessionId) -> String {
    format!("cas:{{{}}}:ended:{session}", tag(session))
}

/// The key of a principal whose sessions an administrator ended: its
/// principal id is its own hash tag, so principals spread over a cluster.
pub(crate) fn principal_key(id: &[u8; 16]) -> String {
    format!("cas:{{{}}}:ended-principal", hex(id))
}

/// The key of a revoked OAuth grant: its id, random, is its own hash tag.
pub(crate) fn grant_key(grant: GrantId) -> String {
    format!("cas:{{{grant}}}:ended-grant")
}

/// The key of the hash that holds the single-logout records of the sessions
/// that end in `session`'s record window.
#[cfg(any(feature = "redis", test))]
pub(crate) fn records_key(session: &Session) -> String {
    format!("cas:{{{}}}:slo:{}", tag(session.id()), window_of(session))
}

/// A session's field in its records hash: its id, in lowercase hex.
#[cfg(any(feature = "redis", test))]
pub(crate) fn records_field(session: SessionId) -> String {
    session.to_string()
}

/// `field` with `record` appended, after dropping the oldest records so
/// that at most [`MAX_RECORDS_PER_SESSION`] remain; a field that is not a
/// sequence of records is replaced, and its size returned (what the Redis
/// script does).
pub(crate) fn append_record(field: &[u8], record: &[u8]) -> (Vec<u8>, Option<u64>) {
    let replaced = || (record.to_vec(), Some(field.len() as u64));
    // Never walked when larger than a node writes.
    if field.len() > MAX_RECORDS_FIELD_BYTES {
        return replaced();
    }
    let mut frames = Frames::new(field);
    let records: Vec<&[u8]> = frames.by_ref().collect();
    if !frames.rest().is_empty() {
        return replaced();
    }
    let kept = records
        .get(records.len().saturating_sub(MAX_RECORDS_PER_SESSION - 1)..)
        .unwrap_or_default();
    let mut out = kept.concat();
    out.extend_from_slice(record);
    (out, None)
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(2 * bytes.len());
    for &b in bytes {
        for nibble in [b >> 4, b & 0x0F] {
            out.push(char::from(
                DIGITS.get(usize::from(nibble)).copied().unwrap_or(b'0'),
            ));
        }
    }
    out
}

/// The in-process store, for a single node: entries expire, and at most
/// `capacity` live at once (then [`StoreError::Full`]); a session's
/// single-logout records (at most [`MAX_RECORDS_PER_SESSION`]) count as one.
pub struct MemoryStore {
    capacity: usize,
    state: Mutex<Memory>,
}

#[derive(Default)]
struct Memory {
    /// Spent tickets and ended sessions, with when they may be forgotten.
    marks: HashMap<String, Instant>,
    /// Principals whose sessions were ended: until when, and the instant.
    principals: HashMap<String, (Instant, i64)>,
    /// Each session's single-logout records, with when they may be forgotten.
    records: HashMap<SessionId, (Instant, Vec<u8>)>,
    /// Attempt counters, with when they may be forgotten.
    attempts: HashMap<String, (Instant, u64)>,
}

impl Memory {
    fn live(&self) -> usize {
        self.marks.len() + self.principals.len() + self.records.len() + self.attempts.len()
    }

    fn forget_expired(&mut self, now: Instant) {
        self.marks.retain(|_, until| *until > now);
        self.principals.retain(|_, (until, _)| *until > now);
        self.records.retain(|_, (until, _)| *until > now);
        self.attempts.retain(|_, (until, _)| *until > now);
    }

    fn is_marked(&self, key: &str, now: Instant) -> bool {
        self.marks.get(key).is_some_and(|until| *until > now)
    }

    /// Whether `ticket`'s session is over.
    fn ended(&self, ticket: &TicketUse, now: Instant) -> Option<Ended> {
        if let Some(session) = ticket.session()
            && self.is_marked(&ended_key(session), now)
        {
            return Some(Ended::Logout);
        }
        if let Some(grant) = ticket.grant
            && self.is_marked(&grant_key(grant), now)
        {
            return Some(Ended::Grant);
        }
        self.principals
            .get(&principal_key(&ticket.principal_id))
            .filter(|(until, at)| *until > now && ticket.ended_by(*at))
            .map(|_| Ended::Principal)
    }
}

impl MemoryStore {
    /// A store of at most `capacity` entries.
    pub fn new(capacity: usize) -> Self {
        MemoryStore {
            capacity,
            state: Mutex::new(Memory::default()),
        }
    }

    fn with_state<T>(&self, f: impl FnOnce(&mut Memory, Instant) -> T) -> T {
        let mut state = match self.state.lock() {
            Ok(state) => state,
            Err(poisoned) => poisoned.into_inner(),
        };
        f(&mut state, Instant::now())
    }

    /// Makes room for one more entry.
    fn room(&self, state: &mut Memory, now: Instant) -> Result<(), StoreError> {
        if state.live() >= self.capacity {
            state.forget_expired(now);
        }
        if state.live() >= self.capacity {
            return Err(StoreError::Full);
        }
        Ok(())
    }
}

impl Store for MemoryStore {
    fn spend<'a>(
        &'a self,
        ticket: &'a TicketUse,
        record: Option<&'a SealedRecord>,
    ) -> StoreFuture<'a, Spend> {
        let spend = self.with_state(|state, now| {
            let done = |verdict| Spend {
                verdict,
                dropped: None,
            };
            if let Some(ended) = state.ended(ticket, now) {
                return Ok(done(Verdict::Ended(ended)));
            }
            let key = spent_key(ticket);
            if state.is_marked(&key, now) {
                return Ok(done(Verdict::Replayed));
            }
            self.room(state, now)?;
            state.marks.insert(key, now + ticket.keep_for);
            let mut dropped = None;
            if let (Some(session), Some(record)) = (ticket.session(), record) {
                if !state.records.contains_key(&session) {
                    self.room(state, now)?;
                }
                let until = now + ticket.records_for;
                let entry = state
                    .records
                    .entry(session)
                    .or_insert_with(|| (until, Vec::new()));
                entry.0 = entry.0.max(until);
                let (field, was_dropped) = append_record(&entry.1, record.as_bytes());
                entry.1 = field;
                dropped = was_dropped;
            }
            Ok(Spend {
                verdict: Verdict::First,
                dropped,
            })
        });
        Box::pin(async move { spend })
    }

    fn ended<'a>(&'a self, ticket: &'a TicketUse) -> StoreFuture<'a, Option<Ended>> {
        let ended = self.with_state(|state, now| state.ended(ticket, now));
        Box::pin(async move { Ok(ended) })
    }

    fn answers(&self) -> StoreFuture<'_, ()> {
        Box::pin(async move { Ok(()) })
    }

    fn end_session<'a>(
        &'a self,
        session: &'a Session,
        lasting: Duration,
    ) -> StoreFuture<'a, Records> {
        let records = self.with_state(|state, now| {
            self.room(state, now)?;
            state.marks.insert(
                ended_key(session.id()),
                now + lasting.max(Duration::from_millis(1)),
            );
            Ok(state
                .records
                .get(&session.id())
                .filter(|(until, _)| *until > now)
                .map(|(_, field)| read_field(field))
                .unwrap_or_default())
        });
        Box::pin(async move { records })
    }

    fn end_principal<'a>(
        &'a self,
        ids: &'a [[u8; 16]],
        at: OffsetDateTime,
        lasting: Duration,
    ) -> StoreFuture<'a, ()> {
        let ended = self.with_state(|state, now| {
            for id in ids {
                let key = principal_key(id);
                if !state.principals.contains_key(&key) {
                    self.room(state, now)?;
                }
                let until = now + lasting.max(Duration::from_millis(1));
                state.principals.insert(key, (until, unix_ms(at)));
            }
            Ok(())
        });
        Box::pin(async move { ended })
    }

    fn end_grant<'a>(&'a self, grant: GrantId, lasting: Duration) -> StoreFuture<'a, ()> {
        let ended = self.with_state(|state, now| {
            let key = grant_key(grant);
            if !state.marks.contains_key(&key) {
                self.room(state, now)?;
            }
            state
                .marks
                .insert(key, now + lasting.max(Duration::from_millis(1)));
            Ok(())
        });
        Box::pin(async move { ended })
    }

    fn count_attempts<'a>(
        &'a self,
        subjects: &'a [Attempt],
        now: OffsetDateTime,
    ) -> StoreFuture<'a, Vec<AttemptCount>> {
        let counts = self.with_state(|state, instant| {
            let mut counts = Vec::with_capacity(subjects.len());
            for attempt in subjects {
                let (index, lasting) = attempt.counter_at(now);
                let live = |state: &Memory, key: &str| {
                    state
                        .attempts
                        .get(key)
                        .filter(|(until, _)| *until > instant)
                        .map(|(_, count)| *count)
                };
                let previous_window =
                    live(state, &attempts_key(attempt, index.saturating_sub(1))).unwrap_or(0);
                let key = attempts_key(attempt, index);
                let this_window = live(state, &key).unwrap_or(0) + 1;
                if !state.attempts.contains_key(&key) {
                    self.room(state, instant)?;
                }
                state.attempts.insert(key, (instant + lasting, this_window));
                counts.push(AttemptCount {
                    this_window,
                    previous_window,
                });
            }
            Ok(counts)
        });
        Box::pin(async move { counts })
    }
}

/// What a logout reads of a session's field: nothing of a field larger
/// than a node writes (dropped, its size told), else at most
/// [`MAX_RECORDS_PER_SESSION`] distinct records.
pub(crate) fn read_field(field: &[u8]) -> Records {
    if field.len() > MAX_RECORDS_FIELD_BYTES {
        return Records {
            records: Vec::new(),
            dropped: Some(field.len() as u64),
        };
    }
    Records {
        records: split_records(field, MAX_RECORDS_PER_SESSION),
        dropped: None,
    }
}

impl fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryStore")
            .field("capacity", &self.capacity)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A sealed record's shape: its length, then that many bytes.
    fn record(fill: u8, len: usize) -> Vec<u8> {
        let mut out = u16::try_from(len).unwrap().to_be_bytes().to_vec();
        out.extend(std::iter::repeat_n(fill, len));
        out
    }

    #[test]
    fn appending_keeps_the_last_records() {
        let mut field = Vec::new();
        for i in 0..MAX_RECORDS_PER_SESSION + 3 {
            let (next, dropped) = append_record(&field, &record(i as u8, 100));
            assert_eq!(dropped, None);
            field = next;
        }
        assert_eq!(field.len(), MAX_RECORDS_PER_SESSION * 102);
        assert_eq!(field[2], 3, "the oldest three are gone");
        let read = read_field(&field);
        assert_eq!(read.records.len(), MAX_RECORDS_PER_SESSION);
        assert_eq!(read.dropped, None);
    }

    #[test]
    fn a_field_no_node_wrote_is_replaced_and_told() {
        let new = record(9, 100);
        let too_short = [record(1, 100), record(2, MIN_SEALED_RECORD_BYTES - 3)].concat();
        let too_long = record(1, MAX_SEALED_RECORD_BYTES - 1);
        let cut = record(1, 100)[..50].to_vec();
        let huge = record(1, 100).repeat(MAX_RECORDS_FIELD_BYTES / 102 + 1);
        for field in [too_short, too_long, cut, huge] {
            assert_eq!(
                append_record(&field, &new),
                (new.clone(), Some(field.len() as u64))
            );
        }
        let huge = vec![0; MAX_RECORDS_FIELD_BYTES + 1];
        assert_eq!(
            read_field(&huge),
            Records {
                records: vec![],
                dropped: Some(huge.len() as u64)
            }
        );
    }
}
