//! Codice fiscale (DM 23/12/1976): parsing, validation, decoding, omocodia.
//!
//! INTERFACE ONLY — the full implementation is being written (see issue 2, item 3).

use serde::{Deserialize, Serialize};
use std::fmt;
use thiserror::Error;

/// A validated 16-character codice fiscale, stored upper-case.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CodiceFiscale(String);

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CodiceFiscaleError {
    #[error("must be 16 characters, found {0}")]
    Length(usize),
}

impl CodiceFiscale {
    pub fn parse(text: &str) -> Result<Self, CodiceFiscaleError> {
        let upper = text.trim().to_ascii_uppercase();
        if upper.chars().count() != 16 {
            return Err(CodiceFiscaleError::Length(upper.chars().count()));
        }
        Ok(CodiceFiscale(upper))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// For lists and dashboards: `RSS***85T10****S`-style masking keeps enough to tell people apart.
    pub fn masked(&self) -> String {
        self.0
            .chars()
            .enumerate()
            .map(|(i, c)| {
                if (3..6).contains(&i) || (11..15).contains(&i) {
                    '*'
                } else {
                    c
                }
            })
            .collect()
    }
}

impl TryFrom<String> for CodiceFiscale {
    type Error = CodiceFiscaleError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        CodiceFiscale::parse(&value)
    }
}

impl From<CodiceFiscale> for String {
    fn from(cf: CodiceFiscale) -> String {
        cf.0
    }
}

impl fmt::Display for CodiceFiscale {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
