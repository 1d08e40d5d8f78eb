//! `combipat calendar`: closing days of an office, business hours between instants, offices.

use color_eyre::eyre::{WrapErr, bail, eyre};
use jiff::Timestamp;
use jiff::civil::DateTime;

use std::ops::RangeInclusive;

use crate::config::Config;
use crate::domain::calendar::{BusinessCalendar, CalendarSpec, SUPPORTED_YEARS};
use crate::domain::registry;
use crate::service::sla::calendars_from_config_for;

#[derive(Debug, clap::Args)]
pub struct CalendarArgs {
    /// Office code (see --list-offices).
    #[arg(long, required_unless_present_any = ["list_offices", "comune"])]
    pub office: Option<String>,
    /// Print the days of this year on which the office is closed although its hours say open.
    #[arg(long, conflicts_with_all = ["from", "to"])]
    pub year: Option<i16>,
    /// Start instant: RFC 3339 (`2026-11-24T08:00:00Z`) or local Europe/Rome (`2026-11-24T09:00`).
    #[arg(long, requires = "to")]
    pub from: Option<String>,
    /// End instant, same formats as --from.
    #[arg(long, requires = "from")]
    pub to: Option<String>,
    /// Print code, name, comune and province of every office.
    #[arg(long, conflicts_with_all = ["office", "year", "from", "to", "comune"])]
    pub list_offices: bool,
    /// Instead of an office, the standard calendar of a comune (its patron day, fixed or movable).
    #[arg(long, conflicts_with = "office")]
    pub comune: Option<String>,
    /// Config file whose `[calendar]` (closures, office hours, patron days) applies; default:
    /// the one of the workstation (`--config` before the subcommand, else the platform dir).
    #[arg(long)]
    pub config: Option<std::path::PathBuf>,
}

pub fn run(ws: super::workstation::WorkstationArgs, args: CalendarArgs) -> color_eyre::Result<()> {
    if args.list_offices {
        for office in registry::offices() {
            let info = office.to_office();
            println!(
                "{}\t{}\t{}\t{}",
                info.code, info.name, info.comune, info.province
            );
        }
        return Ok(());
    }
    let path = args.config.as_deref().or(ws.config.as_deref());
    let config = Config::load(path, ws.profile.as_deref())?;
    // The calendars of the named office (with the configured [calendar]), or of a comune.
    let build = |years: RangeInclusive<i16>| -> color_eyre::Result<BusinessCalendar> {
        if let Some(comune) = &args.comune {
            if registry::comune_by_name(comune).is_none() {
                bail!("unknown comune '{comune}'");
            }
            return Ok(BusinessCalendar::new(
                CalendarSpec::for_comune(comune),
                years,
            )?);
        }
        let office = args
            .office
            .as_deref()
            .ok_or_else(|| eyre!("--office is required"))?;
        let Some(info) = registry::office(office) else {
            bail!("unknown office '{office}' (see --list-offices)");
        };
        let set = calendars_from_config_for(&config.calendar, years)?;
        Ok(set.get(info.code)?.clone())
    };
    match (args.year, &args.from, &args.to) {
        (Some(year), None, None) => {
            if !SUPPORTED_YEARS.contains(&year) {
                bail!("--year {year} is outside 1990–2100");
            }
            for day in build(year..=year)?.closing_days(year)? {
                println!("{}\t{}", day.date, day.reasons_text());
            }
        }
        (None, Some(from), Some(to)) => {
            let from = parse_instant(from).wrap_err("--from")?;
            let to = parse_instant(to).wrap_err("--to")?;
            let years = year_of(from.min(to))..=year_of(from.max(to));
            let secs = build(years)?.business_seconds(from, to)?;
            println!("{}", format_hours(secs));
        }
        _ => bail!("give either --year Y or --from A --to B"),
    }
    Ok(())
}

fn year_of(at: Timestamp) -> i16 {
    at.to_zoned(jiff::tz::TimeZone::UTC).year()
}

/// RFC 3339 with offset, or a civil date-time read in Europe/Rome.
fn parse_instant(text: &str) -> color_eyre::Result<Timestamp> {
    if let Ok(at) = text.parse::<Timestamp>() {
        return Ok(at);
    }
    let civil: DateTime = text
        .parse()
        .map_err(|_| eyre!("'{text}' is neither RFC 3339 nor YYYY-MM-DDTHH:MM"))?;
    Ok(civil.in_tz("Europe/Rome")?.timestamp())
}

/// Business hours with two decimals, e.g. `12.50`.
fn format_hours(secs: i64) -> String {
    let sign = if secs < 0 { "-" } else { "" };
    let secs = secs.unsigned_abs();
    let hundredths = (secs * 100 + 1800) / 3600;
    format!("{sign}{}.{:02}", hundredths / 100, hundredths % 100)
}
