//! Key events → commands through the active keymap (`State::keymap`).

use crossterm::event::KeyEvent;

use crate::tui::action::Command;
use crate::tui::keymap::{Context, Lookup};
use crate::tui::state::{Pane, State};

/// The keymap context of what has the keys: the cruscotto when open, else the focused pane.
pub fn context(state: &State) -> Context {
    if state.dashboard.is_some() {
        return Context::Dashboard;
    }
    match state.focus {
        Pane::Queues => Context::Queues,
        Pane::List => Context::List,
        Pane::Detail => Context::Detail,
    }
}

/// Feeds `key` to the keymap; `Some(command)` when it completes a binding. The first keys of a
/// multi-key sequence return `None` and stay pending in the keymap.
pub fn command_for(state: &mut State, key: &KeyEvent) -> Option<Command> {
    let context = context(state);
    match state.keymap.lookup(context, key) {
        Lookup::Command(command) => Some(command),
        Lookup::Pending | Lookup::None => None,
    }
}
