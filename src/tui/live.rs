//! Live updates: server events become `Msg`s, and our own presence is announced.
//!
//! [`spawn`] consumes the gateway's self-reconnecting event stream (resuming with
//! `Last-Event-ID`): a `request.*` event fetches that request and upserts it, so lists and
//! queue counts change in place; `presence` events feed a [`PresenceBoard`] whose entries
//! expire client-side; a `resync` reloads everything; connection state drives the offline
//! banner. [`Announcer`] turns the UI state (detail open, reply being written) into presence
//! announcements with a heartbeat.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use futures::{Stream, StreamExt};
use jiff::{SignedDuration, Timestamp};
use tokio::sync::mpsc::UnboundedSender;
use tokio::task::JoinHandle;

use crate::api::{EventEnvelope, PresenceActivity, PresenceEvent, RequestSummary};
use crate::client::{ConnectionState, EventItem};
use crate::domain::codice_fiscale::CodiceFiscale;
use crate::domain::request::{MessageKind, RequestId};
use crate::tui::gateway::{Gateway, GatewayError};
use crate::tui::state::{InputKind, Mode, Pane, State, Viewer};
use crate::tui::update::Msg;

/// A presence entry not renewed for this long is dropped.
pub const PRESENCE_TTL: SignedDuration = SignedDuration::from_secs(60);
/// How often an unchanged presence is announced again (well within the TTL).
pub const PRESENCE_HEARTBEAT: SignedDuration = SignedDuration::from_secs(25);
/// How often expired presence entries are swept.
const SWEEP: Duration = Duration::from_secs(5);

/// Starts listening to the gateway's events, sending `Msg`s on `tx`; `None` when the gateway
/// has no event stream. The task ends when `tx` closes.
pub fn spawn(
    gateway: Arc<dyn Gateway>,
    me: String,
    tx: UnboundedSender<Msg>,
) -> Option<JoinHandle<()>> {
    let events = gateway.events()?;
    Some(tokio::spawn(async move {
        run(events, gateway.as_ref(), &me, &tx).await;
    }))
}

/// Pumps `events` into `tx` until either ends.
///
/// The list is loaded in full once, page by page; after that it is kept up to date from the
/// events, and after a disconnection by asking only for the rows changed since the newest
/// event it reflects. Only a `resync` (the service no longer holds those changes) reloads it
/// whole.
pub async fn run(
    events: impl Stream<Item = EventItem>,
    gateway: &dyn Gateway,
    me: &str,
    tx: &UnboundedSender<Msg>,
) {
    let mut events = std::pin::pin!(events);
    let mut board = PresenceBoard::new(me);
    let mut sweep = tokio::time::interval(SWEEP);
    let mut link = Link::default();
    let mut sync = Sync::default();
    loop {
        let msgs = tokio::select! {
            item = events.next() => match item {
                Some(item) => {
                    let reload = link.observe(&item);
                    let msgs = match &item {
                        EventItem::Event(envelope) if !sync.fresh(envelope.seq) => vec![],
                        _ => handle(item, gateway, &mut board, Timestamp::now()).await,
                    };
                    if !send_all(tx, msgs) {
                        return;
                    }
                    if let Some(reload) = reload {
                        sync.bring_up_to_date(reload, gateway, tx).await;
                    }
                    vec![]
                }
                None => vec![Msg::Offline(true)],
            },
            _ = sweep.tick() => board.sweep(Timestamp::now()),
            _ = tx.closed() => return,
        };
        if !send_all(tx, msgs) {
            return;
        }
    }
}

fn send_all(tx: &UnboundedSender<Msg>, msgs: Vec<Msg>) -> bool {
    msgs.into_iter().all(|msg| tx.send(msg).is_ok())
}

/// Where the list stands in the event stream.
#[derive(Debug, Clone, Copy, Default)]
pub struct Sync {
    /// The newest event the list reflects; `None` until a whole load succeeded.
    synced: Option<u64>,
    /// Events up to this seq are already in what was loaded: no fetch for them.
    skip_through: u64,
}

impl Sync {
    /// Notes an event of the stream; false when the list already reflects it (it arrived
    /// with a load or catch-up that read past it), so it needs no fetch.
    pub fn fresh(&mut self, seq: u64) -> bool {
        if seq == 0 {
            // Never stored (presence): not a position in the stream.
            return true;
        }
        if let Some(synced) = &mut self.synced {
            *synced = (*synced).max(seq);
        }
        seq > self.skip_through
    }

    /// The newest event the list reflects, when it was loaded whole.
    pub fn synced(&self) -> Option<u64> {
        self.synced
    }

    fn reflects(&mut self, seq: Option<u64>) {
        self.synced = seq;
        self.skip_through = self.skip_through.max(seq.unwrap_or(0));
    }

    /// Loads what `reload` asks for, sending the messages on `tx`: the changes since the
    /// last event when the list was loaded before, else (or when the service no longer holds
    /// those changes) the whole list.
    pub async fn bring_up_to_date(
        &mut self,
        reload: Reload,
        gateway: &dyn Gateway,
        tx: &UnboundedSender<Msg>,
    ) {
        if let (Reload::Changes, Some(since)) = (reload, self.synced) {
            match catch_up(gateway, since).await {
                Ok((msg, seq)) => {
                    let _ = tx.send(msg);
                    self.reflects(seq.or(Some(since)));
                    return;
                }
                Err(GatewayError::Resync) => {
                    tracing::info!(since, "changes no longer kept: reloading the list");
                }
                Err(error) => {
                    // The replayed events still bring each change, one fetch each.
                    tracing::warn!(%error, since, "catch-up failed");
                    return;
                }
            }
        }
        match load_list(gateway, &mut |msg| {
            let _ = tx.send(msg);
        })
        .await
        {
            Ok(seq) => self.reflects(seq),
            Err(error) => {
                self.synced = None;
                tracing::warn!(%error, "live reload failed");
            }
        }
    }
}

/// What brings the list up to date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reload {
    /// Load the whole list, page by page.
    Full,
    /// Ask only for the rows changed since the newest event the list reflects.
    Changes,
}

/// When the list must be loaded, from the connection's history.
#[derive(Debug, Clone, Copy, Default)]
pub struct Link {
    loaded: bool,
    down: bool,
}

impl Link {
    /// What `item` calls for: a whole load on the first connection (the list is loaded once
    /// the subscription is up, so no change falls in between) and on the first failure to
    /// connect (the list shows even while events are unavailable); the changes only after
    /// each reconnection; a whole load again on `resync`.
    pub fn observe(&mut self, item: &EventItem) -> Option<Reload> {
        let reload = match item {
            EventItem::State(ConnectionState::Connected) => {
                let reload = if !self.loaded {
                    Some(Reload::Full)
                } else {
                    self.down.then_some(Reload::Changes)
                };
                self.down = false;
                reload
            }
            EventItem::State(ConnectionState::Reconnecting { .. } | ConnectionState::Closed(_)) => {
                self.down = true;
                (!self.loaded).then_some(Reload::Full)
            }
            EventItem::Resync { .. } => Some(Reload::Full),
            _ => None,
        };
        self.loaded |= reload.is_some();
        reload
    }
}

/// What one stream item means for the UI (a `resync` is [`Link`]'s to act on).
pub async fn handle(
    item: EventItem,
    gateway: &dyn Gateway,
    board: &mut PresenceBoard,
    now: Timestamp,
) -> Vec<Msg> {
    match item {
        EventItem::Event(envelope) => on_event(envelope, gateway, board, now).await,
        EventItem::Resync { .. } | EventItem::State(ConnectionState::Connecting) => vec![],
        EventItem::State(ConnectionState::Connected) => vec![Msg::Offline(false)],
        EventItem::State(ConnectionState::Reconnecting { .. } | ConnectionState::Closed(_)) => {
            vec![Msg::Offline(true)]
        }
    }
}

async fn on_event(
    envelope: EventEnvelope,
    gateway: &dyn Gateway,
    board: &mut PresenceBoard,
    now: Timestamp,
) -> Vec<Msg> {
    let Some(id) = envelope.request_id.clone() else {
        return vec![];
    };
    if envelope.kind == "presence" {
        return match serde_json::from_value::<PresenceEvent>(envelope.data) {
            Ok(event) => board
                .apply(id, event, envelope.at, now)
                .into_iter()
                .collect(),
            Err(error) => {
                tracing::warn!(%error, "malformed presence event skipped");
                vec![]
            }
        };
    }
    // SLA alerts change no request data (rows carry their due instants, levels are computed
    // locally); fetching the request for each would flood the service when offices open.
    if envelope.kind.starts_with("sla.") {
        return vec![];
    }
    // Events carry only the id and a few fields: fetch the row as the list shows it.
    match gateway.detail(&id).await {
        Ok(detail) => vec![Msg::Upserted(Box::new(list_row(detail.summary, None)))],
        // Forwarded out of our scope (or gone): drop the row rather than keep a ghost.
        Err(GatewayError::NotFound(_)) => vec![Msg::Changed {
            rows: vec![],
            removed: vec![id],
        }],
        Err(error) => {
            tracing::warn!(%error, request = id.as_str(), "live update fetch failed");
            vec![]
        }
    }
}

/// Loads the whole list page by page, each page sent through `send` as it arrives (the
/// operator works on the first while the rest loads); answers the newest event the list
/// reflects (that of its first page: a row of an early page may have changed while later
/// ones were read, and that change is in the events after it).
pub async fn load_list(
    gateway: &dyn Gateway,
    send: &mut (dyn FnMut(Msg) + Send),
) -> Result<Option<u64>, GatewayError> {
    let mut cursor = None;
    let mut seq = None;
    let mut seen = std::collections::HashSet::new();
    let mut first = true;
    loop {
        let page = match gateway.page(None, cursor.take()).await {
            Ok(page) => page,
            Err(error) => {
                if !first {
                    // Say the loading is over; the rows so far stay.
                    send(Msg::Page {
                        rows: vec![],
                        first: false,
                        more: false,
                    });
                }
                return Err(error);
            }
        };
        if first {
            seq = page.event_seq;
        }
        // A server bug must not turn into an endless loop.
        let next = page.next.filter(|next| seen.insert(next.clone()));
        send(Msg::Page {
            rows: page.rows,
            first,
            more: next.is_some(),
        });
        first = false;
        match next {
            Some(next) => cursor = Some(next),
            None => return Ok(seq),
        }
    }
}

/// The rows changed after event `since` (every page of them) as one message, and the newest
/// event they reflect. `Resync` when the service no longer holds those changes.
pub async fn catch_up(
    gateway: &dyn Gateway,
    since: u64,
) -> Result<(Msg, Option<u64>), GatewayError> {
    let mut cursor = None;
    let mut rows = Vec::new();
    let mut removed = Vec::new();
    let mut seq = None;
    let mut seen = std::collections::HashSet::new();
    loop {
        let page = gateway.page(Some(since), cursor.take()).await?;
        if seq.is_none() {
            seq = page.event_seq;
            removed = page.removed;
        }
        rows.extend(page.rows);
        match page.next.filter(|next| seen.insert(next.clone())) {
            Some(next) => cursor = Some(next),
            None => return Ok((Msg::Changed { rows, removed }, seq)),
        }
    }
}

/// `LoadDetail`: the request, then its citizen's dossier (missing dossier: the pane shows the
/// request without it).
pub async fn load_detail(gateway: &dyn Gateway, id: &RequestId) -> Vec<Msg> {
    let detail = match gateway.detail(id).await {
        Ok(detail) => detail,
        Err(error) => return vec![failed(error)],
    };
    let mut msgs = Vec::with_capacity(2);
    match gateway.dossier(&detail.summary.citizen).await {
        Ok(dossier) => msgs.push(Msg::DossierLoaded(Box::new(dossier))),
        Err(error) => tracing::info!(%error, request = id.as_str(), "no dossier"),
    }
    msgs.insert(0, Msg::DetailLoaded(Box::new(detail)));
    msgs
}

/// A write the service refused. On a stale version (412) the row learns the current version
/// (the open detail then shows the "changed" banner); a refused message's text goes back into
/// its editor. Nothing is retried or overwritten.
pub async fn refused(
    gateway: &dyn Gateway,
    id: &RequestId,
    error: GatewayError,
    text: Option<(InputKind, String)>,
) -> Vec<Msg> {
    let stale = matches!(error, GatewayError::Stale);
    let mut msgs = vec![failed(error)];
    if stale && let Ok(current) = gateway.detail(id).await {
        msgs.push(Msg::Upserted(Box::new(list_row(current.summary, None))));
    }
    if let Some((kind, text)) = text {
        msgs.push(Msg::KeepText { kind, text });
    }
    msgs
}

/// The message for a failed gateway call.
pub fn failed(error: GatewayError) -> Msg {
    // The service's and the network's wording is for logs; the operator reads the catalog's,
    // in their language.
    let key = match &error {
        GatewayError::IllegalTransition(_)
        | GatewayError::Unreachable(_)
        | GatewayError::Conflict(_)
        | GatewayError::Forbidden(_) => Some(refusal_key(&error)),
        GatewayError::Stale
        | GatewayError::NotFound(_)
        | GatewayError::Rejected(_)
        | GatewayError::Resync => None,
    };
    if let Some(key) = key {
        tracing::info!(%error, "action refused");
        return Msg::Refused { key };
    }
    Msg::Failed {
        stale: matches!(error, GatewayError::Stale),
        message: error.to_string(),
    }
}

/// The catalog key explaining a refused write to the operator.
pub fn refusal_key(error: &GatewayError) -> &'static str {
    match error {
        GatewayError::IllegalTransition(_) => "error.illegal_transition",
        GatewayError::Unreachable(_) => "error.unreachable",
        GatewayError::Conflict(_) => "error.conflict",
        GatewayError::Forbidden(_) => "error.forbidden",
        GatewayError::Stale => "error.stale",
        GatewayError::NotFound(_) => "error.not_found",
        GatewayError::Rejected(_) | GatewayError::Resync => "error.rejected",
    }
}

/// The editor a message kind is written in.
pub fn input_kind(kind: MessageKind) -> InputKind {
    match kind {
        MessageKind::InternalNote => InputKind::Note,
        MessageKind::IntegrationRequest => InputKind::Integration,
        MessageKind::Reply | MessageKind::PatronatoMessage => InputKind::Reply,
    }
}

/// A request as `GET /v1/requests/{id}` returns it, shaped like a list row: the codice fiscale
/// masked as lists show it, the citizen's name kept from `known` when the answer lacks it.
pub fn list_row(mut summary: RequestSummary, known: Option<&RequestSummary>) -> RequestSummary {
    if let Ok(cf) = CodiceFiscale::parse(&summary.citizen) {
        summary.citizen = cf.masked();
    }
    if summary.citizen_name.is_none() {
        summary.citizen_name = known.and_then(|k| k.citizen_name.clone());
    }
    summary
}

/// Who else is on which request, as heard from `presence` events; never ourselves.
#[derive(Debug, Clone, Default)]
pub struct PresenceBoard {
    me: String,
    /// Per request: viewer and when we last heard of them (local time).
    entries: HashMap<RequestId, Vec<(Viewer, Timestamp)>>,
    /// Latest server time seen on a presence event, to ignore replays of old ones.
    newest: Option<Timestamp>,
}

impl PresenceBoard {
    pub fn new(me: &str) -> Self {
        PresenceBoard {
            me: me.to_string(),
            ..PresenceBoard::default()
        }
    }

    /// Records one announcement made at `at` (server time), heard at `now` (local time);
    /// the request's new viewer list when it changed.
    pub fn apply(
        &mut self,
        id: RequestId,
        event: PresenceEvent,
        at: Timestamp,
        now: Timestamp,
    ) -> Option<Msg> {
        if event.user == self.me {
            return None;
        }
        let newest = *self.newest.get_or_insert(at);
        // After a reconnect the stream replays what we missed; old announcements are dead.
        if at < newest - PRESENCE_TTL {
            return None;
        }
        self.newest = Some(newest.max(at));
        let entries = self.entries.entry(id.clone()).or_default();
        let before: Vec<Viewer> = entries.iter().map(|(v, _)| v.clone()).collect();
        entries.retain(|(v, _)| v.user != event.user);
        if event.activity != PresenceActivity::Left {
            entries.push((
                Viewer {
                    user: event.user,
                    name: event.name,
                    activity: event.activity,
                },
                now,
            ));
            entries.sort_by(|a, b| a.0.user.cmp(&b.0.user));
        }
        let after: Vec<Viewer> = entries.iter().map(|(v, _)| v.clone()).collect();
        if entries.is_empty() {
            self.entries.remove(&id);
        }
        (before != after).then_some(Msg::Presence { id, viewers: after })
    }

    /// Drops entries not renewed within [`PRESENCE_TTL`]; one message per request changed.
    pub fn sweep(&mut self, now: Timestamp) -> Vec<Msg> {
        let mut msgs = Vec::new();
        self.entries.retain(|id, entries| {
            let before = entries.len();
            entries.retain(|(_, heard)| now.duration_since(*heard) < PRESENCE_TTL);
            if entries.len() != before {
                msgs.push(Msg::Presence {
                    id: id.clone(),
                    viewers: entries.iter().map(|(v, _)| v.clone()).collect(),
                });
            }
            !entries.is_empty()
        });
        msgs.sort_by(|a, b| match (a, b) {
            (Msg::Presence { id: x, .. }, Msg::Presence { id: y, .. }) => x.cmp(y),
            _ => std::cmp::Ordering::Equal,
        });
        msgs
    }
}

/// What the UI says we are doing: replying while the reply editor is open, viewing while the
/// detail pane has the focus.
pub fn wanted_presence(state: &State) -> Option<(RequestId, PresenceActivity)> {
    let replying = matches!(
        state.mode,
        Mode::Input {
            kind: InputKind::Reply,
            ..
        }
    );
    if !replying && state.focus != Pane::Detail {
        return None;
    }
    let id = state.current()?.id.clone();
    let activity = if replying {
        PresenceActivity::Replying
    } else {
        PresenceActivity::Viewing
    };
    Some((id, activity))
}

/// Decides which announcements to send: a change at once (with `left` for the request we
/// leave), the same activity again every [`PRESENCE_HEARTBEAT`].
#[derive(Debug, Clone, Default)]
pub struct Announcer {
    current: Option<(RequestId, PresenceActivity)>,
    sent_at: Option<Timestamp>,
}

impl Announcer {
    /// Announcements due at `now` given what the UI `wants`.
    pub fn due(
        &mut self,
        wants: Option<(RequestId, PresenceActivity)>,
        now: Timestamp,
    ) -> Vec<(RequestId, PresenceActivity)> {
        if wants == self.current {
            let fresh = self
                .sent_at
                .is_some_and(|at| now.duration_since(at) < PRESENCE_HEARTBEAT);
            return match (&self.current, fresh) {
                (Some(current), false) => {
                    self.sent_at = Some(now);
                    vec![current.clone()]
                }
                _ => vec![],
            };
        }
        let mut out = Vec::new();
        if let Some((old, _)) = &self.current
            && wants.as_ref().is_none_or(|(id, _)| id != old)
        {
            out.push((old.clone(), PresenceActivity::Left));
        }
        out.extend(wants.clone());
        self.current = wants;
        self.sent_at = Some(now);
        out
    }

    /// While an external editor holds the terminal (and the loop), keeps announcing
    /// `replying` in the background; abort the task when the editor returns.
    pub fn hold_while_editing(
        &mut self,
        state: &State,
        kind: InputKind,
        gateway: &Arc<dyn Gateway>,
    ) -> Option<JoinHandle<()>> {
        if kind != InputKind::Reply {
            return None;
        }
        let id = state.current()?.id.clone();
        self.current = Some((id.clone(), PresenceActivity::Replying));
        self.sent_at = None;
        let gateway = Arc::clone(gateway);
        Some(tokio::spawn(async move {
            let heartbeat = Duration::from_secs(PRESENCE_HEARTBEAT.as_secs().unsigned_abs());
            loop {
                if let Err(error) = gateway.announce(&id, PresenceActivity::Replying).await {
                    tracing::debug!(%error, "presence announcement failed");
                }
                tokio::time::sleep(heartbeat).await;
            }
        }))
    }

    /// Says `left` for whatever we announced last (on quit); waits at most a second.
    pub async fn leave(&mut self, gateway: &dyn Gateway) {
        let Some((id, _)) = self.current.take() else {
            return;
        };
        let _ = tokio::time::timeout(
            Duration::from_secs(1),
            gateway.announce(&id, PresenceActivity::Left),
        )
        .await;
    }

    /// Sends what is due for `state` through `gateway`, in the background and in order.
    pub fn observe(&mut self, state: &State, gateway: &Arc<dyn Gateway>) {
        let due = self.due(wanted_presence(state), state.now.max(Timestamp::now()));
        if due.is_empty() {
            return;
        }
        let gateway = Arc::clone(gateway);
        tokio::spawn(async move {
            for (id, activity) in due {
                if let Err(error) = gateway.announce(&id, activity).await {
                    tracing::debug!(%error, "presence announcement failed");
                }
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u32) -> RequestId {
        RequestId::new(2026, n)
    }

    fn at(secs: i64) -> Timestamp {
        Timestamp::from_second(1_800_000_000 + secs).unwrap()
    }

    fn event(user: &str, activity: PresenceActivity) -> PresenceEvent {
        PresenceEvent {
            user: user.into(),
            name: format!("Name of {user}"),
            activity,
        }
    }

    fn envelope(kind: &str, request: RequestId) -> EventEnvelope {
        EventEnvelope {
            seq: 1,
            at: at(0),
            kind: kind.into(),
            request_id: Some(request),
            office: Some("RM01".into()),
            data: serde_json::json!({}),
        }
    }

    #[test]
    fn sla_alerts_fetch_nothing_request_changes_do() {
        let gateway = crate::tui::gateway::LocalGateway::new("mrossi", vec![]);
        let mut board = PresenceBoard::new("mrossi");
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let alert = EventItem::Event(envelope("sla.breach", id(1)));
        let alert_msgs = rt.block_on(handle(alert, &gateway, &mut board, at(0)));
        assert!(alert_msgs.is_empty());
        // An update to a request the gateway no longer has (forwarded away) drops its row.
        let update = EventItem::Event(envelope("request.updated", id(1)));
        let update_msgs = rt.block_on(handle(update, &gateway, &mut board, at(0)));
        assert!(matches!(
            update_msgs.as_slice(),
            [Msg::Changed { rows, removed }] if rows.is_empty() && removed == &[id(1)]
        ));
    }

    fn viewers(msg: Option<Msg>) -> Vec<(String, PresenceActivity)> {
        match msg {
            Some(Msg::Presence { viewers, .. }) => {
                viewers.into_iter().map(|v| (v.user, v.activity)).collect()
            }
            other => panic!("expected presence, got {other:?}"),
        }
    }

    #[test]
    fn board_tracks_others_and_ignores_me() {
        let mut board = PresenceBoard::new("me");
        assert!(
            board
                .apply(id(1), event("me", PresenceActivity::Viewing), at(0), at(0))
                .is_none()
        );
        let msg = board.apply(id(1), event("gb", PresenceActivity::Viewing), at(1), at(1));
        assert_eq!(viewers(msg), vec![("gb".into(), PresenceActivity::Viewing)]);
        let msg = board.apply(id(1), event("gb", PresenceActivity::Replying), at(2), at(2));
        assert_eq!(
            viewers(msg),
            vec![("gb".into(), PresenceActivity::Replying)]
        );
        // A heartbeat with nothing new says nothing.
        assert!(
            board
                .apply(
                    id(1),
                    event("gb", PresenceActivity::Replying),
                    at(20),
                    at(20)
                )
                .is_none()
        );
        let msg = board.apply(id(1), event("gb", PresenceActivity::Left), at(21), at(21));
        assert!(viewers(msg).is_empty());
    }

    #[test]
    fn entries_expire_unless_renewed() {
        let mut board = PresenceBoard::new("me");
        board.apply(id(1), event("a", PresenceActivity::Viewing), at(0), at(0));
        board.apply(id(2), event("b", PresenceActivity::Viewing), at(0), at(0));
        board.apply(id(2), event("b", PresenceActivity::Viewing), at(40), at(40));
        assert!(board.sweep(at(59)).is_empty());
        let msgs = board.sweep(at(61));
        assert_eq!(msgs.len(), 1);
        assert!(
            matches!(&msgs[0], Msg::Presence { id: x, viewers } if *x == id(1) && viewers.is_empty())
        );
        assert_eq!(board.sweep(at(101)).len(), 1);
        assert!(board.sweep(at(200)).is_empty());
    }

    #[test]
    fn replayed_old_announcements_are_ignored() {
        let mut board = PresenceBoard::new("me");
        board.apply(
            id(1),
            event("a", PresenceActivity::Viewing),
            at(500),
            at(500),
        );
        assert!(
            board
                .apply(
                    id(2),
                    event("b", PresenceActivity::Viewing),
                    at(100),
                    at(501)
                )
                .is_none()
        );
    }

    fn state(item: ConnectionState) -> EventItem {
        EventItem::State(item)
    }

    fn reconnecting() -> EventItem {
        state(ConnectionState::Reconnecting {
            attempt: 1,
            delay: Duration::from_millis(250),
            reason: "reset".into(),
        })
    }

    #[test]
    fn the_list_loads_once_connected_then_only_changes_after_each_outage() {
        use Reload::*;
        let mut link = Link::default();
        assert_eq!(link.observe(&state(ConnectionState::Connecting)), None);
        assert_eq!(link.observe(&state(ConnectionState::Connected)), Some(Full));
        assert_eq!(link.observe(&reconnecting()), None);
        assert_eq!(link.observe(&reconnecting()), None);
        assert_eq!(
            link.observe(&state(ConnectionState::Connected)),
            Some(Changes)
        );
        assert_eq!(link.observe(&state(ConnectionState::Connected)), None);
        // The service no longer holds what we missed: everything again.
        assert_eq!(link.observe(&EventItem::Resync { seq: None }), Some(Full));
        // Never connected: load once anyway, then the changes when the stream comes up.
        let mut offline = Link::default();
        assert_eq!(offline.observe(&reconnecting()), Some(Full));
        assert_eq!(offline.observe(&reconnecting()), None);
        assert_eq!(
            offline.observe(&state(ConnectionState::Connected)),
            Some(Changes)
        );
    }

    #[test]
    fn events_the_load_already_reflects_fetch_nothing() {
        let mut sync = Sync::default();
        // Before any load every event is fetched, and no position is claimed.
        assert!(sync.fresh(3));
        assert_eq!(sync.synced(), None);
        sync.reflects(Some(10));
        assert!(!sync.fresh(9));
        assert!(!sync.fresh(10));
        assert!(sync.fresh(0), "presence is never skipped");
        assert!(sync.fresh(11));
        assert_eq!(sync.synced(), Some(11));
        // A reload that knows no position (a gateway without events) keeps the skip mark.
        sync.reflects(None);
        assert_eq!(sync.synced(), None);
        assert!(!sync.fresh(10));
    }

    #[test]
    fn a_gateway_without_events_loads_in_one_page_and_cannot_catch_up() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let gateway = crate::tui::gateway::LocalGateway::new("mrossi", vec![]);
        let mut msgs = Vec::new();
        let seq = rt
            .block_on(load_list(&gateway, &mut |m| msgs.push(m)))
            .unwrap();
        assert_eq!(seq, None);
        assert!(matches!(
            msgs.as_slice(),
            [Msg::Page {
                first: true,
                more: false,
                ..
            }]
        ));
        assert!(matches!(
            rt.block_on(catch_up(&gateway, 5)),
            Err(GatewayError::Resync)
        ));
    }

    #[test]
    fn announcer_sends_changes_leaves_and_heartbeats() {
        use PresenceActivity::*;
        let mut a = Announcer::default();
        assert!(a.due(None, at(0)).is_empty());
        assert_eq!(a.due(Some((id(1), Viewing)), at(1)), vec![(id(1), Viewing)]);
        assert!(a.due(Some((id(1), Viewing)), at(10)).is_empty());
        assert_eq!(
            a.due(Some((id(1), Viewing)), at(26)),
            vec![(id(1), Viewing)]
        );
        assert_eq!(
            a.due(Some((id(1), Replying)), at(27)),
            vec![(id(1), Replying)]
        );
        assert_eq!(
            a.due(Some((id(2), Viewing)), at(28)),
            vec![(id(1), Left), (id(2), Viewing)]
        );
        assert_eq!(a.due(None, at(29)), vec![(id(2), Left)]);
        assert!(a.due(None, at(90)).is_empty());
    }
}
