//! The Java client: kafka-clients 4.4.0 driven by Kafka's own
//! `org.apache.kafka.tools.ProducerPerformance` (`java/BenchDriver.java`
//! says how it is measured). The parent compiles the driver once
//! ([`prepare`]); a child writes the value pool as a payload file and runs
//! one JVM ([`run`]), forwarding its `RESULT`.

use crate::harness::kafka::{jars, Version};
use crate::workload::{Payloads, Report, Spec};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Where the driver is compiled to (next to the bench binary).
fn work_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("current exe");
    // target/release/deps/vs_peers-HASH -> target/release/vs_peers-java
    exe.parent()
        .and_then(Path::parent)
        .unwrap_or(Path::new("."))
        .join("vs_peers-java")
}

fn source_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/vs_peers/java")
}

/// Compiles `BenchDriver.java` against the Kafka 4.4.0 jars; returns the
/// JVM's version line, or why the Java client cannot run.
pub fn prepare() -> Result<String, String> {
    let jars = jars(Version::V4)?;
    let classes = work_dir().join("classes");
    std::fs::create_dir_all(&classes).map_err(|e| e.to_string())?;
    let out = Command::new("javac")
        .arg("-nowarn")
        .arg("-d")
        .arg(&classes)
        .arg("-cp")
        .arg(format!("{}/*", jars.display()))
        .arg(source_dir().join("BenchDriver.java"))
        .output()
        .map_err(|e| format!("javac: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "javac failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    let v = Command::new("java")
        .arg("-version")
        .output()
        .map_err(|e| format!("java: {e}"))?;
    Ok(String::from_utf8_lossy(&v.stderr)
        .lines()
        .next()
        .unwrap_or("")
        .replace('"', ""))
}

/// The value pool of `size`-byte values (`workload::Payloads`, the bytes
/// the other clients send), one per line (the values hold no newline).
fn payload_file(size: usize) -> PathBuf {
    let path = work_dir().join(format!("payload-{size}.txt"));
    if !path.exists() {
        let p = Payloads::new(size);
        let mut text = Vec::with_capacity(p.count * (size + 1));
        for i in 0..p.count as u64 {
            let v = p.value(i);
            assert!(!v.contains(&b'\n'), "a value holds a newline");
            text.extend_from_slice(v);
            text.push(b'\n');
        }
        let tmp = path.with_extension("tmp");
        std::fs::write(&tmp, text).expect("write payload file");
        std::fs::rename(&tmp, &path).expect("rename payload file");
    }
    path
}

/// Records of the discarded warm-up run (a new producer in the same JVM).
pub fn warmup_records(records: u64) -> u64 {
    records.min(100_000).max(records / 5)
}

/// One run of the Java client: one JVM, its `RESULT` forwarded.
pub fn run(spec: &Spec) -> Report {
    let jars = jars(Version::V4).expect("Kafka jars");
    let classes = work_dir().join("classes");
    let mut args = spec.to_args();
    args.push(format!("warmup={}", warmup_records(spec.records)));
    args.push(format!(
        "payload_file={}",
        payload_file(spec.size).display()
    ));
    let mut cmd = Command::new("java");
    // kafka-producer-perf-test.sh's JVM settings (kafka-run-class.sh).
    cmd.args([
        "-Xmx512M",
        "-server",
        "-XX:+UseG1GC",
        "-XX:MaxGCPauseMillis=20",
        "-XX:InitiatingHeapOccupancyPercent=35",
        "-XX:+ExplicitGCInvokesConcurrent",
        "-Djava.awt.headless=true",
    ])
    .arg(format!(
        "-Dlog4j2.configurationFile={}",
        source_dir().join("log4j2.properties").display()
    ))
    .arg("-cp")
    .arg(format!("{}:{}/*", classes.display(), jars.display()))
    .arg("BenchDriver")
    .args(args)
    .stdin(Stdio::null())
    .stdout(Stdio::piped())
    .stderr(Stdio::inherit());
    // SAFETY: prctl is async-signal-safe; nothing else runs between fork
    // and exec. The JVM dies with this child (the parent's timeout).
    unsafe {
        cmd.pre_exec(|| {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
            Ok(())
        });
    }
    let out = cmd.output().expect("run java");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "java exited with {}", out.status);
    let line = stdout
        .lines()
        .find_map(|l| l.strip_prefix("RESULT "))
        .expect("no RESULT line from java");
    line.split_whitespace()
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (&*Box::leak(k.to_owned().into_boxed_str()), v.to_owned()))
        .collect()
}
