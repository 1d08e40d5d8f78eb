use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::*;
use crate::tui::action::COMMANDS;

fn press(c: char) -> KeyEvent {
    KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)
}

#[test]
fn presets_load_clean_and_bind_every_action() {
    for (name, _) in PRESETS {
        let (keymap, diagnostics) = Keymap::from_sources(name, None);
        assert!(diagnostics.is_empty(), "{name}: {diagnostics:#?}");
        for spec in COMMANDS {
            assert!(
                keymap.is_bound(spec.command),
                "{name}: `{}` has no key",
                spec.name
            );
        }
    }
}

#[test]
fn sequences_are_pending_then_fire() {
    let (mut keymap, _) = Keymap::from_sources("vim", None);
    assert_eq!(keymap.lookup(Context::List, &press('g')), Lookup::Pending);
    assert_eq!(keymap.pending().len(), 1);
    assert_eq!(
        keymap.lookup(Context::List, &press('g')),
        Lookup::Command(Command::Top)
    );
    assert!(keymap.pending().is_empty());
    assert_eq!(keymap.lookup(Context::List, &press('g')), Lookup::Pending);
    keymap.reset();
    assert_eq!(
        keymap.lookup(Context::List, &press('t')),
        Lookup::Command(Command::Take)
    );
    // An unbound continuation drops the sequence.
    assert_eq!(keymap.lookup(Context::List, &press('g')), Lookup::Pending);
    assert_eq!(keymap.lookup(Context::List, &press('z')), Lookup::None);
    assert_eq!(
        keymap.lookup(Context::List, &press('t')),
        Lookup::Command(Command::Take)
    );
}

#[test]
fn context_wins_over_global_and_release_is_ignored() {
    let (mut keymap, _) = Keymap::from_sources("default", None);
    let esc = KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE);
    assert_eq!(
        keymap.lookup(Context::Detail, &esc),
        Lookup::Command(Command::Back)
    );
    assert_eq!(
        keymap.lookup(Context::List, &esc),
        Lookup::Command(Command::ClearSelection)
    );
    assert_eq!(
        keymap.lookup(Context::Queues, &press('q')),
        Lookup::Command(Command::Quit)
    );
    let mut release = press('q');
    release.kind = crossterm::event::KeyEventKind::Release;
    assert_eq!(keymap.lookup(Context::Queues, &release), Lookup::None);
    let ctrl_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
    assert_eq!(
        keymap.lookup(Context::Detail, &ctrl_c),
        Lookup::Command(Command::Quit)
    );
    assert_eq!(
        keymap.lookup(Context::Detail, &press('c')),
        Lookup::Command(Command::Close)
    );
}

#[test]
fn hints_come_from_the_context_then_global() {
    let (keymap, _) = Keymap::from_sources("default", None);
    let hints: Vec<&str> = keymap
        .hints(Context::List)
        .iter()
        .map(|b| b.command.name())
        .collect();
    assert_eq!(hints.first(), Some(&"open"));
    assert!(hints.contains(&"take") && hints.contains(&"quit") && hints.contains(&"help"));
    assert_eq!(
        keymap.key_for(Context::List, Command::Take).as_deref(),
        Some("t")
    );
    assert_eq!(
        keymap.key_for(Context::Detail, Command::Quit).as_deref(),
        Some("q")
    );
}
