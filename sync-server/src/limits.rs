//! Login throttling: too many failed logins for one account, or from one
//! address, within a window, and further attempts are refused (429) without
//! even checking the password — a password guesser gets a few tries per
//! quarter hour, not thousands.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How many failures are tolerated per window.
#[derive(Debug, Clone, Copy)]
pub struct LoginLimits {
    pub per_account: usize,
    pub per_address: usize,
    pub window: Duration,
}

impl Default for LoginLimits {
    fn default() -> Self {
        LoginLimits {
            per_account: 5,
            per_address: 20,
            window: Duration::from_secs(15 * 60),
        }
    }
}

/// Keys tracked at most; beyond, keys with no recent failure are dropped.
const MAX_KEYS: usize = 100_000;

#[derive(Debug, Default)]
pub struct LoginThrottle {
    limits: LoginLimits,
    failures: Mutex<HashMap<String, VecDeque<Instant>>>,
}

impl LoginThrottle {
    pub fn new(limits: LoginLimits) -> LoginThrottle {
        LoginThrottle {
            limits,
            failures: Mutex::default(),
        }
    }

    fn keys(email: &str, address: IpAddr) -> [(String, usize); 2] {
        [
            (format!("account:{email}"), 0),
            (format!("address:{address}"), 1),
        ]
    }

    /// `Some(wait)` when this account or address must wait before trying again.
    pub fn check(&self, email: &str, address: IpAddr, now: Instant) -> Option<Duration> {
        let mut failures = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        let mut wait = None;
        for (key, kind) in Self::keys(email, address) {
            let limit = if kind == 0 {
                self.limits.per_account
            } else {
                self.limits.per_address
            };
            if let Some(times) = failures.get_mut(&key) {
                while times
                    .front()
                    .is_some_and(|t| now.duration_since(*t) >= self.limits.window)
                {
                    times.pop_front();
                }
                if times.len() >= limit {
                    let oldest = times.front().copied().unwrap_or(now);
                    let w = self
                        .limits
                        .window
                        .saturating_sub(now.duration_since(oldest));
                    wait = Some(wait.map_or(w, |x: Duration| x.max(w)));
                }
            }
        }
        wait
    }

    pub fn failed(&self, email: &str, address: IpAddr, now: Instant) {
        let mut failures = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        if failures.len() > MAX_KEYS {
            let window = self.limits.window;
            failures.retain(|_, times| {
                times
                    .back()
                    .is_some_and(|t| now.duration_since(*t) < window)
            });
        }
        for (key, _) in Self::keys(email, address) {
            failures.entry(key).or_default().push_back(now);
        }
    }

    /// A successful login clears the account's failures (not the address's).
    pub fn succeeded(&self, email: &str) {
        let mut failures = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        failures.remove(&format!("account:{email}"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accounts_and_addresses_are_throttled_within_the_window() {
        let limits = LoginLimits {
            per_account: 3,
            per_address: 5,
            window: Duration::from_secs(60),
        };
        let t = LoginThrottle::new(limits);
        let (ip, other_ip) = (
            "10.0.0.1".parse().expect("ip"),
            "10.0.0.2".parse().expect("ip"),
        );
        let start = Instant::now();
        for _ in 0..3 {
            assert!(t.check("a@x.com", ip, start).is_none());
            t.failed("a@x.com", ip, start);
        }
        assert!(t.check("a@x.com", ip, start).is_some(), "account limit");
        assert!(
            t.check("a@x.com", other_ip, start).is_some(),
            "the account is throttled from anywhere"
        );
        assert!(
            t.check("b@x.com", ip, start).is_none(),
            "other accounts from the address still may"
        );
        t.failed("b@x.com", ip, start);
        t.failed("c@x.com", ip, start);
        assert!(t.check("d@x.com", ip, start).is_some(), "address limit");
        assert!(t.check("d@x.com", other_ip, start).is_none());
        let later = start + Duration::from_secs(61);
        assert!(t.check("a@x.com", ip, later).is_none(), "the window passes");
        t.failed("e@x.com", other_ip, start);
        t.succeeded("e@x.com");
        assert!(t.check("e@x.com", other_ip, start).is_none());
    }
}
