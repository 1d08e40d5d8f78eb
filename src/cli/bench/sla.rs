//! `combipat bench sla`: countdown of many open requests at one instant.

use std::hint::black_box;
use std::time::Instant;

use color_eyre::eyre::bail;
use jiff::{Timestamp, ToSpan};

use crate::domain::calendar::CalendarSet;
use crate::domain::registry;
use crate::domain::request::{Priority, Status, Topic, Transition};
use crate::domain::sla::{
    ClockChange, Policy, PreparedClock, SlaEvent, SlaInstant, SlaState, countdown, on_transition,
};

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
    let evaluations = (clocks.len() * args.rounds) as f64;
    let requests = (args.requests * args.rounds) as f64;

    // The straightforward replay of every segment, as the service does for one request.
    let start = Instant::now();
    let mut breached = 0usize;
    for _ in 0..args.rounds {
        for clock in &clocks {
            let c = countdown(black_box(clock), black_box(now), &calendars)?;
            breached += usize::from(c.state == SlaState::Breached);
        }
    }
    let replay = start.elapsed().as_nanos() as f64;

    // Prepared once per transition, then evaluated in a batch at one instant.
    let start = Instant::now();
    let prepared: Vec<PreparedClock> = clocks
        .iter()
        .map(|c| PreparedClock::new(c.clone(), &calendars))
        .collect();
    let prepare = start.elapsed().as_nanos() as f64;
    let start = Instant::now();
    let mut fast_breached = 0usize;
    for _ in 0..args.rounds {
        let at = SlaInstant::new(&calendars, black_box(now));
        for clock in &prepared {
            let c = black_box(clock).countdown_at(&at)?;
            fast_breached += usize::from(c.state == SlaState::Breached);
        }
    }
    let batch = start.elapsed().as_nanos() as f64;
    let at = SlaInstant::new(&calendars, now);
    let mismatches = clocks
        .iter()
        .zip(&prepared)
        .filter(|(c, p)| countdown(c, now, &calendars) != p.countdown_at(&at))
        .count();
    if mismatches > 0 || fast_breached != breached {
        bail!("prepared countdowns differ from the replay on {mismatches} clocks");
    }

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
    println!(
        "replay (countdown):  {:.1} ns per clock, {:.1} ns per request",
        replay / evaluations,
        replay / requests
    );
    println!(
        "prepare (once per transition): {:.1} ns per request",
        prepare / args.requests as f64
    );
    println!(
        "prepared batch (SlaInstant): {:.1} ns per clock, {:.1} ns per request",
        batch / evaluations,
        batch / requests
    );
    println!("breached clock evaluations: {breached} (identical on both paths)");
    Ok(())
}
