//! Checkpoints off the writer's thread. SQLite's automatic checkpoint runs inside the COMMIT
//! that crosses its threshold: the writer stopped for the whole copy (a pread and a pwrite per
//! WAL frame, two fsyncs) while every request queued behind it. Here a thread of its own, with
//! its own connection, copies the WAL into the database while the writer goes on. Only the
//! writer can let SQLite start the WAL over (at the start of its transaction, once every frame
//! is copied), so when the WAL has grown long the checkpoint thread copies eagerly and the
//! writer copies the last frames itself (a short pause) before its next transaction.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::mpsc;

use rusqlite::Connection;

/// WAL frames written since the last background checkpoint that wake the checkpoint thread.
const CHECKPOINT_EVERY: i64 = 4000;

/// WAL frames beyond which the writer copies what is left before its next transaction, so that
/// the WAL starts over (under continuous writes it would otherwise grow without end).
pub const RESTART_AT: i64 = 16000;

/// Past half of [`RESTART_AT`], the checkpoint thread copies after every this many new frames,
/// so that little is left for the writer's own pause; past [`RESTART_AT`] it leaves the copy
/// to the writer.
const EAGER_EVERY: i64 = 500;

/// The writer's side: told the WAL's length after every commit.
pub struct Checkpointer {
    /// The WAL's length in frames after the writer's last commit.
    frames: Arc<AtomicI64>,
}

impl Checkpointer {
    /// Installs the commit hook on the writer's connection and starts the checkpoint thread
    /// on a connection of its own to `path`.
    pub fn start(writer: &mut Connection, path: &Path) -> rusqlite::Result<Checkpointer> {
        let own = super::connect(path, false)?;
        let frames = Arc::new(AtomicI64::new(0));
        let (nudge, nudged) = mpsc::sync_channel::<i64>(1);
        let hook_frames = frames.clone();
        // Replaces SQLite's automatic checkpoint on this connection.
        writer.wal_hook(Some(move |_: &mut rusqlite::hooks::Wal, pages: i32| {
            let pages = i64::from(pages);
            hook_frames.store(pages, Ordering::Relaxed);
            // A full queue means a wake-up is already pending.
            let _ = nudge.try_send(pages);
            Ok(())
        }))?;
        std::thread::Builder::new()
            .name("moray-sqlite-checkpoint".into())
            .spawn(move || run(own, nudged))
            .expect("cannot start the SQLite checkpoint thread");
        Ok(Checkpointer { frames })
    }

    /// Before a new group: when the WAL has grown past [`RESTART_AT`], copies its last frames
    /// (the checkpoint thread has copied the rest) so that the next commit starts it over.
    pub fn catch_up(&self, writer: &Connection) {
        if self.frames.load(Ordering::Relaxed) < RESTART_AT {
            return;
        }
        // Not done while the checkpoint thread is copying (it holds the checkpoint lock): the
        // next group tries again.
        match passive_checkpoint(writer) {
            Ok(true) => self.frames.store(0, Ordering::Relaxed),
            Ok(false) => {}
            Err(e) => tracing::warn!(target: "moray::storage", error = %e, "checkpoint failed"),
        }
    }
}

/// Copies what it can of the WAL into the database without waiting for anyone; says whether
/// every frame is copied now.
fn passive_checkpoint(conn: &Connection) -> rusqlite::Result<bool> {
    conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |row| {
        let (busy, frames, copied): (i64, i64, i64) = (row.get(0)?, row.get(1)?, row.get(2)?);
        Ok(busy == 0 && copied == frames)
    })
}

/// Checkpoints whenever enough frames were added since the last one. Ends when the writer's
/// connection (which holds the hook, the only sender) is closed.
fn run(conn: Connection, nudged: mpsc::Receiver<i64>) {
    let mut copied = 0;
    while let Ok(frames) = nudged.recv() {
        if frames < copied {
            copied = 0; // the WAL started over
        }
        let step = if frames >= RESTART_AT {
            continue; // the writer's turn
        } else if frames >= RESTART_AT / 2 {
            EAGER_EVERY
        } else {
            CHECKPOINT_EVERY
        };
        if frames - copied < step {
            continue;
        }
        match passive_checkpoint(&conn) {
            Ok(_) => copied = frames,
            Err(e) => tracing::warn!(target: "moray::storage", error = %e, "background checkpoint failed"),
        }
    }
}
