//! Bounded resources: hostile but authentic payloads, and oversize input.
//!
//! The sealing here is written from FORMAT.md §4–§5 with the primitive crates
//! directly, not through the library: it is also a second implementation of
//! the seal, checked against the first.
mod common;

use cas_ticket_codec::{
    Alg, Codec, Error, Kind, MAX_CODE_CHARS, MAX_TICKET_CHARS, Malformed, base62, phrase, stages,
};
use common::{NOW, keyring};
use hkdf::Hkdf;
use sha2::Sha256;
use xaes_256_gcm::Xaes256Gcm;
use xaes_256_gcm::aead::{AeadInOut, KeyInit};

const SECRET: [u8; 32] = [0x11; 32];
const KEY_ID: [u8; 2] = [0, 1];

/// Seals `plaintext` as a ticket of `kind` under the common test key
/// (aes256gcm, id 0001), exactly as FORMAT.md describes.
fn seal(kind: Kind, plaintext: &[u8]) -> String {
    let prefix = kind.prefix();
    let mut subkey = [0_u8; 32];
    Hkdf::<Sha256>::new(Some(b"cas-ticket-codec v2"), &SECRET)
        .expand(format!("aes256gcm {prefix}").as_bytes(), &mut subkey)
        .unwrap();
    let header = [2, KEY_ID[0], KEY_ID[1]];
    let nonce16: [u8; 16] = *b"hostile-nonce-16";
    let mut nonce = [0_u8; 24];
    nonce[..16].copy_from_slice(&nonce16);
    let mut ad = format!("{prefix}-").into_bytes();
    ad.extend_from_slice(&header);
    let mut buf = plaintext.to_vec();
    let tag = Xaes256Gcm::new(&subkey.into())
        .encrypt_inout_detached(&nonce.into(), &ad, buf.as_mut_slice().into())
        .unwrap();
    let mut bytes = header.to_vec();
    bytes.extend_from_slice(&nonce16);
    bytes.extend_from_slice(&buf);
    bytes.extend_from_slice(&tag);
    format!("{prefix}-{}", base62::encode(&bytes))
}

fn codec() -> Codec {
    Codec::new(&keyring(0x0001, Alg::Aes256Gcm, 0x11))
}

/// FORMAT.md §13's replay id, computed from the text with hkdf and hmac
/// alone, equals the decoder's.
#[test]
fn an_independent_replay_id_matches() {
    use hmac::{KeyInit as _, Mac as _};
    let mut replay_key = [0_u8; 32];
    Hkdf::<Sha256>::new(Some(b"cas-ticket-codec v2"), &SECRET)
        .expand(b"aes256gcm replay", &mut replay_key)
        .unwrap();
    for claims in common::all_kinds() {
        let ticket = seal(claims.kind(), &stages::to_cbor(&claims));
        let mut mac = hmac::Hmac::<Sha256>::new_from_slice(&replay_key).unwrap();
        mac.update(claims.kind().prefix().as_bytes());
        mac.update(b"hostile-nonce-16");
        let expected = &mac.finalize().into_bytes()[..16];
        let codec = codec();
        let decoded = codec.decode(&ticket, NOW).unwrap();
        assert_eq!(
            &codec.replay_id(&decoded).unwrap()[..],
            expected,
            "{}",
            claims.kind()
        );
    }
}

#[test]
fn an_independent_seal_of_real_claims_decodes() {
    for claims in common::all_kinds() {
        let ticket = seal(claims.kind(), &stages::to_cbor(&claims));
        assert_eq!(codec().decode(&ticket, NOW).unwrap().claims(), &claims);
        assert_eq!(codec().encode(&claims).unwrap().len(), ticket.len());
    }
}

/// The payload of a TGT whose principal is `code`, read as phrase code.
fn tgt_payload(code: &[u8]) -> Vec<u8> {
    let mut p = vec![0x87, 0x1a, 0x6b, 0x02, 0xbd, 0x20, 0x0a, 0x00, 0x00];
    assert!(code.len() < 256);
    if code.len() < 24 {
        p.push(0x40 + code.len() as u8);
    } else {
        p.extend([0x58, code.len() as u8]);
    }
    p.extend_from_slice(code);
    p.extend([0x80, 0xf6]);
    p
}

#[test]
fn a_phrase_bomb_stops_at_the_field_bound() {
    // The longest phrase, repeated as far as the cap allows: each code byte
    // stands for 28 bytes, so the principal would be over 3 KB.
    let longest = (0..phrase::PHRASES.len())
        .max_by_key(|&i| phrase::PHRASES[i].len())
        .unwrap();
    let code = phrase::encode(phrase::PHRASES[longest]);
    assert_eq!(code.len(), 1);
    let bomb = code.repeat(120);
    let ticket = seal(Kind::Tgt, &tgt_payload(&bomb));
    assert!(ticket.len() <= MAX_TICKET_CHARS, "{}", ticket.len());
    assert_eq!(
        codec().decode(&ticket, NOW),
        Err(Error::Malformed(Malformed::Payload))
    );
    assert_eq!(phrase::decode(&bomb, 256), Err(Malformed::Payload));
}

#[test]
fn authentic_garbage_is_malformed_not_a_panic() {
    let cases: [&[u8]; 9] = [
        b"\x00",                                                     // CBOR 0, not an array
        b"\x87\x00\x01\x00\x00\x40\x80\xf6",                         // empty principal
        b"\x9f\xff",                                                 // indefinite-length array
        b"\x88",                                                     // truncated array
        &[0x9b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],     // 2^64-1 elements
        b"\xa1\x00\x00",                                             // a map
        b"\x87\x00\x01\x00\x00\x41\x00\x80\xf6", // a raw-run escape with no length
        b"\x87\x00\x01\x00\x00\x58\xff\x61",     // a principal longer than the payload
        b"\x87\x00\x01\x00\x00\x41\x61\x80\xf6\x00\x00\x00\x00\x00", // a pad too long
    ];
    for payload in cases {
        let ticket = seal(Kind::Tgt, payload);
        assert_eq!(
            codec().decode(&ticket, NOW),
            Err(Error::Malformed(Malformed::Payload)),
            "{payload:02x?}"
        );
    }
}

#[test]
fn megabyte_inputs_are_refused_before_any_decoding() {
    let codec = codec();
    for filler in ["_", "A", "é", "\0"] {
        let input = filler.repeat(1 << 20);
        assert_eq!(
            codec.decode(&input, NOW),
            Err(Error::TooLong {
                length: input.len(),
                max: MAX_CODE_CHARS
            }),
            "{filler:?}"
        );
        let prefixed = format!("ST-{input}");
        assert!(matches!(
            codec.decode(&prefixed, NOW),
            Err(Error::TooLong { .. })
        ));
    }
}
