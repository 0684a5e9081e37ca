//! What a half-duplex client is sent: answers rather than a stream.
//!
//! The lesson's section-3 script sends a line, reads once with `recv(1024)`, decodes what it
//! got as UTF-8 and waits at `input()` for its user. Lines pushed to it meanwhile pile up in
//! its socket, and the kernel hands them back merged and cut at 1024 bytes wherever that
//! falls, inside a character included; and a script that waits for an answer to each line
//! blocks while nobody else talks. So a client that has never ended a line is *answered*:
//! each time it sends, it gets one write of at most [`ANSWER_BYTES`] of whole lines, the
//! answer to what it sent (its own message once saved, or a command's reply) first, then
//! what arrived for it since its last answer, oldest first. What does not fit waits for its
//! next send, up to [`NEWS_LINES`]; older lines past those are counted, and the next answer
//! says how many were missed.
//!
//! Pure: the connection feeds it lines and writes what it hands back.

use std::collections::VecDeque;

use bytes::{Buf, Bytes, BytesMut};

/// The most an answer holds: the lesson's `recv(1024)`, read whole.
pub(super) const ANSWER_BYTES: usize = 1024;
/// Lines kept for a client's next answer: more than an answer holds, and a small bound for
/// the connections that never send (`nc` before its first Enter, a script waiting at
/// `input()`), most of an idle room. 16 shared lines: half a KiB of handles.
pub(super) const NEWS_LINES: usize = 16;
/// What ends a line cut to fit an answer.
const CUT: &[u8] = "…\r\n".as_bytes();

/// Lines waiting for a client that is answered, not pushed to.
#[derive(Default)]
pub(super) struct Answers {
    /// The answer to the client's latest input: a command's reply, or its own message. What
    /// did not fit in one answer is dropped at the next input rather than carried on: a
    /// second question makes the rest of the first one's long answer stale.
    reply: VecDeque<Bytes>,
    /// What arrived for the client since its last answer, oldest first, at most
    /// [`NEWS_LINES`].
    news: VecDeque<Bytes>,
    /// Lines dropped from the front of `news` since the last answer, which says so.
    missed: u64,
    /// The client sent something and has not been answered since.
    owed: bool,
    /// Its own message has not come back from the hub, saved, yet.
    awaiting_own: bool,
}

impl Answers {
    /// The client sent an input, and `replies` are its immediate answer (none for a message,
    /// which is answered once it comes back saved).
    pub(super) fn asked(&mut self, replies: Vec<Bytes>) {
        if !self.owed {
            self.reply.clear();
        }
        self.owed = true;
        self.awaiting_own = replies.is_empty();
        self.reply.extend(replies);
    }

    /// A line for the client; `own` if it is the client's own doing (its message, its
    /// rename…), which answers what it sent.
    pub(super) fn deliver(&mut self, line: Bytes, own: bool) {
        if own && self.awaiting_own {
            self.awaiting_own = false;
            self.reply.push_back(line);
        } else {
            if self.news.len() >= NEWS_LINES {
                self.news.pop_front();
                self.missed += 1;
            }
            self.news.push_back(line);
        }
    }

    /// The client's own message is not coming back in time: answer without it.
    pub(super) fn stop_waiting(&mut self) {
        self.awaiting_own = false;
    }

    /// True while the answer waits for the client's own message.
    pub(super) fn is_awaiting_own(&self) -> bool {
        self.owed && self.awaiting_own
    }

    /// The answer owed to the client, if it is owed and ready: at most [`ANSWER_BYTES`] of
    /// whole lines, saying how many older lines were dropped (`missed` words it). With
    /// nothing to say yet, the answer stays owed and the next line that arrives makes it.
    pub(super) fn take(&mut self, missed: impl FnOnce(u64) -> Bytes) -> Option<Bytes> {
        if !self.owed || self.awaiting_own || self.reply.len() + self.news.len() == 0 {
            return None;
        }
        self.owed = false;
        if self.missed > 0 {
            self.news
                .push_front(missed(std::mem::take(&mut self.missed)));
        }
        let mut answer = BytesMut::with_capacity(ANSWER_BYTES);
        if !fill(&mut answer, &mut self.reply) {
            fill(&mut answer, &mut self.news);
        }
        Some(answer.freeze())
    }

    /// True if nothing is held and no memory is: a client in line mode.
    pub(super) fn is_unused(&self) -> bool {
        self.reply.capacity() == 0 && self.news.capacity() == 0 && self.missed == 0
    }

    /// Everything held, in order, for a client that turned out to send whole lines: from now
    /// on it is sent everything as it comes, and nothing is kept here.
    pub(super) fn into_lines(
        mut self,
        missed: impl FnOnce(u64) -> Bytes,
    ) -> impl Iterator<Item = Bytes> {
        if self.missed > 0 {
            self.news.push_front(missed(self.missed));
        }
        self.reply.into_iter().chain(self.news)
    }
}

/// Moves whole lines from `queue` into `answer` while they fit; true once `answer` is full.
/// A line longer than a whole answer is cut at a character boundary and marked with `…`.
fn fill(answer: &mut BytesMut, queue: &mut VecDeque<Bytes>) -> bool {
    while let Some(front) = queue.front_mut() {
        let room = ANSWER_BYTES - answer.len();
        if front.len() <= room {
            answer.extend_from_slice(front);
            queue.pop_front();
            continue;
        }
        // A frame may hold several lines (a message of several lines, a command's reply):
        // those that fit go now, the rest waits.
        let whole = front[..room]
            .windows(2)
            .rposition(|pair| pair == b"\r\n")
            .map(|at| at + 2);
        match whole {
            Some(end) => {
                answer.extend_from_slice(&front[..end]);
                front.advance(end);
            }
            None if answer.is_empty() => {
                let line_end = front
                    .windows(2)
                    .position(|pair| pair == b"\r\n")
                    .map_or(front.len(), |at| at + 2);
                let cut = char_boundary(front, room - CUT.len());
                answer.extend_from_slice(&front[..cut]);
                answer.extend_from_slice(CUT);
                front.advance(line_end);
                if front.is_empty() {
                    queue.pop_front();
                }
            }
            None => {}
        }
        return true;
    }
    false
}

/// The largest index at most `at` that does not fall inside a UTF-8 character.
fn char_boundary(bytes: &[u8], at: usize) -> usize {
    let mut at = at.min(bytes.len());
    while at > 0 && at < bytes.len() && (bytes[at] & 0b1100_0000) == 0b1000_0000 {
        at -= 1;
    }
    at
}

/// `line` (one CR LF line), cut to at most `room` bytes at a character boundary and marked
/// with `…` if it is longer.
pub(super) fn shortened(line: Bytes, room: usize) -> Bytes {
    if line.len() <= room {
        return line;
    }
    let cut = char_boundary(&line, room.saturating_sub(CUT.len()));
    let mut short = BytesMut::with_capacity(cut + CUT.len());
    short.extend_from_slice(&line[..cut]);
    short.extend_from_slice(CUT);
    short.freeze()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(text: &str) -> Bytes {
        Bytes::from(format!("{text}\r\n"))
    }

    fn missed(count: u64) -> Bytes {
        line(&format!("* {count} manqués"))
    }

    fn text(answer: &Bytes) -> &str {
        std::str::from_utf8(answer).expect("whole characters")
    }

    #[test]
    fn a_message_is_answered_once_it_comes_back_then_with_what_arrived_before_it() {
        let mut answers = Answers::default();
        answers.deliver(line("<alice> salut"), false);
        assert_eq!(
            answers.take(missed),
            None,
            "nothing is owed before the client sends"
        );
        answers.asked(Vec::new());
        assert_eq!(
            answers.take(missed),
            None,
            "its own message has not come back yet"
        );
        answers.deliver(line("<guest1> bonjour"), true);
        let answer = answers.take(missed).expect("an answer");
        assert_eq!(text(&answer), "<guest1> bonjour\r\n<alice> salut\r\n");
        assert_eq!(answers.take(missed), None, "one answer per input");
    }

    #[test]
    fn an_answer_owed_with_nothing_to_say_is_made_by_the_next_line() {
        let mut answers = Answers::default();
        answers.asked(Vec::new());
        answers.stop_waiting();
        assert_eq!(answers.take(missed), None);
        answers.deliver(line("<alice> salut"), false);
        assert_eq!(
            answers.take(missed).as_ref().map(text),
            Some("<alice> salut\r\n")
        );
    }

    #[test]
    fn an_answer_holds_whole_lines_and_the_rest_waits_for_the_next_input() {
        let mut answers = Answers::default();
        let long = "é".repeat(60); // 120 bytes a line
        for _ in 0..NEWS_LINES {
            answers.deliver(line(&format!("<alice> {long}")), false);
        }
        answers.asked(vec![line("* ok")]);
        let first = answers.take(missed).expect("an answer");
        assert!(first.len() <= ANSWER_BYTES && first.ends_with(b"\r\n"));
        assert!(text(&first).starts_with("* ok\r\n"));
        let shown = text(&first).matches("<alice>").count();
        answers.asked(vec![line("* ok")]);
        let second = answers.take(missed).expect("an answer");
        let rest = text(&second).matches("<alice>").count();
        assert!(
            shown > 0 && rest > 0 && shown + rest <= 20,
            "{shown} {rest}"
        );
    }

    #[test]
    fn a_line_longer_than_an_answer_is_cut_between_characters() {
        let mut answers = Answers::default();
        answers.asked(vec![line(&"é".repeat(1000))]);
        let answer = answers.take(missed).expect("an answer");
        assert!(answer.len() <= ANSWER_BYTES, "{}", answer.len());
        assert!(text(&answer).ends_with("…\r\n"));
    }

    #[test]
    fn a_reply_in_several_lines_is_split_between_lines() {
        let mut answers = Answers::default();
        let reply = (0..100)
            .map(|n| format!("* ligne {n}\r\n"))
            .collect::<String>();
        answers.asked(vec![Bytes::from(reply)]);
        let answer = answers.take(missed).expect("an answer");
        assert!(text(&answer).ends_with("\r\n") && answer.len() <= ANSWER_BYTES);
        answers.asked(vec![line("* suite")]);
        let next = answers.take(missed).expect("an answer");
        assert_eq!(text(&next), "* suite\r\n", "the stale rest is dropped");
    }

    #[test]
    fn shortened_lines_keep_whole_characters() {
        let short = shortened(line(&"€".repeat(500)), 100);
        assert!(short.len() <= 100);
        assert!(text(&short).ends_with("…\r\n"));
        assert_eq!(shortened(line("ok"), 100), line("ok"));
    }
}
