//! Secrets: the teacher token, resume tokens and conversation ids are 128 bits from the
//! operating system's random source, and secrets are compared in constant time.
//!
//! There is no fallback: a token guessed from the clock would let a student take a
//! classmate's nickname or the teacher's role, so without randomness tchat refuses to start
//! (or to admit a newcomer) and says why.

use std::fmt::Write as _;

use subtle::ConstantTimeEq;

/// The operating system gave no random bytes.
#[derive(Debug, thiserror::Error)]
#[error("the operating system gave no random bytes: {0}")]
pub struct NoRandomness(getrandom::Error);

/// 128 random bits, in hex.
///
/// # Errors
/// [`NoRandomness`] when the operating system's random source fails.
pub fn token() -> Result<String, NoRandomness> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(NoRandomness)?;
    let mut hex = String::with_capacity(32);
    for byte in bytes {
        let _ = write!(hex, "{byte:02x}");
    }
    Ok(hex)
}

/// True if `given` is `expected`, in time that does not depend on where they differ (only
/// on their lengths, which a token's format gives away anyway).
pub fn same(given: &str, expected: &str) -> bool {
    given.as_bytes().ct_eq(expected.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_distinct_hex_and_compare_only_to_themselves() {
        let (a, b) = (token().expect("random"), token().expect("random"));
        assert_eq!(a.len(), 32);
        assert!(a.bytes().all(|byte| byte.is_ascii_hexdigit()));
        assert_ne!(a, b);
        assert!(same(&a, &a.clone()));
        assert!(!same(&a, &b));
        assert!(!same(&a, &a[..31]));
    }
}
