//! `combipat bench sla`: how fast the service reads the SLA clocks of many open requests at one
//! instant, on the path the service runs ([`Sla::views`] over prepared clocks, and
//! [`Sla::risk_at`] for queue counts), against the segment walk measured in the same run.

use std::hint::black_box;
use std::time::Instant;

use color_eyre::eyre::bail;
use jiff::{Timestamp, ToSpan};

use crate::domain::registry;
use crate::domain::request::{Priority, Status, Topic, Transition};
use crate::domain::sla::{Clock, ClockChange, SlaEvent, SlaState, on_transition, replay_standing};
use crate::service::Sla;

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
    let build = Instant::now();
    // The service's own setup: embedded policy, registry calendars.
    let sla = Sla::embedded()?;
    let build_time = build.elapsed();
    let policy = sla.policy();
    let offices = registry::offices();
    // Deterministic spread of requests over the last 40 days, some forwarded, some paused.
    let mut requests: Vec<Vec<Clock>> = Vec::with_capacity(args.requests);
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
        let mut clocks = on_transition(&[], &change(SlaEvent::Filed, filed, office), policy);
        let later = filed.checked_add(90.minutes())?.min(now);
        if n % 3 == 0 {
            let other = offices[(n + 1) % offices.len()].code;
            let event = SlaEvent::Transition {
                transition: Transition::Forward,
                from: Status::Nuova,
                to: Status::Trasferita,
            };
            clocks = on_transition(&clocks, &change(event, later, other), policy);
        } else if n % 7 == 0 {
            let event = SlaEvent::Transition {
                transition: Transition::RequestIntegration,
                from: Status::InLavorazione,
                to: Status::InAttesaIntegrazione,
            };
            clocks = on_transition(&clocks, &change(event, later, office), policy);
        }
        // As `Sla::after_event_in` does after every transition.
        sla.prepare(&mut clocks);
        requests.push(clocks);
    }
    let clock_count: usize = requests.iter().map(Vec::len).sum();
    let evaluations = (args.requests * args.rounds) as f64;
    let calendars = sla.calendars();

    // Baseline: the segment walk (countdown + threshold instants) the service ran before.
    let start = Instant::now();
    let mut walk_breached = 0usize;
    for _ in 0..args.rounds {
        for clocks in &requests {
            for clock in black_box(clocks) {
                let (c, _) = replay_standing(clock, black_box(now), calendars)?;
                walk_breached += usize::from(c.state == SlaState::Breached);
            }
        }
    }
    let walk = start.elapsed().as_nanos() as f64;

    // The service's read path for a request (detail, list rows): `Sla::views`.
    let start = Instant::now();
    let mut views_breached = 0usize;
    for _ in 0..args.rounds {
        for clocks in &requests {
            let views = sla.views(black_box(clocks), black_box(now));
            views_breached += views
                .iter()
                .filter(|v| v.state == SlaState::Breached)
                .count();
        }
    }
    let views = start.elapsed().as_nanos() as f64;

    // The service's queue counts: `Sla::risk_at` with one shared instant per pass.
    let start = Instant::now();
    let mut risk_breached = 0usize;
    for _ in 0..args.rounds {
        let at = sla.instant(black_box(now));
        for clocks in &requests {
            let (_, breached) = sla.risk_at(Status::InLavorazione, black_box(clocks), &at);
            risk_breached += usize::from(breached);
        }
    }
    let risk = start.elapsed().as_nanos() as f64;

    // Both paths must agree on every clock, or the figures mean nothing.
    let mismatches = requests
        .iter()
        .flatten()
        .filter(|clock| {
            let slow = replay_standing(clock, now, calendars);
            let fast = crate::domain::sla::standing(clock, now, calendars);
            slow != fast
        })
        .count();
    if mismatches > 0 || views_breached != walk_breached {
        bail!("the prepared path differs from the segment walk on {mismatches} clocks");
    }
    let breached_requests = requests
        .iter()
        .filter(|clocks| {
            clocks.iter().any(|c| {
                replay_standing(c, now, calendars).is_ok_and(|(c, _)| c.state == SlaState::Breached)
            })
        })
        .count();
    if risk_breached != breached_requests * args.rounds {
        bail!("risk counts differ from the segment walk");
    }

    let per_request = |ns: f64| ns / evaluations;
    println!(
        "calendars built: {} offices in {:.1} ms",
        offices.len(),
        build_time.as_secs_f64() * 1e3
    );
    println!(
        "requests: {}  clocks: {}  rounds: {}",
        args.requests, clock_count, args.rounds
    );
    println!(
        "service path, Sla::views (detail, list rows):  {:.1} ns per request",
        per_request(views)
    );
    println!(
        "service path, Sla::risk_at (queue counts):     {:.1} ns per request",
        per_request(risk)
    );
    println!(
        "baseline, segment walk (same run):             {:.1} ns per request",
        per_request(walk)
    );
    println!(
        "ratio baseline / service: views {:.1}x, risk_at {:.1}x",
        walk / views,
        walk / risk
    );
    println!("breached clock evaluations: {walk_breached} (identical on every path)");
    Ok(())
}
