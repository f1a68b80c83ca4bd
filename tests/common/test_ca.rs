//! A throwaway certificate authority for tests that speak TLS to a real
//! server on loopback (Redis, slapd): `ca.pem`, and `server.pem` with
//! `server.key` for 127.0.0.1, signed by it, written by the `openssl`
//! command into a directory. Shared by the library's Redis tests and
//! cas-node's directory tests (included with `#[path]`).

use std::path::Path;
use std::process::Command;

/// Writes `ca.pem`, `ca.key`, `server.pem` and `server.key` (P-256, two
/// days, `subjectAltName=IP:127.0.0.1`) into `dir`.
pub fn issue(dir: &Path) {
    let openssl = |args: &[&str]| {
        let out = Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .output()
            .expect("openssl");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
    ];
    let days = ["-days", "2"];
    let ca = [
        "req",
        "-x509",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-subj",
        "/CN=test CA",
    ];
    openssl(&[&ca[..], &ec, &days].concat());
    let csr = [
        "req",
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
        "-subj",
        "/CN=127.0.0.1",
    ];
    openssl(&[&csr[..], &ec].concat());
    std::fs::write(dir.join("ext.cnf"), "subjectAltName=IP:127.0.0.1\n").unwrap();
    let sign = [
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "server.pem",
        "-extfile",
        "ext.cnf",
    ];
    openssl(&[&sign[..], &days].concat());
}
