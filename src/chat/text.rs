//! Cleaning what users type before anyone else sees it.
//!
//! Relayed text ends up in other students' terminals, so nothing in it may move the cursor,
//! clear the screen, recolour the text or ring the bell. Escape sequences are removed whole
//! (not just their ESC byte, which would leave `[2J` litter behind); any other control
//! character is dropped, and tabs become spaces.
//!
//! Hand-written rather than taken from an ANSI-stripping crate: those strip escape sequences
//! but keep other controls (CR, BS, DEL, C1), and this needs both in one pass over `char`s.

/// Returns `input` without control characters or terminal escape sequences, trimmed.
pub fn sanitize(input: &str) -> String {
    let mut out = String::with_capacity(input.len());
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
            '\t' => out.push(' '),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    let trimmed = out.trim();
    if trimmed.len() == out.len() {
        out
    } else {
        trimmed.to_owned()
    }
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
    use super::sanitize;

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
    fn charset_and_keypad_escapes_are_removed() {
        assert_eq!(sanitize("\u{1b}(0x\u{1b}=y\u{1b}c"), "xy");
    }
}
