//! OAuth 2.0 codes and tokens (`OC-`, `AT-`, `RT-`) through the public API:
//! what they carry comes back exactly, the redirect URI matches only
//! itself, each kind opens only as itself, and the caps hold by
//! construction.
mod common;

use cas_ticket_codec::oauth::{
    Authorization, ClaimNames, ClaimsRequest, ClientId, CodeChallenge, GrantId,
    MAX_CLAIM_NAME_BYTES, MAX_CLAIM_NAMES, MAX_EXTRA_SCOPES, MAX_NONCE_BYTES, MAX_SCOPE_BYTES,
    Nonce, Scopes,
};
use cas_ticket_codec::{
    Alg, Authentication, Claims, Error, Grant, Kind, MAX_CODE_CHARS, MAX_PRINCIPAL_BYTES,
    MAX_TICKET_CHARS, Service,
};
use common::*;
use time::Duration;

const ALGS: [Alg; 2] = [Alg::Aes256Gcm, Alg::XChaCha20Poly1305];

fn code_with(
    authorization: Authorization,
    redirect_uri: &str,
    nonce: Option<&str>,
    challenge: Option<CodeChallenge>,
) -> Claims {
    let grant = Grant::Code {
        authorization,
        redirect_uri: Service::new(redirect_uri).unwrap(),
        nonce: nonce.map(|n| Nonce::new(n).unwrap()),
        challenge,
    };
    Claims::with_lifetime(auth(), grant, NOW, Duration::seconds(30)).unwrap()
}

#[test]
fn codes_and_tokens_round_trip_with_and_without_their_optional_fields() {
    let full = authorization().with_claims(ClaimsRequest {
        id_token: ClaimNames::new(["email_verified", "name"]).unwrap(),
        userinfo: ClaimNames::new(["picture", "groups"]).unwrap(),
    });
    let scoped = full
        .clone()
        .with_scopes(Scopes::parse("openid offline_access urn:moodle:admin api").unwrap());
    let mut all = vec![
        code(),
        access_token(),
        refresh_token(),
        code_with(authorization(), REDIRECT_URI, None, None),
        code_with(full.clone(), REDIRECT_URI, Some("not base64url!"), None),
        code_with(scoped.clone(), "http://127.0.0.1:8400/cb", Some("n"), None),
        code_with(
            scoped,
            "https://app.example.edu/oidc/callback/with/a/path/longer/than/sixty-four/characters",
            Some(&"x".repeat(MAX_NONCE_BYTES / 2)),
            Some(CodeChallenge::from_bytes([0xff; 32])),
        ),
    ];
    for grant in [
        Grant::AccessToken {
            authorization: full.clone(),
        },
        Grant::RefreshToken {
            authorization: full,
        },
    ] {
        all.push(Claims::with_lifetime(auth(), grant, NOW, Duration::hours(1)).unwrap());
    }
    for alg in ALGS {
        let codec = codec(alg);
        for claims in &all {
            let ticket = codec.encode(claims).unwrap();
            assert!(ticket.starts_with(&format!("{}-", claims.kind().prefix())));
            assert!(ticket.len() <= claims.kind().max_chars(), "{ticket}");
            assert!(
                ticket
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
            );
            let decoded = codec.decode(&ticket, NOW).unwrap();
            assert_eq!(decoded.claims(), claims, "{ticket}");
        }
    }
}

#[test]
fn what_a_code_carries_is_what_the_token_endpoint_and_the_id_token_need() {
    let ticket = codec(Alg::Aes256Gcm).encode(&code()).unwrap();
    let decoded = codec(Alg::Aes256Gcm).decode(&ticket, NOW).unwrap();
    let claims = decoded.claims();
    let Grant::Code {
        authorization,
        redirect_uri,
        nonce,
        challenge,
    } = claims.grant()
    else {
        panic!("not a code");
    };
    assert_eq!(authorization.client().as_str(), "moodle");
    assert_eq!(authorization.scopes().to_string(), "openid profile email");
    assert_eq!(authorization.grant(), GrantId::from_bytes(*b"grant-id"));
    assert!(redirect_uri.is_exactly(REDIRECT_URI));
    assert_eq!(nonce.as_ref().map(Nonce::as_str), Some(NONCE));
    assert!(challenge.unwrap().verify(VERIFIER));
    assert_eq!(claims.principal(), "jdoe@example.edu");
    assert_eq!(claims.authentication().methods(), ["Password"]);
    assert_eq!(claims.session(), Some(&session()));
    let json = serde_json::to_value(claims).unwrap();
    assert_eq!(json["kind"], "OC");
    assert_eq!(json["client_id"], "moodle");
    assert_eq!(json["scope"], "openid profile email");
    assert_eq!(json["redirect_uri"], REDIRECT_URI);
    assert_eq!(json["nonce"], NONCE);
    assert_eq!(
        json["code_challenge"],
        "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    );
    assert_eq!(json["grant_id"], "6772616e742d6964");
    assert_eq!(
        json["claims"],
        serde_json::json!({"id_token": [], "userinfo": []})
    );
}

/// RFC 6749 §4.1.3: the token request's `redirect_uri` must be identical to
/// the authorization request's. Every near miss below is refused, though
/// several mean the same URL to a browser.
#[test]
fn a_redirect_uri_matches_only_itself() {
    let long =
        "https://app.example.edu/oidc/callback/with/a/path/longer/than/sixty-four/characters";
    for uri in [REDIRECT_URI, long] {
        let stored = Service::new(uri).unwrap();
        assert!(stored.is_exactly(uri), "{uri}");
        assert_eq!(stored.is_shortened(), uri == long);
    }
    let stored = Service::new(REDIRECT_URI).unwrap();
    for near in [
        "https://Moodle.example.edu/auth/oidc/",
        "HTTPS://moodle.example.edu/auth/oidc/",
        "https://moodle.example.edu:443/auth/oidc/",
        "https://moodle.example.edu/auth/oidc/#",
        "https://moodle.example.edu/auth/oidc/#frag",
        "https://moodle.example.edu/auth/oidc",
        "https://moodle.example.edu/auth/oidc/?",
        "https://moodle.example.edu/auth/oidc/?x=1",
        "https://moodle.example.edu/auth/oidc//",
        "https://moodle.example.edu/auth/OIDC/",
        "https://moodle.example.edu/auth/%6Fidc/",
        "https://moodle.example.edu/auth/x/../oidc/",
        "https://moodle.example.edu/auth/./oidc/",
        "https://moodle.example.edu./auth/oidc/",
        "https://moodle.example.edu.evil.example/auth/oidc/",
        "https://moodle.example.edu@evil.example/auth/oidc/",
        "https://evil.example/https://moodle.example.edu/auth/oidc/",
        "http://moodle.example.edu/auth/oidc/",
        " https://moodle.example.edu/auth/oidc/",
        "https://moodle.example.edu/auth/oidc/ ",
        "https://moodle.example.edu\\auth/oidc/",
        "",
    ] {
        assert!(!stored.is_exactly(near), "{near:?}");
    }
    // A long URI is stored as a prefix and a digest: a change past the
    // prefix changes the digest.
    let stored = Service::new(long).unwrap();
    let other = long.replace("characters", "characterz");
    assert!(!stored.is_exactly(&other));
    assert!(!stored.is_exactly(&long.to_uppercase()));
}

#[test]
fn each_kind_opens_only_as_itself() {
    let codec = codec(Alg::Aes256Gcm);
    for claims in [code(), access_token(), refresh_token()] {
        let ticket = codec.encode(&claims).unwrap();
        let (prefix, body) = ticket.split_once('-').unwrap();
        for other in Kind::ALL {
            if other.prefix() == prefix {
                continue;
            }
            let relabelled = format!("{}-{body}", other.prefix());
            assert_eq!(
                codec.decode(&relabelled, NOW),
                Err(Error::AuthenticationFailed),
                "{prefix} as {other}"
            );
            assert_eq!(
                codec.decode_kind(&ticket, other, NOW),
                Err(Error::WrongKind {
                    expected: other,
                    found: claims.kind()
                })
            );
        }
    }
}

#[test]
fn a_code_expires_with_its_session_and_its_lifetime() {
    let codec = codec(Alg::Aes256Gcm);
    let ticket = codec.encode(&code()).unwrap();
    assert!(codec.decode(&ticket, NOW + Duration::seconds(29)).is_ok());
    assert!(matches!(
        codec.decode(&ticket, NOW + Duration::seconds(30)),
        Err(Error::Expired { .. })
    ));
    // A refresh token minted in a session ends with it.
    let rt = refresh_token();
    assert_eq!(rt.expires_at(), session().ends_at());
}

/// Caps by construction: claims that would make a longer ticket are
/// refused when encoded, with the kind's cap.
#[test]
fn the_caps_hold_by_construction() {
    let codec = codec(Alg::Aes256Gcm);
    let big_auth = Authentication::new("é".repeat(MAX_PRINCIPAL_BYTES / 2), NOW).unwrap();
    let scopes: Vec<String> = (0..MAX_EXTRA_SCOPES)
        .map(|i| format!("{i:02}{}", "s".repeat(MAX_SCOPE_BYTES - 2)))
        .collect();
    let names =
        (0..MAX_CLAIM_NAMES).map(|i| format!("{i:02}{}", "c".repeat(MAX_CLAIM_NAME_BYTES - 2)));
    let big = Authorization::new(
        ClientId::new("c".repeat(64)).unwrap(),
        Scopes::from_tokens(scopes.iter().map(String::as_str)).unwrap(),
        GrantId::from_bytes([1; 8]),
    )
    .with_claims(ClaimsRequest {
        id_token: ClaimNames::new(names.clone()).unwrap(),
        userinfo: ClaimNames::new(names).unwrap(),
    });
    for (kind, grant) in [
        (
            Kind::Code,
            Grant::Code {
                authorization: big.clone(),
                redirect_uri: Service::new(REDIRECT_URI).unwrap(),
                nonce: None,
                challenge: None,
            },
        ),
        (
            Kind::AccessToken,
            Grant::AccessToken {
                authorization: big.clone(),
            },
        ),
        (
            Kind::RefreshToken,
            Grant::RefreshToken {
                authorization: big.clone(),
            },
        ),
    ] {
        let claims =
            Claims::with_lifetime(big_auth.clone(), grant, NOW, Duration::hours(1)).unwrap();
        match codec.encode(&claims) {
            Err(Error::TooLong { length, max }) => {
                assert_eq!(max, kind.max_chars());
                assert!(length > max);
            }
            other => panic!("{kind}: {other:?}"),
        }
    }
    assert_eq!(Kind::Code.max_chars(), MAX_CODE_CHARS);
    assert_eq!(Kind::AccessToken.max_chars(), MAX_TICKET_CHARS);
    assert_eq!(Kind::RefreshToken.max_chars(), MAX_TICKET_CHARS);
}

/// A nonce that spells bytes in base64url is carried as them: a quarter
/// shorter than a text nonce of the same length.
#[test]
fn a_base64url_nonce_is_carried_as_its_bytes() {
    let codec = codec(Alg::Aes256Gcm);
    let len = |nonce: &str| {
        codec
            .encode(&code_with(authorization(), REDIRECT_URI, Some(nonce), None))
            .unwrap()
            .len()
    };
    // 43 characters each; the second is not base64url (`.`).
    let random = NONCE;
    let text = format!("{}.", &NONCE[..42]);
    assert!(
        len(random) + 12 <= len(&text),
        "{} {}",
        len(random),
        len(&text)
    );
}
