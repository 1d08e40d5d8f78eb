//! Workflows driven by key events through the key bindings, with effects executed by a gateway
//! that applies the domain status machine and version checks.

use std::sync::Arc;

use combipat::domain::request::Status;
use combipat::i18n::{Lang, t};
use combipat::tui::app::perform;
use combipat::tui::fixture;
use combipat::tui::gateway::{Gateway, LocalGateway};
use combipat::tui::headless::Headless;
use combipat::tui::state::{Operator, State};
use combipat::tui::theme::Theme;
use combipat::tui::update::{Msg, UNDO_SECONDS};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use jiff::{SignedDuration, Timestamp};

struct Flow {
    h: Headless,
    gateway: Arc<LocalGateway>,
    rt: tokio::runtime::Runtime,
}

fn now() -> Timestamp {
    "2026-03-16T10:00:00Z".parse().unwrap()
}

impl Flow {
    fn new() -> Self {
        let me = Operator {
            username: "mrossi".into(),
            office: "RM01".into(),
        };
        let requests = fixture::requests(30, now(), "RM01", "mrossi");
        let gateway = Arc::new(LocalGateway::new("mrossi", requests.clone()));
        let mut state = State::new(Lang::En, me, now());
        state.offices = vec![
            ("MI01".into(), "Milano".into()),
            ("NA01".into(), "Napoli".into()),
        ];
        state.set_requests(requests);
        // "Unassigned in my office" holds new requests only.
        state.queue_cursor = 1;
        state.invalidate_filter();
        state.refilter();
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        Flow {
            h: Headless::new(state, 160, 48, Theme::default()),
            gateway,
            rt,
        }
    }

    fn keys(&mut self, keys: &[KeyEvent]) {
        for k in keys {
            self.h.press(*k);
        }
        self.settle();
        self.h.draw();
    }

    fn text(&mut self, text: &str) {
        let keys: Vec<KeyEvent> = text.chars().map(|c| key(KeyCode::Char(c))).collect();
        self.keys(&keys);
    }

    /// Runs pending effects until none are left.
    fn settle(&mut self) {
        while !self.h.effects.is_empty() {
            let effects = std::mem::take(&mut self.h.effects);
            for effect in effects {
                let msgs = self.rt.block_on(perform(effect, self.gateway.as_ref()));
                for msg in msgs {
                    self.h.send(msg);
                }
            }
        }
    }

    fn advance(&mut self, secs: i64) {
        let at = self.h.state.now + SignedDuration::from_secs(secs);
        self.h.send(Msg::Tick(at));
        self.settle();
    }

    fn server_status(&self, id: &combipat::domain::request::RequestId) -> Status {
        let list = self.rt.block_on(self.gateway.list()).unwrap();
        list.into_iter().find(|r| &r.id == id).unwrap().status
    }
}

fn key(code: KeyCode) -> KeyEvent {
    KeyEvent::new(code, KeyModifiers::NONE)
}

#[test]
fn take_reply_close() {
    let mut f = Flow::new();
    let id = f.h.state.current().unwrap().id.clone();
    assert_eq!(f.h.state.current().unwrap().status, Status::Nuova);
    f.text("t");
    assert_eq!(f.server_status(&id), Status::InLavorazione);
    f.h.state.queue_cursor = f.h.state.queues.len() - 1;
    f.h.state.invalidate_filter();
    f.h.state.refilter();
    assert!(f.h.state.select_id(&id));
    f.text("r");
    f.text("Buongiorno, pratica in lavorazione.");
    f.keys(&[key(KeyCode::Enter)]);
    assert_eq!(f.server_status(&id), Status::RispostaInviata);
    f.text("c");
    f.keys(&[key(KeyCode::Enter)]);
    // Deferred: nothing sent until the undo window passes.
    assert_eq!(f.server_status(&id), Status::RispostaInviata);
    f.advance(UNDO_SECONDS + 1);
    assert_eq!(f.server_status(&id), Status::Chiusa);
}

#[test]
fn undo_cancels_close() {
    let mut f = Flow::new();
    let id = f.h.state.current().unwrap().id.clone();
    f.text("t");
    f.h.state.queue_cursor = f.h.state.queues.len() - 1;
    f.h.state.invalidate_filter();
    f.h.state.refilter();
    f.h.state.select_id(&id);
    f.text("c");
    f.keys(&[key(KeyCode::Enter)]);
    f.advance(1);
    f.text("u");
    f.advance(UNDO_SECONDS * 2);
    assert_eq!(f.server_status(&id), Status::InLavorazione);
    assert!(f.h.screen().contains(t(Lang::En, "undo.done")));
}

#[test]
fn request_integration_pauses() {
    let mut f = Flow::new();
    let id = f.h.state.current().unwrap().id.clone();
    f.text("t");
    f.h.state.queue_cursor = f.h.state.queues.len() - 1;
    f.h.state.invalidate_filter();
    f.h.state.refilter();
    f.h.state.select_id(&id);
    f.text("i");
    f.text("Serve il modello AP70");
    f.keys(&[key(KeyCode::Enter)]);
    assert_eq!(f.server_status(&id), Status::InAttesaIntegrazione);
    let row = f.h.state.request(&id).unwrap().clone();
    assert_eq!(
        combipat::tui::state::sla_of(&row, f.h.state.now),
        combipat::tui::state::SlaLevel::Paused
    );
}

#[test]
fn forward_with_fuzzy_picker() {
    let mut f = Flow::new();
    let id = f.h.state.current().unwrap().id.clone();
    f.text("f");
    f.text("napo");
    f.keys(&[key(KeyCode::Enter)]);
    f.advance(UNDO_SECONDS + 1);
    assert_eq!(f.server_status(&id), Status::Trasferita);
    let list = f.rt.block_on(f.gateway.list()).unwrap();
    assert_eq!(list.iter().find(|r| r.id == id).unwrap().office, "NA01");
}

#[test]
fn bulk_close_needs_confirmation() {
    let mut f = Flow::new();
    // Take two, then select them in "Mine" and bulk-close.
    f.text("t");
    f.text("t");
    f.h.state.queue_cursor = 0;
    f.h.state.invalidate_filter();
    f.h.state.refilter();
    let mine: Vec<_> =
        f.h.state
            .visible
            .iter()
            .map(|&i| f.h.state.requests[i].id.clone())
            .collect();
    assert!(mine.len() >= 2);
    f.text("A");
    f.text("C");
    f.keys(&[key(KeyCode::Enter)]);
    assert!(f.h.screen().contains("Close"), "confirm dialog expected");
    f.keys(&[key(KeyCode::Esc)]);
    f.advance(UNDO_SECONDS + 1);
    assert!(mine.iter().all(|id| f.server_status(id) != Status::Chiusa));
    f.text("A");
    f.text("C");
    f.keys(&[key(KeyCode::Enter), key(KeyCode::Enter)]);
    f.advance(UNDO_SECONDS + 1);
    assert!(mine.iter().all(|id| f.server_status(id) == Status::Chiusa));
}

#[test]
fn stale_write_is_refused() {
    let mut f = Flow::new();
    let id = f.h.state.current().unwrap().id.clone();
    let version = f.h.state.current().unwrap().version;
    // Someone else takes it first.
    f.rt.block_on(f.gateway.act(&id, version, combipat::api::ActionBody::Take))
        .unwrap();
    f.text("t");
    assert!(f.h.screen().contains("Change refused"), "{}", f.h.screen());
    assert!(f.h.state.notice.as_ref().unwrap().error);
}

#[test]
fn read_only_refuses_writes_at_dispatch() {
    let mut f = Flow::new();
    f.h.state.read_only = true;
    let id = f.h.state.current().unwrap().id.clone();
    f.text("t");
    assert!(f.h.effects.is_empty());
    assert_eq!(f.server_status(&id), Status::Nuova);
    assert!(f.h.screen().contains("Read-only"));
}
