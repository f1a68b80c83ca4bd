//! Service URLs: normalize, shorten, match (FORMAT.md §8).
//!
//! A service ticket carries the service it was issued for, but a ticket must
//! stay short, so the service is stored in a *shortened* form:
//!
//! 1. **Normalize**: the scheme and host are lowercased, an empty port and
//!    the scheme's default port (`http` 80, `https` 443) are dropped, a port
//!    is written without leading zeros, an empty path becomes `/`, and the
//!    fragment (`#…`) is dropped. Userinfo, path and query are kept byte for
//!    byte: `/a?x=1` and `/A?x=1` are different services.
//! 2. **Shorten**: a normalized URL of at most [`MAX_FULL_SERVICE_CHARS`]
//!    characters is stored as it is. A longer one is stored as its first
//!    [`KEPT_PREFIX_CHARS`] characters, `#`, and the base62 spelling of the
//!    first 16 bytes of its SHA-256 digest. A normalized URL never contains
//!    `#`, so the two forms cannot be confused.
//! 3. **Match**: a `service` parameter matches a ticket when its normalized,
//!    shortened form equals the stored form byte for byte. For a short URL
//!    that is exact equality after normalization; for a long one it is equality
//!    of the whole URL up to a 128-bit digest collision.
//!
//! Unlike the stateless registry this project replaces, nothing is compared
//! case-insensitively and no query or path segment is ever dropped.

use core::fmt;

use sha2::{Digest, Sha256};

use crate::base62;
use crate::error::InvalidClaims;

/// Normalized services up to this many characters are stored whole.
pub const MAX_FULL_SERVICE_CHARS: usize = 64;
/// Longest stored form: a whole URL of [`MAX_FULL_SERVICE_CHARS`], or the
/// kept prefix, `#` and the digest.
pub const MAX_STORED_SERVICE_CHARS: usize = MAX_FULL_SERVICE_CHARS;
/// How many leading characters a shortened service keeps.
pub const KEPT_PREFIX_CHARS: usize = 40;
/// Bytes of the SHA-256 digest a shortened service keeps.
const DIGEST_BYTES: usize = 16;
/// Characters of that digest in base62.
const DIGEST_CHARS: usize = base62::encoded_len(DIGEST_BYTES);
/// Longest URL accepted as a service (before shortening).
pub const MAX_SERVICE_URL_BYTES: usize = 4096;
/// Longest proxy callback URL a ticket carries (carried whole).
pub const MAX_CALLBACK_URL_BYTES: usize = 200;

/// A service in the shortened form stored in ST and PT tickets.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Service(String);

impl Service {
    /// Normalizes and shortens a service URL.
    pub fn new(url: &str) -> Result<Self, InvalidClaims> {
        Ok(Service(shorten(normalize(url)?)))
    }

    /// Whether `given` (a `service` parameter) names this service.
    pub fn matches(&self, given: &str) -> bool {
        match Service::new(given) {
            Ok(other) => other == *self,
            Err(_) => false,
        }
    }

    /// The stored (normalized, possibly shortened) form.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether the stored form is a prefix plus a digest rather than the whole URL.
    pub fn is_shortened(&self) -> bool {
        self.0.contains('#')
    }

    /// Accepts a stored form read from a ticket, if `shorten` can produce it.
    pub(crate) fn from_stored(stored: String) -> Option<Self> {
        let valid = match stored.split_once('#') {
            Some((prefix, digest)) => {
                // The cut may fall anywhere in the URL, so the prefix alone
                // need not parse; it is printable ASCII without `#`.
                prefix.len() == KEPT_PREFIX_CHARS
                    && prefix.bytes().all(|b| b.is_ascii_graphic())
                    && digest.len() == DIGEST_CHARS
                    && base62::decode(digest.as_bytes()).is_ok()
            }
            None => stored.len() <= MAX_FULL_SERVICE_CHARS && is_normalized(&stored),
        };
        valid.then_some(Service(stored))
    }
}

impl fmt::Display for Service {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Service {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Service({:?})", self.0)
    }
}

/// A proxy callback URL, carried whole (PGT callback, PT proxy chain).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct CallbackUrl(String);

impl CallbackUrl {
    /// Checks that `url` is an absolute URL of printable ASCII of at most
    /// [`MAX_CALLBACK_URL_BYTES`]. It is kept exactly as given, since CAS
    /// reports it back verbatim.
    pub fn new(url: &str) -> Result<Self, InvalidClaims> {
        if url.len() > MAX_CALLBACK_URL_BYTES || split_url(url).is_none() {
            return Err(InvalidClaims::Url);
        }
        Ok(CallbackUrl(url.to_owned()))
    }

    /// The URL.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for CallbackUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for CallbackUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CallbackUrl({:?})", self.0)
    }
}

/// The parts of an absolute URL: scheme, authority, and path-query-fragment.
struct Parts<'a> {
    scheme: &'a str,
    authority: &'a str,
    rest: &'a str,
}

fn split_url(url: &str) -> Option<Parts<'_>> {
    if url.is_empty() || !url.bytes().all(|b| b.is_ascii_graphic()) {
        return None;
    }
    // A scheme never holds `:`, so the first `:` must start `://`.
    let (scheme, after) = url.split_at(url.bytes().position(|b| b == b':')?);
    let after = after.strip_prefix("://")?;
    let mut chars = scheme.bytes();
    let scheme_ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'-' | b'.'));
    if !scheme_ok {
        return None;
    }
    let end = after
        .bytes()
        .position(|b| matches!(b, b'/' | b'?' | b'#'))
        .unwrap_or(after.len());
    let (authority, rest) = after.split_at(end);
    if authority.is_empty() {
        return None;
    }
    Some(Parts {
        scheme,
        authority,
        rest,
    })
}

/// A service URL taken apart as normalization sees it (module docs, step 1).
struct Accepted<'a> {
    scheme: &'a str,
    userinfo: Option<&'a str>,
    host: &'a str,
    /// The text after the port's `:`, if there is one.
    port_text: Option<&'a str>,
    /// The port normalization keeps: none when empty or the scheme's default.
    port: Option<u16>,
    /// Path and query, without the fragment.
    path_query: &'a str,
    has_fragment: bool,
}

fn accept(url: &str) -> Result<Accepted<'_>, InvalidClaims> {
    if url.len() > MAX_SERVICE_URL_BYTES {
        return Err(InvalidClaims::Service);
    }
    let parts = split_url(url).ok_or(InvalidClaims::Service)?;
    let (userinfo, hostport) = match parts.authority.rsplit_once('@') {
        Some((user, hp)) => (Some(user), hp),
        None => (None, parts.authority),
    };
    // An IPv6 literal keeps its colons inside brackets.
    let port_sep = match hostport.rfind(']') {
        Some(close) => hostport
            .get(close..)
            .and_then(|t| t.find(':'))
            .map(|i| i + close),
        None => hostport.rfind(':'),
    };
    let (host, port_text) = match port_sep {
        Some(i) => (hostport.get(..i).unwrap_or(""), hostport.get(i + 1..)),
        None => (hostport, None),
    };
    if !valid_host(host) {
        return Err(InvalidClaims::Service);
    }
    let port = match port_text.filter(|p| !p.is_empty()) {
        None => None,
        Some(port) => {
            if !port.bytes().all(|b| b.is_ascii_digit()) {
                return Err(InvalidClaims::Service);
            }
            let digits = port.trim_start_matches('0');
            let number: u16 = match digits {
                "" => 0,
                _ => digits.parse().map_err(|_| InvalidClaims::Service)?,
            };
            let default = if parts.scheme.eq_ignore_ascii_case("http") {
                Some(80)
            } else if parts.scheme.eq_ignore_ascii_case("https") {
                Some(443)
            } else {
                None
            };
            (Some(number) != default).then_some(number)
        }
    };
    let (path_query, has_fragment) = match parts.rest.bytes().position(|b| b == b'#') {
        Some(fragment) => (parts.rest.get(..fragment).unwrap_or(""), true),
        None => (parts.rest, false),
    };
    Ok(Accepted {
        scheme: parts.scheme,
        userinfo,
        host,
        port_text,
        port,
        path_query,
        has_fragment,
    })
}

/// The normalized form of a service URL (see the module docs).
pub fn normalize(url: &str) -> Result<String, InvalidClaims> {
    let url_len = url.len();
    let a = accept(url)?;
    // One allocation.
    let mut out = String::with_capacity(url_len + 1);
    push_lowercase(&mut out, a.scheme);
    out.push_str("://");
    if let Some(user) = a.userinfo {
        out.push_str(user);
        out.push('@');
    }
    push_lowercase(&mut out, a.host);
    if let Some(port) = a.port {
        use core::fmt::Write as _;
        let _ = write!(out, ":{port}");
    }
    if !a.path_query.starts_with('/') {
        out.push('/');
    }
    out.push_str(a.path_query);
    Ok(out)
}

/// Whether `url` is its own normalized form (`normalize(url) == Ok(url)`),
/// decided without building the copy: this runs on every decode of an ST or PT.
fn is_normalized(url: &str) -> bool {
    let Ok(a) = accept(url) else {
        return false;
    };
    let lowercase = |s: &str| !s.bytes().any(|b| b.is_ascii_uppercase());
    // A kept port is written in decimal without leading zeros; an empty or
    // default one is dropped with its `:`.
    let port_kept_as_written = match (a.port_text, a.port) {
        (None, None) => true,
        (Some(text), Some(port)) => {
            text.parse() == Ok(port) && (text == "0" || !text.starts_with('0'))
        }
        _ => false,
    };
    lowercase(a.scheme)
        && lowercase(a.host)
        && port_kept_as_written
        && !a.has_fragment
        && a.path_query.starts_with('/')
}

fn push_lowercase(out: &mut String, ascii: &str) {
    let start = out.len();
    out.push_str(ascii);
    if let Some(pushed) = out.get_mut(start..) {
        pushed.make_ascii_lowercase();
    }
}

/// A bracketed IPv6 literal, or a non-empty RFC 3986 reg-name (unreserved,
/// percent-encoded and sub-delimiter characters: never `:`, `@`, `[` or `]`).
fn valid_host(host: &str) -> bool {
    match host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        Some(literal) => {
            !literal.is_empty()
                && literal
                    .bytes()
                    .all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.')
        }
        None => {
            !host.is_empty()
                && host
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-._~%!$&'()*+,;=".contains(&b))
        }
    }
}

fn shorten(normalized: String) -> String {
    if normalized.len() <= MAX_FULL_SERVICE_CHARS {
        return normalized;
    }
    let digest = Sha256::digest(normalized.as_bytes());
    let mut out = String::with_capacity(KEPT_PREFIX_CHARS + 1 + DIGEST_CHARS);
    // Normalized URLs are ASCII, so any byte offset is a character boundary.
    out.push_str(normalized.get(..KEPT_PREFIX_CHARS).unwrap_or(""));
    out.push('#');
    base62::encode_into(digest.get(..DIGEST_BYTES).unwrap_or(&[]), &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(url: &str) -> String {
        normalize(url).unwrap()
    }

    #[test]
    fn normalization_rules() {
        assert_eq!(
            n("HTTPS://App.Example.EDU/login?x=A#frag"),
            "https://app.example.edu/login?x=A"
        );
        assert_eq!(
            n("https://app.example.edu:443/a"),
            "https://app.example.edu/a"
        );
        assert_eq!(n("http://app.example.edu:80/a"), "http://app.example.edu/a");
        assert_eq!(
            n("http://app.example.edu:443/a"),
            "http://app.example.edu:443/a"
        );
        assert_eq!(
            n("https://app.example.edu:08443/a"),
            "https://app.example.edu:8443/a"
        );
        assert_eq!(n("https://app.example.edu:/a"), "https://app.example.edu/a");
        assert_eq!(n("https://app.example.edu"), "https://app.example.edu/");
        assert_eq!(
            n("https://app.example.edu?q=1"),
            "https://app.example.edu/?q=1"
        );
        assert_eq!(n("https://[::1]:8443/x"), "https://[::1]:8443/x");
        assert_eq!(n("https://[::1]/x"), "https://[::1]/x");
        assert_eq!(n("https://Bob@Host/x"), "https://Bob@host/x");
        assert_eq!(n("https://h/A/b?Q=R"), "https://h/A/b?Q=R");
    }

    #[test]
    fn rejected_urls() {
        for bad in [
            "",
            "app.example.edu/login",
            "https://",
            "https:///path",
            "https://h:99999/",
            "https://h:8x/",
            "https://h /",
            "1http://h/",
            "https://h/\u{e9}",
            "https://user@:443/",
            // Found by the roundtrip fuzzer: a colon left in the host.
            "HTTP://Tt:jQ5):",
            "https://a:b:c/",
            "https://[::1/",
            "https://]x[/",
            "https://[]/",
            "https://[::g]/",
            "https://h<x>/",
        ] {
            assert_eq!(normalize(bad), Err(InvalidClaims::Service), "{bad:?}");
        }
        assert_eq!(
            normalize(&format!("https://h/{}", "a".repeat(MAX_SERVICE_URL_BYTES))),
            Err(InvalidClaims::Service)
        );
    }

    #[test]
    fn is_normalized_says_what_normalize_says() {
        let hosts = ["a.b", "A.b", "[::1]", "[::A]", "h", "x-y.Z"];
        let ports = [
            "", ":", ":0", ":00", ":80", ":080", ":443", ":8443", ":08443", ":65535", ":65536",
        ];
        let rests = ["", "/", "/p", "/P?q", "?q", "#f", "/#", "/p?q#f"];
        for scheme in ["http", "https", "HTTP", "Https", "myapp"] {
            for user in ["", "u@", "U:p@", "@"] {
                for host in hosts {
                    for port in ports {
                        for rest in rests {
                            let url = format!("{scheme}://{user}{host}{port}{rest}");
                            assert_eq!(
                                is_normalized(&url),
                                normalize(&url).is_ok_and(|n| n == url),
                                "{url}"
                            );
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn normalization_is_idempotent() {
        for url in ["HTTPS://A.B:443", "http://x:0080/?#", "https://u@H:1/p?q#f"] {
            assert_eq!(n(&n(url)), n(url));
        }
    }

    #[test]
    fn long_services_are_shortened_and_still_match_exactly() {
        let long = format!(
            "https://app.example.edu/very/long/path?{}",
            "q=1&".repeat(20)
        );
        let service = Service::new(&long).unwrap();
        assert!(service.is_shortened());
        assert_eq!(service.as_str().len(), KEPT_PREFIX_CHARS + 1 + DIGEST_CHARS);
        assert!(service.matches(&long));
        assert!(service.matches(&long.replace("https://app", "HTTPS://APP")));
        assert!(!service.matches(&format!("{long}x")));
        // Same prefix, different middle: the digest tells them apart.
        assert!(!service.matches(&long.replacen("path", "PATH", 1)));
        assert_eq!(
            Service::from_stored(service.as_str().to_owned()),
            Some(service)
        );
    }

    #[test]
    fn a_cut_inside_the_authority_still_round_trips() {
        for url in [
            format!("https://user:secretpass@{}.example.edu/x", "h".repeat(40)),
            format!("https://[2001:db8:0:0:0:0:0:{}]:8443/path", "1".repeat(30)),
            format!("{}://host/{}", "x".repeat(38), "p".repeat(40)),
        ] {
            let service = Service::new(&url).unwrap();
            assert!(service.is_shortened(), "{url}");
            assert_eq!(
                Service::from_stored(service.as_str().to_owned()),
                Some(service.clone())
            );
            assert!(service.matches(&url));
        }
    }

    #[test]
    fn short_services_match_after_normalization_only() {
        let s = Service::new("https://app.example.edu/login?target=%2Fhome").unwrap();
        assert!(!s.is_shortened());
        assert!(s.matches("https://APP.example.edu:443/login?target=%2Fhome#top"));
        assert!(!s.matches("https://app.example.edu/login?target=%2fhome"));
        assert!(!s.matches("https://app.example.edu/login"));
        assert!(!s.matches("http://app.example.edu/login?target=%2Fhome"));
        assert!(!s.matches("not a url"));
    }

    #[test]
    fn stored_forms_must_be_ones_shorten_makes() {
        assert!(Service::from_stored("https://a.b/".into()).is_some());
        assert!(Service::from_stored("HTTPS://a.b/".into()).is_none());
        assert!(Service::from_stored("https://a.b/#x".into()).is_none());
        assert!(Service::from_stored(String::new()).is_none());
    }

    #[test]
    fn callback_urls_are_kept_verbatim() {
        let url = "https://Proxy.example.edu:443/cb";
        assert_eq!(CallbackUrl::new(url).unwrap().as_str(), url);
        assert_eq!(CallbackUrl::new("relative/cb"), Err(InvalidClaims::Url));
        let long = format!("https://p/{}", "x".repeat(MAX_CALLBACK_URL_BYTES));
        assert_eq!(CallbackUrl::new(&long), Err(InvalidClaims::Url));
    }
}
