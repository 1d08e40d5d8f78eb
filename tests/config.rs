//! Configuration, keymaps and themes as an operator meets them: files on disk, overrides,
//! and errors that name the file, the line and the field.

use std::path::Path;

use combipat::config::{Config, ConfigError, KeymapPreset, Lang, Source, TemplateVars};
use combipat::tui::action::{COMMANDS, Command};
use combipat::tui::keymap::{Context, Keymap, Lookup, PRESETS};
use combipat::tui::theme::{STYLE_NAMES, Theme};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::style::{Color, Modifier};

fn key(c: char) -> KeyEvent {
    KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)
}

fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, text).unwrap();
    path
}

fn invalid(result: Result<Config, ConfigError>) -> combipat::config::Diagnostic {
    match result {
        Err(ConfigError::Invalid(d)) => d,
        other => panic!("expected an invalid-config error, got {other:?}"),
    }
}

// ---------------------------------------------------------------- config

#[test]
fn example_config_parses_with_every_profile() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("config.example.toml");
    let config = Config::load(Some(&path), None).unwrap();
    assert_eq!(config.lang, Lang::It);
    assert_eq!(config.keymap, KeymapPreset::Default);
    assert!(!config.dashboard.named_operators);
    assert_eq!(config.calendar.closures.len(), 2);
    assert_eq!(config.calendar.office_hours.len(), 2);
    assert!(config.canned_replies.iter().any(|r| r.name == "sollecito"));
    assert!(
        config.canned_replies.iter().any(|r| r.name == "presa"),
        "embedded ones kept"
    );
    assert_eq!(config.profile_names, vec!["collaudo", "supervisione"]);
    for name in &config.profile_names {
        Config::load(Some(&path), Some(name)).unwrap();
    }
}

#[test]
fn profile_overrides_top_level_key_by_key() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        "config.toml",
        "lang = \"en\"\ntheme = \"light\"\n[server]\nurl = \"http://a.example\"\ntoken = \"t\"\n\
         [profiles.remote]\ntheme = \"monochrome\"\n[profiles.remote.server]\nurl = \"https://b.example\"\n",
    );
    let base = Config::load(Some(&path), None).unwrap();
    assert_eq!(base.server.url.as_deref(), Some("http://a.example"));
    assert_eq!(base.profile, None);
    let remote = Config::load(Some(&path), Some("remote")).unwrap();
    assert_eq!(remote.profile.as_deref(), Some("remote"));
    assert_eq!(remote.theme, "monochrome");
    assert_eq!(remote.lang, Lang::En, "not in the profile: top level kept");
    assert_eq!(remote.server.url.as_deref(), Some("https://b.example"));
    assert_eq!(
        remote.server.token.as_deref(),
        Some("t"),
        "tables merge key by key"
    );
    match Config::load(Some(&path), Some("nope")) {
        Err(ConfigError::UnknownProfile {
            name, available, ..
        }) => {
            assert_eq!(name, "nope");
            assert_eq!(available, "remote");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn bad_values_name_file_line_and_field() {
    let src = |text| Source::new("conf.toml", text);
    let d = invalid(Config::parse(
        &src("lang = \"it\"\n\nread_only = \"yes\"\n"),
        None,
    ));
    assert_eq!((d.file.as_str(), d.line), ("conf.toml", 3), "{d}");
    assert!(d.message.contains("read_only"), "{d}");

    let d = invalid(Config::parse(&src("lang = \"fr\"\n"), None));
    assert_eq!(d.line, 1);
    assert!(
        d.message.contains("fr") && d.message.contains("lang"),
        "{d}"
    );

    let d = invalid(Config::parse(&src("[server]\nurl = \"ftp://x\"\n"), None));
    assert_eq!(d.line, 2);
    assert!(d.message.contains("server.url"), "{d}");

    let d = invalid(Config::parse(
        &src("[dashboard]\nnamed_operator = true\n"),
        None,
    ));
    assert_eq!(d.line, 2);
    assert!(d.message.contains("named_operator"), "{d}");

    let d = invalid(Config::parse(
        &src("[[calendar.closures]]\ndate = 2026-02-30\n"),
        None,
    ));
    assert_eq!(d.line, 2, "{d}");

    let d = invalid(Config::parse(
        &src("[[calendar.office_hours]]\ndays = [\"mon\"]\nopen = \"14:00\"\nclose = \"08:00\"\n"),
        None,
    ));
    assert_eq!(d.line, 4, "{d}");
    assert!(d.message.contains("calendar.office_hours.close"), "{d}");

    let d = invalid(Config::parse(
        &src("[server]\nurl = \"http://x\"\ntoken = \"a\"\ntoken_file = \"f\"\n"),
        None,
    ));
    assert_eq!(d.line, 4, "{d}");

    // An error inside a profile points into the profile.
    let d = invalid(Config::parse(
        &src("keymap = \"vim\"\n[profiles.x]\nkeymap = \"emacs\"\n"),
        None,
    ));
    assert_eq!(d.line, 3, "{d}");
    assert!(d.to_string().starts_with("conf.toml:3:"), "{d}");
}

#[test]
fn canned_reply_with_unknown_variable_is_reported_at_its_line() {
    let text = "[[canned_replies]]\nname = \"x\"\nbody = \"Gentile {citizen}\"\n";
    let d = invalid(Config::parse(&Source::new("c.toml", text), None));
    assert_eq!(d.line, 3, "{d}");
    assert!(d.message.contains("citizen"), "{d}");

    let ok =
        "[[canned_replies]]\nname = \"x\"\nbody = \"Pratica {request_id} di {citizen_name}\"\n";
    let config = Config::parse(&Source::new("c.toml", ok), None).unwrap();
    let reply = config
        .canned_replies
        .iter()
        .find(|r| r.name == "x")
        .unwrap();
    let vars = TemplateVars {
        citizen_name: "Maria Rossi",
        request_id: "CP-1",
        ..TemplateVars::default()
    };
    assert_eq!(reply.render(&vars).unwrap(), "Pratica CP-1 di Maria Rossi");
}

#[test]
fn token_file_is_read_relative_to_the_config_file() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "secret", "tok-123\n");
    let path = write(
        dir.path(),
        "config.toml",
        "[server]\nurl = \"http://127.0.0.1:1\"\ntoken_file = \"secret\"\n",
    );
    let config = Config::load(Some(&path), None).unwrap();
    assert_eq!(config.server_token().unwrap().as_deref(), Some("tok-123"));
    assert_eq!(config.config_dir().as_deref(), Some(dir.path()));
}

#[test]
fn a_missing_explicit_file_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("none.toml");
    assert!(matches!(
        Config::load(Some(&missing), None),
        Err(ConfigError::Read { .. })
    ));
}

// ---------------------------------------------------------------- keymaps

#[test]
fn embedded_keymaps_load_clean_and_bind_every_command() {
    for (name, _) in PRESETS {
        let (keymap, diagnostics) = Keymap::load(name, None);
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
fn vim_keymap_has_sequences_and_half_pages() {
    let (mut keymap, _) = Keymap::load("vim", None);
    assert_eq!(keymap.preset(), "vim");
    assert_eq!(keymap.lookup(Context::List, &key('g')), Lookup::Pending);
    assert_eq!(
        keymap.lookup(Context::List, &key('g')),
        Lookup::Command(Command::Top)
    );
    assert_eq!(
        keymap.lookup(Context::List, &key('G')),
        Lookup::Command(Command::Bottom)
    );
    let ctrl_d = KeyEvent::new(KeyCode::Char('d'), KeyModifiers::CONTROL);
    assert_eq!(
        keymap.lookup(Context::Detail, &ctrl_d),
        Lookup::Command(Command::PageDown)
    );
    assert_eq!(
        keymap.lookup(Context::Detail, &key('h')),
        Lookup::Command(Command::Back)
    );
    let top = keymap
        .bindings()
        .find(|b| b.command == Command::Top && b.keys.len() == 2)
        .unwrap();
    assert_eq!(top.keys_display(), "g g");
}

#[test]
fn user_file_prepends_appends_and_unbinds_key_by_key() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        "keymap.toml",
        r#"[list]
prepend_keymap = [
  { on = "enter", run = "take", desc = "Take at once" },
  { on = "x", run = "noop" },
]
append_keymap = [
  { on = "ctrl-t", run = "take", desc = "Take" },
]
"#,
    );
    let (mut keymap, diagnostics) = Keymap::load("default", Some(&path));
    assert!(diagnostics.is_empty(), "{diagnostics:#?}");
    let enter = KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE);
    assert_eq!(
        keymap.lookup(Context::List, &enter),
        Lookup::Command(Command::Take)
    );
    assert_eq!(
        keymap.lookup(Context::List, &key('x')),
        Lookup::None,
        "unbound"
    );
    let ctrl_t = KeyEvent::new(KeyCode::Char('t'), KeyModifiers::CONTROL);
    assert_eq!(
        keymap.lookup(Context::List, &ctrl_t),
        Lookup::Command(Command::Take)
    );
    // Everything else still comes from the embedded default, which was not copied.
    assert_eq!(
        keymap.lookup(Context::List, &key('r')),
        Lookup::Command(Command::Reply)
    );
    assert_eq!(keymap.lookup(Context::Detail, &enter), Lookup::None);
    let take = keymap
        .bindings_in(Context::List)
        .iter()
        .find(|b| b.keys_display() == "Enter")
        .unwrap();
    assert_eq!((take.line, take.desc.as_str()), (3, "Take at once"));
    assert!(take.file.ends_with("keymap.toml"));
}

#[test]
fn unknown_actions_bad_keys_and_conflicts_are_reported_with_lines() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        "keymap.toml",
        r#"[detail]
prepend_keymap = [
  { on = "z", run = "explode" },
  { on = "ctrl-nope", run = "take" },
  { on = "w", run = "take" },
  { on = "w", run = "reply" },
  { on = ["v", "v"], run = "note" },
  { on = "v", run = "close" },
]
append_keymap = [
  { on = "r", run = "note" },
]
"#,
    );
    let (keymap, diagnostics) = Keymap::load("default", Some(&path));
    let found: Vec<(usize, &str)> = diagnostics
        .iter()
        .map(|d| (d.line, d.message.as_str()))
        .collect();
    assert_eq!(diagnostics.len(), 5, "{found:#?}");
    assert!(diagnostics.iter().all(|d| d.file.ends_with("keymap.toml")));
    let at = |line: usize, needle: &str| {
        assert!(
            found.iter().any(|(l, m)| *l == line && m.contains(needle)),
            "no diagnostic at line {line} containing {needle:?}: {found:#?}"
        )
    };
    at(3, "unknown action `explode`");
    at(4, "ctrl-nope");
    at(6, "already bound");
    at(8, "is a prefix");
    at(11, "already bound");
    // The valid first bindings are kept.
    assert!(
        keymap
            .bindings_in(Context::Detail)
            .iter()
            .any(|b| b.keys_display() == "w" && b.command == Command::Take)
    );
    assert!(
        keymap
            .bindings_in(Context::Detail)
            .iter()
            .any(|b| b.keys_display() == "v v")
    );
}

#[test]
fn a_broken_user_keymap_still_leaves_the_defaults() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        "keymap.toml",
        "[list]\nprepend_keymap = [ { on = \"a\" } ]\n",
    );
    let (mut keymap, diagnostics) = Keymap::load("default", Some(&path));
    assert_eq!(diagnostics.len(), 1);
    assert_eq!(diagnostics[0].line, 2, "{}", diagnostics[0]);
    assert_eq!(
        keymap.lookup(Context::List, &key('t')),
        Lookup::Command(Command::Take)
    );
}

// ---------------------------------------------------------------- themes

#[test]
fn every_builtin_theme_loads_with_every_style() {
    for name in Theme::builtin_names() {
        let (theme, diagnostics) = Theme::load(name, None, false);
        assert!(diagnostics.is_empty(), "{name}: {diagnostics:#?}");
        assert_eq!(theme.name, name);
        assert!(theme.selection.add_modifier.contains(Modifier::REVERSED));
    }
    assert_eq!(STYLE_NAMES.len(), 45);
}

#[test]
fn user_theme_file_overrides_and_reports_bad_colours() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "themes/dark.toml",
        "[styles]\nsla_breached = { fg = \"white\", bg = \"magenta\" }\nheader = { fg = \"cyann\" }\n",
    );
    let (theme, diagnostics) = Theme::load("dark", Some(dir.path()), false);
    assert_eq!(theme.sla_breached.bg, Some(Color::Magenta));
    assert_eq!(diagnostics.len(), 1, "{diagnostics:#?}");
    assert_eq!(diagnostics[0].line, 3);
    assert!(diagnostics[0].file.ends_with("dark.toml"));
    assert!(diagnostics[0].message.contains("cyann"));
    assert_eq!(theme.header, Theme::default().header);

    write(
        dir.path(),
        "themes/ufficio.toml",
        "extends = \"light\"\n[styles]\nborder = { fg = \"#005f87\" }\n",
    );
    let (custom, diagnostics) = Theme::load("ufficio", Some(dir.path()), false);
    assert!(diagnostics.is_empty(), "{diagnostics:#?}");
    assert_eq!(custom.border.fg, Some(Color::Rgb(0, 0x5f, 0x87)));
    assert_eq!(custom.header, Theme::load("light", None, false).0.header);
}

#[test]
fn no_color_forces_monochrome_even_over_user_colours() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "themes/monochrome.toml",
        "[styles]\nborder = { fg = \"red\", modifiers = [\"bold\"] }\n",
    );
    let (theme, _) = Theme::load("dark", Some(dir.path()), true);
    assert_eq!(theme.name, "monochrome");
    assert_eq!(theme.border.fg, None);
    assert!(theme.border.add_modifier.contains(Modifier::BOLD));
    for name in STYLE_NAMES {
        let style = theme.style(name).unwrap();
        assert_eq!((style.fg, style.bg), (None, None), "{name}");
    }
    assert!(theme.selection.add_modifier.contains(Modifier::REVERSED));
}
