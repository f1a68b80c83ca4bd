//! Prometheus metrics, served on a listener of their own
//! (`--metrics-listen ADDR`, `GET /metrics`) so that the CAS port never
//! exposes them: logins by outcome (throttled attempts among them),
//! validations by endpoint and outcome, the latency of the store and of
//! the directory, and the key ids loaded. No metric carries a user name, a
//! ticket or an address.

use std::sync::Arc;
use std::time::Instant;

use cas_ticket_codec::Session;
use cas_ticket_codec::oauth::GrantId;
use cas_ticket_codec::store::{
    Attempt, AttemptCount, Ended, Records, SealedRecord, Spend, Store, StoreFuture, TicketUse,
};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use std::time::Duration;

use time::OffsetDateTime;

/// A metric's labels.
pub type Labels = Vec<(&'static str, String)>;

/// A latency histogram per operation, in seconds.
pub type Latency = Family<Labels, Histogram, fn() -> Histogram>;

/// Every metric the node keeps.
pub struct Metrics {
    registry: Registry,
    logins: Family<Labels, Counter>,
    validations: Family<Labels, Counter>,
    /// The store's calls, by operation.
    pub store_seconds: Latency,
    /// The directory's operations (`--ldap`), by operation.
    pub ldap_seconds: Latency,
    keys: Family<Labels, Gauge>,
}

/// 100 µs to about 3.3 s, doubling.
fn latency() -> Histogram {
    Histogram::new(exponential_buckets(0.000_1, 2.0, 16))
}

/// How a login form's POST ended.
#[derive(Clone, Copy)]
pub enum Login {
    Success,
    InvalidCredentials,
    Throttled,
    /// The throttle's counters could not be read (store down, fail closed).
    ThrottleUnavailable,
    /// The directory or users file could not be read.
    DirectoryUnavailable,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("cas");
        let logins = Family::<Labels, Counter>::default();
        registry.register(
            "logins",
            "Login form submissions, by outcome",
            logins.clone(),
        );
        let validations = Family::<Labels, Counter>::default();
        registry.register(
            "validations",
            "Ticket validations, by endpoint and outcome (success or the CAS error code)",
            validations.clone(),
        );
        let store_seconds = Latency::new_with_constructor(latency as fn() -> Histogram);
        registry.register(
            "store_seconds",
            "Latency of the ticket store's calls, by operation",
            store_seconds.clone(),
        );
        let ldap_seconds = Latency::new_with_constructor(latency as fn() -> Histogram);
        registry.register(
            "ldap_seconds",
            "Latency of the directory's operations, by operation and outcome",
            ldap_seconds.clone(),
        );
        let keys = Family::<Labels, Gauge>::default();
        registry.register(
            "keys",
            "Keys loaded (1 each), by key id; primary=\"true\" for the one that seals",
            keys.clone(),
        );
        Metrics {
            registry,
            logins,
            validations,
            store_seconds,
            ldap_seconds,
            keys,
        }
    }

    pub fn login(&self, outcome: Login) {
        let outcome = match outcome {
            Login::Success => "success",
            Login::InvalidCredentials => "invalid_credentials",
            Login::Throttled => "throttled",
            Login::ThrottleUnavailable => "throttle_unavailable",
            Login::DirectoryUnavailable => "directory_unavailable",
        };
        self.logins
            .get_or_create(&vec![("outcome", outcome.to_owned())])
            .inc();
    }

    /// One validation at `endpoint`: `outcome` is `success` or the CAS
    /// error code.
    pub fn validation(&self, endpoint: &'static str, outcome: &str) {
        self.validations
            .get_or_create(&vec![
                ("endpoint", endpoint.to_owned()),
                ("outcome", outcome.to_owned()),
            ])
            .inc();
    }

    /// The keys now loaded, replacing those before.
    pub fn keys_loaded(&self, ids: &[String], primary: &str) {
        self.keys.clear();
        for id in ids {
            self.keys
                .get_or_create(&vec![
                    ("key_id", id.clone()),
                    ("primary", (id == primary).to_string()),
                ])
                .set(1);
        }
    }

    /// The metrics in Prometheus' text format.
    pub fn encode(&self) -> String {
        let mut text = String::new();
        match prometheus_client::encoding::text::encode(&mut text, &self.registry) {
            Ok(()) => text,
            Err(e) => format!("# cannot encode the metrics: {e}\n"),
        }
    }
}

/// Times `f`'s future into `latency` under `operation`.
pub async fn timed<T>(latency: &Latency, labels: Labels, f: impl Future<Output = T>) -> T {
    let started = Instant::now();
    let out = f.await;
    latency
        .get_or_create(&labels)
        .observe(started.elapsed().as_secs_f64());
    out
}

/// A store whose every call is timed into `store_seconds`.
pub struct TimedStore {
    pub inner: Arc<dyn Store>,
    pub latency: Latency,
}

fn operation(name: &'static str) -> Labels {
    vec![("operation", name.to_owned())]
}

impl Store for TimedStore {
    fn spend<'a>(
        &'a self,
        ticket: &'a TicketUse,
        record: Option<&'a SealedRecord>,
    ) -> StoreFuture<'a, Spend> {
        Box::pin(timed(
            &self.latency,
            operation("spend"),
            self.inner.spend(ticket, record),
        ))
    }

    fn ended<'a>(&'a self, ticket: &'a TicketUse) -> StoreFuture<'a, Option<Ended>> {
        Box::pin(timed(
            &self.latency,
            operation("ended"),
            self.inner.ended(ticket),
        ))
    }

    fn answers(&self) -> StoreFuture<'_, ()> {
        Box::pin(timed(
            &self.latency,
            operation("answers"),
            self.inner.answers(),
        ))
    }

    fn end_session<'a>(
        &'a self,
        session: &'a Session,
        lasting: Duration,
    ) -> StoreFuture<'a, Records> {
        Box::pin(timed(
            &self.latency,
            operation("end_session"),
            self.inner.end_session(session, lasting),
        ))
    }

    fn end_principal<'a>(
        &'a self,
        ids: &'a [[u8; 16]],
        at: OffsetDateTime,
        lasting: Duration,
    ) -> StoreFuture<'a, ()> {
        Box::pin(timed(
            &self.latency,
            operation("end_principal"),
            self.inner.end_principal(ids, at, lasting),
        ))
    }

    fn end_grant<'a>(&'a self, grant: GrantId, lasting: Duration) -> StoreFuture<'a, ()> {
        Box::pin(timed(
            &self.latency,
            operation("end_grant"),
            self.inner.end_grant(grant, lasting),
        ))
    }

    fn count_attempts<'a>(
        &'a self,
        subjects: &'a [Attempt],
        now: OffsetDateTime,
    ) -> StoreFuture<'a, Vec<AttemptCount>> {
        Box::pin(timed(
            &self.latency,
            operation("count_attempts"),
            self.inner.count_attempts(subjects, now),
        ))
    }
}

/// `GET /metrics` on `--metrics-listen`.
pub async fn serve(metrics: Arc<Metrics>, listener: tokio::net::TcpListener) {
    let app = axum::Router::new().route(
        "/metrics",
        axum::routing::get(move || {
            let metrics = Arc::clone(&metrics);
            async move {
                (
                    [(
                        axum::http::header::CONTENT_TYPE,
                        "text/plain; version=0.0.4; charset=utf-8",
                    )],
                    metrics.encode(),
                )
            }
        }),
    );
    if let Err(e) = axum::serve(listener, app).await {
        tracing::error!("the metrics listener failed: {e}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics_are_counted_and_exposed_by_label() {
        let metrics = Metrics::new();
        metrics.login(Login::Success);
        metrics.login(Login::Throttled);
        metrics.login(Login::Throttled);
        metrics.validation("p3/serviceValidate", "success");
        metrics.validation("p3/serviceValidate", "INVALID_TICKET");
        metrics.keys_loaded(&["k1".to_owned(), "k2".to_owned()], "k2");
        metrics.keys_loaded(&["k2".to_owned()], "k2");
        metrics
            .store_seconds
            .get_or_create(&operation("spend"))
            .observe(0.0003);
        let text = metrics.encode();
        for line in [
            "cas_logins_total{outcome=\"success\"} 1",
            "cas_logins_total{outcome=\"throttled\"} 2",
            "cas_validations_total{endpoint=\"p3/serviceValidate\",outcome=\"success\"} 1",
            "cas_validations_total{endpoint=\"p3/serviceValidate\",outcome=\"INVALID_TICKET\"} 1",
            "cas_keys{key_id=\"k2\",primary=\"true\"} 1",
            "cas_store_seconds_bucket{le=\"0.0004\",operation=\"spend\"} 1",
            "cas_store_seconds_count{operation=\"spend\"} 1",
        ] {
            assert!(text.contains(line), "{line} in\n{text}");
        }
        assert!(
            !text.contains("key_id=\"k1\""),
            "a retired key is gone:\n{text}"
        );
    }
}
