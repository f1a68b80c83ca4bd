//! `--proxy-allow` and `--single-logout-allow`: which pgtUrl callbacks may
//! receive proxy-granting tickets, and which services the node may POST
//! single-logout requests to. Both are URLs a user chooses and the node then
//! calls from inside the network: without a list, any account could make
//! the node call `http://127.0.0.1:…/` or an intranet API (a blind SSRF).
//!
//! A string prefix can be walked around (`…/cb/../evil`, `…/cb%2F..%2Fevil`,
//! `…/cbevil`, `…/cb/..;/evil` on Tomcat, `…/cb\..\evil`, `…/cb@evil.test/`).
//! So entries and callbacks are both normalized as the codec normalizes
//! services (the WHATWG URL Standard: `.` and `..` segments removed, no
//! userinfo, no `\`), and a callback is allowed when its scheme, host and
//! port equal an entry's and the entry's path segments are the first of the
//! callback's, whole. What a server behind the callback might still decode
//! into a different path is refused outright: percent-encoded `.`, `/` and
//! `\` (`%2e`, `%2f`, `%5c`, any case) and `;` anywhere in the path.

use cas_ticket_codec::normalize;

/// One allowlist entry: an origin and the path segments under it.
#[derive(Clone, Debug)]
pub struct Allow {
    /// `scheme://host[:port]`, normalized.
    origin: String,
    /// The entry's path segments; a trailing `/` adds none.
    segments: Vec<String>,
}

impl Allow {
    /// Parses an entry such as `https://proxy.example.edu/cas/` (a trailing
    /// `/` or not means the same: `…/cb` allows `…/cb` and `…/cb/x`, never
    /// `…/cbx`).
    pub fn parse(text: &str) -> Result<Self, String> {
        let refused = || {
            format!(
                "'{text}' is not an http or https URL with a path and no query, \
                 like https://proxy.example.edu/cas/"
            )
        };
        let url = normalize(text).map_err(|_| refused())?;
        let (origin, path, query) = split(&url).ok_or_else(refused)?;
        if query.is_some() || !text.contains("://") || !path_is_plain(path) {
            return Err(refused());
        }
        let segments = segments(path).map(str::to_owned).collect();
        Ok(Allow {
            origin: origin.to_owned(),
            segments,
        })
    }

    /// Whether `callback` (a normalized URL, as `CallbackUrl` holds it) is
    /// under this entry.
    fn allows(&self, callback: &str) -> bool {
        let Some((origin, path, _query)) = split(callback) else {
            return false;
        };
        if origin != self.origin || !path_is_plain(path) {
            return false;
        }
        let mut theirs = segments(path);
        self.segments
            .iter()
            .all(|ours| theirs.next() == Some(ours.as_str()))
    }
}

/// Whether any entry allows `callback`.
pub fn allowed(entries: &[Allow], callback: &str) -> bool {
    entries.iter().any(|entry| entry.allows(callback))
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

    /// What the node checks: the callback as the codec accepts it.
    fn allows(entry: &str, callback: &str) -> bool {
        let entries = [Allow::parse(entry).unwrap()];
        CallbackUrl::new(callback).is_ok_and(|cb| allowed(&entries, cb.as_str()))
    }

    #[test]
    fn callbacks_under_the_entry_pass() {
        for entry in ["https://p.example.edu/cb", "https://p.example.edu/cb/"] {
            for callback in [
                "https://p.example.edu/cb",
                "https://p.example.edu/cb/",
                "https://p.example.edu/cb/x",
                "https://p.example.edu/cb?tier=2",
                "HTTPS://P.Example.EDU:443/cb/x",
                "https://p.example.edu/other/../cb/x",
            ] {
                assert!(allows(entry, callback), "{entry} {callback}");
            }
        }
        assert!(allows("http://127.0.0.1:8080/", "http://127.0.0.1:8080/ok"));
    }

    /// Issue 12's bypass list, and more: none reaches a PGT outside `/cb`.
    #[test]
    fn walking_around_the_entry_fails() {
        let entry = "https://p.example.edu/cb";
        for callback in [
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
            "https://p.example.edu/cb@evil.test/",
            "https://p.example.edu@evil.test/cb",
            "https://p.example.edu.evil.test/cb",
            "https://p.example.edu:8443/cb",
            "http://p.example.edu/cb",
            "https://evil.test/cb",
            "https://p.example.edu/",
            "https://p.example.edu/CB",
        ] {
            assert!(!allows(entry, callback), "{callback}");
        }
    }

    #[test]
    fn entries_must_be_urls_with_a_path() {
        for bad in [
            "p.example.edu/cb",
            "https://",
            "https://p.example.edu/cb?x=1",
            "https://p.example.edu/c%2Fb",
            "https://u@p.example.edu/cb",
            "ftp://p.example.edu/",
        ] {
            assert!(Allow::parse(bad).is_err(), "{bad}");
        }
        assert!(Allow::parse("https://p.example.edu").is_ok());
    }
}
