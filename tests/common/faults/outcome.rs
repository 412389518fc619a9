//! What a scenario measured, its summary line and its assertions.

use kafka_sync::Error;
use std::collections::BTreeMap;

/// Counts of one partition.
#[derive(Debug, Default, Clone)]
pub struct PartitionCounts {
    /// Records read.
    pub read: usize,
    /// Acknowledged but not read.
    pub lost: usize,
    /// Copies after the first.
    pub duplicated: usize,
    /// First copies out of their key's order.
    pub reordered: usize,
    /// Duplicates with the same producer id, epoch and sequence.
    pub broker_dups: usize,
    /// Batches accepted out of sequence.
    pub broker_gaps: usize,
    /// Duplicates not explained by the broker.
    pub producer_dups: usize,
    /// Reorders not explained by the broker.
    pub producer_reorders: usize,
}

/// What a scenario measured.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Scenario name.
    pub name: String,
    /// Whether idempotence was on.
    pub idempotent: bool,
    /// Records sent.
    pub records: usize,
    /// Totals over partitions.
    pub total: PartitionCounts,
    /// Per partition.
    pub partitions: Vec<PartitionCounts>,
    /// Records completed with an error.
    pub failed: usize,
    /// Failed records that are in the log anyway.
    pub failed_but_written: usize,
    /// Failed records said "not written" that are in the log: a wrong error.
    pub failed_not_written_but_present: usize,
    /// Records refused by `send`.
    pub refused: usize,
    /// Records without a completion when the wait ended (failed by `close`).
    pub stuck: usize,
    /// Records on another partition than their key's.
    pub misplaced: usize,
    /// Error kinds and how many records failed with each.
    pub errors: BTreeMap<String, usize>,
    /// Batches the producer retried.
    pub retried: u64,
    /// KIP-951 leader hints the producer used.
    pub leader_hints: u64,
    /// Whether the anomalies were attributed with a raw fetch.
    pub attributed: bool,
    /// Seconds from the first send to the last completion.
    pub produce_secs: f64,
    /// Seconds for the whole scenario.
    pub secs: f64,
    /// Examples of anomalies, for the assertion messages.
    pub examples: Vec<String>,
}

impl Outcome {
    /// The summary line (`FAULT ...`), printed by [`run_scenario`].
    pub fn line(&self) -> String {
        let t = &self.total;
        let mut s = format!(
            "FAULT {} idempotence={} records={} lost={} duplicated={} reordered={} failed={} secs={:.1}",
            self.name,
            if self.idempotent { "on" } else { "off" },
            self.records,
            t.lost,
            t.duplicated,
            t.reordered,
            self.failed,
            self.secs
        );
        if self.attributed {
            s += &format!(
                " broker_dups={} broker_gaps={} producer_dups={} producer_reorders={}",
                t.broker_dups, t.broker_gaps, t.producer_dups, t.producer_reorders
            );
        }
        s += &format!(
            " retried_batches={} leader_hints={} produce_secs={:.1} stuck={} refused={} failed_but_written={} misplaced={}",
            self.retried,
            self.leader_hints,
            self.produce_secs,
            self.stuck,
            self.refused,
            self.failed_but_written,
            self.misplaced
        );
        if !self.errors.is_empty() {
            s += &format!(" errors={:?}", self.errors);
        }
        s
    }

    fn detail(&self) -> String {
        let mut s = self.line();
        for (p, c) in self.partitions.iter().enumerate() {
            s += &format!("\n  partition {p}: {c:?}");
        }
        for e in self.examples.iter().take(12) {
            s += &format!("\n  {e}");
        }
        s + &super::super::fault_log::kept()
    }

    /// Nothing acknowledged is missing, nothing failed or hung, every record
    /// is on its key's partition, and no error said "not written" of a
    /// record that is in the log.
    pub fn assert_no_loss(&self) {
        assert_eq!(
            self.total.lost,
            0,
            "acknowledged records lost:\n{}",
            self.detail()
        );
        assert_eq!(self.stuck, 0, "records never completed:\n{}", self.detail());
        assert_eq!(self.refused, 0, "send refused records:\n{}", self.detail());
        assert_eq!(
            self.misplaced,
            0,
            "records on the wrong partition:\n{}",
            self.detail()
        );
        assert_eq!(
            self.failed_not_written_but_present,
            0,
            "errors said 'not written' of records that are in the log:\n{}",
            self.detail()
        );
    }

    /// [`assert_no_loss`](Self::assert_no_loss) and no failed record.
    pub fn assert_all_delivered(&self) {
        self.assert_no_loss();
        assert_eq!(self.failed, 0, "records failed:\n{}", self.detail());
    }

    /// Everything delivered once, in order. On a broker that does not check
    /// sequences (the mock), duplicates and reorders the broker alone is to
    /// blame for are allowed (see the module docs); on tansu nothing is.
    pub fn assert_exactly_once_in_order(&self, broker_checks_sequences: bool) {
        self.assert_all_delivered();
        if broker_checks_sequences {
            assert_eq!(self.total.duplicated, 0, "duplicates:\n{}", self.detail());
            assert_eq!(self.total.reordered, 0, "reordered:\n{}", self.detail());
        } else {
            assert_eq!(
                self.total.producer_dups,
                0,
                "duplicates a sequence-checking broker would keep too:\n{}",
                self.detail()
            );
            assert_eq!(
                self.total.producer_reorders,
                0,
                "reorders not explained by the mock accepting sequence gaps:\n{}",
                self.detail()
            );
        }
    }

    /// Asserts `cond` with the details.
    pub fn check(&self, cond: bool, what: &str) {
        assert!(cond, "{what}:\n{}", self.detail());
    }
}

pub(super) fn error_kind(e: &Error) -> String {
    match e {
        Error::Broker {
            code,
            may_have_persisted,
            ..
        } => format!("Broker({code},maybe_written={may_have_persisted})"),
        Error::DeliveryTimeout {
            last_error,
            may_have_persisted,
            ..
        } => format!(
            "DeliveryTimeout(last={},maybe_written={may_have_persisted})",
            last_error.map_or("none".to_string(), |c| c.to_string())
        ),
        Error::Closed { may_have_persisted } => {
            format!("Closed(maybe_written={may_have_persisted})")
        }
        Error::Fatal(m) => format!("Fatal({m})"),
        other => format!("{other}"),
    }
}
