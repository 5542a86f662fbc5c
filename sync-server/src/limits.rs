//! Login throttling: too many failed logins for one account, or from one
//! address, within a window, and further attempts are refused (429) without
//! even checking the password — a password guesser gets a few tries per
//! quarter hour, not thousands. Attempts are reserved before the password
//! is hashed, so concurrency buys nothing.

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

    /// Reserves an attempt for this account and address, or says how long
    /// to wait. The attempt counts as a failure from now on, before the
    /// password is even hashed, so a burst of concurrent guesses gets no
    /// more tries than a sequence of them; [`LoginThrottle::succeeded`]
    /// takes it back.
    pub fn reserve(&self, email: &str, address: IpAddr, now: Instant) -> Result<(), Duration> {
        let mut failures = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        if failures.len() > MAX_KEYS {
            let window = self.limits.window;
            failures.retain(|_, times| {
                times
                    .back()
                    .is_some_and(|t| now.duration_since(*t) < window)
            });
        }
        let mut wait = None;
        for (key, limit) in self.keys(email, address) {
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
        if let Some(wait) = wait {
            return Err(wait);
        }
        for (key, _) in self.keys(email, address) {
            failures.entry(key).or_default().push_back(now);
        }
        Ok(())
    }

    /// A successful login: the account's failures are forgotten, and the
    /// address gets back the attempt reserved at `reserved`.
    pub fn succeeded(&self, email: &str, address: IpAddr, reserved: Instant) {
        let mut failures = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        failures.remove(&format!("account:{email}"));
        if let Some(times) = failures.get_mut(&format!("address:{address}")) {
            if let Some(i) = times.iter().position(|t| *t == reserved) {
                times.remove(i);
            }
        }
    }

    fn keys(&self, email: &str, address: IpAddr) -> [(String, usize); 2] {
        [
            (format!("account:{email}"), self.limits.per_account),
            (format!("address:{address}"), self.limits.per_address),
        ]
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
        // Reserved attempts count before any password is checked.
        for _ in 0..3 {
            assert!(t.reserve("a@x.com", ip, start).is_ok());
        }
        assert!(t.reserve("a@x.com", ip, start).is_err(), "account limit");
        assert!(
            t.reserve("a@x.com", other_ip, start).is_err(),
            "the account is throttled from anywhere"
        );
        assert!(
            t.reserve("b@x.com", ip, start).is_ok(),
            "other accounts from the address still may"
        );
        assert!(t.reserve("c@x.com", ip, start).is_ok());
        assert!(t.reserve("d@x.com", ip, start).is_err(), "address limit");
        assert!(t.reserve("d@x.com", other_ip, start).is_ok());
        let later = start + Duration::from_secs(61);
        assert!(t.reserve("a@x.com", ip, later).is_ok(), "the window passes");
        // A success gives the reservation back.
        let third: IpAddr = "10.0.0.3".parse().expect("ip");
        for _ in 0..10 {
            assert!(t.reserve("e@x.com", third, start).is_ok());
            t.succeeded("e@x.com", third, start);
        }
    }
}
