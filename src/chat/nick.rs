//! Nicknames: the only way to get a [`Nick`] is [`Nick::parse`], so every nickname the hub
//! holds is known to be valid. Two nicknames that look alike (case, width, look-alike letters
//! from other scripts) share one [`Nick::key`], so nobody can pass for someone else.

use std::fmt;
use std::sync::Arc;

use unicode_normalization::UnicodeNormalization;
use unicode_security::confusable_detection::skeleton;

/// Names nobody but a teacher may take, compared by look-alike key: they would pass for the
/// server or for staff.
const RESERVED: [&str; 16] = [
    "server",
    "serveur",
    "tchat",
    "admin",
    "administrateur",
    "administrator",
    "teacher",
    "prof",
    "professeur",
    "professeure",
    "system",
    "systeme",
    "moderator",
    "moderateur",
    "root",
    "annonce",
];

/// Longest nickname, in characters.
pub const MAX_NICK_CHARS: usize = 24;

/// A valid nickname: 1 to 24 letters, digits, `_`, `-` or `.`.
///
/// Cloning is a refcount bump: every event names its author.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Nick(Arc<str>);

/// Why a nickname was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum NickError {
    /// Empty, too long, or with characters outside the allowed set.
    #[error("a nickname is 1 to {MAX_NICK_CHARS} letters, digits, '_', '-' or '.'")]
    Invalid,
}

impl Nick {
    /// Checks `name` against the nickname rules.
    ///
    /// # Errors
    /// [`NickError::Invalid`] when it is empty, longer than [`MAX_NICK_CHARS`] or holds
    /// anything but letters, digits, `_`, `-` and `.`.
    pub fn parse(name: &str) -> Result<Self, NickError> {
        // Composed form first: "é" typed as e + U+0301 is the letter é, not e and a mark.
        let name: String = name.nfc().collect();
        let count = name.chars().count();
        // Letters that show nothing (Hangul fillers) would make a blank name.
        let allowed = |c: char| {
            (c.is_alphanumeric() || matches!(c, '_' | '-' | '.'))
                && !super::text::is_hidden_format(c)
        };
        // A name that reads as an address would make `/ban NAME` ban that address.
        let address = name.parse::<std::net::Ipv4Addr>().is_ok();
        if count == 0 || count > MAX_NICK_CHARS || !name.chars().all(allowed) || address {
            return Err(NickError::Invalid);
        }
        Ok(Self(name.into()))
    }

    /// The key under which nicknames are unique: case, compatibility forms (full width) and
    /// look-alike characters (Cyrillic а for Latin a) all fold together, per Unicode's
    /// confusable detection (UTS #39).
    pub fn key(&self) -> String {
        let folded: String = self.0.nfkc().collect::<String>().to_lowercase();
        skeleton(&folded).collect::<String>().to_lowercase()
    }

    /// True for names that would pass for the server or for staff.
    pub fn is_reserved(&self) -> bool {
        let key = self.key();
        let bare = |text: &str| -> String {
            text.chars()
                .filter(|c| c.is_alphanumeric())
                .collect::<String>()
        };
        let key = bare(&key);
        RESERVED.iter().any(|reserved| {
            let reserved = Nick(Arc::from(*reserved)).key();
            key == bare(&reserved)
        })
    }

    /// A nickname read back from storage, trusted as it was valid when stored (the rules
    /// may have changed since).
    pub fn restored(name: &str) -> Self {
        Self(name.into())
    }

    /// The nickname as typed.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Nick {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_letters_digits_and_punctuation_in_any_script() {
        for ok in [
            "alice",
            "Zoé",
            "bob_42",
            "a.b-c",
            "x",
            "абв",
            &"n".repeat(24),
        ] {
            assert!(Nick::parse(ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn refuses_empty_long_spaced_or_symbolic_names() {
        for bad in [
            "",
            "a b",
            "<alice>",
            "*bob*",
            "tab\t",
            "x\u{1b}",
            "\u{3164}",
            "bo\u{202e}b",
            "192.168.1.23",
            &"n".repeat(25),
        ] {
            assert_eq!(Nick::parse(bad), Err(NickError::Invalid), "{bad:?}");
        }
    }

    #[test]
    fn keys_fold_case_width_and_look_alikes() {
        let key = |name: &str| Nick::parse(name).expect("valid").key();
        assert_eq!(key("Élodie"), key("éLODIE"));
        assert_eq!(key("alice"), key("\u{430}lice"), "Cyrillic а");
        assert_eq!(key("alice"), key("ａｌｉｃｅ"), "full width");
        assert_eq!(key("e\u{301}mile"), key("émile"), "decomposed accent");
        assert_ne!(key("alice"), key("alicia"));
    }

    #[test]
    fn invisible_and_direction_characters_are_refused() {
        for bad in [
            "a\u{200b}b",
            "a\u{200d}b",
            "\u{202e}evil",
            "a\u{2066}b",
            "a\u{feff}",
        ] {
            assert_eq!(Nick::parse(bad), Err(NickError::Invalid), "{bad:?}");
        }
    }

    #[test]
    fn reserved_names_and_their_disguises() {
        for reserved in [
            "Serveur",
            "PROF",
            "ｐｒｏｆ",
            "pr\u{43e}f",
            "tchat",
            "Admin",
            "prof_",
        ] {
            let nick = Nick::parse(reserved).expect("valid");
            assert!(nick.is_reserved(), "{reserved}");
        }
        for free in ["profane", "alice", "server2x"] {
            assert!(!Nick::parse(free).expect("valid").is_reserved(), "{free}");
        }
    }
}
