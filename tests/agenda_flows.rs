//! The slot picker driven by keys through the embedded keymap, against the real service (in
//! process, starter dataset, real HTTP on loopback; PostgreSQL with
//! `COMBIPAT_TEST_STORE=postgres`): book, reschedule, cancel, and the last place taken by a
//! colleague meanwhile. Every effect the keys produce is executed for real and the outcome is
//! checked on the server.

mod common;

use std::sync::Arc;

use combipat::api::{AppointmentQuery, NewAppointment, RequestDetail, SlotQuery};
use combipat::client::{Client, ClientOptions, IdempotencyKey};
use combipat::domain::agenda::{self, AppointmentState, Channel};
use combipat::domain::request::{RequestId, Status};
use combipat::domain::roles::Role;
use combipat::i18n::Lang;
use combipat::service::{self, DemoData, RunningService, ServiceConfig};
use combipat::tui::app::perform;
use combipat::tui::headless::Headless;
use combipat::tui::remote::ClientGateway;
use combipat::tui::state::{Mode, Operator, Queue, State};
use combipat::tui::theme::Theme;
use combipat::tui::update::Effect;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

struct Flow {
    rt: tokio::runtime::Runtime,
    service: Option<RunningService>,
    gateway: Arc<ClientGateway>,
    admin: Client,
    colleague: Client,
    h: Headless,
    _dir: tempfile::TempDir,
}

fn key(code: KeyCode) -> KeyEvent {
    KeyEvent::new(code, KeyModifiers::NONE)
}

fn char(c: char) -> KeyEvent {
    key(KeyCode::Char(c))
}

impl Flow {
    fn new() -> Flow {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let database = rt.block_on(common::test_database());
        let service = rt
            .block_on(service::start(
                ServiceConfig::new(common::loopback(), dir.path())
                    .with_database(database)
                    .with_demo(true)
                    .with_demo_data(DemoData::Starter)
                    .with_alert_interval(None),
            ))
            .unwrap();
        let credentials = service.credentials().unwrap().clone();
        let url = service.base_url();
        let client = |token: &str| Client::new(&url, token, ClientOptions::default()).unwrap();
        let operator = client(credentials.token(Role::Operator).unwrap());
        let admin = client(credentials.token(Role::Admin).unwrap());
        let colleague_token = rt
            .block_on(service.store().issue_token("g.bianchi", "flow"))
            .unwrap()
            .token;
        let colleague = client(&colleague_token);
        let me = rt.block_on(operator.me()).unwrap();
        let state = State::new(
            Lang::It,
            Operator {
                username: me.username,
                office: me.office.unwrap(),
            },
            jiff::Timestamp::now(),
        );
        let mut flow = Flow {
            rt,
            service: Some(service),
            gateway: Arc::new(ClientGateway::new(operator)),
            admin,
            colleague,
            h: Headless::new(state, 160, 48, Theme::default()),
            _dir: dir,
        };
        flow.h.effects.push(Effect::Refresh);
        flow.settle();
        flow
    }

    fn settle(&mut self) {
        while !self.h.effects.is_empty() {
            let effects = std::mem::take(&mut self.h.effects);
            for effect in effects {
                for msg in self.rt.block_on(perform(effect, self.gateway.as_ref())) {
                    self.h.send(msg);
                }
            }
        }
    }

    fn keys(&mut self, keys: &[KeyEvent]) {
        for k in keys {
            self.h.press(*k);
            self.settle();
        }
        self.h.draw();
    }

    /// The cursor on an open RM01 request, with its detail loaded (Enter opens it).
    fn open_request(&mut self) -> RequestId {
        let s = &mut self.h.state;
        s.queue_cursor = s.queues.iter().position(|q| *q == Queue::All).unwrap();
        s.invalidate_filter();
        s.refilter();
        let id = s
            .visible
            .iter()
            .map(|&i| &s.requests[i])
            .find(|r| r.office == "RM01" && r.status != Status::Chiusa)
            .map(|r| r.id.clone())
            .expect("an open RM01 request");
        assert!(s.select_id(&id));
        self.keys(&[key(KeyCode::Enter)]);
        assert_eq!(
            self.h.state.detail.as_ref().map(|d| &d.summary.id),
            Some(&id)
        );
        id
    }

    fn server(&self, id: &RequestId) -> RequestDetail {
        self.rt.block_on(self.admin.get_request(id)).unwrap().value
    }

    fn screen(&mut self) -> String {
        self.h.draw();
        self.h.screen()
    }

    fn picker(&self) -> &combipat::tui::agenda::SlotPicker {
        match &self.h.state.mode {
            Mode::Slots(p) => p,
            other => panic!("the slot picker is not open: {other:?}"),
        }
    }
}

impl Drop for Flow {
    fn drop(&mut self) {
        if let Some(service) = self.service.take() {
            let _ = self.rt.block_on(service.shutdown());
        }
    }
}

fn booked(detail: &RequestDetail) -> Vec<&combipat::api::Appointment> {
    detail
        .appointments
        .iter()
        .filter(|a| a.state == AppointmentState::Booked)
        .collect()
}

#[test]
fn b_books_a_slot_picked_by_day_and_time_then_moves_it_then_cancels_it() {
    let mut f = Flow::new();
    let id = f.open_request();

    // b: the picker opens on the first day with a free place, Rome time.
    f.keys(&[char('b')]);
    let first_day = f.picker().day;
    assert!(f.picker().slots.is_some(), "slots loaded");
    let screen = f.screen();
    assert!(screen.contains("Appuntamento · "), "{screen}");
    assert!(screen.contains("Canale: In sede"), "{screen}");

    // → next day. A closed day (a holiday such as 8 December) is shown with its reason and
    // offers no place: → again, as an operator would, until a day with places.
    f.keys(&[key(KeyCode::Right)]);
    for _ in 0..10 {
        if f.picker().current_slot(f.h.state.now).is_some() {
            break;
        }
        let screen = f.screen();
        assert!(screen.contains("Ufficio chiuso: "), "{screen}");
        f.keys(&[key(KeyCode::Right)]);
    }
    // ↓ twice, c twice (in sede → telefono → video), Enter.
    f.keys(&[key(KeyCode::Down), key(KeyCode::Down), char('c'), char('c')]);
    assert_ne!(f.picker().day, first_day);
    assert_eq!(f.picker().channel, Channel::Video);
    let chosen = f.picker().current_slot(f.h.state.now).unwrap().clone();
    f.keys(&[key(KeyCode::Enter)]);
    assert_eq!(f.h.state.mode, Mode::Normal);
    let on_server = f.server(&id);
    let appointment = booked(&on_server)[0].clone();
    assert_eq!(
        (appointment.at, appointment.mode),
        (chosen.start, Channel::Video)
    );
    assert_eq!(
        appointment.rome_time,
        format!("{} {}", chosen.date, chosen.time)
    );
    // The detail pane shows it.
    let screen = f.screen();
    assert!(screen.contains("Appuntamenti"), "{screen}");
    assert!(
        screen.contains(&format!("{} · Video · prenotato", chosen.time)),
        "{screen}"
    );

    // b again: the picker moves the booked appointment (down one slot, Enter).
    f.keys(&[char('b')]);
    assert_eq!(
        f.picker().existing.as_ref().map(|a| a.id),
        Some(appointment.id)
    );
    assert!(f.screen().contains("Sposta appuntamento"));
    f.keys(&[key(KeyCode::Down)]);
    let target = f.picker().current_slot(f.h.state.now).unwrap().clone();
    assert_ne!(target.start, chosen.start);
    f.keys(&[key(KeyCode::Enter)]);
    let moved = f.server(&id);
    assert_eq!(booked(&moved).len(), 1);
    assert_eq!(booked(&moved)[0].at, target.start);
    assert_eq!(
        booked(&moved)[0].mode,
        Channel::Video,
        "the channel is kept"
    );

    // b, x: cancelled; its place is free again.
    f.keys(&[char('b'), char('x')]);
    assert_eq!(f.h.state.mode, Mode::Normal);
    let cancelled = f.server(&id);
    assert!(booked(&cancelled).is_empty());
    assert_eq!(cancelled.appointments[0].state, AppointmentState::Cancelled);
    let day = agenda::rome_date(target.start).unwrap().to_string();
    let slots =
        f.rt.block_on(f.admin.slots(
            "RM01",
            &SlotQuery {
                from: day,
                to: None,
            },
        ))
        .unwrap();
    let place = slots.days[0]
        .slots
        .iter()
        .find(|s| s.start == target.start)
        .unwrap();
    assert_eq!(place.remaining, place.capacity);
    // The history records each step.
    let steps: Vec<&str> = cancelled
        .history
        .iter()
        .filter_map(|h| h.detail.as_deref())
        .filter_map(|d| d.split(' ').next())
        .filter(|w| ["booked", "rescheduled", "cancelled"].contains(w))
        .collect();
    assert_eq!(steps, ["booked", "rescheduled", "cancelled"]);
}

#[test]
fn the_last_place_taken_by_a_colleague_meanwhile_is_explained_and_nothing_is_booked() {
    let mut f = Flow::new();
    let id = f.open_request();
    f.keys(&[char('b')]);
    let slot = f.picker().current_slot(f.h.state.now).unwrap().clone();
    // A colleague fills the slot with other requests while the picker is open.
    let others: Vec<RequestId> =
        f.h.state
            .requests
            .iter()
            .filter(|r| r.office == "RM01" && r.status != Status::Chiusa && r.id != id)
            .take(usize::from(slot.remaining))
            .map(|r| r.id.clone())
            .collect();
    for other in &others {
        let version =
            f.rt.block_on(f.colleague.get_request(other))
                .unwrap()
                .version;
        f.rt.block_on(f.colleague.book_appointment(
            other,
            version,
            &NewAppointment {
                start: slot.start,
                channel: Channel::Telefono,
            },
            &IdempotencyKey::new(),
        ))
        .unwrap();
    }
    f.keys(&[key(KeyCode::Enter)]);
    let notice = f.h.state.notice.clone().expect("a notice");
    assert!(notice.error);
    assert!(
        notice.text.contains("un altro operatore"),
        "{}",
        notice.text
    );
    assert!(booked(&f.server(&id)).is_empty());
    // The office's list for that day shows the colleague's bookings only.
    let list =
        f.rt.block_on(f.admin.appointments(&AppointmentQuery {
            from: slot.date.clone(),
            office: Some("RM01".into()),
            ..AppointmentQuery::default()
        }))
        .unwrap();
    assert_eq!(
        list.items.iter().filter(|a| a.at == slot.start).count(),
        others.len()
    );
}

#[test]
fn esc_closes_the_picker_and_nothing_is_written() {
    let mut f = Flow::new();
    let id = f.open_request();
    let before = f.server(&id).summary.version;
    f.keys(&[char('b'), key(KeyCode::Down), key(KeyCode::Esc)]);
    assert_eq!(f.h.state.mode, Mode::Normal);
    assert_eq!(f.server(&id).summary.version, before);
}
