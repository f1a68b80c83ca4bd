//! Generates the known-answer vectors in `tests/vectors/` (fixed keys, fixed
//! nonce through the crate-private seam, fixed clock).
//!
//! `cargo test --lib vectors` checks that every file is byte for byte what
//! the code generates now; with `CAS_TICKET_REGENERATE_VECTORS=1` it rewrites
//! them instead (CI does that and fails on `git diff`). `tests/vectors.rs`
//! then checks each file through the public API alone.

use std::path::PathBuf;

use serde_json::{Value, json};
use time::Duration;
use time::macros::datetime;

use crate::claims::rfc3339;
use crate::oauth::{
    Authorization, ClaimNames, ClaimsRequest, ClientId, CodeChallenge, GrantId, Nonce, Scopes,
};
use crate::{
    Alg, Authentication, CallbackUrl, Claims, Codec, Grant, Key, KeyId, Keyring, Kind, ProxyChain,
    SecretKey, Service, Session, SessionId, base62,
};

const NONCE: [u8; 16] = *b"\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f";

fn key(id: u16, alg: Alg, first: u8) -> Key {
    let mut secret = [0_u8; 32];
    for (i, b) in secret.iter_mut().enumerate() {
        *b = first.wrapping_add(i as u8);
    }
    Key::new(
        KeyId::from_bytes(id.to_be_bytes()),
        alg,
        SecretKey::from_bytes(secret),
    )
}

fn keyring(alg: Alg) -> Keyring {
    let (primary, other) = match alg {
        Alg::Aes256Gcm => (0x0a01, Alg::XChaCha20Poly1305),
        Alg::XChaCha20Poly1305 => (0x0b02, Alg::Aes256Gcm),
    };
    Keyring::new(
        vec![key(primary, alg, 0x00), key(primary + 0x0101, other, 0x80)],
        KeyId::from_bytes(u16::to_be_bytes(primary)),
    )
    .unwrap()
}

fn claims(kind: &str, remember_me: bool, long_service: bool) -> Claims {
    let issued = datetime!(2026-11-22 10:00:00 UTC);
    let auth = Authentication::new("jdoe@example.edu", issued - Duration::minutes(5))
        .unwrap()
        .with_method("Password")
        .unwrap()
        .with_remember_me(remember_me);
    let service = if long_service {
        LONG_SERVICE
    } else {
        "https://app.example.edu/login?target=%2Fhome"
    };
    let callback = || CallbackUrl::new("https://portal.example.edu/cas/proxyCallback").unwrap();
    let (grant, lifetime) = match kind {
        "TGT" => (Grant::TicketGranting, Duration::hours(8)),
        "ST" => (
            Grant::Service {
                service: Service::new(service).unwrap(),
                fresh_login: remember_me,
            },
            Duration::seconds(10),
        ),
        "PT" => (
            Grant::Proxy {
                service: Service::new(service).unwrap(),
                proxies: ProxyChain::new(vec![
                    callback(),
                    CallbackUrl::new("https://gateway.example.edu:8443/pgt").unwrap(),
                ])
                .unwrap(),
            },
            Duration::seconds(10),
        ),
        _ => (
            Grant::ProxyGranting {
                callback: callback(),
                upstream: vec![CallbackUrl::new("https://gateway.example.edu:8443/pgt").unwrap()],
            },
            Duration::hours(2),
        ),
    };
    Claims::with_lifetime(auth, grant, issued, lifetime).unwrap()
}

/// The typical relying party's grant (issue 23): client `moodle`,
/// `openid profile email`, no claims request.
fn authorization() -> Authorization {
    Authorization::new(
        ClientId::new("moodle").unwrap(),
        Scopes::parse("openid profile email").unwrap(),
        GrantId::from_bytes(*b"\x67\x72\x61\x6e\x74\x2d\x69\x64"),
    )
}

/// A base64url nonce of 43 characters, as relying parties draw them.
const OIDC_NONCE: &str = "Qm9uam91ciwgdm9pY2kgdW4gbm9uY2UgZGUgdGVzdC4";

/// RFC 7636 Appendix B's challenge.
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

/// A typical OAuth code (30 s, nonce, PKCE), access token (1 h) or refresh
/// token (2 h), issued with the CAS kinds' instants and principal.
fn oauth_claims(kind: &str) -> Claims {
    let issued = datetime!(2026-11-22 10:00:00 UTC);
    let auth = Authentication::new("jdoe@example.edu", issued - Duration::minutes(5))
        .unwrap()
        .with_method("Password")
        .unwrap();
    let authorization = authorization();
    let (grant, lifetime) = match kind {
        "OC" => (
            Grant::Code {
                authorization,
                redirect_uri: Service::new("https://moodle.example.edu/auth/oidc/").unwrap(),
                nonce: Some(Nonce::new(OIDC_NONCE).unwrap()),
                challenge: Some(CodeChallenge::from_s256(CHALLENGE).unwrap()),
            },
            Duration::seconds(30),
        ),
        "AT" => (Grant::AccessToken { authorization }, Duration::hours(1)),
        _ => (Grant::RefreshToken { authorization }, Duration::hours(2)),
    };
    Claims::with_lifetime(auth, grant, issued, lifetime).unwrap()
}

/// The claims in the session of a TGT issued five minutes before them for
/// eight hours.
fn in_session(claims: Claims) -> Claims {
    let id = SessionId::from_bytes(*b"\x5e\x55\x10\x00\xca\xfe\xf0\x0d");
    let ends_at = match claims.kind() {
        crate::Kind::Tgt => claims.expires_at(),
        _ => claims.authentication().authenticated_at() + Duration::hours(8),
    };
    claims.with_session(Session::new(id, ends_at)).unwrap()
}

/// Flips one bit of the ticket's decoded bytes and spells them again, so the
/// result stays canonical text and only the AEAD can catch it.
fn flip(ticket: &str, byte: usize) -> String {
    edit(ticket, |bytes| bytes[byte] ^= 0x01)
}

/// The ticket with its decoded bytes changed by `f`, spelled canonically.
fn edit(ticket: &str, f: impl FnOnce(&mut Vec<u8>)) -> String {
    let (prefix, body) = ticket.split_once('-').unwrap();
    let mut bytes = base62::decode(body.as_bytes()).unwrap();
    f(&mut bytes);
    format!("{prefix}-{}", base62::encode(&bytes))
}

struct Vector {
    name: String,
    comment: String,
    expect: &'static str,
    keyring: Keyring,
    now: time::OffsetDateTime,
    claims: Option<Claims>,
    ticket: String,
    /// What else the validation asks for.
    extra: Extra,
}

/// The optional parts of a validation, and the original service URL of a
/// long service.
#[derive(Default)]
struct Extra {
    kind: Option<Kind>,
    service: Option<&'static str>,
    leeway_seconds: Option<i64>,
    service_url: Option<&'static str>,
    /// For a malformed ticket, the rule it breaks (the `Malformed` variant).
    detail: Option<&'static str>,
}

/// A redirect URI longer than a stored form holds whole.
const LONG_REDIRECT_URI: &str =
    "https://moodle.example.edu/auth/oidc/callback/with/a/path/longer/than/sixty-four/characters";

/// The long service of the vectors, as given before normalization.
const LONG_SERVICE: &str =
    "https://App.Example.edu:443/portal/apps/reporting/dashboard?view=monthly&region=emea#top";

fn vectors() -> Vec<Vector> {
    let mut out = Vec::new();
    let now = datetime!(2026-11-22 10:00:05 UTC);
    let mut ok = |name: String, comment: String, alg: Alg, c: Claims| {
        let ring = keyring(alg);
        let ticket = Codec::new(&ring).encode_with_nonce(&c, NONCE).unwrap();
        out.push(Vector {
            name,
            comment,
            expect: "ok",
            keyring: ring,
            now,
            claims: Some(c),
            ticket,
            extra: Extra::default(),
        });
    };
    for alg in [Alg::Aes256Gcm, Alg::XChaCha20Poly1305] {
        for kind in ["TGT", "ST", "PT", "PGT"] {
            ok(
                format!("ok_{}_{}", kind.to_lowercase(), alg.name()),
                format!(
                    "a typical {kind} of an SSO session, sealed with {}",
                    alg.name()
                ),
                alg,
                in_session(claims(kind, false, false)),
            );
        }
    }
    ok(
        "ok_st_no_session".into(),
        "a typical ST minted outside any session (ticketctl encode without --session)".into(),
        Alg::Aes256Gcm,
        claims("ST", false, false),
    );
    ok(
        "ok_st_long_service_fresh_login_remember_me".into(),
        "a long service is normalized and shortened to a prefix and a digest; flags set".into(),
        Alg::Aes256Gcm,
        claims("ST", true, true),
    );
    ok(
        "ok_pt_long_service".into(),
        "a PT for a shortened service with a two-hop proxy chain".into(),
        Alg::Aes256Gcm,
        claims("PT", true, true),
    );
    for alg in [Alg::Aes256Gcm, Alg::XChaCha20Poly1305] {
        for (kind, what) in [
            (
                "OC",
                "authorization code with a base64url nonce and a PKCE challenge",
            ),
            ("AT", "access token"),
            ("RT", "refresh token"),
        ] {
            ok(
                format!("ok_{}_{}", kind.to_lowercase(), alg.name()),
                format!(
                    "a typical OAuth {what} of an SSO session, sealed with {}",
                    alg.name()
                ),
                alg,
                in_session(oauth_claims(kind)),
            );
        }
    }
    let issued = datetime!(2026-11-22 10:00:00 UTC);
    let wide = authorization()
        .with_scopes(Scopes::parse("openid offline_access urn:moodle:admin api").unwrap())
        .with_claims(ClaimsRequest {
            id_token: ClaimNames::new(["name", "email_verified"]).unwrap(),
            userinfo: ClaimNames::new(["picture"]).unwrap(),
        });
    ok(
        "ok_oc_text_nonce_long_redirect_uri".into(),
        "a code whose nonce is not base64url (carried as text), whose redirect URI is long \
         (stored shortened), with other scopes, a claims request, remember-me and no PKCE"
            .into(),
        Alg::Aes256Gcm,
        {
            let auth = Authentication::new("jdoe@example.edu", issued - Duration::minutes(5))
                .unwrap()
                .with_method("Password")
                .unwrap()
                .with_remember_me(true);
            let grant = Grant::Code {
                authorization: wide.clone(),
                redirect_uri: Service::new(LONG_REDIRECT_URI).unwrap(),
                nonce: Some(Nonce::new("n-0S6_WzA2Mj.2026").unwrap()),
                challenge: None,
            };
            Claims::with_lifetime(auth, grant, issued, Duration::seconds(30)).unwrap()
        },
    );
    ok(
        "ok_oc_minimal".into(),
        "a code with no nonce, no PKCE, no scope and no session".into(),
        Alg::Aes256Gcm,
        {
            let auth = Authentication::new("jdoe@example.edu", issued).unwrap();
            let grant = Grant::Code {
                authorization: authorization().with_scopes(Scopes::default()),
                redirect_uri: Service::new("http://127.0.0.1:8400/cb").unwrap(),
                nonce: None,
                challenge: None,
            };
            Claims::with_lifetime(auth, grant, issued, Duration::seconds(30)).unwrap()
        },
    );

    let ring = || keyring(Alg::Aes256Gcm);
    let st = Codec::new(&ring())
        .encode_with_nonce(&claims("ST", false, false), NONCE)
        .unwrap();
    let mut bad = |name: &str, comment: &str, expect: &'static str, ticket: String, keyring| {
        out.push(Vector {
            name: name.into(),
            comment: comment.into(),
            expect,
            keyring,
            now,
            claims: None,
            ticket,
            extra: Extra::default(),
        });
    };
    bad(
        "tampered_nonce",
        "one bit of the nonce flipped",
        "auth_failed",
        flip(&st, 4),
        ring(),
    );
    bad(
        "tampered_ciphertext",
        "one bit of the ciphertext flipped",
        "auth_failed",
        flip(&st, 30),
        ring(),
    );
    let last = base62::decode(st.split_once('-').unwrap().1.as_bytes())
        .unwrap()
        .len()
        - 1;
    bad(
        "tampered_tag",
        "one bit of the tag flipped",
        "auth_failed",
        flip(&st, last),
        ring(),
    );
    bad(
        "relabelled_st_as_pt",
        "an ST whose prefix was changed to PT-",
        "auth_failed",
        st.replacen("ST-", "PT-", 1),
        ring(),
    );
    let code = Codec::new(&ring())
        .encode_with_nonce(&oauth_claims("OC"), NONCE)
        .unwrap();
    bad(
        "relabelled_oc_as_at",
        "a code whose prefix was changed to AT-",
        "auth_failed",
        code.replacen("OC-", "AT-", 1),
        ring(),
    );
    bad(
        "too_long_code",
        "385 characters with the OC- prefix: over the cap of codes",
        "too_long",
        format!("OC-{}", "0".repeat(382)),
        ring(),
    );
    bad(
        "code_at_its_cap_is_read",
        "384 characters with the OC- prefix: within the cap of codes, read, and of version 0",
        "unsupported_version",
        format!("OC-{}", "0".repeat(381)),
        ring(),
    );
    bad(
        "too_long_token",
        "257 characters with the AT- prefix: over the cap of tokens",
        "too_long",
        format!("AT-{}", "0".repeat(254)),
        ring(),
    );
    bad(
        "too_long_before_prefix",
        "385 characters without a prefix: over every cap, refused before the prefix is read",
        "too_long",
        "_".repeat(385),
        ring(),
    );
    let wrong = Keyring::new(
        vec![key(0x0a01, Alg::Aes256Gcm, 0x40)],
        KeyId::from_bytes([0x0a, 0x01]),
    )
    .unwrap();
    bad(
        "wrong_key_same_id",
        "a keyring whose key has the ticket's id but another secret",
        "auth_failed",
        st.clone(),
        wrong,
    );
    let other = || {
        Keyring::new(
            vec![key(0x0c03, Alg::Aes256Gcm, 0x00)],
            KeyId::from_bytes([0x0c, 0x03]),
        )
        .unwrap()
    };
    bad(
        "unknown_key",
        "the ticket's key id is not in the keyring (retired)",
        "unknown_key",
        st.clone(),
        other(),
    );
    let xchacha_st = Codec::new(&keyring(Alg::XChaCha20Poly1305))
        .encode_with_nonce(&claims("ST", false, false), NONCE)
        .unwrap();
    bad(
        "unknown_key_xchacha",
        "an xchacha20poly1305 ST whose key id (0b02) is not in the keyring (retired)",
        "unknown_key",
        xchacha_st,
        other(),
    );
    let relabelled_key = edit(&st, |bytes| bytes[1..3].copy_from_slice(&[0x0b, 0x02]));
    bad(
        "key_id_changed",
        "the key id changed to the ring's other key (another algorithm)",
        "auth_failed",
        relabelled_key,
        ring(),
    );
    bad(
        "unsupported_version",
        "format version 1, which this format replaces",
        "unsupported_version",
        edit(&st, |bytes| bytes[0] = 1),
        ring(),
    );
    let body = st.split_once('-').unwrap().1;
    bad(
        "empty",
        "the empty string",
        "malformed",
        String::new(),
        ring(),
    );
    bad(
        "no_prefix",
        "a body without a prefix",
        "malformed",
        body.to_string(),
        ring(),
    );
    bad(
        "lowercase_prefix",
        "prefixes are case-sensitive",
        "malformed",
        st.replacen("ST-", "st-", 1),
        ring(),
    );
    bad(
        "underscore",
        "base64url's `_` is not in the alphabet",
        "malformed",
        format!("{}_", &st[..st.len() - 1]),
        ring(),
    );
    bad(
        "truncated",
        "the last character removed",
        "malformed",
        st[..st.len() - 1].to_string(),
        ring(),
    );
    bad(
        "non_canonical_block",
        "a block whose value overflows 64 bits",
        "malformed",
        format!("ST-zzzzzzzzzzz{}", &st[14..]),
        ring(),
    );
    bad(
        "too_long",
        "257 characters",
        "too_long",
        format!("ST-{}", "0".repeat(254)),
        ring(),
    );
    bad(
        "too_long_in_bytes",
        "130 characters, 257 bytes of UTF-8: the cap counts bytes",
        "too_long",
        format!("ST-{}", "\u{e9}".repeat(127)),
        ring(),
    );
    bad(
        "length",
        "a body of 12 digits: no byte count is spelled in 12",
        "malformed",
        format!("ST-{}", "0".repeat(12)),
        ring(),
    );
    bad(
        "order_length_before_alphabet",
        "a body of 12 characters starting with `_`: its length is checked first",
        "malformed",
        format!("ST-_{}", "0".repeat(11)),
        ring(),
    );
    bad(
        "length_counts_bytes",
        "`\u{e9}` and 10 digits: 11 characters, but 12 bytes, a length no byte count has",
        "malformed",
        format!("ST-\u{e9}{}", "0".repeat(10)),
        ring(),
    );
    bad(
        "order_block_before_later_alphabet",
        "a first block that overflows, then `_` in the tail: blocks are read in order",
        "malformed",
        "ST-zzzzzzzzzzz_0".into(),
        ring(),
    );
    bad(
        "order_alphabet_within_block",
        "a block of ten `z` and a `_`: within a block, a foreign character before its value",
        "malformed",
        "ST-zzzzzzzzzz_00".into(),
        ring(),
    );
    bad(
        "non_canonical_tail",
        "a 2-digit tail worth 256, one more than its byte holds",
        "malformed",
        "ST-48".into(),
        ring(),
    );
    bad(
        "hyphen_in_body",
        "a second `-`: the first ends the prefix, the second is not a digit",
        "malformed",
        format!("ST-{}-{}", &body[..5], &body[6..]),
        ring(),
    );
    bad(
        "empty_body",
        "`ST-`: a body of no bytes has no version byte",
        "malformed",
        "ST-".into(),
        ring(),
    );
    bad(
        "order_version_before_length",
        "a body of one byte, 00: the version is read before the length is checked",
        "unsupported_version",
        "ST-00".into(),
        ring(),
    );
    out.push(Vector {
        name: "expired_at_instant".into(),
        comment: "validated at its expiration instant: expired".into(),
        expect: "expired",
        keyring: ring(),
        now: datetime!(2026-11-22 10:00:10 UTC),
        claims: None,
        ticket: st.clone(),
        extra: Extra::default(),
    });
    out.extend(payload_vectors());
    out.extend(validation_vectors(&st));
    for v in &mut out {
        if v.name.ends_with("long_service") || v.name.contains("long_service_") {
            v.extra.service_url = Some(LONG_SERVICE);
        }
        v.extra.detail = match v.name.as_str() {
            "empty" => Some("empty"),
            "no_prefix" | "lowercase_prefix" => Some("prefix"),
            "underscore" => Some("alphabet"),
            "order_block_before_later_alphabet" => Some("non_canonical"),
            "order_alphabet_within_block" | "hyphen_in_body" => Some("alphabet"),
            "length" | "order_length_before_alphabet" | "length_counts_bytes" => Some("length"),
            "non_canonical_tail" => Some("non_canonical"),
            "empty_body" => Some("truncated"),
            "truncated" => Some("non_canonical"),
            "non_canonical_block" => Some("non_canonical"),
            "shorter_than_minimum" => Some("truncated"),
            name if name.starts_with("payload_") => Some("payload"),
            _ => None,
        };
    }
    out
}

/// Authentic tickets whose payload breaks one rule of FORMAT.md §6–§7 each:
/// sealed with the right key, so only the payload check can refuse them.
fn payload_vectors() -> Vec<Vector> {
    let ring = keyring(Alg::Aes256Gcm);
    let st = claims("ST", false, false);
    let typical = crate::stages::to_cbor(&st);
    let st_in_session = crate::stages::to_cbor(&in_session(claims("ST", false, false)));
    let pt = crate::stages::to_cbor(&in_session(claims("PT", false, false)));
    let code = |text: &str| {
        let code = crate::phrase::encode(text);
        let mut out = vec![0x40 + code.len() as u8];
        out.extend(code);
        out
    };
    let cases: Vec<(&str, &str, Kind, Vec<u8>)> = vec![
        (
            "payload_non_canonical_head",
            "the issue instant written with an 8-byte head where 4 bytes do",
            Kind::St,
            replace(
                &typical,
                &[0x1a, 0x6b, 0x02, 0xbd, 0x20],
                &[0x1b, 0, 0, 0, 0, 0x6b, 0x02, 0xbd, 0x20],
            ),
        ),
        (
            "payload_nine_methods",
            "nine authentication methods, one more than the bound",
            Kind::St,
            repad(replace(
                &typical,
                &[0x81, 0x41, 0xb7],
                &[&[0x89_u8][..], &[0x41, b'a'].repeat(9)].concat(),
            )),
        ),
        (
            "payload_empty_principal",
            "an empty principal (padding adjusted)",
            Kind::St,
            repad(replace(&typical, &code("jdoe@example.edu"), &[0x40])),
        ),
        (
            "payload_stored_form_not_normalized",
            "a service stored with an uppercase host, which normalization never writes",
            Kind::St,
            replace(
                &typical,
                &code("https://app.example.edu/login?target=%2Fhome"),
                &code("https://APP.example.edu/login?target=%2Fhome"),
            ),
        ),
        (
            "payload_non_greedy_code",
            "the principal's `@example` spelled without its phrase",
            Kind::St,
            repad(replace(&typical, &code("jdoe@example.edu"), &{
                let mut c = vec![0x40 + 13];
                c.extend(b"jdoe@example");
                c.extend(crate::phrase::encode(".edu"));
                c
            })),
        ),
        (
            "payload_pad_too_long",
            "four zero bytes more after the payload",
            Kind::St,
            [typical.clone(), vec![0; 4]].concat(),
        ),
        (
            "payload_outlives_session",
            "an ST whose session ends 5 s after issue, before the ST expires",
            Kind::St,
            repad(replace(&st_in_session, &[0x19, 0x6f, 0x54], &[0x05])),
        ),
        (
            "payload_fresh_login_on_pt",
            "the fresh-login flag, defined for STs only, on a PT",
            Kind::Pt,
            replace(&pt, &[0x19, 0x01, 0x2c, 0x00], &[0x19, 0x01, 0x2c, 0x02]),
        ),
    ];
    let cases = cases
        .into_iter()
        .chain(bound_cases())
        .chain(oauth_payload_cases());
    cases
        .into_iter()
        .map(|(name, comment, kind, payload)| Vector {
            name: name.into(),
            comment: comment.into(),
            expect: "malformed",
            keyring: keyring(Alg::Aes256Gcm),
            now: datetime!(2026-11-22 10:00:05 UTC),
            claims: None,
            ticket: Codec::new(&ring)
                .seal_with_nonce(kind, NONCE, |b| b.extend_from_slice(&payload))
                .unwrap_or_else(|e| panic!("{name}: {e}")),
            extra: Extra::default(),
        })
        .collect()
}

/// A CBOR head, shortest form.
fn head(major: u8, n: u64) -> Vec<u8> {
    let m = major << 5;
    match n {
        0..=23 => vec![m | n as u8],
        24..=0xff => vec![m | 24, n as u8],
        0x100..=0xffff => [&[m | 25][..], &(n as u16).to_be_bytes()].concat(),
        0x1_0000..=0xffff_ffff => [&[m | 26][..], &(n as u32).to_be_bytes()].concat(),
        _ => [&[m | 27][..], &n.to_be_bytes()].concat(),
    }
}

fn uint(n: u64) -> Vec<u8> {
    head(0, n)
}

/// A text field: a byte string holding the text's phrase code.
fn text(s: &str) -> Vec<u8> {
    let code = crate::phrase::encode(s);
    [head(2, code.len() as u64), code].concat()
}

fn array(items: &[Vec<u8>]) -> Vec<u8> {
    [head(4, items.len() as u64), items.concat()].concat()
}

/// A payload of `public`, `secret` and `chosen` items in one array, padded
/// as FORMAT.md §7 pads the secret part.
fn payload(public: &[Vec<u8>], secret: &[Vec<u8>], chosen: &[Vec<u8>]) -> Vec<u8> {
    let items = public.len() + secret.len() + chosen.len();
    let code = secret.get(2).map_or(0, |principal| code_len(principal));
    let secret = secret.concat();
    let pad = crate::compact::trailing_zeros(secret.len(), code);
    [
        head(4, items as u64),
        public.concat(),
        secret,
        chosen.concat(),
        vec![0; pad],
    ]
    .concat()
}

/// Authentic payloads that break one bound of FORMAT.md §7 or §8 each; the
/// other fields are the typical claims', outside any session.
fn bound_cases() -> Vec<(&'static str, &'static str, Kind, Vec<u8>)> {
    let issued = || uint(0x6b02_bd20); // 2026-11-22T10:00:00Z
    let st_public = || vec![issued(), uint(10)];
    let secret = |principal: Vec<u8>, methods: Vec<u8>| {
        vec![uint(300), uint(0), principal, methods, vec![0xf6]]
    };
    let principal = || text("jdoe@example.edu");
    let methods = || array(&[text("Password")]);
    let service = || text("https://app.example.edu/login?target=%2Fhome");
    let callback = || text("https://portal.example.edu/cas/proxyCallback");
    let st = |principal, methods, service| {
        payload(&st_public(), &secret(principal, methods), &[service])
    };
    let pgt = |callback, upstream: &[Vec<u8>]| {
        payload(
            &[issued(), uint(7200)],
            &secret(principal(), methods()),
            &[callback, array(upstream)],
        )
    };
    // The long service's stored form with a head normalization cannot
    // write: a `..` segment in the path.
    let long = Service::new(LONG_SERVICE).unwrap();
    let (long_head, digest) = long.as_str().split_once('#').unwrap();
    let impossible_head = long_head.replacen("/portal/apps/", "/portal/../s/", 1);
    assert_eq!(impossible_head.len(), long_head.len());
    vec![
        (
            "payload_principal_too_long",
            "a principal of 264 bytes, over the bound of 256 (its padding is the secret part's \
             alone: the principal is refused before the padding is read)",
            Kind::St,
            {
                let padded = st(text(&"@example.edu".repeat(22)), methods(), service());
                let zeros = padded.iter().rev().take_while(|&&b| b == 0).count();
                let body = &padded[..padded.len() - zeros];
                let secret = body.len() - 7 - service().len();
                [body, &vec![0; (4 - secret % 4) % 4][..]].concat()
            },
        ),
        (
            "payload_principal_control_character",
            "a principal holding U+0085, a C1 control character (category Cc)",
            Kind::St,
            st(text("jdoe\u{85}@example.edu"), methods(), service()),
        ),
        (
            "payload_raw_run_invalid_utf8",
            "a principal whose code holds a raw run of the byte ff, which is not UTF-8",
            Kind::St,
            st(
                [head(2, 7), b"jdoe".to_vec(), vec![0x00, 0x01, 0xff]].concat(),
                methods(),
                service(),
            ),
        ),
        (
            "payload_raw_run_ascii",
            "a principal whose code holds an ASCII letter in a raw run, where a literal belongs",
            Kind::St,
            st(
                [head(2, 7), b"jdoe".to_vec(), vec![0x00, 0x01, b'x']].concat(),
                methods(),
                service(),
            ),
        ),
        (
            "payload_method_too_long",
            "a method name of 65 bytes, over the bound of 64",
            Kind::St,
            st(principal(), array(&[text(&"P".repeat(65))]), service()),
        ),
        (
            "payload_method_control_character",
            "a method name holding U+009F, a C1 control character",
            Kind::St,
            st(principal(), array(&[text("Pass\u{9f}word")]), service()),
        ),
        (
            "payload_lifetime_zero",
            "a lifetime of 0 s: the ticket expires when it is issued",
            Kind::Tgt,
            payload(&[issued(), uint(0)], &secret(principal(), methods()), &[]),
        ),
        (
            "payload_expiry_out_of_range",
            "issued at 9999-12-31T23:59:59Z, the last instant of the range, expiring 1 s later: past it",
            Kind::St,
            payload(
                &[uint(253_402_300_799), uint(1)],
                &secret(principal(), methods()),
                &[service()],
            ),
        ),
        (
            "payload_authentication_before_range",
            "authenticated 1 s before -9999-01-01T00:00:00Z, the first instant of the range",
            Kind::St,
            payload(
                &st_public(),
                &[
                    uint(0x6b02_bd20 + 377_705_116_800 + 1),
                    uint(0),
                    principal(),
                    methods(),
                    vec![0xf6],
                ],
                &[service()],
            ),
        ),
        (
            "payload_instant_out_of_range",
            "issued at 10000-01-01T00:00:00Z, past the years this decoder represents",
            Kind::St,
            payload(
                &[uint(253_402_300_800), uint(10)],
                &secret(principal(), methods()),
                &[service()],
            ),
        ),
        (
            "payload_session_id_short",
            "a TGT whose session id has 7 bytes instead of 8",
            Kind::Tgt,
            payload(
                &[issued(), uint(28_800)],
                &[
                    uint(300),
                    uint(0),
                    principal(),
                    methods(),
                    [head(2, 7), vec![0x5e; 7]].concat(),
                ],
                &[],
            ),
        ),
        (
            "payload_shortened_head_impossible",
            "a shortened service whose 40-character head holds a `..` segment, which normalization removes",
            Kind::St,
            st(
                principal(),
                methods(),
                text(&format!("{impossible_head}#{digest}")),
            ),
        ),
        (
            "payload_service_userinfo",
            "a service stored with userinfo, which normalization refuses",
            Kind::St,
            st(
                principal(),
                methods(),
                text("https://jdoe@app.example.edu/"),
            ),
        ),
        (
            "payload_callback_not_normalized",
            "a PGT callback with an uppercase host",
            Kind::Pgt,
            pgt(text("https://PORTAL.example.edu/cas/proxyCallback"), &[]),
        ),
        (
            "payload_callback_fragment",
            "a PGT callback with a fragment",
            Kind::Pgt,
            pgt(text("https://portal.example.edu/cas/proxyCallback#x"), &[]),
        ),
        (
            "payload_callback_too_long",
            "a PGT callback of 207 bytes, over the bound of 200",
            Kind::Pgt,
            pgt(
                text(&format!(
                    "https://portal.example.edu/{}",
                    "cas/proxyCallback/".repeat(10)
                )),
                &[],
            ),
        ),
        (
            "payload_eight_upstream",
            "a PGT with 8 upstream proxies, over the bound of 7",
            Kind::Pgt,
            pgt(callback(), &vec![callback(); 8]),
        ),
        (
            "payload_nine_proxies",
            "a PT whose proxy chain has 9 URLs, over the bound of 8",
            Kind::Pt,
            payload(
                &st_public(),
                &secret(principal(), methods()),
                &[service(), array(&vec![callback(); 9])],
            ),
        ),
        (
            "payload_empty_proxy_chain",
            "a PT whose proxy chain is empty",
            Kind::Pt,
            payload(
                &st_public(),
                &secret(principal(), methods()),
                &[service(), array(&[])],
            ),
        ),
    ]
}

/// Authentic code and token payloads that break one rule of FORMAT.md §7.1
/// each; the other fields are the typical code's, outside any session.
fn oauth_payload_cases() -> Vec<(&'static str, &'static str, Kind, Vec<u8>)> {
    let oc = crate::stages::to_cbor(&oauth_claims("OC"));
    let raw_nonce = crate::oauth::Nonce::new(OIDC_NONCE).unwrap().raw().unwrap();
    let tagged_nonce = [&[0xd5, 0x58, 0x20][..], &raw_nonce].concat();
    let challenge = CodeChallenge::from_s256(CHALLENGE).unwrap().to_bytes();
    let grant = b"grant-id";
    // client `moodle` (one phrase), then the scope bits of openid, profile, email.
    let client_scopes = [0x41, 0x19, 0x07];
    vec![
        (
            "payload_scope_bit_undefined",
            "scope bit 6, which names no standard scope",
            Kind::Code,
            replace(&oc, &client_scopes, &[0x41, 0x19, 0x18, 0x47]),
        ),
        (
            "payload_standard_scope_spelled_out",
            "`openid` carried as another scope's name instead of as its bit",
            Kind::Code,
            replace(
                &oc,
                &[0x07, 0x80],
                &[&[0x06, 0x81][..], &text("openid")].concat(),
            ),
        ),
        (
            "payload_scopes_unsorted",
            "other scopes `b` then `a`: not in ascending byte order",
            Kind::Code,
            replace(
                &oc,
                &[0x07, 0x80],
                &[&[0x07, 0x82][..], &text("b"), &text("a")].concat(),
            ),
        ),
        (
            "payload_scope_not_a_token",
            "another scope holding a space, which RFC 6749 §3.3 scope tokens never do",
            Kind::Code,
            replace(
                &oc,
                &[0x07, 0x80],
                &[&[0x07, 0x81][..], &text("a b")].concat(),
            ),
        ),
        (
            "payload_claim_name_twice",
            "the ID token claim `email` asked for twice",
            Kind::Code,
            replace(
                &oc,
                &[0x07, 0x80, 0x80],
                &[&[0x07, 0x80, 0x82][..], &text("email"), &text("email")].concat(),
            ),
        ),
        (
            "payload_client_empty",
            "an empty client id",
            Kind::Code,
            replace(&oc, &client_scopes, &[0x40, 0x07]),
        ),
        (
            "payload_grant_id_short",
            "a grant id of 7 bytes instead of 8",
            Kind::Code,
            replace(
                &oc,
                &[&[0x48][..], grant].concat(),
                &[&[0x47][..], &grant[..7]].concat(),
            ),
        ),
        (
            "payload_fresh_login_on_code",
            "the fresh-login flag, defined for STs only, on a code",
            Kind::Code,
            replace(&oc, &[0x19, 0x01, 0x2c, 0x00], &[0x19, 0x01, 0x2c, 0x02]),
        ),
        (
            "payload_redirect_uri_not_normalized",
            "a redirect URI stored with an uppercase host, which normalization never writes",
            Kind::Code,
            replace(
                &oc,
                &text("https://moodle.example.edu/auth/oidc/"),
                &text("https://Moodle.example.edu/auth/oidc/"),
            ),
        ),
        (
            "payload_base64url_nonce_as_text",
            "a base64url nonce carried as text: it has one spelling, tag 21 over its bytes",
            Kind::Code,
            replace(&oc, &tagged_nonce, &text(OIDC_NONCE)),
        ),
        (
            "payload_nonce_raw_empty",
            "tag 21 over no bytes: the empty nonce",
            Kind::Code,
            replace(&oc, &tagged_nonce, &[0xd5, 0x40]),
        ),
        (
            "payload_nonce_other_tag",
            "the nonce's bytes under tag 22 (base64) instead of 21 (base64url)",
            Kind::Code,
            replace(
                &oc,
                &tagged_nonce,
                &[&[0xd6, 0x58, 0x20][..], &raw_nonce].concat(),
            ),
        ),
        (
            "payload_nonce_too_long",
            "a text nonce of 129 bytes, over the bound of 128",
            Kind::Code,
            replace(
                &oc,
                &tagged_nonce,
                &text(&"n.".repeat(64).replacen('n', "nn", 1)),
            ),
        ),
        (
            "payload_challenge_short",
            "a PKCE challenge of 31 bytes instead of 32",
            Kind::Code,
            replace(
                &oc,
                &[&[0x58, 0x20][..], &challenge].concat(),
                &[&[0x58, 0x1f][..], &challenge[..31]].concat(),
            ),
        ),
        (
            "payload_code_as_access_token",
            "a code's payload (16 items) sealed as an access token (13)",
            Kind::AccessToken,
            oc.clone(),
        ),
    ]
}

/// `payload` with the first `old` replaced by `new`.
fn replace(payload: &[u8], old: &[u8], new: &[u8]) -> Vec<u8> {
    let at = payload
        .windows(old.len())
        .position(|w| w == old)
        .unwrap_or_else(|| panic!("{old:02x?} not in {payload:02x?}"));
    [&payload[..at], new, &payload[at + old.len()..]].concat()
}

/// An ST payload whose secret part changed length, with the padding the
/// encoder would write for it: the secret part is what is left once the
/// public head (array, issued, lifetime), the service and the old pad are off.
fn repad(payload: Vec<u8>) -> Vec<u8> {
    let pad = payload.iter().rev().take_while(|&&b| b == 0).count();
    let body = &payload[..payload.len() - pad];
    let public = 1 + 5 + 1;
    let service = crate::phrase::encode("https://app.example.edu/login?target=%2Fhome").len() + 1;
    let secret = body.len() - public - service;
    // The principal follows auth_age (3 bytes) and the flags (1).
    let code = code_len(&body[public + 4..]);
    let pad = crate::compact::trailing_zeros(secret, code);
    [body, &vec![0; pad][..]].concat()
}

/// The length of the byte string a CBOR item starting at `item[0]` holds
/// (short heads only: the vectors' principals).
fn code_len(item: &[u8]) -> usize {
    match item[0] & 0x1f {
        n @ 0..24 => usize::from(n),
        24 => usize::from(item[1]),
        _ => usize::from(u16::from_be_bytes([item[1], item[2]])),
    }
}

/// The typical ST validated as a node does: as one kind, for one service,
/// with a leeway; and a ticket too short to hold a payload.
fn validation_vectors(st: &str) -> Vec<Vector> {
    let vector = |name: &str, comment: &str, expect, now, claims, extra| Vector {
        name: name.into(),
        comment: comment.into(),
        expect,
        keyring: keyring(Alg::Aes256Gcm),
        now,
        claims,
        ticket: st.to_owned(),
        extra,
    };
    let typical = Some(claims("ST", false, false));
    let tgt = Codec::new(&keyring(Alg::Aes256Gcm))
        .encode_with_nonce(&in_session(claims("TGT", false, false)), NONCE)
        .unwrap();
    let mut short = vec![crate::VERSION, 0x0a, 0x01];
    short.extend([0_u8; 32]);
    vec![
        vector(
            "wrong_kind",
            "an ST validated where only PTs are accepted",
            "wrong_kind",
            datetime!(2026-11-22 10:00:05 UTC),
            None,
            Extra {
                kind: Some(Kind::Pt),
                ..Extra::default()
            },
        ),
        vector(
            "service_mismatch",
            "an ST presented for another service (another query)",
            "service_mismatch",
            datetime!(2026-11-22 10:00:05 UTC),
            None,
            Extra {
                service: Some("https://app.example.edu/login?target=%2Fother"),
                ..Extra::default()
            },
        ),
        vector(
            "service_match_after_normalization",
            "an ST presented for its service with scheme and host in capitals and the default port",
            "ok",
            datetime!(2026-11-22 10:00:05 UTC),
            typical.clone(),
            Extra {
                service: Some("HTTPS://APP.EXAMPLE.EDU:443/login?target=%2Fhome"),
                ..Extra::default()
            },
        ),
        vector(
            "leeway_inside",
            "2 s past the expiration instant, with a leeway of 5 s: valid",
            "ok",
            datetime!(2026-11-22 10:00:12 UTC),
            typical,
            Extra {
                leeway_seconds: Some(5),
                ..Extra::default()
            },
        ),
        vector(
            "leeway_just_past",
            "exactly the expiration instant plus a leeway of 5 s: expired",
            "expired",
            datetime!(2026-11-22 10:00:15 UTC),
            None,
            Extra {
                leeway_seconds: Some(5),
                ..Extra::default()
            },
        ),
        Vector {
            ticket: "ST-_".into(),
            ..vector(
                "order_kind_before_body",
                "`ST-_` where only PTs are accepted: the kind, from the prefix, is checked before the body",
                "wrong_kind",
                datetime!(2026-11-22 10:00:05 UTC),
                None,
                Extra {
                    kind: Some(Kind::Pt),
                    ..Extra::default()
                },
            )
        },
        vector(
            "order_expired_before_service",
            "an expired ST presented for another service: the expiry is checked first",
            "expired",
            datetime!(2026-11-22 10:00:10 UTC),
            None,
            Extra {
                service: Some("https://app.example.edu/login?target=%2Fother"),
                ..Extra::default()
            },
        ),
        Vector {
            ticket: tgt.clone(),
            ..vector(
                "service_for_a_tgt",
                "a TGT presented with a service: it has none, so none matches",
                "service_mismatch",
                datetime!(2026-11-22 10:00:05 UTC),
                None,
                Extra {
                    service: Some("https://app.example.edu/login?target=%2Fhome"),
                    ..Extra::default()
                },
            )
        },
        vector(
            "service_not_normalizable",
            "an ST presented for a `service` that does not normalize (a backslash): no match",
            "service_mismatch",
            datetime!(2026-11-22 10:00:05 UTC),
            None,
            Extra {
                service: Some("https://app.example.edu\\@evil.example/login?target=%2Fhome"),
                ..Extra::default()
            },
        ),
        vector(
            "not_yet_valid",
            "validated 2 s before its issue instant, without leeway: issued after the allowed second",
            "not_yet_valid",
            datetime!(2026-11-22 09:59:58 UTC),
            None,
            Extra::default(),
        ),
        vector(
            "not_before_allowance",
            "validated 1 s before its issue instant, without leeway: within the second whole-second instants lose",
            "ok",
            datetime!(2026-11-22 09:59:59 UTC),
            Some(claims("ST", false, false)),
            Extra::default(),
        ),
        vector(
            "not_before_leeway_inside",
            "validated 6 s before its issue instant, with a leeway of 5 s: valid",
            "ok",
            datetime!(2026-11-22 09:59:54 UTC),
            Some(claims("ST", false, false)),
            Extra {
                leeway_seconds: Some(5),
                ..Extra::default()
            },
        ),
        vector(
            "not_before_leeway_past",
            "validated 7 s before its issue instant, with a leeway of 5 s: not valid yet",
            "not_yet_valid",
            datetime!(2026-11-22 09:59:53 UTC),
            None,
            Extra {
                leeway_seconds: Some(5),
                ..Extra::default()
            },
        ),
        Vector {
            ticket: format!("ST-{}", base62::encode(&short)),
            ..vector(
                "shorter_than_minimum",
                "35 bytes: header, nonce and tag with no payload",
                "malformed",
                datetime!(2026-11-22 10:00:05 UTC),
                None,
                Extra::default(),
            )
        },
    ]
}

fn to_json(v: &Vector) -> String {
    let mut obj = json!({
        "comment": v.comment,
        "expect": v.expect,
        "keyring": serde_json::from_str::<Value>(&v.keyring.to_json()).unwrap(),
        "nonce": hex(&NONCE),
        "now": rfc3339(v.now),
        "ticket": v.ticket,
    });
    if let Some(kind) = v.extra.kind {
        obj["kind"] = Value::String(kind.prefix().into());
    }
    if let Some(service) = v.extra.service {
        obj["service"] = Value::String(service.into());
    }
    if let Some(leeway) = v.extra.leeway_seconds {
        obj["leeway_seconds"] = leeway.into();
    }
    if let Some(url) = v.extra.service_url {
        obj["service_url"] = Value::String(url.into());
    }
    if let Some(detail) = v.extra.detail {
        obj["detail"] = Value::String(detail.into());
    }
    if let Some(c) = &v.claims {
        obj["claims"] = serde_json::to_value(c).unwrap();
        obj["payload"] = Value::String(hex(&crate::stages::to_cbor(c)));
        let codec = Codec::new(&v.keyring);
        let ticket = codec.decode(&v.ticket, c.issued_at()).unwrap();
        obj["replay_id"] = Value::String(hex(&codec.replay_id(&ticket).unwrap()));
    }
    let mut text = serde_json::to_string_pretty(&obj).unwrap();
    text.push('\n');
    text
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Service URLs as given, with their normalized and stored forms, or `null`
/// where FORMAT.md §8 refuses them: a battery of what browsers read
/// differently, for a second implementation's normalizer.
const URLS: &[(&str, &str)] = &[
    (
        "https://app.example.edu/login?target=%2Fhome",
        "already normalized",
    ),
    (
        "HTTPS://App.Example.EDU:443/login?target=%2Fhome#top",
        "case, default port, fragment",
    ),
    ("http://app.example.edu:80/a", "http's default port"),
    (
        "http://app.example.edu:443/a",
        "another scheme's default port stays",
    ),
    ("https://app.example.edu:08443/a", "leading zeros of a port"),
    ("https://app.example.edu:/a", "empty port"),
    ("https://app.example.edu", "empty path"),
    ("https://app.example.edu?q=1", "query without a path"),
    ("https://app.example.edu/?", "empty query stays"),
    ("https://0x7f.1/", "IPv4 in hex and short form"),
    ("https://2130706433/", "IPv4 as one number"),
    ("https://010.0.0.1/", "IPv4 in octal"),
    (
        "https://10.0.0.08/",
        "an octal part with the digit 8: no host",
    ),
    ("https://[0:0:0:0:0:0:0:1]:8443/x", "IPv6 compressed"),
    (
        "https://[::FFFF:10.0.0.1]/",
        "IPv6 with embedded IPv4, written in hex",
    ),
    ("https://ex%41mple.edu/", "percent-encoded host"),
    ("https://%CE%B2%CE%B5%CF%84%CE%B1.com/", "IDNA"),
    ("https://XN--MXABJ4D.com/", "punycode, uppercase"),
    ("https://xn--zz.com/", "invalid punycode"),
    ("https://h/a/../b/./c", "dot segments"),
    (
        "https://h/a/%2e%2E/b/%2e/c/..",
        "percent-encoded dot segments",
    ),
    ("https://h/a/..%2f/b", "not a dot segment"),
    ("https://h/a%2Fb?x=%2f", "percent-encodings stay as written"),
    ("https://h/it's?q='1'", "`'` encoded in the query only"),
    ("https://h/p?a[]=1&b=|", "brackets and bar stay"),
    ("https://under_score.example/", "underscore in a label"),
    (
        "https://EVIL.TEST\\@GOOD.EXAMPLE:443/X",
        "backslash: a browser goes to evil.test",
    ),
    (
        "https://evil.test\\.good.example/",
        "backslash in the authority",
    ),
    ("https://h/a\\b", "backslash in the path"),
    ("https://good.example@evil.test/", "userinfo"),
    ("https://@good.example/", "empty userinfo"),
    ("javascript://%0aalert(1)", "not http or https"),
    ("javascript:alert(1)", "not http or https"),
    ("data://text/html,x", "not http or https"),
    ("file://localhost/etc/passwd", "not http or https"),
    ("myapp://callback", "not http or https"),
    ("https:evil.test/", "no `//`"),
    ("https:///evil.test/", "empty authority"),
    ("https://h:65536/", "port too large"),
    ("https://[zz]/", "not an IPv6 address"),
    ("https://a..b/", "empty label"),
    ("https://a.b./", "trailing dot"),
    ("https://a!b/", "not a DNS name"),
    ("https://h.123/", "ends in a number that is not IPv4"),
    ("https://h/a b", "space"),
    ("https://h/a^b", "`^` in the path"),
    ("https://h/{x}", "braces in the path"),
    ("https://h/?a<b", "`<` in the query"),
    (
        "https://App.Example.edu:443/portal/apps/reporting/dashboard?view=monthly&region=emea#top",
        "long: stored shortened",
    ),
];

fn url_vectors() -> String {
    let cases: Vec<Value> = URLS
        .iter()
        .map(|(url, note)| {
            json!({
                "url": url,
                "note": note,
                "normalized": crate::normalize(url).ok(),
                "stored": Service::new(url).ok().map(|s| s.as_str().to_owned()),
            })
        })
        .collect();
    let mut text = serde_json::to_string_pretty(&json!({
        "comment": "service URLs (FORMAT.md §8): `normalized` and `stored` are null where the URL is refused",
        "cases": cases,
    }))
    .unwrap();
    text.push('\n');
    text
}

#[test]
fn vectors_match_the_committed_files() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/vectors");
    let urls = (dir.join("urls/services.json"), url_vectors());
    let tickets = vectors()
        .into_iter()
        .map(|v| (dir.join(format!("{}.json", v.name)), to_json(&v)));
    for (path, text) in tickets.chain([urls]) {
        write_or_compare(&path, &text);
    }
}

/// With `CAS_TICKET_REGENERATE_VECTORS` set, writes `text` to `path`;
/// otherwise checks that `path` holds exactly `text`.
fn write_or_compare(path: &std::path::Path, text: &str) {
    if std::env::var_os("CAS_TICKET_REGENERATE_VECTORS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    } else {
        let committed = std::fs::read_to_string(path)
            .unwrap_or_else(|e| panic!("{}: {e}; regenerate the vectors", path.display()));
        assert_eq!(
            committed,
            text,
            "{} differs from what the code generates",
            path.display()
        );
    }
}

#[test]
fn repad_gives_the_padding_the_encoder_writes() {
    let typical = crate::stages::to_cbor(&claims("ST", false, false));
    let old = [&[0x47_u8][..], &crate::phrase::encode("jdoe@example.edu")].concat();
    for principal in ["j", "jd", "jdo", "jdoe", "jdoe@x"] {
        let new = [
            &[0x40 + crate::phrase::encode(principal).len() as u8][..],
            &crate::phrase::encode(principal),
        ]
        .concat();
        let payload = repad(replace(&typical, &old, &new));
        let decoded = crate::stages::from_cbor(Kind::St, &payload).unwrap();
        assert_eq!(decoded.principal(), principal);
    }
}

#[test]
fn the_payload_builder_writes_what_the_encoder_writes() {
    let secret = vec![
        uint(300),
        uint(0),
        text("jdoe@example.edu"),
        array(&[text("Password")]),
        vec![0xf6],
    ];
    let st = payload(
        &[uint(0x6b02_bd20), uint(10)],
        &secret,
        &[text("https://app.example.edu/login?target=%2Fhome")],
    );
    assert_eq!(st, crate::stages::to_cbor(&claims("ST", false, false)));
    let pgt = payload(
        &[uint(0x6b02_bd20), uint(7200)],
        &secret,
        &[
            text("https://portal.example.edu/cas/proxyCallback"),
            array(&[text("https://gateway.example.edu:8443/pgt")]),
        ],
    );
    assert_eq!(pgt, crate::stages::to_cbor(&claims("PGT", false, false)));
}

/// What a store shared with other implementations must agree on (FORMAT.md
/// §13), for tickets of the vectors: replay id, key names, expiries, and
/// single-logout records.
#[cfg(feature = "store")]
fn store_vectors() -> String {
    use crate::store::{LogoutRecord, TicketUse, ended_key, principal_key, spent_key};
    /// The nonce each record is sealed with.
    const RECORD_NONCE: [u8; 16] = [0xa5; 16];
    let ring = keyring(Alg::Aes256Gcm);
    let codec = Codec::new(&ring).with_leeway(Duration::seconds(5));
    let cases = [
        ("ST", false, true, "an ST in a session"),
        (
            "PT",
            true,
            true,
            "a PT for a shortened service: its URL is kept with it",
        ),
        (
            "ST",
            false,
            false,
            "an ST without a session: no record, no window",
        ),
    ]
    .into_iter()
    .map(|(kind, long_service, with_session, comment)| {
        let mut c = claims(kind, false, long_service);
        if with_session {
            c = in_session(c);
        }
        let text = codec.encode_with_nonce(&c, NONCE).unwrap();
        let now = c.issued_at() + Duration::seconds(2);
        let ticket = codec.decode(&text, now).unwrap();
        let usage = TicketUse::new(&codec, &ticket, now).unwrap();
        let mut case = json!({
            "comment": comment,
            "ticket": text,
            "now": rfc3339(now),
            "leeway_seconds": 5,
            "replay_id": hex(&usage.replay_id()),
            "spent_key": spent_key(&usage),
            "spent_ms": usage.keep_for().as_millis() as u64,
            "principal": c.principal(),
            "authenticated_at": rfc3339(c.authentication().authenticated_at()),
            "principal_id": hex(&usage.principal_id()),
            "principal_key": principal_key(&usage.principal_id()),
        });
        if let Some(session) = c.session() {
            let url = long_service.then(|| crate::service::normalize(LONG_SERVICE).unwrap());
            let record = LogoutRecord {
                ticket: text.clone(),
                service: url.clone(),
            };
            let plain = crate::record::plain(&record).unwrap();
            let sealed = codec
                .seal_record_with_nonce(session.id(), &record, RECORD_NONCE)
                .unwrap();
            case["session_id"] = Value::String(session.id().to_string());
            case["session_ends_at"] = Value::String(rfc3339(session.ends_at()));
            case["ended_key"] = Value::String(ended_key(session.id()));
            // A logout at `now`, and two after the session's end.
            let leeway = Duration::seconds(5);
            let ms = |at| crate::store::ended_lasting(session, leeway, at).as_millis() as u64;
            case["ended_ms"] = ms(now).into();
            case["ended_ms_2s_after_session_end"] =
                ms(session.ends_at() + Duration::milliseconds(2_000)).into();
            case["ended_ms_6s_after_session_end"] =
                ms(session.ends_at() + Duration::seconds(6)).into();
            case["records_key"] = Value::String(crate::store::records_key(session));
            case["records_field"] = Value::String(crate::store::records_field(session.id()));
            case["records_ms"] = (usage.records_for().as_millis() as u64).into();
            case["service_url"] = url.map_or(Value::Null, Value::String);
            case["record_plain"] = Value::String(hex(&plain));
            case["record_nonce"] = Value::String(hex(&RECORD_NONCE));
            case["record"] = Value::String(hex(sealed.as_bytes()));
        }
        case
    })
    .collect::<Vec<_>>();
    let keyring: Value = serde_json::from_str(&ring.to_json()).unwrap();
    let mut text = serde_json::to_string_pretty(&json!({
        "comment": "FORMAT.md §13: what nodes sharing a store compute for a ticket; each ticket is sealed with `nonce` under `keyring` and validated at `now` by a node with a leeway of `leeway_seconds`",
        "keyring": keyring,
        "nonce": hex(&NONCE),
        "cases": cases,
    }))
    .unwrap();
    text.push('\n');
    text
}

#[cfg(feature = "store")]
#[test]
fn store_vectors_match_the_committed_file() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/vectors/store/store.json");
    write_or_compare(&path, &store_vectors());
}

/// Key files (FORMAT.md §10) a loader must accept or refuse, each with the
/// rule it shows: what a second implementation's loader must agree on.
fn keyfile_vectors() -> String {
    const A: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
    const B: &str = "gIGCg4SFhoeIiYqLjI2Oj5CRkpOUlZaXmJmam5ydnp8=";
    let file = |version: &str, primary: &str, keys: &[(&str, &str, &str)]| {
        let keys: Vec<String> = keys
            .iter()
            .map(|(id, alg, secret)| {
                format!(r#"{{ "id": "{id}", "alg": "{alg}", "secret": "{secret}" }}"#)
            })
            .collect();
        format!(
            "{{\n  \"version\": {version},\n  \"primary\": \"{primary}\",\n  \"keys\": [\n    {}\n  ]\n}}\n",
            keys.join(",\n    ")
        )
    };
    let two = |primary: &str| {
        file(
            "1",
            primary,
            &[("0a01", "aes256gcm", A), ("0b02", "xchacha20poly1305", B)],
        )
    };
    let one = |secret: &str| file("1", "0a01", &[("0a01", "aes256gcm", secret)]);
    let typical = two("0a01");
    let cases: Vec<(&str, &str, String)> = vec![
        ("typical", "two keys, the first primary", typical.clone()),
        (
            "uppercase_ids",
            "ids and primary in uppercase hex: read in either case",
            file(
                "1",
                "0A01",
                &[("0A01", "aes256gcm", A), ("0B02", "xchacha20poly1305", B)],
            ),
        ),
        (
            "pad_bits",
            "a secret whose last base64 digit sets the two pad bits: not the canonical spelling",
            one("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh9="),
        ),
        (
            "no_padding",
            "a secret without its `=`",
            one(A.trim_end_matches('=')),
        ),
        (
            "base64url",
            "a secret in base64url (`-` for `+`)",
            one("-AECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="),
        ),
        (
            "short_secret",
            "a secret of 31 bytes",
            one("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHg=="),
        ),
        (
            "no_keys",
            "an empty `keys`",
            "{\n  \"version\": 1,\n  \"primary\": \"0a01\",\n  \"keys\": []\n}\n".into(),
        ),
        (
            "version_1_0",
            "`version` written `1.0`: a number, but not the integer 1",
            file("1.0", "0a01", &[("0a01", "aes256gcm", A)]),
        ),
        (
            "version_1e0",
            "`version` written `1e0`",
            file("1e0", "0a01", &[("0a01", "aes256gcm", A)]),
        ),
        (
            "version_2",
            "a key-file version this loader does not know",
            file("2", "0a01", &[("0a01", "aes256gcm", A)]),
        ),
        (
            "ids_equal_but_case",
            "two keys whose ids differ only in case: the same id",
            file(
                "1",
                "0a01",
                &[("0a01", "aes256gcm", A), ("0A01", "xchacha20poly1305", B)],
            ),
        ),
        (
            "id_not_four_digits",
            "an id of three hex digits",
            file("1", "a01", &[("a01", "aes256gcm", A)]),
        ),
        (
            "primary_not_a_key",
            "a primary that names no key of the file",
            two("0c03"),
        ),
        (
            "unknown_alg",
            "an algorithm this format does not have",
            file("1", "0a01", &[("0a01", "aes128gcm", A)]),
        ),
        (
            "bom",
            "a UTF-8 byte order mark before the JSON",
            format!("\u{feff}{typical}"),
        ),
        (
            "escape",
            "a JSON escape (`\\/`) inside a secret",
            one(&A.replacen('/', "\\/", 1).replacen("AAE", "A\\/E", 1)),
        ),
        (
            "unknown_member",
            "a member the format does not define",
            typical.replacen(
                "\"version\": 1,",
                "\"version\": 1,\n  \"comment\": \"x\",",
                1,
            ),
        ),
        (
            "duplicate_member",
            "`primary` twice",
            typical.replacen(
                "\"version\": 1,",
                "\"version\": 1,\n  \"primary\": \"0b02\",",
                1,
            ),
        ),
    ];
    let cases: Vec<Value> = cases
        .into_iter()
        .map(|(name, comment, text)| {
            let mut case = json!({ "name": name, "comment": comment, "file": text });
            match Keyring::from_json(text.as_bytes()) {
                Ok(ring) => {
                    case["expect"] = Value::String("ok".into());
                    case["primary"] = Value::String(ring.primary().to_string());
                    case["ids"] = ring
                        .keys()
                        .iter()
                        .map(|k| Value::String(k.id().to_string()))
                        .collect();
                }
                Err(_) => case["expect"] = Value::String("error".into()),
            }
            case
        })
        .collect();
    let mut text = serde_json::to_string_pretty(&json!({
        "comment": "FORMAT.md §10: key files a loader must accept (`ok`, with the primary and the key ids it reads, lowercase) or refuse (`error`); `file` is the file's whole text, its UTF-8 the bytes. File modes are not here: a loader refuses a file group or others may read, write or run (any bit of 0o077), and accepts 0400 and 0600 (and 0700)",
        "cases": cases,
    }))
    .unwrap();
    text.push('\n');
    text
}

#[test]
fn keyfile_vectors_match_the_committed_file() {
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/vectors/keyfiles/keyfiles.json");
    let text = keyfile_vectors();
    // Each case shows the rule its comment names: only the first two load.
    let parsed: Value = serde_json::from_str(&text).unwrap();
    let ok: Vec<&str> = parsed["cases"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["expect"] == "ok")
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(ok, ["typical", "uppercase_ids"]);
    write_or_compare(&path, &text);
}
