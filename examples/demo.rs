//! The README's first command: generate a keyring, open an SSO session (a
//! TGT), mint one ticket of each kind from it as a CAS node does (ST and PGT
//! from the TGT, PT from the PGT), validate each on a second codec built from
//! the saved key file (as another node of the pool would), and show what a
//! rejection looks like.
//!
//! `cargo run --release --example demo`

use cas_ticket_codec::{
    Alg, Authentication, CallbackUrl, Claims, Codec, Grant, Keyring, ProxyChain, Service,
};
use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::temp_dir().join(format!("cas-ticket-demo-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let path = dir.join("keys.json");

    // Node A: generate the pool's keyring and save it (mode 0600).
    let keyring = Keyring::generate(Alg::Aes256Gcm)?;
    keyring.save_new(&path)?;
    println!(
        "keyring  {} (primary key {})",
        path.display(),
        keyring.primary()
    );
    let node_a = Codec::new(&keyring);

    // Node B: load the same file.
    let node_b = Codec::new(&Keyring::load(&path)?);

    let now = OffsetDateTime::now_utc();
    let auth = Authentication::new("jdoe@example.edu", now)?.with_method("Password")?;
    let service = "https://app.example.edu/login?target=%2Fhome";
    let callback = CallbackUrl::new("https://portal.example.edu/cas/proxyCallback")?;

    let tgt = Claims::new_session(auth, now, Duration::hours(8))?;
    let st = Claims::minted_from(
        &tgt,
        Grant::Service {
            service: Service::new(service)?,
            fresh_login: true,
        },
        now,
        Duration::seconds(10),
    )?;
    let pgt = Claims::minted_from(
        &tgt,
        Grant::ProxyGranting {
            callback,
            upstream: Vec::new(),
        },
        now,
        Duration::hours(2),
    )?;
    let pt = Claims::minted_from(
        &pgt,
        Grant::Proxy {
            service: Service::new("https://imap.example.edu/")?,
            proxies: ProxyChain::through(pgt.grant()).ok_or("not a PGT")?,
        },
        now,
        Duration::seconds(10),
    )?;
    if let Some(session) = tgt.session() {
        println!(
            "session  {} until {}",
            session.id(),
            session.ends_at().format(&Rfc3339)?
        );
    }
    for claims in [&tgt, &st, &pgt, &pt] {
        let ticket = node_a.encode(claims)?;
        let checked = node_b.decode(&ticket, now)?;
        assert_eq!(checked.claims(), claims);
        println!(
            "{:<4} {:>3} chars  {ticket}\n          validated on node B: {} until {}",
            claims.kind().to_string(),
            ticket.len(),
            checked.claims().principal(),
            checked.claims().expires_at().format(&Rfc3339)?,
        );
    }

    let st = node_a.encode(&st)?;
    let checked = node_b.decode(&st, now)?;
    println!(
        "service check, same URL:  {:?}",
        checked.require_service(service)
    );
    println!(
        "service check, other URL: {}",
        checked
            .require_service("https://evil.example.net/")
            .map_err(|e| e.to_string())
            .unwrap_err()
    );
    let mut tampered = st.clone().into_bytes();
    if let Some(c) = tampered.get_mut(40) {
        *c = if *c == b'A' { b'B' } else { b'A' };
    }
    let tampered = String::from_utf8(tampered)?;
    let err = node_b.decode(&tampered, now).unwrap_err();
    println!("tampered ticket: {err}");
    let err = node_b.decode(&st, now + Duration::seconds(11)).unwrap_err();
    println!("11 seconds later: {err}");

    std::fs::remove_dir_all(&dir)?;
    Ok(())
}
