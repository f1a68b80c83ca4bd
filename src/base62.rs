//! Block base62 in the CAS ticket alphabet (FORMAT.md §3).
//!
//! Every 8-byte block, read as a big-endian `u64`, becomes 11 digits; a tail
//! of 1 to 7 bytes becomes the fewest digits that can hold it (2, 3, 5, 6, 7,
//! 9 or 10). Digits are most significant first, from the alphabet
//! `0-9 A-Z a-z`. The length of the text is a fixed function of the byte
//! count, and [`decode`] accepts exactly the strings [`encode`] produces: a
//! block or tail whose value overflows its byte width, an impossible length
//! or a character outside the alphabet is rejected, so every byte string
//! has exactly one spelling.

use crate::error::Malformed;

/// The 62 digits, in value order.
pub const ALPHABET: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

const BLOCK_BYTES: usize = 8;
const BLOCK_CHARS: usize = 11;

/// Digits for a tail of `n` bytes, `n` in `0..8`: the least `d` with `62^d >= 256^n`.
const TAIL_CHARS: [usize; BLOCK_BYTES] = [0, 2, 3, 5, 6, 7, 9, 10];

/// Value of each ASCII byte as a digit, or `0xFF`.
// Evaluated at compile time: an index out of bounds would fail the build.
#[allow(clippy::indexing_slicing)]
const DIGIT_VALUE: [u8; 256] = {
    let mut table = [0xFF_u8; 256];
    let mut i = 0;
    while i < ALPHABET.len() {
        table[ALPHABET[i] as usize] = i as u8;
        i += 1;
    }
    table
};

/// The number of characters [`encode`] produces for `bytes` bytes.
pub const fn encoded_len(bytes: usize) -> usize {
    let tail = match bytes % BLOCK_BYTES {
        0 => 0,
        1 => 2,
        2 => 3,
        3 => 5,
        4 => 6,
        5 => 7,
        6 => 9,
        _ => 10,
    };
    (bytes / BLOCK_BYTES) * BLOCK_CHARS + tail
}

/// The number of bytes a text of `chars` characters decodes to, if a
/// canonical encoding can have that length.
pub fn decoded_len(chars: usize) -> Option<usize> {
    let tail_chars = chars % BLOCK_CHARS;
    let tail_bytes = TAIL_CHARS.iter().position(|&c| c == tail_chars)?;
    Some((chars / BLOCK_CHARS) * BLOCK_BYTES + tail_bytes)
}

/// Appends the base62 spelling of `bytes` to `out`.
pub fn encode_into(bytes: &[u8], out: &mut String) {
    out.reserve(encoded_len(bytes.len()));
    let mut blocks = bytes.chunks_exact(BLOCK_BYTES);
    for block in &mut blocks {
        push_digits(block, BLOCK_CHARS, out);
    }
    let tail = blocks.remainder();
    if let Some(&digits) = TAIL_CHARS.get(tail.len()) {
        push_digits(tail, digits, out);
    }
}

/// The base62 spelling of `bytes`.
pub fn encode(bytes: &[u8]) -> String {
    let mut out = String::new();
    encode_into(bytes, &mut out);
    out
}

/// Decodes a canonical base62 text, rejecting every other string.
pub fn decode(text: &[u8]) -> Result<Vec<u8>, Malformed> {
    let len = decoded_len(text.len()).ok_or(Malformed::Length)?;
    let mut out = vec![0_u8; len];
    let mut slots = out.chunks_exact_mut(BLOCK_BYTES);
    let mut blocks = text.chunks_exact(BLOCK_CHARS);
    for (block, slot) in (&mut blocks).zip(&mut slots) {
        slot.copy_from_slice(&digits_value(block)?.to_be_bytes());
    }
    let tail = blocks.remainder();
    let slot = slots.into_remainder();
    if !tail.is_empty() {
        let value = digits_value(tail)?;
        // The tail's value must fit in its byte count: anything above is a
        // second spelling of nothing.
        let tail_bytes = slot.len();
        if value >> (8 * tail_bytes) != 0 {
            return Err(Malformed::NonCanonical);
        }
        let be = value.to_be_bytes();
        for (to, from) in slot
            .iter_mut()
            .zip(be.iter().skip(BLOCK_BYTES - tail_bytes))
        {
            *to = *from;
        }
    }
    Ok(out)
}

fn push_digits(bytes: &[u8], digits: usize, out: &mut String) {
    let mut value = bytes.iter().fold(0_u64, |v, &b| (v << 8) | u64::from(b));
    let mut buf = [0_u8; BLOCK_CHARS];
    for slot in buf.iter_mut().take(digits).rev() {
        // `value % 62` is below 62, so the lookup cannot miss.
        *slot = ALPHABET.get((value % 62) as usize).copied().unwrap_or(b'0');
        value /= 62;
    }
    out.extend(buf.iter().take(digits).map(|&b| char::from(b)));
}

/// Value of up to 11 digits, rejecting foreign characters and overflow of `u64`.
fn digits_value(digits: &[u8]) -> Result<u64, Malformed> {
    // Two independent halves (at most 6 and 5 digits, far from overflow)
    // shorten the chain of dependent multiplications; only their sum can
    // overflow, and only for a full block.
    let (high, low) = digits.split_at(digits.len().saturating_sub(5));
    let mut foreign = false;
    let mut value_of = |part: &[u8]| {
        part.iter().fold(0_u64, |v, &c| {
            let d = DIGIT_VALUE.get(usize::from(c)).copied().unwrap_or(0xFF);
            foreign |= d == 0xFF;
            v * 62 + u64::from(d)
        })
    };
    let (high, low) = (value_of(high), value_of(low));
    if foreign {
        return Err(Malformed::Alphabet);
    }
    const LOW_SCALE: u64 = 62 * 62 * 62 * 62 * 62;
    high.checked_mul(LOW_SCALE)
        .and_then(|v| v.checked_add(low))
        .ok_or(Malformed::NonCanonical)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_are_a_fixed_function_of_the_byte_count() {
        for n in 0..200 {
            let bytes: Vec<u8> = (0..n).map(|i| (i * 37 + 11) as u8).collect();
            let text = encode(&bytes);
            assert_eq!(text.len(), encoded_len(n));
            assert_eq!(decoded_len(text.len()), Some(n));
            assert_eq!(decode(text.as_bytes()).unwrap(), bytes);
        }
    }

    #[test]
    fn tail_widths_are_minimal() {
        for (n, &d) in TAIL_CHARS.iter().enumerate().skip(1) {
            assert_eq!(encoded_len(n), d);
            assert!(62_f64.powi(d as i32) >= 256_f64.powi(n as i32));
            assert!(62_f64.powi(d as i32 - 1) < 256_f64.powi(n as i32));
        }
    }

    #[test]
    fn extremes_round_trip() {
        for bytes in [
            vec![0u8; 8],
            vec![0xFF; 8],
            vec![0xFF; 15],
            vec![0; 1],
            vec![0xFF; 7],
        ] {
            assert_eq!(decode(encode(&bytes).as_bytes()).unwrap(), bytes);
        }
        assert_eq!(encode(&[0xFF; 8]), "LygHa16AHYF");
        assert_eq!(encode(&[0; 8]), "00000000000");
        assert_eq!(encode(&[0xFF]), "47");
    }

    #[test]
    fn impossible_lengths_are_rejected() {
        for len in [1, 4, 8, 12, 15, 19] {
            assert_eq!(decode(&vec![b'0'; len]), Err(Malformed::Length));
        }
    }

    #[test]
    fn overflowing_block_is_rejected() {
        // 2^64 is "LygHa16AHYG"; every larger 11-digit value too.
        assert_eq!(decode(b"LygHa16AHYG"), Err(Malformed::NonCanonical));
        assert_eq!(decode(b"zzzzzzzzzzz"), Err(Malformed::NonCanonical));
    }

    #[test]
    fn overflowing_tail_is_rejected() {
        assert_eq!(decode(b"48"), Err(Malformed::NonCanonical)); // 256 in one byte
        assert_eq!(decode(b"zz"), Err(Malformed::NonCanonical));
        assert_eq!(decode(b"47"), Ok(vec![0xFF]));
    }

    #[test]
    fn foreign_characters_are_rejected() {
        for bad in [
            &b"0000000000_"[..],
            b"0-",
            b"0+",
            b"0/",
            b"0=",
            b"0 ",
            b"\xC3\xA9",
        ] {
            assert_eq!(decode(bad), Err(Malformed::Alphabet), "{bad:?}");
        }
    }
}
