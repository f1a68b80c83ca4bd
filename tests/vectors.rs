//! Known-answer vectors (tests/vectors/*.json), checked through the public API
//! only: a change of format, dictionary, key derivation or encoding that makes
//! a committed ticket decode differently fails here.

use std::path::Path;

use cas_ticket_codec::{Codec, Error, Keyring, Kind, Service};
use serde_json::Value;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

fn class(result: &Result<cas_ticket_codec::Ticket, Error>) -> &'static str {
    match result {
        Ok(_) => "ok",
        Err(Error::Malformed(_)) => "malformed",
        Err(Error::UnknownKey { .. }) => "unknown_key",
        Err(Error::AuthenticationFailed) => "auth_failed",
        Err(Error::Expired { .. }) => "expired",
        Err(Error::NotYetValid { .. }) => "not_yet_valid",
        Err(Error::WrongKind { .. }) => "wrong_kind",
        Err(Error::TooLong { .. }) => "too_long",
        Err(Error::UnsupportedVersion { .. }) => "unsupported_version",
        Err(Error::ServiceMismatch) => "service_mismatch",
        Err(_) => "other",
    }
}

#[test]
fn every_vector_decodes_as_recorded() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors");
    let mut count = 0;
    let mut expects = std::collections::BTreeSet::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("json") {
            continue;
        }
        let v: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let keyring = Keyring::from_json(v["keyring"].to_string().as_bytes()).unwrap();
        let now = OffsetDateTime::parse(v["now"].as_str().unwrap(), &Rfc3339).unwrap();
        let ticket = v["ticket"].as_str().unwrap();
        let expect = v["expect"].as_str().unwrap();
        // The optional parts of a validation: a leeway, a kind, a service.
        let leeway = time::Duration::seconds(v["leeway_seconds"].as_i64().unwrap_or(0));
        let codec = Codec::new(&keyring).with_leeway(leeway);
        let result = match v["kind"].as_str() {
            Some(kind) => codec.decode_kind(ticket, Kind::from_prefix(kind).unwrap(), now),
            None => codec.decode(ticket, now),
        };
        let result = match (result, v["service"].as_str()) {
            (Ok(t), Some(service)) => t.require_service(service).map(|()| t),
            (result, _) => result,
        };
        // A long service's vector gives the URL before normalization.
        if let Some(url) = v["service_url"].as_str() {
            let stored = v["claims"]["service"].as_str().unwrap();
            assert_eq!(Service::new(url).unwrap().as_str(), stored, "{name}");
        }
        assert_eq!(class(&result), expect, "{name}: {result:?}");
        // A malformed vector names the rule it breaks.
        if let (Err(Error::Malformed(m)), Some(detail)) = (&result, v["detail"].as_str()) {
            assert_eq!(
                format!("{m:?}").to_lowercase(),
                detail.replace('_', ""),
                "{name}"
            );
        }
        assert_eq!(
            expect == "malformed",
            v["detail"].is_string(),
            "{name}: detail"
        );
        if let Ok(t) = &result {
            assert_eq!(
                serde_json::to_value(t.claims()).unwrap(),
                v["claims"],
                "{name}"
            );
            assert_eq!(t.key_id(), keyring.primary(), "{name}");
            let replay_id: String = codec
                .replay_id(t)
                .unwrap()
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
            assert_eq!(Some(replay_id.as_str()), v["replay_id"].as_str(), "{name}");
        }
        if expect == "expired" {
            let e = result.unwrap_err();
            assert!(
                matches!(e, Error::Expired { now: n, .. } if n == now),
                "{name}"
            );
        }
        expects.insert(expect.to_owned());
        count += 1;
    }
    assert!(count >= 25, "only {count} vectors in {}", dir.display());
    for class in [
        "ok",
        "malformed",
        "unknown_key",
        "auth_failed",
        "expired",
        "not_yet_valid",
        "too_long",
        "unsupported_version",
        "wrong_kind",
        "service_mismatch",
    ] {
        assert!(expects.contains(class), "no vector expects {class}");
    }
}

/// The service URL battery (FORMAT.md §8), read as a second implementation
/// would read it.
#[test]
fn every_url_vector_normalizes_as_recorded() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors/urls/services.json");
    let v: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let cases = v["cases"].as_array().unwrap();
    assert!(cases.len() >= 40);
    let mut refused = 0;
    for case in cases {
        let url = case["url"].as_str().unwrap();
        let normalized = case["normalized"].as_str();
        assert_eq!(
            cas_ticket_codec::normalize(url).ok().as_deref(),
            normalized,
            "{url}"
        );
        let stored = Service::new(url).ok();
        assert_eq!(
            stored.as_ref().map(Service::as_str),
            case["stored"].as_str(),
            "{url}"
        );
        match normalized {
            Some(n) => assert!(cas_ticket_codec::is_normalized(n), "{n}"),
            None => refused += 1,
        }
    }
    assert!(refused >= 20, "the battery holds refusals");
}

/// The key-file vectors (FORMAT.md §10): each file loads, with its primary
/// and key ids, or is refused, as recorded.
#[test]
fn every_keyfile_vector_loads_as_recorded() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors/keyfiles/keyfiles.json");
    let vectors: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let cases = vectors["cases"].as_array().unwrap();
    assert!(cases.len() >= 15, "{} key-file vectors", cases.len());
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let loaded = Keyring::from_json(case["file"].as_str().unwrap().as_bytes());
        match case["expect"].as_str().unwrap() {
            "ok" => {
                let ring = loaded.unwrap_or_else(|e| panic!("{name}: {e}"));
                assert_eq!(ring.primary().to_string(), case["primary"], "{name}");
                let ids: Vec<String> = ring.keys().iter().map(|k| k.id().to_string()).collect();
                assert_eq!(serde_json::to_value(ids).unwrap(), case["ids"], "{name}");
            }
            _ => assert!(loaded.is_err(), "{name} loaded"),
        }
    }
}
