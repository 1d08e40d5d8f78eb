use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::*;

/// The command table's action names.
fn actions() -> Vec<&'static str> {
    crate::tui::action::command_names().collect()
}

fn press(c: char) -> KeyEvent {
    KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)
}

#[test]
fn presets_load_clean_and_bind_every_action() {
    for (name, _) in PRESETS {
        let (keymap, diagnostics) = Keymap::from_sources(name, None, &actions());
        assert!(diagnostics.is_empty(), "{name}: {diagnostics:#?}");
        for action in actions() {
            assert!(keymap.is_bound(action), "{name}: `{action}` has no key");
        }
    }
}

#[test]
fn sequences_are_pending_then_fire() {
    let (mut keymap, _) = Keymap::from_sources("vim", None, &actions());
    assert_eq!(keymap.lookup(Context::List, &press('g')), Lookup::Pending);
    assert_eq!(keymap.pending().len(), 1);
    assert_eq!(
        keymap.lookup(Context::List, &press('g')),
        Lookup::Action("top")
    );
    assert!(keymap.pending().is_empty());
    assert_eq!(keymap.lookup(Context::List, &press('g')), Lookup::Pending);
    keymap.reset();
    assert_eq!(
        keymap.lookup(Context::List, &press('t')),
        Lookup::Action("take")
    );
    // An unbound continuation drops the sequence.
    assert_eq!(keymap.lookup(Context::List, &press('g')), Lookup::Pending);
    assert_eq!(keymap.lookup(Context::List, &press('z')), Lookup::None);
    assert_eq!(
        keymap.lookup(Context::List, &press('t')),
        Lookup::Action("take")
    );
}

#[test]
fn context_wins_over_global_and_release_is_ignored() {
    let (mut keymap, _) = Keymap::from_sources("default", None, &actions());
    let esc = KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE);
    assert_eq!(keymap.lookup(Context::Detail, &esc), Lookup::Action("back"));
    assert_eq!(
        keymap.lookup(Context::List, &esc),
        Lookup::Action("clear_selection")
    );
    assert_eq!(
        keymap.lookup(Context::Queues, &press('q')),
        Lookup::Action("quit")
    );
    let mut release = press('q');
    release.kind = crossterm::event::KeyEventKind::Release;
    assert_eq!(keymap.lookup(Context::Queues, &release), Lookup::None);
    let ctrl_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
    assert_eq!(
        keymap.lookup(Context::Detail, &ctrl_c),
        Lookup::Action("quit")
    );
    assert_eq!(
        keymap.lookup(Context::Detail, &press('c')),
        Lookup::Action("close")
    );
}

#[test]
fn hints_come_from_the_context_then_global() {
    let (keymap, _) = Keymap::from_sources("default", None, &actions());
    let hints: Vec<&str> = keymap
        .hints(Context::List)
        .iter()
        .map(|b| b.action.as_str())
        .collect();
    assert_eq!(hints.first(), Some(&"open"));
    assert!(hints.contains(&"take") && hints.contains(&"quit") && hints.contains(&"help"));
    assert_eq!(keymap.key_for(Context::List, "take").as_deref(), Some("t"));
    assert_eq!(
        keymap.key_for(Context::Detail, "quit").as_deref(),
        Some("q")
    );
}
