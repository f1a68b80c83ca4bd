//! Raw DEFLATE with a preset dictionary, and a bounded inflate (FORMAT.md §6).
//!
//! Each thread keeps one compressor and one decompressor and resets them per
//! ticket: building zlib state costs several microseconds, resetting it about
//! one. The dictionary is part of the format: changing a byte of it is a new
//! format version.

use std::cell::RefCell;
use std::thread::LocalKey;

use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress, Status};

use crate::error::Malformed;

/// The largest payload (CBOR) a ticket may carry, before or after inflation.
/// A hostile deflate stream is stopped here, so inflating never allocates more.
pub const MAX_PAYLOAD_BYTES: usize = 1024;

/// The preset dictionary of format version 1: common CAS strings, the most
/// frequent last (DEFLATE reaches the end of the window with the shortest distances).
pub const DICTIONARY: &[u8] = b"X509CertificateDuoSecurityMultifactorLdapAuthenticationHandler\
AcceptUsersAuthenticationHandlerRemembered/cas/proxyCallback?service=https%3A%2F%2F\
?target=%2F/login.example.org/.com/.edu/http://https://www.Passwordhttps://";

thread_local! {
    static COMPRESSOR: RefCell<Option<Compress>> = const { RefCell::new(None) };
    static DECOMPRESSOR: RefCell<Option<Decompress>> = const { RefCell::new(None) };
}

/// Deflates `input` and appends the result to `out`, if that makes it shorter.
/// Returns whether it did; when it did not, `out` is unchanged.
pub(crate) fn squeeze(input: &[u8], out: &mut Vec<u8>) -> bool {
    let mut buf = [0_u8; MAX_PAYLOAD_BYTES];
    // Output must be strictly shorter than the input to be worth a flag.
    let Some(limit) = buf.get_mut(..input.len().saturating_sub(1)) else {
        return false;
    };
    let compressed = with_reused(&COMPRESSOR, new_compressor, |c| {
        c.reset();
        c.set_dictionary(DICTIONARY).ok()?;
        match c.compress(input, limit, FlushCompress::Finish) {
            Ok(Status::StreamEnd) => usize::try_from(c.total_out()).ok(),
            _ => None,
        }
    });
    match compressed.and_then(|n| limit.get(..n)) {
        Some(bytes) => {
            out.extend_from_slice(bytes);
            true
        }
        None => false,
    }
}

/// Inflates a raw DEFLATE stream made with [`DICTIONARY`], refusing to
/// produce more than [`MAX_PAYLOAD_BYTES`] or to leave input unread.
pub fn inflate(input: &[u8]) -> Result<Vec<u8>, Malformed> {
    // One byte of slack tells "exactly the bound" from "past the bound".
    let mut out = Vec::with_capacity(MAX_PAYLOAD_BYTES + 1);
    let status = with_reused(&DECOMPRESSOR, new_decompressor, |d| {
        d.reset(false);
        d.set_dictionary(DICTIONARY)
            .map_err(|_| Malformed::Inflate)?;
        let status = d
            .decompress_vec(input, &mut out, FlushDecompress::Finish)
            .map_err(|_| Malformed::Inflate)?;
        Ok((status, d.total_in()))
    })?;
    if out.len() > MAX_PAYLOAD_BYTES {
        return Err(Malformed::PayloadTooLarge);
    }
    match status {
        (Status::StreamEnd, read) if read == input.len() as u64 => Ok(out),
        _ if out.len() == out.capacity() => Err(Malformed::PayloadTooLarge),
        _ => Err(Malformed::Inflate),
    }
}

fn new_compressor() -> Compress {
    Compress::new(Compression::fast(), false)
}

fn new_decompressor() -> Decompress {
    Decompress::new(false)
}

/// Runs `f` on this thread's reusable state, or on a fresh one when the
/// thread-local is unavailable (thread exit) or already borrowed.
fn with_reused<S: 'static, T>(
    key: &'static LocalKey<RefCell<Option<S>>>,
    new: fn() -> S,
    mut f: impl FnMut(&mut S) -> T,
) -> T {
    key.try_with(|cell| {
        cell.try_borrow_mut()
            .ok()
            .map(|mut slot| f(slot.get_or_insert_with(new)))
    })
    .ok()
    .flatten()
    .unwrap_or_else(|| f(&mut new()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deflate_raw(data: &[u8]) -> Vec<u8> {
        let mut c = Compress::new(Compression::best(), false);
        c.set_dictionary(DICTIONARY).unwrap();
        let mut out = Vec::with_capacity(data.len() + 64);
        c.compress_vec(data, &mut out, FlushCompress::Finish)
            .unwrap();
        out
    }

    #[test]
    fn format_md_lists_the_dictionary_byte_for_byte() {
        let spec = include_str!("../FORMAT.md");
        let section = spec.split("The version 1 dictionary").nth(1).unwrap();
        let block = section.split("```").nth(1).unwrap();
        let listed: String = block
            .lines()
            .filter_map(|l| l.trim().strip_prefix('"')?.strip_suffix('"'))
            .collect();
        assert_eq!(listed.as_bytes(), DICTIONARY);
        assert!(section.contains(&format!("these {} bytes", DICTIONARY.len())));
    }

    #[test]
    fn squeeze_then_inflate_round_trips() {
        let text = b"https://app.example.edu/login?target=%2Fhome https://app.example.edu/";
        let mut out = Vec::new();
        assert!(squeeze(text, &mut out));
        assert!(out.len() < text.len());
        assert_eq!(inflate(&out).unwrap(), text);
    }

    #[test]
    fn incompressible_input_is_left_alone() {
        let noise: Vec<u8> = (0..100_u32)
            .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
            .collect();
        let mut out = vec![7];
        assert!(!squeeze(&noise, &mut out));
        assert_eq!(out, [7]);
        assert!(!squeeze(&[], &mut out));
        assert!(!squeeze(&[1], &mut out));
    }

    #[test]
    fn bomb_stops_at_the_bound() {
        let bomb = deflate_raw(&vec![0_u8; 1 << 20]);
        assert!(bomb.len() < 2048, "{}", bomb.len());
        assert_eq!(inflate(&bomb), Err(Malformed::PayloadTooLarge));
        let exact = deflate_raw(&[b'a'; MAX_PAYLOAD_BYTES]);
        assert_eq!(inflate(&exact).unwrap().len(), MAX_PAYLOAD_BYTES);
        let one_more = deflate_raw(&[b'a'; MAX_PAYLOAD_BYTES + 1]);
        assert_eq!(inflate(&one_more), Err(Malformed::PayloadTooLarge));
    }

    #[test]
    fn garbage_and_trailing_bytes_are_rejected() {
        assert_eq!(inflate(&[0xFF, 0xFF, 0xFF]), Err(Malformed::Inflate));
        assert_eq!(inflate(&[]), Err(Malformed::Inflate));
        let mut stream = deflate_raw(b"hello hello hello");
        stream.push(0);
        assert_eq!(inflate(&stream), Err(Malformed::Inflate));
        stream.pop();
        stream.pop();
        assert_eq!(inflate(&stream), Err(Malformed::Inflate));
    }
}
