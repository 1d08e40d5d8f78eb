//! Built-in SSH endpoint serving the cruscotto (`combipat serve --ssh ADDR`): a supervisor needs
//! no account on the host.
//!
//! - Public-key authentication only, decided in `auth_publickey` (after the client proved it
//!   holds the key), never on the key offer. The SSH user name is ignored: the key alone maps to
//!   an operator through the `[ssh]` configuration.
//! - A persistent Ed25519 host key in the data dir ([`host_key`]).
//! - One [`tui::dashboard::DashboardState`](crate::tui::dashboard::DashboardState) per session;
//!   bounded input, flow-controlled output ([`session`]).
//! - Admission ([`gate`]): a pre-authentication deadline, global and per-address caps on
//!   unauthenticated connections (the oldest goes first), short bans of addresses that keep
//!   offering unknown keys; an accept loop that backs off and keeps listening when out of file
//!   descriptors. Sessions at once, idle timeout and write timeout. Sessions are read-only unless
//!   the key allows writes and the role can write. See `docs/security.md`.

mod frames;
mod gate;
pub mod host_key;
pub mod probe;
mod session;
pub mod settings;

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use russh::server::{
    Auth, ChannelOpenHandle, Handler, Msg, PublicKeyOffer, Session, VerifiedPublicKey,
};
use russh::{Channel, ChannelId, MethodKind, MethodSet, Pty};
use thiserror::Error;
use tokio::sync::watch;

use crate::api::{RequestDetail, RequestFilter, RequestSummary};
use crate::domain::dashboard::Dashboard;
use crate::domain::request::RequestId;
use crate::tui::dashboard::text::Lang;
use gate::{Failure, Gate, KillSwitch, Killable, Pending};
pub use settings::{AuthorizedKeys, KeyEntry, KeyIdentity, SshSettings};

#[derive(Debug, Error)]
pub enum SshError {
    #[error("host key {path}: {reason}")]
    HostKey { path: String, reason: String },
    #[error("configuration field {field}: {reason}")]
    Config { field: String, reason: String },
    #[error("cannot listen on {addr}: {reason}")]
    Listen { addr: SocketAddr, reason: String },
}

/// What one operator sees.
#[derive(Debug, Clone)]
pub struct SourceView {
    /// Shared with every session of the scope (the service's memo), never copied per session.
    pub dashboard: Arc<Dashboard>,
    /// e.g. "Sede RM01"; shown in the header.
    pub scope_label: String,
    /// Whether the operator's role may change requests at all.
    pub role_can_write: bool,
}

/// What a source of figures only says when asked for the requests behind them.
const NO_REQUESTS: &str = "le pratiche non sono disponibili da questa fonte";

/// Where sessions get their figures (the service's store in `combipat serve`).
#[async_trait::async_trait]
pub trait DashboardSource: Send + Sync + 'static {
    /// The cruscotto the operator may see; an error text ends the session politely.
    async fn load(&self, operator: &str) -> Result<SourceView, String>;

    /// The requests behind a figure (`filter` from `DrillTarget::filter`), within the
    /// operator's scope; `true` when more match than one page. A source of figures only (a
    /// fixture) has none to give, and says so.
    async fn requests(
        &self,
        _operator: &str,
        _filter: RequestFilter,
    ) -> Result<(Vec<RequestSummary>, bool), String> {
        Err(NO_REQUESTS.into())
    }

    /// Ticks whenever the figures may have changed (the service's latest event seq, on any
    /// node): sessions reload then, at most once per `RELOAD_AFTER_CHANGE`, instead of
    /// polling. `None`: the figures only change with time (a fixture).
    fn changes(&self) -> Option<watch::Receiver<u64>> {
        None
    }

    /// One request in full as the operator may see it (an audited read).
    async fn detail(&self, _operator: &str, _id: &RequestId) -> Result<RequestDetail, String> {
        Err(NO_REQUESTS.into())
    }
}

/// Byte counters, for the bandwidth harness and for logs.
#[derive(Debug, Default)]
pub struct Counters {
    written: AtomicU64,
}

impl Counters {
    fn add_written(&self, bytes: usize) {
        self.written.fetch_add(bytes as u64, Ordering::Relaxed);
    }
    /// Bytes written to all session channels so far.
    pub fn written(&self) -> u64 {
        self.written.load(Ordering::Relaxed)
    }
}

/// Everything the endpoint needs to start.
pub struct SshServerConfig {
    pub listen: SocketAddr,
    /// Directory of the persistent host key (the service's data dir).
    pub data_dir: PathBuf,
    pub settings: SshSettings,
    pub lang: Lang,
    pub no_color: bool,
}

pub(crate) struct Shared {
    keys: AuthorizedKeys,
    settings: SshSettings,
    source: Arc<dyn DashboardSource>,
    sessions: AtomicUsize,
    gate: Arc<Gate>,
    lang: Lang,
    no_color: bool,
    counters: Arc<Counters>,
    frames: frames::FrameCache,
}

/// The running endpoint.
pub struct SshServer {
    addr: SocketAddr,
    shutdown: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
    counters: Arc<Counters>,
    shared: Arc<Shared>,
}

impl SshServer {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
    pub fn counters(&self) -> Arc<Counters> {
        self.counters.clone()
    }
    /// Connections accepted that have not authenticated (yet).
    pub fn unauthenticated(&self) -> usize {
        self.shared.gate.pending()
    }
    /// Authenticated sessions open now.
    pub fn sessions(&self) -> usize {
        self.shared.sessions.load(Ordering::SeqCst)
    }
    pub async fn shutdown(self) {
        let _ = self.shutdown.send(true);
        let _ = tokio::time::timeout(Duration::from_secs(5), self.task).await;
    }
}

/// Binds and starts serving; returns once the socket listens.
pub async fn start(
    config: SshServerConfig,
    source: Arc<dyn DashboardSource>,
) -> Result<SshServer, SshError> {
    let keys = AuthorizedKeys::from_settings(&config.settings)?;
    let host_key = host_key::load_or_generate(&config.data_dir)?;
    let russh_config = russh::server::Config {
        methods: MethodSet::from(&[MethodKind::PublicKey][..]),
        keys: vec![host_key],
        auth_rejection_time: Duration::from_secs(1),
        auth_rejection_time_initial: Some(Duration::from_millis(0)),
        max_auth_attempts: 6,
        inactivity_timeout: Some(config.settings.idle_timeout() + Duration::from_secs(60)),
        keepalive_interval: Some(Duration::from_secs(60)),
        nodelay: true,
        ..Default::default()
    };
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|e| SshError::Listen {
            addr: config.listen,
            reason: e.to_string(),
        })?;
    let addr = listener.local_addr().map_err(|e| SshError::Listen {
        addr: config.listen,
        reason: e.to_string(),
    })?;
    let counters = Arc::new(Counters::default());
    let shared = Arc::new(Shared {
        keys,
        gate: Gate::new(&config.settings),
        settings: config.settings,
        source,
        sessions: AtomicUsize::new(0),
        lang: config.lang,
        no_color: config.no_color,
        counters: counters.clone(),
        frames: frames::FrameCache::default(),
    });
    let (shutdown, shutdown_rx) = watch::channel(false);
    let task = tokio::spawn(accept_loop(
        listener,
        Arc::new(russh_config),
        shared.clone(),
        shutdown_rx,
    ));
    Ok(SshServer {
        addr,
        shutdown,
        task,
        counters,
        shared,
    })
}

const ACCEPT_BACKOFF_MIN: Duration = Duration::from_millis(50);
const ACCEPT_BACKOFF_MAX: Duration = Duration::from_secs(1);
const ACCEPT_ERROR_LOG_EVERY: Duration = Duration::from_secs(10);

/// Out of file descriptors or memory: waiting (and closing a pending connection) helps.
fn is_resource_exhaustion(error: &std::io::Error) -> bool {
    matches!(
        error.raw_os_error(),
        Some(libc::EMFILE | libc::ENFILE | libc::ENOBUFS | libc::ENOMEM)
    )
}

/// Accepts until shutdown. An accept error never stops the endpoint: it is logged (at most every
/// few seconds), the loop backs off up to a second and, when out of file descriptors, closes the
/// oldest pending connection of the busiest address to make room.
async fn accept_loop(
    listener: tokio::net::TcpListener,
    config: Arc<russh::server::Config>,
    shared: Arc<Shared>,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut backoff = ACCEPT_BACKOFF_MIN;
    let mut failing: Option<(Instant, u64)> = None;
    let mut last_error_log: Option<Instant> = None;
    loop {
        let accepted = tokio::select! {
            _ = shutdown.changed() => break,
            accepted = listener.accept() => accepted,
        };
        match accepted {
            Ok((tcp, peer)) => {
                if let Some((since, errors)) = failing.take() {
                    tracing::info!(
                        errors,
                        after_ms = since.elapsed().as_millis() as u64,
                        "ssh: accepting connections again"
                    );
                }
                backoff = ACCEPT_BACKOFF_MIN;
                spawn_connection(tcp, peer, config.clone(), shared.clone(), shutdown.clone());
            }
            Err(error) => {
                let exhausted = is_resource_exhaustion(&error);
                let freed = exhausted && shared.gate.evict_one();
                let (_, errors) = failing.get_or_insert((Instant::now(), 0));
                *errors += 1;
                if last_error_log.is_none_or(|at| at.elapsed() >= ACCEPT_ERROR_LOG_EVERY) {
                    tracing::warn!(
                        %error,
                        errors = *errors,
                        backoff_ms = backoff.as_millis() as u64,
                        closed_pending = freed,
                        "ssh: accept failed; backing off, still listening"
                    );
                    last_error_log = Some(Instant::now());
                }
                tokio::select! {
                    _ = shutdown.changed() => break,
                    _ = tokio::time::sleep(backoff) => {}
                }
                backoff = (backoff * 2).min(ACCEPT_BACKOFF_MAX);
            }
        }
    }
    tracing::info!("ssh endpoint stopped");
}

/// Runs one connection: admitted as pending, killed if it has not authenticated by the deadline,
/// on eviction, or at shutdown.
fn spawn_connection(
    tcp: tokio::net::TcpStream,
    peer: SocketAddr,
    config: Arc<russh::server::Config>,
    shared: Arc<Shared>,
    mut shutdown: watch::Receiver<bool>,
) {
    if config.nodelay {
        let _ = tcp.set_nodelay(true);
    }
    let switch = Arc::new(KillSwitch::default());
    let pending = shared.gate.admit(peer.ip(), switch.clone());
    let deadline = shared.settings.preauth_timeout();
    let handler = Connection {
        shared,
        peer: Some(peer.ip()),
        identity: None,
        counted: false,
        session_started: false,
        offered_unknown: false,
        pending: Some(pending),
        switch: switch.clone(),
    };
    let stream = Killable::new(tcp, switch.clone());
    tokio::spawn(async move {
        let watchdog = {
            let switch = switch.clone();
            tokio::spawn(async move {
                tokio::time::sleep(deadline).await;
                if !switch.is_authenticated() {
                    tracing::debug!(peer = %peer, "ssh: pre-authentication deadline passed");
                    switch.kill();
                }
            })
        };
        let session = tokio::select! {
            started = russh::server::run_stream(config, stream, handler) => started,
            _ = shutdown.changed() => {
                switch.kill();
                watchdog.abort();
                return;
            }
        };
        if let Ok(session) = session {
            let handle = session.handle();
            tokio::select! {
                _ = session => {}
                _ = shutdown.changed() => {
                    let bye = handle.disconnect(
                        russh::Disconnect::ByApplication,
                        "server shutting down".into(),
                        String::new(),
                    );
                    let _ = tokio::time::timeout(Duration::from_secs(1), bye).await;
                }
            }
        }
        switch.kill();
        watchdog.abort();
    });
}

/// One TCP connection.
pub(crate) struct Connection {
    shared: Arc<Shared>,
    peer: Option<IpAddr>,
    identity: Option<KeyIdentity>,
    counted: bool,
    session_started: bool,
    /// Whether this connection already counted a failure (one per connection, however many
    /// keys the client's agent offers).
    offered_unknown: bool,
    pending: Option<Pending>,
    switch: Arc<KillSwitch>,
}

impl Drop for Connection {
    fn drop(&mut self) {
        if self.counted {
            self.shared.sessions.fetch_sub(1, Ordering::SeqCst);
        }
        // A connection's end is its socket's end, whichever side ended it.
        self.switch.kill();
    }
}

impl Connection {
    fn record_unknown_key(&mut self) {
        let Some(ip) = self.peer else { return };
        if self.offered_unknown {
            return;
        }
        self.offered_unknown = true;
        match self.shared.gate.record_failure(ip) {
            Failure::Counted => tracing::info!(peer = %ip, "ssh: unknown key refused"),
            Failure::Banned(length) => {
                let until = jiff::Timestamp::now()
                    .checked_add(jiff::SignedDuration::try_from(length).unwrap_or_default())
                    .unwrap_or_else(|_| jiff::Timestamp::now());
                tracing::warn!(
                    peer = %ip,
                    until = %until,
                    secs = length.as_secs(),
                    "ssh: address banned after repeated unknown keys (configured keys still accepted)"
                );
            }
            Failure::AlreadyBanned => {}
        }
    }
}

impl Handler for Connection {
    type Error = russh::Error;

    async fn auth_publickey_offered(
        &mut self,
        _user: &str,
        offer: PublicKeyOffer<'_>,
    ) -> Result<Auth, Self::Error> {
        // Unknown keys are refused here, before any signature is computed or checked.
        if self.shared.keys.identify(offer.public_key).is_some() {
            Ok(Auth::Accept)
        } else {
            self.record_unknown_key();
            Ok(Auth::reject())
        }
    }

    async fn auth_publickey(
        &mut self,
        _user: &str,
        key: VerifiedPublicKey<'_>,
    ) -> Result<Auth, Self::Error> {
        // The key's ownership is proven: a configured key is accepted even from a banned
        // address (a ban must not lock out a colleague behind the same NAT).
        let Some(identity) = self.shared.keys.identify(key.public_key).cloned() else {
            self.record_unknown_key();
            return Ok(Auth::reject());
        };
        if !self.counted {
            let before = self.shared.sessions.fetch_add(1, Ordering::SeqCst);
            if before >= self.shared.settings.max_sessions {
                self.shared.sessions.fetch_sub(1, Ordering::SeqCst);
                tracing::warn!("ssh: session cap reached");
                return Ok(Auth::reject());
            }
            self.counted = true;
        }
        let banned = self.peer.is_some_and(|ip| self.shared.gate.is_banned(ip));
        tracing::info!(operator = %identity.operator, peer = ?self.peer, banned, "ssh: authenticated");
        self.switch.set_authenticated();
        self.pending = None;
        self.identity = Some(identity);
        Ok(Auth::Accept)
    }

    async fn channel_open_session(
        &mut self,
        channel: Channel<Msg>,
        reply: ChannelOpenHandle,
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        let Some(identity) = self.identity.clone() else {
            return Ok(());
        };
        if self.session_started {
            // One dashboard per connection; dropping the handle rejects the channel.
            return Ok(());
        }
        self.session_started = true;
        reply.accept().await;
        tokio::spawn(session::run(
            channel,
            identity,
            self.shared.clone(),
            self.switch.clone(),
        ));
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    async fn pty_request(
        &mut self,
        channel: ChannelId,
        _term: &str,
        _cols: u32,
        _rows: u32,
        _pix_width: u32,
        _pix_height: u32,
        _modes: &[(Pty, u32)],
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        session.channel_success(channel)
    }

    async fn shell_request(
        &mut self,
        channel: ChannelId,
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        session.channel_success(channel)
    }

    async fn exec_request(
        &mut self,
        channel: ChannelId,
        _data: &[u8],
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        // No commands: the endpoint only shows the dashboard.
        session.channel_failure(channel)
    }

    async fn window_change_request(
        &mut self,
        _channel: ChannelId,
        _cols: u32,
        _rows: u32,
        _pix_width: u32,
        _pix_height: u32,
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        Ok(())
    }
}
