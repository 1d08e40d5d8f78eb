//! The deterministic generator behind [`generate`]. One ChaCha stream drives every choice, in a
//! fixed order over vectors (never hash-map order), so (seed, size, now) fixes the whole dataset.

use jiff::civil::{Date, Weekday};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Span, Timestamp};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::collections::BTreeSet;
use std::ops::Range;

use super::{Dataset, DemoSize, names, texts};
use crate::domain::codice_fiscale::{CodiceFiscale, Sex};
use crate::domain::mandate::{Application, Citizen, Mandate, MandateState};
use crate::domain::registry::{self, OfficeInfo, Patronato};
use crate::domain::request::{
    ActorRef, HistoryEntry, MessageKind, Outcome, Priority, Request, RequestId, Status,
    ThreadEntry, Topic, Transition,
};
use crate::domain::roles::{Operator, Role};

const HOUR: f64 = 3600.0;
const DAY: i64 = 86_400;
/// Office hours used for synthetic activity (Europe/Rome).
const OFFICE_HOURS: Range<i8> = 8..18;

/// Builds the demo dataset. Deterministic for (seed, size, now); pure (no clock, no I/O).
pub fn generate(seed: u64, size: DemoSize, now: Timestamp) -> Dataset {
    let (mut dataset, requests) = generate_streamed(seed, size, now);
    dataset.requests = requests.collect();
    dataset
}

/// [`generate`] in two parts: everything but the requests, and the requests one by one, in the
/// same order and with the same content as [`generate`]'s (one random stream drives both). A
/// seed of a million requests then never holds them all in memory.
pub fn generate_streamed(
    seed: u64,
    size: DemoSize,
    now: Timestamp,
) -> (Dataset, GeneratedRequests) {
    let mut generator = Generator::new(seed, size, now);
    generator.staff();
    generator.patronato_clients();
    generator.citizens();
    generator.mandates();
    let specs = generator.specs();
    let head = generator.dataset.clone();
    let requests = GeneratedRequests {
        total: specs.len(),
        specs: specs.into_iter(),
        generator,
        year: 0,
        number: 0,
    };
    (head, requests)
}

/// The requests of a generated dataset, simulated one at a time in filing order.
pub struct GeneratedRequests {
    generator: Generator,
    specs: std::vec::IntoIter<Spec>,
    total: usize,
    year: i16,
    number: u32,
}

impl GeneratedRequests {
    /// How many requests the whole stream yields.
    pub fn total(&self) -> usize {
        self.total
    }
}

impl Iterator for GeneratedRequests {
    type Item = Request;

    fn next(&mut self) -> Option<Request> {
        let spec = self.specs.next()?;
        let filed_year = self.generator.date_of(spec.created).year();
        if filed_year != self.year {
            self.year = filed_year;
            self.number = 0;
        }
        self.number += 1;
        Some(
            self.generator
                .simulate(RequestId::new(self.year, self.number), spec),
        )
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.specs.size_hint()
    }
}

struct Spec {
    created: Timestamp,
    citizen: usize,
    patronato: usize,
    topic: Topic,
    priority: Priority,
    protocol: Option<String>,
}

struct Sim {
    status: Status,
    assignee: Option<String>,
    office: usize,
    at: Timestamp,
    thread: Vec<ThreadEntry>,
    history: Vec<HistoryEntry>,
    tags: Vec<String>,
    outcome: Option<Outcome>,
}

impl Sim {
    /// Applies one legal transition at `at`; `None` once `at` is past `now` (the story stops there)
    /// or if the transition is illegal (then the history stays legal by construction).
    fn act(
        &mut self,
        now: Timestamp,
        at: Timestamp,
        actor: &ActorRef,
        transition: Transition,
        detail: Option<String>,
        message: Option<(MessageKind, String)>,
    ) -> Option<()> {
        if at > now {
            return None;
        }
        let to = self.status.apply(transition).ok()?;
        self.history.push(HistoryEntry {
            at,
            actor: actor.clone(),
            transition,
            from: self.status,
            to,
            detail,
        });
        if let Some((kind, body)) = message {
            self.thread.push(ThreadEntry {
                seq: self.thread.len() as u32 + 1,
                at,
                author: actor.clone(),
                kind,
                body,
            });
        }
        self.status = to;
        self.at = at;
        Some(())
    }
}

struct Generator {
    rng: ChaCha8Rng,
    tz: TimeZone,
    now: Timestamp,
    start: Timestamp,
    size: DemoSize,
    offices: Vec<&'static OfficeInfo>,
    /// Per office: indices into `dataset.operators` of its operators.
    workers: Vec<Vec<usize>>,
    supervisors: Vec<Option<usize>>,
    patronato_actors: Vec<ActorRef>,
    citizen_office: Vec<usize>,
    /// Per mandate (same index): its citizen and patronato indices.
    mandate_parties: Vec<(usize, usize)>,
    citizen_applications: Vec<Vec<usize>>,
    usernames: BTreeSet<String>,
    protocol_seq: u32,
    dataset: Dataset,
}

fn pick<'a, T>(rng: &mut ChaCha8Rng, items: &'a [T]) -> &'a T {
    &items[rng.random_range(0..items.len())]
}

fn weighted<T: Copy>(rng: &mut ChaCha8Rng, items: &[(T, u32)]) -> T {
    let total: u32 = items.iter().map(|&(_, w)| w).sum();
    let mut x = rng.random_range(0..total.max(1));
    for &(item, weight) in items {
        if x < weight {
            return item;
        }
        x -= weight;
    }
    items[items.len() - 1].0
}

fn is_weekend(date: Date) -> bool {
    matches!(date.weekday(), Weekday::Saturday | Weekday::Sunday)
}

fn ascii_lower(text: &str) -> String {
    text.chars()
        .filter_map(|c| {
            let c = match c.to_lowercase().next().unwrap_or(c) {
                'à' | 'á' => 'a',
                'è' | 'é' => 'e',
                'ì' | 'í' => 'i',
                'ò' | 'ó' => 'o',
                'ù' | 'ú' => 'u',
                other => other,
            };
            c.is_ascii_lowercase().then_some(c)
        })
        .collect()
}

fn patronato_weight(p: &Patronato) -> u32 {
    match p.code {
        "INCA" => 20,
        "INAS" => 16,
        "ACLI" => 14,
        "ITAL" => 12,
        "EPACA" => 6,
        "ENASCO" => 5,
        "EPASA" | "INAPA" | "INAC" => 4,
        "ENAPA" => 3,
        "SIAS" | "ENCAL" | "ENASC" | "ANMIL" => 2,
        _ => 1,
    }
}

fn office_weight(o: &OfficeInfo) -> u32 {
    match o.code {
        "RM01" | "MI01" => 30,
        "NA01" => 25,
        "TO01" => 20,
        "RM02" => 15,
        _ => 10,
    }
}

fn actor(op: &Operator) -> ActorRef {
    ActorRef {
        id: op.username.clone(),
        name: op.full_name.clone(),
        role: op.role,
    }
}

impl Generator {
    fn new(seed: u64, size: DemoSize, now: Timestamp) -> Self {
        let all = registry::offices();
        let count = size.offices.clamp(1, all.len());
        let start = now
            .checked_sub(SignedDuration::from_secs(size.days.max(1) * DAY))
            .unwrap_or(now);
        Generator {
            rng: ChaCha8Rng::seed_from_u64(seed),
            tz: TimeZone::get("Europe/Rome").unwrap_or(TimeZone::UTC),
            now,
            start,
            size,
            offices: all[..count].iter().collect(),
            workers: vec![Vec::new(); count],
            supervisors: vec![None; count],
            patronato_actors: Vec::new(),
            citizen_office: Vec::new(),
            mandate_parties: Vec::new(),
            citizen_applications: Vec::new(),
            usernames: BTreeSet::new(),
            protocol_seq: 104_000,
            dataset: Dataset {
                offices: all[..count].iter().map(OfficeInfo::to_office).collect(),
                ..Dataset::default()
            },
        }
    }

    fn chance(&mut self, p: f64) -> bool {
        self.rng.random_bool(p)
    }

    fn date_of(&self, t: Timestamp) -> Date {
        t.to_zoned(self.tz.clone()).date()
    }

    fn start_of_day(&self, date: Date) -> Option<Timestamp> {
        date.to_zoned(self.tz.clone()).ok().map(|z| z.timestamp())
    }

    fn days_before(date: Date, days: i64) -> Option<Date> {
        date.checked_sub(Span::new().days(days)).ok()
    }

    fn days_after(date: Date, days: i64) -> Option<Date> {
        date.checked_add(Span::new().days(days)).ok()
    }

    /// A random instant on `date` within `hours` (Europe/Rome).
    fn instant_on(&mut self, date: Date, hours: Range<i8>) -> Option<Timestamp> {
        let hour = self.rng.random_range(hours);
        let minute = self.rng.random_range(0..60);
        let second = self.rng.random_range(0..60);
        date.at(hour, minute, second, 0)
            .to_zoned(self.tz.clone())
            .ok()
            .map(|z| z.timestamp())
    }

    /// Moves an instant forward to office hours on a weekday if it falls outside them.
    fn snap(&mut self, t: Timestamp) -> Timestamp {
        let zoned = t.to_zoned(self.tz.clone());
        let mut date = zoned.date();
        if OFFICE_HOURS.contains(&zoned.hour()) && !is_weekend(date) {
            return t;
        }
        if zoned.hour() >= OFFICE_HOURS.end {
            match date.tomorrow() {
                Ok(next) => date = next,
                Err(_) => return t,
            }
        }
        while is_weekend(date) {
            match date.tomorrow() {
                Ok(next) => date = next,
                Err(_) => return t,
            }
        }
        self.instant_on(date, 8..10)
            .filter(|&snapped| snapped > t)
            .unwrap_or(t)
    }

    /// Some time after `t`: `hours` is a range in hours, `speed` scales it (urgent work is faster).
    fn later(&mut self, t: Timestamp, hours: Range<f64>, speed: f64) -> Timestamp {
        let secs = self.rng.random_range(hours.start * HOUR..hours.end * HOUR) * speed;
        let moved = t
            .checked_add(SignedDuration::from_secs(secs as i64))
            .unwrap_or(t);
        self.snap(moved)
    }

    fn username(&mut self, name: &str, surname: &str) -> String {
        let base = format!(
            "{}.{}",
            ascii_lower(name).chars().next().unwrap_or('x'),
            ascii_lower(surname)
        );
        let mut candidate = base.clone();
        let mut n = 2;
        while self.usernames.contains(&candidate) {
            candidate = format!("{base}{n}");
            n += 1;
        }
        self.usernames.insert(candidate.clone());
        candidate
    }

    fn person_name(&mut self) -> (String, String, Sex) {
        let sex = if self.chance(0.5) {
            Sex::Female
        } else {
            Sex::Male
        };
        let names = if sex == Sex::Female {
            names::FEMALE_NAMES
        } else {
            names::MALE_NAMES
        };
        let name = pick(&mut self.rng, names).to_string();
        let surname = pick(&mut self.rng, names::SURNAMES).to_string();
        (name, surname, sex)
    }

    fn add_staff(&mut self, role: Role, office: Option<usize>) -> usize {
        let (name, surname, _) = self.person_name();
        let username = self.username(&name, &surname);
        self.dataset.operators.push(Operator {
            username,
            full_name: format!("{name} {surname}"),
            role,
            office: office.map(|i| self.offices[i].code.to_string()),
            region: None,
            patronato: None,
        });
        self.dataset.operators.len() - 1
    }

    /// INPS staff: operators spread over the offices, supervisors for the first offices, one
    /// auditor and one admin with national scope.
    fn staff(&mut self) {
        let offices = self.offices.len();
        let supervisors = self.size.supervisors.min(offices);
        let operators = self.size.staff.saturating_sub(2 + supervisors).max(offices);
        for i in 0..operators {
            let office = i % offices;
            let index = self.add_staff(Role::Operator, Some(office));
            self.workers[office].push(index);
        }
        for office in 0..supervisors {
            let index = self.add_staff(Role::Supervisor, Some(office));
            self.supervisors[office] = Some(index);
        }
        self.add_staff(Role::Auditor, None);
        self.add_staff(Role::Admin, None);
    }

    /// One API client account per patronato.
    fn patronato_clients(&mut self) {
        for p in registry::patronati() {
            let operator = Operator {
                username: format!("pat.{}", p.code.to_ascii_lowercase()),
                full_name: format!("{} (client API)", p.name),
                role: Role::Patronato,
                office: None,
                region: None,
                patronato: Some(p.code.to_string()),
            };
            self.patronato_actors.push(ActorRef {
                id: operator.username.clone(),
                name: p.name.to_string(),
                role: Role::Patronato,
            });
            self.dataset.operators.push(operator);
        }
    }

    fn citizens(&mut self) {
        let today = self.date_of(self.now);
        let office_weights: Vec<(usize, u32)> = self
            .offices
            .iter()
            .enumerate()
            .map(|(i, o)| (i, office_weight(o)))
            .collect();
        let mut taken: BTreeSet<String> = BTreeSet::new();
        for index in 0..self.size.citizens {
            let office = weighted(&mut self.rng, &office_weights);
            let residence = self.offices[office].comune;
            let citizen = loop {
                let (name, surname, sex) = self.person_name();
                let age_days = self.rng.random_range(18 * 365..92 * 365);
                let Some(birth_date) = Self::days_before(today, age_days) else {
                    continue;
                };
                let roll: f64 = self.rng.random();
                let (birth_place, belfiore) = if roll < 0.55 {
                    let c = registry::comune_by_name(residence);
                    (residence, c.map_or("H501", |c| c.belfiore))
                } else if roll < 0.95 {
                    let c = pick(&mut self.rng, registry::comuni());
                    (c.name, c.belfiore)
                } else {
                    let s = pick(&mut self.rng, registry::foreign_states());
                    (s.name, s.belfiore)
                };
                let Ok(mut cf) = CodiceFiscale::compute(&surname, &name, birth_date, sex, belfiore)
                else {
                    continue;
                };
                // Unique people: two citizens never share a base code. A few carry omocodia
                // letters, as if a namesake elsewhere in Italy got the base code first.
                if !taken.insert(cf.as_str().to_string()) {
                    continue;
                }
                if index % 250 == 7 {
                    let level = self.rng.random_range(1..=2);
                    cf = cf.omocodia_variant(level);
                }
                break Citizen {
                    codice_fiscale: cf,
                    surname,
                    name,
                    birth_date,
                    birth_place: birth_place.to_string(),
                    residence: residence.to_string(),
                };
            };
            self.dataset.citizens.push(citizen);
            self.citizen_office.push(office);
            self.citizen_applications.push(Vec::new());
            if self.chance(0.35) {
                let topic = self.topic();
                let filed = self.now;
                self.application(index, topic, filed);
            }
        }
    }

    fn patronato(&mut self, except: Option<usize>) -> usize {
        let weights: Vec<(usize, u32)> = registry::patronati()
            .iter()
            .enumerate()
            .filter(|&(i, _)| Some(i) != except)
            .map(|(i, p)| (i, patronato_weight(p)))
            .collect();
        weighted(&mut self.rng, &weights)
    }

    fn push_mandate(
        &mut self,
        citizen: usize,
        patronato: usize,
        valid_from: Date,
        valid_until: Option<Date>,
        revoked_at: Option<Timestamp>,
    ) {
        let id = self.dataset.mandates.len() as u64 + 1;
        self.mandate_parties.push((citizen, patronato));
        self.dataset.mandates.push(Mandate {
            id,
            citizen: self.dataset.citizens[citizen].codice_fiscale.clone(),
            patronato: registry::patronati()[patronato].code.to_string(),
            valid_from,
            valid_until,
            revoked_at,
        });
    }

    /// Every citizen has a mandate; some were revoked or expired during the window, and some of
    /// those citizens moved to another patronato afterwards.
    fn mandates(&mut self) {
        let today = self.date_of(self.now);
        let window_start = self.date_of(self.start);
        let window_days = self.size.days.max(10);
        for citizen in 0..self.dataset.citizens.len() {
            let patronato = self.patronato(None);
            let back = self.rng.random_range(window_days + 10..1500);
            let Some(valid_from) = Self::days_before(today, back) else {
                continue;
            };
            let roll: f64 = self.rng.random();
            let ended_after = self.rng.random_range(5..window_days - 1);
            let end_date = Self::days_after(window_start, ended_after).unwrap_or(today);
            if roll < 0.08 {
                let revoked = self.instant_on(end_date, OFFICE_HOURS);
                self.push_mandate(citizen, patronato, valid_from, None, revoked);
                if self.chance(0.6) {
                    let next = self.patronato(Some(patronato));
                    let gap = self.rng.random_range(1..10);
                    if let Some(from) = Self::days_after(end_date, gap) {
                        self.push_mandate(citizen, next, from, None, None);
                    }
                }
            } else if roll < 0.15 {
                self.push_mandate(citizen, patronato, valid_from, Some(end_date), None);
                if self.chance(0.5) {
                    let gap = self.rng.random_range(1..15);
                    if let Some(from) = Self::days_after(end_date, gap) {
                        self.push_mandate(citizen, patronato, from, None, None);
                    }
                }
            } else if roll < 0.45 {
                let ahead = self.rng.random_range(30..700);
                let until = Self::days_after(today, ahead);
                self.push_mandate(citizen, patronato, valid_from, until, None);
            } else {
                self.push_mandate(citizen, patronato, valid_from, None, None);
            }
        }
    }

    /// The interval within the demo window when a mandate is active.
    fn active_window(&self, mandate: &Mandate) -> Option<(Timestamp, Timestamp)> {
        let from = self.start_of_day(mandate.valid_from)?.max(self.start);
        let mut until = self.now;
        if let Some(last) = mandate.valid_until {
            until = until.min(self.start_of_day(last.tomorrow().ok()?)?);
        }
        if let Some(revoked) = mandate.revoked_at {
            until = until.min(revoked);
        }
        (until.as_second() - from.as_second() > 3600).then_some((from, until))
    }

    fn filing_time(&mut self, from: Timestamp, until: Timestamp) -> Option<Timestamp> {
        for _ in 0..10 {
            let offset = self
                .rng
                .random_range(0..until.as_second() - from.as_second());
            let t = Timestamp::from_second(from.as_second() + offset).ok()?;
            let zoned = t.to_zoned(self.tz.clone());
            if is_weekend(zoned.date()) && self.chance(0.97) {
                continue;
            }
            let t = if !OFFICE_HOURS.contains(&zoned.hour()) && self.chance(0.9) {
                self.instant_on(zoned.date(), OFFICE_HOURS)?
            } else {
                t
            };
            if t >= from && t < until {
                return Some(t);
            }
        }
        None
    }

    fn topic(&mut self) -> Topic {
        weighted(
            &mut self.rng,
            &[
                (Topic::AmmortizzatoriSociali, 30),
                (Topic::Pensioni, 28),
                (Topic::InvaliditaCivile, 15),
                (Topic::AssegnoUnico, 14),
                (Topic::Contributi, 13),
            ],
        )
    }

    /// Files a domanda for a citizen some time before `before`; returns its index.
    fn application(&mut self, citizen: usize, topic: Topic, before: Timestamp) -> usize {
        let back = self.rng.random_range(5..240);
        let date = self.date_of(before);
        let filed_on = Self::days_before(date, back).unwrap_or(date);
        self.protocol_seq += self.rng.random_range(1..40);
        let office = self.citizen_office[citizen];
        let protocol = format!(
            "INPS.{:04}.{:02}/{:02}/{:04}.{:07}",
            1000 + 100 * office,
            filed_on.day(),
            filed_on.month(),
            filed_on.year(),
            self.protocol_seq
        );
        let benefit = pick(&mut self.rng, texts::benefits(topic)).to_string();
        let state = weighted(&mut self.rng, texts::APPLICATION_STATES).to_string();
        let cf = self.dataset.citizens[citizen].codice_fiscale.to_string();
        self.dataset.applications.push((
            cf,
            Application {
                protocol,
                topic,
                benefit,
                filed_on,
                state,
            },
        ));
        let index = self.dataset.applications.len() - 1;
        self.citizen_applications[citizen].push(index);
        index
    }

    fn spec(&mut self) -> Option<Spec> {
        let mandate = self.rng.random_range(0..self.dataset.mandates.len());
        let m = self.dataset.mandates[mandate].clone();
        let (from, until) = self.active_window(&m)?;
        let created = self.filing_time(from, until)?;
        if m.state(created, self.date_of(created)) != MandateState::Active {
            return None;
        }
        let (citizen, patronato) = self.mandate_parties[mandate];
        let topic = self.topic();
        let priority = if self.chance(0.1) {
            Priority::Urgente
        } else {
            Priority::Normale
        };
        let protocol = if self.chance(0.6) {
            let existing = self.citizen_applications[citizen]
                .iter()
                .copied()
                .find(|&a| {
                    let app = &self.dataset.applications[a].1;
                    app.topic == topic && app.filed_on <= self.date_of(created)
                });
            let index = match existing {
                Some(index) => index,
                None => self.application(citizen, topic, created),
            };
            Some(self.dataset.applications[index].1.protocol.clone())
        } else {
            None
        };
        Some(Spec {
            created,
            citizen,
            patronato,
            topic,
            priority,
            protocol,
        })
    }

    /// What each request is filed as, in filing order (their stories come after, one by one).
    fn specs(&mut self) -> Vec<Spec> {
        if self.dataset.mandates.is_empty() {
            return Vec::new();
        }
        let mut specs = Vec::with_capacity(self.size.requests);
        let mut attempts = 0;
        while specs.len() < self.size.requests && attempts < self.size.requests * 50 {
            attempts += 1;
            if let Some(spec) = self.spec() {
                specs.push(spec);
            }
        }
        specs.sort_by_key(|s| s.created);
        specs
    }

    fn worker(&mut self, office: usize) -> ActorRef {
        let pool = &self.workers[office];
        let index = pool[self.rng.random_range(0..pool.len())];
        actor(&self.dataset.operators[index])
    }

    fn other_office(&mut self, office: usize) -> Option<usize> {
        if self.offices.len() < 2 {
            return None;
        }
        let other = self.rng.random_range(0..self.offices.len() - 1);
        Some(if other >= office { other + 1 } else { other })
    }

    fn first_message(&mut self, spec: &Spec, office: usize) -> String {
        let citizen = &self.dataset.citizens[spec.citizen];
        let template = *pick(&mut self.rng, texts::FIRST_MESSAGES);
        let protocol = spec
            .protocol
            .as_ref()
            .map(|p| format!(" (domanda prot. {p})"))
            .unwrap_or_default();
        template
            .replace(
                "{assistito}",
                &format!("{} {}", citizen.name, citizen.surname),
            )
            .replace("{cf}", citizen.codice_fiscale.as_str())
            .replace("{protocollo}", &protocol)
            .replace("{sede}", self.offices[office].comune)
    }

    fn simulate(&mut self, id: RequestId, spec: Spec) -> Request {
        let office = self.citizen_office[spec.citizen];
        let body = self.first_message(&spec, office);
        let patronato = self.patronato_actors[spec.patronato].clone();
        let mut sim = Sim {
            status: Status::Nuova,
            assignee: None,
            office,
            at: spec.created,
            thread: vec![ThreadEntry {
                seq: 1,
                at: spec.created,
                author: patronato.clone(),
                kind: MessageKind::PatronatoMessage,
                body,
            }],
            history: Vec::new(),
            tags: Vec::new(),
            outcome: None,
        };
        // `None` only means the story reached `now`: what happened so far is the request's state.
        let _ = self.play(&mut sim, &spec, &patronato);
        let subject = pick(&mut self.rng, texts::subjects(spec.topic)).to_string();
        let citizen = self.dataset.citizens[spec.citizen].codice_fiscale.clone();
        Request {
            id,
            patronato: patronato_code(spec.patronato),
            office: self.offices[sim.office].code.to_string(),
            topic: spec.topic,
            citizen,
            application_protocol: spec.protocol,
            subject,
            priority: spec.priority,
            status: sim.status,
            assignee: sim.assignee,
            tags: sim.tags,
            outcome: sim.outcome,
            created_at: spec.created,
            updated_at: sim.at,
            version: 1 + sim.history.len() as u64,
            thread: sim.thread,
            history: sim.history,
        }
    }

    /// Take by an operator of the current office, or assignment by its supervisor.
    fn take(&mut self, sim: &mut Sim, at: Timestamp) -> Option<ActorRef> {
        let operator = self.worker(sim.office);
        let supervisor = self.supervisors[sim.office];
        match supervisor {
            Some(s) if self.chance(0.1) => {
                let by = actor(&self.dataset.operators[s]);
                let detail = Some(operator.id.clone());
                sim.act(self.now, at, &by, Transition::Assign, detail, None)?;
            }
            _ => sim.act(self.now, at, &operator, Transition::Take, None, None)?,
        }
        sim.assignee = Some(operator.id.clone());
        Some(operator)
    }

    fn forward(&mut self, sim: &mut Sim, by: &ActorRef, at: Timestamp) -> Option<()> {
        let target = self.other_office(sim.office)?;
        // `FROM>TO`, as the service records a forward: a replay of the history then counts
        // the time before it on the sending office's calendar.
        let detail = Some(format!(
            "{}>{}",
            self.offices[sim.office].code, self.offices[target].code
        ));
        sim.act(self.now, at, by, Transition::Forward, detail, None)?;
        sim.office = target;
        sim.assignee = None;
        Some(())
    }

    fn close(
        &mut self,
        sim: &mut Sim,
        by: &ActorRef,
        at: Timestamp,
        outcome: Outcome,
    ) -> Option<()> {
        let detail = Some(Outcome::code(outcome).to_string());
        sim.act(self.now, at, by, Transition::Close, detail, None)?;
        sim.outcome = Some(outcome);
        Some(())
    }

    fn reply(&mut self, sim: &mut Sim, by: &ActorRef, at: Timestamp, topic: Topic) -> Option<()> {
        let body = pick(&mut self.rng, texts::replies(topic)).to_string();
        let message = Some((MessageKind::Reply, body));
        sim.act(self.now, at, by, Transition::Reply, None, message)
    }

    fn patronato_message(
        &mut self,
        sim: &mut Sim,
        by: &ActorRef,
        at: Timestamp,
        bodies: &[&str],
    ) -> Option<()> {
        let body = pick(&mut self.rng, bodies).to_string();
        let message = Some((MessageKind::PatronatoMessage, body));
        sim.act(
            self.now,
            at,
            by,
            Transition::PatronatoMessage,
            None,
            message,
        )
    }

    /// The life of one request, stopped wherever it reaches `now`.
    fn play(&mut self, sim: &mut Sim, spec: &Spec, patronato: &ActorRef) -> Option<()> {
        let speed = if spec.priority == Priority::Urgente {
            0.5
        } else {
            1.0
        };
        let now = self.now;
        if self.chance(0.04) {
            let at = self.later(sim.at, 1.0..30.0, speed);
            let by = self.worker(sim.office);
            // With a single office there is nowhere to forward to: just carry on.
            let _ = self.forward(sim, &by, at);
        }
        let wait = if self.chance(0.88) {
            0.5..30.0
        } else {
            48.0..480.0
        };
        let at = self.later(sim.at, wait, speed);
        let mut operator = self.take(sim, at)?;
        if self.chance(0.03) {
            let at = self.later(sim.at, 1.0..20.0, 1.0);
            sim.act(now, at, &operator, Transition::Release, None, None)?;
            sim.assignee = None;
            let at = self.later(sim.at, 1.0..24.0, speed);
            operator = self.take(sim, at)?;
        }
        if self.chance(0.2) {
            let at = self.later(sim.at, 0.2..8.0, 1.0);
            let note = pick(&mut self.rng, texts::INTERNAL_NOTES).to_string();
            let message = Some((MessageKind::InternalNote, note));
            sim.act(now, at, &operator, Transition::InternalNote, None, message)?;
        }
        if self.chance(0.12) {
            let at = self.later(sim.at, 0.2..8.0, 1.0);
            let tag = pick(&mut self.rng, texts::TAGS).to_string();
            sim.act(now, at, &operator, Transition::Tag, Some(tag.clone()), None)?;
            sim.tags.push(tag);
        }
        if self.chance(0.03) {
            let at = self.later(sim.at, 2.0..40.0, speed);
            if self.forward(sim, &operator.clone(), at).is_some() {
                let at = self.later(sim.at, 1.0..30.0, speed);
                operator = self.take(sim, at)?;
            } else if sim.at >= now {
                return None;
            }
        }
        if self.chance(0.22) {
            let at = self.later(sim.at, 2.0..72.0, speed);
            let body = pick(&mut self.rng, texts::INTEGRATION_REQUESTS).to_string();
            let message = Some((MessageKind::IntegrationRequest, body));
            sim.act(
                now,
                at,
                &operator,
                Transition::RequestIntegration,
                None,
                message,
            )?;
            if self.chance(0.85) {
                let at = self.later(sim.at, 24.0..240.0, 1.0);
                self.patronato_message(sim, patronato, at, texts::INTEGRATIONS_SENT)?;
            } else {
                let at = self.later(sim.at, 480.0..720.0, 1.0);
                return self.close(sim, &operator, at, Outcome::IntegrazioneNonPervenuta);
            }
        }
        let at = self.later(sim.at, 4.0..200.0, speed);
        self.reply(sim, &operator, at, spec.topic)?;
        if self.chance(0.14) {
            let at = self.later(sim.at, 24.0..144.0, 1.0);
            self.patronato_message(sim, patronato, at, texts::FOLLOW_UPS)?;
            let at = self.later(sim.at, 4.0..96.0, speed);
            self.reply(sim, &operator, at, spec.topic)?;
        }
        let at = self.later(sim.at, 24.0..240.0, 1.0);
        let outcome = weighted(
            &mut self.rng,
            &[
                (Outcome::Evasa, 84),
                (Outcome::RisoltaInAppuntamento, 6),
                (Outcome::NonDiCompetenza, 4),
                (Outcome::Duplicata, 3),
                (Outcome::Ritirata, 3),
            ],
        );
        self.close(sim, &operator, at, outcome)?;
        if self.chance(0.02) {
            let at = self.later(sim.at, 24.0..200.0, 1.0);
            sim.act(now, at, &operator, Transition::Reopen, None, None)?;
            sim.outcome = None;
            let at = self.later(sim.at, 4.0..72.0, speed);
            self.reply(sim, &operator, at, spec.topic)?;
            let at = self.later(sim.at, 24.0..120.0, 1.0);
            self.close(sim, &operator, at, Outcome::Evasa)?;
        }
        Some(())
    }
}

fn patronato_code(index: usize) -> String {
    registry::patronati()
        .get(index)
        .map(|p| p.code.to_string())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::request::Status;

    fn now() -> Timestamp {
        "2026-11-23T16:00:00Z".parse().unwrap()
    }

    #[test]
    fn same_seed_same_dataset() {
        let a = generate(7, DemoSize::small(), now());
        let b = generate(7, DemoSize::small(), now());
        assert_eq!(a, b);
        let c = generate(8, DemoSize::small(), now());
        assert_ne!(a.requests, c.requests);
    }

    /// The streamed generator (what `demo seed --requests N` imports) yields exactly
    /// [`generate`]'s dataset, so a seed's data depends on (seed, size, now) alone.
    #[test]
    fn streamed_requests_equal_the_whole_dataset() {
        let size = DemoSize::with_requests(1_500);
        let whole = generate(9, size, now());
        let (mut head, requests) = generate_streamed(9, size, now());
        assert_eq!(requests.total(), 1_500);
        head.requests = requests.collect();
        assert_eq!(head, whole);
        assert_eq!(whole.requests.len(), 1_500);
    }

    #[test]
    fn small_sizes() {
        let d = generate(1, DemoSize::small(), now());
        assert_eq!(d.offices.len(), 2);
        assert_eq!(d.citizens.len(), 150);
        assert_eq!(d.requests.len(), 200);
        let staff = d
            .operators
            .iter()
            .filter(|o| o.role != Role::Patronato)
            .count();
        assert_eq!(staff, 8);
        assert_eq!(
            d.operators
                .iter()
                .filter(|o| o.role == Role::Patronato)
                .count(),
            registry::patronati().len()
        );
        for role in Role::ALL {
            assert!(d.operators.iter().any(|o| o.role == role), "{role:?}");
        }
    }

    #[test]
    fn full_sizes_and_mix() {
        let d = generate(42, DemoSize::full(), now());
        assert!(d.offices.len() >= 12);
        let regions: BTreeSet<_> = d.offices.iter().map(|o| o.region.as_str()).collect();
        assert!(regions.len() >= 12);
        assert_eq!(d.citizens.len(), 5_000);
        assert_eq!(d.requests.len(), 20_000);
        let staff = d
            .operators
            .iter()
            .filter(|o| o.role != Role::Patronato)
            .count();
        assert_eq!(staff, 40);
        check_invariants(&d);
        let urgent = d
            .requests
            .iter()
            .filter(|r| r.priority == Priority::Urgente)
            .count();
        assert!((1_500..2_500).contains(&urgent), "{urgent}");
        let count = |t: Topic| d.requests.iter().filter(|r| r.topic == t).count();
        assert!(count(Topic::AmmortizzatoriSociali) > count(Topic::InvaliditaCivile));
        assert!(count(Topic::Pensioni) > count(Topic::Contributi));
        // Old requests are mostly closed, recent ones mostly open.
        let month_ago = now()
            .checked_sub(SignedDuration::from_hours(24 * 30))
            .unwrap();
        let week_ago = now()
            .checked_sub(SignedDuration::from_hours(24 * 3))
            .unwrap();
        let share_closed = |old: bool| {
            let set: Vec<_> = d
                .requests
                .iter()
                .filter(|r| {
                    if old {
                        r.created_at < month_ago
                    } else {
                        r.created_at > week_ago
                    }
                })
                .collect();
            set.iter().filter(|r| r.status == Status::Chiusa).count() as f64 / set.len() as f64
        };
        assert!(share_closed(true) > 0.8, "{}", share_closed(true));
        assert!(share_closed(false) < 0.2, "{}", share_closed(false));
        for status in Status::ALL {
            assert!(d.requests.iter().any(|r| r.status == status), "{status:?}");
        }
        assert!(d.citizens.iter().any(|c| c.codice_fiscale.is_omocode()));
        assert!(d.mandates.iter().any(|m| m.revoked_at.is_some()));
        assert!(d.mandates.iter().any(|m| {
            m.valid_until
                .is_some_and(|u| u < jiff::civil::date(2026, 11, 23))
        }));
        let patronati: BTreeSet<_> = d.requests.iter().map(|r| r.patronato.as_str()).collect();
        assert_eq!(patronati.len(), registry::patronati().len());
    }

    #[test]
    fn small_invariants() {
        check_invariants(&generate(3, DemoSize::small(), now()));
    }

    fn check_invariants(d: &Dataset) {
        let tz = TimeZone::get("Europe/Rome").unwrap();
        let start = now()
            .checked_sub(SignedDuration::from_hours(24 * 90))
            .unwrap();
        let usernames: BTreeSet<_> = d.operators.iter().map(|o| o.username.as_str()).collect();
        assert_eq!(usernames.len(), d.operators.len());
        let codes: BTreeSet<_> = d
            .citizens
            .iter()
            .map(|c| c.codice_fiscale.normalised())
            .collect();
        assert_eq!(codes.len(), d.citizens.len());
        for c in &d.citizens {
            let cf = CodiceFiscale::parse(c.codice_fiscale.as_str()).unwrap();
            assert_eq!(cf.birth_date(2026), c.birth_date);
            assert_eq!(
                registry::birthplace_name(&cf.birthplace_code()),
                Some(c.birth_place.as_str())
            );
        }
        let mut mandates: std::collections::BTreeMap<(&str, &str), Vec<&Mandate>> =
            Default::default();
        for m in &d.mandates {
            mandates
                .entry((m.citizen.as_str(), m.patronato.as_str()))
                .or_default()
                .push(m);
        }
        let protocols: BTreeSet<(&str, &str)> = d
            .applications
            .iter()
            .map(|(cf, a)| (cf.as_str(), a.protocol.as_str()))
            .collect();
        let mut ids = BTreeSet::new();
        for r in &d.requests {
            assert!(ids.insert(r.id.clone()));
            assert!(r.created_at >= start && r.created_at <= now());
            assert!(r.updated_at <= now() && r.updated_at >= r.created_at);
            // Filed under a mandate with this patronato active at filing time.
            let filed_on = r.created_at.to_zoned(tz.clone()).date();
            let held = &mandates[&(r.citizen.as_str(), r.patronato.as_str())];
            assert!(
                held.iter()
                    .any(|m| m.state(r.created_at, filed_on) == MandateState::Active)
            );
            // Every history is a legal walk of the status machine ending in the current status.
            let mut status = Status::Nuova;
            let mut last = r.created_at;
            for h in &r.history {
                assert_eq!(h.from, status);
                assert_eq!(status.apply(h.transition), Ok(h.to));
                assert!(h.at >= last);
                last = h.at;
                status = h.to;
            }
            assert_eq!(status, r.status);
            assert_eq!(r.outcome.is_some(), r.status == Status::Chiusa, "{}", r.id);
            if let Some(assignee) = &r.assignee {
                let op = d
                    .operators
                    .iter()
                    .find(|o| &o.username == assignee)
                    .unwrap();
                assert_eq!(op.office.as_deref(), Some(r.office.as_str()), "{}", r.id);
            }
            assert_eq!(r.thread[0].kind, MessageKind::PatronatoMessage);
            if let Some(p) = &r.application_protocol {
                assert!(protocols.contains(&(r.citizen.as_str(), p.as_str())));
            }
        }
    }
}
