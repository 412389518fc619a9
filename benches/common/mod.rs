//! What the rdkafka comparisons share (`vs_peers`, `tls_vs_rdkafka`),
//! included with `#[path = ".../common/mod.rs"] mod bench_common;`:
//! [`measure`] (CPU time, peak RSS, load average, medians) and [`rd`]
//! (librdkafka's side: delivery counting, sending through a full queue, the
//! poll thread).
#![allow(dead_code)]

pub mod measure;
pub mod rd;
