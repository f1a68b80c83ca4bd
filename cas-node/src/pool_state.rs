//! `--store`: the pool-wide state the codec's store keeps (one validation per
//! ST and PT, logout on every node, single logout), as the node uses it.
//!
//! Without `--store` the node is stateless, as before. With it, every
//! validation of an ST or PT is one round trip to the store; a TGT or PGT
//! presented is checked against ended sessions; `/logout` ends the session
//! and posts a SAML `LogoutRequest` naming each ST to each service that
//! validated one in the session (CAS 3.0 Appendix C), in the background,
//! each with a timeout, if its registry entry says `single_logout = true`.
//! The store keeps each ST sealed under a record key; at logout the node
//! opens each record, then the ST in it, to learn its service. When no
//! service is told of logouts nothing is recorded: the store then holds only
//! spent tickets and ended sessions.
//!
//! A logout the store cannot take (down, paused, full) is not lost: the
//! browser's cookie is cleared, the user is told the session has not ended
//! everywhere yet, and the node tries again in the background for
//! [`LOGOUT_RETRY_FOR`]; a logout applied late still tells the services.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration as StdDuration;

use cas_ticket_codec::oauth::GrantId;
use cas_ticket_codec::store::{
    Ended, FailurePolicy, LogoutRecord, MemoryStore, Records, Store, StoreError, TicketUse,
    Verdict, ended_lasting,
};
use cas_ticket_codec::{
    Claims, Codec, Kind, PolicyUnknown, RedisStore, Session, SessionId, Ticket, rfc3339,
};
use quick_xml::Writer;
use quick_xml::events::BytesText;
use time::OffsetDateTime;

use crate::metrics::{Latency, TimedStore};
use crate::validate::Failure;
use crate::{Node, page};

/// Entries the in-process store (`--store memory`) holds at most.
const MEMORY_STORE_ENTRIES: usize = 1_000_000;
/// How long a single-logout POST may take.
const LOGOUT_TIMEOUT: StdDuration = StdDuration::from_secs(5);
/// How long a logout the store could not take is tried again, in the
/// background (never past the session's own end).
pub const LOGOUT_RETRY_FOR: StdDuration = StdDuration::from_secs(15 * 60);
/// The first wait between two tries of a logout; it doubles, up to
/// [`LOGOUT_RETRY_MAX_WAIT`].
const LOGOUT_RETRY_FIRST_WAIT: StdDuration = StdDuration::from_millis(500);
const LOGOUT_RETRY_MAX_WAIT: StdDuration = StdDuration::from_secs(30);
/// Logouts tried again at once, at most: a long outage under many logouts
/// holds this many tasks, each a session id and a principal.
const PENDING_LOGOUTS: usize = 10_000;

/// What became of a logout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Logout {
    /// The session ended on every node, and its services are being told.
    Everywhere,
    /// The store did not take it: the node tries again in the background.
    Pending,
    /// The store did not take it, and too many logouts are pending already
    /// for this one to be tried again.
    Lost,
}

/// The store and what to do when it cannot answer.
pub struct PoolState {
    store: Arc<dyn Store>,
    policy: FailurePolicy,
    /// The Redis whose eviction policy `/health` checks (none for
    /// `memory`, or with `--store-assume-noeviction`).
    redis: Option<Arc<RedisStore>>,
    /// Logouts being tried again in the background.
    pending: Arc<AtomicUsize>,
}

/// Why a Redis's eviction policy is not known to be `noeviction`.
enum Unchecked {
    /// It evicts: the store would silently forget.
    Evicts(String),
    /// It answered but would not say.
    Refused(String),
    /// It did not answer.
    Unanswered(String),
}

/// Whether every server of `redis` keeps every key until it expires.
async fn no_eviction(redis: &RedisStore) -> Result<(), Unchecked> {
    let policies = redis.eviction_policies().await.map_err(|e| match e {
        PolicyUnknown::Refused(why) => Unchecked::Refused(format!(
            "the ticket store will not say whether it evicts keys ({why}); set \
             maxmemory-policy noeviction, and give --store-assume-noeviction where the \
             provider forbids CONFIG and guarantees it"
        )),
        PolicyUnknown::Store(other) => Unchecked::Unanswered(format!(
            "cannot read the ticket store's maxmemory-policy: {other}"
        )),
    })?;
    match policies.iter().find(|(_, policy)| policy != "noeviction") {
        Some((server, policy)) => Err(Unchecked::Evicts(format!(
            "the ticket store evicts keys ({server}: maxmemory-policy {policy}): a spent ticket \
             or an ended session could be evicted and accepted again. Set maxmemory-policy \
             noeviction (CONFIG SET maxmemory-policy noeviction, and in redis.conf)"
        ))),
        None => Ok(()),
    }
}

impl PoolState {
    /// Opens the store `--store` names: `memory`, `redis://…`, `rediss://…`,
    /// or several seeds of a Redis Cluster with `--store-cluster`. A Redis
    /// that answers with an eviction policy other than `noeviction` is
    /// refused, as is one that refuses to say, unless `assume_noeviction`
    /// (the operator vouches for it); one that does not answer yet is
    /// checked again at every `/health`.
    pub async fn open(
        urls: &[String],
        cluster: bool,
        ca: Option<&[u8]>,
        timeout: StdDuration,
        policy: FailurePolicy,
        latency: Latency,
        assume_noeviction: bool,
    ) -> Result<Option<PoolState>, String> {
        let redis = match urls {
            [] => return Ok(None),
            [memory] if memory == "memory" => None,
            _ if cluster => Some(Arc::new(
                RedisStore::cluster(urls, timeout, ca)
                    .await
                    .map_err(|e| format!("cannot reach the Redis Cluster: {e}"))?,
            )),
            [url] => Some(Arc::new(
                RedisStore::single(url, timeout, ca)
                    .await
                    .map_err(|e| format!("cannot use the store {}: {e}", redact(url)))?,
            )),
            _ => return Err("several --store URLs need --store-cluster".to_owned()),
        };
        let store: Arc<dyn Store> = match &redis {
            Some(redis) => Arc::clone(redis) as Arc<dyn Store>,
            None => Arc::new(MemoryStore::new(MEMORY_STORE_ENTRIES)),
        };
        let store = Arc::new(TimedStore {
            inner: store,
            latency,
        });
        let checked = redis.filter(|_| !assume_noeviction);
        if let Some(redis) = &checked {
            match no_eviction(redis).await {
                Ok(()) => {}
                Err(Unchecked::Evicts(why) | Unchecked::Refused(why)) => return Err(why),
                Err(Unchecked::Unanswered(why)) => {
                    tracing::warn!("{why}; /health checks it again until it answers")
                }
            }
        }
        Ok(Some(PoolState {
            store,
            policy,
            redis: checked,
            pending: Arc::new(AtomicUsize::new(0)),
        }))
    }

    /// The store, and what to do when it cannot answer (for the login
    /// throttle's counters).
    pub fn store(&self) -> (Arc<dyn Store>, FailurePolicy) {
        (Arc::clone(&self.store), self.policy)
    }

    /// What the log says of a store failure, and what the client is told
    /// when the policy is to fail closed.
    fn failed(&self, e: &StoreError) -> Result<(), Failure> {
        tracing::warn!("{e}");
        // What the client may do next. A store that answered nothing in
        // time may have spent the ticket all the same (the call reached
        // Redis, the answer did not come back): a retry may then be told
        // "validated before". A refused connection, a full store (it
        // refuses writes) or a key of another type spent nothing.
        let refused = match e {
            StoreError::Timeout => {
                "the ticket store did not answer in time; the ticket may have been spent: \
                 if a retry says it was validated before, ask for a new one"
            }
            StoreError::Full => "the ticket store is full; the ticket was not spent: try again",
            StoreError::Unavailable(_) | StoreError::WrongType => {
                "the ticket store is unavailable; the ticket was not spent: try again"
            }
        };
        match self.policy {
            // A full store is there and refusing writes: answering as a
            // stateless node would accept every replay for as long as it
            // stays full. Closed, whatever the policy.
            FailurePolicy::Open if *e == StoreError::Full => {
                Err(("INTERNAL_ERROR", refused.to_owned()))
            }
            FailurePolicy::Open => {
                tracing::info!("--store-failure open: answering as a stateless node");
                Ok(())
            }
            FailurePolicy::Closed => Err(("INTERNAL_ERROR", refused.to_owned())),
        }
    }

    /// The one round trip of a validation: the ST or PT `text` (decoded as
    /// `ticket`) is spent, and was issued in a live session. `record_for`
    /// is the service it passed validation for; a ticket that failed is
    /// spent and never recorded.
    pub async fn spend(
        &self,
        node: &Node,
        ticket: &Ticket,
        text: &str,
        record_for: Option<&str>,
        now: OffsetDateTime,
    ) -> Result<(), Failure> {
        let usage = usage_of(node, ticket, now)?;
        // Only a ticket for a service registered with single_logout is
        // recorded. The URL is kept too (normalized) when the ticket holds
        // only a digest of it.
        let record = ticket
            .claims()
            .service()
            .zip(record_for)
            .and_then(|(stored, service)| {
                let url = if stored.is_shortened() {
                    Some(node.single_logout_target(service)?)
                } else if listed(node, stored.as_str()) {
                    None
                } else {
                    return None;
                };
                Some(LogoutRecord {
                    ticket: text.to_owned(),
                    service: url,
                })
            });
        // Sealed for its session: whoever reads the store learns no ticket.
        let sealed = match (usage.session(), record) {
            (Some(session), Some(record)) => match node.codec().seal_record(session, &record) {
                Ok(sealed) => Some(sealed),
                Err(e) => {
                    tracing::warn!("no single logout for this ticket: {e}");
                    None
                }
            },
            _ => None,
        };
        match self.store.spend(&usage, sealed.as_ref()).await {
            Ok(spend) => {
                warn_dropped(spend.dropped);
                match spend.verdict {
                    Verdict::First => Ok(()),
                    Verdict::Replayed => Err((
                        "INVALID_TICKET",
                        "ticket rejected: it was validated before (a service or proxy ticket \
                         is valid for one validation)"
                            .to_owned(),
                    )),
                    Verdict::Ended(why) => Err(session_ended(why)),
                }
            }
            Err(e) => self.failed(&e),
        }
    }

    /// The one round trip of redeeming an OAuth code or refresh token: it
    /// is spent pool-wide, in a live session, of a grant not revoked. A
    /// second use revokes its grant: every token issued from the code, or
    /// the refresh token's whole family, is refused from then on (RFC 6749
    /// §4.1.2, RFC 9700 §4.14.2).
    pub async fn redeem(
        &self,
        node: &Node,
        ticket: &Ticket,
        now: OffsetDateTime,
    ) -> Result<(), Failure> {
        let usage = usage_of(node, ticket, now)?;
        let verdict = match self.store.spend(&usage, None).await {
            Ok(spend) => spend.verdict,
            Err(e) => return self.failed(&e),
        };
        match verdict {
            Verdict::First => Ok(()),
            Verdict::Ended(why) => Err(session_ended(why)),
            Verdict::Replayed => {
                let revoked = match ticket.claims().authorization() {
                    Some(authorization) => {
                        self.revoke_grant(node, authorization.grant(), ticket.claims(), now)
                            .await
                    }
                    None => Ok(()),
                };
                let also = match revoked {
                    Ok(()) => "every token issued from its grant is revoked",
                    Err(_) => "its grant could not be revoked now",
                };
                Err((
                    "INVALID_TICKET",
                    format!("ticket rejected: it was used before; {also}"),
                ))
            }
        }
    }

    /// Revokes the OAuth grant `grant` of `claims` (a code or token of it)
    /// pool-wide, until its session ends (or, outside a session, until a
    /// refresh token of it would have expired), plus the leeway.
    pub async fn revoke_grant(
        &self,
        node: &Node,
        grant: GrantId,
        claims: &Claims,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let lasting = match claims.session() {
            Some(session) => ended_lasting(session, node.flags.leeway, now),
            None => ended_lasting(
                &Session::new(
                    SessionId::from_bytes([0; 8]),
                    claims.expires_at().max(now + node.flags.refresh_token_ttl),
                ),
                node.flags.leeway,
                now,
            ),
        };
        let revoked = self.store.end_grant(grant, lasting).await;
        if let Err(e) = &revoked {
            tracing::error!("cannot revoke grant {grant}: {e}");
        }
        revoked
    }

    /// Whether the store answers now (`/health`): one round trip asking
    /// about a session that never was.
    pub async fn answers(&self) -> Result<(), String> {
        self.store.answers().await.map_err(|e| e.to_string())?;
        // A Redis restarted, failed over or reconfigured may evict now.
        match &self.redis {
            Some(redis) => no_eviction(redis).await.map_err(|e| match e {
                Unchecked::Evicts(why) | Unchecked::Refused(why) | Unchecked::Unanswered(why) => {
                    why
                }
            }),
            None => Ok(()),
        }
    }

    /// Whether the session of a TGT or PGT is still live: not logged out,
    /// and not ended by an administrator. A store that cannot answer counts
    /// as "ended" when failing closed.
    pub async fn live(
        &self,
        node: &Node,
        ticket: &Ticket,
        now: OffsetDateTime,
    ) -> Result<(), Failure> {
        let usage = usage_of(node, ticket, now)?;
        match self.store.ended(&usage).await {
            Ok(None) => Ok(()),
            Ok(Some(why)) => Err(session_ended(why)),
            Err(e) => self.failed(&e),
        }
    }

    /// Ends the session on every node until it would have ended anyway, and
    /// sends single-logout requests to the services it reached. If the
    /// store does not take it, tries again in the background.
    pub async fn end(
        &self,
        node: &Arc<Node>,
        session: &Session,
        principal: &str,
        now: OffsetDateTime,
    ) -> Logout {
        let Err(e) = self.try_end(node, session, principal, now).await else {
            return Logout::Everywhere;
        };
        tracing::error!("cannot end the session pool-wide now ({e}); trying again");
        let taken = self.pending.fetch_add(1, Ordering::SeqCst);
        if taken >= PENDING_LOGOUTS {
            self.pending.fetch_sub(1, Ordering::SeqCst);
            tracing::error!(
                "{PENDING_LOGOUTS} logouts are being tried again already: this one is not"
            );
            return Logout::Lost;
        }
        let until = (now + LOGOUT_RETRY_FOR).min(session.ends_at() + node.flags.leeway);
        tokio::spawn(retry_logout(
            Arc::clone(node),
            Arc::clone(&self.pending),
            *session,
            principal.to_owned(),
            until,
        ));
        Logout::Pending
    }

    /// One try at ending `session`: on success, the services are told.
    async fn try_end(
        &self,
        node: &Arc<Node>,
        session: &Session,
        principal: &str,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let lasting = ended_lasting(session, node.flags.leeway, now);
        let Records { records, dropped } = self.store.end_session(session, lasting).await?;
        warn_dropped(dropped);
        let codec = node.codec();
        for sealed in records {
            let target = codec
                .open_record(session.id(), &sealed)
                .map_err(|e| format!("a single-logout record does not open ({e})"))
                .and_then(|record| {
                    let service = target_of(&codec, session, &record, |url| listed(node, url))?;
                    Ok((service, record))
                });
            match target {
                Ok((service, record)) => {
                    let agent = node.callbacks.clone();
                    let principal = principal.to_owned();
                    tokio::task::spawn_blocking(move || {
                        single_logout(&agent, &service, &record.ticket, &principal)
                    });
                }
                // Quoted and escaped: it was read from the store.
                Err(why) => tracing::warn!("no single logout: {why}"),
            }
        }
        Ok(())
    }
}

/// Logs a field of records the store dropped as not written by a node.
fn warn_dropped(dropped: Option<u64>) {
    if let Some(bytes) = dropped {
        tracing::warn!(
            "a session's single-logout records ({bytes} bytes) were not written by a node: \
             dropped unread (does something else write to this Redis?)"
        );
    }
}

/// Tries `session`'s logout again until it is taken or `until` passes,
/// waiting longer each time.
async fn retry_logout(
    node: Arc<Node>,
    pending: Arc<AtomicUsize>,
    session: Session,
    principal: String,
    until: OffsetDateTime,
) {
    let mut wait = LOGOUT_RETRY_FIRST_WAIT;
    loop {
        tokio::time::sleep(wait).await;
        let now = OffsetDateTime::now_utc();
        if now >= until {
            tracing::error!(
                "a logout was not taken by the ticket store in time: that session stays \
                 valid on other nodes until it ends"
            );
            break;
        }
        let Some(state) = &node.state else { break };
        match state.try_end(&node, &session, &principal, now).await {
            Ok(()) => {
                tracing::info!("a logout the ticket store could not take before is taken now");
                break;
            }
            Err(e) => tracing::warn!("a logout is still not taken ({e}); trying again"),
        }
        wait = (wait * 2).min(LOGOUT_RETRY_MAX_WAIT);
    }
    pending.fetch_sub(1, Ordering::SeqCst);
}

/// Whether single logout may go to `url`: it is its own normalized form (so
/// that what is called is what the registry allowed: `/app/../x` is not
/// under `/app`), and it is registered with `single_logout = true`.
fn listed(node: &Node, url: &str) -> bool {
    node.single_logout_target(url).as_deref() == Some(url)
}

/// Where the single-logout request for `record`, opened from the store,
/// goes. A record another node sealed is still checked: the ticket must open
/// under `codec` (expired, as it is by now), be an ST or PT of `session`,
/// and the URL it names, or the URL recorded with it if it holds a digest,
/// must pass `listed`, this node's registry (another node, with another
/// registry, may have recorded it, or the entry may have changed since).
fn target_of(
    codec: &Codec,
    session: &Session,
    record: &LogoutRecord,
    listed: impl Fn(&str) -> bool,
) -> Result<String, String> {
    let claims = codec
        .open_expired(&record.ticket)
        .map_err(|e| format!("a recorded ticket does not open ({e})"))?;
    if !matches!(claims.kind(), Kind::St | Kind::Pt)
        || claims.session().map(|s| s.id()) != Some(session.id())
    {
        return Err("a recorded ticket is not one of the session's".to_owned());
    }
    let stored = claims.service().ok_or("a recorded ticket has no service")?;
    let url = match &record.service {
        None if !stored.is_shortened() => stored.as_str(),
        Some(url) if stored.is_shortened() && stored.matches(url) => url,
        _ => return Err("a recorded URL is not the ticket's service".to_owned()),
    };
    if !listed(url) {
        return Err(format!("{url:?} is not registered for single logout"));
    }
    Ok(url.to_owned())
}

/// What the store sees of `ticket`, under the codec that decoded it; unless
/// SIGHUP swapped keys in between and retired the ticket's: then the ticket
/// is refused, as it would be a moment later.
fn usage_of(node: &Node, ticket: &Ticket, now: OffsetDateTime) -> Result<TicketUse, Failure> {
    TicketUse::new(&node.codec(), ticket, now)
        .map_err(|e| ("INVALID_TICKET", format!("ticket rejected: {e}")))
}

fn session_ended(why: Ended) -> Failure {
    let why = match why {
        Ended::Logout => "its session has ended (logout)",
        Ended::Principal => "an administrator ended every session of its user",
        Ended::Grant => "its grant was revoked (a code or refresh token used twice, or revoked)",
    };
    ("INVALID_TICKET", format!("ticket rejected: {why}"))
}

/// A store URL for the log: without its password.
fn redact(url: &str) -> String {
    match url
        .split_once("://")
        .and_then(|(s, r)| r.split_once('@').map(|(_, h)| (s, h)))
    {
        Some((scheme, host)) => format!("{scheme}://…@{host}"),
        None => url.to_owned(),
    }
}

/// POSTs a SAML 2.0 `LogoutRequest` naming `ticket` to `service`
/// (`logoutRequest=…`, as Apereo CAS sends it). Failures are logged: a
/// service that does not answer keeps its own session.
fn single_logout(agent: &ureq::Agent, service: &str, ticket: &str, principal: &str) {
    let Some(request) = logout_request(principal, ticket) else {
        return;
    };
    let send = || {
        agent
            .post(service)
            .config()
            .timeout_global(Some(LOGOUT_TIMEOUT))
            .build()
            .send_form([("logoutRequest", request.as_str())])
    };
    // A kept-alive connection the application closed meanwhile (Apache's
    // KeepAliveTimeout is 5 s) fails as it is written: sent once more, on a
    // new connection. A logout the application gets twice ends nothing more.
    let sent = match send() {
        Err(ureq::Error::Io(e)) => {
            tracing::info!("single logout to {service}: {e}; sending it again");
            send()
        }
        other => other,
    };
    match sent {
        Ok(response) => tracing::info!("single logout sent to {service} ({})", response.status()),
        // The error may quote the URL, never the ticket: it is in the body.
        Err(e) => tracing::warn!("single logout to {service} failed: {e}"),
    }
}

fn logout_request(principal: &str, ticket: &str) -> Option<String> {
    let id = page::random_hex().unwrap_or_else(|| "0".repeat(2 * page::RANDOM_BYTES));
    let instant = rfc3339(OffsetDateTime::now_utc());
    let mut w = Writer::new(Vec::new());
    w.create_element("samlp:LogoutRequest")
        .with_attribute(("xmlns:samlp", "urn:oasis:names:tc:SAML:2.0:protocol"))
        .with_attribute(("xmlns:saml", "urn:oasis:names:tc:SAML:2.0:assertion"))
        .with_attribute(("ID", format!("LR-{id}").as_str()))
        .with_attribute(("Version", "2.0"))
        .with_attribute(("IssueInstant", instant.as_str()))
        .write_inner_content(|w| {
            w.create_element("saml:NameID")
                .write_text_content(BytesText::new(principal))?;
            w.create_element("samlp:SessionIndex")
                .write_text_content(BytesText::new(ticket))?;
            Ok::<(), std::io::Error>(())
        })
        .ok()?;
    String::from_utf8(w.into_inner()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_logout_request_names_the_ticket_and_escapes_the_user() {
        let request = logout_request("a<b&c", "ST-abc").unwrap();
        assert!(request.starts_with("<samlp:LogoutRequest "), "{request}");
        assert!(request.contains("<samlp:SessionIndex>ST-abc</samlp:SessionIndex>"));
        assert!(request.contains("<saml:NameID>a&lt;b&amp;c</saml:NameID>"));
    }

    /// What a record that opens still has to pass before a logout request
    /// goes out: the ticket is one of the session's STs or PTs, a kept URL
    /// is the ticket's own service, and the registry lists it (FORMAT.md
    /// §13). Records sealed by the pool's keys reach these checks only if a
    /// node, or a holder of the keys, wrote them.
    #[test]
    fn a_record_names_a_listed_service_of_its_own_session_or_nothing() {
        use cas_ticket_codec::{Alg, Authentication, Claims, Grant, Keyring, Service, SessionId};
        use time::Duration;
        let codec = Codec::new(&Keyring::generate(Alg::Aes256Gcm).unwrap());
        let now = OffsetDateTime::now_utc();
        let session = Session::new(SessionId::generate().unwrap(), now + Duration::hours(8));
        let other = Session::new(SessionId::generate().unwrap(), now + Duration::hours(8));
        let short = "https://app.example.edu/";
        let long = format!("https://app.example.edu/{}", "a".repeat(80));
        let elsewhere = format!("https://app.example.edu/other/{}", "b".repeat(80));
        let mint = |kind: Kind, service: &str, session: Option<Session>| {
            let auth = Authentication::new("jdoe", now).unwrap();
            let service = Service::new(service).unwrap();
            // A TGT's session ends when it expires.
            let (grant, lifetime) = match kind {
                Kind::Tgt => (Grant::TicketGranting, Duration::hours(8)),
                _ => (
                    Grant::Service {
                        service,
                        fresh_login: false,
                    },
                    Duration::seconds(10),
                ),
            };
            let mut claims = Claims::with_lifetime(auth, grant, now, lifetime).unwrap();
            if let Some(session) = session {
                claims = claims.with_session(session).unwrap();
            }
            codec.encode(&claims).unwrap()
        };
        let record = |ticket: String, service: Option<&str>| LogoutRecord {
            ticket,
            service: service.map(str::to_owned),
        };
        let listed = |url: &str| url.starts_with("https://app.example.edu/");
        let target = |r: &LogoutRecord| target_of(&codec, &session, r, listed);

        let st = mint(Kind::St, short, Some(session));
        assert_eq!(target(&record(st.clone(), None)), Ok(short.to_owned()));
        let long_st = mint(Kind::St, &long, Some(session));
        assert_eq!(
            target(&record(long_st.clone(), Some(&long))),
            Ok(long.clone())
        );

        let refused = [
            (
                record(mint(Kind::St, short, Some(other)), None),
                "a recorded ticket is not one of the session's",
            ),
            (
                record(mint(Kind::St, short, None), None),
                "a recorded ticket is not one of the session's",
            ),
            (
                record(mint(Kind::Tgt, short, Some(session)), None),
                "a recorded ticket is not one of the session's",
            ),
            (
                record(st.clone(), Some(short)),
                "a recorded URL is not the ticket's service",
            ),
            (
                record(long_st.clone(), None),
                "a recorded URL is not the ticket's service",
            ),
            (
                record(long_st.clone(), Some(&elsewhere)),
                "a recorded URL is not the ticket's service",
            ),
            (
                record(st.replacen("ST-0", "ST-1", 1), None),
                "a recorded ticket does not open",
            ),
        ];
        for (r, why) in refused {
            let got = target(&r);
            assert!(
                matches!(&got, Err(e) if e.starts_with(why)),
                "{got:?}, not {why}"
            );
        }
        // Its own session's ticket for a service this node does not list.
        let unlisted = mint(Kind::St, "https://intranet.example.edu/", Some(session));
        assert_eq!(
            target(&record(unlisted, None)),
            Err("\"https://intranet.example.edu/\" is not registered for single logout".to_owned())
        );
    }

    #[test]
    fn store_urls_are_logged_without_passwords() {
        assert_eq!(redact("redis://:s3cret@h:6379/"), "redis://…@h:6379/");
        assert_eq!(redact("redis://h:6379/"), "redis://h:6379/");
    }
}
