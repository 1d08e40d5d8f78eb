//! The terminal loop: events in, coalesced synchronized frames out, effects on tokio.

use std::io::{self, Write};
use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use crossterm::event::{Event, EventStream, KeyEventKind};
use crossterm::terminal::{self, BeginSynchronizedUpdate, EndSynchronizedUpdate};
use crossterm::{execute, queue};
use futures::StreamExt;
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use tokio::sync::mpsc;

use crate::client::IdempotencyKey;
use crate::domain::request::RequestId;
use crate::i18n::tf;
use crate::tui::gateway::{Gateway, GatewayError};
use crate::tui::headless::{dispatch_key, list_height};
use crate::tui::live;
use crate::tui::outbox::{Queued, Write as OutboxWrite};
use crate::tui::state::State;
use crate::tui::theme::Theme;
use crate::tui::update::{Effect, Msg, Replay, update};
use crate::tui::view::view;

/// At most one frame per this interval; further changes only mark the screen dirty.
const FRAME: Duration = Duration::from_millis(16);
const TICK: Duration = Duration::from_millis(500);

/// Restores the terminal; safe to call more than once.
pub fn restore_terminal() {
    let _ = terminal::disable_raw_mode();
    let _ = execute!(
        io::stdout(),
        crossterm::event::DisableBracketedPaste,
        terminal::LeaveAlternateScreen,
        crossterm::cursor::Show
    );
}

/// Raw mode, alternate screen, hidden cursor, bracketed paste (a pasted newline is text in
/// the editor, never a key that sends or runs a command).
pub fn enter_terminal() -> io::Result<()> {
    terminal::enable_raw_mode()?;
    execute!(
        io::stdout(),
        terminal::EnterAlternateScreen,
        crossterm::event::EnableBracketedPaste,
        crossterm::cursor::Hide
    )
}

/// Runs the workstation until `quit`. The terminal is restored on return and on panic.
pub async fn run(mut state: State, theme: Theme, gateway: Arc<dyn Gateway>) -> io::Result<()> {
    if let Some(dir) = &state.data_dir {
        state.drafts = crate::tui::drafts::load(dir);
        match crate::tui::outbox::load(dir) {
            Ok(outbox) => state.outbox = outbox,
            // Never overwritten: the file stays for the operator (or support) to look at, and
            // this session keeps its own writes in memory.
            Err(e) => {
                tracing::error!(error = %e, "outbox not readable");
                state.data_dir = None;
                update(
                    &mut state,
                    Msg::Refused {
                        key: "outbox.unreadable",
                    },
                );
            }
        }
    }
    in_terminal(event_loop(&mut state, &theme, gateway)).await
}

/// Runs `body` in raw mode on the alternate screen; the terminal is restored when it returns
/// and on panic.
pub async fn in_terminal<T>(body: impl Future<Output = io::Result<T>>) -> io::Result<T> {
    let previous_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        restore_terminal();
        previous_hook(info);
    }));
    enter_terminal()?;
    let result = body.await;
    restore_terminal();
    result
}

async fn event_loop(state: &mut State, theme: &Theme, gateway: Arc<dyn Gateway>) -> io::Result<()> {
    let mut terminal = Terminal::new(CrosstermBackend::new(io::stdout()))?;
    // The only terminal query, at start-up.
    let size = terminal.size()?;
    update(
        state,
        Msg::Resize {
            list_height: list_height(size.height),
        },
    );
    let (tx, mut rx) = mpsc::unbounded_channel::<Msg>();
    // With live updates the list is loaded once the event stream is up, so nothing falls
    // between the load and the subscription.
    let live_updates = live::spawn(Arc::clone(&gateway), state.me.username.clone(), tx.clone());
    if live_updates.is_none() {
        run_effect(Effect::Refresh, &gateway, &tx);
    }
    let mut presence = live::Announcer::default();
    let mut events = EventStream::new();
    let mut frame_timer = tokio::time::interval(FRAME);
    let mut tick = tokio::time::interval(TICK);
    let mut dirty = true;
    let mut in_flight: Vec<tokio::task::JoinHandle<()>> = Vec::new();
    while !state.quit {
        let effects = tokio::select! {
            Some(event) = events.next() => match event? {
                Event::Key(key) if key.kind != KeyEventKind::Release => {
                    dirty = true;
                    dispatch_key(state, key)
                }
                Event::Paste(text) => {
                    dirty = true;
                    update(state, Msg::Paste(text))
                }
                Event::Resize(_, h) => {
                    dirty = true;
                    terminal.autoresize()?;
                    update(state, Msg::Resize { list_height: list_height(h) })
                }
                _ => vec![],
            },
            Some(msg) = rx.recv() => {
                dirty = true;
                update(state, msg)
            }
            _ = tick.tick() => {
                // The cruscotto's clock shows seconds, list countdowns show minutes; the diff
                // repaints only changed cells.
                let now = jiff::Timestamp::now();
                dirty |= state.dashboard.is_some()
                    || now.as_second() / 60 != state.now.as_second() / 60;
                update(state, Msg::Tick(now))
            }
            _ = frame_timer.tick() => {
                if dirty {
                    queue!(io::stdout(), BeginSynchronizedUpdate)?;
                    terminal.draw(|frame| view(state, frame, theme))?;
                    execute!(io::stdout(), EndSynchronizedUpdate)?;
                    dirty = false;
                }
                vec![]
            }
        };
        for effect in effects {
            match effect {
                Effect::Quit => state.quit = true,
                Effect::Suspend => {
                    suspend()?;
                    terminal.clear()?;
                    dirty = true;
                }
                Effect::CopyToClipboard(text) => copy_osc52(&text)?,
                // Drafts are written here, in order, not spawned: a later delete must never
                // be overtaken by an earlier write.
                Effect::WriteDraft { .. } | Effect::SaveOutbox { .. } => {
                    write_private(state, effect);
                }
                Effect::OpenEditor { kind, initial } => {
                    let replying = presence.hold_while_editing(state, kind, &gateway);
                    restore_terminal();
                    let text = edit_in_editor(&initial);
                    if let Some(replying) = replying {
                        replying.abort();
                    }
                    enter_terminal()?;
                    terminal.clear()?;
                    dirty = true;
                    match text {
                        Ok(text) => {
                            let more = update(state, Msg::EditorText { kind, text });
                            for e in more {
                                run_effect(e, &gateway, &tx);
                            }
                        }
                        Err(e) => {
                            tracing::warn!(error = %e, "external editor");
                            // The text given to the editor comes back, with the reason.
                            update(
                                state,
                                Msg::EditorText {
                                    kind,
                                    text: initial.clone(),
                                },
                            );
                            update(
                                state,
                                Msg::Failed {
                                    message: tf(
                                        state.lang,
                                        "editor.external_failed",
                                        &[("detail", &e.to_string())],
                                    ),
                                    stale: false,
                                },
                            );
                        }
                    }
                }
                other => {
                    in_flight.retain(|h| !h.is_finished());
                    in_flight.push(run_effect(other, &gateway, &tx));
                }
            }
        }
        presence.observe(state, &gateway);
    }
    // Writes still under way (a close committed by quitting among them) finish before the
    // process exits; a service that does not answer gets the client's own timeouts.
    for handle in in_flight {
        let _ = handle.await;
    }
    // What those writes answered: one the service could not be reached for joins the outbox
    // on disk, to be sent at the next start.
    while let Ok(msg) = rx.try_recv() {
        for effect in update(state, msg) {
            if matches!(
                effect,
                Effect::WriteDraft { .. } | Effect::SaveOutbox { .. }
            ) {
                write_private(state, effect);
            }
        }
    }
    presence.leave(gateway.as_ref()).await;
    Ok(())
}

/// Writes a draft or the outbox file, in order (a later delete must never be overtaken by an
/// earlier write); a failure is said in the status bar.
fn write_private(state: &mut State, effect: Effect) {
    let (path, text, failure) = match effect {
        Effect::WriteDraft { path, text } => (path, text, "editor.draft_not_saved"),
        Effect::SaveOutbox { path, contents } => (path, contents, "outbox.not_saved"),
        _ => return,
    };
    if let Err(e) = crate::tui::drafts::write(&path, text.as_deref()) {
        tracing::warn!(path = %path.display(), error = %e, "private file not saved");
        update(state, Msg::Refused { key: failure });
    }
}

/// OSC 52: the terminal (even over SSH) puts `text` on the clipboard. Our own id, not untrusted.
fn copy_osc52(text: &str) -> io::Result<()> {
    let encoded = base64::engine::general_purpose::STANDARD.encode(text);
    let mut out = io::stdout();
    write!(out, "\x1b]52;c;{encoded}\x07")?;
    out.flush()
}

#[cfg(unix)]
fn suspend() -> io::Result<()> {
    restore_terminal();
    // Stop ourselves as the shell expects (raw mode swallows the terminal's own Ctrl-Z).
    let pid = std::process::id().to_string();
    let _ = std::process::Command::new("kill")
        .args(["-TSTP", &pid])
        .status();
    enter_terminal()
}

#[cfg(not(unix))]
fn suspend() -> io::Result<()> {
    Ok(())
}

/// Why `$EDITOR` gave no text back.
#[derive(Debug, thiserror::Error)]
pub enum EditorError {
    #[error("$EDITOR cannot be split into words: {0}")]
    Split(#[from] shell_words::ParseError),
    #[error("$EDITOR is empty")]
    Empty,
    #[error("{program}: {source}")]
    Run { program: String, source: io::Error },
    #[error("{program} exited with {status}")]
    Exit {
        program: String,
        status: std::process::ExitStatus,
    },
    #[error("temporary file: {0}")]
    TempFile(#[from] io::Error),
}

fn edit_in_editor(initial: &str) -> Result<String, EditorError> {
    let editor = std::env::var("VISUAL")
        .or_else(|_| std::env::var("EDITOR"))
        .unwrap_or_else(|_| "vi".into());
    // A private file (0600, unpredictable name) removed when dropped: the text of a reply
    // about a citizen is not for other users of the machine.
    let mut file = tempfile::Builder::new()
        .prefix("combipat-")
        .suffix(".txt")
        .tempfile()?;
    io::Write::write_all(&mut file, initial.as_bytes())?;
    file.as_file().sync_all()?;
    run_editor(&editor, file.path())
}

/// Runs `editor` (split as a POSIX shell would: `code --wait`, `"my editor" -n`) on `path`.
fn run_editor(editor: &str, path: &std::path::Path) -> Result<String, EditorError> {
    let words = shell_words::split(editor)?;
    let (program, args) = words.split_first().ok_or(EditorError::Empty)?;
    let status = std::process::Command::new(program)
        .args(args)
        .arg(path)
        .status()
        .map_err(|source| EditorError::Run {
            program: program.clone(),
            source,
        })?;
    if !status.success() {
        return Err(EditorError::Exit {
            program: program.clone(),
            status,
        });
    }
    Ok(std::fs::read_to_string(path)?)
}

/// Spawns one effect; its outcome comes back on `tx`.
pub fn run_effect(
    effect: Effect,
    gateway: &Arc<dyn Gateway>,
    tx: &mpsc::UnboundedSender<Msg>,
) -> tokio::task::JoinHandle<()> {
    let gateway = Arc::clone(gateway);
    let tx = tx.clone();
    if effect == Effect::Refresh {
        // Each page shows as it arrives, not all at the end.
        return tokio::spawn(async move {
            let mut send = |msg| {
                let _ = tx.send(msg);
            };
            if let Err(e) = live::load_list(gateway.as_ref(), &mut send).await {
                send(live::failed(e));
            }
        });
    }
    tokio::spawn(async move {
        for msg in perform(effect, gateway.as_ref()).await {
            let _ = tx.send(msg);
        }
    })
}

/// Executes a gateway effect and returns the messages it yields (terminal effects yield none).
pub async fn perform(effect: Effect, gateway: &dyn Gateway) -> Vec<Msg> {
    use crate::domain::request::MessageKind;
    match effect {
        Effect::Refresh => {
            let mut msgs = Vec::new();
            if let Err(e) = live::load_list(gateway, &mut |msg| msgs.push(msg)).await {
                msgs.push(live::failed(e));
            }
            msgs
        }
        Effect::LoadDetail(id) => live::load_detail(gateway, &id).await,
        Effect::Act { id, version, body } => {
            let done = done_key(&body);
            let key = IdempotencyKey::new();
            match gateway.act(&id, version, body.clone(), &key).await {
                Ok(r) => vec![Msg::Written(Box::new(r)), Msg::Done { key: done }],
                Err(GatewayError::Unreachable(e)) => {
                    tracing::info!(error = %e, request = id.as_str(), "kept in the outbox");
                    vec![unsent(key, id, version, OutboxWrite::Act { body })]
                }
                Err(e) => live::refused(gateway, &id, e, None).await,
            }
        }
        Effect::Message {
            id,
            version,
            kind,
            body,
        } => {
            let done = match kind {
                MessageKind::InternalNote => "done.note",
                MessageKind::IntegrationRequest => "done.integration",
                _ => "done.reply",
            };
            let kept = (live::input_kind(kind), body.clone());
            let key = IdempotencyKey::new();
            match gateway
                .message(&id, version, kind, body.clone(), &key)
                .await
            {
                Ok(r) => vec![Msg::Written(Box::new(r)), Msg::Done { key: done }],
                Err(GatewayError::Unreachable(e)) => {
                    tracing::info!(error = %e, request = id.as_str(), "kept in the outbox");
                    vec![unsent(
                        key,
                        id,
                        version,
                        OutboxWrite::Message { kind, text: body },
                    )]
                }
                Err(e) => live::refused(gateway, &id, e, Some(kept)).await,
            }
        }
        Effect::LoadSlots { office, from, to } => {
            let query = crate::api::SlotQuery { from, to: Some(to) };
            match gateway.slots(&office, query).await {
                Ok(slots) => vec![Msg::SlotsLoaded(Box::new(slots))],
                Err(e) => vec![live::failed(e)],
            }
        }
        Effect::Agenda { id, version, op } => {
            let done = op.done_key();
            match gateway.agenda(&id, version, op).await {
                Ok(r) => vec![Msg::Written(Box::new(r)), Msg::Done { key: done }],
                Err(GatewayError::Conflict(code)) if code == "slot_full" => {
                    vec![Msg::Refused {
                        key: "agenda.taken",
                    }]
                }
                Err(e) => live::refused(gateway, &id, e, None).await,
            }
        }
        Effect::Replay(queued) => replay(*queued, gateway).await,
        Effect::LoadOperators(office) => {
            let staff = match gateway.office_operators(&office).await {
                Ok(staff) => Some(staff),
                Err(e) => {
                    tracing::info!(error = %e, office, "office staff not listed");
                    None
                }
            };
            vec![Msg::OperatorsLoaded { office, staff }]
        }
        Effect::LoadDashboard => match gateway.dashboard().await {
            Ok(response) => vec![Msg::DashboardLoaded(Box::new(response))],
            Err(GatewayError::Forbidden(reason)) => vec![Msg::DashboardRefused(reason)],
            Err(e) => vec![live::failed(e)],
        },
        Effect::WriteFile { path, contents } => match write_whole(&path, &contents).await {
            Ok(()) => vec![Msg::Exported(path)],
            Err(e) => vec![Msg::Failed {
                message: format!("{}: {e}", path.display()),
                stale: false,
            }],
        },
        Effect::WriteAuditedExport {
            path,
            contents,
            purpose,
            ids,
        } => {
            Box::pin(crate::tui::export_audit::perform(
                gateway, path, contents, purpose, ids,
            ))
            .await
        }
        Effect::WriteDraft { path, text } => {
            match crate::tui::drafts::write(&path, text.as_deref()) {
                Ok(()) => vec![],
                Err(_) => vec![Msg::Refused {
                    key: "editor.draft_not_saved",
                }],
            }
        }
        Effect::SaveOutbox { path, contents } => {
            match crate::tui::drafts::write(&path, contents.as_deref()) {
                Ok(()) => vec![],
                Err(_) => vec![Msg::Refused {
                    key: "outbox.not_saved",
                }],
            }
        }
        Effect::Quit | Effect::Suspend | Effect::CopyToClipboard(_) | Effect::OpenEditor { .. } => {
            vec![]
        }
    }
}

fn unsent(key: IdempotencyKey, id: RequestId, version: u64, write: OutboxWrite) -> Msg {
    Msg::Unsent(Box::new(Queued {
        key: key.to_string(),
        id,
        based_on: version,
        send_version: None,
        write,
        queued_at: jiff::Timestamp::now(),
    }))
}

/// Sends one outbox write again with the key of its first attempt. A refusal brings the
/// request as the service now holds it, so the row stops showing the write as made.
async fn replay(queued: Queued, gateway: &dyn Gateway) -> Vec<Msg> {
    let Ok(key) = IdempotencyKey::from_string(queued.key.clone()) else {
        return vec![Msg::Replayed {
            key: queued.key,
            outcome: Replay::Refused("outbox.bad_key"),
        }];
    };
    let (id, version) = (queued.id.clone(), queued.version());
    let answer = match queued.write {
        OutboxWrite::Act { body } => gateway.act(&id, version, body, &key).await,
        OutboxWrite::Message { kind, text } => {
            gateway.message(&id, version, kind, text, &key).await
        }
    };
    let outcome = match answer {
        Ok(detail) => {
            return vec![Msg::Replayed {
                key: queued.key,
                outcome: Replay::Sent(Box::new(detail)),
            }];
        }
        Err(GatewayError::Unreachable(_)) => Replay::Unreachable,
        Err(e) => {
            tracing::info!(error = %e, request = id.as_str(), "outbox write refused");
            Replay::Refused(live::refusal_key(&e))
        }
    };
    let mut msgs = vec![Msg::Replayed {
        key: queued.key,
        outcome: outcome.clone(),
    }];
    if matches!(outcome, Replay::Refused(_))
        && let Ok(current) = gateway.detail(&id).await
    {
        msgs.push(Msg::Upserted(Box::new(live::list_row(
            current.summary,
            None,
        ))));
    }
    msgs
}

/// Writes `contents` to a temporary sibling, then renames it: the file is whole or absent.
pub async fn write_whole(path: &std::path::Path, contents: &str) -> io::Result<()> {
    if let Some(dir) = path.parent() {
        tokio::fs::create_dir_all(dir).await?;
    }
    let partial = path.with_extension("partial");
    tokio::fs::write(&partial, contents).await?;
    tokio::fs::rename(&partial, path).await
}

fn done_key(body: &crate::api::ActionBody) -> &'static str {
    use crate::api::ActionBody as A;
    match body {
        A::Take => "done.take",
        A::Release => "done.release",
        A::Assign { .. } => "done.assign",
        A::Forward { .. } => "done.forward",
        A::Close { .. } => "done.close",
        A::Reopen { .. } => "done.reopen",
        A::Tag { .. } => "done.tag",
        A::Untag { .. } => "done.untag",
        A::BookAppointment { .. } => "done.appointment",
    }
}
