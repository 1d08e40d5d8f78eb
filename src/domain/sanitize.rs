//! The one sanitiser for untrusted text before it reaches a terminal or a log (DESIGN.md §6).
//!
//! ratatui writes cell contents verbatim, so an ESC or a C1 CSI in a patronato's message would be
//! interpreted by the operator's terminal (OSC 52 can even write the clipboard). Every untrusted
//! string therefore goes through [`inline`] or [`block`]:
//! - ESC becomes `␛`, other C0 controls their Control Pictures (`␀`…`␟`), DEL `␡`, and C1 controls
//!   (U+0080–U+009F) `�`, so an attack is visible rather than silently dropped;
//! - bidi embeddings/overrides/isolates and marks, and zero-width characters, are removed
//!   (they reorder or hide text: "Trojan Source");
//! - lengths are capped by terminal display width (unicode-width), ending with `…`.

use unicode_width::UnicodeWidthChar;

/// Tab stops for [`block`].
pub const TAB_WIDTH: usize = 4;
const ELLIPSIS: char = '…';

/// One line: newlines, carriage returns and tabs become spaces; capped to `max_width` columns.
pub fn inline(text: &str, max_width: usize) -> String {
    let mut out = String::with_capacity(text.len().min(max_width * 4));
    let mut width = 0;
    let mut truncated = false;
    for ch in text.chars() {
        let Some(rendered) = render(ch, ' ') else {
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
        for ch in raw.chars() {
            if ch == '\t' {
                let spaces = TAB_WIDTH - column % TAB_WIDTH;
                if spaces > budget {
                    truncated = true;
                    break;
                }
                line.extend(std::iter::repeat_n(' ', spaces));
                column += spaces;
                budget -= spaces;
                continue;
            }
            let Some(rendered) = render(ch, ' ') else {
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

/// What one input character becomes; `None` = removed. `whitespace` replaces tab/newline/CR.
fn render(ch: char, whitespace: char) -> Option<char> {
    match ch {
        '\t' | '\n' | '\r' => Some(whitespace),
        '\u{1b}' => Some('␛'),
        '\u{0}'..='\u{1f}' => char::from_u32(0x2400 + ch as u32),
        '\u{7f}' => Some('␡'),
        '\u{80}'..='\u{9f}' => Some('\u{FFFD}'),
        _ if is_bidi_control(ch) || is_invisible(ch) => None,
        _ => Some(ch),
    }
}

fn is_bidi_control(ch: char) -> bool {
    matches!(ch, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}')
}

fn is_invisible(ch: char) -> bool {
    matches!(ch, '\u{200B}'..='\u{200D}' | '\u{FEFF}' | '\u{2060}'..='\u{2064}' | '\u{00AD}')
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

    proptest! {
        #[test]
        fn output_is_terminal_safe(text in any::<String>(), max in 0usize..60) {
            let line = inline(&text, max);
            prop_assert!(line.width() <= max);
            let lines = block(&text, max);
            let total: usize = lines.iter().map(|l| l.width()).sum();
            prop_assert!(total <= max);
            for s in std::iter::once(&line).chain(lines.iter()) {
                prop_assert!(!s.chars().any(|c| c.is_control()));
                prop_assert!(!s.chars().any(|c| is_bidi_control(c) || is_invisible(c)));
            }
        }
    }
}
