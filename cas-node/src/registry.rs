//! The service registry (`--services FILE`): which applications may use this
//! CAS server, and what each may have. CAS 3.0 §2.1.1 and §2.2.1: in non-open
//! mode a CAS server MUST deny unregistered services. Without a registry,
//! any web page could send a logged-in browser to
//! `/login?service=https://attacker.example/collect` and read the user's
//! identity and attributes from the ST it receives.
//!
//! ```toml
//! [[service]]
//! name = "Moodle"
//! url = "https://moodle.example.edu/"     # this URL or under it (url_scope.rs)
//! attributes = ["mail", "memberOf"]        # released on validation; ["*"] all; default none
//! proxy_callbacks = ["https://moodle.example.edu/cas/pgt"]  # pgtUrls it may receive PGTs at
//! proxy_tickets = false                    # may be a /proxy targetService
//! single_logout = true                     # told of logouts (with --store)
//! ```
//!
//! OAuth 2.0 and OpenID Connect clients are `[[client]]` entries of the
//! same file (clients.rs).
//!
//! A URL belongs to the most specific entry that covers it
//! ([`UrlScope::specificity`]): an exact host before a wildcard, then the
//! longer host, then more path segments. Two entries with the same scope are
//! refused, so the answer never depends on the order of the file. The file
//! is read at start and again on SIGHUP; a file that does not load leaves the
//! registry in use unchanged.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::clients::{ClientEntry, RegisteredClient};
use crate::url_scope::UrlScope;

/// The registry as loaded.
#[derive(Debug)]
pub struct Registry {
    /// Most specific first.
    services: Vec<Arc<RegisteredService>>,
    /// The OAuth / OpenID Connect clients (clients.rs), by client id.
    clients: Vec<Arc<RegisteredClient>>,
}

/// One `[[service]]` entry.
#[derive(Debug)]
pub struct RegisteredService {
    /// What the user is shown ("Log in to Moodle").
    pub name: String,
    /// A line about it, shown with the name, if the entry has one.
    pub description: Option<String>,
    scope: UrlScope,
    attributes: Release,
    proxy_callbacks: Vec<UrlScope>,
    /// It may be a `/proxy` `targetService`.
    pub proxy_tickets: bool,
    /// It is told of logouts (with `--store`).
    pub single_logout: bool,
}

/// Which of a user's attributes a service (or claims a client) receives.
#[derive(Debug, PartialEq, Eq)]
pub enum Release {
    All,
    Only(BTreeSet<String>),
}

impl Release {
    /// The release of an entry's list of `field` (`attributes`, `claims`):
    /// `["*"]` all, else the names, each an attribute name.
    pub fn parse(list: Vec<String>, field: &str, entry: &str) -> Result<Release, String> {
        if list.iter().any(|a| a == "*") {
            if list.len() > 1 {
                return Err(format!(
                    "{entry}: {field} [\"*\"] releases all; it takes no other name"
                ));
            }
            return Ok(Release::All);
        }
        let mut names = BTreeSet::new();
        for name in list {
            if !crate::users::valid_attribute(&name) {
                return Err(format!(
                    "{entry}: {} {name:?} is not a name of ASCII letters, digits, `_`, `-` \
                     and `.` starting with a letter",
                    field.trim_end_matches('s')
                ));
            }
            names.insert(name);
        }
        Ok(Release::Only(names))
    }

    /// Whether `name` is released.
    pub fn releases(&self, name: &str) -> bool {
        match self {
            Release::All => true,
            Release::Only(names) => names.contains(name),
        }
    }

    /// The names listed one by one (none for `["*"]`).
    pub fn listed(&self) -> impl Iterator<Item = &str> {
        let listed = match self {
            Release::All => None,
            Release::Only(names) => Some(names.iter().map(String::as_str)),
        };
        listed.into_iter().flatten()
    }
}

/// An entry's `name`, trimmed: 1 to [`MAX_NAME_CHARS`] characters without
/// control characters, as a page shows it.
pub fn display_name(raw: &str) -> Result<String, String> {
    let name = raw.trim().to_owned();
    if name.is_empty() || name.chars().count() > MAX_NAME_CHARS || name.contains(char::is_control) {
        return Err(format!(
            "name must be 1 to {MAX_NAME_CHARS} characters without control characters"
        ));
    }
    Ok(name)
}

/// The file, as TOML.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RegistryFile {
    #[serde(default)]
    service: Vec<ServiceEntry>,
    #[serde(default)]
    client: Vec<ClientEntry>,
}

/// One `[[service]]` entry as written (apereo.rs writes them too).
#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceEntry {
    pub name: String,
    pub url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default)]
    pub attributes: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub proxy_callbacks: Vec<String>,
    #[serde(default)]
    pub proxy_tickets: bool,
    #[serde(default)]
    pub single_logout: bool,
}

/// Longest service name shown on a page.
const MAX_NAME_CHARS: usize = 100;

impl Registry {
    /// Reads and checks the file; the error names the file and the entry.
    pub fn load(path: &Path) -> Result<Registry, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read --services {}: {e}", path.display()))?;
        Registry::parse(&text).map_err(|e| format!("--services {}: {e}", path.display()))
    }

    /// Parses the TOML text of a registry.
    pub fn parse(text: &str) -> Result<Registry, String> {
        let file: RegistryFile = toml::from_str(text).map_err(|e| e.message().to_owned())?;
        if file.service.is_empty() && file.client.is_empty() {
            return Err(
                "no [[service]] entry: a CAS server with no registered service \
                 cannot issue a ticket"
                    .to_owned(),
            );
        }
        let mut clients: Vec<Arc<RegisteredClient>> = Vec::with_capacity(file.client.len());
        for (index, entry) in file.client.into_iter().enumerate() {
            let client = RegisteredClient::from_entry(entry)
                .map_err(|e| format!("[[client]] number {}: {e}", index + 1))?;
            if let Some(same) = clients.iter().find(|c| c.id == client.id) {
                return Err(format!(
                    "\"{}\" and \"{}\" have the same client_id {}",
                    same.name, client.name, client.id
                ));
            }
            clients.push(Arc::new(client));
        }
        let mut services = Vec::with_capacity(file.service.len());
        for (index, entry) in file.service.into_iter().enumerate() {
            let service = RegisteredService::from_entry(entry)
                .map_err(|e| format!("[[service]] number {}: {e}", index + 1))?;
            if let Some(same) = services
                .iter()
                .find(|s: &&Arc<RegisteredService>| s.scope == service.scope)
            {
                return Err(format!(
                    "\"{}\" and \"{}\" have the same url {}: which one a service \
                     belongs to would depend on the order of the file",
                    same.name, service.name, service.scope
                ));
            }
            services.push(Arc::new(service));
        }
        services.sort_by_key(|s| std::cmp::Reverse(s.scope.specificity()));
        Ok(Registry { services, clients })
    }

    /// The client whose id is `client_id`, compared as its exact text.
    pub fn client(&self, client_id: &str) -> Option<Arc<RegisteredClient>> {
        self.clients
            .iter()
            .find(|c| c.id.as_str() == client_id)
            .cloned()
    }

    /// The entry `url` (normalized, as `normalize` gives it) belongs to.
    pub fn find(&self, url: &str) -> Option<Arc<RegisteredService>> {
        self.services.iter().find(|s| s.scope.covers(url)).cloned()
    }

    /// The entry whose `proxy_callbacks` cover `callback`, the most
    /// specific service first.
    pub fn proxy_callback_owner(&self, callback: &str) -> Option<Arc<RegisteredService>> {
        self.services
            .iter()
            .find(|s| s.may_receive_pgt_at(callback))
            .cloned()
    }

    /// How many services are registered.
    pub fn len(&self) -> usize {
        self.services.len()
    }
}

impl RegisteredService {
    fn from_entry(entry: ServiceEntry) -> Result<RegisteredService, String> {
        let name = display_name(&entry.name)?;
        let scope = UrlScope::parse(&entry.url).map_err(|e| format!("{name}: url {e}"))?;
        let attributes = Release::parse(entry.attributes, "attributes", &name)?;
        let mut proxy_callbacks = Vec::with_capacity(entry.proxy_callbacks.len());
        for callback in &entry.proxy_callbacks {
            let scope =
                UrlScope::parse(callback).map_err(|e| format!("{name}: proxy_callbacks {e}"))?;
            // CAS 3.0 §2.5.4: the pgtUrl MUST be https.
            if !scope.is_https() {
                return Err(format!(
                    "{name}: proxy callback {callback} must be https (CAS 3.0 §2.5.4)"
                ));
            }
            proxy_callbacks.push(scope);
        }
        let description = entry.description.map(|d| d.trim().to_owned());
        if description
            .as_ref()
            .is_some_and(|d| d.contains(char::is_control))
        {
            return Err(format!("{name}: description has control characters"));
        }
        Ok(RegisteredService {
            name,
            description,
            scope,
            attributes,
            proxy_callbacks,
            proxy_tickets: entry.proxy_tickets,
            single_logout: entry.single_logout,
        })
    }

    /// The service an OpenID provider's authorization requests for
    /// `client` are (`scope`: the authorization endpoint): no attribute,
    /// no proxying, no single logout; the login shows the client's name.
    pub fn for_client(client: &RegisteredClient, scope: UrlScope) -> RegisteredService {
        RegisteredService {
            name: client.name.clone(),
            description: None,
            scope,
            attributes: Release::Only(BTreeSet::new()),
            proxy_callbacks: Vec::new(),
            proxy_tickets: false,
            single_logout: false,
        }
    }

    /// Whether the user attribute `name` is released to this service.
    pub fn releases(&self, attribute: &str) -> bool {
        self.attributes.releases(attribute)
    }

    /// Whether a PGT may be delivered to `callback` (a normalized URL) for
    /// this service.
    pub fn may_receive_pgt_at(&self, callback: &str) -> bool {
        self.proxy_callbacks
            .iter()
            .any(|scope| scope.covers(callback))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = r#"
[[service]]
name = "Portal"
url = "https://*.example.edu/"

[[service]]
name = "Moodle"
url = "https://moodle.example.edu/"
attributes = ["mail", "memberOf"]
proxy_callbacks = ["https://moodle.example.edu/cas/pgt"]
single_logout = true

[[service]]
name = "Moodle admin"
url = "https://moodle.example.edu/admin"
attributes = ["*"]

[[service]]
name = "Search"
url = "https://search.example.edu:8443/"
proxy_tickets = true
"#;

    fn name_for(registry: &Registry, url: &str) -> Option<String> {
        let url = cas_ticket_codec::normalize(url).ok()?;
        registry.find(&url).map(|s| s.name.clone())
    }

    #[test]
    fn the_most_specific_entry_wins_whatever_the_order() {
        let forward = Registry::parse(SAMPLE).unwrap();
        let mut entries: Vec<&str> = SAMPLE.split("[[service]]").skip(1).collect();
        entries.reverse();
        let backward =
            Registry::parse(&format!("[[service]]{}", entries.join("[[service]]"))).unwrap();
        for registry in [&forward, &backward] {
            let name = |url| name_for(registry, url);
            assert_eq!(
                name("https://moodle.example.edu/course").as_deref(),
                Some("Moodle")
            );
            assert_eq!(
                name("https://moodle.example.edu/admin/x").as_deref(),
                Some("Moodle admin")
            );
            assert_eq!(
                name("https://moodle.example.edu/administrator").as_deref(),
                Some("Moodle")
            );
            assert_eq!(name("https://wiki.example.edu/").as_deref(), Some("Portal"));
            assert_eq!(
                name("https://search.example.edu:8443/q").as_deref(),
                Some("Search")
            );
            assert_eq!(
                name("https://search.example.edu/q").as_deref(),
                Some("Portal")
            );
            for outside in [
                "https://example.edu/",
                "https://evil-example.edu/",
                "https://a.b.example.edu/",
                "http://moodle.example.edu/",
                "https://moodle.example.edu.evil.test/",
                "https://attacker.example/collect",
                "https://moodle.example.edu:444/",
            ] {
                assert_eq!(name(outside), None, "{outside}");
            }
        }
    }

    #[test]
    fn releases_and_callbacks_follow_the_entry() {
        let registry = Registry::parse(SAMPLE).unwrap();
        let find = |url: &str| {
            registry
                .find(&cas_ticket_codec::normalize(url).unwrap())
                .unwrap()
        };
        let moodle = find("https://moodle.example.edu/");
        assert!(moodle.releases("mail") && moodle.releases("memberOf"));
        assert!(!moodle.releases("displayName"));
        assert!(find("https://moodle.example.edu/admin").releases("anything"));
        assert!(!find("https://wiki.example.edu/").releases("mail"));
        assert!(moodle.may_receive_pgt_at("https://moodle.example.edu/cas/pgt/1"));
        assert!(!moodle.may_receive_pgt_at("https://moodle.example.edu/cas/pgtx"));
        assert!(
            !find("https://wiki.example.edu/")
                .may_receive_pgt_at("https://moodle.example.edu/cas/pgt")
        );
        assert_eq!(
            registry
                .proxy_callback_owner("https://moodle.example.edu/cas/pgt")
                .map(|s| s.name.clone())
                .as_deref(),
            Some("Moodle")
        );
        assert!(
            registry
                .proxy_callback_owner("https://evil.test/cas/pgt")
                .is_none()
        );
        assert!(moodle.single_logout && !moodle.proxy_tickets);
        assert!(find("https://search.example.edu:8443/").proxy_tickets);
    }

    #[test]
    fn bad_registries_are_refused_with_the_reason() {
        let one = |body: &str| format!("[[service]]\nname = \"App\"\n{body}\n");
        for (text, reason) in [
            ("".to_owned(), "no [[service]] entry"),
            (one(""), "missing field `url`"),
            (
                one("url = \"https://a.example.edu/\"\ncolor = 1"),
                "unknown field `color`",
            ),
            (
                one("url = \"https://a.example.edu/?x=1\""),
                "is not an http or https URL",
            ),
            (one("url = \"https://*.edu/\""), "at least two labels"),
            (
                one(
                    "url = \"https://a.example.edu/\"\nproxy_callbacks = [\"http://a.example.edu/pgt\"]",
                ),
                "must be https",
            ),
            (
                one("url = \"https://a.example.edu/\"\nattributes = [\"*\", \"mail\"]"),
                "takes no other name",
            ),
            (
                one("url = \"https://a.example.edu/\"\nattributes = [\"mail<x>\"]"),
                "is not a name",
            ),
            (
                format!(
                    "{}{}",
                    one("url = \"https://a.example.edu/app\""),
                    one("url = \"HTTPS://A.example.edu:443/app/\"")
                ),
                "have the same url https://a.example.edu/app",
            ),
            (
                "[[service]]\nname = \"\"\nurl = \"https://a.example.edu/\"".to_owned(),
                "name must be",
            ),
        ] {
            let err = Registry::parse(&text).unwrap_err();
            assert!(err.contains(reason), "{text:?}: {err}");
        }
    }
}
