//! Workflows driven by key events through the key bindings, against the real service: an
//! in-process `service::start` on a SQLite file in a temp dir, seeded with the starter dataset,
//! reached over HTTP on loopback through `ClientGateway`, with server events over real SSE.
//! Every effect the keys produce is executed for real and the outcome is checked on the server.

use std::sync::Arc;
use std::time::{Duration, Instant};

mod common;

use combipat::api::{
    ActionBody, EventEnvelope, NewMessage, NewRequest, PresenceActivity, RequestSummary,
};
use combipat::client::{
    Client, ClientError, ClientOptions, ConnectionState, EventItem, EventStream, IdempotencyKey,
};
use combipat::domain::request::{MessageKind, Priority, RequestId, Status, Topic};
use combipat::domain::roles::Role;
use combipat::domain::sla::SlaState;
use combipat::i18n::{Lang, t};
use combipat::service::{self, RunningService, ServiceConfig};
use combipat::tui::app::perform;
use combipat::tui::gateway::Gateway;
use combipat::tui::headless::Headless;
use combipat::tui::live::{self, Announcer};
use combipat::tui::remote::ClientGateway;
use combipat::tui::state::{Mode, Operator, Pane, PickValue, Queue, State, sla_of};
use combipat::tui::theme::Theme;
use combipat::tui::update::{Msg, UNDO_SECONDS};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use futures::StreamExt;
use jiff::SignedDuration;
use tokio::sync::mpsc;

/// Upper bound for waiting on an SSE delivery; a guard against hanging, not a measurement.
const PATIENCE: Duration = Duration::from_secs(30);

/// A request of the seeded data whose thread carries every kind of hostile text.
const HOSTILE_SUBJECT: &str =
    "Pratica \u{1b}[2J\u{1b}]0;pwned\u{7} \u{202e}txt.exe\u{202c} zero\u{200b}width";
const HOSTILE_BODY: &str = "Gentile sede, zero\u{200b}width\n\u{1b}]52;c;ZXZpbA==\u{7} copia\u{9b}31m rosso\u{85}\nriga \u{2066}isolata\u{2069} \u{202e}exe.txt\u{202c} \u{feff}fine\u{1b}[0m";

struct Flow {
    rt: tokio::runtime::Runtime,
    service: Option<RunningService>,
    dir: tempfile::TempDir,
    base_url: String,
    /// The operator at the keyboard (m.rossi, RM01).
    gateway: Arc<ClientGateway>,
    /// The same user's own client, to ask the service directly.
    user: Client,
    /// Sees everything: checks what the server holds.
    admin: Client,
    patronato: Client,
    h: Headless,
    live: Option<mpsc::UnboundedReceiver<Msg>>,
    hostile: RequestId,
    /// The PostgreSQL database when the suite runs on PostgreSQL (`COMBIPAT_TEST_STORE`).
    database: Option<String>,
}

fn key(code: KeyCode) -> KeyEvent {
    KeyEvent::new(code, KeyModifiers::NONE)
}

fn ctrl(c: char) -> KeyEvent {
    KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL)
}

fn client(url: &str, token: &str) -> Client {
    // A short reconnection spread: the tests restart services and wait for the streams.
    let options = ClientOptions {
        reconnect_spread: Duration::from_millis(200),
        ..ClientOptions::default()
    };
    Client::new(url, token, options).unwrap()
}

impl Flow {
    /// The operator m.rossi (RM01) at the keyboard.
    fn new() -> Self {
        Self::as_role(Role::Operator)
    }

    /// The demo user of `role` at the keyboard, on the starter dataset.
    fn as_role(role: Role) -> Self {
        let now = jiff::Timestamp::now();
        let flow = Self::on(role, service::starter_dataset(7, now), now);
        assert!(!flow.h.state.visible.is_empty());
        flow
    }

    /// The demo user of `role` at the keyboard, on `dataset` (seeded before start, with one
    /// new request of the user's office given hostile text).
    fn on(role: Role, mut dataset: combipat::demo::Dataset, now: jiff::Timestamp) -> Self {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let office = dataset
            .operators
            .iter()
            .find(|o| o.role == role)
            .and_then(|o| o.office.clone())
            .unwrap();
        // Generated data may hold no new request at this hour: then any of the office (the
        // hostile text is tested on the starter dataset, which has new ones).
        let at = (dataset.requests.iter())
            .position(|r| r.office == office && r.status == Status::Nuova)
            .or_else(|| dataset.requests.iter().position(|r| r.office == office))
            .unwrap();
        let hostile = &mut dataset.requests[at];
        hostile.subject = HOSTILE_SUBJECT.into();
        hostile.thread[0].body = HOSTILE_BODY.into();
        let hostile = hostile.id.clone();
        let database = rt.block_on(common::test_database());
        let service = rt.block_on(async {
            let sla = service::Sla::embedded().unwrap();
            let store = service::open_database(dir.path(), database.as_deref(), sla)
                .await
                .unwrap();
            service::seed::seed_store(store.as_ref(), dir.path(), dataset)
                .await
                .unwrap();
            drop(store);
            let loopback = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
            service::start(
                ServiceConfig::new(loopback, dir.path())
                    .with_database(database.clone())
                    .with_demo(true),
            )
            .await
            .unwrap()
        });
        let credentials = service.credentials().unwrap().clone();
        let base_url = service.base_url();
        let operator = client(&base_url, credentials.token(role).unwrap());
        let admin = client(&base_url, credentials.token(Role::Admin).unwrap());
        let patronato = client(&base_url, credentials.token(Role::Patronato).unwrap());
        // Log in as the workstation does.
        let me = rt.block_on(operator.me()).unwrap();
        let user = operator.clone();
        let gateway = Arc::new(ClientGateway::new(operator));
        let mut state = State::new(
            Lang::En,
            Operator {
                username: me.username,
                office: me.office.unwrap(),
            },
            now,
        );
        state.offices = vec![
            ("MI01".into(), "Sede provinciale di Milano".into()),
            ("NA01".into(), "Sede provinciale di Napoli".into()),
        ];
        let mut flow = Flow {
            rt,
            service: Some(service),
            dir,
            base_url,
            gateway,
            user,
            admin,
            patronato,
            h: Headless::new(state, 160, 48, Theme::default()),
            live: None,
            hostile,
            database,
        };
        flow.h.effects.push(combipat::tui::update::Effect::Refresh);
        flow.settle();
        // "Unassigned in my office": new requests only (the starter dataset always has some).
        flow.show_queue(Queue::Unassigned);
        flow
    }

    fn show_queue(&mut self, queue: Queue) {
        let s = &mut self.h.state;
        s.queue_cursor = s.queues.iter().position(|q| *q == queue).unwrap();
        s.cursor = 0;
        s.invalidate_filter();
        s.refilter();
        self.h.draw();
    }

    /// Moves the cursor to `id` in the "all open" queue.
    fn select(&mut self, id: &RequestId) {
        self.show_queue(Queue::All);
        assert!(self.h.state.select_id(id), "{} not listed", id.as_str());
        self.h.draw();
    }

    fn gateway(&self) -> Arc<dyn Gateway> {
        self.gateway.clone()
    }

    fn keys(&mut self, keys: &[KeyEvent]) {
        for k in keys {
            self.h.press(*k);
            self.settle();
        }
        self.h.draw();
    }

    fn text(&mut self, text: &str) {
        let keys: Vec<KeyEvent> = text.chars().map(|c| key(KeyCode::Char(c))).collect();
        self.keys(&keys);
    }

    /// Runs pending effects for real until none are left.
    fn settle(&mut self) {
        let gateway = self.gateway();
        while !self.h.effects.is_empty() {
            let effects = std::mem::take(&mut self.h.effects);
            for effect in effects {
                for msg in self.rt.block_on(perform(effect, gateway.as_ref())) {
                    self.h.send(msg);
                }
            }
        }
    }

    /// Moves the workstation clock (undo windows) and runs what falls due.
    fn advance(&mut self, secs: i64) {
        let at = self.h.state.now + SignedDuration::from_secs(secs);
        self.h.send(Msg::Tick(at));
        self.settle();
        self.h.draw();
    }

    fn current(&self) -> RequestSummary {
        self.h.state.current().unwrap().clone()
    }

    fn server(&self, id: &RequestId) -> combipat::api::RequestDetail {
        self.rt.block_on(self.admin.get_request(id)).unwrap().value
    }

    fn screen(&mut self) -> String {
        self.h.draw();
        self.h.screen()
    }

    /// Subscribes the workstation to server events (as `app::run` does) and waits until the
    /// stream is connected, so nothing done afterwards can be missed.
    fn go_live(&mut self) {
        let (tx, rx) = mpsc::unbounded_channel();
        let gateway = self.gateway();
        let me = self.h.state.me.username.clone();
        let events = {
            let _guard = self.rt.enter();
            gateway.events().unwrap()
        };
        self.rt.spawn(async move {
            live::run(events, gateway.as_ref(), &me, &tx).await;
        });
        self.live = Some(rx);
        self.pump_until("the event stream to connect", |_, msg| {
            matches!(msg, Some(Msg::Offline(false)))
        });
    }

    /// Feeds live messages into the workstation until `done(state, last message)` holds.
    fn pump_until(&mut self, what: &str, done: impl Fn(&State, Option<&Msg>) -> bool) {
        let started = Instant::now();
        let mut rx = self.live.take().expect("go_live first");
        let mut last: Option<Msg> = None;
        while !done(&self.h.state, last.as_ref()) {
            assert!(started.elapsed() < PATIENCE, "no {what} over SSE");
            let next = self.rt.block_on(async {
                tokio::time::timeout(Duration::from_millis(250), rx.recv()).await
            });
            last = match next {
                Ok(Some(msg)) => {
                    self.h.send(msg.clone());
                    self.settle();
                    Some(msg)
                }
                Ok(None) => panic!("live updates ended while waiting for {what}"),
                Err(_) => None,
            };
        }
        self.live = Some(rx);
        self.h.draw();
    }

    /// Another operator of the same office (g.bianchi), with a token of their own.
    fn colleague(&self) -> Client {
        self.token_for("g.bianchi")
    }

    /// An operator of `office` other than the user at the keyboard, with a token of their own.
    fn colleague_in(&self, office: &str) -> Client {
        let me = &self.h.state.me.username;
        let operators = self
            .rt
            .block_on(self.user.office_operators(office))
            .unwrap();
        let colleague = operators
            .iter()
            .find(|o| o.role == Role::Operator && &o.username != me)
            .unwrap();
        self.token_for(&colleague.username)
    }

    fn token_for(&self, username: &str) -> Client {
        let store = self.service.as_ref().unwrap().store();
        let token = self
            .rt
            .block_on(store.issue_token(username, "flow test"))
            .unwrap()
            .token;
        client(&self.base_url, &token)
    }
}

/// A request the INCA patronato files for a citizen it holds a mandate for, at RM01.
fn filing(subject: &str, body: &str) -> NewRequest {
    NewRequest {
        office: "RM01".into(),
        topic: Topic::Pensioni,
        citizen: "BNCGNN70A41H501V".into(),
        application_protocol: None,
        subject: subject.into(),
        body: body.into(),
        priority: Priority::Normale,
    }
}

/// Waits until `events` is connected, so nothing done afterwards can be missed.
fn wait_connected(rt: &tokio::runtime::Runtime, events: &mut EventStream) {
    rt.block_on(async {
        tokio::time::timeout(PATIENCE, async {
            while let Some(item) = events.next().await {
                if matches!(item, EventItem::State(ConnectionState::Connected)) {
                    return;
                }
            }
        })
        .await
    })
    .expect("event stream connects");
}

/// The next server event (of `kind`, if given) on `events`.
fn next_event(
    rt: &tokio::runtime::Runtime,
    events: &mut EventStream,
    kind: Option<&str>,
) -> EventEnvelope {
    rt.block_on(async {
        tokio::time::timeout(PATIENCE, async {
            while let Some(item) = events.next().await {
                if let EventItem::Event(e) = item
                    && kind.is_none_or(|k| e.kind == k)
                {
                    return Some(e);
                }
            }
            None
        })
        .await
    })
    .expect("an event in time")
    .expect("the stream stays open")
}

impl Drop for Flow {
    fn drop(&mut self) {
        if let Some(service) = self.service.take() {
            let _ = self.rt.block_on(service.shutdown());
        }
    }
}

#[test]
fn take_reply_close() {
    let mut f = Flow::new();
    let id = f.current().id;
    assert_eq!(f.current().status, Status::Nuova);
    f.text("t");
    assert_eq!(f.server(&id).summary.status, Status::InLavorazione);
    assert_eq!(f.server(&id).summary.assignee.as_deref(), Some("m.rossi"));
    // The taken request left "unassigned" but stays under the cursor: the reply lands on it.
    assert_eq!(f.current().id, id);
    f.text("r");
    f.text("Buongiorno, pratica in lavorazione.");
    f.keys(&[ctrl('s')]);
    let after_reply = f.server(&id);
    assert_eq!(after_reply.summary.status, Status::RispostaInviata);
    assert!(
        after_reply.thread.iter().any(
            |e| e.kind == MessageKind::Reply && e.body == "Buongiorno, pratica in lavorazione."
        )
    );
    // Our own write moved the row on: same version as the server, no banner.
    assert_eq!(f.current().version, after_reply.summary.version);
    assert!(!f.h.state.detail_stale);
    f.text("c");
    f.keys(&[key(KeyCode::Enter)]);
    // Deferred: nothing sent until the undo window passes.
    assert_eq!(f.server(&id).summary.status, Status::RispostaInviata);
    f.advance(UNDO_SECONDS + 1);
    assert_eq!(f.server(&id).summary.status, Status::Chiusa);
    assert_eq!(f.h.state.request(&id).unwrap().status, Status::Chiusa);
}

#[test]
fn a_reply_the_status_does_not_allow_is_refused_before_anything_is_typed() {
    let mut f = Flow::new();
    f.h.state.take_before_reply = false;
    let id = f.current().id;
    assert_eq!(f.current().status, Status::Nuova);
    let before = f.server(&id).summary.version;
    // The hint line does not offer what the status forbids.
    let hints = f
        .screen()
        .lines()
        .rev()
        .nth(1)
        .unwrap_or_default()
        .to_string();
    assert!(hints.contains("take"), "{hints}");
    assert!(!hints.contains("reply"), "{hints}");
    assert!(!hints.contains("close"), "{hints}");
    for k in ["r", "R", "i", "c"] {
        f.text(k);
        // No dialog opens: nothing is typed for nothing.
        assert_eq!(f.h.state.mode, Mode::Normal, "{k}");
        let notice = f.h.state.notice.clone().expect("a notice");
        assert!(notice.error);
        assert_eq!(notice.text, t(Lang::En, "avail.take_first"), "{k}");
    }
    // Nothing was scheduled either: no "Closed: u undoes" for a close that would fail.
    assert!(f.h.state.pending.is_none());
    f.advance(UNDO_SECONDS + 1);
    assert_eq!(f.server(&id).summary.version, before, "nothing written");
    // `?` help says why, before anything is tried.
    f.text("?");
    let help = f.screen();
    assert!(help.contains("✗ Take the request first"), "{help}");
    f.keys(&[key(KeyCode::Esc)]);
}

#[test]
fn replying_to_a_new_request_of_ones_office_takes_it_first() {
    let mut f = Flow::new();
    let id = f.current().id;
    assert_eq!(f.current().status, Status::Nuova);
    f.text("r");
    assert!(matches!(f.h.state.mode, Mode::Input { .. }));
    assert_eq!(f.server(&id).summary.assignee.as_deref(), Some("m.rossi"));
    f.text("Presa in carico e risposta");
    f.keys(&[ctrl('s')]);
    let server = f.server(&id);
    assert_eq!(server.summary.status, Status::RispostaInviata);
    assert!(
        server
            .thread
            .iter()
            .any(|e| e.kind == MessageKind::Reply && e.body == "Presa in carico e risposta")
    );
}

#[test]
fn undo_within_the_window_leaves_the_server_unchanged() {
    let mut f = Flow::new();
    let id = f.current().id;
    f.text("t");
    f.select(&id);
    let before = f.server(&id).summary.version;
    f.text("c");
    f.keys(&[key(KeyCode::Enter)]);
    f.advance(1);
    f.text("u");
    f.advance(UNDO_SECONDS * 2);
    let server = f.server(&id).summary;
    assert_eq!(server.status, Status::InLavorazione);
    assert_eq!(server.version, before);
    assert!(f.screen().contains(t(Lang::En, "undo.done")));
}

#[test]
fn request_integration_pauses_the_server_clocks() {
    let mut f = Flow::new();
    let id = f.current().id;
    f.text("t");
    f.select(&id);
    f.text("i");
    f.text("Serve il modello AP70");
    f.keys(&[ctrl('s')]);
    let server = f.server(&id).summary;
    assert_eq!(server.status, Status::InAttesaIntegrazione);
    assert!(
        server.clocks.iter().any(|c| c.state == SlaState::Paused),
        "{:?}",
        server.clocks
    );
    assert!(server.clocks.iter().all(|c| c.state != SlaState::Ok));
    let row = f.h.state.request(&id).unwrap().clone();
    assert_eq!(sla_of(&row, f.h.state.now), Some(SlaState::Paused));
}

#[test]
fn forward_with_the_fuzzy_picker() {
    let mut f = Flow::new();
    let id = f.current().id;
    f.text("f");
    f.text("napo");
    f.keys(&[key(KeyCode::Enter)]);
    assert_eq!(f.server(&id).summary.office, "RM01", "held for undo");
    f.advance(UNDO_SECONDS + 1);
    let server = f.server(&id).summary;
    assert_eq!(server.status, Status::Trasferita);
    assert_eq!(server.office, "NA01");
}

#[test]
fn bulk_close_needs_confirmation() {
    let mut f = Flow::new();
    f.text("t");
    f.text("t");
    f.show_queue(Queue::Mine);
    let mine: Vec<RequestId> =
        f.h.state
            .visible
            .iter()
            .map(|&i| f.h.state.requests[i].id.clone())
            .collect();
    assert!(mine.len() >= 2);
    f.text("A");
    f.text("C");
    f.keys(&[key(KeyCode::Enter)]);
    assert!(matches!(f.h.state.mode, Mode::Confirm { .. }));
    f.keys(&[key(KeyCode::Esc)]);
    f.advance(UNDO_SECONDS + 1);
    assert!(
        mine.iter()
            .all(|id| f.server(id).summary.status != Status::Chiusa)
    );
    f.text("A");
    f.text("C");
    f.keys(&[key(KeyCode::Enter), key(KeyCode::Enter)]);
    f.advance(UNDO_SECONDS + 1);
    assert!(
        mine.iter()
            .all(|id| f.server(id).summary.status == Status::Chiusa)
    );
}

#[test]
fn a_stale_reply_is_refused_and_the_text_kept() {
    let mut f = Flow::new();
    let id = f.current().id;
    f.text("t");
    f.select(&id);
    f.keys(&[key(KeyCode::Enter)]);
    assert_eq!(f.h.state.focus, Pane::Detail);
    f.text("r");
    f.text("Risposta scritta su dati vecchi");
    // Meanwhile a colleague writes an internal note on the same request.
    let colleague = f.colleague();
    let version = f.server(&id).summary.version;
    f.rt.block_on(colleague.add_message(
        &id,
        &NewMessage {
            kind: MessageKind::InternalNote,
            body: "Nota della collega".into(),
        },
        Some(version),
        &IdempotencyKey::new(),
    ))
    .unwrap();
    f.keys(&[ctrl('s')]);
    // Refused with 412: nothing of ours on the server, the text is back in the editor.
    let server = f.server(&id);
    assert_eq!(server.summary.status, Status::InLavorazione);
    assert!(!server.thread.iter().any(|e| e.kind == MessageKind::Reply));
    assert!(
        matches!(&f.h.state.mode, Mode::Input { editor, .. } if editor.text() == "Risposta scritta su dati vecchi")
    );
    let notice = f.h.state.notice.clone().unwrap();
    assert!(notice.error);
    assert_eq!(notice.text, t(Lang::En, "error.stale_kept"));
    let screen = f.screen();
    assert!(
        screen.contains("Risposta scritta su dati vecchi"),
        "{screen}"
    );
    // The detail behind the dialog was reloaded: it holds the colleague's note, no banner.
    let detail = f.h.state.detail.clone().unwrap();
    assert_eq!(detail.summary.id, id);
    assert!(detail.thread.iter().any(|e| e.body == "Nota della collega"));
    assert!(!f.h.state.detail_stale);
    // Sending again, knowingly, goes through on the current version.
    f.keys(&[ctrl('s')]);
    let server = f.server(&id);
    assert_eq!(server.summary.status, Status::RispostaInviata);
    assert!(
        server
            .thread
            .iter()
            .any(|e| e.body == "Risposta scritta su dati vecchi")
    );
}

#[test]
fn changes_by_others_arrive_over_sse_with_banner_counts_and_presence() {
    let mut f = Flow::new();
    f.go_live();
    let id = f.current().id;
    let unassigned =
        f.h.state
            .queues
            .iter()
            .position(|q| *q == Queue::Unassigned)
            .unwrap();
    let count_before = f.h.state.queue_counts[unassigned];
    // Open the detail from "all open" (the request stays listed when someone takes it): the
    // workstation announces that we are viewing it.
    f.select(&id);
    f.keys(&[key(KeyCode::Enter)]);
    assert_eq!(f.h.state.focus, Pane::Detail);
    let colleague = f.colleague();
    let mut colleague_events = {
        let _guard = f.rt.enter();
        colleague.events(None)
    };
    wait_connected(&f.rt, &mut colleague_events);
    let mut announcer = Announcer::default();
    let gateway = f.gateway();
    f.rt.block_on(async { announcer.observe(&f.h.state, &gateway) });
    let heard = next_event(&f.rt, &mut colleague_events, Some("presence"));
    assert_eq!(heard.request_id.as_ref(), Some(&id));
    assert_eq!(heard.data["user"], "m.rossi");
    assert_eq!(heard.data["activity"], "viewing");
    // Opening the reply editor is announced too; closing it goes back to viewing.
    f.text("r");
    f.rt.block_on(async { announcer.observe(&f.h.state, &gateway) });
    let heard = next_event(&f.rt, &mut colleague_events, Some("presence"));
    assert_eq!(heard.data["activity"], "replying");
    f.keys(&[key(KeyCode::Esc)]);
    assert_eq!(f.h.state.mode, Mode::Normal);
    // Replying took it first; give it back so the colleague can take it.
    assert_eq!(f.server(&id).summary.assignee.as_deref(), Some("m.rossi"));
    f.text("x");
    assert_eq!(f.server(&id).summary.status, Status::Nuova);

    // The colleague replies to it meanwhile: presence first, then the take.
    f.rt.block_on(colleague.announce_presence(&id, PresenceActivity::Replying))
        .unwrap();
    f.pump_until("presence of the colleague", |s, _| {
        s.presence.contains_key(&id)
    });
    let screen = f.screen();
    assert!(screen.contains("G. Bianchi is replying"), "{screen}");
    assert!(screen.contains("✎ G. Bianchi"), "{screen}");
    let version = f.current().version;
    f.rt.block_on(colleague.act(&id, version, &ActionBody::Take, &IdempotencyKey::new()))
        .unwrap();
    f.pump_until("the colleague's take", |s, _| {
        s.request(&id).is_some_and(|r| r.version > version)
    });
    let row = f.h.state.request(&id).unwrap().clone();
    assert_eq!(row.assignee.as_deref(), Some("g.bianchi"));
    assert_eq!(row.status, Status::InLavorazione);
    // The list row carries the name as lists do (masked codice fiscale, citizen name).
    assert!(row.citizen.contains('*'));
    assert!(row.citizen_name.is_some());
    assert_eq!(f.h.state.queue_counts[unassigned], count_before - 1);
    assert!(f.h.state.detail_stale);
    let screen = f.screen();
    assert!(screen.contains("This request changed: press"), "{screen}");
    // Leaving: the presence entry goes away at once.
    f.rt.block_on(colleague.announce_presence(&id, PresenceActivity::Left))
        .unwrap();
    f.pump_until("the colleague leaving", |s, _| {
        !s.presence.contains_key(&id)
    });

    // A patronato files a new request: it appears in place, counts follow.
    let total_before = f.h.state.requests.len();
    let created =
        f.rt.block_on(f.patronato.create_request(
            &filing("Nuova richiesta in diretta", "Testo"),
            &IdempotencyKey::new(),
        ))
        .unwrap()
        .value
        .summary
        .id;
    f.pump_until("the new request", |s, _| s.request(&created).is_some());
    assert_eq!(f.h.state.requests.len(), total_before + 1);
    assert_eq!(f.h.state.queue_counts[unassigned], count_before);
}

#[test]
fn presence_is_scoped_like_reads_and_hidden_from_patronati() {
    let f = Flow::new();
    let gateway = f.gateway();
    // A request of another office is not ours to announce.
    let elsewhere =
        f.rt.block_on(f.admin.list_all_requests(&Default::default()))
            .unwrap()
            .into_iter()
            .find(|r| r.office == "MI01")
            .unwrap()
            .id;
    let refused =
        f.rt.block_on(f.gateway.announce(&elsewhere, PresenceActivity::Viewing));
    assert!(matches!(
        refused,
        Err(combipat::tui::gateway::GatewayError::NotFound(_))
    ));
    // Documented, and a bad activity is refused naming the field.
    let doc = f.rt.block_on(f.admin.openapi()).unwrap();
    assert!(doc["paths"]["/v1/requests/{id}/presence"]["post"].is_object());
    let mine = f.h.state.current().unwrap().id.clone();
    let token = f
        .service
        .as_ref()
        .unwrap()
        .credentials()
        .unwrap()
        .token(Role::Operator)
        .unwrap()
        .to_string();
    let (status, body) = f.rt.block_on(async {
        let response = reqwest::Client::new()
            .post(format!(
                "{}/v1/requests/{}/presence",
                f.base_url,
                mine.as_str()
            ))
            .bearer_auth(token)
            .json(&serde_json::json!({ "activity": "dancing" }))
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        (status, response.json::<serde_json::Value>().await.unwrap())
    });
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["field"], "activity", "{body}");
    // The patronato's stream skips presence: after our announcement on one of its requests, the
    // next event it gets is the request it files itself.
    let theirs =
        f.h.state
            .requests
            .iter()
            .find(|r| r.patronato == "INCA" && r.status.is_open())
            .unwrap()
            .id
            .clone();
    let mut events = {
        let _guard = f.rt.enter();
        f.patronato.events(None)
    };
    wait_connected(&f.rt, &mut events);
    f.rt.block_on(gateway.announce(&theirs, PresenceActivity::Replying))
        .unwrap();
    let filed =
        f.rt.block_on(
            f.patronato
                .create_request(&filing("Dopo la presenza", "Testo"), &IdempotencyKey::new()),
        )
        .unwrap()
        .value
        .summary
        .id;
    let first = next_event(&f.rt, &mut events, None);
    assert_eq!(first.kind, "request.created");
    assert_eq!(first.request_id.as_ref(), Some(&filed));
}

#[test]
fn hostile_text_renders_visible_and_inert() {
    let mut f = Flow::new();
    let id = f.hostile.clone();
    f.text("g");
    f.text(id.as_str());
    f.keys(&[key(KeyCode::Enter)]);
    assert_eq!(f.h.state.focus, Pane::Detail);
    assert_eq!(f.current().id, id);
    let screen = f.screen();
    assert!(screen.contains("Gentile sede"), "{screen}");
    for bad in [
        '\u{1b}', '\u{7}', '\u{9b}', '\u{85}', '\u{202e}', '\u{202c}', '\u{2066}', '\u{2069}',
        '\u{200b}', '\u{feff}',
    ] {
        assert!(
            !screen.contains(bad),
            "{bad:?} reached the screen:\n{screen}"
        );
    }
    // The attack is shown, not executed: ESC as a visible symbol, the payload as plain text.
    assert!(screen.contains("␛]52;c;ZXZpbA==␇"), "{screen}");
    assert!(screen.contains("␛[2J"), "{screen}");
    assert!(screen.contains("zerowidth"), "{screen}");
    // Through the API the same bytes are refused with the field named; format characters that
    // only hide or reorder text are accepted and then stripped on display.
    let refused = f.rt.block_on(
        f.patronato
            .create_request(&filing("Oggetto", HOSTILE_BODY), &IdempotencyKey::new()),
    );
    match refused {
        Err(ClientError::Invalid(body)) => assert_eq!(body.field.as_deref(), Some("body")),
        other => panic!("expected a refusal naming the body, got {other:?}"),
    }
}

#[test]
fn losing_the_service_shows_offline_and_coming_back_catches_up() {
    let mut f = Flow::new();
    f.go_live();
    // The list the stream loads once connected must be in before the service goes away: a
    // load cut short leaves nothing to catch up from, and the reconnection reloads it whole.
    f.pump_until("the first list load", |_, msg| {
        matches!(msg, Some(Msg::Page { more: false, .. }))
    });
    let service = f.service.take().unwrap();
    let addr = service.addr();
    f.rt.block_on(service.shutdown()).unwrap();
    f.pump_until("the connection loss", |s, _| s.offline);
    let screen = f.screen();
    assert!(screen.contains(t(Lang::En, "banner.offline")), "{screen}");
    // Same data dir, same address: the stream reconnects by itself and asks for what changed.
    let restarted =
        f.rt.block_on(service::start(
            ServiceConfig::new(addr, f.dir.path())
                .with_database(f.database.clone())
                .with_demo(true),
        ))
        .unwrap();
    f.service = Some(restarted);
    f.pump_until("the catch-up after reconnecting", |s, msg| {
        !s.offline && matches!(msg, Some(Msg::Changed { .. }))
    });
    assert!(!f.screen().contains(t(Lang::En, "banner.offline")));
}

#[test]
fn detail_pane_shows_the_dossier_from_the_service() {
    let mut f = Flow::new();
    // Citizen 0 of the starter data: INCA mandate active, ACLI mandate revoked.
    let id =
        f.h.state
            .requests
            .iter()
            .find(|r| r.citizen.starts_with("RSS") && r.status.is_open())
            .unwrap()
            .id
            .clone();
    f.select(&id);
    f.keys(&[key(KeyCode::Enter)]);
    let screen = f.screen();
    let dossier = f.h.state.dossier.clone().expect("dossier loaded");
    assert_eq!(dossier.citizen.codice_fiscale.as_str(), "RSSMRA85T10A562S");
    assert!(screen.contains("RSS***85T10****S Rossi Mario"), "{screen}");
    assert!(
        !screen.contains("RSSMRA85T10A562S"),
        "full codice fiscale shown"
    );
    assert!(screen.contains("Mandate: INCA active"), "{screen}");
    assert!(screen.contains("Mandate: ACLI revoked"), "{screen}");
    assert!(screen.contains(t(Lang::En, "detail.clocks")), "{screen}");
    assert!(screen.contains(t(Lang::En, "detail.thread")), "{screen}");
    assert!(screen.contains(t(Lang::En, "detail.history")), "{screen}");
    // The citizen's other open requests come from the dossier.
    let others: Vec<&RequestSummary> = dossier
        .requests
        .iter()
        .filter(|r| r.id != id && r.status.is_open())
        .collect();
    if let Some(other) = others.first() {
        assert!(screen.contains(other.id.as_str()), "{screen}");
    }
}

fn visible_ids(f: &Flow) -> Vec<RequestId> {
    f.h.state
        .visible
        .iter()
        .map(|&i| f.h.state.requests[i].id.clone())
        .collect()
}

#[test]
fn a_selection_is_only_acted_on_where_it_was_made_and_can_be_seen() {
    let mut f = Flow::new();
    let first_two: Vec<RequestId> = visible_ids(&f).into_iter().take(2).collect();
    assert_eq!(first_two.len(), 2);
    f.keys(&[key(KeyCode::Char(' ')), key(KeyCode::Char(' '))]);
    let screen = f.screen();
    // Title and status bar both say how many rows a bulk action would act on.
    assert_eq!(screen.matches("2 selected").count(), 2, "{screen}");
    // Another queue: the selection does not follow, and a bulk close has nothing to act on.
    f.text("]");
    assert!(f.h.state.selected.is_empty());
    assert!(!f.screen().contains("selected"));
    f.text("C");
    assert_eq!(
        f.h.state.mode,
        Mode::Normal,
        "no dialog for an empty selection"
    );
    assert_eq!(
        f.h.state.notice.as_ref().map(|n| n.text.as_str()),
        Some(t(Lang::En, "error.no_selection"))
    );
    f.advance(UNDO_SECONDS + 1);
    for id in &first_two {
        assert_ne!(f.server(id).summary.status, Status::Chiusa);
    }
    // A filter typed after selecting clears the selection too.
    f.text("[");
    f.keys(&[key(KeyCode::Char(' '))]);
    assert_eq!(f.h.state.selected.len(), 1);
    f.text("/");
    f.text("zzz");
    f.keys(&[key(KeyCode::Enter)]);
    assert!(f.h.state.selected.is_empty());
    f.text("/");
    f.keys(&[key(KeyCode::Esc)]);
    assert!(f.h.state.filter.is_empty());

    // The bulk confirmation names every request it acts on; the action consumes the selection.
    let ids: Vec<RequestId> = visible_ids(&f).into_iter().take(2).collect();
    f.keys(&[key(KeyCode::Char(' ')), key(KeyCode::Char(' '))]);
    f.text("T");
    assert!(matches!(&f.h.state.mode, Mode::Confirm { ids: listed, .. } if *listed == ids));
    let screen = f.screen();
    assert!(screen.contains("Take these 2 requests?"), "{screen}");
    for id in &ids {
        let subject = f.h.state.request(id).unwrap().subject.clone();
        // As shown: sanitised (one request of the seeded data has a hostile subject).
        let shown: String = combipat::domain::sanitize::inline(&subject, 200)
            .chars()
            .take(30)
            .collect();
        assert!(screen.contains(id.as_str()), "{screen}");
        assert!(screen.contains(&shown), "{shown} not in\n{screen}");
    }
    f.keys(&[key(KeyCode::Enter)]);
    for id in &ids {
        assert_eq!(f.server(id).summary.status, Status::InLavorazione);
    }
    assert!(f.h.state.selected.is_empty());
    assert!(!f.screen().contains("selected"));
}

#[test]
fn a_selected_row_that_leaves_the_list_is_not_acted_on() {
    let mut f = Flow::new();
    f.go_live();
    let ids: Vec<RequestId> = visible_ids(&f).into_iter().take(2).collect();
    f.keys(&[key(KeyCode::Char(' ')), key(KeyCode::Char(' '))]);
    // A colleague takes the second one: it leaves "unassigned" and the screen.
    let colleague = f.colleague();
    let version = f.server(&ids[1]).summary.version;
    f.rt.block_on(colleague.act(&ids[1], version, &ActionBody::Take, &IdempotencyKey::new()))
        .unwrap();
    f.pump_until("the colleague's take", |s, _| {
        s.request(&ids[1]).is_some_and(|r| r.version > version)
    });
    assert!(!visible_ids(&f).contains(&ids[1]));
    assert!(f.screen().contains("1 selected"));
    f.text("T");
    assert!(matches!(&f.h.state.mode, Mode::Confirm { ids: listed, .. } if *listed == ids[..1]));
    f.keys(&[key(KeyCode::Enter)]);
    assert_eq!(
        f.server(&ids[1]).summary.assignee.as_deref(),
        Some("g.bianchi")
    );
    assert_eq!(
        f.server(&ids[0]).summary.assignee.as_deref(),
        Some("m.rossi")
    );
}

#[test]
fn the_editor_writes_several_lines_and_only_the_send_key_sends() {
    let mut f = Flow::new();
    let id = f.current().id;
    f.text("t");
    let before = f.server(&id).thread.len();
    f.text("r");
    f.text("Gentile patronato,");
    // Enter is a new line, and what is typed after it is text, not list commands.
    f.keys(&[key(KeyCode::Enter)]);
    f.text("c q sbagliato");
    assert!(matches!(f.h.state.mode, Mode::Input { .. }));
    // Ctrl-W deletes the last word; arrows move the cursor.
    f.keys(&[ctrl('w')]);
    f.keys(&[key(KeyCode::Left), key(KeyCode::Left)]);
    f.text("X");
    f.keys(&[key(KeyCode::End)]);
    f.keys(&[ctrl('u')]);
    // A pasted paragraph arrives with its newlines, which do not send.
    let paragraph = "la pratica è stata verificata.\nManca il modello AP70, \
        da allegare entro trenta giorni dalla presente comunicazione per proseguire.";
    f.h.paste(paragraph);
    f.settle();
    assert_eq!(f.server(&id).thread.len(), before, "nothing sent yet");
    // Long lines wrap inside the box: the end of the paragraph is on screen.
    let screen = f.screen();
    assert!(screen.contains("comunicazione"), "{screen}");
    assert!(screen.contains("Ctrl-s sends"), "{screen}");
    // Esc asks; Esc again goes back to the text.
    f.keys(&[key(KeyCode::Esc)]);
    assert!(f.screen().contains("Keep the draft?"));
    f.keys(&[key(KeyCode::Esc)]);
    f.keys(&[ctrl('s')]);
    let server = f.server(&id);
    let replies: Vec<_> = server
        .thread
        .iter()
        .filter(|e| e.kind == MessageKind::Reply)
        .collect();
    assert_eq!(replies.len(), 1, "one message");
    assert_eq!(
        replies[0].body,
        format!("Gentile patronato,\n{paragraph}"),
        "intact"
    );
    assert_eq!(f.h.state.mode, Mode::Normal);
}

#[test]
fn a_draft_is_kept_on_disk_until_sent() {
    let mut f = Flow::new();
    let home = tempfile::tempdir().unwrap();
    f.h.state.data_dir = Some(home.path().to_path_buf());
    let id = f.current().id;
    f.text("t");
    f.text("r");
    f.text("Bozza da finire");
    f.h.paste("\nseconda riga");
    // Written on the next tick, even if the dialog stays open (a crash loses at most a tick).
    f.advance(1);
    let on_disk = combipat::tui::drafts::load(home.path());
    assert_eq!(
        on_disk.get(&(id.clone(), combipat::tui::state::InputKind::Reply)),
        Some(&"Bozza da finire\nseconda riga".to_string())
    );
    f.keys(&[key(KeyCode::Esc), key(KeyCode::Enter)]);
    assert_eq!(f.h.state.mode, Mode::Normal);
    assert_eq!(
        f.h.state.notice.as_ref().map(|n| n.text.as_str()),
        Some(t(Lang::En, "editor.draft_kept"))
    );
    // A restart: the workstation loads the drafts from disk; the same key reopens the text.
    f.h.state.drafts = combipat::tui::drafts::load(home.path());
    f.text("r");
    assert!(
        matches!(&f.h.state.mode, Mode::Input { editor, .. } if editor.text() == "Bozza da finire\nseconda riga"),
        "{:?}",
        f.h.state.mode
    );
    f.keys(&[ctrl('s')]);
    assert!(
        f.server(&id)
            .thread
            .iter()
            .any(|e| e.body == "Bozza da finire\nseconda riga")
    );
    assert!(combipat::tui::drafts::load(home.path()).is_empty());
    // Discarding on Esc deletes it too.
    f.text("n");
    f.text("nota");
    f.advance(1);
    assert_eq!(combipat::tui::drafts::load(home.path()).len(), 1);
    f.keys(&[key(KeyCode::Esc)]);
    f.text("d");
    assert!(combipat::tui::drafts::load(home.path()).is_empty());
}

#[test]
fn quitting_inside_the_undo_window_commits_the_close() {
    let mut f = Flow::new();
    let id = f.current().id;
    f.text("t");
    f.text("c");
    f.keys(&[key(KeyCode::Enter)]);
    assert_eq!(f.server(&id).summary.status, Status::InLavorazione, "held");
    // Quit at once, well inside the window: the close is sent, not dropped.
    f.text("q");
    assert!(f.h.state.quit);
    assert!(f.h.state.pending.is_none());
    assert_eq!(f.server(&id).summary.status, Status::Chiusa);
}

#[test]
fn a_live_update_never_moves_the_cursor_and_detail_scroll_is_per_request() {
    let mut f = Flow::new();
    f.go_live();
    f.keys(&[key(KeyCode::Down)]);
    let under = f.current().id;
    let below = visible_ids(&f)[f.h.state.cursor + 1].clone();
    // A colleague takes the request under the cursor: it leaves "unassigned", but not the
    // operator's eyes; the cursor stays on it until a key moves it.
    let colleague = f.colleague();
    let version = f.server(&under).summary.version;
    f.rt.block_on(colleague.act(&under, version, &ActionBody::Take, &IdempotencyKey::new()))
        .unwrap();
    f.pump_until("the colleague's take", |s, _| {
        s.request(&under).is_some_and(|r| r.version > version)
    });
    assert_eq!(f.current().id, under);
    // The list title counts the queue as the sidebar does (the kept row is not in the queue).
    let unassigned = f.h.state.queue_cursor;
    let count = f.h.state.queue_counts[unassigned];
    assert!(
        f.screen().contains(&format!("(office) ({count})")),
        "{}",
        f.screen()
    );
    // A request filed meanwhile (it sorts anywhere) does not move it either.
    let created =
        f.rt.block_on(f.patronato.create_request(
            &filing("Arrivata mentre guardo", "Testo"),
            &IdempotencyKey::new(),
        ))
        .unwrap()
        .value
        .summary
        .id;
    f.pump_until("the new request", |s, _| s.request(&created).is_some());
    assert_eq!(f.current().id, under);
    // The next key moves on, and the taken request leaves the queue.
    f.keys(&[key(KeyCode::Down)]);
    assert_eq!(f.current().id, below);
    assert!(!visible_ids(&f).contains(&under));

    // Paging down one request's detail leaves the others' previews at the top.
    f.keys(&[key(KeyCode::Enter), key(KeyCode::PageDown)]);
    assert!(f.h.state.detail_scroll() > 0);
    f.keys(&[key(KeyCode::Esc), key(KeyCode::Down)]);
    assert_eq!(f.h.state.detail_scroll(), 0);
    f.keys(&[key(KeyCode::Up)]);
    assert!(f.h.state.detail_scroll() > 0, "remembered per request");
}

#[test]
fn the_filter_takes_terms_in_any_order_ranks_them_and_finds_a_full_codice_fiscale() {
    let mut f = Flow::new();
    // Mario Rossi's NASpI request, among many NASpI requests and several Rossi ones.
    let mut naspi = filing("NASpI: domanda respinta", "Chiediamo il riesame");
    naspi.topic = Topic::AmmortizzatoriSociali;
    naspi.citizen = "RSSMRA85T10A562S".into();
    let rossi_naspi =
        f.rt.block_on(f.patronato.create_request(&naspi, &IdempotencyKey::new()))
            .unwrap()
            .value
            .summary
            .id;
    f.h.effects.push(combipat::tui::update::Effect::Refresh);
    f.settle();
    // Searching every queue from "unassigned".
    f.keys(&[ctrl('f')]);
    assert_eq!(f.h.state.mode, Mode::Filter);
    assert_eq!(*f.h.state.current_queue(), Queue::All);
    f.text("naspi rossi");
    f.keys(&[key(KeyCode::Enter)]);
    let first_order = visible_ids(&f);
    assert!(!first_order.is_empty());

    // Ranked: the request whose words match best comes first, not the first in SLA order.
    assert_eq!(first_order[0], rossi_naspi);
    assert_eq!(f.current().id, rossi_naspi);
    // The citizen is a column of the list.
    let screen = f.screen();
    assert!(screen.contains("Citizen"), "{screen}");
    // The same terms in the other order find the same rows.
    f.text("/");
    f.keys(&[key(KeyCode::Esc)]);
    f.keys(&[ctrl('f')]);
    f.text("rossi naspi");
    f.keys(&[key(KeyCode::Enter)]);
    let mut a = first_order.clone();
    let mut b = visible_ids(&f);
    a.sort();
    b.sort();
    assert_eq!(a, b);
    // A full codice fiscale finds the citizen's requests (shown masked, never in full).
    f.text("/");
    f.keys(&[key(KeyCode::Esc)]);
    f.keys(&[ctrl('f')]);
    f.text("RSSMRA85T10A562S");
    f.keys(&[key(KeyCode::Enter)]);
    let found = visible_ids(&f);
    assert!(!found.is_empty());
    for id in &found {
        assert!(
            f.h.state
                .request(id)
                .unwrap()
                .citizen
                .starts_with("RSS***85T10")
        );
    }
    let screen = f.screen();
    assert!(!screen.contains("RSSMRA85T10A562S"), "{screen}");
    // An exact term does not match scattered letters.
    f.text("/");
    f.keys(&[key(KeyCode::Esc)]);
    f.keys(&[ctrl('f')]);
    f.text("'rsi");
    assert!(visible_ids(&f).is_empty());
}

#[test]
fn the_small_daily_ones_export_tags_and_canned_signatures() {
    let mut f = Flow::new();
    let home = tempfile::tempdir().unwrap();
    f.h.state.data_dir = Some(home.path().to_path_buf());
    f.h.state
        .offices
        .push(("RM01".into(), "Sede provinciale di Roma".into()));
    f.h.state.operator_name = "Mario Rossi".into();
    f.h.state.canned = vec![(
        "Presa in carico".into(),
        "Presa in carico dalla {office}.\n{operator}".into(),
    )];
    let id = f.current().id;
    // `e` exports the list on screen, as Italian spreadsheets read it.
    f.h.state.lang = Lang::It;
    f.text("e");
    f.h.state.lang = Lang::En;
    let exports: Vec<_> = std::fs::read_dir(home.path().join("exports"))
        .unwrap()
        .flatten()
        .collect();
    assert_eq!(exports.len(), 1);
    let csv = std::fs::read_to_string(exports[0].path()).unwrap();
    assert!(csv.starts_with("\u{feff}"), "UTF-8 with BOM");
    let header = csv.lines().next().unwrap().trim_start_matches('\u{feff}');
    assert!(
        header.starts_with("Numero;Stato;Sede;Patronato"),
        "{header}"
    );
    assert_eq!(csv.lines().count(), f.h.state.visible.len() + 1);
    assert!(csv.contains(id.as_str()));
    // `--csv-dialect plain`: RFC 4180 with the column codes, no BOM (same instant, same file).
    f.h.state.csv_dialect = combipat::domain::csv::Dialect::Plain;
    f.text("e");
    let plain = std::fs::read_to_string(exports[0].path()).unwrap();
    assert!(plain.starts_with("id,status,office,patronato,"), "{plain}");
    assert_eq!(plain.lines().count(), csv.lines().count());
    // Tags go on and come off.
    f.text("t");
    f.text("#");
    f.text("sollecito");
    f.keys(&[key(KeyCode::Enter)]);
    assert!(
        f.server(&id)
            .summary
            .tags
            .contains(&"sollecito".to_string())
    );
    f.text("#");
    f.text("-sollecito");
    f.keys(&[key(KeyCode::Enter)]);
    assert!(
        !f.server(&id)
            .summary
            .tags
            .contains(&"sollecito".to_string())
    );
    // Canned replies name the office and sign with the operator's name.
    f.text("m");
    f.keys(&[key(KeyCode::Enter)]);
    assert!(
        matches!(&f.h.state.mode, Mode::Input { editor, .. }
            if editor.text() == "Presa in carico dalla Sede provinciale di Roma.\nMario Rossi"),
        "{:?}",
        f.h.state.mode
    );
    f.keys(&[key(KeyCode::Esc), key(KeyCode::Char('d'))]);
    // `y` says the id was sent to the clipboard, not that it is there.
    f.text("y");
    assert_eq!(
        f.h.state.notice.as_ref().map(|n| n.text.as_str()),
        Some(t(Lang::En, "done.copy"))
    );
    assert!(t(Lang::En, "done.copy").contains("sent"));
}

#[test]
fn with_the_service_gone_take_and_reply_wait_in_the_outbox_and_land_once_in_order() {
    use combipat::domain::request::Transition;
    use combipat::tui::outbox;
    let mut f = Flow::new();
    let station = f.dir.path().join("station");
    f.h.state.data_dir = Some(station.clone());
    let id = f.current().id;
    let service = f.service.take().unwrap();
    let addr = service.addr();
    f.rt.block_on(service.shutdown()).unwrap();
    // Taken while the service is gone: kept, shown as taken, counted in the status bar.
    f.text("t");
    assert_eq!(f.h.state.outbox.pending.len(), 1);
    let shown = f.h.state.request(&id).unwrap().clone();
    assert_eq!(shown.status, Status::InLavorazione);
    assert_eq!(shown.assignee.as_deref(), Some("m.rossi"));
    let screen = f.screen();
    assert!(
        screen.contains(&combipat::i18n::tf(
            Lang::En,
            "outbox.pending",
            &[("n", "1")]
        )),
        "{screen}"
    );
    // The reply goes after it, without trying the network first.
    f.text("r");
    f.text("Risposta scritta senza rete");
    f.keys(&[ctrl('s')]);
    assert_eq!(f.h.state.mode, Mode::Normal);
    assert_eq!(f.h.state.outbox.pending.len(), 2);
    // On disk, private, with the keys a restarted workstation would send again.
    let on_disk = outbox::load(&station).unwrap();
    assert_eq!(on_disk.pending, f.h.state.outbox.pending);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(outbox::path(&station))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let keys: Vec<String> = on_disk.pending.iter().map(|q| q.key.clone()).collect();
    assert_ne!(keys[0], keys[1]);
    // The service comes back: both are sent, in order, and the outbox is empty.
    let restarted =
        f.rt.block_on(service::start(
            ServiceConfig::new(addr, f.dir.path())
                .with_database(f.database.clone())
                .with_demo(true),
        ))
        .unwrap();
    f.service = Some(restarted);
    f.h.send(Msg::Offline(false));
    f.settle();
    assert!(
        f.h.state.outbox.pending.is_empty(),
        "{:?}",
        f.h.state.outbox
    );
    assert!(!outbox::path(&station).exists());
    let server = f.server(&id);
    let mine: Vec<Transition> = server
        .history
        .iter()
        .filter(|h| h.actor.id == "m.rossi")
        .map(|h| h.transition)
        .collect();
    assert_eq!(mine, vec![Transition::Take, Transition::Reply]);
    let replies = server
        .thread
        .iter()
        .filter(|m| m.body == "Risposta scritta senza rete")
        .count();
    assert_eq!(replies, 1);
    assert_eq!(server.summary.status, Status::RispostaInviata);
    // The same writes again, keys and all (a replay whose answer was lost): answered from the
    // service's idempotency records, nothing applied twice.
    for queued in on_disk.pending {
        let msgs = f.rt.block_on(perform(
            combipat::tui::update::Effect::Replay(Box::new(queued)),
            f.gateway.as_ref(),
        ));
        assert!(
            matches!(
                &msgs[..],
                [Msg::Replayed {
                    outcome: combipat::tui::update::Replay::Sent(_),
                    ..
                }]
            ),
            "{msgs:?}"
        );
    }
    assert_eq!(f.server(&id).history.len(), server.history.len());
    assert_eq!(f.server(&id).thread.len(), server.thread.len());
}

#[test]
fn a_queued_write_someone_else_overtook_is_shown_refused_with_its_text_kept() {
    use combipat::tui::outbox;
    let mut f = Flow::new();
    let station = f.dir.path().join("station");
    f.h.state.data_dir = Some(station.clone());
    // A request already mine, so the reply needs no take.
    f.text("t");
    let id = f.current().id;
    let version = f.server(&id).summary.version;
    let service = f.service.take().unwrap();
    let addr = service.addr();
    f.rt.block_on(service.shutdown()).unwrap();
    f.text("n");
    f.text("Nota scritta senza rete");
    f.keys(&[ctrl('s')]);
    assert_eq!(f.h.state.outbox.pending.len(), 1);
    // Meanwhile a colleague moves the request on.
    let restarted =
        f.rt.block_on(service::start(
            ServiceConfig::new(addr, f.dir.path())
                .with_database(f.database.clone())
                .with_demo(true),
        ))
        .unwrap();
    f.service = Some(restarted);
    let colleague = f.colleague();
    f.rt.block_on(colleague.act(
        &id,
        version,
        &ActionBody::Tag {
            tag: "urgente".into(),
        },
        &IdempotencyKey::new(),
    ))
    .unwrap();
    f.h.send(Msg::Offline(false));
    f.settle();
    let ob = &f.h.state.outbox;
    assert!(ob.pending.is_empty());
    assert_eq!(ob.refused.len(), 1);
    assert_eq!(ob.refused[0].reason, "error.stale");
    // Said on the request, and the text is back in its draft; nothing reached the server.
    f.h.state.select_id(&id);
    let screen = f.screen();
    assert!(screen.contains("Not sent: internal note"), "{screen}");
    assert_eq!(
        f.h.state
            .drafts
            .get(&(id.clone(), combipat::tui::state::InputKind::Note))
            .map(String::as_str),
        Some("Nota scritta senza rete")
    );
    assert!(
        !f.server(&id)
            .thread
            .iter()
            .any(|m| m.body == "Nota scritta senza rete")
    );
    assert_eq!(outbox::load(&station).unwrap().refused.len(), 1);
}

#[test]
fn assign_is_a_picker_of_the_offices_operators_and_refused_to_operators_up_front() {
    let mut f = Flow::new();
    f.h.state.role = Some(Role::Operator);
    f.text("a");
    assert_eq!(f.h.state.mode, Mode::Normal);
    assert_eq!(
        f.h.state.notice.as_ref().map(|n| n.text.as_str()),
        Some(t(Lang::En, "avail.supervisors_assign"))
    );
    // With the role unknown the picker opens; the service's refusal comes in the UI language.
    f.h.state.role = None;
    let id = f.current().id;
    f.text("a");
    let Mode::Picker { items, .. } = &f.h.state.mode else {
        panic!("{:?}", f.h.state.mode)
    };
    assert!(
        items
            .iter()
            .any(|i| i.value == PickValue::Text("m.rossi".into())),
        "{items:?}"
    );
    // The office's staff as the service lists them (GET /v1/offices/RM01/operators), those
    // holding no request included, by full name.
    assert!(
        items
            .iter()
            .any(|i| i.value == PickValue::Text("s.ferri".into())
                && i.label.contains("Silvia Ferri")),
        "{items:?}"
    );
    f.text("rossi");
    f.keys(&[key(KeyCode::Enter)]);
    assert_eq!(
        f.h.state.notice.as_ref().map(|n| n.text.as_str()),
        Some(t(Lang::En, "error.forbidden"))
    );
    assert_eq!(f.server(&id).summary.assignee, None);
}

/// The figures of one moment as the workstation shows them, read through its keys: the sidebar
/// counts, the list title of every queue (`]` through the sidebar) and the cruscotto (`D`),
/// with the cruscotto's every row drilled into (Enter) to read that list's title.
fn assert_one_source_of_figures(f: &mut Flow, when: &str) {
    let service_counts = f.rt.block_on(f.user.queues()).unwrap();
    let service = |id: &str| -> usize {
        service_counts
            .iter()
            .find(|q| q.id == id)
            .map(|q| q.open as usize)
            .unwrap_or_else(|| panic!("{when}: no service queue {id}"))
    };
    // Sidebar and list title, queue by queue, reached with the keymap's `]`.
    let queues = f.h.state.queues.clone();
    f.show_queue(queues[0].clone());
    for (i, queue) in queues.iter().enumerate() {
        assert_eq!(f.h.state.queue_cursor, i, "{when}");
        let count = f.h.state.queue_counts[i];
        let label = queue.label(Lang::En);
        let screen = f.screen();
        assert!(
            screen.contains(&format!("{label} ({count})")),
            "{when}: the list title of {label} is not the sidebar's {count}:\n{screen}"
        );
        assert_eq!(f.h.state.visible.len(), count, "{when}: {label}");
        let id = match queue {
            Queue::Mine => Some("mine".to_string()),
            Queue::Unassigned => Some("unassigned".into()),
            Queue::Topic(t) => Some(format!("topic:{}", t.code())),
            Queue::Awaiting => Some("awaiting_integration".into()),
            Queue::AtRisk => Some("at_risk".into()),
            Queue::Breached => Some("breached".into()),
            Queue::ClosedToday => Some("closed_today".into()),
            Queue::AppointmentsToday => Some("appointments_today".into()),
            Queue::All | Queue::Cell(_) | Queue::Saved(_) => None,
        };
        if let Some(id) = id {
            assert_eq!(count, service(&id), "{when}: {label} vs the service's {id}");
        }
        f.keys(&[key(KeyCode::Char(']'))]);
    }
    let sidebar = |queue: Queue| -> usize {
        let at = f.h.state.queues.iter().position(|q| *q == queue).unwrap();
        f.h.state.queue_counts[at]
    };
    let (breached, at_risk, awaiting, all) = (
        sidebar(Queue::Breached),
        sidebar(Queue::AtRisk),
        sidebar(Queue::Awaiting),
        sidebar(Queue::All),
    );
    let topics: Vec<(Topic, usize)> = Topic::ALL
        .into_iter()
        .map(|t| (t, sidebar(Queue::Topic(t))))
        .collect();

    // The cruscotto, opened with its key.
    f.keys(&[KeyEvent::new(KeyCode::Char('D'), KeyModifiers::SHIFT)]);
    let figures =
        f.h.state
            .dashboard
            .as_ref()
            .unwrap_or_else(|| panic!("{when}: the cruscotto did not open: {:?}", f.h.state.notice))
            .figures
            .clone();
    let total = |pick: fn(&combipat::api::dashboard::CellFigures) -> u32| -> usize {
        figures.office_totals.iter().map(|c| pick(c) as usize).sum()
    };
    // Figures worth comparing: the data has breached requests (and, after the live changes,
    // one awaiting integration at least).
    assert!(breached > 0, "{when}: nothing breached");
    assert_eq!(total(|c| c.breached), breached, "{when}: breached");
    assert_eq!(total(|c| c.at_risk), at_risk, "{when}: at risk");
    assert_eq!(
        total(|c| c.paused),
        awaiting,
        "{when}: awaiting integration"
    );
    assert_eq!(total(|c| c.open), all, "{when}: open");
    for (topic, count) in topics {
        let cells: usize = figures
            .cells
            .iter()
            .filter(|c| c.topic == Some(topic))
            .map(|c| c.open as usize)
            .sum();
        assert_eq!(cells, count, "{when}: open in {topic:?}");
    }
    // Every row of the cruscotto drills down to a list of as many requests as it says.
    let rows: Vec<(String, Option<Topic>, u32)> =
        f.h.state
            .dashboard
            .as_ref()
            .unwrap()
            .rows()
            .iter()
            .map(|c| (c.office.clone(), c.topic, c.open))
            .collect();
    assert!(rows.len() > 1, "{when}: {rows:?}");
    for (n, (office, topic, open)) in rows.iter().enumerate() {
        if n > 0 {
            f.keys(&[KeyEvent::new(KeyCode::Char('D'), KeyModifiers::SHIFT)]);
            f.keys(&vec![key(KeyCode::Down); n]);
        }
        f.keys(&[key(KeyCode::Enter)]);
        assert!(f.h.state.dashboard.is_none(), "{when}: drilled down");
        assert_eq!(
            f.h.state.queues[f.h.state.queue_cursor],
            Queue::Cell(combipat::tui::dashboard::drill::DrillTarget {
                office: Some(office.clone()),
                topic: *topic,
                figure: combipat::tui::dashboard::drill::FigureColumn::Open,
            })
        );
        let shown = f.h.state.visible.len();
        assert_eq!(shown, *open as usize, "{when}: {office} {topic:?}");
        let screen = f.screen();
        assert!(screen.contains(&format!(" ({open})")), "{when}:\n{screen}");
    }
}

/// Finding 5, "one source for figures": on the same data the list title, the sidebar counts
/// and the cruscotto (breached, at risk, awaiting integration, open per office and topic) are
/// the same numbers, and the service's queue counts, at start and after changes arrive over SSE.
#[test]
fn list_title_sidebar_and_cruscotto_give_the_same_figures() {
    let mut f = Flow::as_role(Role::Supervisor);
    figures_agree_before_and_after_live_changes(&mut f);
}

/// The same on generated demo data (what `serve --demo` and the embedded default seed, smaller):
/// several offices, every status, clocks at every level.
#[test]
fn on_generated_demo_data_list_title_sidebar_and_cruscotto_agree() {
    let now = jiff::Timestamp::now();
    let data = combipat::demo::generate(5, combipat::demo::DemoSize::small(), now);
    let mut f = Flow::on(Role::Supervisor, data, now);
    figures_agree_before_and_after_live_changes(&mut f);
}

fn figures_agree_before_and_after_live_changes(f: &mut Flow) {
    f.go_live();
    assert_one_source_of_figures(f, "at start");
    // An operator of the office asks the patronato for integration on a request being worked
    // (taking a new one first): unassigned, awaiting and the SLA figures move, over SSE. Which
    // requests are new depends on the hour the demo data is generated at.
    let office = f.h.state.me.office.clone();
    let new =
        f.h.state
            .requests
            .iter()
            .filter(|r| r.office == office)
            .find(|r| match r.status {
                Status::Nuova => true,
                Status::InLavorazione => r.assignee.is_some(),
                _ => false,
            })
            .unwrap()
            .clone();
    let version = match &new.assignee {
        Some(_) => new.version,
        None => {
            let taken = f.rt.block_on(f.colleague_in(&office).act(
                &new.id,
                new.version,
                &ActionBody::Take,
                &IdempotencyKey::new(),
            ));
            taken.unwrap().value.summary.version
        }
    };
    let server = f.server(&new.id);
    let worker = f.token_for(server.summary.assignee.as_deref().unwrap());
    f.rt.block_on(worker.add_message(
        &new.id,
        &NewMessage {
            kind: MessageKind::IntegrationRequest,
            body: "Manca il modello AP70".into(),
        },
        Some(version),
        &IdempotencyKey::new(),
    ))
    .unwrap();
    f.pump_until("the integration request", |s, _| {
        s.request(&new.id)
            .is_some_and(|r| r.status == Status::InAttesaIntegrazione)
    });
    assert_one_source_of_figures(f, "after live updates");
}
