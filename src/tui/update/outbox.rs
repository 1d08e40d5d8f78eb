//! The offline outbox in `update`: writes held back while the service is unreachable, shown
//! as made, replayed one at a time in order (see `crate::tui::outbox`).

use super::*;
use crate::tui::outbox::{self, Queued, Refused, Write};

/// How a replayed write ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Replay {
    /// Applied (or answered from the service's idempotency record): the request as written.
    Sent(Box<RequestDetail>),
    /// Still unreachable: kept, tried again later.
    Unreachable,
    /// Refused by the service; the catalog key of the reason.
    Refused(&'static str),
}

/// With writes already waiting (or the event stream saying the service is gone), new writes
/// join the queue instead of overtaking it.
pub(super) fn hold_back(state: &mut State, effects: Vec<Effect>) -> Vec<Effect> {
    if !state.offline && state.outbox.pending.is_empty() {
        return effects;
    }
    let mut kept = Vec::with_capacity(effects.len());
    let mut queued = false;
    for effect in effects {
        let (id, version, write) = match effect {
            Effect::Act { id, version, body } => (id, version, Write::Act { body }),
            Effect::Message {
                id,
                version,
                kind,
                body,
            } => (id, version, Write::Message { kind, text: body }),
            other => {
                kept.push(other);
                continue;
            }
        };
        enqueue(
            state,
            Queued {
                key: crate::client::IdempotencyKey::new().to_string(),
                id,
                based_on: version,
                send_version: None,
                write,
                queued_at: state.now,
            },
        );
        queued = true;
    }
    if queued {
        kept.extend(save(state));
    }
    kept
}

/// A write the service could not be reached for: queued with the key of its attempt.
pub(super) fn unsent(state: &mut State, queued: Queued) -> Vec<Effect> {
    enqueue(state, queued);
    // The next replay waits its turn: the service just failed to answer.
    state.outbox.retry_at = Some(state.now + SignedDuration::from_secs(outbox::RETRY_SECONDS));
    save(state)
}

fn enqueue(state: &mut State, queued: Queued) {
    let me = state.me.username.clone();
    if let Some(mut row) = state.request(&queued.id).cloned()
        && row.version == queued.based_on
        && outbox::apply(&mut row, &me, &queued.write)
    {
        if let Some(detail) = state.detail.as_mut()
            && detail.summary.id == row.id
        {
            detail.summary = row.clone();
        }
        state.upsert(row);
    }
    let what = t(state.lang, queued.write.what_key()).to_string();
    state.outbox.pending.push(queued);
    let n = state.outbox.pending.len().to_string();
    state.notice = Some(Notice {
        text: tf(state.lang, "outbox.queued", &[("what", &what), ("n", &n)]),
        error: true,
    });
}

/// Starts sending the oldest waiting write, unless one is already on its way or the last try
/// found the service unreachable too recently.
pub(super) fn kick(state: &mut State) -> Vec<Effect> {
    let outbox = &mut state.outbox;
    if outbox.replaying || outbox.retry_at.is_some_and(|at| state.now < at) {
        return vec![];
    }
    match outbox.pending.first() {
        Some(head) => {
            outbox.replaying = true;
            vec![Effect::Replay(Box::new(head.clone()))]
        }
        None => vec![],
    }
}

/// The service answered: try now rather than at the next retry.
pub(super) fn reachable(state: &mut State) -> Vec<Effect> {
    state.outbox.retry_at = None;
    kick(state)
}

/// The answer to a replayed write: the next one follows, in order.
pub(super) fn replayed(state: &mut State, key: &str, outcome: Replay) -> Vec<Effect> {
    state.outbox.replaying = false;
    match outcome {
        Replay::Unreachable => {
            state.outbox.retry_at =
                Some(state.now + SignedDuration::from_secs(outbox::RETRY_SECONDS));
            return vec![];
        }
        Replay::Sent(detail) => {
            state.outbox.retry_at = None;
            if state.outbox.applied(key, detail.summary.version).is_none() {
                return kick(state);
            }
            written(state, *detail);
            if state.outbox.pending.is_empty() {
                notice(state, "outbox.all_sent", false);
            }
        }
        Replay::Refused(reason) => {
            let Some(at) = state.outbox.pending.iter().position(|q| q.key == key) else {
                return kick(state);
            };
            let action = state.outbox.pending.remove(at);
            if let Write::Message { kind, text } = &action.write {
                keep_as_draft(state, &action.id, crate::tui::live::input_kind(*kind), text);
            }
            let what = t(state.lang, action.write.what_key()).to_string();
            state.notice = Some(Notice {
                text: tf(
                    state.lang,
                    "outbox.refused",
                    &[
                        ("what", &what),
                        ("id", action.id.as_str()),
                        ("reason", t(state.lang, reason)),
                    ],
                ),
                error: true,
            });
            state.outbox.refused.push(Refused {
                action,
                reason: reason.to_string(),
                refused_at: state.now,
            });
        }
    }
    let mut effects = save(state);
    effects.extend(flush_drafts(state));
    effects.extend(kick(state));
    effects
}

/// A refused message's text goes back into the request's draft (after any draft already
/// there), so the operator finds it when replying again.
fn keep_as_draft(state: &mut State, id: &RequestId, kind: InputKind, text: &str) {
    let key = (id.clone(), kind);
    let kept = match state.drafts.get(&key) {
        Some(draft) if !draft.trim().is_empty() && draft.trim() != text.trim() => {
            format!("{draft}\n\n{text}")
        }
        _ => text.to_string(),
    };
    state.drafts.insert(key.clone(), kept);
    state.drafts_unsaved.insert(key);
}

/// Rows from the service with the writes still waiting applied on top.
pub(super) fn overlaid(state: &State, row: RequestSummary) -> RequestSummary {
    if state.outbox.pending.is_empty() {
        return row;
    }
    outbox::overlaid(&state.outbox.pending, row, &state.me.username)
}

/// A later write on a request clears the refusals shown on it: the operator has acted again.
pub(super) fn acted_again(state: &mut State, id: &RequestId) -> Vec<Effect> {
    let before = state.outbox.refused.len();
    state.outbox.refused.retain(|r| &r.action.id != id);
    if state.outbox.refused.len() == before {
        return vec![];
    }
    save(state)
}

/// Writes the outbox file (deleted once empty); in memory only without a data dir.
fn save(state: &State) -> Vec<Effect> {
    match &state.data_dir {
        Some(dir) => vec![Effect::SaveOutbox {
            path: outbox::path(dir),
            contents: state.outbox.contents(),
        }],
        None => vec![],
    }
}
