//! Read connections, one per thread that reads, and the read transaction that the lookups of one
//! poll of a request share.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::path::PathBuf;
use std::sync::{Arc, Weak};

use rusqlite::Connection;
use tokio::sync::Semaphore;

use super::connect;
use crate::storage::{StoreError, StoreResult};

/// Reads on the blocking pool at once (lists and scans); point lookups run on the calling thread
/// and add at most one connection per thread that runs them.
const READERS: usize = 4;

/// Read connections. Each thread that reads keeps its own connection per store (a thread-local),
/// so lookups on the async threads share no lock: a pool behind one mutex made the two worker
/// threads wait on each other (futex calls) several times per request.
pub(super) struct ReadPool {
    path: PathBuf,
    /// Names this pool in the thread-locals (which outlive a dropped pool): an entry belongs to
    /// it when the entry's weak reference points here; entries of dropped pools are closed.
    alive: Arc<()>,
    permits: Semaphore,
}

/// A thread's read connections, each with its pool's [`ReadPool::alive`].
type LocalConnections = Vec<(Weak<()>, Connection)>;

thread_local! {
    static CONNECTIONS: RefCell<LocalConnections> = const { RefCell::new(Vec::new()) };
    /// How many [`one_snapshot_per_poll`] polls are running on this thread (nested: >1).
    static SHARED_SNAPSHOT: Cell<u32> = const { Cell::new(0) };
}

impl ReadPool {
    pub(super) fn new(path: PathBuf) -> ReadPool {
        ReadPool {
            path,
            alive: Arc::new(()),
            permits: Semaphore::new(READERS),
        }
    }

    /// Runs `work` on the blocking pool (at most [`READERS`] at once), in a read transaction of
    /// its own.
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
    /// [`one_snapshot_per_poll`], the connection's read transaction is left open for the next
    /// lookup of the same poll.
    pub(super) fn run_here<T>(&self, work: impl FnOnce(&Connection) -> StoreResult<T>) -> StoreResult<T> {
        let entry = CONNECTIONS.with_borrow_mut(|connections| {
            connections.retain(|(pool, _)| pool.strong_count() > 0);
            let found = connections
                .iter()
                .position(|(pool, _)| std::ptr::eq(pool.as_ptr(), Arc::as_ptr(&self.alive)));
            found.map(|index| connections.swap_remove(index))
        });
        let entry = match entry {
            Some(entry) => entry,
            None => (Arc::downgrade(&self.alive), connect(&self.path, false)?),
        };
        let result = begin_if_shared(&entry.1).and_then(|()| work(&entry.1));
        CONNECTIONS.with_borrow_mut(|connections| connections.push(entry));
        result
    }
}

/// Polls `future` so that the point lookups of each poll share one read transaction (one
/// snapshot), ended when the poll returns. Every read transaction of SQLite's WAL takes and
/// releases a lock on the WAL index, with `fcntl` under a mutex that the threads contend for: a
/// request that looks up its caller, a device and the device's owner paid that three times. A
/// transaction never outlives a poll, so it never spans a wait (a write's commit, a password
/// hash), and a write ends it first (see [`end_shared_snapshot`]): a request reads what it wrote.
pub async fn one_snapshot_per_poll<F: Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    std::future::poll_fn(|cx| {
        let _shared = SharedSnapshot::enter();
        future.as_mut().poll(cx)
    })
    .await
}

struct SharedSnapshot;

impl SharedSnapshot {
    fn enter() -> SharedSnapshot {
        SHARED_SNAPSHOT.set(SHARED_SNAPSHOT.get() + 1);
        SharedSnapshot
    }
}

impl Drop for SharedSnapshot {
    fn drop(&mut self) {
        let depth = SHARED_SNAPSHOT.get() - 1;
        SHARED_SNAPSHOT.set(depth);
        if depth == 0 {
            end_shared_snapshot();
        }
    }
}

/// Inside [`one_snapshot_per_poll`], opens the connection's read transaction if none is open.
fn begin_if_shared(conn: &Connection) -> StoreResult<()> {
    if SHARED_SNAPSHOT.get() > 0 && conn.is_autocommit() {
        conn.prepare_cached("BEGIN")?.execute([])?;
    }
    Ok(())
}

/// Ends the read transactions this thread's connections hold, so that the next lookup sees every
/// commit made until then (a write calls this before it is queued).
pub(super) fn end_shared_snapshot() {
    CONNECTIONS.with_borrow(|connections| {
        for (_, conn) in connections.iter().filter(|(_, conn)| !conn.is_autocommit()) {
            // A read transaction has nothing to lose; if even COMMIT fails, ROLLBACK ends it.
            let committed = conn.prepare_cached("COMMIT").and_then(|mut end| end.execute([]));
            if committed.is_err() {
                let _ = conn.execute_batch("ROLLBACK");
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
        CONNECTIONS.with_borrow(|connections| connections.iter().filter(|(_, c)| !c.is_autocommit()).count())
    }

    #[tokio::test]
    async fn lookups_outside_a_request_run_in_their_own_transaction() {
        let (_dir, store) = temp_store("CREATE TABLE t (x)").await;
        assert_eq!(rows_and_open(&store), (0, false));
        assert_eq!(open_transactions(), 0);
    }

    #[tokio::test]
    async fn lookups_of_one_poll_share_a_transaction_that_ends_with_the_poll() {
        let (_dir, store) = temp_store("CREATE TABLE t (x)").await;
        let seen = one_snapshot_per_poll(async {
            let first = rows_and_open(&store);
            let second = rows_and_open(&store);
            let open_before_yield = open_transactions();
            // A wait that pends ends the poll, and with it the transaction.
            tokio::task::yield_now().await;
            let open_after_yield = open_transactions();
            (first, second, open_before_yield, open_after_yield)
        })
        .await;
        assert_eq!(seen, ((0, true), (0, true), 1, 0));
        assert_eq!(open_transactions(), 0, "nothing stays open after the request");
    }

    #[tokio::test]
    async fn a_request_reads_its_own_write_and_others_commits_after_a_wait() {
        let (_dir, store) = temp_store("CREATE TABLE t (x)").await;
        let other = store.writer.clone();
        let seen = one_snapshot_per_poll(async {
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
