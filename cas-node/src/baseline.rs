//! `--registry-baseline URL`: what a Redis ticket registry does, so that
//! `benches/load/run` can measure the store against it (issue 13). It is a
//! yardstick, not a mode to deploy: the store gives the same guarantees
//! (one validation per ticket, logout on every node) while storing no
//! ticket.
//!
//! As the seeds' registries work: every ticket is stored when issued, under
//! its own text, with its claims as JSON, until it expires; an ST or PT is
//! taken (`GETDEL`) when validated, and refused if it is not there; a TGT
//! or PGT counts only while it is there; logout deletes the TGT. (A real
//! registry also deletes, at logout, the tickets the TGT granted, which it
//! tracks in the TGT; this yardstick does not track them, so it does a
//! little less work per login than a real one.)

use std::time::Duration as StdDuration;

use cas_ticket_codec::Claims;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use time::OffsetDateTime;

use crate::validate::Failure;

/// A registry on one Redis server.
pub struct Baseline {
    connection: ConnectionManager,
    timeout: StdDuration,
}

impl Baseline {
    /// A registry on the Redis server at `url`; each call fails after `timeout`.
    pub fn open(url: &str, timeout: StdDuration) -> Result<Self, String> {
        let client = redis::Client::open(url).map_err(|e| format!("--registry-baseline: {e}"))?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(timeout))
            .set_response_timeout(Some(timeout))
            .set_number_of_retries(1);
        let connection = ConnectionManager::new_lazy_with_config(client, config)
            .map_err(|e| format!("--registry-baseline: {e}"))?;
        Ok(Baseline {
            connection,
            timeout,
        })
    }

    async fn run<T: redis::FromRedisValue>(&self, command: &redis::Cmd) -> Result<T, Failure> {
        let mut connection = self.connection.clone();
        match tokio::time::timeout(self.timeout, command.query_async(&mut connection)).await {
            Ok(Ok(answer)) => Ok(answer),
            Ok(Err(e)) => Err(unavailable(&format!("{:?}", e.kind()))),
            Err(_) => Err(unavailable("timeout")),
        }
    }

    /// Stores a ticket just issued until it expires.
    pub async fn issued(&self, text: &str, claims: &Claims) -> Result<(), Failure> {
        let value = serde_json::to_string(claims)
            .map_err(|e| unavailable(&format!("cannot serialize the ticket: {e}")))?;
        let left = claims.expires_at() - OffsetDateTime::now_utc();
        let millis = left.whole_milliseconds().max(1);
        let mut set = redis::cmd("SET");
        set.arg(text).arg(value).arg("PX").arg(millis as u64);
        self.run::<()>(&set).await
    }

    /// Takes an ST or PT at its validation: there once, then gone.
    pub async fn taken(&self, text: &str) -> Result<(), Failure> {
        let value: Option<String> = self.run(redis::cmd("GETDEL").arg(text)).await?;
        match value {
            Some(_) => Ok(()),
            None => Err((
                "INVALID_TICKET",
                "ticket rejected: not in the registry (validated before, or never issued)"
                    .to_owned(),
            )),
        }
    }

    /// Whether a TGT or PGT is still registered (not logged out).
    pub async fn held(&self, text: &str) -> Result<(), Failure> {
        let found: i64 = self.run(redis::cmd("EXISTS").arg(text)).await?;
        match found {
            1 => Ok(()),
            _ => Err((
                "INVALID_TICKET",
                "ticket rejected: not in the registry".to_owned(),
            )),
        }
    }

    /// Logout: the TGT is deleted.
    pub async fn removed(&self, text: &str) -> Result<(), Failure> {
        self.run::<i64>(redis::cmd("DEL").arg(text)).await.map(drop)
    }
}

fn unavailable(why: &str) -> Failure {
    tracing::warn!("the registry failed: {why}");
    (
        "INTERNAL_ERROR",
        "the ticket registry is unavailable; try again".to_owned(),
    )
}
