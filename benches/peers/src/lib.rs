//! The same claims in every format: ours, and the tokens an operator would
//! pick instead. Each peer carries them as JSON and validates fully on
//! decode: decrypt, parse, and check the expiry. Each decode returns what a
//! caller of that format gets: the peers their JSON claims, ours its
//! validated `Ticket`; `Decoded::json` compares them.

use cas_ticket_codec::{
    Alg, Authentication, Claims, Codec, Grant, Key, KeyId, Keyring, SecretKey, Service, Ticket,
};
use serde::{Deserialize, Serialize};
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

/// The validation instant.
pub const NOW: OffsetDateTime = datetime!(2026-11-22 10:00:00 UTC);
const KEY: [u8; 32] = [0x11; 32];

/// What a ticket carries, as a peer's JSON payload.
#[derive(Serialize, Deserialize, Debug, PartialEq, Clone)]
pub struct JsonClaims {
    pub sub: String,
    pub auth_time: i64,
    pub amr: Vec<String>,
    pub remember_me: bool,
    pub iat: i64,
    pub exp: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub renew: Option<bool>,
}

/// The typical ST and TGT of DESIGN.md.
pub fn claims(st: bool) -> Claims {
    let auth = Authentication::new("jdoe@example.edu", NOW - Duration::minutes(5))
        .unwrap()
        .with_method("Password")
        .unwrap();
    if st {
        let grant = Grant::Service {
            service: Service::new("https://app.example.edu/login?target=%2Fhome").unwrap(),
            fresh_login: false,
        };
        Claims::with_lifetime(auth, grant, NOW, Duration::seconds(10)).unwrap()
    } else {
        Claims::with_lifetime(auth, Grant::TicketGranting, NOW, Duration::hours(8)).unwrap()
    }
}

pub fn json_claims(claims: &Claims) -> JsonClaims {
    let auth = claims.authentication();
    let (service, renew) = match claims.grant() {
        Grant::Service { service, fresh_login } => (Some(service.to_string()), Some(*fresh_login)),
        _ => (None, None),
    };
    JsonClaims {
        sub: auth.principal().to_owned(),
        auth_time: auth.authenticated_at().unix_timestamp(),
        amr: auth.methods().to_vec(),
        remember_me: auth.remember_me(),
        iat: claims.issued_at().unix_timestamp(),
        exp: claims.expires_at().unix_timestamp(),
        service,
        renew,
    }
}

fn check_expiry(json: &[u8]) -> JsonClaims {
    let claims: JsonClaims = serde_json::from_slice(json).unwrap();
    assert!(NOW.unix_timestamp() < claims.exp, "expired");
    claims
}

/// The claims to encode, in each format's own form: ours as `Claims`, the
/// peers' as the JSON struct they serialize.
pub struct Input {
    pub claims: Claims,
    pub json: JsonClaims,
}

impl Input {
    pub fn new(claims: Claims) -> Self {
        let json = json_claims(&claims);
        Input { claims, json }
    }
}

/// What a format's decode hands its caller.
pub enum Decoded {
    Ours(Ticket),
    Json(JsonClaims),
}

impl Decoded {
    /// The claims as JSON, to check that every format carried the same.
    pub fn json(&self) -> JsonClaims {
        match self {
            Decoded::Ours(ticket) => json_claims(ticket.claims()),
            Decoded::Json(claims) => claims.clone(),
        }
    }
}

/// One token format: encode the claims, decode and validate a token.
pub trait Format {
    fn name(&self) -> &'static str;
    fn encode(&mut self, input: &Input) -> String;
    fn decode(&self, token: &str) -> Decoded;
}

pub struct Ours(pub Codec, pub Alg);

impl Ours {
    pub fn new(alg: Alg) -> Self {
        let id = KeyId::from_bytes([0, 1]);
        let ring = Keyring::new(vec![Key::new(id, alg, SecretKey::from_bytes(KEY))], id).unwrap();
        Ours(Codec::new(&ring), alg)
    }
}

impl Format for Ours {
    fn name(&self) -> &'static str {
        match self.1 {
            Alg::Aes256Gcm => "cas-ticket-codec aes256gcm",
            _ => "cas-ticket-codec xchacha20poly1305",
        }
    }
    fn encode(&mut self, input: &Input) -> String {
        self.0.encode(&input.claims).unwrap()
    }
    fn decode(&self, token: &str) -> Decoded {
        Decoded::Ours(self.0.decode(token, NOW).unwrap())
    }
}

pub struct Paseto(pasetors::keys::SymmetricKey<pasetors::version4::V4>);

impl Paseto {
    pub fn new() -> Self {
        Paseto(pasetors::keys::SymmetricKey::from(&KEY).unwrap())
    }
}

impl Format for Paseto {
    fn name(&self) -> &'static str {
        "PASETO v4.local (pasetors)"
    }
    fn encode(&mut self, input: &Input) -> String {
        let json = serde_json::to_vec(&input.json).unwrap();
        pasetors::version4::LocalToken::encrypt(&self.0, &json, None, None).unwrap()
    }
    fn decode(&self, token: &str) -> Decoded {
        use pasetors::token::UntrustedToken;
        let untrusted = UntrustedToken::<pasetors::Local, pasetors::version4::V4>::try_from(token).unwrap();
        let trusted = pasetors::version4::LocalToken::decrypt(&self.0, &untrusted, None, None).unwrap();
        Decoded::Json(check_expiry(trusted.payload().as_bytes()))
    }
}

pub struct Branca(branca::Branca);

impl Branca {
    pub fn new() -> Self {
        Branca(branca::Branca::new(&KEY).unwrap())
    }
}

impl Format for Branca {
    fn name(&self) -> &'static str {
        "Branca (branca)"
    }
    fn encode(&mut self, input: &Input) -> String {
        let json = serde_json::to_vec(&input.json).unwrap();
        self.0.encode(&json).unwrap()
    }
    fn decode(&self, token: &str) -> Decoded {
        // TTL 0: Branca's own timestamp check off; the claims' exp is checked.
        Decoded::Json(check_expiry(&self.0.decode(token, 0).unwrap()))
    }
}

pub struct Fernet(fernet::Fernet);

impl Fernet {
    pub fn new() -> Self {
        use base64::Engine as _;
        let key = base64::engine::general_purpose::URL_SAFE.encode(KEY);
        Fernet(fernet::Fernet::new(&key).unwrap())
    }
}

impl Format for Fernet {
    fn name(&self) -> &'static str {
        "Fernet (fernet, OpenSSL)"
    }
    fn encode(&mut self, input: &Input) -> String {
        let json = serde_json::to_vec(&input.json).unwrap();
        self.0.encrypt(&json)
    }
    fn decode(&self, token: &str) -> Decoded {
        Decoded::Json(check_expiry(&self.0.decrypt(token).unwrap()))
    }
}

pub struct Jwe {
    encrypter: josekit::jwe::alg::direct::DirectJweEncrypter,
    decrypter: josekit::jwe::alg::direct::DirectJweDecrypter,
}

impl Jwe {
    pub fn new() -> Self {
        Jwe {
            encrypter: josekit::jwe::Dir.encrypter_from_bytes(KEY).unwrap(),
            decrypter: josekit::jwe::Dir.decrypter_from_bytes(KEY).unwrap(),
        }
    }
}

impl Format for Jwe {
    fn name(&self) -> &'static str {
        "JWE dir+A256GCM (josekit, OpenSSL)"
    }
    fn encode(&mut self, input: &Input) -> String {
        let json = serde_json::to_vec(&input.json).unwrap();
        let mut header = josekit::jwe::JweHeader::new();
        header.set_content_encryption("A256GCM");
        josekit::jwe::serialize_compact(&json, &header, &self.encrypter).unwrap()
    }
    fn decode(&self, token: &str) -> Decoded {
        let (payload, _) = josekit::jwe::deserialize_compact(token, &self.decrypter).unwrap();
        Decoded::Json(check_expiry(&payload))
    }
}

/// Every format, ours first.
pub fn formats() -> Vec<Box<dyn Format>> {
    vec![
        Box::new(Ours::new(Alg::Aes256Gcm)),
        Box::new(Ours::new(Alg::XChaCha20Poly1305)),
        Box::new(Paseto::new()),
        Box::new(Branca::new()),
        Box::new(Fernet::new()),
        Box::new(Jwe::new()),
    ]
}
