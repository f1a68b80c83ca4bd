//! The OpenID provider's ID token signing keys: a JSON key file (mode 0600,
//! like the keyring) of private keys, each named by its RFC 7638 JWK
//! thumbprint, one of them active.
//!
//! ```json
//! { "version": 1, "active": "<kid>",
//!   "keys": [ { "kid": "<kid>", "alg": "RS256", "private_key": "<base64 PKCS#8 DER>" } ] }
//! ```
//!
//! Rotation is the keyring's: `add` a key (published in the JWKS at once,
//! signing nothing), wait until relying parties have fetched the JWKS
//! again, `promote` it (it signs from then on), and `retire` the old key
//! once the ID tokens it signed have expired. Every key of the file is
//! published; the active one signs. RS256 is what OIDC Core §15.1 requires
//! of every OP; ES256 and EdDSA (Ed25519) are shorter and faster.

use std::fmt;
use std::fs;
use std::io::Read as _;
use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rand_core::OsRng;
use rsa::pkcs8::{DecodePrivateKey as _, EncodePrivateKey as _};
use rsa::traits::PublicKeyParts as _;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};
use zeroize::Zeroizing;

/// RSA modulus size of generated RS256 keys.
const RSA_BITS: usize = 2048;

/// The signature algorithm of a signing key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum SigningAlg {
    /// RSASSA-PKCS1-v1_5 with SHA-256, 2048-bit keys: what every RP accepts.
    Rs256,
    /// ECDSA on P-256 with SHA-256.
    Es256,
    /// Ed25519 (RFC 8037).
    Eddsa,
}

impl SigningAlg {
    /// The JOSE name: `RS256`, `ES256`, `EdDSA`.
    pub fn name(self) -> &'static str {
        match self {
            SigningAlg::Rs256 => "RS256",
            SigningAlg::Es256 => "ES256",
            SigningAlg::Eddsa => "EdDSA",
        }
    }

    fn from_name(name: &str) -> Option<SigningAlg> {
        [SigningAlg::Rs256, SigningAlg::Es256, SigningAlg::Eddsa]
            .into_iter()
            .find(|alg| alg.name() == name)
    }

    fn jose(self) -> Algorithm {
        match self {
            SigningAlg::Rs256 => Algorithm::RS256,
            SigningAlg::Es256 => Algorithm::ES256,
            SigningAlg::Eddsa => Algorithm::EdDSA,
        }
    }
}

/// One private key, ready to sign, with its public JWK.
struct SigningKey {
    kid: String,
    alg: SigningAlg,
    /// PKCS#8 DER, as the file holds it.
    pkcs8: Zeroizing<Vec<u8>>,
    signer: Signer,
    /// The public key, to verify what this key signed (an `id_token_hint`).
    decoding: DecodingKey,
    /// The public JWK, `kid`, `alg` and `use` included.
    jwk: Value,
}

/// What signs with a key: ring for RS256 (its RSA is several times faster
/// than the rsa crate's, which jsonwebtoken's rust_crypto backend uses),
/// jsonwebtoken for the others.
enum Signer {
    Ring(Box<ring::signature::RsaKeyPair>),
    Jose(EncodingKey),
}

impl SigningKey {
    /// A fresh key of `alg` from the operating system's random source.
    fn generate(alg: SigningAlg) -> Result<SigningKey, String> {
        let pkcs8 = match alg {
            SigningAlg::Rs256 => rsa::RsaPrivateKey::new(&mut OsRng, RSA_BITS)
                .map_err(|e| format!("cannot generate an RSA key: {e}"))?
                .to_pkcs8_der()
                .map_err(|e| format!("cannot encode the RSA key: {e}"))?
                .as_bytes()
                .to_vec(),
            SigningAlg::Es256 => p256::ecdsa::SigningKey::random(&mut OsRng)
                .to_pkcs8_der()
                .map_err(|e| format!("cannot encode the P-256 key: {e}"))?
                .as_bytes()
                .to_vec(),
            SigningAlg::Eddsa => ed25519_dalek::SigningKey::generate(&mut OsRng)
                .to_pkcs8_der()
                .map_err(|e| format!("cannot encode the Ed25519 key: {e}"))?
                .as_bytes()
                .to_vec(),
        };
        SigningKey::from_pkcs8(alg, Zeroizing::new(pkcs8))
    }

    /// The key of `alg` whose PKCS#8 DER is `pkcs8`, its kid computed.
    fn from_pkcs8(alg: SigningAlg, pkcs8: Zeroizing<Vec<u8>>) -> Result<SigningKey, String> {
        let (signer, decoding, public) = match alg {
            SigningAlg::Rs256 => {
                let key = rsa::RsaPrivateKey::from_pkcs8_der(&pkcs8)
                    .map_err(|_| "not an RSA private key in PKCS#8".to_owned())?;
                if key.size() * 8 < RSA_BITS {
                    return Err(format!("RSA keys must have at least {RSA_BITS} bits"));
                }
                let ring = ring::signature::RsaKeyPair::from_pkcs8(&pkcs8)
                    .map_err(|e| format!("ring refuses the RSA key: {e}"))?;
                let (n, e) = (
                    URL_SAFE_NO_PAD.encode(key.n().to_bytes_be()),
                    URL_SAFE_NO_PAD.encode(key.e().to_bytes_be()),
                );
                let decoding = DecodingKey::from_rsa_components(&n, &e)
                    .map_err(|e| format!("cannot read the RSA public key: {e}"))?;
                let public = json!({ "kty": "RSA", "n": n, "e": e });
                (Signer::Ring(Box::new(ring)), decoding, public)
            }
            SigningAlg::Es256 => {
                let key = p256::ecdsa::SigningKey::from_pkcs8_der(&pkcs8)
                    .map_err(|_| "not a P-256 private key in PKCS#8".to_owned())?;
                let point = key.verifying_key().to_encoded_point(false);
                let (Some(x), Some(y)) = (point.x(), point.y()) else {
                    return Err("not a P-256 private key in PKCS#8".to_owned());
                };
                let (x, y) = (URL_SAFE_NO_PAD.encode(x), URL_SAFE_NO_PAD.encode(y));
                let decoding = DecodingKey::from_ec_components(&x, &y)
                    .map_err(|e| format!("cannot read the P-256 public key: {e}"))?;
                let public = json!({ "kty": "EC", "crv": "P-256", "x": x, "y": y });
                (
                    Signer::Jose(EncodingKey::from_ec_der(&pkcs8)),
                    decoding,
                    public,
                )
            }
            SigningAlg::Eddsa => {
                let key = ed25519_dalek::SigningKey::from_pkcs8_der(&pkcs8)
                    .map_err(|_| "not an Ed25519 private key in PKCS#8".to_owned())?;
                let x = URL_SAFE_NO_PAD.encode(key.verifying_key().as_bytes());
                let decoding = DecodingKey::from_ed_components(&x)
                    .map_err(|e| format!("cannot read the Ed25519 public key: {e}"))?;
                let public = json!({ "kty": "OKP", "crv": "Ed25519", "x": x });
                (
                    Signer::Jose(EncodingKey::from_ed_der(&pkcs8)),
                    decoding,
                    public,
                )
            }
        };
        let kid = thumbprint(&public);
        let mut jwk = public;
        if let Value::Object(members) = &mut jwk {
            members.insert("kid".into(), Value::String(kid.clone()));
            members.insert("alg".into(), Value::String(alg.name().into()));
            members.insert("use".into(), Value::String("sig".into()));
        }
        Ok(SigningKey {
            kid,
            alg,
            pkcs8,
            signer,
            decoding,
            jwk,
        })
    }
}

/// The RFC 7638 thumbprint of a public JWK: the unpadded base64url of the
/// SHA-256 of its required members, in lexicographic order, without
/// whitespace. serde_json's maps are ordered by key, so the object's own
/// serialization is that form.
fn thumbprint(public: &Value) -> String {
    let canonical = public.to_string();
    URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes()))
}

/// The signing keys of a key file: all published, one active.
pub struct SigningKeys {
    keys: Vec<SigningKey>,
    active: usize,
}

/// Secrets stay out of logs: the key ids and algorithms only.
impl fmt::Debug for SigningKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let keys: Vec<(&str, &str)> = self
            .keys
            .iter()
            .map(|k| (k.kid.as_str(), k.alg.name()))
            .collect();
        f.debug_struct("SigningKeys")
            .field("keys", &keys)
            .field("active", &self.active_kid())
            .finish()
    }
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyFile {
    version: u32,
    active: String,
    keys: Vec<KeyEntry>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyEntry {
    kid: String,
    alg: String,
    private_key: Zeroizing<String>,
}

impl SigningKeys {
    /// One fresh key of `alg`, active.
    pub fn generate(alg: SigningAlg) -> Result<SigningKeys, String> {
        Ok(SigningKeys {
            keys: vec![SigningKey::generate(alg)?],
            active: 0,
        })
    }

    /// Reads the key file at `path`, which must be private (0600, this
    /// user's own) as the keyring must.
    pub fn load(path: &Path) -> Result<SigningKeys, String> {
        let shown = path.display();
        let mut file =
            fs::File::open(path).map_err(|e| format!("cannot read signing keys {shown}: {e}"))?;
        cas_ticket_codec::check_private_file(&file)
            .map_err(|e| format!("signing keys {shown}: {e}"))?;
        let mut text = Zeroizing::new(String::new());
        file.read_to_string(&mut text)
            .map_err(|e| format!("cannot read signing keys {shown}: {e}"))?;
        SigningKeys::parse(&text).map_err(|e| format!("signing keys {shown}: {e}"))
    }

    /// Reads a key file's text: every key decodes, its kid is its
    /// thumbprint, kids are distinct, the active one is among them.
    pub fn parse(text: &str) -> Result<SigningKeys, String> {
        if text.contains('\\') {
            // None is ever needed, and a parser unescapes into buffers it
            // may not wipe (as FORMAT.md §10 says of the keyring).
            return Err("JSON escapes (\\) are not allowed in a key file".into());
        }
        let file: KeyFile = serde_json::from_str(text)
            .map_err(|e| format!("line {}: not a signing key file", e.line()))?;
        if file.version != 1 {
            return Err(format!("unknown version {}", file.version));
        }
        let mut keys: Vec<SigningKey> = Vec::with_capacity(file.keys.len());
        for entry in &file.keys {
            let alg = SigningAlg::from_name(&entry.alg).ok_or_else(|| {
                format!(
                    "key {}: unknown alg {:?} (RS256, ES256 or EdDSA)",
                    entry.kid, entry.alg
                )
            })?;
            let der = STANDARD
                .decode(entry.private_key.as_bytes())
                .map(Zeroizing::new)
                .map_err(|_| format!("key {}: private_key is not base64", entry.kid))?;
            let key =
                SigningKey::from_pkcs8(alg, der).map_err(|e| format!("key {}: {e}", entry.kid))?;
            if key.kid != entry.kid {
                return Err(format!(
                    "key {}: the kid is not the key's thumbprint ({})",
                    entry.kid, key.kid
                ));
            }
            if keys.iter().any(|k| k.kid == key.kid) {
                return Err(format!("key {} is listed twice", key.kid));
            }
            keys.push(key);
        }
        let active = keys
            .iter()
            .position(|k| k.kid == file.active)
            .ok_or_else(|| format!("the active key {} is not in the file", file.active))?;
        Ok(SigningKeys { keys, active })
    }

    /// The file's text.
    fn to_json(&self) -> Zeroizing<String> {
        let file = KeyFile {
            version: 1,
            active: self.active_kid().to_owned(),
            keys: self
                .keys
                .iter()
                .map(|k| KeyEntry {
                    kid: k.kid.clone(),
                    alg: k.alg.name().to_owned(),
                    private_key: Zeroizing::new(STANDARD.encode(&*k.pkcs8)),
                })
                .collect(),
        };
        // Strings and integers always serialize.
        let mut text = Zeroizing::new(serde_json::to_string_pretty(&file).unwrap_or_default());
        text.push('\n');
        text
    }

    /// Writes the file at `path` with mode 0600: a new file when `new`
    /// (never over an existing one), else atomically over the old one.
    pub fn save(&self, path: &Path, new: bool) -> Result<(), String> {
        cas_ticket_codec::write_private_file(path, self.to_json().as_bytes(), !new)
            .map_err(|e| format!("cannot write signing keys {}: {e}", path.display()))
    }

    /// Adds a fresh key of `alg`, published but not active; its kid.
    pub fn add(&mut self, alg: SigningAlg) -> Result<String, String> {
        let key = SigningKey::generate(alg)?;
        let kid = key.kid.clone();
        self.keys.push(key);
        Ok(kid)
    }

    /// Makes `kid` the key that signs.
    pub fn promote(&mut self, kid: &str) -> Result<(), String> {
        self.active = self.position(kid)?;
        Ok(())
    }

    /// Removes `kid`: relying parties stop accepting what it signed once
    /// they fetch the JWKS again. The active key cannot be retired.
    pub fn retire(&mut self, kid: &str) -> Result<(), String> {
        let at = self.position(kid)?;
        if at == self.active {
            return Err(format!("{kid} is the active key: promote another first"));
        }
        self.keys.remove(at);
        if at < self.active {
            self.active -= 1;
        }
        Ok(())
    }

    fn position(&self, kid: &str) -> Result<usize, String> {
        self.keys
            .iter()
            .position(|k| k.kid == kid)
            .ok_or_else(|| format!("no key {kid}"))
    }

    /// The kid of the key that signs.
    pub fn active_kid(&self) -> &str {
        self.keys.get(self.active).map_or("", |k| k.kid.as_str())
    }

    /// The kids and algorithms, and which is active: what `list` prints.
    pub fn summary(&self) -> Value {
        let keys: Vec<Value> = self
            .keys
            .iter()
            .enumerate()
            .map(|(i, k)| json!({ "kid": k.kid, "alg": k.alg.name(), "active": i == self.active }))
            .collect();
        json!({ "active": self.active_kid(), "keys": keys })
    }

    /// The JWK Set (RFC 7517 §5) of every key: what `jwks_uri` serves.
    pub fn jwks(&self) -> Value {
        let keys: Vec<&Value> = self.keys.iter().map(|k| &k.jwk).collect();
        json!({ "keys": keys })
    }

    /// The algorithms of the published keys, for discovery.
    pub fn algorithms(&self) -> Vec<&'static str> {
        let mut algs: Vec<&'static str> = self.keys.iter().map(|k| k.alg.name()).collect();
        algs.sort_unstable();
        algs.dedup();
        algs
    }

    /// The claims of a JWT that one of these keys signed (its header names
    /// the key and that key's algorithm) for `issuer`, expired or not:
    /// what an `id_token_hint` is checked with. `None` for anything else.
    pub fn verify(&self, token: &str, issuer: &str) -> Option<serde_json::Map<String, Value>> {
        let header = jsonwebtoken::decode_header(token).ok()?;
        let kid = header.kid?;
        let key = self.keys.iter().find(|k| k.kid == kid)?;
        if header.alg != key.alg.jose() {
            return None;
        }
        let mut validation = Validation::new(key.alg.jose());
        validation.validate_exp = false;
        validation.validate_aud = false;
        validation.required_spec_claims.clear();
        validation.set_issuer(&[issuer]);
        jsonwebtoken::decode::<serde_json::Map<String, Value>>(token, &key.decoding, &validation)
            .ok()
            .map(|data| data.claims)
    }

    /// `claims` as a JWT signed by the active key, its header naming the
    /// key (`kid`) and the algorithm.
    pub fn sign<T: Serialize>(&self, claims: &T) -> Result<String, String> {
        let key = self.keys.get(self.active).ok_or("no active signing key")?;
        let fail = |e: &dyn fmt::Display| format!("cannot sign with {}: {e}", key.kid);
        let rsa = match &key.signer {
            Signer::Ring(rsa) => rsa,
            Signer::Jose(encoding) => {
                let mut header = Header::new(key.alg.jose());
                header.kid = Some(key.kid.clone());
                return jsonwebtoken::encode(&header, claims, encoding).map_err(|e| fail(&e));
            }
        };
        // RFC 7515 §7.1, as jsonwebtoken writes it: the header, the
        // claims, the RSASSA-PKCS1-v1_5 SHA-256 signature of both.
        let header = json!({ "typ": "JWT", "alg": "RS256", "kid": key.kid });
        let payload = serde_json::to_vec(claims).map_err(|e| fail(&e))?;
        let mut jwt = URL_SAFE_NO_PAD.encode(header.to_string());
        jwt.push('.');
        jwt.push_str(&URL_SAFE_NO_PAD.encode(payload));
        let mut signature = vec![0_u8; rsa.public().modulus_len()];
        rsa.sign(
            &ring::signature::RSA_PKCS1_SHA256,
            &ring::rand::SystemRandom::new(),
            jwt.as_bytes(),
            &mut signature,
        )
        .map_err(|e| fail(&e))?;
        jwt.push('.');
        jwt.push_str(&URL_SAFE_NO_PAD.encode(signature));
        Ok(jwt)
    }
}

/// `cas-node signing-keys …`: what it prints, or why it failed.
pub fn run(command: &crate::config::SigningKeysCommand) -> Result<String, String> {
    use crate::config::SigningKeysCommand as C;
    let update = |path: &Path, change: &dyn Fn(&mut SigningKeys) -> Result<String, String>| {
        let mut keys = SigningKeys::load(path)?;
        let out = change(&mut keys)?;
        keys.save(path, false)?;
        Ok(out)
    };
    match command {
        C::New { out, alg } => {
            let keys = SigningKeys::generate(*alg)?;
            keys.save(out, true)?;
            Ok(keys.active_kid().to_owned())
        }
        C::Add { path, alg } => update(path, &|keys| keys.add(*alg)),
        C::Promote { path, kid } => update(path, &|keys| keys.promote(kid).map(|()| kid.clone())),
        C::Retire { path, kid } => update(path, &|keys| keys.retire(kid).map(|()| kid.clone())),
        C::List { path } => Ok(SigningKeys::load(path)?.summary().to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jsonwebtoken::{DecodingKey, Validation, jwk::Jwk};

    const ALGS: [SigningAlg; 3] = [SigningAlg::Rs256, SigningAlg::Es256, SigningAlg::Eddsa];

    /// Verifies `token` with the JWK of `jwks` its header names, as a
    /// relying party does.
    fn verify(jwks: &Value, token: &str) -> Result<Value, jsonwebtoken::errors::Error> {
        let header = jsonwebtoken::decode_header(token)?;
        let kid = header.kid.unwrap();
        let set: jsonwebtoken::jwk::JwkSet = serde_json::from_value(jwks.clone()).unwrap();
        let jwk: &Jwk = set.find(&kid).unwrap();
        let key = DecodingKey::from_jwk(jwk)?;
        let mut validation = Validation::new(header.alg);
        validation.validate_exp = false;
        validation.required_spec_claims.clear();
        validation.validate_aud = false;
        Ok(jsonwebtoken::decode::<Value>(token, &key, &validation)?.claims)
    }

    #[test]
    fn every_algorithm_signs_what_its_published_jwk_verifies() {
        for alg in ALGS {
            let keys = SigningKeys::generate(alg).unwrap();
            let claims = json!({"sub": "jdoe", "nonce": "n-0S6"});
            let token = keys.sign(&claims).unwrap();
            let header = jsonwebtoken::decode_header(&token).unwrap();
            assert_eq!(header.alg, alg.jose());
            assert_eq!(header.kid.as_deref(), Some(keys.active_kid()));
            assert_eq!(verify(&keys.jwks(), &token).unwrap(), claims, "{alg:?}");
            let jwk = &keys.jwks()["keys"][0];
            assert_eq!(jwk["alg"], alg.name());
            assert_eq!(jwk["use"], "sig");
            assert!(jwk.get("d").is_none() && jwk.get("p").is_none(), "{jwk}");
            // Another key's JWK does not verify it.
            let other = SigningKeys::generate(alg).unwrap();
            let mut forged = other.jwks();
            forged["keys"][0]["kid"] = Value::String(keys.active_kid().into());
            assert!(verify(&forged, &token).is_err(), "{alg:?}");
        }
    }

    /// RFC 7638 §3.1's example: the thumbprint of its RSA key.
    #[test]
    fn an_id_token_hint_verifies_with_the_key_that_signed_it_for_this_issuer_only() {
        for alg in ALGS {
            let mut keys = SigningKeys::generate(alg).unwrap();
            let claims =
                json!({"iss": "https://sso.example.edu/cas/oidc", "sub": "jdoe", "exp": 1});
            let token = keys.sign(&claims).unwrap();
            let issuer = "https://sso.example.edu/cas/oidc";
            // Expired long ago: still a hint.
            assert_eq!(
                keys.verify(&token, issuer).map(Value::Object),
                Some(claims.clone())
            );
            assert_eq!(keys.verify(&token, "https://other.example/oidc"), None);
            // Another key of the same file, promoted: the old one still verifies.
            let newer = keys.add(SigningAlg::Es256).unwrap();
            keys.promote(&newer).unwrap();
            assert!(keys.verify(&token, issuer).is_some());
            // Forged: a byte of the payload changed, or a foreign key's signature.
            let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
            parts[1] = URL_SAFE_NO_PAD
                .encode(br#"{"iss":"https://sso.example.edu/cas/oidc","sub":"admin","exp":1}"#);
            assert_eq!(keys.verify(&parts.join("."), issuer), None, "{alg:?}");
            let foreign = SigningKeys::generate(alg).unwrap().sign(&claims).unwrap();
            assert_eq!(keys.verify(&foreign, issuer), None);
            assert_eq!(keys.verify("not a jwt", issuer), None);
        }
    }

    #[test]
    fn kids_are_rfc_7638_thumbprints() {
        let n = "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw";
        let public = json!({"kty": "RSA", "n": n, "e": "AQAB"});
        assert_eq!(
            thumbprint(&public),
            "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
        );
    }

    #[test]
    fn rotation_publishes_before_it_signs_and_retires_only_the_inactive() {
        let mut keys = SigningKeys::generate(SigningAlg::Rs256).unwrap();
        let old = keys.active_kid().to_owned();
        let new = keys.add(SigningAlg::Es256).unwrap();
        // Published at once, signing nothing yet.
        let kids: Vec<String> = keys.jwks()["keys"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k["kid"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(kids, [old.clone(), new.clone()]);
        let before = keys.sign(&json!({"sub": "a"})).unwrap();
        assert_eq!(
            jsonwebtoken::decode_header(&before).unwrap().kid,
            Some(old.clone())
        );
        assert_eq!(
            keys.retire(&old).unwrap_err(),
            format!("{old} is the active key: promote another first")
        );
        keys.promote(&new).unwrap();
        let after = keys.sign(&json!({"sub": "a"})).unwrap();
        assert_eq!(
            jsonwebtoken::decode_header(&after).unwrap().kid,
            Some(new.clone())
        );
        // A token the old key signed still verifies until it is retired.
        assert!(verify(&keys.jwks(), &before).is_ok());
        keys.retire(&old).unwrap();
        assert_eq!(keys.jwks()["keys"].as_array().unwrap().len(), 1);
        assert_eq!(keys.active_kid(), new);
        assert_eq!(keys.promote("nope").unwrap_err(), "no key nope");
        assert_eq!(keys.algorithms(), ["ES256"]);
    }

    #[test]
    fn the_file_round_trips_and_is_private() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("signing.json");
        let mut keys = SigningKeys::generate(SigningAlg::Eddsa).unwrap();
        keys.add(SigningAlg::Es256).unwrap();
        keys.save(&path, true).unwrap();
        assert!(keys.save(&path, true).unwrap_err().contains("exists"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
            let loaded = SigningKeys::load(&path).unwrap();
            assert_eq!(loaded.jwks(), keys.jwks());
            assert_eq!(loaded.active_kid(), keys.active_kid());
            fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
            let refused = SigningKeys::load(&path).unwrap_err();
            assert!(
                refused.contains("0644") || refused.contains("644"),
                "{refused}"
            );
        }
        assert!(!format!("{keys:?}").contains(&STANDARD.encode(&*keys.keys[0].pkcs8)));
    }

    #[test]
    fn a_file_that_breaks_a_rule_is_refused_with_the_reason() {
        let keys = SigningKeys::generate(SigningAlg::Es256).unwrap();
        let good = keys.to_json().to_string();
        let kid = keys.active_kid().to_owned();
        let other = SigningKeys::generate(SigningAlg::Es256).unwrap();
        let other_kid = other.active_kid().to_owned();
        let pkcs8 = STANDARD.encode(&*keys.keys[0].pkcs8);
        let cases: Vec<(String, String)> = vec![
            (
                good.replace("\"version\": 1", "\"version\": 2"),
                "unknown version 2".into(),
            ),
            (
                good.replace("\"ES256\"", "\"HS256\""),
                format!("key {kid}: unknown alg \"HS256\" (RS256, ES256 or EdDSA)"),
            ),
            (
                good.replace("\"ES256\"", "\"RS256\""),
                format!("key {kid}: not an RSA private key in PKCS#8"),
            ),
            (
                good.replace("\"ES256\"", "\"EdDSA\""),
                format!("key {kid}: not an Ed25519 private key in PKCS#8"),
            ),
            (
                good.replace(&pkcs8, "not base64!"),
                format!("key {kid}: private_key is not base64"),
            ),
            (
                good.replacen(
                    &format!("\"kid\": \"{kid}\""),
                    &format!("\"kid\": \"{other_kid}\""),
                    1,
                ),
                format!("key {other_kid}: the kid is not the key's thumbprint ({kid})"),
            ),
            (
                good.replace(
                    &format!("\"active\": \"{kid}\""),
                    &format!("\"active\": \"{other_kid}\""),
                ),
                format!("the active key {other_kid} is not in the file"),
            ),
            (
                good.replace("\"keys\"", "\"extra\": 1, \"keys\""),
                "line 1: not a signing key file".into(),
            ),
            (
                good.replace(&pkcs8, &format!("{pkcs8}\\u0041")),
                "JSON escapes (\\) are not allowed in a key file".into(),
            ),
        ];
        for (text, reason) in cases {
            let got = SigningKeys::parse(&text).unwrap_err();
            // serde's line numbers depend on the layout; the reason is the point.
            let got = if got.ends_with("not a signing key file") {
                "line 1: not a signing key file".to_owned()
            } else {
                got
            };
            assert_eq!(got, reason, "{text}");
        }
        let twice = {
            let entry = good
                .split("\"keys\": [")
                .nth(1)
                .unwrap()
                .trim_end()
                .trim_end_matches('}')
                .trim_end()
                .trim_end_matches(']')
                .to_owned();
            good.replacen(&entry, &format!("{entry},{entry}"), 1)
        };
        assert_eq!(
            SigningKeys::parse(&twice).unwrap_err(),
            format!("key {kid} is listed twice")
        );
        assert!(SigningKeys::parse(&good).is_ok());
    }
}
