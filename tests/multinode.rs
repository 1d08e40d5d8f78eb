//! Two `combipat serve` processes on one PostgreSQL database, as behind a load balancer:
//! events cross nodes in one gapless order, resumes work on the other node, the concurrency
//! rules hold across nodes, a killed node loses no acknowledged write, the audit chain stays
//! one valid chain. Needs the test cluster (`COMBIPAT_TEST_POSTGRES`); under `CI=true` its
//! absence fails the test.

mod common;

use std::collections::HashSet;
use std::process::Child;
use std::time::Duration;

use combipat::api::{EventEnvelope, RequestDetail};
use combipat::domain::roles::Role;
use combipat::service::{self, DemoCredentials};
use eventsource_stream::Eventsource;
use futures::StreamExt;
use reqwest::StatusCode;
use serde_json::{Value, json};

use common::{fresh_database, http, require_postgres, spawn_serve_on};

const CF_INCA: &str = "RSSMRA85T10A562S";

struct Cluster {
    database: String,
    dir_a: tempfile::TempDir,
    dir_b: tempfile::TempDir,
    a: (Child, String),
    b: (Child, String),
    credentials: DemoCredentials,
}

impl Cluster {
    async fn start(admin_url: &str) -> Cluster {
        let database = fresh_database(admin_url).await;
        let dir_a = tempfile::tempdir().unwrap();
        let dir_b = tempfile::tempdir().unwrap();
        let starter = service::starter_dataset(7, jiff::Timestamp::now());
        let credentials = service::seed_demo_on(dir_a.path(), Some(&database), starter)
            .await
            .unwrap();
        // Every node anchors the one audit chain with the same key.
        std::fs::copy(
            service::audit_key::path(dir_a.path()),
            service::audit_key::path(dir_b.path()),
        )
        .unwrap();
        let a = spawn_serve_on(dir_a.path(), false, Some(&database));
        let b = spawn_serve_on(dir_b.path(), false, Some(&database));
        Cluster {
            database,
            dir_a,
            dir_b,
            a,
            b,
            credentials,
        }
    }

    fn token(&self, role: Role) -> String {
        self.credentials.token(role).unwrap().to_string()
    }

    /// Node A for even `n`, node B for odd: as a round-robin balancer would.
    fn node(&self, n: usize) -> &str {
        if n.is_multiple_of(2) {
            &self.a.1
        } else {
            &self.b.1
        }
    }

    async fn verify_audit(&self) {
        let app = service::open_database(
            self.dir_b.path(),
            Some(&self.database),
            service::Sla::embedded().unwrap(),
        )
        .await
        .unwrap();
        let verified = app.verify_audit_chain().await.unwrap();
        assert_eq!(verified.first_broken, None, "one valid audit chain");
        assert!(verified.entries > 0);
    }

    fn stop(mut self) {
        for child in [&mut self.a.0, &mut self.b.0] {
            let _ = child.kill();
            let _ = child.wait();
        }
        drop((self.dir_a, self.dir_b));
    }
}

fn new_request(subject: &str) -> Value {
    json!({
        "office": "RM01",
        "topic": "pensioni",
        "citizen": CF_INCA,
        "subject": subject,
        "body": "Si chiede lo stato della pratica.",
    })
}

async fn file(base: &str, token: &str, subject: &str) -> reqwest::Result<RequestDetail> {
    http()
        .post(format!("{base}/v1/requests"))
        .bearer_auth(token)
        .header("Idempotency-Key", format!("k-{subject}"))
        .json(&new_request(subject))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await
}

async fn subscribe(
    base: &str,
    token: &str,
    last: Option<u64>,
) -> impl futures::Stream<
    Item = Result<eventsource_stream::Event, eventsource_stream::EventStreamError<reqwest::Error>>,
> + Unpin
+ use<> {
    let mut req = http()
        .get(format!("{base}/v1/events"))
        .bearer_auth(token)
        .timeout(Duration::from_secs(300));
    if let Some(last) = last {
        req = req.header("Last-Event-ID", last.to_string());
    }
    let resp = req.send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    resp.bytes_stream().eventsource()
}

async fn next_event<S>(stream: &mut S) -> EventEnvelope
where
    S: futures::Stream<
            Item = Result<
                eventsource_stream::Event,
                eventsource_stream::EventStreamError<reqwest::Error>,
            >,
        > + Unpin,
{
    let event = tokio::time::timeout(Duration::from_secs(30), stream.next())
        .await
        .expect("an event in time")
        .expect("stream open")
        .expect("valid event");
    assert_ne!(event.event, "resync", "no resync expected");
    serde_json::from_str(&event.data).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_cross_nodes_in_one_gapless_order_and_resume_on_the_other_node() {
    let Some(admin_url) = require_postgres("multinode events") else {
        return;
    };
    let cluster = Cluster::start(&admin_url).await;
    let patronato = cluster.token(Role::Patronato);
    let admin = cluster.token(Role::Admin);

    // A write through node A appears on a stream of node B.
    let mut on_b = subscribe(&cluster.b.1, &admin, None).await;
    let filed = file(&cluster.a.1, &patronato, "via A").await.unwrap();
    let seen = next_event(&mut on_b).await;
    assert_eq!(seen.request_id.as_ref(), Some(&filed.summary.id));
    drop(on_b);

    // 16 writers on both nodes; a subscriber reads from A, drops, resumes on B.
    let mut on_a = subscribe(&cluster.a.1, &admin, Some(seen.seq)).await;
    let writers: Vec<_> = (0..16)
        .map(|w| {
            let base = cluster.node(w).to_string();
            let token = patronato.clone();
            tokio::spawn(async move {
                let mut ids = Vec::new();
                for n in 0..8 {
                    let detail = file(&base, &token, &format!("w{w}-{n}")).await.unwrap();
                    ids.push(detail.summary.id);
                }
                ids
            })
        })
        .collect();
    let mut received: Vec<EventEnvelope> = Vec::new();
    for _ in 0..20 {
        received.push(next_event(&mut on_a).await);
    }
    drop(on_a);
    let last = received.last().unwrap().seq;
    let mut written = HashSet::new();
    for writer in writers {
        written.extend(writer.await.unwrap());
    }
    let mut on_b = subscribe(&cluster.b.1, &admin, Some(last)).await;
    loop {
        let seen_ids: HashSet<_> = received
            .iter()
            .filter_map(|e| e.request_id.clone())
            .collect();
        if written.iter().all(|id| seen_ids.contains(id)) {
            break;
        }
        received.push(next_event(&mut on_b).await);
    }
    let seqs: Vec<u64> = received.iter().map(|e| e.seq).collect();
    let expected: Vec<u64> = (seen.seq + 1..=seen.seq + seqs.len() as u64).collect();
    assert_eq!(
        seqs, expected,
        "every position once, in order, across the resume"
    );
    assert_eq!(written.len(), 16 * 8);

    // The same Idempotency-Key sent to both nodes at once: one request.
    let body = new_request("same key");
    let send = |base: String| {
        let (token, body) = (patronato.clone(), body.clone());
        async move {
            http()
                .post(format!("{base}/v1/requests"))
                .bearer_auth(token)
                .header("Idempotency-Key", "one-key-two-nodes")
                .json(&body)
                .send()
                .await
                .unwrap()
                .json::<RequestDetail>()
                .await
                .unwrap()
        }
    };
    let (x, y) = tokio::join!(send(cluster.a.1.clone()), send(cluster.b.1.clone()));
    assert_eq!(x.summary.id, y.summary.id, "one record for one key");

    // If-Match with a version another node already moved past: 412.
    let operator = cluster.token(Role::Operator);
    let actions = |base: &str| format!("{base}/v1/requests/{}/actions", x.summary.id);
    let taken = http()
        .post(actions(&cluster.a.1))
        .bearer_auth(&operator)
        .header("If-Match", format!("\"{}\"", x.summary.version))
        .json(&json!({"action": "take"}))
        .send()
        .await
        .unwrap();
    assert_eq!(taken.status(), StatusCode::OK);
    let stale = http()
        .post(actions(&cluster.b.1))
        .bearer_auth(&operator)
        .header("If-Match", format!("\"{}\"", x.summary.version))
        .json(&json!({"action": "tag", "tag": "verifica"}))
        .send()
        .await
        .unwrap();
    assert_eq!(stale.status(), StatusCode::PRECONDITION_FAILED);

    cluster.verify_audit().await;
    cluster.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn take_races_have_one_winner_and_a_killed_node_loses_no_acknowledged_write() {
    let Some(admin_url) = require_postgres("multinode races") else {
        return;
    };
    let mut cluster = Cluster::start(&admin_url).await;
    let patronato = cluster.token(Role::Patronato);
    let operator = cluster.token(Role::Operator);
    let supervisor = cluster.token(Role::Supervisor);

    // 200 races: the operator through A and the supervisor through B take the same request.
    let mut ids = Vec::new();
    for n in 0..200 {
        ids.push(
            file(cluster.node(n), &patronato, &format!("race {n}"))
                .await
                .unwrap()
                .summary
                .id,
        );
    }
    for id in &ids {
        let take = |base: String, token: String| {
            let url = format!("{base}/v1/requests/{id}/actions");
            async move {
                http()
                    .post(url)
                    .bearer_auth(token)
                    .json(&json!({"action": "take"}))
                    .send()
                    .await
                    .unwrap()
                    .status()
            }
        };
        let (x, y) = tokio::join!(
            take(cluster.a.1.clone(), operator.clone()),
            take(cluster.b.1.clone(), supervisor.clone())
        );
        let mut statuses = [x, y];
        statuses.sort();
        assert_eq!(
            statuses,
            [StatusCode::OK, StatusCode::CONFLICT],
            "{id}: one winner"
        );
    }

    // Writers on both nodes; node A is killed with SIGKILL while they write.
    let writers: Vec<_> = (0..8)
        .map(|w| {
            let base = cluster.node(w).to_string();
            let token = patronato.clone();
            tokio::spawn(async move {
                let mut acknowledged = Vec::new();
                for n in 0..30 {
                    if let Ok(detail) = file(&base, &token, &format!("kill-{w}-{n}")).await {
                        acknowledged.push(detail.summary.id);
                    }
                }
                acknowledged
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(300)).await;
    cluster.a.0.kill().unwrap();
    cluster.a.0.wait().unwrap();
    let mut acknowledged = Vec::new();
    for writer in writers {
        acknowledged.extend(writer.await.unwrap());
    }
    assert!(!acknowledged.is_empty());
    for id in &acknowledged {
        let resp = http()
            .get(format!("{}/v1/requests/{id}", cluster.b.1))
            .bearer_auth(&operator)
            .send()
            .await
            .unwrap();
        assert_eq!(
            resp.status(),
            StatusCode::OK,
            "{id} acknowledged, then lost"
        );
    }
    cluster.verify_audit().await;
    cluster.stop();
}

/// The queue counters of each node follow writes made through the other: a count read on B
/// right after a write acknowledged by A already includes it, and both nodes agree.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queue_counters_of_every_node_include_writes_made_through_the_other() {
    let Some(admin_url) = require_postgres("multinode queue counters") else {
        return;
    };
    let cluster = Cluster::start(&admin_url).await;
    let patronato = cluster.token(Role::Patronato);
    let operator = cluster.token(Role::Operator);
    let queues = |base: String, token: String| async move {
        let counts: Vec<combipat::api::QueueCount> = http()
            .get(format!("{base}/v1/queues"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
            .error_for_status()
            .unwrap()
            .json()
            .await
            .unwrap();
        counts
            .into_iter()
            .map(|q| (q.id, q.open))
            .collect::<std::collections::HashMap<_, _>>()
    };
    // Both nodes build their counters before the writes.
    let before_a = queues(cluster.a.1.clone(), operator.clone()).await;
    let before_b = queues(cluster.b.1.clone(), operator.clone()).await;
    assert_eq!(before_a, before_b, "both nodes count the same");

    let filed = file(&cluster.a.1, &patronato, "counted on B")
        .await
        .unwrap();
    let after_filing = queues(cluster.b.1.clone(), operator.clone()).await;
    assert_eq!(
        after_filing["unassigned"],
        before_b["unassigned"] + 1,
        "B counts the request filed through A"
    );
    let taken = http()
        .post(format!(
            "{}/v1/requests/{}/actions",
            cluster.b.1, filed.summary.id
        ))
        .bearer_auth(&operator)
        .json(&json!({"action": "take"}))
        .send()
        .await
        .unwrap();
    assert!(taken.status().is_success(), "take through B");
    let on_a = queues(cluster.a.1.clone(), operator.clone()).await;
    assert_eq!(
        on_a["mine"],
        before_a["mine"] + 1,
        "A counts the take made on B"
    );
    assert_eq!(on_a["unassigned"], before_a["unassigned"]);
    assert_eq!(on_a, queues(cluster.b.1.clone(), operator.clone()).await);
    cluster.stop();
}
