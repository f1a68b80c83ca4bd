//! Every setting of a serving node, in one typed struct: `Flags`, from the
//! command line and a TOML file (`--config FILE`). Every flag has a key, its
//! long name (`st-ttl` or `st_ttl`); a repeatable flag takes an array; a
//! switch takes `true` or `false`. A flag given on the command line wins
//! over its key (a repeatable one replaces the whole array).
//!
//! ```toml
//! listen = "0.0.0.0:8080"
//! keys = "/etc/cas-node/keys.json"
//! users = "/etc/cas-node/users.txt"
//! services = "/etc/cas-node/services.toml"
//! tgt-ttl = "8h"
//! store = ["redis://10.0.0.5:6379/"]
//! trusted-proxy = ["10.0.0.2"]
//! ```

use std::ffi::OsString;
use std::path::PathBuf;

use cas_ticket_codec::duration;
use clap::Parser;
use time::Duration;

use crate::{client, throttle};

/// A CAS server on stateless tickets: `cas-node --listen … --keys …
/// --users … --services …` serves; a command does something else.
#[derive(Parser, Debug)]
#[command(name = "cas-node", args_conflicts_with_subcommands = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub serve: Option<Flags>,
}

/// How the node serves.
#[derive(clap::Args, Debug)]
pub struct Flags {
    /// A TOML file of settings: each key is a flag's long name, and a flag
    /// given here wins over its key.
    #[arg(long, value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// Address to listen on (port 0 picks a free port; the first line on
    /// standard output says which).
    #[arg(long, value_name = "ADDR")]
    pub listen: std::net::SocketAddr,
    /// The keyring file `ticketctl keygen` writes (mode 0600). SIGHUP reloads it.
    #[arg(long, value_name = "PATH", env = "TICKETCTL_KEYS")]
    pub keys: PathBuf,
    /// The service registry (TOML, `[[service]]` entries; registry.rs): the
    /// applications that may receive tickets, the attributes each gets, who
    /// may proxy and who is told of logouts. SIGHUP reloads it. An
    /// unregistered service gets a page, never a ticket.
    #[arg(long, value_name = "PATH")]
    pub services: PathBuf,
    /// Users file: `[users]` lines `name:argon2id-hash`, `[attributes]`
    /// lines `name attribute=value`. Read again on every login and
    /// validation. Either this or --ldap.
    #[arg(
        long,
        value_name = "PATH",
        required_unless_present = "ldap",
        conflicts_with = "ldap"
    )]
    pub users: Option<PathBuf>,
    /// An LDAP directory of users and attributes, instead of --users:
    /// `ldaps://HOST[:PORT]`, or `ldap://HOST[:PORT]` upgraded with StartTLS.
    /// Users are found by --ldap-filter under --ldap-base, then bound as with
    /// their password (ldap.rs).
    #[arg(long, value_name = "URL", requires = "ldap_base")]
    pub ldap: Option<String>,
    /// A PEM file of the CA the directory's certificate chains to, besides
    /// the system's roots.
    #[arg(long, value_name = "PEM_FILE", requires = "ldap")]
    pub ldap_ca: Option<PathBuf>,
    /// Speak to an `ldap://` directory on a loopback address without TLS
    /// (tests; refused for any other address).
    #[arg(long, requires = "ldap")]
    pub ldap_plaintext: bool,
    /// Where users are searched (subtree).
    #[arg(long, value_name = "DN", requires = "ldap")]
    pub ldap_base: Option<String>,
    /// The search filter; `{user}` is replaced by the user name, escaped
    /// (RFC 4515).
    #[arg(long, value_name = "FILTER", default_value = "(uid={user})")]
    pub ldap_filter: String,
    /// Search as this DN (with --ldap-bind-password-file) rather than
    /// anonymously.
    #[arg(long, value_name = "DN", requires = "ldap_bind_password_file")]
    pub ldap_bind_dn: Option<String>,
    /// A file (mode 0600) whose first line is --ldap-bind-dn's password.
    #[arg(long, value_name = "PATH", requires = "ldap_bind_dn")]
    pub ldap_bind_password_file: Option<PathBuf>,
    /// The directory attributes a validation may release (each service
    /// gets those its registry entry names), comma-separated.
    #[arg(long, value_name = "NAMES", value_delimiter = ',', requires = "ldap")]
    pub ldap_attributes: Vec<String>,
    /// The attribute whose value is the principal put in tickets (and by
    /// which attributes are found at validation): one value per entry.
    #[arg(long, value_name = "NAME", default_value = "uid")]
    pub ldap_principal_attribute: String,
    /// How long connecting to the directory, or one operation, may take.
    #[arg(long, value_name = "DURATION", default_value = "3s", value_parser = duration::parse_duration)]
    pub ldap_timeout: Duration,
    /// Path of the CAS context: the routes live below it and the `CASTGC`
    /// cookie is scoped to it.
    #[arg(long, value_name = "PATH", default_value = "/cas", value_parser = parse_context)]
    pub context: String,
    /// Send the `CASTGC` cookie without `Secure`, so that a browser keeps it
    /// over plain HTTP (loopback tests only).
    #[arg(long)]
    pub insecure_cookie: bool,
    /// Lifetime of service and proxy tickets.
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = duration::parse_lifetime)]
    pub st_ttl: Duration,
    /// Lifetime of ticket-granting tickets (the SSO session).
    #[arg(long, value_name = "DURATION", default_value = "8h", value_parser = duration::parse_lifetime)]
    pub tgt_ttl: Duration,
    /// Lifetime of a TGT when the user ticked "remember me".
    #[arg(long, value_name = "DURATION", default_value = "7d", value_parser = duration::parse_lifetime)]
    pub remember_me_ttl: Duration,
    /// Lifetime of proxy-granting tickets.
    #[arg(long, value_name = "DURATION", default_value = "2h", value_parser = duration::parse_lifetime)]
    pub pgt_ttl: Duration,
    /// Clock-skew allowance past a ticket's expiration instant.
    #[arg(long, value_name = "DURATION", default_value = "0s", value_parser = duration::parse_duration)]
    pub leeway: Duration,
    /// A PEM file of CA certificates that https `pgtUrl` callbacks may chain
    /// to, besides the system's trust store (repeat for more): a campus's
    /// private CA.
    #[arg(long, value_name = "PEM_FILE")]
    pub proxy_ca: Vec<PathBuf>,
    /// The pool-wide ticket store: `redis://HOST:PORT`, `rediss://…` (TLS),
    /// or `memory` (this node only). With it an ST or PT validates once
    /// pool-wide and logout ends the session on every node; without it the
    /// node is stateless. Repeat with --store-cluster for a Redis Cluster's
    /// seed nodes.
    #[arg(long = "store", value_name = "URL")]
    pub store: Vec<String>,
    /// The --store URLs are nodes of a Redis Cluster.
    #[arg(long)]
    pub store_cluster: bool,
    /// A PEM file of the CA a `rediss://` store's certificate chains to
    /// (default: the system's trust store).
    #[arg(long, value_name = "PEM_FILE")]
    pub store_ca: Option<PathBuf>,
    /// How long one call to the store may take.
    #[arg(long, value_name = "DURATION", default_value = "500ms", value_parser = duration::parse_duration)]
    pub store_timeout: Duration,
    /// When the store cannot answer: `closed` refuses the validation
    /// (INTERNAL_ERROR: nothing is accepted twice), `open` answers as a
    /// stateless node would. A store that answers but is full (it refuses
    /// writes) is refused as `closed` refuses, whatever this says.
    #[arg(long, value_enum, default_value = "closed")]
    pub store_failure: StoreFailure,
    /// Skip the check that the Redis store evicts nothing
    /// (`maxmemory-policy noeviction`), for a managed Redis that forbids
    /// `CONFIG GET` and guarantees the policy. With any other policy a full
    /// Redis silently forgets spent tickets and ended sessions.
    #[arg(long, requires = "store")]
    pub store_assume_noeviction: bool,
    /// The address (or CIDR block) of a load balancer in front of the node
    /// (repeat for more). Only from these is `X-Forwarded-For` believed for
    /// the client's address (login throttling, logs) and
    /// `X-Forwarded-Proto: https` for TLS (HSTS).
    #[arg(long, value_name = "ADDR", value_parser = client::parse_trusted)]
    pub trusted_proxy: Vec<ipnet::IpNet>,
    /// Password checks allowed for one user name from one client address:
    /// attempts per window (throttle.rs).
    #[arg(long, value_name = "N/DURATION", default_value = "10/1m", value_parser = throttle::Limit::parse)]
    pub login_limit_user_address: throttle::Limit,
    /// Password checks allowed from one client address, all user names
    /// together (password spraying).
    #[arg(long, value_name = "N/DURATION", default_value = "100/1m", value_parser = throttle::Limit::parse)]
    pub login_limit_address: throttle::Limit,
    /// Password checks allowed for one user name from every address
    /// together (guessing spread over many addresses); what the first two
    /// refuse does not count here.
    #[arg(long, value_name = "N/DURATION", default_value = "30/10m", value_parser = throttle::Limit::parse)]
    pub login_limit_user: throttle::Limit,
    /// Serve Prometheus metrics at `http://ADDR/metrics`, a listener of
    /// their own (keep it off the CAS port and off the internet).
    #[arg(long, value_name = "ADDR")]
    pub metrics_listen: Option<std::net::SocketAddr>,
    /// How the log on standard error is written: `text` lines, or `json`,
    /// one object a line (for a log shipper).
    #[arg(long, value_enum, default_value = "text")]
    pub log_format: LogFormat,
    /// A yardstick for benchmarks, not for production: behave as a Redis
    /// ticket registry on the server at this `redis://` URL (every ticket
    /// stored when issued, an ST or PT taken when validated; baseline.rs),
    /// so that the store can be measured against it.
    #[arg(long, value_name = "URL", conflicts_with = "store")]
    pub registry_baseline: Option<String>,
    /// Be an OpenID provider with this issuer: the public https URL of the
    /// pool's OIDC endpoints, the same on every node, ending in the
    /// context's `/oidc` (like `https://sso.example.edu/cas/oidc`; http on
    /// loopback for tests). Needs --oidc-signing-keys and `[[client]]`
    /// entries in --services.
    #[arg(long, value_name = "URL", requires = "oidc_signing_keys")]
    pub oidc_issuer: Option<String>,
    /// The ID token signing keys (`cas-node signing-keys new`), a 0600 file
    /// read again on SIGHUP.
    #[arg(long, value_name = "PATH", requires = "oidc_issuer")]
    pub oidc_signing_keys: Option<PathBuf>,
    /// Lifetime of OAuth authorization codes.
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = duration::parse_lifetime)]
    pub code_ttl: Duration,
    /// Lifetime of access tokens (and of ID tokens).
    #[arg(long, value_name = "DURATION", default_value = "1h", value_parser = duration::parse_lifetime)]
    pub access_token_ttl: Duration,
    /// Lifetime of refresh tokens; none outlives the SSO session it was
    /// granted in.
    #[arg(long, value_name = "DURATION", default_value = "8h", value_parser = duration::parse_lifetime)]
    pub refresh_token_ttl: Duration,
}

impl Flags {
    /// The login throttle's limits.
    pub fn login_limits(&self) -> throttle::Limits {
        throttle::Limits {
            user_and_address: self.login_limit_user_address,
            address: self.login_limit_address,
            user: self.login_limit_user,
        }
    }

    /// The LDAP directory's settings, if --ldap is given.
    pub fn ldap(&self) -> Result<Option<crate::ldap::LdapSettings>, String> {
        let Some(url) = &self.ldap else {
            return Ok(None);
        };
        Ok(Some(crate::ldap::LdapSettings {
            url: url.clone(),
            ca: self.ldap_ca.clone(),
            plaintext: self.ldap_plaintext,
            base: self.ldap_base.clone().unwrap_or_default(),
            filter: self.ldap_filter.clone(),
            bind_dn: self.ldap_bind_dn.clone(),
            bind_password_file: self.ldap_bind_password_file.clone(),
            attributes: self.ldap_attributes.clone(),
            principal_attribute: self.ldap_principal_attribute.clone(),
            timeout: std::time::Duration::try_from(self.ldap_timeout)
                .ok()
                .filter(|t| !t.is_zero())
                .ok_or("--ldap-timeout must be positive")?,
        }))
    }

    /// `--store-timeout`, for the store's client and the registry's.
    pub fn store_timeout(&self) -> Result<std::time::Duration, String> {
        std::time::Duration::try_from(self.store_timeout)
            .map_err(|_| "--store-timeout must be positive".to_owned())
    }
}

/// What `cas-node` does besides serving.
#[derive(clap::Subcommand, Debug)]
pub enum Command {
    /// Converts Apereo CAS JSON service definitions to `[[service]]`
    /// entries: the registry's TOML on standard output, one line on
    /// standard error for each definition that cannot keep its meaning
    /// (exit status 1 if any).
    ImportApereo {
        /// JSON service definition files (Apereo's `services/` directory).
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
    },
    /// Reads a password on standard input (never from the command line) and
    /// prints its argon2id hash as a users-file line `NAME:HASH`, or the
    /// hash alone without NAME.
    HashPassword {
        /// The user name the line is for.
        name: Option<String>,
    },
    /// Manages the OpenID provider's ID token signing keys (a 0600 JSON
    /// file): rotate by `add` (published in the JWKS, signing nothing),
    /// `promote` once relying parties have fetched the JWKS again, and
    /// `retire` once the ID tokens of the old key have expired.
    #[command(subcommand)]
    SigningKeys(SigningKeysCommand),
}

/// `cas-node signing-keys …`. Each prints one line of JSON or a key id;
/// private keys never leave the file.
#[derive(clap::Subcommand, Debug)]
pub enum SigningKeysCommand {
    /// Writes a new key file with one active key; prints its kid. An
    /// existing file is never overwritten.
    New {
        /// The key file to create.
        #[arg(long, value_name = "PATH")]
        out: PathBuf,
        /// The key's algorithm.
        #[arg(long, value_enum, default_value = "rs256")]
        alg: crate::signing_keys::SigningAlg,
    },
    /// Adds a key, published in the JWKS but not signing; prints its kid.
    Add {
        /// The key file.
        path: PathBuf,
        /// The key's algorithm.
        #[arg(long, value_enum, default_value = "rs256")]
        alg: crate::signing_keys::SigningAlg,
    },
    /// Makes a key the one that signs ID tokens.
    Promote {
        /// The key file.
        path: PathBuf,
        /// The key's kid.
        kid: String,
    },
    /// Removes a key that no longer signs.
    Retire {
        /// The key file.
        path: PathBuf,
        /// The key's kid.
        kid: String,
    },
    /// Lists the keys (kid, algorithm, which is active) as JSON.
    List {
        /// The key file.
        path: PathBuf,
    },
}

/// `--log-format`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

/// `--store-failure`.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum StoreFailure {
    Closed,
    Open,
}

/// The command line as clap reads it: the settings of `--config FILE`
/// first, as the flags they stand for, then the flags given, less those
/// the command line sets itself.
pub fn with_config(argv: Vec<OsString>) -> Result<Vec<OsString>, String> {
    let given: Vec<String> = argv
        .iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let path = given.iter().enumerate().find_map(|(i, arg)| {
        arg.strip_prefix("--config=")
            .map(str::to_owned)
            .or_else(|| {
                (arg == "--config")
                    .then(|| given.get(i + 1).cloned())
                    .flatten()
            })
    });
    let Some(path) = path else {
        return Ok(argv);
    };
    let text =
        std::fs::read_to_string(&path).map_err(|e| format!("cannot read --config {path}: {e}"))?;
    let table: toml::Table =
        toml::from_str(&text).map_err(|e| format!("--config {path}: {}", e.message()))?;
    let mut command = <Cli as clap::CommandFactory>::command();
    // Actions (a switch or a value) are settled when the command is built.
    command.build();
    let on_command_line = |flag: &str| {
        given
            .iter()
            .any(|a| a == flag || a.starts_with(&format!("{flag}=")))
    };
    let mut settings = Vec::new();
    for (key, value) in &table {
        let long = key.replace('_', "-");
        let arg = command
            .get_arguments()
            .find(|a| a.get_long() == Some(long.as_str()) && long != "config")
            .ok_or_else(|| format!("--config {path}: unknown key {key:?}"))?;
        let flag = format!("--{long}");
        if on_command_line(&flag) {
            continue;
        }
        let switch = !arg.get_action().takes_values();
        let values = match value {
            toml::Value::Array(items) => items.iter().collect(),
            one => vec![one],
        };
        for value in values {
            let text = match (switch, value) {
                (true, toml::Value::Boolean(true)) => {
                    settings.push(OsString::from(&flag));
                    continue;
                }
                (true, toml::Value::Boolean(false)) => continue,
                (false, toml::Value::String(s)) => s.clone(),
                (false, toml::Value::Integer(i)) => i.to_string(),
                _ => {
                    return Err(format!(
                        "--config {path}: {key} takes {}",
                        if switch {
                            "true or false"
                        } else {
                            "a string, a number or an array of them"
                        }
                    ));
                }
            };
            settings.push(OsString::from(&flag));
            settings.push(OsString::from(text));
        }
    }
    let mut args = argv.into_iter();
    Ok(args
        .next()
        .into_iter()
        .chain(settings)
        .chain(args)
        .collect())
}

/// `--context`: a path, without a trailing `/`; `{`, `}` and `*` would be
/// read as route parameters, so they are refused with the query and
/// fragment marks.
fn parse_context(text: &str) -> Result<String, String> {
    let trimmed = text.trim_end_matches('/');
    if !text.starts_with('/') || trimmed.contains(['?', '#', ';', ' ', '{', '}', '*']) {
        return Err(format!("'{text}' is not a path like /cas"));
    }
    Ok(trimmed.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::error::ErrorKind;

    #[test]
    fn a_context_is_a_plain_path() {
        assert_eq!(parse_context("/cas"), Ok("/cas".to_owned()));
        assert_eq!(parse_context("/sso/cas/"), Ok("/sso/cas".to_owned()));
        assert_eq!(parse_context("/"), Ok(String::new()));
        for bad in [
            "cas", "", "/c?x", "/c#x", "/c;x", "/c x", "/{x}", "/c/*rest", "/c}",
        ] {
            assert_eq!(
                parse_context(bad),
                Err(format!("'{bad}' is not a path like /cas")),
                "{bad}"
            );
        }
    }

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

    fn with_file(toml: &str, args: &[&str]) -> Result<Flags, String> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cas-node.toml");
        std::fs::write(&path, toml).unwrap();
        let mut argv: Vec<OsString> = vec!["cas-node".into(), "--config".into(), path.into()];
        argv.extend(args.iter().map(OsString::from));
        let args = with_config(argv)?;
        Cli::try_parse_from(args)
            .map_err(|e| e.to_string())
            .map(|cli| cli.serve.unwrap())
    }

    const CONFIG: &str = r#"
listen = "127.0.0.1:8080"
keys = "/etc/cas-node/keys.json"
users = "/etc/cas-node/users.txt"
services = "/etc/cas-node/services.toml"
st_ttl = "30s"
insecure-cookie = true
trusted-proxy = ["10.0.0.2", "10.0.0.3"]
"#;

    #[test]
    fn a_config_file_sets_every_flag_and_the_command_line_wins() {
        let flags = with_file(CONFIG, &[]).unwrap();
        assert_eq!(flags.listen.port(), 8080);
        assert_eq!(flags.st_ttl, Duration::seconds(30));
        assert!(flags.insecure_cookie);
        assert_eq!(flags.trusted_proxy.len(), 2);
        let flags = with_file(
            CONFIG,
            &[
                "--st-ttl",
                "5s",
                "--trusted-proxy=10.9.9.9",
                "--listen",
                "127.0.0.1:9090",
            ],
        )
        .unwrap();
        assert_eq!(flags.st_ttl, Duration::seconds(5));
        assert_eq!(flags.listen.port(), 9090);
        assert_eq!(
            flags.trusted_proxy.len(),
            1,
            "the command line's list replaces the file's"
        );
        let off = with_file(
            &CONFIG.replace("insecure-cookie = true", "insecure-cookie = false"),
            &[],
        )
        .unwrap();
        assert!(!off.insecure_cookie);
    }

    #[test]
    fn a_bad_config_file_is_refused_with_the_reason() {
        for (text, reason) in [
            ("colour = \"blue\"", "unknown key \"colour\""),
            ("config = \"/etc/other.toml\"", "unknown key \"config\""),
            ("listen = [", "--config"),
            (
                "store-cluster = \"yes\"",
                "store-cluster takes true or false",
            ),
            ("st-ttl = { a = 1 }", "st-ttl takes a string"),
            ("st-ttl = \"0s\"", "not a positive lifetime"),
        ] {
            let err = with_file(&format!("{CONFIG}\n{text}\n"), &[]).unwrap_err();
            assert!(err.contains(reason), "{text}: {err}");
        }
        let missing = with_config(vec![
            "cas-node".into(),
            "--config=/nonexistent/cas.toml".into(),
        ]);
        assert!(
            missing
                .unwrap_err()
                .contains("cannot read --config /nonexistent/cas.toml")
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
