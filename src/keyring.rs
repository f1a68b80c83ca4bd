//! Keys, key ids, algorithms, and the keyring file (FORMAT.md §10).
//!
//! A keyring holds one or more 256-bit master secrets, each with a short id
//! and an algorithm. One key is primary: it seals new tickets. Every key
//! opens tickets. Rotation is add (decodes only) → promote (encodes) →
//! retire (gone), so a key can be everywhere before it is used and stay
//! until its last ticket has expired.
//!
//! Secrets live in zeroizing buffers, never appear in `Debug` or errors, and
//! the key file is written with mode 0600 and refused when group or others
//! can read it, unless the caller opts out.

use core::fmt;
use core::str::FromStr;
use std::fs::{self, File, OpenOptions};
use std::io::{Read, Write};
use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use rand::TryRng as _;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::error::KeyringError;

/// Length of every master secret, in bytes.
pub const SECRET_BYTES: usize = 32;
/// Version of the key file layout.
const FILE_VERSION: u32 = 1;
/// Largest key file read (a keyring of a few hundred keys).
const MAX_FILE_BYTES: u64 = 1 << 20;

/// A short key id, carried in every ticket's header: two bytes, written as
/// four lowercase hex digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyId([u8; 2]);

impl KeyId {
    /// The id with these two bytes.
    pub const fn from_bytes(bytes: [u8; 2]) -> Self {
        KeyId(bytes)
    }

    /// The two bytes of the id, as in the header.
    pub const fn to_bytes(self) -> [u8; 2] {
        self.0
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02x}{:02x}", self.0[0], self.0[1])
    }
}

impl fmt::Debug for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyId({self})")
    }
}

impl FromStr for KeyId {
    type Err = KeyringError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.len() != 4 || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(KeyringError::BadKeyId);
        }
        u16::from_str_radix(s, 16)
            .map(|v| KeyId(v.to_be_bytes()))
            .map_err(|_| KeyringError::BadKeyId)
    }
}

/// The AEAD a key seals with. Both take a 128-bit random nonce per ticket
/// (FORMAT.md §5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Alg {
    /// AES-256-GCM with a per-ticket derived key (the XAES-256-GCM
    /// construction). Fast where AES-NI is present. The default.
    Aes256Gcm,
    /// XChaCha20-Poly1305. Constant-time without AES hardware.
    XChaCha20Poly1305,
}

impl Alg {
    /// The name used in key files and on the command line.
    pub const fn name(self) -> &'static str {
        match self {
            Alg::Aes256Gcm => "aes256gcm",
            Alg::XChaCha20Poly1305 => "xchacha20poly1305",
        }
    }

    /// The algorithm named `name`.
    pub fn from_name(name: &str) -> Option<Alg> {
        [Alg::Aes256Gcm, Alg::XChaCha20Poly1305]
            .into_iter()
            .find(|a| a.name() == name)
    }
}

impl fmt::Display for Alg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A 256-bit master secret. Zeroized on drop; never printed. It lives in
/// its own heap allocation, so moving a key (or growing a keyring's list of
/// keys) moves a pointer and never leaves a copy of the secret behind.
pub struct SecretKey(Box<Zeroizing<[u8; SECRET_BYTES]>>);

impl SecretKey {
    /// Wraps secret bytes. The caller should zeroize its own copy.
    pub fn from_bytes(bytes: [u8; SECRET_BYTES]) -> Self {
        SecretKey(Box::new(Zeroizing::new(bytes)))
    }

    /// A fresh secret from the operating system's random source.
    pub fn generate() -> Result<Self, KeyringError> {
        let mut secret = SecretKey::zeroed();
        fill_from_os(secret.0.as_mut_slice())?;
        Ok(secret)
    }

    /// All zeros, in its final heap place, to be filled there.
    fn zeroed() -> Self {
        SecretKey(Box::new(Zeroizing::new([0; SECRET_BYTES])))
    }

    pub(crate) fn expose(&self) -> &[u8; SECRET_BYTES] {
        &self.0
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKey(***)")
    }
}

/// One key of a keyring.
#[derive(Debug)]
pub struct Key {
    id: KeyId,
    alg: Alg,
    secret: SecretKey,
}

impl Key {
    /// A key from its parts.
    pub fn new(id: KeyId, alg: Alg, secret: SecretKey) -> Self {
        Key { id, alg, secret }
    }

    /// The key id.
    pub fn id(&self) -> KeyId {
        self.id
    }

    /// The algorithm.
    pub fn alg(&self) -> Alg {
        self.alg
    }

    pub(crate) fn secret(&self) -> &SecretKey {
        &self.secret
    }
}

/// Keys by id, one of them primary.
#[derive(Debug)]
pub struct Keyring {
    keys: Vec<Key>,
    primary: KeyId,
}

/// Whether [`Keyring::load_with`] accepts a key file that another user owns
/// or that group or others can read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Permissions {
    /// Refuse it (the default, as ssh does).
    #[default]
    Strict,
    /// Accept it (for files on filesystems without Unix owners and modes).
    AllowInsecure,
}

impl Keyring {
    /// A keyring with one freshly generated primary key.
    pub fn generate(alg: Alg) -> Result<Self, KeyringError> {
        let id = random_id(&[])?;
        Keyring::new(vec![Key::new(id, alg, SecretKey::generate()?)], id)
    }

    /// A keyring of `keys` whose primary is `primary`.
    pub fn new(keys: Vec<Key>, primary: KeyId) -> Result<Self, KeyringError> {
        for (i, key) in keys.iter().enumerate() {
            if keys.iter().skip(i + 1).any(|k| k.id == key.id) {
                return Err(KeyringError::DuplicateKeyId(key.id));
            }
        }
        if !keys.iter().any(|k| k.id == primary) {
            return Err(KeyringError::NoPrimary);
        }
        Ok(Keyring { keys, primary })
    }

    /// The id of the key that seals new tickets.
    pub fn primary(&self) -> KeyId {
        self.primary
    }

    /// All keys, in file order.
    pub fn keys(&self) -> &[Key] {
        &self.keys
    }

    /// The key with id `id`.
    pub fn get(&self, id: KeyId) -> Option<&Key> {
        self.keys.iter().find(|k| k.id == id)
    }

    /// Adds a freshly generated key that opens tickets but does not seal
    /// them until it is promoted. Returns its id, distinct from every id in the ring.
    pub fn add_generated(&mut self, alg: Alg) -> Result<KeyId, KeyringError> {
        let taken: Vec<KeyId> = self.keys.iter().map(Key::id).collect();
        let id = random_id(&taken)?;
        self.add(Key::new(id, alg, SecretKey::generate()?))?;
        Ok(id)
    }

    /// Adds a key (not primary).
    pub fn add(&mut self, key: Key) -> Result<(), KeyringError> {
        if self.get(key.id).is_some() {
            return Err(KeyringError::DuplicateKeyId(key.id));
        }
        self.keys.push(key);
        Ok(())
    }

    /// Makes `id` the key that seals new tickets.
    pub fn promote(&mut self, id: KeyId) -> Result<(), KeyringError> {
        self.get(id).ok_or(KeyringError::NoSuchKey(id))?;
        self.primary = id;
        Ok(())
    }

    /// Removes `id`: its tickets stop validating. The primary cannot be retired.
    pub fn retire(&mut self, id: KeyId) -> Result<(), KeyringError> {
        if id == self.primary {
            return Err(KeyringError::RetirePrimary(id));
        }
        let before = self.keys.len();
        self.keys.retain(|k| k.id != id);
        if self.keys.len() == before {
            return Err(KeyringError::NoSuchKey(id));
        }
        Ok(())
    }

    /// Loads a key file, refusing one that another user owns or that group
    /// or others can access (as ssh refuses such a private key).
    pub fn load(path: &Path) -> Result<Self, KeyringError> {
        Keyring::load_with(path, Permissions::Strict)
    }

    /// Loads a key file with the given permission policy.
    pub fn load_with(path: &Path, permissions: Permissions) -> Result<Self, KeyringError> {
        let file = File::open(path).map_err(io)?;
        let metadata = file.metadata().map_err(io)?;
        if permissions == Permissions::Strict {
            check_private(&metadata)?;
        }
        // Room for the largest file accepted, so that reading never grows
        // the buffer (a grown buffer would free a copy without zeroizing it).
        let mut json = Zeroizing::new(Vec::with_capacity(MAX_FILE_BYTES as usize + 1));
        file.take(MAX_FILE_BYTES + 1)
            .read_to_end(&mut json)
            .map_err(io)?;
        if json.len() as u64 > MAX_FILE_BYTES {
            return Err(KeyringError::Format("file too large"));
        }
        Keyring::from_json(&json)
    }

    /// Parses the key file format from bytes.
    pub fn from_json(json: &[u8]) -> Result<Self, KeyringError> {
        // serde_json unescapes a string with `\` in a scratch buffer it
        // never zeroizes: a secret written `\u0041…` or `…\/…` would leave
        // a copy behind. No key file needs an escape, so none is read.
        if json.contains(&b'\\') {
            return Err(KeyringError::Format(NO_ESCAPES));
        }
        let file: KeyFile = serde_json::from_slice(json).map_err(|e| match e.classify() {
            serde_json::error::Category::Data => KeyringError::Format(
                "expected {\"version\":1,\"primary\":ID,\"keys\":[{\"id\",\"alg\",\"secret\"}]}",
            ),
            _ => KeyringError::Syntax {
                line: e.line(),
                column: e.column(),
            },
        })?;
        if file.version != FILE_VERSION {
            return Err(KeyringError::Format("unsupported key file version"));
        }
        let mut keys = Vec::with_capacity(file.keys.len());
        for entry in &file.keys {
            let id: KeyId = entry.id.parse()?;
            let alg = Alg::from_name(&entry.alg).ok_or(KeyringError::Format("unknown alg"))?;
            // Decoded straight into its final place.
            let mut secret = SecretKey::zeroed();
            match BASE64.decode_slice(entry.secret.as_bytes(), secret.0.as_mut_slice()) {
                Ok(SECRET_BYTES) => {}
                _ => return Err(KeyringError::BadSecret { key_id: id }),
            }
            keys.push(Key::new(id, alg, secret));
        }
        Keyring::new(keys, file.primary.parse()?)
    }

    /// The key file format, in a zeroizing string.
    pub fn to_json(&self) -> Zeroizing<String> {
        let file = KeyFile {
            version: FILE_VERSION,
            primary: self.primary.to_string(),
            keys: self
                .keys
                .iter()
                .map(|k| KeyEntry {
                    id: k.id.to_string(),
                    alg: k.alg.name().to_owned(),
                    secret: Zeroizing::new(BASE64.encode(k.secret.expose())),
                })
                .collect(),
        };
        // Measure first, then write into a buffer of exactly that size: a
        // buffer that grew would free copies of the secrets unzeroized.
        let mut counter = Counter(0);
        // Serializing strings and integers cannot fail.
        let _ = serde_json::to_writer_pretty(&mut counter, &file);
        let mut json = Zeroizing::new(Vec::with_capacity(counter.0 + 1));
        let _ = serde_json::to_writer_pretty(&mut *json, &file);
        json.push(b'\n');
        // The bytes are JSON, hence UTF-8; `from_utf8` keeps the buffer.
        Zeroizing::new(String::from_utf8(std::mem::take(&mut *json)).unwrap_or_default())
    }

    /// Writes a new key file with mode 0600; fails if `path` exists.
    pub fn save_new(&self, path: &Path) -> Result<(), KeyringError> {
        write_private_file(path, self.to_json().as_bytes(), false)
    }

    /// Replaces the key file at `path` atomically (write a 0600 temporary
    /// file beside it, then rename it over the old one).
    pub fn save(&self, path: &Path) -> Result<(), KeyringError> {
        write_private_file(path, self.to_json().as_bytes(), true)
    }
}

/// Writes `contents` to a file only this user may read (mode 0600), as a
/// key file is written: with `replace`, atomically over the file at `path`
/// (a temporary file beside it, renamed over it); without, as a new file
/// ([`KeyringError::AlreadyExists`] if `path` exists). For the other
/// secrets a server writes (an OpenID provider's signing keys).
pub fn write_private_file(path: &Path, contents: &[u8], replace: bool) -> Result<(), KeyringError> {
    if !replace {
        let mut file = private_options().create_new(true).open(path).map_err(|e| {
            if e.kind() == std::io::ErrorKind::AlreadyExists {
                KeyringError::AlreadyExists
            } else {
                io(e)
            }
        })?;
        return write_all(&mut file, contents);
    }
    let name = path
        .file_name()
        .ok_or(KeyringError::Io(std::io::ErrorKind::InvalidInput))?;
    let mut tmp_name = name.to_os_string();
    tmp_name.push(format!(".tmp{}", std::process::id()));
    let tmp = path.with_file_name(tmp_name);
    let result = private_options()
        .create_new(true)
        .open(&tmp)
        .map_err(io)
        .and_then(|mut file| write_all(&mut file, contents))
        .and_then(|()| fs::rename(&tmp, path).map_err(io));
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

const NO_ESCAPES: &str = "JSON escapes (\\) are not allowed in a key file";

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyFile {
    version: u32,
    primary: String,
    keys: Vec<KeyEntry>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyEntry {
    id: String,
    alg: String,
    secret: Zeroizing<String>,
}

/// A writer that only counts bytes.
struct Counter(usize);

impl Write for Counter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 += buf.len();
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn io(e: std::io::Error) -> KeyringError {
    KeyringError::Io(e.kind())
}

fn write_all(file: &mut File, contents: &[u8]) -> Result<(), KeyringError> {
    file.write_all(contents).map_err(io)?;
    file.sync_all().map_err(io)
}

/// Fills `buf` from the operating system's random source (`getrandom`), the
/// one source of every secret, nonce, id and IOU of the crate.
///
/// Not a user-space generator: a forked child or a restored VM snapshot would
/// replay a user-space generator's state and repeat values; the kernel's
/// generator is reseeded on both (Linux 5.18+ for VM generation changes).
pub(crate) fn fill_from_os(buf: &mut [u8]) -> Result<(), KeyringError> {
    rand::rngs::SysRng
        .try_fill_bytes(buf)
        .map_err(|_| KeyringError::Random)
}

fn random_id(taken: &[KeyId]) -> Result<KeyId, KeyringError> {
    loop {
        let mut bytes = [0_u8; 2];
        fill_from_os(&mut bytes)?;
        let id = KeyId(bytes);
        if !taken.contains(&id) {
            return Ok(id);
        }
    }
}

#[cfg(unix)]
fn private_options() -> OpenOptions {
    use std::os::unix::fs::OpenOptionsExt;
    let mut options = OpenOptions::new();
    options.write(true).mode(0o600);
    options
}

#[cfg(not(unix))]
fn private_options() -> OpenOptions {
    let mut options = OpenOptions::new();
    options.write(true);
    options
}

/// Checks that an open file is private, as a key file must be: owned by
/// this process's effective user, and neither readable nor writable by group
/// or others (mode 0600 or stricter). For the other secrets a server keeps in
/// files (password hashes, a directory's bind password), so that they are
/// held to the keyring's rule. The file is checked as opened, not by name, so
/// that it cannot be swapped between the check and the read.
pub fn check_private_file(file: &File) -> Result<(), KeyringError> {
    check_private(&file.metadata().map_err(io)?)
}

#[cfg(unix)]
fn check_private(metadata: &fs::Metadata) -> Result<(), KeyringError> {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let (owner, user) = (metadata.uid(), rustix::process::geteuid().as_raw());
    if owner != user {
        return Err(KeyringError::NotOwner { owner, user });
    }
    let mode = metadata.permissions().mode() & 0o7777;
    if mode & 0o077 != 0 {
        return Err(KeyringError::InsecurePermissions { mode });
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_private(_: &fs::Metadata) -> Result<(), KeyringError> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn a_private_file_is_the_users_own_and_mode_0600_or_stricter() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secret");
        std::fs::write(&path, "x").unwrap();
        for (mode, ok) in [
            (0o600, true),
            (0o400, true),
            (0o700, true),
            (0o640, false),
            (0o604, false),
            (0o644, false),
        ] {
            std::fs::set_permissions(&path, fs::Permissions::from_mode(mode)).unwrap();
            let checked = check_private_file(&File::open(&path).unwrap());
            if ok {
                assert_eq!(checked, Ok(()), "{mode:o}");
            } else {
                assert_eq!(
                    checked,
                    Err(KeyringError::InsecurePermissions { mode }),
                    "{mode:o}"
                );
            }
        }
    }

    #[test]
    fn debug_never_shows_secrets() {
        let ring = Keyring::new(
            vec![Key::new(
                KeyId::from_bytes([0xab, 0xcd]),
                Alg::Aes256Gcm,
                SecretKey::from_bytes([0x42; 32]),
            )],
            KeyId::from_bytes([0xab, 0xcd]),
        )
        .unwrap();
        let debug = format!("{ring:?}");
        assert!(debug.contains("SecretKey(***)"), "{debug}");
        assert!(!debug.contains("66") && !debug.contains("0x42") && !debug.contains("QkJC"));
    }

    #[test]
    fn json_round_trip() {
        let mut ring = Keyring::generate(Alg::Aes256Gcm).unwrap();
        let second = ring.add_generated(Alg::XChaCha20Poly1305).unwrap();
        let back = Keyring::from_json(ring.to_json().as_bytes()).unwrap();
        assert_eq!(back.primary(), ring.primary());
        assert_eq!(back.keys().len(), 2);
        assert_eq!(back.get(second).unwrap().alg(), Alg::XChaCha20Poly1305);
        assert_eq!(
            back.get(second).unwrap().secret().expose(),
            ring.get(second).unwrap().secret().expose()
        );
    }

    #[test]
    fn key_id_text() {
        let id: KeyId = "0a1F".parse().unwrap();
        assert_eq!(id.to_string(), "0a1f");
        assert_eq!("0a1".parse::<KeyId>(), Err(KeyringError::BadKeyId));
        assert_eq!("+a1f".parse::<KeyId>(), Err(KeyringError::BadKeyId));
        assert_eq!("0a1g".parse::<KeyId>(), Err(KeyringError::BadKeyId));
    }

    #[test]
    fn rotation_rules() {
        let mut ring = Keyring::generate(Alg::Aes256Gcm).unwrap();
        let old = ring.primary();
        let new = ring.add_generated(Alg::Aes256Gcm).unwrap();
        assert_ne!(old, new);
        assert_eq!(ring.retire(old), Err(KeyringError::RetirePrimary(old)));
        ring.promote(new).unwrap();
        ring.retire(old).unwrap();
        assert_eq!(ring.retire(old), Err(KeyringError::NoSuchKey(old)));
        assert_eq!(ring.promote(old), Err(KeyringError::NoSuchKey(old)));
        assert_eq!(ring.keys().len(), 1);
    }

    #[test]
    fn bad_files_say_where_not_what() {
        let secret_like = br#"{"version":1,"primary":"abcd","keys":[{"id":"abcd","alg":"aes256gcm","secret":"c2VjcmV0"}]}"#;
        let err = Keyring::from_json(secret_like).unwrap_err();
        assert_eq!(
            err,
            KeyringError::BadSecret {
                key_id: KeyId::from_bytes([0xab, 0xcd])
            }
        );
        assert!(!err.to_string().contains("c2VjcmV0"));
        let broken = br#"{"version":1,"primary":"abcd","keys":[{"id":"abcd","secret":"c2VjcmV0" "#;
        assert!(matches!(
            Keyring::from_json(broken),
            Err(KeyringError::Syntax { line: 1, .. })
        ));
        let wrong_type = br#"{"version":1,"primary":"abcd","keys":[{"id":"abcd","alg":"aes256gcm","secret":7}]}"#;
        let err = Keyring::from_json(wrong_type).unwrap_err();
        assert!(matches!(err, KeyringError::Format(_)));
        let no_primary = br#"{"version":1,"primary":"abcd","keys":[]}"#;
        assert_eq!(
            Keyring::from_json(no_primary).unwrap_err(),
            KeyringError::NoPrimary
        );
    }

    /// FORMAT.md §10: padding required, no duplicate or unknown members.
    #[test]
    fn key_files_are_read_strictly() {
        let id = KeyId::from_bytes([0xab, 0xcd]);
        let file = |secret: &str, extra: &str| {
            format!(
                r#"{{"version":1,"primary":"abcd",{extra}"keys":[{{"id":"abcd","alg":"aes256gcm","secret":"{secret}"}}]}}"#
            )
        };
        // 0xfb bytes spell `+` and `/`, the two characters base64url replaces.
        let padded = BASE64.encode([0xfb_u8; SECRET_BYTES]);
        assert!(padded.ends_with('=') && padded.contains('+') && padded.contains('/'));
        assert!(Keyring::from_json(file(&padded, "").as_bytes()).is_ok());
        let unpadded = padded.trim_end_matches('=');
        assert_eq!(
            Keyring::from_json(file(unpadded, "").as_bytes()).unwrap_err(),
            KeyringError::BadSecret { key_id: id }
        );
        let url_safe = padded.replace('+', "-").replace('/', "_");
        assert_eq!(
            Keyring::from_json(file(&url_safe, "").as_bytes()).unwrap_err(),
            KeyringError::BadSecret { key_id: id }
        );
        let duplicate = file(&padded, r#""primary":"abcd","#);
        assert!(matches!(
            Keyring::from_json(duplicate.as_bytes()),
            Err(KeyringError::Format(_))
        ));
        let unknown = file(&padded, r#""comment":"x","#);
        assert!(matches!(
            Keyring::from_json(unknown.as_bytes()),
            Err(KeyringError::Format(_))
        ));
        // The same secret with `/` escaped, as PHP's json_encode writes it,
        // and with a \u escape: refused before serde_json copies it.
        for escaped in [
            padded.replace('/', "\\/"),
            format!("\\u0041{}", &padded[1..]),
        ] {
            assert_eq!(
                Keyring::from_json(file(&escaped, "").as_bytes()).unwrap_err(),
                KeyringError::Format(NO_ESCAPES)
            );
        }
    }
}
