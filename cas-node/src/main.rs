//! `cas-node`: a CAS server whose tickets are all stateless, built on the
//! public API of `cas-ticket-codec` only. Run three of them on one keyring
//! and any node validates any node's tickets.
//!
//! ```sh
//! cas-node --listen 127.0.0.1:8443 --keys keys.json --users users.txt \
//!     --services services.toml
//! ```
//!
//! It speaks the parts of CAS protocol 3.0 a client needs: `/login` (form,
//! single sign-on through the `CASTGC` cookie, `renew`, `gateway`, `warn`),
//! `/logout`, `/validate` (CAS 1.0), `/serviceValidate`, `/proxyValidate`
//! (CAS 2.0), `/p3/serviceValidate`, `/p3/proxyValidate` (CAS 3.0, with
//! attributes), `/samlValidate` and `/proxy`, with `pgtUrl` callbacks, to
//! the services of its registry (registry.rs) only. `SIGHUP` reloads the
//! keyring and the registry (key rotation without a restart). The first
//! line on standard output is `listening on URL`, so a script can start it
//! on port 0.

use std::path::PathBuf;
use std::sync::{Arc, RwLock};

use accounts::Accounts;
use axum::Router;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use baseline::Baseline;
use cas_ticket_codec::store::FailurePolicy;
use clap::Parser;
use config::{Cli, Command, Flags, StoreFailure};
use metrics::Metrics;
use node::Node;
use pool_state::PoolState;
use registry::Registry;
use tower_http::catch_panic::CatchPanicLayer;
use ureq::tls::{Certificate, RootCerts};

/// mimalloc rather than glibc's allocator: a validation allocates and
/// frees a few dozen small blocks across two worker threads, where glibc's
/// arenas cost a measured share of each request (README, "Against a
/// peer").
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod accounts;
mod apereo;
mod baseline;
mod client;
mod clients;
mod config;
mod front;
mod ldap;
mod logging;
mod login;
mod metrics;
mod node;
mod oidc;
mod page;
mod pem;
mod pool_state;
mod registry;
mod request;
mod saml;
mod signing_keys;
#[cfg(test)]
mod slapd;
mod throttle;
mod url_scope;
mod users;
mod validate;

fn routes(node: Arc<Node>) -> Router {
    // The CAS routes under the context path, spelled out rather than
    // nested: a nested router rebuilds every request's URI without its
    // prefix, a measured share of a validation.
    let at = |path: &str| format!("{}{path}", node.flags.context);
    let app = Router::new()
        .route(&at("/login"), get(login::form).post(login::submit))
        .route(&at("/logout"), get(login::logout))
        .route(&at("/validate"), get(validate::cas1))
        // validate::<PROXY_TICKETS, ATTRIBUTES>
        .route(
            &at("/serviceValidate"),
            get(validate::validate::<false, false>),
        )
        .route(
            &at("/proxyValidate"),
            get(validate::validate::<true, false>),
        )
        .route(
            &at("/p3/serviceValidate"),
            get(validate::validate::<false, true>),
        )
        .route(
            &at("/p3/proxyValidate"),
            get(validate::validate::<true, true>),
        )
        .route(&at("/proxy"), get(validate::proxy))
        .route(&at("/samlValidate"), post(saml::validate))
        .with_state(Arc::clone(&node));
    let app = match &node.oidc {
        Some(_) => app.merge(oidc::routes(&node)),
        None => app,
    };
    let app = app
        .route("/health", get(health).with_state(Arc::clone(&node)))
        .route(
            &format!("{}{{status}}", front::REFUSED_PATH),
            get(front::refused),
        );
    // Unknown paths and wrong methods get a page (front::answer_everything),
    // and so does a panic.
    app.fallback(|| async { StatusCode::NOT_FOUND })
        .layer(CatchPanicLayer::custom(front::panicked))
        .layer(axum::middleware::from_fn_with_state(
            Arc::clone(&node),
            front::answer_everything,
        ))
}

/// `GET /health`, for load balancers: 200 when the node can do its work
/// (its keys are loaded, as they are once it listens, and the store, if
/// any, answers), 503 otherwise. Says nothing else.
async fn health(axum::extract::State(node): axum::extract::State<Arc<Node>>) -> Response {
    let (status, body) = match &node.state {
        Some(state) => match state.answers().await {
            Ok(()) => (StatusCode::OK, "ok\n"),
            Err(e) => {
                tracing::warn!("/health: {e}");
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    "the ticket store does not answer\n",
                )
            }
        },
        None => (StatusCode::OK, "ok\n"),
    };
    let mut response = page::plain(body.to_owned());
    *response.status_mut() = status;
    response
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = match config::with_config(std::env::args_os().collect()) {
        Ok(args) => Cli::parse_from(args),
        Err(e) => {
            eprintln!("cas-node: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    if let Some(Command::HashPassword { name }) = &cli.command {
        let stdin = std::io::stdin();
        return match users::hash_password_line(name.as_deref(), &mut stdin.lock()) {
            Ok(line) => {
                println!("{line}");
                std::process::ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("cas-node: {e}");
                std::process::ExitCode::FAILURE
            }
        };
    }
    if let Some(Command::SigningKeys(command)) = &cli.command {
        return match signing_keys::run(command) {
            Ok(out) => {
                println!("{out}");
                std::process::ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("cas-node: {e}");
                std::process::ExitCode::FAILURE
            }
        };
    }
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
            "cas-node: nothing to do: give --listen, --keys, --users (or --ldap) and --services, or a command (--help)"
        );
        return std::process::ExitCode::from(2);
    };
    logging::init(flags.log_format);
    match run(flags).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(flags: Flags) -> Result<(), String> {
    let metrics = Arc::new(Metrics::new());
    let (codec, summary) = Node::load_codec(&flags, &metrics)?;
    tracing::info!("keyring loaded: {summary}");
    let services = Registry::load(&flags.services)?;
    tracing::info!("service registry loaded: {} services", services.len());
    let (accounts, summary) = Accounts::open(&flags, &metrics).await?;
    tracing::info!("{summary}");
    let (roots, origin) = callback_roots(&flags.proxy_ca)?;
    tracing::info!("pgtUrl callbacks trust {origin}");
    let callbacks = ureq::Agent::config_builder()
        .tls_config(ureq::tls::TlsConfig::builder().root_certs(roots).build())
        .timeout_global(Some(std::time::Duration::from_secs(5)))
        .max_redirects(0)
        .http_status_as_error(false)
        .build()
        .new_agent();
    let state = open_store(&flags, &metrics).await?;
    let baseline = match &flags.registry_baseline {
        Some(url) => {
            tracing::info!("--registry-baseline: every ticket is stored (a yardstick)");
            Some(Baseline::open(url, flags.store_timeout()?)?)
        }
        None => None,
    };
    let oidc = oidc::Oidc::open(&flags)?;
    if let Some(oidc) = &oidc {
        tracing::info!(
            "OpenID provider {}: signing key {}",
            oidc.issuer,
            oidc.keys().active_kid()
        );
    }
    let node = Arc::new(Node {
        oidc,
        codec: RwLock::new(Arc::new(codec)),
        services: RwLock::new(Arc::new(services)),
        trusted: client::TrustedProxies::new(flags.trusted_proxy.clone()),
        throttle: throttle::Throttle::new(
            state.as_ref().map(PoolState::store),
            flags.login_limits(),
        ),
        flags,
        callbacks,
        state,
        baseline,
        accounts,
        metrics: Arc::clone(&metrics),
    });
    if let Some(addr) = node.flags.metrics_listen {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|e| format!("cannot listen on --metrics-listen {addr}: {e}"))?;
        let bound = listener
            .local_addr()
            .map_err(|e| format!("cannot read the metrics address: {e}"))?;
        tracing::info!("metrics on http://{bound}/metrics");
        tokio::spawn(metrics::serve(metrics, listener));
    }

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
async fn open_store(flags: &Flags, metrics: &Metrics) -> Result<Option<PoolState>, String> {
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
        metrics.store_seconds.clone(),
        flags.store_assume_noeviction,
    )
    .await?;
    if state.is_some() {
        tracing::info!(
            "ticket store on, failing {}; single logout to services \
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
        roots.extend(pem::certificates("--proxy-ca", file)?);
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
