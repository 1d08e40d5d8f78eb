//! Agenda appuntamenti over real HTTP on loopback, on a real store (SQLite, or PostgreSQL with
//! `COMBIPAT_TEST_STORE=postgres`): slots from the office calendar, capacity, the race for the
//! last place, cancel and reschedule, 422s naming the field, and what a patronato sees.

mod common;

use combipat::api::{AppointmentList, RequestDetail, RequestSummary, Slots};
use combipat::domain::agenda::{self, AgendaSettings, OfficeAgenda, SlotRules};
use combipat::domain::calendar::CalendarSpec;
use combipat::domain::roles::Role;
use combipat::service::{self, DemoData, RunningService, ServiceConfig, Sla};
use common::{http, loopback, test_database};
use jiff::Timestamp;
use jiff::civil::Date;
use reqwest::StatusCode;
use serde_json::{Value, json};

struct Agenda {
    service: RunningService,
    credentials: service::DemoCredentials,
    _dir: tempfile::TempDir,
}

impl Agenda {
    /// The starter demo with RM01 taking `capacity` appointments per slot.
    async fn start(capacity: u16) -> Agenda {
        let dir = tempfile::tempdir().expect("tempdir");
        let settings = AgendaSettings {
            offices: vec![OfficeAgenda {
                office: "RM01".into(),
                capacity: Some(capacity),
                address: Some("Via Ciro il Grande 21, Roma".into()),
                ..OfficeAgenda::default()
            }],
            ..AgendaSettings::default()
        };
        let config = ServiceConfig::new(loopback(), dir.path())
            .with_database(test_database().await)
            .with_demo(true)
            .with_demo_data(DemoData::Starter)
            .with_alert_interval(None)
            .with_sla(Sla::embedded_with_agenda(settings).expect("agenda settings"));
        let service = service::start(config).await.expect("service starts");
        let credentials = service.credentials().cloned().expect("credentials");
        Agenda {
            service,
            credentials,
            _dir: dir,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.service.base_url())
    }

    /// A fresh token of `username` (the demo credentials hold one user per role).
    async fn token_of(&self, username: &str) -> String {
        self.service
            .store()
            .issue_token(username, "agenda test")
            .await
            .unwrap_or_else(|e| panic!("token for {username}: {e}"))
            .token
    }

    fn token(&self, role: Role) -> String {
        self.credentials.token(role).expect("token").to_string()
    }

    async fn get<T: serde::de::DeserializeOwned>(&self, path: &str, token: &str) -> T {
        let resp = http()
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::OK, "GET {path}");
        resp.json().await.unwrap()
    }

    async fn post(&self, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
        let resp = http()
            .post(self.url(path))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = resp.status();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    /// Open requests of `office`, of `patronato` when given.
    async fn open_requests(&self, office: &str, patronato: Option<&str>) -> Vec<RequestSummary> {
        let page: combipat::api::Page<RequestSummary> = self
            .get(
                &format!("/v1/requests?office={office}&limit=500"),
                &self.token(Role::Admin),
            )
            .await;
        page.items
            .into_iter()
            .filter(|r| r.status.code() != "chiusa")
            .filter(|r| patronato.is_none_or(|p| r.patronato == p))
            .collect()
    }

    async fn book(
        &self,
        token: &str,
        id: &str,
        start: Timestamp,
        channel: &str,
    ) -> (StatusCode, Value) {
        self.post(
            &format!("/v1/requests/{id}/appointments"),
            token,
            json!({ "start": start, "channel": channel }),
        )
        .await
    }
}

/// Working days in Rome from the day after tomorrow on (so every slot is in the future).
fn working_days(count: usize) -> Vec<Date> {
    let spec = CalendarSpec::for_comune("Roma");
    let mut day = agenda::rome_date(Timestamp::now())
        .unwrap()
        .tomorrow()
        .unwrap();
    let mut out = Vec::new();
    while out.len() < count {
        day = day.tomorrow().unwrap();
        if !agenda::day_slots(&spec, &SlotRules::default(), day)
            .unwrap()
            .is_empty()
        {
            out.push(day);
        }
    }
    out
}

/// The next weekday on which Rome's office is closed for a holiday.
fn next_weekday_holiday() -> (Date, Vec<String>) {
    let spec = CalendarSpec::for_comune("Roma");
    let mut day = agenda::rome_date(Timestamp::now())
        .unwrap()
        .tomorrow()
        .unwrap();
    loop {
        day = day.tomorrow().unwrap();
        let reasons = agenda::closing_reasons(&spec, day);
        if !reasons.is_empty() && spec.hours.is_working_day(day.weekday()) {
            return (day, reasons.iter().map(ToString::to_string).collect());
        }
    }
}

fn field(body: &Value) -> &str {
    body["field"].as_str().unwrap_or("")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn free_slots_follow_hours_holidays_and_capacity() {
    let t = Agenda::start(2).await;
    let operator = t.token_of("m.rossi").await;
    let day = working_days(1)[0];
    let slots: Slots = t
        .get(&format!("/v1/offices/RM01/slots?from={day}"), &operator)
        .await;
    assert_eq!((slots.slot_minutes, slots.capacity), (30, 2));
    let today = &slots.days[0];
    assert!(today.closed.is_empty());
    // 08:00–18:00 Rome in 30-minute slots.
    assert_eq!(today.slots.len(), 20);
    assert_eq!(today.slots[0].time, "08:00");
    assert_eq!(today.slots[19].time, "17:30");
    assert!(today.slots.iter().all(|s| s.remaining == 2));

    // A weekday holiday has no slots, and says why.
    let (holiday, reasons) = next_weekday_holiday();
    let closed: Slots = t
        .get(&format!("/v1/offices/RM01/slots?from={holiday}"), &operator)
        .await;
    assert!(closed.days[0].slots.is_empty());
    assert_eq!(closed.days[0].closed, reasons);

    // Two bookings fill a slot; the slots list shows it.
    let requests = t.open_requests("RM01", None).await;
    let start = today.slots[3].start;
    for request in &requests[..2] {
        let (status, body) = t
            .book(&operator, request.id.as_str(), start, "in_sede")
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    let after: Slots = t
        .get(
            &format!("/v1/offices/RM01/slots?from={day}&to={day}"),
            &operator,
        )
        .await;
    assert_eq!(after.days[0].slots[3].remaining, 0);
    assert_eq!(after.days[0].slots[4].remaining, 2);
    let (status, body) = t
        .book(&operator, requests[2].id.as_str(), start, "video")
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(body["code"], "slot_full");

    // Another office's calendar is its own: Milan's slots are untouched.
    let milan: Slots = t
        .get(&format!("/v1/offices/MI01/slots?from={day}"), &operator)
        .await;
    assert!(milan.days[0].slots.iter().all(|s| s.remaining == 2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_gets_422_naming_the_field() {
    let t = Agenda::start(2).await;
    let operator = t.token_of("m.rossi").await;
    let request = t.open_requests("RM01", None).await.remove(0);
    let id = request.id.as_str();
    let day = working_days(1)[0];
    let slots: Slots = t
        .get(&format!("/v1/offices/RM01/slots?from={day}"), &operator)
        .await;
    let first = slots.days[0].slots[0].start;
    let (holiday, _) = next_weekday_holiday();
    let holiday_nine: Timestamp = holiday
        .at(9, 0, 0, 0)
        .to_zoned(jiff::tz::TimeZone::get("Europe/Rome").unwrap())
        .unwrap()
        .timestamp();
    let evening = slots.days[0].slots[19].end; // 18:00, closing time
    let off_grid = first
        .checked_add(jiff::SignedDuration::from_mins(10))
        .unwrap();
    let cases: Vec<(Value, &str)> = vec![
        (
            json!({ "start": holiday_nine, "channel": "in_sede" }),
            "start",
        ),
        (json!({ "start": evening, "channel": "in_sede" }), "start"),
        (json!({ "start": off_grid, "channel": "in_sede" }), "start"),
        (
            json!({ "start": "2026-02-30T09:00:00Z", "channel": "in_sede" }),
            "start",
        ),
        (json!({ "start": first, "channel": "piccione" }), "channel"),
        (json!({ "channel": "in_sede" }), "start"),
        (
            json!({ "start": "2020-03-02T08:00:00Z", "channel": "in_sede" }),
            "start",
        ),
    ];
    for (body, expected) in cases {
        let (status, answer) = t
            .post(
                &format!("/v1/requests/{id}/appointments"),
                &operator,
                body.clone(),
            )
            .await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body} → {answer}"
        );
        assert_eq!(field(&answer), expected, "{body} → {answer}");
    }
    // Nothing was written by the refusals.
    let detail: RequestDetail = t.get(&format!("/v1/requests/{id}"), &operator).await;
    assert!(detail.appointments.is_empty());
    assert_eq!(detail.summary.version, request.version);

    for (query, expected) in [
        ("from=domani", "from"),
        (&format!("from={day}&to=2020-01-01") as &str, "to"),
        (&format!("from={day}&to=2099-01-01"), "to"),
    ] {
        let resp = http()
            .get(t.url(&format!("/v1/offices/RM01/slots?{query}")))
            .bearer_auth(&operator)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY, "{query}");
        let body: Value = resp.json().await.unwrap();
        assert_eq!(field(&body), expected, "{query}");
    }
    let resp = http()
        .get(t.url(&format!("/v1/offices/XX99/slots?from={day}")))
        .bearer_auth(&operator)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);

    // If-Match is the request's version.
    let resp = http()
        .post(t.url(&format!("/v1/requests/{id}/appointments")))
        .bearer_auth(&operator)
        .header("If-Match", format!("\"{}\"", request.version + 7))
        .json(&json!({ "start": first, "channel": "telefono" }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::PRECONDITION_FAILED);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_operators_racing_for_the_last_place_give_one_booking_in_200_runs() {
    let t = Agenda::start(1).await;
    let (rossi, bianchi) = (t.token_of("m.rossi").await, t.token_of("g.bianchi").await);
    let requests = t.open_requests("RM01", None).await;
    let (a, b) = (requests[0].id.to_string(), requests[1].id.to_string());
    let days = working_days(10);
    let mut starts = Vec::new();
    for day in &days {
        let slots: Slots = t
            .get(&format!("/v1/offices/RM01/slots?from={day}"), &rossi)
            .await;
        starts.extend(slots.days[0].slots.iter().map(|s| s.start));
    }
    assert!(starts.len() >= 200);
    let mut wins = (0, 0);
    for start in starts.iter().take(200).copied() {
        let (first, second) = tokio::join!(
            t.book(&rossi, &a, start, "in_sede"),
            t.book(&bianchi, &b, start, "telefono"),
        );
        let statuses = [first.0, second.0];
        let created = statuses
            .iter()
            .filter(|s| **s == StatusCode::CREATED)
            .count();
        assert_eq!(created, 1, "{start}: {first:?} / {second:?}");
        let (winner, loser, token) = if first.0 == StatusCode::CREATED {
            wins.0 += 1;
            (&first.1, &second.1, &rossi)
        } else {
            wins.1 += 1;
            (&second.1, &first.1, &bianchi)
        };
        assert_eq!(loser["code"], "slot_full", "{loser}");
        // Exactly one booking holds the slot.
        let list: AppointmentList = t
            .get(
                &format!(
                    "/v1/appointments?office=RM01&from={}",
                    agenda::rome_date(start).unwrap()
                ),
                &rossi,
            )
            .await;
        assert_eq!(list.items.iter().filter(|x| x.at == start).count(), 1);
        // Cancelling frees the place (and the request for the next run).
        let id = winner["id"].as_str().unwrap();
        let appointment = winner["appointments"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["state"] == "booked")
            .unwrap()["id"]
            .as_i64()
            .unwrap();
        let (status, body) = t
            .post(
                &format!("/v1/requests/{id}/appointments/{appointment}/cancel"),
                token,
                json!({}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    assert_eq!(wins.0 + wins.1, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_frees_the_place_and_reschedule_moves_it_with_history_events_and_audit() {
    let t = Agenda::start(1).await;
    let operator = t.token_of("m.rossi").await;
    let requests = t.open_requests("RM01", None).await;
    let (a, b) = (requests[0].id.to_string(), requests[1].id.to_string());
    let day = working_days(1)[0];
    let slots: Slots = t
        .get(&format!("/v1/offices/RM01/slots?from={day}"), &operator)
        .await;
    let (nine, ten) = (slots.days[0].slots[2].start, slots.days[0].slots[4].start);

    let key = "agenda-book-1";
    let body = json!({ "start": nine, "channel": "video" });
    let send = || {
        http()
            .post(t.url(&format!("/v1/requests/{a}/appointments")))
            .bearer_auth(&operator)
            .header("Idempotency-Key", key)
            .json(&body)
            .send()
    };
    let first = send().await.unwrap();
    assert_eq!(first.status(), StatusCode::CREATED);
    let detail: RequestDetail = first.json().await.unwrap();
    let replay = send().await.unwrap();
    assert_eq!(replay.status(), StatusCode::CREATED);
    assert_eq!(replay.headers()["idempotent-replayed"], "true");
    let appointment = &detail.appointments[0];
    assert_eq!(appointment.at, nine);
    assert_eq!(appointment.rome_time, format!("{day} 09:00"));
    assert_eq!(appointment.booked_by, "m.rossi");
    let history = detail.history.last().unwrap();
    assert!(
        history.detail.as_deref().unwrap().starts_with("booked #"),
        "{history:?}"
    );

    // Full (capacity 1); a second booking of the same request is refused too.
    let (status, answer) = t.book(&operator, &b, nine, "in_sede").await;
    assert_eq!(
        (status, answer["code"].as_str()),
        (StatusCode::CONFLICT, Some("slot_full"))
    );
    let (status, answer) = t.book(&operator, &a, ten, "in_sede").await;
    assert_eq!(
        (status, answer["code"].as_str()),
        (StatusCode::CONFLICT, Some("appointment_exists"))
    );

    // Reschedule to 10:00: 09:00 is free again, 10:00 is taken.
    let id = appointment.id;
    let (status, moved) = t
        .post(
            &format!("/v1/requests/{a}/appointments/{id}/reschedule"),
            &operator,
            json!({ "start": ten, "channel": "telefono" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{moved}");
    assert_eq!(moved["appointments"][0]["mode"], "telefono");
    let (status, _) = t.book(&operator, &b, nine, "in_sede").await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, answer) = t
        .book(&operator, &requests[2].id.to_string(), ten, "in_sede")
        .await;
    assert_eq!(
        (status, answer["code"].as_str()),
        (StatusCode::CONFLICT, Some("slot_full"))
    );

    // Cancel frees 10:00; a second cancel is refused.
    let path = format!("/v1/requests/{a}/appointments/{id}/cancel");
    let (status, _) = t
        .post(&path, &operator, json!({ "reason": "Rinuncia" }))
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, answer) = t.post(&path, &operator, json!({})).await;
    assert_eq!(
        (status, answer["code"].as_str()),
        (StatusCode::CONFLICT, Some("appointment_not_booked"))
    );
    let after: Slots = t
        .get(&format!("/v1/offices/RM01/slots?from={day}"), &operator)
        .await;
    assert_eq!(after.days[0].slots[4].remaining, 1);
    assert_eq!(after.days[0].slots[2].remaining, 0);

    // Events and audit entries record each step.
    let store = t.service.store();
    let admin = store
        .authenticate(&t.token(Role::Admin))
        .await
        .unwrap()
        .unwrap();
    let events = store.events_after(&admin, 0, 10_000).await.unwrap().events;
    let kinds: Vec<&str> = events
        .iter()
        .filter(|e| e.kind.starts_with("appointment."))
        .map(|e| e.kind.as_str())
        .collect();
    assert_eq!(
        kinds,
        [
            "appointment.booked",
            "appointment.rescheduled",
            "appointment.booked",
            "appointment.cancelled"
        ]
    );
    let audit = store.audit_log(0, 100_000).await.unwrap();
    assert!(audit.iter().any(|e| e.action == "appointment.rescheduled"));
    assert!(
        store
            .verify_audit_chain()
            .await
            .unwrap()
            .first_broken
            .is_none()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_patronato_sees_its_own_appointments_only_and_can_ask_to_move_one() {
    let t = Agenda::start(2).await;
    let operator = t.token_of("m.rossi").await;
    let inca = t.token_of("inca.client").await;
    let acli = t.token_of("acli.client").await;
    let inca_request = t.open_requests("RM01", Some("INCA")).await.remove(0);
    let acli_request = t.open_requests("RM01", Some("ACLI")).await.remove(0);
    let day = working_days(1)[0];
    let slots: Slots = t
        .get(&format!("/v1/offices/RM01/slots?from={day}"), &operator)
        .await;
    let start = slots.days[0].slots[5].start;
    for request in [&inca_request, &acli_request] {
        let (status, body) = t
            .book(&operator, request.id.as_str(), start, "in_sede")
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    let mine: AppointmentList = t.get(&format!("/v1/appointments?from={day}"), &inca).await;
    assert_eq!(mine.items.len(), 1);
    let seen = &mine.items[0];
    assert_eq!(seen.request_id.as_ref(), Some(&inca_request.id));
    assert_eq!(seen.booked_by, "", "no INPS usernames for patronati");
    assert_eq!(seen.rome_time, format!("{day} 10:30"));
    assert_eq!(
        seen.contact.address.as_deref(),
        Some("Via Ciro il Grande 21, Roma")
    );
    let theirs: AppointmentList = t.get(&format!("/v1/appointments?from={day}"), &acli).await;
    assert_eq!(theirs.items.len(), 1);
    assert_eq!(theirs.items[0].request_id.as_ref(), Some(&acli_request.id));
    let office: AppointmentList = t
        .get(&format!("/v1/appointments?from={day}"), &operator)
        .await;
    assert_eq!(office.items.len(), 2);

    // The request detail shows it to the patronato, without the operator's name.
    let detail: RequestDetail = t
        .get(&format!("/v1/requests/{}", inca_request.id), &inca)
        .await;
    assert_eq!(detail.appointments.len(), 1);
    assert_eq!(detail.appointments[0].booked_by, "");

    // Asking to move: the patronato may, with a message; the office may not (it reschedules);
    // another patronato cannot even see the request.
    let id = seen.id;
    let path = format!(
        "/v1/requests/{}/appointments/{id}/move-request",
        inca_request.id
    );
    let (status, body) = t
        .post(
            &path,
            &inca,
            json!({ "message": "L'assistito è ricoverato fino al 10." }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body["appointments"][0]["move_request"],
        "L'assistito è ricoverato fino al 10."
    );
    let (status, _) = t.post(&path, &operator, json!({ "message": "x" })).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = t.post(&path, &acli, json!({ "message": "x" })).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, body) = t.post(&path, &inca, json!({ "message": "  " })).await;
    assert_eq!(
        (status, field(&body)),
        (StatusCode::UNPROCESSABLE_ENTITY, "message")
    );
    // A patronato cannot book.
    let (status, _) = t
        .book(&inca, inca_request.id.as_str(), start, "video")
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // Its event stream carries its own appointment's events, without INPS usernames, and
    // nothing of the other patronato's.
    let store = t.service.store();
    let who = store.authenticate(&inca).await.unwrap().unwrap();
    let events = store.events_after(&who, 0, 10_000).await.unwrap().events;
    let agenda: Vec<_> = events
        .iter()
        .filter(|e| e.kind.starts_with("appointment."))
        .collect();
    let kinds: Vec<&str> = agenda.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(kinds, ["appointment.booked", "appointment.move_requested"]);
    assert!(
        agenda
            .iter()
            .all(|e| e.request_id.as_ref() == Some(&inca_request.id))
    );
    assert!(agenda.iter().all(|e| e.data.get("actor").is_none()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_openapi_document_lists_the_agenda_and_the_queue_counts_today() {
    let t = Agenda::start(2).await;
    let doc: Value = http()
        .get(t.url("/v1/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for path in [
        "/v1/offices/{office}/slots",
        "/v1/appointments",
        "/v1/requests/{id}/appointments",
        "/v1/requests/{id}/appointments/{appointment}/reschedule",
        "/v1/requests/{id}/appointments/{appointment}/cancel",
        "/v1/requests/{id}/appointments/{appointment}/move-request",
    ] {
        assert!(doc["paths"].get(path).is_some(), "{path} missing");
    }
    let queues: Vec<combipat::api::QueueCount> =
        t.get("/v1/queues", &t.token_of("m.rossi").await).await;
    assert!(queues.iter().any(|q| q.id == "appointments_today"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_agenda_command_prints_the_day_and_writes_ics_feeds_a_real_parser_reads() {
    use icalendar::{Calendar, Component, EventLike, EventStatus};
    let t = Agenda::start(2).await;
    let (rossi, bianchi) = (t.token_of("m.rossi").await, t.token_of("g.bianchi").await);
    let requests = t.open_requests("RM01", None).await;
    let day = working_days(1)[0];
    let slots: Slots = t
        .get(&format!("/v1/offices/RM01/slots?from={day}"), &rossi)
        .await;
    let (eight, nine) = (slots.days[0].slots[0].start, slots.days[0].slots[2].start);
    let mut booked = Vec::new();
    for (token, request, start, channel) in [
        (&rossi, &requests[0], eight, "in_sede"),
        (&rossi, &requests[1], eight, "telefono"),
        (&bianchi, &requests[2], nine, "video"),
        (&bianchi, &requests[3], nine, "in_sede"),
    ] {
        let (status, body) = t.book(token, request.id.as_str(), start, channel).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        booked.push(body);
    }
    // One cancelled: it stays in the feed as CANCELLED, and frees its place.
    let cancelled_id = booked[3]["appointments"][0]["id"].as_i64().unwrap();
    let (status, _) = t
        .post(
            &format!(
                "/v1/requests/{}/appointments/{cancelled_id}/cancel",
                requests[3].id
            ),
            &bianchi,
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);

    let data = tempfile::tempdir().unwrap();
    let base = t.service.base_url();
    let run = |extra: &[&str]| {
        let mut args = vec![
            "--server",
            &base,
            "--token",
            &rossi,
            "--data-dir",
            data.path().to_str().unwrap(),
            "--config",
            "/dev/null",
            "agenda",
        ];
        args.extend_from_slice(extra);
        let out = common::run_combipat(&args);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let day_text = run(&["--office", "RM01", "--day", &day.to_string()]);
    assert!(day_text.starts_with("Agenda RM01 · "), "{day_text}");
    assert!(day_text.contains("(ora di Roma)"), "{day_text}");
    assert!(
        day_text.contains("08:00–08:30  0 di 2 liberi"),
        "{day_text}"
    );
    assert!(
        day_text.contains("09:00–09:30  1 di 2 liberi"),
        "{day_text}"
    );
    assert!(
        day_text.contains("08:30–09:00  2 di 2 liberi"),
        "{day_text}"
    );
    assert!(day_text.contains(requests[0].id.as_str()), "{day_text}");
    assert!(day_text.contains("(annullato)"), "{day_text}");

    // The office feed: every appointment of the range, parsed by a real iCalendar parser.
    let office_feed = run(&["--office", "RM01", "--ics", "--from", &day.to_string()]);
    let calendar: Calendar = office_feed.parse().expect("RFC 5545");
    let events: Vec<_> = calendar.events().collect();
    assert_eq!(events.len(), 4, "{office_feed}");
    let first = events
        .iter()
        .find(|e| {
            e.get_summary()
                .is_some_and(|s| s.contains(requests[0].id.as_str()))
        })
        .unwrap();
    let start = match first.get_start() {
        Some(icalendar::DatePerhapsTime::DateTime(icalendar::CalendarDateTime::Utc(dt))) => {
            dt.timestamp()
        }
        other => panic!("DTSTART {other:?}"),
    };
    assert_eq!(start, eight.as_second());
    assert_eq!(first.get_location(), Some("Via Ciro il Grande 21, Roma"));
    assert_eq!(first.get_status(), Some(EventStatus::Confirmed));
    assert!(first.get_uid().unwrap().starts_with("appointment-"));
    assert_eq!(
        events
            .iter()
            .filter(|e| e.get_status() == Some(EventStatus::Cancelled))
            .count(),
        1
    );

    // The operator's own feed: g.bianchi's two, written to a file.
    let file = data.path().join("bianchi.ics");
    run(&[
        "--operator",
        "g.bianchi",
        "--ics",
        "--from",
        &day.to_string(),
        "--output",
        file.to_str().unwrap(),
    ]);
    let text = std::fs::read_to_string(&file).unwrap();
    let mine: Calendar = text.parse().expect("RFC 5545");
    assert_eq!(mine.events().count(), 2, "{text}");
    assert!(mine.events().all(|e| e.get_start().is_some()));
}

#[test]
fn the_example_config_sets_the_agenda_and_bad_settings_are_named() {
    use combipat::config::{Config, Source};
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("config.example.toml");
    let config = Config::load(Some(&path), None).unwrap();
    let sla = Sla::from_config(&config, None).unwrap();
    let rome = sla.agenda().rules("RM01");
    assert_eq!((rome.slot_minutes, rome.capacity), (30, 3));
    let milan = sla.agenda().rules("MI01");
    assert_eq!(milan.slot_minutes, 20);
    assert_eq!(milan.channels.len(), 2);
    assert_eq!(
        sla.agenda().contact("RM01", None).phone.as_deref(),
        Some("06 5905 0000")
    );

    let parse = |text: &str| Config::parse(&Source::new("agenda.toml", text), None);
    let zero = parse("[agenda]\n[[agenda.office]]\noffice = \"RM01\"\ncapacity = 0\n").unwrap();
    let error = Sla::from_config(&zero, None).unwrap_err().to_string();
    assert!(error.contains("agenda.office[0].capacity"), "{error}");
    let unknown = parse("[[agenda.office]]\noffice = \"ZZ99\"\n").unwrap();
    let error = Sla::from_config(&unknown, None).unwrap_err().to_string();
    assert!(error.contains("agenda.office[0].office"), "{error}");
    let typo = parse("[agenda]\nslot_minute = 15\n")
        .unwrap_err()
        .to_string();
    assert!(
        typo.contains("agenda.toml") && typo.contains("slot_minute"),
        "{typo}"
    );
    let channel = parse("[agenda]\nchannels = [\"piccione\"]\n")
        .unwrap_err()
        .to_string();
    assert!(channel.contains("piccione"), "{channel}");
}
