//! The fixed-key dialogs: filter line, help, pickers (palette, offices, outcomes, canned
//! replies), the slot picker and the bulk confirmation.

use super::*;

pub(super) fn dialog_key(state: &mut State, key: KeyEvent) -> Vec<Effect> {
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
        Mode::Slots(picker) => {
            use crate::tui::agenda::Outcome;
            match picker.key(key, state.now) {
                Outcome::Open(picker) => state.mode = Mode::Slots(picker),
                Outcome::Closed => {}
                Outcome::Notice(picker, key) => {
                    state.mode = Mode::Slots(picker);
                    notice(state, key, true);
                }
                Outcome::Write { id, version, op } => {
                    return vec![Effect::Agenda { id, version, op }];
                }
            }
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

pub(super) fn fuzzy_rank(items: &[PickItem], query: &str) -> Vec<usize> {
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

pub(super) fn pick(
    state: &mut State,
    kind: PickerKind,
    value: PickValue,
    bulk: bool,
) -> Vec<Effect> {
    let value = match value {
        PickValue::Command(command) => return command_action(state, command),
        PickValue::Queue(index) => {
            state.queue_cursor = index.min(state.queues.len().saturating_sub(1));
            switch_queue(state);
            return vec![];
        }
        PickValue::Text(text) => text,
    };
    let ids = if bulk {
        state.selected_visible()
    } else {
        state
            .current()
            .map(|r| vec![r.id.clone()])
            .unwrap_or_default()
    };
    match kind {
        // The palette's entries are commands and queues, answered above.
        PickerKind::Palette => vec![],
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
        PickerKind::Assignee => act_on_current(state, ActionBody::Assign { assignee: value }),
        PickerKind::Canned => {
            let text = fill_template(state, &value);
            let id = state.current().map(|r| r.id.clone());
            open_editor(state, InputKind::Reply, id, &text);
            vec![]
        }
    }
}

/// Fills `{citizen_name}`, `{request_id}`, `{office}` (the office's name), `{office_code}`,
/// `{operator}` (full name) and `{username}` in a canned reply.
pub fn fill_template(state: &State, template: &str) -> String {
    let Some(r) = state.current() else {
        return template.to_string();
    };
    // The office by name and the operator by full name: a reply is read by a person.
    let office_name = state
        .offices
        .iter()
        .find(|(code, _)| *code == state.me.office)
        .map(|(_, name)| name.clone())
        .unwrap_or_else(|| state.me.office.clone());
    let operator_name = if state.operator_name.is_empty() {
        state.me.username.clone()
    } else {
        state.operator_name.clone()
    };
    template
        .replace("{citizen_name}", r.citizen_name.as_deref().unwrap_or(""))
        .replace("{request_id}", r.id.as_str())
        .replace("{office_code}", &state.me.office)
        .replace("{office}", &office_name)
        .replace("{username}", &state.me.username)
        .replace("{operator}", &operator_name)
}

pub(super) fn open_picker(state: &mut State, kind: PickerKind, items: Vec<PickItem>, bulk: bool) {
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
/// then the queues. Editor commands are left out: they only mean something in the editor; so
/// are the cruscotto's view commands while the cruscotto is closed.
pub(super) fn palette_items(state: &State) -> Vec<PickItem> {
    use crate::tui::action::Context;
    let context = crate::tui::input::context(state);
    let mut available = Vec::new();
    let mut unavailable = Vec::new();
    for c in COMMANDS.iter().filter(|c| {
        !c.contexts.iter().all(|x| {
            *x == Context::Editor || (*x == Context::Dashboard && state.dashboard.is_none())
        })
    }) {
        let mut label = t(state.lang, c.description_key).to_string();
        // The key of the active keymap, so the palette also teaches the shortcuts.
        if let Some(key) = state.keymap.key_for(context, c.command) {
            label.push_str(&format!("  [{key}]"));
        }
        let item = |label| PickItem {
            label,
            value: PickValue::Command(c.command),
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
        value: PickValue::Queue(i),
    }));
    items
}
