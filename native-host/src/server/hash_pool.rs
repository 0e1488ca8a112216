//! Password checks on a fixed set of threads: at most `workers` hashes at once, so memory for
//! hashing stays under `workers` times one hash's cost (argon2id's default is 19 MiB) however
//! many clients send passwords. Each thread keeps one [`Hasher`] (one argon2 memory block) for
//! all its checks and gives it back after a quiet spell.
//!
//! Checks wait in a bounded queue; when it is full the attempt is refused at once (the caller
//! answers it as a wrong password, which counts as a failure). A check whose connection has
//! gone, or that waited past `max_wait`, is not hashed at all.

use super::auth::{ChangedPasswords, Outcome, Pending};
use super::passwords::{DummyHash, Hasher};
use crate::app_msg::AppMsg;
use sshgate::userauth::AuthVerdict;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

/// A thread idle this long gives its hashing memory back.
const IDLE_RELEASE: Duration = Duration::from_secs(30);

/// How the pool is sized.
#[derive(Debug, Clone, Copy)]
pub struct PoolSettings {
    /// Checks at once (threads).
    pub workers: usize,
    /// Checks waiting at most; more are refused.
    pub queue: usize,
    /// A check that waited longer is answered as refused without hashing (its client's
    /// authentication time is over anyway).
    pub max_wait: Duration,
}

/// Counters, for the log and the tests.
#[derive(Debug, Default)]
pub struct PoolStats {
    running: AtomicUsize,
    /// Most checks ever running at once.
    pub peak: AtomicUsize,
    /// Checks hashed.
    pub hashed: AtomicU64,
    /// Checks dropped unhashed: their connection had closed, or they were stale.
    pub skipped: AtomicU64,
    /// Checks refused because the queue was full.
    pub refused: AtomicU64,
}

struct Job {
    work: Pending,
    reply: mpsc::Sender<AppMsg>,
    queued: Instant,
}

/// The pool; dropping it lets its threads finish.
pub struct HashPool {
    shared: Arc<Shared>,
}

/// Jobs not yet taken.
#[derive(Default)]
struct Queue {
    jobs: VecDeque<Job>,
    /// The pool was dropped: the threads end.
    closed: bool,
}

/// What the threads share.
struct Shared {
    queue: Mutex<Queue>,
    /// Signalled for each new job, and at close.
    ready: Condvar,
    capacity: usize,
    dummy: DummyHash,
    changed: Arc<ChangedPasswords>,
    stats: Arc<PoolStats>,
    max_wait: Duration,
}

impl HashPool {
    /// Starts `settings.workers` threads (at least one).
    pub fn start(
        settings: PoolSettings,
        dummy: DummyHash,
        changed: Arc<ChangedPasswords>,
    ) -> std::io::Result<Self> {
        let stats = Arc::new(PoolStats::default());
        let shared = Arc::new(Shared {
            queue: Mutex::default(),
            ready: Condvar::new(),
            capacity: settings.queue,
            dummy,
            changed,
            stats: stats.clone(),
            max_wait: settings.max_wait,
        });
        for i in 0..settings.workers.max(1) {
            let shared = shared.clone();
            std::thread::Builder::new()
                .name(format!("sshgate-hash-{i}"))
                .spawn(move || work(&shared))?;
        }
        Ok(HashPool { shared })
    }

    /// Queues a check; its outcome comes back on `reply` as [`AppMsg::AuthOutcome`]. A full
    /// queue gives the work back at once.
    pub fn submit(&self, work: Pending, reply: mpsc::Sender<AppMsg>) -> Result<(), Pending> {
        let mut queue = self.shared.lock();
        if queue.jobs.len() >= self.shared.capacity {
            drop(queue);
            self.shared.stats.refused.fetch_add(1, Ordering::Relaxed);
            return Err(work);
        }
        queue.jobs.push_back(Job {
            work,
            reply,
            queued: Instant::now(),
        });
        drop(queue);
        self.shared.ready.notify_one();
        Ok(())
    }

    /// The counters.
    #[must_use]
    pub fn stats(&self) -> &PoolStats {
        &self.shared.stats
    }
}

impl Drop for HashPool {
    fn drop(&mut self) {
        self.shared.lock().closed = true;
        self.shared.ready.notify_all();
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Queue> {
        self.queue
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// One thread: takes jobs until the pool is dropped; gives its memory back when nothing came
/// for [`IDLE_RELEASE`].
fn work(shared: &Shared) {
    let mut hasher = Hasher::new();
    let mut queue = shared.lock();
    loop {
        if let Some(job) = queue.jobs.pop_front() {
            drop(queue);
            run(shared, &mut hasher, job);
            queue = shared.lock();
            continue;
        }
        if queue.closed {
            return;
        }
        let (q, waited) = shared
            .ready
            .wait_timeout(queue, IDLE_RELEASE)
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        queue = q;
        if waited.timed_out() && queue.jobs.is_empty() {
            hasher.release();
        }
    }
}

fn run(shared: &Shared, hasher: &mut Hasher, job: Job) {
    let stats = &shared.stats;
    let id = job.work.id();
    // The connection ended (its receiver is gone): nobody wants the answer.
    if job.reply.is_closed() {
        stats.skipped.fetch_add(1, Ordering::Relaxed);
        return;
    }
    let outcome = if job.queued.elapsed() > shared.max_wait {
        stats.skipped.fetch_add(1, Ordering::Relaxed);
        Outcome::Verdict(AuthVerdict::Reject)
    } else {
        let now = stats.running.fetch_add(1, Ordering::SeqCst) + 1;
        stats.peak.fetch_max(now, Ordering::SeqCst);
        let outcome = match job.work {
            Pending::Check(c) => c.run(hasher, &shared.dummy, &shared.changed),
            Pending::Store(n) => Outcome::Verdict(n.run(&shared.changed)),
        };
        stats.running.fetch_sub(1, Ordering::SeqCst);
        stats.hashed.fetch_add(1, Ordering::Relaxed);
        outcome
    };
    // A closed connection in the meantime: the answer is dropped with the channel.
    let _ = job.reply.blocking_send(AppMsg::AuthOutcome { id, outcome });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::auth::PasswordCheck;
    use argon2::password_hash::CustomizedPasswordHasher;

    /// A PHC string of "right" that takes tens of milliseconds to check (made once).
    fn slowish() -> String {
        static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
        HASH.get_or_init(|| {
            argon2::Argon2::default()
                .hash_password_customized(
                    b"right",
                    b"saltsaltsalt",
                    None,
                    None,
                    argon2::Params::new(8192, 4, 1, None).unwrap(),
                )
                .unwrap()
                .to_string()
        })
        .clone()
    }

    fn pool(workers: usize, queue: usize, max_wait: Duration) -> HashPool {
        let hash = slowish();
        HashPool::start(
            PoolSettings {
                workers,
                queue,
                max_wait,
            },
            DummyHash::for_hashes([hash.as_str()]).unwrap(),
            Arc::default(),
        )
        .unwrap()
    }

    fn check(id: u64, password: &str) -> Pending {
        Pending::Check(PasswordCheck::for_test(id, Some(slowish()), password))
    }

    fn verdict(msg: AppMsg) -> (u64, bool) {
        match msg {
            AppMsg::AuthOutcome {
                id,
                outcome: Outcome::Verdict(v),
            } => (id, matches!(v, AuthVerdict::Accept)),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn at_most_workers_at_once_and_a_full_queue_refuses() {
        let p = pool(2, 4, Duration::from_secs(60));
        let (tx, mut rx) = mpsc::channel(64);
        let mut refused = 0;
        for id in 0..30 {
            let pw = if id == 0 { "right" } else { "wrong" };
            if p.submit(check(id, pw), tx.clone()).is_err() {
                refused += 1;
            }
        }
        // 2 running + 4 waiting when the burst arrives (a check takes tens of milliseconds,
        // the burst microseconds); the rest refused at once.
        assert!(refused >= 15, "refused {refused}");
        let answered = 30 - refused;
        let mut accepted = Vec::new();
        for _ in 0..answered {
            let (id, ok) = verdict(rx.blocking_recv().unwrap());
            if ok {
                accepted.push(id);
            }
        }
        assert!(accepted.is_empty() || accepted == [0], "{accepted:?}");
        let s = p.stats();
        assert!(s.peak.load(Ordering::SeqCst) <= 2, "peak {s:?}");
        assert_eq!(s.hashed.load(Ordering::Relaxed), answered);
        assert_eq!(s.refused.load(Ordering::Relaxed), refused);
    }

    #[test]
    fn checks_of_closed_connections_and_stale_checks_are_not_hashed() {
        let p = pool(1, 16, Duration::from_secs(60));
        let (tx, rx) = mpsc::channel(8);
        drop(rx);
        for id in 0..5 {
            assert!(p.submit(check(id, "right"), tx.clone()).is_ok());
        }
        let (tx, mut rx) = mpsc::channel(8);
        assert!(p.submit(check(9, "right"), tx).is_ok());
        assert_eq!(verdict(rx.blocking_recv().unwrap()), (9, true));
        assert_eq!(p.stats().skipped.load(Ordering::Relaxed), 5);
        assert_eq!(p.stats().hashed.load(Ordering::Relaxed), 1);

        let p = pool(1, 16, Duration::ZERO);
        let (tx, mut rx) = mpsc::channel(8);
        assert!(p.submit(check(3, "right"), tx).is_ok());
        assert_eq!(verdict(rx.blocking_recv().unwrap()), (3, false), "stale");
        assert_eq!(p.stats().hashed.load(Ordering::Relaxed), 0);
    }
}
