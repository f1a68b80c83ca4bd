//! Redis memory after 1 M logins (issue 13): the store against a registry.
//!
//! Each login is a TGT and one ST, validated once. The logins stand for the
//! last 8 hours of a busy pool: their sessions end evenly over the next 8
//! hours, so single-logout records fall into 48 ten-minute windows. The
//! store keeps, per login, the ST's spent mark (10 s) and, with single
//! logout on, the ST itself as the session's record, until its window
//! closes; nothing at issue. A
//! Redis ticket registry, as the seeds' registries work, keeps every ticket
//! from issue: the TGT for its 8 hours and the ST until its validation
//! GETDELs it; the values are the tickets' claims as JSON, a lean stand-in
//! for a serialized ticket object. A registry that sends single-logout
//! requests also keeps, in the TGT, the services its STs went to (Apereo's
//! `services` map): the fourth line. `used_memory` is read right after the
//! logins (spent marks still live) and 11 s later, once the expired keys are
//! dropped, on a fresh redis-server this program starts on a free port.
//!
//! `cargo bench --features redis --bench store_memory` (LOGINS=… to change 1 M)

use std::time::{Duration as StdDuration, Instant};

use cas_ticket_codec::store::{Store, TicketUse};
use cas_ticket_codec::{Alg, Claims, Codec, Grant, RedisStore, Service, Session, SessionId};
use time::Duration;

#[path = "../tests/common/mod.rs"]
mod common;
#[path = "../tests/common/redis_server.rs"]
mod redis_server;
use common::{NOW, SERVICE, auth, codec, logout_record};
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

/// Walks the keyspace once: Redis drops each expired key it meets, so what
/// `used_memory` reads next is what lives on, not what its background
/// expiry (a few thousand keys a second) has yet to reach.
fn drop_expired(url: &str) {
    let client = redis::Client::open(url).unwrap();
    let mut c = client.get_connection().unwrap();
    let mut cursor = 0_u64;
    loop {
        let (next, _): (u64, Vec<Vec<u8>>) = redis::cmd("SCAN")
            .arg(cursor)
            .arg("COUNT")
            .arg(10_000)
            .query(&mut c)
            .unwrap();
        if next == 0 {
            break;
        }
        cursor = next;
    }
}

fn flush(url: &str) {
    let client = redis::Client::open(url).unwrap();
    let mut c = client.get_connection().unwrap();
    let _: () = redis::cmd("FLUSHALL").query(&mut c).unwrap();
}

/// A login: a session, its TGT, one ST for the typical service (texts and claims).
struct Login {
    tgt_text: String,
    tgt: Claims,
    st_text: String,
    st: Claims,
}

/// Login `i` of `n`: its session ends between a minute and 8 hours after
/// [`NOW`], the later the larger `i`.
fn login(codec: &Codec, i: usize, n: usize) -> Login {
    let left = Duration::seconds(60 + ((8 * 3600 - 60) * i / n.max(1)) as i64);
    let session = Session::new(SessionId::generate().unwrap(), NOW + left);
    let issued = NOW + left - Duration::hours(8);
    let tgt = Claims::with_lifetime(auth(), Grant::TicketGranting, issued, Duration::hours(8))
        .unwrap()
        .with_session(session)
        .unwrap();
    let grant = Grant::Service {
        service: Service::new(SERVICE).unwrap(),
        fresh_login: true,
    };
    let st = Claims::minted_from(&tgt, grant, NOW, Duration::seconds(10)).unwrap();
    Login {
        tgt_text: codec.encode(&tgt).unwrap(),
        tgt,
        st_text: codec.encode(&st).unwrap(),
        st,
    }
}

/// Memory right after the logins, 11 s later, and the time they took.
struct Footprint {
    name: &'static str,
    now: u64,
    later: u64,
    took: StdDuration,
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
    let footprint = |name, load: &dyn Fn()| {
        let started = Instant::now();
        load();
        let took = started.elapsed();
        let now = used_memory(&url) - empty;
        // Ten seconds on, the spent marks and unvalidated STs have expired:
        // what stays for the sessions' hours is what each login leaves.
        std::thread::sleep(StdDuration::from_secs(11));
        drop_expired(&url);
        let later = used_memory(&url).saturating_sub(empty);
        flush(&url);
        Footprint {
            name,
            now,
            later,
            took,
        }
    };

    // Which login of `logins` is next, so that session ends spread evenly.
    let counter = std::sync::atomic::AtomicUsize::new(0);
    let next = || counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed) % logins;

    // The store: one spend per login, a batch at a time, concurrently, as a
    // node's requests would be.
    let store = runtime
        .block_on(RedisStore::single(&url, StdDuration::from_secs(5), None))
        .unwrap();
    let spend_all = |single_logout: bool| {
        for _ in 0..logins / BATCH {
            let mut tasks = tokio::task::JoinSet::new();
            for login in (0..BATCH).map(|_| login(&codec, next(), logins)) {
                let ticket = codec.decode(&login.st_text, NOW).unwrap();
                let usage = TicketUse::new(&codec, &ticket, NOW).unwrap();
                let record = single_logout.then(|| {
                    let session = usage.session().unwrap();
                    codec
                        .seal_record(session, &logout_record(&login.st_text))
                        .unwrap()
                });
                let store = store.clone();
                tasks.spawn_on(
                    async move { store.spend(&usage, record.as_ref()).await.unwrap() },
                    runtime.handle(),
                );
            }
            runtime.block_on(tasks.join_all());
        }
    };

    // The registry: every ticket stored at issue, the ST taken at validation.
    let client = redis::Client::open(url.as_str()).unwrap();
    let c = runtime
        .block_on(client.get_multiplexed_async_connection())
        .unwrap();
    let register_all = |single_logout: bool| {
        for _ in 0..logins / BATCH {
            let mut issue = redis::pipe();
            let mut validate = redis::pipe();
            for login in (0..BATCH).map(|_| login(&codec, next(), logins)) {
                let mut tgt = serde_json::to_value(&login.tgt).unwrap();
                let left = login.tgt.expires_at() - NOW;
                if single_logout {
                    tgt["services"] = serde_json::json!({ &login.st_text: SERVICE });
                }
                issue
                    .cmd("SET")
                    .arg(&login.tgt_text)
                    .arg(tgt.to_string())
                    .arg("PX")
                    .arg(left.whole_milliseconds() as u64)
                    .ignore();
                issue
                    .cmd("SET")
                    .arg(&login.st_text)
                    .arg(serde_json::to_string(&login.st).unwrap())
                    .arg("PX")
                    .arg(10_000)
                    .ignore();
                validate.cmd("GETDEL").arg(&login.st_text).ignore();
            }
            let mut c = c.clone();
            runtime.block_on(async {
                let _: () = issue.query_async(&mut c).await.unwrap();
                let _: () = validate.query_async(&mut c).await.unwrap();
            });
        }
    };

    let results = [
        footprint("store, single logout off", &|| spend_all(false)),
        footprint("store, single logout on", &|| spend_all(true)),
        footprint("registry", &|| register_all(false)),
        footprint("registry keeping services", &|| register_all(true)),
    ];
    let per = |bytes: u64| bytes as f64 / logins as f64;
    println!("Redis used_memory after {logins} logins (one ST each, validated), then 11 s later:");
    for r in results {
        println!(
            "  {:<26} {:>7.1} MiB ({:>4.0} B/login); {:>7.1} MiB ({:>4.0} B/login); loaded in {:.1?}",
            r.name,
            mib(r.now),
            per(r.now),
            mib(r.later),
            per(r.later),
            r.took
        );
    }
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}
