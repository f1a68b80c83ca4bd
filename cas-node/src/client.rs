//! Who is asking: the client's address and whether it reached the pool
//! over TLS. A node behind a load balancer sees the balancer's address; the
//! balancer says the client's in `X-Forwarded-For` and the scheme in
//! `X-Forwarded-Proto`. Anyone can send those headers, so they count only
//! when the peer is a `--trusted-proxy`, and `X-Forwarded-For` is read from
//! the right: each trusted hop appended the address it saw, and the first
//! address not of a trusted proxy is the client (what a client wrote itself
//! sits further left and is never reached).

use std::net::IpAddr;

use axum::http::HeaderMap;
use ipnet::IpNet;

/// The `--trusted-proxy` list: addresses or CIDR blocks.
#[derive(Clone, Debug, Default)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    pub fn new(nets: Vec<IpNet>) -> Self {
        TrustedProxies(nets)
    }

    fn trusts(&self, address: IpAddr) -> bool {
        let address = canonical(address);
        self.0.iter().any(|net| net.contains(&address))
    }

    /// The client's address: the peer's, or, when the peer is trusted, the
    /// first untrusted address of `X-Forwarded-For` read from the right.
    pub fn client_address(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let mut client = canonical(peer);
        if !self.trusts(client) {
            return client;
        }
        let hops = headers
            .get_all("x-forwarded-for")
            .iter()
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .flat_map(|value| {
                let text = value.to_str().unwrap_or("");
                text.rsplit(',').map(str::trim).collect::<Vec<_>>()
            });
        for hop in hops {
            // A hop that is not an address: stop at the last one known.
            let Ok(address) = hop.parse::<IpAddr>() else {
                break;
            };
            client = canonical(address);
            if !self.trusts(client) {
                break;
            }
        }
        client
    }

    /// Whether the client reached the pool over TLS: a trusted proxy says
    /// `X-Forwarded-Proto: https` (the node itself speaks plain HTTP).
    pub fn over_tls(&self, peer: IpAddr, headers: &HeaderMap) -> bool {
        self.trusts(peer)
            && headers
                .get_all("x-forwarded-proto")
                .iter()
                .next_back()
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.rsplit(',').next())
                .is_some_and(|proto| proto.trim().eq_ignore_ascii_case("https"))
    }
}

/// `::ffff:a.b.c.d` as the IPv4 address it is.
fn canonical(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
        v4 => v4,
    }
}

/// Parses one `--trusted-proxy`: an address or a CIDR block.
pub fn parse_trusted(text: &str) -> Result<IpNet, String> {
    text.parse::<IpNet>()
        .or_else(|_| text.parse::<IpAddr>().map(IpNet::from))
        .map_err(|_| format!("'{text}' is not an IP address or a CIDR block like 10.0.0.0/8"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(
                axum::http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
                value.parse().unwrap(),
            );
        }
        map
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn forwarded_headers_count_only_from_a_trusted_peer() {
        let trusted = TrustedProxies::new(vec![
            parse_trusted("127.0.0.1").unwrap(),
            parse_trusted("10.0.0.0/8").unwrap(),
        ]);
        let forwarded = headers(&[
            ("x-forwarded-for", "6.6.6.6, 203.0.113.7"),
            ("x-forwarded-proto", "https"),
        ]);
        // From the balancer: the client it saw.
        assert_eq!(
            trusted.client_address(ip("127.0.0.1"), &forwarded),
            ip("203.0.113.7")
        );
        assert!(trusted.over_tls(ip("127.0.0.1"), &forwarded));
        // From anyone else: the headers are the client's own words.
        assert_eq!(
            trusted.client_address(ip("198.51.100.1"), &forwarded),
            ip("198.51.100.1")
        );
        assert!(!trusted.over_tls(ip("198.51.100.1"), &forwarded));
        // Through two trusted hops, the first untrusted address from the right.
        let two = headers(&[
            ("x-forwarded-for", "1.2.3.4"),
            ("x-forwarded-for", "203.0.113.7, 10.1.1.1"),
        ]);
        assert_eq!(
            trusted.client_address(ip("127.0.0.1"), &two),
            ip("203.0.113.7")
        );
        // A client that forges a trusted address on the left gains nothing.
        let forged = headers(&[("x-forwarded-for", "10.9.9.9, 203.0.113.7")]);
        assert_eq!(
            trusted.client_address(ip("127.0.0.1"), &forged),
            ip("203.0.113.7")
        );
        // Garbage stops the walk at the last address known.
        let garbage = headers(&[("x-forwarded-for", "203.0.113.7, not-an-ip")]);
        assert_eq!(
            trusted.client_address(ip("10.0.0.1"), &garbage),
            ip("10.0.0.1")
        );
        assert_eq!(
            trusted.client_address(ip("::ffff:127.0.0.1"), &forwarded),
            ip("203.0.113.7")
        );
        let plain = headers(&[("x-forwarded-proto", "http")]);
        assert!(!trusted.over_tls(ip("127.0.0.1"), &plain));
        // No list: nobody is trusted.
        let nobody = TrustedProxies::default();
        assert_eq!(
            nobody.client_address(ip("127.0.0.1"), &forwarded),
            ip("127.0.0.1")
        );
        assert!(!nobody.over_tls(ip("127.0.0.1"), &forwarded));
    }

    #[test]
    fn trusted_proxies_are_addresses_or_blocks() {
        assert!(parse_trusted("192.0.2.1").is_ok());
        assert!(parse_trusted("2001:db8::/32").is_ok());
        for bad in ["", "localhost", "10.0.0.0/33", "1.2.3"] {
            assert!(parse_trusted(bad).is_err(), "{bad}");
        }
    }
}
