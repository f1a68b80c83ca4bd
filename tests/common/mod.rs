//! Claims and keyrings shared by the integration tests.
#![allow(dead_code)]

use cas_ticket_codec::{
    Alg, Authentication, CallbackUrl, Claims, Codec, Grant, Key, KeyId, Keyring, ProxyChain,
    SecretKey, Service, Session, SessionId, Ticket,
};
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

/// The validation instant of most tests.
pub const NOW: OffsetDateTime = datetime!(2026-11-22 10:00:00 UTC);

/// The typical user of DESIGN.md.
pub fn auth() -> Authentication {
    Authentication::new("jdoe@example.edu", NOW - Duration::minutes(5))
        .unwrap()
        .with_method("Password")
        .unwrap()
}

/// The typical service of DESIGN.md.
pub const SERVICE: &str = "https://app.example.edu/login?target=%2Fhome";

/// The SSO session of the typical user: an 8-hour TGT issued at login.
pub fn session() -> Session {
    Session::new(
        SessionId::from_bytes(*b"session!"),
        auth().authenticated_at() + Duration::hours(8),
    )
}

/// The TGT that opened [`session`].
pub fn tgt() -> Claims {
    let login = auth().authenticated_at();
    Claims::with_lifetime(auth(), Grant::TicketGranting, login, Duration::hours(8))
        .unwrap()
        .with_session(session())
        .unwrap()
}

/// The typical ST of DESIGN.md, minted in [`session`].
pub fn st() -> Claims {
    st_without_session().with_session(session()).unwrap()
}

/// The typical ST as `ticketctl encode` mints it: no session.
pub fn st_without_session() -> Claims {
    st_for("jdoe@example.edu", SERVICE)
}

/// A 10-second ST for `principal` (method `Password`, authenticated five
/// minutes before) and `service`, outside any session.
pub fn st_for(principal: &str, service: &str) -> Claims {
    let auth = Authentication::new(principal, NOW - Duration::minutes(5))
        .unwrap()
        .with_method("Password")
        .unwrap();
    let grant = Grant::Service {
        service: Service::new(service).unwrap(),
        fresh_login: false,
    };
    Claims::with_lifetime(auth, grant, NOW, Duration::seconds(10)).unwrap()
}

pub fn pt() -> Claims {
    let pgt = pgt();
    let grant = Grant::Proxy {
        service: Service::new("https://imap.example.edu/webmail/inbox?folder=INBOX").unwrap(),
        proxies: ProxyChain::through(pgt.grant()).unwrap(),
    };
    Claims::minted_from(&pgt, grant, NOW, Duration::seconds(10)).unwrap()
}

/// A PGT of a two-tier chain: obtained by validating a PT from the portal.
pub fn pgt() -> Claims {
    let grant = Grant::ProxyGranting {
        callback: CallbackUrl::new("https://mail-gateway.example.edu:8443/pgtCallback").unwrap(),
        upstream: vec![CallbackUrl::new("https://portal.example.edu/cas/proxyCallback").unwrap()],
    };
    Claims::minted_from(&tgt(), grant, NOW, Duration::hours(2)).unwrap()
}

pub fn all_kinds() -> Vec<Claims> {
    vec![tgt(), st(), pt(), pgt()]
}

pub fn key(id: u16, alg: Alg, fill: u8) -> Key {
    Key::new(
        KeyId::from_bytes(id.to_be_bytes()),
        alg,
        SecretKey::from_bytes([fill; 32]),
    )
}

/// A keyring of one key with a fixed secret.
pub fn keyring(id: u16, alg: Alg, fill: u8) -> Keyring {
    Keyring::new(
        vec![key(id, alg, fill)],
        KeyId::from_bytes(id.to_be_bytes()),
    )
    .unwrap()
}

pub fn codec(alg: Alg) -> Codec {
    Codec::new(&keyring(0x0001, alg, 0x11))
}

/// The typical 10-second ST, in `session` (ending 8 hours after [`NOW`]) or
/// none, sealed by `codec(Alg::Aes256Gcm)` with a new nonce each time: its
/// text and the ticket decoded at [`NOW`]. What the store tests spend.
pub fn sealed_st(session: Option<SessionId>) -> (String, Ticket) {
    let mut claims = st_without_session();
    if let Some(id) = session {
        claims = claims
            .with_session(Session::new(id, NOW + Duration::hours(8)))
            .unwrap();
    }
    let codec = codec(Alg::Aes256Gcm);
    let text = codec.encode(&claims).unwrap();
    let ticket = codec.decode(&text, NOW).unwrap();
    (text, ticket)
}

/// The use the store tests spend of a ticket from [`sealed_st`], validated
/// at [`NOW`] by `codec(Alg::Aes256Gcm)`.
#[cfg(feature = "store")]
pub fn use_of(ticket: &Ticket) -> cas_ticket_codec::store::TicketUse {
    cas_ticket_codec::store::TicketUse::new(&codec(Alg::Aes256Gcm), ticket, NOW).unwrap()
}

/// The session of a ticket that has one.
pub fn session_of(ticket: &Ticket) -> Session {
    *ticket.claims().session().unwrap()
}

/// The single-logout record of a ticket whose service is stored whole.
#[cfg(feature = "store")]
pub fn logout_record(ticket: &str) -> cas_ticket_codec::store::LogoutRecord {
    cas_ticket_codec::store::LogoutRecord {
        ticket: ticket.to_owned(),
        service: None,
    }
}

/// `len` pseudo-random lowercase letters: text the phrase code cannot
/// shrink much, for claims that must not fit under the length cap.
pub fn incompressible_text(len: usize) -> String {
    let mut state = 0x2545_f491_u32;
    (0..len)
        .map(|_| {
            state = state.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            char::from(b'a' + ((state >> 16) % 26) as u8)
        })
        .collect()
}

/// The first key's base64 secret, read from key-file JSON as the library writes it.
pub fn first_secret(key_file_json: &str) -> String {
    key_file_json
        .split("\"secret\": \"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a key file with a secret")
        .to_owned()
}

/// The attempt counters' contract, on two nodes of one store: shared per
/// subject and window, counted apart per window length, and new in the
/// next window.
#[cfg(feature = "store")]
pub async fn attempts_contract(
    node1: &dyn cas_ticket_codec::store::Store,
    node2: &dyn cas_ticket_codec::store::Store,
) {
    use cas_ticket_codec::store::Attempt;
    use std::time::Duration as StdDuration;
    // A window start for both lengths: 1_800_000_000 is a multiple of 600.
    let at = OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap();
    let subject = |byte: u8| {
        let mut id = [byte; 16];
        id[..8].copy_from_slice(&rand_bytes());
        id
    };
    let minute = Attempt {
        subject: subject(1),
        window: StdDuration::from_secs(60),
    };
    let ten_minutes = Attempt {
        subject: subject(2),
        window: StdDuration::from_secs(600),
    };
    let same_subject_longer = Attempt {
        window: StdDuration::from_secs(600),
        ..minute
    };
    assert_eq!(
        node1.count_attempts(&[minute, ten_minutes], at).await,
        Ok(vec![1, 1])
    );
    assert_eq!(
        node2
            .count_attempts(&[minute], at + Duration::seconds(59))
            .await,
        Ok(vec![2])
    );
    assert_eq!(
        node1.count_attempts(&[same_subject_longer], at).await,
        Ok(vec![1])
    );
    // The next minute: the minute's counter starts again, the ten minutes' goes on.
    assert_eq!(
        node2
            .count_attempts(&[ten_minutes, minute], at + Duration::seconds(60))
            .await,
        Ok(vec![2, 1])
    );
    assert_eq!(
        node1
            .count_attempts(&[ten_minutes], at + Duration::seconds(600))
            .await,
        Ok(vec![1])
    );
}

/// Eight OS-random bytes, so that runs never share a counter.
fn rand_bytes() -> [u8; 8] {
    let mut bytes = [0_u8; 8];
    for (i, b) in SessionId::generate()
        .unwrap()
        .to_bytes()
        .iter()
        .take(8)
        .enumerate()
    {
        bytes[i] = *b;
    }
    bytes
}
