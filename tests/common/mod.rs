//! Claims and keyrings shared by the integration tests.
#![allow(dead_code)]

use cas_ticket_codec::oauth::{Authorization, ClientId, CodeChallenge, GrantId, Nonce, Scopes};
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

/// The typical relying party of issue 23: client `moodle`, its redirect
/// URI, `openid profile email`, granted in [`session`].
pub fn authorization() -> Authorization {
    Authorization::new(
        ClientId::new("moodle").unwrap(),
        Scopes::parse("openid profile email").unwrap(),
        GrantId::from_bytes(*b"grant-id"),
    )
}

pub const REDIRECT_URI: &str = "https://moodle.example.edu/auth/oidc/";

/// A random OIDC nonce as relying parties make them: 43 characters of base64url.
pub const NONCE: &str = "Qm9uam91ciwgdm9pY2kgdW4gbm9uY2UgZGUgdGVzdC4";

/// RFC 7636 Appendix B's code verifier.
pub const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

/// The typical authorization code: 30 seconds, with a nonce and PKCE, in [`session`].
pub fn code() -> Claims {
    let grant = Grant::Code {
        authorization: authorization(),
        redirect_uri: Service::new(REDIRECT_URI).unwrap(),
        nonce: Some(Nonce::new(NONCE).unwrap()),
        challenge: Some(CodeChallenge::of_verifier(VERIFIER)),
    };
    Claims::minted_from(&tgt(), grant, NOW, Duration::seconds(30)).unwrap()
}

/// The typical access token: an hour, from [`code`].
pub fn access_token() -> Claims {
    let grant = Grant::AccessToken {
        authorization: authorization(),
    };
    Claims::minted_from(&code(), grant, NOW, Duration::hours(1)).unwrap()
}

/// The typical refresh token: until the session ends, from [`code`].
pub fn refresh_token() -> Claims {
    let grant = Grant::RefreshToken {
        authorization: authorization(),
    };
    Claims::minted_from(&code(), grant, NOW, Duration::hours(8)).unwrap()
}

pub fn all_kinds() -> Vec<Claims> {
    vec![
        tgt(),
        st(),
        pt(),
        pgt(),
        code(),
        access_token(),
        refresh_token(),
    ]
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
    sealed_st_of("jdoe@example.edu", NOW - Duration::minutes(5), session)
}

/// [`sealed_st`] for `principal`, authenticated at `authenticated_at`.
pub fn sealed_st_of(
    principal: &str,
    authenticated_at: OffsetDateTime,
    session: Option<SessionId>,
) -> (String, Ticket) {
    let auth = Authentication::new(principal, authenticated_at)
        .unwrap()
        .with_method("Password")
        .unwrap();
    let grant = Grant::Service {
        service: Service::new(SERVICE).unwrap(),
        fresh_login: false,
    };
    let mut claims = Claims::with_lifetime(auth, grant, NOW, Duration::seconds(10)).unwrap();
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

/// `record` sealed by `codec(Alg::Aes256Gcm)` for the session of `ticket`.
#[cfg(feature = "store")]
pub fn sealed(
    ticket: &Ticket,
    record: &cas_ticket_codec::store::LogoutRecord,
) -> cas_ticket_codec::store::SealedRecord {
    codec(Alg::Aes256Gcm)
        .seal_record(session_of(ticket).id(), record)
        .unwrap()
}

/// The records a logout read, opened by `codec(Alg::Aes256Gcm)`.
#[cfg(feature = "store")]
pub fn opened(
    session: &Session,
    records: &cas_ticket_codec::store::Records,
) -> Vec<cas_ticket_codec::store::LogoutRecord> {
    records
        .records
        .iter()
        .map(|r| codec(Alg::Aes256Gcm).open_record(session.id(), r).unwrap())
        .collect()
}

/// The store's contract, on two nodes of one store: one validation per
/// ticket pool-wide, logout on every node with its records read (and read
/// again by a logout tried again), nothing recorded once a session ended,
/// an administrator's end of a principal's sessions, and the attempt
/// counters.
#[cfg(feature = "store")]
pub async fn store_contract(
    node1: &dyn cas_ticket_codec::store::Store,
    node2: &dyn cas_ticket_codec::store::Store,
) {
    use cas_ticket_codec::store::{Ended, Spend, Verdict};
    use std::time::Duration as StdDuration;
    let first = |verdict| Spend {
        verdict,
        dropped: None,
    };
    let minute = StdDuration::from_secs(60);
    // One validation per ticket, pool-wide.
    let session = SessionId::generate().unwrap();
    let (text, ticket) = sealed_st(Some(session));
    let kept = logout_record(&text);
    let record = sealed(&ticket, &kept);
    assert_eq!(
        node1.spend(&use_of(&ticket), Some(&record)).await,
        Ok(first(Verdict::First))
    );
    assert_eq!(
        node2.spend(&use_of(&ticket), None).await,
        Ok(first(Verdict::Replayed))
    );
    assert_eq!(
        node1.spend(&use_of(&ticket), None).await,
        Ok(first(Verdict::Replayed))
    );
    // Logout on one node ends the session on every node.
    assert_eq!(node2.ended(&use_of(&ticket)).await, Ok(None));
    let ended = session_of(&ticket);
    let records = node2.end_session(&ended, minute).await.unwrap();
    assert_eq!(records.records, vec![record]);
    assert_eq!(opened(&ended, &records), vec![kept.clone()]);
    assert_eq!(node1.ended(&use_of(&ticket)).await, Ok(Some(Ended::Logout)));
    let (later_text, later) = sealed_st(Some(session));
    assert_eq!(
        node1
            .spend(
                &use_of(&later),
                Some(&sealed(&later, &logout_record(&later_text)))
            )
            .await,
        Ok(first(Verdict::Ended(Ended::Logout)))
    );
    // Nothing is recorded for a session that has ended; a logout tried
    // again (its first answer lost) reads the records again.
    let again = node1.end_session(&ended, minute).await.unwrap();
    assert_eq!(opened(&ended, &again), vec![kept]);
    // Other sessions, and tickets without one, are untouched.
    for other in [Some(SessionId::generate().unwrap()), None] {
        let (_, t) = sealed_st(other);
        assert_eq!(
            node2.spend(&use_of(&t), None).await,
            Ok(first(Verdict::First))
        );
    }

    // An administrator ends every session of one principal, authenticated
    // until now, whichever key sealed its tickets.
    let user = format!("user-{}", SessionId::generate().unwrap());
    let before = NOW - Duration::minutes(5);
    let (_, old) = sealed_st_of(&user, before, Some(SessionId::generate().unwrap()));
    let (_, old_unspent) = sealed_st_of(&user, before, Some(SessionId::generate().unwrap()));
    let (_, sessionless) = sealed_st_of(&user, before, None);
    let (_, bystander) = sealed_st_of(
        "jdoe@example.edu",
        before,
        Some(SessionId::generate().unwrap()),
    );
    assert_eq!(
        node1.spend(&use_of(&old), None).await,
        Ok(first(Verdict::First))
    );
    let ids = {
        let mut ring = keyring(0x0001, Alg::Aes256Gcm, 0x11);
        ring.add_generated(Alg::XChaCha20Poly1305).unwrap();
        Codec::new(&ring).principal_ids(&user)
    };
    assert_eq!(ids.len(), 2);
    assert_eq!(ids[0], use_of(&old).principal_id());
    node2.end_principal(&ids, NOW, minute).await.unwrap();
    let gone = Ended::Principal;
    assert_eq!(node1.ended(&use_of(&old)).await, Ok(Some(gone)));
    assert_eq!(
        node1.spend(&use_of(&old_unspent), None).await,
        Ok(first(Verdict::Ended(gone)))
    );
    assert_eq!(
        node2.spend(&use_of(&sessionless), None).await,
        Ok(first(Verdict::Ended(gone)))
    );
    // Authenticated at the very instant: ended too. A second later (a new
    // login): live. Another user: untouched.
    let (_, same_instant) = sealed_st_of(&user, NOW, Some(SessionId::generate().unwrap()));
    assert_eq!(node2.ended(&use_of(&same_instant)).await, Ok(Some(gone)));
    let (_, new_login) = sealed_st_of(
        &user,
        NOW + Duration::seconds(1),
        Some(SessionId::generate().unwrap()),
    );
    assert_eq!(node2.ended(&use_of(&new_login)).await, Ok(None));
    assert_eq!(
        node1.spend(&use_of(&new_login), None).await,
        Ok(first(Verdict::First))
    );
    assert_eq!(
        node1.spend(&use_of(&bystander), None).await,
        Ok(first(Verdict::First))
    );
    grants_contract(node1, node2).await;
    attempts_contract(node1, node2).await;
}

/// A revoked OAuth grant: its code and every token of it are refused on
/// every node, with or without a session; another grant of the same
/// session is untouched.
#[cfg(feature = "store")]
async fn grants_contract(
    node1: &dyn cas_ticket_codec::store::Store,
    node2: &dyn cas_ticket_codec::store::Store,
) {
    use cas_ticket_codec::store::{Ended, Spend, Verdict};
    let first = |verdict| Spend {
        verdict,
        dropped: None,
    };
    let codec = codec(Alg::Aes256Gcm);
    let grant = GrantId::generate().unwrap();
    let other = GrantId::generate().unwrap();
    let minted = |grant: GrantId, kind: &str, in_session: bool| {
        let authorization = Authorization::new(
            ClientId::new("moodle").unwrap(),
            Scopes::parse("openid").unwrap(),
            grant,
        );
        let g = match kind {
            "AT" => Grant::AccessToken { authorization },
            _ => Grant::RefreshToken { authorization },
        };
        let mut claims = Claims::with_lifetime(auth(), g, NOW, Duration::minutes(10)).unwrap();
        if in_session {
            claims = claims.with_session(session()).unwrap();
        }
        let text = codec.encode(&claims).unwrap();
        codec.decode(&text, NOW).unwrap()
    };
    let refresh = minted(grant, "RT", true);
    let access = minted(grant, "AT", true);
    let sessionless = minted(grant, "AT", false);
    let bystander = minted(other, "RT", true);
    assert_eq!(use_of(&refresh).grant(), Some(grant));
    assert_eq!(
        node1.spend(&use_of(&refresh), None).await,
        Ok(first(Verdict::First))
    );
    assert_eq!(node2.ended(&use_of(&access)).await, Ok(None));
    node2
        .end_grant(grant, std::time::Duration::from_secs(60))
        .await
        .unwrap();
    for ticket in [&access, &sessionless] {
        assert_eq!(node1.ended(&use_of(ticket)).await, Ok(Some(Ended::Grant)));
        assert_eq!(
            node1.spend(&use_of(ticket), None).await,
            Ok(first(Verdict::Ended(Ended::Grant)))
        );
    }
    assert_eq!(node1.ended(&use_of(&bystander)).await, Ok(None));
    assert_eq!(
        node2.spend(&use_of(&bystander), None).await,
        Ok(first(Verdict::First))
    );
    // A CAS ticket has no grant: untouched.
    let (_, st) = sealed_st(Some(SessionId::generate().unwrap()));
    assert_eq!(use_of(&st).grant(), None);
    assert_eq!(node2.ended(&use_of(&st)).await, Ok(None));
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
    use cas_ticket_codec::store::{Attempt, AttemptCount};
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
    let count = |this_window, previous_window| AttemptCount {
        this_window,
        previous_window,
    };
    assert_eq!(
        node1.count_attempts(&[minute, ten_minutes], at).await,
        Ok(vec![count(1, 0), count(1, 0)])
    );
    assert_eq!(
        node2
            .count_attempts(&[minute], at + Duration::seconds(59))
            .await,
        Ok(vec![count(2, 0)])
    );
    assert_eq!(
        node1.count_attempts(&[same_subject_longer], at).await,
        Ok(vec![count(1, 0)])
    );
    // The next minute: the minute's counter starts again, and the minute
    // before is read with it; the ten minutes' goes on.
    assert_eq!(
        node2
            .count_attempts(&[ten_minutes, minute], at + Duration::seconds(60))
            .await,
        Ok(vec![count(2, 0), count(1, 2)])
    );
    // Two minutes on, the first minute is no longer the one before.
    assert_eq!(
        node1
            .count_attempts(&[minute], at + Duration::seconds(120))
            .await,
        Ok(vec![count(1, 1)])
    );
    assert_eq!(
        node1
            .count_attempts(&[ten_minutes], at + Duration::seconds(600))
            .await,
        Ok(vec![count(1, 2)])
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
