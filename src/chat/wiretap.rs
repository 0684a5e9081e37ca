//! The last reads of one connection as the server saw them, for `/wire`: the lesson's view
//! of the bytes on the wire. A person sees their own; a teacher can watch anyone's, live,
//! with private messages masked.
//!
//! The cost is bounded and nothing is kept for a connection that has sent nothing: the
//! first read allocates the record, which then holds at most [`READS`] reads of at most
//! [`READ_BYTES`] bytes each (about 4 KiB with their times), the oldest dropped first.
//! Hand-written: a ring of byte slices with a few flags is smaller than any crate for it.

use std::collections::VecDeque;
use std::sync::{Mutex, PoisonError};

use super::event::now_ms;
use super::{MemberId, Nick, Via};

/// Reads kept per connection.
pub const READS: usize = 32;
/// Bytes kept of each read; what is longer is counted, not kept.
pub const READ_BYTES: usize = 128;
/// Teachers watching one connection at once; a further one takes the oldest one's place.
const WATCHERS: usize = 4;
/// The names of the command that sends a private message: a line starting with one of them
/// is masked for teachers.
const PRIVATE_COMMANDS: [&[u8]; 4] = [b"msg", b"w", b"whisper", b"tell"];
/// Longest start of a line needed to tell a private message: `/whisper `.
const HEAD: usize = 9;

/// What the server made of one read, as flags.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Made(u8);

impl Made {
    /// It ended one line or more.
    pub const LINE: Self = Self(1);
    /// Sent without a line terminator, it became a message after the quiet delay.
    pub const CHUNK: Self = Self(2);
    /// It held telnet negotiation, removed and refused.
    pub const TELNET: Self = Self(4);
    /// It held bytes that are not UTF-8, replaced by U+FFFD.
    pub const INVALID_UTF8: Self = Self(8);
    /// A line past the length limit: it was cut off.
    pub const TOO_LONG: Self = Self(16);
    /// A WebSocket frame.
    pub const FRAME: Self = Self(32);
    /// It carried a private message: masked for anyone but its sender.
    pub const PRIVATE: Self = Self(64);
    /// A frame the server could not use.
    pub const REFUSED: Self = Self(128);

    /// Every flag with its name, in the order they are told.
    const NAMES: [(Self, &'static str); 8] = [
        (Self::FRAME, "frame"),
        (Self::LINE, "line"),
        (Self::CHUNK, "chunk"),
        (Self::TELNET, "telnet"),
        (Self::INVALID_UTF8, "invalid_utf8"),
        (Self::TOO_LONG, "too_long"),
        (Self::REFUSED, "refused"),
        (Self::PRIVATE, "private"),
    ];

    /// True if every flag of `other` is set.
    pub fn has(self, other: Self) -> bool {
        self.0 & other.0 == other.0
    }

    /// These flags, but not those of `other`.
    #[must_use]
    pub fn without(self, other: Self) -> Self {
        Self(self.0 & !other.0)
    }

    /// The names of the flags set (`line`, `chunk`…), or `pending` for bytes the server is
    /// still waiting to complete.
    pub fn names(self) -> Vec<&'static str> {
        let names: Vec<_> = Self::NAMES
            .iter()
            .filter(|(flag, _)| self.has(*flag))
            .map(|(_, name)| *name)
            .collect();
        if names.is_empty() || names == ["private"] {
            let mut pending = vec!["pending"];
            pending.extend(names);
            return pending;
        }
        names
    }
}

impl std::ops::BitOr for Made {
    type Output = Self;
    fn bitor(self, other: Self) -> Self {
        Self(self.0 | other.0)
    }
}

impl std::ops::BitOrAssign for Made {
    fn bitor_assign(&mut self, other: Self) {
        self.0 |= other.0;
    }
}

/// One read, as shown: its bytes (`None` when masked), how long it was and what it made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WireRead {
    /// When it was read, in Unix milliseconds.
    pub at: i64,
    /// The first [`READ_BYTES`] bytes; `None` for a private message shown to someone else.
    pub bytes: Option<Vec<u8>>,
    /// How many bytes it was.
    pub len: u32,
    /// What the server made of it.
    pub made: Made,
}

/// One connection's reads, for `/wire`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WireView {
    /// Whose connection.
    pub nick: Nick,
    /// How it is connected.
    pub via: Via,
    /// True when shown to its owner, unmasked.
    pub own: bool,
    /// True for a read as it happens, to a teacher watching; false for the record so far.
    pub live: bool,
    /// Oldest first.
    pub reads: Vec<WireRead>,
}

/// One read in the record; its bytes are in [`Record::bytes`].
#[derive(Clone, Copy, Debug)]
struct Read {
    at: i64,
    len: u32,
    kept: u8,
    made: Made,
}

/// The reads kept, once there is one.
#[derive(Debug, Default)]
struct Record {
    reads: VecDeque<Read>,
    /// Every kept read's bytes, one after the other.
    bytes: VecDeque<u8>,
    /// The start of the line being read, to tell a private message before it is complete.
    head: Vec<u8>,
}

#[derive(Debug, Default)]
struct Inner {
    record: Option<Box<Record>>,
    watchers: Vec<MemberId>,
}

/// One connection's record of reads, shared by its session (which writes it) and the hub
/// (where teachers find it). Locked only to add a read or to copy the record out.
#[derive(Debug, Default)]
pub struct Wiretap {
    inner: Mutex<Inner>,
}

impl Wiretap {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Keeps one read from a byte stream, where lines end with LF or CR: a line that starts
    /// like a private message is masked for teachers from its first byte. Returns the read
    /// as a teacher sees it, and who is watching, if anyone is.
    pub fn stream_read(&self, bytes: &[u8], made: Made) -> Option<(Vec<MemberId>, WireRead)> {
        let mut inner = self.lock();
        let record = inner.record.get_or_insert_with(Box::default);
        let mut private = false;
        for &byte in bytes {
            if matches!(byte, b'\n' | b'\r') {
                private |= is_private(&record.head) != Some(false);
                record.head.clear();
            } else if record.head.len() < HEAD {
                record.head.push(byte);
            }
        }
        private |= is_private(&record.head) != Some(false);
        let made = if private { made | Made::PRIVATE } else { made };
        inner.keep(bytes, made)
    }

    /// Keeps one whole message (a WebSocket frame): `private` if it is a private message.
    pub fn frame_read(
        &self,
        bytes: &[u8],
        made: Made,
        private: bool,
    ) -> Option<(Vec<MemberId>, WireRead)> {
        let made = if private { made | Made::PRIVATE } else { made };
        self.lock().keep(bytes, made)
    }

    /// Adds to what the latest read made: a chunk that became a message after the quiet
    /// delay, which also ends its line. Returns that read as a teacher sees it, and who is
    /// watching, if anyone is.
    pub fn made(&self, made: Made) -> Option<(Vec<MemberId>, WireRead)> {
        let mut inner = self.lock();
        let record = inner.record.as_mut()?;
        if made.has(Made::CHUNK) {
            record.head.clear();
        }
        let last = record.reads.back_mut()?;
        last.made |= made;
        let last = *last;
        if inner.watchers.is_empty() {
            return None;
        }
        let record = inner.record.as_ref()?;
        let start = record.bytes.len() - usize::from(last.kept);
        let bytes: Vec<u8> = record.bytes.range(start..).copied().collect();
        Some((inner.watchers.clone(), shown(last, &bytes, true)))
    }

    /// The record so far: as its owner sees it, or masked for someone else.
    pub fn view(&self, nick: Nick, via: Via, masked: bool) -> WireView {
        let inner = self.lock();
        let reads = inner
            .record
            .as_ref()
            .map(|record| record.reads(masked))
            .unwrap_or_default();
        WireView {
            nick,
            via,
            own: !masked,
            live: false,
            reads,
        }
    }

    /// Sends this connection's reads to `watcher` as they happen, from now on.
    pub fn watch(&self, watcher: MemberId) {
        let mut inner = self.lock();
        if !inner.watchers.contains(&watcher) {
            if inner.watchers.len() >= WATCHERS {
                inner.watchers.remove(0);
            }
            inner.watchers.push(watcher);
        }
    }

    /// Stops sending reads to `watcher`.
    pub fn unwatch(&self, watcher: MemberId) {
        self.lock().watchers.retain(|id| *id != watcher);
    }
}

impl Inner {
    fn keep(&mut self, bytes: &[u8], made: Made) -> Option<(Vec<MemberId>, WireRead)> {
        let record = self.record.get_or_insert_with(Box::default);
        if record.reads.len() >= READS
            && let Some(oldest) = record.reads.pop_front()
        {
            record.bytes.drain(..usize::from(oldest.kept));
        }
        let kept = &bytes[..bytes.len().min(READ_BYTES)];
        // Grown in powers of two up to the bound, never past it: amortised growth from an odd
        // first read would overshoot 4 KiB.
        let needed = record.bytes.len() + kept.len();
        if needed > record.bytes.capacity() {
            let capacity = needed.next_power_of_two().min(READS * READ_BYTES);
            record.bytes.reserve_exact(capacity - record.bytes.len());
        }
        record.bytes.extend(kept);
        let read = Read {
            at: now_ms(),
            len: u32::try_from(bytes.len()).unwrap_or(u32::MAX),
            kept: u8::try_from(kept.len()).unwrap_or(u8::MAX),
            made,
        };
        record.reads.push_back(read);
        if self.watchers.is_empty() {
            return None;
        }
        Some((self.watchers.clone(), shown(read, kept, true)))
    }
}

impl Record {
    fn reads(&self, masked: bool) -> Vec<WireRead> {
        let mut from = 0;
        self.reads
            .iter()
            .map(|read| {
                let to = from + usize::from(read.kept);
                let bytes: Vec<u8> = self.bytes.range(from..to).copied().collect();
                from = to;
                shown(*read, &bytes, masked)
            })
            .collect()
    }
}

/// A read as someone sees it: a private message's bytes are hidden from anyone but its
/// sender, who is not told of a mask it does not see.
fn shown(read: Read, bytes: &[u8], masked: bool) -> WireRead {
    let private = read.made.has(Made::PRIVATE);
    WireRead {
        at: read.at,
        bytes: (!(masked && private)).then(|| bytes.to_vec()),
        len: read.len,
        made: if masked {
            read.made
        } else {
            read.made.without(Made::PRIVATE)
        },
    }
}

/// Whether a line starting with `head` is a private message: `None` while its start could
/// still be one (`/ms`…), which is masked too.
fn is_private(head: &[u8]) -> Option<bool> {
    let Some(rest) = head.strip_prefix(b"/") else {
        return Some(false);
    };
    let word_end = rest.iter().position(u8::is_ascii_whitespace);
    let word = &rest[..word_end.unwrap_or(rest.len())];
    let matches = |name: &&[u8]| word.eq_ignore_ascii_case(name);
    let starts =
        |name: &&[u8]| name.len() >= word.len() && name[..word.len()].eq_ignore_ascii_case(word);
    if PRIVATE_COMMANDS.iter().any(matches) && word_end.is_some() {
        Some(true)
    } else if word_end.is_none() && PRIVATE_COMMANDS.iter().any(starts) {
        None
    } else {
        Some(false)
    }
}

/// `bytes` as Python writes a `bytes` value: `b'bonjour\r\n'`, `b'caf\xc3\xa9'`.
pub fn python_bytes(bytes: &[u8]) -> String {
    let quote = if bytes.contains(&b'\'') && !bytes.contains(&b'"') {
        '"'
    } else {
        '\''
    };
    let mut text = String::with_capacity(bytes.len() + 3);
    text.push('b');
    text.push(quote);
    for &byte in bytes {
        match byte {
            b'\\' => text.push_str("\\\\"),
            b'\t' => text.push_str("\\t"),
            b'\n' => text.push_str("\\n"),
            b'\r' => text.push_str("\\r"),
            _ if char::from(byte) == quote => {
                text.push('\\');
                text.push(quote);
            }
            0x20..0x7f => text.push(char::from(byte)),
            _ => text.push_str(&format!("\\x{byte:02x}")),
        }
    }
    text.push(quote);
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nick() -> Nick {
        Nick::parse("bob").expect("a nickname")
    }

    #[test]
    fn bytes_are_written_as_python_writes_them() {
        assert_eq!(python_bytes(b"bonjour\r\n"), r"b'bonjour\r\n'");
        assert_eq!(python_bytes("café".as_bytes()), r"b'caf\xc3\xa9'");
        assert_eq!(python_bytes(b"\xff\xfd\x18"), r"b'\xff\xfd\x18'");
        assert_eq!(python_bytes(b"l'eau"), r#"b"l'eau""#);
        assert_eq!(python_bytes(b"'\""), r#"b'\'"'"#);
        assert_eq!(python_bytes(b"a\\b\t"), r"b'a\\b\t'");
    }

    #[test]
    fn nothing_is_kept_before_the_first_read_and_at_most_the_last_reads_after() {
        let tap = Wiretap::default();
        assert!(tap.view(nick(), Via::Tcp, false).reads.is_empty());
        assert!(tap.lock().record.is_none());
        for n in 0..100 {
            let read = format!("{n} {}\n", "x".repeat(200));
            tap.stream_read(read.as_bytes(), Made::LINE);
        }
        let reads = tap.view(nick(), Via::Tcp, false).reads;
        assert_eq!(reads.len(), READS);
        let first = reads[0].bytes.as_ref().expect("shown");
        assert!(first.starts_with(b"68 "));
        assert_eq!(first.len(), READ_BYTES);
        assert_eq!(reads[0].len, 204);
        let inner = tap.lock();
        let record = inner.record.as_ref().expect("a record");
        assert_eq!(record.bytes.len(), READS * READ_BYTES);
        // The most one connection's record holds: what the README and BENCHMARKS.md state.
        let held = record.bytes.capacity()
            + record.reads.capacity() * size_of::<Read>()
            + record.head.capacity()
            + size_of::<Record>()
            + size_of::<Wiretap>();
        assert!(held <= 4800, "{held} bytes");
    }

    #[test]
    fn a_small_read_keeps_a_small_record() {
        let tap = Wiretap::default();
        tap.stream_read(b"\r\n", Made::LINE);
        let inner = tap.lock();
        let record = inner.record.as_ref().expect("a record");
        assert!(record.bytes.capacity() <= 8 && record.reads.capacity() <= 4);
    }

    #[test]
    fn a_private_message_is_masked_for_others_from_its_first_byte() {
        let tap = Wiretap::default();
        tap.stream_read(b"/m", Made::default());
        tap.stream_read(b"sg alice secret\n", Made::LINE);
        tap.stream_read(b"bonjour\n", Made::LINE);
        tap.stream_read(b"/W alice psst\r\n/nick x\n", Made::LINE);
        tap.stream_read(b"/who\n", Made::LINE);
        let masked = tap.view(nick(), Via::Tcp, true).reads;
        let hidden: Vec<bool> = masked.iter().map(|read| read.bytes.is_none()).collect();
        assert_eq!(hidden, [true, true, false, true, false]);
        let own = tap.view(nick(), Via::Tcp, false).reads;
        assert!(
            own.iter().all(|read| read.bytes.is_some()),
            "its sender sees it"
        );
    }

    #[test]
    fn watchers_are_sent_each_read_masked() {
        let tap = Wiretap::default();
        assert!(tap.stream_read(b"avant\n", Made::LINE).is_none());
        tap.watch(MemberId(7));
        let (watchers, read) = tap.stream_read(b"/msg a b\n", Made::LINE).expect("watched");
        assert_eq!(watchers, [MemberId(7)]);
        assert_eq!(read.bytes, None);
        tap.unwatch(MemberId(7));
        assert!(tap.stream_read(b"apres\n", Made::LINE).is_none());
    }

    #[test]
    fn a_read_with_nothing_complete_is_pending() {
        assert_eq!(Made::default().names(), ["pending"]);
        assert_eq!(
            (Made::LINE | Made::INVALID_UTF8).names(),
            ["line", "invalid_utf8"]
        );
    }
}
