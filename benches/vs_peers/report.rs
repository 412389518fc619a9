//! What the parent writes: JSON lines, the run's metadata, and one summary
//! line per scenario and broker.

use crate::bench_common::measure::median;
use crate::scenarios::Scenario;
use std::collections::BTreeMap;
use std::process::Command;

fn json_str(s: &str) -> String {
    let mut o = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => o.push_str("\\\""),
            '\\' => o.push_str("\\\\"),
            c if (c as u32) < 0x20 => o.push_str(&format!("\\u{:04x}", c as u32)),
            c => o.push(c),
        }
    }
    o.push('"');
    o
}

/// A JSON value: numbers and booleans as they are, everything else quoted
/// (a git hash of digits only, say `0596122`, is not a JSON number).
fn json_value(v: &str) -> String {
    if v == "true" || v == "false" || is_json_number(v) {
        v.to_owned()
    } else {
        json_str(v)
    }
}

/// Whether `v` is a number in JSON's grammar: `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`.
fn is_json_number(v: &str) -> bool {
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let v = v.strip_prefix('-').unwrap_or(v);
    let (mantissa, exp) = match v.find(['e', 'E']) {
        Some(i) => (&v[..i], Some(&v[i + 1..])),
        None => (v, None),
    };
    let (int, frac) = match mantissa.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (mantissa, None),
    };
    digits(int)
        && (int == "0" || !int.starts_with('0'))
        && frac.is_none_or(digits)
        && exp.is_none_or(|e| digits(e.strip_prefix(['+', '-']).unwrap_or(e)))
}

pub fn json_object(fields: &[(String, String)]) -> String {
    let body: Vec<String> = fields
        .iter()
        .map(|(k, v)| format!("{}:{}", json_str(k), json_value(v)))
        .collect();
    format!("{{{}}}", body.join(","))
}

pub fn cmd_out(cmd: &str, args: &[&str]) -> String {
    Command::new(cmd)
        .args(args)
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default()
}

pub fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .map(|l| l.trim_start_matches([' ', '\t', ':']).to_owned())
        .unwrap_or_default()
}

/// One line per scenario and broker: each client's medians, and ours
/// against each peer.
pub fn summarize(
    sc: &Scenario,
    broker: &str,
    results: &BTreeMap<String, Vec<BTreeMap<String, String>>>,
) {
    let med = |client: &str, key: &str| {
        median(
            results
                .get(client)
                .map(|rs| rs.iter().filter_map(|r| r.get(key)?.parse().ok()).collect())
                .unwrap_or_default(),
        )
    };
    let clients: Vec<&str> = results.keys().map(String::as_str).collect();
    let all = |key: &str, scale: f64, digits: usize| {
        clients
            .iter()
            .map(|c| format!("{:.digits$}", med(c, key) / scale))
            .collect::<Vec<_>>()
            .join("/")
    };
    let vs = |key: &str| {
        clients
            .iter()
            .filter(|c| **c != "ours")
            .map(|c| format!("{:.2}x {c}", med("ours", key) / med(c, key)))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let line = match sc.spec.mode.as_str() {
        "latency" => format!(
            "p50 {} µs, p99 {} µs",
            all("lat_p50_us", 1.0, 0),
            all("lat_p99_us", 1.0, 0)
        ),
        "sync" => format!(
            "{} rec/s (ours {}), p50 {} ms, p99 {} ms, CPU {} µs/rec",
            all("rps", 1.0, 0),
            vs("rps"),
            all("lat_p50_us", 1000.0, 2),
            all("lat_p99_us", 1000.0, 2),
            all("cpu_us_per_record", 1.0, 2)
        ),
        "memory" | "baseline" => format!("peak RSS {} MiB", all("maxrss_kb", 1024.0, 1)),
        _ => format!(
            "{} rec/s (ours {}), CPU {} µs/rec (ours {})",
            all("rps", 1.0, 0),
            vs("rps"),
            all("cpu_us_per_record", 1.0, 3),
            vs("cpu_us_per_record")
        ),
    };
    eprintln!(
        "{:<10} {:<40} {:<5} {}: {line}",
        sc.group,
        sc.label,
        broker,
        clients.join("/")
    );
}
