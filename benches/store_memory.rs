//! Redis memory after 1 M logins (issue 13): the store against a registry.
//!
//! Each login is a TGT (8-hour session) and one ST, validated once. The
//! store keeps, per login, the ST's spent mark (10 s) and the session's
//! single-logout record (8 h); nothing at issue. A Redis ticket registry,
//! as the seeds' registries work, keeps every ticket from issue: the TGT
//! for its 8 hours and the ST until its validation GETDELs it; the values
//! are the tickets' claims as JSON, a lean stand-in for a serialized ticket
//! object. `used_memory` is read right after the logins (spent marks still
//! live) on a fresh redis-server this program starts on a free port.
//!
//! `cargo bench --features redis --bench store_memory` (LOGINS=… to change 1 M)

use std::time::{Duration as StdDuration, Instant};

use cas_ticket_codec::store::{ServiceVisit, Store, TicketUse};
use cas_ticket_codec::{Alg, Claims, Grant, RedisStore, Service, Session, SessionId};
use time::Duration;

#[path = "../tests/common/mod.rs"]
mod common;
#[path = "../tests/common/redis_server.rs"]
mod redis_server;
use common::{NOW, SERVICE, auth, codec};
use redis_server::Server;

const BATCH: usize = 1000;

fn used_memory(url: &str) -> u64 {
    let client = redis::Client::open(url).unwrap();
    let mut c = client.get_connection().unwrap();
    let info: String = redis::cmd("INFO").arg("memory").query(&mut c).unwrap();
    info.lines()
        .find_map(|l| l.strip_prefix("used_memory:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap()
}

fn flush(url: &str) {
    let client = redis::Client::open(url).unwrap();
    let mut c = client.get_connection().unwrap();
    let _: () = redis::cmd("FLUSHALL").query(&mut c).unwrap();
}

fn main() {
    let logins: usize = std::env::var("LOGINS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &[]);
    let url = server.url();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let codec = codec(Alg::Aes256Gcm);
    let empty = used_memory(&url);

    // A login: a session, its TGT, one ST for the typical service.
    let login = || {
        let session = Session::new(SessionId::generate().unwrap(), NOW + Duration::hours(8));
        let tgt = Claims::with_lifetime(auth(), Grant::TicketGranting, NOW, Duration::hours(8))
            .unwrap()
            .with_session(session)
            .unwrap();
        let grant = Grant::Service {
            service: Service::new(SERVICE).unwrap(),
            fresh_login: true,
        };
        let st = Claims::minted_from(&tgt, grant, NOW, Duration::seconds(10)).unwrap();
        (
            codec.encode(&tgt).unwrap(),
            tgt,
            codec.encode(&st).unwrap(),
            st,
        )
    };

    // The store: a spend with its single-logout record per login.
    let store = runtime
        .block_on(RedisStore::single(&url, StdDuration::from_secs(5), None))
        .unwrap();
    let started = Instant::now();
    for _ in 0..logins / BATCH {
        let batch: Vec<_> = (0..BATCH).map(|_| login()).collect();
        runtime.block_on(async {
            for (_, _, st_text, _) in &batch {
                let ticket = codec.decode(st_text, NOW).unwrap();
                let usage = TicketUse::new(&ticket, NOW, Duration::ZERO);
                let visit = ServiceVisit {
                    service: SERVICE.to_owned(),
                    ticket: st_text.clone(),
                };
                store.spend(&usage, Some(&visit)).await.unwrap();
            }
        });
    }
    let store_time = started.elapsed();
    let store_bytes = used_memory(&url) - empty;
    // Ten seconds on, the spent marks have expired: what stays for the
    // sessions' hours is the single-logout records.
    std::thread::sleep(StdDuration::from_secs(11));
    let store_later = used_memory(&url).saturating_sub(empty);
    flush(&url);

    // The registry: every ticket stored at issue, the ST taken at validation.
    let client = redis::Client::open(url.as_str()).unwrap();
    let mut c = runtime
        .block_on(client.get_multiplexed_async_connection())
        .unwrap();
    let started = Instant::now();
    for _ in 0..logins / BATCH {
        let batch: Vec<_> = (0..BATCH).map(|_| login()).collect();
        let mut issue = redis::pipe();
        let mut validate = redis::pipe();
        for (tgt_text, tgt, st_text, st) in &batch {
            issue
                .cmd("SET")
                .arg(tgt_text)
                .arg(serde_json::to_string(tgt).unwrap())
                .arg("PX")
                .arg(8 * 3600 * 1000)
                .ignore();
            issue
                .cmd("SET")
                .arg(st_text)
                .arg(serde_json::to_string(st).unwrap())
                .arg("PX")
                .arg(10_000)
                .ignore();
            validate.cmd("GETDEL").arg(st_text).ignore();
        }
        runtime.block_on(async {
            let _: () = issue.query_async(&mut c).await.unwrap();
            let _: () = validate.query_async(&mut c).await.unwrap();
        });
    }
    let registry_time = started.elapsed();
    let registry_bytes = used_memory(&url) - empty;
    std::thread::sleep(StdDuration::from_secs(11));
    let registry_later = used_memory(&url).saturating_sub(empty);

    let per = |bytes: u64| bytes as f64 / logins as f64;
    println!("Redis used_memory after {logins} logins (one ST each, validated); 11 s later:");
    for (name, now, later, took) in [
        ("store", store_bytes, store_later, store_time),
        ("registry", registry_bytes, registry_later, registry_time),
    ] {
        println!(
            "  {name:<8} {:>7.1} MiB ({:>4.0} B/login); {:>7.1} MiB ({:>4.0} B/login); loaded in {took:.1?}",
            mib(now),
            per(now),
            mib(later),
            per(later)
        );
    }
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}
