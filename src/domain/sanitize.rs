//! The one sanitiser for untrusted text before it reaches a terminal or a log (DESIGN.md §6).
//!
//! ratatui writes cell contents verbatim, so an ESC or a C1 CSI in a patronato's message would be
//! interpreted by the operator's terminal (OSC 52 can even write the clipboard). Every untrusted
//! string therefore goes through [`inline`] or [`block`]:
//! It works by **allow list** of Unicode general categories (letters, marks, numbers,
//! punctuation, symbols, space separators), not by a list of known-bad characters:
//! - controls (Cc): ESC becomes `␛`, other C0 controls their Control Pictures (`␀`…`␟`), DEL `␡`,
//!   C1 controls (U+0080–U+009F) `�`, so an attack is visible rather than silently dropped;
//! - format characters (Cf) are removed: bidi embeddings/overrides/isolates and marks ("Trojan
//!   Source"), zero-width characters, tag characters U+E0000–E007F ("ASCII smuggling"),
//!   U+206A–206F, interlinear annotations U+FFF9–FFFB, U+180E, soft hyphen;
//! - line and paragraph separators (Zl, Zp: U+2028, U+2029) become spaces, like newlines in a line;
//! - private use (Co) and unassigned code points (Cn, as of the tables' Unicode version) become
//!   `�`: the terminal's font decides what they look like, and their width is unknown;
//! - Hangul fillers (U+115F, U+1160, U+3164, U+FFA0), letters that draw nothing, are removed;
//! - at most [`MAX_COMBINING`] non-spacing/enclosing marks are kept on one character ("Zalgo"
//!   text that overflows onto other rows), the rest are removed;
//! - lengths are capped by terminal display width (unicode-width), ending with `…`.
//!
//! [`first_forbidden`] is the matching check for input validation: a service refuses text that
//! the sanitiser would have to change (other than line breaks and tabs).

use std::fmt;

use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};
use unicode_width::UnicodeWidthChar;

/// Tab stops for [`block`].
pub const TAB_WIDTH: usize = 4;
/// Non-spacing or enclosing marks kept on one base character; further ones are removed.
pub const MAX_COMBINING: usize = 4;
const ELLIPSIS: char = '…';
const REPLACEMENT: char = '\u{FFFD}';

/// Why a character is outside the allow list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Forbidden {
    /// Cc: C0, DEL, C1.
    Control,
    /// Cf: bidi controls, zero-width characters, tags, …
    Format,
    /// Zl, Zp.
    Separator,
    /// Co.
    PrivateUse,
    /// Cn (and surrogates, which a `char` cannot hold).
    Unassigned,
    /// Hangul fillers and other letters that draw nothing.
    Filler,
    /// More than [`MAX_COMBINING`] marks on one character.
    CombiningFlood,
}

impl Forbidden {
    pub fn describe(self) -> &'static str {
        match self {
            Forbidden::Control => "control character",
            Forbidden::Format => "invisible format character",
            Forbidden::Separator => "line or paragraph separator",
            Forbidden::PrivateUse => "private-use character",
            Forbidden::Unassigned => "unassigned code point",
            Forbidden::Filler => "filler character",
            Forbidden::CombiningFlood => "too many combining marks",
        }
    }
}

/// The first character of a text outside the allow list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ForbiddenChar {
    /// Index in characters (not bytes) from the start of the text.
    pub position: usize,
    pub ch: char,
    pub why: Forbidden,
}

impl fmt::Display for ForbiddenChar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} U+{:04X} at character {}",
            self.why.describe(),
            self.ch as u32,
            self.position
        )
    }
}

/// Hangul fillers: letters (Lo) that draw nothing, used to fake empty names and columns.
fn is_filler(ch: char) -> bool {
    matches!(ch, '\u{115F}' | '\u{1160}' | '\u{3164}' | '\u{FFA0}')
}

fn is_combining(ch: char) -> bool {
    matches!(
        ch.general_category(),
        GeneralCategory::NonspacingMark | GeneralCategory::EnclosingMark
    )
}

/// Whether `ch`, on its own, is outside the allow list (tab, newline and carriage return are
/// left to the caller, which knows whether a line break is allowed there). The service refuses
/// such characters in what clients send.
pub fn forbidden_char(ch: char) -> Option<Forbidden> {
    if matches!(ch, '\t' | '\n' | '\r') {
        return None;
    }
    if is_filler(ch) {
        return Some(Forbidden::Filler);
    }
    match ch.general_category() {
        GeneralCategory::Control => Some(Forbidden::Control),
        GeneralCategory::Format => Some(Forbidden::Format),
        GeneralCategory::LineSeparator | GeneralCategory::ParagraphSeparator => {
            Some(Forbidden::Separator)
        }
        GeneralCategory::PrivateUse => Some(Forbidden::PrivateUse),
        GeneralCategory::Unassigned | GeneralCategory::Surrogate => Some(Forbidden::Unassigned),
        _ => None,
    }
}

/// The first character of `text` that [`inline`]/[`block`] would have to change or remove
/// (line breaks and tabs aside), including a mark past [`MAX_COMBINING`] on one character.
pub fn first_forbidden(text: &str) -> Option<ForbiddenChar> {
    let mut marks = 0;
    for (position, ch) in text.chars().enumerate() {
        if let Some(why) = forbidden_char(ch) {
            return Some(ForbiddenChar { position, ch, why });
        }
        if is_combining(ch) {
            marks += 1;
            if marks > MAX_COMBINING {
                return Some(ForbiddenChar {
                    position,
                    ch,
                    why: Forbidden::CombiningFlood,
                });
            }
        } else {
            marks = 0;
        }
    }
    None
}

/// Per-string state of the filter: marks seen on the current base character.
#[derive(Default)]
struct Filter {
    marks: usize,
}

impl Filter {
    /// What one input character becomes; `None` = removed. `whitespace` replaces tab, newline,
    /// carriage return and the Unicode line/paragraph separators.
    fn render(&mut self, ch: char, whitespace: char) -> Option<char> {
        if is_combining(ch) {
            self.marks += 1;
            return (self.marks <= MAX_COMBINING).then_some(ch);
        }
        let rendered = Self::replace(ch, whitespace);
        // A removed character does not start a new base: marks around it still add up.
        if rendered.is_some() {
            self.marks = 0;
        }
        rendered
    }

    /// A character emitted by the caller itself (tab expansion): a new base.
    fn reset(&mut self) {
        self.marks = 0;
    }

    fn replace(ch: char, whitespace: char) -> Option<char> {
        match ch {
            '\t' | '\n' | '\r' => return Some(whitespace),
            '\u{1b}' => return Some('␛'),
            '\u{0}'..='\u{1f}' => return char::from_u32(0x2400 + ch as u32),
            '\u{7f}' => return Some('␡'),
            '\u{80}'..='\u{9f}' => return Some(REPLACEMENT),
            _ => {}
        }
        match forbidden_char(ch) {
            None => Some(ch),
            Some(Forbidden::Separator) => Some(whitespace),
            Some(Forbidden::Format | Forbidden::Filler) => None,
            Some(
                Forbidden::Control
                | Forbidden::PrivateUse
                | Forbidden::Unassigned
                | Forbidden::CombiningFlood,
            ) => Some(REPLACEMENT),
        }
    }
}

/// One line: newlines, carriage returns and tabs become spaces; capped to `max_width` columns.
pub fn inline(text: &str, max_width: usize) -> String {
    let mut out = String::with_capacity(text.len().min(max_width * 4));
    let mut width = 0;
    let mut truncated = false;
    let mut filter = Filter::default();
    for ch in text.chars() {
        let Some(rendered) = filter.render(ch, ' ') else {
            continue;
        };
        let w = rendered.width().unwrap_or(0);
        if width + w > max_width {
            truncated = true;
            break;
        }
        out.push(rendered);
        width += w;
    }
    if truncated {
        cap_with_ellipsis(&mut out, &mut width, max_width);
    }
    out
}

/// Several lines, structure kept (`\n`, `\r\n` and lone `\r` end a line), tabs expanded to
/// [`TAB_WIDTH`] stops. `max_width` caps the total display width of all lines together (line
/// breaks not counted); when it is reached the last kept line ends with `…` and the rest is dropped.
pub fn block(text: &str, max_width: usize) -> Vec<String> {
    let normalised = text.replace("\r\n", "\n").replace('\r', "\n");
    let mut lines = Vec::new();
    let mut budget = max_width;
    for raw in normalised.split('\n') {
        let mut line = String::new();
        let mut column = 0;
        let mut truncated = false;
        let mut filter = Filter::default();
        for ch in raw.chars() {
            if ch == '\t' {
                let spaces = TAB_WIDTH - column % TAB_WIDTH;
                if spaces > budget {
                    truncated = true;
                    break;
                }
                line.extend(std::iter::repeat_n(' ', spaces));
                filter.reset();
                column += spaces;
                budget -= spaces;
                continue;
            }
            let Some(rendered) = filter.render(ch, ' ') else {
                continue;
            };
            let w = rendered.width().unwrap_or(0);
            if w > budget {
                truncated = true;
                break;
            }
            line.push(rendered);
            column += w;
            budget -= w;
        }
        if truncated {
            // Give back room for the ellipsis from this line's own text.
            let mut width = column;
            let limit = column + budget;
            cap_with_ellipsis(&mut line, &mut width, limit);
            lines.push(line);
            return lines;
        }
        lines.push(line);
    }
    lines
}

/// Appends `…`, removing characters from the end until it fits in `max_width`.
fn cap_with_ellipsis(out: &mut String, width: &mut usize, max_width: usize) {
    if max_width == 0 {
        out.clear();
        *width = 0;
        return;
    }
    while *width + 1 > max_width {
        match out.pop() {
            Some(last) => *width -= last.width().unwrap_or(0),
            None => break,
        }
    }
    out.push(ELLIPSIS);
    *width += 1;
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use unicode_width::UnicodeWidthStr;

    #[test]
    fn escape_sequences_become_visible() {
        assert_eq!(inline("a\x1b[2Jb", 80), "a␛[2Jb");
        assert_eq!(inline("\x1b]52;c;ZXZpbA==\x07", 80), "␛]52;c;ZXZpbA==␇");
        assert_eq!(inline("\x00\x08\x7f", 80), "␀␈␡");
        // C1 CSI (U+009B) is a one-character escape on some terminals.
        assert_eq!(inline("x\u{9b}2Jy\u{80}", 80), "x\u{FFFD}2Jy\u{FFFD}");
    }

    #[test]
    fn bidi_and_zero_width_are_removed() {
        assert_eq!(
            inline("ab\u{202E}cd\u{202A}\u{202B}\u{202C}\u{202D}", 80),
            "abcd"
        );
        assert_eq!(inline("\u{2066}x\u{2067}\u{2068}\u{2069}", 80), "x");
        assert_eq!(
            inline("R\u{200B}O\u{200C}S\u{200D}S\u{FEFF}I\u{2060}", 80),
            "ROSSI"
        );
    }

    #[test]
    fn inline_is_one_line() {
        assert_eq!(inline("a\nb\r\nc\td", 80), "a b  c d");
        assert_eq!(inline("Perché è così", 80), "Perché è così");
    }

    #[test]
    fn inline_caps_by_display_width() {
        assert_eq!(inline("abcdef", 6), "abcdef");
        assert_eq!(inline("abcdefg", 6), "abcde…");
        assert_eq!(inline("abc", 0), "");
        // Wide characters count two columns each.
        let capped = inline("日本語のテキスト", 7);
        assert_eq!(capped, "日本語…");
        assert!(capped.width() <= 7);
    }

    #[test]
    fn block_keeps_lines_and_expands_tabs() {
        assert_eq!(block("a\n\tb\r\nc\rd", 100), vec!["a", "    b", "c", "d"]);
        assert_eq!(block("ab\tc", 100), vec!["ab  c"]);
        assert_eq!(block("x\x1b[31m", 100), vec!["x␛[31m"]);
        assert_eq!(block("", 10), vec![""]);
    }

    #[test]
    fn block_caps_total_width() {
        assert_eq!(block("abcd\nefgh\nijkl", 10), vec!["abcd", "efgh", "i…"]);
        assert_eq!(block("abcd\nefgh", 8), vec!["abcd", "efgh"]);
        assert_eq!(block("abcdefgh", 4), vec!["abc…"]);
    }

    /// Every case of issue 12 plus the classic escapes: what must never reach a terminal raw.
    pub(crate) const HOSTILE: &[&str] = &[
        "line\u{2028}separator",
        "para\u{2029}graph",
        "tag\u{E0001}\u{E0041}\u{E0042}\u{E007F}smuggled",
        "hangul\u{3164}\u{115F}\u{1160}\u{FFA0}filler",
        "deprecated\u{206A}\u{206B}\u{206C}\u{206D}\u{206E}\u{206F}format",
        "interlinear\u{FFF9}\u{FFFA}\u{FFFB}annotation",
        "mongolian\u{180E}vs",
        "bidi\u{202E}txet\u{2066}\u{2069}\u{061C}",
        "esc\x1b[2J\x1b]52;c;ZXZpbA==\x07\u{9b}31m",
        "private\u{E000}\u{F8FF}\u{F0000}use",
        "unassigned\u{0378}\u{10FFFF}",
        "zalgo a\u{301}\u{302}\u{303}\u{304}\u{305}\u{306}\u{307}\u{308}\u{309}\u{30A}",
    ];

    /// The allow list, stated independently of the implementation.
    fn allowed(c: char) -> bool {
        use GeneralCategory::*;
        !matches!(
            c.general_category(),
            Control
                | Format
                | LineSeparator
                | ParagraphSeparator
                | PrivateUse
                | Unassigned
                | Surrogate
        ) && !matches!(c, '\u{115F}' | '\u{1160}' | '\u{3164}' | '\u{FFA0}')
    }

    fn max_marks(s: &str) -> usize {
        let (mut run, mut max) = (0, 0);
        for c in s.chars() {
            run = if is_combining(c) { run + 1 } else { 0 };
            max = max.max(run);
        }
        max
    }

    #[test]
    fn hostile_corpus_comes_out_inside_the_allow_list() {
        for text in HOSTILE {
            let line = inline(text, 200);
            assert!(line.chars().all(allowed), "{line:?}");
            assert!(max_marks(&line) <= MAX_COMBINING, "{line:?}");
            assert!(first_forbidden(text).is_some(), "{text:?}");
            assert_eq!(first_forbidden(&line), None, "{line:?}");
        }
        assert_eq!(inline("line\u{2028}separator", 80), "line separator");
        assert_eq!(inline("tag\u{E0001}\u{E0041}\u{E007F}x", 80), "tagx");
        assert_eq!(inline("h\u{3164}\u{115F}\u{1160}\u{FFA0}i", 80), "hi");
        assert_eq!(inline("a\u{206A}\u{FFF9}b\u{FFFB}\u{180E}c", 80), "abc");
        assert_eq!(inline("p\u{E000}\u{0378}", 80), "p\u{FFFD}\u{FFFD}");
        let zalgo = inline("a\u{301}\u{302}\u{303}\u{304}\u{305}\u{306}b", 80);
        assert_eq!(zalgo, "a\u{301}\u{302}\u{303}\u{304}b");
        assert_eq!(block("x\u{2029}y", 80), vec!["x y"]);
    }

    #[test]
    fn ordinary_text_is_left_alone() {
        for text in [
            "Perché è così: 12,50 € — «ok»",
            "Nguyễn Văn Thủy",
            "日本語のテキスト",
            "नमस्ते",
            "emoji 👍🏽 ok",
            "tab\tand\nnewline",
        ] {
            assert_eq!(first_forbidden(text), None, "{text:?}");
        }
        assert_eq!(inline("Nguyễn Văn Thủy", 80), "Nguyễn Văn Thủy");
    }

    #[test]
    fn first_forbidden_names_the_character_and_its_position() {
        let bad = first_forbidden("Rossi\u{202E}x").unwrap();
        assert_eq!(bad.position, 5);
        assert_eq!(bad.ch, '\u{202E}');
        assert_eq!(bad.why, Forbidden::Format);
        assert_eq!(
            bad.to_string(),
            "invisible format character U+202E at character 5"
        );
        assert_eq!(
            first_forbidden("a\x1b]52;c;x\x07").map(|b| b.why),
            Some(Forbidden::Control)
        );
        assert_eq!(
            first_forbidden("a\u{2028}").map(|b| b.why),
            Some(Forbidden::Separator)
        );
        assert_eq!(
            first_forbidden("\u{3164}").map(|b| b.why),
            Some(Forbidden::Filler)
        );
        assert_eq!(
            first_forbidden("a\u{301}\u{301}\u{301}\u{301}\u{301}").map(|b| (b.position, b.why)),
            Some((5, Forbidden::CombiningFlood))
        );
        assert_eq!(forbidden_char('\n'), None);
        assert_eq!(forbidden_char('\u{E0041}'), Some(Forbidden::Format));
        assert_eq!(forbidden_char('\u{F0000}'), Some(Forbidden::PrivateUse));
    }

    /// Characters an attacker would pick, mixed with anything at all.
    fn hostile_char() -> impl Strategy<Value = char> {
        prop_oneof![
            any::<char>(),
            prop::char::ranges(
                vec![
                    '\u{0}'..='\u{9f}',
                    '\u{300}'..='\u{36f}',
                    '\u{115f}'..='\u{1160}',
                    '\u{180e}'..='\u{180e}',
                    '\u{200b}'..='\u{206f}',
                    '\u{3164}'..='\u{3164}',
                    '\u{e000}'..='\u{f8ff}',
                    '\u{ffa0}'..='\u{ffa0}',
                    '\u{fff0}'..='\u{ffff}',
                    '\u{e0000}'..='\u{e007f}',
                ]
                .into()
            ),
        ]
    }

    proptest! {
        #[test]
        fn output_is_terminal_safe(text in any::<String>(), max in 0usize..60) {
            let line = inline(&text, max);
            prop_assert!(line.width() <= max);
            let lines = block(&text, max);
            let total: usize = lines.iter().map(|l| l.width()).sum();
            prop_assert!(total <= max);
            for s in std::iter::once(&line).chain(lines.iter()) {
                prop_assert!(s.chars().all(allowed), "{:?}", s);
                prop_assert!(max_marks(s) <= MAX_COMBINING);
            }
        }

        #[test]
        fn hostile_input_comes_out_inside_the_allow_list(
            chars in proptest::collection::vec(hostile_char(), 0..120),
            max in 0usize..200,
        ) {
            let text: String = chars.into_iter().collect();
            let line = inline(&text, max);
            prop_assert!(line.chars().all(allowed), "{:?}", line);
            prop_assert!(max_marks(&line) <= MAX_COMBINING);
            prop_assert_eq!(first_forbidden(&line), None);
            for l in block(&text, max) {
                prop_assert!(l.chars().all(allowed), "{:?}", l);
                prop_assert!(max_marks(&l) <= MAX_COMBINING);
                prop_assert_eq!(first_forbidden(&l), None);
            }
        }
    }
}
