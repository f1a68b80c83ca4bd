//! A URL scope: "this URL or under it", as the service registry writes a
//! service's `url` and its `proxy_callbacks`. Every URL the node is given and
//! then acts on (a `service` it sends a ticket to, a `pgtUrl` it calls, a
//! service it POSTs a logout to) must be inside a scope an operator wrote.
//!
//! A string prefix can be walked around (`…/cb/../evil`, `…/cb%2F..%2Fevil`,
//! `…/cbevil`, `…/cb/..;/evil` on Tomcat, `…/cb\..\evil`, `…/cb@evil.test/`).
//! So scopes and URLs are both normalized as the codec normalizes services
//! (the WHATWG URL Standard: `.` and `..` segments removed, no userinfo, no
//! `\`), and a URL is inside a scope when its scheme, host and port equal the
//! scope's and the scope's path segments are the first of the URL's, whole.
//! What a server behind the URL might still decode into a different path is
//! refused outright: percent-encoded `.`, `/` and `\` (`%2e`, `%2f`, `%5c`,
//! any case) and `;` anywhere in the path.
//!
//! A host may start with a `*.` label wildcard: `https://*.example.edu/`
//! covers `https://moodle.example.edu/` and nothing else of the host's
//! shape — exactly one whole label, as in a TLS certificate, so neither
//! `example.edu`, `a.b.example.edu` nor `evil-example.edu` is inside it. A
//! wildcard needs at least two labels after it (`*.edu` is refused) and
//! never stands for an IP address.

use cas_ticket_codec::normalize;

/// A DNS label that stands in for `*` while a wildcard scope is normalized.
/// It is valid in any host, and removed again afterwards.
const WILDCARD_STAND_IN: &str = "x-wildcard-label";

/// One scope: an origin and the path segments under it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UrlScope {
    /// `http://` or `https://`.
    scheme: String,
    host: HostPattern,
    /// `:port` when not the scheme's default, else empty.
    port: String,
    /// The scope's path segments; a trailing `/` adds none.
    segments: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum HostPattern {
    /// This host, normalized.
    Exact(String),
    /// One label, then this suffix (starting with `.`).
    AnyLabelUnder(String),
}

impl UrlScope {
    /// Parses a scope such as `https://proxy.example.edu/cas/` (a trailing
    /// `/` or not means the same: `…/cb` covers `…/cb` and `…/cb/x`, never
    /// `…/cbx`).
    pub fn parse(text: &str) -> Result<Self, String> {
        let refused = || {
            format!(
                "'{text}' is not an http or https URL with a path and no query or \
                 fragment, like https://app.example.edu/cas/"
            )
        };
        let (scheme, rest) = text.split_once("://").ok_or_else(refused)?;
        let wildcard = rest.starts_with("*.");
        let spelled = match rest.strip_prefix('*') {
            Some(after) if wildcard => format!("{scheme}://{WILDCARD_STAND_IN}{after}"),
            Some(_) => return Err(refused()),
            None => text.to_owned(),
        };
        if spelled.contains(['#', '*']) {
            return Err(refused());
        }
        let url = normalize(&spelled).map_err(|_| refused())?;
        let (origin, path, query) = split(&url).ok_or_else(refused)?;
        if query.is_some() || !path_is_plain(path) {
            return Err(refused());
        }
        let (scheme, host, port) = split_origin(origin).ok_or_else(refused)?;
        let host = if wildcard {
            let suffix = host
                .strip_prefix(WILDCARD_STAND_IN)
                .filter(|suffix| suffix.starts_with('.'))
                .ok_or_else(refused)?;
            let labels = suffix.split('.').filter(|l| !l.is_empty()).count();
            let numeric = suffix
                .rsplit('.')
                .next()
                .is_some_and(|tld| tld.bytes().all(|b| b.is_ascii_digit()));
            if labels < 2 || numeric {
                return Err(format!(
                    "'{text}': a `*.` wildcard needs a domain of at least two labels after it"
                ));
            }
            HostPattern::AnyLabelUnder(suffix.to_owned())
        } else {
            HostPattern::Exact(host.to_owned())
        };
        Ok(UrlScope {
            scheme: scheme.to_owned(),
            host,
            port: port.to_owned(),
            segments: segments(path).map(str::to_owned).collect(),
        })
    }

    /// Whether `url`, a normalized URL (as `normalize` and `CallbackUrl`
    /// give it), is inside this scope.
    pub fn covers(&self, url: &str) -> bool {
        let Some((origin, path, _query)) = split(url) else {
            return false;
        };
        let Some((scheme, host, port)) = split_origin(origin) else {
            return false;
        };
        let host_ok = match &self.host {
            HostPattern::Exact(ours) => host == ours,
            HostPattern::AnyLabelUnder(suffix) => host
                .strip_suffix(suffix.as_str())
                .is_some_and(|label| !label.is_empty() && !label.contains(['.', '[', ':'])),
        };
        if scheme != self.scheme || !host_ok || port != self.port || !path_is_plain(path) {
            return false;
        }
        let mut theirs = segments(path);
        self.segments
            .iter()
            .all(|ours| theirs.next() == Some(ours.as_str()))
    }

    /// Whether this scope is `https://`.
    pub fn is_https(&self) -> bool {
        self.scheme == "https://"
    }

    /// How specific the scope is, for "the most specific entry wins": an
    /// exact host before a wildcard, then the longer host, then more path
    /// segments.
    pub fn specificity(&self) -> (bool, usize, usize) {
        match &self.host {
            HostPattern::Exact(host) => (true, host.len(), self.segments.len()),
            HostPattern::AnyLabelUnder(suffix) => (false, suffix.len(), self.segments.len()),
        }
    }
}

impl std::fmt::Display for UrlScope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let host = match &self.host {
            HostPattern::Exact(host) => host.clone(),
            HostPattern::AnyLabelUnder(suffix) => format!("*{suffix}"),
        };
        write!(f, "{}{host}{}/", self.scheme, self.port)?;
        for (i, segment) in self.segments.iter().enumerate() {
            if i > 0 {
                f.write_str("/")?;
            }
            f.write_str(segment)?;
        }
        Ok(())
    }
}

/// A normalized URL's origin, path and query.
fn split(url: &str) -> Option<(&str, &str, Option<&str>)> {
    let scheme_end = url.find("://")? + 3;
    let path_start = scheme_end + url.get(scheme_end..)?.find('/')?;
    let (origin, rest) = url.split_at(path_start);
    Some(match rest.split_once('?') {
        Some((path, query)) => (origin, path, Some(query)),
        None => (origin, rest, None),
    })
}

/// A normalized origin's `scheme://`, host and `:port` (empty when default).
fn split_origin(origin: &str) -> Option<(&str, &str, &str)> {
    let scheme_end = origin.find("://")? + 3;
    let (scheme, authority) = origin.split_at(scheme_end);
    // An IPv6 host is bracketed: its port follows the `]`.
    let host_end = match authority.strip_prefix('[') {
        Some(inner) => inner.find(']')? + 2,
        None => authority.find(':').unwrap_or(authority.len()),
    };
    let (host, port) = authority.split_at(host_end);
    Some((scheme, host, port))
}

/// Segments of a path, without the empty one a trailing `/` leaves.
fn segments(path: &str) -> impl Iterator<Item = &str> {
    let path = path.strip_prefix('/').unwrap_or(path);
    let path = path.strip_suffix('/').unwrap_or(path);
    path.split('/').filter(|s| !s.is_empty())
}

/// No `;` and no percent-encoded `.`, `/` or `\`.
fn path_is_plain(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    !lower.contains(';') && !["%2e", "%2f", "%5c"].iter().any(|e| lower.contains(e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use cas_ticket_codec::CallbackUrl;

    /// What the node checks: the URL as the codec accepts it.
    fn covers(scope: &str, url: &str) -> bool {
        let scope = UrlScope::parse(scope).unwrap();
        CallbackUrl::new(url).is_ok_and(|url| scope.covers(url.as_str()))
    }

    #[test]
    fn urls_under_the_scope_are_inside() {
        for scope in ["https://p.example.edu/cb", "https://p.example.edu/cb/"] {
            for url in [
                "https://p.example.edu/cb",
                "https://p.example.edu/cb/",
                "https://p.example.edu/cb/x",
                "https://p.example.edu/cb?tier=2",
                "https://p.example.edu/cb#top",
                "HTTPS://P.Example.EDU:443/cb/x",
                "https://p.example.edu/other/../cb/x",
            ] {
                assert!(covers(scope, url), "{scope} {url}");
            }
        }
        assert!(covers("http://127.0.0.1:8080/", "http://127.0.0.1:8080/ok"));
        assert!(covers("https://[::1]:8443/a", "https://[0:0::1]:8443/a/b"));
    }

    /// Issue 12's bypass list, and issue 20's: none reaches outside `/cb`.
    #[test]
    fn walking_around_the_scope_fails() {
        let scope = "https://p.example.edu/cb";
        for url in [
            "https://p.example.edu/cb/../evil",
            "https://p.example.edu/cb/%2e%2e/evil",
            "https://p.example.edu/cb/%2E%2E/evil",
            "https://p.example.edu/cb/.%2e/evil",
            "https://p.example.edu/cb%2F..%2Fevil",
            "https://p.example.edu/cb/..%2fevil",
            "https://p.example.edu/cb/..%5cevil",
            "https://p.example.edu/cb/..;/evil",
            "https://p.example.edu/cb;x",
            "https://p.example.edu/cb;x/y",
            "https://p.example.edu/cb/..\\evil",
            "https://p.example.edu/cb\\..\\evil",
            "https://p.example.edu/cbevil",
            "https://p.example.edu/cb-other",
            "https://p.example.edu/cb.evil",
            "https://p.example.edu/cb@evil.test/",
            "https://p.example.edu@evil.test/cb",
            "https://user@p.example.edu/cb",
            "https://p.example.edu.evil.test/cb",
            "https://p.example.edu:8443/cb",
            "https://p.example.edu:444/cb",
            "http://p.example.edu/cb",
            "https://evil.test/cb",
            "https://evil.test/p.example.edu/cb",
            "https://evil.test/?https://p.example.edu/cb",
            "https://p.example.edu/",
            "https://p.example.edu/CB",
            "https://p.example.edu./cb",
            "https://xp.example.edu/cb",
            "https://p-example.edu/cb",
        ] {
            assert!(!covers(scope, url), "{url}");
        }
    }

    #[test]
    fn a_wildcard_is_one_whole_label() {
        let scope = "https://*.example.edu/";
        for url in [
            "https://moodle.example.edu/",
            "https://MOODLE.example.edu/course/1",
            "https://a-b.example.edu/",
            "https://xn--bcher-kva.example.edu/",
        ] {
            assert!(covers(scope, url), "{url}");
        }
        for url in [
            "https://example.edu/",
            "https://evil-example.edu/",
            "https://evilexample.edu/",
            "https://a.b.example.edu/",
            "https://moodle.example.edu.evil.test/",
            "https://example.edu.evil.test/",
            "https://moodle.example.edu:8443/",
            "http://moodle.example.edu/",
            "https://evil.test/.example.edu/",
            "https://evil.test/?.example.edu",
            "https://moodle.example.edu@evil.test/",
        ] {
            assert!(!covers(scope, url), "{url}");
        }
        assert!(covers(
            "https://*.example.edu:8443/app",
            "https://x.example.edu:8443/app/y"
        ));
        assert!(!covers(
            "https://*.example.edu:8443/app",
            "https://x.example.edu:8443/app-other"
        ));
    }

    #[test]
    fn scopes_must_be_urls_with_a_path() {
        for bad in [
            "p.example.edu/cb",
            "https://",
            "https://p.example.edu/cb?x=1",
            "https://p.example.edu/cb#x",
            "https://p.example.edu/c%2Fb",
            "https://p.example.edu/c;b",
            "https://u@p.example.edu/cb",
            "ftp://p.example.edu/",
            "https://*.edu/",
            "https://*/",
            "https://*.1.2.3/",
            "https://a.*.example.edu/",
            "https://*a.example.edu/",
            "https://a*.example.edu/",
            "https://**.example.edu/",
            "https://*.*.example.edu/",
            "https://p.example.edu/*",
        ] {
            assert!(UrlScope::parse(bad).is_err(), "{bad}");
        }
        assert!(UrlScope::parse("https://p.example.edu").is_ok());
    }

    #[test]
    fn specificity_prefers_exact_hosts_then_longer_paths() {
        let s = |text| UrlScope::parse(text).unwrap().specificity();
        assert!(s("https://a.example.edu/") > s("https://*.example.edu/x/y"));
        assert!(s("https://a.example.edu/x") > s("https://a.example.edu/"));
        assert!(s("https://*.a.example.edu/") > s("https://*.example.edu/"));
    }

    #[test]
    fn scopes_display_as_written_normalized() {
        for (text, shown) in [
            ("HTTPS://P.example.edu:443/cb/", "https://p.example.edu/cb"),
            ("https://*.Example.edu:8443", "https://*.example.edu:8443/"),
        ] {
            assert_eq!(UrlScope::parse(text).unwrap().to_string(), shown);
        }
    }
}
