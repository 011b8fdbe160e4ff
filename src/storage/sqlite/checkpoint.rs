//! Checkpoints off the writer's thread. SQLite's automatic checkpoint runs inside the COMMIT
//! that crosses its threshold: the writer stopped for the whole copy (a pread and a pwrite per
//! WAL frame, two fsyncs) while every request queued behind it. Here a thread of its own, with
//! its own connection, copies the WAL into the database while the writer goes on; the writer
//! only catches up (a short checkpoint of the last frames) when the WAL has grown long, so that
//! SQLite can start the WAL over from its beginning.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::mpsc;

use rusqlite::Connection;

/// WAL frames written since the last background checkpoint that wake the checkpoint thread.
const CHECKPOINT_EVERY: i64 = 4000;

/// WAL frames beyond which the writer checkpoints itself before its next transaction: only then
/// can SQLite restart the WAL, which under continuous writes would otherwise grow without end.
pub const RESTART_AT: i64 = 16000;

/// The writer's side: told the WAL's length after every commit.
pub struct Checkpointer {
    /// The WAL's length in frames after the last commit.
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
            hook_frames.store(i64::from(pages), Ordering::Relaxed);
            // A full queue means a wake-up is already pending.
            let _ = nudge.try_send(i64::from(pages));
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
        self.frames.store(0, Ordering::Relaxed);
        if let Err(e) = passive_checkpoint(writer) {
            tracing::warn!(target: "moray::storage", error = %e, "checkpoint failed");
        }
    }
}

fn passive_checkpoint(conn: &Connection) -> rusqlite::Result<()> {
    conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))
}

/// Checkpoints whenever [`CHECKPOINT_EVERY`] frames were added since the last one. Ends when
/// the writer's connection (which holds the hook, the only sender) is closed.
fn run(conn: Connection, nudged: mpsc::Receiver<i64>) {
    let mut copied_up_to = 0;
    while let Ok(frames) = nudged.recv() {
        if frames < copied_up_to {
            copied_up_to = 0; // the WAL started over
        }
        if frames - copied_up_to < CHECKPOINT_EVERY {
            continue;
        }
        match passive_checkpoint(&conn) {
            Ok(()) => copied_up_to = frames,
            Err(e) => tracing::warn!(target: "moray::storage", error = %e, "background checkpoint failed"),
        }
    }
}
