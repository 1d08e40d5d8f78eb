//! `combipat bench tui`: keypress-to-frame and filter-per-keystroke latency with many requests
//! loaded, rendered headless at 160×48, plus peak memory (VmHWM).

use std::time::{Duration, Instant};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::i18n::Lang;
use crate::tui::fixture;
use crate::tui::headless::Headless;
use crate::tui::state::{Operator, State};
use crate::tui::theme::Theme;

#[derive(Debug, clap::Args)]
pub struct TuiBenchArgs {
    /// Requests loaded into the workstation.
    #[arg(long, default_value_t = 100_000)]
    pub requests: usize,
    /// Navigation keypresses measured.
    #[arg(long, default_value_t = 2_000)]
    pub keys: usize,
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

    let cycle = [
        KeyCode::Down,
        KeyCode::Down,
        KeyCode::PageDown,
        KeyCode::Up,
        KeyCode::Char('j'),
        KeyCode::PageUp,
        KeyCode::End,
        KeyCode::Home,
    ];
    let mut nav = Vec::with_capacity(args.keys);
    for i in 0..args.keys {
        let started = Instant::now();
        h.press(key(cycle[i % cycle.len()]));
        h.draw();
        nav.push(started.elapsed());
    }
    report("keypress-to-frame (navigation)", nav);

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

    match peak_memory_kib() {
        Some(kib) => println!("peak memory (VmHWM): {:.1} MiB", kib as f64 / 1024.0),
        None => println!("peak memory: unavailable (no /proc/self/status)"),
    }
    Ok(())
}
