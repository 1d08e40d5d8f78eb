//! Snapshots of every view and dialog at 80×24 and 160×48, dark and monochrome, from a
//! deterministic dataset and a fixed clock, with keys going through the embedded default keymap;
//! plus the keymap-driven help and hint line with a user override file, and the README keys table.

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
        (
            "help_filtered",
            vec![c('?'), c('c'), c('h'), c('i'), c('u')],
        ),
        (
            "help_scrolled",
            vec![c('?'), key(KeyCode::PageDown), key(KeyCode::PageDown)],
        ),
        ("palette", vec![c(':'), c('c'), c('l')]),
        ("reply", vec![c('r'), c('O'), c('k')]),
        ("note", vec![c('n'), c('x')]),
        ("jump", vec![c('g'), c('1'), c('2')]),
        ("forward_picker", vec![c('f')]),
        ("outcome_picker", vec![c('c')]),
        ("appointment_picker", vec![c('b')]),
        (
            "bulk_close_confirm",
            vec![c(' '), c(' '), c('C'), key(KeyCode::Enter)],
        ),
        ("bulk_take_confirm", vec![c(' '), c(' '), c('T')]),
        ("canned", vec![c('m')]),
        ("sorted_priority", vec![c('s'), c('s')]),
        ("integration", vec![c('i'), c('A'), c('P')]),
        ("tag", vec![c('#')]),
        ("assign", vec![c('a')]),
        ("bulk_forward_picker", vec![c(' '), c(' '), c('F')]),
        ("vim_pending", vec![c('g')]),
        ("stale_banner", vec![key(KeyCode::Enter)]),
        ("offline_banner", vec![]),
        ("read_only_english", vec![c('t')]),
        ("vim_help", vec![c('?')]),
    ]
}

/// State other than keys a scenario starts from (keymap, language, banners).
fn setup(name: &str, state: &mut State) {
    use combipat::tui::keymap::Keymap;
    match name {
        "vim_help" | "vim_pending" => {
            state.keymap = Keymap::from_sources("vim", None).0;
        }
        "stale_banner" => state.detail_stale = true,
        "offline_banner" => state.offline = true,
        "read_only_english" => {
            state.lang = Lang::En;
            state.read_only = true;
        }
        _ => {}
    }
}

#[test]
fn every_view_and_dialog() {
    for (w, h) in [(80u16, 24u16), (160, 48)] {
        for (theme, styles) in [
            ("dark", Theme::from_sources("dark", None).0),
            ("mono", Theme::from_sources("monochrome", None).0),
        ] {
            for (name, keys) in scenarios() {
                let mut state = state();
                setup(name, &mut state);
                let mut headless = Headless::new(state, w, h, styles.clone());
                // Start from "Tutte aperte" so the list is populated at any size.
                headless.state.queue_cursor = headless.state.queues.len() - 1;
                headless.state.invalidate_filter();
                headless.state.refilter();
                for k in keys {
                    headless.press(k);
                }
                // The slot picker shows what the service answers: a fixed four weeks of slots.
                if let combipat::tui::state::Mode::Slots(picker) = &headless.state.mode {
                    let slots = fixture::slots(&picker.office, now());
                    headless.send(combipat::tui::update::Msg::SlotsLoaded(Box::new(slots)));
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
    // Wide enough for the whole subject in its column.
    let mut h = Headless::new(h.state, 300, 48, Theme::default());
    h.draw();
    let screen = h.screen();
    assert!(screen.contains("gnp.exeX"), "{screen}");
}

/// The last-but-one row: the key-hint line.
fn hint_line(screen: &str) -> &str {
    let rows: Vec<&str> = screen.lines().collect();
    rows[rows.len() - 2]
}

#[test]
fn user_keymap_rebinding_take_changes_help_hints_and_dispatch() {
    use combipat::api::ActionBody;
    use combipat::tui::app::perform;
    use combipat::tui::gateway::LocalGateway;
    use combipat::tui::keymap::{Keymap, USER_FILE};
    use combipat::tui::update::Effect;

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join(USER_FILE);
    std::fs::write(
        &file,
        "[list]\nprepend_keymap = [\n  { on = \"P\", run = \"take\", desc = \"Prendi (tasto mio)\", hint = true },\n  { on = \"t\", run = \"noop\" },\n]\n",
    )
    .unwrap();
    let (keymap, diagnostics) = Keymap::load("default", Some(&file));
    assert!(diagnostics.is_empty(), "{diagnostics:#?}");

    let mut s = state();
    let requests = fixture::requests(60, now(), "RM01", "mrossi");
    let gateway = LocalGateway::new("mrossi", requests);
    s.keymap = keymap;
    // "Da assegnare": requests nobody has taken yet.
    s.queue_cursor = 1;
    s.invalidate_filter();
    s.refilter();
    let mut h = Headless::new(s, 160, 48, Theme::default());
    h.draw();
    let screen = h.screen();
    let hints = hint_line(&screen);
    assert!(hints.contains("P prendi"), "{hints}");
    assert!(!hints.contains("t prendi"), "{hints}");

    h.press(key(KeyCode::Char('?')));
    for c in "take".chars() {
        h.press(key(KeyCode::Char(c)));
    }
    h.draw();
    let help = h.screen();
    let take_rows: Vec<&str> = help.lines().filter(|l| l.contains(" take ")).collect();
    assert_eq!(take_rows.len(), 2, "{help}"); // [list] and [detail]
    assert!(take_rows[0].contains("P ") && take_rows[0].contains("Prendi (tasto mio)"));
    assert!(take_rows[1].contains("t ") && take_rows[1].contains("Prendi in carico"));
    h.press(key(KeyCode::Esc));

    let id = h.state.current().unwrap().id.clone();
    assert_eq!(h.state.current().unwrap().assignee, None);
    h.press(key(KeyCode::Char('t')));
    assert!(h.effects.is_empty(), "{:?}", h.effects);
    h.press(key(KeyCode::Char('P')));
    assert!(
        matches!(
            h.effects.as_slice(),
            [Effect::Act {
                body: ActionBody::Take,
                ..
            }]
        ),
        "{:?}",
        h.effects
    );
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    for effect in std::mem::take(&mut h.effects) {
        for msg in rt.block_on(perform(effect, &gateway)) {
            h.send(msg);
        }
    }
    assert_eq!(
        h.state.request(&id).unwrap().assignee.as_deref(),
        Some("mrossi")
    );
}

#[test]
fn vim_sequences_wait_for_the_second_key() {
    use combipat::tui::keymap::Keymap;

    let mut s = state();
    s.keymap = Keymap::from_sources("vim", None).0;
    s.queue_cursor = s.queues.len() - 1;
    s.invalidate_filter();
    s.refilter();
    let mut h = Headless::new(s, 80, 24, Theme::default());
    h.press(key(KeyCode::Char('G')));
    let bottom = h.state.cursor;
    assert!(bottom > 0);
    h.press(key(KeyCode::Char('g')));
    assert_eq!(h.state.cursor, bottom, "first key of `g g` must wait");
    h.draw();
    assert!(h.screen().contains("g …"), "{}", h.screen());
    h.press(key(KeyCode::Char('g')));
    assert_eq!(h.state.cursor, 0);
    assert!(h.state.keymap.pending().is_empty());
}

#[test]
fn hint_line_follows_the_focused_pane_and_language() {
    let mut h = Headless::new(state(), 160, 48, Theme::default());
    h.draw();
    let list = hint_line(&h.screen()).to_string();
    assert!(
        // The first row is already the operator's: take is not offered, reply and close are.
        !list.contains("t prendi") && list.contains("r rispondi") && list.contains("c chiudi"),
        "{list}"
    );
    h.press(key(KeyCode::BackTab));
    h.draw();
    let queues = hint_line(&h.screen()).to_string();
    assert!(
        queues.contains("Enter apri") && !queues.contains("prendi"),
        "{queues}"
    );
    h.state.lang = Lang::En;
    h.draw();
    assert!(hint_line(&h.screen()).contains("Enter open"));
}

/// The README keys table is the default keymap, rendered by this function. Regenerate with
/// `COMBIPAT_UPDATE_README=1 cargo test --test tui_snapshots readme`.
#[test]
fn readme_keys_table_matches_default_keymap() {
    use combipat::tui::action::Context;
    use combipat::tui::keymap::Keymap;

    let keymap = Keymap::default();
    let mut table = String::from("| pane | keys | action | what it does |\n|---|---|---|---|\n");
    for context in Context::ALL {
        let mut rows: Vec<(String, &str, &str)> = Vec::new();
        // One row per command, its keys together, in the order the file binds them.
        for b in keymap.bindings_in(context) {
            let keys = format!("`{}`", b.keys_display());
            match rows
                .iter_mut()
                .find(|(_, action, _)| *action == b.command.name())
            {
                Some(row) => row.0 = format!("{} {keys}", row.0),
                None => rows.push((keys, b.command.name(), &b.desc)),
            }
        }
        for (keys, action, desc) in rows {
            let keys = keys.replace('|', "\\|");
            table.push_str(&format!(
                "| {} | {keys} | `{action}` | {desc} |\n",
                context.name()
            ));
        }
    }
    let begin = "<!-- keys:begin (generated from keymaps/default.toml) -->\n";
    let end = "<!-- keys:end -->";
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md");
    let readme = std::fs::read_to_string(&path).unwrap();
    let start = readme.find(begin).expect("README keys markers") + begin.len();
    let stop = readme.find(end).expect("README keys markers");
    if std::env::var_os("COMBIPAT_UPDATE_README").is_some() {
        let updated = format!("{}{table}{}", &readme[..start], &readme[stop..]);
        std::fs::write(&path, updated).unwrap();
    } else {
        assert_eq!(
            &readme[start..stop],
            table,
            "README keys table is stale: rerun with COMBIPAT_UPDATE_README=1"
        );
    }
}

#[test]
fn user_theme_file_restyles_the_screen_and_no_color_strips_every_colour() {
    use ratatui::style::{Color, Modifier};

    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("themes")).unwrap();
    std::fs::write(
        dir.path().join("themes/dark.toml"),
        "[styles]\nsla_breached = { fg = \"light_magenta\", modifiers = [\"underlined\"] }\n",
    )
    .unwrap();
    let (theme, diagnostics) = Theme::load("dark", Some(dir.path()), false);
    assert!(diagnostics.is_empty(), "{diagnostics:#?}");

    let draw = |theme: Theme| {
        let mut s = state();
        s.queue_cursor = s.queues.len() - 1;
        s.invalidate_filter();
        s.refilter();
        let mut h = Headless::new(s, 160, 48, theme);
        h.draw();
        h
    };
    let h = draw(theme);
    let buffer = h.terminal.backend().buffer();
    let breached: Vec<_> = buffer
        .content
        .iter()
        .filter(|cell| cell.symbol() == "✖")
        .collect();
    assert!(!breached.is_empty());
    assert!(
        breached
            .iter()
            .all(|c| c.fg == Color::LightMagenta && c.modifier.contains(Modifier::UNDERLINED))
    );

    let (plain, _) = Theme::load("dark", Some(dir.path()), true);
    assert_eq!(plain.name, "monochrome");
    let h = draw(plain);
    let buffer = h.terminal.backend().buffer();
    assert!(
        buffer
            .content
            .iter()
            .all(|c| c.fg == Color::Reset && c.bg == Color::Reset)
    );
    // The cursor row is still visible: reverse video across the list row.
    let width = usize::from(buffer.area.width);
    let row = 2; // first data row of the list, under its border and header
    let reversed = buffer.content[row * width..(row + 1) * width]
        .iter()
        .filter(|c| c.modifier.contains(Modifier::REVERSED))
        .count();
    assert!(reversed > 60, "{reversed} reversed cells on the cursor row");
}
