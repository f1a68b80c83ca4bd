//! The store on real Redis servers (feature `redis`): redis-server and
//! redis-cli from Debian (`.ci/run` installs them), started here on free
//! loopback ports and stopped by pid. Two `RedisStore`s on one server stand
//! for two nodes of a pool. These tests fail, never skip, without Redis.
mod common;
#[path = "common/redis_server.rs"]
mod redis_server;
#[path = "common/test_ca.rs"]
mod test_ca;

use std::process::Command;
use std::time::{Duration as StdDuration, Instant};

use cas_ticket_codec::store::{Spend, Store, StoreError, TicketUse, Verdict};
use cas_ticket_codec::{Alg, Codec, PolicyUnknown, RedisStore, SessionId};
use common::{
    logout_record, opened, sealed, sealed_st as st, session_of, store_contract as contract, use_of,
};
use redis_server::{Server, free_port};
use time::Duration;

const TIMEOUT: StdDuration = StdDuration::from_millis(500);

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn codec() -> Codec {
    common::codec(Alg::Aes256Gcm)
}

/// A node's store on `server`, with the tests' timeout.
async fn store_on(server: &Server) -> RedisStore {
    RedisStore::single(&server.url(), TIMEOUT, None)
        .await
        .unwrap()
}

fn first(verdict: Verdict) -> Result<Spend, StoreError> {
    Ok(Spend {
        verdict,
        dropped: None,
    })
}

#[test]
fn two_nodes_share_one_redis() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &[]);
    let rt = runtime();
    rt.block_on(async {
        let node1 = store_on(&server).await;
        let node2 = store_on(&server).await;
        contract(&node1, &node2).await;
    });
}

/// Every maxmemory-policy Redis has is read as set: the node refuses to run
/// on any but noeviction (an evicted spent mark or ended session would be
/// accepted again, silently).
#[test]
fn the_eviction_policy_is_read_as_set() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &[]);
    let rt = runtime();
    rt.block_on(async {
        let store = store_on(&server).await;
        for policy in [
            "allkeys-lru",
            "allkeys-lfu",
            "allkeys-random",
            "volatile-lru",
            "volatile-lfu",
            "volatile-random",
            "volatile-ttl",
            "noeviction",
        ] {
            assert_eq!(
                server.cli(&["CONFIG", "SET", "maxmemory-policy", policy]),
                "OK"
            );
            assert_eq!(
                store.eviction_policies().await,
                Ok(vec![("the server".to_owned(), policy.to_owned())])
            );
        }
    });
    // A server that does not allow CONFIG (as some managed Redis do).
    let renamed = tempfile::tempdir().unwrap();
    let locked = Server::start(renamed.path(), &["--rename-command", "CONFIG", ""]);
    rt.block_on(async {
        let store = store_on(&locked).await;
        let refused = store.eviction_policies().await;
        assert!(
            matches!(&refused, Err(PolicyUnknown::Refused(why)) if why.starts_with("CONFIG GET maxmemory-policy was refused: ")),
            "{refused:?}"
        );
    });
}

#[test]
fn a_session_keeps_its_last_records_only() {
    use cas_ticket_codec::store::MAX_RECORDS_PER_SESSION;
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &[]);
    runtime().block_on(async {
        let store = store_on(&server).await;
        let session = SessionId::generate().unwrap();
        let mut kept = Vec::new();
        // The script walks records as the library does: every third one
        // carries a URL, so records differ in length.
        for i in 0..MAX_RECORDS_PER_SESSION + 10 {
            let (text, ticket) = st(Some(session));
            let mut one = logout_record(&text);
            if i % 3 == 0 {
                one.service = Some(format!("https://app.example.edu/{}", "a".repeat(300 + i)));
            }
            store
                .spend(&use_of(&ticket), Some(&sealed(&ticket, &one)))
                .await
                .unwrap();
            kept.push(one);
        }
        let (_, any) = st(Some(session));
        let ended = session_of(&any);
        let records = store
            .end_session(&ended, StdDuration::from_secs(60))
            .await
            .unwrap();
        assert_eq!(opened(&ended, &records), kept[10..]);
    });
}

#[test]
fn every_key_expires_with_what_it_guards() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &[]);
    let rt = runtime();
    rt.block_on(async {
        let store = store_on(&server).await;
        let session = SessionId::generate().unwrap();
        let (text, ticket) = st(Some(session));
        // Validated 200 ms before expiry, in a session that ends then too.
        let at = ticket.claims().expires_at() - Duration::milliseconds(200);
        let late = TicketUse::new(&codec(), &ticket, at).unwrap();
        assert_eq!(
            store
                .spend(&late, Some(&sealed(&ticket, &logout_record(&text))))
                .await,
            first(Verdict::First)
        );
        // The spent mark, for the 200 ms the ticket had left; the session's
        // record window, until it closes 10 minutes after the session ends.
        let window = session_of(&ticket).ends_at().unix_timestamp() / 600;
        let spent = format!("cas:{{{}}}:spent:", &session.to_string()[..2]);
        let records = format!("cas:{{{}}}:slo:{window}", &session.to_string()[..2]);
        let mut keys: Vec<String> = server
            .cli(&["KEYS", "*"])
            .lines()
            .map(String::from)
            .collect();
        keys.sort();
        assert_eq!(keys.len(), 2, "{keys:?}");
        assert_eq!(keys[0], records);
        assert!(keys[1].starts_with(&spent), "{keys:?}");
        let spent_ttl: i64 = server.cli(&["PTTL", &keys[1]]).parse().unwrap();
        assert!(spent_ttl > 0 && spent_ttl <= 200, "{spent_ttl}");
        let window_ttl: i64 = server.cli(&["PTTL", &records]).parse().unwrap();
        let window_left = (8 * 3600 + 600 - 10) * 1000 + 200;
        assert!(
            window_ttl > window_left - 5_000 && window_ttl <= window_left,
            "{window_ttl}"
        );
        store
            .end_session(&session_of(&ticket), StdDuration::from_millis(200))
            .await
            .unwrap();
        tokio::time::sleep(StdDuration::from_millis(450)).await;
        // The spent mark and the ended session are gone; the records stay
        // (sealed) until their window closes, so that a logout whose answer
        // was lost finds them when it is tried again.
        assert_eq!(server.cli(&["KEYS", "*"]), records);
        let window_ttl: i64 = server.cli(&["PTTL", &records]).parse().unwrap();
        assert!(window_ttl > 0 && window_ttl <= window_left, "{window_ttl}");
    });
}

#[test]
fn a_lost_redis_fails_within_the_timeout_and_is_found_again() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Server::start(dir.path(), &[]);
    let rt = runtime();
    rt.block_on(async {
        let store = store_on(&server).await;
        let (_, ticket) = st(None);
        assert_eq!(
            store.spend(&use_of(&ticket), None).await,
            first(Verdict::First)
        );
        server.stop();
        let (_, other) = st(None);
        let started = Instant::now();
        let failed = store.spend(&use_of(&other), None).await;
        assert!(
            matches!(
                failed,
                Err(StoreError::Timeout | StoreError::Unavailable(_))
            ),
            "{failed:?}"
        );
        assert!(started.elapsed() < TIMEOUT * 3, "{:?}", started.elapsed());
        // Redis returns (empty: a lost store forgets) and the same store
        // object works again, without a restart.
        server.restart();
        let deadline = Instant::now() + StdDuration::from_secs(10);
        loop {
            match store.spend(&use_of(&other), None).await {
                Ok(spend) => {
                    assert_eq!(spend.verdict, Verdict::First);
                    break;
                }
                Err(e) => assert!(Instant::now() < deadline, "never reconnected: {e}"),
            }
            tokio::time::sleep(StdDuration::from_millis(50)).await;
        }
    });
}

/// After Redis restarts, the first call on the old connection meets a
/// closed socket: the store reconnects and the call succeeds (the outside
/// run saw 18 of 18 first calls fail).
#[test]
fn the_first_call_after_a_restart_succeeds() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Server::start(dir.path(), &[]);
    let rt = runtime();
    rt.block_on(async {
        let store = store_on(&server).await;
        for round in 0..5 {
            let (_, ticket) = st(None);
            assert_eq!(
                store.spend(&use_of(&ticket), None).await,
                first(Verdict::First),
                "round {round}"
            );
            server.stop();
            server.restart();
            // Give the old connection time to see nothing: the next call is
            // the first to find it closed.
            tokio::time::sleep(StdDuration::from_millis(200)).await;
            let (_, next) = st(None);
            assert_eq!(
                store.spend(&use_of(&next), None).await,
                first(Verdict::First),
                "round {round}: the first call after the restart"
            );
            assert_eq!(store.ended(&use_of(&next)).await, Ok(None));
        }
    });
}

/// A Redis at maxmemory under noeviction refuses writes: the store says it
/// is full (not "unavailable", and not an "extension error"), and a down
/// one says it is down.
#[test]
fn full_and_down_are_told_apart() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Server::start(dir.path(), &[]);
    let rt = runtime();
    rt.block_on(async {
        let store = store_on(&server).await;
        let (_, ticket) = st(None);
        let used: u64 = server
            .cli(&["INFO", "memory"])
            .lines()
            .find_map(|l| l.strip_prefix("used_memory:"))
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        let limit = (used + 1024).to_string();
        assert_eq!(server.cli(&["CONFIG", "SET", "maxmemory", &limit]), "OK");
        server.cli(&["SET", "ballast", &"x".repeat(64 * 1024)]);
        assert_eq!(
            store.spend(&use_of(&ticket), None).await,
            Err(StoreError::Full)
        );
        assert_eq!(
            StoreError::Full.to_string(),
            "the ticket store is full: it refuses writes"
        );
        assert_eq!(server.cli(&["CONFIG", "SET", "maxmemory", "0"]), "OK");
        server.stop();
        let down = store.spend(&use_of(&ticket), None).await;
        assert!(
            matches!(&down, Err(StoreError::Unavailable(why)) if why.starts_with("Redis is")),
            "{down:?}"
        );
    });
}

#[test]
fn a_redis_cluster_of_three_masters() {
    let dir = tempfile::tempdir().unwrap();
    let servers: Vec<Server> = (0..3)
        .map(|i| {
            let sub = dir.path().join(format!("n{i}"));
            std::fs::create_dir(&sub).unwrap();
            Server::start(
                &sub,
                &["--cluster-enabled", "yes", "--cluster-node-timeout", "2000"],
            )
        })
        .collect();
    let nodes: Vec<String> = servers
        .iter()
        .map(|s| format!("127.0.0.1:{}", s.port))
        .collect();
    let mut create = Command::new("redis-cli");
    create
        .arg("--cluster")
        .arg("create")
        .args(&nodes)
        .arg("--cluster-yes");
    let out = create.output().expect("redis-cli");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let deadline = Instant::now() + StdDuration::from_secs(20);
    while !servers
        .iter()
        .all(|s| s.cli(&["CLUSTER", "INFO"]).contains("cluster_state:ok"))
    {
        assert!(Instant::now() < deadline, "the cluster did not form");
        std::thread::sleep(StdDuration::from_millis(100));
    }
    let seeds: Vec<String> = servers.iter().map(Server::url).collect();
    let rt = runtime();
    rt.block_on(async {
        let node1 = RedisStore::cluster(&seeds, StdDuration::from_secs(2), None)
            .await
            .unwrap();
        let node2 = RedisStore::cluster(&seeds[1..], StdDuration::from_secs(2), None)
            .await
            .unwrap();
        // Enough sessions to land on every master.
        for _ in 0..12 {
            contract(&node1, &node2).await;
        }
        // The policy of every master is read: one that evicts is seen.
        let policies = node2.eviction_policies().await.unwrap();
        assert_eq!(policies.len(), 3, "{policies:?}");
        assert!(
            policies.iter().all(|(_, p)| p == "noeviction"),
            "{policies:?}"
        );
        assert_eq!(
            servers[1].cli(&["CONFIG", "SET", "maxmemory-policy", "volatile-lru"]),
            "OK"
        );
        let policies = node1.eviction_policies().await.unwrap();
        let evicting: Vec<_> = policies.iter().filter(|(_, p)| p != "noeviction").collect();
        assert_eq!(evicting.len(), 1, "{policies:?}");
        assert_eq!(evicting[0].1, "volatile-lru");
        assert!(
            evicting[0].0.ends_with(&servers[1].port.to_string()),
            "{policies:?}"
        );
    });
    let spread: Vec<u64> = servers
        .iter()
        .map(|s| s.cli(&["DBSIZE"]).parse().unwrap())
        .collect();
    assert!(spread.iter().filter(|&&n| n > 0).count() >= 2, "{spread:?}");
}

#[test]
fn rediss_with_a_private_ca() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    test_ca::issue(d);
    let port = free_port();
    let path = |f: &str| d.join(f).to_str().unwrap().to_owned();
    let server = Server::start_on(
        port,
        Some(d.join("ca.pem")),
        d,
        &[
            "--port",
            "0",
            "--tls-port",
            &port.to_string(),
            "--tls-cert-file",
            &path("server.pem"),
            "--tls-key-file",
            &path("server.key"),
            "--tls-ca-cert-file",
            &path("ca.pem"),
            "--tls-auth-clients",
            "no",
        ],
    );
    let ca = std::fs::read(d.join("ca.pem")).unwrap();
    let url = format!("rediss://127.0.0.1:{port}/");
    let rt = runtime();
    rt.block_on(async {
        let node1 = RedisStore::single(&url, StdDuration::from_secs(2), Some(&ca))
            .await
            .unwrap();
        let node2 = RedisStore::single(&url, StdDuration::from_secs(2), Some(&ca))
            .await
            .unwrap();
        contract(&node1, &node2).await;
        // A store that does not trust the CA gets no answer.
        let stranger = RedisStore::single(&url, StdDuration::from_secs(2), None)
            .await
            .unwrap();
        let (_, t) = st(None);
        assert!(stranger.spend(&use_of(&t), None).await.is_err());
    });
    drop(server);
}

/// Records hold no ticket a reader of Redis could replay: the field holds
/// no 16 bytes of the ticket, and what Redis holds opens only under the
/// pool's keys, for its own session.
#[test]
fn a_record_read_from_redis_is_no_ticket() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &[]);
    runtime().block_on(async {
        let store = store_on(&server).await;
        let session = SessionId::generate().unwrap();
        let (text, ticket) = st(Some(session));
        let kept = logout_record(&text);
        store
            .spend(&use_of(&ticket), Some(&sealed(&ticket, &kept)))
            .await
            .unwrap();
        let key = server.cli(&["KEYS", "cas:*:slo:*"]);
        let mut con = redis::Client::open(server.url())
            .unwrap()
            .get_multiplexed_async_connection()
            .await
            .unwrap();
        let field: Vec<u8> = redis::cmd("HGET")
            .arg(&key)
            .arg(session.to_string())
            .query_async(&mut con)
            .await
            .unwrap();
        let bytes = cas_ticket_codec::base62::decode(&text.as_bytes()[3..]).unwrap();
        assert!(!field.windows(16).any(|w| bytes.windows(16).any(|b| b == w)));
        assert!(!String::from_utf8_lossy(&field).contains(&text[3..20]));
        // Moved to another session's field, it does not open there.
        let other = SessionId::generate().unwrap();
        let moved = cas_ticket_codec::store::SealedRecord::from_bytes(field);
        assert_eq!(
            codec().open_record(other, &moved),
            Err(cas_ticket_codec::Error::AuthenticationFailed)
        );
        assert_eq!(codec().open_record(session, &moved), Ok(kept));
    });
}

/// A writer to Redis who stuffs a session's field: 16 MB is dropped unread
/// at once (not parsed for seconds inside Redis), a field that is not a
/// sequence of records is replaced, and one record repeated is read once.
#[test]
fn a_poisoned_field_is_dropped_or_read_once() {
    use cas_ticket_codec::store::MAX_RECORDS_FIELD_BYTES;
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &[]);
    runtime().block_on(async {
        let store = store_on(&server).await;
        let mut con = redis::Client::open(server.url())
            .unwrap()
            .get_multiplexed_async_connection()
            .await
            .unwrap();
        let session = SessionId::generate().unwrap();
        let (text, ticket) = st(Some(session));
        let ended = session_of(&ticket);
        let window = ended.ends_at().unix_timestamp() / 600;
        let key = format!("cas:{{{}}}:slo:{window}", &session.to_string()[..2]);
        let writer = con.clone();
        let stuff = |value: Vec<u8>| {
            let mut con = writer.clone();
            let key = key.clone();
            async move {
                let () = redis::cmd("HSET")
                    .arg(&key)
                    .arg(session.to_string())
                    .arg(value)
                    .query_async(&mut con)
                    .await
                    .unwrap();
            }
        };

        // 16 MB, at validation: the script answers at once and says so.
        stuff(vec![b'x'; 16 << 20]).await;
        let record = sealed(&ticket, &logout_record(&text));
        let started = Instant::now();
        let spend = store.spend(&use_of(&ticket), Some(&record)).await.unwrap();
        assert!(
            started.elapsed() < StdDuration::from_millis(200),
            "{:?}",
            started.elapsed()
        );
        assert_eq!(spend.dropped, Some(16 << 20));
        assert_eq!(spend.verdict, Verdict::First);
        let (field,): (Vec<u8>,) = redis::pipe()
            .cmd("HGET")
            .arg(&key)
            .arg(session.to_string())
            .query_async(&mut con)
            .await
            .unwrap();
        assert_eq!(field, record.as_bytes(), "replaced by the new record");

        // 16 MB, at logout: dropped unread, and said.
        stuff(vec![b'x'; 16 << 20]).await;
        let started = Instant::now();
        let read = store
            .end_session(&ended, StdDuration::from_secs(60))
            .await
            .unwrap();
        assert!(
            started.elapsed() < StdDuration::from_millis(200),
            "{:?}",
            started.elapsed()
        );
        assert_eq!(read.records, vec![]);
        assert_eq!(read.dropped, Some(16 << 20));

        // One record repeated as often as the cap allows: read once.
        let session = SessionId::generate().unwrap();
        let (text, ticket) = st(Some(session));
        let record = sealed(&ticket, &logout_record(&text));
        let times = MAX_RECORDS_FIELD_BYTES / record.as_bytes().len();
        let ended = session_of(&ticket);
        let key = format!("cas:{{{}}}:slo:{window}", &session.to_string()[..2]);
        let () = redis::cmd("HSET")
            .arg(&key)
            .arg(session.to_string())
            .arg(record.as_bytes().repeat(times))
            .query_async(&mut con)
            .await
            .unwrap();
        let read = store
            .end_session(&ended, StdDuration::from_secs(60))
            .await
            .unwrap();
        assert!(times > 1000, "{times}");
        assert_eq!(read.records, vec![record]);
        assert_eq!(read.dropped, None);
    });
}

/// A key of the store that something else wrote with another type is told
/// as such, not as an outage.
#[test]
fn a_key_of_another_type_is_told_apart() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &[]);
    runtime().block_on(async {
        let store = store_on(&server).await;
        let (_, ticket) = st(Some(SessionId::generate().unwrap()));
        let usage = use_of(&ticket);
        let key = format!(
            "cas:{{{}}}:ended-principal",
            usage
                .principal_id()
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect::<String>()
        );
        server.cli(&["HSET", &key, "a", "b"]);
        assert_eq!(store.ended(&usage).await, Err(StoreError::WrongType));
        assert_eq!(store.spend(&usage, None).await, Err(StoreError::WrongType));
        assert_eq!(
            StoreError::WrongType.to_string(),
            "a key of the ticket store holds another type (does something else write to it?)"
        );
    });
}
