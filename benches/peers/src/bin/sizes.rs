//! Prints the length in characters of each format's token for the typical
//! ST and TGT of DESIGN.md, and checks each decodes to the same claims.
//!
//! `cargo run --release --bin sizes` (in benches/peers)

use cas_ticket_codec_peers::{Input, claims, formats, json_claims};

fn main() {
    println!("| format | ST chars | TGT chars |");
    println!("|---|---:|---:|");
    for mut format in formats() {
        let mut lengths = Vec::new();
        for st in [true, false] {
            let claims = claims(st);
            let token = format.encode(&Input::new(claims.clone()));
            assert_eq!(format.decode(&token).json(), json_claims(&claims), "{}", format.name());
            lengths.push(token.len());
        }
        println!("| {} | {} | {} |", format.name(), lengths[0], lengths[1]);
    }
}
