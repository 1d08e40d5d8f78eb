//! The central service over real HTTP on loopback, on a real SQLite file (issue 2 acceptance).

mod common;

use std::collections::HashSet;
use std::time::Duration;

use combipat::api::{AuditEntry, EventEnvelope, Page, RequestDetail, RequestSummary};
use combipat::domain::roles::Role;
use combipat::service::core::TokenTarget;
use combipat::service::core::{AuditKey, keyed_chain_hash};
use common::{TestService, http, spawn_serve_on};
use eventsource_stream::Eventsource;
use futures::StreamExt;
use reqwest::StatusCode;
use serde_json::{Value, json};

/// Citizen with an active INCA mandate and a revoked ACLI one (starter dataset).
const CF_INCA: &str = "RSSMRA85T10A562S";
/// Citizen whose INCA mandate expired.
const CF_EXPIRED: &str = "GLLPLA55B03A944E";

fn new_request(subject: &str) -> Value {
    json!({
        "office": "RM01",
        "topic": "pensioni",
        "citizen": CF_INCA,
        "subject": subject,
        "body": "Si chiede lo stato della pratica.",
    })
}

async fn all_requests(
    t: &TestService,
    token: &str,
    query: &str,
    limit: u32,
) -> Vec<RequestSummary> {
    let client = http();
    let mut out = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut url = t.url(&format!("/v1/requests?limit={limit}{query}"));
        if let Some(c) = &cursor {
            url.push_str(&format!("&cursor={c}"));
        }
        let resp = client.get(url).bearer_auth(token).send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::OK);
        let page: Page<RequestSummary> = resp.json().await.unwrap();
        assert!(page.items.len() <= limit as usize);
        out.extend(page.items);
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => return out,
        }
    }
}

async fn post(
    t: &TestService,
    path: &str,
    token: &str,
    body: &Value,
    key: Option<&str>,
) -> reqwest::Response {
    let mut req = http().post(t.url(path)).bearer_auth(token).json(body);
    if let Some(key) = key {
        req = req.header("Idempotency-Key", key);
    }
    req.send().await.unwrap()
}

/// A replayed write answers with the request as it is now, so the clock figures that move with
/// time (`remaining_secs`, `percent_used`) may have ticked between the two answers; everything
/// stored — id, version, thread, due instants — must be identical.
fn assert_same_record(again: &RequestDetail, first: &RequestDetail) {
    let still = |detail: &RequestDetail| {
        let mut detail = detail.clone();
        for clock in &mut detail.summary.clocks {
            clock.remaining_secs = 0;
            clock.percent_used = 0;
        }
        detail
    };
    assert_eq!(still(again), still(first));
    for (a, b) in again.summary.clocks.iter().zip(&first.summary.clocks) {
        assert!(
            (a.remaining_secs - b.remaining_secs).abs() <= 60,
            "{a:?} vs {b:?}"
        );
    }
}

async fn error_of(resp: reqwest::Response) -> (StatusCode, Value) {
    let status = resp.status();
    (status, resp.json().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_auth_and_office_scope() {
    let t = TestService::demo().await;
    let client = http();
    let health = client.get(t.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status(), StatusCode::OK);

    let anonymous = client.get(t.url("/v1/requests")).send().await.unwrap();
    let (status, body) = error_of(anonymous).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["code"], "unauthorized");
    let forged = client
        .get(t.url("/v1/me"))
        .bearer_auth("cbp_not_a_token")
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::UNAUTHORIZED);

    let operator = t.token(Role::Operator);
    let me: Value = client
        .get(t.url("/v1/me"))
        .bearer_auth(&operator)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let office = me["office"].as_str().unwrap().to_string();

    let mine = all_requests(&t, &operator, "", 7).await;
    let everything = all_requests(&t, &t.token(Role::Admin), "", 500).await;
    let expected: HashSet<_> = everything
        .iter()
        .filter(|r| r.office == office)
        .map(|r| r.id.clone())
        .collect();
    let seen: HashSet<_> = mine.iter().map(|r| r.id.clone()).collect();
    assert!(mine.len() > 7, "needs more than one page");
    assert_eq!(seen.len(), mine.len(), "pages overlap");
    assert_eq!(seen, expected, "operator sees exactly their office");
    assert!(everything.iter().any(|r| r.office != office));
    assert!(
        mine.iter().all(|r| r.citizen.contains('*')),
        "lists mask CF"
    );

    let foreign = everything.iter().find(|r| r.office != office).unwrap();
    let resp = client
        .get(t.url(&format!("/v1/requests/{}", foreign.id)))
        .bearer_auth(&operator)
        .send()
        .await
        .unwrap();
    let (status, body) = error_of(resp).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["code"], "not_found");
    let own = mine.first().unwrap();
    let resp = client
        .get(t.url(&format!("/v1/requests/{}", own.id)))
        .bearer_auth(&operator)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(
        resp.headers()["etag"].to_str().unwrap(),
        format!("\"{}\"", own.version)
    );

    // A patronato sees only its own requests.
    let patronato = t.token(Role::Patronato);
    let theirs = all_requests(&t, &patronato, "", 500).await;
    let code = t
        .credentials
        .for_role(Role::Patronato)
        .unwrap()
        .patronato
        .clone()
        .unwrap();
    assert!(!theirs.is_empty());
    assert!(theirs.iter().all(|r| r.patronato == code));

    // Queues carry counts; filters combine with scope.
    let queues: Value = client
        .get(t.url("/v1/queues"))
        .bearer_auth(&operator)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let ids: Vec<&str> = queues
        .as_array()
        .unwrap()
        .iter()
        .map(|q| q["id"].as_str().unwrap())
        .collect();
    for id in [
        "mine",
        "unassigned",
        "topic:pensioni",
        "awaiting_integration",
        "closed_today",
    ] {
        assert!(ids.contains(&id), "{id} in {ids:?}");
    }
    let unassigned = all_requests(&t, &operator, "&queue=unassigned", 100).await;
    let count = queues
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["id"] == "unassigned")
        .unwrap()["open"]
        .as_u64()
        .unwrap();
    assert_eq!(unassigned.len() as u64, count);
    assert!(
        unassigned
            .iter()
            .all(|r| r.assignee.is_none() && r.office == office)
    );

    let bad = client
        .get(t.url("/v1/requests?colour=red"))
        .bearer_auth(&operator)
        .send()
        .await
        .unwrap();
    let (status, body) = error_of(bad).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["field"], "colour");

    // Revocation takes effect at once.
    t.service
        .store()
        .revoke_tokens(TokenTarget::Username(
            me["username"].as_str().unwrap().into(),
        ))
        .await
        .unwrap();
    let revoked = client
        .get(t.url("/v1/me"))
        .bearer_auth(&operator)
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), StatusCode::UNAUTHORIZED);
    t.service.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_is_a_clear_4xx_and_writes_nothing() {
    let t = TestService::demo().await;
    let patronato = t.token(Role::Patronato);
    let admin = t.token(Role::Admin);
    let before = all_requests(&t, &admin, "", 500).await.len();

    let mut bad_cf = new_request("x");
    bad_cf["citizen"] = json!("RSSMRA85T10A562");
    let (status, body) = error_of(post(&t, "/v1/requests", &patronato, &bad_cf, None).await).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["field"], "citizen");
    assert!(!body["message"].as_str().unwrap().is_empty());

    let mut unknown = new_request("x");
    unknown["colour"] = json!("red");
    let (status, body) = error_of(post(&t, "/v1/requests", &patronato, &unknown, None).await).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["field"], "colour");

    let mut missing = new_request("x");
    missing.as_object_mut().unwrap().remove("subject");
    let (status, body) = error_of(post(&t, "/v1/requests", &patronato, &missing, None).await).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["field"], "subject");

    let malformed = http()
        .post(t.url("/v1/requests"))
        .bearer_auth(&patronato)
        .header("content-type", "application/json")
        .body("{\"office\": ")
        .send()
        .await
        .unwrap();
    let (status, body) = error_of(malformed).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["code"], "malformed_json");

    let huge = new_request(&"x".repeat(70 * 1024));
    let (status, body) = error_of(post(&t, "/v1/requests", &patronato, &huge, None).await).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(body["code"], "payload_too_large");

    let mut unknown_office = new_request("x");
    unknown_office["office"] = json!("ZZ99");
    let (status, body) =
        error_of(post(&t, "/v1/requests", &patronato, &unknown_office, None).await).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["field"], "office");

    let mut expired = new_request("x");
    expired["citizen"] = json!(CF_EXPIRED);
    let (status, body) = error_of(post(&t, "/v1/requests", &patronato, &expired, None).await).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["code"], "mandate_required");

    let (status, body) = error_of(
        post(
            &t,
            "/v1/requests",
            &t.token(Role::Operator),
            &new_request("x"),
            None,
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["code"], "forbidden");

    assert_eq!(all_requests(&t, &admin, "", 500).await.len(), before);
    t.service.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idempotency_key_replays_and_rejects_a_different_body() {
    let t = TestService::demo().await;
    let patronato = t.token(Role::Patronato);
    let admin = t.token(Role::Admin);
    let before = all_requests(&t, &admin, "", 500).await.len();

    let body = new_request("Richiesta idempotente");
    let first = post(&t, "/v1/requests", &patronato, &body, Some("key-1")).await;
    assert_eq!(first.status(), StatusCode::CREATED);
    let first: RequestDetail = first.json().await.unwrap();
    let again = post(&t, "/v1/requests", &patronato, &body, Some("key-1")).await;
    assert_eq!(again.status(), StatusCode::CREATED);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    let again: RequestDetail = again.json().await.unwrap();
    assert_same_record(&again, &first);
    assert_eq!(all_requests(&t, &admin, "", 500).await.len(), before + 1);

    let (status, err) = error_of(
        post(
            &t,
            "/v1/requests",
            &patronato,
            &new_request("Altro"),
            Some("key-1"),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(err["code"], "idempotency_mismatch");
    assert_eq!(all_requests(&t, &admin, "", 500).await.len(), before + 1);
    t.service.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn actions_follow_the_status_machine_and_preconditions() {
    let t = TestService::demo().await;
    let patronato = t.token(Role::Patronato);
    let operator = t.token(Role::Operator);
    let created: RequestDetail = post(&t, "/v1/requests", &patronato, &new_request("Azioni"), None)
        .await
        .json()
        .await
        .unwrap();
    let id = created.summary.id.clone();
    let actions = format!("/v1/requests/{id}/actions");

    // A second operator of the same office, for the race.
    let store = t.service.store();
    let other = store.issue_token("g.bianchi", "test").await.unwrap().token;

    let close = json!({"action": "close", "outcome": "evasa"});
    let (status, body) = error_of(post(&t, &actions, &operator, &close, None).await).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(body["code"], "illegal_transition");

    let take = json!({"action": "take"});
    let (a, b) = tokio::join!(
        post(&t, &actions, &operator, &take, None),
        post(&t, &actions, &other, &take, None)
    );
    let mut statuses = [a.status(), b.status()];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::OK, StatusCode::CONFLICT]);

    let current: RequestDetail = http()
        .get(t.url(&format!("/v1/requests/{id}")))
        .bearer_auth(&operator)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(current.summary.version, created.summary.version + 1);
    let winner = current.summary.assignee.clone().unwrap();
    let winner_token = if winner == "g.bianchi" {
        &other
    } else {
        &operator
    };

    let tag = json!({"action": "tag", "tag": "urgente-interno"});
    let stale = http()
        .post(t.url(&actions))
        .bearer_auth(winner_token)
        .header("If-Match", format!("\"{}\"", created.summary.version))
        .json(&tag)
        .send()
        .await
        .unwrap();
    let (status, body) = error_of(stale).await;
    assert_eq!(status, StatusCode::PRECONDITION_FAILED);
    assert_eq!(body["code"], "stale_version");

    let fresh = http()
        .post(t.url(&actions))
        .bearer_auth(winner_token)
        .header("If-Match", format!("\"{}\"", current.summary.version))
        .json(&tag)
        .send()
        .await
        .unwrap();
    assert_eq!(fresh.status(), StatusCode::OK);
    let tagged: RequestDetail = fresh.json().await.unwrap();
    assert_eq!(tagged.summary.tags, vec!["urgente-interno".to_string()]);

    let reply = json!({"kind": "reply", "body": "Pratica verificata."});
    let resp = post(
        &t,
        &format!("/v1/requests/{id}/messages"),
        winner_token,
        &reply,
        None,
    )
    .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let note = json!({"kind": "internal_note", "body": "solo interno"});
    let resp = post(
        &t,
        &format!("/v1/requests/{id}/messages"),
        winner_token,
        &note,
        None,
    )
    .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let seen_by_patronato: RequestDetail = http()
        .get(t.url(&format!("/v1/requests/{id}")))
        .bearer_auth(&patronato)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(seen_by_patronato.summary.status.code(), "risposta_inviata");
    assert!(
        seen_by_patronato
            .thread
            .iter()
            .all(|e| e.body != "solo interno"),
        "patronati never see internal notes"
    );

    let unknown_action = json!({"action": "explode"});
    let (status, _) = error_of(post(&t, &actions, &operator, &unknown_action, None).await).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    t.service.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dossier_needs_an_active_mandate_and_every_read_is_audited() {
    let t = TestService::demo().await;
    let client = http();
    let patronato = t.token(Role::Patronato); // INCA
    let get = |token: String, cf: &str| {
        client
            .get(t.url(&format!("/v1/dossiers/{cf}")))
            .bearer_auth(token)
            .send()
    };
    let ok = get(patronato.clone(), CF_INCA).await.unwrap();
    assert_eq!(ok.status(), StatusCode::OK);
    let dossier: Value = ok.json().await.unwrap();
    assert_eq!(dossier["citizen"]["codice_fiscale"], CF_INCA);
    let expired = get(patronato.clone(), CF_EXPIRED).await.unwrap();
    assert_eq!(expired.status(), StatusCode::FORBIDDEN);
    let (_, body) = error_of(expired).await;
    assert_eq!(body["code"], "mandate_expired");
    // This citizen has no request in the operator's office: reading the dossier needs a stated
    // purpose (accesso motivato), which the audit log then records.
    let operator_read = get(t.token(Role::Operator), CF_EXPIRED).await.unwrap();
    let (status, body) = error_of(operator_read).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("purpose_required"))
    );
    let purpose = "verifica posizione contributiva su richiesta della sede";
    let motivated = client
        .get(t.url(&format!("/v1/dossiers/{CF_EXPIRED}")))
        .query(&[("purpose", purpose)])
        .bearer_auth(t.token(Role::Operator))
        .send()
        .await
        .unwrap();
    assert_eq!(motivated.status(), StatusCode::OK);
    let own_citizen = get(t.token(Role::Operator), CF_INCA).await.unwrap();
    assert_eq!(
        own_citizen.status(),
        StatusCode::OK,
        "a citizen of a request in scope"
    );

    // The audit log: auditors only, hash-chained, with the remote address.
    let denied = client
        .get(t.url("/v1/audit"))
        .bearer_auth(t.token(Role::Operator))
        .send()
        .await
        .unwrap();
    assert_eq!(denied.status(), StatusCode::FORBIDDEN);
    let auditor = t.token(Role::Auditor);
    let mut entries: Vec<AuditEntry> = Vec::new();
    let mut cursor = String::new();
    loop {
        let page: Page<AuditEntry> = client
            .get(t.url(&format!("/v1/audit?limit=3{cursor}")))
            .bearer_auth(&auditor)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        entries.extend(page.items);
        match page.next_cursor {
            Some(c) => cursor = format!("&cursor={c}"),
            None => break,
        }
    }
    let reads: Vec<_> = entries
        .iter()
        .filter(|e| e.action == "dossier.read")
        .collect();
    assert_eq!(reads.len(), 3, "successful dossier reads are audited");
    assert!(
        reads
            .iter()
            .any(|e| e.target == format!("{CF_EXPIRED} purpose: {purpose}")),
        "the stated purpose is in the audit log"
    );
    let refused: Vec<_> = entries
        .iter()
        .filter(|e| e.action == "dossier.read.refused")
        .collect();
    assert_eq!(refused.len(), 2, "refused dossier reads are audited too");
    assert!(refused.iter().all(|e| e.target == CF_EXPIRED));
    assert!(reads.iter().all(|e| {
        e.remote_addr
            .as_deref()
            .is_some_and(|a| a.starts_with("127.0.0.1:"))
    }));
    // Entries are HMACs under the data dir's audit key, kept outside the database.
    let key_hex =
        std::fs::read_to_string(combipat::service::audit_key::path(t.dir.path())).unwrap();
    let key = AuditKey::from_hex(&key_hex).unwrap();
    let mut prev = "0".repeat(64);
    for (i, e) in entries.iter().enumerate() {
        assert_eq!(e.seq, i as u64 + 1);
        let expected = keyed_chain_hash(
            &key,
            &prev,
            e.seq,
            &e.at.to_string(),
            &e.actor,
            e.role.code(),
            &e.action,
            &e.target,
            e.remote_addr.as_deref(),
        );
        assert_eq!(e.hash, expected, "entry {} breaks the chain", e.seq);
        prev = e.hash.clone();
    }
    let verified = t.service.store().verify_audit_chain().await.unwrap();
    assert_eq!(verified.entries, entries.len() as u64);
    assert_eq!(verified.first_broken, None);
    t.service.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openapi_lists_every_path() {
    let t = TestService::demo().await;
    let doc = t.openapi().await;
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    assert!(doc["info"]["title"].is_string());
    let paths = doc["paths"].as_object().unwrap();
    for path in [
        "/healthz",
        "/v1/openapi.json",
        "/v1/me",
        "/v1/queues",
        "/v1/requests",
        "/v1/requests/{id}",
        "/v1/requests/{id}/messages",
        "/v1/requests/{id}/actions",
        "/v1/dossiers/{codice_fiscale}",
        "/v1/events",
        "/v1/audit",
        "/v1/calendar/{office}",
        "/v1/dashboard",
    ] {
        assert!(paths.contains_key(path), "{path} missing");
    }
    assert!(paths["/v1/requests"]["post"].is_object());
    // Every referenced schema exists.
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    let text = doc.to_string();
    for part in text.split("\"$ref\":\"#/components/schemas/").skip(1) {
        let name = part.split('"').next().unwrap();
        assert!(schemas.contains_key(name), "dangling $ref {name}");
    }
    t.service.shutdown().await.unwrap();
}

/// Reads SSE events until `n` real events (not heartbeats) arrived.
async fn next_events<S>(stream: &mut S, n: usize) -> Vec<(String, EventEnvelope)>
where
    S: futures::Stream<
            Item = Result<
                eventsource_stream::Event,
                eventsource_stream::EventStreamError<reqwest::Error>,
            >,
        > + Unpin,
{
    let mut out = Vec::new();
    while out.len() < n {
        let event = tokio::time::timeout(Duration::from_secs(20), stream.next())
            .await
            .expect("event in time")
            .expect("stream open")
            .expect("valid event");
        let envelope: EventEnvelope = serde_json::from_str(&event.data).unwrap();
        assert_eq!(event.id, envelope.seq.to_string());
        out.push((event.event, envelope));
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sse_resumes_exactly_from_last_event_id() {
    let t = TestService::demo().await;
    let patronato = t.token(Role::Patronato);
    let operator = t.token(Role::Operator);
    let connect = |last: Option<u64>| {
        let mut req = http()
            .get(t.url("/v1/events"))
            .bearer_auth(&operator)
            .timeout(Duration::from_secs(120));
        if let Some(last) = last {
            req = req.header("Last-Event-ID", last.to_string());
        }
        req.send()
    };
    let resp = connect(None).await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let mut stream = resp.bytes_stream().eventsource();
    for i in 0..3 {
        let r = post(
            &t,
            "/v1/requests",
            &patronato,
            &new_request(&format!("sse {i}")),
            None,
        )
        .await;
        assert_eq!(r.status(), StatusCode::CREATED);
    }
    let first = next_events(&mut stream, 3).await;
    assert!(first.iter().all(|(kind, _)| kind == "request.created"));
    let last_seen = first.last().unwrap().1.seq;
    drop(stream);

    let mut missed_ids = Vec::new();
    for i in 0..4 {
        let r: RequestDetail = post(
            &t,
            "/v1/requests",
            &patronato,
            &new_request(&format!("missed {i}")),
            None,
        )
        .await
        .json()
        .await
        .unwrap();
        missed_ids.push(r.summary.id);
    }
    let resp = connect(Some(last_seen)).await.unwrap();
    let mut stream = resp.bytes_stream().eventsource();
    let missed = next_events(&mut stream, 4).await;
    let got: Vec<_> = missed
        .iter()
        .map(|(_, e)| e.request_id.clone().unwrap())
        .collect();
    assert_eq!(got, missed_ids, "exactly the missed events, in order");
    assert!(missed.iter().all(|(_, e)| e.seq > last_seen));
    // Nothing else was queued: the next event is a fresh one.
    let fresh: RequestDetail = post(&t, "/v1/requests", &patronato, &new_request("fresh"), None)
        .await
        .json()
        .await
        .unwrap();
    let next = next_events(&mut stream, 1).await;
    assert_eq!(next[0].1.request_id.as_ref(), Some(&fresh.summary.id));
    assert_eq!(next[0].1.seq, missed.last().unwrap().1.seq + 1);
    drop(stream);

    // Events of another office are not streamed to this operator.
    let mut elsewhere = new_request("Milano");
    elsewhere["office"] = json!("MI01");
    post(&t, "/v1/requests", &patronato, &elsewhere, None).await;
    let resp = connect(Some(next[0].1.seq)).await.unwrap();
    let mut stream = resp.bytes_stream().eventsource();
    let own: RequestDetail = post(&t, "/v1/requests", &patronato, &new_request("own"), None)
        .await
        .json()
        .await
        .unwrap();
    let after_filter = next_events(&mut stream, 1).await;
    assert_eq!(after_filter[0].1.request_id.as_ref(), Some(&own.summary.id));
    drop(stream);

    // A cursor behind pruned events gets a resync.
    t.service.store().prune_events(last_seen + 1).await.unwrap();
    let resp = connect(Some(last_seen - 1)).await.unwrap();
    let mut stream = resp.bytes_stream().eventsource();
    let event = tokio::time::timeout(Duration::from_secs(20), stream.next())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(event.event, "resync");
    drop(stream);
    t.service.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_acknowledged_before_kill_9_survives_restart() {
    let dir = tempfile::tempdir().unwrap();
    // `serve --demo` seeds the full generated dataset; this test needs the starter citizens.
    let starter = combipat::service::starter_dataset(7, jiff::Timestamp::now());
    let database = common::test_database().await;
    combipat::service::seed_demo_on(dir.path(), database.as_deref(), starter)
        .await
        .unwrap();
    let (mut child, url) = spawn_serve_on(dir.path(), false, database.as_deref());
    let creds = combipat::service::demo_credentials::load(dir.path()).unwrap();
    let patronato = creds.token(Role::Patronato).unwrap().to_string();
    let operator = creds.token(Role::Operator).unwrap().to_string();
    let resp = http()
        .post(format!("{url}/v1/requests"))
        .bearer_auth(&patronato)
        .json(&new_request("Durevole"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::CREATED);
    let created: RequestDetail = resp.json().await.unwrap();
    child.kill().unwrap(); // SIGKILL, right after the 2xx
    child.wait().unwrap();

    let (mut child, url) = spawn_serve_on(dir.path(), false, database.as_deref());
    let resp = http()
        .get(format!("{url}/v1/requests/{}", created.summary.id))
        .bearer_auth(&operator)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let again: RequestDetail = resp.json().await.unwrap();
    assert_eq!(again.summary.subject, "Durevole");
    child.kill().unwrap();
    child.wait().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sla_clocks_run_from_filing_and_pause_on_integration_request() {
    use combipat::domain::sla::{ClockKind, SlaState};
    let t = TestService::demo().await;
    let patronato = t.token(Role::Patronato);
    let operator = t.token(Role::Operator);
    let created: RequestDetail = post(
        &t,
        "/v1/requests",
        &patronato,
        &new_request("Orologi"),
        None,
    )
    .await
    .json()
    .await
    .unwrap();
    let clocks = &created.summary.clocks;
    let kinds: HashSet<ClockKind> = clocks.iter().map(|c| c.kind).collect();
    assert!(kinds.contains(&ClockKind::FirstReply), "{clocks:?}");
    assert!(kinds.contains(&ClockKind::Resolution), "{clocks:?}");
    for clock in clocks {
        assert!(
            !matches!(
                clock.state,
                SlaState::Paused | SlaState::Met | SlaState::Missed
            ),
            "{clock:?}"
        );
        let due = clock.due_at.expect("a running clock has a due instant");
        assert!(due > created.summary.created_at, "{clock:?}");
        assert!(clock.remaining_secs > 0, "{clock:?}");
        assert_eq!(clock.office(), "RM01");
    }

    let id = created.summary.id.clone();
    let take = json!({"action": "take"});
    let resp = post(
        &t,
        &format!("/v1/requests/{id}/actions"),
        &operator,
        &take,
        None,
    )
    .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let integration = json!({"kind": "integration_request", "body": "Serve il modello AP70."});
    let resp = post(
        &t,
        &format!("/v1/requests/{id}/messages"),
        &operator,
        &integration,
        None,
    )
    .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let detail: RequestDetail = resp.json().await.unwrap();
    let resolution = detail
        .summary
        .clocks
        .iter()
        .find(|c| c.kind == ClockKind::Resolution)
        .unwrap();
    assert_eq!(resolution.state, SlaState::Paused, "{resolution:?}");
    assert_eq!(resolution.due_at, None);

    // The list carries the same clocks as the detail.
    let listed = all_requests(&t, &operator, "", 100).await;
    let listed = listed.iter().find(|r| r.id == id).unwrap();
    assert_eq!(listed.clocks.len(), detail.summary.clocks.len());
    t.service.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calendar_lists_closing_days_with_reasons() {
    let t = TestService::demo().await;
    let operator = t.token(Role::Operator);
    let resp = http()
        .get(t.url("/v1/calendar/RM01?year=2026"))
        .bearer_auth(&operator)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let days: Vec<combipat::api::ClosingDayView> = resp.json().await.unwrap();
    // Rome: Saints Peter and Paul (Monday 29 June 2026) is the patron saint's day.
    let patron = days
        .iter()
        .find(|d| d.date == "2026-06-29")
        .expect("29 June closed");
    assert!(!patron.reasons.is_empty());
    assert!(days.iter().all(|d| d.date.starts_with("2026-")));
    let unknown = http()
        .get(t.url("/v1/calendar/XX99?year=2026"))
        .bearer_auth(&operator)
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    let (status, body) = error_of(
        http()
            .get(t.url("/v1/calendar/RM01?year=1800"))
            .bearer_auth(&operator)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["field"], "year");
    t.service.shutdown().await.unwrap();
}

/// Issue 12 point 11: `Content-Type` must be JSON exactly; the same JSON with other key order or
/// spacing under the same `Idempotency-Key` is the same request (replayed, not a mismatch).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn content_type_is_exactly_json_and_respelled_json_is_the_same_request() {
    let t = TestService::demo().await;
    let patronato = t.token(Role::Patronato);
    let admin = t.token(Role::Admin);
    let before = all_requests(&t, &admin, "", 500).await.len();
    let compact = serde_json::to_string(&new_request("Richiesta ripetuta")).unwrap();
    let send = |content_type: &'static str, body: String, key: &'static str| {
        http()
            .post(t.url("/v1/requests"))
            .bearer_auth(&patronato)
            .header("Content-Type", content_type)
            .header("Idempotency-Key", key)
            .body(body)
            .send()
    };

    for wrong in ["application/jsonx", "text/json", "application/problem+json"] {
        let (status, err) = error_of(send(wrong, compact.clone(), "ct-1").await.unwrap()).await;
        assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{wrong}");
        assert_eq!(err["code"], "unsupported_media_type");
    }
    assert_eq!(all_requests(&t, &admin, "", 500).await.len(), before);

    let first = send("application/json; charset=utf-8", compact, "respelled")
        .await
        .unwrap();
    assert_eq!(first.status(), StatusCode::CREATED);
    let first: RequestDetail = first.json().await.unwrap();
    // Same fields, reversed order, other spacing.
    let respelled = format!(
        "{{ \"body\" : \"Si chiede lo stato della pratica.\",\n  \"subject\": \"Richiesta ripetuta\",\
         \"citizen\":\"{CF_INCA}\", \"topic\":\"pensioni\" ,\"office\":\"RM01\" }}"
    );
    let again = send("application/json", respelled, "respelled")
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::CREATED);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    let again: RequestDetail = again.json().await.unwrap();
    assert_same_record(&again, &first);
    assert_eq!(all_requests(&t, &admin, "", 500).await.len(), before + 1);
    t.service.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_assignee_or_a_supervisor_answers_and_a_revoked_mandate_cuts_access() {
    let t = TestService::demo().await;
    let patronato = t.token(Role::Patronato);
    let operator = t.token(Role::Operator); // m.rossi, RM01
    let supervisor = t.token(Role::Supervisor);
    let colleague = t
        .service
        .store()
        .issue_token("g.bianchi", "test")
        .await
        .unwrap()
        .token;
    let filed: RequestDetail = post(
        &t,
        "/v1/requests",
        &patronato,
        &new_request("Chi risponde"),
        None,
    )
    .await
    .json()
    .await
    .unwrap();
    let id = filed.summary.id.clone();
    let actions = format!("/v1/requests/{id}/actions");
    let messages = format!("/v1/requests/{id}/messages");
    let taken = post(&t, &actions, &operator, &json!({"action": "take"}), None).await;
    assert_eq!(taken.status(), StatusCode::OK);
    let version = taken.json::<RequestDetail>().await.unwrap().summary.version;

    // A colleague of the same office may not reply to, close or forward it.
    let reply = json!({"kind": "reply", "body": "Risposta del collega"});
    let (status, body) = error_of(post(&t, &messages, &colleague, &reply, None).await).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("not_assignee"))
    );
    let close = json!({"action": "close", "outcome": "evasa"});
    let (status, body) = error_of(post(&t, &actions, &colleague, &close, None).await).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("not_assignee"))
    );
    let forward = json!({"action": "forward", "office": "MI01"});
    let (status, body) = error_of(post(&t, &actions, &colleague, &forward, None).await).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("not_assignee"))
    );
    // An internal note is still allowed: colleagues help each other.
    let note = json!({"kind": "internal_note", "body": "Vedi anche la pratica del 2019"});
    assert_eq!(
        post(&t, &messages, &colleague, &note, None).await.status(),
        StatusCode::CREATED
    );

    // Assign without If-Match would silently override the take: 428 naming If-Match.
    let assign = json!({"action": "assign", "assignee": "g.bianchi"});
    let resp = http()
        .post(t.url(&actions))
        .bearer_auth(&supervisor)
        .json(&assign)
        .send()
        .await
        .unwrap();
    let (status, body) = error_of(resp).await;
    assert_eq!(status, StatusCode::PRECONDITION_REQUIRED);
    assert_eq!(body["field"], "If-Match");
    // With the version the supervisor saw it is refused as stale (the note moved it on)…
    let stale = http()
        .post(t.url(&actions))
        .bearer_auth(&supervisor)
        .header("If-Match", format!("\"{version}\""))
        .json(&assign)
        .send()
        .await
        .unwrap();
    assert_eq!(stale.status(), StatusCode::PRECONDITION_FAILED);
    // …and the assignee's own reply goes through.
    let reply = json!({"kind": "reply", "body": "Risposta dell'assegnatario"});
    assert_eq!(
        post(&t, &messages, &operator, &reply, None).await.status(),
        StatusCode::CREATED
    );

    // Presence: only INPS staff who work requests, not auditors.
    let presence = http()
        .post(t.url(&format!("/v1/requests/{id}/presence")))
        .bearer_auth(t.token(Role::Auditor))
        .json(&json!({"activity": "viewing"}))
        .send()
        .await
        .unwrap();
    assert_eq!(presence.status(), StatusCode::FORBIDDEN);

    // ACLI's mandate for this citizen was revoked 5 days ago: its requests for the citizen are
    // refused with mandate_revoked, on reads and on writes.
    let acli = t
        .service
        .store()
        .issue_token("acli.client", "test")
        .await
        .unwrap()
        .token;
    let admin = t.token(Role::Admin);
    let page: Page<RequestSummary> = http()
        .get(t.url(&format!("/v1/requests?patronato=ACLI&q={CF_INCA}&limit=5")))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let revoked = page
        .items
        .first()
        .expect("an ACLI request for the citizen")
        .id
        .clone();
    let read = http()
        .get(t.url(&format!("/v1/requests/{revoked}")))
        .bearer_auth(&acli)
        .send()
        .await
        .unwrap();
    let (status, body) = error_of(read).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("mandate_revoked"))
    );
    let message = json!({"kind": "patronato_message", "body": "Integrazione"});
    let write = post(
        &t,
        &format!("/v1/requests/{revoked}/messages"),
        &acli,
        &message,
        None,
    )
    .await;
    let (status, body) = error_of(write).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("mandate_revoked"))
    );

    // Reads of a request in full are audited, refused ones too.
    let audit: Page<AuditEntry> = http()
        .get(t.url("/v1/audit?limit=500"))
        .bearer_auth(t.token(Role::Auditor))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        audit
            .items
            .iter()
            .any(|e| e.action == "request.read.refused"
                && e.target == revoked.as_str()
                && e.actor == "acli.client")
    );
    t.service.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_patronato_sees_nothing_internal_in_reads_lists_or_events() {
    let t = TestService::demo().await;
    let patronato = t.token(Role::Patronato);
    let operator = t.token(Role::Operator);
    let events = http()
        .get(t.url("/v1/events"))
        .bearer_auth(&patronato)
        .timeout(Duration::from_secs(60))
        .send()
        .await
        .unwrap();
    let mut stream = events.bytes_stream().eventsource();
    let filed: RequestDetail = post(
        &t,
        "/v1/requests",
        &patronato,
        &new_request("Interno"),
        None,
    )
    .await
    .json()
    .await
    .unwrap();
    let id = filed.summary.id.clone();
    let actions = format!("/v1/requests/{id}/actions");
    assert_eq!(
        post(&t, &actions, &operator, &json!({"action": "take"}), None)
            .await
            .status(),
        StatusCode::OK
    );
    let tag = json!({"action": "tag", "tag": "sospetta-frode"});
    assert_eq!(
        post(&t, &actions, &operator, &tag, None).await.status(),
        StatusCode::OK
    );
    let note = json!({"kind": "internal_note", "body": "Verificare con la vigilanza"});
    let messages = format!("/v1/requests/{id}/messages");
    assert_eq!(
        post(&t, &messages, &operator, &note, None).await.status(),
        StatusCode::CREATED
    );
    let reply = json!({"kind": "reply", "body": "Pratica in verifica"});
    assert_eq!(
        post(&t, &messages, &operator, &reply, None).await.status(),
        StatusCode::CREATED
    );

    // Staff see it all…
    let staff: RequestDetail = http()
        .get(t.url(&format!("/v1/requests/{id}")))
        .bearer_auth(&operator)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(staff.summary.tags, vec!["sospetta-frode".to_string()]);
    assert!(staff.summary.assignee.is_some());
    // …the patronato sees the reply, nothing internal, no usernames.
    let seen: Value = http()
        .get(t.url(&format!("/v1/requests/{id}")))
        .bearer_auth(&patronato)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let text = seen.to_string();
    for secret in ["sospetta-frode", "vigilanza", "m.rossi", "internal_note"] {
        assert!(!text.contains(secret), "{secret} leaked: {text}");
    }
    assert!(text.contains("Pratica in verifica"));
    assert_eq!(seen["assignee"], Value::Null);
    let listed: Value = http()
        .get(t.url(&format!("/v1/requests?q={}", id.as_str())))
        .bearer_auth(&patronato)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let text = listed.to_string();
    assert!(text.contains(id.as_str()));
    assert!(
        !text.contains("sospetta-frode") && !text.contains("m.rossi"),
        "{text}"
    );
    // Events: no internal ones, no usernames in the data.
    let received = next_events(&mut stream, 3).await;
    for (kind, envelope) in &received {
        let data = envelope.data.to_string();
        assert!(!data.contains("m.rossi"), "{kind}: {data}");
        assert!(envelope.data.get("assignee").is_none(), "{kind}: {data}");
    }
    t.service.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revoking_a_token_ends_its_open_event_stream() {
    let t = TestService::demo().await;
    let operator = t.token(Role::Operator);
    let username = t
        .credentials
        .credential
        .iter()
        .find(|c| c.role == Role::Operator)
        .unwrap()
        .username
        .clone();
    let supervisor = t.token(Role::Supervisor);
    let open = |token: String| {
        http()
            .get(t.url("/v1/events"))
            .bearer_auth(token)
            .timeout(Duration::from_secs(60))
            .send()
    };
    let mut revoked = open(operator.clone())
        .await
        .unwrap()
        .bytes_stream()
        .eventsource();
    let mut other = open(supervisor.clone())
        .await
        .unwrap()
        .bytes_stream()
        .eventsource();
    let n = t
        .service
        .store()
        .revoke_tokens(TokenTarget::Username(username))
        .await
        .unwrap();
    assert_eq!(n, 1);
    // The revoked token's stream ends (well within a second here; 5 s is only a test bound).
    let end = tokio::time::timeout(Duration::from_secs(5), revoked.next())
        .await
        .expect("the stream ends");
    assert!(end.is_none(), "no more events after revocation: {end:?}");
    // New calls get 401; the other stream goes on and never sees the revocation event.
    let me = http()
        .get(t.url("/v1/me"))
        .bearer_auth(&operator)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), StatusCode::UNAUTHORIZED);
    let patronato = t.token(Role::Patronato);
    post(
        &t,
        "/v1/requests",
        &patronato,
        &new_request("dopo la revoca"),
        None,
    )
    .await;
    let next = next_events(&mut other, 1).await;
    assert_eq!(next[0].0, "request.created");
    t.service.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_live_forward_moves_the_clocks_to_the_receiving_office() {
    let t = TestService::demo().await;
    let patronato = t.token(Role::Patronato);
    let operator = t.token(Role::Operator);
    let filed: RequestDetail = post(
        &t,
        "/v1/requests",
        &patronato,
        &new_request("Da girare"),
        None,
    )
    .await
    .json()
    .await
    .unwrap();
    let actions = format!("/v1/requests/{}/actions", filed.summary.id);
    assert_eq!(
        post(&t, &actions, &operator, &json!({"action": "take"}), None)
            .await
            .status(),
        StatusCode::OK
    );
    let forwarded = post(
        &t,
        &actions,
        &operator,
        &json!({"action": "forward", "office": "MI01"}),
        None,
    )
    .await;
    assert_eq!(forwarded.status(), StatusCode::OK);
    let detail: RequestDetail = forwarded.json().await.unwrap();
    assert_eq!(detail.summary.office, "MI01");
    let running: Vec<_> = detail
        .summary
        .clocks
        .iter()
        .filter(|c| c.state != combipat::domain::sla::SlaState::Met)
        .collect();
    assert!(!running.is_empty());
    for clock in running {
        assert_eq!(
            clock.office(),
            "MI01",
            "{:?} still on the sending office",
            clock.kind
        );
        assert_eq!(clock.basis.offices.last().map(|o| o.as_str()), Some("MI01"));
        assert_eq!(
            clock.basis.offices.first().map(|o| o.as_str()),
            Some("RM01")
        );
    }
    t.service.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changing_an_operators_office_or_role_ends_their_open_event_streams() {
    let t = TestService::demo().await;
    let operator = t.credentials.for_role(Role::Operator).unwrap().clone();
    let open = |token: String| {
        http()
            .get(t.url("/v1/events"))
            .bearer_auth(token)
            .timeout(Duration::from_secs(60))
            .send()
    };
    let store = t.service.store();
    let before = store.operator(&operator.username).await.unwrap().unwrap();
    let other_office = if before.office.as_deref() == Some("MI01") {
        "RM01"
    } else {
        "MI01"
    };
    let mut moved = combipat::domain::roles::Operator {
        office: Some(other_office.to_string()),
        ..before.clone()
    };
    for change in [
        moved.clone(),
        combipat::domain::roles::Operator {
            role: Role::Supervisor,
            ..moved.clone()
        },
    ] {
        let mut stream = open(operator.token.clone())
            .await
            .unwrap()
            .bytes_stream()
            .eventsource();
        let mut bystander = open(t.token(Role::Supervisor))
            .await
            .unwrap()
            .bytes_stream()
            .eventsource();
        store.update_operator(change.clone()).await.unwrap();
        // The stream ends (within a second here; 5 s is only a test bound).
        let end = tokio::time::timeout(Duration::from_secs(5), stream.next())
            .await
            .expect("the stream ends");
        assert!(end.is_none(), "no more events after the change: {end:?}");
        // The token still works, with the new scope; other streams go on.
        let me: Value = http()
            .get(t.url("/v1/me"))
            .bearer_auth(&operator.token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(me["office"], other_office);
        assert_eq!(me["role"], change.role.code());
        let patronato = t.token(Role::Patronato);
        post(
            &t,
            "/v1/requests",
            &patronato,
            &new_request("dopo il trasferimento"),
            None,
        )
        .await;
        let next = next_events(&mut bystander, 1).await;
        assert_eq!(next[0].0, "request.created");
        moved = change;
    }
    // Audited, and an unknown user is a 422-style error naming the field.
    let unknown = store
        .update_operator(combipat::domain::roles::Operator {
            username: "nessuno".into(),
            ..moved
        })
        .await
        .unwrap_err();
    assert!(
        matches!(unknown, combipat::service::core::StoreError::Invalid { ref field, .. } if field == "username"),
        "{unknown:?}"
    );
    let audit: Page<AuditEntry> = http()
        .get(t.url("/v1/audit?limit=1000"))
        .bearer_auth(t.token(Role::Auditor))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let updates = audit
        .items
        .iter()
        .filter(|e| e.action == "operator.update")
        .count();
    assert_eq!(updates, 2);
    t.service.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn layout_breaking_unicode_in_a_subject_or_message_is_a_422_naming_the_field() {
    let t = TestService::demo().await;
    let patronato = t.token(Role::Patronato);
    let before = all_requests(&t, &t.token(Role::Admin), "", 100).await.len();
    for hostile in [
        "riga\u{2028}nuova",
        "para\u{2029}grafo",
        "tag \u{E0041}\u{E0042} nascosti",
        "riempitivo \u{3164} hangul",
        "filler \u{115F}",
        "inibito \u{206A}",
        "annotazione \u{FFF9}x\u{FFFB}",
        "mongolo \u{180E}",
        "bidi \u{202E}exe.txt",
        "privato \u{E000}",
    ] {
        let resp = http()
            .post(t.url("/v1/requests"))
            .bearer_auth(&patronato)
            .json(&new_request(hostile))
            .send()
            .await
            .unwrap();
        let (status, body) = error_of(resp).await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{hostile:?}: {body}"
        );
        assert_eq!(body["field"], "subject", "{hostile:?}: {body}");
        let mut message = new_request("ok");
        message["body"] = json!(format!("testo {hostile}"));
        let resp = http()
            .post(t.url("/v1/requests"))
            .bearer_auth(&patronato)
            .json(&message)
            .send()
            .await
            .unwrap();
        let (status, body) = error_of(resp).await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{hostile:?}: {body}"
        );
        assert_eq!(body["field"], "body", "{hostile:?}: {body}");
    }
    assert_eq!(
        all_requests(&t, &t.token(Role::Admin), "", 100).await.len(),
        before
    );
    t.service.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forged_pagination_cursor_is_a_422_not_an_empty_page() {
    let t = TestService::demo().await;
    for (path, token) in [
        ("/v1/requests?cursor=Zm9yZ2Vk", t.token(Role::Operator)),
        (
            "/v1/requests?cursor=MTIzfENCUC0yMDI2LTk5",
            t.token(Role::Operator),
        ),
        ("/v1/requests?cursor=%25%25", t.token(Role::Operator)),
        ("/v1/audit?cursor=dopo-il-primo", t.token(Role::Auditor)),
    ] {
        let resp = http()
            .get(t.url(path))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        let (status, body) = error_of(resp).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{path}: {body}");
        assert_eq!(body["field"], "cursor", "{path}: {body}");
    }
    t.service.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_offices_operators_are_listed_to_its_staff_and_nobody_else() {
    let t = TestService::demo().await;
    let get = |role: Role, office: &str| {
        let request = http()
            .get(t.url(&format!("/v1/offices/{office}/operators")))
            .bearer_auth(t.token(role));
        async move { request.send().await.unwrap() }
    };
    // An operator of RM01 sees the office's operators and supervisor, with full names.
    let answer = get(Role::Operator, "RM01").await;
    assert_eq!(answer.status(), StatusCode::OK);
    let staff: Vec<combipat::api::OfficeOperator> = answer.json().await.unwrap();
    let names: Vec<(&str, &str)> = staff
        .iter()
        .map(|u| (u.username.as_str(), u.full_name.as_str()))
        .collect();
    assert_eq!(
        names,
        vec![
            ("g.bianchi", "Giada Bianchi"),
            ("m.rossi", "Marco Rossi"),
            ("s.ferri", "Silvia Ferri")
        ]
    );
    // Another office is outside an operator's scope; admins see any office.
    assert_eq!(
        get(Role::Operator, "MI01").await.status(),
        StatusCode::NOT_FOUND
    );
    let milan: Vec<combipat::api::OfficeOperator> =
        get(Role::Admin, "MI01").await.json().await.unwrap();
    assert_eq!(
        milan
            .iter()
            .map(|u| u.username.as_str())
            .collect::<Vec<_>>(),
        vec!["l.verdi"]
    );
    assert_eq!(
        get(Role::Admin, "XX99").await.status(),
        StatusCode::NOT_FOUND
    );
    // Patronati and auditors never list INPS staff.
    for role in [Role::Patronato, Role::Auditor] {
        assert_eq!(
            get(role, "RM01").await.status(),
            StatusCode::FORBIDDEN,
            "{role:?}"
        );
    }
    let anonymous = http()
        .get(t.url("/v1/offices/RM01/operators"))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    let doc = t.openapi().await;
    assert!(
        doc["paths"]["/v1/offices/{code}/operators"]["get"].is_object(),
        "{}",
        doc["paths"]
    );
    t.service.shutdown().await.unwrap();
}
