//! Counting lost, duplicated, reordered and misplaced records per partition.

use super::super::Consumed;
use super::attribute::attribute;
use super::outcome::{Outcome, PartitionCounts};
use super::{FAILED_MAYBE_WRITTEN, FAILED_NOT_WRITTEN, KEYS, OK, PARTITIONS};
use kafka_sync::partitioner::key_partition;
use std::collections::HashMap;

fn parse(c: &Consumed) -> Option<(usize, usize)> {
    let value = std::str::from_utf8(c.value.as_deref()?).ok()?;
    let (k, seq) = value.split_once(':')?;
    let key: usize = k.strip_prefix('k')?.parse().ok()?;
    if c.key.as_deref() != Some(k.as_bytes()) {
        return None;
    }
    Some((key, seq.parse().ok()?))
}

pub(super) fn analyse(
    out: &mut Outcome,
    st: &[u8],
    log: &[Vec<Consumed>],
    bootstrap: &str,
    topic: &str,
) {
    let n = st.len();
    let mut first_offset: Vec<i64> = vec![-1; n];
    let mut parts = vec![PartitionCounts::default(); PARTITIONS as usize];
    // Per partition: (offset, record index) of duplicates, and of reorders
    // with the offset of the higher record seen before.
    let mut dups: Vec<Vec<(i64, usize)>> = vec![Vec::new(); PARTITIONS as usize];
    let mut reorders: Vec<Vec<(i64, i64)>> = vec![Vec::new(); PARTITIONS as usize];
    for (p, records) in log.iter().enumerate() {
        let mut max_seq: HashMap<usize, (usize, i64)> = HashMap::new();
        for c in records {
            parts[p].read += 1;
            let Some((key, seq)) = parse(c) else {
                out.examples
                    .push(format!("unparsable record at {p}@{}: {c:?}", c.offset));
                continue;
            };
            let idx = seq * KEYS + key;
            if idx >= n {
                out.examples
                    .push(format!("unknown record k{key}:{seq} at {p}@{}", c.offset));
                continue;
            }
            if key_partition(format!("k{key}").as_bytes(), PARTITIONS) != c.partition {
                out.misplaced += 1;
            }
            if first_offset[idx] >= 0 {
                parts[p].duplicated += 1;
                dups[p].push((c.offset, idx));
                if out.examples.len() < 40 {
                    out.examples.push(format!(
                        "duplicate k{key}:{seq} at {p}@{} (first at @{})",
                        c.offset, first_offset[idx]
                    ));
                }
                continue;
            }
            first_offset[idx] = c.offset;
            match max_seq.get(&key) {
                Some(&(m, at)) if m > seq => {
                    parts[p].reordered += 1;
                    reorders[p].push((c.offset, at));
                    if out.examples.len() < 40 {
                        out.examples.push(format!(
                            "reordered k{key}:{seq} at {p}@{} after k{key}:{m} at @{at}",
                            c.offset
                        ));
                    }
                }
                _ => {
                    max_seq.insert(key, (seq, c.offset));
                }
            }
        }
    }
    for (idx, s) in st.iter().enumerate() {
        let present = first_offset[idx] >= 0;
        let p = key_partition(format!("k{}", idx % KEYS).as_bytes(), PARTITIONS) as usize;
        match *s {
            OK if !present => {
                parts[p].lost += 1;
                if out.examples.len() < 40 {
                    out.examples.push(format!(
                        "lost k{}:{} (acknowledged)",
                        idx % KEYS,
                        idx / KEYS
                    ));
                }
            }
            FAILED_MAYBE_WRITTEN if present => out.failed_but_written += 1,
            FAILED_NOT_WRITTEN if present => {
                out.failed_but_written += 1;
                out.failed_not_written_but_present += 1;
            }
            _ => {}
        }
    }
    let anomalies = parts.iter().any(|c| c.duplicated + c.reordered > 0);
    let always = std::env::var_os("FAULT_ATTRIBUTE").is_some();
    if (anomalies || always) && out.idempotent {
        match attribute(
            bootstrap,
            topic,
            &mut parts,
            &dups,
            &reorders,
            &first_offset,
            &mut out.examples,
        ) {
            Ok(()) => out.attributed = true,
            Err(e) => {
                out.examples
                    .insert(0, format!("could not attribute anomalies: {e}"));
                println!(
                    "FAULT-NOTE {}: could not attribute anomalies: {e}",
                    out.name
                );
            }
        }
    }
    if !out.attributed {
        // Unattributed: the producer is blamed for everything.
        for c in &mut parts {
            c.broker_dups = 0;
            c.broker_gaps = 0;
            c.producer_dups = c.duplicated;
            c.producer_reorders = c.reordered;
        }
    }
    let mut total = PartitionCounts::default();
    for c in &parts {
        total.read += c.read;
        total.lost += c.lost;
        total.duplicated += c.duplicated;
        total.reordered += c.reordered;
        total.broker_dups += c.broker_dups;
        total.broker_gaps += c.broker_gaps;
        total.producer_dups += c.producer_dups;
        total.producer_reorders += c.producer_reorders;
    }
    out.total = total;
    out.partitions = parts;
}
