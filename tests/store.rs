//! The store's contract (feature `store`), on the in-process store: one
//! validation per ticket, ended sessions, single-logout records, expiry and
//! the memory bound; and replay ids, which every node must agree on.
mod common;

use std::time::Duration as StdDuration;

use cas_ticket_codec::store::{MemoryStore, Spend, Store, StoreError, TicketUse, Verdict};
use cas_ticket_codec::{Alg, Codec, SessionId};
use common::{NOW, keyring, logout_record, opened, sealed, sealed_st as st, session_of, use_of};
use time::Duration;

fn codec() -> Codec {
    common::codec(Alg::Aes256Gcm)
}

fn block_on<T>(future: impl std::future::Future<Output = T>) -> T {
    // The in-process store answers without waiting: one poll is enough.
    let waker = std::task::Waker::noop();
    let mut cx = std::task::Context::from_waker(waker);
    let mut future = std::pin::pin!(future);
    match future.as_mut().poll(&mut cx) {
        std::task::Poll::Ready(value) => value,
        std::task::Poll::Pending => panic!("the in-process store never waits"),
    }
}

#[test]
fn attempts_are_counted_per_subject_and_window() {
    let store = MemoryStore::new(100);
    block_on(common::attempts_contract(&store, &store));
}

#[test]
fn attempt_counters_count_against_the_memory_bound() {
    use cas_ticket_codec::store::{Attempt, AttemptCount};
    let store = MemoryStore::new(2);
    let count = |this_window| AttemptCount {
        this_window,
        previous_window: 0,
    };
    let attempt = |byte| Attempt {
        subject: [byte; 16],
        window: StdDuration::from_secs(60),
    };
    assert_eq!(
        block_on(store.count_attempts(&[attempt(1), attempt(2)], NOW)),
        Ok(vec![count(1), count(1)])
    );
    assert_eq!(
        block_on(store.count_attempts(&[attempt(1)], NOW)),
        Ok(vec![count(2)])
    );
    assert_eq!(
        block_on(store.count_attempts(&[attempt(3)], NOW)),
        Err(StoreError::Full)
    );
}

#[test]
fn replay_ids_are_the_same_on_every_node_and_differ_between_tickets() {
    let (text, ticket) = st(None);
    // Another node: the same keyring, plus a newer key that is now primary.
    let mut ring = keyring(0x0001, Alg::Aes256Gcm, 0x11);
    let newer = ring.add_generated(Alg::XChaCha20Poly1305).unwrap();
    ring.promote(newer).unwrap();
    let elsewhere = Codec::new(&ring);
    let id = codec().replay_id(&ticket).unwrap();
    let decoded = elsewhere.decode(&text, NOW).unwrap();
    assert_eq!(elsewhere.replay_id(&decoded), Ok(id));
    // The same claims sealed again: another nonce, another id.
    let (_, again) = st(None);
    assert_ne!(codec().replay_id(&again).unwrap(), id);
    // Without the keys, the id cannot be computed from the ticket: it is
    // not the nonce, nor any 16 bytes of the ticket's text.
    let body = cas_ticket_codec::base62::decode(&text.as_bytes()[3..]).unwrap();
    assert!(!body.windows(16).any(|w| w == id));
    // A codec that no longer holds the ticket's key cannot name it.
    let retired = Codec::new(&keyring(0x0002, Alg::Aes256Gcm, 0x22));
    assert_eq!(
        retired.replay_id(&ticket),
        Err(cas_ticket_codec::Error::UnknownKey {
            key_id: ticket.key_id()
        })
    );
    assert_eq!(
        TicketUse::new(&retired, &ticket, NOW).map(|u| u.replay_id()),
        Err(cas_ticket_codec::Error::UnknownKey {
            key_id: ticket.key_id()
        })
    );
}

fn first(verdict: Verdict) -> Result<Spend, StoreError> {
    Ok(Spend {
        verdict,
        dropped: None,
    })
}

#[test]
fn the_contract_holds_in_process() {
    let store = MemoryStore::new(1000);
    block_on(common::store_contract(&store, &store));
}

#[test]
fn marks_last_as_long_as_their_ticket_and_no_longer() {
    let store = MemoryStore::new(1);
    let (_, ticket) = st(None);
    // Validated 30 ms before it expires: the mark lasts 30 ms.
    let late = TicketUse::new(
        &codec(),
        &ticket,
        ticket.claims().expires_at() - Duration::milliseconds(30),
    )
    .unwrap();
    assert_eq!(late.keep_for(), StdDuration::from_millis(30));
    assert_eq!(block_on(store.spend(&late, None)), first(Verdict::First));
    // Full (capacity 1) while the mark lives...
    let (_, other) = st(None);
    assert_eq!(
        block_on(store.spend(&use_of(&other), None)),
        Err(StoreError::Full)
    );
    std::thread::sleep(StdDuration::from_millis(60));
    // ...and room again once it expired: no cleaner needed.
    assert_eq!(
        block_on(store.spend(&use_of(&other), None)),
        first(Verdict::First)
    );
    // The leeway lengthens the mark.
    let lenient = codec().with_leeway(Duration::seconds(5));
    let with_leeway = TicketUse::new(&lenient, &ticket, NOW).unwrap();
    assert_eq!(with_leeway.keep_for(), StdDuration::from_secs(15));
}

#[test]
fn a_session_keeps_its_last_records_only() {
    use cas_ticket_codec::store::MAX_RECORDS_PER_SESSION;
    let store = MemoryStore::new(10_000);
    let session = SessionId::generate().unwrap();
    let mut kept = Vec::new();
    for i in 0..MAX_RECORDS_PER_SESSION + 10 {
        let (text, ticket) = st(Some(session));
        // Every third record carries a URL: records differ in length.
        let mut one = logout_record(&text);
        if i % 3 == 0 {
            one.service = Some(format!("https://app.example.edu/{}", "a".repeat(300 + i)));
        }
        block_on(store.spend(&use_of(&ticket), Some(&sealed(&ticket, &one)))).unwrap();
        kept.push(one);
    }
    let (_, any) = st(Some(session));
    let ended = session_of(&any);
    let records = block_on(store.end_session(&ended, StdDuration::from_secs(60))).unwrap();
    assert_eq!(opened(&ended, &records), kept[10..]);
}

#[test]
fn records_last_until_their_session_window_closes() {
    use cas_ticket_codec::store::RECORD_WINDOW_SECS;
    // The session ends at NOW + 8 h, 18:00:00, a window boundary: its
    // window closes 10 minutes later.
    assert_eq!(RECORD_WINDOW_SECS, 600);
    let (_, ticket) = st(Some(SessionId::generate().unwrap()));
    assert_eq!(
        use_of(&ticket).records_for(),
        StdDuration::from_secs(8 * 3600 + 600)
    );
    let lenient = codec().with_leeway(Duration::seconds(5));
    assert_eq!(
        TicketUse::new(&lenient, &ticket, NOW)
            .unwrap()
            .records_for(),
        StdDuration::from_secs(8 * 3600 + 605)
    );
    // Without a session, nothing is recorded: the ticket's own life.
    let (_, sessionless) = st(None);
    assert_eq!(
        use_of(&sessionless).records_for(),
        StdDuration::from_secs(10)
    );
}
