//! Writing CSV cells (RFC 4180) that a spreadsheet cannot run: every CSV the project writes goes
//! through [`field`] or [`line`].
//!
//! A cell starting with `=`, `+`, `-`, `@`, a tab or a carriage return is taken for a formula by
//! Excel, LibreOffice and Google Sheets ("CSV injection": `=HYPERLINK(…)`, `@SUM(…)`,
//! `-2+3+cmd|…`). Such a cell is prefixed with `'`, which spreadsheets show as text (OWASP).
//! A plain number (`-1.5`) is left as it is: it cannot be a formula, and negative figures stay
//! numbers.

use std::borrow::Cow;

/// Characters that make a spreadsheet read a cell as a formula.
const FORMULA_START: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

fn is_plain_number(text: &str) -> bool {
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    // `.` or, in the Italian dialect, `,` before the decimals.
    let mut parts = digits.splitn(2, ['.', ',']);
    let whole = parts.next().unwrap_or("");
    let fraction = parts.next();
    !whole.is_empty()
        && whole.bytes().all(|b| b.is_ascii_digit())
        && fraction.is_none_or(|f| !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()))
}

/// `text` as a spreadsheet will show it literally: a leading `'` when it would start a formula.
pub fn neutralise(text: &str) -> Cow<'_, str> {
    if text.starts_with(FORMULA_START) && !is_plain_number(text) {
        Cow::Owned(format!("'{text}"))
    } else {
        Cow::Borrowed(text)
    }
}

/// One cell: neutralised, then quoted when it holds a comma, a quote or a line break.
pub fn field(text: &str) -> String {
    Dialect::Plain.field(text)
}

/// One record, CRLF-terminated.
pub fn line<S: AsRef<str>>(fields: &[S]) -> String {
    Dialect::Plain.line(fields)
}

/// How a CSV is written. Italian spreadsheet software splits `;`-separated UTF-8 files with a
/// BOM and reads `,` as the decimal mark without an import wizard; the plain dialect (RFC 4180:
/// `,`, `.`, no BOM, header codes) is for scripts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Dialect {
    #[default]
    Italian,
    Plain,
}

impl std::str::FromStr for Dialect {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.trim().to_ascii_lowercase().as_str() {
            "italian" | "italiano" | "it" => Ok(Dialect::Italian),
            "plain" | "rfc4180" => Ok(Dialect::Plain),
            other => Err(format!("{other:?}: expected italian or plain")),
        }
    }
}

impl Dialect {
    pub fn separator(self) -> char {
        match self {
            Dialect::Italian => ';',
            Dialect::Plain => ',',
        }
    }

    /// What the file starts with: the UTF-8 byte order mark in the Italian dialect.
    pub fn start(self) -> &'static str {
        match self {
            Dialect::Italian => "\u{feff}",
            Dialect::Plain => "",
        }
    }

    /// A number written with `.` before its decimals, in this dialect's decimal mark.
    pub fn decimal(self, number: &str) -> String {
        match self {
            Dialect::Italian => number.replace('.', ","),
            Dialect::Plain => number.to_string(),
        }
    }

    /// Whether header cells are the Italian labels (else the stable column codes).
    pub fn italian_headers(self) -> bool {
        self == Dialect::Italian
    }

    /// One cell: neutralised, then quoted when it holds the separator, a quote or a line break.
    pub fn field(self, text: &str) -> String {
        let text = neutralise(text);
        if text.contains([self.separator(), '"', '\r', '\n']) {
            format!("\"{}\"", text.replace('"', "\"\""))
        } else {
            text.into_owned()
        }
    }

    /// One record, CRLF-terminated.
    pub fn line<S: AsRef<str>>(self, fields: &[S]) -> String {
        let separator = self.separator().to_string();
        let mut out = fields
            .iter()
            .map(|f| self.field(f.as_ref()))
            .collect::<Vec<_>>()
            .join(&separator);
        out.push_str("\r\n");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn formula_starts_are_neutralised() {
        for (cell, written) in [
            (
                "=HYPERLINK(\"http://x\",\"y\")",
                "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\"",
            ),
            ("+1+1", "'+1+1"),
            ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
            ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
            ("\t=1", "'\t=1"),
            ("\r=1", "\"'\r=1\""),
        ] {
            assert_eq!(field(cell), written, "{cell:?}");
        }
    }

    #[test]
    fn the_italian_dialect_splits_on_semicolons_and_keeps_decimal_commas_as_numbers() {
        let it = Dialect::Italian;
        assert_eq!(
            it.line(&["50&PIÙ, ENASCO", "a;b", &it.decimal("-12.5"), "=1"]),
            "50&PIÙ, ENASCO;\"a;b\";-12,5;'=1\r\n"
        );
        assert_eq!(it.start(), "\u{feff}");
        assert_eq!(Dialect::Plain.line(&["a,b", "1.5"]), "\"a,b\",1.5\r\n");
        assert_eq!("plain".parse::<Dialect>(), Ok(Dialect::Plain));
        assert_eq!("Italiano".parse::<Dialect>(), Ok(Dialect::Italian));
        assert!("excel".parse::<Dialect>().is_err());
    }

    #[test]
    fn ordinary_cells_and_numbers_are_unchanged() {
        assert_eq!(field("INCA"), "INCA");
        assert_eq!(field("50&PIÙ, ENASCO"), "\"50&PIÙ, ENASCO\"");
        assert_eq!(field("a=b"), "a=b");
        assert_eq!(field("-1.5"), "-1.5");
        assert_eq!(field("42"), "42");
        assert_eq!(field(""), "");
        assert_eq!(field("-"), "'-");
        assert_eq!(field("-1.5e3"), "'-1.5e3");
        assert_eq!(line(&["a", "=b"]), "a,'=b\r\n");
    }

    proptest! {
        #[test]
        fn no_written_cell_starts_a_formula(text in any::<String>()) {
            let written = field(&text);
            let unquoted = written.strip_prefix('"').unwrap_or(&written);
            prop_assert!(
                !unquoted.starts_with(FORMULA_START) || is_plain_number(&text),
                "{:?} -> {:?}", text, written
            );
        }
    }
}
