//! The property each fuzz target asserts, as plain functions.
//!
//! Compiled twice: by the fuzz crate (for libFuzzer) and by the main crate's
//! `tests/fuzz_corpus.rs` (to replay the committed corpus on stable).

use std::sync::OnceLock;

use arbitrary::Arbitrary;
use cas_ticket_codec::oauth::{
    Authorization, ClaimNames, ClaimsRequest, ClientId, CodeChallenge, GrantId, Nonce, Scopes,
};
use cas_ticket_codec::{
    Alg, Authentication, CallbackUrl, Claims, Codec, Error, Grant, Key, KeyId, Keyring, Kind,
    MAX_CODE_CHARS, Malformed, ProxyChain, SecretKey, Service, Session, SessionId, base62, inspect,
    is_normalized, normalize, phrase, stages,
};
use time::{Duration, OffsetDateTime};

/// The instant the decode target validates at: before every seed expires.
pub const NOW: OffsetDateTime = time::macros::datetime!(2026-11-22 10:00:05 UTC);

/// Key ids shared by the fuzz keyring, the seed keyring and the test vectors,
/// so that seeds reach the AEAD instead of stopping at "unknown key".
pub const KEY_IDS: [(u16, Alg); 2] = [(0x0a01, Alg::Aes256Gcm), (0x0b02, Alg::XChaCha20Poly1305)];

/// A keyring with the shared ids and secrets filled with `fill`.
pub fn keyring(fill: u8) -> Keyring {
    let keys = KEY_IDS
        .iter()
        .map(|&(id, alg)| {
            Key::new(
                KeyId::from_bytes(id.to_be_bytes()),
                alg,
                SecretKey::from_bytes([fill; 32]),
            )
        })
        .collect();
    Keyring::new(keys, KeyId::from_bytes(KEY_IDS[0].0.to_be_bytes())).expect("fixed keyring")
}

/// The decode target's codec. Its secrets differ from the seeds' (`keyring(0x5e)`),
/// so no input can be a valid ticket for it unless the fuzzer forges one.
pub fn fuzz_codec() -> &'static Codec {
    static CODEC: OnceLock<Codec> = OnceLock::new();
    CODEC.get_or_init(|| Codec::new(&keyring(0xf0)))
}

/// `decode`: arbitrary bytes never panic the decoder and never verify.
pub fn decode(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let codec = fuzz_codec();
    if let Ok(ticket) = codec.decode(&text, NOW) {
        panic!("invalid ticket was verified: {text:?} -> {ticket:?}");
    }
    for kind in Kind::ALL {
        assert!(codec.decode_kind(&text, kind, NOW).is_err());
    }
    if let Ok(header) = inspect(&text) {
        // A header that parses names its kind by the text's own prefix.
        assert!(text.starts_with(&format!("{}-", header.kind().prefix())));
    }
    // Over the largest cap, or over its own kind's: too long, unread.
    let prefixed = text
        .split_once('-')
        .and_then(|(prefix, _)| Kind::from_prefix(prefix));
    let cap = prefixed.map_or(MAX_CODE_CHARS, Kind::max_chars);
    if text.len() > cap {
        assert!(matches!(
            codec.decode(&text, NOW),
            Err(Error::TooLong { .. })
        ));
    }
}

/// Arbitrary claims, before the constructors decide whether they are valid.
#[derive(Arbitrary, Debug)]
pub struct ClaimsInput {
    pub kind: u8,
    pub xchacha: bool,
    pub principal: String,
    pub issued: u32,
    pub auth_age: i32,
    pub lifetime: u32,
    pub methods: Vec<String>,
    pub remember_me: bool,
    pub fresh_login: bool,
    /// Bytes mapped onto printable ASCII and prefixed with a scheme.
    pub service: Vec<u8>,
    pub raw_service: Option<String>,
    pub proxies: Vec<Vec<u8>>,
    /// Session id and how long the session outlives the ticket.
    pub session: Option<([u8; 8], u32)>,
    /// What a code or token carries besides.
    pub oauth: OAuthInput,
}

/// The fields of an OAuth code or token, before the constructors check them.
#[derive(Arbitrary, Debug)]
pub struct OAuthInput {
    pub grant: [u8; 8],
    pub client: String,
    pub scope: String,
    pub id_token_claims: Vec<String>,
    pub userinfo_claims: Vec<String>,
    /// Redirect URI bytes, as `service` is made into a URL.
    pub redirect_uri: Vec<u8>,
    pub nonce: Option<String>,
    pub challenge: Option<[u8; 32]>,
}

impl OAuthInput {
    fn authorization(&self) -> Option<Authorization> {
        let claims = ClaimsRequest {
            id_token: ClaimNames::new(self.id_token_claims.iter().cloned()).ok()?,
            userinfo: ClaimNames::new(self.userinfo_claims.iter().cloned()).ok()?,
        };
        Some(
            Authorization::new(
                ClientId::new(self.client.as_str()).ok()?,
                Scopes::parse(&self.scope).ok()?,
                GrantId::from_bytes(self.grant),
            )
            .with_claims(claims),
        )
    }
}

/// Maps bytes onto printable ASCII, so URL-shaped inputs are common.
fn printable(bytes: &[u8]) -> String {
    bytes.iter().map(|b| char::from(0x21 + b % 94)).collect()
}

fn url(bytes: &[u8]) -> String {
    let scheme = if bytes.first().is_some_and(|b| b % 2 == 0) {
        "https"
    } else {
        "HTTP"
    };
    format!("{scheme}://{}", printable(bytes.get(1..).unwrap_or(&[])))
}

/// The claims an input describes, or `None` where a constructor refuses it.
pub fn claims(input: &ClaimsInput) -> Option<Claims> {
    let issued = OffsetDateTime::from_unix_timestamp(i64::from(input.issued)).ok()?;
    let authenticated = issued - Duration::seconds(i64::from(input.auth_age));
    let mut auth = Authentication::new(&input.principal, authenticated)
        .ok()?
        .with_remember_me(input.remember_me);
    for method in &input.methods {
        auth = auth.with_method(method).ok()?;
    }
    let service = || match &input.raw_service {
        Some(raw) => Service::new(raw).ok(),
        None => Service::new(&url(&input.service)).ok(),
    };
    let proxies = || {
        let urls = input
            .proxies
            .iter()
            .map(|p| CallbackUrl::new(&url(p)).ok())
            .collect::<Option<Vec<_>>>()?;
        ProxyChain::new(urls).ok()
    };
    let oauth = &input.oauth;
    let grant = match input.kind % 7 {
        0 => Grant::TicketGranting,
        1 => Grant::Service {
            service: service()?,
            fresh_login: input.fresh_login,
        },
        2 => Grant::Proxy {
            service: service()?,
            proxies: proxies()?,
        },
        3 => Grant::ProxyGranting {
            callback: CallbackUrl::new(&url(&input.service)).ok()?,
            upstream: input
                .proxies
                .iter()
                .map(|p| CallbackUrl::new(&url(p)).ok())
                .collect::<Option<Vec<_>>>()?,
        },
        4 => Grant::Code {
            authorization: oauth.authorization()?,
            redirect_uri: Service::new(&url(&oauth.redirect_uri)).ok()?,
            nonce: match &oauth.nonce {
                Some(nonce) => Some(Nonce::new(nonce.as_str()).ok()?),
                None => None,
            },
            challenge: oauth.challenge.map(CodeChallenge::from_bytes),
        },
        5 => Grant::AccessToken {
            authorization: oauth.authorization()?,
        },
        _ => Grant::RefreshToken {
            authorization: oauth.authorization()?,
        },
    };
    let claims = Claims::with_lifetime(
        auth,
        grant,
        issued,
        Duration::seconds(i64::from(input.lifetime)),
    )
    .ok()?;
    match input.session {
        None => Some(claims),
        Some((id, extra)) => {
            let ends_at = match claims.kind() {
                Kind::Tgt => claims.expires_at(),
                _ => claims.expires_at() + Duration::seconds(i64::from(extra)),
            };
            claims
                .with_session(Session::new(SessionId::from_bytes(id), ends_at))
                .ok()
        }
    }
}

/// `roundtrip`: valid claims encode to a ticket within its kind's cap (256
/// characters, 384 for a code) in the CAS alphabet that decodes to the same
/// claims, or encoding says why not.
pub fn roundtrip(input: &ClaimsInput) {
    static CODECS: OnceLock<[Codec; 2]> = OnceLock::new();
    let codecs = CODECS.get_or_init(|| {
        let xchacha = Keyring::new(
            vec![Key::new(
                KeyId::from_bytes([0, 2]),
                Alg::XChaCha20Poly1305,
                SecretKey::from_bytes([7; 32]),
            )],
            KeyId::from_bytes([0, 2]),
        )
        .expect("fixed keyring");
        [Codec::new(&keyring(0x5e)), Codec::new(&xchacha)]
    });
    service_url(&url(&input.service));
    if let Some(raw) = &input.raw_service {
        service_url(raw);
    }
    let Some(claims) = claims(input) else { return };
    let codec = &codecs[usize::from(input.xchacha)];
    match codec.encode(&claims) {
        Ok(ticket) => {
            assert!(
                ticket.len() <= claims.kind().max_chars(),
                "{} characters",
                ticket.len()
            );
            assert!(
                ticket
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-'),
                "{ticket}"
            );
            assert!(ticket.starts_with(&format!("{}-", claims.kind().prefix())));
            let decoded = codec
                .decode(&ticket, claims.issued_at())
                .expect("own ticket decodes");
            assert_eq!(decoded.claims(), &claims);
            assert_eq!(
                codec.decode(&ticket, claims.expires_at()),
                Err(Error::Expired {
                    expired_at: claims.expires_at(),
                    now: claims.expires_at()
                })
            );
            if let Some(service) = claims.service() {
                assert!(
                    decoded.require_service(service.as_str()).is_ok() || service.is_shortened()
                );
            }
            if let Grant::Code { redirect_uri, .. } = claims.grant() {
                let given = normalize(&url(&input.oauth.redirect_uri)).expect("made a service");
                assert!(redirect_uri.is_exactly(&given));
            }
        }
        Err(Error::TooLong { length, max }) => assert!(length > max),
        Err(Error::InvalidClaims(_)) => {}
        Err(e) => panic!("unexpected encode error {e:?}"),
    }
}

/// The one-pass check of normalized URLs (the decoder's stored-form check,
/// and `normalize`'s shortcut) says what normalization by parsing says,
/// normalization is idempotent, and `normalize` is normalization by parsing.
fn service_url(url: &str) {
    let by_parsing = stages::normalize_by_parsing(url);
    assert_eq!(normalize(url), by_parsing, "{url:?}");
    match by_parsing {
        Ok(once) => {
            assert!(is_normalized(&once), "{url:?} gave {once:?}");
            assert_eq!(
                stages::normalize_by_parsing(&once).as_deref(),
                Ok(once.as_str()),
                "{url:?}"
            );
            assert_eq!(is_normalized(url), url == once, "{url:?}");
        }
        Err(_) => assert!(!is_normalized(url), "{url:?}"),
    }
}

/// `open`: arbitrary plaintext past the AEAD. Byte 0 selects the kind (its
/// value mod 7, in [`Kind::ALL`] order); the rest is the payload. The decoder returns claims only for the
/// one payload the encoder makes of them, otherwise `Malformed::Payload`.
pub fn open(data: &[u8]) {
    let Some((&selector, payload)) = data.split_first() else {
        return;
    };
    let kind = Kind::ALL[usize::from(selector) % Kind::ALL.len()];
    match stages::from_cbor(kind, payload) {
        Ok(claims) => {
            assert_eq!(claims.kind(), kind);
            assert_eq!(stages::to_cbor(&claims), payload);
        }
        Err(Malformed::Payload) => {}
        Err(e) => panic!("unexpected payload error {e:?}"),
    }
}

/// `phrase`: the static phrase code decodes only what it encodes, within
/// the bound, and every text without control characters round-trips.
pub fn phrase(data: &[u8]) {
    if let Ok(text) = phrase::decode(data, 256) {
        assert!(text.len() <= 256);
        assert_eq!(phrase::encode(&text), data, "non-canonical code accepted");
    }
    if let Ok(text) = std::str::from_utf8(data)
        && !text.bytes().any(|b| b < 0x20 || b == 0x7f)
    {
        let code = phrase::encode(text);
        assert!(code.len() <= phrase::max_code_len(text.len()));
        assert_eq!(phrase::decode(&code, text.len()).as_deref(), Ok(text));
    }
}

/// FORMAT.md §6 written again, as plainly as possible: expand the units,
/// then re-encode greedily by trying every phrase at every position, and
/// accept only if that gives the code back. The `differential` target holds
/// the library's decoder to it.
pub fn reference_phrase_decode(code: &[u8], max_bytes: usize) -> Option<String> {
    let phrase_of = |b: u8| match b {
        0x01..=0x1F => phrase::PHRASES.get(usize::from(b) - 1),
        0x7F => phrase::PHRASES.get(31),
        0x80..=0xFF => phrase::PHRASES.get(usize::from(b) - 0x80 + 32),
        _ => None,
    };
    let mut text = Vec::new();
    let mut i = 0;
    while i < code.len() {
        let b = code[i];
        if (0x20..=0x7E).contains(&b) {
            text.push(b);
            i += 1;
        } else if b == 0 {
            let n = usize::from(*code.get(i + 1)?);
            let run = code.get(i + 2..i + 2 + n)?;
            if n == 0 || run.iter().any(|&x| x < 0x80) {
                return None;
            }
            text.extend_from_slice(run);
            i += 2 + n;
        } else {
            text.extend_from_slice(phrase_of(b)?.as_bytes());
            i += 1;
        }
        if text.len() > max_bytes {
            return None;
        }
    }
    let text = String::from_utf8(text).ok()?;
    let bytes = text.as_bytes();
    let mut again = Vec::new();
    let mut j = 0;
    while j < bytes.len() {
        if bytes[j] >= 0x80 {
            let run = bytes[j..]
                .iter()
                .take(255)
                .take_while(|&&x| x >= 0x80)
                .count();
            again.push(0);
            again.push(run as u8);
            again.extend_from_slice(&bytes[j..j + run]);
            j += run;
            continue;
        }
        let longest = (0..=255_u8)
            .filter_map(|code| phrase_of(code).map(|p| (code, p)))
            .filter(|(_, p)| bytes[j..].starts_with(p.as_bytes()))
            .max_by_key(|(_, p)| p.len());
        match longest {
            Some((code, p)) => {
                again.push(code);
                j += p.len();
            }
            None => {
                again.push(bytes[j]);
                j += 1;
            }
        }
    }
    (again == code).then_some(text)
}

/// `differential`: byte 0 picks the check, the rest is its input.
/// * even: a phrase code; the library's decoder and the plain one of
///   [`reference_phrase_decode`] agree on every input, accept or refuse.
/// * odd (the rest of the byte, mod 7: the kind): a payload; whenever the library accepts it,
///   an independent CBOR reader (ciborium) reads the same array of the
///   kind's length, followed only by the zero padding, with the same
///   instants and, through the plain phrase decoder, the same principal.
pub fn differential(data: &[u8]) {
    let Some((&selector, input)) = data.split_first() else {
        return;
    };
    if selector % 2 == 0 {
        let ours = phrase::decode(input, 256).ok();
        assert_eq!(ours, reference_phrase_decode(input, 256), "{input:02x?}");
        return;
    }
    let kind = Kind::ALL[usize::from(selector >> 1) % Kind::ALL.len()];
    let Ok(claims) = stages::from_cbor(kind, input) else {
        return;
    };
    let mut rest = input;
    let item: ciborium::Value =
        ciborium::from_reader(&mut rest).expect("an accepted payload is CBOR");
    assert!(
        rest.len() < 4 && rest.iter().all(|&b| b == 0),
        "padding: {rest:02x?}"
    );
    let items = item.as_array().expect("an array");
    let expected_len = match kind {
        Kind::Tgt => 7,
        Kind::St => 8,
        Kind::Pt | Kind::Pgt => 9,
        Kind::AccessToken | Kind::RefreshToken => 13,
        Kind::Code => 16,
    };
    assert_eq!(items.len(), expected_len);
    let int = |i: usize| i128::from(items[i].as_integer().expect("an integer"));
    let issued = claims.issued_at().unix_timestamp();
    assert_eq!(int(0), i128::from(issued));
    assert_eq!(
        int(1),
        i128::from(claims.expires_at().unix_timestamp() - issued)
    );
    let auth_age = issued - claims.authentication().authenticated_at().unix_timestamp();
    assert_eq!(int(2), i128::from(auth_age));
    let principal = items[4].as_bytes().expect("a byte string");
    assert_eq!(
        reference_phrase_decode(principal, 256).as_deref(),
        Some(claims.principal())
    );
    if let Grant::Code { nonce, .. } = claims.grant() {
        // A nonce is null, tag 21 over the bytes its base64url spells, or
        // the code of its text.
        let spelled = match &items[14] {
            ciborium::Value::Null => None,
            ciborium::Value::Tag(21, raw) => {
                use base64::Engine as _;
                let raw = raw.as_bytes().expect("tagged bytes");
                Some(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw))
            }
            ciborium::Value::Bytes(code) => reference_phrase_decode(code, 128),
            other => panic!("nonce item {other:?}"),
        };
        assert_eq!(spelled.as_deref(), nonce.as_ref().map(Nonce::as_str));
    }
}

/// Two secret sides and two chosen sides of a ticket, for `length`.
#[derive(Arbitrary, Debug)]
pub struct LengthInput {
    pub principals: [String; 2],
    pub methods: [Vec<String>; 2],
    pub auth_ages: [u16; 2],
    /// How each service is built: 0 contains principal 0, 1 a prefix of it,
    /// 2 principal 1, other values the raw bytes alone.
    pub shapes: [u8; 2],
    pub services: [Vec<u8>; 2],
    pub prefix_len: u8,
    pub kind: u8,
    pub session: bool,
}

/// `length`: no length oracle. For any two secret sides `a, b` and chosen
/// sides `x, y` (services that contain a principal, a prefix of it, or
/// neither), the payload lengths add up: `|a x| + |b y| == |a y| + |b x|`.
/// A shared compression context would make the side that matches shorter.
/// The ticket's length is a fixed function of the payload's.
pub fn length(input: &LengthInput) {
    let issued = time::macros::datetime!(2026-11-22 10:00 UTC);
    let auth = |i: usize| {
        let mut auth = Authentication::new(
            &input.principals[i],
            issued - Duration::seconds(i64::from(input.auth_ages[i])),
        )
        .ok()?;
        for m in &input.methods[i] {
            auth = auth.with_method(m).ok()?;
        }
        Some(auth)
    };
    let (Some(a), Some(b)) = (auth(0), auth(1)) else {
        return;
    };
    // A chosen side: the service (an OAuth code's redirect URI) and the
    // text in it, which a code also carries as its nonce and claim name.
    let chosen = |i: usize| {
        let tail = printable(&input.services[i]);
        let p = &input.principals[0];
        let cut = p
            .char_indices()
            .nth(usize::from(input.prefix_len))
            .map_or(p.len(), |(at, _)| at);
        let inner = match input.shapes[i] % 4 {
            0 => format!("{tail}?user={p}"),
            1 => format!("{tail}?user={}", &p[..cut]),
            2 => format!("{tail}?user={}", input.principals[1]),
            _ => tail,
        };
        let service = Service::new(&format!("https://app.example.edu/{inner}")).ok()?;
        Some((service, inner))
    };
    let (Some(x), Some(y)) = (chosen(0), chosen(1)) else {
        return;
    };
    let proxy = CallbackUrl::new("https://portal.example.edu/cas/proxyCallback").ok();
    let len = |auth: &Authentication, (service, inner): &(Service, String)| -> Option<usize> {
        let grant = match (input.kind % 3, &proxy) {
            (1, Some(p)) => Grant::Proxy {
                service: service.clone(),
                proxies: ProxyChain::new(vec![p.clone()]).ok()?,
            },
            (2, _) => {
                let claims = ClaimsRequest {
                    id_token: ClaimNames::new([inner.as_str()]).ok()?,
                    userinfo: ClaimNames::default(),
                };
                let authorization = Authorization::new(
                    ClientId::new("moodle").ok()?,
                    Scopes::parse("openid").ok()?,
                    GrantId::from_bytes([9; 8]),
                )
                .with_claims(claims);
                Grant::Code {
                    authorization,
                    redirect_uri: service.clone(),
                    nonce: Some(Nonce::new(inner.as_str()).ok()?),
                    challenge: None,
                }
            }
            _ => Grant::Service {
                service: service.clone(),
                fresh_login: false,
            },
        };
        let mut claims =
            Claims::with_lifetime(auth.clone(), grant, issued, Duration::seconds(10)).ok()?;
        if input.session {
            let session = Session::new(SessionId::from_bytes([7; 8]), issued + Duration::hours(8));
            claims = claims.with_session(session).ok()?;
        }
        let payload = stages::to_cbor(&claims).len();
        if let Ok(ticket) = length_codec().encode(&claims) {
            let prefix = claims.kind().prefix().len() + 1;
            assert_eq!(ticket.len(), prefix + base62::encoded_len(payload + 35));
        }
        Some(payload)
    };
    let lens = (|| Some([len(&a, &x)?, len(&b, &y)?, len(&a, &y)?, len(&b, &x)?]))();
    if let Some([ax, by, ay, bx]) = lens {
        assert_eq!(
            ax + by,
            ay + bx,
            "length depends on how secret and chosen fields relate"
        );
    }
}

fn length_codec() -> &'static Codec {
    static CODEC: OnceLock<Codec> = OnceLock::new();
    CODEC.get_or_init(|| Codec::new(&keyring(0x11)))
}

/// `base62`: decoding accepts only canonical text; encoding round-trips.
pub fn base62(data: &[u8]) {
    if let Ok(bytes) = base62::decode(data) {
        assert_eq!(
            base62::encode(&bytes).as_bytes(),
            data,
            "non-canonical text accepted"
        );
    }
    let text = base62::encode(data);
    assert_eq!(text.len(), base62::encoded_len(data.len()));
    assert_eq!(base62::decode(text.as_bytes()).as_deref(), Ok(data));
}

/// The session the `record` target opens records for.
#[cfg(feature = "store")]
pub const RECORD_SESSION: SessionId = SessionId::from_bytes(*b"rec-sess");

/// The `record` target's codec: the seeds' keyring, so that the sealed
/// records of the seed corpus open and what is inside them is read too.
#[cfg(feature = "store")]
pub fn record_codec() -> &'static Codec {
    static CODEC: OnceLock<Codec> = OnceLock::new();
    CODEC.get_or_init(|| Codec::new(&keyring(0x5e)))
}

/// `record`: a store's field of single-logout records as a writer to Redis
/// may leave it (FORMAT.md §13). It splits into at most 64 distinct records
/// of bounded lengths; each opens only as an ST or PT record sealed for
/// [`RECORD_SESSION`], which seals again into one that opens the same, and
/// every other is refused with a malformed, unknown-key or authentication
/// error, never a panic.
#[cfg(feature = "store")]
pub fn record(data: &[u8]) {
    use cas_ticket_codec::store::{
        MAX_RECORDS_PER_SESSION, MAX_SEALED_RECORD_BYTES, MIN_SEALED_RECORD_BYTES, split_records,
    };
    let codec = record_codec();
    let records = split_records(data, MAX_RECORDS_PER_SESSION);
    assert!(records.len() <= MAX_RECORDS_PER_SESSION);
    for (i, sealed) in records.iter().enumerate() {
        let len = sealed.as_bytes().len();
        assert!((MIN_SEALED_RECORD_BYTES..=MAX_SEALED_RECORD_BYTES).contains(&len));
        assert!(!records[..i].contains(sealed), "a record read twice");
        match codec.open_record(RECORD_SESSION, sealed) {
            Ok(record) => {
                assert!(record.ticket.starts_with("ST-") || record.ticket.starts_with("PT-"));
                let again = codec
                    .seal_record(RECORD_SESSION, &record)
                    .expect("an opened record seals again");
                assert_eq!(codec.open_record(RECORD_SESSION, &again), Ok(record));
            }
            Err(Error::Malformed(_) | Error::UnknownKey { .. } | Error::AuthenticationFailed) => {}
            Err(e) => panic!("unexpected record error {e:?}"),
        }
    }
}
