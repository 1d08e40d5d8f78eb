//! Seeding a data dir for demos: import a dataset, create one token per role, write the
//! credentials file.
//!
//! `serve --demo` seeds `demo::generate(seed, DemoSize::full(), now)`; [`starter_dataset`] is a
//! small hand-written dataset (3 offices, 8 citizens, 60 requests) kept for tests that rely on
//! its fixed citizens.

use std::path::Path;
use std::sync::Arc;

use jiff::{Timestamp, ToSpan};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::ServiceError;
use super::core::{App, ImportProgress, RequestSource};
use super::demo_credentials::{self, Credential, DemoCredentials};
use crate::demo::Dataset;
use crate::domain::codice_fiscale::CodiceFiscale;
use crate::domain::mandate::{Citizen, Mandate};
use crate::domain::office::Office;
use crate::domain::request::{
    ActorRef, HistoryEntry, MessageKind, Outcome, Priority, Request, RequestId, Status,
    ThreadEntry, Topic, Transition,
};
use crate::domain::roles::{Operator, Role};

/// What a seed imports: a whole dataset, or a generated one whose requests come one by one.
pub enum SeedData {
    Whole(Dataset),
    Streamed {
        head: Dataset,
        requests: RequestSource,
    },
}

impl SeedData {
    /// `demo::generate(seed, size, now)`, its requests streamed into the import.
    pub fn generated(seed: u64, size: crate::demo::DemoSize, now: Timestamp) -> Self {
        let (head, requests) = crate::demo::generate_streamed(seed, size, now);
        let total = requests.total();
        SeedData::Streamed {
            head,
            requests: RequestSource {
                requests: Box::new(requests),
                total,
            },
        }
    }

    /// The offices, staff, citizens… (and, for a whole dataset, its requests).
    pub fn head(&self) -> &Dataset {
        match self {
            SeedData::Whole(data) | SeedData::Streamed { head: data, .. } => data,
        }
    }

    /// How many requests the seed writes.
    pub fn requests(&self) -> usize {
        match self {
            SeedData::Whole(data) => data.requests.len(),
            SeedData::Streamed { head, requests } => head.requests.len() + requests.total,
        }
    }
}

/// Told how a seed is going (the CLI draws a progress bar on a terminal); does nothing by default.
pub trait SeedObserver: Send + Sync + std::fmt::Debug {
    /// The dataset (offices, staff, citizens, the filing plan) is being generated.
    fn generating(&self) {}
    /// The requests are being written: `done` of `total` so far.
    fn writing(&self, _done: usize, _total: usize) {}
    /// Every request is written: committing, tokens, agenda.
    fn finishing(&self) {}
    /// The seed is over (done or failed).
    fn done(&self) {}
}

/// A [`SeedObserver`] that tells nobody.
#[derive(Debug)]
pub struct Quiet;

impl SeedObserver for Quiet {}

/// Imports `dataset` into an empty store, issues one token per role (creating users for the
/// roles the dataset lacks) and writes `DIR/demo-credentials.toml`.
pub async fn seed_store(
    store: &dyn App,
    data_dir: &Path,
    dataset: Dataset,
) -> Result<DemoCredentials, ServiceError> {
    seed_store_with(store, data_dir, SeedData::Whole(dataset), Arc::new(Quiet)).await
}

/// [`seed_store`] of `data`, telling `observer` how it goes.
pub async fn seed_store_with(
    store: &dyn App,
    data_dir: &Path,
    data: SeedData,
    observer: Arc<dyn SeedObserver>,
) -> Result<DemoCredentials, ServiceError> {
    if !store.is_empty().await? {
        return Err(ServiceError::NotEmpty(data_dir.to_path_buf()));
    }
    let dataset = data.head();
    let first_office = dataset.offices.first().map(|o| o.code.clone());
    let first_patronato = dataset
        .requests
        .first()
        .map(|r| r.patronato.clone())
        .unwrap_or_else(|| "INCA".into());
    let mut users: Vec<Operator> = Vec::new();
    for role in Role::ALL {
        if let Some(existing) = dataset.operators.iter().find(|o| o.role == role) {
            users.push(existing.clone());
        }
    }
    let extra: Vec<Operator> = Role::ALL
        .into_iter()
        .filter(|role| !users.iter().any(|u| u.role == *role))
        .map(|role| Operator {
            username: format!("demo.{}", role.code()),
            full_name: format!("Demo {}", role.code()),
            role,
            office: matches!(role, Role::Operator | Role::Supervisor)
                .then(|| first_office.clone())
                .flatten(),
            region: None,
            patronato: (role == Role::Patronato).then(|| first_patronato.clone()),
        })
        .collect();
    let total = data.requests();
    observer.writing(0, total);
    match data {
        SeedData::Whole(dataset) => store.import(dataset).await?,
        SeedData::Streamed { head, requests } => {
            let watcher = Arc::clone(&observer);
            let progress: ImportProgress = Arc::new(move |done| watcher.writing(done, total));
            store.import_streamed(head, requests, progress).await?
        }
    }
    observer.finishing();
    for op in &extra {
        store.create_operator(op.clone()).await?;
    }
    users.extend(extra);
    let mut credentials = DemoCredentials::default();
    for user in users {
        let issued = store.issue_token(&user.username, "demo").await?;
        credentials.credential.push(Credential {
            role: user.role,
            username: user.username,
            office: user.office,
            patronato: user.patronato,
            token: issued.token,
        });
    }
    demo_credentials::save(data_dir, &credentials)?;
    Ok(credentials)
}

/// Books the demo agenda ([`crate::demo::agenda::plan`]) for the next two weeks of every
/// office, through the core's rules, as the office's operators among `staff`: some slots full,
/// some bookings cancelled, a few today. Returns how many appointments were booked.
pub async fn seed_agenda(
    store: &dyn App,
    staff: &[Operator],
    now: Timestamp,
) -> Result<usize, ServiceError> {
    use super::core::agenda::AgendaCommand;
    use super::core::{WriteCommand, WriteContext};
    use crate::api::{CancelAppointment, NewAppointment, RequestFilter, SlotQuery};
    let Some(admin) = staff.iter().find(|o| o.role == Role::Admin) else {
        return Ok(0);
    };
    let from =
        crate::domain::agenda::rome_date(now).map_err(|e| ServiceError::Server(e.to_string()))?;
    let to = from.saturating_add(13.days());
    let mut offices: Vec<&str> = staff.iter().filter_map(|o| o.office.as_deref()).collect();
    offices.sort_unstable();
    offices.dedup();
    let mut booked = 0;
    for office in offices {
        let operators: Vec<&Operator> = staff
            .iter()
            .filter(|o| o.role == Role::Operator && o.office.as_deref() == Some(office))
            .collect();
        let names: Vec<String> = operators.iter().map(|o| o.username.clone()).collect();
        let filter = RequestFilter {
            office: Some(office.to_string()),
            limit: Some(200),
            ..RequestFilter::default()
        };
        let mut ids: Vec<RequestId> = store
            .list_requests(admin, filter, now)
            .await?
            .items
            .into_iter()
            .filter(|r| r.status.is_open())
            .map(|r| r.id)
            .collect();
        ids.sort();
        let query = SlotQuery {
            from: from.to_string(),
            to: Some(to.to_string()),
        };
        // An office without a calendar has no agenda.
        let Ok(slots) = store.slots(admin, office, query).await else {
            continue;
        };
        for booking in crate::demo::agenda::plan(&ids, &names, &slots, now) {
            let Some(principal) = operators.iter().find(|o| o.username == booking.operator) else {
                continue;
            };
            let ctx = WriteContext {
                principal: (*principal).clone(),
                remote_addr: None,
                now,
                idempotency: None,
            };
            let book = AgendaCommand::Book {
                id: booking.request.clone(),
                if_match: None,
                body: NewAppointment {
                    start: booking.start,
                    channel: booking.channel,
                },
            };
            // A request the plan picked may have moved on meanwhile: it simply gets none.
            let Ok(result) = store.write(ctx.clone(), WriteCommand::Agenda(book)).await else {
                continue;
            };
            booked += 1;
            let id = result.body["appointments"]
                .as_array()
                .and_then(|all| all.iter().rev().find(|a| a["state"] == "booked"))
                .and_then(|a| a["id"].as_i64());
            if booking.cancel
                && let Some(appointment) = id
            {
                let cancel = AgendaCommand::Cancel {
                    id: booking.request.clone(),
                    appointment,
                    if_match: None,
                    body: CancelAppointment {
                        reason: Some("Rinuncia dell'assistito".into()),
                    },
                };
                store.write(ctx, WriteCommand::Agenda(cancel)).await?;
            }
        }
    }
    Ok(booked)
}

/// Seeds `data_dir` (which must hold no data yet) with `dataset`; for `combipat demo seed`.
pub async fn seed_demo(data_dir: &Path, dataset: Dataset) -> Result<DemoCredentials, ServiceError> {
    seed_demo_on(data_dir, None, dataset).await
}

/// Seeds `data_dir` (which must hold no data yet) with `data` and the demo agenda
/// ([`seed_agenda`]) booked from `now`; for `combipat demo seed`.
pub async fn seed_demo_with_agenda(
    data_dir: &Path,
    data: SeedData,
    now: Timestamp,
    observer: Arc<dyn SeedObserver>,
) -> Result<(DemoCredentials, usize), ServiceError> {
    let store = super::open_database(data_dir, None, super::Sla::embedded()?).await?;
    let staff = data.head().operators.clone();
    let credentials = seed_store_with(store.as_ref(), data_dir, data, observer).await?;
    let booked = seed_agenda(store.as_ref(), &staff, now).await?;
    Ok((credentials, booked))
}

/// [`seed_demo`] into the store a `database` setting names (see [`super::open_database`]).
pub async fn seed_demo_on(
    data_dir: &Path,
    database: Option<&str>,
    dataset: Dataset,
) -> Result<DemoCredentials, ServiceError> {
    let store = super::open_database(data_dir, database, super::Sla::embedded()?).await?;
    seed_store(store.as_ref(), data_dir, dataset).await
}

const CITIZENS: &[(&str, &str, &str, &str)] = &[
    ("RSSMRA85T10A562S", "Rossi", "Mario", "San Giuliano Terme"),
    ("BNCGNN70A41H501V", "Bianchi", "Giovanna", "Roma"),
    ("VRDLCU60C15F205X", "Verdi", "Luca", "Milano"),
    ("FRRGLI92E55L219O", "Ferrari", "Giulia", "Torino"),
    ("ESPSRA88M12F839Z", "Esposito", "Sara", "Napoli"),
    ("CLMNDR75D22G273C", "Colombo", "Andrea", "Palermo"),
    ("MRNLRA99H60D612W", "Marini", "Laura", "Firenze"),
    ("GLLPLA55B03A944E", "Galli", "Paolo", "Bologna"),
];

const SUBJECTS: &[(Topic, &str, &str)] = &[
    (
        Topic::Pensioni,
        "Ricostituzione pensione di vecchiaia",
        "Si chiede lo stato della domanda di ricostituzione contributiva presentata dall'assistito.",
    ),
    (
        Topic::AmmortizzatoriSociali,
        "NASpI: sollecito pagamento",
        "L'assistito non ha ricevuto il pagamento della NASpI del mese scorso. Si chiede verifica.",
    ),
    (
        Topic::InvaliditaCivile,
        "Invalidità civile: esito visita",
        "Si chiede l'esito della visita medico-legale e i tempi di liquidazione.",
    ),
    (
        Topic::AssegnoUnico,
        "Assegno unico: maggiorazione non riconosciuta",
        "La maggiorazione per figli con disabilità non risulta riconosciuta. Si allega certificazione.",
    ),
    (
        Topic::Contributi,
        "Estratto conto contributivo incompleto",
        "Nell'estratto conto mancano i periodi 2012-2014 da lavoro dipendente.",
    ),
];

fn operator(username: &str, name: &str, role: Role, office: Option<&str>) -> Operator {
    Operator {
        username: username.into(),
        full_name: name.into(),
        role,
        office: office.map(String::from),
        region: None,
        patronato: None,
    }
}

/// A small deterministic dataset: 3 offices, 8 citizens with mandates (one expired, one
/// revoked), 2 patronato clients and 60 requests over the last 30 days.
pub fn starter_dataset(seed: u64, now: Timestamp) -> Dataset {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let office = |code: &str, name: &str, comune: &str, province: &str, region: &str| Office {
        code: code.into(),
        name: name.into(),
        comune: comune.into(),
        province: province.into(),
        region: region.into(),
    };
    let offices = vec![
        office("RM01", "Sede provinciale di Roma", "Roma", "RM", "Lazio"),
        office(
            "MI01",
            "Sede provinciale di Milano",
            "Milano",
            "MI",
            "Lombardia",
        ),
        office(
            "NA01",
            "Sede provinciale di Napoli",
            "Napoli",
            "NA",
            "Campania",
        ),
    ];
    let mut supervisor = operator("s.ferri", "Silvia Ferri", Role::Supervisor, Some("RM01"));
    supervisor.region = Some("Lazio".into());
    let mut operators = vec![
        operator("m.rossi", "Marco Rossi", Role::Operator, Some("RM01")),
        operator("g.bianchi", "Giada Bianchi", Role::Operator, Some("RM01")),
        operator("l.verdi", "Luigi Verdi", Role::Operator, Some("MI01")),
        operator("a.russo", "Anna Russo", Role::Operator, Some("NA01")),
        supervisor,
        operator("c.conti", "Carla Conti", Role::Auditor, None),
        operator("admin", "Amministratore", Role::Admin, None),
    ];
    for (username, patronato) in [("inca.client", "INCA"), ("acli.client", "ACLI")] {
        let mut client = operator(username, patronato, Role::Patronato, None);
        client.patronato = Some(patronato.into());
        operators.push(client);
    }
    let today = now.to_zoned(jiff::tz::TimeZone::UTC).date();
    let mut citizens = Vec::new();
    let mut mandates = Vec::new();
    for (i, (cf, surname, name, place)) in CITIZENS.iter().enumerate() {
        let Ok(codice_fiscale) = CodiceFiscale::parse(cf) else {
            continue;
        };
        citizens.push(Citizen {
            codice_fiscale: codice_fiscale.clone(),
            surname: (*surname).into(),
            name: (*name).into(),
            birth_date: jiff::civil::date(1960 + i as i16 * 4, 1 + i as i8, 10),
            birth_place: (*place).into(),
            residence: (*place).into(),
        });
        let start = today.saturating_sub(400.days());
        mandates.push(Mandate {
            id: mandates.len() as u64 + 1,
            citizen: codice_fiscale.clone(),
            patronato: "INCA".into(),
            valid_from: start,
            // The last citizen's INCA mandate has expired.
            valid_until: (i == CITIZENS.len() - 1).then(|| today.saturating_sub(10.days())),
            revoked_at: None,
        });
        mandates.push(Mandate {
            id: mandates.len() as u64 + 1,
            citizen: codice_fiscale,
            patronato: "ACLI".into(),
            valid_from: start,
            valid_until: None,
            // The first citizen revoked the ACLI mandate.
            revoked_at: (i == 0).then(|| now.saturating_sub(5.days()).unwrap_or(now)),
        });
    }
    let inps_ops = ["m.rossi", "l.verdi", "a.russo"];
    let mut requests = Vec::new();
    let count = 60;
    for n in 0..count {
        let office_index = n % offices.len();
        let office_code = offices[office_index].code.clone();
        let (topic, subject, body) = SUBJECTS[rng.random_range(0..SUBJECTS.len())];
        let (cf, _, _, _) = CITIZENS[rng.random_range(0..CITIZENS.len() - 1)];
        let Ok(citizen) = CodiceFiscale::parse(cf) else {
            continue;
        };
        let patronato = if rng.random_bool(0.7) { "INCA" } else { "ACLI" };
        let minutes_ago = (count - n) as i64 * 30 * 24 * 60 / count as i64;
        let created_at = now.saturating_sub(minutes_ago.minutes()).unwrap_or(now);
        let author = ActorRef {
            id: format!("{}.client", patronato.to_lowercase()),
            name: patronato.into(),
            role: Role::Patronato,
        };
        let staff = ActorRef {
            id: inps_ops[office_index].into(),
            name: inps_ops[office_index].into(),
            role: Role::Operator,
        };
        let mut request = Request {
            id: RequestId::new(
                created_at.to_zoned(jiff::tz::TimeZone::UTC).year(),
                n as u32 + 1,
            ),
            patronato: patronato.into(),
            office: office_code,
            topic,
            citizen,
            application_protocol: None,
            subject: subject.into(),
            priority: if rng.random_bool(0.15) {
                Priority::Urgente
            } else {
                Priority::Normale
            },
            status: Status::Nuova,
            assignee: None,
            tags: vec![],
            outcome: None,
            created_at,
            updated_at: created_at,
            version: 1,
            thread: vec![ThreadEntry {
                seq: 1,
                at: created_at,
                author,
                kind: MessageKind::PatronatoMessage,
                body: body.into(),
            }],
            history: vec![],
        };
        let later = created_at.saturating_add(2.hours()).unwrap_or(created_at);
        let steps: &[Transition] = match rng.random_range(0..4) {
            0 => &[],
            1 => &[Transition::Take],
            2 => &[Transition::Take, Transition::Reply],
            _ => &[Transition::Take, Transition::Reply, Transition::Close],
        };
        for &transition in steps {
            let Ok(to) = request.status.apply(transition) else {
                break;
            };
            request.history.push(HistoryEntry {
                at: later,
                actor: staff.clone(),
                transition,
                from: request.status,
                to,
                detail: None,
            });
            request.status = to;
            request.version += 1;
            request.updated_at = later;
            match transition {
                Transition::Take => request.assignee = Some(staff.id.clone()),
                Transition::Reply => request.thread.push(ThreadEntry {
                    seq: request.thread.len() as u32 + 1,
                    at: later,
                    author: staff.clone(),
                    kind: MessageKind::Reply,
                    body: "Gentile patronato, la pratica è stata verificata.".into(),
                }),
                Transition::Close => request.outcome = Some(Outcome::Evasa),
                _ => {}
            }
        }
        requests.push(request);
    }
    Dataset {
        offices,
        operators,
        citizens,
        mandates,
        applications: vec![],
        requests,
    }
}
