//! Built-in SSH endpoint serving the cruscotto (`combipat serve --ssh ADDR`): a supervisor needs
//! no account on the host.
//!
//! - Public-key authentication only, decided in `auth_publickey` (after the client proved it
//!   holds the key), never on the key offer. The SSH user name is ignored: the key alone maps to
//!   an operator through the `[ssh]` configuration.
//! - A persistent Ed25519 host key in the data dir ([`host_key`]).
//! - One [`tui::dashboard::DashboardState`](crate::tui::dashboard::DashboardState) per session;
//!   bounded input, flow-controlled output ([`session`]).
//! - Caps: sessions at once, failed authentications per address (then refused for a while),
//!   idle timeout. Sessions are read-only unless the key allows writes and the role can write.

pub mod host_key;
pub mod probe;
mod session;
pub mod settings;

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use russh::server::{Auth, ChannelOpenHandle, Handler, Msg, Server, Session, VerifiedPublicKey};
use russh::{Channel, ChannelId, MethodKind, MethodSet, Pty};
use thiserror::Error;

use crate::domain::dashboard::Dashboard;
use crate::tui::dashboard::text::Lang;
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
    pub dashboard: Dashboard,
    /// e.g. "Sede RM01"; shown in the header.
    pub scope_label: String,
    /// Whether the operator's role may change requests at all.
    pub role_can_write: bool,
}

/// Where sessions get their figures (the service's store in `combipat serve`).
#[async_trait::async_trait]
pub trait DashboardSource: Send + Sync + 'static {
    /// The cruscotto the operator may see; an error text ends the session politely.
    async fn load(&self, operator: &str) -> Result<SourceView, String>;
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
    failures: Mutex<HashMap<IpAddr, (u32, Instant)>>,
    lang: Lang,
    no_color: bool,
    counters: Arc<Counters>,
}

impl Shared {
    fn banned(&self, ip: Option<IpAddr>) -> bool {
        let Some(ip) = ip else { return false };
        let Ok(mut failures) = self.failures.lock() else {
            return true;
        };
        let ban = Duration::from_secs(self.settings.ban_secs);
        match failures.get(&ip) {
            Some(&(count, since)) if since.elapsed() >= ban => {
                failures.remove(&ip);
                let _ = count;
                false
            }
            Some(&(count, _)) => count >= self.settings.max_failed_auth_per_address,
            None => false,
        }
    }

    fn record_failure(&self, ip: Option<IpAddr>) {
        let Some(ip) = ip else { return };
        if let Ok(mut failures) = self.failures.lock() {
            let entry = failures.entry(ip).or_insert((0, Instant::now()));
            entry.0 += 1;
            entry.1 = Instant::now();
        }
    }
}

/// The running endpoint.
pub struct SshServer {
    addr: SocketAddr,
    handle: russh::server::RunningServerHandle,
    task: tokio::task::JoinHandle<()>,
    counters: Arc<Counters>,
}

impl SshServer {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
    pub fn counters(&self) -> Arc<Counters> {
        self.counters.clone()
    }
    pub async fn shutdown(self) {
        self.handle.shutdown("server shutting down".into());
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
        settings: config.settings,
        source,
        sessions: AtomicUsize::new(0),
        failures: Mutex::new(HashMap::new()),
        lang: config.lang,
        no_color: config.no_color,
        counters: counters.clone(),
    });
    let (handle_tx, handle_rx) = tokio::sync::oneshot::channel();
    let task = tokio::spawn(async move {
        let mut server = Endpoint { shared };
        let running = server.run_on_socket(Arc::new(russh_config), &listener);
        let _ = handle_tx.send(running.handle());
        if let Err(error) = running.await {
            tracing::warn!(%error, "ssh endpoint stopped");
        }
    });
    let handle = handle_rx.await.map_err(|e| SshError::Listen {
        addr,
        reason: e.to_string(),
    })?;
    Ok(SshServer {
        addr,
        handle,
        task,
        counters,
    })
}

struct Endpoint {
    shared: Arc<Shared>,
}

impl Server for Endpoint {
    type Handler = Connection;
    fn new_client(&mut self, peer: Option<SocketAddr>) -> Connection {
        Connection {
            shared: self.shared.clone(),
            peer: peer.map(|p| p.ip()),
            identity: None,
            counted: false,
            session_started: false,
        }
    }
}

/// One TCP connection.
pub(crate) struct Connection {
    shared: Arc<Shared>,
    peer: Option<IpAddr>,
    identity: Option<KeyIdentity>,
    counted: bool,
    session_started: bool,
}

impl Drop for Connection {
    fn drop(&mut self) {
        if self.counted {
            self.shared.sessions.fetch_sub(1, Ordering::SeqCst);
        }
    }
}

impl Handler for Connection {
    type Error = russh::Error;

    async fn auth_publickey(
        &mut self,
        _user: &str,
        key: VerifiedPublicKey<'_>,
    ) -> Result<Auth, Self::Error> {
        if self.shared.banned(self.peer) {
            return Ok(Auth::reject());
        }
        let Some(identity) = self.shared.keys.identify(key.public_key).cloned() else {
            self.shared.record_failure(self.peer);
            tracing::info!(peer = ?self.peer, "ssh: unknown key refused");
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
        tracing::info!(operator = %identity.operator, peer = ?self.peer, "ssh: authenticated");
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
        tokio::spawn(session::run(channel, identity, self.shared.clone()));
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
