//! `combipat agenda`: an office's day (or an operator's), and iCalendar (RFC 5545) feeds.
//!
//! `combipat agenda --office RM01 --day 2026-12-03` prints the day's slots in Rome time with the
//! places left and who comes when; `--ics` writes the appointments of `--from..--to` (default:
//! the next 30 days) for `--office` or `--operator` as an iCalendar file (stdout or `--output`),
//! built with the `icalendar` crate. Like the workstation it runs on the embedded demo service,
//! or on `--server URL --token T`.

use std::path::PathBuf;

use color_eyre::eyre::{WrapErr, bail, eyre};
use icalendar::{Calendar, Component, EventLike, EventStatus};
use jiff::Timestamp;
use jiff::civil::Date;

use super::workstation::{Traffic, WorkstationArgs, connect_as, init_file_log, settings};
use crate::api::{Appointment, AppointmentList, AppointmentQuery, SlotQuery, Slots};
use crate::domain::agenda::{self, AppointmentState, Channel};
use crate::domain::roles::Role;
use crate::domain::sanitize::inline;
use crate::i18n::{Lang, t, tf};

#[derive(Debug, clap::Args)]
pub struct AgendaArgs {
    /// Office code (default: the logged-in operator's office).
    #[arg(long)]
    pub office: Option<String>,
    /// Only the appointments this operator booked (a personal feed with `--ics`).
    #[arg(long)]
    pub operator: Option<String>,
    /// The day to print, `YYYY-MM-DD` in Rome (default: today).
    #[arg(long, conflicts_with_all = ["from", "to"])]
    pub day: Option<String>,
    /// First day of an `--ics` feed (default: today).
    #[arg(long, requires = "ics")]
    pub from: Option<String>,
    /// Last day of an `--ics` feed (default: 30 days after `--from`).
    #[arg(long, requires = "ics")]
    pub to: Option<String>,
    /// Write an iCalendar (RFC 5545) feed instead of printing the day.
    #[arg(long)]
    pub ics: bool,
    /// File for the feed (default: stdout).
    #[arg(long, requires = "ics", value_name = "FILE")]
    pub output: Option<PathBuf>,
}

fn parse_day(flag: &str, text: &str) -> color_eyre::Result<Date> {
    text.trim()
        .parse()
        .map_err(|_| eyre!("--{flag}: {text:?} is not a date YYYY-MM-DD"))
}

pub fn run(ws: WorkstationArgs, args: AgendaArgs) -> color_eyre::Result<()> {
    let settings = settings(&ws)?;
    let lang = settings.lang;
    let today = agenda::rome_date(Timestamp::now()).map_err(|e| eyre!(e.to_string()))?;
    let day = match &args.day {
        Some(text) => parse_day("day", text)?,
        None => today,
    };
    let from = match &args.from {
        Some(text) => parse_day("from", text)?,
        None => day,
    };
    let to = match &args.to {
        Some(text) => parse_day("to", text)?,
        None => from.checked_add(jiff::Span::new().days(30))?,
    };
    init_file_log(&settings.data_dir, lang)?;
    let runtime = super::runtime()?;
    let session = runtime.block_on(connect_as(&settings, Role::Supervisor, Traffic::None))?;
    let office = args.office.clone().or_else(|| {
        // A personal feed spans every office the caller sees.
        args.operator
            .is_none()
            .then(|| session.me.office.clone())
            .flatten()
    });
    let result = runtime.block_on(async {
        let client = &session.client;
        if args.ics {
            let list = client
                .appointments(&AppointmentQuery {
                    from: from.to_string(),
                    to: Some(to.to_string()),
                    office: office.clone(),
                    operator: args.operator.clone(),
                    include_cancelled: true,
                })
                .await
                .wrap_err("GET /v1/appointments")?;
            let name = match (&args.operator, &office) {
                (Some(op), _) => format!("COMBIPAT · {op}"),
                (None, Some(office)) => format!("COMBIPAT · {office}"),
                (None, None) => "COMBIPAT".to_string(),
            };
            Ok::<String, color_eyre::Report>(ics(&name, &list.items, lang, Timestamp::now()))
        } else {
            let Some(office) = office.clone() else {
                bail!("--office: which office's day? (e.g. --office RM01)");
            };
            let slots = client
                .slots(
                    &office,
                    &SlotQuery {
                        from: day.to_string(),
                        to: None,
                    },
                )
                .await
                .wrap_err_with(|| format!("GET /v1/offices/{office}/slots"))?;
            let list = client
                .appointments(&AppointmentQuery {
                    from: day.to_string(),
                    to: None,
                    office: Some(office.clone()),
                    operator: args.operator.clone(),
                    include_cancelled: true,
                })
                .await
                .wrap_err("GET /v1/appointments")?;
            Ok(day_text(&slots, &list, lang))
        }
    });
    runtime.block_on(session.close());
    let text = result?;
    match &args.output {
        Some(path) => {
            std::fs::write(path, text).wrap_err_with(|| format!("--output {}", path.display()))?
        }
        None => print!("{text}"),
    }
    Ok(())
}

fn channel_label(lang: Lang, channel: Channel) -> &'static str {
    t(lang, &format!("mode.{}", channel.code()))
}

/// The day as text: each slot with its places, and the appointments in it.
pub fn day_text(slots: &Slots, list: &AppointmentList, lang: Lang) -> String {
    let mut out = String::new();
    let Some(day) = slots.days.first() else {
        return out;
    };
    let label = day
        .date
        .parse::<Date>()
        .map(|d| crate::tui::agenda::day_label(lang, d))
        .unwrap_or_else(|_| day.date.clone());
    out.push_str(&tf(
        lang,
        "agenda.cli.header",
        &[("office", &inline(&slots.office, 8)), ("day", &label)],
    ));
    out.push('\n');
    if !day.closed.is_empty() {
        out.push_str(&tf(
            lang,
            "agenda.closed",
            &[("reasons", &day.closed.join("; "))],
        ));
        out.push('\n');
    } else if day.slots.is_empty() {
        out.push_str(t(lang, "agenda.cli.no_hours"));
        out.push('\n');
    }
    for slot in &day.slots {
        out.push_str(&format!(
            "{}–{}  {}\n",
            slot.time,
            agenda::rome_hhmm(slot.end),
            tf(
                lang,
                "agenda.cli.free",
                &[
                    ("free", &slot.remaining.to_string()),
                    ("capacity", &slot.capacity.to_string())
                ]
            )
        ));
        for a in list.items.iter().filter(|a| a.at == slot.start) {
            let request = a.request_id.as_ref().map_or("", |r| r.as_str());
            let mut line = format!(
                "      {:<9} {request} {} {} {}",
                channel_label(lang, a.mode),
                inline(&a.patronato, 10),
                a.citizen,
                inline(&a.booked_by, 20)
            );
            if a.state == AppointmentState::Cancelled {
                line.push_str(&format!(" ({})", t(lang, "agenda.cli.cancelled")));
            }
            out.push_str(line.trim_end());
            out.push('\n');
        }
    }
    out
}

fn utc(at: Timestamp) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp(at.as_second(), at.subsec_nanosecond().max(0) as u32)
        .unwrap_or_default()
}

/// The appointments as an iCalendar (RFC 5545) calendar named `name`.
pub fn ics(name: &str, items: &[Appointment], lang: Lang, now: Timestamp) -> String {
    let mut calendar = Calendar::new();
    calendar.name(name).timezone("Europe/Rome");
    for a in items {
        let request = a.request_id.as_ref().map_or("", |r| r.as_str());
        let mut event = icalendar::Event::new();
        event
            .uid(&format!("appointment-{}@combipat", a.id))
            .timestamp(utc(now))
            .sequence(a.version.saturating_sub(1) as u32)
            .starts(utc(a.at))
            .ends(utc(a.ends_at.unwrap_or(a.at)))
            .summary(&format!(
                "{} · {request} · {}",
                channel_label(lang, a.mode),
                inline(&a.patronato, 20)
            ))
            .description(&format!(
                "{request} · {} · {} · {}",
                inline(&a.office, 8),
                a.citizen,
                inline(&a.booked_by, 40)
            ))
            .status(if a.state == AppointmentState::Cancelled {
                EventStatus::Cancelled
            } else {
                EventStatus::Confirmed
            });
        let place = match a.mode {
            Channel::InSede => a.contact.address.as_deref(),
            Channel::Telefono => a.contact.phone.as_deref(),
            Channel::Video => a.contact.video_url.as_deref(),
        };
        if let Some(place) = place {
            event.location(&inline(place, 200));
        }
        calendar.push(event.done());
    }
    calendar.done().to_string()
}
