//! The editor dialog: opening it (with the request's draft), its keys, paste, drafts kept
//! on disk, and sending what was written.

use super::*;

pub(super) fn open_input(state: &mut State, kind: InputKind) -> Vec<Effect> {
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
pub(super) fn open_editor(state: &mut State, kind: InputKind, id: Option<RequestId>, text: &str) {
    let multiline = crate::tui::drafts::kept(kind);
    let editor = crate::tui::editor::Editor::new(text, multiline);
    if let Some(id) = &id {
        note_draft(state, id, kind, &editor);
    }
    state.mode = Mode::Input { kind, id, editor };
}

/// Records the editor's text as the draft of (`id`, `kind`), written to disk on the next tick.
pub(super) fn note_draft(
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
pub(super) fn drop_draft(state: &mut State, id: &RequestId, kind: InputKind) -> Vec<Effect> {
    let key = (id.clone(), kind);
    state.drafts.remove(&key);
    state.drafts_unsaved.insert(key);
    flush_drafts(state)
}

/// Writes every changed draft (in key order, so runs are reproducible).
pub(super) fn flush_drafts(state: &mut State) -> Vec<Effect> {
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

pub(super) fn paste(state: &mut State, text: &str) {
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

/// A key in the editor: the keymap's `[editor]` commands first, then `Esc` (asks to keep a
/// non-empty draft), `Enter` (sends a one-line field), everything else edits the text.
pub(super) fn editor_key(
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
        crate::tui::keymap::Lookup::Command(command) => Some(command),
        crate::tui::keymap::Lookup::Pending => {
            state.mode = Mode::Input { kind, id, editor };
            return vec![];
        }
        crate::tui::keymap::Lookup::None => None,
    };
    match command {
        Some(Command::Send) => return send_input(state, kind, id, editor),
        Some(Command::ExternalEditor) => {
            return vec![Effect::OpenEditor {
                kind,
                initial: editor.text(),
            }];
        }
        // Only the editor's own commands act here (`every_bound_command_is_handled` keeps the
        // shipped keymaps to them); a key bound to anything else is text, like an unbound one.
        Some(_) | None => {}
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
pub(super) fn send_input(
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

/// Sends `text` of `kind` to request `to` (the one the editor was opened on), else the cursor's.
pub(super) fn submit_input(
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
        // "-name" removes a tag, as a shell option reads.
        InputKind::Tag => {
            let body = match text.strip_prefix('-').map(str::trim) {
                Some(tag) if !tag.is_empty() => ActionBody::Untag {
                    tag: tag.to_string(),
                },
                _ => ActionBody::Tag { tag: text },
            };
            vec![Effect::Act { id, version, body }]
        }
        InputKind::Assign => vec![Effect::Act {
            id,
            version,
            body: ActionBody::Assign { assignee: text },
        }],
        InputKind::Jump => vec![],
    }
}

/// The request id typed in the jump dialog: a full id in any case (`cbp-2026-0001234`) or just
/// its number (`1234`, `0001234`), taken in the year of the request under the cursor.
pub(super) fn jump_target(state: &State, text: &str) -> Option<RequestId> {
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
