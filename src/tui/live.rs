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
    loop {
        let msgs = tokio::select! {
            item = events.next() => match item {
                Some(item) => {
                    let must_reload = link.observe(&item);
                    let mut msgs = handle(item, gateway, &mut board, Timestamp::now()).await;
                    if must_reload {
                        msgs.extend(reload(gateway).await);
                    }
                    msgs
                }
                None => vec![Msg::Offline(true)],
            },
            _ = sweep.tick() => board.sweep(Timestamp::now()),
            _ = tx.closed() => return,
        };
        for msg in msgs {
            if tx.send(msg).is_err() {
                return;
            }
        }
    }
}

/// When the whole list must be (re)loaded, from the connection's history.
#[derive(Debug, Clone, Copy, Default)]
pub struct Link {
    loaded: bool,
    down: bool,
}

impl Link {
    /// True when `item` calls for a full load: the first connection (the list is loaded once
    /// the subscription is up, so no change falls in between), every reconnection (a stream
    /// that delivered nothing before breaking resumes without `Last-Event-ID`), and the first
    /// failure to connect (the list shows even while events are unavailable).
    pub fn observe(&mut self, item: &EventItem) -> bool {
        let reload = match item {
            EventItem::State(ConnectionState::Connected) => {
                let reload = !self.loaded || self.down;
                self.down = false;
                reload
            }
            EventItem::State(ConnectionState::Reconnecting { .. } | ConnectionState::Closed(_)) => {
                self.down = true;
                !self.loaded
            }
            _ => false,
        };
        self.loaded |= reload;
        reload
    }
}

/// What one stream item means for the UI.
pub async fn handle(
    item: EventItem,
    gateway: &dyn Gateway,
    board: &mut PresenceBoard,
    now: Timestamp,
) -> Vec<Msg> {
    match item {
        EventItem::Event(envelope) => on_event(envelope, gateway, board, now).await,
        EventItem::Resync { .. } => reload(gateway).await,
        EventItem::State(ConnectionState::Connected) => vec![Msg::Offline(false)],
        EventItem::State(ConnectionState::Connecting) => vec![],
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
        // Forwarded out of our scope (or gone): reload rather than keep a ghost row.
        Err(GatewayError::NotFound(_)) => reload(gateway).await,
        Err(error) => {
            tracing::warn!(%error, request = id.as_str(), "live update fetch failed");
            vec![]
        }
    }
}

async fn reload(gateway: &dyn Gateway) -> Vec<Msg> {
    match gateway.list().await {
        Ok(list) => vec![Msg::Loaded(list)],
        Err(error) => {
            tracing::warn!(%error, "live reload failed");
            vec![]
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
        GatewayError::Stale | GatewayError::NotFound(_) | GatewayError::Rejected(_) => None,
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
        GatewayError::Rejected(_) => "error.rejected",
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
        // An update to a request the gateway no longer has reloads the list.
        let update = EventItem::Event(envelope("request.updated", id(1)));
        let update_msgs = rt.block_on(handle(update, &gateway, &mut board, at(0)));
        assert!(matches!(update_msgs.as_slice(), [Msg::Loaded(list)] if list.is_empty()));
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
    fn the_list_loads_once_connected_and_again_after_each_outage() {
        let mut link = Link::default();
        assert!(!link.observe(&state(ConnectionState::Connecting)));
        assert!(link.observe(&state(ConnectionState::Connected)));
        assert!(!link.observe(&EventItem::Resync { seq: None }));
        assert!(!link.observe(&reconnecting()));
        assert!(!link.observe(&reconnecting()));
        assert!(link.observe(&state(ConnectionState::Connected)));
        assert!(!link.observe(&state(ConnectionState::Connected)));
        // Never connected: load once anyway, then only when the stream comes up.
        let mut offline = Link::default();
        assert!(offline.observe(&reconnecting()));
        assert!(!offline.observe(&reconnecting()));
        assert!(offline.observe(&state(ConnectionState::Connected)));
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
