//! The size bars of DESIGN.md: lengths are deterministic, so they are tests.
mod common;

use cas_ticket_codec::{Alg, MAX_TICKET_CHARS};
use common::*;

#[test]
fn print_sizes() {
    for alg in [Alg::Aes256Gcm, Alg::XChaCha20Poly1305] {
        let codec = codec(alg);
        for claims in all_kinds() {
            let t = codec.encode(&claims).unwrap();
            println!("{alg} {} {} {t}", claims.kind(), t.len());
        }
    }
}

#[test]
fn typical_service_ticket_is_at_most_130_characters() {
    for alg in [Alg::Aes256Gcm, Alg::XChaCha20Poly1305] {
        let ticket = codec(alg).encode(&st()).unwrap();
        assert!(ticket.len() <= 130, "{alg}: {} {ticket}", ticket.len());
    }
}

#[test]
fn typical_tgt_is_at_most_130_characters() {
    for alg in [Alg::Aes256Gcm, Alg::XChaCha20Poly1305] {
        let ticket = codec(alg).encode(&tgt()).unwrap();
        assert!(ticket.len() <= 130, "{alg}: {} {ticket}", ticket.len());
    }
}

#[test]
fn every_kind_with_realistic_claims_fits_the_cap() {
    for alg in [Alg::Aes256Gcm, Alg::XChaCha20Poly1305] {
        for claims in all_kinds() {
            let ticket = codec(alg).encode(&claims).unwrap();
            assert!(ticket.len() <= MAX_TICKET_CHARS, "{}", ticket.len());
        }
    }
}
