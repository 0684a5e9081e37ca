//! Nicknames: the only way to get a [`Nick`] is [`Nick::parse`], so every nickname the hub
//! holds is known to be valid.

use std::fmt;
use std::sync::Arc;

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
        let count = name.chars().count();
        let allowed = |c: char| c.is_alphanumeric() || matches!(c, '_' | '-' | '.');
        if count == 0 || count > MAX_NICK_CHARS || !name.chars().all(allowed) {
            return Err(NickError::Invalid);
        }
        Ok(Self(name.into()))
    }

    /// A nickname read back from storage, trusted as it was valid when stored (the rules
    /// may have changed since).
    pub fn restored(name: &str) -> Self {
        Self(name.into())
    }

    /// The key under which nicknames are unique: two nicks that differ only in case collide.
    pub fn folded(&self) -> String {
        self.0.to_lowercase()
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
            &"n".repeat(25),
        ] {
            assert_eq!(Nick::parse(bad), Err(NickError::Invalid), "{bad:?}");
        }
    }

    #[test]
    fn folding_ignores_case() {
        let a = Nick::parse("Élodie").expect("valid");
        let b = Nick::parse("éLODIE").expect("valid");
        assert_eq!(a.folded(), b.folded());
    }
}
