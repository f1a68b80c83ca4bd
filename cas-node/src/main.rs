//! `cas_node`: a small CAS server whose tickets are all stateless, built on
//! the public API of `cas-ticket-codec` only. Run three of them on one
//! keyring and any node validates any node's tickets.
//!
//! ```sh
//! cargo run --example cas_node -- --listen 127.0.0.1:8443 \
//!     --keys keys.json --users users.txt --insecure-cookie
//! ```
//!
//! It speaks the parts of CAS protocol 3.0 a client needs: `/login` (form,
//! single sign-on through the `CASTGC` cookie, `renew`, `gateway`),
//! `/logout`, `/validate` (CAS 1.0), `/serviceValidate`, `/proxyValidate`
//! (CAS 2.0), `/p3/serviceValidate`, `/p3/proxyValidate` (CAS 3.0, with
//! attributes) and `/proxy`, with `pgtUrl` callbacks. `SIGHUP` reloads the
//! keyring (key rotation without a restart). The first line on standard output
//! is `listening on URL`, so a script can start it on port 0.

use std::path::PathBuf;
use std::sync::{Arc, RwLock};

use axum::Router;
use axum::http::StatusCode;
use axum::routing::{get, post};
use baseline::Baseline;
use cas_ticket_codec::duration;
use cas_ticket_codec::store::FailurePolicy;
use cas_ticket_codec::{Claims, Codec, Grant, Keyring, normalize};
use clap::Parser;
use pool_state::PoolState;
use registry::{RegisteredService, Registry};
use time::{Duration, OffsetDateTime};
use tower_http::catch_panic::CatchPanicLayer;
use ureq::tls::{Certificate, PemItem, RootCerts, parse_pem};

mod apereo;
mod baseline;
mod client;
mod front;
mod login;
mod page;
mod pool_state;
mod registry;
mod request;
mod saml;
mod throttle;
mod url_scope;
mod users;
mod validate;

/// A CAS server on stateless tickets: `cas-node --listen … --keys …
/// --users … --services …` serves; a command does something else.
#[derive(Parser, Debug)]
#[command(name = "cas-node", args_conflicts_with_subcommands = true)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    serve: Option<Flags>,
}

/// How the node serves.
#[derive(clap::Args, Debug)]
struct Flags {
    /// Address to listen on (port 0 picks a free port; the first line on
    /// standard output says which).
    #[arg(long, value_name = "ADDR")]
    listen: std::net::SocketAddr,
    /// The keyring file `ticketctl keygen` writes (mode 0600). SIGHUP reloads it.
    #[arg(long, value_name = "PATH", env = "TICKETCTL_KEYS")]
    keys: PathBuf,
    /// The service registry (TOML, `[[service]]` entries; registry.rs): the
    /// applications that may receive tickets, the attributes each gets, who
    /// may proxy and who is told of logouts. SIGHUP reloads it. An
    /// unregistered service gets a page, never a ticket.
    #[arg(long, value_name = "PATH")]
    services: PathBuf,
    /// Users file: `[users]` lines `name:password`, `[attributes]` lines
    /// `name attribute=value`. Read again on every login and validation.
    #[arg(long, value_name = "PATH")]
    users: PathBuf,
    /// Path of the CAS context: the routes live below it and the `CASTGC`
    /// cookie is scoped to it.
    #[arg(long, value_name = "PATH", default_value = "/cas", value_parser = parse_context)]
    context: String,
    /// Send the `CASTGC` cookie without `Secure`, so that a browser keeps it
    /// over plain HTTP (loopback tests only).
    #[arg(long)]
    insecure_cookie: bool,
    /// Lifetime of service and proxy tickets.
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = duration::parse_lifetime)]
    st_ttl: Duration,
    /// Lifetime of ticket-granting tickets (the SSO session).
    #[arg(long, value_name = "DURATION", default_value = "8h", value_parser = duration::parse_lifetime)]
    tgt_ttl: Duration,
    /// Lifetime of a TGT when the user ticked "remember me".
    #[arg(long, value_name = "DURATION", default_value = "7d", value_parser = duration::parse_lifetime)]
    remember_me_ttl: Duration,
    /// Lifetime of proxy-granting tickets.
    #[arg(long, value_name = "DURATION", default_value = "2h", value_parser = duration::parse_lifetime)]
    pgt_ttl: Duration,
    /// Clock-skew allowance past a ticket's expiration instant.
    #[arg(long, value_name = "DURATION", default_value = "0s", value_parser = duration::parse_duration)]
    leeway: Duration,
    /// A PEM file of CA certificates that https `pgtUrl` callbacks may chain
    /// to, besides the system's trust store (repeat for more): a campus's
    /// private CA.
    #[arg(long, value_name = "PEM_FILE")]
    proxy_ca: Vec<PathBuf>,
    /// The pool-wide ticket store: `redis://HOST:PORT`, `rediss://…` (TLS),
    /// or `memory` (this node only). With it an ST or PT validates once
    /// pool-wide and logout ends the session on every node; without it the
    /// node is stateless. Repeat with --store-cluster for a Redis Cluster's
    /// seed nodes.
    #[arg(long = "store", value_name = "URL")]
    store: Vec<String>,
    /// The --store URLs are nodes of a Redis Cluster.
    #[arg(long)]
    store_cluster: bool,
    /// A PEM file of the CA a `rediss://` store's certificate chains to
    /// (default: the system's trust store).
    #[arg(long, value_name = "PEM_FILE")]
    store_ca: Option<PathBuf>,
    /// How long one call to the store may take.
    #[arg(long, value_name = "DURATION", default_value = "500ms", value_parser = duration::parse_duration)]
    store_timeout: Duration,
    /// When the store cannot answer: `closed` refuses the validation
    /// (INTERNAL_ERROR: nothing is accepted twice), `open` answers as a
    /// stateless node would.
    #[arg(long, value_enum, default_value = "closed")]
    store_failure: StoreFailure,
    /// The address (or CIDR block) of a load balancer in front of the node
    /// (repeat for more). Only from these is `X-Forwarded-For` believed for
    /// the client's address (login throttling, logs) and
    /// `X-Forwarded-Proto: https` for TLS (HSTS).
    #[arg(long, value_name = "ADDR", value_parser = client::parse_trusted)]
    trusted_proxy: Vec<ipnet::IpNet>,
    /// A yardstick for benchmarks, not for production: behave as a Redis
    /// ticket registry on the server at this `redis://` URL (every ticket
    /// stored when issued, an ST or PT taken when validated; baseline.rs),
    /// so that the store can be measured against it.
    #[arg(long, value_name = "URL", conflicts_with = "store")]
    registry_baseline: Option<String>,
}

impl Flags {
    /// `--store-timeout`, for the store's client and the registry's.
    fn store_timeout(&self) -> Result<std::time::Duration, String> {
        std::time::Duration::try_from(self.store_timeout)
            .map_err(|_| "--store-timeout must be positive".to_owned())
    }
}

/// What `cas-node` does besides serving.
#[derive(clap::Subcommand, Debug)]
enum Command {
    /// Converts Apereo CAS JSON service definitions to `[[service]]`
    /// entries: the registry's TOML on standard output, one line on
    /// standard error for each definition that cannot keep its meaning
    /// (exit status 1 if any).
    ImportApereo {
        /// JSON service definition files (Apereo's `services/` directory).
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
    },
}

/// `--store-failure`.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
enum StoreFailure {
    Closed,
    Open,
}

/// Everything the handlers share. The codec sits behind a lock only so that
/// SIGHUP can swap it; requests clone the `Arc` and never hold the lock.
pub struct Node {
    codec: RwLock<Arc<Codec>>,
    flags: Flags,
    callbacks: ureq::Agent,
    /// The pool-wide store (`--store`), if any.
    state: Option<PoolState>,
    /// The service registry as last loaded (`--services`).
    services: RwLock<Arc<Registry>>,
    /// The ticket registry of `--registry-baseline`, if any.
    baseline: Option<Baseline>,
    /// `--trusted-proxy`.
    trusted: client::TrustedProxies,
    /// Password-guessing counters: in the store, or in this node.
    throttle: throttle::Throttle,
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

    /// The codec of the key file, and a line naming its keys (never secrets).
    fn load_codec(flags: &Flags) -> Result<(Codec, String), String> {
        let keyring = Keyring::load(&flags.keys)
            .map_err(|e| format!("cannot load keyring {}: {e}", flags.keys.display()))?;
        let ids: Vec<String> = keyring.keys().iter().map(|k| k.id().to_string()).collect();
        let summary = format!("keys {}, primary {}", ids.join(" "), keyring.primary());
        Ok((Codec::new(&keyring).with_leeway(flags.leeway), summary))
    }

    /// SIGHUP: the keyring and the service registry are read again; one
    /// that does not load leaves the one in use in place.
    fn reload(&self) {
        match Registry::load(&self.flags.services) {
            Ok(services) => {
                let count = services.len();
                match self.services.write() {
                    Ok(mut slot) => *slot = Arc::new(services),
                    Err(poisoned) => *poisoned.into_inner() = Arc::new(services),
                }
                eprintln!("cas_node: service registry reloaded: {count} services");
            }
            Err(e) => eprintln!("cas_node: {e}; keeping the service registry in use"),
        }
        match Node::load_codec(&self.flags) {
            Ok((codec, summary)) => {
                match self.codec.write() {
                    Ok(mut slot) => *slot = Arc::new(codec),
                    Err(poisoned) => *poisoned.into_inner() = Arc::new(codec),
                }
                eprintln!("cas_node: keyring reloaded: {summary}");
            }
            Err(e) => eprintln!("cas_node: {e}; keeping the keyring in use"),
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
    /// normalized.
    pub fn registered(&self, url: &str) -> Option<(Arc<RegisteredService>, String)> {
        let url = normalize(url).ok()?;
        Some((self.services().find(&url)?, url))
    }

    /// Where to send single-logout requests for `service`: its normalized
    /// URL, if the store is on and its registry entry says `single_logout`.
    pub fn single_logout_target(&self, service: &str) -> Option<String> {
        self.state.as_ref()?;
        let (entry, url) = self.registered(service)?;
        entry.single_logout.then_some(url)
    }
}

fn parse_context(text: &str) -> Result<String, String> {
    let trimmed = text.trim_end_matches('/');
    if !text.starts_with('/') || trimmed.contains(['?', '#', ';', ' ']) {
        return Err(format!("'{text}' is not a path like /cas"));
    }
    Ok(trimmed.to_owned())
}

fn routes(node: Arc<Node>) -> Router {
    let cas = Router::new()
        .route("/login", get(login::form).post(login::submit))
        .route("/logout", get(login::logout))
        .route("/validate", get(validate::cas1))
        // validate::<PROXY_TICKETS, ATTRIBUTES>
        .route("/serviceValidate", get(validate::validate::<false, false>))
        .route("/proxyValidate", get(validate::validate::<true, false>))
        .route(
            "/p3/serviceValidate",
            get(validate::validate::<false, true>),
        )
        .route("/p3/proxyValidate", get(validate::validate::<true, true>))
        .route("/proxy", get(validate::proxy))
        .route("/samlValidate", post(saml::validate))
        .with_state(Arc::clone(&node));
    let app = if node.flags.context.is_empty() {
        cas
    } else {
        Router::new().nest(&node.flags.context, cas)
    };
    // Unknown paths and wrong methods get a page (front::answer_everything),
    // and so does a panic.
    app.fallback(|| async { StatusCode::NOT_FOUND })
        .layer(CatchPanicLayer::custom(front::panicked))
        .layer(axum::middleware::from_fn_with_state(
            Arc::clone(&node),
            front::answer_everything,
        ))
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    if let Some(Command::ImportApereo { files }) = &cli.command {
        let (registry, refused) = apereo::convert(files);
        print!("{registry}");
        for line in &refused {
            eprintln!("cas-node: {line}");
        }
        return if refused.is_empty() {
            std::process::ExitCode::SUCCESS
        } else {
            std::process::ExitCode::FAILURE
        };
    }
    let Some(flags) = cli.serve else {
        eprintln!(
            "cas-node: nothing to do: give --listen, --keys, --users and --services, or a command (--help)"
        );
        return std::process::ExitCode::from(2);
    };
    match run(flags).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("cas_node: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(flags: Flags) -> Result<(), String> {
    let (codec, summary) = Node::load_codec(&flags)?;
    eprintln!("cas_node: keyring loaded: {summary}");
    let services = Registry::load(&flags.services)?;
    eprintln!(
        "cas_node: service registry loaded: {} services",
        services.len()
    );
    users::Directory::load(&flags.users).await?;
    let (roots, origin) = callback_roots(&flags.proxy_ca)?;
    eprintln!("cas_node: pgtUrl callbacks trust {origin}");
    let callbacks = ureq::Agent::config_builder()
        .tls_config(ureq::tls::TlsConfig::builder().root_certs(roots).build())
        .timeout_global(Some(std::time::Duration::from_secs(5)))
        .max_redirects(0)
        .http_status_as_error(false)
        .build()
        .new_agent();
    let state = open_store(&flags).await?;
    let baseline = match &flags.registry_baseline {
        Some(url) => {
            eprintln!("cas_node: --registry-baseline: every ticket is stored (a yardstick)");
            Some(Baseline::open(url, flags.store_timeout()?)?)
        }
        None => None,
    };
    let node = Arc::new(Node {
        codec: RwLock::new(Arc::new(codec)),
        services: RwLock::new(Arc::new(services)),
        trusted: client::TrustedProxies::new(flags.trusted_proxy.clone()),
        throttle: throttle::Throttle::new(state.as_ref().map(PoolState::store)),
        flags,
        callbacks,
        state,
        baseline,
    });

    let listener = front::Front::bind(node.flags.listen)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", node.flags.listen))?;
    let addr = axum::serve::Listener::local_addr(&listener)
        .map_err(|e| format!("cannot read the listening address: {e}"))?;
    // Watch SIGHUP before saying we listen: a SIGHUP that came earlier
    // would end the process (the default action).
    let hangups = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())
        .map_err(|e| format!("cannot watch SIGHUP: {e}"))?;
    tokio::spawn(reload_on_hangup(Arc::clone(&node), hangups));

    // The one line a script waits for.
    println!("listening on http://{addr}{}", node.flags.context);

    let app = routes(node).into_make_service_with_connect_info::<front::Peer>();
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown())
        .await
        .map_err(|e| format!("server failed: {e}"))
}

/// The store `--store` names, if any.
async fn open_store(flags: &Flags) -> Result<Option<PoolState>, String> {
    let ca = match &flags.store_ca {
        Some(file) => Some(
            std::fs::read(file)
                .map_err(|e| format!("cannot read --store-ca {}: {e}", file.display()))?,
        ),
        None => None,
    };
    let timeout = flags.store_timeout()?;
    let policy = match flags.store_failure {
        StoreFailure::Closed => FailurePolicy::Closed,
        StoreFailure::Open => FailurePolicy::Open,
    };
    let state = PoolState::open(
        &flags.store,
        flags.store_cluster,
        ca.as_deref(),
        timeout,
        policy,
    )
    .await?;
    if state.is_some() {
        eprintln!(
            "cas_node: ticket store on, failing {}; single logout to services \
             registered with single_logout = true",
            if policy == FailurePolicy::Closed {
                "closed"
            } else {
                "open"
            },
        );
    }
    Ok(state)
}

/// The roots https callbacks are checked against: the system's trust store
/// (as OpenSSL finds it, `SSL_CERT_FILE` and `SSL_CERT_DIR` included) and
/// every `--proxy-ca` file; Mozilla's roots when the system has none and no
/// file is given. Also says where they came from, for the log.
fn callback_roots(files: &[PathBuf]) -> Result<(RootCerts, String), String> {
    let native = rustls_native_certs::load_native_certs();
    let mut roots: Vec<Certificate<'static>> = native
        .certs
        .iter()
        .map(|der| Certificate::from_der(der.as_ref()).to_owned())
        .collect();
    let system = roots.len();
    for file in files {
        let pem = std::fs::read(file)
            .map_err(|e| format!("cannot read --proxy-ca {}: {e}", file.display()))?;
        let before = roots.len();
        for item in parse_pem(&pem) {
            match item {
                Ok(PemItem::Certificate(cert)) => roots.push(cert),
                Ok(_) => {}
                Err(e) => return Err(format!("--proxy-ca {}: {e}", file.display())),
            }
        }
        if roots.len() == before {
            return Err(format!(
                "--proxy-ca {}: no certificate in it",
                file.display()
            ));
        }
    }
    if roots.is_empty() {
        return Ok((
            RootCerts::WebPki,
            "Mozilla's roots (the system has none)".into(),
        ));
    }
    let origin = format!(
        "{system} system roots and {} from --proxy-ca",
        roots.len() - system
    );
    Ok((RootCerts::Specific(Arc::new(roots)), origin))
}

async fn reload_on_hangup(node: Arc<Node>, mut hangups: tokio::signal::unix::Signal) {
    while hangups.recv().await.is_some() {
        node.reload();
    }
}

async fn shutdown() {
    use tokio::signal::unix::{SignalKind, signal};
    match signal(SignalKind::terminate()) {
        Ok(mut term) => {
            tokio::select! {
                _ = term.recv() => {}
                _ = tokio::signal::ctrl_c() => {}
            }
        }
        Err(_) => {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::error::ErrorKind;

    fn flags(extra: &[&str]) -> Result<Cli, clap::Error> {
        let base = [
            "cas_node",
            "--listen",
            "127.0.0.1:0",
            "--keys",
            "keys.json",
            "--users",
            "users.txt",
            "--services",
            "services.toml",
        ];
        Cli::try_parse_from(base.iter().chain(extra))
    }

    #[test]
    fn the_registry_is_required_and_the_baseline_excludes_the_store() {
        let kind = |extra: &[&str]| flags(extra).err().map(|e| e.kind());
        assert_eq!(kind(&[]), None);
        let without = Cli::try_parse_from([
            "cas-node",
            "--listen",
            "127.0.0.1:0",
            "--keys",
            "k",
            "--users",
            "u",
        ])
        .unwrap_err();
        assert_eq!(without.kind(), ErrorKind::MissingRequiredArgument);
        assert!(without.to_string().contains("--services"), "{without}");
        for gone in ["--proxy-allow", "--single-logout-allow"] {
            assert_eq!(
                kind(&[gone, "https://app.example.edu/"]),
                Some(ErrorKind::UnknownArgument),
                "{gone} is replaced by the registry"
            );
        }
        assert_eq!(
            kind(&[
                "--store",
                "memory",
                "--registry-baseline",
                "redis://127.0.0.1/"
            ]),
            Some(ErrorKind::ArgumentConflict)
        );
    }

    #[test]
    fn a_command_takes_no_serving_flags() {
        let cli = Cli::try_parse_from(["cas-node", "import-apereo", "a.json", "b.json"]).unwrap();
        assert!(cli.serve.is_none());
        assert!(matches!(cli.command, Some(Command::ImportApereo { files }) if files.len() == 2));
        let mixed = Cli::try_parse_from([
            "cas-node",
            "--listen",
            "127.0.0.1:0",
            "import-apereo",
            "a.json",
        ]);
        assert!(mixed.is_err());
        let none = Cli::try_parse_from(["cas-node", "import-apereo"]).unwrap_err();
        assert_eq!(none.kind(), ErrorKind::MissingRequiredArgument);
    }
}
