//! `combipat report quality --year Y [--csv]`: yearly quality indicators per patronato
//! (INPS–Patronati protocol §5), computed over the demo dataset until the service serves them.

use color_eyre::eyre::bail;

use crate::domain::calendar::CalendarSet;
use crate::domain::dashboard::csv::quality_csv;
use crate::domain::dashboard::{SlaCalendars, yearly_quality};
use crate::tui::dashboard::fixture::demo_facts;

#[derive(Debug, clap::Subcommand)]
pub enum ReportCommand {
    /// Yearly quality indicators per patronato.
    Quality(QualityArgs),
}

#[derive(Debug, clap::Args)]
pub struct QualityArgs {
    /// Calendar year of filing (Europe/Rome).
    #[arg(long)]
    pub year: i16,
    /// CSV instead of an aligned table.
    #[arg(long)]
    pub csv: bool,
    /// Seed of the demo dataset.
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
}

pub fn run(cmd: ReportCommand) -> color_eyre::Result<()> {
    let ReportCommand::Quality(args) = cmd;
    if !crate::domain::calendar::SUPPORTED_YEARS.contains(&args.year) {
        bail!("--year: {} is outside the supported years", args.year);
    }
    let (facts, policy) = demo_facts(args.seed, jiff::Timestamp::now())?;
    let calendars = CalendarSet::from_registry(CalendarSet::years_around(args.year), |_, _| {})?;
    let clock = SlaCalendars {
        calendars: &calendars,
        business_day_hours: policy.business_day_hours,
    };
    let figures = yearly_quality(&facts, &clock, args.year);
    let csv = quality_csv(args.year, &figures);
    if args.csv {
        print!("{csv}");
        return Ok(());
    }
    for line in csv.lines() {
        let cells: Vec<&str> = line.split(',').collect();
        let row: Vec<String> = cells.iter().map(|c| format!("{c:>12}")).collect();
        println!("{}", row.join(" "));
    }
    Ok(())
}
