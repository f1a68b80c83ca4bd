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

use cas_ticket_codec::store::{Store, StoreError, TicketUse, Verdict};
use cas_ticket_codec::{Alg, Codec, PolicyUnknown, RedisStore, SessionId};
use common::{logout_record, sealed_st as st, session_of, use_of};
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

/// The contract, on any store that two nodes share.
async fn contract(node1: &dyn Store, node2: &dyn Store) {
    // One validation per ticket, pool-wide.
    let session = SessionId::generate().unwrap();
    let (text, ticket) = st(Some(session));
    let kept = logout_record(&text);
    assert_eq!(
        node1.spend(&use_of(&ticket), Some(&kept)).await,
        Ok(Verdict::First)
    );
    assert_eq!(
        node2.spend(&use_of(&ticket), None).await,
        Ok(Verdict::Replayed)
    );
    assert_eq!(
        node1.spend(&use_of(&ticket), None).await,
        Ok(Verdict::Replayed)
    );
    // Logout on one node ends the session on every node.
    assert_eq!(node2.session_ended(session).await, Ok(false));
    let records = node2
        .end_session(&session_of(&ticket), StdDuration::from_secs(60))
        .await
        .unwrap();
    assert_eq!(records, vec![kept]);
    assert_eq!(node1.session_ended(session).await, Ok(true));
    let (later_text, later) = st(Some(session));
    assert_eq!(
        node1
            .spend(&use_of(&later), Some(&logout_record(&later_text)))
            .await,
        Ok(Verdict::SessionEnded)
    );
    // Nothing is recorded for a session that has ended.
    assert_eq!(
        node1
            .end_session(&session_of(&ticket), StdDuration::from_secs(60))
            .await,
        Ok(vec![])
    );
    // Other sessions, and tickets without one, are untouched.
    for other in [Some(SessionId::generate().unwrap()), None] {
        let (_, t) = st(other);
        assert_eq!(node2.spend(&use_of(&t), None).await, Ok(Verdict::First));
    }
    common::attempts_contract(node1, node2).await;
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
            store.spend(&use_of(&ticket), Some(&one)).await.unwrap();
            kept.push(one);
        }
        let (_, any) = st(Some(session));
        let records = store
            .end_session(&session_of(&any), StdDuration::from_secs(60))
            .await
            .unwrap();
        assert_eq!(records, kept[10..]);
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
            store.spend(&late, Some(&logout_record(&text))).await,
            Ok(Verdict::First)
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
        assert_eq!(
            server.cli(&["DBSIZE"]),
            "0",
            "nothing outlives its ticket or session"
        );
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
            Ok(Verdict::First)
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
                Ok(verdict) => {
                    assert_eq!(verdict, Verdict::First);
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
                Ok(Verdict::First),
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
                Ok(Verdict::First),
                "round {round}: the first call after the restart"
            );
            assert_eq!(
                store.session_ended(SessionId::generate().unwrap()).await,
                Ok(false)
            );
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
