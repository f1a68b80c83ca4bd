//! The fuzz targets' properties live in `checks.rs`, which the main crate's
//! `tests/fuzz_corpus.rs` includes too, so `cargo test` replays every corpus
//! file through exactly the function the fuzzer runs.
#[path = "checks.rs"]
pub mod checks;
