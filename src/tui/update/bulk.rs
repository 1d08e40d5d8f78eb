//! Actions on the cursor row or the selection, and the undo window of close and forward.

use super::*;

/// What a close/forward acts on: for `bulk_*` the visible selection only (never the cursor row
/// by default), else the cursor row.
/// What a command acts on: the visible selection for a bulk command, else the cursor's request.
pub(super) fn bulk_targets(state: &State, bulk: bool) -> Vec<RequestId> {
    if bulk {
        state.selected_visible()
    } else {
        state
            .current()
            .map(|r| vec![r.id.clone()])
            .unwrap_or_default()
    }
}

/// The outcome's code (the one table in `domain::request`).
pub fn outcome_code(o: Outcome) -> &'static str {
    o.code()
}

pub(super) fn outcome_from_code(code: &str) -> Option<Outcome> {
    Outcome::from_code(code)
}

pub(super) fn act_on_current(state: &mut State, body: ActionBody) -> Vec<Effect> {
    match state.current() {
        Some(r) => vec![Effect::Act {
            id: r.id.clone(),
            version: r.version,
            body,
        }],
        None => no_request(state),
    }
}

pub(super) fn acts_on(state: &State, ids: &[RequestId], body: &ActionBody) -> Vec<Effect> {
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
pub(super) fn commit_due(state: &mut State) -> Vec<Effect> {
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

pub(super) fn commit(state: &State, p: &PendingCommit) -> Vec<Effect> {
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
pub(super) fn schedule(state: &mut State, op: BulkOp, ids: Vec<RequestId>) -> Vec<Effect> {
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
        .key_for(crate::tui::input::context(state), Command::Undo)
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
