//! Where a configuration value came from, and problems reported against it.
//!
//! Keymaps, themes and the config file all report errors the same way: `file:line: message`,
//! so that an operator can open the file at the right place.

use std::fmt;
use std::ops::Range;

/// A TOML text and the name it is reported under (a path, or `<embedded default.toml>`).
#[derive(Debug, Clone)]
pub struct Source<'a> {
    pub name: String,
    pub text: &'a str,
}

impl<'a> Source<'a> {
    pub fn new(name: impl Into<String>, text: &'a str) -> Self {
        Self {
            name: name.into(),
            text,
        }
    }

    /// 1-based line and column of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let before = &self.text.as_bytes()[..offset];
        let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
        let line_start = before
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |p| p + 1);
        let column = self.text[line_start..offset].chars().count() + 1;
        (line, column)
    }

    /// A diagnostic at a byte span of this source.
    pub fn diagnostic(&self, span: Option<Range<usize>>, message: impl Into<String>) -> Diagnostic {
        let (line, column) = span.map_or((0, 0), |s| self.line_col(s.start));
        Diagnostic {
            file: self.name.clone(),
            line,
            column,
            message: message.into(),
        }
    }

    /// A diagnostic for a TOML deserialisation error, naming the field where it can be found.
    pub fn toml_error(&self, error: &toml::de::Error) -> Diagnostic {
        let span = error.span();
        let field = span.clone().and_then(|s| self.field_at(s.start));
        let message = error.message().trim().to_owned();
        let message = match field {
            Some(field) if !message.contains(&field) => format!("field `{field}`: {message}"),
            _ => message,
        };
        self.diagnostic(span, message)
    }

    /// Byte offset of the line assigning `key` under table `section` (tried first inside
    /// `profiles.PROFILE.section`), for checks made after deserialisation.
    pub fn locate(&self, profile: Option<&str>, section: &str, key: &str) -> Option<usize> {
        let mut candidates = Vec::new();
        if let Some(p) = profile {
            candidates.push(format!("profiles.{p}.{section}"));
        }
        candidates.push(section.to_owned());
        for wanted in candidates {
            let mut header = String::new();
            let mut offset = 0;
            for line in self.text.split_inclusive('\n') {
                let trimmed = line.trim();
                if trimmed.starts_with('[') {
                    header = trimmed
                        .trim_matches(|c| c == '[' || c == ']')
                        .trim()
                        .to_owned();
                } else if header == wanted
                    && trimmed
                        .strip_prefix(key)
                        .is_some_and(|rest| rest.trim_start().starts_with('='))
                {
                    return Some(offset);
                }
                offset += line.len();
            }
        }
        None
    }

    /// The dotted key path (`section.key`) of the assignment on the line holding `offset`, found
    /// from the text because serde errors do not carry it.
    pub fn field_at(&self, offset: usize) -> Option<String> {
        let offset = offset.min(self.text.len());
        let line_start = self.text[..offset].rfind('\n').map_or(0, |p| p + 1);
        let line_end = self.text[offset..]
            .find('\n')
            .map_or(self.text.len(), |p| offset + p);
        let line = self.text[line_start..line_end].trim();
        let key = line
            .split_once('=')
            .map(|(k, _)| k.trim().trim_matches('"').to_owned())
            .filter(|k| !k.is_empty() && !k.starts_with('['));
        let header = self.text[..line_start]
            .lines()
            .rev()
            .map(str::trim)
            .find(|l| l.starts_with('['))
            .map(|h| h.trim_matches(|c| c == '[' || c == ']').trim().to_owned());
        match (header, key) {
            (Some(h), Some(k)) => Some(format!("{h}.{k}")),
            (None, Some(k)) => Some(k),
            (Some(h), None) if line.starts_with('[') => Some(h),
            _ => None,
        }
    }
}

/// A problem found in a configuration file, keymap or theme.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Path of the file, or `<embedded NAME>` for a built-in default.
    pub file: String,
    /// 1-based line; 0 when the problem is not tied to a line.
    pub line: usize,
    /// 1-based column; 0 when unknown.
    pub column: usize,
    pub message: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}: {}", self.file, self.message)
        } else {
            write!(
                f,
                "{}:{}:{}: {}",
                self.file, self.line, self.column, self.message
            )
        }
    }
}

impl std::error::Error for Diagnostic {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column_are_one_based() {
        let src = Source::new("x.toml", "a = 1\n[s]\nbé = 2\n");
        assert_eq!(src.line_col(0), (1, 1));
        let off = src.text.find("2").unwrap();
        assert_eq!(src.line_col(off), (3, 6));
        assert_eq!(src.field_at(off).as_deref(), Some("s.bé"));
    }
}
