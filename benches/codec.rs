//! Criterion benchmarks: the typical ST and TGT of DESIGN.md, whole pipeline
//! and each stage alone, both algorithms, and encode+decode on 1 and 2 threads
//! sharing one `Codec`.
//!
//! `cargo bench --bench codec`

use std::hint::black_box;
use std::time::{Duration as StdDuration, Instant};

use cas_ticket_codec::{Alg, base62, phrase, stages};
use chacha20poly1305::XChaCha20Poly1305;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use xaes_256_gcm::Xaes256Gcm;
use xaes_256_gcm::aead::{AeadInOut, KeyInit};

/// The claims and keys of the tests: the typical ST in its 8-hour SSO
/// session as a node mints it (`st`), the same without a session as the
/// peers carry it (`st_without_session`), and the session's TGT.
#[path = "../tests/common/mod.rs"]
mod common;
use common::{NOW, codec, st, st_without_session, tgt};

fn pipeline(c: &mut Criterion) {
    for (name, claims) in [
        ("st", st()),
        ("st_plain", st_without_session()),
        ("tgt", tgt()),
    ] {
        for alg in [Alg::Aes256Gcm, Alg::XChaCha20Poly1305] {
            let codec = codec(alg);
            let ticket = codec.encode(&claims).unwrap();
            let mut group = c.benchmark_group(format!("{name}/{alg}"));
            group.bench_function("encode", |b| b.iter(|| codec.encode(black_box(&claims))));
            group.bench_function("decode", |b| {
                b.iter(|| codec.decode(black_box(&ticket), NOW).unwrap())
            });
            group.finish();
        }
    }
}

fn stages(c: &mut Criterion) {
    let claims = st();
    let cbor = stages::to_cbor(&claims);
    let sealed_len = 3 + 16 + cbor.len() + 16;
    let bytes: Vec<u8> = (0..sealed_len).map(|i| i as u8).collect();
    let text = base62::encode(&bytes);

    let mut group = c.benchmark_group("stage");
    group.bench_function("cbor_encode", |b| {
        b.iter(|| stages::to_cbor(black_box(&claims)))
    });
    group.bench_function("cbor_decode", |b| {
        b.iter(|| stages::from_cbor(claims.kind(), black_box(&cbor)).unwrap())
    });
    let service = claims.service().unwrap().as_str();
    group.bench_function("phrase_encode", |b| {
        b.iter(|| phrase::encode(black_box(service)))
    });
    let code = phrase::encode(service);
    group.bench_function("phrase_decode", |b| {
        b.iter(|| phrase::decode(black_box(&code), 64).unwrap())
    });
    group.bench_function("base62_encode", |b| {
        b.iter(|| base62::encode(black_box(&bytes)))
    });
    group.bench_function("base62_decode", |b| {
        b.iter(|| base62::decode(black_box(text.as_bytes())))
    });

    // The AEADs over a payload of the typical size, with the format's 24-byte nonce.
    let key = [0x11_u8; 32];
    let nonce = [7_u8; 24];
    let ad = b"ST-\x02\x00\x01";
    let xaes = Xaes256Gcm::new(&key.into());
    let xchacha = XChaCha20Poly1305::new(&key.into());
    let mut buf = cbor.clone();
    let tag = xaes
        .encrypt_inout_detached(&nonce.into(), ad, buf.as_mut_slice().into())
        .unwrap();
    let sealed = buf.clone();
    group.bench_function("seal_aes256gcm", |b| {
        b.iter(|| {
            let mut buf = cbor.clone();
            xaes.encrypt_inout_detached(&nonce.into(), ad, buf.as_mut_slice().into())
                .unwrap()
        })
    });
    group.bench_function("open_aes256gcm", |b| {
        b.iter(|| {
            let mut buf = sealed.clone();
            xaes.decrypt_inout_detached(&nonce.into(), ad, buf.as_mut_slice().into(), &tag)
                .unwrap()
        })
    });
    group.bench_function("seal_xchacha20poly1305", |b| {
        b.iter(|| {
            let mut buf = cbor.clone();
            xchacha
                .encrypt_inout_detached(&nonce.into(), ad, buf.as_mut_slice().into())
                .unwrap()
        })
    });
    group.finish();
}

/// Encode+decode pairs per second with `threads` threads sharing one codec.
fn scaling(c: &mut Criterion) {
    let codec = codec(Alg::Aes256Gcm);
    let claims = st();
    let mut group = c.benchmark_group("scaling");
    for threads in [1_u64, 2] {
        group.throughput(Throughput::Elements(threads));
        group.bench_function(format!("encode_decode/{threads}_threads"), |b| {
            b.iter_custom(|iters| {
                let start = Instant::now();
                std::thread::scope(|s| {
                    for _ in 0..threads {
                        s.spawn(|| {
                            for _ in 0..iters {
                                let t = codec.encode(&claims).unwrap();
                                black_box(codec.decode(&t, NOW).unwrap());
                            }
                        });
                    }
                });
                start.elapsed()
            })
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(StdDuration::from_secs(1))
        .measurement_time(StdDuration::from_secs(3));
    targets = pipeline, stages, scaling
}
criterion_main!(benches);
