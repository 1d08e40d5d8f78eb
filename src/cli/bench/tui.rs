//! `combipat bench tui`: keypress-to-frame and filter-per-keystroke latency with many requests
//! loaded, rendered headless at 160×48, plus peak memory (VmHWM).

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
}

fn percentile(sorted: &[Duration], pct: usize) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    // nearest rank
    let rank = (pct * sorted.len()).div_ceil(100).max(1);
    sorted[rank - 1]
}

fn report(label: &str, mut samples: Vec<Duration>) {
    samples.sort();
    println!(
        "{label}: n={} p50={:.3} ms p99={:.3} ms max={:.3} ms",
        samples.len(),
        percentile(&samples, 50).as_secs_f64() * 1e3,
        percentile(&samples, 99).as_secs_f64() * 1e3,
        samples.last().copied().unwrap_or_default().as_secs_f64() * 1e3,
    );
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

pub fn run(args: TuiBenchArgs) -> color_eyre::Result<()> {
    let now = jiff::Timestamp::now();
    let me = Operator {
        username: "op00".into(),
        office: "RM01".into(),
    };
    let load_started = Instant::now();
    let mut state = State::new(Lang::It, me.clone(), now);
    state.set_requests(fixture::requests(
        args.requests,
        now,
        &me.office,
        &me.username,
    ));
    let load = load_started.elapsed();
    // "All open" queue: the largest list.
    state.queue_cursor = state.queues.len() - 1;
    state.invalidate_filter();
    state.refilter();
    let mut h = Headless::new(state, 160, 48, Theme::default());
    h.draw();
    println!(
        "loaded {} requests ({} visible) in {:.1} ms",
        h.state.requests.len(),
        h.state.visible.len(),
        load.as_secs_f64() * 1e3
    );

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
    let mut nav = Vec::with_capacity(args.keys);
    let mut queue_and_sort = Vec::new();
    for i in 0..args.keys {
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
    report("keypress-to-frame (all keys)", nav);
    report("keypress-to-frame (queue/sort change)", queue_and_sort);

    let mut filter = Vec::new();
    for query in [
        "rossi",
        "pensione",
        "inca 2026",
        "cbp-2026-00999",
        "esp maria",
    ] {
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
    report("filter-per-keystroke (type + backspace)", filter);

    // Live updates: a request changes status (SSE `request.*`) and the frame is redrawn.
    let mut events = Vec::new();
    for n in 0..args.events {
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
    report("event-to-frame (request upsert)", events);

    match peak_memory_kib() {
        Some(kib) => println!("peak memory (VmHWM): {:.1} MiB", kib as f64 / 1024.0),
        None => println!("peak memory: unavailable (no /proc/self/status)"),
    }
    Ok(())
}
