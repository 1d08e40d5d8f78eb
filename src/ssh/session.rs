//! One SSH session: its own cruscotto state, a ratatui terminal that only renders (the bytes
//! come from the shared frame cache, `frames`), and the channel. Input is drained by a
//! separate task into a small bounded queue (excess keystrokes are dropped, never buffered
//! without limit); output is written with SSH flow control, so a slow client simply gets fewer
//! frames (state changes are coalesced into the next frame).

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use jiff::Timestamp;
use ratatui::backend::CrosstermBackend;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::{Terminal, TerminalOptions, Viewport};
use russh::server::Msg;
use russh::{Channel, ChannelMsg};
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::Shared;
use super::frames::{FrameCache, SharedFrame, Shown};
use super::gate::KillSwitch;
use super::settings::KeyIdentity;
use crate::tui::dashboard::state::default_action;
use crate::tui::dashboard::{DashStyles, DashboardOutcome, DashboardState, input::KeyParser};

/// Input queued for the session loop.
#[derive(Debug)]
enum Input {
    Pty { term: String, cols: u32, rows: u32 },
    Resize { cols: u32, rows: u32 },
    Bytes(Vec<u8>),
    Closed,
}

const INPUT_QUEUE: usize = 64;
/// After a session ends normally, how long the client has to close the connection itself.
const CLOSE_GRACE: Duration = Duration::from_secs(2);
/// Figures are reloaded this often with no change announced: clocks cross thresholds with
/// time alone.
const REFRESH_EVERY: Duration = Duration::from_secs(30);
/// The header's clock over SSH shows minutes (see `DashboardState::clock_seconds`).
const CLOCK_STEP: Duration = Duration::from_secs(60);
/// After a change is announced, sessions reload at the next multiple of this period on the
/// wall clock: a burst of writes costs one reload, and every session of a scope asks at the
/// same instant, so the service's per-scope memo serves them all from one computation.
const RELOAD_AFTER_CHANGE: Duration = Duration::from_secs(2);

/// The next instant that is a whole multiple of `period` since the Unix epoch: the same
/// instant for every session of the process (and of every node with a synchronised clock).
fn next_on_grid(period: Duration) -> Instant {
    let period_ms = period.as_millis().max(1);
    let since_epoch = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .as_millis();
    let wait = period_ms - since_epoch % period_ms;
    Instant::now() + Duration::from_millis(u64::try_from(wait).unwrap_or(0))
}

fn area(cols: u32, rows: u32) -> Rect {
    let clamp = |v: u32| u16::try_from(v.clamp(1, 1000)).unwrap_or(1);
    Rect::new(0, 0, clamp(cols), clamp(rows))
}

async fn pump_input(mut read: russh::ChannelReadHalf, tx: mpsc::Sender<Input>) {
    while let Some(msg) = read.wait().await {
        let input = match msg {
            ChannelMsg::Data { data } => Input::Bytes(data.to_vec()),
            ChannelMsg::RequestPty {
                term,
                col_width,
                row_height,
                ..
            } => Input::Pty {
                term,
                cols: col_width,
                rows: row_height,
            },
            ChannelMsg::WindowChange {
                col_width,
                row_height,
                ..
            } => Input::Resize {
                cols: col_width,
                rows: row_height,
            },
            ChannelMsg::Eof | ChannelMsg::Close => Input::Closed,
            _ => continue,
        };
        let closing = matches!(input, Input::Closed);
        // Full queue: the client types faster than we draw; dropping keys is the bounded choice.
        let _ = tx.try_send(input);
        if closing {
            break;
        }
    }
    let _ = tx.try_send(Input::Closed);
}

/// Runs one session, then ends its connection. Errors end the session; they never reach other
/// sessions.
pub(super) async fn run(
    channel: Channel<Msg>,
    identity: KeyIdentity,
    shared: Arc<Shared>,
    switch: Arc<KillSwitch>,
) {
    let operator = identity.operator.clone();
    match serve(channel, identity, &shared).await {
        End::WriteTimeout => {
            tracing::info!(%operator, "ssh: client stopped reading; connection closed");
        }
        // Let the goodbye bytes reach the client, which normally closes the connection itself.
        End::Normal => tokio::time::sleep(CLOSE_GRACE).await,
    }
    // One dashboard per connection: the session's end closes the socket, even when the client
    // reads nothing more (a disconnect message would never get through).
    switch.kill();
}

/// Draws the state: the bytes that bring this client's screen (`shown`) to the state's frame.
/// A frame another session of the same key rendered is not rendered again, and an update
/// another session already needed (same frame shown, same frame next) is not encoded again.
///
/// `size` is the session's own record of the client's size: asking the backend would make
/// crossterm, with no tty here, spawn `tput` on every frame.
fn draw(
    renderer: &mut Terminal<CrosstermBackend<std::io::Sink>>,
    size: Rect,
    state: &DashboardState,
    styles: &DashStyles,
    styles_key: u64,
    frames: &FrameCache,
    shown: &mut Option<Shown>,
) -> std::io::Result<Bytes> {
    let key = state
        .frame_key()
        .map(|k| super::frames::frame_key(k, size, styles_key));
    // The key covers the size: the same key on screen means nothing to send.
    if key.is_some() && shown.as_ref().is_some_and(|s| s.key == key) {
        return Ok(Bytes::new());
    }
    let cached = key
        .and_then(|k| frames.frame(k))
        .filter(|f| f.buffer.area == size);
    let next = match cached {
        Some(shared) => {
            state.adopt_render(shared.feedback);
            shared
        }
        None => {
            // Rendered into the terminal's buffer and taken out whole: the renderer never
            // writes to its backend (the bytes come from the cache's update below).
            let mut frame = renderer.get_frame();
            let area = frame.area();
            crate::tui::dashboard::render(&mut frame, area, state, styles);
            let buffer = std::mem::replace(renderer.current_buffer_mut(), Buffer::empty(size));
            let rendered = Arc::new(SharedFrame {
                buffer,
                feedback: state.render_feedback(),
            });
            if let Some(key) = key {
                frames.put_frame(key, Arc::clone(&rendered));
            }
            rendered
        }
    };
    let bytes = frames.update(shown.as_ref(), key, &next.buffer)?;
    *shown = Some(Shown { key, frame: next });
    Ok(bytes)
}

/// Reloads the figures; whether the screen must be redrawn (a failed reload keeps the figures
/// shown, to be tried again at the next change or poll).
async fn reload(shared: &Shared, operator: &str, state: &mut DashboardState) -> bool {
    match shared.source.load(operator).await {
        Ok(view) => state.replace_figures(view.dashboard),
        Err(_) => false,
    }
}

/// Waits for the next announced change; `false` once the source stops announcing (the
/// branch is then disabled). Without a source of changes, never ready.
async fn changed(changes: &mut Option<tokio::sync::watch::Receiver<u64>>) -> bool {
    match changes {
        Some(rx) => rx.changed().await.is_ok(),
        None => std::future::pending().await,
    }
}

#[derive(Debug, PartialEq, Eq)]
enum End {
    Normal,
    WriteTimeout,
}

/// Best-effort goodbye: the last bytes, the exit status (0 when the session ended as asked,
/// so the client's `ssh` exits 0 rather than 255; 1 when it was refused), EOF and close,
/// bounded in time.
async fn finish(write: &russh::ChannelWriteHalf<Msg>, out: Vec<u8>, status: u32) {
    let bye = async {
        if !out.is_empty() {
            let _ = write.data_bytes(out).await;
        }
        let _ = write.exit_status(status).await;
        let _ = write.eof().await;
        let _ = write.close().await;
    };
    let _ = tokio::time::timeout(Duration::from_secs(2), bye).await;
}

async fn serve(channel: Channel<Msg>, identity: KeyIdentity, shared: &Shared) -> End {
    let (read, write) = channel.split();
    let (tx, mut rx) = mpsc::channel(INPUT_QUEUE);
    let pump = tokio::spawn(pump_input(read, tx));

    // Wait briefly for the pty request that carries TERM and size; default to 80×24.
    let (mut term, mut size) = ("xterm".to_string(), area(80, 24));
    let mut early_bytes = Vec::new();
    let deadline = tokio::time::sleep(Duration::from_secs(2));
    tokio::pin!(deadline);
    loop {
        tokio::select! {
            input = rx.recv() => match input {
                Some(Input::Pty { term: t, cols, rows }) => {
                    term = t;
                    size = area(cols, rows);
                    break;
                }
                Some(Input::Resize { cols, rows }) => size = area(cols, rows),
                Some(Input::Bytes(b)) => early_bytes.extend(b),
                Some(Input::Closed) | None => {
                    pump.abort();
                    return End::Normal;
                }
            },
            _ = &mut deadline => break,
        }
    }

    let loaded = shared.source.load(&identity.operator).await;
    let view = match loaded {
        Ok(view) => view,
        Err(reason) => {
            let text = format!(
                "combipat: {}\r\n",
                crate::domain::sanitize::inline(&reason, 200)
            );
            finish(&write, text.into_bytes(), 1).await;
            pump.abort();
            return End::Normal;
        }
    };
    let read_only = identity.read_only || !view.role_can_write;
    let mut state = DashboardState::new(view.dashboard, view.scope_label, read_only, shared.lang);
    state.now = Timestamp::now();
    state.clock_seconds = false;
    let styles = DashStyles::for_terminal(&term, shared.no_color);
    let styles_key = super::frames::styles_key(&styles);
    let options = TerminalOptions {
        viewport: Viewport::Fixed(size),
    };
    // Renders frames only; the bytes the client gets come from the frame cache (see `draw`).
    let Ok(mut terminal) = Terminal::with_options(CrosstermBackend::new(std::io::sink()), options)
    else {
        pump.abort();
        return End::Normal;
    };
    // Alternate screen, hidden cursor, cleared: the only set-up bytes. No queries, ever.
    let mut out = b"\x1b[?1049h\x1b[?25l\x1b[2J".to_vec();
    // What the client's screen shows: nothing yet (cleared).
    let mut shown: Option<Shown> = None;
    let mut parser = KeyParser::new();
    let mut dirty = true;
    let mut quit = false;
    let mut last_input = Instant::now();
    // The clock shows minutes: the session wakes at each minute (and checks the idle
    // timeout then), not every second.
    let mut next_minute = next_on_grid(CLOCK_STEP);
    // Polls on the wall-clock grid too, so the sessions of a scope share them.
    let mut next_poll = next_on_grid(REFRESH_EVERY);
    let mut changes = shared.source.changes();
    // When a reload asked by a change is due.
    let mut reload_at: Option<Instant> = None;
    let idle = shared.settings.idle_timeout();
    let write_timeout = shared.settings.write_timeout();
    let mut end = End::Normal;
    let mut pending_keys = parser.feed(&early_bytes);

    while !quit {
        for key in pending_keys.drain(..) {
            let Some(action) = default_action(&key) else {
                continue;
            };
            match state.update(action) {
                DashboardOutcome::Quit => quit = true,
                DashboardOutcome::Refresh => {
                    reload(shared, &identity.operator, &mut state).await;
                }
                DashboardOutcome::DrillDown(target) => {
                    let loaded = shared
                        .source
                        .requests(&identity.operator, target.filter())
                        .await;
                    state.drill_loaded(&target, loaded);
                }
                DashboardOutcome::ShowRequest(id) => {
                    let loaded = shared.source.detail(&identity.operator, &id).await;
                    state.detail_loaded(loaded);
                }
                // Exports would write files on the server host: not from a remote session.
                DashboardOutcome::ExportCsv(_) => {
                    state.message = Some(state.lang.text().export_elsewhere.to_string());
                }
                DashboardOutcome::Nothing => {}
            }
            dirty = true;
        }
        if quit {
            break;
        }
        let frame_bytes = if dirty {
            dirty = false;
            let drawn = draw(
                &mut terminal,
                size,
                &state,
                &styles,
                styles_key,
                &shared.frames,
                &mut shown,
            );
            match drawn {
                Ok(bytes) => bytes,
                Err(_) => break,
            }
        } else {
            Bytes::new()
        };
        // The frame's update is shared with other sessions: sent as is, unless set-up or
        // clearing bytes must go before it.
        let bytes = if out.is_empty() {
            frame_bytes
        } else {
            out.extend_from_slice(&frame_bytes);
            Bytes::from(std::mem::take(&mut out))
        };
        if !bytes.is_empty() {
            shared.counters.add_written(bytes.len());
            match tokio::time::timeout(write_timeout, write.data_bytes(bytes)).await {
                Ok(Ok(())) => {}
                Ok(Err(_)) => break,
                Err(_) => {
                    end = End::WriteTimeout;
                    break;
                }
            }
        }
        tokio::select! {
            input = rx.recv() => match input {
                Some(Input::Bytes(bytes)) => {
                    last_input = Instant::now();
                    pending_keys = parser.feed(&bytes);
                    if bytes == [0x1b] {
                        pending_keys.extend(parser.flush());
                    }
                }
                Some(Input::Resize { cols, rows }) | Some(Input::Pty { cols, rows, .. }) => {
                    size = area(cols, rows);
                    if terminal.resize(size).is_err() {
                        break;
                    }
                    out.extend_from_slice(b"\x1b[2J");
                    shown = None;
                    dirty = true;
                }
                Some(Input::Closed) | None => break,
            },
            _ = tokio::time::sleep_until(next_minute.min(last_input + idle)) => {
                if last_input.elapsed() >= idle {
                    out.extend_from_slice(b"\x1b[?25h\x1b[?1049l");
                    out.extend_from_slice(state.lang.text().idle_timeout.as_bytes());
                    out.extend_from_slice(b"\r\n");
                    break;
                }
                // Woken on the minute grid (not only for the idle check): a new minute shows.
                if Instant::now() >= next_minute {
                    next_minute = next_on_grid(CLOCK_STEP);
                    state.update(crate::tui::dashboard::DashboardAction::Tick(Timestamp::now()));
                    dirty = true;
                }
            }
            announced = changed(&mut changes), if reload_at.is_none() => {
                if announced {
                    reload_at = Some(next_on_grid(RELOAD_AFTER_CHANGE));
                } else {
                    changes = None;
                }
            }
            _ = tokio::time::sleep_until(reload_at.unwrap_or_else(Instant::now)),
                if reload_at.is_some() => {
                reload_at = None;
                dirty |= reload(shared, &identity.operator, &mut state).await;
            }
            _ = tokio::time::sleep_until(next_poll) => {
                next_poll = next_on_grid(REFRESH_EVERY);
                dirty |= reload(shared, &identity.operator, &mut state).await;
            }
        }
    }
    pump.abort();
    if end == End::WriteTimeout {
        return end;
    }
    if out.is_empty() {
        out.extend_from_slice(b"\x1b[?25h\x1b[?1049l");
    }
    finish(&write, out, 0).await;
    end
}
