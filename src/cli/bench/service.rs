//! `combipat bench service`: what the service's read endpoints cost over a generated dataset,
//! each next to a baseline measured in the same run (this machine's speed moves by the hour):
//!
//! - `/v1/queues`, national (admin) and for the demo supervisor's scope, served from the
//!   maintained counters, against the list of the breached queue (`limit=1`), which still
//!   evaluates every open request's clocks as every call did before the counters;
//! - `/v1/dashboard`, the first computation, the figure shared by the sessions of a scope, and
//!   a recomputation after a write, against the per-call path it replaced (every request in
//!   scope read from the store, its history parsed, the figures computed);
//! - `GET /v1/requests?limit=50` at 1, 8 and 64 concurrent clients, against `GET /v1/me`
//!   at the same concurrency (an authenticated HTTP round trip alone).

use std::sync::Arc;
use std::time::{Duration, Instant};

use color_eyre::eyre::eyre;

use super::percentile;
use crate::domain::roles::Role;
use crate::service::core::aggregates;

#[derive(Debug, clap::Args)]
pub struct ServiceBenchArgs {
    /// Requests in the generated dataset.
    #[arg(long, default_value_t = 100_000)]
    pub requests: usize,
    /// Calls per measured figure.
    #[arg(long, default_value_t = 20)]
    pub rounds: usize,
    /// Seconds each list concurrency level runs.
    #[arg(long, default_value_t = 3)]
    pub seconds: u64,
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

pub fn run(args: ServiceBenchArgs) -> color_eyre::Result<()> {
    if args.requests == 0 || args.rounds == 0 {
        color_eyre::eyre::bail!("--requests and --rounds must be positive");
    }
    super::super::runtime()?.block_on(async move {
        let (running, dir, credentials) = super::seeded_service(args.requests).await?;
        let token = |role: Role| {
            credentials
                .token(role)
                .map(str::to_string)
                .ok_or_else(|| eyre!("no demo {role:?} token"))
        };
        let http = reqwest::Client::builder().build()?;
        let base = running.base_url();
        let get = |path: String, token: String| {
            let (http, url) = (http.clone(), format!("{base}{path}"));
            async move {
                let started = Instant::now();
                let response = http.get(url).bearer_auth(token).send().await?;
                let status = response.status();
                let body = response.bytes().await?;
                if !status.is_success() {
                    return Err(eyre!("{status}: {}", String::from_utf8_lossy(&body)));
                }
                Ok::<_, color_eyre::Report>(started.elapsed())
            }
        };
        let times = |path: &'static str, token: String, rounds: usize| {
            let get = &get;
            async move {
                let mut samples = Vec::with_capacity(rounds);
                for _ in 0..rounds {
                    samples.push(get(path.to_string(), token.clone()).await?);
                }
                Ok::<_, color_eyre::Report>(samples)
            }
        };
        let single = |what: &str, took: Duration| println!("{what:<58} {:>8.2} ms", ms(took));
        let line = |what: &str, samples: &[Duration]| {
            println!(
                "{what:<58} p50 {:>8.2} ms  p99 {:>8.2} ms",
                ms(percentile(samples, 50.0)),
                ms(percentile(samples, 99.0))
            );
        };

        println!("\n/v1/queues (maintained counters) vs the breached list (every clock evaluated)");
        for (label, role) in [("national", Role::Admin), ("supervisor", Role::Supervisor)] {
            let first = get("/v1/queues".into(), token(role)?).await?;
            single(&format!("queues {label}, first call (counters built)"), first);
            let queues = times("/v1/queues", token(role)?, args.rounds).await?;
            line(&format!("queues {label}"), &queues);
            let scan = times(
                "/v1/requests?queue=breached&limit=1",
                token(role)?,
                args.rounds.min(5),
            )
            .await?;
            line(&format!("baseline: breached list {label}"), &scan);
            println!(
                "{:<58} {:>8.1}x",
                format!("ratio baseline / queues {label} (p50)"),
                ms(percentile(&scan, 50.0)) / ms(percentile(&queues, 50.0)).max(1e-6)
            );
        }

        println!("\n/v1/dashboard (prepared rows summed on every core, shared per scope) vs the per-call path");
        let app = running.store();
        let sla = running.sla();
        for (label, role) in [("national", Role::Admin), ("supervisor", Role::Supervisor)] {
            let first = get("/v1/dashboard".into(), token(role)?).await?;
            single(&format!("dashboard {label}, first computation"), first);
            let shared = times("/v1/dashboard", token(role)?, args.rounds).await?;
            line(&format!("dashboard {label}, shared by the scope's sessions"), &shared);
            let who = app
                .authenticate(&token(role)?)
                .await?
                .ok_or_else(|| eyre!("demo token does not authenticate"))?;
            let mut baseline = Vec::new();
            for _ in 0..3 {
                let started = Instant::now();
                let rows = app.requests_for_dashboard(&who).await?;
                let sla = Arc::clone(&sla);
                tokio::task::spawn_blocking(move || {
                    let facts: Vec<_> = rows
                        .iter()
                        .map(|row| aggregates::facts_of(row, sla.policy()))
                        .collect();
                    aggregates::dashboard_of(&facts, &sla, jiff::Timestamp::now())
                })
                .await?;
                baseline.push(started.elapsed());
            }
            line(&format!("baseline: per-call path {label}"), &baseline);
            println!(
                "{:<58} {:>8.1}x",
                format!("ratio baseline / first computation {label}"),
                ms(percentile(&baseline, 50.0)) / ms(first).max(1e-6)
            );
        }
        // A write, then a call, each round: what a recomputation costs while figures change
        // (a single call is at the mercy of whatever the machine did just before).
        let operator = token(Role::Operator)?;
        let listed: serde_json::Value = http
            .get(format!("{base}/v1/requests?limit=1"))
            .bearer_auth(&operator)
            .send()
            .await?
            .json()
            .await?;
        let id = listed["items"][0]["id"]
            .as_str()
            .ok_or_else(|| eyre!("the operator's list is empty: nothing to write to"))?
            .to_string();
        let mut after_writes = Vec::with_capacity(args.rounds);
        for round in 0..args.rounds {
            let tagged = http
                .post(format!("{base}/v1/requests/{id}/actions"))
                .bearer_auth(&operator)
                .json(&serde_json::json!({"action": "tag", "tag": format!("bench{round}")}))
                .send()
                .await?;
            if !tagged.status().is_success() {
                return Err(eyre!("the write before a recomputation failed: {}", tagged.status()));
            }
            after_writes.push(get("/v1/dashboard".into(), token(Role::Admin)?).await?);
        }
        line("dashboard national, recomputed after a write", &after_writes);

        println!("\nGET /v1/requests?limit=50 vs GET /v1/me (authenticated round trip), concurrent clients");
        let operator = token(Role::Operator)?;
        for clients in [1usize, 8, 64] {
            let list = concurrent(&get, "/v1/requests?limit=50", &operator, clients, args.seconds)
                .await?;
            let me = concurrent(&get, "/v1/me", &operator, clients, args.seconds).await?;
            let rate = |samples: &[Duration]| samples.len() as f64 / args.seconds as f64;
            println!(
                "list at {clients:>2} clients: {:>7.0} req/s  p50 {:>6.2} ms  p99 {:>6.2} ms | \
                 baseline /v1/me: {:>7.0} req/s  p50 {:>6.2} ms  p99 {:>6.2} ms | ratio p99 {:.1}x",
                rate(&list),
                ms(percentile(&list, 50.0)),
                ms(percentile(&list, 99.0)),
                rate(&me),
                ms(percentile(&me, 50.0)),
                ms(percentile(&me, 99.0)),
                ms(percentile(&list, 99.0)) / ms(percentile(&me, 99.0)).max(1e-6)
            );
        }
        running.shutdown().await?;
        let _ = std::fs::remove_dir_all(&dir);
        Ok(())
    })
}

/// Latencies of `clients` loops calling `path` for `seconds`.
async fn concurrent<F, Fut>(
    get: &F,
    path: &str,
    token: &str,
    clients: usize,
    seconds: u64,
) -> color_eyre::Result<Vec<Duration>>
where
    F: Fn(String, String) -> Fut,
    Fut: std::future::Future<Output = color_eyre::Result<Duration>>,
{
    let until = Instant::now() + Duration::from_secs(seconds);
    let loops = (0..clients).map(|_| async {
        let mut samples = Vec::new();
        while Instant::now() < until {
            samples.push(get(path.to_string(), token.to_string()).await?);
        }
        Ok::<_, color_eyre::Report>(samples)
    });
    let mut all = Vec::new();
    for samples in futures::future::try_join_all(loops).await? {
        all.extend(samples);
    }
    Ok(all)
}
