//! The log sink: lines are gathered in memory and written to standard error in batches by one
//! thread, so a request's log line costs a copy into a buffer instead of a `write(2)` on the
//! request path (issue 4: at tens of thousands of requests per second that syscall was a large
//! share of a request's cost). A line reaches stderr within [`FLUSH_INTERVAL`]; nothing is
//! dropped: a writer that falls [`MAX_PENDING`] bytes behind makes the loggers wait.

use std::io::Write;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::Duration;

use tracing_subscriber::fmt::MakeWriter;

mod line;
pub use line::LineFormat;

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
    /// Starts the writer thread for standard error. Falls back to writing each line directly
    /// when no thread can be started.
    pub fn start() -> LogSink {
        LogSink::to(std::io::stderr())
    }

    /// Starts the writer thread for `out`.
    fn to(out: impl Write + Send + 'static) -> LogSink {
        let shared = Arc::new(Shared::default());
        let for_thread = shared.clone();
        let started = std::thread::Builder::new()
            .name("moray-log".into())
            .spawn(move || write_batches(&for_thread, out));
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
                return; // the output is blocked: exit without the last lines rather than hang
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
fn write_batches(shared: &Shared, mut out: impl Write) {
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
        let _ = out.write_all(&spare).and_then(|()| out.flush());
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

    /// An output the test can read.
    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn every_line_is_written_whole_and_in_order_by_the_flush() {
        let out = Captured::default();
        let sink = LogSink::to(out.clone());
        let threads: Vec<_> = (0..4)
            .map(|t| {
                let sink = sink.clone();
                std::thread::spawn(move || {
                    for n in 0..2000 {
                        let mut writer = sink.make_writer();
                        write!(writer, "thread {t} ").unwrap();
                        writeln!(writer, "line {n}").unwrap();
                    }
                })
            })
            .collect();
        threads.into_iter().for_each(|t| t.join().unwrap());
        sink.flush();
        let text = String::from_utf8(out.0.lock().unwrap().clone()).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 8000);
        for t in 0..4 {
            let own: Vec<&str> = lines
                .iter()
                .copied()
                .filter(|l| l.starts_with(&format!("thread {t} ")))
                .collect();
            let expected: Vec<String> = (0..2000).map(|n| format!("thread {t} line {n}")).collect();
            assert_eq!(own, expected, "thread {t}'s lines whole and in order");
        }
    }

    #[test]
    fn lines_wait_in_memory_until_the_interval_or_a_flush() {
        let out = Captured::default();
        let sink = LogSink::to(out.clone());
        writeln!(sink.make_writer(), "one line").unwrap();
        // Written within the interval, without a flush.
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while out.0.lock().unwrap().is_empty() {
            assert!(std::time::Instant::now() < deadline, "the line was never written");
            std::thread::sleep(Duration::from_millis(5));
        }
        assert_eq!(&out.0.lock().unwrap()[..], b"one line\n");
    }
}
