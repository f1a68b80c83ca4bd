#![no_main]
use cas_ticket_codec_fuzz::checks::{self, ClaimsInput};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: ClaimsInput| checks::roundtrip(&input));
