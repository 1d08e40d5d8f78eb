//! `update(&mut State, Msg) -> Vec<Effect>`: every state change happens here, nothing else does I/O.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use fuzzy_matcher::FuzzyMatcher;
use fuzzy_matcher::skim::SkimMatcherV2;
use jiff::{SignedDuration, Timestamp};

use crate::api::{ActionBody, Dossier, RequestDetail, RequestSummary};
use crate::domain::request::{MessageKind, Outcome, RequestId};
use crate::i18n::{t, tf};
use crate::tui::action::{COMMANDS, Command};
use crate::tui::dashboard;
use crate::tui::live::list_row;
use crate::tui::state::{
    BulkOp, InputKind, Mode, Notice, Pane, PendingCommit, PickItem, PickValue, PickerKind, Queue,
    State, Viewer,
};

mod bulk;
mod dialogs;
mod editor;
mod outbox;

pub use bulk::outcome_code;
use bulk::*;
pub use dialogs::fill_template;
use dialogs::*;
use editor::*;
pub use outbox::Replay;

/// How often the list's figures are reloaded from the service.
pub const FIGURES_SECONDS: i64 = 300;

/// How long a close or forward can be undone.
pub const UNDO_SECONDS: i64 = 5;

/// Inputs to `update`.
#[derive(Debug, Clone)]
pub enum Msg {
    /// A command from the keymap or the palette.
    Command(Command),
    /// A key while a dialog (or the filter line) has the focus.
    DialogKey(KeyEvent),
    Tick(Timestamp),
    Resize {
        list_height: usize,
    },
    Loaded(Vec<RequestSummary>),
    /// One page of the list as it loads: the first replaces the list (the operator works on
    /// it while the rest comes), the others are merged in; `more` while pages are to come.
    Page {
        rows: Vec<RequestSummary>,
        first: bool,
        more: bool,
    },
    /// What changed while we were disconnected: rows to merge, rows to drop.
    Changed {
        rows: Vec<RequestSummary>,
        removed: Vec<RequestId>,
    },
    Upserted(Box<RequestSummary>),
    DetailLoaded(Box<RequestDetail>),
    /// Our own write succeeded: the request as the server wrote it.
    Written(Box<RequestDetail>),
    /// The open request's citizen dossier.
    DossierLoaded(Box<Dossier>),
    /// Who else is on a request now (empty: nobody).
    Presence {
        id: RequestId,
        viewers: Vec<Viewer>,
    },
    /// A refused message: reopen its editor with the text, so nothing typed is lost.
    KeepText {
        kind: InputKind,
        text: String,
    },
    /// An effect failed; `stale` for HTTP 412.
    Failed {
        message: String,
        stale: bool,
    },
    Done {
        key: &'static str,
    },
    /// An action the service refused for a reason the catalog explains (`key`).
    Refused {
        key: &'static str,
    },
    Offline(bool),
    /// Text back from `$EDITOR`: it goes back into the inline editor, to be sent deliberately.
    EditorText {
        kind: InputKind,
        text: String,
    },
    /// A bracketed paste: text as pasted, newlines included (never taken as keys).
    Paste(String),
    /// Cruscotto figures for the `dashboard` action (or its refresh).
    DashboardLoaded(Box<crate::api::dashboard::DashboardResponse>),
    /// The service refused the cruscotto (HTTP 403), with its reason.
    DashboardRefused(String),
    /// An export was written to this file.
    Exported(std::path::PathBuf),
    /// The slot picker's slots.
    SlotsLoaded(Box<crate::api::Slots>),
    /// The staff of an office for the assign picker (`None`: the service could not list them).
    OperatorsLoaded {
        office: String,
        staff: Option<Vec<crate::api::OfficeOperator>>,
    },
    /// A write found the service unreachable: it waits in the outbox, with its key.
    Unsent(Box<crate::tui::outbox::Queued>),
    /// The answer to the outbox write with this idempotency key.
    Replayed {
        key: String,
        outcome: Replay,
    },
}

/// Work for the runner; results come back as `Msg`s.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    LoadDetail(RequestId),
    Act {
        id: RequestId,
        version: u64,
        body: ActionBody,
    },
    Message {
        id: RequestId,
        version: u64,
        kind: MessageKind,
        body: String,
    },
    CopyToClipboard(String),
    OpenEditor {
        kind: InputKind,
        initial: String,
    },
    Refresh,
    /// `GET /v1/dashboard` through the gateway.
    LoadDashboard,
    /// Writes an export (whole file or nothing).
    WriteFile {
        path: std::path::PathBuf,
        contents: String,
    },
    /// Records a list export with the service (`tui::export_audit`), then writes it; nothing
    /// is written when the service does not record it.
    WriteAuditedExport {
        path: std::path::PathBuf,
        contents: String,
        purpose: String,
        ids: Vec<RequestId>,
    },
    /// Writes (or, with `None`, deletes) a draft file; run in order, before the next key.
    WriteDraft {
        path: std::path::PathBuf,
        text: Option<String>,
    },
    /// `GET /v1/offices/{office}/slots` for the slot picker.
    LoadSlots {
        office: String,
        from: String,
        to: String,
    },
    /// Book, move or cancel an appointment, with `If-Match: version`.
    Agenda {
        id: RequestId,
        version: u64,
        op: crate::tui::agenda::AgendaOp,
    },
    /// `GET /v1/offices/{code}/operators` for the assign picker.
    LoadOperators(String),
    /// Sends the oldest outbox write again, with its idempotency key.
    Replay(Box<crate::tui::outbox::Queued>),
    /// Writes (or, with `None`, deletes) the outbox file; run in order, like drafts.
    SaveOutbox {
        path: std::path::PathBuf,
        contents: Option<String>,
    },
    Suspend,
    Quit,
}

/// Whether `update` must see raw keys instead of keymap actions.
pub fn wants_raw_keys(state: &State) -> bool {
    !matches!(state.mode, Mode::Normal)
}

pub fn update(state: &mut State, msg: Msg) -> Vec<Effect> {
    let effects = step(state, msg);
    outbox::hold_back(state, effects)
}

fn step(state: &mut State, msg: Msg) -> Vec<Effect> {
    match msg {
        Msg::Command(command) => command_action(state, command),
        Msg::DialogKey(key) => dialog_key(state, key),
        Msg::Tick(now) => {
            state.advance(now);
            let mut effects = commit_due(state);
            effects.extend(flush_drafts(state));
            effects.extend(dashboard::embed::tick(state));
            effects.extend(outbox::kick(state));
            effects.extend(refresh_figures(state));
            effects
        }
        Msg::Resize { list_height } => {
            state.list_height = list_height.max(1);
            state.clamp_cursor();
            vec![]
        }
        Msg::Loaded(rows) => page_loaded(state, rows, true, false),
        Msg::Page { rows, first, more } => page_loaded(state, rows, first, more),
        Msg::Changed { rows, removed } => {
            let rows = rows
                .into_iter()
                .map(|r| outbox::overlaid(state, r))
                .collect();
            let before = state.current().map(|c| c.id.clone());
            state.merge_requests(rows, &removed);
            let mut effects = outbox::reachable(state);
            if state.current().map(|c| &c.id) != before.as_ref() {
                effects.extend(load_current(state));
            }
            effects
        }
        Msg::Upserted(r) => {
            let before = state.current().map(|c| c.id.clone());
            let r = outbox::overlaid(state, *r);
            state.upsert(r);
            // The open request left the queue (taken or forwarded by someone): show the next.
            if state.current().map(|c| &c.id) != before.as_ref() {
                return load_current(state);
            }
            vec![]
        }
        Msg::DetailLoaded(detail) => {
            state.detail_stale = false;
            state.detail = Some(*detail);
            vec![]
        }
        Msg::SlotsLoaded(slots) => {
            if let Mode::Slots(picker) = &mut state.mode
                && picker.office == slots.office
            {
                picker.loaded(*slots, state.now);
            }
            vec![]
        }
        Msg::Written(detail) => {
            let id = detail.summary.id.clone();
            written(state, *detail);
            outbox::acted_again(state, &id)
        }
        Msg::DossierLoaded(dossier) => {
            state.dossier = Some(*dossier);
            vec![]
        }
        Msg::Presence { id, viewers } => {
            if viewers.is_empty() {
                state.presence.remove(&id);
            } else {
                state.presence.insert(id, viewers);
            }
            vec![]
        }
        Msg::KeepText { kind, text } => {
            if state.detail_stale {
                notice(state, "error.stale_kept", true);
            }
            if state.mode == Mode::Normal {
                let id = state.current().map(|r| r.id.clone());
                open_editor(state, kind, id, &text);
            }
            // Show what changed behind the kept text before it is sent again.
            match (&state.detail, state.current()) {
                (Some(d), Some(r)) if d.summary.id == r.id => {
                    vec![Effect::LoadDetail(r.id.clone())]
                }
                _ => vec![],
            }
        }
        Msg::Failed { message, stale } => {
            let text = if stale {
                state.detail_stale = true;
                t(state.lang, "error.stale").to_string()
            } else {
                message
            };
            state.notice = Some(Notice { text, error: true });
            vec![]
        }
        Msg::Done { key } => {
            notice(state, key, false);
            vec![]
        }
        Msg::Refused { key } => {
            notice(state, key, true);
            vec![]
        }
        Msg::Offline(offline) => {
            state.offline = offline;
            if offline {
                vec![]
            } else {
                outbox::reachable(state)
            }
        }
        Msg::EditorText { kind, text } => {
            let id = state.current().map(|r| r.id.clone());
            open_editor(state, kind, id, &text);
            vec![]
        }
        Msg::Paste(text) => {
            paste(state, &text);
            vec![]
        }
        Msg::DashboardLoaded(response) => {
            dashboard::embed::loaded(state, *response);
            vec![]
        }
        Msg::DashboardRefused(reason) => {
            dashboard::embed::refused(state, &reason);
            vec![]
        }
        Msg::Exported(path) => {
            dashboard::embed::exported(state, &path);
            vec![]
        }
        Msg::Unsent(queued) => outbox::unsent(state, *queued),
        Msg::OperatorsLoaded { office, staff } => operators_loaded(state, office, staff),
        Msg::Replayed { key, outcome } => outbox::replayed(state, &key, outcome),
    }
}

/// A page of the list: the first replaces what we hold, later ones merge in; the status bar
/// counts rows until the last page.
fn page_loaded(
    state: &mut State,
    rows: Vec<RequestSummary>,
    first: bool,
    more: bool,
) -> Vec<Effect> {
    let rows: Vec<RequestSummary> = rows
        .into_iter()
        .map(|r| outbox::overlaid(state, r))
        .collect();
    let received = rows.len();
    if first {
        state.set_requests(rows);
        state.loading = more.then_some(received);
    } else {
        // On the very first load, an operator who has not moved yet stays at the top of the
        // list as it grows (the most urgent rows arrive with any page); afterwards the cursor
        // stays on the request under it.
        let at_top = state.loaded_at.is_none() && state.cursor == 0;
        state.merge_requests(rows, &[]);
        if at_top {
            state.cursor = 0;
        }
        state.loading = more.then(|| state.loading.unwrap_or(0) + received);
    }
    if more && !first {
        return vec![];
    }
    if !more {
        state.loaded_at = Some(state.now);
    }
    let mut effects = load_current(state);
    if !more {
        effects.extend(outbox::reachable(state));
    }
    effects
}

/// The business time left on a clock is the service's figure as of the last load (the client
/// has no office calendars): reloaded every [`FIGURES_SECONDS`], so list and detail follow the
/// service's figures while nobody touches a request.
fn refresh_figures(state: &mut State) -> Vec<Effect> {
    let due = state
        .loaded_at
        .is_some_and(|at| state.now.as_second() - at.as_second() >= FIGURES_SECONDS);
    if !due || state.offline {
        return vec![];
    }
    state.loaded_at = Some(state.now);
    vec![Effect::Refresh]
}

/// Applies our own successful write: the row moves on, and so does the open detail, without
/// the "changed underneath" banner unless a newer change by someone else is already known.
fn written(state: &mut State, detail: RequestDetail) {
    let id = detail.summary.id.clone();
    let known = state.request(&id).cloned();
    let newer_known = known
        .as_ref()
        .is_some_and(|k| k.version > detail.summary.version);
    if !newer_known {
        let row = outbox::overlaid(state, list_row(detail.summary.clone(), known.as_ref()));
        state.upsert(row);
    }
    if state.detail.as_ref().is_some_and(|d| d.summary.id == id) {
        state.detail = Some(detail);
        state.detail_stale = newer_known;
    }
}

fn notice(state: &mut State, key: &str, error: bool) {
    state.notice = Some(Notice {
        text: t(state.lang, key).to_string(),
        error,
    });
}

fn load_current(state: &State) -> Vec<Effect> {
    match (state.focus, state.current()) {
        (Pane::Detail, Some(r)) => vec![Effect::LoadDetail(r.id.clone())],
        _ => vec![],
    }
}

/// How a motion command moves the cursor (or the detail's scroll).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Motion {
    Up,
    Down,
    PageUp,
    PageDown,
    Top,
    Bottom,
}

/// Runs `command`. The match below is exhaustive on purpose: a new command does not compile
/// until it is handled here (no catch-all arm).
pub(super) fn command_action(state: &mut State, command: Command) -> Vec<Effect> {
    let spec = command.spec();
    if let Some(effects) = dashboard::embed::command(state, command) {
        return effects;
    }
    // Refused before anything opens or is typed, with the reason the hint line and the help
    // also give.
    if let Err(reason) = crate::tui::availability::availability(state, spec) {
        notice(state, reason, true);
        return vec![];
    }
    let take_first = crate::tui::availability::takes_first(state, spec);
    state.notice = None;
    if spec.writes || command == Command::Open {
        // The request being worked on stays under the cursor even if this action (or someone
        // else's) moves it out of the queue: the next key must not land on its neighbour.
        state.pinned = state.current().map(|r| r.id.clone());
    }
    let page = state.list_height.max(1);
    use crate::tui::action::Command as C;
    match command {
        C::Quit => {
            state.quit = true;
            // Nothing waiting in the undo window is dropped: quitting commits it (the runner
            // waits for these writes before it exits), and drafts reach the disk.
            let mut effects = match state.pending.take() {
                Some(p) => commit(state, &p),
                None => vec![],
            };
            effects.extend(flush_drafts(state));
            effects.push(Effect::Quit);
            effects
        }
        C::Help => {
            state.mode = Mode::Help {
                query: String::new(),
                scroll: 0,
            };
            vec![]
        }
        C::Back => {
            if matches!(state.mode, Mode::Help { .. }) {
                state.mode = Mode::Normal;
            } else if !state.filter.is_empty() {
                state.filter.clear();
                state.invalidate_filter();
                state.refilter();
            } else if state.focus == Pane::Detail {
                state.focus = Pane::List;
            }
            vec![]
        }
        C::SearchAll => {
            // The same filter over every open request, whatever queue was showing.
            if let Some(all) = state.queues.iter().position(|q| *q == Queue::All) {
                state.queue_cursor = all;
                switch_queue(state);
            }
            state.mode = Mode::Filter;
            state.focus = Pane::List;
            vec![]
        }
        C::Filter => {
            state.mode = Mode::Filter;
            state.focus = Pane::List;
            vec![]
        }
        C::Palette => {
            let items = palette_items(state);
            open_picker(state, PickerKind::Palette, items, false);
            vec![]
        }
        C::Jump => open_input(state, InputKind::Jump),
        C::FocusNext | C::FocusPrev => {
            let order = [Pane::Queues, Pane::List, Pane::Detail];
            let at = order.iter().position(|p| *p == state.focus).unwrap_or(1);
            let next = if command == C::FocusNext {
                (at + 1) % 3
            } else {
                (at + 2) % 3
            };
            state.focus = order[next];
            load_current(state)
        }
        C::Up => move_cursor(state, Motion::Up, page),
        C::Down => move_cursor(state, Motion::Down, page),
        C::PageUp => move_cursor(state, Motion::PageUp, page),
        C::PageDown => move_cursor(state, Motion::PageDown, page),
        C::Top => move_cursor(state, Motion::Top, page),
        C::Bottom => move_cursor(state, Motion::Bottom, page),
        C::Open => {
            if state.focus == Pane::Queues {
                state.focus = Pane::List;
                return vec![];
            }
            state.focus = Pane::Detail;
            if let Some(id) = state.current().map(|r| r.id.clone()) {
                state.detail_scrolls.remove(&id);
            }
            load_current(state)
        }
        C::NextQueue | C::PrevQueue => {
            let n = state.queues.len();
            state.queue_cursor = if command == C::NextQueue {
                (state.queue_cursor + 1) % n
            } else {
                (state.queue_cursor + n - 1) % n
            };
            switch_queue(state);
            vec![]
        }
        C::SortCycle => {
            state.sort = state.sort.next();
            state.refilter();
            vec![]
        }
        C::ToggleSelect => {
            if let Some(id) = state.current().map(|r| r.id.clone()) {
                if !state.selected.remove(&id) {
                    state.selected.insert(id);
                }
                state.scope_selection();
                move_cursor(state, Motion::Down, page);
            }
            vec![]
        }
        C::SelectAll => {
            state.selected = state
                .visible
                .iter()
                .map(|&i| state.requests[i].id.clone())
                .collect();
            state.scope_selection();
            vec![]
        }
        C::ClearSelection => {
            state.clear_selection();
            vec![]
        }
        C::Suspend => vec![Effect::Suspend],
        C::Refresh => {
            let mut effects = vec![Effect::Refresh];
            effects.extend(state.current().map(|r| Effect::LoadDetail(r.id.clone())));
            effects
        }
        C::Dashboard => dashboard::embed::open(state),
        C::ExportCsv => match &state.data_dir {
            Some(dir) => {
                let stamp = state
                    .now
                    .to_zoned(
                        jiff::tz::TimeZone::get("Europe/Rome").unwrap_or(jiff::tz::TimeZone::UTC),
                    )
                    .strftime("%Y%m%d-%H%M%S")
                    .to_string();
                let path = dir.join("exports").join(format!("elenco-{stamp}.csv"));
                vec![crate::tui::export_audit::list_export(state, path)]
            }
            None => {
                notice(state, "dashboard.no_data_dir", true);
                vec![]
            }
        },
        C::CopyId => match state.current() {
            Some(r) => {
                let id = r.id.as_str().to_string();
                notice(state, "done.copy", false);
                vec![Effect::CopyToClipboard(id)]
            }
            None => no_request(state),
        },
        C::Take => act_on_current(state, ActionBody::Take),
        C::Release => act_on_current(state, ActionBody::Release),
        C::Reopen => act_on_current(state, ActionBody::Reopen { note: None }),
        C::Assign => {
            let Some(office) = state.current().map(|r| r.office.clone()) else {
                return no_request(state);
            };
            // The office's staff as the service lists them, asked for once per office.
            match state.office_operators.get(&office) {
                Some(staff) => {
                    let items = staff_items(staff);
                    open_picker(state, PickerKind::Assignee, items, false);
                    vec![]
                }
                None => vec![Effect::LoadOperators(office)],
            }
        }
        C::Reply => with_take(state, take_first, |s| open_input(s, InputKind::Reply)),
        C::Note => open_input(state, InputKind::Note),
        C::RequestIntegration => {
            with_take(state, take_first, |s| open_input(s, InputKind::Integration))
        }
        C::Tag => open_input(state, InputKind::Tag),
        C::ReplyEditor => with_take(state, take_first, |state| match state.current() {
            Some(r) => {
                let initial = state
                    .drafts
                    .get(&(r.id.clone(), InputKind::Reply))
                    .cloned()
                    .unwrap_or_default();
                vec![Effect::OpenEditor {
                    kind: InputKind::Reply,
                    initial,
                }]
            }
            None => no_request(state),
        }),
        C::Forward | C::BulkForward => {
            let bulk = command != C::Forward;
            if bulk_targets(state, bulk).is_empty() {
                return no_selection(state, bulk);
            }
            let items = state
                .offices
                .iter()
                .filter(|(code, _)| *code != state.me.office)
                .map(|(code, label)| PickItem {
                    label: format!("{code}  {label}"),
                    value: PickValue::Text(code.clone()),
                })
                .collect();
            open_picker(state, PickerKind::Forward, items, bulk);
            vec![]
        }
        C::Close | C::BulkClose => {
            let bulk = command != C::Close;
            if bulk_targets(state, bulk).is_empty() {
                return no_selection(state, bulk);
            }
            let items = Outcome::ALL
                .iter()
                .map(|o| {
                    let code = outcome_code(*o);
                    PickItem {
                        label: t(state.lang, &format!("outcome.{code}")).to_string(),
                        value: PickValue::Text(code.to_string()),
                    }
                })
                .collect();
            open_picker(state, PickerKind::Outcome, items, bulk);
            vec![]
        }
        C::BookAppointment => {
            let Some(r) = state.current() else {
                return no_request(state);
            };
            let picker = crate::tui::agenda::SlotPicker::new(
                r.id.clone(),
                r.version,
                r.office.clone(),
                state.detail.as_ref(),
                state.now,
            );
            let effect = Effect::LoadSlots {
                office: picker.office.clone(),
                from: picker.from.to_string(),
                to: picker.to().to_string(),
            };
            state.mode = Mode::Slots(Box::new(picker));
            vec![effect]
        }
        C::CannedReply => {
            if state.current().is_none() {
                return no_request(state);
            }
            let items = state
                .canned
                .iter()
                .map(|(name, body)| PickItem {
                    label: name.clone(),
                    value: PickValue::Text(body.clone()),
                })
                .collect();
            open_picker(state, PickerKind::Canned, items, false);
            with_take(state, take_first, |_| vec![])
        }
        C::BulkTake => {
            let ids = state.selected_visible();
            if ids.is_empty() {
                return no_selection(state, true);
            }
            state.mode = Mode::Confirm {
                op: BulkOp::Take,
                ids,
            };
            vec![]
        }
        C::Undo => {
            if state.pending.take().is_some() {
                notice(state, "undo.done", false);
            } else {
                notice(state, "undo.nothing", true);
            }
            vec![]
        }
        // Editor commands: they mean something only while the editor has the keys; the
        // cruscotto's view commands only while it is open (`dashboard::embed::command`).
        C::Send
        | C::ExternalEditor
        | C::ColumnLeft
        | C::ColumnRight
        | C::CyclePeriod
        | C::ChooseColumns
        | C::TrendScale
        | C::ViewOffices
        | C::ViewPatronati
        | C::ViewDeadlines
        | C::ViewBacklog
        | C::ViewWorkload
        | C::ViewTrend
        | C::ViewForecast => {
            notice(state, "error.context", true);
            vec![]
        }
    }
}

/// The assign picker's entries: full name and username of each of the office's staff.
fn staff_items(staff: &[crate::api::OfficeOperator]) -> Vec<PickItem> {
    staff
        .iter()
        .map(|u| PickItem {
            label: format!(
                "{}  ({})",
                crate::domain::sanitize::inline(&u.full_name, 40),
                crate::domain::sanitize::inline(&u.username, 24)
            ),
            value: PickValue::Text(u.username.clone()),
        })
        .collect()
}

/// The office's staff arrived (`staff` is `None` when the service could not list them): the
/// picker opens if the operator is still on a request of that office.
fn operators_loaded(
    state: &mut State,
    office: String,
    staff: Option<Vec<crate::api::OfficeOperator>>,
) -> Vec<Effect> {
    let here = state.mode == Mode::Normal && state.current().is_some_and(|r| r.office == office);
    let items = match staff {
        Some(staff) => {
            let items = staff_items(&staff);
            state.office_operators.insert(office, staff);
            items
        }
        // Without the service's list: those holding a request of the office, as loaded.
        None => assignees(state),
    };
    if here {
        open_picker(state, PickerKind::Assignee, items, false);
    }
    vec![]
}

/// The operators of the cursor request's office, as the loaded requests know them (those
/// holding a request there): the assign picker's fallback when the service cannot list them.
fn assignees(state: &State) -> Vec<PickItem> {
    let Some(office) = state.current().map(|r| r.office.clone()) else {
        return vec![];
    };
    let mut names: Vec<String> = state
        .requests
        .iter()
        .filter(|r| r.office == office)
        .filter_map(|r| r.assignee.clone())
        .collect();
    names.sort();
    names.dedup();
    names
        .into_iter()
        .map(|user| PickItem {
            label: crate::domain::sanitize::inline(&user, 40),
            value: PickValue::Text(user),
        })
        .collect()
}

/// Runs `then`, after taking the cursor's request first when `take` says so (a reply to a new
/// request of one's own office): the take is sent at once, the editor opens meanwhile.
fn with_take(
    state: &mut State,
    take: bool,
    then: impl FnOnce(&mut State) -> Vec<Effect>,
) -> Vec<Effect> {
    let mut effects = if take {
        act_on_current(state, ActionBody::Take)
    } else {
        vec![]
    };
    effects.extend(then(state));
    effects
}

fn no_request(state: &mut State) -> Vec<Effect> {
    notice(state, "error.no_request", true);
    vec![]
}

/// Nothing to act on: no selection for a bulk command, no request under the cursor otherwise.
fn no_selection(state: &mut State, bulk: bool) -> Vec<Effect> {
    if bulk {
        notice(state, "error.no_selection", true);
    } else {
        notice(state, "error.no_request", true);
    }
    vec![]
}

fn switch_queue(state: &mut State) {
    state.pinned = None;
    state.cursor = 0;
    state.scroll = 0;
    state.refilter();
}

fn move_cursor(state: &mut State, motion: Motion, page: usize) -> Vec<Effect> {
    use Motion as M;
    match state.focus {
        Pane::Queues => {
            let n = state.queues.len();
            state.queue_cursor = match motion {
                M::Up => state.queue_cursor.saturating_sub(1),
                M::Down => (state.queue_cursor + 1).min(n - 1),
                M::Top | M::PageUp => 0,
                M::Bottom | M::PageDown => n - 1,
            };
            switch_queue(state);
            vec![]
        }
        Pane::Detail => {
            let Some(id) = state.current().map(|r| r.id.clone()) else {
                return vec![];
            };
            let at = state.detail_scroll();
            let to = match motion {
                M::Up => at.saturating_sub(1),
                M::Down => at + 1,
                M::PageUp => at.saturating_sub(page),
                M::PageDown => at + page,
                M::Top => 0,
                M::Bottom => usize::MAX / 2,
            };
            state.detail_scrolls.insert(id, to);
            vec![]
        }
        Pane::List => {
            let last = state.visible.len().saturating_sub(1);
            state.cursor = match motion {
                M::Up => state.cursor.saturating_sub(1),
                M::Down => (state.cursor + 1).min(last),
                M::PageUp => state.cursor.saturating_sub(page),
                M::PageDown => (state.cursor + page).min(last),
                M::Top => 0,
                M::Bottom => last,
            };
            state.clamp_cursor();
            // Moving on lets the request worked on leave a queue it no longer belongs to.
            if state.pinned.take().is_some() {
                let target = state.current().map(|r| r.id.clone());
                state.refilter();
                if let Some(id) = target {
                    state.select_id(&id);
                }
            }
            vec![]
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Lang;
    use crate::tui::fixture;
    use crate::tui::state::Operator;

    fn state() -> State {
        let now: Timestamp = "2026-03-16T10:00:00Z".parse().unwrap();
        let me = Operator {
            username: "mrossi".into(),
            office: "RM01".into(),
        };
        let mut state = State::new(Lang::It, me, now);
        state.set_requests(fixture::requests(20, now, "RM01", "mrossi"));
        state
    }

    #[test]
    fn a_taken_request_stays_under_the_cursor_until_the_cursor_moves() {
        use crate::domain::request::Status;
        use crate::tui::state::Queue;
        let mut state = state();
        state.queue_cursor = state
            .queues
            .iter()
            .position(|q| *q == Queue::Unassigned)
            .unwrap();
        state.refilter();
        assert!(state.visible.len() >= 2, "fixture has unassigned requests");
        let taken = state.current().unwrap().clone();
        let effects = update(&mut state, Msg::Command(Command::Take));
        assert!(matches!(&effects[..], [Effect::Act { id, .. }] if *id == taken.id));
        // The service answers: the request is now mine, so it leaves "unassigned".
        let mut mine = taken.clone();
        mine.status = Status::InLavorazione;
        mine.assignee = Some("mrossi".into());
        mine.version += 1;
        update(&mut state, Msg::Upserted(Box::new(mine)));
        assert_eq!(state.current().map(|r| &r.id), Some(&taken.id));
        // The reply goes to the request just taken, not to its neighbour.
        update(&mut state, Msg::Command(Command::Reply));
        update(&mut state, Msg::Paste("Gentile patronato, ...".into()));
        let effects = update(
            &mut state,
            Msg::DialogKey(KeyEvent::new(KeyCode::Char('s'), KeyModifiers::CONTROL)),
        );
        assert!(
            matches!(&effects[..], [Effect::Message { id, version, .. }] if *id == taken.id && *version == taken.version + 1)
        );
        // Moving on lets it leave the queue.
        let neighbour = state.visible[state.cursor + 1];
        update(&mut state, Msg::Command(Command::Down));
        assert!(
            !state
                .visible
                .iter()
                .any(|&i| state.requests[i].id == taken.id)
        );
        assert_eq!(
            state.current().map(|r| &r.id),
            Some(&state.requests[neighbour].id)
        );
    }

    #[test]
    fn jump_accepts_a_bare_number_or_any_case() {
        let state = state();
        let year = state.requests[0].id.year();
        let id = RequestId::new(year, 17);
        assert_eq!(jump_target(&state, "17"), Some(id.clone()));
        assert_eq!(jump_target(&state, "0000017"), Some(id.clone()));
        assert_eq!(
            jump_target(&state, &id.as_str().to_ascii_lowercase()),
            Some(id)
        );
        assert_eq!(jump_target(&state, "12345678"), None);
        assert_eq!(jump_target(&state, "CBP-17"), None);
    }

    #[test]
    fn the_sla_cell_shows_the_business_time_the_detail_shows() {
        use crate::domain::calendar::Measure;
        let state = state();
        let mut r = state
            .requests
            .iter()
            .find(|r| r.status.is_open() && !r.clocks.is_empty())
            .unwrap()
            .clone();
        for (i, c) in r.clocks.iter_mut().enumerate() {
            c.state = crate::domain::sla::SlaState::Breached;
            // Due a week ago on the calendar: 53 business hours on a 10-hour office day.
            c.due_at = Some(state.now - SignedDuration::from_hours(7 * 24 + i as i64));
            c.remaining_secs = -53 * 3600;
            c.basis.measure = Measure::Days { units: 10 * 3600 };
        }
        assert_eq!(crate::tui::view::due_text(&state, &r), "-5,3gg");
        let mut english = state.clone();
        english.lang = Lang::En;
        assert_eq!(crate::tui::view::due_text(&english, &r), "-5.3bd");
        for c in &mut r.clocks {
            c.remaining_secs = -(9 * 3600 + 5 * 60);
            c.basis.measure = Measure::Seconds;
        }
        assert_eq!(crate::tui::view::due_text(&state, &r), "-9h05");
        // The detail says the same figure, with the same notation.
        let mut shown = state.clone();
        let at = shown.requests.iter().position(|x| x.id == r.id).unwrap();
        shown.requests[at] = r.clone();
        shown.queue_cursor = shown.queues.iter().position(|q| *q == Queue::All).unwrap();
        shown.recompute();
        assert!(shown.select_id(&r.id));
        let lines =
            crate::tui::detail::detail_lines(&shown, 80, &crate::tui::theme::Theme::default());
        let text: String = lines
            .iter()
            .flat_map(|l| l.spans.iter().map(|s| s.content.to_string()))
            .collect();
        assert!(text.contains("scaduto da 9h05 lav."), "{text}");
    }

    #[test]
    fn undo_notice_names_the_bound_key() {
        let mut state = state();
        let id = state.requests[0].id.clone();
        let _ = schedule(&mut state, BulkOp::Close("evasa".into()), vec![id]);
        let text = state.notice.map(|n| n.text).unwrap_or_default();
        assert!(text.contains(": u annulla entro"), "{text}");
    }
}
