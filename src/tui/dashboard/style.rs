//! Styles of the cruscotto. Every SLA state has a symbol as well as a colour; selection is
//! REVERSED so it survives monochrome terminals. ASCII mode for `linux` and `vt100` terminals.

use ratatui::style::{Color, Modifier, Style};
use ratatui::symbols;

#[derive(Debug, Clone, PartialEq)]
pub struct DashStyles {
    pub base: Style,
    pub title: Style,
    pub header: Style,
    pub selection: Style,
    pub muted: Style,
    pub at_risk: Style,
    pub breached: Style,
    pub paused: Style,
    pub ok: Style,
    pub badge: Style,
    /// Only ASCII in borders, symbols and sparklines.
    pub ascii: bool,
}

impl DashStyles {
    /// 16-colour palette: safe over SSH (OpenSSH does not forward COLORTERM).
    pub fn dark() -> Self {
        DashStyles {
            base: Style::default(),
            title: Style::default().add_modifier(Modifier::BOLD),
            header: Style::default()
                .fg(Color::Cyan)
                .add_modifier(Modifier::BOLD),
            selection: Style::default().add_modifier(Modifier::REVERSED),
            muted: Style::default().fg(Color::DarkGray),
            at_risk: Style::default().fg(Color::Yellow),
            breached: Style::default()
                .fg(Color::LightRed)
                .add_modifier(Modifier::BOLD),
            paused: Style::default().fg(Color::Blue),
            ok: Style::default().fg(Color::Green),
            badge: Style::default()
                .fg(Color::Black)
                .bg(Color::Yellow)
                .add_modifier(Modifier::BOLD),
            ascii: false,
        }
    }

    /// No colour at all (NO_COLOR, vt100): bold/reverse/underline only.
    pub fn monochrome() -> Self {
        let plain = Style::default();
        DashStyles {
            base: plain,
            title: plain.add_modifier(Modifier::BOLD),
            header: plain.add_modifier(Modifier::BOLD | Modifier::UNDERLINED),
            selection: plain.add_modifier(Modifier::REVERSED),
            muted: plain,
            at_risk: plain,
            breached: plain.add_modifier(Modifier::BOLD),
            paused: plain,
            ok: plain,
            badge: plain.add_modifier(Modifier::REVERSED),
            ascii: false,
        }
    }

    /// The workstation's theme applied to the cruscotto, so it follows the user's choice.
    pub fn from_theme(theme: &crate::tui::theme::Theme) -> Self {
        DashStyles {
            base: theme.base,
            title: theme.title,
            header: theme.header,
            selection: theme.selection,
            muted: theme.muted,
            at_risk: theme.sla_warning,
            breached: theme.sla_breached,
            paused: theme.sla_paused,
            ok: theme.chart_primary,
            badge: theme.read_only_badge,
            ascii: false,
        }
    }

    /// Picks styles for a terminal type and the `NO_COLOR` convention, without querying it.
    pub fn for_terminal(term: &str, no_color: bool) -> Self {
        let mut styles = if no_color || term.starts_with("vt100") || term == "dumb" {
            Self::monochrome()
        } else {
            Self::dark()
        };
        styles.ascii = term.starts_with("vt") || term == "linux" || term == "dumb";
        styles
    }

    pub fn border_set(&self) -> symbols::border::Set<'static> {
        if self.ascii {
            symbols::border::Set {
                top_left: "+",
                top_right: "+",
                bottom_left: "+",
                bottom_right: "+",
                vertical_left: "|",
                vertical_right: "|",
                horizontal_top: "-",
                horizontal_bottom: "-",
            }
        } else {
            symbols::border::PLAIN
        }
    }

    pub fn bar_set(&self) -> symbols::bar::Set<'static> {
        if self.ascii {
            symbols::bar::Set {
                full: "#",
                seven_eighths: "#",
                three_quarters: "=",
                five_eighths: "=",
                half: "-",
                three_eighths: "-",
                one_quarter: ".",
                one_eighth: ".",
                empty: " ",
            }
        } else {
            symbols::bar::NINE_LEVELS
        }
    }

    /// Symbols for at risk, breached, paused.
    pub fn symbols(&self) -> [&'static str; 3] {
        if self.ascii {
            ["!", "X", "="]
        } else {
            ["▲", "✖", "⏸"]
        }
    }
}
