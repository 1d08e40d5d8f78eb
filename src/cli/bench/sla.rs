//! `combipat bench sla`: how fast the service reads the SLA clocks of many open requests at one
//! instant, on the paths the service runs over prepared clocks ([`Sla::views_at`] for list rows
//! and exports, [`Sla::views`] for one request's detail, [`Sla::risk_at`] for queue counts),
//! against the segment walk measured in the same run.

use std::hint::black_box;
use std::time::Instant;

use color_eyre::eyre::bail;
use jiff::{Timestamp, ToSpan};

use crate::domain::registry;
use crate::domain::request::{Priority, Status, Topic, Transition};
use crate::domain::sla::{
    Clock, ClockChange, Countdown, Crossings, SlaEvent, SlaState, on_transition, replay_standing,
};
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
    let prepared = requests
        .iter()
        .flatten()
        .filter(|c| c.prepared.is_some())
        .count();
    let evaluations = (args.requests * args.rounds) as f64;
    let calendars = sla.calendars();
    // The stores keep clocks as JSON and parse a row's clocks right before reading them, so the
    // service evaluates clocks that are hot in cache: parse a chunk (untimed), then time the
    // evaluation of that chunk, as the service does row by row.
    let stored: Vec<String> = requests
        .iter()
        .map(serde_json::to_string)
        .collect::<Result<_, _>>()?;
    // What reading a row costs before any of the paths below: parsing its clocks' JSON.
    let parse_started = Instant::now();
    for _ in 0..args.rounds {
        for json in &stored {
            black_box(serde_json::from_str::<Vec<Clock>>(black_box(json))?);
        }
    }
    let parse = parse_started.elapsed().as_nanos() as f64;
    // Baseline: the segment walk (countdown + threshold instants) the service ran before.
    let (walk, walk_breached) = timed(&stored, args.rounds, |requests: &[Vec<Clock>]| {
        breached_clocks(requests, |clock| {
            replay_standing(clock, black_box(now), calendars)
        })
    });

    // The service's countdown of a request's clocks (inside every view): `sla::standing`.
    let (standing, standing_breached) = timed(&stored, args.rounds, |requests: &[Vec<Clock>]| {
        breached_clocks(requests, |clock| {
            crate::domain::sla::standing(clock, black_box(now), calendars)
        })
    });

    // The countdown alone at one shared instant, what `Sla::views_at` builds each view from:
    // the difference between the two is the cost of the API structs.
    let (standing_shared, standing_shared_breached) =
        timed(&stored, args.rounds, |requests: &[Vec<Clock>]| {
            let at = sla.instant(black_box(now));
            breached_clocks(requests, |clock| {
                crate::domain::sla::standing_at(clock, &at)
            })
        });

    // The service's read path for one request (the detail): `Sla::views`.
    let (views, views_breached) = timed(&stored, args.rounds, |requests: &[Vec<Clock>]| {
        requests
            .iter()
            .map(|clocks| {
                sla.views(clocks, black_box(now))
                    .iter()
                    .filter(|v| v.state == SlaState::Breached)
                    .count()
            })
            .sum()
    });

    // The service's read path for list rows and exports: `Sla::views_at`, one instant a page.
    let (list, list_breached) = timed(&stored, args.rounds, |requests: &[Vec<Clock>]| {
        let at = sla.instant(black_box(now));
        requests
            .iter()
            .map(|clocks| {
                sla.views_at(clocks, &at)
                    .iter()
                    .filter(|v| v.state == SlaState::Breached)
                    .count()
            })
            .sum()
    });

    // Queue counts and at-risk filters: `Sla::risk_at` with one shared instant.
    let (risk, risk_breached) = timed(&stored, args.rounds, |requests: &[Vec<Clock>]| {
        let at = sla.instant(black_box(now));
        requests
            .iter()
            .filter(|clocks| sla.risk_at(Status::InLavorazione, clocks, &at).1)
            .count()
    });

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
    if mismatches > 0
        || views_breached != walk_breached
        || list_breached != walk_breached
        || standing_breached != walk_breached
        || standing_shared_breached != walk_breached
    {
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
        "requests: {}  clocks: {} ({} prepared)  rounds: {}",
        args.requests, clock_count, prepared, args.rounds
    );
    println!(
        "service path, sla::standing (countdown + thresholds): {:.1} ns per request",
        per_request(standing)
    );
    println!(
        "service path, sla::standing_at (one shared instant):  {:.1} ns per request",
        per_request(standing_shared)
    );
    println!(
        "service path, Sla::risk_at (queue counts, filters):    {:.1} ns per request",
        per_request(risk)
    );
    println!(
        "service path, Sla::views_at (list rows, exports):      {:.1} ns per request",
        per_request(list)
    );
    println!(
        "service path, Sla::views (one request's detail):       {:.1} ns per request",
        per_request(views)
    );
    println!(
        "for scale, a row's clocks parsed from stored JSON:    {:.1} ns per request",
        per_request(parse)
    );
    println!(
        "baseline, segment walk (same run):                     {:.1} ns per request",
        per_request(walk)
    );
    println!(
        "ratio baseline / service: standing {:.1}x, risk_at {:.1}x, views_at {:.1}x, views {:.1}x",
        walk / standing,
        walk / risk,
        walk / list,
        walk / views
    );
    println!("breached clock evaluations: {walk_breached} (identical on every path)");
    Ok(())
}

/// How many of the requests' clocks `standing` finds breached (a failed evaluation counts as
/// not breached, and then differs from the segment walk's count).
fn breached_clocks<E>(
    requests: &[Vec<Clock>],
    standing: impl Fn(&Clock) -> Result<(Countdown, Option<Crossings>), E>,
) -> usize {
    requests
        .iter()
        .flatten()
        .filter(|clock| standing(clock).is_ok_and(|(c, _)| c.state == SlaState::Breached))
        .count()
}

/// Requests parsed and evaluated together: small enough to stay in cache, as one row does.
const CHUNK: usize = 256;

/// Total nanoseconds `evaluate` takes over `rounds` passes of `stored`, chunk by chunk, and the
/// sum of what it counted. Parsing a chunk is not timed.
fn timed(
    stored: &[String],
    rounds: usize,
    mut evaluate: impl FnMut(&[Vec<Clock>]) -> usize,
) -> (f64, usize) {
    let mut total = std::time::Duration::ZERO;
    let mut count = 0usize;
    for _ in 0..rounds {
        for chunk in stored.chunks(CHUNK) {
            let parsed: Vec<Vec<Clock>> = chunk
                .iter()
                .filter_map(|json| serde_json::from_str(json).ok())
                .collect();
            let start = Instant::now();
            count += evaluate(black_box(&parsed));
            total += start.elapsed();
        }
    }
    (total.as_nanos() as f64, count)
}
