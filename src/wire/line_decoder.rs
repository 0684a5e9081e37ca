//! Bytes in, lines out: what `nc`, telnet, PuTTY and Python socket scripts send.
//!
//! Lines end with LF, CR LF, CR NUL or a lone CR; telnet negotiation is removed (and
//! refused); bytes that are not UTF-8 become U+FFFD; a line too long is reported once and
//! dropped. A client that has never ended a line (the seed's
//! `s.send(bytes(message,'utf8'))`) is in *chunk mode*: its session turns a pending chunk
//! into a line after a short quiet time ([`LineDecoder::flush_chunk`]). The first line
//! terminator or telnet command switches the connection to *line mode* for good, so a
//! telnet client sending one character per packet never has its line split. In line mode an
//! empty line is a line too: blank lines belong to pasted code ([`super::paste`]).
//!
//! Hand-written rather than `tokio_util::codec::LinesCodec`: that codec stops for good at
//! its first invalid UTF-8 or overlong line, and knows nothing of telnet or chunk mode.

use std::borrow::Cow;
use std::collections::VecDeque;

use bytes::Bytes;

use crate::chat::Made;

/// One unit of input from a TCP client.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Inbound {
    /// A line, terminator removed, invalid UTF-8 replaced by U+FFFD.
    Line(String),
    /// A line longer than the limit; its bytes were dropped.
    TooLong,
}

const IAC: u8 = 255;
const DONT: u8 = 254;
const DO: u8 = 253;
const WONT: u8 = 252;
const WILL: u8 = 251;
const SB: u8 = 250;
/// Telnet's "erase line" and "erase character" commands.
const EL: u8 = 248;
const EC: u8 = 247;
const SE: u8 = 240;

/// Where the decoder is within telnet's in-band commands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Telnet {
    Data,
    /// After IAC.
    Command,
    /// After IAC WILL/WONT/DO/DONT: the next byte names the option.
    Option(u8),
    /// Inside IAC SB … IAC SE.
    Subnegotiation,
    /// After IAC inside a subnegotiation.
    SubnegotiationCommand,
}

/// Splits a TCP byte stream into lines. Pure: feed it bytes, take lines out.
#[derive(Debug)]
pub struct LineDecoder {
    /// The line being assembled, telnet commands removed.
    pending: Vec<u8>,
    ready: VecDeque<Inbound>,
    telnet: Telnet,
    line_mode: bool,
    after_cr: bool,
    /// The current line went over `max_bytes`; drop bytes until its end.
    overflow: bool,
    max_bytes: usize,
    /// Telnet refusals owed to the client.
    replies: Vec<u8>,
    /// What the input fed since [`LineDecoder::take_made`] made, for `/wire`.
    made: Made,
}

impl LineDecoder {
    /// A decoder that reports lines longer than `max_bytes` as [`Inbound::TooLong`].
    pub fn new(max_bytes: usize) -> Self {
        Self {
            pending: Vec::new(),
            ready: VecDeque::new(),
            telnet: Telnet::Data,
            line_mode: false,
            after_cr: false,
            overflow: false,
            max_bytes,
            replies: Vec::new(),
            made: Made::default(),
        }
    }

    /// Takes in bytes as they came off the socket.
    pub fn feed(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.byte(byte);
        }
    }

    /// The next complete unit of input.
    pub fn next_inbound(&mut self) -> Option<Inbound> {
        self.ready.pop_front()
    }

    /// True when complete input is waiting to be taken.
    pub fn has_inbound(&self) -> bool {
        !self.ready.is_empty()
    }

    /// True once the client has ended a line (or spoken telnet): for good.
    pub fn line_mode(&self) -> bool {
        self.line_mode
    }

    /// True when a chunk mode client has sent bytes that no line holds yet.
    pub fn has_chunk(&self) -> bool {
        !self.line_mode && (!self.pending.is_empty() || self.overflow)
    }

    /// In chunk mode, turns what is pending into a line, keeping back an incomplete UTF-8
    /// character for the next chunk. Does nothing in line mode.
    pub fn flush_chunk(&mut self) {
        if self.line_mode {
            return;
        }
        if self.overflow {
            self.overflow = false;
            self.pending.clear();
            return;
        }
        let complete = complete_utf8_len(&self.pending);
        let tail = self.pending.split_off(complete);
        let chunk = std::mem::replace(&mut self.pending, tail);
        if !chunk.is_empty() {
            self.made |= Made::CHUNK;
        }
        self.push_line(&chunk);
    }

    /// At end of input, whatever is pending becomes a last line.
    pub fn finish(&mut self) {
        if !self.overflow && !self.pending.is_empty() {
            let rest = std::mem::take(&mut self.pending);
            self.push_line(&rest);
        }
    }

    /// What the input fed since the last call made: lines, a chunk, telnet negotiation,
    /// invalid UTF-8, a line too long.
    pub fn take_made(&mut self) -> Made {
        std::mem::take(&mut self.made)
    }

    /// Telnet answers owed to the client (refusing every option it asked for), if any.
    pub fn take_replies(&mut self) -> Option<Bytes> {
        (!self.replies.is_empty()).then(|| Bytes::from(std::mem::take(&mut self.replies)))
    }

    fn byte(&mut self, byte: u8) {
        match self.telnet {
            Telnet::Data if byte == IAC => self.telnet = Telnet::Command,
            Telnet::Data => self.data(byte),
            Telnet::Command => {
                self.telnet = Telnet::Data;
                match byte {
                    IAC => self.data(IAC),
                    WILL..=DONT => self.telnet = Telnet::Option(byte),
                    SB => self.telnet = Telnet::Subnegotiation,
                    EC => self.erase_char(),
                    EL => self.pending.clear(),
                    SE.. => {}
                    // Not a telnet command after all: a stray 0xFF, which is not UTF-8.
                    _ => {
                        self.data(IAC);
                        self.data(byte);
                        return;
                    }
                }
                self.made |= Made::TELNET;
                self.line_mode = true;
            }
            Telnet::Option(verb) => {
                self.telnet = Telnet::Data;
                match verb {
                    DO => self.replies.extend_from_slice(&[IAC, WONT, byte]),
                    WILL => self.replies.extend_from_slice(&[IAC, DONT, byte]),
                    _ => {}
                }
            }
            Telnet::Subnegotiation if byte == IAC => self.telnet = Telnet::SubnegotiationCommand,
            Telnet::Subnegotiation => {}
            Telnet::SubnegotiationCommand => {
                self.telnet = if byte == SE {
                    Telnet::Data
                } else {
                    Telnet::Subnegotiation
                };
            }
        }
    }

    fn data(&mut self, byte: u8) {
        let after_cr = std::mem::replace(&mut self.after_cr, false);
        match byte {
            b'\n' | 0 if after_cr => {}
            b'\n' | b'\r' => {
                self.after_cr = byte == b'\r';
                self.line_mode = true;
                self.end_line();
            }
            _ if self.overflow => {}
            // Backspace and delete, as a Windows telnet in character mode sends them.
            0x08 | 0x7f => self.erase_char(),
            _ if self.pending.len() >= self.max_bytes => {
                self.made |= Made::TOO_LONG;
                self.overflow = true;
                self.pending = Vec::new();
                self.ready.push_back(Inbound::TooLong);
            }
            _ => self.pending.push(byte),
        }
    }

    /// Removes the last character of the pending line (all its UTF-8 bytes).
    fn erase_char(&mut self) {
        while let Some(byte) = self.pending.pop() {
            if byte & 0b1100_0000 != 0b1000_0000 {
                return;
            }
        }
    }

    fn end_line(&mut self) {
        if std::mem::replace(&mut self.overflow, false) {
            return;
        }
        let line = std::mem::take(&mut self.pending);
        self.made |= Made::LINE;
        let line = self.text(&line);
        self.ready.push_back(Inbound::Line(line));
    }

    /// A line's text, invalid UTF-8 replaced (and noted).
    fn text(&mut self, bytes: &[u8]) -> String {
        match String::from_utf8_lossy(bytes) {
            Cow::Borrowed(text) => text.to_owned(),
            Cow::Owned(text) => {
                self.made |= Made::INVALID_UTF8;
                text
            }
        }
    }

    /// Queues a chunk (or the last line at the end of input), which is never empty.
    fn push_line(&mut self, bytes: &[u8]) {
        if !bytes.is_empty() {
            let line = self.text(bytes);
            self.ready.push_back(Inbound::Line(line));
        }
    }
}

/// How many leading bytes of `bytes` do not end inside an unfinished UTF-8 character.
fn complete_utf8_len(bytes: &[u8]) -> usize {
    let len = bytes.len();
    // The lead byte of the last character is at most 3 bytes back from the end.
    for back in 1..=len.min(4) {
        let byte = bytes[len - back];
        if byte & 0b1100_0000 == 0b1000_0000 {
            continue;
        }
        let needed = match byte {
            0b1100_0000..=0b1101_1111 => 2,
            0b1110_0000..=0b1110_1111 => 3,
            0b1111_0000..=0b1111_0111 => 4,
            _ => 1,
        };
        return if needed > back { len - back } else { len };
    }
    len
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(decoder: &mut LineDecoder) -> Vec<Inbound> {
        std::iter::from_fn(|| decoder.next_inbound()).collect()
    }

    fn line(text: &str) -> Inbound {
        Inbound::Line(text.into())
    }

    #[test]
    fn lf_crlf_cr_and_crnul_all_end_lines() {
        let mut decoder = LineDecoder::new(100);
        decoder.feed(b"a\nb\r\nc\rd\r\0e\r");
        decoder.feed(b"\nf\n\r\n\ng\n");
        assert_eq!(
            lines(&mut decoder),
            ["a", "b", "c", "d", "e", "f", "", "", "g"].map(line)
        );
    }

    #[test]
    fn a_character_split_across_reads_arrives_whole() {
        let mut decoder = LineDecoder::new(100);
        let smile = "😀".as_bytes();
        decoder.feed(&smile[..2]);
        decoder.feed(&smile[2..]);
        decoder.feed(b"\n");
        assert_eq!(lines(&mut decoder), [line("😀")]);
    }

    #[test]
    fn invalid_utf8_becomes_replacement_characters() {
        let mut decoder = LineDecoder::new(100);
        decoder.feed(b"caf\xe9 \xff!\n");
        assert_eq!(lines(&mut decoder), [line("caf\u{fffd} \u{fffd}!")]);
    }

    #[test]
    fn telnet_negotiation_is_removed_refused_and_switches_to_line_mode() {
        let mut decoder = LineDecoder::new(100);
        // WILL NAWS, DO ECHO, a window-size subnegotiation, then typed text.
        decoder.feed(b"\xff\xfb\x1f\xff\xfd\x01\xff\xfa\x1f\x00\x50\x00\x18\xff\xf0h");
        decoder.feed(b"i");
        assert!(!decoder.has_chunk(), "line mode: no chunk flushing");
        decoder.feed(b"\r\n");
        assert_eq!(lines(&mut decoder), [line("hi")]);
        assert_eq!(
            decoder.take_replies().as_deref(),
            Some(&b"\xff\xfe\x1f\xff\xfc\x01"[..])
        );
    }

    #[test]
    fn an_escaped_iac_is_data() {
        let mut decoder = LineDecoder::new(100);
        decoder.feed(b"a\xff\xffb\n");
        assert_eq!(lines(&mut decoder), [line("a\u{fffd}b")]);
    }

    #[test]
    fn chunks_flush_until_the_first_terminator() {
        let mut decoder = LineDecoder::new(100);
        decoder.feed(b"bonjour");
        assert!(decoder.has_chunk());
        decoder.flush_chunk();
        decoder.feed("é".as_bytes().split_at(1).0);
        decoder.flush_chunk();
        assert_eq!(lines(&mut decoder), [line("bonjour")]);
        decoder.feed("é".as_bytes().split_at(1).1);
        decoder.feed(b"\nlater");
        assert!(!decoder.has_chunk());
        decoder.flush_chunk();
        assert_eq!(lines(&mut decoder), [line("é")]);
    }

    #[test]
    fn an_overlong_line_is_reported_once_and_the_next_line_is_fine() {
        let mut decoder = LineDecoder::new(10);
        decoder.feed(&[b'x'; 25]);
        decoder.feed(&[b'x'; 25]);
        decoder.feed(b"\nok\n");
        assert_eq!(lines(&mut decoder), [Inbound::TooLong, line("ok")]);
    }

    #[test]
    fn backspace_and_telnet_erase_edit_the_line() {
        let mut decoder = LineDecoder::new(100);
        decoder.feed("helo\x08lo é\x7f!\n".as_bytes());
        decoder.feed(b"abc\xff\xf7d\xff\xf8xyz\n");
        assert_eq!(lines(&mut decoder), [line("hello !"), line("xyz")]);
    }

    proptest::proptest! {
        /// Whatever bytes arrive, in whatever pieces: no panic, bounded lines, and nothing
        /// that reaches other people carries a control character.
        #[test]
        fn arbitrary_bytes_never_panic_nor_relay_controls(
            chunks in proptest::collection::vec(proptest::collection::vec(proptest::num::u8::ANY, 0..200), 0..20),
            flush_after in proptest::collection::vec(proptest::bool::ANY, 20),
        ) {
            let mut decoder = LineDecoder::new(300);
            let mut lines = Vec::new();
            for (chunk, flush) in chunks.iter().zip(&flush_after) {
                decoder.feed(chunk);
                if *flush {
                    decoder.flush_chunk();
                }
                let _ = decoder.take_replies();
                lines.extend(std::iter::from_fn(|| decoder.next_inbound()));
            }
            decoder.finish();
            lines.extend(std::iter::from_fn(|| decoder.next_inbound()));
            for inbound in lines {
                if let Inbound::Line(line) = inbound {
                    // At most 300 bytes, each at worst one U+FFFD (3 bytes).
                    proptest::prop_assert!(line.len() <= 900);
                    let relayed = crate::chat::sanitize(&line);
                    proptest::prop_assert!(!relayed.chars().any(char::is_control), "{relayed:?}");
                }
            }
        }
    }

    #[test]
    fn finish_keeps_a_last_unterminated_line() {
        let mut decoder = LineDecoder::new(100);
        decoder.feed(b"z");
        decoder.finish();
        assert_eq!(lines(&mut decoder), [line("z")]);
    }
}
