//! Bounded resources: hostile but authentic payloads, and oversize input.
//!
//! The sealing here is written from FORMAT.md §4–§5 with the primitive crates
//! directly, not through the library: it is also a second implementation of
//! the seal, checked against the first.
mod common;

use cas_ticket_codec::{
    Alg, Codec, Error, Kind, MAX_PAYLOAD_BYTES, MAX_TICKET_CHARS, Malformed, base62, stages,
};
use common::{NOW, keyring};
use flate2::{Compress, Compression, FlushCompress};
use hkdf::Hkdf;
use sha2::Sha256;
use xaes_256_gcm::Xaes256Gcm;
use xaes_256_gcm::aead::{AeadInOut, KeyInit};

const SECRET: [u8; 32] = [0x11; 32];
const KEY_ID: [u8; 2] = [0, 1];

/// Seals `plaintext` as a ticket of `kind` under the common test key
/// (aes256gcm, id 0001), exactly as FORMAT.md describes.
fn seal(kind: Kind, deflated: bool, plaintext: &[u8]) -> String {
    let prefix = kind.prefix();
    let mut subkey = [0_u8; 32];
    Hkdf::<Sha256>::new(Some(b"cas-ticket-codec v1"), &SECRET)
        .expand(format!("aes256gcm {prefix}").as_bytes(), &mut subkey)
        .unwrap();
    let header = [1, 0x10 | u8::from(deflated), KEY_ID[0], KEY_ID[1]];
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

fn deflate_raw(data: &[u8]) -> Vec<u8> {
    let mut c = Compress::new(Compression::best(), false);
    let mut out = Vec::with_capacity(data.len() / 100 + 64);
    loop {
        let before = c.total_in() as usize;
        let status = c
            .compress_vec(&data[before..], &mut out, FlushCompress::Finish)
            .unwrap();
        if status == flate2::Status::StreamEnd {
            return out;
        }
        out.reserve(out.capacity().max(64));
    }
}

fn codec() -> Codec {
    Codec::new(&keyring(0x0001, Alg::Aes256Gcm, 0x11))
}

#[test]
fn an_independent_seal_of_real_claims_decodes() {
    let claims = common::st();
    let ticket = seal(Kind::St, false, &stages::to_cbor(&claims));
    assert_eq!(codec().decode(&ticket, NOW).unwrap().claims(), &claims);
    let squeezed = stages::squeeze(&stages::to_cbor(&claims)).unwrap();
    let ticket = seal(Kind::St, true, &squeezed);
    assert_eq!(codec().decode(&ticket, NOW).unwrap().claims(), &claims);
}

#[test]
fn a_sealed_deflate_bomb_stops_at_the_bound() {
    // 100 KiB of zeros deflate to about 100 bytes: small enough to seal into
    // a ticket under the cap, 100 times the payload bound once inflated.
    let bomb = deflate_raw(&vec![0_u8; 100 * 1024]);
    let ticket = seal(Kind::St, true, &bomb);
    assert!(ticket.len() <= MAX_TICKET_CHARS, "{}", ticket.len());
    assert_eq!(
        codec().decode(&ticket, NOW),
        Err(Error::Malformed(Malformed::PayloadTooLarge))
    );

    let megabytes = deflate_raw(&vec![0_u8; 8 << 20]);
    assert_eq!(stages::inflate(&megabytes), Err(Malformed::PayloadTooLarge));
    assert_eq!(
        stages::open_payload(Kind::Tgt, true, &megabytes),
        Err(Error::Malformed(Malformed::PayloadTooLarge))
    );
}

#[test]
fn authentic_garbage_is_malformed_not_a_panic() {
    let cases: [(&[u8], bool); 8] = [
        (b"\x00", false),                         // CBOR 0, not an array
        (b"\x86\x60\x00\x01\x00\x80\x00", false), // empty principal
        (b"\x9f\xff", false),                     // indefinite-length array
        (b"\x87", false),                         // truncated array
        (
            &[0x9b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
            false,
        ), // 2^64-1 elements
        (b"\xff\xff", true),                      // not DEFLATE
        (b"\x03\x00", true),                      // an empty DEFLATE stream: no CBOR
        (b"\xa1\x00\x00", false),                 // a map
    ];
    for (payload, deflated) in cases {
        let ticket = seal(Kind::Tgt, deflated, payload);
        assert!(
            matches!(codec().decode(&ticket, NOW), Err(Error::Malformed(_))),
            "{payload:02x?}: {:?}",
            codec().decode(&ticket, NOW)
        );
    }
}

#[test]
fn a_payload_exactly_at_the_bound_is_still_read() {
    // A payload of MAX_PAYLOAD_BYTES that inflates exactly: read, then judged as CBOR.
    let full = deflate_raw(&[0x80; MAX_PAYLOAD_BYTES]);
    assert_eq!(stages::inflate(&full).unwrap().len(), MAX_PAYLOAD_BYTES);
    assert_eq!(
        stages::open_payload(Kind::Tgt, true, &full),
        Err(Error::Malformed(Malformed::Payload))
    );
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
                max: MAX_TICKET_CHARS
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
