//! Stand-ins for `tls` in a build without the `tls` feature: a producer
//! that asks for TLS is refused by configuration validation, so none of
//! these is ever used on a connection.

use crate::config::{ConfigError, TlsConfig};
use std::io::{self, Read, Write};

/// Never built: TLS is not compiled in.
#[derive(Debug, Clone)]
pub(crate) struct TlsConnector(Never);

/// Never built: TLS is not compiled in.
#[derive(Debug)]
pub(crate) struct TlsSession(Never);

#[derive(Debug, Clone, Copy)]
enum Never {}

/// What one [`TlsSession::read_in`] step found.
#[allow(dead_code)] // matched on, never built without TLS
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ReadIn {
    /// Records were read.
    More,
    /// The socket would block.
    Drained,
    /// The peer closed the TCP connection.
    Closed,
}

impl TlsConnector {
    pub(crate) fn new(
        _: &TlsConfig,
        _: &crate::log_context::LogContext,
    ) -> Result<TlsConnector, ConfigError> {
        Err(ConfigError::new(
            "security.protocol",
            "TLS needs the `tls` cargo feature",
        ))
    }

    pub(crate) fn session(&self, _: &str) -> io::Result<TlsSession> {
        match self.0 {}
    }
}

impl TlsSession {
    pub(crate) fn wants_write(&self) -> bool {
        match self.0 {}
    }
    pub(crate) fn is_handshaking(&self) -> bool {
        match self.0 {}
    }
    pub(crate) fn write_plain(&mut self, _: &[u8]) -> io::Result<usize> {
        match self.0 {}
    }
    pub(crate) fn write_out<S: Write>(&mut self, _: &mut S) -> io::Result<bool> {
        match self.0 {}
    }
    pub(crate) fn read_in<S: Read>(&mut self, _: &mut S) -> io::Result<ReadIn> {
        match self.0 {}
    }
    pub(crate) fn read_plain(&mut self, _: &mut [u8]) -> io::Result<Option<usize>> {
        match self.0 {}
    }
}

/// Never true without TLS.
pub(crate) fn is_tls_failure(_: &io::Error) -> bool {
    false
}
