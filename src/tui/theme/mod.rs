//! Themes: named ratatui styles for every part of the workstation, loaded from TOML.
//!
//! Four themes are embedded (dark, light, high-contrast, monochrome), all within the 16 ANSI
//! colours because OpenSSH does not forward COLORTERM and many supervisors work over SSH. A user
//! file `themes/NAME.toml` in the config dir overrides style by style. `NO_COLOR` (non-empty)
//! forces monochrome. The selection always carries REVERSED so it stays visible in any palette.

use std::path::Path;
use std::str::FromStr;

use ratatui::style::{Color, Modifier, Style};
use serde::Deserialize;
use toml::Spanned;

use crate::config::source::{Diagnostic, Source};

/// The embedded themes, by name.
pub const BUILTIN: &[(&str, &str)] = &[
    ("dark", include_str!("../../../themes/dark.toml")),
    ("light", include_str!("../../../themes/light.toml")),
    (
        "high-contrast",
        include_str!("../../../themes/high-contrast.toml"),
    ),
    (
        "monochrome",
        include_str!("../../../themes/monochrome.toml"),
    ),
];

/// Directory (inside the config dir) holding the user's theme files.
pub const USER_DIR: &str = "themes";

macro_rules! theme_styles {
    ($($(#[doc = $doc:literal])* $field:ident,)*) => {
        /// Every style the workstation draws with. Views take colours only from here.
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub struct Theme {
            /// Name of the theme the styles came from (`dark`, …, or a user theme).
            pub name: String,
            $($(#[doc = $doc])* pub $field: Style,)*
        }

        /// Names of the style keys a theme file may set, in file order.
        pub const STYLE_NAMES: &[&str] = &[$(stringify!($field)),*];

        impl Theme {
            fn blank(name: &str) -> Self {
                Self { name: name.to_owned(), $($field: Style::new(),)* }
            }

            fn slot_mut(&mut self, key: &str) -> Option<&mut Style> {
                match key {
                    $(stringify!($field) => Some(&mut self.$field),)*
                    _ => None,
                }
            }

            /// A style by its key name (for generic views and tests).
            pub fn style(&self, key: &str) -> Option<Style> {
                match key {
                    $(stringify!($field) => Some(self.$field),)*
                    _ => None,
                }
            }

            fn styles_mut(&mut self) -> impl Iterator<Item = &mut Style> {
                [$(&mut self.$field),*].into_iter()
            }
        }
    };
}

theme_styles! {
    /// Default text and background of every pane.
    base,
    /// Pane borders.
    border,
    /// Border of the focused pane.
    border_focused,
    /// Pane titles.
    title,
    /// Table and section headers.
    header,
    /// The selected row (REVERSED is always added).
    selection,
    /// Rows marked for a bulk action.
    marked,
    /// Secondary text: ages, ids, hints' descriptions.
    muted,
    /// Queue sidebar entries.
    sidebar,
    /// Live counts next to queue names.
    sidebar_count,
    /// Labels in the detail pane (`Cittadino:`, `Mandato:`).
    detail_label,
    /// Messages from the patronato in the thread.
    thread_inbound,
    /// Replies from INPS in the thread.
    thread_outbound,
    /// Internal notes in the thread.
    thread_note,
    /// Tags on a request.
    tag,
    /// Another operator viewing or replying to the same request.
    presence,
    /// Dialog and picker body.
    dialog,
    /// Dialog border.
    dialog_border,
    /// Dialog title.
    dialog_title,
    /// Text input fields (filter, inline editor).
    input,
    /// Characters matched by the fuzzy filter or picker.
    fuzzy_match,
    /// Status bar.
    status_bar,
    /// DEMO badge in the status bar.
    demo_badge,
    /// Read-only badge in the status bar.
    read_only_badge,
    /// Key-hint line: the descriptions.
    key_hint,
    /// Key-hint line: the keys.
    key_hint_key,
    /// Informational banner (e.g. request changed underneath).
    banner,
    /// Errors (refused writes, diagnostics).
    error,
    /// Warnings.
    warning,
    /// Confirmations (reply sent, request taken).
    success,
    /// Priority urgent.
    priority_urgent,
    /// Priority high.
    priority_high,
    /// Priority normal.
    priority_normal,
    /// Priority low.
    priority_low,
    /// SLA within target.
    sla_ok,
    /// SLA past the warning threshold.
    sla_warning,
    /// SLA past the critical threshold.
    sla_critical,
    /// SLA breached (still open).
    sla_breached,
    /// SLA paused (awaiting integration).
    sla_paused,
    /// SLA met (stopped in time).
    sla_met,
    /// SLA missed (stopped late).
    sla_missed,
    /// Dashboard: main chart series / bars.
    chart_primary,
    /// Dashboard: second series.
    chart_secondary,
    /// Dashboard: axes and labels.
    chart_axis,
    /// Dashboard: values over a threshold (breach rate, backlog).
    chart_alert,
}

/// One entry of a theme file: `key = { fg = "cyan", bg = "reset", modifiers = ["bold"] }`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStyle {
    fg: Option<Spanned<String>>,
    bg: Option<Spanned<String>>,
    modifiers: Option<Vec<Spanned<String>>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTheme {
    /// Built-in theme a user theme starts from (default: the theme of the same name, or dark).
    extends: Option<Spanned<String>>,
    #[serde(default)]
    styles: std::collections::BTreeMap<String, Spanned<RawStyle>>,
}

impl Theme {
    /// The theme `name`: the embedded one (or the one a user file `extends`), then the user's
    /// `USER_DIR/NAME.toml` in `config_dir` style by style. With `no_color` the result is the
    /// monochrome theme with every colour removed. Never fails: problems become diagnostics and
    /// the offending entry is skipped.
    pub fn load(name: &str, config_dir: Option<&Path>, no_color: bool) -> (Theme, Vec<Diagnostic>) {
        let mut diagnostics = Vec::new();
        let name = if no_color { "monochrome" } else { name };
        let user_path = config_dir.map(|d| d.join(USER_DIR).join(format!("{name}.toml")));
        let user_text = user_path
            .as_ref()
            .and_then(|path| match std::fs::read_to_string(path) {
                Ok(text) => Some((path.display().to_string(), text)),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
                Err(e) => {
                    diagnostics.push(
                        Source::new(path.display().to_string(), "")
                            .diagnostic(None, format!("cannot read theme file: {e}")),
                    );
                    None
                }
            });
        let user = user_text
            .as_ref()
            .map(|(file, text)| Source::new(file.clone(), text));
        let (mut theme, more) = Self::from_sources(name, user.as_ref());
        diagnostics.extend(more);
        if no_color {
            theme.strip_colors();
        }
        (theme, diagnostics)
    }

    /// Like [`Theme::load`] from text in memory (no `NO_COLOR` handling).
    pub fn from_sources(name: &str, user: Option<&Source<'_>>) -> (Theme, Vec<Diagnostic>) {
        let mut diagnostics = Vec::new();
        let mut user_raw = None;
        if let Some(source) = user {
            match toml::from_str::<RawTheme>(source.text) {
                Ok(raw) => user_raw = Some(raw),
                Err(e) => diagnostics.push(source.toml_error(&e)),
            }
        }
        let base_name = match user_raw.as_ref().and_then(|r| r.extends.as_ref()) {
            Some(extends) => {
                if builtin(extends.get_ref()).is_some() {
                    extends.get_ref().clone()
                } else {
                    if let Some(source) = user {
                        diagnostics.push(source.diagnostic(
                            Some(extends.span()),
                            format!(
                                "unknown theme `{}` in `extends` (expected one of: {})",
                                extends.get_ref(),
                                builtin_names()
                            ),
                        ));
                    }
                    "dark".to_owned()
                }
            }
            None if builtin(name).is_some() => name.to_owned(),
            None => {
                if user.is_none() {
                    diagnostics.push(Diagnostic {
                        file: "config".into(),
                        line: 0,
                        column: 0,
                        message: format!(
                            "unknown theme `{name}` (expected one of: {}, or a file {USER_DIR}/{name}.toml); using `dark`",
                            builtin_names()
                        ),
                    });
                }
                "dark".to_owned()
            }
        };
        let mut theme = Theme::blank(name);
        if let Some(text) = builtin(&base_name) {
            let source = Source::new(format!("<embedded {base_name}.toml>"), text);
            match toml::from_str::<RawTheme>(text) {
                Ok(raw) => theme.apply(&source, &raw, &mut diagnostics),
                Err(e) => diagnostics.push(source.toml_error(&e)),
            }
        }
        if let (Some(source), Some(raw)) = (user, user_raw.as_ref()) {
            theme.apply(source, raw, &mut diagnostics);
        }
        theme.selection = theme.selection.add_modifier(Modifier::REVERSED);
        (theme, diagnostics)
    }

    fn apply(&mut self, source: &Source<'_>, raw: &RawTheme, diagnostics: &mut Vec<Diagnostic>) {
        for (key, entry) in &raw.styles {
            let Some(slot) = self.slot_mut(key) else {
                diagnostics.push(source.diagnostic(
                    Some(entry.span()),
                    format!("unknown style `{key}` (known: {})", STYLE_NAMES.join(", ")),
                ));
                continue;
            };
            let raw_style = entry.get_ref();
            let mut style = Style::new();
            let mut ok = true;
            for (which, color) in [("fg", &raw_style.fg), ("bg", &raw_style.bg)] {
                let Some(color) = color else { continue };
                match parse_color(color.get_ref()) {
                    Ok(c) if which == "fg" => style = style.fg(c),
                    Ok(c) => style = style.bg(c),
                    Err(message) => {
                        ok = false;
                        diagnostics.push(source.diagnostic(
                            Some(color.span()),
                            format!("style `{key}`.{which}: {message}"),
                        ));
                    }
                }
            }
            for name in raw_style.modifiers.iter().flatten() {
                match parse_modifier(name.get_ref()) {
                    Some(m) => style = style.add_modifier(m),
                    None => {
                        ok = false;
                        diagnostics.push(source.diagnostic(
                            Some(name.span()),
                            format!(
                                "style `{key}`: unknown modifier `{}` (expected bold, dim, italic, underlined, reversed, crossed_out, slow_blink)",
                                name.get_ref()
                            ),
                        ));
                    }
                }
            }
            if ok {
                *slot = style;
            }
        }
    }

    /// Removes every colour, keeping modifiers (NO_COLOR).
    fn strip_colors(&mut self) {
        for style in self.styles_mut() {
            style.fg = None;
            style.bg = None;
            style.underline_color = None;
        }
    }

    /// Whether `NO_COLOR` asks for no colour (set and non-empty, per no-color.org).
    pub fn no_color_from_env() -> bool {
        std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
    }

    /// Names of the embedded themes.
    pub fn builtin_names() -> impl Iterator<Item = &'static str> {
        BUILTIN.iter().map(|(n, _)| *n)
    }
}

impl Default for Theme {
    /// The embedded dark theme.
    fn default() -> Self {
        Self::from_sources("dark", None).0
    }
}

fn builtin(name: &str) -> Option<&'static str> {
    BUILTIN.iter().find(|(n, _)| *n == name).map(|(_, t)| *t)
}

fn builtin_names() -> String {
    BUILTIN
        .iter()
        .map(|(n, _)| *n)
        .collect::<Vec<_>>()
        .join(", ")
}

/// A colour: one of the 16 ANSI names (`dark_gray`, `light_red`, …), `reset`, a 256-colour index
/// (`indexed:208`), or `#rrggbb`. The embedded themes use only the 16 names.
fn parse_color(text: &str) -> Result<Color, String> {
    let normalized = text.trim().to_ascii_lowercase().replace(['-', ' '], "_");
    if let Some(index) = normalized.strip_prefix("indexed:") {
        return index
            .parse::<u8>()
            .map(Color::Indexed)
            .map_err(|_| format!("bad colour index `{index}` (0–255)"));
    }
    let ansi = match normalized.as_str() {
        "reset" | "default" => Some(Color::Reset),
        "black" => Some(Color::Black),
        "red" => Some(Color::Red),
        "green" => Some(Color::Green),
        "yellow" => Some(Color::Yellow),
        "blue" => Some(Color::Blue),
        "magenta" => Some(Color::Magenta),
        "cyan" => Some(Color::Cyan),
        "gray" | "grey" => Some(Color::Gray),
        "dark_gray" | "dark_grey" | "darkgray" => Some(Color::DarkGray),
        "light_red" => Some(Color::LightRed),
        "light_green" => Some(Color::LightGreen),
        "light_yellow" => Some(Color::LightYellow),
        "light_blue" => Some(Color::LightBlue),
        "light_magenta" => Some(Color::LightMagenta),
        "light_cyan" => Some(Color::LightCyan),
        "white" => Some(Color::White),
        _ => None,
    };
    if let Some(color) = ansi {
        return Ok(color);
    }
    if normalized.starts_with('#')
        && normalized.len() == 7
        && let Ok(color) = Color::from_str(&normalized)
    {
        return Ok(color);
    }
    Err(format!(
        "unknown colour `{text}` (expected black, red, green, yellow, blue, magenta, cyan, gray, dark_gray, light_red, light_green, light_yellow, light_blue, light_magenta, light_cyan, white, reset, indexed:N or #rrggbb)"
    ))
}

fn parse_modifier(name: &str) -> Option<Modifier> {
    Some(match name.to_ascii_lowercase().as_str() {
        "bold" => Modifier::BOLD,
        "dim" => Modifier::DIM,
        "italic" => Modifier::ITALIC,
        "underlined" | "underline" => Modifier::UNDERLINED,
        "reversed" | "reverse" => Modifier::REVERSED,
        "crossed_out" => Modifier::CROSSED_OUT,
        "slow_blink" => Modifier::SLOW_BLINK,
        _ => return None,
    })
}

#[cfg(test)]
mod tests;
