//! One module per Kafka API: request and response bodies.

pub mod add_offsets_to_txn;
pub mod add_partitions_to_txn;
pub mod api_versions;
pub mod end_txn;
pub mod find_coordinator;
pub mod init_producer_id;
pub mod metadata;
pub mod produce;
pub mod sasl_authenticate;
pub mod sasl_handshake;
pub mod txn_offset_commit;

#[cfg(test)]
pub(crate) mod test_util;
