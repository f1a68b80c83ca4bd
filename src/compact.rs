//! Claims ⇄ the ticket payload: one positional CBOR array per kind, each
//! text field squeezed alone with the static phrase code (FORMAT.md §6–§7).
//!
//! ```text
//! [ issued, lifetime,                                 public: when
//!   auth_age, flags, principal, [method...], session, secret
//!   kind fields... ]                                  chosen by a third party
//!   TGT: nothing   ST: service   PT: service, [proxy...]   PGT: callback, [upstream...]
//!   OC, AT, RT: grant id, client, scope bits, [scope...], [id_token claim...],
//!               [userinfo claim...]   and OC: redirect_uri, nonce, challenge
//! || zero bytes                                      pad the principal, then
//!                                                     the secret part
//! ```
//!
//! The zero bytes after the array first pad the principal's code as if it
//! were [`principal_bucket`] bytes long (the least power of two of at least
//! 8), then the secret part (from `auth_age` to the session) to a multiple
//! of [`SECRET_QUANTUM`] bytes; every field is coded on its own, so the
//! payload's length is a function of the secret fields' length class plus a
//! function of the chosen fields alone, and the principal's part of that
//! class is its bucket: the same on every ticket of a session.
//!
//! Decoding is strict: the array has exactly the kind's length, lists are
//! bounded before anything is allocated for them, undefined flag bits are
//! refused, every field passes the same checks as the constructors, and the
//! bytes must be exactly those the encoder makes of the decoded claims (one
//! payload, one spelling).

use ciborium_ll::{Encoder, Header, simple};
use time::OffsetDateTime;

use crate::claims::{
    Authentication, Claims, Grant, Kind, MAX_METHOD_BYTES, MAX_METHODS, MAX_PRINCIPAL_BYTES,
    MAX_PROXIES, ProxyChain, SESSION_ID_BYTES, Session, SessionId,
};
use crate::error::Malformed;
use crate::oauth::{
    Authorization, ClaimNames, ClaimsRequest, ClientId, CodeChallenge, GRANT_ID_BYTES, GrantId,
    MAX_CLAIM_NAME_BYTES, MAX_CLAIM_NAMES, MAX_CLIENT_ID_BYTES, MAX_EXTRA_SCOPES, MAX_NONCE_BYTES,
    MAX_RAW_NONCE_BYTES, MAX_SCOPE_BYTES, Nonce, Scopes,
};
use crate::phrase;
use crate::service::{CallbackUrl, MAX_CALLBACK_URL_BYTES, MAX_STORED_SERVICE_CHARS, Service};

/// Flag bit 0: remember-me.
const FLAG_REMEMBER_ME: u64 = 1;
/// Flag bit 1: issued from a fresh login (ST only).
const FLAG_FRESH_LOGIN: u64 = 2;

/// The secret part of the payload is padded to a multiple of this many
/// bytes: the ticket's length tells the principal's coded length only to
/// within this quantum (FORMAT.md §12).
pub const SECRET_QUANTUM: usize = 4;

/// The least bucket a principal's code is padded to (FORMAT.md §7).
pub const PRINCIPAL_MIN_BUCKET: usize = 8;

/// The length a principal's code of `code_len` bytes counts as in the
/// ticket's length: the least power of two that is at least `code_len` and
/// [`PRINCIPAL_MIN_BUCKET`]. Over a directory of 100,000 realistic names
/// (`benches/length_classes.rs`) this leaves 3 classes, the smallest of
/// 3,232 users, where the code's own length left 23, some of one user.
pub const fn principal_bucket(code_len: usize) -> usize {
    let at_least = if code_len > PRINCIPAL_MIN_BUCKET {
        code_len
    } else {
        PRINCIPAL_MIN_BUCKET
    };
    at_least.next_power_of_two()
}

/// Bytes of a CBOR byte string of `n` bytes: its shortest head, then them.
const fn bytes_item_len(n: usize) -> usize {
    let head = if n < 24 {
        1
    } else if n < 0x100 {
        2
    } else if n < 0x1_0000 {
        3
    } else {
        5
    };
    head + n
}

/// Zero bytes after the array for a secret part of `secret` bytes whose
/// principal's code is `code_len` bytes: the principal's item padded to the
/// item of its bucket, then the whole secret part to the quantum.
pub(crate) const fn trailing_zeros(secret: usize, code_len: usize) -> usize {
    let principal = bytes_item_len(principal_bucket(code_len)) - bytes_item_len(code_len);
    principal + pad_len(secret + principal)
}

/// Array length of each kind's payload.
const fn array_len(kind: Kind) -> usize {
    match kind {
        Kind::Tgt => 7,
        Kind::St => 8,
        Kind::Pt | Kind::Pgt => 9,
        Kind::AccessToken | Kind::RefreshToken => 13,
        Kind::Code => 16,
    }
}

/// CBOR tag 21, "expected conversion to base64url" (RFC 8949 §3.4.5.2): a
/// nonce carried as the bytes its text spells.
const TAG_BASE64URL: u64 = 21;

/// Appends the payload of `claims` to `out`.
pub fn to_cbor(claims: &Claims, out: &mut Vec<u8>) {
    let auth = claims.authentication();
    let issued = claims.issued_at().unix_timestamp();
    let lifetime = claims.expires_at().unix_timestamp() - issued;
    let auth_age = issued - auth.authenticated_at().unix_timestamp();
    let mut flags = 0;
    if auth.remember_me() {
        flags |= FLAG_REMEMBER_ME;
    }
    if let Grant::Service {
        fresh_login: true, ..
    } = claims.grant()
    {
        flags |= FLAG_FRESH_LOGIN;
    }
    let mut scratch = Vec::with_capacity(64);
    push(out, Header::Array(Some(array_len(claims.kind()))));
    push_int(out, issued);
    push_int(out, lifetime);

    // The secret part, padded (FORMAT.md §7).
    let start = out.len();
    push_int(out, auth_age);
    push(out, Header::Positive(flags));
    push_text(out, &mut scratch, auth.principal());
    let principal_code = scratch.len();
    push(out, Header::Array(Some(auth.methods().len())));
    for method in auth.methods() {
        push_text(out, &mut scratch, method);
    }
    match (claims.kind(), claims.session()) {
        (_, None) => push(out, Header::Simple(simple::NULL)),
        (Kind::Tgt, Some(session)) => push_bytes(out, &session.id().to_bytes()),
        (_, Some(session)) => {
            push(out, Header::Array(Some(2)));
            push_bytes(out, &session.id().to_bytes());
            push_int(out, session.ends_at().unix_timestamp() - issued);
        }
    }
    let pad = trailing_zeros(out.len() - start, principal_code);

    // The part a third party chooses.
    match claims.grant() {
        Grant::TicketGranting => {}
        Grant::Service { service, .. } => push_text(out, &mut scratch, service.as_str()),
        Grant::Proxy { service, proxies } => {
            push_text(out, &mut scratch, service.as_str());
            push_urls(out, &mut scratch, proxies.as_slice());
        }
        Grant::ProxyGranting { callback, upstream } => {
            push_text(out, &mut scratch, callback.as_str());
            push_urls(out, &mut scratch, upstream);
        }
        Grant::AccessToken { authorization } | Grant::RefreshToken { authorization } => {
            push_authorization(out, &mut scratch, authorization);
        }
        Grant::Code {
            authorization,
            redirect_uri,
            nonce,
            challenge,
        } => {
            push_authorization(out, &mut scratch, authorization);
            push_text(out, &mut scratch, redirect_uri.as_str());
            match nonce.as_ref().map(|n| (n, n.raw())) {
                None => push(out, Header::Simple(simple::NULL)),
                Some((_, Some(raw))) => {
                    push(out, Header::Tag(TAG_BASE64URL));
                    push_bytes(out, &raw);
                }
                Some((nonce, None)) => push_text(out, &mut scratch, nonce.as_str()),
            }
            match challenge {
                None => push(out, Header::Simple(simple::NULL)),
                Some(challenge) => push_bytes(out, &challenge.to_bytes()),
            }
        }
    }
    out.resize(out.len() + pad, 0);
}

/// The fields every code and token carries (FORMAT.md §7.1).
fn push_authorization(out: &mut Vec<u8>, scratch: &mut Vec<u8>, authorization: &Authorization) {
    push_bytes(out, &authorization.grant().to_bytes());
    push_text(out, scratch, authorization.client().as_str());
    let scopes = authorization.scopes();
    push(out, Header::Positive(u64::from(scopes.standard_bits())));
    push_texts(out, scratch, scopes.others());
    let claims = authorization.claims();
    push_texts(out, scratch, claims.id_token.as_slice());
    push_texts(out, scratch, claims.userinfo.as_slice());
}

fn push_texts(out: &mut Vec<u8>, scratch: &mut Vec<u8>, texts: &[String]) {
    push(out, Header::Array(Some(texts.len())));
    for text in texts {
        push_text(out, scratch, text);
    }
}

/// Zero bytes that pad a secret part of `secret` bytes to the quantum.
const fn pad_len(secret: usize) -> usize {
    (SECRET_QUANTUM - secret % SECRET_QUANTUM) % SECRET_QUANTUM
}

/// Writes one CBOR head, in its shortest form.
fn push(out: &mut Vec<u8>, header: Header) {
    // Writing into a Vec cannot fail.
    let _ = Encoder::from(out).push(header);
}

fn push_int(out: &mut Vec<u8>, n: i64) {
    match u64::try_from(n) {
        Ok(n) => push(out, Header::Positive(n)),
        // CBOR negative n encodes -1 - n.
        Err(_) => push(out, Header::Negative(n.unsigned_abs() - 1)),
    }
}

fn push_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    push(out, Header::Bytes(Some(bytes.len())));
    out.extend_from_slice(bytes);
}

fn push_text(out: &mut Vec<u8>, scratch: &mut Vec<u8>, text: &str) {
    scratch.clear();
    phrase::encode_into(text, scratch);
    push_bytes(out, scratch);
}

fn push_urls(out: &mut Vec<u8>, scratch: &mut Vec<u8>, urls: &[CallbackUrl]) {
    push(out, Header::Array(Some(urls.len())));
    for url in urls {
        push_text(out, scratch, url.as_str());
    }
}

/// Decodes claims of `kind` from exactly `bytes`: the one payload the
/// encoder makes of them, and nothing else.
pub fn from_cbor(kind: Kind, bytes: &[u8]) -> Result<Claims, Malformed> {
    read(kind, bytes).ok_or(Malformed::Payload)
}

fn read(kind: Kind, bytes: &[u8]) -> Option<Claims> {
    let mut r = Reader { bytes, at: 0 };
    if r.array(array_len(kind))? != array_len(kind) {
        return None;
    }
    let issued = r.int()?;
    let lifetime = i64::try_from(r.uint()?).ok()?;

    let secret_start = r.at;
    let auth_age = r.int()?;
    let flags = r.uint()?;
    let allowed = match kind {
        Kind::St => FLAG_REMEMBER_ME | FLAG_FRESH_LOGIN,
        _ => FLAG_REMEMBER_ME,
    };
    if flags & !allowed != 0 {
        return None;
    }
    let instant = |unix: i64| OffsetDateTime::from_unix_timestamp(unix).ok();
    let issued_at = instant(issued)?;
    let expires_at = instant(issued.checked_add(lifetime)?)?;
    let authenticated_at = instant(issued.checked_sub(auth_age)?)?;

    let code = r.bytes(phrase::max_code_len(MAX_PRINCIPAL_BYTES))?;
    let principal_code = code.len();
    let principal = phrase::decode(code, MAX_PRINCIPAL_BYTES).ok()?;
    let mut auth = Authentication::new(principal, authenticated_at)
        .ok()?
        .with_remember_me(flags & FLAG_REMEMBER_ME != 0);
    for _ in 0..r.array(MAX_METHODS)? {
        auth = auth.with_method(r.text(MAX_METHOD_BYTES)?).ok()?;
    }
    let session = match (kind, r.head()?) {
        (_, (MAJOR_SIMPLE, NULL)) => None,
        (Kind::Tgt, (MAJOR_BYTES, len)) if len == SESSION_ID_BYTES as u64 => Some(Session::new(
            SessionId::from_bytes(r.content()?),
            expires_at,
        )),
        (_, (MAJOR_ARRAY, 2)) if kind != Kind::Tgt => {
            let id = SessionId::from_bytes(r.fixed()?);
            let ends_at = instant(issued.checked_add(r.int()?)?)?;
            Some(Session::new(id, ends_at))
        }
        _ => return None,
    };
    let pad = trailing_zeros(r.at - secret_start, principal_code);

    let grant = match kind {
        Kind::Tgt => Grant::TicketGranting,
        Kind::St => Grant::Service {
            service: Service::from_stored(r.text(MAX_STORED_SERVICE_CHARS)?)?,
            fresh_login: flags & FLAG_FRESH_LOGIN != 0,
        },
        Kind::Pt => Grant::Proxy {
            service: Service::from_stored(r.text(MAX_STORED_SERVICE_CHARS)?)?,
            proxies: ProxyChain::new(r.urls(1, MAX_PROXIES)?).ok()?,
        },
        Kind::Pgt => Grant::ProxyGranting {
            callback: CallbackUrl::from_stored(r.text(MAX_CALLBACK_URL_BYTES)?)?,
            upstream: r.urls(0, MAX_PROXIES - 1)?,
        },
        Kind::AccessToken => Grant::AccessToken {
            authorization: r.authorization()?,
        },
        Kind::RefreshToken => Grant::RefreshToken {
            authorization: r.authorization()?,
        },
        Kind::Code => Grant::Code {
            authorization: r.authorization()?,
            redirect_uri: Service::from_stored(r.text(MAX_STORED_SERVICE_CHARS)?)?,
            nonce: r.nonce()?,
            challenge: r.challenge()?,
        },
    };
    // Exactly the pad, all zero, and nothing after it.
    let rest = bytes.get(r.at..)?;
    if rest.len() != pad || rest.iter().any(|&b| b != 0) {
        return None;
    }
    Claims::from_parts(auth, grant, issued_at, expires_at, session).ok()
}

const MAJOR_UNSIGNED: u8 = 0;
const MAJOR_NEGATIVE: u8 = 1;
const MAJOR_BYTES: u8 = 2;
const MAJOR_ARRAY: u8 = 4;
const MAJOR_TAG: u8 = 6;
const MAJOR_SIMPLE: u8 = 7;
/// The simple value `null` (`0xF6`).
const NULL: u64 = 22;

/// A strict reader of the CBOR the encoder writes: definite lengths only,
/// every head in its shortest form, phrase codes in their greedy form.
#[derive(Clone, Copy)]
struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    /// The next head as (major type, argument), refusing any head longer
    /// than its argument needs (RFC 8949 §4.2.1) and indefinite lengths.
    fn head(&mut self) -> Option<(u8, u64)> {
        let first = *self.bytes.get(self.at)?;
        self.at += 1;
        let (major, info) = (first >> 5, first & 0x1F);
        let (width, least) = match info {
            0..=23 => return Some((major, u64::from(info))),
            24 => (1, 24),
            25 => (2, 1 << 8),
            26 => (4, 1 << 16),
            27 => (8, 1 << 32),
            _ => return None,
        };
        let arg = self.bytes.get(self.at..self.at + width)?;
        self.at += width;
        let value = arg.iter().fold(0_u64, |v, &b| (v << 8) | u64::from(b));
        (value >= least).then_some((major, value))
    }

    fn array(&mut self, max: usize) -> Option<usize> {
        match self.head()? {
            (MAJOR_ARRAY, len) => usize::try_from(len).ok().filter(|&len| len <= max),
            _ => None,
        }
    }

    /// The content of a byte string of at most `max` bytes.
    fn bytes(&mut self, max: usize) -> Option<&'a [u8]> {
        let len = match self.head()? {
            (MAJOR_BYTES, len) => usize::try_from(len).ok().filter(|&len| len <= max)?,
            _ => return None,
        };
        let content = self.bytes.get(self.at..self.at.checked_add(len)?)?;
        self.at += len;
        Some(content)
    }

    /// The `N` bytes of a byte string whose head was just read.
    fn content<const N: usize>(&mut self) -> Option<[u8; N]> {
        let bytes = self.bytes.get(self.at..self.at.checked_add(N)?)?;
        self.at += N;
        bytes.try_into().ok()
    }

    /// A phrase-coded text field of at most `max` bytes once expanded, whose
    /// code is the one the encoder writes.
    fn text(&mut self, max: usize) -> Option<String> {
        let code = self.bytes(phrase::max_code_len(max))?;
        phrase::decode(code, max).ok()
    }

    fn urls(&mut self, min: usize, max: usize) -> Option<Vec<CallbackUrl>> {
        let len = self.array(max)?;
        if len < min {
            return None;
        }
        (0..len)
            .map(|_| CallbackUrl::from_stored(self.text(MAX_CALLBACK_URL_BYTES)?))
            .collect()
    }

    /// A byte string of exactly `N` bytes.
    fn fixed<const N: usize>(&mut self) -> Option<[u8; N]> {
        match self.head()? {
            (MAJOR_BYTES, len) if len == N as u64 => self.content(),
            _ => None,
        }
    }

    /// An array of at most `max` phrase-coded texts of at most `max_bytes`
    /// bytes each, in strictly ascending byte order.
    fn sorted_texts(&mut self, max: usize, max_bytes: usize) -> Option<Vec<String>> {
        let len = self.array(max)?;
        let texts = (0..len)
            .map(|_| self.text(max_bytes))
            .collect::<Option<Vec<_>>>()?;
        texts
            .windows(2)
            .all(|w| matches!(w, [a, b] if a < b))
            .then_some(texts)
    }

    /// The fields every code and token carries (FORMAT.md §7.1).
    fn authorization(&mut self) -> Option<Authorization> {
        let grant = GrantId::from_bytes(self.fixed::<GRANT_ID_BYTES>()?);
        let client = ClientId::new(self.text(MAX_CLIENT_ID_BYTES)?).ok()?;
        let standard = self.uint()?;
        let others = self.sorted_texts(MAX_EXTRA_SCOPES, MAX_SCOPE_BYTES)?;
        let scopes = Scopes::from_parts(standard, others)?;
        let mut names =
            || ClaimNames::from_sorted(self.sorted_texts(MAX_CLAIM_NAMES, MAX_CLAIM_NAME_BYTES)?);
        let claims = ClaimsRequest {
            id_token: names()?,
            userinfo: names()?,
        };
        Some(Authorization::new(client, scopes, grant).with_claims(claims))
    }

    /// A code's nonce: `null`, tag 21 and the bytes a base64url nonce
    /// spells, or the code of any other nonce's text.
    fn nonce(&mut self) -> Option<Option<Nonce>> {
        let mut ahead = *self;
        match ahead.head()? {
            (MAJOR_SIMPLE, NULL) => {
                *self = ahead;
                Some(None)
            }
            (MAJOR_TAG, TAG_BASE64URL) => {
                *self = ahead;
                Nonce::from_raw(self.bytes(MAX_RAW_NONCE_BYTES)?).map(Some)
            }
            (MAJOR_BYTES, _) => {
                let nonce = Nonce::new(self.text(MAX_NONCE_BYTES)?).ok()?;
                // A nonce that spells bytes is carried as them, never as text.
                nonce.raw().is_none().then_some(Some(nonce))
            }
            _ => None,
        }
    }

    /// A code's PKCE challenge: `null` or its 32 bytes.
    fn challenge(&mut self) -> Option<Option<CodeChallenge>> {
        let mut ahead = *self;
        if ahead.head()? == (MAJOR_SIMPLE, NULL) {
            *self = ahead;
            return Some(None);
        }
        Some(Some(CodeChallenge::from_bytes(self.fixed()?)))
    }

    fn uint(&mut self) -> Option<u64> {
        match self.head()? {
            (MAJOR_UNSIGNED, n) => Some(n),
            _ => None,
        }
    }

    fn int(&mut self) -> Option<i64> {
        match self.head()? {
            (MAJOR_UNSIGNED, n) => i64::try_from(n).ok(),
            // CBOR negative n encodes -1 - n.
            (MAJOR_NEGATIVE, n) => i64::try_from(n).ok().map(|n| -1 - n),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    const NOW: OffsetDateTime = datetime!(2026-11-22 10:00 UTC);

    fn st(principal: &str, service: &str) -> Claims {
        let auth = Authentication::new(principal, NOW - time::Duration::minutes(5))
            .unwrap()
            .with_method("Password")
            .unwrap();
        let grant = Grant::Service {
            service: Service::new(service).unwrap(),
            fresh_login: false,
        };
        Claims::with_lifetime(auth, grant, NOW, time::Duration::seconds(10)).unwrap()
    }

    /// Bytes of the secret part and its pad.
    fn secret_len(claims: &Claims) -> usize {
        let mut out = Vec::new();
        to_cbor(claims, &mut out);
        let mut public = Vec::new();
        push(&mut public, Header::Array(Some(8)));
        push_int(&mut public, NOW.unix_timestamp());
        push_int(&mut public, 10);
        let mut chosen = Vec::new();
        push_text(
            &mut chosen,
            &mut Vec::new(),
            claims.service().unwrap().as_str(),
        );
        out.len() - public.len() - chosen.len()
    }

    #[test]
    fn the_principal_counts_as_its_bucket_and_the_secret_part_as_the_quantum() {
        // Principal codes of 1 to 300 bytes: the secret part's length is
        // one per bucket (8, 16, 32, …), whatever the code's own length.
        let mut by_bucket = std::collections::BTreeMap::new();
        for n in 1..=MAX_PRINCIPAL_BYTES {
            let principal = "q".repeat(n);
            let claims = st(&principal, "https://app.example.edu/");
            let secret = secret_len(&claims);
            assert_eq!(secret % SECRET_QUANTUM, 0, "{n}");
            let bucket = principal_bucket(phrase::encode(&principal).len());
            assert_eq!(*by_bucket.entry(bucket).or_insert(secret), secret, "{n}");
            let mut out = Vec::new();
            to_cbor(&claims, &mut out);
            assert_eq!(from_cbor(Kind::St, &out), Ok(claims));
        }
        assert_eq!(
            by_bucket.keys().copied().collect::<Vec<_>>(),
            [8, 16, 32, 64, 128, 256]
        );
        let lengths: Vec<usize> = by_bucket.values().copied().collect();
        assert!(lengths.windows(2).all(|w| w[0] < w[1]), "{lengths:?}");
    }

    #[test]
    fn buckets_are_powers_of_two_of_at_least_eight() {
        for (code, bucket) in [
            (0, 8),
            (1, 8),
            (8, 8),
            (9, 16),
            (16, 16),
            (17, 32),
            (300, 512),
        ] {
            assert_eq!(principal_bucket(code), bucket, "{code}");
        }
    }

    #[test]
    fn fields_at_their_bound_round_trip_in_any_script() {
        // 256 bytes of two-byte UTF-8: the code is longer than the text.
        let principal = "é".repeat(MAX_PRINCIPAL_BYTES / 2);
        let method = "ü".repeat(MAX_METHOD_BYTES / 2);
        // A method whose non-ASCII characters each need a raw run of their
        // own: its code is almost twice its text (found by the fuzzer).
        let sparse = "aé".repeat(MAX_METHOD_BYTES / 3);
        let auth = Authentication::new(&principal, NOW)
            .unwrap()
            .with_method(&method)
            .unwrap()
            .with_method(&sparse)
            .unwrap();
        let claims =
            Claims::with_lifetime(auth, Grant::TicketGranting, NOW, time::Duration::HOUR).unwrap();
        let mut out = Vec::new();
        to_cbor(&claims, &mut out);
        assert!(phrase::encode(&principal).len() > MAX_PRINCIPAL_BYTES);
        assert_eq!(from_cbor(Kind::Tgt, &out), Ok(claims));
    }

    #[test]
    fn the_payload_is_one_cbor_item_then_the_pad() {
        for n in 1..=2 * SECRET_QUANTUM {
            let claims = st(&"q".repeat(n), "https://app.example.edu/");
            let mut out = Vec::new();
            to_cbor(&claims, &mut out);
            let mut rest = out.as_slice();
            let item: ciborium::Value = ciborium::from_reader(&mut rest).unwrap();
            assert_eq!(item.as_array().map(Vec::len), Some(array_len(Kind::St)));
            let bucket = principal_bucket(phrase::encode(&"q".repeat(n)).len());
            assert!(rest.len() < bucket + SECRET_QUANTUM && rest.iter().all(|&b| b == 0));
        }
    }

    #[test]
    fn a_pad_that_is_not_the_least_or_not_zero_is_refused() {
        for n in 1..=SECRET_QUANTUM {
            let claims = st(&"q".repeat(n), "https://app.example.edu/");
            let mut out = Vec::new();
            to_cbor(&claims, &mut out);
            let pad = out.iter().rev().take_while(|&&b| b == 0).count();
            let mut longer = out.clone();
            longer.extend([0; SECRET_QUANTUM]);
            assert_eq!(from_cbor(Kind::St, &longer), Err(Malformed::Payload));
            if pad > 0 {
                let mut shorter = out.clone();
                shorter.pop();
                assert_eq!(from_cbor(Kind::St, &shorter), Err(Malformed::Payload));
                let mut nonzero = out.clone();
                *nonzero.last_mut().unwrap() = 1;
                assert_eq!(from_cbor(Kind::St, &nonzero), Err(Malformed::Payload));
            }
        }
    }
}
