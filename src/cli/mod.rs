//! Command-line edge: argument parsing and dispatch. Errors become `color_eyre` reports here.

use clap::{Parser, Subcommand};

pub mod admin;
pub mod admin_store;
pub mod agenda;
pub mod bench;
pub mod calendar;
pub mod dashboard;
pub mod demo;
pub mod report;
pub mod seed_progress;
pub mod serve;
pub mod workstation;

/// COMBIPAT workstation for the INPS back office.
///
/// With no subcommand, starts the workstation. With no server configured, it runs the
/// central service in-process on a local SQLite file with demo data.
#[derive(Debug, Parser)]
#[command(name = "combipat", version, about, long_about = None)]
pub struct Cli {
    #[command(flatten)]
    pub workstation: workstation::WorkstationArgs,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the central service (REST + server-sent events).
    Serve(serve::ServeArgs),
    /// Synthetic data: seed a data dir, simulate patronato traffic.
    #[command(subcommand)]
    Demo(demo::DemoCommand),
    /// Business calendar of an office: closing days, business hours between instants.
    Calendar(calendar::CalendarArgs),
    /// Agenda appuntamenti: an office's day, or an iCalendar feed (`--ics`).
    Agenda(agenda::AgendaArgs),
    /// Offices, operators and tokens.
    #[command(subcommand)]
    Admin(admin::AdminCommand),
    /// The audit log: verify its hash chain.
    #[command(subcommand)]
    Audit(admin_store::AuditCommand),
    /// Supervisor dashboard (cruscotto).
    Dashboard(dashboard::DashboardArgs),
    /// Reports.
    #[command(subcommand)]
    Report(report::ReportCommand),
    /// Benchmarks that print figures.
    #[command(subcommand)]
    Bench(bench::BenchCommand),
}

/// Runs the parsed command line.
pub fn run(cli: Cli) -> color_eyre::Result<()> {
    match cli.command {
        None => workstation::run(cli.workstation),
        Some(Command::Serve(args)) => serve::run(args),
        Some(Command::Demo(cmd)) => demo::run(cmd),
        Some(Command::Calendar(args)) => calendar::run(cli.workstation, args),
        Some(Command::Agenda(args)) => agenda::run(cli.workstation, args),
        Some(Command::Admin(cmd)) => admin::run(cmd),
        Some(Command::Audit(cmd)) => runtime()?.block_on(admin_store::audit(cmd)),
        Some(Command::Dashboard(args)) => dashboard::run(cli.workstation, args),
        Some(Command::Report(cmd)) => report::run(cli.workstation, cmd),
        Some(Command::Bench(cmd)) => bench::run(cmd),
    }
}

/// A multi-threaded tokio runtime for the async commands.
pub fn runtime() -> color_eyre::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?)
}
