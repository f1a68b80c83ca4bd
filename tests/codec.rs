//! Round trips and every rejection path of `Codec`, each with its exact error.
mod common;

use std::sync::Arc;

use cas_ticket_codec::{
    Alg, Codec, Error, KeyId, Keyring, KeyringError, Kind, MAX_CODE_CHARS, MAX_TICKET_CHARS,
    Malformed, Permissions, base62, inspect,
};
use common::*;
use time::Duration;

const ALGS: [Alg; 2] = [Alg::Aes256Gcm, Alg::XChaCha20Poly1305];

/// The ticket with its decoded bytes changed by `f`, spelled canonically.
fn edit(ticket: &str, f: impl FnOnce(&mut Vec<u8>)) -> String {
    let (prefix, body) = ticket.split_once('-').unwrap();
    let mut bytes = base62::decode(body.as_bytes()).unwrap();
    f(&mut bytes);
    format!("{prefix}-{}", base62::encode(&bytes))
}

#[test]
fn every_kind_round_trips_with_both_algorithms() {
    for alg in ALGS {
        let codec = codec(alg);
        for claims in all_kinds() {
            let ticket = codec.encode(&claims).unwrap();
            assert!(ticket.starts_with(&format!("{}-", claims.kind().prefix())));
            let body = ticket.split_once('-').unwrap().1;
            assert!(body.bytes().all(|b| b.is_ascii_alphanumeric()), "{ticket}");
            let decoded = codec.decode(&ticket, NOW).unwrap();
            assert_eq!(decoded.claims(), &claims);
            assert_eq!(decoded.key_id(), KeyId::from_bytes([0, 1]));
            assert_eq!(decoded.alg(), alg);
            let header = inspect(&ticket).unwrap();
            assert_eq!(header.kind(), claims.kind());
        }
    }
}

#[test]
fn two_encodings_of_the_same_claims_differ() {
    let codec = codec(Alg::Aes256Gcm);
    assert_ne!(codec.encode(&st()).unwrap(), codec.encode(&st()).unwrap());
}

#[test]
fn every_bit_flip_is_rejected_with_the_error_of_its_position() {
    for alg in ALGS {
        let codec = codec(alg);
        for claims in all_kinds() {
            let ticket = codec.encode(&claims).unwrap();
            let len = base62::decode(ticket.split_once('-').unwrap().1.as_bytes())
                .unwrap()
                .len();
            for byte in 0..len {
                for bit in 0..8 {
                    let mask = 1_u8 << bit;
                    let mut original = 0;
                    let tampered = edit(&ticket, |b| {
                        original = b[byte];
                        b[byte] ^= mask;
                    });
                    let expected = match byte {
                        0 => Error::UnsupportedVersion {
                            version: original ^ mask,
                        },
                        1 | 2 => {
                            let mut id = [0_u8, 1];
                            id[byte - 1] ^= mask;
                            Error::UnknownKey {
                                key_id: KeyId::from_bytes(id),
                            }
                        }
                        _ => Error::AuthenticationFailed,
                    };
                    assert_eq!(
                        codec.decode(&tampered, NOW),
                        Err(expected),
                        "byte {byte} bit {bit}"
                    );
                }
            }
        }
    }
}

#[test]
fn every_character_substitution_is_rejected() {
    let codec = codec(Alg::Aes256Gcm);
    let ticket = codec.encode(&st()).unwrap();
    for i in 3..ticket.len() {
        for replacement in [b'0', b'z', b'A', b'_', b'-', b'+', b'/', b'='] {
            let mut bytes = ticket.clone().into_bytes();
            if bytes[i] == replacement {
                continue;
            }
            bytes[i] = replacement;
            let tampered = String::from_utf8(bytes).unwrap();
            let err = codec.decode(&tampered, NOW).unwrap_err();
            if !replacement.is_ascii_alphanumeric() {
                assert_eq!(
                    err,
                    Error::Malformed(Malformed::Alphabet),
                    "{i} {replacement}"
                );
                continue;
            }
            // A substituted digit either overflows its block (non-canonical)
            // or changes the bytes, which the header checks or the AEAD catch.
            assert!(
                matches!(
                    err,
                    Error::Malformed(Malformed::NonCanonical)
                        | Error::UnsupportedVersion { .. }
                        | Error::UnknownKey { .. }
                        | Error::AuthenticationFailed
                ),
                "{i}: {err:?}"
            );
        }
    }
}

#[test]
fn an_underscore_anywhere_is_rejected() {
    let codec = codec(Alg::Aes256Gcm);
    let ticket = codec.encode(&st()).unwrap();
    for i in 3..ticket.len() {
        let mut bytes = ticket.clone().into_bytes();
        bytes[i] = b'_';
        let tampered = String::from_utf8(bytes).unwrap();
        assert_eq!(
            codec.decode(&tampered, NOW),
            Err(Error::Malformed(Malformed::Alphabet))
        );
    }
    for i in 0..3 {
        let mut bytes = ticket.clone().into_bytes();
        bytes[i] = b'_';
        let tampered = String::from_utf8(bytes).unwrap();
        assert_eq!(
            codec.decode(&tampered, NOW),
            Err(Error::Malformed(Malformed::Prefix))
        );
    }
}

#[test]
fn every_truncation_is_rejected() {
    let codec = codec(Alg::Aes256Gcm);
    let ticket = codec.encode(&st()).unwrap();
    for len in 0..ticket.len() {
        let err = codec.decode(&ticket[..len], NOW).unwrap_err();
        let body_len = len.saturating_sub(3);
        let expected_class = match len {
            0 => Some(Error::Malformed(Malformed::Empty)),
            1 | 2 => Some(Error::Malformed(Malformed::Prefix)),
            _ if base62::decoded_len(body_len).is_none() => {
                Some(Error::Malformed(Malformed::Length))
            }
            _ => None,
        };
        match expected_class {
            Some(expected) => assert_eq!(err, expected, "length {len}"),
            // Version is read first: a cut block can spell another version.
            None => assert!(
                matches!(
                    err,
                    Error::Malformed(Malformed::Truncated | Malformed::NonCanonical)
                        | Error::UnsupportedVersion { .. }
                        | Error::AuthenticationFailed
                ),
                "length {len}: {err:?}"
            ),
        }
        // Short enough to lack a tag: refused before the AEAD is tried.
        if base62::decoded_len(body_len).is_some_and(|n| (1..=35).contains(&n)) {
            assert!(
                matches!(
                    err,
                    Error::Malformed(Malformed::Truncated | Malformed::NonCanonical)
                        | Error::UnsupportedVersion { .. }
                ),
                "length {len}: {err:?}"
            );
        }
    }
}

#[test]
fn relabelled_tickets_fail_authentication() {
    for alg in ALGS {
        let codec = codec(alg);
        for claims in all_kinds() {
            let ticket = codec.encode(&claims).unwrap();
            let body = ticket.split_once('-').unwrap().1;
            for other in Kind::ALL.into_iter().filter(|k| *k != claims.kind()) {
                let relabelled = format!("{}-{body}", other.prefix());
                assert_eq!(
                    codec.decode(&relabelled, NOW),
                    Err(Error::AuthenticationFailed)
                );
            }
        }
    }
}

#[test]
fn decode_kind_refuses_other_kinds_before_opening() {
    let codec = codec(Alg::Aes256Gcm);
    let tgt = codec.encode(&tgt()).unwrap();
    assert_eq!(
        codec.decode_kind(&tgt, Kind::St, NOW),
        Err(Error::WrongKind {
            expected: Kind::St,
            found: Kind::Tgt
        })
    );
    assert_eq!(
        codec.decode_kind(&tgt, Kind::Tgt, NOW).unwrap().claims(),
        &common::tgt()
    );
    // The kind check needs no keys: it holds for garbage bodies too.
    assert_eq!(
        codec.decode_kind("PT-xyz", Kind::St, NOW),
        Err(Error::WrongKind {
            expected: Kind::St,
            found: Kind::Pt
        })
    );
}

#[test]
fn wrong_key_with_the_same_id_fails_authentication() {
    for alg in ALGS {
        let ticket = Codec::new(&keyring(7, alg, 0x11)).encode(&st()).unwrap();
        let impostor = Codec::new(&keyring(7, alg, 0x12));
        assert_eq!(
            impostor.decode(&ticket, NOW),
            Err(Error::AuthenticationFailed)
        );
    }
}

#[test]
fn same_secret_under_another_algorithm_fails_authentication() {
    let ticket = Codec::new(&keyring(7, Alg::Aes256Gcm, 0x11))
        .encode(&st())
        .unwrap();
    let other = Codec::new(&keyring(7, Alg::XChaCha20Poly1305, 0x11));
    assert_eq!(other.decode(&ticket, NOW), Err(Error::AuthenticationFailed));
}

#[test]
fn unknown_key_id_is_named() {
    let ticket = Codec::new(&keyring(0x0a0b, Alg::Aes256Gcm, 0x11))
        .encode(&st())
        .unwrap();
    let other = Codec::new(&keyring(0x0c0d, Alg::Aes256Gcm, 0x11));
    assert_eq!(
        other.decode(&ticket, NOW),
        Err(Error::UnknownKey {
            key_id: KeyId::from_bytes([0x0a, 0x0b])
        })
    );
}

#[test]
fn rotation_keeps_old_tickets_until_their_key_is_retired() {
    let mut ring = keyring(1, Alg::Aes256Gcm, 0x11);
    let old_ticket = Codec::new(&ring).encode(&tgt()).unwrap();

    // Step 1: the new key is everywhere but does not seal yet.
    let new_id = ring.add_generated(Alg::XChaCha20Poly1305).unwrap();
    let codec = Codec::new(&ring);
    assert_eq!(
        codec
            .decode(&codec.encode(&st()).unwrap(), NOW)
            .unwrap()
            .key_id(),
        ring.primary()
    );

    // Step 2: promoted, it seals; the old key still opens.
    ring.promote(new_id).unwrap();
    let codec = Codec::new(&ring);
    let new_ticket = codec.encode(&tgt()).unwrap();
    assert_eq!(codec.decode(&new_ticket, NOW).unwrap().key_id(), new_id);
    assert_eq!(
        codec.decode(&new_ticket, NOW).unwrap().alg(),
        Alg::XChaCha20Poly1305
    );
    assert!(codec.decode(&old_ticket, NOW).is_ok());

    // Step 3: retired, the old key's tickets stop validating.
    let old_id = KeyId::from_bytes([0, 1]);
    ring.retire(old_id).unwrap();
    let codec = Codec::new(&ring);
    assert_eq!(
        codec.decode(&old_ticket, NOW),
        Err(Error::UnknownKey { key_id: old_id })
    );
    assert!(codec.decode(&new_ticket, NOW).is_ok());
}

#[test]
fn expiry_is_a_hard_instant() {
    let codec = codec(Alg::Aes256Gcm);
    let claims = st();
    let expires = claims.expires_at();
    let ticket = codec.encode(&claims).unwrap();
    assert!(codec.decode(&ticket, expires - Duration::SECOND).is_ok());
    let at = expires + Duration::SECOND;
    assert_eq!(
        codec.decode(&ticket, at),
        Err(Error::Expired {
            expired_at: expires,
            now: at
        })
    );
    assert_eq!(
        codec.decode(&ticket, expires),
        Err(Error::Expired {
            expired_at: expires,
            now: expires
        })
    );
    let message = codec.decode(&ticket, at).unwrap_err().to_string();
    assert_eq!(
        message,
        "expired at 2026-11-22T10:00:10Z (1s before 2026-11-22T10:00:11Z)"
    );
}

#[test]
fn open_expired_reads_an_authentic_ticket_past_its_expiry_and_nothing_else() {
    let codec = codec(Alg::Aes256Gcm);
    let claims = st();
    let ticket = codec.encode(&claims).unwrap();
    // Hours after it expired (what single logout needs), and before.
    assert_eq!(codec.open_expired(&ticket), Ok(claims.clone()));
    assert!(matches!(
        codec.decode(&ticket, claims.expires_at() + Duration::hours(8)),
        Err(Error::Expired { .. })
    ));
    // Every other check of decoding still holds, with its error.
    let flipped = edit(&ticket, |b| *b.last_mut().unwrap() ^= 1);
    assert_eq!(
        codec.open_expired(&flipped),
        Err(Error::AuthenticationFailed)
    );
    let relabelled = ticket.replacen("ST-", "PT-", 1);
    assert_eq!(
        codec.open_expired(&relabelled),
        Err(Error::AuthenticationFailed)
    );
    let other = Codec::new(&keyring(0x0c0d, Alg::Aes256Gcm, 0x11));
    assert_eq!(
        other.open_expired(&ticket),
        Err(Error::UnknownKey {
            key_id: KeyId::from_bytes([0, 1])
        })
    );
    assert_eq!(
        codec.open_expired("ST-"),
        Err(Error::Malformed(Malformed::Truncated))
    );
}

#[test]
fn leeway_is_honoured_and_no_more() {
    let codec = codec(Alg::Aes256Gcm).with_leeway(Duration::seconds(5));
    let claims = st();
    let expires = claims.expires_at();
    let ticket = codec.encode(&claims).unwrap();
    assert!(
        codec
            .decode(&ticket, expires + Duration::seconds(4))
            .is_ok()
    );
    let at = expires + Duration::seconds(5);
    assert_eq!(
        codec.decode(&ticket, at),
        Err(Error::Expired {
            expired_at: expires,
            now: at
        })
    );
    let negative = codec_with_negative_leeway();
    assert!(negative.decode(&ticket, expires - Duration::SECOND).is_ok());
}

#[test]
fn a_per_call_leeway_replaces_the_codecs_and_the_kind_is_checked_first() {
    // The codec's own leeway (5 s) does not add to the call's.
    let codec = codec(Alg::Aes256Gcm).with_leeway(Duration::seconds(5));
    let claims = st();
    let expires = claims.expires_at();
    let ticket = codec.encode(&claims).unwrap();
    let at = expires + Duration::seconds(2);
    assert!(
        codec
            .decode_with_leeway(&ticket, Some(Kind::St), at, Duration::seconds(3))
            .is_ok()
    );
    // The error names the real instant, not one moved by the leeway.
    for leeway in [Duration::seconds(2), Duration::ZERO, Duration::seconds(-30)] {
        assert_eq!(
            codec.decode_with_leeway(&ticket, None, at, leeway),
            Err(Error::Expired {
                expired_at: expires,
                now: at
            }),
            "{leeway}"
        );
    }
    assert_eq!(
        codec.decode_with_leeway(&ticket, Some(Kind::Pt), at, Duration::ZERO),
        Err(Error::WrongKind {
            expected: Kind::Pt,
            found: Kind::St
        })
    );
}

fn codec_with_negative_leeway() -> Codec {
    codec(Alg::Aes256Gcm).with_leeway(Duration::seconds(-30))
}

#[test]
fn service_must_match() {
    let codec = codec(Alg::Aes256Gcm);
    let ticket = codec.decode(&codec.encode(&st()).unwrap(), NOW).unwrap();
    ticket.require_service(SERVICE).unwrap();
    ticket
        .require_service("HTTPS://app.example.edu:443/login?target=%2Fhome#x")
        .unwrap();
    for other in [
        "https://app.example.edu/login?target=%2Fadmin",
        "https://app.example.edu/login",
        "https://app.example.edu.evil.net/login?target=%2Fhome",
        "http://app.example.edu/login?target=%2Fhome",
        "",
        "garbage",
    ] {
        assert_eq!(
            ticket.require_service(other),
            Err(Error::ServiceMismatch),
            "{other}"
        );
    }
    let tgt = codec.decode(&codec.encode(&tgt()).unwrap(), NOW).unwrap();
    assert_eq!(tgt.require_service(SERVICE), Err(Error::ServiceMismatch));
}

#[test]
fn oversize_empty_and_foreign_input() {
    let codec = codec(Alg::Aes256Gcm);
    let ticket = codec.encode(&st()).unwrap();
    let long = format!(
        "{ticket}{}",
        "A".repeat(MAX_TICKET_CHARS + 1 - ticket.len())
    );
    assert_eq!(
        codec.decode(&long, NOW),
        Err(Error::TooLong {
            length: MAX_TICKET_CHARS + 1,
            max: MAX_TICKET_CHARS
        })
    );
    // Over the largest cap (a code's), refused before the prefix is read.
    let huge = "_".repeat(1 << 20);
    assert_eq!(
        codec.decode(&huge, NOW),
        Err(Error::TooLong {
            length: 1 << 20,
            max: MAX_CODE_CHARS
        })
    );
    // Within it, the prefix first, then the kind's own cap.
    let unprefixed = "_".repeat(MAX_TICKET_CHARS + 1);
    assert_eq!(
        codec.decode(&unprefixed, NOW),
        Err(Error::Malformed(Malformed::Prefix))
    );
    for kind in Kind::ALL {
        let prefix = format!("{}-", kind.prefix());
        let over = format!(
            "{prefix}{}",
            "0".repeat(kind.max_chars() + 1 - prefix.len())
        );
        assert_eq!(
            codec.decode(&over, NOW),
            Err(Error::TooLong {
                length: kind.max_chars() + 1,
                max: kind.max_chars()
            }),
            "{kind}"
        );
        // At the cap it is read: all zeros spell version 0.
        let at_cap = &over[..kind.max_chars()];
        assert_eq!(
            codec.decode(at_cap, NOW),
            Err(Error::UnsupportedVersion { version: 0 }),
            "{kind}"
        );
    }
    assert_eq!(Kind::Code.max_chars(), 384);
    assert_eq!(Kind::AccessToken.max_chars(), 256);
    assert_eq!(
        codec.decode("", NOW),
        Err(Error::Malformed(Malformed::Empty))
    );
    assert_eq!(
        codec.decode("ST-", NOW),
        Err(Error::Malformed(Malformed::Truncated))
    );
    assert_eq!(
        codec.decode("ST", NOW),
        Err(Error::Malformed(Malformed::Prefix))
    );
    assert_eq!(
        codec.decode("ST_abc", NOW),
        Err(Error::Malformed(Malformed::Prefix))
    );
    assert_eq!(
        codec.decode("PGTIOU-abc", NOW),
        Err(Error::Malformed(Malformed::Prefix))
    );
    assert_eq!(
        codec.decode("ST-é", NOW),
        Err(Error::Malformed(Malformed::Alphabet))
    );
    assert_eq!(
        codec.decode("ST-\0\0", NOW),
        Err(Error::Malformed(Malformed::Alphabet))
    );
    assert_eq!(
        codec.decode("ÉT-abc", NOW),
        Err(Error::Malformed(Malformed::Prefix))
    );
    assert_eq!(
        codec.decode(" ST-ab", NOW),
        Err(Error::Malformed(Malformed::Prefix))
    );
    for suffix in ["\n", "\r\n", " ", "=="] {
        let padded = format!("{ticket}{suffix}");
        let body_len = padded.len() - 3;
        let expected = match base62::decoded_len(body_len) {
            Some(_) => Malformed::Alphabet,
            None => Malformed::Length,
        };
        assert_eq!(
            codec.decode(&padded, NOW),
            Err(Error::Malformed(expected)),
            "{suffix:?}"
        );
    }
    let lowercase = ticket.replacen("ST-", "st-", 1);
    assert_eq!(
        codec.decode(&lowercase, NOW),
        Err(Error::Malformed(Malformed::Prefix))
    );
}

#[test]
fn unsupported_version_is_named() {
    let codec = codec(Alg::Aes256Gcm);
    let ticket = codec.encode(&st()).unwrap();
    for version in [0, 1, 3, 0xff] {
        let other = edit(&ticket, |b| b[0] = version);
        assert_eq!(
            codec.decode(&other, NOW),
            Err(Error::UnsupportedVersion { version })
        );
        assert_eq!(inspect(&other), Err(Error::UnsupportedVersion { version }));
    }
}

#[test]
fn encode_refuses_tickets_over_the_cap() {
    let codec = codec(Alg::Aes256Gcm);
    let principal = incompressible_text(250);
    let auth = cas_ticket_codec::Authentication::new(&principal, NOW).unwrap();
    let claims = cas_ticket_codec::Claims::with_lifetime(
        auth,
        cas_ticket_codec::Grant::TicketGranting,
        NOW,
        Duration::hours(8),
    )
    .unwrap();
    match codec.encode(&claims) {
        Err(Error::TooLong { length, max }) => {
            assert!(length > MAX_TICKET_CHARS);
            assert_eq!(max, MAX_TICKET_CHARS);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn codec_is_shared_across_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Codec>();

    let codec = Arc::new(codec(Alg::Aes256Gcm));
    let tickets: Vec<Vec<String>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..8)
            .map(|_| {
                let codec = Arc::clone(&codec);
                s.spawn(move || {
                    (0..100)
                        .map(|i| {
                            let claims = if i % 2 == 0 { st() } else { tgt() };
                            let t = codec.encode(&claims).unwrap();
                            assert_eq!(codec.decode(&t, NOW).unwrap().claims(), &claims);
                            t
                        })
                        .collect()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    // Every thread's tickets validate on every other thread, and are unique.
    let all: Vec<&String> = tickets.iter().flatten().collect();
    let unique: std::collections::HashSet<_> = all.iter().collect();
    assert_eq!(unique.len(), all.len());
    std::thread::scope(|s| {
        for chunk in all.chunks(200) {
            let codec = Arc::clone(&codec);
            s.spawn(move || {
                for t in chunk {
                    assert!(codec.decode(t, NOW).is_ok());
                }
            });
        }
    });
}

#[test]
fn key_files_are_private_and_checked() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("keys.json");
    let ring = Keyring::generate(Alg::Aes256Gcm).unwrap();
    ring.save_new(&path).unwrap();
    assert_eq!(
        std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
        0o600
    );
    assert_eq!(ring.save_new(&path), Err(KeyringError::AlreadyExists));
    assert_eq!(Keyring::load(&path).unwrap().primary(), ring.primary());

    ring.save(&path).unwrap();
    assert_eq!(
        std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
        0o600
    );

    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    assert_eq!(
        Keyring::load(&path).unwrap_err(),
        KeyringError::InsecurePermissions { mode: 0o644 }
    );
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
    assert_eq!(
        Keyring::load(&path).unwrap_err(),
        KeyringError::InsecurePermissions { mode: 0o640 }
    );
    assert!(Keyring::load_with(&path, Permissions::AllowInsecure).is_ok());

    let missing = dir.path().join("missing.json");
    assert_eq!(
        Keyring::load(&missing).unwrap_err(),
        KeyringError::Io(std::io::ErrorKind::NotFound)
    );
    let message = Error::from(KeyringError::InsecurePermissions { mode: 0o644 }).to_string();
    assert!(message.contains("0644"), "{message}");
}

/// A file owned by another user than the one running the test: one of
/// ours handed to `nobody` when we are root (as CI is), else a root-owned
/// system file. Returns its path and owner.
#[cfg(unix)]
fn foreign_file(dir: &std::path::Path) -> (std::path::PathBuf, u32) {
    let user = rustix::process::geteuid().as_raw();
    if user == 0 {
        let path = dir.join("nobodys.json");
        keyring(1, Alg::Aes256Gcm, 0x42).save_new(&path).unwrap();
        std::os::unix::fs::chown(&path, Some(65534), Some(65534)).unwrap();
        (path, 65534)
    } else {
        (std::path::PathBuf::from("/etc/passwd"), 0)
    }
}

#[test]
#[cfg(unix)]
fn a_key_file_of_another_user_is_refused_as_ssh_does() {
    let dir = tempfile::tempdir().unwrap();
    let (path, owner) = foreign_file(dir.path());
    let user = rustix::process::geteuid().as_raw();
    assert_eq!(
        Keyring::load(&path).unwrap_err(),
        KeyringError::NotOwner { owner, user }
    );
    let message = Error::from(KeyringError::NotOwner { owner, user }).to_string();
    assert!(message.contains(&format!("uid {owner}")), "{message}");
    if user == 0 {
        // The caller may opt out, as for the mode check.
        assert!(Keyring::load_with(&path, Permissions::AllowInsecure).is_ok());
    }
}

#[test]
fn saved_key_files_hold_exactly_the_json() {
    let mut ring = keyring(1, Alg::Aes256Gcm, 0x42);
    for _ in 0..5 {
        ring.add_generated(Alg::XChaCha20Poly1305).unwrap();
    }
    let json = ring.to_json();
    assert!(json.ends_with("}\n"));
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&json).unwrap()["keys"]
            .as_array()
            .unwrap()
            .len(),
        6
    );
    assert_eq!(Keyring::from_json(json.as_bytes()).unwrap().keys().len(), 6);
}

#[test]
fn errors_never_carry_secrets() {
    let ring = keyring(1, Alg::Aes256Gcm, 0x42);
    let json = ring.to_json();
    let secret = first_secret(&json);
    let codec = Codec::new(&ring);
    assert!(!format!("{codec:?}").contains(&secret));
    assert!(!format!("{ring:?}").contains(&secret));
    assert!(!format!("{ring:?}").contains("42, 42"));
    let broken = json.replace(&secret, &format!("{secret}!"));
    let err = Keyring::from_json(broken.as_bytes()).unwrap_err();
    assert!(!format!("{err:?} {err}").contains(&secret[..20]));
}
