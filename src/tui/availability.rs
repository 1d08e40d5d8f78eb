//! Whether a command can run now, and if not why: one function of role, read-only mode, the
//! status machine and the selection. The dispatcher refuses with its reason before any dialog
//! opens (nothing is typed for a reply the status forbids), the key-hint line leaves
//! unavailable commands out, and `?` help and the palette mark them with the reason (the
//! pattern of gitui's `CommandInfo { enabled, available }`).

use crate::domain::request::{Status, Transition};
use crate::domain::roles::Role;
use crate::tui::action::{Command, CommandSpec};
use crate::tui::state::State;

/// Why a command is not available: a catalog key (`avail.*`, `error.*`).
pub type Reason = &'static str;

/// `Ok` when `spec` can run in `state`, else the reason, in catalog form.
pub fn availability(state: &State, spec: &CommandSpec) -> Result<(), Reason> {
    if spec.writes && state.read_only {
        return Err("avail.read_only");
    }
    use Command as C;
    let transition = match spec.command {
        C::Take => Transition::Take,
        C::Release => Transition::Release,
        C::Assign => Transition::Assign,
        C::Reply | C::ReplyEditor | C::CannedReply => Transition::Reply,
        C::Note => Transition::InternalNote,
        C::RequestIntegration => Transition::RequestIntegration,
        C::Forward => Transition::Forward,
        C::Close => Transition::Close,
        C::Reopen => Transition::Reopen,
        C::Tag => Transition::Tag,
        C::BookAppointment => {
            return match state.current() {
                None => Err("error.no_request"),
                Some(r) if !r.status.is_open() => Err("avail.closed"),
                Some(_) => Ok(()),
            };
        }
        C::CopyId => {
            return state.current().map(|_| ()).ok_or("error.no_request");
        }
        C::BulkTake | C::BulkForward | C::BulkClose => {
            return if state.selected_visible().is_empty() {
                Err("error.no_selection")
            } else {
                Ok(())
            };
        }
        C::Undo => {
            return if state.pending.is_some() {
                Ok(())
            } else {
                Err("undo.nothing")
            };
        }
        C::Quit
        | C::Help
        | C::Palette
        | C::Filter
        | C::SearchAll
        | C::Jump
        | C::FocusNext
        | C::FocusPrev
        | C::Up
        | C::Down
        | C::PageUp
        | C::PageDown
        | C::Top
        | C::Bottom
        | C::Open
        | C::Back
        | C::NextQueue
        | C::PrevQueue
        | C::SortCycle
        | C::ToggleSelect
        | C::SelectAll
        | C::ClearSelection
        | C::Dashboard
        | C::Suspend
        | C::Refresh
        | C::ExportCsv
        | C::Send
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
        | C::ViewForecast => return Ok(()),
    };
    let Some(r) = state.current() else {
        return Err("error.no_request");
    };
    let mine = r.assignee.as_deref() == Some(state.me.username.as_str());
    match transition {
        Transition::Take if mine && r.status == Status::InLavorazione => {
            return Err("avail.already_yours");
        }
        Transition::Release if !mine && state.role == Some(Role::Operator) => {
            return Err("avail.release_not_yours");
        }
        Transition::Assign if state.role == Some(Role::Operator) => {
            return Err("avail.supervisors_assign");
        }
        _ => {}
    }
    if r.status.apply(transition).is_ok() {
        return Ok(());
    }
    // A reply to a request nobody took yet in one's own office takes it first (see
    // `State::take_before_reply`), so it is available.
    if takes_first(state, spec) {
        return Ok(());
    }
    Err(match (r.status, transition) {
        (Status::Chiusa, _) => "avail.closed",
        (Status::Nuova | Status::Trasferita, _) => "avail.take_first",
        (Status::InAttesaIntegrazione, Transition::Reply | Transition::RequestIntegration) => {
            "avail.awaiting"
        }
        (Status::RispostaInviata, _) => "avail.answered",
        _ => "avail.status",
    })
}

/// Whether running `spec` on the cursor's request starts with an automatic take: a reply (or
/// an integration request) to a new request of one's own office, with `take_before_reply` on.
pub fn takes_first(state: &State, spec: &CommandSpec) -> bool {
    use Command as C;
    let replying = matches!(
        spec.command,
        C::Reply | C::ReplyEditor | C::CannedReply | C::RequestIntegration
    );
    replying
        && state.take_before_reply
        && !state.read_only
        && state.current().is_some_and(|r| {
            matches!(r.status, Status::Nuova | Status::Trasferita)
                && r.office == state.me.office
                && r.assignee.is_none()
        })
}
