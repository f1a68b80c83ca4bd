//! No length oracle (FORMAT.md §12): a ticket's length is a function of the
//! secret fields alone plus a function of the fields a third party chooses
//! alone. Tested as a distribution over random principals and services that
//! contain the principal, a prefix of it, or a random string of the same
//! length; and shown to catch the leak of a shared compression context.
mod common;

use cas_ticket_codec::oauth::{
    Authorization, ClaimNames, ClaimsRequest, ClientId, GrantId, Nonce, Scopes,
};
use cas_ticket_codec::{
    Alg, Claims, Grant, MAX_TICKET_CHARS, Service, Session, SessionId, base62, stages,
};
use common::{NOW, codec, st_for};
use flate2::{Compress, Compression, FlushCompress};
use time::Duration;

const TRIALS: usize = 10_000;

/// A small deterministic generator (xorshift64*), so a failure replays.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// A principal-like string: letters, digits and `._-@`, sometimes with
    /// a domain the phrase table knows.
    fn principal(&mut self, len: usize) -> String {
        const CHARS: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789._-ABCDEFGHIJKLMNOPQRSTUVWXYZ";
        (0..len)
            .map(|_| char::from(CHARS[self.below(CHARS.len())]))
            .collect()
    }
}

/// One trial: a principal `p`, a random string `r` of the same length, and
/// services holding `p`, a prefix of `p` (completed with `r`), and `r`.
struct Trial {
    p: String,
    r: String,
    services: [String; 3],
    session: bool,
}

fn trials() -> Vec<Trial> {
    let mut rng = Rng(0x0123_4567_89ab_cdef);
    (0..TRIALS)
        .map(|i| {
            let len = 1 + rng.below(28);
            let mut p = rng.principal(len);
            if i % 3 == 0 {
                p.push_str("@example.edu");
            }
            let mut r = rng.principal(len);
            if i % 3 == 0 {
                r.push_str(&rng.principal(12));
            }
            let cut = 1 + rng.below(p.len());
            let prefix = format!("{}{}", &p[..cut], &r[cut..]);
            let base = [
                "https://app.example.edu/login?user=",
                "https://x.test/",
                "http://h/?q=",
            ][rng.below(3)];
            let services = [p.as_str(), prefix.as_str(), r.as_str()].map(|s| format!("{base}{s}"));
            Trial {
                p,
                r,
                services,
                session: i % 2 == 0,
            }
        })
        .collect()
}

/// The ticket bytes (what the text's length is a fixed function of) of an
/// ST for `principal` and `service`.
fn ticket_bytes(principal: &str, service: &str, session: bool) -> usize {
    let mut claims = st_for(principal, service);
    if session {
        let session = Session::new(SessionId::from_bytes([9; 8]), NOW + Duration::hours(8));
        claims = claims.with_session(session).unwrap();
    }
    let ticket = codec(Alg::Aes256Gcm).encode(&claims).unwrap();
    assert!(ticket.len() <= MAX_TICKET_CHARS);
    let body = ticket.strip_prefix("ST-").unwrap();
    let bytes = base62::decoded_len(body.len()).unwrap();
    assert_eq!(base62::encoded_len(bytes), body.len());
    bytes
}

/// For each trial, the lengths of `p` and of `r` with each of its services.
fn lengths(trials: &[Trial], len: impl Fn(&str, &str, bool) -> usize) -> Vec<[[usize; 3]; 2]> {
    trials
        .iter()
        .map(|t| [&t.p, &t.r].map(|who| t.services.clone().map(|s| len(who, &s, t.session))))
        .collect()
}

/// The trials where `len(p, s) - len(r, s)` is not the same for all three
/// services: where the length says how the principal and the service relate.
fn violations(lengths: &[[[usize; 3]; 2]]) -> usize {
    lengths
        .iter()
        .filter(|[p, r]| {
            let diffs = [0, 1, 2].map(|i| p[i] as i64 - r[i] as i64);
            diffs.windows(2).any(|w| w[0] != w[1])
        })
        .count()
}

#[test]
fn ticket_lengths_never_depend_on_how_principal_and_service_relate() {
    let trials = trials();
    let lengths = lengths(&trials, ticket_bytes);
    assert_eq!(violations(&lengths), 0);

    // The literal form: two principals whose secret parts fall in the same
    // length class give tickets of identical length for every service,
    // whether it contains the first principal, a prefix of it, or neither.
    let mut identical = 0;
    for (t, [p, r]) in trials.iter().zip(&lengths) {
        let base = |who: &str| ticket_bytes(who, "https://app.example.edu/", t.session);
        if base(&t.p) == base(&t.r) {
            identical += 1;
            assert_eq!(p, r, "{:?}", (&t.p, &t.r, &t.services));
        }
    }
    assert!(
        identical > TRIALS / 10,
        "only {identical} pairs of equal class"
    );
}

/// The payload bytes (of which a ticket's length is a fixed function, and
/// which may exceed a code's cap here) of an authorization code for `principal` whose chosen
/// fields all hold `service`'s text: the redirect URI is the service, and
/// its last part is the nonce, a requested scope and a claim name.
fn code_bytes(principal: &str, service: &str, session: bool) -> usize {
    let inner = service.rsplit(['=', '/']).next().unwrap();
    let claims = ClaimsRequest {
        id_token: ClaimNames::new([inner]).unwrap(),
        userinfo: ClaimNames::default(),
    };
    let authorization = Authorization::new(
        ClientId::new("moodle").unwrap(),
        Scopes::parse(&format!("openid urn:{inner}")).unwrap(),
        GrantId::from_bytes([3; 8]),
    )
    .with_claims(claims);
    let grant = Grant::Code {
        authorization,
        redirect_uri: Service::new(service).unwrap(),
        nonce: Some(Nonce::new(inner).unwrap()),
        challenge: None,
    };
    let auth = st_for(principal, service).authentication().clone();
    let mut claims = Claims::with_lifetime(auth, grant, NOW, Duration::seconds(30)).unwrap();
    if session {
        let session = Session::new(SessionId::from_bytes([9; 8]), NOW + Duration::hours(8));
        claims = claims.with_session(session).unwrap();
    }
    stages::to_cbor(&claims).len()
}

#[test]
fn code_lengths_never_depend_on_how_principal_and_chosen_fields_relate() {
    let trials = trials();
    let lengths = lengths(&trials, code_bytes);
    assert_eq!(violations(&lengths), 0);
}

/// v1's design, one DEFLATE stream over the principal and the service: the
/// same check finds the leak in most trials, so the test above can fail.
#[test]
fn the_check_catches_a_shared_compression_context() {
    let shared = |principal: &str, service: &str, _: bool| {
        let mut c = Compress::new(Compression::fast(), false);
        let mut out = Vec::with_capacity(256);
        let input = format!("{principal}\0Password\0{service}");
        c.compress_vec(input.as_bytes(), &mut out, FlushCompress::Finish)
            .unwrap();
        out.len()
    };
    let trials: Vec<Trial> = trials().into_iter().take(1000).collect();
    let found = violations(&lengths(&trials, shared));
    assert!(
        found > trials.len() / 2,
        "only {found} of {} trials leak",
        trials.len()
    );
}
