//! The single writer of a SQLite database, with group commit.
//!
//! Every write is a job run on one thread that owns the write connection. The thread takes all
//! jobs waiting, opens one transaction, runs each job inside its own savepoint (a failing job is
//! rolled back alone and keeps its own error), commits once, and only then answers every job:
//! one fsync for the whole group, and no request is acknowledged before its commit is durable.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc;
use std::time::Duration;

use rusqlite::Connection;
use tokio::sync::oneshot;

use crate::storage::{StoreError, StoreResult};

/// How many waiting jobs one transaction takes at most.
const MAX_GROUP: usize = 512;

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
    while let Ok(first) = queue.recv() {
        let mut group = vec![first];
        while group.len() < MAX_GROUP {
            match queue.try_recv() {
                Ok(job) => group.push(job),
                Err(_) => break,
            }
        }
        run_group(&mut state, group, commit_delay);
    }
}

/// Runs one transaction-control statement through the statement cache: these run several times
/// per request, and parsing them each time was a large share of the writer's work.
fn control(conn: &Connection, sql: &str) -> rusqlite::Result<()> {
    conn.prepare_cached(sql)?.execute([]).map(|_| ())
}

fn run_group(state: &mut WriteState, group: Vec<Box<dyn Job>>, commit_delay: Option<Duration>) {
    if let Err(e) = control(&state.conn, "BEGIN IMMEDIATE") {
        // Nothing ran: every job in the group is answered with the error, unrun.
        for job in group {
            job.fail(e.to_string());
        }
        return;
    }
    let hint_before = state.extension_hint;
    let mut completions = Vec::with_capacity(group.len());
    let mut broken = None;
    for job in group {
        if let Err(e) = control(&state.conn, "SAVEPOINT job") {
            job.fail(e.to_string());
            continue;
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
            broken = Some(e.to_string());
        }
        completions.push(completion);
    }
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
}
