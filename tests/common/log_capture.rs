//! Every `info`-and-above line the producer logs (targets `kafka_sync*`),
//! kept for tests that check what is logged. The logger is global to the
//! test binary; tests running in parallel tell their lines apart by the
//! client id each uses (`[Producer clientId=<id>] ...`).

use std::sync::Mutex;

static LINES: Mutex<Vec<String>> = Mutex::new(Vec::new());

struct Capture;

impl log::Log for Capture {
    fn enabled(&self, m: &log::Metadata<'_>) -> bool {
        m.level() <= log::Level::Info && m.target().starts_with("kafka_sync")
    }
    fn log(&self, r: &log::Record<'_>) {
        if self.enabled(r.metadata()) {
            let line = format!("{} {}", r.level(), r.args());
            LINES.lock().unwrap_or_else(|e| e.into_inner()).push(line);
        }
    }
    fn flush(&self) {}
}

/// Installs the capturing logger at `Info` (once per binary).
pub fn init() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        if log::set_logger(&Capture).is_ok() {
            log::set_max_level(log::LevelFilter::Info);
        }
    });
}

/// The captured lines of the producer with `client_id` (level first, e.g.
/// `WARN [Producer clientId=x] ...`), and those that name no client.
pub fn lines_of(client_id: &str) -> Vec<String> {
    let own = [
        format!("[Producer clientId={client_id}]"),
        format!("[Producer clientId={client_id},"),
    ];
    LINES
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .iter()
        .filter(|l| own.iter().any(|o| l.contains(o.as_str())) || !l.contains("clientId="))
        .cloned()
        .collect()
}
