//! RecordBatch v2 (in progress).
