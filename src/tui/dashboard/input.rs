//! Keys from raw terminal bytes, for front ends where crossterm cannot read (an SSH channel).
//!
//! Understands what terminals send in their default modes: UTF-8 text, C0 controls (Ctrl-A…Z,
//! Tab, Enter, Backspace), a lone ESC, CSI/SS3 cursor and editing keys (`ESC [ A`, `ESC O A`,
//! `ESC [ 5 ~`, `ESC [ 1 ; 5 A` with modifiers). Unknown sequences are consumed and dropped.
//! A sequence split across reads is kept until its next bytes arrive.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

#[derive(Debug, Default)]
pub struct KeyParser {
    pending: Vec<u8>,
}

/// Cap on buffered bytes of an unfinished sequence: a hostile client cannot grow it.
const MAX_PENDING: usize = 64;

enum Step {
    Key(KeyEvent, usize),
    Skip(usize),
    NeedMore,
}

fn key(code: KeyCode) -> KeyEvent {
    KeyEvent::new(code, KeyModifiers::NONE)
}

impl KeyParser {
    pub fn new() -> Self {
        Self::default()
    }

    /// Feeds bytes; returns the complete keys they finish. A trailing lone ESC is held back
    /// until [`KeyParser::flush`] (called when no more bytes arrive soon) makes it an Esc key.
    pub fn feed(&mut self, bytes: &[u8]) -> Vec<KeyEvent> {
        self.pending.extend_from_slice(bytes);
        let mut keys = Vec::new();
        let mut at = 0;
        while at < self.pending.len() {
            match parse_one(&self.pending[at..]) {
                Step::Key(k, used) => {
                    keys.push(k);
                    at += used;
                }
                Step::Skip(used) => at += used,
                Step::NeedMore => break,
            }
        }
        self.pending.drain(..at);
        if self.pending.len() > MAX_PENDING {
            self.pending.clear();
        }
        keys
    }

    /// Whatever is pending is a lone ESC (or garbage): resolve it.
    pub fn flush(&mut self) -> Vec<KeyEvent> {
        let esc = self.pending.first() == Some(&0x1b);
        self.pending.clear();
        if esc { vec![key(KeyCode::Esc)] } else { vec![] }
    }
}

fn parse_one(bytes: &[u8]) -> Step {
    let Some(&first) = bytes.first() else {
        return Step::NeedMore;
    };
    match first {
        0x1b => parse_escape(bytes),
        b'\r' | b'\n' => Step::Key(key(KeyCode::Enter), 1),
        b'\t' => Step::Key(key(KeyCode::Tab), 1),
        0x7f | 0x08 => Step::Key(key(KeyCode::Backspace), 1),
        0x00 => Step::Skip(1),
        0x01..=0x1a => {
            let letter = char::from(b'a' + first - 1);
            Step::Key(
                KeyEvent::new(KeyCode::Char(letter), KeyModifiers::CONTROL),
                1,
            )
        }
        0x1c..=0x1f => Step::Skip(1),
        _ => parse_utf8(bytes),
    }
}

fn parse_utf8(bytes: &[u8]) -> Step {
    let width = match bytes[0] {
        0x20..=0x7e => 1,
        0xc2..=0xdf => 2,
        0xe0..=0xef => 3,
        0xf0..=0xf4 => 4,
        _ => return Step::Skip(1),
    };
    if bytes.len() < width {
        return Step::NeedMore;
    }
    match std::str::from_utf8(&bytes[..width])
        .ok()
        .and_then(|s| s.chars().next())
    {
        Some(c) if !c.is_control() => {
            let modifiers = if c.is_uppercase() {
                KeyModifiers::SHIFT
            } else {
                KeyModifiers::NONE
            };
            Step::Key(KeyEvent::new(KeyCode::Char(c), modifiers), width)
        }
        _ => Step::Skip(width),
    }
}

fn parse_escape(bytes: &[u8]) -> Step {
    let Some(&second) = bytes.get(1) else {
        return Step::NeedMore;
    };
    match second {
        b'[' => parse_csi(bytes),
        b'O' => match bytes.get(2) {
            None => Step::NeedMore,
            Some(&final_byte) => match cursor_key(final_byte) {
                Some(code) => Step::Key(key(code), 3),
                None => Step::Skip(3),
            },
        },
        0x1b => Step::Key(key(KeyCode::Esc), 1),
        // Alt+key: report the key with ALT.
        _ => match parse_one(&bytes[1..]) {
            Step::Key(mut k, used) => {
                k.modifiers |= KeyModifiers::ALT;
                Step::Key(k, used + 1)
            }
            Step::Skip(used) => Step::Skip(used + 1),
            Step::NeedMore => Step::NeedMore,
        },
    }
}

fn cursor_key(final_byte: u8) -> Option<KeyCode> {
    Some(match final_byte {
        b'A' => KeyCode::Up,
        b'B' => KeyCode::Down,
        b'C' => KeyCode::Right,
        b'D' => KeyCode::Left,
        b'H' => KeyCode::Home,
        b'F' => KeyCode::End,
        b'Z' => KeyCode::BackTab,
        _ => return None,
    })
}

fn parse_csi(bytes: &[u8]) -> Step {
    // ESC [ params… final, params in 0x30..=0x3f, intermediates 0x20..=0x2f, final 0x40..=0x7e.
    let mut end = 2;
    loop {
        match bytes.get(end) {
            None => return Step::NeedMore,
            Some(0x20..=0x3f) => end += 1,
            Some(0x40..=0x7e) => break,
            Some(_) => return Step::Skip(end),
        }
    }
    let used = end + 1;
    let params = std::str::from_utf8(&bytes[2..end]).unwrap_or("");
    let mut numbers = params.split(';').map(|p| p.parse::<u8>().unwrap_or(1));
    let first = numbers.next().unwrap_or(1);
    let modifiers = match numbers.next().map(|m| m.saturating_sub(1)) {
        Some(bits) => {
            let mut m = KeyModifiers::NONE;
            if bits & 1 != 0 {
                m |= KeyModifiers::SHIFT;
            }
            if bits & 2 != 0 {
                m |= KeyModifiers::ALT;
            }
            if bits & 4 != 0 {
                m |= KeyModifiers::CONTROL;
            }
            m
        }
        None => KeyModifiers::NONE,
    };
    let code = match bytes[end] {
        b'~' => match first {
            1 | 7 => Some(KeyCode::Home),
            2 => Some(KeyCode::Insert),
            3 => Some(KeyCode::Delete),
            4 | 8 => Some(KeyCode::End),
            5 => Some(KeyCode::PageUp),
            6 => Some(KeyCode::PageDown),
            _ => None,
        },
        other => cursor_key(other),
    };
    match code {
        Some(code) => Step::Key(KeyEvent::new(code, modifiers), used),
        None => Step::Skip(used),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(keys: &[KeyEvent]) -> Vec<KeyCode> {
        keys.iter().map(|k| k.code).collect()
    }

    #[test]
    fn text_controls_and_sequences() {
        let mut p = KeyParser::new();
        let keys = p.feed("jk\r\x1b[A\x1bOB\x1b[5~\x1b[6~\x7f\tè\x03".as_bytes());
        assert_eq!(
            codes(&keys),
            vec![
                KeyCode::Char('j'),
                KeyCode::Char('k'),
                KeyCode::Enter,
                KeyCode::Up,
                KeyCode::Down,
                KeyCode::PageUp,
                KeyCode::PageDown,
                KeyCode::Backspace,
                KeyCode::Tab,
                KeyCode::Char('è'),
                KeyCode::Char('c'),
            ]
        );
        assert_eq!(keys[10].modifiers, KeyModifiers::CONTROL);
        let ctrl_up = p.feed(b"\x1b[1;5A");
        assert_eq!(ctrl_up[0].code, KeyCode::Up);
        assert_eq!(ctrl_up[0].modifiers, KeyModifiers::CONTROL);
    }

    #[test]
    fn split_sequences_and_lone_escape() {
        let mut p = KeyParser::new();
        assert!(p.feed(b"\x1b").is_empty());
        assert!(p.feed(b"[").is_empty());
        assert_eq!(codes(&p.feed(b"B")), vec![KeyCode::Down]);
        assert!(p.feed(b"\x1b").is_empty());
        assert_eq!(codes(&p.flush()), vec![KeyCode::Esc]);
        assert!(p.feed(&[0xc3]).is_empty());
        assert_eq!(codes(&p.feed(&[0xa0])), vec![KeyCode::Char('à')]);
    }

    #[test]
    fn garbage_never_panics_nor_grows() {
        let mut p = KeyParser::new();
        let mut junk = vec![0x1b, b'['];
        junk.extend(std::iter::repeat_n(b'1', 500));
        let _ = p.feed(&junk);
        assert!(p.pending.len() <= MAX_PENDING);
        for b in 0..=255u8 {
            let _ = p.feed(&[b, 0x1b, b'[', b]);
        }
        let _ = p.flush();
        assert_eq!(codes(&p.feed(b"q")), vec![KeyCode::Char('q')]);
    }
}
