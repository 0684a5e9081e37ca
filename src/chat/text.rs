//! Cleaning what users type before anyone else sees it.
//!
//! Relayed text ends up in other students' terminals, so nothing in it may move the cursor,
//! clear the screen, recolour the text or ring the bell. Escape sequences are removed whole
//! (not just their ESC byte, which would leave `[2J` litter behind); any other control
//! character is dropped, and tabs become spaces.
//!
//! Nor may it show something other than what it says: bidirectional embeddings, overrides
//! and isolates (the "Trojan Source" class, which reorder what a reader sees of code) and
//! invisible characters (zero-width spaces, fillers, language tags) are dropped. What
//! ordinary writing needs stays: right-to-left letters and marks (LRM, RLM, ALM), the
//! zero-width joiner and non-joiner of emoji sequences and Indic or Persian scripts,
//! variation selectors, and the tag characters of a subdivision flag (🏴 + tags).
//!
//! A message keeps its lines and its indentation, as code pasted in a class must arrive as
//! it was written: line breaks (LF, CR LF or CR) become LF, tabs become spaces up to the next
//! tab stop, and each line is cleaned on its own, so no escape sequence spans two lines.
//!
//! Hand-written rather than taken from an ANSI-stripping crate: those strip escape sequences
//! but keep other controls (CR, BS, DEL, C1), and this needs both in one pass over `char`s.

/// Most lines a message may have: a long function or a short file, and a bound on how far
/// one message can push the conversation up everyone's screen.
pub const MAX_LINES: usize = 200;
/// Blank lines kept in a row inside a message: two separate top-level definitions in Python
/// (PEP 8); more would only push the conversation off screen.
const MAX_BLANK_RUN: usize = 2;
/// Columns between tab stops, as most editors show Python and C.
const TAB_WIDTH: usize = 4;

/// Returns `input` without control characters or terminal escape sequences, trimmed: for
/// one-line text (nicknames, a topic, a reason).
pub fn sanitize(input: &str) -> String {
    let mut out = String::with_capacity(input.len());
    clean_into(&mut out, input, Tabs::Space);
    let trimmed = out.trim();
    if trimmed.len() == out.len() {
        out
    } else {
        trimmed.to_owned()
    }
}

/// Returns a message cleaned like [`sanitize`] line by line, keeping its line breaks (as LF)
/// and each line's indentation. Trailing spaces, blank lines at either end and blank lines
/// past two in a row are dropped; a message of one line is trimmed.
pub fn sanitize_message(input: &str) -> String {
    if !input.contains(['\n', '\r']) {
        return sanitize(input);
    }
    let mut out = String::with_capacity(input.len());
    let mut line = String::new();
    let mut blanks = 0;
    for raw in input
        .split("\r\n")
        .flat_map(|part| part.split(['\n', '\r']))
    {
        line.clear();
        clean_into(&mut line, raw, Tabs::Stops);
        let kept = line.trim_end();
        if kept.is_empty() {
            blanks += 1;
            continue;
        }
        if !out.is_empty() {
            let breaks = 1 + blanks.min(MAX_BLANK_RUN);
            out.extend(std::iter::repeat_n('\n', breaks));
        }
        blanks = 0;
        out.push_str(kept);
    }
    if out.contains('\n') {
        out
    } else {
        out.trim_start().to_owned()
    }
}

/// How [`clean_into`] writes a tab.
#[derive(Clone, Copy)]
enum Tabs {
    /// One space: in one-line text a tab only separates words.
    Space,
    /// Spaces up to the next tab stop, so that indented code stays aligned.
    Stops,
}

/// Appends `input` to `out` without control characters or escape sequences.
fn clean_into(out: &mut String, input: &str, tabs: Tabs) {
    let mut column = 0;
    let mut chars = input.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\u{1b}' => match chars.next() {
                Some('[') => skip_csi(&mut chars),
                Some(']' | 'P' | 'X' | '^' | '_') => skip_string(&mut chars),
                // Other escapes are ESC, optional intermediates (0x20-0x2F), one final byte.
                Some(' '..='/') => {
                    while chars.next_if(|c| matches!(c, ' '..='/')).is_some() {}
                    chars.next();
                }
                _ => {}
            },
            // The 8-bit forms of CSI and of the string-introducing escapes.
            '\u{9b}' => skip_csi(&mut chars),
            '\u{90}' | '\u{98}' | '\u{9d}' | '\u{9e}' | '\u{9f}' => skip_string(&mut chars),
            '\t' => {
                let width = match tabs {
                    Tabs::Space => 1,
                    Tabs::Stops => TAB_WIDTH - column % TAB_WIDTH,
                };
                out.extend(std::iter::repeat_n(' ', width));
                column += width;
            }
            c if c.is_control() || is_hidden_format(c) => {}
            // Tag characters only spell out a flag right after the black flag (or each
            // other); anywhere else they hide text.
            '\u{e0020}'..='\u{e007f}' if !out.ends_with(is_flag_part) => {}
            c => {
                out.push(c);
                column += 1;
            }
        }
    }
}

/// True for what a tag character may follow in a subdivision flag: the black flag, or a tag
/// other than the cancel tag that ends the flag.
fn is_flag_part(c: char) -> bool {
    matches!(c, '\u{1f3f4}' | '\u{e0020}'..='\u{e007e}')
}

/// True for formatting characters that reorder or hide text rather than write it.
pub(super) fn is_hidden_format(c: char) -> bool {
    matches!(
        c,
        // Bidirectional embeddings and overrides, then isolates.
        '\u{202a}'..='\u{202e}'
            | '\u{2066}'..='\u{2069}'
            // Zero-width space, word joiner and invisible operators, deprecated format
            // characters, the byte order mark, interlinear annotations.
            | '\u{200b}'
            | '\u{2060}'..='\u{2064}'
            | '\u{206a}'..='\u{206f}'
            | '\u{feff}'
            | '\u{fff9}'..='\u{fffb}'
            // Soft hyphen, Mongolian vowel separator, Hangul fillers (blank "letters").
            | '\u{ad}'
            | '\u{180e}'
            | '\u{115f}'
            | '\u{1160}'
            | '\u{3164}'
            | '\u{ffa0}'
            // The language tag.
            | '\u{e0001}'
    )
}

/// Skips a control sequence: parameter bytes, intermediate bytes, then one final byte.
fn skip_csi(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    while chars
        .next_if(|c| matches!(c, '0'..='?' | ' '..='/'))
        .is_some()
    {}
    chars.next_if(|c| matches!(c, '@'..='~'));
}

/// Skips an OSC/DCS-style string up to its terminator (BEL, ST or ESC \).
fn skip_string(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    while let Some(c) = chars.next() {
        match c {
            '\u{7}' | '\u{9c}' => return,
            '\u{1b}' => {
                chars.next_if_eq(&'\\');
                return;
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{sanitize, sanitize_message};

    #[test]
    fn plain_text_is_kept() {
        assert_eq!(sanitize("Bonjour à tous ! 😀"), "Bonjour à tous ! 😀");
    }

    #[test]
    fn colour_and_clear_screen_sequences_are_removed_whole() {
        assert_eq!(sanitize("\u{1b}[2J\u{1b}[1;31mrouge\u{1b}[0m"), "rouge");
        assert_eq!(sanitize("a\u{9b}31mb"), "ab");
    }

    #[test]
    fn title_setting_strings_are_removed() {
        assert_eq!(sanitize("\u{1b}]0;pwned\u{7}ok"), "ok");
        assert_eq!(sanitize("\u{1b}]0;pwned\u{1b}\\ok"), "ok");
    }

    #[test]
    fn controls_are_dropped_and_tabs_become_spaces() {
        assert_eq!(sanitize("a\u{7}b\u{8}c\rd\u{7f}e\tf"), "abcde f");
        assert_eq!(sanitize("  spaced out \r\n"), "spaced out");
    }

    #[test]
    fn bidirectional_overrides_and_invisible_characters_are_dropped() {
        // Trojan Source: an override that makes a comment read as code.
        assert_eq!(
            sanitize("if admin {\u{202e} } \u{2066}// check\u{2069} {"),
            "if admin { } // check {"
        );
        assert_eq!(sanitize("pa\u{200b}ss\u{feff}word\u{3164}"), "password");
        assert_eq!(sanitize("\u{e0001}\u{e0066}\u{e0072}hidden"), "hidden");
    }

    #[test]
    fn right_to_left_writing_and_emoji_sequences_are_kept() {
        for kept in [
            "שלום עולם",
            "مرحبا\u{200f} بالعالم",
            "👩\u{200d}💻 et 👍🏽 et ❤\u{fe0f}",
            "می\u{200c}خواهم",
            // The flag of Scotland: black flag, tags g b s c t, cancel tag.
            "\u{1f3f4}\u{e0067}\u{e0062}\u{e0073}\u{e0063}\u{e0074}\u{e007f}",
        ] {
            assert_eq!(sanitize(kept), kept);
        }
        // Tags after a flag's end hide text again.
        assert_eq!(
            sanitize("\u{1f3f4}\u{e0067}\u{e007f}\u{e0068}\u{e0069}"),
            "\u{1f3f4}\u{e0067}\u{e007f}"
        );
    }

    #[test]
    fn charset_and_keypad_escapes_are_removed() {
        assert_eq!(sanitize("\u{1b}(0x\u{1b}=y\u{1b}c"), "xy");
    }

    #[test]
    fn a_message_keeps_its_lines_and_indentation() {
        let code = "def f(x):\n    if x:\n\n        return 1\n    return 0";
        assert_eq!(sanitize_message(code), code);
        assert_eq!(sanitize_message("a\r\n  b\rc"), "a\n  b\nc");
    }

    #[test]
    fn a_message_loses_blank_ends_trailing_spaces_and_long_blank_runs() {
        assert_eq!(sanitize_message("\n\n  x = 1  \n\n"), "x = 1");
        assert_eq!(sanitize_message("\n  a \n b\n \n"), "  a\n b");
        assert_eq!(sanitize_message("a\n\n\n\n\n\nb"), "a\n\n\nb");
    }

    #[test]
    fn tabs_in_a_message_reach_the_next_stop_and_escapes_stay_in_their_line() {
        assert_eq!(sanitize_message("a\n\tb\nab\tc"), "a\n    b\nab  c");
        // An unterminated title string ends with its line, not with the message.
        assert_eq!(sanitize_message("x\u{1b}]0;t\ny"), "x\ny");
        assert_eq!(sanitize_message("a\u{1b}[31\nm"), "a\nm");
    }

    proptest::proptest! {
        #[test]
        fn a_cleaned_message_holds_no_control_but_line_feeds(input in "\\PC*|[\\x00-\\x7f\\t\\n\\r ]*") {
            let cleaned = sanitize_message(&input);
            proptest::prop_assert!(cleaned.chars().all(|c| c == '\n' || !c.is_control()));
            proptest::prop_assert!(!cleaned.contains("\n\n\n\n"));
            proptest::prop_assert_eq!(sanitize_message(&cleaned), cleaned);
        }
    }
}
