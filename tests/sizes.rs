//! The size bars of DESIGN.md and issue 10: lengths are deterministic, so
//! they are tests. "Typical" is DESIGN.md's user (`jdoe@example.edu`, one
//! method `Password`) and service, in an 8-hour SSO session as a node mints
//! them, and without one as `ticketctl encode` does by default.
mod common;

use cas_ticket_codec::{Alg, Claims, Grant, MAX_TICKET_CHARS};
use common::*;

const ALGS: [Alg; 2] = [Alg::Aes256Gcm, Alg::XChaCha20Poly1305];

fn len(alg: Alg, claims: &Claims) -> usize {
    codec(alg).encode(claims).unwrap().len()
}

#[test]
fn print_sizes() {
    for alg in ALGS {
        for claims in all_kinds() {
            let t = codec(alg).encode(&claims).unwrap();
            println!("{alg} {} {} {t}", claims.kind(), t.len());
        }
        let plain = st_without_session();
        println!("{alg} ST without session {}", len(alg, &plain));
    }
}

#[test]
fn typical_service_ticket_is_at_most_120_characters() {
    for alg in ALGS {
        assert!(len(alg, &st()) <= 120, "{alg}: {}", len(alg, &st()));
        let plain = st_without_session();
        assert!(len(alg, &plain) <= 120, "{alg}: {}", len(alg, &plain));
    }
}

#[test]
fn a_session_costs_at_most_17_characters() {
    // 8 bytes of id, the session's end and their CBOR heads: about 12 bytes.
    for alg in ALGS {
        let cost = len(alg, &st()) - len(alg, &st_without_session());
        assert!((1..=17).contains(&cost), "{alg}: {cost}");
    }
}

#[test]
fn typical_tgt_is_at_most_100_characters() {
    for alg in ALGS {
        assert!(len(alg, &tgt()) <= 100, "{alg}: {}", len(alg, &tgt()));
    }
}

#[test]
fn two_hop_proxy_ticket_is_at_most_210_characters() {
    for alg in ALGS {
        let pt = pt();
        let Grant::Proxy { proxies, .. } = pt.grant() else {
            panic!("not a PT");
        };
        assert_eq!(proxies.as_slice().len(), 2, "a two-hop chain");
        assert!(len(alg, &pt) <= 210, "{alg}: {}", len(alg, &pt));
    }
}

#[test]
fn every_kind_with_realistic_claims_fits_the_cap() {
    for alg in ALGS {
        for claims in all_kinds() {
            assert!(len(alg, &claims) <= MAX_TICKET_CHARS);
        }
    }
}

/// Issue 23's bars for the typical relying party (client `moodle`, its
/// redirect URI, `openid profile email`, a 43-character nonce and an S256
/// challenge, the typical principal in a session).
#[test]
fn typical_code_is_at_most_300_characters_and_tokens_160_and_180() {
    for alg in ALGS {
        let code = len(alg, &code());
        let access = len(alg, &access_token());
        let refresh = len(alg, &refresh_token());
        assert!(code <= 300, "{alg}: OC {code}");
        assert!(access <= 160, "{alg}: AT {access}");
        assert!(refresh <= 180, "{alg}: RT {refresh}");
    }
}
