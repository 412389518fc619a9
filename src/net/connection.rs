//! One non-blocking TCP connection: socket setup, framed reads, queued writes.
//!
//! # Implementation notes
//!
//! `mio` readiness is edge-triggered: after an event, [`Connection::read_frames`]
//! reads until `WouldBlock` and [`Connection::flush`] writes until the queue is
//! empty or `WouldBlock`; stopping earlier could lose the wake-up.

use super::tls::{ReadIn, TlsSession};
use super::Segment;
use crate::protocol::header::split_frame;
use mio::net::TcpStream;
use socket2::{Domain, Protocol, SockRef, Socket, Type};
use std::collections::VecDeque;
use std::io::{self, IoSlice, Read};
use std::net::SocketAddr;

/// Initial (and resting) size of a connection's read buffer.
const READ_BUF_SIZE: usize = 64 * 1024;
/// A read buffer grown above this is shrunk back once empty.
const READ_BUF_KEEP: usize = 1024 * 1024;
/// Frames handed to one vectored write.
const MAX_IOV: usize = 64;

/// `EINPROGRESS`: a non-blocking connect has started (no `libc` dependency).
#[cfg(any(target_os = "linux", target_os = "android"))]
const EINPROGRESS: i32 = 115;
#[cfg(any(target_os = "illumos", target_os = "solaris"))]
const EINPROGRESS: i32 = 150;
#[cfg(not(any(
    target_os = "linux",
    target_os = "android",
    target_os = "illumos",
    target_os = "solaris"
)))]
const EINPROGRESS: i32 = 36; // Apple and the BSDs; unused on Windows (WouldBlock)

/// `MSG_NOSIGNAL`: a write to a closed socket returns `EPIPE` instead of
/// raising `SIGPIPE` (Apple platforms get `SO_NOSIGPIPE` from socket2).
#[cfg(any(target_os = "linux", target_os = "android"))]
const SEND_FLAGS: i32 = 0x4000;
#[cfg(not(any(target_os = "linux", target_os = "android")))]
const SEND_FLAGS: i32 = 0;

/// Socket options applied before connecting.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct SocketOptions {
    /// `SO_SNDBUF`, `None` = OS default.
    pub send_buffer: Option<usize>,
    /// `SO_RCVBUF`, `None` = OS default.
    pub receive_buffer: Option<usize>,
}

/// Creates a non-blocking `TCP_NODELAY` socket and starts connecting it to `addr`.
pub(crate) fn start_connect(addr: SocketAddr, opts: SocketOptions) -> io::Result<TcpStream> {
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    socket.set_nonblocking(true)?;
    socket.set_tcp_nodelay(true)?;
    if let Some(n) = opts.send_buffer {
        socket.set_send_buffer_size(n)?;
    }
    if let Some(n) = opts.receive_buffer {
        socket.set_recv_buffer_size(n)?;
    }
    match socket.connect(&addr.into()) {
        Ok(()) => {}
        Err(e) if e.raw_os_error() == Some(EINPROGRESS) => {}
        Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
        Err(e) => return Err(e),
    }
    Ok(TcpStream::from_std(socket.into()))
}

/// Whether a connect started by [`start_connect`] has completed: `Ok(true)`
/// connected, `Ok(false)` still in progress, `Err` failed.
pub(crate) fn connect_finished(stream: &TcpStream) -> io::Result<bool> {
    if let Some(e) = stream.take_error()? {
        return Err(e);
    }
    match stream.peer_addr() {
        Ok(_) => Ok(true),
        Err(e) if e.kind() == io::ErrorKind::NotConnected => Ok(false),
        Err(e) if e.raw_os_error() == Some(EINPROGRESS) => Ok(false),
        Err(e) => Err(e),
    }
}

/// A connected (or connecting) socket with its read buffer and write queue.
#[derive(Debug)]
pub(crate) struct Connection {
    /// The socket, registered with the poll under `token`.
    pub stream: TcpStream,
    /// The poll token of this connection (fresh for every connection).
    pub token: mio::Token,
    /// Received bytes; `rbuf[consumed..filled]` is not yet split into frames.
    rbuf: Vec<u8>,
    consumed: usize,
    filled: usize,
    /// Frames to write; the first is written from `woffset`.
    wqueue: VecDeque<Segment>,
    woffset: usize,
    /// Unwritten bytes in `wqueue`.
    pending: usize,
    /// The TLS session, on a TLS connection: frames are written through it
    /// and responses read from it.
    pub tls: Option<Box<TlsSession>>,
}

impl Connection {
    /// Wraps a stream from [`start_connect`].
    pub fn new(stream: TcpStream, token: mio::Token) -> Self {
        Connection {
            stream,
            token,
            rbuf: Vec::new(),
            consumed: 0,
            filled: 0,
            wqueue: VecDeque::new(),
            woffset: 0,
            pending: 0,
            tls: None,
        }
    }

    /// Bytes queued and not yet written.
    pub fn pending_bytes(&self) -> usize {
        self.pending
    }

    /// Queues a frame (size prefix included); [`Connection::flush`] writes it.
    pub fn queue(&mut self, frame: Vec<u8>) {
        self.queue_segment(Segment::Owned(frame));
    }

    /// Queues one piece of a frame; pieces are written in order.
    pub fn queue_segment(&mut self, segment: Segment) {
        let len = segment.as_slice().len();
        if len > 0 {
            self.pending += len;
            self.wqueue.push_back(segment);
        }
    }

    /// Writes queued frames until the queue is empty or the socket would block.
    pub fn flush(&mut self) -> io::Result<()> {
        if let Some(mut tls) = self.tls.take() {
            let result = self.flush_tls(&mut tls);
            self.tls = Some(tls);
            return result;
        }
        while !self.wqueue.is_empty() {
            let mut iov = [IoSlice::new(&[]); MAX_IOV];
            let mut n = 0;
            for (i, frame) in self.wqueue.iter().take(MAX_IOV).enumerate() {
                let start = if i == 0 { self.woffset } else { 0 };
                iov[i] = IoSlice::new(&frame.as_slice()[start..]);
                n += 1;
            }
            let written =
                match SockRef::from(&self.stream).send_vectored_with_flags(&iov[..n], SEND_FLAGS) {
                    Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                    Ok(w) => w,
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(()),
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) => return Err(e),
                };
            self.advance(written);
        }
        Ok(())
    }

    /// [`flush`](Self::flush) through TLS: queued frames go into the session
    /// as far as it takes them, its records to the socket.
    fn flush_tls(&mut self, tls: &mut TlsSession) -> io::Result<()> {
        loop {
            let mut moved = 0;
            while let Some(front) = self.wqueue.front() {
                let n = tls.write_plain(&front.as_slice()[self.woffset..])?;
                if n == 0 {
                    break;
                }
                self.advance(n);
                moved += n;
            }
            // Records waiting in the session, from this pass or an earlier
            // one that would have blocked: writing them makes room for more.
            let had_records = tls.wants_write();
            if !tls.write_out(&mut self.stream)? {
                return Ok(()); // would block: the next writable event goes on
            }
            // Done, or the session takes nothing and had nothing to write
            // (handshaking: it holds plaintext until the handshake ends).
            if self.wqueue.is_empty() || (moved == 0 && !had_records) {
                return Ok(());
            }
        }
    }

    /// Drops `written` bytes from the front of the write queue.
    fn advance(&mut self, mut written: usize) {
        self.pending -= written;
        while written > 0 {
            let left = self.wqueue[0].as_slice().len() - self.woffset;
            if written >= left {
                written -= left;
                self.wqueue.pop_front();
                self.woffset = 0;
            } else {
                self.woffset += written;
                written = 0;
            }
        }
    }

    /// Reads until the socket would block, appending every complete frame
    /// (without size prefix) to `out`. Returns `Ok(false)` when the peer
    /// closed the connection. Frames read before a close or an error are in
    /// `out` either way; a frame above `max_frame` is an `InvalidData` error.
    pub fn read_frames(&mut self, max_frame: usize, out: &mut Vec<Vec<u8>>) -> io::Result<bool> {
        if self.rbuf.len() < READ_BUF_SIZE {
            self.rbuf.resize(READ_BUF_SIZE, 0);
        }
        if let Some(mut tls) = self.tls.take() {
            let result = self.read_tls(&mut tls, max_frame, out);
            self.tls = Some(tls);
            return result;
        }
        loop {
            if self.filled == self.rbuf.len() {
                self.make_room();
            }
            match self.stream.read(&mut self.rbuf[self.filled..]) {
                Ok(0) => return Ok(false),
                Ok(n) => {
                    self.filled += n;
                    self.split_frames(max_frame, out)?;
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        if self.consumed == self.filled && self.rbuf.len() > READ_BUF_KEEP {
            self.rbuf = vec![0; READ_BUF_SIZE];
            (self.consumed, self.filled) = (0, 0);
        }
        Ok(true)
    }

    /// [`read_frames`](Self::read_frames) through TLS. A TLS error (bad
    /// certificate, alert, not TLS at all) is an `InvalidData` error carrying
    /// a `TlsFailure`.
    fn read_tls(
        &mut self,
        tls: &mut TlsSession,
        max_frame: usize,
        out: &mut Vec<Vec<u8>>,
    ) -> io::Result<bool> {
        loop {
            let step = tls.read_in(&mut self.stream)?;
            loop {
                if self.filled == self.rbuf.len() {
                    self.make_room();
                }
                match tls.read_plain(&mut self.rbuf[self.filled..])? {
                    Some(0) => return Ok(false), // close_notify
                    Some(n) => {
                        self.filled += n;
                        self.split_frames(max_frame, out)?;
                    }
                    None => break,
                }
            }
            match step {
                ReadIn::More => {}
                ReadIn::Drained => break,
                ReadIn::Closed => return Ok(false),
            }
        }
        if self.consumed == self.filled && self.rbuf.len() > READ_BUF_KEEP {
            self.rbuf = vec![0; READ_BUF_SIZE];
            (self.consumed, self.filled) = (0, 0);
        }
        Ok(true)
    }

    /// The first received byte not yet split into frames (to recognise a
    /// TLS record where a Kafka frame was expected).
    pub fn first_unread_byte(&self) -> Option<u8> {
        (self.consumed < self.filled).then(|| self.rbuf[self.consumed])
    }

    /// Whether part of a response frame was received and not yet the rest
    /// (`connections.max.idle.ms` does not close such a connection).
    pub fn has_partial_frame(&self) -> bool {
        self.consumed < self.filled
    }

    /// Whether this connection's TLS handshake is still going on.
    pub fn tls_handshaking(&self) -> bool {
        self.tls.as_ref().is_some_and(|t| t.is_handshaking())
    }

    fn split_frames(&mut self, max_frame: usize, out: &mut Vec<Vec<u8>>) -> io::Result<()> {
        loop {
            let pending = &self.rbuf[self.consumed..self.filled];
            match split_frame(pending, max_frame) {
                Ok(Some((frame, used))) => {
                    out.push(frame.to_vec());
                    self.consumed += used;
                }
                Ok(None) => break,
                Err(e) => {
                    let msg = format!("bad response frame size: {e}");
                    return Err(io::Error::new(io::ErrorKind::InvalidData, msg));
                }
            }
        }
        if self.consumed == self.filled {
            (self.consumed, self.filled) = (0, 0);
        }
        Ok(())
    }

    /// Makes space at the end of a full read buffer: moves the unsplit bytes
    /// to the front, and grows the buffer when one frame needs more room.
    fn make_room(&mut self) {
        if self.consumed > 0 {
            self.rbuf.copy_within(self.consumed..self.filled, 0);
            self.filled -= self.consumed;
            self.consumed = 0;
        }
        if self.filled == self.rbuf.len() {
            // The buffer holds one incomplete frame whose size was checked
            // by `split_frame`: grow to fit it (at least double).
            let size = match self.rbuf.get(..4) {
                Some(b) => 4 + i32::from_be_bytes([b[0], b[1], b[2], b[3]]).max(0) as usize,
                None => 0,
            };
            let len = size.max(self.rbuf.len() * 2);
            self.rbuf.resize(len, 0);
        }
    }
}
