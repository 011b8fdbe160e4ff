//! The sync threads of the SQLite writer: make committed groups durable with one fsync of the
//! WAL for every group waiting, then answer their jobs (see [`writer`](super::writer)). Up to
//! [`SYNC_THREADS`] fsyncs run at once: a group committed while another group's fsync runs does
//! not wait for that fsync to end before its own starts.

use std::fs::File;
use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

use super::writer::Msg;

/// Test-only knob: milliseconds slept before each fsync of the WAL, to emulate a slow disk
/// (issue 4). Off by default.
pub const COMMIT_DELAY_ENV: &str = "MORAY_TEST_COMMIT_DELAY_MS";

/// fsyncs of the WAL in flight at once at most. Three rather than two: with a slow disk (the
/// 2 ms commit delay) a group waited for a free sync thread; `device_create` gained 8 % there
/// (10,500 → 11,300 req/s) and stayed level without the delay; four lost 4 % without it.
pub const SYNC_THREADS: usize = 3;

/// Called once the group's commit is durable (or failed), with the outcome.
pub type Completion = Box<dyn FnOnce(Result<(), String>) + Send>;

/// A committed (or rolled back) group whose jobs wait for their answer.
pub struct Batch {
    pub completions: Vec<Completion>,
    /// The COMMIT's outcome; a failed group needs no fsync and is answered with its error.
    pub outcome: Result<(), String>,
}

pub struct Syncer {
    batches: mpsc::Sender<Batch>,
}

impl Syncer {
    /// Starts the [`SYNC_THREADS`] threads that sync `wal` (the database's `-wal` file) and tell
    /// the writer through `writer` after each fsync.
    pub fn start(wal: PathBuf, writer: mpsc::Sender<Msg>) -> Syncer {
        let delay = std::env::var(COMMIT_DELAY_ENV)
            .ok()
            .and_then(|v| v.parse::<u64>().ok())
            .filter(|ms| *ms > 0)
            .map(Duration::from_millis);
        let (batches, queue) = mpsc::channel();
        let shared = Arc::new(Shared {
            queue: Mutex::new(queue),
            failed: Mutex::new(None),
        });
        for n in 0..SYNC_THREADS {
            let (shared, wal, writer) = (shared.clone(), WalFile::new(wal.clone()), writer.clone());
            std::thread::Builder::new()
                .name(format!("moray-sqlite-sync-{n}"))
                .spawn(move || run(&shared, wal, delay, &writer))
                .expect("cannot start a SQLite sync thread");
        }
        Syncer { batches }
    }

    pub fn send(&self, batch: Batch) {
        if let Err(mpsc::SendError(batch)) = self.batches.send(batch) {
            answer(batch, &Err("the SQLite sync thread has stopped".into()));
        }
    }
}

/// What the sync threads share.
struct Shared {
    queue: Mutex<mpsc::Receiver<Batch>>,
    /// The first failed fsync. After one, the kernel may have dropped the pages it could not
    /// write and a later fsync can succeed without them: no later commit is called durable.
    failed: Mutex<Option<String>>,
}

/// Each round takes every batch waiting, syncs once, tells the writer how many batches are
/// durable, then answers them in commit order. Ends when the writer is gone.
fn run(shared: &Shared, mut wal: WalFile, delay: Option<Duration>, writer: &mpsc::Sender<Msg>) {
    loop {
        let round: Vec<Batch> = {
            let Ok(queue) = shared.queue.lock() else { return };
            let Ok(first) = queue.recv() else { return };
            std::iter::once(first).chain(queue.try_iter()).collect()
        };
        let synced = if round.iter().any(|batch| batch.outcome.is_ok()) {
            if let Some(delay) = delay {
                std::thread::sleep(delay);
            }
            let result = wal.sync().map_err(|e| format!("cannot sync the WAL: {e}"));
            let mut failed = shared.failed.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            if let Err(e) = &result
                && failed.is_none()
            {
                tracing::error!(target: "moray::storage", error = %e, "writes are no longer durable; restart moray");
                *failed = Some(e.clone());
            }
            match &*failed {
                Some(e) => Err(e.clone()),
                None => result,
            }
        } else {
            Ok(())
        };
        let _ = writer.send(Msg::Synced(round.len()));
        for batch in round {
            answer(batch, &synced);
        }
    }
}

fn answer(batch: Batch, synced: &Result<(), String>) {
    let outcome = batch.outcome.and(synced.clone());
    for completion in batch.completions {
        completion(outcome.clone());
    }
}

/// The WAL file, opened once. SQLite does not delete or replace it while the writer's connection
/// is open (the connection's shared lock keeps it); each sync still checks that the path names
/// the file of the handle, so that an fsync never goes to a file SQLite no longer writes.
struct WalFile {
    path: PathBuf,
    file: Option<File>,
}

impl WalFile {
    fn new(path: PathBuf) -> WalFile {
        WalFile { path, file: None }
    }

    fn sync(&mut self) -> std::io::Result<()> {
        let current = std::fs::metadata(&self.path)?.ino();
        let file = match self.file.take() {
            Some(file) if file.metadata()?.ino() == current => file,
            _ => File::open(&self.path)?,
        };
        let result = file.sync_data();
        self.file = Some(file);
        result
    }
}
