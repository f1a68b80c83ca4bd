//! `ticketctl` end to end: every line of its contract, run on the built binary.
#![cfg(feature = "cli")]

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

const SERVICE: &str = "https://app.example.edu/login?target=%2Fhome";
const AT: &str = "2026-11-22T10:00:00Z";

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn ticketctl() -> Command {
    let mut cmd = Command::cargo_bin("ticketctl").unwrap();
    cmd.env_remove("TICKETCTL_KEYS");
    cmd
}

fn run(args: &[&str]) -> Run {
    run_with(ticketctl().args(args))
}

fn run_with(cmd: &mut Command) -> Run {
    let out = cmd.output().unwrap();
    Run {
        code: out.status.code().unwrap(),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

impl Run {
    fn ok(self) -> String {
        assert_eq!(self.code, 0, "stderr: {}", self.stderr);
        assert!(self.stderr.is_empty(), "{}", self.stderr);
        self.stdout.trim_end_matches('\n').to_owned()
    }

    fn json(self) -> Value {
        let out = self.ok();
        assert_eq!(out.lines().count(), 1, "one JSON object on one line: {out}");
        serde_json::from_str(&out).unwrap()
    }

    /// A failure: the exit code, nothing on stdout, exactly one `error:` line.
    fn fails(self, code: i32, needle: &str) {
        assert_eq!(
            self.code, code,
            "stdout: {} stderr: {}",
            self.stdout, self.stderr
        );
        assert!(self.stdout.is_empty(), "stdout: {}", self.stdout);
        assert_eq!(self.stderr.lines().count(), 1, "stderr: {:?}", self.stderr);
        assert!(self.stderr.starts_with("error: "), "{}", self.stderr);
        assert!(self.stderr.ends_with('\n'));
        assert!(
            self.stderr.contains(needle),
            "{:?} lacks {needle:?}",
            self.stderr
        );
        assert!(!self.stderr.contains("panicked") && !self.stderr.contains("backtrace"));
    }
}

struct Dir {
    dir: tempfile::TempDir,
}

impl Dir {
    fn new() -> Self {
        Dir {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// A new keyring file; returns its path and the primary key id.
    fn keygen(&self, name: &str, alg: &str) -> (String, String) {
        let path = self.path(name);
        let path = path.to_str().unwrap().to_owned();
        let id = run(&["keygen", "--out", &path, "--alg", alg]).ok();
        (path, id)
    }
}

fn st(keys: &str) -> String {
    run(&[
        "encode",
        "--keys",
        keys,
        "--kind",
        "st",
        "--principal",
        "jdoe@example.edu",
        "--service",
        SERVICE,
        "--method",
        "Password",
        "--at",
        AT,
    ])
    .ok()
}

fn decode_at(keys: &str, ticket: &str, at: &str) -> Run {
    run(&["decode", "--keys", keys, "--at", at, ticket])
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn keygen_writes_a_private_file_and_refuses_to_overwrite() {
    let dir = Dir::new();
    for alg in ["aes256gcm", "xchacha20poly1305"] {
        let (path, id) = dir.keygen(&format!("{alg}.json"), alg);
        assert_eq!(id.len(), 4);
        assert!(id.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_eq!(mode(Path::new(&path)), 0o600);
        let list = run(&["keys", "list", &path]).json();
        assert_eq!(list["primary"], id.as_str());
        assert_eq!(list["keys"][0]["alg"], alg);
        let before = std::fs::read(&path).unwrap();
        run(&["keygen", "--out", &path]).fails(6, "refusing to overwrite");
        assert_eq!(std::fs::read(&path).unwrap(), before);
    }
    run(&[
        "keygen",
        "--out",
        &dir.path("x.json").to_string_lossy(),
        "--alg",
        "des",
    ])
    .fails(2, "des");
    run(&["keygen", "--out", "/nonexistent-dir/k.json"]).fails(6, "/nonexistent-dir/k.json");
}

#[test]
fn every_kind_encodes_and_decodes_with_every_flag() {
    let dir = Dir::new();
    let (keys, id) = dir.keygen("k.json", "aes256gcm");

    let tgt = run(&[
        "encode",
        "--keys",
        &keys,
        "--kind",
        "tgt",
        "--principal",
        "jdoe",
        "--method",
        "Password",
        "--method",
        "Duo",
        "--remember-me",
        "--at",
        AT,
    ])
    .ok();
    assert!(tgt.starts_with("TGT-"));
    let v = decode_at(&keys, &tgt, AT).json();
    assert_eq!(v["kind"], "TGT");
    assert_eq!(v["principal"], "jdoe");
    assert_eq!(v["methods"], serde_json::json!(["Password", "Duo"]));
    assert_eq!(v["remember_me"], true);
    assert_eq!(v["issued_at"], AT);
    assert_eq!(v["authenticated_at"], AT);
    assert_eq!(
        v["expires_at"], "2026-11-22T18:00:00Z",
        "TGT default lifetime is 8h"
    );
    assert_eq!(v["key_id"], id.as_str());
    assert_eq!(v["alg"], "aes256gcm");
    assert!(v.get("service").is_none());

    let st = run(&[
        "encode",
        "--keys",
        &keys,
        "--kind",
        "st",
        "--principal",
        "jdoe",
        "--service",
        "HTTPS://App.Example.EDU:443/login?target=%2Fhome#frag",
        "--renew",
        "--at",
        AT,
    ])
    .ok();
    let v = decode_at(&keys, &st, AT).json();
    assert_eq!(v["kind"], "ST");
    assert_eq!(v["service"], SERVICE, "stored in normalized form");
    assert_eq!(v["renew"], true);
    assert_eq!(v["remember_me"], false);
    assert_eq!(v["methods"], serde_json::json!([]));
    assert_eq!(
        v["expires_at"], "2026-11-22T10:00:10Z",
        "ST default lifetime is 10s"
    );

    let pt = run(&[
        "encode",
        "--keys",
        &keys,
        "--kind",
        "pt",
        "--principal",
        "jdoe",
        "--service",
        SERVICE,
        "--proxy",
        "https://p1.example.edu/cb",
        "--proxy",
        "https://p2.example.edu/cb",
        "--ttl",
        "30s",
        "--at",
        AT,
    ])
    .ok();
    let v = decode_at(&keys, &pt, AT).json();
    assert_eq!(v["kind"], "PT");
    assert_eq!(
        v["proxies"],
        serde_json::json!(["https://p1.example.edu/cb", "https://p2.example.edu/cb"])
    );
    assert_eq!(v["expires_at"], "2026-11-22T10:00:30Z");

    let pgt = run(&[
        "encode",
        "--keys",
        &keys,
        "--kind",
        "pgt",
        "--principal",
        "jdoe",
        "--pgt-url",
        "https://p1.example.edu/cb",
        "--at",
        AT,
    ])
    .ok();
    let v = decode_at(&keys, &pgt, AT).json();
    assert_eq!(v["kind"], "PGT");
    assert_eq!(v["pgt_url"], "https://p1.example.edu/cb");
    assert_eq!(v["upstream"], serde_json::json!([]));
    assert!(v.get("session_id").is_none(), "no session unless asked");
    assert_eq!(
        v["expires_at"], "2026-11-22T12:00:00Z",
        "PGT default lifetime is 2h"
    );

    // A session: a TGT opens one with a random id and ends it; a PGT of an
    // n-tier chain carries the session and the proxies upstream of it.
    let tgt = run(&[
        "encode",
        "--keys",
        &keys,
        "--kind",
        "tgt",
        "--principal",
        "jdoe",
        "--session",
        "new",
        "--at",
        AT,
    ])
    .ok();
    let v = decode_at(&keys, &tgt, AT).json();
    let session = v["session_id"].as_str().unwrap().to_owned();
    assert_eq!(session.len(), 16);
    assert!(
        session
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
    );
    assert_eq!(v["session_ends_at"], v["expires_at"]);
    let pgt = run(&[
        "encode",
        "--keys",
        &keys,
        "--kind",
        "pgt",
        "--principal",
        "jdoe",
        "--pgt-url",
        "https://p2.example.edu/cb",
        "--upstream",
        "https://p1.example.edu/cb",
        "--session",
        &session.to_uppercase(),
        "--session-end",
        "2026-11-22T18:00:00Z",
        "--at",
        AT,
    ])
    .ok();
    let v = decode_at(&keys, &pgt, AT).json();
    assert_eq!(
        v["upstream"],
        serde_json::json!(["https://p1.example.edu/cb"])
    );
    assert_eq!(v["session_id"], session.as_str());
    assert_eq!(v["session_ends_at"], "2026-11-22T18:00:00Z");

    for (ttl, expires) in [
        ("5m", "10:05:00"),
        ("8h", "18:00:00"),
        ("1d", "2026-11-23T10:00:00Z"),
    ] {
        let t = run(&[
            "encode",
            "--keys",
            &keys,
            "--kind",
            "tgt",
            "--principal",
            "a",
            "--ttl",
            ttl,
            "--at",
            AT,
        ])
        .ok();
        let got = decode_at(&keys, &t, AT).json()["expires_at"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(got.contains(expires), "{ttl}: {got}");
    }
}

#[test]
fn decode_reads_the_argument_stdin_dash_and_the_environment() {
    let dir = Dir::new();
    let (keys, _) = dir.keygen("k.json", "aes256gcm");
    let ticket = st(&keys);
    let principal = |r: Run| r.json()["principal"].as_str().unwrap().to_owned();

    assert_eq!(principal(decode_at(&keys, &ticket, AT)), "jdoe@example.edu");
    let stdin = run_with(
        ticketctl()
            .args(["decode", "--keys", &keys, "--at", AT])
            .write_stdin(format!("{ticket}\n")),
    );
    assert_eq!(principal(stdin), "jdoe@example.edu");
    let dash = run_with(
        ticketctl()
            .args(["decode", "--keys", &keys, "--at", AT, "-"])
            .write_stdin(ticket.clone()),
    );
    assert_eq!(principal(dash), "jdoe@example.edu");
    let env = run_with(
        ticketctl()
            .env("TICKETCTL_KEYS", &keys)
            .args(["decode", "--at", AT, &ticket]),
    );
    assert_eq!(principal(env), "jdoe@example.edu");
    let env_encode = run_with(ticketctl().env("TICKETCTL_KEYS", &keys).args([
        "encode",
        "--kind",
        "tgt",
        "--principal",
        "env-user",
    ]));
    let t = env_encode.ok();
    assert_eq!(principal(run(&["decode", "--keys", &keys, &t])), "env-user");
    run(&["decode", &ticket]).fails(2, "--keys");
}

#[test]
fn expiry_at_and_leeway() {
    let dir = Dir::new();
    let (keys, _) = dir.keygen("k.json", "aes256gcm");
    let ticket = st(&keys);
    decode_at(&keys, &ticket, "2026-11-22T10:00:09Z").ok();
    decode_at(&keys, &ticket, "2026-11-22T10:00:10Z").fails(3, "expired at 2026-11-22T10:00:10Z");
    decode_at(&keys, &ticket, "2026-11-22T10:00:11Z").fails(3, "expired at");
    // Now is long after 2026-11-22T10:00:10Z.
    run(&["decode", "--keys", &keys, &ticket]).fails(3, "expired at");
    let leeway = |l: &str, at: &str| {
        run(&[
            "decode", "--keys", &keys, "--at", at, "--leeway", l, &ticket,
        ])
    };
    leeway("5s", "2026-11-22T10:00:14Z").ok();
    leeway("5s", "2026-11-22T10:00:15Z").fails(3, "expired at");
    leeway("1m", "2026-11-22T10:01:09Z").ok();
    decode_at(&keys, &ticket, "yesterday").fails(2, "RFC 3339");
    leeway("soon", AT).fails(2, "duration");
}

#[test]
fn service_must_match() {
    let dir = Dir::new();
    let (keys, _) = dir.keygen("k.json", "aes256gcm");
    let ticket = st(&keys);
    let with = |service: &str| {
        run(&[
            "decode",
            "--keys",
            &keys,
            "--at",
            AT,
            "--service",
            service,
            &ticket,
        ])
    };
    with(SERVICE).ok();
    with("https://APP.example.edu:443/login?target=%2Fhome").ok();
    with("https://app.example.edu/login?target=%2Fadmin").fails(4, "service does not match");
    with("https://evil.example.net/").fails(4, "service does not match");
}

#[test]
fn rejected_tickets_exit_1_with_the_reason() {
    let dir = Dir::new();
    let (keys, _) = dir.keygen("k.json", "aes256gcm");
    let (other, _) = dir.keygen("other.json", "aes256gcm");
    let ticket = st(&keys);

    let mut tampered = ticket.clone().into_bytes();
    let i = tampered.len() - 5;
    tampered[i] = if tampered[i] == b'a' { b'b' } else { b'a' };
    let tampered = String::from_utf8(tampered).unwrap();
    decode_at(&keys, &tampered, AT).fails(1, "");
    decode_at(&other, &ticket, AT).fails(1, "unknown key id");
    decode_at(&keys, &ticket.replacen("ST-", "PT-", 1), AT).fails(1, "authentication failed");
    decode_at(&keys, "garbage", AT).fails(1, "malformed ticket");
    decode_at(&keys, "ST-abc_def", AT).fails(1, "malformed ticket");
    decode_at(&keys, &format!("ST-{}", "A".repeat(300)), AT).fails(1, "too long");
    let empty = run_with(
        ticketctl()
            .args(["decode", "--keys", &keys, "--at", AT])
            .write_stdin(""),
    );
    empty.fails(1, "empty input");
    let binary = run_with(
        ticketctl()
            .args(["decode", "--keys", &keys, "--at", AT])
            .write_stdin(vec![0xff, 0xfe, 0x00, 0x41]),
    );
    binary.fails(1, "malformed ticket");
}

#[test]
fn key_file_problems_exit_6() {
    let dir = Dir::new();
    let (keys, _) = dir.keygen("k.json", "aes256gcm");
    let ticket = st(&keys);

    std::fs::set_permissions(&keys, std::fs::Permissions::from_mode(0o644)).unwrap();
    decode_at(&keys, &ticket, AT).fails(6, "chmod 600");
    run(&["keys", "list", &keys]).fails(6, "group or others");
    std::fs::set_permissions(&keys, std::fs::Permissions::from_mode(0o600)).unwrap();

    let missing = dir.path("missing.json");
    let missing = missing.to_str().unwrap();
    decode_at(missing, &ticket, AT).fails(6, missing);

    let broken = dir.path("broken.json");
    std::fs::write(&broken, "{\"version\": 1, ").unwrap();
    std::fs::set_permissions(&broken, std::fs::Permissions::from_mode(0o600)).unwrap();
    decode_at(broken.to_str().unwrap(), &ticket, AT).fails(6, "not valid JSON");

    // A key file another user owns: whoever owns it can swap the keys.
    #[cfg(unix)]
    {
        let user = rustix::process::geteuid().as_raw();
        let foreign = if user == 0 {
            let (path, _) = dir.keygen("nobodys.json", "aes256gcm");
            std::os::unix::fs::chown(&path, Some(65534), None).unwrap();
            path
        } else {
            "/etc/passwd".to_owned()
        };
        let owner = if user == 0 { 65534 } else { 0 };
        decode_at(&foreign, &ticket, AT).fails(6, &format!("owned by uid {owner}"));
    }

    let secret_leak = dir.path("leak.json");
    std::fs::write(
        &secret_leak,
        r#"{"version":1,"primary":"abcd","keys":[{"id":"abcd","alg":"aes256gcm","secret":"c2VjcmV0c2VjcmV0"}]}"#,
    )
    .unwrap();
    std::fs::set_permissions(&secret_leak, std::fs::Permissions::from_mode(0o600)).unwrap();
    let r = decode_at(secret_leak.to_str().unwrap(), &ticket, AT);
    assert!(!r.stderr.contains("c2VjcmV0"));
    r.fails(6, "not 32 bytes");
}

#[test]
fn encode_failures() {
    let dir = Dir::new();
    let (keys, _) = dir.keygen("k.json", "aes256gcm");
    let encode = |extra: &[&str]| {
        let mut args = vec!["encode", "--keys", keys.as_str()];
        args.extend_from_slice(extra);
        run(&args)
    };
    // Usage errors: exit 2.
    encode(&["--kind", "st", "--principal", "a"]).fails(2, "--service");
    encode(&["--kind", "pt", "--principal", "a", "--service", SERVICE]).fails(2, "--proxy");
    encode(&["--kind", "pgt", "--principal", "a"]).fails(2, "--pgt-url");
    encode(&["--kind", "tgt", "--principal", "a", "--service", SERVICE]).fails(2, "--service");
    encode(&["--kind", "tgt", "--principal", "a", "--renew"]).fails(2, "--renew");
    encode(&[
        "--kind",
        "st",
        "--principal",
        "a",
        "--service",
        SERVICE,
        "--proxy",
        "https://p/",
    ])
    .fails(2, "--proxy");
    encode(&["--kind", "tgt", "--principal", "a", "--ttl", "0s"]).fails(2, "positive");
    encode(&["--kind", "tgt", "--principal", "a", "--ttl", "5 minutes"]).fails(2, "duration");
    encode(&["--kind", "xt", "--principal", "a"]).fails(2, "xt");
    encode(&[
        "--kind",
        "tgt",
        "--principal",
        "a",
        "--upstream",
        "https://p/",
    ])
    .fails(2, "--upstream");
    encode(&[
        "--kind",
        "tgt",
        "--principal",
        "a",
        "--session",
        "new",
        "--session-end",
        AT,
    ])
    .fails(2, "--session-end");
    encode(&[
        "--kind",
        "st",
        "--principal",
        "a",
        "--service",
        SERVICE,
        "--session-end",
        AT,
    ])
    .fails(2, "--session-end needs --session");
    encode(&[
        "--kind",
        "st",
        "--principal",
        "a",
        "--service",
        SERVICE,
        "--session",
        "new",
    ])
    .fails(2, "needs --session-end");
    encode(&[
        "--kind",
        "tgt",
        "--principal",
        "a",
        "--session",
        "0123456789abcdeg",
    ])
    .fails(2, "invalid session id");
    encode(&["--kind", "tgt", "--principal", "a", "--session", "0123"])
        .fails(2, "invalid session id");
    // A ticket that would outlive its session: exit 5.
    encode(&[
        "--kind",
        "st",
        "--principal",
        "a",
        "--service",
        SERVICE,
        "--session",
        "new",
        "--session-end",
        AT,
        "--at",
        AT,
    ])
    .fails(5, "outlive its session");
    encode(&["--kind", "tgt"]).fails(2, "--principal");
    // Claims that cannot be encoded: exit 5.
    encode(&["--kind", "st", "--principal", "a", "--service", "notaurl"])
        .fails(5, "service is not an http or https URL");
    encode(&["--kind", "tgt", "--principal", ""]).fails(5, "principal");
    encode(&["--kind", "pgt", "--principal", "a", "--pgt-url", "relative"]).fails(5, "URL");
    let random = common::incompressible_text(250);
    encode(&["--kind", "tgt", "--principal", &random]).fails(5, "too long");
}

#[test]
fn every_oauth_kind_encodes_and_decodes_with_every_flag() {
    let dir = Dir::new();
    let (keys, id) = dir.keygen("k.json", "aes256gcm");
    let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

    let oc = run(&[
        "encode",
        "--keys",
        &keys,
        "--kind",
        "oc",
        "--principal",
        "jdoe",
        "--method",
        "Password",
        "--client",
        "moodle",
        "--scope",
        "email openid profile email",
        "--grant",
        "0123456789ABCDEF",
        "--id-token-claim",
        "name",
        "--id-token-claim",
        "email",
        "--userinfo-claim",
        "picture",
        "--redirect-uri",
        "HTTPS://Moodle.Example.EDU:443/auth/oidc/",
        "--nonce",
        "n-0S6_WzA2Mj",
        "--code-challenge",
        challenge,
        "--at",
        AT,
    ])
    .ok();
    assert!(oc.starts_with("OC-"), "{oc}");
    assert_eq!(run(&["inspect", &oc]).json()["kind"], "OC");
    let v = decode_at(&keys, &oc, AT).json();
    assert_eq!(v["kind"], "OC");
    assert_eq!(v["principal"], "jdoe");
    assert_eq!(v["methods"], serde_json::json!(["Password"]));
    assert_eq!(v["client_id"], "moodle");
    assert_eq!(
        v["scope"], "openid profile email",
        "a set, in canonical order"
    );
    assert_eq!(v["grant_id"], "0123456789abcdef");
    assert_eq!(
        v["claims"],
        serde_json::json!({"id_token": ["email", "name"], "userinfo": ["picture"]})
    );
    assert_eq!(
        v["redirect_uri"], "https://moodle.example.edu/auth/oidc/",
        "stored in normalized form"
    );
    assert_eq!(v["nonce"], "n-0S6_WzA2Mj");
    assert_eq!(v["code_challenge"], challenge);
    assert_eq!(v["key_id"], id.as_str());
    assert_eq!(
        v["expires_at"], "2026-11-22T10:00:30Z",
        "OC default lifetime is 30s"
    );
    assert!(v.get("service").is_none() && v.get("session_id").is_none());

    // A code without nonce or challenge shows neither; a nonce that is not
    // base64url comes back as given.
    let plain = |nonce: &[&str]| {
        let mut args = vec![
            "encode",
            "--keys",
            &keys,
            "--kind",
            "oc",
            "--principal",
            "jdoe",
            "--client",
            "c",
            "--redirect-uri",
            "https://rp.example.edu/cb",
            "--at",
            AT,
        ];
        args.extend_from_slice(nonce);
        decode_at(&keys, &run(&args).ok(), AT).json()
    };
    let v = plain(&[]);
    assert!(v.get("nonce").is_none() && v.get("code_challenge").is_none());
    assert_eq!(v["scope"], "");
    assert_eq!(
        v["claims"],
        serde_json::json!({"id_token": [], "userinfo": []})
    );
    assert_eq!(
        plain(&["--nonce", "a nonce, not base64"])["nonce"],
        "a nonce, not base64"
    );

    // Tokens: the same authorization, no redirect URI, nonce or challenge;
    // without --grant a fresh random grant id each time.
    let token = |kind: &str, extra: &[&str]| {
        let mut args = vec![
            "encode",
            "--keys",
            &keys,
            "--kind",
            kind,
            "--principal",
            "jdoe",
            "--client",
            "moodle",
            "--at",
            AT,
        ];
        args.extend_from_slice(extra);
        let ticket = run(&args).ok();
        assert!(
            ticket.starts_with(&format!("{}-", kind.to_uppercase())),
            "{ticket}"
        );
        decode_at(&keys, &ticket, AT).json()
    };
    let at = token(
        "at",
        &["--scope", "openid urn:x:read", "--userinfo-claim", "email"],
    );
    assert_eq!(at["kind"], "AT");
    assert_eq!(at["client_id"], "moodle");
    assert_eq!(at["scope"], "openid urn:x:read");
    assert_eq!(
        at["claims"],
        serde_json::json!({"id_token": [], "userinfo": ["email"]})
    );
    assert_eq!(
        at["expires_at"], "2026-11-22T11:00:00Z",
        "AT default lifetime is 1h"
    );
    for field in ["redirect_uri", "nonce", "code_challenge"] {
        assert!(at.get(field).is_none(), "{field}");
    }
    let grant = at["grant_id"].as_str().unwrap();
    assert_eq!(grant.len(), 16);
    assert!(
        grant
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
    );
    assert_ne!(token("at", &[])["grant_id"], grant, "a fresh grant id");

    let rt = token("rt", &["--grant", "fedcba9876543210"]);
    assert_eq!(rt["kind"], "RT");
    assert_eq!(rt["scope"], "", "no scope: the empty set");
    assert_eq!(rt["grant_id"], "fedcba9876543210");
    assert_eq!(
        rt["expires_at"], "2026-11-22T18:00:00Z",
        "RT default lifetime is 8h"
    );

    // Sessions and --ttl apply as to the CAS kinds.
    for kind in ["oc", "at", "rt"] {
        let mut args = vec![
            "--session",
            "0123456789abcdef",
            "--session-end",
            "2026-11-22T18:00:00Z",
            "--ttl",
            "5m",
        ];
        if kind == "oc" {
            args.extend_from_slice(&["--redirect-uri", "https://rp.example.edu/cb"]);
        }
        let v = token(kind, &args);
        assert_eq!(v["session_id"], "0123456789abcdef", "{kind}");
        assert_eq!(v["session_ends_at"], "2026-11-22T18:00:00Z", "{kind}");
        assert_eq!(v["expires_at"], "2026-11-22T10:05:00Z", "{kind}");
    }
}

#[test]
fn oauth_encode_failures() {
    let dir = Dir::new();
    let (keys, _) = dir.keygen("k.json", "aes256gcm");
    let encode = |kind: &str, extra: &[&str]| {
        let mut args = vec![
            "encode",
            "--keys",
            keys.as_str(),
            "--kind",
            kind,
            "--principal",
            "a",
        ];
        args.extend_from_slice(extra);
        run(&args)
    };
    const CB: &str = "https://rp.example.edu/cb";
    // Usage errors: exit 2.
    encode("oc", &["--redirect-uri", CB]).fails(2, "--kind oc needs --client ID");
    encode("at", &[]).fails(2, "--kind at needs --client ID");
    encode("rt", &[]).fails(2, "--kind rt needs --client ID");
    encode("oc", &["--client", "c"]).fails(2, "--kind oc needs --redirect-uri URL");
    encode("at", &["--client", "c", "--redirect-uri", CB])
        .fails(2, "--redirect-uri does not apply to --kind at");
    encode("rt", &["--client", "c", "--nonce", "n"])
        .fails(2, "--nonce does not apply to --kind rt");
    encode("at", &["--client", "c", "--code-challenge", "x"])
        .fails(2, "--code-challenge does not apply to --kind at");
    encode("st", &["--service", SERVICE, "--client", "c"])
        .fails(2, "--client does not apply to --kind st");
    encode("tgt", &["--scope", "openid"]).fails(2, "--scope does not apply to --kind tgt");
    encode("pgt", &["--pgt-url", CB, "--grant", "0123456789abcdef"])
        .fails(2, "--grant does not apply to --kind pgt");
    encode("pt", &["--id-token-claim", "email"])
        .fails(2, "--id-token-claim does not apply to --kind pt");
    encode("tgt", &["--userinfo-claim", "email"])
        .fails(2, "--userinfo-claim does not apply to --kind tgt");
    encode("at", &["--client", "c", "--service", SERVICE])
        .fails(2, "--service does not apply to --kind at");
    encode("at", &["--client", "c", "--session", "new"]).fails(2, "needs --session-end");
    for bad in ["0123", "0123456789abcdeg", "0123456789abcdef0"] {
        encode("at", &["--client", "c", "--grant", bad])
            .fails(2, &format!("invalid grant id '{bad}': 16 hex digits"));
    }
    // Values that cannot be encoded: exit 5.
    encode("at", &["--client", "c", "--scope", "a\"b"])
        .fails(5, "cannot encode: scope is not an RFC 6749 scope token");
    encode("rt", &["--client", "c", "--scope", "openid  email"]).fails(5, "scope");
    encode("at", &["--client", ""]).fails(5, "cannot encode: client id");
    encode("at", &["--client", "c", "--id-token-claim", ""]).fails(5, "cannot encode: claim name");
    encode("oc", &["--client", "c", "--redirect-uri", "relative"]).fails(
        5,
        "cannot encode: --redirect-uri: service is not an http or https URL",
    );
    encode(
        "oc",
        &["--client", "c", "--redirect-uri", CB, "--nonce", ""],
    )
    .fails(5, "cannot encode: nonce");
    for bad in [
        "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM=",
        "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-c",
        "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw+cM",
    ] {
        encode(
            "oc",
            &[
                "--client",
                "c",
                "--redirect-uri",
                CB,
                "--code-challenge",
                bad,
            ],
        )
        .fails(5, "cannot encode: code challenge is not S256");
    }
    // A token that would outlive its session.
    encode(
        "at",
        &[
            "--client",
            "c",
            "--session",
            "new",
            "--session-end",
            "2026-11-22T10:30:00Z",
            "--at",
            AT,
        ],
    )
    .fails(5, "outlive its session");
    // A code over its 384-character cap.
    let random = common::incompressible_text(250);
    let nonce = format!("{} ", common::incompressible_text(127));
    run(&[
        "encode",
        "--keys",
        &keys,
        "--kind",
        "oc",
        "--principal",
        &random,
        "--client",
        "c",
        "--redirect-uri",
        CB,
        "--nonce",
        &nonce,
    ])
    .fails(5, "the cap is 384");
}

/// URLs a browser reads differently from an RFC 3986 parser, userinfo, and
/// schemes that are not the web's: no ticket names them, as a service or as
/// a callback.
#[test]
fn hostile_urls_get_no_ticket() {
    let dir = Dir::new();
    let (keys, _) = dir.keygen("k.json", "aes256gcm");
    for url in [
        "https://EVIL.TEST\\@GOOD.EXAMPLE:443/X",
        "https://evil.test\\.good.example/",
        "https://good.example@evil.test/",
        "https://@good.example/",
        "https://@/",
        "javascript://%0aalert(1)",
        "javascript:alert(1)",
        "data://text/html;base64,PHNjcmlwdD4=",
        "file://localhost/etc/passwd",
        "myapp://callback",
        "https:evil.test/",
        "https:///evil.test/",
        "https://good.example:99999/",
        "https://[zz]/",
        "https://a..b/",
        "https://x/a<script>",
        "https://x/?a\"b",
    ] {
        let encode = |flag: &str, kind: &str| {
            run(&[
                "encode",
                "--keys",
                &keys,
                "--kind",
                kind,
                "--principal",
                "a",
                flag,
                url,
            ])
        };
        encode("--service", "st").fails(5, "service is not an http or https URL");
        encode("--pgt-url", "pgt").fails(5, "callback URL is not an http or https URL");
    }
    // What a browser reads as the same URL is stored as the browser reads it.
    for (given, stored) in [
        (
            "HTTPS://App.Example.EDU:443/a/../login?target=%2Fhome#top",
            SERVICE,
        ),
        ("https://0x7f.1:0443/%2e/cas", "https://127.0.0.1/cas"),
    ] {
        let ticket = run(&[
            "encode",
            "--keys",
            &keys,
            "--kind",
            "st",
            "--principal",
            "a",
            "--service",
            given,
            "--at",
            AT,
        ])
        .ok();
        assert_eq!(
            decode_at(&keys, ticket.trim(), AT).json()["service"],
            stored
        );
    }
}

#[test]
fn inspect_needs_no_keys() {
    let dir = Dir::new();
    let (keys, id) = dir.keygen("k.json", "xchacha20poly1305");
    let ticket = st(&keys);
    let v = run(&["inspect", &ticket]).json();
    assert_eq!(v["kind"], "ST");
    assert_eq!(v["version"], 2);
    assert_eq!(v["key_id"], id.as_str());
    assert!(
        v.get("alg").is_none(),
        "the algorithm is the key's, not in the ticket"
    );
    assert_eq!(v["length"], ticket.len());
    let piped = run_with(ticketctl().arg("inspect").write_stdin(ticket.clone()));
    assert_eq!(piped.json()["key_id"], id.as_str());
    run(&["inspect", "nonsense"]).fails(1, "malformed");
}

#[test]
fn usage_errors_and_help() {
    run(&[]).fails(2, "");
    run(&["frobnicate"]).fails(2, "frobnicate");
    run(&["decode", "--keys"]).fails(2, "--keys");
    let help = run(&["--help"]).ok();
    assert!(help.contains("Exit codes"));
    let encode_help = run(&["encode", "--help"]).ok();
    for default in ["10s", "8h", "2h", "oc 30s", "at 1h", "rt 8h"] {
        assert!(encode_help.contains(default), "{default}");
    }
    assert!(run(&["--version"]).ok().starts_with("ticketctl "));
}

#[test]
fn rotation_walk_through() {
    let dir = Dir::new();
    let (keys, old) = dir.keygen("k.json", "aes256gcm");
    let secret_a = std::fs::read_to_string(&keys).unwrap();
    let tgt = |principal: &str| {
        run(&[
            "encode",
            "--keys",
            &keys,
            "--kind",
            "tgt",
            "--principal",
            principal,
            "--at",
            AT,
        ])
        .ok()
    };
    let under_old = tgt("before");

    let new = run(&["keys", "add", &keys, "--alg", "xchacha20poly1305"]).ok();
    assert_ne!(new, old);
    assert_eq!(mode(Path::new(&keys)), 0o600);
    // Added, not yet primary: still seals with the old key.
    assert_eq!(
        decode_at(&keys, &tgt("added"), AT).json()["key_id"],
        old.as_str()
    );
    let list = run(&["keys", "list", &keys]).json();
    assert_eq!(list["keys"].as_array().unwrap().len(), 2);
    let listing = list.to_string();
    let secret = common::first_secret(&secret_a);
    assert!(!listing.contains(&secret), "list must never show secrets");

    run(&["keys", "retire", &keys, &old]).fails(6, "promote another key");
    assert_eq!(run(&["keys", "promote", &keys, &new]).ok(), new);
    let under_new = tgt("after");
    let v = decode_at(&keys, &under_new, AT).json();
    assert_eq!(
        (v["key_id"].as_str().unwrap(), v["alg"].as_str().unwrap()),
        (new.as_str(), "xchacha20poly1305")
    );
    assert_eq!(
        decode_at(&keys, &under_old, AT).json()["principal"],
        "before"
    );

    assert_eq!(run(&["keys", "retire", &keys, &old]).ok(), old);
    decode_at(&keys, &under_old, AT).fails(1, &format!("unknown key id {old}"));
    assert_eq!(
        decode_at(&keys, &under_new, AT).json()["principal"],
        "after"
    );
    run(&["keys", "retire", &keys, &old]).fails(6, "no key with id");
    run(&["keys", "promote", &keys, "xyz"]).fails(2, "key id");
    assert_eq!(mode(Path::new(&keys)), 0o600);
}
