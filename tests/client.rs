//! The async client against the real service over loopback, on a real SQLite file.

mod common;

use std::collections::HashSet;
use std::time::Duration;

use combipat::api::{ActionBody, NewMessage, NewRequest, RequestFilter};
use combipat::client::{
    Backoff, Client, ClientError, ClientOptions, ConnectionState, EventItem, EventStream,
    IdempotencyKey,
};
use combipat::demo::simulate::{self, KnownCitizen, SimulateConfig};
use combipat::domain::request::{MessageKind, RequestId, Status, Topic};
use combipat::domain::roles::Role;
use combipat::service::{self, ServiceConfig};
use common::TestService;
use futures::StreamExt;

/// Fast retries so outage tests finish quickly; still exponential with jitter.
fn options() -> ClientOptions {
    ClientOptions {
        request_timeout: Duration::from_secs(20),
        retry: Backoff {
            initial: Duration::from_millis(100),
            max: Duration::from_millis(800),
            max_attempts: 8,
        },
        reconnect_spread: Duration::from_millis(100),
        reconnect: Backoff {
            initial: Duration::from_millis(100),
            max: Duration::from_millis(500),
            max_attempts: u32::MAX,
        },
        ..ClientOptions::default()
    }
}

fn client(t: &TestService, role: Role) -> Client {
    Client::new(&t.service.base_url(), &t.token(role), options()).unwrap()
}

/// A citizen of the patronato's own requests that the server accepts a new request for
/// (an active mandate), found by trying them in turn.
async fn file_for_known_citizen(patronato: &Client, subject: &str) -> (KnownCitizen, RequestId) {
    let citizens = simulate::discover_citizens(patronato, 1000).await.unwrap();
    assert!(!citizens.is_empty(), "the demo patronato has no requests");
    for citizen in citizens {
        let request = new_request(&citizen, subject);
        match patronato
            .create_request(&request, &IdempotencyKey::new())
            .await
        {
            Ok(created) => return (citizen, created.value.summary.id),
            Err(ClientError::Forbidden(_) | ClientError::Invalid(_)) => continue,
            Err(other) => panic!("unexpected {other:?}"),
        }
    }
    panic!("no citizen with an active mandate")
}

fn new_request(citizen: &KnownCitizen, subject: &str) -> NewRequest {
    NewRequest {
        office: citizen.office.clone(),
        topic: Topic::Pensioni,
        citizen: citizen.codice_fiscale.clone(),
        application_protocol: None,
        subject: subject.into(),
        body: "Si chiede lo stato della domanda di ricostituzione.".into(),
        priority: combipat::domain::request::Priority::Normale,
    }
}

/// A client acting for INPS on `office` (the demo operator if it is theirs, else admin).
fn inps_client(t: &TestService, office: &str) -> Client {
    let operator_office = t
        .credentials
        .credential
        .iter()
        .find(|c| c.role == Role::Operator)
        .and_then(|c| c.office.clone());
    let role = if operator_office.as_deref() == Some(office) {
        Role::Operator
    } else {
        Role::Admin
    };
    client(t, role)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_endpoint_over_loopback() {
    let t = TestService::demo().await;
    let patronato = client(&t, Role::Patronato);

    patronato.healthz().await.unwrap();
    let openapi = patronato.openapi().await.unwrap();
    assert!(openapi["openapi"].as_str().unwrap().starts_with("3."));
    assert!(openapi["paths"]["/v1/requests/{id}/actions"].is_object());

    let me = patronato.me().await.unwrap();
    assert_eq!(me.role, Role::Patronato);
    assert!(me.patronato.is_some());

    // Filing, then reading back with its version.
    let (citizen, id) = file_for_known_citizen(&patronato, "Ricostituzione pensione").await;
    let inps = inps_client(&t, &citizen.office);
    let detail = inps.get_request(&id).await.unwrap();
    assert_eq!(detail.version, detail.value.summary.version);
    assert_eq!(detail.value.summary.status, Status::Nuova);
    assert_eq!(detail.value.thread.len(), 1);
    assert!(!detail.replayed);

    // Take with If-Match, then ask for an integration, which the patronato answers.
    let taken = inps
        .act(
            &id,
            detail.version,
            &ActionBody::Take,
            &IdempotencyKey::new(),
        )
        .await
        .unwrap();
    assert_eq!(taken.value.summary.status, Status::InLavorazione);
    assert!(taken.version > detail.version);
    let asked = inps
        .add_message(
            &id,
            &NewMessage {
                kind: MessageKind::IntegrationRequest,
                body: "Si chiede copia del modello AP70.".into(),
            },
            Some(taken.version),
            &IdempotencyKey::new(),
        )
        .await
        .unwrap();
    assert_eq!(asked.value.summary.status, Status::InAttesaIntegrazione);
    let answered = patronato
        .add_message(
            &id,
            &NewMessage {
                kind: MessageKind::PatronatoMessage,
                body: "Si allega il modello AP70.".into(),
            },
            None,
            &IdempotencyKey::new(),
        )
        .await
        .unwrap();
    assert_eq!(answered.value.summary.status, Status::InLavorazione);
    assert_eq!(answered.value.thread.len(), 3);

    // Lists: one page, and all pages through the cursor helper agree with each other.
    let filter = RequestFilter {
        limit: Some(7),
        ..RequestFilter::default()
    };
    let first = inps.list_requests(&filter).await.unwrap();
    assert_eq!(first.items.len(), 7);
    assert!(first.next_cursor.is_some());
    let all = inps.list_all_requests(&filter).await.unwrap();
    let ids: HashSet<_> = all.iter().map(|r| r.id.clone()).collect();
    assert_eq!(ids.len(), all.len(), "pages overlap");
    assert!(ids.contains(&id));
    let in_one_page = inps
        .list_requests(&RequestFilter {
            limit: Some(500),
            ..RequestFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(in_one_page.items.len(), all.len());
    let by_status = inps
        .list_all_requests(&RequestFilter {
            status: Some(Status::InLavorazione),
            ..RequestFilter::default()
        })
        .await
        .unwrap();
    assert!(by_status.iter().all(|r| r.status == Status::InLavorazione));
    assert!(by_status.iter().any(|r| r.id == id));

    let queues = inps.queues().await.unwrap();
    assert!(!queues.is_empty());

    let dossier = inps.dossier(&citizen.codice_fiscale).await.unwrap();
    assert_eq!(
        dossier.citizen.codice_fiscale.as_str(),
        citizen.codice_fiscale
    );
    assert!(dossier.requests.iter().any(|r| r.id == id));

    let audit = client(&t, Role::Auditor)
        .audit(&combipat::client::AuditQuery {
            limit: Some(1000),
            cursor: None,
        })
        .await
        .unwrap();
    assert!(
        audit.items.iter().any(|e| e.action.contains("dossier")),
        "the dossier read is audited"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_are_typed() {
    let t = TestService::demo().await;
    let patronato = client(&t, Role::Patronato);
    let (citizen, id) = file_for_known_citizen(&patronato, "Errori tipizzati").await;
    let inps = inps_client(&t, &citizen.office);

    let missing = RequestId::new(2026, 9_999_999);
    let error = inps.get_request(&missing).await.unwrap_err();
    assert!(matches!(error, ClientError::NotFound(_)), "{error:?}");

    let bad_token = Client::new(&t.service.base_url(), "nope", options()).unwrap();
    let error = bad_token.me().await.unwrap_err();
    assert!(matches!(error, ClientError::Unauthorized(_)), "{error:?}");

    let error = patronato
        .audit(&combipat::client::AuditQuery::default())
        .await
        .unwrap_err();
    assert!(matches!(error, ClientError::Forbidden(_)), "{error:?}");

    // Stale If-Match: act on version 1 after the request moved on.
    let current = inps.get_request(&id).await.unwrap();
    inps.act(
        &id,
        current.version,
        &ActionBody::Tag {
            tag: "ricostituzione".into(),
        },
        &IdempotencyKey::new(),
    )
    .await
    .unwrap();
    let error = inps
        .act(
            &id,
            current.version,
            &ActionBody::Take,
            &IdempotencyKey::new(),
        )
        .await
        .unwrap_err();
    assert!(matches!(error, ClientError::Stale(_)), "{error:?}");

    // Illegal transition: closing a request nobody took.
    let fresh = inps.get_request(&id).await.unwrap();
    let error = inps
        .act(
            &id,
            fresh.version,
            &ActionBody::Close {
                outcome: combipat::domain::request::Outcome::Evasa,
                note: None,
            },
            &IdempotencyKey::new(),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(error, ClientError::IllegalTransition(_)),
        "{error:?}"
    );

    // 422 naming the field.
    let mut bad = new_request(&citizen, "Codice fiscale errato");
    bad.citizen = "RSSMRA85T10A562X".into();
    let error = patronato
        .create_request(&bad, &IdempotencyKey::new())
        .await
        .unwrap_err();
    assert!(matches!(error, ClientError::Invalid(_)), "{error:?}");
    assert_eq!(error.field(), Some("citizen"));

    // The same key with a different body.
    let key = IdempotencyKey::new();
    patronato
        .create_request(&new_request(&citizen, "Primo"), &key)
        .await
        .unwrap();
    let error = patronato
        .create_request(&new_request(&citizen, "Secondo"), &key)
        .await
        .unwrap_err();
    assert!(
        matches!(error, ClientError::IdempotencyMismatch(_)),
        "{error:?}"
    );

    // Over 64 KiB.
    let mut huge = new_request(&citizen, "Allegato enorme");
    huge.body = "x".repeat(70 * 1024);
    let error = patronato
        .create_request(&huge, &IdempotencyKey::new())
        .await
        .unwrap_err();
    assert!(
        matches!(error, ClientError::PayloadTooLarge(_)),
        "{error:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retried_write_with_the_same_key_makes_one_record() {
    let t = TestService::demo().await;
    let patronato = client(&t, Role::Patronato);
    let (citizen, _) = file_for_known_citizen(&patronato, "Preparazione").await;
    let count = || async {
        patronato
            .list_all_requests(&RequestFilter::default())
            .await
            .unwrap()
            .len()
    };
    let before = count().await;
    // The user pressed "send" once; the first answer got lost, the client sent it again.
    let key = IdempotencyKey::new();
    let request = new_request(&citizen, "Inviata due volte");
    let first = patronato.create_request(&request, &key).await.unwrap();
    let second = patronato.create_request(&request, &key).await.unwrap();
    assert_eq!(first.value.summary.id, second.value.summary.id);
    assert!(!first.replayed);
    assert!(second.replayed);
    assert_eq!(count().await, before + 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idempotent_calls_ride_out_a_restart() {
    let TestService {
        service,
        credentials,
        dir,
        database,
    } = TestService::demo().await;
    let addr = service.addr();
    let token = credentials.token(Role::Patronato).unwrap().to_string();
    let patronato = Client::new(&service.base_url(), &token, options()).unwrap();
    let (citizen, _) = file_for_known_citizen(&patronato, "Prima del riavvio").await;
    service.shutdown().await.unwrap();

    // While the service is down, a read and a keyed write are in flight; they succeed once
    // it is back on the same port and data dir.
    let restart = tokio::spawn({
        let dir = dir.path().to_path_buf();
        async move {
            tokio::time::sleep(Duration::from_millis(600)).await;
            service::start(
                ServiceConfig::new(addr, dir)
                    .with_database(database)
                    .with_demo(true),
            )
            .await
            .unwrap()
        }
    });
    let me = patronato.me().await.unwrap();
    assert_eq!(me.role, Role::Patronato);
    let filed = patronato
        .create_request(
            &new_request(&citizen, "Durante il riavvio"),
            &IdempotencyKey::new(),
        )
        .await
        .unwrap()
        .value
        .summary
        .id;
    patronato.get_request(&filed).await.unwrap();
    let matching = patronato
        .list_all_requests(&RequestFilter {
            q: Some("Durante il riavvio".into()),
            ..RequestFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(matching.len(), 1, "{matching:?}");
    restart.await.unwrap().shutdown().await.unwrap();

    // With the service gone for good, retries run out and the error says why.
    let error = Client::new(&format!("http://{addr}"), "wrong", options())
        .unwrap()
        .me()
        .await
        .unwrap_err();
    assert!(
        matches!(error, ClientError::Network(_)),
        "service is down: {error:?}"
    );
}

/// Collects events (skipping state items) until `done` says so; returns them and the states.
async fn collect_until(
    stream: &mut EventStream,
    mut done: impl FnMut(&[u64]) -> bool,
    states: &mut Vec<String>,
) -> Vec<u64> {
    let mut seqs = Vec::new();
    let deadline = Duration::from_secs(60);
    tokio::time::timeout(deadline, async {
        while !done(&seqs) {
            match stream.next().await.expect("the stream does not end") {
                EventItem::Event(envelope) => seqs.push(envelope.seq),
                EventItem::State(state) => states.push(state_name(&state)),
                EventItem::Resync { seq } => panic!("unexpected resync to {seq:?}"),
            }
        }
    })
    .await
    .expect("events arrive");
    seqs
}

fn state_name(state: &ConnectionState) -> String {
    match state {
        ConnectionState::Connecting => "connecting".into(),
        ConnectionState::Connected => "connected".into(),
        ConnectionState::Reconnecting { .. } => "reconnecting".into(),
        ConnectionState::Closed(e) => format!("closed: {e}"),
    }
}

async fn wait_connected(stream: &mut EventStream) {
    tokio::time::timeout(Duration::from_secs(30), async {
        loop {
            if let EventItem::State(ConnectionState::Connected) = stream.next().await.unwrap() {
                return;
            }
        }
    })
    .await
    .expect("connects");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_resume_after_a_restart_without_gaps_or_duplicates() {
    let TestService {
        service,
        credentials,
        dir,
        database,
    } = TestService::demo().await;
    let addr = service.addr();
    let base = service.base_url();
    let watcher = Client::new(&base, credentials.token(Role::Admin).unwrap(), options()).unwrap();
    let patronato = Client::new(
        &base,
        credentials.token(Role::Patronato).unwrap(),
        options(),
    )
    .unwrap();

    let mut stream = watcher.events(None);
    wait_connected(&mut stream).await;
    let (citizen, _) = file_for_known_citizen(&patronato, "Evento 1").await;
    for n in 2..=3 {
        patronato
            .create_request(
                &new_request(&citizen, &format!("Evento {n}")),
                &IdempotencyKey::new(),
            )
            .await
            .unwrap();
    }
    let mut states = Vec::new();
    let before = collect_until(&mut stream, |s| s.len() >= 3, &mut states).await;

    // Force a disconnect: stop the service, write while the client is reconnecting, restart.
    service.shutdown().await.unwrap();
    let service = service::start(
        ServiceConfig::new(addr, dir.path())
            .with_database(database.clone())
            .with_demo(true),
    )
    .await
    .unwrap();
    for n in 4..=6 {
        patronato
            .create_request(
                &new_request(&citizen, &format!("Evento {n}")),
                &IdempotencyKey::new(),
            )
            .await
            .unwrap();
    }
    let after = collect_until(&mut stream, |s| s.len() >= 3, &mut states).await;
    assert!(
        states.iter().any(|s| s == "reconnecting"),
        "the client noticed the disconnect: {states:?}"
    );
    assert_eq!(states.last().map(String::as_str), Some("connected"));

    // What the client saw equals what a fresh subscription from the first seq replays.
    let seen: Vec<u64> = before.iter().chain(&after).copied().collect();
    let mut fresh = watcher.events(Some(seen[0] - 1));
    let last = *seen.last().unwrap();
    let mut ignored = Vec::new();
    let truth = collect_until(
        &mut fresh,
        |s| s.last().is_some_and(|x| *x >= last),
        &mut ignored,
    )
    .await;
    assert_eq!(seen, truth, "no gaps, no duplicates, in order");
    drop(stream);
    drop(fresh);
    service.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn simulate_files_requests_that_appear_in_the_list() {
    let t = TestService::demo().await;
    let patronato = client(&t, Role::Patronato);
    let before: HashSet<_> = patronato
        .list_all_requests(&RequestFilter::default())
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.id)
        .collect();

    let config = SimulateConfig {
        rate_per_minute: 6_000.0,
        seed: Some(11),
        max_actions: Some(12),
        answer_share: 0.0,
        ..SimulateConfig::default()
    };
    let report = simulate::run(&patronato, config, std::future::pending())
        .await
        .unwrap();
    assert!(report.filed >= 6, "{report:?}");
    assert_eq!(report.filed + report.failed, 12);

    let after = patronato
        .list_all_requests(&RequestFilter::default())
        .await
        .unwrap();
    let new: Vec<_> = after.iter().filter(|r| !before.contains(&r.id)).collect();
    assert_eq!(new.len() as u64, report.filed);
    assert!(new.iter().all(|r| !r.subject.is_empty()));

    // An operator asks for an integration; the simulator answers it.
    let target = &new[0];
    let inps = inps_client(&t, &target.office);
    let detail = inps.get_request(&target.id).await.unwrap();
    let taken = inps
        .act(
            &target.id,
            detail.version,
            &ActionBody::Take,
            &IdempotencyKey::new(),
        )
        .await
        .unwrap();
    inps.add_message(
        &target.id,
        &NewMessage {
            kind: MessageKind::IntegrationRequest,
            body: "Si chiede l'attestazione ISEE.".into(),
        },
        Some(taken.version),
        &IdempotencyKey::new(),
    )
    .await
    .unwrap();
    let config = SimulateConfig {
        rate_per_minute: 6_000.0,
        seed: Some(12),
        max_actions: Some(1),
        answer_share: 1.0,
        ..SimulateConfig::default()
    };
    let report = simulate::run(&patronato, config, std::future::pending())
        .await
        .unwrap();
    assert_eq!(report.answered, 1, "{report:?}");
    let answered = inps.get_request(&target.id).await.unwrap();
    assert_eq!(answered.value.summary.status, Status::InLavorazione);
    assert_eq!(
        answered.value.thread.last().unwrap().kind,
        MessageKind::PatronatoMessage
    );

    // A stop signal ends a run that would otherwise go on forever.
    let endless = SimulateConfig {
        rate_per_minute: 60.0,
        ..SimulateConfig::default()
    };
    let report = simulate::run(
        &patronato,
        endless,
        tokio::time::sleep(Duration::from_millis(300)),
    )
    .await
    .unwrap();
    assert!(
        report.filed + report.failed + report.answered <= 1,
        "{report:?}"
    );
}
