//! Stepped sender tests.
