//! Idempotency keys: one per user action, reused for every retry of that action.

use std::fmt;

use rand::Rng;

/// The `Idempotency-Key` of one write. Generate it once when the user acts (presses "send"),
/// keep it with the pending action, and pass the same key to every attempt: the server then
/// writes at most once and answers repeats with the first response.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    /// A fresh random key (128 bits, hex).
    #[allow(clippy::new_without_default)] // a default key would invite reuse across actions
    pub fn new() -> Self {
        Self::from_rng(&mut rand::rng())
    }

    /// A key drawn from the given generator (deterministic simulations and tests).
    pub fn from_rng(rng: &mut impl Rng) -> Self {
        let bits: u128 = rng.random();
        IdempotencyKey(format!("{bits:032x}"))
    }

    /// A caller-chosen key, e.g. one persisted in an offline outbox. Must be a valid header
    /// value: visible ASCII, 1..=200 characters.
    pub fn from_string(key: impl Into<String>) -> Result<Self, InvalidIdempotencyKey> {
        let key = key.into();
        let valid =
            !key.is_empty() && key.len() <= 200 && key.bytes().all(|b| b.is_ascii_graphic());
        if valid {
            Ok(IdempotencyKey(key))
        } else {
            Err(InvalidIdempotencyKey(key))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for IdempotencyKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("idempotency key {0:?} must be 1 to 200 visible ASCII characters")]
pub struct InvalidIdempotencyKey(pub String);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fresh_keys_differ_and_are_header_safe() {
        let a = IdempotencyKey::new();
        let b = IdempotencyKey::new();
        assert_ne!(a, b);
        assert_eq!(a.as_str().len(), 32);
        assert!(IdempotencyKey::from_string(a.as_str()).is_ok());
    }

    #[test]
    fn rejects_keys_that_cannot_be_headers() {
        for bad in ["", "has space", "new\nline", "è", &"x".repeat(201)] {
            assert!(IdempotencyKey::from_string(bad).is_err(), "{bad:?}");
        }
    }
}
