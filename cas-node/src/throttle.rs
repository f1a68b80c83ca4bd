//! Password guessing, throttled: every password check at `POST /login`
//! first passes three limits, each a sliding window over two fixed-window
//! counters in the store (pool-wide with `--store`, in this node's memory
//! without): this window's attempts plus the previous window's, weighed by
//! how much of it the last window's length still covers, so that no burst
//! across a window's end passes twice the limit:
//!
//! 1. the user name from this client address: [`PER_USER_AND_ADDRESS`]
//!    (10 a minute);
//! 2. this client address across all user names: [`PER_ADDRESS`] (a
//!    password-spraying address);
//! 3. the user name from every address: [`PER_USER`] (guessing spread over
//!    many addresses), slower than the first.
//!
//! The first two are counted together; only an attempt they let through
//! counts against the user's own limit, so an attacker whose address is
//! throttled stops spending the user's allowance, and the user still logs
//! in from another address. A patient attacker with many addresses can
//! still spend it: the per-user limit then locks the user out until its
//! window ends, which is the price of bounding distributed guessing (the
//! README says so). A throttled attempt is refused before any password is
//! looked at, with 429 and `Retry-After`. Subjects are digests: neither
//! user names nor addresses are stored in clear.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use cas_ticket_codec::store::{Attempt, FailurePolicy, MemoryStore, Store};
use sha2::{Digest as _, Sha256};
use time::OffsetDateTime;

/// At most this many checks, per this long.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limit {
    pub attempts: u64,
    pub window: Duration,
}

impl Limit {
    /// Parses `10/1m`: attempts, then a window of whole seconds (at least 1).
    pub fn parse(text: &str) -> Result<Limit, String> {
        let invalid = || format!("'{text}' is not a limit like 10/1m (attempts per window)");
        let (attempts, window) = text.split_once('/').ok_or_else(invalid)?;
        let attempts = attempts.parse::<u64>().map_err(|_| invalid())?;
        let window = cas_ticket_codec::duration::parse_lifetime(window).map_err(|_| invalid())?;
        let window = Duration::try_from(window).map_err(|_| invalid())?;
        Ok(Limit { attempts, window })
    }
}

/// The three limits a node enforces.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    pub user_and_address: Limit,
    pub address: Limit,
    pub user: Limit,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            user_and_address: PER_USER_AND_ADDRESS,
            address: PER_ADDRESS,
            user: PER_USER,
        }
    }
}

/// The user name from one address: 10 a minute (issue 20).
pub const PER_USER_AND_ADDRESS: Limit = Limit {
    attempts: 10,
    window: Duration::from_secs(60),
};
/// One address across user names: a campus NAT serves many users, so
/// generous, but a spraying address is stopped.
pub const PER_ADDRESS: Limit = Limit {
    attempts: 100,
    window: Duration::from_secs(60),
};
/// One user name from everywhere: 30 in 10 minutes, three a minute.
pub const PER_USER: Limit = Limit {
    attempts: 30,
    window: Duration::from_secs(600),
};

/// Counters the in-process store keeps at most (without `--store`).
const MEMORY_COUNTERS: usize = 200_000;

/// What the throttle says of a login attempt.
#[derive(Debug, PartialEq, Eq)]
pub enum Admission {
    /// Check the password.
    Admitted,
    /// Refuse: too many attempts; try again after this long.
    Throttled { retry_after: Duration },
    /// The store cannot count, and fails closed: refuse, try again soon.
    Unavailable,
}

/// The counters, where they live, and their limits.
pub struct Throttle {
    store: Arc<dyn Store>,
    policy: FailurePolicy,
    limits: Limits,
}

impl Throttle {
    /// Counters in `store` (the pool's), or in this node's memory.
    pub fn new(store: Option<(Arc<dyn Store>, FailurePolicy)>, limits: Limits) -> Self {
        let (store, policy) = store.unwrap_or_else(|| {
            let local: Arc<dyn Store> = Arc::new(MemoryStore::new(MEMORY_COUNTERS));
            (local, FailurePolicy::Closed)
        });
        Throttle {
            store,
            policy,
            limits,
        }
    }

    /// Counts one password check of `user` from `address` as of `now`.
    /// Names that a directory would match as one (`JDoe`, ` jdoe `) count
    /// as one: [`folded`].
    pub async fn admit(&self, user: &str, address: IpAddr, now: OffsetDateTime) -> Admission {
        let folded = folded(user);
        let user = folded.as_str();
        let Limits {
            user_and_address,
            address: spraying,
            user: own,
        } = self.limits;
        let pair = attempt(
            &[b"user+address", user.as_bytes(), &octets(address)],
            user_and_address,
        );
        let spray = attempt(&[b"address", &octets(address)], spraying);
        if let Some(verdict) = self
            .count(&[(pair, user_and_address), (spray, spraying)], now)
            .await
        {
            return verdict;
        }
        let mine = attempt(&[b"user", user.as_bytes()], own);
        self.count(&[(mine, own)], now)
            .await
            .unwrap_or(Admission::Admitted)
    }

    /// Counts `attempts`; `None` when every count is within its limit.
    async fn count(&self, attempts: &[(Attempt, Limit)], now: OffsetDateTime) -> Option<Admission> {
        let subjects: Vec<Attempt> = attempts.iter().map(|(a, _)| *a).collect();
        let counts = match self.store.count_attempts(&subjects, now).await {
            Ok(counts) => counts,
            Err(e) => {
                tracing::warn!("login throttle: {e}");
                return match self.policy {
                    FailurePolicy::Closed => Some(Admission::Unavailable),
                    FailurePolicy::Open => None,
                };
            }
        };
        // The longest wait of the limits exceeded; a limit of 0 never admits.
        attempts
            .iter()
            .zip(counts)
            .filter(|((attempt, limit), count)| count.exceeds(limit.attempts, attempt, now))
            .map(|((attempt, limit), count)| {
                count
                    .retry_after(limit.attempts, attempt, now)
                    .unwrap_or(limit.window)
            })
            .max()
            .map(|retry_after| Admission::Throttled { retry_after })
    }
}

/// The counter of a subject: the first 16 bytes of SHA-256 over its
/// length-prefixed parts (so that no two subjects share a spelling).
fn attempt(parts: &[&[u8]], limit: Limit) -> Attempt {
    let mut digest = Sha256::new();
    for part in parts {
        digest.update((part.len() as u64).to_be_bytes());
        digest.update(part);
    }
    let mut subject = [0_u8; 16];
    for (out, byte) in subject.iter_mut().zip(digest.finalize()) {
        *out = byte;
    }
    Attempt {
        subject,
        window: limit.window,
    }
}

fn octets(address: IpAddr) -> Vec<u8> {
    match address {
        IpAddr::V4(v4) => v4.octets().to_vec(),
        IpAddr::V6(v6) => v6.octets().to_vec(),
    }
}

/// A user name as the throttle counts it: lower case, without white space.
/// An LDAP directory matches `uid` and most name attributes ignoring case
/// and insignificant spaces, so `JDoe` and ` jdoe` are the same account
/// there: counted apart they would multiply an attacker's allowance.
/// Folding more than a directory does only makes the limits stricter.
fn folded(user: &str) -> String {
    user.chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    /// At a window start for every limit.
    fn at() -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap()
    }

    #[tokio::test]
    async fn an_attackers_address_is_throttled_and_the_user_still_logs_in_elsewhere() {
        let throttle = Throttle::new(None, Limits::default());
        let attacker = ip("203.0.113.66");
        for _ in 0..PER_USER_AND_ADDRESS.attempts {
            assert_eq!(
                throttle.admit("jdoe", attacker, at()).await,
                Admission::Admitted
            );
        }
        // The eleventh in the minute is refused, until the sliding minute
        // holds fewer than ten: 11 + 0 now; at 70.910 s, 1 + 11 × 49.090/60.
        let retry_after = Duration::from_millis(70_910);
        assert_eq!(
            throttle.admit("jdoe", attacker, at()).await,
            Admission::Throttled { retry_after }
        );
        // That refusal did not spend the user's own allowance.
        assert_eq!(
            throttle.admit("jdoe", ip("198.51.100.7"), at()).await,
            Admission::Admitted
        );
        // Another user from the attacker's address is not throttled yet
        // (the address has made 12 of its 100).
        assert_eq!(
            throttle.admit("rroe", attacker, at()).await,
            Admission::Admitted
        );
        // When the wait is over, the attacker's address may try again.
        assert_eq!(
            throttle.admit("jdoe", attacker, at() + retry_after).await,
            Admission::Admitted
        );
    }

    #[tokio::test]
    async fn the_wait_is_exact_to_the_millisecond() {
        let throttle = Throttle::new(None, Limits::default());
        let attacker = ip("203.0.113.66");
        for _ in 0..=PER_USER_AND_ADDRESS.attempts {
            throttle.admit("jdoe", attacker, at()).await;
        }
        // A millisecond early: 1 + 11 × 49.091/60 is just over ten.
        assert!(matches!(
            throttle
                .admit("jdoe", attacker, at() + Duration::from_millis(70_909))
                .await,
            Admission::Throttled { .. }
        ));
    }

    #[tokio::test]
    async fn a_burst_across_a_windows_end_passes_no_more_than_the_limit() {
        // Ten just before the minute ends, then one just after: a fixed
        // window would admit ten more.
        let throttle = Throttle::new(None, Limits::default());
        let attacker = ip("203.0.113.66");
        let end = at() + Duration::from_secs(60);
        for _ in 0..PER_USER_AND_ADDRESS.attempts {
            assert_eq!(
                throttle
                    .admit("jdoe", attacker, end - Duration::from_millis(100))
                    .await,
                Admission::Admitted
            );
        }
        for after in [1, 100, 5_000] {
            assert!(
                matches!(
                    throttle
                        .admit("jdoe", attacker, end + Duration::from_millis(after))
                        .await,
                    Admission::Throttled { .. }
                ),
                "{after} ms after the window's end"
            );
        }
    }

    #[tokio::test]
    async fn the_previous_window_weighs_what_the_sliding_window_still_covers() {
        let throttle = Throttle::new(None, Limits::default());
        let attacker = ip("203.0.113.66");
        for _ in 0..PER_USER_AND_ADDRESS.attempts {
            throttle.admit("jdoe", attacker, at()).await;
        }
        // Half way through the next minute, the ten weigh five: five more.
        let half_way = at() + Duration::from_secs(90);
        for _ in 0..5 {
            assert_eq!(
                throttle.admit("jdoe", attacker, half_way).await,
                Admission::Admitted
            );
        }
        assert!(matches!(
            throttle.admit("jdoe", attacker, half_way).await,
            Admission::Throttled { .. }
        ));
        // Two minutes after the first ten, they weigh nothing.
        let fresh = Throttle::new(None, Limits::default());
        for _ in 0..PER_USER_AND_ADDRESS.attempts {
            fresh.admit("jdoe", attacker, at()).await;
        }
        for _ in 0..PER_USER_AND_ADDRESS.attempts {
            assert_eq!(
                fresh
                    .admit("jdoe", attacker, at() + Duration::from_secs(120))
                    .await,
                Admission::Admitted
            );
        }
    }

    #[tokio::test]
    async fn spellings_a_directory_matches_as_one_count_as_one() {
        let throttle = Throttle::new(None, Limits::default());
        let attacker = ip("203.0.113.66");
        let spellings = ["jdoe", "JDOE", "JDoe", " jdoe", "jdoe ", "j doe", "jDoE\t"];
        for i in 0..PER_USER_AND_ADDRESS.attempts {
            let name = spellings[i as usize % spellings.len()];
            assert_eq!(
                throttle.admit(name, attacker, at()).await,
                Admission::Admitted
            );
        }
        for name in spellings {
            assert!(
                matches!(
                    throttle.admit(name, attacker, at()).await,
                    Admission::Throttled { .. }
                ),
                "{name:?}"
            );
        }
    }

    #[tokio::test]
    async fn guessing_spread_over_addresses_hits_the_user_limit() {
        let throttle = Throttle::new(None, Limits::default());
        for i in 0..PER_USER.attempts {
            let address = IpAddr::from([10, 0, (i / 250) as u8, (i % 250) as u8]);
            assert_eq!(
                throttle.admit("jdoe", address, at()).await,
                Admission::Admitted
            );
        }
        // 31 + 0 of 30 in ten minutes: until 1 + 31 × (561.290/600) ≤ 30.
        assert_eq!(
            throttle.admit("jdoe", ip("10.9.9.9"), at()).await,
            Admission::Throttled {
                retry_after: Duration::from_millis(638_710)
            }
        );
        assert_eq!(
            throttle.admit("rroe", ip("10.9.9.9"), at()).await,
            Admission::Admitted
        );
    }

    #[tokio::test]
    async fn a_spraying_address_is_throttled_across_users() {
        let throttle = Throttle::new(None, Limits::default());
        let sprayer = ip("2001:db8::66");
        for i in 0..PER_ADDRESS.attempts {
            assert_eq!(
                throttle.admit(&format!("user{i}"), sprayer, at()).await,
                Admission::Admitted
            );
        }
        assert!(matches!(
            throttle.admit("someone-else", sprayer, at()).await,
            Admission::Throttled { .. }
        ));
        assert_eq!(
            throttle
                .admit("someone-else", ip("2001:db8::7"), at())
                .await,
            Admission::Admitted
        );
    }

    #[test]
    fn limits_are_attempts_per_window() {
        assert_eq!(Limit::parse("10/1m"), Ok(PER_USER_AND_ADDRESS));
        assert_eq!(Limit::parse("30/600"), Ok(PER_USER));
        for bad in [
            "10", "/1m", "10/", "10/0s", "-1/1m", "10/1.5m", "ten/1m", "10/500ms",
        ] {
            assert!(Limit::parse(bad).is_err(), "{bad}");
        }
    }

    #[tokio::test]
    async fn limits_are_the_operators() {
        let one = Limit::parse("1/1m").unwrap();
        let throttle = Throttle::new(
            None,
            Limits {
                user_and_address: one,
                ..Limits::default()
            },
        );
        let address = ip("192.0.2.1");
        assert_eq!(
            throttle.admit("jdoe", address, at()).await,
            Admission::Admitted
        );
        assert!(matches!(
            throttle.admit("jdoe", address, at()).await,
            Admission::Throttled { .. }
        ));
    }

    #[test]
    fn subjects_do_not_share_spellings() {
        let a = attempt(&[b"user", b"ab"], PER_USER);
        let b = attempt(&[b"usera", b"b"], PER_USER);
        assert_ne!(a.subject, b.subject);
    }
}
