//! OAuth 2.0 / OpenID Connect clients of the registry (`[[client]]` in
//! the `--services` file, beside the CAS `[[service]]` entries): who may
//! ask this node for codes and tokens, where it may send them, and what
//! each may have.
//!
//! ```toml
//! [[client]]
//! name = "Moodle"
//! client_id = "moodle"
//! secret_hash = "$argon2id$v=19$m=19456,t=2,p=1$…"   # cas-node hash-password; or public = true
//! redirect_uris = ["https://moodle.example.edu/auth/oidc/"]   # exact, nothing under them
//! scopes = ["openid", "profile", "email"]                       # what it may be granted
//! claims = ["email", "name", "memberOf"]                        # released claims; ["*"] all
//! introspect = false      # may introspect any client's tokens (a resource server)
//! post_logout_redirect_uris = ["https://moodle.example.edu/"]   # exact, as redirect_uris
//! ```
//!
//! A redirect URI is matched as its exact text (RFC 9700 §4.1.1: no
//! prefix, no pattern), so it is written in its normalized form and the
//! registry refuses any other spelling: what a browser is sent to is what
//! the operator wrote. A redirect URI is https, or http on a loopback
//! address (RFC 8252 §7.3). A client without a secret must say
//! `public = true`, and must use PKCE (checked at the authorization
//! request).

use argon2::password_hash::{PasswordHash, PasswordVerifier as _};
use cas_ticket_codec::is_normalized;
use cas_ticket_codec::oauth::{ClientId, Scopes};
use serde::Deserialize;
use sha2::{Digest as _, Sha256};
use std::sync::Mutex;
use subtle::ConstantTimeEq as _;
use zeroize::Zeroizing;

use crate::registry::{Release, display_name};

/// One `[[client]]` entry as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientEntry {
    name: String,
    client_id: String,
    #[serde(default)]
    secret_hash: Option<String>,
    #[serde(default)]
    public: bool,
    redirect_uris: Vec<String>,
    #[serde(default)]
    scopes: Vec<String>,
    #[serde(default)]
    claims: Vec<String>,
    #[serde(default)]
    introspect: bool,
    #[serde(default)]
    post_logout_redirect_uris: Vec<String>,
}

/// A registered client.
#[derive(Debug)]
pub struct RegisteredClient {
    /// What the user is shown.
    pub name: String,
    pub id: ClientId,
    /// The argon2id hash of a confidential client's secret; `None` for a
    /// public client.
    secret_hash: Option<String>,
    redirect_uris: Vec<String>,
    /// What it may be granted.
    pub scopes: Scopes,
    claims: Release,
    /// It may introspect tokens issued to other clients (a resource server).
    pub introspects_all: bool,
    post_logout_redirect_uris: Vec<String>,
    /// The SHA-256 of the last secret its argon2id hash accepted: the next
    /// request with the same secret is checked against it in constant time
    /// rather than with argon2id again (tens of milliseconds of CPU at every
    /// token request). Lives as long as this registry: a reload, and with
    /// it a changed hash, starts empty.
    verified: Mutex<Option<Zeroizing<[u8; 32]>>>,
    /// How many times argon2id ran (the tests check the digest serves).
    #[cfg(test)]
    argon2_runs: std::sync::atomic::AtomicUsize,
}

impl RegisteredClient {
    /// Checks an entry; the error names the field.
    pub fn from_entry(entry: ClientEntry) -> Result<RegisteredClient, String> {
        let name = display_name(&entry.name)?;
        let id = ClientId::new(entry.client_id.as_str())
            .map_err(|e| format!("{name}: client_id: {e}"))?;
        let secret_hash = match (entry.secret_hash, entry.public) {
            (Some(hash), false) => {
                let parsed = PasswordHash::new(&hash)
                    .map_err(|_| format!("{name}: secret_hash is not a PHC hash string"))?;
                if parsed.algorithm.as_str() != "argon2id" {
                    return Err(format!(
                        "{name}: secret_hash must be argon2id (cas-node hash-password)"
                    ));
                }
                Some(hash)
            }
            (None, true) => None,
            (Some(_), true) => {
                return Err(format!("{name}: a public client has no secret_hash"));
            }
            (None, false) => {
                return Err(format!(
                    "{name}: give secret_hash, or public = true for a client that \
                     cannot keep a secret (it must then use PKCE)"
                ));
            }
        };
        if entry.redirect_uris.is_empty() {
            return Err(format!("{name}: redirect_uris is empty"));
        }
        for uri in &entry.redirect_uris {
            exact_url(uri).map_err(|e| format!("{name}: redirect_uris: {e}"))?;
        }
        for uri in &entry.post_logout_redirect_uris {
            exact_url(uri).map_err(|e| format!("{name}: post_logout_redirect_uris: {e}"))?;
        }
        let scopes = Scopes::from_tokens(entry.scopes.iter().map(String::as_str))
            .map_err(|e| format!("{name}: scopes: {e}"))?;
        let claims = Release::parse(entry.claims, "claims", &name)?;
        if entry.introspect && secret_hash.is_none() {
            return Err(format!(
                "{name}: a public client cannot introspect (it cannot authenticate)"
            ));
        }
        Ok(RegisteredClient {
            name,
            id,
            secret_hash,
            redirect_uris: entry.redirect_uris,
            scopes,
            claims,
            introspects_all: entry.introspect,
            post_logout_redirect_uris: entry.post_logout_redirect_uris,
            verified: Mutex::new(None),
            #[cfg(test)]
            argon2_runs: std::sync::atomic::AtomicUsize::new(0),
        })
    }

    /// Whether `uri` is one of the redirect URIs, exactly.
    pub fn redirects_to(&self, uri: &str) -> bool {
        self.redirect_uris.iter().any(|r| r == uri)
    }

    /// Whether `uri` is one of the post-logout redirect URIs, exactly.
    pub fn returns_after_logout_to(&self, uri: &str) -> bool {
        self.post_logout_redirect_uris.iter().any(|r| r == uri)
    }

    /// Whether the client is public (no secret; PKCE required).
    pub fn is_public(&self) -> bool {
        self.secret_hash.is_none()
    }

    /// Whether `secret` is this confidential client's secret (argon2id,
    /// constant time); always false for a public client.
    pub fn secret_matches(&self, secret: &str) -> bool {
        let Some(hash) = &self.secret_hash else {
            return false;
        };
        let digest: [u8; 32] = Sha256::digest(secret.as_bytes()).into();
        let mut verified = match self.verified.lock() {
            Ok(verified) => verified,
            Err(poisoned) => poisoned.into_inner(),
        };
        if verified
            .as_ref()
            .is_some_and(|known| bool::from(known.ct_eq(&digest)))
        {
            return true;
        }
        #[cfg(test)]
        self.argon2_runs
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let matches = PasswordHash::new(hash).is_ok_and(|hash| {
            argon2::Argon2::default()
                .verify_password(secret.as_bytes(), &hash)
                .is_ok()
        });
        if matches {
            *verified = Some(Zeroizing::new(digest));
        }
        matches
    }

    /// The claims the client's `claims` names one by one (none for `["*"]`).
    pub fn listed_claims(&self) -> impl Iterator<Item = &str> {
        self.claims.listed()
    }

    /// Whether the claim `name` may be released to this client.
    pub fn releases(&self, name: &str) -> bool {
        self.claims.releases(name)
    }
}

/// A URL matched by its exact text: normalized (as the codec normalizes
/// services), https or loopback http, without a query's worth of doubt.
fn exact_url(uri: &str) -> Result<(), String> {
    if !is_normalized(uri) {
        return Err(format!(
            "'{uri}' is not a URL in its normalized form (lowercase scheme and host, no \
             default port, no fragment, no dot segments): write it as it is matched"
        ));
    }
    let loopback = [
        "http://127.0.0.1:",
        "http://127.0.0.1/",
        "http://[::1]:",
        "http://[::1]/",
    ];
    if !uri.starts_with("https://") && !loopback.iter().any(|l| uri.starts_with(l)) {
        return Err(format!(
            "'{uri}' must be https, or http on a loopback address (RFC 8252 §7.3)"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(extra: &str) -> Result<RegisteredClient, String> {
        let text = format!(
            "name = \"Moodle\"\nclient_id = \"moodle\"\n\
             redirect_uris = [\"https://moodle.example.edu/auth/oidc/\"]\n{extra}"
        );
        let entry: ClientEntry = toml::from_str(&text).map_err(|e| e.message().to_owned())?;
        RegisteredClient::from_entry(entry)
    }

    #[test]
    fn a_confidential_client_checks_its_secret() {
        let hash = crate::users::hash_password(b"s3cret").unwrap();
        let client = entry(&format!(
            "secret_hash = \"{hash}\"\nscopes = [\"openid\", \"email\"]\nclaims = [\"email\"]"
        ))
        .unwrap();
        assert!(!client.is_public());
        assert!(client.secret_matches("s3cret"));
        assert!(!client.secret_matches("s3cre"));
        assert!(!client.secret_matches(""));
        // Once verified, the secret is checked against its digest: the
        // same answers, without argon2id; a wrong secret still runs it.
        let runs = || {
            client
                .argon2_runs
                .load(std::sync::atomic::Ordering::Relaxed)
        };
        assert_eq!(runs(), 3);
        for _ in 0..10 {
            assert!(client.secret_matches("s3cret"));
        }
        assert_eq!(runs(), 3);
        assert!(!client.secret_matches("s3cret "));
        assert_eq!(runs(), 4);
        assert!(client.secret_matches("s3cret"));
        assert_eq!(runs(), 4);
        assert!(client.redirects_to("https://moodle.example.edu/auth/oidc/"));
        assert_eq!(client.scopes.to_string(), "openid email");
        assert!(client.releases("email") && !client.releases("name"));
    }

    #[test]
    fn redirect_uris_match_only_themselves() {
        let client = entry("public = true").unwrap();
        assert!(client.is_public());
        assert!(!client.secret_matches(""));
        for near in [
            "https://moodle.example.edu/auth/oidc",
            "https://moodle.example.edu/auth/oidc/x",
            "https://moodle.example.edu/auth/oidc/?",
            "https://moodle.example.edu/auth/oidc/#",
            "https://Moodle.example.edu/auth/oidc/",
            "https://moodle.example.edu:443/auth/oidc/",
            "https://moodle.example.edu/auth/oidc/../oidc/",
            "https://moodle.example.edu/auth/%6Fidc/",
            "http://moodle.example.edu/auth/oidc/",
            "https://moodle.example.edu.evil.example/auth/oidc/",
        ] {
            assert!(!client.redirects_to(near), "{near}");
        }
    }

    #[test]
    fn every_rule_of_an_entry_is_checked_with_its_reason() {
        let hash = crate::users::hash_password(b"x").unwrap();
        let argon2i = "$argon2i$v=19$m=16,t=2,p=1$c2FsdHNhbHQ$KZ8Uj9T3yeI0ZkM8eQ0o3g";
        for (extra, reason) in [
            ("", "Moodle: give secret_hash, or public = true for a client that cannot keep a secret (it must then use PKCE)".to_owned()),
            (&format!("public = true\nsecret_hash = \"{hash}\""), "Moodle: a public client has no secret_hash".to_owned()),
            ("secret_hash = \"plain\"", "Moodle: secret_hash is not a PHC hash string".to_owned()),
            (&format!("secret_hash = \"{argon2i}\""), "Moodle: secret_hash must be argon2id (cas-node hash-password)".to_owned()),
            ("public = true\nscopes = [\"a b\"]", "Moodle: scopes: scope is not an RFC 6749 scope token, or over 16 are not standard".to_owned()),
            ("public = true\npost_logout_redirect_uris = [\"http://moodle.example.edu/\"]", "Moodle: post_logout_redirect_uris: 'http://moodle.example.edu/' must be https, or http on a loopback address (RFC 8252 §7.3)".to_owned()),
            ("public = true\nintrospect = true", "Moodle: a public client cannot introspect (it cannot authenticate)".to_owned()),
            ("public = true\nclaims = [\"*\", \"email\"]", "Moodle: claims [\"*\"] releases all; it takes no other name".to_owned()),
            ("public = true\nclaims = [\"e mail\"]", "Moodle: claim \"e mail\" is not a name of ASCII letters, digits, `_`, `-` and `.` starting with a letter".to_owned()),
        ] {
            assert_eq!(entry(extra).unwrap_err(), reason, "{extra}");
        }
        let bad_redirect = |uri: &str| {
            let text = format!(
                "name = \"M\"\nclient_id = \"m\"\npublic = true\nredirect_uris = [\"{uri}\"]"
            );
            RegisteredClient::from_entry(toml::from_str(&text).unwrap()).unwrap_err()
        };
        assert!(bad_redirect("https://M.example.edu/cb").contains("normalized form"));
        assert!(bad_redirect("https://m.example.edu/cb#x").contains("normalized form"));
        assert!(bad_redirect("myapp://cb").contains("normalized form"));
        assert!(bad_redirect("http://localhost/cb").contains("loopback"));
        assert!(RegisteredClient::from_entry(toml::from_str("name = \"M\"\nclient_id = \"m\"\npublic = true\nredirect_uris = [\"http://127.0.0.1:8400/cb\"]").unwrap()).is_ok());
        let text = "name = \"M\"\nclient_id = \"\"\npublic = true\nredirect_uris = [\"https://m.example.edu/\"]";
        assert!(
            RegisteredClient::from_entry(toml::from_str(text).unwrap())
                .unwrap_err()
                .starts_with("M: client_id: client id is empty")
        );
        let text = "name = \"M\"\nclient_id = \"m\"\npublic = true\nredirect_uris = []";
        assert_eq!(
            RegisteredClient::from_entry(toml::from_str(text).unwrap()).unwrap_err(),
            "M: redirect_uris is empty"
        );
    }
}
