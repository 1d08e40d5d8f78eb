//! The write path and the event fan-out under load, over real HTTP on loopback against the
//! suite's store: concurrent writers sharing commits (group commit), a write that fails inside
//! a batch, `kill -9` in the middle of 64 writers, and a subscriber too slow to read.

mod common;

use std::collections::HashMap;
use std::io::{Read, Write};
use std::sync::Arc;
use std::time::{Duration, Instant};

use combipat::domain::roles::Role;
use common::{TestService, http, spawn_serve_on};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// Ids of requests `token` sees (first page).
async fn request_ids(base: &str, token: &str) -> Vec<String> {
    let page: Value = http()
        .get(format!("{base}/v1/requests?limit=40"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect()
}

async fn note(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    id: &str,
    body: &str,
    key: &str,
    if_match: Option<u64>,
) -> Result<StatusCode, reqwest::Error> {
    let mut req = client
        .post(format!("{base}/v1/requests/{id}/messages"))
        .bearer_auth(token)
        .header("Idempotency-Key", key)
        .json(&json!({ "kind": "internal_note", "body": body }));
    if let Some(version) = if_match {
        req = req.header("If-Match", format!("\"{version}\""));
    }
    Ok(req.send().await?.status())
}

/// How many times each note body appears in the threads of `ids`.
async fn note_counts(base: &str, token: &str, ids: &[String]) -> HashMap<String, usize> {
    let mut counts = HashMap::new();
    for id in ids {
        let detail: Value = http()
            .get(format!("{base}/v1/requests/{id}"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        for entry in detail["thread"].as_array().unwrap() {
            if let Some(body) = entry["body"].as_str() {
                *counts.entry(body.to_string()).or_default() += 1;
            }
        }
    }
    counts
}

async fn audit_chain_is_valid(base: &str, auditor: &str) {
    let body: Value = http()
        .get(format!("{base}/v1/audit/verify"))
        .bearer_auth(auditor)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body["valid"], true, "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_failing_write_in_a_shared_commit_leaves_the_others_whole() {
    let t = TestService::demo().await;
    let base = t.service.base_url();
    let operator = t.token(Role::Operator);
    let ids = request_ids(&base, &operator).await;
    assert!(!ids.is_empty());
    let client = http();
    let mut tasks = Vec::new();
    for n in 0..64 {
        let (client, base, token, id) = (
            client.clone(),
            base.clone(),
            operator.clone(),
            ids[n % ids.len()].clone(),
        );
        tasks.push(tokio::spawn(async move {
            // Every other write carries a version the request never had: refused (412)
            // inside the batch it shares with the valid ones.
            let stale = (n % 2 == 1).then_some(999_999);
            let body = format!("batch note {n}");
            let status = note(&client, &base, &token, &id, &body, &format!("k-{n}"), stale)
                .await
                .unwrap();
            (body, stale.is_some(), status)
        }));
    }
    let mut results = Vec::new();
    for task in tasks {
        results.push(task.await.unwrap());
    }
    let counts = note_counts(&base, &operator, &ids).await;
    for (body, stale, status) in &results {
        if *stale {
            assert_eq!(*status, StatusCode::PRECONDITION_FAILED, "{body}");
            assert_eq!(counts.get(body), None, "a refused write left {body:?}");
        } else {
            assert_eq!(*status, StatusCode::CREATED, "{body}");
            assert_eq!(counts.get(body), Some(&1), "{body:?} must be there once");
        }
    }
    audit_chain_is_valid(&base, &t.token(Role::Auditor)).await;
    t.service.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn kill_9_during_group_commit_loses_no_acknowledged_write_and_retries_do_not_duplicate() {
    let dir = tempfile::tempdir().unwrap();
    let starter = combipat::service::starter_dataset(7, jiff::Timestamp::now());
    let database = common::test_database().await;
    combipat::service::seed_demo_on(dir.path(), database.as_deref(), starter)
        .await
        .unwrap();
    let creds = combipat::service::demo_credentials::load(dir.path()).unwrap();
    let operator = creds.token(Role::Operator).unwrap().to_string();
    let auditor = creds.token(Role::Auditor).unwrap().to_string();
    let (mut child, base) = spawn_serve_on(dir.path(), false, database.as_deref());
    let ids = Arc::new(request_ids(&base, &operator).await);
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();

    // 64 writers, each writing notes one after another until the service dies under them.
    let acked = Arc::new(std::sync::Mutex::new(Vec::<(String, String, String)>::new()));
    let unacked = Arc::new(std::sync::Mutex::new(Vec::<(String, String, String)>::new()));
    let mut tasks = Vec::new();
    for writer in 0..64 {
        let (client, base, token, ids) = (
            client.clone(),
            base.clone(),
            operator.clone(),
            Arc::clone(&ids),
        );
        let (acked, unacked) = (Arc::clone(&acked), Arc::clone(&unacked));
        tasks.push(tokio::spawn(async move {
            for n in 0.. {
                let id = ids[(writer + n * 64) % ids.len()].clone();
                let body = format!("durable note {writer}-{n}");
                let key = format!("kill9-{writer}-{n}");
                match note(&client, &base, &token, &id, &body, &key, None).await {
                    Ok(StatusCode::CREATED) => acked.lock().unwrap().push((id, body, key)),
                    Ok(other) => panic!("{body}: unexpected {other}"),
                    Err(_) => {
                        // The answer was lost: the write may or may not have happened.
                        unacked.lock().unwrap().push((id, body, key));
                        return;
                    }
                }
            }
        }));
    }
    // Let a few hundred writes through, then SIGKILL while writers are mid-flight.
    let started = Instant::now();
    while acked.lock().unwrap().len() < 300 && started.elapsed() < Duration::from_secs(60) {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    child.kill().unwrap();
    child.wait().unwrap();
    for task in tasks {
        task.await.unwrap();
    }
    let acked = acked.lock().unwrap().clone();
    let unacked = unacked.lock().unwrap().clone();
    assert!(
        acked.len() >= 300,
        "only {} writes acknowledged",
        acked.len()
    );
    assert_eq!(unacked.len(), 64, "every writer was cut off mid-write");

    let (mut child, base) = spawn_serve_on(dir.path(), false, database.as_deref());
    let counts = note_counts(&base, &operator, &ids).await;
    for (_, body, _) in &acked {
        assert_eq!(
            counts.get(body),
            Some(&1),
            "acknowledged {body:?} lost or doubled"
        );
    }
    for (_, body, _) in &unacked {
        assert!(
            counts.get(body).copied().unwrap_or(0) <= 1,
            "{body:?} doubled"
        );
    }
    // The clients retry what they never heard back about, with the same keys.
    for (id, body, key) in &unacked {
        let status = note(&client, &base, &operator, id, body, key, None)
            .await
            .unwrap();
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    let counts = note_counts(&base, &operator, &ids).await;
    for (_, body, _) in acked.iter().chain(&unacked) {
        assert_eq!(
            counts.get(body),
            Some(&1),
            "{body:?} must be there exactly once"
        );
    }
    audit_chain_is_valid(&base, &auditor).await;
    child.kill().unwrap();
    child.wait().unwrap();
}

/// Opens `GET /v1/events` on a socket with a tiny receive window and segment size, and never
/// reads from it until asked: the service's send buffers fill after a few dozen events.
fn slow_subscriber(addr: std::net::SocketAddr, token: &str) -> std::net::TcpStream {
    let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    socket.set_recv_buffer_size(2048).unwrap();
    socket.set_tcp_mss(536).unwrap();
    socket.connect(&addr.into()).unwrap();
    let mut stream: std::net::TcpStream = socket.into();
    write!(
        stream,
        "GET /v1/events HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\n\
         Accept: text/event-stream\r\n\r\n"
    )
    .unwrap();
    stream
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_subscriber_too_slow_to_read_gets_resync_and_never_holds_writers() {
    // A small buffer so the test needs hundreds of writes, not tens of thousands.
    let t = TestService::demo_with(|config| config.with_event_buffer(32)).await;
    let base = t.service.base_url();
    let operator = t.token(Role::Operator);
    let ids = request_ids(&base, &operator).await;
    let stream = slow_subscriber(t.service.addr(), &operator);
    // Give the stream time to open before the writes start.
    tokio::time::sleep(Duration::from_millis(300)).await;

    let client = http();
    let started = Instant::now();
    let mut tasks = Vec::new();
    for writer in 0..16 {
        let (client, base, token, ids) =
            (client.clone(), base.clone(), operator.clone(), ids.clone());
        tasks.push(tokio::spawn(async move {
            for n in 0..60 {
                let id = &ids[(writer + n * 16) % ids.len()];
                let body = format!("note {writer}-{n} {}", "x".repeat(400));
                let status = note(
                    &client,
                    &base,
                    &token,
                    id,
                    &body,
                    &format!("s-{writer}-{n}"),
                    None,
                )
                .await
                .unwrap();
                assert_eq!(status, StatusCode::CREATED);
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    // Every write was acknowledged while the subscriber read nothing (timing is printed, not
    // asserted: this machine's fsync latency varies too much).
    eprintln!(
        "960 writes with a stalled subscriber in {} ms",
        started.elapsed().as_millis()
    );

    // Now the subscriber reads: what was buffered in the sockets, then a resync.
    let text = tokio::task::spawn_blocking(move || {
        let mut stream = stream;
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        let mut text = String::new();
        let mut chunk = [0u8; 4096];
        let deadline = Instant::now() + Duration::from_secs(60);
        while !text.contains("event: resync") && Instant::now() < deadline {
            match stream.read(&mut chunk) {
                Ok(0) => break,
                Ok(n) => text.push_str(&String::from_utf8_lossy(&chunk[..n])),
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                Err(e) if e.kind() == std::io::ErrorKind::TimedOut => {}
                Err(e) => panic!("read: {e}"),
            }
        }
        text
    })
    .await
    .unwrap();
    assert!(
        text.starts_with("HTTP/1.1 200"),
        "{}",
        &text[..text.len().min(200)]
    );
    assert!(
        text.contains("event: resync"),
        "no resync after {} bytes",
        text.len()
    );
    let delivered = text.matches("event: request.message").count();
    assert!(
        delivered < 960,
        "the stalled stream was sent all {delivered} events"
    );
    t.service.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idempotency_keys_replay_the_current_record_then_expire_and_old_events_are_pruned() {
    let retention = combipat::service::core::Retention {
        idempotency: jiff::SignedDuration::from_secs(2),
        events: jiff::SignedDuration::from_secs(2),
    };
    let t = TestService::demo_with(|config| config.with_retention(retention)).await;
    let base = t.service.base_url();
    let operator = t.token(Role::Operator);
    let id = request_ids(&base, &operator).await.remove(0);
    let client = http();
    let send = |key: &'static str, body: &'static str| {
        let (client, base, token, id) =
            (client.clone(), base.clone(), operator.clone(), id.clone());
        async move {
            client
                .post(format!("{base}/v1/requests/{id}/messages"))
                .bearer_auth(token)
                .header("Idempotency-Key", key)
                .json(&json!({ "kind": "internal_note", "body": body }))
                .send()
                .await
                .unwrap()
        }
    };
    let first = send("once", "the first note").await;
    assert_eq!(first.status(), StatusCode::CREATED);
    for n in 0..3 {
        let key: &'static str = ["a", "b", "c"][n];
        assert_eq!(
            send(key, "a later note").await.status(),
            StatusCode::CREATED
        );
    }
    // The replay answers with the record as it is now (the key keeps only id and version).
    let replay = send("once", "the first note").await;
    assert_eq!(replay.status(), StatusCode::CREATED);
    assert_eq!(
        replay
            .headers()
            .get("idempotent-replayed")
            .map(|v| v.as_bytes()),
        Some(&b"true"[..])
    );
    let now: Value = replay.json().await.unwrap();
    let bodies: Vec<&str> = now["thread"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["body"].as_str())
        .collect();
    assert_eq!(bodies.iter().filter(|b| **b == "the first note").count(), 1);
    assert_eq!(bodies.iter().filter(|b| **b == "a later note").count(), 3);

    // Past the retention keys and events are pruned, the audit log is not.
    tokio::time::sleep(Duration::from_millis(3_100)).await;
    let pruned = t
        .service
        .store()
        .prune_expired(jiff::Timestamp::now())
        .await
        .unwrap();
    assert!(pruned.idempotency_records >= 4, "{pruned:?}");
    assert!(pruned.events >= 4, "{pruned:?}");
    audit_chain_is_valid(&base, &t.token(Role::Auditor)).await;
    // The key is forgotten: the same call is a new write.
    let again = send("once", "the first note").await;
    assert_eq!(again.status(), StatusCode::CREATED);
    assert!(again.headers().get("idempotent-replayed").is_none());
    let counts = note_counts(&base, &operator, std::slice::from_ref(&id)).await;
    assert_eq!(counts.get("the first note"), Some(&2));
    // A stream resuming before the pruned events resyncs.
    let resp = client
        .get(format!("{base}/v1/events"))
        .bearer_auth(&operator)
        .header("Last-Event-ID", "1")
        .timeout(Duration::from_secs(20))
        .send()
        .await
        .unwrap();
    let mut body = resp.bytes_stream();
    let mut text = String::new();
    while !text.contains("\n\n") {
        let chunk = futures::StreamExt::next(&mut body).await.unwrap().unwrap();
        text.push_str(&String::from_utf8_lossy(&chunk));
    }
    assert!(text.contains("event: resync"), "{text}");
    t.service.shutdown().await.unwrap();
}

/// The next `count` SSE events (name, data, whether an `id:` line came) on a raw stream.
async fn sse_events(resp: reqwest::Response, count: usize) -> Vec<(String, Value, bool)> {
    let mut seen = 0;
    sse_events_until(resp, |_| {
        seen += 1;
        seen >= count
    })
    .await
}

/// SSE events up to the first one `last` says is the last.
async fn sse_events_until(
    resp: reqwest::Response,
    mut last: impl FnMut(&(String, Value, bool)) -> bool,
) -> Vec<(String, Value, bool)> {
    use futures::StreamExt;
    let mut body = resp.bytes_stream();
    let mut text = String::new();
    let mut out = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let chunk = tokio::time::timeout_at(deadline, body.next())
            .await
            .expect("events in time")
            .unwrap()
            .unwrap();
        text.push_str(&String::from_utf8_lossy(&chunk));
        while let Some(end) = text.find("\n\n") {
            let block: String = text.drain(..end + 2).collect();
            let field = |name: &str| {
                block
                    .lines()
                    .find_map(|l| l.strip_prefix(name))
                    .map(|v| v.trim().to_string())
            };
            if let (Some(kind), Some(data)) = (field("event:"), field("data:"))
                && kind != "heartbeat"
            {
                let event = (
                    kind,
                    serde_json::from_str(&data).unwrap(),
                    field("id:").is_some(),
                );
                let done = last(&event);
                out.push(event);
                if done {
                    return out;
                }
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn presence_reaches_open_streams_once_per_interval_and_is_never_stored() {
    let t = TestService::demo().await;
    let base = t.service.base_url();
    let operator = t.token(Role::Operator);
    let supervisor = t.token(Role::Supervisor);
    let id = request_ids(&base, &operator).await.remove(0);
    let client = http();
    let listen = || {
        client
            .get(format!("{base}/v1/events"))
            .bearer_auth(&supervisor)
            .timeout(Duration::from_secs(30))
            .send()
    };
    let stream = listen().await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let announce = |activity: &'static str| {
        client
            .post(format!("{base}/v1/requests/{id}/presence"))
            .bearer_auth(&operator)
            .json(&json!({ "activity": activity }))
            .send()
    };
    // Viewing twice within the interval is heard once; replying is a change, heard at once.
    for activity in ["viewing", "viewing", "replying"] {
        assert_eq!(
            announce(activity).await.unwrap().status(),
            StatusCode::NO_CONTENT
        );
    }
    // A stored event after them, to show nothing else came between.
    let note = note(
        &client,
        &base,
        &operator,
        &id,
        "after presence",
        "p-1",
        None,
    )
    .await
    .unwrap();
    assert_eq!(note, StatusCode::CREATED);
    let heard = sse_events(stream, 3).await;
    let kinds: Vec<&str> = heard.iter().map(|(k, _, _)| k.as_str()).collect();
    assert_eq!(
        kinds,
        ["presence", "presence", "request.message"],
        "{heard:?}"
    );
    assert_eq!(heard[0].1["data"]["activity"], "viewing");
    assert_eq!(heard[1].1["data"]["activity"], "replying");
    assert!(
        !heard[0].2 && !heard[1].2,
        "presence has no id to resume from"
    );
    assert!(heard[2].2);

    // Nothing of it was stored: a stream replaying every kept event has no presence.
    let replay = client
        .get(format!("{base}/v1/events"))
        .bearer_auth(&supervisor)
        .header("Last-Event-ID", "0")
        .timeout(Duration::from_secs(30))
        .send()
        .await
        .unwrap();
    let newest = heard[2].1["seq"].as_u64().unwrap();
    let all = sse_events_until(replay, |(_, data, _)| data["seq"].as_u64() == Some(newest)).await;
    assert!(all.iter().all(|(k, _, _)| k != "presence"), "{all:?}");
    let audit: Value = client
        .get(format!("{base}/v1/audit?limit=500"))
        .bearer_auth(t.token(Role::Auditor))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        !audit.to_string().contains("presence"),
        "presence reached the audit log"
    );
    t.service.shutdown().await.unwrap();
}

/// Every id `who` finds in `queue` at `at`, paging through the core's list.
async fn listed(
    app: &dyn combipat::service::core::App,
    who: &combipat::service::core::Principal,
    queue: &str,
    at: jiff::Timestamp,
) -> std::collections::HashSet<String> {
    let mut ids = std::collections::HashSet::new();
    let mut cursor = None;
    loop {
        let filter = combipat::api::RequestFilter {
            queue: Some(queue.to_string()),
            limit: Some(200),
            cursor: cursor.clone(),
            ..Default::default()
        };
        let page = app.list_requests(who, filter, at).await.unwrap();
        ids.extend(page.items.iter().map(|item| item.id.to_string()));
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => return ids,
        }
    }
}

/// The maintained counters against the lists (which scan rows and evaluate every clock): for
/// each caller, each queue's open, at-risk and breached counts equal what its list holds.
/// Returns the national `(at_risk, breached)` as seen by the admin.
async fn counters_equal_lists(
    app: &dyn combipat::service::core::App,
    callers: &[combipat::service::core::Principal],
    at: jiff::Timestamp,
) -> (u64, u64) {
    let mut national = (0, 0);
    for who in callers {
        let at_risk = listed(app, who, "at_risk", at).await;
        let breached = listed(app, who, "breached", at).await;
        for queue in app.queues(who, at).await.unwrap() {
            let ids = listed(app, who, &queue.id, at).await;
            let context = format!("queue {} for {} at {at}", queue.id, who.username);
            assert_eq!(queue.open, ids.len() as u64, "open, {context}");
            assert_eq!(
                queue.at_risk,
                ids.intersection(&at_risk).count() as u64,
                "at risk, {context}"
            );
            assert_eq!(
                queue.breached,
                ids.intersection(&breached).count() as u64,
                "breached, {context}"
            );
        }
        if who.role == Role::Admin {
            national = (at_risk.len() as u64, breached.len() as u64);
        }
    }
    national
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queue_counters_follow_writes_and_time_and_equal_what_each_queue_lists() {
    let t = TestService::demo().await;
    let app = t.service.store();
    let roles = [
        Role::Operator,
        Role::Supervisor,
        Role::Auditor,
        Role::Admin,
        Role::Patronato,
    ];
    let mut callers = Vec::new();
    for role in roles {
        let who = app.authenticate(&t.token(role)).await.unwrap();
        callers.push(who.expect("demo token authenticates"));
    }
    let now = jiff::Timestamp::now();
    counters_equal_lists(app.as_ref(), &callers, now).await;

    // Writes of every kind that moves a count, over HTTP; the counters must include them at
    // once (the caller's own acknowledged writes).
    let operator = t.token(Role::Operator);
    let patronato = t.token(Role::Patronato);
    let ids = request_ids(&t.service.base_url(), &operator).await;
    assert!(ids.len() >= 6, "the demo office has requests");
    let post = |path: String, body: Value| {
        let (url, token) = (t.url(&path), operator.clone());
        async move {
            http()
                .post(url)
                .bearer_auth(token)
                .json(&body)
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    let act = |id: &str, body: Value| post(format!("/v1/requests/{id}/actions"), body);
    let message = |id: &str, kind: &str| {
        let body = json!({"kind": kind, "body": "Contatori: verifica."});
        post(format!("/v1/requests/{id}/messages"), body)
    };
    let mut applied = 0;
    for (n, id) in ids.iter().take(6).enumerate() {
        // Some of these are closed or already taken: refusals are part of the mix.
        let mut statuses = vec![act(id, json!({"action": "take"})).await];
        statuses.push(match n {
            0 => message(id, "integration_request").await,
            1 => act(id, json!({"action": "close", "outcome": "evasa"})).await,
            2 => act(id, json!({"action": "forward", "office": "MI01"})).await,
            3 => message(id, "reply").await,
            4 => act(id, json!({"action": "release"})).await,
            _ => act(id, json!({"action": "tag", "tag": "contatori"})).await,
        });
        applied += statuses.iter().filter(|s| s.is_success()).count();
    }
    let created = http()
        .post(t.url("/v1/requests"))
        .bearer_auth(&patronato)
        .json(&json!({
            "office": "RM01",
            "topic": "pensioni",
            "citizen": "RSSMRA85T10A562S",
            "subject": "Contatori",
            "body": "Nuova richiesta.",
        }))
        .send()
        .await
        .unwrap()
        .status();
    assert!(applied >= 4, "most writes apply ({applied})");
    assert!(
        created.is_success(),
        "the patronato files a request: {created}"
    );
    let (risk_now, breached_now) = counters_equal_lists(app.as_ref(), &callers, now).await;

    // Time alone moves SLA levels: the counters follow them without any write.
    let mut breached_later = breached_now;
    for days in [1, 3, 8, 30] {
        let later = now + jiff::SignedDuration::from_hours(24 * days);
        breached_later = counters_equal_lists(app.as_ref(), &callers, later).await.1;
    }
    assert!(
        breached_later > breached_now,
        "a month on, more requests are breached ({breached_now} → {breached_later})"
    );
    // And asked about an earlier instant again, they answer for it.
    assert_eq!(
        counters_equal_lists(app.as_ref(), &callers, now).await,
        (risk_now, breached_now)
    );
}
