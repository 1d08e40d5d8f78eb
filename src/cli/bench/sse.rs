//! `combipat bench sse`: how long one write takes to reach every open event stream, and what
//! the open streams cost the writer. For each subscriber count: N streams of the demo
//! supervisor's scope are opened over real HTTP on loopback, then writes are made one at a time;
//! each write's latency and each stream's delivery delay are recorded. The baseline, measured in
//! the same run, is the same writes with no stream open.

use std::sync::Arc;
use std::time::{Duration, Instant};

use color_eyre::eyre::{bail, eyre};
use futures::StreamExt;
use tokio::sync::mpsc;

use crate::api::NewMessage;
use crate::client::{Client, ClientOptions, IdempotencyKey};
use crate::domain::request::{MessageKind, RequestId};

#[derive(Debug, clap::Args)]
pub struct SseBenchArgs {
    /// Open streams, one run each.
    #[arg(long, value_delimiter = ',', default_values_t = [1000, 5000])]
    pub subscribers: Vec<usize>,
    /// Writes per run (one at a time).
    #[arg(long, default_value_t = 20)]
    pub writes: usize,
}

pub fn run(args: SseBenchArgs) -> color_eyre::Result<()> {
    if args.subscribers.is_empty() || args.writes == 0 {
        bail!("--subscribers must list numbers and --writes must be positive");
    }
    let most = args.subscribers.iter().copied().max().unwrap_or(0);
    // Each stream is two descriptors in this process (client and server ends).
    raise_open_files(2 * most as u64 + 1024);
    // The bench runs as a task on the runtime's workers, not on the thread that blocks on it: a
    // stream telling the bench what it heard then wakes a task, not a parked OS thread (5,000
    // futex wake-ups a write that would be charged to the service).
    let runtime = super::super::runtime()?;
    let bench = runtime.spawn(async move {
        let dir = super::dashboard_bandwidth::tempfile_dir()?;
        let (running, token) = super::demo_service(&dir, None).await?;
        let base = running.base_url();
        let client = Client::new(&base, &token, ClientOptions::default())?;
        let id = client
            .list_requests(&Default::default())
            .await?
            .items
            .into_iter()
            .next()
            .map(|r| r.id)
            .ok_or_else(|| eyre!("the demo supervisor sees no requests"))?;

        let (baseline, _) = writes(&client, &id, args.writes, None).await?;
        println!(
            "baseline, no stream open (same run): write p50 {:.2} ms, p99 {:.2} ms",
            ms(percentile(&baseline, 50.0)),
            ms(percentile(&baseline, 99.0))
        );
        println!("streams\tdelivered p50 ms\tdelivered p99 ms\twrite p50 ms\twrite p99 ms\twrite p50 vs baseline");
        for &count in &args.subscribers {
            let (arrivals, streams) = open_streams(&base, &token, count).await?;
            let (latencies, delays) =
                writes(&client, &id, args.writes, Some((arrivals, count))).await?;
            for stream in streams {
                stream.abort();
            }
            println!(
                "{count}\t{:.2}\t{:.2}\t{:.2}\t{:.2}\t{:+.0} %",
                ms(percentile(&delays, 50.0)),
                ms(percentile(&delays, 99.0)),
                ms(percentile(&latencies, 50.0)),
                ms(percentile(&latencies, 99.0)),
                (percentile(&latencies, 50.0).as_secs_f64()
                    / percentile(&baseline, 50.0).as_secs_f64().max(1e-9)
                    - 1.0)
                    * 100.0
            );
        }
        println!("goal: delivered p99 < 50 ms at 5,000 streams; write latency within 20 % of none");
        running.shutdown().await?;
        let _ = std::fs::remove_dir_all(&dir);
        Ok::<(), color_eyre::Report>(())
    });
    runtime.block_on(bench)?
}

use super::percentile;

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// Opens `count` raw event streams; each reports `(request version, instant)` for every
/// `request.message` event it receives. Returns once every stream has answered 200.
async fn open_streams(
    base: &str,
    token: &str,
    count: usize,
) -> color_eyre::Result<(
    mpsc::UnboundedReceiver<(u64, Instant)>,
    Vec<tokio::task::JoinHandle<()>>,
)> {
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()?;
    let (arrived, arrivals) = mpsc::unbounded_channel();
    let (opened, mut open) = mpsc::unbounded_channel::<()>();
    let mut streams = Vec::with_capacity(count);
    let url = format!("{base}/v1/events");
    let gate = Arc::new(tokio::sync::Semaphore::new(200));
    for _ in 0..count {
        let (http, url, token, arrived, opened, gate) = (
            http.clone(),
            url.clone(),
            token.to_string(),
            arrived.clone(),
            opened.clone(),
            Arc::clone(&gate),
        );
        streams.push(tokio::spawn(async move {
            let response = {
                // Connect a few hundred at a time: the listen backlog is finite.
                let _permit = gate.acquire().await;
                match http.get(&url).bearer_auth(&token).send().await {
                    Ok(r) if r.status().is_success() => r,
                    _ => return,
                }
            };
            let _ = opened.send(());
            let mut body = response.bytes_stream();
            let mut pending: Vec<u8> = Vec::new();
            while let Some(Ok(chunk)) = body.next().await {
                pending.extend_from_slice(&chunk);
                while let Some(end) = find(&pending, b"\n\n") {
                    let block = &pending[..end];
                    if find(block, b"event: request.message").is_some()
                        && let Some(version) = version_in(block)
                    {
                        let _ = arrived.send((version, Instant::now()));
                    }
                    pending.drain(..end + 2);
                }
            }
        }));
    }
    drop(opened);
    for n in 0..count {
        if tokio::time::timeout(Duration::from_secs(60), open.recv())
            .await
            .ok()
            .flatten()
            .is_none()
        {
            bail!("only {n} of {count} streams opened");
        }
    }
    // Let the last streams reach their wait.
    tokio::time::sleep(Duration::from_millis(500)).await;
    Ok((arrivals, streams))
}

/// `count` notes, one after another; with streams, waits until every stream had each one and
/// records the delays from the write's start. Returns (write latencies, delivery delays).
async fn writes(
    client: &Client,
    id: &RequestId,
    count: usize,
    mut streams: Option<(mpsc::UnboundedReceiver<(u64, Instant)>, usize)>,
) -> color_eyre::Result<(Vec<Duration>, Vec<Duration>)> {
    let mut latencies = Vec::with_capacity(count);
    let mut delays = Vec::new();
    for n in 0..count {
        let marker = format!("bench-sse-{}-{n}", std::process::id());
        let note = NewMessage {
            kind: MessageKind::InternalNote,
            body: marker.clone(),
        };
        let began = Instant::now();
        let written = client
            .add_message(id, &note, None, &IdempotencyKey::new())
            .await?;
        latencies.push(began.elapsed());
        if let Some((arrivals, subscribers)) = streams.as_mut() {
            // Events carry the request, not the note's text: match on the version written.
            let mut heard = 0;
            while heard < *subscribers {
                let Ok(Some((version, at))) =
                    tokio::time::timeout(Duration::from_secs(30), arrivals.recv()).await
                else {
                    bail!("write {n}: {heard} of {subscribers} streams heard it within 30 s");
                };
                if version == written.version {
                    heard += 1;
                    delays.push(at.duration_since(began));
                }
            }
        }
    }
    Ok((latencies, delays))
}

/// Where `needle` first occurs in `haystack`.
fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// The request version an event's `data:` carries (`"version":N`).
fn version_in(block: &[u8]) -> Option<u64> {
    const KEY: &[u8] = b"\"version\":";
    let start = find(block, KEY)? + KEY.len();
    let digits = block[start..]
        .iter()
        .take_while(|b| b.is_ascii_digit())
        .count();
    std::str::from_utf8(&block[start..start + digits])
        .ok()?
        .parse()
        .ok()
}

/// Raises this process's open-file limit towards `want` (up to the hard limit).
fn raise_open_files(want: u64) {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit/setrlimit only read and write the struct passed.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) == 0 && limit.rlim_cur < want {
            let wider = libc::rlimit {
                rlim_cur: want.min(limit.rlim_max),
                rlim_max: limit.rlim_max,
            };
            libc::setrlimit(libc::RLIMIT_NOFILE, &wider);
        }
    }
}
