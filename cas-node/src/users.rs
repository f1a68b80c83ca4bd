//! The users file: who may log in, with their passwords as argon2id hashes,
//! and the attributes released at validation.
//!
//! ```text
//! # comments and blank lines are ignored
//! [users]
//! jdoe@example.edu:$argon2id$v=19$m=19456,t=2,p=1$…$…
//! [attributes]
//! jdoe@example.edu mail=jdoe@example.edu
//! jdoe@example.edu memberOf=staff
//! jdoe@example.edu memberOf=faculty
//! ```
//!
//! A user name has no `:` and no white space; the rest of the line is a PHC
//! string of argon2id (`cas-node hash-password USER` reads a password on
//! standard input and prints the line). A plaintext password is refused,
//! with the command that converts it. An attribute name is an XML name of
//! ASCII letters, digits, `_`, `-` and `.`; a value has no control
//! characters; an attribute may repeat. The file must be private (the
//! user's own, mode 0600), as the keyring is: offline guessing needs only
//! the hashes. The node looks at it again on every login and every
//! validation, and reads it again when it changed ([`UsersFile`]):
//! attributes are not carried in tickets, so what a validation releases is
//! what the file says now.
//!
//! **No enumeration by timing.** A name not in the file is checked against
//! a hash of the default cost, so an unknown user and a wrong password cost
//! the same (for users hashed at the default cost, as `hash-password` does).

use std::io::Read as _;
use std::os::unix::fs::MetadataExt as _;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier as _, SaltString};
use argon2::{Algorithm, Argon2};
use zeroize::Zeroizing;

/// The parsed users file.
pub struct Directory {
    /// Each user and the PHC string of their password's hash.
    users: Vec<(String, String)>,
    attributes: Vec<(String, String, String)>,
}

/// The users file as last read, read again once it changed: every use
/// looks at the file's metadata (one `stat`), and reads and parses it only
/// when its inode, size, modification or change time, mode or owner moved
/// since, or when it changed too recently for its times to tell
/// ([`Stamp::settled`]). An edit (in place or by a new file renamed over it) or a `chmod`
/// shows at the next use, as when the file was read at every use, which
/// cost a validation with attributes three times one without.
pub struct UsersFile {
    path: PathBuf,
    last: Mutex<Option<(Stamp, Arc<Directory>)>>,
}

/// How long before a use the file must have last changed for its reading
/// to be kept ([`Stamp::settled`]): more than any file system's time step.
const SETTLED: std::time::Duration = std::time::Duration::from_secs(2);

/// What says the file changed.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Stamp {
    dev: u64,
    ino: u64,
    len: u64,
    modified: (i64, i64),
    changed: (i64, i64),
    mode: u32,
    uid: u32,
}

impl Stamp {
    /// Whether the file last changed at least [`SETTLED`] before `now`. A
    /// file's times tick in steps (a kernel clock tick, or a file system's
    /// coarser ones): an edit in the same step as the one stamped would
    /// leave the stamp as it is, so a reading of a file that changed
    /// moments ago is not kept (as git does with "racily clean" files).
    fn settled(&self, now: std::time::SystemTime) -> bool {
        let Ok(now) = now.duration_since(std::time::UNIX_EPOCH) else {
            return false;
        };
        let limit = now.saturating_sub(SETTLED);
        let before = |(seconds, nanos): (i64, i64)| {
            let at = u64::try_from(seconds)
                .ok()
                .zip(u32::try_from(nanos).ok())
                .map(|(s, n)| std::time::Duration::new(s, n));
            at.is_some_and(|at| at < limit)
        };
        before(self.modified) && before(self.changed)
    }

    fn of(path: &Path) -> Result<Stamp, String> {
        // A stat of a local file: short enough to make on the runtime.
        let m = std::fs::metadata(path)
            .map_err(|e| format!("users file {}: cannot read it: {e}", path.display()))?;
        Ok(Stamp {
            dev: m.dev(),
            ino: m.ino(),
            len: m.size(),
            modified: (m.mtime(), m.mtime_nsec()),
            changed: (m.ctime(), m.ctime_nsec()),
            mode: m.mode(),
            uid: m.uid(),
        })
    }
}

impl UsersFile {
    /// The file at `path`, read and checked now.
    pub async fn open(path: &Path) -> Result<UsersFile, String> {
        let file = UsersFile {
            path: path.to_owned(),
            last: Mutex::new(None),
        };
        file.current().await?;
        Ok(file)
    }

    /// The file as it is now: the last reading if the file has not changed
    /// since, else a new one ([`Directory::load`]'s checks and errors).
    pub async fn current(&self) -> Result<Arc<Directory>, String> {
        // The stamp is taken before the reading: a change in between makes
        // the next use read again, never keeps an old reading.
        let now = std::time::SystemTime::now();
        let stamp = Stamp::of(&self.path)?;
        if let Some((seen, directory)) = &*self.lock()
            && *seen == stamp
        {
            return Ok(Arc::clone(directory));
        }
        let directory = Arc::new(Directory::load(&self.path).await?);
        if stamp.settled(now) {
            *self.lock() = Some((stamp, Arc::clone(&directory)));
        }
        Ok(directory)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<(Stamp, Arc<Directory>)>> {
        self.last
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Why a line of the file is refused.
#[derive(Debug, PartialEq, Eq)]
enum LineError {
    Syntax,
    Plaintext,
}

impl Directory {
    /// Reads, checks and parses the file; an error names the line, never its
    /// content.
    pub async fn load(path: &Path) -> Result<Directory, String> {
        let owned = path.to_owned();
        let read = tokio::task::spawn_blocking(move || read_private(&owned))
            .await
            .map_err(|e| format!("cannot read the users file: {e}"))?;
        let text = read.map_err(|e| format!("users file {}: {e}", path.display()))?;
        Directory::parse(&text).map_err(|(line, why)| {
            let expected = match why {
                LineError::Syntax => {
                    "expected `name:argon2id hash` under [users] or \
                                      `name attribute=value` under [attributes]"
                }
                LineError::Plaintext => {
                    "the password is not an argon2id hash, and \
                                         plaintext passwords are refused: replace the line \
                                         with what `cas-node hash-password NAME` prints (it \
                                         reads the password on standard input)"
                }
            };
            format!("users file {} line {line}: {expected}", path.display())
        })
    }

    /// Parses the text, or says which line (1-based) is wrong and why.
    fn parse(text: &str) -> Result<Directory, (usize, LineError)> {
        #[derive(PartialEq)]
        enum Section {
            None,
            Users,
            Attributes,
        }
        let mut section = Section::None;
        let mut directory = Directory {
            users: Vec::new(),
            attributes: Vec::new(),
        };
        for (index, raw) in text.lines().enumerate() {
            let line = raw.trim();
            let number = index + 1;
            let syntax = (number, LineError::Syntax);
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            match line {
                "[users]" => section = Section::Users,
                "[attributes]" => section = Section::Attributes,
                _ if section == Section::Users => {
                    let (name, hash) = line.split_once(':').ok_or(syntax)?;
                    if !valid_user(name) || hash.is_empty() {
                        return Err((number, LineError::Syntax));
                    }
                    let argon2id = PasswordHash::new(hash)
                        .is_ok_and(|h| h.algorithm == Algorithm::Argon2id.ident());
                    if !argon2id {
                        return Err((number, LineError::Plaintext));
                    }
                    directory.users.push((name.to_owned(), hash.to_owned()));
                }
                _ if section == Section::Attributes => {
                    let (name, pair) = line.split_once(char::is_whitespace).ok_or(syntax)?;
                    let (attribute, value) = pair
                        .trim_start()
                        .split_once('=')
                        .ok_or((number, LineError::Syntax))?;
                    if !valid_user(name)
                        || !valid_attribute(attribute)
                        || value.contains(char::is_control)
                    {
                        return Err((number, LineError::Syntax));
                    }
                    directory.attributes.push((
                        name.to_owned(),
                        attribute.to_owned(),
                        value.to_owned(),
                    ));
                }
                _ => return Err((number, LineError::Syntax)),
            }
        }
        Ok(directory)
    }

    /// Whether `name` and `password` are a user of the file. One argon2id
    /// verification either way: against the user's hash, or against a hash
    /// of the default cost for a name the file does not hold. Slow on
    /// purpose (tens of milliseconds): call it off the async runtime.
    pub fn check(&self, name: &str, password: &str) -> bool {
        let (known, hash) = self.hash_for(name);
        let Ok(hash) = PasswordHash::new(hash) else {
            return false;
        };
        let matches = Argon2::default()
            .verify_password(password.as_bytes(), &hash)
            .is_ok();
        known && matches
    }

    /// Whether `name` is in the file, and the PHC string its password is
    /// checked against.
    fn hash_for(&self, name: &str) -> (bool, &str) {
        match self.users.iter().find(|(user, _)| user == name) {
            Some((_, hash)) => (true, hash),
            None => (false, stand_in()),
        }
    }

    /// The attributes of `name`, in file order.
    pub fn attributes_of<'a>(&'a self, name: &'a str) -> impl Iterator<Item = (&'a str, &'a str)> {
        self.attributes
            .iter()
            .filter(move |(user, _, _)| user == name)
            .map(|(_, attribute, value)| (attribute.as_str(), value.as_str()))
    }
}

/// The file's text, if the file is private.
fn read_private(path: &Path) -> Result<Zeroizing<String>, String> {
    let mut file = std::fs::File::open(path).map_err(|e| format!("cannot read it: {e}"))?;
    cas_ticket_codec::check_private_file(&file).map_err(|e| e.to_string())?;
    let mut text = Zeroizing::new(String::new());
    file.read_to_string(&mut text)
        .map_err(|e| format!("cannot read it: {e}"))?;
    Ok(text)
}

/// A hash of the default cost of a password nobody knows, drawn once: what
/// a name not in the file is checked against.
fn stand_in() -> &'static str {
    static STAND_IN: OnceLock<String> = OnceLock::new();
    STAND_IN.get_or_init(|| {
        let mut secret = [0_u8; 32];
        use argon2::password_hash::rand_core::RngCore as _;
        OsRng.fill_bytes(&mut secret);
        hash_password(&secret).unwrap_or_default()
    })
}

/// The PHC string of `password`'s argon2id hash, at the default cost
/// (OWASP's: 19 MiB, two passes, one lane), with a fresh random salt.
pub fn hash_password(password: &[u8]) -> Result<String, String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password, &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| format!("cannot hash the password: {e}"))
}

/// `cas-node hash-password [NAME]`: the users-file line (or the hash alone)
/// for the password on the first line of `input`.
pub fn hash_password_line(
    name: Option<&str>,
    input: &mut dyn std::io::BufRead,
) -> Result<String, String> {
    let mut line = Zeroizing::new(String::new());
    input
        .read_line(&mut line)
        .map_err(|e| format!("cannot read the password: {e}"))?;
    let password = line.strip_suffix('\n').unwrap_or(&line);
    let password = password.strip_suffix('\r').unwrap_or(password);
    if password.is_empty() {
        return Err("no password on standard input".to_owned());
    }
    let hash = hash_password(password.as_bytes())?;
    match name {
        Some(name) if valid_user(name) => Ok(format!("{name}:{hash}")),
        Some(_) => {
            Err("a user name has no `:`, no white space and no control characters".to_owned())
        }
        None => Ok(hash),
    }
}

fn valid_user(name: &str) -> bool {
    !name.is_empty() && !name.contains(|c: char| c == ':' || c.is_whitespace() || c.is_control())
}

pub fn valid_attribute(name: &str) -> bool {
    name.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line_for(name: &str, password: &str) -> String {
        hash_password_line(Some(name), &mut format!("{password}\n").as_bytes()).unwrap()
    }

    #[test]
    fn parses_users_and_attributes() {
        let text = format!(
            "# demo\n[users]\n{}\n\n[attributes]\njdoe mail=j@x.org\njdoe memberOf=a=b\n",
            line_for("jdoe", "pa:ss word")
        );
        let dir = Directory::parse(&text).unwrap();
        assert!(dir.check("jdoe", "pa:ss word"));
        assert!(!dir.check("jdoe", "pa:ss"));
        assert!(!dir.check("jdo", "pa:ss word"));
        let attributes: Vec<_> = dir.attributes_of("jdoe").collect();
        assert_eq!(attributes, [("mail", "j@x.org"), ("memberOf", "a=b")]);
    }

    #[test]
    fn plaintext_and_other_hashes_are_refused() {
        let argon2i = "$argon2i$v=19$m=16,t=2,p=1$c2FsdHNhbHQ$KZ8Uj9T3yeI0ZkM8eQ0o3g";
        for line in [
            "jdoe:correct horse battery staple",
            "jdoe:$argon2id$",
            "jdoe:$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW",
            &format!("jdoe:{argon2i}"),
        ] {
            assert_eq!(
                Directory::parse(&format!("[users]\n{line}")).err(),
                Some((2, LineError::Plaintext)),
                "{line}"
            );
        }
    }

    #[test]
    fn rejects_lines_outside_sections_and_bad_names() {
        let syntax = |line| Some((line, LineError::Syntax));
        assert_eq!(Directory::parse("jdoe:x").err(), syntax(1));
        assert_eq!(Directory::parse("[users]\njdoe").err(), syntax(2));
        assert_eq!(Directory::parse("[users]\njdoe:").err(), syntax(2));
        assert_eq!(
            Directory::parse("[attributes]\njdoe 1mail=x").err(),
            syntax(2)
        );
        assert_eq!(
            Directory::parse("[attributes]\njdoe mail<x>=1").err(),
            syntax(2)
        );
        assert_eq!(
            Directory::parse("[attributes]\njdoe mail=a\u{1}b").err(),
            syntax(2)
        );
    }

    /// An unknown name is checked against a hash of the same cost as a
    /// user's: one verification of the default parameters either way.
    #[test]
    fn an_unknown_user_costs_what_a_wrong_password_costs() {
        let dir = Directory::parse(&format!("[users]\n{}", line_for("jdoe", "pw"))).unwrap();
        let params = |phc: &str| {
            let hash = PasswordHash::new(phc).unwrap();
            (
                hash.algorithm.to_string(),
                hash.version,
                hash.params.to_string(),
            )
        };
        let (known, user_hash) = dir.hash_for("jdoe");
        let (unknown, stand_in) = dir.hash_for("mallory");
        assert!(known && !unknown);
        assert_eq!(params(user_hash), params(stand_in));
        assert!(!dir.check("mallory", "pw"));
    }

    #[test]
    fn hash_password_reads_one_line_and_names_the_user() {
        let line = line_for("jdoe@example.edu", "secret");
        let (name, hash) = line.split_once(':').unwrap();
        assert_eq!(name, "jdoe@example.edu");
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        let crlf = hash_password_line(None, &mut "secret\r\nignored\n".as_bytes()).unwrap();
        let dir = Directory::parse(&format!("[users]\njdoe:{crlf}")).unwrap();
        assert!(dir.check("jdoe", "secret"));
        assert_eq!(
            hash_password_line(None, &mut "\n".as_bytes()),
            Err("no password on standard input".to_owned())
        );
        assert!(hash_password_line(Some("j doe"), &mut "x\n".as_bytes()).is_err());
    }

    /// Read again when it changes, and only then: an edit in place, a new
    /// file renamed over it and a `chmod` show at the next use.
    #[tokio::test]
    async fn the_users_file_is_read_again_when_it_changes() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("users.txt");
        let users = format!("[users]\n{}\n", line_for("jdoe", "pw"));
        let write = |text: &str, at: &Path| {
            std::fs::write(at, text).unwrap();
            std::fs::set_permissions(at, std::fs::Permissions::from_mode(0o600)).unwrap();
        };
        write(&format!("{users}[attributes]\njdoe mail=a@x.org\n"), &path);
        let file = UsersFile::open(&path).await.unwrap();
        // A file that changed moments ago is read at every use: an edit in
        // the same time step would not change its stamp.
        let fresh = file.current().await.unwrap();
        assert!(!Arc::ptr_eq(&fresh, &file.current().await.unwrap()));
        tokio::time::sleep(SETTLED + std::time::Duration::from_millis(100)).await;
        let first = file.current().await.unwrap();
        let attributes = |d: &Directory| -> Vec<(String, String)> {
            d.attributes_of("jdoe")
                .map(|(a, v)| (a.to_owned(), v.to_owned()))
                .collect()
        };
        assert_eq!(
            attributes(&first),
            [("mail".to_owned(), "a@x.org".to_owned())]
        );
        // Unchanged and settled: the same reading, not read again.
        assert!(Arc::ptr_eq(&first, &file.current().await.unwrap()));
        // Edited in place, same length: read again.
        write(&format!("{users}[attributes]\njdoe mail=b@x.org\n"), &path);
        assert_eq!(
            attributes(&file.current().await.unwrap()),
            [("mail".to_owned(), "b@x.org".to_owned())]
        );
        // A new file renamed over it.
        let new = dir.path().join("users.new");
        write(&format!("{users}[attributes]\njdoe memberOf=staff\n"), &new);
        std::fs::rename(&new, &path).unwrap();
        assert_eq!(
            attributes(&file.current().await.unwrap()),
            [("memberOf".to_owned(), "staff".to_owned())]
        );
        // Made readable by others: refused at once, and again when fixed.
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let err = file.current().await.err().unwrap();
        assert!(err.contains("mode 0644"), "{err}");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert!(file.current().await.is_ok());
        // Gone: an error that names the file, never an old reading.
        std::fs::remove_file(&path).unwrap();
        let err = file.current().await.err().unwrap();
        assert!(
            err.starts_with(&format!("users file {}", path.display())),
            "{err}"
        );
    }

    #[tokio::test]
    async fn a_users_file_others_can_read_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("users.txt");
        std::fs::write(&path, format!("[users]\n{}\n", line_for("jdoe", "pw"))).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let err = Directory::load(&path).await.err().unwrap();
        assert!(
            err.contains("mode 0644") && err.contains("chmod 600"),
            "{err}"
        );
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert!(Directory::load(&path).await.is_ok());
        std::fs::write(&path, "[users]\njdoe:plain\n").unwrap();
        let err = Directory::load(&path).await.err().unwrap();
        assert!(
            err.contains("line 2") && err.contains("cas-node hash-password"),
            "{err}"
        );
        assert!(
            !err.contains("plain\n") && !err.contains(":plain"),
            "never the content: {err}"
        );
    }
}
