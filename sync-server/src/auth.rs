//! Passwords (Argon2id) and tokens: 256 random bits from `ring`, handed out
//! once and stored only as SHA-256 hashes.

use base64::Engine;
use ring::rand::{SecureRandom, SystemRandom};

/// Access tokens live 15 minutes.
pub const ACCESS_TTL_SECS: i64 = 15 * 60;
/// Refresh tokens live 30 days.
pub const REFRESH_TTL_SECS: i64 = 30 * 24 * 3600;
/// How long a session lives from its login, however often it is
/// refreshed: then the password is asked again.
pub const SESSION_MAX_SECS: i64 = 90 * 24 * 3600;

/// When a session (a token family, a UUIDv7 made at login) began, in
/// seconds since the epoch; `None` for a family not made so.
pub fn session_started(family: &str) -> Option<i64> {
    let (secs, _) = uuid::Uuid::parse_str(family)
        .ok()?
        .get_timestamp()?
        .to_unix();
    i64::try_from(secs).ok()
}

pub use arcada_core::password::{hash as hash_password, verify as verify_password};

/// A hash to spend the same time on when the account does not exist, so
/// that response time does not tell which e-mails have accounts.
pub fn dummy_verify(password: &str) {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let phc = DUMMY.get_or_init(|| hash_password("not a password").unwrap_or_default());
    let _ = verify_password(password, phc);
}

/// A new random token, URL-safe base64 of 32 bytes.
pub fn new_token() -> Result<String, ring::error::Unspecified> {
    let mut bytes = [0u8; 32];
    SystemRandom::new().fill(&mut bytes)?;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}

/// What the database keeps of a token.
pub fn token_hash(token: &str) -> Vec<u8> {
    ring::digest::digest(&ring::digest::SHA256, token.as_bytes())
        .as_ref()
        .to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_stored_hashed() {
        let (a, b) = (new_token().expect("token"), new_token().expect("token"));
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert_eq!(token_hash(&a).len(), 32);
        assert_ne!(token_hash(&a), token_hash(&b));
    }
}

/// Runs password hashing on a fixed set of threads, one per core.
///
/// Argon2id allocates ~19 MiB per hash. On tokio's open-ended blocking pool
/// every login could land on a new thread, and the allocator keeps each
/// thread's memory: a thousand logins left the server at 2.4 GB resident.
/// A fixed pool bounds both memory and CPU; a login flood waits in line.
#[derive(Debug, Clone)]
pub struct HashPool {
    jobs: std::sync::mpsc::SyncSender<Box<dyn FnOnce() + Send>>,
}

impl HashPool {
    pub fn new(threads: usize) -> HashPool {
        let (jobs, queue) = std::sync::mpsc::sync_channel::<Box<dyn FnOnce() + Send>>(1024);
        let queue = std::sync::Arc::new(std::sync::Mutex::new(queue));
        for i in 0..threads.max(1) {
            let queue = queue.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("argon2-{i}"))
                .spawn(move || loop {
                    let job = match queue.lock() {
                        Ok(q) => q.recv(),
                        Err(_) => return,
                    };
                    match job {
                        Ok(job) => job(),
                        Err(_) => return,
                    }
                });
            if let Err(e) = spawned {
                tracing::error!(error = %e, "cannot start a password hashing thread");
            }
        }
        HashPool { jobs }
    }

    /// One thread per available core.
    pub fn per_core() -> HashPool {
        HashPool::new(std::thread::available_parallelism().map_or(2, usize::from))
    }

    /// Runs `f` on the pool; `None` if the pool is gone.
    pub async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> Option<T> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let job: Box<dyn FnOnce() + Send> = Box::new(move || {
            let _ = tx.send(f());
        });
        let jobs = self.jobs.clone();
        // A full queue blocks the sender: do that off the async threads.
        tokio::task::spawn_blocking(move || jobs.send(job))
            .await
            .ok()?
            .ok()?;
        rx.await.ok()
    }
}
