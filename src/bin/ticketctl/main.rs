//! `ticketctl`: create and rotate keys, mint tickets (and OAuth codes and
//! tokens) for testing, and answer "was this ticket valid at 10:42, and for
//! whom?".
//!
//! A thin shell over the library: argument parsing, I/O, JSON and exit codes.
//! Exit codes: 0 ok, 1 ticket rejected, 2 usage, 3 expired, 4 service
//! mismatch, 5 cannot encode, 6 key file problem, 7 store unavailable. Every failure prints one
//! line on stderr starting with `error:` and nothing on stdout.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use cas_ticket_codec::duration::{parse_duration, parse_lifetime};
use cas_ticket_codec::oauth::{
    Authorization, ClaimNames, ClaimsRequest, ClientId, CodeChallenge, GrantId, Nonce, Scopes,
};
use cas_ticket_codec::{
    Alg, Authentication, CallbackUrl, Claims, Codec, Error, Grant, KeyId, Keyring, KeyringError,
    ProxyChain, Service, Session, SessionId, inspect, rfc3339,
};
use clap::{Args, Parser, Subcommand, ValueEnum};

#[cfg(feature = "redis")]
mod sessions;
use serde_json::{Value, json};
use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime};

const AFTER_HELP: &str = "\
Exit codes: 0 ok, 1 ticket rejected (malformed, tampered, unknown key, wrong kind,
unsupported version), 2 usage error, 3 expired, 4 service mismatch, 5 cannot encode
(claims invalid or too large for 256 characters, 384 for an OC code), 6 key file
problem, 7 the store did not take it (sessions end).
Secrets are read only from key files, never from the command line.";

/// Stateless CAS tickets: keys, encode, decode, inspect.
#[derive(Parser)]
#[command(name = "ticketctl", version, about, after_help = AFTER_HELP)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Write a new keyring file (mode 0600) with one primary key; print its id.
    Keygen {
        /// Where to write the keyring; an existing file is never overwritten.
        #[arg(long, value_name = "PATH")]
        out: PathBuf,
        /// AEAD of the new key.
        #[arg(long, value_enum, default_value_t = AlgArg::Aes256gcm)]
        alg: AlgArg,
    },
    /// Rotate keys: add, promote, retire, list.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Mint a ticket and print it.
    Encode(Box<EncodeArgs>),
    /// Validate a ticket and print its claims as JSON.
    Decode(DecodeArgs),
    /// Show a ticket's unauthenticated header as JSON (no keys needed).
    Inspect {
        /// The ticket; read from standard input when absent or `-`.
        ticket: Option<String>,
    },
    /// End sessions pool-wide, in the store the nodes share.
    #[cfg(feature = "redis")]
    #[command(subcommand)]
    Sessions(sessions::SessionsCommand),
}

#[derive(Subcommand)]
enum KeysCommand {
    /// Add a new key that opens tickets but does not seal them yet; print its id.
    Add {
        /// The keyring file.
        path: PathBuf,
        /// AEAD of the new key.
        #[arg(long, value_enum, default_value_t = AlgArg::Aes256gcm)]
        alg: AlgArg,
    },
    /// Make a key the one that seals new tickets.
    Promote {
        /// The keyring file.
        path: PathBuf,
        /// Key id (four hex digits).
        id: String,
    },
    /// Remove a key: tickets sealed under it stop validating.
    Retire {
        /// The keyring file.
        path: PathBuf,
        /// Key id (four hex digits).
        id: String,
    },
    /// List key ids, algorithms and which is primary (never secrets).
    List {
        /// The keyring file.
        path: PathBuf,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum AlgArg {
    /// AES-256-GCM (XAES-256-GCM construction); fastest with AES-NI.
    Aes256gcm,
    /// XChaCha20-Poly1305.
    Xchacha20poly1305,
}

impl From<AlgArg> for Alg {
    fn from(a: AlgArg) -> Alg {
        match a {
            AlgArg::Aes256gcm => Alg::Aes256Gcm,
            AlgArg::Xchacha20poly1305 => Alg::XChaCha20Poly1305,
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum KindArg {
    Tgt,
    St,
    Pt,
    Pgt,
    Oc,
    At,
    Rt,
}

/// The OAuth 2.0 kinds: authorization code, access token, refresh token.
const OAUTH: &[KindArg] = &[KindArg::Oc, KindArg::At, KindArg::Rt];

#[derive(Args)]
struct KeysArg {
    /// The keyring file.
    #[arg(long = "keys", env = "TICKETCTL_KEYS", value_name = "PATH")]
    path: PathBuf,
}

#[derive(Args)]
struct EncodeArgs {
    #[command(flatten)]
    keys: KeysArg,
    /// Ticket kind.
    #[arg(long, value_enum)]
    kind: KindArg,
    /// The principal id.
    #[arg(long)]
    principal: String,
    /// The service (required for st and pt).
    #[arg(long)]
    service: Option<String>,
    /// An authentication method or handler name; repeatable.
    #[arg(long = "method", value_name = "NAME")]
    methods: Vec<String>,
    /// Set the remember-me flag.
    #[arg(long)]
    remember_me: bool,
    /// Mark an ST as issued from a fresh login (what renew=true validation requires).
    #[arg(long)]
    renew: bool,
    /// A proxy callback URL of a PT's chain, most recent first; repeatable (pt only).
    #[arg(long = "proxy", value_name = "URL")]
    proxies: Vec<String>,
    /// The proxy callback URL a PGT is issued to (pgt only).
    #[arg(long, value_name = "URL")]
    pgt_url: Option<String>,
    /// A proxy upstream of a PGT's callback, most recent first, for a PGT
    /// obtained by validating a PT; repeatable (pgt only).
    #[arg(long = "upstream", value_name = "URL")]
    upstream: Vec<String>,
    /// The SSO session the ticket belongs to: 16 hex digits, or `new` for a
    /// fresh random id (a TGT's session ends when the TGT expires).
    #[arg(long, value_name = "ID|new")]
    session: Option<String>,
    /// When the session ends, RFC 3339 (with --session, for every kind but tgt).
    #[arg(long, value_parser = parse_instant)]
    session_end: Option<OffsetDateTime>,
    /// The OAuth client id (required for oc, at and rt).
    #[arg(long, value_name = "ID")]
    client: Option<String>,
    /// The granted scopes, separated by single spaces, like "openid profile"
    /// (oc, at and rt) [default: none].
    #[arg(long, value_name = "SCOPES")]
    scope: Option<String>,
    /// The grant (token family) id: 16 hex digits (oc, at and rt)
    /// [default: a fresh random id].
    #[arg(long, value_name = "HEX16")]
    grant: Option<String>,
    /// A claim the OIDC claims request asks for in the ID token; repeatable
    /// (oc, at and rt).
    #[arg(long = "id-token-claim", value_name = "NAME")]
    id_token_claims: Vec<String>,
    /// A claim the OIDC claims request asks for at the userinfo endpoint;
    /// repeatable (oc, at and rt).
    #[arg(long = "userinfo-claim", value_name = "NAME")]
    userinfo_claims: Vec<String>,
    /// The redirect_uri of the authorization request (required for oc).
    #[arg(long, value_name = "URL")]
    redirect_uri: Option<String>,
    /// The OIDC nonce of the authorization request (oc only).
    #[arg(long, value_name = "TEXT")]
    nonce: Option<String>,
    /// The PKCE S256 code challenge: the unpadded base64url of 32 bytes (oc only).
    #[arg(long, value_name = "S256")]
    code_challenge: Option<String>,
    /// Lifetime, like 30s, 5m, 8h, 1d [default: st 10s, pt 10s, tgt 8h, pgt 2h,
    /// oc 30s, at 1h, rt 8h].
    #[arg(long, value_parser = parse_lifetime)]
    ttl: Option<Duration>,
    /// Issue (and authentication) instant, RFC 3339 [default: now].
    #[arg(long, value_parser = parse_instant)]
    at: Option<OffsetDateTime>,
}

#[derive(Args)]
struct DecodeArgs {
    #[command(flatten)]
    keys: KeysArg,
    /// Also require the ticket to be an ST or PT for this service.
    #[arg(long)]
    service: Option<String>,
    /// Validate as of this instant (RFC 3339) instead of now.
    #[arg(long, value_parser = parse_instant)]
    at: Option<OffsetDateTime>,
    /// Accept tickets this long past their expiry (clock skew), like 5s.
    #[arg(long, value_parser = parse_duration)]
    leeway: Option<Duration>,
    /// The ticket; read from standard input when absent or `-`.
    ticket: Option<String>,
}

/// A failure and the exit code it maps to.
struct Failure {
    code: u8,
    message: String,
}

impl Failure {
    fn usage(message: impl Into<String>) -> Self {
        Failure {
            code: 2,
            message: message.into(),
        }
    }

    /// The store did not take what was asked.
    #[cfg(feature = "redis")]
    fn store(message: impl std::fmt::Display) -> Self {
        Failure {
            code: 7,
            message: format!("store: {message}"),
        }
    }

    fn key_file(path: &Path, error: impl std::fmt::Display) -> Self {
        Failure {
            code: 6,
            message: format!("key file {}: {error}", path.display()),
        }
    }

    /// A rejected ticket: exit code by reason.
    fn rejected(error: Error) -> Self {
        let code = match error {
            Error::Expired { .. } => 3,
            Error::ServiceMismatch => 4,
            Error::Keyring(_) => 6,
            _ => 1,
        };
        let message = match error {
            Error::Expired { .. } => format!("ticket {error}"),
            _ => error.to_string(),
        };
        Failure { code, message }
    }

    /// A ticket that cannot be minted.
    fn unencodable(error: impl std::fmt::Display) -> Self {
        Failure {
            code: 5,
            message: format!("cannot encode: {error}"),
        }
    }
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if !e.use_stderr() => {
            // --help and --version.
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            // clap's message is the first paragraph; usage and tips follow.
            let rendered = e.render().to_string();
            let first = rendered.split("\n\n").next().unwrap_or("invalid usage");
            let line = first.split_whitespace().collect::<Vec<_>>().join(" ");
            return fail(&Failure::usage(line.trim_start_matches("error: ")));
        }
    };
    match run(cli.command) {
        Ok(output) => {
            let mut stdout = std::io::stdout().lock();
            match writeln!(stdout, "{output}").and_then(|()| stdout.flush()) {
                Ok(()) => ExitCode::SUCCESS,
                // A closed pipe: nothing more can be said on stdout.
                Err(e) => fail(&Failure::usage(format!("cannot write output: {e}"))),
            }
        }
        Err(failure) => fail(&failure),
    }
}

fn fail(failure: &Failure) -> ExitCode {
    let line = failure.message.replace(['\n', '\r'], " ");
    let _ = writeln!(std::io::stderr(), "error: {line}");
    ExitCode::from(failure.code)
}

fn run(command: Command) -> Result<String, Failure> {
    match command {
        Command::Keygen { out, alg } => {
            let ring = Keyring::generate(alg.into()).map_err(|e| Failure::key_file(&out, e))?;
            ring.save_new(&out)
                .map_err(|e| Failure::key_file(&out, e))?;
            Ok(ring.primary().to_string())
        }
        Command::Keys(keys) => run_keys(keys),
        #[cfg(feature = "redis")]
        Command::Sessions(command) => sessions::run(command),
        Command::Encode(args) => encode(*args),
        Command::Decode(args) => decode(args),
        Command::Inspect { ticket } => {
            let ticket = read_ticket(ticket)?;
            let header = inspect(&ticket).map_err(Failure::rejected)?;
            Ok(json!({
                "kind": header.kind().prefix(),
                "version": header.version(),
                "key_id": header.key_id().to_string(),
                "length": ticket.len(),
            })
            .to_string())
        }
    }
}

fn load(path: &Path) -> Result<Keyring, Failure> {
    Keyring::load(path).map_err(|e| Failure::key_file(path, e))
}

fn key_id(id: &str) -> Result<KeyId, Failure> {
    id.parse()
        .map_err(|e| Failure::usage(format!("invalid key id '{id}': {e}")))
}

/// Loads the key file, applies `change`, writes it back atomically (0600),
/// and returns the id of the key the change concerned.
fn update(
    path: &Path,
    change: impl FnOnce(&mut Keyring) -> Result<KeyId, KeyringError>,
) -> Result<String, Failure> {
    let mut ring = load(path)?;
    let id = change(&mut ring).map_err(|e| Failure::key_file(path, e))?;
    ring.save(path).map_err(|e| Failure::key_file(path, e))?;
    Ok(id.to_string())
}

fn run_keys(command: KeysCommand) -> Result<String, Failure> {
    match command {
        KeysCommand::Add { path, alg } => update(&path, |ring| ring.add_generated(alg.into())),
        KeysCommand::Promote { path, id } => {
            let id = key_id(&id)?;
            update(&path, |ring| ring.promote(id).map(|()| id))
        }
        KeysCommand::Retire { path, id } => {
            let id = key_id(&id)?;
            update(&path, |ring| ring.retire(id).map(|()| id))
        }
        KeysCommand::List { path } => {
            let ring = load(&path)?;
            let keys: Vec<Value> = ring
                .keys()
                .iter()
                .map(|k| {
                    json!({
                        "id": k.id().to_string(),
                        "alg": k.alg().name(),
                        "primary": k.id() == ring.primary(),
                    })
                })
                .collect();
            Ok(json!({ "primary": ring.primary().to_string(), "keys": keys }).to_string())
        }
    }
}

fn encode(args: EncodeArgs) -> Result<String, Failure> {
    let kind = args.kind;
    let only = |flag: &str, set: bool, allowed: &[KindArg]| {
        if set && !allowed.contains(&kind) {
            Err(Failure::usage(format!(
                "{flag} does not apply to --kind {}",
                kind_name(kind)
            )))
        } else {
            Ok(())
        }
    };
    only(
        "--service",
        args.service.is_some(),
        &[KindArg::St, KindArg::Pt],
    )?;
    only("--renew", args.renew, &[KindArg::St])?;
    only("--proxy", !args.proxies.is_empty(), &[KindArg::Pt])?;
    only("--pgt-url", args.pgt_url.is_some(), &[KindArg::Pgt])?;
    only("--upstream", !args.upstream.is_empty(), &[KindArg::Pgt])?;
    only(
        "--session-end",
        args.session_end.is_some(),
        &[
            KindArg::St,
            KindArg::Pt,
            KindArg::Pgt,
            KindArg::Oc,
            KindArg::At,
            KindArg::Rt,
        ],
    )?;
    only("--client", args.client.is_some(), OAUTH)?;
    only("--scope", args.scope.is_some(), OAUTH)?;
    only("--grant", args.grant.is_some(), OAUTH)?;
    only("--id-token-claim", !args.id_token_claims.is_empty(), OAUTH)?;
    only("--userinfo-claim", !args.userinfo_claims.is_empty(), OAUTH)?;
    only(
        "--redirect-uri",
        args.redirect_uri.is_some(),
        &[KindArg::Oc],
    )?;
    only("--nonce", args.nonce.is_some(), &[KindArg::Oc])?;
    only(
        "--code-challenge",
        args.code_challenge.is_some(),
        &[KindArg::Oc],
    )?;
    if args.session_end.is_some() && args.session.is_none() {
        return Err(Failure::usage("--session-end needs --session"));
    }

    let service = || -> Result<Service, Failure> {
        let url = args.service.as_deref().ok_or_else(|| {
            Failure::usage(format!("--kind {} needs --service URL", kind_name(kind)))
        })?;
        Service::new(url).map_err(Failure::unencodable)
    };
    let grant = match kind {
        KindArg::Tgt => Grant::TicketGranting,
        KindArg::St => Grant::Service {
            service: service()?,
            fresh_login: args.renew,
        },
        KindArg::Pt => {
            if args.proxies.is_empty() {
                return Err(Failure::usage("--kind pt needs at least one --proxy URL"));
            }
            Grant::Proxy {
                service: service()?,
                proxies: ProxyChain::new(callback_urls(&args.proxies)?)
                    .map_err(Failure::unencodable)?,
            }
        }
        KindArg::Pgt => {
            let url = args
                .pgt_url
                .as_deref()
                .ok_or_else(|| Failure::usage("--kind pgt needs --pgt-url URL"))?;
            Grant::ProxyGranting {
                callback: CallbackUrl::new(url).map_err(Failure::unencodable)?,
                upstream: callback_urls(&args.upstream)?,
            }
        }
        KindArg::Oc => {
            let authorization = authorization(&args)?;
            let url = args
                .redirect_uri
                .as_deref()
                .ok_or_else(|| Failure::usage("--kind oc needs --redirect-uri URL"))?;
            Grant::Code {
                authorization,
                redirect_uri: Service::new(url)
                    .map_err(|e| Failure::unencodable(format!("--redirect-uri: {e}")))?,
                nonce: args
                    .nonce
                    .as_deref()
                    .map(Nonce::new)
                    .transpose()
                    .map_err(Failure::unencodable)?,
                challenge: args
                    .code_challenge
                    .as_deref()
                    .map(CodeChallenge::from_s256)
                    .transpose()
                    .map_err(Failure::unencodable)?,
            }
        }
        KindArg::At => Grant::AccessToken {
            authorization: authorization(&args)?,
        },
        KindArg::Rt => Grant::RefreshToken {
            authorization: authorization(&args)?,
        },
    };
    let ttl = args.ttl.unwrap_or(match kind {
        KindArg::St | KindArg::Pt => Duration::seconds(10),
        KindArg::Tgt | KindArg::Rt => Duration::hours(8),
        KindArg::Pgt => Duration::hours(2),
        KindArg::Oc => Duration::seconds(30),
        KindArg::At => Duration::hours(1),
    });

    let ring = load(&args.keys.path)?;
    let now = args.at.unwrap_or_else(OffsetDateTime::now_utc);
    let mut auth = Authentication::new(&args.principal, now)
        .map_err(Failure::unencodable)?
        .with_remember_me(args.remember_me);
    for method in &args.methods {
        auth = auth.with_method(method).map_err(Failure::unencodable)?;
    }
    let mut claims = Claims::with_lifetime(auth, grant, now, ttl).map_err(Failure::unencodable)?;
    if let Some(id) = &args.session {
        let id = match id.as_str() {
            "new" => SessionId::generate().map_err(Failure::unencodable)?,
            hex => hex.parse().map_err(|_| {
                Failure::usage(format!("invalid session id '{hex}': 16 hex digits or new"))
            })?,
        };
        let ends_at = match (kind, args.session_end) {
            (KindArg::Tgt, _) => claims.expires_at(),
            (_, Some(end)) => end,
            (_, None) => {
                return Err(Failure::usage(format!(
                    "--kind {} with --session needs --session-end",
                    kind_name(kind)
                )));
            }
        };
        claims = claims
            .with_session(Session::new(id, ends_at))
            .map_err(Failure::unencodable)?;
    }
    Codec::new(&ring)
        .encode(&claims)
        .map_err(Failure::unencodable)
}

/// The authorization of an OAuth code or token: `--client`, `--scope`,
/// `--grant` and the claims request, each checked.
fn authorization(args: &EncodeArgs) -> Result<Authorization, Failure> {
    let client = args.client.as_deref().ok_or_else(|| {
        Failure::usage(format!("--kind {} needs --client ID", kind_name(args.kind)))
    })?;
    let client = ClientId::new(client).map_err(Failure::unencodable)?;
    let scopes =
        Scopes::parse(args.scope.as_deref().unwrap_or("")).map_err(Failure::unencodable)?;
    let grant = match args.grant.as_deref() {
        None => GrantId::generate().map_err(Failure::unencodable)?,
        Some(hex) => hex
            .parse()
            .map_err(|_| Failure::usage(format!("invalid grant id '{hex}': 16 hex digits")))?,
    };
    let names = |names: &[String]| {
        ClaimNames::new(names.iter().map(String::as_str)).map_err(Failure::unencodable)
    };
    let claims = ClaimsRequest {
        id_token: names(&args.id_token_claims)?,
        userinfo: names(&args.userinfo_claims)?,
    };
    Ok(Authorization::new(client, scopes, grant).with_claims(claims))
}

/// `--proxy` or `--upstream` URLs, each checked.
fn callback_urls(urls: &[String]) -> Result<Vec<CallbackUrl>, Failure> {
    urls.iter()
        .map(|url| CallbackUrl::new(url))
        .collect::<Result<_, _>>()
        .map_err(Failure::unencodable)
}

fn decode(args: DecodeArgs) -> Result<String, Failure> {
    let ticket = read_ticket(args.ticket)?;
    let ring = load(&args.keys.path)?;
    let codec = Codec::new(&ring).with_leeway(args.leeway.unwrap_or(Duration::ZERO));
    let now = args.at.unwrap_or_else(OffsetDateTime::now_utc);
    let decoded = codec.decode(&ticket, now).map_err(Failure::rejected)?;
    if let Some(service) = &args.service {
        decoded
            .require_service(service)
            .map_err(Failure::rejected)?;
    }
    let mut out = serde_json::to_value(decoded.claims()).map_err(|e| Failure {
        code: 1,
        message: format!("cannot render claims: {e}"),
    })?;
    if let Value::Object(map) = &mut out {
        map.insert("key_id".into(), decoded.key_id().to_string().into());
        map.insert("alg".into(), decoded.alg().name().into());
        map.insert("validated_at".into(), rfc3339(now).into());
    }
    Ok(out.to_string())
}

fn kind_name(kind: KindArg) -> &'static str {
    match kind {
        KindArg::Tgt => "tgt",
        KindArg::St => "st",
        KindArg::Pt => "pt",
        KindArg::Pgt => "pgt",
        KindArg::Oc => "oc",
        KindArg::At => "at",
        KindArg::Rt => "rt",
    }
}

/// The ticket argument, or standard input when it is absent or `-`.
fn read_ticket(arg: Option<String>) -> Result<String, Failure> {
    match arg.as_deref() {
        Some(ticket) if ticket != "-" => Ok(ticket.to_owned()),
        _ => {
            // A code is at most 384 characters, any other ticket 256; read more so an
            // oversize input is still reported as too long, not truncated.
            let mut input = Vec::new();
            std::io::stdin()
                .take(64 * 1024)
                .read_to_end(&mut input)
                .map_err(|e| Failure::usage(format!("cannot read standard input: {e}")))?;
            let text = String::from_utf8_lossy(&input);
            Ok(text.trim().to_owned())
        }
    }
}

fn parse_instant(text: &str) -> Result<OffsetDateTime, String> {
    OffsetDateTime::parse(text, &Rfc3339)
        .map_err(|_| format!("'{text}' is not an RFC 3339 instant like 2026-11-22T10:42:00Z"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cli_definition_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
