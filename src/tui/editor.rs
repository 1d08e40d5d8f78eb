//! The text editor of the workstation's dialogs: multi-line for replies, notes and integration
//! requests, one line for tags, assignees and ids. A thin wrapper over `ratatui-textarea`
//! (cursor movement, word and line deletion, undo/redo, soft wrap) that keeps the keys an
//! operator knows from a shell: Ctrl-W deletes a word, Ctrl-U the line up to the cursor,
//! Ctrl-Z undoes. Which key sends is the keymap's `[editor]` business, not this module's.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui_textarea::{CursorMove, TextArea, WrapMode};

/// Longest text accepted (characters); the service has its own limit, this one keeps a
/// runaway paste from making every frame slow.
pub const MAX_CHARS: usize = 20_000;

#[derive(Clone)]
pub struct Editor {
    /// Boxed: the widget is large and `Mode` holds an editor only while a dialog is open.
    area: Box<TextArea<'static>>,
    multiline: bool,
    /// `Esc` was pressed on a non-empty text: the dialog asks whether to keep the draft.
    pub asking_to_close: bool,
}

impl std::fmt::Debug for Editor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Editor")
            .field("text", &self.text())
            .field("multiline", &self.multiline)
            .field("asking_to_close", &self.asking_to_close)
            .finish()
    }
}

/// Two editors are the same when they hold the same text in the same shape; cursor and undo
/// history are not part of what the state means.
impl PartialEq for Editor {
    fn eq(&self, other: &Self) -> bool {
        self.multiline == other.multiline
            && self.asking_to_close == other.asking_to_close
            && self.area.lines() == other.area.lines()
    }
}

impl Eq for Editor {}

impl Editor {
    /// An editor holding `text`, the cursor at its end.
    pub fn new(text: &str, multiline: bool) -> Self {
        let clean = clean(text, multiline);
        let lines: Vec<String> = clean.split('\n').map(str::to_owned).collect();
        let mut area = TextArea::new(lines);
        area.set_wrap_mode(if multiline {
            WrapMode::WordOrGlyph
        } else {
            WrapMode::None
        });
        area.set_max_histories(200);
        area.move_cursor(CursorMove::Bottom);
        area.move_cursor(CursorMove::End);
        Editor {
            area: Box::new(area),
            multiline,
            asking_to_close: false,
        }
    }

    pub fn multiline(&self) -> bool {
        self.multiline
    }

    /// The text, lines joined with `\n`.
    pub fn text(&self) -> String {
        self.area.lines().join("\n")
    }

    pub fn is_blank(&self) -> bool {
        self.area.lines().iter().all(|l| l.trim().is_empty())
    }

    /// Characters held (for the length limit).
    fn len(&self) -> usize {
        self.area
            .lines()
            .iter()
            .map(|l| l.chars().count() + 1)
            .sum()
    }

    /// One key that is not a command; returns whether the text changed.
    pub fn key(&mut self, key: KeyEvent) -> bool {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        let alt = key.modifiers.contains(KeyModifiers::ALT);
        match key.code {
            // Shell habits over the widget's emacs defaults (there Ctrl-U is undo).
            KeyCode::Char('u') if ctrl => self.area.delete_line_by_head(),
            KeyCode::Char('z') if ctrl => self.area.undo(),
            KeyCode::Char('y') if ctrl && key.modifiers.contains(KeyModifiers::SHIFT) => {
                self.area.redo()
            }
            KeyCode::Enter | KeyCode::Char('m' | 'j') if !self.multiline && (ctrl || alt) => false,
            KeyCode::Enter if !self.multiline => false,
            KeyCode::Char(_) | KeyCode::Enter | KeyCode::Tab
                if !ctrl && !alt && self.len() >= MAX_CHARS =>
            {
                false
            }
            _ => self.area.input(key),
        }
    }

    /// Text from a bracketed paste: inserted as it is, newlines included (multi-line), with
    /// terminal control characters dropped so a pasted escape sequence stays inert.
    pub fn paste(&mut self, text: &str) -> bool {
        let room = MAX_CHARS.saturating_sub(self.len());
        let clean: String = clean(text, self.multiline).chars().take(room).collect();
        if clean.is_empty() {
            return false;
        }
        self.area.insert_str(clean)
    }

    /// The widget, styled by the caller's theme.
    pub fn widget(&self, text: ratatui::style::Style, cursor: ratatui::style::Style) -> Editor {
        let mut copy = self.clone();
        copy.area.set_style(text);
        copy.area.set_cursor_style(cursor);
        copy.area
            .set_cursor_line_style(ratatui::style::Style::default());
        copy
    }

    /// Rows the text takes at `width` once soft-wrapped (at least one), for sizing the dialog.
    pub fn rows_at(&self, width: usize) -> usize {
        let width = width.max(1);
        self.area
            .lines()
            .iter()
            .map(|l| {
                unicode_width::UnicodeWidthStr::width(l.as_str())
                    .div_ceil(width)
                    .max(1)
            })
            .sum::<usize>()
            .max(1)
    }
}

impl ratatui::widgets::Widget for &Editor {
    fn render(self, area: ratatui::layout::Rect, buf: &mut ratatui::buffer::Buffer) {
        (&*self.area).render(area, buf);
    }
}

/// Keeps printable text, newlines (multi-line only; else spaces) and tabs.
fn clean(text: &str, multiline: bool) -> String {
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    text.chars()
        .filter_map(|c| match c {
            '\n' if multiline => Some('\n'),
            '\n' => Some(' '),
            '\t' => Some('\t'),
            c if c.is_control() => None,
            // Format characters that only hide or reorder text (bidi overrides, zero width).
            '\u{200b}'..='\u{200f}'
            | '\u{202a}'..='\u{202e}'
            | '\u{2066}'..='\u{2069}'
            | '\u{feff}' => None,
            c => Some(c),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn press(e: &mut Editor, code: KeyCode, modifiers: KeyModifiers) {
        e.key(KeyEvent::new(code, modifiers));
    }

    fn typed(e: &mut Editor, text: &str) {
        for c in text.chars() {
            press(e, KeyCode::Char(c), KeyModifiers::NONE);
        }
    }

    #[test]
    fn shell_keys_edit_instead_of_inserting_letters() {
        let mut e = Editor::new("", true);
        typed(&mut e, "Gentile patronato");
        press(&mut e, KeyCode::Char('w'), KeyModifiers::CONTROL);
        assert_eq!(e.text(), "Gentile ");
        press(&mut e, KeyCode::Enter, KeyModifiers::NONE);
        typed(&mut e, "seconda riga");
        assert_eq!(e.text(), "Gentile \nseconda riga");
        press(&mut e, KeyCode::Char('u'), KeyModifiers::CONTROL);
        assert_eq!(e.text(), "Gentile \n");
        press(&mut e, KeyCode::Char('z'), KeyModifiers::CONTROL);
        assert_eq!(e.text(), "Gentile \nseconda riga");
        // Arrows move the cursor: a letter typed after Left lands before the last one.
        press(&mut e, KeyCode::Left, KeyModifiers::NONE);
        typed(&mut e, "X");
        assert_eq!(e.text(), "Gentile \nseconda rigXa");
    }

    #[test]
    fn paste_keeps_lines_and_drops_control_characters() {
        let mut e = Editor::new("Inizio ", true);
        e.paste("uno\r\ndue\u{1b}]52;c;x\u{7}\ntre\u{202e}");
        assert_eq!(e.text(), "Inizio uno\ndue]52;c;x\ntre");
        let mut one = Editor::new("", false);
        one.paste("a\nb");
        press(&mut one, KeyCode::Enter, KeyModifiers::NONE);
        assert_eq!(one.text(), "a b");
    }

    #[test]
    fn a_runaway_paste_is_cut_at_the_limit() {
        let mut e = Editor::new("", true);
        e.paste(&"x".repeat(MAX_CHARS * 2));
        assert!(e.text().chars().count() < MAX_CHARS);
    }
}
