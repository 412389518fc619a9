//! Running one measurement: this binary again as `child ARGS`, which prints
//! one `RESULT key=value ...` line.

use crate::workload::Spec;
use std::collections::BTreeMap;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// How long one run may take.
const TIMEOUT: Duration = Duration::from_secs(600);

/// Runs `spec` in a child process and returns its `RESULT` pairs.
pub fn run_child(spec: &Spec) -> Result<BTreeMap<String, String>, String> {
    let exe = std::env::current_exe().expect("current exe");
    let mut child = Command::new(exe)
        .arg("child")
        .args(spec.to_args())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| format!("spawn: {e}"))?;
    let deadline = Instant::now() + TIMEOUT;
    let status = loop {
        if let Some(st) = child.try_wait().map_err(|e| e.to_string())? {
            break st;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("timed out after {} s", TIMEOUT.as_secs()));
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let mut out = String::new();
    std::io::Read::read_to_string(child.stdout.as_mut().unwrap(), &mut out).ok();
    if !status.success() {
        return Err(format!("child exited with {status}"));
    }
    let line = out
        .lines()
        .find_map(|l| l.strip_prefix("RESULT "))
        .ok_or("no RESULT line")?;
    Ok(line
        .split_whitespace()
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect())
}

/// The child's side: runs the client `spec` names and prints its report.
pub fn child_main(args: &[String]) {
    let spec = Spec::from_args(args);
    let result = match spec.client.as_str() {
        "ours" => crate::ours::run(&spec),
        "rdkafka" => crate::librdkafka::run(&spec),
        "java" => crate::java::run(&spec),
        c => panic!("unknown client {c}"),
    };
    let line: Vec<String> = result.iter().map(|(k, v)| format!("{k}={v}")).collect();
    println!("RESULT {}", line.join(" "));
}
