//! Terminal-safe rendering of untrusted text.
//!
//! Interim: `domain::sanitize` (owner `domain`) is the one sanitiser; until it lands on main this
//! module applies the same rules so nothing untrusted reaches a `Span` raw. Swap the bodies for
//! `crate::domain::sanitize::{inline, block}` once available.

/// One line: controls become visible markers, bidi overrides and zero-width characters vanish,
/// capped at `max_chars` with `…`.
pub fn inline(text: &str, max_chars: usize) -> String {
    let mut out = String::with_capacity(text.len().min(max_chars * 4));
    let mut count = 0;
    for ch in text.chars() {
        let piece: Option<String> = match ch {
            '\n' | '\r' | '\t' => Some(" ".into()),
            '\u{1b}' => Some("␛".into()),
            c if (c as u32) < 0x20 => Some(format!("^{}", char::from(b'@' + c as u8))),
            '\u{7f}' => Some("^?".into()),
            c if ('\u{80}'..='\u{9f}').contains(&c) => Some(format!("<{:02X}>", c as u32)),
            '\u{200b}'..='\u{200f}'
            | '\u{202a}'..='\u{202e}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{2069}'
            | '\u{feff}' => None,
            c => Some(c.to_string()),
        };
        if let Some(piece) = piece {
            let n = piece.chars().count();
            if count + n > max_chars {
                out.push('…');
                return out;
            }
            count += n;
            out.push_str(&piece);
        }
    }
    out
}

/// Keeps line structure; each line made safe like [`inline`].
pub fn block(text: &str, max_chars: usize) -> Vec<String> {
    text.split('\n')
        .map(|line| inline(&line.replace('\t', "    "), max_chars))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_text_becomes_inert() {
        let hostile = "a\u{1b}]52;c;ZXZpbA==\u{7}b\u{9b}31m\u{202e}x\u{200b}y";
        let safe = inline(hostile, 100);
        assert!(!safe.chars().any(|c| c.is_control()));
        assert!(safe.contains('␛'));
        assert!(safe.contains("<9B>"));
        assert!(!safe.contains('\u{202e}'));
        assert_eq!(inline("abcdef", 3), "abc…");
    }
}
