//! The cruscotto inside the workstation (`dashboard` action): opens it from the figures the
//! gateway loaded, routes the workstation's commands to it while it is open, drills down into the
//! matching queue and exports the table to CSV in the data dir.
//!
//! Read-only is enforced here, where commands are dispatched: every command that `writes` is
//! refused with a message while the cruscotto is open, and also in read-only mode.

use jiff::SignedDuration;
use jiff::tz::TimeZone;

use super::drill::DrillTarget;
use super::state::{DashboardAction, DashboardOutcome, DashboardState, Tab};
use super::text::scope_label;
use crate::api::dashboard::DashboardResponse;
use crate::i18n::{t, tf};
use crate::tui::action::Command;
use crate::tui::keymap::{Context, KeyChord};
use crate::tui::state::{Notice, Pane, Queue, State};
use crate::tui::update::Effect;

/// Figures older than this are reloaded while the cruscotto stays open.
const REFRESH_AFTER: SignedDuration = SignedDuration::from_secs(60);

/// The `dashboard` action: ask the gateway for the figures (the cruscotto opens when they come).
pub fn open(state: &mut State) -> Vec<Effect> {
    state.notice = Some(Notice {
        text: t(state.lang, "dashboard.loading").to_string(),
        error: false,
    });
    vec![Effect::LoadDashboard]
}

/// Figures arrived: open the cruscotto, or refresh it keeping the selection.
pub fn loaded(state: &mut State, response: DashboardResponse) {
    if state
        .notice
        .as_ref()
        .is_some_and(|n| n.text == t(state.lang, "dashboard.loading"))
    {
        state.notice = None;
    }
    match &mut state.dashboard {
        Some(dashboard) => {
            dashboard.replace_figures(response.dashboard);
        }
        None => {
            let lang = state.lang;
            let mut dashboard = DashboardState::new(
                response.dashboard,
                scope_label(&response.scope, lang),
                state.read_only,
                lang,
            );
            dashboard.now = state.now;
            dashboard.in_workstation = true;
            dashboard.csv_dialect = state.csv_dialect;
            dashboard.key_help = key_help(state);
            state.dashboard = Some(dashboard);
        }
    }
}

/// The cruscotto's help lines from the workstation's keymap: its own context, then the global
/// keys it answers (movement, views, refresh, help, quit).
fn key_help(state: &State) -> Vec<(String, String)> {
    use Command as C;
    let lang = state.lang;
    let answered = |command: Command| {
        matches!(
            command,
            C::Up
                | C::Down
                | C::PageUp
                | C::PageDown
                | C::Top
                | C::Bottom
                | C::FocusNext
                | C::FocusPrev
                | C::Refresh
                | C::Help
                | C::Quit
        )
    };
    let mut lines: Vec<(String, String)> = Vec::new();
    let bindings = state.keymap.bindings_in(Context::Dashboard).iter().chain(
        state
            .keymap
            .bindings_in(Context::Global)
            .iter()
            .filter(|b| answered(b.command)),
    );
    for binding in bindings {
        let description = match binding.command {
            C::FocusNext => t(lang, "views.key.tab_next"),
            C::FocusPrev => t(lang, "views.key.tab_prev"),
            other => t(lang, other.spec().description_key),
        };
        let keys = crate::domain::sanitize::inline(&binding.keys_display(), 20);
        // One line per command, its keys together.
        match lines.iter_mut().find(|(_, d)| d == description) {
            Some((k, _)) => {
                k.push_str("  ");
                k.push_str(&keys);
            }
            None => lines.push((keys, description.to_string())),
        }
    }
    lines
}

/// The service refused the figures (HTTP 403: the role does not watch the cruscotto).
pub fn refused(state: &mut State, reason: &str) {
    let text = if state.demo {
        t(state.lang, "dashboard.forbidden_demo").to_string()
    } else {
        tf(
            state.lang,
            "dashboard.forbidden",
            &[("reason", &crate::domain::sanitize::inline(reason, 120))],
        )
    };
    state.notice = Some(Notice { text, error: true });
}

/// The clock ticked: the header clock follows, and stale figures are reloaded.
pub fn tick(state: &mut State) -> Vec<Effect> {
    let now = state.now;
    let Some(dashboard) = state.dashboard.as_mut() else {
        return vec![];
    };
    dashboard.update(DashboardAction::Tick(now));
    let due = now.duration_since(dashboard.figures.generated_at) >= REFRESH_AFTER
        && dashboard
            .refresh_requested_at
            .is_none_or(|at| now.duration_since(at) >= REFRESH_AFTER);
    if due {
        dashboard.refresh_requested_at = Some(now);
        vec![Effect::LoadDashboard]
    } else {
        vec![]
    }
}

/// A workstation command while the cruscotto is open. `None` leaves it to the workstation
/// (quit, help, palette, suspend); everything else is answered here.
pub fn command(state: &mut State, command: Command) -> Option<Vec<Effect>> {
    use Command as C;
    use DashboardAction as A;
    let dashboard = state.dashboard.as_mut()?;
    let action = match command {
        C::Quit | C::Palette | C::Suspend => return None,
        C::Help => A::Help,
        C::FocusNext => A::NextTab,
        C::FocusPrev => A::PrevTab,
        C::ColumnLeft => A::ColumnLeft,
        C::ColumnRight => A::ColumnRight,
        C::CyclePeriod => A::CyclePeriod,
        C::ChooseColumns => A::ChooseColumns,
        C::TrendScale => A::ToggleTrendScale,
        C::ViewOffices => A::ShowTab(Tab::Offices),
        C::ViewPatronati => A::ShowTab(Tab::Patronati),
        C::ViewDeadlines => A::ShowTab(Tab::Deadlines),
        C::ViewBacklog => A::ShowTab(Tab::Backlog),
        C::ViewWorkload => A::ShowTab(Tab::Workload),
        C::ViewTrend => A::ShowTab(Tab::Trend),
        C::ViewForecast => A::ShowTab(Tab::Forecast),
        C::Up => A::Up,
        C::Down => A::Down,
        C::PageUp => A::PageUp,
        C::PageDown => A::PageDown,
        C::Top => A::Top,
        C::Bottom => A::Bottom,
        C::Open => A::Open,
        C::ExportCsv => A::ExportCsv,
        C::Refresh => A::Refresh,
        C::Back | C::Dashboard => A::Quit,
        // Refused with the cruscotto's own message (read-only, or "not from here").
        C::Take
        | C::Release
        | C::Assign
        | C::Reply
        | C::ReplyEditor
        | C::Note
        | C::RequestIntegration
        | C::Forward
        | C::Close
        | C::Reopen
        | C::Tag
        | C::BookAppointment
        | C::BulkTake
        | C::BulkForward
        | C::BulkClose
        | C::Undo
        | C::CannedReply => A::Write(command.name()),
        C::Filter
        | C::SearchAll
        | C::Jump
        | C::NextQueue
        | C::PrevQueue
        | C::SortCycle
        | C::ToggleSelect
        | C::SelectAll
        | C::ClearSelection
        | C::CopyId
        | C::Send
        | C::ExternalEditor => {
            dashboard.message = Some(dashboard.lang.text().not_here.to_string());
            return Some(vec![]);
        }
    };
    Some(match dashboard.update(action) {
        DashboardOutcome::Nothing => vec![],
        DashboardOutcome::Quit => {
            state.dashboard = None;
            vec![]
        }
        DashboardOutcome::Refresh => vec![Effect::LoadDashboard],
        DashboardOutcome::DrillDown(target) => {
            drill_down(state, target);
            vec![]
        }
        // The workstation's drill-down is its own list and detail: no pane of the cruscotto.
        DashboardOutcome::ShowRequest(_) => vec![],
        DashboardOutcome::ExportCsv(csv) => export(state, csv),
    })
}

/// Closes the cruscotto and shows the requests behind the figure in the list, as a queue named
/// after it ("RM01 · Pensioni · Scadute").
fn drill_down(state: &mut State, target: DrillTarget) {
    state.dashboard = None;
    state.queues.retain(|q| !matches!(q, Queue::Cell(_)));
    state.queues.push(Queue::Cell(target));
    state.queue_cursor = state.queues.len() - 1;
    state.focus = Pane::List;
    state.filter.clear();
    state.clear_selection();
    state.invalidate_filter();
    state.recompute();
    state.cursor = 0;
    state.scroll = 0;
    state.clamp_cursor();
}

/// Where an export made at `now` goes: `<data dir>/exports/cruscotto-<Rome time>.csv`.
pub fn export_path(data_dir: &std::path::Path, now: jiff::Timestamp) -> std::path::PathBuf {
    let stamp = now
        .to_zoned(TimeZone::get("Europe/Rome").unwrap_or(TimeZone::UTC))
        .strftime("%Y%m%d-%H%M%S")
        .to_string();
    data_dir
        .join("exports")
        .join(format!("cruscotto-{stamp}.csv"))
}

fn export(state: &mut State, csv: String) -> Vec<Effect> {
    match (&state.data_dir, state.dashboard.as_mut()) {
        (Some(dir), _) => vec![Effect::WriteFile {
            path: export_path(dir, state.now),
            contents: csv,
        }],
        (None, Some(dashboard)) => {
            dashboard.message = Some(t(state.lang, "dashboard.no_data_dir").to_string());
            vec![]
        }
        (None, None) => vec![],
    }
}

/// An export was written: say where.
pub fn exported(state: &mut State, path: &std::path::Path) {
    let text = tf(
        state.lang,
        "dashboard.exported",
        &[(
            "path",
            &crate::domain::sanitize::inline(&path.display().to_string(), 200),
        )],
    );
    match state.dashboard.as_mut() {
        Some(dashboard) => dashboard.message = Some(text),
        None => state.notice = Some(Notice { text, error: false }),
    }
}

/// A key the cruscotto's keymap context does not bind. If the workstation's list binds it to a
/// command that writes (take, reply, close…), the attempt is answered with a message instead of
/// being silently ignored; other keys do nothing.
pub fn unbound_key(state: &mut State, key: &crossterm::event::KeyEvent) -> Vec<Effect> {
    if state.dashboard.is_none() || !state.keymap.pending().is_empty() {
        return vec![];
    }
    let chord = [KeyChord::from(key)];
    let write = [Context::List, Context::Detail, Context::Global]
        .into_iter()
        .flat_map(|context| state.keymap.bindings_in(context))
        .filter(|binding| binding.keys == chord)
        .map(|binding| binding.command)
        .find(|command| command.writes());
    match write {
        Some(write) => command(state, write).unwrap_or_default(),
        None => vec![],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::dashboard::DashboardScope;
    use crate::tui::state::Operator;
    use crate::tui::update::{Msg, update};

    fn opened(at: jiff::Timestamp) -> State {
        let mut state = State::new(crate::i18n::Lang::En, Operator::default(), at);
        let dashboard = crate::demo::dashboard::demo_dashboard(7, at).unwrap();
        let response = DashboardResponse {
            scope: DashboardScope::Office("RM01".into()),
            dashboard,
        };
        update(&mut state, Msg::DashboardLoaded(Box::new(response)));
        state
    }

    #[test]
    fn stale_figures_are_reloaded_once_until_new_ones_arrive() {
        let at: jiff::Timestamp = "2026-11-23T10:00:00Z".parse().unwrap();
        let mut state = opened(at);
        assert_eq!(
            state.dashboard.as_ref().map(|d| d.scope_label.as_str()),
            Some("Office RM01")
        );
        let tick = |state: &mut State, secs: i64| {
            update(state, Msg::Tick(at + SignedDuration::from_secs(secs)))
        };
        assert!(tick(&mut state, 30).is_empty());
        assert_eq!(tick(&mut state, 60), vec![Effect::LoadDashboard]);
        // The reload is in flight: no second request on the next ticks.
        assert!(tick(&mut state, 61).is_empty());
        assert!(tick(&mut state, 90).is_empty());
        // Still nothing after another minute: ask again.
        assert_eq!(tick(&mut state, 120), vec![Effect::LoadDashboard]);
        // The header clock follows the ticks.
        assert_eq!(
            state.dashboard.as_ref().map(|d| d.now),
            Some(at + SignedDuration::from_secs(120))
        );
    }

    #[test]
    fn esc_closes_and_export_without_a_data_dir_says_so() {
        let at: jiff::Timestamp = "2026-11-23T10:00:00Z".parse().unwrap();
        let mut state = opened(at);
        assert!(update(&mut state, Msg::Command(Command::ExportCsv)).is_empty());
        assert_eq!(
            state.dashboard.as_ref().and_then(|d| d.message.as_deref()),
            Some(t(state.lang, "dashboard.no_data_dir"))
        );
        state.data_dir = Some("/srv/combipat".into());
        let effects = update(&mut state, Msg::Command(Command::ExportCsv));
        match effects.as_slice() {
            [Effect::WriteFile { path, contents }] => {
                assert_eq!(
                    path,
                    &std::path::PathBuf::from(
                        "/srv/combipat/exports/cruscotto-20261123-110000.csv"
                    )
                );
                assert!(contents.starts_with("\u{feff}Sede;Materia;"), "{contents}");
            }
            other => panic!("{other:?}"),
        }
        update(&mut state, Msg::Command(Command::Back));
        assert!(state.dashboard.is_none());
    }
}
