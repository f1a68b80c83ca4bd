//! The store on real Redis servers (feature `redis`): redis-server and
//! redis-cli from Debian (`.ci/run` installs them), started here on free
//! loopback ports and stopped by pid. Two `RedisStore`s on one server stand
//! for two nodes of a pool. These tests fail, never skip, without Redis.
mod common;
#[path = "common/redis_server.rs"]
mod redis_server;

use std::process::Command;
use std::time::{Duration as StdDuration, Instant};

use cas_ticket_codec::store::{ServiceVisit, Store, StoreError, TicketUse, Verdict};
use cas_ticket_codec::{Alg, Codec, RedisStore, SessionId, Ticket};
use common::{NOW, SERVICE, sealed_st as st};
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

fn use_of(ticket: &Ticket) -> TicketUse {
    TicketUse::new(&codec(), ticket, NOW).unwrap()
}

/// The contract, on any store that two nodes share.
async fn contract(node1: &dyn Store, node2: &dyn Store) {
    // One validation per ticket, pool-wide.
    let session = SessionId::generate().unwrap();
    let (text, ticket) = st(Some(session));
    let visit = ServiceVisit {
        service: SERVICE.to_owned(),
        ticket: text,
    };
    assert_eq!(
        node1.spend(&use_of(&ticket), Some(&visit)).await,
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
    let visits = node2
        .end_session(session, StdDuration::from_secs(60))
        .await
        .unwrap();
    assert_eq!(visits, vec![visit]);
    assert_eq!(node1.session_ended(session).await, Ok(true));
    let (_, later) = st(Some(session));
    assert_eq!(
        node1.spend(&use_of(&later), None).await,
        Ok(Verdict::SessionEnded)
    );
    // Other sessions, and tickets without one, are untouched.
    for other in [Some(SessionId::generate().unwrap()), None] {
        let (_, t) = st(other);
        assert_eq!(node2.spend(&use_of(&t), None).await, Ok(Verdict::First));
    }
}

#[test]
fn two_nodes_share_one_redis() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &[]);
    let rt = runtime();
    rt.block_on(async {
        let node1 = RedisStore::single(&server.url(), TIMEOUT, None)
            .await
            .unwrap();
        let node2 = RedisStore::single(&server.url(), TIMEOUT, None)
            .await
            .unwrap();
        contract(&node1, &node2).await;
    });
}

#[test]
fn a_session_keeps_its_last_visits_only() {
    use cas_ticket_codec::store::MAX_VISITS_PER_SESSION;
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &[]);
    runtime().block_on(async {
        let store = RedisStore::single(&server.url(), TIMEOUT, None)
            .await
            .unwrap();
        let session = SessionId::generate().unwrap();
        let mut texts = Vec::new();
        for _ in 0..MAX_VISITS_PER_SESSION + 10 {
            let (text, ticket) = st(Some(session));
            let visit = ServiceVisit {
                service: SERVICE.to_owned(),
                ticket: text.clone(),
            };
            store.spend(&use_of(&ticket), Some(&visit)).await.unwrap();
            texts.push(text);
        }
        let visits = store
            .end_session(session, StdDuration::from_secs(60))
            .await
            .unwrap();
        let kept: Vec<String> = visits.into_iter().map(|v| v.ticket).collect();
        assert_eq!(kept, texts[10..]);
    });
}

#[test]
fn every_key_expires_with_what_it_guards() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &[]);
    let rt = runtime();
    rt.block_on(async {
        let store = RedisStore::single(&server.url(), TIMEOUT, None)
            .await
            .unwrap();
        let session = SessionId::generate().unwrap();
        let (text, ticket) = st(Some(session));
        // Validated 200 ms before expiry, in a session that ends then too.
        let at = ticket.claims().expires_at() - Duration::milliseconds(200);
        let late = TicketUse::new(&codec(), &ticket, at).unwrap();
        let visit = ServiceVisit {
            service: SERVICE.to_owned(),
            ticket: text,
        };
        assert_eq!(store.spend(&late, Some(&visit)).await, Ok(Verdict::First));
        assert_eq!(server.cli(&["DBSIZE"]), "2", "a spent mark and the visits");
        let keys = server.cli(&["KEYS", "*"]);
        assert!(
            !keys.contains(&visit.ticket) && !keys.contains("ST-"),
            "{keys}"
        );
        for key in keys.lines() {
            let ttl: i64 = server.cli(&["PTTL", key]).parse().unwrap();
            assert!(ttl > 0 && ttl <= 8 * 3600 * 1000, "{key}: {ttl}");
        }
        store
            .end_session(session, StdDuration::from_millis(200))
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
        let store = RedisStore::single(&server.url(), TIMEOUT, None)
            .await
            .unwrap();
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
    let openssl = |args: &[&str]| {
        let out = Command::new("openssl")
            .args(args)
            .current_dir(d)
            .output()
            .expect("openssl");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    openssl(&[
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-days",
        "2",
        "-subj",
        "/CN=test CA",
    ]);
    openssl(&[
        "req",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
        "-subj",
        "/CN=127.0.0.1",
    ]);
    std::fs::write(d.join("ext.cnf"), "subjectAltName=IP:127.0.0.1\n").unwrap();
    openssl(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "server.pem",
        "-days",
        "2",
        "-extfile",
        "ext.cnf",
    ]);
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
