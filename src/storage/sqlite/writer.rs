//! The single writer of a SQLite database, with group commit.
//!
//! Every write is a job run on one thread that owns the write connection. The thread opens one
//! transaction, runs the jobs waiting and those that arrive meanwhile, each inside its own
//! savepoint (a failing job is rolled back alone and keeps its own error), and commits once.
//! The commit writes the group's pages to the WAL without waiting for the disk; the
//! [`sync`](super::sync) thread then makes the WAL durable with one fsync and only then answers
//! every job of the group. While that fsync runs, the writer already gathers the next group in
//! a new transaction and commits it as soon as the disk is free again: writes are bound by the
//! CPU, not by the fsync rate, and no request is acknowledged before its commit is durable.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, mpsc};

use rusqlite::Connection;
use tokio::sync::oneshot;

use super::checkpoint::Checkpointer;
use super::sync::{Batch, Completion, SYNC_THREADS, Syncer};
use crate::storage::{StoreError, StoreResult};

/// How many waiting jobs one transaction takes at most.
const MAX_GROUP: usize = 512;

/// One queued write: run inside a savepoint, or failed unrun when no transaction could start.
pub(super) trait Job: Send {
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
    /// `PRAGMA data_version` read when the group's transaction began. No other connection can
    /// commit while the writer holds the write lock, so it holds for the whole group.
    pub data_version: i64,
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

/// What the writer thread receives.
pub(super) enum Msg {
    Job(Box<dyn Job>),
    /// A sync thread made this many committed groups durable.
    Synced(usize),
    /// The last [`Writer`] is gone: commit what is open and stop.
    Shutdown,
}

#[derive(Clone)]
pub struct Writer {
    inner: Arc<Queue>,
}

struct Queue {
    jobs: mpsc::Sender<Msg>,
}

impl Drop for Queue {
    fn drop(&mut self) {
        let _ = self.jobs.send(Msg::Shutdown);
    }
}

impl Writer {
    /// Starts the writer, its sync threads and its checkpoint thread on `conn`, whose database
    /// is a file in WAL mode.
    pub fn start(mut conn: Connection) -> rusqlite::Result<Writer> {
        // The writer's commits do not wait for the disk (NORMAL is crash-safe in WAL mode); the
        // sync threads fsync the WAL before any job of the group is answered. Checkpoints still
        // sync the WAL and the database file. A larger cache keeps the pages the writer touches
        // (random index pages of PINs and users) instead of reading them again.
        conn.execute_batch(
            "PRAGMA synchronous = NORMAL;
             PRAGMA cache_size = -8192;",
        )?;
        let path = conn.path().unwrap_or_default().to_owned();
        let checkpointer = Checkpointer::start(&mut conn, path.as_ref())?;
        let wal = format!("{path}-wal");
        let (jobs, queue) = mpsc::channel::<Msg>();
        let syncer = Syncer::start(wal.into(), jobs.clone());
        let state = WriteState {
            conn,
            extension_hint: ExtensionHint::default(),
            data_version: 0,
        };
        std::thread::Builder::new()
            .name("moray-sqlite-writer".into())
            .spawn(move || run(state, queue, syncer, checkpointer))
            .expect("cannot start the SQLite writer thread");
        Ok(Writer {
            inner: Arc::new(Queue { jobs }),
        })
    }

    /// Runs `work` in the next group transaction and returns its result once committed and
    /// durable.
    pub async fn write<T, F>(&self, work: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut WriteState) -> StoreResult<T> + Send + 'static,
    {
        // The caller's next lookup must see this write, not its poll's earlier snapshot.
        super::reads::end_read_snapshots();
        let (answer, answered) = oneshot::channel::<StoreResult<T>>();
        let job: Box<dyn Job> = Box::new(WriteJob { work, answer });
        self.inner
            .jobs
            .send(Msg::Job(job))
            .map_err(|_| StoreError::Backend("the SQLite writer has stopped".into()))?;
        answered
            .await
            .map_err(|_| StoreError::Backend("the SQLite writer dropped a job".into()))?
    }
}

/// The transaction being filled: the jobs run in it so far and what to undo if it fails.
struct Group {
    completions: Vec<Completion>,
    /// A job's changes could not be kept apart: the whole group is rolled back.
    broken: Option<String>,
    hint_before: ExtensionHint,
}

/// The writer thread. A group commits as soon as no job is waiting and a sync thread is free;
/// while all are busy, arriving jobs join the open transaction (up to [`MAX_GROUP`]).
fn run(mut state: WriteState, queue: mpsc::Receiver<Msg>, syncer: Syncer, checkpointer: Checkpointer) {
    let mut open: Option<Group> = None;
    // Committed groups not yet durable.
    let mut syncing = 0;
    let mut stopping = false;
    while !stopping {
        let Ok(first) = queue.recv() else { break };
        let mut next = Some(first);
        while let Some(msg) = next.take() {
            match msg {
                Msg::Job(job) => {
                    if open.is_none() {
                        checkpointer.catch_up(&state.conn);
                        open = begin(&mut state, job);
                    } else if let Some(group) = open.as_mut() {
                        run_job(&mut state, job, group);
                    }
                }
                Msg::Synced(groups) => syncing -= groups.min(syncing),
                Msg::Shutdown => stopping = true,
            }
            let full = open.as_ref().is_some_and(|g| g.completions.len() >= MAX_GROUP);
            if full {
                commit(&mut state, open.take(), &syncer);
                syncing += 1;
            }
            next = queue.try_recv().ok();
        }
        if open.is_some() && (syncing < SYNC_THREADS || stopping) {
            commit(&mut state, open.take(), &syncer);
            syncing += 1;
        }
    }
    commit(&mut state, open.take(), &syncer);
}

/// Opens a group transaction and runs `first` in it; `None` (with `first` answered) when no
/// transaction could start.
fn begin(state: &mut WriteState, first: Box<dyn Job>) -> Option<Group> {
    let started = control(&state.conn, "BEGIN IMMEDIATE").and_then(|()| {
        state
            .conn
            .prepare_cached("PRAGMA data_version")?
            .query_row([], |row| row.get(0))
    });
    match started {
        Ok(version) => state.data_version = version,
        Err(e) => {
            // Nothing ran: the job is answered with the error, unrun.
            if !state.conn.is_autocommit() {
                let _ = state.conn.execute_batch("ROLLBACK");
            }
            first.fail(e.to_string());
            return None;
        }
    }
    let mut group = Group {
        completions: Vec::new(),
        broken: None,
        hint_before: state.extension_hint,
    };
    run_job(state, first, &mut group);
    Some(group)
}

/// Runs one job in its own savepoint; its completion waits for the group's commit.
fn run_job(state: &mut WriteState, job: Box<dyn Job>, group: &mut Group) {
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
        group.broken = Some(e.to_string());
    }
    group.completions.push(completion);
}

/// Runs one transaction-control statement through the statement cache: these run several times
/// per request, and parsing them each time was a large share of the writer's work.
fn control(conn: &Connection, sql: &str) -> rusqlite::Result<()> {
    conn.prepare_cached(sql)?.execute([]).map(|_| ())
}

/// Commits the group (or rolls it back when a job broke it) and hands its answers to the sync
/// thread, which sends them once the WAL is durable.
fn commit(state: &mut WriteState, group: Option<Group>, syncer: &Syncer) {
    let Some(group) = group else { return };
    let outcome = match group.broken {
        Some(e) => Err(e),
        None => control(&state.conn, "COMMIT").map_err(|e| e.to_string()),
    };
    if outcome.is_err() {
        let _ = state.conn.execute_batch("ROLLBACK");
        state.extension_hint = group.hint_before;
    }
    syncer.send(Batch {
        completions: group.completions,
        outcome,
    });
}

#[cfg(test)]
mod tests {
    use super::super::checkpoint::RESTART_AT;
    use super::super::{SqliteStore, temp_store};
    use crate::storage::StoreResult;

    async fn store() -> (tempfile::TempDir, SqliteStore) {
        temp_store("CREATE TABLE t (n INTEGER UNIQUE, b BLOB)").await
    }

    fn insert(store: &SqliteStore, n: i64, bytes: usize) -> impl Future<Output = StoreResult<i64>> + use<> {
        let writer = store.writer.clone();
        async move {
            writer
                .write(move |s| {
                    s.conn
                        .execute("INSERT INTO t (n, b) VALUES (?1, zeroblob(?2))", (n, bytes as i64))?;
                    Ok(n)
                })
                .await
        }
    }

    /// Rows as another connection (another process) sees them: what is on disk.
    fn rows_on_disk(dir: &tempfile::TempDir) -> i64 {
        let conn = rusqlite::Connection::open(dir.path().join("t.db")).unwrap();
        conn.query_row("SELECT COUNT(*) FROM t", [], |row| row.get(0)).unwrap()
    }

    #[tokio::test]
    async fn concurrent_jobs_share_commits_and_keep_their_own_results() {
        let (dir, store) = store().await;
        // 200 jobs at once; every fifth repeats a number and fails on the unique index alone.
        let jobs: Vec<_> = (0..200)
            .map(|i| tokio::spawn(insert(&store, if i % 5 == 4 { i - 1 } else { i }, 10)))
            .collect();
        let mut ok = 0;
        let mut refused = 0;
        for job in jobs {
            match job.await.unwrap() {
                Ok(_) => ok += 1,
                Err(_) => refused += 1,
            }
        }
        // Which of two equal numbers wins depends on arrival; exactly one of each pair does.
        assert_eq!(ok + refused, 200);
        assert_eq!(ok, 160);
        // Every acknowledged row is committed and visible to another connection.
        assert_eq!(rows_on_disk(&dir), 160);
    }

    #[tokio::test]
    async fn the_wal_starts_over_under_continuous_writes() {
        let (dir, store) = store().await;
        // Rows of 40 KiB are about ten WAL frames each: three times the restart threshold.
        let rows = RESTART_AT * 3 / 10;
        for chunk in 0..rows / 64 {
            let jobs: Vec<_> = (0..64)
                .map(|i| tokio::spawn(insert(&store, chunk * 64 + i, 40 * 1024)))
                .collect();
            for job in jobs {
                job.await.unwrap().unwrap();
            }
        }
        let wal = std::fs::metadata(dir.path().join("t.db-wal")).unwrap().len();
        // The writer catches up at the first group after the checkpoint thread lets go of its
        // lock, a few groups past the threshold on a busy machine: twice the threshold (in
        // frames of a 4 KiB page and its header) is far below the 48,000 frames written.
        let bound = 2 * RESTART_AT as u64 * 4120;
        assert!(
            wal < bound,
            "WAL of {wal} bytes, more than {bound}: it never started over"
        );
        assert_eq!(rows_on_disk(&dir), rows / 64 * 64);
    }
}
