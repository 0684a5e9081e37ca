//! What waits for a TCP client's socket: shared event encodings, never copied, written many
//! lines per system call.

use std::collections::VecDeque;
use std::io::{self, IoSlice};

use bytes::{Buf, Bytes};
use tokio::net::TcpStream;

/// A drained queue with room for more lines than this gives all of it back; a smaller one
/// keeps its room. A busy room brings about ten lines per wake-up, so its queues mostly
/// regrow once per burst (an allocation, against a system call per write); an idle client
/// keeps a quarter of a KiB at most.
const KEPT_LINES: usize = 8;
/// Most lines handed to one vectored write.
const MAX_IOV: usize = 64;

/// Bytes waiting for the socket: shared event encodings, never copied.
#[derive(Default)]
pub(super) struct Outbox {
    chunks: VecDeque<Bytes>,
    pub(super) bytes: usize,
}

impl Outbox {
    pub(super) fn push(&mut self, chunk: Bytes) {
        self.bytes += chunk.len();
        self.chunks.push_back(chunk);
    }

    pub(super) fn is_empty(&self) -> bool {
        self.chunks.is_empty()
    }

    pub(super) fn lines(&self) -> usize {
        self.chunks.len()
    }

    /// Writes as much as the socket takes without waiting, many lines per system call.
    pub(super) fn write_to(&mut self, stream: &TcpStream) -> io::Result<()> {
        while !self.chunks.is_empty() {
            let mut slices = [IoSlice::new(&[]); MAX_IOV];
            let count = self.chunks.len().min(MAX_IOV);
            for (slice, chunk) in slices.iter_mut().zip(&self.chunks) {
                *slice = IoSlice::new(chunk);
            }
            match stream.try_write_vectored(&slices[..count]) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(written) => self.consume(written),
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => return Ok(()),
                Err(error) => return Err(error),
            }
        }
        Ok(())
    }

    fn consume(&mut self, mut written: usize) {
        self.bytes -= written;
        while written > 0 {
            let Some(front) = self.chunks.front_mut() else {
                return;
            };
            if front.len() > written {
                front.advance(written);
                return;
            }
            written -= front.len();
            self.chunks.pop_front();
        }
        if self.chunks.is_empty() && self.chunks.capacity() > KEPT_LINES {
            // Give back a burst's memory once it has drained: most clients sit idle, and a
            // queue that grew during an arrival storm would otherwise stay that size.
            self.chunks = VecDeque::new();
        }
    }
}
