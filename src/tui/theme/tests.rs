use ratatui::style::{Color, Modifier};

use super::*;

#[test]
fn builtin_themes_set_every_style_without_diagnostics() {
    for (name, text) in BUILTIN {
        let (theme, diagnostics) = Theme::from_sources(name, None);
        assert!(diagnostics.is_empty(), "{name}: {diagnostics:#?}");
        assert_eq!(theme.name, *name);
        for key in STYLE_NAMES {
            assert!(
                text.lines().any(|l| l.starts_with(&format!("{key} ")) || l.starts_with(&format!("{key}="))),
                "{name} does not set `{key}`"
            );
        }
        assert!(
            theme.selection.add_modifier.contains(Modifier::REVERSED),
            "{name}"
        );
    }
}

#[test]
fn builtin_themes_use_only_the_16_ansi_colours() {
    for (name, _) in BUILTIN {
        let (theme, _) = Theme::from_sources(name, None);
        for key in STYLE_NAMES {
            let style = theme.style(key).unwrap();
            for color in [style.fg, style.bg].into_iter().flatten() {
                assert!(
                    !matches!(color, Color::Rgb(..) | Color::Indexed(_)),
                    "{name}.{key} uses {color:?}"
                );
            }
        }
    }
}

#[test]
fn user_file_overrides_style_by_style_and_selection_stays_reversed() {
    let user = Source::new(
        "/cfg/themes/dark.toml",
        "[styles]\nborder = { fg = \"light_green\" }\nselection = { fg = \"red\" }\n",
    );
    let (theme, diagnostics) = Theme::from_sources("dark", Some(&user));
    assert!(diagnostics.is_empty(), "{diagnostics:#?}");
    assert_eq!(theme.border.fg, Some(Color::LightGreen));
    assert_eq!(theme.selection.fg, Some(Color::Red));
    assert!(theme.selection.add_modifier.contains(Modifier::REVERSED));
    let dark = Theme::default();
    assert_eq!(
        theme.header, dark.header,
        "untouched entries come from the base"
    );
}

#[test]
fn bad_colour_and_modifier_are_reported_with_line() {
    let user = Source::new(
        "mine.toml",
        "extends = \"light\"\n[styles]\nborder = { fg = \"blu\" }\n\ntitle = { modifiers = [\"bold\", \"blink\"] }\nnope = {}\n",
    );
    let (theme, diagnostics) = Theme::from_sources("mine", Some(&user));
    let lines: Vec<usize> = diagnostics.iter().map(|d| d.line).collect();
    assert_eq!(lines, vec![3, 6, 5], "{diagnostics:#?}");
    assert!(diagnostics[0].message.contains("`blu`"));
    assert!(diagnostics[0].to_string().starts_with("mine.toml:3:"));
    assert!(diagnostics[2].message.contains("`blink`"));
    let light = Theme::from_sources("light", None).0;
    assert_eq!(
        theme.border, light.border,
        "a bad entry keeps the base style"
    );
}

#[test]
fn no_color_strips_colours_and_keeps_selection_visible() {
    let (theme, _) = Theme::load("dark", None, true);
    assert_eq!(theme.name, "monochrome");
    for key in STYLE_NAMES {
        let style = theme.style(key).unwrap();
        assert_eq!((style.fg, style.bg), (None, None), "{key}");
    }
    assert!(theme.selection.add_modifier.contains(Modifier::REVERSED));
}

#[test]
fn unknown_theme_falls_back_to_dark_with_a_diagnostic() {
    let (theme, diagnostics) = Theme::from_sources("solarized", None);
    assert_eq!(diagnostics.len(), 1);
    assert_eq!(theme.border, Theme::default().border);
}
