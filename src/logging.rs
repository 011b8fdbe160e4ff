//! The log sink: lines are gathered in memory and written to standard error in batches by one
//! thread, so a request's log line costs a copy into a buffer instead of a `write(2)` on the
//! request path (issue 4: at tens of thousands of requests per second that syscall was a large
//! share of a request's cost). A line reaches stderr within [`FLUSH_INTERVAL`]; nothing is
//! dropped: a writer that falls [`MAX_PENDING`] bytes behind makes the loggers wait.

use std::io::Write;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::Duration;

use tracing_subscriber::fmt::MakeWriter;

/// How long a line may wait in memory before it is written.
const FLUSH_INTERVAL: Duration = Duration::from_millis(20);

/// Bytes waiting that wake the writer at once instead of at the next interval.
const WAKE_AT: usize = 256 * 1024;

/// Bytes waiting beyond which loggers wait for the writer (stderr is slow or blocked).
const MAX_PENDING: usize = 8 * 1024 * 1024;

#[derive(Default)]
struct Pending {
    bytes: Vec<u8>,
    /// Set by [`LogSink::flush`]: write now.
    flush_requested: bool,
    /// The writer thread holds bytes taken from here that are not written yet.
    in_flight: bool,
}

#[derive(Default)]
struct Shared {
    pending: Mutex<Pending>,
    /// Wakes the writer thread.
    wake_writer: Condvar,
    /// Wakes loggers and flushers waiting for a write to finish.
    written: Condvar,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Pending> {
        // A panic while holding the lock leaves only bytes behind; keep logging.
        self.pending.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// A batching writer to standard error; clones share one buffer and one writer thread.
#[derive(Clone)]
pub struct LogSink {
    shared: Arc<Shared>,
    /// No writer thread could be started: each line is written as it comes.
    direct: bool,
}

impl LogSink {
    /// Starts the writer thread. Falls back to writing each line directly when no thread can
    /// be started.
    pub fn start() -> LogSink {
        let shared = Arc::new(Shared::default());
        let for_thread = shared.clone();
        let started = std::thread::Builder::new()
            .name("moray-log".into())
            .spawn(move || write_batches(&for_thread));
        LogSink {
            shared,
            direct: started.is_err(),
        }
    }

    /// Writes everything logged so far and returns once it is out (at exit).
    pub fn flush(&self) {
        let mut pending = self.shared.lock();
        pending.flush_requested = !pending.bytes.is_empty();
        self.shared.wake_writer.notify_one();
        while !pending.bytes.is_empty() || pending.in_flight {
            let (guard, timeout) = self
                .shared
                .written
                .wait_timeout(pending, Duration::from_secs(5))
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            pending = guard;
            if timeout.timed_out() {
                // The writer is stuck (stderr blocked): write what is left ourselves.
                let bytes = std::mem::take(&mut pending.bytes);
                let _ = std::io::stderr().lock().write_all(&bytes);
                return;
            }
        }
    }

    fn append(&self, line: &[u8]) {
        if self.direct {
            let _ = std::io::stderr().lock().write_all(line);
            return;
        }
        let mut pending = self.shared.lock();
        while pending.bytes.len() > MAX_PENDING {
            pending = self
                .shared
                .written
                .wait(pending)
                .unwrap_or_else(|poisoned| poisoned.into_inner());
        }
        pending.bytes.extend_from_slice(line);
        if pending.bytes.len() >= WAKE_AT {
            self.shared.wake_writer.notify_one();
        }
    }
}

/// The writer thread: every [`FLUSH_INTERVAL`] (or sooner when much is waiting, or on a
/// flush), takes what is waiting and writes it with one `write(2)`.
fn write_batches(shared: &Shared) {
    let mut spare = Vec::new();
    loop {
        let mut pending = shared.lock();
        if !pending.flush_requested && pending.bytes.len() < WAKE_AT {
            pending = shared
                .wake_writer
                .wait_timeout(pending, FLUSH_INTERVAL)
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .0;
        }
        pending.flush_requested = false;
        if pending.bytes.is_empty() {
            continue;
        }
        std::mem::swap(&mut pending.bytes, &mut spare);
        pending.in_flight = true;
        drop(pending);
        let _ = std::io::stderr().lock().write_all(&spare);
        spare.clear();
        if spare.capacity() > MAX_PENDING {
            spare = Vec::new();
        }
        shared.lock().in_flight = false;
        shared.written.notify_all();
    }
}

/// What one event writes: the formatted line, handed to the sink when the event is done.
pub struct LineWriter<'a> {
    sink: &'a LogSink,
    line: Vec<u8>,
}

impl Write for LineWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.line.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for LineWriter<'_> {
    fn drop(&mut self) {
        if !self.line.is_empty() {
            self.sink.append(&self.line);
        }
    }
}

impl<'a> MakeWriter<'a> for LogSink {
    type Writer = LineWriter<'a>;

    fn make_writer(&'a self) -> LineWriter<'a> {
        LineWriter {
            sink: self,
            line: Vec::with_capacity(256),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_kept_whole_and_in_order_until_flushed() {
        let sink = LogSink::start();
        for n in 0..1000 {
            let mut writer = sink.make_writer();
            write!(writer, "line {n}\n").unwrap();
        }
        assert!(sink.shared.lock().bytes.len() <= 1000 * 9);
        sink.flush();
        assert!(sink.shared.lock().bytes.is_empty());
    }
}
