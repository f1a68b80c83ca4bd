#!/usr/bin/env bash
# Rewrites fuzz/corpus/<target>/seed-* from real tickets (see tests/fuzz_corpus.rs).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test --test fuzz_corpus -- --ignored --exact write_seed_corpus
ls fuzz/corpus/* | head -50
