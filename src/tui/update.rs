//! `update(&mut State, Msg) -> Vec<Effect>`: every state change happens here, nothing else does I/O.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use fuzzy_matcher::FuzzyMatcher;
use fuzzy_matcher::skim::SkimMatcherV2;
use jiff::{SignedDuration, Timestamp};

use crate::api::{ActionBody, AppointmentMode, Dossier, RequestDetail, RequestSummary};
use crate::domain::request::{MessageKind, Outcome, RequestId};
use crate::i18n::{t, tf};
use crate::tui::action::{COMMANDS, command};
use crate::tui::dashboard;
use crate::tui::live::list_row;
use crate::tui::state::{
    BulkOp, InputKind, Mode, Notice, Pane, PendingCommit, PickItem, PickerKind, Queue, State,
    Viewer,
};

/// How long a close or forward can be undone.
pub const UNDO_SECONDS: i64 = 5;

/// Inputs to `update`.
#[derive(Debug, Clone)]
pub enum Msg {
    /// A named action from the keymap or the palette.
    Command(String),
    /// A key while a dialog (or the filter line) has the focus.
    DialogKey(KeyEvent),
    Tick(Timestamp),
    Resize {
        list_height: usize,
    },
    Loaded(Vec<RequestSummary>),
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
    /// Writes (or, with `None`, deletes) a draft file; run in order, before the next key.
    WriteDraft {
        path: std::path::PathBuf,
        text: Option<String>,
    },
    Suspend,
    Quit,
}

/// Whether `update` must see raw keys instead of keymap actions.
pub fn wants_raw_keys(state: &State) -> bool {
    !matches!(state.mode, Mode::Normal)
}

pub fn update(state: &mut State, msg: Msg) -> Vec<Effect> {
    match msg {
        Msg::Command(name) => command_action(state, &name),
        Msg::DialogKey(key) => dialog_key(state, key),
        Msg::Tick(now) => {
            state.advance(now);
            let mut effects = commit_due(state);
            effects.extend(flush_drafts(state));
            effects.extend(dashboard::embed::tick(state));
            effects
        }
        Msg::Resize { list_height } => {
            state.list_height = list_height.max(1);
            state.clamp_cursor();
            vec![]
        }
        Msg::Loaded(requests) => {
            state.set_requests(requests);
            load_current(state)
        }
        Msg::Upserted(r) => {
            let before = state.current().map(|c| c.id.clone());
            state.upsert(*r);
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
        Msg::Written(detail) => {
            written(state, *detail);
            vec![]
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
            vec![]
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
    }
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
        state.upsert(list_row(detail.summary.clone(), known.as_ref()));
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

fn command_action(state: &mut State, name: &str) -> Vec<Effect> {
    let Some(spec) = command(name) else {
        return vec![];
    };
    if let Some(effects) = dashboard::embed::command(state, spec) {
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
    if spec.writes || name == "open" {
        // The request being worked on stays under the cursor even if this action (or someone
        // else's) moves it out of the queue: the next key must not land on its neighbour.
        state.pinned = state.current().map(|r| r.id.clone());
    }
    let page = state.list_height.max(1);
    use crate::tui::action::Command as C;
    match spec.command {
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
            let next = if name == "focus_next" {
                (at + 1) % 3
            } else {
                (at + 2) % 3
            };
            state.focus = order[next];
            load_current(state)
        }
        C::Up | C::Down | C::PageUp | C::PageDown | C::Top | C::Bottom => {
            move_cursor(state, name, page)
        }
        C::Open => {
            if state.focus == Pane::Queues {
                state.focus = Pane::List;
                return vec![];
            }
            state.focus = Pane::Detail;
            state.detail_scroll = 0;
            load_current(state)
        }
        C::NextQueue | C::PrevQueue => {
            let n = state.queues.len();
            state.queue_cursor = if name == "next_queue" {
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
                move_cursor(state, "down", page);
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
                vec![Effect::WriteFile {
                    path: dir.join("exports").join(format!("elenco-{stamp}.csv")),
                    contents: crate::tui::export::list_csv(state),
                }]
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
        C::Assign => open_input(state, InputKind::Assign),
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
            if bulk_targets(state, name).is_empty() {
                return no_selection(state, name);
            }
            let items = state
                .offices
                .iter()
                .filter(|(code, _)| *code != state.me.office)
                .map(|(code, label)| PickItem {
                    label: format!("{code}  {label}"),
                    value: code.clone(),
                })
                .collect();
            open_picker(state, PickerKind::Forward, items, name == "bulk_forward");
            vec![]
        }
        C::Close | C::BulkClose => {
            if bulk_targets(state, name).is_empty() {
                return no_selection(state, name);
            }
            let items = Outcome::ALL
                .iter()
                .map(|o| {
                    let code = outcome_code(*o);
                    PickItem {
                        label: t(state.lang, &format!("outcome.{code}")).to_string(),
                        value: code.to_string(),
                    }
                })
                .collect();
            open_picker(state, PickerKind::Outcome, items, name == "bulk_close");
            vec![]
        }
        C::BookAppointment => {
            if state.current().is_none() {
                return no_request(state);
            }
            let items = ["in_sede", "telefono", "video"]
                .iter()
                .map(|m| PickItem {
                    label: t(state.lang, &format!("mode.{m}")).to_string(),
                    value: m.to_string(),
                })
                .collect();
            open_picker(state, PickerKind::Appointment, items, false);
            vec![]
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
                    value: body.clone(),
                })
                .collect();
            open_picker(state, PickerKind::Canned, items, false);
            with_take(state, take_first, |_| vec![])
        }
        C::BulkTake => {
            let ids = state.selected_visible();
            if ids.is_empty() {
                return no_selection(state, name);
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
        // Editor commands: they mean something only while the editor has the keys.
        C::Send | C::ExternalEditor => {
            notice(state, "error.context", true);
            vec![]
        }
    }
}

/// What a close/forward acts on: for `bulk_*` the visible selection only (never the cursor row
/// by default), else the cursor row.
fn bulk_targets(state: &State, name: &str) -> Vec<RequestId> {
    if name.starts_with("bulk_") {
        state.selected_visible()
    } else {
        state
            .current()
            .map(|r| vec![r.id.clone()])
            .unwrap_or_default()
    }
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

fn no_selection(state: &mut State, name: &str) -> Vec<Effect> {
    if name.starts_with("bulk_") {
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

fn move_cursor(state: &mut State, name: &str, page: usize) -> Vec<Effect> {
    match state.focus {
        Pane::Queues => {
            let n = state.queues.len();
            state.queue_cursor = match name {
                "up" => state.queue_cursor.saturating_sub(1),
                "down" => (state.queue_cursor + 1).min(n - 1),
                "top" | "page_up" => 0,
                _ => n - 1,
            };
            switch_queue(state);
            vec![]
        }
        Pane::Detail => {
            state.detail_scroll = match name {
                "up" => state.detail_scroll.saturating_sub(1),
                "down" => state.detail_scroll + 1,
                "page_up" => state.detail_scroll.saturating_sub(page),
                "page_down" => state.detail_scroll + page,
                "top" => 0,
                _ => usize::MAX / 2,
            };
            vec![]
        }
        Pane::List => {
            let last = state.visible.len().saturating_sub(1);
            state.cursor = match name {
                "up" => state.cursor.saturating_sub(1),
                "down" => (state.cursor + 1).min(last),
                "page_up" => state.cursor.saturating_sub(page),
                "page_down" => (state.cursor + page).min(last),
                "top" => 0,
                _ => last,
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

fn open_input(state: &mut State, kind: InputKind) -> Vec<Effect> {
    let id = state.current().map(|r| r.id.clone());
    if kind != InputKind::Jump && id.is_none() {
        return no_request(state);
    }
    let draft = match &id {
        Some(id) if crate::tui::drafts::kept(kind) => {
            state.drafts.get(&(id.clone(), kind)).cloned()
        }
        _ => None,
    };
    if draft.is_some() {
        notice(state, "editor.draft_restored", false);
    }
    open_editor(state, kind, id, draft.as_deref().unwrap_or(""));
    vec![]
}

/// Opens the editor of `kind` on request `id` holding `text`; a non-empty text is kept as the
/// request's draft at once (text coming back from `$EDITOR` or a refusal must not be lost).
fn open_editor(state: &mut State, kind: InputKind, id: Option<RequestId>, text: &str) {
    let multiline = crate::tui::drafts::kept(kind);
    let editor = crate::tui::editor::Editor::new(text, multiline);
    if let Some(id) = &id {
        note_draft(state, id, kind, &editor);
    }
    state.mode = Mode::Input { kind, id, editor };
}

/// Records the editor's text as the draft of (`id`, `kind`), written to disk on the next tick.
fn note_draft(
    state: &mut State,
    id: &RequestId,
    kind: InputKind,
    editor: &crate::tui::editor::Editor,
) {
    if !crate::tui::drafts::kept(kind) {
        return;
    }
    let key = (id.clone(), kind);
    if editor.is_blank() {
        if state.drafts.remove(&key).is_none() {
            return;
        }
    } else {
        state.drafts.insert(key.clone(), editor.text());
    }
    state.drafts_unsaved.insert(key);
}

/// Forgets the draft of (`id`, `kind`) and deletes its file now.
fn drop_draft(state: &mut State, id: &RequestId, kind: InputKind) -> Vec<Effect> {
    let key = (id.clone(), kind);
    state.drafts.remove(&key);
    state.drafts_unsaved.insert(key);
    flush_drafts(state)
}

/// Writes every changed draft (in key order, so runs are reproducible).
fn flush_drafts(state: &mut State) -> Vec<Effect> {
    if state.drafts_unsaved.is_empty() {
        return vec![];
    }
    let mut keys: Vec<_> = state.drafts_unsaved.drain().collect();
    let Some(dir) = state.data_dir.clone() else {
        return vec![];
    };
    keys.sort_by(|a, b| a.0.cmp(&b.0).then((a.1 as u8).cmp(&(b.1 as u8))));
    keys.into_iter()
        .filter_map(|key| {
            let path = crate::tui::drafts::path(&dir, &key)?;
            Some(Effect::WriteDraft {
                path,
                text: state.drafts.get(&key).cloned(),
            })
        })
        .collect()
}

fn paste(state: &mut State, text: &str) {
    match &mut state.mode {
        Mode::Input { kind, id, editor } if !editor.asking_to_close => {
            if editor.paste(text)
                && let Some(id) = id.clone()
            {
                let (kind, editor) = (*kind, editor.clone());
                note_draft(state, &id, kind, &editor);
            }
        }
        Mode::Filter => {
            let line: String = text
                .chars()
                .map(|c| if c.is_control() { ' ' } else { c })
                .collect();
            state.filter.push_str(line.trim());
            state.refilter();
        }
        _ => {}
    }
}

fn open_picker(state: &mut State, kind: PickerKind, items: Vec<PickItem>, bulk: bool) {
    let matches = (0..items.len()).collect();
    state.mode = Mode::Picker {
        kind,
        query: String::new(),
        items,
        matches,
        cursor: 0,
        bulk,
    };
}

/// The palette: commands in the UI language (available ones first, the others with the reason),
/// then the queues. Editor commands are left out: they only mean something in the editor.
fn palette_items(state: &State) -> Vec<PickItem> {
    let context = crate::tui::input::context(state);
    let mut available = Vec::new();
    let mut unavailable = Vec::new();
    for c in COMMANDS.iter().filter(|c| {
        !c.contexts
            .iter()
            .all(|x| *x == crate::tui::action::Context::Editor)
    }) {
        let mut label = t(state.lang, c.description_key).to_string();
        // The key of the active keymap, so the palette also teaches the shortcuts.
        if let Some(key) = state.keymap.key_for(context, c.name) {
            label.push_str(&format!("  [{key}]"));
        }
        let item = |label| PickItem {
            label,
            value: c.name.to_string(),
        };
        match crate::tui::availability::availability(state, c) {
            Ok(()) => available.push(item(label)),
            Err(reason) => unavailable.push(item(format!("{label}  ✗ {}", t(state.lang, reason)))),
        }
    }
    let mut items = available;
    items.extend(unavailable);
    let queue = t(state.lang, "palette.queue");
    items.extend(state.queues.iter().enumerate().map(|(i, q)| PickItem {
        label: format!("{queue}: {}", q.label(state.lang)),
        value: format!("queue:{i}"),
    }));
    items
}

pub fn outcome_code(o: Outcome) -> &'static str {
    match o {
        Outcome::Evasa => "evasa",
        Outcome::NonDiCompetenza => "non_di_competenza",
        Outcome::IntegrazioneNonPervenuta => "integrazione_non_pervenuta",
        Outcome::Duplicata => "duplicata",
        Outcome::Ritirata => "ritirata",
        Outcome::RisoltaInAppuntamento => "risolta_in_appuntamento",
    }
}

fn outcome_from_code(code: &str) -> Option<Outcome> {
    Outcome::ALL.into_iter().find(|o| outcome_code(*o) == code)
}

fn act_on_current(state: &mut State, body: ActionBody) -> Vec<Effect> {
    match state.current() {
        Some(r) => vec![Effect::Act {
            id: r.id.clone(),
            version: r.version,
            body,
        }],
        None => no_request(state),
    }
}

fn acts_on(state: &State, ids: &[RequestId], body: &ActionBody) -> Vec<Effect> {
    ids.iter()
        .filter_map(|id| state.request(id))
        .map(|r| Effect::Act {
            id: r.id.clone(),
            version: r.version,
            body: body.clone(),
        })
        .collect()
}

/// Sends the held-back close/forward once its undo window has passed.
fn commit_due(state: &mut State) -> Vec<Effect> {
    match &state.pending {
        Some(p) if p.deadline <= state.now => {
            let Some(p) = state.pending.take() else {
                return vec![];
            };
            commit(state, &p)
        }
        _ => vec![],
    }
}

fn commit(state: &State, p: &PendingCommit) -> Vec<Effect> {
    let body = match &p.op {
        BulkOp::Take => ActionBody::Take,
        BulkOp::Close(code) => match outcome_from_code(code) {
            Some(outcome) => ActionBody::Close {
                outcome,
                note: None,
            },
            None => return vec![],
        },
        BulkOp::Forward(office) => ActionBody::Forward {
            office: office.clone(),
            note: None,
        },
    };
    acts_on(state, &p.ids, &body)
}

/// Close/forward are deferred (undoable); take is sent at once.
fn schedule(state: &mut State, op: BulkOp, ids: Vec<RequestId>) -> Vec<Effect> {
    let mut effects = match state.pending.take() {
        Some(previous) => commit(state, &previous),
        None => vec![],
    };
    // A bulk action consumes its selection: the next one starts from nothing.
    state.clear_selection();
    if op == BulkOp::Take {
        effects.extend(acts_on(state, &ids, &ActionBody::Take));
        return effects;
    }
    let what = match op {
        BulkOp::Forward(_) => t(state.lang, "done.forward"),
        _ => t(state.lang, "done.close"),
    };
    // Name the key the active keymap really binds to undo (it may be remapped).
    let key = state
        .keymap
        .key_for(crate::tui::input::context(state), "undo")
        .unwrap_or_else(|| ":undo".into());
    let text = tf(
        state.lang,
        "undo.pending",
        &[
            ("what", what),
            ("key", &key),
            ("s", &UNDO_SECONDS.to_string()),
        ],
    );
    state.notice = Some(Notice { text, error: false });
    state.pending = Some(PendingCommit {
        ids,
        op,
        deadline: state.now + SignedDuration::from_secs(UNDO_SECONDS),
    });
    effects
}

fn dialog_key(state: &mut State, key: KeyEvent) -> Vec<Effect> {
    let mode = std::mem::take(&mut state.mode);
    match mode {
        Mode::Normal => vec![],
        Mode::Filter => {
            match key.code {
                KeyCode::Esc => {
                    state.filter.clear();
                    state.invalidate_filter();
                    state.refilter();
                }
                KeyCode::Enter => {}
                KeyCode::Backspace => {
                    state.filter.pop();
                    state.refilter();
                    state.mode = Mode::Filter;
                }
                KeyCode::Char(c) if !key.modifiers.contains(KeyModifiers::CONTROL) => {
                    state.filter.push(c);
                    state.refilter();
                    state.mode = Mode::Filter;
                }
                _ => state.mode = Mode::Filter,
            }
            vec![]
        }
        Mode::Help {
            mut query,
            mut scroll,
        } => {
            // The view clamps `scroll` to the help's length, which depends on the screen.
            const PAGE: usize = 10;
            match key.code {
                KeyCode::Esc | KeyCode::Enter => return vec![],
                KeyCode::Up => scroll = scroll.saturating_sub(1),
                KeyCode::Down => scroll = scroll.saturating_add(1),
                KeyCode::PageUp => scroll = scroll.saturating_sub(PAGE),
                KeyCode::PageDown => scroll = scroll.saturating_add(PAGE),
                KeyCode::Home => scroll = 0,
                KeyCode::Backspace => {
                    query.pop();
                    scroll = 0;
                }
                KeyCode::Char(c) if !key.modifiers.contains(KeyModifiers::CONTROL) => {
                    query.push(c);
                    scroll = 0;
                }
                _ => {}
            }
            state.mode = Mode::Help { query, scroll };
            vec![]
        }
        Mode::Input { kind, id, editor } => editor_key(state, kind, id, editor, key),
        Mode::Picker {
            kind,
            mut query,
            items,
            mut matches,
            mut cursor,
            bulk,
        } => {
            match key.code {
                KeyCode::Esc => return vec![],
                KeyCode::Enter => {
                    let Some(item) = matches.get(cursor).and_then(|&i| items.get(i)).cloned()
                    else {
                        return vec![];
                    };
                    return pick(state, kind, item.value, bulk);
                }
                KeyCode::Up => cursor = cursor.saturating_sub(1),
                KeyCode::Down | KeyCode::Tab => {
                    cursor = (cursor + 1).min(matches.len().saturating_sub(1))
                }
                KeyCode::Backspace => {
                    query.pop();
                    matches = fuzzy_rank(&items, &query);
                    cursor = 0;
                }
                KeyCode::Char(c) => {
                    query.push(c);
                    matches = fuzzy_rank(&items, &query);
                    cursor = 0;
                }
                _ => {}
            }
            state.mode = Mode::Picker {
                kind,
                query,
                items,
                matches,
                cursor,
                bulk,
            };
            vec![]
        }
        Mode::Confirm { op, ids } => match key.code {
            KeyCode::Enter | KeyCode::Char('y') | KeyCode::Char('s') => schedule(state, op, ids),
            KeyCode::Esc | KeyCode::Char('n') => vec![],
            _ => {
                state.mode = Mode::Confirm { op, ids };
                vec![]
            }
        },
    }
}

/// A key in the editor: the keymap's `[editor]` commands first, then `Esc` (asks to keep a
/// non-empty draft), `Enter` (sends a one-line field), everything else edits the text.
fn editor_key(
    state: &mut State,
    kind: InputKind,
    id: Option<RequestId>,
    mut editor: crate::tui::editor::Editor,
    key: KeyEvent,
) -> Vec<Effect> {
    if editor.asking_to_close {
        return match key.code {
            KeyCode::Enter | KeyCode::Char('t' | 'k' | 'T' | 'K') => {
                notice(state, "editor.draft_kept", false);
                flush_drafts(state)
            }
            KeyCode::Char('d' | 'D') => match &id {
                Some(id) => drop_draft(state, id, kind),
                None => vec![],
            },
            KeyCode::Esc => {
                editor.asking_to_close = false;
                state.mode = Mode::Input { kind, id, editor };
                vec![]
            }
            _ => {
                state.mode = Mode::Input { kind, id, editor };
                vec![]
            }
        };
    }
    let command = match state
        .keymap
        .lookup(crate::tui::keymap::Context::Editor, &key)
    {
        crate::tui::keymap::Lookup::Action(a) => Some(a.to_owned()),
        crate::tui::keymap::Lookup::Pending => {
            state.mode = Mode::Input { kind, id, editor };
            return vec![];
        }
        crate::tui::keymap::Lookup::None => None,
    };
    match command.as_deref() {
        Some("send") => return send_input(state, kind, id, editor),
        Some("external_editor") => {
            return vec![Effect::OpenEditor {
                kind,
                initial: editor.text(),
            }];
        }
        _ => {}
    }
    match key.code {
        KeyCode::Esc if editor.is_blank() => match &id {
            Some(id) if state.drafts.contains_key(&(id.clone(), kind)) => {
                drop_draft(state, id, kind)
            }
            _ => vec![],
        },
        KeyCode::Esc if !editor.multiline() => vec![],
        KeyCode::Esc => {
            editor.asking_to_close = true;
            state.mode = Mode::Input { kind, id, editor };
            vec![]
        }
        KeyCode::Enter if !editor.multiline() => send_input(state, kind, id, editor),
        _ => {
            if editor.key(key)
                && let Some(id) = &id
            {
                note_draft(state, id, kind, &editor);
            }
            state.mode = Mode::Input { kind, id, editor };
            vec![]
        }
    }
}

/// Sends the editor's text; its draft goes (a refusal brings the text back as a draft).
fn send_input(
    state: &mut State,
    kind: InputKind,
    id: Option<RequestId>,
    editor: crate::tui::editor::Editor,
) -> Vec<Effect> {
    let text = editor.text();
    if text.trim().is_empty() {
        state.mode = Mode::Input { kind, id, editor };
        notice(state, "editor.empty", true);
        return vec![];
    }
    let mut effects = match &id {
        Some(id) if crate::tui::drafts::kept(kind) => drop_draft(state, id, kind),
        _ => vec![],
    };
    effects.extend(submit_input(state, kind, text, id.as_ref()));
    effects
}

fn fuzzy_rank(items: &[PickItem], query: &str) -> Vec<usize> {
    if query.is_empty() {
        return (0..items.len()).collect();
    }
    let matcher = SkimMatcherV2::default().ignore_case();
    let mut scored: Vec<(i64, usize)> = items
        .iter()
        .enumerate()
        .filter_map(|(i, item)| matcher.fuzzy_match(&item.label, query).map(|s| (s, i)))
        .collect();
    scored.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    scored.into_iter().map(|(_, i)| i).collect()
}

fn pick(state: &mut State, kind: PickerKind, value: String, bulk: bool) -> Vec<Effect> {
    let ids = if bulk {
        state.selected_visible()
    } else {
        state
            .current()
            .map(|r| vec![r.id.clone()])
            .unwrap_or_default()
    };
    match kind {
        PickerKind::Palette => match value.strip_prefix("queue:") {
            Some(index) => {
                state.queue_cursor = index.parse().unwrap_or(0);
                switch_queue(state);
                vec![]
            }
            None => command_action(state, &value),
        },
        PickerKind::Forward | PickerKind::Outcome => {
            let op = if kind == PickerKind::Forward {
                BulkOp::Forward(value)
            } else {
                BulkOp::Close(value)
            };
            if bulk {
                state.mode = Mode::Confirm { op, ids };
                vec![]
            } else {
                schedule(state, op, ids)
            }
        }
        PickerKind::Appointment => {
            let mode = match value.as_str() {
                "telefono" => AppointmentMode::Telefono,
                "video" => AppointmentMode::Video,
                _ => AppointmentMode::InSede,
            };
            // Next business morning slot: tomorrow at 09:00 UTC+1 is close enough for a proposal;
            // the service validates against the office calendar.
            let at = state.now + SignedDuration::from_hours(24);
            act_on_current(state, ActionBody::BookAppointment { mode, at })
        }
        PickerKind::Canned => {
            let text = fill_template(state, &value);
            let id = state.current().map(|r| r.id.clone());
            open_editor(state, InputKind::Reply, id, &text);
            vec![]
        }
    }
}

/// Fills `{citizen_name}`, `{request_id}`, `{office}`, `{operator}` in a canned reply.
pub fn fill_template(state: &State, template: &str) -> String {
    let Some(r) = state.current() else {
        return template.to_string();
    };
    template
        .replace("{citizen_name}", r.citizen_name.as_deref().unwrap_or(""))
        .replace("{request_id}", r.id.as_str())
        .replace("{office}", &state.me.office)
        .replace("{operator}", &state.me.username)
}

/// The request id typed in the jump dialog: a full id in any case (`cbp-2026-0001234`) or just
/// its number (`1234`, `0001234`), taken in the year of the request under the cursor.
fn jump_target(state: &State, text: &str) -> Option<RequestId> {
    let upper = text.to_ascii_uppercase();
    if let Ok(id) = RequestId::parse(&upper) {
        return Some(id);
    }
    let number: u32 = if text.len() <= 7 && text.bytes().all(|b| b.is_ascii_digit()) {
        text.parse().ok()?
    } else {
        return None;
    };
    let year = state
        .current()
        .or_else(|| state.requests.first())
        .map(|r| r.id.year())
        .unwrap_or_else(|| state.now.to_zoned(jiff::tz::TimeZone::UTC).year());
    Some(RequestId::new(year, number))
}

/// Sends `text` of `kind` to request `to` (the one the editor was opened on), else the cursor's.
fn submit_input(
    state: &mut State,
    kind: InputKind,
    text: String,
    to: Option<&RequestId>,
) -> Vec<Effect> {
    let text = text.trim().to_string();
    if text.is_empty() {
        return vec![];
    }
    if kind == InputKind::Jump {
        return match jump_target(state, &text) {
            Some(id) => {
                if !state.select_id(&id) {
                    state.queue_cursor = state
                        .queues
                        .iter()
                        .position(|q| *q == Queue::All)
                        .unwrap_or(state.queues.len() - 1);
                    switch_queue(state);
                    if !state.select_id(&id) {
                        notice(state, "error.not_found", true);
                        return vec![];
                    }
                }
                state.focus = Pane::Detail;
                vec![Effect::LoadDetail(id)]
            }
            None => {
                notice(state, "error.not_found", true);
                vec![]
            }
        };
    }
    let target = to
        .and_then(|id| state.request(id))
        .or_else(|| state.current());
    let Some(r) = target else {
        return no_request(state);
    };
    let (id, version) = (r.id.clone(), r.version);
    let message = |kind| Effect::Message {
        id: id.clone(),
        version,
        kind,
        body: text.clone(),
    };
    match kind {
        InputKind::Reply => vec![message(MessageKind::Reply)],
        InputKind::Note => vec![message(MessageKind::InternalNote)],
        InputKind::Integration => vec![message(MessageKind::IntegrationRequest)],
        InputKind::Tag => vec![Effect::Act {
            id,
            version,
            body: ActionBody::Tag { tag: text },
        }],
        InputKind::Assign => vec![Effect::Act {
            id,
            version,
            body: ActionBody::Assign { assignee: text },
        }],
        InputKind::Jump => vec![],
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
        let effects = update(&mut state, Msg::Command("take".into()));
        assert!(matches!(&effects[..], [Effect::Act { id, .. }] if *id == taken.id));
        // The service answers: the request is now mine, so it leaves "unassigned".
        let mut mine = taken.clone();
        mine.status = Status::InLavorazione;
        mine.assignee = Some("mrossi".into());
        mine.version += 1;
        update(&mut state, Msg::Upserted(Box::new(mine)));
        assert_eq!(state.current().map(|r| &r.id), Some(&taken.id));
        // The reply goes to the request just taken, not to its neighbour.
        update(&mut state, Msg::Command("reply".into()));
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
        update(&mut state, Msg::Command("down".into()));
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
    fn overdue_countdown_fits_the_sla_cell() {
        let state = state();
        let mut r = state.requests[0].clone();
        assert!(!r.clocks.is_empty());
        let due = |secs: i64| Some(state.now - SignedDuration::from_secs(secs));
        for c in &mut r.clocks {
            c.due_at = due(12 * 3600 + 5 * 60);
        }
        assert_eq!(crate::tui::view::due_text(&state, &r), "-12h");
        for c in &mut r.clocks {
            c.due_at = due(9 * 3600 + 5 * 60);
        }
        assert_eq!(crate::tui::view::due_text(&state, &r), "-9h05");
        for c in &mut r.clocks {
            c.due_at = due(3 * 86_400);
        }
        assert_eq!(crate::tui::view::due_text(&state, &r), "-3g");
        let mut english = state;
        english.lang = Lang::En;
        assert_eq!(crate::tui::view::due_text(&english, &r), "-3d");
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
