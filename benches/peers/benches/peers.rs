//! Ours and each peer, encode and decode (full validation) of the same
//! claims, in one run. `cargo bench` (in benches/peers)

use std::hint::black_box;
use std::time::Duration;

use cas_ticket_codec_peers::{Input, claims, formats};
use criterion::{Criterion, criterion_group, criterion_main};

fn peers(c: &mut Criterion) {
    for (kind, st) in [("st", true), ("tgt", false)] {
        let claims = Input::new(claims(st));
        for mut format in formats() {
            let token = format.encode(&claims);
            let mut group = c.benchmark_group(format!("{kind}/{}", format.name()));
            group.bench_function("encode", |b| b.iter(|| format.encode(black_box(&claims))));
            group.bench_function("decode", |b| b.iter(|| format.decode(black_box(&token))));
            group.finish();
        }
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = peers
}
criterion_main!(benches);
