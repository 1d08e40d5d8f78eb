//! Incremental sync over real HTTP + SSE on loopback: a workstation that missed events while
//! the service was away catches up to exactly the service's state by asking only for what
//! changed (no whole reload), and a `resync` (the changes are no longer kept) reloads it whole.
//! Runs on SQLite, and on PostgreSQL with `COMBIPAT_TEST_STORE=postgres`.

mod common;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use combipat::api::{ActionBody, NewMessage, NewRequest, RequestFilter, RequestSummary};
use combipat::client::{Client, ClientOptions, IdempotencyKey};
use combipat::domain::request::{MessageKind, Outcome, Priority, RequestId, Status, Topic};
use combipat::domain::roles::Role;
use combipat::i18n::Lang;
use combipat::service::{self, ServiceConfig};
use combipat::tui::gateway::Gateway;
use combipat::tui::live;
use combipat::tui::remote::ClientGateway;
use combipat::tui::state::{Operator, State};
use combipat::tui::update::{Msg, update};
use common::{TestService, loopback};
use tokio::sync::mpsc;

const PATIENCE: Duration = Duration::from_secs(60);

fn options() -> ClientOptions {
    ClientOptions {
        reconnect_spread: Duration::from_millis(200),
        ..ClientOptions::default()
    }
}

fn client(url: &str, token: &str) -> Client {
    Client::new(url, token, options()).expect("client")
}

/// What the list shows of a row, compared between the workstation and the service.
fn shown(rows: &[RequestSummary]) -> BTreeMap<RequestId, (u64, Status, Option<String>, String)> {
    rows.iter()
        .map(|r| {
            (
                r.id.clone(),
                (r.version, r.status, r.assignee.clone(), r.office.clone()),
            )
        })
        .collect()
}

/// The workstation's state fed by `live::run`, with a record of how it was brought up to date.
struct Workstation {
    state: State,
    rx: mpsc::UnboundedReceiver<Msg>,
    /// Whole loads started (`Page { first: true }`), and catch-ups received.
    full_loads: usize,
    catch_ups: usize,
    _task: tokio::task::JoinHandle<()>,
}

impl Workstation {
    fn start(url: &str, token: &str) -> Workstation {
        let gateway: Arc<dyn Gateway> = Arc::new(ClientGateway::new(client(url, token)));
        let (tx, rx) = mpsc::unbounded_channel();
        let events = gateway.events().expect("an event stream");
        let task = tokio::spawn(async move {
            live::run(events, gateway.as_ref(), "m.rossi", &tx).await;
        });
        let me = Operator {
            username: "m.rossi".into(),
            office: "RM01".into(),
        };
        Workstation {
            state: State::new(Lang::En, me, jiff::Timestamp::now()),
            rx,
            full_loads: 0,
            catch_ups: 0,
            _task: task,
        }
    }

    /// Applies live messages until `done` holds after one of them.
    async fn until(&mut self, what: &str, done: impl Fn(&Workstation, &Msg) -> bool) {
        tokio::time::timeout(PATIENCE, async {
            loop {
                let msg = self.rx.recv().await.expect("live updates go on");
                match &msg {
                    Msg::Page { first: true, .. } => self.full_loads += 1,
                    Msg::Changed { .. } => self.catch_ups += 1,
                    _ => {}
                }
                update(&mut self.state, msg.clone());
                if done(self, &msg) {
                    return;
                }
            }
        })
        .await
        .unwrap_or_else(|_| panic!("no {what} within {PATIENCE:?}"));
    }

    async fn loaded(&mut self) {
        self.until("whole list", |_, msg| {
            matches!(msg, Msg::Page { more: false, .. })
        })
        .await;
    }

    /// Drains what is already queued (replayed events of the outage among them).
    async fn settle(&mut self) {
        while let Ok(Some(msg)) =
            tokio::time::timeout(Duration::from_millis(700), self.rx.recv()).await
        {
            match &msg {
                Msg::Page { first: true, .. } => self.full_loads += 1,
                Msg::Changed { .. } => self.catch_ups += 1,
                _ => {}
            }
            update(&mut self.state, msg);
        }
    }
}

async fn server_rows(url: &str, token: &str) -> Vec<RequestSummary> {
    client(url, token)
        .list_all_requests(&RequestFilter {
            limit: Some(500),
            ..RequestFilter::default()
        })
        .await
        .expect("the operator's list")
}

/// Stops the service and starts it again on the same store at `addr` (port 0: an address
/// the workstation does not know, as another node would be).
async fn restart(t: TestService, addr: SocketAddr) -> TestService {
    let TestService {
        service,
        credentials,
        dir,
        database,
    } = t;
    service.shutdown().await.expect("service stops");
    let config = ServiceConfig::new(addr, dir.path())
        .with_database(database.clone())
        .with_demo(true);
    TestService {
        service: service::start(config).await.expect("service starts again"),
        credentials,
        dir,
        database,
    }
}

/// Writes made by others while the workstation cannot reach the service: a take, a note, a
/// forward out of the office (the row must go), a close, and a new request (the row must come).
async fn writes_meanwhile(url: &str, t: &TestService) -> RequestId {
    let supervisor = client(url, &t.token(Role::Supervisor));
    let open: Vec<RequestSummary> = supervisor
        .list_all_requests(&RequestFilter {
            office: Some("RM01".into()),
            ..RequestFilter::default()
        })
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.status.is_open())
        .collect();
    assert!(
        open.len() >= 4,
        "the starter data has open RM01 requests: {open:?}"
    );
    let key = IdempotencyKey::new;
    // Each action on the first request whose status allows it, each on a different request.
    let mut used: Vec<RequestId> = Vec::new();
    let actions = [
        ActionBody::Take,
        ActionBody::Forward {
            office: "MI01".into(),
            note: None,
        },
        ActionBody::Close {
            outcome: Outcome::Evasa,
            note: Some("chiusa durante il fermo".into()),
        },
    ];
    for action in actions {
        let mut done = false;
        for r in open.iter().filter(|r| !used.contains(&r.id)) {
            if supervisor
                .act(&r.id, r.version, &action, &key())
                .await
                .is_ok()
            {
                used.push(r.id.clone());
                done = true;
                break;
            }
        }
        assert!(done, "no RM01 request accepts {action:?}");
    }
    let noted = open
        .iter()
        .find(|r| !used.contains(&r.id))
        .expect("a request left to note");
    supervisor
        .add_message(
            &noted.id,
            &NewMessage {
                kind: MessageKind::InternalNote,
                body: "visto durante il fermo".into(),
            },
            Some(noted.version),
            &key(),
        )
        .await
        .unwrap();
    let filed = client(url, &t.token(Role::Patronato))
        .create_request(
            &NewRequest {
                office: "RM01".into(),
                topic: Topic::Pensioni,
                citizen: "BNCGNN70A41H501V".into(),
                application_protocol: None,
                subject: "Arrivata durante il fermo".into(),
                body: "Testo.".into(),
                priority: Priority::Normale,
            },
            &key(),
        )
        .await
        .unwrap();
    filed.value.summary.id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_workstation_that_missed_events_catches_up_exactly_without_reloading() {
    let t = TestService::demo().await;
    let addr = t.service.addr();
    let url = t.service.base_url();
    let token = t.token(Role::Operator);
    let mut ws = Workstation::start(&url, &token);
    ws.loaded().await;
    assert_eq!(ws.full_loads, 1);
    assert_eq!(
        shown(&ws.state.requests),
        shown(&server_rows(&url, &token).await)
    );

    // The service goes away; meanwhile others write through another node (here: the same
    // store served on another address the workstation does not know).
    let t = restart(t, loopback()).await;
    ws.until("the offline banner", |ws, _| ws.state.offline)
        .await;
    let other = t.service.base_url();
    let filed = writes_meanwhile(&other, &t).await;
    let t = restart(t, addr).await;

    // Back at the old address: the workstation reconnects and asks only for the changes.
    ws.until("the catch-up", |_, msg| matches!(msg, Msg::Changed { .. }))
        .await;
    ws.settle().await;
    assert_eq!(ws.full_loads, 1, "no whole reload after the reconnection");
    assert_eq!(ws.catch_ups, 1);
    let server = server_rows(&url, &token).await;
    assert_eq!(shown(&ws.state.requests), shown(&server));
    assert!(
        ws.state.request(&filed).is_some(),
        "the new request arrived"
    );
    assert!(!ws.state.offline);
    drop(t);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resync_reloads_the_whole_list() {
    let t = TestService::demo().await;
    let addr = t.service.addr();
    let url = t.service.base_url();
    let token = t.token(Role::Operator);
    let mut ws = Workstation::start(&url, &token);
    ws.loaded().await;
    let t = restart(t, loopback()).await;
    ws.until("the offline banner", |ws, _| ws.state.offline)
        .await;
    writes_meanwhile(&t.service.base_url(), &t).await;
    // The retention window passes: the events of the outage are pruned.
    let store = t.service.store();
    let head = {
        let admin = client(&t.service.base_url(), &t.token(Role::Operator));
        admin
            .list_requests(&RequestFilter {
                limit: Some(1),
                ..RequestFilter::default()
            })
            .await
            .unwrap()
            .event_seq
    };
    store.prune_events(head).await.unwrap();
    let t = restart(t, addr).await;
    ws.until("the second whole load", |ws, msg| {
        ws.full_loads == 2 && matches!(msg, Msg::Page { more: false, .. })
    })
    .await;
    ws.settle().await;
    assert_eq!(ws.catch_ups, 0, "nothing to catch up from: pruned");
    assert_eq!(
        shown(&ws.state.requests),
        shown(&server_rows(&url, &token).await)
    );
    drop(t);
}

#[tokio::test]
async fn the_openapi_document_describes_the_since_cursor() {
    let t = TestService::demo().await;
    let doc = t.openapi().await;
    let list = &doc["paths"]["/v1/requests"]["get"];
    let params: Vec<&str> = list["parameters"]
        .as_array()
        .expect("parameters")
        .iter()
        .filter_map(|p| p["name"].as_str())
        .collect();
    assert!(params.contains(&"since"), "{params:?}");
    assert!(params.contains(&"closed_since"), "{params:?}");
    assert!(list["responses"]["410"].is_object(), "{list}");
    let page = &doc["components"]["schemas"]["RequestPage"]["properties"];
    assert!(
        page["event_seq"].is_object() && page["removed"].is_object(),
        "{page}"
    );
}
