//! Where users and their attributes come from: the users file (`--users`,
//! users.rs) or an LDAP directory (`--ldap`, ldap.rs). The handlers ask
//! this, never one of them directly.

use zeroize::Zeroizing;

use crate::ldap;
use crate::users::UsersFile;

/// The node's source of users.
pub enum Accounts {
    /// The users file, read again when it changes.
    File(UsersFile),
    /// An LDAP directory.
    Ldap(Box<ldap::Directory>),
}

/// Why a password or attributes could not be checked: for the log, never
/// for the browser (it names the server or the file).
pub struct Unavailable(pub String);

impl Accounts {
    /// The source the flags name, checked: the users file is read once, the
    /// directory's settings and service password are; no connection opens.
    pub async fn open(
        flags: &crate::config::Flags,
        metrics: &crate::metrics::Metrics,
    ) -> Result<(Accounts, String), String> {
        if let Some(settings) = flags.ldap()? {
            let directory = ldap::Directory::new(settings)?.timed(metrics.ldap_seconds.clone());
            let summary = format!("users from the directory {}", directory.describe());
            return Ok((Accounts::Ldap(Box::new(directory)), summary));
        }
        let path = flags
            .users
            .clone()
            .ok_or("give --users FILE or --ldap URL")?;
        let file = UsersFile::open(&path).await?;
        let summary = format!("users from {}", path.display());
        Ok((Accounts::File(file), summary))
    }

    /// If `password` is `user`'s, the principal `user` logs in as: the
    /// name as typed for the users file, the directory's spelling for LDAP.
    pub async fn check(
        &self,
        user: &str,
        password: Zeroizing<String>,
    ) -> Result<Option<String>, Unavailable> {
        match self {
            Accounts::File(file) => {
                let file = file.current().await.map_err(Unavailable)?;
                let user = user.to_owned();
                // argon2id takes tens of milliseconds: off the async runtime.
                tokio::task::spawn_blocking(move || file.check(&user, &password).then_some(user))
                    .await
                    .map_err(|e| Unavailable(format!("the password check failed: {e}")))
            }
            // Boxed: a directory's future is some 14 kB, and every
            // handler that awaits this one would carry (and move) it.
            Accounts::Ldap(directory) => Box::pin(directory.check(user, &password))
                .await
                .map_err(|ldap::Unavailable(why)| Unavailable(why)),
        }
    }

    /// Every attribute of `user` this source holds, as (name, value) pairs;
    /// none for a user it does not hold.
    pub async fn attributes_of(&self, user: &str) -> Result<Vec<(String, String)>, Unavailable> {
        match self {
            Accounts::File(file) => {
                let file = file.current().await.map_err(Unavailable)?;
                Ok(file
                    .attributes_of(user)
                    .map(|(name, value)| (name.to_owned(), value.to_owned()))
                    .collect())
            }
            // Boxed, as in `check`: validations move their future whole.
            Accounts::Ldap(directory) => Box::pin(directory.attributes_of(user))
                .await
                .map_err(|ldap::Unavailable(why)| Unavailable(why)),
        }
    }
}
