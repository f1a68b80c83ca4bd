//! The static phrase code: each text field of a ticket is squeezed on its
//! own, against a fixed table of phrases (FORMAT.md §6).
//!
//! Nothing adapts: the code of a field depends on that field and on the
//! table, never on another field. So a field a third party chooses (the
//! service, a callback, a proxy) can never be compressed against a secret
//! one (the principal, the methods), and a ticket's length is the sum of
//! what each field costs alone: no CRIME/BREACH-style length oracle. HPACK's
//! static table (RFC 7541 §7.1) is the model.
//!
//! A code byte is one of:
//! * `0x20..=0x7E`: that ASCII character;
//! * `0x01..=0x1F`, `0x7F`, `0x80..=0xFF`: a phrase of [`PHRASES`] (160 slots);
//! * `0x00 n` (`n` in `1..=255`) then `n` raw bytes, each `>= 0x80`: the
//!   non-ASCII bytes of UTF-8 text.
//!
//! The encoder is greedy: at each position the longest phrase the rest of the
//! text starts with, else the character itself; a run of non-ASCII bytes is
//! cut into as few raw runs as possible. Text with control characters
//! (`0x00..=0x1F`, `0x7F`) cannot be coded; no field allows them. The decoder
//! accepts exactly what the encoder makes: it decodes, re-encodes and compares.

use crate::error::Malformed;

/// The phrase table of format version 2, in code order. Changing it is a new
/// format version. Chosen from what CAS tickets carry: URL schemes, hosts,
/// paths and query keys of CAS clients, Apereo CAS handler names, and
/// frequent letter groups of names.
pub const PHRASES: [&str; 160] = [
    // URLs: schemes, hosts, top-level domains.
    "https://",
    "http://",
    "www.",
    ".edu",
    ".com",
    ".org",
    ".net",
    ".gov",
    ".ac.uk",
    ".fr",
    ".de",
    ".io",
    "example",
    "localhost",
    "univ",
    "university",
    "college",
    "campus",
    "student",
    "staff",
    "library",
    "portal",
    "intranet",
    "mail",
    "moodle",
    "canvas",
    "wiki",
    "app",
    "api",
    "auth",
    "sso",
    "cas",
    "idp",
    "login",
    "logout",
    "account",
    "admin",
    "service",
    "secure",
    "home",
    "index",
    "dashboard",
    "callback",
    "Callback",
    "proxy",
    "test",
    "web",
    "my",
    // Paths and queries of CAS clients.
    "/login",
    "/cas/",
    "/j_spring_cas_security_check",
    "/Shibboleth.sso/",
    "/index.php",
    ".php",
    ".html",
    ".jsp",
    ".aspx",
    ".do",
    "/wp-login.php",
    "/user/",
    "/api/",
    "/auth/",
    "/app/",
    "/admin/",
    "/home",
    "/cb",
    "/pgtCallback",
    "/proxyCallback",
    "?service=",
    "?target=",
    "?next=",
    "?url=",
    "?redirect=",
    "?returnUrl=",
    "?ReturnUrl=",
    "?redirect_uri=",
    "&ticket=",
    "%2F",
    "%3A",
    "%3F",
    "%3D",
    "%26",
    "https%3A%2F%2F",
    "http%3A%2F%2F",
    // Authentication methods and Apereo CAS handler names.
    "AuthenticationHandler",
    "Authentication",
    "Handler",
    "Password",
    "Ldap",
    "Accept",
    "Users",
    "QueryDatabase",
    "X509",
    "Credentials",
    "Certificate",
    "DuoSecurity",
    "Multifactor",
    "Mfa",
    "Radius",
    "Yubikey",
    "GoogleAuthenticator",
    "Totp",
    "WebAuthn",
    "Saml",
    "Oidc",
    "OAuth",
    "Kerberos",
    "Spnego",
    "Jaas",
    "Jdbc",
    "Token",
    "Delegated",
    "Client",
    "Remembered",
    "Trusted",
    "Surrogate",
    // Letter groups frequent in names and words.
    "an",
    "ar",
    "er",
    "in",
    "on",
    "en",
    "el",
    "or",
    "ri",
    "ma",
    "la",
    "le",
    "ch",
    "th",
    "st",
    "de",
    "ie",
    "ne",
    "ll",
    "ss",
    "li",
    "ro",
    "ra",
    "na",
    "al",
    "ol",
    "is",
    "it",
    "ic",
    "ia",
    "es",
    "ed",
    "re",
    "te",
    "ti",
    "to",
    "ng",
    "ou",
    "us",
    "ur",
    "as",
    "at",
    "son",
    "man",
];

/// The escape byte that starts a run of raw non-ASCII bytes.
const RAW: u8 = 0x00;
/// Longest raw run.
const MAX_RAW_RUN: usize = 255;

/// Code byte of phrase `index` (FORMAT.md §6).
const fn code_of(index: usize) -> u8 {
    match index {
        0..=30 => (index + 1) as u8,
        31 => 0x7F,
        _ => (0x80 + (index - 32)) as u8,
    }
}

/// Phrase index of code byte `code`, if it names one.
const fn index_of(code: u8) -> Option<usize> {
    match code {
        0x01..=0x1F => Some(code as usize - 1),
        0x7F => Some(31),
        0x80..=0xFF => Some(code as usize - 0x80 + 32),
        _ => None,
    }
}

/// Candidate phrases by their first two bytes, longest first: `first[pair]`
/// is 1 + the index of the longest phrase starting with `pair` (0: none),
/// and `next[i]` the same for the next shorter one after phrase `i`.
struct Pairs {
    first: Vec<u8>,
    next: [u8; PHRASES.len()],
    /// Each phrase's first 8 bytes as a little-endian word (zero-padded),
    /// and the mask of the bytes it has: one comparison checks most phrases.
    head: [(u64, u64); PHRASES.len()],
}

/// Up to the first 8 bytes of `bytes` as a little-endian word, zero-padded.
fn word(bytes: &[u8]) -> u64 {
    if let Some(head) = bytes.first_chunk::<8>() {
        return u64::from_le_bytes(*head);
    }
    let mut buf = [0_u8; 8];
    for (slot, &b) in buf.iter_mut().zip(bytes) {
        *slot = b;
    }
    u64::from_le_bytes(buf)
}

/// Index of an ASCII byte pair in [`Pairs::first`].
fn pair_index(a: u8, b: u8) -> usize {
    (usize::from(a & 0x7F) << 7) | usize::from(b & 0x7F)
}

fn pairs() -> &'static Pairs {
    static PAIRS: std::sync::OnceLock<Pairs> = std::sync::OnceLock::new();
    PAIRS.get_or_init(|| {
        let mut pairs = Pairs {
            first: vec![0; 1 << 14],
            next: [0; PHRASES.len()],
            head: PHRASES.map(|p| {
                let len = p.len().min(8);
                let mask = if len == 8 {
                    u64::MAX
                } else {
                    (1 << (8 * len)) - 1
                };
                (word(p.as_bytes()), mask)
            }),
        };
        // Shortest first, each pushed to the front: the longest ends up first.
        let mut order: Vec<usize> = (0..PHRASES.len()).collect();
        order.sort_by_key(|&i| PHRASES.get(i).map_or(0, |p| p.len()));
        for i in order {
            let (Some(&[a, b, ..]), Ok(tag)) =
                (PHRASES.get(i).map(|p| p.as_bytes()), u8::try_from(i + 1))
            else {
                continue;
            };
            if let (Some(head), Some(next)) =
                (pairs.first.get_mut(pair_index(a, b)), pairs.next.get_mut(i))
            {
                *next = *head;
                *head = tag;
            }
        }
        pairs
    })
}

/// The index of the longest phrase `rest` starts with.
fn longest_phrase(pairs: &Pairs, rest: &[u8]) -> Option<usize> {
    let (&a, &b) = (rest.first()?, rest.get(1)?);
    if a >= 0x80 || b >= 0x80 {
        return None;
    }
    let mut tag = *pairs.first.get(pair_index(a, b))?;
    let rest_word = word(rest);
    while let Some(i) = usize::from(tag).checked_sub(1) {
        let phrase = PHRASES.get(i)?.as_bytes();
        let (head, mask) = *pairs.head.get(i)?;
        // The first 8 bytes in one comparison (a phrase never holds a zero
        // byte, so the padding of a short `rest` cannot match), the rest,
        // if any, byte by byte.
        if rest_word & mask == head
            && phrase.len() <= rest.len()
            && phrase.iter().zip(rest).skip(8).all(|(p, r)| p == r)
        {
            return Some(i);
        }
        tag = *pairs.next.get(i)?;
    }
    None
}

/// Where the encoder's output goes: a buffer, or a comparison with a code
/// already written.
trait Sink {
    /// Takes `bytes`; `false` stops the encoding.
    fn take(&mut self, bytes: &[u8]) -> bool;
}

impl Sink for Vec<u8> {
    fn take(&mut self, bytes: &[u8]) -> bool {
        self.extend_from_slice(bytes);
        true
    }
}

/// Compares the encoder's output with `code`, byte for byte, as it comes.
struct SameAs<'a> {
    code: &'a [u8],
}

impl Sink for SameAs<'_> {
    fn take(&mut self, bytes: &[u8]) -> bool {
        match self.code.split_at_checked(bytes.len()) {
            Some((head, rest)) if head == bytes => {
                self.code = rest;
                true
            }
            _ => false,
        }
    }
}

/// Encodes `text` into `sink`, greedily; `false` if the sink stopped it.
/// `text` must hold no control character of `0x00..=0x1F` or `0x7F`; the
/// claims' constructors ensure it.
fn encode_to(text: &[u8], sink: &mut impl Sink) -> bool {
    let pairs = pairs();
    let mut at = 0;
    while let Some(rest) = text.get(at..).filter(|r| !r.is_empty()) {
        let first = rest.first().copied().unwrap_or(0);
        let taken = if first >= 0x80 {
            let run = rest
                .iter()
                .take(MAX_RAW_RUN)
                .take_while(|&&b| b >= 0x80)
                .count();
            at += run;
            sink.take(&[RAW, run as u8]) && sink.take(rest.get(..run).unwrap_or_default())
        } else {
            match longest_phrase(pairs, rest) {
                Some(i) => {
                    at += PHRASES.get(i).map_or(1, |p| p.len());
                    sink.take(&[code_of(i)])
                }
                None => {
                    at += 1;
                    sink.take(&[first])
                }
            }
        };
        if !taken {
            return false;
        }
    }
    true
}

/// Appends the code of `text` to `out`.
pub(crate) fn encode_into(text: &str, out: &mut Vec<u8>) {
    encode_to(text.as_bytes(), out);
}

/// Whether `code` is exactly what the greedy encoder writes for `text`.
fn is_greedy_code(text: &[u8], code: &[u8]) -> bool {
    let mut same = SameAs { code };
    encode_to(text, &mut same) && same.code.is_empty()
}

/// The longest code of a text of `max_text` bytes. A raw run costs 2 bytes
/// on top of its content and holds at least one character of 2 or more
/// bytes, so no code is more than twice its text (`"é"` is `00 02 c3 a9`).
pub const fn max_code_len(max_text: usize) -> usize {
    2 * max_text
}

/// The code of `text`.
pub fn encode(text: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    encode_into(text, &mut out);
    out
}

/// Decodes a field's code into text of at most `max_bytes` bytes. Rejects a
/// code the encoder would not write (a control byte, a raw run that is
/// empty, holds ASCII or could have been longer, a phrase where the greedy
/// encoder would have chosen otherwise), invalid UTF-8, and text past the bound.
pub fn decode(code: &[u8], max_bytes: usize) -> Result<String, Malformed> {
    let text = expand(code, max_bytes)?;
    // One text, one code: anything but the greedy encoding is refused.
    if !is_greedy_code(text.as_bytes(), code) {
        return Err(Malformed::Payload);
    }
    Ok(text)
}

/// The text `code` stands for, without the check that `code` is its greedy
/// encoding.
fn expand(code: &[u8], max_bytes: usize) -> Result<String, Malformed> {
    // Room for the longest text allowed: one allocation, no pre-pass.
    let mut text = Vec::with_capacity(max_bytes);
    let mut at = 0;
    while let Some(&byte) = code.get(at) {
        at += 1;
        match byte {
            0x20..=0x7E => text.push(byte),
            RAW => {
                let n = usize::from(*code.get(at).ok_or(Malformed::Payload)?);
                let run = code.get(at + 1..at + 1 + n).ok_or(Malformed::Payload)?;
                if n == 0 || run.iter().any(|&b| b < 0x80) {
                    return Err(Malformed::Payload);
                }
                text.extend_from_slice(run);
                at += 1 + n;
            }
            _ => {
                let phrase = index_of(byte)
                    .and_then(|i| PHRASES.get(i))
                    .ok_or(Malformed::Payload)?;
                text.extend_from_slice(phrase.as_bytes());
            }
        }
        if text.len() > max_bytes {
            return Err(Malformed::Payload);
        }
    }
    String::from_utf8(text).map_err(|_| Malformed::Payload)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phrases_are_distinct_printable_and_longer_than_one() {
        let mut seen = std::collections::HashSet::new();
        for p in PHRASES {
            assert!(p.len() >= 2, "{p:?}");
            assert!(p.bytes().all(|b| (0x20..0x7F).contains(&b)), "{p:?}");
            assert!(seen.insert(p), "duplicate {p:?}");
        }
    }

    #[test]
    fn format_md_lists_the_table_code_for_code() {
        let spec = include_str!("../FORMAT.md");
        let section = spec.split("The phrase table of version 2").nth(1).unwrap();
        let block = section.split("```").nth(1).unwrap();
        let mut listed = Vec::new();
        for line in block.lines() {
            let mut rest = line.trim();
            while !rest.is_empty() {
                let (code, after) = rest.split_once(" \"").unwrap();
                let (phrase, after) = after.split_once('"').unwrap();
                listed.push((u8::from_str_radix(code, 16).unwrap(), phrase.to_owned()));
                rest = after.trim();
            }
        }
        listed.sort();
        let mut expected: Vec<(u8, String)> = PHRASES
            .iter()
            .enumerate()
            .map(|(i, p)| (code_of(i), (*p).to_owned()))
            .collect();
        expected.sort();
        assert_eq!(listed, expected);
    }

    #[test]
    fn code_bytes_are_a_bijection_onto_the_phrase_slots() {
        let codes: Vec<u8> = (0..PHRASES.len()).map(code_of).collect();
        for (i, &c) in codes.iter().enumerate() {
            assert_eq!(index_of(c), Some(i));
            assert!(!(0x20..=0x7E).contains(&c) && c != RAW);
        }
        let distinct: std::collections::HashSet<_> = codes.iter().collect();
        assert_eq!(distinct.len(), 160);
    }

    #[test]
    fn typical_fields_shrink_and_round_trip() {
        for (text, len) in [
            ("jdoe@example.edu", 7),
            ("https://app.example.edu/login?target=%2Fhome", 9),
            ("Password", 1),
            ("LdapAuthenticationHandler", 2),
            ("x", 1),
        ] {
            let code = encode(text);
            assert_eq!(code.len(), len, "{text}: {code:02x?}");
            assert_eq!(decode(&code, 256).as_deref(), Ok(text));
        }
    }

    #[test]
    fn non_ascii_text_goes_in_raw_runs() {
        let text = "José Müller-Lüdenscheidt 李雷";
        let code = encode(text);
        assert_eq!(decode(&code, 256).as_deref(), Ok(text));
        let long = "é".repeat(200);
        let code = encode(&long);
        assert_eq!(code.len(), 400 + 2 * 2, "two runs of 255 and 145 bytes");
        assert_eq!(decode(&code, 400).as_deref(), Ok(long.as_str()));
        // The most a code can cost: a lone two-byte character per run.
        let sparse = "éa".repeat(20) + "é";
        assert_eq!(encode("é").len(), max_code_len("é".len()));
        assert!(encode(&sparse).len() <= max_code_len(sparse.len()));
    }

    #[test]
    fn the_longest_phrase_wins() {
        // "https%3A%2F%2F" is one phrase, not "https://"-less pieces.
        assert_eq!(encode("https%3A%2F%2F").len(), 1);
        let i = PHRASES.iter().position(|&p| p == "AuthenticationHandler");
        assert_eq!(encode("AuthenticationHandler"), [code_of(i.unwrap())]);
    }

    #[test]
    fn every_code_the_encoder_would_not_write_is_refused() {
        let bad: &[&[u8]] = &[
            &[RAW],                        // raw escape with no length
            &[RAW, 0],                     // empty run
            &[RAW, 2, 0xC3],               // run shorter than its length
            &[RAW, 1, b'a'],               // ASCII in a run
            &[RAW, 1, 0xC3, RAW, 1, 0xA9], // two runs where one would do
            &[RAW, 1, 0xFF],               // invalid UTF-8
            b"an",                         // spelled out where its phrase exists
            b"https:/\x2f",                // "https://" without its phrase
        ];
        for code in bad {
            assert_eq!(decode(code, 256), Err(Malformed::Payload), "{code:02x?}");
        }
        // Decoding stops at the bound.
        assert_eq!(decode(&encode("example"), 6), Err(Malformed::Payload));
        assert_eq!(decode(&encode("example"), 7).as_deref(), Ok("example"));
    }
}
