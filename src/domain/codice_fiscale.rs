//! Codice fiscale (DM 23/12/1976): parsing, validation, decoding, omocodia, computation.
//!
//! Layout (1-based character positions):
//! 1–3 surname, 4–6 name, 7–8 year, 9 month letter, 10–11 day (+40 for women),
//! 12–15 Belfiore code of the birthplace (letter + 3 digits), 16 check character.
//! The seven digit positions 7, 8, 10, 11, 13, 14, 15 may carry omocodia letters `LMNPQRSTUV`
//! (standing for 0–9), substituted from the rightmost position when two people would collide.

use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use std::fmt;
use thiserror::Error;

/// A validated 16-character codice fiscale, stored upper-case exactly as given (omocodia kept).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CodiceFiscale(String);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Sex {
    Male,
    Female,
}

/// What is wrong with a codice fiscale. Positions are 1-based character positions.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CodiceFiscaleError {
    #[error("must be 16 characters, found {0}")]
    Length(usize),
    #[error("character {position} '{found}' is not {expected}")]
    InvalidCharacter {
        position: usize,
        found: char,
        expected: &'static str,
    },
    #[error("character 9 '{found}' is not a valid month letter (one of ABCDEHLMPRST)")]
    MonthLetter { found: char },
    #[error("characters 10-11 '{found}' give day {day}, expected 1-31 (men) or 41-71 (women)")]
    Day { found: String, day: u8 },
    #[error("characters 10-11 '{found}': month {month} has no day {day}")]
    DayOfMonth { found: String, day: u8, month: i8 },
    #[error("character 16 '{found}' is not the check character, expected '{expected}'")]
    CheckCharacter { found: char, expected: char },
    #[error("{field} contains no letters")]
    NoLetters { field: &'static str },
    #[error("birthplace code '{0}' is not a letter followed by 3 digits")]
    BirthplaceCode(String),
    #[error("birth year {0} is outside 1800-2199")]
    BirthYear(i16),
}

const MONTH_LETTERS: &[u8; 12] = b"ABCDEHLMPRST";
const OMOCODIA_LETTERS: &[u8; 10] = b"LMNPQRSTUV";
/// 0-based indices of the digit positions, from the rightmost (the order omocodia substitutes).
const OMOCODIA_POSITIONS: [usize; 7] = [14, 13, 12, 10, 9, 7, 6];
/// Values of characters in odd (1st, 3rd, …) positions, indexed 0–9 for digits and 0–25 for A–Z.
const ODD_VALUES: [u8; 26] = [
    1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24, 23,
];
const OMOCODIA_EXPECTED: &str = "a digit or an omocodia letter (LMNPQRSTUV)";

fn is_digit_position(index: usize) -> bool {
    OMOCODIA_POSITIONS.contains(&index)
}

/// Index of a character in the check tables: digits 0–9, letters A–Z 0–25.
fn table_index(c: u8) -> usize {
    if c.is_ascii_digit() {
        usize::from(c - b'0')
    } else {
        usize::from(c - b'A')
    }
}

/// The check character of the first 15 characters (upper-case ASCII letters and digits).
fn check_character(first15: &[u8]) -> char {
    let sum: u32 = first15
        .iter()
        .enumerate()
        .map(|(i, &c)| {
            let index = table_index(c);
            // i is 0-based: even i is an odd (1st, 3rd, …) position.
            u32::from(if i % 2 == 0 {
                ODD_VALUES[index]
            } else {
                index as u8
            })
        })
        .sum();
    char::from(b'A' + (sum % 26) as u8)
}

/// Replaces an omocodia letter by its digit; digits unchanged.
fn de_omocodia(c: u8) -> u8 {
    match OMOCODIA_LETTERS.iter().position(|&l| l == c) {
        Some(digit) => b'0' + digit as u8,
        None => c,
    }
}

fn two_digits(bytes: &[u8], a: usize, b: usize) -> u8 {
    (de_omocodia(bytes[a]) - b'0') * 10 + (de_omocodia(bytes[b]) - b'0')
}

fn days_in_month(month: i8, two_digit_year: u8) -> u8 {
    match month {
        2 if two_digit_year.is_multiple_of(4) => 29, // the century is unknown: 00 may be 2000
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

impl CodiceFiscale {
    /// Validates structure, month letter, day, Belfiore shape, omocodia letters and check character.
    /// Surrounding whitespace is ignored and lower case accepted.
    pub fn parse(text: &str) -> Result<Self, CodiceFiscaleError> {
        let upper = text.trim().to_uppercase();
        let count = upper.chars().count();
        if count != 16 {
            return Err(CodiceFiscaleError::Length(count));
        }
        for (i, ch) in upper.chars().enumerate() {
            let ok = if is_digit_position(i) {
                ch.is_ascii_digit() || (ch.is_ascii() && OMOCODIA_LETTERS.contains(&(ch as u8)))
            } else {
                ch.is_ascii_uppercase()
            };
            if !ok {
                let expected = match i {
                    _ if is_digit_position(i) => OMOCODIA_EXPECTED,
                    0..=5 => "a letter (surname and name part)",
                    8 => "a month letter (one of ABCDEHLMPRST)",
                    11 => "a letter (first character of the birthplace code)",
                    _ => "a letter (check character)",
                };
                return Err(CodiceFiscaleError::InvalidCharacter {
                    position: i + 1,
                    found: ch,
                    expected,
                });
            }
        }
        // All ASCII from here on.
        let bytes = upper.as_bytes();
        let month = match MONTH_LETTERS.iter().position(|&m| m == bytes[8]) {
            Some(m) => m as i8 + 1,
            None => {
                return Err(CodiceFiscaleError::MonthLetter {
                    found: char::from(bytes[8]),
                });
            }
        };
        let day_code = two_digits(bytes, 9, 10);
        let found = upper[9..11].to_string();
        let day = match day_code {
            1..=31 => day_code,
            41..=71 => day_code - 40,
            _ => {
                return Err(CodiceFiscaleError::Day {
                    found,
                    day: day_code,
                });
            }
        };
        if day > days_in_month(month, two_digits(bytes, 6, 7)) {
            return Err(CodiceFiscaleError::DayOfMonth { found, day, month });
        }
        let expected = check_character(&bytes[..15]);
        let found = char::from(bytes[15]);
        if found != expected {
            return Err(CodiceFiscaleError::CheckCharacter { found, expected });
        }
        Ok(CodiceFiscale(upper))
    }

    /// Computes the code of a person per DM 23/12/1976 (no omocodia).
    /// Accented letters are transliterated; spaces, apostrophes and other non-letters are ignored.
    pub fn compute(
        surname: &str,
        name: &str,
        birth_date: Date,
        sex: Sex,
        belfiore: &str,
    ) -> Result<Self, CodiceFiscaleError> {
        let belfiore = belfiore.trim().to_ascii_uppercase();
        let b = belfiore.as_bytes();
        if b.len() != 4 || !b[0].is_ascii_uppercase() || !b[1..].iter().all(u8::is_ascii_digit) {
            return Err(CodiceFiscaleError::BirthplaceCode(belfiore));
        }
        let year = birth_date.year();
        if !(1800..=2199).contains(&year) {
            return Err(CodiceFiscaleError::BirthYear(year));
        }
        let mut code = String::with_capacity(16);
        code.push_str(&surname_part(surname)?);
        code.push_str(&name_part(name)?);
        code.push_str(&format!("{:02}", year.rem_euclid(100)));
        code.push(char::from(
            MONTH_LETTERS[usize::from(birth_date.month().unsigned_abs()) - 1],
        ));
        let day = birth_date.day() + if sex == Sex::Female { 40 } else { 0 };
        code.push_str(&format!("{day:02}"));
        code.push_str(&belfiore);
        code.push(check_character(code.as_bytes()));
        Ok(CodiceFiscale(code))
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

    fn bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }

    /// True if any digit position carries an omocodia letter.
    pub fn is_omocode(&self) -> bool {
        OMOCODIA_POSITIONS
            .iter()
            .any(|&i| !self.bytes()[i].is_ascii_digit())
    }

    /// The base code: omocodia letters mapped back to digits, check character recomputed.
    pub fn normalised(&self) -> CodiceFiscale {
        let mut bytes: Vec<u8> = self.bytes().to_vec();
        for &i in &OMOCODIA_POSITIONS {
            bytes[i] = de_omocodia(bytes[i]);
        }
        bytes[15] = check_character(&bytes[..15]) as u8;
        CodiceFiscale(bytes.into_iter().map(char::from).collect())
    }

    /// The omocodia variant with the `level` rightmost digit positions (0–7) substituted, computed
    /// from the normalised code. Levels above 7 are treated as 7.
    pub fn omocodia_variant(&self, level: usize) -> CodiceFiscale {
        let mut bytes: Vec<u8> = self.normalised().bytes().to_vec();
        for &i in OMOCODIA_POSITIONS.iter().take(level) {
            bytes[i] = OMOCODIA_LETTERS[usize::from(bytes[i] - b'0')];
        }
        bytes[15] = check_character(&bytes[..15]) as u8;
        CodiceFiscale(bytes.into_iter().map(char::from).collect())
    }

    pub fn sex(&self) -> Sex {
        if two_digits(self.bytes(), 9, 10) > 40 {
            Sex::Female
        } else {
            Sex::Male
        }
    }

    /// Belfiore code of the birth comune or foreign state, omocodia reversed (e.g. `H501`).
    pub fn birthplace_code(&self) -> String {
        let bytes = self.bytes();
        std::iter::once(char::from(bytes[11]))
            .chain(bytes[12..15].iter().map(|&c| char::from(de_omocodia(c))))
            .collect()
    }

    /// Birth date. The code holds only two year digits: the century chosen is the one giving the
    /// most recent year not after `reference_year` (pass the current year). A 29 February of a
    /// year ending in 00 that does not exist in that century moves back to the nearest leap century.
    pub fn birth_date(&self, reference_year: i16) -> Date {
        let bytes = self.bytes();
        let yy = i16::from(two_digits(bytes, 6, 7));
        let month = MONTH_LETTERS
            .iter()
            .position(|&m| m == bytes[8])
            .map_or(1, |m| m as i8 + 1);
        let day_code = two_digits(bytes, 9, 10);
        let day = (if day_code > 40 {
            day_code - 40
        } else {
            day_code
        }) as i8;
        let mut year = reference_year - (reference_year - yy).rem_euclid(100);
        // Parse guarantees the day fits the month except 29/2 in a non-leap century year.
        for _ in 0..4 {
            if let Ok(date) = Date::new(year, month, day) {
                return date;
            }
            year -= 100;
        }
        Date::new(year, month, 28).unwrap_or(Date::MIN)
    }
}

/// Upper-case ASCII letters of a name, accents transliterated, everything else dropped.
fn letters(text: &str) -> Vec<u8> {
    text.chars()
        .filter_map(|ch| {
            let base = match ch.to_uppercase().next().unwrap_or(ch) {
                'À' | 'Á' | 'Â' | 'Ã' | 'Ä' | 'Å' => 'A',
                'È' | 'É' | 'Ê' | 'Ë' => 'E',
                'Ì' | 'Í' | 'Î' | 'Ï' => 'I',
                'Ò' | 'Ó' | 'Ô' | 'Õ' | 'Ö' => 'O',
                'Ù' | 'Ú' | 'Û' | 'Ü' => 'U',
                'Ç' | 'Č' | 'Ć' => 'C',
                'Ñ' => 'N',
                'Š' => 'S',
                'Ž' => 'Z',
                other => other,
            };
            base.is_ascii_uppercase().then_some(base as u8)
        })
        .collect()
}

fn is_vowel(c: u8) -> bool {
    matches!(c, b'A' | b'E' | b'I' | b'O' | b'U')
}

fn split(text: &str, field: &'static str) -> Result<(Vec<u8>, Vec<u8>), CodiceFiscaleError> {
    let letters = letters(text);
    if letters.is_empty() {
        return Err(CodiceFiscaleError::NoLetters { field });
    }
    Ok(letters.into_iter().partition(|&c| !is_vowel(c)))
}

/// Consonants, then vowels, then `X` padding, three characters.
fn three(consonants: &[u8], vowels: &[u8]) -> String {
    consonants
        .iter()
        .chain(vowels)
        .chain(b"XXX")
        .take(3)
        .map(|&c| char::from(c))
        .collect()
}

fn surname_part(surname: &str) -> Result<String, CodiceFiscaleError> {
    let (consonants, vowels) = split(surname, "surname")?;
    Ok(three(&consonants, &vowels))
}

fn name_part(name: &str) -> Result<String, CodiceFiscaleError> {
    let (consonants, vowels) = split(name, "name")?;
    if consonants.len() >= 4 {
        let picked = [consonants[0], consonants[2], consonants[3]];
        Ok(picked.iter().map(|&c| char::from(c)).collect())
    } else {
        Ok(three(&consonants, &vowels))
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

/// `text` with every codice fiscale in it masked as [`CodiceFiscale::masked`] does: free text
/// (a patronato's message quoting the citizen's code) follows the same rule as the lists and
/// dashboards it is shown in. Only whole runs of 16 ASCII letters and digits that pass the full
/// validation, check character included, are masked, so words and protocol numbers stay as typed.
pub fn mask_in_text(text: &str) -> std::borrow::Cow<'_, str> {
    let bytes = text.as_bytes();
    let mut out: Option<String> = None;
    let mut copied = 0;
    let mut at = 0;
    while at < bytes.len() {
        if !bytes[at].is_ascii_alphanumeric() {
            at += 1;
            continue;
        }
        let start = at;
        while at < bytes.len() && bytes[at].is_ascii_alphanumeric() {
            at += 1;
        }
        // ASCII boundaries: slicing here is always on char boundaries.
        let word = &text[start..at];
        if word.len() == 16
            && let Ok(code) = CodiceFiscale::parse(word)
        {
            let out = out.get_or_insert_with(|| String::with_capacity(text.len()));
            out.push_str(&text[copied..start]);
            out.push_str(&code.masked());
            copied = at;
        }
    }
    match out {
        None => std::borrow::Cow::Borrowed(text),
        Some(mut out) => {
            out.push_str(&text[copied..]);
            std::borrow::Cow::Owned(out)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;
    use proptest::prelude::*;

    fn cf(text: &str) -> CodiceFiscale {
        CodiceFiscale::parse(text).unwrap()
    }

    #[test]
    fn known_codes() {
        let rossi = cf("RSSMRA85T10A562S");
        assert_eq!(rossi.birth_date(2026), date(1985, 12, 10));
        assert_eq!(rossi.sex(), Sex::Male);
        assert_eq!(rossi.birthplace_code(), "A562");
        assert_eq!(
            CodiceFiscale::compute("Rossi", "Mario", date(1985, 12, 10), Sex::Male, "A562")
                .unwrap(),
            rossi
        );
        assert_eq!(cf(" rssmra85t10a562s ").as_str(), "RSSMRA85T10A562S");
        assert_eq!(rossi.masked(), "RSS***85T10****S");
    }

    #[test]
    fn codes_in_free_text_are_masked_and_nothing_else_changes() {
        let text = "Per conto di Mario Rossi (CF rssmra85t10a562s), già RSSMRA85T10A562S: pratica \
                    CBP-2026-0012345, codice errato RSSMRA85T10A562X, parola ABCDEFGHIJKLMNOP.";
        assert_eq!(
            mask_in_text(text),
            "Per conto di Mario Rossi (CF RSS***85T10****S), già RSS***85T10****S: pratica \
             CBP-2026-0012345, codice errato RSSMRA85T10A562X, parola ABCDEFGHIJKLMNOP."
        );
        // A code glued to more letters or digits is not a whole word: left alone.
        assert_eq!(mask_in_text("XRSSMRA85T10A562S"), "XRSSMRA85T10A562S");
        assert!(matches!(
            mask_in_text("nessun codice qui"),
            std::borrow::Cow::Borrowed(_)
        ));
        assert_eq!(mask_in_text("RSSMRA85T10A562S"), "RSS***85T10****S");
    }

    #[test]
    fn compute_rules() {
        let code = |s: &str, n: &str, d: Date, sex: Sex, b: &str| {
            CodiceFiscale::compute(s, n, d, sex, b).unwrap().as_str()[..11].to_string()
        };
        // Name with 4+ consonants takes the 1st, 3rd and 4th.
        assert_eq!(
            &code("Bianchi", "Gianfranco", date(1970, 1, 1), Sex::Male, "F205")[3..6],
            "GFR"
        );
        // Few consonants: vowels follow, X pads.
        assert_eq!(
            &code("Fo", "Ua", date(1970, 1, 1), Sex::Male, "F205")[..6],
            "FOXUAX"
        );
        assert_eq!(
            &code("De Luca", "Anna", date(1990, 2, 5), Sex::Female, "H501"),
            "DLCNNA90B45"
        );
        assert_eq!(
            &code("D'Amico", "Niccolò", date(2001, 8, 31), Sex::Male, "F839")[..6],
            "DMCNCL"
        );
        assert_eq!(
            &code("Russo", "Paola", date(1964, 4, 30), Sex::Female, "H501")[6..11],
            "64D70"
        );
        assert!(matches!(
            CodiceFiscale::compute("Rossi", "Mario", date(1985, 12, 10), Sex::Male, "5620"),
            Err(CodiceFiscaleError::BirthplaceCode(_))
        ));
        assert_eq!(
            CodiceFiscale::compute("'", "Mario", date(1985, 12, 10), Sex::Male, "A562"),
            Err(CodiceFiscaleError::NoLetters { field: "surname" })
        );
    }

    #[test]
    fn errors_name_position_and_reason() {
        let err = |t: &str| CodiceFiscale::parse(t).unwrap_err().to_string();
        assert_eq!(err("RSSMRA85T10A562"), "must be 16 characters, found 15");
        assert_eq!(
            err("RSSMRA85Z10A562S"),
            "character 9 'Z' is not a valid month letter (one of ABCDEHLMPRST)"
        );
        assert_eq!(
            err("RSSMRA8AT10A562S"),
            "character 8 'A' is not a digit or an omocodia letter (LMNPQRSTUV)"
        );
        assert_eq!(
            err("RS1MRA85T10A562S"),
            "character 3 '1' is not a letter (surname and name part)"
        );
        assert_eq!(
            err("RSSMRA85T10A56ÈS"),
            "character 15 'È' is not a digit or an omocodia letter (LMNPQRSTUV)"
        );
        assert_eq!(
            err("RSSMRA85T32A562S"),
            "characters 10-11 '32' give day 32, expected 1-31 (men) or 41-71 (women)"
        );
        assert_eq!(
            err("RSSMRA85B30A562S"),
            "characters 10-11 '30': month 2 has no day 30"
        );
        assert_eq!(
            err("RSSMRA85T10A562T"),
            "character 16 'T' is not the check character, expected 'S'"
        );
        // 29 February is accepted only in years ending in a multiple of 4.
        let leap =
            CodiceFiscale::compute("Rossi", "Mario", date(2000, 2, 29), Sex::Male, "H501").unwrap();
        assert_eq!(leap.birth_date(2026), date(2000, 2, 29));
        assert_eq!(leap.birth_date(1999), date(1600, 2, 29));
    }

    #[test]
    fn century_is_the_most_recent_past_one() {
        let young =
            CodiceFiscale::compute("Verdi", "Luca", date(2024, 3, 1), Sex::Male, "H501").unwrap();
        assert_eq!(young.birth_date(2026), date(2024, 3, 1));
        assert_eq!(young.birth_date(2024), date(2024, 3, 1));
        assert_eq!(young.birth_date(2023), date(1924, 3, 1));
        let old =
            CodiceFiscale::compute("Verdi", "Luca", date(1927, 3, 1), Sex::Male, "H501").unwrap();
        assert_eq!(old.birth_date(2026), date(1927, 3, 1));
    }

    #[test]
    fn omocodia_reverses() {
        let base = cf("RSSMRA85T10A562S");
        let v1 = base.omocodia_variant(1);
        assert_eq!(&v1.as_str()[11..15], "A56N");
        assert!(v1.is_omocode());
        assert!(!base.is_omocode());
        let v7 = base.omocodia_variant(7);
        assert_eq!(&v7.as_str()[6..15], "URTMLARSN");
        assert_eq!(cf(v7.as_str()).normalised(), base);
        assert_eq!(v7.birthplace_code(), "A562");
        assert_eq!(v7.birth_date(2026), date(1985, 12, 10));
    }

    /// The check character alone cannot tell digit d from the letter with index d (0↔A … 9↔J):
    /// both tables give them the same value. Every position accepts either letters only or digits
    /// plus LMNPQRSTUV (never A–J), so structure catches exactly those swaps.
    #[test]
    fn checksum_blind_spot_is_covered_by_structure() {
        let base = "RSSMRA85T10A562S";
        let swapped = "RSSMRA85T1AA562S"; // position 11: '0' -> 'A'
        assert_eq!(
            check_character(&base.as_bytes()[..15]),
            check_character(&swapped.as_bytes()[..15])
        );
        assert!(matches!(
            CodiceFiscale::parse(swapped),
            Err(CodiceFiscaleError::InvalidCharacter { position: 11, .. })
        ));
    }

    fn person() -> impl Strategy<Value = (String, String, Date, Sex, String)> {
        (
            "[A-Za-zÀÈÉÌÒÙ' ]{1,14}",
            "[A-Za-zÀÈÉÌÒÙ' ]{1,14}",
            1850i16..=2150,
            1i8..=12,
            1i8..=31,
            any::<bool>(),
            "[A-Z][0-9]{3}",
        )
            .prop_filter_map("needs letters and a real date", |(s, n, y, m, d, f, b)| {
                let date = Date::new(y, m, d).ok()?;
                if letters(&s).is_empty() || letters(&n).is_empty() {
                    return None;
                }
                let sex = if f { Sex::Female } else { Sex::Male };
                Some((s, n, date, sex, b))
            })
    }

    proptest! {
        #[test]
        fn generate_then_parse_round_trips(
            (surname, name, date, sex, belfiore) in person(),
            years_later in 0i16..100,
        ) {
            let code = CodiceFiscale::compute(&surname, &name, date, sex, &belfiore).unwrap();
            let parsed = CodiceFiscale::parse(code.as_str()).unwrap();
            prop_assert_eq!(&parsed, &code);
            prop_assert_eq!(parsed.sex(), sex);
            prop_assert_eq!(parsed.birthplace_code(), belfiore);
            prop_assert_eq!(parsed.birth_date(date.year() + years_later), date);
            prop_assert!(!parsed.is_omocode());
        }

        #[test]
        fn omocodia_variants_validate_and_normalise(
            (surname, name, date, sex, belfiore) in person(),
            level in 0usize..=7,
        ) {
            let code = CodiceFiscale::compute(&surname, &name, date, sex, &belfiore).unwrap();
            let variant = code.omocodia_variant(level);
            let parsed = CodiceFiscale::parse(variant.as_str()).unwrap();
            prop_assert_eq!(parsed.normalised(), code.clone());
            prop_assert_eq!(parsed.is_omocode(), level > 0);
            prop_assert_eq!(parsed.sex(), sex);
            prop_assert_eq!(parsed.birthplace_code(), belfiore);
            prop_assert_eq!(parsed.birth_date(date.year()), date);
        }

        /// Any substitution of one character by a different upper-case letter or digit is rejected
        /// (case changes are not substitutions: parsing upper-cases the input).
        #[test]
        fn any_single_substitution_is_detected(
            (surname, name, date, sex, belfiore) in person(),
            level in 0usize..=7,
            position in 0usize..16,
            replacement in "[A-Z0-9]",
        ) {
            let code = CodiceFiscale::compute(&surname, &name, date, sex, &belfiore)
                .unwrap()
                .omocodia_variant(level);
            let mut chars: Vec<char> = code.as_str().chars().collect();
            let replacement = replacement.chars().next().unwrap();
            prop_assume!(chars[position] != replacement);
            chars[position] = replacement;
            let changed: String = chars.into_iter().collect();
            prop_assert!(CodiceFiscale::parse(&changed).is_err(), "{} accepted", changed);
        }
    }
}
