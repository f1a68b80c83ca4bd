//! The designs considered for format v2's compression, side by side: size
//! of the ticket they give and time of the compression step, for the same
//! claims. Printed as a table, then measured with criterion.
//!
//! * **v2 phrase code** (chosen): each text field coded alone against a
//!   static phrase table (`stages::to_cbor`).
//! * **two DEFLATE streams**: the secret fields and the chosen fields each
//!   deflated on their own, with format v1's preset dictionary.
//! * **HPACK Huffman**: each text field coded alone with RFC 7541's static
//!   Huffman code, the HPACK way.
//! * **plain CBOR**: no compression at all.
//! * **v1, one DEFLATE stream**: everything in one window (the length
//!   oracle), for reference.
//!
//! `cargo bench --bench compression`

use std::hint::black_box;
use std::time::Duration as StdDuration;

use cas_ticket_codec::{Claims, Session, SessionId, base62, stages};
use ciborium_ll::{Encoder, Header};
use criterion::{Criterion, criterion_group, criterion_main};
use flate2::{Compress, Compression, FlushCompress, Status};
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

const NOW: OffsetDateTime = datetime!(2026-11-22 10:00:00 UTC);

/// Format v1's preset dictionary.
const V1_DICTIONARY: &[u8] = b"X509CertificateDuoSecurityMultifactorLdapAuthenticationHandler\
AcceptUsersAuthenticationHandlerRemembered/cas/proxyCallback?service=https%3A%2F%2F\
?target=%2F/login.example.org/.com/.edu/http://https://www.Passwordhttps://";

/// Header, nonce and tag around every payload.
const OVERHEAD_BYTES: usize = 3 + 16 + 16;

#[path = "../tests/common/mod.rs"]
mod common;

fn st(principal: &str, service: &str, session: bool) -> Claims {
    let claims = common::st_for(principal, service);
    if !session {
        return claims;
    }
    let session = Session::new(
        SessionId::from_bytes(*b"session!"),
        NOW + Duration::hours(8),
    );
    claims.with_session(session).unwrap()
}

fn cases() -> Vec<(&'static str, Claims)> {
    vec![
        (
            "typical ST (DESIGN.md)",
            st(
                "jdoe@example.edu",
                "https://app.example.edu/login?target=%2Fhome",
                false,
            ),
        ),
        (
            "typical ST, in a session",
            st(
                "jdoe@example.edu",
                "https://app.example.edu/login?target=%2Fhome",
                true,
            ),
        ),
        (
            "campus ST, in a session",
            st(
                "marie.dupont@etu.univ-lyon1.fr",
                "https://moodle.univ-lyon1.fr/login/index.php",
                true,
            ),
        ),
    ]
}

fn head(out: &mut Vec<u8>, header: Header) {
    let _ = Encoder::from(out).push(header);
}

fn bytes(out: &mut Vec<u8>, content: &[u8]) {
    head(out, Header::Bytes(Some(content.len())));
    out.extend_from_slice(content);
}

fn int(out: &mut Vec<u8>, n: i64) {
    match u64::try_from(n) {
        Ok(n) => head(out, Header::Positive(n)),
        Err(_) => head(out, Header::Negative(n.unsigned_abs() - 1)),
    }
}

/// The claims' fields as CBOR, each text passed through `code`: the public
/// part, the secret part and the chosen part, separately.
fn parts(claims: &Claims, code: &dyn Fn(&str) -> Vec<u8>) -> [Vec<u8>; 3] {
    let auth = claims.authentication();
    let issued = claims.issued_at().unix_timestamp();
    let mut public = Vec::new();
    head(&mut public, Header::Array(Some(8)));
    int(&mut public, issued);
    int(&mut public, claims.expires_at().unix_timestamp() - issued);
    let mut secret = Vec::new();
    int(
        &mut secret,
        issued - auth.authenticated_at().unix_timestamp(),
    );
    head(&mut secret, Header::Positive(0));
    bytes(&mut secret, &code(auth.principal()));
    head(&mut secret, Header::Array(Some(auth.methods().len())));
    for m in auth.methods() {
        bytes(&mut secret, &code(m));
    }
    match claims.session() {
        Some(s) => {
            head(&mut secret, Header::Array(Some(2)));
            bytes(&mut secret, &s.id().to_bytes());
            int(&mut secret, s.ends_at().unix_timestamp() - issued);
        }
        None => head(&mut secret, Header::Simple(22)),
    }
    let mut chosen = Vec::new();
    bytes(&mut chosen, &code(claims.service().unwrap().as_str()));
    [public, secret, chosen]
}

/// Raw DEFLATE (level 1) with v1's dictionary, as v1 made it.
fn deflate(input: &[u8]) -> Vec<u8> {
    let mut c = Compress::new(Compression::fast(), false);
    c.set_dictionary(V1_DICTIONARY).unwrap();
    let mut out = Vec::with_capacity(input.len() + 64);
    assert_eq!(
        c.compress_vec(input, &mut out, FlushCompress::Finish)
            .unwrap(),
        Status::StreamEnd
    );
    out
}

fn plain(text: &str) -> Vec<u8> {
    text.as_bytes().to_vec()
}

fn huffman(text: &str) -> Vec<u8> {
    let mut out = Vec::new();
    httlib_huffman::encode(text.as_bytes(), &mut out).unwrap();
    out
}

/// How many payload bytes a design makes of some claims.
type PayloadLen = fn(&Claims) -> usize;

/// Payload bytes of each design.
fn designs() -> Vec<(&'static str, PayloadLen)> {
    vec![
        ("v2 phrase code (chosen)", |c| stages::to_cbor(c).len()),
        ("two DEFLATE streams", |c| {
            let [public, secret, chosen] = parts(c, &plain);
            // Each stream stored as a byte string; raw CBOR if DEFLATE does not help.
            let squeeze = |part: &[u8]| deflate(part).len().min(part.len()) + 2;
            public.len() + squeeze(&secret) + squeeze(&chosen)
        }),
        ("HPACK Huffman per field", |c| {
            parts(c, &huffman).iter().map(Vec::len).sum()
        }),
        ("plain CBOR", |c| {
            parts(c, &plain).iter().map(Vec::len).sum()
        }),
        ("v1: one DEFLATE stream (leaks)", |c| {
            let all: Vec<u8> = parts(c, &plain).concat();
            deflate(&all).len().min(all.len())
        }),
    ]
}

fn print_sizes() {
    eprintln!(
        "\n| design | {} |",
        cases()
            .iter()
            .map(|(n, _)| *n)
            .collect::<Vec<_>>()
            .join(" | ")
    );
    eprintln!("|---|{}", "---:|".repeat(cases().len()));
    for (name, payload) in designs() {
        let cells: Vec<String> = cases()
            .iter()
            .map(|(_, c)| {
                let bytes = payload(c);
                format!(
                    "{} ({bytes} B)",
                    3 + base62::encoded_len(OVERHEAD_BYTES + bytes)
                )
            })
            .collect();
        eprintln!("| {name} | {} |", cells.join(" | "));
    }
    eprintln!();
}

fn compression(c: &mut Criterion) {
    print_sizes();
    let claims = &cases()[1].1;
    let mut group = c.benchmark_group("compress");
    group.bench_function("v2_phrase_code", |b| {
        b.iter(|| stages::to_cbor(black_box(claims)))
    });
    // DEFLATE with the state reused across tickets, as v1 did.
    let mut d = Compress::new(Compression::fast(), false);
    let mut out = Vec::with_capacity(256);
    let mut squeeze = |input: &[u8], out: &mut Vec<u8>| {
        d.reset();
        d.set_dictionary(V1_DICTIONARY).unwrap();
        d.compress_vec(input, out, FlushCompress::Finish).unwrap();
    };
    group.bench_function("two_deflate_streams", |b| {
        b.iter(|| {
            let [_, secret, chosen] = parts(black_box(claims), &plain);
            out.clear();
            squeeze(&secret, &mut out);
            squeeze(&chosen, &mut out);
            out.len()
        })
    });
    group.bench_function("hpack_huffman", |b| {
        b.iter(|| parts(black_box(claims), &huffman))
    });
    group.bench_function("plain_cbor", |b| {
        b.iter(|| parts(black_box(claims), &plain))
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(StdDuration::from_secs(1))
        .measurement_time(StdDuration::from_secs(3));
    targets = compression
}
criterion_main!(benches);
