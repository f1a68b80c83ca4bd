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
//! A single-logout record is the service ticket itself, in its binary form
//! (FORMAT.md §13): the node that logs the session out opens it again with
//! [`Codec::open_expired`] to learn the service, so the store holds no URL,
//! nothing a writer to the store could forge without the keys, and about a
//! third of what a ticket registry holds per login.
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

use crate::claims::{Kind, Session, SessionId};
use crate::codec::{Codec, Ticket};
use crate::format;

/// Single-logout records kept per session: the most recent ones. A session
/// that validates more tickets (a user reloading, a script) cannot grow the
/// store past this; the oldest services then miss the logout request.
pub const MAX_RECORDS_PER_SESSION: usize = 64;

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
    /// The ticket's session has ended (logout).
    SessionEnded,
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
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreError::Timeout => f.write_str("the ticket store did not answer in time"),
            StoreError::Unavailable(why) => write!(f, "the ticket store is unavailable: {why}"),
            StoreError::Full => f.write_str("the ticket store is full: it refuses writes"),
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
    /// At validation, in one round trip: marks the ticket spent unless it
    /// was, tells whether its session ended, and keeps `record` (the
    /// ticket, for single logout) with its session. A record whose text is
    /// not the spelling of an ST or PT is not kept.
    fn spend<'a>(
        &'a self,
        ticket: &'a TicketUse,
        record: Option<&'a LogoutRecord>,
    ) -> StoreFuture<'a, Verdict>;

    /// Whether a session has ended (a TGT or PGT presented).
    fn session_ended(&self, session: SessionId) -> StoreFuture<'_, bool>;

    /// Ends `session` for `lasting` (until it would have ended anyway), and
    /// returns the records kept with it for single logout, oldest first,
    /// once. They are untrusted: see [`LogoutRecord`].
    fn end_session<'a>(
        &'a self,
        session: &'a Session,
        lasting: Duration,
    ) -> StoreFuture<'a, Vec<LogoutRecord>>;

    /// Counts one attempt at each of `subjects` (16-byte ids the caller
    /// derives: a digest of a user name, of an address…), each in the
    /// current fixed window of its duration as of `now`, in one round trip,
    /// and returns each count in its window, this attempt included. A
    /// window's counter expires when the window ends (FORMAT.md §13). This is
    /// what throttles password guessing pool-wide.
    fn count_attempts<'a>(
        &'a self,
        subjects: &'a [Attempt],
        now: OffsetDateTime,
    ) -> StoreFuture<'a, Vec<u64>>;
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
    /// The window `now` falls in, and how long until it ends.
    pub fn window_at(&self, now: OffsetDateTime) -> (i64, Duration) {
        let length_ms = i128::try_from(self.window.as_millis())
            .unwrap_or(i128::MAX)
            .max(1000);
        let now_ms = now.unix_timestamp_nanos() / 1_000_000;
        let index = now_ms.div_euclid(length_ms);
        let left_ms = (index + 1) * length_ms - now_ms;
        (
            i64::try_from(index).unwrap_or(i64::MAX),
            Duration::from_millis(u64::try_from(left_ms).unwrap_or(1).max(1)),
        )
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

/// The key of the hash that holds the single-logout records of the sessions
/// that end in `session`'s record window; its field is the session id's
/// eight bytes.
#[cfg(any(feature = "redis", test))]
pub(crate) fn records_key(session: &Session) -> String {
    format!("cas:{{{}}}:slo:{}", tag(session.id()), window_of(session))
}

/// A validated ST or PT as single logout keeps it: the ticket, and the
/// service URL when the ticket holds only a digest of it (a long URL,
/// FORMAT.md §8). Read back from a store, it is untrusted: open the ticket
/// with [`Codec::open_expired`], check its session, and check that the URL,
/// if any, [`matches`](crate::Service::matches) the ticket's service.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LogoutRecord {
    /// The ticket's text (spent: useless to replay).
    pub ticket: String,
    /// The service URL, only if the ticket's service is shortened.
    pub service: Option<String>,
}

/// `record` in a store's binary form (FORMAT.md §13): a code (1 for ST, 2
/// for PT; 3 and 4 when a URL follows), the length of the ticket's bytes,
/// the bytes its text spells (§3), then for codes 3 and 4 the URL's length
/// (two bytes, big-endian) and the URL. None for a text that is not a
/// well-formed ST or PT of this format version (§9 steps 1–5).
pub(crate) fn record_of(record: &LogoutRecord) -> Option<Vec<u8>> {
    let parsed = format::parse(&record.ticket).ok()?;
    let bytes = parsed.bytes;
    let code = match (parsed.header.kind(), &record.service) {
        (Kind::St, None) => 1,
        (Kind::Pt, None) => 2,
        (Kind::St, Some(_)) => 3,
        (Kind::Pt, Some(_)) => 4,
        (Kind::Tgt | Kind::Pgt, _) => return None,
    };
    let mut out = Vec::with_capacity(2 + bytes.len());
    out.push(code);
    out.push(u8::try_from(bytes.len()).ok()?);
    out.extend_from_slice(&bytes);
    if let Some(url) = &record.service {
        out.extend_from_slice(&u16::try_from(url.len()).ok()?.to_be_bytes());
        out.extend_from_slice(url.as_bytes());
    }
    Some(out)
}

/// One record of a session's value, and the rest; None at the end, or at a
/// record that is not well formed (the store is not trusted).
fn next_record(records: &[u8]) -> Option<(LogoutRecord, &[u8])> {
    let [code, length, rest @ ..] = records else {
        return None;
    };
    let kind = match code {
        1 | 3 => Kind::St,
        2 | 4 => Kind::Pt,
        _ => return None,
    };
    let (bytes, mut rest) = rest.split_at_checked(usize::from(*length))?;
    let mut ticket = format!("{}-", kind.prefix());
    crate::base62::encode_into(bytes, &mut ticket);
    let mut service = None;
    if *code > 2 {
        let [hi, lo, after @ ..] = rest else {
            return None;
        };
        let (url, after) = after.split_at_checked(usize::from(u16::from_be_bytes([*hi, *lo])))?;
        service = Some(String::from_utf8(url.to_vec()).ok()?);
        rest = after;
    }
    Some((LogoutRecord { ticket, service }, rest))
}

/// The records of a session's value, oldest first, up to the first that is
/// not well formed.
pub(crate) fn records_of(mut records: &[u8]) -> Vec<LogoutRecord> {
    let mut out = Vec::new();
    while let Some((record, rest)) = next_record(records) {
        out.push(record);
        records = rest;
    }
    out
}

/// `records` with `record` appended, after dropping the oldest so that at
/// most [`MAX_RECORDS_PER_SESSION`] remain (what the Redis script does).
fn append_record(records: &[u8], record: &[u8]) -> Vec<u8> {
    let mut rests = Vec::new();
    let mut rest = records;
    while let Some((_, next)) = next_record(rest) {
        rests.push(next);
        rest = next;
    }
    let kept = rests
        .len()
        .checked_sub(MAX_RECORDS_PER_SESSION)
        .and_then(|dropped| rests.get(dropped))
        .copied()
        .unwrap_or(records);
    let mut out = kept.to_vec();
    out.extend_from_slice(record);
    out
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
    /// Each session's single-logout records, with when they may be forgotten.
    records: HashMap<SessionId, (Instant, Vec<u8>)>,
    /// Attempt counters, with when they may be forgotten.
    attempts: HashMap<String, (Instant, u64)>,
}

impl Memory {
    fn live(&self) -> usize {
        self.marks.len() + self.records.len() + self.attempts.len()
    }

    fn forget_expired(&mut self, now: Instant) {
        self.marks.retain(|_, until| *until > now);
        self.records.retain(|_, (until, _)| *until > now);
        self.attempts.retain(|_, (until, _)| *until > now);
    }

    fn is_marked(&self, key: &str, now: Instant) -> bool {
        self.marks.get(key).is_some_and(|until| *until > now)
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
        record: Option<&'a LogoutRecord>,
    ) -> StoreFuture<'a, Verdict> {
        let verdict = self.with_state(|state, now| {
            if let Some(session) = ticket.session()
                && state.is_marked(&ended_key(session), now)
            {
                return Ok(Verdict::SessionEnded);
            }
            let key = spent_key(ticket);
            if state.is_marked(&key, now) {
                return Ok(Verdict::Replayed);
            }
            self.room(state, now)?;
            state.marks.insert(key, now + ticket.keep_for);
            if let (Some(session), Some(record)) = (ticket.session(), record.and_then(record_of)) {
                if !state.records.contains_key(&session) {
                    self.room(state, now)?;
                }
                let until = now + ticket.records_for;
                let entry = state
                    .records
                    .entry(session)
                    .or_insert_with(|| (until, Vec::new()));
                entry.0 = entry.0.max(until);
                entry.1 = append_record(&entry.1, &record);
            }
            Ok(Verdict::First)
        });
        Box::pin(async move { verdict })
    }

    fn session_ended(&self, session: SessionId) -> StoreFuture<'_, bool> {
        let ended = self.with_state(|state, now| state.is_marked(&ended_key(session), now));
        Box::pin(async move { Ok(ended) })
    }

    fn end_session<'a>(
        &'a self,
        session: &'a Session,
        lasting: Duration,
    ) -> StoreFuture<'a, Vec<LogoutRecord>> {
        let records = self.with_state(|state, now| {
            self.room(state, now)?;
            state.marks.insert(
                ended_key(session.id()),
                now + lasting.max(Duration::from_millis(1)),
            );
            Ok(state
                .records
                .remove(&session.id())
                .filter(|(until, _)| *until > now)
                .map(|(_, records)| records_of(&records))
                .unwrap_or_default())
        });
        Box::pin(async move { records })
    }

    fn count_attempts<'a>(
        &'a self,
        subjects: &'a [Attempt],
        now: OffsetDateTime,
    ) -> StoreFuture<'a, Vec<u64>> {
        let counts = self.with_state(|state, instant| {
            let mut counts = Vec::with_capacity(subjects.len());
            for attempt in subjects {
                let (index, left) = attempt.window_at(now);
                let key = attempts_key(attempt, index);
                let live = state
                    .attempts
                    .get(&key)
                    .is_some_and(|(until, _)| *until > instant);
                if !live {
                    self.room(state, instant)?;
                    state.attempts.insert(key.clone(), (instant + left, 0));
                }
                let count = state.attempts.get_mut(&key).map_or(1, |(_, count)| {
                    *count += 1;
                    *count
                });
                counts.push(count);
            }
            Ok(counts)
        });
        Box::pin(async move { counts })
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

    /// A text shaped like a version-2 ticket of `kind` (not sealed: the
    /// record form does not open tickets).
    fn shaped(kind: Kind, len: usize) -> (String, Vec<u8>) {
        let mut bytes: Vec<u8> = (0..len).map(|i| i as u8).collect();
        bytes[0] = 2;
        (
            format!("{}-{}", kind.prefix(), crate::base62::encode(&bytes)),
            bytes,
        )
    }

    #[test]
    fn a_record_is_code_length_bytes_then_the_url_if_any() {
        let (st, bytes) = shaped(Kind::St, 82);
        let plain = LogoutRecord {
            ticket: st.clone(),
            service: None,
        };
        let mut expected = vec![1, 82];
        expected.extend_from_slice(&bytes);
        assert_eq!(record_of(&plain), Some(expected.clone()));

        let (pt, pt_bytes) = shaped(Kind::Pt, 90);
        let with_url = LogoutRecord {
            ticket: pt,
            service: Some("https://a.example/x".to_owned()),
        };
        let mut expected_pt = vec![4, 90];
        expected_pt.extend_from_slice(&pt_bytes);
        expected_pt.extend_from_slice(&[0, 19]);
        expected_pt.extend_from_slice(b"https://a.example/x");
        assert_eq!(record_of(&with_url), Some(expected_pt.clone()));

        // Read back in order; a truncated last record is dropped, and so is
        // everything after a record that is not well formed.
        let both = [expected.clone(), expected_pt.clone()].concat();
        assert_eq!(records_of(&both), vec![plain.clone(), with_url.clone()]);
        assert_eq!(records_of(&both[..both.len() - 1]), vec![plain.clone()]);
        let bad_code = [expected.clone(), vec![9, 1, 0], expected_pt].concat();
        assert_eq!(records_of(&bad_code), vec![plain]);
        assert_eq!(records_of(&[]), vec![]);
    }

    #[test]
    fn every_truncation_reads_as_the_records_it_still_holds_whole() {
        let (st, _) = shaped(Kind::St, 82);
        let (pt, _) = shaped(Kind::Pt, 100);
        let records = [
            LogoutRecord {
                ticket: st,
                service: None,
            },
            LogoutRecord {
                ticket: pt,
                service: Some(format!("https://a.example/{}", "x".repeat(300))),
            },
        ];
        let encoded: Vec<Vec<u8>> = records.iter().map(|r| record_of(r).unwrap()).collect();
        let value = encoded.concat();
        for cut in 0..=value.len() {
            let whole = encoded
                .iter()
                .scan(0, |end, r| {
                    *end += r.len();
                    Some(*end)
                })
                .filter(|end| *end <= cut)
                .count();
            assert_eq!(records_of(&value[..cut]), records[..whole], "cut at {cut}");
        }
    }

    #[test]
    fn only_well_formed_sts_and_pts_make_records() {
        let (tgt, _) = shaped(Kind::Tgt, 82);
        let (pgt, _) = shaped(Kind::Pgt, 82);
        let (short, _) = shaped(Kind::St, 20);
        let (st, _) = shaped(Kind::St, 82);
        let v1 = st.replacen("ST-0", "ST-1", 1);
        for text in [tgt, pgt, short, v1, "ST-".into(), "ST-_".into()] {
            let record = LogoutRecord {
                ticket: text.clone(),
                service: None,
            };
            assert_eq!(record_of(&record), None, "{text}");
        }
    }

    #[test]
    fn appending_keeps_the_last_records() {
        let (st, _) = shaped(Kind::St, 82);
        let one = record_of(&LogoutRecord {
            ticket: st,
            service: None,
        })
        .unwrap();
        let mut value = Vec::new();
        for _ in 0..MAX_RECORDS_PER_SESSION + 3 {
            value = append_record(&value, &one);
        }
        assert_eq!(value.len(), MAX_RECORDS_PER_SESSION * one.len());
    }
}
