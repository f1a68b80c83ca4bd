//! The node as an OpenID provider (OpenID Connect Core 1.0, OAuth 2.0
//! RFC 6749) on the same SSO sessions as CAS: a CAS login serves OIDC and
//! an OIDC login serves CAS. Codes and tokens are the codec's `OC-`, `AT-`
//! and `RT-` tickets: any node opens any node's, and nothing is kept on a
//! node.
//!
//! Routes, under the issuer's path (`{context}/oidc`):
//! `/.well-known/openid-configuration`, `/jwks`, `/authorize`, `/token`,
//! `/userinfo`, `/introspect`, `/revoke`, `/logout`. The clients are the registry's `[[client]]` entries
//! (clients.rs); ID tokens are signed with `--oidc-signing-keys`
//! (signing_keys.rs).

mod authorize;
mod client_auth;
mod errors;
mod introspect;
mod logout;
mod revoke;
mod token;
mod user_claims;
mod userinfo;

use std::path::PathBuf;
use std::sync::{Arc, RwLock};

use axum::Router;
use axum::extract::State;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use cas_ticket_codec::is_normalized;
use cas_ticket_codec::oauth::STANDARD_SCOPES;
use serde_json::{Value, json};

use crate::Node;
use crate::config::Flags;
use crate::registry::{RegisteredService, Registry};
use crate::signing_keys::SigningKeys;
use crate::url_scope::UrlScope;

/// The OpenID provider's settings and keys.
pub struct Oidc {
    /// The issuer identifier (`iss`), without a trailing `/`.
    pub issuer: String,
    /// `{issuer}/authorize`, and as a scope: what `authorization_request`
    /// compares every service URL of a login or validation with.
    authorize: String,
    authorize_scope: UrlScope,
    keys_path: PathBuf,
    keys: RwLock<Arc<SigningKeys>>,
}

impl Oidc {
    /// The provider of `--oidc-issuer` and `--oidc-signing-keys`, if given.
    /// The issuer must be the public URL of this node's `{context}/oidc`:
    /// normalized, https (or http on loopback), without a query.
    pub fn open(flags: &Flags) -> Result<Option<Oidc>, String> {
        let (Some(issuer), Some(keys_path)) = (&flags.oidc_issuer, &flags.oidc_signing_keys) else {
            return Ok(None);
        };
        let issuer = issuer.trim_end_matches('/').to_owned();
        let path = format!("{}/oidc", flags.context);
        let https = issuer.starts_with("https://");
        let loopback = issuer.starts_with("http://127.0.0.1") || issuer.starts_with("http://[::1]");
        let origin_end = issuer.find("://").and_then(|at| {
            let authority = issuer.get(at + 3..)?;
            authority.find('/').map(|slash| at + 3 + slash)
        });
        let path_ok = origin_end.is_some_and(|end| issuer.get(end..) == Some(path.as_str()));
        if !is_normalized(&issuer) || !(https || loopback) || issuer.contains('?') || !path_ok {
            return Err(format!(
                "--oidc-issuer {issuer} must be the public https URL of {path} on this \
                 pool, in normalized form, like https://sso.example.edu{path}"
            ));
        }
        let keys = SigningKeys::load(keys_path)?;
        let authorize = format!("{issuer}/authorize");
        let authorize_scope = UrlScope::parse(&authorize)?;
        Ok(Some(Oidc {
            authorize,
            authorize_scope,
            issuer,
            keys_path: keys_path.clone(),
            keys: RwLock::new(Arc::new(keys)),
        }))
    }

    /// The signing keys as last loaded.
    pub fn keys(&self) -> Arc<SigningKeys> {
        match self.keys.read() {
            Ok(keys) => Arc::clone(&keys),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    /// SIGHUP: the signing keys are read again; a file that does not load
    /// leaves the keys in use in place.
    pub fn reload(&self) {
        match SigningKeys::load(&self.keys_path) {
            Ok(keys) => {
                let active = keys.active_kid().to_owned();
                match self.keys.write() {
                    Ok(mut slot) => *slot = Arc::new(keys),
                    Err(poisoned) => *poisoned.into_inner() = Arc::new(keys),
                }
                tracing::info!("signing keys reloaded: active {active}");
            }
            Err(e) => tracing::warn!("{e}; keeping the signing keys in use"),
        }
    }

    /// If `url` (normalized) is an authorization request to this provider
    /// for a registered client: the service it stands for at the login.
    pub fn authorization_request(
        &self,
        url: &str,
        registry: &Registry,
    ) -> Option<Arc<RegisteredService>> {
        let query = url
            .strip_prefix(self.authorize.as_str())?
            .strip_prefix('?')?;
        let params = crate::request::Params::parse(query.as_bytes());
        let client = registry.client(params.get("client_id")?)?;
        let scope = self.authorize_scope.clone();
        Some(Arc::new(RegisteredService::for_client(&client, scope)))
    }

    /// The URL of the endpoint `name` (`authorize`, `token`, …).
    pub fn endpoint(&self, name: &str) -> String {
        format!("{}/{name}", self.issuer)
    }
}

/// The OpenID provider's routes, when the node is one.
pub fn routes(node: &Arc<Node>) -> Router {
    let at = |path: &str| format!("{}/oidc{path}", node.flags.context);
    Router::new()
        .route(&at("/.well-known/openid-configuration"), get(discovery))
        .route(&at("/jwks"), get(jwks))
        .route(&at("/authorize"), get(authorize::get).post(authorize::post))
        .route(&at("/token"), axum::routing::post(token::token))
        .route(
            &at("/introspect"),
            axum::routing::post(introspect::introspect),
        )
        .route(&at("/revoke"), axum::routing::post(revoke::revoke))
        .route(&at("/logout"), get(logout::get).post(logout::post))
        .route(
            &at("/userinfo"),
            get(userinfo::userinfo).post(userinfo::userinfo),
        )
        .with_state(Arc::clone(node))
}

/// A JSON answer that caches may keep for a while (metadata, keys).
fn public_json(value: &Value) -> Response {
    let mut response = (StatusCode::OK, value.to_string()).into_response();
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("max-age=300"));
    response
}

/// `GET /.well-known/openid-configuration` (OpenID Connect Discovery 1.0 §3).
async fn discovery(State(node): State<Arc<Node>>) -> Response {
    let Some(oidc) = &node.oidc else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let scopes: Vec<&str> = STANDARD_SCOPES
        .iter()
        .copied()
        .filter(|s| *s != "offline_access")
        .collect();
    public_json(&json!({
        "issuer": oidc.issuer,
        "authorization_endpoint": oidc.endpoint("authorize"),
        "token_endpoint": oidc.endpoint("token"),
        "userinfo_endpoint": oidc.endpoint("userinfo"),
        "introspection_endpoint": oidc.endpoint("introspect"),
        "revocation_endpoint": oidc.endpoint("revoke"),
        "end_session_endpoint": oidc.endpoint("logout"),
        "introspection_endpoint_auth_methods_supported":
            ["client_secret_basic", "client_secret_post"],
        "revocation_endpoint_auth_methods_supported":
            ["client_secret_basic", "client_secret_post", "none"],
        "jwks_uri": oidc.endpoint("jwks"),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": oidc.keys().algorithms(),
        "token_endpoint_auth_methods_supported":
            ["client_secret_basic", "client_secret_post", "none"],
        "code_challenge_methods_supported": ["S256"],
        "scopes_supported": scopes,
        "claims_supported": user_claims::supported(),
        "claims_parameter_supported": true,
        "request_parameter_supported": false,
        "request_uri_parameter_supported": false,
        "authorization_response_iss_parameter_supported": true,
    }))
}

/// `GET /jwks`: every published signing key (RFC 7517 §5).
async fn jwks(State(node): State<Arc<Node>>) -> Response {
    match &node.oidc {
        Some(oidc) => public_json(&oidc.keys().jwks()),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}
