//! The node: everything the handlers share, and what they ask of it.

use std::sync::{Arc, RwLock};

use cas_ticket_codec::{Claims, Codec, Grant, Keyring, normalize};
use time::{Duration, OffsetDateTime};

use crate::accounts::Accounts;
use crate::baseline::Baseline;
use crate::config::Flags;
use crate::metrics::Metrics;
use crate::oidc::Oidc;
use crate::pool_state::PoolState;
use crate::registry::{RegisteredService, Registry};
use crate::{client, throttle, validate};

/// Everything the handlers share. The codec sits behind a lock only so that
/// SIGHUP can swap it; requests clone the `Arc` and never hold the lock.
pub struct Node {
    pub codec: RwLock<Arc<Codec>>,
    pub flags: Flags,
    pub callbacks: ureq::Agent,
    /// The pool-wide store (`--store`), if any.
    pub state: Option<PoolState>,
    /// The service registry as last loaded (`--services`).
    pub services: RwLock<Arc<Registry>>,
    /// The ticket registry of `--registry-baseline`, if any.
    pub baseline: Option<Baseline>,
    /// `--trusted-proxy`.
    pub trusted: client::TrustedProxies,
    /// Password-guessing counters: in the store, or in this node.
    pub throttle: throttle::Throttle,
    /// Who may log in, and their attributes.
    pub accounts: Accounts,
    /// What `--metrics-listen` serves.
    pub metrics: Arc<Metrics>,
    /// The OpenID provider (`--oidc-issuer`), if the node is one.
    pub oidc: Option<Oidc>,
}

impl Node {
    /// The codec of the keyring as last loaded.
    pub fn codec(&self) -> Arc<Codec> {
        match self.codec.read() {
            Ok(codec) => Arc::clone(&codec),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    /// The service registry as last loaded.
    pub fn services(&self) -> Arc<Registry> {
        match self.services.read() {
            Ok(services) => Arc::clone(&services),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    /// The codec of the key file, and a line naming its keys (never
    /// secrets); the key ids go to the metrics.
    pub fn load_codec(flags: &Flags, metrics: &Metrics) -> Result<(Codec, String), String> {
        let keyring = Keyring::load(&flags.keys)
            .map_err(|e| format!("cannot load keyring {}: {e}", flags.keys.display()))?;
        let ids: Vec<String> = keyring.keys().iter().map(|k| k.id().to_string()).collect();
        metrics.keys_loaded(&ids, &keyring.primary().to_string());
        let summary = format!("keys {}, primary {}", ids.join(" "), keyring.primary());
        Ok((Codec::new(&keyring).with_leeway(flags.leeway), summary))
    }

    /// SIGHUP: the keyring and the service registry are read again; one
    /// that does not load leaves the one in use in place.
    pub fn reload(&self) {
        match Registry::load(&self.flags.services) {
            Ok(services) => {
                let count = services.len();
                match self.services.write() {
                    Ok(mut slot) => *slot = Arc::new(services),
                    Err(poisoned) => *poisoned.into_inner() = Arc::new(services),
                }
                tracing::info!("service registry reloaded: {count} services");
            }
            Err(e) => tracing::warn!("{e}; keeping the service registry in use"),
        }
        match Node::load_codec(&self.flags, &self.metrics) {
            Ok((codec, summary)) => {
                match self.codec.write() {
                    Ok(mut slot) => *slot = Arc::new(codec),
                    Err(poisoned) => *poisoned.into_inner() = Arc::new(codec),
                }
                tracing::info!("keyring reloaded: {summary}");
            }
            Err(e) => tracing::warn!("{e}; keeping the keyring in use"),
        }
        if let Some(oidc) = &self.oidc {
            oidc.reload();
        }
    }

    /// Seals `grant`, minted from `parent` (an ST or PGT from a TGT, a PT
    /// from a PGT) as of `now`: valid for `lifetime` or until the parent's
    /// session ends, whichever comes first. The ticket, and its claims.
    pub fn mint(
        &self,
        parent: &Claims,
        grant: Grant,
        now: OffsetDateTime,
        lifetime: Duration,
    ) -> Result<(String, Claims), cas_ticket_codec::Error> {
        let claims = Claims::minted_from(parent, grant, now, lifetime)?;
        Ok((self.codec().encode(&claims)?, claims))
    }

    /// With `--registry-baseline`: stores a ticket just issued.
    pub async fn register(&self, text: &str, claims: &Claims) -> Result<(), validate::Failure> {
        match &self.baseline {
            Some(baseline) => baseline.issued(text, claims).await,
            None => Ok(()),
        }
    }

    /// The registered service `url` belongs to, if any, and `url`
    /// normalized. An OpenID provider's own authorization request for a
    /// registered client is one: the login sends it back an ST.
    pub fn registered(&self, url: &str) -> Option<(Arc<RegisteredService>, String)> {
        let url = normalize(url).ok()?;
        let services = self.services();
        if let Some(oidc) = &self.oidc
            && let Some(entry) = oidc.authorization_request(&url, &services)
        {
            return Some((entry, url));
        }
        Some((services.find(&url)?, url))
    }

    /// Where to send single-logout requests for `service`: its normalized
    /// URL, if the store is on and its registry entry says `single_logout`.
    pub fn single_logout_target(&self, service: &str) -> Option<String> {
        self.state.as_ref()?;
        let (entry, url) = self.registered(service)?;
        entry.single_logout.then_some(url)
    }
}
