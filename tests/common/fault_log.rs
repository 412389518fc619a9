//! The producer's log in fault scenarios: kept for failure messages, and
//! echoed to stderr with `FAULT_LOG=<level>`.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::Instant;

/// The producer's `log` output at `info` and above since the running
/// scenario started (its last [`KEPT_LOG_LINES`] lines), shown when an
/// assertion fails. Scenarios run one at a time per test binary; lines of
/// any other producer running meanwhile would show too.
static KEPT_LOG: Mutex<VecDeque<String>> = Mutex::new(VecDeque::new());
const KEPT_LOG_LINES: usize = 300;

/// Installs the logger: the last `info` lines are kept (see [`KEPT_LOG`]);
/// with `FAULT_LOG=<level>` (e.g. `info`, `debug`), the producer's output
/// at that level also goes to stderr, with the time since the first
/// scenario started.
pub fn init() {
    struct Capture {
        start: Instant,
        echo: log::LevelFilter,
    }
    impl log::Log for Capture {
        fn enabled(&self, m: &log::Metadata<'_>) -> bool {
            m.target().starts_with("kafka_sync")
        }
        fn log(&self, r: &log::Record<'_>) {
            if !self.enabled(r.metadata()) {
                return;
            }
            let line = format!(
                "[{:>8.3}s {:?} {}] {}",
                self.start.elapsed().as_secs_f64(),
                std::thread::current().id(),
                r.level(),
                r.args()
            );
            if r.level() <= self.echo {
                eprintln!("{line}");
            }
            if r.level() <= log::Level::Info {
                let mut kept = KEPT_LOG.lock().unwrap_or_else(|e| e.into_inner());
                if kept.len() == KEPT_LOG_LINES {
                    kept.pop_front();
                }
                kept.push_back(line);
            }
        }
        fn flush(&self) {}
    }
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let echo = std::env::var("FAULT_LOG")
            .ok()
            .and_then(|l| l.parse::<log::LevelFilter>().ok())
            .unwrap_or(log::LevelFilter::Off);
        let logger = Box::leak(Box::new(Capture {
            start: Instant::now(),
            echo,
        }));
        if log::set_logger(logger).is_ok() {
            log::set_max_level(echo.max(log::LevelFilter::Info));
        }
    });
    KEPT_LOG.lock().unwrap_or_else(|e| e.into_inner()).clear();
}

/// The kept producer log lines, for a failure message.
pub fn kept() -> String {
    let kept = KEPT_LOG.lock().unwrap_or_else(|e| e.into_inner());
    let mut s = format!("\n  producer log (info and above, last {}):", kept.len());
    for line in kept.iter() {
        s += "\n    ";
        s += line;
    }
    s
}
