//! The directory: users and their attributes from an LDAP server
//! (`--ldap URL`), as Apereo CAS and Apache mod_authnz_ldap use one.
//!
//! **Search, then bind.** A login searches `--ldap-base` for
//! `--ldap-filter` with `{user}` replaced by the user name escaped per RFC
//! 4515 (so `*`, `(`, `)`, `\` and NUL are matched literally, never parsed
//! as filter syntax), as the service account (`--ldap-bind-dn` with the
//! password in `--ldap-bind-password-file`) or anonymously. Exactly one
//! entry must match; the password is then checked by a simple bind as that
//! entry's DN, on a connection of its own that is closed afterwards, so that
//! no pooled connection ever carries a user's identity. An empty password is
//! refused before any bind: to LDAP it is an *unauthenticated* bind (RFC
//! 4513 §5.1.2), which many servers answer with success.
//!
//! **Attributes** (`--ldap-attributes mail,memberOf`) are read at
//! validation, by the same search, every value of a multi-valued attribute
//! kept, under the name the flag gives. A user no longer in the directory
//! has none.
//!
//! **Transport.** `ldaps://` is TLS from the first byte; `ldap://` upgrades
//! with StartTLS before anything else is sent. Certificates chain to the
//! system's roots or to `--ldap-ca`. Plain `ldap://` (`--ldap-plaintext`)
//! is allowed only to a loopback address: passwords cross it.
//!
//! **Bounded.** Connecting and every operation have `--ldap-timeout`; the
//! searches share a small pool of connections (an LDAP connection carries
//! many operations at once), each reopened when it breaks. A directory that
//! is down, slow or refuses the service account is *unavailable*, which the
//! login page says, never a login and never a 500.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use ldap3::{LdapConnAsync, LdapConnSettings, Scope, SearchEntry, ldap_escape};
use rustls::ClientConfig;
use rustls::pki_types::CertificateDer;
use tokio::sync::Mutex;
use zeroize::Zeroizing;

use crate::metrics::{Latency, timed};

/// How many connections the searches share.
const POOL_SIZE: usize = 4;

/// The settings of `--ldap` and its companions.
pub struct LdapSettings {
    pub url: String,
    pub ca: Option<PathBuf>,
    pub plaintext: bool,
    pub base: String,
    pub filter: String,
    pub bind_dn: Option<String>,
    pub bind_password_file: Option<PathBuf>,
    pub attributes: Vec<String>,
    pub principal_attribute: String,
    pub timeout: Duration,
}

/// Why the directory gave no answer. The text is for the log: it names
/// the server and the failure, never a password.
#[derive(Debug, PartialEq, Eq)]
pub struct Unavailable(pub String);

/// An LDAP directory, with the search connections it keeps open.
pub struct Directory {
    url: String,
    base: String,
    filter: String,
    attributes: Vec<String>,
    principal_attribute: String,
    service: Option<(String, Zeroizing<String>)>,
    connection: LdapConnSettings,
    timeout: Duration,
    pool: Vec<Mutex<Option<ldap3::Ldap>>>,
    next: AtomicUsize,
    latency: Option<Latency>,
}

impl std::fmt::Debug for Directory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Directory")
            .field("url", &self.url)
            .field("base", &self.base)
            .field("filter", &self.filter)
            .field("bind_dn", &self.service.as_ref().map(|(dn, _)| dn))
            .finish_non_exhaustive()
    }
}

impl Directory {
    /// Checks the settings and reads the service account's password; opens
    /// no connection yet.
    pub fn new(settings: LdapSettings) -> Result<Directory, String> {
        let url = url::Url::parse(&settings.url)
            .map_err(|e| format!("--ldap {}: not a URL: {e}", settings.url))?;
        let starttls = match url.scheme() {
            "ldaps" => false,
            "ldap" => !settings.plaintext,
            other => {
                return Err(format!(
                    "--ldap {}: the scheme is {other}, not ldap or ldaps",
                    settings.url
                ));
            }
        };
        if settings.plaintext {
            if url.scheme() != "ldap" {
                return Err("--ldap-plaintext goes with an ldap:// URL".to_owned());
            }
            if !is_loopback(&url) {
                return Err(format!(
                    "--ldap-plaintext: {} is not a loopback address, and passwords would cross \
                     the network in the clear; use StartTLS (ldap:// without the flag) or ldaps://",
                    url.host_str().unwrap_or_default()
                ));
            }
        }
        if !url.path().trim_start_matches('/').is_empty() || url.query().is_some() {
            return Err(format!(
                "--ldap {}: give the server only (the base and filter have flags of their own)",
                settings.url
            ));
        }
        if !settings.filter.starts_with('(')
            || !settings.filter.ends_with(')')
            || !settings.filter.contains("{user}")
        {
            return Err(format!(
                "--ldap-filter {}: a filter in parentheses with {{user}} where the user name goes",
                settings.filter
            ));
        }
        if !crate::users::valid_attribute(&settings.principal_attribute) {
            return Err(format!(
                "--ldap-principal-attribute: {:?} is not an attribute name",
                settings.principal_attribute
            ));
        }
        if let Some(bad) = settings
            .attributes
            .iter()
            .find(|a| !crate::users::valid_attribute(a))
        {
            return Err(format!(
                "--ldap-attributes: {bad:?} is not an attribute name"
            ));
        }
        let service = match (settings.bind_dn, settings.bind_password_file) {
            (Some(dn), Some(file)) => Some((dn, read_password(&file)?)),
            (None, None) => None,
            _ => {
                return Err(
                    "--ldap-bind-dn and --ldap-bind-password-file go together (neither: \
                     anonymous search)"
                        .to_owned(),
                );
            }
        };
        let mut connection = LdapConnSettings::new()
            .set_conn_timeout(settings.timeout)
            .set_starttls(starttls);
        if url.scheme() == "ldaps" || starttls {
            connection = connection.set_config(Arc::new(tls_config(settings.ca.as_deref())?));
        } else if settings.ca.is_some() {
            return Err(
                "--ldap-ca goes with ldaps:// or StartTLS, not --ldap-plaintext".to_owned(),
            );
        }
        Ok(Directory {
            url: settings.url,
            base: settings.base,
            filter: settings.filter,
            attributes: settings.attributes,
            principal_attribute: settings.principal_attribute,
            service,
            connection,
            timeout: settings.timeout,
            pool: (0..POOL_SIZE).map(|_| Mutex::new(None)).collect(),
            next: AtomicUsize::new(0),
            latency: None,
        })
    }

    /// The directory, timing each operation into `latency`.
    pub fn timed(self, latency: Latency) -> Directory {
        Directory {
            latency: Some(latency),
            ..self
        }
    }

    /// `operation`, timed if the directory is.
    async fn time<T>(&self, operation: &'static str, f: impl Future<Output = T>) -> T {
        match &self.latency {
            Some(latency) => timed(latency, vec![("operation", operation.to_owned())], f).await,
            None => f.await,
        }
    }

    /// `operation` (`f`), timed, within the timeout: its result, or why the
    /// directory is unavailable ("the search failed: …", "the bind timed
    /// out"; `_` in the metric's label is a space in the message).
    async fn bounded<T>(
        &self,
        operation: &'static str,
        f: impl Future<Output = ldap3::result::Result<T>>,
    ) -> Result<T, Unavailable> {
        let said = operation.replace('_', " ");
        match self
            .time(operation, tokio::time::timeout(self.timeout, f))
            .await
        {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(e)) => Err(self.unavailable(format!("the {said} failed: {e}"))),
            Err(_) => Err(self.unavailable(format!("the {said} timed out"))),
        }
    }

    /// Where the directory is, for the log.
    pub fn describe(&self) -> String {
        format!(
            "{} base {:?}, {}",
            self.url,
            self.base,
            match &self.service {
                Some((dn, _)) => format!("searching as {dn:?}"),
                None => "searching anonymously".to_owned(),
            }
        )
    }

    /// Whether `password` is the password of the one entry `user` names:
    /// if it is, the principal, the entry's `--ldap-principal-attribute` as
    /// the directory spells it (`jdoe` when `JDoe ` logged in, since a
    /// directory matches names ignoring case and spaces).
    pub async fn check(&self, user: &str, password: &str) -> Result<Option<String>, Unavailable> {
        if user.is_empty() || password.is_empty() {
            return Ok(None);
        }
        let filter = self.filter.replace("{user}", &ldap_escape(user));
        let wanted = [self.principal_attribute.as_str()];
        let Some(entry) = self.search_one(&filter, &wanted).await? else {
            return Ok(None);
        };
        let mut principals = values_of(&entry, &self.principal_attribute);
        let principal = match (principals.next(), principals.next()) {
            (Some(principal), None) => principal.clone(),
            // None, or several: no one name to put in tickets.
            _ => return Ok(None),
        };
        // A connection of its own: the bind changes its identity.
        let mut ldap = self.connect().await?;
        let bound = self
            .bounded("bind", ldap.simple_bind(&entry.dn, password))
            .await;
        // The connection is closed either way; an unbind that fails changes
        // nothing the answer depends on.
        let _ = tokio::time::timeout(self.timeout, ldap.unbind()).await;
        match bound?.rc {
            0 => Ok(Some(principal)),
            // invalidCredentials, inappropriateAuthentication,
            // insufficientAccessRights, unwillingToPerform (a locked
            // account), constraintViolation (a password policy).
            49 | 48 | 50 | 53 | 19 => Ok(None),
            rc => Err(self.unavailable(format!("the bind answered result code {rc}"))),
        }
    }

    /// The `--ldap-attributes` of the entry whose principal attribute is
    /// `principal`, every value, in the flag's order and under the flag's
    /// names; none when the directory holds no such entry (or several).
    pub async fn attributes_of(
        &self,
        principal: &str,
    ) -> Result<Vec<(String, String)>, Unavailable> {
        if self.attributes.is_empty() || principal.is_empty() {
            return Ok(Vec::new());
        }
        let filter = format!("({}={})", self.principal_attribute, ldap_escape(principal));
        let wanted: Vec<&str> = self.attributes.iter().map(String::as_str).collect();
        let Some(entry) = self.search_one(&filter, &wanted).await? else {
            return Ok(Vec::new());
        };
        let mut released = Vec::new();
        for name in &self.attributes {
            released.extend(values_of(&entry, name).map(|value| (name.clone(), value.clone())));
        }
        Ok(released)
    }

    /// The one entry `filter` finds under the base, with `attributes`;
    /// none if it finds none or several.
    async fn search_one(
        &self,
        filter: &str,
        attributes: &[&str],
    ) -> Result<Option<SearchEntry>, Unavailable> {
        let slot = self.next.fetch_add(1, Ordering::Relaxed) % POOL_SIZE;
        let mut ldap = self.pooled(slot).await?;
        let searched = self
            .bounded(
                "search",
                ldap.search(&self.base, Scope::Subtree, filter, attributes.to_vec()),
            )
            .await;
        let found = match searched {
            Ok(found) => found,
            Err(unavailable) => {
                self.drop_pooled(slot).await;
                return Err(unavailable);
            }
        };
        match found.1.rc {
            // noSuchObject: the base is gone, so is the user.
            0 | 32 => {}
            rc => return Err(self.unavailable(format!("the search answered result code {rc}"))),
        }
        let mut entries = found
            .0
            .into_iter()
            .filter(|entry| !entry.is_ref() && !entry.is_intermediate());
        Ok(match (entries.next(), entries.next()) {
            (Some(entry), None) => Some(SearchEntry::construct(entry)),
            _ => None,
        })
    }

    /// The pooled search connection of `slot`, opened (and bound as the
    /// service account) if it is not open.
    async fn pooled(&self, slot: usize) -> Result<ldap3::Ldap, Unavailable> {
        let Some(cell) = self.pool.get(slot) else {
            return Err(self.unavailable("no such connection".to_owned()));
        };
        let mut held = cell.lock().await;
        if let Some(ldap) = held.as_mut()
            && !ldap.is_closed()
        {
            return Ok(ldap.clone());
        }
        let mut ldap = self.connect().await?;
        if let Some((dn, password)) = &self.service {
            let bound = self
                .bounded("service_bind", ldap.simple_bind(dn, password))
                .await?;
            if bound.rc != 0 {
                return Err(self.unavailable(format!(
                    "the service account {dn:?} cannot bind (result code {})",
                    bound.rc
                )));
            }
        }
        *held = Some(ldap.clone());
        Ok(ldap)
    }

    /// Forgets a pooled connection that failed; the next use reopens it.
    async fn drop_pooled(&self, slot: usize) {
        if let Some(cell) = self.pool.get(slot) {
            *cell.lock().await = None;
        }
    }

    /// A new connection, TLS established (StartTLS or ldaps) if configured.
    async fn connect(&self) -> Result<ldap3::Ldap, Unavailable> {
        let opened = self
            .time(
                "connect",
                tokio::time::timeout(
                    self.timeout,
                    LdapConnAsync::with_settings(self.connection.clone(), &self.url),
                ),
            )
            .await;
        match opened {
            Ok(Ok((connection, ldap))) => {
                tokio::spawn(async move {
                    // A connection that breaks is reopened at its next use.
                    let _ = connection.drive().await;
                });
                Ok(ldap)
            }
            Ok(Err(e)) => Err(self.unavailable(format!("cannot connect: {e}"))),
            Err(_) => Err(self.unavailable("connecting timed out".to_owned())),
        }
    }

    fn unavailable(&self, why: String) -> Unavailable {
        Unavailable(format!("directory {}: {why}", self.url))
    }
}

/// The values of attribute `name` of `entry`, whichever way the server's
/// schema spells the name.
fn values_of<'a>(entry: &'a SearchEntry, name: &'a str) -> impl Iterator<Item = &'a String> {
    entry
        .attrs
        .iter()
        .filter(move |(key, _)| key.eq_ignore_ascii_case(name))
        .flat_map(|(_, values)| values)
}

/// Whether the URL's host is a loopback address (or `localhost`).
fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        // ldap:// is not a scheme the URL standard knows: its host is
        // opaque text, an address included.
        Some(url::Host::Domain(name)) => {
            name.eq_ignore_ascii_case("localhost")
                || name
                    .trim_start_matches('[')
                    .trim_end_matches(']')
                    .parse::<std::net::IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback())
        }
        None => false,
    }
}

/// The service account's password: the first line of a private file.
fn read_password(path: &Path) -> Result<Zeroizing<String>, String> {
    use std::io::Read as _;
    let named = |e: String| format!("--ldap-bind-password-file {}: {e}", path.display());
    let mut file = std::fs::File::open(path).map_err(|e| named(e.to_string()))?;
    cas_ticket_codec::check_private_file(&file).map_err(|e| named(e.to_string()))?;
    let mut text = Zeroizing::new(String::new());
    file.read_to_string(&mut text)
        .map_err(|e| named(e.to_string()))?;
    let password = Zeroizing::new(text.lines().next().unwrap_or_default().to_owned());
    if password.is_empty() {
        return Err(named("the file holds no password".to_owned()));
    }
    Ok(password)
}

/// TLS to the directory: the system's roots and those of `ca`.
fn tls_config(ca: Option<&Path>) -> Result<ClientConfig, String> {
    let mut roots = rustls::RootCertStore::empty();
    for cert in rustls_native_certs::load_native_certs().certs {
        // A system root rustls cannot use is skipped, as browsers do.
        let _ = roots.add(cert);
    }
    if let Some(file) = ca {
        for cert in crate::pem::certificates("--ldap-ca", file)? {
            roots
                .add(CertificateDer::from(cert.der().to_vec()))
                .map_err(|e| format!("--ldap-ca {}: {e}", file.display()))?;
        }
    }
    ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS to the directory: {e}"))
        .map(|builder| builder.with_root_certificates(roots).with_no_client_auth())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::slapd::{self, Slapd};

    fn settings(url: String) -> LdapSettings {
        LdapSettings {
            url,
            ca: None,
            plaintext: false,
            base: slapd::BASE.to_owned(),
            filter: "(uid={user})".to_owned(),
            bind_dn: None,
            bind_password_file: None,
            attributes: vec!["mail".to_owned(), "memberOf".to_owned()],
            principal_attribute: "uid".to_owned(),
            timeout: Duration::from_secs(3),
        }
    }

    fn plain(slapd: &Slapd) -> Directory {
        Directory::new(LdapSettings {
            plaintext: true,
            ..settings(slapd.url())
        })
        .unwrap()
    }

    /// A private file holding `text`.
    fn private_file(slapd: &Slapd, name: &str, text: &str, mode: u32) -> PathBuf {
        use std::os::unix::fs::PermissionsExt;
        let path = slapd.file(name);
        std::fs::write(&path, text).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
        path
    }

    async fn logs_in(directory: &Directory) {
        assert_eq!(
            directory.check("jdoe", slapd::JDOE_PASSWORD).await,
            Ok(Some("jdoe".to_owned()))
        );
        assert_eq!(directory.check("jdoe", "wrong").await, Ok(None));
        assert_eq!(directory.check("nobody", "wrong").await, Ok(None));
        let mut attributes = directory.attributes_of("jdoe").await.unwrap();
        attributes.sort();
        let staff = format!("cn=staff,ou=groups,{}", slapd::BASE);
        let faculty = format!("cn=faculty,ou=groups,{}", slapd::BASE);
        let mut expected = vec![
            ("mail".to_owned(), "jdoe@example.edu".to_owned()),
            ("memberOf".to_owned(), faculty),
            ("memberOf".to_owned(), staff),
        ];
        expected.sort();
        assert_eq!(attributes, expected);
    }

    #[tokio::test]
    async fn users_log_in_over_plain_starttls_and_ldaps() {
        let slapd = Slapd::start().await;
        logs_in(&plain(&slapd)).await;
        let starttls = Directory::new(LdapSettings {
            ca: Some(slapd.ca()),
            ..settings(slapd.url())
        })
        .unwrap();
        logs_in(&starttls).await;
        let ldaps = Directory::new(LdapSettings {
            ca: Some(slapd.ca()),
            ..settings(slapd.ldaps_url())
        })
        .unwrap();
        logs_in(&ldaps).await;
    }

    /// A certificate that does not chain to a trusted root is a directory
    /// the node cannot trust: unavailable, never a login.
    #[tokio::test]
    async fn an_untrusted_certificate_is_unavailable() {
        let slapd = Slapd::start().await;
        for url in [slapd.url(), slapd.ldaps_url()] {
            let directory = Directory::new(settings(url.clone())).unwrap();
            let Err(Unavailable(why)) = directory.check("jdoe", slapd::JDOE_PASSWORD).await else {
                panic!("{url}: a login over an untrusted certificate");
            };
            assert!(
                why.starts_with(&format!("directory {url}: cannot connect")),
                "{why}"
            );
        }
    }

    #[tokio::test]
    async fn filter_injection_finds_no_one() {
        let slapd = Slapd::start().await;
        let directory = plain(&slapd);
        for name in [
            "*",
            "j*",
            "jdoe*",
            "*doe",
            "jdoe)(uid=*",
            "jdoe)(|(uid=*",
            "*)(uid=*))(|(uid=*",
            "jdoe)(objectClass=*",
            "jdoe\\",
            "jdoe\\2a",
            "\\2a",
            "jdoe\0",
            "jdoe\0)(uid=*",
            "(uid=jdoe)",
            "jdo?",
            "jdoe,ou=people",
            "uid=jdoe",
            "twin",
        ] {
            for password in [slapd::JDOE_PASSWORD, "*", "twin password"] {
                assert_eq!(
                    directory.check(name, password).await,
                    Ok(None),
                    "{name:?} with {password:?}"
                );
            }
            assert_eq!(
                directory.attributes_of(name).await,
                Ok(Vec::new()),
                "{name:?}"
            );
        }
    }

    /// The directory matches `uid` ignoring case and spaces; the principal
    /// is the entry's own spelling, so that tickets, attributes and the
    /// throttle see one user.
    #[tokio::test]
    async fn the_principal_is_the_directorys_spelling() {
        let slapd = Slapd::start().await;
        let directory = plain(&slapd);
        for typed in ["JDOE", " jdoe ", "jDoe"] {
            assert_eq!(
                directory.check(typed, slapd::JDOE_PASSWORD).await,
                Ok(Some("jdoe".to_owned())),
                "{typed:?}"
            );
        }
        let by_mail = Directory::new(LdapSettings {
            plaintext: true,
            filter: "(|(mail={user})(uid={user}))".to_owned(),
            ..settings(slapd.url())
        })
        .unwrap();
        assert_eq!(
            by_mail
                .check("JDoe@Example.edu", slapd::JDOE_PASSWORD)
                .await,
            Ok(Some("jdoe".to_owned()))
        );
        assert_eq!(
            by_mail.attributes_of("jdoe").await.unwrap().first(),
            Some(&("mail".to_owned(), "jdoe@example.edu".to_owned()))
        );
    }

    /// An empty password would be an unauthenticated bind, which slapd
    /// answers with success: it is refused before any bind.
    #[tokio::test]
    async fn an_empty_password_is_refused_before_the_bind() {
        let slapd = Slapd::start().await;
        let directory = plain(&slapd);
        assert_eq!(directory.check("jdoe", "").await, Ok(None));
        let (connection, mut ldap) = LdapConnAsync::new(&slapd.url()).await.unwrap();
        tokio::spawn(async move { connection.drive().await });
        let unauthenticated = ldap
            .simple_bind(&format!("uid=jdoe,ou=people,{}", slapd::BASE), "")
            .await
            .unwrap();
        assert_eq!(
            unauthenticated.rc, 0,
            "what the check must not be fooled by"
        );
    }

    #[tokio::test]
    async fn a_dn_full_of_specials_binds() {
        let slapd = Slapd::start().await;
        let directory = plain(&slapd);
        assert_eq!(
            directory.check("obrien", slapd::OBRIEN_PASSWORD).await,
            Ok(Some("obrien".to_owned()))
        );
        assert_eq!(
            directory.check("obrien", slapd::JDOE_PASSWORD).await,
            Ok(None)
        );
        let attributes = directory.attributes_of("obrien").await.unwrap();
        assert!(
            attributes.contains(&("mail".to_owned(), "obrien@example.edu".to_owned())),
            "{attributes:?}"
        );
        assert!(
            attributes.iter().any(|(name, _)| name == "memberOf"),
            "{attributes:?}"
        );
    }

    #[tokio::test]
    async fn a_service_account_searches_and_a_wrong_one_is_unavailable() {
        let slapd = Slapd::start().await;
        let right = private_file(
            &slapd,
            "bind",
            &format!("{}\n", slapd::SERVICE_PASSWORD),
            0o600,
        );
        let directory = Directory::new(LdapSettings {
            plaintext: true,
            bind_dn: Some(slapd::SERVICE.to_owned()),
            bind_password_file: Some(right),
            ..settings(slapd.url())
        })
        .unwrap();
        logs_in(&directory).await;
        assert!(!format!("{directory:?}").contains(slapd::SERVICE_PASSWORD));
        let wrong = private_file(&slapd, "wrong", "not it\n", 0o600);
        let directory = Directory::new(LdapSettings {
            plaintext: true,
            bind_dn: Some(slapd::SERVICE.to_owned()),
            bind_password_file: Some(wrong),
            ..settings(slapd.url())
        })
        .unwrap();
        assert_eq!(
            directory.check("jdoe", slapd::JDOE_PASSWORD).await,
            Err(Unavailable(format!(
                "directory {}: the service account {:?} cannot bind (result code 49)",
                slapd.url(),
                slapd::SERVICE
            )))
        );
    }

    /// Attributes are read at validation: a user removed from the
    /// directory has none (and cannot log in again).
    #[tokio::test]
    async fn a_removed_user_has_no_attributes() {
        let slapd = Slapd::start().await;
        let directory = plain(&slapd);
        assert!(!directory.attributes_of("jdoe").await.unwrap().is_empty());
        slapd
            .delete(&format!("uid=jdoe,ou=people,{}", slapd::BASE))
            .await;
        assert_eq!(directory.attributes_of("jdoe").await, Ok(Vec::new()));
        assert_eq!(
            directory.check("jdoe", slapd::JDOE_PASSWORD).await,
            Ok(None)
        );
    }

    /// Down (nothing listens) and silent (a listener that never answers):
    /// unavailable within the timeout, then working again once the
    /// directory is back, on the same pool.
    #[tokio::test]
    async fn a_directory_down_or_silent_is_unavailable_within_the_timeout() {
        let timeout = Duration::from_millis(300);
        let port = slapd::free_port();
        let down = Directory::new(LdapSettings {
            plaintext: true,
            timeout,
            ..settings(format!("ldap://127.0.0.1:{port}"))
        })
        .unwrap();
        let Err(Unavailable(why)) = down.check("jdoe", "pw").await else {
            panic!("a login with the directory down");
        };
        assert!(why.contains("cannot connect"), "{why}");

        let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("ldap://127.0.0.1:{}", silent.local_addr().unwrap().port());
        let directory = Directory::new(LdapSettings {
            plaintext: true,
            timeout,
            ..settings(url.clone())
        })
        .unwrap();
        let started = std::time::Instant::now();
        assert_eq!(
            directory.check("jdoe", "pw").await,
            Err(Unavailable(format!(
                "directory {url}: the search timed out"
            )))
        );
        assert_eq!(
            directory.attributes_of("jdoe").await,
            Err(Unavailable(format!(
                "directory {url}: the search timed out"
            )))
        );
        assert!(started.elapsed() < timeout * 4, "{:?}", started.elapsed());
        drop(silent);
    }

    #[test]
    fn settings_that_would_leak_or_mislead_are_refused() {
        let refused = |s: LdapSettings| Directory::new(s).unwrap_err();
        let base = || settings("ldap://127.0.0.1:389".to_owned());
        assert_eq!(
            refused(LdapSettings {
                plaintext: true,
                ..settings("ldap://ldap.example.edu".to_owned())
            }),
            "--ldap-plaintext: ldap.example.edu is not a loopback address, and passwords would \
             cross the network in the clear; use StartTLS (ldap:// without the flag) or ldaps://"
        );
        assert_eq!(
            refused(LdapSettings {
                plaintext: true,
                ..settings("ldaps://127.0.0.1".to_owned())
            }),
            "--ldap-plaintext goes with an ldap:// URL"
        );
        assert_eq!(
            refused(settings("http://127.0.0.1".to_owned())),
            "--ldap http://127.0.0.1: the scheme is http, not ldap or ldaps"
        );
        assert_eq!(
            refused(settings("ldap://127.0.0.1/dc=example,dc=edu".to_owned())),
            "--ldap ldap://127.0.0.1/dc=example,dc=edu: give the server only (the base and \
             filter have flags of their own)"
        );
        for filter in ["uid={user}", "(uid=jdoe)", "(uid={user}"] {
            assert_eq!(
                refused(LdapSettings {
                    filter: filter.to_owned(),
                    ..base()
                }),
                format!(
                    "--ldap-filter {filter}: a filter in parentheses with {{user}} where the \
                     user name goes"
                )
            );
        }
        assert_eq!(
            refused(LdapSettings {
                attributes: vec!["mail".to_owned(), "member Of".to_owned()],
                ..base()
            }),
            "--ldap-attributes: \"member Of\" is not an attribute name"
        );
        assert_eq!(
            refused(LdapSettings {
                principal_attribute: "(uid)".to_owned(),
                ..base()
            }),
            "--ldap-principal-attribute: \"(uid)\" is not an attribute name"
        );
        assert_eq!(
            refused(LdapSettings {
                bind_dn: Some(slapd::SERVICE.to_owned()),
                ..base()
            }),
            "--ldap-bind-dn and --ldap-bind-password-file go together (neither: anonymous search)"
        );
    }

    #[test]
    fn the_bind_password_file_must_be_private_and_hold_a_password() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bind");
        let with_file = |text: &str, mode: u32| {
            std::fs::write(&path, text).unwrap();
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
            Directory::new(LdapSettings {
                bind_dn: Some(slapd::SERVICE.to_owned()),
                bind_password_file: Some(path.clone()),
                ..settings("ldaps://127.0.0.1".to_owned())
            })
        };
        let readable = with_file("secret\n", 0o644).unwrap_err();
        assert!(
            readable.starts_with(&format!("--ldap-bind-password-file {}: ", path.display()))
                && readable.contains("mode 0644")
                && !readable.contains("secret"),
            "{readable}"
        );
        assert_eq!(
            with_file("\n", 0o600).unwrap_err(),
            format!(
                "--ldap-bind-password-file {}: the file holds no password",
                path.display()
            )
        );
        assert!(with_file("secret\n", 0o600).is_ok());
    }
}
