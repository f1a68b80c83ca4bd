//! What the store costs a validation (issue 13): decode alone, decode and
//! `spend` on the in-process store, and decode and `spend` on a real Redis
//! on loopback (a redis-server this bench starts on a free port and stops),
//! next to what a Redis ticket registry does at validation (`GETDEL` of the
//! ticket it stored at issue). Each iteration validates a ticket of its own:
//! 20 000 typical STs are sealed beforehand, each with its own nonce. With
//! a single-logout record (the script of FORMAT.md §13), each of 200 000
//! STs has a session of its own, so that every iteration appends a record;
//! at the cap, all are in one session that already holds 64 records.
//!
//! `cargo bench --features redis --bench store`

use std::hint::black_box;
use std::time::Duration as StdDuration;

use cas_ticket_codec::store::{LogoutRecord, MemoryStore, Store, TicketUse};
use cas_ticket_codec::{Alg, RedisStore, SessionId};
use criterion::{Criterion, criterion_group, criterion_main};

#[path = "../tests/common/mod.rs"]
mod common;
#[path = "../tests/common/redis_server.rs"]
mod redis_server;
use common::{NOW, codec, logout_record, sealed_st, st};
use redis_server::Server;

const TICKETS: usize = 20_000;
const RECORDED: usize = 200_000;

fn store(c: &mut Criterion) {
    let codec = codec(Alg::Aes256Gcm);
    let claims = st();
    let tickets: Vec<String> = (0..TICKETS)
        .map(|_| codec.encode(&claims).unwrap())
        .collect();
    let mut next = tickets.iter().cycle();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();

    let mut group = c.benchmark_group("validation");
    group.bench_function("decode", |b| {
        b.iter(|| codec.decode(black_box(next.next().unwrap()), NOW).unwrap())
    });
    let memory = MemoryStore::new(10 * TICKETS);
    group.bench_function("decode_and_spend_in_memory", |b| {
        b.iter(|| {
            let ticket = codec.decode(next.next().unwrap(), NOW).unwrap();
            let usage = TicketUse::new(&codec, &ticket, NOW).unwrap();
            runtime.block_on(memory.spend(&usage, None)).unwrap()
        })
    });

    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &[]);
    let url = server.url();
    let redis = runtime
        .block_on(RedisStore::single(&url, StdDuration::from_secs(1), None))
        .unwrap();
    group.bench_function("decode_and_spend_on_redis", |b| {
        b.iter(|| {
            let ticket = codec.decode(next.next().unwrap(), NOW).unwrap();
            let usage = TicketUse::new(&codec, &ticket, NOW).unwrap();
            runtime.block_on(redis.spend(&usage, None)).unwrap()
        })
    });
    // A record per validation: each ST in a session of its own (the usual
    // case), then all in one session at its cap of 64 records, so that every
    // append rewrites the whole field (what benches/load's single user does).
    let crowded = SessionId::generate().unwrap();
    for (name, session) in [
        ("decode_and_spend_with_record_on_redis", None),
        (
            "decode_and_spend_with_record_at_the_cap_on_redis",
            Some(crowded),
        ),
    ] {
        let recorded: Vec<(String, LogoutRecord)> = (0..RECORDED)
            .map(|_| {
                let id = session.unwrap_or_else(|| SessionId::generate().unwrap());
                let (text, _) = sealed_st(Some(id));
                let record = logout_record(&text);
                (text, record)
            })
            .collect();
        let mut next_recorded = recorded.iter().cycle();
        group.bench_function(name, |b| {
            b.iter(|| {
                let (text, record) = next_recorded.next().unwrap();
                let ticket = codec.decode(text, NOW).unwrap();
                let usage = TicketUse::new(&codec, &ticket, NOW).unwrap();
                // Sealed here, as a node seals it at each validation.
                let sealed = codec.seal_record(usage.session().unwrap(), record).unwrap();
                runtime
                    .block_on(redis.spend(&usage, Some(&sealed)))
                    .unwrap()
            })
        });
    }
    // The registry baseline: at validation, one GETDEL of the stored ticket.
    let client = redis::Client::open(url.as_str()).unwrap();
    let mut connection = runtime
        .block_on(client.get_multiplexed_async_connection())
        .unwrap();
    // What the registry stored at issue: every ticket, with its claims.
    let mut issue = redis::pipe();
    for ticket in &tickets {
        let value = serde_json::to_string(codec.decode(ticket, NOW).unwrap().claims()).unwrap();
        issue
            .cmd("SET")
            .arg(ticket)
            .arg(value)
            .arg("PX")
            .arg(600_000)
            .ignore();
    }
    runtime
        .block_on(issue.query_async::<()>(&mut connection))
        .unwrap();
    group.bench_function("registry_getdel_on_redis", |b| {
        b.iter(|| {
            let ticket = next.next().unwrap();
            let found: Option<String> = runtime
                .block_on(
                    redis::cmd("GETDEL")
                        .arg(ticket)
                        .query_async(&mut connection),
                )
                .unwrap();
            black_box(found)
        })
    });
    group.finish();
}

criterion_group!(benches, store);
criterion_main!(benches);
