//! Certificate files an operator names (`--proxy-ca`, `--ldap-ca`, …).

use std::path::Path;

use ureq::tls::{Certificate, PemItem, parse_pem};

/// The certificates of the PEM file `file` that `flag` names: an error
/// naming both when the file cannot be read, is not PEM, or holds none.
pub fn certificates(flag: &str, file: &Path) -> Result<Vec<Certificate<'static>>, String> {
    let pem =
        std::fs::read(file).map_err(|e| format!("cannot read {flag} {}: {e}", file.display()))?;
    let mut found = Vec::new();
    for item in parse_pem(&pem) {
        match item {
            Ok(PemItem::Certificate(cert)) => found.push(cert),
            Ok(_) => {}
            Err(e) => return Err(format!("{flag} {}: {e}", file.display())),
        }
    }
    if found.is_empty() {
        return Err(format!("{flag} {}: no certificate in it", file.display()));
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_without_certificates_is_refused_by_name() {
        let dir = tempfile::tempdir().unwrap();
        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "not a certificate\n").unwrap();
        assert_eq!(
            certificates("--ldap-ca", &empty).unwrap_err(),
            format!("--ldap-ca {}: no certificate in it", empty.display())
        );
        let missing = dir.path().join("missing.pem");
        assert!(
            certificates("--proxy-ca", &missing)
                .unwrap_err()
                .starts_with(&format!("cannot read --proxy-ca {}: ", missing.display()))
        );
    }
}
