//! `combipat bench tui`: keypress-to-frame and filter-per-keystroke latency with many requests
//! loaded, rendered headless at 160×48, plus peak memory (VmHWM). The same keys and queries
//! run first on a small list (the baseline) and every figure is printed with its ratio to it.
//! Figures are printed, never judged: a slow machine makes a slow run, not a failure.

use std::time::{Duration, Instant};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::api::RequestDetail;
use crate::domain::request::{ActorRef, MessageKind, Status, ThreadEntry};
use crate::domain::roles::Role;
use crate::i18n::Lang;
use crate::tui::fixture;
use crate::tui::headless::Headless;
use crate::tui::state::{Operator, State};
use crate::tui::theme::Theme;
use crate::tui::update::{Effect, Msg};

#[derive(Debug, clap::Args)]
pub struct TuiBenchArgs {
    /// Requests loaded into the workstation.
    #[arg(long, default_value_t = 100_000)]
    pub requests: usize,
    /// Navigation keypresses measured.
    #[arg(long, default_value_t = 2_000)]
    pub keys: usize,
    /// Live request updates measured.
    #[arg(long, default_value_t = 200)]
    pub events: usize,
    /// Queries typed into the `/` filter, one per line (`#` comments and blank lines skipped);
    /// every character is one sample typed, then one deleted. `bench/tui-queries.txt` is a
    /// sample.
    #[arg(long, value_name = "FILE")]
    pub queries: std::path::PathBuf,
    /// Requests of the baseline measured in the same run with the same keys and queries.
    #[arg(long, default_value_t = 1_000)]
    pub baseline: usize,
}

fn percentile(sorted: &[Duration], pct: usize) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    // nearest rank
    let rank = (pct * sorted.len()).div_ceil(100).max(1);
    sorted[rank - 1]
}

fn peak_memory_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// Answers the detail loads the last keys asked for with the request's summary and a short
/// thread, as the gateway would.
fn answer_detail_loads(h: &mut Headless) {
    for effect in std::mem::take(&mut h.effects) {
        let Effect::LoadDetail(id) = effect else {
            continue;
        };
        let Some(summary) = h.state.request(&id).cloned() else {
            continue;
        };
        let detail = RequestDetail {
            thread: (0..3)
                .map(|n| ThreadEntry {
                    seq: n,
                    at: summary.created_at,
                    author: ActorRef {
                        id: summary.patronato.clone(),
                        name: summary.patronato.clone(),
                        role: Role::Patronato,
                    },
                    kind: MessageKind::PatronatoMessage,
                    body: format!("{} ({n})", summary.subject),
                })
                .collect(),
            summary,
            application_protocol: None,
            outcome: None,
            history: Vec::new(),
            appointments: Vec::new(),
        };
        h.send(Msg::DetailLoaded(Box::new(detail)));
    }
}

fn key(code: KeyCode) -> KeyEvent {
    KeyEvent::new(code, KeyModifiers::NONE)
}

/// Samples of one run, by what was measured.
struct Figures {
    load: Duration,
    visible: usize,
    nav: Vec<Duration>,
    queue_and_sort: Vec<Duration>,
    filter: Vec<Duration>,
    events: Vec<Duration>,
}

/// The queries of `--queries FILE`: one per line, blank lines and `#` comments skipped.
fn read_queries(path: &std::path::Path) -> color_eyre::Result<Vec<String>> {
    use color_eyre::eyre::{WrapErr, bail};
    let text =
        std::fs::read_to_string(path).wrap_err_with(|| format!("--queries {}", path.display()))?;
    let queries: Vec<String> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_string)
        .collect();
    if queries.is_empty() {
        bail!("--queries {}: no query in the file", path.display());
    }
    Ok(queries)
}

pub fn run(args: TuiBenchArgs) -> color_eyre::Result<()> {
    let queries = read_queries(&args.queries)?;
    // The same keys and queries on a small list first, in the same process and minute: the
    // ratio says what the list's size costs, whatever the machine's load.
    let baseline = measure(args.baseline, args.keys, args.events, &queries);
    let baseline_memory = peak_memory_kib();
    let main = measure(args.requests, args.keys, args.events, &queries);
    for (label, figures) in [
        (format!("baseline ({} requests)", args.baseline), &baseline),
        (format!("measured ({} requests)", args.requests), &main),
    ] {
        println!(
            "{label}: loaded in {:.1} ms, {} visible in \"all open\"",
            figures.load.as_secs_f64() * 1e3,
            figures.visible
        );
    }
    compare("keypress-to-frame (all keys)", &main.nav, &baseline.nav);
    compare(
        "keypress-to-frame (queue/sort change)",
        &main.queue_and_sort,
        &baseline.queue_and_sort,
    );
    compare(
        &format!(
            "filter per keystroke ({} queries typed and deleted)",
            queries.len()
        ),
        &main.filter,
        &baseline.filter,
    );
    compare(
        "event-to-frame (request upsert)",
        &main.events,
        &baseline.events,
    );
    match (peak_memory_kib(), baseline_memory) {
        (Some(kib), Some(base)) => println!(
            "peak memory (VmHWM): {:.1} MiB; after the baseline {:.1} MiB",
            kib as f64 / 1024.0,
            base as f64 / 1024.0
        ),
        _ => println!("peak memory: unavailable (no /proc/self/status)"),
    }
    Ok(())
}

/// One line: the figure, the same-run baseline, and their ratio at p50 and p99.
fn compare(label: &str, samples: &[Duration], baseline: &[Duration]) {
    let (mut samples, mut baseline) = (samples.to_vec(), baseline.to_vec());
    samples.sort();
    baseline.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let ratio = |a: Duration, b: Duration| {
        if b.is_zero() {
            f64::NAN
        } else {
            a.as_secs_f64() / b.as_secs_f64()
        }
    };
    let (p50, p99) = (percentile(&samples, 50), percentile(&samples, 99));
    let (b50, b99) = (percentile(&baseline, 50), percentile(&baseline, 99));
    println!(
        "{label}: n={} p50={:.3} ms p99={:.3} ms max={:.3} ms | baseline p50={:.3} ms p99={:.3} ms | ratio p50 {:.1}× p99 {:.1}×",
        samples.len(),
        ms(p50),
        ms(p99),
        ms(samples.last().copied().unwrap_or_default()),
        ms(b50),
        ms(b99),
        ratio(p50, b50),
        ratio(p99, b99),
    );
}

fn measure(requests: usize, keys: usize, events_wanted: usize, queries: &[String]) -> Figures {
    let now = jiff::Timestamp::now();
    let me = Operator {
        username: "op00".into(),
        office: "RM01".into(),
    };
    let load_started = Instant::now();
    let mut state = State::new(Lang::It, me.clone(), now);
    state.set_requests(fixture::requests(requests, now, &me.office, &me.username));
    let load = load_started.elapsed();
    // "All open" queue: the largest list.
    state.queue_cursor = state.queues.len() - 1;
    state.invalidate_filter();
    state.refilter();
    let mut h = Headless::new(state, 160, 48, Theme::default());
    h.draw();
    let visible = h.state.visible.len();

    // Navigation in the list and the detail pane, queue and sort changes: every key is
    // dispatch + update + a full 160×48 frame. Detail loads are answered between keys, as the
    // gateway would, so frames show a loaded detail pane.
    let cycle = [
        KeyCode::Down,
        KeyCode::Down,
        KeyCode::PageDown,
        KeyCode::Up,
        KeyCode::Char('j'),
        KeyCode::PageUp,
        KeyCode::End,
        KeyCode::Home,
        KeyCode::Enter,
        KeyCode::Down,
        KeyCode::Esc,
        KeyCode::Char(']'),
        KeyCode::Char('o'),
        KeyCode::Char('['),
    ];
    let mut nav = Vec::with_capacity(keys);
    let mut queue_and_sort = Vec::new();
    for i in 0..keys {
        let code = cycle[i % cycle.len()];
        let started = Instant::now();
        h.press(key(code));
        h.draw();
        let took = started.elapsed();
        if matches!(code, KeyCode::Char(']' | '[' | 'o')) {
            queue_and_sort.push(took);
        }
        nav.push(took);
        answer_detail_loads(&mut h);
    }

    // Every sample is one real keystroke into `/`: each character typed, then each deleted.
    let mut filter = Vec::new();
    for query in queries {
        h.press(key(KeyCode::Char('/')));
        for c in query.chars() {
            let started = Instant::now();
            h.press(key(KeyCode::Char(c)));
            h.draw();
            filter.push(started.elapsed());
        }
        for _ in 0..query.chars().count() {
            let started = Instant::now();
            h.press(key(KeyCode::Backspace));
            h.draw();
            filter.push(started.elapsed());
        }
        h.press(key(KeyCode::Esc));
    }

    // Live updates: a request changes status (SSE `request.*`) and the frame is redrawn.
    let mut events = Vec::new();
    for n in 0..events_wanted {
        let i = (n * 7919) % h.state.requests.len();
        let mut changed = h.state.requests[i].clone();
        changed.status = if changed.status == Status::Chiusa {
            Status::Riaperta
        } else {
            Status::Chiusa
        };
        changed.version += 1;
        // The clock ticks between events, so time-dependent queue counts are redone.
        let at = now + jiff::SignedDuration::from_secs(n as i64 + 1);
        changed.updated_at = at;
        h.send(Msg::Tick(at));
        let started = Instant::now();
        h.send(Msg::Upserted(Box::new(changed)));
        h.draw();
        events.push(started.elapsed());
    }
    Figures {
        load,
        visible,
        nav,
        queue_and_sort,
        filter,
        events,
    }
}
