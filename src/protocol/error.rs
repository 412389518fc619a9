//! Kafka error codes: one table of every code Apache Kafka defines.
//!
//! [`ErrorCode`] wraps the `int16` error code found in responses. Everything
//! known about a code lives in one static table, indexed by `code + 1` (codes
//! are dense from -1), so lookups are a bounds check and an array access.
//!
//! # Where the data comes from
//!
//! - **Names, codes and descriptions**: the `Errors` enum of Apache Kafka
//!   (`clients/src/main/java/org/apache/kafka/common/protocol/Errors.java`),
//!   up to 133 (`SHARE_SESSION_LIMIT_REACHED`, Kafka 4.1) plus 134 and 135,
//!   which Kafka trunk added after 4.1. Later codes are reported as unknown.
//! - **Retriable** ([`ErrorCode::is_retriable`]): the exception class Kafka maps the code to
//!   extends `org.apache.kafka.common.errors.RetriableException` (the
//!   "Retriable" column of the protocol guide's error table).
//! - **Refresh metadata** ([`ErrorCode::needs_metadata_refresh`]): the exception class extends
//!   `InvalidMetadataException`, which is what makes the Java clients request a metadata
//!   update before retrying (`NOT_LEADER_OR_FOLLOWER`, `LEADER_NOT_AVAILABLE`,
//!   `UNKNOWN_TOPIC_OR_PARTITION`, `FENCED_LEADER_EPOCH`, `KAFKA_STORAGE_ERROR`,
//!   `NETWORK_EXCEPTION`, ...). `UNKNOWN_LEADER_EPOCH` is deliberately *not* in
//!   this set: its Java class is a plain `RetriableException` documented with
//!   "clients need not refresh metadata before retrying" (the broker is behind
//!   the client). Coordinator errors (`NOT_COORDINATOR`,
//!   `COORDINATOR_NOT_AVAILABLE`) call for a new FindCoordinator lookup rather
//!   than a metadata refresh; see [`ErrorCode::needs_coordinator_lookup`].
//! - **May have persisted** ([`ErrorCode::may_have_persisted`]): our own
//!   judgement from how the broker completes a produce request. A failure
//!   carries this flag when the records may have been appended anyway, so that
//!   retrying may duplicate them and the idempotent producer must not reuse
//!   the batch's sequence numbers for other records. The broker appends to the
//!   leader's log first and only then waits for replication (acks=all); the
//!   outcome of that wait can be `REQUEST_TIMED_OUT` (7),
//!   `NOT_ENOUGH_REPLICAS_AFTER_APPEND` (20), `NOT_LEADER_OR_FOLLOWER` (6,
//!   leadership moved after the append), `KAFKA_STORAGE_ERROR` (56, log dir
//!   went offline) or `UNKNOWN_TOPIC_OR_PARTITION` (3, replica removed). Add
//!   `UNKNOWN_SERVER_ERROR` (-1, anything can have happened),
//!   `NETWORK_EXCEPTION` (13, the connection dropped with the request in
//!   flight) and `DUPLICATE_SEQUENCE_NUMBER` (46, an earlier attempt of this
//!   very batch *was* written). `NOT_ENOUGH_REPLICAS` (19) is checked before
//!   the append, so it does not carry the flag. Unknown codes do, to be safe.

use std::fmt;

/// A Kafka error code as found in responses; `ErrorCode::NONE` (0) is success.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct ErrorCode(pub i16);

/// One row of the error table.
struct Row {
    code: i16,
    name: &'static str,
    retriable: bool,
    may_have_persisted: bool,
    refresh_metadata: bool,
    description: &'static str,
}

/// Turns a flag token of the table into a bool: `-` is false, a letter is true.
macro_rules! flag {
    (-) => {
        false
    };
    ($letter:ident) => {
        true
    };
}

/// Declares the associated constants and the table from one list.
/// Flags, in order: `R` retriable, `P` may have persisted, `M` refresh metadata.
macro_rules! error_table {
    ($( $code:literal $name:ident [$r:tt $p:tt $m:tt] $desc:literal, )*) => {
        impl ErrorCode {
            $(
                #[doc = concat!("`", stringify!($code), "`: ", $desc)]
                pub const $name: ErrorCode = ErrorCode($code);
            )*
        }

        const TABLE: &[Row] = &[
            $(
                Row {
                    code: $code,
                    name: stringify!($name),
                    retriable: flag!($r),
                    may_have_persisted: flag!($p),
                    refresh_metadata: flag!($m),
                    description: $desc,
                },
            )*
        ];
    };
}

error_table! {
    -1 UNKNOWN_SERVER_ERROR [- P -] "The server experienced an unexpected error when processing the request.",
    0 NONE [- - -] "No error.",
    1 OFFSET_OUT_OF_RANGE [- - -] "The requested offset is not within the range of offsets maintained by the server.",
    2 CORRUPT_MESSAGE [R - -] "This message has failed its CRC checksum, exceeds the valid size, has a null key for a compacted topic, or is otherwise corrupt.",
    3 UNKNOWN_TOPIC_OR_PARTITION [R P M] "This server does not host this topic-partition.",
    4 INVALID_FETCH_SIZE [- - -] "The requested fetch size is invalid.",
    5 LEADER_NOT_AVAILABLE [R - M] "There is no leader for this topic-partition as we are in the middle of a leadership election.",
    6 NOT_LEADER_OR_FOLLOWER [R P M] "The broker is not the leader (or, for replica requests, not a replica) of this topic-partition.",
    7 REQUEST_TIMED_OUT [R P -] "The request timed out.",
    8 BROKER_NOT_AVAILABLE [- - -] "The broker is not available.",
    9 REPLICA_NOT_AVAILABLE [R - M] "The replica is not available for the requested topic-partition.",
    10 MESSAGE_TOO_LARGE [- - -] "The request included a message larger than the max message size the server will accept.",
    11 STALE_CONTROLLER_EPOCH [- - -] "The controller moved to another broker.",
    12 OFFSET_METADATA_TOO_LARGE [- - -] "The metadata field of the offset request was too large.",
    13 NETWORK_EXCEPTION [R P M] "The server disconnected before a response was received.",
    14 COORDINATOR_LOAD_IN_PROGRESS [R - -] "The coordinator is loading and hence can't process requests.",
    15 COORDINATOR_NOT_AVAILABLE [R - -] "The coordinator is not available.",
    16 NOT_COORDINATOR [R - -] "This is not the correct coordinator.",
    17 INVALID_TOPIC_EXCEPTION [- - -] "The request attempted to perform an operation on an invalid topic.",
    18 RECORD_LIST_TOO_LARGE [- - -] "The request included message batch larger than the configured segment size on the server.",
    19 NOT_ENOUGH_REPLICAS [R - -] "Messages are rejected since there are fewer in-sync replicas than required.",
    20 NOT_ENOUGH_REPLICAS_AFTER_APPEND [R P -] "Messages are written to the log, but to fewer in-sync replicas than required.",
    21 INVALID_REQUIRED_ACKS [- - -] "Produce request specified an invalid value for required acks.",
    22 ILLEGAL_GENERATION [- - -] "Specified group generation id is not valid.",
    23 INCONSISTENT_GROUP_PROTOCOL [- - -] "The group member's supported protocols are incompatible with those of existing members.",
    24 INVALID_GROUP_ID [- - -] "The group id is invalid.",
    25 UNKNOWN_MEMBER_ID [- - -] "The coordinator is not aware of this member.",
    26 INVALID_SESSION_TIMEOUT [- - -] "The session timeout is not within the range allowed by the broker.",
    27 REBALANCE_IN_PROGRESS [- - -] "The group is rebalancing, so a rejoin is needed.",
    28 INVALID_COMMIT_OFFSET_SIZE [- - -] "The committing offset data size is not valid.",
    29 TOPIC_AUTHORIZATION_FAILED [- - -] "Topic authorization failed.",
    30 GROUP_AUTHORIZATION_FAILED [- - -] "Group authorization failed.",
    31 CLUSTER_AUTHORIZATION_FAILED [- - -] "Cluster authorization failed.",
    32 INVALID_TIMESTAMP [- - -] "The timestamp of the message is out of acceptable range.",
    33 UNSUPPORTED_SASL_MECHANISM [- - -] "The broker does not support the requested SASL mechanism.",
    34 ILLEGAL_SASL_STATE [- - -] "Request is not valid given the current SASL state.",
    35 UNSUPPORTED_VERSION [- - -] "The version of API is not supported.",
    36 TOPIC_ALREADY_EXISTS [- - -] "Topic with this name already exists.",
    37 INVALID_PARTITIONS [- - -] "Number of partitions is below 1.",
    38 INVALID_REPLICATION_FACTOR [- - -] "Replication factor is below 1 or larger than the number of available brokers.",
    39 INVALID_REPLICA_ASSIGNMENT [- - -] "Replica assignment is invalid.",
    40 INVALID_CONFIG [- - -] "Configuration is invalid.",
    41 NOT_CONTROLLER [R - -] "This is not the correct controller for this cluster.",
    42 INVALID_REQUEST [- - -] "The request is malformed or was sent to an incompatible broker; see the broker logs.",
    43 UNSUPPORTED_FOR_MESSAGE_FORMAT [- - -] "The message format version on the broker does not support the request.",
    44 POLICY_VIOLATION [- - -] "Request parameters do not satisfy the configured policy.",
    45 OUT_OF_ORDER_SEQUENCE_NUMBER [- - -] "The broker received an out of order sequence number.",
    46 DUPLICATE_SEQUENCE_NUMBER [- P -] "The broker received a duplicate sequence number.",
    47 INVALID_PRODUCER_EPOCH [- - -] "Producer attempted to produce with an old epoch.",
    48 INVALID_TXN_STATE [- - -] "The producer attempted a transactional operation in an invalid state.",
    49 INVALID_PRODUCER_ID_MAPPING [- - -] "The producer attempted to use a producer id which is not currently assigned to its transactional id.",
    50 INVALID_TRANSACTION_TIMEOUT [- - -] "The transaction timeout is larger than the maximum value allowed by the broker.",
    51 CONCURRENT_TRANSACTIONS [- - -] "The producer attempted to update a transaction while another concurrent operation on the same transaction was ongoing.",
    52 TRANSACTION_COORDINATOR_FENCED [- - -] "The transaction coordinator sending a WriteTxnMarker is no longer the current coordinator for the producer.",
    53 TRANSACTIONAL_ID_AUTHORIZATION_FAILED [- - -] "Transactional Id authorization failed.",
    54 SECURITY_DISABLED [- - -] "Security features are disabled.",
    55 OPERATION_NOT_ATTEMPTED [- - -] "The broker did not attempt to execute this operation (another operation of the batch failed).",
    56 KAFKA_STORAGE_ERROR [R P M] "Disk error when trying to access log file on the disk.",
    57 LOG_DIR_NOT_FOUND [- - -] "The user-specified log directory is not found in the broker config.",
    58 SASL_AUTHENTICATION_FAILED [- - -] "SASL Authentication failed.",
    59 UNKNOWN_PRODUCER_ID [- - -] "The broker could not locate the producer metadata associated with the producer id.",
    60 REASSIGNMENT_IN_PROGRESS [- - -] "A partition reassignment is in progress.",
    61 DELEGATION_TOKEN_AUTH_DISABLED [- - -] "Delegation Token feature is not enabled.",
    62 DELEGATION_TOKEN_NOT_FOUND [- - -] "Delegation Token is not found on server.",
    63 DELEGATION_TOKEN_OWNER_MISMATCH [- - -] "Specified Principal is not valid Owner/Renewer.",
    64 DELEGATION_TOKEN_REQUEST_NOT_ALLOWED [- - -] "Delegation Token requests are not allowed on PLAINTEXT/1-way SSL channels and on delegation token authenticated channels.",
    65 DELEGATION_TOKEN_AUTHORIZATION_FAILED [- - -] "Delegation Token authorization failed.",
    66 DELEGATION_TOKEN_EXPIRED [- - -] "Delegation Token is expired.",
    67 INVALID_PRINCIPAL_TYPE [- - -] "Supplied principalType is not supported.",
    68 NON_EMPTY_GROUP [- - -] "The group is not empty.",
    69 GROUP_ID_NOT_FOUND [- - -] "The group id does not exist.",
    70 FETCH_SESSION_ID_NOT_FOUND [R - -] "The fetch session ID was not found.",
    71 INVALID_FETCH_SESSION_EPOCH [R - -] "The fetch session epoch is invalid.",
    72 LISTENER_NOT_FOUND [R - M] "There is no listener on the leader broker that matches the listener on which metadata request was processed.",
    73 TOPIC_DELETION_DISABLED [- - -] "Topic deletion is disabled.",
    74 FENCED_LEADER_EPOCH [R - M] "The leader epoch in the request is older than the epoch on the broker.",
    75 UNKNOWN_LEADER_EPOCH [R - -] "The leader epoch in the request is newer than the epoch on the broker.",
    76 UNSUPPORTED_COMPRESSION_TYPE [- - -] "The requesting client does not support the compression type of given partition.",
    77 STALE_BROKER_EPOCH [- - -] "Broker epoch has changed.",
    78 OFFSET_NOT_AVAILABLE [R - -] "The leader high watermark has not caught up from a recent leader election so the offsets cannot be guaranteed to be monotonically increasing.",
    79 MEMBER_ID_REQUIRED [- - -] "The group member needs to have a valid member id before actually entering a consumer group.",
    80 PREFERRED_LEADER_NOT_AVAILABLE [R - M] "The preferred leader was not available.",
    81 GROUP_MAX_SIZE_REACHED [- - -] "The group has reached its maximum size.",
    82 FENCED_INSTANCE_ID [- - -] "Another consumer with the same group.instance.id has registered with a different member.id.",
    83 ELIGIBLE_LEADERS_NOT_AVAILABLE [R - M] "Eligible topic partition leaders are not available.",
    84 ELECTION_NOT_NEEDED [R - M] "Leader election not needed for topic partition.",
    85 NO_REASSIGNMENT_IN_PROGRESS [- - -] "No partition reassignment is in progress.",
    86 GROUP_SUBSCRIBED_TO_TOPIC [- - -] "Deleting offsets of a topic is forbidden while the consumer group is actively subscribed to it.",
    87 INVALID_RECORD [- - -] "This record has failed the validation on broker and hence will be rejected.",
    88 UNSTABLE_OFFSET_COMMIT [R - -] "There are unstable offsets that need to be cleared.",
    89 THROTTLING_QUOTA_EXCEEDED [R - -] "The throttling quota has been exceeded.",
    90 PRODUCER_FENCED [- - -] "There is a newer producer with the same transactionalId which fences the current one.",
    91 RESOURCE_NOT_FOUND [- - -] "A request illegally referred to a resource that does not exist.",
    92 DUPLICATE_RESOURCE [- - -] "A request illegally referred to the same resource twice.",
    93 UNACCEPTABLE_CREDENTIAL [- - -] "Requested credential would not meet criteria for acceptability.",
    94 INCONSISTENT_VOTER_SET [- - -] "The sender or recipient of a voter-only request is not one of the expected voters.",
    95 INVALID_UPDATE_VERSION [- - -] "The given update version was invalid.",
    96 FEATURE_UPDATE_FAILED [- - -] "Unable to update finalized features due to an unexpected server error.",
    97 PRINCIPAL_DESERIALIZATION_FAILURE [- - -] "Request principal deserialization failed during forwarding.",
    98 SNAPSHOT_NOT_FOUND [- - -] "Requested snapshot was not found.",
    99 POSITION_OUT_OF_RANGE [- - -] "Requested position is not greater than or equal to zero, and less than the size of the snapshot.",
    100 UNKNOWN_TOPIC_ID [R - M] "This server does not host this topic ID.",
    101 DUPLICATE_BROKER_REGISTRATION [- - -] "This broker ID is already in use.",
    102 BROKER_ID_NOT_REGISTERED [- - -] "The given broker ID was not registered.",
    103 INCONSISTENT_TOPIC_ID [R - M] "The log's topic ID did not match the topic ID in the request.",
    104 INCONSISTENT_CLUSTER_ID [- - -] "The clusterId in the request does not match that found on the server.",
    105 TRANSACTIONAL_ID_NOT_FOUND [- - -] "The transactionalId could not be found.",
    106 FETCH_SESSION_TOPIC_ID_ERROR [R - -] "The fetch session encountered inconsistent topic ID usage.",
    107 INELIGIBLE_REPLICA [- - -] "The new ISR contains at least one ineligible replica.",
    108 NEW_LEADER_ELECTED [- - -] "The AlterPartition request successfully updated the partition state but the leader has changed.",
    109 OFFSET_MOVED_TO_TIERED_STORAGE [- - -] "The requested offset is moved to tiered storage.",
    110 FENCED_MEMBER_EPOCH [- - -] "The member epoch is fenced by the group coordinator; the member must rejoin.",
    111 UNRELEASED_INSTANCE_ID [- - -] "The instance ID is still used by another member in the consumer group.",
    112 UNSUPPORTED_ASSIGNOR [- - -] "The assignor or its version range is not supported by the consumer group.",
    113 STALE_MEMBER_EPOCH [- - -] "The member epoch is stale; retry after receiving the updated member epoch.",
    114 MISMATCHED_ENDPOINT_TYPE [- - -] "The request was sent to an endpoint of the wrong type.",
    115 UNSUPPORTED_ENDPOINT_TYPE [- - -] "This endpoint type is not supported yet.",
    116 UNKNOWN_CONTROLLER_ID [- - -] "This controller ID is not known.",
    117 UNKNOWN_SUBSCRIPTION_ID [- - -] "Client sent a push telemetry request with an invalid or outdated subscription ID.",
    118 TELEMETRY_TOO_LARGE [- - -] "Client sent a push telemetry request larger than the maximum size the broker will accept.",
    119 INVALID_REGISTRATION [- - -] "The controller has considered the broker registration to be invalid.",
    120 TRANSACTION_ABORTABLE [- - -] "The server encountered an error with the transaction; the client can abort the transaction to continue.",
    121 INVALID_RECORD_STATE [- - -] "The record state is invalid; the acknowledgement of delivery could not be completed.",
    122 SHARE_SESSION_NOT_FOUND [R - -] "The share session was not found.",
    123 INVALID_SHARE_SESSION_EPOCH [R - -] "The share session epoch is invalid.",
    124 FENCED_STATE_EPOCH [- - -] "The share coordinator rejected the request because the share-group state epoch did not match.",
    125 INVALID_VOTER_KEY [- - -] "The voter key doesn't match the receiving replica's key.",
    126 DUPLICATE_VOTER [- - -] "The voter is already part of the set of voters.",
    127 VOTER_NOT_FOUND [- - -] "The voter is not part of the set of voters.",
    128 INVALID_REGULAR_EXPRESSION [- - -] "The regular expression is not valid.",
    129 REBOOTSTRAP_REQUIRED [- - -] "Client metadata is stale; the client should rebootstrap to obtain new metadata.",
    130 STREAMS_INVALID_TOPOLOGY [- - -] "The supplied topology is invalid.",
    131 STREAMS_INVALID_TOPOLOGY_EPOCH [- - -] "The supplied topology epoch is invalid.",
    132 STREAMS_TOPOLOGY_FENCED [- - -] "The supplied topology epoch is outdated.",
    133 SHARE_SESSION_LIMIT_REACHED [R - -] "The limit of share sessions has been reached.",
    134 GROUP_DELETION_FAILED [- - -] "DeleteGroups could not complete; see the per-group error message.",
    135 STREAMS_TOPOLOGY_DESCRIPTION_UPDATE_FAILED [- - -] "The broker could not process the topology description update.",
}

// The table must be dense from -1 so that `code + 1` indexes it.
const _: () = {
    let mut i = 0;
    while i < TABLE.len() {
        assert!(TABLE[i].code as isize == i as isize - 1);
        i += 1;
    }
};

impl ErrorCode {
    /// The highest code in the table; larger codes are unknown to this crate.
    pub const MAX_KNOWN: i16 = TABLE[TABLE.len() - 1].code;

    fn row(self) -> Option<&'static Row> {
        let index = usize::try_from(i32::from(self.0) + 1).ok()?;
        TABLE.get(index)
    }

    /// Whether this is `NONE` (0), i.e. success.
    pub fn is_ok(self) -> bool {
        self.0 == 0
    }

    /// Whether this is a code Kafka defines (up to [`ErrorCode::MAX_KNOWN`]).
    pub fn is_known(self) -> bool {
        self.row().is_some()
    }

    /// The Java enum name (`"NOT_LEADER_OR_FOLLOWER"`), or
    /// `"UNKNOWN_ERROR_CODE"` for codes not in the table.
    pub fn name(self) -> &'static str {
        self.row().map_or("UNKNOWN_ERROR_CODE", |r| r.name)
    }

    /// A one-line description of the error.
    pub fn description(self) -> &'static str {
        self.row()
            .map_or("An error code this client does not know.", |r| {
                r.description
            })
    }

    /// Whether Kafka classes the error as retriable (the same request may
    /// succeed later). Unknown codes are not retriable.
    pub fn is_retriable(self) -> bool {
        self.row().is_some_and(|r| r.retriable)
    }

    /// Whether a request that failed with this error may nevertheless have
    /// written its records (see the module documentation). Unknown codes
    /// answer `true`.
    pub fn may_have_persisted(self) -> bool {
        self.row().is_none_or(|r| r.may_have_persisted)
    }

    /// Whether the client's cluster metadata (partition leaders) is likely
    /// stale and should be refreshed before retrying.
    pub fn needs_metadata_refresh(self) -> bool {
        self.row().is_some_and(|r| r.refresh_metadata)
    }

    /// Whether the group or transaction coordinator must be looked up again
    /// (FindCoordinator) before retrying: `NOT_COORDINATOR` and
    /// `COORDINATOR_NOT_AVAILABLE`.
    pub fn needs_coordinator_lookup(self) -> bool {
        self == Self::NOT_COORDINATOR || self == Self::COORDINATOR_NOT_AVAILABLE
    }

    /// `Ok(())` for `NONE`, `Err(self)` otherwise.
    pub fn into_result(self) -> Result<(), ErrorCode> {
        if self.is_ok() {
            Ok(())
        } else {
            Err(self)
        }
    }
}

impl From<i16> for ErrorCode {
    fn from(code: i16) -> Self {
        ErrorCode(code)
    }
}

impl From<ErrorCode> for i16 {
    fn from(code: ErrorCode) -> Self {
        code.0
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.name(), self.0)
    }
}

impl std::error::Error for ErrorCode {}

#[cfg(test)]
mod tests {
    use super::*;
    use kafka_protocol::error::ResponseError;
    use std::collections::HashSet;

    #[test]
    fn every_row_sits_at_its_code() {
        for (i, row) in TABLE.iter().enumerate() {
            assert_eq!(i32::from(row.code), i as i32 - 1, "{}", row.name);
            assert_eq!(ErrorCode(row.code).name(), row.name);
        }
        assert_eq!(ErrorCode::MAX_KNOWN, 135);
    }

    #[test]
    fn names_are_unique_and_upper_snake_case() {
        let mut seen = HashSet::new();
        for row in TABLE {
            assert!(seen.insert(row.name), "duplicate name {}", row.name);
            assert!(row
                .name
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_'));
            assert!(!row.description.is_empty());
        }
    }

    #[test]
    fn spot_checks() {
        let e = ErrorCode::NOT_LEADER_OR_FOLLOWER;
        assert_eq!(e, ErrorCode(6));
        assert!(e.is_retriable() && e.needs_metadata_refresh() && !e.is_ok());
        let e = ErrorCode(10);
        assert_eq!(e.name(), "MESSAGE_TOO_LARGE");
        assert!(!e.is_retriable() && !e.may_have_persisted() && !e.needs_metadata_refresh());
        let e = ErrorCode(20);
        assert_eq!(e, ErrorCode::NOT_ENOUGH_REPLICAS_AFTER_APPEND);
        assert!(e.is_retriable() && e.may_have_persisted() && !e.needs_metadata_refresh());
        let e = ErrorCode::NOT_ENOUGH_REPLICAS;
        assert!(e.is_retriable() && !e.may_have_persisted());
        assert_eq!(ErrorCode(45).name(), "OUT_OF_ORDER_SEQUENCE_NUMBER");
        assert_eq!(ErrorCode(46).name(), "DUPLICATE_SEQUENCE_NUMBER");
        assert_eq!(ErrorCode(47).name(), "INVALID_PRODUCER_EPOCH");
        assert_eq!(ErrorCode(59).name(), "UNKNOWN_PRODUCER_ID");
        assert_eq!(ErrorCode(90).name(), "PRODUCER_FENCED");
        for code in [-1, 7, 13, 20] {
            assert!(ErrorCode(code).may_have_persisted(), "{code}");
        }
        for e in [
            ErrorCode::LEADER_NOT_AVAILABLE,
            ErrorCode::UNKNOWN_TOPIC_OR_PARTITION,
            ErrorCode::FENCED_LEADER_EPOCH,
            ErrorCode::KAFKA_STORAGE_ERROR,
        ] {
            assert!(e.needs_metadata_refresh() && e.is_retriable(), "{e}");
        }
        assert!(!ErrorCode::UNKNOWN_LEADER_EPOCH.needs_metadata_refresh());
        assert!(ErrorCode::NOT_COORDINATOR.needs_coordinator_lookup());
        assert!(!ErrorCode::NOT_COORDINATOR.needs_metadata_refresh());
        assert!(ErrorCode::NONE.is_ok() && ErrorCode::NONE.into_result().is_ok());
        assert!(!ErrorCode::NONE.may_have_persisted());
        assert_eq!(
            ErrorCode::UNKNOWN_SERVER_ERROR.to_string(),
            "UNKNOWN_SERVER_ERROR (-1)"
        );
    }

    #[test]
    fn unknown_codes_are_conservative() {
        for code in [i16::MIN, -2, ErrorCode::MAX_KNOWN + 1, 1000, i16::MAX] {
            let e = ErrorCode(code);
            assert!(!e.is_known());
            assert_eq!(e.name(), "UNKNOWN_ERROR_CODE");
            assert!(!e.is_retriable() && e.may_have_persisted() && !e.needs_metadata_refresh());
            assert_eq!(e.to_string(), format!("UNKNOWN_ERROR_CODE ({code})"));
            assert_eq!(e.into_result(), Err(e));
        }
    }

    /// `NOT_LEADER_OR_FOLLOWER` -> `NotLeaderOrFollower`, kafka-protocol's variant naming.
    fn camel(name: &str) -> String {
        name.split('_')
            .map(|w| {
                let mut c = w.chars();
                let first = c.next().map(|f| f.to_ascii_uppercase());
                first
                    .into_iter()
                    .chain(c.map(|x| x.to_ascii_lowercase()))
                    .collect::<String>()
            })
            .collect()
    }

    #[test]
    fn agrees_with_kafka_protocol() {
        let mut known_to_both = 0;
        for code in i16::MIN..=i16::MAX {
            let ours = ErrorCode(code);
            match ResponseError::try_from_code(code) {
                None => assert!(ours.is_ok()),
                Some(ResponseError::Unknown(c)) => {
                    assert_eq!(c, code);
                    // Only the codes Kafka added after kafka-protocol 0.18 may differ.
                    assert!(!ours.is_known() || code > 133, "{ours}");
                }
                Some(theirs) => {
                    known_to_both += 1;
                    assert_eq!(theirs.code(), code);
                    assert!(ours.is_known(), "{theirs:?}");
                    assert_eq!(camel(ours.name()), theirs.to_string(), "{code}");
                    assert_eq!(ours.is_retriable(), theirs.is_retriable(), "{ours}");
                }
            }
        }
        assert_eq!(known_to_both, 134);
    }
}
