//! The Rust side of the overhead table (bindings/README.md): the library's
//! own calls on the typical ST of benches/codec.rs and tests/common (no
//! session; key 0001, aes256gcm, 32 bytes of 0x11), timed as every binding's
//! bench times them: a warm-up, then the median of 101 samples of 2,000
//! calls each.
//!
//! `cargo bench --bench overhead` prints one line per figure:
//! `rust <what> <median ns>`. With `CTC_BENCH_KEYS=PATH` it first writes that
//! keyring to PATH (a new file, mode 0600, by the library) for the C, Java and
//! Python benches to load.

use std::hint::black_box;
use std::time::Instant;

use cas_ticket_codec::{
    Alg, Authentication, Claims, Codec, Grant, Key, KeyId, Keyring, SecretKey, Service,
};
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

const NOW: OffsetDateTime = datetime!(2026-11-22 10:00:00 UTC);
const SERVICE: &str = "https://app.example.edu/login?target=%2Fhome";
const SAMPLES: usize = 101;
const BATCH: u32 = 2_000;

/// The typical ST, built from its parts as a binding builds it per call.
fn typical_st() -> Claims {
    let auth = Authentication::new("jdoe@example.edu", NOW - Duration::minutes(5))
        .and_then(|a| a.with_method("Password"))
        .unwrap();
    let grant = Grant::Service {
        service: Service::new(SERVICE).unwrap(),
        fresh_login: false,
    };
    Claims::with_lifetime(auth, grant, NOW, Duration::seconds(10)).unwrap()
}

/// Median nanoseconds per call of `f`.
fn median_ns(mut f: impl FnMut()) -> f64 {
    let warm = Instant::now();
    while warm.elapsed().as_millis() < 500 {
        f();
    }
    let mut samples: Vec<f64> = (0..SAMPLES)
        .map(|_| {
            let start = Instant::now();
            for _ in 0..BATCH {
                f();
            }
            start.elapsed().as_nanos() as f64 / f64::from(BATCH)
        })
        .collect();
    samples.sort_by(f64::total_cmp);
    samples[SAMPLES / 2]
}

fn main() {
    // `cargo test --benches` runs this once as a smoke test; skip the timing.
    if std::env::args().any(|a| a == "--test") {
        return;
    }
    let id = KeyId::from_bytes([0x00, 0x01]);
    let key = Key::new(id, Alg::Aes256Gcm, SecretKey::from_bytes([0x11; 32]));
    let keyring = Keyring::new(vec![key], id).unwrap();
    if let Some(path) = std::env::var_os("CTC_BENCH_KEYS") {
        keyring.save_new(std::path::Path::new(&path)).unwrap();
    }
    let codec = Codec::new(&keyring);
    let claims = typical_st();
    let ticket = codec.encode(&claims).unwrap();
    assert_eq!(ticket.len(), 102);

    let encode = median_ns(|| {
        black_box(codec.encode(black_box(&claims)).unwrap());
    });
    let build_encode = median_ns(|| {
        black_box(codec.encode(&black_box(typical_st())).unwrap());
    });
    let decode = median_ns(|| {
        black_box(codec.decode(black_box(&ticket), NOW).unwrap());
    });
    let decode_service = median_ns(|| {
        let t = codec.decode(black_box(&ticket), NOW).unwrap();
        t.require_service(black_box(SERVICE)).unwrap();
        black_box(t);
    });
    println!("rust encode {encode:.0}");
    println!("rust build+encode {build_encode:.0}");
    println!("rust decode {decode:.0}");
    println!("rust decode+service {decode_service:.0}");
}
