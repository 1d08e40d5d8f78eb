//! Built-in key bindings used when no `tui::keymap::Keymap` is available (owner tuiconf);
//! mirrors `keymaps/default.toml`. Returns action names from the command table.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::tui::state::Pane;

pub fn fallback_lookup(pane: Pane, key: &KeyEvent) -> Option<&'static str> {
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    let action = match (key.code, ctrl) {
        (KeyCode::Char('c'), true) => "quit",
        (KeyCode::Char('z'), true) => "suspend",
        (KeyCode::Char('u'), true) => "undo",
        (KeyCode::Char('r'), true) => "refresh",
        (KeyCode::Char('e'), true) => "reply_editor",
        (_, true) => return None,
        (KeyCode::Char('q'), _) => "quit",
        (KeyCode::Char('?'), _) => "help",
        (KeyCode::Char(':'), _) => "palette",
        (KeyCode::Char('/'), _) => "filter",
        (KeyCode::Char('g'), _) => "jump",
        (KeyCode::Tab, _) => "focus_next",
        (KeyCode::BackTab, _) => "focus_prev",
        (KeyCode::Up | KeyCode::Char('k'), _) => "up",
        (KeyCode::Down | KeyCode::Char('j'), _) => "down",
        (KeyCode::PageUp, _) => "page_up",
        (KeyCode::PageDown, _) => "page_down",
        (KeyCode::Home, _) => "top",
        (KeyCode::End, _) => "bottom",
        (KeyCode::Enter, _) => "open",
        (KeyCode::Esc, _) => "back",
        (KeyCode::Char(']'), _) => "next_queue",
        (KeyCode::Char('['), _) => "prev_queue",
        (KeyCode::Char('o'), _) => "sort_cycle",
        (KeyCode::Char(' '), _) => "toggle_select",
        (KeyCode::Char('A'), _) => "select_all",
        (KeyCode::Char('x'), _) => "clear_selection",
        (KeyCode::Char('D'), _) => "dashboard",
        (KeyCode::Char('e'), _) => "export_csv",
        (KeyCode::Char('t'), _) => "take",
        (KeyCode::Char('l'), _) if pane != Pane::Detail => "release",
        (KeyCode::Char('a'), _) => "assign",
        (KeyCode::Char('r'), _) => "reply",
        (KeyCode::Char('R'), _) => "reply_editor",
        (KeyCode::Char('n'), _) => "note",
        (KeyCode::Char('i'), _) => "request_integration",
        (KeyCode::Char('f'), _) => "forward",
        (KeyCode::Char('c'), _) => "close",
        (KeyCode::Char('O'), _) => "reopen",
        (KeyCode::Char('#'), _) => "tag",
        (KeyCode::Char('b'), _) => "book_appointment",
        (KeyCode::Char('y'), _) => "copy_id",
        (KeyCode::Char('T'), _) => "bulk_take",
        (KeyCode::Char('F'), _) => "bulk_forward",
        (KeyCode::Char('C'), _) => "bulk_close",
        (KeyCode::Char('u'), _) => "undo",
        (KeyCode::Char('p'), _) => "canned_reply",
        _ => return None,
    };
    Some(action)
}
