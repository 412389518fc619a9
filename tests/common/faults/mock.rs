//! librdkafka's mock cluster with raw access to its `rd_kafka_mock_*` functions.

use rdkafka::bindings as rd;
use rdkafka::config::ClientConfig;
use rdkafka::producer::{BaseProducer, Producer as _};
use rdkafka::types::RDKafkaRespErr;
use std::ffi::{CStr, CString};
use std::time::Duration;

/// librdkafka's mock cluster with raw access. Dropping it stops the cluster.
pub struct Mock {
    /// Owns the cluster: it is destroyed with this client.
    client: BaseProducer,
    ptr: *mut rd::rd_kafka_mock_cluster_t,
    /// Bootstrap list.
    pub bootstrap: String,
    /// Number of brokers (ids 1..=brokers).
    pub brokers: i32,
}

// SAFETY: `ptr` is only passed to the rd_kafka_mock_* functions, which lock
// the cluster or post to its thread, so any thread may call them; the
// cluster lives as long as `client`, which is Send and Sync itself.
unsafe impl Send for Mock {}
// SAFETY: as for Send: no method touches the cluster but through those
// thread-safe functions.
unsafe impl Sync for Mock {}

/// Every call below passes `ptr` of a live `Mock`: the cluster is valid
/// until `client` is dropped with the `Mock`.
fn check(err: rd::rd_kafka_resp_err_t, what: &str) {
    assert_eq!(
        err,
        RDKafkaRespErr::RD_KAFKA_RESP_ERR_NO_ERROR,
        "mock cluster: {what} failed"
    );
}

impl Mock {
    /// Starts a mock cluster of `brokers` brokers with `topic` (`partitions`
    /// partitions, replication factor min(brokers, 3)).
    pub fn new(brokers: i32, topic: &str, partitions: i32) -> Mock {
        let client: BaseProducer = ClientConfig::new()
            .set("test.mock.num.brokers", brokers.to_string())
            .set("log_level", "2")
            .create()
            .expect("rdkafka client owning the mock cluster");
        // SAFETY: `native_ptr` is the live rd_kafka_t of `client`, created
        // with test.mock.num.brokers; the cluster returned is owned by it.
        let ptr = unsafe { rd::rd_kafka_handle_mock_cluster(client.client().native_ptr()) };
        assert!(!ptr.is_null(), "no mock cluster");
        // SAFETY: `ptr` is the live cluster (checked non-null); the bootstrap
        // list is a NUL-terminated string it owns, copied out at once.
        let bootstrap = unsafe { CStr::from_ptr(rd::rd_kafka_mock_cluster_bootstraps(ptr)) }
            .to_string_lossy()
            .into_owned();
        let m = Mock {
            client,
            ptr,
            bootstrap,
            brokers,
        };
        let t = CString::new(topic).unwrap();
        // SAFETY: the live cluster and a NUL-terminated name that outlives
        // the call (librdkafka copies it).
        let err =
            unsafe { rd::rd_kafka_mock_topic_create(ptr, t.as_ptr(), partitions, brokers.min(3)) };
        check(err, "create topic");
        m
    }

    /// Makes `broker` the leader of `topic[partition]`.
    pub fn partition_leader(&self, topic: &str, partition: i32, broker: i32) {
        let t = CString::new(topic).unwrap();
        // SAFETY: the live cluster and a NUL-terminated name that outlives
        // the call.
        let err = unsafe {
            rd::rd_kafka_mock_partition_set_leader(self.ptr, t.as_ptr(), partition, broker)
        };
        check(err, "set leader");
    }

    /// Disconnects `broker` and refuses new connections (leaders unchanged).
    pub fn broker_down(&self, broker: i32) {
        // SAFETY: the live cluster; an unknown broker id is an error code.
        let err = unsafe { rd::rd_kafka_mock_broker_set_down(self.ptr, broker) };
        check(err, "broker down");
    }

    /// Lets `broker` accept connections again.
    pub fn broker_up(&self, broker: i32) {
        // SAFETY: the live cluster; an unknown broker id is an error code.
        let err = unsafe { rd::rd_kafka_mock_broker_set_up(self.ptr, broker) };
        check(err, "broker up");
    }

    /// Delays every response of `broker` by `rtt` (the request is handled,
    /// and a Produce written, when it arrives).
    pub fn set_rtt(&self, broker: i32, rtt: Duration) {
        // SAFETY: the live cluster; an unknown broker id is an error code.
        let err =
            unsafe { rd::rd_kafka_mock_broker_set_rtt(self.ptr, broker, rtt.as_millis() as i32) };
        check(err, "set rtt");
    }

    /// The next `errors.len()` Produce requests, on any broker, fail with
    /// these errors in order (the request's records are not written;
    /// `__TRANSPORT` closes the connection instead of answering).
    pub fn produce_errors(&self, errors: &[RDKafkaRespErr]) {
        // SAFETY: the live cluster, and `errors.len()` codes at
        // `errors.as_ptr()` (librdkafka copies them).
        unsafe {
            rd::rd_kafka_mock_push_request_errors_array(self.ptr, 0, errors.len(), errors.as_ptr())
        }
    }

    /// Clears the cluster-wide Produce error stack.
    pub fn clear_produce_errors(&self) {
        // SAFETY: the live cluster.
        unsafe { rd::rd_kafka_mock_clear_request_errors(self.ptr, 0) }
    }

    /// The next Produce requests to `broker` fail with these errors, each
    /// answered after its delay.
    pub fn broker_produce_errors(&self, broker: i32, errors: &[(RDKafkaRespErr, Duration)]) {
        for (err, rtt) in errors {
            let (code, ms) = (*err as std::ffi::c_int, rtt.as_millis() as std::ffi::c_int);
            // SAFETY: the live cluster; the variadic (code, rtt) pairs are
            // `cnt` = 1 pair of C ints, as the function reads them.
            let err = unsafe {
                rd::rd_kafka_mock_broker_push_request_error_rtts(self.ptr, broker, 0, 1, code, ms)
            };
            check(err, "push broker errors");
        }
    }

    /// Produce errors still queued for `broker`.
    pub fn broker_produce_errors_left(&self, broker: i32) -> usize {
        let mut n = 0usize;
        // SAFETY: the live cluster and a valid `size_t` to write the count to.
        let err = unsafe { rd::rd_kafka_mock_broker_error_stack_cnt(self.ptr, broker, 0, &mut n) };
        check(err, "error stack count");
        n
    }
}
