//! Properties over generated claims, tickets and texts (proptest).
mod common;

use cas_ticket_codec::{
    Alg, Authentication, CallbackUrl, Claims, Codec, Error, Grant, KeyId, Kind, MAX_TICKET_CHARS,
    ProxyChain, Service, Session, SessionId, base62, is_normalized, normalize,
};
use common::{NOW, keyring};
use proptest::prelude::*;
use time::{Duration, OffsetDateTime};

fn codec_for(alg: Alg) -> Codec {
    Codec::new(&keyring(0x0001, alg, 0x11))
}

fn alg() -> impl Strategy<Value = Alg> {
    prop_oneof![Just(Alg::Aes256Gcm), Just(Alg::XChaCha20Poly1305)]
}

/// Service URLs the codec accepts, including forms a browser rewrites:
/// mixed case, numeric IPv4 spellings, IPv6, default ports, dot segments.
fn url() -> impl Strategy<Value = String> {
    let host = prop_oneof![
        4 => "([a-zA-Z0-9_-]{1,8}\\.){0,2}[a-zA-Z][a-zA-Z0-9-]{0,8}",
        1 => Just("0x7F.1".to_owned()),
        1 => (any::<u8>(), any::<u8>()).prop_map(|(a, b)| format!("10.{a}.0{b:o}.1")),
        1 => Just("[0:0::1]".to_owned()),
        1 => (any::<u16>(), any::<u16>()).prop_map(|(a, b)| format!("[2001:DB8::{a:x}:{b:x}]")),
    ];
    (
        prop_oneof![Just("https"), Just("http"), Just("HTTPS")],
        host,
        prop::option::of(0_u16..10000),
        "(/([a-zA-Z0-9%._~'|-]{0,12}|\\.|\\.\\.|%2[eE])){0,4}",
        prop::option::of("[a-zA-Z0-9=&%._'|?-]{0,40}"),
    )
        .prop_map(|(scheme, host, port, path, query)| {
            let port = port.map(|p| format!(":{p}")).unwrap_or_default();
            let query = query.map(|q| format!("?{q}")).unwrap_or_default();
            format!("{scheme}://{host}{port}{path}{query}")
        })
}

/// Texts shaped like URLs, most of which the codec refuses.
fn url_like() -> impl Strategy<Value = String> {
    "(https?|HTTPS|ftp|javascript)(://|:|:/|:///)[a-zA-Z0-9.:\\[\\]@%_\\\\-]{0,20}(/[ -~]{0,10}){0,3}(\\?[ -~]{0,10})?(#[ -~]{0,5})?"
}

prop_compose! {
    fn authentication()(
        principal in "[\\PC]{1,40}",
        age in -600_i64..86_400,
        methods in prop::collection::vec("[A-Za-z0-9]{1,20}", 0..3),
        remember_me in any::<bool>(),
    ) -> Authentication {
        let mut auth = Authentication::new(&principal, NOW - Duration::seconds(age))
            .unwrap()
            .with_remember_me(remember_me);
        for m in &methods {
            auth = auth.with_method(m).unwrap();
        }
        auth
    }
}

fn grant() -> impl Strategy<Value = Grant> {
    let callback = || url().prop_filter_map("callback", |u| CallbackUrl::new(&u).ok());
    prop_oneof![
        Just(Grant::TicketGranting),
        (url(), any::<bool>()).prop_map(|(u, fresh_login)| Grant::Service {
            service: Service::new(&u).unwrap(),
            fresh_login,
        }),
        (url(), prop::collection::vec(callback(), 1..3)).prop_map(|(u, p)| Grant::Proxy {
            service: Service::new(&u).unwrap(),
            proxies: ProxyChain::new(p).unwrap(),
        }),
        (callback(), prop::collection::vec(callback(), 0..3))
            .prop_map(|(callback, upstream)| Grant::ProxyGranting { callback, upstream }),
    ]
}

prop_compose! {
    fn claims()(
        auth in authentication(),
        grant in grant(),
        lifetime in 1_i64..1_000_000,
        session in prop::option::of((any::<[u8; 8]>(), 0_i64..1_000_000)),
    ) -> Claims {
        let claims = Claims::with_lifetime(auth, grant, NOW, Duration::seconds(lifetime)).unwrap();
        match session {
            None => claims,
            Some((id, extra)) => {
                let ends_at = match claims.kind() {
                    Kind::Tgt => claims.expires_at(),
                    _ => claims.expires_at() + Duration::seconds(extra),
                };
                claims.with_session(Session::new(SessionId::from_bytes(id), ends_at)).unwrap()
            }
        }
    }
}

/// Encodes, retrying on `TooLong` is not allowed: generated claims must fit.
fn encode(codec: &Codec, claims: &Claims) -> Option<String> {
    match codec.encode(claims) {
        Ok(t) => Some(t),
        Err(Error::TooLong { .. }) => None,
        Err(e) => panic!("{e:?}"),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn claims_round_trip(claims in claims(), alg in alg()) {
        let codec = codec_for(alg);
        if let Some(ticket) = encode(&codec, &claims) {
            prop_assert!(ticket.len() <= MAX_TICKET_CHARS);
            prop_assert!(ticket.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'));
            let decoded = codec.decode(&ticket, NOW).unwrap();
            prop_assert_eq!(decoded.claims(), &claims);
        }
    }

    #[test]
    fn any_bit_flip_is_rejected(claims in claims(), alg in alg(), pick in any::<prop::sample::Index>(), bit in 0_u8..8) {
        let codec = codec_for(alg);
        let Some(ticket) = encode(&codec, &claims) else { return Ok(()) };
        let (prefix, body) = ticket.split_once('-').unwrap();
        let mut bytes = base62::decode(body.as_bytes()).unwrap();
        let i = pick.index(bytes.len());
        let original = bytes[i];
        bytes[i] ^= 1 << bit;
        let tampered = format!("{prefix}-{}", base62::encode(&bytes));
        let expected = match i {
            0 => Error::UnsupportedVersion { version: original ^ (1 << bit) },
            1 | 2 => Error::UnknownKey { key_id: KeyId::from_bytes([bytes[1], bytes[2]]) },
            _ => Error::AuthenticationFailed,
        };
        prop_assert_eq!(codec.decode(&tampered, NOW), Err(expected));
    }

    #[test]
    fn any_character_substitution_is_rejected(claims in claims(), pick in any::<prop::sample::Index>(), c in any::<char>()) {
        let codec = codec_for(Alg::Aes256Gcm);
        let Some(ticket) = encode(&codec, &claims) else { return Ok(()) };
        let mut chars: Vec<char> = ticket.chars().collect();
        let i = pick.index(chars.len());
        prop_assume!(chars[i] != c);
        chars[i] = c;
        let tampered: String = chars.into_iter().collect();
        prop_assert!(codec.decode(&tampered, NOW).is_err());
    }

    #[test]
    fn never_decodes_without_its_key(claims in claims(), alg in alg(), fill in 0_u8..=255, id in 2_u16..) {
        prop_assume!(fill != 0x11);
        let ticket = match encode(&codec_for(alg), &claims) { Some(t) => t, None => return Ok(()) };
        let same_id_other_secret = Codec::new(&keyring(0x0001, alg, fill));
        prop_assert_eq!(same_id_other_secret.decode(&ticket, NOW), Err(Error::AuthenticationFailed));
        let other_id = Codec::new(&keyring(id, alg, 0x11));
        prop_assert_eq!(
            other_id.decode(&ticket, NOW),
            Err(Error::UnknownKey { key_id: KeyId::from_bytes([0, 1]) })
        );
    }

    #[test]
    fn encoding_never_exceeds_the_cap(
        principal in "[a-zA-Z0-9@._-]{1,256}",
        services in prop::collection::vec(url(), 1..8),
        kind in 0_u8..4,
    ) {
        let auth = Authentication::new(&principal, NOW).unwrap();
        let service = Service::new(&services[0]).unwrap();
        let proxies: Vec<CallbackUrl> = services.iter().filter_map(|u| CallbackUrl::new(u).ok()).collect();
        prop_assume!(!proxies.is_empty());
        let grant = match kind {
            0 => Grant::TicketGranting,
            1 => Grant::Service { service, fresh_login: true },
            2 => Grant::Proxy { service, proxies: ProxyChain::new(proxies).unwrap() },
            _ => Grant::ProxyGranting { callback: proxies[0].clone(), upstream: proxies[1..].to_vec() },
        };
        let claims = Claims::with_lifetime(auth, grant, NOW, Duration::hours(8)).unwrap();
        match codec_for(Alg::Aes256Gcm).encode(&claims) {
            Ok(ticket) => prop_assert!(ticket.len() <= MAX_TICKET_CHARS),
            Err(Error::TooLong { length, max }) => prop_assert!(length > max && max == MAX_TICKET_CHARS),
            Err(e) => prop_assert!(false, "unexpected {e:?}"),
        }
    }

    #[test]
    fn base62_round_trips(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        let text = base62::encode(&bytes);
        prop_assert_eq!(text.len(), base62::encoded_len(bytes.len()));
        prop_assert!(text.bytes().all(|b| b.is_ascii_alphanumeric()));
        prop_assert_eq!(base62::decode(text.as_bytes()).unwrap(), bytes);
    }

    #[test]
    fn base62_is_canonical(text in "[0-9A-Za-z]{0,60}") {
        if let Ok(bytes) = base62::decode(text.as_bytes()) {
            prop_assert_eq!(base62::encode(&bytes), text);
        }
    }

    #[test]
    fn base62_rejects_foreign_characters(text in "[0-9A-Za-z]{0,30}[^0-9A-Za-z][0-9A-Za-z]{0,30}") {
        prop_assert!(base62::decode(text.as_bytes()).is_err());
    }

    #[test]
    fn normalization_is_idempotent_and_services_match_themselves(u in url()) {
        let once = normalize(&u).unwrap();
        prop_assert_eq!(normalize(&once).unwrap(), once.clone());
        let service = Service::new(&u).unwrap();
        prop_assert!(service.matches(&u));
        prop_assert!(service.matches(&once));
        let longer = format!("{once}x");
        prop_assert!(!service.matches(&longer));
    }

    #[test]
    fn the_stored_form_check_agrees_with_normalization(u in prop_oneof![url(), url_like()]) {
        match normalize(&u) {
            Ok(once) => {
                prop_assert!(is_normalized(&once), "{}", once);
                prop_assert_eq!(normalize(&once), Ok(once.clone()));
                prop_assert_eq!(is_normalized(&u), u == once);
            }
            Err(_) => prop_assert!(!is_normalized(&u)),
        }
    }

    #[test]
    fn expiry_is_exact(claims in claims(), offset in -5_i64..5) {
        let codec = codec_for(Alg::Aes256Gcm);
        let Some(ticket) = encode(&codec, &claims) else { return Ok(()) };
        let at: OffsetDateTime = claims.expires_at() + Duration::seconds(offset);
        let result = codec.decode(&ticket, at);
        if offset < 0 {
            prop_assert!(result.is_ok());
        } else {
            prop_assert_eq!(result, Err(Error::Expired { expired_at: claims.expires_at(), now: at }));
        }
    }

    #[test]
    fn kinds_never_cross(claims in claims()) {
        let codec = codec_for(Alg::Aes256Gcm);
        let Some(ticket) = encode(&codec, &claims) else { return Ok(()) };
        for kind in Kind::ALL {
            let result = codec.decode_kind(&ticket, kind, NOW);
            if kind == claims.kind() {
                prop_assert!(result.is_ok());
            } else {
                prop_assert_eq!(result, Err(Error::WrongKind { expected: kind, found: claims.kind() }));
            }
        }
    }
}
