//! Replays the fuzz corpora on stable: every file under `fuzz/corpus/<target>/`,
//! `fuzz/regressions/<target>/` (crashes found and fixed) and, when present,
//! `fuzz/artifacts/<target>/` goes through the same function the fuzz target
//! runs (`fuzz/src/checks.rs`).
//!
//! `fuzz/make_corpus.sh` rewrites the seed corpora from real tickets through
//! the ignored test `write_seed_corpus`.

#[path = "../fuzz/src/checks.rs"]
#[allow(dead_code)]
mod checks;

use std::path::{Path, PathBuf};

use arbitrary::{Arbitrary, Unstructured};
use cas_ticket_codec::oauth::{
    Authorization, ClaimNames, ClaimsRequest, ClientId, CodeChallenge, GrantId, Nonce, Scopes,
};
use cas_ticket_codec::{
    Authentication, CallbackUrl, Claims, Codec, Grant, Kind, ProxyChain, Service, Session,
    SessionId, base62, phrase, stages,
};
use time::Duration;

const TARGETS: [&str; 8] = [
    "decode",
    "roundtrip",
    "open",
    "base62",
    "phrase",
    "length",
    "differential",
    "record",
];

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz")
}

fn run(target: &str, data: &[u8]) {
    match target {
        "decode" => checks::decode(data),
        "roundtrip" => {
            // libfuzzer-sys builds typed inputs with `arbitrary_take_rest`.
            if let Ok(input) = checks::ClaimsInput::arbitrary_take_rest(Unstructured::new(data)) {
                checks::roundtrip(&input);
            }
        }
        "open" => checks::open(data),
        "base62" => checks::base62(data),
        "phrase" => checks::phrase(data),
        "differential" => checks::differential(data),
        #[cfg(feature = "store")]
        "record" => checks::record(data),
        // Without the store, the records' corpus is not replayed.
        #[cfg(not(feature = "store"))]
        "record" => {}
        "length" => {
            if let Ok(input) = checks::LengthInput::arbitrary_take_rest(Unstructured::new(data)) {
                checks::length(&input);
            }
        }
        _ => unreachable!(),
    }
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out: Vec<PathBuf> = entries
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    out.sort();
    out
}

#[test]
fn corpora_and_regressions_replay_clean() {
    for target in TARGETS {
        let seeds = files(&fuzz_dir().join("corpus").join(target));
        assert!(
            seeds.len() >= 10,
            "{target}: only {} seed files",
            seeds.len()
        );
        let extra = ["regressions", "artifacts"]
            .iter()
            .flat_map(|d| files(&fuzz_dir().join(d).join(target)));
        for path in seeds.iter().cloned().chain(extra) {
            let data = std::fs::read(&path).unwrap();
            run(target, &data);
        }
    }
}

/// Real tickets of every kind, sealed with the seed keyring (same key ids as
/// the fuzz keyring and the vectors, other secrets).
fn seed_tickets() -> Vec<(Claims, String)> {
    let codec = Codec::new(&checks::keyring(0x5e));
    let issued = checks::NOW - Duration::seconds(5);
    let auth = Authentication::new("jdoe@example.edu", issued - Duration::minutes(3))
        .unwrap()
        .with_method("Password")
        .unwrap();
    let service = Service::new("https://app.example.edu/login?target=%2Fhome").unwrap();
    let long = Service::new(&format!(
        "https://app.example.edu/reports?{}",
        "q=1&".repeat(12)
    ))
    .unwrap();
    let cb = CallbackUrl::new("https://portal.example.edu/cas/proxyCallback").unwrap();
    let claims = ClaimsRequest {
        id_token: ClaimNames::new(["email", "name"]).unwrap(),
        userinfo: ClaimNames::new(["picture"]).unwrap(),
    };
    let authorization = Authorization::new(
        ClientId::new("moodle").unwrap(),
        Scopes::parse("openid profile email urn:example:read").unwrap(),
        GrantId::from_bytes(*b"grant-id"),
    )
    .with_claims(claims);
    let grants = [
        Grant::TicketGranting,
        Grant::Service {
            service: service.clone(),
            fresh_login: true,
        },
        Grant::Service {
            service: long.clone(),
            fresh_login: false,
        },
        Grant::Proxy {
            service,
            proxies: ProxyChain::new(vec![cb.clone(), cb.clone()]).unwrap(),
        },
        Grant::Proxy {
            service: long,
            proxies: ProxyChain::new(vec![cb.clone()]).unwrap(),
        },
        Grant::ProxyGranting {
            callback: cb.clone(),
            upstream: vec![cb],
        },
        Grant::Code {
            authorization: authorization.clone(),
            redirect_uri: Service::new("https://moodle.example.edu/auth/oidc/").unwrap(),
            nonce: Some(Nonce::new("Qm9uam91ciwgdm9pY2kgdW4gbm9uY2UgZGUgdGVzdC4").unwrap()),
            challenge: Some(CodeChallenge::of_verifier(&"v".repeat(43))),
        },
        Grant::Code {
            authorization: authorization.clone(),
            redirect_uri: Service::new(&format!(
                "https://app.example.edu/oidc/callback?{}",
                "q=1&".repeat(12)
            ))
            .unwrap(),
            nonce: Some(Nonce::new("a nonce that is no base64url").unwrap()),
            challenge: None,
        },
        Grant::AccessToken {
            authorization: authorization.clone(),
        },
        Grant::RefreshToken { authorization },
    ];
    let mut out = Vec::new();
    for (i, grant) in grants.into_iter().enumerate() {
        let auth = auth.clone().with_remember_me(i % 2 == 0);
        let claims = Claims::with_lifetime(auth, grant, issued, Duration::hours(1)).unwrap();
        out.push((claims.clone(), codec.encode(&claims).unwrap()));
        // The same in an SSO session, as a node mints it.
        let ends_at = match claims.kind() {
            Kind::Tgt => claims.expires_at(),
            _ => claims.expires_at() + Duration::hours(7),
        };
        let id = SessionId::from_bytes([i as u8; 8]);
        let claims = claims.with_session(Session::new(id, ends_at)).unwrap();
        out.push((claims.clone(), codec.encode(&claims).unwrap()));
    }
    out
}

#[test]
#[ignore = "writes fuzz/corpus; run by fuzz/make_corpus.sh"]
fn write_seed_corpus() {
    let mut seeds: Vec<(&str, Vec<u8>)> = Vec::new();
    let tickets = seed_tickets();
    let vectors =
        std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors")).unwrap();
    // The vector files, not the directories of URL, store and key-file vectors.
    let mut vector_tickets: Vec<String> = vectors
        .map(|e| e.unwrap().path())
        .filter(|path| path.is_file())
        .map(|path| {
            let v: serde_json::Value =
                serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
            v["ticket"].as_str().unwrap().to_owned()
        })
        .collect();
    vector_tickets.sort();
    vector_tickets.truncate(12);

    for (_, ticket) in &tickets {
        seeds.push(("decode", ticket.clone().into_bytes()));
        let body = ticket.split_once('-').unwrap().1;
        seeds.push(("base62", body.as_bytes().to_vec()));
    }
    for ticket in &vector_tickets {
        seeds.push(("decode", ticket.clone().into_bytes()));
        if let Some((_, body)) = ticket.split_once('-') {
            seeds.push(("base62", body.as_bytes().to_vec()));
        }
    }
    seeds.push(("decode", b"PGTIOU-abc".to_vec()));
    seeds.push(("decode", b"ST-".to_vec()));

    for (claims, _) in &tickets {
        let mut plain = vec![claims.kind() as u8];
        plain.extend_from_slice(&stages::to_cbor(claims));
        seeds.push(("open", plain));
        let mut odd = vec![1 | (claims.kind() as u8) << 1];
        odd.extend_from_slice(&stages::to_cbor(claims));
        seeds.push(("differential", odd));
        let mut even = vec![0];
        even.extend_from_slice(&phrase::encode(claims.principal()));
        seeds.push(("differential", even));
        seeds.push(("phrase", phrase::encode(claims.principal())));
        if let Some(service) = claims.service() {
            seeds.push(("phrase", phrase::encode(service.as_str())));
        }
    }
    for text in [
        "José Müller 李雷",
        "LdapAuthenticationHandler",
        "https%3A%2F%2Fx",
    ] {
        seeds.push(("phrase", phrase::encode(text)));
    }
    // Sealed single-logout records of the seed STs and PTs, alone, in
    // fields of several, repeated, cut, and planted in the clear.
    #[cfg(feature = "store")]
    let records: Vec<Vec<u8>> = tickets
        .iter()
        .filter(|(claims, _)| matches!(claims.kind(), Kind::St | Kind::Pt))
        .map(|(_, ticket)| {
            let record = cas_ticket_codec::store::LogoutRecord {
                ticket: ticket.clone(),
                service: ticket
                    .starts_with("PT-")
                    .then(|| "https://app.example.edu/reports".to_owned()),
            };
            checks::record_codec()
                .seal_record(checks::RECORD_SESSION, &record)
                .unwrap()
                .as_bytes()
                .to_vec()
        })
        .collect();
    #[cfg(feature = "store")]
    {
        for record in &records {
            seeds.push(("record", record.clone()));
        }
        seeds.push(("record", records.concat()));
        seeds.push(("record", records[0].repeat(70)));
        seeds.push(("record", records[1][..records[1].len() - 1].to_vec()));
        let plain = tickets[1].1.split_once('-').unwrap().1;
        let bytes = base62::decode(plain.as_bytes()).unwrap();
        seeds.push(("record", [&[1, 80][..], &bytes].concat()));
        seeds.push(("record", vec![0, 36]));
    }
    for bytes in [&[0xff_u8; 8][..], &[0; 9], &[1, 2, 3]] {
        seeds.push(("base62", base62::encode(bytes).into_bytes()));
    }

    // Typed inputs have no inverse of `arbitrary`: deterministic noise of
    // varied lengths, which the fuzzer mutates into claims.
    let mut state = 0x9e37_79b9_u32;
    for len in [16, 32, 48, 64, 96, 128, 160, 200, 256, 320, 400, 512] {
        let bytes: Vec<u8> = (0..len)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 17;
                state ^= state << 5;
                (state >> 24) as u8
            })
            .collect();
        seeds.push(("roundtrip", bytes.clone()));
        seeds.push(("length", bytes));
    }

    for target in TARGETS {
        let dir = fuzz_dir().join("corpus").join(target);
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
    }
    let mut counts = std::collections::HashMap::new();
    for (target, data) in seeds {
        let n = counts.entry(target).or_insert(0);
        *n += 1;
        std::fs::write(
            fuzz_dir()
                .join("corpus")
                .join(target)
                .join(format!("seed-{n:03}")),
            data,
        )
        .unwrap();
    }
}

#[test]
fn seed_tickets_are_valid_under_the_seed_keyring_only() {
    let seed_codec = Codec::new(&checks::keyring(0x5e));
    for (claims, ticket) in seed_tickets() {
        assert_eq!(
            seed_codec.decode(&ticket, checks::NOW).unwrap().claims(),
            &claims
        );
        assert_eq!(
            checks::fuzz_codec().decode(&ticket, checks::NOW),
            Err(cas_ticket_codec::Error::AuthenticationFailed)
        );
    }
}
