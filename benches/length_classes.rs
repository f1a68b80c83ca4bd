//! What the length of a principal's tickets tells of who they are (FORMAT.md
//! §12.2; issue 24, point 8), over a realistic directory of names, for the
//! padding of format v2 and for coarser ones.
//!
//! The phrase code's output length depends on the principal's content, and
//! the secret part (FORMAT.md §7) is padded only to a multiple of
//! [`SECRET_QUANTUM`] bytes, so a ticket's length puts its principal in a
//! *length class*. For every principal of the directory this encodes real
//! tickets (a fixed service, method `Password`, in an 8-hour session) with a
//! [`Codec`], and reports how much the classes tell: their number, the
//! Shannon entropy of the class of a random user (what an observer learns on
//! average), the rarest class, the users in small classes, and the bits of
//! identity left. Coarser paddings cannot be encoded by this version of the
//! library: their lengths are computed from each ticket's payload, whose
//! secret part is padded differently; the computation is checked against
//! the codec for the real padding. The format pads the principal's code to
//! a power of two of at least 8 since this measurement (issue 24); its
//! padding before, the secret part to 4, is computed like the others.
//!
//! Schemes: the secret part padded to 1 (no padding, for reference), 4 (the
//! format), 8 or 16 bytes; or the principal's code padded to a multiple of
//! 8, 16 or 32 bytes, or to a power of two of at least 8 (its CBOR byte
//! string counted as if the code were that long), then the secret part to 4
//! as now.
//!
//! What an observer sees: one ST (5 minutes after login), one TGT, or a
//! whole session: the TGT, and STs at login, 100 s after, 5 minutes after and
//! 200 s before the session ends. `auth_age` and the session's end move the
//! secret part's length by a byte or two between those STs, so across a
//! session the padding boundaries fall at different places.
//!
//! ```text
//! python3 -m venv /tmp/venv && /tmp/venv/bin/pip install Faker==40.63.0 names==0.3.0
//! /tmp/venv/bin/python benches/length_classes/directory.py /tmp/directory.tsv
//! LENGTH_CLASSES_DIRECTORY=/tmp/directory.tsv cargo bench --bench length_classes
//! ```
//!
//! The directory file holds one `convention<TAB>principal` a line.

use std::collections::{BTreeMap, HashMap};
use std::error::Error;
use std::fmt::Write as _;

use cas_ticket_codec::{
    Alg, Authentication, Claims, Codec, Grant, Keyring, SECRET_QUANTUM, Service, Session,
    SessionId, base62, phrase, stages,
};
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

const NOW: OffsetDateTime = datetime!(2026-11-22 10:00:00 UTC);

/// The typical service of the README and DESIGN.md.
const SERVICE: &str = "https://app.example.edu/login?target=%2Fhome";

/// Header, nonce and tag around every payload (FORMAT.md §2).
const OVERHEAD_BYTES: usize = 3 + 16 + 16;

const SESSION_SECONDS: i64 = 8 * 3600;

/// The format's padding (FORMAT.md §7): the principal's code counted as
/// the least power of two of at least 8 bytes, then the secret part to 4.
const FORMAT: Scheme = Scheme::PrincipalPow2(8);

/// The tickets of one session, by seconds since login; `None` is the TGT.
const SESSION_TICKETS: [Option<i64>; 5] = [None, Some(0), Some(100), Some(300), Some(28_600)];

/// The one ST an observer sees in "one ST": 5 minutes after login.
const TYPICAL_ST: usize = 3;
const TGT: usize = 0;

#[derive(Clone, Copy)]
enum Scheme {
    /// The secret part padded to a multiple of this many bytes.
    Secret(usize),
    /// The principal's code padded to a multiple of this many bytes, then
    /// the secret part to 4.
    Principal(usize),
    /// The principal's code padded to a power of two, at least this many
    /// bytes, then the secret part to 4.
    PrincipalPow2(usize),
}

const SCHEMES: [Scheme; 8] = [
    Scheme::Secret(1),
    Scheme::Secret(4),
    Scheme::Secret(8),
    Scheme::Secret(16),
    Scheme::Principal(8),
    Scheme::Principal(16),
    Scheme::Principal(32),
    Scheme::PrincipalPow2(8),
];

/// The padding before issue 24 (the secret part to 4), in [`SCHEMES`]: what
/// the costs are counted from.
const BEFORE: usize = 1;
const _: () = assert!(
    SECRET_QUANTUM == 4,
    "SCHEMES and their names assume format v2's 4"
);

impl Scheme {
    fn name(self) -> String {
        match self {
            Scheme::Secret(1) => "secret part unpadded (reference)".into(),
            Scheme::Secret(4) => "secret part to 4 (format v2 until issue 24)".into(),
            Scheme::Secret(q) => format!("secret part to {q}"),
            Scheme::Principal(b) => format!("principal code to {b}, secret to 4"),
            Scheme::PrincipalPow2(b) => {
                format!("principal code to a power of 2 (≥ {b}), secret to 4 (format v2)")
            }
        }
    }

    /// The padded length of a secret part of `secret` bytes whose principal
    /// codes to `code` bytes.
    fn padded(self, secret: usize, code: usize) -> usize {
        match self {
            Scheme::Secret(q) => secret.next_multiple_of(q),
            Scheme::Principal(b) => padded_principal(secret, code, code.next_multiple_of(b)),
            Scheme::PrincipalPow2(b) => {
                padded_principal(secret, code, code.next_power_of_two().max(b))
            }
        }
    }
}

/// A secret part of `secret` bytes whose principal's code of `code` bytes
/// is counted as `bucket` bytes, padded to 4.
fn padded_principal(secret: usize, code: usize, bucket: usize) -> usize {
    (secret - cbor_bytes_len(code) + cbor_bytes_len(bucket)).next_multiple_of(SECRET_QUANTUM)
}

/// One ticket of a principal, taken apart: what its length is made of.
#[derive(Clone, Copy)]
struct Parts {
    /// `ST` or `TGT`.
    prefix_len: usize,
    /// The payload without the secret part and its padding.
    rest: usize,
    /// The secret part, unpadded.
    secret: usize,
    /// The principal's code.
    code: usize,
}

impl Parts {
    fn chars(self, scheme: Scheme) -> usize {
        let payload = self.rest + scheme.padded(self.secret, self.code);
        self.prefix_len + 1 + base62::encoded_len(OVERHEAD_BYTES + payload)
    }
}

/// Bytes of a CBOR head for the argument `n`.
fn head_len(n: u64) -> usize {
    match n {
        0..24 => 1,
        24..256 => 2,
        256..65_536 => 3,
        65_536..4_294_967_296 => 5,
        _ => 9,
    }
}

fn int_len(n: i64) -> usize {
    head_len(u64::try_from(n).unwrap_or(n.unsigned_abs() - 1))
}

fn cbor_bytes_len(n: usize) -> usize {
    head_len(n as u64) + n
}

/// The secret part of `claims`, unpadded (FORMAT.md §7): `auth_age`, flags,
/// principal, methods, session.
fn secret_len(claims: &Claims) -> usize {
    let auth = claims.authentication();
    let issued = claims.issued_at().unix_timestamp();
    let mut n = int_len(issued - auth.authenticated_at().unix_timestamp()) + 1;
    n += cbor_bytes_len(phrase::encode(auth.principal()).len());
    n += head_len(auth.methods().len() as u64);
    for m in auth.methods() {
        n += cbor_bytes_len(phrase::encode(m).len());
    }
    n += match (claims.grant(), claims.session()) {
        (_, None) => 1,
        (Grant::TicketGranting, Some(_)) => cbor_bytes_len(8),
        (_, Some(s)) => 1 + cbor_bytes_len(8) + int_len(s.ends_at().unix_timestamp() - issued),
    };
    n
}

/// A ticket of `principal`'s session, `since_login` seconds after login
/// (`None`: the TGT at login). The clock is set so that the ticket is issued
/// at [`NOW`].
fn claims(principal: &str, since_login: Option<i64>) -> Claims {
    let login = NOW - Duration::seconds(since_login.unwrap_or(0));
    let auth = Authentication::new(principal, login)
        .unwrap()
        .with_method("Password")
        .unwrap();
    let session = Session::new(
        SessionId::from_bytes(*b"session!"),
        login + Duration::seconds(SESSION_SECONDS),
    );
    let (grant, lifetime) = match since_login {
        None => (Grant::TicketGranting, Duration::seconds(SESSION_SECONDS)),
        Some(_) => (
            Grant::Service {
                service: Service::new(SERVICE).unwrap(),
                fresh_login: false,
            },
            Duration::seconds(10),
        ),
    };
    Claims::with_lifetime(auth, grant, NOW, lifetime)
        .unwrap()
        .with_session(session)
        .unwrap()
}

/// Encodes `claims` with the real codec and takes the ticket apart; checks
/// that the parts give back the real ticket's length, and that the payload
/// ends in the padding of the secret part [`secret_len`] counts (no code
/// ends in a zero byte, nor does a TGT's session id here).
fn parts(codec: &Codec, claims: &Claims) -> Parts {
    let ticket = codec.encode(claims).unwrap();
    let bytes = stages::to_cbor(claims);
    let payload = bytes.len();
    let secret = secret_len(claims);
    let pad = bytes.iter().rev().take_while(|&&b| b == 0).count();
    let code = phrase::encode(claims.principal()).len();
    let padded = FORMAT.padded(secret, code);
    assert_eq!(pad, padded - secret);
    let prefix_len = ticket.find('-').unwrap();
    let parts = Parts {
        prefix_len,
        rest: payload - padded,
        secret,
        code,
    };
    assert_eq!(parts.chars(FORMAT), ticket.len(), "{}", claims.principal());
    parts
}

/// What the classes of a population tell.
struct Stats {
    users: usize,
    classes: usize,
    /// Shannon entropy of a random user's class, bits.
    entropy: f64,
    /// Users in the rarest class.
    rarest: usize,
    /// Users in the largest class.
    largest: usize,
    under_10: usize,
    under_100: usize,
}

impl Stats {
    fn of<K: std::hash::Hash + Eq>(classes: impl Iterator<Item = K>) -> Stats {
        let mut counts: HashMap<K, usize> = HashMap::new();
        for k in classes {
            *counts.entry(k).or_default() += 1;
        }
        let users: usize = counts.values().sum();
        let n = users as f64;
        let entropy = counts
            .values()
            .map(|&c| {
                let p = c as f64 / n;
                -p * p.log2()
            })
            .sum();
        let small = |limit| counts.values().filter(|&&c| c < limit).sum();
        Stats {
            users,
            classes: counts.len(),
            entropy,
            rarest: counts.values().copied().min().unwrap_or(0),
            largest: counts.values().copied().max().unwrap_or(0),
            under_10: small(10),
            under_100: small(100),
        }
    }

    fn row(&self) -> String {
        let n = self.users as f64;
        let pct = |k: usize| 100.0 * k as f64 / n;
        format!(
            "{} | {:.2} | {} ({:.1} bits) | {:.1}% | {} ({:.3}%) | {} ({:.3}%) | {:.2} of {:.2}",
            self.classes,
            // Not -0.00 for one class.
            self.entropy.max(0.0),
            self.rarest,
            (n / self.rarest as f64).log2(),
            pct(self.largest),
            self.under_10,
            pct(self.under_10),
            self.under_100,
            pct(self.under_100),
            n.log2() - self.entropy.max(0.0),
            n.log2(),
        )
    }
}

const STATS_HEADER: &str = "classes | H (bits) | rarest class: users (bits) | largest class | \
users in classes < 10 | < 100 | bits left (of log2 N)";

/// What an observer sees of a user's tickets.
#[derive(Clone, Copy)]
enum Observed {
    OneSt,
    OneTgt,
    Session,
}

impl Observed {
    const ALL: [Observed; 3] = [Observed::OneSt, Observed::OneTgt, Observed::Session];

    fn name(self) -> &'static str {
        match self {
            Observed::OneSt => "one ST",
            Observed::OneTgt => "one TGT",
            Observed::Session => "a session",
        }
    }

    fn class(self, user: &[Parts], scheme: Scheme) -> Vec<usize> {
        match self {
            Observed::OneSt => vec![user[TYPICAL_ST].chars(scheme)],
            Observed::OneTgt => vec![user[TGT].chars(scheme)],
            Observed::Session => user.iter().map(|p| p.chars(scheme)).collect(),
        }
    }
}

fn mean(values: impl Iterator<Item = usize>) -> f64 {
    let (sum, n) = values.fold((0, 0), |(s, n), v| (s + v, n + 1));
    sum as f64 / n as f64
}

fn directory_path() -> Option<String> {
    std::env::var("LENGTH_CLASSES_DIRECTORY")
        .ok()
        .or_else(|| std::env::args().skip(1).find(|a| !a.starts_with('-')))
}

fn main() -> Result<(), Box<dyn Error>> {
    let Some(path) = directory_path() else {
        eprintln!(
            "length_classes: no directory; make one with benches/length_classes/directory.py \
             and set LENGTH_CLASSES_DIRECTORY to its path"
        );
        return Ok(());
    };
    let text = std::fs::read_to_string(&path)?;
    let mut users: Vec<(String, String)> = Vec::new();
    for line in text.lines().filter(|l| !l.is_empty()) {
        let (convention, principal) = line
            .split_once('\t')
            .ok_or_else(|| format!("{path}: not convention<TAB>principal: {line:?}"))?;
        users.push((convention.to_owned(), principal.to_owned()));
    }

    let codec = Codec::new(&Keyring::generate(Alg::Aes256Gcm)?);
    let tickets: Vec<Vec<Parts>> = users
        .iter()
        .map(|(_, p)| {
            SESSION_TICKETS
                .iter()
                .map(|&t| parts(&codec, &claims(p, t)))
                .collect()
        })
        .collect();
    // The rest of a payload does not depend on the principal.
    for t in 0..SESSION_TICKETS.len() {
        assert!(tickets.iter().all(|u| u[t].rest == tickets[0][t].rest));
    }
    let mut conventions: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, (c, _)) in users.iter().enumerate() {
        conventions.entry(c).or_default().push(i);
    }

    let mut out = String::new();
    let counts: Vec<String> = conventions
        .iter()
        .map(|(c, ids)| format!("{c} {}", ids.len()))
        .collect();
    writeln!(
        out,
        "## Length classes of {} principals ({})\n\nST for `{SERVICE}`, method `Password`, \
         in an 8-hour session; a session is its TGT and STs at 0 s, 100 s, 5 min and 7 h 56 min \
         40 s after login.\n",
        users.len(),
        counts.join(", ")
    )?;

    writeln!(out, "### Whole directory\n")?;
    writeln!(out, "scheme | observed | {STATS_HEADER}")?;
    writeln!(out, "{}", "---|".repeat(10))?;
    for scheme in SCHEMES {
        for observed in Observed::ALL {
            let stats = Stats::of(tickets.iter().map(|u| observed.class(u, scheme)));
            writeln!(
                out,
                "{} | {} | {}",
                scheme.name(),
                observed.name(),
                stats.row()
            )?;
        }
    }

    writeln!(out, "\n### What it costs\n")?;
    writeln!(
        out,
        "scheme | ST mean chars | extra per ST | ST max | TGT mean chars | extra per TGT | \
         TGT max | `jdoe@example.edu` ST | README's ST (no session)"
    )?;
    writeln!(out, "{}", "---|".repeat(9))?;
    let typical = parts(&codec, &claims("jdoe@example.edu", Some(300)));
    // FORMAT.md §7's example: "secret part: 28 bytes, no padding".
    assert_eq!(typical.secret, 28);
    let readme = {
        let c = claims("jdoe@example.edu", Some(0));
        let plain = Claims::with_lifetime(
            c.authentication().clone(),
            Grant::Service {
                service: Service::new(SERVICE)?,
                fresh_login: true,
            },
            NOW,
            Duration::seconds(10),
        )?;
        parts(&codec, &plain)
    };
    let before = SCHEMES[BEFORE];
    for scheme in SCHEMES {
        let st = || tickets.iter().map(|u| u[TYPICAL_ST].chars(scheme));
        let tgt = || tickets.iter().map(|u| u[TGT].chars(scheme));
        let st_extra = mean(st()) - mean(tickets.iter().map(|u| u[TYPICAL_ST].chars(before)));
        let tgt_extra = mean(tgt()) - mean(tickets.iter().map(|u| u[TGT].chars(before)));
        writeln!(
            out,
            "{} | {:.2} | {:+.2} | {} | {:.2} | {:+.2} | {} | {} | {}",
            scheme.name(),
            mean(st()),
            st_extra,
            st().max().unwrap_or(0),
            mean(tgt()),
            tgt_extra,
            tgt().max().unwrap_or(0),
            typical.chars(scheme),
            readme.chars(scheme),
        )?;
    }

    for observed in [Observed::OneSt, Observed::Session] {
        writeln!(out, "\n### By convention, {}\n", observed.name())?;
        writeln!(out, "convention | users | scheme | {STATS_HEADER}")?;
        writeln!(out, "{}", "---|".repeat(10))?;
        for (convention, ids) in &conventions {
            for scheme in SCHEMES {
                let stats = Stats::of(ids.iter().map(|&i| observed.class(&tickets[i], scheme)));
                writeln!(
                    out,
                    "{convention} | {} | {} | {}",
                    ids.len(),
                    scheme.name(),
                    stats.row()
                )?;
            }
        }
    }

    writeln!(out, "\n### ST lengths, format v2, by convention\n")?;
    let mut histogram: BTreeMap<usize, BTreeMap<&str, usize>> = BTreeMap::new();
    for (i, (c, _)) in users.iter().enumerate() {
        let len = tickets[i][TYPICAL_ST].chars(FORMAT);
        *histogram.entry(len).or_default().entry(c).or_default() += 1;
    }
    let names: Vec<&str> = conventions.keys().copied().collect();
    writeln!(out, "ST chars | all | {}", names.join(" | "))?;
    writeln!(out, "{}", "---|".repeat(names.len() + 2))?;
    for (len, by) in &histogram {
        let cells: Vec<String> = names
            .iter()
            .map(|c| by.get(c).copied().unwrap_or(0).to_string())
            .collect();
        writeln!(
            out,
            "{len} | {} | {}",
            by.values().sum::<usize>(),
            cells.join(" | ")
        )?;
    }
    print!("{out}");
    Ok(())
}
