//! A private tansu broker per test (or benchmark): found through `TANSU_BIN`
//! or the install location of `scripts/test.sh`, started from an empty
//! directory on a free loopback port, killed on drop. Shared by the tests
//! (`tests/common`) and `benches/vs_peers/main.rs` (through `#[path]`).
#![allow(dead_code)]

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Whether tests run in CI, where a missing broker is a failure.
pub fn in_ci() -> bool {
    std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "false" && v != "0")
}

/// The tansu binary, if installed.
pub fn tansu_bin() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("TANSU_BIN") {
        return Some(PathBuf::from(p));
    }
    let home = std::env::var_os("HOME")?;
    let p = PathBuf::from(home).join(".cache/ksync/tansu/bin/tansu");
    p.exists().then_some(p)
}

/// The tansu binary, or `None` after saying why when it is not installed
/// and `CI` is not set. Panics in CI when it is missing.
pub fn tansu_bin_or_skip() -> Option<PathBuf> {
    let bin = tansu_bin();
    if bin.is_none() {
        assert!(
            !in_ci(),
            "tansu is required in CI: set TANSU_BIN (scripts/test.sh installs it)"
        );
        eprintln!("SKIPPED: tansu not found (set TANSU_BIN); run scripts/test.sh");
    }
    bin
}

/// A private tansu broker, killed on drop.
pub struct Tansu {
    child: Child,
    bin: PathBuf,
    dir: PathBuf,
    /// `127.0.0.1:PORT`.
    pub bootstrap: String,
}

/// A loopback port nobody listens on (now).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port()
}

impl Tansu {
    /// Starts tansu, or returns `None` (after saying why) when it is not
    /// installed and `CI` is not set. Panics in CI when it is missing.
    ///
    /// Tests that call it are marked
    /// `#[cfg_attr(not(ksync_tansu), ignore = "needs tansu: ...")]`: the
    /// build script (`build.rs`) sets `ksync_tansu` when `CI` or `TANSU_BIN`
    /// is set or tansu is installed where `scripts/test.sh` puts it, so
    /// elsewhere they show up as ignored rather than as passes. The `None`
    /// here is the fallback for a binary that went away after the build.
    pub fn start() -> Option<Tansu> {
        tansu_bin_or_skip().map(Tansu::start_at)
    }

    /// Starts the tansu binary `bin`.
    pub fn start_at(bin: PathBuf) -> Tansu {
        let port = free_port();
        Tansu::start_advertising(bin, port, port)
    }

    /// Starts the tansu binary `bin` listening on `port` and advertising
    /// `advertised_port` (another process, a proxy, may listen there).
    /// [`bootstrap`](Self::bootstrap) is the port it listens on.
    pub fn start_advertising(bin: PathBuf, port: u16, advertised_port: u16) -> Tansu {
        let dir = std::env::temp_dir().join(format!("ksync-tansu-{}-{port}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("tansu dir");
        let log = std::fs::File::create(dir.join("tansu.log")).expect("tansu log");
        let child = Command::new(&bin)
            .current_dir(&dir)
            .args([
                "broker",
                "--listener-url",
                &format!("tcp://127.0.0.1:{port}"),
                "--advertised-listener-url",
                &format!("tcp://127.0.0.1:{advertised_port}"),
                "--storage-engine",
                "memory://tansu/",
            ])
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start tansu at {}: {e}", bin.display()));
        let t = Tansu {
            child,
            bin,
            dir,
            bootstrap: format!("127.0.0.1:{port}"),
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(&t.bootstrap).is_err() {
            assert!(Instant::now() < deadline, "tansu did not start listening");
            std::thread::sleep(Duration::from_millis(50));
        }
        t
    }

    /// Creates a topic with the tansu command-line tool.
    pub fn create_topic(&self, name: &str, partitions: i32) {
        let out = Command::new(&self.bin)
            .current_dir(&self.dir)
            .args([
                "topic",
                "create",
                name,
                "--broker",
                &format!("tcp://{}", self.bootstrap),
                "--partitions",
                &partitions.to_string(),
            ])
            .output()
            .expect("run tansu topic create");
        assert!(
            out.status.success(),
            "tansu topic create {name} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

impl Drop for Tansu {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
