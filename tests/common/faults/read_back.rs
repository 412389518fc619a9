//! Reading the log back with the rdkafka consumer.

use super::super::Consumed;
use rdkafka::consumer::Consumer;
use rdkafka::message::{BorrowedMessage, Message};
use rdkafka::{Offset, TopicPartitionList};
use std::time::{Duration, Instant};

/// Reads every partition of `topic` up to its high watermark with the
/// rdkafka consumer (`check.crcs=true`); records per partition in offset
/// order.
pub fn read_back(
    bootstrap: &str,
    topic: &str,
    partitions: i32,
    timeout: Duration,
) -> Vec<Vec<Consumed>> {
    // librdkafka's default isolation, as this reader always had.
    let consumer = super::super::reader(bootstrap, "ksync-fault-reader", "read_committed");
    let deadline = Instant::now() + timeout;
    let mut high = Vec::new();
    for p in 0..partitions {
        loop {
            match consumer.fetch_watermarks(topic, p, Duration::from_secs(5)) {
                Ok((_, h)) => {
                    high.push(h);
                    break;
                }
                Err(e) => {
                    assert!(Instant::now() < deadline, "watermarks of {topic}[{p}]: {e}");
                    std::thread::sleep(Duration::from_millis(100));
                }
            }
        }
    }
    let mut tpl = TopicPartitionList::new();
    for p in 0..partitions {
        tpl.add_partition_offset(topic, p, Offset::Beginning)
            .unwrap();
    }
    consumer.assign(&tpl).expect("assign");
    let mut out: Vec<Vec<Consumed>> = vec![Vec::new(); partitions as usize];
    let mut next: Vec<i64> = vec![0; partitions as usize];
    while next.iter().zip(&high).any(|(n, h)| n < h) {
        assert!(
            Instant::now() < deadline,
            "read only up to {next:?} of {high:?} from {topic}"
        );
        match consumer.poll(Duration::from_millis(100)) {
            None => {}
            Some(Err(e)) => panic!("consumer error on {topic}: {e}"),
            Some(Ok(m)) => {
                let p = m.partition() as usize;
                next[p] = m.offset() + 1;
                out[p].push(consumed(&m));
            }
        }
    }
    // Some brokers report a high watermark short of the last batch (tansu
    // 0.6 answers ListOffsets(latest) with the last batch's base offset):
    // keep reading until nothing more comes for a while.
    let mut quiet_until = Instant::now() + Duration::from_millis(500);
    while Instant::now() < quiet_until {
        assert!(Instant::now() < deadline, "{topic} never went quiet");
        match consumer.poll(Duration::from_millis(50)) {
            None => {}
            Some(Err(e)) => panic!("consumer error on {topic}: {e}"),
            Some(Ok(m)) => {
                quiet_until = Instant::now() + Duration::from_millis(500);
                let p = m.partition() as usize;
                out[p].push(consumed(&m));
            }
        }
    }
    let past: Vec<usize> = out
        .iter()
        .zip(&high)
        .map(|(recs, h)| recs.iter().filter(|c| c.offset >= *h).count())
        .collect();
    if past.iter().any(|n| *n > 0) {
        println!("FAULT-NOTE read records past the high watermarks {high:?} of {topic}: {past:?}");
    }
    out
}

/// A record as read back (headers are not kept).
fn consumed(m: &BorrowedMessage<'_>) -> Consumed {
    Consumed {
        partition: m.partition(),
        offset: m.offset(),
        key: m.key().map(<[u8]>::to_vec),
        value: m.payload().map(<[u8]>::to_vec),
        headers: Vec::new(),
        timestamp: m.timestamp().to_millis(),
    }
}
