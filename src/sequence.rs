//! Idempotence sequence arithmetic (int32 sequences that wrap to 0), used
//! by the batches (sealing, splitting) and the sender (ordering, gaps).

/// Next sequence after `seq` and `count` records (int32, wrapping to 0).
pub(crate) fn next_sequence(seq: i32, count: u32) -> i32 {
    ((i64::from(seq) + i64::from(count)) % (i64::from(i32::MAX) + 1)) as i32
}

/// Whether sequence `b` comes after `a`, allowing for the wrap from
/// i32::MAX to 0 (within half of the 2^31 sequence space).
pub(crate) fn sequence_after(a: i32, b: i32) -> bool {
    let distance = (i64::from(b) - i64::from(a)).rem_euclid(1 << 31);
    distance > 0 && distance < 1 << 30
}
