//! OAuth codes and tokens: ours (`OC-`, `AT-`, `RT-`) against JWTs carrying
//! the same claims, HS256 and RS256 (josekit, OpenSSL), encode and decode
//! (full validation: signature or seal, expiry, the claims parsed) of the
//! typical relying party of issue 23, in one run. Prints each token's
//! length first.
//!
//! `cargo bench --bench oauth` (in benches/peers)

use std::hint::black_box;
use std::time::Duration;

use cas_ticket_codec::oauth::{Authorization, ClientId, CodeChallenge, GrantId, Nonce, Scopes};
use cas_ticket_codec::{
    Alg, Authentication, Claims, Codec, Grant, Keyring, Service, Session, SessionId,
};
use criterion::{Criterion, criterion_group, criterion_main};
use josekit::jws::{HS256, RS256};
use josekit::jwt::{self, JwtPayload};
use serde_json::{Map, Value};
use time::OffsetDateTime;

/// Issue 23's typical claims: client `moodle`, its redirect URI, `openid
/// profile email`, a 43-character nonce and an S256 challenge, the typical
/// principal in an 8-hour session; codes live 30 s, access tokens 1 h,
/// refresh tokens until the session ends.
fn typical(kind: &str, now: OffsetDateTime) -> Claims {
    let auth = Authentication::new("jdoe@example.edu", now - time::Duration::minutes(5))
        .unwrap()
        .with_method("Password")
        .unwrap();
    let session = Session::new(
        SessionId::from_bytes(*b"session!"),
        now + time::Duration::hours(8),
    );
    let authorization = Authorization::new(
        ClientId::new("moodle").unwrap(),
        Scopes::parse("openid profile email").unwrap(),
        GrantId::from_bytes(*b"grant-id"),
    );
    let (grant, lifetime) = match kind {
        "code" => (
            Grant::Code {
                authorization,
                redirect_uri: Service::new("https://moodle.example.edu/auth/oidc/").unwrap(),
                nonce: Some(Nonce::new("Qm9uam91ciwgdm9pY2kgdW4gbm9uY2UgZGUgdGVzdC4").unwrap()),
                challenge: Some(CodeChallenge::of_verifier(
                    "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk",
                )),
            },
            time::Duration::seconds(30),
        ),
        "access_token" => (
            Grant::AccessToken { authorization },
            time::Duration::hours(1),
        ),
        _ => (
            Grant::RefreshToken { authorization },
            time::Duration::hours(8),
        ),
    };
    Claims::with_lifetime(auth, grant, now, lifetime)
        .unwrap()
        .with_session(session)
        .unwrap()
}

/// The same claims as a JWT payload: our JSON view of them, with `exp` and
/// `iat` as JWTs write them.
fn payload(claims: &Claims) -> JwtPayload {
    let Value::Object(map) = serde_json::to_value(claims).unwrap() else {
        unreachable!()
    };
    let mut payload = JwtPayload::from_map(map).unwrap();
    payload.set_expires_at(&std::time::SystemTime::from(claims.expires_at()));
    payload.set_issued_at(&std::time::SystemTime::from(claims.issued_at()));
    payload
}

/// A JWT's validation as of `now` (as ours is given its instant): the
/// signature, then the expiry, then the claims.
fn jwt_decode(
    token: &str,
    verifier: &dyn josekit::jws::JwsVerifier,
    now: std::time::SystemTime,
) -> Map<String, Value> {
    let (payload, _) = jwt::decode_with_verifier(token, verifier).unwrap();
    let exp = payload.expires_at().unwrap();
    assert!(exp > now);
    payload.claims_set().clone()
}

fn oauth(c: &mut Criterion) {
    let now = OffsetDateTime::now_utc();
    let at = std::time::SystemTime::from(now);
    let keyring = Keyring::generate(Alg::Aes256Gcm).unwrap();
    let codec = Codec::new(&keyring);
    let secret = [7_u8; 32];
    let hs_signer = HS256.signer_from_bytes(secret).unwrap();
    let hs_verifier = HS256.verifier_from_bytes(secret).unwrap();
    let rsa = RS256.generate_key_pair(2048).unwrap();
    let rs_signer = RS256.signer_from_der(rsa.to_der_private_key()).unwrap();
    let rs_verifier = RS256.verifier_from_der(rsa.to_der_public_key()).unwrap();
    for kind in ["code", "access_token", "refresh_token"] {
        let claims = typical(kind, now);
        let ours = codec.encode(&claims).unwrap();
        let header = josekit::jws::JwsHeader::new();
        let body = payload(&claims);
        let hs = jwt::encode_with_signer(&body, &header, &hs_signer).unwrap();
        let rs = jwt::encode_with_signer(&body, &header, &rs_signer).unwrap();
        println!(
            "{kind}: ours {} chars, JWT HS256 {}, JWT RS256 {}",
            ours.len(),
            hs.len(),
            rs.len()
        );

        let mut group = c.benchmark_group(format!("{kind}/ours"));
        group.bench_function("encode", |b| {
            b.iter(|| codec.encode(black_box(&claims)).unwrap())
        });
        group.bench_function("decode", |b| {
            b.iter(|| codec.decode(black_box(&ours), now).unwrap())
        });
        group.finish();
        let mut group = c.benchmark_group(format!("{kind}/jwt-hs256"));
        group.bench_function("encode", |b| {
            b.iter(|| {
                jwt::encode_with_signer(black_box(&payload(&claims)), &header, &hs_signer).unwrap()
            })
        });
        group.bench_function("decode", |b| {
            b.iter(|| jwt_decode(black_box(&hs), &hs_verifier, at))
        });
        group.finish();
        let mut group = c.benchmark_group(format!("{kind}/jwt-rs256"));
        group.bench_function("encode", |b| {
            b.iter(|| {
                jwt::encode_with_signer(black_box(&payload(&claims)), &header, &rs_signer).unwrap()
            })
        });
        group.bench_function("decode", |b| {
            b.iter(|| jwt_decode(black_box(&rs), &rs_verifier, at))
        });
        group.finish();
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = oauth
}
criterion_main!(benches);
