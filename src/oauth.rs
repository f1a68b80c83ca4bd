//! What an OAuth 2.0 / OpenID Connect authorization code (`OC-`), access
//! token (`AT-`) or refresh token (`RT-`) carries besides the
//! authentication: the client, the granted scopes, the OIDC claims request,
//! the grant it belongs to and, for a code, the exact redirect URI, the OIDC
//! nonce and the PKCE challenge (FORMAT.md §7.1).
//!
//! Every text here is chosen by the relying party (or by whoever sends a
//! browser to its authorization request): each is coded alone, after the
//! secret part, so that a code's length tells nothing of its principal
//! beyond what a ticket's does (FORMAT.md §12).

use core::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest as _, Sha256};
use subtle::ConstantTimeEq as _;

use crate::error::{Error, InvalidClaims};

/// Longest client id, in bytes.
pub const MAX_CLIENT_ID_BYTES: usize = 64;
/// Longest scope token, in bytes.
pub const MAX_SCOPE_BYTES: usize = 64;
/// Most scopes besides [`STANDARD_SCOPES`] a grant carries.
pub const MAX_EXTRA_SCOPES: usize = 16;
/// Longest claim name of a claims request, in bytes of UTF-8.
pub const MAX_CLAIM_NAME_BYTES: usize = 64;
/// Most claim names a claims request asks for, per target (ID token, userinfo).
pub const MAX_CLAIM_NAMES: usize = 16;
/// Longest OIDC nonce, in bytes of UTF-8.
pub const MAX_NONCE_BYTES: usize = 128;
/// Bytes of a PKCE S256 challenge: a SHA-256 digest.
pub const CODE_CHALLENGE_BYTES: usize = 32;
/// Bytes of a [`GrantId`].
pub const GRANT_ID_BYTES: usize = 8;

/// The scopes OpenID Connect Core defines (§5.4, §11), carried as one bit
/// each, in this order: bit 0 is `openid`.
pub const STANDARD_SCOPES: [&str; 6] = [
    "openid",
    "profile",
    "email",
    "address",
    "phone",
    "offline_access",
];

/// An OAuth client id: 1 to [`MAX_CLIENT_ID_BYTES`] characters of
/// `%x20-7E` (RFC 6749 Appendix A.1).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct ClientId(String);

impl ClientId {
    /// Checks `id`.
    pub fn new(id: impl Into<String>) -> Result<Self, InvalidClaims> {
        let id = id.into();
        let visible = id.bytes().all(|b| (0x20..=0x7E).contains(&b));
        if id.is_empty() || id.len() > MAX_CLIENT_ID_BYTES || !visible {
            return Err(InvalidClaims::Client);
        }
        Ok(ClientId(id))
    }

    /// The id.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ClientId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for ClientId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ClientId({:?})", self.0)
    }
}

/// A set of scopes: the [`STANDARD_SCOPES`] as bits, any other scope token
/// by name, in ascending byte order.
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct Scopes {
    standard: u8,
    others: Vec<String>,
}

impl Scopes {
    /// The scopes of a `scope` parameter: scope tokens (`%x21 / %x23-5B /
    /// %x5D-7E`, RFC 6749 §3.3) separated by single spaces. A token given
    /// twice counts once; the empty string is the empty set.
    pub fn parse(scope: &str) -> Result<Self, InvalidClaims> {
        if scope.is_empty() {
            return Ok(Scopes::default());
        }
        Scopes::from_tokens(scope.split(' '))
    }

    /// The set of `tokens`, each checked as [`Scopes::parse`] checks them.
    pub fn from_tokens<'a>(
        tokens: impl IntoIterator<Item = &'a str>,
    ) -> Result<Self, InvalidClaims> {
        let mut scopes = Scopes::default();
        for token in tokens {
            if !is_scope_token(token) {
                return Err(InvalidClaims::Scope);
            }
            match standard_bit(token) {
                Some(bit) => scopes.standard |= bit,
                None => {
                    if let Err(at) = scopes.others.binary_search_by(|o| o.as_str().cmp(token)) {
                        scopes.others.insert(at, token.to_owned());
                    }
                }
            }
        }
        if scopes.others.len() > MAX_EXTRA_SCOPES {
            return Err(InvalidClaims::Scope);
        }
        Ok(scopes)
    }

    /// The set read from a payload: the standard bits and the other tokens,
    /// which must be valid, not standard, and strictly ascending (one set,
    /// one spelling).
    pub(crate) fn from_parts(standard: u64, others: Vec<String>) -> Option<Self> {
        let standard = u8::try_from(standard)
            .ok()
            .filter(|bits| bits >> STANDARD_SCOPES.len() == 0)?;
        let valid = others.len() <= MAX_EXTRA_SCOPES
            && others
                .iter()
                .all(|o| is_scope_token(o) && standard_bit(o).is_none())
            && others.windows(2).all(|w| matches!(w, [a, b] if a < b));
        valid.then_some(Scopes { standard, others })
    }

    /// The standard scopes as bits (bit `i` is `STANDARD_SCOPES[i]`).
    pub(crate) fn standard_bits(&self) -> u8 {
        self.standard
    }

    /// The scopes that are not standard, in ascending byte order.
    pub(crate) fn others(&self) -> &[String] {
        &self.others
    }

    /// Whether `scope` is in the set.
    pub fn contains(&self, scope: &str) -> bool {
        match standard_bit(scope) {
            Some(bit) => self.standard & bit != 0,
            None => self
                .others
                .binary_search_by(|o| o.as_str().cmp(scope))
                .is_ok(),
        }
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.standard == 0 && self.others.is_empty()
    }

    /// Whether every scope of this set is in `other`.
    pub fn is_subset(&self, other: &Scopes) -> bool {
        self.iter().all(|s| other.contains(s))
    }

    /// The scopes of this set that are also in `other`: what a client is
    /// granted of what it asked for.
    pub fn intersection(&self, other: &Scopes) -> Scopes {
        Scopes {
            standard: self.standard & other.standard,
            others: self
                .others
                .iter()
                .filter(|o| other.contains(o))
                .cloned()
                .collect(),
        }
    }

    /// The scopes: the standard ones in [`STANDARD_SCOPES`] order, then the
    /// others in ascending byte order.
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        let standard = STANDARD_SCOPES
            .iter()
            .enumerate()
            .filter(|(i, _)| self.standard & (1 << i) != 0)
            .map(|(_, s)| *s);
        standard.chain(self.others.iter().map(String::as_str))
    }
}

/// The `scope` parameter's form: the scopes separated by single spaces.
impl fmt::Display for Scopes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, scope) in self.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            f.write_str(scope)?;
        }
        Ok(())
    }
}

impl fmt::Debug for Scopes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Scopes({:?})", self.to_string())
    }
}

/// `scope-token = 1*( %x21 / %x23-5B / %x5D-7E )`, at most [`MAX_SCOPE_BYTES`].
fn is_scope_token(token: &str) -> bool {
    let allowed = |b: u8| b == 0x21 || (0x23..=0x5B).contains(&b) || (0x5D..=0x7E).contains(&b);
    !token.is_empty() && token.len() <= MAX_SCOPE_BYTES && token.bytes().all(allowed)
}

fn standard_bit(scope: &str) -> Option<u8> {
    let i = STANDARD_SCOPES.iter().position(|s| *s == scope)?;
    Some(1 << i)
}

/// The names of the claims an OIDC claims request (OIDC Core §5.5) asks for
/// one target: a set of up to [`MAX_CLAIM_NAMES`] names of 1 to
/// [`MAX_CLAIM_NAME_BYTES`] bytes without control characters, in ascending
/// byte order. What the request says of each (essential, values) is not
/// carried: the OP releases a requested claim when the client may have it.
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct ClaimNames(Vec<String>);

impl ClaimNames {
    /// The set of `names`; a name given twice counts once.
    pub fn new<S: Into<String>>(names: impl IntoIterator<Item = S>) -> Result<Self, InvalidClaims> {
        let mut set: Vec<String> = Vec::new();
        for name in names {
            let name = name.into();
            if !is_claim_name(&name) {
                return Err(InvalidClaims::ClaimNames);
            }
            if let Err(at) = set.binary_search(&name) {
                set.insert(at, name);
            }
            if set.len() > MAX_CLAIM_NAMES {
                return Err(InvalidClaims::ClaimNames);
            }
        }
        Ok(ClaimNames(set))
    }

    /// The set read from a payload: valid names, strictly ascending.
    pub(crate) fn from_sorted(names: Vec<String>) -> Option<Self> {
        let valid = names.len() <= MAX_CLAIM_NAMES
            && names.iter().all(|n| is_claim_name(n))
            && names.windows(2).all(|w| matches!(w, [a, b] if a < b));
        valid.then_some(ClaimNames(names))
    }

    /// The names, in ascending byte order.
    pub fn as_slice(&self) -> &[String] {
        &self.0
    }

    /// Whether `name` is asked for.
    pub fn contains(&self, name: &str) -> bool {
        self.0.binary_search_by(|n| n.as_str().cmp(name)).is_ok()
    }
}

impl fmt::Debug for ClaimNames {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(&self.0).finish()
    }
}

fn is_claim_name(name: &str) -> bool {
    !name.is_empty() && name.len() <= MAX_CLAIM_NAME_BYTES && !name.chars().any(char::is_control)
}

/// An OIDC claims request (OIDC Core §5.5): the claims asked for in the ID
/// token and at the userinfo endpoint, by name.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct ClaimsRequest {
    /// Asked for in the ID token.
    pub id_token: ClaimNames,
    /// Asked for at the userinfo endpoint.
    pub userinfo: ClaimNames,
}

/// An OIDC `nonce` (OIDC Core §3.1.2.1): 1 to [`MAX_NONCE_BYTES`] bytes of
/// UTF-8 without control characters, returned exactly in the ID token.
///
/// A nonce that is the canonical unpadded base64url spelling of some bytes
/// (as random nonces usually are) is carried as those bytes, a quarter
/// shorter; any other as its text.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Nonce(String);

impl Nonce {
    /// Checks `nonce`.
    pub fn new(nonce: impl Into<String>) -> Result<Self, InvalidClaims> {
        let nonce = nonce.into();
        if nonce.is_empty() || nonce.len() > MAX_NONCE_BYTES || nonce.chars().any(char::is_control)
        {
            return Err(InvalidClaims::Nonce);
        }
        Ok(Nonce(nonce))
    }

    /// The nonce whose canonical unpadded base64url spelling is `raw`.
    pub(crate) fn from_raw(raw: &[u8]) -> Option<Self> {
        if raw.is_empty() || base64url_len(raw.len()) > MAX_NONCE_BYTES {
            return None;
        }
        Some(Nonce(URL_SAFE_NO_PAD.encode(raw)))
    }

    /// The bytes this nonce is the canonical unpadded base64url spelling
    /// of, if it is one.
    pub(crate) fn raw(&self) -> Option<Vec<u8>> {
        let raw = URL_SAFE_NO_PAD.decode(&self.0).ok()?;
        (URL_SAFE_NO_PAD.encode(&raw) == self.0).then_some(raw)
    }

    /// The nonce.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Nonce {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Nonce({:?})", self.0)
    }
}

/// Characters of `n` bytes in unpadded base64.
const fn base64url_len(n: usize) -> usize {
    (n * 4).div_ceil(3)
}

/// Most raw bytes a nonce carried as bytes can have.
pub(crate) const MAX_RAW_NONCE_BYTES: usize = MAX_NONCE_BYTES * 3 / 4;

/// A PKCE `S256` code challenge (RFC 7636 §4.2): the SHA-256 of the
/// client's code verifier. The plain method is not supported.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct CodeChallenge([u8; CODE_CHALLENGE_BYTES]);

impl CodeChallenge {
    /// The challenge of a `code_challenge` parameter: exactly the 43
    /// characters of the canonical unpadded base64url spelling of 32 bytes.
    pub fn from_s256(challenge: &str) -> Result<Self, InvalidClaims> {
        let raw = URL_SAFE_NO_PAD
            .decode(challenge)
            .map_err(|_| InvalidClaims::CodeChallenge)?;
        let bytes = raw.try_into().map_err(|_| InvalidClaims::CodeChallenge)?;
        Ok(CodeChallenge(bytes))
    }

    /// The challenge of `verifier`: what a client computes.
    pub fn of_verifier(verifier: &str) -> Self {
        CodeChallenge(Sha256::digest(verifier.as_bytes()).into())
    }

    /// The challenge with these bytes.
    pub const fn from_bytes(bytes: [u8; CODE_CHALLENGE_BYTES]) -> Self {
        CodeChallenge(bytes)
    }

    /// The challenge's bytes.
    pub const fn to_bytes(self) -> [u8; CODE_CHALLENGE_BYTES] {
        self.0
    }

    /// Whether `verifier` is a code verifier (43 to 128 characters of
    /// `A-Z a-z 0-9 - . _ ~`, RFC 7636 §4.1) whose SHA-256 is this
    /// challenge, compared in constant time.
    pub fn verify(&self, verifier: &str) -> bool {
        let unreserved =
            |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~');
        let well_formed = (43..=128).contains(&verifier.len()) && verifier.bytes().all(unreserved);
        let digest: [u8; CODE_CHALLENGE_BYTES] = Sha256::digest(verifier.as_bytes()).into();
        well_formed & bool::from(digest.ct_eq(&self.0))
    }
}

/// The `code_challenge` parameter's form: unpadded base64url.
impl fmt::Display for CodeChallenge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&URL_SAFE_NO_PAD.encode(self.0))
    }
}

impl fmt::Debug for CodeChallenge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CodeChallenge({self})")
    }
}

/// The random id of a grant: one authorization, and every access and
/// refresh token issued from it (RFC 9700 §4.14.2's token family). A store
/// revokes a grant when its code is used twice or a rotated refresh token
/// is used again.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct GrantId([u8; GRANT_ID_BYTES]);

impl GrantId {
    /// A fresh id from the operating system's random source.
    pub fn generate() -> Result<Self, Error> {
        let mut bytes = [0_u8; GRANT_ID_BYTES];
        crate::keyring::fill_from_os(&mut bytes)?;
        Ok(GrantId(bytes))
    }

    /// The id with these bytes.
    pub const fn from_bytes(bytes: [u8; GRANT_ID_BYTES]) -> Self {
        GrantId(bytes)
    }

    /// The id's bytes.
    pub const fn to_bytes(self) -> [u8; GRANT_ID_BYTES] {
        self.0
    }
}

/// Lowercase hex, 16 digits.
impl fmt::Display for GrantId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|b| write!(f, "{b:02x}"))
    }
}

impl fmt::Debug for GrantId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "GrantId({self})")
    }
}

impl core::str::FromStr for GrantId {
    type Err = InvalidClaims;

    /// Reads 16 hex digits, in either case.
    fn from_str(hex: &str) -> Result<Self, InvalidClaims> {
        crate::claims::from_hex(hex)
            .map(GrantId)
            .ok_or(InvalidClaims::Grant)
    }
}

/// What every code and token of one grant carries: the client it was
/// granted to, the scopes granted, the claims asked for, and the grant's id.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Authorization {
    client: ClientId,
    scopes: Scopes,
    claims: ClaimsRequest,
    grant: GrantId,
}

impl Authorization {
    /// `scopes` granted to `client` in grant `grant`, with no claims request.
    pub fn new(client: ClientId, scopes: Scopes, grant: GrantId) -> Self {
        Authorization {
            client,
            scopes,
            claims: ClaimsRequest::default(),
            grant,
        }
    }

    /// The same, with the claims request `claims`.
    pub fn with_claims(mut self, claims: ClaimsRequest) -> Self {
        self.claims = claims;
        self
    }

    /// The same, with `scopes` in place of the scopes granted (a refresh
    /// that narrows them).
    pub fn with_scopes(mut self, scopes: Scopes) -> Self {
        self.scopes = scopes;
        self
    }

    /// The client.
    pub fn client(&self) -> &ClientId {
        &self.client
    }

    /// The scopes granted.
    pub fn scopes(&self) -> &Scopes {
        &self.scopes
    }

    /// The claims request.
    pub fn claims(&self) -> &ClaimsRequest {
        &self.claims
    }

    /// The grant's id.
    pub fn grant(&self) -> GrantId {
        self.grant
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_parse_as_a_set_and_print_in_one_order() {
        let scopes = Scopes::parse("email openid offline_access email urn:x:read").unwrap();
        assert_eq!(scopes.to_string(), "openid email offline_access urn:x:read");
        assert!(scopes.contains("openid") && scopes.contains("urn:x:read"));
        assert!(!scopes.contains("profile") && !scopes.contains("urn:x"));
        assert_eq!(Scopes::parse("").unwrap(), Scopes::default());
        let allowed = Scopes::parse("openid email").unwrap();
        assert_eq!(scopes.intersection(&allowed), allowed);
        assert!(allowed.is_subset(&scopes) && !scopes.is_subset(&allowed));
    }

    #[test]
    fn scopes_outside_the_grammar_are_refused() {
        for bad in [
            " openid",
            "openid ",
            "openid  email",
            "open\"id",
            "open\\id",
            "open\tid",
            "é",
            &"s".repeat(MAX_SCOPE_BYTES + 1),
        ] {
            assert_eq!(Scopes::parse(bad), Err(InvalidClaims::Scope), "{bad:?}");
        }
        let many: Vec<String> = (0..=MAX_EXTRA_SCOPES).map(|i| format!("s{i}")).collect();
        assert_eq!(
            Scopes::from_tokens(many.iter().map(String::as_str)),
            Err(InvalidClaims::Scope)
        );
        assert!(Scopes::from_tokens(many.iter().skip(1).map(String::as_str)).is_ok());
    }

    #[test]
    fn scopes_from_a_payload_have_one_spelling() {
        let others = |v: &[&str]| v.iter().map(|s| s.to_string()).collect();
        assert!(Scopes::from_parts(0b11_1111, others(&["a", "b"])).is_some());
        assert!(Scopes::from_parts(0b100_0000, others(&[])).is_none());
        assert!(Scopes::from_parts(256, others(&[])).is_none());
        assert!(Scopes::from_parts(0, others(&["b", "a"])).is_none());
        assert!(Scopes::from_parts(0, others(&["a", "a"])).is_none());
        assert!(Scopes::from_parts(0, others(&["openid"])).is_none());
        assert!(Scopes::from_parts(0, others(&["a b"])).is_none());
    }

    #[test]
    fn client_ids_are_visible_ascii() {
        assert!(ClientId::new("moodle").is_ok());
        assert!(ClientId::new("a b").is_ok());
        for bad in ["", "é", "a\nb", &"c".repeat(MAX_CLIENT_ID_BYTES + 1)] {
            assert_eq!(ClientId::new(bad), Err(InvalidClaims::Client), "{bad:?}");
        }
    }

    #[test]
    fn claim_names_are_a_bounded_set() {
        let names = ClaimNames::new(["email", "name", "email"]).unwrap();
        assert_eq!(names.as_slice(), ["email", "name"]);
        assert!(names.contains("name") && !names.contains("sub"));
        assert_eq!(ClaimNames::new([""]), Err(InvalidClaims::ClaimNames));
        assert_eq!(ClaimNames::new(["a\u{7}"]), Err(InvalidClaims::ClaimNames));
        let many = (0..=MAX_CLAIM_NAMES).map(|i| format!("c{i}"));
        assert_eq!(ClaimNames::new(many), Err(InvalidClaims::ClaimNames));
        assert!(ClaimNames::from_sorted(vec!["b".into(), "a".into()]).is_none());
    }

    #[test]
    fn nonces_in_base64url_are_carried_as_their_bytes() {
        let nonce = Nonce::new("n-0S6_WzA2Mj").unwrap();
        let raw = nonce.raw().unwrap();
        assert_eq!(raw.len(), 9);
        assert_eq!(Nonce::from_raw(&raw), Some(nonce));
        // Not canonical base64url: carried as text.
        for text in ["abcd=", "abcde", "ab+/", "abd", "a b"] {
            assert_eq!(Nonce::new(text).unwrap().raw(), None, "{text}");
        }
        assert_eq!(Nonce::new(""), Err(InvalidClaims::Nonce));
        assert_eq!(Nonce::new("a\u{0}"), Err(InvalidClaims::Nonce));
        let long = "n".repeat(MAX_NONCE_BYTES + 1);
        assert_eq!(Nonce::new(long), Err(InvalidClaims::Nonce));
        assert!(Nonce::from_raw(&[0; MAX_RAW_NONCE_BYTES]).is_some());
        assert!(Nonce::from_raw(&[0; MAX_RAW_NONCE_BYTES + 1]).is_none());
        assert!(Nonce::from_raw(&[]).is_none());
    }

    #[test]
    fn pkce_s256_as_rfc_7636_appendix_b() {
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        let challenge =
            CodeChallenge::from_s256("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM").unwrap();
        assert_eq!(CodeChallenge::of_verifier(verifier), challenge);
        assert!(challenge.verify(verifier));
        assert_eq!(
            challenge.to_string(),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
        assert!(!challenge.verify("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXj"));
        // A verifier outside RFC 7636's grammar fails even if it hashes right.
        let short = "abc";
        assert!(!CodeChallenge::of_verifier(short).verify(short));
        let spaced = "a b".repeat(20);
        assert!(!CodeChallenge::of_verifier(&spaced).verify(&spaced));
        for bad in [
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM=",
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cN",
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-c",
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw+cM",
        ] {
            assert_eq!(
                CodeChallenge::from_s256(bad),
                Err(InvalidClaims::CodeChallenge),
                "{bad}"
            );
        }
    }

    #[test]
    fn grant_ids_print_and_parse_as_hex() {
        let id = GrantId::from_bytes(*b"\x01\x23\x45\x67\x89\xab\xcd\xef");
        assert_eq!(id.to_string(), "0123456789abcdef");
        assert_eq!("0123456789ABCDEF".parse(), Ok(id));
        assert_eq!("0123".parse::<GrantId>(), Err(InvalidClaims::Grant));
        assert_ne!(GrantId::generate().unwrap(), GrantId::generate().unwrap());
    }
}
