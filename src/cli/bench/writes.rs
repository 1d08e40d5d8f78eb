//! `combipat bench writes`: durable writes per second through the service (internal notes over
//! real HTTP on loopback) at several numbers of concurrent writers, next to the plain
//! one-commit-per-row loop on the same disk (SQLite, `synchronous=FULL`, WAL) or the same
//! PostgreSQL server (one autocommitted INSERT per row), measured in the same run before and
//! after the service figures. The ratios are what to compare across machines: fsync latency on
//! this kind of machine moves by an order of magnitude within a day.

use std::sync::Arc;
use std::time::{Duration, Instant};

use color_eyre::eyre::bail;

use crate::api::NewMessage;
use crate::client::{Client, ClientOptions, IdempotencyKey};
use crate::domain::request::{MessageKind, RequestId};

#[derive(Debug, clap::Args)]
pub struct WritesBenchArgs {
    /// Concurrent HTTP writers, one run each.
    #[arg(long, value_delimiter = ',', default_values_t = [1, 16, 64])]
    pub writers: Vec<usize>,
    /// Seconds per run (and per baseline run).
    #[arg(long, default_value_t = 3.0)]
    pub seconds: f64,
    /// `postgres://…` to measure on PostgreSQL (the database is written to: use a scratch one);
    /// without it, a SQLite file in a temporary directory.
    #[arg(long)]
    pub database: Option<String>,
}

/// Writes done and their latencies in one run.
struct Run {
    writes: usize,
    elapsed: Duration,
    latencies: Vec<Duration>,
}

impl Run {
    fn per_second(&self) -> f64 {
        self.writes as f64 / self.elapsed.as_secs_f64()
    }

    fn percentile(&self, pct: f64) -> Duration {
        super::percentile(&self.latencies, pct)
    }
}

pub fn run(args: WritesBenchArgs) -> color_eyre::Result<()> {
    if args.writers.is_empty() || args.writers.contains(&0) || args.seconds <= 0.0 {
        bail!("--writers must list positive numbers and --seconds must be positive");
    }
    let duration = Duration::from_secs_f64(args.seconds);
    super::super::runtime()?.block_on(async move {
        let dir = super::dashboard_bandwidth::tempfile_dir()?;
        let baseline = Baseline::open(&dir, args.database.as_deref()).await?;
        let (running, token) = super::demo_service(&dir, args.database.clone()).await?;
        let client = Arc::new(Client::new(
            &running.base_url(),
            &token,
            ClientOptions::default(),
        )?);
        // Notes spread over the office's requests, so no thread grows much during the run.
        let ids: Vec<RequestId> = client
            .list_all_requests(&Default::default())
            .await?
            .into_iter()
            .map(|r| r.id)
            .collect();
        if ids.is_empty() {
            bail!("the demo supervisor sees no requests");
        }
        let ids = Arc::new(ids);

        println!("store: {}", baseline.describe());
        let before = baseline.run(duration).await?;
        let mut runs = Vec::new();
        for &writers in &args.writers {
            runs.push((writers, service_run(&client, &ids, writers, duration).await?));
        }
        let after = baseline.run(duration).await?;
        let base_rate = (before.per_second() + after.per_second()) / 2.0;
        let base_latency = (before.percentile(50.0) + after.percentile(50.0)) / 2;

        println!(
            "baseline, one commit per row (same run): {:.0} commits/s before, {:.0} after, p50 {:.2} ms",
            before.per_second(),
            after.per_second(),
            ms(base_latency)
        );
        println!("writers\twrites/s\tp50 ms\tp99 ms\tratio to baseline");
        for (writers, run) in &runs {
            println!(
                "{writers}\t{:.0}\t{:.2}\t{:.2}\t{:.2}x",
                run.per_second(),
                ms(run.percentile(50.0)),
                ms(run.percentile(99.0)),
                run.per_second() / base_rate
            );
        }
        if let Some((_, single)) = runs.iter().find(|(w, _)| *w == 1) {
            println!(
                "1 writer: p50 {:.2} ms vs baseline p50 {:.2} ms ({:+.2} ms; goal within 1 ms)",
                ms(single.percentile(50.0)),
                ms(base_latency),
                ms(single.percentile(50.0)) - ms(base_latency)
            );
        }
        if let Some((_, most)) = runs.iter().max_by_key(|(w, _)| *w) {
            println!(
                "at {} writers: {:.2}x the baseline (goal >= 2.5x)",
                runs.iter().map(|(w, _)| *w).max().unwrap_or(0),
                most.per_second() / base_rate
            );
        }
        running.shutdown().await?;
        let _ = std::fs::remove_dir_all(&dir);
        Ok(())
    })
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// `writers` tasks adding internal notes until `duration` has passed.
async fn service_run(
    client: &Arc<Client>,
    ids: &Arc<Vec<RequestId>>,
    writers: usize,
    duration: Duration,
) -> color_eyre::Result<Run> {
    let start = Instant::now();
    let deadline = start + duration;
    let mut tasks = Vec::with_capacity(writers);
    for writer in 0..writers {
        let client = Arc::clone(client);
        let ids = Arc::clone(ids);
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut n = writer;
            while Instant::now() < deadline {
                let id = &ids[n % ids.len()];
                n += writers;
                let note = NewMessage {
                    kind: MessageKind::InternalNote,
                    body: format!("bench note {n}"),
                };
                let began = Instant::now();
                client
                    .add_message(id, &note, None, &IdempotencyKey::new())
                    .await?;
                latencies.push(began.elapsed());
            }
            Ok::<_, crate::client::ClientError>(latencies)
        }));
    }
    let mut latencies = Vec::new();
    for task in tasks {
        latencies.extend(task.await??);
    }
    Ok(Run {
        writes: latencies.len(),
        elapsed: start.elapsed(),
        latencies,
    })
}

/// The plain loop the service is compared with, on the same storage (the loops live in the
/// adapters, which alone speak to the databases).
enum Baseline {
    Sqlite(std::path::PathBuf),
    Postgres(String),
}

impl Baseline {
    async fn open(dir: &std::path::Path, database: Option<&str>) -> color_eyre::Result<Self> {
        Ok(match database {
            None => Baseline::Sqlite(dir.join("baseline.sqlite3")),
            Some(url) => Baseline::Postgres(url.to_string()),
        })
    }

    fn describe(&self) -> &'static str {
        match self {
            Baseline::Sqlite(_) => "SQLite (WAL, synchronous=FULL) in a temporary directory",
            Baseline::Postgres(_) => "PostgreSQL",
        }
    }

    /// One row per transaction, each committed durably, for `duration`.
    async fn run(&self, duration: Duration) -> color_eyre::Result<Run> {
        let start = Instant::now();
        let latencies = match self {
            Baseline::Sqlite(path) => {
                let path = path.clone();
                tokio::task::spawn_blocking(move || {
                    crate::service::store::sqlite::plain_commit_loop(&path, duration)
                })
                .await??
            }
            Baseline::Postgres(url) => {
                crate::service::store::postgres::plain_commit_loop(url, duration).await?
            }
        };
        Ok(Run {
            writes: latencies.len(),
            elapsed: start.elapsed(),
            latencies,
        })
    }
}
