//! Request lists (filters + keyset pagination), queue definitions and counts, dossiers.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jiff::Timestamp;
use jiff::tz::TimeZone;

use super::access::{self, scope_of};
use super::aggregates::{Aggregates, Tally};
use super::journal::{self, AuditKey};
use crate::api::{Dossier, MandateView, QueueCount, RequestFilter, RequestPage, RequestSummary};
use crate::domain::codice_fiscale::CodiceFiscale;
use crate::domain::mandate::MandateState;
use crate::domain::request::{RequestId, Status, Topic};
use crate::domain::roles::{Operator, Role};
use crate::service::sla::Sla;
use crate::service::store::{ReadTx, RequestQuery, Scope, StoreError, WriteTx};

pub use crate::api::queues::*;

fn encode_cursor(created: Timestamp, id: &RequestId) -> String {
    URL_SAFE_NO_PAD.encode(format!("{}|{}", created.as_microsecond(), id.as_str()))
}

fn decode_cursor(cursor: &str) -> Result<(Timestamp, RequestId), StoreError> {
    let bad = || StoreError::invalid("cursor", "cursor is not one this service issued");
    let bytes = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| bad())?;
    let text = String::from_utf8(bytes).map_err(|_| bad())?;
    let (us, id) = text.split_once('|').ok_or_else(bad)?;
    let us: i64 = us.parse().map_err(|_| bad())?;
    let created = Timestamp::from_microsecond(us).map_err(|_| bad())?;
    let id = RequestId::parse(id).map_err(|_| bad())?;
    Ok((created, id))
}

fn rome() -> TimeZone {
    TimeZone::get("Europe/Rome").unwrap_or(TimeZone::UTC)
}

/// Start of today in Europe/Rome: "closed today" means since local midnight, everywhere.
fn start_of_today(now: Timestamp) -> Timestamp {
    crate::domain::calendar::rome_day_start(now)
}

/// What a queue id selects, or `Risk` for the queues computed from the clocks.
enum QueueDef {
    Rows(Box<RequestQuery>),
    AtRisk,
    Breached,
    AppointmentsToday,
}

fn queue_def(queue: &str, who: &Operator, now: Timestamp) -> Result<QueueDef, StoreError> {
    let open = RequestQuery {
        open: Some(true),
        ..RequestQuery::default()
    };
    Ok(QueueDef::Rows(Box::new(match queue {
        QUEUE_OPEN => open,
        QUEUE_MINE => RequestQuery {
            assignee: Some(who.username.clone()),
            ..open
        },
        QUEUE_UNASSIGNED => RequestQuery {
            unassigned: true,
            ..open
        },
        QUEUE_AWAITING => RequestQuery {
            status: Some(Status::InAttesaIntegrazione),
            ..RequestQuery::default()
        },
        QUEUE_CLOSED_TODAY => RequestQuery {
            status: Some(Status::Chiusa),
            updated_since: Some(start_of_today(now)),
            ..RequestQuery::default()
        },
        QUEUE_AT_RISK => return Ok(QueueDef::AtRisk),
        QUEUE_BREACHED => return Ok(QueueDef::Breached),
        QUEUE_APPOINTMENTS_TODAY => return Ok(QueueDef::AppointmentsToday),
        other => {
            let topic = other
                .strip_prefix("topic:")
                .and_then(Topic::from_code)
                .ok_or_else(|| StoreError::invalid("queue", format!("unknown queue {other:?}")))?;
            RequestQuery {
                topic: Some(topic),
                ..open
            }
        }
    })))
}

/// Events a `since` catch-up reads at most to find the requests that left the caller's
/// scope; past this many changes a full reload is as cheap, so the answer is `resync`.
pub const CATCH_UP_EVENTS: u32 = 20_000;

pub fn list_requests(
    tx: &mut dyn ReadTx,
    who: &Operator,
    filter: &RequestFilter,
    now: Timestamp,
    sla: &Sla,
) -> Result<RequestPage, StoreError> {
    let limit = filter.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(StoreError::invalid(
            "limit",
            format!("limit must be between 1 and {MAX_LIMIT}"),
        ));
    }
    // Read before the rows: a store whose reads are not one snapshot may then show rows newer
    // than this seq (their events come again, harmlessly), never older.
    let bounds = tx.event_bounds()?;
    let event_seq = bounds.highest;
    if let Some(since) = filter.since
        && journal::pruned(&bounds, since)
    {
        return Err(StoreError::Pruned(since));
    }
    let scope = scope_of(who);
    let removed = match (filter.since, &filter.cursor) {
        (Some(since), None) => left_scope_since(tx, who, &scope, since, event_seq)?,
        _ => vec![],
    };
    let (items, next_cursor) = list_rows(tx, who, &scope, filter, limit, now, sla)?;
    Ok(RequestPage {
        items,
        next_cursor,
        event_seq,
        removed,
    })
}

/// Requests named by the events after `since` that `who` received (or would have) but can
/// no longer see: a client keeping a copy of its list drops them.
fn left_scope_since(
    tx: &mut dyn ReadTx,
    who: &Operator,
    scope: &Scope,
    since: u64,
    head: u64,
) -> Result<Vec<RequestId>, StoreError> {
    let events = tx.events(&access::event_filter(who), since, head, CATCH_UP_EVENTS)?;
    if events.len() >= CATCH_UP_EVENTS as usize {
        return Err(StoreError::Pruned(since));
    }
    let named: std::collections::BTreeSet<RequestId> = events
        .into_iter()
        .filter(|e| !e.kind.starts_with("sla."))
        .filter_map(|e| e.request_id)
        .collect();
    if named.is_empty() {
        return Ok(vec![]);
    }
    let visible: std::collections::HashSet<RequestId> = tx
        .list_requests(
            scope,
            &RequestQuery {
                among: Some(named.iter().cloned().collect()),
                ..RequestQuery::default()
            },
        )?
        .into_iter()
        .map(|row| row.id)
        .collect();
    Ok(named
        .into_iter()
        .filter(|id| !visible.contains(id))
        .collect())
}

/// The rows of one page and the cursor of the next.
fn list_rows(
    tx: &mut dyn ReadTx,
    who: &Operator,
    scope: &Scope,
    filter: &RequestFilter,
    limit: u32,
    now: Timestamp,
    sla: &Sla,
) -> Result<(Vec<RequestSummary>, Option<String>), StoreError> {
    // The appointments queue lists by the appointment's time, not by filing.
    let mut by_appointment: Option<Vec<RequestId>> = None;
    let mut query = match &filter.queue {
        Some(queue) => {
            let among = |ids| RequestQuery {
                among: Some(ids),
                ..RequestQuery::default()
            };
            match queue_def(queue, who, now)? {
                QueueDef::Rows(query) => *query,
                QueueDef::AtRisk => among(RiskySets::of(tx, scope, now, sla)?.at_risk),
                QueueDef::Breached => among(RiskySets::of(tx, scope, now, sla)?.breached),
                QueueDef::AppointmentsToday => {
                    let ids = super::agenda::requests_booked_today(tx, scope, now)?;
                    by_appointment = Some(ids.clone());
                    among(ids)
                }
            }
        }
        None => RequestQuery::default(),
    };
    // Explicit filters narrow the queue; one that contradicts the queue's own condition
    // (another status, topic or assignee) selects nothing.
    if let (Some(a), Some(b)) = (query.status, filter.status)
        && a != b
    {
        return Ok((vec![], None));
    }
    if filter.status.is_some() {
        query.status = filter.status;
    }
    if let (Some(a), Some(b)) = (query.topic, filter.topic)
        && a != b
    {
        return Ok((vec![], None));
    }
    if filter.topic.is_some() {
        query.topic = filter.topic;
    }
    query.office = filter.office.clone();
    query.patronato = filter.patronato.clone();
    if let Some(assignee) = &filter.assignee {
        if query.assignee.as_ref().is_some_and(|a| a != assignee) {
            return Ok((vec![], None));
        }
        query.assignee = Some(assignee.clone());
    }
    query.text = filter
        .q
        .as_deref()
        .map(str::trim)
        .filter(|q| !q.is_empty())
        .map(str::to_string);
    if let Some(cursor) = &filter.cursor {
        query.before = Some(decode_cursor(cursor)?);
    }
    query.limit = Some(limit + 1);
    query.changed_after = filter.since;
    query.open_or_updated_since = filter.closed_since;
    let rows = tx.list_requests(scope, &query)?;
    let at = sla.instant(now);
    let mut items: Vec<RequestSummary> = rows
        .into_iter()
        .map(|row| access::summary(who, row, sla, &at))
        .collect();
    super::agenda::mark_booked(tx, scope, now, &mut items)?;
    if let Some(order) = &by_appointment {
        items.sort_by_key(|item| order.iter().position(|id| id == &item.id));
    }
    let next_cursor = if items.len() > limit as usize {
        items.truncate(limit as usize);
        items
            .last()
            .map(|last| encode_cursor(last.created_at, &last.id))
    } else {
        None
    };
    Ok((items, next_cursor))
}

/// Every queue `who` is offered, with its counts at `now`, from the node's maintained
/// counters (brought up to `tx`'s snapshot first): the cost depends on offices × topics ×
/// operators, not on requests.
pub fn queues(
    tx: &mut dyn ReadTx,
    aggregates: &Aggregates,
    who: &Operator,
    now: Timestamp,
    sla: &Sla,
) -> Result<Vec<QueueCount>, StoreError> {
    let scope = scope_of(who);
    let tallies = aggregates.queue_tallies(tx, sla, &scope, &who.username, now)?;
    let count = |id: String, tally: Tally| QueueCount {
        id,
        open: tally.open,
        at_risk: tally.at_risk,
        breached: tally.breached,
    };
    let mut out = Vec::new();
    if who.role != Role::Patronato {
        out.push(count(QUEUE_MINE.to_string(), tallies.mine));
        out.push(count(QUEUE_UNASSIGNED.to_string(), tallies.unassigned));
    }
    for topic in Topic::ALL {
        let tally = tallies.by_topic.get(&topic).copied().unwrap_or_default();
        out.push(count(format!("topic:{}", topic.code()), tally));
    }
    let all = tallies.all_open;
    out.push(count(QUEUE_AWAITING.to_string(), tallies.awaiting));
    out.push(count(
        QUEUE_AT_RISK.to_string(),
        Tally {
            open: all.at_risk,
            at_risk: all.at_risk,
            breached: 0,
        },
    ));
    out.push(count(
        QUEUE_BREACHED.to_string(),
        Tally {
            open: all.breached,
            at_risk: 0,
            breached: all.breached,
        },
    ));
    out.push(count(
        QUEUE_CLOSED_TODAY.to_string(),
        Tally {
            open: tallies.closed_today,
            ..Tally::default()
        },
    ));
    let booked = super::agenda::requests_booked_today(tx, &scope, now)?.len() as u64;
    out.push(count(
        QUEUE_APPOINTMENTS_TODAY.to_string(),
        Tally {
            open: booked,
            ..Tally::default()
        },
    ));
    Ok(out)
}

/// The open requests in scope whose clocks are at warning/critical (`at_risk`) or past target
/// (`breached`) at `now`.
struct RiskySets {
    at_risk: Vec<RequestId>,
    breached: Vec<RequestId>,
}

impl RiskySets {
    fn of(
        tx: &mut dyn ReadTx,
        scope: &Scope,
        now: Timestamp,
        sla: &Sla,
    ) -> Result<Self, StoreError> {
        let (mut at_risk, mut breached) = (Vec::new(), Vec::new());
        // The prepared path: no views built, the same answer as `risk` over `views`.
        let instant = sla.instant(now);
        for (id, status, clocks) in tx.open_clocks(scope)? {
            match sla.risk_at(status, &clocks, &instant) {
                (_, true) => breached.push(id),
                (true, false) => at_risk.push(id),
                (false, false) => {}
            }
        }
        Ok(RiskySets { at_risk, breached })
    }
}

fn civil_today(now: Timestamp) -> jiff::civil::Date {
    now.to_zoned(rome()).date()
}

pub fn mandates_of(
    tx: &mut dyn ReadTx,
    citizen: &str,
    patronato: Option<&str>,
    now: Timestamp,
) -> Result<Vec<MandateView>, StoreError> {
    let today = civil_today(now);
    Ok(tx
        .mandates(citizen, patronato)?
        .into_iter()
        .map(|mandate| MandateView {
            state: mandate.state(now, today),
            mandate,
        })
        .collect())
}

/// Why `patronato` may not act for `citizen` right now (`None`: its mandate is active):
/// `mandate_revoked` from the moment of revocation, `mandate_expired` after the last valid day,
/// `mandate_required` when it never held one.
pub fn mandate_refusal(
    tx: &mut dyn ReadTx,
    citizen: &str,
    patronato: &str,
    now: Timestamp,
) -> Result<Option<StoreError>, StoreError> {
    let states: Vec<MandateState> = mandates_of(tx, citizen, Some(patronato), now)?
        .into_iter()
        .map(|m| m.state)
        .collect();
    if states.contains(&MandateState::Active) {
        return Ok(None);
    }
    let (code, message) = if states.contains(&MandateState::Revoked) {
        (
            "mandate_revoked",
            "the mandate for this citizen was revoked",
        )
    } else if states.contains(&MandateState::Expired) {
        (
            "mandate_expired",
            "the mandate for this citizen has expired",
        )
    } else {
        (
            "mandate_required",
            "the patronato holds no active mandate for this citizen",
        )
    };
    Ok(Some(StoreError::Denied {
        code,
        message: message.to_string(),
    }))
}

/// Whether `patronato` holds an active mandate for `citizen` right now.
pub fn has_active_mandate(
    tx: &mut dyn ReadTx,
    citizen: &str,
    patronato: &str,
    now: Timestamp,
) -> Result<bool, StoreError> {
    Ok(mandates_of(tx, citizen, Some(patronato), now)?
        .iter()
        .any(|m| m.state == MandateState::Active))
}

/// A read of personal data and how it ended: the outer `Result` fails the transaction, the
/// inner one is the answer, so a refused read is audited too (attempts are what an auditor
/// looks for).
type Audited<T> = Result<Result<T, StoreError>, StoreError>;

/// Runs `read`, then audits it as `action` (or `action.refused` when it was refused) in the
/// same transaction.
#[allow(clippy::too_many_arguments)] // what an audit entry records, plus the read itself
fn audited<T>(
    tx: &mut dyn WriteTx,
    key: Option<&AuditKey>,
    who: &Operator,
    action: &str,
    target: &str,
    remote_addr: Option<&str>,
    now: Timestamp,
    read: impl FnOnce(&mut dyn WriteTx) -> Result<T, StoreError>,
) -> Audited<T> {
    let outcome = read(tx);
    match &outcome {
        Ok(_) => journal::audit(tx, key, who, action, target, remote_addr, now)?,
        Err(StoreError::NotFound | StoreError::Denied { .. } | StoreError::Forbidden(_)) => {
            journal::audit(
                tx,
                key,
                who,
                &format!("{action}.refused"),
                target,
                remote_addr,
                now,
            )?
        }
        // Storage failures and bad input are not reads of anybody's data.
        Err(_) => {}
    }
    match outcome {
        Ok(value) => Ok(Ok(value)),
        Err(e @ (StoreError::NotFound | StoreError::Denied { .. } | StoreError::Forbidden(_))) => {
            Ok(Err(e))
        }
        Err(e) => Err(e),
    }
}

/// One request in full (citizen's codice fiscale, name, thread) as `who` may see it; audited.
pub fn request_detail(
    tx: &mut dyn WriteTx,
    key: Option<&AuditKey>,
    who: &Operator,
    id: &RequestId,
    remote_addr: Option<String>,
    sla: &Sla,
) -> Audited<crate::api::RequestDetail> {
    let now = Timestamp::now();
    audited(
        tx,
        key,
        who,
        "request.read",
        id.as_str(),
        remote_addr.as_deref(),
        now,
        |tx| {
            let stored = tx
                .load_request(&scope_of(who), id)?
                .ok_or(StoreError::NotFound)?;
            if who.role == Role::Patronato {
                super::writes::check_mandate(tx, who, &stored, now)?;
            }
            let name = tx.citizen_name(stored.request.citizen.as_str())?;
            Ok(access::detail(who, &stored, name, sla, now))
        },
    )
}

/// Longest stated purpose of a dossier read or an export.
const MAX_PURPOSE_CHARS: usize = 200;

/// A stated purpose, trimmed (`None` when blank); 422 on `purpose` when too long or holding
/// characters the terminal sanitiser would have to change (it is shown to auditors).
pub(super) fn checked_purpose(purpose: Option<String>) -> Result<Option<String>, StoreError> {
    let purpose = purpose
        .map(|p| p.trim().to_string())
        .filter(|p| !p.is_empty());
    if let Some(purpose) = &purpose {
        if purpose.chars().count() > MAX_PURPOSE_CHARS {
            return Err(StoreError::invalid(
                "purpose",
                format!("purpose is longer than {MAX_PURPOSE_CHARS} characters"),
            ));
        }
        if purpose.chars().any(char::is_control)
            || crate::domain::sanitize::first_forbidden(purpose).is_some()
        {
            return Err(StoreError::invalid(
                "purpose",
                "purpose contains control or invisible characters",
            ));
        }
    }
    Ok(purpose)
}

/// Reads a dossier; the read, granted or refused, is audited with its purpose (runs in a write
/// transaction).
#[allow(clippy::too_many_arguments)] // who, what, why, from where, when, on which policy
pub fn dossier(
    tx: &mut dyn WriteTx,
    key: Option<&AuditKey>,
    who: &Operator,
    cf_text: &str,
    purpose: Option<String>,
    remote_addr: Option<String>,
    now: Timestamp,
    sla: &Sla,
) -> Audited<Dossier> {
    let cf = CodiceFiscale::parse(cf_text)
        .map_err(|e| StoreError::invalid("codice_fiscale", e.to_string()))?;
    let purpose = checked_purpose(purpose)?;
    let cf_str = cf.as_str().to_string();
    // The purpose goes into the audited target, so auditors see why.
    let target = match &purpose {
        Some(purpose) => format!("{cf_str} purpose: {purpose}"),
        None => cf_str.clone(),
    };
    audited(
        tx,
        key,
        who,
        "dossier.read",
        &target,
        remote_addr.as_deref(),
        now,
        |tx| dossier_of(tx, who, cf, purpose.is_some(), now, sla),
    )
}

fn dossier_of(
    tx: &mut dyn WriteTx,
    who: &Operator,
    cf: CodiceFiscale,
    stated_purpose: bool,
    now: Timestamp,
    sla: &Sla,
) -> Result<Dossier, StoreError> {
    let cf_str = cf.as_str().to_string();
    // INPS staff: the citizen of a request they can see, or an accesso motivato.
    if who.role != Role::Patronato && !stated_purpose {
        let in_scope = tx.count_requests(
            &scope_of(who),
            &RequestQuery {
                citizen: Some(cf_str.clone()),
                ..RequestQuery::default()
            },
        )? > 0;
        if !in_scope {
            return Err(StoreError::Denied {
                code: "purpose_required",
                message: "no request of this citizen is in your scope: state a purpose \
                          (accesso motivato) to read the dossier"
                    .into(),
            });
        }
    }
    if who.role == Role::Patronato {
        let patronato = who.patronato.as_deref().unwrap_or_default();
        match mandate_refusal(tx, &cf_str, patronato, now)? {
            None => {}
            // Never held a mandate: not telling whether the citizen exists.
            Some(StoreError::Denied {
                code: "mandate_required",
                ..
            }) => return Err(StoreError::NotFound),
            Some(refusal) => return Err(refusal),
        }
    }
    let citizen = tx.citizen(&cf_str)?.ok_or(StoreError::NotFound)?;
    let own_patronato =
        (who.role == Role::Patronato).then(|| who.patronato.clone().unwrap_or_default());
    let mandates = mandates_of(tx, &cf_str, own_patronato.as_deref(), now)?;
    let applications = tx.applications(&cf_str)?;
    let query = RequestQuery {
        citizen: Some(cf_str.clone()),
        ..RequestQuery::default()
    };
    let at = sla.instant(now);
    let requests = tx
        .list_requests(&scope_of(who), &query)?
        .into_iter()
        .map(|row| {
            let mut summary = access::summary(who, row, sla, &at);
            summary.citizen = cf_str.clone();
            summary
        })
        .collect();
    Ok(Dossier {
        citizen,
        mandates,
        applications,
        requests,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::RequestFilter;
    use crate::demo::{DemoSize, generate};
    use crate::service::core::{App, Core};
    use crate::service::store::sqlite::SqliteStore;

    /// Every queue's count is the number of rows its list returns, for each kind of caller: the
    /// sidebar and the list title can only agree if the service counts what it lists.
    #[tokio::test]
    async fn queue_counts_equal_the_rows_each_queue_lists() {
        let dir = tempfile::tempdir().unwrap();
        let sla = Sla::embedded().unwrap();
        let store = SqliteStore::open(&dir.path().join("db.sqlite3")).unwrap();
        let app = Core::new(store, sla);
        let now = Timestamp::now();
        let data = generate(11, DemoSize::small(), now);
        let callers: Vec<Operator> = [Role::Operator, Role::Admin, Role::Patronato]
            .into_iter()
            .filter_map(|role| data.operators.iter().find(|o| o.role == role).cloned())
            .collect();
        assert!(callers.len() >= 2, "demo has operators and an admin");
        app.import(data).await.unwrap();
        let mut risky = 0;
        for who in &callers {
            for queue in app.queues(who, now).await.unwrap() {
                let mut listed = 0u64;
                let mut cursor = None;
                loop {
                    let filter = RequestFilter {
                        queue: Some(queue.id.clone()),
                        limit: Some(MAX_LIMIT),
                        cursor: cursor.clone(),
                        ..RequestFilter::default()
                    };
                    let page = app.list_requests(who, filter, now).await.unwrap();
                    listed += page.items.len() as u64;
                    match page.next_cursor {
                        Some(next) => cursor = Some(next),
                        None => break,
                    }
                }
                assert_eq!(queue.open, listed, "{} for {:?}", queue.id, who.role);
                risky += queue.at_risk + queue.breached;
            }
        }
        assert!(risky > 0, "the demo data has requests at risk or breached");
    }
}
