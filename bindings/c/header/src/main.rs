//! Writes `bindings/c/include/cas_ticket_codec.h` from `bindings/c/src` with
//! cbindgen, or with `--check` fails (exit 1) when the committed header is
//! not what cbindgen generates.
//!
//! `cargo run --manifest-path bindings/c/header/Cargo.toml [-- --check]`

use std::path::Path;
use std::process::ExitCode;

fn main() -> ExitCode {
    let check = std::env::args().skip(1).any(|a| a == "--check");
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    let crate_dir = here.parent().unwrap_or(here);
    let config = match cbindgen::Config::from_file(crate_dir.join("cbindgen.toml")) {
        Ok(config) => config,
        Err(e) => {
            eprintln!("error: cbindgen.toml: {e}");
            return ExitCode::FAILURE;
        }
    };
    let bindings = match cbindgen::Builder::new()
        .with_config(config)
        .with_src(crate_dir.join("src/lib.rs"))
        .with_src(crate_dir.join("src/status.rs"))
        .generate()
    {
        Ok(bindings) => bindings,
        Err(e) => {
            eprintln!("error: cbindgen: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut generated = Vec::new();
    bindings.write(&mut generated);
    let path = crate_dir.join("include/cas_ticket_codec.h");
    if check {
        let committed = std::fs::read(&path).unwrap_or_default();
        if committed != generated {
            eprintln!(
                "error: {} is not what cbindgen generates from src/; run \
                 cargo run --manifest-path bindings/c/header/Cargo.toml",
                path.display()
            );
            return ExitCode::FAILURE;
        }
        println!("{} is current", path.display());
    } else if let Err(e) = std::fs::write(&path, &generated) {
        eprintln!("error: {}: {e}", path.display());
        return ExitCode::FAILURE;
    } else {
        println!("wrote {}", path.display());
    }
    ExitCode::SUCCESS
}
