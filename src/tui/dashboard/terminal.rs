//! `combipat dashboard` on the local terminal: the cruscotto full screen, figures through the
//! gateway (embedded service or `--server`).
//!
//! Same rules as the workstation and the SSH endpoint: no terminal queries after start (the size
//! comes from an ioctl), at most one synchronized frame per [`FRAME`], the clock ticks once a
//! second and the diff repaints only the cells that changed, figures reload every [`RELOAD`].

use std::io;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crossterm::event::{Event, EventStream, KeyEventKind};
use crossterm::terminal::{BeginSynchronizedUpdate, EndSynchronizedUpdate};
use crossterm::{execute, queue};
use futures::StreamExt;
use jiff::Timestamp;
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use tokio::sync::mpsc;
use tokio::time::MissedTickBehavior;

use super::drill::DrillTarget;
use super::embed::export_path;
use super::state::{DashboardAction, DashboardOutcome, DashboardState, default_action};
use super::style::DashStyles;
use crate::api::dashboard::DashboardResponse;
use crate::api::{RequestDetail, RequestSummary};
use crate::tui::app::{in_terminal, write_whole};
use crate::tui::gateway::{Gateway, GatewayError};

/// At most one frame per this interval; further changes only mark the screen dirty.
const FRAME: Duration = Duration::from_millis(16);
const TICK: Duration = Duration::from_secs(1);
const RELOAD: Duration = Duration::from_secs(60);
/// A full 200×50 frame with styles fits.
const FRAME_BUFFER: usize = 256 * 1024;

/// Runs the cruscotto until `q`/Esc/Ctrl-C. The terminal is restored on return and on panic.
/// Exports go to `export_dir/exports`; without it `e` says export is not available.
pub async fn run(
    mut state: DashboardState,
    styles: DashStyles,
    gateway: Arc<dyn Gateway>,
    export_dir: Option<PathBuf>,
) -> io::Result<()> {
    in_terminal(event_loop(&mut state, &styles, gateway, export_dir)).await
}

fn load(gateway: &Arc<dyn Gateway>, tx: &mpsc::UnboundedSender<Loaded>) {
    let (gateway, tx) = (Arc::clone(gateway), tx.clone());
    tokio::spawn(async move {
        let _ = tx.send(gateway.dashboard().await);
    });
}

type Loaded = Result<DashboardResponse, GatewayError>;

/// A drill-down's list or detail, as the gateway answered.
enum Drilled {
    List(DrillTarget, Result<(Vec<RequestSummary>, bool), String>),
    Detail(Box<Result<RequestDetail, String>>),
}

async fn event_loop(
    state: &mut DashboardState,
    styles: &DashStyles,
    gateway: Arc<dyn Gateway>,
    export_dir: Option<PathBuf>,
) -> io::Result<()> {
    // One buffer for the whole frame: it leaves in one write, so even a terminal without
    // synchronized output never shows half a frame.
    let out = io::BufWriter::with_capacity(FRAME_BUFFER, io::stdout());
    let mut terminal = Terminal::new(CrosstermBackend::new(out))?;
    let (tx, mut rx) = mpsc::unbounded_channel::<Loaded>();
    let (written_tx, mut written_rx) = mpsc::unbounded_channel::<String>();
    let (drilled_tx, mut drilled_rx) = mpsc::unbounded_channel::<Drilled>();
    let mut events = EventStream::new();
    let mut frame_timer = tokio::time::interval(FRAME);
    let mut tick = tokio::time::interval(TICK);
    tick.set_missed_tick_behavior(MissedTickBehavior::Skip);
    let mut reload = tokio::time::interval(RELOAD);
    reload.set_missed_tick_behavior(MissedTickBehavior::Skip);
    // The first reload tick is immediate: the caller already loaded the figures.
    reload.tick().await;
    let mut dirty = true;
    loop {
        tokio::select! {
            Some(event) = events.next() => match event? {
                Event::Key(key) if key.kind != KeyEventKind::Release => {
                    dirty = true;
                    let Some(action) = default_action(&key) else {
                        continue;
                    };
                    match state.update(action) {
                        DashboardOutcome::Quit => return Ok(()),
                        DashboardOutcome::Refresh => load(&gateway, &tx),
                        DashboardOutcome::DrillDown(target) => {
                            let (gateway, tx) = (Arc::clone(&gateway), drilled_tx.clone());
                            tokio::spawn(async move {
                                let listed = gateway
                                    .requests(target.filter())
                                    .await
                                    .map_err(|e| e.to_string());
                                let _ = tx.send(Drilled::List(target, listed));
                            });
                        }
                        DashboardOutcome::ShowRequest(id) => {
                            let (gateway, tx) = (Arc::clone(&gateway), drilled_tx.clone());
                            tokio::spawn(async move {
                                let detail = gateway.detail(&id).await.map_err(|e| e.to_string());
                                let _ = tx.send(Drilled::Detail(Box::new(detail)));
                            });
                        }
                        DashboardOutcome::ExportCsv(csv) => match &export_dir {
                            Some(dir) => {
                                let path = export_path(dir, state.now);
                                let done = written_tx.clone();
                                tokio::spawn(async move {
                                    let _ = done.send(match write_whole(&path, &csv).await {
                                        Ok(()) => path.display().to_string(),
                                        Err(e) => format!("{}: {e}", path.display()),
                                    });
                                });
                            }
                            None => {
                                state.message = Some(state.lang.text().export_elsewhere.into());
                            }
                        },
                        DashboardOutcome::Nothing => {}
                    }
                }
                Event::Resize(_, _) => {
                    terminal.autoresize()?;
                    dirty = true;
                }
                _ => {}
            },
            Some(loaded) = rx.recv() => {
                match loaded {
                    Ok(response) => {
                        state.replace_figures(response.dashboard);
                    }
                    Err(e) => {
                        state.message = Some(crate::domain::sanitize::inline(&e.to_string(), 160));
                    }
                }
                dirty = true;
            }
            Some(drilled) = drilled_rx.recv() => {
                match drilled {
                    Drilled::List(target, listed) => state.drill_loaded(&target, listed),
                    Drilled::Detail(detail) => state.detail_loaded(*detail),
                }
                dirty = true;
            }
            Some(written) = written_rx.recv() => {
                let text = format!("{}: {}", state.lang.text().exported, written);
                state.message = Some(crate::domain::sanitize::inline(&text, 200));
                dirty = true;
            }
            _ = tick.tick() => {
                state.update(DashboardAction::Tick(Timestamp::now()));
                dirty = true;
            }
            _ = reload.tick() => load(&gateway, &tx),
            _ = frame_timer.tick(), if dirty => {
                queue!(terminal.backend_mut(), BeginSynchronizedUpdate)?;
                terminal.draw(|frame| {
                    let area = frame.area();
                    super::render(frame, area, state, styles);
                })?;
                execute!(terminal.backend_mut(), EndSynchronizedUpdate)?;
                dirty = false;
            }
        }
    }
}
