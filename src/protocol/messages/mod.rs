//! One module per Kafka API: request and response bodies.

pub mod api_versions;

#[cfg(test)]
pub(crate) mod test_util;
