//! The [`Store`] on Redis or Redis Cluster (feature `redis`).
//!
//! One validation is one round trip, on one node: `SET spent NX PX` (first
//! use wins, pool-wide) and `EXISTS ended`, in a pipeline; or, when the
//! ticket is recorded for single logout, a script that does both and then
//! appends the ticket's record to its session's field of the record hash
//! (the last 64 records; FORMAT.md §13). A session's keys share a hash tag,
//! so Redis Cluster keeps them on one node. Every key expires with the
//! ticket or session it guards: the store needs no cleaner. Each call has a
//! timeout; a connection that drops is reopened by the client
//! (`ConnectionManager`, or the cluster client) without a restart.

use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::cluster::ClusterClient;
use redis::cluster_async::ClusterConnection;
use redis::{Pipeline, RedisError, Script};
use time::OffsetDateTime;

use crate::claims::Session;
use crate::oauth::GrantId;
use crate::store::{
    Attempt, AttemptCount, Ended, MAX_RECORDS_FIELD_BYTES, MAX_RECORDS_PER_SESSION,
    MAX_SEALED_RECORD_BYTES, MIN_SEALED_RECORD_BYTES, Records, SealedRecord, Spend, Store,
    StoreError, StoreFuture, TicketUse, Verdict, attempts_key, ended_key, grant_key, principal_key,
    read_field, records_field, records_key, spent_key, unix_ms,
};

/// A validation that records its ticket for single logout (FORMAT.md §13).
/// KEYS: the spent mark, the ended mark, the session's record hash. ARGV:
/// the spent mark's milliseconds, the session's field, the sealed record,
/// the hash's milliseconds, the records kept per session, the most bytes a
/// field may hold, the least and the most bytes of a record. A field larger
/// than a node writes is never read (a writer to the store could otherwise
/// stall Redis parsing megabytes), and one that is not a sequence of
/// records is replaced; either way the script answers its size.
const SPEND_AND_RECORD: &str = r"
local first = redis.call('SET', KEYS[1], '1', 'NX', 'PX', ARGV[1])
local ended = redis.call('EXISTS', KEYS[2])
local dropped = -1
if first and ended == 0 then
  local old = ''
  local size = redis.call('HSTRLEN', KEYS[3], ARGV[2])
  if size > tonumber(ARGV[6]) then
    dropped = size
  elseif size > 0 then
    old = redis.call('HGET', KEYS[3], ARGV[2])
  end
  local least, most = tonumber(ARGV[7]), tonumber(ARGV[8])
  local starts, at = {}, 1
  while at <= #old do
    local hi, lo = string.byte(old, at, at + 1)
    local length = 2 + (hi or 0) * 256 + (lo or 0)
    if length < least or length > most or at + length - 1 > #old then
      dropped, starts, old = #old, {}, ''
      break
    end
    starts[#starts + 1] = at
    at = at + length
  end
  local kept = tonumber(ARGV[5])
  local from = 1
  if #starts >= kept then from = starts[#starts - kept + 2] end
  redis.call('HSET', KEYS[3], ARGV[2], string.sub(old, from) .. ARGV[3])
  if redis.call('PTTL', KEYS[3]) < tonumber(ARGV[4]) then
    redis.call('PEXPIRE', KEYS[3], ARGV[4])
  end
end
if first then return {1, ended, dropped} end
return {0, ended, dropped}
";

/// A logout (FORMAT.md §13). KEYS: the ended mark, the session's record
/// hash. ARGV: the ended mark's milliseconds, the session's field, the most
/// bytes a field may hold. Answers the field and -1, or, for a field larger
/// than a node writes, deletes it unread and answers '' and its size.
const END_SESSION: &str = r"
redis.call('SET', KEYS[1], '1', 'PX', ARGV[1])
local size = redis.call('HSTRLEN', KEYS[2], ARGV[2])
if size > tonumber(ARGV[3]) then
  redis.call('HDEL', KEYS[2], ARGV[2])
  return {'', size}
end
return {redis.call('HGET', KEYS[2], ARGV[2]) or '', -1}
";

/// A connection to one Redis server or to a cluster.
#[derive(Clone)]
enum Connection {
    Single(ConnectionManager),
    Cluster(ClusterConnection),
}

/// The store on Redis (`redis://`, `rediss://` for TLS) or Redis Cluster.
#[derive(Clone)]
pub struct RedisStore {
    connection: Connection,
    timeout: Duration,
    spend_and_record: Script,
    end_session: Script,
}

impl std::fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match self.connection {
            Connection::Single(_) => "single",
            Connection::Cluster(_) => "cluster",
        };
        f.debug_struct("RedisStore")
            .field("connection", &kind)
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// Why [`RedisStore::eviction_policies`] has no answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PolicyUnknown {
    /// The store could not be asked (down, slow).
    Store(StoreError),
    /// A server answered without saying: `CONFIG` renamed or forbidden, as
    /// some managed Redis do. The text says what it answered (no values).
    Refused(String),
}

impl From<StoreError> for PolicyUnknown {
    fn from(e: StoreError) -> Self {
        PolicyUnknown::Store(e)
    }
}

impl std::fmt::Display for PolicyUnknown {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PolicyUnknown::Store(e) => e.fmt(f),
            PolicyUnknown::Refused(why) => f.write_str(why),
        }
    }
}

impl std::error::Error for PolicyUnknown {}

/// A `CONFIG GET` answer that is not the setting (refused by the server, a
/// managed Redis that renames or forbids `CONFIG`).
fn refused_config(e: impl std::fmt::Display) -> PolicyUnknown {
    PolicyUnknown::Refused(format!("CONFIG GET maxmemory-policy was refused: {e}"))
}

/// What a Redis error means for the store, in words that tell apart a
/// server that is down, one that is full and one whose keys someone else
/// wrote; never a value.
fn unavailable(e: &RedisError) -> StoreError {
    // A pipeline's error holds the errors of its commands: the first names
    // the cause.
    let code = e.code().map(str::to_owned).or_else(|| {
        e.clone()
            .into_server_errors()
            .and_then(|errors| errors.first().map(|(_, error)| error.code().to_owned()))
    });
    match code.as_deref() {
        // maxmemory reached under noeviction: writes are refused.
        Some("OOM") => StoreError::Full,
        Some("WRONGTYPE") => StoreError::WrongType,
        _ if e.is_connection_refusal() => {
            StoreError::Unavailable("Redis is down: the connection was refused".to_owned())
        }
        _ if e.is_io_error() || e.is_connection_dropped() => {
            StoreError::Unavailable(format!("Redis is unreachable: {:?}", e.kind()))
        }
        _ => StoreError::Unavailable(format!("{:?}: {}", e.kind(), e.category())),
    }
}

impl RedisStore {
    /// A store on the Redis server at `url`. Connects lazily and reconnects
    /// by itself: a node starts, and goes on, while Redis is down (each call
    /// then fails within `timeout`). For `rediss://`, the server's
    /// certificate must chain to `ca_pem` if given, else to the system's
    /// trust store. Runs its connection in the current Tokio runtime.
    pub async fn single(
        url: &str,
        timeout: Duration,
        ca_pem: Option<&[u8]>,
    ) -> Result<Self, StoreError> {
        // rediss:// needs a process-wide TLS provider; a second install is harmless.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = match ca_pem {
            Some(ca) => redis::Client::build_with_tls(url, certificates(ca)),
            None => redis::Client::open(url),
        }
        .map_err(|e| unavailable(&e))?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(timeout))
            .set_response_timeout(Some(timeout))
            .set_number_of_retries(1);
        let manager =
            ConnectionManager::new_lazy_with_config(client, config).map_err(|e| unavailable(&e))?;
        Ok(RedisStore {
            connection: Connection::Single(manager),
            timeout,
            spend_and_record: Script::new(SPEND_AND_RECORD),
            end_session: Script::new(END_SESSION),
        })
    }

    /// A store on the Redis Cluster that `seeds` (node URLs) belong to;
    /// `ca_pem` as for [`RedisStore::single`].
    pub async fn cluster(
        seeds: &[String],
        timeout: Duration,
        ca_pem: Option<&[u8]>,
    ) -> Result<Self, StoreError> {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let mut builder = ClusterClient::builder(seeds.iter().map(String::as_str))
            .connection_timeout(timeout)
            .response_timeout(timeout);
        if let Some(ca) = ca_pem {
            builder = builder.certs(certificates(ca));
        }
        let client = builder.build().map_err(|e| unavailable(&e))?;
        let connection = tokio::time::timeout(timeout, client.get_async_connection())
            .await
            .map_err(|_| StoreError::Timeout)?
            .map_err(|e| unavailable(&e))?;
        Ok(RedisStore {
            connection: Connection::Cluster(connection),
            timeout,
            spend_and_record: Script::new(SPEND_AND_RECORD),
            end_session: Script::new(END_SESSION),
        })
    }

    /// The `maxmemory-policy` of the Redis server, or of every primary of a
    /// cluster, as (server, policy). The store is only sound on
    /// `noeviction`: a server that evicts keys under memory pressure can
    /// drop a spent mark or an ended session, and the ticket or session is
    /// accepted again, silently. A server that refuses `CONFIG GET` (some
    /// managed Redis) is [`PolicyUnknown::Refused`].
    pub async fn eviction_policies(&self) -> Result<Vec<(String, String)>, PolicyUnknown> {
        let mut get = redis::cmd("CONFIG");
        get.arg("GET").arg("maxmemory-policy");
        let answers: Vec<(String, redis::Value)> = match &self.connection {
            Connection::Single(c) => {
                let asked = self
                    .retried_raw(|| {
                        let mut c = c.clone();
                        let get = get.clone();
                        async move { get.query_async(&mut c).await }
                    })
                    .await?;
                let value = match asked {
                    Ok(value) => value,
                    // The server answered, and said no.
                    Err(e) if !e.is_io_error() && !e.is_connection_refusal() => {
                        return Err(refused_config(e));
                    }
                    Err(e) => return Err(unavailable(&e).into()),
                };
                vec![("the server".to_owned(), value)]
            }
            Connection::Cluster(c) => {
                use redis::cluster_routing::{MultipleNodeRoutingInfo, RoutingInfo};
                let by_node = self
                    .retried(|| {
                        let mut c = c.clone();
                        let get = get.clone();
                        let every_primary =
                            RoutingInfo::MultiNode((MultipleNodeRoutingInfo::AllMasters, None));
                        async move { c.route_command(get, every_primary).await }
                    })
                    .await?;
                redis::from_redis_value(by_node).map_err(refused_config)?
            }
        };
        answers
            .into_iter()
            .map(|(server, value)| {
                let mut config: std::collections::HashMap<String, String> =
                    redis::from_redis_value(value).map_err(refused_config)?;
                config
                    .remove("maxmemory-policy")
                    .map(|policy| (server, policy))
                    .ok_or_else(|| {
                        PolicyUnknown::Refused("CONFIG GET maxmemory-policy: no answer".to_owned())
                    })
            })
            .collect()
    }

    /// Runs `pipe` in one round trip, within the timeout.
    async fn run<T: redis::FromRedisValue>(&self, pipe: &Pipeline) -> Result<T, StoreError> {
        self.retried(|| async {
            match self.connection.clone() {
                Connection::Single(mut c) => pipe.query_async(&mut c).await,
                Connection::Cluster(mut c) => pipe.query_async(&mut c).await,
            }
        })
        .await
    }

    /// Runs `script` (one round trip, `EVALSHA`; a server that does not
    /// have it yet is sent it once), within the timeout.
    async fn run_script<T: redis::FromRedisValue>(
        &self,
        script: &redis::ScriptInvocation<'_>,
    ) -> Result<T, StoreError> {
        self.retried(|| async {
            match self.connection.clone() {
                Connection::Single(mut c) => script.invoke_async(&mut c).await,
                Connection::Cluster(mut c) => script.invoke_async(&mut c).await,
            }
        })
        .await
    }

    /// `call`, within the timeout; once more, within what is left of it,
    /// when the connection turns out to be broken (Redis restarted: the old
    /// socket is closed, and the client has just reconnected). Retrying
    /// errs on the safe side: if the first attempt did reach Redis before
    /// the connection broke, the retry finds its own spent mark and the
    /// ticket is refused as replayed, never accepted twice.
    async fn retried<T, F: Future<Output = redis::RedisResult<T>>>(
        &self,
        call: impl Fn() -> F,
    ) -> Result<T, StoreError> {
        self.retried_raw(call).await?.map_err(|e| unavailable(&e))
    }

    /// [`RedisStore::retried`], with Redis's own error kept: only running
    /// out of time is a [`StoreError`] here.
    async fn retried_raw<T, F: Future<Output = redis::RedisResult<T>>>(
        &self,
        call: impl Fn() -> F,
    ) -> Result<redis::RedisResult<T>, StoreError> {
        let started = tokio::time::Instant::now();
        match tokio::time::timeout(self.timeout, call()).await {
            Err(_) => Err(StoreError::Timeout),
            Ok(Err(e)) if e.is_connection_dropped() || e.is_io_error() => {
                let left = self.timeout.saturating_sub(started.elapsed());
                tokio::time::timeout(left, call())
                    .await
                    .map_err(|_| StoreError::Timeout)
            }
            Ok(answer) => Ok(answer),
        }
    }
}

fn certificates(ca_pem: &[u8]) -> redis::TlsCertificates {
    redis::TlsCertificates {
        client_tls: None,
        root_cert: Some(ca_pem.to_vec()),
    }
}

/// Milliseconds for `PX` and `PEXPIRE`: at least 1.
fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX).max(1)
}

impl RedisStore {
    /// When an administrator last ended the sessions of `ticket`'s
    /// principal, in Unix milliseconds, if one did and it still holds.
    /// Sent alongside a validation's own call: on one connection, both go
    /// out before either answer is awaited, so it is the same round trip.
    async fn principal_ended(&self, ticket: &TicketUse) -> Result<Option<Ended>, StoreError> {
        let mut pipe = redis::pipe();
        pipe.cmd("GET").arg(principal_key(&ticket.principal_id()));
        let (at,): (Option<i64>,) = self.run(&pipe).await?;
        Ok(at
            .filter(|at| ticket.ended_by(*at))
            .map(|_| Ended::Principal))
    }

    /// Whether the OAuth grant of a code or token was revoked; no call for
    /// a ticket without one. Sent alongside, as [`Self::principal_ended`].
    async fn grant_ended(&self, ticket: &TicketUse) -> Result<Option<Ended>, StoreError> {
        let Some(grant) = ticket.grant() else {
            return Ok(None);
        };
        let mut pipe = redis::pipe();
        pipe.cmd("EXISTS").arg(grant_key(grant));
        let (ended,): (i64,) = self.run(&pipe).await?;
        Ok((ended == 1).then_some(Ended::Grant))
    }
}

impl Store for RedisStore {
    fn spend<'a>(
        &'a self,
        ticket: &'a TicketUse,
        record: Option<&'a SealedRecord>,
    ) -> StoreFuture<'a, Spend> {
        Box::pin(async move {
            let spend = async {
                match (ticket.session_claim(), record) {
                    (Some(session), Some(record)) => {
                        let mut script = self.spend_and_record.prepare_invoke();
                        script
                            .key(spent_key(ticket))
                            .key(ended_key(session.id()))
                            .key(records_key(session))
                            .arg(millis(ticket.keep_for()))
                            .arg(records_field(session.id()))
                            .arg(record.as_bytes())
                            .arg(millis(ticket.records_for()))
                            .arg(MAX_RECORDS_PER_SESSION)
                            .arg(MAX_RECORDS_FIELD_BYTES)
                            .arg(MIN_SEALED_RECORD_BYTES)
                            .arg(MAX_SEALED_RECORD_BYTES);
                        self.run_script::<(i64, i64, i64)>(&script).await
                    }
                    (session, _) => {
                        let mut pipe = redis::pipe();
                        pipe.cmd("SET")
                            .arg(spent_key(ticket))
                            .arg(1)
                            .arg("NX")
                            .arg("PX")
                            .arg(millis(ticket.keep_for()));
                        match session {
                            Some(session) => pipe.cmd("EXISTS").arg(ended_key(session.id())),
                            // No session: a constant, so that the reply has one shape.
                            None => pipe.cmd("ECHO").arg(0),
                        };
                        let (first, ended): (Option<String>, i64) = self.run(&pipe).await?;
                        Ok((i64::from(first.is_some()), ended, -1))
                    }
                }
            };
            let ((first, ended, dropped), principal, grant) = tokio::try_join!(
                spend,
                self.principal_ended(ticket),
                self.grant_ended(ticket)
            )?;
            let verdict = match (ended, principal.or(grant), first) {
                (1, _, _) => Verdict::Ended(Ended::Logout),
                (_, Some(ended), _) => Verdict::Ended(ended),
                (_, _, 0) => Verdict::Replayed,
                _ => Verdict::First,
            };
            Ok(Spend {
                verdict,
                dropped: u64::try_from(dropped).ok(),
            })
        })
    }

    fn ended<'a>(&'a self, ticket: &'a TicketUse) -> StoreFuture<'a, Option<Ended>> {
        Box::pin(async move {
            let logout = async {
                let Some(session) = ticket.session() else {
                    return Ok(false);
                };
                let mut pipe = redis::pipe();
                pipe.cmd("EXISTS").arg(ended_key(session));
                let (ended,): (i64,) = self.run(&pipe).await?;
                Ok(ended == 1)
            };
            let (logout, principal, grant) = tokio::try_join!(
                logout,
                self.principal_ended(ticket),
                self.grant_ended(ticket)
            )?;
            Ok(if logout {
                Some(Ended::Logout)
            } else {
                principal.or(grant)
            })
        })
    }

    fn answers(&self) -> StoreFuture<'_, ()> {
        Box::pin(async move {
            let mut pipe = redis::pipe();
            pipe.cmd("PING");
            let (_,): (String,) = self.run(&pipe).await?;
            Ok(())
        })
    }

    fn end_session<'a>(
        &'a self,
        session: &'a Session,
        lasting: Duration,
    ) -> StoreFuture<'a, Records> {
        Box::pin(async move {
            let mut script = self.end_session.prepare_invoke();
            script
                .key(ended_key(session.id()))
                .key(records_key(session))
                .arg(millis(lasting))
                .arg(records_field(session.id()))
                .arg(MAX_RECORDS_FIELD_BYTES);
            let (field, dropped): (Vec<u8>, i64) = self.run_script(&script).await?;
            let mut records = read_field(&field);
            records.dropped = records.dropped.or(u64::try_from(dropped).ok());
            Ok(records)
        })
    }

    fn end_principal<'a>(
        &'a self,
        ids: &'a [[u8; 16]],
        at: OffsetDateTime,
        lasting: Duration,
    ) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            // One key per id, each its own hash tag: one call each.
            for id in ids {
                let mut pipe = redis::pipe();
                pipe.cmd("SET")
                    .arg(principal_key(id))
                    .arg(unix_ms(at))
                    .arg("PX")
                    .arg(millis(lasting))
                    .ignore();
                self.run::<()>(&pipe).await?;
            }
            Ok(())
        })
    }

    fn end_grant<'a>(&'a self, grant: GrantId, lasting: Duration) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            let mut pipe = redis::pipe();
            pipe.cmd("SET")
                .arg(grant_key(grant))
                .arg(1)
                .arg("PX")
                .arg(millis(lasting))
                .ignore();
            self.run::<()>(&pipe).await
        })
    }

    fn count_attempts<'a>(
        &'a self,
        subjects: &'a [Attempt],
        now: OffsetDateTime,
    ) -> StoreFuture<'a, Vec<AttemptCount>> {
        Box::pin(async move {
            let mut pipe = redis::pipe();
            for attempt in subjects {
                let (index, lasting) = attempt.counter_at(now);
                let key = attempts_key(attempt, index);
                pipe.cmd("INCR").arg(&key);
                // The same end for every call in the window.
                pipe.cmd("PEXPIRE").arg(&key).arg(millis(lasting)).ignore();
                pipe.cmd("GET")
                    .arg(attempts_key(attempt, index.saturating_sub(1)));
            }
            let replies: Vec<Option<u64>> = self.run(&pipe).await?;
            if replies.len() != 2 * subjects.len() {
                return Err(StoreError::Unavailable(format!(
                    "the store answered {} counts for {} attempts",
                    replies.len(),
                    2 * subjects.len()
                )));
            }
            Ok(replies
                .chunks_exact(2)
                .map(|pair| AttemptCount {
                    this_window: pair.first().copied().flatten().unwrap_or(1),
                    previous_window: pair.get(1).copied().flatten().unwrap_or(0),
                })
                .collect())
        })
    }
}
