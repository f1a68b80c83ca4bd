//! Service URLs: normalize, shorten, match (FORMAT.md §8).
//!
//! A service ticket carries the service it was issued for, but a ticket must
//! stay short, so the service is stored in a *shortened* form:
//!
//! 1. **Accept** only what a browser and this crate read the same way: an
//!    `http` or `https` URL written `scheme://authority…` in printable ASCII,
//!    without userinfo, without `\` (a browser reads it as `/`), without the
//!    path characters whose treatment the URL Standard has changed (`"`, `<`,
//!    `>`, `` ` ``, `{`, `}`, `^`) and the query characters it escapes
//!    differently from RFC 3986 tools (`"`, `<`, `>`).
//! 2. **Normalize** by parsing as the WHATWG URL Standard does (the `url`
//!    crate) and serializing without the fragment: scheme and host
//!    lowercased, IDNA applied, IPv4 and IPv6 hosts in canonical form, the
//!    scheme's default port dropped, `.` and `..` segments removed, an empty
//!    path made `/`, `'` in the query written `%27`. The host must then be an
//!    IP address or a DNS name (labels of letters, digits, `-` and `_`).
//!    Nothing else changes: `/a?x=1` and `/A?x=1` are different services,
//!    and `%2F` is not `/`.
//! 3. **Shorten**: a normalized URL of at most [`MAX_FULL_SERVICE_CHARS`]
//!    characters is stored as it is. A longer one is stored as its first
//!    [`KEPT_PREFIX_CHARS`] characters, `#`, and the base62 spelling of the
//!    first 16 bytes of its SHA-256 digest. A normalized URL never contains
//!    `#`, so the two forms cannot be confused.
//! 4. **Match**: a `service` parameter matches a ticket when its normalized,
//!    shortened form equals the stored form byte for byte. For a short URL
//!    that is exact equality after normalization; for a long one it is equality
//!    of the whole URL up to a 128-bit digest collision.
//!
//! A decoder checks a stored form without parsing it again: [`is_normalized`]
//! reads the grammar of normalized URLs in one pass, and agrees with
//! `normalize(url) == Ok(url)` on every input (tested, and fuzzed), so
//! [`normalize`] returns such a URL without parsing it.
//!
//! Unlike the stateless registry this project replaces, nothing is compared
//! case-insensitively and no query or path segment is ever dropped.

use core::fmt;

use sha2::{Digest, Sha256};
use url::{Host, Url};

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
/// Longest proxy callback URL a ticket carries (normalized, carried whole).
pub const MAX_CALLBACK_URL_BYTES: usize = 200;
/// Longest DNS name and label (RFC 1035 §2.3.4).
const MAX_DOMAIN_CHARS: usize = 253;
const MAX_LABEL_CHARS: usize = 63;

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

    /// Whether `given` is exactly the URL this service was made of: already
    /// in normal form, and shortening to this stored form. This is how an
    /// OAuth `redirect_uri` is matched (RFC 6749 §4.1.3, "identical"): no
    /// normalization, so `https://App.example.edu/cb` is not
    /// `https://app.example.edu/cb`.
    pub fn is_exactly(&self, given: &str) -> bool {
        is_normalized(given) && shorten(given.to_owned()) == self.0
    }

    /// The stored (normalized, possibly shortened) form.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether the stored form is a prefix plus a digest rather than the whole URL.
    pub fn is_shortened(&self) -> bool {
        self.0.contains('#')
    }

    /// Accepts a stored form read from a ticket, if it has the shape
    /// `shorten` gives (FORMAT.md §8, "stored form").
    pub(crate) fn from_stored(stored: String) -> Option<Self> {
        let valid = match stored.split_once('#') {
            Some((head, digest)) => {
                head.len() == KEPT_PREFIX_CHARS
                    && grammar(head, Extent::Head)
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

/// A proxy callback URL (PGT callback, PT proxy chain): accepted and
/// normalized as a service is, carried whole.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct CallbackUrl(String);

impl CallbackUrl {
    /// Normalizes `url` as [`normalize`] does; the result must be at most
    /// [`MAX_CALLBACK_URL_BYTES`]. The normalized form is what a CAS server
    /// calls and reports.
    pub fn new(url: &str) -> Result<Self, InvalidClaims> {
        match normalize(url) {
            Ok(normalized) if normalized.len() <= MAX_CALLBACK_URL_BYTES => {
                Ok(CallbackUrl(normalized))
            }
            _ => Err(InvalidClaims::Url),
        }
    }

    /// Accepts a callback read from a ticket, if [`CallbackUrl::new`] can produce it.
    pub(crate) fn from_stored(stored: String) -> Option<Self> {
        (stored.len() <= MAX_CALLBACK_URL_BYTES && is_normalized(&stored))
            .then_some(CallbackUrl(stored))
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

/// The normalized form of a service URL (see the module docs): the URL as a
/// browser reads it, serialized without its fragment.
///
/// A URL that is its own normalized form ([`is_normalized`], one pass over
/// its bytes) is returned as it is, unparsed: most `service` parameters
/// are, and a login and its validation normalize theirs more than once.
/// That the two agree on every input is what a decoder relies on already;
/// it is tested, and fuzzed against normalization by parsing alone
/// ([`stages::normalize_by_parsing`](crate::stages::normalize_by_parsing)).
pub fn normalize(url: &str) -> Result<String, InvalidClaims> {
    if is_normalized(url) {
        return Ok(url.to_owned());
    }
    parsed(url)
}

/// [`normalize`] by parsing, always: steps 1 and 2 of the module docs.
pub(crate) fn parsed(url: &str) -> Result<String, InvalidClaims> {
    accept(url)?;
    let mut parsed = Url::parse(url).map_err(|_| InvalidClaims::Service)?;
    let host_ok = match parsed.host() {
        Some(Host::Domain(domain)) => is_dns_name(domain),
        Some(Host::Ipv4(_) | Host::Ipv6(_)) => true,
        None => false,
    };
    if !host_ok {
        return Err(InvalidClaims::Service);
    }
    parsed.set_fragment(None);
    Ok(parsed.into())
}

/// Step 1: the text checks made before parsing.
fn accept(url: &str) -> Result<(), InvalidClaims> {
    let printable = |b: u8| b.is_ascii_graphic() && b != b'\\';
    if url.is_empty() || url.len() > MAX_SERVICE_URL_BYTES || !url.bytes().all(printable) {
        return Err(InvalidClaims::Service);
    }
    let (scheme, after) = url.split_once("://").ok_or(InvalidClaims::Service)?;
    if !(scheme.eq_ignore_ascii_case("http") || scheme.eq_ignore_ascii_case("https")) {
        return Err(InvalidClaims::Service);
    }
    let (before_fragment, _fragment) = after.split_once('#').unwrap_or((after, ""));
    let (authority_path, query) = before_fragment
        .split_once('?')
        .unwrap_or((before_fragment, ""));
    let (authority, path) = authority_path
        .split_once('/')
        .unwrap_or((authority_path, ""));
    let valid = !authority.is_empty()
        && !authority.contains('@')
        && path.bytes().all(path_byte)
        && query.bytes().all(query_input_byte);
    if valid {
        Ok(())
    } else {
        Err(InvalidClaims::Service)
    }
}

/// Whether `url` is its own normalized form (`normalize(url) == Ok(url)`),
/// decided in one pass over the text: this runs on every decode of an ST or PT.
pub fn is_normalized(url: &str) -> bool {
    url.len() <= MAX_SERVICE_URL_BYTES && grammar(url, Extent::Whole)
}

/// How much of a normalized URL a text is.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Extent {
    /// All of it.
    Whole,
    /// Its first characters: the head of a shortened service. What the cut
    /// may have left unfinished (the last label or IPv6 literal, the port,
    /// the last path segment) is checked only as far as it goes.
    Head,
}

/// The grammar of normalized URLs (FORMAT.md §8): `http[s]://`, a host, an
/// optional port that is not the default, a path without dot segments and
/// an optional query, in the characters step 1 lets through.
fn grammar(url: &str, extent: Extent) -> bool {
    let head = extent == Extent::Head;
    let (rest, default_port) = if let Some(rest) = url.strip_prefix("https://") {
        (rest, 443)
    } else if let Some(rest) = url.strip_prefix("http://") {
        (rest, 80)
    } else {
        return head && ("https://".starts_with(url) || "http://".starts_with(url));
    };
    let (authority, path, query) = match rest.bytes().position(|b| b == b'/' || b == b'?') {
        // A normalized path is never empty.
        Some(0) | None if !head => return false,
        None => return authority_ok(rest, default_port, false),
        Some(end) => {
            let (authority, path_query) = rest.split_at(end);
            match split_at_byte(path_query, b'?') {
                Some((path, query)) => (authority, path, Some(query)),
                None => (authority, path_query, None),
            }
        }
    };
    authority_ok(authority, default_port, true)
        && path.starts_with('/')
        && path_ok(path.as_bytes(), !head || query.is_some())
        && query.is_none_or(|q| q.bytes().all(query_byte))
}

/// `text` cut around its first `byte` (ASCII), which neither part keeps.
fn split_at_byte(text: &str, byte: u8) -> Option<(&str, &str)> {
    let at = text.bytes().position(|b| b == byte)?;
    Some((text.get(..at)?, text.get(at + 1..)?))
}

/// Host and port; `complete` when the authority's end was seen.
fn authority_ok(authority: &str, default_port: u16, complete: bool) -> bool {
    let (host_ok, port) = if authority.starts_with('[') {
        match split_at_byte(authority, b']') {
            Some((literal, after)) => {
                let port = match after.strip_prefix(':') {
                    Some(port) => Some(port),
                    None if after.is_empty() => None,
                    None => return false,
                };
                (is_canonical_ipv6(literal), port)
            }
            None => {
                // Cut inside the literal.
                let inside = authority.get(1..).unwrap_or("");
                return !complete
                    && inside
                        .bytes()
                        .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f' | b':'));
            }
        }
    } else {
        let (host, port) = match split_at_byte(authority, b':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        };
        let ok = if complete || port.is_some() {
            match dns_name(host) {
                Some(punycode) => !punycode || idna_unchanged(host),
                None => is_canonical_ipv4(host),
            }
        } else {
            labels_so_far(host)
        };
        (ok, port)
    };
    host_ok && port.is_none_or(|port| port_ok(port, default_port, complete))
}

/// A port as normalized: decimal without leading zeros, below 65536, not
/// the scheme's default; in a head, as much of such a port as was kept.
fn port_ok(port: &str, default_port: u16, complete: bool) -> bool {
    if port.is_empty() {
        return !complete;
    }
    let canonical = port.len() <= 5
        && port.bytes().all(|b| b.is_ascii_digit())
        && (port == "0" || !port.starts_with('0'));
    match port.parse::<u32>() {
        Ok(number) if canonical && number <= u32::from(u16::MAX) => {
            !complete || number != u32::from(default_port)
        }
        _ => false,
    }
}

/// A domain the URL Standard keeps as a domain and DNS can hold: labels of
/// 1–63 lowercase letters, digits, `-` and `_`, at most 253 characters, the
/// last not a number (the URL Standard would read the host as IPv4).
fn is_dns_name(domain: &str) -> bool {
    dns_name(domain).is_some()
}

/// [`is_dns_name`] in one pass, and whether a label is punycode (`xn--`).
fn dns_name(domain: &str) -> Option<bool> {
    let bytes = domain.as_bytes();
    if bytes.len() > MAX_DOMAIN_CHARS {
        return None;
    }
    let mut punycode = false;
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'.' {
            let label = bytes.get(start..i)?;
            if label.is_empty() || label.len() > MAX_LABEL_CHARS {
                return None;
            }
            punycode |= label.starts_with(b"xn--");
            start = i + 1;
        } else if !is_label_byte(b) {
            return None;
        }
    }
    let last = bytes.get(start..)?;
    let number = std::str::from_utf8(last).is_ok_and(is_number);
    if last.is_empty() || last.len() > MAX_LABEL_CHARS || number {
        return None;
    }
    Some(punycode || last.starts_with(b"xn--"))
}

fn is_label(label: &str) -> bool {
    (1..=MAX_LABEL_CHARS).contains(&label.len()) && label.bytes().all(is_label_byte)
}

fn is_label_byte(b: u8) -> bool {
    b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_'
}

/// The URL Standard's "ends in a number" test on a last label.
fn is_number(label: &str) -> bool {
    let digits = !label.is_empty() && label.bytes().all(|b| b.is_ascii_digit());
    let hex = label
        .strip_prefix("0x")
        .is_some_and(|h| h.bytes().all(|b| b.is_ascii_hexdigit()));
    digits || hex
}

/// A DNS name with a punycode label (`xn--`) is normalized only if IDNA
/// gives it back unchanged; other ASCII labels IDNA leaves alone.
fn idna_unchanged(domain: &str) -> bool {
    !domain.split('.').any(|label| label.starts_with("xn--"))
        || matches!(Host::parse(domain), Ok(Host::Domain(d)) if d == domain)
}

/// The labels of a host a head cut short: finished labels whole, the last as
/// far as it goes.
fn labels_so_far(host: &str) -> bool {
    let Some((finished, last)) = host.rsplit_once('.') else {
        return host.len() <= MAX_LABEL_CHARS && host.bytes().all(is_label_byte);
    };
    host.len() <= MAX_DOMAIN_CHARS
        && finished.split('.').all(is_label)
        && idna_unchanged(finished)
        && last.len() <= MAX_LABEL_CHARS
        && last.bytes().all(is_label_byte)
}

/// Dotted decimal, four numbers below 256 without leading zeros.
fn is_canonical_ipv4(host: &str) -> bool {
    let mut parts = 0;
    for part in host.split('.') {
        parts += 1;
        let canonical = (part == "0" || !part.starts_with('0'))
            && part.bytes().all(|b| b.is_ascii_digit())
            && part.parse::<u8>().is_ok();
        if !canonical {
            return false;
        }
    }
    parts == 4
}

/// `[` IPv6 `]` as the URL Standard writes it (RFC 5952 compression,
/// lowercase, no embedded IPv4); `literal` lacks the closing bracket.
fn is_canonical_ipv6(literal: &str) -> bool {
    let Some(inside) = literal.strip_prefix('[') else {
        return false;
    };
    let Ok(address) = inside.parse::<core::net::Ipv6Addr>() else {
        return false;
    };
    // Rare enough in services that a second serialization is fine here.
    Host::<&str>::Ipv6(address)
        .to_string()
        .get(1..)
        .and_then(|s| s.strip_suffix(']'))
        == Some(inside)
}

/// Path bytes step 1 accepts, and so the bytes of a normalized path,
/// delimiters aside. Refused: what the URL Standard percent-encodes, or has
/// changed whether it does (`^`), so a browser and a server may disagree.
fn path_byte(b: u8) -> bool {
    matches!(b, 0x21..=0x7E)
        && !matches!(
            b,
            b'\\' | b'#' | b'?' | b'"' | b'<' | b'>' | b'`' | b'{' | b'}' | b'^'
        )
}

/// Query bytes step 1 accepts, the fragment's `#` aside.
fn query_input_byte(b: u8) -> bool {
    matches!(b, 0x21..=0x7E) && !matches!(b, b'\\' | b'#' | b'"' | b'<' | b'>')
}

/// Query bytes normalization writes: step 1's but `'`, written `%27`.
fn query_byte(b: u8) -> bool {
    query_input_byte(b) && b != b'\''
}

/// A normalized path: `/`-separated segments of the characters step 1
/// accepts, none a dot segment; `last_complete` when the path's end was seen.
fn path_ok(path: &[u8], last_complete: bool) -> bool {
    let mut start = 1;
    for (i, &b) in path.iter().enumerate().skip(1) {
        if b == b'/' {
            if path.get(start..i).is_none_or(is_dot_segment) {
                return false;
            }
            start = i + 1;
        } else if !path_byte(b) {
            return false;
        }
    }
    !last_complete || path.get(start..).is_some_and(|last| !is_dot_segment(last))
}

/// `.` or `..`, either dot possibly written `%2e` or `%2E`.
fn is_dot_segment(segment: &[u8]) -> bool {
    let dot = |s: &[u8]| s == b"." || s.eq_ignore_ascii_case(b"%2e");
    match segment.len() {
        1 | 3 => dot(segment),
        2 | 4 | 6 => [1, 3].iter().any(|&cut| {
            segment
                .split_at_checked(cut)
                .is_some_and(|(a, b)| dot(a) && dot(b))
        }),
        _ => false,
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
        for (given, normalized) in [
            (
                "HTTPS://App.Example.EDU/login?x=A#frag",
                "https://app.example.edu/login?x=A",
            ),
            ("https://app.example.edu:443/a", "https://app.example.edu/a"),
            ("http://app.example.edu:80/a", "http://app.example.edu/a"),
            (
                "http://app.example.edu:443/a",
                "http://app.example.edu:443/a",
            ),
            (
                "https://app.example.edu:08443/a",
                "https://app.example.edu:8443/a",
            ),
            (
                "https://app.example.edu:0443/a",
                "https://app.example.edu/a",
            ),
            ("https://app.example.edu:/a", "https://app.example.edu/a"),
            ("https://app.example.edu", "https://app.example.edu/"),
            (
                "https://app.example.edu?q=1",
                "https://app.example.edu/?q=1",
            ),
            ("https://app.example.edu/?", "https://app.example.edu/?"),
            ("https://app.example.edu/#", "https://app.example.edu/"),
            ("https://[::1]:8443/x", "https://[::1]:8443/x"),
            ("https://[0:0:0:0:0:0:0:1]/x", "https://[::1]/x"),
            ("https://[::FFFF:10.0.0.1]/", "https://[::ffff:a00:1]/"),
            ("https://h/A/b?Q=R", "https://h/A/b?Q=R"),
            // As a browser reads them.
            ("https://0x7f.1/", "https://127.0.0.1/"),
            ("https://2130706433/", "https://127.0.0.1/"),
            ("https://ex%41mple.edu/", "https://example.edu/"),
            ("https://h/a/../b/./c", "https://h/b/c"),
            ("https://h/a/%2e%2E/b/%2e/c/..", "https://h/b/"),
            ("https://h/a/..%2f/b", "https://h/a/..%2f/b"),
            ("https://h/a%2Fb?x=%2f", "https://h/a%2Fb?x=%2f"),
            ("https://h/it's?q='1'", "https://h/it's?q=%271%27"),
            ("https://h/p?a[]=1&b=|", "https://h/p?a[]=1&b=|"),
            ("https://XN--MXABJ4D.com/", "https://xn--mxabj4d.com/"),
            (
                "https://%CE%B2%CE%B5%CF%84%CE%B1.com/",
                "https://xn--mxabj4d.com/",
            ),
            (
                "https://under_score.example/",
                "https://under_score.example/",
            ),
        ] {
            assert_eq!(normalize(given).as_deref(), Ok(normalized), "{given}");
            assert!(is_normalized(normalized), "{normalized}");
        }
    }

    /// What a browser and an RFC 3986 parser may read differently, and what
    /// is not a web URL: refused (issue 11's battery, and more).
    #[test]
    fn rejected_urls() {
        for bad in [
            "",
            "app.example.edu/login",
            "https://",
            "https:///path",
            "https:////h/",
            "https:h/",
            "https:/h/",
            "https:\\\\h/",
            "https://h:99999/",
            "https://h:65536/",
            "https://h:8x/",
            "https://h /",
            "1http://h/",
            "https://h/\u{e9}",
            "https://user@:443/",
            // Userinfo, and what `\` hides: a browser goes to evil.test.
            "https://EVIL.TEST\\@GOOD.EXAMPLE:443/X",
            "https://evil.test\\good.example/",
            "https://h/a\\b",
            "https://h/?a\\b",
            "https://u@h/",
            "https://u:p@h/",
            "https://@h/",
            "https://h@/",
            "https://@/",
            // Only http and https.
            "javascript:alert(1)",
            "javascript://%0aalert(1)",
            "data://text/html,x",
            "file://localhost/etc/passwd",
            "myapp://callback",
            "ftp://h/",
            "ws://h/",
            // Found by the roundtrip fuzzer: a colon left in the host.
            "HTTP://Tt:jQ5):",
            "https://a:b:c/",
            // Hosts that are neither DNS names nor IP addresses.
            "https://[::1/",
            "https://]x[/",
            "https://[]/",
            "https://[::g]/",
            "https://[zz]/",
            "https://[::1%25eth0]/",
            "https://h<x>/",
            "https://a!b/",
            "https://a..b/",
            "https://a.b./",
            "https://.a/",
            "https://a%2F.b/",
            "https://1.2.3.4.5/",
            "https://h.0x/",
            "https://h.123/",
            "https://xn--zz/",
            "https://a%00b/",
            // Path and query characters browsers escape (or have changed).
            "https://h/a\"b",
            "https://h/a<b",
            "https://h/a`b",
            "https://h/{x}",
            "https://h/a^b",
            "https://h/?a<b",
            "https://h/?a\"b",
        ] {
            assert_eq!(normalize(bad), Err(InvalidClaims::Service), "{bad:?}");
            assert!(!is_normalized(bad), "{bad:?}");
        }
        // Over the cap, however well formed: neither normalized nor
        // normalizable (the shortcut of `normalize` must not let it by).
        let at_cap = format!("https://h/{}", "a".repeat(MAX_SERVICE_URL_BYTES - 10));
        assert_eq!(at_cap.len(), MAX_SERVICE_URL_BYTES);
        assert!(is_normalized(&at_cap));
        assert_eq!(normalize(&at_cap).as_deref(), Ok(at_cap.as_str()));
        let over = format!("{at_cap}a");
        assert!(!is_normalized(&over));
        assert_eq!(normalize(&over), Err(InvalidClaims::Service));
        assert_eq!(parsed(&over), Err(InvalidClaims::Service));
        let label = "a".repeat(MAX_LABEL_CHARS);
        assert!(normalize(&format!("https://{label}/")).is_ok());
        assert!(normalize(&format!("https://{label}a/")).is_err());
        let name = [label.as_str(); 4].join(".");
        assert!(normalize(&format!("https://{}/", &name[..MAX_DOMAIN_CHARS])).is_ok());
        assert!(normalize(&format!("https://{name}/")).is_err());
    }

    #[test]
    fn is_normalized_says_what_normalize_says() {
        let hosts = [
            "a.b",
            "A.b",
            "h",
            "x-y.Z",
            "a_b.c",
            "a..b",
            "1.2.3.4",
            "01.2.3.4",
            "1.2.3",
            "256.1.1.1",
            "h.0x1",
            "h.0xg",
            "h.9",
            "xn--mxabj4d.com",
            "xn--zz",
            "XN--mxabj4d.com",
            "xn--nxasmq6b.com",
            "[::1]",
            "[::A]",
            "[0::1]",
            "[1:0:0:2::3]",
            "[1::2:0:0:3]",
            "[::ffff:1.2.3.4]",
            "a%2db",
        ];
        let ports = [
            "", ":", ":0", ":00", ":80", ":080", ":443", ":8443", ":08443", ":65535", ":65536",
        ];
        let rests = [
            "",
            "/",
            "/p",
            "/P?q",
            "?q",
            "#f",
            "/#",
            "/p?q#f",
            "/a/../b",
            "/a/./b",
            "/.",
            "/..",
            "/%2e",
            "/%2E%2e/x",
            "/.a",
            "/a..",
            "/a/%2e%2f",
            "/'?'",
            "/?%27",
            "/|?|",
            "/^",
            "/?^",
            "/`",
            "/?`",
            "/{",
            "/?{",
            "/\"",
            "/?<",
            "/a b",
            "//x",
            "/a\\b",
            "/?\\",
        ];
        for scheme in ["http", "https", "HTTP", "Https", "myapp"] {
            for user in ["", "u@", "@"] {
                for host in hosts {
                    for port in ports {
                        for rest in rests {
                            let url = format!("{scheme}://{user}{host}{port}{rest}");
                            let round_trips = parsed(&url).is_ok_and(|n| n == url);
                            assert_eq!(normalize(&url), parsed(&url), "{url}");
                            assert_eq!(is_normalized(&url), round_trips, "{url}");
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn heads_are_checked_as_prefixes_of_normalized_urls() {
        let head = |s: &str| grammar(s, Extent::Head);
        // Every head of a normalized URL passes.
        for url in [
            "https://app.example.edu:8443/very/long/path/../x?q=1&r='2'&s=%2F",
            "https://[2001:db8:0:0:1:0:0:1]:8443/path/to/somewhere/else",
            "https://xn--mxabj4d.example.edu/a/b/c/d/e/f/g/h/i/j/k/l/m",
            "http://10.20.30.40:65535/cas/login?service=x&renew=true",
        ] {
            let normalized = normalize(url).unwrap();
            for end in 0..=normalized.len() {
                assert!(head(&normalized[..end]), "{}", &normalized[..end]);
            }
        }
        // Texts no normalized URL starts with.
        for bad in [
            "HTTPS://a",
            "ftp://a",
            "https://a..b",
            "https://-@",
            "https://h:99999",
            "https://h:0443",
            "https://h:443/",
            "https://h:/",
            "https://h/a/../b",
            "https://h/%2e/b",
            "https://h/a\"b",
            "https://h/?'",
            "https://h/?a\\",
            "https://h/#",
            "https://[::G",
            "https://[::1]x",
            "https://[0:0::1]/",
            "https://1.2.3/",
            "https://xn--zz.b",
            "https://a b",
        ] {
            assert!(!head(bad), "{bad}");
        }
    }

    #[test]
    fn normalization_is_idempotent() {
        for url in [
            "HTTPS://A.B:443",
            "http://x:0080/?#",
            "https://H:1/p/../q?q#f",
        ] {
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
            format!("https://{}.example.edu/x", "h".repeat(50)),
            format!(
                "https://[2001:db8:1111:2222:3333:4444:5555:6666]:8443/{}",
                "p".repeat(30)
            ),
            format!("http://{}.example:8443/{}", "a".repeat(21), "p".repeat(40)),
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
        let long = Service::new(&format!("https://a.b/{}", "c".repeat(80))).unwrap();
        let (head, digest) = long.as_str().split_once('#').unwrap();
        assert_eq!(head.len(), KEPT_PREFIX_CHARS);
        for impossible in [
            head.replace("https", "HTTPS"),
            head.replace("a.b", "a:b"),
            head.replace("/ccc", "/../"),
            head.replace("a.b/c", "a.b/\""),
        ] {
            assert_eq!(impossible.len(), KEPT_PREFIX_CHARS);
            assert!(Service::from_stored(format!("{impossible}#{digest}")).is_none());
        }
    }

    #[test]
    fn callback_urls_are_normalized() {
        let url = "https://Proxy.example.edu:443/cb#x";
        assert_eq!(
            CallbackUrl::new(url).unwrap().as_str(),
            "https://proxy.example.edu/cb"
        );
        for bad in [
            "relative/cb",
            "https://p/cb#fragment-is-dropped-but-this-has-a-space ",
            "https://p:99999/cb",
            "https://[zz]/cb",
            "https://@/",
            "https://u@p/cb",
            "https://p\\@q/cb",
            "myapp://cb",
        ] {
            assert_eq!(CallbackUrl::new(bad), Err(InvalidClaims::Url), "{bad}");
        }
        let path = "x".repeat(MAX_CALLBACK_URL_BYTES - "https://p/".len());
        let longest = format!("https://p/{path}");
        assert_eq!(CallbackUrl::new(&longest).unwrap().as_str(), longest);
        let long = format!("HTTPS://P:443/{path}x");
        assert_eq!(CallbackUrl::new(&long), Err(InvalidClaims::Url));
        assert!(CallbackUrl::from_stored(longest).is_some());
        assert!(CallbackUrl::from_stored("https://P/cb".into()).is_none());
    }
}
