//! Read connections, one per thread that reads, and the read transactions the lookups of
//! requests share: a transaction stays open on its thread from one lookup to the next while no
//! commit happened (by any process), so a request's lookups usually start none at all.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::path::PathBuf;
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use rusqlite::Connection;
use tokio::sync::Semaphore;

use super::connect;
use super::shm_header::{MX_FRAME, WalHeader, Words};
use crate::storage::{StoreError, StoreResult};

/// Reads on the blocking pool at once (lists and scans); point lookups run on the calling thread
/// and add at most one connection per thread that runs them.
const READERS: usize = 4;

/// A kept read transaction older than this is ended at the next lookup or the end of a poll,
/// even if nothing was committed: no reader holds back a checkpoint for long (idle threads end
/// theirs at once, see [`end_read_snapshots`]).
const MAX_SNAPSHOT_AGE: Duration = Duration::from_millis(250);

/// A transaction is kept across polls only while the WAL is shorter than this (in frames). The
/// writer starts the WAL over past it (`checkpoint::RESTART_AT`), which it can only do while no
/// reader is inside the WAL: kept transactions would hold it off for good under steady load.
const KEEP_WHILE_WAL_BELOW: u32 = super::checkpoint::RESTART_AT as u32;

/// Read connections. Each thread that reads keeps its own connection per store (a thread-local),
/// so lookups on the async threads share no lock: a pool behind one mutex made the two worker
/// threads wait on each other (futex calls) several times per request.
pub(super) struct ReadPool {
    path: PathBuf,
    /// Names this pool in the thread-locals (which outlive a dropped pool): an entry belongs to
    /// it when the entry's weak reference points here; entries of dropped pools are closed.
    alive: Arc<()>,
    permits: Semaphore,
    /// Tells whether anything was committed since a kept transaction began; without it (the
    /// `-shm` file could not be mapped) a transaction ends with the poll that began it.
    header: Option<WalHeader>,
}

/// A thread's read connection to one pool.
struct Local {
    /// The pool's [`ReadPool::alive`].
    pool: Weak<()>,
    conn: Connection,
    /// For an open transaction kept across polls: the WAL-index header read before it began,
    /// and when it began.
    snapshot: Option<(Words, Instant)>,
}

thread_local! {
    static CONNECTIONS: RefCell<Vec<Local>> = const { RefCell::new(Vec::new()) };
    /// How many [`with_shared_reads`] polls are running on this thread (nested: >1).
    static IN_REQUEST: Cell<u32> = const { Cell::new(0) };
}

impl ReadPool {
    /// Call once the database is open in WAL mode (its `-shm` file exists).
    pub(super) fn new(path: PathBuf) -> ReadPool {
        ReadPool {
            header: WalHeader::map(&path),
            path,
            alive: Arc::new(()),
            permits: Semaphore::new(READERS),
        }
    }

    /// Runs `work` on the blocking pool (at most [`READERS`] at once); each of its statements
    /// reads in a transaction of its own.
    pub(super) async fn run<T, F>(self: Arc<Self>, work: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> StoreResult<T> + Send + 'static,
    {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|e| StoreError::Backend(e.to_string()))?;
        let pool = self.clone();
        tokio::task::spawn_blocking(move || pool.run_here(work))
            .await
            .map_err(|e| StoreError::Backend(format!("read task failed: {e}")))?
    }

    /// Runs `work` on this thread with the thread's connection, opened on first use. (Taken out
    /// of the thread-local while `work` runs: a nested lookup opens a second one.) Inside
    /// [`with_shared_reads`], the connection's read transaction is shared with the other
    /// lookups of the poll, and kept for later ones while nothing is committed.
    pub(super) fn run_here<T>(&self, work: impl FnOnce(&Connection) -> StoreResult<T>) -> StoreResult<T> {
        let taken = CONNECTIONS.with_borrow_mut(|connections| {
            connections.retain(|local| local.pool.strong_count() > 0);
            let found = connections
                .iter()
                .position(|local| std::ptr::eq(local.pool.as_ptr(), Arc::as_ptr(&self.alive)));
            found.map(|index| connections.swap_remove(index))
        });
        let mut local = match taken {
            Some(local) => local,
            None => Local {
                pool: Arc::downgrade(&self.alive),
                conn: connect(&self.path, false)?,
                snapshot: None,
            },
        };
        let result = self.prepare(&mut local).and_then(|()| work(&local.conn));
        CONNECTIONS.with_borrow_mut(|connections| {
            // A nested lookup opened a second connection: one per thread is enough (this one
            // closes, ending its transaction).
            if !connections.iter().any(|other| other.pool.ptr_eq(&local.pool)) {
                connections.push(local);
            }
        });
        result
    }

    /// Leaves `local` in the transaction its lookup belongs in: outside a request, none (a
    /// statement's own); in a request, the open one if it still sees the latest commit, else a
    /// new one.
    fn prepare(&self, local: &mut Local) -> StoreResult<()> {
        let open = !local.conn.is_autocommit();
        if IN_REQUEST.get() == 0 {
            if open {
                end(local);
            }
            return Ok(());
        }
        let header = self.header.as_ref().map(WalHeader::read);
        if open {
            let current = match (&local.snapshot, &header) {
                (Some((seen, began)), Some(now)) => seen == now && began.elapsed() < MAX_SNAPSHOT_AGE,
                // Begun in this poll (no header to compare): it ends with the poll.
                (None, _) => true,
                (Some(_), None) => false,
            };
            if current {
                return Ok(());
            }
            end(local);
        }
        // The header is read before the transaction's snapshot is taken: a commit in between
        // makes the next lookup start over, never keep a snapshot older than it believes.
        local.conn.prepare_cached("BEGIN")?.execute([])?;
        local.snapshot = header.filter(keeps).map(|words| (words, Instant::now()));
        Ok(())
    }
}

/// Ends `local`'s transaction (a read transaction has nothing to lose; if even COMMIT fails,
/// ROLLBACK ends it).
fn end(local: &mut Local) {
    local.snapshot = None;
    let committed = local.conn.prepare_cached("COMMIT").and_then(|mut end| end.execute([]));
    if committed.is_err() {
        let _ = local.conn.execute_batch("ROLLBACK");
    }
}

/// Whether a transaction begun with this header may be kept past its poll.
fn keeps(header: &Words) -> bool {
    header[MX_FRAME] < KEEP_WHILE_WAL_BELOW
}

/// Polls `future` so that its SQLite point lookups share read transactions: the lookups of one
/// poll share one snapshot, and a later poll (or another request on the same thread) keeps it
/// while no commit happened since it began. Every WAL read transaction takes and releases a
/// lock on the WAL index with `fcntl`, under a mutex that the threads contend for: a request
/// that looks up its caller, a device and the device's owner paid that three times. A
/// transaction is ended before a write (see [`end_read_snapshots`]) and never outlives a
/// commit it would not see: a request reads what was acknowledged before it.
pub async fn with_shared_reads<F: Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    std::future::poll_fn(|cx| {
        let _request = InRequest::enter();
        future.as_mut().poll(cx)
    })
    .await
}

struct InRequest;

impl InRequest {
    fn enter() -> InRequest {
        IN_REQUEST.set(IN_REQUEST.get() + 1);
        InRequest
    }
}

impl Drop for InRequest {
    fn drop(&mut self) {
        let depth = IN_REQUEST.get() - 1;
        IN_REQUEST.set(depth);
        if depth == 0 {
            // Transactions that are not kept (or kept long enough) end with their poll.
            end_where(|local| {
                local
                    .snapshot
                    .is_none_or(|(_, began)| began.elapsed() >= MAX_SNAPSHOT_AGE)
            });
        }
    }
}

/// Ends the read transactions this thread's connections keep: before a write is queued (the
/// caller's next lookup must see it) and when a worker thread goes idle (the runtime's park
/// hook), so that no idle thread holds back a checkpoint.
pub fn end_read_snapshots() {
    end_where(|_| true);
}

fn end_where(which: impl Fn(&Local) -> bool) {
    // `try_`: a thread-local being torn down at thread exit needs no ending.
    let _ = CONNECTIONS.try_with(|connections| {
        if let Ok(mut connections) = connections.try_borrow_mut() {
            for local in connections.iter_mut() {
                if !local.conn.is_autocommit() && which(local) {
                    end(local);
                }
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::sqlite::{SqliteStore, temp_store};

    /// Whether this thread's connection to `store` is inside a transaction, seen by a lookup.
    fn rows_and_open(store: &SqliteStore) -> (i64, bool) {
        store
            .lookup(|c| {
                let rows = c.query_row("SELECT count(*) FROM t", [], |r| r.get(0))?;
                Ok((rows, !c.is_autocommit()))
            })
            .unwrap()
    }

    fn open_transactions() -> usize {
        CONNECTIONS.with_borrow(|connections| connections.iter().filter(|l| !l.conn.is_autocommit()).count())
    }

    #[tokio::test]
    async fn lookups_outside_a_request_run_in_their_own_transaction() {
        let (_dir, store) = temp_store("CREATE TABLE t (x)").await;
        assert_eq!(rows_and_open(&store), (0, false));
        assert_eq!(open_transactions(), 0);
    }

    /// When this thread's kept transaction began, if one is kept.
    fn kept_since() -> Option<Instant> {
        CONNECTIONS.with_borrow(|connections| connections.iter().find_map(|l| l.snapshot.map(|(_, at)| at)))
    }

    #[tokio::test]
    async fn lookups_share_a_transaction_kept_until_a_commit_or_idle() {
        let (dir, store) = temp_store("CREATE TABLE t (x)").await;
        // Another connection, as another process would commit.
        let other = Connection::open(dir.path().join("t.db")).unwrap();
        let seen = with_shared_reads(async {
            let first = rows_and_open(&store);
            let began = kept_since();
            let second = rows_and_open(&store);
            // A wait that pends ends the poll; with nothing committed the transaction is kept.
            tokio::task::yield_now().await;
            let kept_after_yield = (open_transactions(), kept_since() == began);
            other.execute("INSERT INTO t VALUES (1)", []).unwrap();
            // The commit changed the WAL-index header: the next lookup starts over and sees it.
            let after_commit = rows_and_open(&store);
            let began_again = kept_since() != began;
            (first, second, kept_after_yield, after_commit, began_again)
        })
        .await;
        assert_eq!(seen, ((0, true), (0, true), (1, true), (1, true), true));
        // Between requests the transaction stays; an idle thread ends it.
        assert_eq!(open_transactions(), 1);
        end_read_snapshots();
        assert_eq!((open_transactions(), kept_since()), (0, None));
    }

    #[tokio::test]
    async fn a_kept_transaction_is_not_kept_past_its_age_limit() {
        let (_dir, store) = temp_store("CREATE TABLE t (x)").await;
        let began = with_shared_reads(async {
            rows_and_open(&store);
            kept_since()
        })
        .await
        .unwrap();
        tokio::time::sleep(MAX_SNAPSHOT_AGE + Duration::from_millis(20)).await;
        let again = with_shared_reads(async {
            rows_and_open(&store);
            kept_since()
        })
        .await
        .unwrap();
        assert!(again > began + MAX_SNAPSHOT_AGE);
    }

    #[tokio::test]
    async fn a_lookup_outside_a_request_ends_a_kept_transaction_first() {
        let (dir, store) = temp_store("CREATE TABLE t (x)").await;
        with_shared_reads(async { rows_and_open(&store) }).await;
        assert_eq!(open_transactions(), 1);
        Connection::open(dir.path().join("t.db"))
            .unwrap()
            .execute("INSERT INTO t VALUES (1)", [])
            .unwrap();
        assert_eq!(rows_and_open(&store), (1, false));
    }

    #[test]
    fn transactions_are_not_kept_once_the_wal_is_due_to_start_over() {
        let mut header = Words::default();
        header[MX_FRAME] = KEEP_WHILE_WAL_BELOW - 1;
        assert!(keeps(&header));
        header[MX_FRAME] = KEEP_WHILE_WAL_BELOW;
        assert!(!keeps(&header));
    }

    #[tokio::test]
    async fn a_nested_lookup_leaves_one_connection_per_thread() {
        let (_dir, store) = temp_store("CREATE TABLE t (x)").await;
        let nested =
            store.lookup(|_| store.lookup(|c| Ok(c.query_row("SELECT count(*) FROM t", [], |r| r.get::<_, i64>(0))?)));
        assert_eq!(nested.unwrap(), 0);
        assert_eq!(CONNECTIONS.with_borrow(Vec::len), 1);
    }

    #[tokio::test]
    async fn without_the_header_a_transaction_ends_with_its_poll() {
        let (dir, _store) = temp_store("CREATE TABLE t (x)").await;
        let pool = ReadPool {
            header: None,
            ..ReadPool::new(dir.path().join("t.db"))
        };
        let count = |pool: &ReadPool| {
            pool.run_here(|c| {
                Ok((
                    c.query_row("SELECT count(*) FROM t", [], |r| r.get::<_, i64>(0))?,
                    !c.is_autocommit(),
                ))
            })
            .unwrap()
        };
        let seen = with_shared_reads(async {
            let first = count(&pool);
            let second = count(&pool);
            tokio::task::yield_now().await;
            (first, second, open_transactions())
        })
        .await;
        assert_eq!(seen, ((0, true), (0, true), 0));
        assert_eq!(open_transactions(), 0);
    }

    #[tokio::test]
    async fn a_request_reads_its_own_write_and_others_commits_after_a_wait() {
        let (_dir, store) = temp_store("CREATE TABLE t (x)").await;
        let other = store.writer.clone();
        let seen = with_shared_reads(async {
            let before = rows_and_open(&store).0;
            store
                .writer
                .write(|s| Ok(s.conn.execute("INSERT INTO t VALUES (1)", [])?))
                .await
                .unwrap();
            let after_own_write = rows_and_open(&store).0;
            // Another request's write, committed while this one waits.
            tokio::spawn(async move {
                other
                    .write(|s| Ok(s.conn.execute("INSERT INTO t VALUES (2)", [])?))
                    .await
            })
            .await
            .unwrap()
            .unwrap();
            let after_other_write = rows_and_open(&store).0;
            (before, after_own_write, after_other_write)
        })
        .await;
        assert_eq!(seen, (0, 1, 2));
    }
}
