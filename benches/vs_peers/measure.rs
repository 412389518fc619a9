//! A child's measurements: CPU time and peak RSS around the measured span,
//! and the reports built from them.

use crate::bench_common::measure::{cpu_times, vm_hwm_kb};
use crate::workload::Report;
use std::time::Duration;

pub struct Usage {
    cpu_s: f64,
    user_s: f64,
    sys_s: f64,
    /// Peak RSS of this process image: `VmHWM` (`ru_maxrss` would include
    /// the parent's RSS at fork, which Linux carries over `exec`).
    pub maxrss_kb: i64,
}

pub fn usage() -> Usage {
    let (user_s, sys_s) = cpu_times();
    Usage {
        cpu_s: user_s + sys_s,
        user_s,
        sys_s,
        maxrss_kb: vm_hwm_kb(),
    }
}

/// The report of a measured span.
pub fn span_report(
    sent: u64,
    failed: u64,
    size: usize,
    elapsed: Duration,
    before: &Usage,
    after: &Usage,
) -> Report {
    let secs = elapsed.as_secs_f64();
    let cpu = after.cpu_s - before.cpu_s;
    vec![
        ("records", sent.to_string()),
        ("failed", failed.to_string()),
        ("elapsed_s", format!("{secs:.6}")),
        ("rps", format!("{:.1}", sent as f64 / secs)),
        (
            "mbps",
            format!("{:.3}", (sent * size as u64) as f64 / secs / 1e6),
        ),
        ("cpu_s", format!("{cpu:.6}")),
        ("user_s", format!("{:.6}", after.user_s - before.user_s)),
        ("sys_s", format!("{:.6}", after.sys_s - before.sys_s)),
        (
            "cpu_us_per_record",
            format!("{:.4}", cpu * 1e6 / sent.max(1) as f64),
        ),
        ("cpu_cores", format!("{:.3}", cpu / secs)),
    ]
}

pub fn latency_report(
    mut lat_us: Vec<u32>,
    elapsed: Duration,
    before: &Usage,
    after: &Usage,
) -> Report {
    lat_us.sort_unstable();
    let n = lat_us.len();
    let pct = |p: f64| lat_us[((p * n as f64) as usize).min(n - 1)];
    let mean = lat_us.iter().map(|&v| u64::from(v)).sum::<u64>() as f64 / n as f64;
    let mut r = span_report(n as u64, 0, 0, elapsed, before, after);
    r.retain(|(k, _)| !matches!(*k, "mbps"));
    r.extend([
        ("lat_mean_us", format!("{mean:.1}")),
        ("lat_p50_us", pct(0.50).to_string()),
        ("lat_p99_us", pct(0.99).to_string()),
        ("lat_p999_us", pct(0.999).to_string()),
        ("lat_max_us", lat_us[n - 1].to_string()),
    ]);
    r
}

/// Runs `one(i)` for each of `records` records in turn, timing each call,
/// and reports the latencies with the usage of the whole loop.
pub fn latency_run(records: u64, mut one: impl FnMut(u64)) -> Report {
    let mut lat = Vec::with_capacity(records as usize);
    let before = usage();
    let start = std::time::Instant::now();
    for i in 0..records {
        let t = std::time::Instant::now();
        one(i);
        lat.push(t.elapsed().as_micros() as u32);
    }
    let elapsed = start.elapsed();
    latency_report(lat, elapsed, &before, &usage())
}
