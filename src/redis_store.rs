//! The [`Store`] on Redis or Redis Cluster (feature `redis`).
//!
//! One validation is one pipeline, one round trip, on one node: `SET spent
//! NX PX` (first use wins, pool-wide), `EXISTS ended`, and, for single
//! logout, `RPUSH visits`, `LTRIM visits` (the last 64) and `PEXPIRE visits`. A session's keys share a
//! hash tag, so Redis Cluster keeps them on one node. Every key expires with
//! the ticket or session it guards: the store needs no cleaner. Each call
//! has a timeout; a connection that drops is reopened by the client
//! (`ConnectionManager`, or the cluster client) without a restart.

use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::cluster::ClusterClient;
use redis::cluster_async::ClusterConnection;
use redis::{Pipeline, RedisError};

use crate::claims::SessionId;
use crate::store::{
    MAX_VISITS_PER_SESSION, ServiceVisit, Store, StoreError, StoreFuture, TicketUse, Verdict,
    ended_key, parse_visit, spent_key, visit_value, visits_key,
};

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

fn unavailable(e: &RedisError) -> StoreError {
    // The error's text names the command and the server, never a value.
    StoreError::Unavailable(format!("{:?}: {}", e.kind(), e.category()))
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
        })
    }

    /// Runs `pipe` in one round trip, within the timeout.
    async fn run<T: redis::FromRedisValue>(&self, pipe: &Pipeline) -> Result<T, StoreError> {
        let call = async {
            match self.connection.clone() {
                Connection::Single(mut c) => pipe.query_async(&mut c).await,
                Connection::Cluster(mut c) => pipe.query_async(&mut c).await,
            }
        };
        tokio::time::timeout(self.timeout, call)
            .await
            .map_err(|_| StoreError::Timeout)?
            .map_err(|e| unavailable(&e))
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

impl Store for RedisStore {
    fn spend<'a>(
        &'a self,
        ticket: &'a TicketUse,
        visit: Option<&'a ServiceVisit>,
    ) -> StoreFuture<'a, Verdict> {
        Box::pin(async move {
            let mut pipe = redis::pipe();
            pipe.cmd("SET")
                .arg(spent_key(ticket))
                .arg(1)
                .arg("NX")
                .arg("PX")
                .arg(millis(ticket.keep_for()));
            let session = ticket.session();
            match session {
                Some(session) => pipe.cmd("EXISTS").arg(ended_key(session)),
                // No session: a constant, so that the reply has one shape.
                None => pipe.cmd("ECHO").arg(0),
            };
            if let (Some(session), Some(visit)) = (session, visit) {
                pipe.cmd("RPUSH")
                    .arg(visits_key(session))
                    .arg(visit_value(visit))
                    .ignore()
                    .cmd("LTRIM")
                    .arg(visits_key(session))
                    .arg(-(MAX_VISITS_PER_SESSION as i64))
                    .arg(-1)
                    .ignore()
                    .cmd("PEXPIRE")
                    .arg(visits_key(session))
                    .arg(millis(ticket.session_for()))
                    .arg("GT")
                    .ignore();
                // A new list has no expiry for GT to compare with: set one.
                pipe.cmd("PEXPIRE")
                    .arg(visits_key(session))
                    .arg(millis(ticket.session_for()))
                    .arg("NX")
                    .ignore();
            }
            let (first, ended): (Option<String>, i64) = self.run(&pipe).await?;
            Ok(match (ended, first) {
                (1, _) => Verdict::SessionEnded,
                (_, None) => Verdict::Replayed,
                (_, Some(_)) => Verdict::First,
            })
        })
    }

    fn session_ended(&self, session: SessionId) -> StoreFuture<'_, bool> {
        Box::pin(async move {
            let mut pipe = redis::pipe();
            pipe.cmd("EXISTS").arg(ended_key(session));
            let (ended,): (i64,) = self.run(&pipe).await?;
            Ok(ended == 1)
        })
    }

    fn end_session(
        &self,
        session: SessionId,
        lasting: Duration,
    ) -> StoreFuture<'_, Vec<ServiceVisit>> {
        Box::pin(async move {
            // MULTI/EXEC: no visit recorded between the read and the delete is lost.
            let mut pipe = redis::pipe();
            pipe.atomic()
                .cmd("SET")
                .arg(ended_key(session))
                .arg(1)
                .arg("PX")
                .arg(millis(lasting))
                .ignore()
                .cmd("LRANGE")
                .arg(visits_key(session))
                .arg(0)
                .arg(-1)
                .cmd("DEL")
                .arg(visits_key(session))
                .ignore();
            let (visits,): (Vec<String>,) = self.run(&pipe).await?;
            Ok(visits.iter().filter_map(|v| parse_visit(v)).collect())
        })
    }
}
