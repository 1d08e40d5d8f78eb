//! Every command bound in the shipped keymaps is handled, and read-only mode hides and refuses
//! every command that writes.

use combipat::i18n::{Lang, MISSING, t};
use combipat::tui::action::{COMMANDS, Command, Context};
use combipat::tui::availability::availability;
use combipat::tui::fixture;
use combipat::tui::headless::Headless;
use combipat::tui::keymap::{Keymap, Lookup, PRESETS};
use combipat::tui::state::{Mode, Operator, Pane, PickValue, State};
use combipat::tui::theme::Theme;
use combipat::tui::update::{Effect, Msg, update};

fn state(preset: &str) -> State {
    let now: jiff::Timestamp = "2026-03-16T10:00:00Z".parse().unwrap();
    let me = Operator {
        username: "mrossi".into(),
        office: "RM01".into(),
    };
    let mut state = State::new(Lang::En, me, now);
    state.set_requests(fixture::requests(40, now, "RM01", "mrossi"));
    state.keymap = Keymap::from_sources(preset, None).0;
    state
}

fn focus(state: &mut State, context: Context) {
    if context == Context::Dashboard {
        // The cruscotto's commands act on an open cruscotto.
        let now = state.now;
        let response = combipat::api::dashboard::DashboardResponse {
            scope: combipat::api::dashboard::DashboardScope::Office("RM01".into()),
            dashboard: combipat::demo::dashboard::demo_dashboard(7, now).unwrap(),
        };
        update(state, Msg::DashboardLoaded(Box::new(response)));
    }
    state.focus = match context {
        Context::Queues => Pane::Queues,
        Context::Detail => Pane::Detail,
        _ => Pane::List,
    };
}

#[test]
fn every_bound_command_is_handled() {
    for (preset, _) in PRESETS {
        let keymap = state(preset).keymap.clone();
        for context in Context::ALL {
            for binding in keymap.bindings_in(context) {
                let spec = binding.command.spec();
                // The keys themselves yield the command, with no name in between.
                let mut fresh = keymap.clone();
                let mut found = Lookup::None;
                for chord in &binding.keys {
                    let key = crossterm::event::KeyEvent::new(chord.code, chord.modifiers);
                    found = fresh.lookup(context, &key);
                }
                assert_eq!(
                    found,
                    Lookup::Command(binding.command),
                    "{preset} [{}] {}",
                    context.name(),
                    binding.keys_display()
                );
                assert!(
                    context == Context::Global || spec.contexts.contains(&context),
                    "{preset}: {}",
                    spec.name
                );
                assert_ne!(t(Lang::It, spec.description_key), MISSING);
                let mut s = state(preset);
                if context == Context::Editor {
                    // Editor commands act in the editor, through the key that is bound.
                    update(&mut s, Msg::Command(Command::Note));
                    update(&mut s, Msg::Paste("testo".into()));
                    let chord = &binding.keys[0];
                    let key = crossterm::event::KeyEvent::new(chord.code, chord.modifiers);
                    let effects = update(&mut s, Msg::DialogKey(key));
                    match spec.command {
                        Command::Send => assert!(
                            matches!(effects.last(), Some(Effect::Message { body, .. }) if body == "testo"),
                            "{preset}: {effects:?}"
                        ),
                        Command::ExternalEditor => assert!(
                            matches!(&effects[..], [Effect::OpenEditor { initial, .. }] if initial == "testo")
                        ),
                        other => panic!("{other:?} bound in the editor"),
                    }
                    continue;
                }
                focus(&mut s, context);
                update(&mut s, Msg::Command(binding.command));
                // "Not available here" means bound but not handled.
                let notice = s.notice.as_ref().map(|n| n.text.as_str());
                assert_ne!(
                    notice,
                    Some(t(Lang::En, "error.context")),
                    "{preset} [{}] {}",
                    context.name(),
                    spec.name
                );
            }
        }
    }
}

#[test]
fn read_only_hides_and_refuses_every_write_command() {
    let mut s = state("default");
    s.read_only = true;
    let writes: Vec<_> = COMMANDS.iter().filter(|c| c.writes).collect();
    assert!(writes.len() > 10);
    for spec in &writes {
        assert_eq!(
            availability(&s, spec),
            Err("avail.read_only"),
            "{}",
            spec.name
        );
        let mut tried = s.clone();
        let effects = update(&mut tried, Msg::Command(spec.command));
        assert!(effects.is_empty(), "{}: {effects:?}", spec.name);
        assert_eq!(tried.mode, Mode::Normal, "{}", spec.name);
    }
    // The same through the keys of every shipped keymap, in the panes where they are bound.
    for (preset, _) in PRESETS {
        let keymap = state(preset).keymap.clone();
        let mut pressed = 0;
        for context in [Context::List, Context::Detail, Context::Global] {
            for binding in keymap.bindings_in(context) {
                if !binding.command.writes() {
                    continue;
                }
                let mut s = state(preset);
                s.read_only = true;
                focus(&mut s, context);
                let mut h = Headless::new(s, 160, 48, Theme::default());
                for chord in &binding.keys {
                    h.press(crossterm::event::KeyEvent::new(chord.code, chord.modifiers));
                }
                assert!(
                    h.effects.is_empty(),
                    "{preset} {}: {:?}",
                    binding.keys_display(),
                    h.effects
                );
                assert_eq!(
                    h.state.mode,
                    Mode::Normal,
                    "{preset} {}",
                    binding.keys_display()
                );
                assert_eq!(
                    h.state.notice.as_ref().map(|n| n.text.as_str()),
                    Some(t(Lang::En, "avail.read_only")),
                    "{preset} {}",
                    binding.keys_display()
                );
                pressed += 1;
            }
        }
        assert!(pressed > 10, "{preset}: {pressed} write keys");
    }
    // No write key in the hint line of any pane, nor in the palette without its reason.
    for pane in [Pane::Queues, Pane::List, Pane::Detail] {
        let mut shown = s.clone();
        shown.focus = pane;
        let mut h = Headless::new(shown, 200, 40, Theme::default());
        h.draw();
        let screen = h.screen();
        let hints = screen.lines().rev().nth(1).unwrap_or_default().to_string();
        for spec in &writes {
            let label = t(Lang::En, &format!("hint.{}", spec.name));
            if label != MISSING {
                assert!(
                    !hints.contains(&format!(" {label}")),
                    "{pane:?}: {label} in {hints}"
                );
            }
        }
        assert!(hints.contains("help"), "{hints}");
    }
    let mut h = Headless::new(s, 200, 60, Theme::default());
    h.send(Msg::Command(Command::Palette));
    let Mode::Picker { items, .. } = &h.state.mode else {
        panic!("palette")
    };
    for spec in &writes {
        let item = items
            .iter()
            .find(|i| i.value == PickValue::Command(spec.command))
            .unwrap_or_else(|| panic!("{} not in the palette", spec.name));
        assert!(
            item.label.ends_with(t(Lang::En, "avail.read_only")),
            "{}",
            item.label
        );
        // In the UI language, not the raw id.
        assert!(
            item.label.starts_with(t(Lang::En, spec.description_key)),
            "{}",
            item.label
        );
    }
}
