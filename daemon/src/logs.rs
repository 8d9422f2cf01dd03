//! The daemon's own log file, `logs/mcpproxy.log`, and its lines as events for attached
//! clients. (Each server's log is kept by its supervisor: `upstream/server_log.rs`.)
//!
//! Files keep a fixed name so `tail -f` and `mcpproxy upstream logs` always find them; when
//! one passes its size limit it is renamed to `NAME.log.1` (older ones shift up) and a fresh
//! file starts. Writes go through `tracing-appender`'s non-blocking worker, so a slow disk
//! never stalls the async runtime.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use tracing_subscriber::EnvFilter;

use std::sync::{Arc, OnceLock};

use crate::events::{DaemonEvent, EventBus};
use crate::protocol::{LogLevel, LogLine, LogOrigin};
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;

/// Size at which a log file is rotated.
pub const ROTATE_BYTES: u64 = 10 * 1024 * 1024;
/// Rotated files kept besides the live one.
pub const KEEP_ROTATED: usize = 3;

/// A log file that rotates itself by size.
#[derive(Debug)]
pub struct RotatingFile {
    path: PathBuf,
    file: File,
    written: u64,
    limit: u64,
    keep: usize,
}

impl RotatingFile {
    pub fn open(path: &Path, limit: u64, keep: usize) -> io::Result<Self> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let file = open_append(path)?;
        let written = file.metadata()?.len();
        Ok(Self {
            path: path.to_path_buf(),
            file,
            written,
            limit,
            keep,
        })
    }

    fn rotate(&mut self) -> io::Result<()> {
        for n in (1..self.keep).rev() {
            let from = rotated(&self.path, n);
            if from.exists() {
                std::fs::rename(&from, rotated(&self.path, n + 1))?;
            }
        }
        if self.keep > 0 {
            std::fs::rename(&self.path, rotated(&self.path, 1))?;
        } else {
            std::fs::remove_file(&self.path)?;
        }
        self.file = open_append(&self.path)?;
        self.written = 0;
        Ok(())
    }
}

impl Write for RotatingFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.written > 0 && self.written + buf.len() as u64 > self.limit {
            self.rotate()?;
        }
        let n = self.file.write(buf)?;
        self.written += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

fn open_append(path: &Path) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.create(true).append(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)
}

/// `NAME.log.N`.
pub fn rotated(path: &Path, n: usize) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(format!(".{n}"));
    PathBuf::from(name)
}

/// How many lines may wait for the log file. tracing-appender's default (128,000) makes
/// its queue 4 MiB, resident from the start; the writer thread keeps up with anything
/// but a flood, and in a flood the lines past this are dropped rather than held.
const LOG_QUEUE_LINES: usize = 8_192;

/// Keeps the non-blocking writer alive; dropping it flushes what is queued.
#[must_use = "dropping the guard stops log writing"]
#[derive(Debug)]
pub struct LogGuard {
    _worker: tracing_appender::non_blocking::WorkerGuard,
    feed: Arc<OnceLock<EventBus>>,
}

impl LogGuard {
    /// From now on every line of the daemon's log is also a `log` event on `bus`, so attached
    /// clients can follow it.
    pub fn feed(&self, bus: EventBus) {
        let _ = self.feed.set(bus);
    }
}

/// The filter for `level` (`--log-level`): mcpproxy's own lines at that level, its
/// dependencies' at `warn` (or `error` when that is asked for), so the foreground shows
/// what mcpproxy does, not every connection a library opens.
pub fn daemon_filter(level: &str) -> EnvFilter {
    let deps = if level.eq_ignore_ascii_case("error") {
        "error"
    } else {
        "warn"
    };
    EnvFilter::try_new(format!("{deps},mcpproxy={level},mcpproxy_daemon={level}"))
        .unwrap_or_else(|_| EnvFilter::new("warn,mcpproxy=info,mcpproxy_daemon=info"))
}

/// Sends the daemon's tracing output to `logs/mcpproxy.log`, and to stderr too when it runs
/// in the foreground. `RUST_LOG` overrides `level`.
pub fn init_daemon_logging(
    log_file: &Path,
    level: &str,
    also_stderr: bool,
) -> io::Result<LogGuard> {
    let file = RotatingFile::open(log_file, ROTATE_BYTES, KEEP_ROTATED)?;
    let (writer, worker) = tracing_appender::non_blocking::NonBlockingBuilder::default()
        .buffered_lines_limit(LOG_QUEUE_LINES)
        .finish(crate::redact::Masked(file));
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| daemon_filter(level));
    let feed = Arc::new(OnceLock::new());
    let file_layer = tracing_subscriber::fmt::layer()
        .with_ansi(false)
        .with_writer(writer);
    let stderr_layer = also_stderr.then(|| {
        tracing_subscriber::fmt::layer()
            .with_ansi(io::IsTerminal::is_terminal(&io::stderr()))
            .with_writer(|| crate::redact::Masked(io::stderr()))
    });
    // A subscriber may already be set (tests run several daemons in one process); keep it.
    let _ = tracing_subscriber::registry()
        .with(filter)
        .with(file_layer)
        .with(stderr_layer)
        .with(BusLayer {
            feed: Arc::clone(&feed),
        })
        .try_init();
    Ok(LogGuard {
        _worker: worker,
        feed,
    })
}

/// Makes every panic a line in the daemon's log (with where it happened), and then does
/// what the previous hook did (print it to stderr). A panic in a task does not stop the
/// daemon, so without this its only trace would be on a stderr nobody reads.
pub fn install_panic_hook() {
    on_panic(|line| tracing::error!(target: "mcpproxy_daemon::panic", "{line}"));
}

/// Calls `report` with one line for each panic, before the previous hook runs.
fn on_panic(report: impl Fn(&str) + Send + Sync + 'static) {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        report(&panic_line(info));
        previous(info);
    }));
}

/// `panicked at FILE:LINE:COL in thread NAME: MESSAGE`, with secrets masked.
fn panic_line(info: &std::panic::PanicHookInfo<'_>) -> String {
    let payload = info.payload();
    let message = payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("(no message)");
    let location = info.location().map_or_else(
        || "an unknown place".to_owned(),
        |l| format!("{}:{}:{}", l.file(), l.line(), l.column()),
    );
    let thread = std::thread::current();
    let line = format!(
        "panicked at {location} in thread {}: {message}",
        thread.name().unwrap_or("unnamed")
    );
    crate::redact::masked(line)
}

/// Turns each log event into a `log` event on the daemon's bus, once it has one.
struct BusLayer {
    feed: Arc<OnceLock<EventBus>>,
}

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for BusLayer {
    fn on_event(
        &self,
        event: &tracing::Event<'_>,
        _context: tracing_subscriber::layer::Context<'_, S>,
    ) {
        let Some(bus) = self.feed.get() else {
            return;
        };
        let metadata = event.metadata();
        let mut text = LineText::default();
        event.record(&mut text);
        let level = match *metadata.level() {
            tracing::Level::TRACE => LogLevel::Trace,
            tracing::Level::DEBUG => LogLevel::Debug,
            tracing::Level::INFO => LogLevel::Info,
            tracing::Level::WARN => LogLevel::Warn,
            tracing::Level::ERROR => LogLevel::Error,
        };
        bus.emit(DaemonEvent::Log(LogLine {
            server: None,
            at: jiff::Timestamp::now(),
            level,
            origin: LogOrigin::Daemon,
            text: crate::redact::masked(format!(
                "{}: {}{}",
                metadata.target(),
                text.message,
                text.fields
            )),
        }));
    }
}

/// An event's message and its other fields as ` key=value`, as the log file shows them.
#[derive(Default)]
struct LineText {
    message: String,
    fields: String,
}

impl tracing::field::Visit for LineText {
    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
        if field.name() == "message" {
            self.message.push_str(value);
        } else {
            use std::fmt::Write as _;
            let _ = write!(self.fields, " {}={value}", field.name());
        }
    }

    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        use std::fmt::Write as _;
        if field.name() == "message" {
            let _ = write!(self.message, "{value:?}");
        } else {
            let _ = write!(self.fields, " {}={value:?}", field.name());
        }
    }
}

/// The last `count` lines of the daemon's log (and of its last rotated file when the live
/// one is shorter), oldest first. A line that does not start with a timestamp continues the
/// one before it.
pub fn tail(path: &Path, count: usize) -> io::Result<Vec<LogLine>> {
    let mut lines = read_daemon_lines(path)?;
    if lines.len() < count {
        let mut older = read_daemon_lines(&rotated(path, 1)).unwrap_or_default();
        older.append(&mut lines);
        lines = older;
    }
    let skip = lines.len().saturating_sub(count);
    Ok(lines.split_off(skip))
}

fn read_daemon_lines(path: &Path) -> io::Result<Vec<LogLine>> {
    let text = match std::fs::read(path) {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let mut lines: Vec<LogLine> = Vec::new();
    for raw in text.lines() {
        match parse_daemon_line(raw) {
            Some(line) => lines.push(line),
            None => {
                if let Some(last) = lines.last_mut() {
                    last.text.push('\n');
                    last.text.push_str(raw);
                }
            }
        }
    }
    Ok(lines)
}

/// One line as `tracing_subscriber::fmt` writes it: `TIMESTAMP  LEVEL target: message`.
fn parse_daemon_line(raw: &str) -> Option<LogLine> {
    let (at, rest) = raw.split_once(' ')?;
    let at = at.parse().ok()?;
    let rest = rest.trim_start();
    let (level, text) = rest.split_once(' ').unwrap_or((rest, ""));
    let level = match level {
        "TRACE" => LogLevel::Trace,
        "DEBUG" => LogLevel::Debug,
        "INFO" => LogLevel::Info,
        "WARN" => LogLevel::Warn,
        "ERROR" => LogLevel::Error,
        _ => return None,
    };
    Some(LogLine {
        server: None,
        at,
        level,
        origin: LogOrigin::Daemon,
        text: text.trim_start().to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_daemon_log_reads_back_with_continuation_lines() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("mcpproxy.log");
        std::fs::write(
            &path,
            "2026-12-06T07:00:00.000001Z  INFO mcpproxy_daemon::serve: ready pid=1\n\
             2026-12-06T07:00:01.000001Z  WARN mcpproxy_daemon::daemon: refused:\n\
             error: unknown key\n",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let lines = tail(&path, 10).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0].level, LogLevel::Info);
        assert_eq!(lines[0].text, "mcpproxy_daemon::serve: ready pid=1");
        assert_eq!(
            lines[1].text,
            "mcpproxy_daemon::daemon: refused:\nerror: unknown key"
        );
        assert_eq!(tail(&path, 1).unwrap_or_default().len(), 1);
    }

    #[test]
    fn a_panic_is_reported_with_its_place() {
        let lines = Arc::new(std::sync::Mutex::new(Vec::new()));
        let sink = Arc::clone(&lines);
        on_panic(move |line| {
            if line.contains("deliberate") {
                sink.lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push(line.to_owned());
            }
        });
        let thread = std::thread::Builder::new()
            .name("doomed".to_owned())
            .spawn(|| panic!("deliberate, with https://h/x?token=s3cret"))
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(thread.join().is_err());
        let lines = lines.lock().unwrap_or_else(|e| e.into_inner()).clone();
        assert_eq!(lines.len(), 1, "{lines:?}");
        assert!(
            lines[0].starts_with("panicked at daemon/src/logs.rs:"),
            "{lines:?}"
        );
        assert!(
            lines[0].contains("in thread doomed: deliberate"),
            "{lines:?}"
        );
        assert!(!lines[0].contains("s3cret"), "{lines:?}");
    }

    #[test]
    fn rotates_by_size_and_keeps_a_few() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("s.log");
        let mut log = RotatingFile::open(&path, 10, 2).unwrap_or_else(|e| panic!("{e}"));
        for line in ["aaaaaaaa\n", "bbbbbbbb\n", "cccccccc\n", "dddddddd\n"] {
            log.write_all(line.as_bytes())
                .unwrap_or_else(|e| panic!("{e}"));
        }
        let read = |p: &Path| std::fs::read_to_string(p).unwrap_or_default();
        assert_eq!(read(&path), "dddddddd\n");
        assert_eq!(read(&rotated(&path, 1)), "cccccccc\n");
        assert_eq!(read(&rotated(&path, 2)), "bbbbbbbb\n");
        assert!(!rotated(&path, 3).exists());
    }
}
