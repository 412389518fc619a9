//! Where a caller thread's records for a topic go: the topic's metadata
//! and its accumulator queues, remembered per thread for the last topic it
//! sent to.
//!
//! Finding both costs two lock acquisitions and two string-keyed lookups
//! (the cluster view's topics, the accumulator's topics), plus reference
//! count traffic on shared cache lines, on every record. A thread sending
//! to one topic (the common case) finds them here instead: one
//! thread-local read, two counter loads and a name comparison.
//!
//! A route is good while neither the cluster view nor the accumulator has
//! changed its topics since the route was made (each counts its changes,
//! bumped after the change); then any change, to any topic, makes every
//! thread look its route up once more. A route used while a change is in
//! flight is as current as a lookup made an instant earlier would be; a
//! retired topic's queues say so under their lock and the accumulator
//! moves to the new ones.
//!
//! A thread keeps the route of the last producer and topic it sent to
//! until it sends again or exits (it holds the topic's metadata and
//! queues, not its records).

use crate::accumulator::TopicQueues;
use crate::metadata::TopicMeta;
use crate::record::Topic;
use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// The route of one producer's records to one topic.
pub(crate) struct Route {
    producer: u64,
    stamp: (u64, u64),
    /// The record's topic (kept: a `'static` or shared name compares by
    /// address).
    topic: Topic,
    pub(crate) meta: Arc<TopicMeta>,
    pub(crate) queues: Arc<TopicQueues>,
}

thread_local! {
    static LAST: Cell<Option<Box<Route>>> = const { Cell::new(None) };
}

/// A number no other producer of this process has, for [`take`].
pub(crate) fn producer_id() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

impl Route {
    /// A route made from a lookup done after the changes counted `stamp`.
    pub(crate) fn new(
        producer: u64,
        stamp: (u64, u64),
        topic: &Topic,
        meta: Arc<TopicMeta>,
        queues: Arc<TopicQueues>,
    ) -> Box<Route> {
        Box::new(Route {
            producer,
            stamp,
            topic: topic.clone(),
            meta,
            queues,
        })
    }
}

/// This thread's route for `producer`'s records to `topic`, if it has one
/// made at `stamp` (the changes counted now). Hand it back with [`keep`].
#[inline]
pub(crate) fn take(producer: u64, stamp: (u64, u64), topic: &Topic) -> Option<Box<Route>> {
    // A thread being torn down has no route (and keeps none).
    let route = LAST.try_with(Cell::take).ok().flatten()?;
    if route.producer == producer && route.stamp == stamp && route.topic.same_name(topic) {
        Some(route)
    } else {
        None
    }
}

/// Keeps `route` as this thread's last.
#[inline]
pub(crate) fn keep(route: Box<Route>) {
    let _ = LAST.try_with(|last| last.set(Some(route)));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::accumulator::Accumulator;

    fn route(producer: u64, stamp: (u64, u64), topic: &str) -> Box<Route> {
        let acc = Accumulator::new(1024, 1 << 20);
        let meta = Arc::new(TopicMeta::default());
        Route::new(producer, stamp, &t(topic), meta, acc.queues(topic, 1))
    }

    fn t(name: &str) -> Topic {
        Topic::from(name)
    }

    #[test]
    fn a_route_is_found_for_its_producer_topic_and_stamp_only() {
        keep(route(7, (1, 2), "a"));
        assert!(take(7, (1, 2), &t("a")).is_some_and(|r| {
            keep(r);
            true
        }));
        assert!(take(8, (1, 2), &t("a")).is_none(), "another producer");
        keep(route(7, (1, 2), "a"));
        assert!(take(7, (1, 3), &t("a")).is_none(), "the queues changed");
        keep(route(7, (1, 2), "a"));
        assert!(take(7, (2, 2), &t("a")).is_none(), "the metadata changed");
        keep(route(7, (1, 2), "a"));
        assert!(take(7, (1, 2), &t("b")).is_none(), "another topic");
        assert!(take(7, (1, 2), &t("a")).is_none(), "a miss drops the route");
    }

    #[test]
    fn producer_ids_differ() {
        assert_ne!(producer_id(), producer_id());
    }

    #[test]
    fn each_thread_has_its_own_route() {
        keep(route(9, (0, 0), "t"));
        std::thread::spawn(|| assert!(take(9, (0, 0), &t("t")).is_none()))
            .join()
            .unwrap();
        assert!(take(9, (0, 0), &t("t")).is_some());
    }
}
