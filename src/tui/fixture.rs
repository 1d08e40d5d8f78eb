//! A deterministic request list for snapshots and the TUI benchmark (no service needed).
//!
//! Plain arithmetic over the index: the same `(count, now)` always yields the same rows.

use jiff::{SignedDuration, Timestamp};

use crate::api::RequestSummary;
use crate::domain::registry;
use crate::domain::request::{Priority, RequestId, Status, Topic};

const SURNAMES: &[&str] = &[
    "Rossi", "Bianchi", "Esposito", "Romano", "Colombo", "Ricci", "Marino", "Greco",
];
const NAMES: &[&str] = &[
    "Maria",
    "Giuseppe",
    "Anna",
    "Antonio",
    "Giulia",
    "Francesco",
    "Rosa",
    "Luca",
];
const SUBJECTS: &[&str] = &[
    "Ricostituzione pensione di vecchiaia",
    "NASpI: stato della domanda",
    "Verbale invalidità civile non ricevuto",
    "Assegno unico: importo ridotto",
    "Estratto conto contributivo incompleto",
    "Sollecito liquidazione arretrati",
    "Richiesta appuntamento in sede",
];

/// Business seconds in one office day of the fixture (08–18).
const BUSINESS_DAY: i64 = 10 * 3600;

/// `count` requests filed over the days before `now`, for `office` and its operator `me`.
pub fn requests(count: usize, now: Timestamp, office: &str, me: &str) -> Vec<RequestSummary> {
    let patronati = registry::patronati();
    let offices = registry::offices();
    (0..count)
        .map(|i| {
            let n = i as u64;
            let created_at =
                now - SignedDuration::from_secs(((n * 7919) % (30 * 86_400)) as i64 + 600);
            let status = match n % 9 {
                0..=2 => Status::Nuova,
                3..=4 => Status::InLavorazione,
                5 => Status::InAttesaIntegrazione,
                6 => Status::RispostaInviata,
                7 => Status::Chiusa,
                _ => Status::Riaperta,
            };
            let assignee = match status {
                Status::Nuova => None,
                _ if n.is_multiple_of(2) => Some(me.to_string()),
                _ => Some(format!("op{:02}", n % 40)),
            };
            let office_code = if n.is_multiple_of(5) || offices.is_empty() {
                office.to_string()
            } else {
                offices[(n as usize / 5) % offices.len()].code.to_string()
            };
            let due = created_at + SignedDuration::from_secs(5 * 86_400);
            // A target of 5 business days of 10 hours, spent evenly over the 5 calendar days.
            let target = 5 * BUSINESS_DAY;
            let spent = (now.as_second() - created_at.as_second()) as f64 / (5.0 * 86_400.0);
            let remaining = target - (target as f64 * spent) as i64;
            let topic = Topic::ALL[(n % 5) as usize];
            let surname = SURNAMES[(n % 8) as usize];
            let name = NAMES[((n / 8) % 8) as usize];
            RequestSummary {
                appointment: None,
                id: RequestId::new(2026, (i + 1) as u32),
                patronato: patronati
                    .get(i % patronati.len().max(1))
                    .map(|p| p.code.to_string())
                    .unwrap_or_else(|| "INCA".into()),
                office: office_code.clone(),
                topic,
                citizen: format!(
                    "{}{}{:02}A{:02}H501{}",
                    &surname[..3].to_uppercase(),
                    &name[..3].to_uppercase(),
                    40 + n % 50,
                    1 + n % 28,
                    char::from(b'A' + (n % 26) as u8)
                ),
                citizen_name: Some(format!("{name} {surname}")),
                subject: SUBJECTS[(n % SUBJECTS.len() as u64) as usize].to_string(),
                priority: if n.is_multiple_of(11) {
                    Priority::Urgente
                } else {
                    Priority::Normale
                },
                status,
                assignee,
                tags: if n.is_multiple_of(13) {
                    vec!["arretrati".into()]
                } else {
                    vec![]
                },
                created_at,
                updated_at: created_at,
                version: 1,
                clocks: vec![crate::api::ClockView {
                    kind: crate::domain::sla::ClockKind::Resolution,
                    state: match spent {
                        s if s >= 1.0 => crate::domain::sla::SlaState::Breached,
                        s if s >= 0.9 => crate::domain::sla::SlaState::Critical,
                        s if s >= 0.75 => crate::domain::sla::SlaState::Warning,
                        _ => crate::domain::sla::SlaState::Ok,
                    },
                    due_at: Some(due),
                    remaining_secs: remaining,
                    percent_used: (spent * 100.0).clamp(0.0, 999.0) as u32,
                    crossings: Some(crate::domain::sla::Crossings {
                        warning: due - SignedDuration::from_hours(24),
                        critical: due - SignedDuration::from_hours(4),
                        breach: due,
                    }),
                    basis: crate::api::ClockBasis {
                        measure: crate::domain::calendar::Measure::Days {
                            units: BUSINESS_DAY,
                        },
                        target,
                        offices: smallvec::smallvec![office_code.as_str().into()],
                        paused: false,
                    },
                }],
            }
        })
        .collect()
}

/// Four weeks of RM01-style slots from `now`'s day on the registry calendar of `office`, with
/// a deterministic pattern of taken places (some slots full), for snapshots of the slot picker.
pub fn slots(office: &str, now: Timestamp) -> crate::api::Slots {
    use crate::domain::agenda::{self, SlotRules};
    let comune = registry::office(office).map_or("Roma", |o| o.comune);
    let spec = crate::domain::calendar::CalendarSpec::for_comune(comune);
    let rules = SlotRules::default();
    let from = agenda::rome_date(now).unwrap_or_default();
    let to = from.checked_add(jiff::Span::new().days(27)).unwrap_or(from);
    let all = crate::api::Slots::from_calendar(office, &spec, &rules, from, to, &[])
        .map(|s| s.days)
        .unwrap_or_default();
    let mut booked = Vec::new();
    for (n, slot) in all.iter().flat_map(|d| d.slots.iter()).enumerate() {
        // Every third slot half taken, every fifth full.
        let taken = if n % 5 == 2 {
            2
        } else {
            usize::from(n % 3 == 0)
        };
        booked.extend(std::iter::repeat_n(slot.start, taken));
    }
    crate::api::Slots::from_calendar(office, &spec, &rules, from, to, &booked).unwrap_or(
        crate::api::Slots {
            office: office.to_string(),
            slot_minutes: rules.slot_minutes,
            capacity: rules.capacity,
            channels: rules.channels,
            days: Vec::new(),
        },
    )
}
