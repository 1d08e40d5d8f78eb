//! `combipat bench sla`: countdown of many open requests at one instant.

use std::hint::black_box;
use std::time::Instant;

use color_eyre::eyre::bail;
use jiff::{Timestamp, ToSpan};

use crate::domain::calendar::CalendarSet;
use crate::domain::registry;
use crate::domain::request::{Priority, Status, Topic, Transition};
use crate::domain::sla::{ClockChange, Policy, SlaEvent, SlaState, countdown, on_transition};

#[derive(Debug, clap::Args)]
pub struct SlaBenchArgs {
    /// Number of open requests.
    #[arg(long, default_value_t = 100_000)]
    pub requests: usize,
    /// Passes over all requests (the figure is the mean).
    #[arg(long, default_value_t = 5)]
    pub rounds: usize,
}

pub fn run(args: SlaBenchArgs) -> color_eyre::Result<()> {
    if args.requests == 0 || args.rounds == 0 {
        bail!("--requests and --rounds must be positive");
    }
    let now: Timestamp = "2026-11-23T10:30:00Z".parse()?;
    let policy = Policy::embedded()?;
    let build = Instant::now();
    let calendars = CalendarSet::from_registry(CalendarSet::years_around(2026), |_, _| {})?;
    let build_time = build.elapsed();
    let offices = registry::offices();
    // Deterministic spread of requests over the last 40 days, some forwarded, some paused.
    let mut clocks = Vec::with_capacity(args.requests * 3);
    for n in 0..args.requests {
        let office = offices[n % offices.len()].code;
        let filed = now.checked_sub(((n * 7919) % (40 * 24 * 60)) as i64 * 60.seconds())?;
        let change = |event, at, office| ClockChange {
            event,
            at,
            office,
            topic: Topic::ALL[n % Topic::ALL.len()],
            priority: Priority::ALL[n % 2],
        };
        let mut request = on_transition(&[], &change(SlaEvent::Filed, filed, office), &policy);
        let later = filed.checked_add(90.minutes())?.min(now);
        if n % 3 == 0 {
            let other = offices[(n + 1) % offices.len()].code;
            let event = SlaEvent::Transition {
                transition: Transition::Forward,
                from: Status::Nuova,
                to: Status::Trasferita,
            };
            request = on_transition(&request, &change(event, later, other), &policy);
        } else if n % 7 == 0 {
            let event = SlaEvent::Transition {
                transition: Transition::RequestIntegration,
                from: Status::InLavorazione,
                to: Status::InAttesaIntegrazione,
            };
            request = on_transition(&request, &change(event, later, office), &policy);
        }
        clocks.extend(request);
    }
    let start = Instant::now();
    let mut breached = 0usize;
    for _ in 0..args.rounds {
        for clock in &clocks {
            let c = countdown(black_box(clock), black_box(now), &calendars)?;
            breached += usize::from(c.state == SlaState::Breached);
        }
    }
    let elapsed = start.elapsed();
    let evaluations = clocks.len() * args.rounds;
    let per_clock = elapsed.as_nanos() as f64 / evaluations as f64;
    let per_request = elapsed.as_nanos() as f64 / (args.requests * args.rounds) as f64;
    println!(
        "calendars built: {} offices in {:.1} ms",
        offices.len(),
        build_time.as_secs_f64() * 1e3
    );
    println!(
        "requests: {}  clocks: {}  rounds: {}",
        args.requests,
        clocks.len(),
        args.rounds
    );
    println!("ns per clock: {per_clock:.1}");
    println!("ns per request: {per_request:.1} (all clocks of a request)");
    println!("breached clock evaluations: {breached}");
    Ok(())
}
