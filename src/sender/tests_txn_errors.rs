//! Stepped sender tests for transactions v1, error paths: InitProducerId,
//! AddPartitionsToTxn, TxnOffsetCommit and EndTxn refused or unanswered,
//! records failing in a transaction, aborts, and the epoch bump after a
//! sequence error (KIP-360). Helpers (and most imports) in `tests_txn.rs`.

use super::super::tests::produce_answer;
use super::*;
use crate::error::Error;

#[test]
fn init_refinds_the_coordinator_after_coordinator_errors() {
    for code in [
        ErrorCode::COORDINATOR_NOT_AVAILABLE,
        ErrorCode::NOT_COORDINATOR,
    ] {
        let mut h = txn_harness(txn_config());
        let id = ask(&h, TxnOpKind::Init);
        find(&mut h, ID, KEY_TYPE_TRANSACTION, 1);
        let (req, _) = one::<InitProducerIdRequest>(&mut h);
        reply::<InitProducerIdRequest>(&mut h, &req, &init_answer(code, 0));
        let (r, waited) = wait_for(&mut h, Duration::from_secs(1));
        assert!(
            waited >= MS * 100,
            "{code}: after retry.backoff.ms: {waited:?}"
        );
        let (req, body) = only::<FindCoordinatorRequest>(r);
        check_find(&body, ID, KEY_TYPE_TRANSACTION);
        let resp = coordinator_answer(&req, 2, ErrorCode::NONE);
        reply::<FindCoordinatorRequest>(&mut h, &req, &resp);
        let (req, body) = one::<InitProducerIdRequest>(&mut h);
        check_init(&req, &body, 2);
        reply::<InitProducerIdRequest>(&mut h, &req, &init_answer(ErrorCode::NONE, 0));
        h.step();
        assert_eq!(outcome(&h, id), Some(Ok(())), "{code}");
        assert_eq!(state(&h), TxnState::Ready);
    }
}

#[test]
fn init_retries_loading_and_concurrent_transactions_after_a_short_backoff() {
    for code in [
        ErrorCode::COORDINATOR_LOAD_IN_PROGRESS,
        ErrorCode::CONCURRENT_TRANSACTIONS,
    ] {
        let mut h = txn_harness(txn_config());
        let id = ask(&h, TxnOpKind::Init);
        find(&mut h, ID, KEY_TYPE_TRANSACTION, 1);
        let (req, _) = one::<InitProducerIdRequest>(&mut h);
        reply::<InitProducerIdRequest>(&mut h, &req, &init_answer(code, 0));
        let refused = h.clock.now();
        let wake = h.step();
        assert!(
            wake.is_some_and(|w| w <= refused + MS * 20),
            "{code}: the sender wakes up for the retry: {:?}",
            wake.map(|w| w - refused)
        );
        for _ in 0..10 {
            h.step();
        }
        assert!(requests(&mut h).is_empty(), "{code}: retried at once");
        let (r, waited) = wait_for(&mut h, Duration::from_secs(1));
        assert_eq!(waited, MS * 20, "{code}: a 20 ms backoff");
        let (req, body) = only::<InitProducerIdRequest>(r);
        check_init(&req, &body, 1);
        reply::<InitProducerIdRequest>(&mut h, &req, &init_answer(ErrorCode::NONE, 0));
        h.step();
        assert_eq!(outcome(&h, id), Some(Ok(())), "{code}");
    }
}

#[test]
fn init_refused_for_authorization_is_fatal() {
    let mut h = txn_harness(txn_config());
    let id = ask(&h, TxnOpKind::Init);
    find(&mut h, ID, KEY_TYPE_TRANSACTION, 1);
    let (req, _) = one::<InitProducerIdRequest>(&mut h);
    let code = ErrorCode::TRANSACTIONAL_ID_AUTHORIZATION_FAILED;
    reply::<InitProducerIdRequest>(&mut h, &req, &init_answer(code, 0));
    h.step();
    match outcome(&h, id) {
        Some(Err(e)) => assert!(e.is_fatal() && e.code() == Some(code), "{e}"),
        other => panic!("fatal expected: {other:?}"),
    }
    assert_eq!(state(&h), TxnState::FatalError);
    assert!(h.shared.fatal.lock().is_some(), "the producer is failed");
    let (r, _) = wait_for(&mut h, Duration::from_millis(300));
    assert!(r.is_empty(), "not retried: {:?}", keys(&r));
}

#[test]
fn init_without_an_answer_is_retried() {
    let mut h = txn_harness(txn_config());
    let id = ask(&h, TxnOpKind::Init);
    find(&mut h, ID, KEY_TYPE_TRANSACTION, 1);
    let (_lost, _) = one::<InitProducerIdRequest>(&mut h);
    // request.timeout.ms passes: the connection is closed, the coordinator
    // found again, InitProducerId sent again.
    let (r, waited) = wait_for(&mut h, Duration::from_secs(2));
    assert!(waited >= MS * 1100, "timeout then backoff: {waited:?}");
    assert_eq!(h.sender.net.disconnect_count(1), 1);
    let (req, body) = only::<FindCoordinatorRequest>(r);
    check_find(&body, ID, KEY_TYPE_TRANSACTION);
    let resp = coordinator_answer(&req, 1, ErrorCode::NONE);
    reply::<FindCoordinatorRequest>(&mut h, &req, &resp);
    let (req, body) = one::<InitProducerIdRequest>(&mut h);
    check_init(&req, &body, 1);
    // This time the connection drops: the same again.
    h.sender.net.drop_connection(1);
    let (r, _) = wait_for(&mut h, Duration::from_secs(1));
    let (req, _) = only::<FindCoordinatorRequest>(r);
    let resp = coordinator_answer(&req, 1, ErrorCode::NONE);
    reply::<FindCoordinatorRequest>(&mut h, &req, &resp);
    let (req, body) = one::<InitProducerIdRequest>(&mut h);
    check_init(&req, &body, 1);
    reply::<InitProducerIdRequest>(&mut h, &req, &init_answer(ErrorCode::NONE, 0));
    h.step();
    assert_eq!(outcome(&h, id), Some(Ok(())));
    assert_eq!(state(&h), TxnState::Ready);
}

/// Inside a transaction, a batch of partition 0 appended and its
/// AddPartitionsToTxn returned unanswered.
fn adding() -> (
    Harness,
    crate::delivery::DeliveryHandle,
    Req,
    AddPartitionsToTxnRequest,
) {
    let mut h = txn_harness(txn_config());
    init(&mut h);
    begin(&h);
    let handle = h.append(0, b"a");
    let (req, body) = one::<AddPartitionsToTxnRequest>(&mut h);
    (h, handle, req, body)
}

#[test]
fn add_partitions_concurrent_transactions_is_retried_after_20_ms() {
    let (mut h, handle, req, body) = adding();
    let code = ErrorCode::CONCURRENT_TRANSACTIONS;
    reply::<AddPartitionsToTxnRequest>(&mut h, &req, &add_answer(&body, code));
    for _ in 0..10 {
        h.step();
    }
    assert!(requests(&mut h).is_empty(), "not retried at once");
    let (r, waited) = wait_for(&mut h, Duration::from_secs(1));
    assert_eq!(waited, MS * 20, "the Java client's 20 ms");
    let (req, body) = only::<AddPartitionsToTxnRequest>(r);
    assert_eq!(add_topics(&body), [(TOPIC.to_owned(), vec![0])]);
    reply::<AddPartitionsToTxnRequest>(&mut h, &req, &add_answer(&body, ErrorCode::NONE));
    let r = pump(&mut h);
    assert_eq!(keys(&r), [(1, ProduceRequest::API_KEY)]);
    h.answer::<ProduceRequest>(1, &r[0].1, &produce_ok(&r[0].1, 3));
    h.step();
    assert!(done(&handle).expect("done").is_ok());
    assert_eq!(state(&h), TxnState::InTransaction);
}

#[test]
fn add_partitions_not_coordinator_finds_the_coordinator_again() {
    let (mut h, _handle, req, body) = adding();
    let code = ErrorCode::NOT_COORDINATOR;
    reply::<AddPartitionsToTxnRequest>(&mut h, &req, &add_answer(&body, code));
    let (r, _) = wait_for(&mut h, Duration::from_secs(1));
    let (req, body) = only::<FindCoordinatorRequest>(r);
    check_find(&body, ID, KEY_TYPE_TRANSACTION);
    let resp = coordinator_answer(&req, 2, ErrorCode::NONE);
    reply::<FindCoordinatorRequest>(&mut h, &req, &resp);
    let (req, body) = one::<AddPartitionsToTxnRequest>(&mut h);
    assert_eq!(req.0, 2, "to the new coordinator");
    reply::<AddPartitionsToTxnRequest>(&mut h, &req, &add_answer(&body, ErrorCode::NONE));
    let r = pump(&mut h);
    assert_eq!(keys(&r), [(1, ProduceRequest::API_KEY)], "to the leader");
}

#[test]
fn add_partitions_fenced_is_fatal() {
    for code in [
        ErrorCode::PRODUCER_FENCED,
        ErrorCode::INVALID_PRODUCER_EPOCH,
    ] {
        let (mut h, handle, req, body) = adding();
        reply::<AddPartitionsToTxnRequest>(&mut h, &req, &add_answer(&body, code));
        h.step();
        assert_eq!(state(&h), TxnState::FatalError, "{code}");
        let ctl_error = h.shared.txn.as_ref().unwrap().ctl.lock().error.clone();
        assert!(ctl_error.is_some_and(|e| e.is_fatal()), "{code}");
        match h.shared.fatal.lock().clone() {
            Some(Error::Transaction(e)) => assert!(e.is_fatal() && e.code() == Some(code)),
            other => panic!("{code}: the producer's fatal error: {other:?}"),
        }
        h.step();
        assert!(done(&handle).expect("failed").is_err(), "{code}");
        let (r, _) = wait_for(&mut h, Duration::from_millis(300));
        assert!(r.is_empty(), "{code}: {:?}", keys(&r));
    }
}

#[test]
fn add_partitions_topic_authorization_failed_is_abortable() {
    let (mut h, handle, req, body) = adding();
    let code = ErrorCode::TOPIC_AUTHORIZATION_FAILED;
    reply::<AddPartitionsToTxnRequest>(&mut h, &req, &add_answer(&body, code));
    h.step();
    assert_eq!(state(&h), TxnState::AbortableError);
    assert!(h.shared.fatal.lock().is_none(), "not fatal");
    let (r, _) = wait_for(&mut h, Duration::from_millis(300));
    assert!(r.is_empty(), "nothing sent: {:?}", keys(&r));
    // The abort fails the batch; nothing was added: no EndTxn.
    let id = ask(&h, TxnOpKind::Abort);
    let r = pump(&mut h);
    assert!(r.is_empty(), "{:?}", keys(&r));
    assert_eq!(outcome(&h, id), Some(Ok(())));
    assert_eq!(state(&h), TxnState::Ready);
    match done(&handle) {
        Some(Err(crate::DeliveryError::Transaction(e))) => assert!(e.is_abortable(), "{e}"),
        other => panic!("aborted: {other:?}"),
    }
}

#[test]
fn a_failed_record_turns_the_commit_into_an_abortable_error() {
    let (mut h, handle, produce) = in_flight(txn_config());
    let id = ask(&h, TxnOpKind::Commit);
    h.step();
    let refused = produce_answer(&produce.1, ErrorCode::INVALID_RECORD, -1);
    h.answer::<ProduceRequest>(1, &produce.1, &refused);
    let r = pump(&mut h);
    assert!(r.is_empty(), "no EndTxn commit: {:?}", keys(&r));
    assert!(done(&handle).expect("failed").is_err());
    assert_eq!(failed(&h, id), TransactionErrorKind::Abortable);
    assert_eq!(state(&h), TxnState::AbortableError);
    // Abort: the partition was added, so EndTxn(abort); the failed batch
    // left a sequence hole, so the epoch is bumped (as the Java client does
    // after an abortable error with a KIP-360 coordinator).
    let id = ask(&h, TxnOpKind::Abort);
    let end = expect_end(pump(&mut h), 1, false, 0);
    reply::<EndTxnRequest>(&mut h, &end, &end_answer(ErrorCode::NONE));
    let (req, body) = one::<InitProducerIdRequest>(&mut h);
    check_init(&req, &body, 1);
    assert_eq!((body.producer_id, body.producer_epoch), (PID, 0));
    reply::<InitProducerIdRequest>(&mut h, &req, &init_answer(ErrorCode::NONE, 1));
    h.step();
    assert_eq!(outcome(&h, id), Some(Ok(())));
    assert_eq!(state(&h), TxnState::Ready);
}

/// Commit of a transaction whose batch was delivered: its EndTxn request.
fn committing() -> (Harness, u64, Req) {
    let (mut h, handle, produce) = in_flight(txn_config());
    h.answer::<ProduceRequest>(1, &produce.1, &produce_ok(&produce.1, 0));
    h.step();
    assert!(done(&handle).expect("done").is_ok());
    let id = ask(&h, TxnOpKind::Commit);
    let end = expect_end(pump(&mut h), 1, true, 0);
    (h, id, end)
}

#[test]
fn end_txn_not_coordinator_finds_the_coordinator_again() {
    let (mut h, id, end) = committing();
    reply::<EndTxnRequest>(&mut h, &end, &end_answer(ErrorCode::NOT_COORDINATOR));
    let (r, _) = wait_for(&mut h, Duration::from_secs(1));
    let (req, body) = only::<FindCoordinatorRequest>(r);
    check_find(&body, ID, KEY_TYPE_TRANSACTION);
    let resp = coordinator_answer(&req, 2, ErrorCode::NONE);
    reply::<FindCoordinatorRequest>(&mut h, &req, &resp);
    let end = expect_end(pump(&mut h), 2, true, 0);
    assert_eq!(outcome(&h, id), None);
    reply::<EndTxnRequest>(&mut h, &end, &end_answer(ErrorCode::NONE));
    h.step();
    assert_eq!(outcome(&h, id), Some(Ok(())));
    assert_eq!(state(&h), TxnState::Ready);
}

#[test]
fn end_txn_concurrent_transactions_is_retried_after_a_short_backoff() {
    let (mut h, id, end) = committing();
    let code = ErrorCode::CONCURRENT_TRANSACTIONS;
    reply::<EndTxnRequest>(&mut h, &end, &end_answer(code));
    for _ in 0..10 {
        h.step();
    }
    assert!(requests(&mut h).is_empty(), "not retried at once");
    let (r, waited) = wait_for(&mut h, Duration::from_secs(1));
    assert_eq!(waited, MS * 20);
    let end = expect_end(r, 1, true, 0);
    reply::<EndTxnRequest>(&mut h, &end, &end_answer(ErrorCode::NONE));
    h.step();
    assert_eq!(outcome(&h, id), Some(Ok(())));
}

#[test]
fn end_txn_fenced_is_fatal() {
    let (mut h, id, end) = committing();
    reply::<EndTxnRequest>(&mut h, &end, &end_answer(ErrorCode::PRODUCER_FENCED));
    h.step();
    assert_eq!(failed(&h, id), TransactionErrorKind::Fatal);
    assert_eq!(state(&h), TxnState::FatalError);
    assert!(h.shared.fatal.lock().is_some());
}

#[test]
fn abort_fails_queued_batches_waits_for_in_flight_ones_then_ends_the_transaction() {
    let (mut h, sent, produce) = in_flight(txn_config().max_in_flight(1));
    let queued = h.append(0, b"queued");
    for _ in 0..3 {
        h.step();
    }
    assert!(requests(&mut h).is_empty(), "one request in flight at most");
    let id = ask(&h, TxnOpKind::Abort);
    h.step();
    match done(&queued) {
        Some(Err(e @ crate::DeliveryError::Transaction(_))) => {
            assert!(!e.may_have_persisted(), "{e}");
            let crate::DeliveryError::Transaction(t) = e else {
                unreachable!()
            };
            assert!(t.is_abortable(), "{t}");
        }
        other => panic!("the queued batch fails at once: {other:?}"),
    }
    assert!(done(&sent).is_none(), "the in-flight batch is waited for");
    assert!(requests(&mut h).is_empty(), "no EndTxn while in flight");
    h.answer::<ProduceRequest>(1, &produce.1, &produce_ok(&produce.1, 9));
    let end = expect_end(pump(&mut h), 1, false, 0);
    assert_eq!(done(&sent).expect("done").expect("ok").offset, 9);
    reply::<EndTxnRequest>(&mut h, &end, &end_answer(ErrorCode::NONE));
    h.step();
    assert_eq!(outcome(&h, id), Some(Ok(())));
    assert_eq!(state(&h), TxnState::Ready);
    let (r, _) = wait_for(&mut h, Duration::from_millis(300));
    assert!(r.is_empty(), "no epoch bump: {:?}", keys(&r));
}

#[test]
fn a_sequence_error_makes_the_transaction_abortable_and_the_abort_bumps_the_epoch() {
    for code in [
        ErrorCode::OUT_OF_ORDER_SEQUENCE_NUMBER,
        ErrorCode::UNKNOWN_PRODUCER_ID,
    ] {
        let (mut h, handle, produce) = in_flight(txn_config());
        let refused = produce_answer(&produce.1, code, -1);
        h.answer::<ProduceRequest>(1, &produce.1, &refused);
        h.step();
        h.step();
        assert_eq!(state(&h), TxnState::AbortableError, "{code}");
        let ctl_error = h.shared.txn.as_ref().unwrap().ctl.lock().error.clone();
        assert!(ctl_error.is_some_and(|e| e.is_abortable()), "{code}");
        let (r, _) = wait_for(&mut h, Duration::from_millis(300));
        assert!(
            r.is_empty(),
            "{code}: nothing before the abort: {:?}",
            keys(&r)
        );
        let id = ask(&h, TxnOpKind::Abort);
        let end = expect_end(pump(&mut h), 1, false, 0);
        match done(&handle) {
            Some(Err(crate::DeliveryError::Transaction(e))) => {
                assert!(e.is_abortable(), "{code}: {e}")
            }
            other => panic!("{code}: the batch fails with the abort: {other:?}"),
        }
        reply::<EndTxnRequest>(&mut h, &end, &end_answer(ErrorCode::NONE));
        assert_eq!(state(&h), TxnState::Aborting);
        // The bump: same producer id and current epoch (v3+, KIP-360).
        let (req, body) = one::<InitProducerIdRequest>(&mut h);
        check_init(&req, &body, 1);
        assert!(req.1.version >= 3);
        assert_eq!((body.producer_id, body.producer_epoch), (PID, 0), "{code}");
        assert_eq!(outcome(&h, id), None, "{code}: not before the bump");
        reply::<InitProducerIdRequest>(&mut h, &req, &init_answer(ErrorCode::NONE, 1));
        h.step();
        assert_eq!(outcome(&h, id), Some(Ok(())), "{code}");
        assert_eq!(state(&h), TxnState::Ready);
        // The next transaction goes under the new epoch, from sequence 0.
        begin(&h);
        let next = h.append(0, b"next");
        add(&mut h, &[0], 1, ErrorCode::NONE);
        let r = pump(&mut h);
        assert_eq!(keys(&r), [(1, ProduceRequest::API_KEY)], "{code}");
        assert_eq!(stamps(&r[0].1), [(0, PID, 1, 0, true)], "{code}");
        h.answer::<ProduceRequest>(1, &r[0].1, &produce_ok(&r[0].1, 20));
        h.step();
        assert!(done(&next).expect("done").is_ok(), "{code}");
    }
}

/// In a transaction, send_offsets through AddOffsetsToTxn and the group's
/// FindCoordinator, up to its TxnOffsetCommit (returned, unanswered).
fn offsets_up_to_commit() -> (Harness, u64, Req) {
    let mut h = txn_harness(txn_config());
    init(&mut h);
    begin(&h);
    let id = send_offsets(&h);
    let (req, _) = one::<AddOffsetsToTxnRequest>(&mut h);
    reply::<AddOffsetsToTxnRequest>(&mut h, &req, &AddOffsetsToTxnResponse::default());
    find(&mut h, "grp", KEY_TYPE_GROUP, 2);
    let (req, _) = one::<TxnOffsetCommitRequest>(&mut h);
    (h, id, req)
}

fn send_offsets(h: &Harness) -> u64 {
    let offsets = vec![("in".to_owned(), 0, 42)];
    let group = ConsumerGroupMetadata::new("grp");
    ask(h, TxnOpKind::SendOffsets { offsets, group })
}

fn offset_commit_answer(code: ErrorCode) -> TxnOffsetCommitResponse {
    TxnOffsetCommitResponse {
        topics: vec![TxnOffsetCommitResponseTopic {
            name: "in".into(),
            partitions: vec![TxnOffsetCommitResponsePartition {
                partition_index: 0,
                error_code: code.0,
            }],
        }],
        ..Default::default()
    }
}

#[test]
fn offsets_refused_by_the_group_abort_and_the_next_transaction_adds_the_group_again() {
    let (mut h, id, req) = offsets_up_to_commit();
    let refused = offset_commit_answer(ErrorCode::ILLEGAL_GENERATION);
    reply::<TxnOffsetCommitRequest>(&mut h, &req, &refused);
    h.step();
    assert_eq!(failed(&h, id), TransactionErrorKind::Abortable);
    assert_eq!(state(&h), TxnState::AbortableError);
    let id = ask(&h, TxnOpKind::Abort);
    let end = expect_end(pump(&mut h), 1, false, 0);
    reply::<EndTxnRequest>(&mut h, &end, &end_answer(ErrorCode::NONE));
    // (The abortable error asked no bump: nothing was produced.)
    let r = pump(&mut h);
    assert!(r.is_empty(), "{:?}", keys(&r));
    assert_eq!(outcome(&h, id), Some(Ok(())));
    // A new transaction: the group must be added to it again before its
    // offsets are committed, or the commit would not cover them.
    begin(&h);
    let _id = send_offsets(&h);
    let (_req, body) = one::<AddOffsetsToTxnRequest>(&mut h);
    assert_eq!(body.group_id, "grp");
}

#[test]
fn the_group_coordinator_not_found_keeps_the_transaction_coordinator() {
    let mut h = txn_harness(txn_config());
    init(&mut h);
    begin(&h);
    let id = send_offsets(&h);
    let (req, _) = one::<AddOffsetsToTxnRequest>(&mut h);
    reply::<AddOffsetsToTxnRequest>(&mut h, &req, &AddOffsetsToTxnResponse::default());
    let (req, body) = one::<FindCoordinatorRequest>(&mut h);
    check_find(&body, "grp", KEY_TYPE_GROUP);
    let resp = coordinator_answer(&req, -1, ErrorCode::COORDINATOR_NOT_AVAILABLE);
    reply::<FindCoordinatorRequest>(&mut h, &req, &resp);
    let (r, _) = wait_for(&mut h, Duration::from_secs(1));
    let (req, body) = only::<FindCoordinatorRequest>(r);
    check_find(&body, "grp", KEY_TYPE_GROUP);
    let resp = coordinator_answer(&req, 2, ErrorCode::NONE);
    reply::<FindCoordinatorRequest>(&mut h, &req, &resp);
    let (req, _) = one::<TxnOffsetCommitRequest>(&mut h);
    reply::<TxnOffsetCommitRequest>(&mut h, &req, &offset_commit_answer(ErrorCode::NONE));
    h.step();
    assert_eq!(outcome(&h, id), Some(Ok(())));
    // The transaction coordinator is still known: EndTxn goes at once.
    let _id = ask(&h, TxnOpKind::Commit);
    expect_end(pump(&mut h), 1, true, 0);
}

#[test]
fn abort_while_adding_a_partition_fails_its_batch_and_ends_the_transaction() {
    let (mut h, handle, req, body) = adding();
    let id = ask(&h, TxnOpKind::Abort);
    h.step();
    reply::<AddPartitionsToTxnRequest>(&mut h, &req, &add_answer(&body, ErrorCode::NONE));
    let end = expect_end(pump(&mut h), 1, false, 0);
    match done(&handle) {
        Some(Err(crate::DeliveryError::Transaction(e))) => assert!(e.is_abortable(), "{e}"),
        other => panic!("not sent, failed by the abort: {other:?}"),
    }
    reply::<EndTxnRequest>(&mut h, &end, &end_answer(ErrorCode::NONE));
    h.step();
    assert_eq!(outcome(&h, id), Some(Ok(())));
    assert_eq!(state(&h), TxnState::Ready);
}

#[test]
fn offsets_refused_for_a_fenced_member_are_abortable_unknown_partitions_retried() {
    let (mut h, id, req) = offsets_up_to_commit();
    let unknown = offset_commit_answer(ErrorCode::UNKNOWN_TOPIC_OR_PARTITION);
    reply::<TxnOffsetCommitRequest>(&mut h, &req, &unknown);
    let (r, _) = wait_for(&mut h, Duration::from_secs(1));
    let (req, _) = only::<TxnOffsetCommitRequest>(r);
    assert_eq!(req.0, 2, "retried with the same coordinator");
    // The consumer was fenced (KIP-345), not the producer: abort, go on.
    let fenced = offset_commit_answer(ErrorCode::FENCED_INSTANCE_ID);
    reply::<TxnOffsetCommitRequest>(&mut h, &req, &fenced);
    h.step();
    assert_eq!(failed(&h, id), TransactionErrorKind::Abortable);
    assert_eq!(state(&h), TxnState::AbortableError);
    assert!(h.shared.fatal.lock().is_none());
}

#[test]
fn a_fenced_producer_is_fatal() {
    let (mut h, handle, produce) = in_flight(txn_config());
    let fenced = produce_answer(&produce.1, ErrorCode::PRODUCER_FENCED, -1);
    h.answer::<ProduceRequest>(1, &produce.1, &fenced);
    h.step();
    assert!(done(&handle).expect("failed").is_err());
    assert_eq!(state(&h), TxnState::FatalError);
    assert!(h.shared.fatal.lock().is_some());
    let (r, _) = wait_for(&mut h, Duration::from_millis(300));
    assert!(r.is_empty(), "{:?}", keys(&r));
}
