//! The single writer of a SQLite database, with group commit.
//!
//! Every write is a job run on one thread that owns the write connection. The thread opens one
//! transaction, runs the jobs waiting and those that arrive meanwhile, each inside its own
//! savepoint (a failing job is rolled back alone and keeps its own error), commits once, and only
//! then answers every job: one fsync for the whole group, and no request is acknowledged before
//! its commit is durable.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use rusqlite::Connection;
use tokio::sync::oneshot;

use crate::storage::{StoreError, StoreResult};

/// How many waiting jobs one transaction takes at most.
const MAX_GROUP: usize = 512;

/// Once no job is waiting, a group still takes the jobs that arrive until half the previous
/// commit's duration has passed since it began (at most [`MAX_GATHER`]). With a slow disk, the
/// requests answered by the last commit come back during that time and share the next one,
/// instead of arriving just after it started and waiting a whole commit more; with fast commits
/// the wait is negligible.
const MAX_GATHER: Duration = Duration::from_millis(2);

/// Test-only knob: milliseconds slept before each COMMIT, to emulate a slow disk (issue 4).
pub const COMMIT_DELAY_ENV: &str = "MORAY_TEST_COMMIT_DELAY_MS";

/// Called once the group's COMMIT has finished, with its outcome.
type Completion = Box<dyn FnOnce(Result<(), String>) + Send>;

/// One queued write: run inside a savepoint, or failed unrun when no transaction could start.
trait Job: Send {
    /// Runs the work; says whether to keep its changes and how to answer after the commit.
    fn run(self: Box<Self>, state: &mut WriteState) -> (bool, Completion);
    fn fail(self: Box<Self>, message: String);
}

struct WriteJob<T, F> {
    work: F,
    answer: oneshot::Sender<StoreResult<T>>,
}

impl<T, F> Job for WriteJob<T, F>
where
    T: Send + 'static,
    F: FnOnce(&mut WriteState) -> StoreResult<T> + Send + 'static,
{
    fn run(self: Box<Self>, state: &mut WriteState) -> (bool, Completion) {
        let WriteJob { work, answer } = *self;
        let result = catch_unwind(AssertUnwindSafe(|| work(state)))
            .unwrap_or_else(|_| Err(StoreError::Backend("write job panicked".into())));
        let keep = result.is_ok();
        let completion: Completion = Box::new(move |commit| {
            let outcome = match commit {
                Ok(()) => result,
                Err(e) => Err(StoreError::Backend(e)),
            };
            let _ = answer.send(outcome);
        });
        (keep, completion)
    }

    fn fail(self: Box<Self>, message: String) {
        let _ = self.answer.send(Err(StoreError::Backend(message)));
    }
}

/// What the writer thread owns: the connection and in-memory hints that only it may touch.
pub struct WriteState {
    pub conn: Connection,
    pub extension_hint: ExtensionHint,
}

/// Where the next search for a free device extension starts (spec D.6). The default hint is
/// never trusted: the search starts at the range start.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ExtensionHint {
    /// The range start this hint is for.
    pub min: i64,
    /// Every integer in [min, next) is taken as a device extension or username.
    pub next: i64,
    /// `PRAGMA data_version` when the hint was made. It changes when another connection (another
    /// process sharing the database) commits, which may have freed a number below `next`.
    pub version: Option<i64>,
}

#[derive(Clone)]
pub struct Writer {
    jobs: mpsc::Sender<Box<dyn Job>>,
}

impl Writer {
    pub fn start(conn: Connection) -> Writer {
        let (jobs, queue) = mpsc::channel::<Box<dyn Job>>();
        let commit_delay = std::env::var(COMMIT_DELAY_ENV)
            .ok()
            .and_then(|v| v.parse::<u64>().ok())
            .filter(|ms| *ms > 0)
            .map(Duration::from_millis);
        let state = WriteState {
            conn,
            extension_hint: ExtensionHint::default(),
        };
        std::thread::Builder::new()
            .name("moray-sqlite-writer".into())
            .spawn(move || run(state, queue, commit_delay))
            .expect("cannot start the SQLite writer thread");
        Writer { jobs }
    }

    /// Runs `work` in the next group transaction and returns its result once committed.
    pub async fn write<T, F>(&self, work: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut WriteState) -> StoreResult<T> + Send + 'static,
    {
        let (answer, answered) = oneshot::channel::<StoreResult<T>>();
        let job: Box<dyn Job> = Box::new(WriteJob { work, answer });
        self.jobs
            .send(job)
            .map_err(|_| StoreError::Backend("the SQLite writer has stopped".into()))?;
        answered
            .await
            .map_err(|_| StoreError::Backend("the SQLite writer dropped a job".into()))?
    }
}

fn run(mut state: WriteState, queue: mpsc::Receiver<Box<dyn Job>>, commit_delay: Option<Duration>) {
    let mut last_commit = Duration::ZERO;
    while let Ok(first) = queue.recv() {
        let gather_until = Instant::now() + (last_commit / 2).min(MAX_GATHER);
        let committing = run_group(&mut state, first, &queue, gather_until, commit_delay);
        last_commit = committing.elapsed();
    }
}

/// Runs one job in its own savepoint; its completion waits for the group's commit.
fn run_job(state: &mut WriteState, job: Box<dyn Job>, completions: &mut Vec<Completion>, broken: &mut Option<String>) {
    if let Err(e) = control(&state.conn, "SAVEPOINT job") {
        job.fail(e.to_string());
        return;
    }
    // A job rolled back alone takes back what it told the hint (an extension it allocated).
    let hint_at_job = state.extension_hint;
    let (keep, completion) = job.run(state);
    let end = if keep {
        control(&state.conn, "RELEASE job")
    } else {
        state.extension_hint = hint_at_job;
        control(&state.conn, "ROLLBACK TO job").and_then(|()| control(&state.conn, "RELEASE job"))
    };
    if let Err(e) = end {
        // A job's changes could not be kept apart: the whole group is rolled back.
        *broken = Some(e.to_string());
    }
    completions.push(completion);
}

/// Runs one transaction-control statement through the statement cache: these run several times
/// per request, and parsing them each time was a large share of the writer's work.
fn control(conn: &Connection, sql: &str) -> rusqlite::Result<()> {
    conn.prepare_cached(sql)?.execute([]).map(|_| ())
}

/// One transaction: `first`, then every job that arrives while the group's jobs run or before
/// `gather_until` (at most [`MAX_GROUP`]). Then one COMMIT for all of them. Returns when the
/// commit began.
fn run_group(
    state: &mut WriteState,
    first: Box<dyn Job>,
    queue: &mpsc::Receiver<Box<dyn Job>>,
    gather_until: Instant,
    commit_delay: Option<Duration>,
) -> Instant {
    if let Err(e) = control(&state.conn, "BEGIN IMMEDIATE") {
        // Nothing ran: the jobs waiting are answered with the error, unrun.
        first.fail(e.to_string());
        while let Ok(job) = queue.try_recv() {
            job.fail(e.to_string());
        }
        return Instant::now();
    }
    let hint_before = state.extension_hint;
    let mut completions = Vec::new();
    let mut broken = None;
    let mut taken = 1;
    let mut pending = Some(first);
    while let Some(job) = pending.take() {
        run_job(state, job, &mut completions, &mut broken);
        if taken < MAX_GROUP {
            pending = queue.try_recv().ok().or_else(|| {
                let left = gather_until.saturating_duration_since(Instant::now());
                (!left.is_zero()).then(|| queue.recv_timeout(left).ok()).flatten()
            });
            taken += 1;
        }
    }
    let committing = Instant::now();
    if let Some(delay) = commit_delay {
        std::thread::sleep(delay);
    }
    let outcome = match broken {
        Some(e) => Err(e),
        None => control(&state.conn, "COMMIT").map_err(|e| e.to_string()),
    };
    if outcome.is_err() {
        let _ = state.conn.execute_batch("ROLLBACK");
        state.extension_hint = hint_before;
    }
    for completion in completions {
        completion(outcome.clone());
    }
    committing
}
