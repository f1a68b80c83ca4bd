#![no_main]
use cas_ticket_codec_fuzz::checks;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| checks::record(data));
