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
//! session has ended, and records the service for single logout.
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

use crate::claims::SessionId;
use crate::codec::{Codec, Ticket};

/// Single-logout records kept per session: the most recent ones. A session
/// that validates more tickets (a user reloading, a script) cannot grow the
/// store past this; the oldest services then miss the logout request.
pub const MAX_VISITS_PER_SESSION: usize = 64;

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
    /// An in-process store is at its bound and nothing in it has expired.
    Full,
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreError::Timeout => f.write_str("the ticket store did not answer in time"),
            StoreError::Unavailable(why) => write!(f, "the ticket store is unavailable: {why}"),
            StoreError::Full => f.write_str("the in-process ticket store is full"),
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
    session: Option<SessionId>,
    /// Until the ticket expires, leeway included.
    keep_for: Duration,
    /// Until its session ends, for the single-logout record.
    session_for: Duration,
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
        let session = claims.session();
        Ok(TicketUse {
            replay_id: codec.replay_id(ticket)?,
            session: session.map(|s| s.id()),
            keep_for: remaining(claims.expires_at()),
            session_for: remaining(session.map_or(claims.expires_at(), |s| s.ends_at())),
        })
    }

    /// The ticket's replay id.
    pub fn replay_id(&self) -> [u8; 16] {
        self.replay_id
    }

    /// The ticket's session, if it has one.
    pub fn session(&self) -> Option<SessionId> {
        self.session
    }

    /// How long the spent mark must last.
    pub fn keep_for(&self) -> Duration {
        self.keep_for
    }

    /// How long the session lasts from now.
    pub fn session_for(&self) -> Duration {
        self.session_for
    }
}

/// A service a session's ticket was validated for, and that ticket: what a
/// single-logout request names (CAS 3.0 Appendix C).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ServiceVisit {
    /// The `service` URL, normalized.
    pub service: String,
    /// The service ticket the service validated (spent: useless to replay).
    pub ticket: String,
}

/// Pool-wide ticket state: see the module docs.
pub trait Store: Send + Sync {
    /// At validation, in one round trip: marks the ticket spent unless it
    /// was, tells whether its session ended, and records `visit` (if any)
    /// with the session for single logout.
    fn spend<'a>(
        &'a self,
        ticket: &'a TicketUse,
        visit: Option<&'a ServiceVisit>,
    ) -> StoreFuture<'a, Verdict>;

    /// Whether a session has ended (a TGT or PGT presented).
    fn session_ended(&self, session: SessionId) -> StoreFuture<'_, bool>;

    /// Ends a session for `lasting` (until it would have ended anyway), and
    /// returns the services its tickets were validated for.
    fn end_session(
        &self,
        session: SessionId,
        lasting: Duration,
    ) -> StoreFuture<'_, Vec<ServiceVisit>>;
}

/// The key a store uses for a spent ticket or an ended session. Redis Cluster
/// keeps a key's `{hash tag}` on one node: a session's entries share one, so
/// that a validation touches one node in one round trip.
pub(crate) fn spent_key(ticket: &TicketUse) -> String {
    let id = hex(&ticket.replay_id);
    match ticket.session {
        Some(session) => format!("cas:{{{session}}}:spent:{id}"),
        None => format!("cas:{{{id}}}:spent"),
    }
}

pub(crate) fn ended_key(session: SessionId) -> String {
    format!("cas:{{{session}}}:ended")
}

#[cfg(feature = "redis")]
pub(crate) fn visits_key(session: SessionId) -> String {
    format!("cas:{{{session}}}:visits")
}

/// A visit as one store value: the service, a tab, the ticket (neither holds
/// a tab: both are printable ASCII without spaces).
#[cfg(feature = "redis")]
pub(crate) fn visit_value(visit: &ServiceVisit) -> String {
    format!("{}\t{}", visit.service, visit.ticket)
}

#[cfg(feature = "redis")]
pub(crate) fn parse_visit(value: &str) -> Option<ServiceVisit> {
    let (service, ticket) = value.split_once('\t')?;
    crate::claims::Kind::from_prefix(ticket.split_once('-')?.0)?;
    Some(ServiceVisit {
        service: service.to_owned(),
        ticket: ticket.to_owned(),
    })
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
/// `capacity` live at once (then [`StoreError::Full`]).
pub struct MemoryStore {
    capacity: usize,
    state: Mutex<Memory>,
}

#[derive(Default)]
struct Memory {
    /// Spent tickets and ended sessions, with when they may be forgotten.
    marks: HashMap<String, Instant>,
    /// Each session's visits, with when the list may be forgotten.
    visits: HashMap<SessionId, (Instant, Vec<ServiceVisit>)>,
}

impl Memory {
    fn live(&self) -> usize {
        self.marks.len() + self.visits.values().map(|(_, v)| v.len()).sum::<usize>()
    }

    fn forget_expired(&mut self, now: Instant) {
        self.marks.retain(|_, until| *until > now);
        self.visits.retain(|_, (until, _)| *until > now);
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
        visit: Option<&'a ServiceVisit>,
    ) -> StoreFuture<'a, Verdict> {
        let verdict = self.with_state(|state, now| {
            if let Some(session) = ticket.session
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
            if let (Some(session), Some(visit)) = (ticket.session, visit) {
                self.room(state, now)?;
                let until = now + ticket.session_for;
                let entry = state
                    .visits
                    .entry(session)
                    .or_insert_with(|| (until, Vec::new()));
                entry.0 = entry.0.max(until);
                entry.1.push(visit.clone());
                if entry.1.len() > MAX_VISITS_PER_SESSION {
                    entry.1.remove(0);
                }
            }
            Ok(Verdict::First)
        });
        Box::pin(async move { verdict })
    }

    fn session_ended(&self, session: SessionId) -> StoreFuture<'_, bool> {
        let ended = self.with_state(|state, now| state.is_marked(&ended_key(session), now));
        Box::pin(async move { Ok(ended) })
    }

    fn end_session(
        &self,
        session: SessionId,
        lasting: Duration,
    ) -> StoreFuture<'_, Vec<ServiceVisit>> {
        let visits = self.with_state(|state, now| {
            self.room(state, now)?;
            state.marks.insert(
                ended_key(session),
                now + lasting.max(Duration::from_millis(1)),
            );
            Ok(state
                .visits
                .remove(&session)
                .filter(|(until, _)| *until > now)
                .map(|(_, visits)| visits)
                .unwrap_or_default())
        });
        Box::pin(async move { visits })
    }
}

impl fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryStore")
            .field("capacity", &self.capacity)
            .finish_non_exhaustive()
    }
}
