//! Snapshots of every view and dialog at 80×24 and 160×48, dark and monochrome, from a
//! deterministic dataset and a fixed clock.

use combipat::domain::registry;
use combipat::i18n::Lang;
use combipat::tui::fixture;
use combipat::tui::headless::Headless;
use combipat::tui::state::{Operator, State};
use combipat::tui::theme::Theme;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

fn now() -> jiff::Timestamp {
    "2026-03-16T10:00:00Z".parse().unwrap()
}

fn state() -> State {
    let me = Operator {
        username: "mrossi".into(),
        office: "RM01".into(),
    };
    let mut state = State::new(Lang::It, me, now());
    state.demo = true;
    state.offices = registry::offices()
        .iter()
        .map(|o| (o.code.to_string(), o.name.to_string()))
        .collect();
    state.canned = vec![
        (
            "Sollecito ricevuto".into(),
            "Gentile patronato, la richiesta {request_id} è in lavorazione presso {office}.".into(),
        ),
        (
            "Documentazione mancante".into(),
            "Per {citizen_name} serve il modello AP70. {operator}".into(),
        ),
    ];
    state.set_requests(fixture::requests(60, now(), "RM01", "mrossi"));
    state
}

fn key(code: KeyCode) -> KeyEvent {
    KeyEvent::new(code, KeyModifiers::NONE)
}

/// (name, keys that lead to the view)
fn scenarios() -> Vec<(&'static str, Vec<KeyEvent>)> {
    let c = |ch| key(KeyCode::Char(ch));
    vec![
        ("list", vec![]),
        (
            "queues_next",
            vec![key(KeyCode::BackTab), key(KeyCode::Down)],
        ),
        ("detail", vec![key(KeyCode::Down), key(KeyCode::Enter)]),
        ("filter", vec![c('/'), c('n'), c('a'), c('s')]),
        ("help", vec![c('?')]),
        ("palette", vec![c(':'), c('c'), c('l')]),
        ("reply", vec![c('r'), c('O'), c('k')]),
        ("forward_picker", vec![c('f')]),
        ("outcome_picker", vec![c('c')]),
        (
            "bulk_close_confirm",
            vec![c(' '), c(' '), c('C'), key(KeyCode::Enter)],
        ),
        ("canned", vec![c('p')]),
        ("sorted_priority", vec![c('o'), c('o')]),
    ]
}

#[test]
fn every_view_and_dialog() {
    for (w, h) in [(80u16, 24u16), (160, 48)] {
        for (theme, styles) in [
            ("dark", Theme::from_sources("dark", None).0),
            ("mono", Theme::from_sources("monochrome", None).0),
        ] {
            for (name, keys) in scenarios() {
                let mut headless = Headless::new(state(), w, h, styles.clone());
                // Start from "Tutte aperte" so the list is populated at any size.
                headless.state.queue_cursor = headless.state.queues.len() - 1;
                headless.state.invalidate_filter();
                headless.state.refilter();
                for k in keys {
                    headless.press(k);
                }
                headless.draw();
                let snap = format!("{name}_{w}x{h}_{theme}");
                insta::with_settings!({snapshot_path => "../snapshots", prepend_module_to_snapshot => false}, {
                    if theme == "dark" {
                        insta::assert_snapshot!(snap, headless.screen());
                    } else {
                        insta::assert_debug_snapshot!(snap, headless.terminal.backend().buffer());
                    }
                });
            }
        }
    }
}

#[test]
fn hostile_text_renders_inert() {
    let mut s = state();
    let mut evil = fixture::requests(1, now(), "RM01", "mrossi").remove(0);
    evil.subject = "Ciao\u{1b}]52;c;ZXZpbA==\u{7}\u{1b}[2J\u{9b}31m\u{202e}gnp.exe\u{200b}X".into();
    evil.patronato = "\u{1b}[31mINCA".into();
    s.set_requests(vec![evil]);
    s.queue_cursor = s.queues.len() - 1;
    s.invalidate_filter();
    s.refilter();
    let mut h = Headless::new(s, 160, 48, Theme::default());
    h.draw();
    let screen = h.screen();
    assert!(!screen.contains('\u{1b}'));
    assert!(!screen.contains('\u{9b}'));
    assert!(!screen.contains('\u{202e}'));
    assert!(!screen.contains('\u{200b}'));
    assert!(screen.contains("Ciao␛]52;c;ZXZpbA==␇␛[2J"), "{screen}");
    assert!(screen.contains("gnp.exeX"), "{screen}");
}
