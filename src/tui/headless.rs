//! Drives the workstation without a terminal: keys in, state and a rendered buffer out.
//! Used by snapshot tests, flow tests and `combipat bench tui`; the real loop uses the same
//! [`dispatch_key`].

use crossterm::event::KeyEvent;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use crate::tui::input::command_for;
use crate::tui::state::State;
use crate::tui::theme::Theme;
use crate::tui::update::{Effect, Msg, update, wants_raw_keys};
use crate::tui::view::view;

/// Rows of the request table for a terminal `height` (banner, borders, header, hints, status).
pub fn list_height(height: u16) -> usize {
    usize::from(height.saturating_sub(6)).max(1)
}

/// One key through the active keymap (or to the open dialog) into `update`.
pub fn dispatch_key(state: &mut State, key: KeyEvent) -> Vec<Effect> {
    if wants_raw_keys(state) {
        state.keymap.reset();
        return update(state, Msg::DialogKey(key));
    }
    match command_for(state, &key) {
        Some(command) => update(state, Msg::Command(command)),
        None => crate::tui::dashboard::embed::unbound_key(state, &key),
    }
}

pub struct Headless {
    pub state: State,
    pub terminal: Terminal<TestBackend>,
    pub theme: Theme,
    /// Effects produced so far, in order, for the caller to run or inspect.
    pub effects: Vec<Effect>,
}

impl Headless {
    pub fn new(mut state: State, width: u16, height: u16, theme: Theme) -> Self {
        update(
            &mut state,
            Msg::Resize {
                list_height: list_height(height),
            },
        );
        let terminal = match Terminal::new(TestBackend::new(width, height)) {
            Ok(t) => t,
            Err(never) => match never {},
        };
        Headless {
            state,
            terminal,
            theme,
            effects: Vec::new(),
        }
    }

    pub fn send(&mut self, msg: Msg) {
        let effects = update(&mut self.state, msg);
        self.effects.extend(effects);
    }

    pub fn press(&mut self, key: KeyEvent) {
        let effects = dispatch_key(&mut self.state, key);
        self.effects.extend(effects);
    }

    /// A bracketed paste, as the terminal delivers it.
    pub fn paste(&mut self, text: &str) {
        self.send(Msg::Paste(text.to_string()));
    }

    /// Renders one frame.
    pub fn draw(&mut self) {
        let (state, theme) = (&self.state, &self.theme);
        if let Err(never) = self.terminal.draw(|frame| view(state, frame, theme)) {
            match never {}
        }
    }

    /// The last frame as text, one line per row, trailing spaces trimmed.
    pub fn screen(&self) -> String {
        let buffer = self.terminal.backend().buffer();
        let width = buffer.area.width as usize;
        let mut out = String::new();
        for row in buffer.content.chunks(width) {
            let line: String = row.iter().map(|c| c.symbol()).collect();
            out.push_str(line.trim_end());
            out.push('\n');
        }
        out
    }
}
